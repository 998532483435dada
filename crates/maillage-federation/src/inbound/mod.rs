//! Receiving activities: what each activity we accept is, and its wire
//! check, one family to a file.
//!
//! [`activity`] parses an activity once into [`Inbound`] (a leaf: the
//! checks import it, never the reverse). Here, one match sends each
//! variant to its wire check ([`verify`]: origin and shape, judged without
//! I/O beyond our own database, before the activity is stored). What a
//! stored activity then does is a use case: the use-case layer
//! (`maillage_app::received`) gives it as [`Effects`] when the federation is
//! built, so no arrow runs from this crate up to it. The HTTP side, the
//! queue and the worker are in `crate::inbox`.
//!
//! Adding an activity type is adding a variant to [`Inbound`], its parsing,
//! a file here with its `verify`, and its effect in `maillage_app::received`.

pub mod activity;
pub mod actor;
pub mod announce;
mod flag;
pub mod follow;
mod membership;
pub mod object;

pub use activity::{Inbound, Received, id_of};
pub(crate) use object::own_embedded_object;

use maillage_db::{NewRemoteObject, RemoteActor};

use crate::context::{Context, Federation};
use crate::error::FederationError;
use crate::objects::RemoteActorObject;

/// Everything about an activity that can be judged without I/O beyond our
/// own database: refused here, it is never stored.
pub(crate) async fn verify(ctx: &Context, inbound: &Inbound, actor: &RemoteActorObject) -> Result<(), FederationError> {
    match inbound {
        Inbound::ActorUpdate { document } => actor::verify_update(document.as_ref(), &actor.row),
        Inbound::ObjectChange(change) => object::verify_change(change, &actor.row),
        Inbound::ObjectDelete { object_id, .. } => object::check_delete_origin(object_id, &actor.row),
        Inbound::Announce(announce) => announce::verify(announce),
        Inbound::UndoFollow(undo) => follow::verify_undo(undo, &actor.row),
        Inbound::Follow(follow) => follow::verify(ctx, follow).await,
        Inbound::Block { blocked } => follow::local_actor(ctx, blocked.as_ref()).await.map(|_| ()),
        Inbound::Flag(flag) => flag::verify(flag),
        Inbound::Membership(change) => membership::verify(change),
        Inbound::NoObject(kind) => Err(no_object(*kind)),
        Inbound::ActorDelete
        | Inbound::Like { .. }
        | Inbound::UndoReaction { .. }
        | Inbound::FollowAnswer(_)
        | Inbound::Unhandled => Ok(()),
    }
}

/// What verified, stored activities do: the use cases of receiving.
/// Each may fetch from other servers (through `federation`) before it
/// writes, never inside a transaction. Errors keep the wire's kinds, so the
/// inbox worker knows which failures pass (and retries them).
#[async_trait::async_trait]
pub trait Effects: Send + Sync + 'static {
    /// The effect of one activity, sent by `actor`.
    async fn apply(
        &self,
        federation: &Federation,
        inbound: &Inbound,
        actor: &RemoteActor,
    ) -> Result<Received, FederationError>;

    /// Objects their authors sent embedded (a run of the inbox worker's
    /// batch), stored together, then what follows each: one outcome per
    /// object, in order.
    async fn store_objects(
        &self,
        federation: &Federation,
        objects: &[EmbeddedObject],
    ) -> Vec<Result<Received, FederationError>>;
}

/// An object its own author sent embedded, parsed and ready to store.
#[derive(Debug, Clone)]
pub struct EmbeddedObject {
    pub object: NewRemoteObject,
    pub edit: activity::Edit,
}

/// The refusal of a content activity that names no object.
pub fn no_object(kind: activity::ContentKind) -> FederationError {
    FederationError::invalid(format!("the {} has no `object`", kind.name()))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn parse(activity: serde_json::Value) -> Inbound {
        let kind = activity::activity_type(&activity).unwrap().to_string();
        Inbound::parse(&kind, &activity, "https://other.example/users/bob")
    }

    fn message(error: FederationError) -> String {
        match error {
            FederationError::Invalid(message) => message,
            other => panic!("not an invalid activity: {other}"),
        }
    }

    #[test]
    fn a_content_activity_without_an_object_is_refused_as_before() {
        for kind in ["Create", "Update", "Delete", "Announce", "Like"] {
            let Inbound::NoObject(content) = parse(json!({"type": kind})) else { panic!("{kind} was not marked") };
            assert_eq!(message(no_object(content)), format!("the {kind} has no `object`"));
        }
    }

    #[test]
    fn a_flag_must_name_something() {
        let Inbound::Flag(empty) = parse(json!({"type": "Flag", "object": []})) else { panic!("not a Flag") };
        assert_eq!(message(flag::verify(&empty).unwrap_err()), "the Flag names nothing (no `object`)");
        let Inbound::Flag(named) = parse(json!({"type": "Flag", "object": "https://here.example/actors/a"})) else {
            panic!("not a Flag")
        };
        flag::verify(&named).unwrap();
    }

    #[test]
    fn a_relayed_activity_must_name_its_object() {
        let relay = |inner: serde_json::Value| {
            let Inbound::Announce(announce) = parse(json!({"type": "Announce", "object": inner})) else {
                panic!("not an Announce")
            };
            announce
        };
        let nameless = relay(json!({"id": "https://third.example/c/1", "type": "Update"}));
        assert_eq!(message(announce::verify(&nameless).unwrap_err()), "the relayed activity has no object");
        announce::verify(&relay(
            json!({"id": "https://third.example/c/1", "type": "Delete", "object": "https://third.example/n/1"}),
        ))
        .unwrap();
        // A reshare of an object, embedded or not, is not a relayed activity.
        announce::verify(&relay(json!({"id": "https://third.example/n/1", "type": "Note"}))).unwrap();
        announce::verify(&relay(json!("https://third.example/n/1"))).unwrap();
    }
}
