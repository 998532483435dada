//! The network at a glance: enterprises counted by a profile field, practices
//! by theme and this hub's growth, each counted by the database (GROUP BY),
//! never by loading the rows.
//!
//! Profiles are stored as JSON text, so each backend reads them with its own
//! JSON functions (SQLite's `json_extract`/`json_each`, PostgreSQL's `jsonb`
//! operators): one arm per backend, the rest of the query shared. The
//! network's enterprises are those of the network directory
//! ([`Database::listed_remote_enterprises_with_hubs`]): listed by a hub ours
//! follows, with a profile, not suspended, at most `max_per_server` per
//! server (the first ones we learnt of, as the directory takes them).

use diesel::sql_types::{BigInt, Nullable, Text};
use diesel_async::RunQueryDsl;
use maillage_domain::{ActorKind, PostKind, Visibility};

use crate::follows::{Direction, FollowState};
use crate::pool::DbConn;
use crate::{Database, DbError};

/// A profile field enterprises are counted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProfileFacet {
    Region,
    Sector,
    LegalForm,
    CoopType,
}

impl ProfileFacet {
    /// Its key in the stored profile (`EnterpriseProfile`'s JSON).
    fn json_key(self) -> &'static str {
        match self {
            ProfileFacet::Region => "region",
            ProfileFacet::Sector => "sectors",
            ProfileFacet::LegalForm => "legalForm",
            ProfileFacet::CoopType => "coopType",
        }
    }

    /// Whether the field holds a list of codes.
    fn is_list(self) -> bool {
        matches!(self, ProfileFacet::Sector)
    }
}

/// How many of this hub's (`own`) and of the network's (`network`) have a
/// value; `item` `None` counts those without one (single-valued fields only).
#[derive(Debug, Clone, PartialEq, Eq, diesel::QueryableByName)]
pub struct Tally {
    #[diesel(sql_type = Nullable<Text>)]
    pub item: Option<String>,
    #[diesel(sql_type = BigInt)]
    pub own: i64,
    #[diesel(sql_type = BigInt)]
    pub network: i64,
}

/// The enterprises this hub admitted in one month (`YYYY-MM`) and still lists.
#[derive(Debug, Clone, PartialEq, Eq, diesel::QueryableByName)]
pub struct MonthCount {
    #[diesel(sql_type = Text)]
    pub month: String,
    #[diesel(sql_type = BigInt)]
    pub count: i64,
}

/// `everyone(own, profile_json)`: our live enterprises (own = 1) and the
/// network directory's (own = 0). Values are our own constants.
fn everyone(max_per_server: i64) -> String {
    format!(
        "WITH followed AS (
            SELECT f.remote_actor_id FROM follows f
            JOIN local_actors hub ON hub.id = f.local_actor_id
            WHERE hub.kind = '{hub}' AND f.direction = '{outgoing}' AND f.state = '{accepted}'
        ), listed AS (
            SELECT ra.profile_json, ROW_NUMBER() OVER (PARTITION BY ra.domain ORDER BY ra.id) AS place
            FROM remote_actors ra
            WHERE ra.profile_json IS NOT NULL AND NOT ra.suspended
              AND ra.id IN (SELECT dl.enterprise_id FROM directory_listings dl
                            WHERE dl.listed_by_id IN (SELECT remote_actor_id FROM followed))
        ), everyone AS (
            SELECT 1 AS own, profile_json FROM local_actors
            WHERE kind = '{enterprise}' AND deleted_at IS NULL
            UNION ALL
            SELECT 0 AS own, profile_json FROM listed WHERE place <= {max_per_server}
        )",
        hub = ActorKind::Hub.as_str(),
        outgoing = Direction::Outgoing.as_str(),
        accepted = FollowState::Accepted.as_str(),
        enterprise = ActorKind::Enterprise.as_str(),
    )
}

impl Database {
    /// Our enterprises and the network directory's, counted by `facet`,
    /// most frequent first.
    pub async fn enterprise_tallies(&self, facet: ProfileFacet, max_per_server: i64) -> Result<Vec<Tally>, DbError> {
        let key = facet.json_key();
        let mut conn = self.conn().await?;
        let pg = matches!(conn, DbConn::Pg(_));
        let (value, from) = match (pg, facet.is_list()) {
            (false, false) => (format!("json_extract(e.profile_json, '$.{key}')"), "everyone e".to_string()),
            (true, false) => (format!("(e.profile_json::jsonb ->> '{key}')"), "everyone e".to_string()),
            (false, true) => ("j.value".to_string(), format!("everyone e, json_each(e.profile_json, '$.{key}') j")),
            (true, true) => (
                "j.value".to_string(),
                format!(
                    "everyone e CROSS JOIN LATERAL jsonb_array_elements_text(
                        CASE WHEN jsonb_typeof(e.profile_json::jsonb -> '{key}') = 'array'
                        THEN e.profile_json::jsonb -> '{key}' ELSE '[]'::jsonb END) AS j(value)"
                ),
            ),
        };
        let query = format!(
            "{everyone}
            SELECT {value} AS item, CAST(SUM(e.own) AS BIGINT) AS own, CAST(SUM(1 - e.own) AS BIGINT) AS network
            FROM {from} GROUP BY {value} ORDER BY COUNT(*) DESC, item",
            everyone = everyone(max_per_server)
        );
        let rows = with_conn!(&mut conn, |c| diesel::sql_query(&query).load(c).await)?;
        Ok(rows)
    }

    /// The themes (tag keys) of public, live practices: ours, and those
    /// other servers addressed to the public; the `limit` most used.
    pub async fn practice_tallies(&self, limit: i64) -> Result<Vec<Tally>, DbError> {
        // Both tag indexes hold only what anyone may read (see `tags`).
        let query = format!(
            "SELECT item, CAST(SUM(own) AS BIGINT) AS own, CAST(SUM(1 - own) AS BIGINT) AS network FROM (
                SELECT pt.tag AS item, 1 AS own FROM post_tags pt JOIN posts p ON p.id = pt.post_id
                WHERE p.kind = '{article}' AND p.visibility = '{public}' AND p.deleted_at IS NULL
                UNION ALL
                SELECT rt.tag AS item, 0 AS own FROM remote_object_tags rt
                JOIN remote_objects o ON o.id = rt.remote_object_id
                WHERE o.kind = 'Article' AND NOT o.deleted
            ) tagged GROUP BY item ORDER BY COUNT(*) DESC, item LIMIT {limit}",
            article = PostKind::Article.as_str(),
            public = Visibility::Public.as_str(),
        );
        let mut conn = self.conn().await?;
        let rows = with_conn!(&mut conn, |c| diesel::sql_query(&query).load(c).await)?;
        Ok(rows)
    }

    /// This hub's live enterprises by the month they were admitted, oldest first.
    pub async fn enterprises_by_month(&self) -> Result<Vec<MonthCount>, DbError> {
        let mut conn = self.conn().await?;
        let month = match conn {
            DbConn::Pg(_) => "to_char(created_at, 'YYYY-MM')",
            DbConn::Sqlite(_) => "substr(created_at, 1, 7)",
        };
        let query = format!(
            "SELECT {month} AS month, COUNT(*) AS count FROM local_actors
            WHERE kind = '{enterprise}' AND deleted_at IS NULL GROUP BY {month} ORDER BY month",
            enterprise = ActorKind::Enterprise.as_str(),
        );
        let rows = with_conn!(&mut conn, |c| diesel::sql_query(&query).load(c).await)?;
        Ok(rows)
    }
}
