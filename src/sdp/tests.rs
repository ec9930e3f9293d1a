//! Parser/writer/helper/generator tests on browser SDPs (tests/data/sdp).

use super::*;

fn data(name: &str) -> String {
    std::fs::read_to_string(format!("{}/tests/data/sdp/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn written(sdp: &mut Sdp) -> String {
    String::from_utf8(write(sdp)).unwrap()
}

#[test]
fn chrome_offer_model_and_helpers() {
    let sdp = parse(&data("chrome-offer.sdp")).unwrap();
    assert_eq!(sdp.o_sessid, 4611731400430051336);
    assert_eq!(sdp.m_lines.len(), 3);
    let (a, v, d) = (&sdp.m_lines[0], &sdp.m_lines[1], &sdp.m_lines[2]);
    assert_eq!((a.mtype, a.index, a.port), (MediaType::Audio, 0, 9));
    assert_eq!(a.ptypes, vec![111, 63, 9, 0, 8, 13, 110, 126]);
    assert_eq!(a.direction, Direction::SendRecv);
    assert_eq!(v.direction, Direction::SendOnly);
    assert_eq!((v.b_name.as_deref(), v.b_value), (Some("AS"), 2500));
    assert!(v.attributes.iter().any(|x| x.is("simulcast") && x.value.as_deref() == Some("send h;m;l")));
    assert_eq!(v.attributes.iter().filter(|x| x.is("rid")).count(), 3);
    assert_eq!((d.fmts.clone(), d.ptypes.clone()), (vec!["webrtc-datachannel".to_string()], vec![0]));
    assert_eq!(codec_pt(&sdp, -1, "opus", None), 111);
    assert_eq!(codec_pt(&sdp, 0, "dtmf", None), 126);
    assert_eq!(codec_pt(&sdp, 1, "VP9", Some("2")), 100);
    assert_eq!(codec_pt(&sdp, 1, "vp9", None), 98);
    assert_eq!(codec_pt(&sdp, 1, "h264", Some("42001F")), 102);
    assert_eq!(codec_pt(&sdp, 0, "vp8", None), -1);
    assert_eq!(codec_pt(&sdp, 1, "bogus", None), -1);
    assert_eq!(opusred_pt(&sdp, -1), 63);
    assert_eq!(codec_name(&sdp, 0, 63), Some("red"));
    assert_eq!(codec_name(&sdp, 0, 13), None);
    assert_eq!(codec_name(&sdp, 5, 0), Some("pcmu"));
    assert_eq!(codec_name(&sdp, 1, 97), None);
    let at = fmtp(&sdp, 0, 111).unwrap();
    assert_eq!(attribute_text(&sdp, at), Some("minptime=10;useinbandfec=1"));
    assert_eq!(fmtp(&sdp, -1, 96), None);
    assert_eq!(find_first_codec(&sdp, MediaType::Audio, -1), Some("opus"));
    assert_eq!(find_first_codec(&sdp, MediaType::Video, -1), Some("vp8"));
    assert_eq!(find_preferred_codec(&sdp, MediaType::Video, 1), Some("vp8"));
    assert_eq!(find_preferred_codec(&sdp, MediaType::Video, 0), None);
}

#[test]
fn codec_tables() {
    assert_eq!(codec_rtpmap("OPUS"), Some("opus/48000/2"));
    assert_eq!(codec_rtpmap("h264"), Some("H264/90000"));
    assert_eq!(codec_rtpmap("dtmf"), Some("telephone-event/8000"));
    assert_eq!(codec_rtpmap("speex"), None);
    assert_eq!(rtpmap_codec("VP8/90000"), Some("vp8"));
    assert_eq!(rtpmap_codec("MULTIOPUS/48000/6"), Some("multiopus"));
    assert_eq!(rtpmap_codec("ISAC/16000"), Some("isac16"));
    assert_eq!(rtpmap_codec("red/48000/2"), None);
    assert_eq!(match_preferred_codec(MediaType::Video, "H264"), Some("h264"));
    assert_eq!(match_preferred_codec(MediaType::Application, "vp8"), None);
    assert_eq!(video_profile(VIDEOCODEC_H264, "level-asymmetry-allowed=1;profile-level-id=42e01f").as_deref(), Some("42e01f"));
    assert_eq!(video_profile(VIDEOCODEC_VP9, "profile-id=2").as_deref(), Some("2"));
    // Janus skips the needle's length from the start of the parameter, not of the match.
    assert_eq!(video_profile(VIDEOCODEC_VP9, "x; profile-id=2").as_deref(), Some("=2"));
    assert_eq!(video_profile(VIDEOCODEC_VP9, "profile-id="), None);
    assert_eq!(video_profile(1, "profile-id=2"), None);
}

#[test]
fn firefox_offer_directions_and_profiles() {
    let sdp = parse(&data("firefox-offer.sdp")).unwrap();
    let audio = &sdp.m_lines[0];
    let ext2 = audio.attributes.iter().find(|a| a.value.as_deref().is_some_and(|v| v.starts_with("2/"))).unwrap();
    assert_eq!(ext2.direction, Direction::RecvOnly);
    assert_eq!(sdp.m_lines[1].direction, Direction::RecvOnly);
    assert_eq!(codec_pt(&sdp, 1, "h264", Some("42e01f")), 126);
    assert_eq!(codec_pt(&sdp, -1, "opus", None), 109);
    assert_eq!(codec_pt(&sdp, -1, "dtmf", None), 101);
    assert_eq!(codec_name(&sdp, 0, 101), Some("dtmf"));
}

#[test]
fn safari_offer_drops_what_janus_drops() {
    let mut sdp = parse(&data("safari-offer.sdp")).unwrap();
    assert_eq!((sdp.m_lines[0].b_name.as_deref(), sdp.m_lines[0].b_value), (Some("TIAS"), 64000));
    assert_eq!(sdp.m_lines[1].b_name, None);
    let out = written(&mut sdp);
    assert!(!out.contains("i=Safari") && !out.contains("b=AS:80") && !out.contains("b=CT"));
    assert!(out.contains("m=audio 9 UDP/TLS/RTP/SAVPF 111 9 0 8\r\nc=IN IP4 0.0.0.0\r\nb=TIAS:64000\r\na=recvonly\r\na=rtcp:9"));
    assert_eq!(codec_pt(&sdp, 1, "h264", Some("640c1f")), 96);
    assert_eq!(find_first_codec(&sdp, MediaType::Video, -1), Some("h264"));
}

#[test]
fn write_round_trips() {
    for name in ["chrome-offer.sdp", "firefox-offer.sdp", "safari-offer.sdp", "janus-answer.sdp"] {
        let mut sdp = parse(&data(name)).unwrap();
        let once = written(&mut sdp);
        let mut again = parse(&once).unwrap();
        assert_eq!(written(&mut again), once, "{name}");
        assert_eq!(again, sdp, "{name}");
    }
    // Janus' own output is reproduced byte for byte.
    let answer = data("janus-answer.sdp");
    assert_eq!(written(&mut parse(&answer).unwrap()), answer);
    // The direction moves up, right after c=/b=.
    let chrome = written(&mut parse(&data("chrome-offer.sdp")).unwrap());
    assert!(chrome.contains("c=IN IP4 0.0.0.0\r\nb=AS:2500\r\na=sendonly\r\na=rtcp:9 IN IP4 0.0.0.0\r\n"));
}

#[test]
fn parse_errors() {
    let ok_head = "v=0\r\no=- 1 2 IN IP4 1.1.1.1\r\ns=-\r\nt=0 0\r\n";
    let m = "m=audio 9 RTP/AVP 0\r\n";
    let cases: Vec<(String, &str)> = vec![
        ("x=0\r\n".into(), "Invalid SDP (doesn't start with v=)"),
        (format!("{ok_head}ab\r\n"), "Invalid line (2 bytes): ab"),
        (format!("{ok_head}abc\r\n"), "Invalid line (2nd char is not '='): abc"),
        ("v=x\r\n".into(), "Invalid v= line: v=x"),
        (format!("{ok_head}o=- 1 2 IN IP4 x\r\n"), "Multiple o= lines: o=- 1 2 IN IP4 x"),
        ("v=0\r\no=- 1 2 IP4 x\r\n".into(), "Invalid o= line: o=- 1 2 IP4 x"),
        ("v=0\r\no=- 1 2 IN IPX x\r\n".into(), "Invalid o= line (unsupported protocol IPX): o=- 1 2 IN IPX x"),
        (format!("{ok_head}s=again\r\n"), "Multiple s= lines: s=again"),
        ("v=0\r\nt=a b\r\n".into(), "Invalid t= line: t=a b"),
        ("v=0\r\nc=IN IP4\r\n".into(), "Invalid c= line: c=IN IP4"),
        ("v=0\r\nc=IN IP9 1.1.1.1\r\n".into(), "Invalid c= line (unsupported protocol IP9): c=IN IP9 1.1.1.1"),
        ("v=0\r\nc=IN IP4 a\r\nc=IN IP4 b\r\n".into(), "Multiple global c= lines: c=IN IP4 b"),
        ("v=0\r\na=foo:\r\n".into(), "Invalid a= line: foo:"),
        (format!("{ok_head}m={}\r\n", "a".repeat(199)), "Invalid m= line (too long): 201"),
        (format!("{ok_head}m=audio x RTP/AVP 0\r\n"), "Invalid m= line: m=audio x RTP/AVP 0"),
        (format!("{ok_head}m=text 9 RTP/AVP 0\r\n"), "Invalid m= line: m=text 9 RTP/AVP 0"),
        (format!("{ok_head}m=audio 9 RTP/AVP\r\n"), "Invalid m= line (no payload types/formats): m=audio 9 RTP/AVP"),
        (format!("{ok_head}m=audio 9 RTP/AVP -1\r\n"), "Invalid m= line (no payload types/formats): m=audio 9 RTP/AVP -1"),
        (format!("{ok_head}{m}c=IN IP4 a\r\nc=IN IP4 b\r\n"), "Multiple m-line c= lines: c=IN IP4 b"),
        (format!("{ok_head}{m}b=AS\r\n"), "Invalid b= line: AS"),
        (format!("{ok_head}{m}b=AS:\r\n"), "Invalid b= line: AS:"),
        (format!("{ok_head}{m}a=rtpmap:\r\n"), "Invalid a= line: rtpmap:"),
        (ok_head.into(), "Missing mandatory lines (o=, s= or m=)"),
        ("v=0\r\ns=-\r\nm=audio 9 RTP/AVP 0\r\n".into(), "Missing mandatory lines (o=, s= or m=)"),
    ];
    for (text, err) in cases {
        assert_eq!(parse(&text).unwrap_err(), err, "{text:?}");
    }
}

#[test]
fn parse_acceptance_quirks() {
    // Lines cut at the first CR, bare LF accepted, unknown letters ignored; an m= inside an
    // m-line starts the next one; doubled blanks give an empty format (payload type 0).
    let sdp = parse("v=0\no=- 1 2 IN IP6 ::1\rjunk\ns=x\nu=http://x\nm=audio 9  RTP/AVP 8\nk=clear\na=SENDONLY\nm=video 0 RTP/AVP 96 \n")
        .unwrap();
    assert!(!sdp.o_ipv4);
    assert_eq!(sdp.o_addr.as_deref(), Some("::1"));
    assert_eq!(sdp.m_lines[0].proto.as_deref(), Some("RTP/AVP"));
    assert_eq!(sdp.m_lines[0].fmts, vec!["RTP/AVP", "8"]);
    assert_eq!(sdp.m_lines[0].ptypes, vec![0, 8]);
    assert_eq!(sdp.m_lines[0].direction, Direction::SendOnly);
    assert_eq!(sdp.m_lines[1].fmts, vec!["96", ""]);
    assert_eq!(sdp.m_lines[1].index, 1);
    // A direction at session level is a plain attribute.
    let s = parse("v=0\r\no=- 1 2 IN IP4 a\r\ns=-\r\na=sendonly\r\nm=audio 9 RTP/AVP 0\r\n").unwrap();
    assert_eq!(s.attributes, vec![Attribute::new("sendonly", None)]);
}

#[test]
fn writer_quirks() {
    let mut sdp = parse("v=0\r\no=- 1 2 IN IP4 a\r\ns=-\r\nt=0 0\r\nm=video 0 UDP/TLS/RTP/SAVPF 96 97\r\nb=AS:100\r\na=mid:v\r\na=rtpmap:96 VP8/90000\r\nm=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:d\r\na=sctp-port:5000\r\n").unwrap();
    let out = written(&mut sdp);
    assert_eq!(
        out,
        "v=0\r\no=- 1 2 IN IP4 a\r\ns=-\r\nt=0 0\r\nm=video 0 UDP/TLS/RTP/SAVPF 0\r\na=sendrecv\r\na=mid:v\r\nm=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\na=sendrecv\r\na=mid:d\r\n"
    );
    // The rejected video m-line was rewritten, the application one was not.
    assert_eq!((sdp.m_lines[0].fmts.len(), sdp.m_lines[0].ptypes.clone()), (0, vec![0]));
    assert_eq!(sdp.m_lines[1].fmts, vec!["webrtc-datachannel"]);

    // NULL strings print as printf does; Default direction prints nothing.
    let mut bare = Sdp { m_lines: vec![MLine { port: 9, ptypes: vec![1], ..MLine::default() }], ..Sdp::default() };
    assert_eq!(written(&mut bare), "v=0\r\no=(null) 0 0 IN IP6 (null)\r\ns=(null)\r\nt=0 0\r\nm=(null) 9 (null)\r\n");

    // A line over 509 characters is cut at 511 bytes and loses its CRLF.
    let long = "x".repeat(600);
    let mut sdp =
        parse(&format!("v=0\r\no=- 1 2 IN IP4 a\r\ns=-\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\na=long:{long}\r\na=mid:0\r\n")).unwrap();
    let out = written(&mut sdp);
    assert!(out.contains(&format!("a=long:{}a=mid:0\r\n", &long[..504])));

    // Session part bounded to 1023 bytes; the m-sections then vanish.
    let mut big = parse("v=0\r\no=- 1 2 IN IP4 a\r\ns=-\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\n").unwrap();
    big.attributes = (0..10).map(|i| Attribute::new("x", Some(format!("{i}{}", "y".repeat(200))))).collect();
    let out = write(&mut big);
    assert_eq!(out.len(), 1023);
    assert!(!String::from_utf8_lossy(&out).contains("m=audio"));

    // Each m-section is bounded to 8191 bytes.
    big.attributes.clear();
    big.m_lines[0].attributes = (0..40).map(|i| Attribute::new("x", Some(format!("{i}{}", "y".repeat(300))))).collect();
    let out = write(&mut big);
    let session_len = "v=0\r\no=- 1 2 IN IP4 a\r\ns=-\r\nt=0 0\r\n".len();
    assert_eq!(out.len(), session_len + 8191);
}

const OFFER_HEAD: &str = "v=0\r\no=- 42 1 IN IP4 10.0.0.1\r\ns=Janus session\r\nt=0 0\r\nc=IN IP4 10.0.0.1\r\n";

#[test]
fn offer_generation() {
    use Property as P;
    let mut offer = generate_offer(
        None,
        Some("10.0.0.1"),
        &[
            P::MLine(0),
            P::Mid(Some("a".into())),
            P::Pt(100), // ignored for audio by generate_offer
            P::OpusRedPt(120),
            P::AudioDtmf(true),
            P::Extension(Some("urn:ietf:params:rtp-hdrext:sdes:mid".into()), 4),
            P::Extension(Some("urn:ietf:params:rtp-hdrext:ssrc-audio-level".into()), 1),
            P::Fmtp(Some("stereo=1".into())),
            P::MLine(1),
            P::Mid(Some("v".into())),
            P::Pt(100),
            P::Codec(Some("h264".into())),
            P::H264Profile(Some("42e01f".into())),
            P::Direction(Direction::SendOnly),
            P::Extension(Some("urn:ietf:params:rtp-hdrext:sdes:mid".into()), 4),
            // Conflicts with the audio pairing: ignored.
            P::Extension(Some("urn:3gpp:video-orientation".into()), 1),
            P::Msid(Some("s".into()), Some("t".into())),
            P::MLine(1),
            P::Enabled(false),
            P::MLine(2),
            P::Mid(Some("d".into())),
            P::Done,
            P::MLine(0),
        ],
        42,
    )
    .unwrap();
    let expected = format!(
        "{OFFER_HEAD}m=audio 9 UDP/TLS/RTP/SAVPF 120 111 126\r\nc=IN IP4 10.0.0.1\r\na=mid:a\r\na=rtpmap:120 red/48000/2\r\na=rtpmap:111 opus/48000/2\r\na=rtpmap:126 telephone-event/8000\r\na=rtcp-fb:111 transport-cc\r\na=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\na=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\na=fmtp:120 111/111\r\na=fmtp:111 stereo=1\r\n\
m=video 9 UDP/TLS/RTP/SAVPF 100\r\nc=IN IP4 10.0.0.1\r\na=sendonly\r\na=mid:v\r\na=msid:s t\r\na=rtpmap:100 H264/90000\r\na=rtcp-fb:100 ccm fir\r\na=rtcp-fb:100 nack\r\na=rtcp-fb:100 nack pli\r\na=rtcp-fb:100 goog-remb\r\na=rtcp-fb:100 transport-cc\r\na=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\na=fmtp:100 profile-level-id=42e01f;packetization-mode=1\r\n\
m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 10.0.0.1\r\na=mid:d\r\na=sctp-port:5000\r\n"
    );
    assert_eq!(written(&mut offer), expected);
    assert_eq!(generate_offer(None, None, &[P::Mid(None), P::Done], 0), None);
    assert_eq!(generate_offer(None, None, &[P::MLine(7)], 0), None);
    assert_eq!(generate_offer(None, None, &[P::MLine(0), P::Codec(Some("speex".into()))], 0), None);
    let empty = generate_offer(Some("n"), None, &[P::Done], 0).unwrap();
    assert_eq!((empty.s_name.as_deref(), empty.c_addr.as_deref(), empty.m_lines.len()), (Some("n"), Some("127.0.0.1"), 0));
}

#[test]
fn offer_mline_generation() {
    use Property as P;
    let m = generate_offer_mline(Some("1.1.1.1"), 3, &[P::MLine(2), P::DataLegacy(true), P::Direction(Direction::SendRecv)]).unwrap();
    assert_eq!((m.index, m.proto.as_deref(), m.fmts.clone()), (3, Some("DTLS/SCTP"), vec!["5000".to_string()]));
    assert_eq!(m.attributes, vec![Attribute::new("sctpmap", Some("5000 webrtc-datachannel 16".into()))]);
    let v = generate_offer_mline(
        None,
        0,
        &[P::MLine(1), P::VideoRtcpFbDefaults(false), P::Codec(Some("vp9".into())), P::Vp9Profile(Some("2".into())), P::Pt(98)],
    )
    .unwrap();
    let vals: Vec<_> = v.attributes.iter().map(|a| format!("{}:{}", a.name.as_deref().unwrap(), a.value.as_deref().unwrap())).collect();
    assert_eq!(vals, vec!["rtpmap:98 VP9/90000", "rtcp-fb:98 transport-cc", "fmtp:98 profile-id=2"]);
    let table = Some(vec![(3, "b".to_string()), (1, "a".to_string())]);
    let e = generate_offer_mline(None, 0, &[P::MLine(0), P::Extensions(table.clone())]).unwrap();
    assert!(e.attributes.iter().any(|a| a.value.as_deref() == Some("1 a")));
    let err = |props: &[Property]| generate_offer_mline(None, 0, props).unwrap_err();
    assert_eq!(err(&[P::Mid(None)]), OfferMlineError::NotMline);
    assert_eq!(err(&[P::MLine(3)]), OfferMlineError::InvalidType);
    assert_eq!(err(&[P::MLine(0), P::Codec(Some("vp8x".into()))]).code(), -3);
    assert_eq!(err(&[P::MLine(1), P::Codec(Some("opusx".into()))]).code(), -4);
    assert_eq!(err(&[P::MLine(1), P::Extension(Some("u".into()), 2), P::Extensions(None)]).code(), -5);
    assert_eq!(err(&[P::MLine(1), P::Extensions(table), P::Extension(Some("u".into()), 2)]).code(), -5);
    assert!(generate_offer_mline(None, 0, &[P::MLine(1), P::Extensions(None), P::Extension(Some("u".into()), 2)]).is_ok());
}

#[test]
fn answer_generation() {
    use Property as P;
    let offer = parse(&data("chrome-offer.sdp")).unwrap();
    let mut answer = generate_answer(&offer);
    assert_eq!(answer.m_lines.len(), 3);
    assert!(answer.m_lines.iter().all(|m| m.port == 0 && m.c_addr.as_deref() == Some("127.0.0.1")));
    let audio = [
        P::MLine(0),
        P::AcceptOpusRed(true),
        P::AudioDtmf(true),
        P::AcceptExtmap(Some("urn:ietf:params:rtp-hdrext:ssrc-audio-level".into())),
        P::Direction(Direction::RecvOnly),
        P::Done,
    ];
    assert_eq!(generate_answer_mline(Some(&offer), &mut answer, &offer.m_lines[0], &audio), Ok(Some(0)));
    let video = [
        P::MLine(1),
        P::Codec(Some("vp9".into())),
        P::Vp9Profile(Some("2".into())),
        P::AcceptExtmap(Some("urn:ietf:params:rtp-hdrext:sdes:mid".into())),
    ];
    generate_answer_mline(Some(&offer), &mut answer, &offer.m_lines[1], &video).unwrap();
    generate_answer_mline(Some(&offer), &mut answer, &offer.m_lines[2], &[P::MLine(2)]).unwrap();
    let expected = "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nc=IN IP4 127.0.0.1\r\n\
m=audio 9 UDP/TLS/RTP/SAVPF 63 111 126\r\nc=IN IP4 127.0.0.1\r\na=recvonly\r\na=rtpmap:63 red/48000/2\r\na=rtpmap:111 opus/48000/2\r\na=rtpmap:126 telephone-event/8000\r\na=fmtp:63 111/111\r\na=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n\
m=video 9 UDP/TLS/RTP/SAVPF 100\r\nc=IN IP4 127.0.0.1\r\na=recvonly\r\na=rtpmap:100 VP9/90000\r\na=rtcp-fb:100 ccm fir\r\na=rtcp-fb:100 nack\r\na=rtcp-fb:100 nack pli\r\na=rtcp-fb:100 goog-remb\r\na=rtcp-fb:100 transport-cc\r\na=fmtp:100 profile-id=2\r\na=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n\
m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 127.0.0.1\r\n";
    assert_eq!(written(&mut answer), expected);

    // Firefox: video offered recvonly, no codec asked (vp8 picked, its fmtp copied because
    // extensions are being accepted; the extmap direction is mirrored).
    let ff = parse(&data("firefox-offer.sdp")).unwrap();
    let mut answer = generate_answer(&ff);
    let props = [P::MLine(1), P::AcceptExtmap(Some("playout-delay".into())), P::VideoRtcpFbDefaults(false)];
    generate_answer_mline(Some(&ff), &mut answer, &ff.m_lines[1], &props).unwrap();
    let v = &answer.m_lines[1];
    assert_eq!((v.port, v.direction, v.ptypes.clone()), (9, Direction::SendOnly, vec![120]));
    let vals: Vec<_> = v.attributes.iter().map(|a| a.value.clone().unwrap()).collect();
    assert_eq!(vals, vec!["120 VP8/90000", "120 transport-cc", "6/sendonly playout-delay", "120 max-fs=12288;max-fr=60"]);
    // Rejections and errors.
    generate_answer_mline(Some(&ff), &mut answer, &ff.m_lines[0], &[P::MLine(0), P::Codec(Some("isac16".into()))]).unwrap();
    let a = &answer.m_lines[0];
    assert_eq!((a.port, a.direction, a.ptypes.clone(), a.attributes.len()), (0, Direction::Inactive, vec![0], 0));
    assert_eq!(generate_answer_mline(Some(&ff), &mut answer, &ff.m_lines[0], &[P::Mid(None)]), Err(AnswerMlineError::NotMline));
    assert_eq!(generate_answer_mline(Some(&ff), &mut answer, &ff.m_lines[0], &[P::MLine(9)]).map_err(|e| e.code()), Err(-3));
    generate_answer_mline(Some(&ff), &mut answer, &ff.m_lines[0], &[P::MLine(0), P::Enabled(false)]).unwrap();
    assert_eq!((answer.m_lines[0].ptypes.clone(), answer.m_lines[0].direction), (vec![0], Direction::Inactive));
}
