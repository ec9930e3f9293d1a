//! libsrtp2: the generated bindings, and a thin owner of one `srtp_t` session whose packet
//! calls check the buffer contract libsrtp documents (room for the trailer after the packet).

include!(concat!(env!("OUT_DIR"), "/srtp.rs"));

use std::sync::Once;

/// What `srtp_protect` may write past the packet: `SRTP_MAX_TRAILER_LEN`
/// (`SRTP_MAX_TAG_LEN + SRTP_MAX_MKI_LEN`, a macro expression bindgen does not evaluate).
pub const RTP_TRAILER_ROOM: usize = 16 + 128;
/// What `srtp_protect_rtcp` may write past the packet: `SRTP_MAX_TRAILER_LEN + 4` (the SRTCP index).
pub const RTCP_TRAILER_ROOM: usize = RTP_TRAILER_ROOM + 4;

/// The status libsrtp returns for a bad argument; used too when a buffer breaks the contract.
pub const STATUS_BAD_PARAM: i32 = srtp_err_status_bad_param as i32;

/// libsrtp's crypto kernel must be initialised exactly once, before the first session; the
/// startup and every session constructor call this.
pub fn init() {
    static INIT: Once = Once::new();
    // SAFETY: plain library initialisation; `Once` serialises it.
    INIT.call_once(|| unsafe {
        srtp_init();
    });
}

/// One crypto transform of an SRTP or SRTCP policy, as libsrtp's policy setters name them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Crypto {
    AesCm128HmacSha1_80,
    AesCm128HmacSha1_32,
    AesGcm128Auth16,
    AesGcm256Auth16,
}

impl Crypto {
    fn apply(self, policy: &mut srtp_crypto_policy_t) {
        // SAFETY: the setters only fill the struct they are given.
        unsafe {
            match self {
                // The 80-bit setter is a macro for the default one.
                Crypto::AesCm128HmacSha1_80 => srtp_crypto_policy_set_rtp_default(policy),
                Crypto::AesCm128HmacSha1_32 => srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(policy),
                Crypto::AesGcm128Auth16 => srtp_crypto_policy_set_aes_gcm_128_16_auth(policy),
                Crypto::AesGcm256Auth16 => srtp_crypto_policy_set_aes_gcm_256_16_auth(policy),
            }
        }
    }
}

/// Which packets a session handles: it matches any SSRC, in one direction only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Inbound,
    Outbound,
}

/// One libsrtp session (`srtp_t`), deallocated on drop.
pub struct Session(srtp_t);

// SAFETY: an `srtp_t` belongs to no thread; `&mut self` on every packet call keeps it from
// being used by two threads at once.
unsafe impl Send for Session {}

impl Session {
    /// `srtp_create` with one wildcard-SSRC policy. `master` is the master key followed by
    /// the master salt, as long as `rtp`'s transform expects.
    pub fn create(
        rtp: Crypto,
        rtcp: Crypto,
        direction: Direction,
        master: &[u8],
        window_size: u64,
        allow_repeat_tx: bool,
    ) -> Result<Session, i32> {
        init();
        let mut policy = srtp_policy_t::default();
        rtp.apply(&mut policy.rtp);
        rtcp.apply(&mut policy.rtcp);
        // Both transforms take the same master key+salt length (30, 28 or 44 bytes).
        let needed = usize::try_from(policy.rtp.cipher_key_len).unwrap_or(0);
        let mut key = [0u8; 64];
        if master.len() != needed || needed > key.len() || policy.rtcp.cipher_key_len != policy.rtp.cipher_key_len {
            return Err(STATUS_BAD_PARAM);
        }
        policy.ssrc.type_ = match direction {
            Direction::Inbound => ssrc_any_inbound,
            Direction::Outbound => ssrc_any_outbound,
        };
        // libsrtp derives its session keys from this copy during srtp_create and never writes it.
        key[..needed].copy_from_slice(master);
        policy.key = key.as_mut_ptr();
        policy.window_size = window_size as _;
        policy.allow_repeat_tx = allow_repeat_tx as _;
        policy.next = std::ptr::null_mut();
        let mut session: srtp_t = std::ptr::null_mut();
        // SAFETY: `policy` is a complete single-element list; `key` outlives the call.
        let status = unsafe { srtp_create(&mut session, &policy) };
        if status != srtp_err_status_ok || session.is_null() {
            return Err(status as i32);
        }
        Ok(Session(session))
    }

    pub fn protect_rtp(&mut self, buf: &mut [u8], len: usize) -> Result<usize, i32> {
        self.call(buf, len, RTP_TRAILER_ROOM, srtp_protect)
    }

    pub fn unprotect_rtp(&mut self, buf: &mut [u8], len: usize) -> Result<usize, i32> {
        self.call(buf, len, 0, srtp_unprotect)
    }

    pub fn protect_rtcp(&mut self, buf: &mut [u8], len: usize) -> Result<usize, i32> {
        self.call(buf, len, RTCP_TRAILER_ROOM, srtp_protect_rtcp)
    }

    pub fn unprotect_rtcp(&mut self, buf: &mut [u8], len: usize) -> Result<usize, i32> {
        self.call(buf, len, 0, srtp_unprotect_rtcp)
    }

    /// Runs one in-place packet transform on `buf[..len]`, provided `buf` has `room` bytes
    /// after the packet for libsrtp to write into.
    fn call(
        &mut self,
        buf: &mut [u8],
        len: usize,
        room: usize,
        transform: unsafe extern "C" fn(srtp_t, *mut libc::c_void, *mut libc::c_int) -> srtp_err_status_t,
    ) -> Result<usize, i32> {
        let fits = len.checked_add(room).is_some_and(|end| end <= buf.len());
        let Ok(mut c_len) = libc::c_int::try_from(len) else {
            return Err(STATUS_BAD_PARAM);
        };
        if !fits {
            return Err(STATUS_BAD_PARAM);
        }
        // SAFETY: the session is live; libsrtp reads `len` bytes and writes at most `room`
        // more (its documented trailer bound), all inside `buf`.
        let status = unsafe { transform(self.0, buf.as_mut_ptr().cast(), &mut c_len) };
        if status != srtp_err_status_ok {
            return Err(status as i32);
        }
        usize::try_from(c_len).map_err(|_| srtp_err_status_fail as i32)
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        // SAFETY: created by srtp_create, deallocated once.
        unsafe {
            srtp_dealloc(self.0);
        }
    }
}
