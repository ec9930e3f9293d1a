//! ICE restarts: a connected str0m peer offers again with fresh ICE credentials; the
//! gateway answers with fresh ones of its own, restarts ICE, and the EchoTest keeps echoing.
//! Run against `/usr/bin/janus` and ours.

mod support;

use std::path::Path;
use std::time::Duration;

use support::gateway::Gateway;
use support::webrtc::{echotest_offer, in_private_network, offer_and_answer, opus_payload, private_network_configs, Kind, Peer};

const WAIT: Duration = Duration::from_secs(10);

fn ufrag(sdp: &str) -> Option<&str> {
    sdp.lines().find_map(|l| l.trim_end().strip_prefix("a=ice-ufrag:"))
}

fn restart(binary: &Path, test: &str) {
    in_private_network(|net| {
        let gateway = Gateway::start(binary, &private_network_configs(test, &["echotest"]));
        let session = gateway.create_session();
        let handle = session.attach("janus.plugin.echotest");
        // Sends audio (bounded) until 15 packets came back; how many did.
        let echoed = |peer: &mut Peer, from: u32| -> usize {
            let before = peer.received().len();
            let deadline = std::time::Instant::now() + WAIT;
            let mut i = from;
            while peer.received().len() < before + 15 && std::time::Instant::now() < deadline {
                peer.send(Kind::Audio, &opus_payload(i), i == from);
                peer.run_for(Duration::from_millis(20));
                i += 1;
            }
            peer.received().len() - before
        };
        let (mut peer, first) = echotest_offer(&session, &handle, net.peer_ip.into(), false);
        peer.connect(&first, &gateway);
        assert!(echoed(&mut peer, 0) >= 15, "no echo before the restart");

        let offer = peer.create_ice_restart_offer();
        assert_ne!(ufrag(&offer), None);
        let second = offer_and_answer(&session, &handle, &peer, r#"{"audio":true}"#, &offer);
        peer.accept_answer(&second);
        assert_ne!(ufrag(&first), ufrag(&second), "the gateway's credentials change with the restart:\n{second}");
        assert!(echoed(&mut peer, 100) >= 15, "no echo after the restart\n{}", gateway.log_tail());
        session.destroy();
        assert!(gateway.is_running(), "the gateway died:\n{}", gateway.log_tail());
    });
}

reference_and_ours!(ice_restart_reference_janus, ice_restart_ours: restart, "webrtc-ice-restart");
