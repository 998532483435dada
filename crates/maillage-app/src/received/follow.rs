//! Received follows: a remote actor follows a local one (accepted at once
//! unless the local actor approves followers by hand) or stops following
//! it; another server answers one of our follows; a remote actor blocks a
//! local one, which ends the follows between them. Each state change is
//! written with the activity that reports it, in one transaction. When a
//! hub accepts our hub's follow, reading its members is scheduled.

use maillage_db::{Direction, FollowRecord, FollowState, RemoteActor};
use maillage_domain::NotificationKind;
use maillage_federation::activities::{answer as answer_document, outgoing};
use maillage_federation::inbound::Received;
use maillage_federation::inbound::activity::{Follow, FollowAnswer, UndoFollow, id_of};
use maillage_federation::inbound::follow::{check_follower, local_actor};
use maillage_federation::{Context, FederationError};

/// Stores the follow, and accepts it at once unless the local actor
/// approves followers by hand.
pub(super) async fn follow(ctx: &Context, follow: &Follow, remote: &RemoteActor) -> Result<Received, FederationError> {
    let local = local_actor(ctx, follow.followed.as_ref()).await?;
    let follow = &follow.activity;
    let follow_id = id_of(Some(follow)).unwrap_or_default();
    let (state, notify) = if local.manually_approves_followers {
        (FollowState::Pending, None)
    } else {
        let accept = answer_document(ctx, "Accept", &local, follow, &remote.ap_id);
        (FollowState::Accepted, Some(outgoing(&local, &accept, remote.delivery_inbox())))
    };
    let record = FollowRecord {
        local_actor_id: local.id,
        remote_actor_id: remote.id,
        direction: Direction::Incoming,
        state,
        follow_ap_id: follow_id,
        follow_json: &follow.to_string(),
    };
    let was_following = ctx.db.find_follow(local.id, remote.id, Direction::Incoming).await?.is_some();
    ctx.db.save_follow(&record, notify.as_ref()).await?;
    if !was_following {
        let kind =
            if state == FollowState::Pending { NotificationKind::FollowRequest } else { NotificationKind::Follow };
        ctx.db.notify(local.id, kind, &remote.ap_id, None).await?;
    }
    Ok(Received::Processed)
}

/// Ends the follow the `Undo` names (by its id; else, for a `Follow` whose
/// id we never saw or stored another one for, by the pair of actors).
pub(super) async fn undo(ctx: &Context, undo: &UndoFollow, actor: &RemoteActor) -> Result<Received, FederationError> {
    let follow = ctx.db.find_follow_by_activity(&undo.follow_id, Direction::Incoming).await?;
    match (&undo.declared, follow) {
        (_, Some(follow)) if follow.remote_actor_id == actor.id => {
            ctx.db.remove_follow(follow.local_actor_id, actor.id, Direction::Incoming, None).await?;
            Ok(Received::Processed)
        }
        (Some(declared), _) => {
            check_follower(declared, actor, true)?;
            let local = local_actor(ctx, declared.followed.as_ref()).await?;
            ctx.db.remove_follow(local.id, actor.id, Direction::Incoming, None).await?;
            Ok(Received::Processed)
        }
        _ => Ok(Received::Ignored),
    }
}

/// `Accept` or `Reject` of one of our follows, by the followed actor only.
pub(super) async fn answer(
    ctx: &Context,
    answer: &FollowAnswer,
    actor: &RemoteActor,
) -> Result<Received, FederationError> {
    let follow = match ctx.db.find_follow_by_activity(&answer.follow_id, Direction::Outgoing).await? {
        Some(follow) => Some(follow),
        // Some servers answer with a Follow of their own making: match
        // the pair (our actor, this actor) instead of the id.
        None => match &answer.follower {
            Some(follower) => {
                let local = local_actor(ctx, Some(follower)).await?;
                ctx.db.find_follow(local.id, actor.id, Direction::Outgoing).await?
            }
            None => None,
        },
    };
    let Some(follow) = follow else { return Ok(Received::Ignored) };
    if follow.remote_actor_id != actor.id {
        return Err(FederationError::Unauthorized("only the followed actor can answer a Follow".into()));
    }
    if answer.accept {
        ctx.db.accept_follow(follow.local_actor_id, actor.id, Direction::Outgoing, None).await?;
        crate::directory::schedule::hub_follow_accepted(&ctx.db, follow.local_actor_id, actor).await?;
    } else {
        ctx.db.remove_follow(follow.local_actor_id, actor.id, Direction::Outgoing, None).await?;
    }
    Ok(Received::Processed)
}

/// A remote actor blocks one of ours: the follows between them end, both
/// ways, and nothing else is kept or shown (the blocked member is not told).
pub(super) async fn blocked(
    ctx: &Context,
    blocked: Option<&serde_json::Value>,
    actor: &RemoteActor,
) -> Result<Received, FederationError> {
    let local = local_actor(ctx, blocked).await?;
    ctx.db.drop_follows_between(local.id, actor.id).await?;
    Ok(Received::Processed)
}
