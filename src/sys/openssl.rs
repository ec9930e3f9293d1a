//! OpenSSL's CSPRNG, the source of Janus' random numbers (session/handle ids, UUIDs...).

use libc::c_int;

extern "C" {
    fn RAND_bytes(buf: *mut u8, num: c_int) -> c_int;
}

/// Fills `buf` from `RAND_bytes`; `false` if OpenSSL could not (the caller falls back).
pub fn rand_bytes(buf: &mut [u8]) -> bool {
    let Ok(len) = c_int::try_from(buf.len()) else { return false };
    // SAFETY: `buf` is writable for `len` bytes.
    unsafe { RAND_bytes(buf.as_mut_ptr(), len) == 1 }
}
