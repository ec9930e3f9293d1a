//! Shared by the integration tests: build small C libraries against our `include/` headers
//! and load them the way Janus loads modules (`RTLD_NOW | RTLD_GLOBAL`), into a test process
//! whose global scope holds the core (the test binaries export `compat/exports.txt`).
#![allow(dead_code)]

pub mod browser;
pub mod event_sink;
pub mod gateway;
pub mod json;
pub mod stun_server;
pub mod webrtc;
pub mod webrtc_client;
pub mod websocket;

/// Declares the two tests of a check that takes the gateway binary and a scratch folder name
/// (then `args`): `$reference` runs it against `/usr/bin/janus`, which proves that it tests
/// something real, and `$ours` against ours, each in a folder of its own
/// (`<folder>-reference`, `<folder>-ours`).
#[macro_export]
macro_rules! reference_and_ours {
    ($reference:ident, $ours:ident: $check:path, $folder:literal $(, $arg:expr)*) => {
        #[test]
        fn $reference() {
            $check(std::path::Path::new($crate::support::gateway::REFERENCE_BINARY), concat!($folder, "-reference") $(, $arg)*);
        }

        #[test]
        fn $ours() {
            $check(&$crate::support::gateway::binary_under_test(), concat!($folder, "-ours") $(, $arg)*);
        }
    };
}

use std::ffi::{CStr, CString};
use std::path::{Path, PathBuf};
use std::process::Command;

pub fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared` beside the project: ABI inventory and fuzzing corpora.
pub fn shared_dir() -> PathBuf {
    manifest_dir().join("../shared")
}

/// Every file of one fuzzing corpus of `../shared/corpora` (`rtp_fuzzer`, `rtcp_fuzzer`,
/// `sdp_fuzzer`), sorted, with its bytes. Panics if the corpus is missing or empty.
pub fn corpus(name: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    let mut folders = vec![shared_dir().join("corpora").join(name)];
    while let Some(folder) = folders.pop() {
        let entries = std::fs::read_dir(&folder).unwrap_or_else(|e| panic!("corpus {}: {e}", folder.display()));
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else {
                files.push(path);
            }
        }
    }
    assert!(!files.is_empty(), "corpus {name} is empty");
    files.sort();
    files.into_iter().map(|p| (p.clone(), std::fs::read(&p).unwrap())).collect()
}

/// A scratch folder private to one test binary, under cargo's target dir.
pub fn scratch_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn pkg_config_cflags() -> Vec<String> {
    let out = Command::new("pkg-config").args(["--cflags", "glib-2.0", "jansson"]).output().expect("pkg-config runs");
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().split_whitespace().map(String::from).collect()
}

/// Compiles C sources (paths relative to the project root) into a shared object with gcc,
/// against `include_dir` (normally our `include/`), and returns its path.
pub fn build_c_module(name: &str, sources: &[&str], include_dir: &Path) -> PathBuf {
    let out_dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("c-modules");
    std::fs::create_dir_all(&out_dir).unwrap();
    let out = out_dir.join(format!("lib{name}.so"));
    let mut cmd = Command::new("gcc");
    cmd.args(["-shared", "-fPIC", "-O1", "-g", "-Wall", "-Werror=implicit-function-declaration"])
        .arg(format!("-I{}", include_dir.display()))
        .args(pkg_config_cflags());
    for s in sources {
        cmd.arg(manifest_dir().join(s));
    }
    cmd.arg("-o").arg(&out);
    let result = cmd.output().expect("gcc runs");
    assert!(result.status.success(), "gcc failed for {name}:\n{}", String::from_utf8_lossy(&result.stderr));
    out
}

/// A loaded shared object; never unloaded, like Janus' modules.
pub struct Module {
    handle: *mut libc::c_void,
}

unsafe impl Send for Module {}
unsafe impl Sync for Module {}

impl Module {
    /// `dlopen(path, RTLD_NOW | RTLD_GLOBAL)`, as Janus does; the error text on failure.
    pub fn open(path: &Path) -> Result<Module, String> {
        let c = CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
        let handle = unsafe { libc::dlopen(c.as_ptr(), libc::RTLD_NOW | libc::RTLD_GLOBAL) };
        if handle.is_null() {
            Err(unsafe { CStr::from_ptr(libc::dlerror()) }.to_string_lossy().into_owned())
        } else {
            Ok(Module { handle })
        }
    }

    /// Looks a symbol up; the caller transmutes it to the right function type.
    pub fn symbol(&self, name: &str) -> Option<*mut libc::c_void> {
        let c = CString::new(name).unwrap();
        let p = unsafe { libc::dlsym(self.handle, c.as_ptr()) };
        (!p.is_null()).then_some(p)
    }
}

/// What each thread of process `pid` is doing (name, state, kernel wait channel, and the
/// user stacks when gdb is installed): the diagnosis attached to a test's failure when a
/// process it started does not end in time.
pub fn process_threads(pid: i32) -> String {
    let mut out = String::new();
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return format!("process {pid} is gone");
    };
    for task in tasks.flatten() {
        let read = |name: &str| std::fs::read_to_string(task.path().join(name)).unwrap_or_default();
        let stat = read("stat");
        let state = stat.rsplit_once(") ").and_then(|(_, rest)| rest.chars().next()).unwrap_or('?');
        out.push_str(&format!(
            "thread {} '{}' state {state} wchan {}\n",
            task.file_name().to_string_lossy(),
            read("comm").trim(),
            read("wchan")
        ));
    }
    let gdb = Command::new("timeout")
        .args(["20", "gdb", "-p", &pid.to_string(), "-batch", "-ex", "thread apply all bt"])
        .stdin(std::process::Stdio::null())
        .output();
    if let Ok(gdb) = gdb {
        out.push_str(&String::from_utf8_lossy(&gdb.stdout));
    }
    out
}
