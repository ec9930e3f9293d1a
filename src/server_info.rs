//! The `info` reply (`server_info`) of the Janus and Admin APIs, with Janus 1.1.2's keys in
//! Janus' order. What does not change while running is gathered once at startup into
//! [`StaticInfo`]; the rest is read live from the gateway.

use crate::gateway::Gateway;
use crate::janus_api::create_message;
use crate::json::{Json, Object};
use crate::modules::ModuleInfo;

/// Facts fixed at startup that `info` reports.
#[derive(Clone, Debug, PartialEq)]
pub struct StaticInfo {
    pub commit_hash: String,
    pub compile_time: String,
    pub log_to_stdout: bool,
    /// The log file, when logging to one.
    pub log_path: Option<String>,
    pub local_ip: String,
    /// The valid `nat_1_1_mapping` addresses, deduplicated, in the order Janus keeps them.
    pub public_ips: Vec<String>,
    /// Whether `nat_1_1_mapping` gave addresses: the public IPs then stand in for the host
    /// candidates' (a STUN server's answer only adds to the list).
    pub nat_1_1: bool,
    /// `rtp_port_range` as Janus reads it; (0, 0) when not configured.
    pub rtp_port_range: (u16, u16),
    pub ipv6: bool,
    pub ipv6_link_local: bool,
    pub ice_lite: bool,
    pub ice_tcp: bool,
    pub ice_nomination: String,
    pub ice_keepalive_conncheck: bool,
    pub full_trickle: bool,
    pub mdns_enabled: bool,
    /// Startup values of the media settings (`Gateway::media` holds the live ones).
    pub min_nack_queue: i64,
    pub nack_optimizations: bool,
    pub twcc_period: i64,
    pub dscp: i64,
    pub dtls_mtu: i64,
    /// STUN and TURN servers with their ports, once resolved (`turn_type` for TURN).
    pub stun_server: Option<(String, u16)>,
    pub turn_server: Option<(String, u16)>,
    pub turn_transport: crate::ice::TurnTransport,
    pub allow_force_relay: bool,
    pub static_event_loops: i64,
    pub loop_indication: bool,
    pub event_handlers: bool,
    pub webrtc_encryption: bool,
    /// `None` when `general.hide_dependencies` is set; else library name and version.
    pub dependencies: Option<Vec<(String, String)>>,
}

impl Default for StaticInfo {
    /// Janus 1.1.2's values when nothing is configured.
    fn default() -> StaticInfo {
        StaticInfo {
            commit_hash: "not-a-git-repo".into(),
            compile_time: String::new(),
            log_to_stdout: true,
            log_path: None,
            local_ip: String::new(),
            public_ips: Vec::new(),
            nat_1_1: false,
            rtp_port_range: (0, 0),
            ipv6: false,
            ipv6_link_local: false,
            ice_lite: false,
            ice_tcp: false,
            ice_nomination: "aggressive".into(),
            ice_keepalive_conncheck: false,
            full_trickle: false,
            mdns_enabled: true,
            min_nack_queue: 200,
            nack_optimizations: false,
            twcc_period: 200,
            dscp: 0,
            dtls_mtu: 1200,
            stun_server: None,
            turn_server: None,
            turn_transport: crate::ice::TurnTransport::Udp,
            allow_force_relay: false,
            static_event_loops: 0,
            loop_indication: false,
            event_handlers: false,
            webrtc_encryption: true,
            dependencies: Some(Vec::new()),
        }
    }
}

/// `{name, author, description, version_string, version}` per module, keyed by package.
fn module_map<'a>(modules: impl Iterator<Item = &'a ModuleInfo>) -> Object {
    modules
        .map(|m| {
            let entry = Object::new()
                .with("name", m.name.as_str())
                .with("author", m.author.clone().map_or(Json::Null, Json::Str))
                .with("description", m.description.as_str())
                .with("version_string", m.version_string.as_str())
                .with("version", m.version);
            (m.package.clone(), Json::Object(entry))
        })
        .collect()
}

pub fn build(gateway: &Gateway, transaction: Option<&str>) -> Json {
    let s = &gateway.settings;
    let i = &gateway.info;
    let mut o = create_message("server_info", 0, transaction)
        .with("name", "Janus WebRTC Server")
        .with("version", crate::JANUS_VERSION)
        .with("version_string", crate::JANUS_VERSION_STRING)
        .with("author", "Meetecho s.r.l.")
        .with("commit-hash", i.commit_hash.as_str())
        .with("compile-time", i.compile_time.as_str())
        .with("log-to-stdout", i.log_to_stdout)
        .with("log-to-file", i.log_path.is_some());
    if let Some(path) = &i.log_path {
        o.set("log-path", path.as_str());
    }
    o.set("data_channels", true);
    o.set("accepting-new-sessions", s.accepting_new_sessions());
    o.set("session-timeout", s.session_timeout());
    o.set("reclaim-session-timeout", s.reclaim_session_timeout);
    o.set("candidates-timeout", s.candidates_timeout);
    o.set("server-name", s.server_name.as_str());
    o.set("local-ip", i.local_ip.as_str());
    if let Some(first) = i.public_ips.first() {
        o.set("public-ip", first.as_str());
    }
    if i.public_ips.len() > 1 {
        o.set("public-ips", Json::Array(i.public_ips.iter().map(|p| Json::from(p.as_str())).collect()));
    }
    o.set("ipv6", i.ipv6);
    if i.ipv6 {
        o.set("ipv6-link-local", i.ipv6_link_local);
    }
    o.set("ice-lite", i.ice_lite);
    o.set("ice-tcp", i.ice_tcp);
    o.set("ice-nomination", i.ice_nomination.as_str());
    o.set("ice-keepalive-conncheck", i.ice_keepalive_conncheck);
    o.set("full-trickle", i.full_trickle);
    o.set("mdns-enabled", i.mdns_enabled);
    o.set("min-nack-queue", u32::from(gateway.media.min_nack_queue()));
    o.set("nack-optimizations", gateway.media.nack_optimizations());
    o.set("twcc-period", i.twcc_period);
    if i.dscp > 0 {
        o.set("dscp", i.dscp);
    }
    o.set("dtls-mtu", i.dtls_mtu);
    if let Some((server, port)) = &i.stun_server {
        o.set("stun-server", format!("{server}:{port}").as_str());
    }
    if let Some((server, port)) = &i.turn_server {
        o.set("turn-server", format!("{server}:{port}").as_str());
    }
    if i.allow_force_relay {
        o.set("allow-force-relay", true);
    }
    o.set("static-event-loops", i.static_event_loops);
    if i.static_event_loops > 0 {
        o.set("loop-indication", i.loop_indication);
    }
    o.set("api_secret", s.api_secret.is_some());
    o.set("auth_token", gateway.auth.is_enabled());
    o.set("event_handlers", i.event_handlers);
    o.set("opaqueid_in_api", s.opaqueid_in_api);
    if !i.webrtc_encryption {
        o.set("webrtc_encryption", false);
    }
    if let Some(deps) = &i.dependencies {
        let deps: Object = deps.iter().map(|(k, v)| (k.clone(), Json::from(v.as_str()))).collect();
        o.set("dependencies", deps);
    }
    o.set("transports", module_map(gateway.transports().into_iter().map(|t| t.description())));
    o.set("events", module_map(gateway.event_handlers().into_iter().map(|e| e.description())));
    o.set("loggers", module_map(gateway.loggers().into_iter().map(|l| l.description())));
    o.set("plugins", module_map(gateway.plugins().into_iter().map(|p| p.description())));
    o.into()
}
