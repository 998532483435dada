//! `Announce`: a reshare, or a hub relaying an activity (FEP-1b12
//! `Announce{Create|Update|Delete}`). A reshare of one of our posts is
//! counted; anything else is fetched from its origin, never trusted from
//! the resharer, and the directory notes what a hub announces.

use activitypub_federation::error::Error as Lib;
use activitypub_federation::fetch::object_id::ObjectId;
use maillage_db::ReactionKind;
use maillage_domain::NotificationKind;
use serde_json::Value;
use url::Url;

use super::activity::{Announce, Received, Relayed};
use crate::context::{Context, Federation};
use crate::error::FederationError;
use crate::objects::{RemoteActorObject, authority, parse_actor_document};

fn relayed_target(relayed: &Relayed) -> Result<&str, FederationError> {
    relayed.target.as_deref().ok_or_else(|| FederationError::invalid("the relayed activity has no object"))
}

/// The wire check: a relayed activity names its object.
pub(super) fn verify(announce: &Announce) -> Result<(), FederationError> {
    if let Some(relayed) = &announce.relayed {
        relayed_target(relayed)?;
    }
    Ok(())
}

pub(super) async fn apply(
    federation: &Federation,
    ctx: &Context,
    announce: &Announce,
    actor: &RemoteActorObject,
) -> Result<Received, FederationError> {
    if let Some(relayed) = &announce.relayed {
        return apply_relayed(federation, ctx, relayed, actor).await;
    }
    let object_id = announce.object_id.as_str();
    // A reshare of one of our posts counts when anyone may read that post.
    let reader = maillage_db::Reader::remote(actor.row.id, &actor.row.ap_id);
    if let Some(post) = ctx.db.visible_post_by_ap_id(&reader, object_id).await?.filter(|p| p.visibility().is_open()) {
        if ctx.db.add_reaction(ReactionKind::Announce, object_id, &actor.row.ap_id, &announce.activity_id).await? {
            ctx.db.notify(post.actor_id, NotificationKind::Reblog, &actor.row.ap_id, Some(object_id)).await?;
        }
        return Ok(Received::Processed);
    }
    if Url::parse(object_id).is_ok_and(|u| authority(&u) == ctx.config.instance.domain) {
        return Ok(Received::Ignored);
    }
    fetch_or_ignore_deleted(federation, object_id).await?;
    crate::directory::note_announced_object(ctx, actor, object_id).await?;
    Ok(Received::Processed)
}

async fn apply_relayed(
    federation: &Federation,
    ctx: &Context,
    relayed: &Relayed,
    actor: &RemoteActorObject,
) -> Result<Received, FederationError> {
    let target = relayed_target(relayed)?;
    if Url::parse(target)
        .is_ok_and(|u| ctx.urls.local_username(&u).is_some() || authority(&u) == ctx.config.instance.domain)
    {
        return Ok(Received::Ignored);
    }
    if target == relayed.actor {
        // A relayed profile change: refresh the actor from its origin.
        let url = Url::parse(target).map_err(|_| FederationError::invalid("bad actor id"))?;
        let data = federation.data();
        let refreshed = ObjectId::<RemoteActorObject>::from(url).dereference_forced(&data).await?;
        let parsed = parse_actor_document(&serde_json::from_str(&refreshed.row.raw_json).unwrap_or(Value::Null))?;
        ctx.db.set_remote_profile(&parsed.ap_id, parsed.profile_json.as_deref()).await?;
        crate::directory::note_announced_actor(ctx, actor, &parsed.ap_id).await?;
        return Ok(Received::Processed);
    }
    if relayed.deletes {
        // Believe a relayed Delete only if the origin says it is gone.
        return match crate::objects::fetch_remote_object(federation, target).await {
            Ok(_) => Ok(Received::Ignored),
            Err(FederationError::Library(Lib::ObjectDeleted(_)))
            | Err(FederationError::Library(Lib::NotFound))
            | Err(FederationError::NotFound(_)) => {
                ctx.db.tombstone_remote_object(target, &relayed.target_type).await?;
                Ok(Received::Processed)
            }
            Err(other) => Err(other),
        };
    }
    fetch_or_ignore_deleted(federation, target).await?;
    crate::directory::note_announced_object(ctx, actor, target).await?;
    Ok(Received::Processed)
}

/// Fetches an object; one deleted at its origin is simply not stored.
async fn fetch_or_ignore_deleted(federation: &Federation, url: &str) -> Result<(), FederationError> {
    match crate::objects::fetch_remote_object(federation, url).await {
        Ok(_) => Ok(()),
        Err(FederationError::Library(Lib::ObjectDeleted(_))) | Err(FederationError::NotFound(_)) => Ok(()),
        Err(other) => Err(other),
    }
}
