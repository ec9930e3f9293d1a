//! IPv6 (`media.ipv6`): the gateway gathers IPv6 host candidates on the enforced interface
//! and carries a PeerConnection over IPv6 with a str0m peer; without the setting it offers
//! none. Run against `/usr/bin/janus` and ours.

mod support;

use std::path::Path;
use std::time::Duration;

use janus::json::Json;
use support::gateway::{binary_under_test, ConfigsFolder, Gateway, REFERENCE_BINARY};
use support::webrtc::{in_private_network, opus_payload, sdp_candidates, Kind, Peer, GATEWAY_INTERFACE};

const WAIT: Duration = Duration::from_secs(10);

fn str_at<'a>(value: &'a Json, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(value, |v, key| v.get(key))?.as_str()
}

fn echo_over_ipv6(binary: &Path, test: &str) {
    in_private_network(|net| {
        let mut configs = ConfigsFolder::new(&support::scratch_dir(test), &["echotest"]);
        configs.set_item("nat", "ice_enforce_list", &format!("\"{GATEWAY_INTERFACE}\""));
        configs.set_item("media", "ipv6", "true");
        let gateway = Gateway::start(binary, &configs);
        let session = gateway.create_session();
        let handle = session.attach("janus.plugin.echotest");
        let mut peer = Peer::new(net.peer_ip6.into());
        let offer = peer.create_offer(true, false);
        handle.message_with_jsep(r#"{"audio":true}"#, "offer", &offer);
        handle.trickle(Some((&peer.first_mid(), &peer.candidate_attribute())));
        handle.trickle(None);
        let events = session.events_until(WAIT, |events| events.iter().any(|e| e.get("jsep").is_some()));
        let answer = events.last().and_then(|e| str_at(e, &["jsep", "sdp"]).map(String::from)).expect("an answer");
        let gateway_ip6 = net.gateway_ip6.to_string();
        assert!(sdp_candidates(&answer).iter().any(|c| c.contains(&gateway_ip6)), "no IPv6 candidate in\n{answer}");
        peer.accept_answer(&answer);
        assert!(peer.run_until(WAIT, Peer::is_connected), "ICE and DTLS did not complete over IPv6\n{}", gateway.log_tail());
        for i in 0..20 {
            peer.send(Kind::Audio, &opus_payload(i), i == 0);
            peer.run_for(Duration::from_millis(20));
        }
        assert!(peer.run_until(WAIT, |p| p.received().len() >= 15), "audio did not come back over IPv6: {}", peer.received().len());
        session.destroy();

        // Without `ipv6`, no IPv6 candidate is offered.
        drop(gateway);
        configs.set_item("media", "ipv6", "false");
        let gateway = Gateway::start(binary, &configs);
        let session = gateway.create_session();
        let handle = session.attach("janus.plugin.echotest");
        let mut peer = Peer::new(net.peer_ip.into());
        handle.message_with_jsep(r#"{"audio":true}"#, "offer", &peer.create_offer(true, false));
        let events = session.events_until(WAIT, |events| events.iter().any(|e| e.get("jsep").is_some()));
        let answer = events.last().and_then(|e| str_at(e, &["jsep", "sdp"]).map(String::from)).expect("an answer");
        let candidates = sdp_candidates(&answer);
        assert!(!candidates.is_empty() && candidates.iter().all(|c| !c.contains(&gateway_ip6)), "{answer}");
        session.destroy();
    });
}

#[test]
fn ipv6_reference_janus() {
    echo_over_ipv6(Path::new(REFERENCE_BINARY), "webrtc-ipv6-reference");
}

#[test]
fn ipv6_ours() {
    echo_over_ipv6(&binary_under_test(), "webrtc-ipv6-ours");
}
