//! `limits.trusted_proxies`: the reverse proxies whose `X-Forwarded-For` is
//! believed, as addresses and CIDR ranges.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

/// The ranges the deprecated `limits.trust_forwarded_for = true` stands for:
/// a proxy on the same machine.
pub const LOOPBACK: [IpNet; 2] = [
    IpNet::new_assert(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 0)), 8),
    IpNet::new_assert(IpAddr::V6(Ipv6Addr::LOCALHOST), 128),
];

/// A set of trusted proxy networks. Empty: no proxy is trusted, and every
/// client is the socket's peer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Parses entries like `10.0.0.1`, `10.0.0.0/8`, `::1`, `fd00::/8`.
    /// The error is the first entry that is neither an address nor a range.
    pub fn parse<'a>(entries: impl IntoIterator<Item = &'a str>) -> Result<Self, String> {
        entries
            .into_iter()
            .map(|entry| {
                let entry = entry.trim();
                entry
                    .parse::<IpNet>()
                    .map(|net| net.trunc())
                    .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| entry.to_string())
            })
            .collect::<Result<Vec<_>, _>>()
            .map(TrustedProxies)
    }

    pub fn with(mut self, networks: &[IpNet]) -> Self {
        for net in networks {
            if !self.0.contains(net) {
                self.0.push(*net);
            }
        }
        self
    }

    /// Whether `address` (IPv4-mapped IPv6 counts as IPv4) is a trusted proxy.
    pub fn contains(&self, address: IpAddr) -> bool {
        let address = address.to_canonical();
        self.0.iter().any(|net| net.contains(&address))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn addresses_and_ranges_of_both_families() {
        let proxies = TrustedProxies::parse(["10.1.2.3", " 192.168.0.0/16", "fd00::/8", "2001:db8::7"]).unwrap();
        assert!(proxies.contains(ip("10.1.2.3")));
        assert!(!proxies.contains(ip("10.1.2.4")), "an address is a /32");
        assert!(proxies.contains(ip("192.168.44.1")));
        assert!(!proxies.contains(ip("192.169.0.1")));
        assert!(proxies.contains(ip("fd12:3456::1")));
        assert!(proxies.contains(ip("2001:db8::7")));
        assert!(!proxies.contains(ip("2001:db8::8")));
        assert!(proxies.contains(ip("::ffff:192.168.1.1")), "IPv4-mapped IPv6 is the IPv4 address");
        assert!(!TrustedProxies::default().contains(ip("127.0.0.1")));
    }

    #[test]
    fn host_bits_are_ignored_and_junk_is_named() {
        let proxies = TrustedProxies::parse(["10.9.9.9/8"]).unwrap();
        assert!(proxies.contains(ip("10.0.0.1")));
        assert_eq!(TrustedProxies::parse(["10.0.0.0/8", "10.0.0.0/33"]), Err("10.0.0.0/33".to_string()));
        assert_eq!(TrustedProxies::parse(["proxy.internal"]), Err("proxy.internal".to_string()));
        assert_eq!(TrustedProxies::parse([""]), Err(String::new()));
    }

    #[test]
    fn loopback_is_both_families() {
        let proxies = TrustedProxies::default().with(&LOOPBACK);
        assert!(proxies.contains(ip("127.0.0.1")) && proxies.contains(ip("127.255.0.9")));
        assert!(proxies.contains(ip("::1")));
        assert!(!proxies.contains(ip("::2")) && !proxies.contains(ip("128.0.0.1")));
    }
}
