//! Exports of Janus' `apierror.c`.

use libc::{c_char, c_int};

use super::{guard, static_cstr};
use crate::apierror::reason_for_code;

#[no_mangle]
pub extern "C" fn janus_get_api_error(error: c_int) -> *const c_char {
    guard(std::ptr::null(), || static_cstr(reason_for_code(error)))
}
