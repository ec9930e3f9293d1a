//! End to end through a gateway's media plane with a WebRTC peer we did not write (str0m):
//! the EchoTest plugin sends back the audio and video the peer sends it, and the core tells
//! the peer about it (`webrtcup`, `media`, `hangup`) over the WebSockets transport. Run against
//! `/usr/bin/janus` to prove the test client, and against ours.

mod support;

use std::path::Path;
use std::time::Duration;

use janus::json::Json;
use support::gateway::{Gateway, Session};
use support::json::{at, int_at, kind_of, str_at};
use support::webrtc::{
    answer_event, check_relayed, in_private_network, opus_payload, private_network_configs, sdp_candidates, sdp_payload_type, sdp_ssrc,
    vp8_payload, Kind, Peer,
};

/// Packets sent per medium: one second of 20 ms audio packets and of 50 fps video frames.
const PACKETS: u32 = 50;
/// Pace of what the peer sends.
const PACKET_INTERVAL: Duration = Duration::from_millis(20);
/// Bound on each wait for the gateway (answer, connectivity, echoes, events).
const WAIT: Duration = Duration::from_secs(10);

/// Whether `event` is a `media` event about `mid` saying whether media is `receiving`.
fn is_media(event: &Json, mid: &str, receiving: bool) -> bool {
    kind_of(event) == Some("media")
        && str_at(event, &["mid"]) == Some(mid)
        && at(event, &["receiving"]).and_then(Json::as_bool) == Some(receiving)
}

/// What a `media` event for `kind` on `mid` must also say.
fn check_media_event(events: &[Json], mid: &str, receiving: bool, kind: &str, handle_id: i64) {
    let event = events.iter().find(|e| is_media(e, mid, receiving)).expect("checked by the caller");
    assert_eq!(str_at(event, &["type"]), Some(kind), "{event:?}");
    assert_eq!(int_at(event, &["sender"]), Some(handle_id), "{event:?}");
}

/// Sends `PACKETS` audio and video packets, paced, and returns the payloads sent per medium.
fn send_media(peer: &mut Peer) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let mut audio = Vec::new();
    let mut video = Vec::new();
    for i in 0..PACKETS {
        audio.push(opus_payload(i));
        peer.send(Kind::Audio, audio.last().unwrap(), i == 0);
        video.push(vp8_payload(i, i % 10 == 0));
        peer.send(Kind::Video, video.last().unwrap(), true);
        peer.run_for(PACKET_INTERVAL);
    }
    (audio, video)
}

/// Offers audio and video to the EchoTest, trickles our candidate, and returns the
/// plugin's answer SDP after checking the event that carries it.
fn negotiate(session: &Session, handle_id: i64, handle: &support::gateway::Handle, peer: &mut Peer) -> String {
    let offer = peer.create_offer(true, true);
    let event = answer_event(session, handle, peer, r#"{"audio":true,"video":true}"#, &offer);
    assert_eq!(kind_of(&event), Some("event"), "{event:?}");
    assert_eq!(int_at(&event, &["sender"]), Some(handle_id), "{event:?}");
    assert_eq!(str_at(&event, &["plugindata", "plugin"]), Some("janus.plugin.echotest"), "{event:?}");
    assert_eq!(str_at(&event, &["plugindata", "data", "echotest"]), Some("event"), "{event:?}");
    assert_eq!(str_at(&event, &["plugindata", "data", "result"]), Some("ok"), "{event:?}");
    str_at(&event, &["jsep", "sdp"]).expect("an answer SDP").to_string()
}

fn echotest(binary: &Path, test: &str) {
    in_private_network(|net| {
        let mut configs = private_network_configs(test, &["echotest"]);
        configs.enable_websockets();
        let gateway = Gateway::start(binary, &configs);
        let session = gateway.create_ws_session();
        let handle = session.attach("janus.plugin.echotest");
        let mut peer = Peer::new(net.peer_ip.into());

        let answer = negotiate(&session, handle.id, &handle, &mut peer);
        // Half trickle: the gateway gathered before answering, on the enforced interface only.
        let candidates = sdp_candidates(&answer);
        let gateway_ip = net.gateway_ip.to_string();
        assert!(!candidates.is_empty() && candidates.iter().all(|c| c.contains(&gateway_ip)), "{answer}");
        let audio_mid = peer.mid(Kind::Audio).unwrap();
        let video_mid = peer.mid(Kind::Video).unwrap();
        let audio_pt = sdp_payload_type(&answer, &audio_mid, "opus").expect("opus answered");
        let video_pt = sdp_payload_type(&answer, &video_mid, "vp8").expect("VP8 answered");
        let audio_ssrc = sdp_ssrc(&answer, &audio_mid).unwrap_or_else(|| panic!("no audio SSRC in\n{answer}"));
        let video_ssrc = sdp_ssrc(&answer, &video_mid).unwrap_or_else(|| panic!("no video SSRC in\n{answer}"));

        peer.connect(&answer, &gateway);

        let (audio, video) = send_media(&mut peer);
        let all_back = |p: &Peer| {
            let count = |ssrc| p.received().iter().filter(|r| r.ssrc == ssrc).count();
            count(audio_ssrc) >= audio.len() && count(video_ssrc) >= video.len()
        };
        let complete = peer.run_until(WAIT, all_back);
        let ssrcs: Vec<(u32, u8)> = peer.received().iter().map(|r| (r.ssrc, r.pt)).collect();
        assert!(complete, "not everything came back: (ssrc, pt) received {ssrcs:?}; expected {audio_ssrc}/{video_ssrc}");
        check_relayed(peer.received(), &audio, audio_pt, audio_ssrc, "audio");
        check_relayed(peer.received(), &video, video_pt, video_ssrc, "video");
        assert!(peer.received().iter().all(|r| r.ssrc == audio_ssrc || r.ssrc == video_ssrc), "unexpected SSRCs: {ssrcs:?}");

        // The core told us the PeerConnection is up and media flows on both m-lines...
        let events = session.events_until(WAIT, |events| {
            events.iter().any(|e| kind_of(e) == Some("webrtcup"))
                && events.iter().any(|e| is_media(e, &audio_mid, true))
                && events.iter().any(|e| is_media(e, &video_mid, true))
        });
        let up = events.iter().find(|e| kind_of(e) == Some("webrtcup")).unwrap();
        assert_eq!(int_at(up, &["sender"]), Some(handle.id), "{up:?}");
        check_media_event(&events, &audio_mid, true, "audio", handle.id);
        check_media_event(&events, &video_mid, true, "video", handle.id);

        // ... and, a second (no_media_timer) after we stopped sending, that it stopped.
        let events = session.events_until(WAIT, |events| {
            events.iter().any(|e| is_media(e, &audio_mid, false)) && events.iter().any(|e| is_media(e, &video_mid, false))
        });
        check_media_event(&events, &audio_mid, false, "audio", handle.id);
        check_media_event(&events, &video_mid, false, "video", handle.id);

        // Hanging up closes the PeerConnection: the DTLS alert reaches the peer, the
        // `hangup` event and the plugin's `done` the WebSocket.
        let reply = handle.janus_request("hangup");
        assert_eq!(kind_of(&reply), Some("success"), "{reply:?}");
        let events = session.events_until(WAIT, |events| {
            events.iter().any(|e| kind_of(e) == Some("hangup"))
                && events.iter().any(|e| str_at(e, &["plugindata", "data", "result"]) == Some("done"))
        });
        let hangup = events.iter().find(|e| kind_of(e) == Some("hangup")).unwrap();
        assert_eq!(int_at(hangup, &["sender"]), Some(handle.id), "{hangup:?}");
        assert_eq!(str_at(hangup, &["reason"]), Some("Janus API"), "{hangup:?}");
        assert!(peer.run_until(WAIT, Peer::is_closed), "the gateway did not close DTLS");

        let reply = session.destroy();
        assert_eq!(kind_of(&reply), Some("success"), "{reply:?}");
        assert!(gateway.is_running(), "the gateway died:\n{}", gateway.log_tail());
    });
}

reference_and_ours!(echotest_reference_janus, echotest_ours: echotest, "webrtc-echotest");
