//! Statuses: posting, reading, editing, deleting, favourites and reblogs, threads.

use super::*;

/// `POST /api/v1/statuses`; `maillage_as=<enterprise>` posts for an enterprise one edits.
pub async fn create_status(
    State(state): State<AppState>,
    user: User,
    headers: HeaderMap,
    params: Params,
) -> Result<Json<Value>, HttpError> {
    user.require("write:statuses")?;
    // A retried request with the same Idempotency-Key gets the same status.
    let idempotency = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).filter(|k| !k.is_empty());
    if let Some(post) = maillage_app::posts::published_with_key(&state.app, &user.acting(), idempotency).await? {
        return Ok(Json(local_status(&state, &post, Some(user.member())).await?));
    }
    let text = params.required("status")?;
    let visibility = match params.text("visibility").filter(|v| !v.is_empty()) {
        None => DEFAULT_VISIBILITY,
        Some(name) => Visibility::from_mastodon_name(&name).map_err(|e| HttpError::Unprocessable(e.to_string()))?,
    };
    let media_ids = super::media::media_ids(&params)?.unwrap_or_default();
    // One replies only to what one may read.
    let reader = user.reader(&state).await?;
    let in_reply_to = match params.text("in_reply_to_id").filter(|s| !s.is_empty()) {
        None => None,
        Some(id) => Some(
            match Ref::parse(&id)? {
                Ref::Local(id) => state.db().visible_post(&reader, id).await?.map(|p| p.ap_id),
                Ref::Remote(id) => state.db().visible_remote_object(&reader, id).await?.map(|o| o.ap_id),
            }
            .ok_or_else(|| HttpError::NotFound("the status replied to does not exist".into()))?,
        ),
    };
    let me = &user.account.actor;
    let draft = NoteDraft {
        enterprise: params.text("maillage_as").filter(|s| !s.is_empty()).unwrap_or_else(|| me.username.clone()),
        author: me.username.clone(),
        text,
        language: params.text("language").filter(|s| !s.is_empty()).unwrap_or_else(|| DEFAULT_LANGUAGE.to_string()),
        visibility,
        in_reply_to,
        content_warning: params.text("spoiler_text"),
        translation: None,
    };
    let post = maillage_app::posts::publish_note_once(
        &state.app,
        &user.acting(),
        &draft,
        &media_ids,
        idempotency,
        user.grant.app_id,
    )
    .await?;
    Ok(Json(local_status(&state, &post, Some(user.member())).await?))
}

/// The Status of `id`, when `reader` may see it (else 404, whether or not it exists).
pub(super) async fn status_json(
    state: &AppState,
    id: Ref,
    reader: &Reader,
    viewer: Viewer<'_>,
) -> Result<Value, HttpError> {
    let missing = || HttpError::NotFound("Record not found".into());
    match id {
        Ref::Local(id) => {
            local_status(state, &state.db().visible_post(reader, id).await?.ok_or_else(missing)?, viewer).await
        }
        Ref::Remote(id) => {
            remote_status(state, &state.db().visible_remote_object(reader, id).await?.ok_or_else(missing)?, viewer)
                .await
        }
    }
}

/// `GET /api/v1/statuses/:id`
pub async fn status(
    State(state): State<AppState>,
    viewer: MaybeUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, HttpError> {
    let reader = viewer.reader(&state).await?;
    Ok(Json(status_json(&state, Ref::parse(&id)?, &reader, viewer.member()).await?))
}

/// One of our posts that `user` may read and change (404 when they may
/// not read it; the use case refuses a change they may not make).
pub(super) async fn own_post(state: &AppState, user: &User, id: &str) -> Result<Post, HttpError> {
    let missing = || HttpError::NotFound("Record not found".into());
    let Ref::Local(id) = Ref::parse(id)? else { return Err(missing()) };
    let reader = state.db().reader_for_member(&user.account.actor).await?;
    state.db().visible_post(&reader, id).await?.ok_or_else(missing)
}

/// `DELETE /api/v1/statuses/:id`: only its author (or the enterprise's
/// editors). Answers the status with its `text`, as Mastodon.
pub async fn delete_status(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
) -> Result<Json<Value>, HttpError> {
    user.require("write:statuses")?;
    let post = own_post(&state, &user, &id).await?;
    let mut shown = local_status(&state, &post, Some(user.member())).await?;
    // The source, for apps that delete and redraft.
    shown["text"] = json!(post.source);
    maillage_app::posts::delete(&state.app, &user.acting(), &post.ap_id).await?;
    Ok(Json(shown))
}

/// `PUT /api/v1/statuses/:id`: edits the text of one's own update, and its
/// content warning when `spoiler_text` is given.
pub async fn edit_status(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
    params: Params,
) -> Result<Json<Value>, HttpError> {
    user.require("write:statuses")?;
    let post = own_post(&state, &user, &id).await?;
    if post.kind != PostKind::Note {
        return Err(HttpError::Unprocessable("practices are edited through /api/maillage/v1/practices".into()));
    }
    let warning = params.text("spoiler_text");
    let text = params.required("status")?;
    let media_ids = super::media::media_ids(&params)?;
    let edited = maillage_app::posts::edit_note_with_media(
        &state.app,
        &user.acting(),
        &post.ap_id,
        &text,
        warning.as_deref(),
        media_ids.as_deref(),
    )
    .await?;
    Ok(Json(local_status(&state, &edited, Some(user.member())).await?))
}

/// `GET /api/v1/statuses/:id/source`: the text and content warning of a
/// status one may edit, as written (apps fill their edit form with it).
/// Someone else's status is not found, as on Mastodon.
pub async fn status_source(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
) -> Result<Json<Value>, HttpError> {
    user.require("read:statuses")?;
    let post = own_post(&state, &user, &id).await?;
    let post = match maillage_app::posts::source(&state.app, &user.acting(), &post.ap_id).await {
        Ok(post) => post,
        Err(maillage_app::AppError::Forbidden(_)) => return Err(HttpError::NotFound("Record not found".into())),
        Err(error) => return Err(error.into()),
    };
    Ok(Json(json!({
        "id": id,
        "text": post.source,
        "spoiler_text": post.content_warning.unwrap_or_default(),
    })))
}

/// The ActivityPub id of a status `reader` may see, by its API id.
pub(in crate::api) async fn status_uri(state: &AppState, reader: &Reader, id: &str) -> Result<String, HttpError> {
    let missing = || HttpError::NotFound("Record not found".into());
    Ok(match Ref::parse(id)? {
        Ref::Local(id) => state.db().visible_post(reader, id).await?.ok_or_else(missing)?.ap_id,
        Ref::Remote(id) => state.db().visible_remote_object(reader, id).await?.ok_or_else(missing)?.ap_id,
    })
}

pub(super) async fn react(
    state: &AppState,
    user: &User,
    id: &str,
    kind: maillage_db::ReactionKind,
    undo: bool,
) -> Result<Json<Value>, HttpError> {
    user.require(if kind == maillage_db::ReactionKind::Like { "write:favourites" } else { "write:statuses" })?;
    // What the token may read, as the status shown back.
    let reader = user.reader(state).await?;
    let uri = status_uri(state, &reader, id).await?;
    maillage_app::posts::react(&state.app, &user.account.actor, &uri, kind, undo).await?;
    Ok(Json(status_json(state, Ref::parse(id)?, &reader, Some(user.member())).await?))
}

/// `POST /api/v1/statuses/:id/favourite`
pub async fn favourite(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
) -> Result<Json<Value>, HttpError> {
    react(&state, &user, &id, maillage_db::ReactionKind::Like, false).await
}

/// `POST /api/v1/statuses/:id/unfavourite`
pub async fn unfavourite(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
) -> Result<Json<Value>, HttpError> {
    react(&state, &user, &id, maillage_db::ReactionKind::Like, true).await
}

/// `POST /api/v1/statuses/:id/reblog`
pub async fn reblog(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
) -> Result<Json<Value>, HttpError> {
    react(&state, &user, &id, maillage_db::ReactionKind::Announce, false).await
}

/// `POST /api/v1/statuses/:id/unreblog`
pub async fn unreblog(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
) -> Result<Json<Value>, HttpError> {
    react(&state, &user, &id, maillage_db::ReactionKind::Announce, true).await
}

/// How many replies a context shows at most.
const CONTEXT_DESCENDANTS: usize = 500;

/// `GET /api/v1/statuses/:id/context`: the parent chain, and the replies we
/// hold from every server in thread order, each as the viewer may see it.
pub async fn context(
    State(state): State<AppState>,
    viewer: MaybeUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, HttpError> {
    let reader = viewer.reader(&state).await?;
    let status = status_json(&state, Ref::parse(&id)?, &reader, viewer.member()).await?;
    let mut ancestors = Vec::new();
    let mut parent = status["in_reply_to_id"].as_str().map(str::to_string);
    while let Some(parent_id) = parent.take() {
        if ancestors.len() >= 20 {
            break;
        }
        match status_json(&state, Ref::parse(&parent_id)?, &reader, viewer.member()).await {
            Ok(found) => {
                parent = found["in_reply_to_id"].as_str().map(str::to_string);
                ancestors.insert(0, found);
            }
            Err(_) => break,
        }
    }
    let filters =
        super::filters::in_force(&state, viewer.0.as_ref(), maillage_domain::reading::FilterContext::Thread).await?;
    let ancestors = super::filters::apply(&filters, ancestors);
    let root = status["uri"].as_str().unwrap_or_default();
    let replies = state.db().thread_replies(&reader, root, CONTEXT_DESCENDANTS).await?;
    let page: Vec<StatusOf<'_>> = replies
        .iter()
        .map(|reply| match reply {
            maillage_db::ThreadReply::Local(post) => StatusOf::Local(post),
            maillage_db::ThreadReply::Remote(object) => StatusOf::Remote(object),
        })
        .collect();
    let descendants = entities::statuses(&state, &page, viewer.member()).await?;
    let descendants = super::filters::apply(&filters, descendants);
    Ok(Json(json!({ "ancestors": ancestors, "descendants": descendants })))
}
