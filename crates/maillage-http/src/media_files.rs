//! `/media/<key>`: the stored files of uploads, read through the media
//! store. A file of a post is served to whoever may read the post (the one
//! audience check, `visible_post`); an upload not yet attached only to its
//! uploader. The reader is a client's bearer token or, for the images of
//! our pages, the web session's cookie, or the actor of another server whose
//! HTTP signature is on the GET (that server copying a followers-only
//! post's file for its follower). Pictures are served as what we
//! re-encoded them to; documents only as downloads, never rendered
//! (`attachment`, `nosniff`, a sandbox).
//! The pictures of our actors (`p/...`: avatars, headers, logos, banners)
//! are public, as the actor documents that name them.
//! Our copies of other servers' files are served here too, under the same
//! audience check as the remote post they belong to (avatars and headers:
//! to anyone), and fetched first when we do not hold them.

use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::response::{IntoResponse, Response};
use maillage_domain::{MediaKind, RemoteMediaRole};
use maillage_storage::StoreKey;

use crate::api::auth::{BearerOrSession, MaybeUser};
use crate::{AppState, HttpError};

/// Public files never change under their name: cached for a year.
const PUBLIC_CACHE: &str = "public, max-age=31536000, immutable";
/// Files of restricted posts: only the reader's own browser keeps them.
const PRIVATE_CACHE: &str = "private, no-cache";
/// Documents are not pages: nothing in them runs.
const DOCUMENT_CSP: &str = "default-src 'none'; sandbox";

pub(crate) async fn serve(
    State(state): State<AppState>,
    BearerOrSession(viewer): BearerOrSession,
    Path(key): Path<String>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    let missing = || HttpError::NotFound("no such file".into());
    if let Some(image) = key.strip_prefix(ACTOR_IMAGES) {
        return serve_actor_image(&state, image).await;
    }
    let Some(media) = state.db().media_by_key(&key).await? else {
        if key.starts_with(PICTURES) {
            return serve_picture(&state, &key).await;
        }
        return serve_remote(&state, viewer, key).await;
    };
    let public = match media.post_id {
        Some(post_id) => {
            let reader = match viewer.0 {
                // Another server fetching the file for one of its actors
                // (its copy of a followers-only post): that actor reads.
                None if headers.contains_key("signature") => {
                    let target = uri.path_and_query().map_or("/", |p| p.as_str());
                    match maillage_federation::signed_reader(state.federation(), &method, target, &headers, None).await
                    {
                        Ok(reader) => reader,
                        Err(refusal) => return Ok(refusal),
                    }
                }
                _ => viewer.reader(&state).await?,
            };
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
    file_response(
        &state,
        &key,
        &media.media_type,
        public,
        (media.kind == MediaKind::Document).then(|| media.file_name.clone().unwrap_or_else(|| "document".into())),
    )
    .await
}

/// Where the pictures of our actors are stored (`p/<random>/icon.jpg`).
const PICTURES: &str = "p/";
/// Where a remote actor's avatar and header are read: `/media/actors/<id>/<role>`.
use maillage_federation::content::protocol::REMOTE_ACTOR_IMAGES as ACTOR_IMAGES;
/// A remote actor's image may change under its name: cached for an hour.
const ACTOR_IMAGE_CACHE: &str = "public, max-age=3600";

/// A remote actor's avatar or header: our copy, or (when it has none, or it
/// cannot be copied) a redirect to our default image, never a broken one.
async fn serve_actor_image(state: &AppState, image: &str) -> Result<Response, HttpError> {
    let missing = || HttpError::NotFound("no such file".into());
    let (id, role) = image.split_once('/').ok_or_else(missing)?;
    let id: i64 = id.parse().map_err(|_| missing())?;
    let role = RemoteMediaRole::parse(role).map_err(|_| missing())?;
    if role == RemoteMediaRole::Attachment {
        return Err(missing());
    }
    let row = state.db().images_of_remote_actors(&[id]).await?.into_iter().find(|r| r.role == role);
    if let Some(row) = row {
        match maillage_app::media::remote::cached(&state.app, row).await {
            Ok(row) => {
                let media_type = row.media_type.clone().unwrap_or_else(|| "application/octet-stream".into());
                let mut response = file_response(state, &row.original_key, &media_type, true, None).await?;
                response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(ACTOR_IMAGE_CACHE));
                return Ok(response);
            }
            Err(maillage_app::AppError::NotFound(_)) => {}
            Err(error) => return Err(error.into()),
        }
    }
    let base = state.federation().context().urls.base().to_string();
    let fallback = match role {
        RemoteMediaRole::Header => crate::default_images::header_url(&base),
        _ => crate::default_images::avatar_url(&base),
    };
    Ok(axum::response::Redirect::temporary(&fallback).into_response())
}

/// A copy of another server's file: who may read its post (anyone for an
/// actor's images), fetched now if we do not hold it.
async fn serve_remote(state: &AppState, viewer: MaybeUser, key: String) -> Result<Response, HttpError> {
    let missing = || HttpError::NotFound("no such file".into());
    let row = state.db().remote_media_by_key(&key).await?.ok_or_else(missing)?;
    let public = match (row.remote_object_id, row.remote_actor_id) {
        (Some(object_id), _) => {
            let reader = viewer.reader(state).await?;
            let object = state.db().visible_remote_object(&reader, object_id).await?.ok_or_else(missing)?;
            object.visibility().is_open()
        }
        (None, Some(_)) => true,
        // Its post or actor is gone.
        (None, None) => return Err(missing()),
    };
    let row = maillage_app::media::remote::cached(&state.app, row).await?;
    if key == row.preview_key && !row.has_preview {
        return Err(missing());
    }
    let media_type = row.media_type.clone().unwrap_or_else(|| "application/octet-stream".into());
    let document = (row.media_kind() == Some(MediaKind::Document)).then(|| {
        url::Url::parse(&row.remote_url)
            .ok()
            .and_then(|u| u.path_segments().and_then(|mut s| s.next_back().map(str::to_string)))
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| "document".into())
    });
    file_response(state, &key, &media_type, public, document).await
}

/// The stored file `key` with its type and caching; `document`: its name,
/// served as a download only.
async fn file_response(
    state: &AppState,
    key: &str,
    media_type: &str,
    public: bool,
    document: Option<String>,
) -> Result<Response, HttpError> {
    let missing = || HttpError::NotFound("no such file".into());
    let store_key = StoreKey::new(key).map_err(|_| missing())?;
    let bytes = state.app.media_store().get(&store_key).await.map_err(maillage_app::AppError::from)?;
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    let content_type =
        HeaderValue::from_str(media_type).unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"));
    headers.insert(header::CONTENT_TYPE, content_type);
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(if public { PUBLIC_CACHE } else { PRIVATE_CACHE }));
    if !public {
        headers.insert(header::VARY, HeaderValue::from_static("Authorization, Cookie"));
    }
    if let Some(name) = document {
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
