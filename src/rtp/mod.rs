//! RTP: packet header access, sequence/timestamp switching, and the helpers plugins use to
//! inspect and rewrite media (Janus' `rtp.c`, and the codec helpers of `utils.c`).

pub mod codecs;
pub mod extensions;
pub mod header;
pub mod red;
pub mod simulcast;
pub mod srtp;
pub mod switching;
pub mod vp8;
pub mod vp9;
