//! A STUN server for tests: answers every Binding Request with XOR-MAPPED-ADDRESS, the
//! sender's address or a made-up public one (as a NAT would), until dropped.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

pub struct StunServer {
    pub port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl StunServer {
    /// Serves on `ip` (an ephemeral port); the mapped address is `public` with the
    /// sender's port, or the sender's own address.
    pub fn start(ip: IpAddr, public: Option<Ipv4Addr>) -> StunServer {
        let socket = UdpSocket::bind((ip, 0)).expect("a STUN port");
        socket.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
        let port = socket.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut buf = [0u8; 1500];
            while !stopped.load(Ordering::Relaxed) {
                let Ok((len, SocketAddr::V4(from))) = socket.recv_from(&mut buf) else { continue };
                if len < 20 || buf[0..2] != [0, 1] {
                    continue;
                }
                // The request's cookie and transaction id as they came (libnice's gathering
                // requests are answered as they expect).
                let cookie = [0x21, 0x12, 0xA4, 0x42];
                let mut answer = vec![0x01, 0x01, 0, 12];
                answer.extend_from_slice(&buf[4..20]);
                answer.extend_from_slice(&[0x00, 0x20, 0, 8, 0, 1]);
                let port = from.port().to_be_bytes();
                answer.extend_from_slice(&[port[0] ^ cookie[0], port[1] ^ cookie[1]]);
                let mapped = public.unwrap_or(*from.ip());
                answer.extend(mapped.octets().iter().zip(cookie).map(|(b, c)| b ^ c));
                let _ = socket.send_to(&answer, from);
            }
        });
        StunServer { port, stop, thread: Some(thread) }
    }
}

impl Drop for StunServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
