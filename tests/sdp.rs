//! The SDP exports seen from C: the variadic offer/answer generators with every
//! JANUS_SDP_OA_* property, attribute formatting, module-style edits of the tree, the
//! read-only helpers, and the fuzzing corpus through janus_sdp_parse/janus_sdp_write.

mod support;

use std::ffi::{CStr, CString};
use std::sync::OnceLock;

use libc::{c_char, c_int, c_void, size_t};

// Link the core, whose exports the probe and the externs below resolve to.
use janus as _;

extern "C" {
    fn janus_sdp_parse(sdp: *const c_char, error: *mut c_char, errlen: size_t) -> *mut c_void;
    fn janus_sdp_write(sdp: *mut c_void) -> *mut c_char;
    fn janus_sdp_destroy(sdp: *mut c_void);
    fn g_free(p: *mut c_void);
}

fn probe() -> &'static support::Module {
    static MODULE: OnceLock<support::Module> = OnceLock::new();
    MODULE.get_or_init(|| {
        let so = support::build_c_module("sdp_probe", &["tests/c/sdp_probe.c"], &support::manifest_dir().join("include"));
        support::Module::open(&so).expect("probe loads against the core's exports")
    })
}

/// Takes ownership of a g_malloc'ed string from the probe.
fn take(p: *mut c_char) -> Option<String> {
    (!p.is_null()).then(|| {
        let s = unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned();
        unsafe { g_free(p as *mut c_void) };
        s
    })
}

fn crlf(lines: &str) -> String {
    lines.lines().map(|l| format!("{}\r\n", l.trim_start())).collect()
}

fn data(name: &str) -> String {
    std::fs::read_to_string(support::manifest_dir().join("tests/data/sdp").join(name)).unwrap()
}

fn offer(variant: c_int) -> Option<String> {
    let f: extern "C" fn(c_int) -> *mut c_char = unsafe { std::mem::transmute(probe().symbol("probe_offer").unwrap()) };
    take(f(variant))
}

fn offer_mline(variant: c_int) -> (c_int, Option<String>) {
    let f: extern "C" fn(c_int, *mut c_int) -> *mut c_char = unsafe { std::mem::transmute(probe().symbol("probe_offer_mline").unwrap()) };
    let mut res = 99;
    let text = take(f(variant, &mut res));
    (res, text)
}

fn answer(offer_text: &str, variant: c_int) -> (c_int, String) {
    let f: extern "C" fn(*const c_char, c_int, *mut c_int) -> *mut c_char =
        unsafe { std::mem::transmute(probe().symbol("probe_answer").unwrap()) };
    let c = CString::new(offer_text).unwrap();
    let mut res = 99;
    let text = take(f(c.as_ptr(), variant, &mut res)).unwrap();
    (res, text)
}

fn text_probe(name: &str, input: &str) -> Option<String> {
    let f: extern "C" fn(*const c_char) -> *mut c_char = unsafe { std::mem::transmute(probe().symbol(name).unwrap()) };
    let c = CString::new(input).unwrap();
    take(f(c.as_ptr()))
}

const RTCPFB_96: &str =
    "a=rtcp-fb:96 ccm fir\na=rtcp-fb:96 nack\na=rtcp-fb:96 nack pli\na=rtcp-fb:96 goog-remb\na=rtcp-fb:96 transport-cc\n";

#[test]
fn generate_offer_properties() {
    let head = |name: &str, addr: &str| format!("v=0\no=- 42 1 IN IP4 {addr}\ns={name}\nt=0 0\nc=IN IP4 {addr}\n");
    let expected = format!(
        "{}m=audio 9 UDP/TLS/RTP/SAVPF 111\nc=IN IP4 10.0.0.1\na=rtpmap:111 opus/48000/2\na=rtcp-fb:111 transport-cc\n\
         m=video 9 UDP/TLS/RTP/SAVPF 96\nc=IN IP4 10.0.0.1\na=rtpmap:96 VP8/90000\n{RTCPFB_96}\
         m=application 9 UDP/DTLS/SCTP webrtc-datachannel\nc=IN IP4 10.0.0.1\na=sctp-port:5000\n",
        head("probe", "10.0.0.1")
    );
    assert_eq!(offer(0).unwrap(), crlf(&expected));
    // PT is ignored for audio (always 111); ids outside 1..14 dropped; disabled m-line skipped.
    let expected = format!(
        "{}m=audio 9 UDP/TLS/RTP/SAVPF 120 111 126\nc=IN IP4 127.0.0.1\na=sendonly\na=mid:a0\na=msid:stream track-a\n\
         a=rtpmap:120 red/48000/2\na=rtpmap:111 PCMU/8000\na=rtpmap:126 telephone-event/8000\na=rtcp-fb:111 transport-cc\n\
         a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\na=fmtp:120 111/111\na=fmtp:111 x=1\n\
         m=video 9 UDP/TLS/RTP/SAVPF 98\nc=IN IP4 127.0.0.1\na=recvonly\na=mid:v1\na=rtpmap:98 VP9/90000\n\
         a=rtcp-fb:98 transport-cc\na=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\na=fmtp:98 profile-id=2\n\
         m=application 9 DTLS/SCTP 5000\nc=IN IP4 127.0.0.1\na=mid:d2\na=sctpmap:5000 webrtc-datachannel 16\n",
        head("Janus session", "127.0.0.1")
    );
    assert_eq!(offer(1).unwrap(), crlf(&expected));
    // An unaccepted property consumes nothing.
    let expected = format!(
        "{}m=video 9 UDP/TLS/RTP/SAVPF 96\nc=IN IP4 1.1.1.1\na=rtpmap:96 H264/90000\n{RTCPFB_96}\
         a=fmtp:96 profile-level-id=42e01f;packetization-mode=1\n",
        head("p", "1.1.1.1")
    );
    assert_eq!(offer(2).unwrap(), crlf(&expected));
    assert_eq!(offer(3), None);
    assert_eq!(offer(4), None);
}

#[test]
fn generate_offer_mline_properties() {
    let head = "v=0\no=- 42 1 IN IP4 2.2.2.2\ns=m\nt=0 0\nc=IN IP4 2.2.2.2\n";
    let video = "m=video 9 UDP/TLS/RTP/SAVPF 102\nc=IN IP4 2.2.2.2\na=inactive\na=mid:v\na=msid:s t\na=rtpmap:102 H264/90000\n\
        a=rtcp-fb:102 ccm fir\na=rtcp-fb:102 nack\na=rtcp-fb:102 nack pli\na=rtcp-fb:102 goog-remb\na=rtcp-fb:102 transport-cc\n\
        a=extmap:2 urn:two\na=extmap:9 urn:nine\na=fmtp:102 profile-level-id=42e01f;packetization-mode=1\n";
    assert_eq!(offer_mline(0), (0, Some(crlf(&format!("{head}{video}")))));
    let audio = "m=audio 9 UDP/TLS/RTP/SAVPF 63 111\nc=IN IP4 2.2.2.2\na=rtpmap:63 red/48000/2\na=rtpmap:111 opus/48000/2\n\
        a=rtcp-fb:111 transport-cc\na=extmap:1 urn:a\na=extmap:14 urn:c\na=fmtp:63 111/111\na=fmtp:111 useinbandfec=1\n";
    assert_eq!(offer_mline(1), (0, Some(crlf(&format!("{head}{audio}")))));
    let data = "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\nc=IN IP4 2.2.2.2\na=mid:d\na=sctp-port:5000\n";
    assert_eq!(offer_mline(2), (0, Some(crlf(&format!("{head}{data}")))));
    assert_eq!(offer_mline(3), (-2, Some(crlf(head))));
    assert_eq!(offer_mline(4), (-5, Some(crlf(head))));
    // Any known rtpmap is accepted, even a video one on audio.
    let odd = "m=audio 9 UDP/TLS/RTP/SAVPF 111\nc=IN IP4 2.2.2.2\na=rtpmap:111 VP8/90000\na=rtcp-fb:111 transport-cc\n";
    assert_eq!(offer_mline(5), (0, Some(crlf(&format!("{head}{odd}")))));
    assert_eq!(offer_mline(6), (-4, None));
    assert_eq!(offer_mline(7), (-1, Some(crlf(head))));
}

#[test]
fn generate_answer_mline_properties() {
    let chrome = data("chrome-offer.sdp");
    let head = "v=0\no=- 42 2 IN IP4 127.0.0.1\ns=-\nt=0 0\nc=IN IP4 127.0.0.1\n";
    let expected = format!(
        "{head}m=audio 9 UDP/TLS/RTP/SAVPF 63 111 126\nc=IN IP4 127.0.0.1\na=recvonly\na=msid:janus janusa\n\
         a=rtpmap:63 red/48000/2\na=rtpmap:111 opus/48000/2\na=rtpmap:126 telephone-event/8000\na=fmtp:63 111/111\n\
         a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\n\
         m=video 9 UDP/TLS/RTP/SAVPF 96\nc=IN IP4 127.0.0.1\na=recvonly\na=msid:janus janusa\na=rtpmap:96 VP8/90000\n\
         a=rtcp-fb:96 transport-cc\na=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\n\
         m=application 9 UDP/DTLS/SCTP webrtc-datachannel\nc=IN IP4 127.0.0.1\n"
    );
    assert_eq!(answer(&chrome, 0), (0, crlf(&expected)));
    let expected = format!(
        "{head}m=audio 9 UDP/TLS/RTP/SAVPF 8\nc=IN IP4 127.0.0.1\na=rtpmap:8 PCMA/8000\na=fmtp:8 custom=1\n\
         m=video 9 UDP/TLS/RTP/SAVPF 102\nc=IN IP4 127.0.0.1\na=recvonly\na=rtpmap:102 H264/90000\n\
         a=rtcp-fb:102 ccm fir\na=rtcp-fb:102 nack\na=rtcp-fb:102 nack pli\na=rtcp-fb:102 goog-remb\na=rtcp-fb:102 transport-cc\n\
         a=fmtp:102 profile-level-id=42001F;packetization-mode=1\n\
         m=application 9 UDP/DTLS/SCTP webrtc-datachannel\nc=IN IP4 127.0.0.1\n"
    );
    assert_eq!(answer(&chrome, 1), (0, crlf(&expected)));
    let rejected = format!(
        "{head}m=audio 0 UDP/TLS/RTP/SAVPF 0\nc=IN IP4 127.0.0.1\na=inactive\n\
         m=video 0 UDP/TLS/RTP/SAVPF 0\nc=IN IP4 127.0.0.1\na=inactive\n\
         m=application 0 UDP/DTLS/SCTP webrtc-datachannel\nc=IN IP4 127.0.0.1\na=inactive\n"
    );
    assert_eq!(answer(&chrome, 2), (0, crlf(&rejected)));
    assert_eq!(answer(&chrome, 3), (-2, crlf(&rejected)));
    assert_eq!(answer(&chrome, 4), (-3, crlf(&rejected)));
    assert_eq!(answer("v=0\r\nx\r\n", 0).1, "Invalid line (1 bytes): x");
}

#[test]
fn attribute_create_formats_into_512_bytes() {
    let f: extern "C" fn(c_int) -> *mut c_char = unsafe { std::mem::transmute(probe().symbol("probe_attribute").unwrap()) };
    let v = "126 profile-level-id=42e01f;packetization-mode=1";
    assert_eq!(take(f(0)).unwrap(), format!("fmtp|{v}|0|{}", v.len()));
    assert_eq!(take(f(1)).unwrap(), format!("long|{}|0|511", "z".repeat(511)));
    assert_eq!(take(f(2)).unwrap(), "flag|(none)|0|0");
    assert_eq!(take(f(3)), None);
}

#[test]
fn module_style_edits_are_written_and_freed() {
    let input = crlf(
        "v=0\no=- 1 1 IN IP4 1.1.1.1\ns=-\nt=0 0\nc=IN IP4 1.1.1.1\nm=audio 5000 RTP/AVP 0 8\na=rtpmap:0 PCMU/8000\n\
         a=ssrc:1 cname:x\na=sendrecv\nm=video 5002 RTP/AVP 96 97\na=rtpmap:96 VP8/90000\na=rtpmap:97 H264/90000\n\
         a=fmtp:97 profile-level-id=42e01f\nm=application 5004 UDP/DTLS/SCTP webrtc-datachannel\na=mid:d\na=sctp-port:5000\n",
    );
    let expected = crlf(
        "v=0\no=- 1 2 IN IP4 1.1.1.1\ns=Edited\nt=0 0\nc=IN IP4 192.0.2.1\nm=audio 5000 RTP/AVP 0 8\nc=IN IP4 192.0.2.2\n\
         a=sendonly\na=rtpmap:0 PCMU/8000\na=ptime:20\na=label:mic-1\nm=video 5002 RTP/AVP 96\nb=AS:256\na=sendrecv\n\
         a=rtpmap:96 VP8/90000\nm=application 0 UDP/DTLS/SCTP webrtc-datachannel\na=sendrecv\na=mid:d\n",
    );
    assert_eq!(text_probe("probe_mutation", &input).unwrap(), expected);
    assert_eq!(text_probe("probe_mutation", "v=0\r\nm=x\r\n").unwrap(), "Invalid m= line: m=x");
}

#[test]
fn read_only_helpers_from_c() {
    let out = text_probe("probe_helpers", &data("chrome-offer.sdp")).unwrap();
    assert_eq!(
        out,
        "first_audio=opus first_video=vp8 preferred_video=vp8 video_index=1 same=1 fmtp=minptime=10;useinbandfec=1 \
         inside=1 opus=111 h264_42001f=102 vp9_2=100 red=63 name63=red name0=pcmu rtpmap=H265/90000 codec=av1 \
         match=vp9 profile=42001f dir=3 dir_bad=5"
    );
}

/// Parses (and writes back when it parses) one input through the C entry points.
fn parse_and_write(input: &[u8]) {
    let mut text = input.to_vec();
    text.retain(|b| *b != 0);
    let c = CString::new(text).unwrap();
    let mut error = [0 as c_char; 128];
    unsafe {
        let sdp = janus_sdp_parse(c.as_ptr(), error.as_mut_ptr(), error.len());
        if sdp.is_null() {
            assert!(CStr::from_ptr(error.as_ptr()).to_bytes().len() < error.len());
        } else {
            let out = janus_sdp_write(sdp);
            assert!(!out.is_null());
            g_free(out as *mut c_void);
            janus_sdp_destroy(sdp);
        }
    }
}

#[test]
fn fuzz_corpus_survives() {
    let files = support::corpus("sdp_fuzzer");
    assert!(files.len() > 10, "corpus found");
    for (_, bytes) in &files {
        parse_and_write(bytes);
        // Every prefix of the smaller inputs too: cut lines, half m-lines.
        if bytes.len() < 4096 {
            for cut in (0..bytes.len()).step_by(13) {
                parse_and_write(&bytes[..cut]);
            }
        }
    }
}
