//! The RTP switching context (`janus_rtp_switching_context`): what a plugin keeps per outgoing
//! stream so that sequence numbers and timestamps stay continuous when the source changes
//! (another publisher, a new SSRC, a simulcast layer switch), plus skew compensation state.
//!
//! Plugins embed this struct and read some fields directly, so it keeps Janus' exact layout.
//!
//! Time is an argument (`now`, monotonic microseconds as `janus_get_monotonic_time` gives
//! it): the export layer reads the clock, the logic here never does.

use super::header::{set_sequence_number, set_timestamp, RtpHeader};

/// Field names and order are Janus' (x86_64 layout: 96 bytes, checked below).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SwitchingContext {
    pub last_ssrc: u32,
    pub last_ts: u32,
    pub base_ts: u32,
    pub base_ts_prev: u32,
    pub prev_ts: u32,
    pub target_ts: u32,
    pub start_ts: u32,
    pub last_seq: u16,
    pub prev_seq: u16,
    pub base_seq: u16,
    pub base_seq_prev: u16,
    /// gboolean
    pub ts_reset: i32,
    /// gboolean
    pub seq_reset: i32,
    /// gboolean
    pub new_ssrc: i32,
    pub seq_offset: i16,
    pub prev_delay: i32,
    pub active_delay: i32,
    pub ts_offset: i32,
    pub last_time: i64,
    pub reference_time: i64,
    pub start_time: i64,
    pub evaluating_start_time: i64,
}

const _: () = {
    use std::mem::{align_of, offset_of, size_of};
    assert!(size_of::<SwitchingContext>() == 96 && align_of::<SwitchingContext>() == 8);
    assert!(offset_of!(SwitchingContext, start_ts) == 24);
    assert!(offset_of!(SwitchingContext, last_seq) == 28);
    assert!(offset_of!(SwitchingContext, base_seq_prev) == 34);
    assert!(offset_of!(SwitchingContext, ts_reset) == 36);
    assert!(offset_of!(SwitchingContext, seq_offset) == 48);
    assert!(offset_of!(SwitchingContext, prev_delay) == 52);
    assert!(offset_of!(SwitchingContext, ts_offset) == 60);
    assert!(offset_of!(SwitchingContext, last_time) == 64);
    assert!(offset_of!(SwitchingContext, evaluating_start_time) == 88);
};

/// Skew analysis waits this long after a new SSRC, then evaluates for as long again
/// (half of Janus' `SKEW_DETECTION_WAIT_TIME_SECS`, 10 s).
const SKEW_PHASE_US: i64 = 5_000_000;
/// `RTP_AUDIO_SKEW_TH_MS` and `RTP_VIDEO_SKEW_TH_MS`.
const SKEW_THRESHOLD_MS: i32 = 120;

/// Clock rate Janus assumes for a stream, in kHz: 90 for video, 48 for audio (Opus), and 8
/// for the static payload types of G.711 (0, 8) and G.722 (9).
fn clock_khz(video: bool, payload_type: u8) -> u32 {
    match (video, payload_type) {
        (true, _) => 90,
        (false, 0 | 8 | 9) => 8,
        (false, _) => 48,
    }
}

impl SwitchingContext {
    /// `janus_rtp_switching_context_reset`: everything back to zero.
    pub fn reset(&mut self) {
        *self = SwitchingContext::default();
    }

    /// `janus_rtp_header_update`: rewrites the sequence number and timestamp of `packet` so
    /// that they continue the stream this context has seen so far, whatever the source.
    ///
    /// A new SSRC (the first packet counts as one, unless its SSRC is 0) re-bases both
    /// counters; the timestamp then also advances by the time elapsed since the previous
    /// packet at the stream's clock rate, at least by 1. Out of a fresh context the first
    /// packet gets sequence number 1 and timestamp 0. The SSRC itself is left as is.
    /// Packets shorter than a fixed header are left untouched.
    pub fn update_header(&mut self, packet: &mut [u8], video: bool, now: i64) {
        let Some(header) = RtpHeader::new(packet) else { return };
        let (ssrc, timestamp, seq) = (header.ssrc(), header.timestamp(), header.sequence_number());
        let payload_type = header.payload_type();
        if ssrc != self.last_ssrc {
            self.last_ssrc = ssrc;
            self.ts_reset = 1;
            self.seq_reset = 1;
            self.new_ssrc = 1;
        }
        if self.ts_reset != 0 {
            self.ts_reset = 0;
            self.base_ts_prev = self.last_ts;
            self.base_ts = timestamp;
            if self.last_time > 0 {
                let elapsed = (now - self.last_time).wrapping_mul(i64::from(clock_khz(video, payload_type))) / 1000;
                // Even a switch within the same millisecond must move the timestamp on.
                let bump = if elapsed == 0 { 1 } else { elapsed as u32 };
                self.base_ts_prev = self.base_ts_prev.wrapping_add(bump);
                self.prev_ts = self.prev_ts.wrapping_add(bump);
                self.last_ts = self.last_ts.wrapping_add(bump);
            }
        }
        if self.seq_reset != 0 {
            self.seq_reset = 0;
            self.base_seq_prev = self.last_seq;
            self.base_seq = seq;
        }
        self.prev_ts = self.last_ts;
        self.last_ts = timestamp.wrapping_sub(self.base_ts).wrapping_add(self.base_ts_prev);
        self.prev_seq = self.last_seq;
        self.last_seq = seq.wrapping_sub(self.base_seq).wrapping_add(self.base_seq_prev).wrapping_add(1);
        set_timestamp(packet, self.last_ts);
        set_sequence_number(packet, self.last_seq);
        self.last_time = now;
    }

    /// `janus_rtp_skew_compensate_audio`: see [`SwitchingContext::skew_compensate`].
    pub fn skew_compensate_audio(&mut self, packet: &mut [u8], now: i64) -> i32 {
        self.skew_compensate(packet, false, now)
    }

    /// `janus_rtp_skew_compensate_video`: see [`SwitchingContext::skew_compensate`].
    pub fn skew_compensate_video(&mut self, packet: &mut [u8], now: i64) -> i32 {
        self.skew_compensate(packet, true, now)
    }

    /// Detects a source clock drifting from ours (by more than 120 ms worth of timestamp
    /// units) and compensates, on a packet [`update_header`](Self::update_header) has just
    /// rewritten. Nothing happens during the first 5 s after a new SSRC; the next 5 s are an
    /// evaluation phase, restarted whenever the drift exceeds half the threshold. Then:
    /// a source running slow makes the timestamp jump ahead and the sequence number jump by
    /// N, returned as `+N`; a source running fast makes the timestamp go back, and packets
    /// must be dropped (`-1`) until the stream reaches where it was. Otherwise `0`.
    /// Once analysis is on, the packet's timestamp and sequence number get the accumulated
    /// offsets (also for dropped packets, as Janus does).
    fn skew_compensate(&mut self, packet: &mut [u8], video: bool, now: i64) -> i32 {
        let Some(header) = RtpHeader::new(packet) else { return 0 };
        let khz = clock_khz(video, header.payload_type());
        if self.new_ssrc != 0 {
            self.reference_time = now;
            self.start_time = 0;
            self.evaluating_start_time = 0;
            self.start_ts = 0;
            self.active_delay = 0;
            self.prev_delay = 0;
            self.seq_offset = 0;
            self.ts_offset = 0;
            self.target_ts = 0;
            self.new_ssrc = 0;
        }
        if now - self.reference_time < SKEW_PHASE_US {
            return 0;
        }
        if self.start_time == 0 {
            self.restart_evaluation(now);
        }
        let mut status = 0;
        if self.target_ts > 0 && (self.target_ts.wrapping_sub(self.last_ts) as i32) > 0 {
            // Still catching up with a fast source: keep dropping.
            self.seq_offset = self.seq_offset.wrapping_sub(1);
            status = -1;
        } else {
            self.target_ts = 0;
            // Only in-order packets starting a new frame say anything about the clock; the
            // comparison is in int as in C, so the wrap from 65535 to 0 does not count.
            if i32::from(self.last_seq) == i32::from(self.prev_seq) + 1 && self.last_ts != self.prev_ts {
                let expected_ts =
                    ((now - self.start_time).wrapping_mul(i64::from(khz)) / 1000).wrapping_add(i64::from(self.start_ts)) as u32;
                let delay_now = self.last_ts.wrapping_sub(expected_ts) as i32;
                let delay_estimate = self.prev_delay.wrapping_mul(63).wrapping_add(delay_now) / 64;
                self.prev_delay = delay_estimate;
                let offset = self.active_delay.wrapping_sub(delay_estimate);
                let threshold = SKEW_THRESHOLD_MS * khz as i32;
                if self.evaluating_start_time > 0 {
                    if now - self.evaluating_start_time <= SKEW_PHASE_US {
                        if offset.unsigned_abs() > (threshold / 2) as u32 {
                            self.restart_evaluation(now);
                        }
                    } else {
                        self.evaluating_start_time = 0;
                    }
                    return 0;
                }
                if offset >= threshold {
                    // The source is slow: jump ahead by one threshold worth of timestamp, and
                    // by as many sequence numbers as packets that span would have had.
                    self.active_delay = delay_estimate;
                    self.ts_offset = self.ts_offset.wrapping_add(threshold);
                    let ts_increment = self.last_ts.wrapping_sub(self.prev_ts);
                    let jump = ((threshold as u32).wrapping_add(ts_increment).wrapping_sub(1) / ts_increment) as u16;
                    self.seq_offset = self.seq_offset.wrapping_add(jump as i16);
                    status = i32::from(jump);
                } else if offset <= -threshold {
                    // The source is fast: go back, and drop until it has caught up.
                    self.active_delay = delay_estimate;
                    self.ts_offset = self.ts_offset.wrapping_sub(threshold);
                    self.target_ts = self.last_ts.wrapping_add(threshold as u32).max(1);
                    self.seq_offset = self.seq_offset.wrapping_sub(1);
                    status = -1;
                }
            }
        }
        set_timestamp(packet, self.last_ts.wrapping_add(self.ts_offset as u32));
        set_sequence_number(packet, self.last_seq.wrapping_add(self.seq_offset as u16));
        status
    }

    fn restart_evaluation(&mut self, now: i64) {
        self.start_time = now;
        self.evaluating_start_time = now;
        self.start_ts = self.last_ts;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rtp::header::RtpHeader;

    fn packet(pt: u8, seq: u16, ts: u32, ssrc: u32) -> [u8; 14] {
        let mut p = [0u8; 14];
        p[0] = 0x80;
        p[1] = pt;
        p[2..4].copy_from_slice(&seq.to_be_bytes());
        p[4..8].copy_from_slice(&ts.to_be_bytes());
        p[8..12].copy_from_slice(&ssrc.to_be_bytes());
        p[12..].copy_from_slice(&[0xf8, 0xff]);
        p
    }

    /// Runs one packet through `update_header` and returns the (seq, ts, ssrc) it now carries.
    fn update(ctx: &mut SwitchingContext, pt: u8, seq: u16, ts: u32, ssrc: u32, video: bool, now: i64) -> (u16, u32, u32) {
        let mut p = packet(pt, seq, ts, ssrc);
        ctx.update_header(&mut p, video, now);
        assert_eq!(&p[12..], &[0xf8, 0xff], "payload untouched");
        let h = RtpHeader::new(&p).unwrap();
        (h.sequence_number(), h.timestamp(), h.ssrc())
    }

    #[test]
    fn first_packet_is_seq_1_ts_0_and_ssrc_is_kept() {
        let mut ctx = SwitchingContext::default();
        assert_eq!(update(&mut ctx, 111, 5000, 123456, 0xabcd, false, 1_000), (1, 0, 0xabcd));
        assert_eq!((ctx.last_ssrc, ctx.new_ssrc, ctx.ts_reset, ctx.seq_reset), (0xabcd, 1, 0, 0));
        assert_eq!((ctx.base_seq, ctx.base_ts, ctx.last_time), (5000, 123456, 1_000));
        // The following packets keep their spacing.
        assert_eq!(update(&mut ctx, 111, 5001, 124416, 0xabcd, false, 21_000), (2, 960, 0xabcd));
        assert_eq!(update(&mut ctx, 111, 5003, 126336, 0xabcd, false, 61_000), (4, 2880, 0xabcd));
        // Out of order: goes back as the input does.
        assert_eq!(update(&mut ctx, 111, 5002, 125376, 0xabcd, false, 62_000), (3, 1920, 0xabcd));
        assert_eq!((ctx.prev_seq, ctx.prev_ts), (4, 2880));
    }

    #[test]
    fn ssrc_zero_first_packet_is_not_a_switch() {
        let mut ctx = SwitchingContext::default();
        assert_eq!(update(&mut ctx, 96, 7, 900, 0, true, 1), (8, 900, 0));
        assert_eq!(ctx.new_ssrc, 0);
    }

    #[test]
    fn input_wraparound_stays_continuous() {
        let mut ctx = SwitchingContext::default();
        let (mut seq, mut ts) = (65534u16, u32::MAX - 1000);
        let mut out = Vec::new();
        for i in 0..5 {
            out.push(update(&mut ctx, 96, seq, ts, 42, true, 1 + i * 33_000));
            seq = seq.wrapping_add(1);
            ts = ts.wrapping_add(3000);
        }
        let seqs: Vec<u16> = out.iter().map(|o| o.0).collect();
        let tss: Vec<u32> = out.iter().map(|o| o.1).collect();
        assert_eq!(seqs, [1, 2, 3, 4, 5]);
        assert_eq!(tss, [0, 3000, 6000, 9000, 12000]);
    }

    #[test]
    fn output_wraps_like_the_c_arithmetic() {
        let mut ctx = SwitchingContext { last_seq: 65535, last_ts: u32::MAX - 10, last_time: 0, ..Default::default() };
        // New SSRC, no last_time: no bump, continues right after the previous values.
        assert_eq!(update(&mut ctx, 111, 100, 5000, 9, false, 50), (0, u32::MAX - 10, 9));
        assert_eq!(update(&mut ctx, 111, 101, 5960, 9, false, 70), (1, 949, 9));
    }

    #[test]
    fn ssrc_switch_bumps_timestamp_by_elapsed_time() {
        // (video, payload type, expected bump for 100 ms)
        for (video, pt, bump) in
            [(true, 96, 9000u32), (false, 111, 4800), (false, 0, 800), (false, 8, 800), (false, 9, 800), (true, 0, 9000)]
        {
            let mut ctx = SwitchingContext::default();
            update(&mut ctx, pt, 10, 1000, 1, video, 1_000_000);
            let (s, t, _) = update(&mut ctx, pt, 11, 4000, 1, video, 1_020_000);
            assert_eq!((s, t), (2, 3000));
            // Another source, unrelated numbers, 100 ms later.
            let (s, t, ssrc) = update(&mut ctx, pt, 60000, 777_777, 2, video, 1_120_000);
            assert_eq!((s, t, ssrc), (3, 3000 + bump, 2), "video={video} pt={pt}");
            let (s, t, _) = update(&mut ctx, pt, 60001, 777_777 + 960, 2, video, 1_140_000);
            assert_eq!((s, t), (4, 3000 + bump + 960));
            assert_eq!(ctx.base_ts_prev, 3000 + bump);
        }
    }

    #[test]
    fn switch_within_a_millisecond_still_moves_timestamp() {
        let mut ctx = SwitchingContext::default();
        update(&mut ctx, 111, 1, 0, 1, false, 5_000);
        assert_eq!(update(&mut ctx, 111, 1, 0, 2, false, 5_010), (2, 1, 2));
        // Switching back is a switch too.
        assert_eq!(update(&mut ctx, 111, 2, 960, 1, false, 5_020), (3, 2, 1));
    }

    #[test]
    fn requested_resets_rebase_without_ssrc_change() {
        // What the recorder does on resume: ts_reset/seq_reset with last_time = resume time.
        let mut ctx = SwitchingContext::default();
        update(&mut ctx, 111, 1, 0, 1, false, 1_000_000);
        update(&mut ctx, 111, 2, 960, 1, false, 1_020_000);
        ctx.ts_reset = 1;
        ctx.seq_reset = 1;
        ctx.last_time = 3_000_000;
        // 500 packets were skipped while paused; 40 ms after resuming the next one arrives.
        assert_eq!(update(&mut ctx, 111, 502, 960 * 501, 1, false, 3_040_000), (3, 960 + 1920, 1));
        assert_eq!((ctx.base_seq, ctx.base_ts, ctx.base_ts_prev), (502, 960 * 501, 960 + 1920));
    }

    #[test]
    fn short_packets_are_ignored() {
        let mut ctx = SwitchingContext::default();
        let mut p = [0x80u8; 11];
        ctx.update_header(&mut p, true, 1);
        assert_eq!((p, ctx), ([0x80u8; 11], SwitchingContext::default()));
        assert_eq!(ctx.skew_compensate_video(&mut p, 1), 0);
    }

    /// Feeds an audio stream of 20 ms packets whose source clock runs at `rate` times ours,
    /// through `update_header` then `skew_compensate_audio`; returns per packet the
    /// status and the (seq, ts) written.
    fn skewed_audio(rate: f64, packets: usize) -> Vec<(i32, u16, u32)> {
        let mut ctx = SwitchingContext::default();
        (0..packets)
            .map(|i| {
                let now = 1_000_000 + i as i64 * 20_000;
                let ts = (i as f64 * 960.0 * rate) as u32;
                let mut p = packet(111, 100 + i as u16, 50_000 + ts, 7);
                ctx.update_header(&mut p, false, now);
                let status = ctx.skew_compensate_audio(&mut p, now);
                let h = RtpHeader::new(&p).unwrap();
                (status, h.sequence_number(), h.timestamp())
            })
            .collect()
    }

    #[test]
    fn skew_nothing_to_do_for_an_accurate_clock() {
        let out = skewed_audio(1.0, 2000);
        assert!(out.iter().all(|o| o.0 == 0));
        // No offsets applied: continuous numbering.
        for (i, o) in out.iter().enumerate() {
            assert_eq!((o.1, o.2), (1 + i as u16, 960 * i as u32));
        }
    }

    #[test]
    fn skew_fast_source_drops_until_caught_up() {
        let out = skewed_audio(1.005, 4000);
        let first = out.iter().position(|o| o.0 != 0).expect("compensation happens");
        // Not before the 5 s wait and 5 s evaluation.
        assert!(first >= 500, "first compensation at packet {first}");
        assert_eq!(out[first].0, -1);
        // Drops last until the stream reached the target, 120 ms of 48 kHz ahead (5760):
        // with 964.8 per packet that is 6 packets.
        let drops = out[first..].iter().take_while(|o| o.0 == -1).count();
        assert_eq!(drops, 6);
        // After the drops, the timestamp was moved back by the threshold and the sequence
        // numbers stay continuous with the packets before the drop.
        let after = out[first + drops];
        let before = out[first - 1];
        assert_eq!(after.1, before.1.wrapping_add(1));
        let raw_after = ((first + drops) as f64 * 960.0 * 1.005) as u32;
        assert_eq!(after.2, raw_after - 5760);
    }

    #[test]
    fn skew_slow_source_jumps_ahead() {
        let out = skewed_audio(0.995, 4000);
        let first = out.iter().position(|o| o.0 != 0).expect("compensation happens");
        assert!(first >= 500, "first compensation at packet {first}");
        // 5760 / 955.2 per packet, rounded up.
        assert_eq!(out[first].0, 7);
        let raw = (first as f64 * 960.0 * 0.995) as u32;
        assert_eq!(out[first].2, raw + 5760);
        assert_eq!(out[first].1, out[first - 1].1.wrapping_add(1 + 7));
    }

    #[test]
    fn skew_new_ssrc_resets_state_and_waits_again() {
        let mut ctx = SwitchingContext { seq_offset: 5, ts_offset: 100, target_ts: 9, start_time: 3, ..Default::default() };
        let mut p = packet(111, 1, 1, 1);
        ctx.update_header(&mut p, false, 10_000_000);
        assert_eq!(ctx.skew_compensate_audio(&mut p, 10_000_000), 0);
        assert_eq!((ctx.seq_offset, ctx.ts_offset, ctx.target_ts, ctx.start_time, ctx.new_ssrc), (0, 0, 0, 0, 0));
        assert_eq!(ctx.reference_time, 10_000_000);
        // Still in the waiting phase 4.9 s later: header untouched by compensation.
        ctx.last_seq = 40;
        let mut q = packet(111, 77, 88, 1);
        assert_eq!(ctx.skew_compensate_audio(&mut q, 14_900_000), 0);
        assert_eq!(q, packet(111, 77, 88, 1));
        // After 5 s: the evaluation phase starts and the header gets the (zero) offsets.
        assert_eq!(ctx.skew_compensate_audio(&mut q, 15_000_000), 0);
        assert_eq!((ctx.start_time, ctx.evaluating_start_time), (15_000_000, 15_000_000));
        let h = RtpHeader::new(&q).unwrap();
        assert_eq!(h.sequence_number(), 40);
    }
}
