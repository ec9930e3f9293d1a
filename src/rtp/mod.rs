//! RTP: packet header access, sequence/timestamp switching, and the helpers plugins use to
//! inspect and rewrite media (Janus' `rtp.c`).

pub mod header;
pub mod switching;
