//! Our gateway against the reference `/usr/bin/janus`, side by side:
//! `cargo bench --bench side_by_side` (as root). The gateways run in the private network
//! namespace of the WebRTC tests, with str0m peers as clients, and are measured on
//! 1. CPU per relayed packet: one EchoTest PeerConnection echoing video packets sent at a
//!    fixed rate (the gateway's user+system CPU over the packets echoed);
//! 2. VideoRoom fan-out: one publisher, several subscribers, CPU per packet delivered, and
//!    its inverse, packets delivered per second of one core;
//! 3. setup latency: attach, offer/answer, ICE and DTLS until the `webrtcup` event (median);
//! 4. memory and idle CPU per PeerConnection, over many EchoTest PeerConnections.
//!
//! For 1 and 2 both gateways run at once, measured in alternating rounds. The clients stay
//! light while a gateway is timed: str0m protects the packets beforehand and the sockets are
//! read here, RTP only counted (never decrypted), everything else (STUN, DTLS, RTCP) handed
//! to str0m. The table (ours/Janus ratios) is printed and written to
//! `target/side_by_side.json`. Every wait is bounded; every process started is stopped; the
//! traffic never leaves the namespace.

#[path = "../tests/support/mod.rs"]
mod support;

use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use janus::json::{Json, Object};
use support::gateway::{ConfigsFolder, Gateway, REFERENCE_BINARY};
use support::json::{at, str_at};
use support::webrtc::{
    connect_peers, in_private_network, is_rtp, send_offer, trickle, vp8_payload, wait_event, wait_jsep, Kind, Peer, PrivateNetwork,
    GATEWAY_INTERFACE,
};

/// EchoTest: packets sent per round, and their rate.
const ECHO_PACKETS: u32 = 5_000;
const ECHO_RATE: u32 = 4_000;
/// VideoRoom: subscribers of the one publisher, packets it sends per round, and their rate.
const SUBSCRIBERS: usize = 10;
const FANOUT_PACKETS: u32 = 1_250;
const FANOUT_RATE: u32 = 1_000;
/// CPU rounds: in each, every gateway in turn runs the EchoTest then the VideoRoom, so
/// that a change of the machine's load hits both alike (which goes first alternates); the
/// table takes the median round, and the range of the rounds' ratios (ours/Janus, one
/// round of each, next to each other in time) shows how much the machine's load moved them.
const ROUNDS: usize = 10;
/// EchoTest PeerConnections kept up at once for the memory measure (each one's setup is
/// also a latency sample): 50, or `BENCH_PEER_CONNECTIONS` (for a run at scale).
fn peer_connection_count() -> usize {
    std::env::var("BENCH_PEER_CONNECTIONS").ok().and_then(|n| n.parse().ok()).filter(|n| *n > 0).unwrap_or(50)
}
/// RTP payload bytes: with str0m's header extensions and the SRTP tag, datagrams of about
/// 1200 bytes.
const PAYLOAD: usize = 1150;
/// How long packets still in flight may take to arrive once the last one was sent.
const DRAIN: Duration = Duration::from_secs(1);
/// How often str0m's timers run while the benchmark drives the sockets.
const TICK: Duration = Duration::from_millis(20);
/// How long the gateway gets to settle before its memory is read.
const SETTLE: Duration = Duration::from_secs(1);
/// How long the gateway's CPU is read with PeerConnections up and no media.
const IDLE: Duration = Duration::from_secs(2);

fn main() {
    // `cargo test --all-targets` runs benches too, without `--bench`: this one takes minutes
    // and measures rather than checks, so it only runs under `cargo bench`.
    if !std::env::args().any(|a| a == "--bench") {
        println!("side_by_side: a benchmark, run it with `cargo bench --bench side_by_side`");
        return;
    }
    let gateways = [("Janus", PathBuf::from(REFERENCE_BINARY)), ("ours", PathBuf::from(env!("CARGO_BIN_EXE_janus")))];
    println!("load before: {}", load_average());
    // Both gateways up at once for the CPU rounds, each with its own clients.
    let cpu = in_private_network(|net| cpu_rounds(&gateways, net));
    // Memory and setup on a fresh gateway each, whose allocator no other work has warmed.
    let results: Vec<Results> = gateways
        .iter()
        .zip(cpu)
        .map(|((name, binary), cpu)| {
            let memory = in_private_network(|net| peer_connections(binary, name, net));
            let results = Results { cpu, memory };
            println!("\n== {name} ({})", binary.display());
            results.print_details();
            results
        })
        .collect();
    println!("\nload after: {}", load_average());
    report(&results[0], &results[1]);
}

/// Everything measured on one gateway.
struct Results {
    cpu: CpuResults,
    memory: MemoryResults,
}

struct CpuResults {
    /// The gateway's CPU per second with the EchoTest PeerConnection up, before media.
    idle_per_second: Duration,
    echo: Vec<Pumped>,
    fanout: Vec<Pumped>,
}

struct MemoryResults {
    /// Setup times of the PeerConnections, in order.
    setups: Vec<Duration>,
    /// VmRSS growth over the PeerConnections, in KiB.
    rss_growth_kib: u64,
    /// Growth of the gateway's thread count over the PeerConnections.
    thread_growth: usize,
    /// The gateway's CPU per second with all the PeerConnections up and no media.
    idle_per_second: Duration,
}

/// One gateway's clients in the CPU rounds: indexes into the peers of all gateways.
struct Clients {
    echo: usize,
    /// The VideoRoom publisher, followed by its subscribers.
    room: std::ops::Range<usize>,
}

fn cpu_rounds(gateways: &[(&str, PathBuf)], net: &PrivateNetwork) -> Vec<CpuResults> {
    let running: Vec<Gateway> = gateways.iter().map(|(name, binary)| start_gateway(binary, &format!("bench-cpu-{name}"))).collect();
    let mut peers = Vec::new();
    let mut clients = Vec::new();
    let mut results = Vec::new();
    for gateway in &running {
        let mut echo = echotest_peer(gateway, net);
        let idle_per_second = idle_cpu(gateway, &mut [&mut echo]);
        peers.push(echo);
        let room = videoroom_peers(gateway, net);
        clients.push(Clients { echo: peers.len() - 1, room: peers.len()..peers.len() + room.len() });
        peers.extend(room);
        results.push(CpuResults { idle_per_second, echo: Vec::new(), fanout: Vec::new() });
    }
    let payload = payload();
    for round in 0..ROUNDS {
        let mut order: Vec<usize> = (0..running.len()).collect();
        if round % 2 == 1 {
            order.reverse();
        }
        for i in order {
            let (gateway, clients, results) = (&running[i], &clients[i], &mut results[i]);
            let (to, packets) = peers[clients.echo].protect_ahead(Kind::Video, &payload, ECHO_PACKETS);
            results.echo.push(pump(gateway, &mut peers, clients.echo, &[clients.echo], to, &packets, ECHO_RATE));
            let publisher = clients.room.start;
            let subscribers: Vec<usize> = (publisher + 1..clients.room.end).collect();
            let (to, packets) = peers[publisher].protect_ahead(Kind::Video, &payload, FANOUT_PACKETS);
            results.fanout.push(pump(gateway, &mut peers, publisher, &subscribers, to, &packets, FANOUT_RATE));
        }
    }
    for gateway in &running {
        assert!(gateway.is_running(), "the gateway died:\n{}", gateway.log_tail());
    }
    results
}

/// A gateway with the EchoTest and the VideoRoom, gathering on the namespace's gateway end,
/// without session timeouts (the memory measure keeps sessions idle for a while).
fn start_gateway(binary: &Path, scratch: &str) -> Gateway {
    let mut configs = ConfigsFolder::new(&support::scratch_dir(scratch), &["echotest", "videoroom"]);
    configs.set_item("nat", "ice_enforce_list", &format!("\"{GATEWAY_INTERFACE}\""));
    configs.set_general("session_timeout", "0");
    configs.set_general("debug_level", "3");
    Gateway::start(binary, &configs)
}

/// How long the gateway's CPU is busy per second of [`IDLE`] while `peers` (all of the
/// gateway's PeerConnections, without media) keep their connections alive: what the
/// per-packet figures include beyond the packets. Read from the threads' scheduler
/// statistics, in nanoseconds, since /proc/<pid>/stat counts in 10 ms ticks; no thread
/// starts or ends meanwhile.
fn idle_cpu(gateway: &Gateway, peers: &mut [&mut Peer]) -> Duration {
    let before = threads_cpu(gateway.pid()).0;
    support::webrtc::run_peers_for(peers, IDLE);
    threads_cpu(gateway.pid()).0.saturating_sub(before).div_f64(IDLE.as_secs_f64())
}

// ---------------------------------------------------------------------------------------
// The scenarios.

/// A connected EchoTest PeerConnection, sending and receiving video.
fn echotest_peer(gateway: &Gateway, net: &PrivateNetwork) -> Peer {
    let session = gateway.create_session();
    let handle = session.attach("janus.plugin.echotest");
    let mut peer = Peer::new(net.peer_ip.into());
    let offer = peer.create_offer(false, true);
    send_offer(&session, &handle, &mut peer, r#"{"audio":false,"video":true}"#, &offer);
    connect_peers(&mut [&mut peer], gateway);
    peer
}

/// The VideoRoom room of the fan-out.
const ROOM: u64 = 777;

/// A VideoRoom publisher of video and its [`SUBSCRIBERS`] subscribers, all connected.
fn videoroom_peers(gateway: &Gateway, net: &PrivateNetwork) -> Vec<Peer> {
    let publisher_session = gateway.create_session();
    let publisher_handle = publisher_session.attach("janus.plugin.videoroom");
    // No periodic keyframe requests: the publisher does not answer them anyway.
    let created = publisher_handle.request(&format!(r#"{{"request":"create","room":{ROOM},"publishers":1,"fir_freq":0}}"#));
    assert_eq!(str_at(&created, &["videoroom"]), Some("created"), "{created:?}");
    let reply = publisher_handle.message(&format!(r#"{{"request":"join","ptype":"publisher","room":{ROOM}}}"#));
    assert_eq!(str_at(&reply, &["janus"]), Some("ack"), "{reply:?}");
    let joined = wait_event(&publisher_session, |e| str_at(e, &["plugindata", "data", "videoroom"]) == Some("joined"));
    let feed = at(&joined, &["plugindata", "data", "id"]).and_then(Json::as_i64).expect("publisher id");
    let mut publisher = Peer::new(net.peer_ip.into());
    let offer = publisher.create_offer(false, true);
    send_offer(&publisher_session, &publisher_handle, &mut publisher, r#"{"request":"publish"}"#, &offer);
    connect_peers(&mut [&mut publisher], gateway);

    let mut peers = vec![publisher];
    for _ in 0..SUBSCRIBERS {
        let session = gateway.create_session();
        let handle = session.attach("janus.plugin.videoroom");
        let join = format!(r#"{{"request":"join","ptype":"subscriber","room":{ROOM},"streams":[{{"feed":{feed}}}]}}"#);
        let reply = handle.message(&join);
        assert_eq!(str_at(&reply, &["janus"]), Some("ack"), "{reply:?}");
        let attached = wait_jsep(&session, "offer");
        let mut subscriber = Peer::new(net.peer_ip.into());
        let answer = subscriber.accept_offer(str_at(&attached, &["jsep", "sdp"]).expect("an offer"));
        let reply = handle.message_with_jsep(r#"{"request":"start"}"#, "answer", &answer);
        assert_eq!(str_at(&reply, &["janus"]), Some("ack"), "{reply:?}");
        trickle(&handle, &subscriber);
        wait_event(&session, |e| str_at(e, &["plugindata", "data", "started"]) == Some("ok"));
        peers.push(subscriber);
    }
    connect_peers(&mut peers.iter_mut().collect::<Vec<_>>(), gateway);
    peers
}

/// On a fresh gateway: sets up one warm-up EchoTest PeerConnection, reads VmRSS, sets up
/// [`peer_connection_count`] more, each timed from its attach to its `webrtcup`, and reads
/// VmRSS again once the gateway settled (thread counts too), then its idle CPU.
fn peer_connections(binary: &Path, name: &str, net: &PrivateNetwork) -> MemoryResults {
    let gateway = start_gateway(binary, &format!("bench-memory-{name}"));
    let pid = gateway.pid();
    let mut peers = Vec::new();
    let mut setups = Vec::new();
    let mut before = (0, 0);
    for i in 0..=peer_connection_count() {
        if i == 1 {
            std::thread::sleep(SETTLE);
            before = (rss_kib(pid), threads(pid));
        }
        let session = gateway.create_session();
        let start = Instant::now();
        let handle = session.attach("janus.plugin.echotest");
        let mut peer = Peer::new(net.peer_ip.into());
        let offer = peer.create_offer(false, true);
        send_offer(&session, &handle, &mut peer, r#"{"audio":false,"video":true}"#, &offer);
        connect_peers(&mut [&mut peer], &gateway);
        wait_event(&session, |e| str_at(e, &["janus"]) == Some("webrtcup"));
        if i > 0 {
            setups.push(start.elapsed());
        }
        peers.push(peer);
    }
    std::thread::sleep(SETTLE);
    let rss_growth_kib = rss_kib(pid).saturating_sub(before.0);
    let thread_growth = threads(pid).saturating_sub(before.1);
    let idle_per_second = idle_cpu(&gateway, &mut peers.iter_mut().collect::<Vec<_>>());
    assert!(gateway.is_running(), "the gateway died:\n{}", gateway.log_tail());
    MemoryResults { setups, rss_growth_kib, thread_growth, idle_per_second }
}

/// The video payload sent: a VP8 inter frame, padded to [`PAYLOAD`] bytes.
fn payload() -> Vec<u8> {
    let mut payload = vp8_payload(0, false);
    payload.resize(PAYLOAD, 0x5a);
    payload
}

// ---------------------------------------------------------------------------------------
// Moving packets, light on the client side.

/// What one [`pump`] saw.
struct Pumped {
    sent: usize,
    /// RTP packets the receivers got.
    received: u64,
    datagram_len: usize,
    /// Bytes after the payload: the SRTP tag, 16 with AES-GCM, 10 with AES-CM/HMAC-SHA1-80.
    srtp_trailer: usize,
    /// From the first packet sent to the last one received (or the drain timeout).
    elapsed: Duration,
    /// How long sending took, against the planned `sent / rate`.
    sending: Duration,
    gateway_cpu: Duration,
    client_cpu: Duration,
    /// Datagrams the namespace's UDP sockets (gateway's or clients') dropped for want of
    /// buffer room meanwhile.
    dropped: u64,
}

impl Pumped {
    fn gateway_us_per_packet(&self) -> f64 {
        self.gateway_cpu.as_secs_f64() * 1e6 / self.received.max(1) as f64
    }

    fn client_us_per_packet(&self) -> f64 {
        self.client_cpu.as_secs_f64() * 1e6 / (self.sent as u64 + self.received).max(1) as f64
    }

    /// Whether the client's own CPU could have limited what was measured: it was busy
    /// for most of the run, or could not keep the sending rate.
    fn client_bound(&self, rate: u32) -> bool {
        let planned = Duration::from_secs_f64(self.sent as f64 / f64::from(rate));
        self.client_cpu.as_secs_f64() > 0.5 * self.elapsed.as_secs_f64() || self.sending.as_secs_f64() > 1.1 * planned.as_secs_f64()
    }
}

/// Sends `packets` (already protected, for `to`) from `peers[sender]` at `rate` per
/// second, reading every peer's socket meanwhile: RTP is counted, the rest goes to str0m,
/// whose timers keep running. Ends when each of the `receivers` got as many RTP packets as
/// were sent, or [`DRAIN`] after the last one was sent. The gateway's CPU is read around it.
fn pump(
    gateway: &Gateway,
    peers: &mut [Peer],
    sender: usize,
    receivers: &[usize],
    to: SocketAddr,
    packets: &[Vec<u8>],
    rate: u32,
) -> Pumped {
    let mut counts = vec![0u64; peers.len()];
    for peer in peers.iter() {
        peer.socket().set_nonblocking(true).expect("non-blocking socket");
        // Room for what arrives while this thread is not scheduled (the machine is shared):
        // a datagram dropped here would still be counted in the gateway's CPU.
        set_receive_buffer(peer.socket(), RECEIVE_BUFFER);
    }
    let mut fds: Vec<libc::pollfd> =
        peers.iter().map(|p| libc::pollfd { fd: p.socket().as_raw_fd(), events: libc::POLLIN, revents: 0 }).collect();
    let mut buffer = [0u8; 2048];
    let pid = gateway.pid();
    let (threads_before, ticks_before) = (threads_cpu(pid), process_cpu(pid));
    let dropped_before = udp_receive_buffer_errors();
    let client_before = thread_cpu();
    let start = Instant::now();
    let mut sent = 0;
    let mut sending = None;
    let mut last_tick = start;
    loop {
        let now = Instant::now();
        let due = ((now - start).as_secs_f64() * f64::from(rate)) as usize;
        while sent < due.min(packets.len()) {
            match peers[sender].socket().send_to(&packets[sent], to) {
                Ok(_) => sent += 1,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(e) => panic!("UDP send: {e}"),
            }
        }
        if sent == packets.len() {
            let done = *sending.get_or_insert(now - start);
            let all_in = receivers.iter().all(|r| counts[*r] >= packets.len() as u64);
            if all_in || now - start > done + DRAIN {
                break;
            }
        }
        // SAFETY: `fds` is a live array of pollfd of the length given.
        let ready = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, 1) };
        if ready > 0 {
            for (i, fd) in fds.iter().enumerate() {
                if fd.revents & libc::POLLIN == 0 {
                    continue;
                }
                while let Ok((n, source)) = peers[i].socket().recv_from(&mut buffer) {
                    if is_rtp(&buffer[..n]) {
                        counts[i] += 1;
                    } else {
                        peers[i].take_datagram(source, &buffer[..n]);
                    }
                }
            }
        }
        if now - last_tick >= TICK {
            peers.iter_mut().for_each(|p| p.tick());
            last_tick = now;
        }
    }
    let elapsed = start.elapsed();
    let client_cpu = thread_cpu() - client_before;
    let dropped = udp_receive_buffer_errors() - dropped_before;
    let (threads_after, ticks_after) = (threads_cpu(pid), process_cpu(pid));
    // The threads' own counters are precise (ns) but only add up while the same threads
    // live; otherwise the process' count (10 ms ticks, ended threads included).
    let gateway_cpu = if threads_after.1 == threads_before.1 {
        threads_after.0.saturating_sub(threads_before.0)
    } else {
        ticks_after.saturating_sub(ticks_before)
    };
    for peer in peers.iter() {
        peer.socket().set_nonblocking(false).expect("blocking socket");
    }
    Pumped {
        sent,
        received: receivers.iter().map(|r| counts[*r]).sum(),
        datagram_len: packets[0].len(),
        srtp_trailer: packets[0].len().saturating_sub(rtp_header_len(&packets[0]) + PAYLOAD),
        elapsed,
        sending: sending.unwrap_or(elapsed),
        dropped,
        gateway_cpu,
        client_cpu,
    }
}

/// The length of an RTP packet's header: fixed part, CSRCs and header extension.
fn rtp_header_len(packet: &[u8]) -> usize {
    let csrcs = 12 + 4 * usize::from(packet[0] & 0x0f);
    if packet[0] & 0x10 == 0 {
        return csrcs;
    }
    let words = u16::from_be_bytes([packet[csrcs + 2], packet[csrcs + 3]]);
    csrcs + 4 + 4 * usize::from(words)
}

// ---------------------------------------------------------------------------------------
// Reading the kernel's accounting.

/// User plus system CPU time of process `pid` (all its threads, past and present).
fn process_cpu(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("/proc/<pid>/stat");
    // Fields after the parenthesised command name, from the state (field 3): utime is 14, stime 15.
    let fields: Vec<&str> = stat.rsplit_once(") ").expect("a stat line").1.split_whitespace().collect();
    let ticks: u64 = fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime");
    // SAFETY: sysconf has no preconditions.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    Duration::from_secs_f64(ticks as f64 / per_second)
}

/// CPU time of process `pid`'s live threads, counted in nanoseconds (the first field of
/// each thread's schedstat), and which threads those are.
fn threads_cpu(pid: u32) -> (Duration, Vec<String>) {
    let mut threads = Vec::new();
    let mut nanoseconds = 0;
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).expect("/proc/<pid>/task").flatten() {
        let stat = std::fs::read_to_string(task.path().join("schedstat")).unwrap_or_default();
        if let Some(ran) = stat.split_whitespace().next().and_then(|n| n.parse::<u64>().ok()) {
            nanoseconds += ran;
            threads.push(task.file_name().to_string_lossy().into_owned());
        }
    }
    threads.sort();
    (Duration::from_nanos(nanoseconds), threads)
}

/// Datagrams dropped so far in the calling thread's network namespace because a UDP
/// socket's receive buffer was full (`RcvbufErrors` of the `Udp:` lines of snmp).
fn udp_receive_buffer_errors() -> u64 {
    let snmp = std::fs::read_to_string("/proc/thread-self/net/snmp").expect("/proc/thread-self/net/snmp");
    let mut udp = snmp.lines().filter(|l| l.starts_with("Udp:"));
    let (names, values) = (udp.next().unwrap_or_default(), udp.next().unwrap_or_default());
    names
        .split_whitespace()
        .zip(values.split_whitespace())
        .find(|(name, _)| *name == "RcvbufErrors")
        .and_then(|(_, value)| value.parse().ok())
        .expect("RcvbufErrors in snmp")
}

/// Receive buffer of the clients' sockets.
const RECEIVE_BUFFER: libc::c_int = 8 << 20;

/// Sets a socket's receive buffer, beyond `rmem_max` (SO_RCVBUFFORCE: the benchmark runs as root).
fn set_receive_buffer(socket: &std::net::UdpSocket, bytes: libc::c_int) {
    // SAFETY: a live socket, and a c_int option value of the size given.
    let done = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVBUFFORCE,
            (&bytes as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    assert_eq!(done, 0, "SO_RCVBUFFORCE: {}", std::io::Error::last_os_error());
}

/// CPU time of the calling thread: the client's own cost.
fn thread_cpu() -> Duration {
    let mut now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `now` is a valid timespec to write.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
}

/// Resident memory of process `pid`, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc/<pid>/status");
    status.lines().find_map(|l| l.strip_prefix("VmRSS:")).and_then(|v| v.split_whitespace().next()?.parse().ok()).expect("VmRSS")
}

/// How many threads process `pid` has.
fn threads(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/task")).map(|tasks| tasks.count()).unwrap_or(0)
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg").unwrap_or_default().split_whitespace().take(3).collect::<Vec<_>>().join(" ")
}

// ---------------------------------------------------------------------------------------
// Reporting.

/// The median of `values` (the upper one of an even count).
fn median(values: impl IntoIterator<Item = f64>) -> f64 {
    let mut sorted: Vec<f64> = values.into_iter().collect();
    sorted.sort_by(f64::total_cmp);
    sorted.get(sorted.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Milliseconds, as the JSON carries durations.
fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

impl Results {
    fn print_details(&self) {
        println!("idle, one EchoTest PeerConnection up: gateway CPU {:.2?} per second", self.cpu.idle_per_second);
        for (what, rounds, rate) in self.scenarios() {
            if let Some(first) = rounds.first() {
                let size = (first.datagram_len, first.srtp_trailer);
                println!("{what}: datagrams of {} bytes (SRTP trailer {}), sent at {rate}/s", size.0, size.1);
            }
            for (round, pumped) in rounds.iter().enumerate() {
                println!(
                    "  round {round}: sent {} in {:.2?}, received {} in {:.2?}, {} dropped by full sockets; gateway CPU \
                     {:.2?} = {:.2} us per packet; client CPU {:.1} us per packet handled{}",
                    pumped.sent,
                    pumped.sending,
                    pumped.received,
                    pumped.elapsed,
                    pumped.dropped,
                    pumped.gateway_cpu,
                    pumped.gateway_us_per_packet(),
                    pumped.client_us_per_packet(),
                    if pumped.client_bound(rate) { "  !! the client's own CPU may have limited this round" } else { "" },
                );
            }
        }
        let setups: Vec<String> = self.memory.setups.iter().map(|d| d.as_millis().to_string()).collect();
        println!("setups (ms): {}", setups.join(" "));
        println!(
            "{} PeerConnections: VmRSS +{} KiB, threads +{}, idle gateway CPU {:.2?} per second",
            peer_connection_count(),
            self.memory.rss_growth_kib,
            self.memory.thread_growth,
            self.memory.idle_per_second
        );
    }

    /// The CPU scenarios: name, rounds, sending rate.
    fn scenarios(&self) -> [(&'static str, &[Pumped], u32); 2] {
        [("EchoTest", &self.cpu.echo, ECHO_RATE), ("VideoRoom", &self.cpu.fanout, FANOUT_RATE)]
    }

    /// What the table's figures were computed from, and what qualifies them.
    fn details(&self) -> Object {
        let rounds = |rounds: &[Pumped], rate: u32| {
            let rounds = rounds.iter().map(|p| {
                Json::from(
                    Object::new()
                        .with("sent", p.sent as u64)
                        .with("rate", rate)
                        .with("received", p.received)
                        .with("dropped_by_full_sockets", p.dropped)
                        .with("datagram_bytes", p.datagram_len as u64)
                        .with("srtp_trailer_bytes", p.srtp_trailer as u64)
                        .with("gateway_cpu_ms", ms(p.gateway_cpu))
                        .with("gateway_us_per_packet", p.gateway_us_per_packet())
                        .with("client_cpu_ms", ms(p.client_cpu))
                        .with("client_bound", p.client_bound(rate)),
                )
            });
            Json::from(rounds.collect::<Vec<_>>())
        };
        Object::new()
            .with("idle_cpu_ms_per_s_one_peer_connection", ms(self.cpu.idle_per_second))
            .with("echotest_rounds", rounds(&self.cpu.echo, ECHO_RATE))
            .with("videoroom_rounds", rounds(&self.cpu.fanout, FANOUT_RATE))
            .with("setup_ms", Json::from(self.memory.setups.iter().map(|d| Json::from(ms(*d))).collect::<Vec<_>>()))
            .with("rss_growth_kib", self.memory.rss_growth_kib)
            .with("thread_growth", self.memory.thread_growth as u64)
    }

    /// Per CPU metric of the table (the first two), each round's gateway CPU per packet.
    fn rounds(&self) -> [Vec<f64>; 2] {
        [&self.cpu.echo, &self.cpu.fanout].map(|rounds| rounds.iter().map(Pumped::gateway_us_per_packet).collect())
    }

    /// The table's metrics: name, unit, value, whether lower is better.
    fn metrics(&self) -> Vec<(String, &'static str, f64, bool)> {
        let echo_us = median(self.cpu.echo.iter().map(Pumped::gateway_us_per_packet));
        let fanout_us = median(self.cpu.fanout.iter().map(Pumped::gateway_us_per_packet));
        let pcs = peer_connection_count() as f64;
        vec![
            (format!("EchoTest CPU per relayed packet ({ECHO_RATE} pps)"), "us", echo_us, true),
            (format!("VideoRoom CPU per delivered packet (1 to {SUBSCRIBERS})"), "us", fanout_us, true),
            ("VideoRoom fan-out per core".into(), "packets/s", 1e6 / fanout_us, false),
            ("Setup to webrtcup (median)".into(), "ms", median(self.memory.setups.iter().map(|d| ms(*d))), true),
            ("Memory per PeerConnection".into(), "KiB", self.memory.rss_growth_kib as f64 / pcs, true),
            ("Idle CPU per PeerConnection".into(), "us/s", self.memory.idle_per_second.as_secs_f64() * 1e6 / pcs, true),
        ]
    }
}

/// Prints the table and writes it as JSON to `target/side_by_side.json`.
fn report(janus: &Results, ours: &Results) {
    println!("\n{:<50} {:>10} {:>10} {:>11} {:>18}", "metric", "Janus", "ours", "ours/Janus", "rounds' ratios");
    let number = |v: f64| if v.is_finite() { Json::from(v) } else { Json::Null };
    // The CPU metrics' rounds, paired: ours/Janus of each round, sorted.
    let paired: Vec<Vec<f64>> = janus
        .rounds()
        .iter()
        .zip(ours.rounds())
        .map(|(reference, value)| {
            let mut ratios: Vec<f64> = reference.iter().zip(value).map(|(r, v)| v / r).collect();
            ratios.sort_by(f64::total_cmp);
            ratios
        })
        .collect();
    let mut rows = Vec::new();
    for (i, ((name, unit, reference, lower_better), (_, _, value, _))) in janus.metrics().into_iter().zip(ours.metrics()).enumerate() {
        let ratio = value / reference;
        let range = match paired.get(i) {
            Some(ratios) if !ratios.is_empty() => format!("{:.2}-{:.2}", ratios[0], ratios[ratios.len() - 1]),
            _ => String::new(),
        };
        println!(
            "{:<50} {:>10} {:>10} {:>11.2} {:>18}",
            format!("{name} [{unit}]"),
            format_value(reference),
            format_value(value),
            ratio,
            range
        );
        let mut row = Object::new()
            .with("metric", name)
            .with("unit", unit)
            .with("janus", number(reference))
            .with("ours", number(value))
            .with("ratio", number(ratio))
            .with("lower_is_better", lower_better);
        if let Some(ratios) = paired.get(i) {
            row.set("rounds_ratios", Json::from(ratios.iter().map(|r| number(*r)).collect::<Vec<_>>()));
        }
        rows.push(Json::from(row));
    }
    let notes: Vec<Json> = [("Janus", janus), ("ours", ours)]
        .into_iter()
        .flat_map(|(name, results)| results.scenarios().map(move |(what, rounds, rate)| (name, what, rounds, rate)))
        .filter(|(_, _, rounds, rate)| rounds.iter().any(|p| p.client_bound(*rate)))
        .map(|(name, what, _, _)| Json::from(format!("{name}, {what}: the client's own CPU may have limited a round")))
        .collect();
    for note in &notes {
        println!("note: {}", note.as_str().unwrap_or_default());
    }
    let document = Object::new()
        .with("load_average_after", load_average())
        .with("metrics", Json::from(rows))
        .with("details", Object::new().with("janus", janus.details()).with("ours", ours.details()))
        .with("notes", Json::from(notes));
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/side_by_side.json");
    std::fs::write(&path, Json::from(document).to_compact_string() + "\n").unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    println!("written to {}", path.display());
}

fn format_value(value: f64) -> String {
    if value >= 100.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.2}")
    }
}
