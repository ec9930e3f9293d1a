//! Two associations connected in memory: "janus" (DTLS server unless said otherwise) and
//! "browser" (DTLS client). Time is injected; links can lose packets.

use super::*;
use std::time::Duration;

type LossFn = Box<dyn FnMut(&[u8]) -> bool>;

struct Side {
    assoc: SctpAssociation,
    events: Vec<SctpEvent>,
    /// When false the side's owner does not poll events: nothing is read from its stack.
    reading: bool,
    /// Decides which of this side's outgoing packets the link loses.
    lose: Option<LossFn>,
    sent: Vec<Vec<u8>>,
}

struct Pair {
    janus: Side,
    browser: Side,
    now: Instant,
}

fn side(assoc: SctpAssociation) -> Side {
    Side { assoc, events: Vec::new(), reading: true, lose: None, sent: Vec::new() }
}

impl Pair {
    fn with(janus: SctpConfig, browser: SctpConfig) -> Pair {
        let now = Instant::now();
        let mut pair = Pair { janus: side(SctpAssociation::new(janus, now)), browser: side(SctpAssociation::new(browser, now)), now };
        pair.settle();
        pair
    }

    fn new() -> Pair {
        Pair::with(SctpConfig { handle_id: 1, ..SctpConfig::default() }, SctpConfig { dtls_client: true, ..SctpConfig::default() })
    }

    /// Move packets both ways until neither side has anything to send.
    fn exchange(&mut self) {
        for _ in 0..10_000 {
            let mut moved = false;
            for from_janus in [true, false] {
                let (from, to) = if from_janus { (&mut self.janus, &mut self.browser) } else { (&mut self.browser, &mut self.janus) };
                if from.reading {
                    while let Some(e) = from.assoc.poll_event() {
                        from.events.push(e);
                    }
                }
                while let Some(packet) = from.assoc.poll_transmit() {
                    let packet = packet.to_vec();
                    moved = true;
                    from.sent.push(packet.clone());
                    if from.lose.as_mut().is_some_and(|lose| lose(&packet)) {
                        continue;
                    }
                    to.assoc.handle_input(&packet, self.now);
                }
            }
            if !moved {
                return;
            }
        }
        panic!("the associations never went quiet");
    }

    /// Exchange, then let timers fire, for up to a minute of injected time.
    fn settle(&mut self) {
        self.settle_for(Duration::from_secs(60));
    }

    fn settle_for(&mut self, horizon: Duration) {
        let end = self.now + horizon;
        loop {
            self.exchange();
            let next = [self.janus.assoc.poll_timeout(), self.browser.assoc.poll_timeout()].into_iter().flatten().min();
            match next {
                Some(t) if t <= end => {
                    self.now = self.now.max(t);
                    self.janus.assoc.handle_timeout(self.now);
                    self.browser.assoc.handle_timeout(self.now);
                }
                _ => return,
            }
        }
    }

    fn messages(events: &[SctpEvent]) -> Vec<(String, bool, Vec<u8>)> {
        events
            .iter()
            .filter_map(|e| match e {
                SctpEvent::Message { label, binary, data, .. } => Some((label.clone(), *binary, data.clone())),
                _ => None,
            })
            .collect()
    }
}

fn opened(events: &[SctpEvent]) -> Vec<ChannelInfo> {
    events
        .iter()
        .filter_map(|e| match e {
            SctpEvent::ChannelOpened(c) => Some(c.clone()),
            _ => None,
        })
        .collect()
}

fn options(label: &str, protocol: &str, ordered: bool, reliability: Reliability) -> ChannelOptions {
    ChannelOptions { label: label.into(), protocol: protocol.into(), ordered, reliability, priority: 256 }
}

#[test]
fn associates_and_reports_data_ready() {
    let mut p = Pair::new();
    for s in [&p.janus, &p.browser] {
        assert!(s.assoc.is_connected());
        // Nothing of ours was sent: not "dry" yet (as usrsctp's SENDER_DRY).
        assert_eq!(s.events, [SctpEvent::Connected]);
    }
    // The ACK of the peer's DATA_CHANNEL_OPEN is ours: once acknowledged, data is ready.
    let now = p.now;
    p.browser.assoc.open_channel(ChannelOptions::reliable("c", ""), now).unwrap();
    p.settle();
    assert_eq!(p.janus.events.iter().filter(|e| **e == SctpEvent::DataReady).count(), 1, "{:?}", p.janus.events);
    // Janus' SCTP ports: 5000 on both ends, in every packet's common header.
    for packet in p.janus.sent.iter().chain(&p.browser.sent) {
        assert_eq!(&packet[..4], &[0x13, 0x88, 0x13, 0x88]);
    }
}

#[test]
fn legacy_port_handling_uses_the_configured_ports() {
    let p = Pair::with(
        SctpConfig { remote_port: 5001, ..SctpConfig::default() },
        SctpConfig { dtls_client: true, local_port: 5001, remote_port: 5000, ..SctpConfig::default() },
    );
    assert!(p.janus.assoc.is_connected() && p.browser.assoc.is_connected());
    // The browser initiates from 5001 to 5000; Janus answers from 5000 to 5001.
    assert_eq!(&p.browser.sent[0][..4], &[0x13, 0x89, 0x13, 0x88]);
    assert_eq!(&p.janus.sent[0][..4], &[0x13, 0x88, 0x13, 0x89]);
}

#[test]
fn janus_as_dtls_client_initiates() {
    let p =
        Pair::with(SctpConfig { dtls_client: true, ..SctpConfig::default() }, SctpConfig { dtls_client: false, ..SctpConfig::default() });
    assert!(p.janus.assoc.is_connected() && p.browser.assoc.is_connected());
    // First packet from Janus is an INIT (chunk type 1, verification tag 0).
    assert_eq!(p.janus.sent[0][12], 1);
    assert_eq!(&p.janus.sent[0][4..8], &[0, 0, 0, 0]);
}

#[test]
fn dcep_open_and_ack_in_both_directions() {
    let mut p = Pair::new();
    let now = p.now;
    // The browser (DTLS client) opens "chat": an even stream id.
    let sid = p.browser.assoc.open_channel(options("chat", "json", true, Reliability::Reliable), now).unwrap();
    assert_eq!(sid % 2, 0);
    p.settle();
    let got = opened(&p.janus.events);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].stream_id, sid);
    assert_eq!(got[0].label, "chat");
    assert_eq!(got[0].protocol, "json");
    assert!(got[0].ordered && got[0].opened_by_peer && got[0].reliability == Reliability::Reliable);
    assert!(p.browser.assoc.channel_by_label("chat").unwrap().acked, "the ACK reached the opener");

    // Janus relays on the existing label: same stream, no new channel.
    p.janus.assoc.send(Some("chat"), None, false, b"hello", now).unwrap();
    p.settle();
    assert_eq!(p.janus.assoc.channels().count(), 1);
    assert_eq!(Pair::messages(&p.browser.events), vec![("chat".into(), false, b"hello".to_vec())]);

    // A new label from a plugin opens a channel with DCEP, on an odd stream (DTLS server).
    p.janus.assoc.send(Some("janus-out"), Some("proto"), true, b"\x00\x01", now).unwrap();
    p.settle();
    let theirs = opened(&p.browser.events);
    assert_eq!(theirs.len(), 1);
    assert_eq!((theirs[0].label.as_str(), theirs[0].protocol.as_str()), ("janus-out", "proto"));
    assert_eq!(theirs[0].stream_id % 2, 1);
    assert!(p.janus.assoc.channel_by_label("janus-out").unwrap().acked);
    assert_eq!(Pair::messages(&p.browser.events)[1], ("janus-out".into(), true, vec![0, 1]));

    // No label: Janus' default one.
    p.janus.assoc.send(None, None, false, b"x", now).unwrap();
    p.settle();
    assert_eq!(opened(&p.browser.events)[1].label, DEFAULT_LABEL);
}

#[test]
fn several_channels_text_binary_ordered_unordered_partially_reliable() {
    let mut p = Pair::new();
    let now = p.now;
    let kinds = [
        options("reliable", "", true, Reliability::Reliable),
        options("unordered", "", false, Reliability::Reliable),
        options("rexmit", "p1", false, Reliability::MaxRetransmits(0)),
        options("lifetime", "p2", true, Reliability::MaxLifetime(1500)),
    ];
    let mut ids = Vec::new();
    for k in &kinds {
        ids.push(p.browser.assoc.open_channel(k.clone(), now).unwrap());
    }
    p.settle();
    let got = opened(&p.janus.events);
    assert_eq!(got.len(), kinds.len());
    for (k, (c, id)) in kinds.iter().zip(got.iter().zip(&ids)) {
        assert_eq!((&c.label, &c.protocol, c.ordered, c.reliability), (&k.label, &k.protocol, k.ordered, k.reliability));
        assert_eq!(c.stream_id, *id);
    }
    for (i, id) in ids.iter().enumerate() {
        p.browser.assoc.send_on(*id, i % 2 == 1, format!("m{i}").as_bytes(), now).unwrap();
    }
    p.settle();
    let mut msgs = Pair::messages(&p.janus.events);
    msgs.sort();
    assert_eq!(
        msgs,
        vec![
            ("lifetime".into(), true, b"m3".to_vec()),
            ("reliable".into(), false, b"m0".to_vec()),
            ("rexmit".into(), false, b"m2".to_vec()),
            ("unordered".into(), true, b"m1".to_vec()),
        ]
    );
    // Janus answers each on its channel by label.
    for k in &kinds {
        p.janus.assoc.send(Some(&k.label), None, false, k.label.as_bytes(), now).unwrap();
    }
    p.settle();
    assert_eq!(p.janus.assoc.channels().count(), kinds.len());
    let back: Vec<_> = Pair::messages(&p.browser.events).into_iter().map(|m| m.2).collect();
    assert_eq!(back.len(), kinds.len());
}

#[test]
fn ordered_channel_keeps_order_across_losses() {
    let mut p = Pair::new();
    let now = p.now;
    let id = p.browser.assoc.open_channel(options("ordered", "", true, Reliability::Reliable), now).unwrap();
    p.settle();
    let mut lost_once = std::collections::HashSet::new();
    p.browser.lose = Some(Box::new(move |packet: &[u8]| {
        // Lose the first transmission of every third message.
        let marker = packet.windows(4).position(|w| w.starts_with(b"#"));
        match marker {
            Some(at) => {
                let tag = packet[at..at + 4].to_vec();
                let n: u32 = String::from_utf8_lossy(&tag[1..]).trim().parse().unwrap_or(1);
                n % 3 == 0 && lost_once.insert(tag)
            }
            None => false,
        }
    }));
    let now = p.now;
    for i in 0..30 {
        p.browser.assoc.send_on(id, false, format!("#{i:<3}").as_bytes(), now).unwrap();
    }
    p.settle();
    let got: Vec<_> = Pair::messages(&p.janus.events).into_iter().map(|m| m.2).collect();
    let want: Vec<_> = (0..30).map(|i| format!("#{i:<3}").into_bytes()).collect();
    assert_eq!(got, want);
}

#[test]
fn partial_reliability_gives_up_on_lost_messages() {
    let mut p = Pair::new();
    let now = p.now;
    let unreliable = p.browser.assoc.open_channel(options("lossy", "", false, Reliability::MaxRetransmits(0)), now).unwrap();
    let reliable = p.browser.assoc.open_channel(options("safe", "", true, Reliability::Reliable), now).unwrap();
    p.settle();
    // Lose every packet that carries a message marked "lost" (each time it is sent).
    p.browser.lose = Some(Box::new(|packet: &[u8]| packet.windows(5).any(|w| w == b"lost-")));
    let now = p.now;
    for i in 0..10 {
        let text = if i % 3 == 0 { format!("lost-{i}") } else { format!("kept-{i}") };
        p.browser.assoc.send_on(unreliable, false, text.as_bytes(), now).unwrap();
    }
    p.settle();
    let got: Vec<String> = Pair::messages(&p.janus.events).into_iter().map(|m| String::from_utf8(m.2).unwrap()).collect();
    let mut sorted = got.clone();
    sorted.sort();
    assert_eq!(sorted, ["kept-1", "kept-2", "kept-4", "kept-5", "kept-7", "kept-8"]);
    assert_eq!(p.browser.assoc.buffered_amount(), 0, "abandoned messages are not held");

    // The same loss on a reliable channel only delays: after it stops, everything arrives.
    let mut losses = 2;
    p.browser.lose = Some(Box::new(move |packet: &[u8]| {
        let hit = packet.windows(5).any(|w| w == b"lost-") && losses > 0;
        if hit {
            losses -= 1;
        }
        hit
    }));
    let now = p.now;
    p.browser.assoc.send_on(reliable, false, b"lost-but-retransmitted", now).unwrap();
    p.settle();
    assert!(Pair::messages(&p.janus.events).iter().any(|m| m.2 == b"lost-but-retransmitted"));
}

#[test]
fn empty_messages_use_ppid_56_and_57() {
    let mut p = Pair::new();
    let now = p.now;
    let id = p.browser.assoc.open_channel(options("e", "", true, Reliability::Reliable), now).unwrap();
    p.settle();
    p.browser.assoc.send_on(id, false, b"", now).unwrap();
    p.browser.assoc.send_on(id, true, b"", now).unwrap();
    p.janus.assoc.send(Some("e"), None, false, b"", now).unwrap();
    p.janus.assoc.send(Some("e"), None, true, b"", now).unwrap();
    p.settle();
    let empty = vec![("e".to_string(), false, vec![]), ("e".to_string(), true, vec![])];
    assert_eq!(Pair::messages(&p.janus.events), empty);
    assert_eq!(Pair::messages(&p.browser.events), empty);
    // On the wire: one DATA chunk each, PPID 56 then 57, one byte of payload.
    let ppids: Vec<u32> = p
        .janus
        .sent
        .iter()
        .filter(|pk| pk.len() >= 12 + 17 && pk[12] == 0)
        .map(|pk| u32::from_be_bytes([pk[24], pk[25], pk[26], pk[27]]))
        .filter(|ppid| *ppid == 56 || *ppid == 57)
        .collect();
    assert_eq!(ppids, [56, 57]);
}

#[test]
fn messages_up_to_the_negotiated_size_and_no_further() {
    let max = 100_000u32;
    let mut p = Pair::with(
        SctpConfig { remote_max_message_size: max, ..SctpConfig::default() },
        SctpConfig { dtls_client: true, ..SctpConfig::default() },
    );
    let now = p.now;
    let big: Vec<u8> = (0..max).map(|i| (i % 251) as u8).collect();
    p.janus.assoc.send(Some("big"), None, true, &big, now).unwrap();
    assert_eq!(p.janus.assoc.send(Some("big"), None, true, &[0; 100_001], now), Err(SendError::TooLarge { size: 100_001, max: 100_000 }));
    p.settle();
    assert_eq!(Pair::messages(&p.browser.events), vec![("big".into(), true, big)]);
    // Default when the SDP has none: 65536.
    let mut q = Pair::new();
    let now = q.now;
    assert!(q.janus.assoc.send(None, None, false, &[b'a'; 65536], now).is_ok());
    assert!(matches!(q.janus.assoc.send(None, None, false, &[b'a'; 65537], now), Err(SendError::TooLarge { .. })));
}

#[test]
fn a_peer_sending_beyond_our_limit_loses_the_association() {
    let mut p = Pair::with(
        SctpConfig { max_receive_message_size: 4096, ..SctpConfig::default() },
        SctpConfig { dtls_client: true, remote_max_message_size: 1 << 20, ..SctpConfig::default() },
    );
    let now = p.now;
    let id = p.browser.assoc.open_channel(options("c", "", true, Reliability::Reliable), now).unwrap();
    p.browser.assoc.send_on(id, true, &[7; 4096], now).unwrap();
    p.settle();
    assert_eq!(Pair::messages(&p.janus.events).len(), 1, "exactly the limit is fine");
    p.browser.assoc.send_on(id, true, &[7; 10_000], p.now).unwrap();
    p.settle();
    assert_eq!(Pair::messages(&p.janus.events).len(), 1);
    assert!(p.janus.assoc.is_closed());
    assert!(p.janus.events.iter().any(|e| matches!(e, SctpEvent::Closed { .. })));
}

#[test]
fn a_peer_that_never_reads_cannot_grow_our_memory() {
    let cap = 64 * 1024;
    let mut p = Pair::with(
        SctpConfig { max_buffered_amount: cap, ..SctpConfig::default() },
        SctpConfig { dtls_client: true, ..SctpConfig::default() },
    );
    let now = p.now;
    p.janus.assoc.send(Some("flood"), None, true, b"first", now).unwrap();
    p.settle();
    p.browser.reading = false;
    let chunk = [0x55u8; 1000];
    let mut refused = 0;
    for _ in 0..3000 {
        match p.janus.assoc.send(Some("flood"), None, true, &chunk, p.now) {
            Ok(()) => {}
            Err(SendError::BufferFull) => refused += 1,
            Err(e) => panic!("{e:?}"),
        }
        assert!(p.janus.assoc.buffered_amount() <= cap);
        p.settle_for(Duration::from_millis(50));
    }
    assert!(refused > 0, "the peer's receive window must fill and our bound apply");
    assert_eq!(p.janus.assoc.stats().send_buffer_full, refused);
    // The peer reads again: everything buffered drains and Janus is told it may send.
    let ready_before = p.janus.events.iter().filter(|e| **e == SctpEvent::DataReady).count();
    p.browser.reading = true;
    p.settle();
    assert_eq!(p.janus.assoc.buffered_amount(), 0);
    let ready_after = p.janus.events.iter().filter(|e| **e == SctpEvent::DataReady).count();
    assert!(ready_after > ready_before);
    assert_eq!(Pair::messages(&p.browser.events).len() as u64, 1 + 3000 - refused);
    assert!(p.janus.assoc.send(Some("flood"), None, true, &chunk, p.now).is_ok());
}

#[test]
fn we_not_reading_backpressures_the_peer() {
    let mut p = Pair::with(SctpConfig::default(), SctpConfig { dtls_client: true, max_buffered_amount: 8 << 20, ..SctpConfig::default() });
    let now = p.now;
    let id = p.browser.assoc.open_channel(options("in", "", true, Reliability::Reliable), now).unwrap();
    p.settle();
    p.janus.reading = false;
    for _ in 0..3000 {
        let _ = p.browser.assoc.send_on(id, true, &[1; 1000], p.now);
        p.settle_for(Duration::from_millis(50));
    }
    // Janus' stack accepted at most its receive window; the rest waits at the sender.
    assert!(p.browser.assoc.buffered_amount() > 1_000_000);
    p.janus.reading = true;
    p.settle();
    assert_eq!(Pair::messages(&p.janus.events).len(), 3000);
}

#[test]
fn channel_close_by_peer_and_reopen_by_label() {
    let mut p = Pair::new();
    let now = p.now;
    let id = p.browser.assoc.open_channel(options("room", "", true, Reliability::Reliable), now).unwrap();
    p.settle();
    p.browser.assoc.close_channel(id, p.now);
    p.settle();
    assert!(p.janus.events.contains(&SctpEvent::ChannelClosed { stream_id: id, label: "room".into() }));
    assert_eq!(p.janus.assoc.channels().count(), 0);
    // A plugin relaying to that label again opens a new channel.
    p.janus.assoc.send(Some("room"), None, false, b"again", p.now).unwrap();
    p.settle();
    assert_eq!(opened(&p.browser.events).len(), 1);
    assert_eq!(Pair::messages(&p.browser.events), vec![("room".into(), false, b"again".to_vec())]);
}

#[test]
fn channel_and_stream_limits() {
    let mut p =
        Pair::with(SctpConfig { max_channels: 2, ..SctpConfig::default() }, SctpConfig { dtls_client: true, ..SctpConfig::default() });
    let now = p.now;
    for l in ["a", "b", "c"] {
        p.browser.assoc.open_channel(options(l, "", true, Reliability::Reliable), now).unwrap();
    }
    p.settle();
    assert_eq!(opened(&p.janus.events).len(), 2);
    assert_eq!(p.janus.assoc.stats().refused_opens, 1);
    assert!(p.browser.events.iter().any(|e| matches!(e, SctpEvent::ChannelClosed { label, .. } if label == "c")));
    assert_eq!(p.janus.assoc.send(Some("d"), None, false, b"x", p.now), Err(SendError::NoFreeChannel));
    // Labels beyond Janus' 63 bytes are cut, on a character boundary.
    let long = "é".repeat(40);
    let mut q = Pair::new();
    let now = q.now;
    q.browser.assoc.open_channel(options(&long, "", true, Reliability::Reliable), now).unwrap();
    q.settle();
    let label = &opened(&q.janus.events)[0].label;
    assert_eq!(label.len(), 62);
    assert!(long.starts_with(label.as_str()));
}

#[test]
fn teardown() {
    let mut p = Pair::new();
    let now = p.now;
    p.janus.assoc.send(Some("x"), None, false, b"bye", now).unwrap();
    p.settle();
    p.janus.assoc.close(p.now);
    p.settle();
    for s in [&p.janus, &p.browser] {
        assert!(s.assoc.is_closed());
        assert!(matches!(s.events.last(), Some(SctpEvent::Closed { .. })));
        assert_eq!(s.assoc.poll_timeout(), None);
    }
    assert_eq!(p.janus.assoc.send(Some("x"), None, false, b"late", p.now), Err(SendError::NotConnected));
    // Input after the end is ignored.
    let replay = p.browser.sent[0].clone();
    p.janus.assoc.handle_input(&replay, p.now);
    assert!(p.janus.assoc.poll_transmit().is_none());
}

#[test]
fn handshake_gives_up_without_a_peer_only_when_closed() {
    // The DTLS client keeps retransmitting INIT; closing stops it and reports it.
    let now = Instant::now();
    let mut lonely = SctpAssociation::new(SctpConfig { dtls_client: true, ..SctpConfig::default() }, now);
    assert!(lonely.poll_transmit().is_some());
    let mut t = now;
    for _ in 0..20 {
        t = lonely.poll_timeout().expect("INIT retransmission timer");
        lonely.handle_timeout(t);
        assert!(lonely.poll_transmit().is_some());
    }
    lonely.close(t);
    assert!(lonely.is_closed());
    assert!(matches!(lonely.poll_event(), Some(SctpEvent::Closed { .. })));
}

/// CRC32c as SCTP computes it, to forge packets that pass the checksum.
fn crc32c(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0x82F6_3B78 } else { crc >> 1 };
        }
    }
    !crc
}

fn with_checksum(mut packet: Vec<u8>) -> Vec<u8> {
    if packet.len() >= 12 {
        packet[8..12].fill(0);
        let c = crc32c(&packet);
        packet[8..12].copy_from_slice(&c.to_le_bytes());
    }
    packet
}

struct XorShift(u64);
impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn crc32c_matches_the_stack() {
    let p = Pair::new();
    for packet in &p.janus.sent {
        assert_eq!(&with_checksum(packet.clone()), packet);
    }
}

#[test]
fn malformed_packets_are_dropped_without_panic() {
    let mut p = Pair::new();
    let now = p.now;
    let id = p.browser.assoc.open_channel(options("f", "", true, Reliability::Reliable), now).unwrap();
    p.browser.assoc.send_on(id, false, b"sample", now).unwrap();
    p.settle();
    let real: Vec<Vec<u8>> = p.browser.sent.clone();
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    // Random bytes and truncations of real packets: refused by the checksum or the parser.
    for _ in 0..2000 {
        let len = (rng.next() % 300) as usize;
        let junk: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        p.janus.assoc.handle_input(&junk, p.now);
    }
    for packet in &real {
        for cut in 0..packet.len() {
            p.janus.assoc.handle_input(&packet[..cut], p.now);
        }
    }
    p.settle();
    assert!(p.janus.assoc.is_connected(), "garbage does not hurt the association");
    p.browser.assoc.send_on(id, false, b"still here", p.now).unwrap();
    p.settle();
    assert_eq!(Pair::messages(&p.janus.events).last().unwrap().2, b"still here");

    // Mutated real packets with a valid checksum reach the chunk parsers: the association may
    // be lost to a protocol violation, but nothing panics and the end is reported.
    for round in 0..3000 {
        let mut packet = real[(rng.next() as usize) % real.len()].clone();
        let flips = 1 + rng.next() % 4;
        for _ in 0..flips {
            let at = 12 + (rng.next() as usize) % packet.len().saturating_sub(12).max(1);
            if at < packet.len() {
                packet[at] = rng.next() as u8;
            }
        }
        if round % 5 == 0 {
            let keep = 12 + (rng.next() as usize) % packet.len().saturating_sub(11).max(1);
            packet.truncate(keep.min(packet.len()));
        }
        p.janus.assoc.handle_input(&with_checksum(packet), p.now);
        while let Some(e) = p.janus.assoc.poll_event() {
            p.janus.events.push(e);
        }
        while p.janus.assoc.poll_transmit().is_some() {}
    }
    let reported = p.janus.events.iter().any(|e| matches!(e, SctpEvent::Closed { .. }));
    assert_eq!(p.janus.assoc.is_closed(), reported, "a lost association is reported, once it is lost");
}

/// A browser played by sctp-proto directly, to put arbitrary DCEP bytes on a stream.
struct RawBrowser {
    endpoint: Endpoint,
    handle: AssociationHandle,
    assoc: Association,
}

impl RawBrowser {
    fn connect(now: Instant) -> (RawBrowser, SctpAssociation) {
        Self::connect_to(SctpConfig::default(), now)
    }

    /// The raw peer always sends its INIT, as browsers do whatever their DTLS role.
    fn connect_to(config: SctpConfig, now: Instant) -> (RawBrowser, SctpAssociation) {
        let mut endpoint = Endpoint::new(Arc::new(EndpointConfig::new()), Some(Arc::new(ServerConfig::new())));
        let (handle, assoc) = endpoint.connect(ClientConfig::new(), peer_address()).unwrap();
        let mut raw = RawBrowser { endpoint, handle, assoc };
        let mut janus = SctpAssociation::new(config, now);
        raw.exchange(&mut janus, now);
        assert!(janus.is_connected());
        (raw, janus)
    }

    fn exchange(&mut self, janus: &mut SctpAssociation, now: Instant) {
        for _ in 0..100 {
            let mut moved = false;
            while let Some(t) = self.assoc.poll_transmit(now) {
                if let Payload::RawEncode(packets) = t.payload {
                    for pk in packets {
                        janus.handle_input(&pk, now);
                        moved = true;
                    }
                }
            }
            while janus.poll_event().is_some() {}
            while let Some(pk) = janus.poll_transmit() {
                match self.endpoint.handle(now, peer_address(), None, None, Bytes::copy_from_slice(pk)) {
                    Some((_, DatagramEvent::AssociationEvent(e))) => self.assoc.handle_event(e),
                    // Our INIT reached the peer while its own was out: like str0m, it carries
                    // on with the association our INIT created.
                    Some((handle, DatagramEvent::NewAssociation(a))) => {
                        self.handle = handle;
                        self.assoc = a;
                    }
                    None => {}
                }
                moved = true;
            }
            while self.assoc.poll().is_some() {}
            while let Some(e) = self.assoc.poll_endpoint_event() {
                self.endpoint.handle_event(self.handle, e);
            }
            if !moved {
                return;
            }
        }
    }

    fn write(&mut self, stream: u16, ppid: Ppid, bytes: &[u8]) {
        let mut s = match self.assoc.stream(stream) {
            Ok(s) => s,
            Err(_) => self.assoc.open_stream(stream, ppid).unwrap(),
        };
        s.write_with_ppi(bytes, ppid).unwrap();
    }

    fn read(&mut self, stream: u16) -> Option<(Ppid, Vec<u8>)> {
        let chunks = self.assoc.stream(stream).ok()?.read().ok()??;
        let mut buf = vec![0; chunks.len()];
        chunks.read(&mut buf).ok()?;
        Some((chunks.ppi, buf))
    }
}

#[test]
fn dcep_wire_format_against_a_raw_peer_and_malformed_dcep() {
    let now = Instant::now();
    let (mut raw, mut janus) = RawBrowser::connect(now);
    // Malformed DCEP on stream 2, data on a stream without a channel (4), unknown PPID (6).
    raw.write(2, Ppid::Dcep, &[0x03, 0x00, 0x00]);
    raw.write(2, Ppid::Dcep, &[0x03, 0x00, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, b'x']);
    raw.write(2, Ppid::Dcep, &[0x42]);
    raw.write(2, Ppid::Dcep, &[0x03, 0x05, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    raw.write(4, Ppid::String, b"nobody listens");
    raw.write(6, Ppid::Unknown, b"??");
    raw.exchange(&mut janus, now);
    assert_eq!(janus.channels().count(), 0);
    assert_eq!(janus.stats().dropped_incoming, 6);
    // A DATA_CHANNEL_OPEN written by hand from RFC 8832: reliable unordered, label "raw",
    // protocol "chat".
    let open = [0x03, 0x80, 0x00, 0x00, 0, 0, 0, 0, 0x00, 0x03, 0x00, 0x04, b'r', b'a', b'w', b'c', b'h', b'a', b't'];
    raw.write(8, Ppid::Dcep, &open);
    raw.write(8, Ppid::String, b"hi");
    for _ in 0..3 {
        raw.exchange(&mut janus, now);
    }
    // Events were drained by the exchange; check the state they left instead.
    let channel = janus.channel_by_label("raw").expect("channel opened by the raw OPEN");
    assert_eq!((channel.stream_id, channel.protocol.as_str(), channel.ordered), (8, "chat", false));
    assert_eq!(raw.read(8), Some((Ppid::Dcep, vec![0x02])), "DATA_CHANNEL_ACK on the same stream");
    // Janus' reply to the raw peer: PPID 51, on stream 8.
    janus.send(Some("raw"), None, false, b"welcome", now).unwrap();
    raw.exchange(&mut janus, now);
    assert_eq!(raw.read(8), Some((Ppid::String, b"welcome".to_vec())));
    // A second OPEN on a stream already in use is refused and leaves the channel alone.
    raw.write(8, Ppid::Dcep, &open);
    raw.exchange(&mut janus, now);
    assert_eq!(janus.stats().refused_opens, 1);
    assert!(janus.channel_by_label("raw").is_some());
}

#[test]
fn both_sides_sending_init_still_associates() {
    // Janus as DTLS client sends an INIT while the peer sends its own: we drop the peer's,
    // the peer answers ours, and data flows.
    let now = Instant::now();
    let (mut raw, mut janus) = RawBrowser::connect_to(SctpConfig { dtls_client: true, ..SctpConfig::default() }, now);
    janus.send(Some("x"), None, false, b"after collision", now).unwrap();
    raw.exchange(&mut janus, now);
    assert_eq!(raw.read(0), Some((Ppid::Dcep, DcepOpen { label: "x".into(), ..ChannelOptions::reliable("x", "") }.to_bytes())));
    assert_eq!(raw.read(0), Some((Ppid::String, b"after collision".to_vec())));
}
