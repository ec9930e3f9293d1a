//! The JSEP flows of `janus.c` around a handle's PeerConnection: the peer's offer or answer
//! in a `message` (what the plugin then sees), the plugin's offer or answer in
//! `push_event` (what the peer then gets), trickled candidates, the hangup, and the events
//! the PeerConnection sends the client (`webrtcup`, `media`, `trickle`, `hangup`).

use std::sync::{Arc, Weak};
use std::time::Duration;

use super::{AgentRequest, MediaEvents, PeerConnection, RtpExtensions};
use crate::apierror::ApiError;
use crate::events::{Event, EventBus, HandleRef, JsepOwner, MediaSubtype, WebrtcSubtype};
use crate::gateway::{Environment, Gateway, MediaSettings};
use crate::janus_api::create_message;
use crate::janus_log;
use crate::json::{Json, Object};
use crate::log::Level;
use crate::sdp::{self, DtlsRole, LocalTransport, PeerConnection as SdpPeer};
use crate::session::{Handle, Session, WebrtcFlag};
use crate::text2pcap::{CaptureSlot, PacketKind};

/// How long a new negotiation waits for a previous hangup to be cleaned up.
const CLEANING_WAIT: Duration = Duration::from_secs(3);
/// How long an SDP waits for candidate gathering when the peer does not trickle.
const GATHERING_WAIT: Duration = Duration::from_secs(5);

fn random() -> u32 {
    crate::utils::random_u32()
}

/// Waits (bounded) for a previous hangup's cleanup; false if it did not end in time.
fn wait_cleaning(handle: &Handle) -> bool {
    let deadline = std::time::Instant::now() + CLEANING_WAIT;
    while handle.flag(WebrtcFlag::Cleaning) {
        if std::time::Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    true
}

/// An event about a handle, as `janus_session_notify_event` sends them.
fn handle_event(session: &Session, handle: &Handle, kind: &str, opaque_in_api: bool) -> Object {
    let mut event = create_message(kind, session.id, None).with("sender", handle.id);
    if opaque_in_api {
        if let Some(o) = &handle.opaque_id {
            event.set("opaque_id", o.as_str());
        }
    }
    event
}

fn handle_ref(handle: &Handle) -> HandleRef {
    HandleRef { session_id: handle.session_id, handle_id: handle.id, opaque_id: handle.opaque_id.clone() }
}

/// To the event handlers, when they are on.
fn notify(bus: &Option<Arc<EventBus>>, event: impl FnOnce() -> Event) {
    if let Some(bus) = bus.as_ref().filter(|b| b.is_enabled()) {
        bus.notify(event());
    }
}

fn send_to_client(session: &Session, event: Object) {
    if session.is_destroyed() {
        return;
    }
    if let Some(source) = session.source() {
        source.send(None, false, event.into());
    }
}

/// `janus_ice_webrtc_hangup` and what the loop then does: the PeerConnection closes, the
/// plugin hears `hangup_media`, the client gets `hangup` with the reason (when there was a
/// PeerConnection), the negotiation flags drop.
pub(crate) fn hangup(
    env: &Arc<dyn Environment>,
    bus: Option<Arc<EventBus>>,
    session: Option<Arc<Session>>,
    handle: &Arc<Handle>,
    reason: &'static str,
    opaque_in_api: bool,
) {
    if handle.flag(WebrtcFlag::Alert) {
        return;
    }
    handle.set_flag(WebrtcFlag::Alert);
    handle.set_flag(WebrtcFlag::Cleaning);
    for f in [WebrtcFlag::GotOffer, WebrtcFlag::GotAnswer, WebrtcFlag::Negotiated, WebrtcFlag::HasAudio, WebrtcFlag::HasVideo] {
        handle.clear_flag(f);
    }
    janus_log!(Level::Verb, "[{}] Hanging up PeerConnection because of a {}\n", handle.id, reason);
    let pc = handle.media.take();
    let handle = handle.clone();
    env.defer(Box::new(move || {
        if let Some(pc) = &pc {
            pc.close();
        }
        if let Some(ps) = handle.plugin_session() {
            ps.hangup_media();
        }
        // A handle being destroyed (Stop) does not tell the client about the hangup.
        if pc.is_some() && !handle.flag(WebrtcFlag::Stop) {
            if let Some(session) = session {
                let event = handle_event(&session, &handle, "hangup", opaque_in_api).with("reason", reason);
                send_to_client(&session, event);
            }
            notify(&bus, || Event::Webrtc {
                handle: handle_ref(&handle),
                subtype: WebrtcSubtype::State,
                info: Object::new().with("connection", "hangup").with("reason", reason).into(),
            });
        }
        for f in [WebrtcFlag::NewDatachanSdp, WebrtcFlag::Ready, WebrtcFlag::Cleaning, WebrtcFlag::HasAgent, WebrtcFlag::E2ee] {
            handle.clear_flag(f);
        }
    }));
}

/// Who TURN REST API credentials are for: the handle's opaque id, else its session's id.
fn turn_user(session: &Session, handle: &Handle) -> String {
    handle.opaque_id.clone().unwrap_or_else(|| session.id.to_string())
}

/// The handle's side of its PeerConnection's events.
struct HandleEvents {
    session: Weak<Session>,
    handle: Weak<Handle>,
    env: Arc<dyn Environment>,
    media: Arc<MediaSettings>,
    bus: Option<Arc<EventBus>>,
    opaque_in_api: bool,
    /// The handle's capture slot and the ids its text dumps carry.
    capture: Arc<CaptureSlot>,
    session_id: u64,
    handle_id: u64,
}

impl HandleEvents {
    fn both(&self) -> Option<(Arc<Session>, Arc<Handle>)> {
        Some((self.session.upgrade()?, self.handle.upgrade()?))
    }
}

impl MediaEvents for HandleEvents {
    fn webrtc_up(&self) {
        let Some((session, handle)) = self.both() else { return };
        handle.set_flag(WebrtcFlag::Ready);
        if let Some(ps) = handle.plugin_session() {
            ps.setup_media();
        }
        send_to_client(&session, handle_event(&session, &handle, "webrtcup", self.opaque_in_api));
        notify(&self.bus, || Event::Webrtc {
            handle: handle_ref(&handle),
            subtype: WebrtcSubtype::State,
            info: Object::new().with("connection", "webrtcup").into(),
        });
    }

    fn incoming_rtp(&self, mindex: i32, video: bool, buffer: &mut [u8], extensions: &RtpExtensions) {
        if let Some(ps) = self.handle.upgrade().as_deref().and_then(Handle::plugin_session) {
            ps.incoming_rtp(mindex, video, buffer, extensions);
        }
    }

    fn incoming_rtcp(&self, mindex: i32, video: bool, buffer: &mut [u8]) {
        if let Some(ps) = self.handle.upgrade().as_deref().and_then(Handle::plugin_session) {
            ps.incoming_rtcp(mindex, video, buffer);
        }
    }

    fn incoming_data(&self, label: &str, protocol: Option<&str>, binary: bool, buffer: &mut [u8]) {
        if let Some(ps) = self.handle.upgrade().as_deref().and_then(Handle::plugin_session) {
            ps.incoming_data(label, protocol, binary, buffer);
        }
    }

    fn data_ready(&self) {
        if let Some(ps) = self.handle.upgrade().as_deref().and_then(Handle::plugin_session) {
            ps.data_ready();
        }
    }

    fn media_state(&self, mid: &str, video: bool, receiving: bool) {
        let Some((session, handle)) = self.both() else { return };
        let mut event = handle_event(&session, &handle, "media", self.opaque_in_api)
            .with("mid", mid)
            .with("type", if video { "video" } else { "audio" })
            .with("receiving", receiving);
        let seconds = self.media.no_media_timer();
        if !receiving && seconds > 1 {
            event.set("seconds", seconds);
        }
        send_to_client(&session, event);
        notify(&self.bus, || {
            let mut info = Object::new().with("media", if video { "video" } else { "audio" }).with("mid", mid).with("receiving", receiving);
            if !receiving && seconds > 1 {
                info.set("seconds", seconds);
            }
            Event::Media { handle: handle_ref(&handle), subtype: MediaSubtype::State, info: info.into() }
        });
    }

    fn local_candidate(&self, candidate: Option<(&str, &str)>) {
        let Some((session, handle)) = self.both() else { return };
        let body = match candidate {
            Some((mid, c)) => Object::new().with("sdpMid", mid).with("sdpMLineIndex", 0).with("candidate", c),
            None => Object::new().with("completed", true),
        };
        send_to_client(&session, handle_event(&session, &handle, "trickle", self.opaque_in_api).with("candidate", body));
    }

    fn failed(&self, reason: &'static str) {
        if let Some(handle) = self.handle.upgrade() {
            hangup(&self.env, self.bus.clone(), self.session.upgrade(), &handle, reason, self.opaque_in_api);
        }
    }

    fn no_media_timer(&self) -> u32 {
        self.media.no_media_timer()
    }

    fn min_nack_queue(&self) -> u16 {
        self.media.min_nack_queue()
    }

    fn nack_optimizations(&self) -> bool {
        self.media.nack_optimizations()
    }

    fn webrtc_event(&self, subtype: WebrtcSubtype, info: Json) {
        if let Some(handle) = self.handle.upgrade() {
            notify(&self.bus, || Event::Webrtc { handle: handle_ref(&handle), subtype, info });
        }
    }

    fn stats_period(&self) -> u32 {
        match self.bus.as_ref() {
            Some(bus) if bus.is_enabled() => self.media.event_stats_period(),
            _ => 0,
        }
    }

    fn combine_media_stats(&self) -> bool {
        self.media.combine_media_stats()
    }

    fn slowlink_threshold(&self) -> u32 {
        self.media.slowlink_threshold()
    }

    fn slow_link(&self, mid: &str, mindex: usize, video: bool, uplink: bool, lost: u32) {
        let Some((session, handle)) = self.both() else { return };
        if let Some(ps) = handle.plugin_session() {
            ps.slow_link(mindex as i32, video, uplink);
        }
        let media = if video { "video" } else { "audio" };
        let event = handle_event(&session, &handle, "slowlink", self.opaque_in_api)
            .with("mid", mid)
            .with("media", media)
            .with("uplink", uplink)
            .with("lost", lost);
        send_to_client(&session, event);
        notify(&self.bus, || {
            let info = Object::new()
                .with("mid", mid)
                .with("media", media)
                .with("slow_link", if uplink { "uplink" } else { "downlink" })
                .with("lost_lastsec", lost);
            Event::Media { handle: handle_ref(&handle), subtype: MediaSubtype::SlowLink, info: info.into() }
        });
    }

    fn capture(&self, kind: PacketKind, incoming: bool, packet: &[u8]) {
        self.capture.dump(kind, incoming, packet, self.session_id, self.handle_id);
    }

    fn media_stats(&self, info: Json) {
        if let Some(handle) = self.handle.upgrade() {
            notify(&self.bus, || Event::Media { handle: handle_ref(&handle), subtype: MediaSubtype::Stats, info });
        }
    }
}

/// A failed peer JSEP: the error code and reason of the reply.
pub(crate) type JsepError = (ApiError, String);

impl Gateway {
    fn media_events(&self, session: &Arc<Session>, handle: &Arc<Handle>) -> Arc<dyn MediaEvents> {
        Arc::new(HandleEvents {
            session: Arc::downgrade(session),
            handle: Arc::downgrade(handle),
            env: self.env.clone(),
            media: self.media.clone(),
            bus: self.event_bus().cloned(),
            opaque_in_api: self.settings.opaqueid_in_api,
            capture: handle.capture.clone(),
            session_id: session.id,
            handle_id: handle.id,
        })
    }

    /// `janus_ice_webrtc_hangup` for the Janus and Admin APIs.
    pub fn hangup_handle(&self, session: Option<Arc<Session>>, handle: &Arc<Handle>, reason: &'static str) {
        hangup(&self.env, self.event_bus().cloned(), session, handle, reason, self.settings.opaqueid_in_api);
    }

    /// The peer's JSEP of a `message` (already validated): sets up or updates the
    /// PeerConnection and returns the `jsep` the plugin gets.
    pub(crate) fn process_peer_jsep(&self, session: &Arc<Session>, handle: &Arc<Handle>, jsep: &Json) -> Result<Json, JsepError> {
        let Some(plane) = self.media_plane().cloned() else {
            return Err((ApiError::WebrtcState, "WebRTC negotiation is not available in this build".into()));
        };
        let jsep_type = jsep.get("type").and_then(Json::as_str).unwrap_or_default().to_owned();
        let text = jsep.get("sdp").and_then(Json::as_str).unwrap_or_default();
        let do_trickle = jsep.get("trickle").and_then(Json::as_bool).unwrap_or(true);
        let rids_hml = !jsep.get("rid_order").and_then(Json::as_str).is_some_and(|r| r.eq_ignore_ascii_case("lmh"));
        let e2ee = jsep.get("e2ee").and_then(Json::as_bool).unwrap_or(false);
        if !wait_cleaning(handle) {
            return Err((ApiError::WebrtcState, "Still cleaning a previous session".into()));
        }
        let renegotiation = handle.flag(WebrtcFlag::Negotiated);
        let offer = jsep_type.eq_ignore_ascii_case("offer");
        if offer {
            handle.set_flag(WebrtcFlag::ProcessingOffer);
            handle.set_flag(WebrtcFlag::GotOffer);
            handle.clear_flag(WebrtcFlag::GotAnswer);
        } else {
            handle.set_flag(WebrtcFlag::GotAnswer);
            if handle.flag(WebrtcFlag::GotOffer) {
                handle.set_flag(WebrtcFlag::Negotiated);
            }
        }
        let fail = |code: ApiError, reason: String| {
            handle.clear_flag(WebrtcFlag::ProcessingOffer);
            Err((code, reason))
        };
        let mut parsed = match sdp::preparse(text, offer && !renegotiation) {
            Ok(p) => p,
            Err(e) => return fail(ApiError::JsepInvalidSdp, e.error_text().to_owned()),
        };
        notify(&self.event_bus().cloned(), || Event::Jsep {
            handle: handle_ref(handle),
            owner: JsepOwner::Remote,
            sdp_type: jsep_type.clone(),
            sdp: text.to_owned(),
        });
        let process_error = || "Error processing SDP".to_string();
        if !renegotiation && offer {
            // We take the client role unless the peer wants it.
            let role = if parsed.dtls_role == Some(DtlsRole::Client) { DtlsRole::Server } else { DtlsRole::Client };
            let mut description = SdpPeer::new(role);
            let Ok(outcome) = sdp::process_remote(&mut description, &mut parsed.sdp, &plane.sdp, rids_hml, false, &mut random) else {
                return fail(ApiError::JsepInvalidSdp, process_error());
            };
            sdp::apply_remote_extensions(&mut description, text, &parsed.sdp, true);
            let events = self.media_events(session, handle);
            let mut agent = AgentRequest { turn_user: turn_user(session, handle), force_relay: false };
            if jsep.get("force_relay").and_then(Json::as_bool) == Some(true) {
                if plane.allow_force_relay {
                    agent.force_relay = true;
                } else {
                    janus_log!(Level::Warn, "[{}] Forcing Janus to use a TURN server is not allowed\n", handle.id);
                }
            }
            let pc = match PeerConnection::new(&plane, handle.id, handle.event_loop(), true, Some(description), events, &agent) {
                Ok(pc) => pc,
                Err(_) => return fail(ApiError::Unknown, "Error setting ICE locally".into()),
            };
            pc.set_remote_sdp(text);
            pc.resolve_mdns(&plane.sdp, outcome.mdns, crate::ice::servers::resolve);
            handle.media.set(pc);
            handle.clear_flag(WebrtcFlag::Alert);
            handle.set_flag(WebrtcFlag::HasAgent);
            if do_trickle {
                handle.set_flag(WebrtcFlag::Trickle);
            }
        } else {
            let Some(pc) = handle.peer_connection() else {
                return fail(ApiError::UnexpectedAnswer, "Unexpected ANSWER (did we offer?)".into());
            };
            let mut restart = false;
            let mut mdns = Vec::new();
            let processed = {
                let mut sig = pc.signalling.lock().unwrap_or_else(|e| e.into_inner());
                match sig.as_mut() {
                    Some(description) => {
                        let outcome = sdp::process_remote(description, &mut parsed.sdp, &plane.sdp, rids_hml, renegotiation, &mut random);
                        let ok = outcome.is_ok();
                        if ok && (offer || !renegotiation) {
                            sdp::apply_remote_extensions(description, text, &parsed.sdp, offer);
                        }
                        restart = std::mem::take(&mut description.ice_restart);
                        mdns = outcome.map(|o| o.mdns).unwrap_or_default();
                        ok
                    }
                    None => false,
                }
            };
            pc.resolve_mdns(&plane.sdp, mdns, crate::ice::servers::resolve);
            if !processed {
                let code = if renegotiation { ApiError::UnexpectedAnswer } else { ApiError::JsepInvalidSdp };
                return fail(code, process_error());
            }
            pc.refresh_routes();
            pc.set_remote_sdp(text);
            if !renegotiation {
                if do_trickle {
                    handle.set_flag(WebrtcFlag::Trickle);
                } else {
                    handle.clear_flag(WebrtcFlag::Trickle);
                }
                self.ice_handle_answer(handle, &pc);
            } else if restart {
                janus_log!(Level::Info, "[{}] Restarting ICE...\n", handle.id);
                // Our credentials change with an offer (the answer we give carries them);
                // after our own offer, they already did.
                if offer {
                    handle.set_flag(WebrtcFlag::IceRestart);
                }
                pc.restart_ice(offer);
            } else {
                pc.add_new_candidates();
            }
        }
        if let Some(pc) = handle.peer_connection() {
            sync_data_flags(handle, &pc);
        }
        sdp::anonymize(&mut parsed.sdp);
        let stripped = String::from_utf8_lossy(&sdp::write(&mut parsed.sdp)).into_owned();
        if e2ee {
            handle.set_flag(WebrtcFlag::E2ee);
        }
        handle.clear_flag(WebrtcFlag::ProcessingOffer);
        let mut out = Object::new().with("type", jsep_type.as_str()).with("sdp", stripped);
        if let Some(simulcast) = handle.peer_connection().and_then(|pc| simulcast_info(&pc)) {
            out.set("simulcast", simulcast);
        }
        if renegotiation {
            out.set("update", true);
        }
        if handle.flag(WebrtcFlag::E2ee) {
            out.set("e2ee", true);
        }
        Ok(out.into())
    }

    /// `janus_request_ice_handle_answer`: the negotiation is complete, queued trickles are
    /// applied and connectivity checks start.
    fn ice_handle_answer(&self, handle: &Arc<Handle>, pc: &Arc<PeerConnection>) {
        handle.clear_flag(WebrtcFlag::ProcessingOffer);
        let now = self.env.monotonic_us();
        for trickle in handle.take_pending_trickles() {
            if now - trickle.received > self.settings.candidates_timeout * 1_000_000 {
                janus_log!(Level::Warn, "[{}] Discarding candidate (too old)\n", handle.id);
                continue;
            }
            self.apply_trickle(pc, &trickle.candidate);
        }
        pc.start_ice();
    }

    /// A trickled candidate (object) or candidates (array) for an existing PeerConnection.
    pub(crate) fn apply_trickle(&self, pc: &Arc<PeerConnection>, candidate: &Json) {
        let Some(plane) = self.media_plane() else { return };
        let mut mdns = Vec::new();
        let mut one = |c: &Json| {
            if c.get("completed").and_then(Json::as_bool) == Some(true) {
                return;
            }
            let Some(text) = c.get("candidate").and_then(Json::as_str) else { return };
            let mut sig = pc.signalling.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(description) = sig.as_mut() {
                if let Ok(sdp::CandidateOutcome::ResolveMdns { address, candidate }) = sdp::parse_candidate(description, &plane.sdp, text) {
                    mdns.push((address, candidate));
                }
            }
        };
        match candidate {
            Json::Array(list) => list.iter().for_each(&mut one),
            c => one(c),
        }
        pc.add_new_candidates();
        pc.resolve_mdns(&plane.sdp, mdns, crate::ice::servers::resolve);
    }

    /// `janus_plugin_handle_sdp`: the plugin's offer or answer, merged with our ICE and DTLS
    /// details for the peer; the `jsep` of the event, or the code `push_event` returns.
    pub(crate) fn process_plugin_jsep(&self, session: &Arc<Session>, handle: &Arc<Handle>, jsep: &Json) -> Result<Json, i32> {
        let invalid = ApiError::JsepInvalidSdp.code();
        let Some(plane) = self.media_plane().cloned() else { return Err(invalid) };
        let kind = jsep.get("type").and_then(Json::as_str).unwrap_or_default();
        let text = jsep.get("sdp").and_then(Json::as_str).unwrap_or_default();
        let e2ee = jsep.get("e2ee").and_then(Json::as_bool).unwrap_or(false);
        let restart = jsep.get("restart").and_then(Json::as_bool).unwrap_or(false);
        let offer = kind.eq_ignore_ascii_case("offer");
        if offer {
            handle.set_flag(WebrtcFlag::GotOffer);
            handle.clear_flag(WebrtcFlag::GotAnswer);
        } else if kind.eq_ignore_ascii_case("answer") {
            handle.set_flag(WebrtcFlag::GotAnswer);
            if handle.flag(WebrtcFlag::GotOffer) {
                handle.set_flag(WebrtcFlag::Negotiated);
            }
        } else {
            return Err(invalid);
        }
        if offer && !wait_cleaning(handle) {
            return Err(invalid);
        }
        let pc = match handle.peer_connection() {
            Some(pc) => pc,
            None if offer => {
                handle.set_flag(WebrtcFlag::Rfc4588Rtx);
                let events = self.media_events(session, handle);
                let agent = AgentRequest { turn_user: turn_user(session, handle), force_relay: false };
                let pc = PeerConnection::new(&plane, handle.id, handle.event_loop(), false, None, events, &agent).map_err(|_| invalid)?;
                handle.media.set(pc.clone());
                handle.clear_flag(WebrtcFlag::Alert);
                handle.set_flag(WebrtcFlag::HasAgent);
                pc
            }
            None => return Err(invalid),
        };
        if offer && restart && handle.peer_connection().is_some_and(|p| p.is_ready()) {
            handle.set_flag(WebrtcFlag::IceRestart);
            pc.restart_ice(true);
        }
        if !plane.ice.full_trickle && !pc.wait_gathering(GATHERING_WAIT) {
            janus_log!(Level::Warn, "[{}] Still waiting for candidates-done callback, sending the SDP anyway\n", handle.id);
        }
        let (ufrag, pwd) = pc.local_credentials().unwrap_or_default();
        let local = LocalTransport {
            ufrag,
            pwd,
            fingerprint: plane.dtls.local_fingerprint().to_owned(),
            candidates: if plane.ice.full_trickle { Vec::new() } else { pc.local_candidates() },
        };
        let result = {
            let mut sig = pc.signalling.lock().unwrap_or_else(|e| e.into_inner());
            sdp::handle_plugin_sdp(&mut sig, kind, text, &plane.sdp, &local, self.env.real_us(), &mut random)
        };
        let result = match result {
            Ok(r) => r,
            Err(_) if handle.flag(WebrtcFlag::Stop) || handle.flag(WebrtcFlag::Alert) => return Err(ApiError::HandleNotFound.code()),
            Err(_) => return Err(invalid),
        };
        pc.refresh_routes();
        sync_data_flags(handle, &pc);
        pc.set_local_sdp(&result.merged.sdp);
        handle.clear_flag(WebrtcFlag::IceRestart);
        if !result.updating {
            if offer {
                handle.set_flag(WebrtcFlag::ProcessingOffer);
            } else {
                self.ice_handle_answer(handle, &pc);
            }
        }
        if e2ee {
            handle.set_flag(WebrtcFlag::E2ee);
        }
        notify(&self.event_bus().cloned(), || Event::Jsep {
            handle: handle_ref(handle),
            owner: JsepOwner::Local,
            sdp_type: result.kind.clone(),
            sdp: result.merged.sdp.clone(),
        });
        let mut out = Object::new().with("type", result.kind.as_str()).with("sdp", result.merged.sdp);
        if handle.flag(WebrtcFlag::E2ee) {
            out.set("e2ee", true);
        }
        Ok(out.into())
    }
}

/// `data-channels` and `new-datachan-sdp` of the handle's flags, from the description.
fn sync_data_flags(handle: &Handle, pc: &PeerConnection) {
    let (data, new_syntax) = match pc.signalling.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
        Some(d) => (d.data_channels, d.new_datachan_sdp),
        None => return,
    };
    for (flag, on) in [(WebrtcFlag::DataChannels, data), (WebrtcFlag::NewDatachanSdp, new_syntax)] {
        if on {
            handle.set_flag(flag);
        } else {
            handle.clear_flag(flag);
        }
    }
}

/// The `simulcast` member of the plugin's `jsep`: per medium with rids or several SSRCs.
fn simulcast_info(pc: &PeerConnection) -> Option<Json> {
    let sig = pc.signalling.lock().unwrap_or_else(|e| e.into_inner());
    let description = sig.as_ref()?;
    let mut list = Vec::new();
    for m in &description.media {
        if m.ssrc_peer[1] == 0 && m.rid[0].is_none() {
            continue;
        }
        let mut entry = Object::new().with("mindex", m.mindex as i64);
        if let Some(mid) = &m.mid {
            entry.set("mid", mid.as_str());
        }
        if m.rid[0].is_some() {
            let rids: Vec<Json> = [2, 1, 0].iter().filter_map(|i| m.rid[*i].as_deref().map(Json::from)).collect();
            entry.set("rids", rids);
            if description.extensions.rid > 0 {
                entry.set("rid-ext", description.extensions.rid);
            }
        } else {
            let ssrcs: Vec<Json> = m.ssrc_peer.iter().take_while(|s| **s != 0).map(|s| Json::from(*s)).collect();
            entry.set("ssrcs", ssrcs);
        }
        list.push(Json::from(entry));
    }
    (!list.is_empty()).then(|| list.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Auth;
    use crate::gateway::Settings;
    use crate::ice::EventLoops;
    use crate::test_support::{error_of, fixture, loopback_media_plane, Fixture};

    fn with_media_plane() -> Fixture {
        with_media_plane_trickling(false)
    }

    fn with_media_plane_trickling(full_trickle: bool) -> Fixture {
        install_media_plane(fixture(Settings::default(), Auth::new(false, None)), full_trickle, false)
    }

    fn install_media_plane(f: Fixture, full_trickle: bool, allow_force_relay: bool) -> Fixture {
        f.gw.set_media_plane(loopback_media_plane(EventLoops::new(1, false), full_trickle, allow_force_relay));
        f.send(r#"{"janus":"create","transaction":"c"}"#);
        f.send(r#"{"janus":"attach","plugin":"janus.plugin.echo","transaction":"a","session_id":1000}"#);
        f
    }

    const PEER_TRANSPORT: &str = "a=ice-ufrag:peer\r\na=ice-pwd:peerpasswordpeerpassword\r\n\
        a=fingerprint:sha-256 AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99\r\n";

    fn peer_sdp(setup: &str) -> String {
        format!(
            "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n\
             c=IN IP4 127.0.0.1\r\n{PEER_TRANSPORT}a=setup:{setup}\r\na=mid:0\r\na=sendrecv\r\na=rtcp-mux\r\n\
             a=rtpmap:111 opus/48000/2\r\na=ssrc:4242 cname:x\r\n\
             a=candidate:1 1 udp 2122260223 127.0.0.1 40000 typ host\r\n"
        )
    }

    fn message_with_jsep(f: &Fixture, kind: &str, sdp: &str) -> Json {
        message_with_jsep_object(f, Object::new().with("type", kind).with("sdp", sdp))
    }

    fn message_with_jsep_object(f: &Fixture, jsep: Object) -> Json {
        let request = Object::new()
            .with("janus", "message")
            .with("transaction", "m")
            .with("session_id", 1000)
            .with("handle_id", 1001)
            .with("body", Object::new())
            .with("jsep", jsep);
        f.send(&Json::from(request).to_compact_string())
    }

    fn handle(f: &Fixture) -> Arc<Handle> {
        f.gw.sessions.get(1000).unwrap().handle(1001).unwrap()
    }

    fn remote_candidates(f: &Fixture) -> usize {
        let pc = handle(f).peer_connection().unwrap();
        let sig = pc.signalling.lock().unwrap();
        sig.as_ref().unwrap().remote_candidates.len()
    }

    #[test]
    fn peer_offer_plugin_answer_trickles_and_hangup() {
        let f = with_media_plane();
        // A trickle before any SDP is queued.
        let trickle = r#"{"janus":"trickle","transaction":"t","session_id":1000,"handle_id":1001,
            "candidate":{"sdpMid":"0","sdpMLineIndex":0,"candidate":"candidate:2 1 udp 2122260222 127.0.0.1 40001 typ host"}}"#;
        assert_eq!(f.send(trickle).get("janus").and_then(Json::as_str), Some("ack"));
        assert_eq!(handle(&f).pending_trickles().len(), 1);

        // The offer: the plugin sees it anonymized, with no `update`.
        let r = message_with_jsep(&f, "offer", &peer_sdp("actpass"));
        assert_eq!(r.get("janus").and_then(Json::as_str), Some("ack"), "{r:?}");
        let seen = f.plugin_log.lock().unwrap().iter().find(|l| l.starts_with("jsep ")).cloned().unwrap();
        assert!(seen.contains(r#""type":"offer""#) && seen.contains("a=rtpmap:111 opus/48000/2"), "{seen}");
        for hidden in ["ice-ufrag", "fingerprint", "candidate", "a=ssrc", "a=setup"] {
            assert!(!seen.contains(hidden), "{hidden} in {seen}");
        }
        assert!(!seen.contains("update"), "{seen}");
        let h = handle(&f);
        assert!(h.peer_connection().is_some() && h.flag(WebrtcFlag::GotOffer) && !h.flag(WebrtcFlag::ProcessingOffer));
        assert_eq!(remote_candidates(&f), 1);

        // The plugin's answer, merged: our credentials, fingerprint, role and candidates;
        // the queued trickle is applied then.
        let answer = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=echo\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n\
                      c=IN IP4 127.0.0.1\r\na=sendrecv\r\na=rtpmap:111 opus/48000/2\r\n";
        let jsep: Json = Object::new().with("type", "answer").with("sdp", answer).into();
        let code = f.gw.push_event(1000, 1001, "janus.plugin.echo", Some("p"), Object::new().with("ok", 1).into(), Some(&jsep));
        assert_eq!(code, 0);
        let event = f.events().into_iter().find(|e| e.get("jsep").is_some()).expect("an event with the answer");
        let sdp = event.get("jsep").and_then(|j| j.get("sdp")).and_then(Json::as_str).unwrap().to_owned();
        let (ufrag, _) = h.peer_connection().unwrap().local_credentials().unwrap();
        assert!(sdp.contains(&format!("a=ice-ufrag:{ufrag}")), "{sdp}");
        let fingerprint = f.gw.media_plane().unwrap().dtls.local_fingerprint().to_owned();
        assert!(sdp.contains(&format!("a=fingerprint:sha-256 {fingerprint}")), "{sdp}");
        assert!(sdp.contains("a=setup:active") && sdp.contains("a=candidate:") && sdp.contains("127.0.0.1"), "{sdp}");
        assert!(h.flag(WebrtcFlag::Negotiated));
        assert!(h.pending_trickles().is_empty());
        assert_eq!(remote_candidates(&f), 2);

        // handle_info shows the PeerConnection: SDPs, ICE and DTLS.
        let r = f.admin(r#"{"janus":"handle_info","transaction":"i","session_id":1000,"handle_id":1001}"#);
        let info = r.get("info").unwrap_or_else(|| panic!("{r:?}"));
        let sdps = info.get("sdps").unwrap();
        assert_eq!(sdps.get("profile").and_then(Json::as_str), Some("UDP/TLS/RTP/SAVPF"));
        assert_eq!(sdps.get("local").and_then(Json::as_str), Some(sdp.as_str()));
        assert_eq!(sdps.get("remote").and_then(Json::as_str), Some(peer_sdp("actpass").as_str()));
        let webrtc = info.get("webrtc").unwrap();
        assert_eq!(webrtc.get("ice").and_then(|i| i.get("component_id")).and_then(Json::as_i64), Some(1));
        assert_eq!(webrtc.get("ice").and_then(|i| i.get("ready")).and_then(Json::as_i64), Some(1));
        let dtls = webrtc.get("dtls").unwrap();
        assert_eq!(dtls.get("dtls-role").and_then(Json::as_str), Some("active"));
        assert_eq!(dtls.get("fingerprint").and_then(Json::as_str), Some(fingerprint.as_str()));
        assert_eq!(dtls.get("valid"), Some(&Json::Bool(false)));
        assert_eq!(dtls.get("srtp-profile").and_then(Json::as_str), Some("none"));

        // Now trickles apply at once.
        let trickle3 = trickle.replace("40001", "40002");
        f.send(&trickle3);
        assert_eq!(remote_candidates(&f), 3);

        // A new offer is an update for the plugin.
        message_with_jsep(&f, "offer", &peer_sdp("actpass"));
        let last = f.plugin_log.lock().unwrap().iter().rev().find(|l| l.starts_with("jsep ")).cloned().unwrap();
        assert!(last.contains(r#""update":true"#), "{last}");
        // New credentials from the peer: an ICE restart, our credentials change too.
        message_with_jsep(&f, "offer", &peer_sdp("actpass").replace("ice-ufrag:peer", "ice-ufrag:peer2"));
        assert!(h.flag(WebrtcFlag::IceRestart));
        let (restarted, _) = h.peer_connection().unwrap().local_credentials().unwrap();
        assert_ne!(restarted, ufrag);
        let code = f.gw.push_event(1000, 1001, "janus.plugin.echo", Some("p"), Object::new().with("ok", 2).into(), Some(&jsep));
        assert_eq!(code, 0);
        assert!(!h.flag(WebrtcFlag::IceRestart));
        let event = f.events().into_iter().rev().find(|e| e.get("jsep").is_some()).unwrap();
        let sdp2 = event.get("jsep").and_then(|j| j.get("sdp")).and_then(Json::as_str).unwrap().to_owned();
        assert!(sdp2.contains(&format!("a=ice-ufrag:{restarted}")), "{sdp2}");

        // Hangup: the PeerConnection goes, the plugin hears it, the client gets the reason.
        let r = f.send(r#"{"janus":"hangup","transaction":"h","session_id":1000,"handle_id":1001}"#);
        assert_eq!(r.get("janus").and_then(Json::as_str), Some("success"));
        assert!(h.peer_connection().is_none());
        assert!(f.plugin_log.lock().unwrap().iter().any(|l| l == "hangup"));
        let hangup = f.events().into_iter().find(|e| e.get("janus").and_then(Json::as_str) == Some("hangup")).unwrap();
        assert_eq!(hangup.to_compact_string(), r#"{"janus":"hangup","session_id":1000,"sender":1001,"reason":"Janus API"}"#);
    }

    #[test]
    fn detach_with_a_peer_connection_closes_it_silently() {
        let f = with_media_plane();
        message_with_jsep(&f, "offer", &peer_sdp("actpass"));
        let pc = handle(&f).peer_connection().unwrap();
        let r = f.send(r#"{"janus":"detach","transaction":"d","session_id":1000,"handle_id":1001}"#);
        assert_eq!(r.get("janus").and_then(Json::as_str), Some("success"));
        let kinds: Vec<String> = f.events().iter().filter_map(|e| e.get("janus").and_then(Json::as_str).map(String::from)).collect();
        assert_eq!(kinds, ["detached"], "no hangup event for a handle going away");
        assert!(pc.is_closed());
        assert_eq!(
            f.plugin_log.lock().unwrap().iter().filter(|l| !l.starts_with("jsep")).cloned().collect::<Vec<_>>(),
            ["create 1001", "hangup", "detach"]
        );
    }

    #[test]
    fn force_relay_is_obeyed_only_when_allowed() {
        let gather = |allowed: bool| {
            let f = install_media_plane(fixture(Settings::default(), Auth::new(false, None)), false, allowed);
            let jsep = Object::new().with("type", "offer").with("sdp", peer_sdp("actpass")).with("force_relay", true);
            message_with_jsep_object(&f, jsep);
            let pc = handle(&f).peer_connection().unwrap();
            assert!(pc.wait_gathering(Duration::from_secs(5)));
            pc.local_candidates()
        };
        assert!(!gather(false).is_empty(), "not allowed: host candidates as usual");
        assert!(gather(true).is_empty(), "relayed candidates only, and no TURN server");
    }

    #[test]
    fn mdns_candidates_are_resolved_then_used() {
        let f = with_media_plane();
        message_with_jsep(&f, "offer", &peer_sdp("actpass"));
        let pc = handle(&f).peer_connection().unwrap();
        let settings = f.gw.media_plane().unwrap().sdp.clone();
        let resolve = |name: &str| (name == "peer.local").then(|| std::net::IpAddr::from([127, 0, 0, 9]));
        let candidates = vec![
            ("peer.local".to_string(), "1 1 udp 2122260223 peer.local 5000 typ host".to_string()),
            ("gone.local".to_string(), "2 1 udp 2122260222 gone.local 5002 typ host".to_string()),
        ];
        pc.resolve_mdns(&settings, candidates, resolve);
        let remote = || -> Vec<String> {
            pc.signalling.lock().unwrap().as_ref().unwrap().remote_candidates.iter().map(|c| c.text.clone()).collect()
        };
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while !remote().iter().any(|c| c.contains("127.0.0.9 5000")) {
            assert!(std::time::Instant::now() < deadline, "not resolved: {:?}", remote());
            std::thread::sleep(Duration::from_millis(10));
        }
        std::thread::sleep(Duration::from_millis(50));
        assert!(!remote().iter().any(|c| c.contains(".local") || c.contains("5002")), "{:?}", remote());
    }

    #[test]
    fn full_trickle_sends_our_candidates_as_trickle_events() {
        let f = with_media_plane_trickling(true);
        message_with_jsep(&f, "offer", &peer_sdp("actpass"));
        let trickles = || f.events().into_iter().filter(|e| e.get("janus").and_then(Json::as_str) == Some("trickle")).collect::<Vec<_>>();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !trickles().iter().any(|t| t.get("candidate").and_then(|c| c.get("completed")).is_some()) {
            assert!(std::time::Instant::now() < deadline, "no end of candidates: {:?}", f.events());
            std::thread::sleep(Duration::from_millis(10));
        }
        let all = trickles();
        let first = all[0].get("candidate").unwrap();
        assert_eq!(first.get("sdpMid").and_then(Json::as_str), Some("0"), "{first:?}");
        assert_eq!(first.get("sdpMLineIndex").and_then(Json::as_i64), Some(0));
        let text = first.get("candidate").and_then(Json::as_str).unwrap();
        assert!(text.starts_with("candidate:") && text.contains(" 127.0.0.1 "), "{text}");
        assert_eq!(all.last().unwrap().get("candidate").unwrap().to_compact_string(), r#"{"completed":true}"#);
        // The answer then goes without candidates.
        let answer = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=echo\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n\
                      c=IN IP4 127.0.0.1\r\na=sendrecv\r\na=rtpmap:111 opus/48000/2\r\n";
        let jsep: Json = Object::new().with("type", "answer").with("sdp", answer).into();
        assert_eq!(f.gw.push_event(1000, 1001, "janus.plugin.echo", None, Object::new().into(), Some(&jsep)), 0);
        let event = f.events().into_iter().find(|e| e.get("jsep").is_some()).unwrap();
        let sdp = event.get("jsep").and_then(|j| j.get("sdp")).and_then(Json::as_str).unwrap().to_owned();
        assert!(!sdp.contains("a=candidate") && sdp.contains("a=ice-ufrag"), "{sdp}");
    }

    /// An event handler that forwards what it gets.
    struct Handler(std::sync::Mutex<std::sync::mpsc::Sender<Json>>);
    impl crate::events::EventHandler for Handler {
        fn package(&self) -> String {
            "janus.eventhandler.fake".into()
        }
        fn mask(&self) -> u64 {
            crate::events::ALL
        }
        fn incoming_event(&self, event: &Json) {
            let _ = self.0.lock().unwrap().send(event.clone());
        }
    }

    #[test]
    fn jsep_and_webrtc_events_reach_the_event_handlers() {
        let (tx, got) = std::sync::mpsc::channel();
        let bus = Arc::new(EventBus::start(true, "srv", vec![Arc::new(Handler(std::sync::Mutex::new(tx)))]).unwrap());
        let f = crate::test_support::fixture_with(Settings::default(), Auth::new(false, None), move |gw| gw.with_event_bus(bus));
        let f = install_media_plane(f, false, false);
        message_with_jsep(&f, "offer", &peer_sdp("actpass"));
        let answer = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=echo\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n\
                      c=IN IP4 127.0.0.1\r\na=sendrecv\r\na=rtpmap:111 opus/48000/2\r\n";
        let jsep: Json = Object::new().with("type", "answer").with("sdp", answer).into();
        assert_eq!(f.gw.push_event(1000, 1001, "janus.plugin.echo", None, Object::new().into(), Some(&jsep)), 0);
        f.send(r#"{"janus":"hangup","transaction":"h","session_id":1000,"handle_id":1001}"#);
        let mut seen = Vec::new();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        let wanted = |seen: &[Json]| {
            let has = |pred: &dyn Fn(&Json) -> bool| seen.iter().any(|e| e.get("event").is_some_and(pred));
            has(&|e| e.get("owner").and_then(Json::as_str) == Some("remote"))
                && has(&|e| e.get("owner").and_then(Json::as_str) == Some("local"))
                && has(&|e| e.get("ice").and_then(Json::as_str).is_some() && e.get("component_id").and_then(Json::as_i64) == Some(1))
                && has(&|e| e.get("connection").and_then(Json::as_str) == Some("hangup"))
        };
        while !wanted(&seen) {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match got.recv_timeout(left) {
                Ok(e) => seen.push(e),
                Err(_) => panic!("events seen: {seen:#?}"),
            }
        }
        let hangup = seen.iter().find(|e| e.get("event").and_then(|e| e.get("connection")).is_some()).unwrap();
        assert_eq!(hangup.get("event").and_then(|e| e.get("reason")).and_then(Json::as_str), Some("Janus API"));
    }

    #[test]
    fn jsep_errors() {
        let f = with_media_plane();
        let r = message_with_jsep(&f, "answer", &peer_sdp("active"));
        assert_eq!(error_of(&r), (469, "Unexpected ANSWER (did we offer?)".into()));
        let r = message_with_jsep(&f, "offer", "v=0\r\nbogus");
        assert_eq!(error_of(&r).0, 465);
        assert!(!handle(&f).flag(WebrtcFlag::ProcessingOffer));
        // A plugin answer without a PeerConnection, or an unknown type: 465.
        let jsep: Json = Object::new().with("type", "answer").with("sdp", peer_sdp("active")).into();
        assert_eq!(f.gw.push_event(1000, 1001, "janus.plugin.echo", None, Object::new().into(), Some(&jsep)), 465);
        let jsep: Json = Object::new().with("type", "pranswer").with("sdp", peer_sdp("active")).into();
        assert_eq!(f.gw.push_event(1000, 1001, "janus.plugin.echo", None, Object::new().into(), Some(&jsep)), 465);
    }

    #[test]
    fn without_a_media_plane_negotiation_is_refused() {
        let f = fixture(Settings::default(), Auth::new(false, None));
        f.send(r#"{"janus":"create","transaction":"c"}"#);
        f.send(r#"{"janus":"attach","plugin":"janus.plugin.echo","transaction":"a","session_id":1000}"#);
        let r = message_with_jsep(&f, "offer", &peer_sdp("actpass"));
        assert_eq!(error_of(&r), (471, "WebRTC negotiation is not available in this build".into()));
    }
}
