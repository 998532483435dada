//! The pictures of an account that has none: apps decode `avatar` and
//! `header` as URLs and show them, so an account always names an image.
//!
//! Served at Mastodon's own paths for these (`/avatars/original/missing.png`,
//! `/headers/original/missing.png`); PNG, which every app decodes (SVG is
//! not shown by iOS or Android image views).

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

pub const AVATAR_PATH: &str = "/avatars/original/missing.png";
pub const HEADER_PATH: &str = "/headers/original/missing.png";

const AVATAR_PNG: &[u8] = include_bytes!("../static/missing-avatar.png");
const HEADER_PNG: &[u8] = include_bytes!("../static/missing-header.png");

/// The absolute URL of the default avatar, under the instance's `base` URL.
pub fn avatar_url(base: &str) -> String {
    format!("{base}{AVATAR_PATH}")
}

/// The absolute URL of the default header image.
pub fn header_url(base: &str) -> String {
    format!("{base}{HEADER_PATH}")
}

pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route(AVATAR_PATH, get(|| async { png(AVATAR_PNG) }))
        .route(HEADER_PATH, get(|| async { png(HEADER_PNG) }))
}

fn png(bytes: &'static [u8]) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("image/png")),
            (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=86400")),
        ],
        bytes,
    )
        .into_response()
}
