//! The general helpers of Janus' `utils.c`: clocks, random numbers, string parsing, folder
//! creation, SDP payload-type lookups, JSON parameter validation and gzip.
//! (The codec/keyframe helpers of the same file live with the RTP code.)

use std::io;
use std::os::unix::fs::DirBuilderExt;
use std::path::Path;

use crate::log::{self, Level};
use crate::sys;

/// `CLOCK_MONOTONIC` in microseconds (comparable with GLib's `g_get_monotonic_time`).
pub fn monotonic_time() -> i64 {
    sys::clock::monotonic_us()
}

/// Wall-clock time in microseconds since the epoch.
pub fn real_time() -> i64 {
    sys::clock::real_us()
}

/// Janus' truth test for configuration values: "yes", "true" or "1", any case.
pub fn is_true(value: &str) -> bool {
    ["yes", "true", "1"].iter().any(|t| value.eq_ignore_ascii_case(t))
}

/// Compares two secrets in time that depends only on the longer length, not on where they
/// differ (the shorter one is zero-padded, so different lengths never compare equal).
pub fn strcmp_const_time(a: &[u8], b: &[u8]) -> bool {
    let len = a.len().max(b.len());
    let at = |s: &[u8], i: usize| s.get(i).copied().unwrap_or(0);
    (0..len).fold(0u8, |acc, i| acc | (at(a, i) ^ at(b, i))) == 0
}

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    if !sys::crypto::rand_bytes(&mut buf) {
        log::emit(Level::Warn, None, format_args!("Safe RAND_bytes() failed, falling back to unsafe PRNG\n"));
        for chunk in buf.chunks_mut(4) {
            let r = sys::glib::random_u32().to_ne_bytes();
            chunk.copy_from_slice(&r[..chunk.len()]);
        }
    }
    buf
}

/// `strerror` text of an I/O error, without the " (os error N)" std appends.
pub fn strerror(e: &io::Error) -> String {
    let text = e.to_string();
    match text.rfind(" (os error ") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

/// A random 32-bit number from OpenSSL's CSPRNG.
pub fn random_u32() -> u32 {
    u32::from_ne_bytes(random_bytes())
}

/// A random 53-bit number: Janus' ids must survive a round trip through a JavaScript double.
pub fn random_u64() -> u64 {
    u64::from_ne_bytes(random_bytes()) & 0x1F_FFFF_FFFF_FFFF
}

/// A random (version 4, RFC 4122 variant) UUID in lowercase hex with dashes.
pub fn random_uuid() -> String {
    let mut b: [u8; 16] = random_bytes();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}

/// C `isspace` in the C locale.
fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// `strtol(s, NULL, 10)` on 64-bit Linux: leading blanks, optional sign, then the longest run
/// of digits; no digits reads 0, and out-of-range values saturate at the `long` limits.
pub fn strtol(s: &[u8]) -> i64 {
    let mut rest = s;
    while let [b, tail @ ..] = rest {
        if !is_c_space(*b) {
            break;
        }
        rest = tail;
    }
    let negative = rest.first() == Some(&b'-');
    if matches!(rest.first(), Some(b'-' | b'+')) {
        rest = &rest[1..];
    }
    let mut value: i64 = 0;
    for &b in rest.iter().take_while(|b| b.is_ascii_digit()) {
        let digit = i64::from(b - b'0');
        value = value.saturating_mul(10);
        value = if negative { value.saturating_sub(digit) } else { value.saturating_add(digit) };
    }
    value
}

/// Why a number could not be read into an unsigned type (`-EINVAL`/`-ERANGE` in Janus).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberError {
    Invalid,
    Range,
}

impl NumberError {
    /// The negative errno Janus returns.
    pub fn errno(self) -> i32 {
        match self {
            NumberError::Invalid => -libc::EINVAL,
            NumberError::Range => -libc::ERANGE,
        }
    }
}

/// Janus' `janus_string_to_uint8/16/32`: `strtol` rules (so "abc" reads 0), then a range check.
pub fn string_to_unsigned<T: TryFrom<i64>>(s: &[u8]) -> Result<T, NumberError> {
    T::try_from(strtol(s)).map_err(|_| NumberError::Range)
}

/// `g_strlcat` on a C buffer of `buf.len()` bytes holding a NUL-terminated string: appends
/// as much of `src` as fits, keeps the result NUL-terminated, and returns the length the
/// result would have had without truncation (so `>= buf.len()` means truncated).
pub fn strlcat(buf: &mut [u8], src: &[u8]) -> usize {
    let Some(dlen) = buf.iter().position(|&b| b == 0) else {
        return buf.len() + src.len();
    };
    let room = buf.len() - dlen - 1;
    let n = room.min(src.len());
    buf[dlen..dlen + n].copy_from_slice(&src[..n]);
    buf[dlen + n] = 0;
    dlen + src.len()
}

/// Janus' `janus_mkdir`: creates `dir` and its missing parents with `mode`, existing folders
/// being fine. As in Janus, the path is cut to 255 bytes and one trailing slash is ignored.
pub fn mkdir(dir: &[u8], mode: u32) -> io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let mut path = &dir[..dir.len().min(255)];
    if let [head @ .., b'/'] = path {
        path = head;
    }
    let make = |p: &[u8]| match std::fs::DirBuilder::new().mode(mode).create(Path::new(std::ffi::OsStr::from_bytes(p))) {
        Err(e) if e.kind() != io::ErrorKind::AlreadyExists => Err(e),
        _ => Ok(()),
    };
    for (i, _) in path.iter().enumerate().skip(1).filter(|(_, &b)| b == b'/') {
        if let Err(e) = make(&path[..i]) {
            log::emit(
                Level::Err,
                Some(log::Source::new("utils.c", "janus_mkdir", line!())),
                format_args!("Error creating folder {}\n", String::from_utf8_lossy(&path[..i])),
            );
            return Err(e);
        }
    }
    make(path)
}

/// The `a=rtpmap` encodings `janus_get_codec_pt` knows, by Janus codec name:
/// (video?, lowercase encoding, uppercase encoding).
fn codec_rtpmap(codec: &str) -> Option<(bool, &'static str, &'static str)> {
    const TABLE: &[(&str, bool, &str, &str)] = &[
        ("opus", false, "opus/48000/2", "OPUS/48000/2"),
        ("pcmu", false, "pcmu/8000", "PCMU/8000"),
        ("pcma", false, "pcma/8000", "PCMA/8000"),
        ("g722", false, "g722/8000", "G722/8000"),
        ("isac16", false, "isac/16000", "ISAC/16000"),
        ("isac32", false, "isac/32000", "ISAC/32000"),
        ("l16-48", false, "l16/48000", "L16/48000"),
        ("l16", false, "l16/16000", "L16/16000"),
        ("vp8", true, "vp8/90000", "VP8/90000"),
        ("vp9", true, "vp9/90000", "VP9/90000"),
        ("h264", true, "h264/90000", "H264/90000"),
        ("av1", true, "av1/90000", "AV1/90000"),
        ("h265", true, "h265/90000", "H265/90000"),
    ];
    TABLE.iter().find(|(name, ..)| name.eq_ignore_ascii_case(codec)).map(|&(_, v, lo, up)| (v, lo, up))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    find(haystack, needle.as_bytes()).is_some()
}

/// What `sscanf(line, "a=rtpmap:%d", &pt)` reads: the number right after the prefix
/// (blanks allowed before it), if there is one.
fn rtpmap_pt(line: &[u8]) -> Option<i64> {
    let rest = line.strip_prefix(b"a=rtpmap:")?;
    let start = rest.iter().position(|&b| !is_c_space(b))?;
    let digits = rest[start..].strip_prefix(b"-").or_else(|| rest[start..].strip_prefix(b"+")).unwrap_or(&rest[start..]);
    digits.first().filter(|b| b.is_ascii_digit())?;
    Some(strtol(&rest[start..]))
}

/// The lines (split at `\n`) from the first occurrence of `marker` to the end of the SDP.
fn lines_from<'a>(sdp: &'a [u8], marker: &str) -> impl Iterator<Item = &'a [u8]> {
    let start = find(sdp, marker.as_bytes()).unwrap_or(sdp.len());
    sdp[start..].split(|&b| b == b'\n')
}

/// Why `janus_get_codec_pt` found no payload type (-1, -2, -3 in Janus).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodecPtError {
    UnsupportedCodec = -1,
    NotInSdp = -2,
    NoRtpmap = -3,
}

/// Janus' `janus_get_codec_pt`: the payload type an SDP maps a codec to, searching the
/// `a=rtpmap` lines from the first m-line of the codec's media kind onward.
pub fn get_codec_pt(sdp: &[u8], codec: &str) -> Result<i32, CodecPtError> {
    let Some((video, lower, upper)) = codec_rtpmap(codec) else {
        log::emit(
            Level::Err,
            Some(log::Source::new("utils.c", "janus_get_codec_pt", line!())),
            format_args!("Unsupported codec '{codec}'\n"),
        );
        return Err(CodecPtError::UnsupportedCodec);
    };
    let mline = if video { "m=video" } else { "m=audio" };
    if !contains(sdp, mline) || !(contains(sdp, lower) || contains(sdp, upper)) {
        return Err(CodecPtError::NotInSdp);
    }
    for line in lines_from(sdp, mline) {
        if !contains(line, "a=rtpmap") {
            continue;
        }
        if contains(line, lower) || contains(line, upper) {
            // Janus' pattern also names the encoding, but sscanf already succeeds on the number.
            if let Some(pt) = rtpmap_pt(line) {
                return Ok(pt as i32);
            }
        }
    }
    Err(CodecPtError::NoRtpmap)
}

/// Janus' `janus_get_codec_from_pt`: the Janus codec name an SDP's `a=rtpmap` gives a payload
/// type (static types 0/8/9 without looking); `None` for RED, unknown encodings or no match.
pub fn get_codec_from_pt(sdp: &[u8], pt: i32) -> Option<&'static str> {
    match pt {
        ..0 => return None,
        0 => return Some("pcmu"),
        8 => return Some("pcma"),
        9 => return Some("g722"),
        _ => {}
    }
    let needle = format!("a=rtpmap:{pt} ");
    for line in lines_from(sdp, "m=") {
        if !contains(line, &needle) || rtpmap_pt(line).is_none() {
            continue;
        }
        // sscanf's "%d %99s": skip the number and blanks, take up to 99 non-blank bytes.
        let rest = &line["a=rtpmap:".len()..];
        let after_ws = rest.iter().position(|&b| !is_c_space(b)).unwrap_or(rest.len());
        let rest = &rest[after_ws..];
        let num_len = rest.iter().skip(1).position(|b| !b.is_ascii_digit()).map_or(rest.len(), |p| p + 1);
        let rest = &rest[num_len..];
        let Some(start) = rest.iter().position(|&b| !is_c_space(b)) else {
            continue;
        };
        let name: Vec<u8> = rest[start..].iter().copied().take_while(|&b| !is_c_space(b)).take(99).collect();
        const NAMES: &[(&str, &str, &str)] = &[
            ("vp8", "VP8", "vp8"),
            ("vp9", "VP9", "vp9"),
            ("h264", "H264", "h264"),
            ("av1", "AV1", "av1"),
            ("h265", "H265", "h265"),
            ("opus", "OPUS", "opus"),
            ("pcmu", "PCMU", "pcmu"),
            ("pcma", "PCMA", "pcma"),
            ("g722", "G722", "g722"),
            ("isac/16", "ISAC/16", "isac16"),
            ("isac/32", "ISAC/32", "isac32"),
            ("l16/48", "L16/48", "l16-48"),
            ("l16/16", "L16/16", "l16"),
        ];
        if let Some(&(.., codec)) = NAMES.iter().find(|(lo, up, _)| contains(&name, lo) || contains(&name, up)) {
            return Some(codec);
        }
        if !contains(&name, "red") {
            log::emit(
                Level::Err,
                Some(log::Source::new("utils.c", "janus_get_codec_from_pt", line!())),
                format_args!("Unsupported codec '{}'\n", String::from_utf8_lossy(&name)),
            );
        }
        return None;
    }
    None
}

/// Janus' `janus_gzip_compress`: `text` as a gzip member into `out`; `None` (and an error
/// line) if zlib fails or `out` is too small. Levels outside 0..=9 mean zlib's default.
pub fn gzip_compress(level: i32, text: &[u8], out: &mut [u8]) -> Option<usize> {
    let level = if (0..=9).contains(&level) {
        level
    } else {
        log::emit(Level::Warn, None, format_args!("Invalid compression factor {level}, falling back to default compression...\n"));
        -1
    };
    match sys::zlib::gzip(level, text, out) {
        Ok(n) => Some(n),
        Err(e) => {
            let (what, code) = match e {
                sys::zlib::GzipError::Init(c) => ("deflateInit", c),
                sys::zlib::GzipError::Deflate(c) => ("deflate", c),
                sys::zlib::GzipError::End(c) => ("deflateEnd", c),
            };
            log::emit(
                Level::Err,
                Some(log::Source::new("utils.c", "janus_gzip_compress", line!())),
                format_args!("{what} error: {code}\n"),
            );
            None
        }
    }
}

/// `general.protected_folders`: folders recordings and packet captures may not be written
/// in. Process-wide as in Janus, since recorders are created by plugins through the ABI.
static PROTECTED_FOLDERS: std::sync::RwLock<Vec<String>> = std::sync::RwLock::new(Vec::new());

/// `janus_protected_folder_add`.
pub fn protected_folder_add(folder: &str) {
    PROTECTED_FOLDERS.write().unwrap_or_else(|e| e.into_inner()).push(folder.to_string());
}

/// `janus_is_folder_protected`: a path starting with a blank, or one that cannot be
/// resolved, is protected; else it is if its resolved form starts with a protected folder.
/// A file that does not exist yet resolves through its parent.
pub fn is_folder_protected(path: &str) -> bool {
    if path.starts_with(' ') {
        return true;
    }
    let resolved = match resolve_path(Path::new(path)) {
        Ok(p) => p,
        Err(e) => {
            let errno = e.raw_os_error().unwrap_or(0);
            crate::janus_log!(crate::log::Level::Err, "Error resolving path '{}'... {} ({})\n", path, errno, strerror(&e));
            return true;
        }
    };
    let resolved = resolved.to_string_lossy();
    PROTECTED_FOLDERS.read().unwrap_or_else(|e| e.into_inner()).iter().any(|f| resolved.starts_with(f.as_str()))
}

/// `realpath`, except that missing trailing components are kept as they are.
fn resolve_path(path: &Path) -> io::Result<std::path::PathBuf> {
    match path.canonicalize() {
        Ok(p) => Ok(p),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let parent = match path.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                _ => std::path::PathBuf::from("."),
            };
            let name = path.file_name().ok_or(e)?;
            Ok(resolve_path(&parent)?.join(name))
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protected_folders_cover_what_resolves_into_them() {
        let dir = std::env::temp_dir().join(format!("janus-protected-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("inside")).unwrap();
        let resolved = dir.canonicalize().unwrap();
        assert!(!is_folder_protected(&resolved.join("inside/x.mjr").to_string_lossy()));
        protected_folder_add(&resolved.join("inside").to_string_lossy());
        for path in ["inside/x.mjr", "inside/new/deeper/x.mjr", "inside/../inside/x"] {
            assert!(is_folder_protected(&dir.join(path).to_string_lossy()), "{path}");
        }
        assert!(!is_folder_protected(&dir.join("outside.mjr").to_string_lossy()));
        assert!(is_folder_protected(" leading-blank"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn truth_values() {
        for t in ["yes", "YES", "True", "1"] {
            assert!(is_true(t), "{t}");
        }
        for f in ["no", "0", "", "y", "truee", " 1"] {
            assert!(!is_true(f), "{f}");
        }
    }

    #[test]
    fn constant_time_compare() {
        assert!(strcmp_const_time(b"secret", b"secret"));
        assert!(strcmp_const_time(b"", b""));
        assert!(!strcmp_const_time(b"secret", b"secreT"));
        assert!(!strcmp_const_time(b"secret", b"secret2"));
        assert!(!strcmp_const_time(b"", b"x"));
    }

    #[test]
    fn random_values() {
        let ids: Vec<u64> = (0..64).map(|_| random_u64()).collect();
        assert!(ids.iter().all(|&v| v < 1 << 53));
        assert!(ids.iter().any(|&v| v >= 1 << 40), "53 bits are actually random");
        assert_ne!(random_u32(), random_u32());
        let u = random_uuid();
        assert_eq!(u.len(), 36);
        let parts: Vec<&str> = u.split('-').collect();
        assert_eq!(parts.iter().map(|p| p.len()).collect::<Vec<_>>(), [8, 4, 4, 4, 12]);
        assert!(parts[2].starts_with('4'));
        assert!(matches!(parts[3].as_bytes()[0], b'8' | b'9' | b'a' | b'b'));
        assert!(u.bytes().all(|b| b == b'-' || b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
        assert_ne!(random_uuid(), u);
    }

    #[test]
    fn clocks() {
        let a = monotonic_time();
        let b = monotonic_time();
        assert!(b >= a);
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_micros() as i64;
        assert!((real_time() - now).abs() < 1_000_000);
    }

    #[test]
    fn strtol_rules() {
        assert_eq!(strtol(b"42"), 42);
        assert_eq!(strtol(b"  \t-17xyz"), -17);
        assert_eq!(strtol(b"+8"), 8);
        assert_eq!(strtol(b"abc"), 0);
        assert_eq!(strtol(b""), 0);
        assert_eq!(strtol(b"99999999999999999999999"), i64::MAX);
        assert_eq!(strtol(b"-99999999999999999999999"), i64::MIN);
    }

    #[test]
    fn unsigned_parsing() {
        assert_eq!(string_to_unsigned::<u8>(b"255"), Ok(255));
        assert_eq!(string_to_unsigned::<u8>(b"256"), Err(NumberError::Range));
        assert_eq!(string_to_unsigned::<u16>(b"65535"), Ok(65535));
        assert_eq!(string_to_unsigned::<u16>(b"-1"), Err(NumberError::Range));
        assert_eq!(string_to_unsigned::<u32>(b"4294967295"), Ok(u32::MAX));
        assert_eq!(string_to_unsigned::<u32>(b"4294967296"), Err(NumberError::Range));
        assert_eq!(string_to_unsigned::<u16>(b"port"), Ok(0));
        assert_eq!(NumberError::Range.errno(), -libc::ERANGE);
    }

    #[test]
    fn strlcat_truncates_and_reports() {
        let mut buf = [0u8; 8];
        buf[..3].copy_from_slice(b"abc");
        assert_eq!(strlcat(&mut buf, b"de"), 5);
        assert_eq!(&buf[..6], b"abcde\0");
        assert_eq!(strlcat(&mut buf, b"fghij"), 10);
        assert_eq!(&buf, b"abcdefg\0");
        let mut full = *b"abcd";
        assert_eq!(strlcat(&mut full, b"xy"), 6);
        assert_eq!(&full, b"abcd");
    }

    #[test]
    fn mkdir_creates_parents() {
        let base = std::env::temp_dir().join(format!("janus-mkdir-{}", std::process::id()));
        let deep = base.join("a/b/c/");
        let bytes = deep.to_str().unwrap().as_bytes();
        assert!(mkdir(bytes, 0o755).is_ok());
        assert!(base.join("a/b/c").is_dir());
        assert!(mkdir(bytes, 0o755).is_ok(), "existing folders are fine");
        std::fs::write(base.join("file"), b"").unwrap();
        let e = mkdir(base.join("file/sub").to_str().unwrap().as_bytes(), 0o755).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::ENOTDIR));
        std::fs::remove_dir_all(&base).unwrap();
    }

    const SDP: &str = "v=0\r\no=- 1 1 IN IP4 1.1.1.1\r\ns=-\r\nt=0 0\r\n\
        m=audio 9 UDP/TLS/RTP/SAVPF 111 0 63\r\na=rtpmap:111 opus/48000/2\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:63 red/48000/2\r\n\
        m=video 9 UDP/TLS/RTP/SAVPF 96 98 102\r\na=rtpmap:96 VP8/90000\r\na=rtpmap:98 vp9/90000\r\na=rtpmap:102 H264/90000\r\na=rtpmap:104 mystery/90000\r\n";

    #[test]
    fn codec_pt_lookup() {
        let sdp = SDP.as_bytes();
        assert_eq!(get_codec_pt(sdp, "opus"), Ok(111));
        assert_eq!(get_codec_pt(sdp, "OPUS"), Ok(111));
        assert_eq!(get_codec_pt(sdp, "pcmu"), Ok(0));
        assert_eq!(get_codec_pt(sdp, "vp8"), Ok(96));
        assert_eq!(get_codec_pt(sdp, "vp9"), Ok(98));
        assert_eq!(get_codec_pt(sdp, "h264"), Ok(102));
        assert_eq!(get_codec_pt(sdp, "av1"), Err(CodecPtError::NotInSdp));
        assert_eq!(get_codec_pt(sdp, "speex"), Err(CodecPtError::UnsupportedCodec));
        // Present in the SDP but never in an a=rtpmap line.
        let odd = b"m=audio 9 RTP/AVP 8\r\na=fmtp:8 pcma/8000\r\n";
        assert_eq!(get_codec_pt(odd, "pcma"), Err(CodecPtError::NoRtpmap));
    }

    #[test]
    fn codec_from_pt_lookup() {
        let sdp = SDP.as_bytes();
        assert_eq!(get_codec_from_pt(sdp, 111), Some("opus"));
        assert_eq!(get_codec_from_pt(sdp, 96), Some("vp8"));
        assert_eq!(get_codec_from_pt(sdp, 98), Some("vp9"));
        assert_eq!(get_codec_from_pt(sdp, 102), Some("h264"));
        assert_eq!(get_codec_from_pt(sdp, 63), None, "RED");
        assert_eq!(get_codec_from_pt(sdp, 104), None, "unknown encoding");
        assert_eq!(get_codec_from_pt(sdp, 120), None, "no mapping");
        assert_eq!(get_codec_from_pt(b"", 8), Some("pcma"), "static types need no SDP");
        assert_eq!(get_codec_from_pt(sdp, -1), None);
    }

    #[test]
    fn gzip_round_trip_header() {
        let text = b"hello hello hello hello hello";
        let mut out = [0u8; 128];
        let n = gzip_compress(6, text, &mut out).unwrap();
        assert_eq!(&out[..3], &[0x1f, 0x8b, 8], "gzip member with deflate");
        // The trailer holds the input size.
        assert_eq!(u32::from_le_bytes(out[n - 4..n].try_into().unwrap()), text.len() as u32);
        assert_eq!(gzip_compress(42, text, &mut out), Some(n), "bad level = default (6)");
        assert_eq!(gzip_compress(6, text, &mut out[..8]), None, "output too small");
    }
}
