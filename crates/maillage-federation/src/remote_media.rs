//! Files of other servers: what we read of an object's `attachment` and an
//! actor's `icon`/`image`, and the fetch of their bytes (the one capped
//! fetch of `picture_fetch`: the outgoing client's address rules, a size
//! cap, redirects checked one by one). Processing and storing the copy is `maillage_app::media::remote`.

use maillage_db::{LocalActor, NewRemoteMedia};
use maillage_domain::{MediaKind, RemoteMediaRole};
use serde_json::Value;
use url::Url;

use crate::context::Context;
use crate::picture_fetch::{CappedFetch, PictureFetchError, fetch_capped};
use crate::remote_body::{BodyError, excerpt};

/// The most attachments we keep of one remote post: Mastodon's own cap for
/// posts of other servers (`ACTIVITYPUB_STATUS_ATTACHMENT_MAX`, 16), so a
/// post from a server allowing more than our `media.max_attachments` is not
/// cut short.
pub const MAX_REMOTE_ATTACHMENTS: usize = 16;
/// Redirects followed (each one checked) before a fetch gives up.
const MAX_REDIRECTS: usize = 3;
/// Alt text kept (Mastodon's limit on its own, with room for others').
const MAX_DESCRIPTION_CHARS: usize = 1500;

fn entries(json: &Value, key: &str) -> Vec<Value> {
    match json.get(key) {
        Some(Value::Array(items)) => items.clone(),
        Some(Value::Null) | None => Vec::new(),
        Some(one) => vec![one.clone()],
    }
}

/// `url` as a string, a `Link` object (`href`), or a list of those: the
/// first http(s) one, with the media type a Link gives.
fn link_of(value: &Value) -> Option<(String, Option<String>)> {
    match value {
        Value::String(s) => http(s).map(|u| (u, None)),
        Value::Object(map) => {
            let href = map.get("href").or_else(|| map.get("url"))?;
            let (url, _) = link_of(href)?;
            Some((url, map.get("mediaType").and_then(Value::as_str).map(str::to_string)))
        }
        Value::Array(items) => items.iter().find_map(link_of),
        _ => None,
    }
}

fn http(text: &str) -> Option<String> {
    let url = Url::parse(text).ok()?;
    matches!(url.scheme(), "http" | "https").then(|| url.to_string())
}

/// `r/<32 random hex>`: where our copy of one file goes.
fn new_folder() -> String {
    format!("r/{}", uuid::Uuid::new_v4().simple())
}

fn dimension(item: &Value, key: &str) -> Option<i32> {
    item.get(key).and_then(Value::as_u64).filter(|v| *v > 0).map(|v| v.min(i32::MAX as u64) as i32)
}

/// Mastodon's `focalPoint` `[x, y]` (-1 to 1), in thousandths.
fn focus(item: &Value) -> (i32, i32) {
    let at = |i: usize| {
        item.get("focalPoint")
            .and_then(|p| p.get(i))
            .and_then(Value::as_f64)
            .filter(|v| v.is_finite())
            .map_or(0, |v| (v.clamp(-1.0, 1.0) * 1000.0).round() as i32)
    };
    (at(0), at(1))
}

/// What a file is by its declared type: a picture, a document, or
/// something we list but do not show (video, audio).
fn kind_of(item_type: &str, media_type: Option<&str>) -> Option<MediaKind> {
    let media_type = media_type.unwrap_or_default().to_ascii_lowercase();
    if media_type.starts_with("video/") || media_type.starts_with("audio/") {
        return None;
    }
    match item_type {
        "Image" => Some(MediaKind::Image),
        "Video" | "Audio" => None,
        _ if media_type.starts_with("image/") => Some(MediaKind::Image),
        _ if media_type.is_empty() => None,
        _ => Some(MediaKind::Document),
    }
}

fn read_one(item: &Value, role: RemoteMediaRole) -> Option<NewRemoteMedia> {
    let item_type = item.get("type").and_then(Value::as_str).unwrap_or("Image");
    if !matches!(item_type, "Image" | "Document" | "Video" | "Audio") {
        return None;
    }
    let (remote_url, link_type) = link_of(item.get("url")?)?;
    let claimed_type = item.get("mediaType").and_then(Value::as_str).map(str::to_string).or(link_type);
    let description = item
        .get("name")
        .and_then(Value::as_str)
        .map(|name| maillage_domain::html::html_to_text(name).chars().take(MAX_DESCRIPTION_CHARS).collect::<String>())
        .filter(|name| !name.trim().is_empty());
    let (focus_x, focus_y) = focus(item);
    Some(NewRemoteMedia {
        role,
        kind: match role {
            RemoteMediaRole::Attachment => kind_of(item_type, claimed_type.as_deref()),
            // An avatar or a header is a picture, or nothing.
            RemoteMediaRole::Avatar | RemoteMediaRole::Header => Some(MediaKind::Image),
        },
        remote_url,
        claimed_type,
        description,
        blurhash: item.get("blurhash").and_then(Value::as_str).filter(|b| b.len() <= 100).map(str::to_string),
        width: dimension(item, "width"),
        height: dimension(item, "height"),
        focus_x,
        focus_y,
        folder: new_folder(),
    })
}

/// The files of a Note, Article or Question: an Article's cover (its
/// `image`, a picture) first, then its `attachment`s that are files (not
/// Mastodon's `PropertyValue`s, not links), in order, at most
/// [`MAX_REMOTE_ATTACHMENTS`] of them. The cover is kept as the first
/// attachment (shown as Mastodon shows a post's first picture; the
/// Mastodon API has no cover), cached and served like the others.
pub fn attachments_of(json: &Value) -> Vec<NewRemoteMedia> {
    let cover = match json.get("type").and_then(Value::as_str) {
        // Only a picture: a cover is never a document or a video.
        Some("Article") => {
            image_of(json, "image", RemoteMediaRole::Attachment).filter(|cover| cover.kind == Some(MediaKind::Image))
        }
        _ => None,
    };
    cover
        .into_iter()
        .chain(
            entries(json, "attachment")
                .iter()
                .filter_map(|item| read_one(item, RemoteMediaRole::Attachment))
                .take(MAX_REMOTE_ATTACHMENTS),
        )
        .collect()
}

/// The one picture at `key` (a URL, an `Image`, or a list of those).
fn image_of(json: &Value, key: &str, role: RemoteMediaRole) -> Option<NewRemoteMedia> {
    match json.get(key) {
        Some(Value::String(url)) => read_one(&serde_json::json!({"type": "Image", "url": url}), role),
        Some(Value::Array(items)) => items.iter().find_map(|i| read_one(i, role)),
        Some(item) => read_one(item, role),
        None => None,
    }
}

/// An actor's avatar (`icon`) and header (`image`), `None` when it has none.
pub fn actor_images_of(json: &Value) -> Vec<(RemoteMediaRole, Option<NewRemoteMedia>)> {
    [("icon", RemoteMediaRole::Avatar), ("image", RemoteMediaRole::Header)]
        .into_iter()
        .map(|(key, role)| (role, image_of(json, key, role)))
        .collect()
}

/// Why a file could not be fetched.
#[derive(Debug, thiserror::Error)]
pub enum MediaFetchError {
    /// The address rules, a redirect loop, a file too large or an answer
    /// that is no file: fetching again would not change it.
    #[error("{0}")]
    Refused(String),
    /// The server did not answer well this time.
    #[error("{0}")]
    Unreachable(String),
}

/// The bytes at `url`, at most `limit`, through our one capped fetch
/// (`picture_fetch::fetch_capped`): each URL (and each redirect's target)
/// passes the address rules first. With `signer` (the file of a post not
/// everyone may read), each request to the file's own server is signed as
/// that local actor, whose right to read the post that server checks; a
/// redirect elsewhere is not signed.
pub async fn fetch_file(
    ctx: &Context,
    url: &str,
    limit: u64,
    signer: Option<LocalActor>,
) -> Result<Vec<u8>, MediaFetchError> {
    let url = Url::parse(url).map_err(|_| MediaFetchError::Refused(format!("not a URL: {}", excerpt(url))))?;
    let how = CappedFetch {
        limit: usize::try_from(limit).unwrap_or(usize::MAX),
        redirects: MAX_REDIRECTS,
        accept: None,
        signer: signer.as_ref(),
    };
    fetch_capped(ctx, url, how).await.map_err(|error| match error {
        PictureFetchError::Refused(reason) => MediaFetchError::Refused(reason),
        PictureFetchError::Unreachable(reason) => MediaFetchError::Unreachable(reason),
        PictureFetchError::Status { status, .. } if status >= 500 || status == 429 => {
            MediaFetchError::Unreachable(error.to_string())
        }
        PictureFetchError::Status { .. } => MediaFetchError::Refused(error.to_string()),
        PictureFetchError::Body { error: BodyError::TooLarge { .. }, .. } => {
            MediaFetchError::Refused(error.to_string())
        }
        PictureFetchError::Body { .. } => MediaFetchError::Unreachable(error.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn mastodon_attachments_are_read() {
        let note = json!({"attachment": [
            {"type": "Document", "mediaType": "image/jpeg", "url": "https://files.example/a.jpg",
             "name": "Un vélo", "blurhash": "LEHV6nWB2yk8", "focalPoint": [0.5, -2.0], "width": 1200, "height": 800},
            {"type": "PropertyValue", "name": "x", "value": "y"},
            {"type": "Image", "url": {"type": "Link", "href": "https://files.example/b.png", "mediaType": "image/png"}},
            {"type": "Document", "mediaType": "video/mp4", "url": "https://files.example/c.mp4"},
            {"type": "Document", "mediaType": "application/pdf", "url": [{"href": "https://files.example/d.pdf"}]},
            {"type": "Image", "url": "file:///etc/passwd"},
        ]});
        let read = attachments_of(&note);
        assert_eq!(read.len(), 4);
        assert_eq!(read[0].kind, Some(MediaKind::Image));
        assert_eq!(read[0].description.as_deref(), Some("Un vélo"));
        assert_eq!((read[0].focus_x, read[0].focus_y), (500, -1000));
        assert_eq!((read[0].width, read[0].height), (Some(1200), Some(800)));
        assert_eq!(read[1].remote_url, "https://files.example/b.png");
        assert_eq!(read[1].claimed_type.as_deref(), Some("image/png"));
        assert_eq!(read[2].kind, None, "a video is listed, not shown");
        assert_eq!(read[3].kind, Some(MediaKind::Document));
        assert_ne!(read[0].folder, read[1].folder);
        assert!(read[0].folder.starts_with("r/"));
    }

    #[test]
    fn a_post_keeps_at_most_mastodons_cap() {
        let many: Vec<Value> =
            (0..20).map(|i| json!({"type": "Image", "url": format!("https://files.example/{i}.jpg")})).collect();
        assert_eq!(attachments_of(&json!({ "attachment": many })).len(), MAX_REMOTE_ATTACHMENTS);
        assert!(attachments_of(&json!({})).is_empty());
    }

    #[test]
    fn an_articles_image_is_its_cover_first() {
        let article = json!({"type": "Article",
            "image": {"type": "Image", "mediaType": "image/jpeg", "url": "https://files.example/cover.jpg", "name": "Le jardin"},
            "attachment": [{"type": "Document", "mediaType": "application/pdf", "url": "https://files.example/guide.pdf"}]});
        let read = attachments_of(&article);
        assert_eq!(read.len(), 2);
        assert_eq!(read[0].remote_url, "https://files.example/cover.jpg", "the cover first");
        assert_eq!(read[0].kind, Some(MediaKind::Image));
        assert_eq!(read[0].description.as_deref(), Some("Le jardin"));
        assert_eq!(read[1].kind, Some(MediaKind::Document));
        let note = json!({"type": "Note", "image": "https://files.example/cover.jpg"});
        assert!(attachments_of(&note).is_empty(), "only an Article's image is a cover");
    }

    #[test]
    fn actor_images_are_icon_and_image() {
        let actor = json!({"icon": {"type": "Image", "url": "https://files.example/me.png"}, "image": "https://files.example/h.jpg"});
        let images = actor_images_of(&actor);
        assert_eq!(images[0].0, RemoteMediaRole::Avatar);
        assert_eq!(images[0].1.as_ref().unwrap().remote_url, "https://files.example/me.png");
        assert_eq!(images[1].1.as_ref().unwrap().remote_url, "https://files.example/h.jpg");
        assert!(actor_images_of(&json!({})).iter().all(|(_, image)| image.is_none()));
    }
}
