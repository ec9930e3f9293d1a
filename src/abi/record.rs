//! Exports of Janus' `record.c`. A recorder is one `g_malloc0`ed block: the C
//! `janus_recorder` Janus' modules see (they read `filename`, and may take references
//! through `ref`), followed by the safe [`Recorder`] that does the work. The C fields are
//! refreshed from the Rust side after every call that changes them, so they read as in Janus.
//!
//! Safety contract of every export here: pointer arguments are NULL or what Janus' headers
//! say (a live recorder/context, a NUL-terminated string, a buffer of `length` bytes).
#![allow(clippy::missing_safety_doc)]

use std::ffi::{c_void, CStr};
use std::mem::{offset_of, size_of};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::Mutex;

use libc::{c_char, c_int, c_uint};

use super::json::to_jansson;
use super::refcount::JanusRefcount;
use super::{c_bytes, c_str, guard};
use crate::json::Json;
use crate::record::{Recorder, Target};
use crate::rtp::switching::SwitchingContext;
use crate::sys::glib::*;
use crate::sys::jansson::{json_decref, json_dumps, JSON_PRESERVE_ORDER};

/// `janus_recorder`, field for field (x86_64, GMutex build: 224 bytes).
#[repr(C)]
pub struct JanusRecorder {
    pub dir: *mut c_char,
    pub filename: *mut c_char,
    /// A `FILE *` in Janus; the file belongs to the Rust side here, so this stays NULL.
    pub file: *mut c_void,
    pub codec: *mut c_char,
    pub fmtp: *mut c_char,
    pub description: *mut c_char,
    /// id → URI, as in Janus (its iteration order is the order of the info header's `x`).
    pub extensions: *mut GHashTable,
    pub created: i64,
    pub started: i64,
    pub type_: c_int,
    pub opusred_pt: c_int,
    pub encrypted: gboolean,
    pub header: c_int,
    pub writable: c_int,
    pub paused: c_int,
    pub context: SwitchingContext,
    pub mutex: GMutex,
    pub destroyed: c_int,
    pub ref_: JanusRefcount,
}

const _: () = {
    assert!(size_of::<JanusRecorder>() == 224);
    assert!(offset_of!(JanusRecorder, filename) == 8);
    assert!(offset_of!(JanusRecorder, extensions) == 48);
    assert!(offset_of!(JanusRecorder, created) == 56);
    assert!(offset_of!(JanusRecorder, type_) == 72);
    assert!(offset_of!(JanusRecorder, header) == 84);
    assert!(offset_of!(JanusRecorder, paused) == 92);
    assert!(offset_of!(JanusRecorder, context) == 96);
    assert!(offset_of!(JanusRecorder, mutex) == 192);
    assert!(offset_of!(JanusRecorder, destroyed) == 200);
    assert!(offset_of!(JanusRecorder, ref_) == 208);
};

/// The allocation behind a `janus_recorder *`: the C view first, so both share an address.
#[repr(C)]
struct RecorderBlock {
    c: JanusRecorder,
    core: Mutex<Recorder>,
}

/// `janus_get_real_time`: CLOCK_REALTIME in microseconds.
fn real_time_us() -> i64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_REALTIME, &mut ts) };
    ts.tv_sec * 1_000_000 + ts.tv_nsec / 1_000
}

/// The info header as Janus writes it: jansson's `json_dumps` with `JSON_PRESERVE_ORDER`.
fn info_to_text(info: &Json) -> Option<String> {
    let json = to_jansson(info);
    // SAFETY: `json` is a fresh value we own; json_dumps returns NULL or a malloc'ed string.
    unsafe {
        let text = json_dumps(json, JSON_PRESERVE_ORDER as usize);
        json_decref(json);
        if text.is_null() {
            return None;
        }
        let out = CStr::from_ptr(text).to_str().ok().map(String::from);
        libc::free(text as *mut c_void);
        out
    }
}

/// A GLib-allocated, NUL-terminated copy of `s` (NULL for `None`), as `g_strdup` makes.
///
/// # Safety
/// Calls into GLib; the result is released with `g_free`.
unsafe fn dup_bytes(s: Option<&[u8]>) -> *mut c_char {
    match s {
        None => std::ptr::null_mut(),
        Some(b) => {
            let p = g_malloc(b.len() + 1) as *mut u8;
            std::ptr::copy_nonoverlapping(b.as_ptr(), p, b.len());
            *p.add(b.len()) = 0;
            p as *mut c_char
        }
    }
}

/// Replaces a GLib string field with a copy of `value` (if it changed).
///
/// # Safety
/// `field` must hold NULL or a GLib-allocated string.
unsafe fn refresh_string(field: &mut *mut c_char, value: Option<&[u8]>) {
    if c_bytes(*field) != value {
        g_free(*field as gpointer);
        *field = dup_bytes(value);
    }
}

/// Brings the C view in line with the recorder.
///
/// # Safety
/// `c` must be the C view of a live block whose strings are GLib-allocated.
unsafe fn refresh(c: &mut JanusRecorder, rec: &Recorder) {
    refresh_string(&mut c.filename, Some(rec.filename().as_bytes()));
    refresh_string(&mut c.description, rec.description());
    c.started = rec.started();
    c.opusred_pt = rec.opusred_pt();
    c.encrypted = rec.encrypted().into();
    c.header = rec.header_written().into();
    c.writable = rec.writable().into();
    c.paused = rec.paused().into();
    c.context = *rec.context();
}

/// Runs `body` on a recorder passed by a module, under its lock, then refreshes the C view.
/// NULL gives `None`.
///
/// # Safety
/// `recorder` must be NULL or come from `janus_recorder_create*` and still be referenced.
unsafe fn with_recorder<T>(recorder: *mut JanusRecorder, body: impl FnOnce(&mut Recorder) -> T) -> Option<T> {
    let block = recorder as *mut RecorderBlock;
    if block.is_null() {
        return None;
    }
    // Only the lock is borrowed for the whole call: the C view is touched field by field,
    // under it, while modules may read `filename` from other threads as they do in Janus.
    let mut rec = (*block).core.lock().unwrap_or_else(|e| e.into_inner());
    let out = body(&mut rec);
    refresh(&mut (*block).c, &rec);
    Some(out)
}

/// `ref.free`: what the last reference going away does (the file is closed as in Janus).
unsafe extern "C" fn recorder_free(r: *const JanusRefcount) {
    guard((), || {
        let block = (r as *const u8).sub(offset_of!(JanusRecorder, ref_)) as *mut RecorderBlock;
        let _ = with_recorder(block as *mut JanusRecorder, |rec| rec.close());
        let c = &mut (*block).c;
        for s in [c.dir, c.filename, c.codec, c.fmtp, c.description] {
            g_free(s as gpointer);
        }
        if !c.extensions.is_null() {
            g_hash_table_destroy(c.extensions);
        }
        g_mutex_clear(&mut c.mutex);
        std::ptr::drop_in_place(&mut (*block).core);
        g_free(block as gpointer);
    })
}

#[no_mangle]
pub unsafe extern "C" fn janus_recorder_create(dir: *const c_char, codec: *const c_char, filename: *const c_char) -> *mut JanusRecorder {
    janus_recorder_create_full(dir, codec, std::ptr::null(), filename)
}

#[no_mangle]
pub unsafe extern "C" fn janus_recorder_create_full(
    dir: *const c_char,
    codec: *const c_char,
    fmtp: *const c_char,
    filename: *const c_char,
) -> *mut JanusRecorder {
    guard(std::ptr::null_mut(), || {
        let Some(codec) = c_str(codec) else { return std::ptr::null_mut() };
        let path = |p| c_bytes(p).map(|b| Path::new(std::ffi::OsStr::from_bytes(b)));
        let target = Target { dir: path(dir), codec, fmtp: c_bytes(fmtp), filename: path(filename) };
        let Ok(rec) = Recorder::create(target, real_time_us(), g_random_int(), info_to_text) else {
            return std::ptr::null_mut();
        };
        let block = g_malloc0(size_of::<RecorderBlock>()) as *mut RecorderBlock;
        let c = &mut (*block).c;
        c.dir = dup_bytes(rec.dir().map(|d| d.as_os_str().as_bytes()));
        c.codec = dup_bytes(Some(rec.codec().as_bytes()));
        c.fmtp = dup_bytes(rec.fmtp());
        c.created = rec.created();
        c.type_ = rec.medium() as c_int;
        g_mutex_init(&mut c.mutex);
        c.ref_ = JanusRefcount::new(recorder_free);
        refresh(c, &rec);
        std::ptr::write(&mut (*block).core, Mutex::new(rec));
        block as *mut JanusRecorder
    })
}

#[no_mangle]
pub unsafe extern "C" fn janus_recorder_add_extmap(recorder: *mut JanusRecorder, id: c_int, extmap: *const c_char) -> c_int {
    guard(-1, || {
        let Some(uri) = c_bytes(extmap) else { return -1 };
        with_recorder(recorder, |rec| {
            if rec.add_extmap(id, uri).is_err() {
                return -1;
            }
            // Keep Janus' table too, and list the ids in the order it iterates them.
            let table = &mut (*recorder).extensions;
            if table.is_null() {
                *table = g_hash_table_new_full(None, None, None, Some(g_free));
            }
            g_hash_table_insert(*table, id as isize as gpointer, dup_bytes(Some(uri)) as gpointer);
            let mut order: Vec<u8> = Vec::with_capacity(15);
            unsafe extern "C" fn collect(key: gpointer, _value: gpointer, order: gpointer) {
                (*(order as *mut Vec<u8>)).push(key as usize as u8);
            }
            g_hash_table_foreach(*table, Some(collect), &mut order as *mut Vec<u8> as gpointer);
            rec.order_extmaps(&order);
            0
        })
        .unwrap_or(-1)
    })
}

#[no_mangle]
pub unsafe extern "C" fn janus_recorder_description(recorder: *mut JanusRecorder, description: *const c_char) -> c_int {
    guard(-1, || {
        let Some(description) = c_bytes(description) else { return -1 };
        with_recorder(recorder, |rec| rec.set_description(description)).map_or(-1, |()| 0)
    })
}

#[no_mangle]
pub unsafe extern "C" fn janus_recorder_opusred(recorder: *mut JanusRecorder, red_pt: c_int) -> c_int {
    guard(-1, || with_recorder(recorder, |rec| rec.set_opusred(red_pt)).map_or(-1, |r| if r.is_ok() { 0 } else { -1 }))
}

#[no_mangle]
pub unsafe extern "C" fn janus_recorder_encrypted(recorder: *mut JanusRecorder) -> c_int {
    guard(-1, || with_recorder(recorder, |rec| rec.set_encrypted()).map_or(-1, |r| if r.is_ok() { 0 } else { -1 }))
}

#[no_mangle]
pub unsafe extern "C" fn janus_recorder_pause(recorder: *mut JanusRecorder) -> c_int {
    guard(-1, || with_recorder(recorder, |rec| rec.pause()).map_or(-1, |r| if r.is_ok() { 0 } else { -2 }))
}

#[no_mangle]
pub unsafe extern "C" fn janus_recorder_resume(recorder: *mut JanusRecorder) -> c_int {
    guard(-1, || with_recorder(recorder, |rec| rec.resume(crate::utils::monotonic_time())).map_or(-1, |r| if r.is_ok() { 0 } else { -2 }))
}

#[no_mangle]
pub unsafe extern "C" fn janus_recorder_save_frame(recorder: *mut JanusRecorder, buffer: *mut c_char, length: c_uint) -> c_int {
    guard(-1, || {
        let frame: &[u8] = if buffer.is_null() { &[] } else { std::slice::from_raw_parts(buffer as *const u8, length as usize) };
        with_recorder(recorder, |rec| match rec.save_frame(frame, crate::utils::monotonic_time(), real_time_us()) {
            Ok(()) => 0,
            Err(e) => e.code(),
        })
        .unwrap_or(-1)
    })
}

#[no_mangle]
pub unsafe extern "C" fn janus_recorder_close(recorder: *mut JanusRecorder) -> c_int {
    guard(-1, || with_recorder(recorder, |rec| rec.close()).map_or(-1, |r| if r.is_ok() { 0 } else { -1 }))
}

/// Marks the recorder destroyed (once) and drops the creator's reference.
#[no_mangle]
pub unsafe extern "C" fn janus_recorder_destroy(recorder: *mut JanusRecorder) {
    guard((), || {
        if !recorder.is_null() {
            JanusRefcount::destroy_once(&raw mut (*recorder).destroyed, &raw mut (*recorder).ref_);
        }
    })
}
