//! Janus sessions and handles: the registry the Janus and Admin APIs work on.
//!
//! A session belongs to the transport session that created (or last claimed) it; it lives
//! until destroyed, timed out by the watchdog, or reaped after its transport went away. A
//! handle attaches the session to one plugin, through that plugin's session object.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use crate::plugin_host::{Plugin, PluginSession};
use crate::transport_host::TransportSession;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

pub struct Session {
    pub id: u64,
    source: Mutex<Option<Arc<dyn TransportSession>>>,
    /// Monotonic µs of the last Janus API request on this session.
    last_activity: AtomicI64,
    /// Seconds; -1 means the global timeout, 0 never.
    timeout: AtomicI64,
    transport_gone: AtomicBool,
    /// Set by the first watchdog pass that finds the session expired; the next pass reaps it
    /// (which is why Janus expires sessions one watchdog period late).
    timedout: AtomicBool,
    destroyed: AtomicBool,
    handles: Mutex<HashMap<u64, Arc<Handle>>>,
}

impl Session {
    pub fn new(id: u64, source: Arc<dyn TransportSession>, now: i64) -> Session {
        Session {
            id,
            source: Mutex::new(Some(source)),
            last_activity: AtomicI64::new(now),
            timeout: AtomicI64::new(-1),
            transport_gone: AtomicBool::new(false),
            timedout: AtomicBool::new(false),
            destroyed: AtomicBool::new(false),
            handles: Mutex::default(),
        }
    }

    pub fn source(&self) -> Option<Arc<dyn TransportSession>> {
        lock(&self.source).clone()
    }

    /// Replaces the owning transport session, returning the previous one.
    pub fn set_source(&self, source: Option<Arc<dyn TransportSession>>) -> Option<Arc<dyn TransportSession>> {
        std::mem::replace(&mut *lock(&self.source), source)
    }

    pub fn touch(&self, now: i64) {
        self.last_activity.store(now, Ordering::Relaxed);
    }

    pub fn last_activity(&self) -> i64 {
        self.last_activity.load(Ordering::Relaxed)
    }

    pub fn timeout(&self) -> i64 {
        self.timeout.load(Ordering::Relaxed)
    }

    pub fn set_timeout(&self, seconds: i64) {
        self.timeout.store(seconds, Ordering::Relaxed);
    }

    pub fn transport_gone(&self) -> bool {
        self.transport_gone.load(Ordering::Relaxed)
    }

    pub fn set_transport_gone(&self, gone: bool) {
        self.transport_gone.store(gone, Ordering::Relaxed);
    }

    pub fn is_destroyed(&self) -> bool {
        self.destroyed.load(Ordering::Acquire)
    }

    /// Marks the session destroyed; true only for the caller that did it.
    pub fn mark_destroyed(&self) -> bool {
        !self.destroyed.swap(true, Ordering::AcqRel)
    }

    /// The watchdog's verdict for this pass: expired sessions are reaped on the second pass
    /// that sees them expired (Janus' behaviour, kept for identical timing).
    pub fn check_expired(&self, now: i64, global_timeout: i64, reclaim_timeout: i64) -> bool {
        if self.is_destroyed() {
            return false;
        }
        let timeout = match self.timeout() {
            -1 => global_timeout,
            t => t,
        };
        let idle = now - self.last_activity();
        let expired = (timeout > 0 && idle >= timeout * 1_000_000) || (self.transport_gone() && idle >= reclaim_timeout * 1_000_000);
        expired && self.timedout.swap(true, Ordering::AcqRel)
    }

    pub fn handle(&self, id: u64) -> Option<Arc<Handle>> {
        lock(&self.handles).get(&id).cloned()
    }

    pub fn insert_handle(&self, handle: Arc<Handle>) {
        lock(&self.handles).insert(handle.id, handle);
    }

    pub fn remove_handle(&self, id: u64) -> Option<Arc<Handle>> {
        lock(&self.handles).remove(&id)
    }

    /// Removes and returns every handle (session teardown).
    pub fn take_handles(&self) -> Vec<Arc<Handle>> {
        lock(&self.handles).drain().map(|(_, h)| h).collect()
    }

    pub fn handle_ids(&self) -> Vec<u64> {
        lock(&self.handles).keys().copied().collect()
    }
}

pub struct Handle {
    pub id: u64,
    pub session_id: u64,
    pub opaque_id: Option<String>,
    pub token: Option<String>,
    pub plugin: Arc<dyn Plugin>,
    /// Monotonic µs at creation.
    pub created: i64,
    plugin_session: OnceLock<Box<dyn PluginSession>>,
    detached: AtomicBool,
    pending_trickles: Mutex<Vec<PendingTrickle>>,
    /// `WebrtcFlag` bits (Janus' `webrtc_flags`).
    webrtc_flags: AtomicU32,
    /// The event loop the handle's PeerConnections run on, taken at attach as Janus does.
    event_loop: OnceLock<crate::ice::HandleLoop>,
    /// The RTP/RTCP capture started through the Admin API, written by the media path.
    pub capture: Arc<crate::text2pcap::CaptureSlot>,
    /// The handle's PeerConnection, when one is negotiated.
    pub media: Arc<crate::media::MediaSlot>,
}

/// The WebRTC state flags of a handle, with Janus' bit values (`JANUS_ICE_HANDLE_WEBRTC_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum WebrtcFlag {
    ProcessingOffer = 1 << 0,
    Start = 1 << 1,
    Ready = 1 << 2,
    Stop = 1 << 3,
    Alert = 1 << 4,
    Negotiated = 1 << 5,
    Trickle = 1 << 7,
    AllTrickles = 1 << 8,
    TrickleSynced = 1 << 9,
    DataChannels = 1 << 10,
    Cleaning = 1 << 11,
    HasAudio = 1 << 12,
    HasVideo = 1 << 13,
    GotOffer = 1 << 14,
    GotAnswer = 1 << 15,
    HasAgent = 1 << 16,
    IceRestart = 1 << 17,
    ResendTrickles = 1 << 18,
    Rfc4588Rtx = 1 << 19,
    NewDatachanSdp = 1 << 20,
    E2ee = 1 << 21,
}

impl WebrtcFlag {
    /// The flags `handle_info` lists, with their names, in Janus' order.
    pub const LISTED: [(&'static str, WebrtcFlag); 20] = [
        ("got-offer", WebrtcFlag::GotOffer),
        ("got-answer", WebrtcFlag::GotAnswer),
        ("negotiated", WebrtcFlag::Negotiated),
        ("processing-offer", WebrtcFlag::ProcessingOffer),
        ("starting", WebrtcFlag::Start),
        ("ice-restart", WebrtcFlag::IceRestart),
        ("ready", WebrtcFlag::Ready),
        ("stopped", WebrtcFlag::Stop),
        ("alert", WebrtcFlag::Alert),
        ("trickle", WebrtcFlag::Trickle),
        ("all-trickles", WebrtcFlag::AllTrickles),
        ("resend-trickles", WebrtcFlag::ResendTrickles),
        ("trickle-synced", WebrtcFlag::TrickleSynced),
        ("data-channels", WebrtcFlag::DataChannels),
        ("has-audio", WebrtcFlag::HasAudio),
        ("has-video", WebrtcFlag::HasVideo),
        ("new-datachan-sdp", WebrtcFlag::NewDatachanSdp),
        ("rfc4588-rtx", WebrtcFlag::Rfc4588Rtx),
        ("cleaning", WebrtcFlag::Cleaning),
        ("e2ee", WebrtcFlag::E2ee),
    ];
}

/// A trickle that arrived before the SDP it belongs to, kept until the PeerConnection exists.
#[derive(Clone, Debug, PartialEq)]
pub struct PendingTrickle {
    pub transaction: Option<String>,
    /// A candidate object, or an array of them.
    pub candidate: crate::json::Json,
    /// Monotonic µs of arrival (stale ones are discarded after `candidates_timeout`).
    pub received: i64,
}

impl Drop for Handle {
    fn drop(&mut self) {
        // Janus prints its handle and session pointers; a handle here has no pointer back
        // to its session, so the plugin's stands in for it.
        crate::janus_log!(
            crate::log::Level::Info,
            "[{}] Handle and related resources freed; {:p} {:p}\n",
            self.id,
            self as *const Handle,
            Arc::as_ptr(&self.plugin) as *const ()
        );
    }
}

impl Handle {
    pub fn new(id: u64, session_id: u64, plugin: Arc<dyn Plugin>, opaque_id: Option<String>, token: Option<String>, now: i64) -> Handle {
        Handle {
            id,
            session_id,
            opaque_id,
            token,
            plugin,
            created: now,
            plugin_session: OnceLock::new(),
            detached: AtomicBool::new(false),
            pending_trickles: Mutex::default(),
            webrtc_flags: AtomicU32::new(0),
            event_loop: OnceLock::new(),
            capture: Arc::default(),
            media: Arc::default(),
        }
    }

    /// The handle's PeerConnection, if one exists.
    pub fn peer_connection(&self) -> Option<Arc<crate::media::PeerConnection>> {
        self.media.get()
    }

    pub fn flag(&self, flag: WebrtcFlag) -> bool {
        self.webrtc_flags.load(Ordering::Acquire) & flag as u32 != 0
    }

    pub fn set_flag(&self, flag: WebrtcFlag) {
        self.webrtc_flags.fetch_or(flag as u32, Ordering::AcqRel);
    }

    pub fn clear_flag(&self, flag: WebrtcFlag) {
        self.webrtc_flags.fetch_and(!(flag as u32), Ordering::AcqRel);
    }

    pub fn event_loop(&self) -> Option<&crate::ice::HandleLoop> {
        self.event_loop.get()
    }

    /// Binds the handle to its event loop (once).
    pub fn set_event_loop(&self, event_loop: crate::ice::HandleLoop) {
        let _ = self.event_loop.set(event_loop);
    }

    pub fn set_plugin_session(&self, ps: Box<dyn PluginSession>) {
        let _ = self.plugin_session.set(ps);
    }

    /// The plugin session, while the handle is attached.
    pub fn plugin_session(&self) -> Option<&dyn PluginSession> {
        if self.detached.load(Ordering::Acquire) {
            None
        } else {
            self.plugin_session.get().map(|b| b.as_ref())
        }
    }

    pub fn queue_trickle(&self, transaction: Option<String>, candidate: crate::json::Json, now: i64) {
        lock(&self.pending_trickles).push(PendingTrickle { transaction, candidate, received: now });
    }

    pub fn pending_trickles(&self) -> Vec<PendingTrickle> {
        lock(&self.pending_trickles).clone()
    }

    /// Takes the queued trickles, to apply them now that the SDP arrived.
    pub fn take_pending_trickles(&self) -> Vec<PendingTrickle> {
        std::mem::take(&mut *lock(&self.pending_trickles))
    }

    /// Detaches from the plugin once; true for the caller that did it.
    pub fn detach(&self) -> bool {
        if self.detached.swap(true, Ordering::AcqRel) {
            return false;
        }
        if let Some(ps) = self.plugin_session.get() {
            ps.detach();
        }
        true
    }
}

/// Every live session, by id.
#[derive(Default)]
pub struct Sessions {
    map: Mutex<HashMap<u64, Arc<Session>>>,
}

impl Sessions {
    pub fn get(&self, id: u64) -> Option<Arc<Session>> {
        lock(&self.map).get(&id).cloned()
    }

    /// Inserts unless the id is taken.
    pub fn insert(&self, session: Arc<Session>) -> bool {
        let mut map = lock(&self.map);
        if map.contains_key(&session.id) {
            return false;
        }
        map.insert(session.id, session);
        true
    }

    pub fn remove(&self, id: u64) -> Option<Arc<Session>> {
        lock(&self.map).remove(&id)
    }

    pub fn ids(&self) -> Vec<u64> {
        lock(&self.map).keys().copied().collect()
    }

    pub fn all(&self) -> Vec<Arc<Session>> {
        lock(&self.map).values().cloned().collect()
    }

    /// Removes the sessions `pred` selects, under one lock, and returns them.
    pub fn remove_where(&self, mut pred: impl FnMut(&Session) -> bool) -> Vec<Arc<Session>> {
        let mut map = lock(&self.map);
        let ids: Vec<u64> = map.values().filter(|s| pred(s)).map(|s| s.id).collect();
        ids.into_iter().filter_map(|id| map.remove(&id)).collect()
    }
}
