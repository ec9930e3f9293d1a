//! Hosting C transports: the `janus_transport_callbacks` table they call (requests in,
//! connections gone, secret and token checks, events), and [`TransportSession`] implemented
//! over a `janus_transport_session` and its transport's vtable. A request holds a reference
//! on its transport session for as long as the core uses it, as Janus' `janus_request` does.

use std::ffi::CStr;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use libc::{c_char, c_void};

use super::json::{from_jansson, to_jansson};
use super::modules::{init_argument, query_hook, LoadedModule, TransportVtable, Vtable};
use super::refcount::JanusRefcount;
use super::transport::janus_transport_session;
use super::{c_str, guard};
use crate::gateway::Gateway;
use crate::json::Json;
use crate::modules::{AdminResponse, ModuleInfo, QueryableModule};
use crate::sys::glib::{gboolean, FALSE, TRUE};
use crate::sys::jansson::{json_decref, json_error_t, json_t, json_typeof, JSON_OBJECT};
use crate::transport_host::{Dispatcher, ParseError, Request, RequestId, TransportSession};

/// What the callbacks serve; set before the first transport is initialised.
struct Host {
    gateway: Arc<Gateway>,
    dispatcher: Mutex<Option<Dispatcher>>,
}

static HOST: OnceLock<Host> = OnceLock::new();

/// Routes transport callbacks to `gateway`, with requests going through `dispatcher`.
pub fn install(gateway: Arc<Gateway>, dispatcher: Dispatcher) {
    let _ = HOST.set(Host { gateway, dispatcher: Mutex::new(Some(dispatcher)) });
}

/// Stops taking requests: what is queued is processed, later ones are dropped.
pub fn stop_requests() {
    if let Some(host) = HOST.get() {
        let dispatcher = host.dispatcher.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(d) = dispatcher {
            d.stop();
        }
    }
}

/// A loaded, initialised transport.
pub struct CTransport {
    vtable: &'static TransportVtable,
    pub info: ModuleInfo,
}

unsafe impl Send for CTransport {}
unsafe impl Sync for CTransport {}

impl CTransport {
    pub fn is_janus_api_enabled(&self) -> bool {
        // SAFETY: a mandatory method of a loaded transport.
        self.vtable.is_janus_api_enabled.is_some_and(|f| unsafe { f() } != FALSE)
    }

    pub fn is_admin_api_enabled(&self) -> bool {
        // SAFETY: as above.
        self.vtable.is_admin_api_enabled.is_some_and(|f| unsafe { f() } != FALSE)
    }

    /// `destroy()` at shutdown.
    pub fn destroy(&self) {
        if let Some(destroy) = self.vtable.destroy {
            // SAFETY: a mandatory method of a loaded transport.
            unsafe { destroy() }
        }
    }
}

impl QueryableModule for CTransport {
    fn description(&self) -> &ModuleInfo {
        &self.info
    }
    fn handle_request(&self, request: Option<&Json>) -> AdminResponse {
        // SAFETY: the hook comes from the checked vtable.
        unsafe { query_hook(self.vtable.query_transport, request) }
    }
}

/// `init(&janus_transport_callbacks, configs_folder)`; `Err` with the negative result when
/// the transport refuses to start.
pub fn start_transport(module: &LoadedModule, configs_folder: &Path) -> Result<Arc<CTransport>, i32> {
    let Vtable::Transport(vtable) = module.vtable else { return Err(-1) };
    // SAFETY: the vtable lives as long as the (never unloaded) module.
    let vtable: &'static TransportVtable = unsafe { &*vtable };
    let folder = init_argument(configs_folder.as_os_str().as_encoded_bytes());
    let init = vtable.init.expect("checked when loaded");
    // SAFETY: the callbacks table is static; the folder string is never freed.
    let result = unsafe { init(&raw const CALLBACKS as *mut c_void, folder) };
    if result < 0 {
        return Err(result);
    }
    Ok(Arc::new(CTransport { vtable, info: module.info.clone() }))
}

/// One client connection: a counted reference on the transport's session object.
struct CTransportSession {
    ts: *mut janus_transport_session,
    vtable: &'static TransportVtable,
}

unsafe impl Send for CTransportSession {}
unsafe impl Sync for CTransportSession {}

impl CTransportSession {
    /// Takes a reference on `ts` for the lifetime of the returned value.
    unsafe fn new(ts: *mut janus_transport_session, vtable: &'static TransportVtable) -> CTransportSession {
        JanusRefcount::increase(&raw mut (*ts).ref_);
        CTransportSession { ts, vtable }
    }
}

impl Drop for CTransportSession {
    fn drop(&mut self) {
        // SAFETY: we hold one reference, taken in `new`.
        unsafe { JanusRefcount::decrease(&raw mut (*self.ts).ref_) }
    }
}

impl TransportSession for CTransportSession {
    fn instance(&self) -> usize {
        self.ts as usize
    }

    fn transport_package(&self) -> String {
        // SAFETY: a mandatory method returning a static string.
        self.vtable.get_package.and_then(|f| unsafe { c_str(f()) }.map(String::from)).unwrap_or_default()
    }

    fn send(&self, request_id: Option<RequestId>, admin: bool, message: Json) {
        let send = self.vtable.send_message.expect("checked when loaded");
        let id = request_id.map_or(std::ptr::null_mut(), |r| r.0 as *mut c_void);
        // SAFETY: the transport takes the message's reference; the session is referenced.
        unsafe {
            send(self.ts as *mut c_void, id, admin as gboolean, to_jansson(&message));
        }
    }

    fn session_created(&self, session_id: u64) {
        // SAFETY: mandatory methods of a loaded transport, on a referenced session.
        unsafe { self.vtable.session_created.expect("checked when loaded")(self.ts as *mut c_void, session_id) }
    }

    fn session_over(&self, session_id: u64, timeout: bool, claimed: bool) {
        // SAFETY: as above.
        unsafe {
            self.vtable.session_over.expect("checked when loaded")(
                self.ts as *mut c_void,
                session_id,
                timeout as gboolean,
                claimed as gboolean,
            )
        }
    }

    fn session_claimed(&self, session_id: u64) {
        // SAFETY: as above.
        unsafe { self.vtable.session_claimed.expect("checked when loaded")(self.ts as *mut c_void, session_id) }
    }
}

unsafe fn chars(buf: &[c_char]) -> String {
    CStr::from_ptr(buf.as_ptr()).to_string_lossy().into_owned()
}

unsafe extern "C" fn incoming_request(
    plugin: *mut TransportVtable,
    ts: *mut janus_transport_session,
    request_id: *mut c_void,
    admin: gboolean,
    message: *mut json_t,
    error: *mut json_error_t,
) {
    guard((), || {
        let parsed = if message.is_null() {
            Err(error.as_ref().map(|e| ParseError { source: chars(&e.source), line: e.line, column: e.column, text: chars(&e.text) }))
        } else {
            let m = from_jansson(message);
            // The request owned this reference.
            json_decref(message);
            Ok(m)
        };
        let (Some(host), false, false) = (HOST.get(), plugin.is_null(), ts.is_null()) else { return };
        let transport = Arc::new(CTransportSession::new(ts, &*plugin));
        let kind = if admin != FALSE { "an admin" } else { "a Janus" };
        crate::janus_log!(crate::log::Level::Verb, "Got {} API request from {} ({:p})\n", kind, transport.transport_package(), ts);
        let request_id = (!request_id.is_null()).then_some(RequestId(request_id as usize));
        let request = Request { transport, request_id, admin: admin != FALSE, message: parsed };
        if let Some(d) = host.dispatcher.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
            d.dispatch(request);
        }
    })
}

unsafe extern "C" fn transport_gone(plugin: *mut TransportVtable, ts: *mut janus_transport_session) {
    guard((), || {
        if let (Some(host), false, false) = (HOST.get(), plugin.is_null(), ts.is_null()) {
            host.gateway.transport_gone(&CTransportSession::new(ts, &*plugin));
        }
    })
}

unsafe extern "C" fn is_api_secret_needed(_plugin: *mut TransportVtable) -> gboolean {
    guard(FALSE, || HOST.get().is_some_and(|h| h.gateway.settings.api_secret.is_some()) as gboolean)
}

unsafe extern "C" fn is_api_secret_valid(_plugin: *mut TransportVtable, apisecret: *const c_char) -> gboolean {
    guard(FALSE, || {
        let Some(host) = HOST.get() else { return FALSE };
        match host.gateway.settings.api_secret.as_deref() {
            None => TRUE,
            Some(secret) => c_str(apisecret).is_some_and(|s| crate::utils::strcmp_const_time(s.as_bytes(), secret.as_bytes())) as gboolean,
        }
    })
}

unsafe extern "C" fn is_auth_token_needed(_plugin: *mut TransportVtable) -> gboolean {
    guard(FALSE, || HOST.get().is_some_and(|h| h.gateway.auth.is_enabled()) as gboolean)
}

unsafe extern "C" fn is_auth_token_valid(_plugin: *mut TransportVtable, token: *const c_char) -> gboolean {
    guard(FALSE, || {
        let Some(host) = HOST.get() else { return FALSE };
        let auth = &host.gateway.auth;
        if !auth.is_enabled() {
            return TRUE;
        }
        let now = crate::utils::real_time() / 1_000_000;
        c_str(token).is_some_and(|t| auth.check_token(t, now)) as gboolean
    })
}

unsafe extern "C" fn events_is_enabled() -> gboolean {
    guard(FALSE, || HOST.get().is_some_and(|h| h.gateway.events_enabled()) as gboolean)
}

unsafe extern "C" fn notify_event(plugin: *mut TransportVtable, transport: *mut c_void, event: *mut json_t) {
    guard((), || {
        // Janus returns without taking the reference when the arguments are unusable.
        if plugin.is_null() || event.is_null() || json_typeof(event) != JSON_OBJECT {
            return;
        }
        if let Some(host) = HOST.get() {
            let package = (*plugin).get_package.and_then(|f| c_str(f())).unwrap_or_default();
            host.gateway.notify_transport_event(package.to_string(), transport as usize, from_jansson(event));
        }
        json_decref(event);
    })
}

/// `janus_transport_callbacks`: 8 function pointers, 64 bytes.
#[repr(C)]
struct JanusTransportCallbacks {
    incoming_request:
        unsafe extern "C" fn(*mut TransportVtable, *mut janus_transport_session, *mut c_void, gboolean, *mut json_t, *mut json_error_t),
    transport_gone: unsafe extern "C" fn(*mut TransportVtable, *mut janus_transport_session),
    is_api_secret_needed: unsafe extern "C" fn(*mut TransportVtable) -> gboolean,
    is_api_secret_valid: unsafe extern "C" fn(*mut TransportVtable, *const c_char) -> gboolean,
    is_auth_token_needed: unsafe extern "C" fn(*mut TransportVtable) -> gboolean,
    is_auth_token_valid: unsafe extern "C" fn(*mut TransportVtable, *const c_char) -> gboolean,
    events_is_enabled: unsafe extern "C" fn() -> gboolean,
    notify_event: unsafe extern "C" fn(*mut TransportVtable, *mut c_void, *mut json_t),
}

const _: () = assert!(std::mem::size_of::<JanusTransportCallbacks>() == 64);

static CALLBACKS: JanusTransportCallbacks = JanusTransportCallbacks {
    incoming_request,
    transport_gone,
    is_api_secret_needed,
    is_api_secret_valid,
    is_auth_token_needed,
    is_auth_token_valid,
    events_is_enabled,
    notify_event,
};
