//! The media plane of a handle (Janus' `janus_ice_handle` media side): the settings every
//! PeerConnection is made from ([`MediaPlane`], read once at startup like Janus'
//! `janus_ice_init` and `janus_dtls_srtp_init`), and the per-handle [`PeerConnection`]
//! that owns the ICE agent, the DTLS context and the SRTP sessions.

mod data;
mod jsep;
pub mod packets;
mod peer_connection;
pub mod stats;

pub use data::{DataChannels, DataDelivery, Outbox, OutgoingData, Queued};
pub use packets::{classify, unwrap_rtx, Datagram, History, LossDetector, Route, Routes, RtpExtensions};
pub use peer_connection::{AgentRequest, MediaEvents, PeerConnection, PeerConnectionError};

use std::sync::{Arc, Mutex};

use crate::dtls::DtlsSettings;
use crate::ice::{EventLoops, IceSettings};
use crate::sdp::SdpSettings;

/// What every PeerConnection is made from.
pub struct MediaPlane {
    pub ice: Arc<IceSettings>,
    pub dtls: Arc<DtlsSettings>,
    pub sdp: SdpSettings,
    pub loops: EventLoops,
    /// Milliseconds between transport-wide CC feedbacks (`twcc_period`; 1000: sent with
    /// the RTCP reports).
    pub twcc_period: u32,
    /// `allow_force_relay`: a JSEP's `force_relay` is obeyed.
    pub allow_force_relay: bool,
}

/// A handle's PeerConnection slot, shared with the plugin glue so that the media callbacks
/// of plugins (`relay_rtp` and friends) reach it without going through the session registry.
#[derive(Default)]
pub struct MediaSlot {
    pc: Mutex<Option<Arc<PeerConnection>>>,
}

impl MediaSlot {
    pub fn get(&self) -> Option<Arc<PeerConnection>> {
        self.pc.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn set(&self, pc: Arc<PeerConnection>) {
        *self.pc.lock().unwrap_or_else(|e| e.into_inner()) = Some(pc);
    }

    pub fn take(&self) -> Option<Arc<PeerConnection>> {
        self.pc.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}
