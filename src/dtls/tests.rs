use super::*;
use crate::sys::openssl::{DtlsContextConfig, SslContext};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Generated certificates are slow (RSA): one of each kind for all tests.
fn ec_cert() -> &'static DtlsCertificate {
    static CERT: OnceLock<DtlsCertificate> = OnceLock::new();
    CERT.get_or_init(|| DtlsCertificate::generate(false).expect("EC certificate"))
}

fn rsa_cert() -> &'static DtlsCertificate {
    static CERT: OnceLock<DtlsCertificate> = OnceLock::new();
    CERT.get_or_init(|| DtlsCertificate::generate(true).expect("RSA certificate"))
}

fn settings(cert: &DtlsCertificate, options: DtlsOptions) -> DtlsSettings {
    DtlsSettings::new(cert, options).expect("DTLS settings")
}

/// A server (the gateway, EC certificate) and a client (the "browser", RSA certificate),
/// each knowing the other's fingerprint.
fn pair(server: &DtlsSettings, client: &DtlsSettings) -> (DtlsContext, DtlsContext) {
    let mut s = DtlsContext::new(server, DtlsRole::Server).unwrap();
    let mut c = DtlsContext::new(client, DtlsRole::Client).unwrap();
    s.set_remote_fingerprint("sha-256", client.local_fingerprint());
    c.set_remote_fingerprint("sha-256", server.local_fingerprint());
    (s, c)
}

fn outgoing(ctx: &mut DtlsContext) -> Vec<Vec<u8>> {
    std::iter::from_fn(|| ctx.poll_transmit().map(<[u8]>::to_vec)).collect()
}

fn events(ctx: &mut DtlsContext) -> Vec<DtlsEvent> {
    std::iter::from_fn(|| ctx.poll_event()).collect()
}

/// Moves datagrams both ways until neither side has anything to say; returns every datagram
/// that went over the wire.
fn pump(a: &mut DtlsContext, b: &mut DtlsContext) -> Vec<Vec<u8>> {
    let mut wire = Vec::new();
    let mut buf = [0u8; 2048];
    for _ in 0..50 {
        let (to_b, to_a) = (outgoing(a), outgoing(b));
        if to_b.is_empty() && to_a.is_empty() {
            break;
        }
        for d in &to_b {
            b.handle_incoming(d, Instant::now(), &mut buf);
        }
        for d in &to_a {
            a.handle_incoming(d, Instant::now(), &mut buf);
        }
        wire.extend(to_b.into_iter().chain(to_a));
    }
    wire
}

fn connected(events: &[DtlsEvent]) -> Option<&SrtpKeyingMaterial> {
    events.iter().find_map(|e| match e {
        DtlsEvent::Connected(k) => Some(k),
        _ => None,
    })
}

fn handshake(server: &DtlsSettings, client: &DtlsSettings) -> (DtlsContext, DtlsContext, Vec<Vec<u8>>) {
    let (mut s, mut c) = pair(server, client);
    s.start(Instant::now());
    c.start(Instant::now());
    let wire = pump(&mut s, &mut c);
    (s, c, wire)
}

#[test]
fn handshake_connects_with_matching_srtp_keys() {
    let (server, client) = (settings(ec_cert(), DtlsOptions::default()), settings(rsa_cert(), DtlsOptions::default()));
    let (mut s, mut c, _) = handshake(&server, &client);
    assert_eq!((s.state(), c.state()), (DtlsState::Connected, DtlsState::Connected));
    let (se, ce) = (events(&mut s), events(&mut c));
    let (sk, ck) = (connected(&se).expect("server connected"), connected(&ce).expect("client connected"));
    // Both offer Janus' list: the first, AEAD_AES_256_GCM, wins.
    assert_eq!(sk.profile, Profile::AeadAes256Gcm);
    assert_eq!(ck.profile, Profile::AeadAes256Gcm);
    assert_eq!(s.srtp_profile().map(Profile::name), Some("SRTP_AEAD_AES_256_GCM"));
    assert_eq!(sk.keys.local.as_bytes().len(), 32 + 12);
    // What one side protects with, the other unprotects with.
    assert_eq!(sk.keys.local, ck.keys.remote);
    assert_eq!(sk.keys.remote, ck.keys.local);
    assert_ne!(sk.keys.local, sk.keys.remote);
    assert_ne!(&sk.keys.local.as_bytes()[..32], &[0u8; 32]);
    assert!(s.is_ready() && c.is_ready());
    assert!(s.connected_at().is_some() && s.started_at().is_some());
    let (version, cipher) = s.version_and_cipher();
    assert_eq!(version, "DTLSv1.2");
    assert!(cipher.starts_with("ECDHE-"), "{cipher}");
    // Connected: no more timers.
    assert_eq!(s.poll_timeout(Instant::now()), None);
    assert_eq!(c.poll_timeout(Instant::now()), None);
}

/// A peer whose `use_srtp` list is restricted: the profile and the key/salt split follow.
#[test]
fn negotiates_each_srtp_profile() {
    let server = settings(ec_cert(), DtlsOptions::default());
    for (offer, profile, key, salt) in [
        ("SRTP_AES128_CM_SHA1_80", Profile::Aes128CmSha1_80, 16, 14),
        ("SRTP_AES128_CM_SHA1_32", Profile::Aes128CmSha1_32, 16, 14),
        ("SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80", Profile::AeadAes128Gcm, 16, 12),
    ] {
        let client = peer_settings(DEFAULT_CIPHERS, offer);
        let (mut s, mut c, _) = handshake(&server, &client);
        let (se, ce) = (events(&mut s), events(&mut c));
        let (sk, ck) = (connected(&se).unwrap(), connected(&ce).unwrap());
        assert_eq!((sk.profile, ck.profile), (profile, profile), "{offer}");
        assert_eq!(sk.keys.local.as_bytes().len(), key + salt);
        assert_eq!((&sk.keys.local, &sk.keys.remote), (&ck.keys.remote, &ck.keys.local));
    }
}

#[test]
fn application_data_both_ways_into_caller_buffers() {
    let (server, client) = (settings(ec_cert(), DtlsOptions::default()), settings(rsa_cert(), DtlsOptions::default()));
    let (mut s, mut c, _) = handshake(&server, &client);
    assert!(c.send(b"sctp packet one"));
    assert!(c.send(b"two"));
    let mut buf = [0u8; 1500];
    let records = outgoing(&mut c);
    assert_eq!(records.len(), 2);
    let n = s.handle_incoming(&records[0], Instant::now(), &mut buf);
    assert_eq!(&buf[..n], b"sctp packet one");
    let n = s.handle_incoming(&records[1], Instant::now(), &mut buf);
    assert_eq!(&buf[..n], b"two");
    // Two records in one datagram: the second comes from read_application_data.
    assert!(c.send(b"three") && c.send(b"four"));
    let glued = outgoing(&mut c).concat();
    let n = s.handle_incoming(&glued, Instant::now(), &mut buf);
    assert_eq!(&buf[..n], b"three");
    let n = s.read_application_data(&mut buf);
    assert_eq!(&buf[..n], b"four");
    assert_eq!(s.read_application_data(&mut buf), 0);
    assert!(s.send(b"back"));
    let back = outgoing(&mut s);
    let n = c.handle_incoming(&back[0], Instant::now(), &mut buf);
    assert_eq!(&buf[..n], b"back");
    assert_eq!(c.read_application_data(&mut buf), 0);
}

#[test]
fn fingerprint_mismatch_fails() {
    let (server, client) = (settings(ec_cert(), DtlsOptions::default()), settings(rsa_cert(), DtlsOptions::default()));
    let (mut s, mut c) = pair(&server, &client);
    // The server expects the client to hold its own (EC) certificate: not a match.
    s.set_remote_fingerprint("sha-256", server.local_fingerprint());
    s.start(Instant::now());
    c.start(Instant::now());
    pump(&mut s, &mut c);
    assert_eq!(s.state(), DtlsState::Failed);
    let se = events(&mut s);
    assert!(connected(&se).is_none());
    assert!(
        se.iter().any(|e| matches!(e, DtlsEvent::Failed(DtlsFailure::FingerprintMismatch { expected: Some(x), got })
            if x == server.local_fingerprint() && got == client.local_fingerprint())),
        "{se:?}"
    );
    assert!(!s.is_ready());
    assert!(!s.send(b"nope"));
}

#[test]
fn missing_remote_fingerprint_fails() {
    let (server, client) = (settings(ec_cert(), DtlsOptions::default()), settings(rsa_cert(), DtlsOptions::default()));
    let mut s = DtlsContext::new(&server, DtlsRole::Server).unwrap();
    let mut c = DtlsContext::new(&client, DtlsRole::Client).unwrap();
    c.set_remote_fingerprint("sha-256", server.local_fingerprint());
    s.start(Instant::now());
    c.start(Instant::now());
    pump(&mut s, &mut c);
    let se = events(&mut s);
    assert!(
        se.contains(&DtlsEvent::Failed(DtlsFailure::FingerprintMismatch { expected: None, got: client.local_fingerprint().to_string() }))
    );
}

#[test]
fn sha1_fingerprint_and_case_insensitive_match() {
    let (server, client) = (settings(ec_cert(), DtlsOptions::default()), settings(rsa_cert(), DtlsOptions::default()));
    let (mut s, mut c) = pair(&server, &client);
    let sha1 = format_fingerprint(&rsa_cert().certificate.digest(crate::sys::openssl::Digest::Sha1).unwrap());
    assert_eq!(sha1.len(), 20 * 3 - 1);
    s.set_remote_fingerprint("SHA-1", &sha1.to_lowercase());
    s.start(Instant::now());
    c.start(Instant::now());
    pump(&mut s, &mut c);
    assert_eq!(s.state(), DtlsState::Connected);
    // The same value announced as sha-256 does not match.
    let (mut s, mut c) = pair(&server, &client);
    s.set_remote_fingerprint("sha-256", &sha1);
    s.start(Instant::now());
    c.start(Instant::now());
    pump(&mut s, &mut c);
    assert_eq!(s.state(), DtlsState::Failed);
}

#[test]
fn dropped_flights_are_retransmitted() {
    // OpenSSL 3.0 times DTLS with the real clock: the test waits for real, briefly.
    let options = DtlsOptions { timeout: Duration::from_millis(100), ..DtlsOptions::default() };
    let (server, client) = (settings(ec_cert(), options.clone()), settings(rsa_cert(), options));
    let (mut s, mut c) = pair(&server, &client);
    let wait_and_fire = |ctx: &mut DtlsContext| {
        let deadline = ctx.poll_timeout(Instant::now()).expect("retransmission timer");
        std::thread::sleep(deadline.saturating_duration_since(Instant::now()) + Duration::from_millis(20));
        ctx.handle_timeout(Instant::now());
    };
    let t0 = Instant::now();
    s.start(t0);
    c.start(t0);
    assert!(outgoing(&mut s).is_empty(), "a server waits for the ClientHello");
    assert_eq!(s.poll_timeout(t0), Some(t0 + HANDSHAKE_GIVE_UP), "and only has the give-up deadline");
    // The ClientHello is lost.
    let first = outgoing(&mut c);
    assert_eq!(first.len(), 1);
    let deadline = c.poll_timeout(Instant::now()).unwrap();
    assert!(deadline <= Instant::now() + Duration::from_millis(100) && deadline > Instant::now() + Duration::from_millis(50));
    // Before the timer: nothing happens.
    c.handle_timeout(Instant::now());
    assert!(outgoing(&mut c).is_empty());
    assert_eq!(c.retransmissions(), 0);
    wait_and_fire(&mut c);
    assert_eq!(c.retransmissions(), 1);
    assert_eq!(outgoing(&mut c).len(), 1);
    // Lost again: the interval doubled.
    let deadline = c.poll_timeout(Instant::now()).unwrap();
    assert!(deadline > Instant::now() + Duration::from_millis(150), "doubled to 200 ms");
    c.handle_timeout(Instant::now());
    assert_eq!(c.retransmissions(), 1, "not yet");
    wait_and_fire(&mut c);
    assert_eq!(c.retransmissions(), 2);
    let again = outgoing(&mut c);
    assert_eq!(again[0][13..], first[0][13..], "the same ClientHello");
    assert_eq!(again[0][3..11], [0, 0, 0, 0, 0, 0, 0, 2], "in the third record of epoch 0");
    // The server's flight is lost: it retransmits on its own timer.
    let mut buf = [0u8; 1500];
    s.handle_incoming(&again[0], Instant::now(), &mut buf);
    let flight = outgoing(&mut s);
    assert!(!flight.is_empty());
    wait_and_fire(&mut s);
    assert_eq!(s.retransmissions(), 1);
    let resent = outgoing(&mut s);
    // Same messages (OpenSSL resends them one record per datagram), new sequence numbers.
    assert_eq!(resent.iter().map(Vec::len).sum::<usize>(), flight.iter().map(Vec::len).sum::<usize>());
    assert_ne!(resent.concat(), flight.concat());
    for d in &resent {
        c.handle_incoming(d, Instant::now(), &mut buf);
    }
    pump(&mut s, &mut c);
    assert_eq!((s.state(), c.state()), (DtlsState::Connected, DtlsState::Connected));
    assert_eq!(connected(&events(&mut s)), connected(&events(&mut c)).cloned().map(swap).as_ref());
}

#[test]
fn lost_final_flight_is_recovered_by_the_peers_retransmission() {
    let options = DtlsOptions { timeout: Duration::from_millis(100), ..DtlsOptions::default() };
    let (server, client) = (settings(ec_cert(), options.clone()), settings(rsa_cert(), options));
    let (mut s, mut c) = pair(&server, &client);
    s.start(Instant::now());
    c.start(Instant::now());
    let mut buf = [0u8; 1500];
    let mut deliver = |from: &mut DtlsContext, to: &mut DtlsContext| {
        for d in outgoing(from) {
            to.handle_incoming(&d, Instant::now(), &mut buf);
        }
    };
    deliver(&mut c, &mut s); // ClientHello
    deliver(&mut s, &mut c); // ServerHello .. ServerHelloDone
    deliver(&mut c, &mut s); // Certificate .. Finished
    assert_eq!(s.state(), DtlsState::Connected);
    // The server's ChangeCipherSpec and Finished are lost.
    assert!(!outgoing(&mut s).is_empty());
    assert_eq!(c.state(), DtlsState::Trying);
    let deadline = c.poll_timeout(Instant::now()).unwrap();
    std::thread::sleep(deadline.saturating_duration_since(Instant::now()) + Duration::from_millis(20));
    c.handle_timeout(Instant::now());
    assert_eq!(c.retransmissions(), 1);
    // The connected server answers the retransmitted flight with its own again.
    deliver(&mut c, &mut s);
    deliver(&mut s, &mut c);
    assert_eq!(c.state(), DtlsState::Connected);
    assert_eq!(connected(&events(&mut s)), connected(&events(&mut c)).cloned().map(swap).as_ref());
}

fn swap(k: SrtpKeyingMaterial) -> SrtpKeyingMaterial {
    let keys = SessionKeys { local: k.keys.remote, remote: k.keys.local };
    SrtpKeyingMaterial { profile: k.profile, keys }
}

#[test]
fn gives_up_after_twenty_seconds() {
    let (server, client) = (settings(ec_cert(), DtlsOptions::default()), settings(rsa_cert(), DtlsOptions::default()));
    let (_, mut c) = pair(&server, &client);
    let t0 = Instant::now();
    c.start(t0);
    assert!(c.poll_timeout(t0).unwrap() <= t0 + HANDSHAKE_GIVE_UP);
    c.handle_timeout(t0 + Duration::from_secs(19));
    assert_eq!(c.state(), DtlsState::Trying);
    c.handle_timeout(t0 + HANDSHAKE_GIVE_UP);
    assert_eq!(c.state(), DtlsState::Failed);
    assert_eq!(events(&mut c), vec![DtlsEvent::Failed(DtlsFailure::Timeout)]);
    assert_eq!(c.poll_timeout(t0), None);
}

#[test]
fn mtu_bounds_every_handshake_datagram() {
    for mtu in [300u16, 500, DEFAULT_MTU] {
        let options = DtlsOptions { mtu, ..DtlsOptions::default() };
        // RSA certificates on both sides: the Certificate messages exceed the smaller MTUs.
        let (server, client) = (settings(rsa_cert(), options.clone()), settings(rsa_cert(), options));
        let (s, c, wire) = handshake(&server, &client);
        assert_eq!((s.state(), c.state()), (DtlsState::Connected, DtlsState::Connected), "mtu {mtu}");
        let largest = wire.iter().map(Vec::len).max().unwrap();
        assert!(largest <= usize::from(mtu), "mtu {mtu}: a {largest}-byte datagram");
        // Every datagram is whole records.
        for d in &wire {
            let mut rest = d.as_slice();
            while !rest.is_empty() {
                assert!(rest.len() >= 13, "a record header");
                let len = 13 + usize::from(u16::from_be_bytes([rest[11], rest[12]]));
                assert!(len <= rest.len(), "a whole record");
                rest = &rest[len..];
            }
        }
        if mtu == 300 {
            assert!(wire.len() > 8, "the certificates were fragmented");
        }
    }
}

/// A small xorshift generator: reproducible garbage.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }
}

#[test]
fn garbage_and_truncated_records_never_panic() {
    let (server, client) = (settings(ec_cert(), DtlsOptions::default()), settings(rsa_cert(), DtlsOptions::default()));
    let mut noise = Noise(0x9e37_79b9_7f4a_7c15);
    let mut buf = [0u8; 1500];
    // Random datagrams (some shaped like DTLS records) before and while handshaking.
    let (mut s, mut c) = pair(&server, &client);
    s.start(Instant::now());
    c.start(Instant::now());
    for i in 0..300 {
        let len = (noise.next() % 1400) as usize;
        let mut d = noise.bytes(len);
        if i % 2 == 0 && d.len() > 13 {
            d[0] = 22;
            d[1] = 0xfe;
            d[2] = 0xfd;
        }
        s.handle_incoming(&d, Instant::now(), &mut buf);
    }
    s.handle_incoming(&[], Instant::now(), &mut buf);
    // The server ignored all of that: the real handshake still completes.
    pump(&mut s, &mut c);
    assert_eq!((s.state(), c.state()), (DtlsState::Connected, DtlsState::Connected));

    // Every real handshake datagram, truncated at every length, to fresh servers.
    let (_, _, wire) = handshake(&server, &client);
    let hello = &wire[0];
    for cut in 0..hello.len() {
        let (mut s, _) = pair(&server, &client);
        s.start(Instant::now());
        s.handle_incoming(&hello[..cut], Instant::now(), &mut buf);
        assert_ne!(s.state(), DtlsState::Connected);
        let _ = outgoing(&mut s);
    }
    for datagram in &wire {
        let (mut s, _) = pair(&server, &client);
        s.start(Instant::now());
        for cut in (0..datagram.len()).step_by(7) {
            s.handle_incoming(&datagram[..cut], Instant::now(), &mut buf);
        }
        let _ = (outgoing(&mut s), events(&mut s));
    }

    // Once connected: garbage and truncated application records are dropped.
    let (mut s, mut c, _) = handshake(&server, &client);
    events(&mut s);
    assert!(c.send(b"data channel"));
    let record = outgoing(&mut c).remove(0);
    for cut in 0..record.len() {
        assert_eq!(s.handle_incoming(&record[..cut], Instant::now(), &mut buf), 0);
    }
    for _ in 0..200 {
        let len = (noise.next() % 1400) as usize;
        let mut d = noise.bytes(len);
        if d.len() > 3 {
            d[0] = 23;
            d[1] = 0xfe;
            d[2] = 0xfd;
        }
        assert_eq!(s.handle_incoming(&d, Instant::now(), &mut buf), 0);
    }
    assert_eq!(s.state(), DtlsState::Connected);
    let n = s.handle_incoming(&record, Instant::now(), &mut buf);
    assert_eq!(&buf[..n], b"data channel");
    assert!(events(&mut s).is_empty(), "no alert, no failure");
}

/// Settings for a peer that differs from Janus in its cipher or `use_srtp` lists.
fn peer_settings(ciphers: &str, srtp_profiles: &str) -> DtlsSettings {
    let cert = rsa_cert();
    let ctx = SslContext::new_dtls(&DtlsContextConfig {
        certificate: &cert.certificate,
        key: &cert.key,
        ciphers,
        srtp_profiles,
        accept_selfsigned: true,
    })
    .unwrap();
    DtlsSettings { ctx, fingerprint: cert.fingerprint().into(), options: DtlsOptions::default() }
}

#[test]
fn no_shared_cipher_fails_with_a_fatal_alert() {
    let server = settings(ec_cert(), DtlsOptions::default());
    // Janus' default list excludes SHA-256 suites.
    let client = peer_settings("ECDHE-ECDSA-AES128-SHA256", SRTP_PROFILES);
    let (mut s, mut c, _) = handshake(&server, &client);
    assert_eq!((s.state(), c.state()), (DtlsState::Failed, DtlsState::Failed));
    let (se, ce) = (events(&mut s), events(&mut c));
    // handshake_failure (40), sent by us and received by the peer.
    assert!(se.contains(&DtlsEvent::Alert { sent: true, fatal: true, description: 40 }), "{se:?}");
    assert!(se.iter().any(|e| matches!(e, DtlsEvent::Failed(DtlsFailure::Handshake(r)) if r.contains("no shared cipher"))), "{se:?}");
    assert!(ce.contains(&DtlsEvent::Alert { sent: false, fatal: true, description: 40 }), "{ce:?}");
    assert!(ce.iter().any(|e| matches!(e, DtlsEvent::Failed(DtlsFailure::Handshake(_)))), "{ce:?}");
    assert_eq!((s.poll_timeout(Instant::now()), c.poll_timeout(Instant::now())), (None, None));
}

#[test]
fn no_common_srtp_profile_fails_after_the_handshake() {
    let server = settings(ec_cert(), DtlsOptions::default());
    // A peer that does not offer use_srtp at all.
    let client = peer_settings(DEFAULT_CIPHERS, "");
    let (mut s, c, _) = handshake(&server, &client);
    assert_eq!(s.state(), DtlsState::Failed);
    assert_eq!(events(&mut s), vec![DtlsEvent::Failed(DtlsFailure::NoSrtpProfile)]);
    assert_eq!(c.state(), DtlsState::Failed);
}

#[test]
fn close_notify_closes_the_peer() {
    let (server, client) = (settings(ec_cert(), DtlsOptions::default()), settings(rsa_cert(), DtlsOptions::default()));
    let (mut s, mut c, _) = handshake(&server, &client);
    events(&mut s);
    events(&mut c);
    c.send_close_notify();
    assert!(events(&mut c).is_empty(), "our own close_notify is no event");
    let notify = outgoing(&mut c);
    assert_eq!(notify.len(), 1);
    assert_eq!(notify[0][0], 21, "an alert record");
    assert!(!c.send(b"after close"));
    c.send_close_notify();
    assert!(outgoing(&mut c).is_empty(), "sent once");
    let mut buf = [0u8; 1500];
    assert_eq!(s.handle_incoming(&notify[0], Instant::now(), &mut buf), 0);
    assert_eq!(events(&mut s), vec![DtlsEvent::Alert { sent: false, fatal: false, description: 0 }, DtlsEvent::Closed]);
    // Nothing is processed any more.
    assert!(!s.send(b"x"));
    assert_eq!(s.handle_incoming(&notify[0], Instant::now(), &mut buf), 0);
    assert!(events(&mut s).is_empty());
}

#[test]
fn datagrams_before_start_are_dropped_and_role_follows_negotiation() {
    let (server, client) = (settings(ec_cert(), DtlsOptions::default()), settings(rsa_cert(), DtlsOptions::default()));
    let (mut s, mut c) = pair(&server, &client);
    // Offered actpass, then the answer made us the client.
    s.set_role(DtlsRole::ActPass);
    assert_eq!(s.state(), DtlsState::Created);
    c.start(Instant::now());
    let hello = outgoing(&mut c);
    let mut buf = [0u8; 1500];
    s.handle_incoming(&hello[0], Instant::now(), &mut buf);
    assert!(outgoing(&mut s).is_empty(), "not started: dropped");
    // ActPass handshakes as a server.
    s.start(Instant::now());
    assert_eq!(s.state(), DtlsState::Trying);
    s.set_role(DtlsRole::Client);
    assert_eq!(s.role(), DtlsRole::ActPass, "too late to change the role");
    s.handle_incoming(&hello[0], Instant::now(), &mut buf);
    pump(&mut s, &mut c);
    assert_eq!(s.state(), DtlsState::Connected);
}

#[test]
fn handshake_needs_no_application_buffer() {
    let (server, client) = (settings(ec_cert(), DtlsOptions::default()), settings(rsa_cert(), DtlsOptions::default()));
    let (mut s, mut c) = pair(&server, &client);
    s.start(Instant::now());
    c.start(Instant::now());
    for _ in 0..10 {
        for d in outgoing(&mut c) {
            assert_eq!(s.handle_incoming(&d, Instant::now(), &mut []), 0);
        }
        for d in outgoing(&mut s) {
            assert_eq!(c.handle_incoming(&d, Instant::now(), &mut []), 0);
        }
    }
    assert_eq!((s.state(), c.state()), (DtlsState::Connected, DtlsState::Connected));
}

#[test]
fn contexts_move_between_threads_and_settings_are_shared() {
    fn send<T: Send>() {}
    fn shared<T: Send + Sync>() {}
    send::<DtlsContext>();
    shared::<DtlsSettings>();
    shared::<DtlsCertificate>();
    let server = std::sync::Arc::new(settings(ec_cert(), DtlsOptions::default()));
    let client = settings(rsa_cert(), DtlsOptions::default());
    let (s, c) = pair(&server, &client);
    let s = std::thread::spawn(move || {
        let mut s = s;
        s.start(Instant::now());
        s
    })
    .join()
    .unwrap();
    let (mut s, mut c) = (s, c);
    c.start(Instant::now());
    pump(&mut s, &mut c);
    assert_eq!(s.state(), DtlsState::Connected);
}

#[test]
fn demultiplexes_dtls() {
    assert!(is_dtls(&[22, 254, 253]));
    assert!(is_dtls(&[20]) && is_dtls(&[64]));
    assert!(!is_dtls(&[0, 1]), "STUN");
    assert!(!is_dtls(&[0x80, 96]), "RTP");
    assert!(!is_dtls(&[19]) && !is_dtls(&[65]) && !is_dtls(&[]));
}

#[test]
fn roles_and_names() {
    assert_eq!(DtlsRole::for_remote_setup("actpass"), Some(DtlsRole::Client));
    assert_eq!(DtlsRole::for_remote_setup("PASSIVE"), Some(DtlsRole::Client));
    assert_eq!(DtlsRole::for_remote_setup("active"), Some(DtlsRole::Server));
    assert_eq!(DtlsRole::for_remote_setup("holdconn"), None);
    assert_eq!([DtlsRole::ActPass, DtlsRole::Server, DtlsRole::Client].map(DtlsRole::as_str), ["actpass", "passive", "active"]);
    assert_eq!(
        [DtlsState::Created, DtlsState::Trying, DtlsState::Connected, DtlsState::Failed].map(DtlsState::as_str),
        ["created", "trying", "connected", "failed"]
    );
    assert_eq!(format_fingerprint(&[0x0a, 0xff, 0x10]), "0A:FF:10");
}

#[test]
fn selfsigned_peers_refused_when_not_accepted() {
    let strict = DtlsOptions { accept_selfsigned: false, ..DtlsOptions::default() };
    let (server, client) = (settings(ec_cert(), strict), settings(rsa_cert(), DtlsOptions::default()));
    let (mut s, mut c, _) = handshake(&server, &client);
    assert_eq!(s.state(), DtlsState::Failed);
    assert_ne!(c.state(), DtlsState::Connected);
    let se = events(&mut s);
    // bad_certificate (42) or unknown_ca (48)-style fatal alert from us.
    assert!(se.iter().any(|e| matches!(e, DtlsEvent::Alert { sent: true, fatal: true, .. })), "{se:?}");
    let ce = events(&mut c);
    assert!(ce.iter().any(|e| matches!(e, DtlsEvent::Alert { sent: false, fatal: true, .. })), "{ce:?}");
}

// ---- certificates, checked against the openssl command line tool ----

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("janus-dtls-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn path(&self, file: &str) -> PathBuf {
        self.0.join(file)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn openssl(args: &[&str]) -> String {
    let out = Command::new("openssl").args(args).output().expect("openssl CLI");
    assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// `openssl x509 -fingerprint -sha256` of a PEM file, in SDP form.
fn cli_fingerprint(pem: &Path) -> String {
    let out = openssl(&["x509", "-in", pem.to_str().unwrap(), "-noout", "-fingerprint", "-sha256"]);
    out.trim().split_once('=').expect("Fingerprint=...").1.to_string()
}

#[test]
fn generated_certificates_are_as_janus_makes_them() {
    let dir = TempDir::new("gen");
    for (cert, algorithm) in [(ec_cert(), "id-ecPublicKey"), (rsa_cert(), "rsaEncryption")] {
        let pem = dir.path("cert.pem");
        std::fs::write(&pem, cert.to_pem().unwrap()).unwrap();
        assert_eq!(cli_fingerprint(&pem), cert.fingerprint());
        assert_eq!(cert.fingerprint().len(), 32 * 3 - 1);
        let text = openssl(&["x509", "-in", pem.to_str().unwrap(), "-noout", "-text"]);
        assert!(text.contains("Version: 3 (0x2)"), "{text}");
        assert!(text.contains(algorithm), "{text}");
        assert!(text.contains("Subject: O = Janus, CN = Janus"), "{text}");
        assert!(text.contains("Issuer: O = Janus, CN = Janus"), "{text}");
        assert!(text.contains("Signature Algorithm: ecdsa-with-SHA256") || text.contains("sha256WithRSAEncryption"));
        if algorithm == "rsaEncryption" {
            assert!(text.contains("(2048 bit)"), "{text}");
        } else {
            assert!(text.contains("prime256v1"), "{text}");
        }
        // Valid from a year ago to a year from now.
        let dates = openssl(&["x509", "-in", pem.to_str().unwrap(), "-noout", "-startdate", "-enddate"]);
        let year = |prefix: &str| -> i32 {
            let line = dates.lines().find(|l| l.starts_with(prefix)).unwrap();
            line.split_whitespace().rev().nth(1).unwrap().parse().unwrap()
        };
        assert_eq!(year("notAfter") - year("notBefore"), 2, "{dates}");
        assert!(openssl(&["x509", "-in", pem.to_str().unwrap(), "-noout", "-checkend", "86400"]).contains("will not expire"));
    }
    // Each generation is a new certificate.
    assert_ne!(DtlsCertificate::generate(false).unwrap().fingerprint(), ec_cert().fingerprint());
}

#[test]
fn loads_configured_certificates_with_optional_password() {
    let dir = TempDir::new("load");
    let (pem, key, enc_pem, enc_key) = (dir.path("c.pem"), dir.path("k.pem"), dir.path("ec.pem"), dir.path("ek.pem"));
    let s = |p: &Path| p.to_str().unwrap().to_string();
    openssl(&["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", &s(&key)]);
    openssl(&["req", "-x509", "-new", "-key", &s(&key), "-subj", "/CN=plain", "-days", "2", "-out", &s(&pem)]);
    openssl(&["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-aes256", "-pass", "pass:s3cret", "-out", &s(&enc_key)]);
    openssl(&[
        "req",
        "-x509",
        "-new",
        "-key",
        &s(&enc_key),
        "-passin",
        "pass:s3cret",
        "-subj",
        "/CN=encrypted",
        "-days",
        "2",
        "-out",
        &s(&enc_pem),
    ]);

    let plain = DtlsCertificate::from_settings(Some(&pem), Some(&key), None, false).unwrap();
    assert_eq!(plain.fingerprint(), cli_fingerprint(&pem));
    let encrypted = DtlsCertificate::load(&enc_pem, &enc_key, Some("s3cret")).unwrap();
    assert_eq!(encrypted.fingerprint(), cli_fingerprint(&enc_pem));
    // A configured password on an unencrypted key is harmless.
    assert!(DtlsCertificate::load(&pem, &key, Some("unused")).is_ok());

    // Wrong or missing passwords fail (and never prompt).
    assert_eq!(DtlsCertificate::load(&enc_pem, &enc_key, Some("wrong")).err(), Some(CertificateError::InvalidKey));
    assert_eq!(DtlsCertificate::load(&enc_pem, &enc_key, None).err(), Some(CertificateError::InvalidKey));
    // One file without the other, missing files, files of the wrong kind.
    assert_eq!(DtlsCertificate::from_settings(Some(&pem), None, None, false).err(), Some(CertificateError::MissingCertOrKey));
    assert_eq!(DtlsCertificate::from_settings(None, Some(&key), None, false).err(), Some(CertificateError::MissingCertOrKey));
    assert!(matches!(DtlsCertificate::load(&dir.path("none.pem"), &key, None), Err(CertificateError::Read { .. })));
    assert_eq!(DtlsCertificate::load(&key, &key, None).err(), Some(CertificateError::InvalidCertificate));
    assert_eq!(DtlsCertificate::load(&pem, &pem, None).err(), Some(CertificateError::InvalidKey));
    // Nothing configured: generated.
    assert!(DtlsCertificate::from_settings(None, None, None, false).is_ok());

    // A certificate with somebody else's key is refused when setting DTLS up.
    let mixed_key = dir.path("mixed.pem");
    std::fs::copy(&key, &mixed_key).unwrap();
    let mixed = DtlsCertificate::load(&enc_pem, &mixed_key, None).unwrap();
    assert!(matches!(
        DtlsSettings::new(&mixed, DtlsOptions::default()),
        Err(crate::sys::openssl::ContextError::Key(_) | crate::sys::openssl::ContextError::KeyMismatch(_))
    ));
    // Bad cipher lists are refused too.
    let bad = DtlsOptions { ciphers: "NOT-A-CIPHER".into(), ..DtlsOptions::default() };
    assert!(matches!(DtlsSettings::new(&plain, bad), Err(crate::sys::openssl::ContextError::Ciphers(_))));

    // A loaded certificate does DTLS, and the peer sees the fingerprint the CLI computed.
    let server = settings(&encrypted, DtlsOptions::default());
    let client = settings(&plain, DtlsOptions::default());
    assert_eq!(server.local_fingerprint(), cli_fingerprint(&enc_pem));
    let (s, c, _) = handshake(&server, &client);
    assert_eq!((s.state(), c.state()), (DtlsState::Connected, DtlsState::Connected));
}
