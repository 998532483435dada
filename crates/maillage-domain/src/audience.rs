//! Who may see a post: its visibility, read from how it is addressed.
//!
//! The four visibilities are Mastodon's: public (the public collection in
//! `to`), unlisted (in `cc` only), followers-only (the author's followers
//! collection, no public), direct (only the actors it names). Who belongs to
//! each audience is decided by the queries of `maillage-db`'s `audience`
//! module, the one check every read goes through (docs/FEDERATION.md, "Who
//! sees what").

use std::fmt;

/// The ActivityStreams public collection, in the forms servers write it.
pub const PUBLIC_FORMS: &[&str] = &["https://www.w3.org/ns/activitystreams#Public", "as:Public", "Public"];

/// Whether an addressee is the public collection.
pub fn is_public_collection(id: &str) -> bool {
    PUBLIC_FORMS.contains(&id)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Visibility {
    /// Anyone, and listed in public and tag timelines.
    Public,
    /// Anyone with the link; kept off public and tag timelines.
    Unlisted,
    /// The author's accepted followers and the actors it names.
    Followers,
    /// Only the actors it names.
    Direct,
}

impl Visibility {
    pub const ALL: [Visibility; 4] =
        [Visibility::Public, Visibility::Unlisted, Visibility::Followers, Visibility::Direct];

    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Unlisted => "unlisted",
            Visibility::Followers => "followers",
            Visibility::Direct => "direct",
        }
    }

    /// Reads the stored form; anything unknown is the narrowest audience.
    pub fn from_stored(value: &str) -> Visibility {
        Visibility::ALL.into_iter().find(|v| v.as_str() == value).unwrap_or(Visibility::Direct)
    }

    /// The Mastodon client API's name (`private` for followers-only).
    pub fn mastodon_name(self) -> &'static str {
        match self {
            Visibility::Followers => "private",
            other => other.as_str(),
        }
    }

    /// Reads the Mastodon client API's name.
    pub fn from_mastodon_name(value: &str) -> Result<Visibility, UnknownVisibility> {
        match value {
            "public" => Ok(Visibility::Public),
            "unlisted" => Ok(Visibility::Unlisted),
            "private" => Ok(Visibility::Followers),
            "direct" => Ok(Visibility::Direct),
            other => Err(UnknownVisibility(other.to_string())),
        }
    }

    /// Readable by anyone who has its address.
    pub fn is_open(self) -> bool {
        matches!(self, Visibility::Public | Visibility::Unlisted)
    }

    /// Shown on public and tag timelines, reshared by the hub.
    pub fn is_listed(self) -> bool {
        self == Visibility::Public
    }
}

impl fmt::Display for Visibility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown visibility {0:?}: use public, unlisted, private or direct")]
pub struct UnknownVisibility(pub String);

/// How an object is addressed, as its `to`, `cc`, `bto` and `bcc` say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Addressing {
    pub to: Vec<String>,
    /// `cc`, `bto` and `bcc` together: only `to` decides public vs unlisted.
    pub cc: Vec<String>,
}

impl Addressing {
    /// Mastodon's reading: public in `to`, unlisted when public is only in
    /// `cc`, followers-only when the author's followers collection is
    /// addressed, direct otherwise.
    pub fn visibility(&self, author_followers: &[&str]) -> Visibility {
        if self.to.iter().any(|a| is_public_collection(a)) {
            Visibility::Public
        } else if self.cc.iter().any(|a| is_public_collection(a)) {
            Visibility::Unlisted
        } else if self.all().any(|a| author_followers.contains(&a)) {
            Visibility::Followers
        } else {
            Visibility::Direct
        }
    }

    /// Every addressee, public collection included.
    pub fn all(&self) -> impl Iterator<Item = &str> {
        self.to.iter().chain(self.cc.iter()).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addressing(to: &[&str], cc: &[&str]) -> Addressing {
        Addressing { to: to.iter().map(|s| s.to_string()).collect(), cc: cc.iter().map(|s| s.to_string()).collect() }
    }

    const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";
    const FOLLOWERS: &str = "https://example.org/users/ana/followers";
    const BOB: &str = "https://other.example/users/bob";

    #[test]
    fn visibility_is_read_as_mastodon_reads_it() {
        let cases = [
            (addressing(&[PUBLIC], &[FOLLOWERS]), Visibility::Public),
            (addressing(&["as:Public"], &[]), Visibility::Public),
            (addressing(&["Public"], &[]), Visibility::Public),
            (addressing(&[FOLLOWERS], &[PUBLIC]), Visibility::Unlisted),
            (addressing(&[FOLLOWERS], &[BOB]), Visibility::Followers),
            (addressing(&[BOB], &[FOLLOWERS]), Visibility::Followers),
            (addressing(&[BOB], &[]), Visibility::Direct),
            (addressing(&[], &[]), Visibility::Direct),
            // Someone else's followers collection is not the author's.
            (addressing(&["https://example.org/users/eve/followers"], &[]), Visibility::Direct),
        ];
        for (addressing, expected) in cases {
            assert_eq!(addressing.visibility(&[FOLLOWERS]), expected, "{addressing:?}");
        }
    }

    #[test]
    fn names_round_trip_and_unknown_ones_are_narrowest() {
        for v in Visibility::ALL {
            assert_eq!(Visibility::from_stored(v.as_str()), v);
            assert_eq!(Visibility::from_mastodon_name(v.mastodon_name()), Ok(v));
        }
        assert_eq!(Visibility::from_stored("something else"), Visibility::Direct);
        assert!(Visibility::from_mastodon_name("followers").is_err());
        assert!(Visibility::from_mastodon_name("limited").is_err());
    }
}
