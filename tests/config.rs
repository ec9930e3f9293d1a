//! The exported configuration library (`janus_config_*`), driven from Rust and from a C
//! module: Debian's stock `.jcfg` files, legacy `.cfg` files, tree editing, saving, and
//! libconfig's verdict on invalid input.

mod support;

use std::ffi::{CStr, CString};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use janus::abi::config::*;
use janus::config::{Config, Entry, Kind, Node};
use libc::{c_char, c_int};
use support::{build_c_module, scratch_dir, Module};

const ANY: c_int = 1;
const ITEM: c_int = 2;
const CATEGORY: c_int = 3;
const ARRAY: c_int = 4;

fn cstr(s: &str) -> CString {
    CString::new(s).unwrap()
}

fn path_c(p: &Path) -> CString {
    CString::new(p.to_str().unwrap()).unwrap()
}

fn probe() -> &'static Module {
    static MODULE: OnceLock<Module> = OnceLock::new();
    MODULE.get_or_init(|| {
        let so = build_c_module("config_probe", &["tests/c/config_probe.c"], Path::new("/usr/include/janus"));
        Module::open(&so).unwrap()
    })
}

/// Takes a `g_malloc`ed C string from the probe.
unsafe fn take_text(p: *mut c_char) -> String {
    extern "C" {
        fn g_free(p: *mut libc::c_void);
    }
    let s = CStr::from_ptr(p).to_str().unwrap().to_string();
    g_free(p.cast());
    s
}

/// The tree as the C probe sees it through the struct fields.
fn c_dump(cfg: *mut janus_config) -> String {
    let f: unsafe extern "C" fn(*mut janus_config) -> *mut c_char =
        unsafe { std::mem::transmute(probe().symbol("probe_dump").unwrap()) };
    unsafe { take_text(f(cfg)) }
}

/// The dump the probe must produce for a model tree.
fn model_dump(c: &Config) -> String {
    fn walk(out: &mut String, entries: &[Entry], depth: usize) {
        for e in entries {
            let name = e.name.as_deref().unwrap_or("(none)");
            let value = e.value().unwrap_or("(none)");
            out.push_str(&format!("{:w$}{}|{name}|{value}\n", "", e.kind() as i32, w = depth * 2));
            walk(out, e.members(), depth + 1);
        }
    }
    let mut out = format!("is_jcfg={} name={}\n", c.is_jcfg as i32, c.name);
    walk(&mut out, &c.entries, 0);
    out
}

fn parse(path: &Path) -> *mut janus_config {
    unsafe { janus_config_parse(path_c(path).as_ptr()) }
}

unsafe fn value_of(cfg: *mut janus_config, category: &str, item: &str) -> Option<String> {
    let cat = janus_config_get(cfg, std::ptr::null_mut(), CATEGORY, cstr(category).as_ptr());
    if cat.is_null() {
        return None;
    }
    let it = janus_config_get(cfg, cat, ITEM, cstr(item).as_ptr());
    (!it.is_null() && !(*it).value.is_null()).then(|| CStr::from_ptr((*it).value).to_str().unwrap().to_string())
}

fn debian_jcfg_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir("/etc/janus")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jcfg"))
        .collect();
    files.sort();
    assert!(files.len() >= 20, "the Debian janus package ships its .jcfg files in /etc/janus");
    files
}

/// The stock MQTT transport configuration has unquoted paths (`certfile = /etc/ssl/...`),
/// which libconfig 1.5 refuses: Janus reads it as NULL and the transport falls back.
const DEBIAN_REJECTED: &[&str] = &["janus.transport.mqtt.jcfg"];

#[test]
fn debian_jcfg_files_parse_walk_print_save_and_reparse() {
    let out = scratch_dir("config-debian");
    for path in debian_jcfg_files() {
        let file = path.file_name().unwrap().to_str().unwrap();
        let cfg = parse(&path);
        if DEBIAN_REJECTED.contains(&file) {
            assert!(cfg.is_null(), "{file} must be rejected as libconfig rejects it");
            continue;
        }
        assert!(!cfg.is_null(), "{file} must parse");
        let model = Config::parse_file(&path).unwrap();
        let dump = c_dump(cfg);
        assert_eq!(dump, model_dump(&model), "{file}: C view differs from the model");
        unsafe {
            assert_eq!((*cfg).is_jcfg, 1);
            assert_eq!(CStr::from_ptr((*cfg).name).to_str().unwrap(), file);
            janus_config_print(cfg);
            let stem = file.strip_suffix(".jcfg").unwrap();
            assert_eq!(janus_config_save(cfg, path_c(&out).as_ptr(), cstr(stem).as_ptr()), 0);
            let saved = out.join(file);
            let text = std::fs::read_to_string(&saved).unwrap();
            assert!(text.starts_with("#\n# File automatically generated on "), "{file}: {text}");
            let again = parse(&saved);
            assert!(!again.is_null(), "{file}: saved copy must parse:\n{text}");
            assert_eq!(c_dump(again), dump, "{file}: saved copy differs");
            janus_config_destroy(again);
            janus_config_destroy(cfg);
        }
    }
}

#[test]
fn debian_janus_jcfg_values() {
    let cfg = parse(Path::new("/etc/janus/janus.jcfg"));
    assert!(!cfg.is_null());
    unsafe {
        assert_eq!(value_of(cfg, "general", "configs_folder").as_deref(), Some("/etc/janus"));
        assert_eq!(value_of(cfg, "GENERAL", "Configs_Folder").as_deref(), Some("/etc/janus"));
        assert_eq!(value_of(cfg, "general", "debug_level").as_deref(), Some("4"));
        assert_eq!(value_of(cfg, "general", "admin_secret").as_deref(), Some("janusoverlord"));
        assert_eq!(value_of(cfg, "nat", "nice_debug").as_deref(), Some("false"));
        assert_eq!(value_of(cfg, "nat", "ice_ignore_list").as_deref(), Some("vmnet"));
        let general = janus_config_get(cfg, std::ptr::null_mut(), CATEGORY, cstr("general").as_ptr());
        let folders = janus_config_get(cfg, general, ARRAY, cstr("protected_folders").as_ptr());
        assert!(!folders.is_null());
        assert_eq!((*folders).type_, ARRAY);
        let first = (*(*folders).list).data as *const janus_config_container;
        assert!((*first).name.is_null(), "array members have no name");
        assert_eq!(CStr::from_ptr((*first).value).to_str().unwrap(), "/bin");
        // Wrong kind, missing names, items as parents: NULL.
        assert!(janus_config_get(cfg, std::ptr::null_mut(), ITEM, cstr("general").as_ptr()).is_null());
        assert!(janus_config_get(cfg, std::ptr::null_mut(), ANY, cstr("nope").as_ptr()).is_null());
        let item = janus_config_get(cfg, general, ITEM, cstr("debug_level").as_ptr());
        assert!(janus_config_get(cfg, item, ANY, cstr("x").as_ptr()).is_null());
        assert!(janus_config_get_items(cfg, item).is_null());
        assert_eq!(take_list(janus_config_get_arrays(cfg, general)), [folders]);
        janus_config_destroy(cfg);
    }
}

#[test]
fn debian_streaming_media_lists_hold_nameless_categories() {
    let cfg = parse(Path::new("/etc/janus/janus.plugin.streaming.jcfg"));
    assert!(!cfg.is_null());
    unsafe {
        let mp = janus_config_get(cfg, std::ptr::null_mut(), CATEGORY, cstr("multistream-test").as_ptr());
        assert_eq!(value_of(cfg, "multistream-test", "id").as_deref(), Some("123"));
        let media = janus_config_get(cfg, mp, ARRAY, cstr("media").as_ptr());
        assert!(!media.is_null());
        let streams = take_list(janus_config_get_categories(cfg, media));
        assert_eq!(streams.len(), 3);
        let first = streams[0];
        assert!((*first).name.is_null());
        let port = janus_config_get(cfg, first, ITEM, cstr("port").as_ptr());
        assert_eq!(CStr::from_ptr((*port).value).to_str().unwrap(), "5102");
        janus_config_destroy(cfg);
    }
}

#[repr(C)]
struct GList {
    data: *mut libc::c_void,
    next: *mut GList,
    prev: *mut GList,
}

extern "C" {
    fn g_list_free(l: *mut GList);
}

/// The data pointers of a GList returned by the library, which is then freed (shallow), as
/// modules do.
unsafe fn take_list<T>(l: *mut T) -> Vec<*mut janus_config_container> {
    let head = l as *mut GList;
    let mut out = Vec::new();
    let mut cur = head;
    while !cur.is_null() {
        out.push((*cur).data as *mut janus_config_container);
        cur = (*cur).next;
    }
    g_list_free(head);
    out
}
