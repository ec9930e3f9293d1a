//! The event handler and logger pipeline against Debian's stock modules: events pushed
//! through the core's bus reach `libjanus_sampleevh.so`, which POSTs them to an HTTP
//! backend run by the test; log lines reach `libjanus_jsonlog.so`, which writes them to a
//! file as JSON.

mod support;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use janus::abi::event_host::{start_event_handler, start_logger};
use janus::abi::modules::load;
use janus::events::{self, Event, EventBus, EventHandler, HandleEvent, HandleRef, SessionEvent};
use janus::json::{Json, Object};
use janus::log::{self, Level};
use janus::loggers::{self, Logger};
use janus::modules::{AdminResponse, ModuleKind, QueryableModule};

const MODULES: &str = "/usr/lib/x86_64-linux-gnu/janus";

/// A one-request-per-connection HTTP server on a free loopback port that answers 200 to
/// everything and reports each request's head and body.
struct Backend {
    port: u16,
    requests: Receiver<(String, String)>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Backend {
    fn start() -> Backend {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let (tx, requests) = mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let thread = std::thread::spawn(move || {
            while !stopping.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => serve(stream, &tx),
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        Backend { port, requests, stop, thread: Some(thread) }
    }

    fn next(&self) -> (String, String) {
        self.requests.recv_timeout(Duration::from_secs(15)).expect("the event handler posted in time")
    }
}

impl Drop for Backend {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(mut stream: TcpStream, tx: &Sender<(String, String)>) {
    stream.set_nonblocking(false).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match stream.read(&mut buf) {
            Ok(n) if n > 0 => data.extend_from_slice(&buf[..n]),
            _ => return,
        }
    };
    let head = String::from_utf8_lossy(&data[..head_end]).into_owned();
    let header = |name: &str| {
        head.lines().find_map(|l| l.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case(name))).map(|(_, v)| v.trim().to_string())
    };
    if header("expect").is_some_and(|v| v.eq_ignore_ascii_case("100-continue")) {
        let _ = stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n");
    }
    let length: usize = header("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
    while data.len() < head_end + length {
        match stream.read(&mut buf) {
            Ok(n) if n > 0 => data.extend_from_slice(&buf[..n]),
            _ => return,
        }
    }
    let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    let body = String::from_utf8_lossy(&data[head_end..head_end + length]).into_owned();
    let _ = tx.send((head, body));
}

fn handle(session_id: u64, handle_id: u64, opaque_id: Option<&str>) -> HandleRef {
    HandleRef { session_id, handle_id, opaque_id: opaque_id.map(str::to_owned) }
}

#[test]
fn sampleevh_posts_what_the_bus_delivers() {
    let backend = Backend::start();
    let configs = support::scratch_dir("events-sampleevh");
    std::fs::write(
        configs.join("janus.eventhandler.sampleevh.jcfg"),
        format!(
            "general: {{\n\tenabled = true\n\tevents = \"all\"\n\tgrouping = false\n\
             \tjson = \"compact\"\n\tmax_retransmissions = 0\n\
             \tbackend = \"http://127.0.0.1:{}/janus/events\"\n}}\n",
            backend.port
        ),
    )
    .unwrap();
    let module = load(&Path::new(MODULES).join("events/libjanus_sampleevh.so"), ModuleKind::EventHandler).expect("sampleevh loads");
    let evh = start_event_handler(&module, &configs).expect("an event handler");
    assert_eq!(EventHandler::package(evh.as_ref()), "janus.eventhandler.sampleevh");
    assert_eq!(evh.info().name, "JANUS SampleEventHandler plugin");
    assert_eq!(evh.mask(), events::ALL, "events = \"all\" read by the module's init");

    let bus = EventBus::start(true, "TestJanus", vec![evh.clone() as Arc<dyn EventHandler>]).unwrap();
    let ts = 1_700_000_000_123_456;
    bus.notify_at(
        Event::Session { session_id: 11, what: SessionEvent::Created { transport: "janus.transport.http".into(), instance: 1 } },
        ts,
    );
    bus.notify_at(
        Event::Handle {
            handle: handle(11, 22, Some("my-opaque")),
            what: HandleEvent::Attached,
            plugin: Some("janus.plugin.echotest".into()),
            token: None,
        },
        ts + 1,
    );
    bus.notify_at(
        Event::Plugin {
            handle: handle(11, 22, None),
            plugin: "janus.plugin.echotest".into(),
            data: Object::new().with("audio", true).with("bitrate", 128000).into(),
        },
        ts + 2,
    );
    bus.notify_at(Event::External { schema: "test.schema".into(), data: Object::new().with("k", "v\r\n").into() }, ts + 3);
    let expected = [
        // The transport id is janus_uint64_hash(1) in decimal.
        r#"{"emitter":"TestJanus","type":1,"timestamp":1700000000123456,"session_id":11,"event":{"name":"created","transport":{"transport":"janus.transport.http","id":"6238072747940578789"}}}"#,
        r#"{"emitter":"TestJanus","type":2,"timestamp":1700000000123457,"session_id":11,"handle_id":22,"opaque_id":"my-opaque","event":{"name":"attached","plugin":"janus.plugin.echotest","opaque_id":"my-opaque"}}"#,
        r#"{"emitter":"TestJanus","type":64,"timestamp":1700000000123458,"session_id":11,"handle_id":22,"event":{"plugin":"janus.plugin.echotest","data":{"audio":true,"bitrate":128000}}}"#,
        r#"{"emitter":"TestJanus","type":4,"timestamp":1700000000123459,"event":{"schema":"test.schema","data":{"k":"v\r\n"}}}"#,
    ];
    for want in expected {
        let (head, body) = backend.next();
        assert!(head.starts_with("POST /janus/events HTTP/1.1\r\n"), "{head}");
        assert!(head.to_ascii_lowercase().contains("content-type: application/json"), "{head}");
        assert_eq!(body, want);
    }

    // The module narrows its own mask (Admin API tweak): the bus reads it for the next event.
    let tweak: Json = Object::new().with("request", "tweak").with("events", "sessions").into();
    assert_eq!(
        QueryableModule::handle_request(evh.as_ref(), Some(&tweak)),
        AdminResponse::Json(janus::abi::json::parse(r#"{"result":200}"#).unwrap())
    );
    assert_eq!(evh.mask(), u64::from(events::SESSION));
    bus.notify_at(Event::Handle { handle: handle(11, 22, None), what: HandleEvent::Detached, plugin: None, token: None }, ts + 4);
    let before = janus::utils::real_time();
    bus.notify(Event::Session { session_id: 11, what: SessionEvent::Destroyed });
    // Delivery is in order: had the handle event passed the mask, it would come first.
    let (_, body) = backend.next();
    let got = janus::abi::json::parse(&body).unwrap();
    assert_eq!(got.get("type"), Some(&Json::Int(1)));
    assert_eq!(got.get("event").unwrap().to_compact_string(), r#"{"name":"destroyed"}"#);
    let stamp = got.get("timestamp").and_then(Json::as_i64).unwrap();
    assert!(stamp >= before && stamp <= janus::utils::real_time(), "wall-clock µs: {stamp}");

    // Shutdown as Janus does it: the bus first, then the modules.
    bus.shutdown();
    evh.destroy();
    evh.destroy();
    assert!(backend.requests.try_recv().is_err(), "nothing else was posted");
}

#[test]
fn jsonlog_writes_every_log_line() {
    let dir = support::scratch_dir("events-jsonlog");
    let file = dir.join("janus-log.json");
    std::fs::write(
        dir.join("janus.logger.jsonlog.jcfg"),
        format!("general: {{\n\tenabled = true\n\tjson = \"compact\"\n\tfilename = \"{}\"\n}}\n", file.display()),
    )
    .unwrap();
    let module = load(&Path::new(MODULES).join("loggers/libjanus_jsonlog.so"), ModuleKind::Logger).expect("jsonlog loads");
    // A logger is not an event handler: refused without being touched.
    assert!(start_event_handler(&module, &dir).is_none());
    let logger = start_logger(&module, "TestJanus", &dir).expect("a logger");
    assert_eq!(Logger::package(logger.as_ref()), "janus.logger.jsonlog");
    assert!(file.exists(), "init opened the file");

    log::init(false, None).unwrap();
    log::set_colors(false);
    log::set_timestamps(false);
    log::add_sink(loggers::sink(logger.clone()));
    let before = janus::utils::real_time();
    log::print_bytes(b"jsonlog-test one\n");
    log::emit(Level::Warn, None, format_args!("jsonlog-test \"two\" {}\n", 2));
    log::flush();

    // jsonlog writes from its own thread: wait (bounded) for both records.
    let deadline = Instant::now() + Duration::from_secs(10);
    let records = loop {
        let bytes = std::fs::read(&file).unwrap();
        // Each record is the JSON text, then "\n" and its NUL (jsonlog writes sizeof("\n")).
        let records: Vec<String> =
            bytes.split(|&b| b == 0).map(|r| String::from_utf8_lossy(r).into_owned()).filter(|r| r.contains("jsonlog-test")).collect();
        if records.len() == 2 || Instant::now() > deadline {
            assert!(bytes.ends_with(b"}\n\0"), "{bytes:?}");
            break records;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let now = janus::utils::real_time();
    let lines = ["jsonlog-test one\n", "[WARN] jsonlog-test \"two\" 2\n"];
    assert_eq!(records.len(), 2, "{records:?}");
    for (record, line) in records.iter().zip(lines) {
        assert!(record.ends_with('\n'), "{record:?}");
        let json = janus::abi::json::parse(record.trim_end()).unwrap();
        let keys: Vec<&str> = json.as_object().unwrap().iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["timestamp", "line"]);
        let stamp = json.get("timestamp").and_then(Json::as_i64).unwrap();
        assert!(stamp >= before && stamp <= now, "real-time µs: {stamp}");
        assert_eq!(json.get("line").and_then(Json::as_str), Some(line));
    }

    let info: Json = Object::new().with("request", "info").into();
    assert_eq!(
        QueryableModule::handle_request(logger.as_ref(), Some(&info)),
        AdminResponse::Json(janus::abi::json::parse(r#"{"result":200}"#).unwrap())
    );

    // Exit as Janus does it: the log pipeline stops, then the loggers are destroyed.
    log::shutdown();
    log::clear_sinks();
    logger.destroy();
    logger.destroy();
}

/// Calls a probe accessor `fn() -> R` / `fn(A) -> R` by name.
macro_rules! probe_call {
    ($module:expr, $name:literal -> $ret:ty $(, $arg:expr => $aty:ty)?) => {{
        let f = $module.symbol($name).expect($name);
        // SAFETY: the probe defines the symbol with this signature.
        let f: unsafe extern "C" fn($($aty)?) -> $ret = unsafe { std::mem::transmute(f) };
        unsafe { f($($arg)?) }
    }};
}

fn c_text(p: *const libc::c_char) -> String {
    assert!(!p.is_null());
    // SAFETY: the probe returns NUL-terminated strings it keeps.
    unsafe { std::ffi::CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn event_handler_module_sees_janus_conventions() {
    let include = support::manifest_dir().join("include");
    let path = support::build_c_module("evh_probe", &["tests/c/evh_probe.c"], &include);
    let module = load(&path, ModuleKind::EventHandler).expect("probe loads");
    let probe = support::Module::open(&path).unwrap();
    let configs = support::scratch_dir("events-probe");
    // The probe's init returns -1: Janus ignores an event handler's init result.
    let evh = start_event_handler(&module, &configs).expect("an event handler");
    assert_eq!(c_text(probe_call!(probe, "probe_evh_folder" -> *const libc::c_char)), configs.to_str().unwrap());
    assert_eq!(evh.mask(), u64::from(events::SESSION | events::CORE));

    let bus = EventBus::start(true, "Probe", vec![evh.clone() as Arc<dyn EventHandler>]).unwrap();
    let session = |id| Event::Session { session_id: id, what: SessionEvent::Timeout };
    let attached = || Event::Handle {
        handle: handle(1, 2, None),
        what: HandleEvent::Attached,
        plugin: Some("janus.plugin.echotest".into()),
        token: Some("t".into()),
    };
    bus.notify_at(session(1), 10);
    bus.notify_at(attached(), 11);
    bus.notify_at(session(2), 12);
    let kept = || probe_call!(probe, "probe_kept_count" -> libc::c_int);
    wait_for("two session events", || kept() == 2);
    // The module widens its mask itself: the bus sees it on the next event.
    probe_call!(probe, "probe_set_mask" -> (), usize::MAX => usize);
    bus.notify_at(attached(), 13);
    wait_for("the handle event", || kept() == 3);
    bus.shutdown();

    let expected = [
        r#"{"emitter":"Probe","type":1,"timestamp":10,"session_id":1,"event":{"name":"timeout"}}"#,
        r#"{"emitter":"Probe","type":1,"timestamp":12,"session_id":2,"event":{"name":"timeout"}}"#,
        r#"{"emitter":"Probe","type":2,"timestamp":13,"session_id":1,"handle_id":2,"event":{"name":"attached","plugin":"janus.plugin.echotest","token":"t"}}"#,
    ];
    for (i, want) in expected.iter().enumerate() {
        let i = i as libc::c_int;
        // Borrowed: one reference (the core's) during the call; the module's own
        // reference is all that is left afterwards, and the value is intact.
        assert_eq!(probe_call!(probe, "probe_refcount_on_entry" -> usize, i => libc::c_int), 1);
        assert_eq!(probe_call!(probe, "probe_refcount_now" -> usize, i => libc::c_int), 1);
        let text = probe_call!(probe, "probe_dump" -> *mut libc::c_char, i => libc::c_int);
        assert_eq!(c_text(text), *want);
        // SAFETY: json_dumps output is malloc'ed.
        unsafe { libc::free(text.cast()) };
    }

    // handle_request borrows the request and hands its response over.
    let request: Json = Object::new().with("request", "x").into();
    assert_eq!(evh.handle_request(Some(&request)), AdminResponse::Json(janus::abi::json::parse(r#"{"seen":{"request":"x"}}"#).unwrap()));
    assert_eq!(probe_call!(probe, "probe_request_refcount" -> usize), 1);
    assert_eq!(evh.handle_request(None), AdminResponse::Json(janus::abi::json::parse(r#"{"seen":null}"#).unwrap()));

    evh.destroy();
    evh.destroy();
    assert_eq!(probe_call!(probe, "probe_evh_destroyed" -> libc::c_int), 1);
}

#[test]
fn logger_module_sees_janus_conventions() {
    let include = support::manifest_dir().join("include");
    let path = support::build_c_module("logger_probe", &["tests/c/logger_probe.c"], &include);
    let module = load(&path, ModuleKind::Logger).expect("probe loads");
    let probe = support::Module::open(&path).unwrap();
    let configs = support::scratch_dir("events-logger-probe");
    let logger = start_logger(&module, "ProbeServer", &configs).expect("a logger");
    assert_eq!(c_text(probe_call!(probe, "probe_logger_server" -> *const libc::c_char)), "ProbeServer");
    assert_eq!(c_text(probe_call!(probe, "probe_logger_folder" -> *const libc::c_char)), configs.to_str().unwrap());
    // No handle_request hook: the Admin API answers that the logger takes no queries.
    assert_eq!(logger.handle_request(None), AdminResponse::NoHook);

    let sink = loggers::sink(logger.clone());
    sink(1_700_000_000_000_001, c"first line\n");
    logger.incoming_logline(7, c"second");
    assert_eq!(probe_call!(probe, "probe_line_count" -> libc::c_int), 2);
    let line = |i: libc::c_int| c_text(probe_call!(probe, "probe_line" -> *const libc::c_char, i => libc::c_int));
    let stamp = |i: libc::c_int| probe_call!(probe, "probe_line_stamp" -> i64, i => libc::c_int);
    assert_eq!((stamp(0), line(0).as_str()), (1_700_000_000_000_001, "first line\n"));
    assert_eq!((stamp(1), line(1).as_str()), (7, "second"));

    logger.destroy();
    logger.destroy();
    assert_eq!(probe_call!(probe, "probe_logger_destroyed" -> libc::c_int), 1);
}
