//! Capture of a handle's RTP/RTCP traffic to a file (Janus' `text2pcap.c`), started and
//! stopped through the Admin API: either a legacy `.pcap` (2.4) file or a text dump meant for
//! Wireshark's `text2pcap` tool. Starting on an existing file appends to it.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};

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
    pub fn create(
        folder: Option<&str>,
        filename: Option<&str>,
        truncate: i32,
        text: bool,
        random: u32,
    ) -> io::Result<Capture> {
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
