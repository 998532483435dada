//! Mutes and blocks of accounts by local actors, and what they hide.
//!
//! The account muted or blocked is named by its ActivityPub id (ours or
//! another server's). A block also ends the follows between the two
//! accounts, and is written with the `Block` that tells the other server,
//! in one transaction.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::lists::off_lists_of;
use crate::outbox::insert_outgoing;
use crate::schema::{blocks, follows, local_actors, local_follows, mutes};
use crate::{Database, DbError, ListMember, Outgoing, UtcTime};

/// A mute in force.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = mutes)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct Mute {
    pub id: i64,
    pub actor_id: i64,
    pub target_ap_id: String,
    /// Whether the account's notifications are hidden too.
    pub notifications: bool,
    pub expires_at: Option<UtcTime>,
    pub created_at: UtcTime,
}

/// A block.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = blocks)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct Block {
    pub id: i64,
    pub actor_id: i64,
    pub target_ap_id: String,
    /// The `Block` sent to a remote account, kept for its `Undo`.
    pub block_json: Option<String>,
    pub created_at: UtcTime,
}

/// The account a block is about, for the follows it ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blocked {
    /// One of our actors (its row id).
    Here(i64),
    /// An actor of another server (its `remote_actors` row id).
    Elsewhere(i64),
}

/// The accounts whose statuses or notifications a reader does not see:
/// those they mute or block, and our actors who block them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hidden {
    /// Their ActivityPub ids (remote authors, notifications' senders).
    pub ap_ids: Vec<String>,
    /// Those of them that are our actors (authors of our posts).
    pub local_ids: Vec<i64>,
}

impl Hidden {
    pub fn is_empty(&self) -> bool {
        self.ap_ids.is_empty()
    }
}

/// Mutes in force: without an end, or ending later.
macro_rules! live_mutes {
    ($actor_id:expr, $now:expr) => {
        mutes::table
            .filter(mutes::actor_id.eq($actor_id))
            .filter(mutes::expires_at.is_null().or(mutes::expires_at.gt($now)))
    };
}

impl Database {
    /// Mutes (or mutes again, with these settings) an account.
    pub async fn mute(
        &self,
        actor_id: i64,
        target_ap_id: &str,
        notifications: bool,
        expires_at: Option<UtcTime>,
    ) -> Result<(), DbError> {
        let mut conn = self.write_conn().await?;
        let now = UtcTime::now();
        with_conn!(&mut conn, |c| diesel::insert_into(mutes::table)
            .values((
                mutes::actor_id.eq(actor_id),
                mutes::target_ap_id.eq(target_ap_id),
                mutes::notifications.eq(notifications),
                mutes::expires_at.eq(expires_at),
                mutes::created_at.eq(now),
            ))
            .on_conflict((mutes::actor_id, mutes::target_ap_id))
            .do_update()
            .set((mutes::notifications.eq(notifications), mutes::expires_at.eq(expires_at)))
            .execute(c)
            .await)?;
        Ok(())
    }

    /// Ends a mute; returns whether there was one.
    pub async fn unmute(&self, actor_id: i64, target_ap_id: &str) -> Result<bool, DbError> {
        let mut conn = self.write_conn().await?;
        let n = with_conn!(&mut conn, |c| diesel::delete(
            mutes::table.filter(mutes::actor_id.eq(actor_id)).filter(mutes::target_ap_id.eq(target_ap_id))
        )
        .execute(c)
        .await)?;
        Ok(n > 0)
    }

    /// The mute in force of `target_ap_id` by `actor_id`.
    pub async fn mute_of(&self, actor_id: i64, target_ap_id: &str) -> Result<Option<Mute>, DbError> {
        let mut conn = self.conn().await?;
        let now = UtcTime::now();
        let row = with_conn!(&mut conn, |c| live_mutes!(actor_id, now)
            .filter(mutes::target_ap_id.eq(target_ap_id))
            .select(Mute::as_select())
            .first(c)
            .await
            .optional())?;
        Ok(row)
    }

    /// A page of the mutes in force of `actor_id`, newest first, before the mute `before`.
    pub async fn mutes_page(&self, actor_id: i64, before: Option<i64>, limit: i64) -> Result<Vec<Mute>, DbError> {
        let mut conn = self.conn().await?;
        let now = UtcTime::now();
        let rows = with_conn!(&mut conn, |c| live_mutes!(actor_id, now)
            .filter(mutes::id.lt(before.unwrap_or(i64::MAX)))
            .order(mutes::id.desc())
            .limit(limit)
            .select(Mute::as_select())
            .load(c)
            .await)?;
        Ok(rows)
    }

    /// Blocks an account: ends the follows between the two (both ways,
    /// requests included) and records `notify` (the `Block` for another
    /// server), in one transaction. Returns false when it was blocked already
    /// (nothing is sent again).
    pub async fn block(
        &self,
        actor_id: i64,
        target_ap_id: &str,
        blocked: Blocked,
        block_json: Option<&str>,
        notify: Option<&Outgoing>,
    ) -> Result<bool, DbError> {
        let mut conn = self.conn().await?;
        let now = UtcTime::now();
        with_enqueuing_tx!(self, &mut conn, |c| {
            let added = diesel::insert_into(blocks::table)
                .values((
                    blocks::actor_id.eq(actor_id),
                    blocks::target_ap_id.eq(target_ap_id),
                    blocks::block_json.eq(block_json),
                    blocks::created_at.eq(now),
                ))
                .on_conflict((blocks::actor_id, blocks::target_ap_id))
                .do_nothing()
                .execute(c)
                .await?;
            match blocked {
                Blocked::Here(other) => {
                    diesel::delete(
                        local_follows::table.filter(
                            (local_follows::follower_id.eq(actor_id).and(local_follows::followed_id.eq(other)))
                                .or(local_follows::follower_id.eq(other).and(local_follows::followed_id.eq(actor_id))),
                        ),
                    )
                    .execute(c)
                    .await?;
                    off_lists_of!(c, actor_id, ListMember::Local(other))?;
                    off_lists_of!(c, other, ListMember::Local(actor_id))?;
                }
                Blocked::Elsewhere(remote) => {
                    diesel::delete(
                        follows::table
                            .filter(follows::local_actor_id.eq(actor_id))
                            .filter(follows::remote_actor_id.eq(remote)),
                    )
                    .execute(c)
                    .await?;
                    off_lists_of!(c, actor_id, ListMember::Remote(remote))?;
                }
            }
            if added > 0
                && let Some(outgoing) = notify
            {
                insert_outgoing!(c, outgoing, now);
            }
            Ok(added > 0)
        })
    }

    /// Ends a block and records `notify` (the `Undo` for another server);
    /// returns whether there was one.
    pub async fn unblock(&self, actor_id: i64, target_ap_id: &str, notify: Option<&Outgoing>) -> Result<bool, DbError> {
        let mut conn = self.conn().await?;
        let now = UtcTime::now();
        with_enqueuing_tx!(self, &mut conn, |c| {
            let removed = diesel::delete(
                blocks::table.filter(blocks::actor_id.eq(actor_id)).filter(blocks::target_ap_id.eq(target_ap_id)),
            )
            .execute(c)
            .await?;
            if removed > 0
                && let Some(outgoing) = notify
            {
                insert_outgoing!(c, outgoing, now);
            }
            Ok(removed > 0)
        })
    }

    /// The block of `target_ap_id` by `actor_id`, if any.
    pub async fn block_of(&self, actor_id: i64, target_ap_id: &str) -> Result<Option<Block>, DbError> {
        let mut conn = self.conn().await?;
        let row = with_conn!(&mut conn, |c| blocks::table
            .filter(blocks::actor_id.eq(actor_id))
            .filter(blocks::target_ap_id.eq(target_ap_id))
            .select(Block::as_select())
            .first(c)
            .await
            .optional())?;
        Ok(row)
    }

    /// A page of the blocks of `actor_id`, newest first, before the block `before`.
    pub async fn blocks_page(&self, actor_id: i64, before: Option<i64>, limit: i64) -> Result<Vec<Block>, DbError> {
        let mut conn = self.conn().await?;
        let rows = with_conn!(&mut conn, |c| blocks::table
            .filter(blocks::actor_id.eq(actor_id))
            .filter(blocks::id.lt(before.unwrap_or(i64::MAX)))
            .order(blocks::id.desc())
            .limit(limit)
            .select(Block::as_select())
            .load(c)
            .await)?;
        Ok(rows)
    }

    /// Ends the follows between one of our actors and a remote one, both
    /// ways (a `Block` received from it): nothing is sent.
    pub async fn drop_follows_between(&self, local_actor_id: i64, remote_actor_id: i64) -> Result<usize, DbError> {
        let mut conn = self.write_conn().await?;
        let n = with_conn!(&mut conn, |c| diesel::delete(
            follows::table
                .filter(follows::local_actor_id.eq(local_actor_id))
                .filter(follows::remote_actor_id.eq(remote_actor_id))
        )
        .execute(c)
        .await)?;
        Ok(n)
    }

    /// What `reader` (one of our actors, with its ActivityPub id) does not
    /// see: the accounts it blocks, those of ours that block it, and those it
    /// mutes (for notifications, only the mutes that include them).
    pub async fn hidden_from(&self, reader: i64, reader_ap_id: &str, notifications: bool) -> Result<Hidden, DbError> {
        let mut conn = self.conn().await?;
        let now = UtcTime::now();
        let mut ap_ids: Vec<String> = with_conn!(&mut conn, |c| {
            let mut query = live_mutes!(reader, now).select(mutes::target_ap_id).into_boxed();
            if notifications {
                query = query.filter(mutes::notifications.eq(true));
            }
            query.load(c).await
        })?;
        let blocked: Vec<String> = with_conn!(&mut conn, |c| blocks::table
            .filter(blocks::actor_id.eq(reader))
            .select(blocks::target_ap_id)
            .load(c)
            .await)?;
        let blockers: Vec<String> = with_conn!(&mut conn, |c| blocks::table
            .inner_join(local_actors::table.on(local_actors::id.eq(blocks::actor_id)))
            .filter(blocks::target_ap_id.eq(reader_ap_id))
            .select(local_actors::ap_id)
            .load(c)
            .await)?;
        ap_ids.extend(blocked);
        ap_ids.extend(blockers);
        ap_ids.sort();
        ap_ids.dedup();
        if ap_ids.is_empty() {
            return Ok(Hidden::default());
        }
        let local_ids: Vec<i64> = with_conn!(&mut conn, |c| local_actors::table
            .filter(local_actors::ap_id.eq_any(ap_ids.clone()))
            .select(local_actors::id)
            .load(c)
            .await)?;
        Ok(Hidden { ap_ids, local_ids })
    }
}
