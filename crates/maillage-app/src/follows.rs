//! Follows: our actors following remote ones (the operator, for the hub
//! and enterprises), members following anyone, answering follow requests,
//! and whether requests are approved by hand. Each state change is written
//! with the activity that reports it, in one transaction.

use maillage_db::{Direction, FollowRecord, FollowState, LocalActor};
use maillage_domain::{ActorKind, NotificationKind};
use maillage_federation::activities::{self, answer, follow_document, outgoing, undo_document};
use maillage_federation::objects::RemoteActorObject;
use serde_json::Value;

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
    send_follow(app, local, &remote).await?;
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
    if !send_unfollow(app, local, &remote).await? {
        return Err(AppError::NotFound(format!("{} does not follow {}", local.ap_id, remote.row.ap_id)));
    }
    Ok(remote)
}

/// Accepts or rejects a pending follow request from a remote actor named
/// by handle or URL (at the command line: see [`answer_follow_request`]).
pub async fn answer_request(
    app: &App,
    acting: &Acting,
    local: &LocalActor,
    follower: &str,
    accept: bool,
) -> Result<RemoteActorObject, AppError> {
    require_answerer(app, acting, local).await?;
    let remote = resolve(app, follower).await?;
    answer_remote_request(app, local, &remote, accept).await?;
    Ok(remote)
}

/// Who answers the follow requests to `local`: the actor itself, an
/// enterprise's editors (and owners), the hub's admins and the operator.
async fn require_answerer(app: &App, acting: &Acting, local: &LocalActor) -> Result<(), AppError> {
    match acting.actor() {
        Some(actor) if actor.id == local.id => Ok(()),
        _ if local.kind() == ActorKind::Enterprise => acting.require_editor(app.db(), local).await,
        _ => acting.require_admin(),
    }
}

/// The local actor whose follow requests `acting` reads and answers: a
/// member's own, or with `enterprise` (a handle) those of an enterprise they
/// edit (refused to anyone else).
pub async fn requests_answered_by(
    app: &App,
    acting: &Acting,
    enterprise: Option<&str>,
) -> Result<LocalActor, AppError> {
    let local = match (enterprise, acting.actor()) {
        (Some(handle), _) => app.local_actor_of(ActorKind::Enterprise, handle).await?,
        (None, Some(own)) => own.clone(),
        (None, None) => return Err(AppError::invalid("enterprise", "name the enterprise whose requests to answer")),
    };
    require_answerer(app, acting, &local).await?;
    Ok(local)
}

/// Accepts or rejects the pending follow request of `requester` to
/// `local`: an `Accept` or `Reject` goes to another server with the change,
/// a local request is answered here. Accepting an accepted follow changes
/// nothing; rejecting it ends it. Not found when there is no such follow.
pub async fn answer_follow_request(
    app: &App,
    acting: &Acting,
    local: &LocalActor,
    requester: &Followed,
    accept: bool,
) -> Result<(), AppError> {
    require_answerer(app, acting, local).await?;
    let follower = match requester {
        Followed::Elsewhere(remote) => return answer_remote_request(app, local, remote, accept).await,
        Followed::Here(follower) => follower,
    };
    let answered = match app.db().local_follow(follower.id, local.id).await? {
        None => false,
        Some(follow) if accept => follow.accepted || app.db().accept_local_follow(follower.id, local.id).await?,
        Some(_) => app.db().unfollow_locally(follower.id, local.id).await?,
    };
    if !answered {
        return Err(no_request(local, &follower.ap_id));
    }
    Ok(())
}

/// [`answer_pending`], not found when there is no such follow.
async fn answer_remote_request(
    app: &App,
    local: &LocalActor,
    remote: &RemoteActorObject,
    accept: bool,
) -> Result<(), AppError> {
    if !answer_pending(app, local, remote, accept).await? {
        return Err(no_request(local, &remote.row.ap_id));
    }
    Ok(())
}

fn no_request(local: &LocalActor, follower: &str) -> AppError {
    AppError::NotFound(format!("{} has no follow request from {follower}", local.ap_id))
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
    match followed {
        Followed::Elsewhere(remote) => send_follow(app, member, remote).await,
        Followed::Here(local) => follow_here(app, member, local).await.map(|_| ()),
    }
}

/// A member stops following someone; false when they did not.
pub async fn unfollow(app: &App, member: &LocalActor, followed: &Followed) -> Result<bool, AppError> {
    match followed {
        Followed::Elsewhere(remote) => send_unfollow(app, member, remote).await,
        Followed::Here(local) => Ok(app.db().unfollow_locally(member.id, local.id).await?),
    }
}

/// Our actor asks to follow a remote one: pending until it answers.
async fn send_follow(app: &App, local: &LocalActor, remote: &RemoteActorObject) -> Result<(), AppError> {
    let activity = follow_document(app.federation().context(), local, &remote.row.ap_id);
    let record = FollowRecord {
        local_actor_id: local.id,
        remote_actor_id: remote.row.id,
        direction: Direction::Outgoing,
        state: FollowState::Pending,
        follow_ap_id: activity["id"].as_str().unwrap_or_default(),
        follow_json: &activity.to_string(),
    };
    let notify = outgoing(local, &activity, remote.row.delivery_inbox());
    app.db().save_follow(&record, Some(&notify)).await?;
    Ok(())
}

/// Our actor stops following a remote one: `Undo{Follow}`, as the
/// `Follow` was sent. False when it did not follow it.
async fn send_unfollow(app: &App, local: &LocalActor, remote: &RemoteActorObject) -> Result<bool, AppError> {
    let Some(existing) = app.db().find_follow(local.id, remote.row.id, Direction::Outgoing).await? else {
        return Ok(false);
    };
    let follow: Value = serde_json::from_str(&existing.follow_json).unwrap_or(Value::String(existing.follow_ap_id));
    let undo = undo_document(app.federation().context(), local, follow, &remote.row.ap_id);
    let notify = outgoing(local, &undo, remote.row.delivery_inbox());
    Ok(app.db().remove_follow(local.id, remote.row.id, Direction::Outgoing, Some(&notify)).await?)
}

/// `Accept` or `Reject` of a pending follower, with the `Follow` embedded
/// as Mastodon expects. False when there is no such request.
async fn answer_pending(
    app: &App,
    local: &LocalActor,
    remote: &RemoteActorObject,
    accept: bool,
) -> Result<bool, AppError> {
    let Some(follow) = app.db().find_follow(local.id, remote.row.id, Direction::Incoming).await? else {
        return Ok(false);
    };
    let follow_json: Value =
        serde_json::from_str(&follow.follow_json).unwrap_or_else(|_| Value::String(follow.follow_ap_id.clone()));
    let kind = if accept { "Accept" } else { "Reject" };
    let activity = answer(app.federation().context(), kind, local, &follow_json, &remote.row.ap_id);
    let notify = outgoing(local, &activity, remote.row.delivery_inbox());
    Ok(if accept {
        app.db().accept_follow(local.id, remote.row.id, Direction::Incoming, Some(&notify)).await?
    } else {
        app.db().remove_follow(local.id, remote.row.id, Direction::Incoming, Some(&notify)).await?
    })
}

/// A member follows another local actor (an enterprise, the hub, a
/// member): no activity leaves the instance. Accepted at once unless the
/// followed actor approves followers by hand; it is notified either way.
/// Returns whether it is accepted.
async fn follow_here(app: &App, follower: &LocalActor, followed: &LocalActor) -> Result<bool, AppError> {
    if follower.id == followed.id {
        return Err(AppError::refused("an account cannot follow itself"));
    }
    let existing = app.db().local_follow(follower.id, followed.id).await?;
    let follow = app.db().follow_locally(follower.id, followed).await?;
    if existing.is_none() {
        let kind = if follow.accepted { NotificationKind::Follow } else { NotificationKind::FollowRequest };
        app.db().notify(followed.id, kind, &follower.ap_id, None).await?;
    }
    Ok(follow.accepted)
}
