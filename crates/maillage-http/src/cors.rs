//! Cross-origin reads, as Mastodon allows them: a web app served from any
//! origin (Elk, Phanpy...) may call the client API, get a token and read
//! the discovery documents.
//!
//! Any origin, never credentials: a page reaches the API only with a bearer
//! token it holds, never with the cookies of our own web pages. Which paths
//! are open is decided by [`opening`], one place: the OAuth form
//! (`/oauth/authorize`, a page with a session), web pages and the
//! ActivityPub endpoints get no CORS header at all.

use std::sync::LazyLock;
use std::time::Duration;

use axum::extract::Request;
use axum::http::{HeaderName, Method, header};
use axum::middleware::Next;
use axum::response::Response;
use tower::{Layer, ServiceExt};
use tower_http::cors::{AllowHeaders, AllowMethods, AllowOrigin, CorsLayer, ExposeHeaders};

/// What cross-origin callers may do on a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opening {
    /// `/api/*`: every method the API uses.
    Api,
    /// `/oauth/token` and `/oauth/revoke`: POST only.
    OAuthEndpoint,
    /// `/.well-known/*` and `/nodeinfo/*`: reads.
    Discovery,
}

/// How a path is open to other origins, if it is.
pub fn opening(path: &str) -> Option<Opening> {
    let under = |prefix: &str| path.strip_prefix(prefix).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'));
    if under("/api") {
        Some(Opening::Api)
    } else if path == "/oauth/token" || path == "/oauth/revoke" {
        Some(Opening::OAuthEndpoint)
    } else if under("/.well-known") || under("/nodeinfo") || crate::open_data::is_open_data(path) {
        Some(Opening::Discovery)
    } else {
        None
    }
}

/// Headers a page may read on an answer: pagination and the rate limits.
const EXPOSED: [HeaderName; 4] = [
    header::LINK,
    HeaderName::from_static("x-ratelimit-limit"),
    HeaderName::from_static("x-ratelimit-remaining"),
    HeaderName::from_static("x-ratelimit-reset"),
];

fn layer(methods: &[Method]) -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::any())
        .allow_methods(AllowMethods::list(methods.iter().cloned()))
        // Whatever the page asks for (Authorization, Content-Type,
        // Idempotency-Key...), as Mastodon's `headers: :any`: a wildcard
        // would not cover Authorization.
        .allow_headers(AllowHeaders::mirror_request())
        .expose_headers(ExposeHeaders::list(EXPOSED))
        .max_age(Duration::from_secs(2 * 60 * 60))
}

static API: LazyLock<CorsLayer> = LazyLock::new(|| {
    layer(&[Method::GET, Method::HEAD, Method::POST, Method::PUT, Method::PATCH, Method::DELETE, Method::OPTIONS])
});
static OAUTH_ENDPOINT: LazyLock<CorsLayer> = LazyLock::new(|| layer(&[Method::POST, Method::OPTIONS]));
static DISCOVERY: LazyLock<CorsLayer> = LazyLock::new(|| layer(&[Method::GET, Method::HEAD, Method::OPTIONS]));

/// Middleware: answers preflights and adds the CORS headers on the open
/// paths; leaves every other request untouched.
pub async fn allow_cross_origin(request: Request, next: Next) -> Response {
    let cors = match opening(request.uri().path()) {
        None => return next.run(request).await,
        Some(Opening::Api) => &API,
        Some(Opening::OAuthEndpoint) => &OAUTH_ENDPOINT,
        Some(Opening::Discovery) => &DISCOVERY,
    };
    match cors.layer(next).oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_api_the_token_endpoints_and_discovery_are_open() {
        assert_eq!(opening("/api/v1/timelines/home"), Some(Opening::Api));
        assert_eq!(opening("/api/maillage/v1/enterprises"), Some(Opening::Api));
        assert_eq!(opening("/oauth/token"), Some(Opening::OAuthEndpoint));
        assert_eq!(opening("/oauth/revoke"), Some(Opening::OAuthEndpoint));
        assert_eq!(opening("/.well-known/webfinger"), Some(Opening::Discovery));
        assert_eq!(opening("/nodeinfo/2.1"), Some(Opening::Discovery));
        for closed in ["/oauth/authorize", "/", "/login", "/inbox", "/actors/coop", "/apiary", "/oauth/tokens"] {
            assert_eq!(opening(closed), None, "{closed}");
        }
    }
}
