//! The little of STUN (RFC 5389) the core speaks itself: a Binding Request and the address
//! a Binding success response maps us to, for the STUN server test of startup and of the
//! Admin API's `test_stun`. Sans-IO.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

pub const MAGIC_COOKIE: u32 = 0x2112_A442;
pub const HEADER_LEN: usize = 20;
const BINDING_REQUEST: u16 = 0x0001;
const BINDING_SUCCESS: u16 = 0x0101;
const ATTR_MAPPED_ADDRESS: u16 = 0x0001;
const ATTR_XOR_MAPPED_ADDRESS: u16 = 0x0020;

/// A Binding Request without attributes (what libnice's `stun_usage_bind_create` sends with
/// RFC 5389 compatibility and no options: 20 bytes).
pub fn binding_request(transaction_id: &[u8; 12]) -> [u8; HEADER_LEN] {
    let mut m = [0u8; HEADER_LEN];
    m[0..2].copy_from_slice(&BINDING_REQUEST.to_be_bytes());
    m[4..8].copy_from_slice(&MAGIC_COOKIE.to_be_bytes());
    m[8..20].copy_from_slice(transaction_id);
    m
}

/// Why a datagram is not a usable answer to our Binding Request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BindingError {
    /// Not a well-formed STUN message answering our transaction.
    Invalid,
    /// A STUN message, but not a Binding success response (e.g. an error response).
    NotSuccess,
    /// Neither XOR-MAPPED-ADDRESS nor MAPPED-ADDRESS (usable).
    NoAddress,
}

/// The mapped address of a Binding success response to `transaction_id`: XOR-MAPPED-ADDRESS
/// if present and readable, else MAPPED-ADDRESS.
pub fn parse_binding_response(packet: &[u8], transaction_id: &[u8; 12]) -> Result<SocketAddr, BindingError> {
    if packet.len() < HEADER_LEN || packet[0] & 0xC0 != 0 {
        return Err(BindingError::Invalid);
    }
    let msg_type = u16::from_be_bytes([packet[0], packet[1]]);
    let length = usize::from(u16::from_be_bytes([packet[2], packet[3]]));
    let cookie = u32::from_be_bytes([packet[4], packet[5], packet[6], packet[7]]);
    if cookie != MAGIC_COOKIE || length % 4 != 0 || HEADER_LEN + length != packet.len() || packet[8..20] != transaction_id[..] {
        return Err(BindingError::Invalid);
    }
    if msg_type != BINDING_SUCCESS {
        return Err(BindingError::NotSuccess);
    }
    let mut xor_mapped = None;
    let mut mapped = None;
    let mut rest = &packet[HEADER_LEN..];
    while !rest.is_empty() {
        if rest.len() < 4 {
            return Err(BindingError::Invalid);
        }
        let attr_type = u16::from_be_bytes([rest[0], rest[1]]);
        let attr_len = usize::from(u16::from_be_bytes([rest[2], rest[3]]));
        let padded = attr_len.div_ceil(4) * 4;
        if rest.len() < 4 + padded {
            return Err(BindingError::Invalid);
        }
        let value = &rest[4..4 + attr_len];
        match attr_type {
            ATTR_XOR_MAPPED_ADDRESS if xor_mapped.is_none() => xor_mapped = read_address(value, Some(transaction_id)),
            ATTR_MAPPED_ADDRESS if mapped.is_none() => mapped = read_address(value, None),
            _ => {}
        }
        rest = &rest[4 + padded..];
    }
    xor_mapped.or(mapped).ok_or(BindingError::NoAddress)
}

/// The class and method of a STUN message (libnice's numbering: class 0 request, 1
/// indication, 2 success, 3 error), from the bits RFC 5389 interleaves in its type.
pub fn class_and_method(packet: &[u8]) -> (u16, u16) {
    let t = match packet {
        [a, b, ..] => u16::from_be_bytes([*a, *b]),
        _ => 0,
    };
    let class = ((t >> 7) & 0x2) | ((t >> 4) & 0x1);
    let method = (t & 0x000F) | ((t >> 1) & 0x0070) | ((t >> 2) & 0x0F80);
    (class, method)
}

/// An address attribute value; XOR-ed with the cookie (and transaction id) when `xor` is given.
fn read_address(value: &[u8], xor: Option<&[u8; 12]>) -> Option<SocketAddr> {
    if value.len() < 4 {
        return None;
    }
    let mut mask = [0u8; 16];
    if let Some(tid) = xor {
        mask[..4].copy_from_slice(&MAGIC_COOKIE.to_be_bytes());
        mask[4..].copy_from_slice(tid);
    }
    let port = u16::from_be_bytes([value[2] ^ mask[0], value[3] ^ mask[1]]);
    let addr = &value[4..];
    let ip = match (value[1], addr.len()) {
        (0x01, 4) => {
            let b: [u8; 4] = std::array::from_fn(|i| addr[i] ^ mask[i]);
            IpAddr::V4(Ipv4Addr::from(b))
        }
        (0x02, 16) => {
            let b: [u8; 16] = std::array::from_fn(|i| addr[i] ^ mask[i]);
            IpAddr::V6(Ipv6Addr::from(b))
        }
        _ => return None,
    };
    Some(SocketAddr::new(ip, port))
}

/// A Binding success response carrying `mapped` as XOR-MAPPED-ADDRESS (`xor`) or
/// MAPPED-ADDRESS: what a STUN server answers, for tests.
#[cfg(test)]
pub(crate) fn binding_success(transaction_id: &[u8; 12], mapped: SocketAddr, xor: bool) -> Vec<u8> {
    let mut attrs = Vec::new();
    let mut mask = [0u8; 16];
    if xor {
        mask[..4].copy_from_slice(&MAGIC_COOKIE.to_be_bytes());
        mask[4..].copy_from_slice(transaction_id);
    }
    let (family, ip): (u8, Vec<u8>) = match mapped.ip() {
        IpAddr::V4(a) => (1, a.octets().to_vec()),
        IpAddr::V6(a) => (2, a.octets().to_vec()),
    };
    let attr_type = if xor { ATTR_XOR_MAPPED_ADDRESS } else { ATTR_MAPPED_ADDRESS };
    attrs.extend_from_slice(&attr_type.to_be_bytes());
    attrs.extend_from_slice(&(4 + ip.len() as u16).to_be_bytes());
    attrs.extend_from_slice(&[0, family]);
    let port = mapped.port().to_be_bytes();
    attrs.extend_from_slice(&[port[0] ^ mask[0], port[1] ^ mask[1]]);
    attrs.extend(ip.iter().enumerate().map(|(i, b)| b ^ mask[i]));
    let mut m = binding_request(transaction_id).to_vec();
    m[0..2].copy_from_slice(&BINDING_SUCCESS.to_be_bytes());
    m[2..4].copy_from_slice(&(attrs.len() as u16).to_be_bytes());
    m.extend(attrs);
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    const TID: [u8; 12] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];

    #[test]
    fn binding_request_layout() {
        let m = binding_request(&TID);
        assert_eq!(m[..8], [0, 1, 0, 0, 0x21, 0x12, 0xA4, 0x42]);
        assert_eq!(m[8..], TID);
    }

    #[test]
    fn rfc5769_ipv4_response() {
        // RFC 5769 §2.2 sample response (XOR-MAPPED-ADDRESS 192.0.2.1:32853), SOFTWARE,
        // MESSAGE-INTEGRITY and FINGERPRINT skipped as unknown to us.
        let tid = [0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae];
        let hex = concat!(
            "0101003c2112a442b7e7a701bc34d686fa87dfae",
            "8022000b7465737420766563746f7220",
            "002000080001a147e112a643",
            "000800142b91f599fd9e90c38c7489f92af9ba53f06be7d7",
            "80280004c07d4c96"
        );
        let bytes: Vec<u8> = (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect();
        assert_eq!(parse_binding_response(&bytes, &tid), Ok("192.0.2.1:32853".parse().unwrap()));
        let mut other = tid;
        other[0] ^= 1;
        assert_eq!(parse_binding_response(&bytes, &other), Err(BindingError::Invalid));
    }

    #[test]
    fn xor_and_plain_addresses_round_trip() {
        for addr in ["203.0.113.7:40000", "[2001:db8::1]:3478"] {
            let addr: SocketAddr = addr.parse().unwrap();
            for xor in [true, false] {
                assert_eq!(parse_binding_response(&binding_success(&TID, addr, xor), &TID), Ok(addr));
            }
        }
    }

    #[test]
    fn refusals() {
        let addr: SocketAddr = "1.2.3.4:5".parse().unwrap();
        let good = binding_success(&TID, addr, true);
        assert_eq!(parse_binding_response(&good[..19], &TID), Err(BindingError::Invalid));
        assert_eq!(parse_binding_response(&good[..good.len() - 4], &TID), Err(BindingError::Invalid));
        let mut error_response = good.clone();
        error_response[0..2].copy_from_slice(&0x0111u16.to_be_bytes());
        assert_eq!(parse_binding_response(&error_response, &TID), Err(BindingError::NotSuccess));
        let bare = binding_request(&TID);
        let mut empty = bare;
        empty[0..2].copy_from_slice(&BINDING_SUCCESS.to_be_bytes());
        assert_eq!(parse_binding_response(&empty, &TID), Err(BindingError::NoAddress));
        assert_eq!(parse_binding_response(&bare, &TID), Err(BindingError::NotSuccess));
        for n in 0..good.len() {
            let _ = parse_binding_response(&good[..n], &TID);
        }
    }

    #[test]
    fn classes_and_methods() {
        assert_eq!(class_and_method(&binding_request(&TID)), (0, 1));
        assert_eq!(class_and_method(&0x0101u16.to_be_bytes()), (2, 1));
        assert_eq!(class_and_method(&0x0111u16.to_be_bytes()), (3, 1));
        // TURN Allocate error response (method 3) and a ChannelBind indication (method 9).
        assert_eq!(class_and_method(&0x0113u16.to_be_bytes()), (3, 3));
        assert_eq!(class_and_method(&0x0019u16.to_be_bytes()), (1, 9));
        assert_eq!(class_and_method(&[0x3F, 0xFF]), (3, 0xFFF));
        assert_eq!(class_and_method(&[0x3E, 0xEF]), (0, 0xFFF));
        assert_eq!(class_and_method(&[1]), (0, 0));
    }
}
