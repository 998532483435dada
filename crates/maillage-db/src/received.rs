//! Activities received in our inboxes, kept by id: duplicates are ignored
//! and unknown kinds are kept raw for later, not dropped.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::schema::received_activities;
use crate::{Database, DbError, UtcTime};

impl Database {
    pub async fn is_received(&self, ap_id: &str) -> Result<bool, DbError> {
        let mut conn = self.conn().await?;
        let n: i64 = with_conn!(&mut conn, |c| received_activities::table
            .filter(received_activities::ap_id.eq(ap_id))
            .count()
            .get_result(c)
            .await)?;
        Ok(n > 0)
    }

    /// Records a processed activity; returns false when it was already there.
    pub async fn record_received(&self, ap_id: &str, actor: &str, kind: &str, json: &str) -> Result<bool, DbError> {
        let mut conn = self.conn().await?;
        let now = UtcTime::now();
        let inserted = with_conn!(&mut conn, |c| diesel::insert_into(received_activities::table)
            .values((
                received_activities::ap_id.eq(ap_id),
                received_activities::actor_ap_id.eq(actor),
                received_activities::kind.eq(kind),
                received_activities::json.eq(json),
                received_activities::received_at.eq(now),
            ))
            .on_conflict_do_nothing()
            .execute(c)
            .await)?;
        Ok(inserted > 0)
    }

    pub async fn count_received(&self) -> Result<i64, DbError> {
        let mut conn = self.conn().await?;
        let n = with_conn!(&mut conn, |c| received_activities::table.count().get_result(c).await)?;
        Ok(n)
    }
}
