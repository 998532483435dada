//! The rule every URL another server gives us passes before we connect to
//! it: inboxes and shared inboxes, actor and object ids, WebFinger targets,
//! and the one redirect the library follows when it fetches. It keeps other
//! servers from making us call the machines beside us (SSRF).
//!
//! Two halves. [`check`] reads the URL: http or https (https only on a
//! public instance), and a server given by a public-looking domain name,
//! never by an IP address in any spelling. [`GlobalAddressResolver`] is the
//! outgoing client's DNS resolver: every address a name resolves to must be
//! a public one ([`is_global`]), checked at the moment of connecting, so a
//! name whose answer changes after a check (DNS rebinding) is caught too.
//!
//! An instance whose own domain is `localhost` ([`Addresses::Any`]) is not
//! bound by either half: its peers run beside it on loopback (tests, trials).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use ipnet::{Ipv4Net, Ipv6Net};
use maillage_config::Config;
use url::{Host, Url};

use crate::remote_body::excerpt;

/// Which addresses the instance may connect to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Addresses {
    /// Public servers only, over https: every instance but a `localhost` one.
    GlobalOnly,
    /// Anything over http or https: an instance on `localhost`.
    Any,
}

impl Addresses {
    pub fn for_config(config: &Config) -> Self {
        if config.is_local_domain() { Addresses::Any } else { Addresses::GlobalOnly }
    }
}

/// Why a URL is not connected to. Each names the URL (shortened).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlRefusal {
    #[error("{0}: only http and https URLs are used")]
    Scheme(String),
    #[error("{0}: this instance connects to other servers over https only")]
    NotHttps(String),
    #[error("{0}: the URL names no server")]
    NoHost(String),
    #[error("{0}: the server is given by an IP address; other servers are reached by their domain name only")]
    IpAddress(String),
    #[error("{0}: not the name of a public server")]
    LocalName(String),
}

/// Checks a URL given by another server before we connect to it.
pub fn check(url: &Url, addresses: Addresses) -> Result<(), UrlRefusal> {
    let shown = || excerpt(url.as_str());
    match (url.scheme(), addresses) {
        ("https", _) | ("http", Addresses::Any) => {}
        ("http", Addresses::GlobalOnly) => return Err(UrlRefusal::NotHttps(shown())),
        _ => return Err(UrlRefusal::Scheme(shown())),
    }
    // The url crate has already read every spelling of an IPv4 address
    // (`127.1`, `0x7f.1`, `2130706433`, `0177.0.0.1`, percent-encoded or
    // full-width digits) into `Host::Ipv4`, and brackets into `Host::Ipv6`.
    let name = match url.host() {
        None => return Err(UrlRefusal::NoHost(shown())),
        Some(_) if addresses == Addresses::Any => return Ok(()),
        Some(Host::Ipv4(_) | Host::Ipv6(_)) => return Err(UrlRefusal::IpAddress(shown())),
        Some(Host::Domain(name)) => name.trim_end_matches('.').to_ascii_lowercase(),
    };
    if name.parse::<IpAddr>().is_ok() {
        return Err(UrlRefusal::IpAddress(shown()));
    }
    // A name without a dot is completed by the resolver's search domains
    // (an intranet name); `localhost` is ourselves (RFC 6761).
    if !name.contains('.') || name == "localhost" || name.ends_with(".localhost") {
        return Err(UrlRefusal::LocalName(shown()));
    }
    Ok(())
}

/// A name resolved to an address that is not on the public Internet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{host} resolves to {address}, which is not a public address: refused")]
pub struct AddressRefused {
    pub host: String,
    pub address: IpAddr,
}

/// The [`AddressRefused`] behind an error of the HTTP client, if that is
/// why a request failed.
pub fn address_refusal<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a AddressRefused> {
    let mut cause = Some(error);
    while let Some(current) = cause {
        if let Some(refused) = current.downcast_ref::<AddressRefused>() {
            return Some(refused);
        }
        cause = current.source();
    }
    None
}

/// The outgoing client's DNS resolver: the system's, then [`is_global`]
/// for every address found (unless [`Addresses::Any`]). A name with any
/// non-public address is refused whole.
#[derive(Debug, Clone, Copy)]
pub struct GlobalAddressResolver(pub Addresses);

impl reqwest::dns::Resolve for GlobalAddressResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let addresses = self.0;
        let host = name.as_str().to_string();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if addresses == Addresses::GlobalOnly
                && let Some(address) = found.iter().map(SocketAddr::ip).find(|ip| !is_global(*ip))
            {
                return Err(Box::new(AddressRefused { host, address }) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(found.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

const fn v4(a: u8, b: u8, c: u8, d: u8, prefix: u8) -> Ipv4Net {
    Ipv4Net::new_assert(Ipv4Addr::new(a, b, c, d), prefix)
}

const fn v6(segments: [u16; 8], prefix: u8) -> Ipv6Net {
    let [a, b, c, d, e, f, g, h] = segments;
    Ipv6Net::new_assert(Ipv6Addr::new(a, b, c, d, e, f, g, h), prefix)
}

/// IPv4 blocks that are not the public Internet (IANA's special-purpose
/// address registry).
const NOT_GLOBAL_V4: [Ipv4Net; 15] = [
    v4(0, 0, 0, 0, 8),       // "this network": 0.0.0.0 reaches the host itself
    v4(10, 0, 0, 0, 8),      // private
    v4(100, 64, 0, 0, 10),   // shared address space (carrier-grade NAT)
    v4(127, 0, 0, 0, 8),     // loopback
    v4(169, 254, 0, 0, 16),  // link-local (cloud metadata services)
    v4(172, 16, 0, 0, 12),   // private
    v4(192, 0, 0, 0, 24),    // IETF protocol assignments
    v4(192, 0, 2, 0, 24),    // documentation
    v4(192, 88, 99, 0, 24),  // 6to4 relay anycast (deprecated)
    v4(192, 168, 0, 0, 16),  // private
    v4(198, 18, 0, 0, 15),   // benchmarking
    v4(198, 51, 100, 0, 24), // documentation
    v4(203, 0, 113, 0, 24),  // documentation
    v4(224, 0, 0, 0, 4),     // multicast
    v4(240, 0, 0, 0, 4),     // reserved, and the broadcast address
];

/// Global unicast IPv6: loopback, unspecified, IPv4-compatible, discard,
/// unique local (fc00::/7), link-local, site-local and multicast are all
/// outside it.
const GLOBAL_UNICAST_V6: Ipv6Net = v6([0x2000, 0, 0, 0, 0, 0, 0, 0], 3);

/// Blocks inside global unicast that are not the public Internet.
const NOT_GLOBAL_V6: [Ipv6Net; 4] = [
    v6([0x2001, 0, 0, 0, 0, 0, 0, 0], 23), // IETF protocol assignments (Teredo, benchmarking, ORCHID)
    v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32), // documentation
    v6([0x2002, 0, 0, 0, 0, 0, 0, 0], 16), // 6to4 (deprecated): wraps any IPv4 address
    v6([0x3fff, 0, 0, 0, 0, 0, 0, 0], 20), // documentation
];

/// The well-known NAT64 prefix: the last 32 bits are an IPv4 address,
/// judged as such (IPv6-only servers reach IPv4 peers through it).
const NAT64: Ipv6Net = v6([0x64, 0xff9b, 0, 0, 0, 0, 0, 0], 96);

/// Whether an address is on the public Internet. IPv4-mapped and NAT64
/// addresses are judged by the IPv4 address they carry.
pub fn is_global(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(v4) => is_global_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_global_v4(v4);
            }
            if NAT64.contains(&v6) {
                let [.., a, b, c, d] = v6.octets();
                return is_global_v4(Ipv4Addr::new(a, b, c, d));
            }
            GLOBAL_UNICAST_V6.contains(&v6) && !NOT_GLOBAL_V6.iter().any(|block| block.contains(&v6))
        }
    }
}

fn is_global_v4(address: Ipv4Addr) -> bool {
    !NOT_GLOBAL_V4.iter().any(|block| block.contains(&address))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_classified() {
        // (address, public)
        let table = [
            ("1.1.1.1", true),
            ("8.8.8.8", true),
            ("100.63.255.255", true),
            ("100.128.0.1", true),
            ("172.32.0.1", true),
            ("192.0.3.1", true),
            ("198.20.0.1", true),
            ("223.255.255.254", true),
            ("0.0.0.0", false),
            ("0.1.2.3", false),
            ("10.0.0.1", false),
            ("100.64.0.1", false),
            ("100.127.255.254", false),
            ("127.0.0.1", false),
            ("127.255.255.254", false),
            ("169.254.169.254", false),
            ("172.16.0.1", false),
            ("172.31.255.255", false),
            ("192.0.0.9", false),
            ("192.0.2.1", false),
            ("192.88.99.1", false),
            ("192.168.1.1", false),
            ("198.18.0.1", false),
            ("198.19.255.255", false),
            ("198.51.100.7", false),
            ("203.0.113.7", false),
            ("224.0.0.1", false),
            ("239.255.255.250", false),
            ("240.0.0.1", false),
            ("255.255.255.255", false),
            ("2606:4700::1111", true),
            ("2a00:1450:4007::200e", true),
            ("64:ff9b::808:808", true),
            ("::ffff:8.8.8.8", true),
            ("::", false),
            ("::1", false),
            ("::7f00:1", false),
            ("::ffff:127.0.0.1", false),
            ("::ffff:10.0.0.1", false),
            ("::ffff:169.254.169.254", false),
            ("64:ff9b::7f00:1", false),
            ("64:ff9b::a00:1", false),
            ("64:ff9b:1::1", false),
            ("100::1", false),
            ("2001::1", false),
            ("2001:2::1", false),
            ("2001:db8::1", false),
            ("2002:7f00:1::1", false),
            ("2002:808:808::1", false),
            ("3fff::1", false),
            ("5f00::1", false),
            ("fc00::1", false),
            ("fd12:3456::1", false),
            ("fe80::1", false),
            ("fec0::1", false),
            ("ff02::1", false),
        ];
        for (address, public) in table {
            let ip: IpAddr = address.parse().unwrap();
            assert_eq!(is_global(ip), public, "{address}");
        }
    }

    #[test]
    fn urls_are_checked_before_connecting() {
        use UrlRefusal as R;
        let kind = |refusal: &UrlRefusal| std::mem::discriminant(refusal);
        // (URL, refusal on a public instance)
        let table: [(&str, Option<UrlRefusal>); 27] = [
            ("https://mastodon.example/inbox", None),
            ("https://Social.Example./users/a", None),
            ("https://xn--caf-dma.example/inbox", None),
            ("https://café.example/inbox", None),
            ("http://mastodon.example/inbox", Some(R::NotHttps(String::new()))),
            ("ftp://mastodon.example/inbox", Some(R::Scheme(String::new()))),
            ("file:///etc/passwd", Some(R::Scheme(String::new()))),
            ("gopher://mastodon.example:70/", Some(R::Scheme(String::new()))),
            ("https://127.0.0.1/inbox", Some(R::IpAddress(String::new()))),
            ("https://127.1/inbox", Some(R::IpAddress(String::new()))),
            ("https://0x7f.1/inbox", Some(R::IpAddress(String::new()))),
            ("https://2130706433/inbox", Some(R::IpAddress(String::new()))),
            ("https://0177.0.0.1/inbox", Some(R::IpAddress(String::new()))),
            ("https://127.0.0.1./inbox", Some(R::IpAddress(String::new()))),
            ("https://%31%32%37.0.0.1/inbox", Some(R::IpAddress(String::new()))),
            ("https://１２７.０.０.１/inbox", Some(R::IpAddress(String::new()))),
            ("https://0/inbox", Some(R::IpAddress(String::new()))),
            ("https://8.8.8.8/inbox", Some(R::IpAddress(String::new()))),
            ("https://[::1]/inbox", Some(R::IpAddress(String::new()))),
            ("https://[::ffff:127.0.0.1]/inbox", Some(R::IpAddress(String::new()))),
            ("https://[::ffff:7f00:1]:8443/inbox", Some(R::IpAddress(String::new()))),
            ("https://[2606:4700::1111]/inbox", Some(R::IpAddress(String::new()))),
            ("https://localhost/inbox", Some(R::LocalName(String::new()))),
            ("https://localhost.:2375/inbox", Some(R::LocalName(String::new()))),
            ("https://LOCALHOST/inbox", Some(R::LocalName(String::new()))),
            ("https://docker.localhost/inbox", Some(R::LocalName(String::new()))),
            ("https://metadata/computeMetadata", Some(R::LocalName(String::new()))),
        ];
        for (text, expected) in table {
            let url = Url::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            let outcome = check(&url, Addresses::GlobalOnly);
            match (&outcome, &expected) {
                (Ok(()), None) => {}
                (Err(got), Some(want)) => assert_eq!(kind(got), kind(want), "{text}: {got}"),
                _ => panic!("{text}: {outcome:?}, expected {expected:?}"),
            }
            // A localhost instance reaches any http(s) server.
            let relaxed = check(&url, Addresses::Any);
            assert_eq!(relaxed.is_ok(), matches!(url.scheme(), "http" | "https"), "{text}: {relaxed:?}");
        }
    }

    #[test]
    fn a_refusal_names_the_url_shortened_and_escaped() {
        let url = Url::parse(&format!("https://127.0.0.1/{}", "a".repeat(5000))).unwrap();
        let message = check(&url, Addresses::GlobalOnly).unwrap_err().to_string();
        assert!(message.starts_with("https://127.0.0.1/aaa"), "{message}");
        assert!(message.len() < 400, "{message}");
    }

    #[tokio::test]
    async fn the_resolver_refuses_names_of_private_addresses() {
        use reqwest::dns::Resolve;
        for name in ["localhost", "127.0.0.1", "::1"] {
            let refused = GlobalAddressResolver(Addresses::GlobalOnly).resolve(name.parse().unwrap()).await;
            let error = refused.err().unwrap_or_else(|| panic!("{name} resolved"));
            let refusal = address_refusal(error.as_ref()).unwrap_or_else(|| panic!("{name}: {error}"));
            assert!(!is_global(refusal.address), "{refusal}");
            let allowed = GlobalAddressResolver(Addresses::Any).resolve(name.parse().unwrap()).await;
            assert!(allowed.is_ok(), "a localhost instance resolves {name}");
        }
    }
}
