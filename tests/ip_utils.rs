//! The `ip-utils.c` exports on real C structures: socket addresses, the tagged address
//! unions, `getifaddrs` lists, and glibc's `inet_ntop` as the reference for the text.

use std::ffi::{c_char, CStr, CString};
use std::net::{IpAddr, Ipv4Addr};

use janus::abi::ip_utils::*;
use libc::{sockaddr, sockaddr_in, sockaddr_in6, AF_INET, AF_INET6, AF_UNSPEC, EINVAL};

fn from_ip(ip: IpAddr) -> janus_network_address {
    let mut a = janus_network_address { family: 0, addr: [0xee; 16] };
    let rc = match ip {
        IpAddr::V4(v4) => {
            let mut sin: sockaddr_in = unsafe { std::mem::zeroed() };
            sin.sin_family = AF_INET as u16;
            sin.sin_addr.s_addr = u32::from_ne_bytes(v4.octets());
            unsafe { janus_network_address_from_sockaddr(&mut sin as *mut _ as *mut sockaddr, &mut a) }
        }
        IpAddr::V6(v6) => {
            let mut sin6: sockaddr_in6 = unsafe { std::mem::zeroed() };
            sin6.sin6_family = AF_INET6 as u16;
            sin6.sin6_addr.s6_addr = v6.octets();
            unsafe { janus_network_address_from_sockaddr(&mut sin6 as *mut _ as *mut sockaddr, &mut a) }
        }
    };
    assert_eq!(rc, 0);
    a
}

extern "C" {
    #[link_name = "inet_ntop"]
    fn glibc_inet_ntop(af: i32, src: *const std::ffi::c_void, dst: *mut c_char, size: u32) -> *const c_char;
}

fn inet_ntop(ip: IpAddr) -> String {
    let mut buf = [0 as c_char; 64];
    unsafe {
        match ip {
            IpAddr::V4(v4) => glibc_inet_ntop(AF_INET, v4.octets().as_ptr().cast(), buf.as_mut_ptr(), 64),
            IpAddr::V6(v6) => glibc_inet_ntop(AF_INET6, v6.octets().as_ptr().cast(), buf.as_mut_ptr(), 64),
        };
        CStr::from_ptr(buf.as_ptr()).to_str().unwrap().to_owned()
    }
}

fn to_text(a: &janus_network_address) -> Option<String> {
    let mut buf = janus_network_address_string_buffer { family: 0, text: [0x41; 46] };
    if unsafe { janus_network_address_to_string_buffer(a, &mut buf) } != 0 {
        return None;
    }
    assert_eq!(unsafe { janus_network_address_string_buffer_is_null(&buf) }, 0);
    let p = unsafe { janus_network_address_string_from_buffer(&buf) };
    assert_eq!(p, buf.text.as_ptr(), "points into the caller's buffer");
    Some(unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_owned())
}

#[test]
fn addresses_print_like_inet_ntop() {
    for s in [
        "127.0.0.1",
        "0.0.0.0",
        "255.255.255.255",
        "::",
        "::1",
        "::1.2.3.4",
        "::ffff:10.0.0.1",
        "fe80::1",
        "2001:db8:0:0:1:0:0:1",
        "2001:db8::",
        "1:0:0:0:0:0:0:8",
        "0:0:0:0:0:1:0:0",
    ] {
        let ip: IpAddr = s.parse().unwrap();
        let a = from_ip(ip);
        assert_eq!(a.family, if ip.is_ipv4() { AF_INET } else { AF_INET6 });
        assert_eq!(to_text(&a).unwrap(), inet_ntop(ip), "{s}");
    }
}

#[test]
fn null_addresses() {
    let mut a = from_ip(IpAddr::V4(Ipv4Addr::new(10, 1, 2, 3)));
    assert_eq!(&a.addr[..4], &[10, 1, 2, 3], "network byte order");
    assert_eq!(unsafe { janus_network_address_is_null(&a) }, 0);
    unsafe { janus_network_address_nullify(&mut a) };
    assert_eq!(a.family, AF_UNSPEC);
    assert_eq!(a.addr, [0; 16]);
    assert_eq!(unsafe { janus_network_address_is_null(&a) }, 1);
    assert_eq!(unsafe { janus_network_address_is_null(std::ptr::null()) }, 1);
    assert_eq!(to_text(&a), None);
    assert_eq!(unsafe { janus_network_address_string_buffer_is_null(std::ptr::null()) }, 1);
    assert!(unsafe { janus_network_address_string_from_buffer(std::ptr::null()) }.is_null());
    let unset = janus_network_address_string_buffer { family: AF_UNSPEC, text: [0; 46] };
    assert!(unsafe { janus_network_address_string_from_buffer(&unset) }.is_null());
    let mut unix: sockaddr = unsafe { std::mem::zeroed() };
    unix.sa_family = libc::AF_UNIX as u16;
    assert_eq!(unsafe { janus_network_address_from_sockaddr(&mut unix, &mut a) }, -EINVAL);
    assert_eq!(unsafe { janus_network_address_from_sockaddr(std::ptr::null_mut(), &mut a) }, -EINVAL);
}

/// A hand-made `getifaddrs` list: (name, address or None for a non-IP entry).
struct IfList {
    entries: Vec<libc::ifaddrs>,
    _names: Vec<CString>,
    /// Allocated once at full size: the entries point into it.
    _addrs: Vec<libc::sockaddr_storage>,
}

impl IfList {
    fn new(items: &[(&str, Option<IpAddr>)]) -> IfList {
        let mut names = Vec::new();
        let mut addrs: Vec<libc::sockaddr_storage> = vec![unsafe { std::mem::zeroed() }; items.len()];
        let mut entries: Vec<libc::ifaddrs> = Vec::new();
        for (i, (name, ip)) in items.iter().enumerate() {
            let name = CString::new(*name).unwrap();
            let p = &mut addrs[i] as *mut libc::sockaddr_storage;
            unsafe {
                match ip {
                    Some(IpAddr::V4(v4)) => {
                        let sin = p as *mut sockaddr_in;
                        (*sin).sin_family = AF_INET as u16;
                        (*sin).sin_addr.s_addr = u32::from_ne_bytes(v4.octets());
                    }
                    Some(IpAddr::V6(v6)) => {
                        let sin6 = p as *mut sockaddr_in6;
                        (*sin6).sin6_family = AF_INET6 as u16;
                        (*sin6).sin6_addr.s6_addr = v6.octets();
                    }
                    None => (*p).ss_family = libc::AF_PACKET as u16,
                }
            }
            let mut e: libc::ifaddrs = unsafe { std::mem::zeroed() };
            e.ifa_name = name.as_ptr() as *mut c_char;
            e.ifa_addr = p.cast();
            entries.push(e);
            names.push(name);
        }
        let base = entries.as_mut_ptr();
        for i in 0..entries.len().saturating_sub(1) {
            entries[i].ifa_next = unsafe { base.add(i + 1) };
        }
        IfList { entries, _names: names, _addrs: addrs }
    }

    fn lookup(&self, iface: &str) -> (i32, janus_network_address) {
        let mut result = janus_network_address { family: AF_INET, addr: [9; 16] };
        let q = CString::new(iface).unwrap();
        let rc = unsafe { janus_network_lookup_interface(self.entries.as_ptr(), q.as_ptr(), &mut result) };
        (rc, result)
    }
}

#[test]
fn interface_lookup_by_name_or_address() {
    let v6: IpAddr = "2001:db8::7".parse().unwrap();
    let list = IfList::new(&[
        ("eth0", None),
        ("eth0", Some(v6)),
        ("eth0", Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 5)))),
        ("wlan0", Some(IpAddr::V4(Ipv4Addr::new(198, 51, 100, 9)))),
    ]);
    let (rc, a) = list.lookup("eth0");
    assert_eq!(
        (rc, a.family, a.addr),
        (
            0,
            AF_INET6,
            match v6 {
                IpAddr::V6(x) => x.octets(),
                _ => unreachable!(),
            }
        )
    );
    let (rc, a) = list.lookup("198.51.100.9");
    assert_eq!((rc, a.family, &a.addr[..4]), (0, AF_INET, &[198, 51, 100, 9][..]));
    let (rc, a) = list.lookup("2001:db8::7");
    assert_eq!((rc, a.family), (0, AF_INET6));
    let (rc, a) = list.lookup("eth9");
    assert_eq!((rc, a.family, a.addr), (-EINVAL, AF_UNSPEC, [0; 16]), "nullified on failure");
    let mut r = janus_network_address { family: 0, addr: [0; 16] };
    assert_eq!(unsafe { janus_network_lookup_interface(std::ptr::null(), c"lo".as_ptr(), &mut r) }, -EINVAL);
}

#[test]
fn interface_lookup_on_the_real_getifaddrs_list() {
    let mut ifas: *mut libc::ifaddrs = std::ptr::null_mut();
    assert_eq!(unsafe { libc::getifaddrs(&mut ifas) }, 0);
    let mut a = janus_network_address { family: 0, addr: [0; 16] };
    let rc = unsafe { janus_network_lookup_interface(ifas, c"127.0.0.1".as_ptr(), &mut a) };
    let lo_by_name =
        unsafe { janus_network_lookup_interface(ifas, c"lo".as_ptr(), &mut janus_network_address { family: 0, addr: [0; 16] }) };
    unsafe { libc::freeifaddrs(ifas) };
    assert_eq!(rc, 0);
    assert_eq!(to_text(&a).as_deref(), Some("127.0.0.1"));
    assert_eq!(lo_by_name, 0);
}

#[test]
fn local_ip_detection_as_glib_string() {
    extern "C" {
        fn g_free(p: *mut std::ffi::c_void);
    }
    // janus_network_query_options: ipv4 = 2, any_ip = 6; others are refused.
    assert!(janus_network_detect_local_ip_as_string(7).is_null());
    assert!(janus_network_detect_local_ip_as_string(0).is_null());
    for options in [2, 6] {
        let p = janus_network_detect_local_ip_as_string(options);
        if p.is_null() {
            continue; // no route at all in this sandbox
        }
        let s = unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_owned();
        unsafe { g_free(p.cast()) };
        let ip: IpAddr = s.parse().unwrap();
        assert!(!ip.is_unspecified());
        if options == 2 {
            assert!(ip.is_ipv4());
        }
    }
}
