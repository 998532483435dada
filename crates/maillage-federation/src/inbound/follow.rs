//! Received follows: `Follow` of a local actor (accepted at once unless it
//! approves followers by hand), `Undo{Follow}`, and `Accept`/`Reject` of
//! our own follows. Each state change is written with the activity that
//! reports it, in one transaction (see `maillage_db`).

use maillage_db::{Direction, FollowRecord, FollowState, LocalActor};
use maillage_domain::NotificationKind;
use serde_json::Value;

use super::activity::{DeclaredFollow, Follow, FollowAnswer, Received, UndoFollow, id_of, parse_url};
use crate::activities::{answer, outgoing};
use crate::context::Context;
use crate::error::FederationError;
use crate::objects::RemoteActorObject;

/// The local actor a URL names, or a 404.
async fn local_actor(ctx: &Context, value: Option<&Value>) -> Result<LocalActor, FederationError> {
    let url = parse_url(value, "object")?;
    let found = match ctx.urls.local_username(&url) {
        Some(None) => ctx.db.local_actor_of_kind(maillage_domain::ActorKind::Instance).await?,
        Some(Some(name)) => ctx.db.local_actor_by_username(&name).await?,
        None => None,
    };
    found.ok_or_else(|| FederationError::NotFound(format!("{url} is not an actor of this instance")))
}

/// The check of a `Follow`: it follows one of our actors.
pub(super) async fn verify(ctx: &Context, follow: &Follow) -> Result<(), FederationError> {
    local_actor(ctx, follow.followed.as_ref()).await.map(|_| ())
}

/// A remote actor follows a local one: store it, and accept at once unless
/// the local actor approves followers by hand.
pub(super) async fn apply(
    ctx: &Context,
    follow: &Follow,
    remote: &RemoteActorObject,
) -> Result<Received, FederationError> {
    let local = local_actor(ctx, follow.followed.as_ref()).await?;
    let follow = &follow.activity;
    let follow_id = id_of(Some(follow)).unwrap_or_default();
    let (state, notify) = if local.manually_approves_followers {
        (FollowState::Pending, None)
    } else {
        let accept = answer(ctx, "Accept", &local, follow, &remote.row.ap_id);
        (FollowState::Accepted, Some(outgoing(&local, &accept, remote.row.delivery_inbox())))
    };
    let record = FollowRecord {
        local_actor_id: local.id,
        remote_actor_id: remote.row.id,
        direction: Direction::Incoming,
        state,
        follow_ap_id: follow_id,
        follow_json: &follow.to_string(),
    };
    let was_following = ctx.db.find_follow(local.id, remote.row.id, Direction::Incoming).await?.is_some();
    ctx.db.save_follow(&record, notify.as_ref()).await?;
    if !was_following {
        let kind =
            if state == FollowState::Pending { NotificationKind::FollowRequest } else { NotificationKind::Follow };
        ctx.db.notify(local.id, kind, &remote.row.ap_id, None).await?;
    }
    Ok(Received::Processed)
}

/// An actor can only undo its own `Follow`; `strict` also refuses one that
/// does not say whose it is.
fn check_follower(declared: &DeclaredFollow, actor: &RemoteActorObject, strict: bool) -> Result<(), FederationError> {
    let refused = match declared.follower.as_deref() {
        Some(follower) => follower != actor.row.ap_id,
        None => strict,
    };
    if refused {
        return Err(FederationError::Unauthorized("an actor can only undo its own Follow".into()));
    }
    Ok(())
}

/// The wire check of an `Undo{Follow}`: a `Follow` that names its actor
/// names the sender.
pub(super) fn verify_undo(undo: &UndoFollow, actor: &RemoteActorObject) -> Result<(), FederationError> {
    match &undo.declared {
        Some(declared) => check_follower(declared, actor, false),
        None => Ok(()),
    }
}

/// Ends the follow the `Undo` names (by its id; else, for a `Follow` whose
/// id we never saw or stored another one for, by the pair of actors).
pub(super) async fn apply_undo(
    ctx: &Context,
    undo: &UndoFollow,
    actor: &RemoteActorObject,
) -> Result<Received, FederationError> {
    let follow = ctx.db.find_follow_by_activity(&undo.follow_id, Direction::Incoming).await?;
    match (&undo.declared, follow) {
        (_, Some(follow)) if follow.remote_actor_id == actor.row.id => {
            ctx.db.remove_follow(follow.local_actor_id, actor.row.id, Direction::Incoming, None).await?;
            Ok(Received::Processed)
        }
        (Some(declared), _) => {
            check_follower(declared, actor, true)?;
            let local = local_actor(ctx, declared.followed.as_ref()).await?;
            ctx.db.remove_follow(local.id, actor.row.id, Direction::Incoming, None).await?;
            Ok(Received::Processed)
        }
        _ => Ok(Received::Ignored),
    }
}

/// `Accept` or `Reject` of one of our follows, by the followed actor only.
pub(super) async fn apply_answer(
    ctx: &Context,
    answer: &FollowAnswer,
    actor: &RemoteActorObject,
) -> Result<Received, FederationError> {
    let follow = match ctx.db.find_follow_by_activity(&answer.follow_id, Direction::Outgoing).await? {
        Some(follow) => Some(follow),
        // Some servers answer with a Follow of their own making: match
        // the pair (our actor, this actor) instead of the id.
        None => match &answer.follower {
            Some(follower) => {
                let local = local_actor(ctx, Some(follower)).await?;
                ctx.db.find_follow(local.id, actor.row.id, Direction::Outgoing).await?
            }
            None => None,
        },
    };
    let Some(follow) = follow else { return Ok(Received::Ignored) };
    if follow.remote_actor_id != actor.row.id {
        return Err(FederationError::Unauthorized("only the followed actor can answer a Follow".into()));
    }
    if answer.accept {
        ctx.db.accept_follow(follow.local_actor_id, actor.row.id, Direction::Outgoing, None).await?;
    } else {
        ctx.db.remove_follow(follow.local_actor_id, actor.row.id, Direction::Outgoing, None).await?;
    }
    Ok(Received::Processed)
}
