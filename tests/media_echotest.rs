//! End to end through our gateway, without a browser: a client PeerConnection made of our
//! own building blocks (a controlling libnice agent on loopback, a DTLS context, SRTP
//! sessions) negotiates with the stock EchoTest plugin over the Janus API (HTTP), connects
//! ICE and DTLS, sends SRTP audio and video and gets them back, then hangs up.
//! Every wait is bounded.

mod support;

use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use janus::dtls::{DtlsCertificate, DtlsContext, DtlsEvent, DtlsOptions, DtlsRole, DtlsSettings};
use janus::ice::{Candidate, EventLoops, IceAgent, IceEvent, IceHandler, IceSettings, InterfaceFilter};
use janus::json::Json;
use janus::media::{classify, Datagram};
use janus::rtp::header::RtpHeader;
use janus::sdp::{parse_candidate, CandidateOutcome, PeerConnection as SdpPeer, SdpSettings};
use janus::srtp::{SrtpSession, RTCP_TRAILER_ROOM, RTP_TRAILER_ROOM};
use support::gateway::{binary_under_test, with_transaction, ConfigsFolder, Gateway};

const WAIT: Duration = Duration::from_secs(20);
const AUDIO_SSRC: u32 = 0x1122_3344;
const VIDEO_SSRC: u32 = 0x5566_7788;

/// The client agent's events and datagrams, as channels.
struct Client {
    events: Mutex<Sender<IceEvent>>,
    datagrams: Mutex<Sender<Vec<u8>>>,
}

impl IceHandler for Client {
    fn on_event(&self, event: IceEvent) {
        let _ = self.events.lock().unwrap().send(event);
    }

    fn on_datagram(&self, data: &[u8]) {
        let _ = self.datagrams.lock().unwrap().send(data.to_vec());
    }
}

fn offer_sdp(ufrag: &str, pwd: &str, fingerprint: &str, candidates: &[String]) -> String {
    let mut sdp = String::from(
        "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\na=msid-semantic: WMS *\r\n",
    );
    let transport = |mid: &str| {
        let mut t = format!(
            "c=IN IP4 127.0.0.1\r\na=rtcp:9 IN IP4 0.0.0.0\r\na=ice-ufrag:{ufrag}\r\na=ice-pwd:{pwd}\r\na=ice-options:trickle\r\n\
             a=fingerprint:sha-256 {fingerprint}\r\na=setup:actpass\r\na=mid:{mid}\r\n\
             a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\na=sendrecv\r\na=rtcp-mux\r\n"
        );
        for c in candidates {
            t.push_str(&format!("a=candidate:{c}\r\n"));
        }
        t
    };
    sdp.push_str("m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n");
    sdp.push_str(&transport("0"));
    sdp.push_str("a=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n");
    sdp.push_str(&format!("a=ssrc:{AUDIO_SSRC} cname:echotest\r\na=ssrc:{AUDIO_SSRC} msid:s a\r\n"));
    sdp.push_str("m=video 9 UDP/TLS/RTP/SAVPF 96\r\n");
    sdp.push_str(&transport("1"));
    sdp.push_str("a=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 nack\r\na=rtcp-fb:96 nack pli\r\na=rtcp-fb:96 ccm fir\r\n");
    sdp.push_str(&format!("a=ssrc:{VIDEO_SSRC} cname:echotest\r\na=ssrc:{VIDEO_SSRC} msid:s v\r\n"));
    sdp
}

/// The first value of `a=<name>` anywhere in the SDP.
fn attribute<'a>(sdp: &'a str, name: &str) -> Option<&'a str> {
    let prefix = format!("a={name}:");
    sdp.lines().find_map(|l| l.strip_prefix(prefix.as_str())).map(str::trim)
}

/// Events from long polls until `pred` picks one (other events are kept in `seen`).
fn wait_event(session: &support::gateway::Session, seen: &mut Vec<Json>, pred: impl Fn(&Json) -> bool) -> Json {
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

fn rtp_packet(pt: u8, seq: u16, ssrc: u32, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![0x80, pt];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&(u32::from(seq) * 960).to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend_from_slice(payload);
    p
}

/// Decrypts an SRTCP datagram.
fn unprotect_rtcp(srtp: &mut SrtpSession, d: &[u8]) -> Option<Vec<u8>> {
    let mut packet = d.to_vec();
    packet.resize(d.len() + RTP_TRAILER_ROOM, 0);
    let n = srtp.unprotect_rtcp(&mut packet, d.len()).ok()?;
    packet.truncate(n);
    Some(packet)
}

/// The RTCP that arrives within `wait` (RTP is dropped).
fn receive_rtcp(datagrams: &Receiver<Vec<u8>>, srtp: &mut SrtpSession, wait: Duration) -> Vec<Vec<u8>> {
    let until = Instant::now() + wait;
    let mut out = Vec::new();
    while let Ok(d) = datagrams.recv_timeout(until.saturating_duration_since(Instant::now())) {
        if classify(&d) == Datagram::Rtcp {
            out.extend(unprotect_rtcp(srtp, &d));
        }
    }
    out
}

/// One more audio packet.
fn send_rtp(agent: &IceAgent, srtp: &mut SrtpSession, seq: &mut u16) {
    *seq = seq.wrapping_add(1);
    let p = rtp_packet(111, *seq, AUDIO_SSRC, b"opus-frame");
    let mut buf = [0u8; 1500 + RTP_TRAILER_ROOM];
    buf[..p.len()].copy_from_slice(&p);
    let n = srtp.protect_rtp(&mut buf, p.len()).unwrap();
    agent.send(&buf[..n]);
}

#[test]
fn echotest_audio_and_video_come_back() {
    let dir = support::scratch_dir("media_echotest");
    let configs = ConfigsFolder::new(&dir, &["echotest"]);
    let gateway = Gateway::start_with(&binary_under_test(), &configs, &["--ice-enforce-list=lo"]);
    let session = gateway.create_session();
    let handle = session.attach("janus.plugin.echotest");

    // The client: controlling agent on loopback, DTLS certificate.
    let loops = EventLoops::new(0, false);
    let client_loop = loops.assign(1, None).unwrap();
    let (events_tx, events) = channel();
    let (datagrams_tx, datagrams): (Sender<Vec<u8>>, Receiver<Vec<u8>>) = channel();
    let settings = IceSettings {
        filter: InterfaceFilter { enforce: vec!["lo".into()], ..InterfaceFilter::default() },
        ..IceSettings::default()
    };
    let client = Arc::new(Client { events: Mutex::new(events_tx), datagrams: Mutex::new(datagrams_tx) });
    let agent = IceAgent::new(&client_loop, Arc::new(settings), false, client).expect("client agent");
    let deadline = Instant::now() + WAIT;
    while !agent.gathering_done() {
        assert!(Instant::now() < deadline, "client gathering");
        std::thread::sleep(Duration::from_millis(10));
    }
    let (ufrag, pwd) = agent.local_credentials().unwrap();
    let certificate = DtlsCertificate::generate(false).unwrap();
    let dtls_settings = DtlsSettings::new(&certificate, DtlsOptions::default()).unwrap();

    // Offer through the Janus API; EchoTest answers in an event.
    let offer = offer_sdp(&ufrag, &pwd, dtls_settings.local_fingerprint(), &agent.local_candidates());
    let jsep = janus::json::Object::new().with("type", "offer").with("sdp", offer.as_str());
    let request = janus::json::Object::new()
        .with("janus", "message")
        .with("body", janus::json::Object::new().with("audio", true).with("video", true))
        .with("jsep", jsep);
    let request = with_transaction(&Json::from(request).to_compact_string());
    let reply = gateway.post(&format!("/janus/{}/{}", session.id, handle.id), &request);
    assert_eq!(kind(&reply), "ack", "{reply:?}");
    let mut seen = Vec::new();
    let event = wait_event(&session, &mut seen, |e| kind(e) == "event" && e.get("jsep").is_some());
    let answer_jsep = event.get("jsep").unwrap();
    assert_eq!(answer_jsep.get("type").and_then(Json::as_str), Some("answer"));
    let answer = answer_jsep.get("sdp").and_then(Json::as_str).unwrap().to_owned();
    // What the core merged into EchoTest's answer.
    assert!(answer.contains("a=group:BUNDLE 0 1"), "{answer}");
    assert!(answer.contains("a=rtcp-mux"), "{answer}");
    assert_eq!(attribute(&answer, "setup"), Some("active"), "{answer}");
    let fingerprint = attribute(&answer, "fingerprint").unwrap().strip_prefix("sha-256 ").unwrap().to_owned();
    let ssrc_of = |section: Option<&str>| -> u32 {
        section.and_then(|s| attribute(s, "ssrc")).and_then(|v| v.split(' ').next()?.parse().ok()).expect("SSRCs in the answer")
    };
    let gateway_audio_ssrc = ssrc_of(answer.split("m=video").next());
    let gateway_video_ssrc = ssrc_of(answer.split("m=video").nth(1));

    // ICE: the gateway's credentials and candidates (half trickle: in the answer).
    agent.set_remote_credentials(attribute(&answer, "ice-ufrag").unwrap(), attribute(&answer, "ice-pwd").unwrap());
    let mut remote = SdpPeer::default();
    let lines: Vec<&str> = answer.lines().filter_map(|l| l.strip_prefix("a=candidate:")).collect();
    assert!(!lines.is_empty(), "candidates in the answer: {answer}");
    let mut candidates = Vec::new();
    for line in lines {
        if let Ok(CandidateOutcome::Added(i)) = parse_candidate(&mut remote, &SdpSettings::default(), line) {
            candidates.extend(Candidate::from_remote(&remote.remote_candidates[i]));
        }
    }
    agent.add_remote_candidates(candidates);
    let deadline = Instant::now() + WAIT;
    loop {
        match events.recv_timeout(Duration::from_millis(100)) {
            Ok(IceEvent::SelectedPair(_)) => break,
            _ => assert!(Instant::now() < deadline, "ICE did not connect\n{}", gateway.log_tail()),
        }
    }

    // DTLS: the gateway is active, we are passive (server).
    let mut dtls = DtlsContext::new(&dtls_settings, DtlsRole::for_remote_setup("active").unwrap()).unwrap();
    dtls.set_remote_fingerprint("sha-256", &fingerprint);
    dtls.start(Instant::now());
    let mut app = [0u8; 1500];
    let deadline = Instant::now() + WAIT;
    let material = 'handshake: loop {
        assert!(Instant::now() < deadline, "DTLS did not complete\n{}", gateway.log_tail());
        if let Ok(d) = datagrams.recv_timeout(Duration::from_millis(20)) {
            if classify(&d) == Datagram::Dtls {
                dtls.handle_incoming(&d, Instant::now(), &mut app);
            }
        }
        dtls.handle_timeout(Instant::now());
        while let Some(out) = dtls.poll_transmit() {
            agent.send(out);
        }
        match dtls.poll_event() {
            Some(DtlsEvent::Connected(m)) => break 'handshake m,
            Some(other) => panic!("DTLS: {other:?}\n{}", gateway.log_tail()),
            None => {}
        }
    };
    // Our last flight may still be in the DTLS context's queue.
    while let Some(out) = dtls.poll_transmit() {
        agent.send(out);
    }
    let mut srtp = SrtpSession::new(material.profile, &material.keys).unwrap();
    let up = wait_event(&session, &mut seen, |e| kind(e) == "webrtcup");
    assert_eq!(up.get("sender").and_then(Json::as_i64), Some(handle.id));

    // SRTP audio and video to EchoTest; the same payloads come back, with its SSRCs.
    let mut echoed_audio = 0;
    let mut echoed_video = 0;
    let mut rtcp_seen: Vec<Vec<u8>> = Vec::new();
    let mut buf = [0u8; 1500 + RTP_TRAILER_ROOM];
    let deadline = Instant::now() + WAIT;
    let mut seq = 0u16;
    while (echoed_audio < 5 || echoed_video < 5) && Instant::now() < deadline {
        seq = seq.wrapping_add(1);
        for (pt, ssrc, payload) in [(111u8, AUDIO_SSRC, &b"opus-frame"[..]), (96, VIDEO_SSRC, &b"\x90\x80\x00vp8-frame"[..])] {
            let p = rtp_packet(pt, seq, ssrc, payload);
            buf[..p.len()].copy_from_slice(&p);
            let n = srtp.protect_rtp(&mut buf, p.len()).unwrap();
            agent.send(&buf[..n]);
        }
        let until = Instant::now() + Duration::from_millis(20);
        while let Ok(d) = datagrams.recv_timeout(until.saturating_duration_since(Instant::now())) {
            if classify(&d) == Datagram::Rtcp {
                rtcp_seen.extend(unprotect_rtcp(&mut srtp, &d));
                continue;
            }
            if classify(&d) != Datagram::Rtp {
                continue;
            }
            let mut packet = d.clone();
            packet.resize(d.len() + RTP_TRAILER_ROOM, 0);
            let Ok(n) = srtp.unprotect_rtp(&mut packet, d.len()) else { continue };
            let h = RtpHeader::new(&packet[..n]).unwrap();
            let payload = &packet[h.payload_offset().unwrap()..n];
            match h.payload_type() {
                111 => {
                    assert_eq!(payload, b"opus-frame");
                    assert_eq!(h.ssrc(), gateway_audio_ssrc);
                    echoed_audio += 1;
                }
                96 => {
                    assert_eq!(payload, b"\x90\x80\x00vp8-frame");
                    echoed_video += 1;
                }
                other => panic!("unexpected payload type {other}"),
            }
        }
    }
    assert!(echoed_audio >= 5 && echoed_video >= 5, "echoed audio {echoed_audio}, video {echoed_video}\n{}", gateway.log_tail());
    let media = wait_event(&session, &mut seen, |e| kind(e) == "media");
    assert_eq!(media.get("receiving").and_then(Json::as_bool), Some(true));
    assert_eq!(srtp.counters().auth_failures, 0);

    // RTCP: the gateway reports on what it receives (an RR about our audio SSRC)...
    let reports_about = |seen: &[Vec<u8>], ssrc: u32| {
        seen.iter().any(|p| p.len() >= 32 && p[1] == 201 && p[8..12] == ssrc.to_be_bytes())
    };
    let deadline = Instant::now() + WAIT;
    while !reports_about(&rtcp_seen, AUDIO_SSRC) {
        assert!(Instant::now() < deadline, "no receiver report about our audio");
        send_rtp(&agent, &mut srtp, &mut seq);
        rtcp_seen.extend(receive_rtcp(&datagrams, &mut srtp, Duration::from_millis(50)));
    }
    // ... EchoTest relays our PLI back (its SSRCs ours, ours its)...
    let mut pli = [0u8; 12 + RTCP_TRAILER_ROOM];
    pli[..4].copy_from_slice(&[0x81, 206, 0, 2]);
    pli[4..8].copy_from_slice(&VIDEO_SSRC.to_be_bytes());
    pli[8..12].copy_from_slice(&gateway_video_ssrc.to_be_bytes());
    let n = srtp.protect_rtcp(&mut pli, 12).unwrap();
    agent.send(&pli[..n]);
    let deadline = Instant::now() + WAIT;
    let plis = |seen: &[Vec<u8>]| {
        seen.iter().any(|p| {
            janus::rtcp::query::has_pli(p) && p[4..8] == gateway_video_ssrc.to_be_bytes() && p[8..12] == VIDEO_SSRC.to_be_bytes()
        })
    };
    while !plis(&rtcp_seen) {
        assert!(Instant::now() < deadline, "our PLI did not come back ({} RTCP packets)", rtcp_seen.len());
        rtcp_seen.extend(receive_rtcp(&datagrams, &mut srtp, Duration::from_millis(50)));
    }
    // ... and its `send_remb` reaches us with the bitrate asked for.
    let reply = gateway.post(&format!("/janus/{}/{}", session.id, handle.id), &with_transaction(r#"{"janus":"message","body":{"bitrate":256000}}"#));
    assert_eq!(kind(&reply), "ack", "{reply:?}");
    let deadline = Instant::now() + WAIT;
    while !rtcp_seen.iter().any(|p| janus::rtcp::feedback::get_remb(p) == 256000) {
        assert!(Instant::now() < deadline, "no REMB of 256000 ({} RTCP packets)", rtcp_seen.len());
        rtcp_seen.extend(receive_rtcp(&datagrams, &mut srtp, Duration::from_millis(50)));
    }

    // Media stops: after no_media_timer (1 s), `receiving: false`.
    let stopped = wait_event(&session, &mut seen, |e| kind(e) == "media" && e.get("receiving").and_then(Json::as_bool) == Some(false));
    assert!(stopped.get("mid").and_then(Json::as_str).is_some(), "{stopped:?}");

    // Hangup through the API: a `hangup` event with Janus' reason.
    let reply = gateway.post(&format!("/janus/{}/{}", session.id, handle.id), &with_transaction(r#"{"janus":"hangup"}"#));
    assert_eq!(kind(&reply), "success", "{reply:?}");
    let hangup = wait_event(&session, &mut seen, |e| kind(e) == "hangup");
    assert_eq!(hangup.get("reason").and_then(Json::as_str), Some("Janus API"));
    // EchoTest heard hangup_media: it says it is done.
    let done = wait_event(&session, &mut seen, |e| {
        e.get("plugindata").and_then(|p| p.get("data")).and_then(|d| d.get("result")).and_then(Json::as_str) == Some("done")
    });
    assert_eq!(done.get("sender").and_then(Json::as_i64), Some(handle.id));
    drop(agent);
    assert!(client_loop.stop(Duration::from_secs(5)));
}
