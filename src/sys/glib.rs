//! The part of GLib the export layer needs. Everything that crosses the module boundary
//! (strings, lists, mutexes) must come from the process's one libglib-2.0.so.0, because
//! modules free, walk and lock it with their own inline code and imports.

use libc::{c_char, c_int, c_uint, c_void, size_t};

pub type gboolean = c_int;
pub type gpointer = *mut c_void;
pub type gconstpointer = *const c_void;
pub const TRUE: gboolean = 1;
pub const FALSE: gboolean = 0;

#[repr(C)]
pub struct GList {
    pub data: gpointer,
    pub next: *mut GList,
    pub prev: *mut GList,
}

/// `GMutex` is a union of a pointer and two `guint`s: 8 bytes, 8-aligned.
#[repr(C)]
#[derive(Default)]
pub struct GMutex {
    pub p: usize,
}

pub type GDestroyNotify = Option<unsafe extern "C" fn(gpointer)>;

extern "C" {
    pub fn g_malloc(n_bytes: size_t) -> gpointer;
    pub fn g_malloc0(n_bytes: size_t) -> gpointer;
    pub fn g_realloc(mem: gpointer, n_bytes: size_t) -> gpointer;
    pub fn g_free(mem: gpointer);
    pub fn g_strdup(s: *const c_char) -> *mut c_char;
    pub fn g_strndup(s: *const c_char, n: size_t) -> *mut c_char;
    pub fn g_list_append(list: *mut GList, data: gpointer) -> *mut GList;
    pub fn g_list_prepend(list: *mut GList, data: gpointer) -> *mut GList;
    pub fn g_list_remove(list: *mut GList, data: gconstpointer) -> *mut GList;
    pub fn g_list_remove_link(list: *mut GList, link: *mut GList) -> *mut GList;
    pub fn g_list_delete_link(list: *mut GList, link: *mut GList) -> *mut GList;
    pub fn g_list_free(list: *mut GList);
    pub fn g_list_free_full(list: *mut GList, free_func: GDestroyNotify);
    pub fn g_list_length(list: *mut GList) -> c_uint;
    pub fn g_list_copy(list: *mut GList) -> *mut GList;
    pub fn g_list_reverse(list: *mut GList) -> *mut GList;
    pub fn g_mutex_init(mutex: *mut GMutex);
    pub fn g_mutex_clear(mutex: *mut GMutex);
    pub fn g_mutex_lock(mutex: *mut GMutex);
    pub fn g_mutex_unlock(mutex: *mut GMutex);
    pub fn g_random_int() -> u32;
    pub fn g_path_is_absolute(file_name: *const c_char) -> gboolean;
    /// Variadic: NULL-terminated list of path elements.
    pub fn g_build_filename(first_element: *const c_char, ...) -> *mut c_char;
    pub fn g_print(format: *const c_char, ...);
}

/// Copies a Rust string into a GLib-allocated, NUL-terminated C string (modules `g_free` it).
/// Interior NULs end the C string early, as they would in C.
///
/// # Safety
/// Calls into GLib; the result must be released with `g_free`.
pub unsafe fn g_strdup_str(s: &str) -> *mut c_char {
    let bytes = s.as_bytes();
    let len = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    let p = g_malloc(len + 1) as *mut u8;
    std::ptr::copy_nonoverlapping(bytes.as_ptr(), p, len);
    *p.add(len) = 0;
    p as *mut c_char
}

/// Iterates the `data` pointers of a GList.
///
/// # Safety
/// `list` must be NULL or a valid GList that is not modified during the iteration.
pub unsafe fn g_list_iter(list: *mut GList) -> impl Iterator<Item = gpointer> {
    let mut cur = list;
    std::iter::from_fn(move || {
        if cur.is_null() {
            None
        } else {
            let data = (*cur).data;
            cur = (*cur).next;
            Some(data)
        }
    })
}

/// `GOptionEntry` (48 bytes): one command-line option for GLib's parser.
#[repr(C)]
pub struct GOptionEntry {
    pub long_name: *const c_char,
    pub short_name: c_char,
    pub flags: c_int,
    pub arg: c_int,
    pub arg_data: gpointer,
    pub description: *const c_char,
    pub arg_description: *const c_char,
}

pub const G_OPTION_ARG_NONE: c_int = 0;
pub const G_OPTION_ARG_STRING: c_int = 1;
pub const G_OPTION_ARG_INT: c_int = 2;

#[repr(C)]
pub struct GError {
    pub domain: u32,
    pub code: c_int,
    pub message: *mut c_char,
}

#[repr(C)]
pub struct GOptionContext {
    _private: [u8; 0],
}

extern "C" {
    pub fn g_option_context_new(parameter_string: *const c_char) -> *mut GOptionContext;
    pub fn g_option_context_set_help_enabled(context: *mut GOptionContext, help_enabled: gboolean);
    pub fn g_option_context_add_main_entries(context: *mut GOptionContext, entries: *const GOptionEntry, translation_domain: *const c_char);
    pub fn g_option_context_parse(
        context: *mut GOptionContext,
        argc: *mut c_int,
        argv: *mut *mut *mut c_char,
        error: *mut *mut GError,
    ) -> gboolean;
    pub fn g_option_context_free(context: *mut GOptionContext);
    pub fn g_error_free(error: *mut GError);
}

/// Prints a line the way Janus' `g_print` calls do: GLib converts UTF-8 to the locale's
/// charset, and Janus never calls `setlocale`, so non-ASCII comes out as '?'.
pub fn print_line(text: &str) {
    let c = std::ffi::CString::new(text.replace('\0', "")).unwrap_or_default();
    // SAFETY: a constant format consuming exactly one NUL-terminated string.
    unsafe { g_print(c"%s\n".as_ptr(), c.as_ptr()) }
}

/// Opaque `GHashTable`.
#[repr(C)]
pub struct GHashTable {
    _private: [u8; 0],
}

pub type GHashFunc = Option<unsafe extern "C" fn(gconstpointer) -> c_uint>;
pub type GEqualFunc = Option<unsafe extern "C" fn(gconstpointer, gconstpointer) -> gboolean>;
pub type GHFunc = Option<unsafe extern "C" fn(gpointer, gpointer, gpointer)>;

extern "C" {
    pub fn g_hash_table_new_full(
        hash_func: GHashFunc,
        key_equal_func: GEqualFunc,
        key_destroy_func: GDestroyNotify,
        value_destroy_func: GDestroyNotify,
    ) -> *mut GHashTable;
    pub fn g_hash_table_insert(table: *mut GHashTable, key: gpointer, value: gpointer) -> gboolean;
    pub fn g_hash_table_foreach(table: *mut GHashTable, func: GHFunc, user_data: gpointer);
    pub fn g_hash_table_destroy(table: *mut GHashTable);
}

/// GLib's (non-cryptographic) PRNG, Janus' fallback when OpenSSL cannot give random bytes.
pub fn random_u32() -> u32 {
    // SAFETY: no arguments, no preconditions.
    unsafe { g_random_int() }
}

extern "C" {
    fn g_str_hash(v: gconstpointer) -> c_uint;
    fn g_str_equal(a: gconstpointer, b: gconstpointer) -> gboolean;
}

/// The order in which a GLib string-keyed hash table, filled with `keys` in this order,
/// iterates them: Janus lists its modules by walking such tables, so this is the order
/// `info` must show. Returns indices into `keys`.
pub fn string_hash_table_order(keys: &[&str]) -> Vec<usize> {
    unsafe extern "C" fn collect(_key: gpointer, value: gpointer, order: gpointer) {
        (*(order as *mut Vec<usize>)).push(value as usize - 1);
    }
    let c_keys: Vec<std::ffi::CString> = keys.iter().map(|k| std::ffi::CString::new(*k).unwrap_or_default()).collect();
    let mut order = Vec::with_capacity(keys.len());
    // SAFETY: the table borrows our C strings, which outlive it; values are indices + 1 (a
    // NULL value would read as absent).
    unsafe {
        let table = g_hash_table_new_full(Some(g_str_hash), Some(g_str_equal), None, None);
        for (i, k) in c_keys.iter().enumerate() {
            g_hash_table_insert(table, k.as_ptr() as gpointer, (i + 1) as gpointer);
        }
        g_hash_table_foreach(table, Some(collect), (&raw mut order).cast());
        g_hash_table_destroy(table);
    }
    order
}
