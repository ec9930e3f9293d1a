//! The core's side of plugins: what it needs from a loaded plugin and from one plugin session
//! (the plugin's state for one handle). The C glue implements these over `janus_plugin` and
//! `janus_plugin_session`; tests implement them in Rust.

use std::sync::Arc;

use crate::json::Json;
use crate::media::{MediaSlot, RtpExtensions};
use crate::modules::{AdminResponse, ModuleInfo};

/// What a plugin answered to a message (`janus_plugin_result`, or NULL).
#[derive(Clone, Debug, PartialEq)]
pub enum PluginResult {
    /// Synchronous answer; the content must be an object to be accepted.
    Ok(Option<Json>),
    /// Accepted, answer will come as an event; optional hint for the client.
    OkWait(Option<String>),
    /// Refused, with an optional reason.
    Error(Option<String>),
    /// The plugin returned NULL.
    Nothing,
}

/// A loaded and initialised plugin.
pub trait Plugin: Send + Sync {
    /// What the plugin said of itself when loaded (listed by `info`).
    fn description(&self) -> &ModuleInfo;
    fn package(&self) -> &str {
        &self.description().package
    }
    /// `create_session` for the handle `handle_id` of session `session_id`, whose
    /// PeerConnection (if any) lives in `media`; the plugin's error number on failure.
    fn create_session(&self, session_id: u64, handle_id: u64, media: Arc<MediaSlot>) -> Result<Box<dyn PluginSession>, i32>;
    /// `handle_admin_message` with the Admin request's `request` member; plugins without
    /// the (optional) hook keep this default.
    fn handle_admin_message(&self, _request: Option<&Json>) -> AdminResponse {
        AdminResponse::NoHook
    }
}

/// The plugin's state for one handle.
pub trait PluginSession: Send + Sync {
    fn handle_message(&self, transaction: &str, body: &Json, jsep: Option<&Json>) -> PluginResult;
    /// `query_session`: plugin-specific state for `handle_info`, if an object.
    fn query(&self) -> Option<Json>;
    /// Tears the session down as a detach does: `hangup_media` then `destroy_session`.
    fn detach(&self);
    /// `hangup_media`: the PeerConnection is gone (or a hangup was asked for without one).
    fn hangup_media(&self);
    /// `setup_media`: the PeerConnection is up (DTLS done).
    fn setup_media(&self);
    /// `incoming_rtp`, on the handle's loop thread, with the packet decrypted in `buffer`.
    fn incoming_rtp(&self, mindex: i32, video: bool, buffer: &mut [u8], extensions: &RtpExtensions);
    /// `incoming_rtcp`, on the handle's loop thread.
    fn incoming_rtcp(&self, mindex: i32, video: bool, buffer: &mut [u8]);
    /// `incoming_data`: a message on the data channel `label` (never empty), on the
    /// handle's loop thread; the plugin may relay from it.
    fn incoming_data(&self, label: &str, protocol: Option<&str>, binary: bool, buffer: &mut [u8]);
    /// `data_ready`: what the plugin relayed has all been delivered.
    fn data_ready(&self);
    /// `slow_link`: the medium at `mindex` lost more than `slowlink_threshold` packets in
    /// the last second, on the way in (`uplink`) or out.
    fn slow_link(&self, mindex: i32, video: bool, uplink: bool);
}
