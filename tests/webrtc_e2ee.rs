//! End-to-end encryption (`e2ee` in a JSEP, for insertable streams): a VideoRoom publisher
//! that says its media is end-to-end encrypted gets an answer saying so (the core keeps the
//! flag through the plugin's answer), and a subscriber's offer is as VideoRoom makes it. Run
//! against `/usr/bin/janus` and ours.

mod support;

use std::path::Path;
use std::time::Duration;

use janus::json::Json;
use support::gateway::Gateway;
use support::json::{at, int_at, str_at};
use support::webrtc::{in_private_network, private_network_configs, wait_jsep, Peer};

const WAIT: Duration = Duration::from_secs(10);
const ROOM: i64 = 4242;

fn e2ee(binary: &Path, test: &str) {
    in_private_network(|net| {
        let configs = private_network_configs(test, &["videoroom"]);
        let gateway = Gateway::start(binary, &configs);
        let publisher_session = gateway.create_session();
        let publisher_handle = publisher_session.attach("janus.plugin.videoroom");
        publisher_handle.request(&format!(r#"{{"request":"create","room":{ROOM}}}"#));
        publisher_handle.message(&format!(r#"{{"request":"join","ptype":"publisher","room":{ROOM}}}"#));
        let joined = publisher_session
            .events_until(WAIT, |events| events.iter().any(|e| str_at(e, &["plugindata", "data", "videoroom"]) == Some("joined")));
        let feed = joined.iter().find_map(|e| int_at(e, &["plugindata", "data", "id"])).expect("publisher id");
        let mut publisher = Peer::new(net.peer_ip.into());
        let offer = publisher.create_offer(true, false);
        let jsep = format!(r#"{{"type":"offer","sdp":{},"e2ee":true}}"#, Json::from(offer.as_str()).to_compact_string());
        publisher_handle.message_with_raw_jsep(r#"{"request":"publish"}"#, &jsep);
        let answer = wait_jsep(&publisher_session, "answer");
        assert_eq!(at(&answer, &["jsep", "e2ee"]).and_then(Json::as_bool), Some(true), "the publisher's answer: {answer:?}");
        let sdp = str_at(&answer, &["jsep", "sdp"]).unwrap().to_string();
        publisher.connect(&sdp, &gateway);
        publisher.send_audio(0..10);

        let subscriber_session = gateway.create_session();
        let subscriber_handle = subscriber_session.attach("janus.plugin.videoroom");
        subscriber_handle.message(&format!(r#"{{"request":"join","ptype":"subscriber","room":{ROOM},"streams":[{{"feed":{feed}}}]}}"#));
        let offer = wait_jsep(&subscriber_session, "offer");
        // As VideoRoom 1.1.2 makes it on both gateways: the subscriber's offer says nothing of
        // end-to-end encryption (the publisher's did, and its media is relayed untouched).
        assert_eq!(at(&offer, &["jsep", "e2ee"]), None, "the subscriber's offer: {offer:?}");
        publisher_session.destroy();
        subscriber_session.destroy();
        assert!(gateway.is_running(), "the gateway died:\n{}", gateway.log_tail());
    });
}

reference_and_ours!(e2ee_reference_janus, e2ee_ours: e2ee, "webrtc-e2ee");
