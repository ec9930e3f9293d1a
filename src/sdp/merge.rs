//! `janus_sdp_merge`: the core's additions to a plugin's (anonymized) SDP before it goes
//! to the peer: origin and connection addresses, BUNDLE group, trickle and ICE-lite
//! signalling, DTLS fingerprint and setup role, ICE credentials, mids, msids, our SSRCs
//! (with the RFC 4588 FID group and rtx formats), rids for simulcast, the data channel
//! port and, when half-trickling, our candidates and end-of-candidates.

use super::peer::{DtlsRole, PeerConnection, SdpSettings};
use super::{Attribute, Direction, MediaType, Sdp};

/// The local ICE/DTLS transport details that go into our SDPs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LocalTransport {
    pub ufrag: String,
    pub pwd: String,
    /// Our certificate's SHA-256 fingerprint (`janus_dtls_get_local_fingerprint`).
    pub fingerprint: String,
    /// Our gathered candidates for the bundle stream, as `a=candidate` values (used only
    /// when half-trickling).
    pub candidates: Vec<String>,
}

/// The merged SDP, and whether a medium stopped or started receiving on the way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Merged {
    pub sdp: String,
    pub media_stopped: bool,
}

/// The SCTP port Janus announces for data channels.
const SCTP_PORT: &str = "5000";
/// What Janus names its SDP session when the plugin did not.
const SESSION_NAME: &str = "Meetecho Janus";
/// Size of `simulcast` rid list buffer (longer lists are cut, as `janus_strlcat` does).
const RIDS_BUFFER: usize = 50;

/// Attribute insertion as Janus does it with `g_list_insert_before(list, first, a)`:
/// before the list's original first element, i.e. after what was inserted so far, or
/// at the end when the list was empty.
struct Inserter {
    at: usize,
    anchored: bool,
}

impl Inserter {
    fn new(list: &[Attribute]) -> Self {
        Inserter { at: 0, anchored: !list.is_empty() }
    }

    fn insert(&mut self, list: &mut Vec<Attribute>, a: Attribute) {
        if self.anchored {
            list.insert(self.at, a);
            self.at += 1;
        } else {
            list.push(a);
        }
    }
}

fn attr(name: &str, value: impl Into<String>) -> Attribute {
    Attribute::new(name, Some(value.into()))
}

fn flag(name: &str) -> Attribute {
    Attribute::new(name, None)
}

/// `janus_strlcat` into the rid list buffer.
fn push_bounded(buffer: &mut String, piece: &str) {
    for c in piece.chars() {
        if buffer.len() + c.len_utf8() > RIDS_BUFFER - 1 {
            return;
        }
        buffer.push(c);
    }
}

/// Merges `anon` (which is modified, as in Janus) with the PeerConnection's transport
/// details. `now_us` is the wall clock, for a plugin SDP without origin ids.
pub fn merge(pc: &mut PeerConnection, anon: &mut Sdp, offer: bool, settings: &SdpSettings, local: &LocalTransport, now_us: i64) -> Merged {
    let rtp_profile = if !settings.webrtc_encryption {
        "RTP/AVPF".to_owned()
    } else {
        pc.rtp_profile.clone().unwrap_or_else(|| "UDP/TLS/RTP/SAVPF".into())
    };
    let public_ip = settings.public_ip.as_str();
    let ipv4 = !public_ip.contains(':');
    if anon.o_name.is_none() {
        anon.o_name = Some("-".into());
    }
    if anon.o_sessid == 0 || anon.o_version == 0 {
        anon.o_sessid = now_us as u64;
        anon.o_version = 1;
    }
    anon.o_ipv4 = ipv4;
    anon.o_addr = Some(public_ip.into());
    if anon.s_name.is_none() {
        anon.s_name = Some(SESSION_NAME.into());
    }
    // Chrome does not like a global c= line.
    anon.c_addr = None;
    let mut bundle = String::from("BUNDLE");
    for m in &anon.m_lines {
        if let Some(medium) = pc.medium(m.index).filter(|_| m.port > 0) {
            bundle.push(' ');
            bundle.push_str(medium.mid.as_deref().unwrap_or("(null)"));
        }
    }
    let mut at = Inserter::new(&anon.attributes);
    at.insert(&mut anon.attributes, attr("group", bundle));
    at.insert(&mut anon.attributes, attr("ice-options", "trickle"));
    if settings.webrtc_encryption {
        at.insert(&mut anon.attributes, attr("fingerprint", format!("sha-256 {}", local.fingerprint)));
    }
    at.insert(&mut anon.attributes, flag("extmap-allow-mixed"));
    at.insert(&mut anon.attributes, attr("msid-semantic", " WMS *"));
    if settings.ice_lite {
        at.insert(&mut anon.attributes, flag("ice-lite"));
    }
    let mut data = 0;
    let mut media_stopped = false;
    for m in &mut anon.m_lines {
        let Some(k) = usize::try_from(m.index).ok().filter(|k| *k < pc.media.len()) else { continue };
        let mut at = Inserter::new(&m.attributes);
        let medium = &mut pc.media[k];
        let av = matches!(m.mtype, MediaType::Audio | MediaType::Video);
        if av {
            m.proto = Some(rtp_profile.clone());
        }
        m.c_ipv4 = ipv4;
        m.c_addr = Some(public_ip.into());
        if let Some(mid) = &medium.mid {
            at.insert(&mut m.attributes, attr("mid", mid.clone()));
        }
        if av {
            if m.port == 0 {
                m.direction = Direction::Inactive;
                medium.ssrc = 0;
            }
            let receiving = medium.recv;
            (medium.send, medium.recv) = match m.direction {
                Direction::Inactive => (false, false),
                Direction::SendOnly => (true, false),
                Direction::RecvOnly => (false, true),
                _ => (true, true),
            };
            media_stopped |= receiving != medium.recv;
            if medium.do_nacks && pc.rfc4588_rtx && medium.rtx_payload_types.as_ref().is_some_and(|t| !t.is_empty()) {
                for pt in m.ptypes.clone() {
                    let rtx = medium.rtx_for(pt);
                    if rtx > 0 {
                        m.ptypes.push(rtx);
                        m.attributes.push(attr("rtpmap", format!("{rtx} rtx/90000")));
                        m.attributes.push(attr("fmtp", format!("{rtx} apt={pt}")));
                    }
                }
            }
        } else {
            let sctp = m.proto.as_deref().is_some_and(|p| p.eq_ignore_ascii_case("DTLS/SCTP") || p.eq_ignore_ascii_case("UDP/DTLS/SCTP"));
            if m.mtype == MediaType::Application && m.port > 0 && sctp {
                data += 1;
            }
            if m.mtype != MediaType::Application || m.port == 0 || !sctp || data > 1 {
                // Unsupported, disabled or a second data channel m-line: rejected.
                m.port = 0;
                m.direction = Direction::Inactive;
                continue;
            }
        }
        if m.mtype == MediaType::Application {
            if m.proto.as_deref().is_some_and(|p| p.eq_ignore_ascii_case("UDP/DTLS/SCTP")) {
                pc.new_datachan_sdp = true;
            }
            if pc.new_datachan_sdp {
                at.insert(&mut m.attributes, attr("sctp-port", SCTP_PORT));
            } else {
                at.insert(&mut m.attributes, attr("sctpmap", format!("{SCTP_PORT} webrtc-datachannel 16")));
            }
        } else {
            at.insert(&mut m.attributes, flag("rtcp-mux"));
        }
        at.insert(&mut m.attributes, attr("ice-ufrag", local.ufrag.clone()));
        at.insert(&mut m.attributes, attr("ice-pwd", local.pwd.clone()));
        at.insert(&mut m.attributes, attr("ice-options", "trickle"));
        if settings.webrtc_encryption {
            let role = if offer { DtlsRole::Actpass } else { pc.dtls_role };
            at.insert(&mut m.attributes, attr("setup", role.setup_value()));
        }
        let medium = &pc.media[k];
        let sending = matches!(m.direction, Direction::Default | Direction::SendRecv | Direction::SendOnly);
        let with_rtx = medium.ssrc_rtx > 0 && m.mtype == MediaType::Video && pc.rfc4588_rtx && sending;
        if with_rtx {
            m.attributes.push(attr("ssrc-group", format!("FID {} {}", medium.ssrc, medium.ssrc_rtx)));
        }
        if av {
            if m.direction != Direction::Inactive {
                let msid = match (&medium.msid, &medium.mstid) {
                    (Some(s), Some(t)) => format!("{s} {t}"),
                    _ => format!("janus janus{}", medium.mid.as_deref().unwrap_or("(null)")),
                };
                m.attributes.push(attr("msid", msid));
            }
            if medium.ssrc > 0 {
                m.attributes.push(attr("ssrc", format!("{} cname:janus", medium.ssrc)));
                if with_rtx {
                    m.attributes.push(attr("ssrc", format!("{} cname:janus", medium.ssrc_rtx)));
                }
            }
        }
        if m.mtype == MediaType::Video && medium.rid[0].is_some() {
            // The peer simulcasts with rids: tell it we receive them, in its order.
            let mut rids = String::new();
            for i in (0..3).rev() {
                let index = if medium.rids_hml { i } else { 2 - i };
                let Some(rid) = &medium.rid[index] else { continue };
                m.attributes.push(attr("rid", format!("{rid} recv")));
                if !rids.is_empty() {
                    push_bounded(&mut rids, ";");
                }
                if medium.disabled_rid[index] {
                    push_bounded(&mut rids, "~");
                }
                push_bounded(&mut rids, rid);
            }
            let simulcast = if medium.legacy_rid { format!(" recv rid={rids}") } else { format!("recv {rids}") };
            m.attributes.push(attr("simulcast", simulcast));
        }
        if !settings.full_trickle {
            for c in &local.candidates {
                m.attributes.push(attr("candidate", c.clone()));
            }
            m.attributes.push(flag("end-of-candidates"));
        }
    }
    let sdp = super::write(anon);
    Merged { sdp: String::from_utf8_lossy(&sdp).into_owned(), media_stopped }
}
