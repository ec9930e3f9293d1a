//! A PeerConnection's statistics as monitoring tools see them, compared with
//! `/usr/bin/janus`: the Admin API's `handle_info` (`webrtc`: DTLS counters, extensions,
//! bandwidth estimation, each medium with SSRCs, direction, codecs, RTCP and traffic
//! statistics) and the media statistics events the stock sampleevh receives every
//! `stats_period` seconds, once per medium or combined (`combine_media_stats`). A str0m
//! peer sends audio and video to the EchoTest in a private network namespace.

mod support;

use std::path::Path;
use std::time::Duration;

use janus::json::Json;
use support::event_sink::Collector;
use support::gateway::{binary_under_test, with_transaction, ConfigsFolder, Gateway, REFERENCE_BINARY};
use support::json::{at, expect_int, int_at, str_at};
use support::webrtc::{echotest_offer, in_private_network, opus_payload, vp8_payload, Kind, GATEWAY_INTERFACE};

/// The shape of a JSON value: its keys in order, recursively, and the type of each leaf.
fn shape(value: &Json) -> Json {
    match value {
        Json::Object(members) => Json::Object(members.iter().map(|(k, v)| (k.to_string(), shape(v))).collect()),
        Json::Array(items) => Json::Array(items.iter().map(shape).collect()),
        Json::Str(_) => Json::Str("<string>".into()),
        Json::Int(_) | Json::Real(_) => Json::Int(0),
        Json::Bool(_) => Json::Bool(false),
        Json::Null => Json::Null,
    }
}

/// A media event (type 32) of the statistics subtype (3).
fn is_stats_event(e: &Json) -> bool {
    int_at(e, &["type"]) == Some(32) && int_at(e, &["subtype"]) == Some(3)
}

/// What one run observed: `handle_info`'s `webrtc` after media flowed, and the media
/// statistics events posted.
struct Observed {
    webrtc: Json,
    stats_events: Vec<Json>,
    /// The `.pcap` capture (Admin `start_pcap`) taken while media flowed.
    pcap: Vec<u8>,
}

fn run(binary: &Path, test: &str, combine: bool) -> Observed {
    in_private_network(|net| {
        let collector = Collector::start();
        let dir = support::scratch_dir(test);
        let mut configs = ConfigsFolder::with_modules(&dir, &["echotest"], &["http"], &["sampleevh"], &[]);
        configs.enable_admin();
        configs.set_general("admin_secret", "\"adm\"");
        configs.set_item("nat", "ice_enforce_list", &format!("\"{GATEWAY_INTERFACE}\""));
        configs.set_item("events", "stats_period", "1");
        configs.set_item("events", "combine_media_stats", if combine { "true" } else { "false" });
        configs.write(
            "janus.eventhandler.sampleevh.jcfg",
            &format!(
                "general: {{\n\tenabled = true\n\tevents = \"media\"\n\tgrouping = false\n\tjson = \"compact\"\n\
                 \tbackend = \"http://127.0.0.1:{}/events\"\n}}\n",
                collector.port
            ),
        );
        let gateway = Gateway::start_with(binary, &configs, &["-o", "-e"]);
        let session = gateway.create_session();
        let handle = session.attach("janus.plugin.echotest");
        let (mut peer, answer) = echotest_offer(&session, &handle, net.peer_ip.into(), true);
        peer.connect(&answer, &gateway);
        let admin = |verb: &str, extra: &str| {
            let request =
                format!(r#"{{"janus":"{verb}","admin_secret":"adm","session_id":{},"handle_id":{}{extra}}}"#, session.id, handle.id);
            gateway.admin("", &with_transaction(&request))
        };
        let started = admin("start_pcap", &format!(r#","folder":"{}","filename":"capture.pcap""#, dir.display()));
        assert_eq!(str_at(&started, &["janus"]), Some("success"), "{started:?}");
        for i in 0..150 {
            peer.send(Kind::Audio, &opus_payload(i), i == 0);
            peer.send(Kind::Video, &vp8_payload(i, i % 10 == 0), true);
            peer.run_for(Duration::from_millis(20));
        }
        // Statistics events come once a second per PeerConnection: wait for one that
        // counts audio received.
        let audio_counted = |e: &Json| {
            let info = at(e, &["event"]);
            let media = match info {
                Some(Json::Array(items)) => items.clone(),
                Some(one) => vec![one.clone()],
                None => Vec::new(),
            };
            let received = |m: &Json| int_at(m, &["packets-received"]).unwrap_or(0);
            is_stats_event(e) && media.iter().any(|m| str_at(m, &["media"]) == Some("audio") && received(m) > 0)
        };
        collector.wait_for("a media statistics event counting audio", audio_counted);
        let info = admin("handle_info", "");
        admin("stop_pcap", "");
        let pcap = std::fs::read(dir.join("capture.pcap")).unwrap_or_default();
        let webrtc = at(&info, &["info", "webrtc"]).unwrap_or_else(|| panic!("no webrtc in {info:?}")).clone();
        session.destroy();
        assert!(gateway.is_running(), "the gateway died:\n{}", gateway.log_tail());
        let stats_events = collector.events().into_iter().filter(is_stats_event).collect();
        Observed { webrtc, stats_events, pcap }
    })
}

/// The checks that hold for any gateway: counters that moved, and the fields monitoring
/// tools read.
fn check(observed: &Observed, combine: bool) {
    let webrtc = &observed.webrtc;
    assert!(expect_int(webrtc, &["dtls", "stats", "in", "packets"]) > 0, "{webrtc:?}");
    let Some(Json::Object(media)) = at(webrtc, &["media"]) else { panic!("no media in {webrtc:?}") };
    let kinds: Vec<&str> = media.iter().filter_map(|(_, m)| str_at(m, &["type"])).collect();
    assert_eq!(kinds, ["audio", "video"], "{webrtc:?}");
    for (mid, medium) in media.iter() {
        assert!(expect_int(medium, &["stats", "in", "packets"]) >= 100, "{mid}: {medium:?}");
        assert!(expect_int(medium, &["stats", "out", "packets"]) >= 100, "{mid}: {medium:?}");
        assert!(expect_int(medium, &["stats", "in", "bytes"]) > expect_int(medium, &["stats", "in", "packets"]) * 12, "{mid}: {medium:?}");
        assert!(expect_int(medium, &["ssrc", "ssrc-peer"]) != 0, "{mid}: {medium:?}");
        assert!(at(medium, &["rtcp", "main", "base"]).is_some(), "{mid}: {medium:?}");
    }
    assert!(!observed.stats_events.is_empty());
    // The capture: the libpcap header, then one record per packet, in a fake IPv4/UDP
    // frame from 10.1.1.1 (the peer) or 10.2.2.2 (the gateway).
    let pcap = &observed.pcap;
    assert!(pcap.len() > 24 && pcap[..4] == 0xa1b2_c3d4u32.to_ne_bytes(), "{} bytes", pcap.len());
    let (mut incoming, mut outgoing, mut at_byte) = (0, 0, 24);
    while at_byte + 16 <= pcap.len() {
        let saved = u32::from_ne_bytes(pcap[at_byte + 8..at_byte + 12].try_into().unwrap()) as usize;
        let frame = &pcap[at_byte + 16..(at_byte + 16 + saved).min(pcap.len())];
        assert!(frame.len() > 42 && frame[23] == 17, "a UDP frame");
        match frame[26..30] {
            [10, 1, 1, 1] => incoming += 1,
            [10, 2, 2, 2] => outgoing += 1,
            _ => panic!("unexpected source {:?}", &frame[26..30]),
        }
        at_byte += 16 + saved;
    }
    assert!(incoming >= 300 && outgoing >= 300, "captured {incoming} in, {outgoing} out");
    for event in &observed.stats_events {
        let body = at(event, &["event"]).unwrap();
        assert_eq!(matches!(body, Json::Array(_)), combine, "{event:?}");
    }
}

/// The last statistics event(s) of each medium, as shapes.
fn stats_shapes(events: &[Json]) -> Vec<Json> {
    let last = events.last().map(|e| at(e, &["event"]).unwrap().clone());
    let mut shapes: Vec<Json> = match last {
        Some(Json::Array(items)) => items.iter().map(shape).collect(),
        Some(_) => {
            // One event per medium: the most recent of each.
            let mut by_mid: Vec<(String, Json)> = Vec::new();
            for e in events.iter().rev() {
                let body = at(e, &["event"]).unwrap();
                let mid = str_at(body, &["mid"]).unwrap_or_default().to_string();
                if !by_mid.iter().any(|(m, _)| *m == mid) {
                    by_mid.push((mid, shape(body)));
                }
            }
            by_mid.sort_by(|a, b| a.0.cmp(&b.0));
            by_mid.into_iter().map(|(_, s)| s).collect()
        }
        None => Vec::new(),
    };
    shapes.dedup();
    shapes
}

fn compare(combine: bool, name: &str) {
    let ours = run(&binary_under_test(), &format!("webrtc-stats-{name}-ours"), combine);
    check(&ours, combine);
    if !Path::new(REFERENCE_BINARY).exists() {
        return;
    }
    let theirs = run(Path::new(REFERENCE_BINARY), &format!("webrtc-stats-{name}-reference"), combine);
    check(&theirs, combine);
    // Media are keyed by their (random) mids: compare the media themselves, in order.
    let comparable = |webrtc: &Json, key: &str| match at(webrtc, &[key]) {
        Some(Json::Object(media)) if key == "media" => Json::Array(media.iter().map(|(_, m)| shape(m)).collect()),
        Some(value) => shape(value),
        None => Json::Null,
    };
    for key in ["dtls", "extensions", "bwe", "media"] {
        assert_eq!(
            comparable(&ours.webrtc, key),
            comparable(&theirs.webrtc, key),
            "handle_info webrtc.{key}: ours {:?}\ntheirs {:?}",
            at(&ours.webrtc, &[key]),
            at(&theirs.webrtc, &[key])
        );
    }
    assert_eq!(stats_shapes(&ours.stats_events), stats_shapes(&theirs.stats_events), "statistics events");
}

#[test]
fn media_statistics_per_medium() {
    compare(false, "per-medium");
}

#[test]
fn media_statistics_combined() {
    compare(true, "combined");
}
