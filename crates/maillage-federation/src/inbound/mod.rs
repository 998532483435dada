//! Receiving activities: what each activity we accept is, its check and its
//! effect, one family to a file.
//!
//! [`activity`] parses an activity once into [`Inbound`] (a leaf: the
//! effects import it, never the reverse). Here, one match sends each
//! variant to its wire check ([`verify`]: origin and shape, judged without
//! I/O beyond our own database, before the activity is stored) and one
//! to its effect ([`apply`], when the stored activity is processed).
//! The HTTP side, the queue and the worker are in `crate::inbox`.
//!
//! Adding an activity type is adding a variant to [`Inbound`], its parsing,
//! and a file with its `verify` and `apply`.

pub mod activity;
mod actor;
mod announce;
mod flag;
mod follow;
mod object;
mod reaction;

pub use activity::{Inbound, Received, id_of};
pub(crate) use object::{after_store, own_embedded_object};

use crate::context::{Context, Federation};
use crate::error::FederationError;
use crate::objects::RemoteActorObject;

/// Everything about an activity that can be judged without I/O beyond our
/// own database: refused here, it is never stored.
pub(crate) async fn verify(ctx: &Context, inbound: &Inbound, actor: &RemoteActorObject) -> Result<(), FederationError> {
    match inbound {
        Inbound::ActorUpdate { document } => actor::verify_update(document.as_ref(), actor),
        Inbound::ObjectChange(change) => object::verify_change(change, actor),
        Inbound::ObjectDelete { object_id, .. } => object::verify_delete(object_id, actor),
        Inbound::Announce(announce) => announce::verify(announce),
        Inbound::UndoFollow(undo) => follow::verify_undo(undo, actor),
        Inbound::Follow(follow) => follow::verify(ctx, follow).await,
        Inbound::Flag(flag) => flag::verify(flag),
        Inbound::NoObject(kind) => Err(no_object(*kind)),
        Inbound::ActorDelete
        | Inbound::Like { .. }
        | Inbound::UndoReaction { .. }
        | Inbound::FollowAnswer(_)
        | Inbound::Unhandled => Ok(()),
    }
}

/// What a verified, stored activity does.
pub(crate) async fn apply(
    federation: &Federation,
    ctx: &Context,
    inbound: &Inbound,
    actor: &RemoteActorObject,
) -> Result<Received, FederationError> {
    match inbound {
        Inbound::ActorUpdate { document } => actor::apply_update(ctx, document.as_ref(), actor).await,
        Inbound::ActorDelete => actor::apply_delete(ctx, actor).await,
        Inbound::ObjectChange(change) => object::apply_change(federation, ctx, change, actor).await,
        Inbound::ObjectDelete { object_id, object_type } => {
            object::apply_delete(ctx, object_id, object_type, actor).await
        }
        Inbound::Announce(announce) => announce::apply(federation, ctx, announce, actor).await,
        Inbound::Like { activity_id, object_id } => reaction::apply_like(ctx, activity_id, object_id, actor).await,
        Inbound::UndoReaction { reaction, reaction_id, object_id } => {
            reaction::apply_undo(ctx, *reaction, reaction_id, object_id.as_deref(), actor).await
        }
        Inbound::UndoFollow(undo) => follow::apply_undo(ctx, undo, actor).await,
        Inbound::Follow(follow) => follow::apply(ctx, follow, actor).await,
        Inbound::FollowAnswer(answer) => follow::apply_answer(ctx, answer, actor).await,
        Inbound::Flag(flag) => flag::apply(ctx, flag, actor).await,
        Inbound::NoObject(kind) => Err(no_object(*kind)),
        // Kept raw (received_activities) for the content features to come.
        Inbound::Unhandled => Ok(Received::Ignored),
    }
}

fn no_object(kind: activity::ContentKind) -> FederationError {
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
