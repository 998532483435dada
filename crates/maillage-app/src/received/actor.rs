//! A remote actor changes its profile, or is deleted at its origin.

use maillage_db::RemoteActor;
use maillage_federation::inbound::Received;
use maillage_federation::inbound::actor::own_document;
use maillage_federation::{Context, FederationError};
use serde_json::Value;

/// Keeps the actor's new profile; one not embedded is ignored.
pub(super) async fn update(
    ctx: &Context,
    document: Option<&Value>,
    actor: &RemoteActor,
) -> Result<Received, FederationError> {
    let Some(document) = document else { return Ok(Received::Ignored) };
    let parsed = own_document(document, actor)?;
    let stored = ctx.db.upsert_remote_actor(&parsed).await?;
    ctx.db.set_remote_actor_images(stored.id, &maillage_federation::remote_media::actor_images_of(document)).await?;
    ctx.forget_cached_actor(&parsed.ap_id);
    ctx.db.set_remote_profile(&parsed.ap_id, parsed.profile_json.as_deref()).await?;
    Ok(Received::Processed)
}

/// Forgets the actor.
pub(super) async fn delete(ctx: &Context, actor: &RemoteActor) -> Result<Received, FederationError> {
    ctx.db.remove_remote_actor(&actor.ap_id).await?;
    ctx.forget_cached_actor(&actor.ap_id);
    Ok(Received::Processed)
}
