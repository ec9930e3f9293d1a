//! The exported rtp.c / utils.c codec helpers, called through their C entry points: fuzz seeds
//! (and every prefix of them) through every parser, ownership of what they hand out, and a C
//! module driving simulcast the way the VideoRoom plugin does.

mod support;

use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Once;

use janus::abi::codecs::*;
use janus::abi::rtp::*;
use janus::rtp::simulcast::SimulcastingContext;
use janus::rtp::switching::SwitchingContext;
use janus::rtp::vp8::SimulcastContext;
use janus::rtp::vp9::SvcInfo;

#[repr(C)]
struct GList {
    data: *mut c_void,
    next: *mut GList,
    prev: *mut GList,
}

extern "C" {
    fn g_strdup(s: *const c_char) -> *mut c_char;
    fn g_free(p: *mut c_void);
    fn g_list_free_full(list: *mut GList, free: unsafe extern "C" fn(*mut c_void));
    fn g_mutex_init(mutex: *mut u64);
    fn json_loads(input: *const c_char, flags: usize, error: *mut c_void) -> *mut c_void;
    fn json_delete(json: *mut c_void);
}

/// Panics inside an export are caught (the export then fails like Janus would), so a parser
/// bug would go unseen: count them instead, and require none.
static PANICS: AtomicUsize = AtomicUsize::new(0);

fn count_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            PANICS.fetch_add(1, Ordering::SeqCst);
            default(info);
        }));
    });
}

/// Every prefix length for the first 4 KiB, then every 1021st: the big seeds are 256 KiB, and
/// every prefix of those through every parser would take hours in a debug build.
fn prefix_lengths(len: usize) -> impl Iterator<Item = usize> {
    (0..=len.min(4096)).chain((4097..=len).step_by(1021)).chain(std::iter::once(len))
}

/// Three rids the simulcast code may learn SSRCs for, in a plugin-owned array.
struct Rids([*mut c_char; 3]);

impl Rids {
    fn new(names: [&str; 3]) -> Rids {
        Rids(names.map(|n| unsafe { g_strdup(CString::new(n).unwrap().as_ptr()) }))
    }
}

impl Drop for Rids {
    fn drop(&mut self) {
        for p in self.0 {
            unsafe { g_free(p as *mut c_void) };
        }
    }
}

/// Runs one (possibly malformed) buffer through every exported parser, checking that every
/// pointer handed back stays inside the buffer.
unsafe fn exercise(bytes: &[u8], mutex: *mut u64) {
    // An exact-size copy, so the buffer ends where `len` says.
    let mut owned = bytes.to_vec().into_boxed_slice();
    let buf = owned.as_mut_ptr() as *mut c_char;
    let len = owned.len() as c_int;
    let inside = |p: *const c_char, n: c_int| {
        let start = p as usize - buf as usize;
        assert!(n >= 0 && start + n as usize <= owned.len(), "pointer out of the buffer");
    };

    janus_is_rtp(buf, len as u32);
    let mut plen = -7;
    let payload = janus_rtp_payload(buf, len, &mut plen);
    let payload_view: &[u8] = if payload.is_null() {
        &[]
    } else {
        assert!(plen > 0);
        inside(payload, plen);
        std::slice::from_raw_parts(payload as *const u8, plen as usize)
    };

    for id in [-1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 255, 256] {
        let (mut vad, mut level) = (-1, -1);
        if janus_rtp_header_extension_parse_audio_level(buf, len, id, &mut vad, &mut level) == 0 {
            assert!((0..=1).contains(&vad) && (0..=127).contains(&level));
        }
        let (mut c, mut f, mut r1, mut r0) = (0, 0, 0, 0);
        janus_rtp_header_extension_parse_video_orientation(buf, len, id, &mut c, &mut f, &mut r1, &mut r0);
        let (mut min, mut max) = (0u16, 0u16);
        if janus_rtp_header_extension_parse_playout_delay(buf, len, id, &mut min, &mut max) == 0 {
            assert!(min < 4096 && max < 4096);
        }
        for size in [0usize, 1, 2, 16, 300] {
            let mut item = vec![0x55 as c_char; size];
            let rc = janus_rtp_header_extension_parse_rid(buf, len, id, item.as_mut_ptr(), size as c_int);
            if rc == 0 {
                assert!(item.contains(&0), "rid not terminated");
            }
        }
    }

    // The codec helpers see both the whole buffer and the RTP payload (when there is one).
    for data in [&owned[..], payload_view] {
        let (p, n) = (data.as_ptr() as *const c_char, data.len() as c_int);
        janus_vp8_is_keyframe(p, n);
        janus_vp9_is_keyframe(p, n);
        janus_h264_is_keyframe(p, n);
        janus_h265_is_keyframe(p, n);
        janus_av1_is_keyframe(p, n);
        let mut found = -1;
        let mut info = SvcInfo::default();
        janus_vp9_parse_svc(p as *mut c_char, n, &mut found, &mut info);
        let mut copy = data.to_vec().into_boxed_slice();
        let mut ctx = SimulcastContext::default();
        janus_vp8_simulcast_descriptor_update(copy.as_mut_ptr() as *mut c_char, n, &mut ctx, 1);
        janus_vp8_simulcast_descriptor_update(copy.as_mut_ptr() as *mut c_char, n, &mut ctx, 0);

        let list = janus_red_parse_blocks(p as *mut c_char, n) as *mut GList;
        let mut node = list;
        while !node.is_null() {
            let block = &*((*node).data as *const RedBlock);
            if !block.data.is_null() {
                let start = block.data as usize - p as usize;
                assert!(start + usize::from(block.length) <= data.len(), "RED block out of the buffer");
            }
            node = (*node).next;
        }
        g_list_free_full(list, g_free);
    }

    // Simulcast: by SSRC (the packet's own, so it is known) and by rid with every extension id.
    let ssrc = if owned.len() >= 12 { u32::from_be_bytes([owned[8], owned[9], owned[10], owned[11]]) } else { 1 };
    let rids = Rids::new(["l", "m", "h"]);
    for vcodec in 0..=6 {
        for rid_ext_id in [-1, 1, 3, 4, 10, 14] {
            let mut ctx = SimulcastingContext::default();
            janus_rtp_simulcasting_context_reset(&mut ctx);
            ctx.rid_ext_id = rid_ext_id;
            ctx.substream_target = 2;
            ctx.templayer_target = 0;
            let mut sc = SwitchingContext::default();
            let mut by_ssrc = [ssrc, 0, 0];
            let mut learnt = [0u32; 3];
            for _ in 0..2 {
                janus_rtp_simulcasting_context_process_rtp(
                    &mut ctx,
                    buf,
                    len,
                    by_ssrc.as_mut_ptr(),
                    std::ptr::null_mut(),
                    vcodec,
                    &mut sc,
                    std::ptr::null_mut(),
                );
                janus_rtp_simulcasting_context_process_rtp(
                    &mut ctx,
                    buf,
                    len,
                    learnt.as_mut_ptr(),
                    rids.0.as_ptr() as *mut _,
                    vcodec,
                    &mut sc,
                    mutex as *mut _,
                );
            }
            assert!(ctx.substream >= -1 && ctx.substream <= 2);
        }
    }
}

#[test]
fn fuzz_corpus_and_every_prefix_through_every_parser() {
    count_panics();
    let mut mutex = 0u64;
    unsafe { g_mutex_init(&mut mutex) };
    let mut runs = 0;
    for (_, bytes) in support::corpus("rtp_fuzzer") {
        for n in prefix_lengths(bytes.len()) {
            unsafe { exercise(&bytes[..n], &mut mutex) };
            runs += 1;
        }
    }
    assert!(runs > 10_000);
    assert_eq!(PANICS.load(Ordering::SeqCst), 0, "a parser panicked (caught by the export guard)");
}

fn rtp_packet(ssrc: u32, ext: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut p = vec![if ext.is_empty() { 0x80 } else { 0x90 }, 96, 0, 7, 0, 0, 0, 9];
    p.extend_from_slice(&ssrc.to_be_bytes());
    if !ext.is_empty() {
        p.extend_from_slice(&[0xbe, 0xde]);
        p.extend_from_slice(&((ext.len() / 4) as u16).to_be_bytes());
        p.extend_from_slice(ext);
    }
    p.extend_from_slice(payload);
    p
}

#[test]
fn payload_and_extension_exports() {
    let mut p = rtp_packet(5, &[0x10, 0x8a, 0x40, 0x0d, 0x51, b'h', b'i', 0], &[1, 2, 3]);
    let buf = p.as_mut_ptr() as *mut c_char;
    let len = p.len() as c_int;
    unsafe {
        let mut plen = 0;
        let payload = janus_rtp_payload(buf, len, &mut plen);
        assert_eq!((payload.offset_from(buf), plen), (24, 3));
        assert!(janus_rtp_payload(buf, 12, &mut plen).is_null());
        assert!(janus_rtp_payload(std::ptr::null_mut(), len, &mut plen).is_null());
        assert_eq!(janus_is_rtp(buf, len as u32), 1);
        assert_eq!(janus_is_rtp(buf, 11), 0);

        let (mut vad, mut level) = (0, 0);
        assert_eq!(janus_rtp_header_extension_parse_audio_level(buf, len, 1, &mut vad, &mut level), 0);
        assert_eq!((vad, level), (1, 10));
        assert_eq!(janus_rtp_header_extension_parse_audio_level(buf, len, 2, &mut vad, &mut level), -1);
        let mut bits = [9; 4];
        let [c, f, r1, r0] = bits.each_mut().map(|b| b as *mut c_int);
        assert_eq!(janus_rtp_header_extension_parse_video_orientation(buf, len, 4, c, f, r1, r0), 0);
        assert_eq!(bits, [1, 1, 0, 1]);
        let mut rid = [0x55 as c_char; 8];
        assert_eq!(janus_rtp_header_extension_parse_rid(buf, len, 5, rid.as_mut_ptr(), 8), 0);
        assert_eq!(CStr::from_ptr(rid.as_ptr()).to_bytes(), b"hi");
        assert_eq!(janus_rtp_header_extension_parse_rid(buf, len, 5, rid.as_mut_ptr(), 2), 0);
        assert_eq!(CStr::from_ptr(rid.as_ptr()).to_bytes(), b"h");
        let (mut min, mut max) = (7u16, 7u16);
        assert_eq!(janus_rtp_header_extension_parse_playout_delay(buf, len, 4, &mut min, &mut max), -2);

        let uri = CString::new("urn:ietf:params:rtp-hdrext:sdes:mid").unwrap();
        assert_eq!(janus_rtp_extension_id(uri.as_ptr()), 4);
        assert_eq!(janus_rtp_extension_id(std::ptr::null()), 0);
        let sdp = CString::new("v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=extmap:11 urn:ietf:params:rtp-hdrext:sdes:mid\r\n").unwrap();
        assert_eq!(janus_rtp_header_extension_get_id(sdp.as_ptr(), uri.as_ptr()), 11);
        assert_eq!(janus_rtp_header_extension_get_id(std::ptr::null(), uri.as_ptr()), -1);
    }
}

#[test]
fn codec_and_srtp_exports() {
    let name = |p: *const c_char| unsafe { CStr::from_ptr(p) }.to_str().unwrap();
    let c = |s: &str| CString::new(s).unwrap();
    assert_eq!(unsafe { janus_audiocodec_from_name(c("PCMA").as_ptr()) }, 5);
    assert_eq!(unsafe { janus_audiocodec_from_name(c("speex").as_ptr()) }, 0);
    assert_eq!(unsafe { janus_audiocodec_from_name(std::ptr::null()) }, 0);
    assert_eq!(name(janus_audiocodec_name(3)), "red");
    assert_eq!(name(janus_audiocodec_name(99)), "opus");
    assert_eq!((janus_audiocodec_pt(0), janus_audiocodec_pt(6), janus_audiocodec_pt(9)), (-1, 9, 105));
    assert_eq!(unsafe { janus_videocodec_from_name(c("Vp9").as_ptr()) }, 2);
    assert_eq!(name(janus_videocodec_name(4)), "av1");
    assert_eq!(name(janus_videocodec_name(-1)), "vp8");
    assert_eq!((janus_videocodec_pt(3), janus_videocodec_pt(5), janus_videocodec_pt(77)), (107, 100, 96));
    assert_eq!(name(janus_srtp_error_str(2)), "srtp_err_status_bad_param");
    assert!(janus_srtp_error_str(25).is_null());
    assert!(janus_srtp_error_str(-1).is_null());

    let mut key = [0u8; 30];
    assert_eq!(unsafe { srtp_crypto_get_random(key.as_mut_ptr(), 30) }, 0);
    let mut other = [0u8; 30];
    assert_eq!(unsafe { srtp_crypto_get_random(other.as_mut_ptr(), 30) }, 0);
    assert_ne!(key, other);
    assert_eq!(unsafe { srtp_crypto_get_random(std::ptr::null_mut(), 4) }, -1);
}

#[test]
fn simulcast_prepare_and_cleanup() {
    let json = |s: &str| unsafe { json_loads(CString::new(s).unwrap().as_ptr(), 0, std::ptr::null_mut()) };
    let mut rid_ext_id = -1;
    let mut ssrcs = [0u32; 3];
    let mut rids: [*mut c_char; 3] = [std::ptr::null_mut(); 3];
    let mut mutex = 0u64;
    unsafe {
        g_mutex_init(&mut mutex);
        let obj = json(r#"{"rids": ["h", "m", "l"], "rid-ext": 4, "ssrcs": [1, 2, 3]}"#);
        janus_rtp_simulcasting_prepare(obj as *mut _, &mut rid_ext_id, ssrcs.as_mut_ptr(), rids.as_mut_ptr());
        json_delete(obj);
        let got: Vec<&str> = rids.iter().map(|&p| CStr::from_ptr(p).to_str().unwrap()).collect();
        assert_eq!((got, rid_ext_id, ssrcs), (vec!["l", "m", "h"], 4, [0, 0, 0]));
        janus_rtp_simulcasting_cleanup(&mut rid_ext_id, ssrcs.as_mut_ptr(), rids.as_mut_ptr(), &mut mutex as *mut u64 as *mut _);
        assert_eq!((rids.iter().all(|p| p.is_null()), rid_ext_id), (true, -1));

        // Two rids only: the third slot stays empty. More than three: the last three, reversed.
        let obj = json(r#"{"rids": ["f", "q"]}"#);
        janus_rtp_simulcasting_prepare(obj as *mut _, &mut rid_ext_id, ssrcs.as_mut_ptr(), rids.as_mut_ptr());
        json_delete(obj);
        assert_eq!(
            (CStr::from_ptr(rids[0]).to_bytes(), CStr::from_ptr(rids[1]).to_bytes(), rids[2].is_null()),
            (&b"q"[..], &b"f"[..], true)
        );
        assert_eq!(rid_ext_id, 0);
        janus_rtp_simulcasting_cleanup(std::ptr::null_mut(), std::ptr::null_mut(), rids.as_mut_ptr(), std::ptr::null_mut());
        let obj = json(r#"{"rids": ["a", "b", "c", "d", 5]}"#);
        janus_rtp_simulcasting_prepare(obj as *mut _, &mut rid_ext_id, ssrcs.as_mut_ptr(), rids.as_mut_ptr());
        json_delete(obj);
        assert!(rids[0].is_null());
        assert_eq!((CStr::from_ptr(rids[1]).to_bytes(), CStr::from_ptr(rids[2]).to_bytes()), (&b"d"[..], &b"c"[..]));
        janus_rtp_simulcasting_cleanup(std::ptr::null_mut(), ssrcs.as_mut_ptr(), rids.as_mut_ptr(), std::ptr::null_mut());

        // SSRC based: at most three, non-integers skipped.
        let obj = json(r#"{"ssrcs": [11, "x", 33, 44]}"#);
        janus_rtp_simulcasting_prepare(obj as *mut _, &mut rid_ext_id, ssrcs.as_mut_ptr(), rids.as_mut_ptr());
        json_delete(obj);
        assert_eq!(ssrcs, [11, 0, 33]);
        janus_rtp_simulcasting_cleanup(&mut rid_ext_id, ssrcs.as_mut_ptr(), std::ptr::null_mut(), std::ptr::null_mut());
        assert_eq!((ssrcs, rid_ext_id), ([0, 0, 0], -1));
    }
}

#[test]
fn red_blocks_point_into_the_buffer() {
    let mut red = [0xef, 0x0f, 0x00, 0x02, 0x6f, 0xaa, 0xbb, 0xcc];
    unsafe {
        let list = janus_red_parse_blocks(red.as_mut_ptr() as *mut c_char, red.len() as c_int) as *mut GList;
        let first = &*((*list).data as *const RedBlock);
        let second = &*((*(*list).next).data as *const RedBlock);
        assert!((*(*list).next).next.is_null());
        assert_eq!((first.pt, first.ts_offset, first.length), (111, 960, 2));
        assert_eq!(first.data, red.as_mut_ptr().add(5));
        assert_eq!((second.pt, second.ts_offset, second.length), (111, 0, 1));
        assert_eq!(second.data, red.as_mut_ptr().add(7));
        g_list_free_full(list, g_free);
        assert!(janus_red_parse_blocks(red.as_mut_ptr() as *mut c_char, 6).is_null());
        assert!(janus_red_parse_blocks(std::ptr::null_mut(), 6).is_null());
    }
}

#[test]
fn vp9_svc_export_reports_found_and_layers() {
    let mut p = [0xa8u8, 0x12, 0x53, 0x07, 0, 0, 0, 0];
    let mut found = 7;
    let mut info = SvcInfo::default();
    unsafe {
        assert_eq!(janus_vp9_parse_svc(p.as_mut_ptr() as *mut c_char, 8, &mut found, &mut info), 0);
        assert_eq!((found, info.spatial_layer, info.temporal_layer, info.ubit, info.dbit, info.bbit), (1, 1, 2, 1, 1, 1));
        p[0] = 0x88;
        assert_eq!(janus_vp9_parse_svc(p.as_mut_ptr() as *mut c_char, 8, &mut found, &mut info), 0);
        assert_eq!(found, 0);
        found = 7;
        assert_eq!(janus_vp9_parse_svc(p.as_mut_ptr() as *mut c_char, 7, &mut found, &mut info), -1);
        assert_eq!(found, 7);
    }
}

#[test]
fn c_module_drives_simulcast_like_the_videoroom() {
    let so = support::build_c_module("simulcast_videoroom", &["tests/c/simulcast_videoroom.c"], &support::manifest_dir().join("include"));
    let module = support::Module::open(&so).expect("module loads against the core's exports");
    let run: unsafe extern "C" fn(*mut c_char, usize) -> c_int =
        unsafe { std::mem::transmute(module.symbol("run_simulcast").expect("run_simulcast")) };
    let mut error = [0 as c_char; 256];
    let rc = unsafe { run(error.as_mut_ptr(), error.len()) };
    assert_eq!(rc, 0, "{}", unsafe { CStr::from_ptr(error.as_ptr()) }.to_string_lossy());
}

#[test]
fn corpus_seeds_give_the_expected_answers() {
    let dir = support::shared_dir().join("corpora/rtp_fuzzer/1meetecho");
    let mut audio = std::fs::read(dir.join("rtp_0_audio-with-ext")).unwrap();
    let mut video = std::fs::read(dir.join("rtp_1_video-with-ext")).unwrap();
    unsafe {
        // Audio: abs-send-time (2), transport-wide CC (3), audio level (1) = VAD, 127 -dBov.
        let (buf, len) = (audio.as_mut_ptr() as *mut c_char, audio.len() as c_int);
        let (mut vad, mut level) = (0, 0);
        assert_eq!(janus_rtp_header_extension_parse_audio_level(buf, len, 1, &mut vad, &mut level), 0);
        assert_eq!((vad, level), (1, 127));
        let mut plen = 0;
        assert_eq!(janus_rtp_payload(buf, len, &mut plen).offset_from(buf), 28);
        assert_eq!(plen, len - 28);
        // Video: VP8 with a 15-bit picture id, a continuation packet (no S bit).
        let (buf, len) = (video.as_mut_ptr() as *mut c_char, video.len() as c_int);
        let payload = janus_rtp_payload(buf, len, &mut plen);
        assert_eq!(payload.offset_from(buf), 24);
        assert_eq!(janus_vp8_is_keyframe(payload, plen), 0);
        assert_eq!(janus_rtp_header_extension_parse_audio_level(buf, len, 1, &mut vad, &mut level), -1);
    }
}
