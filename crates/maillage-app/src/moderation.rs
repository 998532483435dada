//! Moderation: reports, suspending remote actors, removing what they sent
//! (moderators and admins).

use maillage_db::LocalActor;

use crate::{Acting, App, AppError};

/// A member reports an actor (and some of their posts) to this hub's
/// moderators, and to the actor's server too when `forward`.
pub async fn report(
    app: &App,
    member: &LocalActor,
    target_actor: &str,
    object_ids: &[String],
    comment: &str,
    forward: bool,
) -> Result<i64, AppError> {
    let context = app.federation().context();
    Ok(maillage_federation::moderation::report(context, member, target_actor, object_ids, comment, forward).await?)
}

/// Marks an open report as handled; false when no report of that number
/// is open.
pub async fn resolve_report(app: &App, acting: &Acting, id: i64) -> Result<bool, AppError> {
    acting.require_moderator()?;
    Ok(app.db().resolve_report(id).await?)
}

/// Suspends a remote actor: its follows are severed and its content removed.
pub async fn suspend(app: &App, acting: &Acting, actor: &str) -> Result<(), AppError> {
    acting.require_moderator()?;
    if !app.db().suspend_remote_actor(actor.trim()).await? {
        return Err(AppError::NotFound(format!("no remote actor {actor} is known here")));
    }
    Ok(())
}

/// Lifts a suspension.
pub async fn unsuspend(app: &App, acting: &Acting, actor: &str) -> Result<(), AppError> {
    acting.require_moderator()?;
    if !app.db().unsuspend_remote_actor(actor.trim()).await? {
        return Err(AppError::NotFound(format!("{actor} is not suspended")));
    }
    Ok(())
}

/// Removes a remote post kept here (it becomes a tombstone).
pub async fn remove_remote_post(app: &App, acting: &Acting, object: &str) -> Result<(), AppError> {
    acting.require_moderator()?;
    let found = app
        .db()
        .remote_object(object.trim())
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no remote post {object} is kept here")))?;
    app.db().tombstone_remote_object(&found.ap_id, &found.kind).await?;
    Ok(())
}
