//! End to end with headless Chromium running Debian's unchanged `janus.js` (with its
//! `adapter.js`) against a gateway, over the stock HTTP transport (and, for the EchoTest,
//! the stock WebSockets transport too): fake camera and microphone, real VP8/Opus encoders
//! and decoders, Chromium's ICE, DTLS, SRTP and SCTP.
//! Each page reports what `RTCPeerConnection.getStats()` and the data channels showed by
//! POSTing JSON to the test's page server; the same assertions run against
//! `/usr/bin/janus` (proving the pages) and against ours. The tests skip, saying so, when
//! Debian's `chromium` is not installed.

mod support;

use std::path::Path;
use std::time::Duration;

use janus::json::Json;
use support::browser::{chromium, skip, Browser, PageServer, Route};
use support::gateway::{free_port, ConfigsFolder, Gateway};
use support::json::expect_int;
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
/// The VideoRoom and TextRoom room the pages use (configured in the plugins' files).
const ROOM: i64 = 1234;

/// Helpers shared by the pages: reporting, a session, attaching, inbound RTP statistics.
const COMMON_JS: &str = r#"
const params = new URLSearchParams(location.search);
const server = params.get('server');
// Numbers the pages wait for before reporting, given by the test.
const frames = Number(params.get('frames'));
const audioPackets = Number(params.get('audio_packets'));
const room = Number(params.get('room'));
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

/// A VideoRoom publisher (audio and small video, sending only, and a data channel) and a
/// subscriber to it, two handles of one page: the subscriber answers the plugin's offer
/// (receiving only, and a data channel of its own as janus.js does) and reports its inbound
/// statistics once enough came, then the publisher's messages as relayed to it. The
/// publisher probes until the relay works (the plugin relays only once the subscriber's
/// association is ready), then sends its message.
const VIDEOROOM_JS: &str = r#"
(async () => {
  const janus = await session();
  let publisherId = null;
  let publisherUp = false;
  let publisherData = false;
  const publisher = await attach(janus, 'janus.plugin.videoroom', {
    onmessage: (msg, jsep) => {
      if (msg.error) fail('publisher', msg.error);
      if (msg.videoroom === 'joined') publisherId = msg.id;
      if (jsep) publisher.handleRemoteJsep({jsep: jsep});
    },
    webrtcState: on => { publisherUp = on; },
    ondataopen: () => { publisherData = true; },
  });
  publisher.send({message: {request: 'join', ptype: 'publisher', room: room, display: 'janus.js'}});
  await until('the publisher joined', () => publisherId !== null, mediaWait);
  publisher.createOffer({
    tracks: [
      {type: 'audio', capture: true, recv: false},
      {type: 'video', capture: {width: 160, height: 120, frameRate: 15}, recv: false},
      {type: 'data'},
    ],
    success: jsep => publisher.send({message: {request: 'publish'}, jsep: jsep}),
    error: e => fail('createOffer', e),
  });
  await until('the publisher webrtcup', () => publisherUp, mediaWait);

  let subscriberUp = false;
  const relayed = [];
  const subscriber = await attach(janus, 'janus.plugin.videoroom', {
    onmessage: (msg, jsep) => {
      if (msg.error) fail('subscriber', msg.error);
      if (!jsep) return;
      subscriber.createAnswer({
        jsep: jsep,
        tracks: [{type: 'data'}],
        success: answer => subscriber.send({message: {request: 'start', room: room}, jsep: answer}),
        error: e => fail('createAnswer', e),
      });
    },
    webrtcState: on => { subscriberUp = on; },
    ondata: (data, label) => relayed.push({label: label, data: data}),
  });
  subscriber.send({message: {request: 'join', ptype: 'subscriber', room: room, streams: [{feed: publisherId}]}});
  await until('the subscriber webrtcup', () => subscriberUp, mediaWait);
  const stats = await inboundWhen(subscriber, s => s.video.framesDecoded >= frames && s.audio.packetsReceived >= audioPackets);
  await until('the publisher data channel', () => publisherData, mediaWait);
  const end = Date.now() + mediaWait;
  for (let probe = 0; relayed.length === 0 && Date.now() < end; probe++) {
    publisher.data({text: 'probe ' + probe, error: e => fail('data', e)});
    await sleep(200);
  }
  publisher.data({text: 'to the subscribers', error: e => fail('data', e)});
  await until('the relayed message', () => relayed.some(r => r.data === 'to the subscribers'), mediaWait);
  await report('videoroom', {stats: stats, publisher: publisherId, relayed: relayed});
  janus.destroy();
})().catch(e => fail('videoroom', e));
"#;

/// Two TextRoom participants, one handle each: each answers the plugin's data channel
/// offer; Alice joins, Bob joins, Alice writes to the room, Bob whispers to Alice, Alice
/// leaves. The page reports every TextRoom message each received, in order.
const TEXTROOM_JS: &str = r#"
async function participant(janus, username) {
  const p = {username: username, open: false, messages: []};
  p.handle = await attach(janus, 'janus.plugin.textroom', {
    onmessage: (msg, jsep) => {
      if (msg.error) fail(username, msg.error);
      if (!jsep) return;
      p.handle.createAnswer({
        jsep: jsep,
        tracks: [{type: 'data'}],
        success: answer => p.handle.send({message: {request: 'ack'}, jsep: answer}),
        error: e => fail('createAnswer', e),
      });
    },
    ondataopen: () => { p.open = true; },
    ondata: data => p.messages.push(JSON.parse(data)),
  });
  p.handle.send({message: {request: 'setup'}});
  return p;
}

function send(p, request) {
  p.handle.data({text: JSON.stringify(request), error: e => fail('data', e)});
}

// Waits until `p` received a message of type `textroom` that `check` accepts.
function received(p, textroom, check) {
  const found = () => p.messages.some(m => m.textroom === textroom && check(m));
  return until(p.username + ' receiving ' + textroom, found, mediaWait);
}
const any = () => true;
const transaction = t => m => m.transaction === t;

(async () => {
  const janus = await session();
  const alice = await participant(janus, 'alice');
  const bob = await participant(janus, 'bob');
  await until('the data channels', () => alice.open && bob.open, mediaWait);

  send(alice, {textroom: 'join', transaction: 'a1', room: room, username: 'alice', display: 'Alice'});
  await received(alice, 'success', transaction('a1'));
  send(bob, {textroom: 'join', transaction: 'b1', room: room, username: 'bob', display: 'Bob'});
  await received(bob, 'success', transaction('b1'));
  await received(alice, 'join', m => m.username === 'bob');

  send(alice, {textroom: 'message', transaction: 'a2', room: room, text: 'hello room'});
  await received(alice, 'success', transaction('a2'));
  await received(alice, 'message', m => m.text === 'hello room');
  await received(bob, 'message', m => m.text === 'hello room');

  send(bob, {textroom: 'message', transaction: 'b2', room: room, to: 'alice', text: 'psst'});
  await received(bob, 'success', transaction('b2'));
  await received(alice, 'message', m => m.text === 'psst');

  send(alice, {textroom: 'leave', transaction: 'a3', room: room});
  await received(alice, 'success', transaction('a3'));
  await received(bob, 'leave', m => m.username === 'alice');

  await report('textroom', {alice: alice.messages, bob: bob.messages});
  janus.destroy();
})().catch(e => fail('textroom', e));
"#;

/// How the page reaches the Janus API: the stock HTTP transport (REST and long polls) or
/// the stock WebSockets transport.
#[derive(Clone, Copy)]
enum Transport {
    Http,
    WebSockets,
}

/// A gateway for one test and the Janus API address the page gives janus.js.
struct Server {
    gateway: Gateway,
    janus_url: String,
}

/// Starts the gateway with `plugins` (and `files` written to its configs folder), media on
/// the namespace's gateway end only, the Janus API on `transport` too.
fn start_gateway(binary: &Path, dir: &Path, plugins: &[&str], files: &[(&str, String)], transport: Transport) -> Server {
    let transports: &[&str] = match transport {
        Transport::Http => &["http"],
        Transport::WebSockets => &["http", "websockets"],
    };
    let mut configs = ConfigsFolder::with_modules(dir, plugins, transports, &[], &[]);
    configs.set_item("nat", "ice_enforce_list", &format!("\"{GATEWAY_INTERFACE}\""));
    for (name, text) in files {
        configs.write(name, text);
    }
    let janus_url = match transport {
        Transport::Http => format!("http://127.0.0.1:{}/janus", configs.http_port),
        Transport::WebSockets => {
            let port = free_port();
            configs.write(
                "janus.transport.websockets.jcfg",
                &format!(
                    "general: {{\n\tjson = \"compact\"\n\tws = true\n\tws_port = {port}\n\tws_ip = \"127.0.0.1\"\n\twss = false\n}}\n\
                     admin: {{\n\tadmin_ws = false\n\tadmin_wss = false\n}}\n"
                ),
            );
            format!("ws://127.0.0.1:{port}")
        }
    };
    Server { gateway: Gateway::start(binary, &configs), janus_url }
}

/// Serves `script` as `/test.html`, opens it in Chromium against `server`, and returns
/// the page's report `name`; the browser is gone when this returns.
fn run_page(chromium: &Path, server: &Server, dir: &Path, script: &str, name: &str) -> Json {
    let mut routes = Route::janus_js();
    routes.push(Route::script("/common.js", COMMON_JS));
    routes.push(Route::html("/test.html", &page(script)));
    let pages = PageServer::start(routes);
    let janus = &server.janus_url;
    let url = pages.url(&format!("/test.html?server={janus}&frames={FRAMES}&audio_packets={AUDIO_PACKETS}&room={ROOM}"));
    let mut browser = Browser::open(chromium, &url, dir);
    let result = pages.wait_report(name, PAGE_WAIT, &mut browser);
    eprintln!("{name}: {}", result.to_compact_string());
    drop(browser);
    assert!(server.gateway.is_running(), "the gateway died:\n{}", server.gateway.log_tail());
    result
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
    assert!(expect_int(stats, &["video", "framesDecoded"]) >= FRAMES, "{what}: too few video frames decoded: {text}");
    assert!(expect_int(stats, &["audio", "packetsReceived"]) >= AUDIO_PACKETS, "{what}: too little audio received: {text}");
    assert!(expect_int(stats, &["audio", "bytesReceived"]) > 0, "{what}: no audio bytes: {text}");
}

fn echotest(binary: &Path, test: &str, transport: Transport) {
    let Some(chromium) = chromium() else { return skip(test) };
    in_private_network(|_| {
        let dir = support::scratch_dir(test);
        let server = start_gateway(binary, &dir, &["echotest"], &[], transport);
        let result = run_page(chromium, &server, &dir, ECHOTEST_JS, "echotest");
        check_media(result.get("stats").expect("stats"), "echotest");
        assert_eq!(strings_at(&result, "echoed"), [format!("{ECHOTEST_PREFIX}hello from janus.js")], "{}", result.to_compact_string());
    });
}

reference_and_ours!(echotest_reference_janus, echotest_ours: echotest, "browser-echotest", Transport::Http);
reference_and_ours!(echotest_websockets_reference_janus, echotest_websockets_ours: echotest, "browser-echotest-websockets", Transport::WebSockets);

fn videoroom(binary: &Path, test: &str) {
    let Some(chromium) = chromium() else { return skip(test) };
    in_private_network(|_| {
        let dir = support::scratch_dir(test);
        let room = format!("room-{ROOM}: {{\n\tdescription = \"janus.js\"\n\tpublishers = 2\n}}\n");
        let server = start_gateway(binary, &dir, &["videoroom"], &[("janus.plugin.videoroom.jcfg", room)], Transport::Http);
        let result = run_page(chromium, &server, &dir, VIDEOROOM_JS, "videoroom");
        check_media(result.get("stats").expect("stats"), "videoroom subscriber");
        // The publisher's messages reached the subscriber on the channel the gateway
        // opened for them, labelled with the publisher's id: probes, then the message.
        let label = expect_int(&result, &["publisher"]).to_string();
        let relayed = match result.get("relayed") {
            Some(Json::Array(relayed)) => relayed.clone(),
            _ => panic!("no relayed in {}", result.to_compact_string()),
        };
        let texts: Vec<&str> = relayed.iter().filter_map(|r| r.get("data").and_then(Json::as_str)).collect();
        assert_eq!(texts.last(), Some(&"to the subscribers"), "{relayed:?}");
        assert!(texts[..texts.len() - 1].iter().all(|t| t.starts_with("probe ")), "{relayed:?}");
        assert!(relayed.iter().all(|r| r.get("label").and_then(Json::as_str) == Some(label.as_str())), "label {label}: {relayed:?}");
    });
}

reference_and_ours!(videoroom_reference_janus, videoroom_ours: videoroom, "browser-videoroom");

/// The TextRoom messages of `list` of type `textroom` that `check` accepts.
fn messages<'a>(list: &'a [Json], textroom: &str, check: impl Fn(&Json) -> bool) -> Vec<&'a Json> {
    list.iter().filter(|m| m.get("textroom").and_then(Json::as_str) == Some(textroom) && check(m)).collect()
}

fn str_of<'a>(value: &'a Json, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Json::as_str)
}

fn textroom(binary: &Path, test: &str) {
    let Some(chromium) = chromium() else { return skip(test) };
    in_private_network(|_| {
        let dir = support::scratch_dir(test);
        let room = format!("room-{ROOM}: {{\n\tdescription = \"janus.js\"\n}}\n");
        let server = start_gateway(binary, &dir, &["textroom"], &[("janus.plugin.textroom.jcfg", room)], Transport::Http);
        let result = run_page(chromium, &server, &dir, TEXTROOM_JS, "textroom");
        let list = |who: &str| match result.get(who) {
            Some(Json::Array(list)) => list.clone(),
            _ => panic!("no {who} in {}", result.to_compact_string()),
        };
        let (alice, bob) = (list("alice"), list("bob"));
        let text = format!("alice: {alice:?}\nbob: {bob:?}");
        let participants = |m: &Json| match m.get("participants") {
            Some(Json::Array(p)) => p.clone(),
            _ => panic!("no participants in {m:?}"),
        };

        // Joining: Alice was alone; Bob found her there and she saw him come.
        let joined = messages(&alice, "success", |m| str_of(m, "transaction") == Some("a1"));
        assert_eq!(joined.len(), 1, "{text}");
        assert!(participants(joined[0]).is_empty(), "{text}");
        let joined = messages(&bob, "success", |m| str_of(m, "transaction") == Some("b1"));
        assert_eq!(joined.len(), 1, "{text}");
        let others = participants(joined[0]);
        assert_eq!(others.len(), 1, "{text}");
        assert_eq!((str_of(&others[0], "username"), str_of(&others[0], "display")), (Some("alice"), Some("Alice")), "{text}");
        let came = |m: &Json| str_of(m, "username") == Some("bob") && str_of(m, "display") == Some("Bob");
        assert_eq!(messages(&alice, "join", came).len(), 1, "{text}");

        // The room message reached both, from Alice, not as a whisper.
        let public = |m: &Json| str_of(m, "text") == Some("hello room") && str_of(m, "from") == Some("alice") && m.get("whisper").is_none();
        assert_eq!(messages(&alice, "message", public).len(), 1, "{text}");
        assert_eq!(messages(&bob, "message", public).len(), 1, "{text}");

        // The whisper reached Alice only.
        let whisper = |m: &Json| {
            str_of(m, "text") == Some("psst") && str_of(m, "from") == Some("bob") && m.get("whisper").and_then(Json::as_bool) == Some(true)
        };
        assert_eq!(messages(&alice, "message", whisper).len(), 1, "{text}");
        assert!(messages(&bob, "message", |m| str_of(m, "text") == Some("psst")).is_empty(), "{text}");

        // Bob saw Alice leave.
        let left = |m: &Json| str_of(m, "username") == Some("alice") && m.get("room").and_then(Json::as_i64) == Some(ROOM);
        assert_eq!(messages(&bob, "leave", left).len(), 1, "{text}");
    });
}

reference_and_ours!(textroom_reference_janus, textroom_ours: textroom, "browser-textroom");
