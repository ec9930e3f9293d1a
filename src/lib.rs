//! A drop-in replacement for the Janus WebRTC Gateway 1.1.x.
//!
//! The safe core is a set of modules named after the Janus concepts they implement; `abi`
//! exports them to C modules with Janus' exact ABI, and `sys` binds the C libraries we share
//! with those modules.

pub mod apierror;
pub mod modules;
pub mod rtp;
pub mod sdp;

pub mod abi;
mod sys;

/// The Janus version we are a drop-in replacement for, as `info` reports it.
pub const JANUS_VERSION: u32 = 1102;
pub const JANUS_VERSION_STRING: &str = "1.1.2";
