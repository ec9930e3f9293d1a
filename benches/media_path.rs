//! The per-packet work of a PeerConnection, timed: `cargo bench --bench media_path`.
//! Receive: SRTP unprotect, the medium lookup, the plugin's extensions. Send: the rewrite
//! for the peer (SSRC, extensions) and SRTP protect. 1200-byte video packets, AES-CM-128
//! with HMAC-SHA1-80 and AEAD-AES-128-GCM, buffers reused as the PeerConnection does.

use std::hint::black_box;
use std::time::Instant;

use janus::media::packets::{rewrite_outgoing, SendStamps};
use janus::media::{Route, Routes, RtpExtensions};
use janus::sdp::ExtensionIds;
use janus::srtp::{DtlsRole, Profile, SrtpSession, RTP_TRAILER_ROOM};

const ROUNDS: u32 = 20_000;

fn packet(seq: u16) -> Vec<u8> {
    let mut p = vec![0x90, 96];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&(u32::from(seq) * 3000).to_be_bytes());
    p.extend_from_slice(&0x5566_7788u32.to_be_bytes());
    // mid "1" with id 4, one-byte form.
    p.extend_from_slice(&[0xBE, 0xDE, 0, 1, 0x40, b'1', 0, 0]);
    p.resize(1200, 0xab);
    p
}

fn main() {
    for profile in [Profile::Aes128CmSha1_80, Profile::AeadAes128Gcm] {
        let material: Vec<u8> = (0..profile.keying_material_len()).map(|i| i as u8).collect();
        let mut sender = SrtpSession::from_keying_material(profile, &material, DtlsRole::Client).unwrap();
        let mut receiver = SrtpSession::from_keying_material(profile, &material, DtlsRole::Server).unwrap();
        let mut routes = Routes {
            media: vec![Route { mindex: 0, video: true, mid: Some("1".into()), ssrc: 1234, payload_types: vec![96], ..Route::default() }],
            ext: ExtensionIds { mid: 4, transport_wide_cc: 5, ..ExtensionIds::default() },
            ..Routes::default()
        };
        // The peer's packets, protected beforehand.
        let wire: Vec<Vec<u8>> = (0..ROUNDS as u16)
            .map(|seq| {
                let p = packet(seq);
                let mut buf = vec![0u8; p.len() + RTP_TRAILER_ROOM];
                buf[..p.len()].copy_from_slice(&p);
                let n = sender.protect_rtp(&mut buf, p.len()).unwrap();
                buf.truncate(n);
                buf
            })
            .collect();
        let mut buf = vec![0u8; 1500 + RTP_TRAILER_ROOM];
        let start = Instant::now();
        for d in &wire {
            buf[..d.len()].copy_from_slice(d);
            let n = receiver.unprotect_rtp(&mut buf, d.len()).unwrap();
            let incoming = routes.incoming(&buf[..n]).unwrap();
            black_box(RtpExtensions::parse(&buf[..n], &routes.ext, routes.media[incoming.route].video));
        }
        let receive = start.elapsed() / ROUNDS;

        let plain = packet(1);
        let extensions = RtpExtensions::default();
        let mut out = vec![0u8; 1500 + RTP_TRAILER_ROOM];
        let start = Instant::now();
        for seq in 0..ROUNDS {
            let stamps = SendStamps { twcc_seq: Some(seq as u16), abs_send_time: None };
            let n = rewrite_outgoing(&plain, &extensions, &routes.media[0], &routes.ext, stamps, &mut out[..1500]).unwrap();
            out[2..4].copy_from_slice(&(seq as u16).to_be_bytes());
            black_box(sender.protect_rtp(&mut out, n).unwrap());
        }
        let send = start.elapsed() / ROUNDS;
        println!("{:<24} receive {:>8.2?}/packet   send {:>8.2?}/packet", profile.name(), receive, send);
    }
}
