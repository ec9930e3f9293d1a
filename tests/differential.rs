//! Differential test of the Janus and Admin APIs (issue 3): the same scripted sequence of HTTP
//! requests runs against `/usr/bin/janus` 1.1.2 and against our binary, both loading Debian's
//! stock plugins and HTTP transport from a configuration written here, and the two transcripts
//! (every reply and every long-poll event) must be equal once volatile values are normalised.
//!
//! Normalisations (applied identically to both transcripts, see `Normaliser`):
//! - random identifiers (sessions, handles, rooms, VideoRoom publisher ids) the script learns
//!   from replies are replaced, wherever they appear as a number or inside a string, by the
//!   placeholder the script gave them (`<s1>`, `<h2>`, ...), named by order of first appearance;
//! - `transaction` of the reply to `GET /janus/info` (the HTTP transport invents a random one);
//! - timestamps: Admin `handle_info`'s `session_last_activity`, `created`, `current_time`;
//! - build metadata in server info: `commit-hash`, `compile-time`, and the version of each
//!   library under `dependencies` (Janus reports the libnice and OpenSSL it was compiled
//!   against, not the ones loaded; the library names and their order are still compared);
//! - the per-run configuration folder path (`log-path` in server info);
//! - `list_sessions` / `list_handles` arrays are sorted after placeholder substitution, since
//!   Janus returns them in hash-table order, which depends on the random ids.
//!
//! Everything else (key order, error codes and texts, HTTP status) is compared as is.
//!
//! Run: `cargo test --test differential` (the comparison with our binary is
//! `differential_janus_api`; `reference_transcript_is_deterministic` runs the script twice
//! against `/usr/bin/janus` to prove the normalisation leaves no run-dependent value).

mod support;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const REFERENCE_JANUS: &str = "/usr/bin/janus";
const MODULES_DIR: &str = "/usr/lib/x86_64-linux-gnu/janus";
const ADMIN_SECRET: &str = "overlord";
const API_SECRET: &str = "s3cret";

/// Stock plugins left out: they need external services, scripts or media files.
const DISABLED_PLUGINS: &str = "libjanus_duktape.so,libjanus_lua.so,libjanus_sip.so,\
libjanus_nosip.so,libjanus_recordplay.so,libjanus_voicemail.so,libjanus_videocall.so";
const DISABLED_TRANSPORTS: &str = "libjanus_websockets.so,libjanus_pfunix.so,libjanus_mqtt.so,\
libjanus_nanomsg.so,libjanus_rabbitmq.so";

// ---------------------------------------------------------------------------------------------
// The gateway process

/// How a gateway is configured for one part of the script.
#[derive(Clone, Copy)]
enum Setup {
    /// Admin secret only: the Janus API is open.
    Open,
    /// Admin secret, plus `api_secret` and `token_auth` on the Janus API.
    Secured,
}

/// A running gateway; killed (by its PID) when dropped, so also when a test panics.
struct Gateway {
    child: Child,
    dir: PathBuf,
    janus_port: u16,
    admin_port: u16,
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port nobody listens on right now.
fn write_configuration(dir: &Path, setup: Setup, janus_port: u16, admin_port: u16) {
    let secured = match setup {
        Setup::Open => String::new(),
        Setup::Secured => format!("\tapi_secret = \"{API_SECRET}\"\n\ttoken_auth = true\n"),
    };
    let janus = format!(
        "general: {{\n\
         \tconfigs_folder = \"{dir}\"\n\
         \tplugins_folder = \"{MODULES_DIR}/plugins\"\n\
         \ttransports_folder = \"{MODULES_DIR}/transports\"\n\
         \tevents_folder = \"{MODULES_DIR}/events\"\n\
         \tloggers_folder = \"{MODULES_DIR}/loggers\"\n\
         \tdebug_level = 4\n\
         \tadmin_secret = \"{ADMIN_SECRET}\"\n\
         \tsession_timeout = 60\n\
         {secured}}}\n\
         certificates: {{\n}}\n\
         media: {{\n}}\n\
         nat: {{\n}}\n\
         plugins: {{\n\tdisable = \"{DISABLED_PLUGINS}\"\n}}\n\
         transports: {{\n\tdisable = \"{DISABLED_TRANSPORTS}\"\n}}\n\
         loggers: {{\n\tdisable = \"libjanus_jsonlog.so\"\n}}\n\
         events: {{\n\tbroadcast = false\n}}\n",
        dir = dir.display()
    );
    std::fs::write(dir.join("janus.jcfg"), janus).unwrap();
    let http = format!(
        "general: {{\n\
         \tjson = \"indented\"\n\
         \tbase_path = \"/janus\"\n\
         \thttp = true\n\
         \tport = {janus_port}\n\
         \tip = \"127.0.0.1\"\n\
         \thttps = false\n\
         }}\n\
         admin: {{\n\
         \tadmin_base_path = \"/admin\"\n\
         \tadmin_http = true\n\
         \tadmin_port = {admin_port}\n\
         \tadmin_ip = \"127.0.0.1\"\n\
         \tadmin_https = false\n\
         }}\n\
         cors: {{\n}}\n"
    );
    std::fs::write(dir.join("janus.transport.http.jcfg"), http).unwrap();
}

/// The end of what the gateway wrote, to say why it did not come up.
fn log_tail(dir: &Path) -> String {
    let mut tail = String::new();
    for file in ["janus.log", "stdout.txt", "stderr.txt"] {
        let text = std::fs::read_to_string(dir.join(file)).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        writeln!(tail, "--- {file}:\n{}", lines[lines.len().saturating_sub(15)..].join("\n")).unwrap();
    }
    tail
}

/// Starts `binary` on a fresh configuration folder and waits (bounded) until both HTTP
/// servers answer. `Err` says why it did not come up.
fn start(binary: &str, name: &str, setup: Setup) -> Result<Gateway, String> {
    let dir = support::scratch_dir(name);
    let (janus_port, admin_port) = (support::gateway::free_port(), support::gateway::free_port());
    write_configuration(&dir, setup, janus_port, admin_port);
    let child = Command::new(binary)
        .arg("-F")
        .arg(&dir)
        .arg("-L")
        .arg(dir.join("janus.log"))
        .arg("-N")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(dir.join("stdout.txt")).unwrap())
        .stderr(std::fs::File::create(dir.join("stderr.txt")).unwrap())
        .spawn()
        .map_err(|e| format!("{binary} could not be spawned: {e}"))?;
    let mut gateway = Gateway { child, dir, janus_port, admin_port };
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(Some(status)) = gateway.child.try_wait() {
            return Err(format!("{binary} exited ({status}) before its HTTP servers came up\n{}", log_tail(&gateway.dir)));
        }
        // Answering, not just accepting: the first scripted request must find it serving.
        let info = r#"{"janus":"info","transaction":"ready"}"#;
        let up = |port, path| http(port, "POST", path, Some(info), Duration::from_secs(2)).is_ok_and(|r| r.status == 200);
        if up(janus_port, "/janus") && up(admin_port, "/admin") {
            return Ok(gateway);
        }
        if Instant::now() > deadline {
            return Err(format!("{binary}: ports {janus_port}/{admin_port} not open after 20 s\n{}", log_tail(&gateway.dir)));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

// ---------------------------------------------------------------------------------------------
// A minimal HTTP/1.1 client

struct Reply {
    status: u16,
    body: String,
}

/// `Err` when the gateway does not answer (connection refused, or no complete reply in time).
fn http(port: u16, method: &str, path: &str, body: Option<&str>, timeout: Duration) -> Result<Reply, String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("cannot connect: {e}"))?;
    stream.set_read_timeout(Some(timeout)).unwrap();
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n");
    if let Some(body) = body {
        write!(request, "Content-Type: application/json\r\nContent-Length: {}\r\n", body.len()).unwrap();
    }
    request.push_str("\r\n");
    request.push_str(body.unwrap_or_default());
    stream.write_all(request.as_bytes()).map_err(|e| format!("cannot send: {e}"))?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).map_err(|e| format!("no complete reply within {} s ({e})", timeout.as_secs()))?;
    let raw = String::from_utf8(raw).expect("UTF-8 reply");
    // A connection closed without an answer is recorded as status 0.
    let Some((head, payload)) = raw.split_once("\r\n\r\n") else {
        return Ok(Reply { status: 0, body: raw });
    };
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("status code");
    let chunked = head.lines().any(|l| l.to_ascii_lowercase().replace(' ', "") == "transfer-encoding:chunked");
    let body = if chunked { dechunk(payload) } else { payload.to_string() };
    Ok(Reply { status, body })
}

fn dechunk(mut payload: &str) -> String {
    let mut body = String::new();
    while let Some((size, rest)) = payload.split_once("\r\n") {
        let size = usize::from_str_radix(size.split(';').next().unwrap().trim(), 16).expect("chunk size");
        if size == 0 {
            break;
        }
        body.push_str(&rest[..size]);
        payload = rest[size..].strip_prefix("\r\n").unwrap_or(&rest[size..]);
    }
    body
}

// ---------------------------------------------------------------------------------------------
// JSON, kept as it came on the wire (member order, number spelling), so that the comparison
// sees every difference the core can make.

#[derive(Clone, PartialEq)]
enum Value {
    Null,
    Bool(bool),
    /// The number as written.
    Number(String),
    Str(String),
    Array(Vec<Value>),
    Object(Vec<(String, Value)>),
    /// A normalised number (an id or a time), printed bare, so it cannot equal a string.
    Placeholder(String),
}

struct Parser<'a> {
    text: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    fn parse(text: &str) -> Option<Value> {
        let mut p = Parser { text: text.as_bytes(), at: 0 };
        let v = p.value()?;
        p.skip_ws();
        (p.at == p.text.len()).then_some(v)
    }

    fn skip_ws(&mut self) {
        while self.at < self.text.len() && self.text[self.at].is_ascii_whitespace() {
            self.at += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        self.skip_ws();
        let found = self.text.get(self.at) == Some(&c);
        if found {
            self.at += 1;
        }
        found
    }

    fn keyword(&mut self, word: &str, v: Value) -> Option<Value> {
        let found = self.text[self.at..].starts_with(word.as_bytes());
        self.at += word.len();
        found.then_some(v)
    }

    fn value(&mut self) -> Option<Value> {
        self.skip_ws();
        match *self.text.get(self.at)? {
            b'n' => self.keyword("null", Value::Null),
            b't' => self.keyword("true", Value::Bool(true)),
            b'f' => self.keyword("false", Value::Bool(false)),
            b'"' => self.string().map(Value::Str),
            b'[' => {
                self.at += 1;
                let mut items = Vec::new();
                if !self.eat(b']') {
                    loop {
                        items.push(self.value()?);
                        if self.eat(b']') {
                            break;
                        }
                        self.eat(b',').then_some(())?;
                    }
                }
                Some(Value::Array(items))
            }
            b'{' => {
                self.at += 1;
                let mut members = Vec::new();
                if !self.eat(b'}') {
                    loop {
                        self.skip_ws();
                        let key = self.string()?;
                        self.eat(b':').then_some(())?;
                        members.push((key, self.value()?));
                        if self.eat(b'}') {
                            break;
                        }
                        self.eat(b',').then_some(())?;
                    }
                }
                Some(Value::Object(members))
            }
            _ => {
                let start = self.at;
                while self.at < self.text.len() && b"+-.eE0123456789".contains(&self.text[self.at]) {
                    self.at += 1;
                }
                (self.at > start).then(|| Value::Number(String::from_utf8_lossy(&self.text[start..self.at]).into_owned()))
            }
        }
    }

    fn string(&mut self) -> Option<String> {
        (self.text.get(self.at) == Some(&b'"')).then_some(())?;
        self.at += 1;
        let mut bytes = Vec::new();
        loop {
            let c = *self.text.get(self.at)?;
            self.at += 1;
            match c {
                b'"' => return String::from_utf8(bytes).ok(),
                b'\\' => {
                    let e = *self.text.get(self.at)?;
                    self.at += 1;
                    let ch = match e {
                        b'n' => '\n',
                        b't' => '\t',
                        b'r' => '\r',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'u' => {
                            let hex = std::str::from_utf8(self.text.get(self.at..self.at + 4)?).ok()?;
                            self.at += 4;
                            char::from_u32(u32::from_str_radix(hex, 16).ok()?).unwrap_or('\u{fffd}')
                        }
                        other => other as char,
                    };
                    bytes.extend_from_slice(ch.to_string().as_bytes());
                }
                c => bytes.push(c),
            }
        }
    }
}

impl Value {
    fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// `a.b.c` member lookup.
    fn at(&self, path: &str) -> Option<&Value> {
        path.split('.').try_fold(self, |v, key| v.get(key))
    }

    /// One member per line, two spaces per level: readable in a line diff.
    fn render(&self, indent: usize, out: &mut String) {
        let pad = "  ".repeat(indent + 1);
        match self {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => write!(out, "{b}").unwrap(),
            Value::Number(n) => out.push_str(n),
            Value::Placeholder(p) => out.push_str(p),
            Value::Str(s) => write!(out, "{s:?}").unwrap(),
            Value::Array(items) if items.is_empty() => out.push_str("[]"),
            Value::Object(members) if members.is_empty() => out.push_str("{}"),
            Value::Array(items) => {
                out.push_str("[\n");
                for item in items {
                    out.push_str(&pad);
                    item.render(indent + 1, out);
                    out.push_str(",\n");
                }
                write!(out, "{}]", "  ".repeat(indent)).unwrap();
            }
            Value::Object(members) => {
                out.push_str("{\n");
                for (k, v) in members {
                    write!(out, "{pad}{k:?}: ").unwrap();
                    v.render(indent + 1, out);
                    out.push_str(",\n");
                }
                write!(out, "{}}}", "  ".repeat(indent)).unwrap();
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Normalisation

/// Members whose value is a time, different on every run.
const TIME_KEYS: &[&str] = &["session_last_activity", "created", "current_time"];
/// Server-info members that describe the build, not the behaviour.
const BUILD_KEYS: &[&str] = &["commit-hash", "compile-time"];
/// The server-info member naming each library and its version at build time.
const DEPENDENCIES: &str = "dependencies";
/// Admin replies listing ids in hash-table order.
const ID_LISTS: &[&str] = &["sessions", "handles"];

#[derive(Default)]
struct Normaliser {
    /// Learned id (decimal text) -> placeholder.
    ids: BTreeMap<String, String>,
    /// The configuration folder of the run.
    dir: String,
}

impl Normaliser {
    fn learn(&mut self, id: &str, placeholder: &str) {
        self.ids.insert(id.to_string(), format!("<{placeholder}>"));
    }

    /// Replaces learned ids inside text: only whole decimal numbers, never part of a longer one.
    fn text(&self, s: &str) -> String {
        let s = s.replace(&self.dir, "<dir>");
        let mut out = String::new();
        let mut digits = String::new();
        let flush = |digits: &mut String, out: &mut String| {
            out.push_str(self.ids.get(digits.as_str()).unwrap_or(digits));
            digits.clear();
        };
        for c in s.chars() {
            if c.is_ascii_digit() {
                digits.push(c);
            } else {
                flush(&mut digits, &mut out);
                out.push(c);
            }
        }
        flush(&mut digits, &mut out);
        out
    }

    fn value(&self, v: &Value, key: &str, random_transaction: bool) -> Value {
        match v {
            Value::Number(_) if TIME_KEYS.contains(&key) => Value::Placeholder("<time>".into()),
            Value::Number(n) => match self.ids.get(n) {
                Some(p) => Value::Placeholder(p.clone()),
                None => v.clone(),
            },
            Value::Str(_) if BUILD_KEYS.contains(&key) => Value::Placeholder("<build>".into()),
            Value::Object(members) if key == DEPENDENCIES => {
                Value::Object(members.iter().map(|(k, _)| (k.clone(), Value::Placeholder("<build>".into()))).collect())
            }
            Value::Str(_) if key == "transaction" && random_transaction => Value::Placeholder("<random>".into()),
            Value::Str(s) => Value::Str(self.text(s)),
            Value::Array(items) => {
                let mut items: Vec<Value> = items.iter().map(|i| self.value(i, "", random_transaction)).collect();
                if ID_LISTS.contains(&key) {
                    items.sort_by_key(|i| {
                        let mut s = String::new();
                        i.render(0, &mut s);
                        s
                    });
                }
                Value::Array(items)
            }
            Value::Object(members) => {
                Value::Object(members.iter().map(|(k, v)| (self.text(k), self.value(v, k, random_transaction))).collect())
            }
            _ => v.clone(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The script runner

#[derive(Clone, Copy)]
enum Api {
    Janus,
    Admin,
}

/// The last reply, kept raw so that it can be rendered again once an id in it is learned.
struct LastReply {
    /// Where its rendering starts in the transcript.
    at: usize,
    body: String,
    random_transaction: bool,
    /// What the script learned from it, shown after it.
    learned: Vec<String>,
}

/// One run of the script against one gateway: substitutes learned ids into requests, and
/// records normalised replies.
struct Run<'g> {
    gateway: &'g Gateway,
    norm: Normaliser,
    /// Placeholder name -> real id, for substitution into requests.
    vars: BTreeMap<String, String>,
    last: Option<LastReply>,
    transcript: String,
    requests: usize,
    /// Set when the gateway stopped answering or a reply lacked an id the script needs: the
    /// rest of the script is skipped, and the transcript ends there (so the diff shows where).
    stopped: bool,
}

impl<'g> Run<'g> {
    fn new(gateway: &'g Gateway) -> Run<'g> {
        let norm = Normaliser { dir: gateway.dir.display().to_string(), ..Default::default() };
        Run { gateway, norm, vars: BTreeMap::new(), last: None, transcript: String::new(), requests: 0, stopped: false }
    }

    /// `{name}` in a request template becomes the id learned as `name`.
    fn substitute(&self, template: &str) -> String {
        let mut s = template.to_string();
        for (name, id) in &self.vars {
            s = s.replace(&format!("{{{name}}}"), id);
        }
        s
    }

    fn request(&mut self, api: Api, method: &str, path: &str, body: Option<&str>, timeout: Duration) {
        if self.stopped {
            return;
        }
        self.requests += 1;
        let port = match api {
            Api::Janus => self.gateway.janus_port,
            Api::Admin => self.gateway.admin_port,
        };
        let reply = http(port, method, &self.substitute(path), body.map(|b| self.substitute(b)).as_deref(), timeout);
        write!(self.transcript, "#{} {method} {path}", self.requests).unwrap();
        if let Some(body) = body {
            write!(self.transcript, " {body}").unwrap();
        }
        let reply = match reply {
            Ok(reply) => reply,
            Err(e) => return self.stop(&e),
        };
        write!(self.transcript, "\n  => {} ", reply.status).unwrap();
        // The HTTP transport answers GET /janus/info with a transaction of its own.
        self.last =
            Some(LastReply { at: self.transcript.len(), body: reply.body, random_transaction: path == "/janus/info", learned: Vec::new() });
        self.render_last();
    }

    /// (Re)writes the last reply at the end of the transcript, with the ids known so far.
    fn render_last(&mut self) {
        let last = self.last.as_ref().expect("a reply");
        self.transcript.truncate(last.at);
        match Parser::parse(&last.body) {
            Some(v) => self.norm.value(&v, "", last.random_transaction).render(1, &mut self.transcript),
            None => write!(self.transcript, "(not JSON) {:?}", self.norm.text(&last.body)).unwrap(),
        }
        self.transcript.push('\n');
        for note in &last.learned {
            writeln!(self.transcript, "  ({note})").unwrap();
        }
    }

    fn janus(&mut self, path: &str, body: &str) {
        self.request(Api::Janus, "POST", &format!("/janus{path}"), Some(body), Duration::from_secs(10));
    }

    fn admin(&mut self, path: &str, body: &str) {
        self.request(Api::Admin, "POST", &format!("/admin{path}"), Some(body), Duration::from_secs(10));
    }

    /// A long poll: only issued when an event is due (an idle one lasts 30 s).
    fn poll(&mut self, path: &str) {
        self.request(Api::Janus, "GET", &format!("/janus{path}"), None, Duration::from_secs(15));
    }

    fn stop(&mut self, why: &str) {
        writeln!(self.transcript, "\n!!! script stopped: {why}").unwrap();
        self.stopped = true;
    }

    /// Remembers the id at `path` in the last reply as `name`, and normalises it everywhere.
    fn learn(&mut self, name: &str, path: &str) {
        if self.stopped {
            return;
        }
        let last = self.last.as_ref().expect("a reply to learn from");
        let id = match Parser::parse(&last.body).as_ref().and_then(|v| v.at(path)) {
            Some(Value::Number(n)) => n.clone(),
            _ => return self.stop(&format!("no number at {path} to learn {name} from")),
        };
        self.norm.learn(&id, name);
        // Shows which placeholder stands for which value.
        self.last.as_mut().expect("a reply").learned.push(format!("{name} := {path}"));
        self.render_last();
        self.vars.insert(name.to_string(), id);
    }
}

// ---------------------------------------------------------------------------------------------
// The script

const SECRET: &str = r#""admin_secret":"overlord""#;

/// Replies and events of the Janus API with the admin secret only.
fn open_script(r: &mut Run) {
    // Server info, both ways; malformed and unknown requests at the root.
    r.request(Api::Janus, "GET", "/janus/info", None, Duration::from_secs(10));
    r.janus("", r#"{"janus":"info","transaction":"t-info"}"#);
    r.janus("", r#"this is not json"#);
    r.janus("", r#"[1,2,3]"#);
    r.janus("", r#"{}"#);
    r.janus("", r#"{"transaction":"t-nojanus"}"#);
    r.janus("", r#"{"janus":42,"transaction":"t-janus-type"}"#);
    r.janus("", r#"{"janus":"create","transaction":42}"#);
    r.janus("", r#"{"janus":"teleport","transaction":"t-unknown"}"#);
    r.janus("", r#"{"janus":"keepalive","transaction":"t-keepalive-root"}"#);
    r.janus("", r#"{"janus":"attach","transaction":"t-attach-root","plugin":"janus.plugin.echotest"}"#);
    r.janus("", r#"{"janus":"ping","transaction":"t-ping"}"#);

    // Sessions.
    r.janus("", r#"{"janus":"create","transaction":"t-create-1"}"#);
    r.learn("s1", "data.id");
    r.janus("", r#"{"janus":"create","transaction":"t-create-2","id":4242}"#);
    r.janus("", r#"{"janus":"create","transaction":"t-create-3","id":4242}"#);
    r.janus("", r#"{"janus":"create","transaction":"t-create-4","id":"4243"}"#);
    r.janus("", r#"{"janus":"create","transaction":"t-create-5","id":-1}"#);
    r.janus("/{s1}", r#"{"janus":"keepalive","transaction":"t-ka-1"}"#);
    r.janus("/{s1}", r#"{"janus":"create","transaction":"t-create-at-session"}"#);
    r.janus("/{s1}", r#"{"janus":"info","transaction":"t-info-at-session"}"#);
    r.janus("/{s1}", r#"{"janus":"ping","transaction":"t-ping-at-session"}"#);
    r.janus("/{s1}", r#"{"janus":"nonsense","transaction":"t-nonsense-at-session"}"#);
    r.janus("/987654321", r#"{"janus":"keepalive","transaction":"t-ka-nosession"}"#);
    r.janus("/not-a-number", r#"{"janus":"keepalive","transaction":"t-ka-badpath"}"#);
    r.janus("/{s1}", r#"{"janus":"keepalive","transaction":"t-ka-mismatch","session_id":4242}"#);
    r.janus("/4242", r#"{"janus":"keepalive","transaction":"t-ka-4242"}"#);

    // Handles.
    r.janus("/{s1}", r#"{"janus":"attach","transaction":"t-attach-noplugin"}"#);
    r.janus("/{s1}", r#"{"janus":"attach","transaction":"t-attach-type","plugin":7}"#);
    r.janus("/{s1}", r#"{"janus":"attach","transaction":"t-attach-unknown","plugin":"janus.plugin.nope"}"#);
    r.janus("/{s1}", r#"{"janus":"attach","transaction":"t-attach-disabled","plugin":"janus.plugin.sip"}"#);
    r.janus("/{s1}", r#"{"janus":"attach","transaction":"t-attach-echo","plugin":"janus.plugin.echotest","opaque_id":"op-echo"}"#);
    r.learn("h1", "data.id");
    r.janus("/{s1}", r#"{"janus":"attach","transaction":"t-attach-vr","plugin":"janus.plugin.videoroom"}"#);
    r.learn("h2", "data.id");
    r.janus("/{s1}", r#"{"janus":"attach","transaction":"t-attach-ab","plugin":"janus.plugin.audiobridge"}"#);
    r.learn("h3", "data.id");
    r.janus("/{s1}", r#"{"janus":"attach","transaction":"t-attach-tr","plugin":"janus.plugin.textroom"}"#);
    r.learn("h4", "data.id");
    r.janus("/{s1}", r#"{"janus":"attach","transaction":"t-attach-st","plugin":"janus.plugin.streaming"}"#);
    r.learn("h5", "data.id");
    r.janus("/{s1}/{h1}", r#"{"janus":"keepalive","transaction":"t-ka-handle"}"#);
    r.janus("/{s1}/{h1}", r#"{"janus":"attach","transaction":"t-attach-at-handle","plugin":"janus.plugin.echotest"}"#);
    r.janus("/{s1}/123456789", r#"{"janus":"message","transaction":"t-msg-nohandle","body":{}}"#);
    r.janus("/{s1}/{h1}", r#"{"janus":"destroy","transaction":"t-destroy-at-handle"}"#);
    r.janus("/{s1}/{h1}", r#"{"janus":"claim","transaction":"t-claim-at-handle"}"#);
    r.janus("/{s1}", r#"{"janus":"detach","transaction":"t-detach-at-session"}"#);
    r.janus("/{s1}", r#"{"janus":"message","transaction":"t-message-at-session","body":{}}"#);
    r.janus("/{s1}/{h1}/extra", r#"{"janus":"keepalive","transaction":"t-ka-deep"}"#);
    r.request(Api::Janus, "POST", "/elsewhere", Some(r#"{"janus":"ping","transaction":"t-elsewhere"}"#), Duration::from_secs(10));
    r.request(Api::Janus, "GET", "/janus/{s1}/{h1}", None, Duration::from_secs(10));
    r.request(Api::Janus, "GET", "/janus/not-a-session", None, Duration::from_secs(10));
    r.request(Api::Janus, "GET", "/janus/987654321", None, Duration::from_secs(10));

    // Messages to the EchoTest: errors, then an asynchronous event fetched by long poll.
    r.janus("/{s1}/{h1}", r#"{"janus":"message","transaction":"t-msg-nobody"}"#);
    r.janus("/{s1}/{h1}", r#"{"janus":"message","transaction":"t-msg-bodytype","body":"audio"}"#);
    r.janus("/{s1}/{h1}", r#"{"janus":"message","transaction":"t-msg-jsepnotype","body":{},"jsep":{"sdp":"v=0"}}"#);
    r.janus("/{s1}/{h1}", r#"{"janus":"message","transaction":"t-msg-jsepbadtype","body":{},"jsep":{"type":"pranswer","sdp":"v=0"}}"#);
    r.janus("/{s1}/{h1}", r#"{"janus":"message","transaction":"t-msg-jsepnosdp","body":{},"jsep":{"type":"offer"}}"#);
    r.janus("/{s1}/{h1}", r#"{"janus":"message","transaction":"t-msg-jsepbadsdp","body":{},"jsep":{"type":"offer","sdp":"not an sdp"}}"#);
    r.janus("/{s1}/{h1}", r#"{"janus":"message","transaction":"t-echo-1","body":{"audio":true,"bitrate":128000}}"#);
    r.poll("/{s1}");
    r.janus("/{s1}/{h1}", r#"{"janus":"trickle","transaction":"t-trickle-none"}"#);
    r.janus("/{s1}/{h1}", r#"{"janus":"trickle","transaction":"t-trickle-type","candidate":"x"}"#);
    r.janus("/{s1}/{h1}", r#"{"janus":"trickle","transaction":"t-trickle-done","candidate":{"completed":true}}"#);
    r.janus("/{s1}/{h1}", r#"{"janus":"trickle","transaction":"t-trickle-many","candidates":[{"sdpMid":"0","candidate":"candidate:1 1 udp 1 127.0.0.1 9 typ host"}]}"#);
    r.janus("/{s1}/{h1}", r#"{"janus":"trickle","transaction":"t-trickle-both","candidate":{},"candidates":[]}"#);
    r.janus("/{s1}/{h1}", r#"{"janus":"hangup","transaction":"t-hangup"}"#);
    // The EchoTest tells of the hangup with an event.
    r.poll("/{s1}");

    // VideoRoom: synchronous requests answer in the reply, joins asynchronously.
    r.janus("/{s1}/{h2}", r#"{"janus":"message","transaction":"t-vr-list","body":{"request":"list"}}"#);
    r.janus(
        "/{s1}/{h2}",
        r#"{"janus":"message","transaction":"t-vr-create","body":{"request":"create","room":1234,"description":"diff","publishers":3}}"#,
    );
    r.janus("/{s1}/{h2}", r#"{"janus":"message","transaction":"t-vr-create-dup","body":{"request":"create","room":1234}}"#);
    r.janus("/{s1}/{h2}", r#"{"janus":"message","transaction":"t-vr-create-bad","body":{"request":"create","publishers":"many"}}"#);
    r.janus("/{s1}/{h2}", r#"{"janus":"message","transaction":"t-vr-exists","body":{"request":"exists","room":1234}}"#);
    r.janus("/{s1}/{h2}", r#"{"janus":"message","transaction":"t-vr-list-2","body":{"request":"list"}}"#);
    // (Listed before the random room exists: rooms are listed in hash-table order.)
    r.janus("/{s1}/{h2}", r#"{"janus":"message","transaction":"t-vr-create-rnd","body":{"request":"create"}}"#);
    r.learn("r1", "plugindata.data.room");
    r.janus("/{s1}/{h2}", r#"{"janus":"message","transaction":"t-vr-exists-rnd","body":{"request":"exists","room":{r1}}}"#);
    r.janus("/{s1}/{h2}", r#"{"janus":"message","transaction":"t-vr-destroy-rnd","body":{"request":"destroy","room":{r1}}}"#);
    r.janus("/{s1}/{h2}", r#"{"janus":"message","transaction":"t-vr-lp","body":{"request":"listparticipants","room":1234}}"#);
    r.janus("/{s1}/{h2}", r#"{"janus":"message","transaction":"t-vr-bogus","body":{"request":"bogus"}}"#);
    r.janus("/{s1}/{h2}", r#"{"janus":"message","transaction":"t-vr-norequest","body":{}}"#);
    r.janus(
        "/{s1}/{h2}",
        r#"{"janus":"message","transaction":"t-vr-join","body":{"request":"join","room":1234,"ptype":"publisher","display":"diff"}}"#,
    );
    r.poll("/{s1}");
    r.learn("p1", "plugindata.data.id");
    r.learn("pp1", "plugindata.data.private_id");
    r.janus("/{s1}/{h2}", r#"{"janus":"message","transaction":"t-vr-lp-2","body":{"request":"listparticipants","room":1234}}"#);
    r.janus("/{s1}/{h2}", r#"{"janus":"message","transaction":"t-vr-destroy","body":{"request":"destroy","room":1234}}"#);
    r.poll("/{s1}");
    r.janus("/{s1}/{h2}", r#"{"janus":"message","transaction":"t-vr-exists-2","body":{"request":"exists","room":1234}}"#);

    // AudioBridge, TextRoom and Streaming through the Janus API.
    r.janus("/{s1}/{h3}", r#"{"janus":"message","transaction":"t-ab-list","body":{"request":"list"}}"#);
    r.janus("/{s1}/{h3}", r#"{"janus":"message","transaction":"t-ab-create","body":{"request":"create","room":77}}"#);
    r.janus("/{s1}/{h3}", r#"{"janus":"message","transaction":"t-ab-exists","body":{"request":"exists","room":77}}"#);
    r.janus("/{s1}/{h3}", r#"{"janus":"message","transaction":"t-ab-lp","body":{"request":"listparticipants","room":77}}"#);
    r.janus("/{s1}/{h3}", r#"{"janus":"message","transaction":"t-ab-destroy","body":{"request":"destroy","room":77}}"#);
    r.janus("/{s1}/{h4}", r#"{"janus":"message","transaction":"t-tr-list","body":{"request":"list"}}"#);
    r.janus("/{s1}/{h4}", r#"{"janus":"message","transaction":"t-tr-create","body":{"request":"create","room":5}}"#);
    r.janus("/{s1}/{h4}", r#"{"janus":"message","transaction":"t-tr-exists","body":{"request":"exists","room":5}}"#);
    r.janus("/{s1}/{h5}", r#"{"janus":"message","transaction":"t-st-list","body":{"request":"list"}}"#);
    r.janus("/{s1}/{h5}", r#"{"janus":"message","transaction":"t-st-info","body":{"request":"info","id":99}}"#);

    // Admin API.
    r.admin("", r#"{"janus":"ping","transaction":"a-nosecret"}"#);
    r.admin("", r#"{"janus":"ping","transaction":"a-badsecret","admin_secret":"guess"}"#);
    r.admin("", &format!(r#"{{"janus":"ping","transaction":"a-ping",{SECRET}}}"#));
    r.admin("", &format!(r#"{{"janus":"info","transaction":"a-info",{SECRET}}}"#));
    r.admin("", &format!(r#"{{"janus":"get_status","transaction":"a-status",{SECRET}}}"#));
    r.admin("", &format!(r#"{{"janus":"nothing","transaction":"a-unknown",{SECRET}}}"#));
    r.admin("", r#"{"transaction":"a-nojanus"}"#);
    r.admin("", r#"not json"#);
    r.admin("", &format!(r#"{{"janus":"list_sessions","transaction":"a-sessions",{SECRET}}}"#));
    r.admin("/{s1}", &format!(r#"{{"janus":"list_handles","transaction":"a-handles",{SECRET}}}"#));
    r.admin("/987654321", &format!(r#"{{"janus":"list_handles","transaction":"a-handles-none",{SECRET}}}"#));
    r.admin("/{s1}/{h1}", &format!(r#"{{"janus":"handle_info","transaction":"a-hinfo",{SECRET}}}"#));
    // (Not the VideoRoom publisher's handle: whether Janus has flagged it `alert` after its room
    // was destroyed depends on thread timing.)
    r.admin("/{s1}/{h3}", &format!(r#"{{"janus":"handle_info","transaction":"a-hinfo-ab","plaintext":true,{SECRET}}}"#));
    r.admin("/{s1}/555", &format!(r#"{{"janus":"handle_info","transaction":"a-hinfo-none",{SECRET}}}"#));
    r.admin("", &format!(r#"{{"janus":"set_log_level","transaction":"a-loglevel",{SECRET}}}"#));
    r.admin("", &format!(r#"{{"janus":"set_log_level","transaction":"a-loglevel-4","level":4,{SECRET}}}"#));
    r.admin("", &format!(r#"{{"janus":"set_log_level","transaction":"a-loglevel-99","level":99,{SECRET}}}"#));
    r.admin("", &format!(r#"{{"janus":"set_session_timeout","transaction":"a-sto","timeout":60,{SECRET}}}"#));
    r.admin("", &format!(r#"{{"janus":"set_session_timeout","transaction":"a-sto-bad","timeout":-5,{SECRET}}}"#));
    // Settings, set to the values they already have (invalid values first).
    for (request, field, bad, good) in [
        ("set_log_timestamps", "timestamps", "\"no\"", "false"),
        ("set_log_colors", "colors", "1", "true"),
        ("set_locking_debug", "debug", "\"x\"", "false"),
        ("set_refcount_debug", "debug", "[]", "false"),
        ("set_libnice_debug", "debug", "{}", "false"),
        ("set_min_nack_queue", "min_nack_queue", "-1", "200"),
        ("set_no_media_timer", "no_media_timer", "\"1\"", "1"),
        ("set_slowlink_threshold", "slowlink_threshold", "-3", "0"),
    ] {
        for (tag, value) in [("bad", bad), ("ok", good)] {
            r.admin("", &format!(r#"{{"janus":"{request}","transaction":"a-{request}-{tag}","{field}":{value},{SECRET}}}"#));
        }
    }
    r.admin(
        "",
        &format!(
            r#"{{"janus":"query_transport","transaction":"a-qtransport","transport":"janus.transport.http","request":{{}},{SECRET}}}"#
        ),
    );
    r.admin(
        "",
        &format!(
            r#"{{"janus":"query_transport","transaction":"a-qtransport-none","transport":"janus.transport.nope","request":{{}},{SECRET}}}"#
        ),
    );
    r.admin("", &format!(r#"{{"janus":"custom_event","transaction":"a-custom-event","schema":"x","data":{{}},{SECRET}}}"#));
    r.admin("", &format!(r#"{{"janus":"custom_logline","transaction":"a-custom-logline","line":"from the differential test",{SECRET}}}"#));
    r.admin("/{s1}/{h3}", &format!(r#"{{"janus":"stop_pcap","transaction":"a-stop-pcap",{SECRET}}}"#));
    r.admin("/{s1}", &format!(r#"{{"janus":"handle_info","transaction":"a-hinfo-at-session",{SECRET}}}"#));
    r.admin("/{s1}/{h3}", &format!(r#"{{"janus":"list_sessions","transaction":"a-sessions-at-handle",{SECRET}}}"#));
    r.request(Api::Admin, "GET", "/admin", None, Duration::from_secs(10));
    r.request(Api::Admin, "GET", "/admin/{s1}", None, Duration::from_secs(10));
    r.admin("", &format!(r#"{{"janus":"add_token","transaction":"a-token-off","token":"x",{SECRET}}}"#));
    r.admin("", &format!(r#"{{"janus":"list_tokens","transaction":"a-tokens-off",{SECRET}}}"#));
    r.admin("", &format!(r#"{{"janus":"query_eventhandler","transaction":"a-evh","handler":"janus.eventhandler.sampleevh",{SECRET}}}"#));
    r.admin("", &format!(r#"{{"janus":"query_logger","transaction":"a-logger","logger":"janus.logger.jsonlog",{SECRET}}}"#));
    r.admin(
        "",
        &format!(r#"{{"janus":"message_plugin","transaction":"a-msgplugin","plugin":"janus.plugin.videoroom","request":{{"request":"list"}},{SECRET}}}"#),
    );
    r.admin(
        "",
        &format!(r#"{{"janus":"message_plugin","transaction":"a-msgplugin-none","plugin":"janus.plugin.nope","request":{{}},{SECRET}}}"#),
    );
    r.admin("", &format!(r#"{{"janus":"accept_new_sessions","transaction":"a-accept-no","accept":false,{SECRET}}}"#));
    r.janus("", r#"{"janus":"create","transaction":"t-create-refused"}"#);
    r.admin("", &format!(r#"{{"janus":"accept_new_sessions","transaction":"a-accept-type","accept":"yes",{SECRET}}}"#));
    r.admin("", &format!(r#"{{"janus":"accept_new_sessions","transaction":"a-accept-yes","accept":true,{SECRET}}}"#));
    r.admin("/{s1}/{h5}", &format!(r#"{{"janus":"detach_handle","transaction":"a-detach",{SECRET}}}"#));
    r.admin("/{s1}", &format!(r#"{{"janus":"list_handles","transaction":"a-handles-2",{SECRET}}}"#));
    r.admin("/{s1}/{h4}", &format!(r#"{{"janus":"hangup_webrtc","transaction":"a-hangup",{SECRET}}}"#));

    // Detach, claim, destroy.
    r.janus("/{s1}/{h1}", r#"{"janus":"detach","transaction":"t-detach"}"#);
    r.janus("/{s1}/{h1}", r#"{"janus":"detach","transaction":"t-detach-again"}"#);
    r.janus("/{s1}", r#"{"janus":"claim","transaction":"t-claim"}"#);
    r.janus("/{s1}", r#"{"janus":"destroy","transaction":"t-destroy"}"#);
    r.janus("/{s1}", r#"{"janus":"keepalive","transaction":"t-ka-destroyed"}"#);
    r.janus("/4242", r#"{"janus":"destroy","transaction":"t-destroy-4242"}"#);
    r.admin("", &format!(r#"{{"janus":"list_sessions","transaction":"a-sessions-2",{SECRET}}}"#));

    // Session timeout: a per-session timeout of 1 s, noticed by the watchdog while a long poll
    // waits for the session's events.
    r.janus("", r#"{"janus":"create","transaction":"t-create-timeout"}"#);
    r.learn("s2", "data.id");
    r.admin("/{s2}", &format!(r#"{{"janus":"set_session_timeout","transaction":"a-sto-session","timeout":1,{SECRET}}}"#));
    r.poll("/{s2}");
    r.janus("/{s2}", r#"{"janus":"keepalive","transaction":"t-ka-timedout"}"#);
    r.admin("/{s2}", &format!(r#"{{"janus":"destroy_session","transaction":"a-destroy-gone",{SECRET}}}"#));
}

/// Replies with `api_secret` and `token_auth` enabled.
fn secured_script(r: &mut Run) {
    r.janus("", r#"{"janus":"create","transaction":"u-nosecret"}"#);
    r.janus("", r#"{"janus":"create","transaction":"u-badsecret","apisecret":"guess"}"#);
    r.janus("", r#"{"janus":"info","transaction":"u-info"}"#);
    r.janus("", r#"{"janus":"ping","transaction":"u-ping"}"#);
    r.janus("", r#"{"janus":"create","transaction":"u-secret","apisecret":"s3cret"}"#);
    r.learn("s1", "data.id");
    r.janus("/{s1}", r#"{"janus":"keepalive","transaction":"u-ka-nosecret"}"#);
    r.janus("/{s1}", r#"{"janus":"keepalive","transaction":"u-ka-badtoken","token":"nope"}"#);
    r.request(Api::Janus, "GET", "/janus/{s1}", None, Duration::from_secs(10));
    r.admin("", &format!(r#"{{"janus":"add_token","transaction":"b-add","token":"tok1","plugins":["janus.plugin.echotest"],{SECRET}}}"#));
    r.admin("", &format!(r#"{{"janus":"add_token","transaction":"b-add-bad","token":"tok2","plugins":["janus.plugin.nope"],{SECRET}}}"#));
    r.admin("", &format!(r#"{{"janus":"add_token","transaction":"b-add-all","token":"tok3",{SECRET}}}"#));
    r.admin(
        "",
        &format!(r#"{{"janus":"add_token","transaction":"b-add-dup","token":"tok2","plugins":["janus.plugin.textroom"],{SECRET}}}"#),
    );
    r.admin("", &format!(r#"{{"janus":"add_token","transaction":"b-add-notoken",{SECRET}}}"#));
    r.admin("", &format!(r#"{{"janus":"list_tokens","transaction":"b-list",{SECRET}}}"#));
    r.janus("", r#"{"janus":"create","transaction":"u-token","token":"tok1"}"#);
    r.learn("s2", "data.id");
    r.janus("/{s2}", r#"{"janus":"attach","transaction":"u-attach-denied","plugin":"janus.plugin.videoroom","token":"tok1"}"#);
    r.janus("/{s2}", r#"{"janus":"attach","transaction":"u-attach-ok","plugin":"janus.plugin.echotest","token":"tok1"}"#);
    r.learn("h1", "data.id");
    r.janus("/{s2}", r#"{"janus":"attach","transaction":"u-attach-secret","plugin":"janus.plugin.videoroom","apisecret":"s3cret"}"#);
    r.learn("h2", "data.id");
    r.janus("/{s2}/{h1}", r#"{"janus":"message","transaction":"u-echo","token":"tok1","body":{"video":false}}"#);
    r.request(Api::Janus, "GET", "/janus/{s2}?token=tok1", None, Duration::from_secs(15));
    r.janus("/{s2}/{h1}", r#"{"janus":"message","transaction":"u-echo-2","apisecret":"s3cret","body":{"audio":false}}"#);
    r.request(Api::Janus, "GET", "/janus/{s2}?apisecret=s3cret&maxev=3", None, Duration::from_secs(15));
    r.admin(
        "",
        &format!(r#"{{"janus":"allow_token","transaction":"b-allow","token":"tok1","plugins":["janus.plugin.videoroom"],{SECRET}}}"#),
    );
    r.admin(
        "",
        &format!(r#"{{"janus":"allow_token","transaction":"b-allow-none","token":"nope","plugins":["janus.plugin.videoroom"],{SECRET}}}"#),
    );
    r.admin("", &format!(r#"{{"janus":"allow_token","transaction":"b-allow-noplugins","token":"tok1",{SECRET}}}"#));
    r.janus("/{s2}", r#"{"janus":"attach","transaction":"u-attach-allowed","plugin":"janus.plugin.videoroom","token":"tok1"}"#);
    r.learn("h3", "data.id");
    r.admin(
        "",
        &format!(r#"{{"janus":"disallow_token","transaction":"b-disallow","token":"tok1","plugins":["janus.plugin.echotest"],{SECRET}}}"#),
    );
    r.admin("", &format!(r#"{{"janus":"list_tokens","transaction":"b-list-2",{SECRET}}}"#));
    r.admin("", &format!(r#"{{"janus":"remove_token","transaction":"b-remove","token":"tok1",{SECRET}}}"#));
    r.admin("", &format!(r#"{{"janus":"remove_token","transaction":"b-remove-again","token":"tok1",{SECRET}}}"#));
    r.janus("/{s2}", r#"{"janus":"keepalive","transaction":"u-ka-removed","token":"tok1"}"#);
    r.janus("/{s2}", r#"{"janus":"keepalive","transaction":"u-ka-tok3","token":"tok3"}"#);
    r.admin("", &format!(r#"{{"janus":"get_status","transaction":"b-status",{SECRET}}}"#));
    r.admin("", &format!(r#"{{"janus":"list_sessions","transaction":"b-sessions",{SECRET}}}"#));
    r.janus("/{s2}", r#"{"janus":"destroy","transaction":"u-destroy","apisecret":"s3cret"}"#);
}

/// Runs the whole script against `binary` and returns the normalised transcript.
fn transcript(binary: &str, tag: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut requests = 0;
    for (setup, name, script) in [(Setup::Open, "open", open_script as fn(&mut Run)), (Setup::Secured, "secured", secured_script)] {
        let gateway = start(binary, &format!("differential-{tag}-{name}"), setup)?;
        let mut run = Run::new(&gateway);
        script(&mut run);
        writeln!(out, "=== {name} configuration ===\n{}", run.transcript).unwrap();
        requests += run.requests;
    }
    assert!(requests >= 60, "the script makes {requests} requests");
    // Kept for inspection after a failure.
    let file = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("differential-{tag}.txt"));
    std::fs::write(&file, &out).unwrap();
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Comparison

/// A line diff (longest common subsequence) showing only changed hunks with some context.
fn line_diff(expected: &str, actual: &str) -> String {
    let a: Vec<&str> = expected.lines().collect();
    let b: Vec<&str> = actual.lines().collect();
    let mut lcs = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] { lcs[i + 1][j + 1] + 1 } else { lcs[i + 1][j].max(lcs[i][j + 1]) };
        }
    }
    let mut ops = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            ops.push((' ', a[i]));
            i += 1;
            j += 1;
        } else if j < b.len() && (i == a.len() || lcs[i][j + 1] >= lcs[i + 1][j]) {
            ops.push(('+', b[j]));
            j += 1;
        } else {
            ops.push(('-', a[i]));
            i += 1;
        }
    }
    const CONTEXT: usize = 4;
    let mut out = String::new();
    let mut last_printed = None;
    for (k, (op, line)) in ops.iter().enumerate() {
        let near = ops[k.saturating_sub(CONTEXT)..(k + CONTEXT + 1).min(ops.len())].iter().any(|(o, _)| *o != ' ');
        if !near {
            continue;
        }
        if last_printed.is_some_and(|l| l + 1 != k) || (last_printed.is_none() && k > 0) {
            out.push_str("   ...\n");
        }
        writeln!(out, "{op}  {line}").unwrap();
        last_printed = Some(k);
    }
    out
}

fn assert_same(expected: &str, expected_name: &str, actual: &str, actual_name: &str) {
    if expected != actual {
        panic!("transcripts differ (- {expected_name}, + {actual_name}):\n{}", line_diff(expected, actual));
    }
}

#[test]
fn reference_transcript_is_deterministic() {
    let first = transcript(REFERENCE_JANUS, "reference-a").unwrap();
    let second = transcript(REFERENCE_JANUS, "reference-b").unwrap();
    assert_same(&first, "first /usr/bin/janus run", &second, "second /usr/bin/janus run");
}

#[test]
fn differential_janus_api() {
    let reference = transcript(REFERENCE_JANUS, "reference").unwrap();
    // On a failure, both transcripts are left in CARGO_TARGET_TMPDIR (differential-*.txt).
    let ours = transcript(env!("CARGO_BIN_EXE_janus"), "ours").unwrap_or_else(|e| panic!("our gateway did not run the script: {e}"));
    assert_same(&reference, "/usr/bin/janus 1.1.2", &ours, "our janus");
}
