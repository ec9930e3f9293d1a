//! Exports of Janus' `ip-utils.c`: the tagged address unions modules keep on their stacks
//! and in their structs, converted to and from `std::net` addresses.

#![allow(clippy::missing_safety_doc)]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use libc::{c_char, c_int, ifaddrs, sockaddr, sockaddr_in, sockaddr_in6, AF_INET, AF_INET6, AF_UNSPEC, EINVAL};

use super::{c_bytes, guard};
use crate::ip_utils::{self, AddressKind, InterfaceAddress};
use crate::sys::glib;

/// `janus_network_address`: `family` then a union of `struct in_addr` / `struct in6_addr`
/// (network byte order), 20 bytes.
#[repr(C)]
pub struct janus_network_address {
    pub family: c_int,
    pub addr: [u8; 16],
}

/// `janus_network_address_string_buffer`: `family` then a union of `char[INET_ADDRSTRLEN]`
/// and `char[INET6_ADDRSTRLEN]`, 52 bytes.
#[repr(C)]
pub struct janus_network_address_string_buffer {
    pub family: c_int,
    pub text: [c_char; 46],
}

const _: () = {
    use std::mem::{align_of, offset_of, size_of};
    assert!(size_of::<janus_network_address>() == 20 && align_of::<janus_network_address>() == 4);
    assert!(offset_of!(janus_network_address, addr) == 4);
    assert!(size_of::<janus_network_address_string_buffer>() == 52);
    assert!(offset_of!(janus_network_address_string_buffer, text) == 4);
};

impl janus_network_address {
    fn get(&self) -> Option<IpAddr> {
        match self.family {
            AF_INET => Some(Ipv4Addr::new(self.addr[0], self.addr[1], self.addr[2], self.addr[3]).into()),
            AF_INET6 => Some(Ipv6Addr::from(self.addr).into()),
            _ => None,
        }
    }

    /// Stores `ip`; as in C, an IPv4 address leaves the rest of the union untouched.
    fn set(&mut self, ip: IpAddr) {
        match ip {
            IpAddr::V4(v4) => {
                self.family = AF_INET;
                self.addr[..4].copy_from_slice(&v4.octets());
            }
            IpAddr::V6(v6) => {
                self.family = AF_INET6;
                self.addr = v6.octets();
            }
        }
    }

    fn nullify(&mut self) {
        self.family = AF_UNSPEC;
        self.addr = [0; 16];
    }
}

/// The IP address of a `struct sockaddr` of family AF_INET/AF_INET6.
///
/// # Safety
/// `s` must be NULL or point to a sockaddr as large as its family says.
unsafe fn ip_of_sockaddr(s: *const sockaddr) -> Option<IpAddr> {
    if s.is_null() {
        return None;
    }
    match c_int::from((*s).sa_family) {
        AF_INET => {
            let sin = &*(s as *const sockaddr_in);
            Some(Ipv4Addr::from(sin.sin_addr.s_addr.to_ne_bytes()).into())
        }
        AF_INET6 => {
            let sin6 = &*(s as *const sockaddr_in6);
            Some(Ipv6Addr::from(sin6.sin6_addr.s6_addr).into())
        }
        _ => None,
    }
}

#[no_mangle]
pub unsafe extern "C" fn janus_network_address_nullify(a: *mut janus_network_address) {
    guard((), || {
        // SAFETY: the caller passes its own struct (or NULL).
        if let Some(a) = unsafe { a.as_mut() } {
            a.nullify();
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn janus_network_address_is_null(a: *const janus_network_address) -> c_int {
    // SAFETY: as above.
    guard(1, || unsafe { a.as_ref() }.is_none_or(|a| a.family == AF_UNSPEC).into())
}

/// Fills `a` from an AF_INET/AF_INET6 socket address: 0, or -EINVAL (`a` untouched).
#[no_mangle]
pub unsafe extern "C" fn janus_network_address_from_sockaddr(s: *mut sockaddr, a: *mut janus_network_address) -> c_int {
    guard(-EINVAL, || {
        // SAFETY: the caller passes a valid sockaddr and its own struct (or NULLs).
        match (unsafe { ip_of_sockaddr(s) }, unsafe { a.as_mut() }) {
            (Some(ip), Some(a)) => {
                a.set(ip);
                0
            }
            _ => -EINVAL,
        }
    })
}

/// Writes `a` as text into `buf` (zeroed first): 0, or -EINVAL for a NULL/unset address.
#[no_mangle]
pub unsafe extern "C" fn janus_network_address_to_string_buffer(
    a: *const janus_network_address,
    buf: *mut janus_network_address_string_buffer,
) -> c_int {
    guard(-EINVAL, || {
        // SAFETY: the caller passes its own structs (or NULLs).
        let (Some(a), Some(buf)) = (unsafe { a.as_ref() }, unsafe { buf.as_mut() }) else {
            return -EINVAL;
        };
        if a.family == AF_UNSPEC {
            return -EINVAL;
        }
        buf.text = [0; 46];
        buf.family = a.family;
        // Janus prints any family other than AF_INET as IPv6.
        let ip = a.get().unwrap_or_else(|| Ipv6Addr::from(a.addr).into());
        let text = ip_utils::address_to_string(ip);
        for (dst, &src) in buf.text.iter_mut().zip(text.as_bytes()) {
            *dst = src as c_char;
        }
        0
    })
}

#[no_mangle]
pub unsafe extern "C" fn janus_network_address_string_buffer_is_null(b: *const janus_network_address_string_buffer) -> c_int {
    // SAFETY: the caller passes its own struct (or NULL).
    guard(1, || unsafe { b.as_ref() }.is_none_or(|b| b.family == AF_UNSPEC).into())
}

/// The text inside `b` (a pointer into the caller's buffer), or NULL if it holds none.
#[no_mangle]
pub unsafe extern "C" fn janus_network_address_string_from_buffer(b: *const janus_network_address_string_buffer) -> *const c_char {
    guard(std::ptr::null(), || {
        // SAFETY: as above.
        match unsafe { b.as_ref() } {
            Some(b) if b.family != AF_UNSPEC => b.text.as_ptr(),
            _ => std::ptr::null(),
        }
    })
}

/// The local address as a GLib string (caller `g_free`s), or NULL; `addr_type` is
/// `janus_network_query_options_ipv4`, `_ipv6` or `_any_ip`.
#[no_mangle]
pub extern "C" fn janus_network_detect_local_ip_as_string(addr_type: c_int) -> *mut c_char {
    guard(std::ptr::null_mut(), || {
        let Some(ip) = AddressKind::from_query_options(addr_type).and_then(ip_utils::detect_local_ip) else {
            return std::ptr::null_mut();
        };
        // SAFETY: a fresh GLib string, handed over to the caller.
        unsafe { glib::g_strdup_str(&ip_utils::address_to_string(ip)) }
    })
}

/// Iterates a `getifaddrs` list as the safe helpers see it.
///
/// # Safety
/// `ifas` must be NULL or a well-formed, NULL-terminated list that outlives the iterator.
unsafe fn interface_entries<'a>(ifas: *const ifaddrs) -> impl Iterator<Item = InterfaceAddress<'a>> {
    let mut cur = ifas;
    std::iter::from_fn(move || {
        let ifa = cur.as_ref()?;
        cur = ifa.ifa_next;
        Some(InterfaceAddress { name: c_bytes(ifa.ifa_name), addr: ip_of_sockaddr(ifa.ifa_addr) })
    })
}

/// The address of this host's interface named `wanted`, or `wanted` itself if it is one of
/// this host's addresses (the core's `general.interface`).
pub fn lookup_local_interface(wanted: &str) -> Option<std::net::IpAddr> {
    // SAFETY: getifaddrs gives a list we walk and free before returning.
    unsafe {
        let mut ifas: *mut ifaddrs = std::ptr::null_mut();
        if libc::getifaddrs(&mut ifas) != 0 {
            return None;
        }
        let found = ip_utils::lookup_interface(interface_entries(ifas), wanted.as_bytes());
        libc::freeifaddrs(ifas);
        found
    }
}

/// Finds in a `getifaddrs` list the address of the interface named `iface`, or the entry
/// whose address is `iface`. `result` is nullified first; 0, or -EINVAL if nothing matches.
#[no_mangle]
pub unsafe extern "C" fn janus_network_lookup_interface(
    ifas: *const ifaddrs,
    iface: *const c_char,
    result: *mut janus_network_address,
) -> c_int {
    guard(-EINVAL, || {
        // SAFETY: modules pass the list getifaddrs gave them, a C string and their own struct.
        let (Some(query), Some(result)) = (unsafe { c_bytes(iface) }, unsafe { result.as_mut() }) else {
            return -EINVAL;
        };
        if ifas.is_null() {
            return -EINVAL;
        }
        result.nullify();
        // SAFETY: a well-formed, NULL-terminated ifaddrs list.
        match ip_utils::lookup_interface(unsafe { interface_entries(ifas) }, query) {
            Some(ip) => {
                result.set(ip);
                0
            }
            None => -EINVAL,
        }
    })
}
