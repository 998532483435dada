//! Local actors and the one username namespace they share.
//!
//! Mastodon resolves every actor back through WebFinger by its
//! `preferredUsername`, so the instance actor, the hub, enterprises and
//! members all draw their handles from one namespace per instance.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// What a local actor is, which fixes its ActivityPub type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    /// The instance actor (`Application`), which signs our fetches.
    Instance,
    /// The regional hub (`Group`).
    Hub,
    /// A social-economy enterprise (`Organization`).
    Enterprise,
    /// A member of one or more enterprises (`Person`).
    Member,
}

impl ActorKind {
    pub const ALL: [ActorKind; 4] = [ActorKind::Instance, ActorKind::Hub, ActorKind::Enterprise, ActorKind::Member];

    /// The name stored in the database; stable, never renamed.
    pub fn as_str(self) -> &'static str {
        match self {
            ActorKind::Instance => "instance",
            ActorKind::Hub => "hub",
            ActorKind::Enterprise => "enterprise",
            ActorKind::Member => "member",
        }
    }

    /// The ActivityStreams actor type.
    pub fn activity_type(self) -> &'static str {
        match self {
            ActorKind::Instance => "Application",
            ActorKind::Hub => "Group",
            ActorKind::Enterprise => "Organization",
            ActorKind::Member => "Person",
        }
    }
}

impl fmt::Display for ActorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown actor kind {0:?}")]
pub struct UnknownActorKind(pub String);

impl FromStr for ActorKind {
    type Err = UnknownActorKind;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ActorKind::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| UnknownActorKind(s.to_string()))
    }
}

/// Names that would collide with our own routes or mislead people.
pub const RESERVED_HANDLES: &[&str] = &[
    "about",
    "account",
    "accounts",
    "activity",
    "activities",
    "actor",
    "actors",
    "admin",
    "administrator",
    "announce",
    "api",
    "apps",
    "assets",
    "auth",
    "directory",
    "enterprise",
    "enterprises",
    "feed",
    "feeds",
    "followers",
    "following",
    "healthz",
    "help",
    "hostmaster",
    "inbox",
    "instance",
    "login",
    "logout",
    "maillage",
    "media",
    "metrics",
    "moderator",
    "nodeinfo",
    "notes",
    "oauth",
    "outbox",
    "postmaster",
    "practice",
    "practices",
    "public",
    "relay",
    "root",
    "search",
    "settings",
    "static",
    "support",
    "system",
    "tags",
    "updates",
    "users",
    "webfinger",
    "webmaster",
    "well-known",
    "www",
];

pub const HANDLE_MAX_LEN: usize = 30;

/// A local username: `[a-z0-9_]`, 1 to 30 characters, like Mastodon's, stored
/// lower-case so that `@Coop` and `@coop` are the same actor.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Handle(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandleError {
    #[error("a handle cannot be empty")]
    Empty,
    #[error("handle {0:?} is longer than {HANDLE_MAX_LEN} characters")]
    TooLong(String),
    #[error("handle {0:?} may only contain letters a-z, digits and underscores")]
    BadCharacter(String),
    #[error("handle {0:?} is reserved; choose another")]
    Reserved(String),
}

impl Handle {
    /// Validates a handle, accepting letters in any case.
    pub fn parse(input: &str) -> Result<Self, HandleError> {
        let handle = input.trim().trim_start_matches('@').to_ascii_lowercase();
        if handle.is_empty() {
            return Err(HandleError::Empty);
        }
        if handle.chars().count() > HANDLE_MAX_LEN {
            return Err(HandleError::TooLong(handle));
        }
        if !handle.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
            return Err(HandleError::BadCharacter(input.to_string()));
        }
        if RESERVED_HANDLES.contains(&handle.as_str()) {
            return Err(HandleError::Reserved(handle));
        }
        Ok(Handle(handle))
    }

    /// A handle made from a name, for an enterprise imported without one:
    /// accents folded, lower case, words joined by underscores, other
    /// characters dropped, cut to leave room for a number (`coop_velo_2`),
    /// numbered when the result is reserved (`admin_2`); `None` when
    /// nothing usable is left.
    pub fn from_name(name: &str) -> Option<Self> {
        const ROOM_FOR_NUMBER: usize = 5;
        let folded = crate::vocabulary::fold(name);
        let mut handle = String::new();
        for word in folded.split(' ') {
            let word: String = word.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
            if word.is_empty() {
                continue;
            }
            if !handle.is_empty() {
                handle.push('_');
            }
            handle.push_str(&word);
        }
        handle.truncate(HANDLE_MAX_LEN - ROOM_FOR_NUMBER);
        let handle = handle.trim_end_matches('_');
        match Handle::parse(handle) {
            Ok(handle) => Some(handle),
            Err(HandleError::Reserved(_)) => Handle::parse(&format!("{handle}_2")).ok(),
            Err(_) => None,
        }
    }

    /// This handle with a number, for the `n`th enterprise whose name makes
    /// the same handle (`coop_velo_2`, `coop_velo_3`).
    pub fn numbered(&self, n: u32) -> Option<Self> {
        let suffix = format!("_{n}");
        let mut base = self.0.clone();
        base.truncate(HANDLE_MAX_LEN.saturating_sub(suffix.len()));
        Handle::parse(&format!("{base}{suffix}")).ok()
    }

    /// The handle of the instance actor, which is reserved for everyone else.
    pub fn instance_actor() -> Self {
        Handle("instance".to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Handle {
    type Error = HandleError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Handle::parse(&value)
    }
}

impl From<Handle> for String {
    fn from(value: Handle) -> Self {
        value.0
    }
}

/// The longest `name@domain` accepted where one names an actor of any
/// server (a username and a domain name).
pub const ACCOUNT_MAX_LEN: usize = 320;

/// Whether `value` reads as an actor's address on some server,
/// `name@domain` (without a leading `@`, no spaces): a shape, not a lookup.
pub fn is_account_address(value: &str) -> bool {
    value.len() <= ACCOUNT_MAX_LEN
        && !value.contains(char::is_whitespace)
        && value
            .split_once('@')
            .is_some_and(|(name, domain)| !name.is_empty() && !domain.is_empty() && !domain.contains('@'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_addresses_are_name_at_domain() {
        assert!(is_account_address("hub@nord.test") && is_account_address("pole@sud.test:8443"));
        for bad in ["", "nord.test", "@nord.test", "hub@", "a@b@c", "hub @nord.test", "@hub@nord.test"] {
            assert!(!is_account_address(bad), "{bad:?}");
        }
        assert!(!is_account_address(&format!("hub@{}", "a".repeat(ACCOUNT_MAX_LEN))));
    }

    #[test]
    fn handles_are_normalised_and_checked() {
        assert_eq!(Handle::parse("Coop_Velo42").unwrap().as_str(), "coop_velo42");
        assert_eq!(Handle::parse("@hub").unwrap().as_str(), "hub");
        assert_eq!(Handle::parse(""), Err(HandleError::Empty));
        assert!(matches!(Handle::parse("a-b"), Err(HandleError::BadCharacter(_))));
        assert!(matches!(Handle::parse("coopé"), Err(HandleError::BadCharacter(_))));
        assert!(matches!(Handle::parse(&"a".repeat(31)), Err(HandleError::TooLong(_))));
        assert!(Handle::parse(&"a".repeat(30)).is_ok());
        for reserved in ["actor", "admin", "api", "inbox", "Instance", "nodeinfo"] {
            let made = Handle::from_name(reserved).unwrap();
            assert_eq!(made.as_str(), format!("{}_2", reserved.to_ascii_lowercase()), "{reserved}");
            assert!(matches!(Handle::parse(reserved), Err(HandleError::Reserved(_))), "{reserved}");
        }
    }

    #[test]
    fn handles_made_from_names() {
        let made = |name: &str| Handle::from_name(name).map(|h| h.to_string());
        assert_eq!(made("Coop Vélo de l'Estrie").as_deref(), Some("coop_velo_de_l_estrie"));
        assert_eq!(made("  Œuvre   -- d'art!  ").as_deref(), Some("oeuvre_d_art"));
        assert_eq!(made("La Coopérative de solidarité en alimentation").unwrap().len(), 25);
        assert_eq!(made("日本"), None);
        assert_eq!(made("!!!"), None);
        let base = Handle::parse("coop_velo").unwrap();
        assert_eq!(base.numbered(2).unwrap().as_str(), "coop_velo_2");
        assert_eq!(Handle::parse(&"a".repeat(30)).unwrap().numbered(12).unwrap().as_str().len(), 30);
    }

    #[test]
    fn actor_kinds_round_trip() {
        for kind in ActorKind::ALL {
            assert_eq!(kind.as_str().parse::<ActorKind>().unwrap(), kind);
        }
        assert_eq!(ActorKind::Hub.activity_type(), "Group");
        assert_eq!(ActorKind::Enterprise.activity_type(), "Organization");
        assert!("robot".parse::<ActorKind>().is_err());
    }
}
