//! What members did with their conversations (the direct statuses of a
//! thread): read up to a time, or removed from their list. The
//! conversations themselves are read through the audience check
//! (`PostSource::Direct`, `RemoteSource::Direct`).

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::schema::conversation_marks;
use crate::{Database, DbError, UtcTime};

/// A member's mark on one conversation, named by its root's ActivityPub id.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = conversation_marks)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct ConversationMark {
    pub actor_id: i64,
    pub root_ap_id: String,
    pub read_at: Option<UtcTime>,
    pub removed_at: Option<UtcTime>,
}

impl Database {
    /// Marks a conversation read now and, when `remove`, removed from the
    /// member's list now.
    pub async fn mark_conversation(&self, actor_id: i64, root_ap_id: &str, remove: bool) -> Result<(), DbError> {
        let mut conn = self.write_conn().await?;
        let now = UtcTime::now();
        let removed_at = remove.then_some(now);
        with_conn!(&mut conn, |c| {
            let insert = diesel::insert_into(conversation_marks::table)
                .values((
                    conversation_marks::actor_id.eq(actor_id),
                    conversation_marks::root_ap_id.eq(root_ap_id),
                    conversation_marks::read_at.eq(Some(now)),
                    conversation_marks::removed_at.eq(removed_at),
                ))
                .on_conflict((conversation_marks::actor_id, conversation_marks::root_ap_id));
            if remove {
                insert
                    .do_update()
                    .set((conversation_marks::read_at.eq(Some(now)), conversation_marks::removed_at.eq(Some(now))))
                    .execute(c)
                    .await
            } else {
                insert.do_update().set(conversation_marks::read_at.eq(Some(now))).execute(c).await
            }
        })?;
        Ok(())
    }

    /// The member's marks on these conversations.
    pub async fn conversation_marks(&self, actor_id: i64, roots: &[String]) -> Result<Vec<ConversationMark>, DbError> {
        let mut conn = self.conn().await?;
        let rows = with_conn!(&mut conn, |c| conversation_marks::table
            .filter(conversation_marks::actor_id.eq(actor_id))
            .filter(conversation_marks::root_ap_id.eq_any(roots.to_vec()))
            .select(ConversationMark::as_select())
            .load(c)
            .await)?;
        Ok(rows)
    }
}
