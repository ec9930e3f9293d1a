//! Bad input on the running gateway: malformed JSON, wrong types, unknown requests, huge and
//! deeply nested payloads, requests racing a `destroy`, and plugins (our probe) that answer
//! with nothing or with garbage. Every request gets Janus' answer, other sessions are not
//! disturbed, and the process is still up and answering `info` at the end.
//!
//! The gateway runs the probe plugin (plugins-c/janus_probe.c) beside Debian's EchoTest over
//! the stock HTTP transport. Every expectation here was also checked against
//! `/usr/bin/janus` (`JANUS_UNDER_TEST=/usr/bin/janus cargo test --test bad_input`).
//!
//! Run: `cargo test --test bad_input`.

mod support;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use janus::json::Json;
use support::gateway::{
    binary_under_test, http_exchange, parse_json, probe_plugins_folder, with_transaction, ConfigsFolder, CoreOptions, Gateway,
};
use support::json::{int_at, kind_of, str_at};

const PROBE: &str = "janus.plugin.probe";
const ADMIN_SECRET: &str = "bad-input-admin";

/// The `(code, reason)` of an error reply.
fn error_of(reply: &Json) -> (i64, String) {
    assert_eq!(kind_of(reply), Some("error"), "{reply:?}");
    let code = int_at(reply, &["error", "code"]).expect("error code");
    let reason = str_at(reply, &["error", "reason"]).expect("error reason");
    (code, reason.to_string())
}

/// A gateway with the probe and EchoTest, loaded from a folder of symlinks.
fn start(name: &str) -> (ConfigsFolder, Gateway) {
    let dir = support::scratch_dir(name);
    let options =
        CoreOptions { plugins_folder: Some(probe_plugins_folder(&dir)), admin_secret: Some(ADMIN_SECRET.into()), ..CoreOptions::default() };
    let configs = ConfigsFolder::with_options(&dir, &["probe", "echotest"], &options);
    let gateway = Gateway::start(&binary_under_test(), &configs);
    (configs, gateway)
}

/// POSTs raw bytes-as-text and parses the reply, whatever its HTTP status.
fn post_raw(gateway: &Gateway, path: &str, body: &str) -> (u16, Json) {
    let (status, text) = gateway.http("POST", path, Some(body)).unwrap_or_else(|e| panic!("POST {path}: {e}\n{}", gateway.log_tail()));
    (status, parse_json(&text))
}

/// The process runs and answers `info`.
fn assert_alive(gateway: &Gateway) {
    assert!(gateway.is_running(), "the gateway died:\n{}", gateway.log_tail());
    let info = gateway.post("/janus", r#"{"janus":"info","transaction":"alive"}"#);
    assert_eq!(kind_of(&info), Some("server_info"), "{info:?}");
}

#[test]
fn malformed_json_gets_454_with_janssons_text() {
    let (_configs, gateway) = start("bad-json");
    let session = gateway.create_session();
    // (body, code, reason): the HTTP transport parses with jansson and words the error.
    let cases: &[(&str, i64, &str)] = &[
        (r#"{"janus":"info""#, 454, "JSON error: on line 1: '}' expected near end of file"),
        ("not json", 454, "JSON error: on line 1: '[' or '{' expected near 'not'"),
        (r#"{"janus":"info","transaction":"x"} trailing"#, 454, "JSON error: on line 1: end of file expected near 'trailing'"),
        ("{\"janus\":\"info\",\n\"transaction\":\"x\",}", 454, "JSON error: on line 2: string or '}' expected near '}'"),
        ("{\"janus\":\"in\u{1}fo\"}", 454, "JSON error: on line 1: control character 0x1 near '\"in'"),
        (r#"{"janus":"info","transaction":"\ud800"}"#, 454, "JSON error: on line 1: invalid Unicode '\\uD800' near '\"\\ud800\"'"),
        ("[1,2]", 455, "JSON error: not an object"),
        ("\"text\"", 454, "JSON error: on line 1: '[' or '{' expected near '\"text\"'"),
    ];
    for path in ["/janus".to_string(), format!("/janus/{}", session.id)] {
        for (body, code, reason) in cases {
            let (status, reply) = post_raw(&gateway, &path, body);
            assert_eq!(status, 200, "{body}");
            assert_eq!(error_of(&reply), (*code, reason.to_string()), "POST {path} {body:?}");
        }
    }
    // An empty body: the transport has no payload and closes the connection unanswered.
    let empty = gateway.http("POST", "/janus", Some(""));
    assert!(empty.is_err(), "{empty:?}");
    // The session is untouched by all this.
    let reply = gateway.post(&format!("/janus/{}", session.id), r#"{"janus":"keepalive","transaction":"k"}"#);
    assert_eq!(kind_of(&reply), Some("ack"), "{reply:?}");
    assert_alive(&gateway);
}

#[test]
fn wrong_types_and_unknown_requests() {
    let (_configs, gateway) = start("bad-types");
    let session = gateway.create_session();
    let handle = session.attach(PROBE);
    let (s, h) = (session.id, handle.id);
    let session_path = format!("/janus/{s}");
    let handle_path = format!("/janus/{s}/{h}");
    let no_handle_path = format!("/janus/{s}/999");
    let cases: Vec<(&str, String, i64, String)> = vec![
        ("/janus", r#"{"transaction":"x"}"#.into(), 456, "Missing mandatory element (janus)".into()),
        ("/janus", r#"{"janus":"info"}"#.into(), 456, "Missing mandatory element (transaction)".into()),
        ("/janus", r#"{"janus":5,"transaction":"x"}"#.into(), 467, "Invalid element type (janus should be a string)".into()),
        ("/janus", r#"{"janus":"info","transaction":7}"#.into(), 467, "Invalid element type (transaction should be a string)".into()),
        (
            "/janus",
            r#"{"janus":"create","transaction":"x","id":"5"}"#.into(),
            467,
            "Invalid element type (id should be a positive integer)".into(),
        ),
        (
            "/janus",
            r#"{"janus":"create","transaction":"x","id":-5}"#.into(),
            467,
            "Invalid element type (id should be a positive integer)".into(),
        ),
        ("/janus", r#"{"janus":"bogus","transaction":"x"}"#.into(), 457, "Unhandled request 'bogus' at this path".into()),
        ("/janus", r#"{"janus":"attach","transaction":"x"}"#.into(), 457, "Unhandled request 'attach' at this path".into()),
        (&session_path, r#"{"janus":"bogus","transaction":"x"}"#.into(), 453, "Unknown request 'bogus'".into()),
        (&session_path, r#"{"janus":"","transaction":"x"}"#.into(), 453, "Unknown request ''".into()),
        (&session_path, r#"{"janus":"message","transaction":"x"}"#.into(), 457, "Unhandled request 'message' at this path".into()),
        (&session_path, r#"{"janus":"attach","transaction":"x"}"#.into(), 456, "Missing mandatory element (plugin)".into()),
        (
            &session_path,
            r#"{"janus":"attach","transaction":"x","plugin":7}"#.into(),
            467,
            "Invalid element type (plugin should be a string)".into(),
        ),
        (
            &session_path,
            r#"{"janus":"attach","transaction":"x","plugin":"janus.plugin.nope"}"#.into(),
            460,
            "No such plugin 'janus.plugin.nope'".into(),
        ),
        (
            &session_path,
            r#"{"janus":"attach","transaction":"x","plugin":"janus.plugin.probe","opaque_id":1}"#.into(),
            467,
            "Invalid element type (opaque_id should be a string)".into(),
        ),
        (
            &session_path,
            format!(r#"{{"janus":"keepalive","transaction":"x","session_id":{}}}"#, s + 1),
            457,
            "Conflicting session ID (payload and path)".into(),
        ),
        ("/janus/123", r#"{"janus":"keepalive","transaction":"x"}"#.into(), 458, "No such session 123".into()),
        (&handle_path, r#"{"janus":"bogus","transaction":"x"}"#.into(), 453, "Unknown request 'bogus'".into()),
        (
            &handle_path,
            r#"{"janus":"attach","transaction":"x","plugin":"janus.plugin.probe"}"#.into(),
            457,
            "Unhandled request 'attach' at this path".into(),
        ),
        (&handle_path, r#"{"janus":"message","transaction":"x"}"#.into(), 456, "Missing mandatory element (body)".into()),
        (
            &handle_path,
            r#"{"janus":"message","transaction":"x","body":[1]}"#.into(),
            467,
            "Invalid element type (body should be an object)".into(),
        ),
        (
            &handle_path,
            r#"{"janus":"message","transaction":"x","body":"sync"}"#.into(),
            467,
            "Invalid element type (body should be an object)".into(),
        ),
        (&handle_path, r#"{"janus":"message","transaction":"x","body":{},"jsep":"offer"}"#.into(), 455, "Invalid jsep object".into()),
        (
            &handle_path,
            r#"{"janus":"message","transaction":"x","body":{},"jsep":{"type":"offer"}}"#.into(),
            456,
            "JSEP error: missing mandatory element (sdp)".into(),
        ),
        (
            &handle_path,
            r#"{"janus":"message","transaction":"x","body":{},"jsep":{"type":1,"sdp":""}}"#.into(),
            467,
            "JSEP error: invalid element type (type should be a string)".into(),
        ),
        (
            &handle_path,
            r#"{"janus":"message","transaction":"x","body":{},"jsep":{"type":"pranswer","sdp":""}}"#.into(),
            464,
            "JSEP error: unknown message type 'pranswer'".into(),
        ),
        (&handle_path, r#"{"janus":"trickle","transaction":"x"}"#.into(), 456, "Missing mandatory element (candidate|candidates)".into()),
        (
            &handle_path,
            r#"{"janus":"trickle","transaction":"x","candidate":{},"candidates":[]}"#.into(),
            454,
            "Can't have both candidate and candidates".into(),
        ),
        ("/janus/abc", r#"{"janus":"keepalive","transaction":"x"}"#.into(), 457, "Unhandled request 'keepalive' at this path".into()),
        (
            "/janus/99999999999999999999",
            r#"{"janus":"keepalive","transaction":"x"}"#.into(),
            458,
            "No such session 18446744073709551615".into(),
        ),
        ("/janus/-1", r#"{"janus":"keepalive","transaction":"x"}"#.into(), 458, "No such session 18446744073709551615".into()),
        (
            "/janus",
            r#"{"janus":"keepalive","transaction":"x","session_id":1.5}"#.into(),
            457,
            "Unhandled request 'keepalive' at this path".into(),
        ),
        (
            "/janus",
            r#"{"janus":"keepalive","transaction":"x","session_id":"12"}"#.into(),
            457,
            "Unhandled request 'keepalive' at this path".into(),
        ),
        (
            "/janus",
            r#"{"janus":"keepalive","transaction":"x","session_id":9223372036854775807}"#.into(),
            458,
            "No such session 9223372036854775807".into(),
        ),
        (&no_handle_path, r#"{"janus":"message","transaction":"x","body":{}}"#.into(), 459, format!("No such handle 999 in session {s}")),
    ];
    for (path, body, code, reason) in &cases {
        let (status, reply) = post_raw(&gateway, path, body);
        assert_eq!(status, 200, "{body}");
        assert_eq!(error_of(&reply), (*code, reason.clone()), "POST {path} {body}");
    }
    // The handle survived all of it.
    let data = handle.request(r#"{"request":"sync"}"#);
    assert_eq!(str_at(&data, &["probe"]), Some("sync"), "{data:?}");
    assert_alive(&gateway);
}

#[test]
fn plugin_results_that_are_null_or_garbage() {
    let (_configs, gateway) = start("bad-plugin");
    let session = gateway.create_session();
    let handle = session.attach(PROBE);
    for _ in 0..3 {
        let reply = handle.message(r#"{"request":"null"}"#);
        assert_eq!(error_of(&reply), (462, "Plugin didn't give a result".into()));
        assert_eq!(int_at(&reply, &["session_id"]), Some(session.id), "{reply:?}");
        let reply = handle.message(r#"{"request":"garbage"}"#);
        assert_eq!(error_of(&reply), (462, "Plugin returned an invalid JSON response".into()));
    }
    // The handle and its plugin session are fine afterwards.
    let data = handle.request(r#"{"request":"sync"}"#);
    assert_eq!(str_at(&data, &["probe"]), Some("sync"), "{data:?}");
    assert_alive(&gateway);
}

/// `[[[...]]]` nested `depth` times around `inner`.
fn nested(depth: usize, inner: &str) -> String {
    format!("{}{inner}{}", "[".repeat(depth), "]".repeat(depth))
}

#[test]
fn huge_and_deeply_nested_payloads() {
    let (_configs, gateway) = start("bad-huge");
    let session = gateway.create_session();
    let handle = session.attach(PROBE);

    // 1 MiB bodies: a padded keepalive, and a plugin message echoed back whole.
    let pad = "a".repeat(1 << 20);
    let request = format!(r#"{{"janus":"keepalive","transaction":"big","pad":"{pad}"}}"#);
    let (_, reply) = post_raw(&gateway, &format!("/janus/{}", session.id), &request);
    assert_eq!(kind_of(&reply), Some("ack"), "{reply:?}");
    let data = handle.request(&format!(r#"{{"request":"sync","pad":"{pad}"}}"#));
    assert_eq!(str_at(&data, &["echo", "pad"]).map(str::len), Some(1 << 20));

    // Too deep for jansson (its limit is 2048 levels): refused by the transport.
    for body in [nested(10000, ""), format!(r#"{{"janus":"info","transaction":"x","deep":{}}}"#, nested(10000, "1"))] {
        let (_, reply) = post_raw(&gateway, "/janus", &body);
        assert_eq!(error_of(&reply), (454, "JSON error: on line 1: maximum parsing depth reached near '['".into()));
    }
    // As deep as jansson accepts, through the core to the plugin and back: a Janus API
    // message and an Admin API message_plugin, each echoed whole (checked on the reply's text,
    // which is as deep as what was sent), and an unknown member of a core request.
    let exchange = |port: u16, path: &str, request: &str| -> String {
        let (status, text) = http_exchange(port, "POST", path, Some(request), Duration::from_secs(10))
            .unwrap_or_else(|e| panic!("POST {path}: {e}\n{}", gateway.log_tail()));
        assert_eq!(status, 200);
        text
    };
    let deep_arrays = nested(2045, "\"bottom\"");
    let deep_objects = format!("{}{}", r#"{"k":"#.repeat(2045), "}".repeat(2045)).replacen("{\"k\":}", "{\"k\":1}", 1);
    for deep in [&deep_arrays, &deep_objects] {
        let path = format!("/janus/{}/{}", session.id, handle.id);
        let request = format!(r#"{{"janus":"message","transaction":"deep","body":{{"request":"sync","deep":{deep}}}}}"#);
        let text = exchange(gateway.http_port, &path, &request);
        assert!(text.contains(&format!(r#""echo":{{"request":"sync","deep":{deep}}}"#)), "{}", &text[..text.len().min(300)]);
        let request = format!(
            r#"{{"janus":"message_plugin","transaction":"deep","admin_secret":"{ADMIN_SECRET}","plugin":"{PROBE}","request":{{"deep":{deep}}}}}"#
        );
        let text = exchange(gateway.admin_port.unwrap(), "/admin", &request);
        assert!(text.contains(&format!(r#""request":{{"deep":{deep}}}"#)), "{}", &text[..text.len().min(300)]);
        let request = format!(r#"{{"janus":"keepalive","transaction":"d","deep":{deep}}}"#);
        let (_, reply) = post_raw(&gateway, &format!("/janus/{}", session.id), &request);
        assert_eq!(kind_of(&reply), Some("ack"), "{reply:?}");
    }
    assert_alive(&gateway);
}

/// Whether `reply` is a well-formed Janus API reply: an `ack`/`success`, or an `error` with a
/// code among `allowed` and a reason.
fn check_reply(reply: &Json, allowed: &[i64]) -> Result<(), String> {
    match kind_of(reply) {
        Some("ack" | "success") => Ok(()),
        Some("error") => {
            let code = int_at(reply, &["error", "code"]);
            let reason = str_at(reply, &["error", "reason"]);
            match (code, reason) {
                (Some(c), Some(_)) if allowed.contains(&c) => Ok(()),
                _ => Err(format!("unexpected error {reply:?}")),
            }
        }
        _ => Err(format!("not a reply: {reply:?}")),
    }
}

/// One request of the racing workers: its path and body, chosen by `kind`. `handle` is one
/// of the session's handles (attached before the race or during it).
fn racing_request(kind: usize, session: i64, handle: i64) -> (String, String) {
    let on_session = format!("/janus/{session}");
    let on_handle = format!("/janus/{session}/{handle}");
    let message = |body: &str| format!(r#"{{"janus":"message","transaction":"r","body":{body}}}"#);
    match kind % 6 {
        0 => (on_session, r#"{"janus":"keepalive","transaction":"r"}"#.into()),
        1 => (on_session, format!(r#"{{"janus":"attach","transaction":"r","plugin":"{PROBE}"}}"#)),
        2 => (on_handle, message(r#"{"request":"sync"}"#)),
        3 => (on_handle, message(r#"{"request":"async"}"#)),
        4 => (on_handle, r#"{"janus":"hangup","transaction":"r"}"#.into()),
        _ => (on_handle, r#"{"janus":"trickle","transaction":"r","candidate":{"completed":true}}"#.into()),
    }
}

#[test]
fn requests_racing_a_destroy() {
    let (_configs, gateway) = start("bad-race");
    let bystander = gateway.create_session();
    let bystander_handle = bystander.attach(PROBE);
    const ROUNDS: usize = 8;
    const WORKERS: usize = 6;
    let port = gateway.http_port;
    let stop = AtomicBool::new(false);
    let bystander_checks = AtomicUsize::new(0);
    // Replies seen after the destroy was sent, and successes before it: both must happen
    // for the race to have been run at all.
    let refused = AtomicUsize::new(0);
    let served = AtomicUsize::new(0);
    /// Stops the bystander when the racing part ends, also by a panic.
    struct StopOnDrop<'a>(&'a AtomicBool);
    impl Drop for StopOnDrop<'_> {
        fn drop(&mut self) {
            self.0.store(true, Ordering::Relaxed);
        }
    }
    std::thread::scope(|scope| {
        let _stop = StopOnDrop(&stop);
        // The bystander session keeps answering throughout.
        scope.spawn(|| {
            while !stop.load(Ordering::Relaxed) {
                let reply = gateway.post(&format!("/janus/{}", bystander.id), r#"{"janus":"keepalive","transaction":"by"}"#);
                assert_eq!(kind_of(&reply), Some("ack"), "bystander: {reply:?}");
                let data = bystander_handle.request(r#"{"request":"sync"}"#);
                assert_eq!(str_at(&data, &["probe"]), Some("sync"), "{data:?}");
                bystander_checks.fetch_add(1, Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(5));
            }
        });
        for round in 0..ROUNDS {
            let session = gateway.create_session();
            let handles = std::sync::Mutex::new((0..3).map(|_| session.attach(PROBE).id).collect::<Vec<i64>>());
            let sid = session.id;
            let go = AtomicBool::new(false);
            let done = AtomicBool::new(false);
            std::thread::scope(|inner| {
                for w in 0..WORKERS {
                    let (handles, go, done, refused, served) = (&handles, &go, &done, &refused, &served);
                    inner.spawn(move || {
                        while !go.load(Ordering::Acquire) {
                            std::thread::yield_now();
                        }
                        let deadline = Instant::now() + Duration::from_secs(3);
                        // Keep going a little after the destroy, to hit the dead session too.
                        let mut after = 0;
                        for i in 0.. {
                            if after >= 3 || Instant::now() > deadline {
                                break;
                            }
                            if done.load(Ordering::Acquire) {
                                after += 1;
                            }
                            let handle = {
                                let known = handles.lock().unwrap();
                                known[(w * 7 + i) % known.len()]
                            };
                            let (path, body) = racing_request(w + i, sid, handle);
                            let (status, text) = http_exchange(port, "POST", &path, Some(&body), Duration::from_secs(10))
                                .unwrap_or_else(|e| panic!("round {round}: POST {path}: {e}"));
                            assert_eq!(status, 200, "{text}");
                            let reply = parse_json(&text);
                            // 458/459: the session or handle is gone; 462: the plugin
                            // had already destroyed its session ("No session"); 471: a
                            // trickle while a hangup is being cleaned up.
                            check_reply(&reply, &[458, 459, 462, 471]).unwrap_or_else(|e| panic!("round {round}: POST {path} {body}: {e}"));
                            if kind_of(&reply) == Some("error") {
                                refused.fetch_add(1, Ordering::Relaxed);
                            } else if !done.load(Ordering::Acquire) {
                                served.fetch_add(1, Ordering::Relaxed);
                            }
                            if let Some(id) = int_at(&reply, &["data", "id"]) {
                                handles.lock().unwrap().push(id);
                            }
                        }
                    });
                }
                go.store(true, Ordering::Release);
                std::thread::sleep(Duration::from_millis(10 + 10 * round as u64));
                let reply = gateway.post(&format!("/janus/{sid}"), r#"{"janus":"destroy","transaction":"kill"}"#);
                assert_eq!(kind_of(&reply), Some("success"), "destroy: {reply:?}");
                done.store(true, Ordering::Release);
            });
            let reply = gateway.post(&format!("/janus/{sid}"), r#"{"janus":"keepalive","transaction":"dead"}"#);
            assert_eq!(error_of(&reply), (458, format!("No such session {sid}")));
        }
    });
    assert!(served.load(Ordering::Relaxed) > 0 && refused.load(Ordering::Relaxed) > 0);
    assert!(bystander_checks.load(Ordering::Relaxed) > 0);
    // Every handle of the destroyed sessions, also those attached during the race, was
    // destroyed in the plugin: only the bystander's is left (handles go away off the
    // request path, hence the bounded wait).
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let reply = gateway
            .admin("", &with_transaction(&format!(r#"{{"janus":"message_plugin","admin_secret":"{ADMIN_SECRET}","plugin":"{PROBE}"}}"#)));
        let live = int_at(&reply, &["response", "sessions"]).unwrap_or_else(|| panic!("{reply:?}"));
        if live == 1 {
            break;
        }
        assert!(Instant::now() < deadline, "{live} probe sessions still alive, 1 expected");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_alive(&gateway);
}
