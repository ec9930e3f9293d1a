//! Event handlers and external loggers on a running gateway: the stock sampleevh (POSTing
//! to an HTTP listener of the test) receives the core, session, handle and plugin events
//! in Janus' JSON shape, compared with what `/usr/bin/janus` posts for the same script;
//! the stock jsonlog logger writes the log lines to its file; the Admin API reaches both
//! modules (`query_eventhandler`, `query_logger`).

mod support;

use std::path::Path;
use std::time::Duration;

use janus::json::Json;
use support::event_sink::Collector;
use support::gateway::{binary_under_test, parse_json, with_transaction, ConfigsFolder, Gateway, REFERENCE_BINARY};
use support::json::{int_at, kind_of, str_at};

const WAIT: Duration = Duration::from_secs(10);

/// What one run of the script observed.
struct Observed {
    /// Every posted event, normalised, in arrival order.
    events: Vec<Json>,
    /// Admin replies to the module queries, without their transaction.
    admin: Vec<Json>,
    /// The jsonlog file's lines.
    json_log: String,
}

/// Replaces what differs from run to run (ids, timestamps, pointers, build details) with
/// placeholders, keeping the shape: keys, their order, value types and stable values.
fn normalise(value: &Json, key: &str) -> Json {
    match value {
        Json::Object(members) => Json::Object(
            members
                .iter()
                .map(|(k, v)| {
                    // The server's build and host facts: only their names and types.
                    let v = if key == "info" || k == "dependencies" { placeholder(v) } else { normalise(v, k) };
                    (k.to_string(), v)
                })
                .collect(),
        ),
        Json::Array(items) => Json::Array(items.iter().map(|i| normalise(i, key)).collect()),
        other if ["timestamp", "session_id", "handle_id", "id", "local-ip"].contains(&key) => placeholder(other),
        other => other.clone(),
    }
}

fn placeholder(value: &Json) -> Json {
    match value {
        Json::Str(_) => Json::Str("<string>".into()),
        Json::Int(_) => Json::Int(0),
        Json::Object(members) => Json::Object(members.iter().map(|(k, v)| (k.to_string(), placeholder(v))).collect()),
        other => other.clone(),
    }
}

fn sampleevh_config(collector: &Collector) -> String {
    format!(
        "general: {{\n\tenabled = true\n\tevents = \"all\"\n\tgrouping = false\n\tjson = \"compact\"\n\
         \tbackend = \"http://127.0.0.1:{}/events\"\n}}\n",
        collector.port
    )
}

/// Runs the script on `binary`: startup, a session with an EchoTest handle and a message,
/// detach, destroy, module queries, shutdown.
fn run_script(binary: &Path, name: &str) -> Observed {
    let dir = support::scratch_dir(&format!("event-handlers/{name}"));
    let collector = Collector::start();
    let mut configs = ConfigsFolder::with_modules(&dir, &["echotest"], &["http"], &["sampleevh"], &["jsonlog"]);
    configs.enable_admin();
    configs.write("janus.eventhandler.sampleevh.jcfg", &sampleevh_config(&collector));
    let log_file = dir.join("janus-log.json");
    configs.write(
        "janus.logger.jsonlog.jcfg",
        &format!("general: {{\n\tenabled = true\n\tjson = \"compact\"\n\tfilename = \"{}\"\n}}\n", log_file.display()),
    );
    let mut gateway = Gateway::start_with(binary, &configs, &["-o", "-e"]);
    collector.wait_for("core startup event", |e| int_at(e, &["type"]) == Some(256));

    let session = gateway.create_session();
    let handle = session.attach("janus.plugin.echotest");
    handle.message(r#"{"audio":false,"video":true,"bitrate":128000}"#);
    session.poll(WAIT);
    // The EchoTest tells the event handlers after the client: detaching before it did makes
    // Janus 1.1.2 use the freed handle (janus_plugin_notify_event, SIGSEGV).
    collector.wait_for("EchoTest event", |e| int_at(e, &["type"]) == Some(PLUGIN));
    let detached = gateway.post(&format!("/janus/{}/{}", session.id, handle.id), &with_transaction(r#"{"janus":"detach"}"#));
    assert_eq!(kind_of(&detached), Some("success"), "{detached:?}");
    collector.wait_for("handle detached event", |e| str_at(e, &["event", "name"]) == Some("detached"));
    let destroyed = gateway.post(&format!("/janus/{}", session.id), &with_transaction(r#"{"janus":"destroy"}"#));
    assert_eq!(kind_of(&destroyed), Some("success"), "{destroyed:?}");
    collector.wait_for("session destroyed event", |e| str_at(e, &["event", "name"]) == Some("destroyed"));

    let mut admin = Vec::new();
    for request in [
        r#"{"janus":"query_eventhandler","handler":"janus.eventhandler.sampleevh","request":{"request":"tweak","grouping":false}}"#,
        r#"{"janus":"query_eventhandler","handler":"janus.eventhandler.sampleevh","request":{"request":"nothing"}}"#,
        r#"{"janus":"query_eventhandler","handler":"janus.eventhandler.none","request":{"request":"tweak"}}"#,
        r#"{"janus":"query_logger","logger":"janus.logger.jsonlog","request":{"request":"nothing"}}"#,
        r#"{"janus":"query_logger","logger":"janus.logger.none","request":{}}"#,
    ] {
        let mut reply = gateway.admin("", &with_transaction(request));
        if let Json::Object(members) = &mut reply {
            members.remove("transaction");
        }
        admin.push(reply);
    }

    assert_eq!(gateway.stop_with(libc::SIGINT).and_then(|s| s.code()), Some(0), "{}", gateway.log_tail());
    collector.wait_for("core shutdown event", |e| str_at(e, &["event", "status"]) == Some("shutdown"));
    let json_log = std::fs::read_to_string(&log_file).unwrap_or_default();
    Observed { events: collector.events().iter().map(|e| normalise(e, "")).collect(), admin, json_log }
}

/// Events of the script that carry these types, by Janus' event type numbers.
const SESSION: i64 = 1;
const HANDLE: i64 = 2;
const PLUGIN: i64 = 64;
const TRANSPORT: i64 = 128;
const CORE: i64 = 256;

fn of_type(events: &[Json], kind: i64) -> Vec<&Json> {
    events.iter().filter(|e| int_at(e, &["type"]) == Some(kind)).collect()
}

fn compact(events: &[&Json]) -> Vec<String> {
    events.iter().map(|e| e.to_compact_string()).collect()
}

#[test]
fn sampleevh_gets_janus_events_and_jsonlog_the_log() {
    let ours = run_script(&binary_under_test(), "ours");
    let names = |kind| -> Vec<String> {
        of_type(&ours.events, kind).iter().map(|e| str_at(e, &["event", "name"]).unwrap_or("-").to_string()).collect()
    };
    assert_eq!(names(SESSION), ["created", "destroyed"], "{:#?}", ours.events);
    assert_eq!(names(HANDLE), ["attached", "detached"], "{:#?}", ours.events);
    let core: Vec<&str> = of_type(&ours.events, CORE).iter().filter_map(|e| str_at(e, &["event", "status"])).collect();
    assert_eq!(core, ["started", "shutdown"], "{:#?}", ours.events);
    assert!(!of_type(&ours.events, PLUGIN).is_empty(), "an EchoTest event: {:#?}", ours.events);
    assert!(!of_type(&ours.events, TRANSPORT).is_empty(), "HTTP transport events: {:#?}", ours.events);
    // The Admin API reached both modules.
    assert_eq!(int_at(&ours.admin[0], &["response", "result"]), Some(200), "{:?}", ours.admin[0]);
    assert_eq!(int_at(&ours.admin[3], &["response", "error_code"]), Some(411), "{:?}", ours.admin[3]);
    // jsonlog wrote the log lines as JSON objects.
    let lines: Vec<Json> = ours
        .json_log
        .lines()
        .map(|l| l.trim_matches(|c: char| c == '\0' || c.is_whitespace()))
        .filter(|l| !l.is_empty())
        .map(parse_json)
        .collect();
    assert!(lines.iter().all(|l| int_at(l, &["timestamp"]).is_some() && str_at(l, &["line"]).is_some()), "{}", ours.json_log);
    // Not the last lines ("Bye!"): they reach jsonlog just before its destroy(), which raises
    // its stopping flag before queueing the exit marker, so its thread may drop lines still
    // queued, under /usr/bin/janus as under ours.
    for expected in ["Creating new session: ", "Loading plugin 'libjanus_echotest.so'...", "Stopping server, please wait..."] {
        assert!(lines.iter().any(|l| str_at(l, &["line"]).is_some_and(|t| t.starts_with(expected))), "{expected} in {}", ours.json_log);
    }

    if !Path::new(REFERENCE_BINARY).exists() {
        return;
    }
    let theirs = run_script(Path::new(REFERENCE_BINARY), "reference");
    assert_eq!(ours.admin, theirs.admin, "Admin replies of the module queries");
    for kind in [SESSION, HANDLE, PLUGIN, CORE] {
        assert_eq!(compact(&of_type(&ours.events, kind)), compact(&of_type(&theirs.events, kind)), "events of type {kind}, in order");
    }
    // Transport events come from the transport itself, one per request: same shapes.
    let shapes = |events: &[Json]| {
        let mut s = compact(&of_type(events, TRANSPORT).iter().map(|e| placeholder(e)).collect::<Vec<_>>().iter().collect::<Vec<_>>());
        s.dedup();
        s.sort();
        s.dedup();
        s
    };
    assert_eq!(shapes(&ours.events), shapes(&theirs.events), "transport event shapes");
    let json_log_keys = |text: &str| {
        text.lines()
            .map(|l| l.trim_matches(|c: char| c == '\0' || c.is_whitespace()))
            .filter(|l| !l.is_empty())
            .map(parse_json)
            .map(|l| placeholder(&l).to_compact_string())
            .collect::<std::collections::BTreeSet<_>>()
    };
    assert_eq!(json_log_keys(&ours.json_log), json_log_keys(&theirs.json_log), "jsonlog line shape");
}

#[test]
fn broadcast_in_the_configuration_enables_event_handlers_as_e_does() {
    let dir = support::scratch_dir("event-handlers/broadcast");
    let collector = Collector::start();
    let mut configs = ConfigsFolder::with_modules(&dir, &[], &["http"], &["sampleevh"], &[]);
    configs.set_broadcast(true);
    configs.write("janus.eventhandler.sampleevh.jcfg", &sampleevh_config(&collector));
    let gateway = Gateway::start(&binary_under_test(), &configs);
    collector.wait_for("core startup event", |e| str_at(e, &["event", "status"]) == Some("started"));
    let info = gateway.post("/janus", &with_transaction(r#"{"janus":"info"}"#));
    assert_eq!(info.get("event_handlers").and_then(Json::as_bool), Some(true), "{info:?}");
    assert!(info.get("events").and_then(|e| e.get("janus.eventhandler.sampleevh")).is_some(), "{info:?}");
}
