//! The RTCP common header, Janus' length checks, and the compound-packet walk every
//! `rtcp.c` function shares.
//!
//! Janus walks a compound packet with a running `total` (bytes from the current packet to
//! the end of the buffer): check the header fits and is version 2, handle the packet, then
//! stop on a zero length field or when the declared lengths use up the buffer. A [`Packet`]
//! therefore sees the whole rest of the buffer, because Janus' per-type checks measure
//! against `total`, not against the packet's own length.

/// Packet types (`rtcp_type`).
pub const RTCP_FIR: u8 = 192;
pub const RTCP_SR: u8 = 200;
pub const RTCP_RR: u8 = 201;
pub const RTCP_SDES: u8 = 202;
pub const RTCP_BYE: u8 = 203;
pub const RTCP_APP: u8 = 204;
pub const RTCP_RTPFB: u8 = 205;
pub const RTCP_PSFB: u8 = 206;
pub const RTCP_XR: u8 = 207;

/// Wire sizes of the structs Janus overlays on packets.
pub const HEADER_SIZE: usize = 4;
pub const SENDER_INFO_SIZE: usize = 20;
pub const REPORT_BLOCK_SIZE: usize = 24;
/// Offset of the FCI in a feedback packet (header, sender SSRC, media SSRC).
pub const FCI_OFFSET: usize = 12;
/// Offset of the first report block in an SR and in an RR.
pub const SR_BLOCKS_OFFSET: usize = 8 + SENDER_INFO_SIZE;
pub const RR_BLOCKS_OFFSET: usize = 8;

pub(crate) fn get_u16(buf: &[u8], off: usize) -> Option<u16> {
    let b = buf.get(off..off.checked_add(2)?)?;
    Some(u16::from_be_bytes([b[0], b[1]]))
}

pub(crate) fn get_u32(buf: &[u8], off: usize) -> Option<u32> {
    let b = buf.get(off..off.checked_add(4)?)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

/// Writes a big-endian word if it fits; the callers only write where Janus' checks proved
/// the bytes exist, so the bounds test is a second line of defence, not a behaviour.
pub(crate) fn set_u32(buf: &mut [u8], off: usize, value: u32) {
    if let Some(b) = off.checked_add(4).and_then(|end| buf.get_mut(off..end)) {
        b.copy_from_slice(&value.to_be_bytes());
    }
}

pub(crate) fn set_u16(buf: &mut [u8], off: usize, value: u16) {
    if let Some(b) = off.checked_add(2).and_then(|end| buf.get_mut(off..end)) {
        b.copy_from_slice(&value.to_be_bytes());
    }
}

/// Writes a common header: version 2, no padding, `rc` (count or FMT), type, length in words
/// minus one.
pub(crate) fn write_header(buf: &mut [u8], rc: u8, packet_type: u8, length: u16) {
    if let Some(h) = buf.get_mut(..HEADER_SIZE) {
        h[0] = 0x80 | (rc & 0x1f);
        h[1] = packet_type;
        h[2..4].copy_from_slice(&length.to_be_bytes());
    }
}

/// The header's `length` field (32-bit words minus one), or 0 if the buffer is too short.
pub fn length_field(buf: &[u8]) -> u16 {
    get_u16(buf, 2).unwrap_or(0)
}

/// `janus_rtcp_check_len` on its numbers: at least 8 bytes, and the declared length fits.
pub fn len_fits(len: i64, length_field: u16) -> bool {
    len >= (HEADER_SIZE + 4) as i64 && len >= 4 * i64::from(length_field) + 4
}

/// `janus_rtcp_check_len`: `rest` runs from the packet to the end of the buffer.
pub fn check_len(rest: &[u8]) -> bool {
    len_fits(rest.len() as i64, length_field(rest))
}

fn rc(rest: &[u8]) -> usize {
    usize::from(rest.first().copied().unwrap_or(0) & 0x1f)
}

/// `janus_rtcp_check_sr`: sender info present, and as many report blocks as the count says.
pub fn check_sr(rest: &[u8]) -> bool {
    rest.len() >= SR_BLOCKS_OFFSET && rest.len() - SR_BLOCKS_OFFSET >= rc(rest) * REPORT_BLOCK_SIZE
}

/// `janus_rtcp_check_rr`: header, SSRC, and as many report blocks as the count says.
pub fn check_rr(rest: &[u8]) -> bool {
    rest.len() as i64 - RR_BLOCKS_OFFSET as i64 >= (rc(rest) * REPORT_BLOCK_SIZE) as i64
}

/// `janus_rtcp_check_fci` on its numbers: room for one `sizeof_fci` FCI, and for as many
/// FCIs as the length field implies. Janus divides by `sizeof_fci / 4` for sizes other than
/// 0, 4 and 8 (a crash for 1..3); those sizes are refused here instead.
pub fn fci_fits(len: i64, length_field: u16, sizeof_fci: i64) -> bool {
    if len < FCI_OFFSET as i64 + sizeof_fci {
        return false;
    }
    let fci_size = len - FCI_OFFSET as i64;
    let words = i64::from(length_field) - 2;
    let fcis = match sizeof_fci {
        0 => 0,
        4 => words,
        // An arithmetic shift, as C's on a negative int.
        8 => words >> 1,
        _ => {
            let per_word = sizeof_fci >> 2;
            if per_word == 0 {
                return false;
            }
            words / per_word
        }
    };
    fci_size >= sizeof_fci.saturating_mul(fcis)
}

/// `janus_rtcp_check_fci` on a packet.
pub fn check_fci(rest: &[u8], sizeof_fci: i32) -> bool {
    fci_fits(rest.len() as i64, length_field(rest), i64::from(sizeof_fci))
}

/// `janus_rtcp_check_remb`: the REMB FCI fits, with as many SSRCs as it announces.
pub fn check_remb(rest: &[u8]) -> bool {
    if rest.len() < FCI_OFFSET + 12 {
        return false;
    }
    let numssrc = usize::from(rest[FCI_OFFSET + 4]);
    rest.len() - FCI_OFFSET >= 4 * numssrc
}

/// One packet of a compound, as the walk sees it: it passed `check_len` and is version 2.
#[derive(Clone, Copy, Debug)]
pub struct Packet<'a> {
    rest: &'a [u8],
}

impl<'a> Packet<'a> {
    /// The bytes from this packet to the end of the compound (Janus' `total`).
    pub fn rest(&self) -> &'a [u8] {
        self.rest
    }
    /// Report count, or FMT for feedback packets.
    pub fn rc(&self) -> u8 {
        self.rest[0] & 0x1f
    }
    pub fn padding(&self) -> bool {
        self.rest[0] & 0x20 != 0
    }
    pub fn packet_type(&self) -> u8 {
        self.rest[1]
    }
    /// The length field: 32-bit words minus one.
    pub fn length(&self) -> u16 {
        length_field(self.rest)
    }
    /// The packet's own bytes, as its length field declares them (always within the buffer).
    pub fn bytes(&self) -> &'a [u8] {
        &self.rest[..4 * usize::from(self.length()) + 4]
    }
    /// The big-endian word at `off` from the packet start, if the buffer holds it.
    pub fn u32_at(&self, off: usize) -> Option<u32> {
        get_u32(self.rest, off)
    }
    /// The SSRC right after the header (sender SSRC of SR/RR/FB/XR, first SDES chunk, BYE...).
    pub fn ssrc(&self) -> u32 {
        // check_len guarantees 8 bytes.
        get_u32(self.rest, 4).unwrap_or(0)
    }
    pub fn check_sr(&self) -> bool {
        check_sr(self.rest)
    }
    pub fn check_rr(&self) -> bool {
        check_rr(self.rest)
    }
    pub fn check_fci(&self, sizeof_fci: i32) -> bool {
        check_fci(self.rest, sizeof_fci)
    }
    pub fn check_remb(&self) -> bool {
        check_remb(self.rest)
    }
}

/// The walk stopped on a packet that fails `check_len` or is not version 2; the functions
/// that report errors (fix_ssrc, filter, get_nacks...) fail the whole compound on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Malformed;

/// Janus' compound walk, as a cursor: it holds only a position, so callers may rewrite the
/// buffer between steps (nothing Janus rewrites touches a header). Every step advances by
/// at least 8 bytes or ends the walk, so it always terminates.
#[derive(Clone, Copy, Debug, Default)]
pub struct Compound {
    pos: usize,
    done: bool,
}

impl Compound {
    pub fn new() -> Self {
        Self::default()
    }

    /// The offset of the next packet in `buf`, or `Malformed` (after which the walk is over).
    pub fn next_in(&mut self, buf: &[u8]) -> Option<Result<usize, Malformed>> {
        if self.done {
            return None;
        }
        let rest = buf.get(self.pos..).unwrap_or(&[]);
        if !check_len(rest) || rest[0] >> 6 != 2 {
            self.done = true;
            return Some(Err(Malformed));
        }
        let here = self.pos;
        let length = usize::from(length_field(rest));
        let size = 4 * length + 4;
        // A zero length ends the compound, and so does a packet that uses up the buffer.
        if length == 0 || rest.len() <= size {
            self.done = true;
        } else {
            self.pos += size;
        }
        Some(Ok(here))
    }
}

/// The packets of a compound, read-only.
pub fn packets(buf: &[u8]) -> impl Iterator<Item = Result<Packet<'_>, Malformed>> {
    let mut walk = Compound::new();
    std::iter::from_fn(move || walk.next_in(buf).map(|step| step.map(|pos| Packet { rest: &buf[pos..] })))
}

/// The packet at `pos` of a compound being rewritten, as found by [`Compound::next_in`].
pub(crate) fn packet_at(buf: &[u8], pos: usize) -> Packet<'_> {
    Packet { rest: &buf[pos..] }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_len_wants_eight_bytes_and_a_fitting_length() {
        assert!(!check_len(&[0x80, 201, 0, 0]));
        assert!(check_len(&[0x80, 201, 0, 1, 0, 0, 0, 0]));
        assert!(!check_len(&[0x80, 201, 0, 2, 0, 0, 0, 0]));
        assert!(check_len(&[0x80, 201, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 9]));
        assert!(!len_fits(-1, 0));
    }

    #[test]
    fn check_sr_and_rr_count_report_blocks() {
        let mut sr = [0u8; 52];
        sr[0] = 0x81;
        sr[1] = RTCP_SR;
        assert!(check_sr(&sr));
        assert!(!check_sr(&sr[..51]));
        sr[0] = 0x80;
        assert!(check_sr(&sr[..28]));
        assert!(!check_sr(&sr[..27]));
        let mut rr = [0u8; 32];
        rr[0] = 0x81;
        assert!(check_rr(&rr));
        assert!(!check_rr(&rr[..31]));
        rr[0] = 0x80;
        assert!(check_rr(&rr[..8]));
        assert!(!check_rr(&rr[..7]));
    }

    #[test]
    fn check_fci_follows_janus_arithmetic() {
        // PLI: length 2, 12 bytes, no FCI.
        let pli = [0x81, RTCP_PSFB, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2];
        assert!(check_fci(&pli, 0));
        assert!(!check_fci(&pli, 4));
        // NACK with two FCIs declared but one present.
        let nack = [0x81, RTCP_RTPFB, 0, 4, 0, 0, 0, 1, 0, 0, 0, 2, 0, 1, 0, 0];
        assert!(!check_fci(&nack, 4));
        assert!(!check_fci(&nack, 8));
        let mut two = nack.to_vec();
        two.extend_from_slice(&[0, 5, 0, 0]);
        assert!(check_fci(&two, 4));
        // Sizes Janus would divide by zero with.
        assert!(!check_fci(&two, 2));
        // 12-byte FCIs: (length - 2) / 3 of them.
        assert!(fci_fits(24, 5, 12));
        assert!(!fci_fits(23, 5, 12));
    }

    #[test]
    fn check_remb_counts_ssrcs() {
        let mut remb = [0u8; 24];
        remb[FCI_OFFSET + 4] = 3;
        assert!(check_remb(&remb));
        remb[FCI_OFFSET + 4] = 4;
        assert!(!check_remb(&remb));
        assert!(!check_remb(&remb[..23]));
    }

    #[test]
    fn walk_visits_each_packet_and_stops_on_zero_length() {
        let mut buf = vec![0x80, RTCP_RR, 0, 1, 0, 0, 0, 1];
        buf.extend_from_slice(&[0x80, RTCP_BYE, 0, 0, 0, 0, 0, 1]);
        buf.extend_from_slice(&[0x80, RTCP_APP, 0, 1, 0, 0, 0, 1]);
        let types: Vec<_> = packets(&buf).map(|p| p.unwrap().packet_type()).collect();
        assert_eq!(types, [RTCP_RR, RTCP_BYE]);
    }

    #[test]
    fn walk_reports_a_lying_length_once() {
        let buf = [0x80, RTCP_RR, 0, 1, 0, 0, 0, 1, 0x80, RTCP_RR, 0xff, 0xff, 0, 0, 0, 0];
        let steps: Vec<_> = packets(&buf).map(|p| p.map(|p| p.packet_type())).collect();
        assert_eq!(steps, [Ok(RTCP_RR), Err(Malformed)]);
        let v1 = [0x40, RTCP_RR, 0, 1, 0, 0, 0, 1];
        assert_eq!(packets(&v1).map(|p| p.is_err()).collect::<Vec<_>>(), [true]);
        assert_eq!(packets(&[]).count(), 1);
    }
}
