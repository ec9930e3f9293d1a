//! Headless Chromium running pages that use Debian's unchanged `janus.js` against a gateway,
//! for end-to-end tests with a WebRTC stack and a Janus client that we did not write.
//!
//! The test serves the pages and scripts itself ([`PageServer`], on 127.0.0.1 so that the
//! page is a secure context and may capture the fake media devices), the page talks to the
//! gateway's HTTP transport and reports what it saw by POSTing JSON to `/report/<name>` on
//! the same server. Everything runs inside the test's private network namespace
//! (`webrtc::in_private_network`): Janus never gathers candidates on loopback, so media go
//! over the namespace's veth pair, whose addresses Chromium announces as they are (its mDNS
//! obfuscation of host candidates is turned off). The usual flow:
//! ```ignore
//! let Some(chromium) = chromium() else { return skip("...") };
//! let server = PageServer::start(vec![Route::html("/echotest.html", PAGE)]);
//! let browser = Browser::open(chromium, &server.url(&format!("/echotest.html?server={janus}")), &dir);
//! let result = server.wait_report("echotest", WAIT, &browser);
//! ```
//! Every wait is bounded, and the browser's whole process group is killed when the
//! [`Browser`] is dropped, even if the test panics.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use janus::json::Json;

use super::gateway::parse_json;

/// Debian's `chromium` launcher.
const CHROMIUM: &str = "/usr/bin/chromium";
/// Where Debian's `libjs-janus-gateway` and `libjs-webrtc-adapter` install their scripts.
const JANUS_JS: &str = "/usr/share/javascript/janus-gateway/janus.js";
const ADAPTER_JS: &str = "/usr/share/javascript/webrtc-adapter/adapter.js";
/// Bound on reading one request from the browser.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// Largest request (headers and body) the page server accepts.
const REQUEST_MAX: usize = 1 << 20;

/// Chromium, when Debian's package is installed.
pub fn chromium() -> Option<&'static Path> {
    Some(Path::new(CHROMIUM)).filter(|p| p.exists())
}

/// What a test prints when it cannot run for want of a browser.
pub fn skip(test: &str) {
    eprintln!("SKIPPED {test}: {CHROMIUM} is not installed (Debian package `chromium`, installed by `make test`)");
}

/// One file the page server serves.
pub struct Route {
    path: String,
    content_type: &'static str,
    body: Vec<u8>,
}

impl Route {
    pub fn new(path: &str, content_type: &'static str, body: impl Into<Vec<u8>>) -> Route {
        Route { path: path.to_string(), content_type, body: body.into() }
    }

    pub fn html(path: &str, text: &str) -> Route {
        Route::new(path, "text/html; charset=utf-8", text)
    }

    pub fn script(path: &str, text: &str) -> Route {
        Route::new(path, "text/javascript; charset=utf-8", text)
    }

    /// Debian's `janus.js` and the `adapter.js` it relies on, unchanged, at
    /// `/janus.js` and `/adapter.js`.
    pub fn janus_js() -> Vec<Route> {
        [("/janus.js", JANUS_JS), ("/adapter.js", ADAPTER_JS)]
            .into_iter()
            .map(|(path, file)| {
                let body =
                    std::fs::read(file).unwrap_or_else(|e| panic!("{file}: {e} (packages libjs-janus-gateway, libjs-webrtc-adapter)"));
                Route::new(path, "text/javascript; charset=utf-8", body)
            })
            .collect()
    }
}

/// A small HTTP/1.1 server on 127.0.0.1 (of the namespace it is started in): serves
/// [`Route`]s to the browser and collects the JSON the pages POST to `/report/<name>`.
pub struct PageServer {
    pub port: u16,
    stop: Arc<AtomicBool>,
    acceptor: Option<JoinHandle<()>>,
    reports: Receiver<(String, String)>,
    /// Reports received while waiting for another one.
    early: Mutex<Vec<(String, String)>>,
}

impl PageServer {
    pub fn start(routes: Vec<Route>) -> PageServer {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("binding the page server");
        listener.set_nonblocking(true).expect("non-blocking listener");
        let port = listener.local_addr().expect("page server address").port();
        let stop = Arc::new(AtomicBool::new(false));
        let (sender, reports) = channel();
        let routes = Arc::new(routes);
        let acceptor = {
            let stop = stop.clone();
            std::thread::spawn(move || accept_loop(&listener, &stop, &routes, &sender))
        };
        PageServer { port, stop, acceptor: Some(acceptor), reports, early: Mutex::new(Vec::new()) }
    }

    /// The address of `path` (which may carry a query) on this server.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Waits (at most `timeout`) for the page to POST `/report/<name>` and returns its JSON.
    /// Panics, with the end of the browser's console, on timeout, if a page reports `error`
    /// first, or if the browser exits.
    pub fn wait_report(&self, name: &str, timeout: Duration, browser: &mut Browser) -> Json {
        let deadline = Instant::now() + timeout;
        loop {
            {
                let mut early = self.early.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(error) = early.iter().find(|(n, _)| n == "error") {
                    panic!("the page reported an error: {}\n{}", error.1, browser.console_tail());
                }
                if let Some(index) = early.iter().position(|(n, _)| n == name) {
                    return parse_json(&early.remove(index).1);
                }
            }
            assert!(browser.is_running(), "the browser exited before reporting {name}\n{}", browser.console_tail());
            let left = deadline.saturating_duration_since(Instant::now());
            match self.reports.recv_timeout(left.min(Duration::from_millis(200))) {
                Ok(report) => self.early.lock().unwrap_or_else(|e| e.into_inner()).push(report),
                Err(RecvTimeoutError::Timeout) if !left.is_zero() => {}
                Err(_) => panic!("no report {name} from the page within {timeout:?}\n{}", browser.console_tail()),
            }
        }
    }
}

impl Drop for PageServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

fn accept_loop(listener: &TcpListener, stop: &AtomicBool, routes: &Arc<Vec<Route>>, reports: &Sender<(String, String)>) {
    while !stop.load(Ordering::Relaxed) {
        match listener.accept() {
            // One thread per connection: the browser keeps idle connections open, which
            // must not hold up the others. Each ends within REQUEST_TIMEOUT.
            Ok((stream, _)) => {
                let routes = routes.clone();
                let reports = reports.clone();
                std::thread::spawn(move || {
                    let _ = serve(stream, &routes, &reports);
                });
            }
            Err(_) => std::thread::sleep(Duration::from_millis(10)),
        }
    }
}

/// Answers one request on `stream`, then closes it.
fn serve(mut stream: TcpStream, routes: &[Route], reports: &Sender<(String, String)>) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(REQUEST_TIMEOUT))?;
    stream.set_write_timeout(Some(REQUEST_TIMEOUT))?;
    let mut request = Vec::new();
    let mut chunk = [0u8; 4096];
    let header_end = loop {
        if let Some(end) = request.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        let n = stream.read(&mut chunk)?;
        if n == 0 || request.len() > REQUEST_MAX {
            return Ok(());
        }
        request.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&request[..header_end]).into_owned();
    let mut request_line = head.lines().next().unwrap_or("").split_whitespace();
    let (method, target) = (request_line.next().unwrap_or(""), request_line.next().unwrap_or(""));
    let length: usize = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse().ok())
        .unwrap_or(0)
        .min(REQUEST_MAX);
    while request.len() < header_end + length {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Ok(());
        }
        request.extend_from_slice(&chunk[..n]);
    }
    let body = &request[header_end..header_end + length];
    let path = target.split('?').next().unwrap_or("");
    let (status, content_type, reply): (&str, &str, &[u8]) = match (method, path.strip_prefix("/report/")) {
        ("POST", Some(name)) => {
            let _ = reports.send((name.to_string(), String::from_utf8_lossy(body).into_owned()));
            ("204 No Content", "text/plain", b"")
        }
        ("GET", None) => match routes.iter().find(|r| r.path == path) {
            Some(route) => ("200 OK", route.content_type, &route.body),
            None => ("404 Not Found", "text/plain", b"not found"),
        },
        _ => ("405 Method Not Allowed", "text/plain", b""),
    };
    let header = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        reply.len()
    );
    stream.write_all(header.as_bytes())?;
    stream.write_all(reply)?;
    stream.flush()
}

/// A headless Chromium showing one page, with fake camera and microphone, in a process
/// group of its own that is killed (SIGKILL, the whole group) when dropped. Its stderr,
/// where it logs the page's console, goes to `chromium.log` in the given folder.
pub struct Browser {
    child: Child,
    log_path: PathBuf,
}

impl Browser {
    /// Starts `chromium` on `url`, with a fresh profile in `dir`.
    pub fn open(chromium: &Path, url: &str, dir: &Path) -> Browser {
        let profile = dir.join("chromium-profile");
        std::fs::create_dir_all(&profile).expect("profile folder");
        let log_path = dir.join("chromium.log");
        let log = std::fs::File::create(&log_path).expect("browser log");
        let mut command = Command::new(chromium);
        command
            .args([
                "--headless=new",
                // Tests run as root, where Chromium's sandbox cannot start.
                "--no-sandbox",
                "--use-fake-device-for-media-stream",
                "--use-fake-ui-for-media-stream",
                // Host candidates as addresses, not mDNS names the gateway cannot resolve.
                "--disable-features=WebRtcHideLocalIpsWithMdns",
                "--autoplay-policy=no-user-gesture-required",
                "--mute-audio",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--no-default-browser-check",
                "--enable-logging=stderr",
                "--v=0",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg(url)
            .env("LC_ALL", "C")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("browser log"))
            .stderr(log)
            // Its own group, so that dropping kills the renderers and helpers too.
            .process_group(0);
        // SAFETY: prctl is async-signal-safe. If the test thread dies without dropping the
        // browser (the test process killed), the kernel kills the browser's main process.
        unsafe {
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let child = command.spawn().unwrap_or_else(|e| panic!("starting {}: {e}", chromium.display()));
        Browser { child, log_path }
    }

    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// The page's console messages and the browser's errors, last ones, for failure messages.
    pub fn console_tail(&self) -> String {
        let text = String::from_utf8_lossy(&std::fs::read(&self.log_path).unwrap_or_default()).into_owned();
        // Without a D-Bus, Chromium logs errors about it at every start: noise here.
        let lines: Vec<&str> = text.lines().filter(|l| l.contains("CONSOLE") || (l.contains(":ERROR:") && !l.contains("dbus"))).collect();
        format!("browser console (last lines of {}):\n{}", self.log_path.display(), lines[lines.len().saturating_sub(40)..].join("\n"))
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let group = self.child.id() as libc::pid_t;
        // SAFETY: signalling the process group we created for the child, which is not reaped
        // yet (so its id, and the group's, cannot have been reused).
        unsafe { libc::kill(-group, libc::SIGKILL) };
        let _ = self.child.wait();
    }
}
