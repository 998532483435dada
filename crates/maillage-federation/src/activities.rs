//! The follows we send: `Follow`, `Undo{Follow}` (unfollow), and
//! `Accept{Follow}`/`Reject{Follow}` of a follower our staff approve; follows
//! between two local actors; finding a remote actor by handle. Received
//! follows are in `crate::inbound`. Each state change is written with the
//! activity that reports it, in one transaction (see `maillage_db`).

use activitypub_federation::fetch::object_id::ObjectId;
use maillage_db::{Direction, FollowRecord, FollowState, LocalActor, Outgoing};
use maillage_domain::NotificationKind;
use serde_json::{Value, json};
use url::Url;

use crate::context::{Context, Federation};
use crate::error::FederationError;
use crate::objects::RemoteActorObject;
use crate::remote_body::excerpt;
use crate::webfinger;

use crate::content::protocol::AS_CONTEXT;

pub use crate::inbound::activity::id_of;

/// `activity` to one inbox (none when the other side has no inbox on its server).
pub fn outgoing(actor: &LocalActor, activity: &Value, inbox: Option<&str>) -> Outgoing {
    crate::content::protocol::outgoing(actor, activity, false, inbox.map(str::to_string).into_iter().collect())
}

/// `Accept` or `Reject` of a received `Follow` (embedded, as Mastodon expects).
pub fn answer(ctx: &Context, kind: &str, local: &LocalActor, follow: &Value, follower: &str) -> Value {
    json!({
        "@context": AS_CONTEXT,
        "id": ctx.urls.new_activity_id(kind),
        "type": kind,
        "actor": local.ap_id,
        "object": follow,
        "to": [follower],
    })
}

/// The hub's staff accept or reject a pending follower.
pub async fn answer_follow_request(
    ctx: &Context,
    local: &LocalActor,
    remote: &RemoteActorObject,
    accept: bool,
) -> Result<bool, FederationError> {
    let Some(follow) = ctx.db.find_follow(local.id, remote.row.id, Direction::Incoming).await? else {
        return Ok(false);
    };
    let follow_json: Value =
        serde_json::from_str(&follow.follow_json).unwrap_or_else(|_| Value::String(follow.follow_ap_id.clone()));
    let kind = if accept { "Accept" } else { "Reject" };
    let activity = answer(ctx, kind, local, &follow_json, &remote.row.ap_id);
    let notify = outgoing(local, &activity, remote.row.delivery_inbox());
    let changed = if accept {
        ctx.db.accept_follow(local.id, remote.row.id, Direction::Incoming, Some(&notify)).await?
    } else {
        ctx.db.remove_follow(local.id, remote.row.id, Direction::Incoming, Some(&notify)).await?
    };
    Ok(changed)
}

/// Finds a remote actor by `@user@domain`, `user@domain` or actor URL,
/// through WebFinger and the actor document (cached, refreshed when stale);
/// an actor suspended by our moderators is refused (403).
pub async fn resolve_actor(federation: &Federation, target: &str) -> Result<RemoteActorObject, FederationError> {
    let actor = find_remote_actor(federation, target).await?;
    if actor.row.suspended {
        return Err(FederationError::Forbidden(format!(
            "{} is suspended by this instance's moderators",
            actor.row.ap_id
        )));
    }
    Ok(actor)
}

async fn find_remote_actor(federation: &Federation, target: &str) -> Result<RemoteActorObject, FederationError> {
    let data = federation.data();
    let target = target.trim();
    if target.starts_with("http://") || target.starts_with("https://") {
        let url = Url::parse(target).map_err(|_| FederationError::Invalid(format!("not a URL: {target}")))?;
        if data.urls.local_username(&url).is_some() {
            return Err(FederationError::Invalid(format!("{target} is an actor of this instance")));
        }
        return ObjectId::<RemoteActorObject>::from(url).dereference(&data).await;
    }
    let handle = target.trim_start_matches('@');
    if !handle.contains('@') {
        return Err(FederationError::Invalid(format!("expected @user@domain or an actor URL, not {target:?}")));
    }
    let (user, server) = webfinger::split_handle(handle)?;
    if server.eq_ignore_ascii_case(&data.config.instance.domain) {
        return Err(FederationError::Invalid(format!("{target} is on this instance")));
    }
    let jrd = webfinger::lookup(&data, user, server).await?;
    let mut last_error = None;
    for id in jrd.actor_ids() {
        match ObjectId::<RemoteActorObject>::from(id).dereference(&data).await {
            Ok(actor) => return Ok(actor),
            Err(error) => last_error = Some(error),
        }
    }
    Err(last_error.unwrap_or_else(|| {
        webfinger::LookupError::NoLink { server: excerpt(server), handle: excerpt(handle), what: "ActivityPub actor" }
            .into()
    }))
}

/// A local actor starts following a remote one (pending until `Accept`).
pub async fn follow(ctx: &Context, local: &LocalActor, remote: &RemoteActorObject) -> Result<(), FederationError> {
    let activity = json!({
        "@context": AS_CONTEXT,
        "id": ctx.urls.new_activity_id("Follow"),
        "type": "Follow",
        "actor": local.ap_id,
        "object": remote.row.ap_id,
        "to": [remote.row.ap_id],
    });
    let record = FollowRecord {
        local_actor_id: local.id,
        remote_actor_id: remote.row.id,
        direction: Direction::Outgoing,
        state: FollowState::Pending,
        follow_ap_id: activity["id"].as_str().unwrap_or_default(),
        follow_json: &activity.to_string(),
    };
    ctx.db.save_follow(&record, Some(&outgoing(local, &activity, remote.row.delivery_inbox()))).await?;
    Ok(())
}

/// A local actor stops following a remote one: `Undo{Follow}`.
pub async fn unfollow(ctx: &Context, local: &LocalActor, remote: &RemoteActorObject) -> Result<bool, FederationError> {
    let Some(existing) = ctx.db.find_follow(local.id, remote.row.id, Direction::Outgoing).await? else {
        return Ok(false);
    };
    let follow: Value = serde_json::from_str(&existing.follow_json).unwrap_or(Value::String(existing.follow_ap_id));
    let undo = json!({
        "@context": AS_CONTEXT,
        "id": ctx.urls.new_activity_id("Undo"),
        "type": "Undo",
        "actor": local.ap_id,
        "object": follow,
        "to": [remote.row.ap_id],
    });
    let notify = outgoing(local, &undo, remote.row.delivery_inbox());
    Ok(ctx.db.remove_follow(local.id, remote.row.id, Direction::Outgoing, Some(&notify)).await?)
}

/// A local actor follows another local one (a member follows an
/// enterprise, the hub or a member): no activity leaves the instance.
/// Accepted at once unless the followed actor approves followers by hand;
/// the followed actor is notified either way. Returns whether it is accepted.
pub async fn follow_here(ctx: &Context, follower: &LocalActor, followed: &LocalActor) -> Result<bool, FederationError> {
    if follower.id == followed.id {
        return Err(FederationError::invalid("an account cannot follow itself"));
    }
    let existing = ctx.db.local_follow(follower.id, followed.id).await?;
    let follow = ctx.db.follow_locally(follower.id, followed).await?;
    if existing.is_none() {
        let kind = if follow.accepted { NotificationKind::Follow } else { NotificationKind::FollowRequest };
        ctx.db.notify(followed.id, kind, &follower.ap_id, None).await?;
    }
    Ok(follow.accepted)
}

/// Ends a local follow (or withdraws a request); returns whether there was one.
pub async fn unfollow_here(
    ctx: &Context,
    follower: &LocalActor,
    followed: &LocalActor,
) -> Result<bool, FederationError> {
    Ok(ctx.db.unfollow_locally(follower.id, followed.id).await?)
}
