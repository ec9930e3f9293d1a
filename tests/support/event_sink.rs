//! An HTTP server standing in for an event handler backend: the stock sampleevh POSTs the
//! gateway's events to it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use janus::json::Json;

use super::gateway::parse_json;

const WAIT: Duration = Duration::from_secs(10);

/// An HTTP server collecting the JSON bodies POSTed to it (keep-alive connections served
/// one request after another, each answered `200 OK`).
pub struct Collector {
    pub port: u16,
    bodies: Arc<Mutex<Vec<String>>>,
}

impl Collector {
    pub fn start() -> Collector {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("a loopback port");
        let port = listener.local_addr().unwrap().port();
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let sink = bodies.clone();
        // The thread ends with the test process; it only ever reads from loopback.
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let sink = sink.clone();
                std::thread::spawn(move || serve(stream, &sink));
            }
        });
        Collector { port, bodies }
    }

    /// The JSON events received so far, flattened (a POST may carry an array of them).
    pub fn events(&self) -> Vec<Json> {
        let bodies = self.bodies.lock().unwrap().clone();
        let mut events = Vec::new();
        for body in bodies {
            match parse_json(&body) {
                Json::Array(items) => events.extend(items),
                event => events.push(event),
            }
        }
        events
    }

    /// Waits (bounded) until an event satisfies `wanted`.
    pub fn wait_for(&self, what: &str, wanted: impl Fn(&Json) -> bool) {
        let deadline = Instant::now() + WAIT;
        while !self.events().iter().any(&wanted) {
            assert!(Instant::now() < deadline, "no {what} posted within {WAIT:?}: {:#?}", self.events());
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn serve(stream: TcpStream, sink: &Mutex<Vec<String>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let mut writer = stream.try_clone().expect("stream clone");
    let mut reader = BufReader::new(stream);
    loop {
        let mut length = 0usize;
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        loop {
            line.clear();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
        }
        let mut body = vec![0u8; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        sink.lock().unwrap().push(String::from_utf8_lossy(&body).into_owned());
        if writer.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").is_err() {
            return;
        }
    }
}
