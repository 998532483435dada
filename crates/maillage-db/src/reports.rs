//! Reports about content and actors (ActivityPub `Flag`): received from
//! other servers or made by our members, kept for moderators; and the
//! moderators' suspension of remote actors.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::schema::{follows, reactions, remote_actors, remote_objects, reports};
use crate::{Database, DbError, UtcTime};

/// Where a report comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportDirection {
    /// A `Flag` received from another server.
    Incoming,
    /// Made by one of our members (and forwarded when it is about another server).
    Outgoing,
}

impl ReportDirection {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ReportDirection::Incoming => "incoming",
            ReportDirection::Outgoing => "outgoing",
        }
    }
}

/// A report to store.
#[derive(Debug, Clone)]
pub struct NewReport<'a> {
    pub direction: ReportDirection,
    pub reporter: &'a str,
    pub target_actor: Option<&'a str>,
    pub object_ids: &'a [String],
    pub comment: &'a str,
    pub activity_ap_id: &'a str,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = reports)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct Report {
    pub id: i64,
    pub direction: String,
    pub reporter: String,
    pub target_actor: Option<String>,
    /// JSON array of the reported objects' ids.
    pub object_ids: String,
    pub comment: String,
    pub activity_ap_id: String,
    pub created_at: UtcTime,
    pub resolved_at: Option<UtcTime>,
}

impl Report {
    pub fn direction(&self) -> ReportDirection {
        if self.direction == ReportDirection::Incoming.as_str() {
            ReportDirection::Incoming
        } else {
            ReportDirection::Outgoing
        }
    }

    pub fn objects(&self) -> Vec<String> {
        serde_json::from_str(&self.object_ids).unwrap_or_default()
    }
}

impl Database {
    /// Stores a report, with the `Flag` that forwards it to another server
    /// when there is one (same transaction). `None` when its activity was
    /// already stored.
    pub async fn record_report(
        &self,
        report: &NewReport<'_>,
        forward: Option<&crate::Outgoing>,
    ) -> Result<Option<i64>, DbError> {
        let mut conn = self.conn().await?;
        let now = UtcTime::now();
        let objects = serde_json::to_string(report.object_ids).unwrap_or_else(|_| "[]".into());
        with_enqueuing_tx!(self, &mut conn, |c| {
            let id: Option<i64> = diesel::insert_into(reports::table)
                .values((
                    reports::direction.eq(report.direction.as_str()),
                    reports::reporter.eq(report.reporter),
                    reports::target_actor.eq(report.target_actor),
                    reports::object_ids.eq(&objects),
                    reports::comment.eq(report.comment),
                    reports::activity_ap_id.eq(report.activity_ap_id),
                    reports::created_at.eq(now),
                ))
                .on_conflict_do_nothing()
                .returning(reports::id)
                .get_result::<i64>(c)
                .await
                .optional()?;
            if let (Some(_), Some(outgoing)) = (id, forward) {
                crate::outbox::insert_outgoing!(c, outgoing, now);
            }
            Ok(id)
        })
    }

    /// Reports, newest first; only unresolved ones unless `all`.
    pub async fn reports(&self, all: bool, limit: i64) -> Result<Vec<Report>, DbError> {
        let mut conn = self.conn().await?;
        let rows = with_conn!(&mut conn, |c| {
            let mut query = reports::table.into_boxed();
            if !all {
                query = query.filter(reports::resolved_at.is_null());
            }
            query.order(reports::id.desc()).limit(limit).select(Report::as_select()).load(c).await
        })?;
        Ok(rows)
    }

    pub async fn report(&self, id: i64) -> Result<Option<Report>, DbError> {
        let mut conn = self.conn().await?;
        let row =
            with_conn!(&mut conn, |c| reports::table.find(id).select(Report::as_select()).first(c).await.optional())?;
        Ok(row)
    }

    /// Marks a report handled; false when there is no such open report.
    pub async fn resolve_report(&self, id: i64) -> Result<bool, DbError> {
        let mut conn = self.write_conn().await?;
        let now = UtcTime::now();
        let n =
            with_conn!(&mut conn, |c| diesel::update(reports::table.find(id).filter(reports::resolved_at.is_null()))
                .set(reports::resolved_at.eq(Some(now)))
                .execute(c)
                .await)?;
        Ok(n > 0)
    }

    /// A moderator suspends a remote actor: its activities are refused from
    /// now on, its follows both ways are severed, and its posts and
    /// reactions removed, in one transaction. False when we do not know it.
    pub async fn suspend_remote_actor(&self, ap_id: &str) -> Result<bool, DbError> {
        let mut conn = self.conn().await?;
        let now = UtcTime::now();
        with_write_tx!(self, &mut conn, |c| {
            let found: Option<i64> = diesel::update(remote_actors::table.filter(remote_actors::ap_id.eq(ap_id)))
                .set(remote_actors::suspended.eq(true))
                .returning(remote_actors::id)
                .get_result(c)
                .await
                .optional()?;
            let Some(id) = found else { return Ok((false, Vec::new())) };
            diesel::delete(follows::table.filter(follows::remote_actor_id.eq(id))).execute(c).await?;
            let events = crate::tags::tombstone_remote_objects!(c, remote_objects::attributed_to.eq(ap_id), now);
            diesel::delete(reactions::table.filter(reactions::actor_ap_id.eq(ap_id))).execute(c).await?;
            Ok((true, events))
        })
        .map(|(suspended, events)| {
            self.live_committed(&events);
            suspended
        })
    }

    /// Lifts a suspension; false when the actor was not suspended.
    pub async fn unsuspend_remote_actor(&self, ap_id: &str) -> Result<bool, DbError> {
        let mut conn = self.write_conn().await?;
        let n = with_conn!(&mut conn, |c| diesel::update(
            remote_actors::table.filter(remote_actors::ap_id.eq(ap_id)).filter(remote_actors::suspended.eq(true))
        )
        .set(remote_actors::suspended.eq(false))
        .execute(c)
        .await)?;
        Ok(n > 0)
    }
}
