//! Moderation: reports, suspending remote actors, removing what they sent
//! (moderators and admins).

use maillage_db::{LocalActor, NewReport, ReportDirection};
use maillage_domain::ActorKind;
use maillage_federation::activities::flag_document;
use maillage_federation::content::outgoing;
use maillage_federation::objects::authority;
use url::Url;

use crate::{Acting, App, AppError};

/// A member reports an actor (and some of their posts) to this hub's
/// moderators, and, when the actor is remote and `forward` is set, to its
/// server too, as a `Flag` from our instance actor. Returns the report's id.
pub async fn report(
    app: &App,
    member: &LocalActor,
    target_actor: &str,
    object_ids: &[String],
    comment: &str,
    forward: bool,
) -> Result<i64, AppError> {
    let ctx = app.federation().context();
    let comment: String = comment.trim().chars().take(1000).collect();
    let mut ids = vec![target_actor.to_string()];
    ids.extend(object_ids.iter().filter(|id| *id != target_actor).cloned());
    let remote = match Url::parse(target_actor) {
        Ok(url) if authority(&url) != ctx.config.instance.domain => {
            app.db().remote_actor_by_ap_id(target_actor).await?
        }
        _ => None,
    };
    let flag_id = ctx.urls.new_activity_id("Flag");
    // Sent by the instance actor, so the member stays anonymous there (as
    // on Mastodon).
    let forward = match (remote, forward) {
        (Some(remote), true) => {
            let instance = app
                .db()
                .local_actor_of_kind(ActorKind::Instance)
                .await?
                .ok_or_else(|| AppError::Internal("the instance actor is missing".into()))?;
            let flag = flag_document(&flag_id, &instance, &comment, &ids, &remote.ap_id);
            let inboxes = remote.delivery_inbox().map(str::to_string).into_iter().collect();
            Some(outgoing(&instance, &flag, false, inboxes))
        }
        _ => None,
    };
    let report = NewReport {
        direction: ReportDirection::Outgoing,
        reporter: &member.ap_id,
        target_actor: Some(target_actor),
        object_ids: &ids,
        comment: &comment,
        activity_ap_id: &flag_id,
    };
    app.db()
        .record_report(&report, forward.as_ref())
        .await?
        .ok_or_else(|| AppError::Conflict("this report exists already".into()))
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
