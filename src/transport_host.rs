//! The core's side of transports: what it needs from a transport session (a client connection
//! of some transport module) to answer requests and deliver events. The C glue implements
//! [`TransportSession`] over `janus_transport_session` and the module's vtable.

use std::sync::Arc;

use crate::json::Json;

/// One client connection of a transport, as the core sees it.
pub trait TransportSession: Send + Sync {
    /// Identity of the underlying connection (two requests from the same connection compare
    /// equal: that is what `claim` checks).
    fn instance(&self) -> usize;
    /// The transport module's package, e.g. `janus.transport.http`.
    fn transport_package(&self) -> String;
    /// Sends a reply (`request_id` from the request) or an event (`None`).
    fn send(&self, request_id: Option<RequestId>, admin: bool, message: Json);
    fn session_created(&self, session_id: u64);
    fn session_over(&self, session_id: u64, timeout: bool, claimed: bool);
    fn session_claimed(&self, session_id: u64);
}

/// The opaque request identifier a transport attached to a request, echoed with the reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestId(pub usize);

/// Where a request body failed to parse (jansson's `json_error_t`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub source: String,
    pub line: i32,
    pub column: i32,
    pub text: String,
}

/// A request as a transport handed it to the core.
#[derive(Clone)]
pub struct Request {
    pub transport: Arc<dyn TransportSession>,
    pub request_id: Option<RequestId>,
    pub admin: bool,
    /// The parsed message, or why it could not be parsed (`None` when the transport gave
    /// neither).
    pub message: Result<Json, Option<ParseError>>,
}

impl Request {
    /// Sends the reply to this request.
    pub fn reply(&self, message: Json) {
        self.transport.send(self.request_id, self.admin, message);
    }
}
