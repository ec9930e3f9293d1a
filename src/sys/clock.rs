//! The clocks Janus reads (`clock_gettime`) and its local-time log timestamp, as safe calls.
//! Values must be the raw `CLOCK_MONOTONIC`/`CLOCK_REALTIME` readings, not `Instant`, because
//! modules compare ours with their own `g_get_monotonic_time()`.

use libc::{clockid_t, timespec};

fn read(clock: clockid_t) -> i64 {
    let mut ts = timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid out-parameter; both clocks always exist on Linux.
    unsafe { libc::clock_gettime(clock, &mut ts) };
    ts.tv_sec * 1_000_000 + ts.tv_nsec / 1_000
}

/// `CLOCK_MONOTONIC` in microseconds.
pub fn monotonic_us() -> i64 {
    read(libc::CLOCK_MONOTONIC)
}

/// `CLOCK_REALTIME` in microseconds since the epoch.
pub fn real_us() -> i64 {
    read(libc::CLOCK_REALTIME)
}

/// The current local time formatted with `strftime`, e.g. `"[%a %b %e %T %Y] "`.
pub fn local_strftime(format: &std::ffi::CStr) -> String {
    let mut buf = [0u8; 64];
    // SAFETY: localtime_r/strftime write only into the locals given, within `buf.len()`.
    let len = unsafe {
        let now = libc::time(std::ptr::null_mut());
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&now, &mut tm).is_null() {
            return String::new();
        }
        libc::strftime(buf.as_mut_ptr().cast(), buf.len(), format.as_ptr(), &tm)
    };
    String::from_utf8_lossy(&buf[..len]).into_owned()
}
