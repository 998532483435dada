//! Announcements the hub's staff write for its members, and who has read
//! (dismissed) each.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::schema::{announcement_dismissals, announcements};
use crate::{Database, DbError, UtcTime};

/// An announcement as stored.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = announcements)]
pub struct Announcement {
    pub id: i64,
    /// What the staff wrote (Markdown).
    pub text: String,
    /// Its sanitised HTML.
    pub content: String,
    pub starts_at: Option<UtcTime>,
    pub ends_at: Option<UtcTime>,
    pub all_day: bool,
    pub published_at: UtcTime,
    pub updated_at: UtcTime,
}

/// An announcement to publish.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = announcements)]
pub struct NewAnnouncement<'a> {
    pub text: &'a str,
    pub content: &'a str,
    pub starts_at: Option<UtcTime>,
    pub ends_at: Option<UtcTime>,
    pub all_day: bool,
    pub published_at: UtcTime,
    pub updated_at: UtcTime,
}

impl Database {
    pub async fn insert_announcement(&self, new: &NewAnnouncement<'_>) -> Result<Announcement, DbError> {
        let mut conn = self.write_conn().await?;
        Ok(with_conn!(&mut conn, |c| diesel::insert_into(announcements::table)
            .values(new)
            .returning(Announcement::as_returning())
            .get_result(c)
            .await)?)
    }

    /// Withdraws an announcement; false when there was none with that id.
    pub async fn delete_announcement(&self, id: i64) -> Result<bool, DbError> {
        let mut conn = self.write_conn().await?;
        let deleted = with_conn!(&mut conn, |c| diesel::delete(announcements::table.find(id)).execute(c).await)?;
        Ok(deleted > 0)
    }

    /// Every announcement, newest first (for the staff).
    pub async fn announcements(&self) -> Result<Vec<Announcement>, DbError> {
        let mut conn = self.conn().await?;
        Ok(with_conn!(&mut conn, |c| announcements::table
            .order(announcements::id.desc())
            .select(Announcement::as_select())
            .load(c)
            .await)?)
    }

    /// The announcements shown at `now` (begun, not ended), newest first,
    /// each with whether the user `user_id` has dismissed it.
    pub async fn current_announcements(
        &self,
        now: UtcTime,
        user_id: i64,
    ) -> Result<Vec<(Announcement, bool)>, DbError> {
        let mut conn = self.conn().await?;
        let current: Vec<Announcement> = with_conn!(&mut conn, |c| announcements::table
            .filter(announcements::starts_at.is_null().or(announcements::starts_at.le(now)))
            .filter(announcements::ends_at.is_null().or(announcements::ends_at.gt(now)))
            .order(announcements::id.desc())
            .select(Announcement::as_select())
            .load(c)
            .await)?;
        let ids: Vec<i64> = current.iter().map(|a| a.id).collect();
        let read: Vec<i64> = with_conn!(&mut conn, |c| announcement_dismissals::table
            .filter(announcement_dismissals::user_id.eq(user_id))
            .filter(announcement_dismissals::announcement_id.eq_any(&ids))
            .select(announcement_dismissals::announcement_id)
            .load(c)
            .await)?;
        Ok(current
            .into_iter()
            .map(|a| {
                let dismissed = read.contains(&a.id);
                (a, dismissed)
            })
            .collect())
    }

    pub async fn announcement(&self, id: i64) -> Result<Option<Announcement>, DbError> {
        let mut conn = self.conn().await?;
        Ok(with_conn!(&mut conn, |c| announcements::table
            .find(id)
            .select(Announcement::as_select())
            .first(c)
            .await
            .optional())?)
    }

    /// Marks the announcement read by `user_id` (again is harmless).
    pub async fn dismiss_announcement(&self, id: i64, user_id: i64) -> Result<(), DbError> {
        let mut conn = self.write_conn().await?;
        with_conn!(&mut conn, |c| diesel::insert_into(announcement_dismissals::table)
            .values((announcement_dismissals::announcement_id.eq(id), announcement_dismissals::user_id.eq(user_id)))
            .on_conflict_do_nothing()
            .execute(c)
            .await)?;
        Ok(())
    }
}
