//! The part of OpenSSL's libcrypto the core uses outside the media path.

use libc::{c_int, c_uchar, c_uint, c_void, size_t};

#[repr(C)]
struct EVP_MD {
    _private: [u8; 0],
}

extern "C" {
    fn EVP_sha1() -> *const EVP_MD;
    fn HMAC(
        md: *const EVP_MD,
        key: *const c_void,
        key_len: c_int,
        data: *const c_uchar,
        data_len: size_t,
        md_out: *mut c_uchar,
        md_out_len: *mut c_uint,
    ) -> *mut c_uchar;
    fn RAND_bytes(buf: *mut c_uchar, num: c_int) -> c_int;
}

/// Fills `buf` from OpenSSL's CSPRNG (`RAND_bytes`); `false` if it could not.
pub fn rand_bytes(buf: &mut [u8]) -> bool {
    let Ok(len) = c_int::try_from(buf.len()) else { return false };
    // SAFETY: `buf` is writable for `len` bytes.
    unsafe { RAND_bytes(buf.as_mut_ptr(), len) == 1 }
}

/// HMAC-SHA1 of `data` under `key` (the signature of Janus' signed tokens).
pub fn hmac_sha1(key: &[u8], data: &[u8]) -> [u8; 20] {
    let mut out = [0u8; 20];
    let mut len: c_uint = 0;
    // SAFETY: buffers are valid for the lengths given; SHA-1 output is exactly 20 bytes.
    let r = unsafe {
        HMAC(EVP_sha1(), key.as_ptr() as *const c_void, key.len() as c_int, data.as_ptr(), data.len(), out.as_mut_ptr(), &mut len)
    };
    assert!(!r.is_null() && len == 20, "HMAC-SHA1 failed");
    out
}
