//! Wall-clock formatting through libc's `localtime_r` + `strftime`, for texts Janus stamps
//! with the local date (the header of a saved configuration file).

use std::ffi::CString;

/// The current local time formatted with a `strftime` format; empty if it does not fit 256
/// bytes or the format contains a NUL.
pub fn format_local_now(format: &str) -> String {
    let Ok(fmt) = CString::new(format) else { return String::new() };
    let mut buf = [0u8; 256];
    // SAFETY: plain libc calls on stack values; strftime writes at most buf.len() bytes.
    let len = unsafe {
        let now = libc::time(std::ptr::null_mut());
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&now, &mut tm).is_null() {
            return String::new();
        }
        libc::strftime(buf.as_mut_ptr() as *mut libc::c_char, buf.len(), fmt.as_ptr(), &tm)
    };
    String::from_utf8_lossy(&buf[..len]).into_owned()
}
