//! Publishing, editing and deleting posts (updates and practices), and a
//! member's reactions. The rules of who may publish for an enterprise
//! ([`publishing_actors`]) and who may change a post ([`may_change`]) live
//! here; [`store`] writes each change with its activities, whose documents
//! and audience the wire crate builds.

mod reactions;
mod store;

pub use reactions::react;

use maillage_db::{LocalActor, Post};
use maillage_domain::{ActorKind, PostKind};
use maillage_federation::content::{NoteDraft, PracticeDraft};

pub use crate::media::Cover;
use crate::secrets::hash_secret;
use crate::{Acting, App, AppError};

/// Whether `acting` may edit or delete `post`: the operator and admins
/// always; a member their own posts, and those of the enterprises they edit
/// now (a former editor no longer may).
pub async fn may_change(app: &App, acting: &Acting, post: &Post) -> Result<bool, AppError> {
    Ok(match acting {
        _ if acting.is_admin() => true,
        Acting::Member { actor, .. } => {
            post.actor_id == actor.id || app.db().is_editor(post.actor_id, actor.id).await?
        }
        Acting::Operator => true,
    })
}

/// A live post of ours that `acting` may change.
async fn changeable(app: &App, acting: &Acting, ap_id: &str) -> Result<Post, AppError> {
    let post = app
        .db()
        .post_by_ap_id(ap_id)
        .await?
        .filter(|p| p.deleted_at.is_none())
        .ok_or_else(|| AppError::NotFound(format!("no post {ap_id} on this instance")))?;
    if !may_change(app, acting, &post).await? {
        return Err(AppError::Forbidden(
            "only the enterprise's current editors (or the hub's admins) may change this post".into(),
        ));
    }
    Ok(post)
}

/// A post as its author wrote it, for editing it in an app: only for who
/// may change it (Mastodon shows the source of one's own statuses only).
pub async fn source(app: &App, acting: &Acting, ap_id: &str) -> Result<Post, AppError> {
    changeable(app, acting, ap_id).await
}

/// A member publishes as themself; the operator names the author.
fn check_author(acting: &Acting, author: &str) -> Result<(), AppError> {
    match acting.actor() {
        Some(actor) if !actor.username.eq_ignore_ascii_case(author.trim_start_matches('@')) => {
            Err(AppError::Forbidden("a member publishes under their own name only".into()))
        }
        _ => Ok(()),
    }
}

/// The enterprise a post is published for and its author, a member:
/// the enterprise's current editors publish for it; a member naming
/// themself as the enterprise posts as themself.
async fn publishing_actors(app: &App, enterprise: &str, author: &str) -> Result<(LocalActor, LocalActor), AppError> {
    let author_actor = app.local_actor_of(ActorKind::Member, author).await?;
    if enterprise.trim_start_matches('@').eq_ignore_ascii_case(&author_actor.username) {
        return Ok((author_actor.clone(), author_actor));
    }
    let enterprise_actor = app.local_actor_of(ActorKind::Enterprise, enterprise).await?;
    if !app.db().is_editor(enterprise_actor.id, author_actor.id).await? {
        return Err(AppError::Forbidden(format!(
            "{} cannot publish for {}: add them with `maillage admin enterprise add-editor`",
            author_actor.username, enterprise_actor.username
        )));
    }
    Ok((enterprise_actor, author_actor))
}

/// Posts an update for an enterprise (its editors) or for oneself.
pub async fn publish_note(app: &App, acting: &Acting, draft: &NoteDraft) -> Result<Post, AppError> {
    publish_note_with_media(app, acting, draft, &[]).await
}

/// [`publish_note`] carrying the member's uploads `media_ids` (pictures), in order.
pub async fn publish_note_with_media(
    app: &App,
    acting: &Acting,
    draft: &NoteDraft,
    media_ids: &[i64],
) -> Result<Post, AppError> {
    check_author(acting, &draft.author)?;
    let (enterprise, author) = publishing_actors(app, &draft.enterprise, &draft.author).await?;
    let media = crate::media::attachment(app, acting, PostKind::Note, media_ids).await?;
    store::publish_note(app, draft, &enterprise, &author, media.as_ref()).await
}

/// The post already published with this idempotency key by this member
/// (a retried request), if any.
pub async fn published_with_key(app: &App, acting: &Acting, key: Option<&str>) -> Result<Option<Post>, AppError> {
    let (Acting::Member { user_id, .. }, Some(key)) = (acting, key) else { return Ok(None) };
    match app.db().idempotent_post(*user_id, &hash_secret(key)).await? {
        Some(id) => Ok(app.db().post_by_id(id).await?),
        None => Ok(None),
    }
}

/// [`publish_note`], remembering the post under a member's idempotency
/// key so that a retried request gets the same post back.
pub async fn publish_note_once(
    app: &App,
    acting: &Acting,
    draft: &NoteDraft,
    media_ids: &[i64],
    key: Option<&str>,
    application: Option<i64>,
) -> Result<Post, AppError> {
    let post = publish_note_with_media(app, acting, draft, media_ids).await?;
    if let (Acting::Member { user_id, .. }, Some(key)) = (acting, key) {
        app.db().remember_idempotent_post(*user_id, &hash_secret(key), post.id).await?;
    }
    if let Some(application) = application {
        app.db().remember_post_application(post.id, application).await?;
    }
    Ok(post)
}

/// Publishes a shared practice for an enterprise (its editors).
pub async fn publish_practice(app: &App, acting: &Acting, draft: &PracticeDraft) -> Result<Post, AppError> {
    publish_practice_with_media(app, acting, draft, &[]).await
}

/// [`publish_practice`] carrying the member's uploads (pictures and documents), in order.
pub async fn publish_practice_with_media(
    app: &App,
    acting: &Acting,
    draft: &PracticeDraft,
    media_ids: &[i64],
) -> Result<Post, AppError> {
    publish_practice_with_files(app, acting, draft, media_ids, Cover::Keep).await
}

/// [`publish_practice_with_media`] with a cover picture (`Cover::Set`).
pub async fn publish_practice_with_files(
    app: &App,
    acting: &Acting,
    draft: &PracticeDraft,
    media_ids: &[i64],
    cover: Cover,
) -> Result<Post, AppError> {
    check_author(acting, &draft.author)?;
    let (enterprise, author) = publishing_actors(app, &draft.enterprise, &draft.author).await?;
    let media = crate::media::attachment(app, acting, PostKind::Article, media_ids).await?;
    let cover = crate::media::cover(app, acting, cover, None).await?;
    store::publish_practice(app, draft, &enterprise, &author, media.as_ref(), cover.as_ref()).await
}

/// Edits an update's text, and its content warning when given.
pub async fn edit_note(
    app: &App,
    acting: &Acting,
    ap_id: &str,
    text: &str,
    content_warning: Option<&str>,
) -> Result<Post, AppError> {
    edit_note_with_media(app, acting, ap_id, text, content_warning, None).await
}

/// [`edit_note`], replacing its pictures with `media_ids` when given.
pub async fn edit_note_with_media(
    app: &App,
    acting: &Acting,
    ap_id: &str,
    text: &str,
    content_warning: Option<&str>,
    media_ids: Option<&[i64]>,
) -> Result<Post, AppError> {
    let post = changeable(app, acting, ap_id).await?;
    let media = match media_ids {
        Some(ids) => crate::media::attachment(app, acting, PostKind::Note, ids).await?,
        None => None,
    };
    store::edit_note(app, post, text, content_warning, media.as_ref()).await
}

/// Replaces a practice's content.
pub async fn edit_practice(app: &App, acting: &Acting, ap_id: &str, draft: &PracticeDraft) -> Result<Post, AppError> {
    edit_practice_with_media(app, acting, ap_id, draft, None).await
}

/// [`edit_practice`], replacing its attachments with `media_ids` when given.
pub async fn edit_practice_with_media(
    app: &App,
    acting: &Acting,
    ap_id: &str,
    draft: &PracticeDraft,
    media_ids: Option<&[i64]>,
) -> Result<Post, AppError> {
    edit_practice_with_files(app, acting, ap_id, draft, media_ids, Cover::Keep).await
}

/// [`edit_practice_with_media`], setting, replacing or taking off its
/// cover (a replaced cover's files are deleted).
pub async fn edit_practice_with_files(
    app: &App,
    acting: &Acting,
    ap_id: &str,
    draft: &PracticeDraft,
    media_ids: Option<&[i64]>,
    cover: Cover,
) -> Result<Post, AppError> {
    let post = changeable(app, acting, ap_id).await?;
    let media = match media_ids {
        Some(ids) => crate::media::attachment(app, acting, PostKind::Article, ids).await?,
        None => None,
    };
    let cover = crate::media::cover(app, acting, cover, Some(post.id)).await?;
    let enterprise = app.db().local_actor_by_id(post.actor_id).await?;
    if enterprise.is_some_and(|e| !e.username.eq_ignore_ascii_case(draft.enterprise.trim_start_matches('@'))) {
        return Err(AppError::invalid("enterprise", "a practice cannot move to another enterprise"));
    }
    store::edit_practice(app, post, draft, media.as_ref(), cover.as_ref()).await
}

/// Deletes a post and the files of its attachments; the hub's reshare of it is undone.
pub async fn delete(app: &App, acting: &Acting, ap_id: &str) -> Result<(), AppError> {
    let post = changeable(app, acting, ap_id).await?;
    store::delete(app, post).await
}

/// A member changes their own profile (display name, bio).
pub async fn update_member_profile(
    app: &App,
    member: &LocalActor,
    display_name: Option<&str>,
    note: Option<&str>,
) -> Result<LocalActor, AppError> {
    crate::profiles::update_member(app, member, display_name, note).await
}
