//! Bad input from the wire, end to end with a WebRTC peer we did not write (str0m) connected
//! to the EchoTest: malformed STUN, garbage DTLS records, truncated and garbage RTP/RTCP,
//! SRTP packets with a bad authentication tag, replayed SRTP packets, datagrams from an
//! address that is not the selected pair's, and a flood of junk, all sent to the gateway's
//! selected candidate from the peer's own socket. After each, the gateway runs, the peer's
//! media is still echoed, a second, independent session's PeerConnection is untouched, and
//! the Admin API still describes the handle with DTLS connected. A wrong DTLS fingerprint in
//! the offer keeps the PeerConnection from coming up, with Janus' `hangup` event.
//!
//! Each test runs against `/usr/bin/janus` (the oracle) and against ours, with the same
//! assertions; signalling goes over the stock WebSockets transport.

mod support;

use std::net::{SocketAddr, UdpSocket};
use std::path::Path;
use std::time::Duration;

use janus::json::Json;
use support::gateway::{Gateway, Handle, Session};
use support::json::{at, int_at, kind_of, str_at};
use support::webrtc::{
    echotest_offer, in_private_network, offer_and_answer, opus_payload, private_network_configs, run_peers_until, sdp_ssrc, Kind, Peer,
};

/// Bound on each wait for the gateway (answer, connectivity, echoes, events).
const WAIT: Duration = Duration::from_secs(10);
const ADMIN_SECRET: &str = "wire-admin";
/// Datagrams in the flood.
const FLOOD: usize = 3000;

/// A gateway with the EchoTest, signalling over WebSockets, the Admin API on HTTP, and ICE
/// on the private network's gateway end only.
fn start_gateway(binary: &Path, test: &str) -> Gateway {
    let mut configs = private_network_configs(test, &["echotest"]);
    configs.enable_websockets();
    configs.set_general("admin_secret", &format!("\"{ADMIN_SECRET}\""));
    configs.enable_admin();
    Gateway::start(binary, &configs)
}

/// A str0m peer connected to the EchoTest through `handle`, sending audio only; returns it
/// with the SSRC the gateway echoes its audio with.
fn connect_echo(gateway: &Gateway, session: &Session, handle: &Handle, peer_ip: std::net::Ipv4Addr) -> (Peer, u32) {
    let (mut peer, answer) = echotest_offer(session, handle, peer_ip.into(), false);
    let mid = peer.mid(Kind::Audio).unwrap();
    let ssrc = sdp_ssrc(&answer, &mid).unwrap_or_else(|| panic!("no audio SSRC in\n{answer}"));
    peer.connect(&answer, gateway);
    session.events_until(WAIT, |events| events.iter().any(|e| kind_of(e) == Some("webrtcup")));
    (peer, ssrc)
}

/// The audio payloads of one echo round: distinct for each `round`.
fn round_payloads(round: u32) -> Vec<Vec<u8>> {
    (0..5).map(|i| opus_payload(round * 100 + i)).collect()
}

/// Whether `peer` received, with `ssrc`, every payload of `payloads`.
fn echoed(peer: &Peer, ssrc: u32, payloads: &[Vec<u8>]) -> bool {
    payloads.iter().all(|p| peer.received().iter().any(|r| r.ssrc == ssrc && &r.payload == p))
}

/// One PeerConnection under test: its session, handle, peer and echo SSRC.
struct Echo<'s, 'g> {
    session: &'s Session<'g>,
    handle: Handle<'s, 'g>,
    peer: Peer,
    ssrc: u32,
}

/// Both peers send a round of audio each and both get it echoed back: the attacked
/// PeerConnection still works and the bystander is untouched. Both run all along, so that
/// neither misses its keepalives. Then the gateway still runs, and the Admin API describes
/// both handles with DTLS connected.
fn check_still_echoing(gateway: &Gateway, attacked: &mut Echo, bystander: &mut Echo, round: u32, after: &str) {
    let sent = round_payloads(round);
    for (i, payload) in sent.iter().enumerate() {
        attacked.peer.send(Kind::Audio, payload, i == 0);
        bystander.peer.send(Kind::Audio, payload, i == 0);
        run_peers_until(&mut [&mut attacked.peer, &mut bystander.peer], Duration::from_millis(20), |_| false);
    }
    let (a, b) = (attacked.ssrc, bystander.ssrc);
    let back =
        run_peers_until(&mut [&mut attacked.peer, &mut bystander.peer], WAIT, |p| echoed(&*p[0], a, &sent) && echoed(&*p[1], b, &sent));
    assert!(
        back,
        "after {after}: the echo stopped (attacked {}, bystander {})\n{}",
        echoed(&attacked.peer, a, &sent),
        echoed(&bystander.peer, b, &sent),
        gateway.log_tail()
    );
    assert!(gateway.is_running(), "after {after}: the gateway died\n{}", gateway.log_tail());
    for echo in [&*attacked, &*bystander] {
        let info = handle_info(gateway, echo);
        assert_eq!(str_at(&info, &["info", "webrtc", "dtls", "dtls-state"]), Some("connected"), "after {after}: {info:?}");
    }
}

/// The Admin API's `handle_info` of an echo's handle, which must succeed.
fn handle_info(gateway: &Gateway, echo: &Echo) -> Json {
    let request = format!(r#"{{"janus":"handle_info","transaction":"hi","admin_secret":"{ADMIN_SECRET}"}}"#);
    let info = gateway.admin(&format!("/{}/{}", echo.session.id, echo.handle.id), &request);
    assert_eq!(kind_of(&info), Some("success"), "{info:?}");
    assert_eq!(int_at(&info, &["handle_id"]), Some(echo.handle.id), "{info:?}");
    info
}

/// The SRTP packets Janus counts as received on the handle (`stats.in.packets` of every
/// medium of `handle_info`), when the gateway reports them (ours does not yet).
fn packets_in(gateway: &Gateway, echo: &Echo) -> Option<i64> {
    let info = handle_info(gateway, echo);
    let media: Vec<&Json> = match at(&info, &["info", "webrtc", "media"])? {
        Json::Array(list) => list.iter().collect(),
        Json::Object(map) => map.iter().map(|(_, m)| m).collect(),
        _ => return None,
    };
    media.iter().map(|m| int_at(m, &["stats", "in", "packets"])).sum()
}

/// What the PeerConnection dropped by reason (`webrtc.dropped` of `handle_info`): ours
/// counts them, Janus only logs them (`None`).
fn dropped(gateway: &Gateway, echo: &Echo, reason: &str) -> Option<i64> {
    let info = handle_info(gateway, echo);
    int_at(&info, &["info", "webrtc", "dropped", reason])
}

/// Runs `attack` and checks, where the gateway counts drops, that `reason`'s count on
/// the attacked handle grew by at least `at_least`.
fn counts_drops(gateway: &Gateway, echo: &mut Echo, reason: &str, at_least: i64, attack: impl FnOnce(&mut Echo)) {
    let before = dropped(gateway, echo, reason);
    attack(echo);
    echo.peer.run_for(Duration::from_millis(300));
    if let (Some(before), Some(after)) = (before, dropped(gateway, echo, reason)) {
        assert!(after >= before + at_least, "{reason}: {before} then {after}, expected {at_least} more");
    }
}

/// Malformed STUN: a truncated header, lengths beyond the datagram, an attribute running
/// past the end, a binding request with an unknown username and a garbage integrity, a
/// response to no transaction.
fn malformed_stun() -> Vec<Vec<u8>> {
    const COOKIE: [u8; 4] = [0x21, 0x12, 0xA4, 0x42];
    let header = |class_method: u16, length: u16| {
        let mut h = class_method.to_be_bytes().to_vec();
        h.extend_from_slice(&length.to_be_bytes());
        h.extend_from_slice(&COOKIE);
        h.extend_from_slice(b"wire-test-tx");
        h
    };
    let mut truncated = header(0x0001, 0);
    truncated.truncate(11);
    let mut too_long = header(0x0001, 200);
    too_long.extend_from_slice(&[0; 8]);
    let mut attribute_overrun = header(0x0001, 8);
    attribute_overrun.extend_from_slice(&[0x00, 0x06, 0xff, 0xff, b'a', b'b', b'c', b'd']);
    let mut bad_integrity = header(0x0001, 36);
    bad_integrity.extend_from_slice(&[0x00, 0x06, 0x00, 0x09]);
    bad_integrity.extend_from_slice(b"nope:nope\0\0\0");
    bad_integrity.extend_from_slice(&[0x00, 0x08, 0x00, 0x14]);
    bad_integrity.extend_from_slice(&[0xAB; 20]);
    let mut odd_length = header(0x0001, 5);
    odd_length.extend_from_slice(&[0x80, 0x22, 0x00, 0x01, b'x']);
    let stray_response = header(0x0101, 0);
    vec![truncated, too_long, attribute_overrun, bad_integrity, odd_length, stray_response]
}

/// Garbage DTLS records: a truncated header, a length beyond the datagram, epoch-1 records
/// (application data, handshake, alert) whose ciphertext is noise, a stray ChangeCipherSpec,
/// and an epoch-0 ClientHello header with a garbage body.
fn garbage_dtls() -> Vec<Vec<u8>> {
    let record = |content_type: u8, epoch: u16, body: &[u8], claimed: Option<u16>| {
        let mut r = vec![content_type, 0xfe, 0xfd];
        r.extend_from_slice(&epoch.to_be_bytes());
        r.extend_from_slice(&[0, 0, 0, 0, 0x33, 0x44]);
        r.extend_from_slice(&claimed.unwrap_or(body.len() as u16).to_be_bytes());
        r.extend_from_slice(body);
        r
    };
    let noise: Vec<u8> = (0..120u32).map(|i| (i.wrapping_mul(151) >> 1) as u8).collect();
    let mut client_hello = vec![1, 0, 0, 60, 0, 0, 0, 0, 0, 0, 0, 60];
    client_hello.extend_from_slice(&noise[..60]);
    vec![
        vec![22, 0xfe, 0xfd, 0, 0],
        record(22, 0, &noise[..10], Some(1000)),
        record(23, 1, &noise, None),
        record(22, 1, &noise[..48], None),
        record(21, 1, &noise[..26], None),
        record(20, 0, &[1], None),
        record(22, 0, &client_hello, None),
    ]
}

/// Truncated and garbage RTP and RTCP (in the clear, so no SRTP context takes them), and
/// the fuzzing corpora's seeds.
fn garbage_rtp_rtcp() -> Vec<Vec<u8>> {
    let mut list: Vec<Vec<u8>> = vec![
        vec![0x80, 111, 0, 1],
        vec![0x80, 111, 0, 1, 0, 0, 0, 0, 0x11, 0x22, 0x33, 0x44],
        // 15 CSRCs announced, two present.
        vec![0x8f, 111, 0, 2, 0, 0, 0, 0, 0x11, 0x22, 0x33, 0x44, 1, 2, 3, 4, 5, 6, 7, 8],
        // An extension longer than the packet.
        vec![0x90, 111, 0, 3, 0, 0, 0, 0, 0x11, 0x22, 0x33, 0x44, 0xbe, 0xde, 0xff, 0xff, 1, 2],
        // Padding longer than the payload.
        vec![0xa0, 111, 0, 4, 0, 0, 0, 0, 0x11, 0x22, 0x33, 0x44, 1, 2, 3, 200],
        vec![0x81, 200, 0, 1, 0, 0, 0, 0, 1, 2, 3, 4],
        vec![0x80, 201, 0xff, 0xff, 0, 0, 0, 1],
        vec![0x8f, 205, 255, 255],
        vec![0x81, 206, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2],
        vec![0xff; 1400],
    ];
    for corpus in ["rtp_fuzzer", "rtcp_fuzzer"] {
        list.extend(support::corpus(corpus).into_iter().map(|(_, bytes)| bytes).filter(|b| !b.is_empty() && b.len() <= 1400));
    }
    list
}

/// A copy of an SRTP packet with its authentication tag (its last byte) altered.
fn bad_tag(packet: &[u8]) -> Vec<u8> {
    let mut p = packet.to_vec();
    *p.last_mut().unwrap() ^= 0x5a;
    p
}

/// The peer's next `count` audio packets as SRTP, produced by str0m but not sent.
fn withheld_packets(peer: &mut Peer, round: u32, count: usize) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let payloads: Vec<Vec<u8>> = (0..count as u32).map(|i| opus_payload(round * 100 + i)).collect();
    let before = peer.withheld().len();
    peer.withhold_rtp(count);
    for payload in &payloads {
        peer.send(Kind::Audio, payload, false);
    }
    // str0m may pace its packets out a little later.
    assert!(peer.run_until(WAIT, |p| p.withheld().len() == before + count), "str0m did not produce the packets");
    (payloads, peer.withheld()[before..].to_vec())
}

fn wire_bad_input(binary: &Path, test: &str) {
    in_private_network(|net| {
        let gateway = start_gateway(binary, test);
        let (attacked_session, bystander_session) = (gateway.create_ws_session(), gateway.create_ws_session());
        let handle = attacked_session.attach("janus.plugin.echotest");
        let (peer, ssrc) = connect_echo(&gateway, &attacked_session, &handle, net.peer_ip);
        let mut attacked = Echo { session: &attacked_session, handle, peer, ssrc };
        let handle = bystander_session.attach("janus.plugin.echotest");
        let (peer, ssrc) = connect_echo(&gateway, &bystander_session, &handle, net.peer_ip);
        let mut bystander = Echo { session: &bystander_session, handle, peer, ssrc };
        let selected: SocketAddr = attacked.peer.remote_address().expect("str0m sent to the gateway");
        assert_eq!(selected.ip(), std::net::IpAddr::from(net.gateway_ip), "the selected candidate is on the gateway's end");
        check_still_echoing(&gateway, &mut attacked, &mut bystander, 1, "connecting");

        for (round, (what, datagrams)) in
            [("malformed STUN", malformed_stun()), ("garbage DTLS", garbage_dtls()), ("garbage RTP/RTCP", garbage_rtp_rtcp())]
                .into_iter()
                .enumerate()
        {
            // What libnice passes on of bad STUN is no WebRTC packet; RTP in the clear comes
            // from no SSRC we know; garbage DTLS records are OpenSSL's to drop (uncounted).
            let (reason, at_least) = [("not-webrtc", 1), ("not-webrtc", 0), ("unknown-ssrc", 5)][round];
            counts_drops(&gateway, &mut attacked, reason, at_least, |attacked| {
                for datagram in &datagrams {
                    attacked.peer.send_raw(datagram);
                }
            });
            check_still_echoing(&gateway, &mut attacked, &mut bystander, 2 + round as u32, what);
        }

        // SRTP with a bad tag is dropped without touching the replay window: the genuine
        // packets, sent after their forgeries, are echoed.
        let (payloads, genuine) = withheld_packets(&mut attacked.peer, 10, 5);
        counts_drops(&gateway, &mut attacked, "unprotect-errors", 5, |attacked| {
            for packet in &genuine {
                attacked.peer.send_raw(&bad_tag(packet));
            }
        });
        assert!(!payloads.iter().any(|p| echoed(&attacked.peer, attacked.ssrc, std::slice::from_ref(p))), "a forged packet was echoed");
        for packet in &genuine {
            attacked.peer.send_raw(packet);
        }
        let back = attacked.peer.run_until(WAIT, |p| echoed(p, attacked.ssrc, &payloads));
        assert!(back, "the genuine packets sent after forgeries of them were not echoed\n{}", gateway.log_tail());
        check_still_echoing(&gateway, &mut attacked, &mut bystander, 11, "SRTP with a bad authentication tag");

        // Replays are dropped: received packets do not count them (where the gateway
        // reports receive counters), and the echo goes on.
        let counted = packets_in(&gateway, &attacked);
        counts_drops(&gateway, &mut attacked, "replays", 15, |attacked| {
            for _ in 0..3 {
                for packet in &genuine {
                    attacked.peer.send_raw(packet);
                }
            }
        });
        if let (Some(before), Some(after)) = (counted, packets_in(&gateway, &attacked)) {
            // Only str0m's own RTCP may have arrived meanwhile; no audio was sent.
            assert_eq!(after, before, "replayed SRTP packets were counted as received");
        }
        check_still_echoing(&gateway, &mut attacked, &mut bystander, 12, "replayed SRTP");

        // A datagram from an address that is not the selected pair's remote: libnice does
        // not hand it to the PeerConnection. A fresh SRTP packet sent from there is not
        // echoed, and is still new when it then comes from the peer's own address.
        let stranger = UdpSocket::bind(SocketAddr::new(net.peer_ip.into(), 0)).expect("a second socket");
        let (payloads, fresh) = withheld_packets(&mut attacked.peer, 13, 1);
        stranger.send_to(&fresh[0], selected).expect("sending from the second socket");
        for datagram in garbage_dtls().iter().chain(&malformed_stun()) {
            stranger.send_to(datagram, selected).expect("sending from the second socket");
        }
        attacked.peer.run_for(Duration::from_millis(500));
        assert!(!echoed(&attacked.peer, attacked.ssrc, &payloads), "a packet from an unknown address was taken");
        attacked.peer.send_raw(&fresh[0]);
        assert!(
            attacked.peer.run_until(WAIT, |p| echoed(p, attacked.ssrc, &payloads)),
            "the packet was not taken from the peer\n{}",
            gateway.log_tail()
        );
        check_still_echoing(&gateway, &mut attacked, &mut bystander, 14, "datagrams from an unknown address");

        // A flood of junk of every kind above, and replays.
        let mut junk: Vec<Vec<u8>> = malformed_stun();
        junk.extend(garbage_dtls());
        junk.extend(garbage_rtp_rtcp());
        junk.extend(genuine.iter().map(|p| bad_tag(p)));
        junk.extend(genuine.iter().cloned());
        for datagram in junk.iter().cycle().take(FLOOD) {
            attacked.peer.send_raw(datagram);
        }
        check_still_echoing(&gateway, &mut attacked, &mut bystander, 15, "a flood of junk");
        // The bystander's peer sent nothing to drop.
        for reason in ["too-big", "not-webrtc", "early", "malformed", "unknown-ssrc", "unprotect-errors", "replays"] {
            assert!(matches!(dropped(&gateway, &bystander, reason), None | Some(0)), "bystander {reason}");
        }

        // The gateway still takes requests and closes the PeerConnections cleanly.
        for echo in [&attacked, &bystander] {
            let reply = echo.handle.janus_request("hangup");
            assert_eq!(kind_of(&reply), Some("success"), "{reply:?}");
        }
        for session in [&attacked_session, &bystander_session] {
            let reply = session.destroy();
            assert_eq!(kind_of(&reply), Some("success"), "{reply:?}");
        }
        assert!(gateway.is_running(), "the gateway died:\n{}", gateway.log_tail());
    });
}

reference_and_ours!(wire_bad_input_reference_janus, wire_bad_input_ours: wire_bad_input, "webrtc-bad-input");

/// An offer whose fingerprint is not the peer's certificate's: the gateway's DTLS check
/// fails, the PeerConnection never comes up, and the handle gets a `hangup` with Janus'
/// reason (`DTLS alert`); a second session on the gateway connects meanwhile as usual.
fn wrong_fingerprint(binary: &Path, test: &str) {
    in_private_network(|net| {
        let gateway = start_gateway(binary, test);
        let session = gateway.create_ws_session();
        let handle = session.attach("janus.plugin.echotest");
        let mut peer = Peer::new(net.peer_ip.into());
        let offer = peer.create_offer(true, false);
        let line = offer.lines().find(|l| l.starts_with("a=fingerprint:sha-256 ")).expect("a sha-256 fingerprint");
        let wrong = "a=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF";
        let answer = offer_and_answer(&session, &handle, &peer, r#"{"audio":true}"#, &offer.replace(line, wrong));
        peer.accept_answer(&answer);
        // The gateway, DTLS client, checks the peer's certificate once the handshake is
        // over; str0m, which sees the gateway's right fingerprint, may think it connected.
        peer.run_for(Duration::from_secs(1));
        let events = session.events_until(WAIT, |events| events.iter().any(|e| kind_of(e) == Some("hangup")));
        assert!(!events.iter().any(|e| kind_of(e) == Some("webrtcup")), "{events:?}");
        let hangup = events.iter().find(|e| kind_of(e) == Some("hangup")).unwrap();
        // Janus fails the handshake it completed, through its DTLS alert path.
        assert_eq!(str_at(hangup, &["reason"]), Some("DTLS alert"), "{hangup:?}");
        assert_eq!(int_at(hangup, &["sender"]), Some(handle.id), "{hangup:?}");
        // Nothing is echoed on it.
        if peer.is_connected() {
            let sent = round_payloads(1);
            for payload in &sent {
                peer.send(Kind::Audio, payload, false);
            }
            peer.run_for(Duration::from_secs(1));
            assert!(peer.received().is_empty(), "media flowed despite a wrong fingerprint");
        }

        let other_session = gateway.create_ws_session();
        let other_handle = other_session.attach("janus.plugin.echotest");
        let (mut other, ssrc) = connect_echo(&gateway, &other_session, &other_handle, net.peer_ip);
        let sent = round_payloads(1);
        for payload in &sent {
            other.send(Kind::Audio, payload, false);
        }
        assert!(other.run_until(WAIT, |p| echoed(p, ssrc, &sent)), "no echo on the other session\n{}", gateway.log_tail());
        assert!(gateway.is_running(), "the gateway died:\n{}", gateway.log_tail());
    });
}

reference_and_ours!(wrong_fingerprint_reference_janus, wrong_fingerprint_ours: wrong_fingerprint, "webrtc-fingerprint");
