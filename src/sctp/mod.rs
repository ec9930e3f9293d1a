//! Data channels (Janus' `sctp.c`): SCTP over the DTLS association of a PeerConnection, with
//! the DCEP open/ack handshake (RFC 8831/8832), sans-IO. The SCTP protocol itself is the
//! `sctp-proto` crate; this module does the WebRTC glue: channels by label and stream id,
//! DCEP, PPIDs, message size limits, bounded buffering, and the events Janus turns into
//! `incoming_data` and `data_ready` for plugins.
//!
//! # How the integrator feeds it
//! One [`SctpAssociation`] per PeerConnection, created once the DTLS handshake has completed
//! (as Janus does, `janus_dtls_srtp_create_sctp`), with `dtls_client` set to the DTLS role
//! the handshake ended up with.
//! - Every DTLS application-data record the DTLS layer decrypts is one SCTP packet: pass it
//!   to [`SctpAssociation::handle_input`].
//! - After any call that takes `now` (and after [`SctpAssociation::send`]), drain
//!   [`SctpAssociation::poll_event`] until `None`, then [`SctpAssociation::poll_transmit`]
//!   until `None`, writing each packet as one DTLS application-data record (`SSL_write`).
//!   Messages are read from the SCTP stack only as events are polled, so an integrator that
//!   stops polling makes the receive window, not memory, fill up.
//! - Arm a timer for [`SctpAssociation::poll_timeout`] and call
//!   [`SctpAssociation::handle_timeout`] when it fires (then drain as above).
//! - A plugin's `relay_data` becomes [`SctpAssociation::send`] with its label, protocol and
//!   binary flag; `incoming_data` is fed from [`SctpEvent::Message`] (Janus passes a NULL
//!   protocol when it is empty, and never delivers empty messages to plugins);
//!   `data_ready` from [`SctpEvent::DataReady`].
//! - Hang-up: [`SctpAssociation::close`], drain, and drop it.

mod dcep;
#[cfg(test)]
mod tests;

pub use dcep::{DcepError, DcepMessage, DcepOpen};

use crate::janus_log;
use crate::log::Level;
use bytes::Bytes;
use sctp_proto::{
    Association, AssociationHandle, ClientConfig, DatagramEvent, Endpoint, EndpointConfig, EndpointEvent, Event, Payload,
    PayloadProtocolIdentifier as Ppid, ReliabilityType, ServerConfig, StreamEvent, TransportConfig,
};
use std::collections::{BTreeMap, VecDeque};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

/// The SCTP port Janus binds and connects to, whatever the SDP says (`a=sctp-port:5000`,
/// legacy `a=sctpmap:5000 webrtc-datachannel 16`).
pub const DEFAULT_SCTP_PORT: u16 = 5000;
/// The label of a channel a plugin relays to without naming one.
pub const DEFAULT_LABEL: &str = "JanusDataChannel";
/// Janus stores labels and protocols in 64-byte buffers: plugins see at most 63 bytes.
pub const MAX_LABEL_LEN: usize = 63;
/// `NUMBER_OF_CHANNELS`: how many channels one PeerConnection may have open.
pub const DEFAULT_MAX_CHANNELS: usize = 150;
/// `NUMBER_OF_STREAMS`: streams negotiated each way; stream ids are below this.
pub const DEFAULT_MAX_STREAMS: u16 = 300;
/// What a peer may send when its SDP has no `a=max-message-size` (RFC 8841 section 6).
pub const DEFAULT_REMOTE_MAX_MESSAGE_SIZE: u32 = 65536;
/// The largest message we accept (what browsers advertise); Janus itself reassembles without
/// a limit, which a careful stack cannot do.
pub const DEFAULT_MAX_RECEIVE_MESSAGE_SIZE: u32 = 262144;
/// Outgoing bytes we hold for a peer that does not read before refusing more.
pub const DEFAULT_MAX_BUFFERED_AMOUNT: usize = 4 * 1024 * 1024;
/// Largest SCTP packet we emit: it must fit one DTLS record within Janus' 1200-byte DTLS MTU.
pub const DEFAULT_MTU: u32 = 1150;

/// SCTP common header plus DATA chunk header, subtracted from the MTU for the payload size.
const PACKET_OVERHEAD: u32 = 12 + 16;
/// The payload of an empty message (PPID 56/57) on the wire: one byte, ignored (RFC 8831 6.6).
const EMPTY_MESSAGE_PAYLOAD: [u8; 1] = [0];
/// The chunk type of SHUTDOWN COMPLETE, the first chunk after the 12-byte common header.
const CHUNK_SHUTDOWN_COMPLETE: u8 = 14;

/// Partial reliability of a channel (the DCEP channel type and reliability parameter).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reliability {
    Reliable,
    /// `maxRetransmits`.
    MaxRetransmits(u32),
    /// `maxPacketLifeTime`, in milliseconds.
    MaxLifetime(u32),
}

/// How a channel delivers messages: what its DATA_CHANNEL_OPEN says.
pub type ChannelOptions = DcepOpen;

impl ChannelOptions {
    /// A reliable, ordered channel: what Janus opens for a plugin's new label.
    pub fn reliable(label: &str, protocol: &str) -> Self {
        ChannelOptions { label: label.into(), protocol: protocol.into(), ordered: true, reliability: Reliability::Reliable, priority: 0 }
    }
}

/// A channel of this association.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelInfo {
    pub stream_id: u16,
    /// Cut to [`MAX_LABEL_LEN`] bytes, as plugins see it.
    pub label: String,
    pub protocol: String,
    pub ordered: bool,
    pub reliability: Reliability,
    /// Whether the peer opened it (its DATA_CHANNEL_OPEN) rather than us.
    pub opened_by_peer: bool,
    /// False while our DATA_CHANNEL_OPEN waits for the peer's ACK (or first message).
    pub acked: bool,
}

/// What the association reports to its owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SctpEvent {
    /// The SCTP association is established: channels can be opened and used.
    Connected,
    /// The peer opened a channel (its DATA_CHANNEL_OPEN, which we acknowledged).
    ChannelOpened(ChannelInfo),
    /// A complete message on a channel; `data` is empty for PPID 56/57.
    Message { stream_id: u16, label: String, protocol: String, binary: bool, data: Vec<u8> },
    /// A channel is gone: the peer reset its stream, or we refused its DATA_CHANNEL_OPEN.
    ChannelClosed { stream_id: u16, label: String },
    /// Nothing we sent is waiting any more (Janus' `SCTP_SENDER_DRY_EVENT`, after which it
    /// calls the plugin's `data_ready`). As with usrsctp, that takes something sent (a DCEP
    /// message counts): an association that never carried anything of ours is not "dry".
    DataReady,
    /// The association is over (shutdown, abort, timeout, or a protocol violation).
    Closed { reason: String },
}

/// Why [`SctpAssociation::send`] did not take a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    /// The association is not established (yet, or any more).
    NotConnected,
    /// Larger than the peer's `a=max-message-size`.
    TooLarge { size: usize, max: usize },
    /// The peer is not reading: the outgoing buffer is at its bound. Retry after
    /// [`SctpEvent::DataReady`].
    BufferFull,
    /// No channel or stream id is free for a new label.
    NoFreeChannel,
    /// The SCTP stack refused the message.
    Sctp(String),
}

/// Configuration of one association.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SctpConfig {
    /// For log lines, as Janus prefixes them.
    pub handle_id: u64,
    /// Our DTLS role. The DTLS client starts the SCTP association and uses even stream ids,
    /// the server waits for the INIT and uses odd ones (RFC 8832 section 6). Janus (usrsctp)
    /// always sends an INIT and resolves the collision; sctp-proto has no collision handling
    /// between two of its associations, and every WebRTC stack's DTLS client initiates, so
    /// the DTLS role decides here.
    pub dtls_client: bool,
    /// Our SCTP port: Janus always uses 5000.
    pub local_port: u16,
    /// The peer's `a=sctp-port` (or the legacy `a=sctpmap` port); Janus connects to 5000.
    pub remote_port: u16,
    /// The peer's `a=max-message-size` ([`DEFAULT_REMOTE_MAX_MESSAGE_SIZE`] when absent;
    /// 0, "any size", is bounded by `max_buffered_amount`).
    pub remote_max_message_size: u32,
    /// The largest message we accept; a peer that sends more loses the association.
    pub max_receive_message_size: u32,
    /// Outgoing bytes held (unacknowledged or unsent) before [`SendError::BufferFull`].
    pub max_buffered_amount: usize,
    pub max_channels: usize,
    pub max_streams: u16,
    /// Largest SCTP packet handed to DTLS.
    pub mtu: u32,
}

impl Default for SctpConfig {
    fn default() -> Self {
        SctpConfig {
            handle_id: 0,
            dtls_client: false,
            local_port: DEFAULT_SCTP_PORT,
            remote_port: DEFAULT_SCTP_PORT,
            remote_max_message_size: DEFAULT_REMOTE_MAX_MESSAGE_SIZE,
            max_receive_message_size: DEFAULT_MAX_RECEIVE_MESSAGE_SIZE,
            max_buffered_amount: DEFAULT_MAX_BUFFERED_AMOUNT,
            max_channels: DEFAULT_MAX_CHANNELS,
            max_streams: DEFAULT_MAX_STREAMS,
            mtu: DEFAULT_MTU,
        }
    }
}

/// Counters of what was refused or dropped, for diagnostics and tests.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SctpStats {
    /// Messages [`SctpAssociation::send`] refused because the outgoing buffer was full.
    pub send_buffer_full: u64,
    /// Incoming messages on streams without a channel, with unknown PPIDs, or malformed DCEP.
    pub dropped_incoming: u64,
    /// DATA_CHANNEL_OPENs refused (channel limit, stream id limit, stream already in use).
    pub refused_opens: u64,
}

/// The data-channel side of one PeerConnection.
pub struct SctpAssociation {
    config: SctpConfig,
    endpoint: Endpoint,
    transport: Arc<TransportConfig>,
    association: Option<(AssociationHandle, Association)>,
    connected: bool,
    closed: bool,
    channels: BTreeMap<u16, ChannelInfo>,
    /// Streams with messages the SCTP stack holds for us, read as events are polled.
    readable: VecDeque<u16>,
    events: VecDeque<SctpEvent>,
    transmits: VecDeque<Bytes>,
    /// The packet [`Self::poll_transmit`] last returned, kept alive for its borrow.
    current: Bytes,
    /// Whether something was buffered since the last [`SctpEvent::DataReady`].
    sent_since_ready: bool,
    stats: SctpStats,
    /// The latest time we were given.
    last_now: Instant,
    /// The association announced it is drained before it was closed.
    drain_pending: bool,
}

/// sctp-proto addresses associations by socket address; ours is one DTLS association.
fn peer_address() -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, DEFAULT_SCTP_PORT))
}

/// A string cut to at most [`MAX_LABEL_LEN`] bytes, on a character boundary.
fn janus_label(s: &str) -> String {
    let mut end = s.len().min(MAX_LABEL_LEN);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_owned()
}

fn reliability_params(r: Reliability) -> (ReliabilityType, u32) {
    match r {
        Reliability::Reliable => (ReliabilityType::Reliable, 0),
        Reliability::MaxRetransmits(n) => (ReliabilityType::Rexmit, n),
        Reliability::MaxLifetime(ms) => (ReliabilityType::Timed, ms),
    }
}

impl SctpAssociation {
    /// A new association; as the DTLS client it starts the handshake right away (the INIT is
    /// the first [`Self::poll_transmit`]).
    pub fn new(config: SctpConfig, now: Instant) -> Self {
        let mut endpoint_config = EndpointConfig::new();
        endpoint_config.max_payload_size(config.mtu.saturating_sub(PACKET_OVERHEAD).max(256));
        let remote_max = match config.remote_max_message_size {
            0 => u32::try_from(config.max_buffered_amount).unwrap_or(u32::MAX),
            n => n,
        };
        let transport = Arc::new(
            TransportConfig::default()
                .with_local_port(config.local_port.max(1))
                .with_remote_port(config.remote_port.max(1))
                .with_max_send_message_size(remote_max)
                .with_max_receive_message_size(config.max_receive_message_size)
                .with_max_num_inbound_streams(config.max_streams)
                .with_max_num_outbound_streams(config.max_streams)
                // WebRTC keeps retransmitting INIT for as long as the PeerConnection lives.
                .with_max_init_retransmits(None),
        );
        let mut server = ServerConfig::new();
        server.transport = transport.clone();
        let endpoint = Endpoint::new(Arc::new(endpoint_config), Some(Arc::new(server)));
        let mut this = SctpAssociation {
            config,
            endpoint,
            transport,
            association: None,
            connected: false,
            closed: false,
            channels: BTreeMap::new(),
            readable: VecDeque::new(),
            events: VecDeque::new(),
            transmits: VecDeque::new(),
            current: Bytes::new(),
            sent_since_ready: false,
            stats: SctpStats::default(),
            last_now: now,
            drain_pending: false,
        };
        if this.config.dtls_client {
            let mut client = ClientConfig::new();
            client.transport = this.transport.clone();
            match this.endpoint.connect(client, peer_address()) {
                Ok(pair) => this.association = Some(pair),
                Err(e) => this.fail(format!("cannot start the association: {e}")),
            }
            this.pump(now);
        }
        this
    }

    pub fn config(&self) -> &SctpConfig {
        &self.config
    }

    pub fn stats(&self) -> SctpStats {
        self.stats
    }

    pub fn is_connected(&self) -> bool {
        self.connected && !self.closed
    }

    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// The channels that exist now, by stream id.
    pub fn channels(&self) -> impl Iterator<Item = &ChannelInfo> {
        self.channels.values()
    }

    /// The open (or opening) channel with this label, as Janus picks one for `relay_data`.
    pub fn channel_by_label(&self, label: &str) -> Option<&ChannelInfo> {
        let label = janus_label(label);
        self.channels.values().find(|c| c.label == label)
    }

    /// Outgoing bytes not yet acknowledged by the peer, over all channels.
    pub fn buffered_amount(&mut self) -> usize {
        let ids: Vec<u16> = self.channels.keys().copied().collect();
        let Some((_, assoc)) = self.association.as_mut() else { return 0 };
        ids.into_iter().filter_map(|id| assoc.stream(id).ok()?.buffered_amount().ok()).sum()
    }

    /// One SCTP packet from the peer (one decrypted DTLS application-data record).
    pub fn handle_input(&mut self, packet: &[u8], now: Instant) {
        if self.closed {
            return;
        }
        let Some((handle, event)) = self.endpoint.handle(now, peer_address(), None, None, Bytes::copy_from_slice(packet)) else {
            return;
        };
        match event {
            DatagramEvent::NewAssociation(new) => {
                if self.association.is_none() {
                    self.association = Some((handle, new));
                } else {
                    // Our own INIT is out (or the association is up): the peer answers our
                    // INIT with an INIT ACK, its INIT collision is resolved by dropping it.
                    self.endpoint.handle_event(handle, EndpointEvent::drained());
                }
            }
            DatagramEvent::AssociationEvent(event) => match self.association.as_mut() {
                Some((ours, assoc)) if *ours == handle => assoc.handle_event(event),
                _ => {}
            },
        }
        self.pump(now);
    }

    /// When [`Self::handle_timeout`] is due.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.closed {
            return None;
        }
        self.association.as_ref().and_then(|(_, a)| a.poll_timeout())
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        if let Some((_, assoc)) = self.association.as_mut() {
            assoc.handle_timeout(now);
        }
        self.pump(now);
    }

    /// The next SCTP packet to encrypt and send with DTLS.
    pub fn poll_transmit(&mut self) -> Option<&[u8]> {
        self.current = self.transmits.pop_front()?;
        Some(&self.current)
    }

    /// The next event. Messages are taken from the SCTP stack here, one per call.
    pub fn poll_event(&mut self) -> Option<SctpEvent> {
        loop {
            if let Some(event) = self.events.pop_front() {
                return Some(event);
            }
            if !self.read_one_message() {
                return None;
            }
        }
    }

    /// Send a message on the channel with this label, opening it (reliable, ordered, with
    /// DCEP) if there is none: what Janus does for a plugin's `relay_data`. `None` label is
    /// Janus' `JanusDataChannel`.
    pub fn send(&mut self, label: Option<&str>, protocol: Option<&str>, binary: bool, data: &[u8], now: Instant) -> Result<(), SendError> {
        let label = janus_label(label.unwrap_or(DEFAULT_LABEL));
        let stream_id = match self.channel_by_label(&label) {
            Some(c) => c.stream_id,
            None => self.open_channel(ChannelOptions::reliable(&label, protocol.unwrap_or("")), now)?,
        };
        self.send_on(stream_id, binary, data, now)
    }

    /// Open a channel with DCEP; returns its stream id. Data may be sent on it at once.
    pub fn open_channel(&mut self, options: ChannelOptions, now: Instant) -> Result<u16, SendError> {
        if !self.is_connected() {
            return Err(SendError::NotConnected);
        }
        if self.channels.len() >= self.config.max_channels {
            janus_log!(Level::Err, "[{}] No more free channels available\n", self.config.handle_id);
            return Err(SendError::NoFreeChannel);
        }
        let label = janus_label(&options.label);
        let protocol = janus_label(&options.protocol);
        let open = DcepOpen { label: label.clone(), protocol: protocol.clone(), ..options };
        let (reliability_type, reliability_value) = reliability_params(open.reliability);
        let first = if self.config.dtls_client { 0 } else { 1 };
        let (_, assoc) = self.association.as_mut().ok_or(SendError::NotConnected)?;
        let mut opened = None;
        for id in (first..self.config.max_streams).step_by(2) {
            if self.channels.contains_key(&id) {
                continue;
            }
            // Refused while the id is in use or its reset is pending: try the next one.
            if let Ok(mut stream) = assoc.open_stream(id, Ppid::Dcep) {
                // Until the peer acknowledges, messages go ordered (RFC 8832 section 6).
                let ok = stream.set_reliability_params(false, reliability_type, reliability_value).is_ok()
                    && stream.write_with_ppi(&open.to_bytes(), Ppid::Dcep).is_ok();
                if !ok {
                    let _ = stream.close();
                    continue;
                }
                opened = Some(id);
                break;
            }
        }
        let Some(stream_id) = opened else {
            janus_log!(Level::Err, "[{}] Couldn't open channel...\n", self.config.handle_id);
            return Err(SendError::NoFreeChannel);
        };
        self.sent_since_ready = true;
        janus_log!(Level::Verb, "[{}] Creating channel '{}'...\n", self.config.handle_id, label);
        self.channels.insert(
            stream_id,
            ChannelInfo {
                stream_id,
                label,
                protocol,
                ordered: open.ordered,
                reliability: open.reliability,
                opened_by_peer: false,
                acked: false,
            },
        );
        self.pump(now);
        Ok(stream_id)
    }

    /// Send a message on an existing channel.
    pub fn send_on(&mut self, stream_id: u16, binary: bool, data: &[u8], now: Instant) -> Result<(), SendError> {
        if !self.is_connected() {
            return Err(SendError::NotConnected);
        }
        if !self.channels.contains_key(&stream_id) {
            return Err(SendError::Sctp(format!("no channel on stream {stream_id}")));
        }
        let max = match self.config.remote_max_message_size {
            0 => self.config.max_buffered_amount,
            n => n as usize,
        };
        if data.len() > max {
            return Err(SendError::TooLarge { size: data.len(), max });
        }
        if self.buffered_amount() + data.len() > self.config.max_buffered_amount {
            self.stats.send_buffer_full += 1;
            janus_log!(
                Level::Warn,
                "[{}] Outgoing data channel buffer full, dropping a message of {} bytes\n",
                self.config.handle_id,
                data.len()
            );
            return Err(SendError::BufferFull);
        }
        let (payload, ppid) = match (binary, data.is_empty()) {
            (true, false) => (data, Ppid::Binary),
            (false, false) => (data, Ppid::String),
            (true, true) => (&EMPTY_MESSAGE_PAYLOAD[..], Ppid::BinaryEmpty),
            (false, true) => (&EMPTY_MESSAGE_PAYLOAD[..], Ppid::StringEmpty),
        };
        let (_, assoc) = self.association.as_mut().ok_or(SendError::NotConnected)?;
        let result = assoc.stream(stream_id).and_then(|mut s| s.write_with_ppi(payload, ppid));
        self.sent_since_ready = true;
        self.pump(now);
        result.map(|_| ()).map_err(|e| SendError::Sctp(e.to_string()))
    }

    /// Close one channel: reset its stream (RFC 8831 section 6.7).
    pub fn close_channel(&mut self, stream_id: u16, now: Instant) {
        if self.channels.remove(&stream_id).is_none() {
            return;
        }
        if let Some((_, assoc)) = self.association.as_mut() {
            if let Ok(mut stream) = assoc.stream(stream_id) {
                let _ = stream.close();
            }
        }
        self.pump(now);
    }

    /// End the association: a graceful SHUTDOWN when it is up, otherwise just stop.
    pub fn close(&mut self, now: Instant) {
        if self.closed {
            return;
        }
        let graceful = match self.association.as_mut() {
            Some((_, assoc)) if self.connected => assoc.shutdown().is_ok(),
            _ => false,
        };
        if !graceful {
            if let Some((_, assoc)) = self.association.as_mut() {
                let _ = assoc.close();
            }
        }
        self.pump(now);
    }

    fn fail(&mut self, reason: String) {
        if !self.closed {
            self.closed = true;
            self.connected = false;
            self.channels.clear();
            self.readable.clear();
            self.events.push_back(SctpEvent::Closed { reason });
        }
    }

    /// Move what the SCTP stack produced into our state, events and transmit queue.
    fn pump(&mut self, now: Instant) {
        self.last_now = self.last_now.max(now);
        loop {
            self.pump_events();
            if !self.collect_transmits(now) {
                return;
            }
            // We sent the SHUTDOWN COMPLETE: sctp-proto's sans-IO side leaves the closing up
            // to its caller there, so close it and report the end.
            if let Some((_, assoc)) = self.association.as_mut() {
                let _ = assoc.close();
            }
        }
    }

    fn pump_events(&mut self) {
        loop {
            let Some((handle, assoc)) = self.association.as_mut() else { return };
            while let Some(event) = assoc.poll_endpoint_event() {
                // sctp-proto announces "drained" as soon as a SHUTDOWN starts; the endpoint
                // would then stop routing the peer's SHUTDOWN ACK, so it waits for the end.
                if event.is_drained() {
                    self.drain_pending = true;
                } else if let Some(back) = self.endpoint.handle_event(*handle, event) {
                    assoc.handle_event(back);
                }
            }
            if self.drain_pending && assoc.is_closed() {
                self.drain_pending = false;
                let _ = self.endpoint.handle_event(*handle, EndpointEvent::drained());
            }
            // Streams the peer starts are announced through the accept queue; we learn about
            // them from their DCEP message instead, so the queue is only emptied.
            while assoc.accept_stream().is_some() {}
            let Some(event) = assoc.poll() else { return };
            self.handle_stack_event(event);
        }
    }

    /// Queue what the stack has to send; true when that included our SHUTDOWN COMPLETE.
    fn collect_transmits(&mut self, now: Instant) -> bool {
        let Some((_, assoc)) = self.association.as_mut() else { return false };
        let mut shutdown_complete = false;
        while let Some(transmit) = assoc.poll_transmit(now) {
            if let Payload::RawEncode(packets) = transmit.payload {
                for packet in packets {
                    shutdown_complete |= !assoc.is_closed() && packet.get(12) == Some(&CHUNK_SHUTDOWN_COMPLETE);
                    self.transmits.push_back(packet);
                }
            }
        }
        shutdown_complete
    }

    fn handle_stack_event(&mut self, event: Event) {
        match event {
            Event::Connected if !self.connected && !self.closed => {
                self.connected = true;
                self.events.push_back(SctpEvent::Connected);
            }
            Event::HandshakeFailed { reason } | Event::AssociationLost { reason } => self.fail(reason.to_string()),
            Event::Stream(StreamEvent::Readable { id }) if !self.readable.contains(&id) => self.readable.push_back(id),
            Event::Stream(StreamEvent::Finished { id }) => self.peer_closed(id),
            Event::Stream(StreamEvent::BufferedAmountLow { .. }) if self.sent_since_ready && self.buffered_amount() == 0 => {
                self.sent_since_ready = false;
                self.events.push_back(SctpEvent::DataReady);
            }
            _ => {}
        }
    }

    /// The peer reset its outgoing stream: the channel is closed; reset ours too.
    fn peer_closed(&mut self, stream_id: u16) {
        if let Some(channel) = self.channels.remove(&stream_id) {
            if let Some((_, assoc)) = self.association.as_mut() {
                if let Ok(mut stream) = assoc.stream(stream_id) {
                    let _ = stream.close();
                }
            }
            self.events.push_back(SctpEvent::ChannelClosed { stream_id, label: channel.label });
        }
    }

    /// Read one message from a readable stream and act on it; false when none is left.
    fn read_one_message(&mut self) -> bool {
        while let Some(&stream_id) = self.readable.front() {
            let Some((_, assoc)) = self.association.as_mut() else { return false };
            let message = assoc.stream(stream_id).and_then(|mut s| s.read());
            match message {
                Ok(Some(chunks)) => {
                    let mut data = vec![0; chunks.len()];
                    let read = chunks.read(&mut data).unwrap_or(0);
                    data.truncate(read);
                    self.handle_message(stream_id, chunks.ppi, data);
                    // Reading may reopen the receive window and ends with events to pick up.
                    self.pump_after_read();
                    return true;
                }
                _ => {
                    self.readable.pop_front();
                }
            }
        }
        false
    }

    fn pump_after_read(&mut self) {
        // The window update (and any DCEP ACK) go out on the next transmit poll, stamped with
        // the time of the last input: event polling takes no time of its own.
        self.pump(self.last_now);
    }

    fn handle_message(&mut self, stream_id: u16, ppid: Ppid, data: Vec<u8>) {
        let handle_id = self.config.handle_id;
        match ppid {
            Ppid::Dcep => match DcepMessage::parse(&data) {
                Ok(DcepMessage::Open(open)) => self.peer_opened(stream_id, open),
                Ok(DcepMessage::Ack) => self.acked(stream_id),
                Err(e) => {
                    self.stats.dropped_incoming += 1;
                    janus_log!(Level::Verb, "[{}] Invalid DCEP message on stream {}: {:?}\n", handle_id, stream_id, e);
                }
            },
            Ppid::String | Ppid::Binary | Ppid::StringEmpty | Ppid::BinaryEmpty => {
                let binary = matches!(ppid, Ppid::Binary | Ppid::BinaryEmpty);
                let data = if matches!(ppid, Ppid::StringEmpty | Ppid::BinaryEmpty) { Vec::new() } else { data };
                if self.channels.get(&stream_id).is_some_and(|c| !c.acked) {
                    // Data before the ACK is an implicit ACK (RFC 8832 section 6).
                    self.acked(stream_id);
                }
                let Some(channel) = self.channels.get(&stream_id) else {
                    self.stats.dropped_incoming += 1;
                    janus_log!(
                        Level::Warn,
                        "[{}] Got data from this SCTP association but there is no channel with stream {}...\n",
                        handle_id,
                        stream_id
                    );
                    return;
                };
                janus_log!(Level::Verb, "[{}] SCTP data received of length {} on channel with id {}.\n", handle_id, data.len(), stream_id);
                self.events.push_back(SctpEvent::Message {
                    stream_id,
                    label: channel.label.clone(),
                    protocol: channel.protocol.clone(),
                    binary,
                    data,
                });
            }
            _ => {
                self.stats.dropped_incoming += 1;
                janus_log!(
                    Level::Verb,
                    "[{}] Message of length {}, PPID {:?} on stream {} received.\n",
                    handle_id,
                    data.len(),
                    ppid,
                    stream_id
                );
            }
        }
    }

    fn peer_opened(&mut self, stream_id: u16, open: DcepOpen) {
        let handle_id = self.config.handle_id;
        let refuse = if self.channels.contains_key(&stream_id) {
            Some("stream already has a channel")
        } else if stream_id >= self.config.max_streams {
            Some("stream id beyond the negotiated streams")
        } else if self.channels.len() >= self.config.max_channels {
            Some("no more free channels")
        } else {
            None
        };
        let Some((_, assoc)) = self.association.as_mut() else { return };
        if let Some(why) = refuse {
            self.stats.refused_opens += 1;
            janus_log!(Level::Err, "[{}] Refusing channel '{}' on stream {}: {}\n", handle_id, open.label, stream_id, why);
            // A stream already carrying a channel stays as it is; otherwise the peer learns of
            // the refusal by the reset of the stream, as a careful stack signals it.
            if !self.channels.contains_key(&stream_id) {
                if let Ok(mut stream) = assoc.stream(stream_id) {
                    let _ = stream.close();
                }
                self.events.push_back(SctpEvent::ChannelClosed { stream_id, label: janus_label(&open.label) });
            }
            return;
        }
        let (reliability_type, reliability_value) = reliability_params(open.reliability);
        let accepted = assoc.stream(stream_id).is_ok_and(|mut s| {
            s.set_reliability_params(!open.ordered, reliability_type, reliability_value).is_ok()
                && s.write_with_ppi(&[dcep::MSG_ACK], Ppid::Dcep).is_ok()
        });
        if !accepted {
            self.stats.refused_opens += 1;
            return;
        }
        self.sent_since_ready = true;
        let info = ChannelInfo {
            stream_id,
            label: janus_label(&open.label),
            protocol: janus_label(&open.protocol),
            ordered: open.ordered,
            reliability: open.reliability,
            opened_by_peer: true,
            acked: true,
        };
        janus_log!(
            Level::Verb,
            "[{}] Opened channel '{}' (protocol={}, id={}) ({}/{:?})\n",
            handle_id,
            info.label,
            info.protocol,
            stream_id,
            !info.ordered,
            info.reliability
        );
        self.channels.insert(stream_id, info.clone());
        self.events.push_back(SctpEvent::ChannelOpened(info));
    }

    /// The peer acknowledged our DATA_CHANNEL_OPEN: unordered delivery may start.
    fn acked(&mut self, stream_id: u16) {
        let Some(channel) = self.channels.get_mut(&stream_id) else { return };
        if channel.acked {
            return;
        }
        channel.acked = true;
        if !channel.ordered {
            let (t, v) = reliability_params(channel.reliability);
            if let Some((_, assoc)) = self.association.as_mut() {
                if let Ok(mut stream) = assoc.stream(stream_id) {
                    let _ = stream.set_reliability_params(true, t, v);
                }
            }
        }
    }
}
