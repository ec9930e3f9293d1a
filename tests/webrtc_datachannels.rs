//! Data channels end to end (SCTP over DTLS, DCEP) with a WebRTC peer we did not write
//! (str0m), through stock plugins: the EchoTest bounces text (with its prefix) and binary
//! messages back on the peer's channel; two TextRoom participants (the plugin offers, the
//! gateway opens its own channel to answer) join, talk to the room and privately, leave;
//! a VideoRoom publisher's messages reach a subscriber on a channel the gateway opens
//! with the publisher's id as label (after the subscriber's `data_ready`).
//! Run against `/usr/bin/janus` to prove the test client, and against ours.

mod support;

use std::path::Path;
use std::time::Duration;

use janus::json::Json;
use support::gateway::{parse_json, Gateway, Handle, Session};
use support::json::{at, int_at, kind_of, str_at};
use support::webrtc::{in_private_network, private_network_configs, wait_event, wait_jsep, Peer, ReceivedData};

/// Bound on each wait for the gateway (answer, connectivity, channel, echoes, events).
const WAIT: Duration = Duration::from_secs(10);
/// The prefix the EchoTest puts before the text it bounces back.
const ECHOTEST_PREFIX: &str = "Janus EchoTest here! You wrote: ";

/// The answer SDP of the first event of `session` that carries a JSEP.
fn answer_of(session: &Session) -> String {
    let event = wait_jsep(session, "answer");
    str_at(&event, &["jsep", "sdp"]).expect("an answer SDP").to_string()
}

/// A binary message whose bytes depend on `index` and `size`.
fn binary_message(index: u8, size: usize) -> Vec<u8> {
    (0..size).map(|i| (i as u8).wrapping_mul(31) ^ index).collect()
}

fn echotest_data(binary: &Path, test: &str) {
    in_private_network(|net| {
        let mut configs = private_network_configs(test, &["echotest"]);
        configs.enable_websockets();
        let gateway = Gateway::start(binary, &configs);
        let session = gateway.create_ws_session();
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

        peer.connect(&answer, &gateway);
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

/// The room the TextRoom test uses, and the label TextRoom answers on (Janus' default:
/// the plugin relays without a label).
const ROOM: i64 = 1234;
const JANUS_LABEL: &str = "JanusDataChannel";

/// A TextRoom participant: its handle and its peer, which opened the channel "chat".
struct Participant<'h, 's, 'g> {
    handle: &'h Handle<'s, 'g>,
    session: &'h Session<'g>,
    peer: Peer,
    /// How many of the peer's received messages were already looked at.
    seen: usize,
}

impl Participant<'_, '_, '_> {
    /// The TextRoom messages received since the last call (JSON, on our channel only).
    fn new_messages(&mut self) -> Vec<Json> {
        let fresh = &self.peer.data_received()[self.seen..];
        self.seen += fresh.len();
        fresh
            .iter()
            .map(|d| {
                assert_eq!((d.label.as_str(), d.binary), (JANUS_LABEL, false), "{d:?}");
                parse_json(std::str::from_utf8(&d.data).expect("TextRoom sends text"))
            })
            .collect()
    }

    fn send(&mut self, request: &str) {
        self.peer.send_data("chat", false, request.as_bytes());
    }
}

/// Drives both peers until `done` holds for the messages each received since it was
/// called (accumulated), or WAIT passes; returns the two lists.
fn exchange(a: &mut Participant, b: &mut Participant, done: impl Fn(&[Json], &[Json]) -> bool) -> (Vec<Json>, Vec<Json>) {
    let deadline = std::time::Instant::now() + WAIT;
    let (mut got_a, mut got_b) = (Vec::new(), Vec::new());
    loop {
        got_a.extend(a.new_messages());
        got_b.extend(b.new_messages());
        if done(&got_a, &got_b) || std::time::Instant::now() >= deadline {
            return (got_a, got_b);
        }
        a.peer.run_for(Duration::from_millis(5));
        b.peer.run_for(Duration::from_millis(5));
    }
}

fn has(list: &[Json], textroom: &str, check: impl Fn(&Json) -> bool) -> bool {
    list.iter().any(|m| str_at(m, &["textroom"]) == Some(textroom) && check(m))
}

fn array_at<'a>(value: &'a Json, path: &[&str]) -> Option<&'a [Json]> {
    match at(value, path)? {
        Json::Array(list) => Some(list),
        _ => None,
    }
}

/// `setup`: the plugin's offer (an m=application line the core completed), our answer
/// with `ack`, connectivity, and our channel "chat" open.
fn setup_participant(gateway: &Gateway, session: &Session, handle: &Handle, peer: &mut Peer) {
    let reply = handle.message(r#"{"request":"setup"}"#);
    assert_eq!(kind_of(&reply), Some("ack"), "{reply:?}");
    let event = wait_jsep(session, "offer");
    assert_eq!(str_at(&event, &["plugindata", "data", "result"]), Some("ok"), "{event:?}");
    let offer = str_at(&event, &["jsep", "sdp"]).unwrap();
    let data_line = offer.lines().find(|l| l.starts_with("m=application")).unwrap_or_else(|| panic!("{offer}"));
    assert!(data_line.trim_end().ends_with("UDP/DTLS/SCTP webrtc-datachannel"), "{offer}");
    assert!(offer.lines().any(|l| l.trim_end() == "a=sctp-port:5000"), "{offer}");
    assert!(offer.lines().any(|l| l.trim_end() == "a=setup:actpass"), "{offer}");
    let answer = peer.accept_offer(offer);
    let reply = handle.message_with_jsep(r#"{"request":"ack"}"#, "answer", &answer);
    assert_eq!(kind_of(&reply), Some("ack"), "{reply:?}");
    peer.wait_connected(gateway);
    peer.open_channel("chat");
    assert!(peer.run_until(WAIT, |p| p.is_channel_open("chat")), "the channel did not open\n{}", gateway.log_tail());
}

fn textroom(binary: &Path, test: &str) {
    in_private_network(|net| {
        let mut configs = private_network_configs(test, &["textroom"]);
        configs.enable_websockets();
        configs.write(
            "janus.plugin.textroom.jcfg",
            &format!("general: {{\n\tjson = \"compact\"\n}}\nroom-{ROOM}: {{\n\tdescription = \"Data channel test\"\n}}\n"),
        );
        let gateway = Gateway::start(binary, &configs);
        let (session_a, session_b) = (gateway.create_ws_session(), gateway.create_ws_session());
        let (handle_a, handle_b) = (session_a.attach("janus.plugin.textroom"), session_b.attach("janus.plugin.textroom"));
        let mut alice = Participant { handle: &handle_a, session: &session_a, peer: Peer::new(net.peer_ip.into()), seen: 0 };
        let mut bob = Participant { handle: &handle_b, session: &session_b, peer: Peer::new(net.peer_ip.into()), seen: 0 };
        setup_participant(&gateway, alice.session, alice.handle, &mut alice.peer);
        setup_participant(&gateway, bob.session, bob.handle, &mut bob.peer);

        // Alice joins: her own join event and the success, with nobody else there. The
        // replies come on the channel the gateway opens (TextRoom relays without a label).
        alice.send(&format!(r#"{{"textroom":"join","transaction":"a1","room":{ROOM},"username":"alice","display":"Alice"}}"#));
        let (got, _) = exchange(&mut alice, &mut bob, |a, _| has(a, "success", |_| true));
        assert!(alice.peer.is_channel_open(JANUS_LABEL), "{got:?}");
        let success =
            got.iter().find(|m| str_at(m, &["textroom"]) == Some("success")).unwrap_or_else(|| panic!("{got:?}\n{}", gateway.log_tail()));
        assert_eq!(str_at(success, &["transaction"]), Some("a1"), "{success:?}");
        assert_eq!(array_at(success, &["participants"]).map(<[Json]>::len), Some(0), "{success:?}");
        assert!(has(&got, "join", |m| str_at(m, &["username"]) == Some("alice") && int_at(m, &["room"]) == Some(ROOM)), "{got:?}");

        // Bob joins: he sees Alice among the participants, she sees him join.
        bob.send(&format!(r#"{{"textroom":"join","transaction":"b1","room":{ROOM},"username":"bob","display":"Bob"}}"#));
        let (got_a, got_b) = exchange(&mut alice, &mut bob, |a, b| has(b, "success", |_| true) && has(a, "join", |_| true));
        let success = got_b.iter().find(|m| str_at(m, &["textroom"]) == Some("success")).unwrap_or_else(|| panic!("{got_b:?}"));
        let others = array_at(success, &["participants"]).unwrap_or_else(|| panic!("{success:?}"));
        assert_eq!(others.len(), 1, "{success:?}");
        assert_eq!((str_at(&others[0], &["username"]), str_at(&others[0], &["display"])), (Some("alice"), Some("Alice")));
        assert!(has(&got_a, "join", |m| str_at(m, &["username"]) == Some("bob") && str_at(m, &["display"]) == Some("Bob")), "{got_a:?}");

        // A message to the room reaches both, from Alice, not as a whisper.
        alice.send(&format!(r#"{{"textroom":"message","transaction":"a2","room":{ROOM},"text":"hello room"}}"#));
        let public =
            |m: &Json| str_at(m, &["text"]) == Some("hello room") && str_at(m, &["from"]) == Some("alice") && at(m, &["whisper"]).is_none();
        let (got_a, got_b) =
            exchange(&mut alice, &mut bob, |a, b| has(a, "message", public) && has(b, "message", public) && has(a, "success", |_| true));
        assert!(has(&got_a, "message", public) && has(&got_b, "message", public), "{got_a:?}\n{got_b:?}");
        assert!(has(&got_a, "success", |m| str_at(m, &["transaction"]) == Some("a2")), "{got_a:?}");
        let date = got_b.iter().find(|m| public(m)).and_then(|m| str_at(m, &["date"])).unwrap_or_default().to_string();
        assert!(date.len() >= 19 && date.as_bytes()[10] == b'T', "date {date:?}");

        // A private message from Bob reaches Alice only, as a whisper; Bob learns it was sent.
        bob.send(&format!(r#"{{"textroom":"message","transaction":"b2","room":{ROOM},"to":"alice","text":"psst"}}"#));
        let whisper = |m: &Json| {
            str_at(m, &["text"]) == Some("psst")
                && str_at(m, &["from"]) == Some("bob")
                && at(m, &["whisper"]).and_then(Json::as_bool) == Some(true)
        };
        let (got_a, got_b) = exchange(&mut alice, &mut bob, |a, b| has(a, "message", whisper) && has(b, "success", |_| true));
        assert!(has(&got_a, "message", whisper), "{got_a:?}");
        let sent = got_b.iter().find(|m| str_at(m, &["textroom"]) == Some("success")).unwrap_or_else(|| panic!("{got_b:?}"));
        assert_eq!(at(sent, &["sent", "alice"]).and_then(Json::as_bool), Some(true), "{sent:?}");
        assert!(!has(&got_b, "message", |_| true), "Bob got his own whisper: {got_b:?}");

        // Alice leaves: Bob is told.
        alice.send(&format!(r#"{{"textroom":"leave","transaction":"a3","room":{ROOM}}}"#));
        let left = |m: &Json| str_at(m, &["username"]) == Some("alice") && int_at(m, &["room"]) == Some(ROOM);
        let (got_a, got_b) = exchange(&mut alice, &mut bob, |a, b| has(b, "leave", left) && has(a, "success", |_| true));
        assert!(has(&got_b, "leave", left), "{got_b:?}");
        assert!(has(&got_a, "success", |m| str_at(m, &["transaction"]) == Some("a3")), "{got_a:?}");

        // Messages to the room no longer reach her.
        bob.send(&format!(r#"{{"textroom":"message","transaction":"b3","room":{ROOM},"text":"anyone?"}}"#));
        let (got_a, got_b) = exchange(&mut alice, &mut bob, |_, b| has(b, "success", |_| true));
        assert!(has(&got_b, "message", |m| str_at(m, &["text"]) == Some("anyone?")), "{got_b:?}");
        assert!(!has(&got_a, "message", |_| true), "{got_a:?}");

        for session in [&session_a, &session_b] {
            let reply = session.destroy();
            assert_eq!(kind_of(&reply), Some("success"), "{reply:?}");
        }
        assert!(gateway.is_running(), "the gateway died:\n{}", gateway.log_tail());
    });
}

/// Drives every peer in turn until `done` holds or WAIT passes; whether it held.
fn run_peers(peers: &mut [&mut Peer], done: impl Fn(&[&mut Peer]) -> bool) -> bool {
    let deadline = std::time::Instant::now() + WAIT;
    while !done(peers) {
        if std::time::Instant::now() >= deadline {
            return false;
        }
        for peer in peers.iter_mut() {
            peer.run_for(Duration::from_millis(5));
        }
    }
    true
}

/// The next event of `session` with a JSEP; checks the plugin's event name.
fn jsep_event(session: &Session, videoroom: &str) -> (String, String) {
    let event = wait_event(session, |e| e.get("jsep").is_some());
    assert_eq!(str_at(&event, &["plugindata", "data", "videoroom"]), Some(videoroom), "{event:?}");
    (str_at(&event, &["jsep", "type"]).unwrap().to_string(), str_at(&event, &["jsep", "sdp"]).unwrap().to_string())
}

fn videoroom_data(binary: &Path, test: &str) {
    const PUBLISHER_ID: i64 = 11;
    in_private_network(|net| {
        let mut configs = private_network_configs(test, &["videoroom"]);
        configs.enable_websockets();
        configs.write("janus.plugin.videoroom.jcfg", &format!("room-{ROOM}: {{\n\tdescription = \"Data\"\n\tpublishers = 2\n}}\n"));
        let gateway = Gateway::start(binary, &configs);

        // The publisher offers a data channel only.
        let pub_session = gateway.create_ws_session();
        let pub_handle = pub_session.attach("janus.plugin.videoroom");
        let reply = pub_handle.message(&format!(r#"{{"request":"join","ptype":"publisher","room":{ROOM},"id":{PUBLISHER_ID}}}"#));
        assert_eq!(kind_of(&reply), Some("ack"), "{reply:?}");
        pub_session.events_until(WAIT, |events| events.iter().any(|e| str_at(e, &["plugindata", "data", "videoroom"]) == Some("joined")));
        let mut publisher = Peer::new(net.peer_ip.into());
        let offer = publisher.create_offer_with_channel(false, false, Some("pub"));
        let reply = pub_handle.message_with_jsep(r#"{"request":"publish"}"#, "offer", &offer);
        assert_eq!(kind_of(&reply), Some("ack"), "{reply:?}");
        let (kind, answer) = jsep_event(&pub_session, "event");
        assert_eq!(kind, "answer");
        assert!(answer.lines().any(|l| l.starts_with("m=application ") && !l.starts_with("m=application 0 ")), "{answer}");
        publisher.accept_answer(&answer);
        assert!(publisher.run_until(WAIT, |p| p.is_connected() && p.is_channel_open("pub")), "publisher not up\n{}", gateway.log_tail());

        // The subscriber answers the plugin's offer, which carries the publisher's data.
        let sub_session = gateway.create_ws_session();
        let sub_handle = sub_session.attach("janus.plugin.videoroom");
        let join = format!(r#"{{"request":"join","ptype":"subscriber","room":{ROOM},"streams":[{{"feed":{PUBLISHER_ID}}}]}}"#);
        let reply = sub_handle.message(&join);
        assert_eq!(kind_of(&reply), Some("ack"), "{reply:?}");
        let (kind, offer) = jsep_event(&sub_session, "attached");
        assert_eq!(kind, "offer");
        assert!(offer.lines().any(|l| l.trim_end().ends_with("UDP/DTLS/SCTP webrtc-datachannel")), "{offer}");
        let mut subscriber = Peer::new(net.peer_ip.into());
        let answer = subscriber.accept_offer(&offer);
        let reply = sub_handle.message_with_jsep(r#"{"request":"start"}"#, "answer", &answer);
        assert_eq!(kind_of(&reply), Some("ack"), "{reply:?}");
        assert!(subscriber.run_until(WAIT, Peer::is_connected), "subscriber not up\n{}", gateway.log_tail());
        // The plugin relays to the subscriber only once told data may flow (data_ready),
        // which Janus does once the association carried something of its own: nothing
        // yet, while the subscriber has no channel.
        for _ in 0..5 {
            publisher.send_data("pub", false, b"early");
            for _ in 0..20 {
                publisher.run_for(Duration::from_millis(5));
                subscriber.run_for(Duration::from_millis(5));
            }
        }
        assert_eq!(subscriber.data_received(), [], "relayed before data_ready");
        // As janus.js does, the subscriber opens a channel of its own; the gateway's DCEP
        // ACK goes out and, acknowledged, makes the association "dry".
        subscriber.open_channel("sub");
        assert!(subscriber.run_until(WAIT, |p| p.is_channel_open("sub")), "subscriber channel not open\n{}", gateway.log_tail());

        // Probes until the first one gets through, then the messages.
        let label = PUBLISHER_ID.to_string();
        let mut probes = 0;
        let deadline = std::time::Instant::now() + WAIT;
        while subscriber.data_received().is_empty() && std::time::Instant::now() < deadline {
            publisher.send_data("pub", false, b"probe");
            probes += 1;
            for _ in 0..20 {
                publisher.run_for(Duration::from_millis(5));
                subscriber.run_for(Duration::from_millis(5));
            }
        }
        assert!(!subscriber.data_received().is_empty(), "no data reached the subscriber after {probes} probes\n{}", gateway.log_tail());
        let before = subscriber.data_received().len();
        let messages = [(false, b"to the subscribers".to_vec()), (true, binary_message(4, 5000)), (false, b"last".to_vec())];
        for (is_binary, data) in &messages {
            publisher.send_data("pub", *is_binary, data);
        }
        let complete = run_peers(&mut [&mut publisher, &mut subscriber], |peers| peers[1].data_received().len() >= before + messages.len());
        let received = &subscriber.data_received()[before..];
        assert!(complete, "relayed messages missing: {received:?}\n{}", gateway.log_tail());
        let wanted: Vec<ReceivedData> =
            messages.iter().map(|(b, d)| ReceivedData { label: label.clone(), binary: *b, data: d.clone() }).collect();
        assert_eq!(received, &wanted[..]);
        assert!(subscriber.data_received()[..before].iter().all(|d| d.label == label && d.data == b"probe"));

        for session in [&sub_session, &pub_session] {
            let reply = session.destroy();
            assert_eq!(kind_of(&reply), Some("success"), "{reply:?}");
        }
        assert!(gateway.is_running(), "the gateway died:\n{}", gateway.log_tail());
    });
}

reference_and_ours!(videoroom_data_reference_janus, videoroom_data_ours: videoroom_data, "webrtc-datachannels-videoroom");
reference_and_ours!(textroom_reference_janus, textroom_ours: textroom, "webrtc-datachannels-textroom");
reference_and_ours!(echotest_data_reference_janus, echotest_data_ours: echotest_data, "webrtc-datachannels-echotest");
