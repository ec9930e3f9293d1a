//! DTLS for DTLS-SRTP (Janus' `dtls.c`/`dtls-bio.c`), sans-IO: datagrams and time in,
//! datagrams and events out. One [`DtlsSettings`] per gateway (Janus' global `SSL_CTX`: the
//! certificate, `dtls_ciphers`, `dtls_mtu`, `dtls_timeout`, `dtls_accept_selfsigned`), one
//! [`DtlsContext`] per PeerConnection. The SRTP sessions themselves are keyed by the owner
//! from the [`SrtpKeyingMaterial`] a successful handshake reports.

mod certificate;
mod context;
#[cfg(test)]
mod tests;

pub use certificate::{format_fingerprint, CertificateError, DtlsCertificate};
pub use context::{DtlsContext, DtlsEvent, DtlsFailure};

use crate::srtp::{Profile, SessionKeys};
use crate::sys::openssl::{ContextError, DtlsContextConfig, SslContext};
use std::time::Duration;

/// `dtls_ciphers` when not configured.
pub const DEFAULT_CIPHERS: &str = "DEFAULT:!NULL:!aNULL:!SHA256:!SHA384:!aECDH:!AESGCM+AES256:!aPSK";
/// The `use_srtp` profiles we offer, in Janus' preference order.
pub const SRTP_PROFILES: &str = "SRTP_AEAD_AES_256_GCM:SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80:SRTP_AES128_CM_SHA1_32";
/// `dtls_mtu` when not configured.
pub const DEFAULT_MTU: u16 = 1200;
/// `dtls_timeout` when not configured: the first retransmission interval.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(1000);
/// Janus gives up on a handshake that has not completed in this long ("DTLS timeout").
pub const HANDSHAKE_GIVE_UP: Duration = Duration::from_secs(20);

/// Whether a datagram from the peer is DTLS (first byte 20..=64, RFC 7983 demultiplexing as
/// Janus does it), as opposed to STUN or SRTP/SRTCP.
pub fn is_dtls(datagram: &[u8]) -> bool {
    datagram.first().is_some_and(|b| (20..=64).contains(b))
}

/// The DTLS settings of the gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DtlsOptions {
    /// `certificates.dtls_ciphers` (OpenSSL cipher list syntax).
    pub ciphers: String,
    /// `media.dtls_mtu`: no datagram of the handshake is larger.
    pub mtu: u16,
    /// `media.dtls_timeout`: first retransmission interval, doubled after each one.
    pub timeout: Duration,
    /// `certificates.dtls_accept_selfsigned`.
    pub accept_selfsigned: bool,
}

impl Default for DtlsOptions {
    fn default() -> Self {
        Self { ciphers: DEFAULT_CIPHERS.into(), mtu: DEFAULT_MTU, timeout: DEFAULT_TIMEOUT, accept_selfsigned: true }
    }
}

/// What the gateway holds for DTLS: the context every PeerConnection's DTLS is created from,
/// and our fingerprint for the SDP.
pub struct DtlsSettings {
    ctx: SslContext,
    fingerprint: String,
    options: DtlsOptions,
}

impl DtlsSettings {
    pub fn new(certificate: &DtlsCertificate, options: DtlsOptions) -> Result<Self, ContextError> {
        let ctx = SslContext::new_dtls(&DtlsContextConfig {
            certificate: &certificate.certificate,
            key: &certificate.key,
            ciphers: &options.ciphers,
            srtp_profiles: SRTP_PROFILES,
            accept_selfsigned: options.accept_selfsigned,
        })?;
        Ok(Self { ctx, fingerprint: certificate.fingerprint().to_string(), options })
    }

    /// Our SHA-256 fingerprint (`janus_dtls_get_local_fingerprint`).
    pub fn local_fingerprint(&self) -> &str {
        &self.fingerprint
    }

    pub fn options(&self) -> &DtlsOptions {
        &self.options
    }
}

/// Our DTLS role, as Janus names it in the SDP `a=setup` attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DtlsRole {
    /// Not decided yet (we sent an offer); handshakes as a server if started so.
    ActPass,
    /// `passive`: we accept the handshake.
    Server,
    /// `active`: we start the handshake.
    Client,
}

impl DtlsRole {
    /// The `a=setup` value for this role.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ActPass => "actpass",
            Self::Server => "passive",
            Self::Client => "active",
        }
    }

    /// Our role given the peer's `a=setup` (case-insensitive): we are the client unless the
    /// peer is `active`. `None` for anything else.
    pub fn for_remote_setup(setup: &str) -> Option<Self> {
        if setup.eq_ignore_ascii_case("active") {
            Some(Self::Server)
        } else if setup.eq_ignore_ascii_case("actpass") || setup.eq_ignore_ascii_case("passive") {
            Some(Self::Client)
        } else {
            None
        }
    }
}

/// The DTLS state Janus reports (`dtls-state`, event handlers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DtlsState {
    Created,
    Trying,
    Connected,
    Failed,
}

impl DtlsState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Trying => "trying",
            Self::Connected => "connected",
            Self::Failed => "failed",
        }
    }
}

/// What a completed handshake gives the SRTP layer: the negotiated profile and the master
/// keys of both directions (ours protects what we send, the peer's verifies what we get).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SrtpKeyingMaterial {
    pub profile: Profile,
    pub keys: SessionKeys,
}
