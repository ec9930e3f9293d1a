//! The core's side of event handler and logger modules: [`EventHandler`] and [`Logger`]
//! implemented over a loaded `janus_eventhandler` / `janus_logger` vtable, with Janus'
//! `init` calls and ownership rules.
//!
//! Ownership, as Janus has it: `incoming_event` *borrows* the event (the core releases its
//! reference when the call returns; a handler that queues the event increfs it), the line
//! given to `incoming_logline` is borrowed, the request given to `handle_request` is
//! borrowed and its response is stolen.

use std::ffi::{CStr, CString};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use libc::c_char;

use super::json::{from_jansson, to_jansson};
use super::modules::{EventHandlerVtable, LoadedModule, LoggerVtable, Vtable};
use crate::events::EventHandler;
use crate::json::{Json, Object};
use crate::loggers::Logger;
use crate::modules::ModuleInfo;
use crate::sys::jansson::{json_decref, json_t};

fn c_path(path: &Path) -> CString {
    // A path with an interior NUL cannot reach C intact; the module then sees "".
    CString::new(path.as_os_str().as_encoded_bytes()).unwrap_or_default()
}

/// Calls a module's `handle_request` hook: `None` without a hook, else the module's answer,
/// `{}` when it returned NULL (what the Admin API replies then).
///
/// # Safety
/// `hook` must be the module's `handle_request` (or None).
unsafe fn handle_request(
    hook: Option<unsafe extern "C" fn(*mut json_t) -> *mut json_t>,
    request: Option<&Json>,
) -> Option<Json> {
    let hook = hook?;
    let request = request.map_or(std::ptr::null_mut(), to_jansson);
    let response = hook(request);
    json_decref(request);
    if response.is_null() {
        return Some(Object::new().into());
    }
    let answer = from_jansson(response);
    json_decref(response);
    Some(answer)
}

/// A loaded, `init`ed event handler module.
pub struct EventHandlerModule {
    info: ModuleInfo,
    vtable: *const EventHandlerVtable,
    destroyed: AtomicBool,
}

// The vtable is the module's static data; its functions are callable from any thread (Janus
// calls them from the events thread and the Admin API threads).
unsafe impl Send for EventHandlerModule {}
unsafe impl Sync for EventHandlerModule {}

/// `init(configs_folder)` on an event handler module, as Janus does at startup (its result
/// is ignored: a handler that failed to initialise keeps an empty mask). `None` if the
/// module is not an event handler.
pub fn start_event_handler(
    module: &LoadedModule,
    configs_folder: &Path,
) -> Option<Arc<EventHandlerModule>> {
    let Vtable::EventHandler(vtable) = module.vtable else {
        return None;
    };
    let folder = c_path(configs_folder);
    // SAFETY: `vtable` is what the module's create() returned and passed the checks
    // (`init` is mandatory); the folder string outlives the call.
    unsafe {
        if let Some(init) = (*vtable).init {
            init(folder.as_ptr());
        }
    }
    Some(Arc::new(EventHandlerModule {
        info: module.info.clone(),
        vtable,
        destroyed: AtomicBool::new(false),
    }))
}

impl EventHandlerModule {
    /// What the module said about itself when loaded (for `info` and the Admin API).
    pub fn info(&self) -> &ModuleInfo {
        &self.info
    }

    /// `destroy()`, as Janus calls it at shutdown after the event bus stopped. Only the
    /// first call reaches the module.
    pub fn destroy(&self) {
        if self.destroyed.swap(true, Ordering::AcqRel) {
            return;
        }
        // SAFETY: mandatory method of a checked vtable.
        unsafe {
            if let Some(destroy) = (*self.vtable).destroy {
                destroy();
            }
        }
    }
}

impl EventHandler for EventHandlerModule {
    fn package(&self) -> String {
        self.info.package.clone()
    }

    fn mask(&self) -> u64 {
        // SAFETY: `events_mask` is a gsize inside the module's static vtable, which the
        // module rewrites at run time (janus_events_edit_events_mask): read it atomically,
        // as Janus does (g_atomic_pointer_get).
        unsafe {
            let field = (&raw const (*self.vtable).events_mask).cast_mut();
            AtomicUsize::from_ptr(field).load(Ordering::Acquire) as u64
        }
    }

    fn incoming_event(&self, event: &Json) {
        // SAFETY: mandatory method of a checked vtable; the value is ours, lent for the call.
        unsafe {
            if let Some(incoming) = (*self.vtable).incoming_event {
                let value = to_jansson(event);
                incoming(value);
                json_decref(value);
            }
        }
    }

    fn handle_request(&self, request: Option<&Json>) -> Option<Json> {
        // SAFETY: the hook comes from the checked vtable.
        unsafe { handle_request((*self.vtable).handle_request, request) }
    }
}

/// A loaded, `init`ed logger module.
pub struct LoggerModule {
    info: ModuleInfo,
    vtable: *const LoggerVtable,
    destroyed: AtomicBool,
}

// As for event handlers: static module data, thread-safe entry points.
unsafe impl Send for LoggerModule {}
unsafe impl Sync for LoggerModule {}

/// `init(server_name, configs_folder)` on a logger module, as Janus does at startup (its
/// result is ignored). Register it with
/// `crate::log::add_sink(crate::loggers::sink(logger))` to feed it. `None` if the module
/// is not a logger.
pub fn start_logger(
    module: &LoadedModule,
    server_name: &str,
    configs_folder: &Path,
) -> Option<Arc<LoggerModule>> {
    let Vtable::Logger(vtable) = module.vtable else {
        return None;
    };
    let name = CString::new(server_name.replace('\0', "")).unwrap_or_default();
    let folder = c_path(configs_folder);
    // SAFETY: checked vtable (`init` is mandatory); both strings outlive the call.
    unsafe {
        if let Some(init) = (*vtable).init {
            init(name.as_ptr(), folder.as_ptr());
        }
    }
    Some(Arc::new(LoggerModule {
        info: module.info.clone(),
        vtable,
        destroyed: AtomicBool::new(false),
    }))
}

impl LoggerModule {
    /// What the module said about itself when loaded (for `info` and the Admin API).
    pub fn info(&self) -> &ModuleInfo {
        &self.info
    }

    /// `destroy()`, as Janus calls it at exit once the log pipeline stopped (shut the log
    /// thread down and clear the sinks first). Only the first call reaches the module.
    pub fn destroy(&self) {
        if self.destroyed.swap(true, Ordering::AcqRel) {
            return;
        }
        // SAFETY: mandatory method of a checked vtable.
        unsafe {
            if let Some(destroy) = (*self.vtable).destroy {
                destroy();
            }
        }
    }
}

impl Logger for LoggerModule {
    fn package(&self) -> String {
        self.info.package.clone()
    }

    fn incoming_logline(&self, timestamp: i64, line: &CStr) {
        // SAFETY: mandatory method of a checked vtable; the line is lent for the call.
        unsafe {
            if let Some(incoming) = (*self.vtable).incoming_logline {
                incoming(timestamp, line.as_ptr() as *const c_char);
            }
        }
    }

    fn handle_request(&self, request: Option<&Json>) -> Option<Json> {
        // SAFETY: the hook comes from the checked vtable.
        unsafe { handle_request((*self.vtable).handle_request, request) }
    }
}
