//! The `utils.c` and `events.c` exports, called the way modules call them: C strings,
//! GLib-allocated results, jansson values, caller buffers.

use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::io::Write;
use std::process::{Command, Stdio};

use janus::abi::events::*;
use janus::abi::utils::*;

extern "C" {
    fn g_free(p: *mut c_void);
    fn json_integer(v: i64) -> *mut c_void;
    fn json_real(v: f64) -> *mut c_void;
    fn json_string(v: *const c_char) -> *mut c_void;
    fn json_array() -> *mut c_void;
    fn json_array_append_new(a: *mut c_void, v: *mut c_void) -> c_int;
    fn json_object() -> *mut c_void;
    fn json_true() -> *mut c_void;
    fn json_false() -> *mut c_void;
    fn json_null() -> *mut c_void;
    fn json_delete(v: *mut c_void);
}

// jansson's json_type numbering and Janus' parameter flags.
const OBJECT: u32 = 0;
const ARRAY: u32 = 1;
const STRING: u32 = 2;
const INTEGER: u32 = 3;
const REAL: u32 = 4;
const TRUE: u32 = 5;
const POSITIVE: u32 = 2;
const NONEMPTY: u32 = 4;

fn c(s: &str) -> CString {
    CString::new(s).unwrap()
}

/// Takes a GLib string returned by the core.
fn take(p: *mut c_char) -> String {
    assert!(!p.is_null());
    let s = unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_owned();
    unsafe { g_free(p.cast()) };
    s
}

fn text(p: *const c_char) -> Option<&'static str> {
    (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_str().unwrap())
}

#[test]
fn clocks_are_clock_gettime_microseconds() {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    let before = ts.tv_sec * 1_000_000 + ts.tv_nsec / 1000;
    let ours = janus_get_monotonic_time();
    assert!(ours >= before && ours - before < 1_000_000);
    unsafe { libc::clock_gettime(libc::CLOCK_REALTIME, &mut ts) };
    let real = ts.tv_sec * 1_000_000 + ts.tv_nsec / 1000;
    assert!((janus_get_real_time() - real).abs() < 1_000_000);
}

#[test]
fn truth_and_secrets() {
    assert_eq!(unsafe { janus_is_true(c("Yes").as_ptr()) }, 1);
    assert_eq!(unsafe { janus_is_true(c("1").as_ptr()) }, 1);
    assert_eq!(unsafe { janus_is_true(c("no").as_ptr()) }, 0);
    assert_eq!(unsafe { janus_is_true(std::ptr::null()) }, 0);
    let (a, b, d) = (c("janusrocks"), c("janusrocks"), c("janusrock"));
    assert_eq!(unsafe { janus_strcmp_const_time(a.as_ptr().cast(), b.as_ptr().cast()) }, 1);
    assert_eq!(unsafe { janus_strcmp_const_time(a.as_ptr().cast(), d.as_ptr().cast()) }, 0);
    assert_eq!(unsafe { janus_strcmp_const_time(a.as_ptr().cast(), std::ptr::null()) }, 0);
}

#[test]
fn random_numbers_and_uuid() {
    let ids: Vec<u64> = (0..200).map(|_| janus_random_uint64()).collect();
    assert!(ids.iter().all(|&id| id <= 0x1F_FFFF_FFFF_FFFF), "53-bit ids");
    assert!(ids.iter().any(|&id| id > 1 << 52), "the top bit is used");
    let mut dedup = ids.clone();
    dedup.sort();
    dedup.dedup();
    assert_eq!(dedup.len(), ids.len());
    let r: Vec<u32> = (0..64).map(|_| janus_random_uint32()).collect();
    assert!(r.iter().any(|&v| v > 1 << 31));
    let u = take(janus_random_uuid());
    assert_eq!(u.len(), 36);
    assert_eq!(u.as_bytes()[14], b'4');
    assert_ne!(take(janus_random_uuid()), u);
}

#[test]
fn uint64_dup_is_a_glib_cell() {
    let p = janus_uint64_dup(0x1234_5678_9abc_def0);
    assert_eq!(unsafe { *p }, 0x1234_5678_9abc_def0);
    unsafe { g_free(p.cast()) };
}

#[test]
fn string_to_numbers() {
    let mut n8 = 0u8;
    let mut n16 = 0u16;
    let mut n32 = 0u32;
    assert_eq!(unsafe { janus_string_to_uint8(c("200").as_ptr(), &mut n8) }, 0);
    assert_eq!(n8, 200);
    assert_eq!(unsafe { janus_string_to_uint8(c("300").as_ptr(), &mut n8) }, -libc::ERANGE);
    assert_eq!(n8, 200, "untouched on error");
    assert_eq!(unsafe { janus_string_to_uint16(c(" 8088").as_ptr(), &mut n16) }, 0);
    assert_eq!(n16, 8088);
    assert_eq!(unsafe { janus_string_to_uint16(c("-1").as_ptr(), &mut n16) }, -libc::ERANGE);
    assert_eq!(unsafe { janus_string_to_uint16(std::ptr::null(), &mut n16) }, -libc::EINVAL);
    assert_eq!(unsafe { janus_string_to_uint16(c("1").as_ptr(), std::ptr::null_mut()) }, -libc::EINVAL);
    assert_eq!(unsafe { janus_string_to_uint32(c("4294967295").as_ptr(), &mut n32) }, 0);
    assert_eq!(n32, u32::MAX);
    assert_eq!(unsafe { janus_string_to_uint32(c("4294967296").as_ptr(), &mut n32) }, -libc::ERANGE);
    assert_eq!(unsafe { janus_string_to_uint32(c("12abc").as_ptr(), &mut n32) }, 0);
    assert_eq!(n32, 12, "strtol stops at the first non-digit");
}

#[test]
fn strlcat_into_c_buffer() {
    let mut buf = [0 as c_char; 10];
    let src = c("hello");
    assert_eq!(unsafe { janus_strlcat(buf.as_mut_ptr(), src.as_ptr(), buf.len()) }, 5);
    assert_eq!(unsafe { janus_strlcat(buf.as_mut_ptr(), src.as_ptr(), buf.len()) }, 10, "truncation reports the full length");
    assert_eq!(unsafe { CStr::from_ptr(buf.as_ptr()) }.to_str().unwrap(), "hellohell");
}

#[test]
fn mkdir_and_absolute_paths() {
    let base = std::env::temp_dir().join(format!("janus-utils-{}", std::process::id()));
    let deep = c(base.join("x/y/z").to_str().unwrap());
    assert_eq!(unsafe { janus_mkdir(deep.as_ptr(), 0o755) }, 0);
    assert!(base.join("x/y/z").is_dir());
    assert_eq!(unsafe { janus_mkdir(deep.as_ptr(), 0o755) }, 0, "already there");
    std::fs::write(base.join("f"), b"").unwrap();
    assert_eq!(unsafe { janus_mkdir(c(base.join("f/g").to_str().unwrap()).as_ptr(), 0o755) }, -1);
    assert_eq!(std::io::Error::last_os_error().raw_os_error(), Some(libc::ENOTDIR));
    std::fs::remove_dir_all(&base).unwrap();

    let abs = |b: Option<&str>, p: Option<&str>| {
        let (b, p) = (b.map(c), p.map(c));
        let r = unsafe {
            janus_make_absolute_path(
                b.as_ref().map_or(std::ptr::null(), |s| s.as_ptr()),
                p.as_ref().map_or(std::ptr::null(), |s| s.as_ptr()),
            )
        };
        (!r.is_null()).then(|| take(r))
    };
    assert_eq!(abs(Some("/etc/janus"), Some("/tmp/x.pem")).as_deref(), Some("/tmp/x.pem"));
    assert_eq!(abs(Some("/etc/janus/"), Some("certs/x.pem")).as_deref(), Some("/etc/janus/certs/x.pem"));
    assert_eq!(abs(Some("/etc/janus"), Some("x.pem")).as_deref(), Some("/etc/janus/x.pem"));
    assert_eq!(abs(None, Some("x.pem")), None);
    assert_eq!(abs(Some("/etc"), None), None);
}

#[test]
fn codec_payload_types_from_sdp() {
    let sdp = c("v=0\r\nm=audio 9 RTP/SAVPF 111 8\r\na=rtpmap:111 opus/48000/2\r\na=rtpmap:8 PCMA/8000\r\n\
                m=video 9 RTP/SAVPF 100 101\r\na=rtpmap:100 VP8/90000\r\na=rtpmap:101 H265/90000\r\n");
    let pt = |codec: &str| unsafe { janus_get_codec_pt(sdp.as_ptr(), c(codec).as_ptr()) };
    assert_eq!(pt("opus"), 111);
    assert_eq!(pt("pcma"), 8);
    assert_eq!(pt("VP8"), 100);
    assert_eq!(pt("h265"), 101);
    assert_eq!(pt("vp9"), -2);
    assert_eq!(pt("mpeg"), -1);
    assert_eq!(unsafe { janus_get_codec_pt(std::ptr::null(), c("opus").as_ptr()) }, -1);
    assert_eq!(text(unsafe { janus_get_codec_from_pt(sdp.as_ptr(), 111) }), Some("opus"));
    assert_eq!(text(unsafe { janus_get_codec_from_pt(sdp.as_ptr(), 101) }), Some("h265"));
    assert_eq!(text(unsafe { janus_get_codec_from_pt(sdp.as_ptr(), 0) }), Some("pcmu"));
    assert_eq!(text(unsafe { janus_get_codec_from_pt(sdp.as_ptr(), 102) }), None);
    assert_eq!(text(unsafe { janus_get_codec_from_pt(std::ptr::null(), 0) }), None);
}

#[test]
fn json_parameter_checks_on_jansson_values() {
    unsafe {
        let valid = |v: *mut c_void, t: u32, f: u32| janus_json_is_valid(v.cast(), t, f) == 1;
        let minus = json_integer(-3);
        assert!(valid(minus, INTEGER, 0));
        assert!(!valid(minus, INTEGER, POSITIVE));
        assert!(!valid(minus, REAL, 0), "an integer is not a real");
        json_delete(minus);
        let half = json_real(0.5);
        assert!(valid(half, REAL, POSITIVE));
        json_delete(half);
        let empty = json_string(c("").as_ptr());
        assert!(valid(empty, STRING, 0));
        assert!(!valid(empty, STRING, NONEMPTY));
        json_delete(empty);
        let arr = json_array();
        assert!(!valid(arr, ARRAY, NONEMPTY));
        json_array_append_new(arr, json_null());
        assert!(valid(arr, ARRAY, NONEMPTY));
        json_delete(arr);
        let obj = json_object();
        assert!(valid(obj, OBJECT, 0));
        assert!(!valid(obj, ARRAY, 0));
        json_delete(obj);
        // Booleans are singletons in jansson: nothing to free.
        assert!(valid(json_false(), TRUE, 0), "JANUS_JSON_BOOL accepts false");
        assert!(valid(json_true(), TRUE, 0));
        assert!(!valid(std::ptr::null_mut(), OBJECT, 0));
    }
    let name = |t: u32, f: u32| {
        let mut buf = [0x55 as c_char; 20];
        unsafe { janus_get_json_type_name(t as c_int, f, buf.as_mut_ptr()) };
        unsafe { CStr::from_ptr(buf.as_ptr()) }.to_str().unwrap().to_owned()
    };
    assert_eq!(name(INTEGER, 0), "an integer");
    assert_eq!(name(TRUE, NONEMPTY), "a non-empty boolean");
    assert_eq!(name(REAL, POSITIVE), "a positive real");
    assert_eq!(name(STRING, 1), "a string");
}

#[test]
fn gzip_output_is_a_gzip_file() {
    let text: Vec<u8> = (0..4000).map(|i| b"janus event "[i % 12]).collect();
    let mut out = vec![0u8; 4000];
    let n = unsafe { janus_gzip_compress(9, text.as_ptr() as *mut c_char, text.len(), out.as_mut_ptr().cast(), out.len()) };
    assert!(n > 0 && n < 200, "{n}");
    let mut gunzip = Command::new("gzip").arg("-dc").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    gunzip.stdin.take().unwrap().write_all(&out[..n]).unwrap();
    let plain = gunzip.wait_with_output().unwrap();
    assert!(plain.status.success());
    assert_eq!(plain.stdout, text);
    // Too small an output buffer fails with 0; missing arguments give (size_t)-1 as in Janus.
    assert_eq!(unsafe { janus_gzip_compress(9, text.as_ptr() as *mut c_char, text.len(), out.as_mut_ptr().cast(), 10,) }, 0);
    assert_eq!(unsafe { janus_gzip_compress(9, std::ptr::null_mut(), 10, out.as_mut_ptr().cast(), out.len(),) }, usize::MAX);
}

#[test]
fn event_masks_labels_and_names() {
    let mut mask: usize = 0xdead;
    unsafe { janus_events_edit_events_mask(c("sessions, handles,media").as_ptr(), &mut mask) };
    assert_eq!(mask, 1 | 2 | 32);
    unsafe { janus_events_edit_events_mask(c("all").as_ptr(), &mut mask) };
    assert_eq!(mask, 0xffff_ffff);
    unsafe { janus_events_edit_events_mask(c("None").as_ptr(), &mut mask) };
    assert_eq!(mask, 0);
    mask = 7;
    unsafe { janus_events_edit_events_mask(std::ptr::null(), &mut mask) };
    assert_eq!(mask, 7, "a NULL list changes nothing");
    unsafe { janus_events_edit_events_mask(c("core").as_ptr(), std::ptr::null_mut()) };
    assert_eq!(text(janus_events_type_to_label(128)), Some("transports"));
    assert_eq!(text(janus_events_type_to_name(128)), Some("Transports"));
    assert_eq!(text(janus_events_type_to_name(256)), Some("Core"));
    assert_eq!(text(janus_events_type_to_label(0)), Some("no_events"));
    assert_eq!(text(janus_events_type_to_label(5)), None);
}
