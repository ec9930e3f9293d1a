//! A drop-in replacement for the Janus WebRTC Gateway 1.1.x.
//!
//! The safe core is a set of modules named after the Janus concepts they implement; `abi`
//! exports them to C modules with Janus' exact ABI, and `sys` binds the C libraries we share
//! with those modules.

pub mod admin_api;
pub mod apierror;
pub mod auth;
pub mod config;
pub mod dtls;
pub mod events;
pub mod gateway;
pub mod ice;
pub mod ip_utils;
pub mod janus_api;
pub mod json;
pub mod log;
pub mod loggers;
pub mod media;
pub mod modules;
pub mod options;
pub mod plugin_host;
pub mod record;
pub mod rtcp;
pub mod rtp;
pub mod sctp;
pub mod sdp;
pub mod server;
pub mod server_info;
pub mod session;
pub mod srtp;
pub mod stun;
pub mod text2pcap;
pub mod transport_host;
pub mod utils;

pub mod abi;
mod sys;
#[cfg(test)]
pub(crate) mod test_support;

/// The Janus version we are a drop-in replacement for, as `info` reports it.
pub const JANUS_VERSION: u32 = 1102;
pub const JANUS_VERSION_STRING: &str = "1.1.2";
