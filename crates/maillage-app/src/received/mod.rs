//! What received activities do: the use cases of receiving. The wire crate
//! parses an activity into `maillage_federation::inbound::Inbound`, checks
//! its signature, origin and shape, stores it, and then hands it here
//! ([`effects`], given to the federation when it is built) to accept a
//! follow, store a post, count a reshare, record a report…
//!
//! An effect may fetch from other servers first (an object not embedded by
//! its author, a reshared post); it writes after, never waiting on another
//! server inside a transaction. One family of activities to a file.

mod actor;
mod announce;
mod flag;
mod follow;
mod object;
mod reaction;

use std::sync::Arc;

use maillage_db::RemoteActor;
use maillage_federation::inbound::{EmbeddedObject, Inbound, Received, no_object};
use maillage_federation::{Federation, FederationError};

/// The effects of received activities, for `Federation::new`.
pub fn effects() -> Arc<dyn maillage_federation::inbound::Effects> {
    Arc::new(ReceivedEffects)
}

struct ReceivedEffects;

#[async_trait::async_trait]
impl maillage_federation::inbound::Effects for ReceivedEffects {
    async fn apply(
        &self,
        federation: &Federation,
        inbound: &Inbound,
        actor: &RemoteActor,
    ) -> Result<Received, FederationError> {
        let ctx = federation.context();
        match inbound {
            Inbound::ActorUpdate { document } => actor::update(ctx, document.as_ref(), actor).await,
            Inbound::ActorDelete => actor::delete(ctx, actor).await,
            Inbound::ObjectChange(change) => object::change(federation, change, actor).await,
            Inbound::ObjectDelete { object_id, object_type } => {
                object::delete(ctx, object_id, object_type, actor).await
            }
            Inbound::Announce(announce) => announce::apply(federation, announce, actor).await,
            Inbound::Like { activity_id, object_id } => reaction::like(ctx, activity_id, object_id, actor).await,
            Inbound::UndoReaction { reaction, reaction_id, object_id } => {
                reaction::undo(ctx, *reaction, reaction_id, object_id.as_deref(), actor).await
            }
            Inbound::UndoFollow(undo) => follow::undo(ctx, undo, actor).await,
            Inbound::Follow(follow) => follow::follow(ctx, follow, actor).await,
            Inbound::FollowAnswer(answer) => follow::answer(ctx, answer, actor).await,
            Inbound::Block { blocked } => follow::blocked(ctx, blocked.as_ref(), actor).await,
            Inbound::Flag(flag) => flag::report(ctx, flag, actor).await,
            Inbound::Membership(change) => crate::directory::member_change(federation, change, actor).await,
            Inbound::NoObject(kind) => Err(no_object(*kind)),
            // Kept raw (received_activities) for the content features to come.
            Inbound::Unhandled => Ok(Received::Ignored),
        }
    }

    async fn store_objects(
        &self,
        federation: &Federation,
        objects: &[EmbeddedObject],
    ) -> Vec<Result<Received, FederationError>> {
        object::store_embedded(federation.context(), objects).await
    }
}

#[cfg(test)]
mod tests;
