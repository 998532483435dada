//! The files of Maillage's own API: an enterprise's logo and banner
//! (`PUT`/`DELETE /api/maillage/v1/enterprises/{handle}/logo|banner`, under
//! the media body limit: see [`super::upload_routes`]) and what a
//! practice's JSON shows of its attachments and cover. Uploads for a
//! practice are made with `POST /api/v2/media` (the same bearer tokens) and
//! named by id in `PracticeInput`; the rules of attaching them are
//! `maillage_app::media`'s.

use axum::Json;
use axum::extract::{Multipart, Path, State};
use maillage_app::profile_images::{self, PictureSource};
use maillage_db::{Media, Post};
use maillage_domain::profile_image::ImageSlot;
use maillage_domain::{MediaKind, MediaRole};
use serde::Serialize;
use utoipa::ToSchema;

use super::auth::User;
use super::maillage::{Enterprise, enterprise_actor, local_enterprise, our_hub};
use super::mastodon::media::{file_url, read_upload};
use crate::{AppState, HttpError};

/// A file of a practice: an attachment or its cover.
#[derive(Debug, Serialize, ToSchema)]
pub struct PracticeFile {
    /// The upload's id (as `POST /api/v2/media` gave it).
    id: String,
    /// `image` or `document`.
    #[serde(rename = "type")]
    kind: String,
    /// The file: a picture's bounded original, a document as uploaded.
    url: String,
    /// A picture's preview (at most `media.preview_side` pixels a side).
    preview_url: Option<String>,
    /// The alt text (a document: its name when it has no description).
    description: Option<String>,
    /// The type stored (sniffed), e.g. `image/jpeg`, `application/pdf`.
    media_type: String,
    /// Bytes stored, original and preview together.
    size: i64,
    width: Option<i32>,
    height: Option<i32>,
}

/// A practice's multipart picture: the field `file` (JPEG, PNG, WebP or
/// GIF; SVG, HTML and anything else refused with 422; over
/// `media.max_image_bytes`, 413).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct PictureUpload {
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

fn practice_file(state: &AppState, media: &Media) -> PracticeFile {
    // Practices are public: a public base URL of the store may serve them.
    PracticeFile {
        id: media.id.to_string(),
        kind: media.kind.as_str().to_string(),
        url: file_url(state, &media.original_key, true),
        preview_url: media.preview_key.as_deref().map(|key| file_url(state, key, true)),
        description: media.description.clone().or_else(|| match media.kind {
            MediaKind::Document => media.file_name.clone(),
            MediaKind::Image => None,
        }),
        media_type: media.media_type.clone(),
        size: media.byte_size,
        width: media.width,
        height: media.height,
    }
}

/// A practice's attachments (in order) and its cover.
pub(super) async fn practice_files(
    state: &AppState,
    post: &Post,
) -> Result<(Vec<PracticeFile>, Option<PracticeFile>), HttpError> {
    let media = state.db().media_of_posts(&[post.id]).await?;
    let cover = media.iter().find(|m| m.role == MediaRole::Cover).map(|m| practice_file(state, m));
    let attachments = media.iter().filter(|m| m.role == MediaRole::Attachment).map(|m| practice_file(state, m));
    Ok((attachments.collect(), cover))
}

/// An id of `PracticeInput` (a string, as Mastodon gives them).
pub(super) fn media_id(field: &str, id: &str) -> Result<i64, HttpError> {
    id.trim().parse().map_err(|_| HttpError::Unprocessable(format!("{field}: {id:?} is not an upload id")))
}

async fn set(
    state: &AppState,
    user: &User,
    handle: &str,
    slot: ImageSlot,
    source: PictureSource,
) -> Result<Json<Enterprise>, HttpError> {
    user.require("write")?;
    let actor = enterprise_actor(state, handle).await?;
    let actor = profile_images::set_picture(&state.app, &user.acting(), &actor.username, slot, source).await?;
    Ok(Json(local_enterprise(state, &actor, our_hub(state).await?).0))
}

async fn upload(
    state: &AppState,
    user: &User,
    handle: &str,
    slot: ImageSlot,
    multipart: Multipart,
) -> Result<Json<Enterprise>, HttpError> {
    user.require("write")?;
    enterprise_actor(state, handle).await?;
    let file = read_upload(multipart).await?;
    set(state, user, handle, slot, PictureSource::File(file.bytes)).await
}

/// Set an enterprise's logo from a file (its editors, or admins): stored
/// as a square picture under `/media/p/...`, its followers get `Update`
/// with the new `icon`; the old file is deleted.
#[utoipa::path(put, path = "/api/maillage/v1/enterprises/{handle}/logo",
    request_body(content_type = "multipart/form-data", content = PictureUpload),
    responses((status = 200, body = Enterprise), (status = 403, description = "not an editor: nothing is stored"),
        (status = 404), (status = 413, description = "over media.max_image_bytes (named)"),
        (status = 422, description = "not a picture (SVG, HTML, a truncated file...), with the reason")))]
pub async fn put_logo(
    State(state): State<AppState>,
    user: User,
    Path(handle): Path<String>,
    multipart: Multipart,
) -> Result<Json<Enterprise>, HttpError> {
    upload(&state, &user, &handle, ImageSlot::Icon, multipart).await
}

/// Return an enterprise's logo to the default picture; the file is deleted.
#[utoipa::path(delete, path = "/api/maillage/v1/enterprises/{handle}/logo",
    responses((status = 200, body = Enterprise), (status = 403), (status = 404)))]
pub async fn delete_logo(
    State(state): State<AppState>,
    user: User,
    Path(handle): Path<String>,
) -> Result<Json<Enterprise>, HttpError> {
    set(&state, &user, &handle, ImageSlot::Icon, PictureSource::Clear).await
}

/// Set an enterprise's banner from a file (its editors, or admins): its
/// actor's `image`; the old file is deleted.
#[utoipa::path(put, path = "/api/maillage/v1/enterprises/{handle}/banner",
    request_body(content_type = "multipart/form-data", content = PictureUpload),
    responses((status = 200, body = Enterprise), (status = 403, description = "not an editor: nothing is stored"),
        (status = 404), (status = 413, description = "over media.max_image_bytes (named)"),
        (status = 422, description = "not a picture (SVG, HTML, a truncated file...), with the reason")))]
pub async fn put_banner(
    State(state): State<AppState>,
    user: User,
    Path(handle): Path<String>,
    multipart: Multipart,
) -> Result<Json<Enterprise>, HttpError> {
    upload(&state, &user, &handle, ImageSlot::Image, multipart).await
}

/// Return an enterprise's banner to the default picture; the file is deleted.
#[utoipa::path(delete, path = "/api/maillage/v1/enterprises/{handle}/banner",
    responses((status = 200, body = Enterprise), (status = 403), (status = 404)))]
pub async fn delete_banner(
    State(state): State<AppState>,
    user: User,
    Path(handle): Path<String>,
) -> Result<Json<Enterprise>, HttpError> {
    set(&state, &user, &handle, ImageSlot::Image, PictureSource::Clear).await
}
