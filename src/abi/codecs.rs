//! Exports of the codec helpers of Janus' `utils.c`: keyframe detection, VP8 simulcast
//! descriptor rewriting, VP9 SVC parsing and RED block splitting.
//!
//! Safety of every `unsafe extern "C"` export: the contract of its Janus prototype (pointers
//! NULL or valid for the lengths passed), which C callers cannot be checked against.
#![allow(clippy::missing_safety_doc)]

use libc::{c_char, c_int};

use super::guard;
use super::rtp::{packet, packet_mut};
use crate::rtp::codecs;
use crate::rtp::red;
use crate::rtp::vp8::SimulcastContext;
use crate::rtp::vp9::{self, SvcInfo, SvcParse};
use crate::sys::glib::{self, gboolean, GList, FALSE, TRUE};

#[no_mangle]
pub unsafe extern "C" fn janus_vp8_is_keyframe(buffer: *const c_char, len: c_int) -> gboolean {
    guard(FALSE, || gboolean::from(codecs::vp8_is_keyframe(packet(buffer, len))))
}

#[no_mangle]
pub unsafe extern "C" fn janus_vp9_is_keyframe(buffer: *const c_char, len: c_int) -> gboolean {
    guard(FALSE, || gboolean::from(codecs::vp9_is_keyframe(packet(buffer, len))))
}

#[no_mangle]
pub unsafe extern "C" fn janus_h264_is_keyframe(buffer: *const c_char, len: c_int) -> gboolean {
    guard(FALSE, || gboolean::from(codecs::h264_is_keyframe(packet(buffer, len))))
}

#[no_mangle]
pub unsafe extern "C" fn janus_h265_is_keyframe(buffer: *const c_char, len: c_int) -> gboolean {
    guard(FALSE, || gboolean::from(codecs::h265_is_keyframe(packet(buffer, len))))
}

#[no_mangle]
pub unsafe extern "C" fn janus_av1_is_keyframe(buffer: *const c_char, len: c_int) -> gboolean {
    guard(FALSE, || gboolean::from(codecs::av1_is_keyframe(packet(buffer, len))))
}

#[no_mangle]
pub unsafe extern "C" fn janus_vp8_simulcast_context_reset(context: *mut SimulcastContext) {
    guard((), || {
        if let Some(context) = context.as_mut() {
            context.reset();
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn janus_vp8_simulcast_descriptor_update(
    buffer: *mut c_char,
    len: c_int,
    context: *mut SimulcastContext,
    switched: gboolean,
) {
    guard((), || {
        if let Some(context) = context.as_mut() {
            context.update_descriptor(packet_mut(buffer, len), switched != FALSE);
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn janus_vp9_parse_svc(buffer: *mut c_char, len: c_int, found: *mut gboolean, info: *mut SvcInfo) -> c_int {
    guard(-1, || {
        let (layers, code) = match vp9::parse_svc(packet(buffer, len)) {
            SvcParse::TooShort => return -1,
            SvcParse::NoLayers => (None, 0),
            SvcParse::Layers(layers) => (Some(layers), 0),
            SvcParse::Truncated(layers) => (Some(layers), -1),
        };
        if let (Some(layers), Some(info)) = (layers, info.as_mut()) {
            *info = layers;
        }
        if !found.is_null() {
            *found = if layers.is_some() { TRUE } else { FALSE };
        }
        code
    })
}

/// `janus_red_block`: 24 bytes; `data` points into the buffer that was parsed.
#[repr(C)]
pub struct RedBlock {
    pub pt: u8,
    pub ts_offset: u32,
    pub data: *mut u8,
    pub length: u16,
}

const _: () = {
    use std::mem::{offset_of, size_of};
    assert!(size_of::<RedBlock>() == 24);
    assert!(offset_of!(RedBlock, ts_offset) == 4);
    assert!(offset_of!(RedBlock, data) == 8);
    assert!(offset_of!(RedBlock, length) == 16);
};

/// A GList of `g_malloc0`ed blocks (the caller frees them with `g_list_free_full(.., g_free)`),
/// whose `data` point into `buffer`; NULL for a broken or empty payload.
#[no_mangle]
pub unsafe extern "C" fn janus_red_parse_blocks(buffer: *mut c_char, len: c_int) -> *mut GList {
    guard(std::ptr::null_mut(), || {
        let Some(parsed) = red::parse(packet(buffer, len)) else { return std::ptr::null_mut() };
        let mut list: *mut GList = std::ptr::null_mut();
        for block in parsed.blocks() {
            let rb = glib::g_malloc0(std::mem::size_of::<RedBlock>()) as *mut RedBlock;
            (*rb).pt = block.pt;
            (*rb).ts_offset = block.ts_offset;
            if let Some((offset, length)) = block.data {
                (*rb).data = buffer.add(offset) as *mut u8;
                // Janus stores the length in 16 bits, truncating.
                (*rb).length = length as u16;
            }
            // Prepend and reverse: appending would walk the list for every block.
            list = glib::g_list_prepend(list, rb as glib::gpointer);
        }
        glib::g_list_reverse(list)
    })
}
