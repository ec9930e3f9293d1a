//! Capture of a handle's RTP/RTCP traffic to a file (Janus' `text2pcap.c`), started and
//! stopped through the Admin API: either a legacy `.pcap` (2.4) file or a text dump meant for
//! Wireshark's `text2pcap` tool. Starting on an existing file appends to it.

use std::fmt::Write as _;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};

/// libpcap's global header: magic, version 2.4, GMT offset 0, accuracy 0, snaplen 65535,
/// link type Ethernet, in host byte order as Janus writes it.
fn pcap_global_header() -> [u8; 24] {
    let mut h = [0u8; 24];
    h[0..4].copy_from_slice(&0xa1b2_c3d4u32.to_ne_bytes());
    h[4..6].copy_from_slice(&2u16.to_ne_bytes());
    h[6..8].copy_from_slice(&4u16.to_ne_bytes());
    h[16..20].copy_from_slice(&65535u32.to_ne_bytes());
    h[20..24].copy_from_slice(&1u32.to_ne_bytes());
    h
}

/// An open capture (`janus_text2pcap`).
#[derive(Debug)]
pub struct Capture {
    /// The path as given or generated (folder joined with the file name).
    pub filename: String,
    /// Text dump rather than `.pcap`.
    pub text: bool,
    /// Bytes of each packet kept (0 = all).
    pub truncate: u32,
    file: Option<File>,
}

impl Capture {
    /// `janus_text2pcap_create`: creates `folder` if needed, refuses paths inside a protected
    /// folder, opens the file for appending and, for `.pcap`, writes the global header.
    /// Without a file name one is made up from `random` (`janus-text2pcap-<n>.pcap|txt`).
    pub fn create(folder: Option<&str>, filename: Option<&str>, truncate: i32, text: bool, random: u32) -> io::Result<Capture> {
        let truncate = u32::try_from(truncate).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
        let name = match filename {
            Some(f) => f.to_string(),
            None => format!("janus-text2pcap-{random}.{}", if text { "txt" } else { "pcap" }),
        };
        if let Some(dir) = folder {
            crate::utils::mkdir(dir.as_bytes(), 0o755)?;
        }
        let path = match folder {
            Some(dir) => format!("{dir}/{name}"),
            None => name,
        };
        if crate::utils::is_folder_protected(&path) {
            crate::janus_log!(crate::log::Level::Err, "Target capture path '{}' is in protected folder...\n", path);
            return Err(io::Error::from(io::ErrorKind::PermissionDenied));
        }
        let mut file = OpenOptions::new().append(true).create(true).open(&path)?;
        if !text {
            file.write_all(&pcap_global_header())?;
        }
        Ok(Capture { filename: path, text, truncate, file: Some(file) })
    }

    /// Closes the file; later writes are refused.
    pub fn close(&mut self) {
        self.file = None;
    }

    pub fn is_open(&self) -> bool {
        self.file.is_some()
    }

    /// `janus_text2pcap_dump`: one plaintext packet of the handle `handle_id` of session
    /// `session_id`, seen at `unix_us`. `.pcap` files get it in a fake Ethernet/IPv4/UDP
    /// frame (10.1.1.1:1000 is the peer, 10.2.2.2:2000 the gateway); text dumps a line of
    /// hex bytes for `text2pcap`, tagged with the packet kind and the ids. Cut to
    /// `truncate` bytes when set. No allocation: this runs per packet.
    pub fn dump(
        &mut self,
        kind: PacketKind,
        incoming: bool,
        packet: &[u8],
        unix_us: i64,
        session_id: u64,
        handle_id: u64,
    ) -> io::Result<()> {
        let truncate = self.truncate as usize;
        let Some(file) = self.file.as_mut() else { return Err(io::ErrorKind::NotConnected.into()) };
        if packet.is_empty() {
            return Err(io::ErrorKind::InvalidInput.into());
        }
        let size = if truncate > 0 { packet.len().min(truncate) } else { packet.len() };
        if !self.text {
            let mut frame = [0u8; FRAME_HEADERS + 1500];
            let size = size.min(1500);
            frame[..FRAME_HEADERS].copy_from_slice(&frame_headers(incoming, packet.len(), size, unix_us));
            frame[FRAME_HEADERS..FRAME_HEADERS + size].copy_from_slice(&packet[..size]);
            return file.write_all(&frame[..FRAME_HEADERS + size]);
        }
        let mut line = TextLine::default();
        let (h, m, s) = crate::sys::clock::local_time_of_day(unix_us.div_euclid(1_000_000));
        let _ = write!(line, "{} {h:02}:{m:02}:{s:02}.{:06} 000000 ", if incoming { "I" } else { "O" }, unix_us.rem_euclid(1_000_000));
        for byte in &packet[..size] {
            let _ = write!(line, " {byte:02x}");
        }
        let _ = write!(line, " {} [session={session_id}][handle={handle_id}]", kind.name());
        line.finish();
        file.write_all(line.as_bytes())
    }
}

/// A handle's capture slot, shared by the Admin API (which starts and stops captures) and
/// the media path (which writes to the running one: a flag read per packet, the lock only
/// taken while a capture runs).
#[derive(Debug, Default)]
pub struct CaptureSlot {
    active: AtomicBool,
    capture: Mutex<Option<Capture>>,
}

/// Why a capture could not start.
#[derive(Debug)]
pub enum StartError {
    AlreadyStarted,
    Failed(io::Error),
}

impl CaptureSlot {
    fn lock(&self) -> MutexGuard<'_, Option<Capture>> {
        self.capture.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts the capture `create` opens, unless one runs already.
    pub fn start(&self, create: impl FnOnce() -> io::Result<Capture>) -> Result<(), StartError> {
        let mut slot = self.lock();
        if slot.is_some() {
            return Err(StartError::AlreadyStarted);
        }
        *slot = Some(create().map_err(StartError::Failed)?);
        self.active.store(true, Ordering::Release);
        Ok(())
    }

    /// Stops and closes the running capture, if any.
    pub fn stop(&self) -> Option<Capture> {
        let mut slot = self.lock();
        self.active.store(false, Ordering::Release);
        let mut capture = slot.take()?;
        capture.close();
        Some(capture)
    }

    /// Whether the running capture is a text dump, and its file.
    pub fn running(&self) -> Option<(bool, String)> {
        self.lock().as_ref().map(|c| (c.text, c.filename.clone()))
    }

    /// Writes a packet to the running capture, if one runs (see [`Capture::dump`]).
    pub fn dump(&self, kind: PacketKind, incoming: bool, packet: &[u8], session_id: u64, handle_id: u64) {
        if !self.active.load(Ordering::Acquire) {
            return;
        }
        if let Some(capture) = self.lock().as_mut() {
            if capture.dump(kind, incoming, packet, crate::utils::real_time(), session_id, handle_id).is_err() {
                crate::janus_log!(crate::log::Level::Err, "Error dumping packet...\n");
            }
        }
    }
}

/// What a captured packet is (`janus_text2pcap_packet`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PacketKind {
    Rtp,
    Rtcp,
    Data,
}

impl PacketKind {
    fn name(self) -> &'static str {
        match self {
            PacketKind::Rtp => "JANUS_TEXT2PCAP_RTP",
            PacketKind::Rtcp => "JANUS_TEXT2PCAP_RTCP",
            PacketKind::Data => "JANUS_TEXT2PCAP_DATA",
        }
    }
}

/// pcap record header, Ethernet, IPv4 and UDP headers.
const FRAME_HEADERS: usize = 16 + 14 + 20 + 8;

fn frame_headers(incoming: bool, len: usize, saved: usize, unix_us: i64) -> [u8; FRAME_HEADERS] {
    let mut h = [0u8; FRAME_HEADERS];
    let (secs, usecs) = (unix_us.div_euclid(1_000_000) as u32, unix_us.rem_euclid(1_000_000) as u32);
    let frame = 14 + 20 + 8;
    h[0..4].copy_from_slice(&secs.to_ne_bytes());
    h[4..8].copy_from_slice(&usecs.to_ne_bytes());
    h[8..12].copy_from_slice(&((frame + saved) as u32).to_ne_bytes());
    h[12..16].copy_from_slice(&((frame + len) as u32).to_ne_bytes());
    // Ethernet: zero addresses, IPv4.
    h[28..30].copy_from_slice(&0x0800u16.to_be_bytes());
    let ip = &mut h[30..50];
    ip[0] = 0x45;
    ip[2..4].copy_from_slice(&((28 + len) as u16).to_be_bytes());
    ip[6..8].copy_from_slice(&0x4000u16.to_be_bytes());
    ip[8] = 64;
    ip[9] = 17;
    let (peer, gateway) = ([10, 1, 1, 1], [10, 2, 2, 2]);
    let (src, dst) = if incoming { (peer, gateway) } else { (gateway, peer) };
    ip[12..16].copy_from_slice(&src);
    ip[16..20].copy_from_slice(&dst);
    let udp = &mut h[50..58];
    let (sport, dport) = if incoming { (1000u16, 2000u16) } else { (2000, 1000) };
    udp[0..2].copy_from_slice(&sport.to_be_bytes());
    udp[2..4].copy_from_slice(&dport.to_be_bytes());
    udp[4..6].copy_from_slice(&((8 + len) as u16).to_be_bytes());
    h
}

/// A text capture line ended with CRLF, cut (CRLF included) as Janus' 5000-byte buffer
/// cuts it.
struct TextLine {
    buf: [u8; TEXT_LINE_ROOM],
    len: usize,
}

const TEXT_LINE_ROOM: usize = 4999;

impl Default for TextLine {
    fn default() -> Self {
        TextLine { buf: [0; TEXT_LINE_ROOM], len: 0 }
    }
}

impl std::fmt::Write for TextLine {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let n = s.len().min(TEXT_LINE_ROOM - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}

impl TextLine {
    fn finish(&mut self) {
        let _ = std::fmt::Write::write_str(self, "\r\n");
    }
    fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn temp_dir(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("janus-text2pcap-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn pcap_files_start_with_the_global_header_and_append() {
        let dir = temp_dir("pcap");
        let folder = dir.join("sub").to_string_lossy().into_owned();
        let mut c = Capture::create(Some(&folder), Some("a.pcap"), 0, false, 1).unwrap();
        assert_eq!(c.filename, format!("{folder}/a.pcap"));
        assert!(c.is_open());
        c.close();
        assert!(!c.is_open());
        let bytes = std::fs::read(&c.filename).unwrap();
        assert_eq!(bytes.len(), 24);
        assert_eq!(bytes[..4], 0xa1b2_c3d4u32.to_ne_bytes());
        Capture::create(Some(&folder), Some("a.pcap"), 0, false, 1).unwrap();
        assert_eq!(std::fs::read(&c.filename).unwrap().len(), 48, "appended");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn text_dumps_have_no_header_and_get_a_random_name() {
        let dir = temp_dir("text");
        let folder = dir.to_string_lossy().into_owned();
        let c = Capture::create(Some(&folder), None, 5, true, 42).unwrap();
        assert_eq!(c.filename, format!("{folder}/janus-text2pcap-42.txt"));
        assert_eq!((c.text, c.truncate), (true, 5));
        assert!(std::fs::read(&c.filename).unwrap().is_empty());
        assert!(Capture::create(Some(&folder), None, -1, true, 1).is_err(), "negative truncate");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn pcap_records_wrap_packets_in_fake_udp() {
        let dir = temp_dir("records");
        let folder = dir.to_string_lossy().into_owned();
        let mut c = Capture::create(Some(&folder), Some("r.pcap"), 4, false, 1).unwrap();
        c.dump(PacketKind::Rtp, true, &[1, 2, 3, 4, 5, 6], 1_700_000_000_250_000, 1, 2).unwrap();
        c.dump(PacketKind::Rtcp, false, &[9, 9], 1_700_000_001_000_000, 1, 2).unwrap();
        let bytes = std::fs::read(&c.filename).unwrap();
        let first = &bytes[24..24 + 16 + 42 + 4];
        assert_eq!(first[0..4], 1_700_000_000u32.to_ne_bytes());
        assert_eq!(first[4..8], 250_000u32.to_ne_bytes());
        assert_eq!(first[8..12], 46u32.to_ne_bytes(), "saved: headers + truncated packet");
        assert_eq!(first[12..16], 48u32.to_ne_bytes(), "original length");
        assert_eq!(first[28..30], [0x08, 0x00]);
        assert_eq!(first[30], 0x45);
        assert_eq!(first[32..34], 34u16.to_be_bytes());
        assert_eq!((first[39], &first[42..46], &first[46..50]), (17, &[10, 1, 1, 1][..], &[10, 2, 2, 2][..]));
        assert_eq!(first[50..54], [0x03, 0xe8, 0x07, 0xd0], "ports 1000 -> 2000");
        assert_eq!(first[54..56], 14u16.to_be_bytes());
        assert_eq!(first[58..], [1, 2, 3, 4]);
        let second = &bytes[24 + 62..];
        assert_eq!(second.len(), 16 + 42 + 2);
        assert_eq!((&second[42..46], &second[50..54]), (&[10, 2, 2, 2][..], &[0x07, 0xd0, 0x03, 0xe8][..]));
        c.close();
        assert!(c.dump(PacketKind::Rtp, true, &[1], 0, 1, 2).is_err(), "closed");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn text_lines_for_text2pcap() {
        let dir = temp_dir("lines");
        let folder = dir.to_string_lossy().into_owned();
        let mut c = Capture::create(Some(&folder), Some("t.txt"), 0, true, 1).unwrap();
        c.dump(PacketKind::Rtcp, false, &[0x80, 0xc8, 0x0a], 1_700_000_000_000_042, 11, 22).unwrap();
        c.dump(PacketKind::Data, true, &[0xff; 2000], 1_700_000_000_000_042, 11, 22).unwrap();
        let text = std::fs::read_to_string(&c.filename).unwrap();
        let (first, rest) = text.split_once("\r\n").unwrap();
        assert!(first.starts_with("O ") && first[2..].chars().nth(2) == Some(':'), "{first}");
        assert!(first.ends_with(".000042 000000  80 c8 0a JANUS_TEXT2PCAP_RTCP [session=11][handle=22]"), "{first}");
        // 2000 bytes do not fit Janus' line buffer: cut, without the tag nor CRLF.
        assert_eq!(rest.len(), TEXT_LINE_ROOM);
        assert!(rest.starts_with("I ") && !rest.contains("JANUS_TEXT2PCAP"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn protected_folders_refuse_captures() {
        let dir = temp_dir("protected");
        std::fs::create_dir_all(&dir).unwrap();
        crate::utils::protected_folder_add(&dir.canonicalize().unwrap().to_string_lossy());
        let folder = dir.to_string_lossy().into_owned();
        let err = Capture::create(Some(&folder), Some("x.pcap"), 0, false, 1).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::PermissionDenied);
        assert!(!dir.join("x.pcap").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
