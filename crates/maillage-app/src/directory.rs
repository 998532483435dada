//! Whom the network directory trusts: a remote enterprise is listed when a
//! hub our hub follows lists it. Today a hub lists an enterprise of its own
//! server by announcing its content or relaying its profile change; the
//! listing is recorded here, and the directory shows it while the follow
//! holds (`maillage_db::Database::listed_remote_enterprises`). Actors some
//! server merely made us fetch (the sender of a badly signed POST, the
//! author of a post reshared by a stranger) are never listed.

use maillage_db::{Direction, FollowState, ListingSource};
use maillage_domain::ActorKind;
use url::Url;

use maillage_db::RemoteActor;
use maillage_federation::objects::authority;
use maillage_federation::{Context, FederationError};

/// After `announcer` announced the content or relayed the profile of
/// `enterprise_ap_id`: records that it lists that enterprise, when the
/// enterprise is on the announcer's server, publishes a profile, and the
/// announcer is followed (accepted) by our hub.
pub(crate) async fn note_announced_actor(
    ctx: &Context,
    announcer: &RemoteActor,
    enterprise_ap_id: &str,
) -> Result<(), FederationError> {
    let same_server = match (Url::parse(enterprise_ap_id), Url::parse(&announcer.ap_id)) {
        (Ok(enterprise), Ok(announcer)) => authority(&enterprise) == authority(&announcer),
        _ => false,
    };
    if !same_server {
        return Ok(());
    }
    let Some(hub) = ctx.db.local_actor_of_kind(ActorKind::Hub).await? else { return Ok(()) };
    let followed = ctx
        .db
        .find_follow(hub.id, announcer.id, Direction::Outgoing)
        .await?
        .is_some_and(|follow| follow.state() == FollowState::Accepted);
    if !followed {
        return Ok(());
    }
    let Some(enterprise) = ctx.db.remote_actor_by_ap_id(enterprise_ap_id).await? else { return Ok(()) };
    if enterprise.profile_json.is_some() && !enterprise.suspended {
        ctx.db.add_directory_listing(enterprise.id, announcer.id, ListingSource::Announce).await?;
    }
    Ok(())
}

/// [`note_announced_actor`] for the author of an announced object (stored,
/// with its author, by the fetch that processed the Announce).
pub(crate) async fn note_announced_object(
    ctx: &Context,
    announcer: &RemoteActor,
    object_ap_id: &str,
) -> Result<(), FederationError> {
    let author = ctx.db.remote_object(object_ap_id).await?.filter(|o| !o.deleted).and_then(|o| o.attributed_to);
    match author {
        Some(author) => note_announced_actor(ctx, announcer, &author).await,
        None => Ok(()),
    }
}
