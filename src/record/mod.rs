//! The recorder (Janus' `record.c`): plugins hand it RTP packets (or data channel messages)
//! and it writes them, with their arrival times, to a `.mjr` file that `janus-pp-rec` turns
//! into a playable one. See [`mjr`] for the byte format.
//!
//! Time comes in as arguments (`now`: monotonic µs, `real_now`: wall clock µs), so the
//! recorder never reads a clock itself.

pub mod mjr;

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::sync::RwLock;

use crate::json::Json;
use crate::rtp::header::RTP_HEADER_SIZE;
use crate::rtp::switching::SwitchingContext;
pub use mjr::Medium;

/// The temporary extension recordings carry until closed (`recordings_tmp_ext` in
/// janus.jcfg), or `None` to name them `.mjr` right away.
static TEMP_EXTENSION: RwLock<Option<String>> = RwLock::new(None);

/// `janus_recorder_init`: with `tempnames`, recordings are written as `<name>.mjr.<ext>`
/// (`ext` defaulting to `tmp`) and renamed to `<name>.mjr` when closed.
pub fn init(tempnames: bool, extension: Option<&str>) {
    if tempnames {
        *TEMP_EXTENSION.write().unwrap_or_else(|e| e.into_inner()) = Some(extension.unwrap_or("tmp").to_string());
    }
}

/// `janus_recorder_deinit`: back to plain `.mjr` names.
pub fn deinit() {
    *TEMP_EXTENSION.write().unwrap_or_else(|e| e.into_inner()) = None;
}

/// Janus formats names and paths into 1024-byte buffers: longer ones are cut.
const NAME_BUFFER: usize = 1024;

fn truncated(mut name: Vec<u8>) -> OsString {
    name.truncate(NAME_BUFFER - 1);
    OsString::from_vec(name)
}

/// POSIX `dirname`/`basename` of a non-empty path: trailing slashes do not count.
fn split_path(path: &[u8]) -> (&[u8], &[u8]) {
    let trimmed = match path.iter().rposition(|&b| b != b'/') {
        Some(last) => &path[..=last],
        None if path.is_empty() => return (b".", b"."),
        None => return (b"/", b"/"),
    };
    match trimmed.iter().rposition(|&b| b == b'/') {
        None => (b".", trimmed),
        Some(slash) => {
            let base = &trimmed[slash + 1..];
            match trimmed[..slash].iter().rposition(|&b| b != b'/') {
                Some(end) => (&trimmed[..=end], base),
                None => (b"/", base),
            }
        }
    }
}

/// Why a recorder could not be created.
#[derive(Debug)]
pub enum CreateError {
    UnsupportedCodec,
    /// The target folder could not be checked or created.
    Folder(io::Error),
    NotAFolder,
    /// The target path is unacceptable (Janus' protected-folder check).
    Protected,
    Open(io::Error),
    Magic(io::Error),
}

/// Why a frame was not saved; [`SaveError::code`] is what `janus_recorder_save_frame`
/// returns for it (Janus' -3, "no file", cannot happen: a recorder always has its file).
#[derive(Debug, PartialEq, Eq)]
pub enum SaveError {
    NoFrame,
    NotWritable,
    Paused,
    InfoHeader,
    Write,
}

impl SaveError {
    pub fn code(&self) -> i32 {
        match self {
            SaveError::NoFrame => -2,
            SaveError::NotWritable => -4,
            SaveError::Paused | SaveError::InfoHeader => -5,
            SaveError::Write => -6,
        }
    }
}

/// Which state a setter or pause/resume refused to act in.
#[derive(Debug, PartialEq, Eq)]
pub struct Refused;

/// What a recorder is created with.
#[derive(Clone, Copy, Debug)]
pub struct Target<'a> {
    pub dir: Option<&'a Path>,
    pub codec: &'a str,
    pub fmtp: Option<&'a [u8]>,
    pub filename: Option<&'a Path>,
}

/// Turns the info header object into the text written to the file (the export layer uses
/// jansson's `json_dumps`, so the bytes are Janus' own); `None` fails the frame.
pub type InfoToText = fn(&Json) -> Option<String>;

/// One recording in progress.
#[derive(Debug)]
pub struct Recorder {
    dir: Option<PathBuf>,
    filename: OsString,
    codec: String,
    fmtp: Option<Vec<u8>>,
    description: Option<Vec<u8>>,
    extmaps: Vec<(u8, Vec<u8>)>,
    medium: Medium,
    created: i64,
    started: i64,
    opusred_pt: i32,
    encrypted: bool,
    header_written: bool,
    writable: bool,
    paused: bool,
    temp_extension: Option<String>,
    context: SwitchingContext,
    file: BufWriter<File>,
    info_to_text: InfoToText,
}

impl Recorder {
    /// `janus_recorder_create_full`. Where the file goes:
    /// - `dir` and `filename`: `<dir>/<filename>.mjr` (`filename` used as is);
    /// - only `filename`: its folder and base name (`dir` becomes `.` for a bare name);
    /// - only `dir`: `<dir>/janus-recording-<random>.mjr`; neither: that in the current folder.
    ///
    /// The folder is created (with parents, mode 0755) if missing. `created` is the
    /// wall clock in µs, `random` names anonymous recordings.
    pub fn create(target: Target, created: i64, random: u32, info_to_text: InfoToText) -> Result<Recorder, CreateError> {
        let medium = Medium::for_codec(target.codec).ok_or(CreateError::UnsupportedCodec)?;
        let (dir, file): (Option<OsString>, Option<&[u8]>) = match (target.dir, target.filename) {
            (dir, Some(name)) => {
                let name = name.as_os_str().as_bytes();
                match dir {
                    Some(dir) => (Some(dir.as_os_str().to_owned()), Some(name)),
                    None => {
                        let (parent, base) = split_path(name);
                        (Some(OsStr::from_bytes(parent).to_owned()), Some(base))
                    }
                }
            }
            (dir, None) => (dir.map(|d| d.as_os_str().to_owned()), None),
        };
        if let Some(dir) = &dir {
            match std::fs::metadata(dir) {
                Ok(m) if m.is_dir() => {}
                Ok(_) => return Err(CreateError::NotAFolder),
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    std::fs::DirBuilder::new().recursive(true).mode(0o755).create(dir).map_err(CreateError::Folder)?
                }
                Err(e) => return Err(CreateError::Folder(e)),
            }
        }
        let temp_extension = TEMP_EXTENSION.read().unwrap_or_else(|e| e.into_inner()).clone();
        let mut name = match file {
            Some(file) => file.to_vec(),
            None => format!("janus-recording-{random}").into_bytes(),
        };
        name.extend_from_slice(b".mjr");
        if let Some(ext) = &temp_extension {
            name.push(b'.');
            name.extend_from_slice(ext.as_bytes());
        }
        let filename = truncated(name);
        let path = match &dir {
            Some(dir) => {
                let mut p = dir.as_bytes().to_vec();
                p.push(b'/');
                p.extend_from_slice(filename.as_bytes());
                truncated(p)
            }
            None => filename.clone(),
        };
        if crate::utils::is_folder_protected(&path.to_string_lossy()) {
            crate::janus_log!(crate::log::Level::Err, "Target recording path '{}' is in protected folder...\n", path.to_string_lossy());
            return Err(CreateError::Protected);
        }
        let mut file = BufWriter::new(File::create(&path).map_err(CreateError::Open)?);
        file.write_all(mjr::MAGIC).map_err(CreateError::Magic)?;
        Ok(Recorder {
            dir: dir.map(PathBuf::from),
            filename,
            codec: target.codec.to_string(),
            fmtp: target.fmtp.map(<[u8]>::to_vec),
            description: None,
            extmaps: Vec::new(),
            medium,
            created,
            started: 0,
            opusred_pt: 0,
            encrypted: false,
            header_written: false,
            writable: true,
            paused: false,
            temp_extension,
            context: SwitchingContext::default(),
            file,
            info_to_text,
        })
    }

    /// The folder of the recording, if it has one (`rc->dir`).
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }
    /// The file name without its folder (`rc->filename`); changes when a temporary
    /// extension is dropped on close.
    pub fn filename(&self) -> &OsStr {
        &self.filename
    }
    pub fn codec(&self) -> &str {
        &self.codec
    }
    pub fn fmtp(&self) -> Option<&[u8]> {
        self.fmtp.as_deref()
    }
    pub fn description(&self) -> Option<&[u8]> {
        self.description.as_deref()
    }
    pub fn medium(&self) -> Medium {
        self.medium
    }
    pub fn created(&self) -> i64 {
        self.created
    }
    /// Monotonic time of the first frame (0 before it).
    pub fn started(&self) -> i64 {
        self.started
    }
    pub fn opusred_pt(&self) -> i32 {
        self.opusred_pt
    }
    pub fn encrypted(&self) -> bool {
        self.encrypted
    }
    /// Whether the info header is written (then the setters below refuse).
    pub fn header_written(&self) -> bool {
        self.header_written
    }
    pub fn writable(&self) -> bool {
        self.writable
    }
    pub fn paused(&self) -> bool {
        self.paused
    }
    /// The switching context that renumbers the packets written.
    pub fn context(&self) -> &SwitchingContext {
        &self.context
    }
    /// Extension ids and URIs, in the order the info header lists them.
    pub fn extmaps(&self) -> &[(u8, Vec<u8>)] {
        &self.extmaps
    }

    /// `janus_recorder_add_extmap`: ids 1 to 15, before the first frame. A known id gets
    /// the new URI in place; new ids go last.
    pub fn add_extmap(&mut self, id: i32, uri: &[u8]) -> Result<(), Refused> {
        if self.header_written || !(1..=15).contains(&id) {
            return Err(Refused);
        }
        let id = id as u8;
        match self.extmaps.iter_mut().find(|(known, _)| *known == id) {
            Some(entry) => entry.1 = uri.to_vec(),
            None => self.extmaps.push((id, uri.to_vec())),
        }
        Ok(())
    }

    /// Lists the extensions in the order of `ids` (the ones not named keep their order, after).
    pub fn order_extmaps(&mut self, ids: &[u8]) {
        self.extmaps.sort_by_key(|(id, _)| ids.iter().position(|i| i == id).unwrap_or(ids.len()));
    }

    /// `janus_recorder_description`: ignored (yet accepted) once the header is written.
    pub fn set_description(&mut self, description: &[u8]) {
        if !self.header_written {
            self.description = Some(description.to_vec());
        }
    }

    /// `janus_recorder_opusred`: the RED payload type audio is wrapped in.
    pub fn set_opusred(&mut self, red_pt: i32) -> Result<(), Refused> {
        if self.header_written {
            return Err(Refused);
        }
        self.opusred_pt = red_pt;
        Ok(())
    }

    /// `janus_recorder_encrypted`: the media is end-to-end encrypted.
    pub fn set_encrypted(&mut self) -> Result<(), Refused> {
        if self.header_written {
            return Err(Refused);
        }
        self.encrypted = true;
        Ok(())
    }

    /// `janus_recorder_pause`: frames are refused until [`resume`](Self::resume).
    pub fn pause(&mut self) -> Result<(), Refused> {
        if self.paused {
            return Err(Refused);
        }
        self.paused = true;
        Ok(())
    }

    /// `janus_recorder_resume`: media restarts its numbering after the last packet written,
    /// its timestamps moving on by the time from `now` to the next packet only (the pause
    /// itself leaves no gap).
    pub fn resume(&mut self, now: i64) -> Result<(), Refused> {
        if !self.paused {
            return Err(Refused);
        }
        self.paused = false;
        if self.medium != Medium::Data {
            self.context.ts_reset = 1;
            self.context.seq_reset = 1;
            self.context.last_time = now;
        }
        Ok(())
    }

    /// `janus_recorder_save_frame`: appends one RTP packet (or data message). The copy on
    /// disk gets sequence numbers and timestamps renumbered from 1 and 0, continuous across
    /// source changes; `frame` itself is not modified. The info header goes first, before the
    /// first frame. Write errors before the frame's bytes are ignored, as Janus does.
    pub fn save_frame(&mut self, frame: &[u8], now: i64, real_now: i64) -> Result<(), SaveError> {
        if frame.is_empty() {
            return Err(SaveError::NoFrame);
        }
        if !self.writable {
            return Err(SaveError::NotWritable);
        }
        if self.paused {
            return Err(SaveError::Paused);
        }
        if !self.header_written {
            self.write_info(real_now)?;
            self.started = now;
            self.header_written = true;
        }
        let elapsed_ms = if now > self.started { ((now - self.started) / 1000) as u32 } else { 0 };
        let (header, used) = mjr::frame_header(self.medium, elapsed_ms, frame.len(), real_now);
        let _ = self.file.write_all(&header[..used]);
        let written = match (self.medium, frame.len() >= RTP_HEADER_SIZE) {
            (Medium::Audio | Medium::Video, true) => {
                let mut rtp = [0u8; RTP_HEADER_SIZE];
                rtp.copy_from_slice(&frame[..RTP_HEADER_SIZE]);
                self.context.update_header(&mut rtp, self.medium == Medium::Video, now);
                self.file.write_all(&rtp).and_then(|()| self.file.write_all(&frame[RTP_HEADER_SIZE..]))
            }
            _ => self.file.write_all(frame),
        };
        written.map_err(|_| SaveError::Write)
    }

    fn write_info(&mut self, real_now: i64) -> Result<(), SaveError> {
        let info = mjr::Info {
            medium: self.medium,
            codec: &self.codec,
            fmtp: self.fmtp.as_deref(),
            description: self.description.as_deref(),
            extmaps: &self.extmaps,
            created: self.created,
            first_frame: real_now,
            opusred_pt: self.opusred_pt,
            encrypted: self.encrypted,
        };
        let text = (self.info_to_text)(&info.to_json()).ok_or(SaveError::InfoHeader)?;
        let _ = self.file.write_all(&mjr::info_length(&text));
        let _ = self.file.write_all(text.as_bytes());
        Ok(())
    }

    /// `janus_recorder_close`: no more frames; everything written reaches the file, and a
    /// temporary extension is dropped from the name (the name stays if renaming fails).
    pub fn close(&mut self) -> Result<(), Refused> {
        if !self.writable {
            return Err(Refused);
        }
        self.writable = false;
        let _ = self.file.flush();
        if let Some(ext) = &self.temp_extension {
            let name = self.filename.as_bytes();
            let final_name = OsStr::from_bytes(&name[..name.len().saturating_sub(ext.len() + 1)]).to_owned();
            let in_dir = |n: &OsStr| match &self.dir {
                Some(dir) => dir.join(n),
                None => PathBuf::from(n),
            };
            if std::fs::rename(in_dir(&self.filename), in_dir(&final_name)).is_ok() {
                self.filename = final_name;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dirname_and_basename() {
        assert_eq!(split_path(b"a"), (&b"."[..], &b"a"[..]));
        assert_eq!(split_path(b"x/y/rec"), (&b"x/y"[..], &b"rec"[..]));
        assert_eq!(split_path(b"/rec"), (&b"/"[..], &b"rec"[..]));
        assert_eq!(split_path(b"x//rec//"), (&b"x"[..], &b"rec"[..]));
        assert_eq!(split_path(b"///"), (&b"/"[..], &b"/"[..]));
    }

    fn compact(j: &Json) -> Option<String> {
        Some(j.to_compact_string())
    }

    fn rtp(seq: u16, ts: u32) -> Vec<u8> {
        let mut p = vec![0x80, 111];
        p.extend_from_slice(&seq.to_be_bytes());
        p.extend_from_slice(&ts.to_be_bytes());
        p.extend_from_slice(&[0, 0, 0, 9, 0xf8, 0xff, 0xfe]);
        p
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("janus-record-unit-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn writes_magic_info_and_renumbered_frames() {
        let dir = scratch("frames");
        let target = Target { dir: Some(&dir), codec: "opus", fmtp: None, filename: Some(Path::new("a")) };
        let mut rec = Recorder::create(target, 5, 0, compact).unwrap();
        assert_eq!(rec.filename(), "a.mjr");
        rec.add_extmap(4, b"urn:x").unwrap();
        let p1 = rtp(1000, 48_000);
        rec.save_frame(&p1, 2_000_000, 77).unwrap();
        assert_eq!(rec.add_extmap(5, b"urn:y"), Err(Refused));
        rec.save_frame(&rtp(1001, 48_960), 2_020_500, 78).unwrap();
        assert_eq!(p1, rtp(1000, 48_000), "caller's packet untouched");
        rec.close().unwrap();
        assert_eq!(rec.save_frame(&p1, 2_040_000, 79), Err(SaveError::NotWritable));
        assert_eq!(rec.close(), Err(Refused));
        let bytes = std::fs::read(dir.join("a.mjr")).unwrap();
        let info = r#"{"t":"a","c":"opus","x":{"4":"urn:x"},"s":5,"u":77}"#;
        let mut expected = b"MJR00002".to_vec();
        expected.extend_from_slice(&(info.len() as u16).to_be_bytes());
        expected.extend_from_slice(info.as_bytes());
        expected.extend_from_slice(b"MEET\0\0\0\0\0\x0f");
        expected.extend_from_slice(&rtp(1, 0));
        expected.extend_from_slice(b"MEET\0\0\0\x14\0\x0f");
        expected.extend_from_slice(&rtp(2, 960));
        assert_eq!(bytes, expected);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn refusals_and_codes() {
        let dir = scratch("codes");
        let target = Target { dir: Some(&dir), codec: "VP8", fmtp: None, filename: None };
        let mut rec = Recorder::create(target, 0, 42, compact).unwrap();
        assert_eq!(rec.filename(), "janus-recording-42.mjr");
        assert_eq!(rec.save_frame(&[], 1, 1).unwrap_err().code(), -2);
        rec.pause().unwrap();
        assert_eq!(rec.pause(), Err(Refused));
        assert_eq!(rec.save_frame(&rtp(1, 1), 1, 1).unwrap_err().code(), -5);
        rec.resume(10).unwrap();
        assert_eq!(rec.resume(10), Err(Refused));
        assert_eq!((rec.context().ts_reset, rec.context().seq_reset, rec.context().last_time), (1, 1, 10));
        let fails: InfoToText = |_| None;
        let target = Target { dir: Some(&dir), codec: "text", fmtp: None, filename: Some(Path::new("d")) };
        let mut data = Recorder::create(target, 0, 0, fails).unwrap();
        assert_eq!(data.save_frame(b"hi", 1, 1).unwrap_err().code(), -5);
        assert!(matches!(Recorder::create(Target { codec: "isac", ..target }, 0, 0, compact), Err(CreateError::UnsupportedCodec)));
        std::fs::write(dir.join("file"), b"").unwrap();
        assert!(matches!(Recorder::create(Target { dir: Some(&dir.join("file")), ..target }, 0, 0, compact), Err(CreateError::NotAFolder)));
        // general.protected_folders.
        let protected = dir.join("protected");
        std::fs::create_dir_all(&protected).unwrap();
        crate::utils::protected_folder_add(&protected.canonicalize().unwrap().to_string_lossy());
        let inside = Target { dir: Some(&protected.join("sub")), codec: "opus", fmtp: None, filename: Some(Path::new("p")) };
        assert!(matches!(Recorder::create(inside, 0, 0, compact), Err(CreateError::Protected)));
        assert!(!protected.join("sub/p.mjr").exists());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
