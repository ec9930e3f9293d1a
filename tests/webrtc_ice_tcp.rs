//! ICE-TCP with ICE-Lite (`ice_lite` + `ice_tcp`): the gateway offers passive TCP host
//! candidates next to the UDP ones, and a peer with only an active TCP candidate gets its
//! audio echoed over that connection (RFC 4571 framing). Run against `/usr/bin/janus` and
//! ours.

mod support;

use std::path::Path;
use std::time::Duration;

use support::gateway::{binary_under_test, ConfigsFolder, Gateway, REFERENCE_BINARY};
use support::webrtc::{echotest_offer, in_private_network, private_network_configs, sdp_candidates, wait_jsep};

const WAIT: Duration = Duration::from_secs(10);

/// The EchoTest with ICE-Lite and ICE-TCP.
fn ice_lite_tcp_configs(test: &str) -> ConfigsFolder {
    let mut configs = private_network_configs(test, &["echotest"]);
    configs.set_item("nat", "ice_lite", "true");
    configs.set_item("nat", "ice_tcp", "true");
    configs
}

fn ice_tcp_candidates(binary: &Path, test: &str) -> Vec<String> {
    in_private_network(|net| {
        let gateway = Gateway::start(binary, &ice_lite_tcp_configs(test));
        let session = gateway.create_session();
        let handle = session.attach("janus.plugin.echotest");
        let (_peer, answer) = echotest_offer(&session, &handle, net.peer_ip.into(), false);
        assert!(answer.contains("a=ice-lite"), "{answer}");
        session.destroy();
        let gateway_ip = net.gateway_ip.to_string();
        let mut tcp: Vec<String> = sdp_candidates(&answer)
            .into_iter()
            .filter(|c| c.contains(" tcp ") || c.contains(" TCP "))
            .map(|c| {
                // Foundation, priority and port differ from run to run: keep the rest.
                let f: Vec<&str> = c.split_whitespace().collect();
                assert!(f.len() >= 8 && f[4] == gateway_ip, "{c}");
                format!("{} {} {} {}", f[2].to_lowercase(), f[4], f[6], f[7..].join(" "))
            })
            .collect();
        tcp.sort();
        tcp
    })
}

#[test]
fn ice_tcp_with_lite_offers_passive_tcp_candidates() {
    let ours = ice_tcp_candidates(&binary_under_test(), "webrtc-ice-tcp-ours");
    assert!(ours.iter().any(|c| c.contains("tcptype passive")), "{ours:?}");
    if Path::new(REFERENCE_BINARY).exists() {
        let theirs = ice_tcp_candidates(Path::new(REFERENCE_BINARY), "webrtc-ice-tcp-reference");
        assert_eq!(ours, theirs, "TCP candidates (transport, address, type, tcptype)");
    }
}

/// A str0m peer whose only candidate is an active TCP one: it connects to the gateway's
/// passive candidate and frames everything as RFC 4571 says (a 16-bit length first).
struct TcpPeer {
    rtc: str0m::Rtc,
    /// The local candidate's address (port 9, as active TCP candidates announce).
    local: std::net::SocketAddr,
    stream: Option<(std::net::TcpStream, std::net::SocketAddr)>,
    pending: Vec<u8>,
    connected: bool,
    received: usize,
}

impl TcpPeer {
    fn new(ip: std::net::IpAddr) -> TcpPeer {
        let mut rtc = str0m::Rtc::builder().set_rtp_mode(true).clear_codecs().enable_opus(true, false).build(std::time::Instant::now());
        let local = std::net::SocketAddr::new(ip, 9);
        let candidate =
            str0m::Candidate::builder().tcp().host(local).tcptype(str0m::net::TcpType::Active).build().expect("a TCP candidate");
        rtc.add_local_candidate(candidate);
        TcpPeer { rtc, local, stream: None, pending: Vec::new(), connected: false, received: 0 }
    }

    /// Handles str0m's output; when it wants to be woken next.
    fn drain(&mut self) -> std::time::Instant {
        loop {
            match self.rtc.poll_output().expect("str0m output") {
                str0m::Output::Timeout(t) => return t,
                str0m::Output::Transmit(t) => {
                    if self.stream.is_none() {
                        if let Ok(s) = std::net::TcpStream::connect_timeout(&t.destination, WAIT) {
                            s.set_nodelay(true).unwrap();
                            self.stream = Some((s, t.destination));
                        }
                    }
                    if let Some((stream, _)) = self.stream.as_mut() {
                        use std::io::Write;
                        let mut framed = (t.contents.len() as u16).to_be_bytes().to_vec();
                        framed.extend_from_slice(&t.contents);
                        let _ = stream.write_all(&framed);
                    }
                }
                str0m::Output::Event(str0m::Event::Connected) => self.connected = true,
                str0m::Output::Event(str0m::Event::RtpPacket(_)) => self.received += 1,
                str0m::Output::Event(_) => {}
            }
        }
    }

    /// Runs the connection and timers until `done` holds or `timeout` passes.
    fn run_until(&mut self, timeout: Duration, done: impl Fn(&TcpPeer) -> bool) -> bool {
        use std::io::Read;
        let deadline = std::time::Instant::now() + timeout;
        while !done(self) {
            if std::time::Instant::now() >= deadline {
                return false;
            }
            let wake = self.drain().min(deadline);
            let wait = wake.saturating_duration_since(std::time::Instant::now()).max(Duration::from_millis(1));
            let mut buf = [0u8; 4096];
            let read = match self.stream.as_mut() {
                Some((stream, _)) => {
                    stream.set_read_timeout(Some(wait)).unwrap();
                    stream.read(&mut buf).ok()
                }
                None => {
                    std::thread::sleep(wait);
                    None
                }
            };
            if let (Some(n), Some((_, remote))) = (read.filter(|n| *n > 0), self.stream.as_ref()) {
                let remote = *remote;
                self.pending.extend_from_slice(&buf[..n]);
                while self.pending.len() >= 2 {
                    let len = usize::from(u16::from_be_bytes([self.pending[0], self.pending[1]]));
                    if self.pending.len() < 2 + len {
                        break;
                    }
                    let frame: Vec<u8> = self.pending.drain(..2 + len).skip(2).collect();
                    if let Ok(contents) = frame.as_slice().try_into() {
                        let receive =
                            str0m::net::Receive { proto: str0m::net::Protocol::Tcp, source: remote, destination: self.local, contents };
                        self.rtc.handle_input(str0m::Input::Receive(std::time::Instant::now(), receive)).expect("str0m takes the frame");
                    }
                }
            }
            self.rtc.handle_input(str0m::Input::Timeout(std::time::Instant::now())).expect("str0m takes the timeout");
        }
        true
    }
}

fn echo_over_tcp(binary: &Path, test: &str) {
    in_private_network(|net| {
        let gateway = Gateway::start(binary, &ice_lite_tcp_configs(test));
        let session = gateway.create_session();
        let handle = session.attach("janus.plugin.echotest");
        let mut peer = TcpPeer::new(net.peer_ip.into());
        let mut change = peer.rtc.sdp_api();
        let mid = change.add_media(str0m::media::MediaKind::Audio, str0m::media::Direction::SendRecv, None, None, None);
        let (offer, pending) = change.apply().expect("an offer");
        let offer = offer.to_sdp_string();
        assert!(offer.contains("tcptype active"), "{offer}");
        handle.message_with_jsep(r#"{"audio":true}"#, "offer", &offer);
        let event = wait_jsep(&session, "answer");
        let answer = event.get("jsep").and_then(|j| j.get("sdp")?.as_str()).expect("an answer");
        let answer_sdp = str0m::change::SdpAnswer::from_sdp_string(answer).expect("the answer parses");
        peer.rtc.sdp_api().accept_answer(pending, answer_sdp).expect("the answer is accepted");
        assert!(peer.run_until(WAIT, |p| p.connected), "ICE and DTLS did not complete over TCP\n{}", gateway.log_tail());
        assert!(peer.stream.is_some(), "everything went over the TCP connection");
        let pt = support::webrtc::sdp_payload_type(answer, &mid.to_string(), "opus").expect("opus answered");
        for i in 0..20u16 {
            let write = str0m::rtp::RtpWrite::new(
                pt.into(),
                str0m::rtp::SeqNo::from(u64::from(i) + 1),
                u32::from(i) * 960,
                std::time::Instant::now(),
                support::webrtc::opus_payload(u32::from(i)),
            );
            peer.rtc.direct_api().stream_tx_by_mid(mid, None).expect("a send stream").write_rtp(write);
            peer.run_until(Duration::from_millis(20), |_| false);
        }
        assert!(peer.run_until(WAIT, |p| p.received >= 15), "audio did not come back over TCP: {}", peer.received);
        session.destroy();
        assert!(gateway.is_running(), "the gateway died:\n{}", gateway.log_tail());
    });
}

reference_and_ours!(ice_tcp_with_lite_carries_a_peer_connection_reference_janus, ice_tcp_with_lite_carries_a_peer_connection_ours: echo_over_tcp, "webrtc-ice-tcp-echo");
