//! `janus_refcount`, the reference count embedded in boundary objects (SDPs, recorders,
//! transport sessions, plugin sessions). Modules change it with their inline macros, an
//! atomic add/sub on `count` and `free(&ref)` when it reaches zero, so the core does exactly
//! the same on the same field.

use std::sync::atomic::{AtomicI32, Ordering};

use libc::c_int;

/// `janus_refcount`: 16 bytes.
#[repr(C)]
pub struct JanusRefcount {
    pub count: c_int,
    pub free: Option<unsafe extern "C" fn(*const JanusRefcount)>,
}

const _: () = assert!(std::mem::size_of::<JanusRefcount>() == 16);

impl JanusRefcount {
    /// One reference, released by `free`.
    pub fn new(free: unsafe extern "C" fn(*const JanusRefcount)) -> JanusRefcount {
        JanusRefcount { count: 1, free: Some(free) }
    }

    /// `janus_refcount_increase`.
    ///
    /// # Safety
    /// `r` must point to a live, initialised refcount.
    pub unsafe fn increase(r: *mut JanusRefcount) {
        AtomicI32::from_ptr(&raw mut (*r).count).fetch_add(1, Ordering::SeqCst);
    }

    /// `janus_refcount_decrease`: the last reference calls `free`.
    ///
    /// # Safety
    /// `r` must point to a live, initialised refcount the caller holds a reference on.
    pub unsafe fn decrease(r: *mut JanusRefcount) {
        if AtomicI32::from_ptr(&raw mut (*r).count).fetch_sub(1, Ordering::SeqCst) == 1 {
            if let Some(free) = (*r).free {
                free(r);
            }
        }
    }

    /// The `*_destroy` pattern: flag `destroyed` once (0 to 1), and only then drop the
    /// creator's reference, so a second destroy does nothing.
    ///
    /// # Safety
    /// Both pointers must belong to the same live object.
    pub unsafe fn destroy_once(destroyed: *mut c_int, r: *mut JanusRefcount) {
        if AtomicI32::from_ptr(destroyed).compare_exchange(0, 1, Ordering::SeqCst, Ordering::SeqCst).is_ok() {
            JanusRefcount::decrease(r);
        }
    }
}
