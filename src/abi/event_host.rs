//! The core's side of event handler and logger modules: [`EventHandler`] and [`Logger`]
//! implemented over a loaded `janus_eventhandler` / `janus_logger` vtable, with Janus'
//! `init` calls and ownership rules.
//!
//! Ownership, as Janus has it: `incoming_event` *borrows* the event (the core releases its
//! reference when the call returns; a handler that queues the event increfs it), the line
//! given to `incoming_logline` is borrowed, the request given to `handle_request` is
//! borrowed and its response is stolen.

use std::ffi::CStr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use libc::c_char;

use super::json::to_jansson;
use super::modules::{init_argument, query_hook, EventHandlerVtable, LoadedModule, LoggerVtable, Vtable};
use crate::events::EventHandler;
use crate::json::Json;
use crate::loggers::Logger;
use crate::modules::{AdminResponse, ModuleInfo, QueryableModule};
use crate::sys::jansson::json_decref;

/// A module's `destroy()`, let through once: Janus destroys event handlers and loggers at
/// shutdown, and the core may reach that point from more than one path.
#[derive(Default)]
struct DestroyOnce(AtomicBool);

impl DestroyOnce {
    fn call(&self, destroy: Option<unsafe extern "C" fn()>) {
        if self.0.swap(true, Ordering::AcqRel) {
            return;
        }
        if let Some(destroy) = destroy {
            // SAFETY: a mandatory method of a module whose vtable passed the load checks.
            unsafe { destroy() }
        }
    }
}

/// A loaded, `init`ed event handler module.
pub struct EventHandlerModule {
    info: ModuleInfo,
    vtable: *const EventHandlerVtable,
    destroyed: DestroyOnce,
}

// The vtable is the module's static data; its functions are callable from any thread (Janus
// calls them from the events thread and the Admin API threads).
unsafe impl Send for EventHandlerModule {}
unsafe impl Sync for EventHandlerModule {}

/// `init(configs_folder)` on an event handler module, as Janus does at startup (its result
/// is ignored: a handler that failed to initialise keeps an empty mask). `None` if the
/// module is not an event handler.
pub fn start_event_handler(module: &LoadedModule, configs_folder: &Path) -> Option<Arc<EventHandlerModule>> {
    let Vtable::EventHandler(vtable) = module.vtable else {
        return None;
    };
    let folder = init_argument(configs_folder.as_os_str().as_encoded_bytes());
    // SAFETY: `vtable` is what the module's create() returned and passed the checks
    // (`init` is mandatory); the folder string outlives the call.
    unsafe {
        if let Some(init) = (*vtable).init {
            init(folder);
        }
    }
    Some(Arc::new(EventHandlerModule { info: module.info.clone(), vtable, destroyed: DestroyOnce::default() }))
}

impl EventHandlerModule {
    /// What the module said about itself when loaded (for `info` and the Admin API).
    pub fn info(&self) -> &ModuleInfo {
        &self.info
    }

    /// `destroy()`, as Janus calls it at shutdown after the event bus stopped. Only the
    /// first call reaches the module.
    pub fn destroy(&self) {
        // SAFETY: the vtable was checked at load time and is the module's static data.
        self.destroyed.call(unsafe { (*self.vtable).destroy });
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
}

/// A loaded, `init`ed logger module.
pub struct LoggerModule {
    info: ModuleInfo,
    vtable: *const LoggerVtable,
    destroyed: DestroyOnce,
}

// As for event handlers: static module data, thread-safe entry points.
unsafe impl Send for LoggerModule {}
unsafe impl Sync for LoggerModule {}

/// `init(server_name, configs_folder)` on a logger module, as Janus does at startup (its
/// result is ignored). Register it with
/// `crate::log::add_sink(crate::loggers::sink(logger))` to feed it. `None` if the module
/// is not a logger.
pub fn start_logger(module: &LoadedModule, server_name: &str, configs_folder: &Path) -> Option<Arc<LoggerModule>> {
    let Vtable::Logger(vtable) = module.vtable else {
        return None;
    };
    let name = init_argument(server_name.as_bytes());
    let folder = init_argument(configs_folder.as_os_str().as_encoded_bytes());
    // SAFETY: checked vtable (`init` is mandatory); both strings outlive the call.
    unsafe {
        if let Some(init) = (*vtable).init {
            init(name, folder);
        }
    }
    Some(Arc::new(LoggerModule { info: module.info.clone(), vtable, destroyed: DestroyOnce::default() }))
}

impl LoggerModule {
    /// What the module said about itself when loaded (for `info` and the Admin API).
    pub fn info(&self) -> &ModuleInfo {
        &self.info
    }

    /// `destroy()`, as Janus calls it at exit once the log pipeline stopped (shut the log
    /// thread down and clear the sinks first). Only the first call reaches the module.
    pub fn destroy(&self) {
        // SAFETY: the vtable was checked at load time and is the module's static data.
        self.destroyed.call(unsafe { (*self.vtable).destroy });
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
}

impl QueryableModule for EventHandlerModule {
    fn description(&self) -> &ModuleInfo {
        &self.info
    }
    fn handle_request(&self, request: Option<&Json>) -> AdminResponse {
        // SAFETY: the hook comes from the checked vtable.
        unsafe { query_hook((*self.vtable).handle_request, request) }
    }
}

impl QueryableModule for LoggerModule {
    fn description(&self) -> &ModuleInfo {
        &self.info
    }
    fn handle_request(&self, request: Option<&Json>) -> AdminResponse {
        // SAFETY: the hook comes from the checked vtable.
        unsafe { query_hook((*self.vtable).handle_request, request) }
    }
}
