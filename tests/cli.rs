//! The command line behaves as `/usr/bin/janus` 1.1.2's for arguments that stop it before it
//! starts: same messages, same exit status. (Runs are bounded by a timeout in case a
//! binary would start for real.)

use std::process::{Command, Output};

fn run(binary: &str, args: &[&str]) -> Output {
    Command::new("timeout").arg("10").arg(binary).args(args).env("LC_ALL", "C").output().expect("binary runs")
}

/// What follows the three-line version banner and its blank line.
fn after_banner(out: &Output) -> String {
    let text = String::from_utf8_lossy(&out.stdout);
    text.split_once("\n\n").map(|(_, rest)| rest).unwrap_or_default().to_string()
}

#[test]
fn rejected_command_lines_match_janus() {
    let cases: &[&[&str]] = &[
        &["--bogus"],
        &["-V"],
        &["-d"],
        &["-d", "abc"],
        &["-s", "99999999999"],
        &["-bV"],
        &["-d5", "-V"],
        &["--debug-level"],
        &["-F", "/tmp", "--nope=1"],
        &["-Q", "1x"],
    ];
    for args in cases {
        let ours = run(env!("CARGO_BIN_EXE_janus"), args);
        let theirs = run("/usr/bin/janus", args);
        assert_eq!(ours.status.code(), theirs.status.code(), "exit status for {args:?}");
        assert_eq!(after_banner(&ours), after_banner(&theirs), "message for {args:?}");
    }
}

#[test]
fn banner_names_the_janus_version() {
    let out = run(env!("CARGO_BIN_EXE_janus"), &["--bogus"]);
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("Janus version: 1102 (1.1.2)\nJanus commit: "));
}
