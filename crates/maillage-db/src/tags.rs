//! The tag index behind tag timelines (`post_tags`, `remote_object_tags`),
//! by tag key (`maillage_domain::tags::key`). It holds only what tag
//! timelines show: live public posts and live remote posts addressed to the
//! public. Rows are written in the transaction that stores, edits or removes
//! their status; [`Database::reindex_posts`] and
//! [`Database::reindex_remote_objects`] rebuild them (once, after the
//! migration that created the index).

use std::collections::BTreeSet;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::schema::{posts, remote_objects};
use crate::timeline::TIMELINE_KINDS;
use crate::{Database, DbError, Post, RemoteObject, UtcTime};

/// The distinct keys of tag names; names that are no tag are left out.
pub(crate) fn keys_of<'a>(names: impl IntoIterator<Item = &'a String>) -> BTreeSet<String> {
    names.into_iter().filter_map(|name| maillage_domain::tags::key(name)).collect()
}

/// The keys of a post's tags (`tags_json` holds their display names).
pub(crate) fn post_keys(post: &Post) -> BTreeSet<String> {
    let names: Vec<String> = serde_json::from_str(&post.tags_json).unwrap_or_default();
    keys_of(&names)
}

/// Replaces the index rows of a local post, inside a transaction: none
/// unless it is public and live.
macro_rules! index_post {
    ($c:expr, $post:expr) => {{
        use $crate::schema::post_tags;
        let post: &$crate::Post = $post;
        diesel::delete(post_tags::table.filter(post_tags::post_id.eq(post.id))).execute($c).await?;
        if post.is_public() && post.deleted_at.is_none() {
            for tag in $crate::tags::post_keys(post) {
                diesel::insert_into(post_tags::table)
                    .values((
                        post_tags::post_id.eq(post.id),
                        post_tags::tag.eq(tag),
                        post_tags::published.eq(post.published),
                    ))
                    .on_conflict_do_nothing()
                    .execute($c)
                    .await?;
            }
        }
    }};
}
pub(crate) use index_post;

/// Replaces the index rows of a remote object, inside a transaction.
/// `$keys` are empty when the object is not to be shown on tag timelines.
macro_rules! index_remote_object {
    ($c:expr, $id:expr, $created_at:expr, $keys:expr) => {{
        use $crate::schema::remote_object_tags;
        let id: i64 = $id;
        let created_at: $crate::UtcTime = $created_at;
        diesel::delete(remote_object_tags::table.filter(remote_object_tags::remote_object_id.eq(id)))
            .execute($c)
            .await?;
        for tag in $keys {
            diesel::insert_into(remote_object_tags::table)
                .values((
                    remote_object_tags::remote_object_id.eq(id),
                    remote_object_tags::tag.eq(tag),
                    remote_object_tags::created_at.eq(created_at),
                ))
                .on_conflict_do_nothing()
                .execute($c)
                .await?;
        }
    }};
}
pub(crate) use index_remote_object;

/// Drops the index rows of the remote objects `$filter` selects (an
/// expression on `remote_objects`), inside a transaction, before they are
/// tombstoned.
macro_rules! unindex_remote_objects {
    ($c:expr, $filter:expr) => {{
        use $crate::schema::{remote_object_tags, remote_objects};
        diesel::delete(
            remote_object_tags::table.filter(
                remote_object_tags::remote_object_id
                    .eq_any(remote_objects::table.filter($filter).select(remote_objects::id)),
            ),
        )
        .execute($c)
        .await?;
    }};
}
pub(crate) use unindex_remote_objects;

/// Tombstones the live remote objects `$filter` selects, inside a
/// transaction: out of the tag index, their content gone, each deletion
/// published to streaming clients. Evaluates to those events, for
/// [`Database::live_committed`] once the transaction is committed.
macro_rules! tombstone_remote_objects {
    ($c:expr, $filter:expr, $now:expr) => {{
        use $crate::live::LiveTx as _;
        $crate::tags::unindex_remote_objects!($c, $filter);
        let objects = $crate::schema::remote_objects::table;
        let ids: Vec<i64> =
            diesel::update(objects.filter($filter).filter($crate::schema::remote_objects::deleted.eq(false)))
                .set((
                    $crate::schema::remote_objects::deleted.eq(true),
                    $crate::schema::remote_objects::content_html.eq(None::<String>),
                    $crate::schema::remote_objects::raw_json.eq("{}"),
                    $crate::schema::remote_objects::updated_at.eq($now),
                ))
                .returning($crate::schema::remote_objects::id)
                .get_results($c)
                .await?;
        let mut events = Vec::with_capacity(ids.len());
        for id in ids {
            let event = $crate::live::LiveEvent::StatusDeleted { status: $crate::live::StatusKey::Remote(id) };
            $c.publish_live(&event).await?;
            events.push(event);
        }
        events
    }};
}
pub(crate) use tombstone_remote_objects;

/// Whether a remote object of this kind, with these tags, enters the index.
pub(crate) fn remote_keys(kind: &str, listed: bool, hashtags: &[String]) -> BTreeSet<String> {
    if listed && TIMELINE_KINDS.contains(&kind) { keys_of(hashtags) } else { BTreeSet::new() }
}

impl Database {
    /// Re-indexes up to `limit` local posts with ids above `after`; returns
    /// the last id seen, `None` when there were none left.
    pub async fn reindex_posts(&self, after: i64, limit: i64) -> Result<Option<i64>, DbError> {
        let mut conn = self.conn().await?;
        with_write_tx!(self, &mut conn, |c| {
            let page: Vec<Post> = posts::table
                .filter(posts::id.gt(after))
                .order(posts::id)
                .limit(limit)
                .select(Post::as_select())
                .load(c)
                .await?;
            for post in &page {
                index_post!(c, post);
            }
            Ok(page.last().map(|p| p.id))
        })
    }

    /// Up to `limit` remote objects with ids above `after`, by id, to re-index.
    pub async fn remote_objects_after(&self, after: i64, limit: i64) -> Result<Vec<RemoteObject>, DbError> {
        let mut conn = self.conn().await?;
        let rows = with_conn!(&mut conn, |c| remote_objects::table
            .filter(remote_objects::id.gt(after))
            .order(remote_objects::id)
            .limit(limit)
            .select(RemoteObject::as_select())
            .load(c)
            .await)?;
        Ok(rows)
    }

    /// Re-indexes remote objects: for each, its id, whether it is addressed
    /// to the public, and the names of its hashtags.
    pub async fn reindex_remote_objects(&self, objects: &[(i64, bool, Vec<String>)]) -> Result<(), DbError> {
        let mut conn = self.conn().await?;
        with_write_tx!(self, &mut conn, |c| {
            for (id, listed, hashtags) in objects {
                let row: Option<(String, bool, UtcTime)> = remote_objects::table
                    .find(id)
                    .select((remote_objects::kind, remote_objects::deleted, remote_objects::created_at))
                    .first(c)
                    .await
                    .optional()?;
                let Some((kind, deleted, created_at)) = row else { continue };
                let keys = if deleted { Default::default() } else { remote_keys(&kind, *listed, hashtags) };
                index_remote_object!(c, *id, created_at, keys);
            }
            Ok(())
        })
    }
}
