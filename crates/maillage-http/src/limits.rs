//! Rate limits of the client API and of the inboxes, and login throttling.
//!
//! Fixed 5-minute windows counted in memory, per process (with several
//! processes behind one address, each counts its own requests). Keys are a
//! token's hash, else the client's address; failed logins are counted per
//! account and per address. Responses carry Mastodon's `X-RateLimit-*`
//! headers; an exceeded limit is answered 429. Inbox POSTs are counted per
//! address and per sending server (the server of the signature's `keyId`,
//! read from the header before anything is parsed or verified).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use maillage_config::LimitsConfig;

use crate::{AppState, HttpError};

pub const WINDOW: Duration = Duration::from_secs(300);
/// Beyond this many keys, windows that ended are dropped.
const MAX_KEYS: usize = 100_000;

#[derive(Debug, Default)]
struct Counters {
    windows: HashMap<String, (Instant, u32)>,
}

/// Where a request comes from, as the limits see it.
#[derive(Debug, Clone)]
pub struct ClientAddress(pub String);

#[derive(Debug)]
pub struct RateLimits {
    config: LimitsConfig,
    counters: Mutex<Counters>,
}

/// The state of one key after counting.
#[derive(Debug, Clone, Copy)]
pub struct Count {
    pub limit: u32,
    pub remaining: u32,
    pub reset_in: Duration,
    pub exceeded: bool,
}

impl RateLimits {
    pub fn new(config: &LimitsConfig) -> Self {
        RateLimits { config: config.clone(), counters: Mutex::new(Counters::default()) }
    }

    /// Counts one more event for `key` (or only reads it, with `add = 0`).
    fn count(&self, key: &str, limit: u32, add: u32) -> Count {
        let now = Instant::now();
        let mut counters = self.counters.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if counters.windows.len() > MAX_KEYS {
            counters.windows.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        }
        let entry = counters.windows.entry(key.to_string()).or_insert((now, 0));
        if now.duration_since(entry.0) >= WINDOW {
            *entry = (now, 0);
        }
        entry.1 = entry.1.saturating_add(add);
        let used = entry.1;
        Count {
            limit,
            remaining: limit.saturating_sub(used),
            reset_in: WINDOW.saturating_sub(now.duration_since(entry.0)),
            exceeded: used > limit,
        }
    }

    /// Whether logins for this account or from this address are blocked.
    pub fn login_blocked(&self, account: &str, address: &str) -> bool {
        let limit = self.config.login_failures_per_5_minutes;
        self.count(&format!("login:{account}"), limit, 0).remaining == 0
            || self.count(&format!("login-from:{address}"), limit, 0).remaining == 0
    }

    pub fn login_failed(&self, account: &str, address: &str) {
        let limit = self.config.login_failures_per_5_minutes;
        self.count(&format!("login:{account}"), limit, 1);
        self.count(&format!("login-from:{address}"), limit, 1);
    }
}

fn client_address(request: &Request, trust_forwarded_for: bool) -> String {
    if trust_forwarded_for
        && let Some(forwarded) = request.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok())
        && let Some(first) = forwarded.split(',').next().map(str::trim).filter(|s| !s.is_empty())
    {
        return first.to_string();
    }
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_string())
        .unwrap_or_else(|| "unknown".to_string())
}

/// The server named by a `Signature` header's `keyId`, if any.
fn signing_server(request: &Request) -> Option<String> {
    let signature = request.headers().get("signature")?.to_str().ok()?;
    let key_id = signature.split(',').find_map(|part| part.trim().strip_prefix("keyId="))?.trim_matches('"');
    let url = url::Url::parse(key_id).ok()?;
    Some(match url.port() {
        Some(port) => format!("{}:{port}", url.host_str()?),
        None => url.host_str()?.to_string(),
    })
}

/// Middleware of the federation routes: limits inbox POSTs per address and
/// per sending server; everything else passes.
pub async fn limit_inbox(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if request.method() != axum::http::Method::POST || !request.uri().path().ends_with("/inbox") {
        return next.run(request).await;
    }
    let limits = &state.limits;
    let address = client_address(&request, limits.config.trust_forwarded_for);
    let by_address = limits.count(&format!("inbox-from:{address}"), limits.config.inbox_per_5_minutes_per_address, 1);
    let by_server = signing_server(&request)
        .map(|server| limits.count(&format!("inbox-server:{server}"), limits.config.inbox_per_5_minutes_per_server, 1));
    if by_address.exceeded || by_server.is_some_and(|c| c.exceeded) {
        let reset = by_server.map_or(by_address.reset_in, |c| c.reset_in.max(by_address.reset_in));
        let mut response = HttpError::TooManyRequests("Too many activities; try again later".into()).into_response();
        if let Ok(value) = HeaderValue::from_str(&reset.as_secs().max(1).to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        return response;
    }
    next.run(request).await
}

/// Middleware of the client API and OAuth routes.
pub async fn limit_api(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let limits = &state.limits;
    let address = client_address(&request, limits.config.trust_forwarded_for);
    let key = match request.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        Some(value) => format!("token:{}", crate::api::auth::hash_secret(value)),
        None => format!("address:{address}"),
    };
    let count = limits.count(&key, limits.config.api_per_5_minutes, 1);
    request.extensions_mut().insert(ClientAddress(address));
    let mut response = if count.exceeded {
        HttpError::TooManyRequests("Too many requests".into()).into_response()
    } else {
        next.run(request).await
    };
    let reset = chrono::Utc::now() + chrono::Duration::from_std(count.reset_in).unwrap_or_default();
    let headers = response.headers_mut();
    for (name, value) in [
        ("x-ratelimit-limit", count.limit.to_string()),
        ("x-ratelimit-remaining", count.remaining.to_string()),
        ("x-ratelimit-reset", reset.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_count_and_block() {
        let limits = RateLimits::new(&LimitsConfig {
            api_per_5_minutes: 2,
            login_failures_per_5_minutes: 2,
            inbox_per_5_minutes_per_address: 2,
            inbox_per_5_minutes_per_server: 2,
            trust_forwarded_for: false,
        });
        assert!(!limits.count("k", 2, 1).exceeded);
        let second = limits.count("k", 2, 1);
        assert!(!second.exceeded && second.remaining == 0);
        assert!(limits.count("k", 2, 1).exceeded);
        assert!(!limits.count("other", 2, 1).exceeded, "keys are separate");
        assert!(!limits.login_blocked("marie", "1.2.3.4"));
        limits.login_failed("marie", "1.2.3.4");
        limits.login_failed("marie", "5.6.7.8");
        assert!(limits.login_blocked("marie", "9.9.9.9"), "per account");
        assert!(!limits.login_blocked("paul", "9.9.9.9"));
    }
}
