//! `Like` of one of our posts (counted when its sender may read the post),
//! and `Undo{Like}` / `Undo{Announce}`. They have no wire check of their own.

use maillage_db::ReactionKind;
use maillage_domain::NotificationKind;

use super::activity::Received;
use crate::context::Context;
use crate::error::FederationError;
use crate::objects::RemoteActorObject;

pub(super) async fn apply_like(
    ctx: &Context,
    activity_id: &str,
    object_id: &str,
    actor: &RemoteActorObject,
) -> Result<Received, FederationError> {
    // Liked by someone who may read it, or not counted.
    let reader = maillage_db::Reader::remote(actor.row.id, &actor.row.ap_id);
    let Some(post) = ctx.db.visible_post_by_ap_id(&reader, object_id).await? else { return Ok(Received::Ignored) };
    if ctx.db.add_reaction(ReactionKind::Like, object_id, &actor.row.ap_id, activity_id).await? {
        ctx.db.notify(post.actor_id, NotificationKind::Favourite, &actor.row.ap_id, Some(object_id)).await?;
    }
    Ok(Received::Processed)
}

pub(super) async fn apply_undo(
    ctx: &Context,
    reaction: ReactionKind,
    reaction_id: &str,
    object_id: Option<&str>,
    actor: &RemoteActorObject,
) -> Result<Received, FederationError> {
    let removed = ctx.db.remove_reaction(reaction_id, object_id.map(|t| (reaction, t)), &actor.row.ap_id).await?;
    Ok(if removed { Received::Processed } else { Received::Ignored })
}
