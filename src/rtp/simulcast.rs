//! Simulcast substream and temporal layer selection (`janus_rtp_simulcasting_context`): per
//! subscriber, decides which of up to three incoming substreams (told apart by SSRC or by the
//! `rid` header extension) and which VP8 temporal layers are relayed, switching only on
//! keyframes and falling back to a lower substream when the wanted one stops flowing.

use super::codecs::VideoCodec;
use super::extensions;
use super::header::RtpHeader;
use super::switching::SwitchingContext;
use super::vp8;

/// Janus' layout, 56 bytes (plugins embed it and set the targets directly).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SimulcastingContext {
    pub rid_ext_id: i32,
    pub substream: i32,
    pub substream_target: i32,
    pub substream_target_temp: i32,
    pub templayer: i32,
    pub templayer_target: i32,
    /// µs without packets on the current substream before falling back; 0 means 250 ms.
    pub drop_trigger: u32,
    pub last_relayed: i64,
    /// gboolean
    pub changed_substream: i32,
    /// gboolean
    pub changed_temporal: i32,
    /// gboolean
    pub need_pli: i32,
}

const _: () = {
    use std::mem::{align_of, offset_of, size_of};
    assert!(size_of::<SimulcastingContext>() == 56 && align_of::<SimulcastingContext>() == 8);
    assert!(offset_of!(SimulcastingContext, drop_trigger) == 24);
    assert!(offset_of!(SimulcastingContext, last_relayed) == 32);
    assert!(offset_of!(SimulcastingContext, changed_substream) == 40);
    assert!(offset_of!(SimulcastingContext, need_pli) == 48);
};

/// Maps a packet's rid (and SSRC) to a substream, remembering the SSRC; see `process_rtp`.
pub type RidResolver<'a> = &'a mut dyn FnMut(&[u8], u32) -> Option<usize>;

const DEFAULT_DROP_TRIGGER: i64 = 250_000;

/// Longest rid Janus compares (it parses into a 16-byte buffer).
pub const MAX_RID_LEN: usize = 15;

impl SimulcastingContext {
    /// `janus_rtp_simulcasting_context_reset`: nothing chosen yet, no rid extension.
    pub fn reset(&mut self) {
        *self = SimulcastingContext { rid_ext_id: -1, substream: -1, substream_target_temp: -1, templayer: -1, ..Default::default() };
    }

    /// `janus_rtp_simulcasting_context_process_rtp`: whether to relay `packet`.
    ///
    /// `ssrcs` are the known SSRCs of substreams 0..2 (0 = unknown). For a packet from another
    /// SSRC, if the context has a rid extension id and `resolve_rid` is given, the packet's rid
    /// (cut to [`MAX_RID_LEN`] bytes, up to its first NUL) is handed to `resolve_rid` with the
    /// SSRC; it returns the matching substream and is expected to remember the SSRC for it
    /// (under the plugin's lock, as Janus does). `now` is the monotonic time in µs. When a VP8
    /// packet of a temporal layer above the current one is dropped, `sc.base_seq` is bumped so
    /// that the relayed sequence numbers stay gapless.
    pub fn process_rtp(
        &mut self,
        packet: &[u8],
        ssrcs: [u32; 3],
        resolve_rid: Option<RidResolver<'_>>,
        vcodec: VideoCodec,
        sc: Option<&mut SwitchingContext>,
        now: i64,
    ) -> bool {
        let Some(header) = RtpHeader::new(packet) else { return false };
        let ssrc = header.ssrc();
        let substream = match ssrcs.iter().position(|&s| s == ssrc) {
            Some(index) => index as i32,
            None => {
                let Some(resolve) = resolve_rid.filter(|_| self.rid_ext_id >= 1) else { return false };
                let mut rid = [0u8; MAX_RID_LEN + 1];
                if extensions::copy_sdes_item(packet, self.rid_ext_id, &mut rid).is_err() {
                    return false;
                }
                let rid_len = rid.iter().position(|&b| b == 0).unwrap_or(MAX_RID_LEN);
                match resolve(&rid[..rid_len], ssrc) {
                    Some(index) if index < 3 => index as i32,
                    _ => return false,
                }
            }
        };
        self.changed_substream = 0;
        self.changed_temporal = 0;
        self.need_pli = 0;
        let Some(offset) = header.payload_offset() else { return false };
        let payload = &packet[offset..];
        // Drop a temporary fallback target once the wanted substream flows again (something
        // above the fallback arrives) or the plugin lowered the target itself.
        if self.substream_target_temp != -1
            && (substream > self.substream_target_temp || self.substream_target <= self.substream_target_temp)
        {
            self.substream_target_temp = -1;
        }
        let target = if self.substream_target_temp == -1 { self.substream_target } else { self.substream_target_temp };
        if self.substream == -1 {
            if !vcodec.simulcast_keyframe(payload) {
                return false;
            }
            self.substream = substream;
            self.changed_substream = 1;
            self.last_relayed = now;
        } else if self.substream != target {
            let towards_target =
                (self.substream < target && substream > self.substream) || (self.substream > target && substream < self.substream);
            if towards_target && vcodec.simulcast_keyframe(payload) {
                self.substream = substream;
                self.changed_substream = 1;
                self.last_relayed = now;
            }
        }
        if self.last_relayed == 0 {
            self.last_relayed = now;
        } else if self.substream > 0 {
            let trigger = if self.drop_trigger != 0 { i64::from(self.drop_trigger) } else { DEFAULT_DROP_TRIGGER };
            if now - self.last_relayed > trigger {
                self.last_relayed = now;
                if self.substream != substream && self.substream_target_temp != 0 && self.substream_target > substream {
                    let previous = self.substream_target_temp;
                    self.substream_target_temp = if previous == -1 { self.substream_target - 1 } else { previous - 1 }.max(0);
                    if self.substream_target_temp != previous {
                        // Falling back: the plugin must ask the publisher for a keyframe.
                        self.need_pli = 1;
                    }
                }
            }
        }
        if self.substream < 0 || substream != self.substream {
            return false;
        }
        self.last_relayed = now;
        if vcodec == VideoCodec::Vp8 {
            if let Some(d) = vp8::parse_descriptor(payload) {
                let tid = i32::from(d.tid);
                if self.templayer != self.templayer_target && tid == self.templayer_target {
                    self.templayer = self.templayer_target;
                    self.changed_temporal = 1;
                }
                if self.templayer != -1 && tid > self.templayer {
                    if let Some(sc) = sc {
                        sc.base_seq = sc.base_seq.wrapping_add(1);
                    }
                    return false;
                }
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rtp::codecs::tests::vp8_payload;
    use crate::rtp::extensions::tests::with_extension;

    const SSRCS: [u32; 3] = [100, 200, 300];

    fn rtp(ssrc: u32, payload: &[u8]) -> Vec<u8> {
        let mut p = vec![0x80, 96, 0, 1, 0, 0, 0, 1];
        p.extend_from_slice(&ssrc.to_be_bytes());
        p.extend_from_slice(payload);
        p
    }

    fn key(ssrc: u32) -> Vec<u8> {
        rtp(ssrc, &vp8_payload(true, true, 1, 1, 0))
    }

    fn delta(ssrc: u32, tid: u8) -> Vec<u8> {
        rtp(ssrc, &vp8_payload(true, false, 2, 1, tid))
    }

    fn context(target: i32, templayer_target: i32) -> SimulcastingContext {
        let mut ctx = SimulcastingContext::default();
        ctx.reset();
        ctx.substream_target = target;
        ctx.templayer_target = templayer_target;
        ctx
    }

    fn relay(ctx: &mut SimulcastingContext, packet: &[u8], now: i64) -> bool {
        ctx.process_rtp(packet, SSRCS, None, VideoCodec::Vp8, None, now)
    }

    #[test]
    fn reset_values() {
        let mut ctx = SimulcastingContext { need_pli: 1, last_relayed: 9, ..Default::default() };
        ctx.reset();
        assert_eq!((ctx.rid_ext_id, ctx.substream, ctx.substream_target_temp, ctx.templayer), (-1, -1, -1, -1));
        assert_eq!((ctx.substream_target, ctx.last_relayed, ctx.need_pli), (0, 0, 0));
    }

    #[test]
    fn waits_for_a_keyframe_then_switches_up_on_keyframes() {
        let mut ctx = context(2, 2);
        assert!(!relay(&mut ctx, &delta(100, 0), 1000));
        assert_eq!(ctx.substream, -1);
        assert!(relay(&mut ctx, &key(100), 2000));
        assert_eq!((ctx.substream, ctx.changed_substream), (0, 1));
        // A delta on the higher substream does not switch; its keyframe does.
        assert!(!relay(&mut ctx, &delta(300, 0), 3000));
        assert!(relay(&mut ctx, &delta(100, 0), 3000));
        assert_eq!(ctx.changed_substream, 0);
        assert!(relay(&mut ctx, &key(300), 4000));
        assert_eq!((ctx.substream, ctx.changed_substream), (2, 1));
        assert!(!relay(&mut ctx, &delta(100, 0), 4100));
        // Unknown SSRC and no rid: dropped.
        assert!(!relay(&mut ctx, &key(400), 4200));
    }

    #[test]
    fn switches_down_when_the_target_is_lowered() {
        let mut ctx = context(2, 2);
        relay(&mut ctx, &key(300), 0);
        ctx.substream_target = 0;
        // 200 is below the current substream and a keyframe: taken on the way to 0.
        assert!(relay(&mut ctx, &key(200), 10));
        assert_eq!(ctx.substream, 1);
        assert!(relay(&mut ctx, &key(100), 20));
        assert_eq!(ctx.substream, 0);
    }

    #[test]
    fn falls_back_when_the_substream_stops() {
        let mut ctx = context(2, 2);
        assert!(relay(&mut ctx, &key(300), 1_000_000));
        // Substream 2 goes quiet; within the trigger nothing happens.
        assert!(!relay(&mut ctx, &delta(100, 0), 1_200_000));
        assert_eq!((ctx.need_pli, ctx.substream_target_temp), (0, -1));
        // Past 250 ms: fall back to 1 and ask for a PLI.
        assert!(!relay(&mut ctx, &delta(100, 0), 1_260_001));
        assert_eq!((ctx.need_pli, ctx.substream_target_temp), (1, 1));
        assert!(!relay(&mut ctx, &delta(100, 0), 1_300_000));
        assert_eq!(ctx.need_pli, 0);
        // Another 250 ms: down to 0.
        assert!(!relay(&mut ctx, &delta(200, 0), 1_600_000));
        assert_eq!((ctx.need_pli, ctx.substream_target_temp), (1, 0));
        assert!(relay(&mut ctx, &key(100), 1_600_100));
        assert_eq!(ctx.substream, 0);
        // Substream 2 is back: the temporary target is dropped, and its keyframe switches up.
        assert!(relay(&mut ctx, &key(300), 1_700_000));
        assert_eq!((ctx.substream, ctx.substream_target_temp), (2, -1));
    }

    #[test]
    fn custom_drop_trigger() {
        let mut ctx = context(2, 2);
        ctx.drop_trigger = 1_000_000;
        relay(&mut ctx, &key(300), 1);
        relay(&mut ctx, &delta(100, 0), 500_000);
        assert_eq!(ctx.need_pli, 0);
        relay(&mut ctx, &delta(100, 0), 1_000_002);
        assert_eq!((ctx.need_pli, ctx.substream_target_temp), (1, 1));
    }

    #[test]
    fn vp8_temporal_layers_are_capped() {
        let mut ctx = context(0, 0);
        let mut sc = SwitchingContext::default();
        assert!(ctx.process_rtp(&key(100), SSRCS, None, VideoCodec::Vp8, Some(&mut sc), 1));
        assert_eq!((ctx.templayer, ctx.changed_temporal), (0, 1));
        assert!(!ctx.process_rtp(&delta(100, 1), SSRCS, None, VideoCodec::Vp8, Some(&mut sc), 2));
        assert!(!ctx.process_rtp(&delta(100, 2), SSRCS, None, VideoCodec::Vp8, Some(&mut sc), 3));
        assert_eq!(sc.base_seq, 2);
        // Raise the target: layers stay capped until a packet of the target layer arrives.
        ctx.templayer_target = 2;
        assert!(!ctx.process_rtp(&delta(100, 1), SSRCS, None, VideoCodec::Vp8, Some(&mut sc), 4));
        assert_eq!((ctx.templayer, sc.base_seq), (0, 3));
        assert!(ctx.process_rtp(&delta(100, 2), SSRCS, None, VideoCodec::Vp8, Some(&mut sc), 5));
        assert_eq!((ctx.templayer, ctx.changed_temporal, sc.base_seq), (2, 1, 3));
        assert!(ctx.process_rtp(&delta(100, 1), SSRCS, None, VideoCodec::Vp8, Some(&mut sc), 6));
    }

    #[test]
    fn h264_substreams_and_other_codecs() {
        let mut ctx = context(1, 0);
        let sps = rtp(200, &[0x67, 0x42, 0, 0x1f, 0, 0]);
        assert!(ctx.process_rtp(&sps, SSRCS, None, VideoCodec::H264, None, 5));
        // AV1 has no keyframe detection here: never starts.
        let mut ctx = context(0, 0);
        assert!(!ctx.process_rtp(&rtp(100, &[0x08, 0, 0, 0]), SSRCS, None, VideoCodec::Av1, None, 5));
    }

    #[test]
    fn rid_based_substreams() {
        let rids: [&[u8]; 3] = [b"h", b"m", b"l"];
        let mut ssrcs = [0u32; 3];
        let mut ctx = context(1, 2);
        ctx.rid_ext_id = 4;
        let with_rid = |rid: &[u8], ssrc: u32| {
            let mut body = vec![0x40 | (rid.len() as u8 - 1)];
            body.extend_from_slice(rid);
            body.resize(body.len().div_ceil(4) * 4, 0);
            let mut p = with_extension(0xBEDE, &body, &vp8_payload(true, true, 1, 1, 0));
            p[8..12].copy_from_slice(&ssrc.to_be_bytes());
            p
        };
        let process = |ctx: &mut SimulcastingContext, ssrcs: &mut [u32; 3], p: &[u8]| {
            let snapshot = *ssrcs;
            let mut resolve = |rid: &[u8], ssrc: u32| {
                let index = rids.iter().position(|r| *r == rid)?;
                ssrcs[index] = ssrc;
                Some(index)
            };
            ctx.process_rtp(p, snapshot, Some(&mut resolve), VideoCodec::Vp8, None, 10)
        };
        assert!(process(&mut ctx, &mut ssrcs, &with_rid(b"m", 555)));
        assert_eq!((ssrcs, ctx.substream), ([0, 555, 0], 1));
        // Known now by SSRC; a packet of "h" is learnt but not relayed (no switch up to 0).
        assert!(process(&mut ctx, &mut ssrcs, &with_rid(b"m", 555)));
        assert!(!process(&mut ctx, &mut ssrcs, &with_rid(b"h", 444)));
        assert_eq!((ssrcs, ctx.substream), ([444, 555, 0], 1));
        assert!(!process(&mut ctx, &mut ssrcs, &with_rid(b"x", 777)));
        assert_eq!(ssrcs, [444, 555, 0]);
        // No rid extension id: unknown SSRCs are dropped without looking.
        ctx.rid_ext_id = -1;
        assert!(!process(&mut ctx, &mut ssrcs, &with_rid(b"h", 999)));
        assert_eq!(ssrcs, [444, 555, 0]);
    }
}
