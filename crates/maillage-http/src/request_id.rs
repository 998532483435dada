//! A request id for every request (API, inbox, pages, ActivityPub GETs):
//! the `X-Request-Id` a trusted reverse proxy sent, or one of ours, put on
//! the span the whole request is served in (so every line logged while
//! serving it carries it, in text and JSON) and returned in `X-Request-Id`.
//! tower-http sets and returns the header; this module says which incoming
//! ids to believe, makes ours, and opens the span.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use tower_http::request_id::{MakeRequestId, RequestId};

use crate::AppState;

pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Longest incoming id kept (a UUID is 36 characters).
const MAX_LEN: usize = 64;

/// Middleware, outside tower-http's `SetRequestId`: an incoming
/// `X-Request-Id` is kept only from a peer in `limits.trusted_proxies` and
/// when it is one short token; otherwise it is dropped and ours is made
/// (anyone else could write lines of their choice into our logs).
pub async fn believe_trusted_proxies(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let from_proxy = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .is_some_and(|ConnectInfo(peer)| state.limits.trusted_proxies().contains(peer.ip()));
    let mut sent = request.headers().get_all(&X_REQUEST_ID).iter();
    let believed = from_proxy && sent.next().is_some_and(is_sane) && sent.next().is_none();
    if !believed {
        request.headers_mut().remove(&X_REQUEST_ID);
    }
    next.run(request).await
}

fn is_sane(value: &HeaderValue) -> bool {
    let bytes = value.as_bytes();
    (1..=MAX_LEN).contains(&bytes.len())
        && bytes.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// Our ids: 16 hex digits from the system's random source.
#[derive(Debug, Clone, Copy, Default)]
pub struct RandomRequestId;

impl MakeRequestId for RandomRequestId {
    fn make_request_id<B>(&mut self, _request: &axum::http::Request<B>) -> Option<RequestId> {
        let mut bytes = [0u8; 8];
        getrandom::getrandom(&mut bytes).ok()?;
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        HeaderValue::from_str(&hex).ok().map(RequestId::new)
    }
}

/// The span a request is served in, named `request` with its `request_id`.
/// At the ERROR level so that every log filter keeps it: a span a filter
/// turns off gives its fields to no line (a span's level only filters; it
/// is printed nowhere).
pub fn span<B>(request: &axum::http::Request<B>) -> tracing::Span {
    let id = request.headers().get(&X_REQUEST_ID).and_then(|id| id.to_str().ok()).unwrap_or_default();
    tracing::error_span!("request", request_id = %id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_short_random_hex() {
        let request = axum::http::Request::new(());
        let ids: Vec<String> = (0..2)
            .map(|_| RandomRequestId.make_request_id(&request).unwrap().header_value().to_str().unwrap().to_string())
            .collect();
        assert!(ids.iter().all(|id| id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit())), "{ids:?}");
        assert_ne!(ids[0], ids[1]);
    }

    #[test]
    fn only_short_tokens_are_believed() {
        for sane in ["abc123", "0b1c2d3e-4f56-7890-abcd-ef0123456789", "req_1.2:3"] {
            assert!(is_sane(&HeaderValue::from_static(sane)), "{sane}");
        }
        let long = "a".repeat(MAX_LEN + 1);
        for insane in ["", "two words", "a\"b", "line=\"forged\"", long.as_str()] {
            assert!(!is_sane(&HeaderValue::from_str(insane).unwrap()), "{insane}");
        }
    }
}
