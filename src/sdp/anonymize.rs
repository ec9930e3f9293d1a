//! `janus_sdp_anonymize`: strips what the core handles itself (ICE, DTLS, candidates,
//! SSRCs, simulcast signalling, SCTP details, RTP formats Janus does not relay) from an
//! SDP, leaving what a plugin negotiates.

use super::scan::atoi;
use super::{MediaType, Sdp};

/// The `a=extmap` URI of encrypted header extensions, which Janus does not support.
pub const EXTMAP_ENCRYPTED: &str = "urn:ietf:params:rtp-hdrext:encrypt";

/// Session-level attributes the plugins never see.
const SESSION_STRIPPED: [&str; 8] =
    ["ice-ufrag", "ice-pwd", "ice-options", "fingerprint", "group", "msid-semantic", "extmap-allow-mixed", "rtcp-rsize"];

/// Media-level attributes the plugins never see.
const MEDIA_STRIPPED: [&str; 21] = [
    "ice-ufrag",
    "ice-pwd",
    "ice-options",
    "crypto",
    "fingerprint",
    "setup",
    "connection",
    "group",
    "msid-semantic",
    "rid",
    "simulcast",
    "rtcp",
    "rtcp-mux",
    "rtcp-rsize",
    "candidate",
    "end-of-candidates",
    "ssrc",
    "ssrc-group",
    "sctpmap",
    "sctp-port",
    "max-message-size",
];

/// Formats Janus drops from video m-lines (matched anywhere in an attribute value).
const UNSUPPORTED_FORMATS: [&str; 4] = ["red/90000", "ulpfec/90000", "flexfec-03/90000", "rtx/90000"];

/// Where plugins see the addresses of the peer.
const HIDDEN_ADDRESS: &str = "1.1.1.1";

/// `janus_sdp_remove_payload_type`: drops `pt` from the m-line with that index (every
/// m-line for -1): its first occurrence in the payload types, and every attribute whose
/// value starts with that number.
pub fn remove_payload_type(sdp: &mut Sdp, index: i32, pt: i32) {
    if pt < 0 {
        return;
    }
    for m in sdp.m_lines.iter_mut().filter(|m| index == -1 || m.index == index) {
        if let Some(i) = m.ptypes.iter().position(|p| *p == pt) {
            m.ptypes.remove(i);
        }
        m.attributes.retain(|a| a.value.as_deref().is_none_or(|v| atoi(v) != pt));
        if index != -1 {
            break;
        }
    }
}

/// Anonymizes `sdp` in place.
pub fn anonymize(sdp: &mut Sdp) {
    if sdp.o_addr.is_some() {
        sdp.o_ipv4 = true;
        sdp.o_addr = Some(HIDDEN_ADDRESS.into());
    }
    sdp.attributes.retain(|a| !SESSION_STRIPPED.iter().any(|n| a.is(n)));
    let mut data = 0;
    for i in 0..sdp.m_lines.len() {
        let m = &mut sdp.m_lines[i];
        let sctp = m.proto.as_deref().is_some_and(|p| p.eq_ignore_ascii_case("DTLS/SCTP") || p.eq_ignore_ascii_case("UDP/DTLS/SCTP"));
        m.port = match m.mtype {
            MediaType::Audio | MediaType::Video if m.port > 0 => 9,
            // Only one data channel m-line is kept.
            MediaType::Application if m.port > 0 && sctp => {
                data += 1;
                if data == 1 {
                    9
                } else {
                    0
                }
            }
            _ => 0,
        };
        if m.c_addr.is_some() {
            m.c_ipv4 = true;
            m.c_addr = Some(HIDDEN_ADDRESS.into());
        }
        m.attributes.retain(|a| a.name.is_none() || !MEDIA_STRIPPED.iter().any(|n| a.is(n)));
        m.attributes.retain(|a| a.value.as_deref().is_none_or(|v| !v.contains(EXTMAP_ENCRYPTED)));
        let purged: Vec<i32> = m
            .attributes
            .iter()
            .filter_map(|a| a.value.as_deref())
            .filter(|v| UNSUPPORTED_FORMATS.iter().any(|f| v.contains(f)))
            .map(atoi)
            .filter(|pt| *pt >= 0)
            .collect();
        let index = m.index;
        for pt in purged {
            remove_payload_type(sdp, index, pt);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remove_payload_type_quirks() {
        let mut sdp = crate::sdp::parse(
            "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=video 9 RTP/AVPF 96 97 96\r\n\
             a=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\na=extmap:97 x\r\na=mid:97\r\na=rtpmap:96 VP8/90000\r\n",
        )
        .unwrap();
        remove_payload_type(&mut sdp, 0, 97);
        let m = &sdp.m_lines[0];
        assert_eq!(m.ptypes, [96, 96]);
        // Anything whose value starts with 97 goes, whatever the attribute.
        assert_eq!(m.attributes.len(), 1);
        remove_payload_type(&mut sdp, -1, 96);
        assert_eq!(sdp.m_lines[0].ptypes, [96]);
        assert!(sdp.m_lines[0].attributes.is_empty());
        remove_payload_type(&mut sdp, 5, 96);
        assert_eq!(sdp.m_lines[0].ptypes, [96]);
    }
}
