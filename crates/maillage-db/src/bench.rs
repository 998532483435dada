//! Bulk data for the benchmark suite only (feature `bench`): millions of
//! rows written with one SQL statement each, so that growth benchmarks do
//! not spend their time loading. Never compiled into the server.

use diesel::sql_types::{BigInt, Integer, Text, Timestamp};
use diesel_async::RunQueryDsl;

use crate::pool::DbConn;
use crate::{Database, DbError, UtcTime};

/// Rows `1..=n` as `i`: a recursive CTE on SQLite, generate_series on PostgreSQL.
fn series(conn: &DbConn) -> &'static str {
    match conn {
        DbConn::Pg(_) => "SELECT generate_series(1, $1::bigint) AS i",
        DbConn::Sqlite(_) => {
            "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ?1) SELECT i FROM s"
        }
    }
}

/// `base` minus `i` seconds, as a timestamp of the backend.
fn minus_seconds(conn: &DbConn, base: &str) -> String {
    match conn {
        DbConn::Pg(_) => format!("({base} - i * interval '1 second')"),
        DbConn::Sqlite(_) => format!("datetime({base}, '-' || i || ' seconds')"),
    }
}

fn param(conn: &DbConn, n: usize) -> String {
    match conn {
        DbConn::Pg(_) => format!("${n}"),
        DbConn::Sqlite(_) => format!("?{n}"),
    }
}

impl Database {
    /// Refreshes the planner's statistics after a bulk load, as a database
    /// in service has them (PostgreSQL's autovacuum, SQLite's `ANALYZE`).
    pub async fn bench_analyze(&self) -> Result<(), DbError> {
        let mut conn = self.conn().await?;
        with_conn!(&mut conn, |c| diesel::sql_query("ANALYZE").execute(c).await)?;
        Ok(())
    }

    /// `n` public activities of `actor_id` (its outbox), newest first by id.
    pub async fn bench_seed_activities(&self, actor_id: i64, n: i64, tag: &str) -> Result<(), DbError> {
        let mut conn = self.conn().await?;
        let sql = format!(
            "INSERT INTO activities (ap_id, actor_id, kind, public, json, created_at) \
             SELECT 'http://bench.invalid/activities/' || {tag} || '-' || i, {actor}, 'Create', TRUE, '{{}}', {time} \
             FROM ({series}) s",
            tag = param(&conn, 3),
            actor = param(&conn, 2),
            time = minus_seconds(&conn, &param(&conn, 4)),
            series = series(&conn),
        );
        let now = UtcTime::now();
        with_conn!(&mut conn, |c| diesel::sql_query(&sql)
            .bind::<BigInt, _>(n)
            .bind::<BigInt, _>(actor_id)
            .bind::<Text, _>(tag)
            .bind::<Timestamp, _>(now)
            .execute(c)
            .await)?;
        Ok(())
    }

    /// `n` public posts of `actor_id` (for timelines).
    pub async fn bench_seed_posts(&self, actor_id: i64, n: i64, tag: &str) -> Result<(), DbError> {
        let mut conn = self.conn().await?;
        let sql = format!(
            "INSERT INTO posts (ap_id, kind, actor_id, visibility, language, source, content_html, tags_json, \
             mentions_json, published) \
             SELECT 'http://bench.invalid/objects/' || {tag} || '-' || i, 'note', {actor}, 'public', 'fr', 'x', \
             '<p>x</p>', '[]', '[]', {time} FROM ({series}) s",
            tag = param(&conn, 3),
            actor = param(&conn, 2),
            time = minus_seconds(&conn, &param(&conn, 4)),
            series = series(&conn),
        );
        let now = UtcTime::now();
        with_conn!(&mut conn, |c| diesel::sql_query(&sql)
            .bind::<BigInt, _>(n)
            .bind::<BigInt, _>(actor_id)
            .bind::<Text, _>(tag)
            .bind::<Timestamp, _>(now)
            .execute(c)
            .await)?;
        Ok(())
    }

    /// Tags one post in `every` with `tag`, in the tag index.
    pub async fn bench_seed_post_tags(&self, tag: &str, every: i64) -> Result<(), DbError> {
        let mut conn = self.conn().await?;
        let sql = format!(
            "INSERT INTO post_tags (post_id, tag, published) SELECT id, {tag}, published FROM posts WHERE id % {every} = 0",
            tag = param(&conn, 1),
            every = param(&conn, 2),
        );
        with_conn!(&mut conn, |c| diesel::sql_query(&sql)
            .bind::<Text, _>(tag)
            .bind::<BigInt, _>(every)
            .execute(c)
            .await)?;
        Ok(())
    }

    /// `n` remote followers of `actor_id` (accepted), spread over `hosts`
    /// shared inboxes `http://127.0.X.Y:PORT/inbox` (loopback addresses,
    /// all served by one listener). Their keys are `public_key_pem`.
    pub async fn bench_seed_followers(
        &self,
        actor_id: i64,
        n: i64,
        hosts: i64,
        port: u16,
        tag: &str,
        public_key_pem: &str,
    ) -> Result<(), DbError> {
        let mut conn = self.conn().await?;
        let host = "'127.0.' || ((i % {hosts}) / 250) || '.' || ((i % {hosts}) % 250 + 1) || ':' || {port}";
        let host = host.replace("{hosts}", &param(&conn, 2)).replace("{port}", &param(&conn, 3));
        let actors = format!(
            "INSERT INTO remote_actors (ap_id, actor_type, username, domain, inbox_url, shared_inbox_url, \
             public_key_id, public_key_pem, manually_approves_followers, raw_json, fetched_at, created_at, updated_at) \
             SELECT 'http://' || {host} || '/actors/' || {tag} || i, 'Person', {tag} || i, {host}, \
             'http://' || {host} || '/actors/' || {tag} || i || '/inbox', 'http://' || {host} || '/inbox', \
             'http://' || {host} || '/actors/' || {tag} || i || '#main-key', {key}, FALSE, '{{}}', {now}, {now}, {now} \
             FROM ({series}) s",
            tag = param(&conn, 4),
            key = param(&conn, 5),
            now = param(&conn, 6),
            series = series(&conn),
        );
        let follows = format!(
            "INSERT INTO follows (local_actor_id, remote_actor_id, direction, state, follow_ap_id, follow_json, \
             created_at, updated_at) \
             SELECT {actor}, id, 'in', 'accepted', ap_id || '/follow', '{{}}', {now}, {now} \
             FROM remote_actors WHERE username LIKE {tag} || '%'",
            actor = param(&conn, 1),
            tag = param(&conn, 2),
            now = param(&conn, 3),
        );
        let now = UtcTime::now();
        with_conn!(&mut conn, |c| {
            diesel::sql_query(&actors)
                .bind::<BigInt, _>(n)
                .bind::<BigInt, _>(hosts)
                .bind::<Integer, _>(i32::from(port))
                .bind::<Text, _>(tag)
                .bind::<Text, _>(public_key_pem)
                .bind::<Timestamp, _>(now)
                .execute(c)
                .await?;
            diesel::sql_query(&follows)
                .bind::<BigInt, _>(actor_id)
                .bind::<Text, _>(tag)
                .bind::<Timestamp, _>(now)
                .execute(c)
                .await
        })?;
        Ok(())
    }

    /// `n` local enterprises with placeholder keys (they are never used).
    pub async fn bench_seed_local_actors(&self, n: i64, tag: &str) -> Result<(), DbError> {
        let mut conn = self.conn().await?;
        let sql = format!(
            "INSERT INTO local_actors (kind, username, ap_id, display_name, summary, public_key_pem, \
             private_key_pem, manually_approves_followers, discoverable, created_at, updated_at) \
             SELECT 'enterprise', {tag} || i, 'http://bench.invalid/actors/' || {tag} || i, 'Bench ' || i, '', \
             'none', 'none', FALSE, TRUE, {now}, {now} FROM ({series}) s",
            tag = param(&conn, 2),
            now = param(&conn, 3),
            series = series(&conn),
        );
        let now = UtcTime::now();
        with_conn!(&mut conn, |c| diesel::sql_query(&sql)
            .bind::<BigInt, _>(n)
            .bind::<Text, _>(tag)
            .bind::<Timestamp, _>(now)
            .execute(c)
            .await)?;
        Ok(())
    }

    /// `n` local enterprises `{tag}1..{tag}n` that other servers can read:
    /// ids under `base_url`, the profile `profile_json`, and one real key
    /// pair shared by all (generating 5,000 keys would take minutes).
    pub async fn bench_seed_enterprises(
        &self,
        n: i64,
        tag: &str,
        base_url: &str,
        keys: (&str, &str),
        profile_json: &str,
    ) -> Result<(), DbError> {
        let mut conn = self.conn().await?;
        let sql = format!(
            "INSERT INTO local_actors (kind, username, ap_id, display_name, summary, public_key_pem, \
             private_key_pem, manually_approves_followers, discoverable, created_at, updated_at, profile_json) \
             SELECT 'enterprise', {tag} || i, {base} || '/actors/' || {tag} || i, 'Bench ' || i, '', \
             {public}, {private}, FALSE, TRUE, {now}, {now}, {profile} FROM ({series}) s",
            tag = param(&conn, 2),
            base = param(&conn, 3),
            public = param(&conn, 4),
            private = param(&conn, 5),
            now = param(&conn, 6),
            profile = param(&conn, 7),
            series = series(&conn),
        );
        let now = UtcTime::now();
        with_conn!(&mut conn, |c| diesel::sql_query(&sql)
            .bind::<BigInt, _>(n)
            .bind::<Text, _>(tag)
            .bind::<Text, _>(base_url)
            .bind::<Text, _>(keys.0)
            .bind::<Text, _>(keys.1)
            .bind::<Timestamp, _>(now)
            .bind::<Text, _>(profile_json)
            .execute(c)
            .await)?;
        Ok(())
    }

    /// `n` pending deliveries of one activity of `actor_id`, to `inbox`, due now.
    pub async fn bench_seed_deliveries(&self, actor_id: i64, n: i64, inbox: &str) -> Result<(), DbError> {
        let outgoing = crate::Outgoing {
            ap_id: format!(
                "http://bench.invalid/activities/pending-{}",
                UtcTime::now().as_datetime().timestamp_micros()
            ),
            actor_id,
            kind: "Create".into(),
            public: false,
            json: "{}".into(),
            inboxes: Vec::new(),
        };
        let activity_id = self.enqueue(&outgoing).await?;
        let mut conn = self.conn().await?;
        let domain = crate::outbox::domain_of(inbox);
        let sql = format!(
            "INSERT INTO deliveries (activity_id, inbox_url, domain, state, attempts, next_attempt_at, created_at, \
             updated_at) SELECT {activity}, {inbox} || '?n=' || i, {domain}, 'pending', 0, {now}, {now}, {now} \
             FROM ({series}) s",
            activity = param(&conn, 2),
            inbox = param(&conn, 3),
            domain = param(&conn, 4),
            now = param(&conn, 5),
            series = series(&conn),
        );
        let now = UtcTime::now();
        with_conn!(&mut conn, |c| diesel::sql_query(&sql)
            .bind::<BigInt, _>(n)
            .bind::<BigInt, _>(activity_id)
            .bind::<Text, _>(inbox)
            .bind::<Text, _>(&domain)
            .bind::<Timestamp, _>(now)
            .execute(c)
            .await)?;
        Ok(())
    }
}
