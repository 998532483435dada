//! `Announce`: a reshare, or a hub relaying an activity (FEP-1b12). A
//! reshare of one of our posts is counted; anything else is fetched from
//! its origin, never trusted from the resharer, and the directory notes
//! what a followed hub announces.

use maillage_db::{ReactionKind, Reader, RemoteActor};
use maillage_domain::NotificationKind;
use maillage_federation::inbound::Received;
use maillage_federation::inbound::activity::{Announce, Relayed};
use maillage_federation::inbound::announce::relayed_target;
use maillage_federation::objects::{authority, fetch_remote_object, parse_actor_document, refetch_actor};
use maillage_federation::{Federation, FederationError};
use serde_json::Value;
use url::Url;

use crate::directory;

pub(super) async fn apply(
    federation: &Federation,
    announce: &Announce,
    actor: &RemoteActor,
) -> Result<Received, FederationError> {
    if let Some(relayed) = &announce.relayed {
        return apply_relayed(federation, relayed, actor).await;
    }
    let ctx = federation.context();
    let object_id = announce.object_id.as_str();
    // A reshare of one of our posts counts when anyone may read that post.
    let reader = Reader::remote(actor.id, &actor.ap_id);
    if let Some(post) = ctx.db.visible_post_by_ap_id(&reader, object_id).await?.filter(|p| p.visibility().is_open()) {
        if ctx.db.add_reaction(ReactionKind::Announce, object_id, &actor.ap_id, &announce.activity_id).await? {
            ctx.db.notify(post.actor_id, NotificationKind::Reblog, &actor.ap_id, Some(object_id)).await?;
        }
        return Ok(Received::Processed);
    }
    if Url::parse(object_id).is_ok_and(|u| authority(&u) == ctx.config.instance.domain) {
        return Ok(Received::Ignored);
    }
    fetch_or_ignore_deleted(federation, object_id).await?;
    directory::note_announced_object(ctx, actor, object_id).await?;
    Ok(Received::Processed)
}

async fn apply_relayed(
    federation: &Federation,
    relayed: &Relayed,
    actor: &RemoteActor,
) -> Result<Received, FederationError> {
    let ctx = federation.context();
    let target = relayed_target(relayed)?;
    if Url::parse(target)
        .is_ok_and(|u| ctx.urls.local_username(&u).is_some() || authority(&u) == ctx.config.instance.domain)
    {
        return Ok(Received::Ignored);
    }
    if target == relayed.actor {
        // A relayed profile change: refresh the actor from its origin.
        let refreshed = refetch_actor(federation, target).await?;
        let parsed = parse_actor_document(&serde_json::from_str(&refreshed.raw_json).unwrap_or(Value::Null))?;
        ctx.db.set_remote_profile(&parsed.ap_id, parsed.profile_json.as_deref()).await?;
        directory::note_announced_actor(ctx, actor, &parsed.ap_id).await?;
        return Ok(Received::Processed);
    }
    if relayed.deletes {
        // Believe a relayed Delete only if the origin says it is gone.
        return match fetch_remote_object(federation, target).await {
            Ok(_) => Ok(Received::Ignored),
            Err(error) if error.is_gone() => {
                ctx.db.tombstone_remote_object(target, &relayed.target_type).await?;
                Ok(Received::Processed)
            }
            Err(other) => Err(other),
        };
    }
    fetch_or_ignore_deleted(federation, target).await?;
    directory::note_announced_object(ctx, actor, target).await?;
    Ok(Received::Processed)
}

/// Fetches an object; one deleted at its origin is simply not stored.
async fn fetch_or_ignore_deleted(federation: &Federation, url: &str) -> Result<(), FederationError> {
    match fetch_remote_object(federation, url).await {
        Ok(_) => Ok(()),
        Err(error) if error.is_gone() => Ok(()),
        Err(other) => Err(other),
    }
}
