//! Tests of the core's SDP handling around plugins on hand-made SDPs (the browser offers
//! and Janus' own outputs are compared in `tests/sdp_core.rs`).

use super::*;

const HEAD: &str = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n";
const TRANSPORT: &str = "a=ice-ufrag:u1\r\na=ice-pwd:p1\r\na=fingerprint:sha-256 AB:CD\r\n";

fn counter() -> impl FnMut() -> u32 {
    let mut n = 0;
    move || {
        n += 1;
        n
    }
}

fn remote(pc: &mut PeerConnection, body: &str, update: bool) -> Result<RemoteOutcome, ProcessError> {
    let text = format!("{HEAD}{body}");
    let mut sdp = preparse(&text, false).expect("preparses").sdp;
    process_remote(pc, &mut sdp, &SdpSettings::default(), true, update, &mut counter())
}

#[test]
fn chrome_offer_state() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/sdp/chrome-offer.sdp")).unwrap();
    let pre = preparse(&text, true).unwrap();
    assert_eq!((pre.audio, pre.video, pre.data, pre.dtls_role), (1, 1, 1, Some(DtlsRole::Actpass)));
    let mut pc = PeerConnection::new(DtlsRole::Client);
    let mut sdp = pre.sdp;
    let out = process_remote(&mut pc, &mut sdp, &SdpSettings::default(), true, false, &mut counter()).unwrap();
    assert!(out.set_remote_credentials && out.media_stopped);
    assert_eq!((pc.ruser.as_deref(), pc.rpass.as_deref()), (Some("Fx3k"), Some("Yk3jzBc1sE1sQ7cAqwe2YtRq")));
    assert_eq!(pc.remote_hashing.as_deref(), Some("sha-256"));
    assert!(pc.remote_fingerprint.as_deref().unwrap().starts_with("8A:13:"));
    assert_eq!(pc.rtp_profile.as_deref(), Some("UDP/TLS/RTP/SAVPF"));
    assert_eq!(pc.pc_mid.as_deref(), Some("0"));
    assert!(pc.data_channels && pc.new_datachan_sdp && pc.rfc4588_rtx);
    let kinds: Vec<MediumKind> = pc.media.iter().map(|m| m.kind).collect();
    assert_eq!(kinds, [MediumKind::Audio, MediumKind::Video, MediumKind::Data]);
    let audio = &pc.media[0];
    assert_eq!((audio.send, audio.recv, audio.ssrc_peer[0], audio.opusred_pt), (true, true, 1001, 63));
    assert_eq!((audio.remote_msid.as_deref(), audio.remote_mstid.as_deref()), (Some("stream1"), Some("audiotrack1")));
    let video = &pc.media[1];
    assert_eq!((video.send, video.recv), (false, true));
    // With "hml" order the first rid is the highest substream, the last slot.
    assert_eq!(video.rid, [Some("l".into()), Some("m".into()), Some("h".into())]);
    assert!(video.rids_hml && !video.legacy_rid && video.do_nacks);
    assert_eq!(video.rtx_for(96), 97);
    assert_eq!(pc.rtx_payload_types_rev.get(&101), Some(&100));
    assert_eq!(pc.clock_rates.get(&96), Some(&90000));
    pc.extensions = ExtensionIds::default();
    apply_remote_extensions(&mut pc, &text, &sdp, true);
    let e = pc.extensions;
    assert_eq!((e.audio_level, e.abs_send_time, e.transport_wide_cc, e.mid), (1, 2, 3, 4));
    assert_eq!((e.rid, e.repaired_rid, e.video_orientation, e.playout_delay, e.dependency_descriptor), (10, 11, 13, 5, -2));
    assert!(e.do_transport_wide_cc);
}

#[test]
fn ssrc_groups_and_changes() {
    let video = "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\na=mid:v\r\na=rtpmap:96 VP8/90000\r\na=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\n";
    let body = format!(
        "{TRANSPORT}{video}a=ssrc-group:FID 11 12\r\na=ssrc-group:FID 21 22\r\na=ssrc-group:SIM 11 21 31\r\n\
         a=ssrc-group:FID 31 32\r\na=ssrc:11 cname:x\r\n"
    );
    let mut pc = PeerConnection::default();
    let out = remote(&mut pc, &body, false).unwrap();
    let v = &pc.media[0];
    assert_eq!((v.ssrc_peer, v.ssrc_peer_rtx), ([11, 21, 31], [12, 22, 32]));
    // The medium's own SSRC came first, then an rtx one for the peer's rtx streams.
    assert_eq!((v.ssrc, v.ssrc_rtx), (1, 2));
    assert!(out.ssrc_changed.is_empty());
    // New SSRCs in a renegotiation are reported; hex and octal SSRCs read as GLib does.
    let body = format!("{TRANSPORT}{video}a=ssrc-group:FID 0x10 012\r\n");
    let out = remote(&mut pc, &body, true).unwrap();
    assert_eq!(out.ssrc_changed, [(0, 0)]);
    assert_eq!((pc.media[0].ssrc_peer[0], pc.media[0].ssrc_peer_rtx[0]), (16, 10));
    // No rtx in the SDP: RFC 4588 is off and rtx SSRCs go.
    let mut pc = PeerConnection::default();
    remote(&mut pc, &format!("{TRANSPORT}m=video 9 RTP/AVPF 96\r\na=ssrc:5 cname:x\r\n"), false).unwrap();
    assert!(!pc.rfc4588_rtx);
    assert_eq!((pc.media[0].ssrc_peer[0], pc.media[0].ssrc_rtx), (5, 0));
}

#[test]
fn rids_paused_and_ordered() {
    let body =
        format!("{TRANSPORT}m=video 9 RTP/AVPF 96\r\na=rid:lo send\r\na=rid:hi send\r\na=simulcast:send ~lo;hi\r\na=ssrc:77 cname:x\r\n");
    let mut pc = PeerConnection::default();
    let text = format!("{HEAD}{body}");
    let mut sdp = preparse(&text, false).unwrap().sdp;
    process_remote(&mut pc, &mut sdp, &SdpSettings::default(), false, false, &mut counter()).unwrap();
    let v = &pc.media[0];
    assert_eq!(v.rid, [Some("lo".into()), Some("hi".into()), None]);
    assert_eq!(v.disabled_rid, [true, false, false]);
    // With rids an a=ssrc is only a fallback.
    assert_eq!((v.ssrc_peer[0], v.ssrc_peer_temp), (0, 77));
    // Our answer lists them back, in the peer's order, paused ones marked.
    let mut answer = parse(&format!("{HEAD}m=video 9 RTP/AVPF 96\r\na=recvonly\r\na=rtpmap:96 VP8/90000\r\n")).unwrap();
    let merged = merge(&mut pc, &mut answer, false, &SdpSettings::default(), &LocalTransport::default(), 5);
    assert!(merged.sdp.contains("a=rid:lo recv\r\na=rid:hi recv\r\na=simulcast:recv ~lo;hi\r\n"), "{}", merged.sdp);
    // A plugin answer without the rid extension turns rids off and the fallback SSRC on.
    let mut slot = Some(pc);
    let plugin = format!("{HEAD}m=video 9 RTP/AVPF 96\r\na=recvonly\r\na=rtpmap:96 VP8/90000\r\n");
    let out =
        handle_plugin_sdp(&mut slot, "answer", &plugin, &SdpSettings::default(), &LocalTransport::default(), 5, &mut counter()).unwrap();
    let pc = slot.unwrap();
    assert_eq!((pc.media[0].rid.clone(), pc.media[0].ssrc_peer[0]), ([None, None, None], 77));
    assert!(!out.merged.sdp.contains("a=rid"));
}

#[test]
fn credentials_restart_and_errors() {
    let mut pc = PeerConnection::default();
    let audio = "m=audio 9 RTP/AVPF 0\r\na=setup:active\r\n";
    assert!(remote(&mut pc, &format!("{TRANSPORT}{audio}"), false).unwrap().set_remote_credentials);
    assert_eq!(pc.dtls_role, DtlsRole::Server);
    let again = remote(&mut pc, &format!("{TRANSPORT}{audio}"), true).unwrap();
    assert!(!again.set_remote_credentials && !pc.ice_restart);
    // Media-level credentials override session-level ones: a restart.
    remote(&mut pc, &format!("{TRANSPORT}{audio}a=ice-ufrag:u2\r\n"), true).unwrap();
    assert!(pc.ice_restart);
    assert_eq!(pc.ruser.as_deref(), Some("u2"));
    let missing = remote(&mut PeerConnection::default(), "a=ice-ufrag:u\r\nm=audio 9 RTP/AVPF 0\r\n", false);
    assert_eq!(missing.unwrap_err(), ProcessError::MissingMandatory);
    // Unsupported fingerprint hashes count as missing.
    let md5 =
        remote(&mut PeerConnection::default(), "a=ice-ufrag:u\r\na=ice-pwd:p\r\na=fingerprint:md5 00\r\nm=audio 9 RTP/AVPF 0\r\n", false);
    assert_eq!(md5.unwrap_err(), ProcessError::MissingMandatory);
    let msid = remote(&mut PeerConnection::default(), &format!("{TRANSPORT}m=audio 9 RTP/AVPF 0\r\na=msid:only\r\n"), false);
    assert_eq!(msid.unwrap_err(), ProcessError::InvalidMsid { index: 0 });
    // A changed mid is ignored.
    let mut pc = PeerConnection::default();
    remote(&mut pc, &format!("{TRANSPORT}m=audio 9 RTP/AVPF 0\r\na=mid:x\r\n"), false).unwrap();
    remote(&mut pc, &format!("{TRANSPORT}m=audio 9 RTP/AVPF 0\r\na=mid:y\r\n"), true).unwrap();
    assert_eq!(pc.media[0].mid.as_deref(), Some("x"));
}

#[test]
fn candidates_from_sdp() {
    let body = format!(
        "{TRANSPORT}m=audio 9 RTP/AVPF 0\r\na=candidate:1 1 udp 2122260223 192.168.1.2 5000 typ host\r\n\
         a=candidate:2 1 udp 1 x.local 5000 typ host\r\nm=video 9 RTP/AVPF 96\r\na=candidate:3 1 udp 1 10.0.0.1 5002 typ host\r\n\
         m=video 9 RTP/AVPF 96\r\na=candidate:4 1 udp 1 10.0.0.2 5004 typ host\r\n"
    );
    let mut pc = PeerConnection::default();
    let out = remote(&mut pc, &body, false).unwrap();
    // Only the first two m-lines' candidates are used.
    let addresses: Vec<&str> = pc.remote_candidates.iter().map(|c| c.address.as_str()).collect();
    assert_eq!(addresses, ["192.168.1.2", "10.0.0.1"]);
    assert_eq!(out.mdns, [("x.local".to_string(), "2 1 udp 1 x.local 5000 typ host".to_string())]);
}

#[test]
fn anonymize_strips_what_janus_strips() {
    let text = format!(
        "{HEAD}c=IN IP4 10.0.0.1\r\na=group:BUNDLE 0\r\na=ice-lite\r\nm=video 5000 RTP/AVPF 96 97 98 99\r\nc=IN IP6 ::1\r\n\
         a=mid:0\r\na=rtcp:5001\r\na=rtpmap:96 VP8/90000\r\na=rtpmap:97 red/90000\r\na=rtpmap:98 ulpfec/90000\r\n\
         a=rtpmap:99 rtx/90000\r\na=fmtp:99 apt=96\r\na=extmap:9 urn:ietf:params:rtp-hdrext:encrypt urn:x\r\n\
         m=application 5000 DTLS/SCTP 5000\r\na=sctpmap:5000 webrtc-datachannel 16\r\nm=application 5000 UDP/DTLS/SCTP x\r\n\
         m=application 5000 TCP/MSRP *\r\nm=audio 0 RTP/AVP 0\r\n"
    );
    let mut sdp = parse(&text).unwrap();
    anonymize(&mut sdp);
    let out = String::from_utf8(write(&mut sdp)).unwrap();
    assert_eq!(
        out,
        "v=0\r\no=- 1 1 IN IP4 1.1.1.1\r\ns=-\r\nt=0 0\r\nc=IN IP4 10.0.0.1\r\na=ice-lite\r\n\
         m=video 9 RTP/AVPF 96\r\nc=IN IP4 1.1.1.1\r\na=sendrecv\r\na=mid:0\r\na=rtpmap:96 VP8/90000\r\n\
         m=application 9 DTLS/SCTP 5000\r\na=sendrecv\r\n\
         m=application 0 UDP/DTLS/SCTP x\r\na=sendrecv\r\n\
         m=application 0 TCP/MSRP *\r\na=sendrecv\r\n\
         m=audio 0 RTP/AVP 0\r\na=sendrecv\r\n"
    );
}

#[test]
fn process_local_mids_and_ssrcs() {
    let text = format!(
        "{HEAD}m=audio 9 RTP/AVPF 0\r\na=inactive\r\nm=video 9 RTP/AVPF 96\r\na=msid:s t\r\na=rtpmap:96 VP8/90000\r\n\
         m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:data\r\n"
    );
    let mut sdp = parse(&text).unwrap();
    let mut pc = PeerConnection::new(DtlsRole::Actpass);
    process_local(&mut pc, &mut sdp, &mut counter()).unwrap();
    let mids: Vec<&str> = pc.media.iter().map(|m| m.mid.as_deref().unwrap()).collect();
    assert_eq!(mids, ["0", "1", "data"]);
    // Inactive media have no SSRC; mid and msid attributes are taken out.
    assert_eq!((pc.media[0].ssrc, pc.media[1].ssrc, pc.media[2].ssrc), (0, 2, 0));
    assert_eq!((pc.media[1].msid.as_deref(), pc.media[1].mstid.as_deref()), (Some("s"), Some("t")));
    assert!(sdp.m_lines.iter().all(|m| !m.attributes.iter().any(|a| a.is("mid") || a.is("msid"))));
    assert_eq!(pc.media[1].clock_rates.as_ref().and_then(|c| c.get(&96)), Some(&90000));
    let mut long = parse(&format!("{HEAD}m=audio 9 RTP/AVPF 0\r\na=mid:abcdefghijklmnopq\r\n")).unwrap();
    assert_eq!(
        process_local(&mut PeerConnection::default(), &mut long, &mut counter()),
        Err(ProcessError::MidTooLarge { index: 0, length: 17 })
    );
}

#[test]
fn plugin_sdp_errors_and_settings() {
    let mut none = None;
    let local = LocalTransport {
        ufrag: "u".into(),
        pwd: "p".into(),
        fingerprint: "F".into(),
        candidates: vec!["1 1 udp 1 10.0.0.1 9 typ host".into()],
    };
    let plugin = format!("{HEAD}m=audio 9 RTP/AVPF 0\r\na=sendrecv\r\n");
    let err = handle_plugin_sdp(&mut none, "answer", &plugin, &SdpSettings::default(), &local, 5, &mut counter());
    assert_eq!(err.unwrap_err(), PluginSdpError::NoPeerConnection);
    let err = handle_plugin_sdp(&mut none, "pranswer", &plugin, &SdpSettings::default(), &local, 5, &mut counter());
    assert_eq!(err.unwrap_err(), PluginSdpError::UnknownType("pranswer".into()));
    let err = handle_plugin_sdp(&mut none, "offer", "v=1", &SdpSettings::default(), &local, 5, &mut counter());
    assert!(matches!(err, Err(PluginSdpError::Preparse(PreparseError::Parse(_)))));
    // Unencrypted, ICE-lite, full-trickle, IPv6: no fingerprint/setup, plain profile,
    // ice-lite flag, no candidates.
    let settings = SdpSettings {
        webrtc_encryption: false,
        ice_lite: true,
        full_trickle: true,
        public_ip: "2001:db8::1".into(),
        ..SdpSettings::default()
    };
    let out = handle_plugin_sdp(&mut none, "offer", &plugin, &settings, &local, 5, &mut counter()).unwrap();
    assert_eq!(
        out.merged.sdp,
        "v=0\r\no=- 1 1 IN IP6 2001:db8::1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\na=ice-options:trickle\r\n\
         a=extmap-allow-mixed\r\na=msid-semantic: WMS *\r\na=ice-lite\r\nm=audio 9 RTP/AVPF 0\r\nc=IN IP6 2001:db8::1\r\n\
         a=sendrecv\r\na=mid:0\r\na=rtcp-mux\r\na=ice-ufrag:u\r\na=ice-pwd:p\r\na=ice-options:trickle\r\n\
         a=msid:janus janus0\r\na=ssrc:1 cname:janus\r\n"
    );
    // Half-trickle: our candidates, then end-of-candidates.
    let mut none = None;
    let out = handle_plugin_sdp(&mut none, "offer", &plugin, &SdpSettings::default(), &local, 5, &mut counter()).unwrap();
    assert!(out.merged.sdp.ends_with("a=candidate:1 1 udp 1 10.0.0.1 9 typ host\r\na=end-of-candidates\r\n"), "{}", out.merged.sdp);
    // A second offer is an update.
    let again = handle_plugin_sdp(&mut none, "offer", &plugin, &SdpSettings::default(), &local, 5, &mut counter()).unwrap();
    assert!(again.updating && !again.created);
}

#[test]
fn fuzz_corpus_survives() {
    let files = crate::test_support::corpus_files("sdp_fuzzer");
    let settings = SdpSettings::default();
    for path in files {
        let Ok(bytes) = std::fs::read(&path) else { continue };
        let text = String::from_utf8_lossy(&bytes);
        if let Ok(pre) = preparse(&text, true) {
            let mut pc = PeerConnection::default();
            let mut sdp = pre.sdp;
            let _ = process_remote(&mut pc, &mut sdp, &settings, true, false, &mut counter());
            anonymize(&mut sdp);
            let mut slot = Some(pc);
            let written = String::from_utf8_lossy(&write(&mut sdp)).into_owned();
            let _ = handle_plugin_sdp(&mut slot, "answer", &written, &settings, &LocalTransport::default(), 1, &mut counter());
            let _ = handle_plugin_sdp(&mut None, "offer", &text, &settings, &LocalTransport::default(), 1, &mut counter());
        }
    }
}
