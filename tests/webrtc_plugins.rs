//! End to end through a gateway's media plane with WebRTC peers we did not write (str0m),
//! for the stock plugins other than the EchoTest: VideoRoom, VideoCall, Streaming,
//! RecordPlay, AudioBridge and NoSIP. Each test runs against `/usr/bin/janus`, which proves
//! that it tests something real, and against ours, with the same assertions.

mod support;

use std::net::{Ipv4Addr, UdpSocket};
use std::path::Path;
use std::time::{Duration, Instant};

use janus::json::Json;
use support::gateway::{free_port, ConfigsFolder, Gateway, Handle, Session};
use support::json::{at, kind_of, str_at};
use support::webrtc::{
    check_relayed, connect_peers, in_private_network, media_sections, opus_payload, private_network_configs, run_peers_for,
    sdp_payload_type, sdp_ssrc, send_offer, trickle, vp8_payload, wait_event, wait_jsep, Kind, Peer,
};
use support::webrtc_client::rtp_packet;

/// Packets sent per medium.
const PACKETS: u32 = 50;
/// Pace of what the peers send.
const PACKET_INTERVAL: Duration = Duration::from_millis(20);
/// Bound on each wait for the gateway (events, connectivity, media).
const WAIT: Duration = Duration::from_secs(10);

/// The plugin's `plugindata.data` of an event.
fn data(event: &Json) -> Option<&Json> {
    at(event, &["plugindata", "data"])
}

/// Sends `body` with an offer of the peer (audio and/or video), trickles, and waits for the
/// plugin's answer, which the peer accepts. Returns the event that carried the answer.
fn offer(session: &Session, handle: &Handle, peer: &mut Peer, body: &str, audio: bool, video: bool) -> Json {
    let sdp = peer.create_offer(audio, video);
    send_offer(session, handle, peer, body, &sdp)
}

/// Answers the offer `event` carries with `body`, trickles, and waits for the event that
/// satisfies `done`. Returns the offer's SDP.
fn answer(session: &Session, handle: &Handle, peer: &mut Peer, event: &Json, body: &str, done: impl Fn(&Json) -> bool) -> String {
    let offer = str_at(event, &["jsep", "sdp"]).expect("an offer").to_string();
    let sdp = peer.accept_offer(&offer);
    let reply = handle.message_with_jsep(body, "answer", &sdp);
    assert_eq!(kind_of(&reply), Some("ack"), "{reply:?}");
    trickle(handle, peer);
    wait_event(session, done);
    offer
}

/// Payload type and SSRC an SDP (the gateway's) announces for `kind` on the peer's m-line.
fn announced(sdp: &str, peer: &Peer, kind: Kind) -> (u8, u32) {
    let mid = peer.mid(kind).unwrap_or_else(|| panic!("no {kind:?} m-line in\n{sdp}"));
    let codec = if kind == Kind::Audio { "opus" } else { "vp8" };
    let pt = sdp_payload_type(sdp, &mid, codec).unwrap_or_else(|| panic!("no {codec} on {mid} in\n{sdp}"));
    let ssrc = sdp_ssrc(sdp, &mid).unwrap_or_else(|| panic!("no SSRC on {mid} in\n{sdp}"));
    (pt, ssrc)
}

/// The first `senders` peers each send `PACKETS` packets of each of `kinds`, paced, while
/// every peer runs; returns the payloads sent per sender and kind (in the order of `kinds`),
/// different for each sender.
fn send_media(peers: &mut [&mut Peer], senders: usize, kinds: &[Kind]) -> Vec<Vec<Vec<Vec<u8>>>> {
    let mut sent = vec![vec![Vec::new(); kinds.len()]; senders];
    for i in 0..PACKETS {
        for (sender, sent) in sent.iter_mut().enumerate() {
            let index = i + 1000 * sender as u32;
            for (kind, sent) in kinds.iter().zip(sent.iter_mut()) {
                let payload = match kind {
                    Kind::Audio => opus_payload(index),
                    Kind::Video => vp8_payload(index, i % 10 == 0),
                };
                peers[sender].send(*kind, &payload, *kind == Kind::Video || i == 0);
                sent.push(payload);
            }
        }
        run_peers_for(peers, PACKET_INTERVAL);
    }
    sent
}

/// Runs `peer` until it received, for each of `flows` (announced payload type and SSRC),
/// as many packets as were sent on it, then checks them against what was sent.
fn check_received(peer: &mut Peer, flows: &[(u8, u32)], sent: &[Vec<Vec<u8>>], what: &str) {
    let all = |p: &Peer| flows.iter().zip(sent).all(|((_, ssrc), sent)| count(p, *ssrc) >= sent.len());
    let complete = peer.run_until(WAIT, all);
    let seen: Vec<(u32, u8)> = peer.received().iter().map(|r| (r.ssrc, r.pt)).collect();
    assert!(complete, "{what}: not everything arrived: (ssrc, pt) {seen:?}, announced (pt, ssrc) {flows:?}");
    for (((pt, ssrc), sent), kind) in flows.iter().zip(sent).zip(["audio", "video"]) {
        check_relayed(peer.received(), sent, *pt, *ssrc, &format!("{what}, {kind}"));
    }
}

/// How many packets `peer` received with `ssrc`.
fn count(peer: &Peer, ssrc: u32) -> usize {
    peer.received().iter().filter(|r| r.ssrc == ssrc).count()
}

/// A gateway with `plugins`, gathering on the private network's gateway end only.
fn start_gateway(binary: &Path, test: &str, plugins: &[&str], configure: impl FnOnce(&ConfigsFolder)) -> (Gateway, ConfigsFolder) {
    let mut configs = private_network_configs(test, plugins);
    configs.enable_websockets();
    configure(&configs);
    (Gateway::start(binary, &configs), configs)
}

// ---------------------------------------------------------------------------------------
// VideoRoom: one publisher (audio and video), two subscribers receiving it.

const ROOM: u64 = 4321;

fn videoroom(binary: &Path, test: &str) {
    in_private_network(|net| {
        let (gateway, _configs) = start_gateway(binary, test, &["videoroom"], |_| {});
        let publisher_session = gateway.create_ws_session();
        let publisher_handle = publisher_session.attach("janus.plugin.videoroom");
        let created = publisher_handle.request(&format!(r#"{{"request":"create","room":{ROOM},"publishers":4}}"#));
        assert_eq!(str_at(&created, &["videoroom"]), Some("created"), "{created:?}");

        let reply = publisher_handle.message(&format!(r#"{{"request":"join","ptype":"publisher","room":{ROOM},"display":"publisher"}}"#));
        assert_eq!(kind_of(&reply), Some("ack"), "{reply:?}");
        let joined = wait_event(&publisher_session, |e| data(e).and_then(|d| str_at(d, &["videoroom"])) == Some("joined"));
        let feed = data(&joined).and_then(|d| d.get("id")).and_then(Json::as_i64).expect("publisher id");
        let mut publisher = Peer::new(net.peer_ip.into());
        let published = offer(&publisher_session, &publisher_handle, &mut publisher, r#"{"request":"publish"}"#, true, true);
        assert_eq!(data(&published).and_then(|d| str_at(d, &["configured"])), Some("ok"), "{published:?}");
        connect_peers(&mut [&mut publisher], &gateway);

        let sessions = [gateway.create_ws_session(), gateway.create_ws_session()];
        let handles: Vec<Handle> = sessions.iter().map(|s| s.attach("janus.plugin.videoroom")).collect();
        let mut subscribers = [Peer::new(net.peer_ip.into()), Peer::new(net.peer_ip.into())];
        let mut announced_flows = Vec::new();
        for ((session, handle), subscriber) in sessions.iter().zip(&handles).zip(&mut subscribers) {
            let join = format!(r#"{{"request":"join","ptype":"subscriber","room":{ROOM},"streams":[{{"feed":{feed}}}]}}"#);
            let reply = handle.message(&join);
            assert_eq!(kind_of(&reply), Some("ack"), "{reply:?}");
            let attached = wait_jsep(session, "offer");
            assert_eq!(data(&attached).and_then(|d| str_at(d, &["videoroom"])), Some("attached"), "{attached:?}");
            let started = |e: &Json| data(e).and_then(|d| str_at(d, &["started"])) == Some("ok");
            let offer = answer(session, handle, subscriber, &attached, r#"{"request":"start"}"#, started);
            announced_flows.push([announced(&offer, subscriber, Kind::Audio), announced(&offer, subscriber, Kind::Video)]);
        }
        let [first, second] = &mut subscribers;
        connect_peers(&mut [&mut publisher, first, second], &gateway);

        let sent = send_media(&mut [&mut publisher, first, second], 1, &[Kind::Audio, Kind::Video]);
        for (subscriber, flows) in subscribers.iter_mut().zip(&announced_flows) {
            check_received(subscriber, flows, &sent[0], "subscriber");
        }
        assert!(gateway.is_running(), "the gateway died:\n{}", gateway.log_tail());
    });
}

reference_and_ours!(videoroom_reference_janus, videoroom_ours: videoroom, "webrtc-videoroom");

/// VideoRoom with a simulcast publisher (three VP8 layers by rid) and a subscriber that
/// gets the highest layer, then switches to the lowest.
fn videoroom_simulcast(binary: &Path, test: &str) {
    const RIDS: [&str; 3] = ["h", "m", "l"];
    const FRAMES: u32 = 30;
    in_private_network(|net| {
        let (gateway, _configs) = start_gateway(binary, test, &["videoroom"], |_| {});
        let publisher_session = gateway.create_ws_session();
        let publisher_handle = publisher_session.attach("janus.plugin.videoroom");
        let created = publisher_handle.request(&format!(r#"{{"request":"create","room":{ROOM},"publishers":4}}"#));
        assert_eq!(str_at(&created, &["videoroom"]), Some("created"), "{created:?}");
        let reply = publisher_handle.message(&format!(r#"{{"request":"join","ptype":"publisher","room":{ROOM}}}"#));
        assert_eq!(kind_of(&reply), Some("ack"), "{reply:?}");
        let joined = wait_event(&publisher_session, |e| data(e).and_then(|d| str_at(d, &["videoroom"])) == Some("joined"));
        let feed = data(&joined).and_then(|d| d.get("id")).and_then(Json::as_i64).expect("publisher id");
        let mut publisher = Peer::new(net.peer_ip.into());
        let sdp = publisher.create_simulcast_offer(false, &RIDS);
        let published = send_offer(&publisher_session, &publisher_handle, &mut publisher, r#"{"request":"publish"}"#, &sdp);
        let answer_sdp = str_at(&published, &["jsep", "sdp"]).unwrap();
        assert!(answer_sdp.contains("a=simulcast:recv h;m;l"), "the answer takes the three layers:\n{answer_sdp}");
        // The feed exists for subscribers once its PeerConnection is up.
        connect_peers(&mut [&mut publisher], &gateway);

        let session = gateway.create_ws_session();
        let handle = session.attach("janus.plugin.videoroom");
        let mut subscriber = Peer::new(net.peer_ip.into());
        let reply = handle.message(&format!(r#"{{"request":"join","ptype":"subscriber","room":{ROOM},"streams":[{{"feed":{feed}}}]}}"#));
        assert_eq!(kind_of(&reply), Some("ack"), "{reply:?}");
        let attached = wait_jsep(&session, "offer");
        let started = |e: &Json| data(e).and_then(|d| str_at(d, &["started"])) == Some("ok");
        let offer = answer(&session, &handle, &mut subscriber, &attached, r#"{"request":"start"}"#, started);
        let (pt, ssrc) = announced(&offer, &subscriber, Kind::Video);
        connect_peers(&mut [&mut publisher, &mut subscriber], &gateway);

        // Every layer carries its own frames (a key frame every tenth), all paced together.
        let mut layers: Vec<Vec<Vec<u8>>> = vec![Vec::new(); RIDS.len()];
        let send_frames = |publisher: &mut Peer, subscriber: &mut Peer, layers: &mut Vec<Vec<Vec<u8>>>, first: u32| {
            for i in first..first + FRAMES {
                for (layer, (rid, sent)) in RIDS.iter().zip(layers.iter_mut()).enumerate() {
                    let payload = vp8_payload(10_000 * (layer as u32 + 1) + i, i % 10 == 0);
                    publisher.send_layer(Kind::Video, Some(rid), &payload, true);
                    sent.push(payload);
                }
                run_peers_for(&mut [publisher, subscriber], PACKET_INTERVAL);
            }
            run_peers_for(&mut [publisher, subscriber], Duration::from_millis(200));
        };
        send_frames(&mut publisher, &mut subscriber, &mut layers, 0);
        let layer_of = |layers: &[Vec<Vec<u8>>], payload: &[u8]| layers.iter().position(|l| l.iter().any(|p| p == payload));
        let first_phase: Vec<Option<usize>> =
            subscriber.received().iter().filter(|r| r.ssrc == ssrc).map(|r| layer_of(&layers, &r.payload)).collect();
        assert!(first_phase.len() as u32 >= FRAMES / 2, "the subscriber got {} frames of {FRAMES}", first_phase.len());
        // By default the highest layer (h). The plugin takes the first key frame of any layer,
        // then steps up with each key frame of a higher one: with the first frames of the three
        // layers arriving together, a frame of m or l may come before h's.
        assert!(first_phase.iter().all(Option::is_some), "frames that were never sent: {first_phase:?}");
        assert!(first_phase.windows(2).all(|w| w[0] >= w[1]), "the layers went down: {first_phase:?}");
        let top = first_phase.iter().position(|l| *l == Some(0)).unwrap_or_else(|| panic!("h never came: {first_phase:?}"));
        assert!(top <= 2, "h came late: {first_phase:?}");

        let video_mid = subscriber.mid(Kind::Video).unwrap();
        let reply = handle.message(&format!(r#"{{"request":"configure","streams":[{{"mid":"{video_mid}","substream":0}}]}}"#));
        assert_eq!(kind_of(&reply), Some("ack"), "{reply:?}");
        wait_event(&session, |e| data(e).and_then(|d| str_at(d, &["configured"])) == Some("ok"));
        send_frames(&mut publisher, &mut subscriber, &mut layers, FRAMES);
        wait_event(&session, |e| data(e).and_then(|d| d.get("substream")).and_then(Json::as_i64) == Some(0));
        let second_phase: Vec<Option<usize>> = subscriber
            .received()
            .iter()
            .filter(|r| r.ssrc == ssrc)
            .map(|r| layer_of(&layers, &r.payload))
            .skip(first_phase.len())
            .collect();
        // Down from h to l, possibly through m (the key frames of all layers arrive together
        // and the plugin steps towards its target with each), and never back up.
        assert!(second_phase.iter().all(Option::is_some), "frames that were never sent: {second_phase:?}");
        assert!(second_phase.windows(2).all(|w| w[0] <= w[1]), "the layers went back up: {second_phase:?}");
        let switch = second_phase.iter().position(|l| *l == Some(2)).unwrap_or_else(|| panic!("never switched to l: {second_phase:?}"));
        assert!(second_phase.len() - switch >= (FRAMES / 2) as usize, "too few frames of l: {second_phase:?}");

        let relayed: Vec<&support::webrtc::ReceivedRtp> = subscriber.received().iter().filter(|r| r.ssrc == ssrc).collect();
        assert!(relayed.iter().all(|r| r.pt == pt), "payload type {pt} announced");
        let seqs: Vec<u16> = relayed.iter().map(|r| r.seq).collect();
        assert!(seqs.windows(2).all(|w| w[1] == w[0].wrapping_add(1)), "sequence numbers not consecutive across layers: {seqs:?}");
        assert!(gateway.is_running(), "the gateway died:\n{}", gateway.log_tail());
    });
}

reference_and_ours!(videoroom_simulcast_reference_janus, videoroom_simulcast_ours: videoroom_simulcast, "webrtc-videoroom-simulcast");

// ---------------------------------------------------------------------------------------
// VideoCall: two registered peers, a call, media both ways.

fn videocall(binary: &Path, test: &str) {
    in_private_network(|net| {
        let (gateway, _configs) = start_gateway(binary, test, &["videocall"], |_| {});
        let sessions = [gateway.create_ws_session(), gateway.create_ws_session()];
        let handles: Vec<Handle> = sessions.iter().map(|s| s.attach("janus.plugin.videocall")).collect();
        for ((session, handle), name) in sessions.iter().zip(&handles).zip(["alice", "bob"]) {
            let reply = handle.message(&format!(r#"{{"request":"register","username":"{name}"}}"#));
            assert_eq!(kind_of(&reply), Some("ack"), "{reply:?}");
            let registered = wait_event(session, |e| data(e).and_then(|d| str_at(d, &["result", "event"])).is_some());
            assert_eq!(data(&registered).and_then(|d| str_at(d, &["result", "event"])), Some("registered"), "{registered:?}");
        }
        let (mut caller, mut callee) = (Peer::new(net.peer_ip.into()), Peer::new(net.peer_ip.into()));

        let offer = caller.create_offer(true, true);
        let reply = handles[0].message_with_jsep(r#"{"request":"call","username":"bob"}"#, "offer", &offer);
        assert_eq!(kind_of(&reply), Some("ack"), "{reply:?}");
        trickle(&handles[0], &caller);
        let incoming = wait_jsep(&sessions[1], "offer");
        assert_eq!(data(&incoming).and_then(|d| str_at(d, &["result", "event"])), Some("incomingcall"), "{incoming:?}");
        assert_eq!(data(&incoming).and_then(|d| str_at(d, &["result", "username"])), Some("alice"), "{incoming:?}");
        let accepted = |e: &Json| data(e).and_then(|d| str_at(d, &["result", "event"])) == Some("accepted");
        let callee_offer = answer(&sessions[1], &handles[1], &mut callee, &incoming, r#"{"request":"accept"}"#, accepted);
        let event = wait_jsep(&sessions[0], "answer");
        assert!(accepted(&event), "{event:?}");
        let caller_answer = without_repeated_mids(str_at(&event, &["jsep", "sdp"]).unwrap());
        caller.accept_answer(&caller_answer);
        connect_peers(&mut [&mut caller, &mut callee], &gateway);

        let kinds = [Kind::Audio, Kind::Video];
        let callee_flows: Vec<(u8, u32)> = kinds.iter().map(|k| announced(&callee_offer, &callee, *k)).collect();
        let caller_flows: Vec<(u8, u32)> = kinds.iter().map(|k| announced(&caller_answer, &caller, *k)).collect();
        let sent = send_media(&mut [&mut caller, &mut callee], 2, &kinds);
        check_received(&mut callee, &callee_flows, &sent[0], "callee");
        check_received(&mut caller, &caller_flows, &sent[1], "caller");
        assert!(gateway.is_running(), "the gateway died:\n{}", gateway.log_tail());
    });
}

/// The SDP with each m-section's repeated `a=mid` lines dropped. The callee's (str0m's)
/// answer, as the VideoCall plugin forwards it to the caller, has every `a=mid` twice
/// under Janus 1.1.2 as under ours; str0m refuses an m-section with two `a=mid`, so the
/// caller gets the answer without the copies.
fn without_repeated_mids(sdp: &str) -> String {
    let mut mid_seen = false;
    let mut out = String::new();
    for line in sdp.lines() {
        if line.starts_with("m=") {
            mid_seen = false;
        }
        if line.starts_with("a=mid:") {
            if mid_seen {
                continue;
            }
            mid_seen = true;
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    out
}

reference_and_ours!(videocall_reference_janus, videocall_ours: videocall, "webrtc-videocall");

// ---------------------------------------------------------------------------------------
// Streaming: an RTP mountpoint fed over UDP inside the namespace, a viewer receives it.

const MOUNTPOINT: u64 = 77;

fn streaming(binary: &Path, test: &str) {
    in_private_network(|net| {
        let (gateway, _configs) = start_gateway(binary, test, &["streaming"], |_| {});
        let session = gateway.create_ws_session();
        let handle = session.attach("janus.plugin.streaming");
        let ports = [free_port(), free_port()];
        let create = format!(
            r#"{{"request":"create","type":"rtp","id":{MOUNTPOINT},"media":[
                {{"type":"audio","mid":"a","port":{},"pt":111,"codec":"opus"}},
                {{"type":"video","mid":"v","port":{},"pt":100,"codec":"vp8"}}]}}"#,
            ports[0], ports[1]
        );
        let created = handle.request(&create);
        assert_eq!(str_at(&created, &["streaming"]), Some("created"), "{created:?}");

        let mut viewer = Peer::new(net.peer_ip.into());
        let reply = handle.message(&format!(r#"{{"request":"watch","id":{MOUNTPOINT}}}"#));
        assert_eq!(kind_of(&reply), Some("ack"), "{reply:?}");
        let preparing = wait_jsep(&session, "offer");
        assert_eq!(data(&preparing).and_then(|d| str_at(d, &["result", "status"])), Some("preparing"), "{preparing:?}");
        let starting = |e: &Json| data(e).and_then(|d| str_at(d, &["result", "status"])) == Some("starting");
        let offer = answer(&session, &handle, &mut viewer, &preparing, r#"{"request":"start"}"#, starting);
        connect_peers(&mut [&mut viewer], &gateway);
        // The plugin relays to a viewer once the core told it the PeerConnection is up.
        let started = |e: &Json| data(e).and_then(|d| str_at(d, &["result", "status"])) == Some("started");
        wait_event(&session, started);

        // The mountpoint's source, sending to the namespace's loopback address.
        let feeder = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).expect("feeder socket");
        let kinds = [Kind::Audio, Kind::Video];
        let mut sent = vec![Vec::new(); kinds.len()];
        for i in 0..PACKETS {
            for (((kind, sent), port), (pt, ssrc)) in kinds.iter().zip(&mut sent).zip(ports).zip([(111, 0x5151_5151), (100, 0x5252_5252)]) {
                let (payload, step) = match kind {
                    Kind::Audio => (opus_payload(i), 960),
                    Kind::Video => (vp8_payload(i, i % 10 == 0), 3000),
                };
                feeder.send_to(&rtp_packet(pt, 1000 + i as u16, i * step, ssrc, &payload), (Ipv4Addr::LOCALHOST, port)).expect("feeding");
                sent.push(payload);
            }
            viewer.run_for(PACKET_INTERVAL);
        }
        let flows: Vec<(u8, u32)> = kinds.iter().map(|k| announced(&offer, &viewer, *k)).collect();
        assert_eq!(flows.iter().map(|(pt, _)| *pt).collect::<Vec<_>>(), [111, 100], "the mountpoint's payload types\n{offer}");
        check_received(&mut viewer, &flows, &sent, "viewer");
        assert!(gateway.is_running(), "the gateway died:\n{}", gateway.log_tail());
    });
}

reference_and_ours!(streaming_reference_janus, streaming_ours: streaming, "webrtc-streaming");

// ---------------------------------------------------------------------------------------
// RecordPlay: a peer records audio and video, a second PeerConnection plays it back.

fn recordplay(binary: &Path, test: &str) {
    in_private_network(|net| {
        let recordings = support::scratch_dir(test).join("recordings");
        std::fs::create_dir_all(&recordings).unwrap();
        let (gateway, _configs) = start_gateway(binary, test, &["recordplay"], |configs| {
            configs.write("janus.plugin.recordplay.jcfg", &format!("general: {{\n\tpath = \"{}\"\n}}\n", recordings.display()));
        });
        let session = gateway.create_ws_session();
        let handle = session.attach("janus.plugin.recordplay");
        let mut recorder = Peer::new(net.peer_ip.into());
        let recording = offer(&session, &handle, &mut recorder, r#"{"request":"record","name":"e2e"}"#, true, true);
        assert_eq!(data(&recording).and_then(|d| str_at(d, &["result", "status"])), Some("recording"), "{recording:?}");
        let id = data(&recording).and_then(|d| at(d, &["result", "id"])).and_then(Json::as_i64).expect("recording id");
        connect_peers(&mut [&mut recorder], &gateway);
        let kinds = [Kind::Audio, Kind::Video];
        let sent = send_media(&mut [&mut recorder], 1, &kinds);
        // What is still in flight reaches the plugin before the recording stops.
        recorder.run_for(Duration::from_millis(300));
        let reply = handle.message(r#"{"request":"stop"}"#);
        assert_eq!(kind_of(&reply), Some("ack"), "{reply:?}");
        // `stopped` (the request's answer) and `done` (pushed from hangup_media, when the
        // plugin completes the recording: its .nfo, its offer) come from different threads of
        // the plugin, in either order; until `done`, `play` finds no such recording.
        let is_stopped = |e: &Json| data(e).and_then(|d| str_at(d, &["result", "status"])) == Some("stopped");
        let is_done = |e: &Json| data(e).and_then(|d| str_at(d, &["result"])) == Some("done");
        let events = session.events_until(WAIT, |events| events.iter().any(is_stopped) && events.iter().any(is_done));
        let stopped = events.into_iter().find(is_stopped).expect("checked by events_until");
        assert_eq!(data(&stopped).and_then(|d| at(d, &["result", "id"])).and_then(Json::as_i64), Some(id), "{stopped:?}");

        let player_session = gateway.create_ws_session();
        let player_handle = player_session.attach("janus.plugin.recordplay");
        let mut player = Peer::new(net.peer_ip.into());
        let deadline = Instant::now() + WAIT;
        let preparing = loop {
            let reply = player_handle.message(&format!(r#"{{"request":"play","id":{id}}}"#));
            assert_eq!(kind_of(&reply), Some("ack"), "{reply:?}");
            let event = wait_event(&player_session, |e| at(e, &["jsep"]).is_some() || data(e).and_then(|d| d.get("error")).is_some());
            let not_yet = data(&event).and_then(|d| d.get("error_code")).and_then(Json::as_i64) == Some(416);
            if !not_yet || Instant::now() > deadline {
                break event;
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        assert_eq!(str_at(&preparing, &["jsep", "type"]), Some("offer"), "{preparing:?}");
        assert_eq!(data(&preparing).and_then(|d| str_at(d, &["result", "status"])), Some("preparing"), "{preparing:?}");
        let playing = |e: &Json| data(e).and_then(|d| str_at(d, &["result", "status"])) == Some("playing");
        let offer = answer(&player_session, &player_handle, &mut player, &preparing, r#"{"request":"start"}"#, playing);
        let flows: Vec<(u8, u32)> = kinds.iter().map(|k| announced(&offer, &player, *k)).collect();
        check_received(&mut player, &flows, &sent[0], "playback");
        assert!(gateway.is_running(), "the gateway died:\n{}", gateway.log_tail());
    });
}

reference_and_ours!(recordplay_reference_janus, recordplay_ours: recordplay, "webrtc-recordplay");

// ---------------------------------------------------------------------------------------
// AudioBridge: one participant hears another through the mixer, which decodes and
// re-encodes Opus: the speaker sends real Opus (encoded by ffmpeg at test time), and what
// the listener gets is decoded (by ffmpeg) and must be loud, not the mixer's silence.

const AUDIO_ROOM: u64 = 5678;

/// The audio packets of an Ogg Opus stream (RFC 7845), OpusHead and OpusTags left out.
fn ogg_opus_packets(ogg: &[u8]) -> Vec<Vec<u8>> {
    let mut packets = Vec::new();
    let mut packet = Vec::new();
    let mut rest = ogg;
    while rest.len() >= 27 && rest.starts_with(b"OggS") {
        let segments = usize::from(rest[26]);
        let table = &rest[27..27 + segments];
        let mut body = &rest[27 + segments..];
        for &lace in table {
            packet.extend_from_slice(&body[..usize::from(lace)]);
            body = &body[usize::from(lace)..];
            if lace < 255 {
                packets.push(std::mem::take(&mut packet));
            }
        }
        rest = body;
    }
    packets.split_off(2.min(packets.len()))
}

/// Ogg's page checksum: CRC-32 with polynomial 0x04C11DB7, not reflected, zero start.
fn ogg_crc(data: &[u8]) -> u32 {
    data.iter().fold(0u32, |crc, &byte| {
        (0..8).fold(crc ^ (u32::from(byte) << 24), |c, _| if c & 0x8000_0000 != 0 { (c << 1) ^ 0x04C1_1DB7 } else { c << 1 })
    })
}

/// An Ogg Opus file (mono, 48 kHz) holding `packets` of 20 ms, one per page.
fn ogg_opus_file(packets: &[&[u8]]) -> Vec<u8> {
    let mut head = b"OpusHead".to_vec();
    head.extend_from_slice(&[1, 1, 0, 0]); // version, channels, pre-skip
    head.extend_from_slice(&48000u32.to_le_bytes());
    head.extend_from_slice(&[0, 0, 0]); // output gain, channel mapping family
    let mut tags = b"OpusTags".to_vec();
    tags.extend_from_slice(&4u32.to_le_bytes());
    tags.extend_from_slice(b"test");
    tags.extend_from_slice(&0u32.to_le_bytes());
    let mut file = Vec::new();
    let all: Vec<&[u8]> = [head.as_slice(), tags.as_slice()].into_iter().chain(packets.iter().copied()).collect();
    for (sequence, packet) in all.iter().enumerate() {
        let flags = match sequence {
            0 => 0x02,
            n if n + 1 == all.len() => 0x04,
            _ => 0,
        };
        let granule = 960 * (sequence.saturating_sub(1) as u64);
        let mut page = b"OggS".to_vec();
        page.extend_from_slice(&[0, flags]);
        page.extend_from_slice(&granule.to_le_bytes());
        page.extend_from_slice(&0x6a61_6e75u32.to_le_bytes());
        page.extend_from_slice(&(sequence as u32).to_le_bytes());
        page.extend_from_slice(&0u32.to_le_bytes());
        let mut lacing = vec![255u8; packet.len() / 255];
        lacing.push((packet.len() % 255) as u8);
        page.push(lacing.len() as u8);
        page.extend_from_slice(&lacing);
        page.extend_from_slice(packet);
        let crc = ogg_crc(&page);
        page[22..26].copy_from_slice(&crc.to_le_bytes());
        file.extend_from_slice(&page);
    }
    file
}

/// Runs ffmpeg with `args`; its stderr, after checking that it succeeded.
fn ffmpeg(args: &[&str]) -> String {
    let out = std::process::Command::new("ffmpeg").args(["-hide_banner", "-nostdin", "-y"]).args(args).output().expect("ffmpeg runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "ffmpeg {args:?}:\n{stderr}");
    stderr
}

/// The loudest sample of a decoded Ogg Opus file, in dBFS (ffmpeg's volumedetect).
fn max_volume(ogg: &Path) -> f64 {
    let report = ffmpeg(&["-i", &ogg.display().to_string(), "-af", "volumedetect", "-f", "null", "-"]);
    let value = report.lines().find_map(|l| l.split("max_volume:").nth(1)).unwrap_or_else(|| panic!("no max_volume in\n{report}"));
    let value = value.trim().trim_end_matches("dB").trim();
    if value == "-inf" {
        f64::NEG_INFINITY
    } else {
        value.parse().unwrap_or_else(|_| panic!("max_volume {value}"))
    }
}

fn audiobridge(binary: &Path, test: &str) {
    // Not the gateway's folder, which start_gateway empties.
    let dir = support::scratch_dir(&format!("{test}-media"));
    let tone = dir.join("tone.ogg");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:sample_rate=48000:duration=2",
        "-ac",
        "1",
        "-c:a",
        "libopus",
        "-b:a",
        "48k",
        "-frame_duration",
        "20",
        &tone.display().to_string(),
    ]);
    let frames = ogg_opus_packets(&std::fs::read(&tone).unwrap());
    assert!(frames.len() >= 90, "ffmpeg encoded {} Opus packets", frames.len());
    assert!(max_volume(&tone) > -25.0, "the tone itself is loud");

    in_private_network(|net| {
        let (gateway, _configs) = start_gateway(binary, test, &["audiobridge"], |_| {});
        let sessions = [gateway.create_ws_session(), gateway.create_ws_session()];
        let handles: Vec<Handle> = sessions.iter().map(|s| s.attach("janus.plugin.audiobridge")).collect();
        let created = handles[0].request(&format!(r#"{{"request":"create","room":{AUDIO_ROOM},"sampling_rate":48000}}"#));
        assert_eq!(str_at(&created, &["audiobridge"]), Some("created"), "{created:?}");
        let mut peers = [Peer::new(net.peer_ip.into()), Peer::new(net.peer_ip.into())];
        let mut answers = Vec::new();
        for (((session, handle), peer), name) in sessions.iter().zip(&handles).zip(&mut peers).zip(["speaker", "listener"]) {
            let reply = handle.message(&format!(r#"{{"request":"join","room":{AUDIO_ROOM},"display":"{name}"}}"#));
            assert_eq!(kind_of(&reply), Some("ack"), "{reply:?}");
            wait_event(session, |e| data(e).and_then(|d| str_at(d, &["audiobridge"])) == Some("joined"));
            let configured = offer(session, handle, peer, r#"{"request":"configure","muted":false}"#, true, false);
            answers.push(str_at(&configured, &["jsep", "sdp"]).unwrap().to_string());
        }
        let [speaker, listener] = &mut peers;
        connect_peers(&mut [speaker, listener], &gateway);
        let (pt, ssrc) = announced(&answers[1], listener, Kind::Audio);

        // The mixer's output before anyone speaks, then while the speaker sends the tone.
        run_peers_for(&mut [speaker, listener], Duration::from_millis(500));
        let before = listener.received().len();
        for (i, frame) in frames.iter().enumerate() {
            speaker.send(Kind::Audio, frame, i == 0);
            run_peers_for(&mut [speaker, listener], PACKET_INTERVAL);
        }
        run_peers_for(&mut [speaker, listener], Duration::from_millis(300));
        let heard: Vec<&[u8]> = listener.received()[before..].iter().filter(|r| r.ssrc == ssrc).map(|r| r.payload.as_slice()).collect();
        assert!(listener.received().iter().all(|r| r.ssrc == ssrc && r.pt == pt), "the mixer's packets: announced pt {pt}, SSRC {ssrc}");
        assert!(heard.len() >= frames.len() / 2, "the listener got {} packets while {} were spoken", heard.len(), frames.len());
        let silence: Vec<&[u8]> = listener.received()[..before].iter().map(|r| r.payload.as_slice()).collect();
        let mixed = dir.join("heard.ogg");
        std::fs::write(&mixed, ogg_opus_file(&heard)).unwrap();
        let level = max_volume(&mixed);
        assert!(level > -30.0, "the listener heard {level} dBFS at most: the speaker's tone did not come through the mixer");
        if !silence.is_empty() {
            let quiet = dir.join("silence.ogg");
            std::fs::write(&quiet, ogg_opus_file(&silence)).unwrap();
            let level = max_volume(&quiet);
            assert!(level < -60.0, "before anyone spoke the listener heard {level} dBFS");
        }
        assert!(gateway.is_running(), "the gateway died:\n{}", gateway.log_tail());
    });
}

reference_and_ours!(audiobridge_reference_janus, audiobridge_ours: audiobridge, "webrtc-audiobridge");

// ---------------------------------------------------------------------------------------
// NoSIP: a WebRTC peer's offer turned into a barebone SDP; a plain RTP endpoint on the
// namespace's loopback answers it; media flows between the two both ways.

/// The `(media, port, payload type, rtpmap line)` of each m-line of a barebone SDP, the
/// payload type being the first of the m-line.
fn barebone_media(sdp: &str) -> Vec<(String, u16, u8, String)> {
    media_sections(sdp)
        .iter()
        .map(|section| {
            let fields: Vec<&str> = section[0].trim_start_matches("m=").split(' ').collect();
            let pt: u8 = fields[3].parse().expect("a payload type");
            let rtpmap = section.iter().find(|l| l.starts_with(&format!("a=rtpmap:{pt} "))).expect("an rtpmap");
            (fields[0].to_string(), fields[1].parse().expect("a port"), pt, rtpmap.to_string())
        })
        .collect()
}

/// Payload type and payload of a plain RTP packet (CSRCs, extension and padding skipped).
fn plain_rtp(packet: &[u8]) -> Option<(u8, &[u8])> {
    let mut start = 12 + 4 * usize::from(packet.first()? & 0x0f);
    if packet[0] & 0x10 != 0 {
        let words = u16::from_be_bytes([*packet.get(start + 2)?, *packet.get(start + 3)?]);
        start += 4 + 4 * usize::from(words);
    }
    let padding = if packet[0] & 0x20 != 0 { usize::from(*packet.last()?) } else { 0 };
    Some((packet[1] & 0x7f, packet.get(start..packet.len().checked_sub(padding)?)?))
}

fn nosip(binary: &Path, test: &str) {
    in_private_network(|net| {
        let (gateway, _configs) = start_gateway(binary, test, &["nosip"], |configs| {
            configs.write("janus.plugin.nosip.jcfg", "general: {\n\tlocal_ip = \"127.0.0.1\"\n\trtp_port_range = \"20000-40000\"\n}\n");
        });
        let session = gateway.create_ws_session();
        let handle = session.attach("janus.plugin.nosip");
        let mut peer = Peer::new(net.peer_ip.into());
        let offer = peer.create_offer(true, true);
        let reply = handle.message_with_jsep(r#"{"request":"generate"}"#, "offer", &offer);
        assert_eq!(kind_of(&reply), Some("ack"), "{reply:?}");
        trickle(&handle, &peer);
        let generated = wait_event(&session, |e| data(e).is_some_and(|d| d.get("error").is_some() || d.get("result").is_some()));
        assert_eq!(data(&generated).and_then(|d| str_at(d, &["result", "event"])), Some("generated"), "{generated:?}");
        assert_eq!(data(&generated).and_then(|d| str_at(d, &["result", "type"])), Some("offer"), "{generated:?}");
        let barebone = data(&generated).and_then(|d| str_at(d, &["result", "sdp"])).expect("a barebone SDP").to_string();
        assert!(barebone.contains("c=IN IP4 127.0.0.1"), "{barebone}");
        let media = barebone_media(&barebone);
        assert_eq!(media.iter().map(|m| m.0.as_str()).collect::<Vec<_>>(), ["audio", "video"], "{barebone}");

        // The plain endpoint: one socket per m-line, answering with the offered formats.
        let sockets: Vec<UdpSocket> = media.iter().map(|_| UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).expect("plain socket")).collect();
        let mut plain_answer = String::from("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=plain\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n");
        for ((kind, _, pt, rtpmap), socket) in media.iter().zip(&sockets) {
            let port = socket.local_addr().unwrap().port();
            plain_answer.push_str(&format!("m={kind} {port} RTP/AVP {pt}\r\n{rtpmap}\r\na=sendrecv\r\n"));
        }
        let process = format!(r#"{{"request":"process","type":"answer","sdp":{}}}"#, Json::from(plain_answer.as_str()).to_compact_string());
        let reply = handle.message(&process);
        assert_eq!(kind_of(&reply), Some("ack"), "{reply:?}");
        let processed = wait_jsep(&session, "answer");
        assert_eq!(data(&processed).and_then(|d| str_at(d, &["result", "event"])), Some("processed"), "{processed:?}");
        let answer = str_at(&processed, &["jsep", "sdp"]).unwrap().to_string();
        peer.accept_answer(&answer);
        connect_peers(&mut [&mut peer], &gateway);

        // WebRTC to plain, then plain to WebRTC.
        let kinds = [Kind::Audio, Kind::Video];
        let sent = send_media(&mut [&mut peer], 1, &kinds);
        for (((socket, (kind, _, pt, _)), sent), what) in sockets.iter().zip(&media).zip(&sent[0]).zip(["audio", "video"]) {
            socket.set_read_timeout(Some(WAIT)).unwrap();
            let mut got = Vec::new();
            let mut buffer = [0u8; 2000];
            while got.len() < sent.len() {
                let (n, _) = socket.recv_from(&mut buffer).unwrap_or_else(|e| panic!("plain {kind}: {e} after {} packets", got.len()));
                let (received_pt, payload) = plain_rtp(&buffer[..n]).expect("an RTP packet");
                assert_eq!(received_pt, *pt, "plain {what}: payload type");
                got.push(payload.to_vec());
            }
            assert_eq!(&got, sent, "plain {what}: the payloads differ from those the WebRTC peer sent");
        }
        let flows: Vec<(u8, u32)> = kinds.iter().map(|k| announced(&answer, &peer, *k)).collect();
        let mut plain_sent = vec![Vec::new(); kinds.len()];
        for i in 0..PACKETS {
            for (((kind, sent), (_, port, pt, _)), socket) in kinds.iter().zip(&mut plain_sent).zip(&media).zip(&sockets) {
                let (payload, step) = match kind {
                    Kind::Audio => (opus_payload(5000 + i), 960),
                    Kind::Video => (vp8_payload(5000 + i, i % 10 == 0), 3000),
                };
                let packet = rtp_packet(*pt, 7000 + i as u16, i * step, 0x7a7a_0000 + u32::from(*pt), &payload);
                socket.send_to(&packet, (Ipv4Addr::LOCALHOST, *port)).expect("sending plain RTP");
                sent.push(payload);
            }
            peer.run_for(PACKET_INTERVAL);
        }
        check_received(&mut peer, &flows, &plain_sent, "WebRTC peer");
        assert!(gateway.is_running(), "the gateway died:\n{}", gateway.log_tail());
    });
}

reference_and_ours!(nosip_reference_janus, nosip_ours: nosip, "webrtc-nosip");
