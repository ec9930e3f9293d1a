//! The recorder through its C exports: `.mjr` files that Debian's `janus-pp-rec` turns into
//! playable media (checked with ffprobe), headers it reads back, return codes, pause/resume,
//! temporary names, data recordings, and a C module reading the struct as plugins do.

mod support;

use std::ffi::{CStr, CString};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, MutexGuard};

use libc::{c_char, c_int, c_uint, c_void};

extern "C" {
    fn janus_recorder_create(dir: *const c_char, codec: *const c_char, filename: *const c_char) -> *mut c_void;
    fn janus_recorder_create_full(dir: *const c_char, codec: *const c_char, fmtp: *const c_char, filename: *const c_char) -> *mut c_void;
    fn janus_recorder_add_extmap(rc: *mut c_void, id: c_int, extmap: *const c_char) -> c_int;
    fn janus_recorder_description(rc: *mut c_void, description: *const c_char) -> c_int;
    fn janus_recorder_opusred(rc: *mut c_void, red_pt: c_int) -> c_int;
    fn janus_recorder_encrypted(rc: *mut c_void) -> c_int;
    fn janus_recorder_pause(rc: *mut c_void) -> c_int;
    fn janus_recorder_resume(rc: *mut c_void) -> c_int;
    fn janus_recorder_save_frame(rc: *mut c_void, buffer: *mut c_char, length: c_uint) -> c_int;
    fn janus_recorder_close(rc: *mut c_void) -> c_int;
    fn janus_recorder_destroy(rc: *mut c_void);
}

/// The temporary-extension setting is process-wide: tests that create recorders take turns.
fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

fn cstr(s: &str) -> CString {
    CString::new(s).unwrap()
}

/// `rc->filename`, at offset 8 of `janus_recorder`.
fn filename(rc: *mut c_void) -> String {
    unsafe { CStr::from_ptr(*(rc as *const *const c_char).add(1)) }.to_str().unwrap().to_string()
}

struct Rec(*mut c_void);

impl Rec {
    fn new(dir: &Path, codec: &str, name: Option<&str>) -> Rec {
        let dir = cstr(dir.to_str().unwrap());
        let name = name.map(cstr);
        let rc =
            unsafe { janus_recorder_create(dir.as_ptr(), cstr(codec).as_ptr(), name.as_ref().map_or(std::ptr::null(), |n| n.as_ptr())) };
        assert!(!rc.is_null(), "recorder for {codec}");
        Rec(rc)
    }
    fn save(&self, packet: &mut [u8]) -> c_int {
        unsafe { janus_recorder_save_frame(self.0, packet.as_mut_ptr() as *mut c_char, packet.len() as c_uint) }
    }
    fn finish(self) {
        assert_eq!(unsafe { janus_recorder_close(self.0) }, 0);
        unsafe { janus_recorder_destroy(self.0) };
    }
}

fn rtp(pt: u8, marker: bool, seq: u16, ts: u32, ssrc: u32, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![0x80, pt | if marker { 0x80 } else { 0 }];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&ts.to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend_from_slice(payload);
    p
}

/// A parsed `.mjr`: the info text and the frames (time in ms, bytes).
struct Mjr {
    info: String,
    frames: Vec<(u32, Vec<u8>)>,
}

fn read_mjr(path: &Path) -> Mjr {
    let b = std::fs::read(path).unwrap();
    assert_eq!(&b[..8], b"MJR00002");
    let len = u16::from_be_bytes([b[8], b[9]]) as usize;
    let info = String::from_utf8(b[10..10 + len].to_vec()).unwrap();
    let mut at = 10 + len;
    let mut frames = Vec::new();
    while at < b.len() {
        assert_eq!(&b[at..at + 4], b"MEET");
        let ms = u32::from_be_bytes(b[at + 4..at + 8].try_into().unwrap());
        let n = u16::from_be_bytes([b[at + 8], b[at + 9]]) as usize;
        frames.push((ms, b[at + 10..at + 10 + n].to_vec()));
        at += 10 + n;
    }
    assert_eq!(at, b.len());
    Mjr { info, frames }
}

fn seq_ts(frame: &[u8]) -> (u16, u32) {
    (u16::from_be_bytes([frame[2], frame[3]]), u32::from_be_bytes(frame[4..8].try_into().unwrap()))
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("command runs");
    assert!(out.status.success(), "{cmd:?} failed:\n{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

/// `ffprobe` of the first stream: (codec name, packets, duration in seconds).
fn probe(path: &Path) -> (String, u64, f64) {
    let out = run(Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-count_packets",
            "-show_entries",
            "stream=codec_name,nb_read_packets:format=duration",
            "-of",
            "default=nw=1",
        ])
        .arg(path));
    let field = |k: &str| out.lines().find_map(|l| l.strip_prefix(&format!("{k}="))).unwrap_or_else(|| panic!("{k} in {out}")).to_string();
    (field("codec_name"), field("nb_read_packets").parse().unwrap(), field("duration").parse().unwrap())
}

fn postprocess(mjr: &Path, out: &Path) {
    run(Command::new("janus-pp-rec").arg(mjr).arg(out));
}

/// The Opus CELT-only 20 ms frame that decodes to silence.
const OPUS_SILENCE: [u8; 3] = [0xf8, 0xff, 0xfe];

/// Records 250 Opus packets of 20 ms whose input sequence numbers and timestamps wrap
/// around; with `switch`, another source with unrelated numbering takes over half way, 20 ms
/// later. Returns the .mjr path and the (seq, ts) written for each packet.
fn record_opus(dir: &Path, name: &str, switch: bool) -> (PathBuf, Vec<(u16, u32)>) {
    let rec = Rec::new(dir, "opus", Some(name));
    assert_eq!(filename(rec.0), format!("{name}.mjr"));
    for i in 0..250u32 {
        let (seq, ts, ssrc) = if i < 125 || !switch {
            (65_400u16.wrapping_add(i as u16), (u32::MAX - 100_000).wrapping_add(i * 960), 1)
        } else {
            (7 + i as u16, 33 + i * 960, 2)
        };
        if switch && i == 125 {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let mut p = rtp(111, false, seq, ts, ssrc, &OPUS_SILENCE);
        let copy = p.clone();
        assert_eq!(rec.save(&mut p), 0);
        assert_eq!(p, copy, "the caller's packet is restored");
    }
    rec.finish();
    let path = dir.join(format!("{name}.mjr"));
    let mjr = read_mjr(&path);
    assert!(mjr.info.starts_with(r#"{"t": "a", "c": "opus", "s": "#), "{}", mjr.info);
    assert_eq!(mjr.frames.len(), 250);
    (path, mjr.frames.iter().map(|f| seq_ts(&f.1)).collect())
}

#[test]
fn opus_recording_post_processes() {
    let _g = serial();
    let dir = support::scratch_dir("rec-opus");
    let (mjr, numbers) = record_opus(&dir, "audio", false);
    for (i, &n) in numbers.iter().enumerate() {
        assert_eq!(n, (i as u16 + 1, i as u32 * 960));
    }
    let opus = dir.join("audio.opus");
    postprocess(&mjr, &opus);
    let (codec, packets, duration) = probe(&opus);
    assert_eq!((codec.as_str(), packets), ("opus", 250));
    assert!((4.9..5.1).contains(&duration), "duration {duration}");
}

#[test]
fn opus_recording_across_an_ssrc_switch_stays_continuous() {
    let _g = serial();
    let dir = support::scratch_dir("rec-opus-switch");
    let (mjr, numbers) = record_opus(&dir, "switch", true);
    for (i, &n) in numbers.iter().enumerate().take(125) {
        assert_eq!(n, (i as u16 + 1, i as u32 * 960));
    }
    // After the switch: continuous sequence numbers, timestamp moved on by the 20+ ms elapsed.
    let (seq, ts) = numbers[125];
    let gap = ts - numbers[124].1;
    assert_eq!(seq, 126);
    assert!((960..960 * 5).contains(&gap), "gap {gap}");
    for (i, &n) in numbers.iter().enumerate().skip(125) {
        assert_eq!(n, (i as u16 + 1, ts + (i as u32 - 125) * 960));
    }
    // The SSRC is recorded as received: janus-pp-rec keeps the first source only, as it does
    // with Janus' own recordings.
    let opus = dir.join("switch.opus");
    let log = run(Command::new("janus-pp-rec").arg(&mjr).arg(&opus));
    assert!(log.contains("Dropping packet with unexpected SSRC: 2 != 1"), "{log}");
    assert_eq!(probe(&opus).1, 125);
}

/// Real VP8 frames out of ffmpeg (IVF container), packetized per RFC 7741.
fn vp8_frames(dir: &Path) -> Vec<(u64, Vec<u8>)> {
    let ivf = dir.join("in.ivf");
    run(Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=10", "-t", "2", "-c:v", "libvpx", "-f", "ivf"])
        .arg(&ivf));
    let b = std::fs::read(&ivf).unwrap();
    assert_eq!(&b[..4], b"DKIF");
    let mut at = u16::from_le_bytes([b[6], b[7]]) as usize;
    let mut frames = Vec::new();
    while at + 12 <= b.len() {
        let size = u32::from_le_bytes(b[at..at + 4].try_into().unwrap()) as usize;
        let pts = u64::from_le_bytes(b[at + 4..at + 12].try_into().unwrap());
        frames.push((pts, b[at + 12..at + 12 + size].to_vec()));
        at += 12 + size;
    }
    frames
}

#[test]
fn vp8_recording_post_processes_to_webm() {
    let _g = serial();
    let dir = support::scratch_dir("rec-vp8");
    let frames = vp8_frames(&dir);
    assert_eq!(frames.len(), 20);
    let rec = Rec::new(&dir, "VP8", Some("video"));
    let mut seq = 65_500u16;
    for (pts, frame) in &frames {
        let chunks: Vec<&[u8]> = frame.chunks(300).collect();
        for (i, chunk) in chunks.iter().enumerate() {
            // Payload descriptor: S bit on the first packet of a frame, partition 0.
            let mut payload = vec![if i == 0 { 0x10 } else { 0x00 }];
            payload.extend_from_slice(chunk);
            let mut p = rtp(96, i + 1 == chunks.len(), seq, 1_000_000 + *pts as u32 * 9000, 0xfeed, &payload);
            assert_eq!(rec.save(&mut p), 0);
            seq = seq.wrapping_add(1);
        }
    }
    rec.finish();
    let mjr = read_mjr(&dir.join("video.mjr"));
    assert!(mjr.info.starts_with(r#"{"t": "v", "c": "VP8", "s": "#), "{}", mjr.info);
    let last = seq_ts(&mjr.frames.last().unwrap().1);
    assert_eq!(last, (mjr.frames.len() as u16, 19 * 9000));
    let webm = dir.join("video.webm");
    postprocess(&dir.join("video.mjr"), &webm);
    let (codec, packets, duration) = probe(&webm);
    assert_eq!((codec.as_str(), packets), ("vp8", 20));
    assert!((1.8..2.2).contains(&duration), "duration {duration}");
}

#[test]
fn info_header_is_janus_json_and_pp_rec_reads_it() {
    let _g = serial();
    let dir = support::scratch_dir("rec-info");
    let (d, codec, fmtp, name) = (cstr(dir.to_str().unwrap()), cstr("opus"), cstr("useinbandfec=1"), cstr("info"));
    let rc = unsafe { janus_recorder_create_full(d.as_ptr(), codec.as_ptr(), fmtp.as_ptr(), name.as_ptr()) };
    assert!(!rc.is_null());
    unsafe {
        assert_eq!(janus_recorder_description(rc, cstr("my \"mic\"").as_ptr()), 0);
        assert_eq!(janus_recorder_add_extmap(rc, 1, cstr("urn:ietf:params:rtp-hdrext:ssrc-audio-level").as_ptr()), 0);
        assert_eq!(janus_recorder_add_extmap(rc, 9, cstr("urn:old").as_ptr()), 0);
        assert_eq!(janus_recorder_add_extmap(rc, 9, cstr("urn:ietf:params:rtp-hdrext:sdes:mid").as_ptr()), 0);
        assert_eq!(janus_recorder_add_extmap(rc, 0, cstr("urn:x").as_ptr()), -1);
        assert_eq!(janus_recorder_add_extmap(rc, 16, cstr("urn:x").as_ptr()), -1);
        assert_eq!(janus_recorder_add_extmap(rc, 3, std::ptr::null()), -1);
        assert_eq!(janus_recorder_opusred(rc, 120), 0);
        assert_eq!(janus_recorder_encrypted(rc), 0);
    }
    let rec = Rec(rc);
    assert_eq!(rec.save(&mut rtp(111, false, 1, 1, 1, &OPUS_SILENCE)), 0);
    unsafe {
        // Once the header is out, it cannot change any more.
        assert_eq!(janus_recorder_add_extmap(rc, 2, cstr("urn:x").as_ptr()), -1);
        assert_eq!(janus_recorder_opusred(rc, 121), -1);
        assert_eq!(janus_recorder_encrypted(rc), -1);
        assert_eq!(janus_recorder_description(rc, cstr("late").as_ptr()), 0);
    }
    rec.finish();
    let mjr = read_mjr(&dir.join("info.mjr"));
    let prefix = r#"{"t": "a", "c": "opus", "f": "useinbandfec=1", "d": "my \"mic\"", "x": {"1": "urn:ietf:params:rtp-hdrext:ssrc-audio-level", "9": "urn:ietf:params:rtp-hdrext:sdes:mid"}, "s": "#;
    assert!(mjr.info.starts_with(prefix), "{}", mjr.info);
    assert!(mjr.info.contains(r#", "or": 120, "e": true}"#), "{}", mjr.info);
    // janus-pp-rec parses it back.
    let out = run(Command::new("janus-pp-rec").args(["--header", "-o"]).arg(dir.join("info.mjr")));
    for expected in [
        "This is an audio recording",
        "Codec:   opus",
        "fmtp: useinbandfec=1",
        "Audio level extension ID: 1",
        "contains RED packets",
        "end-to-end encrypted",
    ] {
        assert!(out.contains(expected), "{expected:?} in:\n{out}");
    }
    let json = run(Command::new("janus-pp-rec").args(["--json", "-d", "0"]).arg(dir.join("info.mjr")));
    assert!(json.contains("\"c\": \"opus\"") || json.contains("\"c\":\"opus\""), "{json}");
}

#[test]
fn return_codes() {
    let _g = serial();
    let null = std::ptr::null_mut();
    unsafe {
        assert_eq!(janus_recorder_save_frame(null, null as *mut c_char, 10), -1);
        assert_eq!(janus_recorder_pause(null), -1);
        assert_eq!(janus_recorder_resume(null), -1);
        assert_eq!(janus_recorder_close(null), -1);
        assert_eq!(janus_recorder_add_extmap(null, 1, cstr("x").as_ptr()), -1);
        assert_eq!(janus_recorder_description(null, cstr("x").as_ptr()), -1);
        assert_eq!(janus_recorder_opusred(null, 1), -1);
        assert_eq!(janus_recorder_encrypted(null), -1);
        janus_recorder_destroy(null);
    }
    let dir = support::scratch_dir("rec-codes");
    let d = cstr(dir.to_str().unwrap());
    unsafe {
        assert!(janus_recorder_create(d.as_ptr(), cstr("isac").as_ptr(), cstr("x").as_ptr()).is_null());
        assert!(janus_recorder_create(d.as_ptr(), std::ptr::null(), cstr("x").as_ptr()).is_null());
        std::fs::write(dir.join("plain"), b"").unwrap();
        assert!(janus_recorder_create(cstr(dir.join("plain").to_str().unwrap()).as_ptr(), cstr("opus").as_ptr(), null as *const c_char)
            .is_null());
    }
    let rec = Rec::new(&dir.join("made/on/demand"), "pcmu", None);
    let name = filename(rec.0);
    assert!(name.starts_with("janus-recording-") && name.ends_with(".mjr"), "{name}");
    assert!(dir.join("made/on/demand").join(&name).is_file());
    let mut p = rtp(0, false, 1, 1, 1, &[0xff; 160]);
    unsafe {
        assert_eq!(janus_recorder_save_frame(rec.0, std::ptr::null_mut(), 10), -2);
        assert_eq!(janus_recorder_save_frame(rec.0, p.as_mut_ptr() as *mut c_char, 0), -2);
        assert_eq!(janus_recorder_resume(rec.0), -2);
        assert_eq!(janus_recorder_pause(rec.0), 0);
        assert_eq!(janus_recorder_pause(rec.0), -2);
    }
    assert_eq!(rec.save(&mut p), -5);
    unsafe { assert_eq!(janus_recorder_resume(rec.0), 0) };
    assert_eq!(rec.save(&mut p), 0);
    unsafe {
        assert_eq!(janus_recorder_close(rec.0), 0);
        assert_eq!(janus_recorder_close(rec.0), -1);
        assert_eq!(janus_recorder_pause(rec.0), 0, "pausing a closed recorder works, as in Janus");
    }
    assert_eq!(rec.save(&mut p), -4);
    unsafe {
        janus_recorder_destroy(rec.0);
    }
}

#[test]
fn pause_resume_keeps_numbering_continuous() {
    let _g = serial();
    let dir = support::scratch_dir("rec-pause");
    let rec = Rec::new(&dir, "opus", Some("paused"));
    let mut saved = 0;
    for i in 0..300u32 {
        match i {
            100 => assert_eq!(unsafe { janus_recorder_pause(rec.0) }, 0),
            200 => assert_eq!(unsafe { janus_recorder_resume(rec.0) }, 0),
            _ => {}
        }
        let r = rec.save(&mut rtp(111, false, 500 + i as u16, 9000 + i * 960, 5, &OPUS_SILENCE));
        assert_eq!(r, if (100..200).contains(&i) { -5 } else { 0 });
        saved += (r == 0) as usize;
    }
    rec.finish();
    let mjr = read_mjr(&dir.join("paused.mjr"));
    assert_eq!(mjr.frames.len(), saved);
    let numbers: Vec<(u16, u32)> = mjr.frames.iter().map(|f| seq_ts(&f.1)).collect();
    assert!(numbers.iter().enumerate().all(|(i, n)| n.0 == i as u16 + 1));
    // The pause leaves no gap: the first packet after resume is a tick or so after the last.
    let gap = numbers[100].1 - numbers[99].1;
    assert!((1..960).contains(&gap), "gap {gap}");
    assert!(numbers.windows(2).skip(100).all(|w| w[1].1 - w[0].1 == 960));
}

#[test]
fn data_recording_carries_real_time() {
    let _g = serial();
    let dir = support::scratch_dir("rec-data");
    let rec = Rec::new(&dir, "text", Some("chat"));
    let before = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_micros() as i64;
    let mut msg = b"hello there".to_vec();
    assert_eq!(rec.save(&mut msg), 0);
    assert_eq!(rec.save(&mut b"x".to_vec()), 0);
    rec.finish();
    let mjr = read_mjr(&dir.join("chat.mjr"));
    assert!(mjr.info.starts_with(r#"{"t": "d", "c": "text", "s": "#), "{}", mjr.info);
    let (_, first) = &mjr.frames[0];
    assert_eq!(first.len(), 8 + msg.len());
    let when = i64::from_be_bytes(first[..8].try_into().unwrap());
    assert!((before..before + 10_000_000).contains(&when));
    assert_eq!(&first[8..], b"hello there");
    assert_eq!(&mjr.frames[1].1[8..], b"x");
    let srt = dir.join("chat.srt");
    postprocess(&dir.join("chat.mjr"), &srt);
    let text = std::fs::read_to_string(&srt).unwrap();
    assert!(text.contains("hello there"), "{text}");
}

#[test]
fn temporary_extension_is_dropped_on_close() {
    let _g = serial();
    let dir = support::scratch_dir("rec-tmp");
    janus::record::init(true, Some("part"));
    let rec = Rec::new(&dir, "opus", Some("temp"));
    janus::record::deinit();
    assert_eq!(filename(rec.0), "temp.mjr.part");
    assert!(dir.join("temp.mjr.part").is_file());
    assert_eq!(rec.save(&mut rtp(111, false, 1, 1, 1, &OPUS_SILENCE)), 0);
    assert_eq!(unsafe { janus_recorder_close(rec.0) }, 0);
    assert_eq!(filename(rec.0), "temp.mjr");
    assert!(dir.join("temp.mjr").is_file() && !dir.join("temp.mjr.part").exists());
    unsafe { janus_recorder_destroy(rec.0) };
    // Default extension, and a recorder destroyed without closing still gets renamed.
    janus::record::init(true, None);
    let rec = Rec::new(&dir, "opus", Some("other"));
    janus::record::deinit();
    assert_eq!(filename(rec.0), "other.mjr.tmp");
    unsafe { janus_recorder_destroy(rec.0) };
    assert!(dir.join("other.mjr").is_file());
    assert_eq!(read_mjr(&dir.join("temp.mjr")).frames.len(), 1);
}

#[test]
fn filename_with_folder_and_no_dir() {
    let _g = serial();
    let dir = support::scratch_dir("rec-nodir");
    let name = cstr(dir.join("sub/rec").to_str().unwrap());
    let rc = unsafe { janus_recorder_create(std::ptr::null(), cstr("h264").as_ptr(), name.as_ptr()) };
    assert!(!rc.is_null());
    assert_eq!(filename(rc), "rec.mjr");
    let rc_dir = unsafe { CStr::from_ptr(*(rc as *const *const c_char)) }.to_str().unwrap().to_string();
    assert_eq!(PathBuf::from(rc_dir), dir.join("sub"));
    assert!(dir.join("sub/rec.mjr").is_file());
    Rec(rc).finish();
}

#[test]
fn c_module_reads_the_struct() {
    let _g = serial();
    let dir = support::scratch_dir("rec-c");
    let so = support::build_c_module("recorder_module", &["tests/c/recorder_module.c"], &support::manifest_dir().join("include"));
    let module = support::Module::open(&so).expect("module loads");
    let run: extern "C" fn(*const c_char, *mut c_char, usize) -> c_int =
        unsafe { std::mem::transmute(module.symbol("recorder_module_run").unwrap()) };
    let mut out = [0 as c_char; 512];
    let d = cstr(dir.to_str().unwrap());
    assert_eq!(run(d.as_ptr(), out.as_mut_ptr(), out.len()), 0);
    let text = unsafe { CStr::from_ptr(out.as_ptr()) }.to_str().unwrap();
    assert_eq!(text, format!("from-c.mjr|{}|vp8|profile-id=0", dir.display()));
    let mjr = read_mjr(&dir.join("from-c.mjr"));
    assert_eq!(mjr.frames.len(), 10);
    assert!(mjr.info.starts_with(r#"{"t": "v", "c": "vp8", "f": "profile-id=0", "s": "#));
}
