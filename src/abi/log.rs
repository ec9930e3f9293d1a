//! Exports of Janus' `log.c` (`janus_vprintf`, via the C shim `compat/log.c`) and the six
//! data objects of `janus.c` that the modules' inline `JANUS_LOG`, `janus_mutex_*` and
//! `janus_refcount_*` macros read on every use.
//!
//! The objects are atomics: same size, alignment and representation as the C `int`,
//! `gboolean` and `char *` the modules expect, but readable and writable from Rust without
//! data races. Defaults are the values Janus has while modules run.

#![allow(clippy::missing_safety_doc, non_upper_case_globals)]

use std::sync::atomic::{AtomicI32, AtomicPtr, Ordering};

use libc::{c_char, size_t};

use super::guard;
use crate::sys::glib;

/// `int janus_log_level`: `LOG_INFO` unless `-d`/`debug_level` says otherwise.
#[no_mangle]
pub static janus_log_level: AtomicI32 = AtomicI32::new(4);

/// `gboolean janus_log_timestamps`: off unless `debug_timestamps`/`-D`.
#[no_mangle]
pub static janus_log_timestamps: AtomicI32 = AtomicI32::new(0);

/// `gboolean janus_log_colors`: zero in Janus' .bss; `main()` sets it TRUE right after the
/// external loggers are loaded (so their loading lines are plain, observed), and only
/// `debug_colors = false`/`-o` turns it off again.
#[no_mangle]
pub static janus_log_colors: AtomicI32 = AtomicI32::new(0);

/// `char *janus_log_global_prefix`: NULL, or a GLib string set from `general.log_prefix`.
#[no_mangle]
pub static janus_log_global_prefix: AtomicPtr<c_char> = AtomicPtr::new(std::ptr::null_mut());

/// `int lock_debug`: when non-zero the modules' mutex macros print every lock/unlock.
#[no_mangle]
pub static lock_debug: AtomicI32 = AtomicI32::new(0);

/// `int refcount_debug`: when non-zero the modules' refcount macros print every change.
#[no_mangle]
pub static refcount_debug: AtomicI32 = AtomicI32::new(0);

const _: () = {
    assert!(std::mem::size_of::<AtomicI32>() == 4 && std::mem::align_of::<AtomicI32>() == 4);
    assert!(std::mem::size_of::<AtomicPtr<c_char>>() == 8 && std::mem::align_of::<AtomicPtr<c_char>>() == 8);
};

/// Replaces the C copy of the global prefix. The old string is deliberately leaked: modules
/// read the pointer without synchronisation, so one of them may still be copying it (Janus
/// sets it once at startup, so this costs nothing in practice).
pub(crate) fn publish_global_prefix(prefix: Option<&str>) {
    // SAFETY: g_strdup_str returns a fresh GLib string that is never freed or mutated.
    let new = prefix.map_or(std::ptr::null_mut(), |p| unsafe { glib::g_strdup_str(p) });
    janus_log_global_prefix.store(new, Ordering::Release);
}

/// Called by `janus_vprintf` (compat/log.c) with the line it formatted with glibc's
/// `vsnprintf`: `len` bytes at `line`, not counting the terminating NUL.
#[no_mangle]
pub unsafe extern "C" fn janus_rs_log_line(line: *const c_char, len: size_t) {
    guard((), || {
        if line.is_null() {
            return;
        }
        // SAFETY: the shim passes its buffer of at least `len` formatted bytes.
        let bytes = unsafe { std::slice::from_raw_parts(line.cast::<u8>(), len) };
        crate::log::print_bytes(bytes);
    })
}
