//! The durable outbox: activities we send and their deliveries.
//!
//! An outgoing activity is written with one delivery row per target inbox,
//! in the same transaction as the change that causes it. Delivery workers
//! claim due rows with a lease (so several processes share the work, and a
//! crashed worker's rows come back when the lease expires) and mark a row
//! done only after the receiving server answered 2xx.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::schema::{activities, deliveries, local_actors, posts, remote_objects};
use crate::{Database, DbError, UtcTime};

/// An activity to send, and where.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub ap_id: String,
    pub actor_id: i64,
    pub kind: String,
    /// Addressed to the public: listed in the actor's outbox.
    pub public: bool,
    pub json: String,
    /// Target inboxes; duplicates are delivered once.
    pub inboxes: Vec<String>,
}

/// A delivery claimed by a worker, with what it takes to send it.
#[derive(Clone, Queryable)]
pub struct ClaimedDelivery {
    pub id: i64,
    pub inbox_url: String,
    /// The inbox's server (`host[:port]`).
    pub domain: String,
    pub attempts: i32,
    pub created_at: UtcTime,
    pub activity_json: String,
    pub actor_ap_id: String,
    pub actor_private_key_pem: String,
}

impl std::fmt::Debug for ClaimedDelivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClaimedDelivery")
            .field("id", &self.id)
            .field("inbox_url", &self.inbox_url)
            .field("attempts", &self.attempts)
            .field("actor_ap_id", &self.actor_ap_id)
            .field("actor_private_key_pem", &"<redacted>")
            .finish_non_exhaustive()
    }
}

/// One entry of an actor's outbox collection.
#[derive(Debug, Clone, Queryable)]
pub struct OutboxItem {
    pub id: i64,
    pub json: String,
    /// The local post the activity carries or names (deleted posts leave
    /// the outbox), and when it was last edited.
    pub post_id: Option<i64>,
    pub post_updated: Option<UtcTime>,
}

/// An activity we sent, as served at its id.
#[derive(Debug, Clone)]
pub struct ServedActivity {
    pub json: String,
    pub kind: String,
    pub created_at: UtcTime,
    /// The post it carries was deleted (ours, or a reshared one at its origin).
    pub object_deleted: bool,
    /// Addressed to anyone (listed in the outbox).
    pub public: bool,
    /// The post it carries or names, if any.
    pub object_ap_id: Option<String>,
}

/// An actor's public activities whose post (local, or remote for a
/// reshare) is not deleted, joined with that post.
macro_rules! live_outbox {
    ($actor_id:expr) => {
        activities::table
            .left_join(posts::table.on(posts::ap_id.nullable().eq(activities::object_ap_id)))
            .left_join(remote_objects::table.on(remote_objects::ap_id.nullable().eq(activities::object_ap_id)))
            .filter(activities::actor_id.eq($actor_id))
            .filter(activities::public.eq(true))
            .filter(posts::deleted_at.is_null())
            .filter(remote_objects::deleted.nullable().is_null().or(remote_objects::deleted.eq(false)))
    };
}

/// Rows of a queue (the outbox's deliveries, the inbox's received
/// activities) by state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueCounts {
    pub pending: i64,
    pub done: i64,
    pub failed: i64,
}

impl QueueCounts {
    /// Records that `n` rows are in the stored state `state`.
    pub(crate) fn set(&mut self, state: &str, n: i64) {
        match state {
            PENDING => self.pending = n,
            DONE => self.done = n,
            FAILED => self.failed = n,
            _ => {}
        }
    }

    /// The counts of `(state, rows)` pairs, as a `GROUP BY state` gives them.
    pub(crate) fn of_states(rows: Vec<(String, i64)>) -> Self {
        let mut counts = QueueCounts::default();
        for (state, n) in rows {
            counts.set(&state, n);
        }
        counts
    }
}

pub type DeliveryCounts = QueueCounts;

/// The end of one leased attempt on a queue table with the outbox's columns
/// (`state`, `attempts`, `last_error`, `next_attempt_at`, `lease_until`,
/// `updated_at`), and its rows by state: `$sent`, `$retry`, `$failed` and
/// `$counts`, methods of [`Database`](crate::Database) (mail, Web Push).
macro_rules! leased_queue_outcomes {
    ($table:ident, $what:literal, sent: $sent:ident, retry: $retry:ident, failed: $failed:ident, counts: $counts:ident) => {
        #[doc = concat!("The ", $what, " was taken by the server it was for.")]
        pub async fn $sent(&self, id: i64) -> Result<(), DbError> {
            leased_queue_outcomes!(@finish self, $table, id, $crate::outbox::DONE, None, None)
        }

        #[doc = concat!("Try the ", $what, " again at `next_attempt_at`.")]
        pub async fn $retry(&self, id: i64, error: &str, next_attempt_at: UtcTime) -> Result<(), DbError> {
            leased_queue_outcomes!(@finish self, $table, id, $crate::outbox::PENDING, Some(error), Some(next_attempt_at))
        }

        #[doc = concat!("The ", $what, " was refused for good, or given up.")]
        pub async fn $failed(&self, id: i64, error: &str) -> Result<(), DbError> {
            leased_queue_outcomes!(@finish self, $table, id, $crate::outbox::FAILED, Some(error), None)
        }

        #[doc = concat!("Each ", $what, " of the queue, by state.")]
        pub async fn $counts(&self) -> Result<$crate::outbox::QueueCounts, DbError> {
            let mut conn = self.conn().await?;
            let rows: Vec<(String, i64)> = with_conn!(&mut conn, |c| $table::table
                .group_by($table::state)
                .select(($table::state, diesel::dsl::count_star()))
                .load(c)
                .await)?;
            Ok($crate::outbox::QueueCounts::of_states(rows))
        }
    };
    (@finish $db:ident, $table:ident, $id:expr, $state:expr, $error:expr, $next:expr) => {{
        let error: Option<&str> = $error;
        let next: Option<UtcTime> = $next;
        let mut conn = $db.write_conn().await?;
        let now = UtcTime::now();
        with_conn!(&mut conn, |c| diesel::update($table::table.find($id))
            .set((
                $table::state.eq($state),
                $table::attempts.eq($table::attempts + 1),
                $table::last_error.eq(error),
                $table::next_attempt_at.eq(next.unwrap_or(now)),
                $table::lease_until.eq(None::<UtcTime>),
                $table::updated_at.eq(now),
            ))
            .execute(c)
            .await)?;
        Ok(())
    }};
}
pub(crate) use leased_queue_outcomes;

pub(crate) const DONE: &str = "done";
pub(crate) const PENDING: &str = "pending";
pub(crate) const FAILED: &str = "failed";

/// Inserts the activity and its delivery rows; runs inside a transaction.
macro_rules! insert_outgoing {
    ($c:expr, $outgoing:expr, $now:expr) => {{
        let outgoing: &$crate::Outgoing = $outgoing;
        let now: $crate::UtcTime = $now;
        let activity_id: i64 = diesel::insert_into($crate::schema::activities::table)
            .values((
                $crate::schema::activities::ap_id.eq(&outgoing.ap_id),
                $crate::schema::activities::actor_id.eq(outgoing.actor_id),
                $crate::schema::activities::kind.eq(&outgoing.kind),
                $crate::schema::activities::public.eq(outgoing.public),
                $crate::schema::activities::json.eq(&outgoing.json),
                $crate::schema::activities::created_at.eq(now),
                $crate::schema::activities::object_ap_id
                    .eq($crate::outbox::carried_object(&outgoing.kind, &outgoing.json)),
            ))
            .returning($crate::schema::activities::id)
            .get_result($c)
            .await?;
        // One row per distinct inbox (several followers share one shared inbox).
        let rows: Vec<$crate::outbox::NewDelivery> = outgoing
            .inboxes
            .iter()
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .map(|inbox| $crate::outbox::NewDelivery::pending(activity_id, inbox, now))
            .collect();
        $crate::outbox::InsertDeliveries::insert_deliveries($c, rows).await?;
        activity_id
    }};
}
pub(crate) use insert_outgoing;

/// The id of the post whose content an activity carries or names: the
/// object of a `Create`, `Update` or `Announce`, or of the `Create`/`Update`
/// an `Announce` relays (FEP-1b12); `None` for every other activity (a
/// `Delete` carries no content). The migration that added the column fills
/// it the same way for older rows.
pub(crate) fn carried_object(kind: &str, json: &str) -> Option<String> {
    fn id_of(value: &serde_json::Value) -> Option<String> {
        match value {
            serde_json::Value::String(id) => Some(id.clone()),
            serde_json::Value::Object(map) => map.get("id").and_then(serde_json::Value::as_str).map(str::to_string),
            _ => None,
        }
    }
    if !matches!(kind, "Create" | "Update" | "Announce") {
        return None;
    }
    let activity: serde_json::Value = serde_json::from_str(json).ok()?;
    let object = activity.get("object")?;
    match object.get("type").and_then(serde_json::Value::as_str) {
        Some("Create" | "Update") => id_of(object.get("object")?),
        Some("Delete" | "Undo" | "Tombstone" | "Announce") => None,
        _ => id_of(object),
    }
}

/// A delivery row, as enqueued.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = deliveries)]
pub(crate) struct NewDelivery {
    activity_id: i64,
    inbox_url: String,
    domain: String,
    state: &'static str,
    attempts: i32,
    next_attempt_at: UtcTime,
    created_at: UtcTime,
    updated_at: UtcTime,
}

impl NewDelivery {
    pub(crate) fn pending(activity_id: i64, inbox: &str, now: UtcTime) -> Self {
        NewDelivery {
            activity_id,
            inbox_url: inbox.to_string(),
            domain: domain_of(inbox),
            state: PENDING,
            attempts: 0,
            next_attempt_at: now,
            created_at: now,
            updated_at: now,
        }
    }
}

/// Inserting an activity's deliveries (a thousand for a big fan-out) inside
/// the caller's transaction, in as few round trips as the backend allows:
/// multi-row statements on PostgreSQL; on SQLite, where diesel-async sends
/// every statement to a blocking thread, one blocking call for all rows.
pub(crate) trait InsertDeliveries {
    async fn insert_deliveries(&mut self, rows: Vec<NewDelivery>) -> QueryResult<()>;
}

impl InsertDeliveries for diesel_async::AsyncPgConnection {
    async fn insert_deliveries(&mut self, rows: Vec<NewDelivery>) -> QueryResult<()> {
        for chunk in rows.chunks(1000) {
            diesel::insert_into(deliveries::table).values(chunk).execute(self).await?;
        }
        Ok(())
    }
}

impl InsertDeliveries for crate::pool::SqliteConn {
    async fn insert_deliveries(&mut self, rows: Vec<NewDelivery>) -> QueryResult<()> {
        self.spawn_blocking(move |c| {
            for row in &rows {
                diesel::RunQueryDsl::execute(diesel::insert_into(deliveries::table).values(row), c)?;
            }
            Ok(())
        })
        .await
    }
}

/// `host[:port]` of an inbox URL (empty when it is not a URL).
pub(crate) fn domain_of(inbox: &str) -> String {
    match url::Url::parse(inbox) {
        Ok(url) => match (url.host_str(), url.port()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_string(),
            _ => String::new(),
        },
        Err(_) => String::new(),
    }
}

/// Where a delivery stands, and what its last attempt gave.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct DeliveryOutcome {
    pub inbox_url: String,
    /// `pending`, `done` or `failed`.
    pub state: String,
    pub attempts: i32,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
}

impl DeliveryOutcome {
    pub fn is_failed(&self) -> bool {
        self.state == FAILED
    }
}

/// Deliveries of one server, by state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DomainDeliveries {
    pub domain: String,
    pub counts: DeliveryCounts,
}

impl Database {
    /// Stores an activity and its deliveries, atomically.
    pub async fn enqueue(&self, outgoing: &Outgoing) -> Result<i64, DbError> {
        let mut conn = self.conn().await?;
        let now = UtcTime::now();
        with_enqueuing_tx!(self, &mut conn, |c| Ok(insert_outgoing!(c, outgoing, now)))
    }

    /// Claims up to `limit` due deliveries for `lease_seconds`, leaving out
    /// those to `skip_domains` (parked by the circuit breaker, or already at
    /// this worker's per-domain limit).
    pub async fn claim_deliveries(
        &self,
        limit: i64,
        lease_seconds: i64,
        skip_domains: &[String],
    ) -> Result<Vec<ClaimedDelivery>, DbError> {
        let mut conn = self.conn().await?;
        let now = UtcTime::now();
        let until = UtcTime::from(now.as_datetime() + chrono::Duration::seconds(lease_seconds));
        let candidates = diesel::alias!(deliveries as candidates);
        let free = deliveries::state
            .eq(PENDING)
            .and(deliveries::next_attempt_at.le(now))
            .and(deliveries::lease_until.is_null().or(deliveries::lease_until.lt(now)));
        let candidate_free = candidates
            .field(deliveries::state)
            .eq(PENDING)
            .and(candidates.field(deliveries::next_attempt_at).le(now))
            .and(
                candidates
                    .field(deliveries::lease_until)
                    .is_null()
                    .or(candidates.field(deliveries::lease_until).lt(now)),
            );
        let subquery = candidates
            .select(candidates.field(deliveries::id))
            .filter(candidate_free)
            .filter(candidates.field(deliveries::domain).ne_all(skip_domains))
            .order(candidates.field(deliveries::next_attempt_at))
            .limit(limit);
        // Re-checking `free` in the outer statement makes a stale subquery harmless.
        let ids: Vec<i64> = match &mut conn {
            crate::pool::DbConn::Pg(c) => {
                diesel::update(
                    deliveries::table.filter(deliveries::id.eq_any(subquery.for_update().skip_locked())).filter(free),
                )
                .set((deliveries::lease_until.eq(until), deliveries::updated_at.eq(now)))
                .returning(deliveries::id)
                .get_results(&mut **c)
                .await?
            }
            crate::pool::DbConn::Sqlite(_) => {
                diesel::update(deliveries::table.filter(deliveries::id.eq_any(subquery)).filter(free))
                    .set((deliveries::lease_until.eq(until), deliveries::updated_at.eq(now)))
                    .returning(deliveries::id)
                    .get_results(&mut *self.sqlite_writer().await?)
                    .await?
            }
        };
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let claimed = with_conn!(&mut conn, |c| deliveries::table
            .inner_join(activities::table.inner_join(local_actors::table))
            .filter(deliveries::id.eq_any(&ids))
            .select((
                deliveries::id,
                deliveries::inbox_url,
                deliveries::domain,
                deliveries::attempts,
                deliveries::created_at,
                activities::json,
                local_actors::ap_id,
                local_actors::private_key_pem,
            ))
            .load::<ClaimedDelivery>(c)
            .await)?;
        Ok(claimed)
    }

    /// Gives claimed deliveries back, untried (due as before).
    pub async fn release_deliveries(&self, ids: &[i64]) -> Result<(), DbError> {
        let mut conn = self.write_conn().await?;
        with_conn!(&mut conn, |c| diesel::update(deliveries::table.filter(deliveries::id.eq_any(ids)))
            .set(deliveries::lease_until.eq(None::<UtcTime>))
            .execute(c)
            .await)?;
        Ok(())
    }

    /// The receiving server took the activity (2xx).
    pub async fn delivery_done(&self, id: i64, status: i32) -> Result<(), DbError> {
        self.deliveries_done(&[(id, status)]).await
    }

    /// The receiving server refused it for good, or we gave up.
    pub async fn delivery_failed(&self, id: i64, status: Option<i32>, error: &str) -> Result<(), DbError> {
        self.finish_delivery(id, FAILED, status, Some(error), None).await
    }

    /// Try again at `next_attempt_at`.
    pub async fn delivery_retry(
        &self,
        id: i64,
        status: Option<i32>,
        error: &str,
        next_attempt_at: UtcTime,
    ) -> Result<(), DbError> {
        self.finish_delivery(id, PENDING, status, Some(error), Some(next_attempt_at)).await
    }

    /// Several deliveries done, recorded together: one statement per
    /// distinct status (usually one).
    pub async fn deliveries_done(&self, done: &[(i64, i32)]) -> Result<(), DbError> {
        let mut by_status: std::collections::BTreeMap<i32, Vec<i64>> = std::collections::BTreeMap::new();
        for (id, status) in done {
            by_status.entry(*status).or_default().push(*id);
        }
        if by_status.is_empty() {
            return Ok(());
        }
        let mut conn = self.conn().await?;
        let now = UtcTime::now();
        with_write_tx!(self, &mut conn, |c| {
            for (status, ids) in &by_status {
                diesel::update(deliveries::table.filter(deliveries::id.eq_any(ids)))
                    .set((
                        deliveries::state.eq(DONE),
                        deliveries::attempts.eq(deliveries::attempts + 1),
                        deliveries::last_status.eq(Some(*status)),
                        deliveries::last_error.eq(None::<&str>),
                        deliveries::next_attempt_at.eq(now),
                        deliveries::lease_until.eq(None::<UtcTime>),
                        deliveries::updated_at.eq(now),
                    ))
                    .execute(c)
                    .await?;
            }
            Ok(())
        })
    }

    async fn finish_delivery(
        &self,
        id: i64,
        state: &str,
        status: Option<i32>,
        error: Option<&str>,
        next_attempt_at: Option<UtcTime>,
    ) -> Result<(), DbError> {
        let mut conn = self.write_conn().await?;
        let now = UtcTime::now();
        let next = next_attempt_at.unwrap_or(now);
        with_conn!(&mut conn, |c| diesel::update(deliveries::table.find(id))
            .set((
                deliveries::state.eq(state),
                deliveries::attempts.eq(deliveries::attempts + 1),
                deliveries::last_status.eq(status),
                deliveries::last_error.eq(error),
                deliveries::next_attempt_at.eq(next),
                deliveries::lease_until.eq(None::<UtcTime>),
                deliveries::updated_at.eq(now),
            ))
            .execute(c)
            .await)?;
        Ok(())
    }

    pub async fn delivery_counts(&self) -> Result<DeliveryCounts, DbError> {
        let mut conn = self.conn().await?;
        let rows: Vec<(String, i64)> = with_conn!(&mut conn, |c| deliveries::table
            .group_by(deliveries::state)
            .select((deliveries::state, diesel::dsl::count_star()))
            .load(c)
            .await)?;
        Ok(QueueCounts::of_states(rows))
    }

    /// The deliveries to one server (`host[:port]`), oldest first.
    pub async fn deliveries_to(&self, domain: &str) -> Result<Vec<DeliveryOutcome>, DbError> {
        let mut conn = self.conn().await?;
        let rows = with_conn!(&mut conn, |c| deliveries::table
            .filter(deliveries::domain.eq(domain))
            .order(deliveries::id)
            .select((
                deliveries::inbox_url,
                deliveries::state,
                deliveries::attempts,
                deliveries::last_status,
                deliveries::last_error,
            ))
            .load(c)
            .await)?;
        Ok(rows)
    }

    /// Delivery counts per receiving server, busiest first.
    pub async fn delivery_counts_by_domain(&self) -> Result<Vec<DomainDeliveries>, DbError> {
        let mut conn = self.conn().await?;
        let rows: Vec<(String, String, i64)> = with_conn!(&mut conn, |c| deliveries::table
            .group_by((deliveries::domain, deliveries::state))
            .select((deliveries::domain, deliveries::state, diesel::dsl::count_star()))
            .load(c)
            .await)?;
        let mut by_domain: std::collections::BTreeMap<String, DeliveryCounts> = std::collections::BTreeMap::new();
        for (domain, state, n) in rows {
            by_domain.entry(domain).or_default().set(&state, n);
        }
        let mut out: Vec<DomainDeliveries> =
            by_domain.into_iter().map(|(domain, counts)| DomainDeliveries { domain, counts }).collect();
        out.sort_by_key(|d| std::cmp::Reverse((d.counts.pending, d.counts.failed)));
        Ok(out)
    }

    /// Puts a server's failed and waiting deliveries back in the queue, due
    /// now, and forgets its failures (the circuit breaker closes). Returns
    /// how many deliveries are due again.
    pub async fn retry_failed_deliveries(&self, domain: &str) -> Result<usize, DbError> {
        let mut conn = self.conn().await?;
        let now = UtcTime::now();
        with_write_tx!(self, &mut conn, |c| {
            diesel::delete(crate::schema::domain_health::table.find(domain)).execute(c).await?;
            let n = diesel::update(
                deliveries::table
                    .filter(deliveries::domain.eq(domain))
                    .filter(deliveries::state.eq(FAILED).or(deliveries::state.eq(PENDING))),
            )
            .set((deliveries::state.eq(PENDING), deliveries::next_attempt_at.eq(now), deliveries::updated_at.eq(now)))
            .execute(c)
            .await?;
            Ok(n)
        })
    }

    /// An activity we sent, by id (activities are served at their id).
    pub async fn activity_json(&self, ap_id: &str) -> Result<Option<String>, DbError> {
        let mut conn = self.conn().await?;
        let json = with_conn!(&mut conn, |c| activities::table
            .filter(activities::ap_id.eq(ap_id))
            .select(activities::json)
            .first(c)
            .await
            .optional())?;
        Ok(json)
    }

    /// An activity we sent, as `/activities/ID` serves it: its JSON, kind
    /// and time, and whether the post it carries was deleted since.
    /// The activities we sent that carry or name a post: (id, kind), oldest first.
    pub async fn activities_about(&self, object_ap_id: &str) -> Result<Vec<(String, String)>, DbError> {
        let mut conn = self.conn().await?;
        let rows = with_conn!(&mut conn, |c| activities::table
            .filter(activities::object_ap_id.eq(object_ap_id))
            .order(activities::id)
            .select((activities::ap_id, activities::kind))
            .load(c)
            .await)?;
        Ok(rows)
    }

    pub async fn served_activity(&self, ap_id: &str) -> Result<Option<ServedActivity>, DbError> {
        let mut conn = self.conn().await?;
        // (json, kind, created_at, the local post's deletion, the remote object's `deleted`, public, object)
        type Row = (String, String, UtcTime, Option<UtcTime>, Option<bool>, bool, Option<String>);
        let row: Option<Row> = with_conn!(&mut conn, |c| activities::table
            .left_join(posts::table.on(posts::ap_id.nullable().eq(activities::object_ap_id)))
            .left_join(remote_objects::table.on(remote_objects::ap_id.nullable().eq(activities::object_ap_id)))
            .filter(activities::ap_id.eq(ap_id))
            .select((
                activities::json,
                activities::kind,
                activities::created_at,
                posts::deleted_at.nullable(),
                remote_objects::deleted.nullable(),
                activities::public,
                activities::object_ap_id,
            ))
            .first(c)
            .await
            .optional())?;
        Ok(row.map(|(json, kind, created_at, post_deleted, object_deleted, public, object_ap_id)| ServedActivity {
            json,
            kind,
            created_at,
            object_deleted: post_deleted.is_some() || object_deleted == Some(true),
            public,
            object_ap_id,
        }))
    }

    /// Public activities of an actor, newest first, before the activity
    /// `before`; those whose post was deleted (here, or at its origin for a
    /// reshare) are left out.
    pub async fn outbox_page(
        &self,
        actor_id: i64,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<OutboxItem>, DbError> {
        let mut conn = self.conn().await?;
        let before = before.unwrap_or(i64::MAX);
        let items = with_conn!(&mut conn, |c| live_outbox!(actor_id)
            .filter(activities::id.lt(before))
            .order(activities::id.desc())
            .limit(limit)
            .select((activities::id, activities::json, posts::id.nullable(), posts::updated.nullable()))
            .load::<OutboxItem>(c)
            .await)?;
        Ok(items)
    }

    /// Public activities newer than `after`, oldest first (for `prev` links).
    pub async fn outbox_page_after(&self, actor_id: i64, after: i64, limit: i64) -> Result<Vec<OutboxItem>, DbError> {
        let mut conn = self.conn().await?;
        let items = with_conn!(&mut conn, |c| live_outbox!(actor_id)
            .filter(activities::id.gt(after))
            .order(activities::id.asc())
            .limit(limit)
            .select((activities::id, activities::json, posts::id.nullable(), posts::updated.nullable()))
            .load::<OutboxItem>(c)
            .await)?;
        Ok(items)
    }

    pub async fn outbox_count(&self, actor_id: i64) -> Result<i64, DbError> {
        let mut conn = self.conn().await?;
        let n = with_conn!(&mut conn, |c| live_outbox!(actor_id).count().get_result(c).await)?;
        Ok(n)
    }
}
