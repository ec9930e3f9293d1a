//! libconfig 1.5, the way Janus drives it for `.jcfg` files: read a whole file into an owned
//! tree of settings, and write such a tree back as libconfig text. Going through the library
//! itself (rather than a Rust re-implementation) keeps its exact grammar, its error lines and
//! texts, and its output formatting.

use std::ffi::{CStr, CString};
use std::fs::File;
use std::os::fd::IntoRawFd;

use libc::{c_char, c_int};

use super::libconfig::*;

/// A setting's value, one variant per libconfig type.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Int(i32),
    Int64(i64),
    Float(f64),
    Bool(bool),
    Str(String),
    Group(Vec<Setting>),
    Array(Vec<Setting>),
    List(Vec<Setting>),
}

/// One setting; members of arrays and lists have no name.
#[derive(Clone, Debug, PartialEq)]
pub struct Setting {
    pub name: Option<String>,
    pub value: Value,
}

/// Why libconfig refused a file: its error line and text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadError {
    pub line: i32,
    pub text: Option<String>,
}

/// An initialised `config_t`, destroyed on drop. Boxed so its address never changes: the
/// settings libconfig creates point back at it.
struct Document(Box<config_t>);

impl Document {
    fn new() -> Document {
        let mut cfg = Box::<config_t>::default();
        // SAFETY: config_init only initialises the struct it is given.
        unsafe { config_init(&mut *cfg) };
        Document(cfg)
    }
}

impl Drop for Document {
    fn drop(&mut self) {
        // SAFETY: initialised in `new`, destroyed once.
        unsafe { config_destroy(&mut *self.0) };
    }
}

/// Reads an already opened file with `config_read`, as Janus does with its `FILE *` (so a
/// relative `@include` resolves against the working directory, as there). Returns the
/// members of the root group.
pub fn read(file: File) -> Result<Vec<Setting>, ReadError> {
    let fd = file.into_raw_fd();
    // SAFETY: `fd` is ours; on success the stream owns it and fclose closes it.
    let stream = unsafe { libc::fdopen(fd, c"r".as_ptr()) };
    if stream.is_null() {
        // SAFETY: fdopen failed, so the descriptor is still ours to close.
        unsafe { libc::close(fd) };
        return Err(ReadError { line: 0, text: Some("file I/O error".into()) });
    }
    let mut doc = Document::new();
    // SAFETY: a valid document and an open stream, closed right after.
    let ok = unsafe {
        let ok = config_read(&mut *doc.0, stream as *mut FILE);
        libc::fclose(stream);
        ok
    };
    if ok == 0 {
        // SAFETY: on failure libconfig leaves a static (or NULL) error text.
        let text = unsafe { opt_string(doc.0.error_text) };
        return Err(ReadError { line: doc.0.error_line, text });
    }
    // SAFETY: the root of a successfully read document is a valid group.
    Ok(unsafe { members(doc.0.root) })
}

/// Builds a document from `root` (the members of the root group) with `config_setting_add`
/// and renders it with `config_write`. Settings libconfig refuses to add (an invalid or
/// duplicate name, a nameless member of a group) are skipped with their members, and reported
/// to `rejected`.
pub fn write(root: &[Setting], rejected: &mut dyn FnMut(&Setting)) -> Vec<u8> {
    let doc = Document::new();
    // SAFETY: the root group of a live document.
    unsafe { add_members(doc.0.root, root, rejected) };
    let mut buf: *mut c_char = std::ptr::null_mut();
    let mut len: libc::size_t = 0;
    // SAFETY: open_memstream fills buf/len on fclose; we copy and free the buffer.
    unsafe {
        let stream = libc::open_memstream(&mut buf, &mut len);
        if stream.is_null() {
            return Vec::new();
        }
        config_write(&*doc.0, stream as *mut FILE);
        libc::fclose(stream);
        let out = std::slice::from_raw_parts(buf as *const u8, len).to_vec();
        libc::free(buf as *mut libc::c_void);
        out
    }
}

unsafe fn opt_string(p: *const c_char) -> Option<String> {
    (!p.is_null()).then(|| CStr::from_ptr(p).to_string_lossy().into_owned())
}

unsafe fn members(setting: *const config_setting_t) -> Vec<Setting> {
    let n = config_setting_length(setting);
    (0..n)
        .filter_map(|i| {
            let elem = config_setting_get_elem(setting, i as _);
            (!elem.is_null()).then(|| convert(elem))
        })
        .collect()
}

unsafe fn convert(s: *const config_setting_t) -> Setting {
    let value = match (*s).type_ as u32 {
        CONFIG_TYPE_INT => Value::Int(config_setting_get_int(s)),
        CONFIG_TYPE_INT64 => Value::Int64(config_setting_get_int64(s)),
        CONFIG_TYPE_FLOAT => Value::Float(config_setting_get_float(s)),
        CONFIG_TYPE_BOOL => Value::Bool(config_setting_get_bool(s) != 0),
        CONFIG_TYPE_STRING => Value::Str(opt_string(config_setting_get_string(s)).unwrap_or_default()),
        CONFIG_TYPE_ARRAY => Value::Array(members(s)),
        CONFIG_TYPE_LIST => Value::List(members(s)),
        _ => Value::Group(members(s)),
    };
    Setting { name: opt_string((*s).name), value }
}

unsafe fn add_members(parent: *mut config_setting_t, settings: &[Setting], rejected: &mut dyn FnMut(&Setting)) {
    let in_group = (*parent).type_ as u32 == CONFIG_TYPE_GROUP;
    for s in settings {
        // libconfig ignores names inside arrays and lists; a group member needs one.
        let name = match (&s.name, in_group) {
            (Some(n), true) => Some(CString::new(n.split('\0').next().unwrap_or("")).unwrap_or_default()),
            (None, true) => {
                rejected(s);
                continue;
            }
            (_, false) => None,
        };
        let kind = match s.value {
            Value::Int(_) => CONFIG_TYPE_INT,
            Value::Int64(_) => CONFIG_TYPE_INT64,
            Value::Float(_) => CONFIG_TYPE_FLOAT,
            Value::Bool(_) => CONFIG_TYPE_BOOL,
            Value::Str(_) => CONFIG_TYPE_STRING,
            Value::Group(_) => CONFIG_TYPE_GROUP,
            Value::Array(_) => CONFIG_TYPE_ARRAY,
            Value::List(_) => CONFIG_TYPE_LIST,
        };
        let elem = config_setting_add(parent, name.as_ref().map_or(std::ptr::null(), |n| n.as_ptr()), kind as c_int);
        if elem.is_null() {
            rejected(s);
            continue;
        }
        match &s.value {
            Value::Int(v) => {
                config_setting_set_int(elem, *v);
            }
            Value::Int64(v) => {
                config_setting_set_int64(elem, *v);
            }
            Value::Float(v) => {
                config_setting_set_float(elem, *v);
            }
            Value::Bool(v) => {
                config_setting_set_bool(elem, *v as c_int);
            }
            Value::Str(v) => {
                let c = CString::new(v.split('\0').next().unwrap_or("")).unwrap_or_default();
                config_setting_set_string(elem, c.as_ptr());
            }
            Value::Group(m) | Value::Array(m) | Value::List(m) => add_members(elem, m, rejected),
        }
    }
}
