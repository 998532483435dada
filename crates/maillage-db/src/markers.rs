//! Where each member stopped reading their timelines (Mastodon's markers).

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use maillage_domain::reading::MarkerTimeline;

use crate::schema::markers;
use crate::{Database, DbError, UtcTime};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = markers)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct Marker {
    pub actor_id: i64,
    #[diesel(deserialize_as = String)]
    pub timeline: MarkerTimeline,
    pub last_read_id: String,
    /// How many times it was saved.
    pub version: i64,
    pub updated_at: UtcTime,
}

impl Database {
    /// A member's markers of these timelines (those never saved are absent).
    pub async fn markers(&self, actor_id: i64, timelines: &[MarkerTimeline]) -> Result<Vec<Marker>, DbError> {
        let names: Vec<&str> = timelines.iter().map(|t| t.as_str()).collect();
        let mut conn = self.conn().await?;
        let rows = with_conn!(&mut conn, |c| markers::table
            .filter(markers::actor_id.eq(actor_id))
            .filter(markers::timeline.eq_any(names))
            .order(markers::timeline.asc())
            .select(Marker::as_select())
            .load(c)
            .await)?;
        Ok(rows)
    }

    /// Saves where a member stopped reading a timeline, one version further.
    pub async fn save_marker(
        &self,
        actor_id: i64,
        timeline: MarkerTimeline,
        last_read_id: &str,
    ) -> Result<Marker, DbError> {
        let mut conn = self.conn().await?;
        let now = UtcTime::now();
        with_write_tx!(self, &mut conn, |c| {
            let key =
                markers::table.filter(markers::actor_id.eq(actor_id)).filter(markers::timeline.eq(timeline.as_str()));
            let updated = diesel::update(key)
                .set((
                    markers::last_read_id.eq(last_read_id),
                    markers::version.eq(markers::version + 1),
                    markers::updated_at.eq(now),
                ))
                .execute(c)
                .await?;
            if updated == 0 {
                diesel::insert_into(markers::table)
                    .values((
                        markers::actor_id.eq(actor_id),
                        markers::timeline.eq(timeline.as_str()),
                        markers::last_read_id.eq(last_read_id),
                        markers::version.eq(1_i64),
                        markers::updated_at.eq(now),
                    ))
                    .execute(c)
                    .await?;
            }
            let key =
                markers::table.filter(markers::actor_id.eq(actor_id)).filter(markers::timeline.eq(timeline.as_str()));
            Ok(key.select(Marker::as_select()).first(c).await?)
        })
    }
}
