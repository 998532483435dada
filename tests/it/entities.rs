//! Mastodon's documented entities, as a schema the client API's answers are
//! checked against: written from docs.joinmastodon.org/entities (Mastodon
//! 4.3), the fields every entity must have with their types — what strict
//! apps (Swift's `Decodable`, Tusky's Moshi) decode as required. A URL is
//! never `""` and always absolute; a date is ISO 8601.
//!
//! Every answer of `crate::api::call` to a known endpoint is checked here,
//! so each test of the client API checks the entities it meets; the test
//! below makes sure each kind of entity is met at least once. With
//! `MAILLAGE_ENTITY_REPORT=1` the checks print every difference (lines
//! starting `ENTITY`) instead of failing at the first.

use reqwest::Method;
use serde_json::{Value, json};

use crate::api::{call, instance, login};

/// The type of a value.
#[derive(Debug, Clone, Copy)]
pub(crate) enum T {
    Text,
    /// An absolute http(s) URL, never empty.
    Url,
    Bool,
    Int,
    /// ISO 8601 date and time.
    Time,
    /// ISO 8601 date (`last_status_at`).
    Day,
    /// A string id (Mastodon's ids are strings, even when numeric).
    Id,
    /// One of these strings.
    OneOf(&'static [&'static str]),
    /// An entity, by name (see [`fields`]).
    E(&'static str),
    List(&'static T),
    /// The value or `null`.
    Null(&'static T),
    /// An object whose every value has this type (`markers`).
    Map(&'static T),
    /// Anything (documented as free-form).
    Any,
}

use T::*;

/// Whether a field must be present.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Presence {
    Required,
    /// Documented as optional (absent on some servers or versions).
    Optional,
}

use Presence::{Optional, Required};

type Fields = &'static [(&'static str, T, Presence)];

const VISIBILITY: &[&str] = &["public", "unlisted", "private", "direct"];
const NOTIFICATION_TYPES: &[&str] = &[
    "mention",
    "status",
    "reblog",
    "follow",
    "follow_request",
    "favourite",
    "poll",
    "update",
    "admin.sign_up",
    "admin.report",
    "severed_relationships",
    "moderation_warning",
];
const FILTER_CONTEXTS: &[&str] = &["home", "notifications", "public", "thread", "account"];

/// The fields of each entity.
fn fields(entity: &str) -> Fields {
    match entity {
        "Account" => &[
            ("id", Id, Required),
            ("username", Text, Required),
            ("acct", Text, Required),
            ("url", Url, Required),
            ("uri", Url, Required),
            ("display_name", Text, Required),
            ("note", Text, Required),
            ("avatar", Url, Required),
            ("avatar_static", Url, Required),
            ("header", Url, Required),
            ("header_static", Url, Required),
            ("locked", Bool, Required),
            ("fields", List(&E("Field")), Required),
            ("emojis", List(&E("CustomEmoji")), Required),
            ("bot", Bool, Required),
            ("group", Bool, Required),
            ("discoverable", Null(&Bool), Required),
            ("created_at", Time, Required),
            ("last_status_at", Null(&Day), Required),
            ("statuses_count", Int, Required),
            ("followers_count", Int, Required),
            ("following_count", Int, Required),
            ("noindex", Null(&Bool), Optional),
            ("suspended", Bool, Optional),
            ("limited", Bool, Optional),
            ("moved", Null(&E("Account")), Optional),
        ],
        "CredentialAccount" => &[
            ("id", Id, Required),
            ("username", Text, Required),
            ("acct", Text, Required),
            ("url", Url, Required),
            ("display_name", Text, Required),
            ("note", Text, Required),
            ("avatar", Url, Required),
            ("avatar_static", Url, Required),
            ("header", Url, Required),
            ("header_static", Url, Required),
            ("locked", Bool, Required),
            ("fields", List(&E("Field")), Required),
            ("emojis", List(&E("CustomEmoji")), Required),
            ("bot", Bool, Required),
            ("group", Bool, Required),
            ("created_at", Time, Required),
            ("statuses_count", Int, Required),
            ("followers_count", Int, Required),
            ("following_count", Int, Required),
            ("source", E("Source"), Required),
        ],
        "Source" => &[
            ("note", Text, Required),
            ("fields", List(&E("Field")), Required),
            ("privacy", OneOf(VISIBILITY), Required),
            ("sensitive", Bool, Required),
            ("language", Text, Required),
            ("follow_requests_count", Int, Required),
        ],
        "Field" => &[("name", Text, Required), ("value", Text, Required), ("verified_at", Null(&Time), Required)],
        "CustomEmoji" => &[
            ("shortcode", Text, Required),
            ("url", Url, Required),
            ("static_url", Url, Required),
            ("visible_in_picker", Bool, Required),
        ],
        "Status" => &[
            ("id", Id, Required),
            ("uri", Url, Required),
            ("created_at", Time, Required),
            ("account", E("Account"), Required),
            ("content", Text, Required),
            ("visibility", OneOf(VISIBILITY), Required),
            ("sensitive", Bool, Required),
            ("spoiler_text", Text, Required),
            ("media_attachments", List(&E("MediaAttachment")), Required),
            ("application", Null(&E("StatusApplication")), Optional),
            ("mentions", List(&E("Mention")), Required),
            ("tags", List(&E("StatusTag")), Required),
            ("emojis", List(&E("CustomEmoji")), Required),
            ("reblogs_count", Int, Required),
            ("favourites_count", Int, Required),
            ("replies_count", Int, Required),
            ("url", Null(&Url), Required),
            ("in_reply_to_id", Null(&Id), Required),
            ("in_reply_to_account_id", Null(&Id), Required),
            ("reblog", Null(&E("Status")), Required),
            ("poll", Null(&Any), Required),
            ("card", Null(&Any), Required),
            ("language", Null(&Text), Required),
            ("text", Null(&Text), Optional),
            ("edited_at", Null(&Time), Required),
            ("favourited", Bool, Optional),
            ("reblogged", Bool, Optional),
            ("muted", Bool, Optional),
            ("bookmarked", Bool, Optional),
            ("pinned", Bool, Optional),
            ("filtered", List(&E("FilterResult")), Optional),
        ],
        "MediaAttachment" => &[
            ("id", Id, Required),
            ("type", OneOf(&["image", "gifv", "video", "audio", "unknown"]), Required),
            ("url", Null(&Url), Required),
            ("preview_url", Null(&Url), Required),
            ("remote_url", Null(&Url), Required),
            ("meta", Any, Required),
            ("description", Null(&Text), Required),
            ("blurhash", Null(&Text), Required),
        ],
        "StatusApplication" => &[("name", Text, Required), ("website", Null(&Text), Optional)],
        "Mention" => {
            &[("id", Id, Required), ("username", Text, Required), ("url", Url, Required), ("acct", Text, Required)]
        }
        "StatusTag" => &[("name", Text, Required), ("url", Url, Required)],
        "StatusSource" => &[("id", Id, Required), ("text", Text, Required), ("spoiler_text", Text, Required)],
        "Context" => &[("ancestors", List(&E("Status")), Required), ("descendants", List(&E("Status")), Required)],
        "Notification" => &[
            ("id", Id, Required),
            ("type", OneOf(NOTIFICATION_TYPES), Required),
            ("group_key", Text, Required),
            ("created_at", Time, Required),
            ("account", E("Account"), Required),
            ("status", Null(&E("Status")), Optional),
            ("report", Null(&Any), Optional),
        ],
        "Relationship" => &[
            ("id", Id, Required),
            ("following", Bool, Required),
            ("showing_reblogs", Bool, Required),
            ("notifying", Bool, Required),
            ("languages", Null(&List(&Text)), Optional),
            ("followed_by", Bool, Required),
            ("blocking", Bool, Required),
            ("blocked_by", Bool, Required),
            ("muting", Bool, Required),
            ("muting_notifications", Bool, Required),
            ("requested", Bool, Required),
            ("requested_by", Bool, Required),
            ("domain_blocking", Bool, Required),
            ("endorsed", Bool, Required),
            ("note", Text, Required),
        ],
        "Tag" => &[
            ("name", Text, Required),
            ("url", Url, Required),
            ("history", List(&E("TagHistory")), Required),
            ("following", Bool, Optional),
        ],
        "TagHistory" => &[("day", Text, Required), ("uses", Text, Required), ("accounts", Text, Required)],
        "FeaturedTag" => &[
            ("id", Id, Required),
            ("name", Text, Required),
            ("url", Url, Required),
            ("statuses_count", Any, Required),
            ("last_status_at", Null(&Any), Required),
        ],
        "Search" => &[
            ("accounts", List(&E("Account")), Required),
            ("statuses", List(&E("Status")), Required),
            ("hashtags", List(&E("Tag")), Required),
        ],
        "InstanceV1" => &[
            ("uri", Text, Required),
            ("title", Text, Required),
            ("short_description", Text, Required),
            ("description", Text, Required),
            ("email", Text, Required),
            ("version", Text, Required),
            ("urls", E("InstanceUrlsV1"), Required),
            ("stats", E("InstanceStats"), Required),
            ("thumbnail", Null(&Url), Required),
            ("languages", List(&Text), Required),
            ("registrations", Bool, Required),
            ("approval_required", Bool, Required),
            ("invites_enabled", Bool, Required),
            ("configuration", E("ConfigurationV1"), Required),
            ("contact_account", Null(&E("Account")), Required),
            ("rules", List(&E("Rule")), Required),
        ],
        "InstanceUrlsV1" => &[("streaming_api", Url, Required)],
        "InstanceStats" => {
            &[("user_count", Int, Required), ("status_count", Int, Required), ("domain_count", Int, Required)]
        }
        "ConfigurationV1" => &[
            ("statuses", E("StatusesConfiguration"), Required),
            ("media_attachments", Any, Required),
            ("polls", Any, Required),
        ],
        "StatusesConfiguration" => &[
            ("max_characters", Int, Required),
            ("max_media_attachments", Int, Required),
            ("characters_reserved_per_url", Int, Required),
        ],
        "Rule" => &[("id", Id, Required), ("text", Text, Required)],
        "InstanceV2" => &[
            ("domain", Text, Required),
            ("title", Text, Required),
            ("version", Text, Required),
            ("source_url", Url, Required),
            ("description", Text, Required),
            ("usage", E("InstanceUsage"), Required),
            ("thumbnail", E("InstanceThumbnail"), Required),
            ("languages", List(&Text), Required),
            ("configuration", E("ConfigurationV2"), Required),
            ("registrations", E("Registrations"), Required),
            ("api_versions", E("ApiVersions"), Required),
            ("contact", E("Contact"), Required),
            ("rules", List(&E("Rule")), Required),
        ],
        "InstanceUsage" => &[("users", E("InstanceUsers"), Required)],
        "InstanceUsers" => &[("active_month", Int, Required)],
        "InstanceThumbnail" => &[("url", Url, Required)],
        "ConfigurationV2" => &[
            ("urls", E("InstanceUrlsV2"), Required),
            ("accounts", Any, Required),
            ("statuses", E("StatusesConfiguration"), Required),
            ("media_attachments", Any, Required),
            ("polls", Any, Required),
            ("translation", E("Translation"), Required),
        ],
        "InstanceUrlsV2" => &[("streaming", Url, Required)],
        "Translation" => &[("enabled", Bool, Required)],
        "Registrations" => {
            &[("enabled", Bool, Required), ("approval_required", Bool, Required), ("message", Null(&Text), Required)]
        }
        "ApiVersions" => &[("mastodon", Int, Required)],
        "Contact" => &[("email", Text, Required), ("account", Null(&E("Account")), Required)],
        "CredentialApplication" => &[
            ("id", Id, Required),
            ("name", Text, Required),
            ("website", Null(&Text), Optional),
            ("scopes", List(&Text), Required),
            ("redirect_uris", List(&Text), Required),
            ("client_id", Text, Required),
            ("client_secret", Text, Required),
        ],
        "Announcement" => &[
            ("id", Id, Required),
            ("content", Text, Required),
            ("starts_at", Null(&Time), Required),
            ("ends_at", Null(&Time), Required),
            ("all_day", Bool, Required),
            ("published_at", Time, Required),
            ("updated_at", Time, Required),
            ("read", Bool, Optional),
            ("mentions", List(&Any), Required),
            ("statuses", List(&Any), Required),
            ("tags", List(&E("StatusTag")), Required),
            ("emojis", List(&E("CustomEmoji")), Required),
            ("reactions", List(&Any), Required),
        ],
        "Marker" => &[("last_read_id", Id, Required), ("version", Int, Required), ("updated_at", Time, Required)],
        "List" => &[
            ("id", Id, Required),
            ("title", Text, Required),
            ("replies_policy", OneOf(&["followed", "list", "none"]), Required),
            ("exclusive", Bool, Optional),
        ],
        "Filter" => &[
            ("id", Id, Required),
            ("title", Text, Required),
            ("context", List(&OneOf(FILTER_CONTEXTS)), Required),
            ("expires_at", Null(&Time), Required),
            ("filter_action", OneOf(&["warn", "hide", "blur"]), Required),
            ("keywords", List(&E("FilterKeyword")), Optional),
            ("statuses", List(&Any), Optional),
        ],
        "FilterKeyword" => &[("id", Id, Required), ("keyword", Text, Required), ("whole_word", Bool, Required)],
        "FilterResult" => &[
            ("filter", E("Filter"), Required),
            ("keyword_matches", Null(&List(&Text)), Required),
            ("status_matches", Null(&List(&Id)), Required),
        ],
        "FilterV1" => &[
            ("id", Id, Required),
            ("phrase", Text, Required),
            ("context", List(&OneOf(FILTER_CONTEXTS)), Required),
            ("expires_at", Null(&Time), Required),
            ("irreversible", Bool, Required),
            ("whole_word", Bool, Required),
        ],
        "Conversation" => &[
            ("id", Id, Required),
            ("unread", Bool, Required),
            ("accounts", List(&E("Account")), Required),
            ("last_status", Null(&E("Status")), Required),
        ],
        "Error" => &[("error", Text, Required)],
        other => panic!("no schema for the entity {other}"),
    }
}

/// What a successful answer to `method path` must be, for the endpoints of
/// Mastodon's API; `None` for ours (`/api/maillage/…`) and those with no
/// entity (`{}`).
pub(crate) fn expected(method: &Method, path: &str) -> Option<T> {
    let path = path.split('?').next().unwrap_or_default().trim_end_matches('/');
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let shape = match (method.as_str(), segments.as_slice()) {
        ("POST", ["api", "v1", "apps"]) => E("CredentialApplication"),
        ("GET", ["api", "v1", "instance"]) => E("InstanceV1"),
        ("GET", ["api", "v2", "instance"]) => E("InstanceV2"),
        ("GET", ["api", "v1", "instance", "peers"]) => List(&Text),
        ("GET", ["api", "v1", "accounts", "verify_credentials"])
        | ("PATCH", ["api", "v1", "accounts", "update_credentials"]) => E("CredentialAccount"),
        ("GET", ["api", "v1", "accounts", "relationships"]) => List(&E("Relationship")),
        ("GET", ["api", "v1", "accounts", "lookup"]) => E("Account"),
        ("GET", ["api", "v1", "accounts", "search"]) => List(&E("Account")),
        ("GET", ["api", "v1", "accounts", _]) => E("Account"),
        ("GET", ["api", "v1", "accounts", _, "statuses"]) => List(&E("Status")),
        ("GET", ["api", "v1", "accounts", _, "followers" | "following"]) => List(&E("Account")),
        ("GET", ["api", "v1", "accounts", _, "featured_tags"]) => List(&E("FeaturedTag")),
        ("GET", ["api", "v1", "accounts", _, "lists"]) => List(&E("List")),
        ("POST", ["api", "v1", "accounts", _, "follow" | "unfollow" | "block" | "unblock" | "mute" | "unmute"]) => {
            E("Relationship")
        }
        ("POST", ["api", "v1" | "v2", "media"]) => E("MediaAttachment"),
        ("GET" | "PUT", ["api", "v1", "media", _]) => E("MediaAttachment"),
        ("POST", ["api", "v1", "statuses"]) => E("Status"),
        ("GET" | "PUT" | "DELETE", ["api", "v1", "statuses", _]) => E("Status"),
        ("GET", ["api", "v1", "statuses", _, "source"]) => E("StatusSource"),
        ("GET", ["api", "v1", "statuses", _, "context"]) => E("Context"),
        ("GET", ["api", "v1", "statuses", _, "favourited_by" | "reblogged_by"]) => List(&E("Account")),
        (
            "POST",
            [
                "api",
                "v1",
                "statuses",
                _,
                "favourite" | "unfavourite" | "reblog" | "unreblog" | "bookmark" | "unbookmark" | "pin" | "unpin",
            ],
        ) => E("Status"),
        ("GET", ["api", "v1", "timelines", ..]) => List(&E("Status")),
        ("GET", ["api", "v1", "bookmarks" | "favourites"]) => List(&E("Status")),
        ("GET", ["api", "v1", "notifications"]) => List(&E("Notification")),
        ("GET", ["api", "v1", "notifications", id]) if *id != "policy" => E("Notification"),
        ("GET", ["api", "v2", "search"]) => E("Search"),
        ("GET", ["api", "v1", "tags", _]) => E("Tag"),
        ("GET", ["api", "v1", "preferences"]) => Map(&Any),
        ("GET", ["api", "v1", "announcements"]) => List(&E("Announcement")),
        ("GET", ["api", "v1", "custom_emojis"]) => List(&E("CustomEmoji")),
        ("GET", ["api", "v1", "trends"] | ["api", "v1", "trends", "tags"]) => List(&E("Tag")),
        ("GET", ["api", "v1", "trends", "statuses"]) => List(&E("Status")),
        ("GET" | "POST", ["api", "v1", "markers"]) => Map(&E("Marker")),
        ("GET", ["api", "v1", "lists"]) => List(&E("List")),
        ("POST", ["api", "v1", "lists"]) | ("GET" | "PUT", ["api", "v1", "lists", _]) => E("List"),
        ("GET", ["api", "v1", "lists", _, "accounts"]) => List(&E("Account")),
        ("GET", ["api", "v2", "filters"]) => List(&E("Filter")),
        ("POST", ["api", "v2", "filters"]) | ("GET" | "PUT", ["api", "v2", "filters", _]) => E("Filter"),
        ("GET", ["api", "v2", "filters", _, "keywords"]) => List(&E("FilterKeyword")),
        ("POST", ["api", "v2", "filters", _, "keywords"])
        | ("GET" | "PUT", ["api", "v2", "filters", "keywords", _]) => E("FilterKeyword"),
        ("GET", ["api", "v1", "filters"]) => List(&E("FilterV1")),
        ("GET", ["api", "v1", "follow_requests" | "mutes" | "blocks"]) => List(&E("Account")),
        ("POST", ["api", "v1", "follow_requests", _, "authorize" | "reject"]) => E("Relationship"),
        ("GET", ["api", "v1", "conversations"]) => List(&E("Conversation")),
        ("POST", ["api", "v1", "conversations", _, "read"]) => E("Conversation"),
        _ => return None,
    };
    Some(shape)
}

/// What is wrong with `value` as a `shape`, each at its JSON path.
pub(crate) fn violations(value: &Value, shape: T) -> Vec<String> {
    let mut found = Vec::new();
    check(value, shape, "$", &mut found);
    found
}

fn check(value: &Value, shape: T, at: &str, found: &mut Vec<String>) {
    let mut wrong = |what: &str| found.push(format!("{at}: {what}, got {}", brief(value)));
    match shape {
        Any => {}
        Text if !value.is_string() => wrong("a string"),
        Bool if !value.is_boolean() => wrong("a boolean"),
        Int if !value.is_i64() => wrong("an integer"),
        Id if value.as_str().is_none_or(str::is_empty) => wrong("a string id"),
        Url => {
            let absolute = value
                .as_str()
                .and_then(|s| url::Url::parse(s).ok())
                .is_some_and(|u| matches!(u.scheme(), "http" | "https" | "ws" | "wss") && u.host().is_some());
            if !absolute {
                wrong("an absolute URL");
            }
        }
        Time => {
            if value.as_str().is_none_or(|s| chrono::DateTime::parse_from_rfc3339(s).is_err()) {
                wrong("an ISO 8601 date and time");
            }
        }
        Day => {
            if value.as_str().is_none_or(|s| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_err()) {
                wrong("an ISO 8601 date");
            }
        }
        OneOf(allowed) => {
            if !value.as_str().is_some_and(|s| allowed.contains(&s)) {
                wrong(&format!("one of {allowed:?}"));
            }
        }
        Null(inner) => {
            if !value.is_null() {
                check(value, *inner, at, found);
            }
        }
        List(inner) => match value.as_array() {
            Some(items) => {
                for (i, item) in items.iter().enumerate() {
                    check(item, *inner, &format!("{at}[{i}]"), found);
                }
            }
            None => wrong("an array"),
        },
        Map(inner) => match value.as_object() {
            Some(object) => {
                for (key, item) in object {
                    check(item, *inner, &format!("{at}.{key}"), found);
                }
            }
            None => wrong("an object"),
        },
        E(entity) => match value.as_object() {
            Some(object) => {
                for (name, field, presence) in fields(entity) {
                    match object.get(*name) {
                        Some(item) => check(item, *field, &format!("{at}.{name}"), found),
                        None if *presence == Required => found.push(format!("{at}: {entity} lacks `{name}`")),
                        None => {}
                    }
                }
            }
            None => wrong(&format!("a {entity} object")),
        },
        Text | Bool | Int | Id => {}
    }
}

fn brief(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 80 { format!("{}…", text.chars().take(80).collect::<String>()) } else { text }
}

/// Checks an answer of `call`: a success against the endpoint's entity, an
/// error against Mastodon's `{"error": …}`.
pub(crate) fn assert_conforms(method: &Method, path: &str, status: u16, body: &Value) {
    let shape = match status {
        200..=299 => expected(method, path),
        400..=599 if path.starts_with("/api/v") => Some(E("Error")),
        _ => None,
    };
    if let Some(shape) = shape {
        let found = violations(body, shape);
        if std::env::var_os("MAILLAGE_ENTITY_REPORT").is_some() {
            found.iter().for_each(|f| eprintln!("ENTITY {method} {path} {f}"));
            return;
        }
        assert!(
            found.is_empty(),
            "{method} {path} answered {status} with an entity unlike Mastodon's:\n{}",
            found.join("\n")
        );
    }
}

#[test]
fn the_schema_catches_what_strict_apps_refuse() {
    let account = json!({
        "id": "1", "username": "a", "acct": "a", "url": "https://h.example/a", "uri": "https://h.example/a",
        "display_name": "", "note": "", "avatar": "", "avatar_static": "/missing.png",
        "header": "https://h.example/h.png", "header_static": "https://h.example/h.png", "locked": false,
        "fields": [], "emojis": [], "bot": false, "group": false, "discoverable": null,
        "created_at": "2026-12-05", "last_status_at": null, "statuses_count": 0, "followers_count": "0",
    });
    let found = violations(&account, E("Account"));
    for expected in [
        "$.avatar: an absolute URL, got \"\"",
        "$.avatar_static: an absolute URL, got \"/missing.png\"",
        "$.created_at: an ISO 8601 date and time, got \"2026-12-05\"",
        "$.followers_count: an integer, got \"0\"",
        "$: Account lacks `following_count`",
    ] {
        assert!(found.iter().any(|f| f == expected), "{expected} not in {found:?}");
    }
    assert_eq!(found.len(), 5, "{found:?}");
    assert!(violations(&json!([{ "id": 1 }]), List(&E("Rule"))).contains(&"$[0].id: a string id, got 1".to_string()));
}

/// A tour of the client API on an instance with a bit of everything: each
/// kind of entity is met, and every answer goes through `call`'s check.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_entity_the_api_returns_is_shaped_as_mastodon_documents_it() -> anyhow::Result<()> {
    let a = instance().await?;
    let (marie, paul) = (login(&a, "marie").await?, login(&a, "paul").await?);
    let get = |path: String, token: Option<String>| {
        let a = &a;
        async move { call(a, Method::GET, &path, token.as_deref(), None).await }
    };
    let (m, p) = (Some(marie.clone()), Some(paul.clone()));
    let post = json!({ "status": "Bonjour @paul #coop", "maillage_as": "coop" });
    let (status, posted) = call(&a, Method::POST, "/api/v1/statuses", Some(&marie), Some(post)).await?;
    assert_eq!(status, 200, "{posted}");
    let id = posted["id"].as_str().unwrap().to_string();
    let reply = json!({ "status": "Merci !", "in_reply_to_id": id });
    let (status, replied) = call(&a, Method::POST, "/api/v1/statuses", Some(&paul), Some(reply)).await?;
    assert_eq!(status, 200, "{replied}");
    let coop = posted["account"]["id"].as_str().unwrap().to_string();
    assert_eq!(call(&a, Method::POST, &format!("/api/v1/accounts/{coop}/follow"), Some(&paul), None).await?.0, 200);
    assert_eq!(call(&a, Method::POST, &format!("/api/v1/statuses/{id}/favourite"), Some(&paul), None).await?.0, 200);
    a.cli(&["admin", "announcement", "create", "Bienvenue"]).await?;
    for (path, token) in [
        ("/api/v1/instance".to_string(), None),
        ("/api/v2/instance".to_string(), None),
        ("/api/v1/accounts/verify_credentials".to_string(), m.clone()),
        (format!("/api/v1/accounts/{coop}"), None),
        (format!("/api/v1/accounts/relationships?id[]={coop}"), p.clone()),
        (format!("/api/v1/accounts/{coop}/statuses"), None),
        (format!("/api/v1/accounts/{coop}/followers"), None),
        (format!("/api/v1/statuses/{id}"), None),
        (format!("/api/v1/statuses/{id}/context"), None),
        (format!("/api/v1/statuses/{id}/source"), m.clone()),
        ("/api/v1/timelines/home".to_string(), p.clone()),
        ("/api/v1/timelines/public".to_string(), None),
        ("/api/v1/timelines/tag/coop".to_string(), None),
        ("/api/v1/tags/coop".to_string(), None),
        ("/api/v1/notifications".to_string(), p.clone()),
        ("/api/v1/notifications".to_string(), m.clone()),
        ("/api/v2/search?q=coop".to_string(), p.clone()),
        ("/api/v1/preferences".to_string(), p.clone()),
        ("/api/v1/announcements".to_string(), p.clone()),
        ("/api/v1/custom_emojis".to_string(), None),
        ("/api/v1/statuses/0".to_string(), None),
    ] {
        let (status, body) = get(path.clone(), token).await?;
        assert!(status == 200 || path.ends_with("/0"), "{path}: {status} {body}");
        assert!(expected(&Method::GET, &path).is_some(), "{path} has a schema");
    }
    // Each kind of notification was met (and so checked) above.
    let kinds = |list: Value| -> Vec<String> {
        list.as_array().unwrap().iter().filter_map(|n| n["type"].as_str().map(str::to_string)).collect()
    };
    let (_, mine) = get("/api/v1/notifications".into(), m.clone()).await?;
    let (_, his) = get("/api/v1/notifications".into(), p.clone()).await?;
    let (mine, his) = (kinds(mine), kinds(his));
    assert!(mine.contains(&"follow".into()) && mine.contains(&"favourite".into()), "{mine:?}");
    assert!(his.contains(&"mention".into()), "{his:?}");
    Ok(())
}
