//! Exports of Janus' `transports/transport.c`: the reference-counted session object a
//! transport creates per connection and hands to the core with each request.
//!
//! The count lives in the C struct and modules change it with their inline
//! `JanusRefcount_*` macros (atomic add/sub on `ref.count`, `ref.free(&ref)` at zero),
//! so the core does exactly the same on the same field.

#![allow(clippy::missing_safety_doc)]

use libc::{c_int, c_void};

use super::guard;
use super::refcount::JanusRefcount;
use crate::sys::glib::{self, GMutex};

/// `janus_transport_session`: 48 bytes.
#[repr(C)]
pub struct janus_transport_session {
    pub transport_p: *mut c_void,
    pub p_free: Option<unsafe extern "C" fn(*mut c_void)>,
    pub destroyed: c_int,
    pub mutex: GMutex,
    pub ref_: JanusRefcount,
}

const _: () = {
    use std::mem::{offset_of, size_of};
    assert!(size_of::<janus_transport_session>() == 48);
    assert!(offset_of!(janus_transport_session, p_free) == 8);
    assert!(offset_of!(janus_transport_session, destroyed) == 16);
    assert!(offset_of!(janus_transport_session, mutex) == 24);
    assert!(offset_of!(janus_transport_session, ref_) == 32);
};

/// The `ref.free` of every session: gives the transport its pointer back, frees the struct.
unsafe extern "C" fn transport_session_free(r: *const JanusRefcount) {
    let session = r.byte_sub(std::mem::offset_of!(janus_transport_session, ref_)) as *mut janus_transport_session;
    if let Some(p_free) = (*session).p_free {
        p_free((*session).transport_p);
    }
    glib::g_mutex_clear(&raw mut (*session).mutex);
    glib::g_free(session.cast());
}

/// A session holding `transport_p`, with one reference (the transport's). `p_free`, if
/// any, receives `transport_p` when the last reference goes, on whichever thread drops it.
#[no_mangle]
pub unsafe extern "C" fn janus_transport_session_create(
    transport_p: *mut c_void,
    p_free: Option<unsafe extern "C" fn(*mut c_void)>,
) -> *mut janus_transport_session {
    guard(std::ptr::null_mut(), || {
        // SAFETY: a zeroed GLib block of the struct's size, initialised field by field.
        unsafe {
            let session = glib::g_malloc0(std::mem::size_of::<janus_transport_session>()).cast::<janus_transport_session>();
            (*session).transport_p = transport_p;
            (*session).p_free = p_free;
            (*session).ref_ = JanusRefcount::new(transport_session_free);
            glib::g_mutex_init(&raw mut (*session).mutex);
            session
        }
    })
}

/// The transport is done with the session: marks it destroyed and drops the transport's
/// reference, once; later calls do nothing.
#[no_mangle]
pub unsafe extern "C" fn janus_transport_session_destroy(session: *mut janus_transport_session) {
    guard((), || {
        if session.is_null() {
            return;
        }
        // SAFETY: a live session; both fields are plain ints that C also changes atomically.
        unsafe {
            JanusRefcount::destroy_once(&raw mut (*session).destroyed, &raw mut (*session).ref_);
        }
    })
}
