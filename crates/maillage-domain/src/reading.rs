//! What a member keeps for their own reading, as Mastodon apps name it:
//! read markers of timelines, lists of accounts and their reply policy,
//! content filters (where they apply, what they do, how a keyword matches).

use crate::named::named_enum;

named_enum! {
    /// A timeline whose read position apps save (Mastodon's markers).
    pub enum MarkerTimeline, refused as UnknownMarkerTimeline ("marker timeline") {
        Home = "home",
        Notifications = "notifications",
    }
}

named_enum! {
    /// Which replies a list's timeline shows (Mastodon's `replies_policy`).
    pub enum RepliesPolicy, refused as UnknownRepliesPolicy ("replies policy") {
        /// Replies to any account the member follows.
        Followed = "followed",
        /// Replies to the list's members.
        List = "list",
        /// No replies.
        None = "none",
    }
}

/// A reply as a list's timeline weighs it: accounts are compared by any
/// stable identifier, the same for all four.
#[derive(Debug, Clone, Copy)]
pub struct Reply<'a> {
    pub author: &'a str,
    pub replied_to: &'a str,
    /// The list's owner.
    pub owner: &'a str,
}

impl RepliesPolicy {
    /// Whether a list's timeline shows a reply, as Mastodon decides: a
    /// reply to oneself or to the list's owner always; any other only to
    /// an account the owner follows (`followed`), on the list (`list`), or
    /// never (`none`).
    pub fn shows(self, reply: Reply<'_>, on_list: bool, followed: bool) -> bool {
        if reply.replied_to == reply.author || reply.replied_to == reply.owner {
            return true;
        }
        match self {
            RepliesPolicy::Followed => followed,
            RepliesPolicy::List => on_list,
            RepliesPolicy::None => false,
        }
    }
}

named_enum! {
    /// Where a filter applies (Mastodon's filter contexts).
    pub enum FilterContext, refused as UnknownFilterContext ("filter context") {
        /// The home timeline and lists.
        Home = "home",
        Notifications = "notifications",
        /// Public and tag timelines.
        Public = "public",
        /// A status's conversation.
        Thread = "thread",
        /// An account's statuses.
        Account = "account",
    }
}

named_enum! {
    /// What a filter does to a status it matches.
    pub enum FilterAction, refused as UnknownFilterAction ("filter action") {
        /// Shown behind a warning that names the filter.
        Warn = "warn",
        /// Not shown at all.
        Hide = "hide",
    }
}

/// The contexts stored as one text: their names, space-separated.
pub fn contexts_to_text(contexts: &[FilterContext]) -> String {
    contexts.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(" ")
}

/// Reads contexts stored by [`contexts_to_text`] (unknown names are skipped).
pub fn contexts_from_text(text: &str) -> Vec<FilterContext> {
    text.split_whitespace().filter_map(|name| FilterContext::parse(name).ok()).collect()
}

/// The longest keyword and list or filter title kept.
pub const TITLE_MAX: usize = 256;

/// Whether `keyword` occurs in `text`, ignoring case; with `whole_word`,
/// only where it is not part of a longer word (as Mastodon's `\b`
/// boundaries: a boundary is checked only at an end of the keyword that is
/// a letter or a digit).
pub fn keyword_matches(text: &str, keyword: &str, whole_word: bool) -> bool {
    let keyword = keyword.trim().to_lowercase();
    if keyword.is_empty() {
        return false;
    }
    let text = text.to_lowercase();
    let word_char = |c: char| c.is_alphanumeric() || c == '_';
    let first_is_word = keyword.chars().next().is_some_and(word_char);
    let last_is_word = keyword.chars().next_back().is_some_and(word_char);
    text.match_indices(&keyword).any(|(start, found)| {
        if !whole_word {
            return true;
        }
        let before = text[..start].chars().next_back();
        let after = text[start + found.len()..].chars().next();
        let open_before = !first_is_word || !before.is_some_and(word_char);
        let open_after = !last_is_word || !after.is_some_and(word_char);
        open_before && open_after
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_match_ignoring_case_and_whole_words_only_when_asked() {
        assert!(keyword_matches("Le VÉLO en ville", "vélo", true));
        assert!(keyword_matches("les vélos", "vélo", false));
        assert!(!keyword_matches("les vélos", "vélo", true));
        assert!(!keyword_matches("covélo", "vélo", true));
        assert!(keyword_matches("(vélo)", "vélo", true));
        assert!(keyword_matches("vélo", "vélo", true));
        assert!(keyword_matches("un #tag ici", "#tag", true));
        assert!(keyword_matches("un#tag ici", "#tag", true));
        assert!(!keyword_matches("rien", "  ", false));
        assert!(!keyword_matches("autre chose", "vélo", false));
    }

    #[test]
    fn contexts_round_trip_through_their_stored_text() {
        let contexts = [FilterContext::Home, FilterContext::Thread];
        assert_eq!(contexts_from_text(&contexts_to_text(&contexts)), contexts);
        assert_eq!(contexts_from_text("home bogus public"), [FilterContext::Home, FilterContext::Public]);
    }

    #[test]
    fn a_list_shows_replies_as_its_policy_says() {
        let reply = |to| Reply { author: "ana", replied_to: to, owner: "me" };
        for policy in [RepliesPolicy::Followed, RepliesPolicy::List, RepliesPolicy::None] {
            assert!(policy.shows(reply("ana"), false, false), "a thread of one's own: {policy:?}");
            assert!(policy.shows(reply("me"), false, false), "a reply to the owner: {policy:?}");
        }
        assert!(RepliesPolicy::Followed.shows(reply("bob"), false, true));
        assert!(!RepliesPolicy::Followed.shows(reply("bob"), true, false));
        assert!(RepliesPolicy::List.shows(reply("bob"), true, false));
        assert!(!RepliesPolicy::List.shows(reply("bob"), false, true));
        assert!(!RepliesPolicy::None.shows(reply("bob"), true, true));
    }

    #[test]
    fn names_are_mastodons() {
        assert_eq!(MarkerTimeline::parse("notifications"), Ok(MarkerTimeline::Notifications));
        assert!(RepliesPolicy::parse("all").is_err());
        assert_eq!(FilterAction::parse("hide"), Ok(FilterAction::Hide));
        assert!(FilterContext::choices().contains("home"));
    }
}
