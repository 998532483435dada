//! What every page shares: the request's context (language, session, CSRF
//! token), the page chrome the layout template draws, and small view
//! helpers (dates, safe links, post cards).

use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, SameSite};
use maillage_db::{Account, LocalActor, Post, RemoteObject, UtcTime};
use maillage_domain::PostKind;
use sha2::{Digest, Sha256};

use crate::WebState;
use crate::error::PageError;
use crate::i18n::{LANG_COOKIE, Lang, Tr, cookie};

pub use maillage_http::api::auth::SESSION_COOKIE;
pub const CSRF_COOKIE: &str = "maillage_csrf";

/// The request as the pages see it.
pub struct Ctx {
    pub lang: Lang,
    pub t: Tr,
    path: String,
    query_pairs: Vec<(String, String)>,
    /// Set when the reader chose a language with `?lang=`: remembered in a cookie.
    chose_lang: bool,
    pub account: Option<Account>,
    pub session_token: Option<String>,
    csrf: String,
    new_csrf: bool,
    secure: bool,
    pub site_name: String,
}

impl FromRequestParts<WebState> for Ctx {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<Self, Self::Rejection> {
        let query_pairs: Vec<(String, String)> = parts
            .uri
            .query()
            .map(|q| url::form_urlencoded::parse(q.as_bytes()).into_owned().collect())
            .unwrap_or_default();
        let query_lang = query_pairs.iter().find(|(k, _)| k == "lang").map(|(_, v)| v.as_str());
        let lang = Lang::negotiate(query_lang, &parts.headers);
        let chose_lang = query_lang.and_then(Lang::parse).is_some();
        let session_token = maillage_http::api::auth::session_token(&parts.headers);
        let account = match &session_token {
            Some(token) => state
                .shared
                .db()
                .token_grant(&maillage_http::api::auth::hash_secret(token))
                .await
                .map_err(|e| PageError::internal(lang, e))?
                .and_then(|grant| grant.account)
                .filter(|account| account.approved),
            None => None,
        };
        let existing_csrf = cookie(&parts.headers, CSRF_COOKIE).filter(|c| c.len() == 43);
        let new_csrf = existing_csrf.is_none();
        let csrf = match existing_csrf {
            Some(csrf) => csrf,
            None => maillage_http::api::auth::new_secret().map_err(|e| PageError::internal(lang, e))?,
        };
        let hub_name = state.shared.config().hub.name.clone();
        Ok(Ctx {
            lang,
            t: Tr::new(lang),
            path: parts.uri.path().to_string(),
            query_pairs,
            chose_lang,
            account: account.clone(),
            session_token: account.and(session_token),
            csrf,
            new_csrf,
            secure: state.base_url().starts_with("https://"),
            site_name: hub_name,
        })
    }
}

impl Ctx {
    /// Whether a submitted form carries this reader's CSRF token.
    pub fn check_csrf(&self, submitted: &str) -> Result<(), PageError> {
        let same = Sha256::digest(submitted.as_bytes()) == Sha256::digest(self.csrf.as_bytes());
        if !self.new_csrf && same { Ok(()) } else { Err(PageError::csrf(self.lang)) }
    }

    /// This page's URL in the other language (the switcher's link).
    pub fn switch_url(&self) -> String {
        let mut pairs = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in self.query_pairs.iter().filter(|(k, _)| k != "lang") {
            pairs.append_pair(k, v);
        }
        pairs.append_pair("lang", self.lang.other().code());
        let path = same_origin_path(&self.path).unwrap_or_else(|| "/".to_string());
        format!("{path}?{}", pairs.finish())
    }

    pub fn chrome(&self, title: impl Into<String>) -> Chrome {
        Chrome {
            t: self.t,
            lang: self.lang.code(),
            title: title.into(),
            site_name: self.site_name.clone(),
            switch_url: self.switch_url(),
            logged_in: self.account.as_ref().map(|a| a.actor.display_name.clone()),
            csrf: self.csrf.clone(),
            alternates: Vec::new(),
            meta: Vec::new(),
            current: self.path.clone(),
        }
    }

    pub fn cookie(&self, name: &'static str, value: String, http_only: bool) -> HeaderValue {
        let cookie = Cookie::build((name, value))
            .path("/")
            .http_only(http_only)
            .secure(self.secure)
            .same_site(SameSite::Lax)
            .permanent()
            .build();
        HeaderValue::from_str(&cookie.to_string()).unwrap_or_else(|_| HeaderValue::from_static(""))
    }

    /// A rendered page, with the cookies this request needs set.
    pub fn render(&self, page: &impl Template) -> Result<Response, PageError> {
        let html = page.render().map_err(|e| PageError::internal(self.lang, e))?;
        let mut response = Html(html).into_response();
        self.finish(response.headers_mut());
        Ok(response)
    }

    pub fn finish(&self, headers: &mut HeaderMap) {
        if self.chose_lang {
            headers.append(header::SET_COOKIE, self.cookie(LANG_COOKIE, self.lang.code().to_string(), false));
        }
        if self.new_csrf {
            headers.append(header::SET_COOKIE, self.cookie(CSRF_COOKIE, self.csrf.clone(), true));
        }
        headers.insert(header::CONTENT_LANGUAGE, HeaderValue::from_static(self.lang.code()));
        headers.insert(header::VARY, HeaderValue::from_static("Accept, Accept-Language, Cookie"));
        if self.account.is_some() {
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
        }
    }
}

/// What the layout draws around every page.
pub struct Chrome {
    pub t: Tr,
    pub lang: &'static str,
    pub title: String,
    pub site_name: String,
    pub switch_url: String,
    pub logged_in: Option<String>,
    pub csrf: String,
    /// `<link rel="alternate" type=.. href=..>`
    pub alternates: Vec<(String, String)>,
    /// `<meta property=.. content=..>` (OpenGraph)
    pub meta: Vec<(String, String)>,
    pub current: String,
}

impl Chrome {
    pub fn alternate(mut self, content_type: &str, href: &str) -> Self {
        self.alternates.push((content_type.to_string(), href.to_string()));
        self
    }

    pub fn og(mut self, property: &str, content: &str) -> Self {
        if !content.is_empty() {
            self.meta.push((property.to_string(), content.to_string()));
        }
        self
    }

    /// `aria-current="page"` for the navigation link of this page.
    pub fn is_current(&self, path: &str) -> bool {
        if path == "/" { self.current == "/" } else { self.current.starts_with(path) }
    }
}

/// An http(s) URL fit for an `href`, or `None` (a remote document could
/// carry `javascript:`).
pub fn safe_href(url: &str) -> Option<String> {
    maillage_domain::html::http_url(url)
}

/// `target` as a redirect within this site: a path, with its query, that
/// every browser resolves on this origin; `None` for anything else
/// (`//host`, `/\\host`, schemes, control characters a browser would strip,
/// and the same written with %-escapes, which a proxy may decode). Every
/// redirect or return path taken from a request goes through here.
pub fn same_origin_path(target: &str) -> Option<String> {
    fn plain(text: &str) -> bool {
        text.starts_with('/') && !text.starts_with("//") && !text.contains('\\') && !text.chars().any(char::is_control)
    }
    fn plain_decoded(text: &str) -> bool {
        plain(text) && percent_encoding::percent_decode_str(text).decode_utf8().is_ok_and(|decoded| plain(&decoded))
    }
    if !plain_decoded(target) {
        return None;
    }
    let origin = url::Url::parse("http://origin.invalid/").ok()?;
    let resolved = origin.join(target).ok()?;
    if resolved.origin() != origin.origin() {
        return None;
    }
    // What the browser gets is checked too: `/.//host` resolves to `//host`.
    let path = match resolved.query() {
        Some(query) => format!("{}?{query}", resolved.path()),
        None => resolved.path().to_string(),
    };
    plain_decoded(&path).then_some(path)
}

pub fn date(lang: Lang, time: &UtcTime) -> String {
    let time = time.as_datetime();
    match lang {
        Lang::Fr => time.format("%Y-%m-%d").to_string(),
        Lang::En => time.format("%B %-d, %Y").to_string(),
    }
}

/// A post as lists show it (local or remote, already sanitised HTML).
pub struct Card {
    pub title: Option<String>,
    pub url: String,
    pub by: String,
    pub by_url: Option<String>,
    pub date: String,
    /// Sanitised HTML (by `maillage_domain::html` before storage).
    pub excerpt_html: String,
    pub summary: Option<String>,
    /// A content warning: the text stays folded behind it.
    pub warning: Option<String>,
    pub language: String,
    /// Its first picture, small (from our own `/media/`).
    pub image: Option<crate::attachments::ImageView>,
}

impl Card {
    pub fn local(lang: Lang, post: &Post, enterprise: &LocalActor) -> Self {
        // The reader's language when the update has it.
        let translated = post.content_in(lang.code());
        Card {
            title: post.title.clone(),
            url: post.ap_id.clone(),
            by: enterprise.display_name.clone(),
            by_url: Some(enterprise.ap_id.clone()),
            date: date(lang, &post.published),
            excerpt_html: if post.kind == PostKind::Article {
                String::new()
            } else {
                translated.clone().unwrap_or_else(|| post.content_html.clone())
            },
            summary: post.summary.clone(),
            warning: post.content_warning.clone(),
            language: if translated.is_some() { lang.code().to_string() } else { post.language.clone() },
            image: None,
        }
    }

    pub fn remote(lang: Lang, object: &RemoteObject, by: Option<(String, Option<String>)>) -> Self {
        let (by, by_url) = by.unwrap_or_else(|| {
            let author = object.attributed_to.clone().unwrap_or_default();
            let host = url::Url::parse(&author).ok().and_then(|u| u.host_str().map(str::to_string));
            (host.unwrap_or_default(), object.attributed_to.as_deref().and_then(safe_href))
        });
        let url = object.url.as_deref().and_then(safe_href).or_else(|| safe_href(&object.ap_id)).unwrap_or_default();
        // The reader's language when the object carries it (`contentMap`...).
        let raw: serde_json::Value = serde_json::from_str(&object.raw_json).unwrap_or_default();
        let in_lang = |map: &str| raw[map][lang.code()].as_str().map(str::to_string);
        let content = in_lang("contentMap").map(|html| maillage_domain::html::sanitize_remote_html(&html));
        let translated = content.is_some() || in_lang("nameMap").is_some();
        Card {
            title: in_lang("nameMap").or(object.name.clone()),
            url,
            by,
            by_url,
            date: date(lang, object.published.as_ref().unwrap_or(&object.created_at)),
            excerpt_html: if object.kind == "Article" {
                String::new()
            } else {
                content.or(object.content_html.clone()).unwrap_or_default()
            },
            // On a Note, `summary` is Mastodon's content warning.
            warning: (object.kind != "Article").then(|| in_lang("summaryMap").or(object.summary.clone())).flatten(),
            summary: (object.kind == "Article").then(|| in_lang("summaryMap").or(object.summary.clone())).flatten(),
            language: if translated { lang.code().to_string() } else { object.language.clone().unwrap_or_default() },
            image: None,
        }
    }

    /// The card with its first picture shown.
    pub fn with_image(self, image: Option<crate::attachments::ImageView>) -> Self {
        Card { image, ..self }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_of_this_site_are_redirect_targets() {
        for refused in [
            "",
            "directory",
            "//evil.example",
            "///evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "/%09/evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/%0d%0a/evil.example",
            "/%2F%2Fevil.example",
            "/%2f/evil.example",
            "/%5Cevil.example",
            "/%5C%5Cevil.example",
            "/.//evil.example",
            "/%2e//evil.example",
            "/x/..//evil.example",
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "https://evil.example/",
            "http:evil.example",
            " //evil.example",
            "/ok\u{0}",
            "/ok\u{85}",
            "/%ff",
            "/directory?q=%09",
        ] {
            assert_eq!(same_origin_path(refused), None, "{refused:?}");
        }
        assert_eq!(same_origin_path("/directory?x=1").as_deref(), Some("/directory?x=1"));
        assert_eq!(same_origin_path("/workspace").as_deref(), Some("/workspace"));
        assert_eq!(same_origin_path("/").as_deref(), Some("/"));
        assert_eq!(same_origin_path("/tags/caf%C3%A9?lang=en").as_deref(), Some("/tags/caf%C3%A9?lang=en"));
        assert_eq!(same_origin_path("/a/../directory#top").as_deref(), Some("/directory"));
        assert_eq!(
            same_origin_path("/actors/ferme?next=//evil.example").as_deref(),
            Some("/actors/ferme?next=//evil.example")
        );
    }
}
