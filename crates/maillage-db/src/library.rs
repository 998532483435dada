//! Reading published posts for the web pages: an enterprise's public posts,
//! practices on a theme, the adaptations of a practice. Keyset pages by id.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::schema::posts;
use crate::{Database, DbError, Post};

impl Database {
    /// Public, live posts of an actor of one kind (`note` or `article`),
    /// newest first, before the post `before`.
    pub async fn public_posts_of(
        &self,
        actor_id: i64,
        kind: &str,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<Post>, DbError> {
        let mut conn = self.conn().await?;
        let rows = with_conn!(&mut conn, |c| posts::table
            .filter(posts::actor_id.eq(actor_id))
            .filter(posts::kind.eq(kind))
            .filter(posts::visibility.eq("public"))
            .filter(posts::deleted_at.is_null())
            .filter(posts::id.lt(before.unwrap_or(i64::MAX)))
            .order(posts::id.desc())
            .limit(limit)
            .select(Post::as_select())
            .load(c)
            .await)?;
        Ok(rows)
    }

    /// Live practices whose themes include `tag` (lower case), newest first.
    ///
    /// Themes are few per practice and practices few per hub (hundreds), so
    /// matching the stored JSON list is enough here.
    pub async fn practices_tagged(&self, tag: &str, before: Option<i64>, limit: i64) -> Result<Vec<Post>, DbError> {
        let quoted = serde_json::to_string(tag).unwrap_or_default();
        let pattern = format!("%{}%", quoted.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
        let mut conn = self.conn().await?;
        let rows = with_conn!(&mut conn, |c| posts::table
            .filter(posts::kind.eq("article"))
            .filter(posts::deleted_at.is_null())
            .filter(posts::visibility.eq("public"))
            .filter(posts::tags_json.like(&pattern).escape('\\'))
            .filter(posts::id.lt(before.unwrap_or(i64::MAX)))
            .order(posts::id.desc())
            .limit(limit)
            .select(Post::as_select())
            .load(c)
            .await)?;
        // LIKE found candidates; keep exact theme matches only.
        Ok(rows
            .into_iter()
            .filter(|p| {
                serde_json::from_str::<Vec<String>>(&p.tags_json).is_ok_and(|tags| tags.iter().any(|t| t == tag))
            })
            .take(usize::try_from(limit).unwrap_or(0))
            .collect())
    }

    /// Live local practices adapted from the practice `ap_id`.
    pub async fn adaptations_of(&self, ap_id: &str, limit: i64) -> Result<Vec<Post>, DbError> {
        let mut conn = self.conn().await?;
        let rows = with_conn!(&mut conn, |c| posts::table
            .filter(posts::adapted_from.eq(ap_id))
            .filter(posts::deleted_at.is_null())
            .filter(posts::visibility.eq("public"))
            .order(posts::id.desc())
            .limit(limit)
            .select(Post::as_select())
            .load(c)
            .await)?;
        Ok(rows)
    }
}
