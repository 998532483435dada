//! Notifications of local actors: follows, mentions, reshares and likes.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use maillage_domain::NotificationKind;

use crate::live::LiveTx;
use crate::push::queue_pushes;
use crate::schema::notifications;
use crate::{Database, DbError, UtcTime};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = notifications)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct Notification {
    pub id: i64,
    pub actor_id: i64,
    #[diesel(deserialize_as = String)]
    pub kind: NotificationKind,
    pub from_ap_id: String,
    pub object_ap_id: Option<String>,
    pub dismissed: bool,
    pub created_at: UtcTime,
}

impl Database {
    /// Stores a notification and, in the same transaction, the Web Push
    /// messages its subscriptions want ([`crate::push`]).
    pub async fn notify(
        &self,
        actor_id: i64,
        kind: NotificationKind,
        from: &str,
        object: Option<&str>,
    ) -> Result<(), DbError> {
        let mut conn = self.conn().await?;
        let now = UtcTime::now();
        let event = |id| crate::LiveEvent::NotificationCreated { notification: id, recipient: actor_id };
        let (id, pushes) = with_write_tx!(self, &mut conn, |c| {
            let id: i64 = diesel::insert_into(notifications::table)
                .values((
                    notifications::actor_id.eq(actor_id),
                    notifications::kind.eq(kind.as_str()),
                    notifications::from_ap_id.eq(from),
                    notifications::object_ap_id.eq(object),
                    notifications::created_at.eq(now),
                ))
                .returning(notifications::id)
                .get_result(c)
                .await?;
            let pushes = queue_pushes!(c, id, actor_id, kind, from, now);
            c.publish_live(&event(id)).await?;
            Ok((id, pushes))
        })?;
        self.live_committed(&[event(id)]);
        if pushes > 0 {
            self.push_changed();
        }
        Ok(())
    }

    /// Undismissed notifications of these actors, newest first, before
    /// `before`; of these kinds only when given.
    pub async fn notifications_page(
        &self,
        actor_ids: &[i64],
        kinds: Option<&[NotificationKind]>,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<Notification>, DbError> {
        self.notifications_page_hiding(actor_ids, kinds, before, limit, &[]).await
    }

    /// [`Database::notifications_page`] without those from the `hidden` accounts.
    pub async fn notifications_page_hiding(
        &self,
        actor_ids: &[i64],
        kinds: Option<&[NotificationKind]>,
        before: Option<i64>,
        limit: i64,
        hidden: &[String],
    ) -> Result<Vec<Notification>, DbError> {
        let mut conn = self.conn().await?;
        let before = before.unwrap_or(i64::MAX);
        let rows = with_conn!(&mut conn, |c| {
            let mut query = notifications::table
                .filter(notifications::actor_id.eq_any(actor_ids.to_vec()))
                .filter(notifications::dismissed.eq(false))
                .filter(notifications::id.lt(before))
                .into_boxed();
            if !hidden.is_empty() {
                query = query.filter(notifications::from_ap_id.ne_all(hidden.to_vec()));
            }
            if let Some(kinds) = kinds {
                query = query.filter(notifications::kind.eq_any(kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>()));
            }
            query.order(notifications::id.desc()).limit(limit).select(Notification::as_select()).load(c).await
        })?;
        Ok(rows)
    }

    /// Dismisses one notification (`Some(id)`) or all of them; returns how many.
    pub async fn dismiss_notifications(&self, actor_ids: &[i64], id: Option<i64>) -> Result<usize, DbError> {
        let mut conn = self.write_conn().await?;
        let n = with_conn!(&mut conn, |c| {
            let mut query = diesel::update(notifications::table)
                .filter(notifications::actor_id.eq_any(actor_ids.to_vec()))
                .into_boxed();
            if let Some(id) = id {
                query = query.filter(notifications::id.eq(id));
            }
            query.set(notifications::dismissed.eq(true)).execute(c).await
        })?;
        Ok(n)
    }

    /// Whether this actor already reacted (`like`/`announce`) to an object.
    pub async fn has_reacted(
        &self,
        kind: crate::ReactionKind,
        object: &str,
        actor: &str,
    ) -> Result<Option<String>, DbError> {
        use crate::schema::reactions;
        let kind = match kind {
            crate::ReactionKind::Like => "like",
            crate::ReactionKind::Announce => "announce",
        };
        let mut conn = self.conn().await?;
        let id = with_conn!(&mut conn, |c| reactions::table
            .filter(reactions::kind.eq(kind))
            .filter(reactions::object_ap_id.eq(object))
            .filter(reactions::actor_ap_id.eq(actor))
            .select(reactions::activity_ap_id)
            .first(c)
            .await
            .optional())?;
        Ok(id)
    }
}
