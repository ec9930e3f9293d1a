//! The `.mjr` structured recording format (version 2), as `janus-pp-rec` reads it:
//!
//! ```text
//! "MJR00002"                                  written when the file is created
//! u16 BE length, JSON info text               written before the first frame
//! per frame: "MEET", u32 BE milliseconds since the first frame, u16 BE length,
//!            [data only: i64 BE real time in µs, counted in the length], the frame bytes
//! ```

use crate::json::{Json, Object};

/// File magic, with the format version.
pub const MAGIC: &[u8; 8] = b"MJR00002";
/// Starts every frame.
pub const FRAME_MARKER: &[u8; 4] = b"MEET";
/// The longest frame header: marker, time, length, and the data frames' real time.
pub const MAX_FRAME_HEADER: usize = 4 + 4 + 2 + 8;

/// What a recording holds; Janus' `janus_recorder_medium`, with its numeric values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Medium {
    Audio = 0,
    Video = 1,
    Data = 2,
}

impl Medium {
    /// The medium of a codec name Janus can record (case-insensitive), `None` otherwise.
    pub fn for_codec(codec: &str) -> Option<Medium> {
        const VIDEO: &[&str] = &["vp8", "vp9", "h264", "av1", "h265"];
        const AUDIO: &[&str] = &["opus", "multiopus", "g711", "pcmu", "pcma", "g722", "l16-48", "l16"];
        const DATA: &[&str] = &["text", "binary"];
        let is = |names: &[&str]| names.iter().any(|n| n.eq_ignore_ascii_case(codec));
        if is(VIDEO) {
            Some(Medium::Video)
        } else if is(AUDIO) {
            Some(Medium::Audio)
        } else if is(DATA) {
            Some(Medium::Data)
        } else {
            None
        }
    }

    /// The `t` of the info header.
    fn letter(self) -> &'static str {
        match self {
            Medium::Audio => "a",
            Medium::Video => "v",
            Medium::Data => "d",
        }
    }
}

/// What the info header says about a recording.
#[derive(Clone, Copy, Debug)]
pub struct Info<'a> {
    pub medium: Medium,
    pub codec: &'a str,
    pub fmtp: Option<&'a [u8]>,
    pub description: Option<&'a [u8]>,
    /// Extension id and URI, in the order they are to be listed.
    pub extmaps: &'a [(u8, Vec<u8>)],
    /// When the recorder was created, real time in µs.
    pub created: i64,
    /// When the first frame was written, real time in µs.
    pub first_frame: i64,
    pub opusred_pt: i32,
    pub encrypted: bool,
}

impl Info<'_> {
    /// The info header object, keys in Janus' order: `t`, `c`, `f`?, `d`?, `x`?, `s`, `u`,
    /// `or`? (audio with a RED payload type), `e`? (end-to-end encrypted). Text that is not
    /// UTF-8 is left out, as jansson refuses such strings and Janus then skips the key.
    pub fn to_json(&self) -> Json {
        let text = |b: &[u8]| std::str::from_utf8(b).ok().map(Json::from);
        let mut info = Object::new().with("t", self.medium.letter()).with("c", self.codec);
        if let Some(fmtp) = self.fmtp.and_then(text) {
            info.set("f", fmtp);
        }
        if let Some(description) = self.description.and_then(text) {
            info.set("d", description);
        }
        let mut extmaps = Object::new();
        for (id, uri) in self.extmaps {
            if let Some(uri) = text(uri) {
                extmaps.set(id.to_string(), uri);
            }
        }
        if !extmaps.is_empty() {
            info.set("x", extmaps);
        }
        info.set("s", self.created);
        info.set("u", self.first_frame);
        if self.medium == Medium::Audio && self.opusred_pt > 0 {
            info.set("or", self.opusred_pt);
        }
        if self.encrypted {
            info.set("e", true);
        }
        Json::Object(info)
    }
}

/// The length prefix of the info text (truncated to 16 bits, as Janus writes it).
pub fn info_length(text: &str) -> [u8; 2] {
    (text.len() as u16).to_be_bytes()
}

/// Encodes the header of a frame of `length` bytes written `elapsed_ms` after the first one;
/// data frames also carry `real_time` (µs). Returns the buffer and how much of it is used.
pub fn frame_header(medium: Medium, elapsed_ms: u32, length: usize, real_time: i64) -> ([u8; MAX_FRAME_HEADER], usize) {
    let mut h = [0u8; MAX_FRAME_HEADER];
    h[..4].copy_from_slice(FRAME_MARKER);
    h[4..8].copy_from_slice(&elapsed_ms.to_be_bytes());
    if medium == Medium::Data {
        h[8..10].copy_from_slice(&((length + 8) as u16).to_be_bytes());
        h[10..18].copy_from_slice(&real_time.to_be_bytes());
        (h, 18)
    } else {
        h[8..10].copy_from_slice(&(length as u16).to_be_bytes());
        (h, 10)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codecs() {
        assert_eq!(Medium::for_codec("OPUS"), Some(Medium::Audio));
        assert_eq!(Medium::for_codec("l16-48"), Some(Medium::Audio));
        assert_eq!(Medium::for_codec("H265"), Some(Medium::Video));
        assert_eq!(Medium::for_codec("binary"), Some(Medium::Data));
        assert_eq!(Medium::for_codec("isac"), None);
        assert_eq!(Medium::for_codec(""), None);
    }

    #[test]
    fn info_keys_in_order() {
        let extmaps = [(3, b"urn:a".to_vec()), (1, vec![0xff]), (14, b"urn:b".to_vec())];
        let info = Info {
            medium: Medium::Audio,
            codec: "opus",
            fmtp: Some(b"useinbandfec=1"),
            description: Some(b"mic"),
            extmaps: &extmaps,
            created: 10,
            first_frame: 20,
            opusred_pt: 120,
            encrypted: true,
        };
        assert_eq!(
            info.to_json().to_compact_string(),
            r#"{"t":"a","c":"opus","f":"useinbandfec=1","d":"mic","x":{"3":"urn:a","14":"urn:b"},"s":10,"u":20,"or":120,"e":true}"#
        );
        let video = Info { medium: Medium::Video, fmtp: Some(&[0xc3]), description: None, extmaps: &[], encrypted: false, ..info };
        assert_eq!(video.to_json().to_compact_string(), r#"{"t":"v","c":"opus","s":10,"u":20}"#);
    }

    #[test]
    fn frame_headers() {
        let (h, n) = frame_header(Medium::Audio, 0x01020304, 300, 99);
        assert_eq!(&h[..n], b"MEET\x01\x02\x03\x04\x01\x2c");
        let (h, n) = frame_header(Medium::Data, 7, 5, 0x0102030405060708);
        assert_eq!(&h[..n], b"MEET\0\0\0\x07\0\x0d\x01\x02\x03\x04\x05\x06\x07\x08");
        assert_eq!(info_length(&"x".repeat(65537)), [0, 1]);
    }
}
