//! Exports of Janus' `events.c` used by the event handler modules.

#![allow(clippy::missing_safety_doc)]

use libc::c_char;

use super::{c_bytes, guard, static_cstr};
use crate::events;

/// Overwrites `*target` (a `janus_flags`, i.e. `gsize`) with the mask `list` selects;
/// a NULL list leaves it untouched.
#[no_mangle]
pub unsafe extern "C" fn janus_events_edit_events_mask(list: *const c_char, target: *mut usize) {
    guard((), || {
        // SAFETY: modules pass a C string (or NULL).
        let Some(list) = (unsafe { c_bytes(list) }) else {
            return;
        };
        let mask = events::mask_from_list(&String::from_utf8_lossy(list));
        if !target.is_null() {
            // SAFETY: `target` points to the caller's janus_flags.
            unsafe { target.write(mask as usize) };
        }
    })
}

#[no_mangle]
pub extern "C" fn janus_events_type_to_label(event_type: i32) -> *const c_char {
    guard(std::ptr::null(), || events::type_to_label(event_type).map_or(std::ptr::null(), static_cstr))
}

#[no_mangle]
pub extern "C" fn janus_events_type_to_name(event_type: i32) -> *const c_char {
    guard(std::ptr::null(), || events::type_to_name(event_type).map_or(std::ptr::null(), static_cstr))
}
