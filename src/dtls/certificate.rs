//! The gateway's DTLS certificate: loaded from `certificates.cert_pem`/`cert_key` (with
//! `cert_pwd`), or generated at startup as Janus does when none is configured.

use crate::sys::openssl::{Certificate, Digest, PrivateKey};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Validity of a generated certificate, each side of now (Janus: one year).
const AUTOCERT_VALIDITY: Duration = Duration::from_secs(60 * 60 * 24 * 365);
/// RSA size when `rsa_private_key` is set; otherwise ECDSA on this curve.
const RSA_BITS: usize = 2048;
const EC_CURVE: &str = "prime256v1";

/// Why the certificate could not be set up (Janus refuses to start in each case).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertificateError {
    /// Only one of `cert_pem` and `cert_key` configured.
    MissingCertOrKey,
    /// A file could not be read.
    Read { path: PathBuf, error: String },
    /// `PEM_read_X509 failed`.
    InvalidCertificate,
    /// `PEM_read_PrivateKey failed` (bad PEM, or wrong/missing password).
    InvalidKey,
    /// Key or certificate generation failed.
    Generate,
}

impl fmt::Display for CertificateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingCertOrKey => f.write_str("DTLS certificate and key must be specified"),
            Self::Read { path, error } => write!(f, "Error opening {} ({error})", path.display()),
            Self::InvalidCertificate => f.write_str("PEM_read_X509 failed"),
            Self::InvalidKey => f.write_str("PEM_read_PrivateKey failed"),
            Self::Generate => f.write_str("Error generating DTLS key/certificate"),
        }
    }
}

/// A certificate with its private key and its SHA-256 fingerprint in SDP form.
pub struct DtlsCertificate {
    pub(super) certificate: Certificate,
    pub(super) key: PrivateKey,
    fingerprint: String,
}

impl DtlsCertificate {
    /// What Janus does with its `certificates` settings: neither file configured means a
    /// generated certificate, both means loading them, one alone is an error.
    pub fn from_settings(
        cert_pem: Option<&Path>,
        cert_key: Option<&Path>,
        password: Option<&str>,
        rsa_private_key: bool,
    ) -> Result<Self, CertificateError> {
        match (cert_pem, cert_key) {
            (None, None) => Self::generate(rsa_private_key),
            (Some(pem), Some(key)) => Self::load(pem, key, password),
            _ => Err(CertificateError::MissingCertOrKey),
        }
    }

    /// A self-signed certificate as Janus generates it: RSA 2048 (`rsa_private_key`) or ECDSA
    /// P-256, X.509 v3, random serial, valid from a year ago to a year from now, subject and
    /// issuer `O=Janus, CN=Janus`, signed with SHA-256.
    pub fn generate(rsa_private_key: bool) -> Result<Self, CertificateError> {
        let key = if rsa_private_key { PrivateKey::generate_rsa(RSA_BITS) } else { PrivateKey::generate_ec(EC_CURVE) }
            .ok_or(CertificateError::Generate)?;
        let mut serial = [0u8; 4];
        if !crate::sys::crypto::rand_bytes(&mut serial) {
            return Err(CertificateError::Generate);
        }
        // Janus passes a g_random_int() as a (signed) long: keep it positive for ASN.1 tidiness.
        let serial = u32::from_be_bytes(serial) >> 1;
        let certificate = Certificate::self_signed(&key, serial, AUTOCERT_VALIDITY, &[("O", "Janus"), ("CN", "Janus")])
            .ok_or(CertificateError::Generate)?;
        Self::new(certificate, key)
    }

    /// Loads a PEM certificate and a PEM private key, the latter possibly encrypted with
    /// `password`.
    pub fn load(cert_pem: &Path, cert_key: &Path, password: Option<&str>) -> Result<Self, CertificateError> {
        let read = |path: &Path| std::fs::read(path).map_err(|e| CertificateError::Read { path: path.to_path_buf(), error: e.to_string() });
        let certificate = Certificate::from_pem(&read(cert_pem)?).ok_or(CertificateError::InvalidCertificate)?;
        let key = PrivateKey::from_pem(&read(cert_key)?, password.map(str::as_bytes)).ok_or(CertificateError::InvalidKey)?;
        Self::new(certificate, key)
    }

    fn new(certificate: Certificate, key: PrivateKey) -> Result<Self, CertificateError> {
        let digest = certificate.digest(Digest::Sha256).ok_or(CertificateError::InvalidCertificate)?;
        Ok(Self { certificate, key, fingerprint: format_fingerprint(&digest) })
    }

    /// The SHA-256 fingerprint as `a=fingerprint:sha-256` carries it (`AA:BB:...`).
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// The certificate in PEM form.
    pub fn to_pem(&self) -> Option<String> {
        self.certificate.to_pem()
    }
}

/// A digest as upper-case hex pairs separated by colons.
pub fn format_fingerprint(digest: &[u8]) -> String {
    use fmt::Write;
    let mut out = String::with_capacity(digest.len() * 3);
    for (i, b) in digest.iter().enumerate() {
        if i > 0 {
            out.push(':');
        }
        let _ = write!(out, "{b:02X}");
    }
    out
}
