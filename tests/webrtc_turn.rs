//! `turn_server` and `force_relay`: coturn runs inside the private network; a peer's JSEP
//! asks for relayed candidates only (allowed by `allow_force_relay`), so the gateway offers
//! only its TURN allocation and the str0m peer's audio is echoed through the TURN server.
//! Run against `/usr/bin/janus` and ours.

mod support;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use janus::json::Json;
use support::gateway::{free_port, ConfigsFolder, Gateway};
use support::webrtc::{in_private_network, sdp_candidates, trickle, wait_jsep, Peer, GATEWAY_INTERFACE};

const WAIT: Duration = Duration::from_secs(10);
const TURNSERVER: &str = "/usr/sbin/turnserver";

/// coturn, stopped (killed) when dropped.
struct TurnServer(Child);

impl Drop for TurnServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn turnserver_binary() -> Option<&'static str> {
    [TURNSERVER, "/usr/bin/turnserver"].into_iter().find(|p| Path::new(p).exists())
}

fn turn(binary: &Path, test: &str) {
    let Some(turnserver) = turnserver_binary() else {
        panic!("coturn's turnserver is not installed (the Makefile's test packages install it)");
    };
    in_private_network(|net| {
        let dir = support::scratch_dir(test);
        let port = free_port();
        let relay_range = (49200 + port % 500, 49200 + port % 500 + 20);
        let server = TurnServer(
            Command::new(turnserver)
                .args(["-n", "--no-cli", "--no-tls", "--no-dtls", "--lt-cred-mech", "--realm", "janus.test", "--user", "janus:turnsecret"])
                .args(["--listening-ip", &net.peer_ip.to_string(), "--relay-ip", &net.peer_ip.to_string()])
                .args(["--listening-port", &port.to_string()])
                .args(["--min-port", &relay_range.0.to_string(), "--max-port", &relay_range.1.to_string()])
                .args(["--allowed-peer-ip", &net.gateway_ip.to_string(), "--allowed-peer-ip", &net.peer_ip.to_string()])
                .args(["--pidfile", &dir.join("turnserver.pid").to_string_lossy(), "--log-file", &dir.join("turn.log").to_string_lossy()])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("turnserver starts"),
        );
        // Bounded wait until it listens.
        let deadline = Instant::now() + WAIT;
        while std::net::TcpStream::connect((net.peer_ip, port)).is_err() {
            assert!(Instant::now() < deadline, "turnserver did not listen on {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
        let mut configs = ConfigsFolder::new(&dir, &["echotest"]);
        configs.set_item("nat", "ice_enforce_list", &format!("\"{GATEWAY_INTERFACE}\""));
        configs.set_item("nat", "turn_server", &format!("\"{}\"", net.peer_ip));
        configs.set_item("nat", "turn_port", &port.to_string());
        configs.set_item("nat", "turn_type", "\"udp\"");
        configs.set_item("nat", "turn_user", "\"janus\"");
        configs.set_item("nat", "turn_pwd", "\"turnsecret\"");
        configs.set_item("nat", "allow_force_relay", "true");
        let gateway = Gateway::start(binary, &configs);
        let session = gateway.create_session();
        let handle = session.attach("janus.plugin.echotest");
        let mut peer = Peer::new(net.peer_ip.into());
        let offer = peer.create_offer(true, false);
        let jsep = format!(r#"{{"type":"offer","sdp":{},"force_relay":true}}"#, Json::from(offer.as_str()).to_compact_string());
        handle.message_with_raw_jsep(r#"{"audio":true}"#, &jsep);
        trickle(&handle, &peer);
        let event = wait_jsep(&session, "answer");
        let answer = event.get("jsep").and_then(|j| j.get("sdp")?.as_str()).expect("an answer");
        let candidates = sdp_candidates(answer);
        assert!(!candidates.is_empty() && candidates.iter().all(|c| c.contains(" typ relay ")), "relayed candidates only:\n{answer}");
        assert!(candidates.iter().all(|c| c.contains(&format!(" {} ", net.peer_ip))), "the TURN server's relay address:\n{answer}");
        peer.connect(answer, &gateway);
        let echoed = peer.echo_audio(20, 15);
        assert!(echoed >= 15, "audio did not come back through TURN: {echoed}");
        session.destroy();
        assert!(gateway.is_running(), "the gateway died:\n{}", gateway.log_tail());
        drop(gateway);
        drop(server);
    });
}

reference_and_ours!(turn_relay_reference_janus, turn_relay_ours: turn, "webrtc-turn");
