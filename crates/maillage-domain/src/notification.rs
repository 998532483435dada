//! What a local actor is notified of; stored under Mastodon's type names.

use crate::named::named_enum;

named_enum! {
    /// What a local actor is notified of; stored under Mastodon's type names,
    /// which are also the client API's `type`.
    pub enum NotificationKind, refused as UnknownNotificationKind ("notification type") {
        /// Someone follows them.
        Follow = "follow",
        /// Someone asks to follow them (manual approval).
        FollowRequest = "follow_request",
        /// A post names them.
        Mention = "mention",
        /// Someone reshared their post.
        Reblog = "reblog",
        /// Someone liked their post.
        Favourite = "favourite",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_through_their_stored_form() {
        for &kind in NotificationKind::ALL {
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
