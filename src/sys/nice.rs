//! libnice (bindgen) and the GLib main loop it runs on, behind thin safe wrappers:
//! [`MainLoop`] (a GMainContext + GMainLoop that closures can be posted to), [`Agent`]
//! (one NiceAgent with one stream of one component, its signals and receive callback
//! forwarded to an [`AgentEvents`]), and [`interfaces`] (`getifaddrs`).
//!
//! Thread safety: libnice's agent API takes the agent's own lock, so [`Agent`]'s methods
//! may be called from any thread; signals and received datagrams arrive on the loop's
//! thread (or on a thread calling into the agent, for the signals some calls emit), so
//! [`AgentEvents`] must be `Send + Sync`. An [`Agent`] is torn down on its loop's thread,
//! where no callback of it can be running.

use std::ffi::{CStr, CString};
use std::net::{IpAddr, SocketAddr};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;
use std::sync::Arc;

use libc::{c_char, c_uint};

use crate::ice::{Candidate, CandidateKind, CandidateTransport, Interface};

mod ffi {
    include!(concat!(env!("OUT_DIR"), "/nice.rs"));
}
use ffi::*;

const FALSE: gboolean = 0;
const TRUE: gboolean = 1;
/// Our one component: bundle and rtcp-mux, as Janus 1.x.
const COMPONENT: c_uint = 1;

fn cstring(s: &str) -> CString {
    CString::new(s.replace('\0', "")).unwrap_or_default()
}

/// Runs `f` without letting a panic unwind into C.
fn guarded(f: impl FnOnce()) {
    let _ = catch_unwind(AssertUnwindSafe(f));
}

type Job = Box<dyn FnOnce() + Send>;

/// A GMainContext and a GMainLoop on it. The loop runs on whichever thread calls
/// [`MainLoop::run`]; [`MainLoop::invoke`] posts work to it from anywhere.
pub struct MainLoop {
    ctx: *mut GMainContext,
    main_loop: *mut GMainLoop,
}

// SAFETY: GMainContext and GMainLoop are thread-safe GLib objects.
unsafe impl Send for MainLoop {}
unsafe impl Sync for MainLoop {}

impl Default for MainLoop {
    fn default() -> Self {
        Self::new()
    }
}

impl MainLoop {
    pub fn new() -> MainLoop {
        // SAFETY: plain constructors; we own one reference to each.
        unsafe {
            let ctx = g_main_context_new();
            let main_loop = g_main_loop_new(ctx, FALSE);
            MainLoop { ctx, main_loop }
        }
    }

    /// Runs the loop until [`MainLoop::quit`], then runs what is still ready (work posted
    /// before the quit, such as agent teardowns) so that nothing posted is lost.
    pub fn run(&self) {
        // SAFETY: our own live loop and context.
        unsafe {
            g_main_loop_run(self.main_loop);
            for _ in 0..1000 {
                if g_main_context_pending(self.ctx) == FALSE {
                    break;
                }
                g_main_context_iteration(self.ctx, FALSE);
            }
        }
    }

    /// Whether the calling thread is the one running this loop.
    pub fn is_current(&self) -> bool {
        // SAFETY: our own live context; the check is thread-safe.
        unsafe { g_main_context_is_owner(self.ctx) != FALSE }
    }

    pub fn quit(&self) {
        // SAFETY: our own live loop; quitting is thread-safe.
        unsafe { g_main_loop_quit(self.main_loop) }
    }

    /// Runs `f` once on the loop's thread, after what was posted before it. If the loop
    /// goes away first, `f` is dropped without running.
    pub fn invoke(&self, f: impl FnOnce() + Send + 'static) {
        unsafe extern "C" fn run(data: gpointer) -> gboolean {
            // SAFETY: `data` is the slot allocated below, alive until `free`.
            let slot = &mut *(data as *mut Option<Job>);
            if let Some(job) = slot.take() {
                guarded(job);
            }
            FALSE
        }
        unsafe extern "C" fn free(data: gpointer) {
            // SAFETY: GLib calls this once, when the source is destroyed.
            guarded(|| drop(Box::from_raw(data as *mut Option<Job>)));
        }
        let slot: Box<Option<Job>> = Box::new(Some(Box::new(f)));
        // SAFETY: the source owns the slot (freed by `free`); the context keeps the source.
        unsafe {
            let source = g_idle_source_new();
            g_source_set_callback(source, Some(run), Box::into_raw(slot) as gpointer, Some(free));
            g_source_attach(source, self.ctx);
            g_source_unref(source);
        }
    }
}

impl MainLoop {
    /// Runs `f` on the loop's thread after `first`, then again after each delay it returns,
    /// until it returns `None` (or the loop goes away): a timer that paces itself, so that
    /// an idle PeerConnection wakes its loop rarely. The [`Timer`] brings a run forward.
    pub fn add_timer(&self, first: std::time::Duration, f: impl FnMut() -> Option<std::time::Duration> + Send + 'static) -> Timer {
        type Tick = Box<dyn FnMut() -> Option<std::time::Duration> + Send>;
        unsafe extern "C" fn dispatch(source: *mut GSource, _callback: GSourceFunc, data: gpointer) -> gboolean {
            // SAFETY: `data` is the closure allocated below, alive until `free`.
            let tick = &mut *(data as *mut Tick);
            let mut next = None;
            guarded(|| next = tick());
            match next {
                Some(delay) => {
                    // SAFETY: the source being dispatched is alive.
                    g_source_set_ready_time(source, ready_time(delay));
                    TRUE
                }
                None => FALSE,
            }
        }
        // The callback slot carries the closure to `dispatch`; the function itself never runs.
        unsafe extern "C" fn unused(_: gpointer) -> gboolean {
            FALSE
        }
        unsafe extern "C" fn free(data: gpointer) {
            // SAFETY: GLib calls this once, when the source is destroyed.
            guarded(|| drop(Box::from_raw(data as *mut Tick)));
        }
        // A source that only has a ready time: GLib never writes to its functions.
        static TIMER: GSourceFuncs = GSourceFuncs {
            prepare: None,
            check: None,
            dispatch: Some(dispatch),
            finalize: None,
            closure_callback: None,
            closure_marshal: None,
        };
        let tick: Box<Tick> = Box::new(Box::new(f));
        // SAFETY: the source owns the closure (freed by `free`); the context keeps the
        // source, and the Timer a reference of its own.
        unsafe {
            let source = g_source_new(ptr::addr_of!(TIMER).cast_mut(), std::mem::size_of::<GSource>() as c_uint);
            g_source_set_callback(source, Some(unused), Box::into_raw(tick) as gpointer, Some(free));
            g_source_set_ready_time(source, ready_time(first));
            g_source_attach(source, self.ctx);
            Timer { source }
        }
    }
}

/// GLib's monotonic clock `delay` from now, as a source's ready time.
fn ready_time(delay: std::time::Duration) -> i64 {
    // SAFETY: reads GLib's monotonic clock, the one ready times are on.
    let now = unsafe { g_get_monotonic_time() };
    now.saturating_add(i64::try_from(delay.as_micros()).unwrap_or(i64::MAX))
}

/// A timer of [`MainLoop::add_timer`], to bring its next run forward.
pub struct Timer {
    source: *mut GSource,
}

// SAFETY: GLib's ready-time calls lock the source's context; the reference is ours.
unsafe impl Send for Timer {}
unsafe impl Sync for Timer {}

impl Timer {
    /// Makes the timer run within `delay` at the latest (a later run stays as it was).
    pub fn run_within(&self, delay: std::time::Duration) {
        let at = ready_time(delay);
        // SAFETY: our reference keeps the source alive (destroyed sources ignore this).
        unsafe {
            let current = g_source_get_ready_time(self.source);
            if current < 0 || current > at {
                g_source_set_ready_time(self.source, at);
            }
        }
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        // SAFETY: releases the reference `add_timer` gave us.
        unsafe { g_source_unref(self.source) }
    }
}

impl Drop for MainLoop {
    fn drop(&mut self) {
        // SAFETY: we own one reference to each.
        unsafe {
            g_main_loop_unref(self.main_loop);
            g_main_context_unref(self.ctx);
        }
    }
}

/// What an [`Agent`] reports; only component 1 is reported.
pub trait AgentEvents: Send + Sync {
    fn gathering_done(&self);
    /// libnice's `NiceComponentState` (0 disconnected .. 5 failed).
    fn component_state(&self, state: u32);
    fn new_selected_pair(&self, local: Candidate, remote: Candidate);
    fn new_local_candidate(&self, candidate: Candidate);
    fn new_remote_candidate(&self, candidate: Candidate);
    /// A datagram, borrowed from libnice's buffer for the duration of the call.
    fn receive(&self, data: &[u8]);
}

/// A TURN server for [`AgentConfig::relays`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Relay {
    pub server: String,
    pub port: u16,
    pub username: String,
    pub password: String,
    /// 0 UDP, 1 TCP, 2 TLS (`NiceRelayType`).
    pub kind: u32,
}

/// How to create an agent (the properties and calls of `janus_ice_setup_local`).
#[derive(Clone, Debug, Default)]
pub struct AgentConfig {
    pub controlling: bool,
    /// FALSE for ICE-Lite.
    pub full_mode: bool,
    pub ice_tcp: bool,
    pub aggressive_nomination: bool,
    pub keepalive_conncheck: bool,
    /// Only relayed candidates (the handle's JSEP asked for it, `allow_force_relay` on).
    pub force_relay: bool,
    pub stun_server: Option<(String, u16)>,
    pub stun_initial_timeout_ms: Option<u32>,
    pub stun_max_retransmissions: Option<u32>,
    pub idle_timeout_ms: Option<u32>,
    /// Addresses (as `getnameinfo` prints them) to gather on; empty lets libnice pick.
    pub local_addresses: Vec<String>,
    pub port_range: (u16, u16),
    pub relays: Vec<Relay>,
    /// IP TOS byte (DSCP << 2), 0 for none.
    pub tos: u8,
}

/// Why an agent could not be created.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AgentError {
    Create,
    Stream,
}

/// The pointer handed to GLib as user data: a thin pointer to the fat `Arc`.
type EventsBox = Box<Arc<dyn AgentEvents>>;

/// One NiceAgent with one stream of one component.
pub struct Agent {
    agent: *mut NiceAgent,
    stream_id: c_uint,
    events: *mut Arc<dyn AgentEvents>,
    main_loop: Arc<MainLoop>,
    on_teardown: Option<Job>,
}

// SAFETY: libnice's agent API is thread-safe (agent lock); the events are Send + Sync.
unsafe impl Send for Agent {}
unsafe impl Sync for Agent {}

fn state_of(events: gpointer) -> &'static Arc<dyn AgentEvents> {
    // SAFETY: GLib hands back the pointer we connected with, alive until the teardown
    // disconnects every handler (on the loop thread, after which nothing calls us).
    unsafe { &*(events as *const Arc<dyn AgentEvents>) }
}

unsafe extern "C" fn on_gathering_done(_: *mut NiceAgent, _stream: c_uint, data: gpointer) {
    guarded(|| state_of(data).gathering_done());
}

unsafe extern "C" fn on_state(_: *mut NiceAgent, _stream: c_uint, component: c_uint, state: c_uint, data: gpointer) {
    if component == COMPONENT {
        guarded(|| state_of(data).component_state(state));
    }
}

unsafe extern "C" fn on_selected_pair(
    _: *mut NiceAgent,
    _stream: c_uint,
    component: c_uint,
    local: *mut NiceCandidate,
    remote: *mut NiceCandidate,
    data: gpointer,
) {
    if component != COMPONENT {
        return;
    }
    if let (Some(l), Some(r)) = (candidate_from_nice(local), candidate_from_nice(remote)) {
        guarded(|| state_of(data).new_selected_pair(l, r));
    }
}

unsafe extern "C" fn on_local_candidate(_: *mut NiceAgent, c: *mut NiceCandidate, data: gpointer) {
    if let Some(c) = candidate_from_nice(c).filter(|c| c.component == COMPONENT) {
        guarded(|| state_of(data).new_local_candidate(c));
    }
}

unsafe extern "C" fn on_remote_candidate(_: *mut NiceAgent, c: *mut NiceCandidate, data: gpointer) {
    if let Some(c) = candidate_from_nice(c).filter(|c| c.component == COMPONENT) {
        guarded(|| state_of(data).new_remote_candidate(c));
    }
}

unsafe extern "C" fn on_receive(_: *mut NiceAgent, _stream: c_uint, component: c_uint, len: c_uint, buf: *mut c_char, data: gpointer) {
    if component != COMPONENT || buf.is_null() {
        return;
    }
    // SAFETY: libnice lends `len` bytes at `buf` for the duration of this callback.
    let bytes = std::slice::from_raw_parts(buf as *const u8, len as usize);
    guarded(|| state_of(data).receive(bytes));
}

/// A NiceAddress as a socket address (`None` when it holds no valid address).
unsafe fn address_from_nice(addr: *const NiceAddress) -> Option<SocketAddr> {
    if nice_address_is_valid(addr) == FALSE {
        return None;
    }
    let mut text = [0 as c_char; NICE_ADDRESS_STRING_LEN as usize + 1];
    nice_address_to_string(addr, text.as_mut_ptr());
    let ip: IpAddr = CStr::from_ptr(text.as_ptr()).to_str().ok()?.parse().ok()?;
    Some(SocketAddr::new(ip, nice_address_get_port(addr) as u16))
}

unsafe fn candidate_from_nice(c: *const NiceCandidate) -> Option<Candidate> {
    let c = c.as_ref()?;
    let kind = match c.type_ {
        NICE_CANDIDATE_TYPE_HOST => CandidateKind::Host,
        NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE => CandidateKind::ServerReflexive,
        NICE_CANDIDATE_TYPE_PEER_REFLEXIVE => CandidateKind::PeerReflexive,
        _ => CandidateKind::Relayed,
    };
    let transport = match c.transport {
        NICE_CANDIDATE_TRANSPORT_TCP_ACTIVE => CandidateTransport::TcpActive,
        NICE_CANDIDATE_TRANSPORT_TCP_PASSIVE => CandidateTransport::TcpPassive,
        NICE_CANDIDATE_TRANSPORT_TCP_SO => CandidateTransport::TcpSo,
        _ => CandidateTransport::Udp,
    };
    Some(Candidate {
        kind,
        transport,
        foundation: CStr::from_ptr(c.foundation.as_ptr()).to_string_lossy().into_owned(),
        component: c.component_id,
        priority: c.priority,
        address: address_from_nice(&c.addr)?,
        base: address_from_nice(&c.base_addr),
    })
}

/// A NiceCandidate for `c` (the caller frees it with `nice_candidate_free`), as
/// `janus_sdp_parse_candidate` fills it.
unsafe fn candidate_to_nice(c: &Candidate, stream_id: c_uint) -> Option<*mut NiceCandidate> {
    let kind = match c.kind {
        CandidateKind::Host => NICE_CANDIDATE_TYPE_HOST,
        CandidateKind::ServerReflexive => NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE,
        CandidateKind::PeerReflexive => NICE_CANDIDATE_TYPE_PEER_REFLEXIVE,
        CandidateKind::Relayed => NICE_CANDIDATE_TYPE_RELAYED,
    };
    let nc = nice_candidate_new(kind);
    let n = &mut *nc;
    n.component_id = c.component;
    n.stream_id = stream_id;
    n.transport = match c.transport {
        CandidateTransport::Udp => NICE_CANDIDATE_TRANSPORT_UDP,
        CandidateTransport::TcpActive => NICE_CANDIDATE_TRANSPORT_TCP_ACTIVE,
        CandidateTransport::TcpPassive => NICE_CANDIDATE_TRANSPORT_TCP_PASSIVE,
        CandidateTransport::TcpSo => NICE_CANDIDATE_TRANSPORT_TCP_SO,
    };
    // `g_strlcpy` into the 33-byte foundation.
    let f = c.foundation.as_bytes();
    let len = f.len().min(n.foundation.len() - 1);
    for (dst, src) in n.foundation.iter_mut().zip(&f[..len]) {
        *dst = *src as c_char;
    }
    n.foundation[len] = 0;
    n.priority = c.priority;
    let set = |addr: *mut NiceAddress, sa: SocketAddr| {
        let text = cstring(&sa.ip().to_string());
        let ok = nice_address_set_from_string(addr, text.as_ptr()) != FALSE;
        if ok {
            nice_address_set_port(addr, sa.port() as c_uint);
        }
        ok
    };
    let mut ok = set(&mut n.addr, c.address);
    if let (true, Some(base)) = (ok, c.base) {
        ok = set(&mut n.base_addr, base);
    }
    if !ok {
        nice_candidate_free(nc);
        return None;
    }
    Some(nc)
}

/// Takes a GLib-allocated string.
unsafe fn take_gstring(p: *mut c_char) -> Option<String> {
    if p.is_null() {
        return None;
    }
    let s = CStr::from_ptr(p).to_string_lossy().into_owned();
    g_free(p as gpointer);
    Some(s)
}

impl Agent {
    /// Creates the agent on `main_loop`'s context, with one stream of one component and the
    /// receive callback attached; gathering is started separately ([`Agent::gather`]).
    /// `on_teardown` runs on the loop thread once the agent is gone.
    pub fn new(
        main_loop: Arc<MainLoop>,
        config: &AgentConfig,
        events: Arc<dyn AgentEvents>,
        on_teardown: impl FnOnce() + Send + 'static,
    ) -> Result<Agent, AgentError> {
        let prop = |name: &CStr| name.as_ptr();
        // SAFETY: g_object_new/g_object_set take NULL-terminated (name, value) pairs whose
        // C types match the properties: gboolean/enum/guint as c_int/c_uint, pointers.
        unsafe {
            let agent = g_object_new(
                nice_agent_get_type(),
                prop(c"compatibility"),
                NICE_COMPATIBILITY_DRAFT19 as c_uint,
                prop(c"main-context"),
                main_loop.ctx,
                prop(c"reliable"),
                FALSE,
                prop(c"full-mode"),
                if config.full_mode { TRUE } else { FALSE },
                prop(c"nomination-mode"),
                if config.aggressive_nomination { NICE_NOMINATION_MODE_AGGRESSIVE } else { NICE_NOMINATION_MODE_REGULAR } as c_uint,
                prop(c"keepalive-conncheck"),
                config.keepalive_conncheck as gboolean,
                prop(c"force-relay"),
                config.force_relay as gboolean,
                prop(c"ice-udp"),
                TRUE,
                prop(c"ice-tcp"),
                config.ice_tcp as gboolean,
                ptr::null::<c_char>(),
            ) as *mut NiceAgent;
            if agent.is_null() {
                return Err(AgentError::Create);
            }
            let mut this = Agent {
                agent,
                stream_id: 0,
                events: Box::into_raw(EventsBox::new(events)),
                main_loop,
                on_teardown: Some(Box::new(on_teardown)),
            };
            if let Some((server, port)) = &config.stun_server {
                let server = cstring(server);
                g_object_set(
                    agent as gpointer,
                    prop(c"stun-server"),
                    server.as_ptr(),
                    prop(c"stun-server-port"),
                    *port as c_uint,
                    ptr::null::<c_char>(),
                );
            }
            if let Some(ms) = config.stun_initial_timeout_ms {
                g_object_set(agent as gpointer, prop(c"stun-initial-timeout"), ms as c_uint, ptr::null::<c_char>());
            }
            if let Some(n) = config.stun_max_retransmissions {
                g_object_set(agent as gpointer, prop(c"stun-max-retransmissions"), n as c_uint, ptr::null::<c_char>());
            }
            if let Some(ms) = config.idle_timeout_ms {
                g_object_set(agent as gpointer, prop(c"idle-timeout"), ms as c_uint, ptr::null::<c_char>());
            }
            g_object_set(agent as gpointer, prop(c"upnp"), FALSE, ptr::null::<c_char>());
            g_object_set(agent as gpointer, prop(c"controlling-mode"), config.controlling as gboolean, ptr::null::<c_char>());
            this.connect(c"candidate-gathering-done", on_gathering_done as *const ());
            this.connect(c"component-state-changed", on_state as *const ());
            this.connect(c"new-selected-pair-full", on_selected_pair as *const ());
            this.connect(c"new-candidate-full", on_local_candidate as *const ());
            this.connect(c"new-remote-candidate-full", on_remote_candidate as *const ());
            for host in &config.local_addresses {
                let text = cstring(host);
                let mut addr = NiceAddress::default();
                nice_address_init(&mut addr);
                if nice_address_set_from_string(&mut addr, text.as_ptr()) != FALSE {
                    nice_agent_add_local_address(agent, &mut addr);
                }
            }
            this.stream_id = nice_agent_add_stream(agent, COMPONENT);
            if this.stream_id == 0 {
                return Err(AgentError::Stream);
            }
            if config.tos > 0 {
                nice_agent_set_stream_tos(agent, this.stream_id, config.tos as gint);
            }
            for relay in &config.relays {
                let (server, user, pwd) = (cstring(&relay.server), cstring(&relay.username), cstring(&relay.password));
                nice_agent_set_relay_info(
                    agent,
                    this.stream_id,
                    COMPONENT,
                    server.as_ptr(),
                    relay.port as c_uint,
                    user.as_ptr(),
                    pwd.as_ptr(),
                    relay.kind as NiceRelayType,
                );
            }
            nice_agent_set_port_range(agent, this.stream_id, COMPONENT, config.port_range.0 as c_uint, config.port_range.1 as c_uint);
            nice_agent_attach_recv(agent, this.stream_id, COMPONENT, this.main_loop.ctx, Some(on_receive), this.events as gpointer);
            Ok(this)
        }
    }

    unsafe fn connect(&mut self, signal: &CStr, handler: *const ()) {
        // SAFETY (caller): `handler` is an `unsafe extern "C" fn` matching the signal.
        let callback: GCallback = Some(std::mem::transmute::<*const (), unsafe extern "C" fn()>(handler));
        g_signal_connect_data(self.agent as gpointer, signal.as_ptr(), callback, self.events as gpointer, None, 0);
    }

    pub fn stream_id(&self) -> u32 {
        self.stream_id
    }

    /// `nice_agent_gather_candidates`.
    pub fn gather(&self) -> bool {
        // SAFETY: live agent and stream.
        unsafe { nice_agent_gather_candidates(self.agent, self.stream_id) != FALSE }
    }

    /// Our ufrag and password.
    pub fn local_credentials(&self) -> Option<(String, String)> {
        let (mut ufrag, mut pwd) = (ptr::null_mut(), ptr::null_mut());
        // SAFETY: libnice allocates both strings for us (taken and freed below).
        unsafe {
            let ok = nice_agent_get_local_credentials(self.agent, self.stream_id, &mut ufrag, &mut pwd) != FALSE;
            let (u, p) = (take_gstring(ufrag), take_gstring(pwd));
            if ok {
                Some((u?, p?))
            } else {
                None
            }
        }
    }

    pub fn set_remote_credentials(&self, ufrag: &str, pwd: &str) -> bool {
        let (u, p) = (cstring(ufrag), cstring(pwd));
        // SAFETY: live agent; libnice copies the strings.
        unsafe { nice_agent_set_remote_credentials(self.agent, self.stream_id, u.as_ptr(), p.as_ptr()) != FALSE }
    }

    /// `nice_agent_set_remote_candidates`: how many were added (negative on error).
    pub fn set_remote_candidates(&self, candidates: &[Candidate]) -> i32 {
        // SAFETY: the list and candidates are ours; libnice copies them.
        unsafe {
            let mut list: *mut GSList = ptr::null_mut();
            for c in candidates {
                if let Some(nc) = candidate_to_nice(c, self.stream_id) {
                    list = g_slist_append(list, nc as gpointer);
                }
            }
            if list.is_null() {
                return 0;
            }
            let added = nice_agent_set_remote_candidates(self.agent, self.stream_id, COMPONENT, list);
            let mut node = list;
            while !node.is_null() {
                nice_candidate_free((*node).data as *mut NiceCandidate);
                node = (*node).next;
            }
            g_slist_free(list);
            added
        }
    }

    /// Our candidates so far, in libnice's order.
    pub fn local_candidates(&self) -> Vec<Candidate> {
        let mut out = Vec::new();
        // SAFETY: libnice returns a list of copies we own and free.
        unsafe {
            let list = nice_agent_get_local_candidates(self.agent, self.stream_id, COMPONENT);
            let mut node = list;
            while !node.is_null() {
                let c = (*node).data as *mut NiceCandidate;
                out.extend(candidate_from_nice(c));
                nice_candidate_free(c);
                node = (*node).next;
            }
            g_slist_free(list);
        }
        out
    }

    /// `nice_agent_restart`: new local credentials, remote candidates forgotten.
    pub fn restart(&self) -> bool {
        // SAFETY: live agent.
        unsafe { nice_agent_restart(self.agent) != FALSE }
    }

    /// `nice_agent_send` on the selected pair: the bytes sent, or `None` when nothing could
    /// be sent (no pair yet, socket error).
    pub fn send(&self, data: &[u8]) -> Option<usize> {
        let len = c_uint::try_from(data.len()).ok()?;
        // SAFETY: libnice reads `len` bytes from `data` during the call.
        let sent = unsafe { nice_agent_send(self.agent, self.stream_id, COMPONENT, len, data.as_ptr() as *const c_char) };
        usize::try_from(sent).ok()
    }
}

/// What tearing an agent down needs, run on the loop's thread (or, if the loop is gone
/// before it could run, wherever the context's last reference is dropped: then no loop
/// thread can be running callbacks either).
struct Teardown {
    agent: *mut NiceAgent,
    stream_id: c_uint,
    events: *mut Arc<dyn AgentEvents>,
    on_teardown: Option<Job>,
}

// SAFETY: moved to the loop thread as a whole; see `Agent`.
unsafe impl Send for Teardown {}

impl Drop for Teardown {
    fn drop(&mut self) {
        // SAFETY: this is the last user of the agent and of the events box.
        unsafe {
            g_signal_handlers_disconnect_matched(
                self.agent as gpointer,
                G_SIGNAL_MATCH_DATA,
                0,
                0,
                ptr::null_mut(),
                ptr::null_mut(),
                self.events as gpointer,
            );
            nice_agent_attach_recv(self.agent, self.stream_id, COMPONENT, ptr::null_mut(), None, ptr::null_mut());
            if self.stream_id != 0 {
                nice_agent_remove_stream(self.agent, self.stream_id);
            }
            // The loop outlives the agent: closing releases TURN allocations before the
            // last reference goes.
            nice_agent_close_async(self.agent, None, ptr::null_mut());
            g_object_unref(self.agent as gpointer);
            drop(Box::from_raw(self.events));
        }
        if let Some(done) = self.on_teardown.take() {
            guarded(done);
        }
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let teardown = Teardown { agent: self.agent, stream_id: self.stream_id, events: self.events, on_teardown: self.on_teardown.take() };
        self.main_loop.invoke(move || drop(teardown));
    }
}

/// The addresses of the machine's interfaces (`getifaddrs`), IPv4 and IPv6 only.
pub fn interfaces() -> Vec<Interface> {
    let mut out = Vec::new();
    // SAFETY: we walk the list getifaddrs gave us and free it before returning.
    unsafe {
        let mut list: *mut libc::ifaddrs = ptr::null_mut();
        if libc::getifaddrs(&mut list) != 0 {
            return out;
        }
        let mut node = list;
        while let Some(ifa) = node.as_ref() {
            node = ifa.ifa_next;
            let Some(sa) = ifa.ifa_addr.as_ref() else { continue };
            let (address, scope_id) = match sa.sa_family as i32 {
                libc::AF_INET => {
                    let sin = &*(ifa.ifa_addr as *const libc::sockaddr_in);
                    (IpAddr::from(u32::from_be(sin.sin_addr.s_addr).to_be_bytes()), 0)
                }
                libc::AF_INET6 => {
                    let sin6 = &*(ifa.ifa_addr as *const libc::sockaddr_in6);
                    (IpAddr::from(sin6.sin6_addr.s6_addr), sin6.sin6_scope_id)
                }
                _ => continue,
            };
            let flags = ifa.ifa_flags;
            out.push(Interface {
                name: if ifa.ifa_name.is_null() { String::new() } else { CStr::from_ptr(ifa.ifa_name).to_string_lossy().into_owned() },
                address,
                scope_id,
                up: flags & libc::IFF_UP as c_uint != 0,
                running: flags & libc::IFF_RUNNING as c_uint != 0,
                loopback: flags & libc::IFF_LOOPBACK as c_uint != 0,
            });
        }
        libc::freeifaddrs(list);
    }
    out
}
