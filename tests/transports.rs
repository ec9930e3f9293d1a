//! The Janus API over the stock transports other than HTTP, on a running gateway: the
//! WebSockets transport (`janus-protocol` subprotocol, with a minimal client here) and the
//! Unix-socket transport pfunix (SOCK_SEQPACKET). Sessions, handles, plugin messages and
//! their events, keepalives, and what happens to a session when its connection goes:
//! destroyed at once without a reclaim timeout, claimable by another connection with one.

mod support;

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::Path;
use std::time::{Duration, Instant};

use janus::json::Json;
use support::gateway::{binary_under_test, parse_json, ConfigsFolder, Gateway};

const WAIT: Duration = Duration::from_secs(10);

/// A Janus API connection that carries one JSON message per frame/packet.
trait Channel {
    fn send_text(&mut self, text: &str);
    /// The next message, or `None` when nothing came within `timeout` or the peer closed.
    fn recv_text(&mut self, timeout: Duration) -> Option<String>;
    /// Messages received while waiting for another one, kept for later [`expect`]s: an
    /// asynchronous event may overtake the `ack` of the request that caused it.
    ///
    /// [`expect`]: Channel::expect
    fn set_aside(&mut self) -> &mut Vec<Json>;

    /// Sends `request` (a JSON object text without transaction) with transaction `t`.
    fn send(&mut self, t: &str, request: &str) {
        let rest = request.trim_start().strip_prefix('{').expect("a JSON object");
        self.send_text(&format!(r#"{{"transaction":"{t}",{rest}"#));
    }

    /// Waits (bounded) for a message satisfying `wanted`, setting others aside.
    fn expect(&mut self, what: &str, wanted: &dyn Fn(&Json) -> bool) -> Json {
        if let Some(i) = self.set_aside().iter().position(wanted) {
            return self.set_aside().remove(i);
        }
        let deadline = Instant::now() + WAIT;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.recv_text(left) {
                Some(text) => {
                    let message = parse_json(&text);
                    if wanted(&message) {
                        return message;
                    }
                    self.set_aside().push(message);
                }
                None => break,
            }
        }
        panic!("no {what} within {WAIT:?}; got {:#?}", self.set_aside());
    }

    /// Sends a request and returns the reply with the same transaction whose `janus` is
    /// not `ack` (or the `ack` itself when `ack` is true).
    fn call(&mut self, t: &str, request: &str, ack: bool) -> Json {
        self.send(t, request);
        self.expect(&format!("reply to {request}"), &|m| str_of(m, "transaction") == Some(t) && (str_of(m, "janus") == Some("ack")) == ack)
    }
}

fn str_of<'a>(v: &'a Json, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Json::as_str)
}

fn id_of(reply: &Json) -> i64 {
    reply.get("data").and_then(|d| d.get("id")).and_then(Json::as_i64).unwrap_or_else(|| panic!("no data.id in {reply:?}"))
}

// ---- WebSockets ----

/// The shared WebSocket client, with the messages set aside by [`Channel::expect`].
struct WebSocket {
    socket: support::websocket::WebSocket,
    aside: Vec<Json>,
}

impl WebSocket {
    fn connect(port: u16) -> WebSocket {
        WebSocket { socket: support::websocket::WebSocket::connect(port, WAIT), aside: Vec::new() }
    }

    fn close(mut self) {
        self.socket.close();
    }
}

impl Channel for WebSocket {
    fn set_aside(&mut self) -> &mut Vec<Json> {
        &mut self.aside
    }

    fn send_text(&mut self, text: &str) {
        self.socket.send_text(text);
    }

    fn recv_text(&mut self, timeout: Duration) -> Option<String> {
        self.socket.recv_text(timeout)
    }
}

// ---- Unix sockets ----

/// A SOCK_SEQPACKET client of pfunix: one JSON message per packet.
struct SeqPacket {
    fd: OwnedFd,
    aside: Vec<Json>,
}

impl SeqPacket {
    fn connect(path: &Path) -> SeqPacket {
        use std::os::unix::ffi::OsStrExt;
        let bytes = path.as_os_str().as_bytes();
        // SAFETY: plain socket calls on a descriptor we own; sockaddr_un is zeroed and the
        // path (checked shorter than sun_path) copied in.
        unsafe {
            let raw = libc::socket(libc::AF_UNIX, libc::SOCK_SEQPACKET, 0);
            assert!(raw >= 0, "socket(): {}", std::io::Error::last_os_error());
            let fd = OwnedFd::from_raw_fd(raw);
            let mut addr: libc::sockaddr_un = std::mem::zeroed();
            addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
            assert!(bytes.len() < addr.sun_path.len());
            for (d, s) in addr.sun_path.iter_mut().zip(bytes) {
                *d = *s as libc::c_char;
            }
            let len = std::mem::size_of::<libc::sockaddr_un>() as libc::socklen_t;
            let r = libc::connect(fd.as_raw_fd(), &addr as *const _ as *const libc::sockaddr, len);
            assert_eq!(r, 0, "connect({}): {}", path.display(), std::io::Error::last_os_error());
            SeqPacket { fd, aside: Vec::new() }
        }
    }
}

impl Channel for SeqPacket {
    fn set_aside(&mut self) -> &mut Vec<Json> {
        &mut self.aside
    }

    fn send_text(&mut self, text: &str) {
        // SAFETY: sending from a live buffer on our socket.
        let n = unsafe { libc::send(self.fd.as_raw_fd(), text.as_ptr().cast(), text.len(), 0) };
        assert_eq!(n, text.len() as isize, "send: {}", std::io::Error::last_os_error());
    }

    fn recv_text(&mut self, timeout: Duration) -> Option<String> {
        let mut poll = libc::pollfd { fd: self.fd.as_raw_fd(), events: libc::POLLIN, revents: 0 };
        // SAFETY: one pollfd for our socket.
        let ready = unsafe { libc::poll(&mut poll, 1, timeout.as_millis().min(i32::MAX as u128) as i32) };
        if ready <= 0 {
            return None;
        }
        let mut buffer = vec![0u8; 1 << 16];
        // SAFETY: receiving into our buffer, within its length.
        let n = unsafe { libc::recv(self.fd.as_raw_fd(), buffer.as_mut_ptr().cast(), buffer.len(), 0) };
        if n <= 0 {
            return None;
        }
        buffer.truncate(n as usize);
        Some(String::from_utf8(buffer).expect("UTF-8 JSON"))
    }
}

// ---- the gateway ----

struct Setup {
    configs: ConfigsFolder,
    ws_port: u16,
    unix_path: std::path::PathBuf,
}

/// A configs folder with HTTP (to see the gateway is up, and to look at sessions from
/// outside), WebSockets on a free loopback port, and pfunix on a socket under the temp dir.
fn setup(name: &str) -> Setup {
    let dir = support::scratch_dir(&format!("transports/{name}"));
    let mut configs = ConfigsFolder::with_modules(&dir, &["echotest"], &["http", "pfunix"], &[], &[]);
    let ws_port = configs.enable_websockets();
    // Short, whatever the checkout's path: a Unix socket path must fit in 108 bytes.
    let unix_path = std::env::temp_dir().join(format!("janus-rs-{}-{name}.sock", std::process::id()));
    let _ = std::fs::remove_file(&unix_path);
    configs.write(
        "janus.transport.pfunix.jcfg",
        &format!(
            "general: {{\n\tenabled = true\n\tjson = \"compact\"\n\tpath = \"{}\"\n\ttype = \"SOCK_SEQPACKET\"\n}}\n\
             admin: {{\n\tadmin_enabled = false\n}}\n",
            unix_path.display()
        ),
    );
    Setup { configs, ws_port, unix_path }
}

/// create, attach EchoTest, a message with its asynchronous event, keepalive, detach,
/// destroy: the replies and events in Janus' shape. Returns nothing; panics on a mismatch.
fn exercise(channel: &mut dyn Channel) {
    let created = channel.call("c", r#"{"janus":"create"}"#, false);
    assert_eq!(str_of(&created, "janus"), Some("success"), "{created:?}");
    let session = id_of(&created);
    let attached = channel.call("a", &format!(r#"{{"janus":"attach","session_id":{session},"plugin":"janus.plugin.echotest"}}"#), false);
    assert_eq!(str_of(&attached, "janus"), Some("success"), "{attached:?}");
    assert_eq!(attached.get("session_id").and_then(Json::as_i64), Some(session), "{attached:?}");
    let handle = id_of(&attached);

    let ack =
        channel.call("m", &format!(r#"{{"janus":"message","session_id":{session},"handle_id":{handle},"body":{{"audio":true}}}}"#), true);
    assert_eq!(ack.get("session_id").and_then(Json::as_i64), Some(session), "{ack:?}");
    let event = channel.expect("the EchoTest event", &|m| str_of(m, "janus") == Some("event") && str_of(m, "transaction") == Some("m"));
    assert_eq!(event.get("sender").and_then(Json::as_i64), Some(handle), "{event:?}");
    let plugindata = event.get("plugindata").expect("plugindata");
    assert_eq!(str_of(plugindata, "plugin"), Some("janus.plugin.echotest"), "{event:?}");
    let data = plugindata.get("data").expect("plugindata.data");
    assert_eq!((str_of(data, "echotest"), str_of(data, "result")), (Some("event"), Some("ok")), "{event:?}");

    let keepalive = channel.call("k", &format!(r#"{{"janus":"keepalive","session_id":{session}}}"#), true);
    assert_eq!(keepalive.get("session_id").and_then(Json::as_i64), Some(session), "{keepalive:?}");

    let detached = channel.call("d", &format!(r#"{{"janus":"detach","session_id":{session},"handle_id":{handle}}}"#), false);
    assert_eq!(str_of(&detached, "janus"), Some("success"), "{detached:?}");
    channel.expect("the detached event", &|m| {
        str_of(m, "janus") == Some("detached") && m.get("sender").and_then(Json::as_i64) == Some(handle)
    });
    let destroyed = channel.call("x", &format!(r#"{{"janus":"destroy","session_id":{session}}}"#), false);
    assert_eq!(str_of(&destroyed, "janus"), Some("success"), "{destroyed:?}");
    let gone = channel.call("g", &format!(r#"{{"janus":"keepalive","session_id":{session}}}"#), false);
    assert_eq!(gone.get("error").and_then(|e| e.get("code")).and_then(Json::as_i64), Some(458), "{gone:?}");
}

/// Whether the session exists, asked over HTTP (any transport reaches any session).
fn session_exists(gateway: &Gateway, session: i64) -> bool {
    let reply = gateway.post(&format!("/janus/{session}"), r#"{"janus":"keepalive","transaction":"probe"}"#);
    match str_of(&reply, "janus") {
        Some("ack") => true,
        Some("error") => false,
        _ => panic!("keepalive over HTTP: {reply:?}"),
    }
}

/// Starts the gateway on `s`. The stock pfunix module starts its thread before marking
/// itself initialized, and the thread quits at once (removing its sockets) when it looks
/// first: a race of the module itself, under /usr/bin/janus too, that a loaded machine
/// hits now and then. A gateway that lost it is stopped and started again (3 tries).
fn start_gateway(s: &Setup, args: &[&str]) -> Gateway {
    for _ in 0..3 {
        let gateway = Gateway::start_with(&binary_under_test(), &s.configs, args);
        if !gateway.log_text().contains("Unix Sockets thread ended") {
            return gateway;
        }
    }
    panic!("the pfunix thread ended at startup three times in a row");
}

/// Waits (bounded) for the pfunix transport's socket; the gateway's log on failure.
#[track_caller]
fn wait_for_socket(s: &Setup, gateway: &Gateway) {
    let deadline = Instant::now() + WAIT;
    while !s.unix_path.exists() {
        assert!(Instant::now() < deadline, "no pfunix socket at {} within {WAIT:?}:\n{}", s.unix_path.display(), gateway.log_tail());
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[track_caller]
fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !done() {
        assert!(Instant::now() < deadline, "{what} within {WAIT:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn janus_api_over_websockets_and_unix_sockets() {
    let s = setup("api");
    let gateway = start_gateway(&s, &["-o"]);
    let mut ws = WebSocket::connect(s.ws_port);
    exercise(&mut ws);
    wait_for_socket(&s, &gateway);
    let mut unix = SeqPacket::connect(&s.unix_path);
    exercise(&mut unix);
    // A request that is not JSON gets Janus' error on both.
    for channel in [&mut ws as &mut dyn Channel, &mut unix] {
        channel.send_text("not json");
        let error = channel.expect("an error", &|m| str_of(m, "janus") == Some("error"));
        assert_eq!(error.get("error").and_then(|e| e.get("code")).and_then(Json::as_i64), Some(454), "{error:?}");
    }
    ws.close();
    drop(gateway);
}

#[test]
fn a_closed_websocket_takes_its_sessions_without_reclaim_timeout() {
    let s = setup("gone");
    let gateway = start_gateway(&s, &["-o"]);
    let mut ws = WebSocket::connect(s.ws_port);
    let session = id_of(&ws.call("c", r#"{"janus":"create"}"#, false));
    ws.call("a", &format!(r#"{{"janus":"attach","session_id":{session},"plugin":"janus.plugin.echotest"}}"#), false);
    assert!(session_exists(&gateway, session));
    ws.close();
    wait_until("the session destroyed with its connection", || !session_exists(&gateway, session));
}

#[test]
fn another_connection_claims_a_session_within_the_reclaim_timeout() {
    let s = setup("claim");
    let gateway = start_gateway(&s, &["-o", "-m", "20"]);

    // Claimed while the first connection is still open: events go to the new one, and the
    // old one closing no longer ends the session.
    let mut first = WebSocket::connect(s.ws_port);
    let session = id_of(&first.call("c", r#"{"janus":"create"}"#, false));
    let handle =
        id_of(&first.call("a", &format!(r#"{{"janus":"attach","session_id":{session},"plugin":"janus.plugin.echotest"}}"#), false));
    let mut second = WebSocket::connect(s.ws_port);
    let claimed = second.call("cl", &format!(r#"{{"janus":"claim","session_id":{session}}}"#), false);
    assert_eq!(str_of(&claimed, "janus"), Some("success"), "{claimed:?}");
    first.send("m1", &format!(r#"{{"janus":"message","session_id":{session},"handle_id":{handle},"body":{{"audio":false}}}}"#));
    second
        .expect("the event on the claiming connection", &|m| str_of(m, "janus") == Some("event") && str_of(m, "transaction") == Some("m1"));
    first.close();
    std::thread::sleep(Duration::from_millis(500));
    assert!(session_exists(&gateway, session), "the session outlives its former connection");

    // Reclaimed after its connection went: kept for the reclaim timeout, then claimable.
    let mut third = WebSocket::connect(s.ws_port);
    let session2 = id_of(&third.call("c", r#"{"janus":"create"}"#, false));
    let handle2 =
        id_of(&third.call("a", &format!(r#"{{"janus":"attach","session_id":{session2},"plugin":"janus.plugin.echotest"}}"#), false));
    third.close();
    std::thread::sleep(Duration::from_millis(500));
    assert!(session_exists(&gateway, session2), "kept during the reclaim timeout");
    let mut unix_path_client = {
        wait_for_socket(&s, &gateway);
        SeqPacket::connect(&s.unix_path)
    };
    let claimed = unix_path_client.call("cl2", &format!(r#"{{"janus":"claim","session_id":{session2}}}"#), false);
    assert_eq!(str_of(&claimed, "janus"), Some("success"), "{claimed:?}");
    unix_path_client.send("m2", &format!(r#"{{"janus":"message","session_id":{session2},"handle_id":{handle2},"body":{{"audio":true}}}}"#));
    unix_path_client.expect("the event on the reclaiming connection", &|m| {
        str_of(m, "janus") == Some("event") && str_of(m, "transaction") == Some("m2")
    });
    second.close();
    drop(gateway);
}
