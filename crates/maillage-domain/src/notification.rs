//! What a local actor is notified of; stored under Mastodon's type names.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NotificationKind {
    /// Someone follows them.
    Follow,
    /// Someone asks to follow them (manual approval).
    FollowRequest,
    /// A post names them.
    Mention,
    /// Someone reshared their post.
    Reblog,
    /// Someone liked their post.
    Favourite,
}

impl NotificationKind {
    pub const ALL: [NotificationKind; 5] = [
        NotificationKind::Follow,
        NotificationKind::FollowRequest,
        NotificationKind::Mention,
        NotificationKind::Reblog,
        NotificationKind::Favourite,
    ];

    /// The stored form, which is also the Mastodon client API's `type`.
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::Follow => "follow",
            NotificationKind::FollowRequest => "follow_request",
            NotificationKind::Mention => "mention",
            NotificationKind::Reblog => "reblog",
            NotificationKind::Favourite => "favourite",
        }
    }

    /// Reads the stored (and Mastodon) name.
    pub fn parse(value: &str) -> Result<NotificationKind, UnknownNotificationKind> {
        NotificationKind::ALL
            .into_iter()
            .find(|k| k.as_str() == value)
            .ok_or_else(|| UnknownNotificationKind(value.to_string()))
    }
}

impl TryFrom<String> for NotificationKind {
    type Error = UnknownNotificationKind;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        NotificationKind::parse(&value)
    }
}

impl fmt::Display for NotificationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown notification type {0:?}: use follow, follow_request, mention, reblog or favourite")]
pub struct UnknownNotificationKind(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_through_their_stored_form() {
        for kind in NotificationKind::ALL {
            assert_eq!(NotificationKind::parse(kind.as_str()), Ok(kind));
        }
        assert_eq!(NotificationKind::parse("follow_request"), Ok(NotificationKind::FollowRequest));
        assert_eq!(NotificationKind::parse("favourite"), Ok(NotificationKind::Favourite));
    }

    #[test]
    fn unknown_kinds_are_refused_with_the_choices() {
        for bad in ["favorite", "Follow", "status", ""] {
            let err = NotificationKind::parse(bad).unwrap_err();
            assert!(err.to_string().contains("follow, follow_request, mention, reblog or favourite"), "{err}");
        }
    }
}
