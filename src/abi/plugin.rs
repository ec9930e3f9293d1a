//! Exports of Janus' `plugins/plugin.c`: the result object `handle_message` returns, and
//! the reset of the RTP extensions a plugin attaches to a relayed packet.

#![allow(clippy::missing_safety_doc)]

use libc::{c_char, c_int};

use super::guard;
use crate::log::{self, Level};
use crate::media::RtpExtensions;
use crate::sys::glib::{self, gboolean};
use crate::sys::jansson::{self, json_t};

/// `janus_plugin_result_type`: ERROR (-1), OK (0), OK_WAIT (1).
#[allow(non_camel_case_types)]
pub type janus_plugin_result_type = c_int;

/// `janus_plugin_result`, 24 bytes.
#[repr(C)]
pub struct janus_plugin_result {
    pub type_: janus_plugin_result_type,
    pub text: *const c_char,
    pub content: *mut json_t,
}

/// `janus_plugin_rtp_extensions`, 284 bytes; found at offset 20 of `janus_plugin_rtp`.
#[repr(C)]
pub struct janus_plugin_rtp_extensions {
    pub audio_level: i8,
    pub audio_level_vad: gboolean,
    pub video_rotation: i16,
    pub video_back_camera: gboolean,
    pub video_flipped: gboolean,
    pub min_delay: i16,
    pub max_delay: i16,
    pub dd_len: u8,
    pub dd_content: [u8; 256],
}

/// `janus_plugin_rtp`, 304 bytes: what `incoming_rtp` gets and `relay_rtp` takes.
#[repr(C)]
pub struct janus_plugin_rtp {
    pub mindex: c_int,
    pub video: gboolean,
    pub buffer: *mut c_char,
    pub length: u16,
    pub extensions: janus_plugin_rtp_extensions,
}

/// `janus_plugin_rtcp`, 24 bytes.
#[repr(C)]
pub struct janus_plugin_rtcp {
    pub mindex: c_int,
    pub video: gboolean,
    pub buffer: *mut c_char,
    pub length: u16,
}

/// `janus_plugin_data`, 40 bytes: what `incoming_data` gets and `relay_data` takes.
#[repr(C)]
pub struct janus_plugin_data {
    pub label: *mut c_char,
    pub protocol: *mut c_char,
    pub binary: gboolean,
    pub buffer: *mut c_char,
    pub length: u16,
}

impl janus_plugin_rtp_extensions {
    pub fn from_core(e: &RtpExtensions) -> Self {
        janus_plugin_rtp_extensions {
            audio_level: e.audio_level,
            audio_level_vad: e.audio_level_vad.into(),
            video_rotation: e.video_rotation,
            video_back_camera: e.video_back_camera.into(),
            video_flipped: e.video_flipped.into(),
            min_delay: e.min_delay,
            max_delay: e.max_delay,
            dd_len: e.dd_len,
            dd_content: e.dd_content,
        }
    }

    pub fn to_core(&self) -> RtpExtensions {
        RtpExtensions {
            audio_level: self.audio_level,
            audio_level_vad: self.audio_level_vad != 0,
            video_rotation: self.video_rotation,
            video_back_camera: self.video_back_camera != 0,
            video_flipped: self.video_flipped != 0,
            min_delay: self.min_delay,
            max_delay: self.max_delay,
            dd_len: self.dd_len,
            dd_content: self.dd_content,
        }
    }
}

const _: () = {
    use std::mem::{offset_of, size_of};
    assert!(size_of::<janus_plugin_rtp>() == 304 && offset_of!(janus_plugin_rtp, extensions) == 20);
    assert!(offset_of!(janus_plugin_rtp, buffer) == 8 && offset_of!(janus_plugin_rtp, length) == 16);
    assert!(size_of::<janus_plugin_rtcp>() == 24 && offset_of!(janus_plugin_rtcp, length) == 16);
    assert!(size_of::<janus_plugin_data>() == 40 && offset_of!(janus_plugin_data, protocol) == 8);
    assert!(offset_of!(janus_plugin_data, binary) == 16 && offset_of!(janus_plugin_data, buffer) == 24);
    assert!(offset_of!(janus_plugin_data, length) == 32);
    assert!(size_of::<janus_plugin_result>() == 24);
    assert!(offset_of!(janus_plugin_result, text) == 8 && offset_of!(janus_plugin_result, content) == 16);
    assert!(size_of::<janus_plugin_rtp_extensions>() == 284);
    assert!(offset_of!(janus_plugin_rtp_extensions, audio_level_vad) == 4);
    assert!(offset_of!(janus_plugin_rtp_extensions, video_rotation) == 8);
    assert!(offset_of!(janus_plugin_rtp_extensions, video_back_camera) == 12);
    assert!(offset_of!(janus_plugin_rtp_extensions, video_flipped) == 16);
    assert!(offset_of!(janus_plugin_rtp_extensions, min_delay) == 20);
    assert!(offset_of!(janus_plugin_rtp_extensions, max_delay) == 22);
    assert!(offset_of!(janus_plugin_rtp_extensions, dd_len) == 24);
    assert!(offset_of!(janus_plugin_rtp_extensions, dd_content) == 25);
};

/// A new result: `text` is borrowed for the result's whole life (plugins pass static strings;
/// it is never freed), `content` is stolen (released by [`janus_plugin_result_destroy`]).
#[no_mangle]
pub unsafe extern "C" fn janus_plugin_result_new(
    type_: janus_plugin_result_type,
    text: *const c_char,
    content: *mut json_t,
) -> *mut janus_plugin_result {
    guard(std::ptr::null_mut(), || {
        log::emit(Level::Huge, None, format_args!("Creating plugin result...\n"));
        // SAFETY: a fresh GLib block of the struct's size, fully initialised before use.
        unsafe {
            let result = glib::g_malloc0(std::mem::size_of::<janus_plugin_result>()).cast::<janus_plugin_result>();
            result.write(janus_plugin_result { type_, text, content });
            result
        }
    })
}

/// Drops the result's reference to `content` and frees the struct (not `text`).
#[no_mangle]
pub unsafe extern "C" fn janus_plugin_result_destroy(result: *mut janus_plugin_result) {
    guard((), || {
        if result.is_null() {
            return;
        }
        log::emit(Level::Huge, None, format_args!("Destroying plugin result...\n"));
        // SAFETY: `result` came from janus_plugin_result_new and is destroyed once.
        unsafe {
            jansson::json_decref((*result).content);
            glib::g_free(result.cast());
        }
    })
}

/// Marks every extension as "not to be added": levels/rotation/delays -1, flags FALSE,
/// no dependency descriptor.
#[no_mangle]
pub unsafe extern "C" fn janus_plugin_rtp_extensions_reset(extensions: *mut janus_plugin_rtp_extensions) {
    guard((), || {
        // SAFETY: the caller passes its own struct (or NULL).
        if let Some(ext) = unsafe { extensions.as_mut() } {
            *ext = janus_plugin_rtp_extensions {
                audio_level: -1,
                audio_level_vad: 0,
                video_rotation: -1,
                video_back_camera: 0,
                video_flipped: 0,
                min_delay: -1,
                max_delay: -1,
                dd_len: 0,
                dd_content: [0; 256],
            };
        }
    })
}
