//! The per-stream RTCP statistics (`janus_rtcp_context`): what incoming RTP, SRs and RRs
//! teach us (RFC 3550 A.3 loss, A.8 jitter, round-trip time, link quality), and the report
//! blocks we send back from it.
//!
//! Modules only hold pointers to it, but it keeps Janus' layout so the export layer can
//! hand the same memory to C. Time comes in as arguments (sans-IO).

use super::packet::{get_u32, Malformed, REPORT_BLOCK_SIZE};
use crate::rtp::header::RtpHeader;

/// Field names and order are Janus' (x86_64: 176 bytes, checked below).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RtcpContext {
    /// A one-bit C bitfield: bit 0 says some RTP arrived (no RR is sent before that).
    pub rtp_recvd: u8,
    pub rtp_last_inorder_ts: u32,
    pub rtp_last_inorder_time: i64,
    pub max_seq_nr: u16,
    pub seq_cycle: u16,
    pub base_seq: u16,
    pub pt: u16,
    pub transit: i64,
    pub jitter: f64,
    pub jitter_remote: f64,
    /// Clock rate of the stream (48000, 90000...).
    pub tb: u32,
    /// Middle 32 bits of the NTP timestamp of the last SR received, and when it came.
    pub lsr: u32,
    pub lsr_ts: i64,
    pub last_sent: i64,
    /// Milliseconds.
    pub rtt: u32,
    pub received: u32,
    pub received_prior: u32,
    pub expected: u32,
    pub expected_prior: u32,
    pub lost: u32,
    pub lost_remote: u32,
    pub retransmitted: u32,
    pub retransmitted_prior: u32,
    pub rr_last_ts: i64,
    pub rr_last_ehsnr: u32,
    pub rr_last_lost: u32,
    pub rr_last_nack_count: u32,
    /// Janus updates these two with atomics from the sending thread.
    pub sent_packets_since_last_rr: i32,
    pub nack_count: i32,
    pub in_link_quality: f64,
    pub in_media_link_quality: f64,
    pub out_link_quality: f64,
    pub out_media_link_quality: f64,
}

const _: () = {
    use std::mem::{align_of, offset_of, size_of};
    assert!(size_of::<RtcpContext>() == 176 && align_of::<RtcpContext>() == 8);
    assert!(offset_of!(RtcpContext, rtp_last_inorder_ts) == 4);
    assert!(offset_of!(RtcpContext, rtp_last_inorder_time) == 8);
    assert!(offset_of!(RtcpContext, max_seq_nr) == 16);
    assert!(offset_of!(RtcpContext, pt) == 22);
    assert!(offset_of!(RtcpContext, transit) == 24);
    assert!(offset_of!(RtcpContext, jitter_remote) == 40);
    assert!(offset_of!(RtcpContext, tb) == 48);
    assert!(offset_of!(RtcpContext, lsr) == 52);
    assert!(offset_of!(RtcpContext, lsr_ts) == 56);
    assert!(offset_of!(RtcpContext, last_sent) == 64);
    assert!(offset_of!(RtcpContext, rtt) == 72);
    assert!(offset_of!(RtcpContext, received) == 76);
    assert!(offset_of!(RtcpContext, lost_remote) == 96);
    assert!(offset_of!(RtcpContext, retransmitted_prior) == 104);
    assert!(offset_of!(RtcpContext, rr_last_ts) == 112);
    assert!(offset_of!(RtcpContext, rr_last_nack_count) == 128);
    assert!(offset_of!(RtcpContext, nack_count) == 136);
    assert!(offset_of!(RtcpContext, in_link_quality) == 144);
    assert!(offset_of!(RtcpContext, out_media_link_quality) == 168);
};

/// The two clocks the statistics need: Janus' monotonic microseconds (intervals) and the
/// wall clock (NTP time for round-trip estimation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Now {
    pub monotonic_us: i64,
    pub unix_us: i64,
}

/// Exponential smoothing of link quality estimates; a first value (or NaN) is taken as is.
fn link_quality_filter(last: f64, current: f64) -> f64 {
    const K: f64 = 3.0;
    if last == 0.0 || last == current || last.is_nan() {
        current
    } else {
        (1.0 - 1.0 / K) * last + (1.0 / K) * current
    }
}

/// 100 minus the percentage `lost` is of `total`, 0 when `total` is 0.
fn quality(lost: f64, total: f64) -> f64 {
    if total == 0.0 {
        0.0
    } else {
        100.0 - 100.0 * lost / total
    }
}

/// A received report block's fields, in host order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReportBlock {
    pub ssrc: u32,
    /// Fraction lost (8 bits) and cumulative lost (24 bits).
    pub flcnpl: u32,
    /// Extended highest sequence number received.
    pub ehsnr: u32,
    pub jitter: u32,
    pub lsr: u32,
    pub delay: u32,
}

impl ReportBlock {
    /// Reads a block from 24 bytes at `off`, if present.
    pub fn read(buf: &[u8], off: usize) -> Option<Self> {
        let word = |i: usize| get_u32(buf, off + 4 * i);
        Some(ReportBlock { ssrc: word(0)?, flcnpl: word(1)?, ehsnr: word(2)?, jitter: word(3)?, lsr: word(4)?, delay: word(5)? })
    }
}

impl RtcpContext {
    /// An SR arrived: remember its compact NTP timestamp and when, for LSR/DLSR in our RRs.
    pub fn incoming_sr(&mut self, ntp_msw: u32, ntp_lsw: u32, now: Now) {
        self.lsr_ts = now.monotonic_us;
        let ntp = (u64::from(ntp_msw) << 32) | u64::from(ntp_lsw);
        self.lsr = (ntp >> 16) as u32;
    }

    /// An RR (or SR) block about our stream arrived: remote loss and jitter, outbound link
    /// quality, and the round-trip time from its LSR/DLSR.
    pub fn incoming_report(&mut self, rb: &ReportBlock, now: Now) {
        self.lost_remote = rb.flcnpl & 0x00FF_FFFF;
        self.jitter_remote = f64::from(rb.jitter);
        self.update_out_quality(rb, now.monotonic_us);
        if rb.lsr == 0 {
            return;
        }
        // Our wall clock as compact NTP, with Janus' fixed-point microsecond conversion.
        let secs = now.unix_us.div_euclid(1_000_000);
        let usecs = now.unix_us.rem_euclid(1_000_000) as u32;
        let ntp_sec = (secs as u32).wrapping_add(2_208_988_800);
        let frac = (usecs << 12).wrapping_add(usecs << 8).wrapping_sub(usecs.wrapping_mul(3650) >> 6);
        let compact = ((u64::from(ntp_sec) << 32 | u64::from(frac)) >> 16) as u32;
        let rtt = compact.wrapping_sub(rb.lsr).wrapping_sub(rb.delay);
        let ms_whole = (rtt >> 16) * 1000;
        let us_frac = ((rtt & 0xFFFF) * 15625) >> 10;
        self.rtt = ms_whole.wrapping_add(us_frac / 1000);
    }

    /// Outbound link quality from an RR, at most every two seconds.
    fn update_out_quality(&mut self, rb: &ReportBlock, now_us: i64) {
        if now_us.wrapping_sub(self.rr_last_ts) < 2_000_000 {
            return;
        }
        self.rr_last_ts = now_us;
        let total_lost = rb.flcnpl & 0x00FF_FFFF;
        if self.rr_last_ehsnr != 0 {
            let sent = self.sent_packets_since_last_rr;
            let expect = rb.ehsnr.wrapping_sub(self.rr_last_ehsnr);
            let mut nacks = (self.nack_count as u32).wrapping_sub(self.rr_last_nack_count) as i32;
            // More NACKs than packets would push the quality below zero.
            if sent != 0 && nacks > sent {
                nacks = sent;
            }
            let link_q = quality(f64::from(nacks), f64::from(sent));
            self.out_link_quality = link_quality_filter(self.out_link_quality, link_q);
            let lost = (total_lost.wrapping_sub(self.rr_last_lost) as i32).max(0);
            let media_q = quality(f64::from(lost), f64::from(expect));
            self.out_media_link_quality = link_quality_filter(self.out_media_link_quality, media_q);
        }
        self.rr_last_ehsnr = rb.ehsnr;
        self.rr_last_lost = total_lost;
        self.rr_last_nack_count = self.nack_count as u32;
        self.sent_packets_since_last_rr = 0;
    }

    /// `janus_rtcp_process_incoming_rtp`: account an incoming RTP packet (sequence cycles,
    /// expected/received/retransmitted counts, interarrival jitter). `clock_rate` is the
    /// payload type's rate if known (0 keeps the current one). `Err` if `packet` has no RTP
    /// fixed header (Janus only checks for one byte and reads past it).
    pub fn process_incoming_rtp(
        &mut self,
        packet: &[u8],
        rfc4588_pkt: bool,
        rfc4588_enabled: bool,
        retransmissions_disabled: bool,
        clock_rate: u32,
        now_us: i64,
    ) -> Result<(), Malformed> {
        let rtp = RtpHeader::new(packet).ok_or(Malformed)?;
        if clock_rate > 0 && self.tb != clock_rate {
            self.tb = clock_rate;
        }
        let seq = rtp.sequence_number();
        let ts = rtp.timestamp();
        let first = self.base_seq == 0 && self.seq_cycle == 0;
        if first {
            self.base_seq = seq;
        }
        if rfc4588_pkt {
            self.retransmitted = self.retransmitted.wrapping_add(1);
        } else if seq.wrapping_sub(self.max_seq_nr) as i16 > 0 || first {
            self.received = self.received.wrapping_add(1);
            if seq < self.max_seq_nr {
                self.seq_cycle = self.seq_cycle.wrapping_add(1);
            }
            self.max_seq_nr = seq;
            self.expected = (u32::from(self.seq_cycle) << 16)
                .wrapping_add(1)
                .wrapping_add(u32::from(self.max_seq_nr))
                .wrapping_sub(u32::from(self.base_seq));
            let arrival = now_us.wrapping_mul(i64::from(self.tb)) / 1_000_000;
            let transit = arrival.wrapping_sub(i64::from(ts));
            if self.transit != 0 {
                let d = transit.wrapping_sub(self.transit).unsigned_abs() as f64;
                self.jitter += (1.0 / 16.0) * (d - self.jitter);
            }
            self.transit = transit;
            self.rtp_last_inorder_ts = ts;
            self.rtp_last_inorder_time = now_us;
        } else if rfc4588_enabled || retransmissions_disabled {
            // Late, but retransmissions come on their own SSRC or not at all.
            self.received = self.received.wrapping_add(1);
        } else {
            // A packet far behind the newest one in time is taken for a retransmission.
            let rtp_diff = ts.wrapping_sub(self.rtp_last_inorder_ts) as i32;
            // Janus divides by a zero clock rate here; we count such packets as received.
            let ms_diff = (i64::from(rtp_diff.unsigned_abs()) * 1000).checked_div(i64::from(self.tb));
            if ms_diff.is_some_and(|ms| ms > 120) {
                self.retransmitted = self.retransmitted.wrapping_add(1);
            } else {
                self.received = self.received.wrapping_add(1);
            }
        }
        self.rtp_recvd = 1;
        Ok(())
    }

    /// `janus_rtcp_context_get_rtt`.
    pub fn rtt(&self) -> u32 {
        self.rtt
    }

    /// `janus_rtcp_context_get_lost_all`.
    pub fn lost_all(&self, remote: bool) -> u32 {
        if remote {
            self.lost_remote
        } else {
            self.lost
        }
    }

    /// `janus_rtcp_context_get_jitter`: in milliseconds (Janus divides by the clock rate in
    /// kHz, integer-truncated).
    pub fn jitter_ms(&self, remote: bool) -> u32 {
        if self.tb == 0 {
            return 0;
        }
        let jitter = if remote { self.jitter_remote } else { self.jitter };
        (jitter / f64::from(self.tb / 1000)).floor() as u32
    }

    pub fn in_link_quality(&self) -> u32 {
        (self.in_link_quality + 0.5) as u32
    }
    pub fn in_media_link_quality(&self) -> u32 {
        (self.in_media_link_quality + 0.5) as u32
    }
    pub fn out_link_quality(&self) -> u32 {
        (self.out_link_quality + 0.5) as u32
    }
    pub fn out_media_link_quality(&self) -> u32 {
        (self.out_media_link_quality + 0.5) as u32
    }

    fn estimate_in_quality(&mut self) {
        let expected = self.expected.wrapping_sub(self.expected_prior);
        let received = self.received.wrapping_sub(self.received_prior);
        let retransmitted = self.retransmitted.wrapping_sub(self.retransmitted_prior);
        // Link loss ignores retransmissions; media loss counts them as recovered.
        let link_lost = (expected.wrapping_sub(received) as i32).max(0);
        let link_q = quality(f64::from(link_lost), f64::from(expected));
        self.in_link_quality = link_quality_filter(self.in_link_quality, link_q);
        let media_lost = (expected.wrapping_sub(received.wrapping_add(retransmitted)) as i32).max(0);
        let media_q = quality(f64::from(media_lost), f64::from(expected));
        self.in_media_link_quality = link_quality_filter(self.in_media_link_quality, media_q);
    }

    /// `janus_rtcp_report_block`: fills a report block about the stream (all but its SSRC,
    /// bytes 0..4, which the caller owns) and starts a new reporting interval.
    pub fn report_block(&mut self, rb: &mut [u8; REPORT_BLOCK_SIZE], now_us: i64) {
        let expected = self.expected.wrapping_sub(self.expected_prior);
        let received = self.received.wrapping_sub(self.received_prior);
        if expected > received {
            self.lost = self.lost.wrapping_add(expected - received);
        }
        let reported_lost = self.lost.min(0x7F_FFFF);
        let interval_lost = expected.wrapping_sub(received) as i32;
        let fraction = if expected == 0 || interval_lost <= 0 { 0 } else { ((interval_lost as u32) << 8) / expected };
        self.estimate_in_quality();
        self.expected_prior = self.expected;
        self.received_prior = self.received;
        self.retransmitted_prior = self.retransmitted;
        let ehsnr = (u32::from(self.seq_cycle) << 16).wrapping_add(u32::from(self.max_seq_nr));
        let (lsr, delay) = if self.lsr > 0 {
            // Delay since the last SR in 1/65536 s.
            let since = now_us.wrapping_sub(self.lsr_ts);
            (self.lsr, (since.wrapping_shl(16) / 1_000_000) as u32)
        } else {
            (0, 0)
        };
        let words = [reported_lost | (fraction << 24), ehsnr, self.jitter as u32, lsr, delay];
        for (i, w) in words.iter().enumerate() {
            rb[4 + 4 * i..8 + 4 * i].copy_from_slice(&w.to_be_bytes());
        }
        self.last_sent = now_us;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rtp(seq: u16, ts: u32) -> [u8; 12] {
        let mut p = [0u8; 12];
        p[0] = 0x80;
        p[1] = 111;
        p[2..4].copy_from_slice(&seq.to_be_bytes());
        p[4..8].copy_from_slice(&ts.to_be_bytes());
        p
    }

    #[test]
    fn rtp_recvd_is_bit_zero_of_the_first_word() {
        let mut ctx = RtcpContext::default();
        ctx.process_incoming_rtp(&rtp(1, 0), false, false, false, 48000, 1).unwrap();
        assert_eq!(ctx.rtp_recvd & 1, 1);
        assert!(ctx.process_incoming_rtp(&[0x80; 11], false, false, false, 0, 1).is_err());
    }

    #[test]
    fn loss_fraction_and_report_block() {
        let mut ctx = RtcpContext::default();
        // Sequence 10..=19 with 12 and 15 missing: 10 expected, 8 received.
        for seq in (10u16..20).filter(|s| *s != 12 && *s != 15) {
            ctx.process_incoming_rtp(&rtp(seq, u32::from(seq) * 960), false, false, false, 48000, 1_000_000 + i64::from(seq) * 20_000)
                .unwrap();
        }
        assert_eq!((ctx.expected, ctx.received, ctx.base_seq, ctx.max_seq_nr), (10, 8, 10, 19));
        let mut rb = [0xee; 24];
        ctx.report_block(&mut rb, 5_000_000);
        assert_eq!(&rb[..4], &[0xee; 4]);
        // Fraction 2/10 * 256 = 51, cumulative 2.
        assert_eq!(&rb[4..8], &[51, 0, 0, 2]);
        assert_eq!(&rb[8..12], &[0, 0, 0, 19]);
        assert_eq!(&rb[16..24], &[0; 8]);
        assert_eq!(ctx.lost_all(false), 2);
        assert_eq!(ctx.in_link_quality(), 80);
        assert_eq!(ctx.last_sent, 5_000_000);
        // Nothing new: no further loss, fraction 0.
        ctx.report_block(&mut rb, 6_000_000);
        assert_eq!(&rb[4..8], &[0, 0, 0, 2]);
    }

    #[test]
    fn sequence_wrap_counts_a_cycle() {
        let mut ctx = RtcpContext::default();
        for seq in [65534u16, 65535, 0, 1] {
            ctx.process_incoming_rtp(&rtp(seq, 0), false, false, false, 90000, 1).unwrap();
        }
        assert_eq!(ctx.seq_cycle, 1);
        assert_eq!(ctx.expected, 4);
        let mut rb = [0u8; 24];
        ctx.report_block(&mut rb, 1);
        assert_eq!(&rb[8..12], &[0, 1, 0, 1]);
    }

    #[test]
    fn late_packets_detected_as_retransmissions() {
        let mut ctx = RtcpContext::default();
        ctx.process_incoming_rtp(&rtp(100, 90_000), false, false, false, 90000, 1).unwrap();
        // 200 ms of media behind: a retransmission; 10 ms behind: just reordered.
        ctx.process_incoming_rtp(&rtp(90, 72_000), false, false, false, 0, 2).unwrap();
        ctx.process_incoming_rtp(&rtp(99, 89_100), false, false, false, 0, 3).unwrap();
        assert_eq!((ctx.received, ctx.retransmitted), (2, 1));
        ctx.process_incoming_rtp(&rtp(98, 0), true, false, false, 0, 4).unwrap();
        assert_eq!(ctx.retransmitted, 2);
        let mut no_rate = RtcpContext { max_seq_nr: 5, base_seq: 1, ..Default::default() };
        no_rate.process_incoming_rtp(&rtp(4, 1), false, false, false, 0, 1).unwrap();
        assert_eq!(no_rate.received, 1);
    }

    #[test]
    fn sr_then_rr_gives_lsr_delay_and_rtt() {
        let mut ctx = RtcpContext::default();
        ctx.incoming_sr(0x1234_5678, 0x9abc_def0, Now { monotonic_us: 1_000_000, unix_us: 0 });
        assert_eq!(ctx.lsr, 0x5678_9abc);
        let mut rb = [0u8; 24];
        ctx.report_block(&mut rb, 1_500_000);
        assert_eq!(&rb[16..20], &[0x56, 0x78, 0x9a, 0xbc]);
        // Half a second is 32768/65536.
        assert_eq!(&rb[20..24], &[0, 0, 0x80, 0]);

        // An RR whose LSR is our NTP time minus 250 ms, DLSR 100 ms: RTT 150 ms.
        let unix_us = 1_700_000_000_000_000i64;
        let ntp_sec = ((unix_us / 1_000_000) as u32).wrapping_add(2_208_988_800);
        let now_compact = ntp_sec << 16;
        let report =
            ReportBlock { flcnpl: 0x0100_0003, jitter: 77, lsr: now_compact.wrapping_sub(16384), delay: 6554, ..Default::default() };
        ctx.incoming_report(&report, Now { monotonic_us: 10_000_000, unix_us });
        assert_eq!(ctx.lost_all(true), 3);
        assert_eq!(ctx.jitter_remote, 77.0);
        assert!((149..=150).contains(&ctx.rtt()), "rtt {}", ctx.rtt());
    }

    #[test]
    fn out_link_quality_from_successive_rrs() {
        let mut ctx = RtcpContext { sent_packets_since_last_rr: 100, nack_count: 0, ..Default::default() };
        let now = |s: i64| Now { monotonic_us: s * 1_000_000, unix_us: 0 };
        ctx.incoming_report(&ReportBlock { ehsnr: 1000, ..Default::default() }, now(10));
        assert_eq!(ctx.sent_packets_since_last_rr, 0);
        ctx.sent_packets_since_last_rr = 100;
        ctx.nack_count = 10;
        // Too soon: ignored.
        ctx.incoming_report(&ReportBlock { ehsnr: 1100, flcnpl: 5, ..Default::default() }, now(11));
        assert_eq!(ctx.out_link_quality(), 0);
        ctx.incoming_report(&ReportBlock { ehsnr: 1100, flcnpl: 5, ..Default::default() }, now(13));
        assert_eq!(ctx.out_link_quality(), 90);
        assert_eq!(ctx.out_media_link_quality(), 95);
    }

    #[test]
    fn jitter_in_milliseconds() {
        let ctx = RtcpContext { tb: 90000, jitter: 900.0, jitter_remote: 45.0, ..Default::default() };
        assert_eq!(ctx.jitter_ms(false), 10);
        assert_eq!(ctx.jitter_ms(true), 0);
        assert_eq!(RtcpContext::default().jitter_ms(false), 0);
    }
}
