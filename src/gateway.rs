//! The gateway's shared state: settings that requests read (and the Admin API changes),
//! authentication, the session registry and the loaded plugins. The Janus API
//! (`janus_api`) and, later, the Admin API are implemented on it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;

use crate::auth::Auth;
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

/// Where the gateway reports events for the event handlers (Janus'
/// `janus_events_notify_handlers`); absent when `events.broadcast` is off.
pub trait EventBus: Send + Sync {
    /// `event_type` is a `JANUS_EVENT_TYPE_*` bit; ids are 0 when not applicable.
    fn notify(&self, event_type: u32, subtype: u32, session_id: u64, handle_id: u64, opaque_id: Option<&str>, body: crate::json::Json);
}

pub struct Gateway {
    pub settings: Settings,
    pub auth: Auth,
    pub sessions: Sessions,
    plugins: HashMap<String, Arc<dyn Plugin>>,
    pub info: StaticInfo,
    pub env: Arc<dyn Environment>,
    events: Option<Arc<dyn EventBus>>,
    /// Known once the transports are up (they need the gateway to start).
    transports: std::sync::OnceLock<Vec<crate::modules::ModuleInfo>>,
}

impl Gateway {
    pub fn new(
        settings: Settings,
        auth: Auth,
        plugins: Vec<Arc<dyn Plugin>>,
        info: StaticInfo,
        env: Arc<dyn Environment>,
    ) -> Gateway {
        let plugins = plugins.into_iter().map(|p| (p.package().to_string(), p)).collect();
        Gateway { settings, auth, sessions: Sessions::default(), plugins, info, env, events: None, transports: Default::default() }
    }

    /// Records the transports that started (listed by `info`).
    pub fn set_transports(&self, transports: Vec<crate::modules::ModuleInfo>) {
        let _ = self.transports.set(transports);
    }

    pub fn transports(&self) -> &[crate::modules::ModuleInfo] {
        self.transports.get().map_or(&[], Vec::as_slice)
    }

    /// Routes events to the event handlers (`events.broadcast`).
    pub fn with_event_bus(mut self, bus: Arc<dyn EventBus>) -> Gateway {
        self.events = Some(bus);
        self
    }

    /// `events_is_enabled()` as modules see it.
    pub fn events_enabled(&self) -> bool {
        self.events.is_some()
    }

    /// A plugin's `notify_event`: `{plugin, data}` to the handlers, if any.
    pub fn notify_plugin_event(&self, session_id: u64, handle_id: u64, package: &str, data: crate::json::Json) {
        if let Some(bus) = &self.events {
            let opaque = self.sessions.get(session_id).and_then(|s| s.handle(handle_id)).and_then(|h| h.opaque_id.clone());
            let body = crate::json::Object::new().with("plugin", package).with("data", data);
            bus.notify(1 << 6 /* JANUS_EVENT_TYPE_PLUGIN */, 0, session_id, handle_id, opaque.as_deref(), body.into());
        }
    }

    /// A transport's `notify_event`: `{transport, id, data}` to the handlers, if any; `id` is
    /// the connection's identity (Janus hashes the pointer the transport passed).
    pub fn notify_transport_event(&self, package: String, instance: usize, data: crate::json::Json) {
        if let Some(bus) = &self.events {
            let body = crate::json::Object::new().with("transport", package).with("id", instance.to_string()).with("data", data);
            bus.notify(1 << 7 /* JANUS_EVENT_TYPE_TRANSPORT */, 0, 0, 0, None, body.into());
        }
    }

    pub fn plugin(&self, package: &str) -> Option<&Arc<dyn Plugin>> {
        self.plugins.get(package)
    }

    pub fn plugins(&self) -> impl Iterator<Item = &Arc<dyn Plugin>> {
        self.plugins.values()
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
