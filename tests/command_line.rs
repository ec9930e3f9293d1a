//! The command line and `janus.jcfg`'s logging/process settings on a running gateway,
//! compared with `/usr/bin/janus` 1.1.2 on the same configs folder and arguments: what is
//! printed (modulo what is not ours to print: the media plane's ICE/DTLS/SCTP lines, build
//! banner, source tags of error lines), exit codes, PID files, daemon mode, signals, and the
//! settings as the Janus and Admin APIs report them.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use janus::json::Json;
use support::gateway::{binary_under_test, probe_plugins_folder, with_transaction, ConfigsFolder, CoreOptions, Gateway, REFERENCE_BINARY};
use support::json::{int_at, kind_of, str_at};

/// Lines Janus prints from parts that are not the control plane (ICE, DTLS, SCTP): the
/// media plane will print them.
const MEDIA_PLANE_LINES: &[&str] = &[
    "Fingerprint of our certificate",
    "ICE handles watchdog",
    "Initializing SCTP",
    "Setting ICE nomination",
    "Using ICE nomination",
    "Using 'aggressive' nomination",
    "Using libnice",
    "Sending connectivity checks",
    "DTLS ",
    "libsrtp",
    "Using certificates",
    "Certificate",
    "Private key",
    "  -- DTLS",
    "  -- SRTP",
    "Starting the DTLS timeout",
    "Data Channels",
    "Unable to set DSCP",
    "Local Interfaces:",
    "[nice]",
    // The two lines after "Using certificates:" when none is configured.
    "\t(null)",
];

fn reference_available() -> bool {
    Path::new(REFERENCE_BINARY).exists()
}

fn scratch(name: &str) -> PathBuf {
    support::scratch_dir(&format!("command-line/{name}"))
}

/// `[file:function:line] ` after a level tag names source files, which are not ours to
/// mimic; `[Thu Jan  1 00:00:00 2026] ` timestamps differ from run to run.
fn normalise_line(line: &str) -> String {
    let mut line = line.to_string();
    // `[Www Mmm dd hh:mm:ss yyyy] `, possibly after a log prefix.
    let stamp = line.char_indices().filter(|(_, c)| *c == '[').map(|(i, _)| i).find(|&i| {
        let b = line.as_bytes();
        b.len() >= i + 27 && b[i + 25] == b']' && b[i + 14] == b':' && b[i + 17] == b':' && b[i + 26] == b' '
    });
    if let Some(i) = stamp {
        line = format!("{}[TIME]{}", &line[..i], &line[i + 26..]);
    }
    // Pointers (`%p`) and session/handle ids differ from run to run.
    let mut out = String::with_capacity(line.len());
    let mut rest = line.as_str();
    while let Some(c) = rest.chars().next() {
        let token_len = if let Some(hex) = rest.strip_prefix("0x") {
            2 + hex.find(|c: char| !c.is_ascii_hexdigit()).unwrap_or(hex.len())
        } else {
            rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len())
        };
        if rest.starts_with("0x") && token_len > 2 {
            out.push_str("PTR");
        } else if token_len >= 10 {
            out.push_str("ID");
        } else if token_len > 0 {
            out.push_str(&rest[..token_len]);
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
            continue;
        }
        rest = &rest[token_len..];
    }
    line = out;
    for tag in ["[FATAL] ", "[ERR] ", "\x1b[35m[FATAL]\x1b[0m ", "\x1b[31m[ERR]\x1b[0m "] {
        if let Some(at) = line.find(tag) {
            let rest = &line[at + tag.len()..];
            if rest.starts_with('[') {
                if let Some(end) = rest.find("] ") {
                    if rest[..end].matches(':').count() >= 2 {
                        line = format!("{}{}", &line[..at + tag.len()], &rest[end + 2..]);
                    }
                }
            }
        }
    }
    line
}

/// The printed lines after the version banner, normalised, without the media plane's, in
/// printing order.
fn comparable_lines(output: &str) -> Vec<String> {
    let body = output.split_once("\n\n").map_or("", |(_, body)| body);
    body.lines().map(normalise_line).filter(|l| !MEDIA_PLANE_LINES.iter().any(|m| l.contains(m))).collect()
}

/// Threads print concurrently, so the order is compared only where it is Janus' sequence:
/// here the lines as a sorted multiset, and "Bye!" last separately.
fn assert_same_lines(reference: &str, ours: &str, what: &str) {
    let mut theirs = comparable_lines(reference);
    let mut mine = comparable_lines(ours);
    // A fatal exit may come before or after a thread printed that it started.
    if !reference.contains("Bye!") {
        let started = |l: &String| l != "Sessions watchdog started" && l != "Joining Janus requests handler thread";
        theirs.retain(started);
        mine.retain(started);
    }
    theirs.sort();
    mine.sort();
    if theirs != mine {
        let missing: Vec<_> = theirs.iter().filter(|l| !mine.contains(l)).collect();
        let extra: Vec<_> = mine.iter().filter(|l| !theirs.contains(l)).collect();
        panic!("{what}: printed lines differ\nonly Janus: {missing:#?}\nonly ours: {extra:#?}\n--- Janus:\n{reference}\n--- ours:\n{ours}");
    }
}

/// Runs `binary args` to its end (bounded): exit code and everything printed.
fn run_to_exit(binary: &Path, args: &[&str]) -> (Option<i32>, String) {
    use std::os::unix::process::CommandExt;
    let mut command = Command::new("timeout");
    // SAFETY: setrlimit is async-signal-safe. No core file: Janus 1.1.2 crashes on a
    // locked PID file, and its core would land in the working directory.
    unsafe {
        command.pre_exec(|| {
            let none = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
            libc::setrlimit(libc::RLIMIT_CORE, &none);
            Ok(())
        });
    }
    let out = command.arg("15").arg(binary).args(args).env("LC_ALL", "C").stdin(Stdio::null()).output().expect("binary runs");
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.code(), text)
}

/// Starts `binary -F <configs> args`, runs `during` on it, stops it with `signal`, and
/// returns what it printed; asserts a clean exit (status 0, and "Bye!" last unless stdout
/// is disabled).
fn serve(binary: &Path, configs: &ConfigsFolder, args: &[&str], signal: libc::c_int, during: impl FnOnce(&Gateway)) -> String {
    let mut gateway = Gateway::start_with(binary, configs, args);
    during(&gateway);
    let status = gateway.stop_with(signal);
    let log = gateway.log_text();
    assert_eq!(status.and_then(|s| s.code()), Some(0), "{} {args:?}: exit status after signal {signal}\n{log}", binary.display());
    if !args.contains(&"-N") {
        assert_eq!(log.lines().last(), Some("Bye!"), "{} {args:?}: last line\n{log}", binary.display());
    }
    log
}

/// Runs the same scenario on the reference (when installed) and on ours, compares what
/// they print, and returns our output.
fn serve_both(configs: &ConfigsFolder, args: &[&str], signal: libc::c_int, during: impl Fn(&Gateway)) -> String {
    let reference = reference_available().then(|| serve(Path::new(REFERENCE_BINARY), configs, args, signal, &during));
    let ours = serve(&binary_under_test(), configs, args, signal, &during);
    if let Some(reference) = reference {
        assert_same_lines(&reference, &ours, &format!("{args:?}"));
    }
    ours
}

fn janus(gateway: &Gateway, path: &str, request: &str) -> Json {
    gateway.post(path, &with_transaction(request))
}

#[test]
fn plain_start_and_sigint_print_what_janus_prints() {
    let configs = ConfigsFolder::new(&scratch("plain"), &["echotest"]);
    serve_both(&configs, &["-o"], libc::SIGINT, |g| {
        let session = g.create_session();
        session.attach("janus.plugin.echotest");
    });
}

#[test]
fn sigterm_stops_cleanly_and_colours_timestamps_prefix_verbosity_follow_the_settings() {
    let mut configs = ConfigsFolder::new(&scratch("looks"), &["echotest"]);
    configs.set_general("log_prefix", "\"[gw] \"");
    // Colours on (no -o), timestamps, verbose.
    let out = serve_both(&configs, &["-D", "-d", "5"], libc::SIGTERM, |_| {});
    let lines: Vec<&str> = out.split_once("\n\n").map_or("", |(_, body)| body).lines().collect();
    assert!(lines.iter().any(|l| l.contains("\x1b[33m[WARN]\x1b[0m")), "coloured warnings:\n{out}");
    assert!(out.contains("Debug/log colors are enabled\n") && out.contains("Debug/log timestamps are enabled\n"));
    assert!(out.contains("Debug/log level is 5\n"));
    let logged: Vec<&&str> = lines.iter().filter(|l| l.contains("Loading plugin")).collect();
    assert!(
        !logged.is_empty() && logged.iter().all(|l| l.starts_with("[gw] [") && normalise_line(l).starts_with("[gw] [TIME]")),
        "prefix and timestamps: {logged:?}"
    );
    assert!(out.contains("\tVersion: "), "a verbose line at level 5:\n{out}");

    // debug_colors = false in the file, level 4 by the command line.
    configs.set_general("debug_colors", "false");
    let out = serve_both(&configs, &["-d", "4"], libc::SIGINT, |_| {});
    assert!(!out.contains('\x1b'), "no ANSI escapes with debug_colors = false:\n{out}");
    assert!(!out.contains("\tVersion: "), "no verbose line at level 4:\n{out}");
    assert!(out.contains("Debug/log colors are disabled\n"));
}

#[test]
fn log_files_and_disabled_stdout() {
    let dir = scratch("logfile");
    let mut configs = ConfigsFolder::new(&dir, &["echotest"]);
    let file = dir.join("by-option.log");
    let mut files = Vec::new();
    for binary in [Path::new(REFERENCE_BINARY).to_path_buf(), binary_under_test()] {
        if binary.as_path() == Path::new(REFERENCE_BINARY) && !reference_available() {
            continue;
        }
        let _ = std::fs::remove_file(&file);
        let stdout = serve(&binary, &configs, &["-o", "-N", "-L", file.to_str().unwrap()], libc::SIGINT, |_| {});
        assert_eq!(comparable_lines(&stdout), Vec::<String>::new(), "nothing on stdout after the banner with -N");
        let text = std::fs::read_to_string(&file).expect("log file written");
        assert!(text.contains("Loading plugin 'libjanus_echotest.so'...") && text.ends_with("Bye!\n"), "{text}");
        files.push((stdout, text));
    }
    if let [(_, ref_file), (_, file_text)] = &files[..] {
        assert_same_lines(&format!("x\n\n{ref_file}"), &format!("x\n\n{file_text}"), "-L file");
    }
    // log_to_file in janus.jcfg.
    let file = dir.join("by-config.log");
    configs.set_general("log_to_file", &format!("\"{}\"", file.display()));
    let _ = std::fs::remove_file(&file);
    serve_both(&configs, &["-o"], libc::SIGINT, |_| {});
    let text = std::fs::read_to_string(&file).expect("log_to_file written");
    assert!(text.contains("Loading plugin 'libjanus_echotest.so'...") && text.ends_with("Bye!\n"), "{text}");
}

#[test]
fn pid_file_holds_our_pid_locks_out_a_second_instance_and_goes_at_exit() {
    let dir = scratch("pidfile");
    let configs = ConfigsFolder::new(&dir, &["echotest"]);
    let pid_file = dir.join("janus.pid");
    let pid_arg = pid_file.to_str().unwrap();
    let mut second_outputs = Vec::new();
    for binary in [Path::new(REFERENCE_BINARY).to_path_buf(), binary_under_test()] {
        if binary.as_path() == Path::new(REFERENCE_BINARY) && !reference_available() {
            continue;
        }
        serve(&binary, &configs, &["-o", "-p", pid_arg], libc::SIGINT, |g| {
            let text = std::fs::read_to_string(&pid_file).expect("PID file exists while running");
            assert_eq!(text.trim(), g.pid().to_string(), "{}", binary.display());
            // A second instance on the same PID file gives up before serving.
            let (code, out) = run_to_exit(&binary, &["-F", dir.to_str().unwrap(), "-o", "-p", pid_arg]);
            // Janus 1.1.2 itself crashes there (a double free while exiting, before its
            // log thread prints the FATAL line): only the failure is compared.
            assert_ne!(code, Some(0), "second instance:\n{out}");
            second_outputs.push((code, out.replace(&g.pid().to_string(), "PID")));
        });
        assert!(!pid_file.exists(), "{}: PID file removed at exit", binary.display());
    }
    let (code, ours) = second_outputs.last().unwrap();
    assert_eq!(*code, Some(1), "{ours}");
    // Janus truncates the file before trying the lock, so the holder's PID is gone by then;
    // colours are on this early whatever -o says.
    assert!(ours.contains("Error locking PID file (lock held by unknown PID?)"), "{ours}");
    assert!(
        comparable_lines(ours).iter().any(|l| l.ends_with("[FATAL]\x1b[0m Error locking PID file (lock held by unknown PID?)")),
        "{ours}"
    );
}

#[test]
fn daemon_mode_parent_exits_and_the_daemon_serves() {
    let dir = scratch("daemon");
    let configs = ConfigsFolder::new(&dir, &["echotest"]);
    let pid_file = dir.join("daemon.pid");
    let log_file = dir.join("daemon.log");
    // Ours only, whatever JANUS_UNDER_TEST says: the reference is never daemonized by tests.
    let (code, out) = run_to_exit(
        Path::new(env!("CARGO_BIN_EXE_janus")),
        &["-F", dir.to_str().unwrap(), "-o", "-b", "-p", pid_file.to_str().unwrap(), "-L", log_file.to_str().unwrap()],
    );
    assert_eq!(code, Some(0), "the parent exits 0 once the daemon started:\n{out}");
    assert!(out.contains("Running Janus as a daemon"), "{out}");
    let pid: libc::pid_t = std::fs::read_to_string(&pid_file).expect("PID file").trim().parse().expect("a PID");
    // From here on the daemon is ours (its PID comes from its own PID file): stop it even
    // if an assertion fails.
    struct Daemon(libc::pid_t);
    impl Drop for Daemon {
        fn drop(&mut self) {
            // SAFETY: the PID our daemon wrote; it is still alive unless already stopped.
            unsafe { libc::kill(self.0, libc::SIGKILL) };
        }
    }
    let daemon = Daemon(pid);
    let (status, body) = support::gateway::http_exchange(
        configs.http_port,
        "POST",
        "/janus",
        Some(r#"{"janus":"info","transaction":"d"}"#),
        Duration::from_secs(10),
    )
    .expect("the daemon serves HTTP");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"janus\":\"server_info\""), "{body}");
    support::gateway::wait_until_idle(daemon.0 as u32);
    // SAFETY: as above.
    unsafe { libc::kill(daemon.0, libc::SIGTERM) };
    let deadline = Instant::now() + Duration::from_secs(10);
    // SAFETY: signal 0 only probes whether the process still exists.
    while unsafe { libc::kill(daemon.0, 0) } == 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let log = std::fs::read_to_string(&log_file).unwrap_or_default();
    assert!(!pid_file.exists(), "PID file removed when the daemon ends\n{}\ndaemon log:\n{log}", support::process_threads(daemon.0));
    assert!(log.ends_with("Bye!\n"), "daemon log:\n{log}");
}

#[test]
fn settings_from_the_command_line_reach_the_apis() {
    let mut configs = ConfigsFolder::new(&scratch("settings"), &["echotest"]);
    configs.enable_admin();
    configs.set_general("admin_secret", "\"adm\"");
    serve_both(&configs, &["-o", "-s", "123", "-m", "45", "-n", "named-by-n", "-a", "apisec"], libc::SIGINT, |g| {
        let status = g.admin("", &with_transaction(r#"{"janus":"get_status","admin_secret":"adm"}"#));
        assert_eq!(int_at(&status, &["status", "session_timeout"]), Some(123), "{status:?}");
        assert_eq!(int_at(&status, &["status", "reclaim_session_timeout"]), Some(45), "{status:?}");
        let info = janus(g, "/janus", r#"{"janus":"info"}"#);
        assert_eq!(str_at(&info, &["server-name"]), Some("named-by-n"), "{info:?}");
        assert_eq!(info.get("api_secret").and_then(Json::as_bool), Some(true), "{info:?}");
        let refused = janus(g, "/janus", r#"{"janus":"create"}"#);
        assert_eq!(int_at(&refused, &["error", "code"]), Some(403), "{refused:?}");
        let created = janus(g, "/janus", r#"{"janus":"create","apisecret":"apisec"}"#);
        assert_eq!(kind_of(&created), Some("success"), "{created:?}");
    });
}

#[test]
fn token_auth_stored_and_signed() {
    let mut configs = ConfigsFolder::new(&scratch("tokens"), &["echotest"]);
    configs.enable_admin();
    let out = serve_both(&configs, &["-o", "-A"], libc::SIGINT, |g| {
        let refused = janus(g, "/janus", r#"{"janus":"create"}"#);
        assert_eq!(int_at(&refused, &["error", "code"]), Some(403), "{refused:?}");
        let added = g.admin("", &with_transaction(r#"{"janus":"add_token","token":"tok"}"#));
        assert_eq!(kind_of(&added), Some("success"), "{added:?}");
        let created = janus(g, "/janus", r#"{"janus":"create","token":"tok"}"#);
        assert_eq!(kind_of(&created), Some("success"), "{created:?}");
    });
    assert!(out.contains("Stored-Token based authentication enabled\n"), "{out}");
    // Janus 1.1.2 cannot take the secret from its command line (it parses it as an
    // integer): the file has it, which is what --token-auth-secret writes into.
    configs.set_general("token_auth_secret", "\"hmac-secret\"");
    let out = serve_both(&configs, &["-o", "-A"], libc::SIGINT, |g| {
        let refused = janus(g, "/janus", r#"{"janus":"create","token":"not-signed"}"#);
        assert_eq!(int_at(&refused, &["error", "code"]), Some(403), "{refused:?}");
    });
    assert!(out.contains("Signed-Token based authentication enabled\n"), "{out}");
    // Ours only: 1.1.2 rejects a non-numeric --token-auth-secret.
    let out = serve(Path::new(env!("CARGO_BIN_EXE_janus")), &configs, &["-o", "-A", "--token-auth-secret=other"], libc::SIGINT, |_| {});
    assert!(out.contains("Signed-Token based authentication enabled\n"), "{out}");
}

#[test]
fn configuration_files_explicit_ini_and_defaults() {
    // -C naming a missing file is fatal.
    let dir = scratch("config-files");
    let missing = dir.join("nope.jcfg");
    let args = ["-F", dir.to_str().unwrap(), "-C", missing.to_str().unwrap()];
    let ours = run_to_exit(&binary_under_test(), &args);
    assert_eq!(ours.0, Some(1), "{}", ours.1);
    if reference_available() {
        let theirs = run_to_exit(Path::new(REFERENCE_BINARY), &args);
        assert_eq!(ours.0, theirs.0);
        assert_same_lines(&theirs.1, &ours.1, "-C missing file");
    }

    // -C naming a file elsewhere is read.
    let configs = ConfigsFolder::new(&dir, &["echotest"]);
    let explicit = dir.join("elsewhere.jcfg");
    let core = std::fs::read_to_string(configs.path("janus.jcfg")).unwrap();
    std::fs::write(&explicit, core.replacen("general: {", "general: {\n\tserver_name = \"from-C\"", 1)).unwrap();
    serve_both(&configs, &["-o", "-C", explicit.to_str().unwrap()], libc::SIGINT, |g| {
        let info = janus(g, "/janus", r#"{"janus":"info"}"#);
        assert_eq!(str_at(&info, &["server-name"]), Some("from-C"), "{info:?}");
    });

    // Without janus.jcfg, the legacy INI janus.cfg.
    let ini_dir = scratch("config-ini");
    let configs = ConfigsFolder::new(&ini_dir, &["echotest"]);
    let jcfg = std::fs::read_to_string(configs.path("janus.jcfg")).unwrap();
    std::fs::remove_file(configs.path("janus.jcfg")).unwrap();
    let mut ini = String::from("[general]\nserver_name = from-ini\n");
    for line in jcfg.lines() {
        let line = line.trim();
        if let Some(category) = line.strip_suffix(": {") {
            if category != "general" {
                ini.push_str(&format!("[{category}]\n"));
            }
        } else if let Some((k, v)) = line.split_once(" = ") {
            ini.push_str(&format!("{k} = {}\n", v.trim_matches('"')));
        }
    }
    configs.write("janus.cfg", &ini);
    let out = serve_both(&configs, &["-o"], libc::SIGINT, |g| {
        let info = janus(g, "/janus", r#"{"janus":"info"}"#);
        assert_eq!(str_at(&info, &["server-name"]), Some("from-ini"), "{info:?}");
    });
    assert!(out.contains(&format!("Failed to load {}/janus.jcfg, trying the INI instead...", ini_dir.display())), "{out}");

    // Neither: defaults and the command line. A PID file that cannot be created stops it
    // right after the configuration is read, before any module or port is touched.
    let empty = scratch("config-none");
    let args = ["-F", empty.to_str().unwrap(), "-o", "-p", "/nonexistent-dir/janus.pid"];
    let ours = run_to_exit(&binary_under_test(), &args);
    assert_eq!(ours.0, Some(1), "{}", ours.1);
    assert!(ours.1.contains("going on with the defaults and the command line arguments"), "{}", ours.1);
    if reference_available() {
        let theirs = run_to_exit(Path::new(REFERENCE_BINARY), &args);
        assert_eq!(ours.0, theirs.0);
        assert_same_lines(&theirs.1, &ours.1, "no configuration at all");
    }
}

#[test]
fn unloadable_module_is_reported_or_fatal_with_exit_on_dl_error() {
    let dir = scratch("dl-error");
    let mut configs = ConfigsFolder::new(&dir, &[]);
    let plugins = dir.join("plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    std::fs::write(plugins.join("libbogus.so"), b"not an ELF file").unwrap();
    let plugins_arg = plugins.to_str().unwrap().to_string();
    let out = serve_both(&configs, &["-o", "-P", &plugins_arg], libc::SIGINT, |_| {});
    assert!(comparable_lines(&out).iter().any(|l| l.starts_with("[ERR] \tCouldn't load plugin 'libbogus.so': ")), "{out}");

    configs.set_general("exit_on_dl_error", "true");
    let args = ["-F", dir.to_str().unwrap(), "-o", "-P", &plugins_arg];
    let ours = run_to_exit(&binary_under_test(), &args);
    assert_eq!(ours.0, Some(1), "{}", ours.1);
    assert!(comparable_lines(&ours.1).iter().any(|l| l.starts_with("[FATAL] \tCouldn't load plugin 'libbogus.so': ")), "{}", ours.1);
    if reference_available() {
        let theirs = run_to_exit(Path::new(REFERENCE_BINARY), &args);
        assert_eq!(ours.0, theirs.0);
        assert_same_lines(&theirs.1, &ours.1, "exit_on_dl_error");
    }
}

#[test]
fn signals_during_shutdown_hurry_then_force_the_exit() {
    let dir = scratch("hurry");
    let options = CoreOptions { plugins_folder: Some(probe_plugins_folder(&dir)), ..CoreOptions::default() };
    let configs = ConfigsFolder::with_options(&dir, &["probe"], &options);
    // Our probe plugin takes 5 s to go away, so the later signals surely land while the
    // gateway is still cleaning up.
    configs.write("janus.plugin.probe.jcfg", "general: {\n\tdestroy_delay_ms = 5000\n}\n");
    let mut gateway = Gateway::start_with(&binary_under_test(), &configs, &["-o"]);
    let pid = gateway.pid() as libc::pid_t;
    // Different signals, so that none merges with a pending one.
    for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGINT] {
        // SAFETY: signalling the gateway we started, which is still running (it only
        // exits at the third signal).
        unsafe { libc::kill(pid, signal) };
        std::thread::sleep(Duration::from_millis(100));
    }
    let status = gateway.stop_with(libc::SIGKILL);
    let log = gateway.log_text();
    assert_eq!(status.and_then(|s| s.code()), Some(1), "exit status after three signals\n{log}");
    let lines: Vec<&str> = log.lines().collect();
    assert!(lines.contains(&"Stopping server, please wait..."), "{log}");
    // The main thread goes on cleaning up between the signals (Janus' does too), at most
    // until the probe plugin's slow destroy: the third signal ends the process there.
    let hurry = lines.iter().position(|l| *l == "In a hurry? I'm trying to free resources cleanly, here!");
    assert!(hurry.is_some(), "{log}");
    assert_eq!(lines.last(), Some(&"Ok, leaving immediately..."), "{log}");
    assert!(!lines.contains(&"Closing event handlers:") && !lines.contains(&"Bye!"), "{log}");
}

/// Runs `args` on both binaries at once (each to its end) and compares exit codes and output;
/// returns ours.
fn run_both_to_exit(args: &[&str], what: &str) -> (Option<i32>, String) {
    let (ours, theirs) = std::thread::scope(|s| {
        let theirs = reference_available().then(|| s.spawn(|| run_to_exit(Path::new(REFERENCE_BINARY), args)));
        let ours = run_to_exit(&binary_under_test(), args);
        (ours, theirs.map(|t| t.join().unwrap()))
    });
    if let Some(theirs) = theirs {
        assert_eq!(ours.0, theirs.0, "{what}: exit codes\n--- Janus:\n{}\n--- ours:\n{}", theirs.1, ours.1);
        assert_same_lines(&theirs.1, &ours.1, what);
    }
    ours
}

#[test]
fn stun_server_is_tested_at_startup_and_adds_our_public_address() {
    let stun = support::stun_server::StunServer::start(std::net::Ipv4Addr::LOCALHOST.into(), None);
    let mut configs = ConfigsFolder::new(&scratch("stun"), &["echotest"]);
    configs.set_item("nat", "stun_server", "\"localhost\"");
    configs.set_item("nat", "stun_port", &stun.port.to_string());
    let out = serve_both(&configs, &["-o"], libc::SIGINT, |g| {
        let info = janus(g, "/janus", r#"{"janus":"info"}"#);
        assert_eq!(str_at(&info, &["stun-server"]), Some(format!("127.0.0.1:{}", stun.port).as_str()), "{info:?}");
        assert_eq!(str_at(&info, &["public-ip"]), Some("127.0.0.1"), "{info:?}");
    });
    assert!(out.contains("  >> Our public address is 127.0.0.1\n"), "{out}");
}

#[test]
fn unreachable_stun_server_is_fatal_unless_ignored() {
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port().to_string();
    let dir = scratch("stun-unreachable");
    let mut configs = ConfigsFolder::new(&dir, &["echotest"]);
    configs.set_item("nat", "stun_server", "\"127.0.0.1\"");
    configs.set_item("nat", "stun_port", &port);
    let (code, out) = run_both_to_exit(&["-F", dir.to_str().unwrap(), "-o"], "unreachable STUN server");
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("No response to our STUN BINDING test\n"), "{out}");
    assert!(out.contains(&format!("Invalid STUN address 127.0.0.1:{port}\n")), "{out}");

    configs.set_item("nat", "ignore_unreachable_ice_server", "true");
    let out = serve_both(&configs, &["-o"], libc::SIGINT, |g| {
        let info = janus(g, "/janus", r#"{"janus":"info"}"#);
        assert_eq!(info.get("stun-server"), None, "{info:?}");
    });
    assert!(out.contains(&format!("Invalid STUN address 127.0.0.1:{port}. STUN will be disabled\n")), "{out}");
}

#[test]
fn turn_server_and_turn_rest_api_settings_as_janus_checks_them() {
    let dir = scratch("turn");
    let mut configs = ConfigsFolder::new(&dir, &["echotest"]);
    let args = ["-F", dir.to_str().unwrap(), "-o"];
    configs.set_item("nat", "turn_server", "\"127.0.0.1\"");
    configs.set_item("nat", "turn_type", "\"sctp\"");
    let (code, out) = run_both_to_exit(&args, "unsupported turn_type");
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("Unsupported relay type 'sctp'...\n") && out.contains("Invalid TURN address 127.0.0.1:0\n"), "{out}");

    configs.set_item("nat", "turn_type", "\"TCP\"");
    configs.set_item("nat", "turn_port", "3479");
    configs.set_item("nat", "turn_rest_api", "\"ftp://127.0.0.1/api\"");
    let (code, out) = run_both_to_exit(&args, "TURN REST API not over HTTP");
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("Invalid TURN REST API configuration: ftp://127.0.0.1/api ((null), (null))\n"), "{out}");

    configs.set_item("nat", "turn_rest_api", "\"https://127.0.0.1/api\"");
    configs.set_item("nat", "turn_rest_api_timeout", "0");
    let out = serve_both(&configs, &["-o"], libc::SIGINT, |g| {
        let info = janus(g, "/janus", r#"{"janus":"info"}"#);
        assert_eq!(str_at(&info, &["turn-server"]), Some("127.0.0.1:3479"), "{info:?}");
    });
    assert!(out.contains("TURN REST API backend: https://127.0.0.1/api\n"), "{out}");
    assert!(out.contains("Ignoring turn_rest_api_timeout as it's not a positive integer"), "{out}");
}

#[test]
fn private_address_without_stun_or_turn_is_warned_about() {
    let mut configs = ConfigsFolder::new(&scratch("private"), &["echotest"]);
    configs.set_item("nat", "nat_1_1_mapping", "\"10.1.2.3,192.0.2.9,172.20.0.1\"");
    let out = serve_both(&configs, &["-o"], libc::SIGINT, |_| {});
    for ip in ["10.1.2.3", "172.20.0.1"] {
        assert!(out.contains(&format!("Janus is deployed on a private address ({ip}) but you didn't specify any STUN server!")), "{out}");
    }
    assert!(!out.contains("private address (192.0.2.9)"), "{out}");
}

#[test]
fn protected_folders_refuse_captures() {
    let dir = scratch("protected");
    let mut configs = ConfigsFolder::new(&dir, &["echotest"]);
    configs.enable_admin();
    configs.set_general("admin_secret", "\"adm\"");
    let root = dir.canonicalize().unwrap();
    let protected = root.join("protected");
    std::fs::create_dir_all(&protected).unwrap();
    configs.set_general("protected_folders", &format!("[\"/nonexistent\", \"{}\"]", protected.display()));
    let out = serve_both(&configs, &["-o"], libc::SIGINT, |g| {
        let session = g.create_session();
        let handle = session.attach("janus.plugin.echotest");
        let pcap = |folder: &Path| {
            let request = format!(
                r#"{{"janus":"start_pcap","admin_secret":"adm","session_id":{},"handle_id":{},"folder":"{}","filename":"h.pcap"}}"#,
                session.id,
                handle.id,
                folder.display()
            );
            g.admin("", &with_transaction(&request))
        };
        let refused = pcap(&protected.join("deeper"));
        assert_eq!(int_at(&refused, &["error", "code"]), Some(490), "{refused:?}");
        assert_eq!(str_at(&refused, &["error", "reason"]), Some("Error starting pcap dump"), "{refused:?}");
        let allowed = pcap(&root.join("captures"));
        assert_eq!(kind_of(&allowed), Some("success"), "{allowed:?}");
        let stop = format!(r#"{{"janus":"stop_pcap","admin_secret":"adm","session_id":{},"handle_id":{}}}"#, session.id, handle.id);
        g.admin("", &with_transaction(&stop));
        session.destroy();
    });
    assert!(out.contains(&format!("Target capture path '{}/deeper/h.pcap' is in protected folder...", protected.display())), "{out}");
    assert!(!protected.join("deeper/h.pcap").exists());
}

#[test]
fn event_statistics_settings_as_janus_reads_them() {
    let mut configs = ConfigsFolder::new(&scratch("event-stats"), &["echotest"]);
    configs.set_broadcast(true);
    for (period, expected) in [
        ("-3", "[WARN] Invalid event handlers statistics period, using default value (1 second)"),
        ("0", "[WARN] Disabling event handlers statistics period, no media statistics will be pushed to event handlers"),
        ("5", "Setting event handlers statistics period to 5 seconds"),
    ] {
        configs.set_item("events", "stats_period", period);
        configs.set_item("events", "combine_media_stats", if period == "5" { "true" } else { "false" });
        let out = serve_both(&configs, &["-o"], libc::SIGINT, |_| {});
        assert!(comparable_lines(&out).iter().any(|l| l == expected), "{expected}\n{out}");
        let combined = out.contains("Event handler configured to send media stats combined in a single event\n");
        assert_eq!(combined, period == "5", "{out}");
    }
}
