//! Raw bindings to the system C libraries the core shares with the modules.
//!
//! Only `abi` (the export layer) uses these. Generated bindings come from `build.rs`;
//! GLib is declared by hand because we need a small, stable part of it.
#![allow(non_camel_case_types, non_upper_case_globals, non_snake_case, dead_code, clippy::all)]

pub mod clock;
pub mod crypto;
pub mod curl;
pub mod glib;
pub mod goption;
pub mod jcfg;
pub mod nice;
pub mod openssl;
pub mod process;
pub mod srtp;
pub mod zlib;

pub mod jansson {
    include!(concat!(env!("OUT_DIR"), "/jansson.rs"));

    /// `json_incref` is a header-inline function in jansson: modules do the same atomic add on
    /// the same field, so we must too. A refcount of `usize::MAX` marks an immortal value.
    ///
    /// # Safety
    /// `json` must be NULL or a live jansson value.
    pub unsafe fn json_incref(json: *mut json_t) -> *mut json_t {
        if !json.is_null() && (*json).refcount != usize::MAX {
            let rc = &*(&raw mut (*json).refcount as *const std::sync::atomic::AtomicUsize);
            rc.fetch_add(1, std::sync::atomic::Ordering::Acquire);
        }
        json
    }

    /// The header-inline `json_decref`: atomic decrement, `json_delete` at zero.
    ///
    /// # Safety
    /// `json` must be NULL or a live jansson value the caller owns one reference to.
    pub unsafe fn json_decref(json: *mut json_t) {
        if !json.is_null() && (*json).refcount != usize::MAX {
            let rc = &*(&raw mut (*json).refcount as *const std::sync::atomic::AtomicUsize);
            if rc.fetch_sub(1, std::sync::atomic::Ordering::Release) == 1 {
                json_delete(json);
            }
        }
    }

    /// `json_typeof` is a macro in jansson.h.
    ///
    /// # Safety
    /// `json` must be a live jansson value.
    pub unsafe fn json_typeof(json: *const json_t) -> json_type {
        (*json).type_
    }
}

pub mod libconfig {
    include!(concat!(env!("OUT_DIR"), "/libconfig.rs"));
}

/// libsrtp must be initialised once before anyone creates SRTP sessions; no stock plugin
/// does it, the core does (before loading plugins).
pub fn srtp_init() {
    srtp::init();
}

extern "C" {
    static glib_major_version: libc::c_uint;
    static glib_minor_version: libc::c_uint;
    static glib_micro_version: libc::c_uint;
    fn OpenSSL_version(t: libc::c_int) -> *const libc::c_char;
}

/// The library versions `info` reports under `dependencies`, in Janus' order and spelling.
pub fn dependency_versions() -> Vec<(String, String)> {
    let text = |p: *const libc::c_char| {
        // SAFETY: the libraries return static NUL-terminated strings.
        (!p.is_null()).then(|| unsafe { std::ffi::CStr::from_ptr(p) }.to_string_lossy().into_owned()).unwrap_or_default()
    };
    // SAFETY: GLib's exported version numbers, and two version getters without arguments.
    let (glib, srtp, crypto) = unsafe {
        (
            format!("{glib_major_version}.{glib_minor_version}.{glib_micro_version}"),
            text(srtp::srtp_get_version_string()),
            text(OpenSSL_version(0)),
        )
    };
    vec![
        ("glib2".into(), glib),
        ("jansson".into(), env!("JANUS_DEP_JANSSON_VERSION").into()),
        ("libnice".into(), option_env!("JANUS_DEP_NICE_VERSION").unwrap_or_default().into()),
        ("libsrtp".into(), srtp),
        ("libcurl".into(), env!("JANUS_DEP_LIBCURL_VERSION").into()),
        ("crypto".into(), crypto),
    ]
}
