//! Hosting C plugins: `janus_plugin_session` objects, the `janus_callbacks` table plugins
//! call into, and the [`Plugin`]/[`PluginSession`] traits the core uses, implemented over a
//! plugin's vtable. Janus' ownership rules (inventory 3.1, 3.2) are kept to the letter: the
//! plugin session starts with two references (the core's and the one lent to the plugin),
//! `handle_message` gets a transaction and JSON it owns, `push_event` borrows the JSEP.

use std::collections::HashSet;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use libc::{c_char, c_int, c_void};

use super::json::{from_jansson, to_jansson};
use super::modules::{init_argument, query_hook, LoadedModule, PluginVtable, Vtable};
use super::plugin::{
    janus_plugin_data, janus_plugin_result, janus_plugin_result_destroy, janus_plugin_rtcp, janus_plugin_rtp, janus_plugin_rtp_extensions,
};
use super::refcount::JanusRefcount;
use super::{c_str, guard};
use crate::gateway::Gateway;
use crate::json::Json;
use crate::media::{MediaSlot, OutgoingData, PeerConnection, RtpExtensions};
use crate::modules::{AdminResponse, ModuleInfo};
use crate::plugin_host::{Plugin, PluginResult, PluginSession};
use crate::sys::glib::{self, gboolean, FALSE, TRUE};
use crate::sys::jansson::{json_decref, json_t, json_typeof, JSON_OBJECT};

/// `janus_plugin_session`: 40 bytes, allocated by the core.
#[repr(C)]
pub struct JanusPluginSession {
    /// Points to our [`HandleRef`] (Janus: the ICE handle).
    pub gateway_handle: *mut c_void,
    pub plugin_handle: *mut c_void,
    pub stopped: c_int,
    pub ref_: JanusRefcount,
}

const _: () = {
    use std::mem::{offset_of, size_of};
    assert!(size_of::<JanusPluginSession>() == 40);
    assert!(offset_of!(JanusPluginSession, stopped) == 16 && offset_of!(JanusPluginSession, ref_) == 24);
};

/// What a plugin session's `gateway_handle` leads back to: the ids for signalling, the
/// PeerConnection slot for the media callbacks (no registry lookup per packet).
struct HandleRef {
    session_id: u64,
    handle_id: u64,
    media: Arc<MediaSlot>,
}

/// The gateway the callbacks serve; set once the plugins are initialised.
static GATEWAY: OnceLock<Arc<Gateway>> = OnceLock::new();

/// Plugin sessions the core still holds (`janus_plugin_session_is_alive`), by address.
static LIVE: Mutex<Option<HashSet<usize>>> = Mutex::new(None);

fn live() -> std::sync::MutexGuard<'static, Option<HashSet<usize>>> {
    LIVE.lock().unwrap_or_else(|e| e.into_inner())
}

/// Makes `gateway` the one plugin callbacks report to.
pub fn install_gateway(gateway: Arc<Gateway>) {
    let _ = GATEWAY.set(gateway);
}

/// Janus' liveness test: a plausible pointer, still held by the core, not stopped.
unsafe fn is_alive(ps: *mut JanusPluginSession) -> bool {
    (ps as usize) >= 0x1000
        && live().as_ref().is_some_and(|l| l.contains(&(ps as usize)))
        && std::sync::atomic::AtomicI32::from_ptr(&raw mut (*ps).stopped).load(std::sync::atomic::Ordering::SeqCst) == 0
}

/// `ref.free` of plugin sessions: runs on whichever thread drops the last reference.
unsafe extern "C" fn plugin_session_free(r: *const JanusRefcount) {
    let ps = r.byte_sub(std::mem::offset_of!(JanusPluginSession, ref_)) as *mut JanusPluginSession;
    if !(*ps).gateway_handle.is_null() {
        drop(Box::from_raw((*ps).gateway_handle as *mut HandleRef));
        (*ps).gateway_handle = std::ptr::null_mut();
    }
    glib::g_free(ps as *mut c_void);
}

/// A loaded, initialised plugin.
pub struct CPlugin {
    vtable: &'static PluginVtable,
    info: ModuleInfo,
}

// The vtable is immutable module data; every method may be called from any thread.
unsafe impl Send for CPlugin {}
unsafe impl Sync for CPlugin {}

/// Why a plugin was not started.
#[derive(Debug, PartialEq, Eq)]
pub enum StartError {
    NotAPlugin,
    /// `init` returned this negative value.
    Init(i32),
}

/// `init(&janus_callbacks, configs_folder)`; a negative result means the plugin is skipped
/// (Janus then `dlclose`s it; we leave it mapped, which is harmless).
pub fn start_plugin(module: &LoadedModule, configs_folder: &Path) -> Result<Arc<CPlugin>, StartError> {
    let Vtable::Plugin(vtable) = module.vtable else { return Err(StartError::NotAPlugin) };
    // SAFETY: `create()` returned a vtable that lives as long as the (never unloaded) module.
    let vtable: &'static PluginVtable = unsafe { &*vtable };
    let folder = init_argument(configs_folder.as_os_str().as_encoded_bytes());
    let init = vtable.init.expect("checked when loaded");
    // SAFETY: the callbacks table is static; the folder string is never freed.
    let result = unsafe { init(&raw const CALLBACKS as *mut c_void, folder) };
    if result < 0 {
        return Err(StartError::Init(result));
    }
    let package = &module.info.package;
    match (vtable.incoming_rtp.is_some() || vtable.incoming_rtcp.is_some(), vtable.incoming_data.is_some()) {
        (false, false) => crate::janus_log!(
            crate::log::Level::Warn,
            "The '{package}' plugin doesn't implement any callback for RTP/RTCP/data... is this on purpose?\n"
        ),
        (false, true) => crate::janus_log!(
            crate::log::Level::Warn,
            "The '{package}' plugin will only handle data channels (no RTP/RTCP)... is this on purpose?\n"
        ),
        _ => {}
    }
    Ok(Arc::new(CPlugin { vtable, info: module.info.clone() }))
}

impl CPlugin {
    /// `destroy()` at shutdown.
    pub fn destroy(&self) {
        if let Some(destroy) = self.vtable.destroy {
            // SAFETY: a mandatory method of a loaded plugin.
            unsafe { destroy() }
        }
    }
}

impl Plugin for CPlugin {
    fn description(&self) -> &ModuleInfo {
        &self.info
    }

    fn create_session(&self, session_id: u64, handle_id: u64, media: Arc<MediaSlot>) -> Result<Box<dyn PluginSession>, i32> {
        let create = self.vtable.create_session.expect("checked when loaded");
        // SAFETY: a zeroed GLib block; the plugin may only touch `plugin_handle` during the
        // call, the reference count is set up after it, as Janus does.
        unsafe {
            let ps = glib::g_malloc0(std::mem::size_of::<JanusPluginSession>()) as *mut JanusPluginSession;
            (*ps).gateway_handle = Box::into_raw(Box::new(HandleRef { session_id, handle_id, media })) as *mut c_void;
            let mut error: c_int = 0;
            create(ps as *mut c_void, &mut error);
            if error != 0 {
                drop(Box::from_raw((*ps).gateway_handle as *mut HandleRef));
                glib::g_free(ps as *mut c_void);
                return Err(error);
            }
            // One reference for the core, one lent to the plugin (which drops it once).
            (*ps).ref_ = JanusRefcount::new(plugin_session_free);
            JanusRefcount::increase(&raw mut (*ps).ref_);
            live().get_or_insert_with(HashSet::new).insert(ps as usize);
            Ok(Box::new(CPluginSession { ps, vtable: self.vtable }))
        }
    }

    fn handle_admin_message(&self, request: Option<&Json>) -> AdminResponse {
        // SAFETY: the hook comes from the checked vtable.
        unsafe { query_hook(self.vtable.handle_admin_message, request) }
    }
}

/// The plugin's state for one handle, held through the core's reference.
pub struct CPluginSession {
    ps: *mut JanusPluginSession,
    vtable: &'static PluginVtable,
}

unsafe impl Send for CPluginSession {}
unsafe impl Sync for CPluginSession {}

impl PluginSession for CPluginSession {
    fn handle_message(&self, transaction: &str, body: &Json, jsep: Option<&Json>) -> PluginResult {
        let handle_message = self.vtable.handle_message.expect("checked when loaded");
        // SAFETY: the plugin receives a GLib transaction string and JSON references it owns.
        unsafe {
            let tx = glib::g_strdup_str(transaction);
            let body = to_jansson(body);
            let jsep = jsep.map_or(std::ptr::null_mut(), to_jansson);
            let result = handle_message(self.ps as *mut c_void, tx, body, jsep) as *mut janus_plugin_result;
            if result.is_null() {
                return PluginResult::Nothing;
            }
            let text = c_str((*result).text).map(String::from);
            let content = (*result).content;
            let converted = match (*result).type_ {
                0 => PluginResult::Ok((!content.is_null()).then(|| from_jansson(content))),
                1 => PluginResult::OkWait(text),
                _ => PluginResult::Error(text),
            };
            janus_plugin_result_destroy(result);
            converted
        }
    }

    fn query(&self) -> Option<Json> {
        let query = self.vtable.query_session?;
        // SAFETY: the returned reference is ours; only objects are kept, as in Janus.
        unsafe {
            let info = query(self.ps as *mut c_void);
            if info.is_null() {
                return None;
            }
            let result = (json_typeof(info) == JSON_OBJECT).then(|| from_jansson(info));
            json_decref(info);
            result
        }
    }

    fn hangup_media(&self) {
        // SAFETY: the core holds its reference while the handle exists.
        unsafe {
            if !is_alive(self.ps) {
                return;
            }
            if let Some(hangup) = self.vtable.hangup_media {
                hangup(self.ps as *mut c_void);
            }
        }
    }

    fn setup_media(&self) {
        // SAFETY: the core holds its reference while the handle exists.
        unsafe {
            if !is_alive(self.ps) {
                return;
            }
            if let Some(setup) = self.vtable.setup_media {
                setup(self.ps as *mut c_void);
            }
        }
    }

    fn incoming_rtp(&self, mindex: i32, video: bool, buffer: &mut [u8], extensions: &RtpExtensions) {
        let Some(incoming) = self.vtable.incoming_rtp else { return };
        // SAFETY: the packet lives on our stack for the call, as in Janus; the plugin may
        // modify the buffer in place. No registry lookup: `stopped` says if it is alive.
        unsafe {
            if stopped(self.ps) {
                return;
            }
            let mut packet = janus_plugin_rtp {
                mindex,
                video: video.into(),
                buffer: buffer.as_mut_ptr() as *mut c_char,
                length: buffer.len() as u16,
                extensions: janus_plugin_rtp_extensions::from_core(extensions),
            };
            incoming(self.ps as *mut c_void, &raw mut packet as *mut c_void);
        }
    }

    fn incoming_rtcp(&self, mindex: i32, video: bool, buffer: &mut [u8]) {
        let Some(incoming) = self.vtable.incoming_rtcp else { return };
        // SAFETY: as for `incoming_rtp`.
        unsafe {
            if stopped(self.ps) {
                return;
            }
            let mut packet =
                janus_plugin_rtcp { mindex, video: video.into(), buffer: buffer.as_mut_ptr() as *mut c_char, length: buffer.len() as u16 };
            incoming(self.ps as *mut c_void, &raw mut packet as *mut c_void);
        }
    }

    fn incoming_data(&self, label: &str, protocol: Option<&str>, binary: bool, buffer: &mut [u8]) {
        let Some(incoming) = self.vtable.incoming_data else { return };
        // Janus hands over the channel's NUL-terminated label and protocol (C strings
        // cannot carry a NUL: such a label is cut there, as in Janus' fixed buffers).
        let c_string = |s: &str| std::ffi::CString::new(s.split('\0').next().unwrap_or_default()).unwrap_or_default();
        let label = c_string(label);
        let protocol = protocol.map(c_string);
        let Ok(length) = u16::try_from(buffer.len()) else {
            crate::janus_log!(
                crate::log::Level::Warn,
                "Dropping a data channel message of {} bytes: plugins take at most 65535\n",
                buffer.len()
            );
            return;
        };
        // SAFETY: everything lives on our stack for the call, as in Janus; the plugin may
        // modify the buffer in place but not keep any of it.
        unsafe {
            if stopped(self.ps) {
                return;
            }
            let mut data = janus_plugin_data {
                label: label.as_ptr() as *mut c_char,
                protocol: protocol.as_ref().map_or(std::ptr::null_mut(), |p| p.as_ptr() as *mut c_char),
                binary: binary.into(),
                buffer: buffer.as_mut_ptr() as *mut c_char,
                length,
            };
            incoming(self.ps as *mut c_void, &raw mut data as *mut c_void);
        }
    }

    fn data_ready(&self) {
        let Some(ready) = self.vtable.data_ready else { return };
        // SAFETY: as for `incoming_data`.
        unsafe {
            if !stopped(self.ps) {
                ready(self.ps as *mut c_void);
            }
        }
    }

    fn slow_link(&self, mindex: i32, video: bool, uplink: bool) {
        let Some(slow_link) = self.vtable.slow_link else { return };
        // SAFETY: as for `incoming_data`.
        unsafe {
            if !stopped(self.ps) {
                slow_link(self.ps as *mut c_void, mindex, video.into(), uplink.into());
            }
        }
    }

    fn detach(&self) {
        // SAFETY: the core still holds its reference until the end of this function.
        unsafe {
            live().as_mut().map(|l| l.remove(&(self.ps as usize)));
            std::sync::atomic::AtomicI32::from_ptr(&raw mut (*self.ps).stopped).store(1, std::sync::atomic::Ordering::SeqCst);
            if let Some(hangup) = self.vtable.hangup_media {
                hangup(self.ps as *mut c_void);
            }
            if let Some(destroy) = self.vtable.destroy_session {
                let mut error: c_int = 0;
                destroy(self.ps as *mut c_void, &mut error);
            }
            JanusRefcount::decrease(&raw mut (*self.ps).ref_);
        }
    }
}

/// The ids behind a live plugin session, for callbacks.
unsafe fn handle_of(ps: *mut JanusPluginSession) -> Option<(u64, u64)> {
    if !is_alive(ps) || (*ps).gateway_handle.is_null() {
        return None;
    }
    let h = &*((*ps).gateway_handle as *const HandleRef);
    Some((h.session_id, h.handle_id))
}

unsafe fn package_of(plugin: *mut PluginVtable) -> Option<String> {
    let get_package = (*plugin).get_package?;
    c_str(get_package()).map(String::from)
}

fn now_secs() -> i64 {
    crate::utils::real_time() / 1_000_000
}

unsafe extern "C" fn push_event(
    ps: *mut JanusPluginSession,
    plugin: *mut PluginVtable,
    transaction: *const c_char,
    message: *mut json_t,
    jsep: *mut json_t,
) -> c_int {
    guard(-1, || {
        if plugin.is_null() || message.is_null() {
            return -1;
        }
        let Some((session_id, handle_id)) = handle_of(ps) else { return -2 };
        let Some(gateway) = GATEWAY.get() else { return -2 };
        let package = package_of(plugin).unwrap_or_default();
        // Both stay the plugin's: the event carries a copy.
        let message = from_jansson(message);
        let jsep = (!jsep.is_null()).then(|| from_jansson(jsep));
        gateway.push_event(session_id, handle_id, &package, c_str(transaction), message, jsep.as_ref())
    })
}

/// Janus' check on the media paths: a plausible pointer, not stopped (no registry lookup).
unsafe fn stopped(ps: *mut JanusPluginSession) -> bool {
    (ps as usize) < 0x1000 || std::sync::atomic::AtomicI32::from_ptr(&raw mut (*ps).stopped).load(std::sync::atomic::Ordering::SeqCst) != 0
}

/// The PeerConnection behind a plugin session, for the media callbacks.
unsafe fn peer_connection_of(ps: *mut JanusPluginSession) -> Option<Arc<PeerConnection>> {
    if stopped(ps) || (*ps).gateway_handle.is_null() {
        return None;
    }
    (*((*ps).gateway_handle as *const HandleRef)).media.get()
}

unsafe extern "C" fn relay_rtp(ps: *mut JanusPluginSession, packet: *mut janus_plugin_rtp) {
    guard((), || {
        let Some(p) = packet.as_ref() else { return };
        if p.buffer.is_null() || p.length < 1 {
            return;
        }
        if let Some(pc) = peer_connection_of(ps) {
            let buffer = std::slice::from_raw_parts(p.buffer as *const u8, usize::from(p.length));
            pc.relay_rtp(p.mindex, p.video != 0, buffer, &p.extensions.to_core());
        }
    })
}

unsafe extern "C" fn relay_rtcp(ps: *mut JanusPluginSession, packet: *mut janus_plugin_rtcp) {
    guard((), || {
        let Some(p) = packet.as_ref() else { return };
        if p.buffer.is_null() || p.length < 1 {
            return;
        }
        if let Some(pc) = peer_connection_of(ps) {
            let buffer = std::slice::from_raw_parts(p.buffer as *const u8, usize::from(p.length));
            pc.relay_rtcp(p.mindex, p.video != 0, buffer);
        }
    })
}

/// `relay_data`: copied (as Janus queues a copy) and sent on the channel with its label.
unsafe extern "C" fn relay_data(ps: *mut JanusPluginSession, packet: *mut janus_plugin_data) {
    guard((), || {
        let Some(p) = packet.as_ref() else { return };
        if p.buffer.is_null() || p.length < 1 {
            return;
        }
        if let Some(pc) = peer_connection_of(ps) {
            let text = |s: *mut c_char| super::c_bytes(s).map(|b| String::from_utf8_lossy(b).into_owned());
            let data = std::slice::from_raw_parts(p.buffer as *const u8, usize::from(p.length)).to_vec();
            pc.relay_data(OutgoingData { label: text(p.label), protocol: text(p.protocol), binary: p.binary != 0, data });
        }
    })
}

unsafe extern "C" fn send_pli(ps: *mut JanusPluginSession) {
    guard((), || {
        if let Some(pc) = peer_connection_of(ps) {
            pc.send_pli(None);
        }
    })
}

unsafe extern "C" fn send_pli_stream(ps: *mut JanusPluginSession, mindex: c_int) {
    guard((), || {
        if let (Some(pc), Ok(mindex)) = (peer_connection_of(ps), usize::try_from(mindex)) {
            pc.send_pli(Some(mindex));
        }
    })
}

unsafe extern "C" fn send_remb(ps: *mut JanusPluginSession, bitrate: u32) {
    guard((), || {
        if let Some(pc) = peer_connection_of(ps) {
            pc.send_remb(bitrate);
        }
    })
}

/// `close_pc`: the PeerConnection is hung up ("Close PC"), off the plugin's thread.
unsafe extern "C" fn close_pc(ps: *mut JanusPluginSession) {
    guard((), || {
        if let (Some((session_id, handle_id)), Some(gateway)) = (handle_of(ps), GATEWAY.get()) {
            let gateway = gateway.clone();
            gateway.env.clone().defer(Box::new(move || {
                if let Some(handle) = gateway.sessions.get(session_id).and_then(|s| s.handle(handle_id)) {
                    gateway.hangup_webrtc(&handle, "Close PC");
                }
            }));
        }
    })
}

unsafe extern "C" fn end_session(ps: *mut JanusPluginSession) {
    guard((), || {
        if let (Some((session_id, handle_id)), Some(gateway)) = (handle_of(ps), GATEWAY.get()) {
            let gateway = gateway.clone();
            gateway.env.clone().defer(Box::new(move || gateway.end_session(session_id, handle_id)));
        }
    })
}

unsafe extern "C" fn events_is_enabled() -> gboolean {
    guard(FALSE, || GATEWAY.get().is_some_and(|g| g.events_enabled()) as gboolean)
}

unsafe extern "C" fn notify_event(plugin: *mut PluginVtable, ps: *mut JanusPluginSession, event: *mut json_t) {
    guard((), || {
        // Janus returns without taking the reference when the arguments are unusable.
        if plugin.is_null() || event.is_null() || json_typeof(event) != JSON_OBJECT {
            return;
        }
        let ids = if ps.is_null() { Some((0, 0)) } else { handle_of(ps) };
        if let (Some((session_id, handle_id)), Some(gateway)) = (ids, GATEWAY.get()) {
            let package = package_of(plugin).unwrap_or_default();
            gateway.notify_plugin_event(session_id, handle_id, &package, from_jansson(event));
        }
        json_decref(event);
    })
}

unsafe extern "C" fn auth_is_signed() -> gboolean {
    guard(FALSE, || GATEWAY.get().is_some_and(|g| g.auth.is_signed_mode()) as gboolean)
}

unsafe extern "C" fn auth_is_signature_valid(plugin: *mut PluginVtable, token: *const c_char) -> gboolean {
    guard(FALSE, || {
        let (Some(g), Some(token), Some(realm)) = (GATEWAY.get(), c_str(token), package_of(plugin)) else { return FALSE };
        if g.auth.signature_valid(token, &realm, now_secs()) {
            TRUE
        } else {
            FALSE
        }
    })
}

unsafe extern "C" fn auth_signature_contains(plugin: *mut PluginVtable, token: *const c_char, descriptor: *const c_char) -> gboolean {
    guard(FALSE, || {
        let (Some(g), Some(realm), Some(descriptor)) = (GATEWAY.get(), package_of(plugin), c_str(descriptor)) else {
            return FALSE;
        };
        g.auth.signature_contains(c_str(token), &realm, descriptor, now_secs()) as gboolean
    })
}

/// `janus_callbacks`: 14 function pointers, 112 bytes.
#[repr(C)]
pub struct JanusCallbacks {
    push_event: unsafe extern "C" fn(*mut JanusPluginSession, *mut PluginVtable, *const c_char, *mut json_t, *mut json_t) -> c_int,
    relay_rtp: unsafe extern "C" fn(*mut JanusPluginSession, *mut janus_plugin_rtp),
    relay_rtcp: unsafe extern "C" fn(*mut JanusPluginSession, *mut janus_plugin_rtcp),
    relay_data: unsafe extern "C" fn(*mut JanusPluginSession, *mut janus_plugin_data),
    send_pli: unsafe extern "C" fn(*mut JanusPluginSession),
    send_pli_stream: unsafe extern "C" fn(*mut JanusPluginSession, c_int),
    send_remb: unsafe extern "C" fn(*mut JanusPluginSession, u32),
    close_pc: unsafe extern "C" fn(*mut JanusPluginSession),
    end_session: unsafe extern "C" fn(*mut JanusPluginSession),
    events_is_enabled: unsafe extern "C" fn() -> gboolean,
    notify_event: unsafe extern "C" fn(*mut PluginVtable, *mut JanusPluginSession, *mut json_t),
    auth_is_signed: unsafe extern "C" fn() -> gboolean,
    auth_is_signature_valid: unsafe extern "C" fn(*mut PluginVtable, *const c_char) -> gboolean,
    auth_signature_contains: unsafe extern "C" fn(*mut PluginVtable, *const c_char, *const c_char) -> gboolean,
}

const _: () = assert!(std::mem::size_of::<JanusCallbacks>() == 112);

static CALLBACKS: JanusCallbacks = JanusCallbacks {
    push_event,
    relay_rtp,
    relay_rtcp,
    relay_data,
    send_pli,
    send_pli_stream,
    send_remb,
    close_pc,
    end_session,
    events_is_enabled,
    notify_event,
    auth_is_signed,
    auth_is_signature_valid,
    auth_signature_contains,
};
