//! Atom feeds of the hub (every public post of this instance), of each
//! actor, and of each theme: the latest 30 entries, newest first.

use atom_syndication::{Content, Entry, Feed, Link, Person, Text};
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use maillage_db::{LocalActor, PageBounds, Post, PostSource, Reader};
use maillage_domain::{ActorKind, PostKind};

use crate::WebState;
use crate::error::PageError;
use crate::i18n::Lang;
use crate::pages::normalise_theme;

const FEED_SIZE: i64 = 30;

fn link(href: &str, rel: &str, mime: Option<&str>) -> Link {
    let mut link = Link::default();
    link.set_href(href);
    link.set_rel(rel);
    link.set_mime_type(mime.map(str::to_string));
    link
}

fn entry(post: &Post, enterprise: &LocalActor) -> Entry {
    let mut entry = Entry::default();
    entry.set_id(post.ap_id.clone());
    let title = post.title.clone().unwrap_or_else(|| {
        maillage_domain::html::truncate_text(&maillage_domain::html::html_to_text(&post.content_html), 80)
    });
    entry.set_title(Text::plain(title));
    let published = post.published.as_datetime().fixed_offset();
    entry.set_published(Some(published));
    entry.set_updated(post.updated.as_ref().map(|u| u.as_datetime().fixed_offset()).unwrap_or(published));
    let mut author = Person::default();
    author.set_name(enterprise.display_name.clone());
    author.set_uri(Some(enterprise.ap_id.clone()));
    entry.set_authors(vec![author]);
    entry.set_links(vec![link(&post.ap_id, "alternate", Some("text/html"))]);
    if let Some(summary) = &post.summary {
        entry.set_summary(Some(Text::plain(summary.clone())));
    }
    let mut content = Content::default();
    content.set_content_type(Some("html".to_string()));
    // Stored HTML is already sanitised; the feed escapes it as text.
    content.set_value(Some(post.content_html.clone()));
    content.set_lang(Some(post.language.clone()));
    entry.set_content(Some(content));
    entry
}

async fn feed(
    state: &WebState,
    title: String,
    self_path: &str,
    page_url: &str,
    posts: Vec<Post>,
) -> Result<Response, PageError> {
    let internal = |e: maillage_db::DbError| PageError::internal(Lang::Fr, e);
    let mut entries = Vec::with_capacity(posts.len());
    let mut authors: std::collections::HashMap<i64, Option<LocalActor>> = std::collections::HashMap::new();
    for post in posts.iter().filter(|p| p.is_public() && p.deleted_at.is_none()) {
        if let std::collections::hash_map::Entry::Vacant(slot) = authors.entry(post.actor_id) {
            slot.insert(state.shared.db().local_actor_by_id(post.actor_id).await.map_err(internal)?);
        }
        if let Some(Some(enterprise)) = authors.get(&post.actor_id) {
            entries.push(entry(post, enterprise));
        }
    }
    let base = state.base_url();
    let mut feed = Feed::default();
    feed.set_title(Text::plain(title));
    feed.set_id(format!("{base}{self_path}"));
    feed.set_updated(entries.first().map(|e| *e.updated()).unwrap_or_else(|| chrono::Utc::now().fixed_offset()));
    feed.set_links(vec![
        link(&format!("{base}{self_path}"), "self", Some("application/atom+xml")),
        link(page_url, "alternate", Some("text/html")),
    ]);
    feed.set_entries(entries);
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("application/atom+xml; charset=utf-8")),
            (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300")),
        ],
        feed.to_string(),
    )
        .into_response())
}

pub async fn hub_feed(State(state): State<WebState>) -> Result<Response, PageError> {
    let posts = state
        .shared
        .db()
        .posts_page(PostSource::Listed, &Reader::anonymous(), &PageBounds::newest(FEED_SIZE))
        .await
        .map_err(|e| PageError::internal(Lang::Fr, e))?;
    let title = state.shared.config().hub.name.clone();
    let base = state.base_url();
    feed(&state, title, "/feed.atom", &format!("{base}/"), posts).await
}

pub async fn actor_feed(State(state): State<WebState>, Path(username): Path<String>) -> Result<Response, PageError> {
    let db = state.shared.db();
    let internal = |e: maillage_db::DbError| PageError::internal(Lang::Fr, e);
    let actor = db
        .local_actor_by_username(&username)
        .await
        .map_err(internal)?
        .filter(|a| matches!(a.kind(), ActorKind::Enterprise | ActorKind::Hub))
        .ok_or_else(|| PageError::not_found(Lang::Fr))?;
    // A feed is read by anyone: what the actor lists publicly.
    let posts = db
        .posts_page(PostSource::Of(&[actor.id]), &Reader::anonymous(), &PageBounds::newest(FEED_SIZE))
        .await
        .map_err(internal)?
        .into_iter()
        .filter(|p| p.visibility().is_listed())
        .collect();
    let path = format!("/feeds/actors/{}", actor.username);
    feed(&state, actor.display_name.clone(), &path, &actor.ap_id, posts).await
}

pub async fn theme_feed(State(state): State<WebState>, Path(tag): Path<String>) -> Result<Response, PageError> {
    let tag = normalise_theme(&tag).ok_or_else(|| PageError::not_found(Lang::Fr))?;
    let key = maillage_domain::tags::key(&tag).ok_or_else(|| PageError::not_found(Lang::Fr))?;
    let posts = state
        .shared
        .db()
        .tagged_posts_of_kind(&key, Some(PostKind::Article), &PageBounds::newest(FEED_SIZE))
        .await
        .map_err(|e| PageError::internal(Lang::Fr, e))?;
    let encoded = url::form_urlencoded::byte_serialize(tag.as_bytes()).collect::<String>();
    let base = state.base_url();
    feed(&state, format!("#{tag}"), &format!("/feeds/tags/{encoded}"), &format!("{base}/tags/{encoded}"), posts).await
}
