//! RTCP (Janus' `rtcp.c`): walking compound packets, the validity checks Janus applies, the
//! queries plugins use (sender SSRC, PLI/FIR/REMB presence), rewriting SSRCs in place,
//! building feedback (PLI, FIR, REMB, NACK, SDES, transport-wide CC) and the per-stream
//! reception statistics that feed receiver reports.
//!
//! Everything works on byte slices and never reads or writes past them, even when length
//! fields lie: Janus' walk relies on `janus_rtcp_check_len` before touching a packet, and we
//! keep that exact walk (including its quirks) on top of bounds-checked accessors.

pub mod context;
pub mod feedback;
pub mod fix;
pub mod packet;
pub mod query;
pub mod twcc;

pub use context::RtcpContext;
pub use packet::{Compound, Malformed, Packet};
