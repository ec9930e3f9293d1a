//! `stun_server`: a STUN server of the test, inside the private network, answers every
//! Binding Request with a made-up public address (as a NAT would): the gateway's startup
//! check learns it (`info`'s public IP), and its ICE agents gather a server-reflexive
//! candidate with it, offered next to the host one. Run against `/usr/bin/janus` and ours.

mod support;

use std::net::Ipv4Addr;
use std::path::Path;

use janus::json::Json;
use support::gateway::{with_transaction, Gateway};
use support::stun_server::StunServer;
use support::webrtc::{echotest_offer, in_private_network, private_network_configs, sdp_candidates};

/// The address our STUN server says requests come from.
const PUBLIC: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 5);

fn stun(binary: &Path, test: &str) {
    in_private_network(|net| {
        let server = StunServer::start(net.peer_ip.into(), Some(PUBLIC));
        let stun_port = server.port;
        let mut configs = private_network_configs(test, &["echotest"]);
        configs.set_item("nat", "stun_server", &format!("\"{}\"", net.peer_ip));
        configs.set_item("nat", "stun_port", &stun_port.to_string());
        let gateway = Gateway::start(binary, &configs);
        let info = gateway.post("/janus", &with_transaction(r#"{"janus":"info"}"#));
        assert_eq!(info.get("public-ip").and_then(Json::as_str), Some("203.0.113.5"), "{info:?}");
        let session = gateway.create_session();
        let handle = session.attach("janus.plugin.echotest");
        let (_peer, answer) = echotest_offer(&session, &handle, net.peer_ip.into(), false);
        let candidates = sdp_candidates(&answer);
        let srflx = candidates.iter().find(|c| c.contains(" typ srflx ")).unwrap_or_else(|| panic!("no srflx candidate in\n{answer}"));
        assert!(srflx.contains(" 203.0.113.5 ") && srflx.contains(&format!("raddr {}", net.gateway_ip)), "{srflx}");
        assert!(candidates.iter().any(|c| c.contains(" typ host")), "{answer}");
        session.destroy();
        drop(server);
    });
}

reference_and_ours!(stun_server_reference_janus, stun_server_ours: stun, "webrtc-stun");
