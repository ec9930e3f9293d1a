//! Exports of the general helpers of Janus' `utils.c` (the codec/keyframe ones are exported
//! with the RTP code).

#![allow(clippy::missing_safety_doc)]

use libc::{c_char, c_int, c_uint, mode_t, size_t};

use super::{c_bytes, c_str, guard, static_cstr};
use crate::json::{self, JsonType, JsonValue};
use crate::log::{self, Level, Source};
use crate::sys::glib::{self, gboolean};
use crate::sys::jansson::{self, json_t};
use crate::utils;

#[no_mangle]
pub extern "C" fn janus_get_monotonic_time() -> i64 {
    guard(0, utils::monotonic_time)
}

#[no_mangle]
pub extern "C" fn janus_get_real_time() -> i64 {
    guard(0, utils::real_time)
}

#[no_mangle]
pub unsafe extern "C" fn janus_is_true(value: *const c_char) -> gboolean {
    // SAFETY: modules pass a C string or NULL.
    guard(0, || unsafe { c_str(value) }.is_some_and(utils::is_true).into())
}

#[no_mangle]
pub unsafe extern "C" fn janus_strcmp_const_time(str1: *const libc::c_void, str2: *const libc::c_void) -> gboolean {
    guard(0, || {
        // SAFETY: both are C strings (or NULL, which never matches).
        match unsafe { (c_bytes(str1.cast()), c_bytes(str2.cast())) } {
            (Some(a), Some(b)) => utils::strcmp_const_time(a, b).into(),
            _ => 0,
        }
    })
}

#[no_mangle]
pub extern "C" fn janus_random_uint32() -> u32 {
    guard(0, utils::random_u32)
}

/// A random id below 2^53.
#[no_mangle]
pub extern "C" fn janus_random_uint64() -> u64 {
    guard(0, utils::random_u64)
}

/// A random UUID string; the caller `g_free`s it.
#[no_mangle]
pub extern "C" fn janus_random_uuid() -> *mut c_char {
    // SAFETY: a fresh GLib string handed to the caller.
    guard(std::ptr::null_mut(), || unsafe { glib::g_strdup_str(&utils::random_uuid()) })
}

/// `num` in a `g_malloc`ed cell (modules use these as GHashTable keys freed with `g_free`).
#[no_mangle]
pub extern "C" fn janus_uint64_dup(num: u64) -> *mut u64 {
    guard(std::ptr::null_mut(), || {
        // SAFETY: g_malloc aborts rather than return NULL; the cell is 8-aligned and 8 bytes.
        unsafe {
            let cell = glib::g_malloc(std::mem::size_of::<u64>()).cast::<u64>();
            cell.write(num);
            cell
        }
    })
}

/// Shared body of `janus_string_to_uint8/16/32`: 0 and `*num` set, or -EINVAL/-ERANGE.
///
/// # Safety
/// `s` must be NULL or a C string, `num` NULL or writable.
unsafe fn string_to_unsigned<T: TryFrom<i64>>(s: *const c_char, num: *mut T) -> c_int {
    let Some(s) = c_bytes(s) else {
        return -libc::EINVAL;
    };
    if num.is_null() {
        return -libc::EINVAL;
    }
    match utils::string_to_unsigned::<T>(s) {
        Ok(v) => {
            num.write(v);
            0
        }
        Err(e) => e.errno(),
    }
}

#[no_mangle]
pub unsafe extern "C" fn janus_string_to_uint8(s: *const c_char, num: *mut u8) -> c_int {
    // SAFETY: see string_to_unsigned.
    guard(-libc::EINVAL, || unsafe { string_to_unsigned(s, num) })
}

#[no_mangle]
pub unsafe extern "C" fn janus_string_to_uint16(s: *const c_char, num: *mut u16) -> c_int {
    // SAFETY: see string_to_unsigned.
    guard(-libc::EINVAL, || unsafe { string_to_unsigned(s, num) })
}

#[no_mangle]
pub unsafe extern "C" fn janus_string_to_uint32(s: *const c_char, num: *mut u32) -> c_int {
    // SAFETY: see string_to_unsigned.
    guard(-libc::EINVAL, || unsafe { string_to_unsigned(s, num) })
}

/// `g_strlcat` that logs an error on truncation; returns the untruncated length.
#[no_mangle]
pub unsafe extern "C" fn janus_strlcat(dest: *mut c_char, src: *const c_char, dest_size: size_t) -> size_t {
    guard(0, || {
        // SAFETY: as for g_strlcat: `dest` is a buffer of `dest_size` bytes, `src` a C string.
        let Some(src) = (unsafe { c_bytes(src) }) else {
            return 0;
        };
        if dest.is_null() {
            return 0;
        }
        let buf = unsafe { std::slice::from_raw_parts_mut(dest.cast::<u8>(), dest_size) };
        let ret = utils::strlcat(buf, src);
        if ret >= dest_size {
            log::emit(
                Level::Err,
                Some(Source::new("utils.c", "janus_strlcat", line!())),
                format_args!("Truncation occurred, {ret} >= {dest_size}\n"),
            );
        }
        ret
    })
}

/// Creates a folder and its parents: 0, or -1 with `errno` set.
#[no_mangle]
pub unsafe extern "C" fn janus_mkdir(dir: *const c_char, mode: mode_t) -> c_int {
    guard(-1, || {
        // SAFETY: a C string or NULL.
        let result = match unsafe { c_bytes(dir) } {
            Some(dir) => utils::mkdir(dir, mode),
            None => Err(std::io::Error::from_raw_os_error(libc::EINVAL)),
        };
        match result {
            Ok(()) => 0,
            Err(e) => {
                // SAFETY: errno is thread-local and always writable.
                unsafe { *libc::__errno_location() = e.raw_os_error().unwrap_or(libc::EIO) };
                -1
            }
        }
    })
}

/// `path` if absolute, else `base_dir/path` joined by GLib's rules (`g_build_filename`);
/// NULL if `path` is NULL or relative without a base. The result is `g_free`d by the caller.
#[no_mangle]
pub unsafe extern "C" fn janus_make_absolute_path(base_dir: *const c_char, path: *const c_char) -> *mut c_char {
    guard(std::ptr::null_mut(), || {
        // SAFETY: C strings (or NULL); GLib returns fresh strings.
        unsafe {
            if path.is_null() {
                std::ptr::null_mut()
            } else if glib::g_path_is_absolute(path) != 0 {
                glib::g_strdup(path)
            } else if base_dir.is_null() {
                std::ptr::null_mut()
            } else {
                glib::g_build_filename(base_dir, path, std::ptr::null::<c_char>())
            }
        }
    })
}

/// The payload type `sdp` maps `codec` to: >= 0, or -1 (bad codec), -2 (absent), -3 (no rtpmap).
#[no_mangle]
pub unsafe extern "C" fn janus_get_codec_pt(sdp: *const c_char, codec: *const c_char) -> c_int {
    guard(-1, || {
        // SAFETY: C strings or NULL.
        let (Some(sdp), Some(codec)) = (unsafe { c_bytes(sdp) }, unsafe { c_bytes(codec) }) else {
            return -1;
        };
        utils::get_codec_pt(sdp, &String::from_utf8_lossy(codec)).unwrap_or_else(|e| e as c_int)
    })
}

/// The Janus codec name (static string) of a payload type in `sdp`, or NULL.
#[no_mangle]
pub unsafe extern "C" fn janus_get_codec_from_pt(sdp: *const c_char, pt: c_int) -> *const c_char {
    guard(std::ptr::null(), || {
        // SAFETY: a C string or NULL.
        let Some(sdp) = (unsafe { c_bytes(sdp) }) else {
            return std::ptr::null();
        };
        utils::get_codec_from_pt(sdp, pt).map_or(std::ptr::null(), static_cstr)
    })
}

/// Writes the name of an expected JSON type ("a positive integer"...) into `type_name`,
/// which the caller sizes for the longest one (20 bytes).
#[no_mangle]
pub unsafe extern "C" fn janus_get_json_type_name(jtype: c_int, flags: c_uint, type_name: *mut c_char) {
    guard((), || {
        if type_name.is_null() {
            return;
        }
        let name = json::json_type_name(jtype, flags);
        // SAFETY: the caller's buffer holds 20 bytes, as Janus assumes.
        let buf = unsafe { std::slice::from_raw_parts_mut(type_name.cast::<u8>(), 20) };
        let n = name.len().min(buf.len() - 1);
        buf[..n].copy_from_slice(&name.as_bytes()[..n]);
        buf[n] = 0;
    })
}

/// Whether `val` has the JSON type `jtype` and honours the POSITIVE/NONEMPTY `flags`.
#[no_mangle]
pub unsafe extern "C" fn janus_json_is_valid(val: *mut json_t, jtype: jansson::json_type, flags: c_uint) -> gboolean {
    guard(0, || {
        if val.is_null() {
            return 0;
        }
        // SAFETY: modules pass a live jansson value; strings are NUL-terminated.
        let value = unsafe {
            match JsonType::from_c(jansson::json_typeof(val) as i32) {
                Some(JsonType::Object) => JsonValue::Object,
                Some(JsonType::Array) => JsonValue::Array { len: jansson::json_array_size(val) },
                Some(JsonType::String) => JsonValue::String(c_bytes(jansson::json_string_value(val)).unwrap_or_default()),
                Some(JsonType::Integer) => JsonValue::Integer(jansson::json_integer_value(val)),
                Some(JsonType::Real) => JsonValue::Real(jansson::json_real_value(val)),
                Some(JsonType::True) => JsonValue::True,
                Some(JsonType::False) => JsonValue::False,
                Some(JsonType::Null) | None => JsonValue::Null,
            }
        };
        json::json_is_valid(value, jtype as i32, flags).into()
    })
}

/// gzips `tlen` bytes of `text` into `compressed` (`zlen` bytes): the compressed size, or 0
/// on failure. Like Janus, missing/empty arguments return `(size_t)-1`.
#[no_mangle]
pub unsafe extern "C" fn janus_gzip_compress(
    compression: c_int,
    text: *mut c_char,
    tlen: size_t,
    compressed: *mut c_char,
    zlen: size_t,
) -> size_t {
    guard(0, || {
        if text.is_null() || tlen < 1 || compressed.is_null() || zlen < 1 {
            return size_t::MAX;
        }
        // SAFETY: the caller's input and output buffers with their sizes.
        let input = unsafe { std::slice::from_raw_parts(text.cast::<u8>(), tlen) };
        let output = unsafe { std::slice::from_raw_parts_mut(compressed.cast::<u8>(), zlen) };
        utils::gzip_compress(compression, input, output).unwrap_or(0)
    })
}
