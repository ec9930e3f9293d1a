//! Janus' SDP library (`sdp-utils.c`): an SDP model, its parser and writer with Janus' exact
//! acceptance rules, output and size quirks, the codec helpers and the offer/answer
//! generators. Sans-IO and C-free: `crate::abi::sdp` mirrors this tree into the
//! `janus_sdp` structs that modules read and modify.
//!
//! The core's own SDP handling around plugins (Janus' `sdp.c`) lives here too:
//! [`preparse`], [`process_remote`], [`anonymize`], [`process_local`],
//! [`handle_plugin_sdp`] and [`merge`], over the [`PeerConnection`] description.

mod anonymize;
mod candidate;
mod codecs;
mod local;
mod merge;
mod offer_answer;
mod parse;
mod peer;
mod preparse;
mod remote;
pub mod scan;
mod write;

pub use anonymize::{anonymize, remove_payload_type, EXTMAP_ENCRYPTED};
pub use candidate::{parse_candidate, CandidateOutcome};
pub use local::{handle_plugin_sdp, process_local, PluginSdp, PluginSdpError};
pub use merge::{merge, LocalTransport, Merged};
pub use peer::*;
pub use preparse::{preparse, PreparseError, Preparsed, MAX_MID_LENGTH};
pub use remote::{
    apply_remote_extensions, parse_ssrc, parse_ssrc_group, process_remote, ProcessError, RemoteOutcome, EXTMAP_DEPENDENCY_DESC,
};

pub use codecs::*;
pub use offer_answer::*;
pub use parse::parse;
pub use write::write;

/// `janus_sdp_mtype`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum MediaType {
    Audio = 0,
    Video = 1,
    Application = 2,
    #[default]
    Other = 3,
}

impl MediaType {
    /// From the C enum value; anything unknown is `Other`.
    pub fn from_raw(v: i32) -> Self {
        match v {
            0 => MediaType::Audio,
            1 => MediaType::Video,
            2 => MediaType::Application,
            _ => MediaType::Other,
        }
    }

    /// `janus_sdp_parse_mtype`: case-insensitive.
    pub fn parse(s: &str) -> Self {
        ["audio", "video", "application"]
            .iter()
            .position(|t| t.eq_ignore_ascii_case(s))
            .map_or(MediaType::Other, |i| MediaType::from_raw(i as i32))
    }

    /// `janus_sdp_mtype_str`.
    pub fn as_str(self) -> Option<&'static str> {
        match self {
            MediaType::Audio => Some("audio"),
            MediaType::Video => Some("video"),
            MediaType::Application => Some("application"),
            MediaType::Other => None,
        }
    }
}

/// `janus_sdp_mdirection`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Direction {
    #[default]
    Default = 0,
    SendRecv = 1,
    SendOnly = 2,
    RecvOnly = 3,
    Inactive = 4,
    Invalid = 5,
}

impl Direction {
    /// From the C enum value; out-of-range values behave like `Invalid` everywhere in Janus.
    pub fn from_raw(v: i32) -> Self {
        match v {
            0 => Direction::Default,
            1 => Direction::SendRecv,
            2 => Direction::SendOnly,
            3 => Direction::RecvOnly,
            4 => Direction::Inactive,
            _ => Direction::Invalid,
        }
    }

    /// `janus_sdp_parse_mdirection`: case-insensitive, `Invalid` for anything else.
    pub fn parse(s: &str) -> Self {
        ["sendrecv", "sendonly", "recvonly", "inactive"]
            .iter()
            .position(|d| d.eq_ignore_ascii_case(s))
            .map_or(Direction::Invalid, |i| Direction::from_raw(i as i32 + 1))
    }

    /// `janus_sdp_mdirection_str` (`Default` reads as "sendrecv").
    pub fn as_str(self) -> Option<&'static str> {
        match self {
            Direction::Default | Direction::SendRecv => Some("sendrecv"),
            Direction::SendOnly => Some("sendonly"),
            Direction::RecvOnly => Some("recvonly"),
            Direction::Inactive => Some("inactive"),
            Direction::Invalid => None,
        }
    }
}

/// `janus_sdp_attribute`: `a=name[:value]`. `None` stands for a NULL C string.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Attribute {
    pub name: Option<String>,
    pub value: Option<String>,
    /// Direction suffix of e.g. `extmap` (`/sendonly`...).
    pub direction: Direction,
}

impl Attribute {
    pub fn new(name: &str, value: Option<String>) -> Self {
        Attribute { name: Some(name.to_owned()), value, direction: Direction::Default }
    }

    /// Case-insensitive name match, as Janus' `strcasecmp(a->name, ...)` lookups.
    pub fn is(&self, name: &str) -> bool {
        self.name.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(name))
    }
}

/// `janus_sdp_mline`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct MLine {
    pub index: i32,
    pub mtype: MediaType,
    pub type_str: Option<String>,
    pub port: u16,
    pub proto: Option<String>,
    pub fmts: Vec<String>,
    pub ptypes: Vec<i32>,
    pub c_ipv4: bool,
    pub c_addr: Option<String>,
    pub b_name: Option<String>,
    pub b_value: u32,
    pub direction: Direction,
    pub attributes: Vec<Attribute>,
}

impl MLine {
    /// A disabled audio/video m-line: written with a single ` 0` format (and the writer
    /// rewrites the m-line that way), only its `a=mid` kept.
    pub fn is_rejected_media(&self) -> bool {
        self.port == 0 && self.mtype != MediaType::Application
    }
}

/// `janus_sdp`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Sdp {
    pub version: i32,
    pub o_name: Option<String>,
    pub o_sessid: u64,
    pub o_version: u64,
    pub o_ipv4: bool,
    pub o_addr: Option<String>,
    pub s_name: Option<String>,
    pub t_start: u64,
    pub t_stop: u64,
    pub c_ipv4: bool,
    pub c_addr: Option<String>,
    pub attributes: Vec<Attribute>,
    pub m_lines: Vec<MLine>,
}

impl Sdp {
    /// `janus_sdp_new`: `o=- <now> 1 IN IP4 <address>`, `s=<name>`, `t=0 0`, `c=IN IP4 <address>`.
    pub fn new(name: Option<&str>, address: Option<&str>, now_us: u64) -> Sdp {
        let address = address.unwrap_or("127.0.0.1");
        Sdp {
            version: 0,
            o_name: Some("-".into()),
            o_sessid: now_us,
            o_version: 1,
            o_ipv4: true,
            o_addr: Some(address.into()),
            s_name: Some(name.unwrap_or("Janus session").into()),
            t_start: 0,
            t_stop: 0,
            c_ipv4: true,
            c_addr: Some(address.into()),
            attributes: Vec::new(),
            m_lines: Vec::new(),
        }
    }

    /// The m-lines a helper taking `index` looks at: all of them for -1, else the first one
    /// with that index.
    pub(crate) fn mlines_at(&self, index: i32) -> impl Iterator<Item = (usize, &MLine)> {
        let mut done = false;
        self.m_lines.iter().enumerate().filter(move |(_, m)| {
            if done || (index != -1 && m.index != index) {
                return false;
            }
            done = index != -1;
            true
        })
    }
}

/// Position of an attribute in the tree (for helpers that return a pointer into it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttributeRef {
    pub mline: usize,
    pub attribute: usize,
    /// Byte offset into the attribute's value.
    pub offset: usize,
}

#[cfg(test)]
mod core_tests;
#[cfg(test)]
mod tests;
