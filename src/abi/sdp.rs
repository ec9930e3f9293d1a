//! Exports of Janus' `sdp-utils.c`. The SDP crosses the boundary as a tree of `janus_sdp`,
//! `janus_sdp_mline` and `janus_sdp_attribute` structs (GLists of `g_malloc`ed objects,
//! `g_strdup`ed strings, refcounted) that modules read and modify in place; this file
//! mirrors it and converts it to and from `crate::sdp`'s model. The variadic entry points
//! live in `compat/sdp_oa.c`, which packs their arguments and calls the `janus_rs_sdp_*`
//! functions below.
// The safety contract of every export is Janus' C API: NULL or pointers to live objects
// of this library (or NUL-terminated strings), as modules pass them.
#![allow(clippy::missing_safety_doc)]

use libc::{c_char, c_int, size_t};

use super::refcount::JanusRefcount;
use super::{c_bytes, guard, static_cstr};
use crate::sdp::{self, Attribute, Direction, MLine, MediaType, Property, Sdp};
use crate::sys::glib::{self, g_free, g_list_iter, gboolean, gpointer, GList};

/// `janus_sdp`.
#[repr(C)]
pub struct JanusSdp {
    version: c_int,
    o_name: *mut c_char,
    o_sessid: u64,
    o_version: u64,
    o_ipv4: gboolean,
    o_addr: *mut c_char,
    s_name: *mut c_char,
    t_start: u64,
    t_stop: u64,
    c_ipv4: gboolean,
    c_addr: *mut c_char,
    attributes: *mut GList,
    m_lines: *mut GList,
    destroyed: c_int,
    ref_: JanusRefcount,
}

/// `janus_sdp_mline`.
#[repr(C)]
pub struct JanusSdpMline {
    index: c_int,
    type_: c_int,
    type_str: *mut c_char,
    port: u16,
    proto: *mut c_char,
    fmts: *mut GList,
    ptypes: *mut GList,
    c_ipv4: gboolean,
    c_addr: *mut c_char,
    b_name: *mut c_char,
    b_value: u32,
    direction: c_int,
    attributes: *mut GList,
    destroyed: c_int,
    ref_: JanusRefcount,
}

/// `janus_sdp_attribute`.
#[repr(C)]
pub struct JanusSdpAttribute {
    name: *mut c_char,
    value: *mut c_char,
    direction: c_int,
    destroyed: c_int,
    ref_: JanusRefcount,
}

// Layouts measured on Janus 1.1.2 (inventory §2.2).
const _: () = {
    use std::mem::{offset_of, size_of};
    assert!(size_of::<JanusSdp>() == 128);
    assert!(offset_of!(JanusSdp, o_name) == 8);
    assert!(offset_of!(JanusSdp, o_ipv4) == 32);
    assert!(offset_of!(JanusSdp, o_addr) == 40);
    assert!(offset_of!(JanusSdp, s_name) == 48);
    assert!(offset_of!(JanusSdp, c_ipv4) == 72);
    assert!(offset_of!(JanusSdp, c_addr) == 80);
    assert!(offset_of!(JanusSdp, attributes) == 88);
    assert!(offset_of!(JanusSdp, m_lines) == 96);
    assert!(offset_of!(JanusSdp, destroyed) == 104);
    assert!(offset_of!(JanusSdp, ref_) == 112);
    assert!(size_of::<JanusSdpMline>() == 112);
    assert!(offset_of!(JanusSdpMline, type_str) == 8);
    assert!(offset_of!(JanusSdpMline, port) == 16);
    assert!(offset_of!(JanusSdpMline, proto) == 24);
    assert!(offset_of!(JanusSdpMline, fmts) == 32);
    assert!(offset_of!(JanusSdpMline, ptypes) == 40);
    assert!(offset_of!(JanusSdpMline, c_ipv4) == 48);
    assert!(offset_of!(JanusSdpMline, c_addr) == 56);
    assert!(offset_of!(JanusSdpMline, b_name) == 64);
    assert!(offset_of!(JanusSdpMline, b_value) == 72);
    assert!(offset_of!(JanusSdpMline, direction) == 76);
    assert!(offset_of!(JanusSdpMline, attributes) == 80);
    assert!(offset_of!(JanusSdpMline, destroyed) == 88);
    assert!(offset_of!(JanusSdpMline, ref_) == 96);
    assert!(size_of::<JanusSdpAttribute>() == 40);
    assert!(offset_of!(JanusSdpAttribute, value) == 8);
    assert!(offset_of!(JanusSdpAttribute, direction) == 16);
    assert!(offset_of!(JanusSdpAttribute, destroyed) == 20);
    assert!(offset_of!(JanusSdpAttribute, ref_) == 24);
};

unsafe fn attribute_destroy(a: *mut JanusSdpAttribute) {
    if !a.is_null() {
        JanusRefcount::destroy_once(&raw mut (*a).destroyed, &raw mut (*a).ref_);
    }
}

unsafe fn mline_destroy(m: *mut JanusSdpMline) {
    if !m.is_null() {
        JanusRefcount::destroy_once(&raw mut (*m).destroyed, &raw mut (*m).ref_);
    }
}

/// Destroys every attribute of a list and frees the list.
unsafe fn free_attributes(list: *mut GList) {
    for a in g_list_iter(list) {
        attribute_destroy(a as *mut JanusSdpAttribute);
    }
    glib::g_list_free(list);
}

unsafe fn free_fmts(list: *mut GList) {
    glib::g_list_free_full(list, Some(g_free));
}

unsafe extern "C" fn sdp_free(r: *const JanusRefcount) {
    let sdp = (r as *mut u8).sub(std::mem::offset_of!(JanusSdp, ref_)) as *mut JanusSdp;
    for p in [(*sdp).o_name, (*sdp).o_addr, (*sdp).s_name, (*sdp).c_addr] {
        g_free(p as gpointer);
    }
    free_attributes((*sdp).attributes);
    for m in g_list_iter((*sdp).m_lines) {
        mline_destroy(m as *mut JanusSdpMline);
    }
    glib::g_list_free((*sdp).m_lines);
    g_free(sdp as gpointer);
}

unsafe extern "C" fn mline_free(r: *const JanusRefcount) {
    let m = (r as *mut u8).sub(std::mem::offset_of!(JanusSdpMline, ref_)) as *mut JanusSdpMline;
    for p in [(*m).type_str, (*m).proto, (*m).c_addr, (*m).b_name] {
        g_free(p as gpointer);
    }
    free_fmts((*m).fmts);
    glib::g_list_free((*m).ptypes);
    free_attributes((*m).attributes);
    g_free(m as gpointer);
}

unsafe extern "C" fn attribute_free(r: *const JanusRefcount) {
    let a = (r as *mut u8).sub(std::mem::offset_of!(JanusSdpAttribute, ref_)) as *mut JanusSdpAttribute;
    g_free((*a).name as gpointer);
    g_free((*a).value as gpointer);
    g_free(a as gpointer);
}

// ---- model -> C ----

unsafe fn dup(s: &Option<String>) -> *mut c_char {
    s.as_deref().map_or(std::ptr::null_mut(), |s| glib::g_strdup_str(s))
}

/// A GList of the given data pointers, in order.
unsafe fn glist(items: impl Iterator<Item = gpointer>) -> *mut GList {
    glib::g_list_reverse(items.fold(std::ptr::null_mut(), |l, d| glib::g_list_prepend(l, d)))
}

/// `GINT_TO_POINTER`.
fn int_ptr(v: i32) -> gpointer {
    v as isize as gpointer
}

unsafe fn new_attribute(a: &Attribute) -> *mut JanusSdpAttribute {
    let p = glib::g_malloc0(std::mem::size_of::<JanusSdpAttribute>()) as *mut JanusSdpAttribute;
    (*p).ref_ = JanusRefcount::new(attribute_free);
    (*p).name = dup(&a.name);
    (*p).value = dup(&a.value);
    (*p).direction = a.direction as c_int;
    p
}

unsafe fn new_attributes(list: &[Attribute]) -> *mut GList {
    glist(list.iter().map(|a| new_attribute(a) as gpointer))
}

unsafe fn new_fmts(fmts: &[String]) -> *mut GList {
    glist(fmts.iter().map(|f| glib::g_strdup_str(f) as gpointer))
}

unsafe fn new_ptypes(ptypes: &[i32]) -> *mut GList {
    glist(ptypes.iter().map(|pt| int_ptr(*pt)))
}

unsafe fn new_mline(m: &MLine) -> *mut JanusSdpMline {
    let p = glib::g_malloc0(std::mem::size_of::<JanusSdpMline>()) as *mut JanusSdpMline;
    (*p).ref_ = JanusRefcount::new(mline_free);
    (*p).index = m.index;
    (*p).type_ = m.mtype as c_int;
    (*p).type_str = dup(&m.type_str);
    (*p).port = m.port;
    (*p).proto = dup(&m.proto);
    (*p).fmts = new_fmts(&m.fmts);
    (*p).ptypes = new_ptypes(&m.ptypes);
    (*p).c_ipv4 = m.c_ipv4 as gboolean;
    (*p).c_addr = dup(&m.c_addr);
    (*p).b_name = dup(&m.b_name);
    (*p).b_value = m.b_value;
    (*p).direction = m.direction as c_int;
    (*p).attributes = new_attributes(&m.attributes);
    p
}

unsafe fn new_sdp(s: &Sdp) -> *mut JanusSdp {
    let p = glib::g_malloc0(std::mem::size_of::<JanusSdp>()) as *mut JanusSdp;
    (*p).ref_ = JanusRefcount::new(sdp_free);
    (*p).version = s.version;
    (*p).o_name = dup(&s.o_name);
    (*p).o_sessid = s.o_sessid;
    (*p).o_version = s.o_version;
    (*p).o_ipv4 = s.o_ipv4 as gboolean;
    (*p).o_addr = dup(&s.o_addr);
    (*p).s_name = dup(&s.s_name);
    (*p).t_start = s.t_start;
    (*p).t_stop = s.t_stop;
    (*p).c_ipv4 = s.c_ipv4 as gboolean;
    (*p).c_addr = dup(&s.c_addr);
    (*p).attributes = new_attributes(&s.attributes);
    (*p).m_lines = glist(s.m_lines.iter().map(|m| new_mline(m) as gpointer));
    p
}

// ---- C -> model ----

unsafe fn text(p: *const c_char) -> Option<String> {
    c_bytes(p).map(|b| String::from_utf8_lossy(b).into_owned())
}

unsafe fn attribute_model(a: *const JanusSdpAttribute) -> Attribute {
    if a.is_null() {
        return Attribute::default();
    }
    Attribute { name: text((*a).name), value: text((*a).value), direction: Direction::from_raw((*a).direction) }
}

unsafe fn mline_model(m: *const JanusSdpMline) -> MLine {
    if m.is_null() {
        return MLine { index: -1, ..MLine::default() };
    }
    MLine {
        index: (*m).index,
        mtype: MediaType::from_raw((*m).type_),
        type_str: text((*m).type_str),
        port: (*m).port,
        proto: text((*m).proto),
        // printf renders a NULL format as "(null)".
        fmts: g_list_iter((*m).fmts).map(|f| text(f as *const c_char).unwrap_or_else(|| "(null)".into())).collect(),
        ptypes: g_list_iter((*m).ptypes).map(|p| p as isize as i32).collect(),
        c_ipv4: (*m).c_ipv4 != 0,
        c_addr: text((*m).c_addr),
        b_name: text((*m).b_name),
        b_value: (*m).b_value,
        direction: Direction::from_raw((*m).direction),
        attributes: g_list_iter((*m).attributes).map(|a| attribute_model(a as *const JanusSdpAttribute)).collect(),
    }
}

unsafe fn sdp_model(s: *const JanusSdp) -> Sdp {
    Sdp {
        version: (*s).version,
        o_name: text((*s).o_name),
        o_sessid: (*s).o_sessid,
        o_version: (*s).o_version,
        o_ipv4: (*s).o_ipv4 != 0,
        o_addr: text((*s).o_addr),
        s_name: text((*s).s_name),
        t_start: (*s).t_start,
        t_stop: (*s).t_stop,
        c_ipv4: (*s).c_ipv4 != 0,
        c_addr: text((*s).c_addr),
        attributes: g_list_iter((*s).attributes).map(|a| attribute_model(a as *const JanusSdpAttribute)).collect(),
        m_lines: g_list_iter((*s).m_lines).map(|m| mline_model(m as *const JanusSdpMline)).collect(),
    }
}

unsafe fn nth_mline(s: *const JanusSdp, n: usize) -> *mut JanusSdpMline {
    g_list_iter((*s).m_lines).nth(n).map_or(std::ptr::null_mut(), |m| m as *mut JanusSdpMline)
}

/// Runs `body` on the SDP's model while holding a reference, as Janus' helpers do.
unsafe fn with_model<T>(s: *mut JanusSdp, body: impl FnOnce(&Sdp) -> T) -> T {
    JanusRefcount::increase(&raw mut (*s).ref_);
    let result = body(&sdp_model(s));
    JanusRefcount::decrease(&raw mut (*s).ref_);
    result
}

// ---- exports ----

#[no_mangle]
pub unsafe extern "C" fn janus_sdp_parse(text_in: *const c_char, error: *mut c_char, errlen: size_t) -> *mut JanusSdp {
    guard(std::ptr::null_mut(), || {
        let Some(input) = text(text_in) else { return std::ptr::null_mut() };
        match sdp::parse(&input) {
            Ok(model) => new_sdp(&model),
            Err(message) => {
                if !error.is_null() && errlen > 0 {
                    // g_snprintf: truncated to errlen-1 bytes, always terminated.
                    let n = message.len().min(errlen - 1);
                    std::ptr::copy_nonoverlapping(message.as_ptr(), error as *mut u8, n);
                    *error.add(n) = 0;
                }
                std::ptr::null_mut()
            }
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn janus_sdp_destroy(s: *mut JanusSdp) {
    guard((), || {
        if !s.is_null() {
            JanusRefcount::destroy_once(&raw mut (*s).destroyed, &raw mut (*s).ref_);
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn janus_sdp_write(s: *mut JanusSdp) -> *mut c_char {
    guard(std::ptr::null_mut(), || {
        if s.is_null() {
            return std::ptr::null_mut();
        }
        JanusRefcount::increase(&raw mut (*s).ref_);
        let mut model = sdp_model(s);
        let written = sdp::write(&mut model);
        // The writer rewrote rejected media m-lines: do the same to the C tree.
        for (i, m) in model.m_lines.iter().enumerate().filter(|(_, m)| m.is_rejected_media()) {
            let cm = nth_mline(s, i);
            free_fmts((*cm).fmts);
            (*cm).fmts = std::ptr::null_mut();
            glib::g_list_free((*cm).ptypes);
            (*cm).ptypes = new_ptypes(&m.ptypes);
        }
        let out = glib::g_malloc(written.len() + 1) as *mut u8;
        std::ptr::copy_nonoverlapping(written.as_ptr(), out, written.len());
        *out.add(written.len()) = 0;
        JanusRefcount::decrease(&raw mut (*s).ref_);
        out as *mut c_char
    })
}

#[no_mangle]
pub unsafe extern "C" fn janus_sdp_attribute_add_to_mline(m: *mut JanusSdpMline, a: *mut JanusSdpAttribute) -> c_int {
    guard(-1, || {
        if m.is_null() || a.is_null() {
            return -1;
        }
        (*m).attributes = glib::g_list_append((*m).attributes, a as gpointer);
        0
    })
}

#[no_mangle]
pub unsafe extern "C" fn janus_sdp_mline_find(s: *mut JanusSdp, mtype: c_int) -> *mut JanusSdpMline {
    guard(std::ptr::null_mut(), || {
        if s.is_null() {
            return std::ptr::null_mut();
        }
        let found = g_list_iter((*s).m_lines).map(|m| m as *mut JanusSdpMline).find(|m| (**m).type_ == mtype);
        found.unwrap_or(std::ptr::null_mut())
    })
}

#[no_mangle]
pub unsafe extern "C" fn janus_sdp_mline_find_by_index(s: *mut JanusSdp, index: c_int) -> *mut JanusSdpMline {
    guard(std::ptr::null_mut(), || {
        if s.is_null() || index < 0 {
            return std::ptr::null_mut();
        }
        let found = g_list_iter((*s).m_lines).map(|m| m as *mut JanusSdpMline).find(|m| (**m).index == index);
        found.unwrap_or(std::ptr::null_mut())
    })
}

#[no_mangle]
pub unsafe extern "C" fn janus_sdp_parse_mdirection(direction: *const c_char) -> c_int {
    guard(Direction::Invalid as c_int, || text(direction).map_or(Direction::Invalid, |d| Direction::parse(&d)) as c_int)
}

#[no_mangle]
pub unsafe extern "C" fn janus_sdp_remove_payload_type(s: *mut JanusSdp, index: c_int, pt: c_int) -> c_int {
    guard(-1, || {
        if s.is_null() || pt < 0 {
            return -1;
        }
        for m in g_list_iter((*s).m_lines).map(|m| m as *mut JanusSdpMline) {
            if index != -1 && index != (*m).index {
                continue;
            }
            (*m).ptypes = glib::g_list_remove((*m).ptypes, int_ptr(pt));
            // Every attribute whose value starts with that payload type goes too.
            let doomed: Vec<gpointer> = g_list_iter((*m).attributes)
                .filter(|a| attribute_model(*a as *const JanusSdpAttribute).value.is_some_and(|v| sdp::scan::atoi(&v) == pt))
                .collect();
            for a in doomed {
                (*m).attributes = glib::g_list_remove((*m).attributes, a);
                attribute_destroy(a as *mut JanusSdpAttribute);
            }
            if index != -1 {
                break;
            }
        }
        0
    })
}

#[no_mangle]
pub unsafe extern "C" fn janus_sdp_get_codec_pt(s: *mut JanusSdp, index: c_int, codec: *const c_char) -> c_int {
    janus_sdp_get_codec_pt_full(s, index, codec, std::ptr::null())
}

#[no_mangle]
pub unsafe extern "C" fn janus_sdp_get_codec_pt_full(
    s: *mut JanusSdp,
    index: c_int,
    codec: *const c_char,
    profile: *const c_char,
) -> c_int {
    guard(-1, || {
        let Some(codec) = text(codec).filter(|_| !s.is_null()) else { return -1 };
        let profile = text(profile);
        with_model(s, |m| sdp::codec_pt(m, index, &codec, profile.as_deref()))
    })
}

fn static_or_null(s: Option<&'static str>) -> *const c_char {
    s.map_or(std::ptr::null(), static_cstr)
}

#[no_mangle]
pub unsafe extern "C" fn janus_sdp_get_codec_name(s: *mut JanusSdp, index: c_int, pt: c_int) -> *const c_char {
    guard(std::ptr::null(), || {
        if s.is_null() {
            return std::ptr::null();
        }
        static_or_null(with_model(s, |m| sdp::codec_name(m, index, pt)))
    })
}

#[no_mangle]
pub unsafe extern "C" fn janus_sdp_get_rtpmap_codec(rtpmap: *const c_char) -> *const c_char {
    guard(std::ptr::null(), || static_or_null(text(rtpmap).and_then(|r| sdp::rtpmap_codec(&r))))
}

#[no_mangle]
pub unsafe extern "C" fn janus_sdp_get_codec_rtpmap(codec: *const c_char) -> *const c_char {
    guard(std::ptr::null(), || static_or_null(text(codec).and_then(|c| sdp::codec_rtpmap(&c))))
}

#[no_mangle]
pub unsafe extern "C" fn janus_sdp_get_fmtp(s: *mut JanusSdp, index: c_int, pt: c_int) -> *const c_char {
    guard(std::ptr::null(), || {
        if s.is_null() {
            return std::ptr::null();
        }
        let Some(at) = with_model(s, |m| sdp::fmtp(m, index, pt)) else { return std::ptr::null() };
        // Point into the module-visible attribute, as Janus does.
        let m = nth_mline(s, at.mline);
        let a = g_list_iter((*m).attributes).nth(at.attribute).unwrap_or(std::ptr::null_mut()) as *mut JanusSdpAttribute;
        (*a).value.add(at.offset)
    })
}

#[no_mangle]
pub unsafe extern "C" fn janus_sdp_get_video_profile(codec: c_int, fmtp: *const c_char) -> *mut c_char {
    guard(std::ptr::null_mut(), || {
        let profile = text(fmtp).and_then(|f| sdp::video_profile(codec, &f));
        dup(&profile)
    })
}

#[no_mangle]
pub unsafe extern "C" fn janus_sdp_get_opusred_pt(s: *mut JanusSdp, index: c_int) -> c_int {
    guard(-1, || if s.is_null() { -1 } else { with_model(s, |m| sdp::opusred_pt(m, index)) })
}

#[no_mangle]
pub unsafe extern "C" fn janus_sdp_match_preferred_codec(mtype: c_int, codec: *mut c_char) -> *const c_char {
    guard(std::ptr::null(), || static_or_null(text(codec).and_then(|c| sdp::match_preferred_codec(MediaType::from_raw(mtype), &c))))
}

#[no_mangle]
pub unsafe extern "C" fn janus_sdp_find_preferred_codec(s: *mut JanusSdp, mtype: c_int, index: c_int, codec: *mut *const c_char) {
    guard((), || {
        if s.is_null() {
            return;
        }
        let found = with_model(s, |m| sdp::find_preferred_codec(m, MediaType::from_raw(mtype), index));
        if let (Some(c), false) = (found, codec.is_null()) {
            *codec = static_cstr(c);
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn janus_sdp_find_first_codec(s: *mut JanusSdp, mtype: c_int, index: c_int, codec: *mut *const c_char) {
    guard((), || {
        if s.is_null() {
            return;
        }
        let found = with_model(s, |m| sdp::find_first_codec(m, MediaType::from_raw(mtype), index));
        if let (Some(c), false) = (found, codec.is_null()) {
            *codec = static_cstr(c);
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn janus_sdp_generate_answer(offer: *mut JanusSdp) -> *mut JanusSdp {
    guard(std::ptr::null_mut(), || {
        if offer.is_null() {
            return std::ptr::null_mut();
        }
        with_model(offer, |m| new_sdp(&sdp::generate_answer(m)))
    })
}

// ---- the non-variadic halves of compat/sdp_oa.c ----

/// `janus_sdp_attribute_create` once the shim has formatted the value.
#[no_mangle]
pub unsafe extern "C" fn janus_rs_sdp_attribute_create(name: *const c_char, value: *const c_char) -> *mut JanusSdpAttribute {
    guard(std::ptr::null_mut(), || match text(name) {
        Some(name) => new_attribute(&Attribute::new(&name, text(value))),
        None => std::ptr::null_mut(),
    })
}

/// One `id -> URI` entry of a `JANUS_SDP_OA_EXTENSIONS` table.
#[repr(C)]
pub struct RsSdpExtmap {
    id: c_int,
    uri: *const c_char,
}

/// One property as the shim read it from the `va_list` (`janus_rs_sdp_oa_property`).
#[repr(C)]
pub struct RsSdpOaProperty {
    id: c_int,
    /// Integer/boolean/enum value, or the extension id; for EXTENSIONS, whether the table
    /// pointer was non-NULL.
    number: c_int,
    text: *const c_char,
    text2: *const c_char,
    extmaps: *const RsSdpExtmap,
    extmaps_len: size_t,
}

unsafe fn properties(list: *const RsSdpOaProperty, len: size_t) -> Vec<Property> {
    if list.is_null() {
        return Vec::new();
    }
    std::slice::from_raw_parts(list, len)
        .iter()
        .filter_map(|p| {
            let (n, t, t2) = (p.number, text(p.text), text(p.text2));
            Some(match p.id {
                0 => Property::Done,
                1 => Property::MLine(n),
                2 => Property::Enabled(n != 0),
                3 => Property::Direction(Direction::from_raw(n)),
                4 => Property::Mid(t),
                5 => Property::Msid(t, t2),
                6 => Property::Codec(t),
                7 => Property::Extension(t, n),
                8 => Property::Extensions((n != 0).then(|| {
                    let table = if p.extmaps.is_null() { &[][..] } else { std::slice::from_raw_parts(p.extmaps, p.extmaps_len) };
                    table.iter().filter_map(|e| Some((e.id, text(e.uri)?))).collect()
                })),
                9 => Property::AcceptExtmap(t),
                10 => Property::Pt(n),
                11 => Property::Fmtp(t),
                12 => Property::AudioDtmf(n != 0),
                13 => Property::OpusRedPt(n),
                14 => Property::AcceptOpusRed(n != 0),
                15 => Property::Vp9Profile(t),
                16 => Property::H264Profile(t),
                17 => Property::VideoRtcpFbDefaults(n != 0),
                18 => Property::DataLegacy(n != 0),
                _ => return None,
            })
        })
        .collect()
}

/// `g_get_real_time()`, which Janus uses as the session id of new SDPs.
fn real_time_us() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_micros() as u64)
}

#[no_mangle]
pub unsafe extern "C" fn janus_rs_sdp_generate_offer(
    name: *const c_char,
    address: *const c_char,
    props: *const RsSdpOaProperty,
    len: size_t,
) -> *mut JanusSdp {
    guard(std::ptr::null_mut(), || {
        let (name, address) = (text(name), text(address));
        sdp::generate_offer(name.as_deref(), address.as_deref(), &properties(props, len), real_time_us())
            .map_or(std::ptr::null_mut(), |o| new_sdp(&o))
    })
}

#[no_mangle]
pub unsafe extern "C" fn janus_rs_sdp_generate_offer_mline(offer: *mut JanusSdp, props: *const RsSdpOaProperty, len: size_t) -> c_int {
    guard(-1, || {
        if offer.is_null() {
            return -1;
        }
        let index = glib::g_list_length((*offer).m_lines) as i32;
        match sdp::generate_offer_mline(text((*offer).c_addr).as_deref(), index, &properties(props, len)) {
            Ok(m) => {
                (*offer).m_lines = glib::g_list_append((*offer).m_lines, new_mline(&m) as gpointer);
                0
            }
            Err(e) => {
                if e == sdp::OfferMlineError::InvalidType {
                    // Janus destroys the caller's offer in this case.
                    janus_sdp_destroy(offer);
                }
                e.code()
            }
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn janus_rs_sdp_generate_answer_mline(
    offer: *mut JanusSdp,
    answer: *mut JanusSdp,
    offered: *mut JanusSdpMline,
    props: *const RsSdpOaProperty,
    len: size_t,
) -> c_int {
    guard(-1, || {
        if answer.is_null() || offered.is_null() {
            return -1;
        }
        let offer_model = (!offer.is_null()).then(|| sdp_model(offer));
        let mut answer_model = sdp_model(answer);
        let offered_model = mline_model(offered);
        match sdp::generate_answer_mline(offer_model.as_ref(), &mut answer_model, &offered_model, &properties(props, len)) {
            Err(e) => e.code(),
            Ok(None) => 0,
            Ok(Some(pos)) => {
                // Update the module-visible m-line in place: modules may hold it.
                let m = &answer_model.m_lines[pos];
                let cm = nth_mline(answer, pos);
                (*cm).port = m.port;
                (*cm).direction = m.direction as c_int;
                glib::g_list_free((*cm).ptypes);
                (*cm).ptypes = new_ptypes(&m.ptypes);
                free_fmts((*cm).fmts);
                (*cm).fmts = new_fmts(&m.fmts);
                free_attributes((*cm).attributes);
                (*cm).attributes = new_attributes(&m.attributes);
                0
            }
        }
    })
}
