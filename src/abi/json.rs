//! Conversion between jansson values (what modules and transports hand the core) and the
//! core's own [`Json`]. jansson is the process's one libjansson.so.4, shared with modules.

use libc::c_char;

use crate::json::{Json, Object};
use crate::sys::jansson::*;

/// Reads a jansson value (borrowed; the caller keeps its reference). NULL reads as `Null`.
///
/// # Safety
/// `value` must be NULL or a live jansson value not mutated during the call.
pub unsafe fn from_jansson(value: *const json_t) -> Json {
    if value.is_null() {
        return Json::Null;
    }
    let v = value as *mut json_t;
    match json_typeof(value) {
        JSON_OBJECT => {
            let mut o = Object::new();
            let mut it = json_object_iter(v);
            while !it.is_null() {
                let key = json_object_iter_key(it);
                let len = json_object_iter_key_len(it);
                let key = String::from_utf8_lossy(std::slice::from_raw_parts(key as *const u8, len)).into_owned();
                o.set(key, from_jansson(json_object_iter_value(it)));
                it = json_object_iter_next(v, it);
            }
            Json::Object(o)
        }
        JSON_ARRAY => Json::Array((0..json_array_size(v)).map(|i| from_jansson(json_array_get(v, i))).collect()),
        JSON_STRING => {
            let p = json_string_value(v);
            let len = json_string_length(v);
            Json::Str(String::from_utf8_lossy(std::slice::from_raw_parts(p as *const u8, len)).into_owned())
        }
        JSON_INTEGER => Json::Int(json_integer_value(v)),
        JSON_REAL => Json::Real(json_real_value(v)),
        JSON_TRUE => Json::Bool(true),
        JSON_FALSE => Json::Bool(false),
        _ => Json::Null,
    }
}

/// Builds a new jansson value (one reference, owned by the caller).
pub fn to_jansson(value: &Json) -> *mut json_t {
    // SAFETY: plain jansson constructors; every `_new` setter steals the reference we pass.
    unsafe {
        match value {
            Json::Null => json_null(),
            Json::Bool(true) => json_true(),
            Json::Bool(false) => json_false(),
            Json::Int(i) => json_integer(*i),
            Json::Real(r) => json_real(*r),
            Json::Str(s) => json_stringn_nocheck(s.as_ptr() as *const c_char, s.len()),
            Json::Array(a) => {
                let arr = json_array();
                for item in a {
                    json_array_append_new(arr, to_jansson(item));
                }
                arr
            }
            Json::Object(o) => {
                let obj = json_object();
                for (k, v) in o.iter() {
                    json_object_setn_new_nocheck(obj, k.as_ptr() as *const c_char, k.len(), to_jansson(v));
                }
                obj
            }
        }
    }
}

/// Parses JSON text with jansson, as the transports do (`json_loads`), reporting errors as
/// jansson does.
pub fn parse(text: &str) -> Result<Json, crate::transport_host::ParseError> {
    let mut error = json_error_t::default();
    // SAFETY: `text` is valid for `len` bytes; the result is a new reference we release.
    unsafe {
        let value = json_loadb(text.as_ptr() as *const c_char, text.len(), 0, &mut error);
        if value.is_null() {
            let c = |b: &[c_char]| std::ffi::CStr::from_ptr(b.as_ptr()).to_string_lossy().into_owned();
            return Err(crate::transport_host::ParseError {
                source: c(&error.source),
                line: error.line,
                column: error.column,
                text: c(&error.text),
            });
        }
        let json = from_jansson(value);
        json_decref(value);
        Ok(json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_keeps_order_and_types() {
        let v: Json = Object::new()
            .with("janus", "event")
            .with("session_id", 4_503_599_627_370_495u64)
            .with("ratio", 0.25)
            .with("list", vec![Json::Null, true.into(), "x\0y".into()])
            .with("a", Object::new().with("z", 1).with("b", 2))
            .into();
        let j = to_jansson(&v);
        // SAFETY: `j` is a fresh value we own.
        unsafe {
            assert_eq!(from_jansson(j), v);
            let text = json_dumps(j, (JSON_COMPACT | JSON_PRESERVE_ORDER) as usize);
            let s = std::ffi::CStr::from_ptr(text).to_str().unwrap().to_string();
            libc::free(text as *mut libc::c_void);
            assert_eq!(s, v.to_compact_string());
            json_decref(j);
        }
    }
}
