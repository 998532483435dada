//! `Like` of one of our posts (counted when its sender may read the post),
//! and `Undo{Like}` / `Undo{Announce}`.

use maillage_db::{ReactionKind, Reader, RemoteActor};
use maillage_domain::NotificationKind;
use maillage_federation::inbound::Received;
use maillage_federation::{Context, FederationError};

pub(super) async fn like(
    ctx: &Context,
    activity_id: &str,
    object_id: &str,
    actor: &RemoteActor,
) -> Result<Received, FederationError> {
    // Liked by someone who may read it, or not counted.
    let reader = Reader::remote(actor.id, &actor.ap_id);
    let Some(post) = ctx.db.visible_post_by_ap_id(&reader, object_id).await? else { return Ok(Received::Ignored) };
    if ctx.db.add_reaction(ReactionKind::Like, object_id, &actor.ap_id, activity_id).await? {
        ctx.db.notify(post.actor_id, NotificationKind::Favourite, &actor.ap_id, Some(object_id)).await?;
    }
    Ok(Received::Processed)
}

pub(super) async fn undo(
    ctx: &Context,
    reaction: ReactionKind,
    reaction_id: &str,
    object_id: Option<&str>,
    actor: &RemoteActor,
) -> Result<Received, FederationError> {
    let removed = ctx.db.remove_reaction(reaction_id, object_id.map(|t| (reaction, t)), &actor.ap_id).await?;
    Ok(if removed { Received::Processed } else { Received::Ignored })
}
