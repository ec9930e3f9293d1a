//! SRTP and SRTCP for one DTLS-SRTP association, over libsrtp2: the inbound and outbound
//! sessions Janus' `dtls.c` creates once the handshake is done, and the in-place packet
//! transforms `ice.c` runs on every packet, with their failures counted.

mod keys;

pub use keys::{DtlsRole, MasterKey, Profile, SessionKeys};

use crate::sys::srtp::{self as libsrtp, Crypto, Direction};
use std::fmt;

/// Bytes a buffer must have free after an RTP packet for `protect_rtp` (libsrtp's
/// `SRTP_MAX_TRAILER_LEN`; the tag actually added is at most 16).
pub const RTP_TRAILER_ROOM: usize = libsrtp::RTP_TRAILER_ROOM;
/// Bytes a buffer must have free after an RTCP packet for `protect_rtcp`.
pub const RTCP_TRAILER_ROOM: usize = libsrtp::RTCP_TRAILER_ROOM;

/// Replay window, in packets, of both sessions (Janus sets libsrtp's policy to 128).
const REPLAY_WINDOW: u64 = 128;

/// A libsrtp `srtp_err_status_t` other than ok.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SrtpError(i32);

impl SrtpError {
    pub const FAIL: SrtpError = SrtpError(1);
    pub const BAD_PARAM: SrtpError = SrtpError(2);
    pub const AUTH_FAIL: SrtpError = SrtpError(7);
    pub const REPLAY_FAIL: SrtpError = SrtpError(9);
    pub const REPLAY_OLD: SrtpError = SrtpError(10);

    pub fn code(self) -> i32 {
        self.0
    }

    /// libsrtp's name for the status, as Janus logs it (`janus_srtp_error_str`).
    pub fn name(self) -> &'static str {
        crate::rtp::srtp::error_name(self.0).unwrap_or("unknown")
    }

    /// A packet seen before, or older than the replay window: Janus does not log these,
    /// they are usually retransmissions it asked for.
    pub fn is_replay(self) -> bool {
        self == SrtpError::REPLAY_FAIL || self == SrtpError::REPLAY_OLD
    }
}

impl fmt::Display for SrtpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::error::Error for SrtpError {}

/// What went wrong so far, per direction of the association.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SrtpCounters {
    /// Inbound packets whose authentication tag did not verify.
    pub auth_failures: u64,
    /// Inbound packets rejected as replayed or too old.
    pub replay_failures: u64,
    /// Inbound packets rejected for any other reason (too short, malformed, ...).
    pub unprotect_failures: u64,
    /// Outbound packets libsrtp could not protect (Janus' `srtp_errors_count`).
    pub protect_failures: u64,
    /// The last protect error (Janus' `last_srtp_error`).
    pub last_protect_error: Option<SrtpError>,
}

/// The SRTP state of one DTLS-SRTP association: our outbound session, keyed with our master
/// key, and the inbound one, keyed with the peer's. Each matches any SSRC of its direction.
pub struct SrtpSession {
    profile: Profile,
    inbound: libsrtp::Session,
    outbound: libsrtp::Session,
    counters: SrtpCounters,
}

impl SrtpSession {
    pub fn new(profile: Profile, keys: &SessionKeys) -> Result<SrtpSession, SrtpError> {
        let (rtp, rtcp) = match profile {
            Profile::Aes128CmSha1_80 => (Crypto::AesCm128HmacSha1_80, Crypto::AesCm128HmacSha1_80),
            // A short RTP tag, but SRTCP keeps the 80-bit one (RFC 5764 4.1.2).
            Profile::Aes128CmSha1_32 => (Crypto::AesCm128HmacSha1_32, Crypto::AesCm128HmacSha1_80),
            Profile::AeadAes128Gcm => (Crypto::AesGcm128Auth16, Crypto::AesGcm128Auth16),
            Profile::AeadAes256Gcm => (Crypto::AesGcm256Auth16, Crypto::AesGcm256Auth16),
        };
        let create = |direction, key: &MasterKey| {
            libsrtp::Session::create(rtp, rtcp, direction, key.as_bytes(), REPLAY_WINDOW, false).map_err(SrtpError)
        };
        Ok(SrtpSession {
            profile,
            inbound: create(Direction::Inbound, &keys.remote)?,
            outbound: create(Direction::Outbound, &keys.local)?,
            counters: SrtpCounters::default(),
        })
    }

    /// The session for our `role`, from DTLS' exported keying material.
    pub fn from_keying_material(profile: Profile, material: &[u8], role: DtlsRole) -> Result<SrtpSession, SrtpError> {
        let keys = SessionKeys::from_keying_material(profile, material, role).ok_or(SrtpError::BAD_PARAM)?;
        SrtpSession::new(profile, &keys)
    }

    pub fn profile(&self) -> Profile {
        self.profile
    }

    pub fn counters(&self) -> &SrtpCounters {
        &self.counters
    }

    /// Encrypts and authenticates the RTP packet `buf[..len]` in place; returns the SRTP
    /// length. `buf` must have `RTP_TRAILER_ROOM` bytes after the packet.
    pub fn protect_rtp(&mut self, buf: &mut [u8], len: usize) -> Result<usize, SrtpError> {
        let result = self.outbound.protect_rtp(buf, len).map_err(SrtpError);
        self.count_protect(result)
    }

    /// Encrypts and authenticates the RTCP compound packet `buf[..len]` in place; returns the
    /// SRTCP length. `buf` must have `RTCP_TRAILER_ROOM` bytes after the packet.
    pub fn protect_rtcp(&mut self, buf: &mut [u8], len: usize) -> Result<usize, SrtpError> {
        let result = self.outbound.protect_rtcp(buf, len).map_err(SrtpError);
        self.count_protect(result)
    }

    /// Verifies and decrypts the SRTP packet `buf[..len]` in place; returns the RTP length.
    /// After an error the packet bytes are unspecified (AEAD may have decrypted in place).
    pub fn unprotect_rtp(&mut self, buf: &mut [u8], len: usize) -> Result<usize, SrtpError> {
        let result = self.inbound.unprotect_rtp(buf, len).map_err(SrtpError);
        self.count_unprotect(result)
    }

    /// Verifies and decrypts the SRTCP packet `buf[..len]` in place; returns the RTCP length.
    /// After an error the packet bytes are unspecified.
    pub fn unprotect_rtcp(&mut self, buf: &mut [u8], len: usize) -> Result<usize, SrtpError> {
        let result = self.inbound.unprotect_rtcp(buf, len).map_err(SrtpError);
        self.count_unprotect(result)
    }

    fn count_protect(&mut self, result: Result<usize, SrtpError>) -> Result<usize, SrtpError> {
        if let Err(e) = result {
            self.counters.protect_failures += 1;
            self.counters.last_protect_error = Some(e);
        }
        result
    }

    fn count_unprotect(&mut self, result: Result<usize, SrtpError>) -> Result<usize, SrtpError> {
        match result {
            Err(e) if e == SrtpError::AUTH_FAIL => self.counters.auth_failures += 1,
            Err(e) if e.is_replay() => self.counters.replay_failures += 1,
            Err(_) => self.counters.unprotect_failures += 1,
            Ok(_) => {}
        }
        result
    }
}

impl fmt::Debug for SrtpSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SrtpSession").field("profile", &self.profile).field("counters", &self.counters).finish()
    }
}
