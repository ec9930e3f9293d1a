//! The RTP switching context (`janus_rtp_switching_context`): what a plugin keeps per outgoing
//! stream so that sequence numbers and timestamps stay continuous when the source changes
//! (another publisher, a new SSRC, a simulcast layer switch), plus skew compensation state.
//!
//! Plugins embed this struct and read some fields directly, so it keeps Janus' exact layout.

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

impl SwitchingContext {
    /// `janus_rtp_switching_context_reset`: everything back to zero.
    pub fn reset(&mut self) {
        *self = SwitchingContext::default();
    }
}
