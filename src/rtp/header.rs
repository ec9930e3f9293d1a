//! Reading and rewriting the fixed RTP header (RFC 3550 section 5.1) in place.
//!
//! Every accessor takes the packet as a byte slice and never reads past it: the stock Janus
//! code overlays a 76-byte struct on the buffer, we only look at the bytes that exist.

/// Size of the fixed header, without CSRCs or extensions.
pub const RTP_HEADER_SIZE: usize = 12;

/// A read-only view of a packet that is at least [`RTP_HEADER_SIZE`] bytes long.
#[derive(Clone, Copy, Debug)]
pub struct RtpHeader<'a> {
    bytes: &'a [u8],
}

impl<'a> RtpHeader<'a> {
    /// `None` if the buffer cannot even hold the fixed header.
    pub fn new(bytes: &'a [u8]) -> Option<Self> {
        (bytes.len() >= RTP_HEADER_SIZE).then_some(RtpHeader { bytes })
    }

    pub fn version(&self) -> u8 {
        self.bytes[0] >> 6
    }
    pub fn padding(&self) -> bool {
        self.bytes[0] & 0x20 != 0
    }
    pub fn extension(&self) -> bool {
        self.bytes[0] & 0x10 != 0
    }
    pub fn csrc_count(&self) -> usize {
        usize::from(self.bytes[0] & 0x0f)
    }
    pub fn marker(&self) -> bool {
        self.bytes[1] & 0x80 != 0
    }
    pub fn payload_type(&self) -> u8 {
        self.bytes[1] & 0x7f
    }
    pub fn sequence_number(&self) -> u16 {
        u16::from_be_bytes([self.bytes[2], self.bytes[3]])
    }
    pub fn timestamp(&self) -> u32 {
        u32::from_be_bytes([self.bytes[4], self.bytes[5], self.bytes[6], self.bytes[7]])
    }
    pub fn ssrc(&self) -> u32 {
        u32::from_be_bytes([self.bytes[8], self.bytes[9], self.bytes[10], self.bytes[11]])
    }

    /// The header extension block, if the X bit is set and the block fits in the packet:
    /// `(profile, body)`, where `body` is the `length * 4` bytes after the 4-byte block header.
    pub fn extension_block(&self) -> Option<(u16, &'a [u8])> {
        if !self.extension() {
            return None;
        }
        let start = RTP_HEADER_SIZE + 4 * self.csrc_count();
        let head = self.bytes.get(start..start + 4)?;
        let profile = u16::from_be_bytes([head[0], head[1]]);
        let words = usize::from(u16::from_be_bytes([head[2], head[3]]));
        let body = self.bytes.get(start + 4..start + 4 + 4 * words)?;
        Some((profile, body))
    }

    /// Where the payload starts, as Janus computes it (`janus_rtp_payload`): after the CSRCs,
    /// after the 4-byte extension header when X is set, and after the extension body only when
    /// the packet is longer than header plus body. `None` for a non-v2 packet or no payload.
    pub fn payload_offset(&self) -> Option<usize> {
        if self.version() != 2 {
            return None;
        }
        let mut offset = RTP_HEADER_SIZE + 4 * self.csrc_count();
        if self.extension() {
            let words = self.bytes.get(offset + 2..offset + 4).map_or(0, |w| usize::from(u16::from_be_bytes([w[0], w[1]])));
            offset += 4;
            if self.bytes.len() > offset + 4 * words {
                offset += 4 * words;
            }
        }
        (self.bytes.len() > offset).then_some(offset)
    }
}

/// `janus_is_rtp`: long enough for a header and a payload type outside the range RTCP's
/// packet types collide with (64..96, i.e. 192..224 with the marker bit).
pub fn is_rtp(packet: &[u8]) -> bool {
    RtpHeader::new(packet).is_some_and(|h| !(64..96).contains(&h.payload_type()))
}

/// Overwrites the sequence number of a packet at least [`RTP_HEADER_SIZE`] bytes long.
pub fn set_sequence_number(packet: &mut [u8], seq: u16) {
    packet[2..4].copy_from_slice(&seq.to_be_bytes());
}

/// Overwrites the timestamp of a packet at least [`RTP_HEADER_SIZE`] bytes long.
pub fn set_timestamp(packet: &mut [u8], ts: u32) {
    packet[4..8].copy_from_slice(&ts.to_be_bytes());
}

/// Overwrites the SSRC of a packet at least [`RTP_HEADER_SIZE`] bytes long.
pub fn set_ssrc(packet: &mut [u8], ssrc: u32) {
    packet[8..12].copy_from_slice(&ssrc.to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet(first: u8, pt: u8, extra: &[u8]) -> Vec<u8> {
        let mut p = vec![first, pt, 0x12, 0x34, 0, 0, 0x10, 0, 0xde, 0xad, 0xbe, 0xef];
        p.extend_from_slice(extra);
        p
    }

    #[test]
    fn fields() {
        let p = packet(0x80, 0x80 | 111, &[1, 2, 3]);
        let h = RtpHeader::new(&p).unwrap();
        assert_eq!((h.version(), h.marker(), h.payload_type()), (2, true, 111));
        assert_eq!((h.sequence_number(), h.timestamp(), h.ssrc()), (0x1234, 0x1000, 0xdeadbeef));
        assert_eq!(h.payload_offset(), Some(12));
    }

    #[test]
    fn rtcp_types_are_not_rtp() {
        assert!(!is_rtp(&packet(0x80, 200, &[])));
        assert!(is_rtp(&packet(0x80, 96, &[])));
        assert!(!is_rtp(&[0x80; 11]));
    }

    #[test]
    fn payload_after_csrcs_and_extension() {
        // 1 CSRC, extension with one word of body, then 2 payload bytes.
        let p = packet(0x91, 96, &[0, 0, 0, 1, 0xbe, 0xde, 0, 1, 0x10, 0xff, 0, 0, 7, 8]);
        let h = RtpHeader::new(&p).unwrap();
        assert_eq!(h.extension_block(), Some((0xbede, &[0x10, 0xff, 0, 0][..])));
        assert_eq!(h.payload_offset(), Some(24));
    }

    #[test]
    fn truncated_extension_never_reads_past_the_end() {
        // X bit set but the packet ends inside the extension header.
        let p = packet(0x90, 96, &[0xbe]);
        let h = RtpHeader::new(&p).unwrap();
        assert_eq!(h.extension_block(), None);
        assert_eq!(h.payload_offset(), None);
        // Extension length claims more than there is: Janus keeps the body as payload.
        let p = packet(0x90, 96, &[0xbe, 0xde, 0, 9, 1, 2]);
        assert_eq!(RtpHeader::new(&p).unwrap().payload_offset(), Some(16));
    }
}
