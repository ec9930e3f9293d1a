//! Transport-wide congestion control feedback: a str0m peer that negotiated `transport-cc`
//! sends audio and video to the EchoTest and gets, every `twcc_period` ms (or with the RTCP
//! reports when it is 1000), feedback (RTPFB FMT 15) from the gateway's video SSRC about its
//! own, which str0m's parser reads as covering every packet it sent, with arrival times,
//! and the packets lost on the way as not received.
//! Run against `/usr/bin/janus` and ours.

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use support::gateway::Gateway;
use support::webrtc::{in_private_network, offer_and_answer, opus_payload, private_network_configs, sdp_ssrc, vp8_payload, Kind, Peer};

/// What the peer sends: a video frame every 30 ms for 3 s, audio every other frame.
const FRAMES: u32 = 100;
const FRAME_INTERVAL: Duration = Duration::from_millis(30);
/// After sending, long enough for the last feedback even with a 1 s period.
const DRAIN: Duration = Duration::from_millis(1600);
const TRANSPORT_CC: &str = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";

/// `period`: the `twcc_period` to configure (`None`: the default, 200 ms); `feedbacks`:
/// how many feedbacks the whole exchange may bring; `lose_every`: the peer's RTP datagrams
/// are lost one in that many (see [`Peer::lose_rtp`]), which the feedback must report.
fn twcc(binary: &Path, test: &str, period: Option<u32>, feedbacks: std::ops::RangeInclusive<usize>, lose_every: Option<u32>) {
    in_private_network(|net| {
        let mut configs = private_network_configs(test, &["echotest"]);
        if let Some(ms) = period {
            configs.set_item("media", "twcc_period", &ms.to_string());
        }
        let gateway = Gateway::start(binary, &configs);
        let session = gateway.create_session();
        let handle = session.attach("janus.plugin.echotest");
        let mut peer = Peer::with_raw_packets(net.peer_ip.into());
        let offer = peer.create_offer(true, true);
        assert!(offer.contains(TRANSPORT_CC), "str0m offers transport-cc:\n{offer}");
        let answer = offer_and_answer(&session, &handle, &peer, r#"{"audio":true,"video":true}"#, &offer);
        assert!(answer.contains(TRANSPORT_CC), "the EchoTest answers transport-cc:\n{answer}");
        let video_mid = peer.mid(Kind::Video).unwrap();
        let ours = sdp_ssrc(&offer, &video_mid).expect("str0m announces its video SSRC");
        let gateways = sdp_ssrc(&answer, &video_mid).expect("the answer has a video SSRC");
        peer.connect(&answer, &gateway);

        let started = Instant::now();
        peer.lose_rtp(lose_every);
        for i in 0..FRAMES {
            if i % 2 == 0 {
                peer.send(Kind::Audio, &opus_payload(i), i == 0);
            }
            peer.send(Kind::Video, &vp8_payload(i, i % 30 == 0), true);
            peer.run_for(FRAME_INTERVAL);
        }
        // The last packets get through, so that the losses are all followed by a packet.
        peer.lose_rtp(None);
        peer.send(Kind::Video, &vp8_payload(FRAMES, false), true);
        let sending = started.elapsed();
        peer.run_for(DRAIN);
        let wall_reference = (SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_micros() as u64 / 64_000) & 0x7f_ffff;

        let sent = peer.twcc_sent().to_vec();
        // Lost video packets may be asked for again (NACK) and resent.
        assert!(sent.len() > (FRAMES + FRAMES / 2) as usize, "str0m stamps every packet it sends");
        let lost = peer.rtp_lost() as usize;
        assert_eq!(lost > 0, lose_every.is_some());
        let fbs = peer.twcc_feedback().to_vec();
        assert!(feedbacks.contains(&fbs.len()), "{} feedbacks, expected {feedbacks:?}: {fbs:?}", fbs.len());
        let time_zero = Instant::now();
        // Per sequence number: whether reported received, and when (one clock for all).
        let mut reported: BTreeMap<u64, Vec<Option<Instant>>> = BTreeMap::new();
        for (i, fb) in fbs.iter().enumerate() {
            assert_eq!(fb.feedback_count, i as u8, "feedback packet counts go up by one: {fbs:?}");
            assert_eq!((*fb.sender_ssrc, *fb.ssrc), (gateways, ours), "from the gateway's video SSRC about ours: {fb:?}");
            // Janus' reference time is the wall clock, in 64 ms units, on 23 bits.
            let age = wall_reference.wrapping_sub(u64::from(fb.reference_time)) & 0x7f_ffff;
            assert!(age < 100, "reference time {} vs now {wall_reference}", fb.reference_time);
            for (seq, _, at) in fb.clone().into_iter(time_zero, 0u64.into()) {
                reported.entry(*seq).or_default().push(at);
            }
        }
        // Every packet sent is reported once, received but for those lost.
        let all: Vec<u64> = reported.keys().copied().collect();
        let expected: Vec<u64> = sent.iter().map(|s| u64::from(*s)).collect();
        assert_eq!(all, expected, "every packet sent is reported");
        assert!(reported.values().all(|r| r.len() == 1), "each once: {reported:?}");
        let not_received = reported.values().filter(|r| r[0].is_none()).count();
        assert_eq!(not_received, lost, "{reported:?}");
        // The arrival times span what was sent.
        let times: Vec<Instant> = reported.values().filter_map(|r| r[0]).collect();
        assert_eq!(times.len(), sent.len() - lost);
        let span = *times.last().unwrap() - times[0];
        assert!(span + Duration::from_millis(300) > sending && span < sending + Duration::from_millis(300), "{span:?} vs {sending:?}");

        session.destroy();
        assert!(gateway.is_running(), "the gateway died:\n{}", gateway.log_tail());
    });
}

reference_and_ours!(twcc_reference_janus, twcc_ours: twcc, "webrtc-twcc", None, 12..=30, None);
reference_and_ours!(twcc_with_the_reports_reference_janus, twcc_with_the_reports_ours: twcc, "webrtc-twcc-1s", Some(1000), 3..=6, None);
reference_and_ours!(twcc_losses_reference_janus, twcc_losses_ours: twcc, "webrtc-twcc-losses", None, 12..=30, Some(7));
