//! Building feedback packets (RFC 4585 PLI and generic NACK, RFC 5104 FIR, the REMB draft,
//! RFC 3550 SDES CNAME) into caller-provided buffers, and reading/capping REMB bitrates.
//!
//! Generators follow Janus' contracts: the same size requirements, the whole buffer zeroed
//! first, sender and media SSRCs left at zero for the caller to fill, and the length written
//! returned (`None` where Janus returns -1).

use super::packet::{packets, set_u16, set_u32, write_header, Compound, Malformed, FCI_OFFSET, RTCP_PSFB, RTCP_RTPFB, RTCP_SDES};

/// PSFB FMT values.
pub const FMT_PLI: u8 = 1;
pub const FMT_FIR: u8 = 4;
pub const FMT_AFB: u8 = 15;
/// RTPFB FMT values.
pub const FMT_NACK: u8 = 1;
pub const FMT_TWCC: u8 = 15;

/// `janus_rtcp_pli`: the buffer must be exactly 12 bytes.
pub fn pli(buf: &mut [u8]) -> Option<usize> {
    if buf.len() != 12 {
        return None;
    }
    buf.fill(0);
    write_header(buf, FMT_PLI, RTCP_PSFB, 2);
    Some(12)
}

/// `janus_rtcp_fir`: the buffer must be exactly 20 bytes. `seqnr` is the stream's FIR
/// sequence number: incremented first (back to 0 outside 0..=255), then written.
pub fn fir(buf: &mut [u8], seqnr: &mut i32) -> Option<usize> {
    if buf.len() != 20 {
        return None;
    }
    buf.fill(0);
    *seqnr = seqnr.wrapping_add(1);
    if !(0..256).contains(seqnr) {
        *seqnr = 0;
    }
    write_header(buf, FMT_FIR, RTCP_PSFB, 4);
    // FCI: SSRC (left 0), then the 8-bit sequence number and 24 reserved bits.
    buf[FCI_OFFSET + 4] = *seqnr as u8;
    Some(20)
}

/// Bitrate to REMB exponent and 18-bit mantissa, Janus' way: the smallest exponent whose
/// (32-bit, truncating) `0x3FFFF << exp` reaches the bitrate. Bitrates above 0xFFFFC000 find
/// none and come out as exponent 0, mantissa `bitrate >> 31`, as in Janus.
pub fn remb_encode(bitrate: u32) -> (u8, u32) {
    match (0..32u32).find(|&b| bitrate <= 0x3FFFFu32 << b) {
        Some(exp) => (exp as u8, bitrate >> exp),
        None => (0, bitrate >> 31),
    }
}

/// The bitrate in a REMB's `num SSRC | exp | mantissa` word, truncated to 32 bits as Janus
/// does (the exponent can reach 63).
pub fn remb_decode(word: [u8; 4]) -> u32 {
    let exp = (word[1] >> 2) & 0x3f;
    let mantissa = (u32::from(word[1] & 0x03) << 16) | (u32::from(word[2]) << 8) | u32::from(word[3]);
    (u64::from(mantissa) << exp) as u32
}

fn write_remb_bitrate(word: &mut [u8], bitrate: u32) {
    let (exp, mantissa) = remb_encode(bitrate);
    word[1] = (exp << 2) | ((mantissa >> 16) & 0x03) as u8;
    word[2] = (mantissa >> 8) as u8;
    word[3] = mantissa as u8;
}

/// `janus_rtcp_remb_ssrcs`: a REMB announcing `numssrc` SSRCs (left zero), in a buffer of at
/// least `20 + 4 * numssrc` bytes; the whole buffer is zeroed.
pub fn remb_ssrcs(buf: &mut [u8], bitrate: u32, numssrc: u8) -> Option<usize> {
    let size = 20 + 4 * usize::from(numssrc);
    if numssrc == 0 || buf.len() < size {
        return None;
    }
    buf.fill(0);
    write_header(buf, FMT_AFB, RTCP_PSFB, (size / 4 - 1) as u16);
    buf[FCI_OFFSET..FCI_OFFSET + 4].copy_from_slice(b"REMB");
    buf[FCI_OFFSET + 4] = numssrc;
    write_remb_bitrate(&mut buf[FCI_OFFSET + 4..FCI_OFFSET + 8], bitrate);
    Some(size)
}

/// `janus_rtcp_remb`: a REMB for a single SSRC (24 bytes).
pub fn remb(buf: &mut [u8], bitrate: u32) -> Option<usize> {
    remb_ssrcs(buf, bitrate, 1)
}

/// A REMB listing `ssrcs` (1 to 255 of them), what the core sends after `remb_ssrcs`.
pub fn remb_for(buf: &mut [u8], bitrate: u32, ssrcs: &[u32]) -> Option<usize> {
    let size = remb_ssrcs(buf, bitrate, u8::try_from(ssrcs.len()).ok()?)?;
    for (i, ssrc) in ssrcs.iter().enumerate() {
        set_u32(buf, FCI_OFFSET + 8 + 4 * i, *ssrc);
    }
    Some(size)
}

fn is_remb(p: &super::Packet<'_>) -> bool {
    p.packet_type() == RTCP_PSFB && p.rc() == FMT_AFB && p.check_remb() && &p.rest()[FCI_OFFSET..FCI_OFFSET + 4] == b"REMB"
}

/// `janus_rtcp_get_remb`: the bitrate of the first REMB in the compound, 0 if none.
pub fn get_remb(buf: &[u8]) -> u32 {
    packets(buf).map_while(Result::ok).find(is_remb).map_or(0, |p| {
        let w = &p.rest()[FCI_OFFSET + 4..FCI_OFFSET + 8];
        remb_decode([w[0], w[1], w[2], w[3]])
    })
}

/// `janus_rtcp_cap_remb`: rewrites the bitrate of every REMB in the compound to `bitrate`
/// (Janus replaces rather than caps); 0 means "no cap" and changes nothing.
pub fn cap_remb(buf: &mut [u8], bitrate: u32) -> Result<(), Malformed> {
    if bitrate == 0 {
        return Ok(());
    }
    let mut walk = Compound::new();
    while let Some(step) = walk.next_in(buf) {
        let pos = step?;
        if is_remb(&super::packet::packet_at(buf, pos)) {
            let word = pos + FCI_OFFSET + 4;
            write_remb_bitrate(&mut buf[word..word + 4], bitrate);
        }
    }
    Ok(())
}

/// `janus_rtcp_sdes_cname`: an SDES with one chunk (SSRC left 0) holding a CNAME item, padded
/// to 32 bits. The buffer is zeroed and the header written even when it turns out too small.
pub fn sdes_cname(buf: &mut [u8], cname: &[u8]) -> Option<usize> {
    if buf.is_empty() || cname.is_empty() {
        return None;
    }
    buf.fill(0);
    write_header(buf, 1, RTCP_SDES, 0);
    // Header and chunk SSRC, item type and length, the name, a terminating null item.
    let size = (8 + cname.len() + 3 + 3) & 0xfffc;
    // The second test only matters for names so long that Janus' 16-bit mask truncates.
    if buf.len() < size || buf.len() < 10 + cname.len() {
        return None;
    }
    set_u16(buf, 2, (size / 4 - 1) as u16);
    buf[8] = 1; // CNAME
    buf[9] = cname.len() as u8;
    buf[10..10 + cname.len()].copy_from_slice(cname);
    Some(size)
}

/// `janus_rtcp_nacks`: a generic NACK for `seqs` (at least one; the buffer at least 16
/// bytes). Like Janus it expects `seqs` sorted: a number not above the current block's PID
/// is skipped (so wrap-around is not handled), one within 16 sets a bit of the block's
/// bitmask, a farther one opens a new block; `None` when the blocks outgrow the buffer.
pub fn nacks(buf: &mut [u8], seqs: &[u16]) -> Option<usize> {
    let (&first, rest) = seqs.split_first()?;
    if buf.len() < 16 {
        return None;
    }
    buf.fill(0);
    write_header(buf, FMT_NACK, RTCP_RTPFB, 0);
    let mut words = 3usize;
    let mut pid = first;
    let mut blp = 0u16;
    set_u16(buf, FCI_OFFSET, pid);
    for &seq in rest {
        let distance = i32::from(seq) - i32::from(pid);
        if distance < 1 {
            continue;
        }
        if distance > 16 {
            words += 1;
            if buf.len() < words * 4 + 4 {
                return None;
            }
            pid = seq;
            blp = 0;
            set_u16(buf, words * 4, pid);
        } else {
            blp |= 1 << (distance - 1);
            set_u16(buf, words * 4 + 2, blp);
        }
    }
    set_u16(buf, 2, words as u16);
    Some(words * 4 + 4)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pli_bytes() {
        let mut buf = [0xaa; 12];
        assert_eq!(pli(&mut buf), Some(12));
        assert_eq!(buf, [0x81, 0xce, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(pli(&mut [0u8; 16]), None);
        assert_eq!(pli(&mut [0u8; 11]), None);
    }

    #[test]
    fn fir_bytes_and_sequence() {
        let mut buf = [0xaa; 20];
        let mut seq = 0;
        assert_eq!(fir(&mut buf, &mut seq), Some(20));
        assert_eq!(seq, 1);
        assert_eq!(buf, [0x84, 0xce, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0]);
        let mut seq = 255;
        fir(&mut buf, &mut seq).unwrap();
        assert_eq!((seq, buf[16]), (0, 0));
        let mut seq = i32::MAX;
        fir(&mut buf, &mut seq).unwrap();
        assert_eq!(seq, 0);
        let mut seq = 7;
        assert_eq!(fir(&mut [0u8; 24], &mut seq), None);
        assert_eq!(seq, 7);
    }

    #[test]
    fn remb_bytes() {
        let mut buf = [0xaa; 24];
        assert_eq!(remb(&mut buf, 128_000), Some(24));
        // 128000 fits the 18-bit mantissa: exponent 0, mantissa 0x1F400.
        assert_eq!(buf, [0x8f, 0xce, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, b'R', b'E', b'M', b'B', 1, 0x01, 0xf4, 0x00, 0, 0, 0, 0]);
        // 1 Mbps: exponent 2, mantissa 250000 = 0x3D090.
        remb(&mut buf, 1_000_000).unwrap();
        assert_eq!(&buf[16..20], &[1, 0x0b, 0xd0, 0x90]);
        let mut three = [0u8; 32];
        assert_eq!(remb_ssrcs(&mut three, 64_000, 3), Some(32));
        assert_eq!(&three[..4], &[0x8f, 0xce, 0, 7]);
        assert_eq!(three[16], 3);
        assert_eq!(remb_ssrcs(&mut three, 64_000, 4), None);
        assert_eq!(remb_ssrcs(&mut three, 64_000, 0), None);
        let mut listed = [0u8; 28];
        assert_eq!(remb_for(&mut listed, 300_000, &[0x01020304, 0x05060708]), Some(28));
        assert_eq!(&listed[16..28], &[2, 0x06, 0x49, 0xf0, 1, 2, 3, 4, 5, 6, 7, 8]);
    }

    #[test]
    fn remb_round_trips() {
        let mut buf = [0u8; 24];
        for bitrate in [0u32, 1, 0x3FFFF, 0x40000, 128_000, 1_000_000, 2_500_000_000, 0xFFFFC000] {
            remb(&mut buf, bitrate).unwrap();
            let got = get_remb(&buf);
            let (exp, _) = remb_encode(bitrate);
            // Only the bits below the exponent are lost.
            assert_eq!(got, bitrate >> exp << exp, "bitrate {bitrate}");
            assert!(bitrate - got < 1 << exp);
        }
        // Past 0xFFFFC000 no exponent fits and Janus encodes mantissa 1, exponent 0.
        remb(&mut buf, u32::MAX).unwrap();
        assert_eq!(get_remb(&buf), 1);
        // Decoding truncates to 32 bits.
        assert_eq!(remb_decode([0, 0xfc, 0, 1]), 0);
        assert_eq!(remb_decode([0, 0x7c, 0, 1]), 0x8000_0000);
    }

    #[test]
    fn get_remb_needs_the_identifier_and_fitting_ssrcs() {
        let mut buf = [0u8; 24];
        remb(&mut buf, 500_000).unwrap();
        let mut c = vec![0x81, 201, 0, 1, 0, 0, 0, 1];
        c.extend_from_slice(&buf);
        assert_eq!(get_remb(&c), 500_000);
        buf[15] = b'X';
        assert_eq!(get_remb(&buf), 0);
        buf[15] = b'B';
        buf[16] = 4;
        assert_eq!(get_remb(&buf), 0);
    }

    #[test]
    fn cap_remb_rewrites_every_remb() {
        let mut one = [0u8; 24];
        remb(&mut one, 5_000_000).unwrap();
        let mut c = [one, one].concat();
        cap_remb(&mut c, 256_000).unwrap();
        assert_eq!(get_remb(&c), 256_000);
        assert_eq!(get_remb(&c[24..]), 256_000);
        cap_remb(&mut c, 0).unwrap();
        assert_eq!(get_remb(&c), 256_000);
        c[0] = 0x4f;
        assert_eq!(cap_remb(&mut c, 1), Err(Malformed));
    }

    #[test]
    fn sdes_cname_bytes() {
        let mut buf = [0xaa; 32];
        assert_eq!(sdes_cname(&mut buf, b"gateway"), Some(20));
        let mut want = [0u8; 32];
        want[..20].copy_from_slice(&[0x81, 0xca, 0, 4, 0, 0, 0, 0, 1, 7, b'g', b'a', b't', b'e', b'w', b'a', b'y', 0, 0, 0]);
        assert_eq!(buf, want);
        // 8 + 3 + 5 = 16 exactly: no padding beyond the terminator.
        assert_eq!(sdes_cname(&mut buf, b"abcde"), Some(16));
        assert_eq!(sdes_cname(&mut buf[..15], b"abcde"), None);
        assert_eq!(sdes_cname(&mut buf, b""), None);
    }

    #[test]
    fn nack_bytes() {
        let mut buf = [0xaa; 16];
        assert_eq!(nacks(&mut buf, &[100]), Some(16));
        assert_eq!(buf, [0x81, 0xcd, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 100, 0, 0]);
        // 101 and 103 and 116 fold into the first block; 117 opens a second; 90 and the
        // repeated 117 are skipped.
        let mut buf = [0u8; 24];
        assert_eq!(nacks(&mut buf, &[100, 101, 90, 103, 116, 117, 117, 118]), Some(20));
        assert_eq!(&buf[..20], &[0x81, 0xcd, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 100, 0x80, 0x05, 0, 117, 0, 1]);
        // The parser reads back what was written.
        let seqs: Vec<u16> = super::super::query::get_nacks(&buf[..20]).unwrap().collect();
        assert_eq!(seqs, [100, 101, 103, 116, 117, 118]);
        assert_eq!(nacks(&mut [0u8; 16], &[1, 40]), None);
        assert_eq!(nacks(&mut [0u8; 16], &[]), None);
        assert_eq!(nacks(&mut [0u8; 15], &[1]), None);
    }
}
