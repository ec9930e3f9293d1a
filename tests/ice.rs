//! ICE over libnice, two agents in one process on loopback: a controlling full agent
//! playing the browser, and ours (controlled, full or Lite) as Janus would set it up;
//! credentials and candidates travel in memory, as the candidate strings Janus writes and
//! parses. Every wait is bounded.

use std::collections::HashSet;
use std::net::UdpSocket;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use janus::ice::{Candidate, EventLoops, HandleLoop, IceAgent, IceEvent, IceHandler, IceSettings, IceState, InterfaceFilter, NatMapping};
use janus::sdp::{parse_candidate, CandidateOutcome, PeerConnection, SdpSettings};

const WAIT: Duration = Duration::from_secs(20);
const PACKETS: usize = 50;

/// Records events and counts datagrams.
#[derive(Default)]
struct Recorder {
    events: Mutex<Vec<IceEvent>>,
    datagrams: AtomicUsize,
    /// The loop threads datagrams arrived on.
    threads: Mutex<HashSet<String>>,
}

impl IceHandler for Recorder {
    fn on_event(&self, event: IceEvent) {
        self.events.lock().unwrap().push(event);
    }

    fn on_datagram(&self, data: &[u8]) {
        assert_eq!(data[0], 0x80, "only our datagrams reach the handler (no STUN)");
        if self.datagrams.fetch_add(1, Ordering::SeqCst) % 16 == 0 {
            let name = thread::current().name().unwrap_or("?").to_owned();
            self.threads.lock().unwrap().insert(name);
        }
    }
}

impl Recorder {
    fn events(&self) -> Vec<IceEvent> {
        self.events.lock().unwrap().clone()
    }

    fn has(&self, f: impl Fn(&IceEvent) -> bool) -> bool {
        self.events.lock().unwrap().iter().any(f)
    }

    fn count(&self) -> usize {
        self.datagrams.load(Ordering::SeqCst)
    }
}

fn wait_until(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if f() {
            return true;
        }
        thread::sleep(Duration::from_millis(10));
    }
    f()
}

fn loopback_settings() -> IceSettings {
    IceSettings { filter: InterfaceFilter { enforce: vec!["lo".into()], ..Default::default() }, ..Default::default() }
}

/// Parses candidate lines as Janus parses SDP/trickle candidates.
fn parse(lines: &[String]) -> Vec<Candidate> {
    let mut pc = PeerConnection::default();
    let settings = SdpSettings::default();
    let mut out = Vec::new();
    for line in lines {
        if let Ok(CandidateOutcome::Added(i)) = parse_candidate(&mut pc, &settings, line) {
            out.push(Candidate::from_remote(&pc.remote_candidates[i]).expect("valid candidate"));
        }
    }
    out
}

struct Side {
    agent: IceAgent,
    rec: Arc<Recorder>,
    /// Held so that the loop counts the side's handle.
    _handle_loop: HandleLoop,
}

fn side(loops: &EventLoops, handle_id: u64, settings: IceSettings, got_offer: bool) -> Side {
    let rec = Arc::new(Recorder::default());
    let handle_loop = loops.assign(handle_id, None).unwrap();
    let agent = IceAgent::new(&handle_loop, Arc::new(settings), got_offer, rec.clone()).expect("agent");
    Side { agent, rec, _handle_loop: handle_loop }
}

fn exchange_credentials(a: &Side, b: &Side) {
    let (u, p) = a.agent.local_credentials().unwrap();
    assert!(b.agent.set_remote_credentials(&u, &p));
    let (u, p) = b.agent.local_credentials().unwrap();
    assert!(a.agent.set_remote_credentials(&u, &p));
}

/// Half trickle: wait for gathering, then hand over the SDP candidates.
fn exchange_sdp_candidates(a: &Side, b: &Side) {
    for s in [a, b] {
        assert!(wait_until(WAIT, || s.agent.gathering_done()), "gathering done");
    }
    let (la, lb) = (a.agent.local_candidates(), b.agent.local_candidates());
    assert!(!la.is_empty() && !lb.is_empty());
    for line in la.iter().chain(&lb) {
        assert!(line.contains(" 127.0.0.1 ") && line.contains("typ host"), "loopback host candidate: {line}");
    }
    b.agent.add_remote_candidates(parse(&la));
    a.agent.add_remote_candidates(parse(&lb));
}

fn connected(s: &Side) -> bool {
    s.agent.state().is_connected() && s.agent.selected_pair().is_some()
}

fn datagram(i: usize) -> [u8; 100] {
    let mut d = [0u8; 100];
    d[0] = 0x80;
    d[1..9].copy_from_slice(&(i as u64).to_be_bytes());
    d
}

/// Sends `PACKETS` datagrams each way and checks they all arrive.
fn traffic_both_ways(a: &Side, b: &Side) {
    let (a0, b0) = (a.rec.count(), b.rec.count());
    for i in 0..PACKETS {
        assert_eq!(a.agent.send(&datagram(i)), Some(100));
        assert_eq!(b.agent.send(&datagram(i)), Some(100));
    }
    assert!(wait_until(WAIT, || a.rec.count() >= a0 + PACKETS && b.rec.count() >= b0 + PACKETS), "datagrams both ways");
}

fn connect_pair(ours: &Side, browser: &Side) {
    exchange_credentials(ours, browser);
    exchange_sdp_candidates(ours, browser);
    assert!(wait_until(WAIT, || connected(ours) && connected(browser)), "ICE connected: {:?}", ours.rec.events());
}

fn close(s: Side) {
    assert!(s.agent.close(WAIT), "libnice agent torn down");
}

#[test]
fn full_ice_half_trickle_connects_and_carries_datagrams() {
    let loops = EventLoops::new(2, false);
    let browser = side(&loops, 9101, loopback_settings(), false);
    let ours = side(&loops, 9102, loopback_settings(), true);
    assert!(browser.agent.controlling() && !ours.agent.controlling());
    connect_pair(&ours, &browser);
    traffic_both_ways(&ours, &browser);
    // Datagrams are delivered on the handle's loop thread (the second handle, the second loop).
    assert_eq!(*ours.rec.threads.lock().unwrap(), HashSet::from(["hloop 1".to_string()]));
    // What we reported, in Janus' terms.
    let ev = ours.rec.events();
    assert!(ev.contains(&IceEvent::GatheringDone));
    assert!(ev.iter().any(|e| matches!(e, IceEvent::StateChanged(IceState::Connecting))));
    let pair = ours.agent.selected_pair().unwrap();
    assert!(pair.starts_with("127.0.0.1:") && pair.contains(" [host,udp] <-> 127.0.0.1:"), "{pair}");
    assert!(ev.iter().any(|e| matches!(e, IceEvent::SelectedPair(p) if p.text == pair && p.local.address.ip().is_loopback())));
    // Half trickle: no candidate events.
    assert!(!ev.iter().any(|e| matches!(e, IceEvent::LocalCandidate(_))));
    close(ours);
    close(browser);
    assert!(loops.stop(WAIT), "loop threads ended");
}

#[test]
fn full_trickle_candidates_added_after_start() {
    let loops = EventLoops::new(2, false);
    let trickle = IceSettings { full_trickle: true, ..loopback_settings() };
    let browser = side(&loops, 9201, trickle.clone(), false);
    let ours = side(&loops, 9202, trickle, true);
    assert_eq!(loops.info(), vec![(0, 1), (1, 1)], "one handle on each loop");
    exchange_credentials(&ours, &browser);
    // Forward each trickled candidate as it shows up, until both sides are connected.
    let mut forwarded = [0usize; 2];
    let ok = wait_until(WAIT, || {
        for (i, (from, to)) in [(&ours, &browser), (&browser, &ours)].into_iter().enumerate() {
            let lines: Vec<String> = from
                .rec
                .events()
                .into_iter()
                .filter_map(|e| match e {
                    IceEvent::LocalCandidate(c) => Some(c),
                    _ => None,
                })
                .collect();
            if lines.len() > forwarded[i] {
                for l in &lines[forwarded[i]..] {
                    assert!(l.starts_with("candidate:") && l.contains(" 127.0.0.1 "), "{l}");
                }
                to.agent.add_remote_candidates(parse(&lines[forwarded[i]..]));
                forwarded[i] = lines.len();
            }
        }
        connected(&ours) && connected(&browser)
    });
    assert!(ok, "trickled ICE connected: {:?}", ours.rec.events());
    assert!(forwarded[0] > 0 && forwarded[1] > 0);
    assert!(ours.rec.has(|e| *e == IceEvent::GatheringDone));
    traffic_both_ways(&ours, &browser);
    assert_eq!(*ours.rec.threads.lock().unwrap(), HashSet::from(["hloop 1".to_string()]));
    assert!(ours.agent.close(WAIT) && browser.agent.close(WAIT));
    assert!(loops.stop(WAIT));
}

#[test]
fn ice_lite_on_our_side() {
    let loops = EventLoops::new(0, false);
    let browser = side(&loops, 9301, loopback_settings(), false);
    // Even for an offer we make, ICE-Lite keeps us controlled.
    let ours = side(&loops, 9302, IceSettings { ice_lite: true, ..loopback_settings() }, false);
    assert!(!ours.agent.controlling());
    connect_pair(&ours, &browser);
    traffic_both_ways(&ours, &browser);
    close(ours);
    close(browser);
}

#[test]
fn sdp_candidates_with_nat_1_1_and_port_range() {
    let loops = EventLoops::new(0, false);
    let settings = IceSettings {
        nat_1_1: Some(NatMapping { public_ips: vec!["203.0.113.1".into()], keep_private_host: true }),
        rtp_port_range: (42000, 42999),
        ..loopback_settings()
    };
    let ours = side(&loops, 9701, settings, true);
    assert!(wait_until(WAIT, || ours.agent.gathering_done()));
    let lines = ours.agent.local_candidates();
    // The public address first, then the private one kept.
    assert_eq!(lines.len(), 2, "{lines:?}");
    let fields: Vec<Vec<&str>> = lines.iter().map(|l| l.split(' ').collect()).collect();
    assert_eq!(fields[0][4], "203.0.113.1");
    assert_eq!(fields[1][4], "127.0.0.1");
    assert_eq!(fields[0][5], fields[1][5]);
    let port: u16 = fields[0][5].parse().unwrap();
    assert!((42000..=42999).contains(&port), "port {port} in rtp_port_range");
    close(ours);
}

#[test]
fn ice_restart_changes_credentials_and_reconnects() {
    let loops = EventLoops::new(0, false);
    let browser = side(&loops, 9401, loopback_settings(), false);
    let ours = side(&loops, 9402, loopback_settings(), true);
    connect_pair(&ours, &browser);
    traffic_both_ways(&ours, &browser);
    let before = (ours.agent.local_credentials().unwrap(), browser.agent.local_credentials().unwrap());
    // The browser restarts, we detect it in its new offer and restart too.
    assert!(browser.agent.restart());
    assert!(ours.agent.restart());
    let after = (ours.agent.local_credentials().unwrap(), browser.agent.local_credentials().unwrap());
    assert_ne!(before.0, after.0);
    assert_ne!(before.1, after.1);
    let states_before = ours.rec.events().len();
    exchange_credentials(&ours, &browser);
    let (lo, lb) = (ours.agent.local_candidates(), browser.agent.local_candidates());
    browser.agent.add_remote_candidates(parse(&lo));
    ours.agent.add_remote_candidates(parse(&lb));
    // Checks run again with the new credentials and the pair is (re)established.
    let rechecked = wait_until(WAIT, || {
        ours.rec.events()[states_before..].iter().any(|e| matches!(e, IceEvent::StateChanged(s) if s.is_connected())) && connected(&browser)
    });
    assert!(rechecked, "reconnected after restart: {:?}", &ours.rec.events()[states_before..]);
    traffic_both_ways(&ours, &browser);
    close(ours);
    close(browser);
}

#[test]
fn fails_when_the_remote_never_answers() {
    let loops = EventLoops::new(0, false);
    // A peer that receives our checks and never answers them.
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let settings = IceSettings {
        stun_initial_timeout_ms: Some(50),
        stun_max_retransmissions: Some(2),
        idle_timeout_ms: Some(300),
        ..loopback_settings()
    };
    let ours = side(&loops, 9501, settings, true);
    assert!(ours.agent.set_remote_credentials("silentufrag", "silentpasswordsilentpass"));
    assert!(wait_until(WAIT, || ours.agent.gathering_done()));
    ours.agent.add_remote_candidates(parse(&[format!("1 1 udp 2015363327 127.0.0.1 {port} typ host")]));
    let start = Instant::now();
    assert!(wait_until(WAIT, || ours.agent.state() == IceState::Failed), "failed: {:?}", ours.rec.events());
    // libnice's defaults would take over 5 s (the idle timeout alone).
    assert!(start.elapsed() < Duration::from_secs(4), "short timers fail fast ({:?})", start.elapsed());
    assert!(ours.rec.has(|e| *e == IceEvent::StateChanged(IceState::Failed)));
    // The checks did reach the silent peer.
    silent.set_read_timeout(Some(Duration::from_secs(1))).unwrap();
    let mut buf = [0u8; 1500];
    let (n, _) = silent.recv_from(&mut buf).unwrap();
    assert!(n >= 20 && buf[4..8] == [0x21, 0x12, 0xa4, 0x42], "a STUN binding request");
    assert_eq!(ours.agent.send(&datagram(0)), None, "nothing to send on");
    close(ours);
}

#[test]
fn teardown_while_traffic_flows() {
    // Our side on a loop of its own, to see it stop while the browser's goes on.
    let (loops, our_loops) = (EventLoops::new(1, false), EventLoops::new(1, false));
    let browser = side(&loops, 9601, loopback_settings(), false);
    let ours = side(&our_loops, 9602, loopback_settings(), true);
    connect_pair(&ours, &browser);
    let Side { agent, rec, .. } = ours;
    let ours_agent = Arc::new(agent);
    // The browser floods us while one of our threads sends; our agent goes mid-flow (from
    // whichever thread lets go of it last).
    let flood = {
        let browser = &browser.agent;
        thread::scope(|s| {
            let sender = {
                let agent = ours_agent.clone();
                s.spawn(move || {
                    for i in 0..2000 {
                        agent.send(&datagram(i));
                    }
                })
            };
            let flooding = s.spawn(|| {
                let mut sent = 0;
                let until = Instant::now() + Duration::from_millis(600);
                while Instant::now() < until {
                    browser.send(&datagram(sent));
                    sent += 1;
                    if sent % 64 == 0 {
                        thread::sleep(Duration::from_millis(1));
                    }
                }
                sent
            });
            assert!(wait_until(WAIT, || rec.count() > 100), "traffic flowing");
            drop(ours_agent);
            sender.join().unwrap();
            flooding.join().unwrap()
        })
    };
    assert!(flood > 100);
    assert!(our_loops.stop(WAIT), "our loop thread ended");
    // Nothing reaches the handler after teardown.
    let n = rec.count();
    for i in 0..20 {
        browser.agent.send(&datagram(i));
    }
    thread::sleep(Duration::from_millis(200));
    assert_eq!(rec.count(), n);
    close(browser);
}
