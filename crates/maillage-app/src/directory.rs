//! Whom the network directory trusts: a remote enterprise is listed when a
//! hub our hub follows lists it, on that hub's own server. A hub lists an
//! enterprise in its `members` collection (read by [`sync_hub`]), or by
//! announcing its content or relaying its profile change; the listing is
//! recorded here, and the directory shows it while the follow holds
//! (`maillage_db::Database::listed_remote_enterprises`). Actors some server
//! merely made us fetch (the sender of a badly signed POST, the author of a
//! post reshared by a stranger) are never listed.

use maillage_db::{Direction, FollowState, ListingSource, RemoteActor};
use maillage_domain::ActorKind;
use maillage_federation::objects::authority;
use maillage_federation::{Context, FederationError};
use url::Url;

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

/// What reading a hub's `members` did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Synced {
    /// Enterprises the hub lists that we list for it now.
    pub listed: usize,
    pub added: usize,
    /// Listed before, no longer in the hub's collection.
    pub dropped: usize,
    /// Items left out: not on the hub's server, not an enterprise with a
    /// profile, or not readable.
    pub ignored: usize,
}

/// Reads the `members` collection of `hub_id`, a hub our hub follows
/// (admins, or the inbox when our follow is accepted), and makes it the
/// list of enterprises the directory holds for that hub: what is new is
/// added, what it no longer lists is dropped. Only actors of the hub's own
/// server count, at most `directory.max_per_server`; the fetches come
/// before the one write.
pub async fn sync_hub(app: &crate::App, acting: &crate::Acting, hub_id: &str) -> Result<Synced, crate::AppError> {
    acting.require_admin()?;
    let federation = app.federation();
    let followed = followed_hub(app, hub_id).await?;
    // Its document as it is now (ours may predate its `members`).
    let hub = maillage_federation::objects::refetch_actor(federation, &followed.ap_id).await?;
    let members = members_url(&hub)?;
    let cap = usize::try_from(app.config().directory.max_per_server).unwrap_or(usize::MAX);
    let mut synced = Synced::default();
    let mut enterprises = Vec::new();
    let mut next = Some(members.clone());
    let mut read = std::collections::HashSet::new();
    while let Some(url) = next.take() {
        // A page read before is a loop; past the cap, or as many pages as
        // the cap allows items, the rest is not ours to list.
        if !read.insert(url.clone()) || read.len() > cap + 1 || enterprises.len() >= cap {
            break;
        }
        let page = maillage_federation::collections::fetch_collection_page(federation, &url).await?;
        for item in page.items {
            if enterprises.len() >= cap {
                synced.ignored += 1;
                continue;
            }
            match member_enterprise(app, &hub, &item).await {
                Some(id) => enterprises.push(id),
                None => synced.ignored += 1,
            }
        }
        next = page.next.filter(|n| same_server(n, &hub.ap_id));
    }
    enterprises.sort_unstable();
    enterprises.dedup();
    let (added, dropped) = app.db().replace_listings(hub.id, ListingSource::Members, &enterprises).await?;
    synced.listed = enterprises.len();
    synced.added = added;
    synced.dropped = dropped;
    tracing::info!(hub = %hub.ap_id, ?synced, "read a followed hub's members");
    Ok(synced)
}

/// The hubs our hub follows (accepted): what `sync_hub` reads for all.
pub async fn followed_hubs(app: &crate::App) -> Result<Vec<String>, crate::AppError> {
    let Some(ours) = app.db().local_actor_of_kind(ActorKind::Hub).await? else { return Ok(Vec::new()) };
    let mut hubs = Vec::new();
    let mut before = None;
    loop {
        let page = app.db().follows_page(ours.id, Direction::Outgoing, FollowState::Accepted, before, 500).await?;
        hubs.extend(page.iter().filter(|f| f.remote_type == "Group").map(|f| f.remote_ap_id.clone()));
        match page.last() {
            Some(last) if page.len() == 500 => before = Some(last.id),
            _ => break,
        }
    }
    Ok(hubs)
}

/// A remote `Group` our hub follows (accepted), by actor id or handle.
async fn followed_hub(app: &crate::App, hub_id: &str) -> Result<RemoteActor, crate::AppError> {
    let remote = crate::follows::resolve(app, hub_id).await?.row;
    let ours = app
        .db()
        .local_actor_of_kind(ActorKind::Hub)
        .await?
        .ok_or_else(|| crate::AppError::Internal("this instance has no hub".into()))?;
    let followed = app
        .db()
        .find_follow(ours.id, remote.id, Direction::Outgoing)
        .await?
        .is_some_and(|f| f.state() == FollowState::Accepted);
    if !followed || remote.actor_type != "Group" {
        return Err(crate::AppError::refused(format!(
            "{} is not a hub our hub follows (follow it first, and wait for its answer)",
            remote.ap_id
        )));
    }
    Ok(remote)
}

/// The hub's `members` collection, on its own server.
fn members_url(hub: &RemoteActor) -> Result<String, crate::AppError> {
    let document: serde_json::Value = serde_json::from_str(&hub.raw_json).unwrap_or_default();
    let url = maillage_federation::inbound::id_of(document.get("members"))
        .ok_or_else(|| crate::AppError::Remote(format!("{} publishes no members collection", hub.ap_id)))?;
    if !same_server(url, &hub.ap_id) {
        return Err(crate::AppError::Remote(format!("{}'s members collection is on another server", hub.ap_id)));
    }
    Ok(url.to_string())
}

fn same_server(a: &str, b: &str) -> bool {
    match (Url::parse(a), Url::parse(b)) {
        (Ok(a), Ok(b)) => authority(&a) == authority(&b),
        _ => false,
    }
}

/// The row id of the enterprise a hub's `members` names, when we may list
/// it: on the hub's own server (an actor elsewhere is the other server's
/// to vouch for), readable, an enterprise with a profile, not suspended.
async fn member_enterprise(app: &crate::App, hub: &RemoteActor, item: &str) -> Option<i64> {
    if !same_server(item, &hub.ap_id) {
        tracing::info!(hub = %hub.ap_id, actor = item, "a hub's members name an actor of another server: ignored");
        return None;
    }
    match crate::follows::resolve(app, item).await {
        Ok(actor) if actor.row.profile_json.is_some() && actor.row.actor_type == "Organization" => Some(actor.row.id),
        Ok(_) => None,
        Err(error) => {
            tracing::info!(hub = %hub.ap_id, actor = item, %error, "cannot read a hub's member");
            None
        }
    }
}
