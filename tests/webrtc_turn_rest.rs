//! The TURN REST API: before a handle's ICE agent starts, the gateway asks the configured
//! backend for TURN credentials, as Janus does (query with the key as `api` and `key` and
//! the session id as user, POST by default, Janus' user agent). A backend of the test's
//! answers with a TURN server nobody runs, so ICE still completes over host candidates.
//! Run against `/usr/bin/janus` and ours.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, TcpListener};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use janus::json::Json;
use support::gateway::Gateway;
use support::webrtc::{echotest_offer, in_private_network, private_network_configs};

const WAIT: Duration = Duration::from_secs(10);

/// One request the backend received: its request line, user agent and body.
#[derive(Clone, Debug)]
struct Received {
    request_line: String,
    user_agent: String,
    body: String,
}

/// A TURN REST API backend answering every request with credentials for one TURN server.
fn start_backend() -> (u16, Arc<Mutex<Vec<Received>>>) {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("a loopback port");
    let port = listener.local_addr().unwrap().port();
    let received = Arc::new(Mutex::new(Vec::new()));
    let log = received.clone();
    // Serves until the test process ends; it only ever listens on the namespace's loopback.
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let _ = stream.set_read_timeout(Some(WAIT));
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            let _ = reader.read_line(&mut request_line);
            let (mut length, mut user_agent) = (0usize, String::new());
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
                    break;
                }
                if let Some((name, value)) = line.trim_end().split_once(':') {
                    if name.eq_ignore_ascii_case("content-length") {
                        length = value.trim().parse().unwrap_or(0);
                    } else if name.eq_ignore_ascii_case("user-agent") {
                        user_agent = value.trim().to_string();
                    }
                }
            }
            let mut body = vec![0u8; length];
            let _ = reader.read_exact(&mut body);
            log.lock().unwrap().push(Received {
                request_line: request_line.trim_end().to_string(),
                user_agent,
                body: String::from_utf8_lossy(&body).into_owned(),
            });
            let answer =
                r#"{"username":"1700000000:janus","password":"secret-pwd","ttl":86400,"uris":["turn:127.0.0.1:3478?transport=udp"]}"#;
            let mut writer = stream;
            let _ = write!(
                writer,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                answer.len()
            );
        }
    });
    (port, received)
}

fn turn_rest(binary: &Path, test: &str) {
    in_private_network(|net| {
        let (port, received) = start_backend();
        let mut configs = private_network_configs(test, &["echotest"]);
        configs.set_item("nat", "turn_rest_api", &format!("\"http://127.0.0.1:{port}/turn\""));
        configs.set_item("nat", "turn_rest_api_key", "\"s3cr3t key\"");
        let gateway = Gateway::start(binary, &configs);
        assert!(gateway.log_text().contains(&format!("TURN REST API backend: http://127.0.0.1:{port}/turn\n")), "{}", gateway.log_text());
        let session = gateway.create_session();
        let handle = session.attach("janus.plugin.echotest");
        let (mut peer, answer) = echotest_offer(&session, &handle, net.peer_ip.into(), false);
        peer.connect(&answer, &gateway);

        let requests = received.lock().unwrap().clone();
        assert_eq!(requests.len(), 1, "one request per PeerConnection: {requests:?}");
        let query = format!("service=turn&api=s3cr3t%20key&key=s3cr3t%20key&username={}", session.id);
        assert_eq!(requests[0].request_line, format!("POST /turn?{query} HTTP/1.1"), "{requests:?}");
        assert_eq!(requests[0].body, query, "{requests:?}");
        assert_eq!(requests[0].user_agent, "Janus/1.0", "{requests:?}");
        let destroyed = session.destroy();
        assert_eq!(destroyed.get("janus").and_then(Json::as_str), Some("success"), "{destroyed:?}");
        assert!(gateway.is_running(), "the gateway died:\n{}", gateway.log_tail());
    });
}

reference_and_ours!(turn_rest_api_reference_janus, turn_rest_api_ours: turn_rest, "webrtc-turn-rest");
