//! The DTLS state machine of one PeerConnection (Janus' `janus_dtls_srtp`).

use super::{format_fingerprint, DtlsRole, DtlsSettings, DtlsState, SrtpKeyingMaterial, HANDSHAKE_GIVE_UP};
use crate::srtp::{DtlsRole as KeyHalf, Profile, SessionKeys};
use crate::sys::openssl::{Digest, DtlsConnection, SslStatus};
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// The RFC 5764 exporter label for DTLS-SRTP keys.
const SRTP_EXPORTER_LABEL: &str = "EXTRACTOR-dtls_srtp";

/// Why a handshake failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DtlsFailure {
    /// OpenSSL refused the handshake (its reason).
    Handshake(String),
    /// The peer's certificate does not match `a=fingerprint` (or none was given).
    FingerprintMismatch { expected: Option<String>, got: String },
    /// The handshake completed without a peer certificate.
    NoPeerCertificate,
    /// The handshake completed without `use_srtp`.
    NoSrtpProfile,
    /// The SRTP keys could not be exported.
    KeyExport(String),
    /// Not connected within 20 seconds of starting (Janus: "DTLS timeout").
    Timeout,
    /// Retransmitting failed (Janus: "DTLS error").
    Retransmission(String),
}

/// What the owner of the PeerConnection learns from DTLS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DtlsEvent {
    /// Handshake done and fingerprint verified: key SRTP with this.
    Connected(SrtpKeyingMaterial),
    /// An alert was sent or received. Janus hangs the PeerConnection up on any ("DTLS alert").
    Alert { sent: bool, fatal: bool, description: u8 },
    /// The peer sent close_notify.
    Closed,
    /// The handshake failed; Janus hangs the PeerConnection up.
    Failed(DtlsFailure),
}

/// The fingerprint the remote SDP announced, and its hash function.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RemoteFingerprint {
    digest: Digest,
    value: String,
}

/// The DTLS endpoint of one PeerConnection.
pub struct DtlsContext {
    conn: DtlsConnection,
    role: DtlsRole,
    state: DtlsState,
    remote: Option<RemoteFingerprint>,
    started: Option<Instant>,
    connected: Option<Instant>,
    retransmissions: u32,
    profile: Option<Profile>,
    /// Handshake done and SRTP keyed: what arrives now is application data.
    ready: bool,
    /// An alert went by, or the peer closed: nothing more is processed.
    stopped: bool,
    events: VecDeque<DtlsEvent>,
}

impl DtlsContext {
    /// A DTLS endpoint in state `created`; `None` if OpenSSL cannot allocate one.
    pub fn new(settings: &DtlsSettings, role: DtlsRole) -> Option<Self> {
        let conn = DtlsConnection::new(&settings.ctx, settings.options.mtu, settings.options.timeout)?;
        Some(Self {
            conn,
            role,
            state: DtlsState::Created,
            remote: None,
            started: None,
            connected: None,
            retransmissions: 0,
            profile: None,
            ready: false,
            stopped: false,
            events: VecDeque::with_capacity(4),
        })
    }

    pub fn role(&self) -> DtlsRole {
        self.role
    }

    /// Changes the role, as negotiation may, until the handshake starts.
    pub fn set_role(&mut self, role: DtlsRole) {
        if self.state == DtlsState::Created {
            self.role = role;
        }
    }

    /// The remote SDP's `a=fingerprint:<hash> <value>`: `sha-1` selects SHA-1, anything
    /// else SHA-256, as Janus does. Compared case-insensitively.
    pub fn set_remote_fingerprint(&mut self, hash: &str, value: &str) {
        let digest = if hash.eq_ignore_ascii_case("sha-1") { Digest::Sha1 } else { Digest::Sha256 };
        self.remote = Some(RemoteFingerprint { digest, value: value.to_string() });
    }

    pub fn state(&self) -> DtlsState {
        self.state
    }

    pub fn retransmissions(&self) -> u32 {
        self.retransmissions
    }

    /// The negotiated SRTP profile, once connected.
    pub fn srtp_profile(&self) -> Option<Profile> {
        self.profile
    }

    /// Whether SRTP is keyed and application data flows (Janus' `ready`).
    pub fn is_ready(&self) -> bool {
        self.ready
    }

    pub fn started_at(&self) -> Option<Instant> {
        self.started
    }

    pub fn connected_at(&self) -> Option<Instant> {
        self.connected
    }

    /// The negotiated protocol version and cipher suite (empty before the handshake).
    pub fn version_and_cipher(&self) -> (String, String) {
        self.conn.version_and_cipher()
    }

    /// Starts the handshake (Janus' `janus_dtls_srtp_handshake`): a client sends its
    /// ClientHello, anything else waits for one. Datagrams arriving before are dropped.
    pub fn start(&mut self, now: Instant) {
        if self.state == DtlsState::Created {
            self.started = Some(now);
            if self.role == DtlsRole::Client {
                self.conn.set_connect_state();
            } else {
                self.conn.set_accept_state();
            }
            self.state = DtlsState::Trying;
        }
        if let SslStatus::Error(reason) = self.conn.do_handshake() {
            self.fail(DtlsFailure::Handshake(reason));
        }
        self.collect_alerts();
    }

    /// Processes one datagram from the peer. Handshake records advance the handshake; once
    /// connected, the first application record is decrypted into `app_data` and its length
    /// returned (0 if none; more records of the same datagram via [`Self::read_application_data`]).
    /// Garbage is dropped or fails the handshake, never panics.
    pub fn handle_incoming(&mut self, datagram: &[u8], now: Instant, app_data: &mut [u8]) -> usize {
        if self.started.is_none() || self.stopped || self.state == DtlsState::Failed {
            return 0;
        }
        if !self.conn.feed(datagram) {
            return 0;
        }
        let read = self.read_step(app_data);
        if self.stopped || self.state == DtlsState::Failed || !self.conn.is_init_finished() {
            return 0;
        }
        if !self.ready {
            self.handshake_done(now);
        }
        read
    }

    /// Further application records of the datagram last given to [`Self::handle_incoming`].
    pub fn read_application_data(&mut self, app_data: &mut [u8]) -> usize {
        if !self.ready || self.stopped {
            return 0;
        }
        self.read_step(app_data)
    }

    fn read_step(&mut self, app_data: &mut [u8]) -> usize {
        let status = self.conn.read(app_data);
        self.collect_alerts();
        match status {
            SslStatus::Done(n) if self.ready => n,
            SslStatus::Closed => {
                self.close();
                0
            }
            SslStatus::Error(reason) if !self.ready => {
                self.fail(DtlsFailure::Handshake(reason));
                0
            }
            _ => 0,
        }
    }

    /// Encrypts application data (SCTP) into one record, queued for sending. `false` if not
    /// connected or OpenSSL refused.
    pub fn send(&mut self, data: &[u8]) -> bool {
        if !self.ready || self.stopped || data.is_empty() {
            return false;
        }
        matches!(self.conn.write(data), SslStatus::Done(_))
    }

    /// Sends close_notify (Janus' `janus_dtls_srtp_send_alert`); nothing is processed after.
    pub fn send_close_notify(&mut self) {
        if self.started.is_none() || self.stopped {
            return;
        }
        self.conn.shutdown();
        // Our own close_notify is no news to the owner who asked for it.
        while self.conn.next_alert().is_some() {}
        self.stopped = true;
    }

    /// When [`Self::handle_timeout`] should be called next: the retransmission timer while
    /// the handshake is in progress, bounded by the 20 s give-up.
    pub fn poll_timeout(&self, now: Instant) -> Option<Instant> {
        if self.state != DtlsState::Trying || self.stopped {
            return None;
        }
        let give_up = self.started? + HANDSHAKE_GIVE_UP;
        Some(self.conn.timeout().map_or(give_up, |left| (now + left).min(give_up)))
    }

    /// Retransmits the last flight if its timer expired (counted in `retransmissions`), and
    /// gives up on a handshake older than 20 s.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.state != DtlsState::Trying || self.stopped {
            return;
        }
        let Some(started) = self.started else { return };
        if now.saturating_duration_since(started) >= HANDSHAKE_GIVE_UP {
            self.fail(DtlsFailure::Timeout);
            return;
        }
        if self.conn.timeout() != Some(Duration::ZERO) {
            return;
        }
        match self.conn.handle_timeout() {
            Ok(true) => self.retransmissions += 1,
            Ok(false) => {}
            Err(reason) => self.fail(DtlsFailure::Retransmission(reason)),
        }
        self.collect_alerts();
    }

    /// The next datagram to send to the peer.
    pub fn poll_transmit(&mut self) -> Option<&[u8]> {
        self.conn.next_datagram()
    }

    pub fn poll_event(&mut self) -> Option<DtlsEvent> {
        self.events.pop_front()
    }

    fn fail(&mut self, failure: DtlsFailure) {
        self.state = DtlsState::Failed;
        self.events.push_back(DtlsEvent::Failed(failure));
    }

    /// The peer's close_notify (reported once: nothing is read after it).
    fn close(&mut self) {
        self.stopped = true;
        self.events.push_back(DtlsEvent::Closed);
    }

    fn collect_alerts(&mut self) {
        while let Some(alert) = self.conn.next_alert() {
            self.stopped = true;
            self.events.push_back(DtlsEvent::Alert { sent: alert.sent, fatal: alert.level == 2, description: alert.description });
        }
    }

    /// The handshake just completed: verify the peer, export the SRTP keys.
    fn handshake_done(&mut self, now: Instant) {
        let Some(peer) = self.conn.peer_certificate() else {
            return self.fail(DtlsFailure::NoPeerCertificate);
        };
        let digest = self.remote.as_ref().map_or(Digest::Sha256, |r| r.digest);
        let got = peer.digest(digest).map(|d| format_fingerprint(&d)).unwrap_or_default();
        let expected = self.remote.as_ref().map(|r| r.value.clone());
        if !expected.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(&got)) {
            return self.fail(DtlsFailure::FingerprintMismatch { expected, got });
        }
        let Some(profile) = self.conn.selected_srtp_profile().and_then(|id| u16::try_from(id).ok()).and_then(Profile::from_id) else {
            return self.fail(DtlsFailure::NoSrtpProfile);
        };
        let mut material = [0u8; 2 * 44];
        let material = &mut material[..profile.keying_material_len()];
        if !self.conn.export_keying_material(material, SRTP_EXPORTER_LABEL) {
            return self.fail(DtlsFailure::KeyExport(crate::sys::openssl::take_error()));
        }
        let half = if self.role == DtlsRole::Client { KeyHalf::Client } else { KeyHalf::Server };
        let Some(keys) = SessionKeys::from_keying_material(profile, material, half) else {
            return self.fail(DtlsFailure::KeyExport(String::from("unexpected keying material length")));
        };
        self.state = DtlsState::Connected;
        self.connected = Some(now);
        self.profile = Some(profile);
        self.ready = true;
        self.events.push_back(DtlsEvent::Connected(SrtpKeyingMaterial { profile, keys }));
    }
}
