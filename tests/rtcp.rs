//! The exported RTCP helpers, from Rust and from C: known packets give Janus' answers, and
//! every fuzzing seed (plus every prefix of it) goes through every export and parser without
//! a panic, a hang or a read outside the buffer.

mod support;

use janus::abi::rtcp::*;
use janus::rtcp::context::{Now, RtcpContext};
use janus::rtcp::fix::{fix_report_data, fix_ssrc, SsrcFix};
use janus::rtcp::{feedback, packet, query, twcc};
use libc::c_char;

fn seed(name: &str) -> Vec<u8> {
    std::fs::read(support::shared_dir().join("corpora/rtcp_fuzzer/1meetecho").join(name)).unwrap()
}

/// The exports take `char *`; each call gets its own exactly-sized copy.
fn with_copy<T>(bytes: &[u8], f: impl FnOnce(*mut c_char, i32) -> T) -> T {
    let mut copy = bytes.to_vec().into_boxed_slice();
    f(copy.as_mut_ptr().cast(), copy.len() as i32)
}

/// Everything the crate offers for incoming RTCP, on one buffer.
fn exercise(bytes: &[u8]) {
    let now = Now { monotonic_us: 10_000_000, unix_us: 1_700_000_000_000_000 };
    unsafe {
        with_copy(bytes, |p, n| janus_is_rtcp(p, n as u32));
        with_copy(bytes, |p, n| janus_rtcp_check_len(p.cast(), n));
        for size in [0, 4, 8, 12, 1, -4] {
            with_copy(bytes, |p, n| janus_rtcp_check_fci(p.cast(), n, size));
        }
        let mut ctx = RtcpContext { tb: 90000, ..Default::default() };
        for (c, fix) in [(std::ptr::null_mut(), 0), (&mut ctx as *mut RtcpContext, 0), (&mut ctx, 1)] {
            with_copy(bytes, |p, n| janus_rtcp_fix_ssrc(c, p, n, fix, 0x1234, 0x5678));
        }
        with_copy(bytes, |p, n| janus_rtcp_get_remb(p, n));
        with_copy(bytes, |p, n| janus_rtcp_get_sender_ssrc(p, n));
        with_copy(bytes, |p, n| janus_rtcp_has_fir(p, n));
        with_copy(bytes, |p, n| janus_rtcp_has_pli(p, n));
    }
    for p in packet::packets(bytes).map_while(Result::ok) {
        if let Some(fb) = twcc::parse(p.rest()) {
            assert!(fb.packets().count() <= usize::from(fb.status_count));
        }
    }
    let _ = query::receiver_ssrc(bytes);
    let _ = query::has_bye(bytes);
    if let Ok(seqs) = query::get_nacks(bytes) {
        // At most 17 numbers per 4-byte FCI.
        assert!(seqs.count() <= 17 * bytes.len() / 4);
    }
    let mut copy = bytes.to_vec();
    assert!(query::remove_nacks(&mut copy) <= bytes.len());
    let mut out = vec![0u8; bytes.len()];
    if let Some(n) = query::filter(bytes, &mut out) {
        assert!(n <= bytes.len());
    }
    let mut copy = bytes.to_vec();
    query::swap_report_blocks(&mut copy, 0);
    let mut copy = bytes.to_vec();
    let _ = feedback::cap_remb(&mut copy, 64_000);
    let mut copy = bytes.to_vec();
    let _ = fix_report_data(&mut copy, 1, 2, 3, 4, 0);
    let mut ctx = RtcpContext::default();
    let mut copy = bytes.to_vec();
    let _ = fix_ssrc(Some(&mut ctx), &mut copy, Some(SsrcFix { local: 1, remote: 2 }), now);
    let _ = ctx.process_incoming_rtp(bytes, false, false, false, 0, 1);
}

#[test]
fn corpus_and_every_prefix_survive_every_function() {
    let corpus = support::corpus("rtcp_fuzzer");
    assert_eq!(corpus.len(), 89);
    for (path, bytes) in &corpus {
        for end in 0..=bytes.len() {
            let result = std::panic::catch_unwind(|| exercise(&bytes[..end]));
            assert!(result.is_ok(), "{} (first {end} bytes)", path.display());
        }
    }
}

#[test]
fn known_seeds_give_janus_answers() {
    unsafe {
        let pli = seed("pli.rtcp");
        assert_eq!(with_copy(&pli, |p, n| janus_rtcp_has_pli(p, n)), 1);
        assert_eq!(with_copy(&pli, |p, n| janus_rtcp_get_sender_ssrc(p, n)), 0x8c08a05d);
        // An RFC 5104 FIR is not what janus_rtcp_has_fir looks for.
        let fir = seed("fir.rtcp");
        assert_eq!(with_copy(&fir, |p, n| janus_rtcp_has_fir(p, n)), 0);
        assert_eq!(with_copy(&seed("remb.rtcp"), |p, n| janus_rtcp_get_remb(p, n)), 128_000);
        // Exponent 4, mantissa 0x2a994.
        assert_eq!(with_copy(&seed("rr-remb.rtcp"), |p, n| janus_rtcp_get_remb(p, n)), 0x2a994 << 4);
        assert_eq!(with_copy(&seed("rr-sdes-bye.rtcp"), |p, n| janus_rtcp_get_sender_ssrc(p, n)), 0x1ca57379);
        assert_eq!(with_copy(&seed("sr-sdes.rtcp"), |p, n| janus_rtcp_get_sender_ssrc(p, n)), 0xae657257);
        assert_eq!(with_copy(&seed("sr-sdes.rtcp"), |p, n| janus_rtcp_fix_ssrc(std::ptr::null_mut(), p, n, 0, 0, 0)), 0);
        // A compound whose second packet lies about its length is an error for fix_ssrc.
        let mut lying = seed("rr-remb.rtcp");
        lying[35] = 0x40;
        assert_eq!(with_copy(&lying, |p, n| janus_rtcp_fix_ssrc(std::ptr::null_mut(), p, n, 0, 0, 0)), -2);
        assert_eq!(with_copy(&lying, |p, n| janus_rtcp_get_remb(p, n)), 0);
    }
    let seqs: Vec<u16> = query::get_nacks(&seed("nacks.rtcp")).unwrap().collect();
    assert_eq!(seqs, [0xa84f, 0xa84f + 4]);
    assert!(query::has_bye(&seed("rr-sdes-bye.rtcp")));
    let twcc_seed = seed("twcc-feedback.rtcp");
    let fb = twcc::parse(&twcc_seed).unwrap();
    assert_eq!((fb.base_seq, fb.status_count, fb.reference_time, fb.fb_pkt_count), (0x0a74, 10, 0x053f58, 0xbb));
    let deltas: Vec<u32> = fb.packets().map(|s| s.delta_us / 250).collect();
    assert_eq!(deltas, [0xe0, 0, 4, 0, 0, 0, 0, 0, 0x14, 0]);
}

#[test]
fn generators_through_the_exports() {
    unsafe {
        let mut buf = [0x55u8; 24];
        assert_eq!(janus_rtcp_pli(buf.as_mut_ptr().cast(), 12), 12);
        assert_eq!(&buf[..12], &[0x81, 0xce, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(&buf[12..], &[0x55; 12]);
        assert_eq!(janus_rtcp_pli(buf.as_mut_ptr().cast(), 24), -1);
        assert_eq!(janus_rtcp_remb(buf.as_mut_ptr().cast(), 24, 128_000), 24);
        assert_eq!(&buf[..], &[0x8f, 0xce, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, b'R', b'E', b'M', b'B', 1, 1, 0xf4, 0, 0, 0, 0, 0]);
        assert_eq!(janus_rtcp_remb(buf.as_mut_ptr().cast(), 23, 1), -1);
        assert_eq!(janus_rtcp_remb(std::ptr::null_mut(), 24, 1), -1);
        assert_eq!(janus_rtcp_get_remb(std::ptr::null_mut(), 24), 0);
        assert_eq!(janus_rtcp_check_len(std::ptr::null_mut(), 24), 0);
        assert_eq!(janus_rtcp_check_fci(buf.as_mut_ptr(), 24, 2), 0);
    }
}

#[test]
fn a_c_module_reads_our_packets_through_janus_structs() {
    let so = support::build_c_module("rtcp_user", &["tests/c/rtcp_user.c"], &support::manifest_dir().join("include"));
    let module = support::Module::open(&so).unwrap();
    let run: extern "C" fn() -> i32 = unsafe { std::mem::transmute(module.symbol("rtcp_user_run").unwrap()) };
    assert_eq!(run(), 0, "first failing check in tests/c/rtcp_user.c");
}
