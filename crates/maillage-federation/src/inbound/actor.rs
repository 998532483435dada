//! `Create`/`Update` of the sender's own actor document (a profile change)
//! and `Delete` of the sender (an account deleted at its origin): the wire
//! check. Their effect is `maillage_app::received`.

use maillage_db::{NewRemoteActor, RemoteActor};
use serde_json::Value;

use crate::error::FederationError;
use crate::objects::parse_actor_document;

/// An embedded document is believed only when it is the sender's own (same
/// id, same key).
pub fn own_document(document: &Value, actor: &RemoteActor) -> Result<NewRemoteActor, FederationError> {
    let parsed = parse_actor_document(document)?;
    if parsed.ap_id != actor.ap_id || parsed.public_key_id != actor.public_key_id {
        return Err(FederationError::Unauthorized(
            "an Update of an actor must come from that actor, with its key".into(),
        ));
    }
    Ok(parsed)
}

/// The wire check of a profile change.
pub(super) fn verify_update(document: Option<&Value>, actor: &RemoteActor) -> Result<(), FederationError> {
    if let Some(document) = document {
        own_document(document, actor)?;
    }
    Ok(())
}
