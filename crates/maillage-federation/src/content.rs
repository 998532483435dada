//! Publishing: enterprises' updates (`Note`) and shared practices
//! (`Article`), their edits and deletions, the hub's reshares and featured
//! items, and enterprise profile changes.
//!
//! Who receives what (docs/FEDERATION.md, "Who sees what"):
//! - a post goes to the enterprise's followers (public: `to` Public, `cc`
//!   followers; unlisted: `to` followers, `cc` Public; followers-only: `to`
//!   followers), to mentioned actors, and, when anyone may read it, to the
//!   author of the post it replies to; a direct post goes to the actors it
//!   mentions only;
//! - the hub reshares every public post of a local enterprise: followers that
//!   are `Group`s (other Maillage hubs, Lemmy communities: FEP-1b12 peers) get
//!   `Announce{Create}` (and later `Announce{Update}` / `Announce{Delete}`),
//!   every other follower gets `Announce{object id}`, which is what Mastodon
//!   understands;
//! - a profile change sends `Update{Organization}` to the enterprise's followers.

use std::collections::BTreeSet;

use maillage_db::{Direction, FollowState, LocalActor, NewPost, Outgoing, Post, PostContent, UtcTime};
use maillage_domain::html::{html_to_text, plain_text_to_html, render_markdown, truncate_text};
use maillage_domain::{ActorKind, EnterpriseProfile, ProfileChanges, Visibility};
use serde_json::{Value, json};

use crate::activities::resolve_actor;
use crate::context::{Context, Federation};
use crate::documents::actor_document;
use crate::error::FederationError;
use crate::urls::Urls;

pub const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";
pub const AS_CONTEXT: &str = "https://www.w3.org/ns/activitystreams";
/// Default licence of shared practices (FEP-c118 style: an IRI in `license`).
pub const DEFAULT_LICENCE: &str = "https://creativecommons.org/licenses/by-sa/4.0/";
pub const SUMMARY_MAX: usize = 500;
pub const NOTE_MAX: usize = 5000;
pub const TITLE_MAX: usize = 200;

/// The `@context` of our objects: ActivityStreams plus the terms we add.
pub fn object_context() -> Value {
    json!([
        AS_CONTEXT,
        {
            "Hashtag": "as:Hashtag",
            "sensitive": "as:sensitive",
            "license": { "@id": "http://purl.org/dc/terms/license", "@type": "@id" },
            "maillage": crate::documents::MAILLAGE_NS,
            "author": { "@id": "maillage:author", "@type": "@id" },
        }
    ])
}

/// An update to post for an enterprise.
#[derive(Debug, Clone)]
pub struct NoteDraft {
    pub enterprise: String,
    pub author: String,
    pub text: String,
    pub language: String,
    pub visibility: Visibility,
    pub in_reply_to: Option<String>,
    /// A content warning (Mastodon's `spoiler_text`), shown before the text.
    pub content_warning: Option<String>,
    /// The same update in a second language (sent in `contentMap`).
    pub translation: Option<Translation>,
}

/// An update's text in another language than its own.
#[derive(Debug, Clone, PartialEq)]
pub struct Translation {
    pub language: String,
    pub text: String,
}

/// A shared practice to publish (or the new version of one).
#[derive(Debug, Clone)]
pub struct PracticeDraft {
    pub enterprise: String,
    pub author: String,
    pub title: String,
    pub summary: String,
    pub body_markdown: String,
    pub tags: Vec<String>,
    pub licence: Option<String>,
    pub adapted_from: Option<String>,
    pub language: String,
}

/// A mention found in a text: who, and how it was written.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct Mention {
    pub href: String,
    pub name: String,
    /// Where to deliver to them; empty for an actor of this instance.
    pub inbox: String,
}

fn check_language(language: &str) -> Result<String, FederationError> {
    maillage_domain::vocabulary::LANGUAGES.parse(language).map(|t| t.code.to_string()).map_err(FederationError::invalid)
}

/// `#words` of a text, by their display names (lower case), without duplicates.
pub fn hashtags_in(text: &str) -> Vec<String> {
    let mut tags = Vec::new();
    for word in text.split(|c: char| c.is_whitespace() || ",.;:!?()[]\"'".contains(c)) {
        if let Some(tag) = word.strip_prefix('#') {
            let tag: String = tag.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if let Some(tag) = maillage_domain::tags::display_name(&tag)
                && !tags.contains(&tag)
            {
                tags.push(tag);
            }
        }
    }
    tags
}

/// `@user@domain` handles written in a text.
pub fn handles_in(text: &str) -> Vec<String> {
    let mut handles = Vec::new();
    for word in text.split(|c: char| c.is_whitespace() || ",;!?()[]\"'".contains(c)) {
        let word = word.trim_end_matches(['.', ':']);
        if let Some(rest) = word.strip_prefix('@')
            && let Some((user, domain)) = rest.split_once('@')
            && !user.is_empty()
            && domain.contains(['.', ':'])
            && !handles.contains(&word.to_string())
        {
            handles.push(word.to_string());
        }
    }
    handles
}

fn hashtag_json(urls: &Urls, tag: &str) -> Value {
    json!({ "type": "Hashtag", "name": format!("#{tag}"), "href": urls.tag(tag) })
}

/// Links `#tags` and mentions in HTML made from plain text.
fn link_tags_and_mentions(html: &str, urls: &Urls, tags: &[String], mentions: &[Mention]) -> String {
    let mut out = html.to_string();
    for mention in mentions {
        let user = mention.name.trim_start_matches('@').split('@').next().unwrap_or_default();
        let escaped_href = html_escape::encode_double_quoted_attribute(&mention.href);
        let link = format!(
            "<span class=\"h-card\"><a href=\"{escaped_href}\" class=\"u-url mention\">@<span>{}</span></a></span>",
            html_escape::encode_text(user)
        );
        out = out.replace(&html_escape::encode_text(&mention.name).into_owned(), &link);
    }
    for tag in tags {
        let link = format!(
            "<a href=\"{}\" class=\"mention hashtag\" rel=\"tag\">#<span>{}</span></a>",
            html_escape::encode_double_quoted_attribute(&urls.tag(tag)),
            html_escape::encode_text(tag)
        );
        // Whole words only, case-insensitively as written.
        out = replace_hashtag(&out, tag, &link);
    }
    out
}

fn replace_hashtag(html: &str, tag: &str, link: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(pos) = rest.find('#') {
        let (before, after) = rest.split_at(pos);
        out.push_str(before);
        let word: String = after[1..].chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        let preceded_ok = before.chars().last().is_none_or(|c| c.is_whitespace() || c == '>' || c == '(');
        if preceded_ok && maillage_domain::tags::display_name(&word).as_deref() == Some(tag) {
            out.push_str(link);
            rest = &after[1 + word.len()..];
        } else {
            out.push('#');
            rest = &after[1..];
        }
    }
    out.push_str(rest);
    out
}

async fn enterprise_and_author(
    ctx: &Context,
    enterprise: &str,
    author: &str,
) -> Result<(LocalActor, LocalActor), FederationError> {
    let author_actor = ctx
        .db
        .local_actor_by_username(author.trim_start_matches('@'))
        .await?
        .filter(|a| a.kind() == ActorKind::Member)
        .ok_or_else(|| FederationError::NotFound(format!("no member {author:?} on this instance")))?;
    // A member posting as themselves.
    if enterprise.trim_start_matches('@').eq_ignore_ascii_case(&author_actor.username) {
        return Ok((author_actor.clone(), author_actor));
    }
    let enterprise_actor = ctx
        .db
        .local_actor_by_username(enterprise.trim_start_matches('@'))
        .await?
        .filter(|a| a.kind() == ActorKind::Enterprise)
        .ok_or_else(|| FederationError::NotFound(format!("no enterprise {enterprise:?} on this instance")))?;
    if !ctx.db.is_editor(enterprise_actor.id, author_actor.id).await? {
        return Err(FederationError::Forbidden(format!(
            "{} cannot publish for {}: add them with `maillage admin enterprise add-editor`",
            author_actor.username, enterprise_actor.username
        )));
    }
    Ok((enterprise_actor, author_actor))
}

/// Inboxes of a local actor's accepted followers, with the followers' types
/// (deduplicated by shared inbox), read page by page.
async fn follower_inboxes(ctx: &Context, actor: &LocalActor) -> Result<Vec<(String, bool)>, FederationError> {
    let mut inboxes: Vec<(String, bool)> = Vec::new();
    let mut seen = BTreeSet::new();
    let mut before = None;
    loop {
        let page = ctx.db.follows_page(actor.id, Direction::Incoming, FollowState::Accepted, before, 500).await?;
        for follow in &page {
            let Some(inbox) = follow.remote_delivery_inbox().map(str::to_string) else { continue };
            if seen.insert(inbox.clone()) {
                inboxes.push((inbox, follow.remote_type == "Group"));
            }
        }
        match page.last() {
            Some(last) if page.len() == 500 => before = Some(last.id),
            _ => break,
        }
    }
    Ok(inboxes)
}

/// An activity of `actor` to store and deliver to `inboxes`.
pub(crate) fn outgoing(actor: &LocalActor, activity: &Value, public: bool, inboxes: Vec<String>) -> Outgoing {
    Outgoing {
        ap_id: activity["id"].as_str().unwrap_or_default().to_string(),
        actor_id: actor.id,
        kind: activity["type"].as_str().unwrap_or_default().to_string(),
        public,
        json: activity.to_string(),
        inboxes,
    }
}

/// The JSON of a local post (Note or Article), as served at its id.
pub fn post_document(post: &Post, enterprise: &LocalActor, author: Option<&LocalActor>, urls: &Urls) -> Value {
    let followers = Urls::of_actor(&enterprise.ap_id, "followers");
    let mentions: Vec<Mention> = serde_json::from_str(&post.mentions_json).unwrap_or_default();
    let mention_ids: Vec<&str> = mentions.iter().map(|m| m.href.as_str()).collect();
    let mentioned = mention_ids.iter().map(|m| json!(m));
    let (to, cc): (Vec<Value>, Vec<Value>) = match post.visibility() {
        Visibility::Public => (vec![json!(PUBLIC)], std::iter::once(json!(followers)).chain(mentioned).collect()),
        Visibility::Unlisted => (vec![json!(followers)], std::iter::once(json!(PUBLIC)).chain(mentioned).collect()),
        Visibility::Followers => (vec![json!(followers)], mentioned.collect()),
        Visibility::Direct => (mentioned.collect(), Vec::new()),
    };
    let tags: Vec<String> = serde_json::from_str(&post.tags_json).unwrap_or_default();
    let mut tag: Vec<Value> = tags.iter().map(|t| hashtag_json(urls, t)).collect();
    tag.extend(mentions.iter().map(|m| json!({ "type": "Mention", "href": m.href, "name": m.name })));
    let published = post.published.as_datetime().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut doc = json!({
        "@context": object_context(),
        "id": post.ap_id,
        "url": post.ap_id,
        "attributedTo": enterprise.ap_id,
        "published": published,
        "to": to,
        "cc": cc,
        "tag": tag,
        "sensitive": false,
    });
    if let Some(author) = author {
        doc["author"] = json!(author.ap_id);
    }
    if let Some(updated) = post.updated {
        doc["updated"] = json!(updated.as_datetime().to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    }
    if let Some(reply) = &post.in_reply_to {
        doc["inReplyTo"] = json!(reply);
    }
    // The member who wrote it is credited in the text (Mastodon shows one
    // author, the enterprise) and by the `author` extension.
    let credit = author.filter(|a| a.id != enterprise.id).map(|a| {
        format!(
            "<p>— <a href=\"{}\">@{}</a></p>",
            html_escape::encode_double_quoted_attribute(&a.ap_id),
            html_escape::encode_text(&a.username)
        )
    });
    if post.kind == maillage_domain::PostKind::Article {
        let content = post.content_html.clone();
        doc["type"] = json!("Article");
        doc["name"] = json!(post.title.clone().unwrap_or_default());
        doc["nameMap"] = json!({ &post.language: post.title.clone().unwrap_or_default() });
        doc["summary"] = json!(post.summary.clone().unwrap_or_default());
        doc["summaryMap"] = json!({ &post.language: post.summary.clone().unwrap_or_default() });
        doc["content"] = json!(content);
        doc["contentMap"] = json!({ &post.language: content });
        doc["mediaType"] = json!("text/html");
        doc["source"] = json!({ "content": post.source, "mediaType": "text/markdown" });
        doc["license"] = json!(post.licence.clone().unwrap_or_else(|| DEFAULT_LICENCE.to_string()));
        if let Some(origin) = &post.adapted_from {
            // FEP-e232 object link: this practice adapts another one.
            if let Some(t) = doc["tag"].as_array_mut() {
                t.push(json!({
                    "type": "Link",
                    "mediaType": "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"",
                    "href": origin,
                    "name": "adapted from",
                    "rel": "https://w3id.org/fep/e232#adaptedFrom",
                }));
            }
            doc["maillage:adaptedFrom"] = json!(origin);
        }
    } else {
        let content = format!("{}{}", post.content_html, credit.clone().unwrap_or_default());
        doc["type"] = json!("Note");
        doc["content"] = json!(content);
        let mut content_map = serde_json::Map::new();
        for language in post.translated_languages() {
            let translated = post.content_in(&language).unwrap_or_default();
            content_map.insert(language, json!(format!("{translated}{}", credit.clone().unwrap_or_default())));
        }
        content_map.insert(post.language.clone(), json!(content));
        doc["contentMap"] = Value::Object(content_map);
        if let Some(warning) = &post.content_warning {
            // Mastodon's content warning: the plain text in `summary`, and `sensitive`.
            doc["summary"] = json!(warning);
            doc["sensitive"] = json!(true);
        }
    }
    doc
}

fn activity(ctx: &Context, kind: &str, actor: &str, object: Value, to: &Value, cc: &Value) -> Value {
    json!({
        "@context": object_context(),
        "id": ctx.urls.new_activity_id(kind),
        "type": kind,
        "actor": actor,
        "object": object,
        "to": to,
        "cc": cc,
    })
}

/// Everything a change of a post is delivered as: the enterprise's activity to
/// its audience, and, for public posts, the hub's reshare of it.
async fn deliveries_for(
    ctx: &Context,
    kind: &str,
    post: &Post,
    enterprise: &LocalActor,
    document: &Value,
) -> Result<(Value, Vec<Outgoing>), FederationError> {
    let object = if kind == "Delete" { json!({ "id": post.ap_id, "type": "Tombstone" }) } else { document.clone() };
    let main = activity(ctx, kind, &enterprise.ap_id, object, &document["to"], &document["cc"]);
    let visibility = post.visibility();
    let mut inboxes: Vec<String> = if visibility == Visibility::Direct {
        Vec::new()
    } else {
        follower_inboxes(ctx, enterprise).await?.into_iter().map(|(i, _)| i).collect()
    };
    let mentions: Vec<Mention> = serde_json::from_str(&post.mentions_json).unwrap_or_default();
    inboxes.extend(mentions.into_iter().map(|m| m.inbox).filter(|inbox| !inbox.is_empty()));
    // The author of the post replied to hears of it when they may read it.
    if visibility.is_open()
        && let Some(reply) = &post.in_reply_to
        && let Some(parent) = ctx.db.remote_object(reply).await?
        && let Some(author) = parent.attributed_to
        && let Some(remote) = ctx.db.remote_actor_by_ap_id(&author).await?
    {
        inboxes.extend(remote.delivery_inbox().map(str::to_string));
    }
    // Listed in the outbox: what anyone may read (Mastodon lists unlisted posts too).
    let mut all = vec![outgoing(enterprise, &main, kind == "Create" && visibility.is_open(), inboxes)];
    if visibility.is_listed()
        && enterprise.kind() == ActorKind::Enterprise
        && let Some(hub) = ctx.db.local_actor_of_kind(ActorKind::Hub).await?
    {
        let followers = follower_inboxes(ctx, &hub).await?;
        let groups: Vec<String> = followers.iter().filter(|(_, g)| *g).map(|(i, _)| i.clone()).collect();
        let others: Vec<String> = followers.iter().filter(|(_, g)| !*g).map(|(i, _)| i.clone()).collect();
        let to = json!([PUBLIC]);
        let cc = json!([Urls::of_actor(&hub.ap_id, "followers"), enterprise.ap_id]);
        if !groups.is_empty() {
            let relay = activity(ctx, "Announce", &hub.ap_id, main.clone(), &to, &cc);
            all.push(outgoing(&hub, &relay, false, groups));
        }
        if kind == "Create" && !others.is_empty() {
            let boost = activity(ctx, "Announce", &hub.ap_id, json!(post.ap_id), &to, &cc);
            all.push(outgoing(&hub, &boost, true, others));
        }
    }
    Ok((main, all))
}

async fn mentions_of(federation: &Federation, text: &str) -> Result<Vec<Mention>, FederationError> {
    let ctx = federation.context();
    let mut mentions = Vec::new();
    for handle in handles_in(text) {
        let (user, domain) = handle.trim_start_matches('@').split_once('@').unwrap_or_default();
        if domain.eq_ignore_ascii_case(&ctx.config.instance.domain) {
            let local = ctx
                .db
                .local_actor_by_username(user)
                .await?
                .filter(|a| a.kind() != ActorKind::Instance)
                .ok_or_else(|| FederationError::NotFound(format!("no account {handle} on this instance")))?;
            mentions.push(Mention { href: local.ap_id, name: handle.clone(), inbox: String::new() });
            continue;
        }
        let remote = resolve_actor(federation, &handle).await?;
        mentions.push(Mention {
            href: remote.row.ap_id.clone(),
            name: handle.clone(),
            inbox: remote
                .row
                .delivery_inbox()
                .map(str::to_string)
                .ok_or_else(|| FederationError::invalid(format!("{handle} has no inbox on its own server")))?,
        });
    }
    Ok(mentions)
}

fn note_content(
    federation: &Federation,
    text: &str,
    language: &str,
    mentions: &[Mention],
    content_warning: Option<&str>,
    translation: Option<&Translation>,
) -> Result<PostContent, FederationError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(FederationError::invalid("an update needs some text"));
    }
    let content_warning = content_warning.map(str::trim).filter(|w| !w.is_empty());
    // As on Mastodon, the warning counts towards the length of the post.
    let length = text.chars().count() + content_warning.map_or(0, |w| w.chars().count());
    if length > NOTE_MAX {
        return Err(FederationError::invalid(format!(
            "an update and its content warning have at most {NOTE_MAX} characters together"
        )));
    }
    let language = check_language(language)?;
    let mut tags = hashtags_in(text);
    let mut translations = serde_json::Map::new();
    if let Some(translation) = translation.filter(|t| !t.text.trim().is_empty()) {
        let other = check_language(&translation.language)?;
        if other == language {
            return Err(FederationError::invalid("the second language must differ from the update's language"));
        }
        let other_text = translation.text.trim();
        if other_text.chars().count() > NOTE_MAX {
            return Err(FederationError::invalid(format!("the translation has at most {NOTE_MAX} characters")));
        }
        for tag in hashtags_in(other_text) {
            if !tags.contains(&tag) {
                tags.push(tag);
            }
        }
        let html = link_tags_and_mentions(&plain_text_to_html(other_text), &federation.context().urls, &tags, mentions);
        translations.insert(other, Value::String(html));
    }
    let html = link_tags_and_mentions(&plain_text_to_html(text), &federation.context().urls, &tags, mentions);
    Ok(PostContent {
        translations_json: Value::Object(translations).to_string(),
        language,
        title: None,
        summary: None,
        source: text.to_string(),
        content_html: html,
        tags_json: serde_json::to_string(&tags).unwrap_or_else(|_| "[]".into()),
        mentions_json: serde_json::to_string(mentions).unwrap_or_else(|_| "[]".into()),
        licence: None,
        adapted_from: None,
        content_warning: content_warning.map(str::to_string),
        addressees: mentions.iter().map(|m| m.href.clone()).collect(),
    })
}

/// Posts an update for an enterprise; returns the stored post.
pub async fn publish_note(federation: &Federation, draft: &NoteDraft) -> Result<Post, FederationError> {
    let ctx = federation.context();
    let (enterprise, author) = enterprise_and_author(ctx, &draft.enterprise, &draft.author).await?;
    let mentions = mentions_of(federation, &draft.text).await?;
    if let Some(reply) = &draft.in_reply_to
        && ctx.db.post_by_ap_id(reply).await?.is_none()
    {
        // Fetch what we reply to, so that its author gets the reply.
        crate::objects::fetch_remote_object(federation, reply).await?;
    }
    let content = note_content(
        federation,
        &draft.text,
        &draft.language,
        &mentions,
        draft.content_warning.as_deref(),
        draft.translation.as_ref(),
    )?;
    let new = NewPost {
        ap_id: ctx.urls.new_object_id(),
        kind: maillage_domain::PostKind::Note,
        actor_id: enterprise.id,
        author_id: Some(author.id),
        visibility: draft.visibility,
        in_reply_to: draft.in_reply_to.clone(),
        published: UtcTime::now(),
        content,
    };
    store_new_post(ctx, new, &enterprise, &author).await
}

async fn store_new_post(
    ctx: &Context,
    new: NewPost,
    enterprise: &LocalActor,
    author: &LocalActor,
) -> Result<Post, FederationError> {
    // Build the documents from what will be stored, then store both at once.
    let preview = Post {
        id: 0,
        ap_id: new.ap_id.clone(),
        kind: new.kind,
        actor_id: new.actor_id,
        author_id: new.author_id,
        visibility: new.visibility.as_str().to_string(),
        language: new.content.language.clone(),
        title: new.content.title.clone(),
        summary: new.content.summary.clone(),
        source: new.content.source.clone(),
        content_html: new.content.content_html.clone(),
        tags_json: new.content.tags_json.clone(),
        mentions_json: new.content.mentions_json.clone(),
        licence: new.content.licence.clone(),
        adapted_from: new.content.adapted_from.clone(),
        in_reply_to: new.in_reply_to.clone(),
        published: new.published,
        updated: None,
        deleted_at: None,
        content_warning: new.content.content_warning.clone(),
        translations_json: new.content.translations_json.clone(),
    };
    let document = post_document(&preview, enterprise, Some(author), &ctx.urls);
    let (_, deliveries) = deliveries_for(ctx, "Create", &preview, enterprise, &document).await?;
    let (hub_reshares, enterprise_sends): (Vec<Outgoing>, Vec<Outgoing>) =
        deliveries.into_iter().partition(|o| o.kind == "Announce");
    let post = ctx.db.create_post(&new, &enterprise_sends).await?;
    // Actors of this instance named in the post hear of it here.
    let mentions: Vec<Mention> = serde_json::from_str(&post.mentions_json).unwrap_or_default();
    for mention in mentions.iter().filter(|m| m.inbox.is_empty()) {
        if let Some(named) = ctx.db.local_actor_by_ap_id(&mention.href).await? {
            ctx.db
                .notify(named.id, maillage_domain::NotificationKind::Mention, &enterprise.ap_id, Some(&post.ap_id))
                .await?;
        }
    }
    if let Some(hub) = ctx.db.local_actor_of_kind(ActorKind::Hub).await?
        && post.is_public()
        && enterprise.kind() == ActorKind::Enterprise
    {
        let boost = hub_reshares.iter().find(|o| o.public).or(hub_reshares.first());
        let announce_id = boost.map(|o| o.ap_id.clone()).unwrap_or_else(|| ctx.urls.new_activity_id("Announce"));
        let announce_json = boost.map(|o| o.json.clone()).unwrap_or_else(|| {
            json!({ "id": announce_id, "type": "Announce", "actor": hub.ap_id, "object": post.ap_id }).to_string()
        });
        ctx.db.record_reshare(hub.id, &post.ap_id, &announce_id, &announce_json, &hub_reshares).await?;
    }
    Ok(post)
}

fn practice_content(draft: &PracticeDraft) -> Result<PostContent, FederationError> {
    let title = draft.title.trim();
    if title.is_empty() || title.chars().count() > TITLE_MAX {
        return Err(FederationError::invalid(format!("a practice needs a title of 1 to {TITLE_MAX} characters")));
    }
    let summary = draft.summary.trim();
    if summary.is_empty() {
        return Err(FederationError::invalid("a practice needs a summary (plain text, at most 500 characters)"));
    }
    if summary.chars().count() > SUMMARY_MAX {
        return Err(FederationError::invalid(format!("the summary has at most {SUMMARY_MAX} characters")));
    }
    if draft.body_markdown.trim().is_empty() {
        return Err(FederationError::invalid("a practice needs a body (Markdown)"));
    }
    let licence = match draft.licence.as_deref().map(str::trim).filter(|l| !l.is_empty()) {
        None => None,
        Some(l) => Some(
            maillage_domain::enterprise::web_url("licence", l)
                .map_err(|e| FederationError::invalid(e.to_string()))?
                .unwrap_or_else(|| DEFAULT_LICENCE.to_string()),
        ),
    };
    let adapted_from = match draft.adapted_from.as_deref().map(str::trim).filter(|l| !l.is_empty()) {
        None => None,
        Some(l) => maillage_domain::enterprise::web_url("adapted_from", l)
            .map_err(|e| FederationError::invalid(e.to_string()))?,
    };
    let mut tags: Vec<String> = Vec::new();
    for tag in &draft.tags {
        let tag = maillage_domain::tags::display_name(tag).ok_or_else(|| {
            FederationError::invalid(format!(
                "a theme is one word of at most {} letters, digits or _: {tag:?}",
                maillage_domain::tags::TAG_MAX
            ))
        })?;
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    Ok(PostContent {
        translations_json: "{}".into(),
        language: check_language(&draft.language)?,
        title: Some(title.to_string()),
        summary: Some(summary.to_string()),
        source: draft.body_markdown.clone(),
        content_html: render_markdown(&draft.body_markdown),
        tags_json: serde_json::to_string(&tags).unwrap_or_else(|_| "[]".into()),
        mentions_json: "[]".into(),
        licence: Some(licence.unwrap_or_else(|| DEFAULT_LICENCE.to_string())),
        adapted_from,
        content_warning: None,
        addressees: Vec::new(),
    })
}

/// Publishes a shared practice.
pub async fn publish_practice(federation: &Federation, draft: &PracticeDraft) -> Result<Post, FederationError> {
    let ctx = federation.context();
    let (enterprise, author) = enterprise_and_author(ctx, &draft.enterprise, &draft.author).await?;
    let content = practice_content(draft)?;
    let new = NewPost {
        ap_id: ctx.urls.new_object_id(),
        kind: maillage_domain::PostKind::Article,
        actor_id: enterprise.id,
        author_id: Some(author.id),
        visibility: Visibility::Public,
        in_reply_to: None,
        published: UtcTime::now(),
        content,
    };
    store_new_post(ctx, new, &enterprise, &author).await
}

/// A post's enterprise and author.
async fn post_actors(ctx: &Context, post: &Post) -> Result<(LocalActor, Option<LocalActor>), FederationError> {
    let enterprise = ctx
        .db
        .local_actor_by_id(post.actor_id)
        .await?
        .ok_or_else(|| FederationError::NotFound("the post's enterprise is gone".into()))?;
    let author = match post.author_id {
        Some(id) => ctx.db.local_actor_by_id(id).await?,
        None => None,
    };
    Ok((enterprise, author))
}

/// Edits an update's text, and its content warning when `content_warning`
/// is given (an empty one takes it off): `Update{Note}` with `updated`.
///
/// Rights are the caller's: the use-case layer checks who may change it.
pub async fn edit_note(
    federation: &Federation,
    post: Post,
    text: &str,
    content_warning: Option<&str>,
) -> Result<Post, FederationError> {
    let ctx = federation.context();
    let (enterprise, author) = post_actors(ctx, &post).await?;
    if post.kind != maillage_domain::PostKind::Note {
        return Err(FederationError::invalid("that post is a practice: edit it as a practice"));
    }
    let mentions = mentions_of(federation, text).await?;
    let content_warning = content_warning.or(post.content_warning.as_deref());
    // An edit carries no translation: an old one would no longer match.
    let content = note_content(federation, text, &post.language, &mentions, content_warning, None)?;
    save_edit(ctx, post, enterprise, author, content).await
}

/// Replaces a practice's content: `Update{Article}`.
pub async fn edit_practice(
    federation: &Federation,
    post: Post,
    draft: &PracticeDraft,
) -> Result<Post, FederationError> {
    let ctx = federation.context();
    let (enterprise, author) = post_actors(ctx, &post).await?;
    if post.kind != maillage_domain::PostKind::Article {
        return Err(FederationError::invalid("that post is an update, not a practice"));
    }
    let content = practice_content(draft)?;
    save_edit(ctx, post, enterprise, author, content).await
}

async fn save_edit(
    ctx: &Context,
    post: Post,
    enterprise: LocalActor,
    author: Option<LocalActor>,
    content: PostContent,
) -> Result<Post, FederationError> {
    let updated = UtcTime::now();
    let next = Post {
        language: content.language.clone(),
        title: content.title.clone(),
        summary: content.summary.clone(),
        source: content.source.clone(),
        content_html: content.content_html.clone(),
        tags_json: content.tags_json.clone(),
        mentions_json: content.mentions_json.clone(),
        licence: content.licence.clone(),
        adapted_from: content.adapted_from.clone(),
        content_warning: content.content_warning.clone(),
        translations_json: content.translations_json.clone(),
        updated: Some(updated),
        ..post.clone()
    };
    let document = post_document(&next, &enterprise, author.as_ref(), &ctx.urls);
    let (_, deliveries) = deliveries_for(ctx, "Update", &next, &enterprise, &document).await?;
    Ok(ctx.db.update_post(post.id, &content, updated, &deliveries).await?)
}

/// Deletes a post: `Delete{Tombstone}`, and the hub's reshare is undone.
pub async fn delete_post(federation: &Federation, post: Post) -> Result<(), FederationError> {
    let ctx = federation.context();
    let (enterprise, author) = post_actors(ctx, &post).await?;
    let document = post_document(&post, &enterprise, author.as_ref(), &ctx.urls);
    let (_, deliveries) = deliveries_for(ctx, "Delete", &post, &enterprise, &document).await?;
    ctx.db.delete_post(post.id, &deliveries).await?;
    if let Some(hub) = ctx.db.local_actor_of_kind(ActorKind::Hub).await? {
        unreshare_with(ctx, &hub, &post.ap_id).await?;
    }
    Ok(())
}

/// The hub reshares any object (local or remote) to its followers.
pub async fn reshare(federation: &Federation, object_url: &str) -> Result<bool, FederationError> {
    let ctx = federation.context();
    let hub = hub(ctx).await?;
    let object_id = if ctx.db.post_by_ap_id(object_url).await?.is_some_and(|p| p.deleted_at.is_none() && p.is_public())
    {
        object_url.to_string()
    } else {
        let object = crate::objects::fetch_remote_object(federation, object_url).await?;
        // The hub reshares only what anyone may read (as on Mastodon).
        if !object.visibility().is_open() {
            return Err(FederationError::invalid("only posts that anyone may read can be reshared"));
        }
        object.ap_id
    };
    let inboxes = reshare_audience(ctx, &hub, &object_id).await?;
    let to = json!([PUBLIC]);
    let cc = json!([Urls::of_actor(&hub.ap_id, "followers")]);
    let announce = activity(ctx, "Announce", &hub.ap_id, json!(object_id), &to, &cc);
    let notify = outgoing(&hub, &announce, true, inboxes);
    Ok(ctx.db.record_reshare(hub.id, &object_id, &notify.ap_id, &notify.json, std::slice::from_ref(&notify)).await?)
}

/// Undoes the hub's reshare of an object.
pub async fn unreshare(federation: &Federation, object_url: &str) -> Result<bool, FederationError> {
    let ctx = federation.context();
    let hub = hub(ctx).await?;
    unreshare_with(ctx, &hub, object_url).await
}

async fn unreshare_with(ctx: &Context, hub: &LocalActor, object_url: &str) -> Result<bool, FederationError> {
    let Some(announce_json) = ctx.db.reshare_of(hub.id, object_url).await? else { return Ok(false) };
    let announce: Value = serde_json::from_str(&announce_json).unwrap_or(json!(null));
    let inboxes = reshare_audience(ctx, hub, object_url).await?;
    let to = json!([PUBLIC]);
    let cc = json!([Urls::of_actor(&hub.ap_id, "followers")]);
    let undo = activity(ctx, "Undo", &hub.ap_id, announce, &to, &cc);
    let notify = outgoing(hub, &undo, false, inboxes);
    Ok(ctx.db.remove_reshare(hub.id, object_url, std::slice::from_ref(&notify)).await?)
}

/// The hub's followers, and the author of a remote object (who, as on
/// Mastodon, hears about reshares of their post).
async fn reshare_audience(ctx: &Context, hub: &LocalActor, object_url: &str) -> Result<Vec<String>, FederationError> {
    let mut inboxes: Vec<String> = follower_inboxes(ctx, hub).await?.into_iter().map(|(i, _)| i).collect();
    if let Some(object) = ctx.db.remote_object(object_url).await?
        && let Some(author) = object.attributed_to
        && let Some(remote) = ctx.db.remote_actor_by_ap_id(&author).await?
    {
        inboxes.extend(remote.delivery_inbox().map(str::to_string));
    }
    Ok(inboxes)
}

async fn hub(ctx: &Context) -> Result<LocalActor, FederationError> {
    ctx.db
        .local_actor_of_kind(ActorKind::Hub)
        .await?
        .ok_or_else(|| FederationError::NotFound("this instance has no hub yet".into()))
}

/// Adds an enterprise or a practice to (or removes it from) the hub's
/// `featured` collection, with `Add`/`Remove` to the hub's followers.
pub async fn feature(federation: &Federation, object_url: &str, featured: bool) -> Result<bool, FederationError> {
    let ctx = federation.context();
    let hub = hub(ctx).await?;
    let url = url::Url::parse(object_url).map_err(|_| FederationError::invalid(format!("not a URL: {object_url}")))?;
    let known = match ctx.urls.local_username(&url) {
        Some(Some(name)) => {
            ctx.db.local_actor_by_username(&name).await?.is_some_and(|a| a.kind() == ActorKind::Enterprise)
        }
        Some(None) => false,
        None => ctx
            .db
            .post_by_ap_id(object_url)
            .await?
            .is_some_and(|p| p.kind == maillage_domain::PostKind::Article && p.deleted_at.is_none()),
    };
    if featured && !known {
        return Err(FederationError::invalid("only this hub's enterprises and practices can be featured"));
    }
    let followers = follower_inboxes(ctx, &hub).await?;
    let kind = if featured { "Add" } else { "Remove" };
    let mut change = activity(
        ctx,
        kind,
        &hub.ap_id,
        json!(object_url),
        &json!([PUBLIC]),
        &json!([Urls::of_actor(&hub.ap_id, "followers")]),
    );
    change["target"] = json!(Urls::of_actor(&hub.ap_id, "featured"));
    let notify = outgoing(&hub, &change, false, followers.into_iter().map(|(i, _)| i).collect());
    Ok(ctx.db.set_featured(hub.id, object_url, featured, std::slice::from_ref(&notify)).await?)
}

/// Changes an enterprise's profile and tells its followers (`Update{Organization}`).
pub async fn update_profile(
    federation: &Federation,
    handle: &str,
    changes: &ProfileChanges,
) -> Result<EnterpriseProfile, FederationError> {
    let ctx = federation.context();
    let enterprise = ctx
        .db
        .local_actor_by_username(handle.trim_start_matches('@'))
        .await?
        .filter(|a| a.kind() == ActorKind::Enterprise)
        .ok_or_else(|| FederationError::NotFound(format!("no enterprise {handle:?} on this instance")))?;
    let mut profile = current_profile(ctx, &enterprise);
    profile.apply(changes).map_err(|e| FederationError::invalid(e.to_string()))?;
    let name = profile.name().unwrap_or(&enterprise.display_name).to_string();
    let summary = profile.summary().unwrap_or_default().to_string();
    let profile_json = serde_json::to_string(&profile).map_err(|e| FederationError::invalid(e.to_string()))?;
    let mut next = enterprise.clone();
    next.display_name = name.clone();
    next.summary = summary.clone();
    next.profile_json = Some(profile_json.clone());
    let document = actor_document(&next, &ctx.urls);
    let to = json!([PUBLIC]);
    let cc = json!([Urls::of_actor(&enterprise.ap_id, "followers")]);
    let update = activity(ctx, "Update", &enterprise.ap_id, document, &to, &cc);
    let mut notify = vec![outgoing(
        &enterprise,
        &update,
        false,
        follower_inboxes(ctx, &enterprise).await?.into_iter().map(|(i, _)| i).collect(),
    )];
    // Other Maillage hubs following our hub keep their directory up to date.
    if let Some(hub) = ctx.db.local_actor_of_kind(ActorKind::Hub).await? {
        let groups: Vec<String> =
            follower_inboxes(ctx, &hub).await?.into_iter().filter(|(_, g)| *g).map(|(i, _)| i).collect();
        if !groups.is_empty() {
            let relay = activity(
                ctx,
                "Announce",
                &hub.ap_id,
                update.clone(),
                &to,
                &json!([Urls::of_actor(&hub.ap_id, "followers")]),
            );
            notify.push(outgoing(&hub, &relay, false, groups));
        }
    }
    ctx.db.update_local_profile(enterprise.id, &name, &summary, &profile_json, &notify).await?;
    Ok(profile)
}

/// The stored profile, or one made from the names given at creation.
pub fn current_profile(ctx: &Context, enterprise: &LocalActor) -> EnterpriseProfile {
    if let Some(profile) =
        enterprise.profile_json.as_deref().and_then(|j| serde_json::from_str::<EnterpriseProfile>(j).ok())
    {
        return profile;
    }
    let mut profile = EnterpriseProfile {
        name_fr: Some(enterprise.display_name.clone()),
        summary_fr: (!enterprise.summary.is_empty()).then(|| enterprise.summary.clone()),
        ..EnterpriseProfile::default()
    };
    // Enterprises belong to the hub's territory unless they say otherwise.
    profile.region = maillage_domain::vocabulary::REGIONS.get(&ctx.config.hub.region).map(|t| t.code.to_string());
    profile
}

/// Plain-text excerpt of an object's HTML, for previews.
pub fn excerpt(html: &str, max: usize) -> String {
    truncate_text(&html_to_text(html), max)
}

/// A local actor likes (`Like`) or reshares (`Announce`) a post, or takes it
/// back (`Undo`). Remote posts' authors are told; a reshare also goes to the
/// actor's followers. Returns false when there was nothing to change.
pub async fn react(
    federation: &Federation,
    actor: &LocalActor,
    object_url: &str,
    kind: maillage_db::ReactionKind,
    undo: bool,
) -> Result<bool, FederationError> {
    use maillage_db::ReactionKind;
    let ctx = federation.context();
    let existing = ctx.db.has_reacted(kind, object_url, &actor.ap_id).await?;
    if existing.is_some() != undo {
        return Ok(false);
    }
    // What the actor reacts to must be theirs to read; only what anyone
    // may read can be reshared (as on Mastodon).
    let reader = ctx.db.reader_for_member(actor).await?;
    let remote_object = ctx.db.visible_remote_object_by_ap_id(&reader, object_url).await?;
    let visibility = match &remote_object {
        Some(object) => object.visibility(),
        None => match ctx.db.visible_post_by_ap_id(&reader, object_url).await? {
            Some(post) => post.visibility(),
            None => return Err(FederationError::NotFound(format!("no post {object_url} known here"))),
        },
    };
    if kind == ReactionKind::Announce && !undo && !visibility.is_open() {
        return Err(FederationError::invalid("only posts that anyone may read can be reshared"));
    }
    let mut inboxes = Vec::new();
    if let Some(author) = remote_object.and_then(|object| object.attributed_to)
        && let Some(remote) = ctx.db.remote_actor_by_ap_id(&author).await?
    {
        inboxes.extend(remote.delivery_inbox().map(str::to_string));
    }
    let type_name = if kind == ReactionKind::Like { "Like" } else { "Announce" };
    let (to, cc) = if kind == ReactionKind::Announce {
        inboxes.extend(follower_inboxes(ctx, actor).await?.into_iter().map(|(i, _)| i));
        (json!([PUBLIC]), json!([Urls::of_actor(&actor.ap_id, "followers")]))
    } else {
        (json!([]), json!([]))
    };
    let reaction = match &existing {
        // Undo the activity as it was sent.
        Some(id) => ctx.db.activity_json(id).await?.and_then(|j| serde_json::from_str(&j).ok()).unwrap_or(json!(id)),
        None => activity(ctx, type_name, &actor.ap_id, json!(object_url), &to, &cc),
    };
    let sent = if undo { activity(ctx, "Undo", &actor.ap_id, reaction.clone(), &to, &cc) } else { reaction.clone() };
    let notify = outgoing(actor, &sent, !undo && kind == ReactionKind::Announce, inboxes);
    ctx.db.save_own_reaction(kind, object_url, &actor.ap_id, undo, &notify).await?;
    Ok(true)
}

/// Changes a member's display name and bio; followers get `Update{Person}`.
pub async fn update_member(
    federation: &Federation,
    member: &LocalActor,
    display_name: Option<&str>,
    note: Option<&str>,
) -> Result<LocalActor, FederationError> {
    let ctx = federation.context();
    let mut next = member.clone();
    if let Some(name) = display_name {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > maillage_domain::enterprise::NAME_MAX {
            return Err(FederationError::invalid(format!(
                "display_name: 1 to {} characters",
                maillage_domain::enterprise::NAME_MAX
            )));
        }
        next.display_name = name.to_string();
    }
    if let Some(note) = note {
        if note.chars().count() > maillage_domain::enterprise::SUMMARY_MAX {
            return Err(FederationError::invalid(format!(
                "note: at most {} characters",
                maillage_domain::enterprise::SUMMARY_MAX
            )));
        }
        next.summary = note.trim().to_string();
    }
    let document = actor_document(&next, &ctx.urls);
    let update = activity(
        ctx,
        "Update",
        &member.ap_id,
        document,
        &json!([PUBLIC]),
        &json!([Urls::of_actor(&member.ap_id, "followers")]),
    );
    let inboxes = follower_inboxes(ctx, member).await?.into_iter().map(|(i, _)| i).collect();
    let notify = outgoing(member, &update, false, inboxes);
    ctx.db.update_member_profile(member.id, &next.display_name, &next.summary, &notify).await?;
    Ok(next)
}
