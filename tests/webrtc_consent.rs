//! Consent freshness (`ice_keepalive_conncheck`): keepalives are connectivity checks, so a
//! peer that goes silent makes ICE fail and the gateway hang the PeerConnection up, with
//! Janus' `hangup` event. Run against `/usr/bin/janus` and ours.

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use support::gateway::{binary_under_test, Gateway, REFERENCE_BINARY};
use support::json::{kind_of, str_at};
use support::webrtc::{echotest_offer, in_private_network, private_network_configs};

/// libnice gives a silent peer about 50 s before the component fails (both gateways).
const CONSENT_WAIT: Duration = Duration::from_secs(90);

fn consent(binary: &Path, test: &str) -> Duration {
    in_private_network(|net| {
        let mut configs = private_network_configs(test, &["echotest"]);
        configs.set_item("nat", "ice_keepalive_conncheck", "true");
        let gateway = Gateway::start(binary, &configs);
        let session = gateway.create_session();
        let handle = session.attach("janus.plugin.echotest");
        let (mut peer, answer) = echotest_offer(&session, &handle, net.peer_ip.into(), false);
        peer.connect(&answer, &gateway);
        peer.send_audio(0..25);
        // The peer goes silent: it no longer answers anything.
        drop(peer);
        let silent = Instant::now();
        let events = session.events_until(CONSENT_WAIT, |events| events.iter().any(|e| kind_of(e) == Some("hangup")));
        let hangup = events.iter().find(|e| kind_of(e) == Some("hangup")).unwrap();
        assert_eq!(str_at(hangup, &["reason"]), Some("ICE failed"), "{hangup:?}");
        assert!(gateway.is_running(), "the gateway died:\n{}", gateway.log_tail());
        silent.elapsed()
    })
}

#[test]
fn consent_freshness_reference_janus() {
    let after = consent(Path::new(REFERENCE_BINARY), "webrtc-consent-reference");
    println!("reference hung up {after:?} after the peer went silent");
}

#[test]
fn consent_freshness_ours() {
    let after = consent(&binary_under_test(), "webrtc-consent-ours");
    println!("ours hung up {after:?} after the peer went silent");
}
