//! `Create`, `Update` and `Delete` of objects: the wire checks (the object
//! is on the sender's server, well formed when embedded), and the object
//! its author sent embedded, parsed for storing. Storing it, following
//! edits and deletions, and telling mentioned actors is
//! `maillage_app::received`.

use maillage_db::{NewRemoteObject, RemoteActor};
use url::Url;

use super::activity::ObjectChange;
use crate::error::FederationError;
use crate::objects::{authority, check_remote_object, parse_remote_object};

/// Whether `object_id` is on the server of the sender.
fn on_senders_server(object_id: &str, actor: &RemoteActor) -> Result<bool, FederationError> {
    let actor_url = Url::parse(&actor.ap_id).map_err(|_| FederationError::invalid("bad actor id"))?;
    Ok(Url::parse(object_id).is_ok_and(|a| authority(&a) == authority(&actor_url)))
}

/// An actor creates or updates only objects of its own server.
pub fn check_change_origin(change: &ObjectChange, actor: &RemoteActor) -> Result<(), FederationError> {
    if !on_senders_server(&change.object_id, actor)? {
        return Err(FederationError::invalid("an actor can only create or update objects of its own server"));
    }
    Ok(())
}

/// An actor deletes only objects of its own server.
pub fn check_delete_origin(object_id: &str, actor: &RemoteActor) -> Result<(), FederationError> {
    if !on_senders_server(object_id, actor)? {
        return Err(FederationError::invalid("an actor can only delete objects of its own server"));
    }
    Ok(())
}

/// The wire check of a `Create` or `Update`: the object is on the sender's
/// server, and well formed when embedded.
pub(super) fn verify_change(change: &ObjectChange, actor: &RemoteActor) -> Result<(), FederationError> {
    check_change_origin(change, actor)?;
    if let Some(embedded) = &change.embedded {
        check_remote_object(embedded)?;
    }
    Ok(())
}

/// The object its own author sends embedded (the common case), ready to
/// store; `None` when the object does not parse (then the effect says why)
/// or is someone else's (then it is fetched from its origin).
pub fn own_embedded_object(change: &ObjectChange, actor: &RemoteActor) -> Option<NewRemoteObject> {
    let object = change.embedded.as_ref()?;
    if !on_senders_server(&change.object_id, actor).ok()? {
        return None;
    }
    let parsed = parse_remote_object(object).ok()?;
    parsed.attributed_to.as_deref().is_none_or(|a| a == actor.ap_id).then_some(parsed)
}
