//! The plugin side: `janus_sdp_process_local` and the SDP work of
//! `janus_plugin_handle_sdp` (what happens to a plugin's offer or answer between
//! `push_event` and the peer): preparse, media set-up, msid and extension bookkeeping,
//! anonymization, RFC 4588 payload type allocation, then the merge.

use super::anonymize::{anonymize, remove_payload_type};
use super::merge::{merge, LocalTransport, Merged};
use super::peer::{DtlsRole, MediumKind, PeerConnection, SdpSettings};
use super::preparse::{preparse, PreparseError, MAX_MID_LENGTH};
use super::remote::{duplicate_payload_types, parse_msid, ProcessError, EXTMAP_DEPENDENCY_DESC};
use super::scan::atoi;
use super::{Direction, MediaType, Sdp};
use crate::rtp::extensions as ext;

/// Longest mid Janus generates (`"%d"` into a 5-byte buffer).
const GENERATED_MID_LENGTH: usize = 4;

fn medium_kind(m: &super::MLine) -> MediumKind {
    match m.mtype {
        MediaType::Audio => MediumKind::Audio,
        MediaType::Video => MediumKind::Video,
        MediaType::Application if m.proto.as_deref().is_some_and(|p| p.contains("DTLS/SCTP")) => MediumKind::Data,
        _ => MediumKind::Unknown,
    }
}

/// `janus_sdp_process_local`: sets media up for a plugin's offer, taking their mids and
/// msids (and removing those attributes, the merge adds them back), clock rates, and
/// our SSRCs.
pub fn process_local(pc: &mut PeerConnection, sdp: &mut Sdp, random: &mut dyn FnMut() -> u32) -> Result<(), ProcessError> {
    for m in &mut sdp.m_lines {
        let k = pc.medium_for(m.index, medium_kind(m), random);
        let mut have_msid = false;
        let mut error = None;
        m.attributes.retain(|a| {
            let (Some(name), Some(value)) = (a.name.as_deref(), a.value.as_deref()) else { return true };
            if error.is_some() {
                return true;
            }
            let medium = &mut pc.media[k];
            if name.eq_ignore_ascii_case("mid") {
                if value.len() > MAX_MID_LENGTH {
                    error = Some(ProcessError::MidTooLarge { index: m.index, length: value.len() });
                    return true;
                }
                if medium.mid.is_none() {
                    medium.mid = Some(value.to_owned());
                }
                if pc.pc_mid.is_none() {
                    pc.pc_mid = Some(value.to_owned());
                }
                false
            } else if name.eq_ignore_ascii_case("msid") {
                have_msid = true;
                let Some((msid, mstid)) = parse_msid(value) else {
                    error = Some(ProcessError::InvalidMsid { index: m.index });
                    return true;
                };
                medium.msid = Some(msid);
                medium.mstid = Some(mstid);
                false
            } else {
                if name.eq_ignore_ascii_case("rtpmap") && !value.contains("rtx") {
                    let pt = atoi(value);
                    let rate = value.split_once('/').and_then(|(_, r)| u32::try_from(super::scan::atol(r)).ok());
                    if let (true, Some(rate)) = (pt > -1, rate) {
                        medium.clock_rates.get_or_insert_with(Default::default).insert(pt, rate);
                    }
                }
                true
            }
        });
        if let Some(e) = error {
            return Err(e);
        }
        let medium = &mut pc.media[k];
        if medium.mid.is_none() {
            let mut mid = m.index.to_string();
            mid.truncate(GENERATED_MID_LENGTH);
            medium.mid = Some(mid);
        }
        if !have_msid {
            medium.msid = None;
            medium.mstid = None;
        }
        if m.direction == Direction::Inactive {
            medium.ssrc = 0;
            medium.ssrc_rtx = 0;
        } else if m.mtype != MediaType::Application && medium.ssrc == 0 {
            medium.ssrc = random();
            if pc.rfc4588_rtx {
                medium.ssrc_rtx = random();
            }
        }
    }
    Ok(())
}

/// Why the core refused a plugin's SDP (`push_event` then fails with
/// `JANUS_ERROR_JSEP_INVALID_SDP`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PluginSdpError {
    /// Neither "offer" nor "answer".
    UnknownType(String),
    Preparse(PreparseError),
    Process(ProcessError),
    /// An answer for a handle that never negotiated.
    NoPeerConnection,
}

/// The result of handling a plugin's SDP.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PluginSdp {
    /// The JSEP type as Janus sends it on (the plugin's own spelling).
    pub kind: String,
    pub offer: bool,
    /// The SDP for the peer.
    pub merged: Merged,
    /// A renegotiation of an existing PeerConnection (then ICE is already running).
    pub updating: bool,
    /// The PeerConnection was created here (a plugin offer on a fresh handle): the ICE
    /// agent has to be set up, in the controlling role with `actpass`.
    pub created: bool,
}

/// Handles the SDP a plugin pushed. `pc` is the handle's PeerConnection, `None` until
/// one exists. Left to the caller, as in Janus around this work: waiting for candidate
/// gathering (half-trickle), an ICE restart for offers with `restart`, and starting ICE
/// after a first answer.
pub fn handle_plugin_sdp(
    pc: &mut Option<PeerConnection>,
    kind: &str,
    text: &str,
    settings: &SdpSettings,
    local: &LocalTransport,
    now_us: i64,
    random: &mut dyn FnMut() -> u32,
) -> Result<PluginSdp, PluginSdpError> {
    let offer = if kind.eq_ignore_ascii_case("offer") {
        true
    } else if kind.eq_ignore_ascii_case("answer") {
        false
    } else {
        return Err(PluginSdpError::UnknownType(kind.to_owned()));
    };
    let mut sdp = preparse(text, false).map_err(PluginSdpError::Preparse)?.sdp;
    let mut updating = false;
    let mut created = false;
    if offer {
        let pc = match pc {
            Some(pc) => {
                updating = true;
                pc
            }
            None => {
                created = true;
                // A plugin-initiated PeerConnection negotiates RFC 4588 by default.
                pc.insert(PeerConnection { rfc4588_rtx: true, ..PeerConnection::new(DtlsRole::Actpass) })
            }
        };
        process_local(pc, &mut sdp, random).map_err(PluginSdpError::Process)?;
        read_offered_extensions(pc, &mut sdp);
    } else {
        read_answered_extensions(pc.as_mut(), &mut sdp)?;
    }
    anonymize(&mut sdp);
    let pc = pc.as_mut().ok_or(PluginSdpError::NoPeerConnection)?;
    assign_payload_types(pc, &mut sdp);
    let merged = merge(pc, &mut sdp, offer, settings, local, now_us);
    Ok(PluginSdp { kind: kind.to_owned(), offer, merged, updating, created })
}

/// A plugin's offer: the extension ids it offers become the PeerConnection's, its rid
/// extensions are dropped (we do not simulcast towards peers), and its opus RED payload
/// type is noted.
fn read_offered_extensions(pc: &mut PeerConnection, sdp: &mut Sdp) {
    let mut ids = [0i32; 7];
    let uris = [
        ext::EXTMAP_MID,
        ext::EXTMAP_TRANSPORT_WIDE_CC,
        ext::EXTMAP_ABS_SEND_TIME,
        ext::EXTMAP_AUDIO_LEVEL,
        ext::EXTMAP_VIDEO_ORIENTATION,
        ext::EXTMAP_PLAYOUT_DELAY,
        EXTMAP_DEPENDENCY_DESC,
    ];
    for (mindex, m) in sdp.m_lines.iter_mut().enumerate() {
        let mut opusred = None;
        m.attributes.retain(|a| {
            let (Some(_), Some(value)) = (&a.name, a.value.as_deref()) else { return true };
            if a.is("extmap") {
                if let Some(i) = uris.iter().position(|u| value.contains(u)) {
                    ids[i] = atoi(value);
                } else if value.contains(ext::EXTMAP_RID) || value.contains(ext::EXTMAP_REPAIRED_RID) {
                    return false;
                }
            } else if m.mtype == MediaType::Audio && a.is("rtpmap") && value.contains("red/48000/2") {
                opusred = Some(atoi(value));
            }
            true
        });
        if let (Some(pt), Some(medium)) = (opusred, pc.media.get_mut(mindex)) {
            medium.opusred_pt = pt;
        }
    }
    let [mid, twcc, abs, level, orientation, playout, dd] = ids;
    let e = &mut pc.extensions;
    e.mid = mid;
    if e.transport_wide_cc != twcc {
        e.do_transport_wide_cc = twcc > 0;
        e.transport_wide_cc = twcc;
    }
    e.abs_send_time = abs;
    e.audio_level = level;
    e.video_orientation = orientation;
    e.playout_delay = playout;
    e.dependency_descriptor = dd;
}

/// A plugin's answer: its msids become ours (and are removed, the merge adds them back),
/// and what it did not accept (extensions, rids, opus RED) is switched off.
fn read_answered_extensions(mut pc: Option<&mut PeerConnection>, sdp: &mut Sdp) -> Result<(), PluginSdpError> {
    let mut done = [false; 6];
    for (mindex, m) in sdp.m_lines.iter_mut().enumerate() {
        let mut medium = pc.as_deref_mut().and_then(|pc| pc.media.get_mut(mindex));
        let mut have = [false; 6];
        let mut have_msid = false;
        let mut opusred = false;
        let mut error = None;
        m.attributes.retain(|a| {
            let (Some(_), Some(value)) = (&a.name, a.value.as_deref()) else { return true };
            if error.is_some() {
                return true;
            }
            if a.is("msid") {
                have_msid = true;
                let Some((msid, mstid)) = parse_msid(value) else {
                    error = Some(ProcessError::InvalidMsid { index: m.index });
                    return true;
                };
                if let Some(medium) = medium.as_deref_mut() {
                    medium.msid = Some(msid);
                    medium.mstid = Some(mstid);
                }
                return false;
            }
            if a.is("extmap") {
                let uris = [
                    ext::EXTMAP_MID,
                    ext::EXTMAP_RID,
                    ext::EXTMAP_REPAIRED_RID,
                    ext::EXTMAP_TRANSPORT_WIDE_CC,
                    EXTMAP_DEPENDENCY_DESC,
                    ext::EXTMAP_ABS_SEND_TIME,
                ];
                if let Some(i) = uris.iter().position(|u| value.contains(u)) {
                    have[i] = true;
                }
            } else if m.mtype == MediaType::Audio
                && medium.as_deref().is_some_and(|md| md.opusred_pt > 0)
                && a.is("rtpmap")
                && value.contains("red/48000/2")
            {
                opusred = atoi(value) >= 0;
            }
            true
        });
        if let Some(e) = error {
            return Err(PluginSdpError::Process(e));
        }
        if let Some(medium) = medium {
            if !opusred && medium.opusred_pt > 0 {
                medium.opusred_pt = 0;
            }
            if !have_msid {
                medium.msid = None;
                medium.mstid = None;
            }
            // Rids the plugin did not accept: fall back to the plain SSRC.
            if !have[1] {
                medium.rid = [None, None, None];
                if medium.ssrc_peer_temp > 0 {
                    medium.ssrc_peer[0] = std::mem::take(&mut medium.ssrc_peer_temp);
                }
            }
        }
        for (d, h) in done.iter_mut().zip(have) {
            *d |= h;
        }
    }
    let Some(pc) = pc else { return Ok(()) };
    let [mid, rid, repaired_rid, twcc, dd, abs] = done;
    let e = &mut pc.extensions;
    if !mid {
        e.mid = 0;
    }
    if !rid {
        e.rid = 0;
        e.repaired_rid = 0;
    }
    if !repaired_rid {
        e.repaired_rid = 0;
    }
    e.forget_unseen(twcc, dd, abs);
    Ok(())
}

/// Every payload type of the plugin's SDP joins the PeerConnection's set; video media
/// with RFC 4588 get an rtx payload type per codec (or lose codecs that clash with one).
fn assign_payload_types(pc: &mut PeerConnection, sdp: &mut Sdp) {
    let find = |sdp: &Sdp, mindex: usize| sdp.m_lines.iter().position(|m| m.index as usize == mindex);
    for k in 0..pc.media.len() {
        if pc.media[k].kind == MediumKind::Data {
            continue;
        }
        if let Some(i) = find(sdp, pc.media[k].mindex) {
            pc.payload_types.extend(sdp.m_lines[i].ptypes.iter().copied());
        }
    }
    if !pc.rfc4588_rtx {
        return;
    }
    for k in 0..pc.media.len() {
        if pc.media[k].kind != MediumKind::Video {
            continue;
        }
        let mindex = pc.media[k].mindex;
        let Some(i) = find(sdp, mindex).filter(|i| !sdp.m_lines[*i].ptypes.is_empty()) else { continue };
        if pc.media[k].rtx_payload_types.is_none() {
            pc.media[k].rtx_payload_types = Some(Default::default());
            for pt in sdp.m_lines[i].ptypes.clone() {
                if pc.rtx_payload_types_rev.get(&pt).is_some_and(|v| *v != 0) {
                    // Already an rtx payload type itself.
                    continue;
                }
                let rtx = match pc.rtx_payload_types.get(&pt).copied().unwrap_or(0) {
                    0 => free_rtx_payload_type(pc, pt),
                    mapped => mapped,
                };
                if rtx > 0 {
                    pc.payload_types.insert(rtx);
                    pc.rtx_payload_types.insert(pt, rtx);
                    pc.rtx_payload_types_rev.insert(rtx, pt);
                    if let Some(t) = pc.media[k].rtx_payload_types.as_mut() {
                        t.insert(pt, rtx);
                    }
                }
                pc.media[k].do_nacks = true;
            }
        } else {
            for pt in duplicate_payload_types(&pc.media[k], &sdp.m_lines[i].ptypes) {
                remove_payload_type(sdp, mindex as i32, pt);
                if let Some(c) = pc.media[k].clock_rates.as_mut() {
                    c.remove(&pt);
                }
            }
        }
    }
}

/// The first dynamic payload type after `pt` (wrapping from 127 to 96) that is neither
/// in use nor an rtx one; -1 if there is none. (Janus loops forever in that case when
/// `pt` is outside 96-127; we give up after one round.)
fn free_rtx_payload_type(pc: &PeerConnection, pt: i32) -> i32 {
    let next = |p: i32| if p + 1 > 127 { 96 } else { p + 1 };
    let taken = |p: i32| (p != 0 && pc.payload_types.contains(&p)) || pc.rtx_payload_types_rev.get(&p).is_some_and(|v| *v != 0);
    let mut rtx = next(pt);
    for _ in 0..=32 {
        if !taken(rtx) {
            return rtx;
        }
        rtx = next(rtx);
        if rtx == pt {
            return -1;
        }
    }
    -1
}
