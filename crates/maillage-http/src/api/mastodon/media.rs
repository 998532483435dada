//! Media: uploading a picture or document (`POST /api/v1/media`,
//! `/api/v2/media`, multipart), reading and describing one's own upload,
//! and the MediaAttachment entity statuses carry.
//!
//! Uploads are processed before the answer (on the bounded pool), so
//! `/api/v2/media` answers 200 with the finished entity, which Mastodon's
//! rule allows ("200 when already processed"); 202 is never needed.

use axum::extract::Multipart;
use axum::extract::multipart::MultipartError;
use axum::http::StatusCode;
use maillage_app::media::{self, Upload};
use maillage_db::{Media, RemoteMedia};
use maillage_domain::{MediaKind, RemoteMediaState};
use maillage_storage::StoreKey;

use super::*;

/// Where readers fetch a stored file: the store's public URL for the files
/// of public posts when it has one, else our own `/media/<key>` (through
/// the audience check).
pub(crate) fn file_url(state: &AppState, key: &str, public: bool) -> String {
    if public && let Some(direct) = StoreKey::new(key).ok().and_then(|k| state.app.media_store().direct_url(&k)) {
        return direct.to_string();
    }
    let base = state.federation().context().urls.base().to_string();
    format!("{}/media/{key}", base.trim_end_matches('/'))
}

fn size_meta(width: Option<i32>, height: Option<i32>) -> Value {
    match (width, height) {
        (Some(w), Some(h)) if h > 0 => json!({
            "width": w,
            "height": h,
            "size": format!("{w}x{h}"),
            "aspect": f64::from(w) / f64::from(h),
        }),
        _ => Value::Null,
    }
}

/// The MediaAttachment entity of an upload; `public`: of a public post.
pub(crate) fn media_attachment(state: &AppState, media: &Media, public: bool) -> Value {
    let url = file_url(state, &media.original_key, public);
    let preview_url = media.preview_key.as_deref().map(|k| file_url(state, k, public));
    let meta = match media.kind {
        MediaKind::Image => json!({
            "original": size_meta(media.width, media.height),
            "small": size_meta(media.preview_width, media.preview_height),
            "focus": { "x": f64::from(media.focus_x) / 1000.0, "y": f64::from(media.focus_y) / 1000.0 },
        }),
        MediaKind::Document => json!({}),
    };
    json!({
        "id": media.id.to_string(),
        "type": match media.kind { MediaKind::Image => "image", MediaKind::Document => "unknown" },
        "url": url,
        "preview_url": preview_url,
        "remote_url": null,
        "text_url": null,
        "meta": meta,
        "description": media.description,
        "blurhash": media.blurhash,
    })
}

/// The MediaAttachment entity of another server's file: `url` and
/// `preview_url` are always ours (the file is fetched when first asked for;
/// one we refused answers 404 and is typed `unknown`), `remote_url` the
/// original, so a reader's browser never contacts the other server.
pub(crate) fn remote_media_attachment(state: &AppState, media: &RemoteMedia) -> Value {
    let ours = |key: &str| file_url(state, key, false);
    let kind = match (media.state, media.media_kind()) {
        (RemoteMediaState::Failed, _) | (_, None) => "unknown",
        (_, Some(MediaKind::Image)) => "image",
        (_, Some(MediaKind::Document)) => "unknown",
    };
    let meta = match kind {
        "image" => json!({
            "original": size_meta(media.width, media.height),
            "small": size_meta(media.preview_width, media.preview_height),
            "focus": { "x": f64::from(media.focus_x) / 1000.0, "y": f64::from(media.focus_y) / 1000.0 },
        }),
        _ => json!({}),
    };
    json!({
        "id": format!("r{}", media.id),
        "type": kind,
        "url": ours(&media.original_key),
        "preview_url": media.shows_preview().then(|| ours(&media.preview_key)),
        "remote_url": media.remote_url,
        "text_url": null,
        "meta": meta,
        "description": media.description,
        "blurhash": media.blurhash,
    })
}

/// The fields of an upload's multipart body.
pub(crate) async fn read_upload(mut multipart: Multipart) -> Result<Upload, HttpError> {
    let unreadable = |e: MultipartError| match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => {
            HttpError::PayloadTooLarge(format!("the file is too large: {}", e.body_text()))
        }
        _ => HttpError::BadRequest(format!("cannot read the multipart body: {}", e.body_text())),
    };
    let mut upload = Upload::default();
    let mut has_file = false;
    while let Some(field) = multipart.next_field().await.map_err(unreadable)? {
        match field.name().unwrap_or_default() {
            "file" => {
                upload.file_name = field.file_name().map(str::to_string);
                upload.bytes = field.bytes().await.map_err(unreadable)?.to_vec();
                has_file = true;
            }
            "description" => upload.description = Some(field.text().await.map_err(unreadable)?),
            "focus" => upload.focus = Some(field.text().await.map_err(unreadable)?),
            "maillage_as" => upload.for_actor = Some(field.text().await.map_err(unreadable)?),
            // `thumbnail` and anything else: not used.
            _ => {}
        }
    }
    if !has_file {
        return Err(HttpError::Unprocessable("the parameter `file` is required".into()));
    }
    Ok(upload)
}

async fn upload(state: &AppState, user: &User, multipart: Multipart) -> Result<Value, HttpError> {
    user.require("write:media")?;
    let upload = read_upload(multipart).await?;
    let media = media::upload(&state.app, &user.acting(), upload).await?;
    Ok(media_attachment(state, &media, false))
}

/// `POST /api/v1/media`: processed before the answer.
pub async fn upload_v1(
    State(state): State<AppState>,
    user: User,
    multipart: Multipart,
) -> Result<Json<Value>, HttpError> {
    Ok(Json(upload(&state, &user, multipart).await?))
}

/// `POST /api/v2/media`: processed before the answer too, hence 200 (202
/// is for uploads still processing, which ours never are).
pub async fn upload_v2(
    State(state): State<AppState>,
    user: User,
    multipart: Multipart,
) -> Result<Json<Value>, HttpError> {
    Ok(Json(upload(&state, &user, multipart).await?))
}

fn media_id(id: &str) -> Result<i64, HttpError> {
    id.parse().map_err(|_| HttpError::NotFound("Record not found".into()))
}

/// `GET /api/v1/media/:id`: one's own upload (404 for anyone else).
pub async fn get_media(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
) -> Result<Json<Value>, HttpError> {
    user.require("write:media")?;
    let media = media::own(&state.app, &user.acting(), media_id(&id)?).await?;
    let public = attached_to_public_post(&state, &media).await?;
    Ok(Json(media_attachment(&state, &media, public)))
}

/// `PUT /api/v1/media/:id`: alt text (`description`) and `focus`.
pub async fn update_media(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
    params: Params,
) -> Result<Json<Value>, HttpError> {
    user.require("write:media")?;
    let description = params.text("description");
    let focus = params.text("focus");
    let media =
        media::describe(&state.app, &user.acting(), media_id(&id)?, description.as_deref(), focus.as_deref()).await?;
    let public = attached_to_public_post(&state, &media).await?;
    Ok(Json(media_attachment(&state, &media, public)))
}

async fn attached_to_public_post(state: &AppState, media: &Media) -> Result<bool, HttpError> {
    Ok(match media.post_id {
        Some(id) => {
            state.db().post_by_id(id).await?.is_some_and(|p| p.deleted_at.is_none() && p.visibility().is_open())
        }
        None => false,
    })
}

/// `media_ids[]` of a status, as apps send them (text, or JSON numbers);
/// `None` when the request names none.
pub(super) fn media_ids(params: &Params) -> Result<Option<Vec<i64>>, HttpError> {
    let texts: Vec<String> = match params.0.get("media_ids") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| match v {
                Value::Number(n) => n.to_string(),
                other => other.as_str().unwrap_or_default().to_string(),
            })
            .collect(),
        Some(_) => params.list("media_ids"),
    };
    texts
        .iter()
        .filter(|id| !id.is_empty())
        .map(|id| id.parse().map_err(|_| HttpError::Unprocessable(format!("media_ids: {id:?} is not an upload id"))))
        .collect::<Result<Vec<i64>, HttpError>>()
        .map(Some)
}

/// The configuration of `/api/v1/instance` and `/api/v2/instance` about media.
pub(super) fn instance_configuration(state: &AppState) -> Value {
    let config = &state.config().media;
    json!({
        "supported_mime_types": [
            "image/jpeg", "image/png", "image/webp", "image/gif",
            "application/pdf", "application/vnd.oasis.opendocument.text",
            "application/vnd.oasis.opendocument.spreadsheet",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "text/csv", "text/plain",
        ],
        "image_size_limit": config.max_image_bytes,
        "image_matrix_limit": config.max_image_pixels,
        "video_size_limit": 0,
        "video_frame_rate_limit": 0,
        "video_matrix_limit": 0,
        "description_limit": media::DESCRIPTION_LIMIT,
    })
}
