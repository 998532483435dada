//! `/media/<key>`: the stored files of uploads, read through the media
//! store. A file of a post is served to whoever may read the post (the one
//! audience check, `visible_post`); an upload not yet attached only to its
//! uploader. Pictures are served as what we re-encoded them to; documents
//! only as downloads, never rendered (`attachment`, `nosniff`, a sandbox).
//! The pictures of our actors (`p/...`: avatars, headers, logos, banners)
//! are public, as the actor documents that name them.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use maillage_domain::MediaKind;
use maillage_storage::StoreKey;

use crate::api::auth::MaybeUser;
use crate::{AppState, HttpError};

/// Public files never change under their name: cached for a year.
const PUBLIC_CACHE: &str = "public, max-age=31536000, immutable";
/// Files of restricted posts: only the reader's own browser keeps them.
const PRIVATE_CACHE: &str = "private, no-cache";
/// Documents are not pages: nothing in them runs.
const DOCUMENT_CSP: &str = "default-src 'none'; sandbox";

pub(crate) async fn serve(
    State(state): State<AppState>,
    viewer: MaybeUser,
    Path(key): Path<String>,
) -> Result<Response, HttpError> {
    let missing = || HttpError::NotFound("no such file".into());
    let Some(media) = state.db().media_by_key(&key).await? else {
        return serve_picture(&state, &key).await;
    };
    let public = match media.post_id {
        Some(post_id) => {
            let reader = viewer.reader(&state).await?;
            let post = state.db().visible_post(&reader, post_id).await?.ok_or_else(missing)?;
            post.visibility().is_open()
        }
        None => {
            let uploader = viewer.0.as_ref().is_some_and(|user| user.account.user_id == media.user_id);
            if !uploader {
                return Err(missing());
            }
            false
        }
    };
    let store_key = StoreKey::new(key.clone()).map_err(|_| missing())?;
    let bytes = state.app.media_store().get(&store_key).await.map_err(maillage_app::AppError::from)?;
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    let content_type = HeaderValue::from_str(&media.media_type)
        .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"));
    headers.insert(header::CONTENT_TYPE, content_type);
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(if public { PUBLIC_CACHE } else { PRIVATE_CACHE }));
    if media.kind == MediaKind::Document {
        let name = media.file_name.as_deref().unwrap_or("document");
        let ascii: String = name.chars().map(|c| if c.is_ascii_graphic() || c == ' ' { c } else { '_' }).collect();
        let disposition = format!("attachment; filename=\"{ascii}\"");
        headers.insert(
            header::CONTENT_DISPOSITION,
            HeaderValue::from_str(&disposition).unwrap_or_else(|_| HeaderValue::from_static("attachment")),
        );
        headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(DOCUMENT_CSP));
    }
    Ok(response)
}

/// A picture of one of our actors (avatar, header, logo, banner): public,
/// as the actor document that names it.
async fn serve_picture(state: &AppState, key: &str) -> Result<Response, HttpError> {
    let missing = || HttpError::NotFound("no such file".into());
    state.db().local_actor_by_image_key(key).await?.ok_or_else(missing)?;
    let store_key = StoreKey::new(key.to_string()).map_err(|_| missing())?;
    let bytes = state.app.media_store().get(&store_key).await.map_err(maillage_app::AppError::from)?;
    let media_type = maillage_domain::profile_image::media_type_of_key(key);
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(media_type));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(PUBLIC_CACHE));
    Ok(response)
}
