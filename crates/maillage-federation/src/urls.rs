//! The URLs we mint. Every id is built here, so the scheme is in one place.
//!
//! - instance actor: `{base}/actor`
//! - any other local actor: `{base}/actors/{username}` (also its HTML page),
//!   with `/inbox`, `/outbox`, `/followers`, `/following`, `/featured` below
//! - shared inbox: `{base}/inbox`

use maillage_config::Config;

#[derive(Debug, Clone)]
pub struct Urls {
    base: std::sync::Arc<str>,
}

impl Urls {
    pub fn new(config: &Config) -> Self {
        Urls { base: config.public_base_url().into() }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    pub fn instance_actor(&self) -> String {
        format!("{}/actor", self.base)
    }

    pub fn actor(&self, username: &str) -> String {
        format!("{}/actors/{username}", self.base)
    }

    pub fn shared_inbox(&self) -> String {
        format!("{}/inbox", self.base)
    }

    /// A sub-resource of an actor id: `inbox`, `outbox`, `followers`...
    pub fn of_actor(actor_id: &str, part: &str) -> String {
        format!("{actor_id}/{part}")
    }

    /// Which local actor a URL names: `Some(None)` for the instance actor,
    /// `Some(Some(username))` for another one, `None` when not ours.
    pub fn local_username(&self, url: &url::Url) -> Option<Option<String>> {
        let url = url.as_str();
        if url == self.instance_actor() {
            return Some(None);
        }
        let rest = url.strip_prefix(&format!("{}/actors/", self.base))?;
        (!rest.is_empty() && !rest.contains(['/', '?', '#'])).then(|| Some(rest.to_string()))
    }

    pub fn new_activity_id(&self, kind: &str) -> String {
        format!("{}/activities/{}-{}", self.base, kind.to_ascii_lowercase(), uuid::Uuid::new_v4().simple())
    }

    pub fn new_object_id(&self) -> String {
        format!("{}/objects/{}", self.base, uuid::Uuid::new_v4().simple())
    }

    /// The page of a hashtag (`href` of `Hashtag` tags).
    pub fn tag(&self, tag: &str) -> String {
        format!("{}/tags/{}", self.base, url::form_urlencoded::byte_serialize(tag.as_bytes()).collect::<String>())
    }

    pub fn key_id(actor_id: &str) -> String {
        format!("{actor_id}#main-key")
    }
}

/// `host[:port]` of a URL: the unit of trust between servers.
pub fn authority(url: &url::Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_string(),
        _ => String::new(),
    }
}
