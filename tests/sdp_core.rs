//! The core's SDP handling around plugins (`src/sdp`: preparse, process_remote, anonymize,
//! handle_plugin_sdp/merge) against what Janus 1.1.2 does with the same browser offers.
//!
//! Golden files in `tests/data/sdp-core/` come from `/usr/bin/janus` (regenerate them
//! with `cargo test --test sdp_core -- --ignored regenerate_goldens`): for each offer,
//! `<name>.anonymized.sdp` is what Janus hands the plugin, `<name>.plugin-answer.sdp` the
//! answer the stock echotest writes for it (our port of `janus_sdp_generate_answer`),
//! pushed verbatim by a probe script plugin, `<name>.merged.sdp` what Janus sends the
//! peer for that answer, and `<name>.echotest.sdp` what it sends when the real echotest
//! plugin answers. Janus' random values are normalised: ICE credentials, fingerprint and
//! SSRCs (numbered by first appearance), candidates dropped; its public address is pinned
//! with `nat_1_1_mapping`.

mod support;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use janus::json::Json;
use janus::sdp::{self, DtlsRole, LocalTransport, PeerConnection, Property, SdpSettings};
use support::gateway::{ConfigsFolder, Gateway, REFERENCE_BINARY};

const OFFERS: [&str; 3] = ["chrome", "firefox", "safari"];
const PUBLIC_IP: &str = "192.0.2.1";
const UFRAG: &str = "UFRAG";
const PWD: &str = "PWD";
const FINGERPRINT: &str = "FINGERPRINT";
/// The wall clock a merge reads when the plugin's SDP has no origin ids (Firefox' offer
/// has version 0, so the answer the echotest copies from it has too).
const NOW_US: i64 = 1700000000000000;
/// The SSRCs Janus' random ones are renumbered to, in order of first appearance.
const FIRST_SSRC: u32 = 1000001;

fn data(name: &str) -> PathBuf {
    support::manifest_dir().join("tests/data").join(name)
}

fn read(name: &str) -> String {
    std::fs::read_to_string(data(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn settings() -> SdpSettings {
    SdpSettings { public_ip: PUBLIC_IP.into(), ..SdpSettings::default() }
}

fn local() -> LocalTransport {
    LocalTransport { ufrag: UFRAG.into(), pwd: PWD.into(), fingerprint: FINGERPRINT.into(), candidates: Vec::new() }
}

/// Janus' random SSRCs, as a sequence our side draws from.
fn ssrcs() -> impl FnMut() -> u32 {
    let mut next = FIRST_SSRC;
    move || {
        next += 1;
        next - 1
    }
}

/// What the stock echotest answers to `offer` (no codec, profile or RED preference).
fn echotest_answer(offer_text: &str) -> String {
    let offer = sdp::parse(offer_text).expect("anonymized offer parses");
    let mut custom_fmtp = String::new();
    for m in offer.m_lines.iter().filter(|m| m.mtype == sdp::MediaType::Audio && m.port > 0) {
        for v in m.attributes.iter().filter(|a| a.is("fmtp")).filter_map(|a| a.value.as_deref()) {
            for token in ["useinbandfec=1", "usedtx=1", "stereo=1"] {
                if v.contains(token) {
                    if !custom_fmtp.is_empty() {
                        custom_fmtp.push(';');
                    }
                    custom_fmtp.push_str(token);
                }
            }
        }
    }
    let mut answer = sdp::generate_answer(&offer);
    for m in &offer.m_lines {
        let audio = m.mtype == sdp::MediaType::Audio;
        let mut props = vec![
            Property::MLine(m.mtype as i32),
            Property::Codec(None),
            Property::Fmtp((audio && !custom_fmtp.is_empty()).then(|| custom_fmtp.clone())),
            Property::AcceptOpusRed(false),
            Property::Vp9Profile(None),
            Property::H264Profile(None),
        ];
        for uri in [
            janus::rtp::extensions::EXTMAP_MID,
            janus::rtp::extensions::EXTMAP_RID,
            janus::rtp::extensions::EXTMAP_REPAIRED_RID,
            janus::rtp::extensions::EXTMAP_AUDIO_LEVEL,
            janus::rtp::extensions::EXTMAP_VIDEO_ORIENTATION,
            janus::rtp::extensions::EXTMAP_PLAYOUT_DELAY,
            janus::rtp::extensions::EXTMAP_TRANSPORT_WIDE_CC,
            sdp::EXTMAP_DEPENDENCY_DESC,
        ] {
            props.push(Property::AcceptExtmap(Some(uri.into())));
        }
        props.push(Property::Done);
        sdp::generate_answer_mline(Some(&offer), &mut answer, m, &props).expect("answer m-line");
    }
    // The echotest does not send anything itself.
    for t in [sdp::MediaType::Audio, sdp::MediaType::Video] {
        if let Some(m) = answer.m_lines.iter_mut().find(|m| m.mtype == t) {
            if m.direction == sdp::Direction::SendOnly {
                m.direction = sdp::Direction::Inactive;
            }
        }
    }
    String::from_utf8(sdp::write(&mut answer)).expect("ASCII SDP")
}

/// The core's side for a browser offer, as `janus.c` runs it for a first offer: the
/// PeerConnection and the SDP the plugin gets.
fn process_offer(offer: &str) -> (PeerConnection, String) {
    let pre = sdp::preparse(offer, true).expect("offer preparses");
    let role = if pre.dtls_role == Some(DtlsRole::Client) { DtlsRole::Server } else { DtlsRole::Client };
    let mut pc = PeerConnection::new(role);
    let mut parsed = pre.sdp;
    let mut random = ssrcs();
    sdp::process_remote(&mut pc, &mut parsed, &settings(), true, false, &mut random).expect("offer processes");
    sdp::apply_remote_extensions(&mut pc, offer, &parsed, true);
    sdp::anonymize(&mut parsed);
    (pc, String::from_utf8(sdp::write(&mut parsed)).expect("ASCII SDP"))
}

fn merge_answer(pc: PeerConnection, answer: &str) -> String {
    let mut pc = Some(pc);
    let mut random = || panic!("no SSRC is drawn for an answer");
    let out = sdp::handle_plugin_sdp(&mut pc, "answer", answer, &settings(), &local(), NOW_US, &mut random).expect("answer merges");
    assert!(!out.offer && !out.updating && !out.created);
    out.merged.sdp
}

#[test]
fn anonymized_offers_match_janus() {
    for name in OFFERS {
        let offer = read(&format!("sdp/{name}-offer.sdp"));
        let (_, anonymized) = process_offer(&offer);
        assert_eq!(anonymized, read(&format!("sdp-core/{name}.anonymized.sdp")), "{name}");
        assert_eq!(echotest_answer(&anonymized), read(&format!("sdp-core/{name}.plugin-answer.sdp")), "{name}");
    }
}

#[test]
fn merged_answers_match_janus() {
    for name in OFFERS {
        let offer = read(&format!("sdp/{name}-offer.sdp"));
        let (pc, _) = process_offer(&offer);
        let merged = merge_answer(pc, &read(&format!("sdp-core/{name}.plugin-answer.sdp")));
        assert_eq!(merged, read(&format!("sdp-core/{name}.merged.sdp")), "{name}");
        // The real echotest answers the same, so the whole chain matches too.
        assert_eq!(merged, read(&format!("sdp-core/{name}.echotest.sdp")), "{name}");
    }
}

/// Replaces Janus' random values in a merged SDP (see the module comment); `plugin` is
/// the plugin's SDP, whose origin says whether Janus put the time in.
fn normalise(text: &str, plugin: &str) -> String {
    let origin = sdp::parse(plugin).expect("plugin SDP parses");
    let timed = origin.o_sessid == 0 || origin.o_version == 0;
    let mut ssrcs: Vec<String> = Vec::new();
    let mut number = |s: &str| -> String {
        let i = ssrcs.iter().position(|x| x == s).unwrap_or_else(|| {
            ssrcs.push(s.to_owned());
            ssrcs.len() - 1
        });
        (FIRST_SSRC + i as u32).to_string()
    };
    let mut out = String::new();
    for line in text.split_inclusive("\r\n") {
        let body = line.trim_end_matches("\r\n");
        let fixed = if body.starts_with("a=candidate:") {
            continue;
        } else if let (true, Some(rest)) = (timed, body.strip_prefix("o=")) {
            let mut fields: Vec<String> = rest.split(' ').map(String::from).collect();
            if fields.len() > 1 {
                fields[1] = NOW_US.to_string();
            }
            format!("o={}", fields.join(" "))
        } else if body.starts_with("a=ice-ufrag:") {
            format!("a=ice-ufrag:{UFRAG}")
        } else if body.starts_with("a=ice-pwd:") {
            format!("a=ice-pwd:{PWD}")
        } else if let Some(rest) = body.strip_prefix("a=fingerprint:") {
            format!("a=fingerprint:{} {FINGERPRINT}", rest.split(' ').next().unwrap_or_default())
        } else if let Some(rest) = body.strip_prefix("a=ssrc:") {
            let (ssrc, tail) = rest.split_once(' ').unwrap_or((rest, ""));
            format!("a=ssrc:{} {tail}", number(ssrc))
        } else if let Some(rest) = body.strip_prefix("a=ssrc-group:FID ") {
            let ids: Vec<String> = rest.split(' ').map(&mut number).collect();
            format!("a=ssrc-group:FID {}", ids.join(" "))
        } else {
            body.to_owned()
        };
        out.push_str(&fixed);
        out.push_str(&line[body.len()..]);
    }
    out
}

/// A Janus session and handle of the reference gateway, driven by JSON text.
struct Reference<'g> {
    gateway: &'g Gateway,
    session: i64,
    handle: i64,
}

impl Reference<'_> {
    fn send(&self, body: &str, jsep: Option<&str>) {
        let jsep = jsep.map(|sdp| format!(r#","jsep":{{"type":"offer","sdp":{}}}"#, Json::Str(sdp.into()).to_compact_string()));
        let request = format!(r#"{{"janus":"message","transaction":"t","body":{body}{}}}"#, jsep.unwrap_or_default());
        let reply = self.gateway.post(&format!("/janus/{}/{}", self.session, self.handle), &request);
        assert_eq!(reply.get("janus").and_then(Json::as_str), Some("ack"), "{reply:?}");
    }

    /// The next event of the handle carrying plugin data (keepalives are skipped).
    fn event(&self) -> Json {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            let path = format!("/janus/{}?maxev=1", self.session);
            let (_, body) =
                support::gateway::http_exchange(self.gateway.http_port, "GET", &path, None, Duration::from_secs(35)).expect("long poll");
            let event = support::gateway::parse_json(&body);
            if event.get("plugindata").is_some() {
                return event;
            }
        }
        panic!("no event from the reference gateway:\n{}", self.gateway.log_tail());
    }
}

fn jsep_sdp(event: &Json) -> String {
    event.get("jsep").and_then(|j| j.get("sdp")).and_then(Json::as_str).unwrap_or_else(|| panic!("no jsep in {event:?}")).to_owned()
}

fn reference_gateway(name: &str) -> (ConfigsFolder, Gateway) {
    let dir = support::scratch_dir(name);
    let configs = ConfigsFolder::new(&dir, &["duktape", "echotest"]);
    let core = std::fs::read_to_string(configs.path("janus.jcfg")).expect("janus.jcfg");
    configs.write("janus.jcfg", &format!("{core}nat: {{\n\tnat_1_1_mapping = \"{PUBLIC_IP}\"\n}}\n"));
    let script = data("sdp-core/sdp-probe.js");
    configs.write(
        "janus.plugin.duktape.jcfg",
        &format!("general: {{\n\tpath = \"/usr/share/janus/duktape\"\n\tscript = \"{}\"\n}}\n", script.display()),
    );
    let gateway = Gateway::start(std::path::Path::new(REFERENCE_BINARY), &configs);
    (configs, gateway)
}

fn attach<'g>(gateway: &'g Gateway, plugin: &str) -> Reference<'g> {
    let session = gateway.create_session();
    let handle = session.attach(plugin);
    Reference { gateway, session: session.id, handle: handle.id }
}

#[test]
#[ignore = "regenerates the golden files from /usr/bin/janus"]
fn regenerate_goldens() {
    let (_configs, gateway) = reference_gateway("sdp-core-goldens");
    for name in OFFERS {
        let offer = read(&format!("sdp/{name}-offer.sdp"));
        let write = |suffix: &str, text: &str| std::fs::write(data(&format!("sdp-core/{name}.{suffix}.sdp")), text).expect("golden");
        let probe = attach(&gateway, "janus.plugin.duktape");
        probe.send(r#"{"probe":true}"#, Some(&offer));
        let seen = probe.event();
        let anonymized = seen.get("plugindata").and_then(|p| p.get("data")).and_then(|d| d.get("sdp")).and_then(Json::as_str);
        let anonymized = anonymized.unwrap_or_else(|| panic!("{seen:?}")).to_owned();
        write("anonymized", &anonymized);
        let answer = echotest_answer(&anonymized);
        write("plugin-answer", &answer);
        probe.send(&format!(r#"{{"answer":{}}}"#, Json::Str(answer.clone()).to_compact_string()), None);
        write("merged", &normalise(&jsep_sdp(&probe.event()), &answer));
        let echotest = attach(&gateway, "janus.plugin.echotest");
        echotest.send(r#"{"audio":true,"video":true}"#, Some(&offer));
        write("echotest", &normalise(&jsep_sdp(&echotest.event()), &answer));
    }
}

/// The plugin side of a plugin-initiated negotiation (as a VideoRoom subscriber): the
/// offer Janus sends to the peer for `plugin-offer.sdp` on a fresh handle.
#[test]
fn merged_plugin_offer_matches_janus() {
    let offer = read("sdp-core/plugin-offer.sdp");
    let mut pc = None;
    // Audio and video media each draw an SSRC and an rtx one; audio's rtx SSRC is never
    // shown, so it is not part of the renumbering.
    let mut drawn = [FIRST_SSRC, 7, FIRST_SSRC + 1, FIRST_SSRC + 2].into_iter();
    let mut random = || drawn.next().expect("four SSRCs");
    let out = sdp::handle_plugin_sdp(&mut pc, "offer", &offer, &settings(), &local(), NOW_US, &mut random).expect("offer merges");
    assert!(out.offer && out.created && !out.updating);
    assert_eq!(out.merged.sdp, read("sdp-core/plugin-offer.merged.sdp"));
    let pc = pc.expect("PeerConnection created");
    assert_eq!(pc.dtls_role, DtlsRole::Actpass);
    assert_eq!(pc.extensions.mid, 1);
    assert_eq!(pc.extensions.transport_wide_cc, 3);
    assert!(pc.extensions.do_transport_wide_cc);
    assert_eq!(pc.extensions.dependency_descriptor, 12);
    assert_eq!(pc.extensions.audio_level, 4);
    assert_eq!(pc.media[0].opusred_pt, 63);
    assert_eq!(
        pc.media[1].rtx_payload_types.as_ref().map(|t| t.iter().map(|(a, b)| (*a, *b)).collect::<Vec<_>>()),
        Some(vec![(96, 97), (103, 104)])
    );
    assert_eq!(pc.media.iter().map(|m| m.mid.as_deref().unwrap_or_default()).collect::<Vec<_>>(), ["a0", "v1", "d2"]);
}

#[test]
#[ignore = "regenerates the golden files from /usr/bin/janus"]
fn regenerate_plugin_offer_golden() {
    let (_configs, gateway) = reference_gateway("sdp-core-offer-golden");
    let offer = read("sdp-core/plugin-offer.sdp");
    let probe = attach(&gateway, "janus.plugin.duktape");
    probe.send(&format!(r#"{{"offer":{}}}"#, Json::Str(offer.clone()).to_compact_string()), None);
    let merged = normalise(&jsep_sdp(&probe.event()), &offer);
    std::fs::write(data("sdp-core/plugin-offer.merged.sdp"), merged).expect("golden");
}
