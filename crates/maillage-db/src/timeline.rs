//! Reading posts for the client API: pages of local posts and remote
//! objects, newest first, by time (keyset on the timestamp, never OFFSET).

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::schema::{follows, posts, remote_actors, remote_objects};
use crate::{Database, DbError, Post, RemoteActor, RemoteObject, UtcTime};

/// Object types shown in timelines.
pub const TIMELINE_KINDS: &[&str] = &["Note", "Article", "Page", "Question"];

impl Database {
    /// Live posts, newest first, published before `before`; only public ones
    /// unless `public_only` is false; of the given actors when `actors` is set.
    pub async fn posts_page(
        &self,
        actors: Option<&[i64]>,
        public_only: bool,
        before: Option<UtcTime>,
        limit: i64,
    ) -> Result<Vec<Post>, DbError> {
        let mut conn = self.conn().await?;
        let rows = with_conn!(&mut conn, |c| {
            let mut query = posts::table.filter(posts::deleted_at.is_null()).into_boxed();
            if let Some(actors) = actors {
                query = query.filter(posts::actor_id.eq_any(actors.to_vec()));
            }
            if public_only {
                query = query.filter(posts::visibility.eq("public"));
            }
            if let Some(before) = before {
                query = query.filter(posts::published.lt(before));
            }
            query
                .order((posts::published.desc(), posts::id.desc()))
                .limit(limit)
                .select(Post::as_select())
                .load(c)
                .await
        })?;
        Ok(rows)
    }

    /// Live remote posts, newest received first, received before `before`;
    /// by the given authors when `authors` is set.
    pub async fn remote_objects_page(
        &self,
        authors: Option<&[String]>,
        before: Option<UtcTime>,
        limit: i64,
    ) -> Result<Vec<RemoteObject>, DbError> {
        let mut conn = self.conn().await?;
        let rows = with_conn!(&mut conn, |c| {
            let mut query = remote_objects::table
                .filter(remote_objects::deleted.eq(false))
                .filter(remote_objects::kind.eq_any(TIMELINE_KINDS))
                .into_boxed();
            if let Some(authors) = authors {
                query = query.filter(remote_objects::attributed_to.eq_any(authors.to_vec()));
            }
            if let Some(before) = before {
                query = query.filter(remote_objects::created_at.lt(before));
            }
            query
                .order((remote_objects::created_at.desc(), remote_objects::id.desc()))
                .limit(limit)
                .select(RemoteObject::as_select())
                .load(c)
                .await
        })?;
        Ok(rows)
    }

    /// Ids of the remote actors a local actor follows (accepted).
    pub async fn followed_remote_ids(&self, local_actor_id: i64) -> Result<Vec<String>, DbError> {
        let mut conn = self.conn().await?;
        let ids = with_conn!(&mut conn, |c| follows::table
            .inner_join(remote_actors::table)
            .filter(follows::local_actor_id.eq(local_actor_id))
            .filter(follows::direction.eq("out"))
            .filter(follows::state.eq("accepted"))
            .select(remote_actors::ap_id)
            .load(c)
            .await)?;
        Ok(ids)
    }

    pub async fn count_posts(&self, actor_id: i64) -> Result<i64, DbError> {
        let mut conn = self.conn().await?;
        let n = with_conn!(&mut conn, |c| posts::table
            .filter(posts::actor_id.eq(actor_id))
            .filter(posts::deleted_at.is_null())
            .count()
            .get_result(c)
            .await)?;
        Ok(n)
    }

    pub async fn post_by_id(&self, id: i64) -> Result<Option<Post>, DbError> {
        let mut conn = self.conn().await?;
        let row = with_conn!(&mut conn, |c| posts::table.find(id).select(Post::as_select()).first(c).await.optional())?;
        Ok(row)
    }

    pub async fn remote_object_by_id(&self, id: i64) -> Result<Option<RemoteObject>, DbError> {
        let mut conn = self.conn().await?;
        let row = with_conn!(&mut conn, |c| remote_objects::table
            .find(id)
            .select(RemoteObject::as_select())
            .first(c)
            .await
            .optional())?;
        Ok(row)
    }

    pub async fn remote_actor_by_id(&self, id: i64) -> Result<Option<RemoteActor>, DbError> {
        let mut conn = self.conn().await?;
        let row = with_conn!(&mut conn, |c| remote_actors::table
            .find(id)
            .select(RemoteActor::as_select())
            .first(c)
            .await
            .optional())?;
        Ok(row)
    }
}
