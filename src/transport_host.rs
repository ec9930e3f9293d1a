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

/// Janus' request queue: transports only enqueue (`incoming_request` returns at once); one
/// "sessions requests" thread processes requests in order, except plugin messages (Janus
/// API `message`, Admin API `message_plugin`), which go to a pool of workers because a
/// plugin may take its time answering.
pub struct Dispatcher {
    queue: std::sync::mpsc::Sender<Request>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// What processes a request (the Janus or the Admin API).
pub type Handler = Arc<dyn Fn(&Request) + Send + Sync>;

/// Whether a request is one Janus hands to its task pool: matched on the `janus` value
/// before any validation, case-insensitively.
fn is_plugin_message(request: &Request) -> bool {
    let verb = request.message.as_ref().ok().and_then(|m| m.get("janus")).and_then(Json::as_str).unwrap_or_default();
    if request.admin {
        verb.eq_ignore_ascii_case("message_plugin")
    } else {
        verb.eq_ignore_ascii_case("message")
    }
}

impl Dispatcher {
    /// Starts the requests thread and `workers` pool threads.
    pub fn start(janus: Handler, admin: Handler, workers: usize) -> Dispatcher {
        let (queue, requests) = std::sync::mpsc::channel::<Request>();
        let (pool_tx, pool_rx) = std::sync::mpsc::channel::<Request>();
        let pool_rx = Arc::new(std::sync::Mutex::new(pool_rx));
        let run = {
            let (janus, admin) = (janus.clone(), admin.clone());
            move |r: &Request| if r.admin { admin(r) } else { janus(r) }
        };
        let run = Arc::new(run);
        let pool: Vec<_> = (0..workers.max(1))
            .map(|i| {
                let (rx, run) = (pool_rx.clone(), run.clone());
                std::thread::Builder::new()
                    .name(format!("task pool {i}"))
                    .spawn(move || loop {
                        let next = rx.lock().unwrap_or_else(|e| e.into_inner()).recv();
                        match next {
                            Ok(request) => run(&request),
                            Err(_) => break,
                        }
                    })
                    .expect("thread spawns")
            })
            .collect();
        let thread = std::thread::Builder::new()
            .name("sessions requests".into())
            .spawn(move || {
                crate::janus_log!(crate::log::Level::Info, "Joining Janus requests handler thread\n");
                for request in requests {
                    if is_plugin_message(&request) {
                        let _ = pool_tx.send(request);
                    } else {
                        run(&request);
                    }
                }
                drop(pool_tx);
                for worker in pool {
                    let _ = worker.join();
                }
                crate::janus_log!(crate::log::Level::Info, "Leaving Janus requests handler thread\n");
            })
            .expect("thread spawns");
        Dispatcher { queue, thread: Some(thread) }
    }

    /// Enqueues a request (what a transport's `incoming_request` does).
    pub fn dispatch(&self, request: Request) {
        let _ = self.queue.send(request);
    }

    /// Processes what is queued, then stops the threads.
    pub fn stop(mut self) {
        let (closed, _) = std::sync::mpsc::channel();
        self.queue = closed;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
