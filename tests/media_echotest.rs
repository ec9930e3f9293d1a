//! End to end through our gateway, without a browser: a client PeerConnection made of our
//! own building blocks (`support::webrtc_client`) negotiates with the stock EchoTest plugin
//! over the Janus API (HTTP), connects ICE and DTLS, sends SRTP audio and video and gets
//! them back, exchanges RTCP, then hangs up. Every wait is bounded.

mod support;

use std::time::{Duration, Instant};

use janus::dtls::DtlsRole;
use janus::json::{Json, Object};
use janus::rtp::header::RtpHeader;
use support::gateway::{binary_under_test, with_transaction, ConfigsFolder, Gateway, Session};
use support::webrtc_client::{attribute, first_ssrc, rtp_packet, Client, Received, WAIT};

const AUDIO_SSRC: u32 = 0x1122_3344;
const VIDEO_SSRC: u32 = 0x5566_7788;

/// Events from long polls until `pred` picks one (other events are kept in `seen`).
fn wait_event(session: &Session, seen: &mut Vec<Json>, pred: impl Fn(&Json) -> bool) -> Json {
    if let Some(i) = seen.iter().position(&pred) {
        return seen.remove(i);
    }
    let deadline = Instant::now() + WAIT;
    while Instant::now() < deadline {
        let event = session.poll(Duration::from_secs(35));
        if pred(&event) {
            return event;
        }
        seen.push(event);
    }
    panic!("no such event; seen {seen:?}\n{}", session.gateway.log_tail());
}

fn kind(event: &Json) -> &str {
    event.get("janus").and_then(Json::as_str).unwrap_or_default()
}

/// Waits (bounded) for an RTCP packet `pred` accepts, calling `between` between receives.
fn wait_rtcp(client: &mut Client, what: &str, mut between: impl FnMut(&mut Client), pred: impl Fn(&[u8]) -> bool) {
    let deadline = Instant::now() + WAIT;
    loop {
        assert!(Instant::now() < deadline, "no {what}");
        between(client);
        while let Some(r) = client.receive(Duration::from_millis(50)) {
            if let Received::Rtcp(p) = r {
                if pred(&p) {
                    return;
                }
            }
        }
    }
}

/// A gateway with EchoTest, a session and a handle on it, and the answer to `offer`.
struct Negotiated {
    gateway: Gateway,
    session_id: i64,
    handle_id: i64,
    answer: String,
}

/// Sends video (from sequence number `seq` on) until the first echo of it arrives, and
/// keeps that echo aside as if lost on the way: returned as received, not decrypted.
fn lose_video_echo(client: &mut Client, seq: &mut u16, gateway: &Gateway) -> Vec<u8> {
    let deadline = Instant::now() + WAIT;
    loop {
        assert!(Instant::now() < deadline, "no video to lose\n{}", gateway.log_tail());
        *seq = seq.wrapping_add(1);
        client.send_rtp(&rtp_packet(96, *seq, u32::from(*seq) * 3000, VIDEO_SSRC, b"\x90\x80\x00vp8-frame"));
        while let Some(d) = client.receive_raw(Duration::from_millis(20)) {
            if d.len() > 12 && d[0] >> 6 == 2 && d[1] & 0x7f == 96 {
                return d;
            }
        }
    }
}

/// A generic NACK from our video SSRC for `packet` (as received) of the gateway's video
/// SSRC `media`.
fn send_nack(client: &mut Client, media: u32, packet: &[u8]) {
    let mut nack = vec![0x81, 205, 0, 3];
    nack.extend_from_slice(&VIDEO_SSRC.to_be_bytes());
    nack.extend_from_slice(&media.to_be_bytes());
    nack.extend_from_slice(&packet[2..4]);
    nack.extend_from_slice(&[0, 0]);
    client.send_rtcp(&nack);
}

fn negotiate(test: &str, offer: impl FnOnce() -> String) -> Negotiated {
    negotiate_with(test, &[], offer)
}

/// As [`negotiate`], the gateway started with `args` too.
fn negotiate_with(test: &str, args: &[&str], offer: impl FnOnce() -> String) -> Negotiated {
    negotiate_configured(test, args, |_| {}, offer)
}

/// As [`negotiate_with`], the configuration changed by `configure` first.
fn negotiate_configured(
    test: &str,
    args: &[&str],
    configure: impl FnOnce(&mut ConfigsFolder),
    offer: impl FnOnce() -> String,
) -> Negotiated {
    let dir = support::scratch_dir(test);
    let mut configs = ConfigsFolder::new(&dir, &["echotest"]);
    configure(&mut configs);
    let args: Vec<&str> = ["--ice-enforce-list=lo"].iter().chain(args).copied().collect();
    let gateway = Gateway::start_with(&binary_under_test(), &configs, &args);
    let session = gateway.create_session();
    let handle = session.attach("janus.plugin.echotest");
    let (session_id, handle_id) = (session.id, handle.id);
    let jsep = Object::new().with("type", "offer").with("sdp", offer());
    let request =
        Object::new().with("janus", "message").with("body", Object::new().with("audio", true).with("video", true)).with("jsep", jsep);
    let reply = gateway.post(&format!("/janus/{session_id}/{handle_id}"), &with_transaction(&Json::from(request).to_compact_string()));
    assert_eq!(kind(&reply), "ack", "{reply:?}");
    let event = wait_event(&session, &mut Vec::new(), |e| kind(e) == "event" && e.get("jsep").is_some());
    let answer_jsep = event.get("jsep").unwrap();
    assert_eq!(answer_jsep.get("type").and_then(Json::as_str), Some("answer"));
    let answer = answer_jsep.get("sdp").and_then(Json::as_str).unwrap().to_owned();
    Negotiated { gateway, session_id, handle_id, answer }
}

/// `-w` (no WebRTC encryption, for debugging): no DTLS, plain RTP both ways once ICE is up.
#[test]
fn unencrypted_with_no_webrtc_encryption() {
    let mut client = Client::new(true);
    let n = negotiate_with("media_unencrypted", &["--no-webrtc-encryption"], || client.offer(AUDIO_SSRC, VIDEO_SSRC));
    assert!(n.answer.contains("RTP/AVPF") && !n.answer.contains("a=fingerprint"), "{}", n.answer);
    let session = n.gateway.http_session(n.session_id);
    client.connect_ice(&n.answer).unwrap_or_else(|e| panic!("{e}\n{}", n.gateway.log_tail()));
    wait_event(&session, &mut Vec::new(), |e| kind(e) == "webrtcup");
    let mut seq = 0u16;
    let deadline = Instant::now() + WAIT;
    loop {
        assert!(Instant::now() < deadline, "no plain echo\n{}", n.gateway.log_tail());
        seq = seq.wrapping_add(1);
        client.send_raw(&rtp_packet(111, seq, u32::from(seq) * 960, AUDIO_SSRC, b"in-the-clear"));
        if let Some(d) = client.receive_raw(Duration::from_millis(20)) {
            if d.ends_with(b"in-the-clear") {
                assert_eq!(RtpHeader::new(&d).unwrap().payload_type(), 111);
                break;
            }
        }
    }
}

/// A peer whose DTLS certificate does not match the fingerprint of its SDP: the gateway
/// hangs the PeerConnection up ("DTLS alert", as Janus does); garbage from a connected peer is dropped.
#[test]
fn wrong_fingerprint_hangs_up_and_garbage_is_dropped() {
    let mut client = Client::new(true);
    let n = negotiate("media_fingerprint", || {
        let good = client.offer(AUDIO_SSRC, VIDEO_SSRC);
        let fingerprint = attribute(&good, "fingerprint").unwrap().to_owned();
        good.replace(
            &fingerprint,
            "sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF",
        )
    });
    let session = n.gateway.http_session(n.session_id);
    let _ = client.try_connect(&n.answer, DtlsRole::for_remote_setup("active").unwrap());
    let hangup = wait_event(&session, &mut Vec::new(), |e| kind(e) == "hangup");
    assert_eq!(hangup.get("reason").and_then(Json::as_str), Some("DTLS alert"), "{hangup:?}");
    assert_eq!(hangup.get("sender").and_then(Json::as_i64), Some(n.handle_id));

    // A connected peer sending garbage: nothing breaks, the echo goes on.
    let mut client = Client::new(true);
    let n = negotiate("media_garbage", || client.offer(AUDIO_SSRC, VIDEO_SSRC));
    let session = n.gateway.http_session(n.session_id);
    client.connect(&n.answer, DtlsRole::for_remote_setup("active").unwrap(), || n.gateway.log_tail());
    wait_event(&session, &mut Vec::new(), |e| kind(e) == "webrtcup");
    let garbage: [&[u8]; 8] = [
        &[22, 254, 253, 0, 0],
        &[23; 200],
        &[0x80, 111, 0, 1],
        &[0x80, 111, 0, 1, 0, 0, 0, 0, 0x11, 0x22, 0x33, 0x44, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
        &[0x81, 200, 0, 1, 0, 0, 0, 0, 1, 2, 3, 4],
        &[0x8f, 205, 255, 255],
        &[0xff; 1400],
        &[0x90, 96, 0, 9, 0, 0, 0, 0, 0x55, 0x66, 0x77, 0x88, 0xbe, 0xde, 0xff, 0xff],
    ];
    for g in garbage {
        client.send_raw(g);
    }
    let mut seq = 0u16;
    let mut echoed = 0;
    let deadline = Instant::now() + WAIT;
    while echoed < 3 {
        assert!(Instant::now() < deadline, "no echo after garbage\n{}", n.gateway.log_tail());
        seq = seq.wrapping_add(1);
        client.send_rtp(&rtp_packet(111, seq, u32::from(seq) * 960, AUDIO_SSRC, b"after-garbage"));
        while let Some(r) = client.receive(Duration::from_millis(20)) {
            if matches!(&r, Received::Rtp(p) if p.ends_with(b"after-garbage")) {
                echoed += 1;
            }
        }
    }
    assert!(n.gateway.is_running());
}

#[test]
fn echotest_audio_and_video_come_back() {
    let mut client = Client::new(true);
    let n = negotiate("media_echotest", || client.offer(AUDIO_SSRC, VIDEO_SSRC));
    let (gateway, answer) = (&n.gateway, n.answer.clone());
    let session = gateway.http_session(n.session_id);
    let path = format!("/janus/{}/{}", n.session_id, n.handle_id);
    let mut seen = Vec::new();
    // What the core merged into EchoTest's answer.
    assert!(answer.contains("a=group:BUNDLE 0 1"), "{answer}");
    assert!(answer.contains("a=rtcp-mux"), "{answer}");
    assert_eq!(attribute(&answer, "setup"), Some("active"), "{answer}");
    let gateway_audio_ssrc = first_ssrc(answer.split("m=video").next().unwrap()).expect("audio SSRC");
    let gateway_video_ssrc = first_ssrc(answer.split("m=video").nth(1).unwrap()).expect("video SSRC");

    // ICE and DTLS: the gateway is active, we are passive.
    client.connect(&answer, DtlsRole::for_remote_setup("active").unwrap(), || gateway.log_tail());
    let up = wait_event(&session, &mut seen, |e| kind(e) == "webrtcup");
    assert_eq!(up.get("sender").and_then(Json::as_i64), Some(n.handle_id));

    // SRTP audio and video to EchoTest; the same payloads come back, with its SSRCs.
    let (mut echoed_audio, mut echoed_video) = (0, 0);
    let deadline = Instant::now() + WAIT;
    let mut seq = 0u16;
    while (echoed_audio < 5 || echoed_video < 5) && Instant::now() < deadline {
        seq = seq.wrapping_add(1);
        client.send_rtp(&rtp_packet(111, seq, u32::from(seq) * 960, AUDIO_SSRC, b"opus-frame"));
        client.send_rtp(&rtp_packet(96, seq, u32::from(seq) * 3000, VIDEO_SSRC, b"\x90\x80\x00vp8-frame"));
        while let Some(r) = client.receive(Duration::from_millis(20)) {
            let Received::Rtp(packet) = r else { continue };
            let h = RtpHeader::new(&packet).unwrap();
            let payload = &packet[h.payload_offset().unwrap()..];
            match h.payload_type() {
                111 => {
                    assert_eq!((payload, h.ssrc()), (&b"opus-frame"[..], gateway_audio_ssrc));
                    echoed_audio += 1;
                }
                96 => {
                    assert_eq!((payload, h.ssrc()), (&b"\x90\x80\x00vp8-frame"[..], gateway_video_ssrc));
                    echoed_video += 1;
                }
                other => panic!("unexpected payload type {other}"),
            }
        }
    }
    assert!(echoed_audio >= 5 && echoed_video >= 5, "echoed audio {echoed_audio}, video {echoed_video}\n{}", gateway.log_tail());
    // A video packet "lost" on the way (kept aside, not decrypted): the core answers our
    // NACK for it with the packet again, as it was sent.
    let lost = lose_video_echo(&mut client, &mut seq, gateway);
    let lost_seq = u16::from_be_bytes([lost[2], lost[3]]);
    send_nack(&mut client, gateway_video_ssrc, &lost);
    let deadline = Instant::now() + WAIT;
    loop {
        assert!(Instant::now() < deadline, "no retransmission of {lost_seq}");
        if client.receive_raw(Duration::from_millis(50)).is_some_and(|d| d == lost) {
            break;
        }
    }
    let Some(Received::Rtp(recovered)) = client.unprotect(&lost) else { panic!("the retransmission decrypts") };
    assert!(recovered.ends_with(b"vp8-frame"));

    // And the other way round: a video packet of ours goes missing, the core NACKs it.
    let missing = seq.wrapping_add(2);
    for s in [seq.wrapping_add(1), seq.wrapping_add(3)] {
        client.send_rtp(&rtp_packet(96, s, u32::from(s) * 3000, VIDEO_SSRC, b"\x90\x80\x00vp8-frame"));
    }
    seq = seq.wrapping_add(3);
    wait_rtcp(
        &mut client,
        "NACK for our missing packet",
        |_| {},
        |p| {
            let nack_at = janus::rtcp::query::get_nacks(p).ok().and_then(|mut n| n.next());
            nack_at == Some(missing) && janus::media::packets::nack_media_ssrc(p) == Some(VIDEO_SSRC)
        },
    );

    let media = wait_event(&session, &mut seen, |e| kind(e) == "media");
    assert_eq!(media.get("receiving").and_then(Json::as_bool), Some(true));
    assert_eq!(client.srtp().counters().auth_failures, 0);

    // RTCP: the gateway reports on what it receives (an RR about our audio SSRC)...
    let mut more_audio = |c: &mut Client| {
        seq = seq.wrapping_add(1);
        c.send_rtp(&rtp_packet(111, seq, u32::from(seq) * 960, AUDIO_SSRC, b"opus-frame"));
    };
    wait_rtcp(&mut client, "receiver report about our audio", &mut more_audio, |p| {
        p.len() >= 32 && p[1] == 201 && p[8..12] == AUDIO_SSRC.to_be_bytes()
    });
    // ... EchoTest relays our PLI back (with its SSRC as sender, ours as media)...
    let mut pli = vec![0x81, 206, 0, 2];
    pli.extend_from_slice(&VIDEO_SSRC.to_be_bytes());
    pli.extend_from_slice(&gateway_video_ssrc.to_be_bytes());
    client.send_rtcp(&pli);
    wait_rtcp(
        &mut client,
        "relayed PLI",
        |_| {},
        |p| janus::rtcp::query::has_pli(p) && p[4..8] == gateway_video_ssrc.to_be_bytes() && p[8..12] == VIDEO_SSRC.to_be_bytes(),
    );
    // ... and its `send_remb` reaches us with the bitrate asked for.
    let reply = gateway.post(&path, &with_transaction(r#"{"janus":"message","body":{"bitrate":256000}}"#));
    assert_eq!(kind(&reply), "ack", "{reply:?}");
    wait_rtcp(&mut client, "REMB of 256000", |_| {}, |p| janus::rtcp::feedback::get_remb(p) == 256000);

    // Media stops: after no_media_timer (1 s), `receiving: false`.
    let stopped = wait_event(&session, &mut seen, |e| kind(e) == "media" && e.get("receiving").and_then(Json::as_bool) == Some(false));
    assert!(stopped.get("mid").and_then(Json::as_str).is_some(), "{stopped:?}");

    // Hangup through the API: a `hangup` event with Janus' reason, and EchoTest heard
    // hangup_media (it says it is done).
    let reply = gateway.post(&path, &with_transaction(r#"{"janus":"hangup"}"#));
    assert_eq!(kind(&reply), "success", "{reply:?}");
    let hangup = wait_event(&session, &mut seen, |e| kind(e) == "hangup");
    assert_eq!(hangup.get("reason").and_then(Json::as_str), Some("Janus API"));
    let done = wait_event(&session, &mut seen, |e| {
        e.get("plugindata").and_then(|p| p.get("data")).and_then(|d| d.get("result")).and_then(Json::as_str) == Some("done")
    });
    assert_eq!(done.get("sender").and_then(Json::as_i64), Some(n.handle_id));
}

/// With RFC 4588 negotiated, a NACKed video packet comes back on the gateway's RTX stream:
/// the RTX payload type and SSRC of its answer, a sequence number of its own, the original
/// sequence number in front of the payload (as Janus sends it).
#[test]
fn echotest_retransmits_over_rtx_when_negotiated() {
    const RTX_SSRC: u32 = 0x0bad_cafe;
    let mut client = Client::new(true);
    let n = negotiate("media_echotest_rtx", || {
        let offer = client
            .offer(AUDIO_SSRC, VIDEO_SSRC)
            .replace("m=video 9 UDP/TLS/RTP/SAVPF 96", "m=video 9 UDP/TLS/RTP/SAVPF 96 97")
            .replace("a=rtcp-fb:96 ccm fir\r\n", "a=rtcp-fb:96 ccm fir\r\na=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\n");
        format!("{offer}a=ssrc-group:FID {VIDEO_SSRC} {RTX_SSRC}\r\na=ssrc:{RTX_SSRC} cname:client\r\n")
    });
    let (gateway, answer) = (&n.gateway, n.answer.clone());
    let video = answer.split("m=video").nth(1).unwrap();
    let fid = video.lines().find_map(|l| l.strip_prefix("a=ssrc-group:FID ")).unwrap_or_else(|| panic!("no FID group in\n{answer}"));
    let ssrcs: Vec<u32> = fid.split_whitespace().filter_map(|s| s.parse().ok()).collect();
    let (gateway_video_ssrc, gateway_rtx_ssrc) = (ssrcs[0], ssrcs[1]);
    let rtx_pt = video
        .lines()
        .find_map(|l| l.strip_prefix("a=rtpmap:").filter(|r| r.ends_with(" rtx/90000")))
        .and_then(|r| r.split(' ').next()?.parse::<u8>().ok())
        .unwrap_or_else(|| panic!("no rtx payload type in\n{answer}"));
    client.connect(&answer, DtlsRole::for_remote_setup("active").unwrap(), || gateway.log_tail());

    // A video packet of the echo "lost" on the way (kept aside), then NACKed.
    let lost = lose_video_echo(&mut client, &mut 0, gateway);
    let lost_seq = u16::from_be_bytes([lost[2], lost[3]]);
    send_nack(&mut client, gateway_video_ssrc, &lost);
    let deadline = Instant::now() + WAIT;
    let retransmission = loop {
        assert!(Instant::now() < deadline, "no RTX retransmission of {lost_seq}\n{}", gateway.log_tail());
        match client.receive(Duration::from_millis(50)) {
            Some(Received::Rtp(p)) if p[1] & 0x7f == rtx_pt => break p,
            _ => {}
        }
    };
    let h = RtpHeader::new(&retransmission).unwrap();
    assert_eq!(h.ssrc(), gateway_rtx_ssrc);
    let payload = &retransmission[h.payload_offset().unwrap()..];
    assert_eq!(payload[..2], lost_seq.to_be_bytes(), "the original sequence number first");
    assert_eq!(&payload[2..], b"\x90\x80\x00vp8-frame");
    assert!(gateway.is_running());
}

/// `nack_optimizations`: once a video keyframe went out, the packets sent before it are no
/// longer resent when NACKed (Janus empties its retransmission queue), those after it are.
#[test]
fn nack_optimizations_forget_what_a_keyframe_made_useless() {
    let mut client = Client::new(true);
    let n = negotiate_configured(
        "media_echotest_nack_optimizations",
        &[],
        |c| {
            c.set_item("media", "nack_optimizations", "true");
            // Packets kept a second: only the keyframe can explain one not resent.
            c.set_item("media", "min_nack_queue", "1000");
        },
        || client.offer(AUDIO_SSRC, VIDEO_SSRC),
    );
    let (gateway, answer) = (&n.gateway, n.answer.clone());
    let gateway_video_ssrc = first_ssrc(answer.split("m=video").nth(1).unwrap()).expect("video SSRC");
    client.connect(&answer, DtlsRole::for_remote_setup("active").unwrap(), || gateway.log_tail());
    // VP8: a one-byte descriptor (start of partition), then a keyframe's header and start code.
    let keyframe = b"\x10\x00\x00\x00\x9d\x01\x2a\x40\x01\xf0\x00vp8-keyframe";
    let delta = b"\x90\x80\x00vp8-frame";
    let mut seq = 0u16;
    // Sends `payload` until its echo comes back, then lets what is in flight arrive; the
    // last echo of it, as received (protected).
    let mut echo = |client: &mut Client, payload: &[u8]| -> Vec<u8> {
        let deadline = Instant::now() + WAIT;
        let mut last = None;
        let is_echo = |client: &mut Client, d: &[u8]| {
            d.len() > 12
                && d[0] >> 6 == 2
                && d[1] & 0x7f == 96
                && matches!(client.unprotect(d), Some(Received::Rtp(p)) if p.ends_with(&payload[payload.len() - 5..]))
        };
        while last.is_none() {
            assert!(Instant::now() < deadline, "no echo\n{}", gateway.log_tail());
            seq = seq.wrapping_add(1);
            client.send_rtp(&rtp_packet(96, seq, u32::from(seq) * 3000, VIDEO_SSRC, payload));
            while let Some(d) = client.receive_raw(Duration::from_millis(20)) {
                if is_echo(client, &d) {
                    last = Some(d);
                }
            }
        }
        while let Some(d) = client.receive_raw(Duration::from_millis(100)) {
            if is_echo(client, &d) {
                last = Some(d);
            }
        }
        last.unwrap()
    };
    let before = echo(&mut client, delta);
    let key = echo(&mut client, keyframe);
    send_nack(&mut client, gateway_video_ssrc, &key);
    let deadline = Instant::now() + WAIT;
    loop {
        assert!(Instant::now() < deadline, "the keyframe was not resent");
        if client.receive_raw(Duration::from_millis(50)).is_some_and(|d| d == key) {
            break;
        }
    }
    send_nack(&mut client, gateway_video_ssrc, &before);
    let deadline = Instant::now() + Duration::from_millis(300);
    while Instant::now() < deadline {
        assert!(client.receive_raw(Duration::from_millis(50)).is_none_or(|d| d != before), "resent despite the keyframe after it");
    }
    assert!(gateway.is_running());
}
