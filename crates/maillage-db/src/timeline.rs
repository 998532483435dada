//! Reading posts for the client API: pages of local posts and remote
//! objects, all of them or those of a tag, keyset-paged on (time, id) and
//! never with OFFSET. Local posts are ordered by `published`, remote ones by
//! when we received them; the API merges the two.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use maillage_domain::Visibility;

use crate::audience::{visible_posts, visible_remote_objects};
use crate::schema::{
    follows, post_addressees, post_tags, posts, remote_actors, remote_object_addressees, remote_object_tags,
    remote_objects,
};
use crate::{Database, DbError, Direction, FollowState, Hidden, Post, Reader, RemoteActor, RemoteObject, UtcTime};

/// Object types shown in timelines.
pub const TIMELINE_KINDS: &[&str] = &["Note", "Article", "Page", "Question"];

/// Which of our posts a page is made of, before the audience check.
#[derive(Debug, Clone, Copy)]
pub enum PostSource<'a> {
    /// Those listed on public timelines.
    Listed,
    /// Those of these actors.
    Of(&'a [i64]),
    /// Those of these actors, and those that name the reader (a home timeline).
    OfOrNaming(&'a [i64]),
    /// Direct ones (the reader's conversations).
    Direct,
}

/// Which remote posts a page is made of, before the audience check.
#[derive(Debug, Clone, Copy)]
pub enum RemoteSource<'a> {
    /// Those addressed to the public.
    Listed,
    /// Those by these authors.
    By(&'a [String]),
    /// Those by these authors, and those that name the reader (a home timeline).
    ByOrNaming(&'a [String]),
    /// Direct ones (the reader's conversations).
    Direct,
}

/// A place in a timeline: a time, then a row id to order what shares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct TimelinePosition {
    pub time: UtcTime,
    pub id: i64,
}

/// Which page of a timeline to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageBounds {
    /// Only rows before this place (Mastodon's `max_id`).
    pub older_than: Option<TimelinePosition>,
    /// Only rows after this place (`since_id`, `min_id`).
    pub newer_than: Option<TimelinePosition>,
    /// The rows right after `newer_than`, oldest first (`min_id`), instead
    /// of the newest ones.
    pub oldest_first: bool,
    pub limit: i64,
}

impl PageBounds {
    /// The newest `limit` rows.
    pub fn newest(limit: i64) -> Self {
        PageBounds { older_than: None, newer_than: None, oldest_first: false, limit }
    }
}

/// Applies `bounds` to a boxed query: filters on the (time, id) pair, its
/// order and limit. Each bound is written `time <= t AND (time < t OR id < i)`
/// so that the first half is a range of the (time, id) index.
macro_rules! paged {
    ($query:expr, $time:expr, $id:expr, $bounds:expr) => {{
        let bounds: &PageBounds = $bounds;
        let mut query = $query;
        if let Some(at) = bounds.older_than {
            query = query.filter($time.le(at.time)).filter($time.lt(at.time).or($id.lt(at.id)));
        }
        if let Some(at) = bounds.newer_than {
            query = query.filter($time.ge(at.time)).filter($time.gt(at.time).or($id.gt(at.id)));
        }
        let query = if bounds.oldest_first {
            query.order(($time.asc(), $id.asc()))
        } else {
            query.order(($time.desc(), $id.desc()))
        };
        query.limit(bounds.limit)
    }};
}

impl Database {
    /// Live posts `reader` may see, from `source`, in the order `bounds` asks.
    pub async fn posts_page(
        &self,
        source: PostSource<'_>,
        reader: &Reader,
        bounds: &PageBounds,
    ) -> Result<Vec<Post>, DbError> {
        self.posts_page_hiding(source, reader, bounds, &Hidden::default()).await
    }

    /// [`Database::posts_page`] without the posts of the `hidden` accounts.
    pub async fn posts_page_hiding(
        &self,
        source: PostSource<'_>,
        reader: &Reader,
        bounds: &PageBounds,
        hidden: &Hidden,
    ) -> Result<Vec<Post>, DbError> {
        let mut conn = self.conn().await?;
        let rows = with_conn!(&mut conn, |c| {
            let mut query = posts::table.into_boxed();
            match source {
                PostSource::Listed => query = query.filter(posts::visibility.eq(Visibility::Public.as_str())),
                PostSource::Of(actors) => query = query.filter(posts::actor_id.eq_any(actors.to_vec())),
                PostSource::OfOrNaming(actors) => {
                    let naming = post_addressees::table
                        .filter(post_addressees::actor_ap_id.eq_any(reader.ap_ids.clone()))
                        .select(post_addressees::post_id);
                    query = query.filter(posts::actor_id.eq_any(actors.to_vec()).or(posts::id.eq_any(naming)));
                }
                PostSource::Direct => query = query.filter(posts::visibility.eq(Visibility::Direct.as_str())),
            }
            if !hidden.local_ids.is_empty() {
                query = query.filter(posts::actor_id.ne_all(hidden.local_ids.clone()));
            }
            let query = visible_posts!(query, reader);
            paged!(query, posts::published, posts::id, bounds).select(Post::as_select()).load(c).await
        })?;
        Ok(rows)
    }

    /// Live remote posts `reader` may see, from `source`, by the time we
    /// received them, in the order `bounds` asks.
    pub async fn remote_objects_page(
        &self,
        source: RemoteSource<'_>,
        reader: &Reader,
        bounds: &PageBounds,
    ) -> Result<Vec<RemoteObject>, DbError> {
        self.remote_objects_page_hiding(source, reader, bounds, &Hidden::default()).await
    }

    /// [`Database::remote_objects_page`] without the objects of the `hidden` accounts.
    pub async fn remote_objects_page_hiding(
        &self,
        source: RemoteSource<'_>,
        reader: &Reader,
        bounds: &PageBounds,
        hidden: &Hidden,
    ) -> Result<Vec<RemoteObject>, DbError> {
        let mut conn = self.conn().await?;
        let rows = with_conn!(&mut conn, |c| {
            let mut query = remote_objects::table.filter(remote_objects::kind.eq_any(TIMELINE_KINDS)).into_boxed();
            match source {
                RemoteSource::Listed => {
                    query = query.filter(remote_objects::visibility.eq(Visibility::Public.as_str()));
                }
                RemoteSource::By(authors) => {
                    query = query.filter(remote_objects::attributed_to.eq_any(authors.to_vec()));
                }
                RemoteSource::ByOrNaming(authors) => {
                    let naming = remote_object_addressees::table
                        .filter(remote_object_addressees::local_actor_id.eq_any(reader.local_ids.clone()))
                        .select(remote_object_addressees::remote_object_id);
                    query = query.filter(
                        remote_objects::attributed_to.eq_any(authors.to_vec()).or(remote_objects::id.eq_any(naming)),
                    );
                }
                RemoteSource::Direct => {
                    query = query.filter(remote_objects::visibility.eq(Visibility::Direct.as_str()));
                }
            }
            if !hidden.ap_ids.is_empty() {
                query = query.filter(
                    remote_objects::attributed_to
                        .is_null()
                        .or(remote_objects::attributed_to.ne_all(hidden.ap_ids.clone())),
                );
            }
            let query = visible_remote_objects!(query, reader);
            paged!(query, remote_objects::created_at, remote_objects::id, bounds)
                .select(RemoteObject::as_select())
                .load(c)
                .await
        })?;
        Ok(rows)
    }

    /// Public live posts tagged with the tag of key `tag`, as [`Database::posts_page`].
    pub async fn tagged_posts_page(&self, tag: &str, bounds: &PageBounds) -> Result<Vec<Post>, DbError> {
        self.tagged_posts_of_kind(tag, None, bounds).await
    }

    /// As [`Database::tagged_posts_page`], of one kind when given.
    pub async fn tagged_posts_of_kind(
        &self,
        tag: &str,
        kind: Option<maillage_domain::PostKind>,
        bounds: &PageBounds,
    ) -> Result<Vec<Post>, DbError> {
        let mut conn = self.conn().await?;
        let rows = with_conn!(&mut conn, |c| {
            let mut query = post_tags::table
                .inner_join(posts::table)
                .filter(post_tags::tag.eq(tag))
                .filter(posts::deleted_at.is_null())
                .filter(posts::visibility.eq(Visibility::Public.as_str()))
                .into_boxed();
            if let Some(kind) = kind {
                query = query.filter(posts::kind.eq(kind.as_str()));
            }
            paged!(query, post_tags::published, post_tags::post_id, bounds).select(Post::as_select()).load(c).await
        })?;
        Ok(rows)
    }

    /// Live public remote posts tagged with the tag of key `tag`, as
    /// [`Database::remote_objects_page`].
    pub async fn tagged_remote_objects_page(
        &self,
        tag: &str,
        bounds: &PageBounds,
    ) -> Result<Vec<RemoteObject>, DbError> {
        let mut conn = self.conn().await?;
        let rows = with_conn!(&mut conn, |c| {
            let query = remote_object_tags::table
                .inner_join(remote_objects::table)
                .filter(remote_object_tags::tag.eq(tag))
                .filter(remote_objects::deleted.eq(false))
                .filter(remote_objects::visibility.eq(Visibility::Public.as_str()))
                .into_boxed();
            paged!(query, remote_object_tags::created_at, remote_object_tags::remote_object_id, bounds)
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
            .filter(follows::direction.eq(Direction::Outgoing.as_str()))
            .filter(follows::state.eq(FollowState::Accepted.as_str()))
            .select(remote_actors::ap_id)
            .load(c)
            .await)?;
        Ok(ids)
    }

    /// Row ids of the remote actors a local actor follows (accepted), as
    /// the client API numbers accounts.
    pub async fn followed_remote_row_ids(&self, local_actor_id: i64) -> Result<Vec<i64>, DbError> {
        let mut conn = self.conn().await?;
        let ids = with_conn!(&mut conn, |c| follows::table
            .filter(follows::local_actor_id.eq(local_actor_id))
            .filter(follows::direction.eq(Direction::Outgoing.as_str()))
            .filter(follows::state.eq(FollowState::Accepted.as_str()))
            .select(follows::remote_actor_id)
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
