//! The STUN and TURN servers of the `nat` settings as Janus takes them at startup
//! (`janus_ice_set_stun_server`, `janus_ice_set_turn_server`, `janus_ice_set_turn_rest_api`),
//! and the STUN Binding test that both startup and the Admin API's `test_stun` run
//! (`janus_ice_test_stun_server`), with Janus' log lines.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs, UdpSocket};
use std::time::Duration;

use super::turn_rest::TurnRestApi;
use super::TurnTransport;
use crate::ip_utils::address_to_string;
use crate::janus_log;
use crate::log::Level;
use crate::stun::{self, BindingError};

/// How long the STUN Binding test waits for the server's answer (Janus' `select` timeout).
pub const STUN_TEST_TIMEOUT: Duration = Duration::from_secs(5);

/// The first address `host` resolves to (`getaddrinfo`'s first result).
pub fn resolve(host: &str) -> Option<IpAddr> {
    (host, 0).to_socket_addrs().ok()?.next().map(|a| a.ip())
}

/// One Binding Request from `local_port` (on any address of the server's family) to
/// `server`, and the address the answer maps us to; failures are logged as Janus logs them.
pub fn test_stun_server(server: SocketAddr, local_port: u16, timeout: Duration) -> Option<SocketAddr> {
    let any = match server {
        SocketAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        SocketAddr::V6(_) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    };
    let mut transaction_id = [0u8; 12];
    transaction_id[..8].copy_from_slice(&crate::utils::random_u64().to_ne_bytes());
    transaction_id[8..].copy_from_slice(&crate::utils::random_u32().to_ne_bytes());
    let request = stun::binding_request(&transaction_id);
    janus_log!(Level::Info, "Testing STUN server: message is of {} bytes\n", request.len());
    let socket = match UdpSocket::bind((any, local_port)) {
        Ok(socket) => socket,
        Err(e) => {
            let errno = e.raw_os_error().unwrap_or(0);
            janus_log!(Level::Fatal, "Bind failed for STUN BINDING test: {} ({})\n", errno, crate::utils::strerror(&e));
            return None;
        }
    };
    let Ok(sent) = socket.send_to(&request, server) else {
        janus_log!(Level::Fatal, "Error sending STUN BINDING test\n");
        return None;
    };
    janus_log!(Level::Verb, "  >> Sent {} bytes, waiting for reply...\n", sent);
    let mut buf = [0u8; 1500];
    let received = socket.set_read_timeout(Some(timeout)).and_then(|()| socket.recv_from(&mut buf));
    let len = match received {
        Ok((len, _)) => len,
        Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
            janus_log!(Level::Fatal, "No response to our STUN BINDING test\n");
            return None;
        }
        Err(_) => {
            janus_log!(Level::Fatal, "Failed to receive STUN\n");
            return None;
        }
    };
    janus_log!(Level::Verb, "  >> Got {} bytes...\n", len);
    match stun::parse_binding_response(&buf[..len], &transaction_id) {
        Ok(mapped) => Some(mapped),
        Err(BindingError::Invalid) => {
            janus_log!(Level::Fatal, "Failed to validate STUN BINDING response\n");
            None
        }
        Err(BindingError::NotSuccess) => {
            let (class, method) = stun::class_and_method(&buf[..len]);
            janus_log!(Level::Fatal, "Unexpected STUN response: {}/{}\n", class, method);
            None
        }
        Err(BindingError::NoAddress) => {
            janus_log!(Level::Err, "No XOR-MAPPED-ADDRESS or MAPPED-ADDRESS...\n");
            None
        }
    }
}

/// A STUN server ready for the agents: its resolved address and our public address it
/// reported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StunServer {
    pub address: String,
    pub port: u16,
    pub public_ip: String,
}

/// Resolves `server` and checks it answers (`janus_ice_set_stun_server`); `None` when it
/// cannot be used, which the caller turns into Janus' fatal error or warning.
pub fn set_stun_server(server: &str, port: u16) -> Option<StunServer> {
    let port = if port == 0 { 3478 } else { port };
    janus_log!(Level::Info, "STUN server to use: {}:{}\n", server, port);
    let Some(ip) = resolve(server) else {
        janus_log!(Level::Err, "Could not resolve {}...\n", server);
        return None;
    };
    let address = address_to_string(ip);
    janus_log!(Level::Info, "  >> {}:{} ({})\n", address, port, if ip.is_ipv4() { "IPv4" } else { "IPv6" });
    let mapped = test_stun_server(SocketAddr::new(ip, port), 0, STUN_TEST_TIMEOUT)?;
    let public_ip = address_to_string(mapped.ip());
    janus_log!(Level::Info, "  >> Our public address is {}\n", public_ip);
    Some(StunServer { address, port, public_ip })
}

/// A TURN server's resolved address and transport (`janus_ice_set_turn_server`); `None`
/// for an unknown `turn_type` or an unresolvable name.
pub fn set_turn_server(server: &str, port: u16, turn_type: Option<&str>) -> Option<(String, u16, TurnTransport)> {
    let turn_type = turn_type.unwrap_or("udp");
    let port = if port == 0 { 3478 } else { port };
    janus_log!(Level::Info, "TURN server to use: {}:{} ({})\n", server, port, turn_type);
    let transport = match turn_type.to_ascii_lowercase().as_str() {
        "udp" => TurnTransport::Udp,
        "tcp" => TurnTransport::Tcp,
        "tls" => TurnTransport::Tls,
        _ => {
            janus_log!(Level::Err, "Unsupported relay type '{}'...\n", turn_type);
            return None;
        }
    };
    let Some(ip) = resolve(server) else {
        janus_log!(Level::Err, "Could not resolve {}...\n", server);
        return None;
    };
    let address = address_to_string(ip);
    janus_log!(Level::Verb, "  >> {}:{}\n", address, port);
    Some((address, port, transport))
}

/// A TURN REST API backend that is not an HTTP(S) address.
#[derive(Debug, PartialEq, Eq)]
pub struct NotHttp;

/// Checks the TURN REST API backend (`janus_ice_set_turn_rest_api`): it must be an HTTP(S)
/// address. Logs the backend in use, or that there is none.
pub fn set_turn_rest_api(
    backend: Option<&str>,
    key: Option<&str>,
    method: Option<&str>,
    timeout_secs: u32,
) -> Result<Option<TurnRestApi>, NotHttp> {
    if let Some(url) = backend {
        if !url.starts_with("http://") && !url.starts_with("https://") {
            janus_log!(Level::Err, "Invalid TURN REST API backend: not an HTTP address\n");
            return Err(NotHttp);
        }
    }
    let api = backend.map(|url| TurnRestApi::new(url, key, method, timeout_secs));
    janus_log!(Level::Info, "TURN REST API backend: {}\n", backend.unwrap_or("(disabled)"));
    Ok(api)
}

/// Whether Janus warns that a gateway on `ip` without STUN or TURN may not be reachable
/// from the internet: the IPv4 private ranges 10/8, 172.16/12 and 192.168/16.
pub fn is_private_address(ip: &str) -> bool {
    match ip.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => {
            let [a, b, ..] = v4.octets();
            a == 10 || (a == 172 && (16..=31).contains(&b)) || (a == 192 && b == 168)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A one-shot STUN server on loopback answering with `answer(request)`.
    fn stun_responder(answer: impl FnOnce(&[u8], SocketAddr) -> Vec<u8> + Send + 'static) -> SocketAddr {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        let address = socket.local_addr().unwrap();
        std::thread::spawn(move || {
            let mut buf = [0u8; 1500];
            socket.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            if let Ok((len, from)) = socket.recv_from(&mut buf) {
                let _ = socket.send_to(&answer(&buf[..len], from), from);
            }
        });
        address
    }

    fn transaction(request: &[u8]) -> [u8; 12] {
        request[8..20].try_into().unwrap()
    }

    #[test]
    fn stun_test_reports_the_mapped_address() {
        let server = stun_responder(|req, from| stun::binding_success(&transaction(req), from, true));
        let mapped = test_stun_server(server, 0, Duration::from_secs(5)).unwrap();
        assert_eq!(mapped.ip(), IpAddr::V4(Ipv4Addr::LOCALHOST));
        let server = stun_responder(|req, _| stun::binding_success(&transaction(req), "1.2.3.4:5".parse().unwrap(), false));
        assert_eq!(test_stun_server(server, 0, Duration::from_secs(5)), Some("1.2.3.4:5".parse().unwrap()));
    }

    #[test]
    fn stun_test_fails_on_silence_garbage_and_errors() {
        let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
        assert_eq!(test_stun_server(silent.local_addr().unwrap(), 0, Duration::from_millis(100)), None);
        let garbage = stun_responder(|_, _| b"not stun".to_vec());
        assert_eq!(test_stun_server(garbage, 0, Duration::from_secs(5)), None);
        // A Binding error response (class 3) for our transaction.
        let error = stun_responder(|req, _| {
            let mut answer = req.to_vec();
            answer[0..2].copy_from_slice(&0x0111u16.to_be_bytes());
            answer
        });
        assert_eq!(test_stun_server(error, 0, Duration::from_secs(5)), None);
    }

    #[test]
    fn stun_server_resolves_and_learns_the_public_address() {
        let server = stun_responder(|req, _| stun::binding_success(&transaction(req), "203.0.113.7:9".parse().unwrap(), true));
        let stun = set_stun_server("localhost", server.port()).unwrap();
        assert_eq!(stun, StunServer { address: "127.0.0.1".into(), port: server.port(), public_ip: "203.0.113.7".into() });
    }

    #[test]
    fn turn_server_types_as_janus() {
        assert_eq!(set_turn_server("127.0.0.1", 0, None), Some(("127.0.0.1".into(), 3478, TurnTransport::Udp)));
        assert_eq!(set_turn_server("127.0.0.1", 5349, Some("TLS")), Some(("127.0.0.1".into(), 5349, TurnTransport::Tls)));
        assert_eq!(set_turn_server("::1", 1, Some("tcp")), Some(("::1".into(), 1, TurnTransport::Tcp)));
        assert_eq!(set_turn_server("127.0.0.1", 0, Some("sctp")), None);
    }

    #[test]
    fn turn_rest_api_needs_an_http_address() {
        assert_eq!(set_turn_rest_api(None, Some("k"), None, 10), Ok(None));
        let api = set_turn_rest_api(Some("https://turn.example.org/api"), Some("k"), Some("get"), 5).unwrap().unwrap();
        assert_eq!(
            (api.backend.as_str(), api.key.as_deref(), api.http_get, api.timeout_secs),
            ("https://turn.example.org/api", Some("k"), true, 5)
        );
        assert!(set_turn_rest_api(Some("http://127.0.0.1:1/"), None, None, 10).is_ok());
        assert!(set_turn_rest_api(Some("ftp://turn.example.org"), None, None, 10).is_err());
        assert!(set_turn_rest_api(Some("turn.example.org"), None, None, 10).is_err());
    }

    #[test]
    fn private_addresses_as_janus_sees_them() {
        for ip in ["10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.1.1"] {
            assert!(is_private_address(ip), "{ip}");
        }
        for ip in ["172.15.0.1", "172.32.0.1", "192.169.0.1", "8.8.8.8", "127.0.0.1", "fd00::1", "bogus"] {
            assert!(!is_private_address(ip), "{ip}");
        }
    }
}
