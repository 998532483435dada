//! Whom the network directory trusts: a remote enterprise is listed when a
//! hub our hub follows lists it, on that hub's own server. A hub lists an
//! enterprise in its `members` collection (read by [`sync_hub`], on a
//! [`schedule`], and changed one at a time by its `Add` and `Remove`), or by
//! announcing its content or relaying its profile change; the listing is
//! recorded here, and the directory shows it while the follow holds
//! (`maillage_db::Database::listed_remote_enterprises`). Actors some server
//! merely made us fetch (the sender of a badly signed POST, the author of a
//! post reshared by a stranger) are never listed.

mod members;
pub mod schedule;

pub use members::{Synced, sync_hub};
pub(crate) use members::{is_followed_hub, member_change, read_members, same_server};

use maillage_db::{Direction, FollowState, ListingSource, RemoteActor};
use maillage_domain::ActorKind;
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
    if !same_server(enterprise_ap_id, &announcer.ap_id) || !is_followed_hub(&ctx.db, announcer).await? {
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

/// The hubs our hub follows (accepted): what `sync_hub` reads for all.
pub async fn followed_hubs(app: &crate::App) -> Result<Vec<String>, crate::AppError> {
    Ok(followed_hub_rows(app).await?.into_iter().map(|f| f.remote_ap_id).collect())
}

/// Our hub's accepted follows of remote `Group`s.
async fn followed_hub_rows(app: &crate::App) -> Result<Vec<maillage_db::Follow>, crate::AppError> {
    let Some(ours) = app.db().local_actor_of_kind(ActorKind::Hub).await? else { return Ok(Vec::new()) };
    let mut hubs = Vec::new();
    let mut before = None;
    loop {
        let page = app.db().follows_page(ours.id, Direction::Outgoing, FollowState::Accepted, before, 500).await?;
        let full = page.len() == 500;
        before = page.last().map(|last| last.id);
        hubs.extend(page.into_iter().filter(|f| f.remote_type == "Group"));
        if !full {
            break;
        }
    }
    Ok(hubs)
}
