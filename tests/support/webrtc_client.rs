//! A WebRTC client made of the project's own building blocks, for end-to-end tests without
//! a browser: a libnice agent on loopback (controlling when it offers), a DTLS context with
//! its own certificate, and an SRTP session once DTLS is up. SDP is written by hand from
//! the pieces it exposes ([`Client::transport_lines`]). Every wait is bounded.

use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use janus::dtls::{DtlsCertificate, DtlsContext, DtlsEvent, DtlsOptions, DtlsRole, DtlsSettings};
use janus::ice::{Candidate, EventLoops, IceAgent, IceEvent, IceHandler, IceSettings, InterfaceFilter};
use janus::media::{classify, Datagram};
use janus::sdp::{parse_candidate, CandidateOutcome, PeerConnection as SdpPeer, SdpSettings};
use janus::srtp::{SrtpSession, RTCP_TRAILER_ROOM, RTP_TRAILER_ROOM};

pub const WAIT: Duration = Duration::from_secs(20);

/// The agent's events and datagrams, as channels.
struct Channels {
    events: Mutex<Sender<IceEvent>>,
    datagrams: Mutex<Sender<Vec<u8>>>,
}

impl IceHandler for Channels {
    fn on_event(&self, event: IceEvent) {
        let _ = self.events.lock().unwrap().send(event);
    }

    fn on_datagram(&self, data: &[u8]) {
        let _ = self.datagrams.lock().unwrap().send(data.to_vec());
    }
}

/// What arrived, decrypted.
#[derive(Debug)]
pub enum Received {
    Rtp(Vec<u8>),
    Rtcp(Vec<u8>),
}

pub struct Client {
    agent: Option<IceAgent>,
    /// One loop of its own, stopped with the client.
    event_loop: EventLoops,
    events: Receiver<IceEvent>,
    datagrams: Receiver<Vec<u8>>,
    dtls_settings: DtlsSettings,
    dtls: Option<DtlsContext>,
    srtp: Option<SrtpSession>,
}

/// The first value of `a=<name>` anywhere in an SDP.
pub fn attribute<'a>(sdp: &'a str, name: &str) -> Option<&'a str> {
    let prefix = format!("a={name}:");
    sdp.lines().find_map(|l| l.strip_prefix(prefix.as_str())).map(str::trim)
}

/// The SSRC of the first `a=ssrc` line of an SDP section.
pub fn first_ssrc(section: &str) -> Option<u32> {
    attribute(section, "ssrc").and_then(|v| v.split(' ').next()?.parse().ok())
}

impl Client {
    /// An agent gathering on loopback: controlling if we offer, controlled if we answer.
    pub fn new(offering: bool) -> Client {
        let event_loop = EventLoops::new(1, false);
        let handle_loop = event_loop.assign(1, None).unwrap();
        let (events_tx, events) = channel();
        let (datagrams_tx, datagrams) = channel();
        let settings =
            IceSettings { filter: InterfaceFilter { enforce: vec!["lo".into()], ..InterfaceFilter::default() }, ..IceSettings::default() };
        let channels = Arc::new(Channels { events: Mutex::new(events_tx), datagrams: Mutex::new(datagrams_tx) });
        let agent = IceAgent::new(&handle_loop, Arc::new(settings), !offering, channels).expect("client agent");
        let deadline = Instant::now() + WAIT;
        while !agent.gathering_done() {
            assert!(Instant::now() < deadline, "client gathering");
            std::thread::sleep(Duration::from_millis(10));
        }
        let certificate = DtlsCertificate::generate(false).unwrap();
        let dtls_settings = DtlsSettings::new(&certificate, DtlsOptions::default()).unwrap();
        Client { agent: Some(agent), event_loop, events, datagrams, dtls_settings, dtls: None, srtp: None }
    }

    fn agent(&self) -> &IceAgent {
        self.agent.as_ref().unwrap()
    }

    /// ICE credentials, fingerprint, `setup`, `mid`, rtcp-mux and our candidates, as the
    /// lines of one m-section.
    pub fn transport_lines(&self, mid: &str, setup: &str) -> String {
        let (ufrag, pwd) = self.agent().local_credentials().unwrap();
        let mut t = format!(
            "c=IN IP4 127.0.0.1\r\na=rtcp:9 IN IP4 0.0.0.0\r\na=ice-ufrag:{ufrag}\r\na=ice-pwd:{pwd}\r\na=ice-options:trickle\r\n\
             a=fingerprint:sha-256 {}\r\na=setup:{setup}\r\na=mid:{mid}\r\na=rtcp-mux\r\n",
            self.dtls_settings.local_fingerprint()
        );
        for c in self.agent().local_candidates() {
            t.push_str(&format!("a=candidate:{c}\r\n"));
        }
        t
    }

    /// A sendrecv offer of Opus audio (mid 0, `audio_ssrc`) and VP8 video (mid 1,
    /// `video_ssrc`), bundled, with the mid extension.
    pub fn offer(&self, audio_ssrc: u32, video_ssrc: u32) -> String {
        let mut sdp = String::from(
            "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\na=msid-semantic: WMS *\r\n",
        );
        let extras = "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\na=sendrecv\r\n";
        sdp.push_str("m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n");
        sdp.push_str(&self.transport_lines("0", "actpass"));
        sdp.push_str(extras);
        sdp.push_str("a=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n");
        sdp.push_str(&format!("a=ssrc:{audio_ssrc} cname:client\r\na=ssrc:{audio_ssrc} msid:s a\r\n"));
        sdp.push_str("m=video 9 UDP/TLS/RTP/SAVPF 96\r\n");
        sdp.push_str(&self.transport_lines("1", "actpass"));
        sdp.push_str(extras);
        sdp.push_str("a=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 nack\r\na=rtcp-fb:96 nack pli\r\na=rtcp-fb:96 ccm fir\r\n");
        sdp.push_str(&format!("a=ssrc:{video_ssrc} cname:client\r\na=ssrc:{video_ssrc} msid:s v\r\n"));
        sdp
    }

    /// A receive-only answer to a gateway's offer: every m-line accepted with its first
    /// payload type (and that type's rtpmap), bundled, DTLS active.
    pub fn answer(&self, offer: &str) -> String {
        let mut sections = offer.split("\r\nm=").skip(1).map(|s| format!("m={s}"));
        let mut mids = Vec::new();
        let mut body = String::new();
        for section in sections.by_ref() {
            let header = section.lines().next().unwrap();
            let fields: Vec<&str> = header.trim_start_matches("m=").split(' ').collect();
            let (kind, pt) = (fields[0], fields.get(3).copied().unwrap_or("0"));
            let mid = attribute(&section, "mid").unwrap_or("0").to_owned();
            body.push_str(&format!("m={kind} 9 UDP/TLS/RTP/SAVPF {pt}\r\n"));
            body.push_str(&self.transport_lines(&mid, "active"));
            body.push_str("a=recvonly\r\n");
            let rtpmap = format!("a=rtpmap:{pt} ");
            if let Some(line) = section.lines().find(|l| l.starts_with(&rtpmap)) {
                body.push_str(&format!("{line}\r\n"));
            }
            mids.push(mid);
        }
        format!("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE {}\r\n{body}", mids.join(" "))
    }

    /// Connects to the gateway described by `remote` (its SDP, candidates included): ICE
    /// checks until a pair is selected, then the DTLS handshake in `role`, then SRTP.
    /// `log` gives the gateway's log for failure messages.
    pub fn connect(&mut self, remote: &str, role: DtlsRole, log: impl Fn() -> String) {
        if let Err(e) = self.try_connect(remote, role) {
            panic!("{e}\n{}", log());
        }
    }

    /// As [`Client::connect`], reporting a failure instead of panicking.
    pub fn try_connect(&mut self, remote: &str, role: DtlsRole) -> Result<(), String> {
        self.connect_ice(remote)?;
        let agent = self.agent.as_ref().unwrap();
        let fingerprint = attribute(remote, "fingerprint").unwrap().strip_prefix("sha-256 ").unwrap();
        let mut dtls = DtlsContext::new(&self.dtls_settings, role).unwrap();
        dtls.set_remote_fingerprint("sha-256", fingerprint);
        dtls.start(Instant::now());
        let mut app = [0u8; 1500];
        let deadline = Instant::now() + WAIT;
        let material = 'handshake: loop {
            if Instant::now() >= deadline {
                return Err("DTLS did not complete".into());
            }
            while let Some(out) = dtls.poll_transmit() {
                agent.send(out);
            }
            match dtls.poll_event() {
                Some(DtlsEvent::Connected(m)) => break 'handshake m,
                Some(other) => return Err(format!("DTLS: {other:?}")),
                None => {}
            }
            if let Ok(d) = self.datagrams.recv_timeout(Duration::from_millis(20)) {
                if classify(&d) == Datagram::Dtls {
                    dtls.handle_incoming(&d, Instant::now(), &mut app);
                }
            }
            dtls.handle_timeout(Instant::now());
        };
        // Our last flight may still be queued.
        while let Some(out) = dtls.poll_transmit() {
            agent.send(out);
        }
        self.srtp = Some(SrtpSession::new(material.profile, &material.keys).unwrap());
        self.dtls = Some(dtls);
        Ok(())
    }

    /// ICE only: the gateway's credentials and candidates, checks until a pair is selected.
    pub fn connect_ice(&mut self, remote: &str) -> Result<(), String> {
        let agent = self.agent.as_ref().unwrap();
        agent.set_remote_credentials(attribute(remote, "ice-ufrag").unwrap(), attribute(remote, "ice-pwd").unwrap());
        let mut description = SdpPeer::default();
        let mut candidates = Vec::new();
        for line in remote.lines().filter_map(|l| l.strip_prefix("a=candidate:")) {
            if let Ok(CandidateOutcome::Added(i)) = parse_candidate(&mut description, &SdpSettings::default(), line) {
                candidates.extend(Candidate::from_remote(&description.remote_candidates[i]));
            }
        }
        assert!(!candidates.is_empty(), "no candidates in {remote}");
        agent.add_remote_candidates(candidates);
        let deadline = Instant::now() + WAIT;
        loop {
            match self.events.recv_timeout(Duration::from_millis(100)) {
                Ok(IceEvent::SelectedPair(_)) => return Ok(()),
                _ if Instant::now() >= deadline => return Err("ICE did not connect".into()),
                _ => {}
            }
        }
    }

    /// Sends bytes as they are (no SRTP).
    pub fn send_raw(&self, datagram: &[u8]) {
        self.agent().send(datagram);
    }

    pub fn srtp(&self) -> &SrtpSession {
        self.srtp.as_ref().expect("connected")
    }

    pub fn send_rtp(&mut self, packet: &[u8]) {
        let mut buf = vec![0u8; packet.len() + RTP_TRAILER_ROOM];
        buf[..packet.len()].copy_from_slice(packet);
        let n = self.srtp.as_mut().expect("connected").protect_rtp(&mut buf, packet.len()).unwrap();
        self.agent().send(&buf[..n]);
    }

    pub fn send_rtcp(&mut self, packet: &[u8]) {
        let mut buf = vec![0u8; packet.len() + RTCP_TRAILER_ROOM];
        buf[..packet.len()].copy_from_slice(packet);
        let n = self.srtp.as_mut().expect("connected").protect_rtcp(&mut buf, packet.len()).unwrap();
        self.agent().send(&buf[..n]);
    }

    /// The next RTP or RTCP packet that arrives within `wait` and decrypts.
    pub fn receive(&mut self, wait: Duration) -> Option<Received> {
        let until = Instant::now() + wait;
        while let Some(d) = self.receive_raw(until.saturating_duration_since(Instant::now())) {
            if let Some(r) = self.unprotect(&d) {
                return Some(r);
            }
        }
        None
    }

    /// The next datagram that arrives within `wait`, as it came (SRTP headers are clear).
    pub fn receive_raw(&mut self, wait: Duration) -> Option<Vec<u8>> {
        self.datagrams.recv_timeout(wait).ok()
    }

    /// Decrypts an SRTP or SRTCP datagram.
    pub fn unprotect(&mut self, d: &[u8]) -> Option<Received> {
        let srtp = self.srtp.as_mut().expect("connected");
        let mut packet = d.to_vec();
        packet.resize(d.len() + RTP_TRAILER_ROOM, 0);
        match classify(d) {
            Datagram::Rtp => {
                let n = srtp.unprotect_rtp(&mut packet, d.len()).ok()?;
                packet.truncate(n);
                Some(Received::Rtp(packet))
            }
            Datagram::Rtcp => {
                let n = srtp.unprotect_rtcp(&mut packet, d.len()).ok()?;
                packet.truncate(n);
                Some(Received::Rtcp(packet))
            }
            _ => None,
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        drop(self.agent.take());
        self.event_loop.stop(Duration::from_secs(5));
    }
}

/// An RTP packet (version 2, no extension).
pub fn rtp_packet(pt: u8, seq: u16, timestamp: u32, ssrc: u32, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![0x80, pt];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&timestamp.to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend_from_slice(payload);
    p
}
