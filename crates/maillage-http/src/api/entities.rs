//! Mastodon API entities (Account, Status, Relationship) built from our
//! actors and posts, and the ids clients see.
//!
//! Every field an app decodes as required is present and typed; a URL is
//! never empty (an account without pictures names our default images).
//!
//! Ids are decimal strings, as Mastodon's. Local actors and posts keep their
//! row id; remote ones are offset by [`REMOTE_OFFSET`], so one number names
//! one thing and stays below 2^53 (safe in JavaScript clients).

use maillage_db::{LocalActor, Post, RemoteActor, RemoteObject, StatusFacts, StatusFactsWanted};
use maillage_domain::html::http_url;
use maillage_domain::{ActorKind, PostKind};
use maillage_federation::objects;
use serde_json::{Value, json};

use crate::{AppState, HttpError};

pub const REMOTE_OFFSET: i64 = 1_000_000_000_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ref {
    Local(i64),
    Remote(i64),
}

impl Ref {
    pub fn parse(id: &str) -> Result<Ref, HttpError> {
        let n: i64 = id.trim().parse().map_err(|_| HttpError::NotFound("Record not found".into()))?;
        match n {
            n if n <= 0 => Err(HttpError::NotFound("Record not found".into())),
            n if n >= REMOTE_OFFSET => Ok(Ref::Remote(n - REMOTE_OFFSET)),
            n => Ok(Ref::Local(n)),
        }
    }

    pub fn id(self) -> String {
        match self {
            Ref::Local(n) => n.to_string(),
            Ref::Remote(n) => (n + REMOTE_OFFSET).to_string(),
        }
    }
}

pub(crate) fn iso(time: maillage_db::UtcTime) -> String {
    time.as_datetime().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The Account of a local actor.
pub async fn local_account(state: &AppState, actor: &LocalActor) -> Result<Value, HttpError> {
    use maillage_db::{Direction, FollowState};
    // Followers and follows here and on other servers.
    let (followers_here, following_here) = state.db().count_local_follows(actor.id).await?;
    let followers =
        state.db().count_follows(actor.id, Direction::Incoming, FollowState::Accepted).await? + followers_here;
    let following =
        state.db().count_follows(actor.id, Direction::Outgoing, FollowState::Accepted).await? + following_here;
    let statuses = state.db().count_posts(actor.id).await?;
    Ok(local_account_with_counts(state, actor, followers, following, statuses))
}

/// The images an account shows: its own (stored here or, for another
/// server's account, its `icon`), else our defaults, so that an account
/// never has an empty `avatar`.
fn images(state: &AppState, avatar: Option<&str>, header: Option<&str>) -> [(&'static str, String); 4] {
    let base = state.federation().context().urls.base();
    let avatar = avatar.map(str::to_string).unwrap_or_else(|| crate::default_images::avatar_url(base));
    let header = header.map(str::to_string).unwrap_or_else(|| crate::default_images::header_url(base));
    [("avatar", avatar.clone()), ("avatar_static", avatar), ("header", header.clone()), ("header_static", header)]
}

/// The URL of a stored picture of one of our actors.
fn picture_url(state: &AppState, key: Option<&str>) -> Option<String> {
    key.map(|key| maillage_federation::content::protocol::media_url(&state.federation().context().urls, key))
}

fn with_images(mut account: Value, images: [(&'static str, String); 4]) -> Value {
    for (field, url) in images {
        account[field] = json!(url);
    }
    account
}

fn local_account_with_counts(
    state: &AppState,
    actor: &LocalActor,
    followers: i64,
    following: i64,
    statuses: i64,
) -> Value {
    let note = maillage_domain::html::plain_text_to_html(&actor.summary);
    let account = json!({
        "id": Ref::Local(actor.id).id(),
        "username": actor.username,
        "acct": actor.username,
        "display_name": actor.display_name,
        "locked": actor.manually_approves_followers,
        "bot": actor.kind() == ActorKind::Instance,
        "discoverable": actor.discoverable,
        "group": actor.kind() == ActorKind::Hub,
        "created_at": iso(actor.created_at),
        "note": note,
        "url": actor.ap_id,
        "uri": actor.ap_id,
        "followers_count": followers,
        "following_count": following,
        "statuses_count": statuses,
        "last_status_at": null,
        "emojis": [],
        "fields": local_fields(actor),
        "maillage_kind": actor.kind().as_str(),
    });
    let (avatar, header) =
        (picture_url(state, actor.icon_key.as_deref()), picture_url(state, actor.image_key.as_deref()));
    with_images(account, images(state, avatar.as_deref(), header.as_deref()))
}

/// An Account's `fields` (none is verified here).
fn fields_json<N: AsRef<str>>(fields: Vec<(N, String)>) -> Value {
    json!(
        fields
            .into_iter()
            .map(|(name, value)| json!({ "name": name.as_ref(), "value": value, "verified_at": null }))
            .collect::<Vec<_>>()
    )
}

/// The profile fields of an enterprise, as it federates them.
fn local_fields(actor: &LocalActor) -> Value {
    let profile = actor.profile_json.as_deref().and_then(|j| serde_json::from_str(j).ok());
    match profile {
        Some(profile) if actor.kind() == ActorKind::Enterprise => {
            fields_json(maillage_federation::documents::profile_fields(&profile))
        }
        _ => json!([]),
    }
}

/// The Account of a remote actor. Its links reach clients only when they
/// are http(s): another server chooses them.
pub fn remote_account(state: &AppState, actor: &RemoteActor) -> Value {
    let url = actor.url.as_deref().and_then(http_url).or_else(|| http_url(&actor.ap_id));
    // An actor id that is not http(s) is refused when the actor is stored.
    let url = url.unwrap_or_else(|| actor.ap_id.clone());
    let document: Value = serde_json::from_str(&actor.raw_json).unwrap_or(Value::Null);
    // Our copy of its avatar and header (`/media/actors/<id>/...`, which
    // falls back to our default image when the copy cannot be made).
    let ours = |role: maillage_domain::RemoteMediaRole| {
        maillage_federation::content::protocol::remote_actor_image_url(
            &state.federation().context().urls,
            actor.id,
            role,
        )
    };
    let avatar = actor.icon_url.as_deref().and_then(http_url).map(|_| ours(maillage_domain::RemoteMediaRole::Avatar));
    let header = document
        .get("image")
        .and_then(objects::first_link)
        .and_then(|u| http_url(&u))
        .map(|_| ours(maillage_domain::RemoteMediaRole::Header));
    let account = json!({
        "id": Ref::Remote(actor.id).id(),
        "username": actor.username,
        "acct": format!("{}@{}", actor.username, actor.domain),
        "display_name": actor.display_name.clone().unwrap_or_default(),
        "locked": actor.manually_approves_followers,
        "bot": matches!(actor.actor_type.as_str(), "Service" | "Application"),
        "discoverable": true,
        "group": actor.actor_type == "Group",
        "created_at": iso(actor.created_at),
        "note": maillage_domain::html::sanitize_remote_html(actor.summary.as_deref().unwrap_or_default()),
        "url": url,
        "uri": actor.ap_id,
        "followers_count": actor.followers_count.unwrap_or(0),
        "following_count": actor.following_count.unwrap_or(0),
        "statuses_count": actor.statuses_count.unwrap_or(0),
        "last_status_at": null,
        "emojis": [],
        "fields": fields_json(objects::profile_fields_of(&document)),
    });
    with_images(account, images(state, avatar.as_deref(), header.as_deref()))
}

/// The Account shown for an author we do not know (yet): every field an
/// app requires, named after the author's address `uri` when there is one.
pub fn unknown_account(state: &AppState, uri: Option<&str>, seen_at: maillage_db::UtcTime) -> Value {
    let base = state.federation().context().urls.base();
    let uri = uri.and_then(http_url);
    let host = uri.as_deref().and_then(|u| url::Url::parse(u).ok()).and_then(|u| u.host_str().map(str::to_string));
    let account = json!({
        "id": "0",
        "username": "unknown",
        "acct": host.map_or_else(|| "unknown".to_string(), |host| format!("unknown@{host}")),
        "display_name": "",
        "locked": false,
        "bot": false,
        "discoverable": false,
        "group": false,
        "created_at": iso(seen_at),
        "note": "",
        "url": uri.clone().unwrap_or_else(|| base.to_string()),
        "uri": uri.unwrap_or_else(|| base.to_string()),
        "followers_count": 0,
        "following_count": 0,
        "statuses_count": 0,
        "last_status_at": null,
        "emojis": [],
        "fields": [],
    });
    with_images(account, images(state, None, None))
}

fn base_status(
    id: String,
    uri: &str,
    url: &str,
    created_at: String,
    account: Value,
    content: String,
    language: Option<&str>,
) -> Value {
    json!({
        "id": id,
        "uri": uri,
        "url": url,
        "created_at": created_at,
        "account": account,
        "content": content,
        "visibility": "public",
        "sensitive": false,
        "spoiler_text": "",
        "media_attachments": [],
        "mentions": [],
        "tags": [],
        "emojis": [],
        "reblogs_count": 0,
        "favourites_count": 0,
        "replies_count": 0,
        "in_reply_to_id": null,
        "in_reply_to_account_id": null,
        "reblog": null,
        "language": language,
        "edited_at": null,
        "favourited": false,
        "reblogged": false,
        "muted": false,
        "bookmarked": false,
        "pinned": false,
        "card": null,
        "poll": null,
        "application": null,
    })
}

/// How Mastodon shows a long-form object: title, summary, link.
fn article_content(title: Option<&str>, summary: Option<&str>, url: &str) -> String {
    let mut html = String::new();
    if let Some(title) = title.filter(|t| !t.is_empty()) {
        html.push_str(&format!("<p><strong>{}</strong></p>", html_escape::encode_text(title)));
    }
    if let Some(summary) = summary.filter(|s| !s.is_empty()) {
        html.push_str(&format!("<p>{}</p>", html_escape::encode_text(summary)));
    }
    if !url.is_empty() {
        let href = html_escape::encode_double_quoted_attribute(url);
        html.push_str(&format!("<p><a href=\"{href}\">{}</a></p>", html_escape::encode_text(url)));
    }
    html
}

/// A status to show: one of our posts, or a remote object.
#[derive(Debug, Clone, Copy)]
pub enum StatusOf<'a> {
    Local(&'a Post),
    Remote(&'a RemoteObject),
}

/// The member who reads: their likes, reshares and bookmarks show on
/// the statuses (`None`: someone not signed in, for whom they are false).
pub type Viewer<'a> = Option<&'a LocalActor>;

/// The Statuses of a page, with what they show (authors, counts, parents,
/// mentions, what the viewer did to them) read for the whole page at once.
pub async fn statuses(state: &AppState, page: &[StatusOf<'_>], viewer: Viewer<'_>) -> Result<Vec<Value>, HttpError> {
    let (mut local_actors, mut remote_actors, mut objects, mut parents, mut mentioned, mut posts) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for status in page {
        match status {
            StatusOf::Local(post) => {
                local_actors.push(post.actor_id);
                posts.push(post.id);
                objects.push(post.ap_id.clone());
                parents.extend(post.in_reply_to.clone());
            }
            StatusOf::Remote(object) => {
                remote_actors.extend(object.attributed_to.clone());
                objects.push(object.ap_id.clone());
                parents.extend(object.in_reply_to.clone());
            }
        }
        mentioned.extend(mentioned_ids(status));
    }
    // A mention names an actor of this server or of another.
    remote_actors.extend(mentioned.iter().cloned());
    for list in [&mut remote_actors, &mut objects, &mut parents, &mut mentioned] {
        list.sort();
        list.dedup();
    }
    local_actors.sort();
    local_actors.dedup();
    let wanted = StatusFactsWanted {
        local_actors: &local_actors,
        remote_actors: &remote_actors,
        objects: &objects,
        parents: &parents,
        viewer,
        shown: &objects,
        mentioned: &mentioned,
        posts: &posts,
    };
    let facts = state.db().status_facts(wanted).await?;
    // The attachments of the whole page, in one query.
    let mut attachments: std::collections::HashMap<i64, Vec<Value>> = std::collections::HashMap::new();
    let open: std::collections::HashMap<i64, bool> = page
        .iter()
        .filter_map(|s| match s {
            StatusOf::Local(post) => Some((post.id, post.visibility().is_open())),
            StatusOf::Remote(_) => None,
        })
        .collect();
    for media in state.db().media_of_posts(&posts).await? {
        if let Some(post_id) = media.post_id {
            let public = open.get(&post_id).copied().unwrap_or(false);
            attachments.entry(post_id).or_default().push(super::mastodon::media_attachment(state, &media, public));
        }
    }
    let remote_ids: Vec<i64> = page
        .iter()
        .filter_map(|s| match s {
            StatusOf::Remote(object) => Some(object.id),
            StatusOf::Local(_) => None,
        })
        .collect();
    let mut remote_attachments: std::collections::HashMap<i64, Vec<Value>> = std::collections::HashMap::new();
    for media in state.db().attachments_of_remote_objects(&remote_ids).await? {
        if let Some(object_id) = media.remote_object_id {
            remote_attachments
                .entry(object_id)
                .or_default()
                .push(super::mastodon::remote_media_attachment(state, &media));
        }
    }
    page.iter()
        .map(|status| {
            let (mut shown, uri) = match status {
                StatusOf::Local(post) => (local_status_with(state, &facts, post)?, &post.ap_id),
                StatusOf::Remote(object) => (remote_status_with(state, &facts, object), &object.ap_id),
            };
            thread_fields(&mut shown, &facts, status);
            if let StatusOf::Local(post) = status
                && let Some(media) = attachments.remove(&post.id)
            {
                shown["media_attachments"] = json!(media);
            }
            if let StatusOf::Remote(object) = status
                && let Some(media) = remote_attachments.remove(&object.id)
            {
                shown["media_attachments"] = json!(media);
            }
            shown["favourited"] = json!(facts.favourited.contains(uri));
            shown["reblogged"] = json!(facts.reblogged.contains(uri));
            shown["bookmarked"] = json!(facts.bookmarked.contains(uri));
            Ok(shown)
        })
        .collect()
}

/// The ActivityPub ids of the actors a status mentions.
fn mentioned_ids(status: &StatusOf<'_>) -> Vec<String> {
    match status {
        StatusOf::Local(post) => serde_json::from_str::<Vec<Value>>(&post.mentions_json)
            .unwrap_or_default()
            .iter()
            .filter_map(|mention| mention["href"].as_str().map(str::to_string))
            .collect(),
        StatusOf::Remote(object) => {
            objects::mentions_of(&serde_json::from_str(&object.raw_json).unwrap_or(Value::Null))
        }
    }
}

/// What places a status in its thread: the status and account it replies
/// to, its replies, the accounts it mentions (those we know).
fn thread_fields(shown: &mut Value, facts: &StatusFacts, status: &StatusOf<'_>) {
    let (ap_id, parent) = match status {
        StatusOf::Local(post) => (&post.ap_id, post.in_reply_to.as_deref()),
        StatusOf::Remote(object) => (&object.ap_id, object.in_reply_to.as_deref()),
    };
    shown["replies_count"] = json!(facts.replies.get(ap_id).copied().unwrap_or(0));
    if let Some(parent) = parent {
        if let Some(remote) = facts.parent_remote_objects.get(parent) {
            shown["in_reply_to_id"] = json!(Ref::Remote(*remote).id());
            let author = facts.parent_remote_authors.get(parent);
            shown["in_reply_to_account_id"] = json!(author.map(|a| Ref::Remote(*a).id()));
        } else if let Some(local) = facts.parent_posts.get(parent) {
            shown["in_reply_to_id"] = json!(Ref::Local(*local).id());
            let author = facts.parent_post_authors.get(parent);
            shown["in_reply_to_account_id"] = json!(author.map(|a| Ref::Local(*a).id()));
        }
    }
    let mentions: Vec<Value> = mentioned_ids(status)
        .iter()
        .filter_map(|id| {
            if let Some(actor) = facts.mentioned_local.get(id) {
                Some(json!({
                    "id": Ref::Local(actor.id).id(),
                    "username": actor.username,
                    "acct": actor.username,
                    "url": actor.ap_id,
                }))
            } else {
                facts.remote_actors.get(id).map(|actor| {
                    json!({
                        "id": Ref::Remote(actor.id).id(),
                        "username": actor.username,
                        "acct": format!("{}@{}", actor.username, actor.domain),
                        "url": actor.url.as_deref().and_then(http_url).unwrap_or_else(|| actor.ap_id.clone()),
                    })
                })
            }
        })
        .collect();
    shown["mentions"] = json!(mentions);
}

/// The Status of one of our posts.
pub async fn local_status(state: &AppState, post: &Post, viewer: Viewer<'_>) -> Result<Value, HttpError> {
    one_status(state, StatusOf::Local(post), viewer).await
}

/// The Status of a remote object.
pub async fn remote_status(state: &AppState, object: &RemoteObject, viewer: Viewer<'_>) -> Result<Value, HttpError> {
    one_status(state, StatusOf::Remote(object), viewer).await
}

async fn one_status(state: &AppState, status: StatusOf<'_>, viewer: Viewer<'_>) -> Result<Value, HttpError> {
    statuses(state, &[status], viewer).await?.pop().ok_or_else(|| HttpError::Internal("no status built".into()))
}

fn local_status_with(state: &AppState, facts: &StatusFacts, post: &Post) -> Result<Value, HttpError> {
    let actor = facts.local_actors.get(&post.actor_id).ok_or_else(|| HttpError::NotFound("Record not found".into()))?;
    let count = |counts: &std::collections::HashMap<i64, i64>| counts.get(&actor.id).copied().unwrap_or(0);
    let account = local_account_with_counts(
        state,
        actor,
        count(&facts.followers),
        count(&facts.following),
        count(&facts.post_counts),
    );
    let content = if post.kind == PostKind::Article {
        article_content(post.title.as_deref(), post.summary.as_deref(), &post.ap_id)
    } else {
        post.content_html.clone()
    };
    let mut status = base_status(
        Ref::Local(post.id).id(),
        &post.ap_id,
        &post.ap_id,
        iso(post.published),
        account,
        content,
        Some(&post.language),
    );
    status["visibility"] = json!(post.visibility().mastodon_name());
    status["edited_at"] = json!(post.updated.map(iso));
    let tags: Vec<String> = serde_json::from_str(&post.tags_json).unwrap_or_default();
    status["tags"] = tags_json(state, &tags);
    if let Some(warning) = &post.content_warning {
        status["spoiler_text"] = json!(warning);
        status["sensitive"] = json!(true);
    }
    status["favourites_count"] = json!(facts.likes.get(&post.ap_id).copied().unwrap_or(0));
    status["reblogs_count"] = json!(facts.reshares.get(&post.ap_id).copied().unwrap_or(0));
    if let Some((name, website)) = facts.applications.get(&post.id) {
        status["application"] = json!({ "name": name, "website": website });
    }
    Ok(status)
}

fn remote_status_with(state: &AppState, facts: &StatusFacts, object: &RemoteObject) -> Value {
    let account = match object.attributed_to.as_ref().and_then(|id| facts.remote_actors.get(id)) {
        Some(actor) => remote_account(state, actor),
        None => unknown_account(state, object.attributed_to.as_deref(), object.created_at),
    };
    let url = object.url.as_deref().and_then(http_url).or_else(|| http_url(&object.ap_id)).unwrap_or_default();
    let content = match object.kind.as_str() {
        "Note" | "Question" => object.content_html.clone().unwrap_or_default(),
        _ => article_content(object.name.as_deref(), object.summary.as_deref().map(html_to_text).as_deref(), &url),
    };
    let created = object.published.unwrap_or(object.created_at);
    let mut status = base_status(
        Ref::Remote(object.id).id(),
        &object.ap_id,
        &url,
        iso(created),
        account,
        content,
        object.language.as_deref(),
    );
    status["edited_at"] = json!(object.updated.map(iso));
    status["visibility"] = json!(object.visibility().mastodon_name());
    let json: Value = serde_json::from_str(&object.raw_json).unwrap_or(Value::Null);
    status["tags"] = tags_json(state, &objects::hashtags_of(&json));
    // A Note's `summary` is its content warning; an Article's is its abstract, shown above.
    let warning = match object.kind.as_str() {
        "Note" | "Question" => object.summary.as_deref().map(html_to_text).unwrap_or_default(),
        _ => String::new(),
    };
    status["sensitive"] = json!(objects::is_sensitive(&json) || !warning.is_empty());
    status["spoiler_text"] = json!(warning);
    status
}

/// Mastodon's `tags` of a status: names, and their page on this instance.
fn tags_json(state: &AppState, names: &[String]) -> Value {
    let urls = &state.federation().context().urls;
    json!(names.iter().map(|name| json!({ "name": name, "url": urls.tag(name) })).collect::<Vec<_>>())
}

fn html_to_text(html: &str) -> String {
    maillage_domain::html::html_to_text(html)
}
