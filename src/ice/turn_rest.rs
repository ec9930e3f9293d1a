//! The TURN REST API (`turn_rest_api*` settings, Janus' `turnrest.c`): before a handle's ICE
//! agent starts, the core asks a backend for short-lived TURN credentials and servers,
//! which then replace the static `turn_server` for that agent.

use super::{TurnServer, TurnTransport};
use crate::ip_utils::address_to_string;
use crate::janus_log;
use crate::json::Json;
use crate::log::Level;

/// A configured backend.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TurnRestApi {
    pub backend: String,
    pub key: Option<String>,
    /// `turn_rest_api_method = "GET"`; POST otherwise.
    pub http_get: bool,
    /// `turn_rest_api_timeout`, seconds (10 unless set to a positive number).
    pub timeout_secs: u32,
}

/// What the backend granted (`janus_turnrest_response`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credentials {
    pub ttl: u32,
    pub servers: Vec<TurnServer>,
}

/// `curl_easy_escape`: everything but RFC 3986's unreserved characters percent-encoded.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl TurnRestApi {
    /// `janus_turnrest_set_backend`: an unknown method is POST, with Janus' warning.
    pub fn new(backend: &str, key: Option<&str>, method: Option<&str>, timeout_secs: u32) -> TurnRestApi {
        let http_get = match method {
            Some(m) if m.eq_ignore_ascii_case("get") => true,
            Some(m) if m.eq_ignore_ascii_case("post") => false,
            Some(m) => {
                janus_log!(Level::Warn, "Unknown method '{}' for TURN REST API, assuming POST\n", m);
                false
            }
            None => false,
        };
        TurnRestApi { backend: backend.to_string(), key: key.map(String::from), http_get, timeout_secs }
    }

    /// The query Janus sends: the key both as `api` and as `key` (backends disagree on
    /// the name), and the user the credentials are for.
    pub fn query(&self, user: &str) -> String {
        let mut query = String::from("service=turn");
        if let Some(key) = &self.key {
            let key = escape(key);
            query.push_str(&format!("&api={key}&key={key}"));
        }
        query.push_str(&format!("&username={}", escape(user)));
        query
    }

    /// `janus_turnrest_request`: asks the backend for credentials for `user` (blocking,
    /// at most the timeout). `None`, with Janus' log line, on any failure.
    pub fn request(&self, user: &str) -> Option<Credentials> {
        let query = self.query(user);
        let url = format!("{}?{}", self.backend, query);
        janus_log!(Level::Verb, "Sending request: {}\n", url);
        let request = crate::sys::curl::Request {
            url: &url,
            body: (!self.http_get).then_some(query.as_str()),
            timeout_secs: self.timeout_secs,
            user_agent: "Janus/1.0",
        };
        let body = match crate::sys::curl::perform(&request) {
            Ok(body) => body,
            Err(reason) => {
                janus_log!(Level::Err, "Couldn't send the request: {}\n", reason);
                return None;
            }
        };
        janus_log!(Level::Verb, "Got {} bytes from the TURN REST API server\n", body.len());
        parse_response(&body, crate::ice::servers::resolve)
    }
}

/// Reads the backend's JSON answer (`username`, `password`, optional `ttl`, `uris`); each
/// `turn:`/`turns:` URI becomes a server with its address resolved (`resolve`), transport
/// (`turns:` or `transport=tls` is TLS, `transport=tcp` TCP, else UDP) and port (3478 if
/// none or invalid). Janus' log line for what is wrong.
pub fn parse_response(body: &[u8], resolve: fn(&str) -> Option<std::net::IpAddr>) -> Option<Credentials> {
    // jansson, as Janus, for the same error texts.
    let root = match crate::abi::json::parse(&String::from_utf8_lossy(body)) {
        Ok(root) => root,
        Err(e) => {
            janus_log!(Level::Err, "Couldn't parse response: error on line {}: {}", e.line, e.text);
            return None;
        }
    };
    let text = |name: &str| -> Result<String, String> {
        match root.get(name) {
            None => Err(format!("Invalid response: missing {name}\n")),
            Some(Json::Str(s)) => Ok(s.clone()),
            Some(_) => Err(format!("Invalid response: {name} should be a string\n")),
        }
    };
    let (username, password) = match (text("username"), text("password")) {
        (Ok(u), Ok(p)) => (u, p),
        (Err(e), _) | (_, Err(e)) => {
            janus_log!(Level::Err, "{}", e);
            return None;
        }
    };
    let ttl = match root.get("ttl") {
        None => 0,
        Some(Json::Int(t)) if *t >= 0 => (*t).min(i64::from(u32::MAX)) as u32,
        Some(_) => {
            janus_log!(Level::Err, "Invalid response: ttl should be a positive integer\n");
            return None;
        }
    };
    let uris = match root.get("uris") {
        None => {
            janus_log!(Level::Err, "Invalid response: missing uris\n");
            return None;
        }
        Some(Json::Array(uris)) if !uris.is_empty() => uris,
        Some(_) => {
            janus_log!(Level::Err, "Invalid response: uris should be a non-empty array\n");
            return None;
        }
    };
    let mut servers = Vec::new();
    for uri in uris {
        let Some(uri) = uri.as_str() else {
            janus_log!(Level::Warn, "Skipping invalid TURN URI (not a string)...\n");
            continue;
        };
        if !uri.starts_with("turn:") && !uri.starts_with("turns:") {
            janus_log!(Level::Warn, "Skipping invalid TURN URI '{}' (not a TURN URI)...\n", uri);
            continue;
        }
        let transport = if uri.starts_with("turns:") || uri.contains("transport=tls") {
            TurnTransport::Tls
        } else if uri.contains("transport=tcp") {
            TurnTransport::Tcp
        } else {
            TurnTransport::Udp
        };
        let mut parts = uri.split('?').next().unwrap_or_default().split(':').skip(1);
        let host = parts.next().unwrap_or_default();
        let Some(ip) = resolve(host) else {
            janus_log!(Level::Warn, "Skipping invalid TURN URI '{}' (could not resolve the address)...\n", host);
            continue;
        };
        let port = match parts.next() {
            None => 3478,
            Some(p) => crate::utils::string_to_unsigned::<u16>(p.as_bytes()).unwrap_or_else(|_| {
                janus_log!(Level::Err, "Invalid TURN instance port: {} (falling back to 3478)\n", p);
                3478
            }),
        };
        servers.push(TurnServer { server: address_to_string(ip), port, transport, username: username.clone(), password: password.clone() });
    }
    if servers.is_empty() {
        janus_log!(Level::Err, "Couldn't find any valid TURN URI in the response...\n");
        return None;
    }
    Some(Credentials { ttl, servers })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::IpAddr;

    fn fake_resolve(host: &str) -> Option<IpAddr> {
        match host {
            "turn.example.org" => Some(IpAddr::from([192, 0, 2, 7])),
            other => other.parse().ok(),
        }
    }

    #[test]
    fn query_carries_the_key_twice_and_the_user_escaped() {
        let api = TurnRestApi::new("https://b.example/api", Some("k y"), Some("GET"), 10);
        assert!(api.http_get);
        assert_eq!(api.query("opaque/1"), "service=turn&api=k%20y&key=k%20y&username=opaque%2F1");
        let api = TurnRestApi::new("http://b", None, Some("PATCH"), 10);
        assert!(!api.http_get, "unknown methods are POST");
        assert_eq!(api.query("12345"), "service=turn&username=12345");
    }

    #[test]
    fn responses_become_servers() {
        let body = br#"{"username":"u","password":"p","ttl":86400,"uris":[
            "turn:turn.example.org:3479?transport=udp","turns:192.0.2.8:5349","turn:192.0.2.9?transport=tcp",
            "turn:192.0.2.10:notaport","stun:192.0.2.11",7,"turn:unresolvable.invalid"]}"#;
        let c = parse_response(body, fake_resolve).unwrap();
        assert_eq!(c.ttl, 86400);
        let got: Vec<(String, u16, TurnTransport)> = c.servers.iter().map(|s| (s.server.clone(), s.port, s.transport)).collect();
        assert_eq!(
            got,
            [
                ("192.0.2.7".to_string(), 3479, TurnTransport::Udp),
                ("192.0.2.8".to_string(), 5349, TurnTransport::Tls),
                ("192.0.2.9".to_string(), 3478, TurnTransport::Tcp),
                // Janus' janus_string_to_uint16 reads a port without digits as 0.
                ("192.0.2.10".to_string(), 0, TurnTransport::Udp),
            ]
        );
        assert!(c.servers.iter().all(|s| s.username == "u" && s.password == "p"));
    }

    #[test]
    fn bad_responses_are_refused() {
        for body in [
            &b"not json"[..],
            br#"{"password":"p","uris":["turn:1.2.3.4"]}"#,
            br#"{"username":1,"password":"p","uris":["turn:1.2.3.4"]}"#,
            br#"{"username":"u","uris":["turn:1.2.3.4"]}"#,
            br#"{"username":"u","password":"p","ttl":-1,"uris":["turn:1.2.3.4"]}"#,
            br#"{"username":"u","password":"p"}"#,
            br#"{"username":"u","password":"p","uris":[]}"#,
            br#"{"username":"u","password":"p","uris":["stun:1.2.3.4"]}"#,
        ] {
            assert!(parse_response(body, fake_resolve).is_none(), "{}", String::from_utf8_lossy(body));
        }
    }
}
