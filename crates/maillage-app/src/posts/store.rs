//! Writing a post's changes: each is stored with its activities (to the
//! audience the wire crate computes) in one transaction, after any fetch
//! (the post replied to, mentioned actors) is done. Rights are checked by
//! the caller, in `posts`.

use maillage_db::{CoverChange, LocalActor, Media, MediaAttachment, NewPost, Outgoing, Post, PostContent, UtcTime};
use maillage_domain::{ActorKind, MediaRole, NotificationKind, PostKind, Visibility};
use maillage_federation::content::audience::deliveries_for;
use maillage_federation::content::{
    Mention, NoteDraft, PracticeDraft, mentions_of, note_content, post_document, practice_content, with_attachments,
};
use maillage_federation::objects::fetch_remote_object;
use serde_json::json;

use crate::{App, AppError};

/// Posts an update for `enterprise` (or for the author themself).
pub(super) async fn publish_note(
    app: &App,
    draft: &NoteDraft,
    enterprise: &LocalActor,
    author: &LocalActor,
    media: Option<&MediaAttachment>,
) -> Result<Post, AppError> {
    let ctx = app.federation().context();
    let mentions = mentions_of(app.federation(), &draft.text).await?;
    if let Some(reply) = &draft.in_reply_to
        && app.db().post_by_ap_id(reply).await?.is_none()
    {
        // Fetch what we reply to, so that its author gets the reply.
        fetch_remote_object(app.federation(), reply).await?;
    }
    let content = note_content(
        &ctx.urls,
        &draft.text,
        &draft.language,
        &mentions,
        draft.content_warning.as_deref(),
        draft.translation.as_ref(),
    )?;
    let new = NewPost {
        ap_id: ctx.urls.new_object_id(),
        kind: PostKind::Note,
        actor_id: enterprise.id,
        author_id: Some(author.id),
        visibility: draft.visibility,
        in_reply_to: draft.in_reply_to.clone(),
        published: UtcTime::now(),
        content,
    };
    store_new_post(app, new, enterprise, author, media, None).await
}

/// Publishes a shared practice for `enterprise`.
pub(super) async fn publish_practice(
    app: &App,
    draft: &PracticeDraft,
    enterprise: &LocalActor,
    author: &LocalActor,
    media: Option<&MediaAttachment>,
    cover: Option<&CoverChange>,
) -> Result<Post, AppError> {
    let ctx = app.federation().context();
    let content = practice_content(draft)?;
    let new = NewPost {
        ap_id: ctx.urls.new_object_id(),
        kind: PostKind::Article,
        actor_id: enterprise.id,
        author_id: Some(author.id),
        visibility: Visibility::Public,
        in_reply_to: None,
        published: UtcTime::now(),
        content,
    };
    store_new_post(app, new, enterprise, author, media, cover).await
}

/// The post as it will be stored, for building its documents before the
/// post and its activities are stored together.
fn preview(new: &NewPost) -> Post {
    Post {
        id: 0,
        ap_id: new.ap_id.clone(),
        kind: new.kind,
        actor_id: new.actor_id,
        author_id: new.author_id,
        visibility: new.visibility.as_str().to_string(),
        language: new.content.language.clone(),
        title: new.content.title.clone(),
        summary: new.content.summary.clone(),
        source: new.content.source.clone(),
        content_html: new.content.content_html.clone(),
        tags_json: new.content.tags_json.clone(),
        mentions_json: new.content.mentions_json.clone(),
        licence: new.content.licence.clone(),
        adapted_from: new.content.adapted_from.clone(),
        in_reply_to: new.in_reply_to.clone(),
        published: new.published,
        updated: None,
        deleted_at: None,
        content_warning: new.content.content_warning.clone(),
        translations_json: new.content.translations_json.clone(),
    }
}

async fn store_new_post(
    app: &App,
    new: NewPost,
    enterprise: &LocalActor,
    author: &LocalActor,
    media: Option<&MediaAttachment>,
    cover: Option<&CoverChange>,
) -> Result<Post, AppError> {
    let ctx = app.federation().context();
    let preview = preview(&new);
    let mut attached = attached_media(app, media.map(|m| m.media_ids.as_slice())).await?;
    attached.extend(cover_media(app, cover, Vec::new()).await?);
    let document = with_attachments(post_document(&preview, enterprise, Some(author), &ctx.urls), &attached, &ctx.urls);
    let (_, deliveries) = deliveries_for(ctx, "Create", &preview, enterprise, &document).await?;
    let (hub_reshares, enterprise_sends): (Vec<Outgoing>, Vec<Outgoing>) =
        deliveries.into_iter().partition(|o| o.kind == "Announce");
    let post = app.db().create_post_with_files(&new, media, cover, &enterprise_sends).await?;
    // Actors of this instance named in the post hear of it here.
    let mentions: Vec<Mention> = serde_json::from_str(&post.mentions_json).unwrap_or_default();
    for mention in mentions.iter().filter(|m| m.inbox.is_empty()) {
        if let Some(named) = app.db().local_actor_by_ap_id(&mention.href).await? {
            app.db().notify(named.id, NotificationKind::Mention, &enterprise.ap_id, Some(&post.ap_id)).await?;
        }
    }
    if let Some(hub) = app.db().local_actor_of_kind(ActorKind::Hub).await?
        && post.is_public()
        && enterprise.kind() == ActorKind::Enterprise
    {
        let boost = hub_reshares.iter().find(|o| o.public).or(hub_reshares.first());
        let announce_id = boost.map(|o| o.ap_id.clone()).unwrap_or_else(|| ctx.urls.new_activity_id("Announce"));
        let announce_json = boost.map(|o| o.json.clone()).unwrap_or_else(|| {
            json!({ "id": announce_id, "type": "Announce", "actor": hub.ap_id, "object": post.ap_id }).to_string()
        });
        app.db().record_reshare(hub.id, &post.ap_id, &announce_id, &announce_json, &hub_reshares).await?;
    }
    Ok(post)
}

/// The rows of the uploads `ids`, in their order, for the post's document.
async fn attached_media(app: &App, ids: Option<&[i64]>) -> Result<Vec<maillage_db::Media>, AppError> {
    let mut found = Vec::new();
    for id in ids.unwrap_or_default() {
        found.extend(app.db().media_by_id(*id).await?);
    }
    Ok(found)
}

/// The cover a post's document is to show: the one `change` sets (none
/// when it takes it off), or the one among `current` when it is kept.
async fn cover_media(app: &App, change: Option<&CoverChange>, current: Vec<Media>) -> Result<Vec<Media>, AppError> {
    let Some(change) = change else {
        return Ok(current.into_iter().filter(|m| m.role == MediaRole::Cover).collect());
    };
    let Some(id) = change.media_id else { return Ok(Vec::new()) };
    Ok(app.db().media_by_id(id).await?.map(|m| Media { role: MediaRole::Cover, ..m }).into_iter().collect())
}

/// A post's enterprise and author.
async fn post_actors(app: &App, post: &Post) -> Result<(LocalActor, Option<LocalActor>), AppError> {
    let enterprise = app
        .db()
        .local_actor_by_id(post.actor_id)
        .await?
        .ok_or_else(|| AppError::NotFound("the post's enterprise is gone".into()))?;
    let author = match post.author_id {
        Some(id) => app.db().local_actor_by_id(id).await?,
        None => None,
    };
    Ok((enterprise, author))
}

/// Edits an update's text, and its content warning when `content_warning`
/// is given (an empty one takes it off): `Update{Note}` with `updated`.
pub(super) async fn edit_note(
    app: &App,
    post: Post,
    text: &str,
    content_warning: Option<&str>,
    media: Option<&MediaAttachment>,
) -> Result<Post, AppError> {
    let (enterprise, author) = post_actors(app, &post).await?;
    if post.kind != PostKind::Note {
        return Err(AppError::refused("that post is a practice: edit it as a practice"));
    }
    let mentions = mentions_of(app.federation(), text).await?;
    let content_warning = content_warning.or(post.content_warning.as_deref());
    // An edit carries no translation: an old one would no longer match.
    let urls = &app.federation().context().urls;
    let content = note_content(urls, text, &post.language, &mentions, content_warning, None)?;
    save_edit(app, post, enterprise, author, content, media, None).await
}

/// Replaces a practice's content (and its cover when `cover` is given):
/// `Update{Article}`.
pub(super) async fn edit_practice(
    app: &App,
    post: Post,
    draft: &PracticeDraft,
    media: Option<&MediaAttachment>,
    cover: Option<&CoverChange>,
) -> Result<Post, AppError> {
    let (enterprise, author) = post_actors(app, &post).await?;
    if post.kind != PostKind::Article {
        return Err(AppError::refused("that post is an update, not a practice"));
    }
    let content = practice_content(draft)?;
    save_edit(app, post, enterprise, author, content, media, cover).await
}

async fn save_edit(
    app: &App,
    post: Post,
    enterprise: LocalActor,
    author: Option<LocalActor>,
    content: PostContent,
    media: Option<&MediaAttachment>,
    cover: Option<&CoverChange>,
) -> Result<Post, AppError> {
    let ctx = app.federation().context();
    let updated = UtcTime::now();
    let next = Post {
        language: content.language.clone(),
        title: content.title.clone(),
        summary: content.summary.clone(),
        source: content.source.clone(),
        content_html: content.content_html.clone(),
        tags_json: content.tags_json.clone(),
        mentions_json: content.mentions_json.clone(),
        licence: content.licence.clone(),
        adapted_from: content.adapted_from.clone(),
        content_warning: content.content_warning.clone(),
        translations_json: content.translations_json.clone(),
        updated: Some(updated),
        ..post.clone()
    };
    let current = app.db().media_of_posts(&[post.id]).await?;
    let mut attached = cover_media(app, cover, current.clone()).await?;
    match media {
        Some(media) => attached.extend(attached_media(app, Some(&media.media_ids)).await?),
        None => attached.extend(current.into_iter().filter(|m| m.role == MediaRole::Attachment)),
    }
    let document =
        with_attachments(post_document(&next, &enterprise, author.as_ref(), &ctx.urls), &attached, &ctx.urls);
    let (_, deliveries) = deliveries_for(ctx, "Update", &next, &enterprise, &document).await?;
    let (post, replaced) =
        app.db().update_post_with_files(post.id, &content, updated, media, cover, &deliveries).await?;
    crate::media::delete_files(app, &replaced).await;
    Ok(post)
}

/// Deletes a post: `Delete{Tombstone}`, and the hub's reshare is undone.
pub(super) async fn delete(app: &App, post: Post) -> Result<(), AppError> {
    let ctx = app.federation().context();
    let (enterprise, author) = post_actors(app, &post).await?;
    let document = post_document(&post, &enterprise, author.as_ref(), &ctx.urls);
    let (_, deliveries) = deliveries_for(ctx, "Delete", &post, &enterprise, &document).await?;
    let files = app.db().delete_post(post.id, &deliveries).await?;
    crate::media::delete_files(app, &files).await;
    if let Some(hub) = app.db().local_actor_of_kind(ActorKind::Hub).await? {
        crate::hub::unreshare_with(app, &hub, &post.ap_id).await?;
    }
    Ok(())
}
