//! Data channels end to end (SCTP over DTLS, DCEP) with a WebRTC peer we did not write
//! (str0m), through stock plugins: the EchoTest bounces text (with its prefix) and binary
//! messages back on the peer's channel. Run against `/usr/bin/janus` to prove the test
//! client, and against ours.

mod support;

use std::path::Path;
use std::time::Duration;

use janus::json::Json;
use support::gateway::{binary_under_test, ConfigsFolder, Gateway, Session, REFERENCE_BINARY};
use support::webrtc::{in_private_network, ReceivedData, Peer, GATEWAY_INTERFACE};

/// Bound on each wait for the gateway (answer, connectivity, channel, echoes, events).
const WAIT: Duration = Duration::from_secs(10);
/// The prefix the EchoTest puts before the text it bounces back.
const ECHOTEST_PREFIX: &str = "Janus EchoTest here! You wrote: ";

fn at<'a>(value: &'a Json, path: &[&str]) -> Option<&'a Json> {
    path.iter().try_fold(value, |v, key| v.get(key))
}

fn str_at<'a>(value: &'a Json, path: &[&str]) -> Option<&'a str> {
    at(value, path).and_then(Json::as_str)
}

fn kind_of(event: &Json) -> Option<&str> {
    str_at(event, &["janus"])
}

/// The answer SDP of the first event of `session` that carries a JSEP.
fn answer_of(session: &Session) -> String {
    let events = session.events_until(WAIT, |events| events.iter().any(|e| at(e, &["jsep"]).is_some()));
    let event = events.iter().find(|e| at(e, &["jsep"]).is_some()).unwrap();
    assert_eq!(str_at(event, &["jsep", "type"]), Some("answer"), "{event:?}");
    str_at(event, &["jsep", "sdp"]).expect("an answer SDP").to_string()
}

/// A binary message whose bytes depend on `index` and `size`.
fn binary_message(index: u8, size: usize) -> Vec<u8> {
    (0..size).map(|i| (i as u8).wrapping_mul(31) ^ index).collect()
}

fn echotest_data(binary: &Path, test: &str) {
    in_private_network(|net| {
        let mut configs = ConfigsFolder::new(&support::scratch_dir(test), &["echotest"]);
        configs.set_item("nat", "ice_enforce_list", &format!("\"{GATEWAY_INTERFACE}\""));
        let gateway = Gateway::start(binary, &configs);
        let session = gateway.create_session();
        let handle = session.attach("janus.plugin.echotest");
        let mut peer = Peer::new(net.peer_ip.into());

        // An offer with an m=application line only, and our channel in it.
        let offer = peer.create_offer_with_channel(false, false, Some("echo"));
        assert!(offer.contains("m=application") && offer.contains("webrtc-datachannel"), "{offer}");
        let reply = handle.message_with_jsep(r#"{"audio":false,"video":false}"#, "offer", &offer);
        assert_eq!(kind_of(&reply), Some("ack"), "{reply:?}");
        let answer = answer_of(&session);
        // The data m-line is accepted, with Janus' SCTP port, in the syntax of the offer.
        let data_line = answer.lines().find(|l| l.starts_with("m=application")).unwrap_or_else(|| panic!("{answer}"));
        assert!(data_line.ends_with("UDP/DTLS/SCTP webrtc-datachannel") && !data_line.starts_with("m=application 0 "), "{answer}");
        assert!(answer.lines().any(|l| l.trim_end() == "a=sctp-port:5000"), "{answer}");

        peer.accept_answer(&answer);
        assert!(peer.run_until(WAIT, Peer::is_connected), "ICE and DTLS did not complete\n{}", gateway.log_tail());
        assert!(peer.run_until(WAIT, |p| p.is_channel_open("echo")), "the channel did not open\n{}", gateway.log_tail());

        let texts = ["hello", "second message, in order", "ünïcödé ✓"];
        let binaries = [binary_message(1, 1), binary_message(2, 1000), binary_message(3, 20_000)];
        for text in texts {
            peer.send_data("echo", false, text.as_bytes());
        }
        for b in &binaries {
            peer.send_data("echo", true, b);
        }
        let expected = texts.len() + binaries.len();
        let complete = peer.run_until(WAIT, |p| p.data_received().len() >= expected);
        assert!(complete, "echoes missing: got {:?}\n{}", peer.data_received(), gateway.log_tail());
        let received = peer.data_received();
        // Text comes back with the EchoTest's prefix, binary as it was; all on our channel
        // (one ordered channel: in the order sent).
        let mut wanted: Vec<ReceivedData> = texts
            .iter()
            .map(|t| ReceivedData { label: "echo".into(), binary: false, data: format!("{ECHOTEST_PREFIX}{t}").into_bytes() })
            .collect();
        wanted.extend(binaries.iter().map(|b| ReceivedData { label: "echo".into(), binary: true, data: b.clone() }));
        assert_eq!(received.len(), wanted.len(), "{received:?}");
        for (got, want) in received.iter().zip(&wanted) {
            assert_eq!((got.label.as_str(), got.binary, got.data.len()), (want.label.as_str(), want.binary, want.data.len()));
            assert!(got.data == want.data, "message differs: {:?}", String::from_utf8_lossy(&got.data[..got.data.len().min(80)]));
        }

        // The PeerConnection is up for the core too.
        let events = session.events_until(WAIT, |events| events.iter().any(|e| kind_of(e) == Some("webrtcup")));
        assert!(events.iter().any(|e| kind_of(e) == Some("webrtcup")));

        let reply = handle.janus_request("hangup");
        assert_eq!(kind_of(&reply), Some("success"), "{reply:?}");
        assert!(peer.run_until(WAIT, Peer::is_closed), "the gateway did not close DTLS");
        let reply = session.destroy();
        assert_eq!(kind_of(&reply), Some("success"), "{reply:?}");
        assert!(gateway.is_running(), "the gateway died:\n{}", gateway.log_tail());
    });
}

#[test]
fn echotest_data_reference_janus() {
    echotest_data(Path::new(REFERENCE_BINARY), "webrtc-datachannels-echotest-reference");
}

#[test]
fn echotest_data_ours() {
    echotest_data(&binary_under_test(), "webrtc-datachannels-echotest-ours");
}
