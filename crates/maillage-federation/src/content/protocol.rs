//! What our posts and activities look like on the wire: the constants of
//! ActivityStreams, the JSON-LD context, the documents of our posts and the
//! envelope of an activity. Pure functions of what they are given; this
//! module imports nothing else of `content`.

use maillage_db::{LocalActor, Media, Outgoing, Post};
use maillage_domain::{MediaRole, PostKind, Visibility};
use serde_json::{Value, json};

use crate::urls::Urls;

pub const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";
pub const AS_CONTEXT: &str = "https://www.w3.org/ns/activitystreams";
/// Default licence of shared practices (FEP-c118 style: an IRI in `license`).
pub const DEFAULT_LICENCE: &str = "https://creativecommons.org/licenses/by-sa/4.0/";

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
            "toot": "http://joinmastodon.org/ns#",
            "blurhash": "toot:blurhash",
            "focalPoint": { "@container": "@list", "@id": "toot:focalPoint" },
        }
    ])
}

/// Where other servers and readers fetch a stored file of ours.
pub fn media_url(urls: &Urls, key: &str) -> String {
    format!("{}/media/{key}", urls.base().trim_end_matches('/'))
}

/// The `/media/` path prefix of remote actors' avatars and headers, served
/// from our copy (or our default image when there is none).
pub const REMOTE_ACTOR_IMAGES: &str = "actors/";

/// Where readers fetch our copy of a remote actor's avatar or header.
pub fn remote_actor_image_url(urls: &Urls, actor_id: i64, role: maillage_domain::RemoteMediaRole) -> String {
    media_url(urls, &format!("{REMOTE_ACTOR_IMAGES}{actor_id}/{}", role.as_str()))
}

/// One attachment as Mastodon sends it: `Image` (with its size, blurhash
/// and focal point) or `Document`, `name` the alt text.
pub fn attachment_json(media: &Media, urls: &Urls) -> Value {
    let mut attachment = json!({
        "type": media.kind.activity_type(),
        "mediaType": media.media_type,
        "url": media_url(urls, &media.original_key),
        "name": media.description.clone().or_else(|| media.file_name.clone()),
    });
    if let Some(blurhash) = &media.blurhash {
        attachment["blurhash"] = json!(blurhash);
    }
    if let (Some(width), Some(height)) = (media.width, media.height) {
        attachment["width"] = json!(width);
        attachment["height"] = json!(height);
        // Mastodon's focal point: x to the right, y upwards, from -1 to 1.
        attachment["focalPoint"] = json!([f64::from(media.focus_x) / 1000.0, f64::from(media.focus_y) / 1000.0]);
    }
    attachment
}

/// Puts a post's uploads on its document: its attachments (in their order;
/// none: no `attachment`) and a practice's cover as its `image` (an `Image`
/// with `url`, `mediaType`, `name` the alt text, `width`/`height`).
pub fn with_attachments(mut document: Value, media: &[Media], urls: &Urls) -> Value {
    let (covers, attachments): (Vec<&Media>, Vec<&Media>) = media.iter().partition(|m| m.role == MediaRole::Cover);
    if !attachments.is_empty() {
        document["attachment"] = Value::Array(attachments.iter().map(|m| attachment_json(m, urls)).collect());
    }
    if let Some(cover) = covers.first() {
        document["image"] = attachment_json(cover, urls);
    }
    document
}

/// A mention found in a text: who, and how it was written.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct Mention {
    pub href: String,
    pub name: String,
    /// Where to deliver to them; empty for an actor of this instance.
    pub inbox: String,
}

/// An activity: `kind` by `actor` about `object`, addressed `to` and `cc`.
pub fn activity_document(id: &str, kind: &str, actor: &str, object: Value, to: &Value, cc: &Value) -> Value {
    json!({
        "@context": object_context(),
        "id": id,
        "type": kind,
        "actor": actor,
        "object": object,
        "to": to,
        "cc": cc,
    })
}

fn hashtag_json(urls: &Urls, tag: &str) -> Value {
    json!({ "type": "Hashtag", "name": format!("#{tag}"), "href": urls.tag(tag) })
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
    if post.kind == PostKind::Article {
        // The long-form shape each server shows best (docs/FEDERATION.md,
        // "Practices on other servers"): the excerpt only in `summaryMap`
        // (Mastodon shows it under the title; GoToSocial and Misskey would
        // make a plain `summary` a content warning), the title and excerpt
        // again at the top of `content` for servers that show only the
        // content, and a `preview` Note (FEP-b2b8).
        let title = post.title.clone().unwrap_or_default();
        let excerpt = post.summary.clone().unwrap_or_default();
        let content = format!("{}{}", title_and_excerpt_html(&title, &excerpt), post.content_html);
        doc["type"] = json!("Article");
        doc["name"] = json!(title);
        doc["nameMap"] = json!({ &post.language: title });
        doc["summaryMap"] = json!({ &post.language: excerpt });
        doc["preview"] = json!({
            "type": "Note",
            "attributedTo": enterprise.ap_id,
            "content": format!(
                "{}<p><a href=\"{}\">{}</a></p>",
                title_and_excerpt_html(&title, &excerpt),
                html_escape::encode_double_quoted_attribute(&post.ap_id),
                html_escape::encode_text(&post.ap_id)
            ),
        });
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

/// A practice's title as a heading and its excerpt as a first paragraph.
fn title_and_excerpt_html(title: &str, excerpt: &str) -> String {
    let mut html = format!("<h2>{}</h2>", html_escape::encode_text(title));
    if !excerpt.is_empty() {
        html.push_str(&format!("<p>{}</p>", html_escape::encode_text(excerpt)));
    }
    html
}

/// An activity of `actor` to store and deliver to `inboxes`.
pub fn outgoing(actor: &LocalActor, activity: &Value, public: bool, inboxes: Vec<String>) -> Outgoing {
    Outgoing {
        ap_id: activity["id"].as_str().unwrap_or_default().to_string(),
        actor_id: actor.id,
        kind: activity["type"].as_str().unwrap_or_default().to_string(),
        public,
        json: activity.to_string(),
        inboxes,
    }
}
