//! Startup and shutdown of the gateway, in Janus 1.1.2's order: configuration (file, then the
//! command line written over it), logging, daemon mode and PID file, settings, plugins, the
//! request machinery, transports; then wait for SIGINT/SIGTERM and tear down.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use crate::abi::modules::{load, LoadedModule};
use crate::abi::{event_host, plugin_host, transport_host};
use crate::auth::Auth;
use crate::config::{Config, Entry, Kind, Node};
use crate::events::{Event, EventBus, EventHandler};
use crate::gateway::{Environment, Gateway, Settings};
use crate::ice::turn_rest::TurnRestApi;
use crate::janus_log;
use crate::log::Level;
use crate::modules::{module_files, DisableList, ModuleKind, QueryableModule};
use crate::options::Options;
use crate::plugin_host::Plugin;
use crate::server_info::StaticInfo;
use crate::sys::glib::print_line;
use crate::sys::process;
use crate::transport_host::{Dispatcher, Handler};
use crate::utils::is_true;

/// Where Debian's janus looks for its configuration.
const CONFDIR: &str = "/etc/janus";

/// The real environment: clocks, 53-bit random ids, and one thread for deferred work (Janus
/// runs handle teardown and plugin-requested `end_session` off the request path).
struct RealEnv {
    deferred: Mutex<mpsc::Sender<Box<dyn FnOnce() + Send>>>,
}

impl RealEnv {
    fn start() -> Arc<RealEnv> {
        let (tx, rx) = mpsc::channel::<Box<dyn FnOnce() + Send>>();
        std::thread::Builder::new()
            .name("deferred".into())
            .spawn(move || {
                for job in rx {
                    job();
                }
            })
            .expect("thread spawns");
        Arc::new(RealEnv { deferred: Mutex::new(tx) })
    }
}

impl Environment for RealEnv {
    fn monotonic_us(&self) -> i64 {
        crate::utils::monotonic_time()
    }
    fn real_us(&self) -> i64 {
        crate::utils::real_time()
    }
    fn random_id(&self) -> u64 {
        crate::utils::random_u64()
    }
    fn defer(&self, job: Box<dyn FnOnce() + Send>) {
        let _ = self.deferred.lock().unwrap_or_else(|e| e.into_inner()).send(job);
    }
}

/// Reads the configuration as Janus does: `-C`, else `<folder>/janus.jcfg`, then the INI
/// `janus.cfg`; without any, defaults (unless `-C` named a file, which is fatal).
fn read_config(options: &Options, configs_folder: &str) -> Result<Config, ()> {
    let explicit = options.config_file.clone();
    let first = explicit.clone().unwrap_or_else(|| format!("{configs_folder}/janus.jcfg"));
    // As janus_config_parse, a failure is logged (it shows once the log runs).
    let parse = |path: &str| Config::parse_file(Path::new(path)).map_err(|e| janus_log!(Level::Err, "{}\n", e));
    if let Ok(c) = parse(&first) {
        return Ok(c);
    }
    print_line(&format!("Failed to load {first}, trying the INI instead..."));
    let ini = format!("{configs_folder}/janus.cfg");
    if let Ok(c) = parse(&ini) {
        return Ok(c);
    }
    if explicit.is_some() {
        print_line(&format!("Error reading configuration from {ini}"));
        return Err(());
    }
    print_line(&format!(
        "Error reading/parsing the configuration file in {configs_folder}, going on with the defaults and the command line arguments"
    ));
    Ok(Config::new("janus.cfg"))
}

/// Janus writes the command line into the configuration, so the rest of startup reads one
/// source, in three steps that show when it prints the configuration (at verbose level):
/// logging and process options first, then (after the PID file and the first print) the
/// debug level, then the rest.
fn apply_early_options(config: &mut Config, o: &Options) {
    for category in ["general", "certificates", "nat", "media", "transports", "plugins", "events", "loggers"] {
        config.category_mut(category);
    }
    if o.disable_stdout {
        config.set("general", "log_to_stdout", "no");
    }
    if o.log_file.is_some() {
        // The file named on the command line is used; the configuration's is overridden.
        config.set("general", "log_to_file", "no");
    }
    if o.daemon {
        config.set("general", "daemonize", "yes");
    }
    if let Some(n) = &o.server_name {
        config.set("general", "server_name", n.as_str());
    }
}

/// The command line options Janus writes after "Checking command line arguments...".
/// Integers given as -1 ("not given") leave the file's value.
fn apply_options(config: &mut Config, o: &Options) {
    let set_int = |config: &mut Config, category: &str, name: &str, v: i32| {
        if v > -1 {
            config.set(category, name, v.to_string());
        }
    };
    for (on, name, value) in [
        (o.debug_timestamps, "debug_timestamps", "yes"),
        (o.disable_colors, "debug_colors", "no"),
        (o.debug_locks, "debug_locks", "yes"),
        (o.token_auth, "token_auth", "true"),
        (o.no_webrtc_encryption, "no_webrtc_encryption", "true"),
    ] {
        if on {
            config.set("general", name, value);
        }
    }
    set_int(config, "general", "session_timeout", o.session_timeout);
    set_int(config, "general", "reclaim_session_timeout", o.reclaim_session_timeout);
    for (value, name) in [
        (&o.interface, "interface"),
        (&o.configs_folder, "configs_folder"),
        (&o.plugins_folder, "plugins_folder"),
        (&o.apisecret, "api_secret"),
        (&o.token_auth_secret, "token_auth_secret"),
    ] {
        if let Some(v) = value {
            config.set("general", name, v.as_str());
        }
    }
    for (value, name) in [(&o.cert_pem, "cert_pem"), (&o.cert_key, "cert_key"), (&o.cert_pwd, "cert_pwd")] {
        if let Some(v) = value {
            config.set("certificates", name, v.as_str());
        }
    }
    if let Some(stun) = &o.stun_server {
        let (host, port) = stun.rsplit_once(':').unwrap_or((stun.as_str(), "3478"));
        config.set("nat", "stun_server", host);
        config.set("nat", "stun_port", port);
    }
    for (value, name) in
        [(&o.nat_1_1, "nat_1_1_mapping"), (&o.ice_enforce_list, "ice_enforce_list"), (&o.ice_ignore_list, "ice_ignore_list")]
    {
        if let Some(v) = value {
            config.set("nat", name, v.as_str());
        }
    }
    for (on, name) in [
        (o.keep_private_host, "keep_private_host"),
        (o.libnice_debug, "nice_debug"),
        (o.full_trickle, "full_trickle"),
        (o.ice_lite, "ice_lite"),
        (o.ice_tcp, "ice_tcp"),
    ] {
        if on {
            config.set("nat", name, "true");
        }
    }
    if o.ipv6_candidates {
        config.set("media", "ipv6", "true");
    }
    if o.ipv6_link_local {
        config.set("media", "ipv6_linklocal", "true");
    }
    set_int(config, "media", "min_nack_queue", o.min_nack_queue);
    set_int(config, "media", "no_media_timer", o.no_media_timer);
    set_int(config, "media", "slowlink_threshold", o.slowlink_threshold);
    set_int(config, "media", "twcc_period", o.twcc_period);
    if let Some(r) = &o.rtp_port_range {
        config.set("media", "rtp_port_range", r.as_str());
    }
    if o.event_handlers {
        config.set("events", "broadcast", "yes");
    }
}

/// The folder a kind of module loads from: `general.<kind>_folder`, else Debian's.
fn module_folder(config: &Config, kind: ModuleKind) -> PathBuf {
    let item = match kind {
        ModuleKind::Plugin => "plugins_folder",
        ModuleKind::Transport => "transports_folder",
        ModuleKind::EventHandler => "events_folder",
        ModuleKind::Logger => "loggers_folder",
    };
    config.get_value("general", item).map(PathBuf::from).unwrap_or_else(|| kind.default_folder().to_path_buf())
}

/// The `disable` list of a module category.
fn disabled<'c>(config: &'c Config, category: &str) -> Option<&'c str> {
    config.get(Kind::Category, category).and_then(|c| c.get_value("disable"))
}

/// `janus_config_print`: the whole configuration, at verbose level.
fn print_config(config: &Config) {
    for line in config.print_lines() {
        crate::log::emit(Level::Verb, None, format_args!("{line}"));
    }
}

/// C's `atoi`: leading blanks, optional sign, digits up to the first non-digit.
fn atoi(s: &str) -> i64 {
    crate::utils::strtol(s.as_bytes())
}

/// Loads every module of one kind from its folder (disable list from `[<category>] disable`)
/// and starts each with `start` right after loading it, with Janus' log lines; `start`
/// returns `None` when the module refused to initialise, else the verbose lines to log
/// after the module's description. Modules that fail to load are
/// reported and skipped, or fatal with `exit_on_dl_error`.
fn load_modules(
    kind: ModuleKind,
    folder: &Path,
    disable: Option<&str>,
    exit_on_dl_error: bool,
    mut start: impl FnMut(&LoadedModule) -> Option<Vec<String>>,
) -> Result<(), ()> {
    let files = match module_files(folder, &DisableList::parse(disable)) {
        Ok(f) => f,
        Err(_) => {
            janus_log!(Level::Fatal, "\tCouldn't access {}s folder...\n", kind.label());
            return Ok(());
        }
    };
    let title = |s: &str| s[..1].to_uppercase() + &s[1..];
    for file in files {
        let name = file.name();
        if file.disabled {
            janus_log!(Level::Warn, "{} '{}' has been disabled, skipping...\n", title(kind.label()), name);
            continue;
        }
        janus_log!(Level::Info, "Loading {} '{}'...\n", kind.label(), name);
        match load(&file.path, kind) {
            Ok(m) => {
                let Some(details) = start(&m) else { continue };
                janus_log!(Level::Verb, "\tVersion: {} ({})\n", m.info.version, m.info.version_string);
                janus_log!(Level::Verb, "\t   [{}] {}\n", m.info.package, m.info.name);
                janus_log!(Level::Verb, "\t   {}\n", m.info.description);
                janus_log!(Level::Verb, "\t   Plugin API version: {}\n", m.info.api_compatibility);
                for line in details {
                    janus_log!(Level::Verb, "{}\n", line);
                }
            }
            Err(e) => {
                let fatal =
                    exit_on_dl_error && matches!(e, crate::modules::LoadError::Open { .. } | crate::modules::LoadError::NoCreate { .. });
                janus_log!(if fatal { Level::Fatal } else { Level::Err }, "{}\n", e);
                if fatal {
                    return Err(());
                }
            }
        }
    }
    Ok(())
}

/// The address Janus announces as its own: `general.interface` when it is an address (or an
/// interface with one), else the one the kernel would use to reach the Internet, else
/// loopback.
fn local_ip(interface: Option<&str>) -> String {
    use crate::ip_utils::{address_to_string, detect_local_ip, AddressKind};
    janus_log!(Level::Verb, "Selecting local IP address...\n");
    if let Some(wanted) = interface {
        janus_log!(Level::Verb, "  -- Will try to use {}\n", wanted);
        match crate::abi::ip_utils::lookup_local_interface(wanted) {
            Some(ip) => return address_to_string(ip),
            None => janus_log!(Level::Warn, "Error setting local IP address to {}, falling back to detecting IP address...\n", wanted),
        }
    }
    let ip = detect_local_ip(AddressKind::Any).map(address_to_string).unwrap_or_else(|| {
        janus_log!(
            Level::Warn,
            "Couldn't find any address! using 127.0.0.1 as the local IP... (which is NOT going to work out of your machine)\n"
        );
        "127.0.0.1".into()
    });
    janus_log!(Level::Info, "Using {} as local IP...\n", ip);
    ip
}

/// The `[media]` and `[nat]` settings, parsed and validated as Janus does (with its warnings),
/// into what `info` reports; returns `no_media_timer` and `slowlink_threshold` when set.
/// They take effect with the media plane; the control plane reports them.
/// The media plane from the `media`, `nat` and `certificates` settings (`janus_ice_init`,
/// `janus_dtls_srtp_init`): the ICE agents' settings, the DTLS certificate and context made
/// once, the SDP settings and the event loops.
fn start_media_plane(config: &Config, info: &StaticInfo, turn_rest_api: Option<TurnRestApi>) -> Result<crate::media::MediaPlane, String> {
    use crate::dtls::{DtlsCertificate, DtlsOptions, DtlsSettings};
    use crate::ice::{parse_interface_list, EventLoops, IceSettings, InterfaceFilter, NatMapping, Nomination, TurnServer};
    let get = |category: &str, name: &str| config.get_value(category, name).map(String::from);
    let flag = |category: &str, name: &str| get(category, name).is_some_and(|v| is_true(&v));
    let nat_1_1 =
        info.nat_1_1.then(|| NatMapping { public_ips: info.public_ips.clone(), keep_private_host: flag("nat", "keep_private_host") });
    let turn_servers = info
        .turn_server
        .clone()
        .map(|(server, port)| TurnServer {
            server,
            port,
            transport: info.turn_transport,
            username: get("nat", "turn_user").unwrap_or_default(),
            password: get("nat", "turn_pwd").unwrap_or_default(),
        })
        .into_iter()
        .collect();
    let ice = IceSettings {
        ice_lite: info.ice_lite,
        ice_tcp: info.ice_tcp,
        full_trickle: info.full_trickle,
        filter: InterfaceFilter {
            enforce: get("nat", "ice_enforce_list").map(|v| parse_interface_list(&v)).unwrap_or_default(),
            ignore: get("nat", "ice_ignore_list").map(|v| parse_interface_list(&v)).unwrap_or_else(|| vec!["vmnet".into()]),
            ipv6: info.ipv6,
            ipv6_linklocal: info.ipv6_link_local,
        },
        nat_1_1,
        rtp_port_range: info.rtp_port_range,
        stun_server: info.stun_server.clone(),
        turn_servers,
        turn_rest_api,
        nomination: if info.ice_nomination.eq_ignore_ascii_case("regular") { Nomination::Regular } else { Nomination::Aggressive },
        keepalive_conncheck: info.ice_keepalive_conncheck,
        dscp: info.dscp.clamp(0, 63) as u8,
        ..IceSettings::default()
    };
    janus_log!(Level::Info, "Crypto: OpenSSL >= 1.1.0\n");
    if get("certificates", "cert_pem").is_none() && get("certificates", "cert_key").is_none() {
        janus_log!(Level::Info, "No cert/key specified, autogenerating some...\n");
    }
    let certificate = DtlsCertificate::from_settings(
        get("certificates", "cert_pem").as_deref().map(std::path::Path::new),
        get("certificates", "cert_key").as_deref().map(std::path::Path::new),
        get("certificates", "cert_pwd").as_deref(),
        flag("certificates", "rsa_private_key"),
    )
    .map_err(|e| format!("{e:?}"))?;
    let mut options = DtlsOptions::default();
    if let Some(ciphers) = get("certificates", "dtls_ciphers") {
        options.ciphers = ciphers;
    }
    if let Some(v) = get("certificates", "dtls_accept_selfsigned") {
        options.accept_selfsigned = is_true(&v);
    }
    if info.dtls_mtu > 0 {
        options.mtu = info.dtls_mtu.clamp(200, 65535) as u16;
    }
    if let Some(t) = get("media", "dtls_timeout").map(|v| atoi(&v)).filter(|t| *t > 0) {
        options.timeout = std::time::Duration::from_millis(t as u64);
    }
    let accept_selfsigned = options.accept_selfsigned;
    let dtls = DtlsSettings::new(&certificate, options).map_err(|e| format!("{e:?}"))?;
    janus_log!(Level::Info, "Fingerprint of our certificate: {}\n", dtls.local_fingerprint());
    if !accept_selfsigned {
        janus_log!(Level::Warn, "WebRTC PeerConnections with self-signed certificates will NOT be accepted\n");
    }
    let sdp = crate::sdp::SdpSettings {
        webrtc_encryption: !flag("general", "no_webrtc_encryption"),
        ipv6: info.ipv6,
        mdns: info.mdns_enabled,
        ice_tcp: info.ice_tcp,
        ice_lite: info.ice_lite,
        full_trickle: info.full_trickle,
        public_ip: info.public_ips.first().cloned().unwrap_or_else(|| info.local_ip.clone()),
    };
    Ok(crate::media::MediaPlane {
        ice: Arc::new(ice),
        dtls: Arc::new(dtls),
        sdp,
        loops: EventLoops::new(info.static_event_loops, info.loop_indication),
        twcc_period: u32::try_from(info.twcc_period).unwrap_or(200),
        allow_force_relay: info.allow_force_relay,
    })
}

/// `rtp_port_range` as Janus reads it: split at the last `-`, a side that is not a port
/// counts as 0 (with a warning), the bounds are swapped if reversed, and 0 as the maximum
/// means 65535.
fn read_rtp_port_range(range: &str) -> (u16, u16) {
    let (mut min, mut max) = (0u16, 0u16);
    if let Some((low, high)) = range.rsplit_once('-') {
        for (side, text, port) in [("min", low, &mut min), ("max", high, &mut max)] {
            match crate::utils::string_to_unsigned::<u16>(text.as_bytes()) {
                Ok(v) => *port = v,
                Err(_) => janus_log!(Level::Warn, "Invalid RTP {} port value: {} (assuming 0)\n", side, text),
            }
        }
    }
    if min > max {
        std::mem::swap(&mut min, &mut max);
    }
    if max == 0 {
        max = u16::MAX;
    }
    janus_log!(Level::Info, "RTP port range: {} -- {}\n", min, max);
    (min, max)
}

/// `nat_1_1_mapping` as Janus reads it: comma-separated, entries taken as written (no
/// trimming), invalid addresses skipped with a warning, duplicates dropped. Janus keeps them
/// as the keys of a GLib string hash table listed with `g_hash_table_get_keys`, which
/// prepends while walking the table: the reverse of the table's walking order.
fn read_nat_1_1_mapping(mapping: &str) -> Vec<String> {
    janus_log!(Level::Info, "Using nat_1_1_mapping for public IP: {}\n", mapping);
    let mut valid: Vec<&str> = Vec::new();
    for address in mapping.split(',').filter(|a| !a.is_empty()) {
        if address.parse::<std::net::IpAddr>().is_err() {
            janus_log!(Level::Warn, "Invalid nat_1_1_mapping address {}, skipping...\n", address);
        } else if !valid.contains(&address) {
            valid.push(address);
        }
    }
    valid.into_iter().map(String::from).collect()
}

/// The public IPs in the order Janus lists them (the keys of its GLib hash table), from
/// the order they were added in.
fn public_ips_in_janus_order(added: &[String]) -> Vec<String> {
    let keys: Vec<&str> = added.iter().map(String::as_str).collect();
    let order = crate::sys::glib::string_hash_table_order(&keys);
    order.into_iter().rev().map(|i| added[i].clone()).collect()
}

/// What `janus_ice_init` says of the ICE settings.
fn log_ice_init(info: &StaticInfo) {
    let on = |b: bool| if b { "enabled" } else { "disabled" };
    janus_log!(
        Level::Info,
        "Initializing ICE stuff ({} mode, ICE-TCP candidates {}, {}-trickle, IPv6 support {})\n",
        if info.ice_lite { "Lite" } else { "Full" },
        on(info.ice_tcp),
        if info.full_trickle { "full" } else { "half" },
        on(info.ipv6)
    );
    if info.ice_tcp && !info.ice_lite {
        janus_log!(Level::Warn, "You may experience problems when having ICE-TCP enabled without having ICE Lite enabled too in libnice\n");
    }
    let (min, max) = info.rtp_port_range;
    if min > 0 || max > 0 {
        janus_log!(Level::Info, "ICE port range: {}-{}\n", min, max);
    }
    if !info.mdns_enabled {
        janus_log!(Level::Warn, "mDNS resolution disabled, .local candidates will be ignored\n");
    }
}

/// The STUN, TURN and TURN REST API servers of the `nat` settings, taken as Janus takes
/// them after `janus_ice_init`: a STUN server must answer a Binding test (its answer adds
/// our public address), a TURN server must resolve and have a known `turn_type`; an
/// unusable one is fatal unless `ignore_unreachable_ice_server`. Warns when a gateway on
/// a private address has neither. The TURN REST API backend, if any; `Err` when startup
/// must stop.
fn set_ice_servers(config: &Config, info: &mut StaticInfo) -> Result<Option<TurnRestApi>, ()> {
    use crate::ice::servers;
    let nat = |name: &str| config.get_value("nat", name);
    let ignore_unreachable = nat("ignore_unreachable_ice_server").is_some_and(is_true);
    let (stun, turn) = (info.stun_server.take(), info.turn_server.take());
    if let Some((server, port)) = &stun {
        match servers::set_stun_server(server, *port) {
            Some(found) => {
                if !info.public_ips.contains(&found.public_ip) {
                    info.public_ips.push(found.public_ip);
                }
                info.stun_server = Some((found.address, found.port));
            }
            None if ignore_unreachable => janus_log!(Level::Err, "Invalid STUN address {}:{}. STUN will be disabled\n", server, port),
            None => {
                janus_log!(Level::Fatal, "Invalid STUN address {}:{}\n", server, port);
                return Err(());
            }
        }
    }
    info.public_ips = public_ips_in_janus_order(&info.public_ips);
    if let Some((server, port)) = &turn {
        match servers::set_turn_server(server, *port, nat("turn_type")) {
            Some((address, port, transport)) => {
                info.turn_server = Some((address, port));
                info.turn_transport = transport;
            }
            None if ignore_unreachable => janus_log!(Level::Err, "Invalid TURN address {}:{}. TURN will be disabled\n", server, port),
            None => {
                janus_log!(Level::Fatal, "Invalid TURN address {}:{}\n", server, port);
                return Err(());
            }
        }
    }
    let mut rest_timeout = 10;
    if let Some(timeout) = nat("turn_rest_api_timeout") {
        match atoi(timeout) {
            t if t <= 0 => {
                janus_log!(Level::Warn, "Ignoring turn_rest_api_timeout as it's not a positive integer, leaving at default (10 seconds)\n")
            }
            t => rest_timeout = t.min(i64::from(u32::MAX)) as u32,
        }
    }
    let rest_api = nat("turn_rest_api");
    let Ok(turn_rest_api) = servers::set_turn_rest_api(rest_api, nat("turn_rest_api_key"), nat("turn_rest_api_method"), rest_timeout)
    else {
        let or_null = |v: Option<&str>| v.unwrap_or("(null)").to_string();
        janus_log!(
            Level::Fatal,
            "Invalid TURN REST API configuration: {} ({}, {})\n",
            or_null(rest_api),
            or_null(nat("turn_rest_api_key")),
            or_null(nat("turn_rest_api_method"))
        );
        return Err(());
    };
    if stun.is_none() && turn.is_none() {
        let local = [info.local_ip.clone()];
        let ips = if info.public_ips.is_empty() { &local[..] } else { &info.public_ips[..] };
        for ip in ips {
            if ip.parse::<std::net::IpAddr>().is_err() {
                janus_log!(Level::Err, "Invalid address {}..?\n", ip);
            } else if servers::is_private_address(ip) {
                janus_log!(Level::Warn, "Janus is deployed on a private address ({}) but you didn't specify any STUN server! Expect trouble if this is supposed to work over the internet and not just in a LAN...\n", ip);
            }
        }
    }
    Ok(turn_rest_api)
}

/// A STUN or TURN server and its port as Janus reads them: a port that is not one disables
/// the server with a warning; a missing port reads 0 (3478 once the server is set).
fn read_ice_server(server: Option<String>, port: Option<String>, what: &str) -> Option<(String, u16)> {
    let port = match port {
        None => 0,
        Some(text) => match crate::utils::string_to_unsigned::<u16>(text.as_bytes()) {
            Ok(port) => port,
            Err(_) => {
                janus_log!(Level::Warn, "Invalid {} port: {} (disabling {})\n", what, text, what);
                return None;
            }
        },
    };
    server.map(|server| (server, port))
}

fn read_media_settings(config: &Config, info: &mut StaticInfo) -> (Option<u32>, Option<u32>) {
    let media = |name: &str| config.get_value("media", name).map(String::from);
    let nat = |name: &str| config.get_value("nat", name).map(String::from);
    let flag = |v: Option<String>| v.is_some_and(|v| is_true(&v));
    info.ipv6 = flag(media("ipv6"));
    info.ipv6_link_local = info.ipv6 && flag(media("ipv6_linklocal"));
    if let Some(range) = media("rtp_port_range") {
        info.rtp_port_range = read_rtp_port_range(&range);
    }
    info.ice_lite = flag(nat("ice_lite"));
    info.ice_tcp = flag(nat("ice_tcp"));
    info.full_trickle = flag(nat("full_trickle"));
    info.mdns_enabled = !flag(nat("ignore_mdns"));
    if let Some(mapping) = nat("nat_1_1_mapping") {
        info.public_ips = read_nat_1_1_mapping(&mapping);
        info.nat_1_1 = !info.public_ips.is_empty();
        if info.nat_1_1 && flag(nat("keep_private_host")) {
            janus_log!(Level::Info, "  -- Going to keep the private host too (separate candidates)\n");
        }
    }
    if flag(nat("allow_force_relay")) {
        janus_log!(
            Level::Warn,
            "Note: applications/users will be allowed to force Janus to use TURN. Make sure you know what you're doing!\n"
        );
        info.allow_force_relay = true;
    }
    if let Some(loops) = config.get_value("general", "event_loops") {
        info.static_event_loops = atoi(loops).max(0);
        info.loop_indication = config.get_value("general", "allow_loop_indication").is_some_and(is_true);
    }
    if let Some(mode) = nat("ice_nomination") {
        info.ice_nomination = mode;
    }
    if let Some(v) = nat("ice_keepalive_conncheck") {
        info.ice_keepalive_conncheck = is_true(&v);
    }
    info.stun_server = read_ice_server(nat("stun_server"), nat("stun_port"), "STUN");
    info.turn_server = read_ice_server(nat("turn_server"), nat("turn_port"), "TURN");
    if let Some(dscp) = media("dscp").or_else(|| media("dscp_tos")).map(|v| atoi(&v)) {
        if dscp < 0 {
            janus_log!(Level::Warn, "Ignoring dscp value as it's not a positive integer\n");
        } else {
            info.dscp = dscp;
        }
    }
    if let Some(mnq) = media("min_nack_queue").map(|v| atoi(&v)) {
        if mnq < 0 {
            janus_log!(Level::Warn, "Ignoring min_nack_queue value as it's not a positive integer\n");
        } else {
            info.min_nack_queue = mnq;
        }
    }
    if let Some(v) = media("nack_optimizations") {
        info.nack_optimizations = is_true(&v);
    }
    let non_negative = |name: &str| {
        let v = atoi(&media(name)?);
        if v < 0 {
            janus_log!(Level::Warn, "Ignoring {} value as it's not a positive integer\n", name);
            None
        } else {
            Some(v.min(i64::from(u32::MAX)) as u32)
        }
    };
    let no_media_timer = non_negative("no_media_timer");
    let slowlink_threshold = non_negative("slowlink_threshold");
    if let Some(tp) = media("twcc_period").map(|v| atoi(&v)) {
        if tp <= 0 {
            janus_log!(Level::Warn, "Ignoring twcc_period value as it's not a positive integer\n");
        } else {
            info.twcc_period = tp;
        }
    }
    if let Some(mtu) = media("dtls_mtu") {
        info.dtls_mtu = atoi(&mtu);
    }
    (no_media_timer, slowlink_threshold)
}

/// `events.stats_period` and `events.combine_media_stats`: how media statistics reach
/// event handlers.
#[derive(Default)]
struct EventStats {
    period: Option<u32>,
    combine: bool,
}

fn read_event_stats(config: &Config) -> EventStats {
    let mut stats = EventStats::default();
    if let Some(period) = config.get_value("events", "stats_period").map(atoi) {
        if period < 0 {
            janus_log!(Level::Warn, "Invalid event handlers statistics period, using default value (1 second)\n");
        } else if period == 0 {
            stats.period = Some(0);
            janus_log!(Level::Warn, "Disabling event handlers statistics period, no media statistics will be pushed to event handlers\n");
        } else {
            stats.period = Some(period.min(i64::from(u32::MAX)) as u32);
            janus_log!(Level::Info, "Setting event handlers statistics period to {} seconds\n", period);
        }
    }
    if let Some(combine) = config.get_value("events", "combine_media_stats") {
        stats.combine = is_true(combine);
        if stats.combine {
            janus_log!(Level::Info, "Event handler configured to send media stats combined in a single event\n");
        }
    }
    stats
}

/// Keeps a module whose `init` succeeded, with the extra lines Janus logs about it;
/// Janus' warning for one that refused.
fn started<T, E>(list: &mut Vec<T>, module: &LoadedModule, init: Result<T, E>, details: impl Fn(&T) -> Vec<String>) -> Option<Vec<String>> {
    match init {
        Ok(started) => {
            let lines = details(&started);
            list.push(started);
            Some(lines)
        }
        Err(_) => {
            janus_log!(Level::Warn, "The '{}' plugin could not be initialized\n", module.info.package);
            None
        }
    }
}

/// `general.protected_folders`: the folders no recording or capture may be written in.
fn read_protected_folders(config: &Config) {
    let protected = config.get(Kind::Category, "general").and_then(|g| g.get(Kind::Array, "protected_folders"));
    for folder in protected.map(Entry::members).unwrap_or_default() {
        if let (Node::Item(Some(path)), None) = (&folder.node, &folder.name) {
            crate::utils::protected_folder_add(path);
        }
    }
}

/// The settings the request paths read: session timeouts, secrets, `opaqueid_in_api`,
/// with Janus' warnings for values it ignores.
fn read_session_settings(config: &Config, server_name: String) -> Settings {
    let general = |name: &str| config.get_value("general", name);
    let mut settings = Settings { server_name, ..Settings::default() };
    if let Some(st) = general("session_timeout").map(atoi) {
        if st < 0 {
            janus_log!(Level::Warn, "Ignoring session_timeout value as it's not a positive integer\n");
        } else {
            if st == 0 {
                janus_log!(Level::Warn, "Session timeouts have been disabled (note, may result in orphaned sessions)\n");
            }
            settings.session_timeout.store(st, Ordering::Relaxed);
        }
    }
    if let Some(rst) = general("reclaim_session_timeout").map(atoi) {
        if rst < 0 {
            janus_log!(Level::Warn, "Ignoring reclaim_session_timeout value as it's not a positive integer\n");
        } else {
            if rst == 0 {
                janus_log!(Level::Warn, "Reclaim session timeouts have been disabled, will cleanup immediately\n");
            }
            settings.reclaim_session_timeout = rst;
        }
    }
    if let Some(ct) = general("candidates_timeout").map(atoi) {
        if ct <= 0 {
            janus_log!(Level::Warn, "Ignoring candidates_timeout value as it's not a positive integer\n");
        } else {
            settings.candidates_timeout = ct;
        }
    }
    settings.api_secret = general("api_secret").map(String::from);
    settings.admin_secret = general("admin_secret").map(String::from);
    settings.opaqueid_in_api = general("opaqueid_in_api").is_some_and(is_true);
    settings
}

/// `token_auth` and `token_auth_secret`, announced as Janus does.
fn read_token_auth(config: &Config) -> Auth {
    let general = |name: &str| config.get_value("general", name);
    let auth = Auth::new(general("token_auth").is_some_and(is_true), general("token_auth_secret"));
    if auth.is_stored_mode() {
        janus_log!(Level::Info, "Stored-Token based authentication enabled\n");
    } else if auth.is_signed_mode() {
        janus_log!(Level::Info, "Signed-Token based authentication enabled\n");
    } else {
        janus_log!(Level::Info, "Token based authentication disabled\n");
    }
    auth
}

/// The recorder, with `recordings_tmp_ext` when set.
fn init_recorder(config: &Config) {
    janus_log!(Level::Info, "Initializing recorder code\n");
    match config.get_value("general", "recordings_tmp_ext") {
        Some(ext) => {
            janus_log!(Level::Info, "  -- Using temporary extension .{}\n", ext);
            crate::record::init(true, Some(ext));
        }
        None => crate::record::init(false, None),
    }
}

/// The event handlers (when `events.broadcast` is on), their statistics settings, and the
/// bus that feeds them.
struct EventHandling {
    handlers: Vec<Arc<event_host::EventHandlerModule>>,
    stats: EventStats,
    bus: Arc<EventBus>,
}

fn start_event_handlers(
    config: &Config,
    configs_folder: &Path,
    broadcast: bool,
    exit_on_dl_error: bool,
    server_name: &str,
) -> Result<EventHandling, ()> {
    let mut handlers = Vec::new();
    let mut stats = EventStats::default();
    if broadcast {
        let events_folder = module_folder(config, ModuleKind::EventHandler);
        janus_log!(Level::Info, "Event handler plugins folder: {}\n", events_folder.display());
        // Janus reads these only when the folder can be listed.
        if std::fs::read_dir(&events_folder).is_ok() {
            stats = read_event_stats(config);
        }
        load_modules(ModuleKind::EventHandler, &events_folder, disabled(config, "events"), exit_on_dl_error, |m| {
            event_host::start_event_handler(m, configs_folder).map(|h| handlers.push(h)).map(|_| Vec::new())
        })?;
    } else {
        janus_log!(Level::Info, "Event handlers support disabled\n");
    }
    match EventBus::start(broadcast, server_name, handlers.iter().map(|h| h.clone() as Arc<dyn EventHandler>).collect()) {
        Ok(bus) => Ok(EventHandling { handlers, stats, bus: Arc::new(bus) }),
        Err(e) => {
            janus_log!(Level::Fatal, "Error initializing the Event handlers mechanism: {e}\n");
            Err(())
        }
    }
}

/// The transports, each announcing which APIs it serves; Janus' fatal checks that the
/// Janus API (and, for stored tokens, the Admin API) is served by one.
fn start_transports(
    config: &Config,
    configs_folder: &Path,
    exit_on_dl_error: bool,
    gateway: &Gateway,
) -> Result<Vec<Arc<transport_host::CTransport>>, ()> {
    let transports_folder = module_folder(config, ModuleKind::Transport);
    janus_log!(Level::Info, "Transport plugins folder: {}\n", transports_folder.display());
    let mut transports = Vec::new();
    load_modules(ModuleKind::Transport, &transports_folder, disabled(config, "transports"), exit_on_dl_error, |m| {
        started(&mut transports, m, transport_host::start_transport(m, configs_folder), |t| {
            let enabled = |on: bool| if on { "enabled" } else { "disabled" };
            vec![
                format!("\t   Janus API: {}", enabled(t.is_janus_api_enabled())),
                format!("\t   Admin API: {}", enabled(t.is_admin_api_enabled())),
            ]
        })
    })?;
    if !transports.iter().any(|t| t.is_janus_api_enabled()) {
        janus_log!(Level::Fatal, "No Janus API transport is available... enable at least one and restart Janus\n");
        return Err(());
    }
    if !transports.iter().any(|t| t.is_admin_api_enabled()) && gateway.auth.is_stored_mode() {
        janus_log!(Level::Fatal, "No Admin/monitor transport is available, but the stored token based authentication mechanism is enabled... this will cause all requests to fail, giving up! If you want to use tokens, enable the Admin/monitor API or set the token auth secret.\n");
        return Err(());
    }
    Ok(transports)
}

/// The external loggers, added to the log's sinks as Janus announces them.
fn start_loggers(
    config: &Config,
    configs_folder: &Path,
    exit_on_dl_error: bool,
    server_name: &str,
) -> Result<Vec<Arc<event_host::LoggerModule>>, ()> {
    let loggers_folder = module_folder(config, ModuleKind::Logger);
    janus_log!(Level::Info, "Logger plugins folder: {}\n", loggers_folder.display());
    let mut loggers = Vec::new();
    load_modules(ModuleKind::Logger, &loggers_folder, disabled(config, "loggers"), exit_on_dl_error, |m| {
        event_host::start_logger(m, server_name, configs_folder).map(|l| loggers.push(l)).map(|_| Vec::new())
    })?;
    if !loggers.is_empty() {
        // Printed straight to the console, as janus_log_set_loggers does: not a log line.
        print_line(&format!("Adding {} external loggers", loggers.len()));
        for l in &loggers {
            crate::log::add_sink(crate::loggers::sink(l.clone()));
        }
    }
    Ok(loggers)
}

/// The PID file (`-p`, else `general.pid_file`), created and locked as Janus does; `-p`
/// is written into the configuration.
fn lock_pid_file(config: &mut Config, options: &Options) -> Result<Option<process::PidFile>, ()> {
    let Some(path) = options.pid_file.clone().or_else(|| config.get_value("general", "pid_file").map(String::from)) else {
        return Ok(None);
    };
    if let Some(path) = &options.pid_file {
        config.set("general", "pid_file", path.as_str());
    }
    process::PidFile::create(&path).map(Some).map_err(|e| match e {
        process::PidFileError::Locked(Some(pid)) => janus_log!(Level::Fatal, "Error locking PID file (lock held by PID {pid}?)\n"),
        process::PidFileError::Locked(None) => janus_log!(Level::Fatal, "Error locking PID file (lock held by unknown PID?)\n"),
        process::PidFileError::Write(err) => janus_log!(Level::Fatal, "Error writing PID in file, error {err}\n"),
        process::PidFileError::Open => {
            janus_log!(Level::Fatal, "Error opening/creating PID file {path}, does Janus have enough permissions?\n")
        }
    })
}

/// The debug level, timestamps, colours and lock debugging, from the configuration and the
/// command line (which is written over it, and the result printed, as Janus does).
fn apply_debug_settings(config: &mut Config, options: &Options) {
    print_config(config);
    if options.debug_level > -1 {
        config.set("general", "debug_level", options.debug_level.clamp(0, 7).to_string());
    } else if let Some(level) = config.get_value("general", "debug_level") {
        let l = atoi(level);
        if l == 0 && level != "0" {
            crate::log::print_bytes(format!("Invalid debug level {level} (configuration), using default (info=4)\n").as_bytes());
        } else {
            crate::log::set_level(l.clamp(0, 7) as i32);
        }
    }
    crate::log::print_bytes(b"Checking command line arguments...\n");
    apply_options(config, options);
    print_config(config);
    let general = |name: &str| config.get_value("general", name).map(String::from);
    crate::log::print_bytes(format!("Debug/log level is {}\n", crate::log::level()).as_bytes());
    if let Some(v) = general("debug_timestamps") {
        crate::log::set_timestamps(is_true(&v));
    }
    crate::log::print_bytes(
        format!("Debug/log timestamps are {}\n", if crate::log::timestamps() { "enabled" } else { "disabled" }).as_bytes(),
    );
    if let Some(v) = general("debug_colors") {
        crate::log::set_colors(is_true(&v));
    }
    crate::log::print_bytes(format!("Debug/log colors are {}\n", if crate::log::colors() { "enabled" } else { "disabled" }).as_bytes());
    if general("debug_locks").is_some_and(|v| is_true(&v)) {
        crate::log::set_lock_debug(true);
        crate::log::print_bytes(b"Lock/mutex debugging is enabled\n");
    }
}

/// Runs the gateway; returns the process exit status.
pub fn run(options: Options) -> i32 {
    // Before any thread exists (the log's included), so that every thread inherits the
    // mask and SIGINT/SIGTERM only ever reach the waits below: a thread with them unblocked
    // would take a second signal during shutdown with the default action (killed, 143).
    process::block_termination_signals();
    // Silently, as Janus logs nothing of it; a failure leaves the limit as it was.
    let _ = process::raise_open_files_limit();
    let configs_folder = options.configs_folder.clone().unwrap_or_else(|| CONFDIR.to_string());
    let Ok(mut config) = read_config(&options, &configs_folder) else { return 1 };
    apply_early_options(&mut config, &options);
    let general = |name: &str| config.get_value("general", name).map(String::from);

    if let Some(prefix) = general("log_prefix") {
        crate::log::set_global_prefix(Some(&prefix));
    }
    read_protected_folders(&config);
    let use_stdout = !options.disable_stdout && (options.log_stdout || general("log_to_stdout").is_none_or(|v| is_true(&v)));
    let log_file = options.log_file.clone().or_else(|| general("log_to_file"));
    let exit_on_dl_error = general("exit_on_dl_error").is_some_and(|v| is_true(&v));
    let daemon = options.daemon || general("daemonize").is_some_and(|v| is_true(&v));
    // A daemon logs to stdout only when told to explicitly.
    let use_stdout = use_stdout && (!daemon || options.log_stdout);
    let daemon_child = if daemon {
        print_line("Running Janus as a daemon");
        match process::daemonize(options.cwd_path.as_deref().unwrap_or("/")) {
            Ok(child) => Some(child),
            Err(_) => {
                print_line("Fork error!");
                return 1;
            }
        }
    } else {
        None
    };
    let fail = |child: Option<process::DaemonChild>, code: i32| {
        if let Some(c) = child {
            c.report(code);
        }
        crate::log::shutdown();
        code
    };
    if let Err(e) = crate::log::init(use_stdout, log_file.as_deref().map(Path::new)) {
        print_line(&format!("Error opening log file {}: {e}", log_file.unwrap_or_default()));
        return fail(daemon_child, 1);
    }
    if !use_stdout && log_file.is_none() {
        print_line("WARNING: logging completely disabled!");
        print_line("         (no stdout and no logfile, this may not be what you want...)");
    }
    if daemon && !use_stdout {
        let _ = process::detach_stdio();
    }

    let configs_folder = PathBuf::from(general("configs_folder").unwrap_or(configs_folder));
    let server_name = general("server_name").unwrap_or_else(|| Settings::default().server_name);

    // External loggers come first, so that they see the whole startup.
    let Ok(loggers) = start_loggers(&config, &configs_folder, exit_on_dl_error, &server_name) else {
        return fail(daemon_child, 1);
    };

    crate::log::print_bytes(b"---------------------------------------------------\n");
    crate::log::print_bytes(format!("  Starting Meetecho Janus (WebRTC Server) v{}\n", crate::JANUS_VERSION_STRING).as_bytes());
    crate::log::print_bytes(b"---------------------------------------------------\n\n");

    crate::log::set_level(4);
    crate::log::set_colors(true);
    if options.debug_level > -1 {
        crate::log::set_level(options.debug_level.clamp(0, 7));
    }
    let Ok(_pid_file) = lock_pid_file(&mut config, &options) else {
        return fail(daemon_child, 1);
    };
    apply_debug_settings(&mut config, &options);
    let general = |name: &str| config.get_value("general", name).map(String::from);

    let local_ip = local_ip(general("interface").as_deref());

    let settings = read_session_settings(&config, server_name.clone());
    let auth = read_token_auth(&config);
    init_recorder(&config);
    crate::sys::srtp_init();

    // The media plane (ICE, DTLS-SRTP) before anything that could use it, as Janus does.
    let broadcast = config.get_value("events", "broadcast").is_some_and(is_true);
    let mut info = StaticInfo {
        commit_hash: env!("JANUS_BUILD_GIT_SHA").into(),
        compile_time: env!("JANUS_BUILD_TIME").into(),
        log_to_stdout: use_stdout,
        log_path: log_file.clone(),
        event_handlers: broadcast,
        local_ip,
        dependencies: (!general("hide_dependencies").is_some_and(|v| is_true(&v))).then(crate::sys::dependency_versions),
        ..StaticInfo::default()
    };
    let (no_media_timer, slowlink_threshold) = read_media_settings(&config, &mut info);
    log_ice_init(&info);
    let Ok(turn_rest_api) = set_ice_servers(&config, &mut info) else {
        return fail(daemon_child, 1);
    };
    let media_plane = match start_media_plane(&config, &info, turn_rest_api) {
        Ok(plane) => Arc::new(plane),
        Err(e) => {
            janus_log!(Level::Fatal, "Error initializing the media plane (ICE/DTLS-SRTP): {e}\n");
            return fail(daemon_child, 1);
        }
    };

    let watchdog = Watchdog::start();
    // Failing from here on stops the watchdog first.
    let fail = |child: Option<process::DaemonChild>, code: i32| {
        watchdog.signal_stop();
        fail(child, code)
    };

    // The requests thread and pool run from here on, as in Janus; requests can only come
    // once transports are loaded, when the gateway they go to exists.
    let served = Arc::new(std::sync::OnceLock::<Arc<Gateway>>::new());
    let janus: Handler = {
        let g = served.clone();
        Arc::new(move |r| {
            if let Some(g) = g.get() {
                g.handle_janus_request(r)
            }
        })
    };
    let admin: Handler = {
        let g = served.clone();
        Arc::new(move |r| {
            if let Some(g) = g.get() {
                g.handle_admin_request(r)
            }
        })
    };
    let workers = general("task_pool_size").map(|v| atoi(&v)).filter(|n| *n > 0).unwrap_or(16) as usize;
    let dispatcher = Dispatcher::start(janus, admin, workers);

    let Ok(EventHandling { handlers, stats: event_stats, bus }) =
        start_event_handlers(&config, &configs_folder, broadcast, exit_on_dl_error, &server_name)
    else {
        return fail(daemon_child, 1);
    };

    // Plugins.
    let plugins_folder = module_folder(&config, ModuleKind::Plugin);
    janus_log!(Level::Info, "Plugins folder: {}\n", plugins_folder.display());
    let mut plugins = Vec::new();
    let loaded = load_modules(ModuleKind::Plugin, &plugins_folder, disabled(&config, "plugins"), exit_on_dl_error, |m| {
        started(&mut plugins, m, plugin_host::start_plugin(m, &configs_folder), |_| Vec::new())
    });
    if loaded.is_err() {
        return fail(daemon_child, 1);
    }

    let env = RealEnv::start();
    let gateway = Arc::new(
        Gateway::new(settings, auth, plugins.iter().map(|p| p.clone() as Arc<dyn Plugin>).collect(), info, env)
            .with_event_bus(bus.clone())
            .with_modules(
                handlers.iter().map(|h| h.clone() as Arc<dyn QueryableModule>).collect(),
                loggers.iter().map(|l| l.clone() as Arc<dyn QueryableModule>).collect(),
            ),
    );
    if let Some(t) = no_media_timer {
        gateway.media.set_no_media_timer(t);
    }
    if let Some(t) = slowlink_threshold {
        gateway.media.set_slowlink_threshold(t);
    }
    if let Some(period) = event_stats.period {
        gateway.media.set_event_stats_period(period);
    }
    gateway.media.set_combine_media_stats(event_stats.combine);
    gateway.set_media_plane(media_plane.clone());
    plugin_host::install_gateway(gateway.clone());

    let _ = served.set(gateway.clone());
    transport_host::install(gateway.clone(), dispatcher);
    let Ok(transports) = start_transports(&config, &configs_folder, exit_on_dl_error, &gateway) else {
        return fail(daemon_child, 1);
    };
    gateway.set_transports(transports.iter().map(|t| t.clone() as Arc<dyn QueryableModule>).collect());

    watchdog.watch(gateway.clone());
    if let Some(child) = daemon_child {
        child.report(0);
    }
    let info = gateway.server_info(None);
    gateway.notify(Event::CoreStartup { info });
    Running { gateway, watchdog, transports, plugins, media_plane, bus, handlers, loggers }.serve_until_signal()
}

/// The sessions watchdog (Janus' "timeout watchdog"): it runs from early in the startup
/// and checks the sessions every 2 s, as Janus' watchdog source, once it has the gateway;
/// a stop (or the watchdog going away) ends it at once.
struct Watchdog {
    stop: mpsc::Sender<()>,
    gateway: mpsc::Sender<Arc<Gateway>>,
    thread: std::thread::JoinHandle<()>,
}

impl Watchdog {
    fn start() -> Watchdog {
        let (stop, stopped) = mpsc::channel::<()>();
        let (gateway, watched) = mpsc::channel::<Arc<Gateway>>();
        let thread = std::thread::Builder::new()
            .name("timeout watchdog".into())
            .spawn(move || {
                janus_log!(Level::Info, "Sessions watchdog started\n");
                let gateway = watched.recv().ok();
                while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(Duration::from_secs(2)) {
                    if let Some(g) = &gateway {
                        g.check_sessions();
                    }
                }
                janus_log!(Level::Info, "Sessions watchdog stopped\n");
            })
            .expect("thread spawns");
        Watchdog { stop, gateway, thread }
    }

    fn watch(&self, gateway: Arc<Gateway>) {
        let _ = self.gateway.send(gateway);
    }

    /// Tells it to stop, without waiting.
    fn signal_stop(&self) {
        let _ = self.stop.send(());
    }

    fn stop(self) {
        self.signal_stop();
        let _ = self.thread.join();
    }
}

/// A started gateway and the modules and threads it runs with, for the orderly shutdown.
struct Running {
    gateway: Arc<Gateway>,
    watchdog: Watchdog,
    transports: Vec<Arc<transport_host::CTransport>>,
    plugins: Vec<Arc<plugin_host::CPlugin>>,
    media_plane: Arc<crate::media::MediaPlane>,
    bus: Arc<EventBus>,
    handlers: Vec<Arc<event_host::EventHandlerModule>>,
    loggers: Vec<Arc<event_host::LoggerModule>>,
}

impl Running {
    /// Waits for SIGINT or SIGTERM, then tears everything down in Janus' order (a second
    /// signal hurries it, a third leaves at once); the exit status.
    fn serve_until_signal(self) -> i32 {
        let Running { gateway, watchdog, transports, plugins, media_plane, bus, handlers, loggers } = self;
        let signal = process::wait_termination();
        crate::log::print_bytes(b"Stopping server, please wait...\n");
        // A second signal while cleaning up leaves at once.
        std::thread::spawn(|| {
            process::wait_termination();
            crate::log::print_bytes(b"In a hurry? I'm trying to free resources cleanly, here!\n");
            process::wait_termination();
            crate::log::print_bytes(b"Ok, leaving immediately...\n");
            crate::log::flush();
            std::process::exit(1);
        });
        gateway.notify(Event::CoreShutdown { signum: signal });
        janus_log!(Level::Info, "Ending sessions timeout watchdog...\n");
        watchdog.stop();
        janus_log!(Level::Info, "Closing transport plugins:\n");
        for t in &transports {
            t.destroy();
        }
        janus_log!(Level::Info, "Ending requests thread...\n");
        transport_host::stop_requests();
        janus_log!(Level::Info, "Destroying sessions...\n");
        // PeerConnections go before the plugins they talk to.
        for session in gateway.sessions.all() {
            for handle in session.handle_ids().into_iter().filter_map(|id| session.handle(id)) {
                if let Some(pc) = handle.media.take() {
                    pc.close();
                }
            }
        }
        janus_log!(Level::Info, "Freeing crypto resources...\n");
        janus_log!(Level::Info, "De-initializing SCTP...\n");
        janus_log!(Level::Info, "Closing plugins:\n");
        for p in &plugins {
            p.destroy();
        }
        media_plane.loops.stop(Duration::from_secs(2));
        janus_log!(Level::Info, "Closing event handlers:\n");
        bus.shutdown();
        for h in &handlers {
            h.destroy();
        }
        crate::log::print_bytes(b"Bye!\n");
        crate::log::shutdown();
        crate::log::clear_sinks();
        for l in &loggers {
            l.destroy();
        }
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rtp_port_range_reads_as_janus() {
        assert_eq!(read_rtp_port_range("20000-40000"), (20000, 40000));
        assert_eq!(read_rtp_port_range("40000-20000"), (20000, 40000));
        // strtol reads "abc" as 0, which is a valid port for Janus.
        assert_eq!(read_rtp_port_range("abc-2000"), (0, 2000));
        assert_eq!(read_rtp_port_range("70000-1000"), (0, 1000));
        assert_eq!(read_rtp_port_range("5000"), (0, u16::MAX));
        // Split at the last dash; strtol reads "1-2" as 1.
        assert_eq!(read_rtp_port_range("1-2-3"), (1, 3));
    }

    #[test]
    fn nat_1_1_mapping_skips_invalid_and_duplicate_addresses() {
        // The order was checked against /usr/bin/janus' `info` for this same input.
        let ips = read_nat_1_1_mapping("1.2.3.4,5.6.7.8,bad,1.2.3.4,2001:db8::1,7.7.7.7, 9.9.9.9,,");
        assert_eq!(ips, ["1.2.3.4", "5.6.7.8", "2001:db8::1", "7.7.7.7"]);
        assert_eq!(public_ips_in_janus_order(&ips), ["7.7.7.7", "1.2.3.4", "5.6.7.8", "2001:db8::1"]);
        assert!(read_nat_1_1_mapping("bad,,").is_empty());
    }

    #[test]
    fn ice_server_ports_read_as_janus() {
        let server = || Some("stun.example.org".to_string());
        assert_eq!(read_ice_server(server(), None, "STUN"), Some(("stun.example.org".into(), 0)));
        assert_eq!(read_ice_server(server(), Some("0".into()), "STUN"), Some(("stun.example.org".into(), 0)));
        assert_eq!(read_ice_server(server(), Some("19302".into()), "STUN"), Some(("stun.example.org".into(), 19302)));
        assert_eq!(read_ice_server(server(), Some("99999".into()), "STUN"), None);
        assert_eq!(read_ice_server(None, Some("3478".into()), "TURN"), None);
    }
}
