//! A minimal WebSocket client for the stock WebSockets transport (`libjanus_websockets.so`):
//! RFC 6455 upgrade with the `janus-protocol` subprotocol, masked client frames, unmasked
//! server frames, text messages (fragmented or not), pings answered.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// One WebSocket connection to a gateway's Janus API.
pub struct WebSocket {
    stream: TcpStream,
    /// Bytes read but not yet consumed as frames.
    buffer: Vec<u8>,
}

impl WebSocket {
    /// Connects to the transport on loopback `port` and upgrades, retrying a refused
    /// connection until `timeout` passes (the transport may start listening a little after
    /// the gateway answers over HTTP). Panics on failure.
    pub fn connect(port: u16, timeout: Duration) -> WebSocket {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let deadline = Instant::now() + timeout;
        let mut stream = loop {
            match TcpStream::connect_timeout(&addr, timeout) {
                Ok(stream) => break stream,
                Err(e) if Instant::now() >= deadline => panic!("WebSocket transport on port {port}: {e}"),
                Err(_) => std::thread::sleep(Duration::from_millis(50)),
            }
        };
        stream.set_read_timeout(Some(timeout)).unwrap();
        stream.set_write_timeout(Some(timeout)).unwrap();
        let request = format!(
            "GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
             Sec-WebSocket-Protocol: janus-protocol\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).unwrap();
        let mut buffer = Vec::new();
        let end = loop {
            if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                break at + 4;
            }
            let mut chunk = [0u8; 1024];
            let n = stream.read(&mut chunk).expect("upgrade reply");
            assert!(n > 0, "connection closed during the upgrade");
            buffer.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8_lossy(&buffer[..end]).to_ascii_lowercase();
        assert!(head.starts_with("http/1.1 101"), "upgrade refused: {head}");
        // The key above is RFC 6455's example, whose accept value the RFC gives.
        assert!(head.contains("sec-websocket-accept: s3pplmbitxaq9kygzzhzrbk+xoo="), "{head}");
        assert!(head.contains("sec-websocket-protocol: janus-protocol"), "{head}");
        buffer.drain(..end);
        WebSocket { stream, buffer }
    }

    fn send_frame(&mut self, opcode: u8, payload: &[u8]) -> std::io::Result<()> {
        let mut frame = vec![0x80 | opcode];
        match payload.len() {
            n if n < 126 => frame.push(0x80 | n as u8),
            n if n <= 0xffff => {
                frame.push(0x80 | 126);
                frame.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                frame.push(0x80 | 127);
                frame.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        let mask = [0x37, 0xfa, 0x21, 0x3d];
        frame.extend_from_slice(&mask);
        frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        self.stream.write_all(&frame)
    }

    /// Reads until `n` bytes are buffered; false on timeout or close.
    fn fill(&mut self, n: usize, deadline: Instant) -> bool {
        while self.buffer.len() < n {
            let Some(left) = deadline.checked_duration_since(Instant::now()).filter(|d| !d.is_zero()) else { return false };
            self.stream.set_read_timeout(Some(left)).unwrap();
            let mut chunk = [0u8; 4096];
            match self.stream.read(&mut chunk) {
                Ok(0) | Err(_) => return false,
                Ok(n) => self.buffer.extend_from_slice(&chunk[..n]),
            }
        }
        true
    }

    /// One frame: (fin, opcode, payload).
    fn read_frame(&mut self, deadline: Instant) -> Option<(bool, u8, Vec<u8>)> {
        if !self.fill(2, deadline) {
            return None;
        }
        let (b0, b1) = (self.buffer[0], self.buffer[1]);
        assert_eq!(b1 & 0x80, 0, "server frames are not masked");
        let (len, header) = match b1 & 0x7f {
            126 => {
                if !self.fill(4, deadline) {
                    return None;
                }
                (u16::from_be_bytes([self.buffer[2], self.buffer[3]]) as usize, 4)
            }
            127 => {
                if !self.fill(10, deadline) {
                    return None;
                }
                (u64::from_be_bytes(self.buffer[2..10].try_into().unwrap()) as usize, 10)
            }
            n => (n as usize, 2),
        };
        if !self.fill(header + len, deadline) {
            return None;
        }
        let payload = self.buffer[header..header + len].to_vec();
        self.buffer.drain(..header + len);
        Some((b0 & 0x80 != 0, b0 & 0x0f, payload))
    }

    /// Sends one text message.
    pub fn send_text(&mut self, text: &str) {
        self.send_frame(0x1, text.as_bytes()).expect("WebSocket write");
    }

    /// The next text message, or `None` when nothing came within `timeout` or the server
    /// closed the connection. A timeout in the middle of a frame loses nothing: its bytes
    /// stay buffered for the next call.
    pub fn recv_text(&mut self, timeout: Duration) -> Option<String> {
        let deadline = Instant::now() + timeout;
        let mut message = Vec::new();
        loop {
            let (fin, opcode, payload) = self.read_frame(deadline)?;
            match opcode {
                0x1 | 0x0 => {
                    message.extend_from_slice(&payload);
                    if fin {
                        return Some(String::from_utf8(message).expect("text frames are UTF-8"));
                    }
                }
                0x9 => self.send_frame(0xA, &payload).ok()?,
                0x8 => return None,
                _ => {}
            }
        }
    }

    /// Closes the connection as a browser tab going away would: close frame, then FIN
    /// (whether or not the server is still there).
    pub fn close(&mut self) {
        let _ = self.send_frame(0x8, &1000u16.to_be_bytes());
        let _ = self.stream.shutdown(std::net::Shutdown::Both);
    }
}
