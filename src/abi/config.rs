//! Exports of Janus' `config.c`.
//!
//! The C tree (`janus_config` holding GLists of `janus_config_container`) is the live object:
//! modules read `->type`, `->name`, `->value` and `->list` directly and keep container
//! pointers across calls, so every tree operation works on it in place. Parsing builds it
//! from the safe `crate::config` model; printing and saving read it back into that model.
//!
//! Safety of every export: pointer arguments are NULL or what Janus' `config.h` says they
//! are (a configuration from `janus_config_parse`, containers from the `_create` functions or
//! found in that configuration, NUL-terminated strings).
#![allow(non_camel_case_types, clippy::missing_safety_doc)]

use std::ffi::{CStr, OsStr};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use libc::{c_char, c_int};

use super::{c_bytes, guard};
use crate::config::{same_name, Config, Entry, Kind, LogLevel, Node};
use crate::sys::glib::*;

pub type janus_config_type = c_int;

#[repr(C)]
pub struct janus_config_container {
    pub type_: janus_config_type,
    pub name: *const c_char,
    pub value: *const c_char,
    pub list: *mut GList,
}

#[repr(C)]
pub struct janus_config {
    pub is_jcfg: gboolean,
    pub name: *const c_char,
    pub list: *mut GList,
}

const _: () = {
    use std::mem::{offset_of, size_of};
    assert!(size_of::<janus_config_container>() == 32);
    assert!(offset_of!(janus_config_container, type_) == 0);
    assert!(offset_of!(janus_config_container, name) == 8);
    assert!(offset_of!(janus_config_container, value) == 16);
    assert!(offset_of!(janus_config_container, list) == 24);
    assert!(size_of::<janus_config>() == 24);
    assert!(offset_of!(janus_config, is_jcfg) == 0);
    assert!(offset_of!(janus_config, name) == 8);
    assert!(offset_of!(janus_config, list) == 16);
};

const ANY: c_int = Kind::Any as c_int;
const ITEM: c_int = Kind::Item as c_int;
const CATEGORY: c_int = Kind::Category as c_int;
const ARRAY: c_int = Kind::Array as c_int;

/// The one place configuration messages leave this file: the core log, at Janus' level for
/// each (without Janus' `[config.c:function:line]` tag on errors).
fn log(level: LogLevel, text: &str) {
    let level = match level {
        LogLevel::Err => crate::log::Level::Err,
        LogLevel::Warn => crate::log::Level::Warn,
        LogLevel::Verb => crate::log::Level::Verb,
    };
    crate::log::emit(level, None, format_args!("{text}"));
}

// ---- building and reading the C tree ----

unsafe fn dup_opt(s: Option<&str>) -> *const c_char {
    s.map_or(std::ptr::null(), |s| g_strdup_str(s))
}

unsafe fn new_container(kind: c_int, name: *const c_char, value: *const c_char) -> *mut janus_config_container {
    let c = g_malloc0(std::mem::size_of::<janus_config_container>()) as *mut janus_config_container;
    (*c).type_ = kind;
    (*c).name = if name.is_null() { name } else { g_strdup(name) };
    (*c).value = if value.is_null() { value } else { g_strdup(value) };
    c
}

unsafe fn build_list(entries: &[Entry]) -> *mut GList {
    let mut list = std::ptr::null_mut();
    for e in entries {
        let c = g_malloc0(std::mem::size_of::<janus_config_container>()) as *mut janus_config_container;
        (*c).type_ = e.kind() as c_int;
        (*c).name = dup_opt(e.name.as_deref());
        match &e.node {
            Node::Item(v) => (*c).value = dup_opt(v.as_deref()),
            Node::Category(m) | Node::Array(m) => (*c).list = build_list(m),
        }
        list = g_list_prepend(list, c as gpointer);
    }
    g_list_reverse(list)
}

unsafe fn opt_string(p: *const c_char) -> Option<String> {
    (!p.is_null()).then(|| CStr::from_ptr(p).to_string_lossy().into_owned())
}

/// Reads a C list back into the model; NULL members and unknown types are skipped, as
/// Janus' printing and saving skip them.
unsafe fn read_list(list: *mut GList) -> Vec<Entry> {
    g_list_iter(list)
        .map(|p| p as *const janus_config_container)
        .filter(|c| !c.is_null())
        .filter_map(|c| {
            let node = match (*c).type_ {
                ITEM => Node::Item(opt_string((*c).value)),
                CATEGORY => Node::Category(read_list((*c).list)),
                ARRAY => Node::Array(read_list((*c).list)),
                _ => return None,
            };
            Some(Entry { name: opt_string((*c).name), node })
        })
        .collect()
}

unsafe fn read_config(config: *const janus_config) -> Config {
    Config {
        // Janus prints a nameless configuration as "??".
        name: opt_string((*config).name).unwrap_or_else(|| "??".into()),
        is_jcfg: (*config).is_jcfg != 0,
        entries: read_list((*config).list),
    }
}

unsafe extern "C" fn container_destroy(p: gpointer) {
    let c = p as *mut janus_config_container;
    if c.is_null() {
        return;
    }
    g_free((*c).name as gpointer);
    g_free((*c).value as gpointer);
    g_list_free_full((*c).list, Some(container_destroy));
    g_free(c as gpointer);
}

/// The list a container operation works on: the parent's, or the root's; `None` if the
/// parent cannot hold entries (an item).
unsafe fn list_of(config: *mut janus_config, parent: *mut janus_config_container) -> Option<*mut *mut GList> {
    if parent.is_null() {
        Some(&raw mut (*config).list)
    } else if matches!((*parent).type_, CATEGORY | ARRAY) {
        Some(&raw mut (*parent).list)
    } else {
        None
    }
}

unsafe fn find(list: *mut GList, kind: c_int, name: &[u8]) -> *mut janus_config_container {
    g_list_iter(list)
        .map(|p| p as *mut janus_config_container)
        .find(|&c| !c.is_null() && c_bytes((*c).name).is_some_and(|n| same_name(n, name)) && (kind == ANY || (*c).type_ == kind))
        .unwrap_or(std::ptr::null_mut())
}

// ---- exports ----

#[no_mangle]
pub unsafe extern "C" fn janus_config_parse(config_file: *const c_char) -> *mut janus_config {
    guard(std::ptr::null_mut(), || {
        let Some(path) = c_bytes(config_file) else { return std::ptr::null_mut() };
        match Config::parse_file(Path::new(OsStr::from_bytes(path))) {
            Ok(parsed) => {
                let jc = g_malloc0(std::mem::size_of::<janus_config>()) as *mut janus_config;
                (*jc).is_jcfg = parsed.is_jcfg as gboolean;
                (*jc).name = g_strdup_str(&parsed.name);
                (*jc).list = build_list(&parsed.entries);
                jc
            }
            Err(e) => {
                log(LogLevel::Err, &format!("{e}\n"));
                std::ptr::null_mut()
            }
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn janus_config_item_create(name: *const c_char, value: *const c_char) -> *mut janus_config_container {
    guard(std::ptr::null_mut(), || {
        if name.is_null() && value.is_null() {
            return std::ptr::null_mut();
        }
        new_container(ITEM, name, value)
    })
}

#[no_mangle]
pub unsafe extern "C" fn janus_config_category_create(name: *const c_char) -> *mut janus_config_container {
    guard(std::ptr::null_mut(), || new_container(CATEGORY, name, std::ptr::null()))
}

#[no_mangle]
pub unsafe extern "C" fn janus_config_array_create(name: *const c_char) -> *mut janus_config_container {
    guard(std::ptr::null_mut(), || new_container(ARRAY, name, std::ptr::null()))
}

unsafe fn get(
    config: *mut janus_config,
    parent: *mut janus_config_container,
    kind: janus_config_type,
    name: *const c_char,
    create: bool,
) -> *mut janus_config_container {
    if config.is_null() {
        return std::ptr::null_mut();
    }
    let (Some(wanted), Some(list)) = (c_bytes(name), list_of(config, parent)) else {
        return std::ptr::null_mut();
    };
    let found = find(*list, kind, wanted);
    if !found.is_null() || !create {
        return found;
    }
    if !matches!(kind, CATEGORY | ARRAY) {
        log(LogLevel::Warn, "Not a category and not an array, not creating anything...\n");
        return std::ptr::null_mut();
    }
    let c = new_container(kind, name, std::ptr::null());
    add(config, parent, c);
    c
}

#[no_mangle]
pub unsafe extern "C" fn janus_config_get(
    config: *mut janus_config,
    parent: *mut janus_config_container,
    kind: janus_config_type,
    name: *const c_char,
) -> *mut janus_config_container {
    guard(std::ptr::null_mut(), || get(config, parent, kind, name, false))
}

#[no_mangle]
pub unsafe extern "C" fn janus_config_get_create(
    config: *mut janus_config,
    parent: *mut janus_config_container,
    kind: janus_config_type,
    name: *const c_char,
) -> *mut janus_config_container {
    guard(std::ptr::null_mut(), || get(config, parent, kind, name, true))
}

/// Unlinks the first entry named `name` from `list`; it is returned, not freed.
unsafe fn unlink(list: *mut *mut GList, name: &[u8]) -> *mut janus_config_container {
    let found = find(*list, ANY, name);
    if !found.is_null() {
        *list = g_list_remove(*list, found as gconstpointer);
    }
    found
}

unsafe fn add(config: *mut janus_config, parent: *mut janus_config_container, item: *mut janus_config_container) -> c_int {
    if config.is_null() || item.is_null() {
        return -1;
    }
    let Some(list) = list_of(config, parent) else { return -2 };
    if let Some(name) = c_bytes((*item).name) {
        let old = unlink(list, name);
        // Re-adding the very same container only moves it to the end.
        if old != item {
            container_destroy(old as gpointer);
        }
    }
    *list = g_list_append(*list, item as gpointer);
    0
}

#[no_mangle]
pub unsafe extern "C" fn janus_config_add(
    config: *mut janus_config,
    parent: *mut janus_config_container,
    item: *mut janus_config_container,
) -> c_int {
    guard(-1, || add(config, parent, item))
}

#[no_mangle]
pub unsafe extern "C" fn janus_config_remove(config: *mut janus_config, parent: *mut janus_config_container, name: *const c_char) -> c_int {
    guard(-1, || {
        let Some(name) = c_bytes(name).filter(|_| !config.is_null()) else { return -1 };
        let Some(list) = list_of(config, parent) else { return -2 };
        let old = unlink(list, name);
        if old.is_null() {
            return -3;
        }
        container_destroy(old as gpointer);
        0
    })
}

/// A new shallow list of the members of one kind; the caller `g_list_free`s it.
unsafe fn members_of_kind(config: *mut janus_config, parent: *mut janus_config_container, kind: c_int) -> *mut GList {
    if config.is_null() {
        return std::ptr::null_mut();
    }
    let Some(list) = list_of(config, parent) else { return std::ptr::null_mut() };
    let mut out = std::ptr::null_mut();
    for p in g_list_iter(*list) {
        let c = p as *const janus_config_container;
        if !c.is_null() && (*c).type_ == kind {
            out = g_list_prepend(out, p);
        }
    }
    g_list_reverse(out)
}

#[no_mangle]
pub unsafe extern "C" fn janus_config_get_items(config: *mut janus_config, parent: *mut janus_config_container) -> *mut GList {
    guard(std::ptr::null_mut(), || members_of_kind(config, parent, ITEM))
}

#[no_mangle]
pub unsafe extern "C" fn janus_config_get_categories(config: *mut janus_config, parent: *mut janus_config_container) -> *mut GList {
    guard(std::ptr::null_mut(), || members_of_kind(config, parent, CATEGORY))
}

#[no_mangle]
pub unsafe extern "C" fn janus_config_get_arrays(config: *mut janus_config, parent: *mut janus_config_container) -> *mut GList {
    guard(std::ptr::null_mut(), || members_of_kind(config, parent, ARRAY))
}

#[no_mangle]
pub unsafe extern "C" fn janus_config_print(config: *mut janus_config) {
    guard((), || {
        if config.is_null() {
            return;
        }
        for line in read_config(config).print_lines() {
            log(LogLevel::Verb, &line);
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn janus_config_save(config: *mut janus_config, folder: *const c_char, filename: *const c_char) -> c_int {
    guard(-1, || {
        if config.is_null() {
            return -1;
        }
        let folder = c_bytes(folder).map(|f| Path::new(OsStr::from_bytes(f)));
        // Janus formats a NULL file name with "%s", which glibc prints as "(null)".
        let filename = OsStr::from_bytes(c_bytes(filename).unwrap_or(b"(null)"));
        match read_config(config).save(folder, filename) {
            Ok((_, messages)) => {
                for m in messages {
                    log(m.level, &m.text);
                }
                0
            }
            Err(e) => {
                log(LogLevel::Err, &e.message());
                match e {
                    crate::config::SaveError::Folder(_) => -2,
                    crate::config::SaveError::Open(_) => -3,
                }
            }
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn janus_config_destroy(config: *mut janus_config) {
    guard((), || {
        if config.is_null() {
            return;
        }
        g_list_free_full((*config).list, Some(container_destroy));
        g_free((*config).name as gpointer);
        g_free(config as gpointer);
    })
}
