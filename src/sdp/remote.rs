//! `janus_sdp_process_remote` (with `janus_sdp_parse_ssrc_group` and `_ssrc`): what the
//! core learns from the peer's offer or answer (ICE credentials, DTLS fingerprint and
//! role, candidates, mids, msids, directions, payload types, RTX and clock-rate maps,
//! SSRCs and simulcast rids), plus the header extension ids `janus.c` reads from it.

use super::anonymize::remove_payload_type;
use super::candidate::{parse_candidate, CandidateOutcome};
use super::peer::{DtlsRole, Medium, MediumKind, PeerConnection, SdpSettings};
use super::preparse::MAX_MID_LENGTH;
use super::scan::{ascii_strtoull_auto, atoi, Scanner};
use super::{Direction, MediaType, Sdp};
use crate::rtp::extensions::{self as ext, id_from_sdp};

/// The dependency descriptor header extension URI.
pub const EXTMAP_DEPENDENCY_DESC: &str = "https://aomediacodec.github.io/av1-rtp-spec/#dependency-descriptor-rtp-header-extension";

/// Why processing failed (Janus' -2; the request then fails with "Error processing SDP").
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProcessError {
    MidTooLarge {
        index: i32,
        length: usize,
    },
    InvalidMsid {
        index: i32,
    },
    /// The first m-line left us without ICE credentials or DTLS fingerprint.
    MissingMandatory,
}

/// Side effects the caller (the ICE/DTLS machinery) has to carry out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RemoteOutcome {
    /// A medium stopped or started receiving (`janus_ice_notify_media_stopped`).
    pub media_stopped: bool,
    /// The remote credentials arrived for the first time: hand them to the ICE agent.
    pub set_remote_credentials: bool,
    /// Peer SSRCs that changed, as (mindex, substream): their RTCP context and sequence
    /// history start over.
    pub ssrc_changed: Vec<(usize, usize)>,
    /// mDNS candidates to resolve (see [`CandidateOutcome::ResolveMdns`]).
    pub mdns: Vec<(String, String)>,
}

/// `"<algorithm> <fingerprint>"` with a hash Janus accepts: (hashing, fingerprint).
fn fingerprint(value: &str) -> Option<(&'static str, String)> {
    let starts = |prefix: &str| value.get(..prefix.len()).is_some_and(|p| p.eq_ignore_ascii_case(prefix));
    if starts("sha-256 ") {
        Some(("sha-256", value["sha-256 ".len()..].to_owned()))
    } else if starts("sha-1 ") {
        Some(("sha-1", value["sha-1 ".len()..].to_owned()))
    } else {
        None
    }
}

/// `sscanf(value, "%64s %64s")`: stream and track id, both required.
pub(crate) fn parse_msid(value: &str) -> Option<(String, String)> {
    let mut s = Scanner::new(value);
    let msid = s.word(64)?;
    let mstid = s.word(64)?;
    Some((msid, mstid))
}

/// Credentials and fingerprint as collected while walking the SDP (media-level values
/// override session-level ones).
#[derive(Default)]
struct Transport {
    ruser: Option<String>,
    rpass: Option<String>,
    hashing: Option<&'static str>,
    fingerprint: Option<String>,
}

impl Transport {
    fn take(&mut self, name: &str, value: &str) {
        if name.eq_ignore_ascii_case("fingerprint") {
            if let Some((h, f)) = fingerprint(value) {
                self.hashing = Some(h);
                self.fingerprint = Some(f);
            }
        } else if name.eq_ignore_ascii_case("ice-ufrag") {
            self.ruser = Some(value.to_owned());
        } else if name.eq_ignore_ascii_case("ice-pwd") {
            self.rpass = Some(value.to_owned());
        }
    }
}

/// Processes the peer's SDP (already preparsed). `rids_hml` is the `rid_order` of the
/// request, `update` whether this is a renegotiation. Like Janus, a duplicate payload
/// type (both a codec and an rtx one) is removed from `sdp` too.
pub fn process_remote(
    pc: &mut PeerConnection,
    sdp: &mut Sdp,
    settings: &SdpSettings,
    rids_hml: bool,
    update: bool,
    random: &mut dyn FnMut() -> u32,
) -> Result<RemoteOutcome, ProcessError> {
    let mut out = RemoteOutcome::default();
    let mut transport = Transport::default();
    let mut rtx = false;
    for a in &sdp.attributes {
        if let (Some(n), Some(v)) = (&a.name, &a.value) {
            transport.take(n, v);
        }
    }
    for mi in 0..sdp.m_lines.len() {
        let m = &sdp.m_lines[mi];
        let index = m.index;
        let k = match m.mtype {
            MediaType::Audio | MediaType::Video => {
                if pc.rtp_profile.is_none() {
                    pc.rtp_profile = m.proto.clone();
                }
                let kind = if m.mtype == MediaType::Video { MediumKind::Video } else { MediumKind::Audio };
                let k = pc.medium_for(index, kind, random);
                let medium = &mut pc.media[k];
                if m.port > 0 {
                    let receiving = medium.recv;
                    // The peer's direction, seen from our side.
                    (medium.send, medium.recv) = match m.direction {
                        Direction::Inactive | Direction::Invalid => (false, false),
                        Direction::SendOnly => (false, true),
                        Direction::RecvOnly => (true, false),
                        Direction::SendRecv | Direction::Default => (true, true),
                    };
                    out.media_stopped |= receiving != medium.recv;
                    medium.payload_types = m.ptypes.clone();
                    pc.payload_types.extend(m.ptypes.iter().copied());
                } else {
                    medium.send = false;
                    medium.recv = false;
                }
                k
            }
            MediaType::Application => {
                let k = pc.medium_for(index, MediumKind::Data, random);
                let proto = m.proto.as_deref().unwrap_or_default();
                let new_syntax = proto.eq_ignore_ascii_case("UDP/DTLS/SCTP");
                if new_syntax || proto.eq_ignore_ascii_case("DTLS/SCTP") {
                    let enabled = m.port > 0;
                    pc.data_channels = enabled;
                    pc.new_datachan_sdp = enabled && new_syntax;
                    pc.media[k].send = enabled;
                    pc.media[k].recv = enabled;
                } else {
                    pc.data_channels = false;
                    pc.new_datachan_sdp = false;
                }
                k
            }
            MediaType::Other => pc.medium_for(index, MediumKind::Unknown, random),
        };
        for a in &m.attributes {
            let (Some(name), Some(value)) = (a.name.as_deref(), a.value.as_deref()) else { continue };
            let medium = &mut pc.media[k];
            if name.eq_ignore_ascii_case("mid") {
                if value.len() > MAX_MID_LENGTH {
                    return Err(ProcessError::MidTooLarge { index, length: value.len() });
                }
                // A changed mid is ignored.
                if medium.mid.is_none() {
                    medium.mid = Some(value.to_owned());
                }
                if pc.pc_mid.is_none() {
                    pc.pc_mid = Some(value.to_owned());
                }
            } else if name.eq_ignore_ascii_case("msid") {
                let (msid, mstid) = parse_msid(value).ok_or(ProcessError::InvalidMsid { index })?;
                medium.remote_msid = Some(msid);
                medium.remote_mstid = Some(mstid);
            } else if name.eq_ignore_ascii_case("max-message-size") && m.mtype == MediaType::Application {
                pc.remote_max_message_size = value.trim().parse().ok();
            } else if name.eq_ignore_ascii_case("setup") {
                if !update {
                    if value.eq_ignore_ascii_case("actpass") || value.eq_ignore_ascii_case("passive") {
                        pc.dtls_role = DtlsRole::Client;
                    } else if value.eq_ignore_ascii_case("active") {
                        pc.dtls_role = DtlsRole::Server;
                    }
                }
            } else {
                transport.take(name, value);
            }
        }
        if index == 0 {
            let fingerprint_ok = transport.fingerprint.is_some() && transport.hashing.is_some();
            let (Some(ruser), Some(rpass)) = (transport.ruser.clone(), transport.rpass.clone()) else {
                return Err(ProcessError::MissingMandatory);
            };
            if settings.webrtc_encryption && !fingerprint_ok {
                return Err(ProcessError::MissingMandatory);
            }
            if pc.ruser.is_none() && pc.rpass.is_none() {
                out.set_remote_credentials = true;
            } else if pc.ruser.as_ref().is_some_and(|u| *u != ruser) || pc.rpass.as_ref().is_some_and(|p| *p != rpass) {
                pc.ice_restart = true;
            }
            if settings.webrtc_encryption {
                pc.remote_hashing = transport.hashing.map(String::from);
                pc.remote_fingerprint = transport.fingerprint.clone();
            }
            pc.ruser = Some(ruser);
            pc.rpass = Some(rpass);
        }
        read_simulcast(&mut pc.media[k], &m.attributes, rids_hml);
        read_ssrcs(&mut pc.media[k], &m.attributes, m.mtype == MediaType::Video);
        // Candidates (only the first two m-lines: the rest is bundled anyway), NACK
        // support, RTX mappings and clock rates.
        for a in &m.attributes {
            let Some(name) = a.name.as_deref() else { continue };
            if name.eq_ignore_ascii_case("candidate") {
                if index <= 1 {
                    if let Some(value) = a.value.as_deref() {
                        if let Ok(CandidateOutcome::ResolveMdns { address, candidate }) = parse_candidate(pc, settings, value) {
                            out.mdns.push((address, candidate));
                        }
                    }
                }
            } else if name.eq_ignore_ascii_case("rtcp-fb") {
                if a.value.as_deref().is_some_and(|v| v.contains("nack")) {
                    pc.media[k].do_nacks = true;
                }
            } else if name.eq_ignore_ascii_case("fmtp") {
                if let Some((rtx_pt, pt)) = a.value.as_deref().filter(|v| v.contains("apt=")).and_then(parse_apt) {
                    rtx = true;
                    pc.rfc4588_rtx = true;
                    let mapped = pc.rtx_payload_types_rev.get(&rtx_pt).copied().unwrap_or(0);
                    // An rtx payload type already serving another codec is left alone.
                    if mapped == 0 || mapped == pt {
                        pc.rtx_payload_types.insert(pt, rtx_pt);
                        pc.rtx_payload_types_rev.insert(rtx_pt, pt);
                        pc.media[k].rtx_payload_types.get_or_insert_with(Default::default).insert(pt, rtx_pt);
                    }
                }
            } else if name.eq_ignore_ascii_case("rtpmap") {
                if let Some((pt, clock_rate)) = a.value.as_deref().and_then(parse_rtpmap_clock_rate) {
                    let medium = &mut pc.media[k];
                    let clock_rates = medium.clock_rates.get_or_insert_with(Default::default);
                    let mapped = pc.clock_rates.get(&pt).copied().unwrap_or(0);
                    if mapped == 0 || mapped == clock_rate {
                        pc.clock_rates.insert(pt, clock_rate);
                        clock_rates.insert(pt, clock_rate);
                        if a.value.as_deref().is_some_and(|v| v.contains("red/48000/2")) {
                            medium.opusred_pt = pt;
                        }
                    }
                }
            }
        }
        if matches!(m.mtype, MediaType::Audio | MediaType::Video) {
            let video = m.mtype == MediaType::Video;
            let medium = &mut pc.media[k];
            for v in 0..if video { 3 } else { 1 } {
                if medium.ssrc_peer_new[v] > 0 {
                    if medium.ssrc_peer[v] > 0 && medium.ssrc_peer[v] != medium.ssrc_peer_new[v] {
                        out.ssrc_changed.push((k, v));
                    }
                    medium.ssrc_peer[v] = std::mem::take(&mut medium.ssrc_peer_new[v]);
                }
                if medium.ssrc_peer_rtx_new[v] > 0 {
                    medium.ssrc_peer_rtx[v] = std::mem::take(&mut medium.ssrc_peer_rtx_new[v]);
                    if medium.ssrc_rtx == 0 {
                        medium.ssrc_rtx = random();
                    }
                }
            }
            if video && medium.rtx_payload_types.is_some() {
                let mindex = medium.mindex as i32;
                let duplicates = duplicate_payload_types(medium, &m.ptypes);
                for pt in duplicates {
                    remove_payload_type(sdp, mindex, pt);
                    pc.clock_rates.remove(&pt);
                    if let Some(c) = pc.media[k].clock_rates.as_mut() {
                        c.remove(&pt);
                    }
                }
            }
        }
    }
    if !rtx {
        // The peer did not negotiate RFC 4588.
        pc.rfc4588_rtx = false;
        for medium in &mut pc.media {
            medium.ssrc_rtx = 0;
        }
    }
    Ok(out)
}

/// Payload types of `ptypes` that are both a codec (with a clock rate) and one of the
/// medium's rtx payload types.
pub(crate) fn duplicate_payload_types(medium: &Medium, ptypes: &[i32]) -> Vec<i32> {
    let rtx = medium.rtx_payload_types.as_ref();
    ptypes.iter().copied().filter(|pt| medium.has_clock_rate(*pt) && rtx.is_some_and(|t| t.values().any(|r| r == pt))).collect()
}

/// `sscanf(value, "%d apt=%d")`: (rtx payload type, media payload type).
fn parse_apt(value: &str) -> Option<(i32, i32)> {
    let mut s = Scanner::new(value);
    let rtx = s.int()?;
    s.blank().literal("apt=")?;
    Some((rtx, s.int()?))
}

/// An `a=rtpmap` that is not rtx: (payload type, clock rate), when both read.
fn parse_rtpmap_clock_rate(value: &str) -> Option<(i32, u32)> {
    if value.contains("rtx") {
        return None;
    }
    let pt = atoi(value);
    if pt < 0 {
        return None;
    }
    let (_, after) = value.split_once('/')?;
    // `janus_string_to_uint32`: strtoll, then a range check.
    let clock_rate = u32::try_from(super::scan::atol(after)).ok()?;
    Some((pt, clock_rate))
}

/// `a=rid` and `a=simulcast`: which rids the peer sends, in which order, and which are
/// paused.
fn read_simulcast(medium: &mut Medium, attributes: &[super::Attribute], rids_hml: bool) {
    medium.rids_hml = rids_hml;
    medium.rid = [None, None, None];
    let (first, last) = if rids_hml { (2, 0) } else { (0, 2) };
    let mut paused: Option<String> = None;
    for a in attributes {
        let Some(value) = a.value.as_deref() else { continue };
        if a.is("rid") {
            // `sscanf("%15s send")` only needs the first word.
            let Some(rid) = Scanner::new(value).word(15) else { continue };
            medium.disabled_rid[first] = false;
            if medium.rid[first].is_none() {
                medium.rid[first] = Some(rid);
            } else if medium.rid[1].is_none() {
                medium.rid[1] = Some(rid);
            } else if medium.rid[last].is_none() {
                medium.rid[last] = Some(rid);
            }
        } else if a.is("simulcast") {
            medium.legacy_rid = value.contains("rid=");
            if !medium.legacy_rid && value.contains('~') && paused.is_none() {
                if let Some(at) = value.find("send ") {
                    paused = Some(value[at + "send ".len()..].to_owned());
                }
            }
        }
    }
    // Fewer than three rids: pack them at the start.
    if medium.rid[0].is_none() && medium.rid[2].is_some() {
        medium.rid[0] = medium.rid[1].take();
        medium.rid[1] = medium.rid[2].take();
    }
    if medium.rid[0].is_none() && medium.rid[1].is_some() {
        medium.rid[0] = medium.rid[1].take();
    }
    if let Some(list) = paused {
        for item in list.splitn(3, ';').filter(|i| i.starts_with('~')) {
            if let Some(j) = (0..3).find(|j| medium.rid[*j].as_ref().is_some_and(|r| item[1..].eq_ignore_ascii_case(r))) {
                medium.disabled_rid[j] = true;
            }
        }
    }
}

/// `a=ssrc-group:SIM`, then `a=ssrc-group:FID`, then `a=ssrc`, into the `*_new` SSRCs.
fn read_ssrcs(medium: &mut Medium, attributes: &[super::Attribute], video: bool) {
    medium.ssrc_peer_new = [0; 3];
    medium.ssrc_peer_rtx_new = [0; 3];
    let values = |name: &'static str, filter: &'static str| {
        attributes.iter().filter(move |a| a.is(name)).filter_map(|a| a.value.as_deref()).filter(move |v| v.contains(filter))
    };
    for group in values("ssrc-group", "SIM").chain(values("ssrc-group", "FID")).collect::<Vec<_>>() {
        parse_ssrc_group(medium, group, video);
    }
    for ssrc in values("ssrc", "").collect::<Vec<_>>() {
        parse_ssrc(medium, ssrc);
    }
}

/// `janus_sdp_parse_ssrc_group`: only video SSRCs are grouped, and not with rids.
pub fn parse_ssrc_group(medium: &mut Medium, group: &str, video: bool) {
    if !video || medium.rid[0].is_some() {
        return;
    }
    let fid = group.contains("FID");
    let sim = group.contains("SIM");
    let mut first: u64 = 0;
    for (i, token) in group.split(' ').enumerate().skip(1).filter(|(_, t)| !t.is_empty()) {
        let ssrc = ascii_strtoull_auto(token);
        let known = |v: u32| u64::from(v) == ssrc;
        match i {
            1 => {
                first = ssrc;
                if !medium.ssrc_peer_new.iter().any(|v| known(*v)) && medium.ssrc_peer_new[0] == 0 {
                    medium.ssrc_peer_new[0] = ssrc as u32;
                }
            }
            2 if fid => {
                // The rtx SSRC goes with the substream the group's first SSRC is.
                // (Janus keeps the first SSRC in 32 bits.)
                let first = first as u32;
                if let Some(v) = (0..3).find(|v| medium.ssrc_peer_new[*v] == first && medium.ssrc_peer_rtx_new[*v] == 0) {
                    medium.ssrc_peer_rtx_new[v] = ssrc as u32;
                }
            }
            2 if sim => medium.ssrc_peer_new[1] = ssrc as u32,
            3 if sim && !fid => medium.ssrc_peer_new[2] = ssrc as u32,
            _ => {}
        }
    }
}

/// `janus_sdp_parse_ssrc`: the first SSRC of the m-line (or, with rids, the fallback one).
/// Returns Janus' -3 for a zero or out-of-range SSRC.
pub fn parse_ssrc(medium: &mut Medium, value: &str) -> i32 {
    let ssrc = ascii_strtoull_auto(value);
    let Ok(ssrc) = u32::try_from(ssrc) else { return -3 };
    if ssrc == 0 {
        return -3;
    }
    if medium.rid[0].is_some() {
        if medium.ssrc_peer_temp == 0 {
            medium.ssrc_peer_temp = ssrc;
        }
    } else if medium.ssrc_peer_new[0] == 0 {
        medium.ssrc_peer_new[0] = ssrc;
    }
    0
}

/// What `janus.c` does with the header extensions after processing the peer's SDP:
/// an offer sets every id from its text (-2 when absent), an answer only switches off
/// those it does not mention.
pub fn apply_remote_extensions(pc: &mut PeerConnection, text: &str, sdp: &Sdp, offer: bool) {
    let e = &mut pc.extensions;
    if offer {
        let id = |uri: &str| id_from_sdp(text.as_bytes(), uri.as_bytes());
        e.mid = id(ext::EXTMAP_MID);
        e.rid = id(ext::EXTMAP_RID);
        e.repaired_rid = id(ext::EXTMAP_REPAIRED_RID);
        e.audio_level = id(ext::EXTMAP_AUDIO_LEVEL);
        e.video_orientation = id(ext::EXTMAP_VIDEO_ORIENTATION);
        e.playout_delay = id(ext::EXTMAP_PLAYOUT_DELAY);
        e.abs_send_time = id(ext::EXTMAP_ABS_SEND_TIME);
        e.transport_wide_cc = id(ext::EXTMAP_TRANSPORT_WIDE_CC);
        e.do_transport_wide_cc = e.transport_wide_cc > 0;
        e.dependency_descriptor = id(EXTMAP_DEPENDENCY_DESC);
        return;
    }
    let mut seen = [false; 4];
    for m in &sdp.m_lines {
        for v in m.attributes.iter().filter(|a| a.is("extmap")).filter_map(|a| a.value.as_deref()) {
            // Each line counts for the first of these URIs it contains.
            let uris = [ext::EXTMAP_MID, ext::EXTMAP_TRANSPORT_WIDE_CC, EXTMAP_DEPENDENCY_DESC, ext::EXTMAP_ABS_SEND_TIME];
            if let Some(i) = uris.iter().position(|u| v.contains(u)) {
                seen[i] = true;
            }
        }
    }
    let [mid, twcc, dd, abs] = seen;
    if !mid {
        e.mid = 0;
    }
    e.forget_unseen(twcc, dd, abs);
}
