//! `janus_sdp_write`: Janus' serializer, byte for byte. Each line goes through a 512-byte
//! `g_snprintf` buffer (longer lines are cut at 511 bytes and lose their CRLF), the session
//! part lives in a 1024-byte buffer and each m-section in an 8192-byte one (truncated there).

use super::{MLine, Sdp};

/// Size of the per-line formatting buffer.
const LINE_BUFFER: usize = 512;
/// Initial SDP buffer, which bounds the session-level part.
const SESSION_BUFFER: usize = 1024;
/// Per m-section buffer.
const MLINE_BUFFER: usize = 8192;

/// `janus_strlcat_fast` into a fixed-size buffer: once a piece does not fit, what fits is
/// kept (leaving room for the NUL) and every later piece is dropped.
struct Section {
    text: Vec<u8>,
    size: usize,
    full: bool,
}

impl Section {
    fn new(size: usize) -> Self {
        Section { text: Vec::new(), size, full: false }
    }

    fn push(&mut self, piece: &[u8]) {
        if self.full {
            return;
        }
        if self.text.len() + piece.len() < self.size {
            self.text.extend_from_slice(piece);
        } else {
            let room = self.size - 1 - self.text.len();
            self.text.extend_from_slice(&piece[..room]);
            self.full = true;
        }
    }

    /// One `g_snprintf` into the 512-byte line buffer, then the append.
    fn line(&mut self, formatted: String) {
        let bytes = formatted.as_bytes();
        self.push(&bytes[..bytes.len().min(LINE_BUFFER - 1)]);
    }
}

/// printf's rendering of a possibly NULL `%s`.
fn s(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("(null)")
}

fn ip(ipv4: bool) -> &'static str {
    if ipv4 {
        "IP4"
    } else {
        "IP6"
    }
}

fn attribute_lines(out: &mut Section, attributes: &[super::Attribute], mid_only: bool) {
    for a in attributes {
        if mid_only && !a.is("mid") {
            continue;
        }
        match &a.value {
            Some(v) => out.line(format!("a={}:{}\r\n", s(&a.name), v)),
            None => out.line(format!("a={}\r\n", s(&a.name))),
        }
    }
}

/// Serializes the SDP. Like Janus, a rejected audio/video m-line (port 0) is rewritten on
/// the way: its formats are dropped and its payload types become just `0`.
pub fn write(sdp: &mut Sdp) -> Vec<u8> {
    let mut session = Section::new(SESSION_BUFFER);
    session.line(format!("v={}\r\n", sdp.version));
    session.line(format!("o={} {} {} IN {} {}\r\n", s(&sdp.o_name), sdp.o_sessid, sdp.o_version, ip(sdp.o_ipv4), s(&sdp.o_addr)));
    session.line(format!("s={}\r\n", s(&sdp.s_name)));
    session.line(format!("t={} {}\r\n", sdp.t_start, sdp.t_stop));
    if let Some(c) = &sdp.c_addr {
        session.line(format!("c=IN {} {}\r\n", ip(sdp.c_ipv4), c));
    }
    attribute_lines(&mut session, &sdp.attributes, false);
    // Janus keeps appending m-sections after a truncated session part, but past its NUL:
    // they are invisible in the result.
    let visible = !session.full;
    let mut out = session.text;
    for m in &mut sdp.m_lines {
        let section = write_mline(m);
        if visible {
            out.extend_from_slice(&section);
        }
    }
    out
}

fn write_mline(m: &mut MLine) -> Vec<u8> {
    let mut out = Section::new(MLINE_BUFFER);
    out.line(format!("m={} {} {}", s(&m.type_str), m.port, s(&m.proto)));
    if m.is_rejected_media() {
        m.fmts.clear();
        m.ptypes = vec![0];
        out.push(b" 0");
    } else if m.proto.as_deref().is_some_and(|p| p.contains("RTP")) {
        for pt in &m.ptypes {
            out.line(format!(" {pt}"));
        }
    } else {
        for f in &m.fmts {
            out.line(format!(" {f}"));
        }
    }
    out.push(b"\r\n");
    if let Some(c) = &m.c_addr {
        out.line(format!("c=IN {} {}\r\n", ip(m.c_ipv4), c));
    }
    if m.port > 0 {
        if let Some(b) = &m.b_name {
            out.line(format!("b={}:{}\r\n", b, m.b_value));
        }
    }
    if m.direction != super::Direction::Default {
        if let Some(d) = m.direction.as_str() {
            out.line(format!("a={d}\r\n"));
        }
    }
    attribute_lines(&mut out, &m.attributes, m.port == 0);
    out.text
}
