//! Follows: our actors following remote ones (the operator, for the hub
//! and enterprises), answering follow requests, and whether requests are
//! approved by hand.

use maillage_db::LocalActor;
use maillage_federation::activities;
use maillage_federation::objects::RemoteActorObject;

use crate::{Acting, App, AppError};

/// Resolves a remote actor by handle or URL (network I/O, before any write).
pub async fn resolve(app: &App, target: &str) -> Result<RemoteActorObject, AppError> {
    Ok(activities::resolve_actor(app.federation(), target).await?)
}

/// One of our actors asks to follow a remote one (admins); pending until accepted.
pub async fn follow_remote(
    app: &App,
    acting: &Acting,
    local: &LocalActor,
    target: &str,
) -> Result<RemoteActorObject, AppError> {
    acting.require_admin()?;
    let remote = resolve(app, target).await?;
    activities::follow(app.federation().context(), local, &remote).await?;
    Ok(remote)
}

/// One of our actors stops following a remote one (admins).
pub async fn unfollow_remote(
    app: &App,
    acting: &Acting,
    local: &LocalActor,
    target: &str,
) -> Result<RemoteActorObject, AppError> {
    acting.require_admin()?;
    let remote = resolve(app, target).await?;
    if !activities::unfollow(app.federation().context(), local, &remote).await? {
        return Err(AppError::NotFound(format!("{} does not follow {}", local.ap_id, remote.row.ap_id)));
    }
    Ok(remote)
}

/// Accepts or rejects a pending follow request (admins).
pub async fn answer_request(
    app: &App,
    acting: &Acting,
    local: &LocalActor,
    follower: &str,
    accept: bool,
) -> Result<RemoteActorObject, AppError> {
    acting.require_admin()?;
    let remote = resolve(app, follower).await?;
    if !activities::answer_follow_request(app.federation().context(), local, &remote, accept).await? {
        return Err(AppError::NotFound(format!("{} has no follow request from {}", local.ap_id, remote.row.ap_id)));
    }
    Ok(remote)
}

/// Whether follow requests to `local` wait for an answer (admins).
pub async fn set_manual_approval(app: &App, acting: &Acting, local: &LocalActor, manual: bool) -> Result<(), AppError> {
    acting.require_admin()?;
    Ok(app.db().set_manual_approval(local.id, manual).await?)
}

/// Whom a member follows: an actor of another server, or one of ours.
pub enum Followed {
    Elsewhere(Box<RemoteActorObject>),
    Here(Box<LocalActor>),
}

/// A member follows someone: a `Follow` goes out to another server, or
/// the follow is recorded here at once.
pub async fn follow(app: &App, member: &LocalActor, followed: &Followed) -> Result<(), AppError> {
    let ctx = app.federation().context();
    match followed {
        Followed::Elsewhere(remote) => activities::follow(ctx, member, remote).await?,
        Followed::Here(local) => {
            activities::follow_here(ctx, member, local).await?;
        }
    }
    Ok(())
}

/// A member stops following someone; false when they did not.
pub async fn unfollow(app: &App, member: &LocalActor, followed: &Followed) -> Result<bool, AppError> {
    let ctx = app.federation().context();
    Ok(match followed {
        Followed::Elsewhere(remote) => activities::unfollow(ctx, member, remote).await?,
        Followed::Here(local) => activities::unfollow_here(ctx, member, local).await?,
    })
}
