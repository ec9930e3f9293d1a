//! The switching-context exports, called as C modules call them: a context they embed (96
//! bytes, zeroed by reset) and a bare `janus_rtp_header *`.

use libc::c_int;

// The exports live in the library: link it in.
use janus as _;

extern "C" {
    fn janus_rtp_switching_context_reset(context: *mut [u8; 96]);
    fn janus_rtp_header_update(header: *mut u8, context: *mut [u8; 96], video: c_int, step: c_int);
    fn janus_rtp_skew_compensate_audio(header: *mut u8, context: *mut [u8; 96], now: i64) -> c_int;
    fn janus_rtp_skew_compensate_video(header: *mut u8, context: *mut [u8; 96], now: i64) -> c_int;
}

#[test]
fn exports_rewrite_the_header_and_fill_the_context() {
    let mut ctx = [0xaau8; 96];
    unsafe { janus_rtp_switching_context_reset(&mut ctx) };
    assert_eq!(ctx, [0u8; 96]);
    // seq 0x1234, ts 0x00abcdef, ssrc 0x01020304, video.
    let mut header = [0x80, 96, 0x12, 0x34, 0x00, 0xab, 0xcd, 0xef, 1, 2, 3, 4];
    unsafe { janus_rtp_header_update(header.as_mut_ptr(), &mut ctx, 1, 3000) };
    assert_eq!(header, [0x80, 96, 0, 1, 0, 0, 0, 0, 1, 2, 3, 4]);
    // last_ssrc @0, base_ts @8, last_seq @28, base_seq @32, new_ssrc @44, last_time @64.
    assert_eq!(u32::from_ne_bytes(ctx[0..4].try_into().unwrap()), 0x01020304);
    assert_eq!(u32::from_ne_bytes(ctx[8..12].try_into().unwrap()), 0x00abcdef);
    assert_eq!(u16::from_ne_bytes([ctx[28], ctx[29]]), 1);
    assert_eq!(u16::from_ne_bytes([ctx[32], ctx[33]]), 0x1234);
    assert_eq!(i32::from_ne_bytes(ctx[44..48].try_into().unwrap()), 1);
    assert!(i64::from_ne_bytes(ctx[64..72].try_into().unwrap()) > 0, "monotonic time recorded");
    // Skew compensation first resets its state on the new SSRC and waits.
    assert_eq!(unsafe { janus_rtp_skew_compensate_video(header.as_mut_ptr(), &mut ctx, 1_000) }, 0);
    assert_eq!(i32::from_ne_bytes(ctx[44..48].try_into().unwrap()), 0);
    assert_eq!(i64::from_ne_bytes(ctx[72..80].try_into().unwrap()), 1_000, "reference_time");
    assert_eq!(unsafe { janus_rtp_skew_compensate_audio(header.as_mut_ptr(), &mut ctx, 2_000) }, 0);
    // NULL is harmless.
    unsafe {
        janus_rtp_switching_context_reset(std::ptr::null_mut());
        janus_rtp_header_update(std::ptr::null_mut(), &mut ctx, 0, 0);
        assert_eq!(janus_rtp_skew_compensate_audio(std::ptr::null_mut(), std::ptr::null_mut(), 0), 0);
    }
}
