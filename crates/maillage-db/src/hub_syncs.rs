//! When each followed hub's `members` collection is next read: a small
//! durable schedule. A row is due at once when our follow of a hub is
//! accepted, then again every `directory.resync_hours`; a process takes a
//! due row with a lease (several processes over one database read a hub
//! once), and a lease that runs out unanswered makes the row due again.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::schema::{hub_syncs, remote_actors};
use crate::{Database, DbError, UtcTime};

/// A followed hub's place in the schedule, as operators see it.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = hub_syncs)]
pub struct HubSync {
    pub hub_id: i64,
    pub due_at: UtcTime,
    pub leased_until: Option<UtcTime>,
    /// Failed reads since the last that succeeded.
    pub failures: i32,
    pub last_synced_at: Option<UtcTime>,
    pub last_error: Option<String>,
}

impl Database {
    /// Makes the hub `hub_id` due at `at` (earlier than it was, never
    /// later): our follow of it was just accepted, or an admin asked.
    pub async fn schedule_hub_sync(&self, hub_id: i64, at: UtcTime) -> Result<(), DbError> {
        let mut conn = self.write_conn().await?;
        let inserted = with_conn!(&mut conn, |c| diesel::insert_into(hub_syncs::table)
            .values((hub_syncs::hub_id.eq(hub_id), hub_syncs::due_at.eq(at)))
            .on_conflict_do_nothing()
            .execute(c)
            .await)?;
        if inserted == 0 {
            with_conn!(&mut conn, |c| diesel::update(
                hub_syncs::table.filter(hub_syncs::hub_id.eq(hub_id)).filter(hub_syncs::due_at.gt(at))
            )
            .set(hub_syncs::due_at.eq(at))
            .execute(c)
            .await)?;
        }
        Ok(())
    }

    /// Adds the hubs of `hub_ids` that have no place in the schedule yet,
    /// due at `at` (hubs followed before the schedule existed).
    pub async fn ensure_hub_syncs(&self, hub_ids: &[i64], at: UtcTime) -> Result<usize, DbError> {
        // Read first: every minute, on every process, there is usually
        // nothing to add, and SQLite has one writer.
        let mut conn = self.conn().await?;
        let known: Vec<i64> = with_conn!(&mut conn, |c| hub_syncs::table
            .filter(hub_syncs::hub_id.eq_any(hub_ids))
            .select(hub_syncs::hub_id)
            .load(c)
            .await)?;
        drop(conn);
        let missing: Vec<i64> = hub_ids.iter().copied().filter(|id| !known.contains(id)).collect();
        if missing.is_empty() {
            return Ok(0);
        }
        let mut conn = self.write_conn().await?;
        let mut added = 0;
        for hub_id in missing {
            added += with_conn!(&mut conn, |c| diesel::insert_into(hub_syncs::table)
                .values((hub_syncs::hub_id.eq(hub_id), hub_syncs::due_at.eq(at)))
                .on_conflict_do_nothing()
                .execute(c)
                .await)?;
        }
        Ok(added)
    }

    /// Takes the hub that has been due longest, not leased by another
    /// process, for `lease_seconds`: its id and failures so far; `None`
    /// when none is due.
    pub async fn claim_hub_sync(&self, now: UtcTime, lease_seconds: i64) -> Result<Option<(i64, i32)>, DbError> {
        let until = UtcTime::from(now.as_datetime() + chrono::Duration::seconds(lease_seconds));
        let mut conn = self.write_conn().await?;
        let free = hub_syncs::leased_until.is_null().or(hub_syncs::leased_until.lt(now));
        let candidates: Vec<(i64, i32)> = with_conn!(&mut conn, |c| hub_syncs::table
            .filter(hub_syncs::due_at.le(now))
            .filter(free)
            .order((hub_syncs::due_at, hub_syncs::hub_id))
            .select((hub_syncs::hub_id, hub_syncs::failures))
            .limit(4)
            .load(c)
            .await)?;
        // Another process may take a candidate between the read and the
        // update: the update's own condition decides who has it.
        for (hub_id, failures) in candidates {
            let taken = with_conn!(&mut conn, |c| diesel::update(
                hub_syncs::table.filter(hub_syncs::hub_id.eq(hub_id)).filter(free)
            )
            .set(hub_syncs::leased_until.eq(until))
            .execute(c)
            .await)?;
            if taken == 1 {
                return Ok(Some((hub_id, failures)));
            }
        }
        Ok(None)
    }

    /// Ends the lease of a hub read at `now`: due again at `next`, with the
    /// error when the read failed (counted until one succeeds).
    pub async fn finish_hub_sync(
        &self,
        hub_id: i64,
        now: UtcTime,
        next: UtcTime,
        error: Option<&str>,
    ) -> Result<(), DbError> {
        let mut conn = self.write_conn().await?;
        let row = hub_syncs::table.filter(hub_syncs::hub_id.eq(hub_id));
        with_conn!(&mut conn, |c| match error {
            None =>
                diesel::update(row)
                    .set((
                        hub_syncs::due_at.eq(next),
                        hub_syncs::leased_until.eq(None::<UtcTime>),
                        hub_syncs::failures.eq(0),
                        hub_syncs::last_synced_at.eq(now),
                        hub_syncs::last_error.eq(None::<String>),
                    ))
                    .execute(c)
                    .await,
            Some(error) =>
                diesel::update(row)
                    .set((
                        hub_syncs::due_at.eq(next),
                        hub_syncs::leased_until.eq(None::<UtcTime>),
                        hub_syncs::failures.eq(hub_syncs::failures + 1),
                        hub_syncs::last_error.eq(error),
                    ))
                    .execute(c)
                    .await,
        })?;
        Ok(())
    }

    /// Ends the lease of a hub whose reading was interrupted (the process
    /// stops): due as it was, for the next process.
    pub async fn release_hub_sync(&self, hub_id: i64) -> Result<(), DbError> {
        let mut conn = self.write_conn().await?;
        with_conn!(&mut conn, |c| diesel::update(hub_syncs::table.filter(hub_syncs::hub_id.eq(hub_id)))
            .set(hub_syncs::leased_until.eq(None::<UtcTime>))
            .execute(c)
            .await)?;
        Ok(())
    }

    /// Takes a hub out of the schedule (no longer followed).
    pub async fn drop_hub_sync(&self, hub_id: i64) -> Result<(), DbError> {
        let mut conn = self.write_conn().await?;
        with_conn!(&mut conn, |c| diesel::delete(hub_syncs::table.filter(hub_syncs::hub_id.eq(hub_id)))
            .execute(c)
            .await)?;
        Ok(())
    }

    /// The schedule, with each hub's actor id, soonest first.
    pub async fn hub_syncs(&self) -> Result<Vec<(String, HubSync)>, DbError> {
        let mut conn = self.conn().await?;
        let rows = with_conn!(&mut conn, |c| hub_syncs::table
            .inner_join(remote_actors::table.on(remote_actors::id.eq(hub_syncs::hub_id)))
            .order((hub_syncs::due_at, hub_syncs::hub_id))
            .select((remote_actors::ap_id, HubSync::as_select()))
            .load(c)
            .await)?;
        Ok(rows)
    }
}
