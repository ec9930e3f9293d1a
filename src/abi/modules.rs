//! Loading modules the way Janus 1.1.2 does: `dlopen(RTLD_NOW | RTLD_GLOBAL)`, `create()`,
//! the mandatory-method check, the API version check. The vtables below are the module-owned
//! structs `create()` returns (`janus_plugin`, `janus_transport`, `janus_eventhandler`,
//! `janus_logger`), with Janus' layout. Modules are never unloaded once they passed the checks.

use std::ffi::{CStr, CString};
use std::path::Path;

use libc::{c_char, c_int, c_void};

use super::json::{from_jansson, to_jansson};
use crate::json::Json;
use crate::modules::{AdminResponse, LoadError, ModuleInfo, ModuleKind};
use crate::sys::glib::gboolean;
use crate::sys::jansson::{json_decref, json_t};

/// Types the control plane will define; opaque here, where only the function pointers' shape matters.
pub type PluginSession = c_void;
pub type PluginCallbacks = c_void;
pub type PluginResult = c_void;
pub type PluginRtp = c_void;
pub type PluginRtcp = c_void;
pub type PluginData = c_void;
pub type TransportSession = c_void;
pub type TransportCallbacks = c_void;

type GetInt = Option<unsafe extern "C" fn() -> c_int>;
type GetStr = Option<unsafe extern "C" fn() -> *const c_char>;
type OnSession = Option<unsafe extern "C" fn(*mut PluginSession)>;

/// `janus_plugin` (168 bytes).
#[repr(C)]
pub struct PluginVtable {
    pub init: Option<unsafe extern "C" fn(*mut PluginCallbacks, *const c_char) -> c_int>,
    pub destroy: Option<unsafe extern "C" fn()>,
    pub get_api_compatibility: GetInt,
    pub get_version: GetInt,
    pub get_version_string: GetStr,
    pub get_description: GetStr,
    pub get_name: GetStr,
    pub get_author: GetStr,
    pub get_package: GetStr,
    pub create_session: Option<unsafe extern "C" fn(*mut PluginSession, *mut c_int)>,
    pub handle_message: Option<unsafe extern "C" fn(*mut PluginSession, *mut c_char, *mut json_t, *mut json_t) -> *mut PluginResult>,
    pub handle_admin_message: Option<unsafe extern "C" fn(*mut json_t) -> *mut json_t>,
    pub setup_media: OnSession,
    pub incoming_rtp: Option<unsafe extern "C" fn(*mut PluginSession, *mut PluginRtp)>,
    pub incoming_rtcp: Option<unsafe extern "C" fn(*mut PluginSession, *mut PluginRtcp)>,
    pub incoming_data: Option<unsafe extern "C" fn(*mut PluginSession, *mut PluginData)>,
    pub data_ready: OnSession,
    pub slow_link: Option<unsafe extern "C" fn(*mut PluginSession, c_int, gboolean, gboolean)>,
    pub hangup_media: OnSession,
    pub destroy_session: Option<unsafe extern "C" fn(*mut PluginSession, *mut c_int)>,
    pub query_session: Option<unsafe extern "C" fn(*mut PluginSession) -> *mut json_t>,
}

/// `janus_transport` (128 bytes).
#[repr(C)]
pub struct TransportVtable {
    pub init: Option<unsafe extern "C" fn(*mut TransportCallbacks, *const c_char) -> c_int>,
    pub destroy: Option<unsafe extern "C" fn()>,
    pub get_api_compatibility: GetInt,
    pub get_version: GetInt,
    pub get_version_string: GetStr,
    pub get_description: GetStr,
    pub get_name: GetStr,
    pub get_author: GetStr,
    pub get_package: GetStr,
    pub is_janus_api_enabled: Option<unsafe extern "C" fn() -> gboolean>,
    pub is_admin_api_enabled: Option<unsafe extern "C" fn() -> gboolean>,
    pub send_message: Option<unsafe extern "C" fn(*mut TransportSession, *mut c_void, gboolean, *mut json_t) -> c_int>,
    pub session_created: Option<unsafe extern "C" fn(*mut TransportSession, u64)>,
    pub session_over: Option<unsafe extern "C" fn(*mut TransportSession, u64, gboolean, gboolean)>,
    pub session_claimed: Option<unsafe extern "C" fn(*mut TransportSession, u64)>,
    pub query_transport: Option<unsafe extern "C" fn(*mut json_t) -> *mut json_t>,
}

/// `janus_eventhandler` (96 bytes); the core reads `events_mask` on every event.
#[repr(C)]
pub struct EventHandlerVtable {
    pub init: Option<unsafe extern "C" fn(*const c_char) -> c_int>,
    pub destroy: Option<unsafe extern "C" fn()>,
    pub get_api_compatibility: GetInt,
    pub get_version: GetInt,
    pub get_version_string: GetStr,
    pub get_description: GetStr,
    pub get_name: GetStr,
    pub get_author: GetStr,
    pub get_package: GetStr,
    pub incoming_event: Option<unsafe extern "C" fn(*mut json_t)>,
    pub handle_request: Option<unsafe extern "C" fn(*mut json_t) -> *mut json_t>,
    pub events_mask: usize,
}

/// `janus_logger` (88 bytes).
#[repr(C)]
pub struct LoggerVtable {
    pub init: Option<unsafe extern "C" fn(*const c_char, *const c_char) -> c_int>,
    pub destroy: Option<unsafe extern "C" fn()>,
    pub get_api_compatibility: GetInt,
    pub get_version: GetInt,
    pub get_version_string: GetStr,
    pub get_description: GetStr,
    pub get_name: GetStr,
    pub get_author: GetStr,
    pub get_package: GetStr,
    pub incoming_logline: Option<unsafe extern "C" fn(i64, *const c_char)>,
    pub handle_request: Option<unsafe extern "C" fn(*mut json_t) -> *mut json_t>,
}

const _: () = {
    use std::mem::{offset_of, size_of};
    assert!(size_of::<PluginVtable>() == 168 && offset_of!(PluginVtable, query_session) == 160);
    assert!(offset_of!(PluginVtable, create_session) == 72 && offset_of!(PluginVtable, hangup_media) == 144);
    assert!(size_of::<TransportVtable>() == 128 && offset_of!(TransportVtable, send_message) == 88);
    assert!(size_of::<EventHandlerVtable>() == 96 && offset_of!(EventHandlerVtable, events_mask) == 88);
    assert!(size_of::<LoggerVtable>() == 88 && offset_of!(LoggerVtable, incoming_logline) == 72);
};

/// The vtable a module's `create()` returned, by kind. Module-owned static data.
#[derive(Clone, Copy, Debug)]
pub enum Vtable {
    Plugin(*const PluginVtable),
    Transport(*const TransportVtable),
    EventHandler(*const EventHandlerVtable),
    Logger(*const LoggerVtable),
}

/// The informative methods all four vtables share, at the same offsets.
struct Common {
    get_api_compatibility: GetInt,
    get_version: GetInt,
    get_version_string: GetStr,
    get_description: GetStr,
    get_name: GetStr,
    get_author: GetStr,
    get_package: GetStr,
}

macro_rules! common_of {
    ($v:expr) => {
        Common {
            get_api_compatibility: $v.get_api_compatibility,
            get_version: $v.get_version,
            get_version_string: $v.get_version_string,
            get_description: $v.get_description,
            get_name: $v.get_name,
            get_author: $v.get_author,
            get_package: $v.get_package,
        }
    };
}

impl Vtable {
    fn kind(self) -> ModuleKind {
        match self {
            Vtable::Plugin(_) => ModuleKind::Plugin,
            Vtable::Transport(_) => ModuleKind::Transport,
            Vtable::EventHandler(_) => ModuleKind::EventHandler,
            Vtable::Logger(_) => ModuleKind::Logger,
        }
    }

    /// # Safety
    /// The pointer must be what `create()` of a module of this kind returned (non-NULL).
    unsafe fn common(self) -> Common {
        match self {
            Vtable::Plugin(v) => common_of!(*v),
            Vtable::Transport(v) => common_of!(*v),
            Vtable::EventHandler(v) => common_of!(*v),
            Vtable::Logger(v) => common_of!(*v),
        }
    }

    /// Janus' per-kind list of methods that must not be NULL.
    ///
    /// # Safety
    /// As [`Vtable::common`].
    unsafe fn has_mandatory_methods(self) -> bool {
        let c = self.common();
        let common = c.get_api_compatibility.is_some()
            && c.get_version.is_some()
            && c.get_version_string.is_some()
            && c.get_description.is_some()
            && c.get_package.is_some()
            && c.get_name.is_some();
        common
            && match self {
                Vtable::Plugin(v) => {
                    let v = &*v;
                    v.init.is_some()
                        && v.destroy.is_some()
                        && v.create_session.is_some()
                        && v.query_session.is_some()
                        && v.destroy_session.is_some()
                        && v.handle_message.is_some()
                        && v.setup_media.is_some()
                        && v.hangup_media.is_some()
                }
                Vtable::Transport(v) => {
                    let v = &*v;
                    v.init.is_some()
                        && v.destroy.is_some()
                        && v.send_message.is_some()
                        && v.is_janus_api_enabled.is_some()
                        && v.is_admin_api_enabled.is_some()
                        && v.session_created.is_some()
                        && v.session_over.is_some()
                        && v.session_claimed.is_some()
                }
                Vtable::EventHandler(v) => {
                    let v = &*v;
                    v.init.is_some() && v.destroy.is_some() && v.incoming_event.is_some()
                }
                Vtable::Logger(v) => {
                    let v = &*v;
                    v.init.is_some() && v.destroy.is_some() && v.incoming_logline.is_some()
                }
            }
    }
}

/// A module that passed Janus' checks (not yet `init`ed: that is the host's job).
#[derive(Debug)]
pub struct LoadedModule {
    pub vtable: Vtable,
    pub info: ModuleInfo,
    /// The dlopen handle; kept for the process lifetime, as Janus does.
    handle: *mut c_void,
}

// The vtable and handle are immutable process-wide data owned by the module.
unsafe impl Send for LoadedModule {}
unsafe impl Sync for LoadedModule {}

impl LoadedModule {
    pub fn handle(&self) -> *mut c_void {
        self.handle
    }
}

fn dl_error() -> String {
    // SAFETY: dlerror returns NULL or a thread-local NUL-terminated message.
    unsafe {
        let e = libc::dlerror();
        if e.is_null() {
            String::new()
        } else {
            CStr::from_ptr(e).to_string_lossy().into_owned()
        }
    }
}

/// # Safety
/// `f` must be NULL or a module function returning NULL or a NUL-terminated static string.
unsafe fn call_str(f: GetStr) -> Option<String> {
    let p = f?();
    (!p.is_null()).then(|| CStr::from_ptr(p).to_string_lossy().into_owned())
}

/// Calls a module's Admin API hook (`query_transport`, `handle_request`): the request is
/// lent, the answer taken; no hook and a NULL answer are told apart as Janus does (490 and
/// `{}`).
///
/// # Safety
/// `hook` must be the module's hook from its checked vtable, or None.
pub unsafe fn query_hook(hook: Option<unsafe extern "C" fn(*mut json_t) -> *mut json_t>, request: Option<&Json>) -> AdminResponse {
    let Some(hook) = hook else { return AdminResponse::NoHook };
    let request = request.map_or(std::ptr::null_mut(), to_jansson);
    let response = hook(request);
    json_decref(request);
    if response.is_null() {
        return AdminResponse::Null;
    }
    let answer = from_jansson(response);
    json_decref(response);
    AdminResponse::Json(answer)
}

/// A string handed to a module's `init` (configs folder, server name). Modules keep such
/// pointers for their whole life (VideoRoom, AudioBridge, TextRoom and Streaming save
/// `permanent` changes under the folder), as Janus passes process-long strings: leaked on
/// purpose, once per module. An interior NUL cannot reach C intact; the module then sees "".
pub fn init_argument(text: &[u8]) -> *const c_char {
    CString::new(text).unwrap_or_default().into_raw()
}

/// Opens `path` as a module of `kind` and runs Janus' acceptance checks. A module refused
/// after `dlopen` stays mapped (Janus never closes those either).
pub fn load(path: &Path, kind: ModuleKind) -> Result<LoadedModule, LoadError> {
    let file = path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
    let c_path = CString::new(path.as_os_str().as_encoded_bytes()).map_err(|_| LoadError::Open {
        kind,
        file: file.clone(),
        reason: "path contains NUL".into(),
    })?;
    // SAFETY: dlopen/dlsym with valid C strings; `create` has the signature every module kind
    // exports (`void *create(void)`), and we read only the vtable kind the caller asked for.
    unsafe {
        let handle = libc::dlopen(c_path.as_ptr(), libc::RTLD_NOW | libc::RTLD_GLOBAL);
        if handle.is_null() {
            return Err(LoadError::Open { kind, file, reason: dl_error() });
        }
        libc::dlerror();
        let create = libc::dlsym(handle, c"create".as_ptr());
        if create.is_null() {
            return Err(LoadError::NoCreate { reason: dl_error() });
        }
        let create: unsafe extern "C" fn() -> *mut c_void = std::mem::transmute(create);
        let raw = create();
        if raw.is_null() {
            return Err(LoadError::CreateFailed);
        }
        let vtable = match kind {
            ModuleKind::Plugin => Vtable::Plugin(raw as *const PluginVtable),
            ModuleKind::Transport => Vtable::Transport(raw as *const TransportVtable),
            ModuleKind::EventHandler => Vtable::EventHandler(raw as *const EventHandlerVtable),
            ModuleKind::Logger => Vtable::Logger(raw as *const LoggerVtable),
        };
        if !vtable.has_mandatory_methods() {
            return Err(LoadError::MissingMethods { kind });
        }
        let c = vtable.common();
        let api = c.get_api_compatibility.map_or(0, |f| f());
        let package = call_str(c.get_package).unwrap_or_default();
        if api < kind.api_version() {
            return Err(LoadError::OldApi { kind, package, declared: api });
        }
        let info = ModuleInfo {
            kind: vtable.kind(),
            api_compatibility: api,
            version: c.get_version.map_or(0, |f| f()),
            version_string: call_str(c.get_version_string).unwrap_or_default(),
            description: call_str(c.get_description).unwrap_or_default(),
            name: call_str(c.get_name).unwrap_or_default(),
            author: call_str(c.get_author),
            package,
        };
        Ok(LoadedModule { vtable, info, handle })
    }
}
