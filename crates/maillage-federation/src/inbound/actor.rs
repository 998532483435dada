//! `Create`/`Update` of the sender's own actor document (a profile change)
//! and `Delete` of the sender (an account deleted at its origin).

use maillage_db::NewRemoteActor;
use serde_json::Value;

use super::activity::Received;
use crate::context::Context;
use crate::error::FederationError;
use crate::objects::{RemoteActorObject, parse_actor_document};

/// An embedded document is believed only when it is the sender's own (same
/// id, same key).
fn own_document(document: &Value, actor: &RemoteActorObject) -> Result<NewRemoteActor, FederationError> {
    let parsed = parse_actor_document(document)?;
    if parsed.ap_id != actor.row.ap_id || parsed.public_key_id != actor.row.public_key_id {
        return Err(FederationError::Unauthorized(
            "an Update of an actor must come from that actor, with its key".into(),
        ));
    }
    Ok(parsed)
}

/// The wire check of a profile change.
pub(super) fn verify_update(document: Option<&Value>, actor: &RemoteActorObject) -> Result<(), FederationError> {
    if let Some(document) = document {
        own_document(document, actor)?;
    }
    Ok(())
}

/// Keeps the actor's new profile; one not embedded is ignored.
pub(super) async fn apply_update(
    ctx: &Context,
    document: Option<&Value>,
    actor: &RemoteActorObject,
) -> Result<Received, FederationError> {
    let Some(document) = document else { return Ok(Received::Ignored) };
    let parsed = own_document(document, actor)?;
    ctx.db.upsert_remote_actor(&parsed).await?;
    ctx.remote_actors.invalidate(&parsed.ap_id);
    ctx.db.set_remote_profile(&parsed.ap_id, parsed.profile_json.as_deref()).await?;
    Ok(Received::Processed)
}

/// Forgets the actor.
pub(super) async fn apply_delete(ctx: &Context, actor: &RemoteActorObject) -> Result<Received, FederationError> {
    ctx.db.remove_remote_actor(&actor.row.ap_id).await?;
    ctx.remote_actors.invalidate(&actor.row.ap_id);
    Ok(Received::Processed)
}
