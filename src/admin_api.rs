//! The Admin/Monitor API (`janus_process_incoming_admin_request` of Janus 1.1.2): global
//! settings, token management, module queries and diagnostics, and inspection or teardown
//! of sessions and handles. Checks run in Janus' order and fail with Janus' codes and
//! reasons; replies keep Janus' key order, including the hand-built ones that put
//! `session_id` last or leave it out.
//!
//! There is no media plane yet, so handle requests answer what Janus answers for a handle
//! without a PeerConnection.

use std::net::SocketAddr;
use std::sync::Arc;

use crate::apierror::ApiError;
use crate::gateway::Gateway;
use crate::ice::servers::{resolve, test_stun_server, STUN_TEST_TIMEOUT};
use crate::janus_api::{create_message, send_error, send_invalid};
use crate::json::{validate, Json, JsonType, Object, Param, JSON_PARAM_POSITIVE, JSON_PARAM_REQUIRED};
use crate::log::Level;
use crate::modules::{AdminResponse, QueryableModule};
use crate::session::{Handle, Session, WebrtcFlag};
use crate::text2pcap::{Capture, StartError};
use crate::transport_host::Request;

const fn param(name: &'static str, ty: JsonType, flags: u32) -> Param {
    Param { name, ty, flags }
}
const REQUIRED: u32 = JSON_PARAM_REQUIRED;
const REQUIRED_POSITIVE: u32 = JSON_PARAM_REQUIRED | JSON_PARAM_POSITIVE;
/// `JANUS_JSON_BOOL`: either boolean.
const BOOL: JsonType = JsonType::True;

const ADMIN_PARAMS: [Param; 2] = [param("transaction", JsonType::String, REQUIRED), param("janus", JsonType::String, REQUIRED)];
const DEBUG_PARAMS: [Param; 1] = [param("debug", BOOL, REQUIRED)];
const TIMEOUT_PARAMS: [Param; 1] = [param("timeout", JsonType::Integer, REQUIRED_POSITIVE)];
const SESSION_TIMEOUT_PARAMS: [Param; 1] = [param("timeout", JsonType::Integer, REQUIRED)];
const LEVEL_PARAMS: [Param; 1] = [param("level", JsonType::Integer, REQUIRED_POSITIVE)];
const TIMESTAMPS_PARAMS: [Param; 1] = [param("timestamps", BOOL, REQUIRED)];
const COLORS_PARAMS: [Param; 1] = [param("colors", BOOL, REQUIRED)];
const MNQ_PARAMS: [Param; 1] = [param("min_nack_queue", JsonType::Integer, REQUIRED_POSITIVE)];
const NOPT_PARAMS: [Param; 1] = [param("nack_optimizations", BOOL, REQUIRED)];
const NMT_PARAMS: [Param; 1] = [param("no_media_timer", JsonType::Integer, REQUIRED_POSITIVE)];
const ST_PARAMS: [Param; 1] = [param("slowlink_threshold", JsonType::Integer, REQUIRED_POSITIVE)];
const ACCEPT_PARAMS: [Param; 1] = [param("accept", BOOL, REQUIRED)];
const MESSAGE_PLUGIN_PARAMS: [Param; 2] = [param("plugin", JsonType::String, REQUIRED), param("request", JsonType::Object, 0)];
const QUERY_TRANSPORT_PARAMS: [Param; 2] = [param("transport", JsonType::String, REQUIRED), param("request", JsonType::Object, 0)];
const QUERY_HANDLER_PARAMS: [Param; 2] = [param("handler", JsonType::String, REQUIRED), param("request", JsonType::Object, 0)];
const QUERY_LOGGER_PARAMS: [Param; 2] = [param("logger", JsonType::String, REQUIRED), param("request", JsonType::Object, 0)];
const CUSTOM_EVENT_PARAMS: [Param; 2] = [param("schema", JsonType::String, REQUIRED), param("data", JsonType::Object, REQUIRED)];
const CUSTOM_LOGLINE_PARAMS: [Param; 2] =
    [param("line", JsonType::String, REQUIRED), param("level", JsonType::Integer, JSON_PARAM_POSITIVE)];
const ADD_TOKEN_PARAMS: [Param; 2] = [param("token", JsonType::String, REQUIRED), param("plugins", JsonType::Array, 0)];
const TOKEN_PARAMS: [Param; 1] = [param("token", JsonType::String, REQUIRED)];
const RESOLVE_PARAMS: [Param; 1] = [param("address", JsonType::String, REQUIRED)];
const TEST_STUN_PARAMS: [Param; 3] = [
    param("address", JsonType::String, REQUIRED),
    param("port", JsonType::Integer, REQUIRED_POSITIVE),
    param("localport", JsonType::Integer, JSON_PARAM_POSITIVE),
];
const TEXT2PCAP_PARAMS: [Param; 3] = [
    param("folder", JsonType::String, 0),
    param("filename", JsonType::String, 0),
    param("truncate", JsonType::Integer, JSON_PARAM_POSITIVE),
];
const HANDLE_INFO_PARAMS: [Param; 1] = [param("plugin_only", BOOL, 0)];

/// The parameters a global request is validated against before anything else (the token
/// requests check the token mode first and validate themselves).
fn global_params(verb: &str) -> &'static [Param] {
    match verb {
        "set_session_timeout" => &TIMEOUT_PARAMS,
        "set_log_level" => &LEVEL_PARAMS,
        "set_locking_debug" | "set_refcount_debug" | "set_libnice_debug" => &DEBUG_PARAMS,
        "set_log_timestamps" => &TIMESTAMPS_PARAMS,
        "set_log_colors" => &COLORS_PARAMS,
        "set_min_nack_queue" => &MNQ_PARAMS,
        "set_nack_optimizations" => &NOPT_PARAMS,
        "set_no_media_timer" => &NMT_PARAMS,
        "set_slowlink_threshold" => &ST_PARAMS,
        "accept_new_sessions" => &ACCEPT_PARAMS,
        "message_plugin" => &MESSAGE_PLUGIN_PARAMS,
        "query_transport" => &QUERY_TRANSPORT_PARAMS,
        "query_eventhandler" => &QUERY_HANDLER_PARAMS,
        "query_logger" => &QUERY_LOGGER_PARAMS,
        "custom_event" => &CUSTOM_EVENT_PARAMS,
        "custom_logline" => &CUSTOM_LOGLINE_PARAMS,
        "resolve_address" => &RESOLVE_PARAMS,
        "test_stun" => &TEST_STUN_PARAMS,
        _ => &[],
    }
}

/// One Admin request being answered: where replies go and what they carry.
struct Call<'a> {
    request: &'a Request,
    root: &'a Json,
    session_id: u64,
    transaction: Option<&'a str>,
}

impl Call<'_> {
    fn error(&self, code: ApiError, reason: Option<&str>) {
        send_error(self.request, self.session_id, self.transaction, code, reason.map(String::from));
    }

    /// Validates the request against `params`, answering the failure; true if valid.
    fn valid(&self, params: &[Param]) -> bool {
        match validate(self.root, params) {
            Ok(()) => true,
            Err(invalid) => {
                send_invalid(self.request, self.session_id, self.transaction, invalid);
                false
            }
        }
    }

    /// `{janus:"success", [session_id], transaction}` and the given members.
    fn success(&self, session_id: u64) -> Object {
        create_message("success", session_id, self.transaction)
    }

    fn reply(&self, message: Object) {
        self.request.reply(message.into());
    }

    fn str(&self, key: &str) -> Option<&str> {
        self.root.get(key).and_then(Json::as_str)
    }

    /// `json_integer_value`: 0 unless an integer.
    fn int(&self, key: &str) -> i64 {
        self.root.get(key).and_then(Json::as_i64).unwrap_or(0)
    }

    /// `json_is_true`.
    fn is_true(&self, key: &str) -> bool {
        self.root.get(key) == Some(&Json::Bool(true))
    }
}

fn ids(ids: impl IntoIterator<Item = u64>) -> Json {
    Json::Array(ids.into_iter().map(Json::from).collect())
}

fn strings(items: impl IntoIterator<Item = String>) -> Json {
    Json::Array(items.into_iter().map(Json::from).collect())
}

impl Gateway {
    /// Processes one Admin API request and sends its reply through the request's transport.
    pub fn handle_admin_request(&self, request: &Request) {
        // An unparsed message has no members: it fails validation like an empty one.
        let root = request.message.as_ref().unwrap_or(&Json::Null);
        // Only integers count as ids; a present `handle_id` of another type reads 0.
        let id = |key| root.get(key).and_then(Json::as_i64).unwrap_or(0) as u64;
        let (session_id, handle_id) = (id("session_id"), id("handle_id"));
        let mut call = Call { request, root, session_id, transaction: None };
        if !call.valid(&ADMIN_PARAMS) {
            return;
        }
        call.transaction = root.get("transaction").and_then(Json::as_str);
        let verb = root.get("janus").and_then(Json::as_str).unwrap_or_default().to_ascii_lowercase();

        if session_id == 0 && handle_id == 0 {
            return match verb.as_str() {
                "info" => request.reply(self.server_info(call.transaction)),
                "ping" => request.reply(create_message("pong", 0, call.transaction).into()),
                _ if !self.check_admin_secret(root) => call.error(ApiError::Unauthorized, None),
                _ => self.global_request(&call, &verb),
            };
        }
        if session_id == 0 || (root.get("handle_id").is_some() && handle_id == 0) {
            return call.error(ApiError::SessionNotFound, None);
        }
        if !self.check_admin_secret(root) {
            return call.error(ApiError::Unauthorized, None);
        }
        let Some(session) = self.sessions.get(session_id) else {
            return call.error(ApiError::SessionNotFound, Some(&format!("No such session {session_id}")));
        };
        if handle_id == 0 {
            return self.session_request(&call, &verb, &session);
        }
        match session.handle(handle_id) {
            Some(handle) => self.handle_request(&call, &verb, &session, &handle),
            None => {
                let reason = format!("No such handle {handle_id} in session {session_id}");
                call.error(ApiError::HandleNotFound, Some(&reason))
            }
        }
    }

    /// The `admin_secret`, when one is configured, compared in constant time.
    fn check_admin_secret(&self, root: &Json) -> bool {
        self.settings.admin_secret.as_deref().is_none_or(|secret| {
            root.get("admin_secret")
                .and_then(Json::as_str)
                .is_some_and(|s| crate::utils::strcmp_const_time(s.as_bytes(), secret.as_bytes()))
        })
    }

    fn global_request(&self, call: &Call, verb: &str) {
        if !call.valid(global_params(verb)) {
            return;
        }
        match verb {
            "get_status" => call.reply(call.success(0).with("status", self.status())),
            "set_session_timeout" => {
                // Janus reads the value into an int.
                let timeout = call.int("timeout") as i32;
                if timeout < 0 {
                    let reason = "Invalid element type (timeout should be a positive integer)";
                    return call.error(ApiError::InvalidElementType, Some(reason));
                }
                self.settings.session_timeout.store(timeout.into(), std::sync::atomic::Ordering::Relaxed);
                call.reply(call.success(0).with("timeout", timeout));
            }
            "set_log_level" => {
                let level = call.int("level") as i32;
                if !(0..=Level::Dbg as i32).contains(&level) {
                    let reason = format!("Invalid element type (level should be between 0 and {})", Level::Dbg as i32);
                    return call.error(ApiError::InvalidElementType, Some(&reason));
                }
                crate::log::set_level(level);
                call.reply(call.success(0).with("level", crate::log::level()));
            }
            "set_locking_debug" => {
                crate::log::set_lock_debug(call.is_true("debug"));
                call.reply(call.success(0).with("locking_debug", crate::log::lock_debug()));
            }
            "set_refcount_debug" => {
                crate::log::set_refcount_debug(call.is_true("debug"));
                call.reply(call.success(0).with("refcount_debug", crate::log::refcount_debug()));
            }
            "set_log_timestamps" => {
                crate::log::set_timestamps(call.is_true("timestamps"));
                call.reply(call.success(0).with("log_timestamps", crate::log::timestamps()));
            }
            "set_log_colors" => {
                crate::log::set_colors(call.is_true("colors"));
                call.reply(call.success(0).with("log_colors", crate::log::colors()));
            }
            "set_libnice_debug" => {
                self.media.set_libnice_debug(call.is_true("debug"));
                call.reply(call.success(0).with("libnice_debug", self.media.libnice_debug()));
            }
            "set_min_nack_queue" => {
                // An int handed to a uint16_t parameter.
                self.media.set_min_nack_queue(call.int("min_nack_queue") as u16);
                call.reply(call.success(0).with("min_nack_queue", u32::from(self.media.min_nack_queue())));
            }
            "set_nack_optimizations" => {
                self.media.set_nack_optimizations(call.is_true("nack_optimizations"));
                call.reply(call.success(0).with("nack-optimizations", self.media.nack_optimizations()));
            }
            "set_no_media_timer" => {
                // An int handed to a uint parameter.
                self.media.set_no_media_timer(call.int("no_media_timer") as i32 as u32);
                call.reply(call.success(0).with("no_media_timer", self.media.no_media_timer()));
            }
            "set_slowlink_threshold" => {
                self.media.set_slowlink_threshold(call.int("slowlink_threshold") as i32 as u32);
                call.reply(call.success(0).with("slowlink_threshold", self.media.slowlink_threshold()));
            }
            "accept_new_sessions" => {
                let accept = call.is_true("accept");
                self.settings.accept_new_sessions.store(accept, std::sync::atomic::Ordering::Relaxed);
                call.reply(call.success(0).with("accept", accept));
            }
            "message_plugin" => {
                let package = call.str("plugin").unwrap_or_default();
                let Some(plugin) = self.plugin(package) else {
                    return call.error(ApiError::PluginNotFound, Some("Invalid plugin"));
                };
                let response = plugin.handle_admin_message(call.root.get("request"));
                respond(call, response, "Plugin doesn't support Admin API messages");
            }
            "query_transport" => {
                let module = self.transport(call.str("transport").unwrap_or_default());
                query(call, module, "Invalid transport", "Transport plugin doesn't support queries");
            }
            "query_eventhandler" => {
                let module = self.event_handler(call.str("handler").unwrap_or_default());
                query(call, module, "Invalid event handler", "Event handler doesn't support queries");
            }
            "query_logger" => {
                let module = self.logger(call.str("logger").unwrap_or_default());
                query(call, module, "Invalid logger", "Logger doesn't support queries");
            }
            "custom_event" => {
                let data = call.root.get("data").cloned().unwrap_or(Json::Null);
                self.emit_external_event(call.str("schema").unwrap_or_default(), data);
                call.reply(call.success(0));
            }
            "custom_logline" => {
                let level = match call.root.get("level") {
                    None => Level::Info as i32,
                    Some(_) => Some(call.int("level") as i32).filter(|l| (0..=Level::Dbg as i32).contains(l)).unwrap_or(Level::Info as i32),
                };
                // LOG_NONE is a valid level that prints nothing.
                if let Some(level) = Level::from_number(level) {
                    crate::janus_log!(level, "{}\n", call.str("line").unwrap_or_default());
                }
                call.reply(call.success(0));
            }
            "list_sessions" => call.reply(call.success(0).with("sessions", ids(self.sessions.ids()))),
            "add_token" => self.allow_token(call, true, true),
            "allow_token" => self.allow_token(call, true, false),
            "disallow_token" => self.allow_token(call, false, false),
            "list_tokens" => {
                if !self.auth.is_stored_mode() {
                    return call.error(ApiError::Unknown, Some("Stored-Token based authentication disabled"));
                }
                // Tokens that may use no plugin are left out.
                let tokens = self
                    .auth
                    .list_tokens()
                    .into_iter()
                    .filter_map(|token| {
                        let plugins = self.auth.list_plugins(&token).filter(|p| !p.is_empty())?;
                        Some(Json::from(Object::new().with("token", token).with("allowed_plugins", strings(plugins))))
                    })
                    .collect();
                call.reply(call.success(0).with("data", Object::new().with("tokens", Json::Array(tokens))));
            }
            "remove_token" => {
                if !self.auth.is_stored_mode() {
                    return call.error(ApiError::Unknown, Some("Stored-Token based authentication disabled"));
                }
                if !call.valid(&TOKEN_PARAMS) {
                    return;
                }
                if !self.auth.remove_token(call.str("token").unwrap_or_default()) {
                    return call.error(ApiError::Unknown, Some("Error removing token"));
                }
                call.reply(call.success(0));
            }
            "resolve_address" => {
                let start = self.env.monotonic_us();
                let Some(ip) = resolve(call.str("address").unwrap_or_default()) else {
                    return call.error(ApiError::Unknown, Some("Could not resolve address"));
                };
                let elapsed = self.env.monotonic_us() - start;
                let ip = crate::ip_utils::address_to_string(ip);
                call.reply(call.success(0).with("ip", ip).with("elapsed", elapsed));
            }
            "test_stun" => {
                // Janus keeps both ports in uint16_t variables.
                let port = call.int("port") as u16;
                let local_port = call.int("localport") as u16;
                let start = self.env.monotonic_us();
                let Some(ip) = resolve(call.str("address").unwrap_or_default()) else {
                    return call.error(ApiError::Unknown, Some("Could not resolve address"));
                };
                let Some(public) = test_stun_server(SocketAddr::new(ip, port), local_port, STUN_TEST_TIMEOUT) else {
                    return call.error(ApiError::Unknown, Some("STUN request failed"));
                };
                let elapsed = self.env.monotonic_us() - start;
                let reply = call
                    .success(0)
                    .with("public_ip", crate::ip_utils::address_to_string(public.ip()))
                    .with("public_port", u32::from(public.port()))
                    .with("elapsed", elapsed);
                call.reply(reply);
            }
            "loops_info" => call.reply(call.success(0).with("loops", self.static_loops_info())),
            _ => self.unhandled(call),
        }
    }

    /// The `get_status` object.
    fn status(&self) -> Object {
        let s = &self.settings;
        Object::new()
            .with("token_auth", self.auth.is_enabled())
            .with("session_timeout", s.session_timeout())
            .with("reclaim_session_timeout", s.reclaim_session_timeout)
            .with("candidates_timeout", s.candidates_timeout)
            .with("log_level", crate::log::level())
            .with("log_timestamps", crate::log::timestamps())
            .with("log_colors", crate::log::colors())
            .with("locking_debug", crate::log::lock_debug())
            .with("refcount_debug", crate::log::refcount_debug())
            .with("libnice_debug", self.media.libnice_debug())
            .with("min_nack_queue", u32::from(self.media.min_nack_queue()))
            .with("nack-optimizations", self.media.nack_optimizations())
            .with("no_media_timer", self.media.no_media_timer())
            .with("slowlink_threshold", self.media.slowlink_threshold())
    }

    /// `janus_ice_static_event_loops_info`: each static loop and how many handles it serves;
    /// empty without static loops.
    fn static_loops_info(&self) -> Json {
        let loops = self.media_plane().map(|plane| plane.loops.info()).unwrap_or_default();
        let list = loops.into_iter().map(|(id, handles)| Object::new().with("id", id as u64).with("handles", handles as u64).into());
        Json::Array(list.collect())
    }

    /// `add_token` (`allow` and `add`), `allow_token` (`allow`) and `disallow_token`.
    fn allow_token(&self, call: &Call, allow: bool, add: bool) {
        if !self.auth.is_stored_mode() {
            return call.error(ApiError::Unknown, Some("Stored-Token based authentication disabled"));
        }
        if !call.valid(&ADD_TOKEN_PARAMS) {
            return;
        }
        let plugins = call.root.get("plugins").and_then(|p| match p {
            Json::Array(a) if !a.is_empty() => Some(a),
            _ => None,
        });
        if !add && plugins.is_none() {
            let reason = "Invalid element type (plugins should be a non-empty array)";
            return call.error(ApiError::InvalidElementType, Some(reason));
        }
        let token = call.str("token").unwrap_or_default();
        if add {
            if !self.auth.add_token(token) {
                return call.error(ApiError::Unknown, Some("Error adding token"));
            }
        } else if !self.auth.check_token(token, self.env.real_us() / 1_000_000) {
            return call.error(ApiError::TokenNotFound, Some(&format!("Token {token} not found")));
        }
        let known = |p: &Json| p.as_str().filter(|name| self.plugin(name).is_some()).map(String::from);
        match plugins {
            Some(list) => {
                // Adding skips what is not a known plugin; (dis)allowing refuses it all.
                if !add && !list.iter().all(|p| known(p).is_some()) {
                    let reason = "Invalid element type (some of the provided plugins are invalid)";
                    return call.error(ApiError::InvalidElementType, Some(reason));
                }
                for package in list.iter().filter_map(known) {
                    if allow {
                        self.auth.allow_plugin(token, &package);
                    } else {
                        self.auth.disallow_plugin(token, &package);
                    }
                }
            }
            None => {
                for plugin in self.plugins() {
                    self.auth.allow_plugin(token, plugin.package());
                }
            }
        }
        let allowed = strings(self.auth.list_plugins(token).unwrap_or_default());
        call.reply(call.success(0).with("data", Object::new().with("plugins", allowed)));
    }

    fn session_request(&self, call: &Call, verb: &str, session: &Arc<Session>) {
        let session_id = call.session_id;
        match verb {
            "destroy_session" => {
                self.sessions.remove(session_id);
                if let Some(source) = session.source() {
                    source.session_over(session_id, false, false);
                }
                self.destroy_session(session);
                call.reply(call.success(session_id));
            }
            "set_session_timeout" => {
                if !call.valid(&SESSION_TIMEOUT_PARAMS) {
                    return;
                }
                // 0 means never, -1 the global timeout; read into an int.
                let timeout = call.int("timeout") as i32;
                if timeout < -1 {
                    let reason = "Invalid element type (timeout should be a non-negative integer or -1)";
                    return call.error(ApiError::InvalidElementType, Some(reason));
                }
                session.set_timeout(timeout.into());
                call.reply(call.success(0).with("timeout", timeout).with("session_id", session_id));
            }
            "list_handles" => call.reply(call.success(session_id).with("handles", ids(session.handle_ids()))),
            _ => self.unhandled(call),
        }
    }

    fn unhandled(&self, call: &Call) {
        let verb = call.root.get("janus").and_then(Json::as_str).unwrap_or_default();
        call.error(ApiError::InvalidRequestPath, Some(&format!("Unhandled request '{verb}' at this path")))
    }

    fn handle_request(&self, call: &Call, verb: &str, session: &Arc<Session>, handle: &Arc<Handle>) {
        let session_id = call.session_id;
        match verb {
            "detach_handle" => {
                if handle.plugin_session().is_none() {
                    return call.error(ApiError::PluginDetach, Some("No plugin to detach from"));
                }
                session.remove_handle(handle.id);
                call.reply(call.success(session_id));
                self.destroy_handle(session, handle.clone());
            }
            "hangup_webrtc" => {
                if handle.plugin_session().is_none() {
                    return call.error(ApiError::PluginDetach, Some("No plugin attached"));
                }
                self.hangup_webrtc(handle, "Admin API");
                call.reply(call.success(session_id));
            }
            "start_pcap" | "start_text2pcap" => {
                if !call.valid(&TEXT2PCAP_PARAMS) {
                    return;
                }
                let text = verb == "start_text2pcap";
                let truncate = call.int("truncate") as i32;
                let started = handle
                    .capture
                    .start(|| Capture::create(call.str("folder"), call.str("filename"), truncate, text, crate::utils::random_u32()));
                match started {
                    Ok(()) => {}
                    Err(StartError::AlreadyStarted) => {
                        let reason = if text { "text2pcap already started" } else { "pcap already started" };
                        return call.error(ApiError::Unknown, Some(reason));
                    }
                    Err(StartError::Failed(_)) => {
                        let reason = if text { "Error starting text2pcap dump" } else { "Error starting pcap dump" };
                        return call.error(ApiError::Unknown, Some(reason));
                    }
                }
                call.reply(call.success(0));
            }
            "stop_pcap" | "stop_text2pcap" => {
                if handle.capture.stop().is_none() {
                    return call.error(ApiError::Unknown, Some("Capture not started"));
                }
                call.reply(call.success(0));
            }
            "handle_info" => {
                if !call.valid(&HANDLE_INFO_PARAMS) {
                    return;
                }
                let info = self.handle_info(session, handle, call.is_true("plugin_only"));
                call.reply(call.success(session_id).with("handle_id", handle.id).with("info", info));
            }
            _ => self.unhandled(call),
        }
    }

    /// The `info` of `handle_info`, as Janus builds it (ICE/DTLS summary and SDPs when the
    /// handle has a PeerConnection).
    fn handle_info(&self, session: &Session, handle: &Handle, plugin_only: bool) -> Object {
        let timeout = match session.timeout() {
            -1 => self.settings.session_timeout(),
            t => i64::from(t as u32),
        };
        let mut info = Object::new()
            .with("session_id", session.id)
            .with("session_last_activity", session.last_activity())
            .with("session_timeout", timeout);
        if let Some(source) = session.source() {
            info.set("session_transport", source.transport_package());
        }
        info.set("handle_id", handle.id);
        if let Some(o) = &handle.opaque_id {
            info.set("opaque_id", o.as_str());
        }
        if let Some(t) = &handle.token {
            info.set("token", t.as_str());
        }
        // Every handle runs on a loop of the pool, which runs while the gateway does.
        info.set("loop-running", true);
        info.set("created", handle.created);
        info.set("current_time", self.env.monotonic_us());
        if let Some(ps) = handle.plugin_session() {
            info.set("plugin", handle.plugin.package());
            // Anything but an object is ignored.
            if let Some(specific @ Json::Object(_)) = ps.query() {
                info.set("plugin_specific", specific);
            }
        }
        if plugin_only {
            return info;
        }
        let flags: Object = WebrtcFlag::LISTED.iter().map(|(name, f)| (name.to_string(), Json::Bool(handle.flag(*f)))).collect();
        info.set("flags", flags);
        let pc = handle.peer_connection();
        info.set("sdps", pc.as_ref().map_or_else(Object::new, |pc| pc.sdps_summary()));
        let pending = handle.pending_trickles().len();
        if pending > 0 {
            info.set("pending-trickles", pending as u64);
        }
        // Every handle has an outgoing queue; nothing is queued without a PeerConnection.
        info.set("queued-packets", 0);
        if let Some((text, filename)) = handle.capture.running() {
            let (flag, file) = if text { ("dump-to-text2pcap", "text2pcap-file") } else { ("dump-to-pcap", "pcap-file") };
            info.set(flag, true);
            info.set(file, filename);
        }
        if let Some(pc) = pc {
            info.set("webrtc", pc.summary());
        }
        info
    }
}

/// Answers a module query: 460 without such a module, else as [`respond`].
fn query(call: &Call, module: Option<&Arc<dyn QueryableModule>>, not_found: &str, no_hook: &str) {
    match module {
        None => call.error(ApiError::PluginNotFound, Some(not_found)),
        Some(m) => respond(call, m.handle_request(call.root.get("request")), no_hook),
    }
}

/// `{janus, transaction, response}` with what the hook returned (`{}` for NULL); 490 if the
/// module has no hook.
fn respond(call: &Call, response: AdminResponse, no_hook: &str) {
    let response = match response {
        AdminResponse::NoHook => return call.error(ApiError::Unknown, Some(no_hook)),
        AdminResponse::Null => Json::Object(Object::new()),
        AdminResponse::Json(j) => j,
    };
    call.reply(call.success(0).with("response", response));
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;
    use std::sync::Mutex;

    use super::*;
    use crate::auth::Auth;
    use crate::gateway::Settings;
    use crate::modules::ModuleKind;
    use crate::test_support::{error_of, fixture, fixture_with, module_info, FakeModule, Fixture};
    use std::net::UdpSocket;
    use std::time::Duration;

    const FLAGS_OFF: &str = r#"{"got-offer":false,"got-answer":false,"negotiated":false,"processing-offer":false,"starting":false,"ice-restart":false,"ready":false,"stopped":false,"alert":false,"trickle":false,"all-trickles":false,"resend-trickles":false,"trickle-synced":false,"data-channels":false,"has-audio":false,"has-video":false,"new-datachan-sdp":false,"rfc4588-rtx":false,"cleaning":false,"e2ee":false}"#;

    fn plain() -> Fixture {
        fixture(Settings::default(), Auth::new(false, None))
    }

    /// Session 5 with an echo handle (opaque id "o"); the handle id.
    fn with_handle(f: &Fixture) -> u64 {
        f.send(r#"{"janus":"create","transaction":"x","id":5}"#);
        let r = f.send(r#"{"janus":"attach","transaction":"x","session_id":5,"plugin":"janus.plugin.echo","opaque_id":"o"}"#);
        r.get("data").unwrap().get("id").unwrap().as_i64().unwrap() as u64
    }

    fn compact(r: Json) -> String {
        r.to_compact_string()
    }

    #[test]
    fn admission_order_and_codes() {
        let settings = Settings { admin_secret: Some("adm".into()), ..Settings::default() };
        let f = fixture(settings, Auth::new(false, None));
        let r = f.admin(r#"{"janus":"get_status","session_id":3}"#);
        assert_eq!(
            compact(r),
            r#"{"janus":"error","session_id":3,"error":{"code":456,"reason":"Missing mandatory element (transaction)"}}"#
        );
        let r = f.admin(r#"{"janus":7,"transaction":"t"}"#);
        assert_eq!(error_of(&r), (467, "Invalid element type (janus should be a string)".into()));
        assert_eq!(compact(f.admin(r#"{"janus":"PING","transaction":"t"}"#)), r#"{"janus":"pong","transaction":"t"}"#);
        assert_eq!(f.admin(r#"{"janus":"info","transaction":"t"}"#).get("janus"), Some(&Json::from("server_info")));
        let r = f.admin(r#"{"janus":"get_status","transaction":"t"}"#);
        assert_eq!(
            compact(r),
            r#"{"janus":"error","transaction":"t","error":{"code":403,"reason":"Unauthorized request (wrong or missing secret/token)"}}"#
        );
        assert_eq!(error_of(&f.admin(r#"{"janus":"get_status","transaction":"t","admin_secret":1}"#)).0, 403);
        assert_eq!(error_of(&f.admin(r#"{"janus":"get_status","transaction":"t","admin_secret":"ad"}"#)).0, 403);
        assert_eq!(error_of(&f.admin(r#"{"janus":"bogus","transaction":"t"}"#)).0, 403, "the secret comes before the verb");
        let r = f.admin(r#"{"janus":"bogus","transaction":"t","admin_secret":"adm"}"#);
        assert_eq!(
            compact(r),
            r#"{"janus":"error","transaction":"t","error":{"code":457,"reason":"Unhandled request 'bogus' at this path"}}"#
        );
        // Session level: ids first, then the secret, then the lookups.
        let r = f.admin(r#"{"janus":"list_handles","transaction":"t","handle_id":4}"#);
        assert_eq!(error_of(&r), (458, "Session not found".into()));
        for handle in ["null", "\"4\"", "0", "1.5"] {
            let r = f.admin(&format!(r#"{{"janus":"handle_info","transaction":"t","session_id":9,"handle_id":{handle}}}"#));
            assert_eq!(
                compact(r),
                r#"{"janus":"error","session_id":9,"transaction":"t","error":{"code":458,"reason":"Session not found"}}"#
            );
        }
        assert_eq!(error_of(&f.admin(r#"{"janus":"list_handles","transaction":"t","session_id":9}"#)).0, 403);
        let r = f.admin(r#"{"janus":"list_handles","transaction":"t","session_id":9,"admin_secret":"adm"}"#);
        assert_eq!(error_of(&r), (458, "No such session 9".into()));
        // A null session_id reads 0: the global path.
        let r = f.admin(r#"{"janus":"ping","transaction":"t","session_id":null,"handle_id":null}"#);
        assert_eq!(compact(r), r#"{"janus":"pong","transaction":"t"}"#);
        let h = with_handle(&f);
        let r =
            f.admin(&format!(r#"{{"janus":"handle_info","transaction":"t","session_id":5,"handle_id":{},"admin_secret":"adm"}}"#, h + 1));
        assert_eq!(error_of(&r), (459, format!("No such handle {} in session 5", h + 1)));
        let r = f.admin(r#"{"janus":"handle_info","transaction":"t","session_id":5,"handle_id":-1,"admin_secret":"adm"}"#);
        assert_eq!(error_of(&r), (459, "No such handle 18446744073709551615 in session 5".into()));
        // An unparsable request has no transaction.
        let transport = Arc::new(crate::test_support::TestTransport { instance: 1, wire: f.wire.clone() });
        let req = Request { transport, request_id: Some(crate::transport_host::RequestId(7)), admin: true, message: Err(None) };
        f.gw.handle_admin_request(&req);
        let (_, r) = f.wire.sent.lock().unwrap().last().cloned().unwrap();
        assert_eq!(error_of(&r), (456, "Missing mandatory element (transaction)".into()));
    }

    #[test]
    fn admin_requests_leave_last_activity_alone() {
        let f = plain();
        let h = with_handle(&f);
        f.env.now.fetch_add(5_000_000, Ordering::Relaxed);
        f.admin(&format!(r#"{{"janus":"handle_info","transaction":"t","session_id":5,"handle_id":{h}}}"#));
        assert_eq!(f.gw.sessions.get(5).unwrap().last_activity(), 1_000_000);
    }

    #[test]
    fn get_status_and_media_settings() {
        let f = plain();
        let r = f.admin(r#"{"janus":"get_status","transaction":"t"}"#);
        let status = r.get("status").unwrap().as_object().unwrap();
        let keys: Vec<&str> = status.iter().map(|(k, _)| k).collect();
        assert_eq!(
            keys,
            [
                "token_auth",
                "session_timeout",
                "reclaim_session_timeout",
                "candidates_timeout",
                "log_level",
                "log_timestamps",
                "log_colors",
                "locking_debug",
                "refcount_debug",
                "libnice_debug",
                "min_nack_queue",
                "nack-optimizations",
                "no_media_timer",
                "slowlink_threshold"
            ]
        );
        assert!(compact(r).starts_with(r#"{"janus":"success","transaction":"t","status":{"token_auth":false,"session_timeout":60,"reclaim_session_timeout":0,"candidates_timeout":45,"#));
        let set = |req: &str| compact(f.admin(&format!(r#"{{"transaction":"t",{req}}}"#)));
        assert_eq!(
            set(r#""janus":"set_min_nack_queue","min_nack_queue":5000"#),
            r#"{"janus":"success","transaction":"t","min_nack_queue":1000}"#
        );
        assert_eq!(
            set(r#""janus":"set_min_nack_queue","min_nack_queue":65543"#),
            r#"{"janus":"success","transaction":"t","min_nack_queue":7}"#
        );
        assert_eq!(
            set(r#""janus":"set_nack_optimizations","nack_optimizations":true"#),
            r#"{"janus":"success","transaction":"t","nack-optimizations":true}"#
        );
        assert_eq!(
            set(r#""janus":"set_no_media_timer","no_media_timer":3"#),
            r#"{"janus":"success","transaction":"t","no_media_timer":3}"#
        );
        assert_eq!(
            set(r#""janus":"set_no_media_timer","no_media_timer":4294967295"#),
            r#"{"janus":"success","transaction":"t","no_media_timer":4294967295}"#
        );
        assert_eq!(
            set(r#""janus":"set_slowlink_threshold","slowlink_threshold":4"#),
            r#"{"janus":"success","transaction":"t","slowlink_threshold":4}"#
        );
        assert_eq!(set(r#""janus":"set_libnice_debug","debug":true"#), r#"{"janus":"success","transaction":"t","libnice_debug":true}"#);
        assert_eq!(
            set(r#""janus":"set_slowlink_threshold","slowlink_threshold":-4"#),
            r#"{"janus":"error","transaction":"t","error":{"code":467,"reason":"Invalid element type (slowlink_threshold should be a positive integer)"}}"#
        );
        assert_eq!(
            set(r#""janus":"set_libnice_debug","debug":1"#),
            r#"{"janus":"error","transaction":"t","error":{"code":467,"reason":"Invalid element type (debug should be a boolean)"}}"#
        );
        assert_eq!(
            set(r#""janus":"set_nack_optimizations""#),
            r#"{"janus":"error","transaction":"t","error":{"code":456,"reason":"Missing mandatory element (nack_optimizations)"}}"#
        );
        let status = f.admin(r#"{"janus":"get_status","transaction":"t"}"#);
        let status = compact(status.get("status").unwrap().clone());
        assert!(
            status.ends_with(
                r#""libnice_debug":true,"min_nack_queue":7,"nack-optimizations":true,"no_media_timer":4294967295,"slowlink_threshold":4}"#
            ),
            "{status}"
        );
        let info = f.admin(r#"{"janus":"info","transaction":"t"}"#);
        assert_eq!(info.get("min-nack-queue"), Some(&Json::Int(7)));
        assert_eq!(info.get("nack-optimizations"), Some(&Json::Bool(true)));
        assert_eq!((f.gw.media.no_media_timer(), f.gw.media.slowlink_threshold()), (4294967295, 4));
    }

    #[test]
    fn session_timeout_and_accepting_sessions() {
        let f = plain();
        let set = |req: &str| compact(f.admin(&format!(r#"{{"transaction":"t",{req}}}"#)));
        assert_eq!(set(r#""janus":"set_session_timeout","timeout":30"#), r#"{"janus":"success","transaction":"t","timeout":30}"#);
        assert_eq!(f.gw.settings.session_timeout(), 30);
        assert_eq!(
            set(r#""janus":"set_session_timeout","timeout":-3"#),
            r#"{"janus":"error","transaction":"t","error":{"code":467,"reason":"Invalid element type (timeout should be a positive integer)"}}"#
        );
        // Janus reads the value into an int: this one wraps to -1.
        assert_eq!(
            set(r#""janus":"set_session_timeout","timeout":4294967295"#),
            r#"{"janus":"error","transaction":"t","error":{"code":467,"reason":"Invalid element type (timeout should be a positive integer)"}}"#
        );
        assert_eq!(set(r#""janus":"accept_new_sessions","accept":false"#), r#"{"janus":"success","transaction":"t","accept":false}"#);
        assert_eq!(error_of(&f.send(r#"{"janus":"create","transaction":"x"}"#)).0, 472);
        assert_eq!(set(r#""janus":"Accept_New_Sessions","accept":true"#), r#"{"janus":"success","transaction":"t","accept":true}"#);
        assert_eq!(f.send(r#"{"janus":"create","transaction":"x"}"#).get("janus"), Some(&Json::from("success")));
    }

    #[test]
    fn log_settings() {
        let f = plain();
        let set = |req: &str| compact(f.admin(&format!(r#"{{"transaction":"t",{req}}}"#)));
        // Values other tests rely on are set to what they already are.
        assert_eq!(set(r#""janus":"set_log_level","level":4"#), r#"{"janus":"success","transaction":"t","level":4}"#);
        assert_eq!(
            set(r#""janus":"set_log_level","level":8"#),
            r#"{"janus":"error","transaction":"t","error":{"code":467,"reason":"Invalid element type (level should be between 0 and 7)"}}"#
        );
        assert_eq!(
            set(r#""janus":"set_log_level","level":-1"#),
            r#"{"janus":"error","transaction":"t","error":{"code":467,"reason":"Invalid element type (level should be a positive integer)"}}"#
        );
        assert_eq!(crate::log::level(), 4);
        assert_eq!(
            set(r#""janus":"set_log_timestamps","timestamps":false"#),
            r#"{"janus":"success","transaction":"t","log_timestamps":false}"#
        );
        assert_eq!(set(r#""janus":"set_log_colors","colors":true"#), r#"{"janus":"success","transaction":"t","log_colors":true}"#);
        assert_eq!(set(r#""janus":"set_locking_debug","debug":true"#), r#"{"janus":"success","transaction":"t","locking_debug":true}"#);
        assert!(crate::log::lock_debug());
        assert_eq!(set(r#""janus":"set_locking_debug","debug":false"#), r#"{"janus":"success","transaction":"t","locking_debug":false}"#);
        assert_eq!(set(r#""janus":"set_refcount_debug","debug":true"#), r#"{"janus":"success","transaction":"t","refcount_debug":true}"#);
        assert!(crate::log::refcount_debug());
        assert_eq!(set(r#""janus":"set_refcount_debug","debug":false"#), r#"{"janus":"success","transaction":"t","refcount_debug":false}"#);
        assert_eq!(set(r#""janus":"custom_logline","line":"admin-api-test line","level":0"#), r#"{"janus":"success","transaction":"t"}"#);
        assert_eq!(set(r#""janus":"custom_logline","line":"admin-api-test line","level":99"#), r#"{"janus":"success","transaction":"t"}"#);
        assert_eq!(
            set(r#""janus":"custom_logline","level":2"#),
            r#"{"janus":"error","transaction":"t","error":{"code":456,"reason":"Missing mandatory element (line)"}}"#
        );
        assert_eq!(
            set(r#""janus":"custom_logline","line":"x","level":-2"#),
            r#"{"janus":"error","transaction":"t","error":{"code":467,"reason":"Invalid element type (level should be a positive integer)"}}"#
        );
    }

    #[test]
    fn module_queries() {
        let transport = Arc::new(FakeModule {
            info: module_info(ModuleKind::Transport, "janus.transport.fake"),
            answer: Some(AdminResponse::Json(Object::new().with("ok", 1).into())),
            asked: Mutex::default(),
        });
        let handler = Arc::new(FakeModule {
            info: module_info(ModuleKind::EventHandler, "janus.eventhandler.fake"),
            answer: Some(AdminResponse::Null),
            asked: Mutex::default(),
        });
        let logger =
            Arc::new(FakeModule { info: module_info(ModuleKind::Logger, "janus.logger.fake"), answer: None, asked: Mutex::default() });
        let (t, h, l) = (transport.clone(), handler.clone(), logger.clone());
        let f = fixture_with(Settings::default(), Auth::new(false, None), move |gw| {
            let gw = gw.with_modules(vec![h], vec![l]);
            gw.set_transports(vec![t]);
            gw
        });
        let ask = |req: &str| compact(f.admin(&format!(r#"{{"transaction":"t",{req}}}"#)));
        assert_eq!(
            ask(r#""janus":"query_transport","transport":"janus.transport.fake","request":{"q":1}"#),
            r#"{"janus":"success","transaction":"t","response":{"ok":1}}"#
        );
        assert_eq!(*transport.asked.lock().unwrap(), [Some(Object::new().with("q", 1).into())]);
        assert_eq!(
            ask(r#""janus":"query_eventhandler","handler":"janus.eventhandler.fake""#),
            r#"{"janus":"success","transaction":"t","response":{}}"#
        );
        assert_eq!(*handler.asked.lock().unwrap(), [None]);
        assert_eq!(
            ask(r#""janus":"query_logger","logger":"janus.logger.fake""#),
            r#"{"janus":"error","transaction":"t","error":{"code":490,"reason":"Logger doesn't support queries"}}"#
        );
        let cases = [
            (r#""janus":"query_transport","transport":"x""#, 460, "Invalid transport"),
            (r#""janus":"query_eventhandler","handler":"x""#, 460, "Invalid event handler"),
            (r#""janus":"query_logger","logger":"x""#, 460, "Invalid logger"),
            (r#""janus":"query_transport""#, 456, "Missing mandatory element (transport)"),
            (
                r#""janus":"query_logger","logger":"janus.logger.fake","request":[]"#,
                467,
                "Invalid element type (request should be an object)",
            ),
            (r#""janus":"message_plugin","plugin":"x""#, 460, "Invalid plugin"),
            (r#""janus":"message_plugin","plugin":"janus.plugin.mute""#, 490, "Plugin doesn't support Admin API messages"),
            (
                r#""janus":"message_plugin","plugin":"janus.plugin.echo","request":"x""#,
                467,
                "Invalid element type (request should be an object)",
            ),
        ];
        for (req, code, reason) in cases {
            assert_eq!(error_of(&f.admin(&format!(r#"{{"transaction":"t",{req}}}"#))), (code, reason.to_string()), "{req}");
        }
        let no_hook =
            FakeModule { info: module_info(ModuleKind::Transport, "janus.transport.bare"), answer: None, asked: Mutex::default() };
        let f2 = fixture_with(Settings::default(), Auth::new(false, None), move |gw| {
            gw.set_transports(vec![Arc::new(no_hook)]);
            gw
        });
        let r = f2.admin(r#"{"transaction":"t","janus":"query_transport","transport":"janus.transport.bare"}"#);
        assert_eq!(error_of(&r), (490, "Transport plugin doesn't support queries".into()));
        let r = f2.admin(r#"{"transaction":"t","janus":"query_eventhandler","handler":"janus.eventhandler.fake"}"#);
        assert_eq!(error_of(&r), (460, "Invalid event handler".into()));
        assert_eq!(
            ask(r#""janus":"message_plugin","plugin":"janus.plugin.echo","request":{"a":[1]}"#),
            r#"{"janus":"success","transaction":"t","response":{"admin":{"a":[1]}}}"#
        );
        assert_eq!(
            ask(r#""janus":"message_plugin","plugin":"janus.plugin.echo""#),
            r#"{"janus":"success","transaction":"t","response":{}}"#
        );
    }

    #[test]
    fn custom_events_reach_the_event_sink_only_when_enabled() {
        let f = plain();
        let r = f.admin(r#"{"janus":"custom_event","transaction":"t","schema":"s","data":{"a":1}}"#);
        assert_eq!(compact(r), r#"{"janus":"success","transaction":"t"}"#);
        /// An event handler that forwards what it gets.
        struct Handler(Mutex<std::sync::mpsc::Sender<Json>>);
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
        let (tx, got) = std::sync::mpsc::channel();
        let bus = Arc::new(crate::events::EventBus::start(true, "srv", vec![Arc::new(Handler(Mutex::new(tx)))]).unwrap());
        let f = fixture_with(Settings::default(), Auth::new(false, None), move |gw| gw.with_event_bus(bus));
        let r = f.admin(r#"{"janus":"custom_event","transaction":"t","schema":"my.schema","data":{"a":1}}"#);
        assert_eq!(compact(r), r#"{"janus":"success","transaction":"t"}"#);
        let mut event = got.recv_timeout(std::time::Duration::from_secs(5)).unwrap().as_object().unwrap().clone();
        assert!(event.remove("timestamp").is_some());
        assert_eq!(compact(event.into()), r#"{"emitter":"srv","type":4,"event":{"schema":"my.schema","data":{"a":1}}}"#);
        let r = f.admin(r#"{"janus":"custom_event","transaction":"t","schema":"my.schema","data":[1]}"#);
        assert_eq!(error_of(&r), (467, "Invalid element type (data should be an object)".into()));
        let r = f.admin(r#"{"janus":"custom_event","transaction":"t","data":{}}"#);
        assert_eq!(error_of(&r), (456, "Missing mandatory element (schema)".into()));
        assert!(got.recv_timeout(std::time::Duration::from_millis(200)).is_err(), "refused requests notify nothing");
    }

    #[test]
    fn sessions_and_loops() {
        let f = plain();
        assert_eq!(
            compact(f.admin(r#"{"janus":"list_sessions","transaction":"t"}"#)),
            r#"{"janus":"success","transaction":"t","sessions":[]}"#
        );
        let h = with_handle(&f);
        assert_eq!(
            compact(f.admin(r#"{"janus":"list_sessions","transaction":"t"}"#)),
            r#"{"janus":"success","transaction":"t","sessions":[5]}"#
        );
        assert_eq!(
            compact(f.admin(r#"{"janus":"list_handles","transaction":"t","session_id":5}"#)),
            format!(r#"{{"janus":"success","session_id":5,"transaction":"t","handles":[{h}]}}"#)
        );
        assert_eq!(compact(f.admin(r#"{"janus":"loops_info","transaction":"t"}"#)), r#"{"janus":"success","transaction":"t","loops":[]}"#);
        let r = f.admin(r#"{"janus":"set_session_timeout","transaction":"t","session_id":5,"timeout":7}"#);
        assert_eq!(compact(r), r#"{"janus":"success","transaction":"t","timeout":7,"session_id":5}"#);
        assert_eq!(f.gw.sessions.get(5).unwrap().timeout(), 7);
        let r = f.admin(r#"{"janus":"set_session_timeout","transaction":"t","session_id":5,"timeout":-2}"#);
        assert_eq!(
            compact(r),
            r#"{"janus":"error","session_id":5,"transaction":"t","error":{"code":467,"reason":"Invalid element type (timeout should be a non-negative integer or -1)"}}"#
        );
        let r = f.admin(r#"{"janus":"set_session_timeout","transaction":"t","session_id":5}"#);
        assert_eq!(error_of(&r), (456, "Missing mandatory element (timeout)".into()));
        let r = f.admin(r#"{"janus":"handle_info","transaction":"t","session_id":5}"#);
        assert_eq!(
            compact(r),
            r#"{"janus":"error","session_id":5,"transaction":"t","error":{"code":457,"reason":"Unhandled request 'handle_info' at this path"}}"#
        );
        let r = f.admin(r#"{"janus":"destroy_session","transaction":"t","session_id":5}"#);
        assert_eq!(compact(r), r#"{"janus":"success","session_id":5,"transaction":"t"}"#);
        assert!(f.gw.sessions.get(5).is_none());
        assert_eq!(f.wire.notes.lock().unwrap().last().unwrap(), "over 5 false false");
        assert_eq!(*f.plugin_log.lock().unwrap(), [format!("create {h}"), "detach".into()]);
    }

    #[test]
    fn static_loops_count_their_handles() {
        let f = plain();
        f.gw.set_media_plane(crate::test_support::loopback_media_plane(crate::ice::EventLoops::new(2, true), false, false));
        let first = with_handle(&f);
        let r = f.send(r#"{"janus":"attach","transaction":"x","session_id":5,"plugin":"janus.plugin.echo","loop_index":0}"#);
        assert!(r.get("data").is_some(), "attached: {}", r.to_compact_string());
        let loops = |f: &Fixture| compact(f.admin(r#"{"janus":"loops_info","transaction":"t"}"#));
        assert_eq!(loops(&f), r#"{"janus":"success","transaction":"t","loops":[{"id":0,"handles":2},{"id":1,"handles":0}]}"#);
        f.send(&format!(r#"{{"janus":"detach","transaction":"x","session_id":5,"handle_id":{first}}}"#));
        assert_eq!(loops(&f), r#"{"janus":"success","transaction":"t","loops":[{"id":0,"handles":1},{"id":1,"handles":0}]}"#);
    }

    #[test]
    fn without_static_loops_none_are_shown() {
        let f = plain();
        f.gw.set_media_plane(crate::test_support::loopback_media_plane(crate::ice::EventLoops::new(0, false), false, false));
        with_handle(&f);
        let r = f.admin(r#"{"janus":"loops_info","transaction":"t"}"#);
        assert_eq!(compact(r), r#"{"janus":"success","transaction":"t","loops":[]}"#);
    }

    #[test]
    fn handle_info_without_peerconnection() {
        let f = plain();
        let h = with_handle(&f);
        f.env.now.store(3_000_000, Ordering::Relaxed);
        let r = f.admin(&format!(r#"{{"janus":"handle_info","transaction":"t","session_id":5,"handle_id":{h}}}"#));
        let head = format!(
            r#"{{"janus":"success","session_id":5,"transaction":"t","handle_id":{h},"info":{{"session_id":5,"session_last_activity":1000000,"session_timeout":60,"session_transport":"janus.transport.test","handle_id":{h},"opaque_id":"o","loop-running":true,"created":1000000,"current_time":3000000,"plugin":"janus.plugin.echo","plugin_specific":{{"echo":true}}"#
        );
        assert_eq!(compact(r), format!(r#"{head},"flags":{FLAGS_OFF},"sdps":{{}},"queued-packets":0}}}}"#));
        let r = f.admin(&format!(r#"{{"janus":"handle_info","transaction":"t","session_id":5,"handle_id":{h},"plugin_only":true}}"#));
        assert_eq!(compact(r), format!("{head}}}}}"));
        let r = f.admin(&format!(r#"{{"janus":"handle_info","transaction":"t","session_id":5,"handle_id":{h},"plugin_only":"yes"}}"#));
        assert_eq!(error_of(&r), (467, "Invalid element type (plugin_only should be a boolean)".into()));
        // A per-session timeout of 0 shows as is; -1 means the global one.
        f.admin(r#"{"janus":"set_session_timeout","transaction":"t","session_id":5,"timeout":0}"#);
        let r = f.admin(&format!(r#"{{"janus":"handle_info","transaction":"t","session_id":5,"handle_id":{h},"plugin_only":true}}"#));
        assert_eq!(r.get("info").unwrap().get("session_timeout"), Some(&Json::Int(0)));
        // A trickle before any SDP is queued and marks the peer as trickling.
        f.send(&format!(r#"{{"janus":"trickle","transaction":"x","session_id":5,"handle_id":{h},"candidate":{{"completed":true}}}}"#));
        let r = f.admin(&format!(r#"{{"janus":"handle_info","transaction":"t","session_id":5,"handle_id":{h}}}"#));
        let info = r.get("info").unwrap();
        assert_eq!(info.get("flags").unwrap().get("trickle"), Some(&Json::Bool(true)));
        assert_eq!(info.get("pending-trickles"), Some(&Json::Int(1)));
        // A plugin answering its query with a non-object shows no plugin_specific.
        let r = f.send(r#"{"janus":"attach","transaction":"x","session_id":5,"plugin":"janus.plugin.mute"}"#);
        let m = r.get("data").unwrap().get("id").unwrap().as_i64().unwrap();
        let r = f.admin(&format!(r#"{{"janus":"handle_info","transaction":"t","session_id":5,"handle_id":{m},"plugin_only":true}}"#));
        let info = compact(r.get("info").unwrap().clone());
        assert!(info.ends_with(r#""plugin":"janus.plugin.mute"}"#), "{info}");
        assert!(!info.contains("opaque_id"));
    }

    #[test]
    fn hangup_and_detach() {
        let f = plain();
        let h = with_handle(&f);
        let req = |verb: &str| f.admin(&format!(r#"{{"janus":"{verb}","transaction":"t","session_id":5,"handle_id":{h}}}"#));
        assert_eq!(compact(req("hangup_webrtc")), r#"{"janus":"success","session_id":5,"transaction":"t"}"#);
        req("hangup_webrtc");
        assert_eq!(*f.plugin_log.lock().unwrap(), [format!("create {h}"), "hangup".into()], "the alert makes the second one a no-op");
        let flags = req("handle_info").get("info").unwrap().get("flags").unwrap().clone();
        assert_eq!(compact(flags), FLAGS_OFF.replace(r#""alert":false"#, r#""alert":true"#));
        // The Janus API hangs up the same way.
        assert_eq!(
            f.send(&format!(r#"{{"janus":"hangup","transaction":"x","session_id":5,"handle_id":{h}}}"#)).get("janus"),
            Some(&Json::from("success"))
        );
        assert_eq!(f.plugin_log.lock().unwrap().len(), 2);
        assert_eq!(compact(req("detach_handle")), r#"{"janus":"success","session_id":5,"transaction":"t"}"#);
        assert_eq!(compact(f.events().last().unwrap().clone()), format!(r#"{{"janus":"detached","session_id":5,"sender":{h}}}"#));
        assert_eq!(error_of(&req("detach_handle")), (459, format!("No such handle {h} in session 5")));
        // A handle whose plugin session is gone.
        let r = f.send(r#"{"janus":"attach","transaction":"x","session_id":5,"plugin":"janus.plugin.echo"}"#);
        let g = r.get("data").unwrap().get("id").unwrap().as_i64().unwrap() as u64;
        f.gw.sessions.get(5).unwrap().handle(g).unwrap().detach();
        let req = |verb: &str| f.admin(&format!(r#"{{"janus":"{verb}","transaction":"t","session_id":5,"handle_id":{g}}}"#));
        assert_eq!(
            compact(req("detach_handle")),
            r#"{"janus":"error","session_id":5,"transaction":"t","error":{"code":463,"reason":"No plugin to detach from"}}"#
        );
        assert_eq!(error_of(&req("hangup_webrtc")), (463, "No plugin attached".into()));
        assert_eq!(error_of(&req("frobnicate")), (457, "Unhandled request 'frobnicate' at this path".into()));
        assert!(!compact(req("handle_info")).contains("\"plugin\""));
    }

    #[test]
    fn packet_captures() {
        let dir = std::env::temp_dir().join(format!("janus-admin-pcap-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let protected = dir.join("protected");
        std::fs::create_dir_all(&protected).unwrap();
        crate::utils::protected_folder_add(&protected.canonicalize().unwrap().to_string_lossy());
        let f = fixture(Settings::default(), Auth::new(false, None));
        let h = with_handle(&f);
        let folder = dir.to_string_lossy().into_owned();
        let req =
            |verb: &str, extra: &str| f.admin(&format!(r#"{{"janus":"{verb}","transaction":"t","session_id":5,"handle_id":{h}{extra}}}"#));
        assert_eq!(error_of(&req("stop_pcap", "")), (490, "Capture not started".into()));
        let r = req("start_pcap", &format!(r#","folder":"{folder}","filename":"c.pcap","truncate":100"#));
        assert_eq!(compact(r), r#"{"janus":"success","transaction":"t"}"#);
        assert_eq!(std::fs::read(dir.join("c.pcap")).unwrap().len(), 24);
        assert_eq!(
            compact(req("start_pcap", "")),
            r#"{"janus":"error","session_id":5,"transaction":"t","error":{"code":490,"reason":"pcap already started"}}"#
        );
        assert_eq!(error_of(&req("start_text2pcap", "")), (490, "text2pcap already started".into()));
        let info = compact(req("handle_info", "").get("info").unwrap().clone());
        assert!(info.ends_with(&format!(r#""queued-packets":0,"dump-to-pcap":true,"pcap-file":"{folder}/c.pcap"}}"#)), "{info}");
        assert_eq!(compact(req("stop_pcap", "")), r#"{"janus":"success","transaction":"t"}"#);
        assert_eq!(error_of(&req("stop_text2pcap", "")), (490, "Capture not started".into()));
        req("start_text2pcap", &format!(r#","folder":"{folder}","filename":"c.txt""#));
        let info = compact(req("handle_info", "").get("info").unwrap().clone());
        assert!(info.ends_with(&format!(r#""dump-to-text2pcap":true,"text2pcap-file":"{folder}/c.txt"}}"#)), "{info}");
        assert_eq!(compact(req("STOP_TEXT2PCAP", "")), r#"{"janus":"success","transaction":"t"}"#);
        let protected = protected.to_string_lossy().into_owned();
        assert_eq!(error_of(&req("start_pcap", &format!(r#","folder":"{protected}""#))), (490, "Error starting pcap dump".into()));
        assert_eq!(
            error_of(&req("start_text2pcap", &format!(r#","folder":"{protected}""#))),
            (490, "Error starting text2pcap dump".into())
        );
        assert_eq!(
            error_of(&req("start_pcap", r#","truncate":-1"#)),
            (467, "Invalid element type (truncate should be a positive integer)".into())
        );
        assert_eq!(error_of(&req("start_pcap", r#","folder":3"#)), (467, "Invalid element type (folder should be a string)".into()));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn stored_tokens() {
        let f = plain();
        for verb in ["add_token", "list_tokens", "allow_token", "disallow_token", "remove_token"] {
            let r = f.admin(&format!(r#"{{"janus":"{verb}","transaction":"t","token":"a"}}"#));
            assert_eq!(
                compact(r),
                r#"{"janus":"error","transaction":"t","error":{"code":490,"reason":"Stored-Token based authentication disabled"}}"#
            );
        }
        let f = fixture(Settings::default(), Auth::new(true, None));
        let ask = |req: &str| compact(f.admin(&format!(r#"{{"transaction":"t",{req}}}"#)));
        assert_eq!(
            ask(r#""janus":"add_token","token":"a","plugins":["janus.plugin.echo",5,"nope"]"#),
            r#"{"janus":"success","transaction":"t","data":{"plugins":["janus.plugin.echo"]}}"#
        );
        let r = f.admin(r#"{"janus":"add_token","transaction":"t","token":"b"}"#);
        let mut all: Vec<String> = match r.get("data").unwrap().get("plugins").unwrap() {
            Json::Array(a) => a.iter().map(|p| p.as_str().unwrap().to_string()).collect(),
            other => panic!("{other:?}"),
        };
        all.sort();
        assert_eq!(all, ["janus.plugin.echo", "janus.plugin.mute"]);
        assert_eq!(
            ask(r#""janus":"add_token","token":"c","plugins":["nope"]"#),
            r#"{"janus":"success","transaction":"t","data":{"plugins":[]}}"#
        );
        let cases = [
            (r#""janus":"add_token""#, 456, "Missing mandatory element (token)".to_string()),
            (r#""janus":"add_token","token":"a","plugins":{}"#, 467, "Invalid element type (plugins should be an array)".into()),
            (r#""janus":"allow_token","token":"a""#, 467, "Invalid element type (plugins should be a non-empty array)".into()),
            (r#""janus":"allow_token","token":"a","plugins":[]"#, 467, "Invalid element type (plugins should be a non-empty array)".into()),
            (r#""janus":"allow_token","token":"z","plugins":["janus.plugin.echo"]"#, 470, "Token z not found".into()),
            (
                r#""janus":"allow_token","token":"a","plugins":["janus.plugin.mute","nope"]"#,
                467,
                "Invalid element type (some of the provided plugins are invalid)".into(),
            ),
            (
                r#""janus":"disallow_token","token":"a","plugins":[1]"#,
                467,
                "Invalid element type (some of the provided plugins are invalid)".into(),
            ),
            (r#""janus":"remove_token""#, 456, "Missing mandatory element (token)".into()),
            (r#""janus":"remove_token","token":"z""#, 490, "Error removing token".into()),
        ];
        for (req, code, reason) in cases {
            assert_eq!(error_of(&f.admin(&format!(r#"{{"transaction":"t",{req}}}"#))), (code, reason), "{req}");
        }
        assert_eq!(
            ask(r#""janus":"allow_token","token":"a","plugins":["janus.plugin.mute"]"#),
            r#"{"janus":"success","transaction":"t","data":{"plugins":["janus.plugin.echo","janus.plugin.mute"]}}"#
        );
        assert_eq!(
            ask(r#""janus":"disallow_token","token":"a","plugins":["janus.plugin.echo"]"#),
            r#"{"janus":"success","transaction":"t","data":{"plugins":["janus.plugin.mute"]}}"#
        );
        assert_eq!(ask(r#""janus":"remove_token","token":"b""#), r#"{"janus":"success","transaction":"t"}"#);
        // "c" may use no plugin: not listed.
        assert_eq!(
            ask(r#""janus":"list_tokens""#),
            r#"{"janus":"success","transaction":"t","data":{"tokens":[{"token":"a","allowed_plugins":["janus.plugin.mute"]}]}}"#
        );
        assert!(f.gw.auth.check_token("c", 0));
    }

    #[test]
    fn resolve_address() {
        let f = plain();
        let r = f.admin(r#"{"janus":"resolve_address","transaction":"t","address":"127.0.0.1"}"#);
        assert_eq!(compact(r), r#"{"janus":"success","transaction":"t","ip":"127.0.0.1","elapsed":0}"#);
        let r = f.admin(r#"{"janus":"resolve_address","transaction":"t","address":"localhost"}"#);
        let ip = r.get("ip").and_then(Json::as_str).unwrap();
        assert!(ip == "127.0.0.1" || ip == "::1", "{ip}");
        let r = f.admin(r#"{"janus":"resolve_address","transaction":"t","address":""}"#);
        assert_eq!(compact(r), r#"{"janus":"error","transaction":"t","error":{"code":490,"reason":"Could not resolve address"}}"#);
        let r = f.admin(r#"{"janus":"resolve_address","transaction":"t"}"#);
        assert_eq!(error_of(&r), (456, "Missing mandatory element (address)".into()));
    }

    /// A STUN server on 127.0.0.1 answering one request with what `answer` makes of it.
    fn stun_responder(answer: fn(&[u8], SocketAddr) -> Vec<u8>) -> (u16, std::thread::JoinHandle<()>) {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = socket.local_addr().unwrap().port();
        socket.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let thread = std::thread::spawn(move || {
            let mut buf = [0u8; 1500];
            if let Ok((n, from)) = socket.recv_from(&mut buf) {
                socket.send_to(&answer(&buf[..n], from), from).unwrap();
            }
        });
        (port, thread)
    }

    fn mapped_answer(request: &[u8], from: SocketAddr) -> Vec<u8> {
        assert_eq!(request.len(), crate::stun::HEADER_LEN);
        let tid: [u8; 12] = request[8..20].try_into().unwrap();
        crate::stun::binding_success(&tid, from, true)
    }

    #[test]
    fn test_stun_against_a_local_server() {
        let f = plain();
        let (port, thread) = stun_responder(mapped_answer);
        let local = UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let r = f.admin(&format!(r#"{{"janus":"test_stun","transaction":"t","address":"127.0.0.1","port":{port},"localport":{local}}}"#));
        thread.join().unwrap();
        assert_eq!(
            compact(r),
            format!(r#"{{"janus":"success","transaction":"t","public_ip":"127.0.0.1","public_port":{local},"elapsed":0}}"#)
        );
        let (port, thread) = stun_responder(|request, _| {
            let mut m = request.to_vec();
            m[0..2].copy_from_slice(&0x0111u16.to_be_bytes());
            m
        });
        let r = f.admin(&format!(r#"{{"janus":"test_stun","transaction":"t","address":"127.0.0.1","port":{port}}}"#));
        thread.join().unwrap();
        assert_eq!(compact(r), r#"{"janus":"error","transaction":"t","error":{"code":490,"reason":"STUN request failed"}}"#);
        let r = f.admin(r#"{"janus":"test_stun","transaction":"t","address":"","port":3478}"#);
        assert_eq!(error_of(&r), (490, "Could not resolve address".into()));
        let r = f.admin(r#"{"janus":"test_stun","transaction":"t","address":"127.0.0.1"}"#);
        assert_eq!(error_of(&r), (456, "Missing mandatory element (port)".into()));
        let r = f.admin(r#"{"janus":"test_stun","transaction":"t","address":"127.0.0.1","port":1,"localport":-1}"#);
        assert_eq!(error_of(&r), (467, "Invalid element type (localport should be a positive integer)".into()));
    }
}
