//! Our own C plugin, `janus.plugin.probe` (plugins-c/janus_probe.c), loaded by the gateway
//! binary beside Debian's EchoTest and driven over the stock HTTP transport: every action of
//! the probe goes through one core callback (push_event with and without JSEP, end_session,
//! events_is_enabled/notify_event, the signed-token checks), and the Admin API reaches its
//! handle_admin_message and query_session.
//!
//! Run: `cargo test --test probe_plugin`.

mod support;

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use janus::json::Json;
use support::gateway::{
    binary_under_test, parse_json, probe_plugins_folder, with_transaction, ConfigsFolder, CoreOptions, Gateway, Session,
};
use support::json::{at, int_at, kind_of, str_at};

const PROBE: &str = "janus.plugin.probe";
const ADMIN_SECRET: &str = "probe-admin";
/// A well-formed audio offer, as JSON string content.
const OFFER: &str = "v=0\\r\\no=- 1 1 IN IP4 127.0.0.1\\r\\ns=-\\r\\nt=0 0\\r\\n\
m=audio 9 UDP/TLS/RTP/SAVPF 111\\r\\nc=IN IP4 0.0.0.0\\r\\na=mid:0\\r\\na=rtpmap:111 opus/48000/2\\r\\na=sendrecv\\r\\n";

/// Long polls and event waits: generous, but bounded.
const EVENT_TIMEOUT: Duration = Duration::from_secs(10);

/// A configs folder for the probe and EchoTest, with the Admin API and `options`' additions.
fn probe_configs(name: &str, options: CoreOptions) -> ConfigsFolder {
    let dir = support::scratch_dir(name);
    let options = CoreOptions { plugins_folder: Some(probe_plugins_folder(&dir)), admin_secret: Some(ADMIN_SECRET.into()), ..options };
    ConfigsFolder::with_options(&dir, &["probe", "echotest"], &options)
}

fn error_of(reply: &Json) -> (i64, String) {
    assert_eq!(kind_of(reply), Some("error"), "{reply:?}");
    let code = int_at(reply, &["error", "code"]).expect("error code");
    (code, str_at(reply, &["error", "reason"]).expect("error reason").to_string())
}

/// Sends `body` to the handle with the given transaction and returns the reply.
fn message(session: &Session, handle: i64, transaction: &str, body: &str) -> Json {
    let request = format!(r#"{{"janus":"message","transaction":"{transaction}","body":{body}}}"#);
    session.gateway.post(&format!("/janus/{}/{handle}", session.id), &request)
}

fn assert_ack(reply: &Json, session: &Session, transaction: &str) {
    assert_eq!(kind_of(reply), Some("ack"), "{reply:?}");
    assert_eq!(int_at(reply, &["session_id"]), Some(session.id), "{reply:?}");
    assert_eq!(str_at(reply, &["transaction"]), Some(transaction), "{reply:?}");
    assert_eq!(str_at(reply, &["hint"]), Some("probe is on it"), "{reply:?}");
}

/// The next event of the session; the HTTP transport's own `keepalive`s are not events.
fn next_event(session: &Session) -> Json {
    let deadline = Instant::now() + EVENT_TIMEOUT;
    loop {
        let event = session.poll(EVENT_TIMEOUT);
        if kind_of(&event) != Some("keepalive") {
            return event;
        }
        assert!(Instant::now() < deadline, "no event within {EVENT_TIMEOUT:?}");
    }
}

/// The probe's `{"probe": <action>}` event, as the client sees it.
fn assert_probe_event(event: &Json, session: &Session, handle: i64, transaction: &str, action: &str) {
    assert_eq!(kind_of(event), Some("event"), "{event:?}");
    assert_eq!(int_at(event, &["session_id"]), Some(session.id), "{event:?}");
    assert_eq!(str_at(event, &["transaction"]), Some(transaction), "{event:?}");
    assert_eq!(int_at(event, &["sender"]), Some(handle), "{event:?}");
    assert_eq!(str_at(event, &["plugindata", "plugin"]), Some(PROBE), "{event:?}");
    assert_eq!(at(event, &["plugindata", "data"]).map(Json::to_compact_string), Some(format!(r#"{{"probe":"{action}"}}"#)), "{event:?}");
    assert!(event.get("jsep").is_none(), "{event:?}");
}

#[test]
fn probe_actions_over_the_janus_and_admin_apis() {
    let configs = probe_configs("probe-actions", CoreOptions::default());
    let gateway = Gateway::start(&binary_under_test(), &configs);
    let session = gateway.create_session();
    let handle = session.attach(PROBE).id;

    // sync: a synchronous success carrying the plugin's content.
    let reply = message(&session, handle, "sync-1", r#"{"request":"sync","n":[1,2]}"#);
    assert_eq!(
        reply.to_compact_string(),
        format!(
            r#"{{"janus":"success","session_id":{s},"transaction":"sync-1","sender":{handle},"plugindata":{{"plugin":"{PROBE}","data":{{"probe":"sync","echo":{{"request":"sync","n":[1,2]}},"had_jsep":false}}}}}}"#,
            s = session.id
        )
    );

    // async: an ack with the plugin's hint now, the event later through the long poll.
    assert_ack(&message(&session, handle, "async-1", r#"{"request":"async"}"#), &session, "async-1");
    assert_probe_event(&next_event(&session), &session, handle, "async-1", "async");

    // jsep: the plugin's offer reaches the client merged with the core's ICE and DTLS
    // details (a PeerConnection is set up for it, controlling, with `actpass`), in the
    // plugin's event; query_session shows push_event returned 0.
    let jsep = format!(r#"{{"request":"jsep","sdp":"{OFFER}"}}"#);
    assert_ack(&message(&session, handle, "jsep-1", &jsep), &session, "jsep-1");
    let event = next_event(&session);
    assert_eq!(kind_of(&event), Some("event"), "{event:?}");
    assert_eq!(str_at(&event, &["transaction"]), Some("jsep-1"), "{event:?}");
    assert_eq!(str_at(&event, &["jsep", "type"]), Some("offer"), "{event:?}");
    let merged = str_at(&event, &["jsep", "sdp"]).unwrap_or_else(|| panic!("{event:?}"));
    for line in ["a=group:BUNDLE 0", "a=ice-ufrag:", "a=ice-pwd:", "a=fingerprint:sha-256 ", "a=setup:actpass", "a=rtcp-mux", "a=ssrc:"] {
        assert!(merged.contains(line), "{line} missing from {merged}");
    }
    assert_ack(&message(&session, handle, "async-2", r#"{"request":"async"}"#), &session, "async-2");
    assert_probe_event(&next_event(&session), &session, handle, "async-2", "async");

    // error, unknown and missing requests: 462 with the plugin's text.
    for (body, reason) in [
        (r#"{"request":"error"}"#, "Probe error, as requested"),
        (r#"{"request":"bogus"}"#, "Unknown request"),
        (r#"{"other":1}"#, "Missing request"),
    ] {
        let reply = message(&session, handle, "err", body);
        assert_eq!(error_of(&reply), (462, reason.to_string()), "{body}");
        assert_eq!(str_at(&reply, &["transaction"]), Some("err"));
    }

    // notify: without event handlers, events_is_enabled() is false (and the event is dropped).
    let reply = message(&session, handle, "notify-1", r#"{"request":"notify"}"#);
    assert_eq!(at(&reply, &["plugindata", "data"]).map(Json::to_compact_string).as_deref(), Some(r#"{"events_enabled":false}"#));

    // auth: no token authentication configured, so nothing is signed; "contains" is true
    // outside signed mode (Janus' answer, not a check of the token).
    let reply = message(&session, handle, "auth-1", r#"{"request":"auth","token":"whatever"}"#);
    assert_eq!(
        at(&reply, &["plugindata", "data"]).map(Json::to_compact_string).as_deref(),
        Some(r#"{"signed":false,"valid":false,"contains":true}"#)
    );

    // Admin API: message_plugin reaches handle_admin_message with the request...
    let reply = gateway.admin(
        "",
        &with_transaction(&format!(
            r#"{{"janus":"message_plugin","admin_secret":"{ADMIN_SECRET}","plugin":"{PROBE}","request":{{"x":[true,null]}}}}"#
        )),
    );
    assert_eq!(kind_of(&reply), Some("success"), "{reply:?}");
    assert_eq!(
        at(&reply, &["response"]).map(Json::to_compact_string).as_deref(),
        Some(r#"{"probe":"admin","request":{"x":[true,null]},"sessions":1}"#)
    );
    // ... and handle_info shows query_session's answer: the messages the handle got so far
    // (sync, async, jsep, async, three errors, notify, auth) and what push_event returned.
    let path = format!("/{}/{handle}", session.id);
    let reply = gateway
        .admin(&path, &with_transaction(&format!(r#"{{"janus":"handle_info","admin_secret":"{ADMIN_SECRET}","plugin_only":true}}"#)));
    assert_eq!(kind_of(&reply), Some("success"), "{reply:?}");
    assert_eq!(str_at(&reply, &["info", "plugin"]), Some(PROBE), "{reply:?}");
    let specific = at(&reply, &["info", "plugin_specific"]).unwrap_or_else(|| panic!("{reply:?}"));
    assert_eq!(int_at(specific, &["messages"]), Some(9), "{reply:?}");
    assert_eq!(int_at(specific, &["destroyed"]), Some(0), "{reply:?}");
    assert_eq!(int_at(specific, &["pushed", "async"]), Some(0), "{reply:?}");
    assert_eq!(int_at(specific, &["pushed", "jsep"]), Some(0), "{reply:?}");
    assert!(at(&reply, &["info", "flags"]).is_none(), "plugin_only: {reply:?}");

    // end: the plugin ends its own handle; the client is told, and the handle is gone.
    assert_ack(&message(&session, handle, "end-1", r#"{"request":"end"}"#), &session, "end-1");
    let event = next_event(&session);
    assert_eq!(event.to_compact_string(), format!(r#"{{"janus":"detached","session_id":{},"sender":{handle}}}"#, session.id));
    let reply = message(&session, handle, "after-end", r#"{"request":"sync"}"#);
    assert_eq!(error_of(&reply), (459, format!("No such handle {handle} in session {}", session.id)));
    let reply = gateway
        .admin(&format!("/{}", session.id), &with_transaction(&format!(r#"{{"janus":"list_handles","admin_secret":"{ADMIN_SECRET}"}}"#)));
    assert_eq!(at(&reply, &["handles"]).map(Json::to_compact_string).as_deref(), Some("[]"), "{reply:?}");

    // The stock plugin beside ours still works, and so does the gateway.
    let echo = session.attach("janus.plugin.echotest");
    let reply = echo.message(r#"{"audio":false}"#);
    assert_eq!(kind_of(&reply), Some("ack"), "{reply:?}");
    let info = gateway.post("/janus", r#"{"janus":"info","transaction":"i"}"#);
    assert_eq!(kind_of(&info), Some("server_info"));
    assert!(at(&info, &["plugins", PROBE]).is_some(), "probe listed: {info:?}");
    assert!(gateway.is_running());
}

// ---------------------------------------------------------------------------------------------
// Event handlers

/// A tiny HTTP server standing for sampleevh's backend: every POSTed body is handed over on
/// the channel; each request gets an empty 200 and the connection is closed.
fn event_backend() -> (u16, mpsc::Receiver<String>) {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            match read_post(stream) {
                Some(body) => {
                    if tx.send(body).is_err() {
                        return; // the test is over
                    }
                }
                None => continue,
            }
        }
    });
    (port, rx)
}

/// Reads one HTTP request (Content-Length framed, answering `Expect: 100-continue`) and
/// answers 200; its body, or `None` if the request was cut short.
fn read_post(mut stream: TcpStream) -> Option<String> {
    stream.set_read_timeout(Some(EVENT_TIMEOUT)).ok()?;
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        if let Some(p) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
        let n = stream.read(&mut buf).ok().filter(|&n| n > 0)?;
        data.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&data[..head_end]).to_ascii_lowercase();
    let header = |name: &str| head.lines().find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_string()));
    let length: usize = header("content-length:")?.parse().ok()?;
    if header("expect:").is_some_and(|v| v == "100-continue") {
        stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").ok()?;
    }
    while data.len() < head_end + length {
        let n = stream.read(&mut buf).ok().filter(|&n| n > 0)?;
        data.extend_from_slice(&buf[..n]);
    }
    stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").ok()?;
    Some(String::from_utf8_lossy(&data[head_end..head_end + length]).into_owned())
}

#[test]
fn probe_notify_reaches_the_event_handlers() {
    let (backend, events) = event_backend();
    let configs = probe_configs("probe-notify", CoreOptions { event_handlers: vec!["sampleevh".into()], ..CoreOptions::default() });
    configs.write(
        "janus.eventhandler.sampleevh.jcfg",
        &format!(
            "general: {{\n\tenabled = true\n\tevents = \"all\"\n\tgrouping = false\n\tjson = \"compact\"\n\
             \tbackend = \"http://127.0.0.1:{backend}/events\"\n}}\n"
        ),
    );
    // Event handlers are loaded only when broadcasting, which `-e` turns on.
    let gateway = Gateway::start_with(&binary_under_test(), &configs, &["-o", "-e"]);
    let session = gateway.create_session();
    let handle = session.attach(PROBE).id;
    let reply = message(&session, handle, "notify-2", r#"{"request":"notify"}"#);
    assert_eq!(at(&reply, &["plugindata", "data"]).map(Json::to_compact_string).as_deref(), Some(r#"{"events_enabled":true}"#));

    // sampleevh posts every event (of every type, and possibly grouped): wait for the
    // probe's PLUGIN event (type 64).
    let deadline = Instant::now() + EVENT_TIMEOUT;
    let plugin_event = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let posted = events.recv_timeout(left).unwrap_or_else(|_| panic!("no plugin event posted\n{}", gateway.log_tail()));
        let batch = match parse_json(&posted) {
            Json::Array(items) => items,
            single => vec![single],
        };
        if let Some(e) = batch.into_iter().find(|e| int_at(e, &["type"]) == Some(64)) {
            break e;
        }
    };
    assert_eq!(int_at(&plugin_event, &["session_id"]), Some(session.id), "{plugin_event:?}");
    assert_eq!(int_at(&plugin_event, &["handle_id"]), Some(handle), "{plugin_event:?}");
    assert!(int_at(&plugin_event, &["timestamp"]).is_some(), "{plugin_event:?}");
    assert_eq!(
        at(&plugin_event, &["event"]).map(Json::to_compact_string),
        Some(format!(r#"{{"plugin":"{PROBE}","data":{{"probe":"notify"}}}}"#)),
        "{plugin_event:?}"
    );

    // Plugin data as deep as a request may carry (jansson parses 2048 levels) goes through
    // the core's event thread to the handler whole (checked on the posted text).
    let deep = format!("{}\"bottom\"{}", "[".repeat(2045), "]".repeat(2045));
    let reply = message(&session, handle, "notify-3", &format!(r#"{{"request":"notify","data":{deep}}}"#));
    assert_eq!(at(&reply, &["plugindata", "data", "events_enabled"]).and_then(Json::as_bool), Some(true), "{reply:?}");
    let expected = format!(r#""event":{{"plugin":"{PROBE}","data":{{"probe":"notify","data":{deep}}}}}"#);
    let deadline = Instant::now() + EVENT_TIMEOUT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let posted = events.recv_timeout(left).unwrap_or_else(|_| panic!("no deep plugin event posted\n{}", gateway.log_tail()));
        if posted.contains(&expected) {
            break;
        }
    }
    assert!(gateway.is_running());
}

// ---------------------------------------------------------------------------------------------
// Signed tokens

const TOKEN_SECRET: &str = "probe-token-secret";

extern "C" {
    fn g_compute_hmac_for_data(digest: libc::c_int, key: *const u8, key_len: usize, data: *const u8, len: usize) -> *mut libc::c_char;
    fn g_base64_encode(data: *const u8, len: usize) -> *mut libc::c_char;
    fn g_free(p: *mut libc::c_void);
}

/// `G_CHECKSUM_SHA1`.
const G_CHECKSUM_SHA1: libc::c_int = 1;

/// Takes a GLib string.
unsafe fn glib_string(p: *mut libc::c_char) -> String {
    let s = std::ffi::CStr::from_ptr(p).to_str().unwrap().to_string();
    g_free(p.cast());
    s
}

/// A token `<expiry>,<realm>[,<descriptor>...]:<signature>` signed as Janus' documentation
/// prescribes: base64 of the HMAC-SHA1 of the part before ':' under the secret. Computed with
/// GLib, independently of the core's own signing code.
fn signed_token(secret: &str, expiry: i64, realm: &str, descriptors: &[&str]) -> String {
    let mut data = format!("{expiry},{realm}");
    for d in descriptors {
        data.push(',');
        data.push_str(d);
    }
    // SAFETY: buffers valid for the lengths given; GLib returns strings we free.
    let signature = unsafe {
        let hex = glib_string(g_compute_hmac_for_data(G_CHECKSUM_SHA1, secret.as_ptr(), secret.len(), data.as_ptr(), data.len()));
        let mac: Vec<u8> = (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect();
        glib_string(g_base64_encode(mac.as_ptr(), mac.len()))
    };
    format!("{data}:{signature}")
}

#[test]
fn probe_checks_signed_tokens() {
    let configs = probe_configs(
        "probe-auth",
        CoreOptions {
            general: vec![("token_auth".into(), "true".into()), ("token_auth_secret".into(), format!("\"{TOKEN_SECRET}\""))],
            ..CoreOptions::default()
        },
    );
    let gateway = Gateway::start(&binary_under_test(), &configs);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let api_token = signed_token(TOKEN_SECRET, now + 600, "janus", &[PROBE]);

    // Without a token the API is closed; with the signed one it opens.
    let reply = gateway.post("/janus", r#"{"janus":"create","transaction":"c0"}"#);
    assert_eq!(error_of(&reply).0, 403, "{reply:?}");
    let reply = gateway.post("/janus", &format!(r#"{{"janus":"create","transaction":"c1","token":"{api_token}"}}"#));
    assert_eq!(kind_of(&reply), Some("success"), "{reply:?}");
    let session = int_at(&reply, &["data", "id"]).unwrap();
    let reply = gateway.post(
        &format!("/janus/{session}"),
        &format!(r#"{{"janus":"attach","transaction":"a1","plugin":"{PROBE}","token":"{api_token}"}}"#),
    );
    assert_eq!(kind_of(&reply), Some("success"), "{reply:?}");
    let handle = int_at(&reply, &["data", "id"]).unwrap();

    let ask = |token: &str| -> String {
        let request =
            format!(r#"{{"janus":"message","transaction":"auth","token":"{api_token}","body":{{"request":"auth","token":"{token}"}}}}"#);
        let reply = gateway.post(&format!("/janus/{session}/{handle}"), &request);
        at(&reply, &["plugindata", "data"]).map(Json::to_compact_string).unwrap_or_else(|| panic!("{reply:?}"))
    };
    let answer = |valid: bool, contains: bool| format!(r#"{{"signed":true,"valid":{valid},"contains":{contains}}}"#);
    // Signed for the probe's realm, listing the probe's package as a descriptor.
    assert_eq!(ask(&signed_token(TOKEN_SECRET, now + 600, PROBE, &["room-1", PROBE])), answer(true, true));
    // Valid for the realm, without that descriptor.
    assert_eq!(ask(&signed_token(TOKEN_SECRET, now + 600, PROBE, &["room-1"])), answer(true, false));
    // The Janus API's token is for the realm "janus", not the probe's.
    assert_eq!(ask(&api_token), answer(false, false));
    // Expired, wrong secret, tampered descriptors, not a token.
    assert_eq!(ask(&signed_token(TOKEN_SECRET, now - 10, PROBE, &[PROBE])), answer(false, false));
    assert_eq!(ask(&signed_token("other-secret", now + 600, PROBE, &[PROBE])), answer(false, false));
    let genuine = signed_token(TOKEN_SECRET, now + 600, PROBE, &["room-1"]);
    let tampered = genuine.replacen("room-1", &format!("room-1,{PROBE}"), 1);
    assert_eq!(ask(&tampered), answer(false, false));
    assert_eq!(ask("not-a-token"), answer(false, false));
    assert!(gateway.is_running());
}
