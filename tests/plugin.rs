//! Plugin results, RTP extension reset and transport sessions as C modules see them: the
//! probe uses the real Janus header structs and inline refcount/mutex macros.

mod support;

// Nothing here calls the core from Rust: link it anyway, the probe imports its exports.
extern crate janus;

use std::ffi::c_int;
use std::sync::OnceLock;

use support::Module;

fn probe(name: &str) -> c_int {
    static PROBE: OnceLock<Module> = OnceLock::new();
    let m = PROBE.get_or_init(|| {
        let so = support::build_c_module("plugin_probe", &["tests/c/plugin_probe.c"], &support::manifest_dir().join("include"));
        Module::open(&so).unwrap()
    });
    let f: extern "C" fn() -> c_int = unsafe { std::mem::transmute(m.symbol(name).expect("probe symbol")) };
    f()
}

#[test]
fn plugin_result_borrows_text_and_steals_content() {
    assert_eq!(probe("probe_plugin_result"), 0);
}

#[test]
fn rtp_extensions_reset_touches_only_the_extensions() {
    assert_eq!(probe("probe_rtp_extensions_reset"), 0);
}

#[test]
fn transport_session_refcount_and_idempotent_destroy() {
    assert_eq!(probe("probe_transport_session"), 0);
}
