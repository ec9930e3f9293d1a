//! The Data Channel Establishment Protocol (RFC 8832): the DATA_CHANNEL_OPEN and
//! DATA_CHANNEL_ACK messages carried with PPID 50 on the channel's own stream.

use super::Reliability;

/// DATA_CHANNEL_ACK.
pub const MSG_ACK: u8 = 0x02;
/// DATA_CHANNEL_OPEN.
pub const MSG_OPEN: u8 = 0x03;

/// Fixed part of DATA_CHANNEL_OPEN: type, channel type, priority, reliability parameter,
/// label length, protocol length.
const OPEN_HEADER_LEN: usize = 12;

/// The channel-type byte: its high bit asks for unordered delivery, its low bits pick the
/// reliability policy.
const UNORDERED_BIT: u8 = 0x80;
const POLICY_RELIABLE: u8 = 0x00;
const POLICY_REXMIT: u8 = 0x01;
const POLICY_TIMED: u8 = 0x02;

/// A parsed DATA_CHANNEL_OPEN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DcepOpen {
    pub ordered: bool,
    pub reliability: Reliability,
    pub priority: u16,
    pub label: String,
    pub protocol: String,
}

/// Why a DCEP message was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DcepError {
    Empty,
    Truncated,
    UnknownChannelType(u8),
    UnknownMessageType(u8),
}

/// A DCEP message, as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DcepMessage {
    Open(DcepOpen),
    Ack,
}

impl DcepMessage {
    pub fn parse(buf: &[u8]) -> Result<Self, DcepError> {
        match *buf.first().ok_or(DcepError::Empty)? {
            MSG_ACK => Ok(DcepMessage::Ack),
            MSG_OPEN => DcepOpen::parse(buf).map(DcepMessage::Open),
            other => Err(DcepError::UnknownMessageType(other)),
        }
    }
}

impl DcepOpen {
    fn parse(buf: &[u8]) -> Result<Self, DcepError> {
        if buf.len() < OPEN_HEADER_LEN {
            return Err(DcepError::Truncated);
        }
        let channel_type = buf[1];
        let priority = u16::from_be_bytes([buf[2], buf[3]]);
        let parameter = u32::from_be_bytes([buf[4], buf[5], buf[6], buf[7]]);
        let label_len = usize::from(u16::from_be_bytes([buf[8], buf[9]]));
        let protocol_len = usize::from(u16::from_be_bytes([buf[10], buf[11]]));
        let reliability = match channel_type & !UNORDERED_BIT {
            POLICY_RELIABLE => Reliability::Reliable,
            POLICY_REXMIT => Reliability::MaxRetransmits(parameter),
            POLICY_TIMED => Reliability::MaxLifetime(parameter),
            _ => return Err(DcepError::UnknownChannelType(channel_type)),
        };
        let strings = &buf[OPEN_HEADER_LEN..];
        if strings.len() < label_len + protocol_len {
            return Err(DcepError::Truncated);
        }
        // Labels are UTF-8 by the spec; a peer that sends otherwise still gets its channel, with
        // the invalid sequences replaced, rather than a silently dead stream.
        let label = String::from_utf8_lossy(&strings[..label_len]).into_owned();
        let protocol = String::from_utf8_lossy(&strings[label_len..label_len + protocol_len]).into_owned();
        Ok(DcepOpen { ordered: channel_type & UNORDERED_BIT == 0, reliability, priority, label, protocol })
    }

    /// The wire form of this DATA_CHANNEL_OPEN.
    pub fn to_bytes(&self) -> Vec<u8> {
        let (policy, parameter) = match self.reliability {
            Reliability::Reliable => (POLICY_RELIABLE, 0),
            Reliability::MaxRetransmits(n) => (POLICY_REXMIT, n),
            Reliability::MaxLifetime(ms) => (POLICY_TIMED, ms),
        };
        let channel_type = if self.ordered { policy } else { policy | UNORDERED_BIT };
        let label = truncated_u16(self.label.as_bytes());
        let protocol = truncated_u16(self.protocol.as_bytes());
        let mut out = Vec::with_capacity(OPEN_HEADER_LEN + label.len() + protocol.len());
        out.push(MSG_OPEN);
        out.push(channel_type);
        out.extend_from_slice(&self.priority.to_be_bytes());
        out.extend_from_slice(&parameter.to_be_bytes());
        out.extend_from_slice(&(label.len() as u16).to_be_bytes());
        out.extend_from_slice(&(protocol.len() as u16).to_be_bytes());
        out.extend_from_slice(label);
        out.extend_from_slice(protocol);
        out
    }
}

/// Lengths travel as 16 bits: longer strings cannot be expressed.
fn truncated_u16(s: &[u8]) -> &[u8] {
    &s[..s.len().min(usize::from(u16::MAX))]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(ordered: bool, reliability: Reliability) -> DcepOpen {
        DcepOpen { ordered, reliability, priority: 256, label: "chat".into(), protocol: "json".into() }
    }

    #[test]
    fn open_round_trips_every_channel_type() {
        for ordered in [true, false] {
            for reliability in [Reliability::Reliable, Reliability::MaxRetransmits(0), Reliability::MaxLifetime(1500)] {
                let o = open(ordered, reliability);
                assert_eq!(DcepMessage::parse(&o.to_bytes()), Ok(DcepMessage::Open(o.clone())));
            }
        }
    }

    #[test]
    fn open_wire_layout() {
        let bytes = open(false, Reliability::MaxRetransmits(3)).to_bytes();
        assert_eq!(&bytes[..12], &[0x03, 0x81, 0x01, 0x00, 0, 0, 0, 3, 0, 4, 0, 4]);
        assert_eq!(&bytes[12..], b"chatjson");
    }

    #[test]
    fn malformed_messages_are_refused() {
        assert_eq!(DcepMessage::parse(&[]), Err(DcepError::Empty));
        assert_eq!(DcepMessage::parse(&[0x07]), Err(DcepError::UnknownMessageType(7)));
        // The legacy DATA_CHANNEL_OPEN_RESPONSE (1) is not part of RFC 8832.
        assert_eq!(DcepMessage::parse(&[0x01, 0, 0, 0]), Err(DcepError::UnknownMessageType(1)));
        let full = open(true, Reliability::Reliable).to_bytes();
        for cut in 1..full.len() {
            assert_eq!(DcepMessage::parse(&full[..cut]), Err(DcepError::Truncated), "cut at {cut}");
        }
        let mut bad_type = full.clone();
        bad_type[1] = 0x03;
        assert_eq!(DcepMessage::parse(&bad_type), Err(DcepError::UnknownChannelType(3)));
        // Lengths that claim more than is there.
        let mut lying = full;
        lying[8] = 0xff;
        assert_eq!(DcepMessage::parse(&lying), Err(DcepError::Truncated));
        assert_eq!(DcepMessage::parse(&[MSG_ACK]), Ok(DcepMessage::Ack));
    }
}
