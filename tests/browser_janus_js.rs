//! End to end with headless Chromium running Debian's unchanged `janus.js` (with its
//! `adapter.js`) against a gateway, over the stock HTTP transport: fake camera and
//! microphone, real VP8/Opus encoders and decoders, Chromium's ICE, DTLS, SRTP and SCTP.
//! Each page reports what `RTCPeerConnection.getStats()` and the data channels showed by
//! POSTing JSON to the test's page server; the same assertions run against
//! `/usr/bin/janus` (proving the pages) and against ours. The tests skip, saying so, when
//! Debian's `chromium` is not installed.

mod support;

use std::path::Path;
use std::time::Duration;

use janus::json::Json;
use support::browser::{chromium, skip, Browser, PageServer, Route};
use support::gateway::{binary_under_test, ConfigsFolder, Gateway, REFERENCE_BINARY};
use support::webrtc::{in_private_network, GATEWAY_INTERFACE};

/// Bound on a page's whole run, from loading to its report (the pages bound their own
/// waits below this).
const PAGE_WAIT: Duration = Duration::from_secs(60);
/// Video frames and audio packets a receiving page must have decoded/received: about two
/// seconds of the fake devices' media.
const FRAMES: i64 = 20;
const AUDIO_PACKETS: i64 = 50;
/// The prefix the EchoTest puts before the text it bounces back.
const ECHOTEST_PREFIX: &str = "Janus EchoTest here! You wrote: ";

/// Helpers shared by the pages: reporting, a session, attaching, inbound RTP statistics.
const COMMON_JS: &str = r#"
const params = new URLSearchParams(location.search);
const server = params.get('server');
// Numbers the pages wait for before reporting, given by the test.
const frames = Number(params.get('frames'));
const audioPackets = Number(params.get('audio_packets'));
// How long a page waits for media before reporting what it has.
const mediaWait = 20000;

function report(name, value) {
  return fetch('/report/' + name, {method: 'POST', body: JSON.stringify(value)});
}
function fail(what, error) {
  const text = (error && (error.message || error.name)) || JSON.stringify(error) || String(error);
  console.error(what + ': ' + text);
  report('error', {what: what, error: String(text)});
}
window.addEventListener('error', e => fail('page', e.message));
window.addEventListener('unhandledrejection', e => fail('promise', e.reason));

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

// Resolves when `condition()` holds, checking every 100 ms; rejects after `timeout` ms.
async function until(what, condition, timeout) {
  const end = Date.now() + timeout;
  while (!condition()) {
    if (Date.now() > end) throw new Error('timed out waiting for ' + what);
    await sleep(100);
  }
}

// Initialises janus.js and creates a session on the gateway.
function session() {
  return new Promise((resolve, reject) => {
    Janus.init({debug: ['warn', 'error'], callback: () => {
      const janus = new Janus({server: server, iceServers: [], success: () => resolve(janus), error: reject});
    }});
  });
}

// Attaches a handle to `plugin`, with janus.js callbacks.
function attach(janus, plugin, callbacks) {
  return new Promise((resolve, reject) => {
    janus.attach(Object.assign({plugin: plugin, success: resolve, error: reject}, callbacks));
  });
}

// Inbound RTP statistics of a handle's PeerConnection, summed per kind.
async function inbound(handle) {
  const totals = {
    audio: {packetsReceived: 0, bytesReceived: 0},
    video: {packetsReceived: 0, bytesReceived: 0, framesDecoded: 0},
  };
  const pc = handle.webrtcStuff.pc;
  if (!pc) return totals;
  (await pc.getStats()).forEach(s => {
    if (s.type !== 'inbound-rtp' || !totals[s.kind]) return;
    for (const key in totals[s.kind]) totals[s.kind][key] += s[key] || 0;
  });
  return totals;
}

// Polls a handle's inbound statistics until `done(stats)` or mediaWait, and returns them.
async function inboundWhen(handle, done) {
  const end = Date.now() + mediaWait;
  for (;;) {
    const stats = await inbound(handle);
    if (done(stats) || Date.now() > end) return stats;
    await sleep(250);
  }
}
"#;

/// A page: the scripts, then the test's own.
fn page(script: &str) -> String {
    format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>janus.js test</title>\n\
         <script src=\"/adapter.js\"></script>\n<script src=\"/janus.js\"></script>\n\
         <script src=\"/common.js\"></script>\n</head><body>\n<script>\n{script}\n</script>\n</body></html>\n"
    )
}

/// The EchoTest with audio, small video and a data channel: the page sends a text once
/// the channel opens, and reports the echo and its inbound statistics once enough came back.
const ECHOTEST_JS: &str = r#"
(async () => {
  const janus = await session();
  let up = false;
  const echoed = [];
  const echotest = await attach(janus, 'janus.plugin.echotest', {
    onmessage: (msg, jsep) => {
      if (msg.error) fail('echotest', msg.error);
      if (jsep) echotest.handleRemoteJsep({jsep: jsep});
    },
    webrtcState: on => { up = on; },
    ondataopen: () => echotest.data({text: 'hello from janus.js', error: e => fail('data', e)}),
    ondata: data => echoed.push(data),
  });
  echotest.createOffer({
    tracks: [
      {type: 'audio', capture: true, recv: true},
      {type: 'video', capture: {width: 160, height: 120, frameRate: 15}, recv: true},
      {type: 'data'},
    ],
    success: jsep => echotest.send({message: {audio: true, video: true}, jsep: jsep}),
    error: e => fail('createOffer', e),
  });
  await until('webrtcup', () => up, mediaWait);
  const stats = await inboundWhen(echotest, s =>
    s.video.framesDecoded >= frames && s.audio.packetsReceived >= audioPackets && echoed.length > 0);
  await report('echotest', {stats: stats, echoed: echoed});
  janus.destroy();
})().catch(e => fail('echotest', e));
"#;

/// What a test needs of the gateway: started with `plugins` (and `files` written to its
/// configs folder), media on the namespace's gateway end only.
fn start_gateway(binary: &Path, dir: &Path, plugins: &[&str], files: &[(&str, String)]) -> Gateway {
    let mut configs = ConfigsFolder::new(dir, plugins);
    configs.set_item("nat", "ice_enforce_list", &format!("\"{GATEWAY_INTERFACE}\""));
    for (name, text) in files {
        configs.write(name, text);
    }
    Gateway::start(binary, &configs)
}

/// Serves `script` as `/test.html`, opens it in Chromium against `gateway`, and returns
/// the page's report `name`; the browser is gone when this returns.
fn run_page(chromium: &Path, gateway: &Gateway, dir: &Path, script: &str, name: &str) -> Json {
    let mut routes = Route::janus_js();
    routes.push(Route::script("/common.js", COMMON_JS));
    routes.push(Route::html("/test.html", &page(script)));
    let server = PageServer::start(routes);
    let janus = format!("http://127.0.0.1:{}/janus", gateway.http_port);
    let url = server.url(&format!("/test.html?server={janus}&frames={FRAMES}&audio_packets={AUDIO_PACKETS}"));
    let mut browser = Browser::open(chromium, &url, dir);
    let result = server.wait_report(name, PAGE_WAIT, &mut browser);
    eprintln!("{name}: {}", result.to_compact_string());
    drop(browser);
    assert!(gateway.is_running(), "the gateway died:\n{}", gateway.log_tail());
    result
}

/// The integer at `path` (object keys) in `value`, or a panic naming it.
fn int_at(value: &Json, path: &[&str]) -> i64 {
    path.iter()
        .try_fold(value, |v, key| v.get(key))
        .and_then(Json::as_i64)
        .unwrap_or_else(|| panic!("no integer at {path:?} in {}", value.to_compact_string()))
}

/// The strings of the array at `key` in `value`.
fn strings_at(value: &Json, key: &str) -> Vec<String> {
    match value.get(key) {
        Some(Json::Array(items)) => items.iter().filter_map(|i| i.as_str().map(String::from)).collect(),
        _ => panic!("no array {key} in {}", value.to_compact_string()),
    }
}

/// Checks a page's inbound statistics: decoded video frames and received audio.
fn check_media(stats: &Json, what: &str) {
    let text = stats.to_compact_string();
    assert!(int_at(stats, &["video", "framesDecoded"]) >= FRAMES, "{what}: too few video frames decoded: {text}");
    assert!(int_at(stats, &["audio", "packetsReceived"]) >= AUDIO_PACKETS, "{what}: too little audio received: {text}");
    assert!(int_at(stats, &["audio", "bytesReceived"]) > 0, "{what}: no audio bytes: {text}");
}

fn echotest(binary: &Path, test: &str) {
    let Some(chromium) = chromium() else { return skip(test) };
    in_private_network(|_| {
        let dir = support::scratch_dir(test);
        let gateway = start_gateway(binary, &dir, &["echotest"], &[]);
        let result = run_page(chromium, &gateway, &dir, ECHOTEST_JS, "echotest");
        check_media(result.get("stats").expect("stats"), "echotest");
        assert_eq!(strings_at(&result, "echoed"), [format!("{ECHOTEST_PREFIX}hello from janus.js")], "{}", result.to_compact_string());
    });
}

#[test]
fn echotest_reference_janus() {
    echotest(Path::new(REFERENCE_BINARY), "browser-echotest-reference");
}

#[test]
fn echotest_ours() {
    echotest(&binary_under_test(), "browser-echotest-ours");
}
