//! The exported configuration library (`janus_config_*`), driven from Rust and from a C
//! module: Debian's stock `.jcfg` files, legacy `.cfg` files, tree editing, saving, and
//! libconfig's verdict on invalid input.

mod support;

use std::ffi::{CStr, CString};
use std::path::{Path, PathBuf};
use std::ptr::null_mut;
use std::sync::OnceLock;

use janus::abi::config::*;
use janus::config::{Config, Entry};
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
        let so = build_c_module("config_probe", &["tests/c/config_probe.c"], &support::manifest_dir().join("include"));
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
    let f: unsafe extern "C" fn(*mut janus_config) -> *mut c_char = unsafe { std::mem::transmute(probe().symbol("probe_dump").unwrap()) };
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

/// The data pointers of a GList.
unsafe fn list_data<T>(l: *mut T) -> Vec<*mut janus_config_container> {
    let mut out = Vec::new();
    let mut cur = l as *mut GList;
    while !cur.is_null() {
        out.push((*cur).data as *mut janus_config_container);
        cur = (*cur).next;
    }
    out
}

/// The data pointers of a GList returned by the library, which is then freed (shallow), as
/// modules do.
unsafe fn take_list<T>(l: *mut T) -> Vec<*mut janus_config_container> {
    let out = list_data(l);
    g_list_free(l as *mut GList);
    out
}

fn data(name: &str) -> PathBuf {
    support::manifest_dir().join("tests/data/config").join(name)
}

#[test]
fn legacy_cfg_files_parse_save_and_reparse() {
    let out = scratch_dir("config-legacy");
    let cfg = parse(&data("janus.plugin.streaming.cfg"));
    assert!(!cfg.is_null());
    unsafe {
        assert_eq!((*cfg).is_jcfg, 0);
        assert_eq!(value_of(cfg, "general", "admin_key").as_deref(), Some("supersecret"));
        assert_eq!(value_of(cfg, "general", "events").as_deref(), Some(""));
        assert_eq!(value_of(cfg, "file-live-sample", "description").as_deref(), Some("a later duplicate wins, whatever its case"));
        assert_eq!(value_of(cfg, "file-live-sample", "videofmtp").as_deref(), Some("profile-level-id=42e01f;packetization-mode=1"));
        assert_eq!(value_of(cfg, "rtsp-test", "url").as_deref(), Some("rtsp://127.0.0.1:8554/test"));
        assert_eq!(value_of(cfg, "rtsp-test", "rtsp_user").as_deref(), Some(""));
        // The duplicate replaced the first description and moved to the end of its category.
        let live = janus_config_get(cfg, std::ptr::null_mut(), CATEGORY, cstr("file-live-sample").as_ptr());
        let items = take_list(janus_config_get_items(cfg, live));
        let last = *items.last().unwrap();
        assert_eq!(CStr::from_ptr((*last).name).to_str().unwrap(), "DESCRIPTION");
        assert_eq!(items.len(), 9);
        let cats: Vec<String> = take_list(janus_config_get_categories(cfg, std::ptr::null_mut()))
            .into_iter()
            .map(|c| CStr::from_ptr((*c).name).to_str().unwrap().to_string())
            .collect();
        assert_eq!(cats, ["general", "gstreamer-sample", "file-live-sample", "rtsp-test"]);

        let dump = c_dump(cfg);
        assert_eq!(dump, model_dump(&Config::parse_file(&data("janus.plugin.streaming.cfg")).unwrap()));
        janus_config_print(cfg);
        assert_eq!(janus_config_save(cfg, path_c(&out).as_ptr(), cstr("janus.plugin.streaming").as_ptr()), 0);
        let saved = out.join("janus.plugin.streaming.cfg");
        let text = std::fs::read_to_string(&saved).unwrap();
        assert!(text.starts_with(";\n; File automatically generated on "));
        assert!(text.contains("[file-live-sample]\n"), "{text}");
        assert!(text.contains("videofmtp = profile-level-id=42e01f\\;packetization-mode=1\n"), "{text}");
        assert!(text.contains("\n\r\n[rtsp-test]\n"), "{text}");
        let again = parse(&saved);
        assert!(!again.is_null());
        // Same tree, except for the configuration's own name.
        assert_eq!(c_dump(again), dump);
        janus_config_destroy(again);
        janus_config_destroy(cfg);
    }
    let echo = parse(&data("janus.plugin.echotest.cfg"));
    unsafe {
        assert_eq!(value_of(echo, "general", "events").as_deref(), Some("no"));
        assert_eq!(value_of(echo, "general", "record").as_deref(), Some("false"));
        assert_eq!(value_of(echo, "general", "rec_dir").as_deref(), Some("/tmp/janus-echotest"));
        janus_config_destroy(echo);
    }
}

#[test]
fn malformed_legacy_files_are_rejected_whole() {
    for bad in ["bad-category.cfg", "bad-item.cfg", "bad-multiline.cfg", "bad-noname.cfg"] {
        assert!(parse(&data(bad)).is_null(), "{bad} must be rejected");
    }
    assert!(parse(Path::new("/nonexistent/janus.jcfg")).is_null());
    assert!(unsafe { janus_config_parse(std::ptr::null()) }.is_null());
}

#[test]
fn c_module_edits_a_configuration() {
    let out = scratch_dir("config-edit");
    let cfg = parse(Path::new("/etc/janus/janus.plugin.videoroom.jcfg"));
    assert!(!cfg.is_null());
    let edit: unsafe extern "C" fn(*mut janus_config) -> c_int = unsafe { std::mem::transmute(probe().symbol("probe_edit").unwrap()) };
    let categories: unsafe extern "C" fn(*mut janus_config, *const c_char) -> *mut c_char =
        unsafe { std::mem::transmute(probe().symbol("probe_categories").unwrap()) };
    unsafe {
        assert_eq!(edit(cfg), 0, "probe_edit check failed");
        let listing = take_text(categories(cfg, cstr("description").as_ptr()));
        assert_eq!(
            listing,
            "general: description=(none) items=0 arrays=0\n\
             room-1234: description=Demo Room items=6 arrays=0\n\
             room-5678: description=VP9-SVC Demo Room items=7 arrays=0\n\
             room-42: description=Renamed room items=1 arrays=1\n"
        );
        assert_eq!(janus_config_save(cfg, path_c(&out).as_ptr(), cstr("janus.plugin.videoroom").as_ptr()), 0);
        let saved = parse(&out.join("janus.plugin.videoroom.jcfg"));
        assert!(!saved.is_null());
        assert_eq!(c_dump(saved), c_dump(cfg));
        assert!(c_dump(saved)
            .ends_with("3|room-42|(none)\n  4|allowed|(none)\n    2|(none)|token1\n    2|(none)|token2\n  2|Description|Renamed room\n"));
        janus_config_destroy(saved);
        janus_config_destroy(cfg);
    }
}

#[test]
fn add_remove_get_create_from_rust() {
    let dir = scratch_dir("config-api");
    let file = dir.join("api.jcfg");
    std::fs::write(&file, "general: { a = 1 }\n").unwrap();
    let cfg = parse(&file);
    unsafe {
        let general = janus_config_get(cfg, null_mut(), CATEGORY, cstr("general").as_ptr());
        // get_create finds existing entries, creates categories and arrays, never items.
        assert_eq!(janus_config_get_create(cfg, null_mut(), CATEGORY, cstr("GENERAL").as_ptr()), general);
        let arr = janus_config_get_create(cfg, general, ARRAY, cstr("list").as_ptr());
        assert_eq!((*arr).type_, ARRAY);
        assert_eq!(janus_config_get(cfg, general, ANY, cstr("LIST").as_ptr()), arr);
        assert!(janus_config_get_create(cfg, general, ITEM, cstr("b").as_ptr()).is_null());
        assert!(janus_config_get_create(cfg, general, 9, cstr("b").as_ptr()).is_null());
        // A category named like an item replaces it.
        let cat = janus_config_get_create(cfg, general, CATEGORY, cstr("a").as_ptr());
        assert_eq!(take_list(janus_config_get_items(cfg, general)), Vec::<*mut janus_config_container>::new());
        assert_eq!(take_list(janus_config_get_categories(cfg, general)), [cat]);
        // Re-adding the same container only moves it to the end.
        assert_eq!(janus_config_add(cfg, general, arr), 0);
        let all = list_data((*general).list);
        assert_eq!(all, [cat, arr]);
        // Nameless items accumulate.
        let one = janus_config_item_create(std::ptr::null(), cstr("1").as_ptr());
        let two = janus_config_item_create(std::ptr::null(), cstr("1").as_ptr());
        assert_eq!(janus_config_add(cfg, arr, one), 0);
        assert_eq!(janus_config_add(cfg, arr, two), 0);
        assert_eq!(take_list(janus_config_get_items(cfg, arr)), [one, two]);
        // Return codes and NULL arguments.
        assert!(janus_config_item_create(std::ptr::null(), std::ptr::null()).is_null());
        let lone = janus_config_item_create(cstr("n").as_ptr(), std::ptr::null());
        assert!((*lone).value.is_null());
        assert_eq!(janus_config_add(null_mut(), null_mut(), lone), -1);
        assert_eq!(janus_config_add(cfg, null_mut(), null_mut()), -1);
        assert_eq!(janus_config_add(cfg, lone, one), -2);
        assert_eq!(janus_config_remove(null_mut(), null_mut(), cstr("a").as_ptr()), -1);
        assert_eq!(janus_config_remove(cfg, null_mut(), std::ptr::null()), -1);
        assert_eq!(janus_config_remove(cfg, lone, cstr("a").as_ptr()), -2);
        assert_eq!(janus_config_remove(cfg, general, cstr("missing").as_ptr()), -3);
        assert_eq!(janus_config_remove(cfg, general, cstr("A").as_ptr()), 0);
        assert!(janus_config_get(null_mut(), null_mut(), ANY, cstr("general").as_ptr()).is_null());
        assert!(janus_config_get(cfg, null_mut(), ANY, std::ptr::null()).is_null());
        assert!(janus_config_get_items(null_mut(), null_mut()).is_null());
        assert!(janus_config_get_categories(cfg, lone).is_null());
        assert!(janus_config_get_arrays(null_mut(), null_mut()).is_null());
        let unnamed = janus_config_category_create(std::ptr::null());
        assert!((*unnamed).name.is_null() && (*unnamed).type_ == CATEGORY);
        assert_eq!(janus_config_add(cfg, null_mut(), unnamed), 0);
        // Printing a value-less item or a nameless category is fine.
        assert_eq!(janus_config_add(cfg, general, lone), 0);
        janus_config_print(cfg);
        janus_config_print(null_mut());
        janus_config_destroy(null_mut());
        janus_config_destroy(cfg);
    }
}

#[test]
fn save_return_codes() {
    let dir = scratch_dir("config-save");
    let file = dir.join("s.jcfg");
    std::fs::write(&file, "general: { a = \"x\" }\n").unwrap();
    let cfg = parse(&file);
    std::fs::write(dir.join("blocker"), "").unwrap();
    unsafe {
        assert_eq!(janus_config_save(std::ptr::null_mut(), path_c(&dir).as_ptr(), cstr("x").as_ptr()), -1);
        assert_eq!(janus_config_save(cfg, path_c(&dir.join("blocker/sub")).as_ptr(), cstr("x").as_ptr()), -2);
        assert_eq!(janus_config_save(cfg, path_c(&dir.join("blocker")).as_ptr(), cstr("x").as_ptr()), -3);
        assert_eq!(janus_config_save(cfg, path_c(&dir.join("new/deeper")).as_ptr(), cstr("x").as_ptr()), 0);
        assert!(dir.join("new/deeper/x.jcfg").is_file());
        // Janus prints a NULL file name as "(null)".
        assert_eq!(janus_config_save(cfg, path_c(&dir).as_ptr(), std::ptr::null()), 0);
        assert!(dir.join("(null).jcfg").is_file());
        janus_config_destroy(cfg);
    }
}

/// libconfig 1.5 itself, as the reference for which `.jcfg` texts are valid.
fn libconfig_accepts(path: &Path) -> bool {
    extern "C" {
        fn config_init(c: *mut u64);
        fn config_read_file(c: *mut u64, file: *const c_char) -> c_int;
        fn config_destroy(c: *mut u64);
    }
    let mut storage = [0u64; 16]; // config_t is 72 bytes
    unsafe {
        config_init(storage.as_mut_ptr());
        let ok = config_read_file(storage.as_mut_ptr(), path_c(path).as_ptr()) != 0;
        config_destroy(storage.as_mut_ptr());
        ok
    }
}

#[test]
fn invalid_jcfg_is_rejected_where_libconfig_rejects_it() {
    let dir = scratch_dir("config-invalid");
    let cases: &[(&str, bool)] = &[
        ("general: { a = 1 }", true),
        ("general = { a = 1; b = \"x\"; };", true),
        ("a = 1\nb = 2", true),
        ("", true),
        ("# only a comment\n// another\n/* and another */", true),
        ("list = ( 1, \"two\", { three = 3 }, ( 4 ) )", true),
        ("s = \"adjacent \" \"strings\"", true),
        ("general: { a = 1 ", false),
        ("general: { path = /unquoted }", false),
        ("a = 1\na = 2", false),
        ("arr = [ 1, \"mixed\" ]", false),
        ("arr = [ { g = 1 } ]", false),
        ("1abc = 2", false),
        ("a = \"unterminated", false),
        ("a = ; b = 2", false),
        ("; a = 1", false),
        ("a = 0x", false),
        ("a: b: c", false),
        ("[section]\nkey = value", false),
    ];
    for (i, (text, valid)) in cases.iter().enumerate() {
        let path = dir.join(format!("case{i}.jcfg"));
        std::fs::write(&path, text).unwrap();
        assert_eq!(libconfig_accepts(&path), *valid, "libconfig's verdict on {text:?}");
        let cfg = parse(&path);
        assert_eq!(!cfg.is_null(), *valid, "verdict on {text:?}");
        unsafe { janus_config_destroy(cfg) };
    }
}

#[test]
fn jcfg_numbers_are_printed_like_c() {
    let dir = scratch_dir("config-numbers");
    let floats = ["0.5", "-0.0", "1e-7", "0.0000005", "2.5e-6", "123456.7890125", "1e20", "-3.25e2", "0.1234565"];
    let ints = ["0", "-2147483648", "2147483647", "0x7fffffff", "9223372036854775807L", "-42L"];
    let mut text = String::from("n: {\n");
    for (i, f) in floats.iter().enumerate() {
        text.push_str(&format!("f{i} = {f}\n"));
    }
    for (i, n) in ints.iter().enumerate() {
        text.push_str(&format!("i{i} = {n}\n"));
    }
    text.push_str("}\n");
    let path = dir.join("numbers.jcfg");
    std::fs::write(&path, text).unwrap();
    let cfg = parse(&path);
    assert!(!cfg.is_null());
    for (i, f) in floats.iter().enumerate() {
        let v: f64 = f.parse().unwrap();
        let mut buf = [0u8; 400];
        let n = unsafe { libc::snprintf(buf.as_mut_ptr().cast(), buf.len(), c"%f".as_ptr(), v) };
        let c_text = std::str::from_utf8(&buf[..n as usize]).unwrap();
        assert_eq!(unsafe { value_of(cfg, "n", &format!("f{i}")) }.as_deref(), Some(c_text), "{f}");
    }
    let want = ["0", "-2147483648", "2147483647", "2147483647", "9223372036854775807", "-42"];
    for (i, w) in want.iter().enumerate() {
        assert_eq!(unsafe { value_of(cfg, "n", &format!("i{i}")) }.as_deref(), Some(*w));
    }
    unsafe { janus_config_destroy(cfg) };
}
