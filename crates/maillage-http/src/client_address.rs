//! Who is on the other end of a request: the client address that rate
//! limits and failed logins are counted under.
//!
//! The address is the socket's peer, unless that peer is one of
//! `limits.trusted_proxies`. Then `X-Forwarded-For` is read from the right
//! (each proxy appends the address it received the request from), skipping
//! trusted proxies: the first address that is not one is the client, and
//! whatever lies to its left was written by the client and is ignored. An
//! entry on that walk that is not a bare IP address means the proxies
//! cannot be followed: the peer is used.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use maillage_config::TrustedProxies;

use crate::{AppState, HttpError};

/// The client's address, set on every request by [`identify_client`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub IpAddr);

impl ClientAddress {
    /// The address [`identify_client`] recorded in a request's extensions.
    pub fn of(extensions: &Extensions) -> Option<IpAddr> {
        extensions.get::<ClientAddress>().map(|ClientAddress(address)| *address)
    }
}

/// Without a socket (a router called directly, as in unit tests), the
/// request comes from the unspecified address.
const NO_PEER: IpAddr = IpAddr::V4(Ipv4Addr::UNSPECIFIED);

/// The client's address, from the socket's peer and the request's
/// `X-Forwarded-For` header fields (in the order received).
pub fn client_address<'a>(
    peer: IpAddr,
    forwarded_for: impl DoubleEndedIterator<Item = &'a HeaderValue>,
    trusted: &TrustedProxies,
) -> IpAddr {
    let peer = peer.to_canonical();
    if !trusted.contains(peer) {
        return peer;
    }
    let mut client = peer;
    for field in forwarded_for.rev() {
        let Ok(field) = field.to_str() else { return peer };
        for entry in field.rsplit(',') {
            let Ok(address) = entry.trim().parse::<IpAddr>() else { return peer };
            client = address.to_canonical();
            if !trusted.contains(client) {
                return client;
            }
        }
    }
    client
}

/// Middleware around every route: records the [`ClientAddress`].
pub async fn identify_client(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map_or(NO_PEER, |ConnectInfo(addr)| addr.ip());
    let address =
        client_address(peer, request.headers().get_all("x-forwarded-for").iter(), state.limits.trusted_proxies());
    request.extensions_mut().insert(ClientAddress(address));
    next.run(request).await
}

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        ClientAddress::of(&parts.extensions)
            .map(ClientAddress)
            .ok_or_else(|| HttpError::Internal("the router was built without identify_client".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn client(peer: &str, fields: &[&str], trusted: &[&str]) -> IpAddr {
        let fields: Vec<HeaderValue> = fields.iter().map(|f| HeaderValue::from_str(f).unwrap()).collect();
        client_address(ip(peer), fields.iter(), &TrustedProxies::parse(trusted.iter().copied()).unwrap())
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        assert_eq!(client("198.51.100.7", &["203.0.113.9"], &[]), ip("198.51.100.7"));
        assert_eq!(client("198.51.100.7", &["203.0.113.9"], &["127.0.0.1"]), ip("198.51.100.7"));
        assert_eq!(client("2001:db8::7", &["203.0.113.9"], &["10.0.0.0/8", "fd00::/8"]), ip("2001:db8::7"));
        // A peer next to a trusted range, but outside it.
        assert_eq!(client("10.0.1.0", &["203.0.113.9"], &["10.0.0.0/24"]), ip("10.0.1.0"));
    }

    #[test]
    fn behind_trusted_proxies_the_right_most_untrusted_entry_is_the_client() {
        let loopback = ["127.0.0.1", "::1"];
        assert_eq!(client("127.0.0.1", &["203.0.113.9"], &loopback), ip("203.0.113.9"));
        assert_eq!(client("127.0.0.1", &[], &loopback), ip("127.0.0.1"), "no header: the proxy itself");
        // What the client wrote itself stays on the left.
        assert_eq!(client("127.0.0.1", &["6.6.6.6, 203.0.113.9"], &loopback), ip("203.0.113.9"));
        assert_eq!(client("127.0.0.1", &["not an address, 203.0.113.9"], &loopback), ip("203.0.113.9"));
        // Two proxies in a chain, over two header fields.
        let chain = ["10.0.0.0/8"];
        assert_eq!(client("10.0.0.2", &["6.6.6.6", "203.0.113.9 , 10.0.0.7"], &chain), ip("203.0.113.9"));
        // Only proxies: the left-most one is where the request started.
        assert_eq!(client("10.0.0.2", &["10.0.0.9, 10.0.0.7"], &chain), ip("10.0.0.9"));
        // IPv6, and an IPv4-mapped peer as a dual-stack socket reports it.
        let v6 = ["::1", "fd00::/8"];
        assert_eq!(client("::1", &["2001:db8::1, fd00::5"], &v6), ip("2001:db8::1"));
        assert_eq!(client("::ffff:127.0.0.1", &["2001:db8::1"], &loopback), ip("2001:db8::1"));
        assert_eq!(client("::1", &["::ffff:203.0.113.9"], &loopback), ip("203.0.113.9"));
    }

    #[test]
    fn a_broken_chain_falls_back_to_the_peer() {
        let loopback = ["127.0.0.0/8"];
        for field in ["", "203.0.113.9, garbage", "203.0.113.9:4711", "203.0.113.9,", "[2001:db8::1]", "unknown"] {
            assert_eq!(client("127.0.0.1", &[field], &loopback), ip("127.0.0.1"), "{field:?}");
        }
        let not_text = HeaderValue::from_bytes(b"203.0.113.9, \xff").unwrap();
        let trusted = TrustedProxies::parse(loopback).unwrap();
        assert_eq!(client_address(ip("127.0.0.1"), [&not_text].into_iter(), &trusted), ip("127.0.0.1"));
    }
}
