//! A member's saved statuses: their bookmarks, and the statuses they liked
//! (read from `reactions`), each listed newest first and paged on its own
//! row id, as Mastodon pages them.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::schema::{bookmarks, reactions};
use crate::{Database, DbError, UtcTime};

/// A bookmark or a like: its row id (the page cursor) and the status it
/// names. Who may see the status is checked when it is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedStatus {
    pub id: i64,
    pub object_ap_id: String,
}

/// Which page of saved statuses to read, by row id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdPage {
    /// Only rows before this one (`max_id`).
    pub older_than: Option<i64>,
    /// Only rows after this one (`since_id`, `min_id`).
    pub newer_than: Option<i64>,
    /// The rows right after `newer_than` (`min_id`) rather than the newest.
    pub oldest_first: bool,
    pub limit: i64,
}

/// Applies an [`IdPage`] to a boxed query and reads `(id, object)` pairs,
/// newest first.
macro_rules! id_paged {
    ($query:expr, $id:expr, $object:expr, $page:expr, $c:expr) => {{
        let page: &IdPage = $page;
        let mut query = $query;
        if let Some(id) = page.older_than {
            query = query.filter($id.lt(id));
        }
        if let Some(id) = page.newer_than {
            query = query.filter($id.gt(id));
        }
        let query = if page.oldest_first { query.order($id.asc()) } else { query.order($id.desc()) };
        let mut rows: Vec<(i64, String)> = query.limit(page.limit).select(($id, $object)).load($c).await?;
        if page.oldest_first {
            rows.reverse();
        }
        Ok::<_, diesel::result::Error>(
            rows.into_iter().map(|(id, object_ap_id)| SavedStatus { id, object_ap_id }).collect::<Vec<_>>(),
        )
    }};
}

impl Database {
    /// Bookmarks a status for a member (again: nothing changes).
    pub async fn add_bookmark(&self, actor_id: i64, object_ap_id: &str) -> Result<(), DbError> {
        let mut conn = self.write_conn().await?;
        let now = UtcTime::now();
        with_conn!(&mut conn, |c| diesel::insert_into(bookmarks::table)
            .values((
                bookmarks::actor_id.eq(actor_id),
                bookmarks::object_ap_id.eq(object_ap_id),
                bookmarks::created_at.eq(now),
            ))
            .on_conflict_do_nothing()
            .execute(c)
            .await)?;
        Ok(())
    }

    /// Removes a member's bookmark; whether there was one.
    pub async fn remove_bookmark(&self, actor_id: i64, object_ap_id: &str) -> Result<bool, DbError> {
        let mut conn = self.write_conn().await?;
        let removed = with_conn!(&mut conn, |c| diesel::delete(
            bookmarks::table.filter(bookmarks::actor_id.eq(actor_id)).filter(bookmarks::object_ap_id.eq(object_ap_id))
        )
        .execute(c)
        .await)?;
        Ok(removed > 0)
    }

    /// A page of a member's bookmarks, newest first.
    pub async fn bookmarks_page(&self, actor_id: i64, page: &IdPage) -> Result<Vec<SavedStatus>, DbError> {
        let mut conn = self.conn().await?;
        let rows = with_conn!(&mut conn, |c| id_paged!(
            bookmarks::table.filter(bookmarks::actor_id.eq(actor_id)).into_boxed(),
            bookmarks::id,
            bookmarks::object_ap_id,
            page,
            c
        ))?;
        Ok(rows)
    }

    /// A page of the statuses an actor liked, newest like first.
    pub async fn liked_page(&self, actor_ap_id: &str, page: &IdPage) -> Result<Vec<SavedStatus>, DbError> {
        let mut conn = self.conn().await?;
        let rows = with_conn!(&mut conn, |c| id_paged!(
            reactions::table
                .filter(reactions::actor_ap_id.eq(actor_ap_id))
                .filter(reactions::kind.eq("like"))
                .into_boxed(),
            reactions::id,
            reactions::object_ap_id,
            page,
            c
        ))?;
        Ok(rows)
    }
}
