//! Janus' network address helpers (`ip-utils.c`) on std types: finding an interface's
//! address by name or by address, detecting the local address, and printing addresses
//! the way glibc's `inet_ntop` does.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};

/// `IFNAMSIZ`: interface names are compared on at most this many bytes.
const IFNAMSIZ: usize = 16;

/// One entry of the `getifaddrs` list: a name and, for IPv4/IPv6 entries, the address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InterfaceAddress<'a> {
    pub name: Option<&'a [u8]>,
    pub addr: Option<IpAddr>,
}

/// Which address families a query accepts (`janus_network_query_options`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressKind {
    Ipv4,
    Ipv6,
    Any,
}

impl AddressKind {
    /// From `janus_network_query_options`: ipv4 (2), ipv6 (4) or any_ip (6); others are invalid.
    pub fn from_query_options(options: i32) -> Option<AddressKind> {
        match options {
            2 => Some(AddressKind::Ipv4),
            4 => Some(AddressKind::Ipv6),
            6 => Some(AddressKind::Any),
            _ => None,
        }
    }
}

fn names_match(a: &[u8], b: &[u8]) -> bool {
    a[..a.len().min(IFNAMSIZ)] == b[..b.len().min(IFNAMSIZ)]
}

/// `janus_network_lookup_interface`: the first entry whose name is `query` (IPv4/IPv6 entries
/// only) or whose address is `query` parsed as an IPv4 or IPv6 address.
pub fn lookup_interface<'a>(interfaces: impl IntoIterator<Item = InterfaceAddress<'a>>, query: &[u8]) -> Option<IpAddr> {
    let as_ip: Option<IpAddr> = std::str::from_utf8(query).ok().and_then(|s| s.parse().ok());
    interfaces.into_iter().find_map(|entry| {
        let addr = entry.addr?;
        let by_addr = as_ip == Some(addr);
        let by_name = entry.name.is_some_and(|n| names_match(n, query));
        (by_addr || by_name).then_some(addr)
    })
}

/// `janus_network_detect_local_ip`: the source address the kernel would use to reach a
/// public address (nothing is sent), trying IPv4 before IPv6 for [`AddressKind::Any`].
pub fn detect_local_ip(kind: AddressKind) -> Option<IpAddr> {
    let probe = |bind: IpAddr, dest: IpAddr| -> Option<IpAddr> {
        let socket = UdpSocket::bind(SocketAddr::new(bind, 0)).ok()?;
        socket.connect(SocketAddr::new(dest, 1)).ok()?;
        Some(socket.local_addr().ok()?.ip())
    };
    let v4 = || probe(Ipv4Addr::UNSPECIFIED.into(), Ipv4Addr::new(1, 2, 3, 4).into());
    let v6 = || probe(Ipv6Addr::UNSPECIFIED.into(), Ipv4Addr::new(1, 2, 3, 4).to_ipv6_compatible().into());
    match kind {
        AddressKind::Ipv4 => v4(),
        AddressKind::Ipv6 => v6(),
        AddressKind::Any => v4().or_else(v6),
    }
}

/// The text `inet_ntop` gives: like std's, except that glibc also writes IPv4-compatible
/// IPv6 addresses (`::a.b.c.d`, first 96 bits zero) in dotted form.
pub fn address_to_string(addr: IpAddr) -> String {
    match addr {
        IpAddr::V6(v6) => {
            let s = v6.segments();
            if s[..6] == [0; 6] && s[6] != 0 {
                let [a, b, c, d] = v6.octets()[12..] else { unreachable!() };
                format!("::{}", Ipv4Addr::new(a, b, c, d))
            } else {
                v6.to_string()
            }
        }
        IpAddr::V4(v4) => v4.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry<'a>(name: &'a str, addr: Option<&str>) -> InterfaceAddress<'a> {
        InterfaceAddress { name: Some(name.as_bytes()), addr: addr.map(|a| a.parse().unwrap()) }
    }

    #[test]
    fn lookup_by_name_or_address() {
        let list = [
            entry("lo", None), // AF_PACKET entries carry no IP address
            entry("lo", Some("127.0.0.1")),
            entry("eth0", Some("192.168.1.10")),
            entry("eth0", Some("fe80::1")),
            entry("wlan0", Some("10.0.0.7")),
        ];
        let ip = |s: &str| Some(s.parse::<IpAddr>().unwrap());
        assert_eq!(lookup_interface(list, b"eth0"), ip("192.168.1.10"), "first IP entry of the name");
        assert_eq!(lookup_interface(list, b"fe80::1"), ip("fe80::1"));
        assert_eq!(lookup_interface(list, b"10.0.0.7"), ip("10.0.0.7"));
        assert_eq!(lookup_interface(list, b"lo"), ip("127.0.0.1"));
        assert_eq!(lookup_interface(list, b"eth1"), None);
        assert_eq!(lookup_interface(list, b"10.0.0.8"), None);
        let long = [entry("averyveryverylongname0", Some("10.1.1.1"))];
        assert_eq!(lookup_interface(long, b"averyveryverylonXXXX"), ip("10.1.1.1"), "IFNAMSIZ bytes compared");
    }

    #[test]
    fn ntop_text() {
        let s = |a: &str| address_to_string(a.parse().unwrap());
        assert_eq!(s("192.168.0.1"), "192.168.0.1");
        assert_eq!(s("::1.2.3.4"), "::1.2.3.4");
        assert_eq!(s("::ffff:1.2.3.4"), "::ffff:1.2.3.4");
        assert_eq!(s("::1"), "::1");
        assert_eq!(s("::"), "::");
        assert_eq!(s("2001:db8::1:0:0:1"), "2001:db8::1:0:0:1");
        assert_eq!(s("fe80::"), "fe80::");
    }

    #[test]
    fn local_ip_detection() {
        assert_eq!(AddressKind::from_query_options(6), Some(AddressKind::Any));
        assert_eq!(AddressKind::from_query_options(1), None);
        // Sandboxes may have no route at all; when there is one, it is a real IPv4 address.
        if let Some(ip) = detect_local_ip(AddressKind::Ipv4) {
            assert!(ip.is_ipv4() && !ip.is_unspecified());
        }
    }
}
