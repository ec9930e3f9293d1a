//! ICE-TCP with ICE-Lite (`ice_lite` + `ice_tcp`): the gateway offers passive TCP host
//! candidates next to the UDP ones. Run against `/usr/bin/janus` and ours.

mod support;

use std::path::Path;
use std::time::Duration;

use support::gateway::{binary_under_test, ConfigsFolder, Gateway, REFERENCE_BINARY};
use support::webrtc::{in_private_network, sdp_candidates, Peer, GATEWAY_INTERFACE};

const WAIT: Duration = Duration::from_secs(10);

fn ice_tcp_candidates(binary: &Path, test: &str) -> Vec<String> {
    in_private_network(|net| {
        let mut configs = ConfigsFolder::new(&support::scratch_dir(test), &["echotest"]);
        configs.set_item("nat", "ice_enforce_list", &format!("\"{GATEWAY_INTERFACE}\""));
        configs.set_item("nat", "ice_lite", "true");
        configs.set_item("nat", "ice_tcp", "true");
        let gateway = Gateway::start(binary, &configs);
        let session = gateway.create_session();
        let handle = session.attach("janus.plugin.echotest");
        let mut peer = Peer::new(net.peer_ip.into());
        handle.message_with_jsep(r#"{"audio":true}"#, "offer", &peer.create_offer(true, false));
        let events = session.events_until(WAIT, |events| events.iter().any(|e| e.get("jsep").is_some()));
        let answer = events.last().and_then(|e| e.get("jsep")?.get("sdp")?.as_str().map(String::from)).expect("an answer");
        assert!(answer.contains("a=ice-lite"), "{answer}");
        session.destroy();
        let gateway_ip = net.gateway_ip.to_string();
        let mut tcp: Vec<String> = sdp_candidates(&answer)
            .into_iter()
            .filter(|c| c.contains(" tcp ") || c.contains(" TCP "))
            .map(|c| {
                // Foundation, priority and port differ from run to run: keep the rest.
                let f: Vec<&str> = c.split_whitespace().collect();
                assert!(f.len() >= 8 && f[4] == gateway_ip, "{c}");
                format!("{} {} {} {}", f[2].to_lowercase(), f[4], f[6], f[7..].join(" "))
            })
            .collect();
        tcp.sort();
        tcp
    })
}

#[test]
fn ice_tcp_with_lite_offers_passive_tcp_candidates() {
    let ours = ice_tcp_candidates(&binary_under_test(), "webrtc-ice-tcp-ours");
    assert!(ours.iter().any(|c| c.contains("tcptype passive")), "{ours:?}");
    if Path::new(REFERENCE_BINARY).exists() {
        let theirs = ice_tcp_candidates(Path::new(REFERENCE_BINARY), "webrtc-ice-tcp-reference");
        assert_eq!(ours, theirs, "TCP candidates (transport, address, type, tcptype)");
    }
}
