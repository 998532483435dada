//! The inbox queue: activities received in our inboxes, kept by id.
//!
//! A verified activity is stored here (raw JSON and its verified actor)
//! before the inbox answers 202; processing happens after, and a row whose
//! processor died comes back when its lease ends. The unique id makes
//! duplicates cheap to recognise; processed rows are purged after the
//! retention period (`inbox.retention_days`).

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::outbox::{DONE, FAILED, PENDING, QueueCounts};
use crate::schema::received_activities;
use crate::{Database, DbError, UtcTime};

/// `'pending'` written into the SQL rather than bound: the partial indexes
/// on pending rows (`WHERE state = 'pending'`) serve a query only when its
/// condition is that very literal (SQLite is built with the query planner
/// stability guarantee, see `.cargo/config.toml`; PostgreSQL's generic plans
/// do not look at bound values either).
fn pending() -> diesel::expression::SqlLiteral<diesel::sql_types::Text> {
    diesel::dsl::sql("'pending'")
}

/// A stored activity waiting to be processed, claimed by a worker.
#[derive(Debug, Clone, Queryable)]
pub struct QueuedActivity {
    pub id: i64,
    pub ap_id: String,
    pub actor_ap_id: String,
    pub kind: String,
    pub json: String,
    pub attempts: i32,
}

/// An activity to store in the inbox queue.
#[derive(Debug, Clone)]
pub struct NewReceived {
    pub ap_id: String,
    pub actor_ap_id: String,
    pub kind: String,
    pub json: String,
    /// `Some`: leased to the storing process for that many seconds (it
    /// processes the activity itself); `None`: free for any inbox worker.
    pub lease_seconds: Option<i64>,
}

/// Received activities by state.
pub type ReceivedCounts = QueueCounts;

fn later(seconds: i64) -> UtcTime {
    UtcTime::from(chrono::Utc::now() + chrono::Duration::seconds(seconds))
}

/// The columns of a newly stored activity.
#[derive(Insertable)]
#[diesel(table_name = received_activities)]
#[diesel(treat_none_as_default_value = false)]
struct ReceivedRow<'a> {
    ap_id: &'a str,
    actor_ap_id: &'a str,
    kind: &'a str,
    json: &'a str,
    received_at: UtcTime,
    state: &'static str,
    attempts: i32,
    next_attempt_at: Option<UtcTime>,
    lease_until: Option<UtcTime>,
}

fn received_row(a: &NewReceived, now: UtcTime) -> ReceivedRow<'_> {
    ReceivedRow {
        ap_id: &a.ap_id,
        actor_ap_id: &a.actor_ap_id,
        kind: &a.kind,
        json: &a.json,
        received_at: now,
        state: PENDING,
        // A leased row is being processed by the process that stored it.
        attempts: if a.lease_seconds.is_some() { 1 } else { 0 },
        next_attempt_at: Some(now),
        lease_until: a.lease_seconds.map(later),
    }
}

/// The ids of the first `$limit` activities due at `$now` and not leased,
/// in the order received (the claim's subquery).
macro_rules! claim_candidates {
    ($now:expr, $limit:expr) => {{
        let candidates = diesel::alias!(received_activities as candidates);
        let candidate_free = candidates
            .field(received_activities::state)
            .eq(pending())
            .and(candidates.field(received_activities::next_attempt_at).le($now))
            .and(
                candidates
                    .field(received_activities::lease_until)
                    .is_null()
                    .or(candidates.field(received_activities::lease_until).lt($now)),
            );
        candidates
            .select(candidates.field(received_activities::id))
            .filter(candidate_free)
            .order(candidates.field(received_activities::id))
            .limit($limit)
    }};
}

/// The SQL of the claim's subquery on SQLite, for checking its plan.
#[cfg(test)]
pub(crate) fn claim_subquery_sql(limit: i64) -> String {
    let query = claim_candidates!(UtcTime::now(), limit);
    let sql = diesel::debug_query::<diesel::sqlite::Sqlite, _>(&query).to_string();
    sql.split(" -- binds:").next().unwrap_or_default().to_string()
}

impl Database {
    /// How many stored activities wait for processing (read through the
    /// pending-only index: cheap however many processed rows are kept).
    pub async fn pending_received(&self) -> Result<i64, DbError> {
        let mut conn = self.conn().await?;
        let n = with_conn!(&mut conn, |c| received_activities::table
            .filter(received_activities::state.eq(pending()))
            .count()
            .get_result(c)
            .await)?;
        Ok(n)
    }

    /// Stores a verified activity to be processed, leased to the caller for
    /// `lease_seconds` (it processes the row at once). `None` when an
    /// activity with this id was already received: a duplicate.
    pub async fn store_received(
        &self,
        ap_id: &str,
        actor: &str,
        kind: &str,
        json: &str,
        lease_seconds: i64,
    ) -> Result<Option<i64>, DbError> {
        let activity = NewReceived {
            ap_id: ap_id.to_string(),
            actor_ap_id: actor.to_string(),
            kind: kind.to_string(),
            json: json.to_string(),
            lease_seconds: Some(lease_seconds),
        };
        Ok(self.store_received_batch(std::slice::from_ref(&activity)).await?.pop().flatten())
    }

    /// Stores several verified activities in one statement (one commit):
    /// the inbox's group commit. Answers in the order given, `None` for a
    /// duplicate (an id already received, or repeated earlier in `batch`).
    pub async fn store_received_batch(&self, batch: &[NewReceived]) -> Result<Vec<Option<i64>>, DbError> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        let now = UtcTime::now();
        let mut conn = self.write_conn().await?;
        let inserted: Vec<(i64, String)> = match &mut conn {
            crate::pool::DbConn::Pg(c) => {
                let rows: Vec<_> = batch.iter().map(|a| received_row(a, now)).collect();
                diesel::insert_into(received_activities::table)
                    .values(&rows)
                    .on_conflict_do_nothing()
                    .returning((received_activities::id, received_activities::ap_id))
                    .get_results(&mut **c)
                    .await?
            }
            // Diesel has no multi-row INSERT … RETURNING on SQLite: one
            // statement per row, in one transaction run in one blocking call.
            crate::pool::DbConn::Sqlite(writer) => {
                let batch = batch.to_vec();
                writer
                    .spawn_blocking(move |c| {
                        c.immediate_transaction(|c| {
                            let mut inserted = Vec::with_capacity(batch.len());
                            for activity in &batch {
                                let insert = diesel::insert_into(received_activities::table)
                                    .values(received_row(activity, now))
                                    .on_conflict_do_nothing()
                                    .returning(received_activities::id);
                                let id = diesel::RunQueryDsl::get_result::<i64>(insert, c).optional()?;
                                if let Some(id) = id {
                                    inserted.push((id, activity.ap_id.clone()));
                                }
                            }
                            Ok(inserted)
                        })
                    })
                    .await?
            }
        };
        let mut ids: std::collections::HashMap<String, i64> =
            inserted.into_iter().map(|(id, ap_id)| (ap_id, id)).collect();
        Ok(batch.iter().map(|a| ids.remove(&a.ap_id)).collect())
    }

    /// Claims up to `limit` stored activities that are due and not leased
    /// (left by a crashed process, or waiting for a retry).
    pub async fn claim_received(&self, limit: i64, lease_seconds: i64) -> Result<Vec<QueuedActivity>, DbError> {
        let mut conn = self.write_conn().await?;
        let now = UtcTime::now();
        let until = later(lease_seconds);
        let free = received_activities::state
            .eq(pending())
            .and(received_activities::next_attempt_at.le(now))
            .and(received_activities::lease_until.is_null().or(received_activities::lease_until.lt(now)));
        let subquery = claim_candidates!(now, limit);
        let set = (
            received_activities::lease_until.eq(Some(until)),
            received_activities::attempts.eq(received_activities::attempts + 1),
        );
        let columns = (
            received_activities::id,
            received_activities::ap_id,
            received_activities::actor_ap_id,
            received_activities::kind,
            received_activities::json,
            received_activities::attempts,
        );
        let mut claimed: Vec<QueuedActivity> = match &mut conn {
            crate::pool::DbConn::Pg(c) => {
                diesel::update(
                    received_activities::table
                        .filter(received_activities::id.eq_any(subquery.for_update().skip_locked()))
                        .filter(free),
                )
                .set(set)
                .returning(columns)
                .get_results(&mut **c)
                .await?
            }
            crate::pool::DbConn::Sqlite(writer) => {
                diesel::update(received_activities::table.filter(received_activities::id.eq_any(subquery)).filter(free))
                    .set(set)
                    .returning(columns)
                    .get_results(&mut **writer)
                    .await?
            }
        };
        claimed.sort_by_key(|row| row.id);
        Ok(claimed)
    }

    /// Processing finished (whatever it concluded).
    pub async fn received_done(&self, id: i64) -> Result<(), DbError> {
        self.received_done_many(&[id]).await
    }

    /// Processing of these rows finished, recorded in one statement.
    pub async fn received_done_many(&self, ids: &[i64]) -> Result<(), DbError> {
        self.finish_received(ids, DONE, None, None).await
    }

    /// Processing can never succeed (the activity is refused on its merits).
    pub async fn received_failed(&self, id: i64, error: &str) -> Result<(), DbError> {
        self.finish_received(&[id], FAILED, Some(error), None).await
    }

    /// Processing failed for a passing reason: try again after `delay_seconds`.
    pub async fn received_retry(&self, id: i64, error: &str, delay_seconds: i64) -> Result<(), DbError> {
        self.finish_received(&[id], PENDING, Some(error), Some(later(delay_seconds))).await
    }

    /// These claimed rows were not processed (every slot for them was
    /// busy): free again after `delay_seconds`, their claim not counted as
    /// an attempt.
    pub async fn received_postpone(&self, ids: &[i64], reason: &str, delay_seconds: i64) -> Result<(), DbError> {
        if ids.is_empty() {
            return Ok(());
        }
        let mut conn = self.write_conn().await?;
        with_conn!(&mut conn, |c| diesel::update(
            received_activities::table.filter(received_activities::id.eq_any(ids))
        )
        .set((
            received_activities::attempts.eq(received_activities::attempts - 1),
            received_activities::last_error.eq(Some(reason)),
            received_activities::next_attempt_at.eq(Some(later(delay_seconds))),
            received_activities::lease_until.eq(None::<UtcTime>),
        ))
        .execute(c)
        .await)?;
        Ok(())
    }

    /// Ends the lease of these rows, leaving them in `state`.
    async fn finish_received(
        &self,
        ids: &[i64],
        state: &str,
        error: Option<&str>,
        next_attempt_at: Option<UtcTime>,
    ) -> Result<(), DbError> {
        if ids.is_empty() {
            return Ok(());
        }
        let mut conn = self.write_conn().await?;
        with_conn!(&mut conn, |c| diesel::update(
            received_activities::table.filter(received_activities::id.eq_any(ids))
        )
        .set((
            received_activities::state.eq(state),
            received_activities::last_error.eq(error),
            received_activities::next_attempt_at.eq(next_attempt_at),
            received_activities::lease_until.eq(None::<UtcTime>),
        ))
        .execute(c)
        .await)?;
        Ok(())
    }

    pub async fn count_received(&self) -> Result<i64, DbError> {
        let mut conn = self.conn().await?;
        let n = with_conn!(&mut conn, |c| received_activities::table.count().get_result(c).await)?;
        Ok(n)
    }

    pub async fn received_counts(&self) -> Result<ReceivedCounts, DbError> {
        let mut conn = self.conn().await?;
        let rows: Vec<(String, i64)> = with_conn!(&mut conn, |c| received_activities::table
            .group_by(received_activities::state)
            .select((received_activities::state, diesel::dsl::count_star()))
            .load(c)
            .await)?;
        Ok(QueueCounts::of_states(rows))
    }

    /// The state and last error of a received activity, by id.
    pub async fn received_state(&self, ap_id: &str) -> Result<Option<(String, Option<String>)>, DbError> {
        let mut conn = self.conn().await?;
        let row = with_conn!(&mut conn, |c| received_activities::table
            .filter(received_activities::ap_id.eq(ap_id))
            .select((received_activities::state, received_activities::last_error))
            .first(c)
            .await
            .optional())?;
        Ok(row)
    }

    /// Forgets processed activities received before `before` (their ids no
    /// longer protect against replays, which the signature's date window
    /// refuses anyway). Pending ones are kept whatever their age.
    pub async fn purge_received(&self, before: UtcTime) -> Result<usize, DbError> {
        let mut conn = self.write_conn().await?;
        let n = with_conn!(&mut conn, |c| diesel::delete(
            received_activities::table
                .filter(received_activities::state.ne(PENDING))
                .filter(received_activities::received_at.lt(before))
        )
        .execute(c)
        .await)?;
        Ok(n)
    }
}
