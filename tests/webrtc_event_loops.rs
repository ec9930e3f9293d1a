//! Which threads carry the PeerConnections. Several EchoTest PeerConnections from str0m
//! peers, against `/usr/bin/janus` and ours: without `event_loops` Janus runs a loop thread
//! per handle where we share one loop per core; with `event_loops` both run that many
//! static loops, spread handles the same way (`loop_index` honoured with
//! `allow_loop_indication`) and report them alike through the Admin API's `loops_info`.

mod support;

use std::path::Path;
use std::time::Duration;

use janus::json::Json;
use support::gateway::{binary_under_test, with_transaction, Gateway, REFERENCE_BINARY};
use support::webrtc::{echotest_offer, in_private_network, private_network_configs, sdp_ssrc, Kind};

/// PeerConnections at once: more than the cores of a CI machine.
const PEERS: usize = 6;
const WAIT: Duration = Duration::from_secs(10);

/// The threads of process `pid` whose name starts with `hloop ` (Janus' loop threads).
fn loop_threads(pid: u32) -> usize {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).expect("the gateway's threads");
    tasks.filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok()).filter(|comm| comm.starts_with("hloop ")).count()
}

/// What a run saw while all its PeerConnections were up.
struct Observed {
    loop_threads: usize,
    /// The Admin API's `loops_info` reply's `loops`.
    loops_info: Json,
}

/// Connects `PEERS` audio-only EchoTest PeerConnections (handle `i` attached with
/// `loop_index` `i % 2` when `indicate`), checks each one echoes, and observes the loops.
fn run(binary: &Path, test: &str, event_loops: Option<u32>, indicate: bool) -> Observed {
    in_private_network(|net| {
        let mut configs = private_network_configs(test, &["echotest"]);
        configs.enable_websockets();
        configs.enable_admin();
        if let Some(n) = event_loops {
            configs.set_general("event_loops", &n.to_string());
            configs.set_general("allow_loop_indication", "true");
        }
        let gateway = Gateway::start(binary, &configs);
        let session = gateway.create_ws_session();
        let mut peers = Vec::new();
        for i in 0..PEERS {
            let handle = if indicate {
                session.attach_with("janus.plugin.echotest", &format!(r#""loop_index":{}"#, i % 2))
            } else {
                session.attach("janus.plugin.echotest")
            };
            let (mut peer, answer) = echotest_offer(&session, &handle, net.peer_ip.into(), false);
            let ssrc = sdp_ssrc(&answer, &peer.mid(Kind::Audio).unwrap()).expect("an audio SSRC answered");
            peer.connect(&answer, &gateway);
            peers.push((peer, ssrc));
        }
        // Every PeerConnection carries media while all are up.
        for (i, (peer, ssrc)) in peers.iter_mut().enumerate() {
            let before = peer.received().len();
            peer.send_audio(0..10);
            let ssrc = *ssrc;
            let echoed = peer.run_until(WAIT, |p| p.received()[before..].iter().filter(|r| r.ssrc == ssrc).count() >= 10);
            assert!(echoed, "no echo on PeerConnection {i}\n{}", gateway.log_tail());
        }
        let loops_info = gateway.admin("", &with_transaction(r#"{"janus":"loops_info"}"#));
        assert_eq!(loops_info.get("janus").and_then(Json::as_str), Some("success"), "{loops_info:?}");
        let observed = Observed { loop_threads: loop_threads(gateway.pid()), loops_info: loops_info.get("loops").cloned().expect("loops") };
        assert_eq!(session.destroy().get("janus").and_then(Json::as_str), Some("success"));
        assert!(gateway.is_running(), "the gateway died:\n{}", gateway.log_tail());
        observed
    })
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

#[test]
fn without_event_loops_janus_has_a_thread_per_handle_and_we_one_per_core() {
    let janus = run(Path::new(REFERENCE_BINARY), "loops-default-reference", None, false);
    let ours = run(&binary_under_test(), "loops-default-ours", None, false);
    assert!(janus.loop_threads >= PEERS, "Janus: {} loop threads for {PEERS} handles", janus.loop_threads);
    assert_eq!(ours.loop_threads, cores(), "ours: one loop per core");
    // Neither shows static loops.
    assert_eq!(janus.loops_info.to_compact_string(), "[]");
    assert_eq!(ours.loops_info.to_compact_string(), "[]");
}

#[test]
fn static_event_loops_are_shared_and_reported_alike() {
    let janus = run(Path::new(REFERENCE_BINARY), "loops-static-reference", Some(3), false);
    let ours = run(&binary_under_test(), "loops-static-ours", Some(3), false);
    assert_eq!((janus.loop_threads, ours.loop_threads), (3, 3));
    let expected = r#"[{"id":0,"handles":2},{"id":1,"handles":2},{"id":2,"handles":2}]"#;
    assert_eq!(janus.loops_info.to_compact_string(), expected);
    assert_eq!(ours.loops_info.to_compact_string(), expected);
}

#[test]
fn loop_index_picks_the_loop_when_allowed() {
    let janus = run(Path::new(REFERENCE_BINARY), "loops-indicated-reference", Some(3), true);
    let ours = run(&binary_under_test(), "loops-indicated-ours", Some(3), true);
    let expected = r#"[{"id":0,"handles":3},{"id":1,"handles":3},{"id":2,"handles":0}]"#;
    assert_eq!(janus.loops_info.to_compact_string(), expected);
    assert_eq!(ours.loops_info.to_compact_string(), expected);
}
