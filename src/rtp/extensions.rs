//! RTP header extensions (RFC 8285): finding an element by id in the one-byte (0xBEDE) or
//! two-byte (0x100x) form, and the parsers/rewriters Janus has for the extensions it knows.
//!
//! Janus only looks at the extension block when the packet goes on past it (there must be at
//! least one byte after the block), and reports an element only if it fits in the block; we
//! keep both rules so the answers match, but never index outside the packet.

use super::header::{RtpHeader, RTP_HEADER_SIZE};

pub const EXTMAP_AUDIO_LEVEL: &str = "urn:ietf:params:rtp-hdrext:ssrc-audio-level";
pub const EXTMAP_TOFFSET: &str = "urn:ietf:params:rtp-hdrext:toffset";
pub const EXTMAP_ABS_SEND_TIME: &str = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time";
pub const EXTMAP_VIDEO_ORIENTATION: &str = "urn:3gpp:video-orientation";
pub const EXTMAP_TRANSPORT_WIDE_CC: &str = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";
pub const EXTMAP_PLAYOUT_DELAY: &str = "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay";
pub const EXTMAP_MID: &str = "urn:ietf:params:rtp-hdrext:sdes:mid";
pub const EXTMAP_RID: &str = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id";
pub const EXTMAP_REPAIRED_RID: &str = "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id";

/// `janus_rtp_extension_id`: the id Janus offers for each extension it negotiates itself
/// (case-insensitive match of the URI), 0 for anything else.
pub fn default_id(uri: &[u8]) -> i32 {
    const TABLE: [(&str, i32); 9] = [
        (EXTMAP_AUDIO_LEVEL, 1),
        (EXTMAP_TOFFSET, 14),
        (EXTMAP_ABS_SEND_TIME, 2),
        (EXTMAP_VIDEO_ORIENTATION, 13),
        (EXTMAP_TRANSPORT_WIDE_CC, 3),
        (EXTMAP_PLAYOUT_DELAY, 12),
        (EXTMAP_MID, 4),
        (EXTMAP_RID, 5),
        (EXTMAP_REPAIRED_RID, 6),
    ];
    TABLE.iter().find(|(name, _)| name.as_bytes().eq_ignore_ascii_case(uri)).map_or(0, |&(_, id)| id)
}

/// `janus_rtp_header_extension_get_id`: the id of the first `a=extmap:<id> ...` line, from
/// the first `m=` on, that mentions `extension`; -2 if there is none. Like Janus, only lines
/// terminated by `\n` are looked at, and only the number after `a=extmap:` has to parse.
pub fn id_from_sdp(sdp: &[u8], extension: &[u8]) -> i32 {
    let Some(start) = find(sdp, b"m=") else { return -2 };
    let mut rest = &sdp[start..];
    while let Some(nl) = rest.iter().position(|&b| b == b'\n') {
        let line = &rest[..nl];
        rest = &rest[nl + 1..];
        if find(line, b"a=extmap").is_some() && find(line, extension).is_some() {
            if let Some(id) = line.strip_prefix(b"a=extmap:").and_then(scan_int) {
                return id;
            }
        }
    }
    -2
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// What `sscanf("%d")` accepts: blanks, an optional sign, at least one digit.
fn scan_int(s: &[u8]) -> Option<i32> {
    let s = &s[s.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(s.len())..];
    let (negative, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let n = digits.iter().take_while(|b| b.is_ascii_digit()).count();
    if n == 0 {
        return None;
    }
    let value = digits[..n].iter().fold(0i64, |acc, &d| acc.saturating_mul(10).saturating_add(i64::from(d - b'0')));
    Some((if negative { -value } else { value }) as i32)
}

/// One extension element located in a packet: its data starts at `offset` (absolute, in
/// the packet) and is `len` bytes long (the L field plus one, or the two-byte form's length).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Element {
    pub offset: usize,
    pub len: usize,
}

/// The extension block as Janus accepts it: `(profile, start, length)` of the body, only if
/// the packet is RTP v2 and continues past the body.
fn block(packet: &[u8]) -> Option<(u16, usize, usize)> {
    let header = RtpHeader::new(packet)?;
    if header.version() != 2 || !header.extension() {
        return None;
    }
    let start = RTP_HEADER_SIZE + 4 * header.csrc_count();
    let head = packet.get(start..start + 4)?;
    let profile = u16::from_be_bytes([head[0], head[1]]);
    let len = 4 * usize::from(u16::from_be_bytes([head[2], head[3]]));
    (packet.len() > start + 4 + len).then_some((profile, start + 4, len))
}

/// Walks the elements of the block `(profile, start, len)`, calling `visit(id, data offset
/// in the block, data length)` until it returns true. Lengths are reported even when the
/// element overruns the block, so callers decide.
fn walk(packet: &[u8], (profile, start, len): (u16, usize, usize), mut visit: impl FnMut(u8, usize, usize) -> bool) {
    let body = &packet[start..start + len];
    let mut i = 0;
    if profile == 0xBEDE {
        while i < len {
            let id = body[i] >> 4;
            if id == 0xF {
                break;
            }
            if id == 0 {
                i += 1;
                continue;
            }
            let size = usize::from(body[i] & 0xF) + 1;
            i += 1;
            if visit(id, i, size) {
                return;
            }
            i += size;
        }
    } else if profile == 0x1000 {
        while i + 2 <= len {
            let id = body[i];
            if id == 0 {
                i += 2;
                continue;
            }
            let size = usize::from(body[i + 1]);
            i += 2;
            if visit(id, i, size) {
                return;
            }
            i += size;
        }
    }
}

/// Finds the element with `id` that fits in the block (Janus' `janus_rtp_header_extension_find`).
pub fn find_element(packet: &[u8], id: i32) -> Option<Element> {
    let blk @ (_, start, block_len) = block(packet)?;
    let mut found = None;
    walk(packet, blk, |ext_id, at, len| {
        if i32::from(ext_id) == id && at + len <= block_len {
            found = Some(Element { offset: start + at, len });
        }
        found.is_some()
    });
    found
}

/// Why a parser gave up; the numbers are the ones Janus' parsers return.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParseError {
    /// No such element (or no usable extension block): -1.
    NotFound = -1,
    /// The element is empty: -2.
    Empty = -2,
    /// The element is shorter than the extension's payload: -3.
    TooShort = -3,
}

impl ParseError {
    pub fn code(self) -> i32 {
        self as i32
    }
}

/// First data byte of an element: Janus reads it even for an empty two-byte element, in
/// which case it is the byte after the element (still inside the packet, see [`block`]).
fn first_byte(packet: &[u8], e: Element) -> u8 {
    packet.get(e.offset).copied().unwrap_or(0)
}

/// `ssrc-audio-level` (RFC 6464): `(voice activity, level in -dBov)`.
pub fn audio_level(packet: &[u8], id: i32) -> Option<(bool, u8)> {
    let b = first_byte(packet, find_element(packet, id)?);
    Some((b & 0x80 != 0, b & 0x7f))
}

/// The C, F, R1, R0 bits of 3GPP `video-orientation`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VideoOrientation {
    pub camera: bool,
    pub flip: bool,
    pub r1: bool,
    pub r0: bool,
}

pub fn video_orientation(packet: &[u8], id: i32) -> Option<VideoOrientation> {
    let b = first_byte(packet, find_element(packet, id)?);
    Some(VideoOrientation { camera: b & 8 != 0, flip: b & 4 != 0, r1: b & 2 != 0, r0: b & 1 != 0 })
}

/// `playout-delay`: `(min, max)` in 10 ms units, exactly as Janus 1.1.2 computes them. Janus
/// only loads the 32-bit word when the element has at least 4 bytes and one more byte follows
/// it in the block, and takes the 12-bit fields from bits 23..12 and 11..0 of that word; for
/// the usual 3-byte element it therefore reports 0/0. Plugins see those numbers, so we do too.
pub fn playout_delay(packet: &[u8], id: i32) -> Result<(u16, u16), ParseError> {
    let e = find_element(packet, id).ok_or(ParseError::NotFound)?;
    if e.len < 3 {
        return Err(ParseError::Empty);
    }
    let (_, start, block_len) = block(packet).ok_or(ParseError::NotFound)?;
    let word = if e.len >= 4 && e.offset - start + 4 < block_len {
        let b = &packet[e.offset..e.offset + 4];
        u32::from_be_bytes([b[0], b[1], b[2], b[3]])
    } else {
        0
    };
    Ok((((word & 0x00ff_f000) >> 12) as u16, (word & 0xfff) as u16))
}

/// The bytes of an SDES-style element (`mid`, `rtp-stream-id`, `repaired-rtp-stream-id`) or of
/// a dependency descriptor; `Empty` for a zero-length (two-byte form) element.
pub fn element_bytes(packet: &[u8], id: i32) -> Result<&[u8], ParseError> {
    let e = find_element(packet, id).ok_or(ParseError::NotFound)?;
    if e.len == 0 {
        return Err(ParseError::Empty);
    }
    Ok(&packet[e.offset..e.offset + e.len])
}

/// Copies an SDES item into a C-string buffer of `capacity` bytes (NUL included) as Janus'
/// `parse_mid`/`parse_rid` do: cut to `capacity - 1` bytes, NUL-terminated. Returns the
/// number of bytes copied before the NUL. A buffer without room for the NUL is `TooShort`.
pub fn copy_sdes_item(packet: &[u8], id: i32, out: &mut [u8]) -> Result<usize, ParseError> {
    let item = element_bytes(packet, id)?;
    let room = out.len().checked_sub(1).ok_or(ParseError::TooShort)?;
    let n = item.len().min(room);
    out[..n].copy_from_slice(&item[..n]);
    out[n] = 0;
    Ok(n)
}

/// Copies a dependency descriptor (AV1 RTP spec) into `out`, cut to its size as Janus' parser
/// does (no terminator); the number of bytes copied.
pub fn dependency_descriptor(packet: &[u8], id: i32, out: &mut [u8]) -> Result<usize, ParseError> {
    let item = element_bytes(packet, id)?;
    let n = item.len().min(out.len());
    out[..n].copy_from_slice(&item[..n]);
    Ok(n)
}

/// `abs-send-time`: the 24-bit 6.18 fixed-point value.
pub fn abs_send_time(packet: &[u8], id: i32) -> Result<u32, ParseError> {
    let e = find_element(packet, id).ok_or(ParseError::NotFound)?;
    if e.len < 3 {
        return Err(ParseError::TooShort);
    }
    let b = &packet[e.offset..e.offset + 3];
    Ok(u32::from_be_bytes([0, b[0], b[1], b[2]]))
}

/// Overwrites an existing `abs-send-time` element with the low 24 bits of `value`.
pub fn set_abs_send_time(packet: &mut [u8], id: i32, value: u32) -> Result<(), ParseError> {
    let e = find_element(packet, id).ok_or(ParseError::NotFound)?;
    if e.len < 3 {
        return Err(ParseError::TooShort);
    }
    packet[e.offset..e.offset + 3].copy_from_slice(&value.to_be_bytes()[1..]);
    Ok(())
}

/// The transport-wide congestion control sequence number.
pub fn transport_wide_cc(packet: &[u8], id: i32) -> Result<u16, ParseError> {
    let e = find_element(packet, id).ok_or(ParseError::NotFound)?;
    if e.len < 2 {
        return Err(ParseError::TooShort);
    }
    Ok(u16::from_be_bytes([packet[e.offset], packet[e.offset + 1]]))
}

/// Overwrites an existing transport-wide sequence number element.
pub fn set_transport_wide_cc(packet: &mut [u8], id: i32, seq: u16) -> Result<(), ParseError> {
    let e = find_element(packet, id).ok_or(ParseError::NotFound)?;
    if e.len < 2 {
        return Err(ParseError::TooShort);
    }
    packet[e.offset..e.offset + 2].copy_from_slice(&seq.to_be_bytes());
    Ok(())
}

/// Why `replace_id` did nothing; Janus' codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplaceError {
    TooShort = -1,
    NotVersion2 = -2,
    NotFound = -3,
}

/// `janus_rtp_header_extension_replace_id`: renumbers the first element with `id` (whether or
/// not it fits in the block), e.g. repaired-rid to rid on retransmissions. Janus 1.1.2 reads
/// one-byte ids through a signed `char`, which makes ids 8..14 unmatchable; we read them as
/// the unsigned nibbles they are.
pub fn replace_id(packet: &mut [u8], id: i32, new_id: i32) -> Result<(), ReplaceError> {
    let header = RtpHeader::new(packet).ok_or(ReplaceError::TooShort)?;
    if header.version() != 2 {
        return Err(ReplaceError::NotVersion2);
    }
    let blk @ (profile, start, _) = block(packet).ok_or(ReplaceError::NotFound)?;
    let mut id_at = None;
    walk(packet, blk, |ext_id, at, len| {
        if i32::from(ext_id) == id {
            id_at = Some((start + at, len));
        }
        id_at.is_some()
    });
    let (offset, len) = id_at.ok_or(ReplaceError::NotFound)?;
    if profile == 0xBEDE {
        packet[offset - 1] = ((new_id as u8) << 4).wrapping_add((len - 1) as u8);
    } else {
        packet[offset - 2] = new_id as u8;
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// An RTP v2 packet with a given extension profile and body, plus `payload`.
    pub(crate) fn with_extension(profile: u16, body: &[u8], payload: &[u8]) -> Vec<u8> {
        assert_eq!(body.len() % 4, 0);
        let mut p = vec![0x90, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 9];
        p.extend_from_slice(&profile.to_be_bytes());
        p.extend_from_slice(&((body.len() / 4) as u16).to_be_bytes());
        p.extend_from_slice(body);
        p.extend_from_slice(payload);
        p
    }

    #[test]
    fn default_ids_and_sdp_lookup() {
        assert_eq!(default_id(b"URN:ietf:params:rtp-hdrext:ssrc-audio-level"), 1);
        assert_eq!(default_id(EXTMAP_REPAIRED_RID.as_bytes()), 6);
        assert_eq!(default_id(EXTMAP_TOFFSET.as_bytes()), 14);
        assert_eq!(default_id(b"urn:nope"), 0);
        let sdp = b"v=0\r\na=extmap:9 urn:3gpp:video-orientation\r\nm=audio 9 RTP/AVP 0\r\n\
a=extmap:3 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\na=extmap:7 urn:3gpp:video-orientation\r\n";
        assert_eq!(id_from_sdp(sdp, EXTMAP_AUDIO_LEVEL.as_bytes()), 3);
        // Lines before the first m= are not looked at.
        assert_eq!(id_from_sdp(sdp, EXTMAP_VIDEO_ORIENTATION.as_bytes()), 7);
        assert_eq!(id_from_sdp(sdp, EXTMAP_MID.as_bytes()), -2);
        // The last line counts only if it ends with a newline.
        assert_eq!(id_from_sdp(b"m=video\na=extmap:4 urn:x", b"urn:x"), -2);
        assert_eq!(id_from_sdp(b"m=video\na=extmap: 12/sendonly urn:x\n", b"urn:x"), 12);
        assert_eq!(id_from_sdp(b"m=video\n a=extmap:4 urn:x\n", b"urn:x"), -2);
    }

    #[test]
    fn one_byte_elements() {
        // padding, audio level (id 1, 1 byte), playout delay (id 6, 3 bytes), then 3 of padding
        let p = with_extension(0xBEDE, &[0x00, 0x10, 0xa5, 0x62, 0x12, 0x34, 0x56, 0], &[1]);
        assert_eq!(audio_level(&p, 1), Some((true, 0x25)));
        assert_eq!(find_element(&p, 6), Some(Element { offset: 20, len: 3 }));
        assert_eq!(audio_level(&p, 2), None);
        // The payload must follow the block, else Janus ignores the block.
        assert_eq!(audio_level(&p[..p.len() - 1], 1), None);
    }

    #[test]
    fn reserved_id_ends_the_walk_and_overlong_elements_are_skipped() {
        let p = with_extension(0xBEDE, &[0xf0, 0x10, 0x80, 0], &[1]);
        assert_eq!(audio_level(&p, 1), None);
        // id 2 claims 16 bytes: it does not fit, so it is not found.
        let p = with_extension(0xBEDE, &[0x2f, 1, 2, 3], &[1]);
        assert_eq!(find_element(&p, 2), None);
    }

    #[test]
    fn two_byte_elements() {
        // id 3 len 2, padding, id 5 len 0, id 7 len 3
        let p = with_extension(0x1000, &[3, 2, 0xab, 0xcd, 0, 0, 5, 0, 7, 3, 1, 2, 3, 0, 0, 0], &[9]);
        assert_eq!(transport_wide_cc(&p, 3), Ok(0xabcd));
        assert_eq!(element_bytes(&p, 5), Err(ParseError::Empty));
        assert_eq!(element_bytes(&p, 7), Ok(&[1, 2, 3][..]));
        assert_eq!(abs_send_time(&p, 7), Ok(0x010203));
        assert_eq!(abs_send_time(&p, 3), Err(ParseError::TooShort));
        // Empty element: Janus reads the byte after it.
        assert_eq!(audio_level(&p, 5), Some((false, 7)));
    }

    #[test]
    fn video_orientation_bits() {
        let p = with_extension(0xBEDE, &[0x40, 0x0b, 0, 0], &[1]);
        assert_eq!(video_orientation(&p, 4), Some(VideoOrientation { camera: true, flip: false, r1: true, r0: true }));
    }

    #[test]
    fn playout_delay_as_janus_computes_it() {
        // Standard 3-byte element: Janus never loads the word, so 0/0.
        let p = with_extension(0xBEDE, &[0x62, 0x01, 0x00, 0x64], &[1]);
        assert_eq!(playout_delay(&p, 6), Ok((0, 0)));
        // A 4-byte element with a byte after it: fields from bits 23..12 and 11..0.
        let p = with_extension(0xBEDE, &[0x63, 0xff, 0x01, 0x20, 0x64, 0, 0, 0], &[1]);
        assert_eq!(playout_delay(&p, 6), Ok((0x012, 0x064)));
        let p = with_extension(0xBEDE, &[0x61, 1, 2, 0], &[1]);
        assert_eq!(playout_delay(&p, 6), Err(ParseError::Empty));
        assert_eq!(playout_delay(&p, 5), Err(ParseError::NotFound));
    }

    #[test]
    fn sdes_items_are_cut_to_the_buffer() {
        let p = with_extension(0xBEDE, &[0x52, b'h', b'i', b'!'], &[1]);
        let mut out = [0xffu8; 16];
        assert_eq!(copy_sdes_item(&p, 5, &mut out), Ok(3));
        assert_eq!(&out[..4], b"hi!\0");
        let mut small = [0xffu8; 2];
        assert_eq!(copy_sdes_item(&p, 5, &mut small), Ok(1));
        assert_eq!(&small, b"h\0");
        assert_eq!(copy_sdes_item(&p, 5, &mut []), Err(ParseError::TooShort));
        assert_eq!(copy_sdes_item(&p, 4, &mut out), Err(ParseError::NotFound));
    }

    #[test]
    fn dependency_descriptors_and_mids() {
        let p = with_extension(0x1000, &[10, 5, 0x80, 1, 2, 3, 4, 3, 1, b'0', 0, 0], &[1]);
        let mut dd = [0u8; 8];
        assert_eq!(dependency_descriptor(&p, 10, &mut dd), Ok(5));
        assert_eq!(&dd[..5], &[0x80, 1, 2, 3, 4]);
        assert_eq!(dependency_descriptor(&p, 10, &mut dd[..2]), Ok(2));
        let mut mid = [0u8; 4];
        assert_eq!(copy_sdes_item(&p, 3, &mut mid), Ok(1));
        assert_eq!(&mid[..2], b"0\0");
    }

    #[test]
    fn setters_rewrite_in_place() {
        let mut p = with_extension(0xBEDE, &[0x22, 0, 0, 0, 0x31, 0, 0, 0], &[1]);
        set_abs_send_time(&mut p, 2, 0xaa123456).unwrap();
        assert_eq!(abs_send_time(&p, 2), Ok(0x123456));
        set_transport_wide_cc(&mut p, 3, 0xbeef).unwrap();
        assert_eq!(transport_wide_cc(&p, 3), Ok(0xbeef));
        assert_eq!(set_transport_wide_cc(&mut p, 9, 1), Err(ParseError::NotFound));
    }

    #[test]
    fn replace_ids() {
        let mut p = with_extension(0xBEDE, &[0xb2, 1, 2, 3], &[1]);
        replace_id(&mut p, 11, 10).unwrap();
        assert_eq!(p[16], 0xa2);
        assert_eq!(replace_id(&mut p, 11, 10), Err(ReplaceError::NotFound));
        let mut p = with_extension(0x1000, &[0, 0, 6, 1, 7, 0, 0, 0], &[1]);
        replace_id(&mut p, 6, 5).unwrap();
        assert_eq!(&p[16..20], &[0, 0, 5, 1]);
        assert_eq!(replace_id(&mut p[..11], 5, 4), Err(ReplaceError::TooShort));
        p[0] = 0x50;
        assert_eq!(replace_id(&mut p, 5, 4), Err(ReplaceError::NotVersion2));
    }
}
