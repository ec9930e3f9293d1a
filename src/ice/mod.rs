//! ICE for a PeerConnection, over libnice, with Janus' concepts (`ice.c`): one agent per
//! PeerConnection with one stream of one component (bundle and rtcp-mux), controlled
//! full ICE or ICE-Lite, Janus' gathering filters and candidate strings, trickle, ICE
//! restarts, and the event loops agents run on.
//!
//! Threading: an agent lives on its handle's loop ([`HandleLoop`]); libnice's timers,
//! signals and received datagrams run there. [`IceAgent`]'s methods may be called from
//! any thread ([`IceAgent::send`] included: libnice serialises with its agent lock).
//! Events and datagrams reach the [`IceHandler`] on the loop thread (signals that libnice
//! emits inside a call, such as gathering host candidates, may arrive on the caller's).
//! Dropping an [`IceAgent`] silences its handler at once and tears libnice down on the
//! loop thread, where no callback of it can be running (or, once the loops have stopped,
//! wherever their last job is dropped).

pub mod candidate;
pub mod interfaces;
pub mod loops;
pub mod servers;
pub mod turn_rest;

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::mpsc::{channel, Receiver};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use candidate::{candidate_lines, format_candidate, kind_name, selected_pair_text, Candidate, NatMapping};
pub use candidate::{CandidateKind, CandidateTransport, RemoteCandidate};
pub use interfaces::{parse_interface_list, Interface, InterfaceFilter};
pub use loops::{EventLoops, HandleLoop, Timer};

use crate::ip_utils::address_to_string;
use crate::sys::nice::{self, Agent, AgentConfig, AgentEvents, MainLoop, Relay};

/// ICE nomination (`ice_nomination`); Janus defaults to aggressive.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Nomination {
    Regular,
    #[default]
    Aggressive,
}

/// The transport to a TURN server (`turn_type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TurnTransport {
    Udp,
    Tcp,
    Tls,
}

/// A TURN server: the static `turn_server` settings, or one the TURN REST API returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TurnServer {
    pub server: String,
    pub port: u16,
    pub transport: TurnTransport,
    pub username: String,
    pub password: String,
}

/// The `media` and `nat` settings that shape an agent (`janus_ice_init` and friends).
#[derive(Clone, Debug, Default)]
pub struct IceSettings {
    pub ice_lite: bool,
    pub ice_tcp: bool,
    pub full_trickle: bool,
    /// `ice_enforce_list`, `ice_ignore_list`, `ipv6`, `ipv6_linklocal`.
    pub filter: InterfaceFilter,
    /// `nat_1_1_mapping` and `keep_private_host`.
    pub nat_1_1: Option<NatMapping>,
    /// `rtp_port_range` (0, 0: any).
    pub rtp_port_range: (u16, u16),
    pub stun_server: Option<(String, u16)>,
    pub turn_servers: Vec<TurnServer>,
    /// A TURN REST API backend whose credentials replace `turn_servers` per agent.
    pub turn_rest_api: Option<turn_rest::TurnRestApi>,
    pub nomination: Nomination,
    /// `ice_keepalive_conncheck`: binding requests (which can time out and fail the
    /// component: consent freshness) instead of indications as keepalives.
    pub keepalive_conncheck: bool,
    /// Relayed candidates only (a JSEP's `force_relay`, when `allow_force_relay`).
    pub force_relay: bool,
    /// `dscp`: set as the sockets' TOS (shifted by 2).
    pub dscp: u8,
    /// libnice's timers: `stun-initial-timeout` (ms), `stun-max-retransmissions`, and
    /// `idle-timeout` (ms an idle agent waits for late candidates before declaring the
    /// component failed; 5000 by default). `None` keeps libnice's defaults, as Janus does.
    pub stun_initial_timeout_ms: Option<u32>,
    pub stun_max_retransmissions: Option<u32>,
    pub idle_timeout_ms: Option<u32>,
}

/// libnice's component states, named as `janus_get_ice_state_name` names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IceState {
    Disconnected,
    Gathering,
    Connecting,
    Connected,
    Ready,
    Failed,
}

impl IceState {
    pub fn from_nice(state: u32) -> Option<IceState> {
        Some(match state {
            0 => IceState::Disconnected,
            1 => IceState::Gathering,
            2 => IceState::Connecting,
            3 => IceState::Connected,
            4 => IceState::Ready,
            5 => IceState::Failed,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            IceState::Disconnected => "disconnected",
            IceState::Gathering => "gathering",
            IceState::Connecting => "connecting",
            IceState::Connected => "connected",
            IceState::Ready => "ready",
            IceState::Failed => "failed",
        }
    }

    /// Whether media can flow (Janus treats connected and ready alike).
    pub fn is_connected(self) -> bool {
        matches!(self, IceState::Connected | IceState::Ready)
    }
}

/// What an agent tells its PeerConnection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IceEvent {
    /// Full trickle only: a local candidate to trickle, as `candidate:...` (one per line of
    /// [`candidate_lines`]).
    LocalCandidate(String),
    /// Gathering is complete (with full trickle, Janus then trickles `completed: true`).
    GatheringDone,
    StateChanged(IceState),
    /// A new selected pair (repeats of the same pair are not reported). The first one is
    /// when Janus starts the DTLS handshake.
    SelectedPair(Box<SelectedPair>),
    /// libnice learnt a peer-reflexive remote candidate from a check: the candidate text
    /// Janus feeds back into `janus_sdp_parse_candidate` for its summary.
    PeerReflexiveRemote(String),
}

/// The pair libnice selected, and its summary ([`selected_pair_text`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SelectedPair {
    pub local: Candidate,
    pub remote: Candidate,
    pub text: String,
}

/// Receives an agent's events and datagrams (see the module's threading notes).
pub trait IceHandler: Send + Sync + 'static {
    fn on_event(&self, event: IceEvent);
    /// A datagram (STUN excluded), borrowed for the duration of the call.
    fn on_datagram(&self, data: &[u8]);
}

/// Why an agent could not be set up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IceError {
    /// libnice refused to create the agent or its stream.
    Agent,
    /// "Error gathering candidates...".
    Gathering,
}

/// The text of a peer-reflexive remote candidate, as Janus renders it before parsing it as
/// a trickled one (`None` for TCP without ICE-TCP).
pub fn peer_reflexive_text(c: &Candidate, ice_tcp: bool) -> Option<String> {
    let base = c.base.unwrap_or(c.address);
    let head = |proto: &str| {
        format!(
            "{} {} {} {} {} {} typ prflx raddr {} rport {}",
            c.foundation,
            c.component,
            proto,
            c.priority,
            address_to_string(c.address.ip()),
            c.address.port(),
            address_to_string(base.ip()),
            base.port()
        )
    };
    let tcptype = match c.transport {
        CandidateTransport::Udp => return Some(format!("{}\r\n", head("udp"))),
        _ if !ice_tcp => return None,
        CandidateTransport::TcpActive => "active",
        CandidateTransport::TcpPassive => "passive",
        CandidateTransport::TcpSo => "so",
    };
    Some(format!("{} tcptype {tcptype}\r\n", head("tcp")))
}

/// The agent's state, shared with libnice's callbacks.
struct Shared {
    handler: Arc<dyn IceHandler>,
    settings: Arc<IceSettings>,
    /// Set when the [`IceAgent`] goes: nothing reaches the handler afterwards.
    closed: AtomicBool,
    state: AtomicU32,
    gathered: AtomicBool,
    selected_pair: Mutex<Option<String>>,
}

impl Shared {
    fn emit(&self, event: IceEvent) {
        if !self.closed.load(Ordering::Acquire) {
            self.handler.on_event(event);
        }
    }
}

impl AgentEvents for Shared {
    fn gathering_done(&self) {
        self.gathered.store(true, Ordering::Release);
        self.emit(IceEvent::GatheringDone);
    }

    fn component_state(&self, state: u32) {
        if let Some(s) = IceState::from_nice(state) {
            self.state.store(state, Ordering::Release);
            self.emit(IceEvent::StateChanged(s));
        }
    }

    fn new_selected_pair(&self, local: Candidate, remote: Candidate) {
        let text = selected_pair_text(&local, &remote);
        {
            let mut current = self.selected_pair.lock().unwrap_or_else(|e| e.into_inner());
            if current.as_deref() == Some(text.as_str()) {
                return;
            }
            *current = Some(text.clone());
        }
        self.emit(IceEvent::SelectedPair(Box::new(SelectedPair { local, remote, text })));
    }

    fn new_local_candidate(&self, candidate: Candidate) {
        if !self.settings.full_trickle {
            return;
        }
        for line in candidate_lines(&candidate, self.settings.nat_1_1.as_ref(), self.settings.ice_tcp) {
            self.emit(IceEvent::LocalCandidate(format!("candidate:{line}")));
        }
    }

    fn new_remote_candidate(&self, candidate: Candidate) {
        if candidate.kind == CandidateKind::PeerReflexive {
            if let Some(text) = peer_reflexive_text(&candidate, self.settings.ice_tcp) {
                self.emit(IceEvent::PeerReflexiveRemote(text));
            }
        }
    }

    fn receive(&self, data: &[u8]) {
        if !self.closed.load(Ordering::Acquire) {
            self.handler.on_datagram(data);
        }
    }
}

/// The ICE side of one PeerConnection (`janus_ice_setup_local` and what follows).
pub struct IceAgent {
    agent: Arc<Agent>,
    shared: Arc<Shared>,
    main_loop: Arc<MainLoop>,
    controlling: bool,
    /// Disconnected once libnice's agent is gone.
    torn_down: Mutex<Option<Receiver<()>>>,
}

impl IceAgent {
    /// Creates the agent on `handle_loop` and starts gathering (at once for half trickle,
    /// from the loop for full trickle, as Janus). `got_offer`: the peer sent the offer, so
    /// we are controlled (always, with ICE-Lite); otherwise we are controlling.
    pub fn new(
        handle_loop: &HandleLoop,
        settings: Arc<IceSettings>,
        got_offer: bool,
        handler: Arc<dyn IceHandler>,
    ) -> Result<IceAgent, IceError> {
        let controlling = !settings.ice_lite && !got_offer;
        let interfaces = nice::interfaces();
        let config = AgentConfig {
            controlling,
            full_mode: !settings.ice_lite,
            ice_tcp: settings.ice_tcp,
            aggressive_nomination: settings.nomination == Nomination::Aggressive,
            keepalive_conncheck: settings.keepalive_conncheck,
            force_relay: settings.force_relay,
            stun_server: settings.stun_server.clone().filter(|(_, port)| *port > 0),
            stun_initial_timeout_ms: settings.stun_initial_timeout_ms,
            stun_max_retransmissions: settings.stun_max_retransmissions,
            idle_timeout_ms: settings.idle_timeout_ms,
            local_addresses: settings.filter.select(&interfaces).collect(),
            port_range: settings.rtp_port_range,
            relays: settings
                .turn_servers
                .iter()
                .map(|t| Relay {
                    server: t.server.clone(),
                    port: t.port,
                    username: t.username.clone(),
                    password: t.password.clone(),
                    kind: match t.transport {
                        TurnTransport::Udp => 0,
                        TurnTransport::Tcp => 1,
                        TurnTransport::Tls => 2,
                    },
                })
                .collect(),
            tos: settings.dscp.wrapping_shl(2),
        };
        let shared = Arc::new(Shared {
            handler,
            settings: settings.clone(),
            closed: AtomicBool::new(false),
            state: AtomicU32::new(0),
            gathered: AtomicBool::new(false),
            selected_pair: Mutex::new(None),
        });
        let (alive, torn_down) = channel::<()>();
        let main_loop = handle_loop.main_loop().clone();
        let agent = Agent::new(main_loop.clone(), &config, shared.clone(), move || drop(alive)).map_err(|_| IceError::Agent)?;
        let agent = Arc::new(agent);
        let this = IceAgent { agent, shared, main_loop, controlling, torn_down: Mutex::new(Some(torn_down)) };
        if settings.full_trickle {
            let agent = this.agent.clone();
            let shared = this.shared.clone();
            this.main_loop.invoke(move || {
                if !agent.gather() {
                    // Janus hangs up the PeerConnection ("ICE gathering error").
                    shared.emit(IceEvent::StateChanged(IceState::Failed));
                }
            });
        } else if !this.agent.gather() {
            return Err(IceError::Gathering);
        }
        Ok(this)
    }

    pub fn controlling(&self) -> bool {
        self.controlling
    }

    pub fn stream_id(&self) -> u32 {
        self.agent.stream_id()
    }

    /// Our `ice-ufrag` and `ice-pwd`.
    pub fn local_credentials(&self) -> Option<(String, String)> {
        self.agent.local_credentials()
    }

    /// Our candidates for the SDP, as `janus_ice_candidates_to_sdp` writes them (values of
    /// `a=candidate`, without the attribute name).
    pub fn local_candidates(&self) -> Vec<String> {
        let s = &self.shared.settings;
        self.agent.local_candidates().iter().flat_map(|c| candidate_lines(c, s.nat_1_1.as_ref(), s.ice_tcp)).collect()
    }

    pub fn gathering_done(&self) -> bool {
        self.shared.gathered.load(Ordering::Acquire)
    }

    pub fn state(&self) -> IceState {
        IceState::from_nice(self.shared.state.load(Ordering::Acquire)).unwrap_or(IceState::Disconnected)
    }

    /// The current selected pair's summary (see [`selected_pair_text`]).
    pub fn selected_pair(&self) -> Option<String> {
        self.shared.selected_pair.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The peer's `ice-ufrag`/`ice-pwd` (from its SDP, or again after a restart).
    pub fn set_remote_credentials(&self, ufrag: &str, pwd: &str) -> bool {
        self.agent.set_remote_credentials(ufrag, pwd)
    }

    /// Hands remote candidates (from the SDP or trickled) to libnice, on the loop thread
    /// and in order, as Janus queues them (`janus_ice_add_candidates`).
    pub fn add_remote_candidates(&self, candidates: Vec<Candidate>) {
        if candidates.is_empty() {
            return;
        }
        let agent = self.agent.clone();
        self.main_loop.invoke(move || {
            let added = agent.set_remote_candidates(&candidates);
            if usize::try_from(added).ok() != Some(candidates.len()) {
                crate::janus_log!(
                    crate::log::Level::Warn,
                    "Failed to add some remote candidates (added {added}, expected {})\n",
                    candidates.len()
                );
            }
        });
    }

    /// `janus_ice_restart`: new local credentials (read them again for the new SDP); the
    /// peer's new credentials and candidates follow.
    pub fn restart(&self) -> bool {
        self.agent.restart()
    }

    /// Sends a datagram on the selected pair; `None` if it could not be sent.
    pub fn send(&self, data: &[u8]) -> Option<usize> {
        self.agent.send(data)
    }

    /// Drops the agent and waits up to `timeout` for libnice's side to be gone. From the
    /// loop thread itself it cannot wait, and returns false (teardown still happens).
    pub fn close(self, timeout: Duration) -> bool {
        let torn_down = self.torn_down.lock().unwrap_or_else(|e| e.into_inner()).take();
        drop(self);
        torn_down.is_some_and(|rx| matches!(rx.recv_timeout(timeout), Err(std::sync::mpsc::RecvTimeoutError::Disconnected)))
    }
}

impl Drop for IceAgent {
    fn drop(&mut self) {
        // Silence the handler now; libnice is torn down on the loop once the last
        // reference to the agent (ours, or a queued job's) goes.
        self.shared.closed.store(true, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_names_match_janus() {
        let names: Vec<_> = (0..6).map(|s| IceState::from_nice(s).unwrap().name()).collect();
        assert_eq!(names, ["disconnected", "gathering", "connecting", "connected", "ready", "failed"]);
        assert_eq!(IceState::from_nice(6), None);
        assert!(IceState::Ready.is_connected() && !IceState::Connecting.is_connected());
    }

    #[test]
    fn peer_reflexive_remote_text() {
        let c = Candidate {
            kind: CandidateKind::PeerReflexive,
            transport: CandidateTransport::Udp,
            foundation: "3".into(),
            component: 1,
            priority: 1853817087,
            address: "127.0.0.1:5000".parse().unwrap(),
            base: Some("127.0.0.1:5000".parse().unwrap()),
        };
        assert_eq!(peer_reflexive_text(&c, false).unwrap(), "3 1 udp 1853817087 127.0.0.1 5000 typ prflx raddr 127.0.0.1 rport 5000\r\n");
        let t = Candidate { transport: CandidateTransport::TcpActive, ..c };
        assert_eq!(peer_reflexive_text(&t, false), None);
        assert!(peer_reflexive_text(&t, true).unwrap().ends_with(" typ prflx raddr 127.0.0.1 rport 5000 tcptype active\r\n"));
    }
}
