//! The codecs Janus knows by name (`janus_audiocodec`, `janus_videocodec`), the payload types
//! it offers for them, and keyframe detection on RTP payloads of each video codec.

/// `janus_audiocodec`, same numbering.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum AudioCodec {
    None = 0,
    Opus,
    MultiOpus,
    OpusRed,
    Pcmu,
    Pcma,
    G722,
    Isac32K,
    Isac16K,
    L16_48K,
    L16_16K,
}

/// `(codec, name, payload type)`; the name order is also the lookup order of `from_name`.
const AUDIO: [(AudioCodec, &str, i32); 11] = [
    (AudioCodec::None, "none", -1),
    (AudioCodec::Opus, "opus", 111),
    (AudioCodec::MultiOpus, "multiopus", 111),
    (AudioCodec::OpusRed, "red", 120),
    (AudioCodec::Pcmu, "pcmu", 0),
    (AudioCodec::Pcma, "pcma", 8),
    (AudioCodec::G722, "g722", 9),
    (AudioCodec::Isac32K, "isac32", 104),
    (AudioCodec::Isac16K, "isac16", 103),
    (AudioCodec::L16_48K, "l16-48", 105),
    (AudioCodec::L16_16K, "l16", 106),
];

impl AudioCodec {
    /// From the C enum value; `None` out of range (Janus' `default:` branches then act as
    /// for Opus).
    pub fn from_raw(value: i32) -> Option<AudioCodec> {
        AUDIO.iter().find(|(c, _, _)| *c as i32 == value).map(|e| e.0)
    }

    /// Case-insensitive; "none" is not a name Janus accepts, anything unknown is `None`.
    pub fn from_name(name: &[u8]) -> AudioCodec {
        AUDIO[1..].iter().find(|(_, n, _)| n.as_bytes().eq_ignore_ascii_case(name)).map_or(AudioCodec::None, |e| e.0)
    }

    pub fn name(self) -> &'static str {
        AUDIO[self as usize].1
    }

    /// The payload type Janus offers for this codec, -1 for `None`.
    pub fn payload_type(self) -> i32 {
        AUDIO[self as usize].2
    }
}

/// `janus_videocodec`, same numbering.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum VideoCodec {
    None = 0,
    Vp8,
    Vp9,
    H264,
    Av1,
    H265,
}

const VIDEO: [(VideoCodec, &str, i32); 6] = [
    (VideoCodec::None, "none", -1),
    (VideoCodec::Vp8, "vp8", 96),
    (VideoCodec::Vp9, "vp9", 101),
    (VideoCodec::H264, "h264", 107),
    (VideoCodec::Av1, "av1", 98),
    (VideoCodec::H265, "h265", 100),
];

impl VideoCodec {
    /// From the C enum value; `None` out of range (Janus' name/payload type lookups then act
    /// as for VP8, its simulcast code as for no codec).
    pub fn from_raw(value: i32) -> Option<VideoCodec> {
        VIDEO.iter().find(|(c, _, _)| *c as i32 == value).map(|e| e.0)
    }

    pub fn from_name(name: &[u8]) -> VideoCodec {
        VIDEO[1..].iter().find(|(_, n, _)| n.as_bytes().eq_ignore_ascii_case(name)).map_or(VideoCodec::None, |e| e.0)
    }

    pub fn name(self) -> &'static str {
        VIDEO[self as usize].1
    }

    pub fn payload_type(self) -> i32 {
        VIDEO[self as usize].2
    }

    /// Whether `payload` starts a keyframe, for every codec Janus can tell (the NACK
    /// optimizations); `false` for none.
    pub fn is_keyframe(self, payload: &[u8]) -> bool {
        match self {
            VideoCodec::Vp8 => vp8_is_keyframe(payload),
            VideoCodec::Vp9 => vp9_is_keyframe(payload),
            VideoCodec::H264 => h264_is_keyframe(payload),
            VideoCodec::Av1 => av1_is_keyframe(payload),
            VideoCodec::H265 => h265_is_keyframe(payload),
            VideoCodec::None => false,
        }
    }

    /// Keyframe detection as the simulcast code uses it: VP8, VP9 and H.264 only.
    pub fn simulcast_keyframe(self, payload: &[u8]) -> bool {
        match self {
            VideoCodec::Vp8 => vp8_is_keyframe(payload),
            VideoCodec::Vp9 => vp9_is_keyframe(payload),
            VideoCodec::H264 => h264_is_keyframe(payload),
            _ => false,
        }
    }
}

/// Length of the VP8 payload descriptor (RFC 7741 section 4.2) at the start of `payload`, if
/// all its bytes are there.
pub(crate) fn vp8_descriptor_len(payload: &[u8]) -> Option<usize> {
    let first = *payload.first()?;
    if first & 0x80 == 0 {
        return Some(1);
    }
    let ext = *payload.get(1)?;
    let mut len = 2;
    if ext & 0x80 != 0 {
        len += if payload.get(2)? & 0x80 != 0 { 2 } else { 1 };
    }
    if ext & 0x40 != 0 {
        len += 1;
    }
    if ext & 0x30 != 0 {
        len += 1;
    }
    (payload.len() >= len).then_some(len)
}

/// `janus_vp8_is_keyframe`: a start-of-partition packet whose VP8 payload header has P=0 and
/// the keyframe start code 9d 01 2a. Janus wants at least 16 bytes.
pub fn vp8_is_keyframe(payload: &[u8]) -> bool {
    if payload.len() < 16 {
        return false;
    }
    let Some(start) = vp8_descriptor_len(payload) else { return false };
    let Some(frame) = payload.get(start..start + 6) else { return false };
    payload[0] & 0x10 != 0 && frame[0] & 0x01 == 0 && frame[3..6] == [0x9d, 0x01, 0x2a]
}

/// `janus_vp9_is_keyframe`: Janus looks for a scalability structure (V bit) with resolutions
/// (Y bit) and calls the packet a keyframe if one of them is non-zero. At least 16 bytes.
pub fn vp9_is_keyframe(payload: &[u8]) -> bool {
    if payload.len() < 16 {
        return false;
    }
    let pd = payload[0];
    let (i, p, l, f, v) = (pd & 0x80 != 0, pd & 0x40 != 0, pd & 0x20 != 0, pd & 0x10 != 0, pd & 0x02 != 0);
    let mut at = 1;
    if i {
        at += if payload[at] & 0x80 != 0 { 2 } else { 1 };
    }
    if l {
        at += if f { 1 } else { 2 };
    }
    if f && p {
        // Reference indices, each with an N bit saying whether another follows.
        loop {
            let Some(&b) = payload.get(at) else { return false };
            at += 1;
            if at >= payload.len() {
                return false;
            }
            if b & 0x01 == 0 {
                break;
            }
        }
    }
    if !v {
        return false;
    }
    let Some(&ss) = payload.get(at) else { return false };
    if ss & 0x10 == 0 {
        return false;
    }
    at += 1;
    if at >= payload.len() {
        return false;
    }
    let layers = usize::from(ss >> 5) + 1;
    payload[at..].chunks_exact(4).take(layers).any(|wh| wh != [0, 0, 0, 0])
}

/// `janus_h264_is_keyframe`: an SPS, alone, as the first fragment of an FU-A/FU-B, or inside
/// a STAP-A. Janus wants at least 6 bytes.
pub fn h264_is_keyframe(payload: &[u8]) -> bool {
    if payload.len() < 6 {
        return false;
    }
    let fragment = payload[0] & 0x1f;
    let nal = payload[1] & 0x1f;
    if fragment == 7 || ((fragment == 28 || fragment == 29) && nal == 7) {
        return true;
    }
    if fragment == 24 {
        // STAP-A: 16-bit size then NAL unit, repeated; Janus keeps going while 3 bytes are left.
        let mut at = 1;
        while payload.len().saturating_sub(at) > 2 {
            let size = usize::from(u16::from_be_bytes([payload[at], payload[at + 1]]));
            if payload[at + 2] & 0x1f == 7 {
                return true;
            }
            at += 2 + size;
        }
    }
    false
}

/// `janus_av1_is_keyframe`: Janus' heuristic, aggregation header with Z=0 and N=1 (first
/// packet of a new coded video sequence). At least 3 bytes.
pub fn av1_is_keyframe(payload: &[u8]) -> bool {
    payload.len() >= 3 && payload[0] & 0x80 == 0 && payload[0] & 0x08 != 0
}

/// `janus_h265_is_keyframe`: VPS/SPS/PPS or an IRAP picture (types 16..21), per Janus.
pub fn h265_is_keyframe(payload: &[u8]) -> bool {
    payload.len() >= 2 && matches!((payload[0] & 0x7e) >> 1, 16..=21 | 32..=34)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn names_and_payload_types() {
        assert_eq!(AudioCodec::from_name(b"OPUS"), AudioCodec::Opus);
        assert_eq!(AudioCodec::from_name(b"l16"), AudioCodec::L16_16K);
        assert_eq!(AudioCodec::from_name(b"none"), AudioCodec::None);
        assert_eq!(AudioCodec::OpusRed.name(), "red");
        assert_eq!(AudioCodec::OpusRed.payload_type(), 120);
        assert_eq!(AudioCodec::MultiOpus.payload_type(), 111);
        assert_eq!(AudioCodec::Isac16K.payload_type(), 103);
        assert_eq!(AudioCodec::None.payload_type(), -1);
        assert_eq!(AudioCodec::from_raw(42), None);
        assert_eq!(AudioCodec::from_raw(10).map(AudioCodec::name), Some("l16"));
        assert_eq!(VideoCodec::from_name(b"H265"), VideoCodec::H265);
        assert_eq!(VideoCodec::from_name(b"theora"), VideoCodec::None);
        assert_eq!(VideoCodec::Av1.payload_type(), 98);
        assert_eq!(VideoCodec::H264.payload_type(), 107);
        assert_eq!(VideoCodec::None.name(), "none");
        assert_eq!(VideoCodec::from_raw(-3), None);
        assert_eq!(VideoCodec::from_raw(5), Some(VideoCodec::H265));
    }

    /// A VP8 payload: descriptor with X/I(M)/L/T, S bit as given, then a payload header.
    pub(crate) fn vp8_payload(start: bool, key: bool, picid: u16, tl0: u8, tid: u8) -> Vec<u8> {
        let mut p = vec![0x80 | if start { 0x10 } else { 0 }, 0xe0];
        p.extend_from_slice(&(0x8000 | picid).to_be_bytes());
        p.push(tl0);
        p.push(tid << 6);
        p.extend_from_slice(&[if key { 0x10 } else { 0x11 }, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01]);
        p
    }

    #[test]
    fn vp8_keyframes() {
        assert!(vp8_is_keyframe(&vp8_payload(true, true, 5, 1, 0)));
        assert!(!vp8_is_keyframe(&vp8_payload(true, false, 5, 1, 0)));
        assert!(!vp8_is_keyframe(&vp8_payload(false, true, 5, 1, 0)));
        // Short descriptor only (no X bit).
        let mut p = vec![0x10, 0x50, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01];
        p.resize(16, 0);
        assert!(vp8_is_keyframe(&p));
        p[5] = 0x02;
        assert!(!vp8_is_keyframe(&p));
        assert!(!vp8_is_keyframe(&p[..15]));
    }

    #[test]
    fn vp9_keyframes() {
        // I+M picture id, L, V; non-flexible: layer byte + TL0PICIDX; SS with Y, 1 layer 640x480.
        let mut p = vec![0xa2 | 0x08, 0x80, 0x01, 0x00, 0x00, 0x18, 0x02, 0x80, 0x01, 0xe0, 0x01, 0x04, 0, 0, 0, 0];
        assert!(vp9_is_keyframe(&p));
        p[0] &= !0x02;
        assert!(!vp9_is_keyframe(&p));
        // Zero resolution is not a keyframe.
        let p = [0x02, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        assert!(!vp9_is_keyframe(&p));
        // Flexible mode with P: reference indices skipped until N=0.
        let p = [0xd2, 0x05, 0x03, 0x02, 0x18, 0x01, 0x40, 0x00, 0xf0, 0, 0, 0, 0, 0, 0, 0];
        assert!(vp9_is_keyframe(&p));
        // Reference indices running to the end.
        assert!(!vp9_is_keyframe(&[0x52, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]));
    }

    #[test]
    fn h264_keyframes() {
        assert!(h264_is_keyframe(&[0x67, 0x42, 0, 0x1f, 0, 0]));
        assert!(h264_is_keyframe(&[0x7c, 0x87, 0, 0, 0, 0]));
        assert!(!h264_is_keyframe(&[0x7c, 0x85, 0, 0, 0, 0]));
        assert!(!h264_is_keyframe(&[0x65, 0x88, 0, 0, 0, 0]));
        assert!(!h264_is_keyframe(&[0x67, 0, 0, 0, 0]));
        // STAP-A: SEI (2 bytes) then SPS.
        assert!(h264_is_keyframe(&[0x78, 0, 2, 0x06, 0xff, 0, 3, 0x67, 1, 2]));
        // STAP-A with a PPS only; a size running past the end stops the walk.
        assert!(!h264_is_keyframe(&[0x78, 0, 2, 0x68, 0xff, 0, 3, 0x68, 1, 2]));
        assert!(!h264_is_keyframe(&[0x78, 0xff, 0xff, 0x06, 0x67, 0x67, 0x67]));
    }

    #[test]
    fn av1_and_h265_keyframes() {
        assert!(av1_is_keyframe(&[0x08, 0, 0]));
        assert!(!av1_is_keyframe(&[0x88, 0, 0]));
        assert!(!av1_is_keyframe(&[0x10, 0, 0]));
        assert!(!av1_is_keyframe(&[0x08, 0]));
        assert!(h265_is_keyframe(&[0x40, 0x01])); // VPS (32)
        assert!(h265_is_keyframe(&[0x26, 0x01])); // IDR_W_RADL (19)
        assert!(h265_is_keyframe(&[0x44, 0x01])); // PPS (34)
        assert!(!h265_is_keyframe(&[0x02, 0x01])); // TRAIL_R (1)
        assert!(!h265_is_keyframe(&[0x62, 0x01])); // FU (49)
        assert!(!h265_is_keyframe(&[0x40]));
    }
}
