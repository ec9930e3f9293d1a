//! The command line of `janus` 1.1.2: the same options, short letters and argument kinds,
//! parsed by the same GLib parser so that clustering, errors and `--help` behave the same.
//! Integer options start at -1, meaning "not given": the configuration file then decides.

use crate::sys::goption::{self, OptionArg, OptionSpec, OptionValue};

/// Every option of `janus --help`, in Janus' order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Options {
    pub daemon: bool,
    pub pid_file: Option<String>,
    pub disable_stdout: bool,
    pub log_stdout: bool,
    pub log_file: Option<String>,
    pub cwd_path: Option<String>,
    pub interface: Option<String>,
    pub plugins_folder: Option<String>,
    pub config_file: Option<String>,
    pub configs_folder: Option<String>,
    pub cert_pem: Option<String>,
    pub cert_key: Option<String>,
    pub cert_pwd: Option<String>,
    pub stun_server: Option<String>,
    pub nat_1_1: Option<String>,
    pub keep_private_host: bool,
    pub ice_enforce_list: Option<String>,
    pub ice_ignore_list: Option<String>,
    pub ipv6_candidates: bool,
    pub ipv6_link_local: bool,
    pub libnice_debug: bool,
    pub full_trickle: bool,
    pub ice_lite: bool,
    pub ice_tcp: bool,
    pub min_nack_queue: i32,
    pub no_media_timer: i32,
    pub slowlink_threshold: i32,
    pub rtp_port_range: Option<String>,
    pub twcc_period: i32,
    pub server_name: Option<String>,
    pub session_timeout: i32,
    pub reclaim_session_timeout: i32,
    pub debug_level: i32,
    pub debug_timestamps: bool,
    pub disable_colors: bool,
    pub debug_locks: bool,
    pub apisecret: Option<String>,
    pub token_auth: bool,
    pub token_auth_secret: Option<String>,
    pub event_handlers: bool,
    pub no_webrtc_encryption: bool,
}

const fn flag(long: &'static str, short: Option<char>, description: &'static str) -> OptionSpec {
    OptionSpec { long, short, arg: OptionArg::Flag, description, arg_description: None }
}

const fn text(long: &'static str, short: Option<char>, description: &'static str, arg: &'static str) -> OptionSpec {
    OptionSpec { long, short, arg: OptionArg::Text, description, arg_description: Some(arg) }
}

const fn int(long: &'static str, short: Option<char>, description: &'static str, arg: &'static str) -> OptionSpec {
    OptionSpec { long, short, arg: OptionArg::Int, description, arg_description: Some(arg) }
}

/// Janus' options. The descriptions are ours; names, letters and argument kinds are Janus'.
/// (`--token-auth-secret` takes text here: 1.1.2 declares it as an integer by mistake, so no
/// working command line can depend on that.)
const SPECS: [OptionSpec; 41] = [
    flag("daemon", Some('b'), "Run in the background as a daemon"),
    text("pid-file", Some('p'), "Write the process ID to this file (default=none)", "path"),
    flag("disable-stdout", Some('N'), "Do not log to stdout"),
    flag("log-stdout", None, "Log to stdout even when running as a daemon"),
    text("log-file", Some('L'), "Also log to this file (default=stdout only)", "path"),
    text("cwd-path", Some('H'), "Working directory of the daemon (default=/)", "path"),
    text("interface", Some('i'), "Interface to use, announced as the public IP", "ipaddress"),
    text("plugins-folder", Some('P'), "Folder to load plugins from (default=./plugins)", "path"),
    text("config", Some('C'), "Configuration file", "filename"),
    text("configs-folder", Some('F'), "Folder of the configuration files (default=./conf)", "path"),
    text("cert-pem", Some('c'), "DTLS certificate", "filename"),
    text("cert-key", Some('k'), "DTLS certificate key", "filename"),
    text("cert-pwd", Some('K'), "Passphrase of the DTLS certificate key, if any", "text"),
    text("stun-server", Some('S'), "STUN server(:port) to learn the public address from (default=none)", "address:port"),
    text("nat-1-1", Some('1'), "Comma-separated public IPs to advertise in host candidates behind a 1:1 NAT (default=none)", "ips"),
    flag("keep-private-host", Some('2'), "With nat-1-1, advertise the private host candidates too"),
    text(
        "ice-enforce-list",
        Some('E'),
        "Comma-separated interfaces to gather ICE candidates on, partial names allowed (default=none)",
        "list",
    ),
    text(
        "ice-ignore-list",
        Some('X'),
        "Comma-separated interfaces or IPs to skip when gathering, partial strings allowed (default=vmnet)",
        "list",
    ),
    flag("ipv6-candidates", Some('6'), "Gather IPv6 candidates too"),
    flag("ipv6-link-local", Some('O'), "Gather IPv6 link-local candidates too"),
    flag("libnice-debug", Some('l'), "Enable libnice debugging"),
    flag("full-trickle", Some('f'), "Trickle candidates in both directions (full-trickle)"),
    flag("ice-lite", Some('I'), "Use ICE Lite"),
    flag("ice-tcp", Some('T'), "Use ICE-TCP (needs ICE Lite)"),
    int("min-nack-queue", Some('Q'), "Minimum retransmission buffer per user, in ms, whatever the RTT", "number"),
    int("no-media-timer", Some('t'), "Seconds without incoming media before notifying it", "number"),
    int("slowlink-threshold", Some('W'), "Lost packets per second that trigger a 'slowlink' event (default=0, off)", "number"),
    text("rtp-port-range", Some('r'), "Port range for RTP/RTCP", "min-max"),
    int("twcc-period", Some('B'), "Interval of TWCC feedback to senders, in ms (default=200ms)", "number"),
    text("server-name", Some('n'), "Public name of this instance (default=MyJanusInstance)", "name"),
    int("session-timeout", Some('s'), "Session timeout in seconds (default=60)", "number"),
    int("reclaim-session-timeout", Some('m'), "Seconds a session survives its transport going away (default=0)", "number"),
    int("debug-level", Some('d'), "Logging level (0=off, 7=most verbose; default=4)", "1-7"),
    flag("debug-timestamps", Some('D'), "Add timestamps to log lines"),
    flag("disable-colors", Some('o'), "No colours in log lines"),
    flag("debug-locks", Some('M'), "Log every lock and unlock (very verbose!)"),
    text("apisecret", Some('a'), "Secret every Janus API request must carry (default=none)", "randomstring"),
    flag("token-auth", Some('A'), "Require an authentication token on every request"),
    text("token-auth-secret", None, "Secret that signs HMAC tokens, with -A", "randomstring"),
    flag("event-handlers", Some('e'), "Enable event handlers"),
    flag("no-webrtc-encryption", Some('w'), "No DTLS/SRTP at all (debugging only!)"),
];

/// Parses the process arguments (program name first); the error is GLib's message, which
/// Janus prints before exiting with status 1.
pub fn parse(args: &[String]) -> Result<Options, String> {
    let values = goption::parse(&SPECS, -1, args)?;
    let value = |long: &str| &values[SPECS.iter().position(|s| s.long == long).expect("known option")];
    let b = |long: &str| matches!(value(long), OptionValue::Flag(true));
    let s = |long: &str| match value(long) {
        OptionValue::Text(t) => t.clone(),
        _ => None,
    };
    let n = |long: &str| match value(long) {
        OptionValue::Int(v) => *v,
        _ => -1,
    };
    Ok(Options {
        daemon: b("daemon"),
        pid_file: s("pid-file"),
        disable_stdout: b("disable-stdout"),
        log_stdout: b("log-stdout"),
        log_file: s("log-file"),
        cwd_path: s("cwd-path"),
        interface: s("interface"),
        plugins_folder: s("plugins-folder"),
        config_file: s("config"),
        configs_folder: s("configs-folder"),
        cert_pem: s("cert-pem"),
        cert_key: s("cert-key"),
        cert_pwd: s("cert-pwd"),
        stun_server: s("stun-server"),
        nat_1_1: s("nat-1-1"),
        keep_private_host: b("keep-private-host"),
        ice_enforce_list: s("ice-enforce-list"),
        ice_ignore_list: s("ice-ignore-list"),
        ipv6_candidates: b("ipv6-candidates"),
        ipv6_link_local: b("ipv6-link-local"),
        libnice_debug: b("libnice-debug"),
        full_trickle: b("full-trickle"),
        ice_lite: b("ice-lite"),
        ice_tcp: b("ice-tcp"),
        min_nack_queue: n("min-nack-queue"),
        no_media_timer: n("no-media-timer"),
        slowlink_threshold: n("slowlink-threshold"),
        rtp_port_range: s("rtp-port-range"),
        twcc_period: n("twcc-period"),
        server_name: s("server-name"),
        session_timeout: n("session-timeout"),
        reclaim_session_timeout: n("reclaim-session-timeout"),
        debug_level: n("debug-level"),
        debug_timestamps: b("debug-timestamps"),
        disable_colors: b("disable-colors"),
        debug_locks: b("debug-locks"),
        apisecret: s("apisecret"),
        token_auth: b("token-auth"),
        token_auth_secret: s("token-auth-secret"),
        event_handlers: b("event-handlers"),
        no_webrtc_encryption: b("no-webrtc-encryption"),
    })
}

/// Prints a parse error as Janus does (through GLib, so in the C locale it is Janus' bytes).
pub fn print_error(message: &str) {
    crate::sys::glib::print_line(message);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        std::iter::once("janus").chain(list.iter().copied()).map(String::from).collect()
    }

    #[test]
    fn defaults_mean_not_given() {
        let o = parse(&args(&[])).unwrap();
        assert_eq!((o.debug_level, o.session_timeout, o.twcc_period), (-1, -1, -1));
        assert!(!o.daemon && o.config_file.is_none());
    }

    #[test]
    fn short_long_and_clustered_forms() {
        let o = parse(&args(&["-F", "/etc/janus", "--debug-level=7", "-s", "30", "-DoN", "--log-stdout"])).unwrap();
        assert_eq!(o.configs_folder.as_deref(), Some("/etc/janus"));
        assert_eq!((o.debug_level, o.session_timeout), (7, 30));
        assert!(o.debug_timestamps && o.disable_colors && o.disable_stdout && o.log_stdout);
        let o = parse(&args(&["--config", "x.jcfg", "-1", "1.2.3.4", "-2", "--token-auth-secret=abc"])).unwrap();
        assert_eq!(o.config_file.as_deref(), Some("x.jcfg"));
        assert_eq!(o.nat_1_1.as_deref(), Some("1.2.3.4"));
        assert!(o.keep_private_host);
        assert_eq!(o.token_auth_secret.as_deref(), Some("abc"));
    }

    #[test]
    fn glib_error_messages() {
        assert_eq!(parse(&args(&["--bogus"])).unwrap_err(), "Unknown option --bogus");
        assert_eq!(parse(&args(&["-d"])).unwrap_err(), "Missing argument for -d");
        assert!(parse(&args(&["-s", "99999999999"])).unwrap_err().contains("out of range"));
        assert!(parse(&args(&["-d", "abc"])).unwrap_err().starts_with("Cannot parse integer value"));
    }
}
