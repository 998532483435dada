//! What members write (an update, a practice) and the checks that turn it
//! into the content we store: lengths, languages, themes, links.

use maillage_db::PostContent;
use maillage_domain::Visibility;
use maillage_domain::html::{plain_text_to_html, render_markdown};
use maillage_domain::post_text::{self, MentionLink};
use serde_json::Value;

use super::protocol::{DEFAULT_LICENCE, Mention};
use crate::error::FederationError;
use crate::urls::Urls;

pub const SUMMARY_MAX: usize = 500;
pub const NOTE_MAX: usize = 5000;
pub const TITLE_MAX: usize = 200;

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

fn check_language(language: &str) -> Result<String, FederationError> {
    maillage_domain::vocabulary::LANGUAGES.parse(language).map(|t| t.code.to_string()).map_err(FederationError::invalid)
}

/// Links tags (to our tag pages) and mentions in HTML made from plain text.
fn link_tags_and_mentions(html: &str, urls: &Urls, tags: &[String], mentions: &[Mention]) -> String {
    let links: Vec<MentionLink<'_>> = mentions.iter().map(|m| MentionLink { href: &m.href, name: &m.name }).collect();
    post_text::link_tags_and_mentions(html, tags, |tag| urls.tag(tag), &links)
}

pub fn note_content(
    urls: &Urls,
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
    let mut tags = post_text::hashtags_in(text);
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
        for tag in post_text::hashtags_in(other_text) {
            if !tags.contains(&tag) {
                tags.push(tag);
            }
        }
        let html = link_tags_and_mentions(&plain_text_to_html(other_text), urls, &tags, mentions);
        translations.insert(other, Value::String(html));
    }
    let html = link_tags_and_mentions(&plain_text_to_html(text), urls, &tags, mentions);
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

pub fn practice_content(draft: &PracticeDraft) -> Result<PostContent, FederationError> {
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
        Some(l) => Some(maillage_domain::licences::licence_url(l).map_err(FederationError::invalid)?),
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
