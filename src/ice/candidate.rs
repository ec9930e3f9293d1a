//! ICE candidates as Janus writes them: `janus_ice_candidate_to_string` for the SDP's
//! `a=candidate` lines and the `candidate:` strings of trickle events, the 1:1 NAT
//! expansion of `janus_ice_candidates_to_sdp`, and the selected pair's summary.

use std::net::{IpAddr, SocketAddr};

use crate::ip_utils::address_to_string;
pub use crate::sdp::{CandidateKind, CandidateTransport, RemoteCandidate};

/// Janus renders candidates into a 200-byte buffer.
const CANDIDATE_BUFFER: usize = 200;

/// One ICE candidate, local (from libnice) or remote (from an SDP or a trickle).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub kind: CandidateKind,
    pub transport: CandidateTransport,
    pub foundation: String,
    pub component: u32,
    pub priority: u32,
    pub address: SocketAddr,
    /// The base (local candidates) or related address (`raddr`/`rport` of remote ones);
    /// remote host candidates have none.
    pub base: Option<SocketAddr>,
}

impl Candidate {
    /// The candidate libnice is handed for a parsed remote one (what `janus_sdp_parse_candidate`
    /// builds); `None` when an address does not parse, which the parser already rejects.
    pub fn from_remote(c: &RemoteCandidate) -> Option<Candidate> {
        let ip: IpAddr = c.address.parse().ok()?;
        let base = match &c.related {
            Some((addr, port)) if c.kind != CandidateKind::Host => {
                // libnice stores the port as 16 bits, as `nice_address_set_port` does.
                Some(SocketAddr::new(addr.parse().ok()?, *port as u16))
            }
            _ => None,
        };
        Some(Candidate {
            kind: c.kind,
            transport: c.transport,
            foundation: c.foundation.clone(),
            component: c.component,
            priority: c.priority,
            address: SocketAddr::new(ip, c.port as u16),
            base,
        })
    }
}

/// The `typ` token of a candidate type.
pub fn kind_name(kind: CandidateKind) -> &'static str {
    match kind {
        CandidateKind::Host => "host",
        CandidateKind::ServerReflexive => "srflx",
        CandidateKind::PeerReflexive => "prflx",
        CandidateKind::Relayed => "relay",
    }
}

fn tcp_type(transport: CandidateTransport) -> Option<&'static str> {
    match transport {
        CandidateTransport::Udp => None,
        CandidateTransport::TcpActive => Some("active"),
        CandidateTransport::TcpPassive => Some("passive"),
        CandidateTransport::TcpSo => Some("so"),
    }
}

/// `janus_ice_candidate_to_string`: the candidate's SDP value (no `candidate:` prefix).
/// `public_ip` is the 1:1 NAT address to advertise instead of a host candidate's own;
/// when its family differs from the candidate's, the result is an empty string (Janus'
/// "encoded, but nothing to add"). `None` means the candidate is not advertised at all
/// (TCP without ICE-TCP, or a reflexive candidate without a base).
pub fn format_candidate(c: &Candidate, public_ip: Option<&str>, ice_tcp: bool) -> Option<String> {
    if let Some(ip) = public_ip {
        if ip.contains(':') != c.address.is_ipv6() {
            return Some(String::new());
        }
    }
    let address = address_to_string(c.address.ip());
    let tcp = tcp_type(c.transport);
    if tcp.is_some() && !ice_tcp {
        return None;
    }
    let protocol = if tcp.is_some() { "tcp" } else { "udp" };
    let mut line = if c.kind == CandidateKind::Host {
        let shown = public_ip.map(str::to_owned).unwrap_or(address);
        format!("{} {} {} {} {} {} typ host", c.foundation, c.component, protocol, c.priority, shown, c.address.port())
    } else {
        let base = c.base?;
        format!(
            "{} {} {} {} {} {} typ {} raddr {} rport {}",
            c.foundation,
            c.component,
            protocol,
            c.priority,
            address,
            c.address.port(),
            kind_name(c.kind),
            address_to_string(base.ip()),
            base.port()
        )
    };
    if let Some(t) = tcp {
        line.push_str(" tcptype ");
        line.push_str(t);
    }
    // `g_snprintf` into Janus' buffer (the text is ASCII).
    line.truncate(CANDIDATE_BUFFER - 1);
    Some(line)
}

/// The `nat_1_1_mapping` setting: the public addresses (in the order Janus keeps them,
/// see `janus_get_public_ip`) and `keep_private_host`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NatMapping {
    /// Never empty when NAT mapping is on: Janus falls back to its local IP.
    pub public_ips: Vec<String>,
    pub keep_private_host: bool,
}

impl NatMapping {
    fn has_family(&self, ipv6: bool) -> bool {
        self.public_ips.iter().any(|ip| ip.contains(':') == ipv6)
    }

    /// `janus_get_public_ip`: an index past the end gives the last one.
    fn public_ip(&self, index: usize) -> Option<&str> {
        self.public_ips.get(index.min(self.public_ips.len().saturating_sub(1))).map(String::as_str)
    }
}

/// The candidate lines Janus advertises for one local candidate, in its order (the loop of
/// `janus_ice_candidates_to_sdp` and of the full-trickle callback): one per public address
/// of the candidate's family, plus the private one where `keep_private_host` (or no public
/// address of that family) asks for it. Peer-reflexive candidates are never advertised.
pub fn candidate_lines(c: &Candidate, nat: Option<&NatMapping>, ice_tcp: bool) -> Vec<String> {
    let mut lines = Vec::new();
    if c.kind == CandidateKind::PeerReflexive {
        return lines;
    }
    let ipv6 = c.address.is_ipv6();
    let same_family = nat.is_some_and(|n| n.has_family(ipv6));
    let count = nat.map_or(0, |n| n.public_ips.len());
    let mut index = 0;
    loop {
        let public_ip = nat.and_then(|n| n.public_ip(index));
        if let Some(line) = format_candidate(c, public_ip, ice_tcp) {
            if !line.is_empty() {
                lines.push(line);
            }
            let keep_private = nat.is_some_and(|n| n.keep_private_host || !same_family);
            if index == 0 && keep_private {
                if let Some(private) = format_candidate(c, None, ice_tcp).filter(|l| !l.is_empty()) {
                    lines.push(private);
                }
            }
        }
        index += 1;
        if !same_family || index >= count {
            break;
        }
    }
    lines
}

/// The selected pair as Janus summarises it for the Admin API and event handlers:
/// `addr:port [type,udp] <-> addr:port [type,udp]`.
pub fn selected_pair_text(local: &Candidate, remote: &Candidate) -> String {
    let side = |c: &Candidate| {
        let proto = if c.transport == CandidateTransport::Udp { "udp" } else { "tcp" };
        format!("{}:{} [{},{}]", address_to_string(c.address.ip()), c.address.port(), kind_name(c.kind), proto)
    };
    format!("{} <-> {}", side(local), side(remote))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(addr: &str) -> Candidate {
        let address: SocketAddr = addr.parse().unwrap();
        Candidate {
            kind: CandidateKind::Host,
            transport: CandidateTransport::Udp,
            foundation: "1".into(),
            component: 1,
            priority: 2015363327,
            address,
            base: Some(address),
        }
    }

    #[test]
    fn host_udp_and_tcp() {
        let c = host("192.168.1.10:40000");
        assert_eq!(format_candidate(&c, None, false).unwrap(), "1 1 udp 2015363327 192.168.1.10 40000 typ host");
        let mut t = c.clone();
        t.transport = CandidateTransport::TcpPassive;
        assert_eq!(format_candidate(&t, None, false), None);
        assert_eq!(format_candidate(&t, None, true).unwrap(), "1 1 tcp 2015363327 192.168.1.10 40000 typ host tcptype passive");
        t.transport = CandidateTransport::TcpActive;
        assert!(format_candidate(&t, None, true).unwrap().ends_with("192.168.1.10 40000 typ host tcptype active"));
    }

    #[test]
    fn reflexive_and_relay_carry_raddr() {
        let mut c = host("203.0.113.7:50000");
        c.kind = CandidateKind::ServerReflexive;
        c.base = Some("10.0.0.2:40000".parse().unwrap());
        c.foundation = "2".into();
        c.priority = 1679819007;
        assert_eq!(format_candidate(&c, None, false).unwrap(), "2 1 udp 1679819007 203.0.113.7 50000 typ srflx raddr 10.0.0.2 rport 40000");
        c.kind = CandidateKind::Relayed;
        c.transport = CandidateTransport::TcpSo;
        assert_eq!(
            format_candidate(&c, None, true).unwrap(),
            "2 1 tcp 1679819007 203.0.113.7 50000 typ relay raddr 10.0.0.2 rport 40000 tcptype so"
        );
        // The public address only replaces host addresses.
        c.transport = CandidateTransport::Udp;
        assert!(format_candidate(&c, Some("1.2.3.4"), false).unwrap().contains(" 203.0.113.7 50000 typ relay"));
        c.base = None;
        assert_eq!(format_candidate(&c, None, false), None);
    }

    #[test]
    fn ipv6_printed_as_inet_ntop() {
        let c = host("[2001:db8::1]:9").clone();
        assert_eq!(format_candidate(&c, None, false).unwrap(), "1 1 udp 2015363327 2001:db8::1 9 typ host");
    }

    #[test]
    fn nat_1_1_replaces_or_adds_host_addresses() {
        let c = host("10.0.0.2:40000");
        let nat = NatMapping { public_ips: vec!["1.2.3.4".into()], keep_private_host: false };
        assert_eq!(candidate_lines(&c, Some(&nat), false), vec!["1 1 udp 2015363327 1.2.3.4 40000 typ host"]);
        let kph = NatMapping { keep_private_host: true, ..nat.clone() };
        assert_eq!(
            candidate_lines(&c, Some(&kph), false),
            vec!["1 1 udp 2015363327 1.2.3.4 40000 typ host", "1 1 udp 2015363327 10.0.0.2 40000 typ host"]
        );
        let two = NatMapping { public_ips: vec!["1.2.3.4".into(), "5.6.7.8".into()], keep_private_host: false };
        assert_eq!(
            candidate_lines(&c, Some(&two), false),
            vec!["1 1 udp 2015363327 1.2.3.4 40000 typ host", "1 1 udp 2015363327 5.6.7.8 40000 typ host"]
        );
        // No public address of the candidate's family: the private one is advertised alone.
        let v6 = host("[2001:db8::1]:9");
        assert_eq!(candidate_lines(&v6, Some(&two), false), vec!["1 1 udp 2015363327 2001:db8::1 9 typ host"]);
        assert_eq!(candidate_lines(&c, None, false).len(), 1);
    }

    #[test]
    fn prflx_never_advertised() {
        let mut c = host("10.0.0.2:40000");
        c.kind = CandidateKind::PeerReflexive;
        assert!(candidate_lines(&c, None, false).is_empty());
    }

    #[test]
    fn remote_candidates_convert() {
        let r = RemoteCandidate {
            foundation: "842163049".into(),
            component: 1,
            transport: CandidateTransport::Udp,
            priority: 1677729535,
            address: "203.0.113.7".into(),
            port: 46154,
            kind: CandidateKind::ServerReflexive,
            related: Some(("10.0.0.2".into(), 46155)),
            text: String::new(),
        };
        let c = Candidate::from_remote(&r).unwrap();
        assert_eq!(c.address, "203.0.113.7:46154".parse().unwrap());
        assert_eq!(c.base, Some("10.0.0.2:46155".parse().unwrap()));
        assert_eq!(
            format_candidate(&c, None, false).unwrap(),
            "842163049 1 udp 1677729535 203.0.113.7 46154 typ srflx raddr 10.0.0.2 rport 46155"
        );
        let bad = RemoteCandidate { address: "nope".into(), ..r };
        assert_eq!(Candidate::from_remote(&bad), None);
    }

    #[test]
    fn selected_pair_summary() {
        let mut r = host("127.0.0.1:5000");
        r.kind = CandidateKind::PeerReflexive;
        assert_eq!(selected_pair_text(&host("127.0.0.1:4000"), &r), "127.0.0.1:4000 [host,udp] <-> 127.0.0.1:5000 [prflx,udp]");
    }
}
