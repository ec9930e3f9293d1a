//! The Janus API (`janus_process_incoming_request` of Janus 1.1.2): requests that create and
//! destroy sessions, attach and detach handles, and carry messages to plugins. Every check
//! runs in Janus' order and fails with Janus' code and reason; replies keep Janus' key order.

use std::sync::Arc;

use crate::apierror::ApiError;
use crate::events::{Event, HandleEvent, HandleRef, SessionEvent};
use crate::gateway::Gateway;
use crate::janus_log;
use crate::json::{validate, Json, JsonType, Object, Param, JSON_PARAM_POSITIVE, JSON_PARAM_REQUIRED};
use crate::log::Level;
use crate::plugin_host::PluginResult;
use crate::session::{Handle, Session, WebrtcFlag};
use crate::transport_host::{Request, TransportSession};

const REQUEST_PARAMS: [Param; 3] = [
    Param { name: "transaction", ty: JsonType::String, flags: JSON_PARAM_REQUIRED },
    Param { name: "janus", ty: JsonType::String, flags: JSON_PARAM_REQUIRED },
    Param { name: "id", ty: JsonType::Integer, flags: JSON_PARAM_POSITIVE },
];
const ATTACH_PARAMS: [Param; 3] = [
    Param { name: "plugin", ty: JsonType::String, flags: JSON_PARAM_REQUIRED },
    Param { name: "opaque_id", ty: JsonType::String, flags: 0 },
    Param { name: "loop_index", ty: JsonType::Integer, flags: JSON_PARAM_POSITIVE },
];
const BODY_PARAMS: [Param; 1] = [Param { name: "body", ty: JsonType::Object, flags: JSON_PARAM_REQUIRED }];
const JSEP_PARAMS: [Param; 6] = [
    Param { name: "type", ty: JsonType::String, flags: JSON_PARAM_REQUIRED },
    Param { name: "sdp", ty: JsonType::String, flags: JSON_PARAM_REQUIRED },
    Param { name: "trickle", ty: JsonType::True, flags: 0 },
    Param { name: "rid_order", ty: JsonType::String, flags: 0 },
    Param { name: "force_relay", ty: JsonType::True, flags: 0 },
    Param { name: "e2ee", ty: JsonType::True, flags: 0 },
];

/// `janus_create_message`: `janus`, then `session_id` if non-zero, then `transaction` if any.
pub fn create_message(status: &str, session_id: u64, transaction: Option<&str>) -> Object {
    let mut m = Object::new().with("janus", status);
    if session_id > 0 {
        m.set("session_id", session_id);
    }
    if let Some(t) = transaction {
        m.set("transaction", t);
    }
    m
}

/// Janus formats reasons into fixed buffers: 512 bytes for formatted ones, 100 for the
/// validation causes. Cut at a character boundary no longer than `max - 1` bytes.
fn truncate(mut s: String, max: usize) -> String {
    if s.len() >= max {
        let mut end = max - 1;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

/// Sends an error reply: a default reason when `reason` is `None`.
pub fn send_error(request: &Request, session_id: u64, transaction: Option<&str>, code: ApiError, reason: Option<String>) {
    let reason = reason.map_or_else(|| code.reason().to_string(), |r| truncate(r, 512));
    let error = Object::new().with("code", code.code()).with("reason", reason);
    request.reply(create_message("error", session_id, transaction).with("error", error).into());
}

/// A validation failure: the cause went through Janus' 100-byte buffer.
pub(crate) fn send_invalid(request: &Request, session_id: u64, transaction: Option<&str>, invalid: crate::json::Invalid) {
    let reason = invalid.to_string();
    send_invalid_with(request, session_id, transaction, &invalid, reason);
}

/// As [`send_invalid`], with the reason worded by the caller (JSEP validation).
fn send_invalid_with(request: &Request, session_id: u64, transaction: Option<&str>, invalid: &crate::json::Invalid, reason: String) {
    let code = match invalid {
        crate::json::Invalid::Missing(_) => ApiError::MissingMandatoryElement,
        crate::json::Invalid::WrongType { .. } => ApiError::InvalidElementType,
    };
    send_error(request, session_id, transaction, code, Some(truncate(reason, 100)));
}

/// An id member as Janus reads it: only a JSON integer counts (null or other types read 0).
fn id_member(root: &Json, key: &str) -> (bool, u64) {
    match root.get(key) {
        None | Some(Json::Null) => (false, 0),
        Some(Json::Int(i)) => (true, *i as u64),
        Some(_) => (true, 0),
    }
}

impl Gateway {
    /// `janus_request_check_secret`: the API secret or a valid token, when either is enabled.
    pub fn check_secret(&self, root: &Json) -> bool {
        let api_secret = self.settings.api_secret.as_deref();
        if api_secret.is_none() && !self.auth.is_enabled() {
            return true;
        }
        let now = self.env.real_us() / 1_000_000;
        let secret_ok = api_secret.is_some_and(|secret| {
            root.get("apisecret").and_then(Json::as_str).is_some_and(|s| crate::utils::strcmp_const_time(s.as_bytes(), secret.as_bytes()))
        });
        let token_ok = self.auth.is_enabled() && root.get("token").and_then(Json::as_str).is_some_and(|t| self.auth.check_token(t, now));
        secret_ok || token_ok
    }

    /// Processes one Janus API request and sends its reply (and any event it causes) through
    /// the request's transport.
    pub fn handle_janus_request(&self, request: &Request) {
        let root = match &request.message {
            Ok(root) => root,
            Err(Some(e)) => {
                let reason = format!("Invalid Janus API request - {}({},{}): {}", e.source, e.line, e.column, e.text);
                return send_error(request, 0, None, ApiError::InvalidJson, Some(reason));
            }
            Err(None) => return send_error(request, 0, None, ApiError::InvalidJson, Some("Invalid Janus API request".into())),
        };
        let (_, mut session_id) = id_member(root, "session_id");
        let (handle_given, handle_id) = id_member(root, "handle_id");
        if let Err(invalid) = validate(root, &REQUEST_PARAMS) {
            return send_invalid(request, session_id, None, invalid);
        }
        let transaction = root.get("transaction").and_then(Json::as_str);
        let verb = root.get("janus").and_then(Json::as_str).unwrap_or_default();

        if session_id == 0 && handle_id == 0 {
            return self.session_less_request(request, root, transaction, verb);
        }
        // Janus compares the ids as unsigned: a negative one is looked up (and not found).
        if session_id < 1 {
            return send_error(request, session_id, transaction, ApiError::SessionNotFound, None);
        }
        if handle_given && handle_id < 1 {
            return send_error(request, session_id, transaction, ApiError::HandleNotFound, None);
        }
        if !self.check_secret(root) {
            return send_error(request, session_id, transaction, ApiError::Unauthorized, None);
        }
        let Some(session) = self.sessions.get(session_id) else {
            let reason = format!("No such session {session_id}");
            return send_error(request, session_id, transaction, ApiError::SessionNotFound, Some(reason));
        };
        session.touch(self.env.monotonic_us());
        session_id = session.id;
        let handle = if handle_id > 0 {
            match session.handle(handle_id) {
                Some(h) => Some(h),
                None => {
                    let reason = format!("No such handle {handle_id} in session {session_id}");
                    return send_error(request, session_id, transaction, ApiError::HandleNotFound, Some(reason));
                }
            }
        } else {
            None
        };
        let wrong_path = || {
            let reason = format!("Unhandled request '{verb}' at this path");
            send_error(request, session_id, transaction, ApiError::InvalidRequestPath, Some(reason))
        };
        match verb.to_ascii_lowercase().as_str() {
            "keepalive" => request.reply(create_message("ack", session_id, transaction).into()),
            "attach" => match handle {
                Some(_) => wrong_path(),
                None => self.attach(request, root, &session, transaction),
            },
            "destroy" => match handle {
                Some(_) => wrong_path(),
                None => {
                    self.sessions.remove(session_id);
                    if let Some(source) = session.source() {
                        source.session_over(session_id, false, false);
                    }
                    self.destroy_session(&session);
                    request.reply(create_message("success", session_id, transaction).into());
                    self.notify(Event::Session { session_id, what: SessionEvent::Destroyed });
                }
            },
            "detach" => match handle {
                None => wrong_path(),
                Some(h) if h.plugin_session().is_none() => {
                    send_error(request, session_id, transaction, ApiError::PluginDetach, Some("No plugin to detach from".into()))
                }
                Some(h) => {
                    session.remove_handle(h.id);
                    request.reply(create_message("success", session_id, transaction).into());
                    self.destroy_handle(&session, h);
                }
            },
            "hangup" => match handle {
                None => wrong_path(),
                Some(h) if h.plugin_session().is_none() => {
                    send_error(request, session_id, transaction, ApiError::PluginDetach, Some("No plugin attached".into()))
                }
                Some(h) => {
                    self.hangup_webrtc(&h, "Janus API");
                    request.reply(create_message("success", session_id, transaction).into())
                }
            },
            "claim" => self.claim(request, &session, transaction),
            "message" => match handle {
                None => wrong_path(),
                Some(h) => self.message(request, root, &session, &h, transaction),
            },
            "trickle" => match handle {
                None => wrong_path(),
                Some(h) => self.trickle(request, root, &session, &h, transaction),
            },
            _ => {
                let reason = format!("Unknown request '{verb}'");
                send_error(request, session_id, transaction, ApiError::UnknownRequest, Some(reason))
            }
        }
    }

    /// `info`, `ping` and `create`: the only requests without a session.
    fn session_less_request(&self, request: &Request, root: &Json, transaction: Option<&str>, verb: &str) {
        match verb.to_ascii_lowercase().as_str() {
            "info" => request.reply(self.server_info(transaction)),
            "ping" => request.reply(create_message("pong", 0, transaction).into()),
            "create" => {
                if !self.settings.accepting_new_sessions() {
                    return send_error(request, 0, transaction, ApiError::NotAcceptingSessions, None);
                }
                if !self.check_secret(root) {
                    return send_error(request, 0, transaction, ApiError::Unauthorized, None);
                }
                let wanted = root.get("id").and_then(Json::as_i64).unwrap_or(0) as u64;
                if wanted > 0 && self.sessions.get(wanted).is_some() {
                    return send_error(request, wanted, transaction, ApiError::SessionConflict, Some("Session ID already in use".into()));
                }
                let id = if wanted > 0 { wanted } else { self.new_session_id() };
                let session = Arc::new(Session::new(id, request.transport.clone(), self.env.monotonic_us()));
                janus_log!(Level::Info, "Creating new session: {}; {:p}\n", id, Arc::as_ptr(&session));
                if !self.sessions.insert(session) {
                    return send_error(request, id, transaction, ApiError::SessionConflict, Some("Session ID already in use".into()));
                }
                request.transport.session_created(id);
                self.notify(Event::Session {
                    session_id: id,
                    what: SessionEvent::Created {
                        transport: request.transport.transport_package(),
                        instance: request.transport.instance(),
                    },
                });
                let data = Object::new().with("id", id);
                request.reply(create_message("success", 0, transaction).with("data", data).into());
            }
            _ => {
                let reason = format!("Unhandled request '{verb}' at this path");
                send_error(request, 0, transaction, ApiError::InvalidRequestPath, Some(reason))
            }
        }
    }

    fn attach(&self, request: &Request, root: &Json, session: &Arc<Session>, transaction: Option<&str>) {
        let session_id = session.id;
        if let Err(invalid) = validate(root, &ATTACH_PARAMS) {
            return send_invalid(request, session_id, transaction, invalid);
        }
        let package = root.get("plugin").and_then(Json::as_str).unwrap_or_default();
        let Some(plugin) = self.plugin(package).cloned() else {
            let reason = format!("No such plugin '{package}'");
            return send_error(request, session_id, transaction, ApiError::PluginNotFound, Some(reason));
        };
        let mut token = None;
        if self.auth.is_enabled() {
            if let Some(t) = root.get("token") {
                token = t.as_str().map(String::from);
                let now = self.env.real_us() / 1_000_000;
                if token.as_deref().is_some_and(|t| !self.auth.check_plugin(t, package, now)) {
                    let reason = format!("Provided token can't access plugin '{package}'");
                    return send_error(request, session_id, transaction, ApiError::UnauthorizedPlugin, Some(reason));
                }
            }
        }
        let opaque_id = root.get("opaque_id").and_then(Json::as_str).map(String::from);
        let handle_id = loop {
            let id = self.env.random_id();
            if id != 0 && session.handle(id).is_none() {
                break id;
            }
        };
        let handle = Arc::new(Handle::new(handle_id, session_id, plugin.clone(), opaque_id, token, self.env.monotonic_us()));
        janus_log!(
            Level::Info,
            "Creating new handle in session {}: {}; {:p} {:p}\n",
            session_id,
            handle_id,
            Arc::as_ptr(session),
            Arc::as_ptr(&handle)
        );
        if let Some(plane) = self.media_plane() {
            let loop_index = root.get("loop_index").and_then(Json::as_i64).and_then(|i| usize::try_from(i).ok());
            if let Some(event_loop) = plane.loops.assign(handle_id, loop_index) {
                handle.set_event_loop(event_loop);
            }
        }
        match plugin.create_session(session_id, handle_id, handle.media.clone()) {
            Ok(ps) => handle.set_plugin_session(ps),
            Err(error) => {
                let reason = format!("Couldn't attach to plugin: error '{error}'");
                return send_error(request, session_id, transaction, ApiError::PluginAttach, Some(reason));
            }
        }
        self.notify(Event::Handle {
            handle: HandleRef { session_id, handle_id, opaque_id: handle.opaque_id.clone() },
            what: HandleEvent::Attached,
            plugin: Some(package.to_string()),
            token: handle.token.clone(),
        });
        session.insert_handle(handle);
        let data = Object::new().with("id", handle_id);
        request.reply(create_message("success", session_id, transaction).with("data", data).into());
    }

    fn claim(&self, request: &Request, session: &Arc<Session>, transaction: Option<&str>) {
        let reply = || request.reply(create_message("success", session.id, transaction).into());
        if let Some(old) = session.source() {
            if old.instance() == request.transport.instance() {
                return reply();
            }
            old.session_over(session.id, false, true);
        }
        session.set_source(Some(request.transport.clone()));
        request.transport.session_claimed(session.id);
        session.set_transport_gone(false);
        reply()
    }

    fn message(&self, request: &Request, root: &Json, session: &Arc<Session>, handle: &Arc<Handle>, transaction: Option<&str>) {
        let session_id = session.id;
        let Some(ps) = handle.plugin_session() else {
            let reason = "No plugin to handle this message".to_string();
            return send_error(request, session_id, transaction, ApiError::PluginMessage, Some(reason));
        };
        if let Err(invalid) = validate(root, &BODY_PARAMS) {
            return send_invalid(request, session_id, transaction, invalid);
        }
        let body = root.get("body").cloned().unwrap_or(Json::Null);
        let mut body_jsep = None;
        if let Some(jsep) = root.get("jsep") {
            if jsep.as_object().is_none() {
                let reason = "Invalid jsep object".to_string();
                return send_error(request, session_id, transaction, ApiError::InvalidJsonObject, Some(reason));
            }
            if let Err(invalid) = validate(jsep, &JSEP_PARAMS) {
                let reason = invalid.jsep_reason();
                return send_invalid_with(request, session_id, transaction, &invalid, reason);
            }
            let jsep_type = jsep.get("type").and_then(Json::as_str).unwrap_or_default();
            if !jsep_type.eq_ignore_ascii_case("offer") && !jsep_type.eq_ignore_ascii_case("answer") {
                let reason = format!("JSEP error: unknown message type '{jsep_type}'");
                return send_error(request, session_id, transaction, ApiError::JsepUnknownType, Some(reason));
            }
            if self.media_plane().is_none() {
                if let Err(reason) = crate::sdp::parse(jsep.get("sdp").and_then(Json::as_str).unwrap_or_default()) {
                    return send_error(request, session_id, transaction, ApiError::JsepInvalidSdp, Some(truncate(reason, 512)));
                }
            }
            match self.process_peer_jsep(session, handle, jsep) {
                Ok(plugin_jsep) => body_jsep = Some(plugin_jsep),
                Err((code, reason)) => return send_error(request, session_id, transaction, code, Some(truncate(reason, 512))),
            }
        }
        if handle.plugin_session().is_none() {
            let reason = "No plugin to handle this message".to_string();
            return send_error(request, session_id, transaction, ApiError::PluginMessage, Some(reason));
        }
        match ps.handle_message(transaction.unwrap_or_default(), &body, body_jsep.as_ref()) {
            PluginResult::Nothing => {
                send_error(request, session_id, transaction, ApiError::PluginMessage, Some("Plugin didn't give a result".into()))
            }
            PluginResult::Ok(content) => match content {
                Some(data @ Json::Object(_)) => {
                    let mut reply = create_message("success", session_id, transaction).with("sender", handle.id);
                    if self.settings.opaqueid_in_api {
                        if let Some(o) = &handle.opaque_id {
                            reply.set("opaque_id", o.as_str());
                        }
                    }
                    let plugindata = Object::new().with("plugin", handle.plugin.package()).with("data", data);
                    request.reply(reply.with("plugindata", plugindata).into());
                }
                other => {
                    let reason = if other.is_none() {
                        "Plugin didn't provide any content for this synchronous response"
                    } else {
                        "Plugin returned an invalid JSON response"
                    };
                    send_error(request, session_id, transaction, ApiError::PluginMessage, Some(reason.into()))
                }
            },
            PluginResult::OkWait(hint) => {
                let mut reply = create_message("ack", session_id, transaction);
                if let Some(h) = hint {
                    reply.set("hint", h);
                }
                request.reply(reply.into())
            }
            PluginResult::Error(text) => {
                let reason = text.unwrap_or_else(|| "Plugin returned a severe (unknown) error".into());
                send_error(request, session_id, transaction, ApiError::PluginMessage, Some(reason))
            }
        }
    }

    fn trickle(&self, request: &Request, root: &Json, session: &Arc<Session>, handle: &Arc<Handle>, transaction: Option<&str>) {
        let session_id = session.id;
        if handle.plugin_session().is_none() {
            let reason = "No plugin to handle this trickle candidate".to_string();
            return send_error(request, session_id, transaction, ApiError::PluginMessage, Some(reason));
        }
        let candidate = root.get("candidate");
        let candidates = root.get("candidates");
        match (candidate, candidates) {
            (None, None) => send_error(
                request,
                session_id,
                transaction,
                ApiError::MissingMandatoryElement,
                Some("Missing mandatory element (candidate|candidates)".into()),
            ),
            (Some(_), Some(_)) => {
                send_error(request, session_id, transaction, ApiError::InvalidJson, Some("Can't have both candidate and candidates".into()))
            }
            // A hangup is still being cleaned up: Janus refuses candidates meanwhile.
            _ if handle.flag(WebrtcFlag::Cleaning) => {
                send_error(request, session_id, transaction, ApiError::WebrtcState, Some("Still cleaning a previous session".into()))
            }
            (c, cs) => {
                // A trickling peer, even if it did not say so in its SDP.
                handle.set_flag(WebrtcFlag::Trickle);
                let candidate = c.or(cs).cloned().unwrap_or(Json::Null);
                let negotiated = handle.flag(WebrtcFlag::GotOffer) || handle.flag(WebrtcFlag::GotAnswer);
                match handle.peer_connection() {
                    Some(pc) if negotiated && !handle.flag(WebrtcFlag::ProcessingOffer) => self.apply_trickle(&pc, &candidate),
                    // No PeerConnection (or no SDP) yet: Janus queues early candidates for
                    // when the SDP arrives.
                    _ => handle.queue_trickle(transaction.map(String::from), candidate, self.env.monotonic_us()),
                }
                request.reply(create_message("ack", session_id, transaction).into())
            }
        }
    }

    /// Tears a session down: every handle detached (their `detached` events are dropped,
    /// the session being gone), then the session marked destroyed.
    pub fn destroy_session(&self, session: &Arc<Session>) {
        janus_log!(Level::Info, "Destroying session {}; {:p}\n", session.id, Arc::as_ptr(session));
        if !session.mark_destroyed() {
            return;
        }
        for handle in session.take_handles() {
            self.destroy_handle(session, handle);
        }
    }

    /// `janus_ice_handle_destroy`: the plugin session is torn down off the request thread,
    /// then the client learns the handle is `detached` (if its session still exists).
    pub fn destroy_handle(&self, session: &Arc<Session>, handle: Arc<Handle>) {
        let session = session.clone();
        let opaque_in_api = self.settings.opaqueid_in_api;
        let events = self.event_bus().cloned();
        if handle.peer_connection().is_some() {
            // The PeerConnection goes first ("Detach"); a stopping handle sends no `hangup`.
            handle.set_flag(WebrtcFlag::Stop);
            self.hangup_handle(Some(session.clone()), &handle, "Detach");
        }
        janus_log!(
            Level::Info,
            "Detaching handle from {}; {:p} {:p} {:p} {:p}\n",
            handle.plugin.description().name,
            Arc::as_ptr(&handle),
            Arc::as_ptr(&handle.plugin) as *const (),
            Arc::as_ptr(&handle),
            Arc::as_ptr(&handle.media)
        );
        self.env.defer(Box::new(move || {
            if !handle.detach() {
                return;
            }
            if let Some(source) = session.source().filter(|_| !session.is_destroyed()) {
                let mut event = create_message("detached", session.id, None).with("sender", handle.id);
                if opaque_in_api {
                    if let Some(o) = &handle.opaque_id {
                        event.set("opaque_id", o.as_str());
                    }
                }
                source.send(None, false, event.into());
            }
            if let Some(bus) = events {
                bus.notify(Event::Handle {
                    handle: HandleRef { session_id: session.id, handle_id: handle.id, opaque_id: handle.opaque_id.clone() },
                    what: HandleEvent::Detached,
                    plugin: Some(handle.plugin.package().to_string()),
                    token: handle.token.clone(),
                });
            }
        }));
    }

    /// `janus_ice_webrtc_hangup` (`reason` as Janus words it): once (until a new negotiation
    /// clears the alert), the negotiation flags drop, and off the request thread the
    /// PeerConnection closes, the plugin hears `hangup_media` and the cleaning ends. The
    /// client gets a `hangup` event only if there was a PeerConnection.
    pub fn hangup_webrtc(&self, handle: &Arc<Handle>, reason: &'static str) {
        self.hangup_handle(self.sessions.get(handle.session_id), handle, reason);
    }
    /// A transport session went away (`transport_gone`): its sessions are destroyed at once,
    /// or left for the watchdog to reap after `reclaim_session_timeout` unless claimed.
    pub fn transport_gone(&self, transport: &dyn TransportSession) {
        let instance = transport.instance();
        let owned = |s: &Session| !s.is_destroyed() && s.source().is_some_and(|t| t.instance() == instance);
        if self.settings.reclaim_session_timeout < 1 {
            for session in self.sessions.remove_where(owned) {
                self.destroy_session(&session);
            }
        } else {
            for session in self.sessions.all() {
                if owned(&session) {
                    session.set_transport_gone(true);
                }
            }
        }
    }

    /// One watchdog pass (Janus runs one every 2 s): expired sessions get a `timeout` event
    /// and `session_over`, then are destroyed.
    pub fn check_sessions(&self) {
        let now = self.env.monotonic_us();
        let global = self.settings.session_timeout();
        let reclaim = self.settings.reclaim_session_timeout;
        for session in self.sessions.remove_where(|s| s.check_expired(now, global, reclaim)) {
            janus_log!(Level::Info, "Timeout expired for session {}...\n", session.id);
            let handles = session.take_handles();
            session.mark_destroyed();
            for handle in handles {
                self.destroy_handle(&session, handle);
            }
            if let Some(source) = session.source() {
                source.send(None, false, create_message("timeout", session.id, None).into());
                source.session_over(session.id, true, false);
            }
            self.notify(Event::Session { session_id: session.id, what: SessionEvent::Timeout });
            janus_log!(Level::Info, "Destroying session {}; {:p}\n", session.id, Arc::as_ptr(&session));
        }
    }

    /// A plugin's `push_event`: an `event` to the client owning the handle's session. Returns
    /// 0, or the Janus error code the C callback returns.
    pub fn push_event(
        &self,
        session_id: u64,
        handle_id: u64,
        package: &str,
        transaction: Option<&str>,
        message: Json,
        jsep: Option<&Json>,
    ) -> i32 {
        let Some(session) = self.sessions.get(session_id).filter(|s| !s.is_destroyed()) else {
            return ApiError::SessionNotFound.code();
        };
        let Some(handle) = session.handle(handle_id) else {
            return ApiError::SessionNotFound.code();
        };
        if message.as_object().is_none() {
            return ApiError::InvalidJsonObject.code();
        }
        let has_sdp = jsep.is_some_and(|j| j.get("type").and_then(Json::as_str).is_some() && j.get("sdp").and_then(Json::as_str).is_some());
        let merged = match jsep.filter(|_| has_sdp) {
            Some(jsep) => match self.process_plugin_jsep(&session, &handle, jsep) {
                Ok(merged) => Some(merged),
                Err(code) => return code,
            },
            None => None,
        };
        let mut event = create_message("event", session_id, transaction).with("sender", handle_id);
        if self.settings.opaqueid_in_api {
            if let Some(o) = &handle.opaque_id {
                event.set("opaque_id", o.as_str());
            }
        }
        let plugindata = Object::new().with("plugin", package).with("data", message);
        event.set("plugindata", plugindata);
        if let Some(jsep) = merged {
            event.set("jsep", jsep);
        }
        if let Some(source) = session.source() {
            source.send(None, false, event.into());
        }
        0
    }

    /// A plugin's `end_session`: the handle is detached as if the client had asked.
    pub fn end_session(&self, session_id: u64, handle_id: u64) {
        if let Some(session) = self.sessions.get(session_id) {
            if let Some(handle) = session.remove_handle(handle_id) {
                self.destroy_handle(&session, handle);
            }
        }
    }

    /// The `info` reply (`server_info`).
    pub fn server_info(&self, transaction: Option<&str>) -> Json {
        crate::server_info::build(self, transaction)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;

    use super::*;
    use crate::auth::Auth;
    use crate::gateway::Settings;
    use crate::test_support::{error_of, fixture, TestTransport};
    use crate::transport_host::RequestId;

    #[test]
    fn create_attach_message_detach_destroy() {
        let f = fixture(Settings::default(), Auth::new(false, None));
        let r = f.send(r#"{"janus":"create","transaction":"a"}"#);
        assert_eq!(r.to_compact_string(), r#"{"janus":"success","transaction":"a","data":{"id":1000}}"#);
        let r = f.send(r#"{"janus":"attach","plugin":"janus.plugin.echo","transaction":"b","session_id":1000}"#);
        assert_eq!(r.to_compact_string(), r#"{"janus":"success","session_id":1000,"transaction":"b","data":{"id":1001}}"#);
        let r = f.send(r#"{"janus":"message","body":{"sync":1},"transaction":"c","session_id":1000,"handle_id":1001}"#);
        assert_eq!(
            r.to_compact_string(),
            r#"{"janus":"success","session_id":1000,"transaction":"c","sender":1001,"plugindata":{"plugin":"janus.plugin.echo","data":{"echo":{"sync":1}}}}"#
        );
        let r = f.send(r#"{"janus":"message","body":{},"transaction":"d","session_id":1000,"handle_id":1001}"#);
        assert_eq!(r.to_compact_string(), r#"{"janus":"ack","session_id":1000,"transaction":"d","hint":"later"}"#);
        let r = f.send(r#"{"janus":"detach","transaction":"e","session_id":1000,"handle_id":1001}"#);
        assert_eq!(r.to_compact_string(), r#"{"janus":"success","session_id":1000,"transaction":"e"}"#);
        assert_eq!(f.events()[0].to_compact_string(), r#"{"janus":"detached","session_id":1000,"sender":1001}"#);
        assert_eq!(*f.plugin_log.lock().unwrap(), ["create 1001", "detach"]);
        let r = f.send(r#"{"janus":"destroy","transaction":"f","session_id":1000}"#);
        assert_eq!(r.get("janus").unwrap().as_str(), Some("success"));
        assert_eq!(*f.wire.notes.lock().unwrap(), ["created 1000", "over 1000 false false"]);
        let r = f.send(r#"{"janus":"keepalive","transaction":"g","session_id":1000}"#);
        assert_eq!(error_of(&r), (458, "No such session 1000".into()));
    }

    #[test]
    fn janus_error_codes_and_reasons() {
        let f = fixture(Settings::default(), Auth::new(false, None));
        let r = f.send(r#"{"janus":"create"}"#);
        assert_eq!(error_of(&r), (456, "Missing mandatory element (transaction)".into()));
        assert!(r.get("transaction").is_none());
        let r = f.send(r#"{"janus":5,"transaction":"x"}"#);
        assert_eq!(error_of(&r), (467, "Invalid element type (janus should be a string)".into()));
        let r = f.send(r#"{"janus":"create","transaction":"x","id":-4}"#);
        assert_eq!(error_of(&r), (467, "Invalid element type (id should be a positive integer)".into()));
        let r = f.send(r#"{"janus":"attach","transaction":"x"}"#);
        assert_eq!(error_of(&r), (457, "Unhandled request 'attach' at this path".into()));
        let r = f.send(r#"{"janus":"ping","transaction":"x"}"#);
        assert_eq!(r.to_compact_string(), r#"{"janus":"pong","transaction":"x"}"#);
        f.send(r#"{"janus":"create","transaction":"x","id":77}"#);
        let r = f.send(r#"{"janus":"create","transaction":"x","id":77}"#);
        assert_eq!(error_of(&r), (468, "Session ID already in use".into()));
        let r = f.send(r#"{"janus":"bogus","transaction":"x","session_id":77}"#);
        assert_eq!(error_of(&r), (453, "Unknown request 'bogus'".into()));
        let r = f.send(r#"{"janus":"attach","transaction":"x","session_id":77,"plugin":"nope"}"#);
        assert_eq!(error_of(&r), (460, "No such plugin 'nope'".into()));
        let r = f.send(r#"{"janus":"attach","transaction":"x","session_id":77}"#);
        assert_eq!(error_of(&r), (456, "Missing mandatory element (plugin)".into()));
        let r = f.send(r#"{"janus":"message","transaction":"x","session_id":77,"handle_id":5}"#);
        assert_eq!(error_of(&r), (459, "No such handle 5 in session 77".into()));
        let r = f.send(r#"{"janus":"keepalive","transaction":"x","session_id":77,"handle_id":0}"#);
        assert_eq!(error_of(&r), (459, "Handle not found".into()));
        // Negative ids are compared as unsigned (observed on Janus 1.1.2).
        let r = f.send(r#"{"janus":"keepalive","transaction":"x","session_id":77,"handle_id":-5}"#);
        assert_eq!(error_of(&r), (459, "No such handle 18446744073709551611 in session 77".into()));
        let r = f.send(r#"{"janus":"keepalive","transaction":"x","session_id":-3}"#);
        assert_eq!(
            r.to_compact_string(),
            r#"{"janus":"error","session_id":-3,"transaction":"x","error":{"code":458,"reason":"No such session 18446744073709551613"}}"#
        );
        let r = f.send(r#"{"janus":"attach","transaction":"x","session_id":77,"plugin":"janus.plugin.echo"}"#);
        let h = r.get("data").unwrap().get("id").unwrap().as_i64().unwrap();
        let msg = |body: &str| format!(r#"{{"janus":"message","transaction":"x","session_id":77,"handle_id":{h},"body":{body}}}"#);
        assert_eq!(error_of(&f.send(&msg(r#"{"fail":1}"#))), (462, "Plugin returned a severe (unknown) error".into()));
        assert_eq!(error_of(&f.send(&msg(r#"{"null":1}"#))), (462, "Plugin didn't give a result".into()));
        assert_eq!(error_of(&f.send(&msg("[]"))), (467, "Invalid element type (body should be an object)".into()));
        let r = f.send(&format!(r#"{{"janus":"trickle","transaction":"x","session_id":77,"handle_id":{h}}}"#));
        assert_eq!(error_of(&r), (456, "Missing mandatory element (candidate|candidates)".into()));
        let r =
            f.send(&format!(r#"{{"janus":"trickle","transaction":"x","session_id":77,"handle_id":{h},"candidate":{{"completed":true}}}}"#));
        assert_eq!(r.get("janus").unwrap().as_str(), Some("ack"));
    }

    #[test]
    fn api_secret_is_checked_before_the_session_lookup() {
        let settings = Settings { api_secret: Some("s".into()), ..Settings::default() };
        let f = fixture(settings, Auth::new(false, None));
        assert_eq!(error_of(&f.send(r#"{"janus":"create","transaction":"x"}"#)).0, 403);
        let r = f.send(r#"{"janus":"keepalive","transaction":"x","session_id":99}"#);
        assert_eq!(error_of(&r), (403, "Unauthorized request (wrong or missing secret/token)".into()));
        let r = f.send(r#"{"janus":"keepalive","transaction":"x","session_id":99,"apisecret":"s"}"#);
        assert_eq!(error_of(&r), (458, "No such session 99".into()));
        assert_eq!(f.send(r#"{"janus":"info","transaction":"x"}"#).get("janus").unwrap().as_str(), Some("server_info"));
    }

    #[test]
    fn stored_tokens_gate_plugins() {
        let f = fixture(Settings::default(), Auth::new(true, None));
        f.gw.auth.add_token("t");
        let r = f.send(r#"{"janus":"create","transaction":"x","token":"t","id":5}"#);
        assert_eq!(r.get("janus").unwrap().as_str(), Some("success"));
        let r = f.send(r#"{"janus":"attach","transaction":"x","token":"t","session_id":5,"plugin":"janus.plugin.echo"}"#);
        assert_eq!(error_of(&r), (405, "Provided token can't access plugin 'janus.plugin.echo'".into()));
        f.gw.auth.allow_plugin("t", "janus.plugin.echo");
        let r = f.send(r#"{"janus":"attach","transaction":"x","token":"t","session_id":5,"plugin":"janus.plugin.echo"}"#);
        assert_eq!(r.get("janus").unwrap().as_str(), Some("success"));
    }

    #[test]
    fn claim_moves_the_session_between_transports() {
        let f = fixture(Settings::default(), Auth::new(false, None));
        f.send_on(1, r#"{"janus":"create","transaction":"x","id":9}"#);
        let r = f.send_on(1, r#"{"janus":"claim","transaction":"y","session_id":9}"#);
        assert_eq!(r.to_compact_string(), r#"{"janus":"success","session_id":9,"transaction":"y"}"#);
        f.send_on(2, r#"{"janus":"claim","transaction":"z","session_id":9}"#);
        assert_eq!(*f.wire.notes.lock().unwrap(), ["created 9", "over 9 false true", "claimed 9"]);
        assert_eq!(f.gw.sessions.get(9).unwrap().source().unwrap().instance(), 2);
    }

    #[test]
    fn watchdog_reaps_one_pass_after_expiry() {
        let settings = Settings::default();
        settings.session_timeout.store(8, Ordering::Relaxed);
        let f = fixture(settings, Auth::new(false, None));
        f.send(r#"{"janus":"create","transaction":"x","id":3}"#);
        f.env.now.fetch_add(8_000_000, Ordering::Relaxed);
        f.gw.check_sessions();
        assert!(f.gw.sessions.get(3).is_some(), "first expired pass only marks");
        f.env.now.fetch_add(2_000_000, Ordering::Relaxed);
        f.gw.check_sessions();
        assert!(f.gw.sessions.get(3).is_none());
        assert_eq!(f.events().last().unwrap().to_compact_string(), r#"{"janus":"timeout","session_id":3}"#);
        assert_eq!(f.wire.notes.lock().unwrap().last().unwrap(), "over 3 true false");
    }

    #[test]
    fn transport_gone_destroys_its_sessions_without_events() {
        let f = fixture(Settings::default(), Auth::new(false, None));
        f.send_on(1, r#"{"janus":"create","transaction":"x","id":3}"#);
        f.send_on(2, r#"{"janus":"create","transaction":"x","id":4}"#);
        f.gw.transport_gone(&TestTransport { instance: 1, wire: f.wire.clone() });
        assert!(f.gw.sessions.get(3).is_none() && f.gw.sessions.get(4).is_some());
        assert!(f.events().is_empty());
    }

    #[test]
    fn plugin_events_reach_the_owning_transport() {
        let f = fixture(Settings::default(), Auth::new(false, None));
        f.send(r#"{"janus":"create","transaction":"x","id":3}"#);
        let r = f.send(r#"{"janus":"attach","transaction":"x","session_id":3,"plugin":"janus.plugin.echo"}"#);
        let h = r.get("data").unwrap().get("id").unwrap().as_i64().unwrap() as u64;
        let data: Json = Object::new().with("echo", "event").into();
        assert_eq!(f.gw.push_event(3, h, "janus.plugin.echo", Some("tx"), data.clone(), None), 0);
        assert_eq!(
            f.events().last().unwrap().to_compact_string(),
            format!(
                r#"{{"janus":"event","session_id":3,"transaction":"tx","sender":{h},"plugindata":{{"plugin":"janus.plugin.echo","data":{{"echo":"event"}}}}}}"#
            )
        );
        assert_eq!(f.gw.push_event(3, h, "p", None, Json::Array(vec![]), None), 455);
        assert_eq!(f.gw.push_event(4, h, "p", None, data.clone(), None), 458);
        f.gw.end_session(3, h);
        assert_eq!(f.gw.push_event(3, h, "p", None, data, None), 458);
        assert!(f.events().last().unwrap().to_compact_string().starts_with(r#"{"janus":"detached""#));
    }

    #[test]
    fn trickles_are_refused_while_a_hangup_is_cleaned_up() {
        let f = fixture(Settings::default(), Auth::new(false, None));
        f.send(r#"{"janus":"create","transaction":"x","id":3}"#);
        let r = f.send(r#"{"janus":"attach","transaction":"x","session_id":3,"plugin":"janus.plugin.echo"}"#);
        let h = r.get("data").unwrap().get("id").unwrap().as_i64().unwrap() as u64;
        let trickle = format!(r#"{{"janus":"trickle","transaction":"x","session_id":3,"handle_id":{h},"candidate":{{"completed":true}}}}"#);
        let handle = f.gw.sessions.get(3).unwrap().handle(h).unwrap();
        handle.set_flag(WebrtcFlag::Cleaning);
        assert_eq!(error_of(&f.send(&trickle)), (471, "Still cleaning a previous session".into()));
        // Checked after the candidates themselves.
        let r = f.send(&format!(r#"{{"janus":"trickle","transaction":"x","session_id":3,"handle_id":{h}}}"#));
        assert_eq!(error_of(&r).0, 456);
        handle.clear_flag(WebrtcFlag::Cleaning);
        assert_eq!(f.send(&trickle).get("janus").unwrap().as_str(), Some("ack"));
        assert_eq!(handle.pending_trickles().len(), 1);
    }

    #[test]
    fn unparsable_requests() {
        let f = fixture(Settings::default(), Auth::new(false, None));
        let transport = Arc::new(TestTransport { instance: 1, wire: f.wire.clone() });
        let error = crate::transport_host::ParseError { source: "<string>".into(), line: 1, column: 2, text: "bad".into() };
        let req = Request { transport, request_id: Some(RequestId(1)), admin: false, message: Err(Some(error)) };
        f.gw.handle_janus_request(&req);
        let (_, reply) = f.wire.sent.lock().unwrap()[0].clone();
        assert_eq!(error_of(&reply), (454, "Invalid Janus API request - <string>(1,2): bad".into()));
    }
}
