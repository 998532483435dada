//! Web Push subscriptions: the alerts a client asks for and its policy
//! (Mastodon's names), and which notifications they let through.

use std::collections::BTreeSet;

use crate::NotificationKind;
use crate::named::named_enum;

named_enum! {
    /// An alert a push subscription may turn on: Mastodon's names.
    pub enum PushAlert, refused as UnknownPushAlert ("push alert") {
        Mention = "mention",
        Status = "status",
        Reblog = "reblog",
        Follow = "follow",
        FollowRequest = "follow_request",
        Favourite = "favourite",
        Poll = "poll",
        Update = "update",
        AdminSignUp = "admin.sign_up",
        AdminReport = "admin.report",
    }
}

named_enum! {
    /// From whom a subscription is pushed notifications.
    pub enum PushPolicy, refused as UnknownPushPolicy ("push policy") {
        /// Anyone.
        All = "all",
        /// Only accounts the member follows.
        Followed = "followed",
        /// Only accounts that follow the member.
        Follower = "follower",
        /// Nobody.
        None = "none",
    }
}

impl PushAlert {
    /// The alert that lets a notification of this kind through.
    pub fn of(kind: NotificationKind) -> PushAlert {
        match kind {
            NotificationKind::Follow => PushAlert::Follow,
            NotificationKind::FollowRequest => PushAlert::FollowRequest,
            NotificationKind::Mention => PushAlert::Mention,
            NotificationKind::Reblog => PushAlert::Reblog,
            NotificationKind::Favourite => PushAlert::Favourite,
        }
    }
}

/// The alerts a subscription has turned on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PushAlerts(BTreeSet<&'static str>);

impl PushAlerts {
    pub fn new(on: impl IntoIterator<Item = PushAlert>) -> Self {
        PushAlerts(on.into_iter().map(PushAlert::as_str).collect())
    }

    pub fn set(&mut self, alert: PushAlert, on: bool) {
        if on {
            self.0.insert(alert.as_str());
        } else {
            self.0.remove(alert.as_str());
        }
    }

    pub fn contains(&self, alert: PushAlert) -> bool {
        self.0.contains(alert.as_str())
    }

    /// Whether a notification of this kind is pushed.
    pub fn lets_through(&self, kind: NotificationKind) -> bool {
        self.contains(PushAlert::of(kind))
    }

    /// The stored form: the names turned on, comma-separated.
    pub fn stored(&self) -> String {
        self.0.iter().copied().collect::<Vec<_>>().join(",")
    }

    /// Reads the stored form; unknown names (none are written) are skipped.
    pub fn from_stored(stored: &str) -> Self {
        PushAlerts::new(stored.split(',').filter_map(|name| PushAlert::parse(name.trim()).ok()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alerts_round_trip_through_their_stored_form() {
        let alerts = PushAlerts::new([PushAlert::Mention, PushAlert::AdminSignUp, PushAlert::Follow]);
        assert_eq!(alerts.stored(), "admin.sign_up,follow,mention");
        assert_eq!(PushAlerts::from_stored(&alerts.stored()), alerts);
        assert_eq!(PushAlerts::from_stored(""), PushAlerts::default());
    }

    #[test]
    fn each_notification_kind_has_its_alert() {
        let mut alerts = PushAlerts::new(PushAlert::ALL.iter().copied());
        for &kind in NotificationKind::ALL {
            assert!(alerts.lets_through(kind), "{kind}");
        }
        alerts.set(PushAlert::Favourite, false);
        assert!(!alerts.lets_through(NotificationKind::Favourite));
        assert!(alerts.lets_through(NotificationKind::Mention));
    }

    #[test]
    fn unknown_policies_are_refused_with_the_choices() {
        let err = PushPolicy::parse("friends").unwrap_err();
        assert!(err.to_string().contains("all, followed, follower or none"), "{err}");
    }
}
