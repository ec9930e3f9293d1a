//! Exports of Janus' `rtcp.c`. Janus returns -1/0/FALSE for NULL or empty input and -2 from
//! `janus_rtcp_fix_ssrc` for malformed compounds; so do these, and since the core only
//! touches the `len` bytes it is given, lying length fields cannot make it read further.
//!
//! Safety contract of every export (Janus' own): a non-NULL `packet`/`buf`/`rtcp` points to
//! `len` accessible bytes (writable for the generators and `janus_rtcp_fix_ssrc`), and a
//! non-NULL `ctx` to a `janus_rtcp_context` nobody else touches during the call.
#![allow(clippy::missing_safety_doc)]

use std::time::{SystemTime, UNIX_EPOCH};

use libc::{c_char, c_int, c_uint};

use super::guard;
use crate::rtcp::context::{Now, RtcpContext};
use crate::rtcp::fix::{fix_ssrc, SsrcFix};
use crate::rtcp::packet::{fci_fits, len_fits, HEADER_SIZE};
use crate::rtcp::{feedback, query};
use crate::sys::glib::{gboolean, FALSE, TRUE};

fn now() -> Now {
    let unix_us = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX));
    Now { monotonic_us: crate::utils::monotonic_time(), unix_us }
}

fn bool_to_c(b: bool) -> gboolean {
    if b {
        TRUE
    } else {
        FALSE
    }
}

/// The packet a `(char *packet, int len)` pair names; NULL or a non-positive length gives
/// `None`, which every caller below maps to Janus' answer for an empty packet.
///
/// # Safety
/// `packet` must be NULL or point to `len` readable bytes that outlive `'a`.
unsafe fn packet<'a>(packet: *const c_char, len: c_int) -> Option<&'a [u8]> {
    (!packet.is_null() && len > 0).then(|| std::slice::from_raw_parts(packet.cast::<u8>(), len as usize))
}

/// As [`packet`], for the functions that write into it.
///
/// # Safety
/// `packet` must be NULL or point to `len` writable bytes that outlive `'a`, not otherwise
/// borrowed for the call.
unsafe fn packet_mut<'a>(packet: *mut c_char, len: c_int) -> Option<&'a mut [u8]> {
    (!packet.is_null() && len > 0).then(|| std::slice::from_raw_parts_mut(packet.cast::<u8>(), len as usize))
}

/// The `length` field of a `janus_rtcp_header *`.
///
/// # Safety
/// `rtcp` must be non-NULL and point to at least 4 readable bytes.
unsafe fn header_length(rtcp: *const u8) -> u16 {
    let header = std::slice::from_raw_parts(rtcp, HEADER_SIZE);
    u16::from_be_bytes([header[2], header[3]])
}

#[no_mangle]
pub unsafe extern "C" fn janus_is_rtcp(buf: *mut c_char, len: c_uint) -> gboolean {
    guard(FALSE, || {
        if buf.is_null() || len < 8 {
            return FALSE;
        }
        bool_to_c(query::is_rtcp(std::slice::from_raw_parts(buf.cast::<u8>(), len as usize)))
    })
}

/// Janus reads the header only once `len` reaches 8; so does this (NULL is FALSE).
#[no_mangle]
pub unsafe extern "C" fn janus_rtcp_check_len(rtcp: *mut u8, len: c_int) -> gboolean {
    guard(FALSE, || {
        if rtcp.is_null() || len < 8 {
            return FALSE;
        }
        bool_to_c(len_fits(i64::from(len), header_length(rtcp)))
    })
}

/// Janus reads the header only once `len` holds the header, both SSRCs and one FCI; so
/// does this. FCI sizes 1..3 (a division by zero in Janus) give FALSE.
#[no_mangle]
pub unsafe extern "C" fn janus_rtcp_check_fci(rtcp: *mut u8, len: c_int, sizeof_fci: c_int) -> gboolean {
    guard(FALSE, || {
        if rtcp.is_null() || i64::from(len) < 12 + i64::from(sizeof_fci) {
            return FALSE;
        }
        bool_to_c(fci_fits(i64::from(len), header_length(rtcp), i64::from(sizeof_fci)))
    })
}

#[no_mangle]
pub unsafe extern "C" fn janus_rtcp_fix_ssrc(
    ctx: *mut RtcpContext,
    packet: *mut c_char,
    len: c_int,
    fixssrc: c_int,
    newssrcl: u32,
    newssrcr: u32,
) -> c_int {
    guard(-1, || {
        let Some(buf) = packet_mut(packet, len) else {
            return -1;
        };
        let fix = (fixssrc != 0).then_some(SsrcFix { local: newssrcl, remote: newssrcr });
        match fix_ssrc(ctx.as_mut(), buf, fix, now()) {
            Ok(()) => 0,
            Err(_) => -2,
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn janus_rtcp_get_remb(packet_: *mut c_char, len: c_int) -> u32 {
    guard(0, || packet(packet_, len).map_or(0, feedback::get_remb))
}

#[no_mangle]
pub unsafe extern "C" fn janus_rtcp_get_sender_ssrc(packet_: *mut c_char, len: c_int) -> u32 {
    guard(0, || packet(packet_, len).map_or(0, query::sender_ssrc))
}

/// TRUE only for the legacy FIR packet type (192), as in Janus.
#[no_mangle]
pub unsafe extern "C" fn janus_rtcp_has_fir(packet_: *mut c_char, len: c_int) -> gboolean {
    guard(FALSE, || bool_to_c(packet(packet_, len).is_some_and(query::has_fir)))
}

#[no_mangle]
pub unsafe extern "C" fn janus_rtcp_has_pli(packet_: *mut c_char, len: c_int) -> gboolean {
    guard(FALSE, || bool_to_c(packet(packet_, len).is_some_and(query::has_pli)))
}

/// `len` must be exactly 12.
#[no_mangle]
pub unsafe extern "C" fn janus_rtcp_pli(packet: *mut c_char, len: c_int) -> c_int {
    guard(-1, || packet_mut(packet, len).and_then(feedback::pli).map_or(-1, |n| n as c_int))
}

/// `len` must be at least 24; all `len` bytes are zeroed first.
#[no_mangle]
pub unsafe extern "C" fn janus_rtcp_remb(packet: *mut c_char, len: c_int, bitrate: u32) -> c_int {
    guard(-1, || packet_mut(packet, len).and_then(|buf| feedback::remb(buf, bitrate)).map_or(-1, |n| n as c_int))
}
