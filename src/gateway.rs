//! The gateway's shared state: settings that requests read (and the Admin API changes),
//! authentication, the session registry and the loaded plugins. The Janus API
//! (`janus_api`) and the Admin API (`admin_api`) are implemented on it.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU32, Ordering};
use std::sync::Arc;

use crate::auth::Auth;
use crate::events::{Event, EventBus, HandleRef};
use crate::json::Json;
use crate::modules::QueryableModule;
use crate::plugin_host::Plugin;
use crate::server_info::StaticInfo;
use crate::session::Sessions;

/// Settings the request paths consult, with Janus 1.1.2's defaults.
#[derive(Debug)]
pub struct Settings {
    pub server_name: String,
    pub api_secret: Option<String>,
    pub admin_secret: Option<String>,
    /// Global session timeout in seconds (0 = never); the Admin API can change it.
    pub session_timeout: AtomicI64,
    pub reclaim_session_timeout: i64,
    pub candidates_timeout: i64,
    pub accept_new_sessions: AtomicBool,
    /// Whether replies and events carry the handle's `opaque_id`.
    pub opaqueid_in_api: bool,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            server_name: "MyJanusInstance".into(),
            api_secret: None,
            admin_secret: None,
            session_timeout: AtomicI64::new(60),
            reclaim_session_timeout: 0,
            candidates_timeout: 45,
            accept_new_sessions: AtomicBool::new(true),
            opaqueid_in_api: false,
        }
    }
}

impl Settings {
    pub fn session_timeout(&self) -> i64 {
        self.session_timeout.load(Ordering::Relaxed)
    }
    pub fn accepting_new_sessions(&self) -> bool {
        self.accept_new_sessions.load(Ordering::Relaxed)
    }
}

/// Media-plane settings the Admin API can change while running; the media plane reads them
/// live. Janus' defaults.
#[derive(Debug)]
pub struct MediaSettings {
    /// Milliseconds of packets kept for retransmissions (`min_nack_queue`), at most 1000.
    min_nack_queue: AtomicU32,
    nack_optimizations: AtomicBool,
    /// Seconds without media before a `receiving: false` event (0 = never).
    no_media_timer: AtomicU32,
    /// Lost packets per second that make a `slowlink` event (0 = never).
    slowlink_threshold: AtomicU32,
    libnice_debug: AtomicBool,
    /// Seconds between the media statistics events sent to event handlers (`stats_period`,
    /// 0 = none).
    event_stats_period: AtomicU32,
    /// One statistics event per PeerConnection rather than one per medium
    /// (`combine_media_stats`).
    combine_media_stats: AtomicBool,
}

/// `DEFAULT_MAX_NACK_QUEUE`: the cap of `min_nack_queue`.
const MAX_NACK_QUEUE: u16 = 1000;

impl Default for MediaSettings {
    fn default() -> MediaSettings {
        MediaSettings {
            min_nack_queue: AtomicU32::new(200),
            nack_optimizations: AtomicBool::new(false),
            no_media_timer: AtomicU32::new(1),
            slowlink_threshold: AtomicU32::new(0),
            libnice_debug: AtomicBool::new(false),
            event_stats_period: AtomicU32::new(1),
            combine_media_stats: AtomicBool::new(false),
        }
    }
}

impl MediaSettings {
    pub fn min_nack_queue(&self) -> u16 {
        self.min_nack_queue.load(Ordering::Relaxed) as u16
    }
    /// `janus_set_min_nack_queue`: capped at 1000 ms.
    pub fn set_min_nack_queue(&self, ms: u16) {
        self.min_nack_queue.store(u32::from(ms.min(MAX_NACK_QUEUE)), Ordering::Relaxed);
    }
    pub fn nack_optimizations(&self) -> bool {
        self.nack_optimizations.load(Ordering::Relaxed)
    }
    pub fn set_nack_optimizations(&self, on: bool) {
        self.nack_optimizations.store(on, Ordering::Relaxed);
    }
    pub fn no_media_timer(&self) -> u32 {
        self.no_media_timer.load(Ordering::Relaxed)
    }
    pub fn set_no_media_timer(&self, seconds: u32) {
        self.no_media_timer.store(seconds, Ordering::Relaxed);
    }
    pub fn slowlink_threshold(&self) -> u32 {
        self.slowlink_threshold.load(Ordering::Relaxed)
    }
    pub fn set_slowlink_threshold(&self, packets: u32) {
        self.slowlink_threshold.store(packets, Ordering::Relaxed);
    }
    /// Whether libnice's debug output is on (the ICE stack reads it when it starts agents).
    pub fn libnice_debug(&self) -> bool {
        self.libnice_debug.load(Ordering::Relaxed)
    }
    pub fn set_libnice_debug(&self, on: bool) {
        self.libnice_debug.store(on, Ordering::Relaxed);
    }
    pub fn event_stats_period(&self) -> u32 {
        self.event_stats_period.load(Ordering::Relaxed)
    }
    pub fn set_event_stats_period(&self, seconds: u32) {
        self.event_stats_period.store(seconds, Ordering::Relaxed);
    }
    pub fn combine_media_stats(&self) -> bool {
        self.combine_media_stats.load(Ordering::Relaxed)
    }
    pub fn set_combine_media_stats(&self, on: bool) {
        self.combine_media_stats.store(on, Ordering::Relaxed);
    }
}

/// What the gateway needs from its environment: time, ids, and a place to run work that
/// Janus defers to another thread (a handle's teardown after `detach` has been answered).
pub trait Environment: Send + Sync {
    /// Monotonic clock, µs.
    fn monotonic_us(&self) -> i64;
    /// Wall clock, µs since the epoch.
    fn real_us(&self) -> i64;
    /// A random id for sessions and handles: non-zero, within 53 bits (JavaScript-safe).
    fn random_id(&self) -> u64;
    /// Runs `job` later, off the caller's thread.
    fn defer(&self, job: Box<dyn FnOnce() + Send>);
}

pub struct Gateway {
    pub settings: Settings,
    pub auth: Auth,
    pub sessions: Sessions,
    /// In load order (which decides the order Janus lists them in).
    plugins: Vec<Arc<dyn Plugin>>,
    pub info: StaticInfo,
    pub env: Arc<dyn Environment>,
    pub media: Arc<MediaSettings>,
    /// The media plane, once started (a gateway without one refuses WebRTC negotiations).
    media_plane: std::sync::OnceLock<Arc<crate::media::MediaPlane>>,
    /// The event handlers' bus, when `events.broadcast` is on.
    events: Option<Arc<EventBus>>,
    /// Known once the transports are up (they need the gateway to start); load order.
    transports: std::sync::OnceLock<Vec<Arc<dyn QueryableModule>>>,
    /// In load order.
    event_handlers: Vec<Arc<dyn QueryableModule>>,
    loggers: Vec<Arc<dyn QueryableModule>>,
}

/// `modules` (in load order) in the order a GLib string hash table keyed by package, filled in
/// load order, iterates them: Janus keeps its modules in such tables and lists them by
/// walking them.
fn in_janus_order<T>(modules: &[T], package: impl Fn(&T) -> &str) -> Vec<&T> {
    let packages: Vec<&str> = modules.iter().map(package).collect();
    crate::sys::glib::string_hash_table_order(&packages).into_iter().map(|i| &modules[i]).collect()
}

fn by_package<'a>(modules: &'a [Arc<dyn QueryableModule>], package: &str) -> Option<&'a Arc<dyn QueryableModule>> {
    modules.iter().find(|m| m.package() == package)
}

impl Gateway {
    pub fn new(settings: Settings, auth: Auth, plugins: Vec<Arc<dyn Plugin>>, info: StaticInfo, env: Arc<dyn Environment>) -> Gateway {
        let media = MediaSettings::default();
        media.set_min_nack_queue(u16::try_from(info.min_nack_queue).unwrap_or(MAX_NACK_QUEUE));
        media.set_nack_optimizations(info.nack_optimizations);
        Gateway {
            settings,
            auth,
            sessions: Sessions::default(),
            plugins,
            info,
            env,
            media: Arc::new(media),
            media_plane: Default::default(),
            events: None,
            transports: Default::default(),
            event_handlers: Vec::new(),
            loggers: Vec::new(),
        }
    }

    /// The event handlers and loggers (known before the gateway starts), for `info` and the
    /// Admin API.
    pub fn with_modules(mut self, event_handlers: Vec<Arc<dyn QueryableModule>>, loggers: Vec<Arc<dyn QueryableModule>>) -> Gateway {
        self.event_handlers = event_handlers;
        self.loggers = loggers;
        self
    }

    /// Installs the media plane PeerConnections are made from.
    pub fn set_media_plane(&self, plane: Arc<crate::media::MediaPlane>) {
        let _ = self.media_plane.set(plane);
    }

    pub fn media_plane(&self) -> Option<&Arc<crate::media::MediaPlane>> {
        self.media_plane.get()
    }

    /// Records the transports that started (they need the gateway to start).
    pub fn set_transports(&self, transports: Vec<Arc<dyn QueryableModule>>) {
        let _ = self.transports.set(transports);
    }

    /// The modules of each kind in the order Janus' hash table of them lists them.
    pub fn transports(&self) -> Vec<&Arc<dyn QueryableModule>> {
        in_janus_order(self.transports.get().map_or(&[], Vec::as_slice), |m| m.package())
    }

    pub fn event_handlers(&self) -> Vec<&Arc<dyn QueryableModule>> {
        in_janus_order(&self.event_handlers, |m| m.package())
    }

    pub fn loggers(&self) -> Vec<&Arc<dyn QueryableModule>> {
        in_janus_order(&self.loggers, |m| m.package())
    }

    pub fn transport(&self, package: &str) -> Option<&Arc<dyn QueryableModule>> {
        by_package(self.transports.get().map_or(&[], Vec::as_slice), package)
    }

    pub fn event_handler(&self, package: &str) -> Option<&Arc<dyn QueryableModule>> {
        by_package(&self.event_handlers, package)
    }

    pub fn logger(&self, package: &str) -> Option<&Arc<dyn QueryableModule>> {
        by_package(&self.loggers, package)
    }

    /// An EXTERNAL event (`janus_events_notify_handlers(JANUS_EVENT_TYPE_EXTERNAL, ..)`):
    /// dropped when event handlers are disabled.
    pub fn emit_external_event(&self, schema: &str, data: Json) {
        self.notify(Event::External { schema: schema.to_string(), data });
    }

    /// Routes events to the event handlers (`events.broadcast`).
    pub fn with_event_bus(mut self, bus: Arc<EventBus>) -> Gateway {
        self.events = Some(bus);
        self
    }

    /// `events_is_enabled()` as modules see it.
    pub fn events_enabled(&self) -> bool {
        self.events.as_ref().is_some_and(|b| b.is_enabled())
    }

    /// The bus, for the Admin API's `query_eventhandler` and for shutdown.
    pub fn event_bus(&self) -> Option<&Arc<EventBus>> {
        self.events.as_ref()
    }

    /// Hands an event to the event handlers, if enabled.
    pub fn notify(&self, event: Event) {
        if let Some(bus) = &self.events {
            bus.notify(event);
        }
    }

    /// A plugin's `notify_event` (ids 0 for events about no handle).
    pub fn notify_plugin_event(&self, session_id: u64, handle_id: u64, package: &str, data: crate::json::Json) {
        let opaque_id = self.sessions.get(session_id).and_then(|s| s.handle(handle_id)).and_then(|h| h.opaque_id.clone());
        let handle = HandleRef { session_id, handle_id, opaque_id };
        self.notify(Event::Plugin { handle, plugin: package.to_string(), data });
    }

    /// A transport's `notify_event`: `{transport, id, data}` to the handlers, if any; `id` is
    /// the connection's identity (Janus hashes the pointer the transport passed).
    pub fn notify_transport_event(&self, package: String, instance: usize, data: crate::json::Json) {
        self.notify(Event::Transport { transport: package, instance, data });
    }

    pub fn plugin(&self, package: &str) -> Option<&Arc<dyn Plugin>> {
        self.plugins.iter().find(|p| p.package() == package)
    }

    /// In the order Janus' hash table of plugins lists them (what `info` shows, and the
    /// order `add_token` grants them all in).
    pub fn plugins(&self) -> Vec<&Arc<dyn Plugin>> {
        in_janus_order(&self.plugins, |p| p.package())
    }

    /// A fresh id not used by any session (`janus_random_uint64` until it is free).
    pub fn new_session_id(&self) -> u64 {
        loop {
            let id = self.env.random_id();
            if id != 0 && self.sessions.get(id).is_none() {
                return id;
            }
        }
    }
}
