//! Rate limits of the client API and of the inboxes, and login throttling.
//!
//! Fixed 5-minute windows counted in memory, per process (with several
//! processes behind one address, each counts its own requests), keyed on
//! who the caller is known to be:
//! - client API and OAuth: a valid token of a member counts for its account
//!   (all its tokens together); anything else (no token, an application's
//!   token, a token that is not valid) for the client's address, so that
//!   made-up tokens do not buy fresh budgets;
//! - failed logins: per account (whatever name or e-mail was typed), per
//!   unknown name as typed after the same folding, and per address;
//! - inbox POSTs: per address and per sending server (the server of the
//!   signature's `keyId`, read from the header before anything is parsed
//!   or verified).
//!
//! Addresses are those of [`crate::client_address`]; IPv6 addresses count
//! per /64 network, the block one subscriber gets. Responses of the client
//! API carry Mastodon's `X-RateLimit-*` headers; an exceeded limit is 429.
//!
//! Memory is bounded: each of the three tables (API callers, logins, inbox
//! senders) keeps at most [`MAX_KEYS`] (20,000) keys, about 430 bytes each
//! (measured), so some 9 MB per full table and 27 MB for all three. They
//! are moka caches: an entry expires when its window ends, and a full table
//! admits a new key only over a less used one (TinyLFU), so a flood of new
//! addresses does not push out the counts of active callers (a key left
//! out starts afresh each time: under a flood of more than 20,000 callers
//! in one window, the rarest go uncounted). Expiry and eviction are moka's,
//! amortised over operations: no request scans a table under a lock.

use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use maillage_config::{LimitsConfig, TrustedProxies};
use sha2::{Digest, Sha256};

use crate::api::auth::CheckedBearer;
use crate::client_address::ClientAddress;
use crate::{AppState, HttpError};

pub const WINDOW: Duration = Duration::from_secs(300);
/// Keys kept per table: callers seen in one window, more than a regional
/// hub has.
pub const MAX_KEYS: u64 = 20_000;

/// The count of one key in its window.
struct Window {
    started: Instant,
    events: AtomicU32,
}

/// Fixed windows of one kind of event.
struct Windows<K> {
    windows: moka::sync::Cache<K, Arc<Window>>,
}

impl<K: Hash + Eq + Send + Sync + 'static> Windows<K> {
    fn new() -> Self {
        // Time to live, not to idle: a window ends 5 minutes after its first event.
        Windows { windows: moka::sync::Cache::builder().max_capacity(MAX_KEYS).time_to_live(WINDOW).build() }
    }

    /// Counts one more event for `key`.
    fn add(&self, key: K, limit: u32) -> Count {
        let now = Instant::now();
        let window = self.windows.get_with(key, || Arc::new(Window { started: now, events: AtomicU32::new(0) }));
        let before = window.events.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_add(1));
        Count::of(&window, before.map_or(u32::MAX, |n| n + 1), limit, now)
    }

    /// Events counted for `key` in its current window.
    fn events(&self, key: &K) -> u32 {
        self.windows.get(key).map_or(0, |window| window.events.load(Ordering::Relaxed))
    }
}

/// The state of one key after counting.
#[derive(Debug, Clone, Copy)]
pub struct Count {
    pub limit: u32,
    pub remaining: u32,
    pub reset_in: Duration,
    pub exceeded: bool,
}

impl Count {
    fn of(window: &Window, used: u32, limit: u32, now: Instant) -> Self {
        Count {
            limit,
            remaining: limit.saturating_sub(used),
            reset_in: WINDOW.saturating_sub(now.duration_since(window.started)),
            exceeded: used > limit,
        }
    }
}

/// The address as counted: IPv6 per /64.
fn address_key(address: IpAddr) -> IpAddr {
    match address.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6((u128::from(v6) & !u128::from(u64::MAX)).into()),
        v4 => v4,
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum ApiCaller {
    Account(i64),
    Address(IpAddr),
}

/// What failed logins are counted under.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LoginKey {
    /// A member account, by user id.
    Account(i64),
    /// A name that matches no account (its digest, in the folded form
    /// accounts are looked up by), so that it is throttled like one.
    UnknownName([u8; 32]),
    Address(IpAddr),
}

impl LoginKey {
    pub fn unknown_name(typed: &str) -> Self {
        LoginKey::UnknownName(Sha256::digest(maillage_domain::password::login_name(typed)).into())
    }

    pub fn address(address: IpAddr) -> Self {
        LoginKey::Address(address_key(address))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum InboxSender {
    Address(IpAddr),
    Server(String),
}

pub struct RateLimits {
    config: LimitsConfig,
    trusted_proxies: TrustedProxies,
    api: Windows<ApiCaller>,
    logins: Windows<LoginKey>,
    inbox: Windows<InboxSender>,
}

impl RateLimits {
    /// `config` is validated: an entry of `trusted_proxies` that does not
    /// parse (impossible after [`maillage_config::Config::validate`])
    /// leaves no proxy trusted.
    pub fn new(config: &LimitsConfig) -> Self {
        RateLimits {
            config: config.clone(),
            trusted_proxies: config.trusted_proxies().unwrap_or_default(),
            api: Windows::new(),
            logins: Windows::new(),
            inbox: Windows::new(),
        }
    }

    pub fn trusted_proxies(&self) -> &TrustedProxies {
        &self.trusted_proxies
    }

    /// Whether logins counted under `key` are refused until the window ends.
    pub fn login_blocked(&self, key: &LoginKey) -> bool {
        self.logins.events(key) >= self.config.login_failures_per_5_minutes
    }

    /// Counts a failed login under each of `keys`.
    pub fn login_failed(&self, keys: [LoginKey; 2]) {
        for key in keys {
            self.logins.add(key, self.config.login_failures_per_5_minutes);
        }
    }
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

/// The client's address as counted (`identify_client` runs around every
/// route, so it is always there).
fn address_of(request: &Request) -> IpAddr {
    address_key(ClientAddress::of(request.extensions()).unwrap_or(IpAddr::from([0, 0, 0, 0])))
}

/// Middleware of the federation routes: limits inbox POSTs per address and
/// per sending server; everything else passes.
pub async fn limit_inbox(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if request.method() != axum::http::Method::POST || !request.uri().path().ends_with("/inbox") {
        return next.run(request).await;
    }
    let limits = &state.limits;
    let address = address_of(&request);
    let by_address = limits.inbox.add(InboxSender::Address(address), limits.config.inbox_per_5_minutes_per_address);
    let by_server = signing_server(&request)
        .map(|server| limits.inbox.add(InboxSender::Server(server), limits.config.inbox_per_5_minutes_per_server));
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

/// Middleware of the client API and OAuth routes. It looks the bearer
/// token up (once: the handlers' extractors reuse the answer) to know whom
/// to count.
pub async fn limit_api(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let checked = match CheckedBearer::check(&state, request.headers()).await {
        Ok(checked) => checked,
        Err(error) => return error.into_response(),
    };
    let member = checked.as_ref().and_then(CheckedBearer::account_id);
    let caller = member.map_or_else(|| ApiCaller::Address(address_of(&request)), ApiCaller::Account);
    let limits = &state.limits;
    let count = limits.api.add(caller, limits.config.api_per_5_minutes);
    if let Some(checked) = checked {
        request.extensions_mut().insert(checked);
    }
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

    fn config(limit: u32) -> LimitsConfig {
        LimitsConfig {
            api_per_5_minutes: limit,
            login_failures_per_5_minutes: limit,
            inbox_per_5_minutes_per_address: limit,
            inbox_per_5_minutes_per_server: limit,
            trusted_proxies: Vec::new(),
            trust_forwarded_for: None,
        }
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn windows_count_and_block() {
        let windows = Windows::new();
        assert!(!windows.add("k", 2).exceeded);
        let second = windows.add("k", 2);
        assert!(!second.exceeded && second.remaining == 0);
        assert!(second.reset_in <= WINDOW && second.reset_in > WINDOW - Duration::from_secs(60));
        assert!(windows.add("k", 2).exceeded);
        assert!(!windows.add("other", 2).exceeded, "keys are separate");
        assert_eq!(windows.events(&"k"), 3);
        assert_eq!(windows.events(&"never"), 0);
    }

    #[test]
    fn login_failures_count_per_key() {
        let limits = RateLimits::new(&config(2));
        let marie = LoginKey::Account(7);
        assert!(!limits.login_blocked(&marie));
        limits.login_failed([marie.clone(), LoginKey::address(ip("192.0.2.1"))]);
        limits.login_failed([marie.clone(), LoginKey::address(ip("192.0.2.2"))]);
        assert!(limits.login_blocked(&marie), "per account");
        assert!(!limits.login_blocked(&LoginKey::Account(8)));
        assert!(!limits.login_blocked(&LoginKey::address(ip("192.0.2.1"))), "one failure from each address");
        assert!(!limits.login_blocked(&LoginKey::address(ip("192.0.2.3"))));

        for typed in ["ghost", " @Ghost", "GHOST"] {
            limits.login_failed([LoginKey::unknown_name(typed), LoginKey::address(ip("192.0.2.9"))]);
        }
        assert!(limits.login_blocked(&LoginKey::unknown_name("ghost")), "typed names are folded");
        assert!(!limits.login_blocked(&LoginKey::unknown_name("ghosts")));
    }

    #[test]
    fn ipv6_addresses_count_per_64() {
        let limits = RateLimits::new(&config(2));
        limits.login_failed([LoginKey::Account(1), LoginKey::address(ip("2001:db8:1:2::1"))]);
        limits.login_failed([LoginKey::Account(2), LoginKey::address(ip("2001:db8:1:2:ffff::9"))]);
        assert!(limits.login_blocked(&LoginKey::address(ip("2001:db8:1:2::77"))), "same /64");
        assert!(!limits.login_blocked(&LoginKey::address(ip("2001:db8:1:3::1"))), "next /64");
        assert_eq!(address_key(ip("::ffff:192.0.2.1")), ip("192.0.2.1"));
        assert_eq!(address_key(ip("192.0.2.1")), ip("192.0.2.1"));
    }

    #[test]
    fn tables_stay_bounded() {
        let windows = Windows::new();
        for n in 0..(MAX_KEYS as u32 + 20_000) {
            windows.add(n, 10);
        }
        windows.windows.run_pending_tasks();
        assert!(windows.windows.entry_count() <= MAX_KEYS, "{}", windows.windows.entry_count());
    }
}
