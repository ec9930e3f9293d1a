//! The reverse JSEP flow end to end: the stock Streaming plugin offers (its offer merged
//! by our core with ICE, DTLS and our SSRCs), our own client (`support::webrtc_client`,
//! ICE controlled, DTLS client) answers, and the RTP fed to the mountpoint over UDP on
//! loopback reaches the client over SRTP: `relay_rtp` from the plugin's own thread.

mod support;

use std::net::{Ipv4Addr, UdpSocket};
use std::time::{Duration, Instant};

use janus::dtls::DtlsRole;
use janus::json::{Json, Object};
use janus::rtp::header::RtpHeader;
use support::gateway::{binary_under_test, free_port, with_transaction, ConfigsFolder, Gateway};
use support::webrtc_client::{attribute, first_ssrc, rtp_packet, Client, Received, WAIT};

fn kind(event: &Json) -> &str {
    event.get("janus").and_then(Json::as_str).unwrap_or_default()
}

#[test]
fn streaming_viewer_receives_the_mountpoint() {
    let dir = support::scratch_dir("media_streaming");
    let configs = ConfigsFolder::new(&dir, &["streaming"]);
    let audio_port = free_port();
    configs.write(
        "janus.plugin.streaming.jcfg",
        &format!(
            "fed: {{\n\ttype = \"rtp\"\n\tid = 1\n\tdescription = \"Fed\"\n\
             \taudio = true\n\taudioport = {audio_port}\n\taudiopt = 111\n\taudiocodec = \"opus\"\n}}\n"
        ),
    );
    let gateway = Gateway::start_with(&binary_under_test(), &configs, &["--ice-enforce-list=lo"]);
    let session = gateway.create_session();
    let handle = session.attach("janus.plugin.streaming");
    let path = format!("/janus/{}/{}", session.id, handle.id);

    // watch: the plugin's offer comes in an event, merged by the core.
    let reply = gateway.post(&path, &with_transaction(r#"{"janus":"message","body":{"request":"watch","id":1}}"#));
    assert_eq!(kind(&reply), "ack", "{reply:?}");
    let deadline = Instant::now() + WAIT;
    let offer = loop {
        assert!(Instant::now() < deadline, "no offer\n{}", gateway.log_tail());
        let event = session.poll(Duration::from_secs(35));
        if let Some(jsep) = event.get("jsep") {
            break jsep.clone();
        }
    };
    assert_eq!(offer.get("type").and_then(Json::as_str), Some("offer"));
    let offer = offer.get("sdp").and_then(Json::as_str).unwrap().to_owned();
    assert_eq!(attribute(&offer, "setup"), Some("actpass"), "{offer}");
    assert!(offer.contains("a=ice-ufrag:") && offer.contains("a=candidate:"), "{offer}");
    let gateway_ssrc = first_ssrc(&offer).expect("our SSRC in the offer");

    // The client answers (receive only) and starts the stream.
    let mut client = Client::new(false);
    let answer = client.answer(&offer);
    let request = Object::new()
        .with("janus", "message")
        .with("body", Object::new().with("request", "start"))
        .with("jsep", Object::new().with("type", "answer").with("sdp", answer));
    let reply = gateway.post(&path, &with_transaction(&Json::from(request).to_compact_string()));
    assert_eq!(kind(&reply), "ack", "{reply:?}");
    client.connect(&offer, DtlsRole::for_remote_setup("actpass").unwrap(), || gateway.log_tail());
    let deadline = Instant::now() + WAIT;
    loop {
        assert!(Instant::now() < deadline, "no webrtcup\n{}", gateway.log_tail());
        if kind(&session.poll(Duration::from_secs(35))) == "webrtcup" {
            break;
        }
    }

    // Feed the mountpoint; the viewer gets the payloads with our SSRC.
    let feeder = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let mut received = 0;
    let deadline = Instant::now() + WAIT;
    let mut seq = 100u16;
    while received < 10 {
        assert!(Instant::now() < deadline, "received {received}\n{}", gateway.log_tail());
        seq = seq.wrapping_add(1);
        let packet = rtp_packet(111, seq, u32::from(seq) * 960, 0xabcd_0001, b"fed-opus");
        feeder.send_to(&packet, (Ipv4Addr::LOCALHOST, audio_port)).unwrap();
        while let Some(r) = client.receive(Duration::from_millis(20)) {
            let Received::Rtp(p) = r else { continue };
            let h = RtpHeader::new(&p).unwrap();
            assert_eq!(h.ssrc(), gateway_ssrc);
            assert_eq!(&p[h.payload_offset().unwrap()..], b"fed-opus");
            received += 1;
        }
    }
}
