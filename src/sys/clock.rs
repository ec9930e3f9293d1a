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

/// Hours, minutes and seconds of the local time at `unix_secs` (no allocation: for the
/// text packet captures).
pub fn local_time_of_day(unix_secs: i64) -> (u32, u32, u32) {
    // SAFETY: localtime_r on stack values.
    unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&(unix_secs as libc::time_t), &mut tm).is_null() {
            return (0, 0, 0);
        }
        (tm.tm_hour as u32, tm.tm_min as u32, tm.tm_sec as u32)
    }
}

fn read(clock: libc::clockid_t) -> i64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid out-parameter; both clocks always exist on Linux.
    unsafe { libc::clock_gettime(clock, &mut ts) };
    ts.tv_sec * 1_000_000 + ts.tv_nsec / 1_000
}

/// `CLOCK_MONOTONIC` in microseconds: the raw reading, not `Instant`, because modules
/// compare Janus' monotonic time with their own `g_get_monotonic_time()`.
pub fn monotonic_us() -> i64 {
    read(libc::CLOCK_MONOTONIC)
}

/// `CLOCK_REALTIME` in microseconds since the epoch.
pub fn real_us() -> i64 {
    read(libc::CLOCK_REALTIME)
}
