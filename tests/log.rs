//! `janus_vprintf` and the logging globals as modules use them: a C module compiled against
//! the Janus headers logs through the core, and a Rust sink captures the lines.

mod support;

use std::ffi::{c_char, c_int, c_void, CStr};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use janus::abi::log as globals;
use janus::log;
use support::Module;

/// The lines the sink saw (bytes, as modules may log anything) and what the probe expects.
static CAPTURED: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());
static EXPECTED: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());

/// The six exported objects as the process started with them (before any test set them).
static INITIAL: OnceLock<[i32; 6]> = OnceLock::new();

/// One test at a time: they share the log pipeline and the globals.
/// The probe is built twice: against the installed Janus headers and against ours.
fn setup() -> (MutexGuard<'static, ()>, &'static [Module; 2]) {
    static SERIAL: Mutex<()> = Mutex::new(());
    static PROBE: OnceLock<[Module; 2]> = OnceLock::new();
    let guard = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    INITIAL.get_or_init(|| {
        let g = |v: &std::sync::atomic::AtomicI32| v.load(Ordering::Relaxed);
        let prefix_null = globals::janus_log_global_prefix.load(Ordering::Relaxed).is_null();
        [
            g(&globals::janus_log_level),
            g(&globals::janus_log_timestamps),
            g(&globals::janus_log_colors),
            prefix_null.into(),
            g(&globals::lock_debug),
            g(&globals::refcount_debug),
        ]
    });
    let probe = PROBE.get_or_init(|| {
        log::add_sink(Arc::new(|_ts, line: &CStr| CAPTURED.lock().unwrap().push(line.to_bytes().to_vec())));
        log::init(false, None).unwrap();
        let build = |name: &str, include: &std::path::Path| {
            Module::open(&support::build_c_module(name, &["tests/c/log_probe.c"], include)).unwrap()
        };
        [
            build("log_probe_janus", std::path::Path::new("/usr/include/janus")),
            build("log_probe_ours", &support::manifest_dir().join("include")),
        ]
    });
    log::flush();
    CAPTURED.lock().unwrap().clear();
    EXPECTED.lock().unwrap().clear();
    reset_globals();
    (guard, probe)
}

/// Janus' defaults while modules run.
fn reset_globals() {
    globals::janus_log_level.store(4, Ordering::Relaxed);
    globals::janus_log_timestamps.store(0, Ordering::Relaxed);
    globals::janus_log_colors.store(1, Ordering::Relaxed);
    globals::lock_debug.store(0, Ordering::Relaxed);
    globals::refcount_debug.store(0, Ordering::Relaxed);
    log::set_global_prefix(None);
}

fn captured() -> Vec<String> {
    log::flush();
    CAPTURED.lock().unwrap().iter().map(|l| String::from_utf8_lossy(l).into_owned()).collect()
}

unsafe fn sym<T: Copy>(m: &Module, name: &str) -> T {
    let p = m.symbol(name).unwrap_or_else(|| panic!("{name} missing"));
    std::mem::transmute_copy(&p)
}

extern "C" fn record_expected(line: *const c_char) {
    let bytes = unsafe { CStr::from_ptr(line) }.to_bytes().to_vec();
    EXPECTED.lock().unwrap().push(bytes);
}

#[test]
fn defaults_are_janus_runtime_values() {
    let _g = setup();
    // level INFO, no timestamps, colours off (Janus' .bss: main() turns them on after the
    // external loggers are loaded, which is observable), NULL prefix, no debug.
    assert_eq!(INITIAL.get().unwrap(), &[4, 0, 0, 1, 0, 0]);
}

#[test]
fn vprintf_formats_like_glibc() {
    let (_g, probes) = setup();
    for probe in probes {
        CAPTURED.lock().unwrap().clear();
        EXPECTED.lock().unwrap().clear();
        let formats: extern "C" fn(extern "C" fn(*const c_char)) = unsafe { sym(probe, "probe_formats") };
        formats(record_expected);
        log::flush();
        let got = CAPTURED.lock().unwrap().clone();
        let want = EXPECTED.lock().unwrap().clone();
        assert_eq!(want.len(), 15);
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(String::from_utf8_lossy(g), String::from_utf8_lossy(w));
        }
        // Spot checks that glibc's conventions really are what came through.
        let text: Vec<String> = got.iter().map(|l| String::from_utf8_lossy(l).into_owned()).collect();
        assert_eq!(text[0], "18446744073709551615|1234567890123|42|-9223372036854775808|-5\n");
        assert_eq!(text[1], "0x1234|(nil)\n");
        assert_eq!(text[2], "[abc]\n");
        assert_eq!(text[3], "(null)|x\n");
        assert_eq!(text[4], " 3.14|ff|z|%|7   |\n");
        assert_eq!(text[14].len(), 10000 + 2, "long lines are kept whole");
    }
}

#[test]
fn janus_log_macro_lines() {
    let (_g, probes) = setup();
    for probe in probes {
        reset_globals();
        CAPTURED.lock().unwrap().clear();
        let run: extern "C" fn() -> c_int = unsafe { sym(probe, "probe_log_macros") };
        let file_fn: extern "C" fn() -> *const c_char = unsafe { sym(probe, "probe_file") };
        let file = unsafe { CStr::from_ptr(file_fn()) }.to_str().unwrap().to_owned();

        // Level 4 with colours (the defaults): VERB and DBG are filtered in the module.
        let err_line = run();
        let lines = captured();
        assert_eq!(
            lines,
            [
                "info 1\n".to_string(),
                "\x1b[33m[WARN]\x1b[0m warn x\n".to_string(),
                format!("\x1b[31m[ERR]\x1b[0m [{file}:probe_log_macros:{err_line}] err 7\n"),
                format!("\x1b[35m[FATAL]\x1b[0m [{file}:probe_log_macros:{}] fatal, no newline", err_line + 2),
            ]
        );

        // Everything, no colours, with the global prefix.
        CAPTURED.lock().unwrap().clear();
        log::set_level(7);
        log::set_colors(false);
        log::set_global_prefix(Some("[gw1] "));
        run();
        let lines = captured();
        assert_eq!(
            lines,
            [
                "[gw1] info 1\n".to_string(),
                "[gw1] verbose line\n".to_string(),
                "[gw1] [WARN] warn x\n".to_string(),
                format!("[gw1] [ERR] [{file}:probe_log_macros:{err_line}] err 7\n"),
                format!("[gw1] [{file}:probe_log_macros:{}] dbg\n", err_line + 1),
                format!("[gw1] [FATAL] [{file}:probe_log_macros:{}] fatal, no newline", err_line + 2),
            ]
        );

        // Timestamps come from the module's strftime("[%a %b %e %T %Y] ").
        CAPTURED.lock().unwrap().clear();
        log::set_global_prefix(None);
        log::set_level(4);
        log::set_timestamps(true);
        run();
        let first = &captured()[0];
        assert_eq!(first.len(), "[Mon Jan  1 12:00:00 2024] info 1\n".len(), "{first:?}");
        assert!(first.starts_with('[') && first.ends_with("] info 1\n"));
        let year: i32 = first[21..25].parse().unwrap();
        assert!(year >= 2024);

        // Nothing at all at level 0.
        CAPTURED.lock().unwrap().clear();
        log::set_level(0);
        run();
        assert!(captured().is_empty());
    }
}

#[test]
fn refcount_and_lock_debug_globals_are_read_by_the_inline_macros() {
    let (_g, probes) = setup();
    for (round, probe) in probes.iter().enumerate() {
        reset_globals();
        CAPTURED.lock().unwrap().clear();
        let run: extern "C" fn(*mut c_int) -> *mut c_void = unsafe { sym(probe, "probe_debug_macros") };
        let freed: extern "C" fn() -> c_int = unsafe { sym(probe, "probe_obj_freed") };
        let mutex: extern "C" fn() -> *mut c_void = unsafe { sym(probe, "probe_obj_mutex") };
        let file_fn: extern "C" fn() -> *const c_char = unsafe { sym(probe, "probe_file") };
        let file = unsafe { CStr::from_ptr(file_fn()) }.to_str().unwrap().to_owned();
        let mut line: c_int = 0;

        run(&mut line);
        assert!(captured().is_empty(), "debug output is off by default");
        assert_eq!(freed(), 1, "the object was released by the last decrease");

        log::set_refcount_debug(true);
        log::set_lock_debug(true);
        let obj = run(&mut line);
        let at = |offset: c_int, what: &str| format!("[{file}:probe_debug_macros:{}:{what}]", line + offset);
        assert_eq!(
            captured(),
            [
                format!("{} {obj:p} (1)\n", at(0, "init")),
                format!("{} {obj:p} (2)\n", at(1, "increase")),
                format!("{} {obj:p} (1)\n", at(2, "decrease")),
                format!("{} {obj:p} (0)\n", at(3, "decrease")),
                format!("{} {:p}\n", at(5, "lock"), mutex()),
                format!("{} {:p}\n", at(6, "unlock"), mutex()),
            ]
        );
        assert_eq!(freed(), 2, "round {round}");
    }
}

#[test]
fn lines_logged_before_the_log_thread_runs_are_kept_and_written_to_the_file() {
    let _g = setup();
    // The pipeline already runs here; a log file gets the same lines through a restart.
    log::shutdown();
    let dir = support::scratch_dir("log-file");
    let path = dir.join("janus.log");
    log::print_bytes(b"queued while stopped\n");
    log::init(false, Some(&path)).unwrap();
    log::print_bytes(b"after restart");
    log::flush();
    log::shutdown();
    log::init(false, None).unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "queued while stopped\nafter restart");
    assert_eq!(captured(), ["queued while stopped\n", "after restart"]);
}
