//! `janus_sdp_parse_candidate`: reading a remote ICE candidate, from an SDP's
//! `a=candidate` or a trickle message, with Janus' acceptance rules.

use std::net::IpAddr;

use super::peer::{CandidateKind, CandidateTransport, PeerConnection, RemoteCandidate, SdpSettings};
use super::scan::Scanner;

/// What became of a candidate that did not fail to parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CandidateOutcome {
    /// Appended to [`PeerConnection::remote_candidates`] (the index given), for the ICE
    /// agent to use.
    Added(usize),
    /// Accepted but not used: end-of-candidates, an RTCP component (we rtcp-mux), an
    /// unsupported type or transport, an invalid address, or mDNS resolution disabled.
    Ignored,
    /// The address is an mDNS name: resolve `address` and parse `candidate` again with it
    /// replaced (Janus does so asynchronously, as a trickled candidate).
    ResolveMdns { address: String, candidate: String },
}

/// The fields `sscanf` managed to convert, in order; the count is its return value.
#[derive(Default)]
struct Fields {
    count: i32,
    foundation: String,
    component: u32,
    transport: String,
    priority: u32,
    address: String,
    port: u32,
    kind: String,
    related_address: String,
    related_port: u32,
}

/// `"%32s %30u %3s %30u %49s %30u typ %5s %*s %39s %*s %30u"`.
fn scan(text: &str) -> Fields {
    let mut f = Fields::default();
    let mut s = Scanner::new(text);
    // Each step is one directive; `sscanf` stops at the first one that fails.
    let _ = (|| -> Option<()> {
        f.foundation = s.word(32)?;
        f.count += 1;
        f.component = s.blank().unsigned()? as u32;
        f.count += 1;
        f.transport = s.word(3)?;
        f.count += 1;
        f.priority = s.blank().unsigned()? as u32;
        f.count += 1;
        f.address = s.word(49)?;
        f.count += 1;
        f.port = s.blank().unsigned()? as u32;
        f.count += 1;
        s.blank().literal("typ")?;
        f.kind = s.word(5)?;
        f.count += 1;
        s.word(usize::MAX)?;
        f.related_address = s.word(39)?;
        f.count += 1;
        s.word(usize::MAX)?;
        f.related_port = s.blank().unsigned()? as u32;
        f.count += 1;
        Some(())
    })();
    f
}

/// Parses one candidate for `pc`; the error is Janus' (negative or partial-count) code.
pub fn parse_candidate(pc: &mut PeerConnection, settings: &SdpSettings, candidate: &str) -> Result<CandidateOutcome, i32> {
    if candidate.is_empty() || candidate.contains("end-of-candidates") {
        return Ok(CandidateOutcome::Ignored);
    }
    // Firefox trickles candidates with the attribute name still in front.
    let text = candidate.strip_prefix("candidate:").unwrap_or(candidate);
    if text.bytes().all(|b| b.is_ascii_whitespace()) {
        // `sscanf` reports an input failure before any conversion.
        return Err(-1);
    }
    let f = scan(text);
    if f.count < 7 {
        return Err(f.count);
    }
    if f.address.contains(".local") {
        if !settings.mdns {
            return Ok(CandidateOutcome::Ignored);
        }
        return Ok(CandidateOutcome::ResolveMdns { address: f.address, candidate: text.to_owned() });
    }
    if f.component > 1 {
        return Ok(CandidateOutcome::Ignored);
    }
    let udp = f.transport.eq_ignore_ascii_case("udp");
    let tcp = f.transport.eq_ignore_ascii_case("tcp");
    let kind = match f.kind.to_ascii_lowercase().as_str() {
        "host" => CandidateKind::Host,
        "srflx" => CandidateKind::ServerReflexive,
        "prflx" => CandidateKind::PeerReflexive,
        "relay" => CandidateKind::Relayed,
        _ => return Ok(CandidateOutcome::Ignored),
    };
    let supported = match kind {
        CandidateKind::Relayed => udp || tcp || f.transport.eq_ignore_ascii_case("tls"),
        _ => udp || (tcp && settings.ice_tcp),
    };
    if !supported {
        return Ok(CandidateOutcome::Ignored);
    }
    let transport = if udp {
        CandidateTransport::Udp
    } else if text.contains("tcptype active") {
        CandidateTransport::TcpActive
    } else if text.contains("tcptype passive") {
        CandidateTransport::TcpPassive
    } else if text.contains("tcptype so") {
        CandidateTransport::TcpSo
    } else {
        // Janus leaves libnice's transport at 0, which is UDP.
        CandidateTransport::Udp
    };
    if f.address.parse::<IpAddr>().is_err() {
        return Ok(CandidateOutcome::Ignored);
    }
    let related = if kind == CandidateKind::Host {
        None
    } else {
        // Without raddr/rport (or with an invalid one) the candidate is skipped.
        if f.count < 9 || f.related_address.parse::<IpAddr>().is_err() {
            return Ok(CandidateOutcome::Ignored);
        }
        Some((f.related_address, f.related_port))
    };
    pc.remote_candidates.push(RemoteCandidate {
        foundation: f.foundation,
        component: f.component,
        transport,
        priority: f.priority,
        address: f.address,
        port: f.port,
        kind,
        related,
        text: text.to_owned(),
    });
    Ok(CandidateOutcome::Added(pc.remote_candidates.len() - 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> (Result<CandidateOutcome, i32>, PeerConnection) {
        let mut pc = PeerConnection::default();
        let r = parse_candidate(&mut pc, &SdpSettings::default(), text);
        (r, pc)
    }

    #[test]
    fn host_and_srflx() {
        let (r, pc) = parse("candidate:842163049 1 udp 1677729535 203.0.113.7 46154 typ srflx raddr 10.0.0.2 rport 46154 generation 0");
        assert_eq!(r, Ok(CandidateOutcome::Added(0)));
        let c = &pc.remote_candidates[0];
        assert_eq!((c.foundation.as_str(), c.component, c.priority, c.port), ("842163049", 1, 1677729535, 46154));
        assert_eq!(c.kind, CandidateKind::ServerReflexive);
        assert_eq!(c.related, Some(("10.0.0.2".into(), 46154)));
        assert!(c.text.starts_with("842163049 "));
        let (r, pc) = parse("1 1 UDP 2122260223 192.168.1.2 5000 typ host");
        assert_eq!(r, Ok(CandidateOutcome::Added(0)));
        assert_eq!(pc.remote_candidates[0].related, None);
    }

    #[test]
    fn ignored_and_failures() {
        assert_eq!(parse("").0, Ok(CandidateOutcome::Ignored));
        assert_eq!(parse("a=end-of-candidates").0, Ok(CandidateOutcome::Ignored));
        assert_eq!(parse("1 2 udp 1 192.168.1.2 5001 typ host").0, Ok(CandidateOutcome::Ignored));
        assert_eq!(parse("1 1 tcp 1 192.168.1.2 9 typ host tcptype active").0, Ok(CandidateOutcome::Ignored));
        assert_eq!(parse("1 1 udp 1 not-an-ip 9 typ host").0, Ok(CandidateOutcome::Ignored));
        assert_eq!(parse("1 1 udp 1 1.2.3.4 9 typ srflx").0, Ok(CandidateOutcome::Ignored));
        assert_eq!(parse("1 1 udp 1 1.2.3.4 9 typ weird").0, Ok(CandidateOutcome::Ignored));
        // "type" matches the literal "typ", then the type is "e".
        assert_eq!(parse("1 1 udp 1 1.2.3.4 9 type host").0, Ok(CandidateOutcome::Ignored));
        assert_eq!(parse("1 1 udp 1 1.2.3.4 9 host").0, Err(6));
        assert_eq!(parse("garbage").0, Err(1));
        assert_eq!(parse("   ").0, Err(-1));
        assert_eq!(
            parse("1 1 udp 1 3f1c.local 9 typ host").0,
            Ok(CandidateOutcome::ResolveMdns { address: "3f1c.local".into(), candidate: "1 1 udp 1 3f1c.local 9 typ host".into() })
        );
        let mut pc = PeerConnection::default();
        let no_mdns = SdpSettings { mdns: false, ..SdpSettings::default() };
        assert_eq!(parse_candidate(&mut pc, &no_mdns, "1 1 udp 1 x.local 9 typ host"), Ok(CandidateOutcome::Ignored));
    }

    #[test]
    fn tcp_and_relay() {
        let mut pc = PeerConnection::default();
        let tcp = SdpSettings { ice_tcp: true, ..SdpSettings::default() };
        let r = parse_candidate(&mut pc, &tcp, "1 1 tcp 1 ::1 9 typ host tcptype passive");
        assert_eq!(r, Ok(CandidateOutcome::Added(0)));
        assert_eq!(pc.remote_candidates[0].transport, CandidateTransport::TcpPassive);
        let (r, pc) = parse("1 1 tls 1 1.2.3.4 443 typ relay raddr 0.0.0.0 rport 0");
        assert_eq!(r, Ok(CandidateOutcome::Added(0)));
        assert_eq!(pc.remote_candidates[0].transport, CandidateTransport::Udp);
    }
}
