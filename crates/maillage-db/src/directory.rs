//! Which remote enterprises the network directory lists: those a hub we
//! follow vouches for. A listing ties a remote enterprise to the remote
//! actor (on its server) that listed it, with how; an enterprise is listed
//! while one of those actors is followed, accepted, by our hub. Actors a
//! server merely made us fetch are never listed.

use std::collections::HashMap;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::follows::{Direction, FollowState};
use crate::schema::{directory_listings, follows, local_actors, remote_actors};
use crate::{Database, DbError, LocalActor, RemoteActor, UtcTime};

/// The hub that lists an enterprise of the directory: a remote actor our
/// hub follows, or our own hub for our enterprises.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListingHub {
    /// Its ActivityPub id.
    pub ap_id: String,
    pub username: String,
    /// Its server; `None` for our own hub.
    pub domain: Option<String>,
    pub display_name: Option<String>,
    /// Its page: a remote actor's `url` when it has one, else its id.
    pub page: String,
}

impl ListingHub {
    /// Our own hub, from its actor.
    pub fn ours(hub: &LocalActor) -> Self {
        ListingHub {
            ap_id: hub.ap_id.clone(),
            username: hub.username.clone(),
            domain: None,
            display_name: Some(hub.display_name.clone()),
            page: hub.ap_id.clone(),
        }
    }

    /// `username@domain`, the hub's stable key; `our_domain` for ours.
    pub fn handle(&self, our_domain: &str) -> String {
        format!("{}@{}", self.username, self.domain.as_deref().unwrap_or(our_domain))
    }

    /// Its display name, else its username.
    pub fn name(&self) -> &str {
        self.display_name.as_deref().filter(|n| !n.trim().is_empty()).unwrap_or(&self.username)
    }
}

/// A remote enterprise of the network directory with the hub that lists it.
#[derive(Debug, Clone)]
pub struct ListedEnterprise {
    pub enterprise: RemoteActor,
    pub hub: ListingHub,
}

/// The columns of a listing hub, in this order.
#[derive(Queryable)]
struct ListingHubRow {
    id: i64,
    ap_id: String,
    username: String,
    domain: String,
    display_name: Option<String>,
    url: Option<String>,
}

impl From<ListingHubRow> for ListingHub {
    fn from(row: ListingHubRow) -> Self {
        ListingHub {
            page: row.url.unwrap_or_else(|| row.ap_id.clone()),
            ap_id: row.ap_id,
            username: row.username,
            domain: Some(row.domain),
            display_name: row.display_name,
        }
    }
}

/// How a hub listed an enterprise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListingSource {
    /// The hub announced the enterprise's content, or relayed its profile.
    Announce,
    /// The hub's `members` collection lists the enterprise.
    Members,
}

impl ListingSource {
    pub fn as_str(self) -> &'static str {
        match self {
            ListingSource::Announce => "announce",
            ListingSource::Members => "members",
        }
    }
}

/// The remote actors our hub follows (accepted), as a subquery of ids.
macro_rules! followed_by_our_hub {
    () => {
        follows::table
            .inner_join(local_actors::table.on(local_actors::id.eq(follows::local_actor_id)))
            .filter(local_actors::kind.eq(maillage_domain::ActorKind::Hub.as_str()))
            .filter(follows::direction.eq(Direction::Outgoing.as_str()))
            .filter(follows::state.eq(FollowState::Accepted.as_str()))
            .select(follows::remote_actor_id)
    };
}

impl Database {
    /// Records that the remote actor `listed_by_id` lists the remote
    /// enterprise `enterprise_id`; false when it already did.
    pub async fn add_directory_listing(
        &self,
        enterprise_id: i64,
        listed_by_id: i64,
        source: ListingSource,
    ) -> Result<bool, DbError> {
        let mut conn = self.write_conn().await?;
        let n = with_conn!(&mut conn, |c| diesel::insert_into(directory_listings::table)
            .values((
                directory_listings::enterprise_id.eq(enterprise_id),
                directory_listings::listed_by_id.eq(listed_by_id),
                directory_listings::source.eq(source.as_str()),
                directory_listings::created_at.eq(UtcTime::now()),
            ))
            .on_conflict_do_nothing()
            .execute(c)
            .await)?;
        Ok(n > 0)
    }

    /// Forgets that `listed_by_id` lists `enterprise_id`, however it did
    /// (the hub says the enterprise left); the number of listings dropped.
    pub async fn drop_directory_listings(&self, enterprise_id: i64, listed_by_id: i64) -> Result<usize, DbError> {
        let mut conn = self.write_conn().await?;
        let n = with_conn!(&mut conn, |c| diesel::delete(
            directory_listings::table
                .filter(directory_listings::enterprise_id.eq(enterprise_id))
                .filter(directory_listings::listed_by_id.eq(listed_by_id))
        )
        .execute(c)
        .await)?;
        Ok(n)
    }

    /// Makes `enterprise_ids` the whole list of what `listed_by_id` lists
    /// through `source`, in one transaction: what is new is added, what it
    /// no longer lists is dropped. Returns (added, dropped).
    pub async fn replace_listings(
        &self,
        listed_by_id: i64,
        source: ListingSource,
        enterprise_ids: &[i64],
    ) -> Result<(usize, usize), DbError> {
        let mut conn = self.conn().await?;
        let now = UtcTime::now();
        with_write_tx!(self, &mut conn, |c| {
            let dropped = diesel::delete(
                directory_listings::table
                    .filter(directory_listings::listed_by_id.eq(listed_by_id))
                    .filter(directory_listings::source.eq(source.as_str()))
                    .filter(directory_listings::enterprise_id.ne_all(enterprise_ids)),
            )
            .execute(c)
            .await?;
            let mut added = 0;
            for id in enterprise_ids {
                added += diesel::insert_into(directory_listings::table)
                    .values((
                        directory_listings::enterprise_id.eq(*id),
                        directory_listings::listed_by_id.eq(listed_by_id),
                        directory_listings::source.eq(source.as_str()),
                        directory_listings::created_at.eq(now),
                    ))
                    .on_conflict_do_nothing()
                    .execute(c)
                    .await?;
            }
            Ok((added, dropped))
        })
    }

    /// The remote enterprises of the network directory, by server then in
    /// the order we learnt of them: those that publish a profile, are not
    /// suspended, and are listed by an actor our hub follows; at most
    /// `max_per_server` per server and `limit` in all.
    pub async fn listed_remote_enterprises(
        &self,
        max_per_server: i64,
        limit: i64,
    ) -> Result<Vec<RemoteActor>, DbError> {
        let listed = self.listed_remote_enterprises_with_hubs(max_per_server, limit).await?;
        Ok(listed.into_iter().map(|l| l.enterprise).collect())
    }

    /// [`Database::listed_remote_enterprises`], each with the hub that
    /// lists it. When several followed actors list an enterprise, its hub is
    /// the one whose `members` collection lists it, else any other listing;
    /// among equals, the lowest listing actor (by row id): the same choice
    /// on every read. Two queries per followed server, whatever the number
    /// of enterprises.
    pub async fn listed_remote_enterprises_with_hubs(
        &self,
        max_per_server: i64,
        limit: i64,
    ) -> Result<Vec<ListedEnterprise>, DbError> {
        let mut conn = self.conn().await?;
        // The servers of the actors our hub follows: a handful.
        let mut domains: Vec<String> = with_conn!(&mut conn, |c| remote_actors::table
            .filter(remote_actors::id.eq_any(followed_by_our_hub!()))
            .select(remote_actors::domain)
            .distinct()
            .load(c)
            .await)?;
        domains.sort();
        let mut out = Vec::new();
        for domain in domains {
            let room = limit.saturating_sub(i64::try_from(out.len()).unwrap_or(i64::MAX));
            if room <= 0 {
                break;
            }
            let listed_by_followed =
                directory_listings::table.filter(directory_listings::listed_by_id.eq_any(followed_by_our_hub!()));
            let rows: Vec<RemoteActor> = with_conn!(&mut conn, |c| remote_actors::table
                .filter(remote_actors::domain.eq(&domain))
                .filter(remote_actors::profile_json.is_not_null())
                .filter(remote_actors::suspended.eq(false))
                .filter(remote_actors::id.eq_any(listed_by_followed.select(directory_listings::enterprise_id)))
                .order(remote_actors::id)
                .limit(max_per_server.min(room))
                .select(RemoteActor::as_select())
                .load(c)
                .await)?;
            let (Some(first), Some(last)) = (rows.iter().map(|r| r.id).min(), rows.iter().map(|r| r.id).max()) else {
                continue;
            };
            // The followed listers of the enterprises just read: those of
            // this server in that id range (no list of ids to bind).
            let on_this_server =
                remote_actors::table.filter(remote_actors::domain.eq(&domain)).select(remote_actors::id);
            let listers = diesel::alias!(remote_actors as listers);
            let listings: Vec<(i64, String, ListingHubRow)> = with_conn!(&mut conn, |c| directory_listings::table
                .inner_join(listers.on(listers.field(remote_actors::id).eq(directory_listings::listed_by_id)))
                .filter(directory_listings::listed_by_id.eq_any(followed_by_our_hub!()))
                .filter(directory_listings::enterprise_id.between(first, last))
                .filter(directory_listings::enterprise_id.eq_any(on_this_server))
                .select((
                    directory_listings::enterprise_id,
                    directory_listings::source,
                    listers.fields((
                        remote_actors::id,
                        remote_actors::ap_id,
                        remote_actors::username,
                        remote_actors::domain,
                        remote_actors::display_name,
                        remote_actors::url,
                    )),
                ))
                .load(c)
                .await)?;
            let mut hubs: HashMap<i64, (bool, ListingHubRow)> = HashMap::new();
            for (enterprise_id, source, hub) in listings {
                let members = source == ListingSource::Members.as_str();
                let better = match hubs.get(&enterprise_id) {
                    None => true,
                    // Members first, then the lowest lister id.
                    Some((best_members, best)) => (!members, hub.id) < (!*best_members, best.id),
                };
                if better {
                    hubs.insert(enterprise_id, (members, hub));
                }
            }
            for enterprise in rows {
                // Listed (the first query says so); a lister unfollowed in
                // between leaves the enterprise out, as the next read would.
                if let Some((_, hub)) = hubs.remove(&enterprise.id) {
                    out.push(ListedEnterprise { enterprise, hub: hub.into() });
                }
            }
        }
        Ok(out)
    }
}
