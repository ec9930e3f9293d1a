//! The traffic statistics of a PeerConnection as Janus keeps them (`janus_ice_stats`):
//! per medium, direction and simulcast substream, packets, bytes, bytes in the last second
//! and NACKs; and the JSON Janus makes of them for `handle_info` and for the periodic
//! media statistics events sent to event handlers (`stats_period`).

use std::sync::atomic::{AtomicU64, Ordering};

use crate::json::{Json, Object};
use crate::rtcp::context::RtcpContext;

/// One direction of one (sub)stream (`janus_ice_stats_info`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Traffic {
    pub packets: u32,
    pub bytes: u64,
    /// Bytes in the last full second.
    pub bytes_lastsec: u32,
    /// Bytes of the second being counted, and when it started (monotonic µs).
    current_second: u32,
    second_started_us: i64,
    /// NACKed packets (asked for when outgoing, asked of us when incoming).
    pub nacks: u32,
}

impl Traffic {
    /// One packet of `len` bytes at `now_us`.
    pub fn count(&mut self, len: usize, now_us: i64) {
        self.packets = self.packets.wrapping_add(1);
        self.bytes = self.bytes.wrapping_add(len as u64);
        if self.second_started_us == 0 {
            self.second_started_us = now_us;
        }
        if now_us - self.second_started_us >= 1_000_000 {
            self.bytes_lastsec = self.current_second;
            self.current_second = 0;
            self.second_started_us = now_us;
        }
        self.current_second = self.current_second.saturating_add(len as u32);
    }

    /// Once a second: a stream silent for two seconds has no last-second rate any more.
    pub fn expire(&mut self, now_us: i64) {
        if self.second_started_us != 0 && now_us - self.second_started_us >= 2_000_000 && self.current_second > 0 {
            self.bytes_lastsec = 0;
            self.current_second = 0;
        }
    }
}

/// Why a PeerConnection dropped a datagram from its peer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DropReason {
    /// Larger than any datagram we accept (1500 bytes).
    TooBig,
    /// Neither DTLS nor RTP nor RTCP (STUN never gets here: libnice takes it).
    NotWebrtc,
    /// RTP/RTCP before DTLS-SRTP was up, or DTLS without a handshake to feed.
    Early,
    /// RTP or RTCP that does not parse.
    Malformed,
    /// RTP or RTCP from, or about, no SSRC of the PeerConnection.
    UnknownSsrc,
    /// SRTP/SRTCP that failed authentication (or could not be decrypted).
    Unprotect,
    /// SRTP/SRTCP seen before (replayed, or too old).
    Replay,
}

impl DropReason {
    const ALL: [DropReason; 7] = [
        DropReason::TooBig,
        DropReason::NotWebrtc,
        DropReason::Early,
        DropReason::Malformed,
        DropReason::UnknownSsrc,
        DropReason::Unprotect,
        DropReason::Replay,
    ];

    fn name(self) -> &'static str {
        match self {
            DropReason::TooBig => "too-big",
            DropReason::NotWebrtc => "not-webrtc",
            DropReason::Early => "early",
            DropReason::Malformed => "malformed",
            DropReason::UnknownSsrc => "unknown-ssrc",
            DropReason::Unprotect => "unprotect-errors",
            DropReason::Replay => "replays",
        }
    }
}

/// What a PeerConnection dropped of its peer's traffic, by reason: Janus only logs these;
/// we also count them (`handle_info`'s `webrtc.dropped`), so that an operator sees a peer
/// sending garbage without reading the log. Lock-free: counted from any media thread.
#[derive(Debug, Default)]
pub struct Dropped {
    counts: [AtomicU64; DropReason::ALL.len()],
}

impl Dropped {
    pub fn count(&self, reason: DropReason) {
        self.counts[reason as usize].fetch_add(1, Ordering::Relaxed);
    }

    pub fn get(&self, reason: DropReason) -> u64 {
        self.counts[reason as usize].load(Ordering::Relaxed)
    }

    /// Every reason with its count.
    pub fn to_json(&self) -> Json {
        let mut o = Object::new();
        for reason in DropReason::ALL {
            o.set(reason.name(), self.get(reason));
        }
        o.into()
    }
}

/// The losses since the last check, when they reach `threshold` (`slowlink_threshold`,
/// 0: never): a `slowlink`. `last` is the loss count seen at the last check, per direction.
pub fn slow_link_losses(last: &mut u32, lost: u32, threshold: u32) -> Option<u32> {
    let recently = lost.saturating_sub(*last);
    *last = lost;
    (threshold > 0 && recently >= threshold).then_some(recently)
}

/// How long (ms) sent packets are kept for retransmissions once the round-trip time is
/// known, as Janus sizes it: the RTT plus 100 ms, within `min_nack_queue` and 1000 ms,
/// averaged (7/8 of the previous value) after the first.
pub fn nack_queue_ms(previous: u16, rtt_ms: u32, first: bool, min_nack_queue: u16) -> u16 {
    let clamp = |ms: u32| ms.clamp(u32::from(min_nack_queue), 1000) as u16;
    let fresh = clamp(rtt_ms.saturating_add(100));
    if first {
        fresh
    } else {
        clamp((7 * u32::from(previous) + u32::from(fresh)) / 8)
    }
}

/// What a medium is, for the JSON Janus makes of its statistics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MediumType {
    Audio,
    Video,
    Data,
}

impl MediumType {
    pub fn name(self) -> &'static str {
        match self {
            MediumType::Audio => "audio",
            MediumType::Video => "video",
            MediumType::Data => "data",
        }
    }
}

/// The statistics of one medium, borrowed from the media path for reporting.
pub struct MediumStats<'a> {
    pub kind: MediumType,
    pub mindex: usize,
    pub mid: &'a str,
    pub codec: Option<&'a str>,
    pub do_nacks: bool,
    /// Per substream: the receive statistics and RTCP context (substreams after the first
    /// only when the peer simulcasts: their peer SSRC is known; data has no RTCP).
    pub incoming: [Option<(&'a Traffic, Option<&'a RtcpContext>)>; 3],
    pub outgoing: &'a Traffic,
    /// The REMB bitrate the peer last asked for (first medium only, 0: none).
    pub remb_bitrate: u32,
}

fn rtcp_fields(o: &mut Object, rtcp: &RtcpContext, main: bool) {
    o.set("base", rtcp.tb);
    if main {
        o.set("rtt", rtcp.rtt());
    }
    o.set("lost", rtcp.lost_all(false));
    o.set("lost-by-remote", rtcp.lost_all(true));
    o.set("jitter-local", rtcp.jitter_ms(false));
    o.set("jitter-remote", rtcp.jitter_ms(true));
    o.set("in-link-quality", rtcp.in_link_quality());
    o.set("in-media-link-quality", rtcp.in_media_link_quality());
    o.set("out-link-quality", rtcp.out_link_quality());
    o.set("out-media-link-quality", rtcp.out_media_link_quality());
}

impl MediumStats<'_> {
    /// The media statistics event(s) of this medium (`JANUS_EVENT_SUBTYPE_MEDIA_STATS`):
    /// one per substream, in substream order.
    pub fn events(&self) -> Vec<Json> {
        let mut out = Vec::new();
        let rtp = matches!(self.kind, MediumType::Audio | MediumType::Video);
        let zero = Traffic::default();
        for (substream, layer) in self.incoming.iter().enumerate() {
            let (traffic_in, rtcp) = match layer {
                Some((traffic, rtcp)) => (*traffic, *rtcp),
                None if substream == 0 && self.kind == MediumType::Data => (&zero, None),
                None => continue,
            };
            let media = match substream {
                0 => self.kind.name(),
                1 => "video-sim1",
                _ => "video-sim2",
            };
            let mut info = Object::new().with("mid", self.mid).with("mindex", self.mindex as u64).with("media", media);
            if let (true, Some(rtcp)) = (rtp, rtcp) {
                if let Some(codec) = self.codec {
                    info.set("codec", codec);
                }
                rtcp_fields(&mut info, rtcp, substream == 0);
            }
            // Janus only counts what it sends on the main substream's slot.
            let traffic_out = if substream == 0 { self.outgoing } else { &zero };
            info.set("packets-received", traffic_in.packets);
            info.set("packets-sent", traffic_out.packets);
            info.set("bytes-received", traffic_in.bytes);
            info.set("bytes-sent", traffic_out.bytes);
            if rtp {
                info.set("bytes-received-lastsec", traffic_in.bytes_lastsec);
                info.set("bytes-sent-lastsec", traffic_out.bytes_lastsec);
                info.set("nacks-received", traffic_in.nacks);
                info.set("nacks-sent", traffic_out.nacks);
                info.set("retransmissions-received", rtcp.map_or(0, |r| r.retransmitted));
            }
            if self.mindex == 0 && self.remb_bitrate > 0 {
                info.set("remb-bitrate", self.remb_bitrate);
            }
            out.push(info.into());
        }
        out
    }

    /// `handle_info`'s `rtcp` member of the medium (absent for data).
    pub fn rtcp_summary(&self) -> Option<Json> {
        let mut o = Object::new();
        for (substream, layer) in self.incoming.iter().enumerate() {
            if let Some((_, Some(rtcp))) = layer {
                let mut stats = Object::new();
                rtcp_fields(&mut stats, rtcp, substream == 0);
                o.set(["main", "sim1", "sim2"][substream], stats);
            }
        }
        (self.kind != MediumType::Data && !o.is_empty()).then(|| o.into())
    }

    /// `handle_info`'s `stats` member of the medium: `in` (with the simulcast
    /// substreams nested) and `out`.
    pub fn stats_summary(&self) -> Json {
        let rtp = self.kind != MediumType::Data;
        let zero = Traffic::default();
        let mut incoming = Object::new();
        for (substream, layer) in self.incoming.iter().enumerate() {
            let traffic = match layer {
                Some((traffic, _)) => *traffic,
                None if substream == 0 => &zero,
                None => continue,
            };
            // The main substream's counters sit in `in` itself, the others nested in it.
            let mut nested = Object::new();
            let container = if substream == 0 { &mut incoming } else { &mut nested };
            container.set("packets", traffic.packets);
            container.set("bytes", traffic.bytes);
            if rtp {
                container.set("bytes_lastsec", traffic.bytes_lastsec);
                if self.do_nacks {
                    container.set("nacks", traffic.nacks);
                    if let Some((_, Some(rtcp))) = layer {
                        incoming.set("retransmissions", rtcp.retransmitted);
                    }
                }
                if substream > 0 {
                    incoming.set(["", "video-simulcast-1", "video-simulcast-2"][substream], nested);
                }
            }
        }
        let mut outgoing = Object::new().with("packets", self.outgoing.packets).with("bytes", self.outgoing.bytes);
        if rtp {
            outgoing.set("bytes_lastsec", self.outgoing.bytes_lastsec);
            outgoing.set("nacks", self.outgoing.nacks);
        }
        Object::new().with("in", incoming).with("out", outgoing).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_are_counted_by_reason() {
        let dropped = Dropped::default();
        dropped.count(DropReason::Replay);
        dropped.count(DropReason::Replay);
        dropped.count(DropReason::UnknownSsrc);
        assert_eq!((dropped.get(DropReason::Replay), dropped.get(DropReason::Unprotect)), (2, 0));
        assert_eq!(
            dropped.to_json().to_compact_string(),
            r#"{"too-big":0,"not-webrtc":0,"early":0,"malformed":0,"unknown-ssrc":1,"unprotect-errors":0,"replays":2}"#
        );
    }

    #[test]
    fn nack_queues_follow_the_round_trip_time() {
        assert_eq!(nack_queue_ms(0, 50, true, 200), 200, "at least min_nack_queue");
        assert_eq!(nack_queue_ms(0, 300, true, 200), 400);
        assert_eq!(nack_queue_ms(400, 1100, false, 200), 475, "a moving average");
        assert_eq!(nack_queue_ms(0, 5000, true, 200), 1000, "at most a second");
    }

    #[test]
    fn slow_links_count_losses_since_the_last_check() {
        let mut last = 0;
        assert_eq!(slow_link_losses(&mut last, 3, 4), None);
        assert_eq!(slow_link_losses(&mut last, 9, 4), Some(6));
        assert_eq!(slow_link_losses(&mut last, 10, 4), None);
        assert_eq!(slow_link_losses(&mut last, 5, 4), None, "a smaller count (reset) is no loss");
        assert_eq!(last, 5);
        assert_eq!(slow_link_losses(&mut last, 500, 0), None, "threshold 0: never");
    }

    #[test]
    fn last_second_rate_rolls_over_and_expires() {
        let mut t = Traffic::default();
        t.count(100, 1_000_000);
        t.count(50, 1_500_000);
        assert_eq!((t.packets, t.bytes, t.bytes_lastsec), (2, 150, 0));
        t.count(10, 2_000_000);
        assert_eq!(t.bytes_lastsec, 150);
        t.expire(3_000_000);
        assert_eq!(t.bytes_lastsec, 150, "one quiet second is not enough");
        t.expire(4_000_000);
        assert_eq!(t.bytes_lastsec, 0);
        assert_eq!((t.packets, t.bytes), (3, 160));
    }

    fn compact(v: &Json) -> String {
        v.to_compact_string()
    }

    #[test]
    fn events_and_summaries_have_janus_shapes() {
        let mut rtcp = RtcpContext { tb: 90000, ..RtcpContext::default() };
        rtcp.retransmitted = 2;
        let mut received = Traffic::default();
        received.count(1000, 1);
        received.nacks = 3;
        let mut sent = Traffic::default();
        sent.count(500, 1);
        let video = MediumStats {
            kind: MediumType::Video,
            mindex: 0,
            mid: "1",
            codec: Some("vp8"),
            do_nacks: true,
            incoming: [Some((&received, Some(&rtcp))), Some((&received, Some(&rtcp))), None],
            outgoing: &sent,
            remb_bitrate: 256000,
        };
        let events = video.events();
        assert_eq!(events.len(), 2);
        assert_eq!(
            compact(&events[0]),
            r#"{"mid":"1","mindex":0,"media":"video","codec":"vp8","base":90000,"rtt":0,"lost":0,"lost-by-remote":0,"jitter-local":0,"jitter-remote":0,"in-link-quality":0,"in-media-link-quality":0,"out-link-quality":0,"out-media-link-quality":0,"packets-received":1,"packets-sent":1,"bytes-received":1000,"bytes-sent":500,"bytes-received-lastsec":0,"bytes-sent-lastsec":0,"nacks-received":3,"nacks-sent":0,"retransmissions-received":2,"remb-bitrate":256000}"#
        );
        assert!(compact(&events[1]).starts_with(r#"{"mid":"1","mindex":0,"media":"video-sim1","codec":"vp8","base":90000,"lost":0"#));
        assert!(compact(&events[1]).contains(r#""packets-sent":0,"#));
        assert_eq!(
            compact(&video.stats_summary()),
            r#"{"in":{"packets":1,"bytes":1000,"bytes_lastsec":0,"nacks":3,"retransmissions":2,"video-simulcast-1":{"packets":1,"bytes":1000,"bytes_lastsec":0,"nacks":3}},"out":{"packets":1,"bytes":500,"bytes_lastsec":0,"nacks":0}}"#
        );
        let rtcp_summary = compact(&video.rtcp_summary().unwrap());
        assert!(
            rtcp_summary.starts_with(r#"{"main":{"base":90000,"rtt":0,"#) && rtcp_summary.contains(r#""sim1":{"base":90000,"lost":0,"#)
        );

        let data = MediumStats {
            kind: MediumType::Data,
            mindex: 1,
            mid: "2",
            codec: None,
            do_nacks: false,
            incoming: [None, None, None],
            outgoing: &sent,
            remb_bitrate: 0,
        };
        assert_eq!(
            compact(&data.events()[0]),
            r#"{"mid":"2","mindex":1,"media":"data","packets-received":0,"packets-sent":1,"bytes-received":0,"bytes-sent":500}"#
        );
        assert_eq!(compact(&data.stats_summary()), r#"{"in":{"packets":0,"bytes":0},"out":{"packets":1,"bytes":500}}"#);
        assert!(data.rtcp_summary().is_none());
    }
}
