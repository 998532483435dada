//! Follow relationships between local and remote actors.
//!
//! Every change that the other side must hear about (Accept, Reject,
//! Follow, Undo) is written with its outgoing activity in one transaction.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::lists::off_lists_of;
use crate::outbox::insert_outgoing;
use crate::schema::{follows, remote_actors};
use crate::{Database, DbError, ListMember, Outgoing, UtcTime};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// A remote actor follows a local one.
    Incoming,
    /// A local actor follows a remote one.
    Outgoing,
}

impl Direction {
    /// Its name as stored in `follows.direction`.
    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            Direction::Incoming => "in",
            Direction::Outgoing => "out",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowState {
    Pending,
    Accepted,
}

impl FollowState {
    /// Its name as stored in `follows.state` and `local_follows.state`.
    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            FollowState::Pending => "pending",
            FollowState::Accepted => "accepted",
        }
    }

    /// The state a stored name stands for (anything but accepted is pending).
    pub(crate) fn from_stored(stored: &str) -> Self {
        if stored == FollowState::Accepted.as_str() { FollowState::Accepted } else { FollowState::Pending }
    }
}

/// A follow, with the remote side's id and inbox.
#[derive(Debug, Clone, Queryable)]
pub struct Follow {
    pub id: i64,
    pub local_actor_id: i64,
    pub remote_actor_id: i64,
    state: String,
    pub follow_ap_id: String,
    pub follow_json: String,
    pub remote_ap_id: String,
    pub remote_inbox: String,
    pub remote_shared_inbox: Option<String>,
    pub remote_type: String,
}

impl Follow {
    /// Where to deliver to the remote side (see [`crate::RemoteActor::delivery_inbox`]).
    pub fn remote_delivery_inbox(&self) -> Option<&str> {
        crate::remote::delivery_inbox(&self.remote_ap_id, self.remote_shared_inbox.as_deref(), &self.remote_inbox)
    }

    pub fn state(&self) -> FollowState {
        FollowState::from_stored(&self.state)
    }
}

/// Where a page of follows starts: before an id (newest first) or after
/// one (oldest first).
#[derive(Debug, Clone, Copy)]
enum FollowsEdge {
    Before(i64),
    After(i64),
}

/// What a follow row is made of.
#[derive(Debug, Clone)]
pub struct FollowRecord<'a> {
    pub local_actor_id: i64,
    pub remote_actor_id: i64,
    pub direction: Direction,
    pub state: FollowState,
    pub follow_ap_id: &'a str,
    pub follow_json: &'a str,
}

/// The follows of one local actor in one direction and state, from
/// `$source` (`follows::table` or a join of it).
macro_rules! follows_of {
    ($source:expr, $local_actor_id:expr, $direction:expr, $state:expr) => {
        $source
            .filter(follows::local_actor_id.eq($local_actor_id))
            .filter(follows::direction.eq($direction.as_str()))
            .filter(follows::state.eq($state.as_str()))
    };
}

/// The follow between two actors in one direction, from `$source`.
macro_rules! follow_between {
    ($source:expr, $local_actor_id:expr, $remote_actor_id:expr, $direction:expr) => {
        $source
            .filter(follows::local_actor_id.eq($local_actor_id))
            .filter(follows::remote_actor_id.eq($remote_actor_id))
            .filter(follows::direction.eq($direction.as_str()))
    };
}

macro_rules! follow_columns {
    () => {
        (
            follows::id,
            follows::local_actor_id,
            follows::remote_actor_id,
            follows::state,
            follows::follow_ap_id,
            follows::follow_json,
            remote_actors::ap_id,
            remote_actors::inbox_url,
            remote_actors::shared_inbox_url,
            remote_actors::actor_type,
        )
    };
}

impl Database {
    /// Records (or refreshes) a follow and, in the same transaction, the
    /// activity that tells the other side. An accepted follow stays accepted.
    pub async fn save_follow(&self, record: &FollowRecord<'_>, notify: Option<&Outgoing>) -> Result<(), DbError> {
        let mut conn = self.conn().await?;
        let now = UtcTime::now();
        with_enqueuing_tx!(self, &mut conn, |c| {
            let existing: Option<String> =
                follow_between!(follows::table, record.local_actor_id, record.remote_actor_id, record.direction)
                    .select(follows::state)
                    .first(c)
                    .await
                    .optional()?;
            let state = match existing.as_deref().map(FollowState::from_stored) {
                Some(FollowState::Accepted) => FollowState::Accepted,
                _ => record.state,
            };
            match existing {
                Some(_) => {
                    diesel::update(follow_between!(
                        follows::table,
                        record.local_actor_id,
                        record.remote_actor_id,
                        record.direction
                    ))
                    .set((
                        follows::state.eq(state.as_str()),
                        follows::follow_ap_id.eq(record.follow_ap_id),
                        follows::follow_json.eq(record.follow_json),
                        follows::updated_at.eq(now),
                    ))
                    .execute(c)
                    .await?;
                }
                None => {
                    diesel::insert_into(follows::table)
                        .values((
                            follows::local_actor_id.eq(record.local_actor_id),
                            follows::remote_actor_id.eq(record.remote_actor_id),
                            follows::direction.eq(record.direction.as_str()),
                            follows::state.eq(state.as_str()),
                            follows::follow_ap_id.eq(record.follow_ap_id),
                            follows::follow_json.eq(record.follow_json),
                            follows::created_at.eq(now),
                            follows::updated_at.eq(now),
                        ))
                        .execute(c)
                        .await?;
                }
            }
            if let Some(outgoing) = notify {
                insert_outgoing!(c, outgoing, now);
            }
            Ok(())
        })
    }

    /// Marks a follow accepted; returns whether one was pending or accepted.
    pub async fn accept_follow(
        &self,
        local_actor_id: i64,
        remote_actor_id: i64,
        direction: Direction,
        notify: Option<&Outgoing>,
    ) -> Result<bool, DbError> {
        let mut conn = self.conn().await?;
        let now = UtcTime::now();
        with_enqueuing_tx!(self, &mut conn, |c| {
            let changed = diesel::update(follow_between!(follows::table, local_actor_id, remote_actor_id, direction))
                .set((follows::state.eq(FollowState::Accepted.as_str()), follows::updated_at.eq(now)))
                .execute(c)
                .await?;
            if changed > 0
                && let Some(outgoing) = notify
            {
                insert_outgoing!(c, outgoing, now);
            }
            Ok(changed > 0)
        })
    }

    /// Removes a follow and records the activity that tells the other side;
    /// returns whether there was one.
    pub async fn remove_follow(
        &self,
        local_actor_id: i64,
        remote_actor_id: i64,
        direction: Direction,
        notify: Option<&Outgoing>,
    ) -> Result<bool, DbError> {
        let mut conn = self.conn().await?;
        let now = UtcTime::now();
        with_enqueuing_tx!(self, &mut conn, |c| {
            let removed = diesel::delete(follow_between!(follows::table, local_actor_id, remote_actor_id, direction))
                .execute(c)
                .await?;
            if direction == Direction::Outgoing {
                off_lists_of!(c, local_actor_id, ListMember::Remote(remote_actor_id))?;
            }
            if removed > 0
                && let Some(outgoing) = notify
            {
                insert_outgoing!(c, outgoing, now);
            }
            Ok(removed > 0)
        })
    }

    pub async fn find_follow(
        &self,
        local_actor_id: i64,
        remote_actor_id: i64,
        direction: Direction,
    ) -> Result<Option<Follow>, DbError> {
        let mut conn = self.conn().await?;
        let row = with_conn!(&mut conn, |c| follow_between!(
            follows::table.inner_join(remote_actors::table),
            local_actor_id,
            remote_actor_id,
            direction
        )
        .select(follow_columns!())
        .first::<Follow>(c)
        .await
        .optional())?;
        Ok(row)
    }

    /// The follow that a `Follow` activity id created.
    pub async fn find_follow_by_activity(
        &self,
        follow_ap_id: &str,
        direction: Direction,
    ) -> Result<Option<Follow>, DbError> {
        let mut conn = self.conn().await?;
        let row = with_conn!(&mut conn, |c| follows::table
            .inner_join(remote_actors::table)
            .filter(follows::follow_ap_id.eq(follow_ap_id))
            .filter(follows::direction.eq(direction.as_str()))
            .select(follow_columns!())
            .first::<Follow>(c)
            .await
            .optional())?;
        Ok(row)
    }

    /// A page of follows of one local actor, newest first, before `before`.
    pub async fn follows_page(
        &self,
        local_actor_id: i64,
        direction: Direction,
        state: FollowState,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<Follow>, DbError> {
        let edge = FollowsEdge::Before(before.unwrap_or(i64::MAX));
        self.follows_from(local_actor_id, direction, state, edge, limit).await
    }

    /// A page of follows newer than `after`, oldest first (for `prev` links).
    pub async fn follows_page_after(
        &self,
        local_actor_id: i64,
        direction: Direction,
        state: FollowState,
        after: i64,
        limit: i64,
    ) -> Result<Vec<Follow>, DbError> {
        self.follows_from(local_actor_id, direction, state, FollowsEdge::After(after), limit).await
    }

    async fn follows_from(
        &self,
        local_actor_id: i64,
        direction: Direction,
        state: FollowState,
        edge: FollowsEdge,
        limit: i64,
    ) -> Result<Vec<Follow>, DbError> {
        let mut conn = self.conn().await?;
        let rows = with_conn!(&mut conn, |c| {
            let query = follows_of!(follows::table.inner_join(remote_actors::table), local_actor_id, direction, state)
                .select(follow_columns!())
                .into_boxed();
            let query = match edge {
                FollowsEdge::Before(id) => query.filter(follows::id.lt(id)).order(follows::id.desc()),
                FollowsEdge::After(id) => query.filter(follows::id.gt(id)).order(follows::id.asc()),
            };
            query.limit(limit).load::<Follow>(c).await
        })?;
        Ok(rows)
    }

    pub async fn count_follows(
        &self,
        local_actor_id: i64,
        direction: Direction,
        state: FollowState,
    ) -> Result<i64, DbError> {
        let mut conn = self.conn().await?;
        let n = with_conn!(&mut conn, |c| follows_of!(follows::table, local_actor_id, direction, state)
            .count()
            .get_result(c)
            .await)?;
        Ok(n)
    }
}
