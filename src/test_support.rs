//! Fakes the Janus and Admin API tests share: a deterministic environment, a transport that
//! records what it is sent, a plugin that echoes, and queryable modules.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::auth::Auth;
use crate::gateway::{Environment, Gateway, Settings};
use crate::json::{Json, Object};
use crate::media::{MediaSlot, RtpExtensions};
use crate::modules::{AdminResponse, ModuleInfo, ModuleKind, QueryableModule};
use crate::plugin_host::{Plugin, PluginResult, PluginSession};
use crate::server_info::StaticInfo;
use crate::transport_host::{Request, RequestId, TransportSession};

/// Deterministic time and ids; deferred work runs at once.
pub(crate) struct TestEnv {
    pub now: AtomicI64,
    pub next_id: AtomicU64,
}
impl Environment for TestEnv {
    fn monotonic_us(&self) -> i64 {
        self.now.load(Ordering::Relaxed)
    }
    fn real_us(&self) -> i64 {
        1_700_000_000_000_000
    }
    fn random_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }
    fn defer(&self, job: Box<dyn FnOnce() + Send>) {
        job()
    }
}

/// Everything the test transports were sent, and the session notifications they got.
#[derive(Default)]
pub(crate) struct Wire {
    pub sent: Mutex<Vec<(Option<RequestId>, Json)>>,
    pub notes: Mutex<Vec<String>>,
}
pub(crate) struct TestTransport {
    pub instance: usize,
    pub wire: Arc<Wire>,
}
impl TransportSession for TestTransport {
    fn instance(&self) -> usize {
        self.instance
    }
    fn transport_package(&self) -> String {
        "janus.transport.test".into()
    }
    fn send(&self, request_id: Option<RequestId>, _admin: bool, message: Json) {
        self.wire.sent.lock().unwrap().push((request_id, message));
    }
    fn session_created(&self, id: u64) {
        self.wire.notes.lock().unwrap().push(format!("created {id}"));
    }
    fn session_over(&self, id: u64, timeout: bool, claimed: bool) {
        self.wire.notes.lock().unwrap().push(format!("over {id} {timeout} {claimed}"));
    }
    fn session_claimed(&self, id: u64) {
        self.wire.notes.lock().unwrap().push(format!("claimed {id}"));
    }
}

/// Answers `{"sync":true}` synchronously, anything else with OK_WAIT; `{"fail":true}` errs.
/// Its sessions answer `query_session` with `{"echo":true}`; Admin messages are echoed
/// back as `{"admin": request}`, NULL when the request is absent.
pub(crate) struct EchoPlugin(pub ModuleInfo, pub Arc<Mutex<Vec<String>>>);
pub(crate) struct EchoSession(pub Arc<Mutex<Vec<String>>>);
impl Plugin for EchoPlugin {
    fn description(&self) -> &ModuleInfo {
        &self.0
    }
    fn create_session(&self, _session_id: u64, handle_id: u64, _media: Arc<MediaSlot>) -> Result<Box<dyn PluginSession>, i32> {
        self.1.lock().unwrap().push(format!("create {handle_id}"));
        Ok(Box::new(EchoSession(self.1.clone())))
    }
    fn handle_admin_message(&self, request: Option<&Json>) -> AdminResponse {
        match request {
            Some(r) => AdminResponse::Json(Object::new().with("admin", r.clone()).into()),
            None => AdminResponse::Null,
        }
    }
}
impl PluginSession for EchoSession {
    fn handle_message(&self, _t: &str, body: &Json, jsep: Option<&Json>) -> PluginResult {
        if let Some(jsep) = jsep {
            self.0.lock().unwrap().push(format!("jsep {}", jsep.to_compact_string()));
        }
        if body.get("sync").is_some() {
            PluginResult::Ok(Some(Object::new().with("echo", body.clone()).into()))
        } else if body.get("fail").is_some() {
            PluginResult::Error(None)
        } else if body.get("null").is_some() {
            PluginResult::Nothing
        } else {
            PluginResult::OkWait(Some("later".into()))
        }
    }
    fn query(&self) -> Option<Json> {
        Some(Object::new().with("echo", true).into())
    }
    fn detach(&self) {
        self.0.lock().unwrap().push("detach".into());
    }
    fn hangup_media(&self) {
        self.0.lock().unwrap().push("hangup".into());
    }
    fn setup_media(&self) {
        self.0.lock().unwrap().push("setup_media".into());
    }
    fn incoming_rtp(&self, mindex: i32, video: bool, buffer: &mut [u8], _extensions: &RtpExtensions) {
        self.0.lock().unwrap().push(format!("rtp {mindex} {video} {}", buffer.len()));
    }
    fn incoming_rtcp(&self, mindex: i32, video: bool, buffer: &mut [u8]) {
        self.0.lock().unwrap().push(format!("rtcp {mindex} {video} {}", buffer.len()));
    }
    fn incoming_data(&self, label: &str, protocol: Option<&str>, binary: bool, buffer: &mut [u8]) {
        self.0.lock().unwrap().push(format!("data {label} {protocol:?} {binary} {}", buffer.len()));
    }
    fn data_ready(&self) {
        self.0.lock().unwrap().push("data_ready".into());
    }
    fn slow_link(&self, mindex: i32, video: bool, uplink: bool) {
        self.0.lock().unwrap().push(format!("slow_link {mindex} {video} {uplink}"));
    }
}

/// A plugin without Admin API hook whose sessions answer `query_session` with a non-object.
pub(crate) struct MutePlugin(pub ModuleInfo);
pub(crate) struct MuteSession;
impl Plugin for MutePlugin {
    fn description(&self) -> &ModuleInfo {
        &self.0
    }
    fn create_session(&self, _session_id: u64, _handle_id: u64, _media: Arc<MediaSlot>) -> Result<Box<dyn PluginSession>, i32> {
        Ok(Box::new(MuteSession))
    }
}
impl PluginSession for MuteSession {
    fn handle_message(&self, _t: &str, _body: &Json, _jsep: Option<&Json>) -> PluginResult {
        PluginResult::Nothing
    }
    fn query(&self) -> Option<Json> {
        Some(Json::Int(1))
    }
    fn detach(&self) {}
    fn hangup_media(&self) {}
    fn setup_media(&self) {}
    fn incoming_rtp(&self, _mindex: i32, _video: bool, _buffer: &mut [u8], _extensions: &RtpExtensions) {}
    fn incoming_rtcp(&self, _mindex: i32, _video: bool, _buffer: &mut [u8]) {}
    fn incoming_data(&self, _label: &str, _protocol: Option<&str>, _binary: bool, _buffer: &mut [u8]) {}
    fn data_ready(&self) {}
    fn slow_link(&self, _mindex: i32, _video: bool, _uplink: bool) {}
}

/// A transport, event handler or logger whose query hook returns `answer` (`None`: no hook).
pub(crate) struct FakeModule {
    pub info: ModuleInfo,
    pub answer: Option<AdminResponse>,
    pub asked: Mutex<Vec<Option<Json>>>,
}
impl QueryableModule for FakeModule {
    fn description(&self) -> &ModuleInfo {
        &self.info
    }
    fn handle_request(&self, request: Option<&Json>) -> AdminResponse {
        self.asked.lock().unwrap().push(request.cloned());
        self.answer.clone().unwrap_or(AdminResponse::NoHook)
    }
}

pub(crate) fn module_info(kind: ModuleKind, package: &str) -> ModuleInfo {
    ModuleInfo {
        kind,
        api_compatibility: 102,
        version: 1,
        version_string: "0.0.1".into(),
        description: "test".into(),
        name: "Test".into(),
        author: Some("us".into()),
        package: package.into(),
    }
}

/// A gateway with the echo plugin (`janus.plugin.echo`) and the mute one (`janus.plugin.mute`).
pub(crate) struct Fixture {
    pub gw: Gateway,
    pub wire: Arc<Wire>,
    pub plugin_log: Arc<Mutex<Vec<String>>>,
    pub env: Arc<TestEnv>,
}

pub(crate) fn fixture(settings: Settings, auth: Auth) -> Fixture {
    fixture_with(settings, auth, |gw| gw)
}

/// A fixture whose gateway `finish` completes (modules, event sinks).
pub(crate) fn fixture_with(settings: Settings, auth: Auth, finish: impl FnOnce(Gateway) -> Gateway) -> Fixture {
    let env = Arc::new(TestEnv { now: AtomicI64::new(1_000_000), next_id: AtomicU64::new(1000) });
    let plugin_log = Arc::new(Mutex::new(Vec::new()));
    let echo: Arc<dyn Plugin> = Arc::new(EchoPlugin(module_info(ModuleKind::Plugin, "janus.plugin.echo"), plugin_log.clone()));
    let mute: Arc<dyn Plugin> = Arc::new(MutePlugin(module_info(ModuleKind::Plugin, "janus.plugin.mute")));
    let gw = finish(Gateway::new(settings, auth, vec![echo, mute], StaticInfo::default(), env.clone()));
    Fixture { gw, wire: Arc::default(), plugin_log, env }
}

impl Fixture {
    fn request(&self, instance: usize, admin: bool, text: &str) -> Request {
        let transport = Arc::new(TestTransport { instance, wire: self.wire.clone() });
        let message = crate::abi::json::parse(text).map_err(|_| None);
        Request { transport, request_id: Some(RequestId(7)), admin, message }
    }
    fn last_reply(&self) -> Json {
        let sent = self.wire.sent.lock().unwrap();
        let (id, reply) = sent.iter().rev().find(|(id, _)| id.is_some()).cloned().expect("a reply");
        assert_eq!(id, Some(RequestId(7)));
        reply
    }
    /// A Janus API request from transport session `instance`; its reply.
    pub fn send_on(&self, instance: usize, text: &str) -> Json {
        self.gw.handle_janus_request(&self.request(instance, false, text));
        self.last_reply()
    }
    pub fn send(&self, text: &str) -> Json {
        self.send_on(1, text)
    }
    /// An Admin API request; its reply.
    pub fn admin(&self, text: &str) -> Json {
        self.gw.handle_admin_request(&self.request(1, true, text));
        self.last_reply()
    }
    /// The events (messages without request id) sent so far.
    pub fn events(&self) -> Vec<Json> {
        self.wire.sent.lock().unwrap().iter().filter(|(id, _)| id.is_none()).map(|(_, m)| m.clone()).collect()
    }
}

/// A media plane gathering on loopback only, with a fresh self-signed certificate.
pub(crate) fn loopback_media_plane(
    loops: crate::ice::EventLoops,
    full_trickle: bool,
    allow_force_relay: bool,
) -> Arc<crate::media::MediaPlane> {
    use crate::dtls::{DtlsCertificate, DtlsOptions, DtlsSettings};
    use crate::ice::{IceSettings, InterfaceFilter};
    let certificate = DtlsCertificate::generate(false).unwrap();
    Arc::new(crate::media::MediaPlane {
        ice: Arc::new(IceSettings {
            filter: InterfaceFilter { enforce: vec!["lo".into()], ..InterfaceFilter::default() },
            full_trickle,
            ..IceSettings::default()
        }),
        dtls: Arc::new(DtlsSettings::new(&certificate, DtlsOptions::default()).unwrap()),
        sdp: crate::sdp::SdpSettings { full_trickle, ..crate::sdp::SdpSettings::default() },
        loops,
        twcc_period: 200,
        allow_force_relay,
    })
}

pub(crate) fn error_of(reply: &Json) -> (i64, String) {
    let e = reply.get("error").expect("an error reply");
    (e.get("code").unwrap().as_i64().unwrap(), e.get("reason").unwrap().as_str().unwrap().to_string())
}

/// Every file of one fuzzing corpus of `../shared/corpora` (`rtp_fuzzer`, `sdp_fuzzer`, ...),
/// through all its subfolders, sorted. Panics if the corpus is missing or empty, so that a
/// test over it cannot pass having read nothing.
pub(crate) fn corpus_files(name: &str) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let mut folders = vec![std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpora").join(name)];
    while let Some(folder) = folders.pop() {
        let entries = std::fs::read_dir(&folder).unwrap_or_else(|e| panic!("corpus {}: {e}", folder.display()));
        for path in entries.map(|entry| entry.expect("corpus entry").path()) {
            if path.is_dir() {
                folders.push(path);
            } else {
                files.push(path);
            }
        }
    }
    assert!(!files.is_empty(), "corpus {name} is empty");
    files.sort();
    files
}
