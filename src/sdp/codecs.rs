//! Codec helpers of `sdp-utils.c`: the codec name <-> rtpmap table, payload type and fmtp
//! lookups, profile matching and the preferred-codec lists, with Janus' substring rules.

use super::scan::atoi;
use super::{AttributeRef, Direction, MediaType, Sdp};

/// Janus' preference order for audio codecs.
pub const PREFERRED_AUDIO_CODECS: [&str; 9] = ["opus", "multiopus", "pcmu", "pcma", "g722", "l16-48", "l16", "isac16", "isac32"];
/// Janus' preference order for video codecs.
pub const PREFERRED_VIDEO_CODECS: [&str; 5] = ["vp8", "vp9", "h264", "av1", "h265"];

/// Codecs Janus negotiates: name, rtpmap it offers, video or not.
const CODECS: [(&str, &str, bool); 15] = [
    ("opus", "opus/48000/2", false),
    // Janus hardcodes 6 channels for multiopus.
    ("multiopus", "multiopus/48000/6", false),
    ("pcmu", "PCMU/8000", false),
    ("pcma", "PCMA/8000", false),
    ("g722", "G722/8000", false),
    ("isac16", "ISAC/16000", false),
    ("isac32", "ISAC/32000", false),
    ("l16-48", "L16/48000", false),
    ("l16", "L16/16000", false),
    ("dtmf", "telephone-event/8000", false),
    ("vp8", "VP8/90000", true),
    ("vp9", "VP9/90000", true),
    ("h264", "H264/90000", true),
    ("av1", "AV1/90000", true),
    ("h265", "H265/90000", true),
];

fn codec_info(codec: &str) -> Option<(&'static str, bool)> {
    CODECS.iter().find(|(n, _, _)| n.eq_ignore_ascii_case(codec)).map(|(_, r, v)| (*r, *v))
}

/// `janus_sdp_get_codec_rtpmap`: the rtpmap Janus writes for a codec name.
pub fn codec_rtpmap(codec: &str) -> Option<&'static str> {
    codec_info(codec).map(|(rtpmap, _)| rtpmap)
}

/// `janus_sdp_get_rtpmap_codec`: the codec an rtpmap value (`OPUS/48000/2`...) stands for.
pub fn rtpmap_codec(rtpmap: &str) -> Option<&'static str> {
    const PREFIXES: [(&str, &str); 15] = [
        ("opus/", "opus"),
        ("multiopus/", "multiopus"),
        ("pcmu/", "pcmu"),
        ("pcma/", "pcma"),
        ("g722/", "g722"),
        ("isac/16", "isac16"),
        ("isac/32", "isac32"),
        ("l16/48", "l16-48"),
        ("l16/16", "l16"),
        ("telephone-event/", "dtmf"),
        ("vp8/", "vp8"),
        ("vp9/", "vp9"),
        ("h264/", "h264"),
        ("av1/", "av1"),
        ("h265/", "h265"),
    ];
    let lower = rtpmap.to_ascii_lowercase();
    PREFIXES.iter().find(|(p, _)| lower.starts_with(p)).map(|(_, c)| *c)
}

/// `g_snprintf` into a small stack buffer of `size` bytes.
fn bounded(mut s: String, size: usize) -> String {
    let mut cut = s.len().min(size - 1);
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    s.truncate(cut);
    s
}

/// `janus_sdp_get_codec_pt_full`: the payload type of `codec` in the matching m-line(s),
/// restricted to an H.264 `profile-level-id` or VP9 `profile-id` when `profile` is given;
/// -1 if not found or the codec is unknown.
pub fn codec_pt(sdp: &Sdp, index: i32, codec: &str, profile: Option<&str>) -> i32 {
    let Some((rtpmap, video)) = codec_info(codec) else {
        return -1;
    };
    let (lower, upper) = (rtpmap.to_ascii_lowercase(), rtpmap.to_ascii_uppercase());
    let vp9 = codec.eq_ignore_ascii_case("vp9");
    let h264 = codec.eq_ignore_ascii_case("h264");
    let wanted = if video { MediaType::Video } else { MediaType::Audio };
    let mut done = false;
    for m in sdp.m_lines.iter().filter(|m| m.mtype == wanted) {
        if done || (index != -1 && index != m.index) {
            continue;
        }
        done = index != -1;
        let mut candidates = Vec::new();
        for a in m.attributes.iter().filter(|a| a.is("rtpmap")) {
            let Some(value) = &a.value else { continue };
            let pt = atoi(value);
            if pt >= 0 && (value.contains(&lower) || value.contains(&upper)) {
                if profile.is_some() && (vp9 || h264) {
                    candidates.push(pt);
                } else {
                    return pt;
                }
            }
        }
        let Some(profile) = profile else { continue };
        for a in m.attributes.iter().filter(|a| a.is("fmtp")) {
            let Some(value) = &a.value else { continue };
            let pt = atoi(value);
            if !candidates.contains(&pt) {
                continue;
            }
            if vp9 {
                if value.contains(&bounded(format!("profile-id={profile}"), 20)) {
                    return pt;
                }
            } else if h264 && !value.contains("packetization-mode=0") {
                // Either case of the hex profile matches.
                for p in [profile.to_ascii_lowercase(), profile.to_ascii_uppercase()] {
                    if value.contains(&bounded(format!("profile-level-id={p}"), 30)) {
                        return pt;
                    }
                }
            }
        }
    }
    -1
}

/// `janus_sdp_get_codec_name`: the codec of a payload type, from the static payload types
/// or the first rtpmap carrying it (then `None` if Janus does not know that codec).
pub fn codec_name(sdp: &Sdp, index: i32, pt: i32) -> Option<&'static str> {
    const NAMES: [(&str, &str, &str); 16] = [
        ("vp8", "VP8", "vp8"),
        ("vp9", "VP9", "vp9"),
        ("h264", "H264", "h264"),
        ("av1", "AV1", "av1"),
        ("h265", "H265", "h265"),
        ("multiopus", "MULTIOPUS", "multiopus"),
        ("opus", "OPUS", "opus"),
        ("pcmu", "PCMU", "pcmu"),
        ("pcma", "PCMA", "pcma"),
        ("g722", "G722", "g722"),
        ("isac/16", "ISAC/16", "isac16"),
        ("isac/32", "ISAC/32", "isac32"),
        ("l16/48", "L16/48", "l16-48"),
        ("l16/16", "L16/16", "l16"),
        // Janus only looks for the lower case spelling here.
        ("telephone-event/8000", "telephone-event/8000", "dtmf"),
        // RED is not a codec, but callers need to spot it.
        ("red", "RED", "red"),
    ];
    match pt {
        _ if pt < 0 => return None,
        0 => return Some("pcmu"),
        8 => return Some("pcma"),
        9 => return Some("g722"),
        _ => {}
    }
    for (_, m) in sdp.mlines_at(index) {
        for a in m.attributes.iter().filter(|a| a.is("rtpmap")) {
            let Some(value) = &a.value else { continue };
            if atoi(value) == pt {
                return NAMES.iter().find(|(l, u, _)| value.contains(l) || value.contains(u)).map(|(_, _, c)| *c);
            }
        }
    }
    None
}

/// `janus_sdp_get_fmtp`: where the parameters of `a=fmtp:<pt> <params>` start.
pub fn fmtp(sdp: &Sdp, index: i32, pt: i32) -> Option<AttributeRef> {
    if pt < 0 {
        return None;
    }
    let needle = bounded(format!("{pt} "), 10);
    for (mi, m) in sdp.mlines_at(index) {
        for (ai, a) in m.attributes.iter().enumerate() {
            let Some(value) = a.value.as_deref().filter(|_| a.is("fmtp")) else { continue };
            if atoi(value) == pt && value.starts_with(&needle) {
                return Some(AttributeRef { mline: mi, attribute: ai, offset: needle.len() });
            }
        }
    }
    None
}

/// The text an [`AttributeRef`] points to.
pub fn attribute_text(sdp: &Sdp, at: AttributeRef) -> Option<&str> {
    let value = sdp.m_lines.get(at.mline)?.attributes.get(at.attribute)?.value.as_deref()?;
    value.get(at.offset..)
}

/// `janus_sdp_get_opusred_pt`: payload type of `red/48000/2` in the audio m-line(s), or -1.
pub fn opusred_pt(sdp: &Sdp, index: i32) -> i32 {
    let mut done = false;
    for m in sdp.m_lines.iter().filter(|m| m.mtype == MediaType::Audio) {
        if done || (index != -1 && index != m.index) {
            continue;
        }
        done = index != -1;
        for a in m.attributes.iter().filter(|a| a.is("rtpmap")) {
            if let Some(value) = a.value.as_deref().filter(|v| v.contains("red/48000/2")) {
                return atoi(value);
            }
        }
    }
    -1
}

/// `janus_videocodec` values Janus extracts profiles for.
pub const VIDEOCODEC_VP9: i32 = 2;
pub const VIDEOCODEC_H264: i32 = 3;

/// `janus_sdp_get_video_profile`: the H.264 `profile-level-id` or VP9 `profile-id` of an
/// fmtp. Like Janus, the value is taken at the needle's length from the start of the
/// `;`-separated parameter that contains it.
pub fn video_profile(codec: i32, fmtp: &str) -> Option<String> {
    let needle = match codec {
        VIDEOCODEC_H264 => "profile-level-id=",
        VIDEOCODEC_VP9 => "profile-id=",
        _ => return None,
    };
    let param = fmtp.split(';').find(|p| p.contains(needle))?;
    let profile = param.as_bytes().get(needle.len()..).filter(|p| !p.is_empty())?;
    Some(String::from_utf8_lossy(profile).into_owned())
}

fn preferred(mtype: MediaType) -> &'static [&'static str] {
    match mtype {
        MediaType::Audio => &PREFERRED_AUDIO_CODECS,
        MediaType::Video => &PREFERRED_VIDEO_CODECS,
        _ => &[],
    }
}

/// `janus_sdp_match_preferred_codec`: the preferred-list spelling of `codec`, if listed.
pub fn match_preferred_codec(mtype: MediaType, codec: &str) -> Option<&'static str> {
    preferred(mtype).iter().find(|c| c.eq_ignore_ascii_case(codec)).copied()
}

/// The m-lines the two "find codec" helpers consider: the wanted type, enabled, not
/// inactive; the search stops at the first m-line with that index if one is given.
fn usable_mlines(sdp: &Sdp, mtype: MediaType, index: i32) -> impl Iterator<Item = &super::MLine> {
    sdp.mlines_at(index).map(|(_, m)| m).filter(move |m| m.mtype == mtype && m.port > 0 && m.direction != Direction::Inactive)
}

/// `janus_sdp_find_preferred_codec`: the most preferred codec present in the m-line.
pub fn find_preferred_codec(sdp: &Sdp, mtype: MediaType, index: i32) -> Option<&'static str> {
    usable_mlines(sdp, mtype, index).find_map(|m| preferred(mtype).iter().find(|c| codec_pt(sdp, m.index, c, None) > 0).copied())
}

/// `janus_sdp_find_first_codec`: the codec of the first payload type (the second one if the
/// first is RED), if it is one Janus prefers.
pub fn find_first_codec(sdp: &Sdp, mtype: MediaType, index: i32) -> Option<&'static str> {
    usable_mlines(sdp, mtype, index).filter(|m| !m.ptypes.is_empty()).find_map(|m| {
        let mut codec = codec_name(sdp, m.index, m.ptypes[0]);
        if codec.is_some_and(|c| c.eq_ignore_ascii_case("red")) {
            codec = codec_name(sdp, m.index, m.ptypes.get(1).copied().unwrap_or(-1));
        }
        codec.and_then(|c| match_preferred_codec(m.mtype, c))
    })
}
