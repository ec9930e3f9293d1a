//! The exported C ABI of Janus 1.1.2: every `#[no_mangle] extern "C"` function and global
//! that dlopened modules import from the core lives below this module, one file per Janus
//! source file it stands in for. Each export converts pointers to safe Rust values, calls
//! the safe core, and converts back; `unsafe` code lives here and in `crate::sys` only.
//!
//! No panic may unwind into C: every export runs its body through [`guard`], which turns a
//! panic into the value Janus returns on failure for that function.

use std::ffi::CStr;
use std::panic::{catch_unwind, AssertUnwindSafe};

use libc::c_char;

pub mod apierror;
pub mod codecs;
pub mod config;
pub mod event_host;
pub mod events;
pub mod ip_utils;
pub mod json;
pub mod log;
pub mod modules;
pub mod plugin;
pub mod plugin_host;
pub mod record;
pub mod refcount;
pub mod rtcp;
pub mod rtp;
pub mod sdp;
pub mod transport;
pub mod transport_host;
pub mod utils;

/// Runs an export's body; a panic becomes `on_panic` (NULL, -1, FALSE... as Janus would fail).
pub(crate) fn guard<T>(on_panic: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(on_panic)
}

/// Borrows a C string as bytes; NULL gives `None`.
///
/// # Safety
/// `p` must be NULL or point to a NUL-terminated string that outlives `'a`.
pub(crate) unsafe fn c_bytes<'a>(p: *const c_char) -> Option<&'a [u8]> {
    if p.is_null() {
        None
    } else {
        Some(CStr::from_ptr(p).to_bytes())
    }
}

/// Borrows a C string as UTF-8 text, replacing nothing: invalid UTF-8 gives `None` too.
///
/// # Safety
/// As [`c_bytes`].
pub(crate) unsafe fn c_str<'a>(p: *const c_char) -> Option<&'a str> {
    c_bytes(p).and_then(|b| std::str::from_utf8(b).ok())
}

/// A NUL-terminated copy of a static Rust string that lives for the rest of the process, for
/// exports that hand C a `const char *` it never frees (codec names, error reasons...).
/// Copies are made once per distinct string, so the table stays as small as the set of
/// static strings the core has.
pub(crate) fn static_cstr(s: &'static str) -> *const c_char {
    use std::collections::HashMap;
    use std::ffi::CString;
    use std::sync::{Mutex, OnceLock};
    static TABLE: OnceLock<Mutex<HashMap<&'static str, CString>>> = OnceLock::new();
    let mut table = TABLE.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
    table.entry(s).or_insert_with(|| CString::new(s.replace('\0', "")).unwrap_or_default()).as_ptr()
}
