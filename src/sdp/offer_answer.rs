//! Offer/answer generation (`janus_sdp_generate_offer`, `_offer_mline`, `_answer`,
//! `_answer_mline`). The C API takes `JANUS_SDP_OA_*` variadic lists; here they are a
//! typed list of [`Property`]. Each function ignores the properties Janus does not accept
//! for it (the C shim, which owns the `va_list`, does not consume them either).

use super::codecs::{codec_pt, codec_rtpmap, opusred_pt};
use super::scan::atoi;
use super::{Attribute, Direction, MLine, MediaType, Sdp};

/// One `JANUS_SDP_OA_*` property with its value(s). Strings are `None` for NULL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Property {
    /// `JANUS_SDP_OA_MLINE` (1), raw `janus_sdp_mtype` (invalid values are errors).
    MLine(i32),
    Enabled(bool),
    Direction(Direction),
    Mid(Option<String>),
    /// Stream id and track id.
    Msid(Option<String>, Option<String>),
    Codec(Option<String>),
    /// Extmap URI and id (only ids 1..14 count).
    Extension(Option<String>, i32),
    /// A table id -> URI, `None` for a NULL `GHashTable`.
    Extensions(Option<Vec<(i32, String)>>),
    AcceptExtmap(Option<String>),
    Pt(i32),
    Fmtp(Option<String>),
    AudioDtmf(bool),
    OpusRedPt(i32),
    AcceptOpusRed(bool),
    Vp9Profile(Option<String>),
    H264Profile(Option<String>),
    VideoRtcpFbDefaults(bool),
    DataLegacy(bool),
    /// `JANUS_SDP_OA_DONE` (0): ends the list; properties after it are not looked at.
    Done,
}

/// Why `janus_sdp_generate_offer_mline` failed, with its return code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OfferMlineError {
    /// -2: the first property is not `MLINE`.
    NotMline,
    /// -3: unknown audio codec.
    UnsupportedAudioCodec,
    /// -4: unknown video codec.
    UnsupportedVideoCodec,
    /// -4 too, but Janus also destroys the caller's offer in this case.
    InvalidType,
    /// -5: `EXTENSION` and `EXTENSIONS` mixed.
    ConflictingExtensions,
}

impl OfferMlineError {
    pub fn code(self) -> i32 {
        match self {
            OfferMlineError::NotMline => -2,
            OfferMlineError::UnsupportedAudioCodec => -3,
            OfferMlineError::UnsupportedVideoCodec | OfferMlineError::InvalidType => -4,
            OfferMlineError::ConflictingExtensions => -5,
        }
    }
}

fn attr(name: &str, value: String) -> Attribute {
    Attribute::new(name, Some(value))
}

/// The rtcp-fb lines Janus adds for video unless told otherwise.
fn push_rtcpfb_defaults(attributes: &mut Vec<Attribute>, pt: i32) {
    for fb in ["ccm fir", "nack", "nack pli", "goog-remb"] {
        attributes.push(attr("rtcp-fb", format!("{pt} {fb}")));
    }
}

/// The properties up to (excluding) `Done`.
fn until_done(props: &[Property]) -> &[Property] {
    let end = props.iter().position(|p| *p == Property::Done).unwrap_or(props.len());
    &props[..end]
}

/// `janus_sdp_generate_offer_mline`: builds the m-line an offer gets appended, given the
/// offer's `c=` address and the new m-line's index.
pub fn generate_offer_mline(c_addr: Option<&str>, index: i32, props: &[Property]) -> Result<MLine, OfferMlineError> {
    let props = until_done(props);
    let Some((Property::MLine(raw_type), props)) = props.split_first() else {
        return Err(OfferMlineError::NotMline);
    };
    let mtype = MediaType::from_raw(*raw_type);
    let (mut pt, mut codec) = match mtype {
        MediaType::Audio => (111, Some("opus".to_owned())),
        MediaType::Video => (96, Some("vp8".to_owned())),
        MediaType::Application => (-1, None),
        MediaType::Other => return Err(OfferMlineError::InvalidType),
    };
    let (mut audio_dtmf, mut video_rtcpfb, mut data_legacy, mut opusred) = (false, true, false, -1);
    let (mut mid, mut msid, mut fmtp, mut vp9_profile, mut h264_profile) = (None, None, None, None, None);
    let mut direction = Direction::Default;
    // Extension ids -> URIs, either built from EXTENSION or handed over with EXTENSIONS.
    let mut extensions: Option<Vec<(i32, String)>> = None;
    let mut from_single = false;
    for p in props {
        match p {
            Property::Direction(d) => direction = *d,
            Property::Codec(c) => codec = c.clone(),
            Property::Mid(m) => mid = m.clone(),
            Property::Msid(s, t) => msid = Some((s.clone(), t.clone())),
            Property::Pt(v) => pt = *v,
            Property::OpusRedPt(v) => opusred = *v,
            Property::Fmtp(f) => fmtp = f.clone(),
            Property::AudioDtmf(b) => audio_dtmf = *b,
            Property::VideoRtcpFbDefaults(b) => video_rtcpfb = *b,
            Property::Vp9Profile(v) => vp9_profile = v.clone(),
            Property::H264Profile(v) => h264_profile = v.clone(),
            Property::DataLegacy(b) => data_legacy = *b,
            Property::Extension(uri, id) => {
                if extensions.is_some() && !from_single {
                    return Err(OfferMlineError::ConflictingExtensions);
                }
                if let Some(uri) = uri.as_ref().filter(|_| (1..15).contains(id)) {
                    let table = extensions.get_or_insert_with(Vec::new);
                    from_single = true;
                    // Janus warns and ignores a repeated id or URI.
                    if !table.iter().any(|(i, u)| i == id || u == uri) {
                        table.push((*id, uri.clone()));
                    }
                }
            }
            Property::Extensions(table) => {
                if extensions.is_some() {
                    return Err(OfferMlineError::ConflictingExtensions);
                }
                extensions = table.clone();
                from_single = false;
            }
            // Not accepted by this function.
            Property::MLine(_) | Property::Enabled(_) | Property::AcceptExtmap(_) | Property::AcceptOpusRed(_) | Property::Done => {}
        }
    }
    let codec = codec.unwrap_or_else(|| if mtype == MediaType::Video { "vp8" } else { "opus" }.into());
    let rtpmap = match mtype {
        MediaType::Audio => Some(codec_rtpmap(&codec).ok_or(OfferMlineError::UnsupportedAudioCodec)?),
        MediaType::Video => Some(codec_rtpmap(&codec).ok_or(OfferMlineError::UnsupportedVideoCodec)?),
        _ => None,
    };
    let proto = match (mtype, data_legacy) {
        (MediaType::Application, true) => "DTLS/SCTP",
        (MediaType::Application, false) => "UDP/DTLS/SCTP",
        _ => "UDP/TLS/RTP/SAVPF",
    };
    let mut m = MLine {
        index,
        mtype,
        type_str: mtype.as_str().map(String::from),
        port: 9,
        proto: Some(proto.into()),
        c_ipv4: true,
        c_addr: c_addr.map(String::from),
        direction,
        ..MLine::default()
    };
    let a = &mut m.attributes;
    if let Some(mid) = mid {
        a.push(attr("mid", mid));
    }
    if let (true, Some((Some(s), Some(t)))) = (mtype != MediaType::Application, &msid) {
        a.push(attr("msid", format!("{s} {t}")));
    }
    let Some(rtpmap) = rtpmap else {
        m.fmts.push(if data_legacy { "5000" } else { "webrtc-datachannel" }.into());
        m.attributes.push(if data_legacy {
            attr("sctpmap", "5000 webrtc-datachannel 16".into())
        } else {
            attr("sctp-port", "5000".into())
        });
        return Ok(m);
    };
    let audio = mtype == MediaType::Audio;
    if audio && opusred > 0 {
        m.ptypes.push(opusred);
        a.push(attr("rtpmap", format!("{opusred} red/48000/2")));
    }
    m.ptypes.push(pt);
    a.push(attr("rtpmap", format!("{pt} {rtpmap}")));
    if audio && audio_dtmf {
        // Janus always offers DTMF on payload type 126.
        m.ptypes.push(126);
        a.push(attr("rtpmap", "126 telephone-event/8000".into()));
    }
    if !audio && video_rtcpfb {
        push_rtcpfb_defaults(a, pt);
    }
    // Harmless unless the transport-wide CC extension gets negotiated too.
    a.push(attr("rtcp-fb", format!("{pt} transport-cc")));
    if let Some(mut table) = extensions {
        table.sort_by_key(|(id, _)| *id);
        for (id, uri) in table {
            a.push(attr("extmap", format!("{id} {uri}")));
        }
    }
    if audio && opusred > 0 {
        a.push(attr("fmtp", format!("{opusred} {pt}/{pt}")));
    }
    if audio {
        if let Some(f) = fmtp {
            a.push(attr("fmtp", format!("{pt} {f}")));
        }
    } else if let (true, Some(p)) = (codec.eq_ignore_ascii_case("vp9"), &vp9_profile) {
        a.push(attr("fmtp", format!("{pt} profile-id={p}")));
    } else if let (true, Some(p)) = (codec.eq_ignore_ascii_case("h264"), &h264_profile) {
        a.push(attr("fmtp", format!("{pt} profile-level-id={p};packetization-mode=1")));
    } else if let Some(f) = fmtp {
        a.push(attr("fmtp", format!("{pt} {f}")));
    }
    Ok(m)
}

/// Per-m-line settings `janus_sdp_generate_offer` collects between two `MLINE`s.
struct OfferMedia {
    mtype: MediaType,
    enabled: bool,
    props: Vec<Property>,
    /// Extensions this m-line keeps (those whose id and URI agree with earlier m-lines).
    extensions: Option<Vec<(i32, String)>>,
}

/// `janus_sdp_generate_offer`: a new SDP (`janus_sdp_new`) with one m-line per `MLINE`
/// group. `None` when the list does not start with `MLINE`/`DONE`, names an invalid media
/// type, or an m-line cannot be generated (unknown codec).
pub fn generate_offer(name: Option<&str>, address: Option<&str>, props: &[Property], now_us: u64) -> Option<Sdp> {
    let mut offer = Sdp::new(name, address, now_us);
    let props = until_done(props);
    if !matches!(props.first(), None | Some(Property::MLine(_))) {
        return None;
    }
    // Extensions registered so far across m-lines: an id or URI keeps its first pairing.
    let mut registered: Vec<(i32, String)> = Vec::new();
    let mut medias: Vec<OfferMedia> = Vec::new();
    for p in props {
        if let Property::MLine(raw) = p {
            let mtype = MediaType::from_raw(*raw);
            if mtype == MediaType::Other {
                return None;
            }
            medias.push(OfferMedia { mtype, enabled: true, props: Vec::new(), extensions: None });
            continue;
        }
        let media = medias.last_mut().expect("the list starts with MLINE");
        match p {
            Property::Enabled(b) => media.enabled = *b,
            Property::Extension(Some(uri), id) if (1..15).contains(id) => {
                if !registered.iter().any(|(i, u)| i == id || u == uri) {
                    registered.push((*id, uri.clone()));
                }
                if registered.iter().any(|(i, u)| i == id && u == uri) {
                    let table = media.extensions.get_or_insert_with(Vec::new);
                    table.retain(|(i, _)| i != id);
                    table.push((*id, uri.clone()));
                }
            }
            Property::Extension(..) | Property::Extensions(_) | Property::AcceptExtmap(_) | Property::AcceptOpusRed(_) => {}
            other => media.props.push(other.clone()),
        }
    }
    for media in medias.into_iter().filter(|m| m.enabled) {
        let mline_props = offer_mline_props(media);
        let index = offer.m_lines.len() as i32;
        let m = generate_offer_mline(offer.c_addr.as_deref(), index, &mline_props).ok()?;
        offer.m_lines.push(m);
    }
    Some(offer)
}

/// What `janus_sdp_generate_offer` forwards to `generate_offer_mline` for each media kind:
/// audio ignores PT (always 111) and the video-only settings, video ignores the audio
/// ones, data only keeps MID and DATA_LEGACY.
fn offer_mline_props(media: OfferMedia) -> Vec<Property> {
    let mut out = vec![Property::MLine(media.mtype as i32)];
    let last = |wanted: fn(&Property) -> bool| media.props.iter().rev().find(|p| wanted(p)).cloned();
    let mut keep: Vec<Option<Property>> = vec![last(|p| matches!(p, Property::Mid(_)))];
    match media.mtype {
        MediaType::Application => keep.push(last(|p| matches!(p, Property::DataLegacy(_)))),
        MediaType::Audio | MediaType::Video => {
            keep.push(last(|p| matches!(p, Property::Msid(..))));
            keep.push(if media.mtype == MediaType::Audio {
                last(|p| matches!(p, Property::OpusRedPt(_)))
            } else {
                last(|p| matches!(p, Property::Pt(_)))
            });
            keep.push(last(|p| matches!(p, Property::Codec(_))));
            keep.push(last(|p| matches!(p, Property::Direction(_))));
            keep.push(last(|p| matches!(p, Property::Fmtp(_))));
            keep.push(Some(Property::Extensions(media.extensions.clone())));
            if media.mtype == MediaType::Audio {
                keep.push(last(|p| matches!(p, Property::AudioDtmf(_))));
            } else {
                keep.push(last(|p| matches!(p, Property::VideoRtcpFbDefaults(_))));
                keep.push(last(|p| matches!(p, Property::Vp9Profile(_))));
                keep.push(last(|p| matches!(p, Property::H264Profile(_))));
            }
        }
        MediaType::Other => {}
    }
    out.extend(keep.into_iter().flatten());
    out
}

/// `janus_sdp_generate_answer`: copies o=/s=/c= of the offer and rejects every m-line
/// (port 0, inactive, payload type 0); `generate_answer_mline` then accepts them one by one.
pub fn generate_answer(offer: &Sdp) -> Sdp {
    let m_lines = offer
        .m_lines
        .iter()
        .map(|m| MLine {
            index: m.index,
            mtype: m.mtype,
            type_str: m.type_str.clone(),
            port: 0,
            proto: Some(m.proto.clone().unwrap_or_else(|| "UDP/TLS/RTP/SAVPF".into())),
            c_ipv4: m.c_ipv4,
            // Janus reads the new m-line's (empty) address here, so it is always the default.
            c_addr: Some("127.0.0.1".into()),
            direction: Direction::Inactive,
            ptypes: vec![0],
            fmts: if m.mtype == MediaType::Application { m.fmts.clone() } else { Vec::new() },
            ..MLine::default()
        })
        .collect();
    Sdp {
        version: offer.version,
        o_name: Some(offer.o_name.clone().unwrap_or_else(|| "-".into())),
        o_sessid: offer.o_sessid,
        o_version: offer.o_version,
        o_ipv4: offer.o_ipv4,
        o_addr: Some(offer.o_addr.clone().unwrap_or_else(|| "127.0.0.1".into())),
        s_name: Some(offer.s_name.clone().unwrap_or_else(|| "Janus session".into())),
        t_start: 0,
        t_stop: 0,
        c_ipv4: offer.c_ipv4,
        c_addr: Some(offer.c_addr.clone().unwrap_or_else(|| "127.0.0.1".into())),
        attributes: Vec::new(),
        m_lines,
    }
}

/// Why `janus_sdp_generate_answer_mline` failed, with its return code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnswerMlineError {
    /// -2: the first property is not `MLINE`.
    NotMline,
    /// -3: invalid media type.
    InvalidType,
}

impl AnswerMlineError {
    pub fn code(self) -> i32 {
        match self {
            AnswerMlineError::NotMline => -2,
            AnswerMlineError::InvalidType => -3,
        }
    }
}

/// Audio codecs tried, in order, when no codec was asked for.
const AUDIO_FALLBACK: [&str; 9] = ["opus", "pcmu", "pcma", "g722", "isac32", "isac16", "multiopus", "l16-48", "l16"];
/// Video codecs tried, in order, when no codec was asked for.
const VIDEO_FALLBACK: [&str; 5] = ["vp8", "vp9", "h264", "av1", "h265"];

/// Settings of one `generate_answer_mline` call.
#[derive(Default)]
struct AnswerSettings {
    enabled: bool,
    direction: Direction,
    codec: Option<String>,
    msid: Option<(Option<String>, Option<String>)>,
    fmtp: Option<String>,
    vp9_profile: Option<String>,
    h264_profile: Option<String>,
    audio_dtmf: bool,
    video_rtcpfb: bool,
    accept_extmaps: Vec<String>,
    accept_opusred: bool,
}

/// `janus_sdp_generate_answer_mline`: answers the `offered` m-line in the answer's m-line
/// with the same index (if any; then `Ok(Some(position))`). `offer` is only read for
/// codec lookups.
pub fn generate_answer_mline(
    offer: Option<&Sdp>,
    answer: &mut Sdp,
    offered: &MLine,
    props: &[Property],
) -> Result<Option<usize>, AnswerMlineError> {
    let props = until_done(props);
    let Some((Property::MLine(raw_type), props)) = props.split_first() else {
        return Err(AnswerMlineError::NotMline);
    };
    if MediaType::from_raw(*raw_type) == MediaType::Other {
        return Err(AnswerMlineError::InvalidType);
    }
    let mut s = AnswerSettings { enabled: true, video_rtcpfb: true, ..AnswerSettings::default() };
    for p in props {
        match p {
            Property::Enabled(b) => s.enabled = *b,
            Property::Direction(d) => s.direction = *d,
            Property::Codec(c) => s.codec = c.clone(),
            Property::Msid(a, b) => s.msid = Some((a.clone(), b.clone())),
            Property::Fmtp(f) => s.fmtp = f.clone(),
            Property::Vp9Profile(v) => s.vp9_profile = v.clone(),
            Property::H264Profile(v) => s.h264_profile = v.clone(),
            Property::AudioDtmf(b) => s.audio_dtmf = *b,
            Property::VideoRtcpFbDefaults(b) => s.video_rtcpfb = *b,
            Property::AcceptExtmap(Some(e)) => s.accept_extmaps.push(e.clone()),
            Property::AcceptOpusRed(b) => s.accept_opusred = *b,
            // Not accepted by this function.
            _ => {}
        }
    }
    let Some(pos) = answer.m_lines.iter().position(|am| am.index == offered.index) else {
        return Ok(None);
    };
    let am = &mut answer.m_lines[pos];
    // Answered m-lines start disabled.
    am.direction = Direction::Inactive;
    am.ptypes.clear();
    am.fmts.clear();
    am.attributes.clear();
    if !s.enabled {
        am.ptypes.push(0);
        if am.mtype == MediaType::Application {
            am.fmts = offered.fmts.clone();
        }
        return Ok(Some(pos));
    }
    am.port = 9;
    if am.mtype == MediaType::Audio || am.mtype == MediaType::Video {
        answer_media(offer, am, offered, &s);
    } else {
        am.direction = Direction::Default;
        am.fmts = offered.fmts.clone();
    }
    Ok(Some(pos))
}

/// The audio/video part of `generate_answer_mline`.
fn answer_media(offer: Option<&Sdp>, am: &mut MLine, offered: &MLine, s: &AnswerSettings) {
    let audio = am.mtype == MediaType::Audio;
    let pt_in_offer = |codec: &str, profile: Option<&str>| offer.map_or(-1, |o| codec_pt(o, offered.index, codec, profile));
    let ours = s.direction;
    let accepts = |d: Direction| matches!(ours, Direction::SendRecv | Direction::Default) || ours == d;
    am.direction = match offered.direction {
        // The peer only receives: we can only send (Janus warns when we can't).
        Direction::RecvOnly if accepts(Direction::SendOnly) => Direction::SendOnly,
        Direction::SendOnly if accepts(Direction::RecvOnly) => Direction::RecvOnly,
        Direction::RecvOnly | Direction::SendOnly | Direction::Inactive => Direction::Inactive,
        _ => ours,
    };
    let codec: String = match &s.codec {
        Some(c) => c.clone(),
        None => {
            let fallback: &[&str] = if audio { &AUDIO_FALLBACK } else { &VIDEO_FALLBACK };
            let found = fallback.iter().find(|c| pt_in_offer(c, None) >= 0);
            found.unwrap_or(fallback.last().expect("non-empty")).to_string()
        }
    };
    let is = |name: &str| codec.eq_ignore_ascii_case(name);
    let profile = if is("vp9") {
        s.vp9_profile.as_deref()
    } else if is("h264") {
        s.h264_profile.as_deref()
    } else {
        None
    };
    let pt = pt_in_offer(&codec, profile);
    if pt < 0 {
        // Janus warns "Couldn't find codec we needed (%s) in the offer" and rejects.
        am.port = 0;
        am.direction = Direction::Inactive;
        am.ptypes.push(0);
        return;
    }
    // multiopus needs a channel mapping: without one in our fmtp, reuse the parameters of
    // the offer's first fmtp.
    let mut custom_audio_fmtp = None;
    if audio && is("multiopus") && !s.fmtp.as_deref().is_some_and(|f| f.contains("channel_mapping")) {
        if let Some(a) = offered.attributes.iter().find(|a| a.name.as_deref().is_some_and(|n| n.contains("fmtp")) && a.value.is_some()) {
            let value = a.value.as_deref().unwrap_or_default();
            custom_audio_fmtp = value.find(' ').map(|sp| &value[sp + 1..]).filter(|v| !v.is_empty()).map(String::from);
        }
    }
    am.ptypes.push(pt);
    let a = &mut am.attributes;
    if let Some((Some(stream), Some(track))) = &s.msid {
        a.push(attr("msid", format!("{stream} {track}")));
    }
    let rtpmap = codec_rtpmap(&codec);
    if audio {
        if let Some(rtpmap) = rtpmap {
            let mut red = -1;
            if is("opus") && s.accept_opusred {
                red = offer.map_or(-1, |o| opusred_pt(o, am.index));
                if red > 0 {
                    am.ptypes.insert(0, red);
                    a.push(attr("rtpmap", format!("{red} red/48000/2")));
                }
            }
            a.push(attr("rtpmap", format!("{pt} {rtpmap}")));
            if s.audio_dtmf {
                let dtmf = offer.map_or(-1, |o| codec_pt(o, am.index, "dtmf", None));
                if dtmf >= 0 {
                    am.ptypes.push(dtmf);
                    a.push(attr("rtpmap", format!("{dtmf} telephone-event/8000")));
                }
            }
            if s.accept_opusred && red > 0 {
                a.push(attr("fmtp", format!("{red} {pt}/{pt}")));
            }
            if let Some(f) = custom_audio_fmtp.as_ref().or(s.fmtp.as_ref()) {
                a.push(attr("fmtp", format!("{pt} {f}")));
            }
        }
    } else {
        if let Some(rtpmap) = rtpmap {
            a.push(attr("rtpmap", format!("{pt} {rtpmap}")));
            if s.video_rtcpfb {
                push_rtcpfb_defaults(a, pt);
            }
            a.push(attr("rtcp-fb", format!("{pt} transport-cc")));
        }
        if let (true, Some(p)) = (is("vp9"), &s.vp9_profile) {
            a.push(attr("fmtp", format!("{pt} profile-id={p}")));
        } else if let (true, Some(p)) = (is("h264"), &s.h264_profile) {
            a.push(attr("fmtp", format!("{pt} profile-level-id={p};packetization-mode=1")));
        } else if let Some(f) = &s.fmtp {
            a.push(attr("fmtp", format!("{pt} {f}")));
        }
    }
    if s.accept_extmaps.is_empty() {
        return;
    }
    // Without an explicit fmtp/profile, the offered fmtp of the chosen video payload type
    // is copied (only when extensions are being accepted, as in Janus).
    let copy_fmtp = s.fmtp.is_none() && (is("vp8") || (is("vp9") && s.vp9_profile.is_none()) || (is("h264") && s.h264_profile.is_none()));
    for offered_attr in &offered.attributes {
        let name = offered_attr.name.as_deref().unwrap_or_default();
        let Some(value) = offered_attr.value.as_deref() else { continue };
        if offered_attr.name.is_some() && name.contains("extmap") {
            // Janus checks each further URI against the line it just added (whose
            // direction is the default), not against the offered one.
            let (mut current, mut direction) = (value.to_owned(), offered_attr.direction);
            for ext in &s.accept_extmaps {
                if !current.contains(ext.as_str()) {
                    continue;
                }
                let id = atoi(&current);
                if id < 0 {
                    // Janus logs "Invalid extension ID" (and then loses its place).
                    continue;
                }
                let suffix = match direction {
                    Direction::SendOnly => "/recvonly",
                    Direction::RecvOnly => "/sendonly",
                    Direction::Inactive => "/inactive",
                    _ => "",
                };
                current = format!("{id}{suffix} {ext}");
                direction = Direction::Default;
                am.attributes.push(attr("extmap", current.clone()));
            }
        } else if am.mtype == MediaType::Video && name.contains("fmtp") && atoi(value) == pt && copy_fmtp {
            am.attributes.push(attr("fmtp", value.to_owned()));
        }
    }
}
