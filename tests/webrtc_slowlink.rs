//! `slowlink_threshold`: a peer whose audio loses packets on the way in (a str0m peer that
//! skips sequence numbers) gets, once a second while the losses reach the threshold, the
//! core's `slowlink` event and the EchoTest's `slow_link` event (the plugin's `slow_link`
//! callback). Run against `/usr/bin/janus` and ours.

mod support;

use std::path::Path;
use std::time::Duration;

use janus::json::Json;
use support::gateway::Gateway;
use support::json::{at, int_at, kind_of, str_at};
use support::webrtc::{echotest_offer, in_private_network, opus_payload, private_network_configs, Kind};

const WAIT: Duration = Duration::from_secs(10);

fn slowlink(binary: &Path, test: &str) {
    in_private_network(|net| {
        let mut configs = private_network_configs(test, &["echotest"]);
        configs.set_item("media", "slowlink_threshold", "4");
        let gateway = Gateway::start(binary, &configs);
        let session = gateway.create_session();
        let handle = session.attach("janus.plugin.echotest");
        let (mut peer, answer) = echotest_offer(&session, &handle, net.peer_ip.into(), false);
        peer.connect(&answer, &gateway);
        let audio_mid = peer.mid(Kind::Audio).unwrap();

        // Three seconds of audio, a fifth of it lost: 10 packets a second, over the threshold.
        for i in 0..150 {
            if i % 5 == 4 {
                peer.skip(Kind::Audio, 1);
                peer.run_for(Duration::from_millis(20));
                continue;
            }
            peer.send(Kind::Audio, &opus_payload(i), i == 0);
            peer.run_for(Duration::from_millis(20));
        }
        let events = session.events_until(WAIT, |events| {
            events.iter().any(|e| kind_of(e) == Some("slowlink"))
                && events.iter().any(|e| str_at(e, &["plugindata", "data", "event"]) == Some("slow_link"))
        });
        let core = events.iter().find(|e| kind_of(e) == Some("slowlink")).unwrap();
        assert_eq!(int_at(core, &["sender"]), Some(handle.id), "{core:?}");
        assert_eq!(str_at(core, &["mid"]), Some(audio_mid.as_str()), "{core:?}");
        assert_eq!(str_at(core, &["media"]), Some("audio"), "{core:?}");
        assert_eq!(at(core, &["uplink"]).and_then(Json::as_bool), Some(false), "{core:?}");
        let lost = int_at(core, &["lost"]).unwrap_or(0);
        assert!((4..=30).contains(&lost), "{core:?}");
        let keys: Vec<&str> = core.as_object().map(|o| o.iter().map(|(k, _)| k).collect()).unwrap_or_default();
        assert_eq!(keys, ["janus", "session_id", "sender", "mid", "media", "uplink", "lost"], "{core:?}");
        let plugin = events.iter().find(|e| str_at(e, &["plugindata", "data", "event"]) == Some("slow_link")).unwrap();
        assert_eq!(str_at(plugin, &["plugindata", "data", "media"]), Some("audio"), "{plugin:?}");

        session.destroy();
        assert!(gateway.is_running(), "the gateway died:\n{}", gateway.log_tail());
    });
}

reference_and_ours!(slowlink_reference_janus, slowlink_ours: slowlink, "webrtc-slowlink");
