//! Janus' event handler notifications (`events.c`, `eventhandler.h`).
//!
//! The bit each kind of event has in a handler's `events_mask` and its label/name; the
//! event objects the core builds for handlers (pure: [`Event::into_json`]); and the
//! [`EventBus`] that queues them and delivers each, on one "janus events" thread, to every
//! handler whose mask (read afresh for every event) includes its type.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;

use crate::json::{Json, Object};

/// `JANUS_EVENT_TYPE_ALL`: a 32-bit all-ones mask (stored in a 64-bit `janus_flags`).
pub const ALL: u64 = 0xffff_ffff;

/// `JANUS_EVENT_TYPE_*`: one bit per kind of event.
pub const SESSION: u32 = 1 << 0;
pub const HANDLE: u32 = 1 << 1;
pub const EXTERNAL: u32 = 1 << 2;
pub const JSEP: u32 = 1 << 3;
pub const WEBRTC: u32 = 1 << 4;
pub const MEDIA: u32 = 1 << 5;
pub const PLUGIN: u32 = 1 << 6;
pub const TRANSPORT: u32 = 1 << 7;
pub const CORE: u32 = 1 << 8;

/// (type bit, label used in `events` configuration lists, display name), as Janus has them.
pub const EVENT_TYPES: &[(u32, &str, &str)] = &[
    (0, "no_events", "No events"),
    (SESSION, "sessions", "Sessions"),
    (HANDLE, "handles", "Handles"),
    (EXTERNAL, "external", "External"),
    (JSEP, "jsep", "Jsep"),
    (WEBRTC, "webrtc", "WebRTC"),
    (MEDIA, "media", "Media"),
    (PLUGIN, "plugins", "Plugins"),
    (TRANSPORT, "transports", "Transports"),
    (CORE, "core", "Core"),
];

/// The mask an `events = "..."` setting selects: "none", "all" (any case), or a comma
/// separated list of labels (blanks before a label are skipped, unknown labels ignored).
pub fn mask_from_list(list: &str) -> u64 {
    if list.eq_ignore_ascii_case("none") {
        return 0;
    }
    if list.eq_ignore_ascii_case("all") {
        return ALL;
    }
    list.split(',')
        .map(|item| item.trim_start_matches(|c: char| c.is_ascii_whitespace() || c == '\x0b'))
        .filter_map(|item| EVENT_TYPES.iter().find(|(_, label, _)| label.eq_ignore_ascii_case(item)))
        .fold(0, |mask, (bit, ..)| mask | u64::from(*bit))
}

/// The configuration label of an event type (64 -> "plugins"); `None` for anything that is
/// not exactly one of the types.
pub fn type_to_label(event_type: i32) -> Option<&'static str> {
    EVENT_TYPES.iter().find(|(bit, ..)| *bit as i32 == event_type).map(|(_, label, _)| *label)
}

/// The display name of an event type (64 -> "Plugins").
pub fn type_to_name(event_type: i32) -> Option<&'static str> {
    EVENT_TYPES.iter().find(|(bit, ..)| *bit as i32 == event_type).map(|(.., name)| *name)
}

/// `JANUS_EVENT_SUBTYPE_WEBRTC_*`: what a WebRTC event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebrtcSubtype {
    /// ICE state change of a component: `{ice, stream_id, component_id}`.
    Ice = 1,
    /// A local candidate: `{"local-candidate", stream_id, component_id}`.
    LocalCandidate = 2,
    /// A remote candidate: `{"remote-candidate", stream_id, component_id}`.
    RemoteCandidate = 3,
    /// The selected pair: `{"selected-pair", candidates?, stream_id, component_id}`.
    SelectedPair = 4,
    /// DTLS state change: `{dtls, stream_id, component_id, retransmissions}`.
    Dtls = 5,
    /// PeerConnection up or down: `{connection: "webrtcup"}` / `{connection: "hangup", reason?}`.
    State = 6,
}

/// `JANUS_EVENT_SUBTYPE_MEDIA_*`: what a media event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaSubtype {
    /// Media started/stopped: `{media, mid, substream?, receiving, seconds?}`.
    State = 1,
    /// `{mid, media, slow_link: "uplink"|"downlink", lost_lastsec}`.
    SlowLink = 2,
    /// Periodic statistics of one medium (an object) or of all of them (an array).
    Stats = 3,
}

/// The handle an event is about: Janus puts these ids (and the handle's opaque id, when it
/// has one) at the top level of the event object.
#[derive(Debug, Clone, PartialEq)]
pub struct HandleRef {
    pub session_id: u64,
    pub handle_id: u64,
    pub opaque_id: Option<String>,
}

/// What happened to a session.
#[derive(Debug, Clone, PartialEq)]
pub enum SessionEvent {
    /// `create`: names the transport module (`get_package()`) and the transport session the
    /// request came on, as a stable per-instance number (Janus uses its pointer).
    Created { transport: String, instance: usize },
    /// `destroy` (Janus or Admin API).
    Destroyed,
    /// Reaped by the session watchdog.
    Timeout,
}

/// What happened to a handle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandleEvent {
    Attached,
    Detached,
}

/// Whose SDP a JSEP event carries: Janus' ("local") or the peer's ("remote").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsepOwner {
    Local,
    Remote,
}

/// One notification for the event handlers, with the arguments Janus passes
/// `janus_events_notify_handlers` for each type.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Session {
        session_id: u64,
        what: SessionEvent,
    },
    /// `plugin` is `None` only when a detached handle had lost its plugin (then Janus
    /// leaves the key out).
    Handle {
        handle: HandleRef,
        what: HandleEvent,
        plugin: Option<String>,
        token: Option<String>,
    },
    Jsep {
        handle: HandleRef,
        owner: JsepOwner,
        sdp_type: String,
        sdp: String,
    },
    /// `info` is the event body as the ICE/DTLS stack builds it (see [`WebrtcSubtype`]).
    Webrtc {
        handle: HandleRef,
        subtype: WebrtcSubtype,
        info: Json,
    },
    /// `info` is the event body as the media stack builds it (see [`MediaSubtype`]).
    Media {
        handle: HandleRef,
        subtype: MediaSubtype,
        info: Json,
    },
    /// A plugin's `notify_event`: session/handle ids are 0 for events outside any handle.
    Plugin {
        handle: HandleRef,
        plugin: String,
        data: Json,
    },
    /// A transport's `notify_event`, about one of its transport sessions (`instance`).
    Transport {
        transport: String,
        instance: usize,
        data: Json,
    },
    /// Janus is up: `info` is what the `info` request answers.
    CoreStartup {
        info: Json,
    },
    /// Janus is going down because of signal `signum`.
    CoreShutdown {
        signum: i32,
    },
    /// Admin API `custom_event`.
    External {
        schema: String,
        data: Json,
    },
}

/// `janus_uint64_hash` (a splitmix64 finaliser), which Janus uses to turn a transport
/// session pointer into a number it can show.
pub fn uint64_hash(num: u64) -> u64 {
    let num = (num ^ (num >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    let num = (num ^ (num >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    num ^ (num >> 31)
}

/// The `id` Janus gives a transport session in events: the hash of its pointer truncated to
/// 32 bits (`GPOINTER_TO_UINT`), in decimal.
pub fn transport_instance_id(instance: usize) -> String {
    uint64_hash(u64::from(instance as u32)).to_string()
}

impl Event {
    /// The event's `JANUS_EVENT_TYPE_*` bit.
    pub fn event_type(&self) -> u32 {
        match self {
            Event::Session { .. } => SESSION,
            Event::Handle { .. } => HANDLE,
            Event::Jsep { .. } => JSEP,
            Event::Webrtc { .. } => WEBRTC,
            Event::Media { .. } => MEDIA,
            Event::Plugin { .. } => PLUGIN,
            Event::Transport { .. } => TRANSPORT,
            Event::CoreStartup { .. } | Event::CoreShutdown { .. } => CORE,
            Event::External { .. } => EXTERNAL,
        }
    }

    /// The event's subtype (0 = none, and then Janus leaves `subtype` out).
    pub fn subtype(&self) -> u32 {
        match self {
            Event::Webrtc { subtype, .. } => *subtype as u32,
            Event::Media { subtype, .. } => *subtype as u32,
            Event::CoreStartup { .. } => 1,
            Event::CoreShutdown { .. } => 2,
            _ => 0,
        }
    }

    /// The object handlers receive (see [`envelope`]).
    pub fn into_json(self, emitter: &str, timestamp: i64) -> Json {
        let (event_type, subtype) = (self.event_type(), self.subtype());
        let none = || HandleRef { session_id: 0, handle_id: 0, opaque_id: None };
        let (ids, body): (HandleRef, Json) = match self {
            Event::Session { session_id, what } => {
                let mut body = Object::new();
                match what {
                    SessionEvent::Created { transport, instance } => {
                        body.set("name", "created");
                        body.set("transport", Object::new().with("transport", transport).with("id", transport_instance_id(instance)));
                    }
                    SessionEvent::Destroyed => body.set("name", "destroyed"),
                    SessionEvent::Timeout => body.set("name", "timeout"),
                }
                (HandleRef { session_id, ..none() }, body.into())
            }
            Event::Handle { handle, what, plugin, token } => {
                let name = match what {
                    HandleEvent::Attached => "attached",
                    HandleEvent::Detached => "detached",
                };
                let mut body = Object::new().with("name", name);
                if let Some(p) = plugin {
                    body.set("plugin", p);
                }
                // Also in the body: where older Janus versions had it.
                if let Some(o) = &handle.opaque_id {
                    body.set("opaque_id", o.as_str());
                }
                if let Some(t) = token {
                    body.set("token", t);
                }
                (handle, body.into())
            }
            Event::Jsep { handle, owner, sdp_type, sdp } => {
                let owner = match owner {
                    JsepOwner::Local => "local",
                    JsepOwner::Remote => "remote",
                };
                let body = Object::new().with("owner", owner).with("jsep", Object::new().with("type", sdp_type).with("sdp", sdp));
                (handle, body.into())
            }
            Event::Webrtc { handle, info, .. } | Event::Media { handle, info, .. } => (handle, info),
            Event::Plugin { handle, plugin, data } => (handle, Object::new().with("plugin", plugin).with("data", data).into()),
            Event::Transport { transport, instance, data } => {
                let body = Object::new().with("transport", transport).with("id", transport_instance_id(instance)).with("data", data);
                (none(), body.into())
            }
            Event::CoreStartup { info } => (none(), Object::new().with("status", "started").with("info", info).into()),
            Event::CoreShutdown { signum } => (none(), Object::new().with("status", "shutdown").with("signum", signum).into()),
            Event::External { schema, data } => (none(), Object::new().with("schema", schema).with("data", data).into()),
        };
        let envelope = envelope(emitter, timestamp, event_type, subtype, &ids, body);
        envelope.expect("typed events have a known type")
    }
}

/// Wraps an event body as `janus_events_notify_handlers` does, keys in Janus' order:
/// `emitter`, `type`, `subtype` (only if > 0), `timestamp` (wall clock, µs), `session_id`
/// (not for CORE and EXTERNAL, nor for PLUGIN/TRANSPORT events with id 0), `handle_id`
/// (HANDLE, JSEP, WEBRTC, MEDIA; PLUGIN if not 0), `opaque_id` (the same types, if any),
/// `event`. `None` for an unknown type (Janus drops those).
pub fn envelope(emitter: &str, timestamp: i64, event_type: u32, subtype: u32, ids: &HandleRef, body: Json) -> Option<Json> {
    let known = [SESSION, HANDLE, EXTERNAL, JSEP, WEBRTC, MEDIA, PLUGIN, TRANSPORT, CORE];
    if !known.contains(&event_type) {
        return None;
    }
    let mut top = Object::new().with("emitter", emitter).with("type", event_type);
    if subtype > 0 {
        top.set("subtype", subtype);
    }
    top.set("timestamp", timestamp);
    let optional_ids = event_type == PLUGIN || event_type == TRANSPORT;
    if event_type != CORE && event_type != EXTERNAL && !(optional_ids && ids.session_id == 0) {
        top.set("session_id", ids.session_id);
    }
    if [HANDLE, JSEP, WEBRTC, MEDIA, PLUGIN].contains(&event_type) {
        if !(event_type == PLUGIN && ids.handle_id == 0) {
            top.set("handle_id", ids.handle_id);
        }
        if let Some(o) = &ids.opaque_id {
            top.set("opaque_id", o.as_str());
        }
    }
    top.set("event", body);
    Some(top.into())
}

/// An event handler as the core sees it (a loaded `janus_eventhandler` module, or a Rust
/// stand-in in tests).
pub trait EventHandler: Send + Sync {
    /// `get_package()`: the handler's key in the core's tables and in the Admin API.
    fn package(&self) -> String;
    /// The types the handler wants (`events_mask`). Read for every event: handlers change
    /// it at run time (e.g. through Admin API requests).
    fn mask(&self) -> u64;
    /// Called on the events thread with the handler's own view of the event; the handler
    /// keeps whatever it needs.
    fn incoming_event(&self, event: &Json);
}

/// Hands `event` (of type `event_type`) to every handler whose mask includes that type.
pub fn deliver(handlers: &[Arc<dyn EventHandler>], event_type: u32, event: &Json) {
    for handler in handlers {
        if handler.mask() & u64::from(event_type) != 0 {
            handler.incoming_event(event);
        }
    }
}

enum Queued {
    Event(u32, Json),
    Exit,
}

struct Shared {
    enabled: AtomicBool,
    handlers: Vec<Arc<dyn EventHandler>>,
}

/// The notification bus of `events.c`: events are built where they happen, queued, and
/// delivered in order on the "janus events" thread.
pub struct EventBus {
    shared: Arc<Shared>,
    emitter: String,
    queue: Mutex<Option<Sender<Queued>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl EventBus {
    /// `janus_events_init`: `enabled` is the `events.broadcast` setting, `server_name` the
    /// `emitter` of every event, `handlers` the event handlers that were loaded (possibly
    /// none). The events thread runs only when enabled.
    pub fn start(enabled: bool, server_name: &str, handlers: Vec<Arc<dyn EventHandler>>) -> io::Result<EventBus> {
        let shared = Arc::new(Shared { enabled: AtomicBool::new(enabled), handlers });
        let (queue, thread) = if enabled {
            let (tx, rx) = mpsc::channel();
            let s = shared.clone();
            let thread = std::thread::Builder::new().name("janus events".into()).spawn(move || {
                // As Janus: stop at the exit marker, or after any event once disabled
                // (what is still queued then is dropped).
                while s.enabled.load(Ordering::Acquire) {
                    match rx.recv() {
                        Ok(Queued::Event(event_type, event)) => deliver(&s.handlers, event_type, &event),
                        Ok(Queued::Exit) | Err(_) => break,
                    }
                }
            })?;
            (Some(tx), Some(thread))
        } else {
            (None, None)
        };
        Ok(EventBus { shared, emitter: server_name.to_owned(), queue: Mutex::new(queue), thread: Mutex::new(thread) })
    }

    /// `janus_events_is_enabled`: broadcasting was enabled and the bus is not shut down,
    /// whether or not any handler is loaded. Callers check it before building an event.
    pub fn is_enabled(&self) -> bool {
        self.shared.enabled.load(Ordering::Acquire)
    }

    /// The loaded handlers, for the Admin API and `info`.
    pub fn handlers(&self) -> &[Arc<dyn EventHandler>] {
        &self.shared.handlers
    }

    /// The handler whose package is `package`.
    pub fn handler(&self, package: &str) -> Option<&Arc<dyn EventHandler>> {
        self.shared.handlers.iter().find(|h| h.package() == package)
    }

    /// `janus_events_notify_handlers`: stamps `event` with the wall clock and queues it;
    /// dropped when the bus is disabled or there are no handlers.
    pub fn notify(&self, event: Event) {
        self.notify_at(event, crate::utils::real_time());
    }

    /// [`EventBus::notify`] with the timestamp given.
    pub fn notify_at(&self, event: Event, timestamp: i64) {
        if self.wants_events() {
            let event_type = event.event_type();
            self.queue(event_type, event.into_json(&self.emitter, timestamp));
        }
    }

    fn wants_events(&self) -> bool {
        self.is_enabled() && !self.shared.handlers.is_empty()
    }

    fn queue(&self, event_type: u32, event: Json) {
        if let Some(queue) = lock(&self.queue).as_ref() {
            // A send error means the thread is gone (shut down): the event is dropped.
            let _ = queue.send(Queued::Event(event_type, event));
        }
    }

    /// `janus_events_deinit`: disables the bus and joins the events thread; events still
    /// queued are dropped. Idempotent.
    pub fn shutdown(&self) {
        self.shared.enabled.store(false, Ordering::Release);
        if let Some(queue) = lock(&self.queue).take() {
            let _ = queue.send(Queued::Exit);
        }
        if let Some(thread) = lock(&self.thread).take() {
            let _ = thread.join();
        }
    }
}

impl Drop for EventBus {
    fn drop(&mut self) {
        self.shutdown();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn handle(session_id: u64, handle_id: u64, opaque_id: Option<&str>) -> HandleRef {
        HandleRef { session_id, handle_id, opaque_id: opaque_id.map(str::to_owned) }
    }

    fn text(event: Event) -> String {
        event.into_json("MyJanusInstance", 1_700_000_000_000_000).to_compact_string()
    }

    const HEAD: &str = r#"{"emitter":"MyJanusInstance","type":"#;

    #[test]
    fn hash_matches_janus_uint64_hash() {
        // splitmix64's finaliser: 0 stays 0, and known vectors of the mix.
        assert_eq!(uint64_hash(0), 0);
        assert_eq!(uint64_hash(1), 0x5692_161d_100b_05e5);
        assert_eq!(transport_instance_id(1), uint64_hash(1).to_string());
        // GPOINTER_TO_UINT keeps the low 32 bits of the pointer.
        assert_eq!(transport_instance_id(0x7f12_3456_789a), "6702143166349820522");
    }

    #[test]
    fn session_events() {
        let created =
            Event::Session { session_id: 42, what: SessionEvent::Created { transport: "janus.transport.http".into(), instance: 1 } };
        assert_eq!(
            text(created),
            format!(
                r#"{HEAD}1,"timestamp":1700000000000000,"session_id":42,"event":{{"name":"created","transport":{{"transport":"janus.transport.http","id":"{}"}}}}}}"#,
                uint64_hash(1)
            )
        );
        assert_eq!(
            text(Event::Session { session_id: 42, what: SessionEvent::Destroyed }),
            format!(r#"{HEAD}1,"timestamp":1700000000000000,"session_id":42,"event":{{"name":"destroyed"}}}}"#)
        );
        assert_eq!(
            text(Event::Session { session_id: 7, what: SessionEvent::Timeout }),
            format!(r#"{HEAD}1,"timestamp":1700000000000000,"session_id":7,"event":{{"name":"timeout"}}}}"#)
        );
    }

    #[test]
    fn handle_events_put_the_opaque_id_in_both_places() {
        let attached = Event::Handle {
            handle: handle(1, 2, Some("op")),
            what: HandleEvent::Attached,
            plugin: Some("janus.plugin.echotest".into()),
            token: Some("tok".into()),
        };
        assert_eq!(
            text(attached),
            format!(
                r#"{HEAD}2,"timestamp":1700000000000000,"session_id":1,"handle_id":2,"opaque_id":"op","event":{{"name":"attached","plugin":"janus.plugin.echotest","opaque_id":"op","token":"tok"}}}}"#
            )
        );
        let detached = Event::Handle { handle: handle(1, 2, None), what: HandleEvent::Detached, plugin: None, token: None };
        assert_eq!(
            text(detached),
            format!(r#"{HEAD}2,"timestamp":1700000000000000,"session_id":1,"handle_id":2,"event":{{"name":"detached"}}}}"#)
        );
    }

    #[test]
    fn jsep_webrtc_and_media_events() {
        let jsep =
            Event::Jsep { handle: handle(1, 2, Some("op")), owner: JsepOwner::Remote, sdp_type: "offer".into(), sdp: "v=0\r\n".into() };
        assert_eq!(
            text(jsep),
            format!(
                r#"{HEAD}8,"timestamp":1700000000000000,"session_id":1,"handle_id":2,"opaque_id":"op","event":{{"owner":"remote","jsep":{{"type":"offer","sdp":"v=0\r\n"}}}}}}"#
            )
        );
        let up = Event::Webrtc {
            handle: handle(1, 2, None),
            subtype: WebrtcSubtype::State,
            info: Object::new().with("connection", "webrtcup").into(),
        };
        assert_eq!(
            text(up),
            format!(
                r#"{HEAD}16,"subtype":6,"timestamp":1700000000000000,"session_id":1,"handle_id":2,"event":{{"connection":"webrtcup"}}}}"#
            )
        );
        let slow = Event::Media {
            handle: handle(1, 2, None),
            subtype: MediaSubtype::SlowLink,
            info: Object::new().with("mid", "0").with("lost_lastsec", 3).into(),
        };
        assert_eq!(
            text(slow),
            format!(
                r#"{HEAD}32,"subtype":2,"timestamp":1700000000000000,"session_id":1,"handle_id":2,"event":{{"mid":"0","lost_lastsec":3}}}}"#
            )
        );
    }

    #[test]
    fn plugin_and_transport_events_may_have_no_ids() {
        let data: Json = Object::new().with("x", 1).into();
        let in_handle = Event::Plugin { handle: handle(1, 2, Some("op")), plugin: "janus.plugin.echotest".into(), data: data.clone() };
        assert_eq!(
            text(in_handle),
            format!(
                r#"{HEAD}64,"timestamp":1700000000000000,"session_id":1,"handle_id":2,"opaque_id":"op","event":{{"plugin":"janus.plugin.echotest","data":{{"x":1}}}}}}"#
            )
        );
        let global = Event::Plugin { handle: handle(0, 0, None), plugin: "janus.plugin.videoroom".into(), data: data.clone() };
        assert_eq!(
            text(global),
            format!(r#"{HEAD}64,"timestamp":1700000000000000,"event":{{"plugin":"janus.plugin.videoroom","data":{{"x":1}}}}}}"#)
        );
        let transport = Event::Transport { transport: "janus.transport.websockets".into(), instance: 99, data };
        assert_eq!(
            text(transport),
            format!(
                r#"{HEAD}128,"timestamp":1700000000000000,"event":{{"transport":"janus.transport.websockets","id":"{}","data":{{"x":1}}}}}}"#,
                uint64_hash(99)
            )
        );
    }

    #[test]
    fn core_and_external_events_have_no_session() {
        let info: Json = Object::new().with("janus", "server_info").into();
        assert_eq!(
            text(Event::CoreStartup { info }),
            format!(
                r#"{HEAD}256,"subtype":1,"timestamp":1700000000000000,"event":{{"status":"started","info":{{"janus":"server_info"}}}}}}"#
            )
        );
        assert_eq!(
            text(Event::CoreShutdown { signum: 2 }),
            format!(r#"{HEAD}256,"subtype":2,"timestamp":1700000000000000,"event":{{"status":"shutdown","signum":2}}}}"#)
        );
        let external = Event::External { schema: "my.schema".into(), data: Object::new().with("a", "b").into() };
        assert_eq!(
            text(external),
            format!(r#"{HEAD}4,"timestamp":1700000000000000,"event":{{"schema":"my.schema","data":{{"a":"b"}}}}}}"#)
        );
    }

    #[test]
    fn envelope_keeps_what_janus_keeps_per_type() {
        let ids = handle(1, 2, Some("op"));
        let body = || Json::from(Object::new().with("k", 1));
        let wrap = |t, sub, ids: &HandleRef| envelope("e", 9, t, sub, ids, body()).map(|j| j.to_compact_string());
        assert_eq!(wrap(SESSION, 0, &ids).unwrap(), r#"{"emitter":"e","type":1,"timestamp":9,"session_id":1,"event":{"k":1}}"#);
        assert_eq!(
            wrap(MEDIA, 3, &ids).unwrap(),
            r#"{"emitter":"e","type":32,"subtype":3,"timestamp":9,"session_id":1,"handle_id":2,"opaque_id":"op","event":{"k":1}}"#
        );
        assert_eq!(wrap(TRANSPORT, 0, &ids).unwrap(), r#"{"emitter":"e","type":128,"timestamp":9,"session_id":1,"event":{"k":1}}"#);
        assert_eq!(
            wrap(PLUGIN, 0, &handle(1, 0, Some("op"))).unwrap(),
            r#"{"emitter":"e","type":64,"timestamp":9,"session_id":1,"opaque_id":"op","event":{"k":1}}"#
        );
        assert_eq!(wrap(EXTERNAL, 0, &ids).unwrap(), r#"{"emitter":"e","type":4,"timestamp":9,"event":{"k":1}}"#);
        assert_eq!(wrap(3, 0, &ids), None, "not a single type");
        assert_eq!(wrap(0, 0, &ids), None);
        assert_eq!(wrap(1 << 9, 0, &ids), None);
    }

    /// A handler that forwards what it gets to a channel; its mask can change at any time.
    struct Fake {
        mask: std::sync::atomic::AtomicU64,
        got: Mutex<Sender<(String, Json)>>,
        name: &'static str,
    }

    impl EventHandler for Fake {
        fn package(&self) -> String {
            self.name.into()
        }
        fn mask(&self) -> u64 {
            self.mask.load(Ordering::Relaxed)
        }
        fn incoming_event(&self, event: &Json) {
            let _ = self.got.lock().unwrap().send((self.name.into(), event.clone()));
        }
    }

    fn fake(name: &'static str, mask: u64, tx: &Sender<(String, Json)>) -> Arc<Fake> {
        Arc::new(Fake { mask: mask.into(), got: Mutex::new(tx.clone()), name })
    }

    fn destroyed(session_id: u64) -> Event {
        Event::Session { session_id, what: SessionEvent::Destroyed }
    }

    #[test]
    fn bus_delivers_in_order_by_live_mask() {
        let (tx, rx) = mpsc::channel();
        let sessions = fake("a", u64::from(SESSION), &tx);
        let all = fake("b", ALL, &tx);
        let bus = EventBus::start(true, "srv", vec![sessions.clone(), all.clone()]).unwrap();
        assert!(bus.is_enabled());
        assert_eq!(bus.handler("b").unwrap().package(), "b");
        assert!(bus.handler("c").is_none());

        bus.notify_at(destroyed(1), 5);
        bus.notify_at(Event::CoreShutdown { signum: 15 }, 6);
        let recv = || rx.recv_timeout(std::time::Duration::from_secs(5)).unwrap();
        let mut got: Vec<(String, String)> = (0..3).map(|_| recv()).map(|(who, e)| (who, e.to_compact_string())).collect();
        // Per handler, events keep their order; "a" does not want CORE.
        got.sort_by(|x, y| x.0.cmp(&y.0));
        let d = r#"{"emitter":"srv","type":1,"timestamp":5,"session_id":1,"event":{"name":"destroyed"}}"#;
        let c = r#"{"emitter":"srv","type":256,"subtype":2,"timestamp":6,"event":{"status":"shutdown","signum":15}}"#;
        assert_eq!(got, [("a".into(), d.into()), ("b".into(), d.into()), ("b".into(), c.into())]);

        // A mask changed by the handler applies to the next event.
        sessions.mask.store(0, Ordering::Relaxed);
        all.mask.store(u64::from(SESSION), Ordering::Relaxed);
        bus.notify_at(destroyed(2), 7);
        let (who, e) = recv();
        assert_eq!((who.as_str(), e.get("session_id")), ("b", Some(&Json::Int(2))));

        bus.shutdown();
        assert!(!bus.is_enabled());
        bus.notify_at(destroyed(3), 8);
        bus.shutdown();
        assert!(rx.try_recv().is_err(), "nothing after shutdown");
    }

    #[test]
    fn disabled_or_empty_bus_drops_events() {
        let (tx, rx) = mpsc::channel();
        let disabled = EventBus::start(false, "srv", vec![fake("a", ALL, &tx)]).unwrap();
        assert!(!disabled.is_enabled());
        disabled.notify(destroyed(1));
        // Enabled without handlers: enabled as far as callers can tell, but nothing queued.
        let empty = EventBus::start(true, "srv", Vec::new()).unwrap();
        assert!(empty.is_enabled());
        empty.notify(destroyed(1));
        drop(empty);
        drop(disabled);
        assert!(rx.try_recv().is_err());
    }

    #[test]
    fn notify_stamps_wall_clock() {
        let (tx, rx) = mpsc::channel();
        let bus = EventBus::start(true, "srv", vec![fake("a", ALL, &tx)]).unwrap();
        let before = crate::utils::real_time();
        bus.notify(destroyed(1));
        let (_, e) = rx.recv_timeout(std::time::Duration::from_secs(5)).unwrap();
        let ts = e.get("timestamp").and_then(Json::as_i64).unwrap();
        assert!(ts >= before && ts <= crate::utils::real_time());
    }

    #[test]
    fn masks_from_lists() {
        assert_eq!(mask_from_list("none"), 0);
        assert_eq!(mask_from_list("ALL"), 0xffff_ffff);
        assert_eq!(mask_from_list("sessions,handles"), 3);
        assert_eq!(mask_from_list("plugins, Transports,core"), 64 | 128 | 256);
        assert_eq!(mask_from_list("media ,webrtc"), 16, "trailing blanks do not match");
        assert_eq!(mask_from_list("bogus,jsep,,external"), 8 | 4);
        assert_eq!(mask_from_list("no_events"), 0);
        assert_eq!(mask_from_list(""), 0);
    }

    #[test]
    fn labels_and_names() {
        assert_eq!(type_to_label(64), Some("plugins"));
        assert_eq!(type_to_name(64), Some("Plugins"));
        assert_eq!(type_to_label(0), Some("no_events"));
        assert_eq!(type_to_name(0), Some("No events"));
        assert_eq!(type_to_name(16), Some("WebRTC"));
        assert_eq!(type_to_label(3), None);
        assert_eq!(type_to_name(-1), None);
    }
}
