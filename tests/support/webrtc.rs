//! A WebRTC peer that we did not write (str0m, sans-IO, with its own ICE, DTLS and SRTP)
//! for end-to-end tests of a gateway's media plane, and the private network it runs on.
//!
//! Janus never gathers ICE candidates on loopback, so a test runs the gateway and the peer
//! in a network namespace of its own ([`in_private_network`]) with a veth pair addressed in
//! 10.199.0.0/24. The usual flow:
//! ```ignore
//! in_private_network(|net| {
//!     // Spawned from inside the namespace.
//!     let gateway = Gateway::start(binary, &private_network_configs(test, &["echotest"]));
//!     let session = gateway.create_session();
//!     let handle = session.attach("janus.plugin.echotest");
//!     // `Peer::new`, `create_offer`, then `offer_and_answer` (message, trickle, answer).
//!     let (mut peer, answer) = echotest_offer(&session, &handle, net.peer_ip.into(), true);
//!     peer.connect(&answer, &gateway); // accepts the answer, waits for ICE and DTLS
//!     peer.send(Kind::Audio, &opus_payload(0), false);
//! });
//! ```
//! Every wait is bounded; the peer's traffic only goes to the addresses the gateway
//! announced, which inside the namespace are the namespace's own.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::ops::Range;
use std::process::Command;
use std::time::{Duration, Instant};

use str0m::change::{SdpAnswer, SdpOffer, SdpPendingOffer};
use str0m::channel::ChannelId;
use str0m::media::{Direction, MediaKind, Mid, Pt, Rid, Simulcast, SimulcastLayer};
use str0m::net::{Protocol, Receive};
use str0m::rtp::{RtpWrite, SeqNo};
use str0m::{Candidate, Event, Input, Output, Rtc};

use janus::json::Json;

use super::gateway::{ConfigsFolder, Gateway, Handle, Session};
use super::json::{at, kind_of, str_at};

/// Bound on the waits of the helpers below (the answer, ICE and DTLS, echoes).
const WAIT: Duration = Duration::from_secs(10);
/// The duration of one audio packet, and so the pace of [`Peer::send_audio`].
const AUDIO_INTERVAL: Duration = Duration::from_millis(20);

/// The network [`in_private_network`] sets up: one veth pair, both ends inside a namespace
/// that only the calling test's thread (and the processes it starts) live in.
pub struct PrivateNetwork {
    /// The address of the end meant for the gateway (give it to `nat.ice_enforce_list`
    /// through [`GATEWAY_INTERFACE`]).
    pub gateway_ip: Ipv4Addr,
    /// The address of the end the peer binds its socket to.
    pub peer_ip: Ipv4Addr,
    /// The IPv6 (unique local) addresses of the same two ends.
    pub gateway_ip6: Ipv6Addr,
    pub peer_ip6: Ipv6Addr,
}

/// The names of the veth ends inside the namespace; the namespace is private, so fixed
/// names cannot clash with another test's.
pub const GATEWAY_INTERFACE: &str = "jgw0";
pub const PEER_INTERFACE: &str = "jpeer0";

/// How long the veth ends may take to come up.
const LINK_UP_TIMEOUT: Duration = Duration::from_secs(5);

/// Runs `f` on a thread of its own that first moves into a new, anonymous network
/// namespace (`unshare(CLONE_NEWNET)`, which only affects that thread) and sets up the
/// veth pair there. Processes spawned from `f` (the gateway, `ip`) inherit the namespace,
/// and sockets opened by `f` live in it, so the whole exchange stays inside; nothing of it
/// is visible from the machine's own network. The kernel frees the namespace when its last
/// member (that thread, its children) is gone, so nothing is left behind even if the
/// test is killed. Panics of `f` propagate. Needs root (CAP_SYS_ADMIN, CAP_NET_ADMIN).
pub fn in_private_network<R: Send>(f: impl FnOnce(&PrivateNetwork) -> R + Send) -> R {
    std::thread::scope(|scope| {
        let thread = scope.spawn(|| {
            // SAFETY: plain syscall; CLONE_NEWNET alone is allowed in a multithreaded
            // process and changes the calling thread only.
            if unsafe { libc::unshare(libc::CLONE_NEWNET) } != 0 {
                panic!("unshare(CLONE_NEWNET): {} (the WebRTC tests need root)", std::io::Error::last_os_error());
            }
            let net = PrivateNetwork {
                gateway_ip: Ipv4Addr::new(10, 199, 0, 1),
                peer_ip: Ipv4Addr::new(10, 199, 0, 2),
                gateway_ip6: Ipv6Addr::new(0xfd00, 0x199, 0, 0, 0, 0, 0, 1),
                peer_ip6: Ipv6Addr::new(0xfd00, 0x199, 0, 0, 0, 0, 0, 2),
            };
            ip(&["link", "add", GATEWAY_INTERFACE, "type", "veth", "peer", "name", PEER_INTERFACE]);
            ip(&["addr", "add", &format!("{}/24", net.gateway_ip), "dev", GATEWAY_INTERFACE]);
            ip(&["addr", "add", &format!("{}/24", net.peer_ip), "dev", PEER_INTERFACE]);
            // No duplicate address detection: the addresses are usable at once.
            ip(&["-6", "addr", "add", &format!("{}/64", net.gateway_ip6), "dev", GATEWAY_INTERFACE, "nodad"]);
            ip(&["-6", "addr", "add", &format!("{}/64", net.peer_ip6), "dev", PEER_INTERFACE, "nodad"]);
            for link in ["lo", GATEWAY_INTERFACE, PEER_INTERFACE] {
                ip(&["link", "set", link, "up"]);
            }
            // libnice sends out of the interface of its candidate, so the gateway's packets
            // cross the veth pair and arrive with a source address that is local to the
            // namespace: accept those (ARP and IP) instead of dropping them as martians
            // (/proc/sys/net shows the namespace of the thread that opens it).
            for link in [GATEWAY_INTERFACE, PEER_INTERFACE] {
                let knob = format!("/proc/sys/net/ipv4/conf/{link}/accept_local");
                std::fs::write(&knob, "1").unwrap_or_else(|e| panic!("writing {knob}: {e}"));
            }
            wait_links_up(&[GATEWAY_INTERFACE, PEER_INTERFACE]);
            f(&net)
        });
        thread.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// Runs `ip ARGS` (in the calling thread's namespace) and panics with its stderr on failure.
fn ip(args: &[&str]) -> String {
    let out = Command::new("ip").args(args).output().expect("the ip command (iproute2) runs");
    assert!(out.status.success(), "ip {}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Waits (bounded) until every link of `links` has operational state UP: the gateway
/// gathers candidates only on interfaces that are up.
fn wait_links_up(links: &[&str]) {
    let deadline = Instant::now() + LINK_UP_TIMEOUT;
    loop {
        let brief = ip(&["-br", "link", "show"]);
        let up = |name: &str| {
            brief.lines().any(|l| {
                let mut columns = l.split_whitespace();
                columns.next().is_some_and(|n| n.split('@').next() == Some(name)) && columns.next() == Some("UP")
            })
        };
        if links.iter().all(|l| up(l)) {
            return;
        }
        assert!(Instant::now() < deadline, "links {links:?} not up within {LINK_UP_TIMEOUT:?}:\n{brief}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The media kinds the peer offers, one m-line each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Audio,
    Video,
}

impl Kind {
    /// RTP clock ticks between two consecutive packets we send: 20 ms of Opus at 48 kHz,
    /// one frame at 30 fps of VP8 at 90 kHz.
    fn ticks_per_packet(self) -> u32 {
        match self {
            Kind::Audio => 960,
            Kind::Video => 3000,
        }
    }

    /// The codec name in `a=rtpmap` lines.
    fn codec(self) -> &'static str {
        match self {
            Kind::Audio => "opus",
            Kind::Video => "VP8",
        }
    }
}

/// One RTP packet received (decrypted) from the gateway.
#[derive(Clone, Debug)]
pub struct ReceivedRtp {
    pub ssrc: u32,
    pub pt: u8,
    pub seq: u16,
    pub timestamp: u32,
    pub marker: bool,
    /// The mid header extension, when the gateway sent one.
    pub mid: Option<String>,
    pub payload: Vec<u8>,
}

/// One message received on a data channel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceivedData {
    pub label: String,
    pub binary: bool,
    pub data: Vec<u8>,
}

/// What the peer sends on one m-line, fixed by the answer.
struct Outgoing {
    mid: Mid,
    /// The simulcast layer, on a video m-line offered with rids.
    rid: Option<Rid>,
    pt: Pt,
    next_seq: u64,
    next_timestamp: u32,
}

/// A WebRTC peer (the offerer) on one UDP socket, in str0m's RTP mode: RTP packets in and
/// out as they are, so that tests see payload types, SSRCs and payloads on the wire.
pub struct Peer {
    rtc: Rtc,
    socket: UdpSocket,
    candidate: Candidate,
    /// The m-lines of our offer, in order.
    mids: Vec<(Kind, Mid)>,
    pending: Option<SdpPendingOffer>,
    /// The rids of the video layers offered, highest quality first (empty: no simulcast).
    simulcast: Vec<String>,
    outgoing: Vec<(Kind, Outgoing)>,
    received: Vec<ReceivedRtp>,
    connected: bool,
    closed: bool,
    buffer: Vec<u8>,
    /// Open data channels: ours once str0m opened them, the gateway's once it did.
    channels: Vec<(ChannelId, String)>,
    data_received: Vec<ReceivedData>,
    /// Where str0m last sent a datagram: the gateway's selected candidate once connected.
    remote: Option<SocketAddr>,
    /// How many of the next SRTP packets str0m produces go to `withheld` instead of the wire.
    to_withhold: usize,
    withheld: Vec<Vec<u8>>,
    /// With [`Peer::with_raw_packets`]: the transport-wide CC feedback received, and the
    /// transport-wide sequence number of each RTP packet sent (in order).
    twcc_feedback: Vec<str0m::rtp::rtcp::Twcc>,
    twcc_sent: Vec<u16>,
    /// With [`Peer::lose_rtp`]: every how many RTP datagrams one is not sent, and the
    /// count of RTP datagrams so far and of those not sent.
    lose_every: Option<u32>,
    rtp_datagrams: u32,
    rtp_lost: u32,
}

/// Largest datagram we read.
const DATAGRAM_MAX: usize = 2000;

impl Peer {
    /// A peer with a UDP socket on `ip` (an ephemeral port) as its only, host, candidate.
    pub fn new(ip: IpAddr) -> Peer {
        Peer::build(ip, false)
    }

    /// [`Peer::new`], keeping what str0m's raw packet events tell: the transport-wide CC
    /// feedback received ([`Peer::twcc_feedback`]) and the transport-wide sequence numbers
    /// sent ([`Peer::twcc_sent`]).
    pub fn with_raw_packets(ip: IpAddr) -> Peer {
        Peer::build(ip, true)
    }

    fn build(ip: IpAddr, raw_packets: bool) -> Peer {
        let socket = UdpSocket::bind(SocketAddr::new(ip, 0)).unwrap_or_else(|e| panic!("binding UDP on {ip}: {e}"));
        let local = socket.local_addr().expect("local address");
        let mut rtc = Rtc::builder()
            .set_rtp_mode(true)
            .enable_raw_packets(raw_packets)
            .clear_codecs()
            .enable_opus(true, false)
            .enable_vp8(true)
            .build(Instant::now());
        let candidate = Candidate::host(local, "udp").expect("a host candidate");
        rtc.add_local_candidate(candidate.clone());
        Peer {
            rtc,
            socket,
            candidate,
            mids: Vec::new(),
            pending: None,
            simulcast: Vec::new(),
            outgoing: Vec::new(),
            received: Vec::new(),
            connected: false,
            closed: false,
            buffer: vec![0; DATAGRAM_MAX],
            channels: Vec::new(),
            data_received: Vec::new(),
            remote: None,
            to_withhold: 0,
            withheld: Vec::new(),
            twcc_feedback: Vec::new(),
            twcc_sent: Vec::new(),
            lose_every: None,
            rtp_datagrams: 0,
            rtp_lost: 0,
        }
    }

    /// From now on, the last of every `every` RTP datagrams str0m sends is dropped (as if
    /// lost on the way), whatever it carries (media, retransmission); `None`: none.
    pub fn lose_rtp(&mut self, every: Option<u32>) {
        self.lose_every = every;
        self.rtp_datagrams = 0;
    }

    /// How many RTP datagrams [`Peer::lose_rtp`] dropped.
    pub fn rtp_lost(&self) -> u32 {
        self.rtp_lost
    }

    /// The transport-wide CC feedback received so far (with [`Peer::with_raw_packets`]).
    pub fn twcc_feedback(&self) -> &[str0m::rtp::rtcp::Twcc] {
        &self.twcc_feedback
    }

    /// The transport-wide sequence numbers of the RTP packets sent so far, in order (with
    /// [`Peer::with_raw_packets`]).
    pub fn twcc_sent(&self) -> &[u16] {
        &self.twcc_sent
    }

    /// Our candidate as an `a=candidate` value (`candidate:...`), for a `trickle`.
    pub fn candidate_attribute(&self) -> String {
        self.candidate.to_sdp_string()
    }

    /// The mid of our first m-line, the one a trickled candidate refers to.
    pub fn first_mid(&self) -> String {
        self.mids.first().map(|(_, mid)| mid.to_string()).expect("an offer was created")
    }

    /// The mid str0m gave the m-line of `kind`.
    pub fn mid(&self, kind: Kind) -> Option<String> {
        self.mids.iter().find(|(k, _)| *k == kind).map(|(_, mid)| mid.to_string())
    }

    /// Creates the offer: a sendrecv audio (Opus) and/or video (VP8) m-line, with our
    /// candidate in it. Returns the SDP text.
    pub fn create_offer(&mut self, audio: bool, video: bool) -> String {
        self.offer_media(audio, video, &[], None)
    }

    /// [`Peer::create_offer`], with an `m=application` line and a data channel labelled
    /// `channel` (opened with DCEP once connected) when one is given.
    pub fn create_offer_with_channel(&mut self, audio: bool, video: bool, channel: Option<&str>) -> String {
        self.offer_media(audio, video, &[], channel)
    }

    /// Creates an offer of audio and of video simulcast in the layers `rids` (RFC 8853,
    /// listed from the highest quality down, as Janus assumes by default); each layer is
    /// then sent with [`send_layer`](Peer::send_layer).
    pub fn create_simulcast_offer(&mut self, audio: bool, rids: &[&str]) -> String {
        self.offer_media(audio, true, rids, None)
    }

    fn offer_media(&mut self, audio: bool, video: bool, rids: &[&str], channel: Option<&str>) -> String {
        self.simulcast = rids.iter().map(|r| r.to_string()).collect();
        let mut change = self.rtc.sdp_api();
        for (kind, wanted, media) in [(Kind::Audio, audio, MediaKind::Audio), (Kind::Video, video, MediaKind::Video)] {
            if wanted {
                let simulcast = (kind == Kind::Video && !rids.is_empty())
                    .then(|| Simulcast { send: rids.iter().map(|r| SimulcastLayer::new(r)).collect(), recv: Vec::new() });
                let mid = change.add_media(media, Direction::SendRecv, None, None, simulcast);
                self.mids.push((kind, mid));
            }
        }
        if let Some(label) = channel {
            change.add_channel(label.to_string());
        }
        let (offer, pending) = change.apply().expect("an offer with at least one m-line");
        self.pending = Some(pending);
        let text = offer.to_sdp_string();
        self.drain();
        text
    }

    /// A new offer of the same media with fresh ICE credentials (an ICE restart), our
    /// candidate kept; answer it with [`accept_answer`](Peer::accept_answer).
    pub fn create_ice_restart_offer(&mut self) -> String {
        let mut change = self.rtc.sdp_api();
        change.ice_restart(true);
        let (offer, pending) = change.apply().expect("an ICE restart offer");
        self.pending = Some(pending);
        // The payload types are learnt again from the new answer.
        self.outgoing.clear();
        let text = offer.to_sdp_string();
        self.drain();
        text
    }

    /// Applies the gateway's answer (its candidates included) and learns from it the
    /// payload type to send on each m-line.
    pub fn accept_answer(&mut self, sdp: &str) {
        let pending = self.pending.take().expect("accept_answer after create_offer");
        let answer = SdpAnswer::from_sdp_string(sdp).unwrap_or_else(|e| panic!("answer not parsed ({e}):\n{sdp}"));
        self.rtc.sdp_api().accept_answer(pending, answer).unwrap_or_else(|e| panic!("answer not accepted ({e}):\n{sdp}"));
        for (kind, mid) in &self.mids {
            let pt = sdp_payload_type(sdp, &mid.to_string(), kind.codec())
                .unwrap_or_else(|| panic!("no {} in the answer's m-line {mid}:\n{sdp}", kind.codec()));
            let layers: Vec<Option<Rid>> = match kind {
                Kind::Video if !self.simulcast.is_empty() => self.simulcast.iter().map(|r| Some(Rid::from(r.as_str()))).collect(),
                _ => vec![None],
            };
            for rid in layers {
                self.outgoing.push((*kind, Outgoing { mid: *mid, rid, pt: pt.into(), next_seq: 1, next_timestamp: 0 }));
            }
        }
        self.drain();
    }

    /// Answers an offer of the gateway (a plugin that offers: VideoRoom subscriber,
    /// Streaming viewer, ...), its candidates included; the answer takes the direction
    /// str0m chooses for each m-line and, where it sends, the offer's payload type.
    /// Returns the answer's SDP text.
    pub fn accept_offer(&mut self, sdp: &str) -> String {
        let offer = SdpOffer::from_sdp_string(sdp).unwrap_or_else(|e| panic!("offer not parsed ({e}):\n{sdp}"));
        let answer = self.rtc.sdp_api().accept_offer(offer).unwrap_or_else(|e| panic!("offer not accepted ({e}):\n{sdp}"));
        let text = answer.to_sdp_string();
        for section in media_sections(sdp) {
            let kind = match section.first().and_then(|m| m.strip_prefix("m=")?.split(' ').next()) {
                Some("audio") => Kind::Audio,
                Some("video") => Kind::Video,
                _ => continue,
            };
            let Some(mid_text) = section.iter().find_map(|l| l.strip_prefix("a=mid:")) else { continue };
            let mid = Mid::from(mid_text);
            self.mids.push((kind, mid));
            let sending = self.rtc.direct_api().stream_tx_by_mid(mid, None).is_some();
            if let (true, Some(pt)) = (sending, sdp_payload_type(&text, mid_text, kind.codec())) {
                self.outgoing.push((kind, Outgoing { mid, rid: None, pt: pt.into(), next_seq: 1, next_timestamp: 0 }));
            }
        }
        self.drain();
        text
    }

    /// Opens a data channel labelled `label` (DCEP) on the connected PeerConnection.
    pub fn open_channel(&mut self, label: &str) {
        let config = str0m::channel::ChannelConfig { label: label.to_string(), ..Default::default() };
        self.rtc.direct_api().create_data_channel(config);
        self.drain();
    }

    /// Whether a data channel labelled `label` is open.
    pub fn is_channel_open(&self, label: &str) -> bool {
        self.channels.iter().any(|(_, l)| l == label)
    }

    /// Sends one message on the open data channel labelled `label`.
    pub fn send_data(&mut self, label: &str, binary: bool, data: &[u8]) {
        let id = self.channels.iter().find(|(_, l)| l == label).map(|(id, _)| *id).unwrap_or_else(|| panic!("no open channel '{label}'"));
        let mut channel = self.rtc.channel(id).expect("an open channel");
        assert!(channel.write(binary, data).expect("str0m takes the message"), "str0m's send buffer is full");
        self.drain();
    }

    /// Every data channel message received so far, in arrival order.
    pub fn data_received(&self) -> &[ReceivedData] {
        &self.data_received
    }

    /// Whether ICE and DTLS completed.
    pub fn is_connected(&self) -> bool {
        self.connected
    }

    /// The gateway's address str0m sends to (its selected candidate, once connected).
    pub fn remote_address(&self) -> Option<SocketAddr> {
        self.remote
    }

    /// Sends `datagram` as it is from the peer's own socket to [`remote_address`], as if
    /// str0m had produced it.
    ///
    /// [`remote_address`]: Peer::remote_address
    pub fn send_raw(&self, datagram: &[u8]) {
        let remote = self.remote.expect("the peer sent to the gateway already");
        self.socket.send_to(datagram, remote).unwrap_or_else(|e| panic!("sending to {remote}: {e}"));
    }

    /// Keeps the next `count` SRTP packets (not RTCP) str0m produces off the wire, in
    /// [`withheld`](Peer::withheld), so that a test can send them otherwise (altered, from
    /// another socket, later, twice).
    pub fn withhold_rtp(&mut self, count: usize) {
        self.to_withhold = count;
    }

    /// The SRTP packets withheld so far, oldest first, as str0m produced them.
    pub fn withheld(&self) -> &[Vec<u8>] {
        &self.withheld
    }

    /// Whether the gateway closed the DTLS connection.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Everything received so far, in arrival order.
    pub fn received(&self) -> &[ReceivedRtp] {
        &self.received
    }

    /// Sends one RTP packet on the m-line of `kind` with the negotiated payload type, the
    /// next sequence number and a timestamp one packet duration after the previous one.
    pub fn send(&mut self, kind: Kind, payload: &[u8], marker: bool) {
        self.send_layer(kind, None, payload, marker);
    }

    /// Skips `packets` packets of `kind` as if they had been sent and lost on the way: the
    /// next one sent has their sequence numbers and timestamps after it.
    pub fn skip(&mut self, kind: Kind, packets: u32) {
        for (_, out) in self.outgoing.iter_mut().filter(|(k, o)| *k == kind && o.rid.is_none()) {
            out.next_seq += u64::from(packets);
            out.next_timestamp = out.next_timestamp.wrapping_add(kind.ticks_per_packet() * packets);
        }
    }

    /// As [`send`](Peer::send), on the simulcast layer `rid` (`None`: no simulcast).
    pub fn send_layer(&mut self, kind: Kind, rid: Option<&str>, payload: &[u8], marker: bool) {
        let rid = rid.map(Rid::from);
        let (_, out) = self
            .outgoing
            .iter_mut()
            .find(|(k, o)| *k == kind && o.rid == rid)
            .unwrap_or_else(|| panic!("no answered {kind:?} m-line with layer {rid:?}"));
        let write = RtpWrite::new(out.pt, SeqNo::from(out.next_seq), out.next_timestamp, Instant::now(), payload.to_vec())
            .marker(marker)
            .nackable(kind == Kind::Video);
        out.next_seq += 1;
        out.next_timestamp = out.next_timestamp.wrapping_add(kind.ticks_per_packet());
        let mid = out.mid;
        let mut api = self.rtc.direct_api();
        let stream = api.stream_tx_by_mid(mid, rid).unwrap_or_else(|| panic!("no send stream for mid {mid} {rid:?}"));
        stream.write_rtp(write);
        self.drain();
    }

    /// Has str0m protect `count` RTP packets of `kind` (each carrying `payload`, with the
    /// negotiated payload type and consecutive sequence numbers) without sending them, and
    /// returns them with the address they are for: a benchmark sends them at its own pace,
    /// so that str0m's per-packet work does not load the machine while a gateway is timed.
    /// What str0m transmits meanwhile that is not RTP (STUN, DTLS, RTCP) is sent as usual.
    pub fn protect_ahead(&mut self, kind: Kind, payload: &[u8], count: u32) -> (SocketAddr, Vec<Vec<u8>>) {
        let index =
            self.outgoing.iter().position(|(k, o)| *k == kind && o.rid.is_none()).unwrap_or_else(|| panic!("no answered {kind:?} m-line"));
        let mut destination = None;
        let mut packets = Vec::with_capacity(count as usize);
        for _ in 0..count {
            let out = &mut self.outgoing[index].1;
            let write = RtpWrite::new(out.pt, SeqNo::from(out.next_seq), out.next_timestamp, Instant::now(), payload.to_vec());
            out.next_seq += 1;
            out.next_timestamp = out.next_timestamp.wrapping_add(kind.ticks_per_packet());
            let mid = out.mid;
            let mut api = self.rtc.direct_api();
            api.stream_tx_by_mid(mid, None).unwrap_or_else(|| panic!("no send stream for mid {mid}")).write_rtp(write);
            // str0m's pacer releases queued packets on a timeout input.
            self.rtc.handle_input(Input::Timeout(Instant::now())).expect("str0m takes the timeout");
            loop {
                match self.rtc.poll_output().expect("str0m output") {
                    Output::Timeout(_) => break,
                    Output::Transmit(t) if is_rtp(&t.contents) => {
                        destination = Some(t.destination);
                        packets.push(t.contents.to_vec());
                    }
                    Output::Transmit(t) => {
                        let _ = self.socket.send_to(&t.contents, t.destination);
                    }
                    Output::Event(_) => {}
                }
            }
        }
        assert_eq!(packets.len(), count as usize, "str0m protected {} of {count} packets", packets.len());
        (destination.expect("at least one packet"), packets)
    }

    /// The peer's UDP socket, for a benchmark that moves datagrams itself (see
    /// [`protect_ahead`](Peer::protect_ahead) and [`take_datagram`](Peer::take_datagram)).
    pub fn socket(&self) -> &UdpSocket {
        &self.socket
    }

    /// Feeds str0m a datagram the caller read from [`socket`](Peer::socket) itself.
    pub fn take_datagram(&mut self, source: SocketAddr, datagram: &[u8]) {
        if let Ok(contents) = datagram.try_into() {
            let input =
                Input::Receive(Instant::now(), Receive { proto: Protocol::Udp, source, destination: self.candidate.addr(), contents });
            self.rtc.handle_input(input).expect("str0m takes the datagram");
        }
        self.drain();
    }

    /// Lets str0m's timers run (consent checks, RTCP), for a caller that drives the socket.
    pub fn tick(&mut self) {
        self.rtc.handle_input(Input::Timeout(Instant::now())).expect("str0m takes the timeout");
        self.drain();
    }

    /// Runs the network and timers until `done` holds or `timeout` passes; whether it held.
    pub fn run_until(&mut self, timeout: Duration, mut done: impl FnMut(&Peer) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if done(self) {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            self.step(deadline);
        }
    }

    /// Runs the network and timers for `duration`.
    pub fn run_for(&mut self, duration: Duration) {
        self.run_until(duration, |_| false);
    }

    /// Accepts the gateway's `answer` and waits until ICE and DTLS complete
    /// ([`wait_connected`](Peer::wait_connected)).
    pub fn connect(&mut self, answer: &str, gateway: &Gateway) {
        self.accept_answer(answer);
        self.wait_connected(gateway);
    }

    /// Runs until ICE and DTLS complete (a bounded wait); panics otherwise, with the
    /// gateway's log tail, which tells why.
    pub fn wait_connected(&mut self, gateway: &Gateway) {
        let local = self.candidate.addr();
        assert!(self.run_until(WAIT, Peer::is_connected), "ICE and DTLS did not complete for the peer at {local}\n{}", gateway.log_tail());
    }

    /// Sends the Opus packets numbered `indices` ([`opus_payload`]) on the audio m-line at
    /// their real pace, the first with the marker bit (the start of a talkspurt).
    pub fn send_audio(&mut self, indices: Range<u32>) {
        let first = indices.start;
        for i in indices {
            self.send(Kind::Audio, &opus_payload(i), i == first);
            self.run_for(AUDIO_INTERVAL);
        }
    }

    /// Sends `count` audio packets ([`send_audio`](Peer::send_audio)) to a gateway that
    /// echoes them, and runs until `expected` packets came back (a bounded wait); how many
    /// did.
    pub fn echo_audio(&mut self, count: u32, expected: usize) -> usize {
        let before = self.received.len();
        self.send_audio(0..count);
        self.run_until(WAIT, |p| p.received.len() >= before + expected);
        self.received.len() - before
    }

    /// Takes in every datagram already queued on the socket, without waiting, then
    /// str0m's timers: a peer run among others ([`run_peers_until`]) keeps up with its
    /// traffic even though it only gets short turns.
    fn receive_queued(&mut self) {
        self.socket.set_nonblocking(true).expect("non-blocking socket");
        let destination = self.candidate.addr();
        while let Ok((n, source)) = self.socket.recv_from(&mut self.buffer) {
            if let Ok(contents) = self.buffer[..n].try_into() {
                let input = Input::Receive(Instant::now(), Receive { proto: Protocol::Udp, source, destination, contents });
                self.rtc.handle_input(input).expect("str0m takes the datagram");
            }
            self.drain();
        }
        self.socket.set_nonblocking(false).expect("blocking socket");
        self.rtc.handle_input(Input::Timeout(Instant::now())).expect("str0m takes the timeout");
        self.drain();
    }

    /// Waits for one datagram or str0m's next timer (no later than `deadline`), feeds it
    /// in and drains the output.
    fn step(&mut self, deadline: Instant) {
        let wake = self.drain().min(deadline);
        let wait = wake.saturating_duration_since(Instant::now()).max(Duration::from_millis(1));
        self.socket.set_read_timeout(Some(wait)).expect("read timeout");
        let destination = self.candidate.addr();
        match self.socket.recv_from(&mut self.buffer) {
            Ok((n, source)) => {
                // Datagrams str0m cannot classify (neither STUN, DTLS nor RTP) are dropped.
                if let Ok(contents) = self.buffer[..n].try_into() {
                    let input = Input::Receive(Instant::now(), Receive { proto: Protocol::Udp, source, destination, contents });
                    self.rtc.handle_input(input).expect("str0m takes the datagram");
                }
            }
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                self.rtc.handle_input(Input::Timeout(Instant::now())).expect("str0m takes the timeout");
            }
            Err(e) => panic!("UDP receive: {e}"),
        }
        self.drain();
    }

    /// Polls str0m's output until its next timeout (str0m wants that after each input):
    /// sends what it transmits, records what it reports; returns the timeout.
    fn drain(&mut self) -> Instant {
        loop {
            match self.rtc.poll_output().expect("str0m output") {
                Output::Timeout(at) => return at,
                Output::Transmit(t) => {
                    // RTP (RFC 7983: first byte 128..=191), not RTCP (RFC 5761: types 192..=223).
                    let rtp = matches!(t.contents.first(), Some(128..=191)) && !matches!(t.contents.get(1), Some(192..=223));
                    if let (Some(every), true) = (self.lose_every, rtp) {
                        self.rtp_datagrams += 1;
                        if self.rtp_datagrams % every == 0 {
                            self.rtp_lost += 1;
                            continue;
                        }
                    }
                    // A datagram the kernel refuses (the gateway's port gone) is like a lost one.
                    self.remote = Some(t.destination);
                    // RTP, not RTCP (RFC 5761: payload types 192-223 are RTCP's).
                    let rtp = t.contents.len() > 12 && t.contents[0] >> 6 == 2 && !(192..=223).contains(&t.contents[1]);
                    if rtp && self.to_withhold > 0 {
                        self.to_withhold -= 1;
                        self.withheld.push(t.contents.to_vec());
                        continue;
                    }
                    let _ = self.socket.send_to(&t.contents, t.destination);
                }
                Output::Event(Event::Connected) => self.connected = true,
                Output::Event(Event::ChannelOpen(id, label)) => self.channels.push((id, label)),
                Output::Event(Event::ChannelClose(id)) => self.channels.retain(|(o, _)| *o != id),
                Output::Event(Event::ChannelData(d)) => {
                    let label = self.channels.iter().find(|(o, _)| *o == d.id).map(|(_, l)| l.clone()).unwrap_or_default();
                    self.data_received.push(ReceivedData { label, binary: d.binary, data: d.data });
                }
                Output::Event(Event::Closed) => self.closed = true,
                Output::Event(Event::RawPacket(raw)) => match *raw {
                    str0m::rtp::RawPacket::RtcpRx(str0m::rtp::rtcp::Rtcp::Twcc(twcc)) => self.twcc_feedback.push(twcc),
                    str0m::rtp::RawPacket::RtpTx(header, _) => self.twcc_sent.extend(header.ext_vals.transport_cc),
                    _ => {}
                },
                Output::Event(Event::RtpPacket(packet)) => self.received.push(ReceivedRtp {
                    ssrc: *packet.header.ssrc,
                    pt: *packet.header.payload_type,
                    seq: packet.header.sequence_number,
                    timestamp: packet.header.timestamp,
                    marker: packet.header.marker,
                    mid: packet.header.ext_vals.mid.map(|m| m.to_string()),
                    payload: packet.payload.to_vec(),
                }),
                Output::Event(_) => {}
            }
        }
    }
}

/// How long each peer of [`run_peers_until`] may wait for its socket in one turn.
const PEER_TURN: Duration = Duration::from_millis(2);

/// Runs several peers (each in short turns) until `done` holds of them or `timeout`
/// passes; whether it held. Tests where the gateway relays between peers need them all
/// alive at once.
pub fn run_peers_until(peers: &mut [&mut Peer], timeout: Duration, mut done: impl FnMut(&[&mut Peer]) -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if done(peers) {
            return true;
        }
        let now = Instant::now();
        if now >= deadline {
            return false;
        }
        for peer in peers.iter_mut() {
            peer.step((now + PEER_TURN).min(deadline));
            peer.receive_queued();
        }
    }
}

/// Runs several peers for `duration` (see [`run_peers_until`]).
pub fn run_peers_for(peers: &mut [&mut Peer], duration: Duration) {
    run_peers_until(peers, duration, |_| false);
}

/// Asserts that what a peer received with `ssrc` is exactly `sent` (payloads, in order),
/// relayed with payload type `pt` and consecutive sequence numbers: `what` names the
/// flow in failure messages.
pub fn check_relayed(received: &[ReceivedRtp], sent: &[Vec<u8>], pt: u8, ssrc: u32, what: &str) {
    let relayed: Vec<&ReceivedRtp> = received.iter().filter(|r| r.ssrc == ssrc).collect();
    let payloads: Vec<&[u8]> = relayed.iter().map(|r| r.payload.as_slice()).collect();
    let expected: Vec<&[u8]> = sent.iter().map(Vec::as_slice).collect();
    assert_eq!(payloads, expected, "{what}: the payloads received differ from those sent (SSRC {ssrc})");
    let pts: Vec<u8> = relayed.iter().map(|r| r.pt).collect();
    assert!(pts.iter().all(|p| *p == pt), "{what}: payload types {pts:?}, negotiated {pt}");
    let seqs: Vec<u16> = relayed.iter().map(|r| r.seq).collect();
    assert!(seqs.windows(2).all(|w| w[1] == w[0].wrapping_add(1)), "{what}: sequence numbers not consecutive: {seqs:?}");
}

/// Whether a datagram is RTP (not RTCP, STUN or DTLS), by its first two bytes (RFC 7983
/// demultiplexing; RTCP packet types 192-223 in the second byte).
pub fn is_rtp(datagram: &[u8]) -> bool {
    matches!(datagram, [128..=191, second, ..] if !(192..=223).contains(second))
}

/// The payload type an SDP gives `codec` (case-insensitive `a=rtpmap` name) in the m-line
/// whose `a=mid` is `mid`.
pub fn sdp_payload_type(sdp: &str, mid: &str, codec: &str) -> Option<u8> {
    media_section(sdp, mid)?.iter().find_map(|line| {
        let (pt, encoding) = line.strip_prefix("a=rtpmap:")?.split_once(' ')?;
        let name = encoding.split('/').next()?;
        name.eq_ignore_ascii_case(codec).then(|| pt.parse().ok()).flatten()
    })
}

/// The first `a=ssrc` of the m-line whose `a=mid` is `mid`: the SSRC the SDP's author sends
/// that media with.
pub fn sdp_ssrc(sdp: &str, mid: &str) -> Option<u32> {
    media_section(sdp, mid)?.iter().find_map(|line| line.strip_prefix("a=ssrc:")?.split(' ').next()?.parse().ok())
}

/// Long-polls `session` until an event satisfies `pred` (a bounded wait), and returns that
/// event.
pub fn wait_event(session: &Session, pred: impl Fn(&Json) -> bool) -> Json {
    let events = session.events_until(WAIT, |events| events.iter().any(&pred));
    events.into_iter().find(|e| pred(e)).expect("checked by events_until")
}

/// Long-polls `session` until an event carries a JSEP, and returns it after checking that it
/// is of `jsep_type` and that the plugin reported no error with it; an error event ends
/// the wait early.
pub fn wait_jsep(session: &Session, jsep_type: &str) -> Json {
    let event = wait_event(session, |e| e.get("jsep").is_some() || at(e, &["plugindata", "data", "error"]).is_some());
    assert!(at(&event, &["plugindata", "data", "error"]).is_none(), "{event:?}");
    assert_eq!(str_at(&event, &["jsep", "type"]), Some(jsep_type), "{event:?}");
    event
}

/// Trickles the peer's candidate and the end of candidates, each acknowledged.
pub fn trickle(handle: &Handle, peer: &Peer) {
    for candidate in [Some((peer.first_mid(), peer.candidate_attribute())), None] {
        let reply = handle.trickle(candidate.as_ref().map(|(mid, c)| (mid.as_str(), c.as_str())));
        assert_eq!(kind_of(&reply), Some("ack"), "{reply:?}");
    }
}

/// Offers the peer's `offer` SDP to `handle` in a `message` with `body` (acknowledged),
/// trickles ([`trickle`]) and returns the event that carries the plugin's answer
/// ([`wait_jsep`]); the caller has the peer accept it when it wants.
pub fn answer_event(session: &Session, handle: &Handle, peer: &Peer, body: &str, offer: &str) -> Json {
    let reply = handle.message_with_jsep(body, "offer", offer);
    assert_eq!(kind_of(&reply), Some("ack"), "{reply:?}");
    trickle(handle, peer);
    wait_jsep(session, "answer")
}

/// The SDP of the answer to `offer` ([`answer_event`]), not yet accepted.
pub fn offer_and_answer(session: &Session, handle: &Handle, peer: &Peer, body: &str, offer: &str) -> String {
    let event = answer_event(session, handle, peer, body, offer);
    str_at(&event, &["jsep", "sdp"]).expect("an answer SDP").to_string()
}

/// [`answer_event`], with the peer accepting the answer; returns the event.
pub fn send_offer(session: &Session, handle: &Handle, peer: &mut Peer, body: &str, offer: &str) -> Json {
    let event = answer_event(session, handle, peer, body, offer);
    peer.accept_answer(str_at(&event, &["jsep", "sdp"]).expect("an answer SDP"));
    event
}

/// Runs all the peers (see [`run_peers_until`]) until each completed ICE and DTLS (a
/// bounded wait); panics otherwise, with the gateway's log tail.
pub fn connect_peers(peers: &mut [&mut Peer], gateway: &Gateway) {
    let connected = run_peers_until(peers, WAIT, |peers| peers.iter().all(|p| p.is_connected()));
    assert!(connected, "ICE and DTLS did not complete for every peer\n{}", gateway.log_tail());
}

/// A str0m peer at `ip` that offered audio (and video when `video`) to the EchoTest through
/// `handle`, asking it for the same; returns it with the answer's SDP, not yet accepted.
pub fn echotest_offer(session: &Session, handle: &Handle, ip: IpAddr, video: bool) -> (Peer, String) {
    let mut peer = Peer::new(ip);
    let offer = peer.create_offer(true, video);
    let body = if video { r#"{"audio":true,"video":true}"# } else { r#"{"audio":true}"# };
    let answer = offer_and_answer(session, handle, &peer, body, &offer);
    (peer, answer)
}

/// A configs folder in the scratch folder `test` with `plugins`, whose ICE gathers on the
/// gateway's end of the private network only.
pub fn private_network_configs(test: &str, plugins: &[&str]) -> ConfigsFolder {
    let mut configs = ConfigsFolder::new(&super::scratch_dir(test), plugins);
    configs.set_item("nat", "ice_enforce_list", &format!("\"{GATEWAY_INTERFACE}\""));
    configs
}

/// The `a=candidate` values (`candidate:...`) of an SDP.
pub fn sdp_candidates(sdp: &str) -> Vec<String> {
    sdp.lines().filter_map(|l| l.trim_end().strip_prefix("a=").filter(|a| a.starts_with("candidate:"))).map(String::from).collect()
}

/// The lines of the m-section whose `a=mid` is `mid`.
fn media_section<'a>(sdp: &'a str, mid: &str) -> Option<Vec<&'a str>> {
    media_sections(sdp).into_iter().find(|s| s.iter().any(|l| l.strip_prefix("a=mid:") == Some(mid)))
}

/// The lines of each m-section of an SDP, in order, each starting with its `m=` line.
pub fn media_sections(sdp: &str) -> Vec<Vec<&str>> {
    let mut sections: Vec<Vec<&str>> = Vec::new();
    for line in sdp.lines().map(str::trim_end) {
        if line.starts_with("m=") {
            sections.push(Vec::new());
        }
        if let Some(section) = sections.last_mut() {
            section.push(line);
        }
    }
    sections
}

/// A synthetic Opus packet (RFC 6716 TOC: CELT fullband, 20 ms, mono, one frame) whose
/// body carries `index`, so that an echo can be matched to what was sent.
pub fn opus_payload(index: u32) -> Vec<u8> {
    let mut payload = vec![0xF8];
    payload.extend_from_slice(&index.to_be_bytes());
    payload.extend((0..75u8).map(|i| i.wrapping_mul(7) ^ index as u8));
    payload
}

/// A synthetic VP8 frame in one RTP payload: the RFC 7741 descriptor (start of partition
/// 0), a frame header (RFC 6386: a 320x240 key frame with its start code, or an inter
/// frame) and a body that carries `index`.
pub fn vp8_payload(index: u32, key_frame: bool) -> Vec<u8> {
    let mut payload = vec![0x10];
    let first_partition: u32 = 64;
    // Frame tag: key frame bit (0 = key), version 0, show_frame, first partition size.
    let tag = u32::from(!key_frame) | (1 << 4) | (first_partition << 5);
    payload.extend_from_slice(&tag.to_le_bytes()[..3]);
    if key_frame {
        payload.extend_from_slice(&[0x9D, 0x01, 0x2A]);
        payload.extend_from_slice(&320u16.to_le_bytes());
        payload.extend_from_slice(&240u16.to_le_bytes());
    }
    payload.extend_from_slice(&index.to_be_bytes());
    payload.extend((0..400u32).map(|i| (i.wrapping_mul(31) ^ index) as u8));
    payload
}
