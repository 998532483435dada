//! Files on the workspace's forms: the photos of an update (each with its
//! alt text) and the photos and documents of a practice. The form is
//! `multipart/form-data` (plain forms without files still work); each file
//! goes through the upload use case as it arrives, the same as from a
//! Mastodon app, so only one file at a time is held in memory. A form
//! refused for any reason is shown again with the files already uploaded
//! kept (as hidden ids of the member's own uploads, with their
//! thumbnails), so nobody chooses their photos twice.
//!
//! Fields of slot `N` (1, 2, ...): `file_N` (a new file), `alt_N` (its
//! description), `media_N` (an upload kept from a refused submission) and
//! `remove_N` (leave that one out).
//!
//! Alt text: the web asks for it and refuses a photo without one (the form
//! is shown again with the photo kept); Mastodon apps may leave it empty,
//! as Mastodon allows. Documents need none.

use std::collections::BTreeMap;

use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{StatusCode, header};
use maillage_app::media::{self, Upload};
use maillage_app::{Acting, AppError};
use maillage_db::Media;
use maillage_domain::MediaKind;
use serde::de::DeserializeOwned;

use crate::WebState;
use crate::error::PageError;
use crate::views::Ctx;

/// Slots a submission may use: beyond `media.max_attachments`, the use
/// case refuses the post; beyond this, the fields are not even read.
const MAX_SLOTS: usize = 16;

/// A submitted form: its text fields and its files, uploaded.
pub(super) struct Submitted {
    pairs: Vec<(String, String)>,
    slots: BTreeMap<usize, SlotInput>,
    /// Files refused on upload: (file name, why).
    refusals: Vec<(String, AppError)>,
    /// The named pictures' bytes (field name, bytes), for their use case.
    pictures: Vec<(String, Vec<u8>)>,
}

/// The files a form carries.
#[derive(Clone, Copy)]
pub(super) enum Expecting<'a> {
    /// Numbered slots (`file_N`), each uploaded as it arrives for the
    /// enterprise the named text field gives.
    Slots { for_field: &'a str },
    /// Pictures in the named fields (an enterprise's logo and banner),
    /// held until their use case has them.
    Pictures(&'a [&'a str]),
}

#[derive(Default)]
struct SlotInput {
    media: Option<i64>,
    alt: String,
    remove: bool,
}

/// A file on a form, as shown again.
pub(super) struct SlotView {
    pub(super) index: usize,
    pub(super) alt: String,
    pub(super) kept: Option<KeptView>,
}

/// An upload kept from a refused submission.
pub(super) struct KeptView {
    pub(super) id: i64,
    /// The preview of a picture (its uploader's browser reads it).
    pub(super) thumbnail: Option<String>,
    pub(super) width: i32,
    pub(super) height: i32,
    /// A document's name.
    pub(super) name: String,
}

/// The files of a form once checked: in slot order.
#[derive(Default)]
pub(super) struct Files {
    pub(super) attached: Vec<(usize, Media, String)>,
    /// What to tell the member, one line per refused file.
    pub(super) problems: Vec<String>,
    /// A refusal's status: 413 when a file was too large, else 422.
    pub(super) too_large: bool,
}

impl Files {
    /// The status of the form shown again: 200 when no file was refused,
    /// 413 when one was too large, else 422.
    pub(super) fn status(&self) -> StatusCode {
        if self.problems.is_empty() {
            StatusCode::OK
        } else if self.too_large {
            StatusCode::PAYLOAD_TOO_LARGE
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        }
    }

    pub(super) fn ids(&self) -> Vec<i64> {
        self.attached.iter().map(|(_, media, _)| media.id).collect()
    }

    /// The form's slots as shown again: the kept files, then empty slots
    /// up to `max` in all.
    pub(super) fn slots(&self, max: usize) -> Vec<SlotView> {
        let mut views: Vec<SlotView> = self
            .attached
            .iter()
            .map(|(_, media, alt)| SlotView { index: 0, alt: alt.clone(), kept: Some(kept_view(media)) })
            .collect();
        while views.len() < max {
            views.push(SlotView { index: 0, alt: String::new(), kept: None });
        }
        for (n, view) in views.iter_mut().enumerate() {
            view.index = n + 1;
        }
        views
    }
}

/// A post's attachments as kept slots, then empty ones up to `max`.
pub(super) fn kept_slots(media: &[Media], max: usize) -> Vec<SlotView> {
    let attached = media.iter().map(|m| (0, m.clone(), m.description.clone().unwrap_or_default())).collect::<Vec<_>>();
    Files { attached, ..Files::default() }.slots(max)
}

/// `max` empty slots (a new form).
pub(super) fn empty_slots(max: usize) -> Vec<SlotView> {
    Files::default().slots(max)
}

fn kept_view(media: &Media) -> KeptView {
    let preview = media.preview_key.as_deref().unwrap_or(&media.original_key);
    KeptView {
        id: media.id,
        thumbnail: (media.kind == MediaKind::Image).then(|| format!("/media/{preview}")),
        width: media.preview_width.or(media.width).unwrap_or(0),
        height: media.preview_height.or(media.height).unwrap_or(0),
        name: media.file_name.clone().unwrap_or_default(),
    }
}

/// The slot number of a field `PREFIX_N`.
fn slot_of(name: &str, prefix: &str) -> Option<usize> {
    let n: usize = name.strip_prefix(prefix)?.parse().ok()?;
    (1..=MAX_SLOTS).contains(&n).then_some(n)
}

impl Submitted {
    /// Reads a form (multipart with files, or a plain one), checking its
    /// CSRF token before the first file is stored.
    pub(super) async fn read(
        state: &WebState,
        ctx: &Ctx,
        acting: &Acting,
        expecting: Expecting<'_>,
        request: Request,
    ) -> Result<Self, PageError> {
        let is_multipart = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("multipart/form-data"));
        let mut submitted =
            Submitted { pairs: Vec::new(), slots: BTreeMap::new(), refusals: Vec::new(), pictures: Vec::new() };
        if !is_multipart {
            let bytes = axum::body::Bytes::from_request(request, state)
                .await
                .map_err(|e| PageError::bad_request(ctx.lang, &e.body_text()))?;
            for (name, value) in url::form_urlencoded::parse(&bytes).into_owned() {
                submitted.text_field(name, value);
            }
            ctx.check_csrf(&submitted.value("csrf"))?;
            return Ok(submitted);
        }
        let mut multipart = Multipart::from_request(request, state)
            .await
            .map_err(|e| PageError::bad_request(ctx.lang, &e.body_text()))?;
        let unreadable = |e: axum::extract::multipart::MultipartError| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                PageError::app(ctx.lang, AppError::TooLarge(e.body_text()))
            } else {
                PageError::bad_request(ctx.lang, &e.body_text())
            }
        };
        let mut csrf_checked = false;
        while let Some(field) = multipart.next_field().await.map_err(unreadable)? {
            let name = field.name().unwrap_or_default().to_string();
            let for_field = match expecting {
                Expecting::Pictures(names) if names.contains(&name.as_str()) => {
                    let bytes = field.bytes().await.map_err(unreadable)?;
                    // An empty file input: no new picture.
                    if !bytes.is_empty() {
                        submitted.pictures.push((name, bytes.to_vec()));
                    }
                    continue;
                }
                Expecting::Pictures(_) => None,
                Expecting::Slots { for_field } => Some(for_field),
            };
            let Some((slot, for_field)) = slot_of(&name, "file_").zip(for_field) else {
                let value = field.text().await.map_err(unreadable)?;
                submitted.text_field(name, value);
                continue;
            };
            let file_name = field.file_name().unwrap_or_default().to_string();
            let bytes = field.bytes().await.map_err(unreadable)?;
            // A file input left empty: the browser sends no name and no bytes.
            if file_name.is_empty() && bytes.is_empty() {
                continue;
            }
            if !csrf_checked {
                ctx.check_csrf(&submitted.value("csrf"))?;
                csrf_checked = true;
            }
            let for_actor = submitted.value(for_field);
            let upload = Upload {
                bytes: bytes.to_vec(),
                file_name: Some(file_name.clone()),
                for_actor: Some(for_actor),
                ..Upload::default()
            };
            match media::upload(&state.shared.app, acting, upload).await {
                Ok(media) => submitted.slots.entry(slot).or_default().media = Some(media.id),
                Err(error @ (AppError::Invalid { .. } | AppError::TooLarge(_))) => {
                    submitted.refusals.push((file_name, error));
                }
                Err(error) => return Err(PageError::app(ctx.lang, error)),
            }
        }
        if !csrf_checked {
            ctx.check_csrf(&submitted.value("csrf"))?;
        }
        Ok(submitted)
    }

    fn text_field(&mut self, name: String, value: String) {
        if let Some(slot) = slot_of(&name, "alt_") {
            self.slots.entry(slot).or_default().alt = value;
        } else if let Some(slot) = slot_of(&name, "media_") {
            // A kept upload; a new file in the same slot comes after it.
            if let Ok(id) = value.trim().parse() {
                let input = self.slots.entry(slot).or_default();
                input.media = input.media.or(Some(id));
            }
        } else if let Some(slot) = slot_of(&name, "remove_") {
            self.slots.entry(slot).or_default().remove = true;
        } else {
            self.pairs.push((name, value));
        }
    }

    /// The bytes sent in the picture field `name`, if a file was chosen.
    pub(super) fn picture(&self, name: &str) -> Option<Vec<u8>> {
        self.pictures.iter().find(|(n, _)| n == name).map(|(_, bytes)| bytes.clone())
    }

    /// The text field `name` ("" when absent).
    pub(super) fn value(&self, name: &str) -> String {
        self.pairs.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone()).unwrap_or_default()
    }

    /// The text fields, read into the form's type.
    pub(super) fn form<T: DeserializeOwned + Default>(&self) -> T {
        let encoded = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(&self.pairs).finish();
        serde_html_form::from_str(&encoded).unwrap_or_default()
    }

    /// The files the member keeps, each with its alt text saved (through
    /// the use case), and what to tell them about the rest: refused
    /// uploads, and photos without a description.
    /// `current`: the post's attachments (an edit), kept by id even when
    /// another member uploaded them (the edit use case decides on them).
    pub(super) async fn files(
        self,
        state: &WebState,
        ctx: &Ctx,
        acting: &Acting,
        current: &[Media],
    ) -> Result<Files, PageError> {
        let mut files = Files::default();
        for (file_name, error) in self.refusals {
            files.too_large |= matches!(error, AppError::TooLarge(_));
            let what = ctx.t.t1("upload-file", "name", &file_name);
            files.problems.push(ctx.t.t2("upload-refused", ("file", &what), ("reason", &refusal(state, ctx, &error))));
        }
        for (slot, input) in self.slots {
            let Some(id) = input.media.filter(|_| !input.remove) else { continue };
            // Someone else's id: not shown, and never attached.
            let alt = input.alt.trim().to_string();
            let Ok(mut media) = media::own(&state.shared.app, acting, id).await else {
                if let Some(theirs) = current.iter().find(|m| m.id == id) {
                    let alt = theirs.description.clone().unwrap_or_default();
                    files.attached.push((slot, theirs.clone(), alt));
                }
                continue;
            };
            if media.description.as_deref().unwrap_or_default() != alt {
                media = media::describe(&state.shared.app, acting, id, Some(&alt), None)
                    .await
                    .map_err(|e| PageError::app(ctx.lang, e))?;
            }
            if media.kind == MediaKind::Image && alt.is_empty() {
                files.problems.push(ctx.t.n("upload-alt-missing", "number", files.attached.len() + 1));
            }
            files.attached.push((slot, media, alt));
        }
        Ok(files)
    }
}

/// Why a file was refused, in the reader's language where we know the
/// limit, else the use case's own words.
pub(super) fn refusal(state: &WebState, ctx: &Ctx, error: &AppError) -> String {
    match error {
        AppError::TooLarge(message) if !message.contains("quota") => {
            let media = &state.shared.config().media;
            let megabytes = |bytes: u64| format!("{:.1}", bytes as f64 / 1_048_576.0);
            ctx.t.t2(
                "upload-too-large",
                ("images", &megabytes(media.max_image_bytes)),
                ("documents", &megabytes(media.max_document_bytes)),
            )
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slot_fields_are_numbered_from_one_and_bounded() {
        assert_eq!(slot_of("file_1", "file_"), Some(1));
        assert_eq!(slot_of("alt_16", "alt_"), Some(16));
        assert_eq!(slot_of("file_0", "file_"), None);
        assert_eq!(slot_of("file_17", "file_"), None);
        assert_eq!(slot_of("file_x", "file_"), None);
        assert_eq!(slot_of("alt_1", "file_"), None);
    }

    #[test]
    fn a_new_form_has_empty_numbered_slots() {
        let slots = empty_slots(4);
        assert_eq!(slots.iter().map(|s| s.index).collect::<Vec<_>>(), vec![1, 2, 3, 4]);
        assert!(slots.iter().all(|s| s.kept.is_none() && s.alt.is_empty()));
    }
}
