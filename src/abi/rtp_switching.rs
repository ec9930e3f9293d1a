//! Exports of Janus' `rtp.c` that drive the RTP switching context (kept apart from the other
//! `rtp.c` exports for now; both stand in for the same source file).
//!
//! Safety contract of every export here: pointer arguments are NULL or what Janus' headers
//! say (a live recorder/context, a NUL-terminated string, a buffer of `length` bytes).
#![allow(clippy::missing_safety_doc)]

use libc::c_int;

use super::guard;
use crate::rtp::header::RTP_HEADER_SIZE;
use crate::rtp::switching::SwitchingContext;
use crate::sys::glib::gboolean;

/// `janus_get_monotonic_time`: CLOCK_MONOTONIC in microseconds.
// Local until the shared `crate::utils` time helper lands on main; then use that one.
pub(crate) fn monotonic_time_us() -> i64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec * 1_000_000 + ts.tv_nsec / 1_000
}

/// The fixed RTP header a `janus_rtp_header *` points to: C callers hand over no length, and
/// the fields these functions touch all lie within the first 12 bytes.
///
/// # Safety
/// `header` must be NULL or point to at least 12 writable bytes.
unsafe fn fixed_header<'a>(header: *mut u8) -> Option<&'a mut [u8]> {
    (!header.is_null()).then(|| std::slice::from_raw_parts_mut(header, RTP_HEADER_SIZE))
}

#[no_mangle]
pub unsafe extern "C" fn janus_rtp_switching_context_reset(context: *mut SwitchingContext) {
    guard((), || {
        if let Some(ctx) = context.as_mut() {
            ctx.reset();
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn janus_rtp_header_update(
    header: *mut u8,
    context: *mut SwitchingContext,
    video: gboolean,
    _step: c_int,
) {
    guard((), || {
        if let (Some(packet), Some(ctx)) = (fixed_header(header), context.as_mut()) {
            ctx.update_header(packet, video != 0, monotonic_time_us());
        }
    })
}

/// Janus dereferences both pointers unchecked; NULL here is a no-op returning 0 instead.
#[no_mangle]
pub unsafe extern "C" fn janus_rtp_skew_compensate_audio(
    header: *mut u8,
    context: *mut SwitchingContext,
    now: i64,
) -> c_int {
    guard(0, || match (fixed_header(header), context.as_mut()) {
        (Some(packet), Some(ctx)) => ctx.skew_compensate_audio(packet, now),
        _ => 0,
    })
}

/// As [`janus_rtp_skew_compensate_audio`], with the 90 kHz video clock.
#[no_mangle]
pub unsafe extern "C" fn janus_rtp_skew_compensate_video(
    header: *mut u8,
    context: *mut SwitchingContext,
    now: i64,
) -> c_int {
    guard(0, || match (fixed_header(header), context.as_mut()) {
        (Some(packet), Some(ctx)) => ctx.skew_compensate_video(packet, now),
        _ => 0,
    })
}
