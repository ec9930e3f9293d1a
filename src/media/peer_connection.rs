//! One handle's PeerConnection: its ICE agent (on the handle's event loop), DTLS context,
//! SRTP sessions and the signalling-side description (`crate::sdp::PeerConnection`).
//!
//! Threads and locks: datagrams, ICE events, DTLS and the timer run on the handle's loop
//! thread, under the receive state's lock; plugins relay from any thread under the send
//! state's lock. The two never nest the other way round (a plugin may relay from inside
//! `incoming_rtp`, i.e. take the send lock while the receive lock is held), so they cannot
//! deadlock, and each is uncontended but for that one handle. Signalling (offers, answers,
//! trickles) holds its own lock and hands the media paths a copy of what they need
//! ([`Routes`]) when it changes. Packets use buffers allocated once per PeerConnection.
//!
//! Data channels ride on DTLS: their SCTP association lives with the DTLS context on the
//! loop thread. Plugins' `relay_data` goes through an outbox the loop drains (as Janus
//! queues it for the handle's loop), so a plugin may relay from any callback; the plugin
//! hears of incoming messages after the receive lock is released, so it may relay from
//! `incoming_data` too.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};
use std::time::{Duration, Instant};

use super::data::{DataChannels, DataDelivery, Outbox, OutgoingData, Queued};
use super::packets::{
    classify, nack_media_ssrc, rewrite_outgoing, unwrap_rtx, wrap_rtx, Datagram, History, LossDetector, Routes, RtpExtensions, SendStamps,
    MAX_GAP,
};
use super::stats::{nack_queue_ms, slow_link_losses, DropReason, Dropped, MediumStats, MediumType, Traffic};
use super::MediaPlane;
use crate::dtls::{DtlsContext, DtlsEvent, DtlsRole};
use crate::events::WebrtcSubtype;
use crate::ice::{Candidate, HandleLoop, IceAgent, IceEvent, IceHandler, IceState, Timer};
use crate::janus_log;
use crate::json::{Json, Object};
use crate::log::Level;
use crate::rtcp::context::{Now, RtcpContext};
use crate::rtcp::fix::{fix_ssrc, SsrcFix};
use crate::rtcp::packet::REPORT_BLOCK_SIZE;
use crate::rtcp::twcc::Recorder;
use crate::rtp::codecs::VideoCodec;
use crate::rtp::header::RtpHeader;
use crate::sdp::{DtlsRole as SdpDtlsRole, MediumKind, PeerConnection as SdpPeer, SdpSettings};
use crate::srtp::{SrtpError, SrtpSession, RTCP_TRAILER_ROOM, RTP_TRAILER_ROOM};
use crate::text2pcap::PacketKind;

/// Largest datagram handled (Janus' receive buffer is 1500 bytes; room for SRTP's tag).
const PACKET_ROOM: usize = 1500 + RTP_TRAILER_ROOM + RTCP_TRAILER_ROOM;
/// A sender report without report blocks, and the SDES chunk with Janus' CNAME after it.
const SR_LEN: usize = 28;
const SDES_LEN: usize = 16;
/// The loop timer's first run, before the DTLS handshake (which brings it forward) or
/// any report is due.
const FIRST_TICK: Duration = Duration::from_secs(1);

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

type Transform = fn(&mut SrtpSession, &mut [u8], usize) -> Result<usize, SrtpError>;

/// SRTP in or out of `buf[..len]`, or the packet as it is when WebRTC encryption is off
/// (`-w`); libsrtp's error if it did not pass (`FAIL` without an SRTP session).
fn transform(srtp: Option<&mut SrtpSession>, encryption: bool, buf: &mut [u8], len: usize, f: Transform) -> Result<usize, SrtpError> {
    match (encryption, srtp) {
        (false, _) => Ok(len),
        (true, Some(srtp)) => f(srtp, buf, len),
        (true, None) => Err(SrtpError::FAIL),
    }
}

fn now() -> Now {
    Now { monotonic_us: crate::utils::monotonic_time(), unix_us: crate::utils::real_time() }
}

/// What a PeerConnection tells its handle (called on the loop thread).
pub trait MediaEvents: Send + Sync {
    /// DTLS is up: the plugin's `setup_media` and the `webrtcup` event.
    fn webrtc_up(&self);
    fn incoming_rtp(&self, mindex: i32, video: bool, buffer: &mut [u8], extensions: &RtpExtensions);
    fn incoming_rtcp(&self, mindex: i32, video: bool, buffer: &mut [u8]);
    /// Media on `mid` started or stopped arriving (the `media` event).
    fn media_state(&self, mid: &str, video: bool, receiving: bool);
    /// A local candidate to trickle (full trickle) as (mid, candidate), or `None` when
    /// gathering is done.
    fn local_candidate(&self, candidate: Option<(&str, &str)>);
    /// The PeerConnection failed: the handle hangs up with Janus' reason.
    fn failed(&self, reason: &'static str);
    /// Seconds without media before `receiving: false` (0: never), read live.
    fn no_media_timer(&self) -> u32;
    /// How long (ms) sent packets are kept for retransmissions (`min_nack_queue`).
    fn min_nack_queue(&self) -> u16;
    /// `nack_optimizations`: a keyframe sent empties the retransmission queues, read live.
    fn nack_optimizations(&self) -> bool;
    /// An ICE or DTLS state change for the event handlers (`info` as Janus builds it).
    fn webrtc_event(&self, subtype: crate::events::WebrtcSubtype, info: Json);
    /// A message on a data channel: the plugin's `incoming_data`.
    fn incoming_data(&self, label: &str, protocol: Option<&str>, binary: bool, buffer: &mut [u8]);
    /// The plugin's `data_ready`: what it relayed has all been delivered.
    fn data_ready(&self);
    /// Seconds between media statistics events (`stats_period`), read live; 0 when none
    /// are wanted (disabled, or no event handler listening).
    fn stats_period(&self) -> u32;
    /// Media statistics for the event handlers: one medium's (an object), or all of them
    /// (an array, with `combine_media_stats`).
    fn media_stats(&self, info: Json);
    fn combine_media_stats(&self) -> bool;
    /// Lost packets per second that make a `slowlink` (0: never), read live.
    fn slowlink_threshold(&self) -> u32;
    /// The medium `mid` lost `lost` packets in the last second, on the way in (`uplink`)
    /// or out: the plugin's `slow_link`, the `slowlink` event, the event handlers.
    fn slow_link(&self, mid: &str, mindex: usize, video: bool, uplink: bool, lost: u32);
    /// A plaintext packet for the handle's capture (Admin `start_pcap`), if one runs.
    fn capture(&self, kind: PacketKind, incoming: bool, packet: &[u8]);
}

/// Copies of one audio/video medium's counters, taken under the media locks for reports.
struct Counters {
    mindex: usize,
    nack_queue_ms: u16,
    /// By substream, when it exists (the first always, the others once their SSRC is known).
    incoming: [Option<(Traffic, RtcpContext)>; 3],
    outgoing: Traffic,
}

/// Every counter a report needs.
struct CountersSnapshot {
    media: Vec<Counters>,
    dtls_in: Traffic,
    dtls_out: Traffic,
    remb_bitrate: u32,
}

/// What one handle's ICE agent needs beyond the media settings.
#[derive(Clone, Debug, Default)]
pub struct AgentRequest {
    /// Who TURN REST API credentials are asked for: the handle's opaque id, else its
    /// session id, as in Janus.
    pub turn_user: String,
    /// The peer's JSEP asked for relayed candidates only, and `allow_force_relay` allows it.
    pub force_relay: bool,
}

/// Why a PeerConnection could not be set up ("Error setting ICE locally").
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PeerConnectionError {
    /// The handle has no event loop (none could be started).
    Loop,
    Ice,
}

/// Per medium, what the receive side keeps.
#[derive(Default)]
struct InStream {
    /// By simulcast substream (only the first without simulcast): each layer has its own
    /// SSRC and sequence numbers, hence its own statistics and losses, as in Janus.
    layers: [InLayer; 3],
    last_packet_us: i64,
    receiving: bool,
    /// Loss counts at the last slow-link check: reported by the peer about what we send,
    /// and seen by us on what it sends.
    slowlink_lost: [u32; 2],
}

/// What the receive side keeps per SSRC of a medium.
#[derive(Default)]
struct InLayer {
    rtcp: RtcpContext,
    losses: LossDetector,
    /// What arrived (`nacks`: packets the peer asked us to resend, on the first layer).
    traffic: Traffic,
}

/// Per medium, what the send side keeps: sender report counters, and for video what was
/// sent, for retransmissions.
#[derive(Default)]
struct OutStream {
    packets: u32,
    octets: u32,
    /// `packets` when last added to the main RTCP context's sent count.
    packets_counted: u32,
    /// The newest RTP timestamp sent, and when (wall clock µs): SRs extrapolate from them.
    last_rtp_ts: u32,
    last_rtp_ts_at_us: i64,
    fir_seq: i32,
    history: Option<Box<History>>,
    retransmitted: u32,
    /// The sequence number of our last RFC 4588 retransmission.
    rtx_seq: u16,
    /// How long (ms) sent packets are kept for retransmissions: from the RTT once known
    /// (Janus' `nack_queue_ms`), 0 before.
    nack_queue_ms: u16,
    /// The video codec of what we send, from our SDP once a packet showed the payload type
    /// (for the NACK optimizations' keyframe detection).
    codec: Option<VideoCodec>,
    /// What was sent (`nacks`: packets we asked the peer to resend).
    traffic: Traffic,
}

impl OutStream {
    /// How long (µs) a sent packet may still be asked for again: the queue the RTT set,
    /// at least `min_nack_queue` and 200 ms.
    fn keep_us(&self, min_nack_queue: u16) -> i64 {
        i64::from(self.nack_queue_ms.max(min_nack_queue).max(200)) * 1000
    }

    /// Keeps a packet sent as `seq` for retransmissions, when this medium keeps any.
    fn keep_sent(&mut self, seq: u16, packet: &[u8], clear: bool, min_nack_queue: u16) {
        let keep_us = self.keep_us(min_nack_queue);
        if let Some(history) = self.history.as_mut() {
            history.store(seq, packet, crate::utils::monotonic_time(), clear, keep_us);
        }
    }
}

/// The loop thread's state.
struct Receiving {
    dtls: Option<DtlsContext>,
    srtp: Option<SrtpSession>,
    routes: Routes,
    streams: Vec<InStream>,
    buf: Box<[u8; PACKET_ROOM]>,
    app: Box<[u8; PACKET_ROOM]>,
    last_report_us: i64,
    /// The SCTP association, once DTLS is up with data channels negotiated.
    data: Option<DataChannels>,
    /// Relayed data dropped for want of an association was logged (Janus logs it once).
    data_missing_logged: bool,
    /// DTLS datagrams received and sent (handshake and data channels).
    dtls_in: Traffic,
    dtls_out: Traffic,
    /// When (monotonic µs) the DTLS handshake started and completed, 0 before.
    dtls_started_us: i64,
    dtls_connected_us: i64,
    /// Seconds since the last media statistics event, and since the last SRTP errors summary.
    stats_seconds: u32,
    srtp_summary_seconds: u32,
    /// Transport-wide sequence numbers received since the last feedback, and when
    /// (monotonic µs) the next feedback is due (0: not scheduled yet).
    twcc: Recorder,
    twcc_due_us: i64,
}

/// SRTP/SRTCP protection failures, summarised every two seconds as Janus does.
#[derive(Default)]
struct SrtpErrors {
    count: u32,
    last: Option<SrtpError>,
}

impl SrtpErrors {
    /// The protected length, or `None` after counting the failure.
    fn count(&mut self, protected: Result<usize, SrtpError>) -> Option<usize> {
        match protected {
            Ok(n) => Some(n),
            Err(e) => {
                self.count = self.count.saturating_add(1);
                self.last = Some(e);
                None
            }
        }
    }
}

/// The senders' state.
struct Sending {
    srtp: Option<SrtpSession>,
    routes: Routes,
    streams: Vec<OutStream>,
    twcc_seq: u16,
    buf: Box<[u8; PACKET_ROOM]>,
    /// The last REMB bitrate we asked the peer for.
    remb_bitrate: u32,
    srtp_errors: SrtpErrors,
}

pub struct PeerConnection {
    pub handle_id: u64,
    agent: OnceLock<IceAgent>,
    /// The loop timer (declared before the loop it runs on, so dropped first).
    timer: OnceLock<Timer>,
    handle_loop: HandleLoop,
    /// The signalling-side description; `None` until the first SDP made one.
    pub signalling: Mutex<Option<SdpPeer>>,
    rx: Mutex<Receiving>,
    tx: Mutex<Sending>,
    /// Remote candidates of `signalling` already handed to the agent.
    candidates_added: AtomicU32,
    ice_started: AtomicBool,
    dtls_started: AtomicBool,
    ready: AtomicBool,
    closed: AtomicBool,
    events: Arc<dyn MediaEvents>,
    dtls: Arc<crate::dtls::DtlsSettings>,
    /// WebRTC encryption (DTLS-SRTP); off with `-w`, for debugging.
    encryption: bool,
    /// Our candidates are trickled (and their end announced), not put in the SDP.
    full_trickle: bool,
    /// The last local and remote SDPs (`handle_info`'s `sdps`).
    sdps: Mutex<(Option<String>, Option<String>)>,
    /// Data the plugin relays, for the loop thread.
    outbox: Mutex<Outbox>,
    /// Milliseconds between transport-wide CC feedbacks (1000: with the RTCP reports).
    twcc_period: u32,
    /// What the peer sent that we dropped.
    dropped: Dropped,
}

/// Forwards the agent's events to the PeerConnection while it exists.
struct AgentHandler(Weak<PeerConnection>);

impl IceHandler for AgentHandler {
    fn on_event(&self, event: IceEvent) {
        if let Some(pc) = self.0.upgrade() {
            pc.ice_event(event);
        }
    }

    fn on_datagram(&self, data: &[u8]) {
        if let Some(pc) = self.0.upgrade() {
            pc.incoming(data);
        }
    }
}

impl PeerConnection {
    /// `janus_ice_setup_local`: a loop for the handle, an agent gathering on it
    /// (controlled when the peer offered), the timer. `signalling` is the description made
    /// so far (the peer's offer), or `None` for a plugin's offer.
    /// `agent` says what this handle's ICE agent needs beyond the settings.
    pub fn new(
        plane: &MediaPlane,
        handle_id: u64,
        handle_loop: Option<&HandleLoop>,
        got_offer: bool,
        signalling: Option<SdpPeer>,
        events: Arc<dyn MediaEvents>,
        agent: &AgentRequest,
    ) -> Result<Arc<PeerConnection>, PeerConnectionError> {
        let handle_loop = handle_loop.ok_or(PeerConnectionError::Loop)?;
        let pc = Arc::new(PeerConnection {
            handle_id,
            agent: OnceLock::new(),
            timer: OnceLock::new(),
            handle_loop: handle_loop.clone(),
            signalling: Mutex::new(signalling),
            rx: Mutex::new(Receiving {
                dtls: None,
                srtp: None,
                routes: Routes::default(),
                streams: Vec::new(),
                buf: Box::new([0; PACKET_ROOM]),
                app: Box::new([0; PACKET_ROOM]),
                last_report_us: 0,
                data: None,
                data_missing_logged: false,
                dtls_in: Traffic::default(),
                dtls_out: Traffic::default(),
                dtls_started_us: 0,
                dtls_connected_us: 0,
                stats_seconds: 0,
                srtp_summary_seconds: 0,
                twcc: Recorder::default(),
                twcc_due_us: 0,
            }),
            tx: Mutex::new(Sending {
                srtp: None,
                routes: Routes::default(),
                streams: Vec::new(),
                twcc_seq: 0,
                buf: Box::new([0; PACKET_ROOM]),
                remb_bitrate: 0,
                srtp_errors: SrtpErrors::default(),
            }),
            candidates_added: AtomicU32::new(0),
            ice_started: AtomicBool::new(false),
            dtls_started: AtomicBool::new(false),
            ready: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            dropped: Dropped::default(),
            events,
            dtls: plane.dtls.clone(),
            encryption: plane.sdp.webrtc_encryption,
            full_trickle: plane.ice.full_trickle,
            sdps: Mutex::default(),
            outbox: Mutex::default(),
            twcc_period: plane.twcc_period,
        });
        let handler = Arc::new(AgentHandler(Arc::downgrade(&pc)));
        let mut ice = match plane.ice.turn_rest_api.as_ref().and_then(|api| api.request(&agent.turn_user)) {
            Some(credentials) => {
                janus_log!(Level::Verb, "[{}] Got credentials from the TURN REST API backend!\n", handle_id);
                Arc::new(crate::ice::IceSettings { turn_servers: credentials.servers, ..(*plane.ice).clone() })
            }
            None => plane.ice.clone(),
        };
        if agent.force_relay {
            janus_log!(Level::Verb, "[{}] Forcing Janus to use a TURN server\n", handle_id);
            Arc::make_mut(&mut ice).force_relay = true;
        }
        let agent = IceAgent::new(handle_loop, ice, got_offer, handler).map_err(|_| PeerConnectionError::Ice)?;
        let _ = pc.agent.set(agent);
        let weak = Arc::downgrade(&pc);
        let _ = pc.timer.set(handle_loop.add_timer(FIRST_TICK, move || weak.upgrade().and_then(|pc| pc.tick())));
        pc.refresh_routes();
        Ok(pc)
    }

    pub fn agent(&self) -> Option<&IceAgent> {
        self.agent.get()
    }

    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Our ICE credentials.
    pub fn local_credentials(&self) -> Option<(String, String)> {
        self.agent.get()?.local_credentials()
    }

    /// Waits (bounded) until the agent has gathered its candidates, as Janus does before
    /// an SDP goes out when the peer does not trickle. Not on the agent's own loop thread
    /// (a plugin answering from a media callback), where gathering cannot progress.
    pub fn wait_gathering(&self, timeout: Duration) -> bool {
        let deadline = if self.handle_loop.is_current() { Instant::now() } else { Instant::now() + timeout };
        loop {
            match self.agent.get() {
                Some(a) if a.gathering_done() => return true,
                Some(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
                _ => return false,
            }
        }
    }

    pub fn local_candidates(&self) -> Vec<String> {
        self.agent.get().map(IceAgent::local_candidates).unwrap_or_default()
    }

    pub fn set_local_sdp(&self, sdp: &str) {
        lock(&self.sdps).0 = Some(sdp.to_owned());
    }

    pub fn set_remote_sdp(&self, sdp: &str) {
        lock(&self.sdps).1 = Some(sdp.to_owned());
    }

    /// `handle_info`'s `sdps`: the RTP profile and the last local and remote SDPs.
    pub fn sdps_summary(&self) -> Object {
        let mut sdps = Object::new();
        if let Some(profile) = lock(&self.signalling).as_ref().and_then(|s| s.rtp_profile.clone()) {
            sdps.set("profile", profile);
        }
        let (local, remote) = lock(&self.sdps).clone();
        if let Some(l) = local {
            sdps.set("local", l);
        }
        if let Some(r) = remote {
            sdps.set("remote", r);
        }
        sdps
    }

    /// `handle_info`'s `webrtc` (`janus_admin_peerconnection_summary`): ICE and DTLS
    /// state, the extensions negotiated, and each medium with its statistics.
    pub fn summary(&self) -> Json {
        let mut ice = Object::new();
        if let Some(agent) = self.agent.get() {
            ice.set("stream_id", agent.stream_id());
            ice.set("component_id", 1);
            ice.set("state", agent.state().name());
            let local: Vec<Json> = agent.local_candidates().into_iter().map(Json::from).collect();
            if !local.is_empty() {
                ice.set("local-candidates", local);
            }
        }
        let (remote, fingerprint, hashing, role) = match lock(&self.signalling).as_ref() {
            Some(s) => (
                s.remote_candidates.iter().map(|c| Json::from(c.text.trim_end())).collect::<Vec<_>>(),
                s.remote_fingerprint.clone(),
                s.remote_hashing.clone(),
                s.dtls_role,
            ),
            None => (Vec::new(), None, None, SdpDtlsRole::Actpass),
        };
        if !remote.is_empty() {
            ice.set("remote-candidates", remote);
        }
        if let Some(pair) = self.agent.get().and_then(IceAgent::selected_pair) {
            ice.set("selected-pair", pair);
        }
        ice.set("ready", i64::from(self.ice_started.load(Ordering::Acquire)));
        let mut dtls = Object::new().with("fingerprint", self.dtls.local_fingerprint());
        if let Some(f) = fingerprint {
            dtls.set("remote-fingerprint", f);
        }
        if let Some(h) = hashing {
            dtls.set("remote-fingerprint-hash", h);
        }
        dtls.set("dtls-role", role.setup_value());
        let rx = lock(&self.rx);
        let state = rx.dtls.as_ref().map_or("created", |d| d.state().as_str());
        dtls.set("dtls-state", state);
        dtls.set("retransmissions", rx.dtls.as_ref().map_or(0, |d| d.retransmissions()));
        dtls.set("valid", rx.srtp.is_some());
        dtls.set("srtp-profile", rx.srtp.as_ref().map_or("none", |s| s.profile().name()));
        dtls.set("ready", self.is_ready());
        if rx.dtls_started_us > 0 {
            dtls.set("handshake-started", rx.dtls_started_us);
        }
        if rx.dtls_connected_us > 0 {
            dtls.set("connected", rx.dtls_connected_us);
        }
        dtls.set("sctp-association", rx.data.is_some());
        let packets_and_bytes = |t: &Traffic| Object::new().with("packets", t.packets).with("bytes", t.bytes);
        dtls.set("stats", Object::new().with("in", packets_and_bytes(&rx.dtls_in)).with("out", packets_and_bytes(&rx.dtls_out)));
        let counters = self.counters(&rx);
        drop(rx);
        let mut summary = Object::new().with("ice", ice).with("dtls", dtls);
        let local = lock(&self.sdps).0.clone();
        if let Some(sdp) = lock(&self.signalling).as_ref() {
            summary.set("extensions", extensions_summary(&sdp.extensions));
            let mut bwe = Object::new().with("twcc", sdp.extensions.do_transport_wide_cc);
            if sdp.extensions.transport_wide_cc >= 0 {
                bwe.set("twcc-ext-id", sdp.extensions.transport_wide_cc);
            }
            summary.set("bwe", bwe);
            let stats = Self::medium_stats(sdp, &counters, local.as_deref());
            let media: Object = sdp
                .media
                .iter()
                .filter_map(|m| {
                    let queue = counters.media.iter().find(|c| c.mindex == m.mindex).map_or(0, |c| c.nack_queue_ms);
                    Some((m.mid.clone()?, medium_summary(m, stats.iter().find(|s| s.mindex == m.mindex)?, queue, &sdp.extensions)))
                })
                .map(|(mid, summary)| (mid, Json::from(summary)))
                .collect();
            summary.set("media", media);
        }
        summary.set("dropped", self.dropped.to_json());
        summary.into()
    }

    /// Copies what the media paths need from the signalling description (after any change
    /// to it), keeping the SSRCs the receive side learnt from packets.
    pub fn refresh_routes(self: &Arc<Self>) {
        let routes = match lock(&self.signalling).as_ref() {
            Some(sdp) => Routes::from_peer(sdp),
            None => Routes::default(),
        };
        {
            let mut rx = lock(&self.rx);
            let mut fresh = routes.clone();
            for r in &mut fresh.media {
                if let Some(old) = rx.routes.media.iter().find(|o| o.mindex == r.mindex) {
                    for (learnt, old) in r.ssrc_peer.iter_mut().zip(old.ssrc_peer).chain(r.ssrc_peer_rtx.iter_mut().zip(old.ssrc_peer_rtx))
                    {
                        if *learnt == 0 {
                            *learnt = old;
                        }
                    }
                }
            }
            let count = fresh.media.len();
            rx.routes = fresh;
            rx.streams.resize_with(count, InStream::default);
            if rx.data.is_none() && rx.routes.data_channels && rx.srtp.is_some() {
                // A renegotiation added data channels to a PeerConnection that is up: the
                // association starts on the loop thread (the plugin hears of it there).
                let weak = Arc::downgrade(self);
                self.handle_loop.invoke(move || {
                    if let Some(pc) = weak.upgrade() {
                        pc.add_data_channels();
                    }
                });
            }
        }
        let mut tx = lock(&self.tx);
        let mut routes = routes;
        for r in &mut routes.media {
            if r.ssrc_peer[0] == 0 {
                if let Some(old) = tx.routes.media.iter().find(|o| o.mindex == r.mindex) {
                    r.ssrc_peer[0] = old.ssrc_peer[0];
                }
            }
        }
        let count = routes.media.len();
        tx.streams.resize_with(count, OutStream::default);
        for (stream, route) in tx.streams.iter_mut().zip(&routes.media) {
            if route.video && stream.history.is_none() {
                stream.history = Some(Box::default());
            }
        }
        tx.routes = routes;
    }

    /// Starts connectivity checks (`janus_ice_setup_remote_candidates`): the peer's
    /// credentials and every candidate known so far go to the agent; later ones are added
    /// as they are trickled.
    pub fn start_ice(&self) {
        let Some(agent) = self.agent.get() else { return };
        let creds = lock(&self.signalling).as_ref().and_then(|s| Some((s.ruser.clone()?, s.rpass.clone()?)));
        if let Some((ufrag, pwd)) = creds {
            agent.set_remote_credentials(&ufrag, &pwd);
        }
        self.ice_started.store(true, Ordering::Release);
        self.add_new_candidates();
    }

    /// `janus_ice_restart` (`local`: new credentials of ours) and the peer's credentials
    /// of the description given to the agent again.
    pub fn restart_ice(&self, local: bool) {
        let Some(agent) = self.agent.get() else { return };
        if local {
            agent.restart();
        }
        let creds = lock(&self.signalling).as_ref().and_then(|s| Some((s.ruser.clone()?, s.rpass.clone()?)));
        if let Some((ufrag, pwd)) = creds {
            agent.set_remote_credentials(&ufrag, &pwd);
        }
        self.add_new_candidates();
    }

    /// Hands the agent the remote candidates of the description it has not seen yet.
    pub fn add_new_candidates(&self) {
        if !self.ice_started.load(Ordering::Acquire) {
            return;
        }
        let Some(agent) = self.agent.get() else { return };
        let fresh: Vec<Candidate> = {
            let sig = lock(&self.signalling);
            let Some(sdp) = sig.as_ref() else { return };
            let from = self.candidates_added.swap(sdp.remote_candidates.len() as u32, Ordering::AcqRel) as usize;
            sdp.remote_candidates.iter().skip(from).filter_map(Candidate::from_remote).collect()
        };
        agent.add_remote_candidates(fresh);
    }

    /// Resolves the mDNS names (`.local`) of remote candidates off the caller's thread, as
    /// Janus does, each as (name, candidate line); a resolved candidate is parsed again with
    /// the address in place of the name and handed to the agent like a trickled one.
    /// `resolve` is the name lookup (`getaddrinfo`, whose NSS modules may speak mDNS).
    pub fn resolve_mdns(
        self: &Arc<Self>,
        settings: &SdpSettings,
        candidates: Vec<(String, String)>,
        resolve: fn(&str) -> Option<std::net::IpAddr>,
    ) {
        for (name, candidate) in candidates {
            janus_log!(Level::Verb, "[{}] Resolving mDNS address ({}) asynchronously\n", self.handle_id, name);
            let pc = Arc::downgrade(self);
            let settings = settings.clone();
            let spawned = std::thread::Builder::new().name("mdns".into()).spawn(move || {
                let resolved = resolve(&name);
                let Some(pc) = pc.upgrade().filter(|pc| !pc.is_closed()) else { return };
                let Some(ip) = resolved else {
                    janus_log!(Level::Warn, "[{}] Error resolving mDNS address ({}): no results\n", pc.handle_id, name);
                    return;
                };
                let address = crate::ip_utils::address_to_string(ip);
                janus_log!(Level::Verb, "[{}] mDNS address ({}) resolved: {}\n", pc.handle_id, name, address);
                let replaced = candidate.replace(&name, &address);
                if let Some(description) = lock(&pc.signalling).as_mut() {
                    let _ = crate::sdp::parse_candidate(description, &settings, &replaced);
                }
                pc.add_new_candidates();
            });
            if let Err(e) = spawned {
                janus_log!(Level::Err, "[{}] Couldn't start resolving an mDNS address: {}\n", self.handle_id, e);
            }
        }
    }

    /// Tears the PeerConnection down: DTLS says goodbye, the agent goes, the loop is
    /// released. Idempotent.
    pub fn close(&self) {
        if self.closed.swap(true, Ordering::AcqRel) {
            return;
        }
        self.ready.store(false, Ordering::Release);
        {
            let mut rx = lock(&self.rx);
            if let Some(data) = rx.data.as_mut() {
                // The association ends before DTLS does; the plugin hears nothing more.
                data.close(Instant::now());
                self.flush_data(&mut rx, &mut Vec::new());
                rx.data = None;
            }
            if let Some(dtls) = rx.dtls.as_mut() {
                dtls.send_close_notify();
                // The alert must leave before the agent goes.
                if let Some(agent) = self.agent.get() {
                    while let Some(datagram) = dtls.poll_transmit() {
                        agent.send(datagram);
                    }
                }
            }
            rx.srtp = None;
        }
        lock(&self.tx).srtp = None;
        // The agent (silenced by `closed`) and then the loop go when the PeerConnection
        // is dropped: fields drop in declaration order, the agent before its loop.
    }

    fn ice_event(&self, event: IceEvent) {
        if self.is_closed() {
            return;
        }
        match event {
            // Full trickle (gathering may end before `new` has returned).
            IceEvent::LocalCandidate(c) => {
                let mid = lock(&self.signalling).as_ref().and_then(|s| s.pc_mid.clone()).unwrap_or_default();
                self.events.local_candidate(Some((&mid, &c)));
            }
            IceEvent::GatheringDone if self.full_trickle => self.events.local_candidate(None),
            IceEvent::GatheringDone => {}
            IceEvent::StateChanged(state) => {
                self.webrtc_event(WebrtcSubtype::Ice, Object::new().with("ice", state.name()));
                if state == IceState::Failed {
                    self.events.failed("ICE failed");
                }
            }
            IceEvent::PeerReflexiveRemote(_) => {}
            IceEvent::SelectedPair(pair) => {
                janus_log!(Level::Info, "[{}] New selected pair: {}\n", self.handle_id, pair.text);
                self.webrtc_event(WebrtcSubtype::SelectedPair, Object::new().with("selected-pair", pair.text.as_str()));
                if !self.dtls_started.swap(true, Ordering::AcqRel) {
                    self.start_dtls();
                }
            }
        }
    }

    /// `info` with the stream and component ids, to the event handlers.
    fn webrtc_event(&self, subtype: WebrtcSubtype, info: Object) {
        let stream_id = self.agent.get().map_or(0, IceAgent::stream_id);
        self.events.webrtc_event(subtype, info.with("stream_id", stream_id).with("component_id", 1).into());
    }

    fn dtls_event(&self, state: crate::dtls::DtlsState, retransmissions: u32) {
        let info = Object::new().with("dtls", state.as_str());
        let stream_id = self.agent.get().map_or(0, IceAgent::stream_id);
        let info = info.with("stream_id", stream_id).with("component_id", 1).with("retransmissions", retransmissions);
        self.events.webrtc_event(WebrtcSubtype::Dtls, info.into());
    }

    fn start_dtls(&self) {
        if !self.encryption {
            janus_log!(Level::Warn, "[{}] WebRTC encryption disabled, skipping DTLS handshake\n", self.handle_id);
            if !self.ready.swap(true, Ordering::AcqRel) {
                self.events.webrtc_up();
            }
            return;
        }
        let role = match lock(&self.signalling).as_ref().map(|s| s.dtls_role) {
            Some(SdpDtlsRole::Server) => DtlsRole::Server,
            _ => DtlsRole::Client,
        };
        let remote = lock(&self.signalling).as_ref().and_then(|s| Some((s.remote_hashing.clone()?, s.remote_fingerprint.clone()?)));
        let mut rx = lock(&self.rx);
        let Some(mut dtls) = DtlsContext::new(&self.dtls, role) else {
            drop(rx);
            return self.events.failed("DTLS-SRTP stack error");
        };
        if let Some((hash, value)) = remote {
            dtls.set_remote_fingerprint(&hash, &value);
        }
        dtls.start(Instant::now());
        let state = dtls.state();
        rx.dtls = Some(dtls);
        rx.dtls_started_us = crate::utils::monotonic_time();
        self.dtls_event(state, 0);
        let failed = self.flush_dtls(&mut rx);
        self.arm_timer(&rx);
        drop(rx);
        if let Some(reason) = failed {
            self.events.failed(reason);
        }
    }

    /// Sends what DTLS has to send and acts on its events; a hangup reason on failure.
    fn flush_dtls(&self, rx: &mut Receiving) -> Option<&'static str> {
        let agent = self.agent.get()?;
        let dtls = rx.dtls.as_mut()?;
        let now_us = crate::utils::monotonic_time();
        while let Some(datagram) = dtls.poll_transmit() {
            agent.send(datagram);
            rx.dtls_out.count(datagram.len(), now_us);
        }
        let mut failed = None;
        let mut connected = false;
        let before = dtls.state();
        while let Some(event) = dtls.poll_event() {
            match event {
                DtlsEvent::Connected(material) => {
                    let sessions = SrtpSession::new(material.profile, &material.keys)
                        .and_then(|a| SrtpSession::new(material.profile, &material.keys).map(|b| (a, b)));
                    match sessions {
                        // One session per direction, so that receiving and sending never
                        // share a lock.
                        Ok((inbound, outbound)) => {
                            rx.srtp = Some(inbound);
                            lock(&self.tx).srtp = Some(outbound);
                            janus_log!(Level::Info, "[{}] The DTLS handshake has been completed\n", self.handle_id);
                            connected = true;
                            rx.dtls_connected_us = crate::utils::monotonic_time();
                        }
                        Err(_) => failed = Some("DTLS-SRTP stack error"),
                    }
                }
                DtlsEvent::Alert { .. } | DtlsEvent::Closed => failed = failed.or(Some("DTLS alert")),
                DtlsEvent::Failed(crate::dtls::DtlsFailure::Timeout) => failed = Some("DTLS timeout"),
                DtlsEvent::Failed(crate::dtls::DtlsFailure::Retransmission(_)) => failed = Some("DTLS error"),
                // Janus ends a failed handshake (refused, or completed with a peer it does not
                // accept: wrong fingerprint, no certificate, no SRTP) through its alert path.
                DtlsEvent::Failed(_) => failed = Some("DTLS alert"),
            }
        }
        if let Some(dtls) = rx.dtls.as_ref().filter(|d| d.state() != before) {
            self.dtls_event(dtls.state(), dtls.retransmissions());
        }
        if connected && failed.is_none() && rx.routes.data_channels {
            self.create_data_channels(rx);
        }
        failed
    }

    /// A datagram from the peer (STUN already consumed by libnice).
    fn incoming(&self, data: &[u8]) {
        if self.is_closed() {
            return;
        }
        if data.len() > 1500 {
            return self.dropped.count(DropReason::TooBig);
        }
        match classify(data) {
            Datagram::Dtls => self.incoming_dtls(data),
            Datagram::Rtp => self.incoming_rtp(data),
            Datagram::Rtcp => self.incoming_rtcp(data),
            Datagram::Unknown => self.dropped.count(DropReason::NotWebrtc),
        }
    }

    fn incoming_dtls(&self, data: &[u8]) {
        let mut guard = lock(&self.rx);
        let rx = &mut *guard;
        let Some(dtls) = rx.dtls.as_mut() else { return self.dropped.count(DropReason::Early) };
        let now = Instant::now();
        rx.dtls_in.count(data.len(), crate::utils::monotonic_time());
        let mut read = dtls.handle_incoming(data, now, &mut rx.app[..]);
        let was_ready = rx.srtp.is_some();
        // The handshake may complete here, creating the association the records go to.
        let failed = self.flush_dtls(rx);
        let up = !was_ready && rx.srtp.is_some();
        let mut deliveries = Vec::new();
        // Application data is SCTP, one packet per record.
        while read > 0 {
            if let Some(data) = rx.data.as_mut() {
                data.incoming(&rx.app[..read], now);
            }
            read = rx.dtls.as_mut().map_or(0, |d| d.read_application_data(&mut rx.app[..]));
        }
        self.flush_data(rx, &mut deliveries);
        self.arm_timer(rx);
        drop(guard);
        if let Some(reason) = failed {
            return self.events.failed(reason);
        }
        if up && !self.ready.swap(true, Ordering::AcqRel) {
            self.events.webrtc_up();
        }
        self.deliver(deliveries);
    }

    /// Data channels negotiated after DTLS came up ("Creating datachannels...").
    fn add_data_channels(&self) {
        if self.is_closed() {
            return;
        }
        let mut deliveries = Vec::new();
        {
            let mut guard = lock(&self.rx);
            let rx = &mut *guard;
            if rx.data.is_some() || rx.srtp.is_none() {
                return;
            }
            janus_log!(Level::Verb, "[{}] Creating datachannels...\n", self.handle_id);
            self.create_data_channels(rx);
            self.flush_data(rx, &mut deliveries);
            self.arm_timer(rx);
        }
        self.deliver(deliveries);
    }

    /// `janus_dtls_srtp_create_sctp`: the association over this DTLS, as the client when
    /// we are the DTLS client.
    fn create_data_channels(&self, rx: &mut Receiving) {
        let Some(dtls) = rx.dtls.as_ref() else { return };
        let client = dtls.role() == DtlsRole::Client;
        rx.data = Some(DataChannels::new(self.handle_id, client, rx.routes.remote_max_message_size, Instant::now()));
    }

    /// Sends what the SCTP association has to send, encrypted by DTLS, and collects what
    /// the plugin must hear (handed over by [`Self::deliver`] once the lock is released).
    fn flush_data(&self, rx: &mut Receiving, deliveries: &mut Vec<DataDelivery>) {
        let (Some(data), Some(dtls), Some(agent)) = (rx.data.as_mut(), rx.dtls.as_mut(), self.agent.get()) else { return };
        data.drain(deliveries, |packet| {
            if !dtls.send(packet) {
                janus_log!(Level::Err, "[{}] Error sending data: DTLS refused {} bytes\n", self.handle_id, packet.len());
            }
        });
        let now_us = crate::utils::monotonic_time();
        while let Some(datagram) = dtls.poll_transmit() {
            agent.send(datagram);
            rx.dtls_out.count(datagram.len(), now_us);
        }
    }

    /// `incoming_data` and `data_ready` for the plugin; called without locks held, so that
    /// the plugin may relay from them.
    fn deliver(&self, deliveries: Vec<DataDelivery>) {
        for delivery in deliveries {
            if self.is_closed() {
                return;
            }
            match delivery {
                DataDelivery::Message { label, protocol, binary, mut data } => {
                    self.events.incoming_data(&label, protocol.as_deref(), binary, &mut data)
                }
                DataDelivery::Ready => self.events.data_ready(),
            }
        }
    }

    /// A plugin's `relay_data` (`janus_ice_relay_data`): queued for the loop thread, which
    /// sends it on the channel with that label. Dropped before the PeerConnection is up,
    /// as Janus drops queued packets then.
    pub fn relay_data(self: &Arc<Self>, message: OutgoingData) {
        if !self.is_ready() || message.data.is_empty() {
            return;
        }
        match lock(&self.outbox).push(message) {
            Queued::Queued => {}
            Queued::Dropped => {
                janus_log!(Level::Warn, "[{}] Too much data waiting to be sent, dropping a message\n", self.handle_id)
            }
            Queued::Wake => {
                let weak = Arc::downgrade(self);
                self.handle_loop.invoke(move || {
                    if let Some(pc) = weak.upgrade() {
                        pc.send_relayed_data();
                    }
                });
            }
        }
    }

    /// On the loop thread: what plugins relayed goes into the SCTP association.
    fn send_relayed_data(&self) {
        let messages = lock(&self.outbox).take();
        if self.is_closed() || !self.is_ready() {
            return;
        }
        let mut deliveries = Vec::new();
        {
            let mut guard = lock(&self.rx);
            let rx = &mut *guard;
            let now = Instant::now();
            match rx.data.as_mut() {
                Some(data) => {
                    rx.data_missing_logged = false;
                    for message in &messages {
                        data.relay(message, now);
                    }
                }
                None if !rx.data_missing_logged => {
                    rx.data_missing_logged = true;
                    janus_log!(Level::Warn, "[{}] SCTP stream component has no valid DTLS session (yet?)\n", self.handle_id);
                }
                None => {}
            }
            self.flush_data(rx, &mut deliveries);
            self.arm_timer(rx);
        }
        self.deliver(deliveries);
    }

    fn incoming_rtp(&self, data: &[u8]) {
        if !self.is_ready() {
            return self.dropped.count(DropReason::Early);
        }
        let Some(header) = RtpHeader::new(data) else { return self.dropped.count(DropReason::Malformed) };
        let mut guard = lock(&self.rx);
        let rx = &mut *guard;
        // As Janus: the medium by SSRC (the header is clear) before any cryptography.
        let Some(incoming) = rx.routes.incoming(data) else {
            janus_log!(Level::Warn, "[{}] Unknown SSRC, dropping packet (SSRC {})...\n", self.handle_id, header.ssrc());
            return self.dropped.count(DropReason::UnknownSsrc);
        };
        if incoming.learnt {
            // The send side addresses feedback (PLI, NACK) to this SSRC too.
            if let Some(r) = lock(&self.tx).routes.media.get_mut(incoming.route) {
                let slots = if incoming.rtx { &mut r.ssrc_peer_rtx } else { &mut r.ssrc_peer };
                slots[incoming.substream] = header.ssrc();
            }
        }
        rx.buf[..data.len()].copy_from_slice(data);
        let len = match transform(rx.srtp.as_mut(), self.encryption, &mut rx.buf[..], data.len(), SrtpSession::unprotect_rtp) {
            Ok(len) => len,
            // Replays are usually retransmissions we asked for: not worth a line.
            Err(e) if e.is_replay() => return self.dropped.count(DropReason::Replay),
            Err(e) => {
                let (len, ts, seq) = (data.len(), header.timestamp(), header.sequence_number());
                janus_log!(Level::Err, "[{}]     SRTP unprotect error: {e} (len={len}-->{len}, ts={ts}, seq={seq})\n", self.handle_id);
                return self.dropped.count(DropReason::Unprotect);
            }
        };
        self.events.capture(PacketKind::Rtp, true, &rx.buf[..len]);
        if rx.routes.ext.do_transport_wide_cc {
            if let Ok(seq) = crate::rtp::extensions::transport_wide_cc(&rx.buf[..len], rx.routes.ext.transport_wide_cc) {
                rx.twcc.record(seq, crate::utils::real_time().max(0) as u64);
            }
        }
        let packet = if incoming.rtx {
            // An RFC 4588 retransmission (of a packet we NACKed): back to the original.
            let r = &rx.routes.media[incoming.route];
            let primary = r.ssrc_peer[incoming.substream];
            match unwrap_rtx(&mut rx.buf[..len], r, primary) {
                Some((at, n)) => &mut rx.buf[at..at + n],
                None => return self.dropped.count(DropReason::Malformed),
            }
        } else {
            &mut rx.buf[..len]
        };
        let peer_ssrc = RtpHeader::new(packet).map_or(0, |h| h.ssrc());
        let route = &rx.routes.media[incoming.route];
        let (mindex, video) = (route.mindex as i32, route.video);
        let t = now();
        let stream = &mut rx.streams[incoming.route];
        let rtx_enabled = !route.rtx_payload_types.is_empty();
        let clock_rate = if video { 90000 } else { 48000 };
        let layer = &mut stream.layers[incoming.substream];
        layer.traffic.count(packet.len(), t.monotonic_us);
        let _ = layer.rtcp.process_incoming_rtp(packet, incoming.rtx, rtx_enabled, false, clock_rate, t.monotonic_us);
        stream.last_packet_us = t.monotonic_us;
        let started = !stream.receiving;
        stream.receiving = true;
        if started {
            let mid = route.mid.clone().unwrap_or_default();
            self.events.media_state(&mid, video, true);
        }
        if route.do_nacks && video {
            let mut missing = [0u16; MAX_GAP as usize];
            let seq = RtpHeader::new(packet).map_or(0, |h| h.sequence_number());
            let lost = stream.layers[incoming.substream].losses.received(seq, &mut missing);
            if lost > 0 {
                self.send_nacks(incoming.route, peer_ssrc, &missing[..lost]);
            }
        }
        let extensions = RtpExtensions::parse(packet, &rx.routes.ext, video);
        self.events.incoming_rtp(mindex, video, packet, &extensions);
    }

    fn incoming_rtcp(&self, data: &[u8]) {
        if !self.is_ready() {
            return self.dropped.count(DropReason::Early);
        }
        let mut guard = lock(&self.rx);
        let rx = &mut *guard;
        rx.buf[..data.len()].copy_from_slice(data);
        let mut len = match transform(rx.srtp.as_mut(), self.encryption, &mut rx.buf[..], data.len(), SrtpSession::unprotect_rtcp) {
            Ok(len) => len,
            Err(e) => {
                let len = data.len();
                janus_log!(Level::Err, "[{}]     SRTCP unprotect error: {e} (len={len}-->{len})\n", self.handle_id);
                return self.dropped.count(if e.is_replay() { DropReason::Replay } else { DropReason::Unprotect });
            }
        };
        self.events.capture(PacketKind::Rtcp, true, &rx.buf[..len]);
        if let Some(ssrc) = nack_media_ssrc(&rx.buf[..len]) {
            // NACKs are the core's business: answered here, never shown to plugins.
            let (asked, kept) = self.retransmit(ssrc, &rx.buf[..len], rx.routes.by_peer_ssrc(ssrc).is_none());
            if let Some(i) = rx.routes.media.iter().position(|r| r.ssrc == ssrc) {
                let main = &mut rx.streams[i].layers[0];
                main.traffic.nacks = main.traffic.nacks.wrapping_add(asked);
                // The outbound link quality counts the NACKs we could answer, as Janus does.
                if kept {
                    main.rtcp.nack_count = main.rtcp.nack_count.wrapping_add(1);
                }
            }
            len = crate::rtcp::query::remove_nacks(&mut rx.buf[..len]);
            if len == 0 {
                return;
            }
        }
        let packet = &mut rx.buf[..len];
        let sender = crate::rtcp::query::sender_ssrc(packet);
        let about = crate::rtcp::query::receiver_ssrc(packet);
        // The medium whose peer SSRC sent it, else the one of ours it is about.
        let route = rx.routes.by_peer_ssrc(sender).or_else(|| rx.routes.media.iter().position(|r| r.ssrc == about && about != 0));
        let Some(i) = route.or((rx.routes.media.len() == 1).then_some(0)) else {
            if about > 0 {
                janus_log!(Level::Verb, "[{}] Unknown SSRC, dropping RTCP packet (SSRC {about})...\n", self.handle_id);
            }
            return self.dropped.count(DropReason::UnknownSsrc);
        };
        let (mindex, video) = (rx.routes.media[i].mindex as i32, rx.routes.media[i].video);
        // Statistics from SRs/RRs; the plugin sees the compound as the peer sent it.
        let substream = rx.routes.media[i].ssrc_peer.iter().position(|s| *s == sender && sender != 0).unwrap_or(0);
        // What we sent since, for the outbound link quality an RR brings (Janus counts it in
        // the medium's main context as it sends).
        if let Some(s) = lock(&self.tx).streams.get_mut(i) {
            let sent = s.packets.wrapping_sub(s.packets_counted);
            s.packets_counted = s.packets;
            let main = &mut rx.streams[i].layers[0].rtcp;
            main.sent_packets_since_last_rr = main.sent_packets_since_last_rr.wrapping_add(sent as i32);
        }
        let rtt_before = rx.streams[i].layers[substream].rtcp.rtt;
        // What does not parse goes no further, as in Janus.
        if fix_ssrc(Some(&mut rx.streams[i].layers[substream].rtcp), packet, None, now()).is_err() {
            return self.dropped.count(DropReason::Malformed);
        }
        if rx.streams[i].layers[substream].rtcp.rtt != rtt_before {
            // The retransmission queue follows the main substream's round-trip time.
            let rtt = rx.streams[i].layers[0].rtcp.rtt();
            if let Some(s) = lock(&self.tx).streams.get_mut(i) {
                s.nack_queue_ms = nack_queue_ms(s.nack_queue_ms, rtt, rtt_before == 0, self.events.min_nack_queue());
            }
        }
        self.events.incoming_rtcp(mindex, video, packet);
    }

    /// Asks the peer for the packets `seqs` of medium `route`, sent by `peer_ssrc` (a
    /// generic NACK).
    fn send_nacks(&self, route: usize, peer_ssrc: u32, seqs: &[u16]) {
        let mut guard = lock(&self.tx);
        let tx = &mut *guard;
        let Some(r) = tx.routes.media.get(route) else { return };
        let fix = SsrcFix { local: r.ssrc, remote: peer_ssrc };
        let room = tx.buf.len() - RTCP_TRAILER_ROOM;
        let Some(len) = crate::rtcp::feedback::nacks(&mut tx.buf[..room.min(12 + 4 * MAX_GAP as usize)], seqs) else { return };
        self.send_rtcp_locked(tx, len, fix);
        if let Some(s) = tx.streams.get_mut(route) {
            s.traffic.nacks = s.traffic.nacks.wrapping_add(seqs.len() as u32);
        }
    }

    /// Resends what a NACK (about our SSRC `ssrc`) asks for, as it was sent, if still kept
    /// (`min_nack_queue` ms, at least 200).
    /// Returns how many packets the NACK asked for, and whether any was still kept.
    fn retransmit(&self, ssrc: u32, compound: &[u8], ours: bool) -> (u32, bool) {
        let (Some(agent), true) = (self.agent.get(), ours) else { return (0, false) };
        let Ok(seqs) = crate::rtcp::query::get_nacks(compound) else { return (0, false) };
        let asked = seqs.clone().count() as u32;
        let mut kept = false;
        let mut guard = lock(&self.tx);
        let tx = &mut *guard;
        let Some(i) = tx.routes.media.iter().position(|r| r.ssrc == ssrc) else { return (asked, false) };
        let max_age = tx.streams[i].keep_us(self.events.min_nack_queue());
        let now_us = crate::utils::monotonic_time();
        let route = &tx.routes.media[i];
        let stream = &mut tx.streams[i];
        let Some(history) = stream.history.as_ref() else { return (asked, false) };
        for seq in seqs {
            let Some((packet, clear)) = history.get(seq, now_us, max_age) else { continue };
            kept = true;
            if !clear {
                agent.send(packet);
            } else {
                // RFC 4588: the packet again, on our RTX stream, protected afresh.
                let pt = RtpHeader::new(packet).map_or(0, |h| i32::from(h.payload_type()));
                let Some((rtx_pt, _)) = route.rtx_payload_types.iter().find(|(_, apt)| *apt == pt) else { continue };
                stream.rtx_seq = stream.rtx_seq.wrapping_add(1);
                let room = tx.buf.len() - RTP_TRAILER_ROOM;
                let Some(len) = wrap_rtx(packet, *rtx_pt as u8, route.ssrc_rtx, stream.rtx_seq, &mut tx.buf[..room]) else { continue };
                self.events.capture(PacketKind::Rtp, false, &tx.buf[..len]);
                if let Some(n) =
                    tx.srtp_errors.count(transform(tx.srtp.as_mut(), self.encryption, &mut tx.buf[..], len, SrtpSession::protect_rtp))
                {
                    agent.send(&tx.buf[..n]);
                }
            }
            stream.retransmitted = stream.retransmitted.wrapping_add(1);
        }
        (asked, kept)
    }

    /// Janus' once-a-second slow-link check, after the reports: the losses the peer
    /// reports on what we send (when we send), and those we see on what it sends.
    fn check_slow_links(&self, rx: &mut Receiving, found: &mut Vec<(String, usize, bool, bool, u32)>) {
        let threshold = self.events.slowlink_threshold();
        let tx = lock(&self.tx);
        for (i, stream) in rx.streams.iter_mut().enumerate() {
            let route = &rx.routes.media[i];
            let main = &stream.layers[0].rtcp;
            let sending = tx.streams.get(i).is_some_and(|s| s.packets > 0);
            let checks = [(sending, true, main.lost_all(true)), (route.recv && main.rtp_recvd & 1 != 0, false, main.lost_all(false))];
            for (due, uplink, lost) in checks {
                if !due {
                    continue;
                }
                if let Some(n) = slow_link_losses(&mut stream.slowlink_lost[usize::from(!uplink)], lost, threshold) {
                    found.push((route.mid.clone().unwrap_or_default(), route.mindex, route.video, uplink, n));
                }
            }
        }
    }

    /// The counters, copied under the receive lock the caller holds and the send lock.
    fn counters(&self, rx: &Receiving) -> CountersSnapshot {
        let tx = lock(&self.tx);
        let media = rx
            .routes
            .media
            .iter()
            .zip(&rx.streams)
            .enumerate()
            .map(|(i, (route, stream))| Counters {
                mindex: route.mindex,
                nack_queue_ms: tx.streams.get(i).map_or(0, |s| s.nack_queue_ms),
                incoming: std::array::from_fn(|k| {
                    (k == 0 || route.ssrc_peer[k] != 0).then(|| (stream.layers[k].traffic, stream.layers[k].rtcp))
                }),
                outgoing: tx.streams.get(i).map(|s| s.traffic).unwrap_or_default(),
            })
            .collect();
        CountersSnapshot { media, dtls_in: rx.dtls_in, dtls_out: rx.dtls_out, remb_bitrate: tx.remb_bitrate }
    }

    /// The statistics of every medium of the description, in m-line order, with what the
    /// media paths counted (data channels: the DTLS traffic).
    fn medium_stats<'a>(sdp: &'a SdpPeer, counters: &'a CountersSnapshot, local_sdp: Option<&str>) -> Vec<MediumStats<'a>> {
        let mut out = Vec::new();
        for m in &sdp.media {
            let kind = match m.kind {
                MediumKind::Audio => MediumType::Audio,
                MediumKind::Video => MediumType::Video,
                MediumKind::Data => MediumType::Data,
                MediumKind::Unknown => continue,
            };
            let mid = m.mid.as_deref().unwrap_or_default();
            let (incoming, outgoing) = match (kind, counters.media.iter().find(|c| c.mindex == m.mindex)) {
                (MediumType::Data, _) => ([Some((&counters.dtls_in, None)), None, None], &counters.dtls_out),
                (_, Some(c)) => (std::array::from_fn(|k| c.incoming[k].as_ref().map(|(t, r)| (t, Some(r)))), &c.outgoing),
                (_, None) => continue,
            };
            let codec = m.payload_types.first().and_then(|pt| crate::utils::get_codec_from_pt(local_sdp?.as_bytes(), *pt));
            out.push(MediumStats {
                kind,
                mindex: m.mindex,
                mid,
                codec,
                do_nacks: m.do_nacks,
                incoming,
                outgoing,
                remb_bitrate: if m.mindex == 0 { counters.remb_bitrate } else { 0 },
            });
        }
        out
    }

    /// The media statistics events due this second, as Janus sends them: one per medium
    /// and substream, or one array for the whole PeerConnection.
    fn send_media_stats(&self, counters: &CountersSnapshot) {
        let local = lock(&self.sdps).0.clone();
        let events: Vec<Json> = match lock(&self.signalling).as_ref() {
            Some(sdp) => Self::medium_stats(sdp, counters, local.as_deref()).iter().flat_map(MediumStats::events).collect(),
            None => return,
        };
        if self.events.combine_media_stats() {
            self.events.media_stats(Json::Array(events));
        } else {
            for info in events {
                self.events.media_stats(info);
            }
        }
    }

    /// The loop timer: DTLS retransmissions and, once a second, reports and the no-media
    /// check. False once closed (the timer then goes).
    /// The loop timer's work; when to come again (`None`: the PeerConnection is over).
    fn tick(&self) -> Option<Duration> {
        if self.is_closed() {
            return None;
        }
        let t = now();
        let mut failed = None;
        let mut report = false;
        let mut media_changes: Vec<(String, bool)> = Vec::new();
        let mut deliveries = Vec::new();
        let mut stats_due = None;
        let mut slow_links = Vec::new();
        let next;
        {
            let mut guard = lock(&self.rx);
            let rx = &mut *guard;
            if let Some(dtls) = rx.dtls.as_mut() {
                if rx.srtp.is_none() {
                    dtls.handle_timeout(Instant::now());
                    failed = self.flush_dtls(rx);
                }
            }
            if let Some(data) = rx.data.as_mut() {
                data.handle_timeout(Instant::now());
                self.flush_data(rx, &mut deliveries);
            }
            if self.is_ready() && report_due(rx.last_report_us, t.monotonic_us) {
                rx.last_report_us = t.monotonic_us;
                report = true;
                let timer = i64::from(self.events.no_media_timer());
                for (i, stream) in rx.streams.iter_mut().enumerate() {
                    if timer > 0 && stream.receiving && t.monotonic_us - stream.last_packet_us >= timer * 1_000_000 {
                        stream.receiving = false;
                        let r = &rx.routes.media[i];
                        media_changes.push((r.mid.clone().unwrap_or_default(), r.video));
                    }
                }
                self.send_receiver_reports(rx, t);
                self.send_sender_reports(rx, t);
                for layer in rx.streams.iter_mut().flat_map(|s| s.layers.iter_mut()) {
                    layer.traffic.expire(t.monotonic_us);
                }
                for s in lock(&self.tx).streams.iter_mut() {
                    s.traffic.expire(t.monotonic_us);
                }
                self.check_slow_links(rx, &mut slow_links);
                rx.srtp_summary_seconds += 1;
                if rx.srtp_summary_seconds >= 2 {
                    rx.srtp_summary_seconds = 0;
                    let mut tx = lock(&self.tx);
                    if let Some(last) = tx.srtp_errors.last.take() {
                        let count = std::mem::take(&mut tx.srtp_errors.count);
                        janus_log!(
                            Level::Err,
                            "[{}] Got {} SRTP/SRTCP errors in the last few seconds (last error: {})\n",
                            self.handle_id,
                            count,
                            last
                        );
                    }
                }
                let period = self.events.stats_period();
                rx.stats_seconds = rx.stats_seconds.saturating_add(1);
                if period > 0 && rx.stats_seconds >= period {
                    rx.stats_seconds = 0;
                    stats_due = Some(self.counters(rx));
                }
            }
            let twcc_due = if self.twcc_period == 1000 {
                report
            } else {
                self.is_ready() && twcc_due(&mut rx.twcc_due_us, t.monotonic_us, self.twcc_period)
            };
            if twcc_due {
                self.send_twcc_feedback(rx);
            }
            next = self.next_tick(rx, t.monotonic_us);
        }
        if let Some(reason) = failed {
            self.events.failed(reason);
            return None;
        }
        for (mid, video) in media_changes {
            self.events.media_state(&mid, video, false);
        }
        self.deliver(deliveries);
        if let Some(counters) = stats_due {
            self.send_media_stats(&counters);
        }
        for (mid, mindex, video, uplink, lost) in slow_links {
            self.events.slow_link(&mid, mindex, video, uplink, lost);
        }
        Some(next)
    }

    /// When the timer has work again (see [`tick_delay`]).
    fn next_tick(&self, rx: &Receiving, now_us: i64) -> Duration {
        let twcc_due = (rx.routes.ext.do_transport_wide_cc && self.twcc_period < 1000 && rx.twcc_due_us > 0).then_some(rx.twcc_due_us);
        let now = Instant::now();
        let protocol = protocol_timeout(rx, now).map(|at| at.saturating_duration_since(now));
        tick_delay(protocol, self.is_ready(), twcc_due, now_us)
    }

    /// Brings the timer forward to the earliest DTLS or SCTP timeout, after work outside
    /// the timer (records in, data relayed, the handshake or association started) moved
    /// them; the timer's own runs reschedule through [`Self::next_tick`].
    fn arm_timer(&self, rx: &Receiving) {
        let now = Instant::now();
        if let (Some(timer), Some(at)) = (self.timer.get(), protocol_timeout(rx, now)) {
            timer.run_within(at.saturating_duration_since(now));
        }
    }

    /// An RR per medium (and simulcast substream) we receive on (RFC 3550 6.4.2): our
    /// SSRC, one report block.
    fn send_receiver_reports(&self, rx: &mut Receiving, t: Now) {
        let Some(agent) = self.agent.get() else { return };
        for (i, substream) in (0..rx.streams.len()).flat_map(|i| (0..3).map(move |s| (i, s))) {
            let (ssrc, peer) = (rx.routes.media[i].ssrc, rx.routes.media[i].ssrc_peer[substream]);
            let layer = &mut rx.streams[i].layers[substream];
            if peer == 0 || layer.rtcp.rtp_recvd & 1 == 0 {
                continue;
            }
            let mut rr = [0u8; 8 + REPORT_BLOCK_SIZE + RTCP_TRAILER_ROOM];
            rr[..4].copy_from_slice(&[0x81, 201, 0, 7]);
            rr[4..8].copy_from_slice(&ssrc.to_be_bytes());
            let mut block = [0u8; REPORT_BLOCK_SIZE];
            layer.rtcp.report_block(&mut block, t.monotonic_us);
            block[..4].copy_from_slice(&peer.to_be_bytes());
            rr[8..8 + REPORT_BLOCK_SIZE].copy_from_slice(&block);
            // Everything we send goes through the one outbound session (one SRTCP index).
            let mut guard = lock(&self.tx);
            let tx = &mut *guard;
            self.events.capture(PacketKind::Rtcp, false, &rr[..8 + REPORT_BLOCK_SIZE]);
            if let Some(n) = tx.srtp_errors.count(transform(
                tx.srtp.as_mut(),
                self.encryption,
                &mut rr,
                8 + REPORT_BLOCK_SIZE,
                SrtpSession::protect_rtcp,
            )) {
                agent.send(&rr[..n]);
            }
        }
    }

    /// The transport-wide CC feedback due (Janus' `janus_ice_outgoing_transport_wide_cc_feedback`):
    /// from our SSRC of the first video medium we receive on whose peer SSRC is known,
    /// about that SSRC. Without such a medium, arrivals wait for the next time.
    fn send_twcc_feedback(&self, rx: &mut Receiving) {
        if !rx.routes.ext.do_transport_wide_cc {
            return;
        }
        let Some((ssrc, peer)) = twcc_media(&rx.routes) else { return };
        let mut guard = lock(&self.tx);
        let tx = &mut *guard;
        let room = tx.buf.len() - RTCP_TRAILER_ROOM;
        rx.twcc.feedback(|packets, count| {
            if let Some(len) = crate::rtcp::twcc::build(&mut tx.buf[..room], ssrc, peer, count, packets) {
                self.send_rtcp_locked(tx, len, SsrcFix { local: ssrc, remote: peer });
            }
        });
    }

    /// An SR (with an SDES CNAME, as a compound must have) per medium we sent on since the
    /// last one. Its RTP timestamp is the newest one sent, moved on by the time since it
    /// was sent at the medium's clock rate (known from what the peer sends us), so that
    /// receivers can synchronise audio and video.
    fn send_sender_reports(&self, rx: &Receiving, t: Now) {
        let Some(agent) = self.agent.get() else { return };
        let mut guard = lock(&self.tx);
        let tx = &mut *guard;
        let ntp_secs = (t.unix_us / 1_000_000) as u64 + 2_208_988_800;
        let ntp_frac = (((t.unix_us % 1_000_000) as u64) << 32) / 1_000_000;
        for i in 0..tx.streams.len() {
            let s = &tx.streams[i];
            if s.packets == 0 {
                continue;
            }
            let clock_rate = rx.streams.get(i).map_or(0, |r| r.layers[0].rtcp.tb);
            let rtp_ts = match clock_rate {
                0 => s.last_rtp_ts,
                rate => {
                    let elapsed = (t.unix_us - s.last_rtp_ts_at_us).max(0) as u64;
                    s.last_rtp_ts.wrapping_add((elapsed * u64::from(rate) / 1_000_000) as u32)
                }
            };
            let mut sr = [0u8; SR_LEN + SDES_LEN + RTCP_TRAILER_ROOM];
            sr[..4].copy_from_slice(&[0x80, 200, 0, 6]);
            sr[4..8].copy_from_slice(&tx.routes.media[i].ssrc.to_be_bytes());
            sr[8..12].copy_from_slice(&(ntp_secs as u32).to_be_bytes());
            sr[12..16].copy_from_slice(&(ntp_frac as u32).to_be_bytes());
            sr[16..20].copy_from_slice(&rtp_ts.to_be_bytes());
            sr[20..24].copy_from_slice(&s.packets.to_be_bytes());
            sr[24..28].copy_from_slice(&s.octets.to_be_bytes());
            let Some(sdes) = crate::rtcp::feedback::sdes_cname(&mut sr[SR_LEN..SR_LEN + SDES_LEN], b"janus") else { continue };
            sr[SR_LEN + 4..SR_LEN + 8].copy_from_slice(&tx.routes.media[i].ssrc.to_be_bytes());
            let len = SR_LEN + sdes;
            self.events.capture(PacketKind::Rtcp, false, &sr[..len]);
            if let Some(n) = tx.srtp_errors.count(transform(tx.srtp.as_mut(), self.encryption, &mut sr, len, SrtpSession::protect_rtcp)) {
                agent.send(&sr[..n]);
            }
        }
    }

    /// A plugin's `relay_rtp`: rewritten for the peer, protected, sent.
    pub fn relay_rtp(&self, mindex: i32, video: bool, packet: &[u8], extensions: &RtpExtensions) {
        if !self.is_ready() || packet.len() > 1500 {
            return;
        }
        let Some(agent) = self.agent.get() else { return };
        let mut guard = lock(&self.tx);
        let tx = &mut *guard;
        let Some(i) = tx.routes.outgoing(mindex, video) else { return };
        if !tx.routes.media[i].send {
            return;
        }
        let twcc_seq = (tx.routes.ext.transport_wide_cc > 0).then(|| {
            tx.twcc_seq = tx.twcc_seq.wrapping_add(1);
            tx.twcc_seq
        });
        let stamps = SendStamps { twcc_seq, abs_send_time: None };
        let room = tx.buf.len() - RTP_TRAILER_ROOM;
        let Some(len) = rewrite_outgoing(packet, extensions, &tx.routes.media[i], &tx.routes.ext, stamps, &mut tx.buf[..room]) else {
            return;
        };
        let Some(h) = RtpHeader::new(&tx.buf[..len]) else { return };
        let (ts, payload) = (h.timestamp(), len - h.payload_offset().unwrap_or(len));
        self.events.capture(PacketKind::Rtp, false, &tx.buf[..len]);
        let seq = h.sequence_number();
        if video && self.events.nack_optimizations() {
            let codec = *tx.streams[i].codec.get_or_insert_with(|| {
                let local = lock(&self.sdps).0.clone().unwrap_or_default();
                let name = crate::utils::get_codec_from_pt(local.as_bytes(), i32::from(h.payload_type())).unwrap_or_default();
                VideoCodec::from_name(name.as_bytes())
            });
            let payload = &tx.buf[h.payload_offset().unwrap_or(len)..len];
            if codec.is_keyframe(payload) {
                // As Janus: a keyframe sent empties every video retransmission queue.
                for s in tx.streams.iter_mut() {
                    if let Some(history) = s.history.as_mut() {
                        history.clear();
                    }
                }
            }
        }
        // With RFC 4588 the packet is kept in the clear, to go out again as RTX.
        let route = &tx.routes.media[i];
        let pt = i32::from(h.payload_type());
        let rtx = tx.routes.rfc4588_rtx && route.ssrc_rtx != 0 && route.rtx_payload_types.iter().any(|(_, apt)| *apt == pt);
        if rtx {
            tx.streams[i].keep_sent(seq, &tx.buf[..len], true, self.events.min_nack_queue());
        }
        if let Some(n) = tx.srtp_errors.count(transform(tx.srtp.as_mut(), self.encryption, &mut tx.buf[..], len, SrtpSession::protect_rtp))
        {
            agent.send(&tx.buf[..n]);
            let s = &mut tx.streams[i];
            s.packets = s.packets.wrapping_add(1);
            s.octets = s.octets.wrapping_add(payload as u32);
            if s.last_rtp_ts_at_us == 0 || (ts.wrapping_sub(s.last_rtp_ts) as i32) > 0 {
                s.last_rtp_ts = ts;
                s.last_rtp_ts_at_us = crate::utils::real_time();
            }
            s.traffic.count(len, crate::utils::monotonic_time());
            if !rtx {
                s.keep_sent(seq, &tx.buf[..n], false, self.events.min_nack_queue());
            }
        }
    }

    /// A plugin's `relay_rtcp`: SR/RR/SDES are ours to send and are filtered out, the
    /// rest (feedback) gets our SSRC and the peer's, then goes out.
    pub fn relay_rtcp(&self, mindex: i32, video: bool, packet: &[u8]) {
        if !self.is_ready() || packet.len() > 1500 {
            return;
        }
        let mut guard = lock(&self.tx);
        let tx = &mut *guard;
        let Some(i) = tx.routes.outgoing(mindex, video) else { return };
        let (ssrc, peer) = (tx.routes.media[i].ssrc, tx.routes.media[i].ssrc_peer[0]);
        let room = tx.buf.len() - RTCP_TRAILER_ROOM;
        let Some(len) = crate::rtcp::query::filter(packet, &mut tx.buf[..room]) else { return };
        if len == 0 {
            return;
        }
        self.send_rtcp_locked(tx, len, SsrcFix { local: ssrc, remote: peer });
    }

    /// `send_pli`/`send_pli_stream`: a PLI to the peer on each video medium (or `mindex`).
    pub fn send_pli(&self, mindex: Option<usize>) {
        self.send_feedback(mindex, |buf, _| crate::rtcp::feedback::pli(&mut buf[..12]));
    }

    /// A FIR (with the stream's sequence number) on each video medium (or `mindex`).
    pub fn send_fir(&self, mindex: Option<usize>) {
        self.send_feedback(mindex, |buf, seq| crate::rtcp::feedback::fir(&mut buf[..20], seq));
    }

    /// `send_remb`: a REMB with `bitrate` on the first video medium.
    pub fn send_remb(&self, bitrate: u32) {
        if !self.is_ready() {
            return;
        }
        let mut guard = lock(&self.tx);
        let tx = &mut *guard;
        let Some(i) = tx.routes.media.iter().position(|r| r.video) else { return };
        let (ssrc, peer) = (tx.routes.media[i].ssrc, tx.routes.media[i].ssrc_peer[0]);
        let Some(len) = crate::rtcp::feedback::remb_for(&mut tx.buf[..24], bitrate, &[peer]) else { return };
        self.send_rtcp_locked(tx, len, SsrcFix { local: ssrc, remote: 0 });
        tx.remb_bitrate = bitrate;
    }

    fn send_feedback(&self, mindex: Option<usize>, build: impl Fn(&mut [u8], &mut i32) -> Option<usize>) {
        if !self.is_ready() {
            return;
        }
        let mut guard = lock(&self.tx);
        let tx = &mut *guard;
        for i in 0..tx.routes.media.len() {
            let r = &tx.routes.media[i];
            if !r.video || mindex.is_some_and(|m| m != r.mindex) || r.ssrc_peer[0] == 0 {
                continue;
            }
            let fix = SsrcFix { local: r.ssrc, remote: r.ssrc_peer[0] };
            let mut seq = tx.streams[i].fir_seq;
            let Some(len) = build(&mut tx.buf[..], &mut seq) else { continue };
            tx.streams[i].fir_seq = seq;
            self.send_rtcp_locked(tx, len, fix);
        }
    }

    fn send_rtcp_locked(&self, tx: &mut Sending, len: usize, fix: SsrcFix) {
        let Some(agent) = self.agent.get() else { return };
        if fix_ssrc(None, &mut tx.buf[..len], Some(fix), now()).is_err() {
            return;
        }
        self.events.capture(PacketKind::Rtcp, false, &tx.buf[..len]);
        if let Some(n) = tx.srtp_errors.count(transform(tx.srtp.as_mut(), self.encryption, &mut tx.buf[..], len, SrtpSession::protect_rtcp))
        {
            agent.send(&tx.buf[..n]);
        }
    }
}

impl Drop for PeerConnection {
    fn drop(&mut self) {
        self.closed.store(true, Ordering::Release);
    }
}

/// The earliest DTLS handshake or SCTP timer of a PeerConnection.
fn protocol_timeout(rx: &Receiving, now: Instant) -> Option<Instant> {
    let dtls = rx.dtls.as_ref().and_then(|d| d.poll_timeout(now));
    let sctp = rx.data.as_ref().and_then(DataChannels::poll_timeout);
    dtls.into_iter().chain(sctp).min()
}

/// The first multiple of `period_us` after `t_us`.
fn grid_after(t_us: i64, period_us: i64) -> i64 {
    (t_us.div_euclid(period_us) + 1) * period_us
}

/// Whether the once-a-second work (reports, no-media and slow-link checks, statistics) is
/// due: it runs on whole seconds of the monotonic clock, so that the PeerConnections of a
/// loop do it in one wake-up instead of one each.
fn report_due(last_report_us: i64, now_us: i64) -> bool {
    now_us.div_euclid(1_000_000) > last_report_us.div_euclid(1_000_000)
}

/// How long the loop timer may sleep: until the earliest of the DTLS/SCTP timers
/// (`protocol`), and once up, the next transport-wide CC feedback or whole second; at
/// most a second. So an established PeerConnection wakes its loop rarely.
fn tick_delay(protocol: Option<Duration>, ready: bool, twcc_due_us: Option<i64>, now_us: i64) -> Duration {
    let mut due = Duration::from_secs(1);
    if ready {
        let second = grid_after(now_us, 1_000_000);
        let due_us = twcc_due_us.map_or(second, |twcc| twcc.min(second));
        due = due.min(Duration::from_micros(due_us.saturating_sub(now_us).max(0) as u64));
    }
    if let Some(protocol) = protocol {
        due = due.min(protocol);
    }
    due.max(Duration::from_millis(1))
}

/// Whether the feedback scheduled for `*due_us` is due at `now_us` (within a little slack:
/// other work shares the timer's runs); schedules the next one on the next multiple of
/// the period (shared by the PeerConnections of a loop, as whole seconds are), the first
/// one about a period after the first call.
fn twcc_due(due_us: &mut i64, now_us: i64, period_ms: u32) -> bool {
    let period_us = i64::from(period_ms.max(1)) * 1000;
    // Half the period, between 5 and 25 ms.
    let slack_us = i64::from(period_ms.clamp(10, 50)) * 500;
    if *due_us == 0 {
        *due_us = grid_after(now_us + period_us - slack_us, period_us);
        return false;
    }
    if now_us + slack_us < *due_us {
        return false;
    }
    *due_us = grid_after(now_us + slack_us, period_us);
    true
}

/// Our SSRC and the peer's that transport-wide feedback goes with, as Janus picks them: the
/// first video medium we receive on with a known peer SSRC (its first substream known),
/// walking media in the order of Janus' table of media by mid.
fn twcc_media(routes: &Routes) -> Option<(u32, u32)> {
    let peer = |r: &super::packets::Route| r.ssrc_peer.iter().copied().find(|s| *s != 0).filter(|_| r.video && r.recv);
    let mut eligible = routes.media.iter().filter_map(|r| Some((r.ssrc, peer(r)?)));
    let first = eligible.next()?;
    if eligible.next().is_none() {
        return Some(first);
    }
    let mids: Vec<&str> = routes.media.iter().map(|r| r.mid.as_deref().unwrap_or_default()).collect();
    crate::sys::glib::string_hash_table_order(&mids).into_iter().find_map(|i| Some((routes.media[i].ssrc, peer(&routes.media[i])?)))
}

/// `handle_info`'s `extensions`: the id of each extension negotiated, by URI, in Janus' order.
fn extensions_summary(ids: &crate::sdp::ExtensionIds) -> Object {
    use crate::rtp::extensions as ext;
    let mut o = Object::new();
    for (uri, id) in [
        (ext::EXTMAP_MID, ids.mid),
        (ext::EXTMAP_RID, ids.rid),
        (ext::EXTMAP_REPAIRED_RID, ids.repaired_rid),
        (ext::EXTMAP_ABS_SEND_TIME, ids.abs_send_time),
        (ext::EXTMAP_TRANSPORT_WIDE_CC, ids.transport_wide_cc),
        (ext::EXTMAP_AUDIO_LEVEL, ids.audio_level),
        (ext::EXTMAP_VIDEO_ORIENTATION, ids.video_orientation),
        (ext::EXTMAP_PLAYOUT_DELAY, ids.playout_delay),
        (crate::sdp::EXTMAP_DEPENDENCY_DESC, ids.dependency_descriptor),
    ] {
        if id > 0 {
            o.set(uri, id);
        }
    }
    o
}

/// One medium of `handle_info`'s `media` (`janus_admin_peerconnection_medium_summary`).
fn medium_summary(m: &crate::sdp::Medium, stats: &MediumStats<'_>, nack_queue_ms: u16, ids: &crate::sdp::ExtensionIds) -> Object {
    let mut o = Object::new().with("type", stats.kind.name()).with("mindex", m.mindex as u64).with("mid", stats.mid);
    if m.msid.is_some() || m.remote_msid.is_some() {
        let mut msid = Object::new();
        if let Some(stream) = &m.msid {
            msid.set("local-stream", stream.as_str());
            if let Some(track) = &m.mstid {
                msid.set("local-track", track.as_str());
            }
        }
        if let Some(stream) = &m.remote_msid {
            msid.set("remote-stream", stream.as_str());
            if let Some(track) = &m.remote_mstid {
                msid.set("remote-track", track.as_str());
            }
        }
        o.set("msid", msid);
    }
    if stats.kind == MediumType::Data {
        o.set("stats", stats.stats_summary());
        return o;
    }
    o.set("do_nacks", m.do_nacks);
    o.set("nack-queue-ms", u32::from(nack_queue_ms));
    let mut ssrc = Object::new();
    let named = [
        ("ssrc", m.ssrc),
        ("ssrc-rtx", m.ssrc_rtx),
        ("ssrc-peer", m.ssrc_peer[0]),
        ("ssrc-peer-sim-1", m.ssrc_peer[1]),
        ("ssrc-peer-sim-2", m.ssrc_peer[2]),
        ("ssrc-peer-rtx", m.ssrc_peer_rtx[0]),
        ("ssrc-peer-sim-1-rtx", m.ssrc_peer_rtx[1]),
        ("ssrc-peer-sim-2-rtx", m.ssrc_peer_rtx[2]),
    ];
    for (name, value) in named {
        if value != 0 {
            ssrc.set(name, value);
        }
    }
    o.set("ssrc", ssrc);
    if m.rid[0].is_some() && ids.rid > 0 {
        let rids: Vec<Json> = m.rid.iter().rev().flatten().map(|r| Json::from(r.as_str())).collect();
        let mut simulcast = Object::new().with("rid", rids).with("rid-ext-id", ids.rid);
        if ids.repaired_rid > 0 {
            simulcast.set("ridrtx-ext-id", ids.repaired_rid);
        }
        simulcast.set("rid-order", if m.rids_hml { "hml" } else { "lmh" });
        if m.legacy_rid {
            simulcast.set("rid-syntax", "legacy");
        }
        o.set("rid-simulcast", simulcast);
    }
    o.set("direction", Object::new().with("send", m.send).with("recv", m.recv));
    if let Some(pt) = m.payload_types.first() {
        let mut codecs = Object::new().with("pt", *pt);
        if m.opusred_pt > 0 {
            codecs.set("opus-red-pt", m.opusred_pt);
        }
        if let Some(rtx) = m.rtx_payload_types.as_ref().and_then(|map| map.get(pt)) {
            codecs.set("rtx-pt", *rtx);
        }
        if let Some(codec) = stats.codec {
            codecs.set("codec", codec);
        }
        o.set("codecs", codecs);
    }
    if let Some(rtcp) = stats.rtcp_summary() {
        o.set("rtcp", rtcp);
    }
    o.set("stats", stats.stats_summary());
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::packets::Route;

    #[test]
    fn srtp_protect_failures_are_counted_for_the_summary() {
        let mut errors = SrtpErrors::default();
        assert_eq!(errors.count(Ok(12)), Some(12));
        assert_eq!(errors.count(Err(SrtpError::FAIL)), None);
        assert_eq!(errors.count(Err(SrtpError::FAIL)), None);
        assert_eq!((errors.count, errors.last), (2, Some(SrtpError::FAIL)));
    }

    #[test]
    fn the_timer_sleeps_until_there_is_work() {
        let ms = Duration::from_millis;
        // Setting up: only the DTLS (or SCTP) timers, else a second.
        assert_eq!(tick_delay(None, false, None, 5_000_000), ms(1000));
        assert_eq!(tick_delay(Some(ms(400)), false, None, 5_000_000), ms(400));
        // Established: the next whole second...
        assert_eq!(tick_delay(None, true, None, 5_700_000), ms(300));
        assert_eq!(tick_delay(None, true, None, 5_000_000), ms(1000));
        // ... or the transport-wide CC feedback, or an SCTP timer, when due first.
        assert_eq!(tick_delay(None, true, Some(5_800_000), 5_700_000), ms(100));
        assert_eq!(tick_delay(None, true, Some(6_200_000), 5_700_000), ms(300));
        assert_eq!(tick_delay(Some(ms(50)), true, Some(5_800_000), 5_700_000), ms(50));
        // Late: soon, not at once.
        assert_eq!(tick_delay(Some(Duration::ZERO), true, None, 5_000_000), ms(1));
        assert_eq!(tick_delay(None, true, Some(4_900_000), 5_000_000), ms(1));
    }

    #[test]
    fn reports_run_on_whole_seconds() {
        assert!(report_due(0, 3_900_000), "the first one at once");
        assert!(!report_due(3_900_000, 3_999_999));
        assert!(report_due(3_900_000, 4_000_000));
        assert!(!report_due(4_000_000, 4_999_000));
    }

    #[test]
    fn twcc_feedback_keeps_its_period_without_bursts() {
        let mut due = 0;
        assert!(!twcc_due(&mut due, 1_000_000, 200), "the first one a period after the start");
        assert_eq!(due, 1_200_000);
        assert!(!twcc_due(&mut due, 1_150_000, 200));
        assert!(twcc_due(&mut due, 1_180_000, 200), "within the slack of the deadline");
        assert_eq!(due, 1_400_000);
        // After a stall of a second: one feedback, then the period's grid again.
        assert!(twcc_due(&mut due, 2_500_000, 200));
        assert!(!twcc_due(&mut due, 2_550_000, 200));
        assert_eq!(due, 2_600_000);
        // Another PeerConnection starting elsewhere in the period shares the grid.
        let mut other = 0;
        assert!(!twcc_due(&mut other, 2_530_000, 200));
        assert_eq!(other, 2_800_000);
    }

    #[test]
    fn twcc_is_about_the_first_video_medium_received_with_a_known_ssrc() {
        let route = |mid: &str, video: bool, recv: bool, ssrc: u32, peer: u32| Route {
            mid: Some(mid.into()),
            video,
            recv,
            ssrc,
            ssrc_peer: [peer, 0, 0],
            ..Route::default()
        };
        let mut routes = Routes { media: vec![route("0", false, true, 1, 11), route("1", true, true, 2, 0)], ..Routes::default() };
        assert_eq!(twcc_media(&routes), None, "no video SSRC known yet");
        routes.media[1].ssrc_peer[2] = 22;
        assert_eq!(twcc_media(&routes), Some((2, 22)), "any layer's SSRC");
        routes.media.push(route("2", true, false, 3, 33));
        assert_eq!(twcc_media(&routes), Some((2, 22)), "a medium we do not receive on does not count");
    }

    #[test]
    fn extensions_are_listed_by_uri_in_janus_order() {
        let ids = crate::sdp::ExtensionIds { mid: 4, transport_wide_cc: 3, audio_level: 1, ..Default::default() };
        let keys: Vec<String> = extensions_summary(&ids).iter().map(|(k, _)| k.to_string()).collect();
        assert_eq!(
            keys,
            [
                crate::rtp::extensions::EXTMAP_MID,
                crate::rtp::extensions::EXTMAP_TRANSPORT_WIDE_CC,
                crate::rtp::extensions::EXTMAP_AUDIO_LEVEL
            ]
        );
    }
}
