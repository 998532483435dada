//! Our posts: publishing updates and practices, editing and deleting them.
//! Each change is stored with its activities, to the audience `audience`
//! computes; who may ask is the use case's to check.

use maillage_db::{LocalActor, NewPost, Outgoing, Post, PostContent, UtcTime};
use maillage_domain::post_text::handles_in;
use maillage_domain::{ActorKind, NotificationKind, PostKind, Visibility};
use serde_json::json;

use super::audience::deliveries_for;
use super::drafts::{NoteDraft, PracticeDraft, note_content, practice_content};
use super::hub::unreshare_with;
use super::protocol::{Mention, post_document};
use crate::activities::resolve_actor;
use crate::context::{Context, Federation};
use crate::error::FederationError;

async fn enterprise_and_author(
    ctx: &Context,
    enterprise: &str,
    author: &str,
) -> Result<(LocalActor, LocalActor), FederationError> {
    let author_actor = ctx
        .db
        .local_actor_by_username(author.trim_start_matches('@'))
        .await?
        .filter(|a| a.kind() == ActorKind::Member)
        .ok_or_else(|| FederationError::NotFound(format!("no member {author:?} on this instance")))?;
    // A member posting as themselves.
    if enterprise.trim_start_matches('@').eq_ignore_ascii_case(&author_actor.username) {
        return Ok((author_actor.clone(), author_actor));
    }
    let enterprise_actor = ctx
        .db
        .local_actor_by_username(enterprise.trim_start_matches('@'))
        .await?
        .filter(|a| a.kind() == ActorKind::Enterprise)
        .ok_or_else(|| FederationError::NotFound(format!("no enterprise {enterprise:?} on this instance")))?;
    if !ctx.db.is_editor(enterprise_actor.id, author_actor.id).await? {
        return Err(FederationError::Forbidden(format!(
            "{} cannot publish for {}: add them with `maillage admin enterprise add-editor`",
            author_actor.username, enterprise_actor.username
        )));
    }
    Ok((enterprise_actor, author_actor))
}

async fn mentions_of(federation: &Federation, text: &str) -> Result<Vec<Mention>, FederationError> {
    let ctx = federation.context();
    let mut mentions = Vec::new();
    for handle in handles_in(text) {
        let (user, domain) = handle.trim_start_matches('@').split_once('@').unwrap_or_default();
        if domain.eq_ignore_ascii_case(&ctx.config.instance.domain) {
            let local = ctx
                .db
                .local_actor_by_username(user)
                .await?
                .filter(|a| a.kind() != ActorKind::Instance)
                .ok_or_else(|| FederationError::NotFound(format!("no account {handle} on this instance")))?;
            mentions.push(Mention { href: local.ap_id, name: handle.clone(), inbox: String::new() });
            continue;
        }
        let remote = resolve_actor(federation, &handle).await?;
        mentions.push(Mention {
            href: remote.row.ap_id.clone(),
            name: handle.clone(),
            inbox: remote
                .row
                .delivery_inbox()
                .map(str::to_string)
                .ok_or_else(|| FederationError::invalid(format!("{handle} has no inbox on its own server")))?,
        });
    }
    Ok(mentions)
}

/// Posts an update for an enterprise; returns the stored post.
pub async fn publish_note(federation: &Federation, draft: &NoteDraft) -> Result<Post, FederationError> {
    let ctx = federation.context();
    let (enterprise, author) = enterprise_and_author(ctx, &draft.enterprise, &draft.author).await?;
    let mentions = mentions_of(federation, &draft.text).await?;
    if let Some(reply) = &draft.in_reply_to
        && ctx.db.post_by_ap_id(reply).await?.is_none()
    {
        // Fetch what we reply to, so that its author gets the reply.
        crate::objects::fetch_remote_object(federation, reply).await?;
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
    store_new_post(ctx, new, &enterprise, &author).await
}

async fn store_new_post(
    ctx: &Context,
    new: NewPost,
    enterprise: &LocalActor,
    author: &LocalActor,
) -> Result<Post, FederationError> {
    // Build the documents from what will be stored, then store both at once.
    let preview = Post {
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
    };
    let document = post_document(&preview, enterprise, Some(author), &ctx.urls);
    let (_, deliveries) = deliveries_for(ctx, "Create", &preview, enterprise, &document).await?;
    let (hub_reshares, enterprise_sends): (Vec<Outgoing>, Vec<Outgoing>) =
        deliveries.into_iter().partition(|o| o.kind == "Announce");
    let post = ctx.db.create_post(&new, &enterprise_sends).await?;
    // Actors of this instance named in the post hear of it here.
    let mentions: Vec<Mention> = serde_json::from_str(&post.mentions_json).unwrap_or_default();
    for mention in mentions.iter().filter(|m| m.inbox.is_empty()) {
        if let Some(named) = ctx.db.local_actor_by_ap_id(&mention.href).await? {
            ctx.db.notify(named.id, NotificationKind::Mention, &enterprise.ap_id, Some(&post.ap_id)).await?;
        }
    }
    if let Some(hub) = ctx.db.local_actor_of_kind(ActorKind::Hub).await?
        && post.is_public()
        && enterprise.kind() == ActorKind::Enterprise
    {
        let boost = hub_reshares.iter().find(|o| o.public).or(hub_reshares.first());
        let announce_id = boost.map(|o| o.ap_id.clone()).unwrap_or_else(|| ctx.urls.new_activity_id("Announce"));
        let announce_json = boost.map(|o| o.json.clone()).unwrap_or_else(|| {
            json!({ "id": announce_id, "type": "Announce", "actor": hub.ap_id, "object": post.ap_id }).to_string()
        });
        ctx.db.record_reshare(hub.id, &post.ap_id, &announce_id, &announce_json, &hub_reshares).await?;
    }
    Ok(post)
}

/// Publishes a shared practice.
pub async fn publish_practice(federation: &Federation, draft: &PracticeDraft) -> Result<Post, FederationError> {
    let ctx = federation.context();
    let (enterprise, author) = enterprise_and_author(ctx, &draft.enterprise, &draft.author).await?;
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
    store_new_post(ctx, new, &enterprise, &author).await
}

/// A post's enterprise and author.
async fn post_actors(ctx: &Context, post: &Post) -> Result<(LocalActor, Option<LocalActor>), FederationError> {
    let enterprise = ctx
        .db
        .local_actor_by_id(post.actor_id)
        .await?
        .ok_or_else(|| FederationError::NotFound("the post's enterprise is gone".into()))?;
    let author = match post.author_id {
        Some(id) => ctx.db.local_actor_by_id(id).await?,
        None => None,
    };
    Ok((enterprise, author))
}

/// Edits an update's text, and its content warning when `content_warning`
/// is given (an empty one takes it off): `Update{Note}` with `updated`.
///
/// Rights are the caller's: the use-case layer checks who may change it.
pub async fn edit_note(
    federation: &Federation,
    post: Post,
    text: &str,
    content_warning: Option<&str>,
) -> Result<Post, FederationError> {
    let ctx = federation.context();
    let (enterprise, author) = post_actors(ctx, &post).await?;
    if post.kind != PostKind::Note {
        return Err(FederationError::invalid("that post is a practice: edit it as a practice"));
    }
    let mentions = mentions_of(federation, text).await?;
    let content_warning = content_warning.or(post.content_warning.as_deref());
    // An edit carries no translation: an old one would no longer match.
    let content = note_content(&ctx.urls, text, &post.language, &mentions, content_warning, None)?;
    save_edit(ctx, post, enterprise, author, content).await
}

/// Replaces a practice's content: `Update{Article}`.
pub async fn edit_practice(
    federation: &Federation,
    post: Post,
    draft: &PracticeDraft,
) -> Result<Post, FederationError> {
    let ctx = federation.context();
    let (enterprise, author) = post_actors(ctx, &post).await?;
    if post.kind != PostKind::Article {
        return Err(FederationError::invalid("that post is an update, not a practice"));
    }
    let content = practice_content(draft)?;
    save_edit(ctx, post, enterprise, author, content).await
}

async fn save_edit(
    ctx: &Context,
    post: Post,
    enterprise: LocalActor,
    author: Option<LocalActor>,
    content: PostContent,
) -> Result<Post, FederationError> {
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
    let document = post_document(&next, &enterprise, author.as_ref(), &ctx.urls);
    let (_, deliveries) = deliveries_for(ctx, "Update", &next, &enterprise, &document).await?;
    Ok(ctx.db.update_post(post.id, &content, updated, &deliveries).await?)
}

/// Deletes a post: `Delete{Tombstone}`, and the hub's reshare is undone.
pub async fn delete_post(federation: &Federation, post: Post) -> Result<(), FederationError> {
    let ctx = federation.context();
    let (enterprise, author) = post_actors(ctx, &post).await?;
    let document = post_document(&post, &enterprise, author.as_ref(), &ctx.urls);
    let (_, deliveries) = deliveries_for(ctx, "Delete", &post, &enterprise, &document).await?;
    ctx.db.delete_post(post.id, &deliveries).await?;
    if let Some(hub) = ctx.db.local_actor_of_kind(ActorKind::Hub).await? {
        unreshare_with(ctx, &hub, &post.ap_id).await?;
    }
    Ok(())
}
