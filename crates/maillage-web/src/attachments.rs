//! What pages show of a post's files: its pictures at preview size (lazy,
//! with their sizes so nothing moves as they load, their alt text, a link
//! to the original) and its documents as download links with their name
//! and size. Always from our own `/media/` URLs, which check the reader
//! (the web session's cookie included) against the post's audience; for
//! another server's post, our copies in the remote cache (`/media/r/...`),
//! so a reader's browser never contacts that server.

use maillage_db::{Media, RemoteMedia};
use maillage_domain::{MediaKind, MediaRole, RemoteMediaState};

use crate::i18n::Lang;
use crate::views::Ctx;

/// A picture as a page shows it.
pub struct ImageView {
    /// The preview.
    pub src: String,
    /// The original, full size.
    pub full: String,
    pub width: i32,
    pub height: i32,
    pub alt: String,
}

/// A document offered for download.
pub struct DocumentView {
    pub href: String,
    /// "name (size, download)".
    pub label: String,
}

/// A picture at preview size, with its alt text.
fn image_view(ctx: &Ctx, file: &Media) -> ImageView {
    let full = format!("/media/{}", file.original_key);
    ImageView {
        src: file.preview_key.as_deref().map_or_else(|| full.clone(), |key| format!("/media/{key}")),
        width: file.preview_width.or(file.width).unwrap_or(0),
        height: file.preview_height.or(file.height).unwrap_or(0),
        alt: described(ctx, file.description.as_deref()),
        full,
    }
}

/// A practice's cover picture, if it has one.
pub fn cover_view(ctx: &Ctx, media: &[Media]) -> Option<ImageView> {
    media.iter().find(|m| m.role == MediaRole::Cover && m.kind == MediaKind::Image).map(|m| image_view(ctx, m))
}

/// The pictures and documents attached to a post, in its order (its
/// cover aside: [`cover_view`]).
pub fn views(ctx: &Ctx, media: &[Media]) -> (Vec<ImageView>, Vec<DocumentView>) {
    let mut images = Vec::new();
    let mut documents = Vec::new();
    for file in media.iter().filter(|m| m.role == MediaRole::Attachment) {
        let full = format!("/media/{}", file.original_key);
        match file.kind {
            MediaKind::Image => images.push(image_view(ctx, file)),
            MediaKind::Document => {
                let name = file
                    .file_name
                    .clone()
                    .unwrap_or_else(|| file.original_key.rsplit('/').next().unwrap_or_default().to_string());
                let label = ctx.t.t2("media-document", ("name", &name), ("size", &size(ctx.lang, file.byte_size)));
                documents.push(DocumentView { href: full, label });
            }
        }
    }
    (images, documents)
}

/// The pictures of another server's post, from our cache, in its order
/// (files we refused and documents are left out).
pub fn remote_images(ctx: &Ctx, media: &[RemoteMedia]) -> Vec<ImageView> {
    media
        .iter()
        .filter(|file| file.state != RemoteMediaState::Failed && file.media_kind() == Some(MediaKind::Image))
        .map(|file| {
            let full = format!("/media/{}", file.original_key);
            ImageView {
                src: if file.shows_preview() { format!("/media/{}", file.preview_key) } else { full.clone() },
                width: file.preview_width.or(file.width).unwrap_or(0),
                height: file.preview_height.or(file.height).unwrap_or(0),
                alt: described(ctx, file.description.as_deref()),
                full,
            }
        })
        .collect()
}

/// A picture's alt text, or that it has none.
fn described(ctx: &Ctx, description: Option<&str>) -> String {
    description.map(str::trim).filter(|d| !d.is_empty()).map_or_else(|| ctx.t.t("media-no-description"), str::to_string)
}

/// A file's size for people: "340 Ko", "1,2 Mo" / "340 KB", "1.2 MB".
fn size(lang: Lang, bytes: i64) -> String {
    let bytes = bytes.max(0) as f64;
    let (value, unit) = if bytes >= 1_048_576.0 {
        (format!("{:.1}", bytes / 1_048_576.0), "M")
    } else {
        (format!("{}", (bytes / 1024.0).ceil() as i64), "K")
    };
    match lang {
        Lang::Fr => format!("{} {unit}o", value.replace('.', ",")),
        Lang::En => format!("{value} {unit}B"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_written_as_each_language_writes_them() {
        assert_eq!(size(Lang::Fr, 348_000), "340 Ko");
        assert_eq!(size(Lang::En, 348_000), "340 KB");
        assert_eq!(size(Lang::Fr, 1_300_000), "1,2 Mo");
        assert_eq!(size(Lang::En, 1_300_000), "1.2 MB");
        assert_eq!(size(Lang::En, 10), "1 KB");
    }
}
