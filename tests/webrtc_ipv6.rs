//! IPv6 (`media.ipv6`): the gateway gathers IPv6 host candidates on the enforced interface
//! and carries a PeerConnection over IPv6 with a str0m peer; without the setting it offers
//! none. Run against `/usr/bin/janus` and ours.

mod support;

use std::path::Path;
use std::time::Duration;

use support::gateway::{binary_under_test, Gateway, REFERENCE_BINARY};
use support::webrtc::{echotest_offer, in_private_network, private_network_configs, sdp_candidates, GATEWAY_INTERFACE};

const WAIT: Duration = Duration::from_secs(10);

fn echo_over_ipv6(binary: &Path, test: &str) {
    in_private_network(|net| {
        let mut configs = private_network_configs(test, &["echotest"]);
        configs.set_item("media", "ipv6", "true");
        let gateway = Gateway::start(binary, &configs);
        let session = gateway.create_session();
        let handle = session.attach("janus.plugin.echotest");
        let (mut peer, answer) = echotest_offer(&session, &handle, net.peer_ip6.into(), false);
        let gateway_ip6 = net.gateway_ip6.to_string();
        assert!(sdp_candidates(&answer).iter().any(|c| c.contains(&gateway_ip6)), "no IPv6 candidate in\n{answer}");
        peer.connect(&answer, &gateway);
        let echoed = peer.echo_audio(20, 15);
        assert!(echoed >= 15, "audio did not come back over IPv6: {echoed}");
        session.destroy();

        // Without `ipv6`, no IPv6 candidate is offered.
        drop(gateway);
        configs.set_item("media", "ipv6", "false");
        let gateway = Gateway::start(binary, &configs);
        let session = gateway.create_session();
        let handle = session.attach("janus.plugin.echotest");
        let (_peer, answer) = echotest_offer(&session, &handle, net.peer_ip.into(), false);
        let candidates = sdp_candidates(&answer);
        assert!(!candidates.is_empty() && candidates.iter().all(|c| !c.contains(&gateway_ip6)), "{answer}");
        session.destroy();
    });
}

reference_and_ours!(ipv6_reference_janus, ipv6_ours: echo_over_ipv6, "webrtc-ipv6");

/// With `ipv6_linklocal` too, the gateway also offers candidates on its link-local address;
/// without it, none (both gateways offer the same ones).
fn link_local_candidates(binary: &Path, test: &str, link_local: bool) -> Vec<String> {
    in_private_network(|net| {
        let mut configs = private_network_configs(test, &["echotest"]);
        configs.set_item("media", "ipv6", "true");
        configs.set_item("media", "ipv6_linklocal", if link_local { "true" } else { "false" });
        // The kernel gives the fresh link its link-local address after duplicate address
        // detection (a second or two): wait (bounded) until it is usable.
        let deadline = std::time::Instant::now() + WAIT;
        loop {
            let out =
                std::process::Command::new("ip").args(["-6", "addr", "show", "dev", GATEWAY_INTERFACE, "scope", "link"]).output().unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            if text.contains("fe80") && !text.contains("tentative") {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "no link-local address on {GATEWAY_INTERFACE}:\n{text}");
            std::thread::sleep(Duration::from_millis(50));
        }
        let gateway = Gateway::start(binary, &configs);
        let session = gateway.create_session();
        let handle = session.attach("janus.plugin.echotest");
        let (_peer, answer) = echotest_offer(&session, &handle, net.peer_ip.into(), false);
        session.destroy();
        let mut addresses: Vec<String> = sdp_candidates(&answer)
            .iter()
            .filter_map(|c| c.split_whitespace().nth(4).map(String::from))
            .filter(|a| a.starts_with("fe80"))
            .collect();
        addresses.sort();
        addresses
    })
}

#[test]
fn link_local_candidates_only_with_ipv6_linklocal() {
    let ours = link_local_candidates(&binary_under_test(), "webrtc-linklocal-ours", true);
    assert!(!ours.is_empty(), "no link-local candidate with ipv6_linklocal");
    assert!(link_local_candidates(&binary_under_test(), "webrtc-linklocal-off-ours", false).is_empty());
    if Path::new(REFERENCE_BINARY).exists() {
        let theirs = link_local_candidates(Path::new(REFERENCE_BINARY), "webrtc-linklocal-reference", true);
        assert_eq!(ours.len(), theirs.len(), "ours {ours:?}, Janus {theirs:?}");
        assert!(link_local_candidates(Path::new(REFERENCE_BINARY), "webrtc-linklocal-off-reference", false).is_empty());
    }
}
