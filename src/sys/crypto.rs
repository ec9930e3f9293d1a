//! OpenSSL's random generator (libcrypto), which Janus uses for SRTP keys and random ids.

use libc::{c_int, c_uchar};

extern "C" {
    pub fn RAND_bytes(buf: *mut c_uchar, num: c_int) -> c_int;
}
