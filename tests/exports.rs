//! The binary's dynamic symbol table is exactly `compat/exports.txt`: every symbol a module
//! may import is there, and nothing else (no Rust internals, no vendored library code that
//! could shadow the system libraries the modules use).

use std::collections::BTreeSet;
use std::process::Command;

fn expected() -> BTreeSet<String> {
    let list = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/compat/exports.txt")).unwrap();
    list.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(String::from).collect()
}

fn defined_dynamic_symbols(path: &str) -> BTreeSet<String> {
    let out = Command::new("nm").args(["-D", "--defined-only", path]).output().expect("nm runs");
    assert!(out.status.success(), "nm failed on {path}");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_whitespace().nth(2))
        .map(|s| s.split('@').next().unwrap().to_string())
        // Symbols every dynamically linked executable defines (crt files, linker).
        .filter(|s| {
            !matches!(s.as_str(), "_IO_stdin_used" | "_edata" | "_end" | "__bss_start" | "__data_start" | "data_start" | "_init" | "_fini")
        })
        .collect()
}

#[test]
fn janus_binary_exports_exactly_the_list() {
    let got = defined_dynamic_symbols(env!("CARGO_BIN_EXE_janus"));
    let want = expected();
    let missing: Vec<_> = want.difference(&got).collect();
    let extra: Vec<_> = got.difference(&want).collect();
    assert!(missing.is_empty() && extra.is_empty(), "missing exports: {missing:?}\nunexpected exports: {extra:?}");
}
