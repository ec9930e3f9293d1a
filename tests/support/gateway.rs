//! Running a whole gateway binary from a test and talking to it through the stock HTTP
//! transport (REST requests and long polls) or the stock WebSockets transport (requests,
//! replies and events on one connection per session), for end-to-end tests and
//! differential runs against `/usr/bin/janus`.
//!
//! The usual flow:
//! ```ignore
//! let configs = ConfigsFolder::new(&support::scratch_dir("name"), &["videoroom"]);
//! configs.write("janus.plugin.videoroom.jcfg", "general: { admin_key = \"k\" }\n");
//! let gateway = Gateway::start(&binary_under_test(), &configs);
//! let session = gateway.create_session();
//! let handle = session.attach("janus.plugin.videoroom");
//! let data = handle.request(r#"{"request":"list"}"#); // plugindata.data of the reply
//! ```
//! Over WebSockets, the same with `configs.enable_websockets()` before starting the gateway
//! and `gateway.create_ws_session()`: sessions and handles have the same API either way.
//! Every wait is bounded, ports are loopback ones checked free, and the gateway process is
//! killed (by its own PID only) when the [`Gateway`] is dropped, even if the test panics.

use std::collections::{BTreeSet, VecDeque};
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use janus::json::Json;

use super::websocket::WebSocket;

/// The reference implementation, Debian's Janus 1.1.2.
pub const REFERENCE_BINARY: &str = "/usr/bin/janus";

/// Where Debian's `janus` package installs the stock modules, one folder per kind.
pub const STOCK_MODULES: &str = "/usr/lib/x86_64-linux-gnu/janus";

/// How long a gateway may take to answer its first `info` request.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(20);
/// How long a stopping gateway gets after SIGTERM before it is SIGKILLed.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);
/// Bound on any single HTTP exchange that is not a long poll.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// The gateway binary the end-to-end tests exercise: ours, unless the `JANUS_UNDER_TEST`
/// environment variable names another one (e.g. `JANUS_UNDER_TEST=/usr/bin/janus` to check
/// a test against the reference).
pub fn binary_under_test() -> PathBuf {
    match std::env::var_os("JANUS_UNDER_TEST") {
        Some(path) if !path.is_empty() => PathBuf::from(path),
        _ => PathBuf::from(env!("CARGO_BIN_EXE_janus")),
    }
}

/// Ports handed out by this test process, so that two tests running in parallel never get
/// the same one even before either gateway has bound it.
static HANDED_OUT: Mutex<BTreeSet<u16>> = Mutex::new(BTreeSet::new());

/// A loopback port that is free for both TCP and UDP right now and was not handed out
/// before in this process. Ports come from 20000-32767 (below Linux' ephemeral range, so
/// outgoing connections do not take them), starting at an offset derived from the PID so
/// that concurrent test processes tend to pick different ones.
pub fn free_port() -> u16 {
    const FIRST: u32 = 20000;
    const COUNT: u32 = 12768;
    let mut handed = HANDED_OUT.lock().unwrap_or_else(|e| e.into_inner());
    let start = (std::process::id().wrapping_mul(7919)) % COUNT;
    for i in 0..COUNT {
        let port = (FIRST + (start + i) % COUNT) as u16;
        if handed.contains(&port) {
            continue;
        }
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let any = SocketAddr::from((Ipv4Addr::UNSPECIFIED, port));
        // Plugins bind RTP ports on all interfaces, so check the wildcard address too.
        let free = TcpListener::bind(addr).is_ok() && UdpSocket::bind(any).is_ok();
        if free {
            handed.insert(port);
            return port;
        }
    }
    panic!("no free loopback port in {FIRST}-{}", FIRST + COUNT - 1);
}

/// Waits (at most `timeout`) until no datagram is queued on the UDP sockets bound to `port`
/// on this machine, i.e. until whoever bound it (a plugin's relay thread) has read what was
/// sent to it. Reads the kernel's table, `/proc/net/udp`; panics on timeout.
pub fn wait_udp_drained(port: u16, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    let suffix = format!(":{port:04X}");
    loop {
        let table = std::fs::read_to_string("/proc/net/udp").expect("/proc/net/udp");
        // Columns: sl, local_address, rem_address, st, tx_queue:rx_queue, ...
        let queued = table.lines().skip(1).any(|line| {
            let columns: Vec<&str> = line.split_whitespace().collect();
            columns.len() > 4
                && columns[1].ends_with(&suffix)
                && columns[4].split(':').nth(1).is_some_and(|rx| u64::from_str_radix(rx, 16) != Ok(0))
        });
        if !queued {
            return;
        }
        assert!(Instant::now() < deadline, "UDP port {port} still has unread datagrams after {timeout:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A plugins folder in `dir` holding our probe plugin (from the build, `plugins-c`) and
/// Debian's EchoTest, as symlinks.
pub fn probe_plugins_folder(dir: &Path) -> PathBuf {
    let folder = dir.join("plugins");
    std::fs::create_dir_all(&folder).unwrap();
    let probe = Path::new(env!("JANUS_PLUGINS_C_DIR")).join("libjanus_probe.so");
    let echotest = Path::new(STOCK_MODULES).join("plugins/libjanus_echotest.so");
    for target in [probe, echotest] {
        std::os::unix::fs::symlink(&target, folder.join(target.file_name().unwrap())).unwrap();
    }
    folder
}

/// A temporary configuration folder for one gateway: `janus.jcfg` pointing at the stock
/// module folders with every module disabled except the HTTP transport and the plugins
/// asked for, and `janus.transport.http.jcfg` serving the Janus API on a free loopback
/// port, without admin API nor HTTPS. Plugin configurations are added with [`write`].
///
/// [`write`]: ConfigsFolder::write
pub struct ConfigsFolder {
    pub dir: PathBuf,
    pub http_port: u16,
    /// The HTTP transport's Admin API port, once [`enable_admin`](ConfigsFolder::enable_admin)ed.
    pub admin_port: Option<u16>,
    /// The WebSockets transport's Janus API port, once
    /// [`enable_websockets`](ConfigsFolder::enable_websockets)ed.
    pub ws_port: Option<u16>,
    /// Enabled module files (`libjanus_<name>.so`) per folder: plugins, transports, events, loggers.
    enabled: [Vec<String>; 4],
    /// Extra `name = value` lines of the `general` category.
    general: Vec<String>,
    /// Other categories of `janus.jcfg` (`nat`, `media`, ...) with their `name = value` lines.
    categories: Vec<(String, Vec<String>)>,
    broadcast: bool,
    /// Where plugins load from (Debian's folder unless [`CoreOptions::plugins_folder`]).
    plugins_folder: PathBuf,
}

/// What [`ConfigsFolder::with_options`] may configure beyond the defaults of
/// [`ConfigsFolder::new`].
#[derive(Default)]
pub struct CoreOptions {
    /// Load plugins from this folder instead of Debian's (e.g. a folder of symlinks that
    /// adds ours from `JANUS_PLUGINS_C_DIR`); the plugins asked for are looked up there.
    pub plugins_folder: Option<PathBuf>,
    /// Extra `name = value` items of the `general` category.
    pub general: Vec<(String, String)>,
    /// Event handlers to keep (short names such as `"sampleevh"`); the others are disabled.
    /// Broadcasting stays off in the file: start the gateway with `-e` to turn it on.
    pub event_handlers: Vec<String>,
    /// Serve the Admin API too (on a free loopback port, path `/admin`) with this secret.
    pub admin_secret: Option<String>,
}

/// The stock module folders, in the order of [`ConfigsFolder::enabled`], with the
/// `janus.jcfg` category holding each one's disable list.
const MODULE_KINDS: [(&str, &str); 4] =
    [("plugins", "plugins"), ("transports", "transports"), ("events", "events"), ("loggers", "loggers")];

impl ConfigsFolder {
    /// Writes the core and transport configurations into `dir` (which must exist and is
    /// also where plugins save `permanent` changes). `plugins` are short names such as
    /// `"videoroom"`, i.e. `libjanus_<name>.so`.
    pub fn new(dir: &Path, plugins: &[&str]) -> ConfigsFolder {
        ConfigsFolder::with_modules(dir, plugins, &["http"], &[], &[])
    }

    /// As [`new`](ConfigsFolder::new), with the stock transports, event handlers and
    /// loggers to leave enabled also given by short name (`"websockets"`, `"sampleevh"`,
    /// `"jsonlog"`); the HTTP transport is configured whether enabled or not.
    pub fn with_modules(dir: &Path, plugins: &[&str], transports: &[&str], event_handlers: &[&str], loggers: &[&str]) -> ConfigsFolder {
        let files = |names: &[&str]| names.iter().map(|p| format!("libjanus_{p}.so")).collect::<Vec<_>>();
        let folder = ConfigsFolder {
            dir: dir.to_path_buf(),
            http_port: free_port(),
            admin_port: None,
            ws_port: None,
            enabled: [files(plugins), files(transports), files(event_handlers), files(loggers)],
            general: vec!["debug_level = 4".into()],
            categories: Vec::new(),
            broadcast: false,
            plugins_folder: Path::new(STOCK_MODULES).join("plugins"),
        };
        folder.write_core();
        folder.write_http();
        folder
    }

    /// As [`new`](ConfigsFolder::new), with the additions of `options`.
    pub fn with_options(dir: &Path, plugins: &[&str], options: &CoreOptions) -> ConfigsFolder {
        let handlers: Vec<&str> = options.event_handlers.iter().map(String::as_str).collect();
        let mut folder = ConfigsFolder::with_modules(dir, plugins, &["http"], &handlers, &[]);
        if let Some(plugins_folder) = &options.plugins_folder {
            folder.plugins_folder = plugins_folder.clone();
        }
        for (name, value) in &options.general {
            folder.set_general(name, value);
        }
        if let Some(secret) = &options.admin_secret {
            folder.set_general("admin_secret", &format!("\"{secret}\""));
            folder.enable_admin();
        }
        folder.write_core();
        folder
    }

    fn write_core(&self) {
        let disabled = |kind: &str, keep: &[String]| -> String {
            let folder = if kind == "plugins" { self.plugins_folder.clone() } else { Path::new(STOCK_MODULES).join(kind) };
            let mut names: Vec<String> = std::fs::read_dir(&folder)
                .unwrap_or_else(|e| panic!("reading {}: {e}", folder.display()))
                .filter_map(|e| e.ok()?.file_name().into_string().ok())
                .filter(|n| n.ends_with(".so") && !keep.contains(n))
                .collect();
            names.sort();
            names.join(",")
        };
        let mut core = format!(
            "general: {{\n\
             \tconfigs_folder = \"{dir}\"\n\
             \tplugins_folder = \"{plugins_folder}\"\n\
             \ttransports_folder = \"{STOCK_MODULES}/transports\"\n\
             \tevents_folder = \"{STOCK_MODULES}/events\"\n\
             \tloggers_folder = \"{STOCK_MODULES}/loggers\"\n",
            dir = self.dir.display(),
            plugins_folder = self.plugins_folder.display(),
        );
        for line in &self.general {
            core.push_str(&format!("\t{line}\n"));
        }
        core.push_str("}\n");
        let module_category = |c: &str| MODULE_KINDS.iter().any(|(_, category)| *category == c);
        for (category, lines) in self.categories.iter().filter(|(c, _)| !module_category(c)) {
            core.push_str(&format!("{category}: {{\n"));
            for line in lines {
                core.push_str(&format!("\t{line}\n"));
            }
            core.push_str("}\n");
        }
        for ((folder, category), keep) in MODULE_KINDS.iter().zip(&self.enabled) {
            core.push_str(&format!("{category}: {{\n\tdisable = \"{}\"\n", disabled(folder, keep)));
            if *category == "events" {
                core.push_str(&format!("\tbroadcast = {}\n", self.broadcast));
            }
            // Items set with `set_item` in a module category go in the same category.
            for (_, lines) in self.categories.iter().filter(|(c, _)| c == category) {
                for line in lines {
                    core.push_str(&format!("\t{line}\n"));
                }
            }
            core.push_str("}\n");
        }
        self.write("janus.jcfg", &core);
    }

    fn write_http(&self) {
        let admin = match self.admin_port {
            Some(port) => format!(
                "admin: {{\n\tadmin_base_path = \"/admin\"\n\tadmin_http = true\n\tadmin_port = {port}\n\
                 \tadmin_ip = \"127.0.0.1\"\n\tadmin_https = false\n}}\n"
            ),
            None => "admin: {\n\tadmin_http = false\n\tadmin_https = false\n}\n".into(),
        };
        let http = format!(
            "general: {{\n\
             \tjson = \"compact\"\n\
             \tbase_path = \"/janus\"\n\
             \thttp = true\n\
             \tport = {port}\n\
             \tip = \"127.0.0.1\"\n\
             \thttps = false\n\
             }}\n{admin}",
            port = self.http_port,
        );
        self.write("janus.transport.http.jcfg", &http);
    }

    /// Adds (or, written later, overrides) an item of `janus.jcfg`'s `general` category,
    /// e.g. `set_general("log_prefix", "\"[x] \"")`; the value is written as given.
    pub fn set_general(&mut self, name: &str, value: &str) {
        self.general.retain(|l| l.split(" = ").next() != Some(name));
        self.general.push(format!("{name} = {value}"));
        self.write_core();
    }

    /// Adds (or, written later, overrides) an item of another `janus.jcfg` category than
    /// `general`, e.g. `set_item("nat", "ice_enforce_list", "\"veth0\"")`; the value is
    /// written as given.
    pub fn set_item(&mut self, category: &str, name: &str, value: &str) {
        let index = match self.categories.iter().position(|(c, _)| c == category) {
            Some(index) => index,
            None => {
                self.categories.push((category.to_string(), Vec::new()));
                self.categories.len() - 1
            }
        };
        let lines = &mut self.categories[index].1;
        lines.retain(|l| l.split(" = ").next() != Some(name));
        lines.push(format!("{name} = {value}"));
        self.write_core();
    }

    /// Sets `events.broadcast` (event handlers load only when it is true).
    pub fn set_broadcast(&mut self, on: bool) {
        self.broadcast = on;
        self.write_core();
    }

    /// Serves the Admin API of the HTTP transport on `/admin` at a free loopback port.
    pub fn enable_admin(&mut self) -> u16 {
        let port = *self.admin_port.get_or_insert_with(free_port);
        self.write_http();
        port
    }

    /// Enables the stock WebSockets transport and serves the Janus API with it (plain `ws`,
    /// no Admin API) at a free loopback port, which it returns.
    pub fn enable_websockets(&mut self) -> u16 {
        if let Some(port) = self.ws_port {
            return port;
        }
        let port = free_port();
        self.ws_port = Some(port);
        self.enabled[1].push("libjanus_websockets.so".into());
        self.write(
            "janus.transport.websockets.jcfg",
            &format!(
                "general: {{\n\tjson = \"compact\"\n\tws = true\n\tws_port = {port}\n\tws_ip = \"127.0.0.1\"\n\twss = false\n}}\n\
                 admin: {{\n\tadmin_ws = false\n\tadmin_wss = false\n}}\n"
            ),
        );
        self.write_core();
        port
    }

    /// Writes (or replaces) one configuration file of the folder.
    pub fn write(&self, name: &str, text: &str) {
        let path = self.dir.join(name);
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

/// Waits (bounded) until every thread of process `pid` sleeps, twice in a row: the gateway
/// has settled after startup. Signalled earlier, it may wait forever for a thread that had
/// not yet reached its GLib main loop when the loop was told to quit (a quit before the run
/// is lost): Janus 1.1.2's sessions watchdog, and the stock HTTP transport's timer thread
/// under any core. On a loaded machine that window is wide enough to hit.
pub fn wait_until_idle(pid: u32) {
    let states = || -> Option<Vec<(String, char)>> {
        let mut all = Vec::new();
        for task in std::fs::read_dir(format!("/proc/{pid}/task")).ok()? {
            let task = task.ok()?;
            let stat = std::fs::read_to_string(task.path().join("stat")).ok()?;
            // The state follows the parenthesised command name, which may hold spaces.
            let state = stat.rsplit_once(") ")?.1.chars().next()?;
            all.push((task.file_name().to_string_lossy().into_owned(), state));
        }
        all.sort();
        Some(all)
    };
    let deadline = Instant::now() + STARTUP_TIMEOUT;
    let mut previous = None;
    while Instant::now() < deadline {
        let now = states();
        let idle = now.as_ref().is_some_and(|s| s.iter().all(|(_, state)| *state == 'S'));
        if idle && now == previous {
            return;
        }
        previous = now.filter(|_| idle);
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A running gateway process, stopped (SIGTERM, then SIGKILL after a bounded wait) when
/// dropped. Its stdout and stderr go to `janus.log` in the configs folder.
pub struct Gateway {
    /// Behind a lock so that [`Gateway::is_running`] works while sessions borrow the gateway.
    child: Mutex<Child>,
    pub http_port: u16,
    pub admin_port: Option<u16>,
    pub ws_port: Option<u16>,
    pub log_path: PathBuf,
}

impl Gateway {
    /// Starts `binary -F <configs folder>` and waits (bounded) until its HTTP transport
    /// answers an `info` request. Panics with the end of the log if it exits or never
    /// answers.
    pub fn start(binary: &Path, configs: &ConfigsFolder) -> Gateway {
        Gateway::start_with(binary, configs, &["-o"])
    }

    /// As [`start`](Gateway::start), with `args` after `-F <configs folder>` instead of `-o`.
    pub fn start_with(binary: &Path, configs: &ConfigsFolder, args: &[&str]) -> Gateway {
        let log_path = configs.dir.join("janus.log");
        let log = std::fs::File::create(&log_path).expect("log file");
        let mut command = Command::new(binary);
        // SAFETY: prctl is async-signal-safe. If the test thread that owns the gateway dies
        // without dropping it (the test process killed by a CI timeout), the kernel kills
        // the gateway too; a normal drop stops it before that thread ends.
        unsafe {
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let child = command
            .arg("-F")
            .arg(&configs.dir)
            .args(args)
            .env("LC_ALL", "C")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log file"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", binary.display()));
        let mut gateway = Gateway {
            child: Mutex::new(child),
            http_port: configs.http_port,
            admin_port: configs.admin_port,
            ws_port: configs.ws_port,
            log_path,
        };
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        loop {
            if let Ok(Some(status)) = gateway.child_mut().try_wait() {
                panic!("{} exited ({status}) before serving:\n{}", binary.display(), gateway.log_tail());
            }
            if let Ok((200, _)) = gateway.http("POST", "/janus", Some(r#"{"janus":"info","transaction":"ready"}"#)) {
                wait_until_idle(gateway.pid());
                return gateway;
            }
            if Instant::now() > deadline {
                panic!("{} did not serve HTTP within {STARTUP_TIMEOUT:?}:\n{}", binary.display(), gateway.log_tail());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The gateway's process id.
    pub fn pid(&self) -> u32 {
        self.child().id()
    }

    /// Whether the process is still running (it has not exited or crashed).
    pub fn is_running(&self) -> bool {
        matches!(self.child().try_wait(), Ok(None))
    }

    fn child(&self) -> std::sync::MutexGuard<'_, Child> {
        self.child.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn child_mut(&mut self) -> &mut Child {
        self.child.get_mut().unwrap_or_else(|e| e.into_inner())
    }

    /// Sends `signal` and waits (bounded) for the process to end: its exit status, or
    /// `None` if it had to be SIGKILLed.
    pub fn stop_with(&mut self, signal: libc::c_int) -> Option<std::process::ExitStatus> {
        let child = self.child_mut();
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        // SAFETY: signalling the child we spawned, which has not been reaped yet.
        unsafe { libc::kill(child.id() as libc::pid_t, signal) };
        let deadline = Instant::now() + SHUTDOWN_TIMEOUT;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
        None
    }

    /// Everything the gateway printed so far (stdout and stderr).
    pub fn log_text(&self) -> String {
        String::from_utf8_lossy(&std::fs::read(&self.log_path).unwrap_or_default()).into_owned()
    }

    /// POSTs an Admin API request (the configs folder must have had
    /// [`ConfigsFolder::enable_admin`]) and parses the reply.
    pub fn admin(&self, path: &str, request: &str) -> Json {
        let port = self.admin_port.expect("the Admin API is enabled in the configs folder");
        let (status, body) = http_exchange(port, "POST", &format!("/admin{path}"), Some(request), REQUEST_TIMEOUT)
            .unwrap_or_else(|e| panic!("admin POST {path}: {e}\n{}", self.log_tail()));
        assert_eq!(status, 200, "admin POST {path} {request}: {body}");
        parse_json(&body)
    }

    /// The last lines the gateway logged, for failure messages.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log_path).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    /// One HTTP/1.1 exchange with the transport (`Connection: close`), bounded by
    /// [`REQUEST_TIMEOUT`]: status code and body.
    pub fn http(&self, method: &str, path: &str, body: Option<&str>) -> std::io::Result<(u16, String)> {
        http_exchange(self.http_port, method, path, body, REQUEST_TIMEOUT)
    }

    /// POSTs a Janus API request and parses the reply; panics on transport failures.
    pub fn post(&self, path: &str, request: &str) -> Json {
        let (status, body) = self.http("POST", path, Some(request)).unwrap_or_else(|e| panic!("POST {path}: {e}\n{}", self.log_tail()));
        assert_eq!(status, 200, "POST {path} {request}: {body}");
        parse_json(&body)
    }

    /// `create` a Janus session.
    pub fn create_session(&self) -> Session<'_> {
        let reply = self.post("/janus", &with_transaction(r#"{"janus":"create"}"#));
        assert_eq!(reply.get("janus").and_then(Json::as_str), Some("success"), "create: {reply:?}");
        let id = reply.get("data").and_then(|d| d.get("id")).and_then(Json::as_i64).expect("session id");
        self.http_session(id)
    }

    /// A session that exists already (created by other means), reached over HTTP.
    pub fn http_session(&self, id: i64) -> Session<'_> {
        Session { gateway: self, id, signalling: Signalling::Http }
    }

    /// `create` a Janus session over a WebSocket connection of its own (the configs folder
    /// must have had [`ConfigsFolder::enable_websockets`]); the connection closes, and
    /// with it the session ends, when the [`Session`] is dropped.
    pub fn create_ws_session(&self) -> Session<'_> {
        let port = self.ws_port.expect("the WebSockets transport is enabled in the configs folder");
        let mut connection = WsConnection { socket: WebSocket::connect(port, REQUEST_TIMEOUT), events: VecDeque::new() };
        let reply =
            connection.call(r#"{"janus":"create"}"#).unwrap_or_else(|| panic!("no reply to create over WebSocket\n{}", self.log_tail()));
        assert_eq!(reply.get("janus").and_then(Json::as_str), Some("success"), "create: {reply:?}");
        let id = reply.get("data").and_then(|d| d.get("id")).and_then(Json::as_i64).expect("session id");
        Session { gateway: self, id, signalling: Signalling::WebSocket(Mutex::new(connection)) }
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        self.stop_with(libc::SIGTERM);
    }
}

/// A Janus session on a [`Gateway`].
pub struct Session<'g> {
    pub gateway: &'g Gateway,
    pub id: i64,
    signalling: Signalling,
}

/// The transport a [`Session`] talks over.
enum Signalling {
    /// A request per HTTP exchange; events by long poll.
    Http,
    /// Requests, replies and events on one WebSocket connection.
    WebSocket(Mutex<WsConnection>),
}

/// A session's WebSocket connection, and the events that arrived while a reply was awaited.
struct WsConnection {
    socket: WebSocket,
    events: VecDeque<Json>,
}

impl WsConnection {
    /// Sends `request` (JSON object text) with a fresh transaction and returns the reply:
    /// the first message with that transaction that is not a plugin `event` (an event may
    /// overtake the `ack` of the request that caused it). Other messages are kept as
    /// events. `None` if no reply came within [`REQUEST_TIMEOUT`].
    fn call(&mut self, request: &str) -> Option<Json> {
        let transaction = fresh_transaction();
        self.socket.send_text(&with_given_transaction(&transaction, request));
        let deadline = Instant::now() + REQUEST_TIMEOUT;
        loop {
            let message = parse_json(&self.socket.recv_text(deadline.checked_duration_since(Instant::now())?)?);
            let field = |key| message.get(key).and_then(Json::as_str);
            if field("transaction") == Some(transaction.as_str()) && field("janus") != Some("event") {
                return Some(message);
            }
            self.events.push_back(message);
        }
    }

    /// The next event: one kept aside, or the next message within `timeout`.
    fn next_event(&mut self, timeout: Duration) -> std::io::Result<Json> {
        if let Some(event) = self.events.pop_front() {
            return Ok(event);
        }
        let text = self
            .socket
            .recv_text(timeout)
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::TimedOut, format!("no WebSocket message within {timeout:?}")))?;
        Ok(parse_json(&text))
    }
}

impl Drop for WsConnection {
    /// The session ends with its connection (the transport has no reclaim timeout here).
    fn drop(&mut self) {
        self.socket.close();
    }
}

impl<'g> Session<'g> {
    /// `attach`es a plugin (by package name, e.g. `janus.plugin.videoroom`).
    pub fn attach(&self, plugin: &str) -> Handle<'_, 'g> {
        self.attach_with(plugin, "")
    }

    /// `attach` with more members (JSON text after a comma, e.g. `"loop_index":1`).
    pub fn attach_with(&self, plugin: &str, members: &str) -> Handle<'_, 'g> {
        let members = if members.is_empty() { String::new() } else { format!(",{members}") };
        let reply = self.send(None, &format!(r#"{{"janus":"attach","plugin":"{plugin}"{members}}}"#));
        assert_eq!(reply.get("janus").and_then(Json::as_str), Some("success"), "attach {plugin}: {reply:?}");
        let id = reply.get("data").and_then(|d| d.get("id")).and_then(Json::as_i64).expect("handle id");
        Handle { session: self, id }
    }

    /// Sends a Janus API request (JSON object text without transaction nor ids) to the
    /// session, or to its handle `handle`, and returns the reply.
    fn send(&self, handle: Option<i64>, request: &str) -> Json {
        match &self.signalling {
            Signalling::Http => {
                let path = match handle {
                    Some(handle) => format!("/janus/{}/{handle}", self.id),
                    None => format!("/janus/{}", self.id),
                };
                self.gateway.post(&path, &with_transaction(request))
            }
            Signalling::WebSocket(connection) => {
                let rest = request.trim_start().strip_prefix('{').expect("a JSON object");
                let request = match handle {
                    Some(handle) => format!(r#"{{"session_id":{},"handle_id":{handle},{rest}"#, self.id),
                    None => format!(r#"{{"session_id":{},{rest}"#, self.id),
                };
                let mut connection = connection.lock().unwrap_or_else(|e| e.into_inner());
                connection.call(&request).unwrap_or_else(|| panic!("no reply to {request} over WebSocket\n{}", self.gateway.log_tail()))
            }
        }
    }

    /// The next event: over HTTP one long poll (`GET /janus/<session>?maxev=1`), which may
    /// also return the `keepalive` the transport sends when nothing happened (the server
    /// holds a poll up to 30 s); over WebSocket the next message pushed. `timeout` bounds
    /// the wait on our side; a timeout is a test failure.
    pub fn poll(&self, timeout: Duration) -> Json {
        self.try_poll(timeout).unwrap_or_else(|e| panic!("waiting for an event: {e}\n{}", self.gateway.log_tail()))
    }

    /// As [`poll`](Session::poll), with a transport failure or timeout as an error.
    pub fn try_poll(&self, timeout: Duration) -> std::io::Result<Json> {
        match &self.signalling {
            Signalling::Http => {
                let path = format!("/janus/{}?maxev=1", self.id);
                let (status, body) = http_exchange(self.gateway.http_port, "GET", &path, None, timeout)?;
                assert_eq!(status, 200, "long poll: {body}");
                Ok(parse_json(&body))
            }
            Signalling::WebSocket(connection) => connection.lock().unwrap_or_else(|e| e.into_inner()).next_event(timeout),
        }
    }

    /// Long-polls events (keepalives left out) until `done` is true of all those received
    /// so far, and returns them; panics, listing them, if that takes more than `timeout`.
    pub fn events_until(&self, timeout: Duration, mut done: impl FnMut(&[Json]) -> bool) -> Vec<Json> {
        let deadline = Instant::now() + timeout;
        let mut events = Vec::new();
        while !done(&events) {
            let left = deadline.saturating_duration_since(Instant::now());
            let event = match self.try_poll(left) {
                Ok(event) if !left.is_zero() => event,
                _ => panic!("no such events within {timeout:?}; got {events:?}\n{}", self.gateway.log_tail()),
            };
            if event.get("janus").and_then(Json::as_str) != Some("keepalive") {
                events.push(event);
            }
        }
        events
    }

    /// `destroy`s the session.
    pub fn destroy(&self) -> Json {
        self.send(None, r#"{"janus":"destroy"}"#)
    }
}

/// A plugin handle on a [`Session`].
pub struct Handle<'s, 'g> {
    pub session: &'s Session<'g>,
    pub id: i64,
}

impl Handle<'_, '_> {
    /// Sends a `message` whose `body` is the given JSON text, and returns the whole reply
    /// (`success` with `plugindata` for synchronous plugin requests, `ack` otherwise).
    pub fn message(&self, body: &str) -> Json {
        self.session.send(Some(self.id), &format!(r#"{{"janus":"message","body":{body}}}"#))
    }

    /// Sends a `message` with a `jsep` (`type` is `offer` or `answer`), and returns the
    /// whole reply (`ack` for plugins that handle it asynchronously).
    /// A `message` with `jsep`, the JSEP object's JSON text as given (extra members such as
    /// `e2ee` included).
    pub fn message_with_raw_jsep(&self, body: &str, jsep: &str) -> Json {
        self.session.send(Some(self.id), &format!(r#"{{"janus":"message","body":{body},"jsep":{jsep}}}"#))
    }

    pub fn message_with_jsep(&self, body: &str, jsep_type: &str, sdp: &str) -> Json {
        let jsep = format!(r#"{{"type":"{jsep_type}","sdp":{}}}"#, Json::from(sdp).to_compact_string());
        self.session.send(Some(self.id), &format!(r#"{{"janus":"message","body":{body},"jsep":{jsep}}}"#))
    }

    /// Trickles one candidate (`candidate:...` attribute text, for m-line `sdp_mid`), or
    /// the end of candidates when `candidate` is `None`; returns the reply (`ack`).
    pub fn trickle(&self, candidate: Option<(&str, &str)>) -> Json {
        let candidate = match candidate {
            Some((sdp_mid, text)) => format!(
                r#"{{"sdpMid":{},"sdpMLineIndex":0,"candidate":{}}}"#,
                Json::from(sdp_mid).to_compact_string(),
                Json::from(text).to_compact_string()
            ),
            None => r#"{"completed":true}"#.to_string(),
        };
        self.session.send(Some(self.id), &format!(r#"{{"janus":"trickle","candidate":{candidate}}}"#))
    }

    /// Sends a Janus API request without a body (`hangup`, `detach`) on the handle and
    /// returns the reply.
    pub fn janus_request(&self, janus: &str) -> Json {
        self.session.send(Some(self.id), &format!(r#"{{"janus":"{janus}"}}"#))
    }

    /// A synchronous plugin request: the `plugindata.data` of the `success` reply (which
    /// may carry the plugin's own `error_code`).
    pub fn request(&self, body: &str) -> Json {
        let reply = self.message(body);
        assert_eq!(reply.get("janus").and_then(Json::as_str), Some("success"), "{body}: {reply:?}");
        reply.get("plugindata").and_then(|p| p.get("data")).cloned().unwrap_or_else(|| panic!("{body}: no plugindata.data in {reply:?}"))
    }
}

/// Parses JSON text as the transports do; panics with the text if it is not JSON.
pub fn parse_json(text: &str) -> Json {
    janus::abi::json::parse(text).unwrap_or_else(|e| panic!("not JSON ({e:?}): {text}"))
}

/// Adds a fresh `transaction` to a Janus API request given as JSON object text.
pub fn with_transaction(request: &str) -> String {
    with_given_transaction(&fresh_transaction(), request)
}

/// A transaction identifier not used before by this test process.
fn fresh_transaction() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!("t{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// Adds `transaction` to a Janus API request given as JSON object text.
fn with_given_transaction(transaction: &str, request: &str) -> String {
    let rest = request.trim_start().strip_prefix('{').expect("a JSON object");
    format!(r#"{{"transaction":"{transaction}",{rest}"#)
}

/// A minimal HTTP/1.1 client for the transport: one request per connection, the reply read
/// to its end (plain or chunked), everything within `timeout`.
pub fn http_exchange(port: u16, method: &str, path: &str, body: Option<&str>, timeout: Duration) -> std::io::Result<(u16, String)> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut stream = TcpStream::connect_timeout(&addr, timeout.min(Duration::from_secs(2)))?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    let body = body.unwrap_or("");
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n");
    if method != "GET" {
        request.push_str(&format!("Content-Type: application/json\r\nContent-Length: {}\r\n", body.len()));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes())?;
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply)?;
    let bad = |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, format!("{what}: {reply:?}"));
    let split = reply.windows(4).position(|w| w == b"\r\n\r\n").ok_or_else(|| bad("no header end"))?;
    let head = std::str::from_utf8(&reply[..split]).map_err(|_| bad("header not UTF-8"))?;
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).ok_or_else(|| bad("no status"))?;
    let chunked =
        head.lines().any(|l| l.to_ascii_lowercase().starts_with("transfer-encoding:") && l.to_ascii_lowercase().contains("chunked"));
    let body = if chunked { dechunk(&reply[split + 4..]).ok_or_else(|| bad("bad chunks"))? } else { reply[split + 4..].to_vec() };
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}

/// Decodes a `Transfer-Encoding: chunked` body (libmicrohttpd uses it for some replies).
fn dechunk(mut data: &[u8]) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&data[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Some(body);
        }
        body.extend_from_slice(data.get(..size)?);
        data = data.get(size + 2..)?;
    }
}
