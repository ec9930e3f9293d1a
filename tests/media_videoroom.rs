//! VideoRoom end to end: a publisher (our client, offering audio and video) and a
//! subscriber (our client, answering the plugin's offer) on two handles; what the
//! publisher sends reaches the subscriber through the plugin, across two PeerConnections
//! on two loop threads. Every wait is bounded.

mod support;

use std::time::{Duration, Instant};

use janus::dtls::DtlsRole;
use janus::json::{Json, Object};
use janus::rtp::header::RtpHeader;
use support::gateway::{binary_under_test, with_transaction, ConfigsFolder, Gateway, Session};
use support::webrtc_client::{attribute, rtp_packet, Client, Received, WAIT};

const AUDIO_SSRC: u32 = 0x0a0a_0a0a;
const VIDEO_SSRC: u32 = 0x0b0b_0b0b;

fn kind(event: &Json) -> &str {
    event.get("janus").and_then(Json::as_str).unwrap_or_default()
}

/// The next event of `session` that `pred` accepts (others are skipped).
fn next_event(session: &Session, pred: impl Fn(&Json) -> bool) -> Json {
    let deadline = Instant::now() + WAIT;
    loop {
        assert!(Instant::now() < deadline, "event not seen\n{}", session.gateway.log_tail());
        let event = session.poll(Duration::from_secs(35));
        if pred(&event) {
            return event;
        }
    }
}

fn data(event: &Json) -> Option<&Json> {
    event.get("plugindata").and_then(|p| p.get("data"))
}

fn post(gateway: &Gateway, session: &Session, handle: i64, body: Object, jsep: Option<Object>) {
    let mut request = Object::new().with("janus", "message").with("body", body);
    if let Some(j) = jsep {
        request.set("jsep", j);
    }
    let reply = gateway.post(&format!("/janus/{}/{handle}", session.id), &with_transaction(&Json::from(request).to_compact_string()));
    assert_eq!(kind(&reply), "ack", "{reply:?}");
}

#[test]
fn videoroom_publisher_reaches_subscriber() {
    let dir = support::scratch_dir("media_videoroom");
    let configs = ConfigsFolder::new(&dir, &["videoroom"]);
    configs.write("janus.plugin.videoroom.jcfg", "room-4321: {\n\tdescription = \"Media\"\n\tpublishers = 2\n}\n");
    let gateway = Gateway::start_with(&binary_under_test(), &configs, &["--ice-enforce-list=lo"]);

    // The publisher joins and publishes.
    let pub_session = gateway.create_session();
    let publisher = pub_session.attach("janus.plugin.videoroom").id;
    let join = Object::new().with("request", "join").with("ptype", "publisher").with("room", 4321).with("id", 11);
    post(&gateway, &pub_session, publisher, join, None);
    next_event(&pub_session, |e| data(e).and_then(|d| d.get("videoroom")).and_then(Json::as_str) == Some("joined"));
    let mut pub_client = Client::new(true);
    let offer = Object::new().with("type", "offer").with("sdp", pub_client.offer(AUDIO_SSRC, VIDEO_SSRC));
    post(&gateway, &pub_session, publisher, Object::new().with("request", "publish").with("audio", true).with("video", true), Some(offer));
    let event = next_event(&pub_session, |e| e.get("jsep").is_some());
    let answer = event.get("jsep").and_then(|j| j.get("sdp")).and_then(Json::as_str).unwrap().to_owned();
    pub_client.connect(&answer, DtlsRole::for_remote_setup(attribute(&answer, "setup").unwrap()).unwrap(), || gateway.log_tail());
    next_event(&pub_session, |e| kind(e) == "webrtcup");

    // The subscriber joins the publisher's feed: the plugin offers, the client answers.
    let sub_session = gateway.create_session();
    let subscriber = sub_session.attach("janus.plugin.videoroom").id;
    let join = Object::new().with("request", "join").with("ptype", "subscriber").with("room", 4321).with("feed", 11);
    post(&gateway, &sub_session, subscriber, join, None);
    let event = next_event(&sub_session, |e| e.get("jsep").is_some());
    assert_eq!(data(&event).and_then(|d| d.get("videoroom")).and_then(Json::as_str), Some("attached"), "{event:?}");
    let offer = event.get("jsep").and_then(|j| j.get("sdp")).and_then(Json::as_str).unwrap().to_owned();
    assert_eq!(attribute(&offer, "setup"), Some("actpass"), "{offer}");
    let mut sub_client = Client::new(false);
    let answer = Object::new().with("type", "answer").with("sdp", sub_client.answer(&offer));
    post(&gateway, &sub_session, subscriber, Object::new().with("request", "start").with("room", 4321), Some(answer));
    sub_client.connect(&offer, DtlsRole::for_remote_setup("actpass").unwrap(), || gateway.log_tail());
    next_event(&sub_session, |e| kind(e) == "webrtcup");

    // Audio from the publisher reaches the subscriber.
    let mut received = 0;
    let mut seq = 0u16;
    let deadline = Instant::now() + WAIT;
    while received < 10 {
        assert!(Instant::now() < deadline, "subscriber got {received}\n{}", gateway.log_tail());
        seq = seq.wrapping_add(1);
        pub_client.send_rtp(&rtp_packet(111, seq, u32::from(seq) * 960, AUDIO_SSRC, b"published"));
        while let Some(r) = sub_client.receive(Duration::from_millis(20)) {
            if let Received::Rtp(p) = r {
                let h = RtpHeader::new(&p).unwrap();
                if &p[h.payload_offset().unwrap()..] == b"published" {
                    assert_ne!(h.ssrc(), AUDIO_SSRC, "the subscriber's leg has the gateway's SSRC");
                    received += 1;
                }
            }
        }
    }
}
