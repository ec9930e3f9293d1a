//! Which local addresses an agent gathers candidates on: the interface walk of
//! `janus_ice_setup_local` with `ice_enforce_list`, `ice_ignore_list`, IPv6 and link-local
//! settings, plus this project's one exception: loopback, when the enforce list names it.

use std::net::IpAddr;

use crate::ip_utils::address_to_string;

/// One address of one network interface (an entry of `getifaddrs`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interface {
    pub name: String,
    pub address: IpAddr,
    /// The IPv6 scope (non-zero for link-local addresses).
    pub scope_id: u32,
    pub up: bool,
    pub running: bool,
    pub loopback: bool,
}

impl Interface {
    /// The address as `getnameinfo(NI_NUMERICHOST)` prints it: scoped IPv6 addresses carry
    /// `%interface`.
    pub fn host(&self) -> String {
        let text = address_to_string(self.address);
        if self.address.is_ipv6() && self.scope_id != 0 {
            format!("{text}%{}", self.name)
        } else {
            text
        }
    }
}

/// The gathering filters of the `nat` settings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InterfaceFilter {
    /// `ice_enforce_list`: interface names or address prefixes; when not empty, only these
    /// are used and the ignore list only applies to addresses.
    pub enforce: Vec<String>,
    /// `ice_ignore_list`: interface names or address prefixes never used.
    pub ignore: Vec<String>,
    /// `ipv6`, and `ipv6_linklocal` (only meaningful with `ipv6`).
    pub ipv6: bool,
    pub ipv6_linklocal: bool,
}

/// Splits a comma-separated `ice_enforce_list`/`ice_ignore_list` value as Janus does
/// (no trimming, empty entries dropped).
pub fn parse_interface_list(value: &str) -> Vec<String> {
    value.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

/// `janus_ice_is_enforced`/`janus_ice_is_ignored`: an entry matches a name or address that
/// starts with it.
fn listed(list: &[String], value: &str) -> bool {
    list.iter().any(|entry| value.starts_with(entry.as_str()))
}

impl InterfaceFilter {
    pub fn is_enforced(&self, value: &str) -> bool {
        listed(&self.enforce, value)
    }

    pub fn is_ignored(&self, value: &str) -> bool {
        listed(&self.ignore, value)
    }

    /// Whether candidates are gathered on `iface`; the address to hand libnice is
    /// [`Interface::host`].
    pub fn accepts(&self, iface: &Interface) -> bool {
        if !(iface.up && iface.running) {
            return false;
        }
        let host = iface.host();
        if iface.loopback {
            // Janus never gathers on loopback; we do when the enforce list names it, so
            // that whole sessions can run on 127.0.0.1.
            if !(self.is_enforced(&iface.name) || self.is_enforced(&host)) {
                return false;
            }
        }
        if iface.address.is_ipv6() && !self.ipv6 {
            return false;
        }
        if self.enforce.is_empty() && self.is_ignored(&iface.name) {
            return false;
        }
        if iface.address.is_unspecified() || (!(self.ipv6 && self.ipv6_linklocal) && host.starts_with("fe80:")) {
            return false;
        }
        if !self.enforce.is_empty() && !self.is_enforced(&iface.name) && !self.is_enforced(&host) {
            return false;
        }
        !self.is_ignored(&host)
    }

    /// The addresses, in interface order, to gather candidates on.
    pub fn select<'a>(&'a self, interfaces: &'a [Interface]) -> impl Iterator<Item = String> + 'a {
        interfaces.iter().filter(|i| self.accepts(i)).map(Interface::host)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iface(name: &str, addr: &str) -> Interface {
        let address: IpAddr = addr.parse().unwrap();
        Interface {
            name: name.into(),
            address,
            scope_id: if addr.starts_with("fe80") { 2 } else { 0 },
            up: true,
            running: true,
            loopback: name == "lo",
        }
    }

    fn all() -> Vec<Interface> {
        vec![
            iface("lo", "127.0.0.1"),
            iface("lo", "::1"),
            iface("eth0", "192.168.0.10"),
            iface("eth0", "2001:db8::10"),
            iface("eth0", "fe80::1"),
            iface("vmnet8", "172.16.5.1"),
            iface("docker0", "10.0.0.1"),
        ]
    }

    fn select(f: &InterfaceFilter) -> Vec<String> {
        let list = all();
        f.select(&list).collect()
    }

    #[test]
    fn defaults_skip_loopback_and_ipv6() {
        let f = InterfaceFilter::default();
        assert_eq!(select(&f), ["192.168.0.10", "172.16.5.1", "10.0.0.1"]);
    }

    #[test]
    fn down_or_unspecified_interfaces_are_skipped() {
        let f = InterfaceFilter::default();
        let mut down = iface("eth1", "192.168.9.9");
        down.running = false;
        assert!(!f.accepts(&down));
        assert!(!f.accepts(&iface("eth1", "0.0.0.0")));
    }

    #[test]
    fn ignore_list_by_name_and_prefix() {
        let f = InterfaceFilter { ignore: parse_interface_list("vmnet,10.0."), ..Default::default() };
        assert_eq!(select(&f), ["192.168.0.10"]);
    }

    #[test]
    fn enforce_list_wins_over_names_in_the_ignore_list() {
        let f = InterfaceFilter {
            enforce: parse_interface_list("eth0,10.0.0.1"),
            ignore: parse_interface_list("docker0"),
            ..Default::default()
        };
        // With an enforce list, ignored names no longer apply, ignored addresses still do.
        assert_eq!(select(&f), ["192.168.0.10", "10.0.0.1"]);
        let f = InterfaceFilter { ignore: parse_interface_list("192.168."), ..f };
        assert_eq!(select(&f), ["10.0.0.1"]);
    }

    #[test]
    fn ipv6_and_link_local() {
        let f = InterfaceFilter { ipv6: true, ..Default::default() };
        assert_eq!(select(&f), ["192.168.0.10", "2001:db8::10", "172.16.5.1", "10.0.0.1"]);
        let f = InterfaceFilter { ipv6: true, ipv6_linklocal: true, ..Default::default() };
        assert!(select(&f).contains(&"fe80::1%eth0".to_string()));
        // Link-local alone does nothing without IPv6.
        let f = InterfaceFilter { ipv6_linklocal: true, ..Default::default() };
        assert!(!select(&f).iter().any(|h| h.contains(':')));
    }

    #[test]
    fn loopback_only_when_enforced() {
        let f = InterfaceFilter { enforce: parse_interface_list("lo"), ..Default::default() };
        assert_eq!(select(&f), ["127.0.0.1"]);
        let f = InterfaceFilter { enforce: parse_interface_list("127.0.0.1"), ..Default::default() };
        assert_eq!(select(&f), ["127.0.0.1"]);
        let f = InterfaceFilter { enforce: parse_interface_list("lo"), ipv6: true, ..Default::default() };
        assert_eq!(select(&f), ["127.0.0.1", "::1"]);
        // Naming another interface does not bring loopback in.
        let f = InterfaceFilter { enforce: parse_interface_list("eth0"), ..Default::default() };
        assert_eq!(select(&f), ["192.168.0.10"]);
    }

    #[test]
    fn list_parsing_keeps_spaces_and_drops_empties() {
        assert_eq!(parse_interface_list("eth0,,192.168., lo"), ["eth0", "192.168.", " lo"]);
        assert!(parse_interface_list("").is_empty());
    }
}
