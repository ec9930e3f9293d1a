//! SRTP/SRTCP over libsrtp2: round trips between the two ends of a DTLS-SRTP association,
//! replay and authentication failures, hostile input, and byte-for-byte agreement with an
//! independent implementation (webrtc-rs' pure-Rust `webrtc-srtp`).

mod support;

use janus::srtp::{DtlsRole, Profile, SrtpError, SrtpSession, RTCP_TRAILER_ROOM, RTP_TRAILER_ROOM};

const BUF: usize = 1500 + RTCP_TRAILER_ROOM;

/// Deterministic "exported keying material" for a profile, different per `seed`.
fn material(profile: Profile, seed: u8) -> Vec<u8> {
    (0..profile.keying_material_len()).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect()
}

/// Both ends of one association: we are the DTLS client, the peer the server.
fn pair(profile: Profile) -> (SrtpSession, SrtpSession) {
    let m = material(profile, 1);
    (
        SrtpSession::from_keying_material(profile, &m, DtlsRole::Client).unwrap(),
        SrtpSession::from_keying_material(profile, &m, DtlsRole::Server).unwrap(),
    )
}

/// An RTP packet (version 2, PT 111) with a `payload_len`-byte payload, in a buffer with room.
fn rtp(seq: u16, ssrc: u32, payload_len: usize) -> ([u8; BUF], usize) {
    let mut buf = [0u8; BUF];
    buf[0] = 0x80;
    buf[1] = 111;
    buf[2..4].copy_from_slice(&seq.to_be_bytes());
    buf[4..8].copy_from_slice(&(u32::from(seq) * 960).to_be_bytes());
    buf[8..12].copy_from_slice(&ssrc.to_be_bytes());
    for (i, b) in buf[12..12 + payload_len].iter_mut().enumerate() {
        *b = (i as u8) ^ (seq as u8);
    }
    (buf, 12 + payload_len)
}

/// A compound-start RTCP receiver report with one report block.
fn rtcp(ssrc: u32, media_ssrc: u32) -> ([u8; BUF], usize) {
    let mut buf = [0u8; BUF];
    buf[0] = 0x81;
    buf[1] = 201;
    buf[2..4].copy_from_slice(&7u16.to_be_bytes());
    buf[4..8].copy_from_slice(&ssrc.to_be_bytes());
    buf[8..12].copy_from_slice(&media_ssrc.to_be_bytes());
    buf[12..32].iter_mut().enumerate().for_each(|(i, b)| *b = i as u8);
    (buf, 32)
}

fn rtp_tag_len(p: Profile) -> usize {
    match p {
        Profile::Aes128CmSha1_80 => 10,
        Profile::Aes128CmSha1_32 => 4,
        Profile::AeadAes128Gcm | Profile::AeadAes256Gcm => 16,
    }
}

/// The SRTCP trailer: E flag + index, then the tag (the _32 profile keeps an 80-bit SRTCP tag).
fn rtcp_trailer_len(p: Profile) -> usize {
    4 + match p {
        Profile::Aes128CmSha1_80 | Profile::Aes128CmSha1_32 => 10,
        Profile::AeadAes128Gcm | Profile::AeadAes256Gcm => 16,
    }
}

fn rtp_one_way(profile: Profile, from: &mut SrtpSession, to: &mut SrtpSession) {
    // Crossing the sequence number wrap.
    for seq in (65500u16..=65535).chain(0..20) {
        let (plain, len) = rtp(seq, 0x1234_5678, 160);
        let mut buf = plain;
        let protected = from.protect_rtp(&mut buf, len).unwrap();
        assert_eq!(protected, len + rtp_tag_len(profile), "{profile:?}");
        assert_eq!(buf[..12], plain[..12], "the header stays in the clear");
        assert_ne!(buf[12..len], plain[12..len], "the payload is encrypted");
        assert_eq!(to.unprotect_rtp(&mut buf, protected), Ok(len), "{profile:?} seq {seq}");
        assert_eq!(buf[..len], plain[..len]);
    }
}

fn rtcp_one_way(profile: Profile, from: &mut SrtpSession, to: &mut SrtpSession) {
    for n in 0..20u32 {
        let (plain, len) = rtcp(0xabcd_0000, n);
        let mut buf = plain;
        let protected = from.protect_rtcp(&mut buf, len).unwrap();
        assert_eq!(protected, len + rtcp_trailer_len(profile), "{profile:?}");
        assert_eq!(buf[..8], plain[..8], "the first 8 bytes stay in the clear");
        assert_ne!(buf[8..len], plain[8..len]);
        // E flag set, SRTCP index counting from 1 per sender SSRC; AEAD puts it after the
        // tag (RFC 7714 9), AES-CM before it (RFC 3711 3.4).
        let aead = matches!(profile, Profile::AeadAes128Gcm | Profile::AeadAes256Gcm);
        let at = if aead { len + 16 } else { len };
        let index = u32::from_be_bytes(buf[at..at + 4].try_into().unwrap());
        assert_eq!(index, 0x8000_0000 | (n + 1));
        assert_eq!(to.unprotect_rtcp(&mut buf, protected), Ok(len));
        assert_eq!(buf[..len], plain[..len]);
    }
}

#[test]
fn rtp_round_trips_both_ways_for_every_profile() {
    for profile in Profile::ALL {
        let (mut client, mut server) = pair(profile);
        rtp_one_way(profile, &mut client, &mut server);
        rtp_one_way(profile, &mut server, &mut client);
        assert_eq!(client.counters(), server.counters());
        assert_eq!(client.counters().auth_failures + client.counters().protect_failures, 0);
    }
}

#[test]
fn rtcp_round_trips_both_ways_for_every_profile() {
    for profile in Profile::ALL {
        let (mut client, mut server) = pair(profile);
        rtcp_one_way(profile, &mut client, &mut server);
        rtcp_one_way(profile, &mut server, &mut client);
    }
}

#[test]
fn many_ssrcs_share_one_session_each_way() {
    let (mut client, mut server) = pair(Profile::AeadAes128Gcm);
    for ssrc in 1..40u32 {
        let (plain, len) = rtp(ssrc as u16, ssrc, 100);
        let mut buf = plain;
        let n = client.protect_rtp(&mut buf, len).unwrap();
        assert_eq!(server.unprotect_rtp(&mut buf, n), Ok(len));
    }
}

#[test]
fn replayed_packets_are_rejected_and_counted() {
    for profile in Profile::ALL {
        let (mut client, mut server) = pair(profile);
        // Sent long ago, delivered late (libsrtp refuses to protect what is that old).
        let (old_plain, old_len) = rtp(800, 42, 50);
        let mut old = old_plain;
        let old_n = client.protect_rtp(&mut old, old_len).unwrap();
        let (plain, len) = rtp(1000, 42, 50);
        let mut sent = plain;
        let n = client.protect_rtp(&mut sent, len).unwrap();
        let mut first = sent;
        assert_eq!(server.unprotect_rtp(&mut first, n), Ok(len));
        let mut again = sent;
        let err = server.unprotect_rtp(&mut again, n).unwrap_err();
        assert_eq!(err, SrtpError::REPLAY_FAIL);
        assert_eq!(err.name(), "srtp_err_status_replay_fail");
        assert!(err.is_replay());

        // Janus does not allow repeated transmissions: protecting the same packet again fails.
        let mut resent = plain;
        assert_eq!(client.protect_rtp(&mut resent, len), Err(SrtpError::REPLAY_FAIL));
        assert_eq!(client.counters().protect_failures, 1);
        assert_eq!(client.counters().last_protect_error, Some(SrtpError::REPLAY_FAIL));

        for seq in 1001..1200 {
            let (p, l) = rtp(seq, 42, 50);
            let mut b = p;
            let m = client.protect_rtp(&mut b, l).unwrap();
            server.unprotect_rtp(&mut b, m).unwrap();
        }
        // Far behind the 128-packet window: too old.
        assert_eq!(server.unprotect_rtp(&mut old, old_n), Err(SrtpError::REPLAY_OLD));
        assert_eq!(server.counters().replay_failures, 2);

        let (rtcp_plain, rtcp_len) = rtcp(7, 42);
        let mut sent = rtcp_plain;
        let n = client.protect_rtcp(&mut sent, rtcp_len).unwrap();
        let mut first = sent;
        assert_eq!(server.unprotect_rtcp(&mut first, n), Ok(rtcp_len));
        assert_eq!(server.unprotect_rtcp(&mut sent, n), Err(SrtpError::REPLAY_FAIL));
        assert_eq!(server.counters().replay_failures, 3);
        assert_eq!(server.counters().auth_failures, 0);
    }
}

#[test]
fn flipped_bits_fail_authentication_without_moving_the_replay_window() {
    for profile in Profile::ALL {
        let (mut client, mut server) = pair(profile);
        let (plain, len) = rtp(7, 99, 200);
        let mut sent = plain;
        let n = client.protect_rtp(&mut sent, len).unwrap();
        // Header, payload and tag bits: every one is covered.
        for pos in [1, 5, 11, 12, 100, len - 1, n - 1] {
            let mut bad = sent;
            bad[pos] ^= 0x10;
            let err = server.unprotect_rtp(&mut bad, n).unwrap_err();
            assert_eq!(err, SrtpError::AUTH_FAIL, "{profile:?} byte {pos}");
            assert_eq!(err.name(), "srtp_err_status_auth_fail");
        }
        let mut good = sent;
        assert_eq!(server.unprotect_rtp(&mut good, n), Ok(len), "the genuine packet still passes");

        let (rtcp_plain, rtcp_len) = rtcp(5, 99);
        let mut sent = rtcp_plain;
        let n = client.protect_rtcp(&mut sent, rtcp_len).unwrap();
        let mut bad = sent;
        bad[20] ^= 1;
        assert_eq!(server.unprotect_rtcp(&mut bad, n), Err(SrtpError::AUTH_FAIL));
        assert_eq!(server.unprotect_rtcp(&mut sent, n), Ok(rtcp_len));
        assert_eq!(server.counters().auth_failures, 8, "{profile:?}");
        assert_eq!(server.counters().replay_failures, 0);
    }
}

#[test]
fn a_wrong_key_fails_authentication() {
    for profile in Profile::ALL {
        let mut sender = SrtpSession::from_keying_material(profile, &material(profile, 1), DtlsRole::Client).unwrap();
        let mut stranger = SrtpSession::from_keying_material(profile, &material(profile, 2), DtlsRole::Server).unwrap();
        // Same material but the same role: our own outbound key is not what we expect inbound.
        let mut twin = SrtpSession::from_keying_material(profile, &material(profile, 1), DtlsRole::Client).unwrap();
        let (plain, len) = rtp(1, 1, 64);
        let mut sent = plain;
        let n = sender.protect_rtp(&mut sent, len).unwrap();
        for receiver in [&mut stranger, &mut twin] {
            let mut buf = sent;
            assert_eq!(receiver.unprotect_rtp(&mut buf, n), Err(SrtpError::AUTH_FAIL), "{profile:?}");
            assert_eq!(receiver.counters().auth_failures, 1);
        }
        let (plain, len) = rtcp(1, 1);
        let mut sent = plain;
        let n = sender.protect_rtcp(&mut sent, len).unwrap();
        assert_eq!(stranger.unprotect_rtcp(&mut sent, n), Err(SrtpError::AUTH_FAIL));
    }
}

#[test]
fn bad_keying_material_and_short_buffers_are_refused() {
    let p = Profile::Aes128CmSha1_80;
    let err = SrtpSession::from_keying_material(p, &[0; 59], DtlsRole::Client).unwrap_err();
    assert_eq!(err, SrtpError::BAD_PARAM);
    assert_eq!(err.to_string(), "srtp_err_status_bad_param");

    let (mut client, _) = pair(p);
    let (plain, len) = rtp(1, 1, 100);
    // No room for libsrtp's documented trailer bound: refused, the buffer untouched.
    let mut tight = plain[..len + RTP_TRAILER_ROOM - 1].to_vec();
    assert_eq!(client.protect_rtp(&mut tight, len), Err(SrtpError::BAD_PARAM));
    assert_eq!(tight[..len], plain[..len]);
    let mut exact = plain[..len + RTP_TRAILER_ROOM].to_vec();
    assert_eq!(client.protect_rtp(&mut exact, len), Ok(len + 10));
    let (plain, len) = rtcp(1, 1);
    let mut tight = plain[..len + RTP_TRAILER_ROOM].to_vec();
    assert_eq!(client.protect_rtcp(&mut tight, len), Err(SrtpError::BAD_PARAM));
    // A length beyond the buffer.
    let mut small = [0u8; 40];
    assert_eq!(client.unprotect_rtp(&mut small, 41), Err(SrtpError::BAD_PARAM));
    assert_eq!(client.unprotect_rtcp(&mut small, usize::MAX), Err(SrtpError::BAD_PARAM));
    assert_eq!(client.protect_rtp(&mut small, usize::MAX), Err(SrtpError::BAD_PARAM));
    assert_eq!(client.counters().protect_failures, 3);
    assert_eq!(client.counters().last_protect_error, Some(SrtpError::BAD_PARAM));
    assert_eq!(client.counters().unprotect_failures, 2);
}

#[test]
fn fuzz_corpora_and_truncations_are_rejected_without_panic() {
    for profile in Profile::ALL {
        let (mut client, mut server) = pair(profile);
        let mut rejected = 0u64;
        let mut buf = vec![0u8; 1 << 19];
        for (_, data) in support::corpus("rtp_fuzzer").into_iter().chain(support::corpus("rtcp_fuzzer")) {
            let lens = (0..=data.len().min(80)).chain([data.len() / 2, data.len()]);
            for len in lens {
                buf[..len].copy_from_slice(&data[..len]);
                rejected += u64::from(server.unprotect_rtp(&mut buf, len).is_err());
                buf[..len].copy_from_slice(&data[..len]);
                rejected += u64::from(server.unprotect_rtcp(&mut buf, len).is_err());
            }
        }
        let c = server.counters();
        assert!(rejected > 1000, "{rejected}");
        assert_eq!(rejected, c.auth_failures + c.replay_failures + c.unprotect_failures);
        // Every truncation of a genuine packet fails too.
        let (plain, len) = rtp(3, 3, 120);
        let mut sent = plain;
        let n = client.protect_rtp(&mut sent, len).unwrap();
        for cut in 0..n {
            let mut b = sent;
            assert!(server.unprotect_rtp(&mut b, cut).is_err(), "{profile:?} cut at {cut}");
        }
        let mut b = sent;
        assert_eq!(server.unprotect_rtp(&mut b, n), Ok(len), "the whole packet still passes");
    }
}

#[test]
fn sessions_move_between_threads() {
    let (mut client, server) = pair(Profile::Aes128CmSha1_80);
    let (plain, len) = rtp(9, 9, 30);
    let mut buf = plain;
    let n = client.protect_rtp(&mut buf, len).unwrap();
    let back = std::thread::spawn(move || {
        let mut server = server;
        let r = server.unprotect_rtp(&mut buf, n);
        (r, buf)
    })
    .join()
    .unwrap();
    assert_eq!(back.0, Ok(len));
    assert_eq!(back.1[..len], plain[..len]);
}

mod independent {
    //! Against webrtc-rs' SRTP, which derives keys and transforms packets in pure Rust.
    use super::*;
    use janus::srtp::SessionKeys;
    use webrtc_srtp::context::Context;
    use webrtc_srtp::protection_profile::ProtectionProfile;

    fn theirs(profile: Profile, keys: &SessionKeys, local: bool) -> Context {
        let p = match profile {
            Profile::Aes128CmSha1_80 => ProtectionProfile::Aes128CmHmacSha1_80,
            Profile::Aes128CmSha1_32 => ProtectionProfile::Aes128CmHmacSha1_32,
            Profile::AeadAes128Gcm => ProtectionProfile::AeadAes128Gcm,
            Profile::AeadAes256Gcm => ProtectionProfile::AeadAes256Gcm,
        };
        let key = if local { &keys.local } else { &keys.remote };
        let (k, s) = key.as_bytes().split_at(profile.key_len());
        Context::new(k, s, p, None, None).unwrap()
    }

    #[test]
    fn our_srtp_is_byte_identical_to_theirs_and_each_reads_the_other() {
        for profile in Profile::ALL {
            let m = material(profile, 9);
            let keys = SessionKeys::from_keying_material(profile, &m, DtlsRole::Server).unwrap();
            let mut ours = SrtpSession::new(profile, &keys).unwrap();
            // Their sender uses our outbound key; their receiver plays the peer, using ours too.
            let mut their_sender = theirs(profile, &keys, true);
            let mut their_receiver = theirs(profile, &keys, true);
            let mut their_peer = theirs(profile, &keys, false);
            // Crossing the sequence number wrap exercises the rollover counter on both sides.
            for seq in (65530u16..=65535).chain(0..6) {
                let (plain, len) = rtp(seq, 0xfeed_beef, 300);
                let mut buf = plain;
                let n = ours.protect_rtp(&mut buf, len).unwrap();
                let expected = their_sender.encrypt_rtp(&plain[..len]).unwrap();
                assert_eq!(buf[..n], expected[..], "{profile:?} seq {seq}");
                let decrypted = their_receiver.decrypt_rtp(&buf[..n]).unwrap();
                assert_eq!(decrypted[..], plain[..len]);

                let incoming = their_peer.encrypt_rtp(&plain[..len]).unwrap();
                let mut buf = [0u8; BUF];
                buf[..incoming.len()].copy_from_slice(&incoming);
                assert_eq!(ours.unprotect_rtp(&mut buf, incoming.len()), Ok(len), "{profile:?} seq {seq}");
                assert_eq!(buf[..len], plain[..len]);
            }
            for n in 0..5 {
                let (plain, len) = rtcp(0x5555_0000 + n, 0xfeed_beef);
                let mut buf = plain;
                let out = ours.protect_rtcp(&mut buf, len).unwrap();
                let expected = their_sender.encrypt_rtcp(&plain[..len]).unwrap();
                assert_eq!(buf[..out], expected[..], "{profile:?} rtcp {n}");
                assert_eq!(their_receiver.decrypt_rtcp(&buf[..out]).unwrap()[..], plain[..len]);

                let incoming = their_peer.encrypt_rtcp(&plain[..len]).unwrap();
                let mut buf = [0u8; BUF];
                buf[..incoming.len()].copy_from_slice(&incoming);
                assert_eq!(ours.unprotect_rtcp(&mut buf, incoming.len()), Ok(len), "{profile:?} rtcp {n}");
                assert_eq!(buf[..len], plain[..len]);
            }
        }
    }
}

mod known_answers {
    //! The reference packets of libsrtp's own driver test (also used by other SRTP stacks to
    //! check themselves): header `800f1234decafbadcafebabe`, sixteen 0xab payload bytes.
    use super::*;
    use janus::srtp::{MasterKey, SessionKeys};

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    fn session(profile: Profile, key: &str, salt: &str) -> SrtpSession {
        let key = MasterKey::new(profile, &hex(key), &hex(salt)).unwrap();
        SrtpSession::new(profile, &SessionKeys { local: key.clone(), remote: key }).unwrap()
    }

    fn check(session: &mut SrtpSession, plain: &str, protected: &str, rtcp: bool) {
        let (plain, protected) = (hex(plain), hex(protected));
        let mut buf = [0u8; BUF];
        buf[..plain.len()].copy_from_slice(&plain);
        let n = if rtcp { session.protect_rtcp(&mut buf, plain.len()) } else { session.protect_rtp(&mut buf, plain.len()) };
        assert_eq!(buf[..n.unwrap()], protected[..]);
        let mut buf = [0u8; BUF];
        buf[..protected.len()].copy_from_slice(&protected);
        let n = if rtcp { session.unprotect_rtcp(&mut buf, protected.len()) } else { session.unprotect_rtp(&mut buf, protected.len()) };
        assert_eq!(buf[..n.unwrap()], plain[..]);
    }

    const RTP: &str = "800f1234decafbadcafebabeabababababababababababababababab";
    const RTCP: &str = "81c8000bcafebabeabababababababababababababababab";

    #[test]
    fn aes_cm_128_hmac_sha1_80() {
        let mut s = session(Profile::Aes128CmSha1_80, "e1f97a0d3e018be0d64fa32c06de4139", "0ec675ad498afeebb6960b3aabe6");
        check(&mut s, RTP, "800f1234decafbadcafebabe4e55dc4ce79978d88ca4d215949d2402b78d6acc99ea179b8dbb", false);
        check(&mut s, RTCP, "81c8000bcafebabe7128035be487b9bdbef89041f977a5a880000001993e08cd54d6c1230798", true);
    }

    #[test]
    fn aead_aes_128_gcm() {
        let mut s = session(Profile::AeadAes128Gcm, "000102030405060708090a0b0c0d0e0f", "a0a1a2a3a4a5a6a7a8a9aaab");
        check(&mut s, RTP, "800f1234decafbadcafebabec5002ede04cfdd2eb91159e0880aa06ed2976826f796b201df3131a127e8a392", false);
    }

    #[test]
    fn aead_aes_256_gcm() {
        let mut s =
            session(Profile::AeadAes256Gcm, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", "a0a1a2a3a4a5a6a7a8a9aaab");
        check(&mut s, RTP, "800f1234decafbadcafebabe0af7f21e8a90bdad7a425c9c31ed4bb1d90238917e7390a2793500e1681acaea", false);
    }
}
