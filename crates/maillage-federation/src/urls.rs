//! The URLs we mint. Every id is built here, so the scheme is in one place.
//!
//! - instance actor: `{base}/actor`
//! - any other local actor: `{base}/actors/{username}` (also its HTML page),
//!   with `/inbox`, `/outbox`, `/followers`, `/following`, `/featured` below
//! - shared inbox: `{base}/inbox`

use maillage_config::Config;

#[derive(Debug, Clone)]
pub struct Urls {
    base: String,
}

impl Urls {
    pub fn new(config: &Config) -> Self {
        Urls { base: config.public_base_url() }
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

    pub fn key_id(actor_id: &str) -> String {
        format!("{actor_id}#main-key")
    }
}
