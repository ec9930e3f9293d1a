//! Exports of Janus' `rtp.c`: packet helpers, header extension parsers, codec names, SRTP error
//! names and randomness, the switching context (sequence/timestamp continuity and skew
//! compensation) and simulcast selection.
//!
//! Safety of every `unsafe extern "C"` export: the contract of its Janus prototype (pointers
//! NULL or valid for the lengths passed), which C callers cannot be checked against.
#![allow(clippy::missing_safety_doc)]

use libc::{c_char, c_int, c_uint};

use super::{c_bytes, guard, static_cstr};
use crate::rtp::codecs::{AudioCodec, VideoCodec};
use crate::rtp::extensions;
use crate::rtp::header::{is_rtp, RtpHeader, RTP_HEADER_SIZE};
use crate::rtp::simulcast::{RidResolver, SimulcastingContext};
use crate::rtp::srtp;
use crate::rtp::switching::SwitchingContext;
use crate::sys::crypto::rand_bytes;
use crate::sys::glib::{self, gboolean, GMutex, FALSE};
use crate::sys::jansson::{
    json_array_get, json_array_size, json_integer_value, json_object_get, json_string_value, json_t, json_typeof, JSON_INTEGER, JSON_STRING,
};

/// The packet a plugin passes as `(char *buf, int len)`; NULL or a negative length is an empty
/// packet, which every helper rejects the way Janus rejects a too-short one.
///
/// # Safety
/// `buf` must be NULL or point to `len` readable bytes that outlive `'a`.
pub(crate) unsafe fn packet<'a>(buf: *const c_char, len: c_int) -> &'a [u8] {
    match usize::try_from(len) {
        Ok(n) if !buf.is_null() => std::slice::from_raw_parts(buf as *const u8, n),
        _ => &[],
    }
}

/// As [`packet`], writable.
///
/// # Safety
/// `buf` must be NULL or point to `len` writable bytes, not aliased during `'a`.
pub(crate) unsafe fn packet_mut<'a>(buf: *mut c_char, len: c_int) -> &'a mut [u8] {
    match usize::try_from(len) {
        Ok(n) if !buf.is_null() => std::slice::from_raw_parts_mut(buf as *mut u8, n),
        _ => &mut [],
    }
}

/// Writes through an optional out-pointer.
///
/// # Safety
/// `p` must be NULL or valid for writes.
unsafe fn put<T>(p: *mut T, value: T) {
    if !p.is_null() {
        *p = value;
    }
}

#[no_mangle]
pub unsafe extern "C" fn janus_is_rtp(buf: *mut c_char, len: c_uint) -> gboolean {
    guard(FALSE, || {
        // Only the fixed header is looked at.
        gboolean::from(is_rtp(packet(buf, len.min(12) as c_int)))
    })
}

#[no_mangle]
pub unsafe extern "C" fn janus_rtp_payload(buf: *mut c_char, len: c_int, plen: *mut c_int) -> *mut c_char {
    guard(std::ptr::null_mut(), || {
        let bytes = packet(buf, len);
        let Some(offset) = RtpHeader::new(bytes).and_then(|h| h.payload_offset()) else {
            return std::ptr::null_mut();
        };
        put(plen, len - offset as c_int);
        buf.add(offset)
    })
}

#[no_mangle]
pub unsafe extern "C" fn janus_rtp_extension_id(type_: *const c_char) -> c_int {
    guard(0, || c_bytes(type_).map_or(0, extensions::default_id))
}

#[no_mangle]
pub unsafe extern "C" fn janus_rtp_header_extension_get_id(sdp: *const c_char, extension: *const c_char) -> c_int {
    guard(-1, || match (c_bytes(sdp), c_bytes(extension)) {
        (Some(sdp), Some(extension)) => extensions::id_from_sdp(sdp, extension),
        _ => -1,
    })
}

#[no_mangle]
pub unsafe extern "C" fn janus_rtp_header_extension_parse_audio_level(
    buf: *mut c_char,
    len: c_int,
    id: c_int,
    vad: *mut gboolean,
    level: *mut c_int,
) -> c_int {
    guard(-1, || match extensions::audio_level(packet(buf, len), id) {
        Some((voice, value)) => {
            put(vad, gboolean::from(voice));
            put(level, c_int::from(value));
            0
        }
        None => -1,
    })
}

#[no_mangle]
pub unsafe extern "C" fn janus_rtp_header_extension_parse_video_orientation(
    buf: *mut c_char,
    len: c_int,
    id: c_int,
    c: *mut gboolean,
    f: *mut gboolean,
    r1: *mut gboolean,
    r0: *mut gboolean,
) -> c_int {
    guard(-1, || match extensions::video_orientation(packet(buf, len), id) {
        Some(o) => {
            put(c, gboolean::from(o.camera));
            put(f, gboolean::from(o.flip));
            put(r1, gboolean::from(o.r1));
            put(r0, gboolean::from(o.r0));
            0
        }
        None => -1,
    })
}

#[no_mangle]
pub unsafe extern "C" fn janus_rtp_header_extension_parse_playout_delay(
    buf: *mut c_char,
    len: c_int,
    id: c_int,
    min_delay: *mut u16,
    max_delay: *mut u16,
) -> c_int {
    guard(-1, || match extensions::playout_delay(packet(buf, len), id) {
        Ok((min, max)) => {
            put(min_delay, min);
            put(max_delay, max);
            0
        }
        Err(e) => e.code(),
    })
}

#[no_mangle]
pub unsafe extern "C" fn janus_rtp_header_extension_parse_rid(
    buf: *mut c_char,
    len: c_int,
    id: c_int,
    sdes_item: *mut c_char,
    sdes_len: c_int,
) -> c_int {
    guard(-1, || {
        let out = packet_mut(sdes_item, sdes_len);
        match extensions::copy_sdes_item(packet(buf, len), id, out) {
            Ok(_) => 0,
            Err(e) => e.code(),
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn janus_audiocodec_from_name(name: *const c_char) -> c_int {
    guard(AudioCodec::None as c_int, || c_bytes(name).map_or(AudioCodec::None, AudioCodec::from_name) as c_int)
}

/// Janus answers for values outside the enum as for Opus.
fn audio_codec(value: c_int) -> AudioCodec {
    AudioCodec::from_raw(value).unwrap_or(AudioCodec::Opus)
}

/// Janus answers for values outside the enum as for VP8.
fn video_codec(value: c_int) -> VideoCodec {
    VideoCodec::from_raw(value).unwrap_or(VideoCodec::Vp8)
}

#[no_mangle]
pub extern "C" fn janus_audiocodec_name(acodec: c_int) -> *const c_char {
    guard(std::ptr::null(), || static_cstr(audio_codec(acodec).name()))
}

#[no_mangle]
pub extern "C" fn janus_audiocodec_pt(acodec: c_int) -> c_int {
    guard(-1, || audio_codec(acodec).payload_type())
}

#[no_mangle]
pub unsafe extern "C" fn janus_videocodec_from_name(name: *const c_char) -> c_int {
    guard(VideoCodec::None as c_int, || c_bytes(name).map_or(VideoCodec::None, VideoCodec::from_name) as c_int)
}

#[no_mangle]
pub extern "C" fn janus_videocodec_name(vcodec: c_int) -> *const c_char {
    guard(std::ptr::null(), || static_cstr(video_codec(vcodec).name()))
}

#[no_mangle]
pub extern "C" fn janus_videocodec_pt(vcodec: c_int) -> c_int {
    guard(-1, || video_codec(vcodec).payload_type())
}

#[no_mangle]
pub extern "C" fn janus_srtp_error_str(error: c_int) -> *const c_char {
    guard(std::ptr::null(), || srtp::error_name(error).map_or(std::ptr::null(), static_cstr))
}

/// Janus defines this libsrtp 1.x name itself (libsrtp2 does not export it); the SIP plugins
/// use it for SDES keys. OpenSSL's generator: 0 on success, -1 on failure.
#[no_mangle]
pub unsafe extern "C" fn srtp_crypto_get_random(key: *mut u8, len: c_int) -> c_int {
    guard(-1, || {
        let Ok(len) = usize::try_from(len) else { return -1 };
        let buf: &mut [u8] = match (key.is_null(), len) {
            (_, 0) => &mut [],
            (true, _) => return -1,
            (false, _) => std::slice::from_raw_parts_mut(key, len),
        };
        if rand_bytes(buf) {
            0
        } else {
            -1
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn janus_rtp_simulcasting_context_reset(context: *mut SimulcastingContext) {
    guard((), || {
        if let Some(context) = context.as_mut() {
            context.reset();
        }
    })
}

/// Locks the plugin's `rid_mutex` (a `janus_mutex`, i.e. a GMutex) for the guard's lifetime.
struct RidLock(*mut GMutex);

impl RidLock {
    /// # Safety
    /// `mutex` must be NULL or an initialised GMutex not held by this thread.
    unsafe fn new(mutex: *mut GMutex) -> RidLock {
        if !mutex.is_null() {
            glib::g_mutex_lock(mutex);
        }
        RidLock(mutex)
    }
}

impl Drop for RidLock {
    fn drop(&mut self) {
        if !self.0.is_null() {
            // SAFETY: locked in `new` by this thread.
            unsafe { glib::g_mutex_unlock(self.0) };
        }
    }
}

/// `simulcast` is the object the core puts in the JSEP (`{"ssrcs": [...]}` or
/// `{"rids": [...], "rid-ext": N}`). Rids come in the SDP's order (high to low quality) and
/// are stored reversed, so that index 0 is the lowest substream, like SSRCs.
#[no_mangle]
pub unsafe extern "C" fn janus_rtp_simulcasting_prepare(
    simulcast: *mut json_t,
    rid_ext_id: *mut c_int,
    ssrcs: *mut u32,
    rids: *mut *mut c_char,
) {
    guard((), || {
        if simulcast.is_null() {
            return;
        }
        let r = json_object_get(simulcast, c"rids".as_ptr());
        let s = json_object_get(simulcast, c"ssrcs".as_ptr());
        let rid_count = if r.is_null() { 0 } else { json_array_size(r) };
        let ssrc_count = if s.is_null() { 0 } else { json_array_size(s) };
        if rid_count > 0 {
            // Janus writes all `count` entries into the 3-slot array; we stop at 3.
            for slot in 0..rid_count.min(3) {
                let rid = json_array_get(r, rid_count - 1 - slot);
                if !rid.is_null() && json_typeof(rid) == JSON_STRING && !rids.is_null() {
                    *rids.add(slot) = glib::g_strdup(json_string_value(rid));
                }
            }
            let rid_ext = json_object_get(simulcast, c"rid-ext".as_ptr());
            put(rid_ext_id, json_integer_value(rid_ext) as c_int);
        } else if ssrc_count > 0 {
            for slot in 0..ssrc_count.min(3) {
                let ssrc = json_array_get(s, slot);
                if !ssrc.is_null() && json_typeof(ssrc) == JSON_INTEGER && !ssrcs.is_null() {
                    *ssrcs.add(slot) = json_integer_value(ssrc) as u32;
                }
            }
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn janus_rtp_simulcasting_cleanup(
    rid_ext_id: *mut c_int,
    ssrcs: *mut u32,
    rids: *mut *mut c_char,
    rid_mutex: *mut GMutex,
) {
    guard((), || {
        let _lock = RidLock::new(rid_mutex);
        put(rid_ext_id, -1);
        for slot in 0..3 {
            if !ssrcs.is_null() {
                *ssrcs.add(slot) = 0;
            }
            if !rids.is_null() {
                glib::g_free(*rids.add(slot) as glib::gpointer);
                *rids.add(slot) = std::ptr::null_mut();
            }
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn janus_rtp_simulcasting_context_process_rtp(
    context: *mut SimulcastingContext,
    buf: *mut c_char,
    len: c_int,
    ssrcs: *mut u32,
    rids: *mut *mut c_char,
    vcodec: c_int,
    sc: *mut SwitchingContext,
    rid_mutex: *mut GMutex,
) -> gboolean {
    guard(FALSE, || {
        let Some(context) = context.as_mut() else { return FALSE };
        if buf.is_null() || len < 1 || ssrcs.is_null() {
            return FALSE;
        }
        let known = [*ssrcs, *ssrcs.add(1), *ssrcs.add(2)];
        // A new SSRC is matched to a substream by its rid under the plugin's lock, which also
        // guards the plugin's writes to `rids`/`ssrcs` (renegotiation, cleanup).
        let mut learn_rid = |rid: &[u8], ssrc: u32| {
            let _lock = RidLock::new(rid_mutex);
            let slot = (0..3).find(|&i| {
                let known = *rids.add(i);
                !known.is_null() && c_bytes(known) == Some(rid)
            })?;
            *ssrcs.add(slot) = ssrc;
            Some(slot)
        };
        let resolve: Option<RidResolver<'_>> = if rids.is_null() { None } else { Some(&mut learn_rid) };
        // Unknown codec values get no keyframe detection, as in Janus.
        let vcodec = VideoCodec::from_raw(vcodec).unwrap_or(VideoCodec::None);
        gboolean::from(context.process_rtp(packet(buf, len), known, resolve, vcodec, sc.as_mut(), crate::utils::monotonic_time()))
    })
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
pub unsafe extern "C" fn janus_rtp_header_update(header: *mut u8, context: *mut SwitchingContext, video: gboolean, _step: c_int) {
    guard((), || {
        if let (Some(packet), Some(ctx)) = (fixed_header(header), context.as_mut()) {
            ctx.update_header(packet, video != 0, crate::utils::monotonic_time());
        }
    })
}

/// Janus dereferences both pointers unchecked; NULL here is a no-op returning 0 instead.
#[no_mangle]
pub unsafe extern "C" fn janus_rtp_skew_compensate_audio(header: *mut u8, context: *mut SwitchingContext, now: i64) -> c_int {
    guard(0, || match (fixed_header(header), context.as_mut()) {
        (Some(packet), Some(ctx)) => ctx.skew_compensate_audio(packet, now),
        _ => 0,
    })
}

/// As [`janus_rtp_skew_compensate_audio`], with the 90 kHz video clock.
#[no_mangle]
pub unsafe extern "C" fn janus_rtp_skew_compensate_video(header: *mut u8, context: *mut SwitchingContext, now: i64) -> c_int {
    guard(0, || match (fixed_header(header), context.as_mut()) {
        (Some(packet), Some(ctx)) => ctx.skew_compensate_video(packet, now),
        _ => 0,
    })
}
