//! The PeerConnection state Janus' core SDP handling (`sdp.c` and the SDP parts of
//! `janus.c`) reads and writes: a plain description the media plane adopts, with no
//! sockets, agents or timers in it. Field names follow `janus_ice_peerconnection` and
//! `janus_ice_peerconnection_medium`.

use std::collections::{BTreeMap, BTreeSet};

/// `janus_dtls_role`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum DtlsRole {
    #[default]
    Actpass,
    Server,
    Client,
}

impl DtlsRole {
    /// `janus_get_dtls_srtp_role`: the `a=setup` value that advertises this role.
    pub fn setup_value(self) -> &'static str {
        match self {
            DtlsRole::Actpass => "actpass",
            DtlsRole::Server => "passive",
            DtlsRole::Client => "active",
        }
    }
}

/// `janus_media_type` of a medium.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MediumKind {
    Audio,
    Video,
    Data,
    Unknown,
}

/// One m-line's worth of PeerConnection state (`janus_ice_peerconnection_medium`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Medium {
    /// Position in [`PeerConnection::media`], which is also the m-line index it serves.
    pub mindex: usize,
    pub kind: MediumKind,
    pub mid: Option<String>,
    /// What we advertise in `a=msid` (from the plugin's SDP).
    pub msid: Option<String>,
    pub mstid: Option<String>,
    /// What the peer advertised in `a=msid`.
    pub remote_msid: Option<String>,
    pub remote_mstid: Option<String>,
    pub send: bool,
    pub recv: bool,
    /// Our SSRC for this medium and its RFC 4588 retransmission SSRC (0 for none).
    pub ssrc: u32,
    pub ssrc_rtx: u32,
    /// The peer's SSRCs (one per simulcast substream) and their rtx SSRCs.
    pub ssrc_peer: [u32; 3],
    pub ssrc_peer_rtx: [u32; 3],
    /// What the SDP being processed announces, before it replaces `ssrc_peer*`.
    pub ssrc_peer_new: [u32; 3],
    pub ssrc_peer_rtx_new: [u32; 3],
    /// With rid-based simulcast, the one `a=ssrc` remembered in case rids end up unused.
    pub ssrc_peer_temp: u32,
    /// RTP stream ids, in substream order, and which are currently paused (`~`).
    pub rid: [Option<String>; 3],
    pub disabled_rid: [bool; 3],
    /// Whether rids were listed high-to-low (`rid_order` = "hml", the default).
    pub rids_hml: bool,
    /// Firefox' `a=simulcast: send rid=...` syntax.
    pub legacy_rid: bool,
    /// The payload types of the peer's m-line.
    pub payload_types: Vec<i32>,
    /// Media payload type -> its rtx payload type, `None` until a mapping was ever made.
    pub rtx_payload_types: Option<BTreeMap<i32, i32>>,
    /// Payload type -> clock rate, `None` until an `a=rtpmap` was seen.
    pub clock_rates: Option<BTreeMap<i32, u32>>,
    /// The opus RED (`red/48000/2`) payload type, 0 if not negotiated.
    pub opusred_pt: i32,
    pub do_nacks: bool,
}

impl Medium {
    fn new(mindex: usize, kind: MediumKind) -> Medium {
        Medium {
            mindex,
            kind,
            mid: None,
            msid: None,
            mstid: None,
            remote_msid: None,
            remote_mstid: None,
            send: false,
            recv: false,
            ssrc: 0,
            ssrc_rtx: 0,
            ssrc_peer: [0; 3],
            ssrc_peer_rtx: [0; 3],
            ssrc_peer_new: [0; 3],
            ssrc_peer_rtx_new: [0; 3],
            ssrc_peer_temp: 0,
            rid: [None, None, None],
            disabled_rid: [false; 3],
            rids_hml: false,
            legacy_rid: false,
            payload_types: Vec::new(),
            rtx_payload_types: None,
            clock_rates: None,
            opusred_pt: 0,
            do_nacks: false,
        }
    }

    /// The rtx payload type mapped to `pt`, where a mapping to 0 reads as none (Janus
    /// stores them as hash table pointers).
    pub fn rtx_for(&self, pt: i32) -> i32 {
        self.rtx_payload_types.as_ref().and_then(|t| t.get(&pt).copied()).unwrap_or(0)
    }

    /// Whether `pt` has a non-zero clock rate on record.
    pub(crate) fn has_clock_rate(&self, pt: i32) -> bool {
        self.clock_rates.as_ref().and_then(|t| t.get(&pt)).is_some_and(|cr| *cr != 0)
    }
}

/// The RTP header extension ids negotiated on the PeerConnection (0 for none; the ids
/// read straight from an SDP text are -2 when the extension is absent, as in Janus).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct ExtensionIds {
    pub mid: i32,
    pub rid: i32,
    pub repaired_rid: i32,
    pub audio_level: i32,
    pub video_orientation: i32,
    pub playout_delay: i32,
    pub abs_send_time: i32,
    pub transport_wide_cc: i32,
    pub do_transport_wide_cc: bool,
    pub dependency_descriptor: i32,
}

impl ExtensionIds {
    /// Switches off transport-wide CC, the dependency descriptor and abs-send-time when
    /// the SDP at hand did not mention them (an answer, or what a plugin kept).
    pub fn forget_unseen(&mut self, twcc: bool, dependency_descriptor: bool, abs_send_time: bool) {
        if !twcc {
            self.do_transport_wide_cc = false;
            self.transport_wide_cc = 0;
        }
        if !dependency_descriptor {
            self.dependency_descriptor = 0;
        }
        if !abs_send_time {
            self.abs_send_time = 0;
        }
    }
}

/// A remote candidate as Janus hands it to libnice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteCandidate {
    pub foundation: String,
    pub component: u32,
    pub transport: CandidateTransport,
    pub priority: u32,
    pub address: String,
    pub port: u32,
    pub kind: CandidateKind,
    /// `raddr`/`rport` (srflx, prflx and relay candidates).
    pub related: Option<(String, u32)>,
    /// The candidate text as received (without a `candidate:` prefix).
    pub text: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CandidateKind {
    Host,
    ServerReflexive,
    PeerReflexive,
    Relayed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CandidateTransport {
    Udp,
    TcpActive,
    TcpPassive,
    TcpSo,
}

/// The state of one handle's PeerConnection that SDP processing reads and writes
/// (`janus_ice_peerconnection`, plus the `janus_ice_handle` fields and WebRTC flags
/// it touches).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct PeerConnection {
    /// Indexed by `mindex`.
    pub media: Vec<Medium>,
    /// The first mid seen, the one the BUNDLE transport is addressed by.
    pub pc_mid: Option<String>,
    /// The peer's RTP profile (`m=` protocol), which our SDPs reuse.
    pub rtp_profile: Option<String>,
    /// Remote ICE credentials and DTLS fingerprint.
    pub ruser: Option<String>,
    pub rpass: Option<String>,
    pub remote_hashing: Option<String>,
    pub remote_fingerprint: Option<String>,
    /// Our DTLS role.
    pub dtls_role: DtlsRole,
    /// Every payload type in use, RTX maps (media -> rtx and back) and clock rates.
    pub payload_types: BTreeSet<i32>,
    pub rtx_payload_types: BTreeMap<i32, i32>,
    pub rtx_payload_types_rev: BTreeMap<i32, i32>,
    pub clock_rates: BTreeMap<i32, u32>,
    /// Candidates taken from SDPs (trickled ones go through the same parser).
    pub remote_candidates: Vec<RemoteCandidate>,
    pub extensions: ExtensionIds,
    /// `JANUS_ICE_HANDLE_WEBRTC_DATA_CHANNELS`.
    pub data_channels: bool,
    /// The peer's `a=max-message-size` for data channels (RFC 8841), if it gave one.
    pub remote_max_message_size: Option<u32>,
    /// `JANUS_ICE_HANDLE_WEBRTC_NEW_DATACHAN_SDP`: `UDP/DTLS/SCTP` + `a=sctp-port` syntax.
    pub new_datachan_sdp: bool,
    /// `JANUS_ICE_HANDLE_WEBRTC_RFC4588_RTX`.
    pub rfc4588_rtx: bool,
    /// `JANUS_ICE_HANDLE_WEBRTC_ICE_RESTART`.
    pub ice_restart: bool,
}

impl PeerConnection {
    /// A PeerConnection as `janus_ice_setup_local` leaves it: no media yet.
    pub fn new(dtls_role: DtlsRole) -> PeerConnection {
        PeerConnection { dtls_role, ..PeerConnection::default() }
    }

    /// `janus_ice_peerconnection_medium_create`: appends a medium; audio and video ones
    /// get a random SSRC (and an rtx one when RFC 4588 is on).
    pub fn create_medium(&mut self, kind: MediumKind, random: &mut dyn FnMut() -> u32) -> usize {
        let mindex = self.media.len();
        let mut medium = Medium::new(mindex, kind);
        if matches!(kind, MediumKind::Audio | MediumKind::Video) {
            medium.ssrc = random();
            if self.rfc4588_rtx {
                medium.ssrc_rtx = random();
            }
        }
        self.media.push(medium);
        mindex
    }

    /// The medium serving m-line `index`, created with `kind` if there is none yet.
    pub(crate) fn medium_for(&mut self, index: i32, kind: MediumKind, random: &mut dyn FnMut() -> u32) -> usize {
        match usize::try_from(index).ok().filter(|i| *i < self.media.len()) {
            Some(i) => i,
            None => self.create_medium(kind, random),
        }
    }

    /// The medium serving m-line `index`, if any.
    pub fn medium(&self, index: i32) -> Option<&Medium> {
        usize::try_from(index).ok().and_then(|i| self.media.get(i))
    }
}

/// Process-wide settings the core's SDP handling depends on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SdpSettings {
    /// `janus_is_webrtc_encryption_enabled` (false only with `-w`/`no_webrtc_encryption`).
    pub webrtc_encryption: bool,
    pub ipv6: bool,
    pub mdns: bool,
    pub ice_tcp: bool,
    pub ice_lite: bool,
    pub full_trickle: bool,
    /// `janus_get_public_ip(0)`: the address in our `o=`/`c=` lines.
    pub public_ip: String,
}

impl Default for SdpSettings {
    fn default() -> Self {
        SdpSettings {
            webrtc_encryption: true,
            ipv6: false,
            mdns: true,
            ice_tcp: false,
            ice_lite: false,
            full_trickle: false,
            public_ip: "127.0.0.1".into(),
        }
    }
}
