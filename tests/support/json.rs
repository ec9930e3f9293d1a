//! Reading Janus API messages: the value at a path of object keys, and the message type.

use janus::json::Json;

/// The value at `path` (object keys) in `value`.
pub fn at<'a>(value: &'a Json, path: &[&str]) -> Option<&'a Json> {
    path.iter().try_fold(value, |v, key| v.get(key))
}

pub fn str_at<'a>(value: &'a Json, path: &[&str]) -> Option<&'a str> {
    at(value, path).and_then(Json::as_str)
}

pub fn int_at(value: &Json, path: &[&str]) -> Option<i64> {
    at(value, path).and_then(Json::as_i64)
}

/// The integer at `path`, which the caller requires: panics, showing `value`, without one.
pub fn expect_int(value: &Json, path: &[&str]) -> i64 {
    int_at(value, path).unwrap_or_else(|| panic!("no integer at {path:?} in {}", value.to_compact_string()))
}

/// The Janus API message type (`janus`: `ack`, `success`, `error`, `event`, `webrtcup`,
/// `media`, `hangup`, ...).
pub fn kind_of(message: &Json) -> Option<&str> {
    str_at(message, &["janus"])
}
