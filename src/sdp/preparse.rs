//! `janus_sdp_preparse`: the first look the core takes at any SDP, the peer's or a
//! plugin's: parse it, count the media, read the DTLS role the peer advertises, revive
//! port-0 m-lines that are first or `bundle-only`, and bound mid lengths.

use super::peer::DtlsRole;
use super::{MediaType, Sdp};

/// Longest `a=mid` Janus accepts on an enabled audio/video m-line.
pub const MAX_MID_LENGTH: usize = 16;

/// A parsed SDP and what preparsing learnt about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Preparsed {
    pub sdp: Sdp,
    /// Enabled audio and video m-lines, and DTLS/SCTP application ones.
    pub audio: i32,
    pub video: i32,
    pub data: i32,
    /// The role derived from the first `a=setup` (session level first), when the caller
    /// asked for it and there was one with a known value.
    pub dtls_role: Option<DtlsRole>,
}

/// Why preparsing failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PreparseError {
    /// `janus_sdp_parse` refused the text: Janus relays this text to the client.
    Parse(String),
    /// `a=setup` without a value.
    SetupWithoutValue,
    /// `a=mid` without a value.
    MidWithoutValue,
    /// `a=mid` longer than [`MAX_MID_LENGTH`] on m-line `index`.
    MidTooLarge { index: i32, length: usize },
}

impl PreparseError {
    /// The text that ends up in Janus' error buffer, i.e. in the `error` reply: only
    /// parse errors fill it, the other failures leave it empty.
    pub fn error_text(&self) -> &str {
        match self {
            PreparseError::Parse(text) => text,
            _ => "",
        }
    }
}

/// What an `a=setup` value says about the role we take (unknown values say nothing).
fn role_from_setup(value: &str) -> Option<DtlsRole> {
    if value.eq_ignore_ascii_case("actpass") {
        Some(DtlsRole::Actpass)
    } else if value.eq_ignore_ascii_case("passive") {
        Some(DtlsRole::Server)
    } else if value.eq_ignore_ascii_case("active") {
        Some(DtlsRole::Client)
    } else {
        None
    }
}

/// Preparses `text`; `want_dtls_role` says whether the caller looks at `a=setup` (Janus
/// does so for a first offer from the peer only).
pub fn preparse(text: &str, want_dtls_role: bool) -> Result<Preparsed, PreparseError> {
    let mut sdp = super::parse(text).map_err(PreparseError::Parse)?;
    let mut out = Preparsed { sdp: Sdp::default(), audio: 0, video: 0, data: 0, dtls_role: None };
    let mut role_found = false;
    if want_dtls_role {
        if let Some(a) = sdp.attributes.iter().find(|a| a.is("setup")) {
            let value = a.value.as_deref().ok_or(PreparseError::SetupWithoutValue)?;
            out.dtls_role = role_from_setup(value);
            role_found = true;
        }
    }
    for m in &mut sdp.m_lines {
        match m.mtype {
            MediaType::Audio => out.audio += 1,
            MediaType::Video => out.video += 1,
            MediaType::Application if m.proto.as_deref().is_some_and(|p| p.contains("DTLS/SCTP")) => out.data += 1,
            _ => {}
        }
        // The first m-line is never disabled: it carries the BUNDLE transport.
        if m.index == 0 && m.port == 0 {
            m.port = 9;
        }
        for a in &m.attributes {
            if a.is("bundle-only") && m.port == 0 {
                m.port = 9;
            } else if a.is("mid") {
                let value = a.value.as_deref().ok_or(PreparseError::MidWithoutValue)?;
                let media = matches!(m.mtype, MediaType::Audio | MediaType::Video);
                if media && m.port > 0 && value.len() > MAX_MID_LENGTH {
                    return Err(PreparseError::MidTooLarge { index: m.index, length: value.len() });
                }
            } else if want_dtls_role && !role_found && a.is("setup") {
                let value = a.value.as_deref().ok_or(PreparseError::SetupWithoutValue)?;
                out.dtls_role = role_from_setup(value);
                role_found = true;
            }
        }
        // Disabled audio/video m-lines do not count.
        if m.port == 0 {
            match m.mtype {
                MediaType::Audio => out.audio -= 1,
                MediaType::Video => out.video -= 1,
                _ => {}
            }
        }
    }
    out.sdp = sdp;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n";

    fn sdp(body: &str) -> String {
        format!("{HEAD}{body}")
    }

    #[test]
    fn counts_and_role() {
        let text = sdp("a=setup:passive\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=setup:active\r\n\
                        m=video 0 UDP/TLS/RTP/SAVPF 96\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n\
                        m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n");
        let p = preparse(&text, true).unwrap();
        assert_eq!((p.audio, p.video, p.data), (1, 1, 1));
        // The session-level a=setup wins.
        assert_eq!(p.dtls_role, Some(DtlsRole::Server));
        assert_eq!(preparse(&text, false).unwrap().dtls_role, None);
        let media = sdp("m=audio 9 RTP/AVP 0\r\na=setup:ACTIVE\r\nm=video 9 RTP/AVP 96\r\na=setup:passive\r\n");
        assert_eq!(preparse(&media, true).unwrap().dtls_role, Some(DtlsRole::Client));
        // An unknown value still counts as "found": later ones are not looked at.
        let holdconn = sdp("m=audio 9 RTP/AVP 0\r\na=setup:holdconn\r\nm=video 9 RTP/AVP 96\r\na=setup:passive\r\n");
        assert_eq!(preparse(&holdconn, true).unwrap().dtls_role, None);
    }

    #[test]
    fn port_zero_revival() {
        let text = sdp("m=audio 0 RTP/AVP 0\r\nm=video 0 RTP/AVP 96\r\na=bundle-only\r\nm=video 0 RTP/AVP 97\r\n");
        let p = preparse(&text, false).unwrap();
        let ports: Vec<u16> = p.sdp.m_lines.iter().map(|m| m.port).collect();
        assert_eq!(ports, [9, 9, 0]);
        assert_eq!((p.audio, p.video), (1, 1));
    }

    #[test]
    fn errors() {
        assert_eq!(preparse("x", false).unwrap_err(), PreparseError::Parse("Invalid SDP (doesn't start with v=)".into()));
        assert_eq!(preparse(&sdp("a=setup\r\nm=audio 9 RTP/AVP 0\r\n"), true).unwrap_err(), PreparseError::SetupWithoutValue);
        // Without interest in the role a valueless a=setup is fine.
        assert!(preparse(&sdp("a=setup\r\nm=audio 9 RTP/AVP 0\r\n"), false).is_ok());
        assert_eq!(preparse(&sdp("m=audio 9 RTP/AVP 0\r\na=mid\r\n"), false).unwrap_err(), PreparseError::MidWithoutValue);
        let long = sdp("m=audio 9 RTP/AVP 0\r\nm=video 9 RTP/AVP 96\r\na=mid:abcdefghijklmnopq\r\n");
        let err = preparse(&long, false).unwrap_err();
        assert_eq!(err, PreparseError::MidTooLarge { index: 1, length: 17 });
        assert_eq!(err.error_text(), "");
        // 16 characters are fine, and so is any length on a disabled or data m-line.
        assert!(preparse(&sdp("m=audio 9 RTP/AVP 0\r\na=mid:abcdefghijklmnop\r\n"), false).is_ok());
        assert!(preparse(&sdp("m=audio 9 RTP/AVP 0\r\nm=video 0 RTP/AVP 96\r\na=mid:abcdefghijklmnopq\r\n"), false).is_ok());
        // The mid check runs before a later a=bundle-only revives the m-line.
        let order = sdp("m=audio 9 RTP/AVP 0\r\nm=video 0 RTP/AVP 96\r\na=mid:abcdefghijklmnopq\r\na=bundle-only\r\n");
        assert!(preparse(&order, false).is_ok());
    }
}
