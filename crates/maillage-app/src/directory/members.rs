//! Reading a followed hub's `members` collection: whole (on demand, and on
//! the [`super::schedule`]), or one change at a time (its `Add` and
//! `Remove`, [`member_change`]). Either way only actors of the hub's own
//! server count: an actor elsewhere is its own server's to vouch for.

use std::collections::HashSet;
use std::time::Duration;

use maillage_db::{Database, Direction, FollowState, ListingSource, RemoteActor};
use maillage_domain::ActorKind;
use maillage_federation::inbound::Received;
use maillage_federation::inbound::activity::Membership;
use maillage_federation::objects::authority;
use maillage_federation::{Federation, FederationError};
use url::Url;

use crate::{Acting, App, AppError};

/// What reading a hub's `members` did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Synced {
    /// Whether the hub publishes a `members` collection on its server (a
    /// `Group` that is no Maillage hub, a Lemmy community say, does not:
    /// nothing is listed from it, and that is no failure).
    pub published: bool,
    /// Enterprises the hub lists that we list for it now.
    pub listed: usize,
    pub added: usize,
    /// Listed before, no longer in the hub's collection.
    pub dropped: usize,
    /// Items left out: not on the hub's server, not an enterprise with a
    /// profile, or not readable.
    pub ignored: usize,
}

/// Reads the `members` of `hub_id`, a hub our hub follows, now (admins:
/// `maillage admin directory sync`). See [`read_members`].
pub async fn sync_hub(app: &App, acting: &Acting, hub_id: &str) -> Result<Synced, AppError> {
    acting.require_admin()?;
    let remote = crate::follows::resolve(app, hub_id).await?.row;
    if !is_followed_hub(app.db(), &remote).await? {
        return Err(AppError::refused(format!(
            "{} is not a hub our hub follows (follow it first, and wait for its answer)",
            remote.ap_id
        )));
    }
    read_members(app, &remote).await
}

/// Reads the `members` collection of `followed` and makes it the list of
/// enterprises the directory holds for that hub: what is new is added, what
/// it no longer lists is dropped. At most `directory.max_per_server`
/// enterprises, and `directory.sync_requests_per_second` requests to its
/// server; the fetches come before the one write.
pub(crate) async fn read_members(app: &App, followed: &RemoteActor) -> Result<Synced, AppError> {
    let federation = app.federation();
    let mut pace = Pace::per_second(app.config().directory.sync_requests_per_second);
    // Its document as it is now (ours may predate its `members`).
    pace.wait().await;
    let hub = maillage_federation::objects::refetch_actor(federation, &followed.ap_id).await?;
    let Some(members) = members_url(&hub) else {
        let (_, dropped) = app.db().replace_listings(hub.id, ListingSource::Members, &[]).await?;
        tracing::info!(hub = %hub.ap_id, dropped, "a followed Group publishes no members collection: nothing to list");
        return Ok(Synced { dropped, ..Synced::default() });
    };
    let cap = usize::try_from(app.config().directory.max_per_server).unwrap_or(usize::MAX);
    let mut synced = Synced { published: true, ..Synced::default() };
    let mut enterprises = Vec::new();
    let mut next = Some(members);
    let mut read = HashSet::new();
    while let Some(url) = next.take() {
        // A page read before is a loop; past the cap, or as many pages as
        // the cap allows items, the rest is not ours to list.
        if !read.insert(url.clone()) || read.len() > cap + 1 || enterprises.len() >= cap {
            break;
        }
        pace.wait().await;
        let page = maillage_federation::collections::fetch_collection_page(federation, &url).await?;
        for item in page.items {
            if enterprises.len() >= cap {
                synced.ignored += 1;
                continue;
            }
            pace.wait().await;
            match member_enterprise(federation, &hub, &item).await {
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

/// A hub's `Add` or `Remove` of one of its enterprises: listed (read from
/// its server first) or no longer listed for that hub. Ignored unless the
/// sender is a hub our hub follows and the collection is its `members`
/// (Mastodon adds pinned posts to `featured` the same way).
pub(crate) async fn member_change(
    federation: &Federation,
    change: &Membership,
    hub: &RemoteActor,
) -> Result<Received, FederationError> {
    let db = &federation.context().db;
    let (Some(member), Some(collection)) = (&change.member, &change.collection) else { return Ok(Received::Ignored) };
    if !is_followed_hub(db, hub).await? || members_url(hub).as_deref() != Some(collection.as_str()) {
        return Ok(Received::Ignored);
    }
    if change.joins {
        let Some(enterprise) = member_enterprise(federation, hub, member).await else { return Ok(Received::Ignored) };
        db.add_directory_listing(enterprise, hub.id, ListingSource::Members).await?;
        return Ok(Received::Processed);
    }
    match db.remote_actor_by_ap_id(member).await? {
        Some(enterprise) => {
            db.drop_directory_listings(enterprise.id, hub.id).await?;
            Ok(Received::Processed)
        }
        None => Ok(Received::Ignored),
    }
}

/// Whether `remote` is a `Group` our hub follows (accepted).
pub(crate) async fn is_followed_hub(db: &Database, remote: &RemoteActor) -> Result<bool, maillage_db::DbError> {
    if remote.actor_type != "Group" {
        return Ok(false);
    }
    let Some(ours) = db.local_actor_of_kind(ActorKind::Hub).await? else { return Ok(false) };
    let follow = db.find_follow(ours.id, remote.id, Direction::Outgoing).await?;
    Ok(follow.is_some_and(|f| f.state() == FollowState::Accepted))
}

/// The hub's `members` collection as its document (the copy we hold)
/// names it, when it is on the hub's own server.
fn members_url(hub: &RemoteActor) -> Option<String> {
    let document: serde_json::Value = serde_json::from_str(&hub.raw_json).unwrap_or_default();
    let url = maillage_federation::inbound::id_of(document.get("members"))?;
    if !same_server(url, &hub.ap_id) {
        tracing::info!(hub = %hub.ap_id, members = url, "a hub's members collection is on another server: ignored");
        return None;
    }
    Some(url.to_string())
}

/// Whether two URLs are on one server (scheme, host and port).
pub(crate) fn same_server(a: &str, b: &str) -> bool {
    match (Url::parse(a), Url::parse(b)) {
        (Ok(a), Ok(b)) => authority(&a) == authority(&b),
        _ => false,
    }
}

/// The row id of the enterprise a hub's `members` names, when we may list
/// it: on the hub's own server, readable, an enterprise with a profile,
/// not suspended.
async fn member_enterprise(federation: &Federation, hub: &RemoteActor, item: &str) -> Option<i64> {
    if !same_server(item, &hub.ap_id) {
        tracing::info!(hub = %hub.ap_id, actor = item, "a hub's members name an actor of another server: ignored");
        return None;
    }
    match maillage_federation::activities::resolve_actor(federation, item).await {
        Ok(actor) if actor.row.profile_json.is_some() && actor.row.actor_type == "Organization" => Some(actor.row.id),
        Ok(_) => None,
        Err(error) => {
            tracing::info!(hub = %hub.ap_id, actor = item, %error, "cannot read a hub's member");
            None
        }
    }
}

/// At most `n` steps a second: the pace of requests to one server.
struct Pace {
    interval: Duration,
    next: tokio::time::Instant,
}

impl Pace {
    fn per_second(n: u32) -> Self {
        Pace { interval: Duration::from_secs(1) / n.max(1), next: tokio::time::Instant::now() }
    }

    async fn wait(&mut self) {
        tokio::time::sleep_until(self.next).await;
        self.next = tokio::time::Instant::now().max(self.next) + self.interval;
    }
}
