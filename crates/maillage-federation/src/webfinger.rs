//! WebFinger lookups of accounts on other servers (serving ours is in
//! `routes`): the actor behind `user@server` when following by handle or
//! mentioning, and the remote-follow template of a reader's server for
//! "follow from your server". The server passes the domain policies and
//! the SSRF rules, and its answer is read within [`MAX_WEBFINGER_BYTES`].

use serde_json::Value;
use url::Url;

use crate::context::Context;
use crate::error::FederationError;
use crate::remote_body::{BodyError, MAX_WEBFINGER_BYTES, excerpt, read_capped};
use crate::remote_url::address_refusal;

/// The link relation of the remote-follow template (OStatus, kept by Mastodon).
pub const SUBSCRIBE_REL: &str = "http://ostatus.org/schema/1.0/subscribe";

#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    #[error("expected user@server, not {0}")]
    BadHandle(String),
    /// The domain policies: blocked, or not allowed in allow-list mode.
    #[error("{0}")]
    NotFederated(String),
    /// The SSRF rules.
    #[error("{0}")]
    AddressRefused(String),
    #[error("{server} could not be reached: {reason}")]
    Unreachable { server: String, reason: String },
    #[error("{server} answered the WebFinger lookup with HTTP {status}")]
    Status { server: String, status: u16 },
    #[error("{server}: {error}")]
    Body { server: String, error: BodyError },
    #[error("{server} answered the WebFinger lookup with no JSON document")]
    NotJrd { server: String },
    #[error("{server} gives no {what} for {handle}")]
    NoLink { server: String, handle: String, what: &'static str },
}

impl From<LookupError> for FederationError {
    fn from(error: LookupError) -> Self {
        match error {
            LookupError::BadHandle(_) => FederationError::Invalid(error.to_string()),
            LookupError::NotFederated(_) | LookupError::AddressRefused(_) => {
                FederationError::Forbidden(error.to_string())
            }
            _ => FederationError::NotFound(error.to_string()),
        }
    }
}

/// A WebFinger answer (JRD), as received.
#[derive(Debug, Clone)]
pub struct Jrd(Value);

impl Jrd {
    fn links(&self) -> impl Iterator<Item = &Value> {
        self.0.get("links").and_then(Value::as_array).into_iter().flatten()
    }

    /// The ActivityPub actors the answer links to (`rel="self"` with an
    /// ActivityPub media type), as http(s) URLs.
    pub fn actor_ids(&self) -> Vec<Url> {
        self.links()
            .filter(|link| link.get("rel").and_then(Value::as_str) == Some("self"))
            .filter(|link| {
                link.get("type")
                    .and_then(Value::as_str)
                    .is_some_and(|t| t.starts_with("application/activity+json") || t.starts_with("application/ld+json"))
            })
            .filter_map(|link| link.get("href").and_then(Value::as_str))
            .filter_map(|href| Url::parse(href).ok())
            .filter(|url| matches!(url.scheme(), "http" | "https"))
            .collect()
    }

    /// The remote-follow template (`{uri}` stands for the account to
    /// follow), when it is an http(s) URL.
    pub fn subscribe_template(&self) -> Option<String> {
        self.links()
            .filter(|link| link.get("rel").and_then(Value::as_str) == Some(SUBSCRIBE_REL))
            .filter_map(|link| link.get("template").and_then(Value::as_str))
            .find(|template| Url::parse(template).is_ok_and(|url| matches!(url.scheme(), "http" | "https")))
            .map(str::to_string)
    }
}

/// Splits `user@server` (a leading `@` allowed); the server may carry a port.
pub fn split_handle(handle: &str) -> Result<(&str, &str), LookupError> {
    let handle = handle.trim().trim_start_matches('@');
    let bad = || LookupError::BadHandle(excerpt(handle));
    let (user, server) = handle.rsplit_once('@').ok_or_else(bad)?;
    // Only what a host and port are made of: nothing that could add a path,
    // a query or credentials to the URL built from it.
    let server_chars = |c: char| c.is_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']');
    if user.is_empty()
        || server.is_empty()
        || user.len() > 200
        || server.len() > 255
        || !server.chars().all(server_chars)
    {
        return Err(bad());
    }
    Ok((user, server))
}

/// Asks `server` who `user@server` is.
pub async fn lookup(ctx: &Context, user: &str, server: &str) -> Result<Jrd, LookupError> {
    let bad = || LookupError::BadHandle(excerpt(&format!("{user}@{server}")));
    // http only where a localhost instance asks a peer on loopback.
    let name = server.rsplit_once(':').map_or(server, |(name, _)| name).trim_matches(['[', ']']);
    let loopback = name.eq_ignore_ascii_case("localhost") || name.parse::<std::net::IpAddr>().is_ok();
    let scheme = if ctx.client.allows_private_addresses() && loopback { "http" } else { "https" };
    let mut url = Url::parse(&format!("{scheme}://{server}/.well-known/webfinger")).map_err(|_| bad())?;
    if url.path() != "/.well-known/webfinger" || url.query().is_some() || !url.username().is_empty() {
        return Err(bad());
    }
    url.query_pairs_mut().append_pair("resource", &format!("acct:{user}@{server}"));
    if let Some(reason) = ctx.policies.url_refusal(&url).await {
        return Err(LookupError::NotFederated(reason));
    }
    let shown = excerpt(server);
    let request = ctx.client.get(url).map_err(|refusal| LookupError::AddressRefused(refusal.to_string()))?;
    let response =
        request.header("accept", "application/jrd+json, application/json").send().await.map_err(|error| {
            match address_refusal(&error) {
                Some(refused) => LookupError::AddressRefused(refused.to_string()),
                None => LookupError::Unreachable { server: shown.clone(), reason: error.to_string() },
            }
        })?;
    if !response.status().is_success() {
        return Err(LookupError::Status { server: shown, status: response.status().as_u16() });
    }
    let body = read_capped(response, MAX_WEBFINGER_BYTES)
        .await
        .map_err(|error| LookupError::Body { server: shown.clone(), error })?;
    match serde_json::from_slice::<Value>(&body) {
        Ok(jrd @ Value::Object(_)) => Ok(Jrd(jrd)),
        _ => Err(LookupError::NotJrd { server: shown }),
    }
}

/// The remote-follow template of the reader's server, for "follow from
/// your server": `handle` is the reader's own account.
pub async fn subscribe_template(ctx: &Context, handle: &str) -> Result<String, LookupError> {
    let (user, server) = split_handle(handle)?;
    let jrd = lookup(ctx, user, server).await?;
    jrd.subscribe_template().ok_or_else(|| LookupError::NoLink {
        server: excerpt(server),
        handle: excerpt(handle),
        what: "remote-follow template",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_are_split_and_checked() {
        assert_eq!(split_handle("@alice@mastodon.example").unwrap(), ("alice", "mastodon.example"));
        assert_eq!(split_handle("bob@localhost:8080").unwrap(), ("bob", "localhost:8080"));
        assert_eq!(split_handle("a@b@café.example").unwrap(), ("a@b", "café.example"));
        for bad in [
            "alice",
            "@alice@",
            "@mastodon.example",
            "a@evil.example/path?",
            "a@evil.example#x",
            "a@evil.example\\x",
            "a@ evil.example",
            "a@evil.example%2f",
        ] {
            assert!(split_handle(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn links_are_read_from_the_answer() {
        let jrd = Jrd(serde_json::json!({
            "subject": "acct:alice@mastodon.example",
            "links": [
                { "rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": "https://mastodon.example/@alice" },
                { "rel": "self", "type": "application/activity+json", "href": "https://mastodon.example/users/alice" },
                { "rel": "self", "type": "application/activity+json", "href": "javascript:alert(1)" },
                { "rel": SUBSCRIBE_REL, "template": "javascript:alert('{uri}')" },
                { "rel": SUBSCRIBE_REL, "template": "https://mastodon.example/authorize_interaction?uri={uri}" },
                "not a link",
                { "rel": 7 },
            ],
        }));
        assert_eq!(jrd.actor_ids(), vec![Url::parse("https://mastodon.example/users/alice").unwrap()]);
        assert_eq!(jrd.subscribe_template().unwrap(), "https://mastodon.example/authorize_interaction?uri={uri}");
        let empty = Jrd(serde_json::json!({ "links": "nope" }));
        assert!(empty.actor_ids().is_empty() && empty.subscribe_template().is_none());
    }
}
