//! The data channels of a PeerConnection: the glue between its DTLS association, the SCTP
//! stack ([`crate::sctp`]) and the plugin (Janus' `janus_dtls_srtp_create_sctp`,
//! `janus_ice_relay_data`, `janus_ice_incoming_data`, `janus_ice_notify_data_ready`).
//!
//! Sans-IO: decrypted DTLS records and plugin messages in, SCTP packets (for DTLS to
//! encrypt) and [`DataDelivery`]s (for the plugin) out. The PeerConnection drives it from
//! the handle's loop thread; plugins relay through an [`Outbox`] that the loop drains, as
//! Janus queues `relay_data` for the handle's loop. Messages may allocate: this is not the
//! RTP path.

use std::collections::VecDeque;
use std::time::Instant;

use crate::janus_log;
use crate::log::Level;
use crate::sctp::{SctpAssociation, SctpConfig, SctpEvent, SendError, DEFAULT_MAX_BUFFERED_AMOUNT, DEFAULT_REMOTE_MAX_MESSAGE_SIZE};

/// A message a plugin relays (`janus_plugin_data`, copied as Janus copies it into its queue).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingData {
    /// `None`: Janus' default label, `JanusDataChannel`.
    pub label: Option<String>,
    pub protocol: Option<String>,
    pub binary: bool,
    pub data: Vec<u8>,
}

/// What the plugin hears of the data channels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataDelivery {
    /// `incoming_data`: never empty; `protocol` is `None` when the channel has none, as
    /// Janus passes it.
    Message { label: String, protocol: Option<String>, binary: bool, data: Vec<u8> },
    /// `data_ready`: nothing we sent is waiting any more.
    Ready,
}

/// The SCTP association of one PeerConnection, over its DTLS association.
pub struct DataChannels {
    sctp: SctpAssociation,
    handle_id: u64,
    /// Whether the end of the association was logged.
    closed_logged: bool,
}

impl DataChannels {
    /// The association Janus creates once DTLS is up (SCTP port 5000 on both sides);
    /// `dtls_client` is our DTLS role, `remote_max_message_size` the peer's
    /// `a=max-message-size` (RFC 8841's 64 KiB when it has none).
    pub fn new(handle_id: u64, dtls_client: bool, remote_max_message_size: Option<u32>, now: Instant) -> DataChannels {
        janus_log!(Level::Verb, "[{}] Creating SCTP association\n", handle_id);
        let config = SctpConfig {
            handle_id,
            dtls_client,
            remote_max_message_size: remote_max_message_size.unwrap_or(DEFAULT_REMOTE_MAX_MESSAGE_SIZE),
            ..SctpConfig::default()
        };
        DataChannels { sctp: SctpAssociation::new(config, now), handle_id, closed_logged: false }
    }

    pub fn is_connected(&self) -> bool {
        self.sctp.is_connected()
    }

    /// One decrypted DTLS application-data record: one SCTP packet.
    pub fn incoming(&mut self, record: &[u8], now: Instant) {
        self.sctp.handle_input(record, now);
    }

    /// A plugin's `relay_data`: on the channel with that label, opened (reliable, ordered)
    /// when there is none. What cannot be sent is dropped with Janus' log lines.
    pub fn relay(&mut self, message: &OutgoingData, now: Instant) {
        let label = message.label.as_deref().unwrap_or(crate::sctp::DEFAULT_LABEL);
        janus_log!(
            Level::Verb,
            "[{}] SCTP data to send (label={}, {} bytes) coming from a plugin.\n",
            self.handle_id,
            label,
            message.data.len()
        );
        match self.sctp.send(Some(label), message.protocol.as_deref(), message.binary, &message.data, now) {
            Ok(()) => {}
            Err(SendError::NotConnected) => {
                janus_log!(Level::Warn, "[{}] SCTP association not established (yet?), dropping a message\n", self.handle_id)
            }
            Err(SendError::TooLarge { size, max }) => janus_log!(
                Level::Err,
                "[{}] Message of {} bytes too large for the peer (max-message-size {}), dropped\n",
                self.handle_id,
                size,
                max
            ),
            // Logged by the association.
            Err(SendError::BufferFull | SendError::NoFreeChannel) => {}
            Err(SendError::Sctp(e)) => janus_log!(Level::Err, "[{}] sctp_sendv error ({})\n", self.handle_id, e),
        }
    }

    /// When the SCTP timers want [`Self::handle_timeout`] next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.sctp.poll_timeout()
    }

    /// Drives the SCTP timers (retransmissions, delayed acknowledgements) once due.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.sctp.poll_timeout().is_some_and(|at| at <= now) {
            self.sctp.handle_timeout(now);
        }
    }

    /// Ends the association (the PeerConnection is going).
    pub fn close(&mut self, now: Instant) {
        self.sctp.close(now);
    }

    /// Collects what the plugin must hear into `deliveries` and hands every SCTP packet
    /// to `send` (for DTLS to encrypt), in that order: reading messages is what opens the
    /// receive window again and produces acknowledgements.
    pub fn drain(&mut self, deliveries: &mut Vec<DataDelivery>, mut send: impl FnMut(&[u8])) {
        while let Some(event) = self.sctp.poll_event() {
            match event {
                SctpEvent::Message { label, protocol, binary, data, .. } => {
                    // Janus never hands plugins an empty message.
                    if !data.is_empty() {
                        let protocol = (!protocol.is_empty()).then_some(protocol);
                        deliveries.push(DataDelivery::Message { label, protocol, binary, data });
                    }
                }
                SctpEvent::DataReady => deliveries.push(DataDelivery::Ready),
                SctpEvent::Connected => janus_log!(Level::Verb, "[{}] Connected to the DataChannel peer\n", self.handle_id),
                SctpEvent::ChannelOpened(_) => {}
                SctpEvent::ChannelClosed { stream_id, label } => {
                    janus_log!(Level::Verb, "[{}] Channel '{}' (stream {}) closed\n", self.handle_id, label, stream_id)
                }
                SctpEvent::Closed { reason } if !self.closed_logged => {
                    self.closed_logged = true;
                    janus_log!(Level::Verb, "[{}] SCTP association closed: {}\n", self.handle_id, reason);
                }
                SctpEvent::Closed { .. } => {}
            }
        }
        while let Some(packet) = self.sctp.poll_transmit() {
            send(packet);
        }
    }
}

/// What [`Outbox::push`] did with a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queued {
    /// Queued; the loop was already told to drain.
    Queued,
    /// Queued; the loop must be told to drain the outbox.
    Wake,
    /// Dropped: the outbox is at its bound.
    Dropped,
}

/// Messages relayed by plugins, waiting for the handle's loop (Janus' queued packets).
/// Bounded in bytes, so that a plugin relaying faster than the loop drains cannot grow
/// memory without limit.
#[derive(Debug, Default)]
pub struct Outbox {
    messages: VecDeque<OutgoingData>,
    bytes: usize,
    /// A drain is posted to the loop and has not run yet.
    scheduled: bool,
}

impl Outbox {
    /// The most bytes of messages waiting at once.
    pub const MAX_BYTES: usize = DEFAULT_MAX_BUFFERED_AMOUNT;

    pub fn push(&mut self, message: OutgoingData) -> Queued {
        if self.bytes + message.data.len() > Self::MAX_BYTES {
            return Queued::Dropped;
        }
        self.bytes += message.data.len();
        self.messages.push_back(message);
        if std::mem::replace(&mut self.scheduled, true) {
            Queued::Queued
        } else {
            Queued::Wake
        }
    }

    /// Everything waiting, in order; the next push wakes the loop again.
    pub fn take(&mut self) -> VecDeque<OutgoingData> {
        self.scheduled = false;
        self.bytes = 0;
        std::mem::take(&mut self.messages)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sctp::{DcepOpen, Reliability};
    use std::time::Duration;

    /// Our side (DTLS server, as when the peer offered) and a peer association, linked in
    /// memory: what one side hands DTLS reaches the other's `incoming`.
    struct Link {
        ours: DataChannels,
        peer: SctpAssociation,
        delivered: Vec<DataDelivery>,
        peer_events: Vec<SctpEvent>,
        now: Instant,
    }

    impl Link {
        fn new(remote_max_message_size: Option<u32>) -> Link {
            let now = Instant::now();
            let peer = SctpAssociation::new(SctpConfig { dtls_client: true, ..SctpConfig::default() }, now);
            let mut link = Link {
                ours: DataChannels::new(7, false, remote_max_message_size, now),
                peer,
                delivered: Vec::new(),
                peer_events: Vec::new(),
                now,
            };
            link.settle();
            assert!(link.ours.is_connected() && link.peer.is_connected());
            link
        }

        fn exchange(&mut self) {
            for _ in 0..1000 {
                let mut to_peer = Vec::new();
                self.ours.drain(&mut self.delivered, |p| to_peer.push(p.to_vec()));
                let mut moved = !to_peer.is_empty();
                for p in to_peer {
                    self.peer.handle_input(&p, self.now);
                }
                while let Some(e) = self.peer.poll_event() {
                    self.peer_events.push(e);
                }
                while let Some(p) = self.peer.poll_transmit() {
                    moved = true;
                    self.ours.incoming(p, self.now);
                }
                if !moved {
                    return;
                }
            }
            panic!("the link never went quiet");
        }

        /// Exchanges and lets the timers run for a few seconds of injected time.
        fn settle(&mut self) {
            for _ in 0..50 {
                self.exchange();
                self.now += Duration::from_millis(100);
                self.ours.handle_timeout(self.now);
                self.peer.handle_timeout(self.now);
            }
            self.exchange();
        }

        fn messages(&self) -> Vec<&DataDelivery> {
            self.delivered.iter().filter(|d| matches!(d, DataDelivery::Message { .. })).collect()
        }

        fn peer_messages(&self) -> Vec<(String, bool, Vec<u8>)> {
            self.peer_events
                .iter()
                .filter_map(|e| match e {
                    SctpEvent::Message { label, binary, data, .. } => Some((label.clone(), *binary, data.clone())),
                    _ => None,
                })
                .collect()
        }
    }

    fn relay(label: Option<&str>, binary: bool, data: &[u8]) -> OutgoingData {
        OutgoingData { label: label.map(String::from), protocol: None, binary, data: data.to_vec() }
    }

    #[test]
    fn data_is_ready_once_something_of_ours_was_delivered() {
        let mut link = Link::new(None);
        // Connected, nothing sent: Janus (usrsctp) does not call data_ready yet.
        assert_eq!(link.delivered, []);
        link.ours.relay(&relay(Some("first"), false, b"x"), link.now);
        link.settle();
        assert_eq!(link.delivered, [DataDelivery::Ready]);
    }

    #[test]
    fn peer_messages_reach_the_plugin_with_label_protocol_and_type() {
        let mut link = Link::new(None);
        let now = link.now;
        let chat = DcepOpen { protocol: "chat".into(), ..DcepOpen::reliable("room", "") };
        let id = link.peer.open_channel(chat, now).unwrap();
        link.peer.send_on(id, false, b"hello", now).unwrap();
        link.peer.send_on(id, true, &[0, 1, 2, 255], now).unwrap();
        // Empty messages travel (PPID 56/57) but are not handed to plugins.
        link.peer.send_on(id, false, b"", now).unwrap();
        let plain = link.peer.open_channel(DcepOpen::reliable("plain", ""), now).unwrap();
        link.peer.send_on(plain, false, b"x", now).unwrap();
        link.settle();
        let expected = [
            DataDelivery::Message { label: "room".into(), protocol: Some("chat".into()), binary: false, data: b"hello".to_vec() },
            DataDelivery::Message { label: "room".into(), protocol: Some("chat".into()), binary: true, data: vec![0, 1, 2, 255] },
            DataDelivery::Message { label: "plain".into(), protocol: None, binary: false, data: b"x".to_vec() },
        ];
        assert_eq!(link.messages(), expected.iter().collect::<Vec<_>>());
    }

    #[test]
    fn relayed_messages_use_the_peer_channel_with_that_label() {
        let mut link = Link::new(None);
        let now = link.now;
        link.peer.open_channel(DcepOpen::reliable("echo", ""), now).unwrap();
        link.settle();
        link.ours.relay(&relay(Some("echo"), false, b"back"), link.now);
        link.ours.relay(&relay(Some("echo"), true, &[9; 3000]), link.now);
        link.settle();
        assert_eq!(link.peer_messages(), vec![("echo".into(), false, b"back".to_vec()), ("echo".into(), true, vec![9; 3000])]);
        // No channel was opened by us: the peer only knows its own.
        let opened_by_us = link.peer_events.iter().filter(|e| matches!(e, SctpEvent::ChannelOpened(_))).count();
        assert_eq!(opened_by_us, 0);
        // Once it is all acknowledged the plugin may send more.
        assert_eq!(link.delivered.last(), Some(&DataDelivery::Ready));
    }

    #[test]
    fn relaying_to_a_new_label_opens_it_and_no_label_is_janus_default() {
        let mut link = Link::new(None);
        link.ours.relay(&relay(None, false, b"default"), link.now);
        link.ours.relay(&relay(Some("fresh"), false, b"new"), link.now);
        link.settle();
        let opened: Vec<(String, u16, Reliability, bool)> = link
            .peer_events
            .iter()
            .filter_map(|e| match e {
                SctpEvent::ChannelOpened(c) => Some((c.label.clone(), c.stream_id % 2, c.reliability, c.ordered)),
                _ => None,
            })
            .collect();
        // We are the DTLS server: odd stream ids, reliable and ordered as Janus opens them.
        assert_eq!(
            opened,
            vec![("JanusDataChannel".into(), 1, Reliability::Reliable, true), ("fresh".into(), 1, Reliability::Reliable, true)]
        );
        assert_eq!(
            link.peer_messages(),
            vec![("JanusDataChannel".into(), false, b"default".to_vec()), ("fresh".into(), false, b"new".to_vec())]
        );
    }

    #[test]
    fn oversize_relays_are_dropped_and_the_association_survives() {
        let mut link = Link::new(Some(1024));
        link.ours.relay(&relay(Some("big"), true, &[1; 1025]), link.now);
        link.ours.relay(&relay(Some("big"), true, &[2; 1024]), link.now);
        link.settle();
        assert_eq!(link.peer_messages(), vec![("big".into(), true, vec![2; 1024])]);
        assert!(link.ours.is_connected());
    }

    #[test]
    fn garbage_records_are_dropped_and_the_association_survives() {
        // Malformed SCTP chunks and DCEP messages are the SCTP module's tests; here: what
        // the DTLS layer hands over is never trusted.
        let mut link = Link::new(None);
        for record in [&[][..], &[0u8; 3], &[0xff; 12], &[0x13, 0x88, 0x13, 0x88, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4]] {
            link.ours.incoming(record, link.now);
        }
        let now = link.now;
        let id = link.peer.open_channel(DcepOpen::reliable("ok", ""), now).unwrap();
        link.peer.send_on(id, false, b"still here", now).unwrap();
        link.settle();
        assert!(link.ours.is_connected());
        assert_eq!(
            link.messages(),
            vec![&DataDelivery::Message { label: "ok".into(), protocol: None, binary: false, data: b"still here".to_vec() }]
        );
    }

    #[test]
    fn outbox_wakes_the_loop_once_and_is_bounded() {
        let mut outbox = Outbox::default();
        assert_eq!(outbox.push(relay(None, false, b"a")), Queued::Wake);
        assert_eq!(outbox.push(relay(None, false, b"b")), Queued::Queued);
        let taken: Vec<Vec<u8>> = outbox.take().into_iter().map(|m| m.data).collect();
        assert_eq!(taken, vec![b"a".to_vec(), b"b".to_vec()]);
        assert_eq!(outbox.push(relay(None, false, b"c")), Queued::Wake);
        assert_eq!(outbox.push(relay(None, true, &vec![0; Outbox::MAX_BYTES])), Queued::Dropped);
        assert_eq!(outbox.take().len(), 1);
        assert_eq!(outbox.push(relay(None, true, &vec![0; Outbox::MAX_BYTES])), Queued::Wake);
    }
}
