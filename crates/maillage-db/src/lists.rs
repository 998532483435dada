//! A member's lists of accounts, and who is on them. Lists are private:
//! every read here names the list's owner, and the use cases check it.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use maillage_domain::reading::RepliesPolicy;

use crate::schema::{list_accounts, lists, local_actors, remote_actors};
use crate::{Database, DbError, LocalActor, RemoteActor, UtcTime};

/// Takes `$member` (a `ListMember`) off the lists of `$owner_id`: what
/// ending a follow does, in the transaction that ends it (as Mastodon, a
/// list holds only accounts its owner follows).
macro_rules! off_lists_of {
    ($c:expr, $owner_id:expr, $member:expr) => {{
        use crate::schema::{list_accounts as held, lists as owned};
        let owners_lists = owned::table.filter(owned::actor_id.eq($owner_id)).select(owned::id);
        let on_lists = held::table.filter(held::list_id.eq_any(owners_lists));
        match $member {
            crate::ListMember::Local(id) => {
                diesel::delete(on_lists.filter(held::local_actor_id.eq(id))).execute($c).await
            }
            crate::ListMember::Remote(id) => {
                diesel::delete(on_lists.filter(held::remote_actor_id.eq(id))).execute($c).await
            }
        }
    }};
}
pub(crate) use off_lists_of;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = lists)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct List {
    pub id: i64,
    /// The member whose list it is.
    pub actor_id: i64,
    pub title: String,
    #[diesel(deserialize_as = String)]
    pub replies_policy: RepliesPolicy,
    pub exclusive: bool,
    pub created_at: UtcTime,
}

/// What a list is made of, new or changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListFields {
    pub title: String,
    pub replies_policy: RepliesPolicy,
    pub exclusive: bool,
}

/// An account on a list: one of ours or another server's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListMember {
    Local(i64),
    Remote(i64),
}

/// The accounts on a list.
#[derive(Debug, Clone, Default)]
pub struct ListMembers {
    pub local: Vec<LocalActor>,
    pub remote: Vec<RemoteActor>,
}

impl Database {
    pub async fn create_list(&self, actor_id: i64, fields: &ListFields) -> Result<List, DbError> {
        let mut conn = self.write_conn().await?;
        let now = UtcTime::now();
        let list = with_conn!(&mut conn, |c| diesel::insert_into(lists::table)
            .values((
                lists::actor_id.eq(actor_id),
                lists::title.eq(&fields.title),
                lists::replies_policy.eq(fields.replies_policy.as_str()),
                lists::exclusive.eq(fields.exclusive),
                lists::created_at.eq(now),
            ))
            .returning(List::as_returning())
            .get_result(c)
            .await)?;
        Ok(list)
    }

    pub async fn update_list(&self, id: i64, fields: &ListFields) -> Result<List, DbError> {
        let mut conn = self.write_conn().await?;
        let list = with_conn!(&mut conn, |c| diesel::update(lists::table.find(id))
            .set((
                lists::title.eq(&fields.title),
                lists::replies_policy.eq(fields.replies_policy.as_str()),
                lists::exclusive.eq(fields.exclusive),
            ))
            .returning(List::as_returning())
            .get_result(c)
            .await)?;
        Ok(list)
    }

    pub async fn delete_list(&self, id: i64) -> Result<(), DbError> {
        let mut conn = self.conn().await?;
        with_write_tx!(self, &mut conn, |c| {
            diesel::delete(list_accounts::table.filter(list_accounts::list_id.eq(id))).execute(c).await?;
            diesel::delete(lists::table.find(id)).execute(c).await?;
            Ok(())
        })
    }

    pub async fn list_by_id(&self, id: i64) -> Result<Option<List>, DbError> {
        let mut conn = self.conn().await?;
        let list =
            with_conn!(&mut conn, |c| lists::table.find(id).select(List::as_select()).first(c).await.optional())?;
        Ok(list)
    }

    /// A member's lists, oldest first.
    pub async fn lists_of(&self, actor_id: i64) -> Result<Vec<List>, DbError> {
        let mut conn = self.conn().await?;
        let rows = with_conn!(&mut conn, |c| lists::table
            .filter(lists::actor_id.eq(actor_id))
            .order(lists::id.asc())
            .select(List::as_select())
            .load(c)
            .await)?;
        Ok(rows)
    }

    /// Who is on a member's exclusive lists: their posts are shown on
    /// those lists and not on the member's home timeline.
    pub async fn exclusive_list_members(&self, actor_id: i64) -> Result<ListMembers, DbError> {
        let mut conn = self.conn().await?;
        let (local, remote) = with_conn!(&mut conn, |c| {
            let exclusive = || {
                lists::table.filter(lists::actor_id.eq(actor_id)).filter(lists::exclusive.eq(true)).select(lists::id)
            };
            let local = list_accounts::table
                .inner_join(local_actors::table.on(list_accounts::local_actor_id.eq(local_actors::id.nullable())))
                .filter(list_accounts::list_id.eq_any(exclusive()))
                .select(LocalActor::as_select())
                .load::<LocalActor>(c)
                .await?;
            let remote = list_accounts::table
                .inner_join(remote_actors::table.on(list_accounts::remote_actor_id.eq(remote_actors::id.nullable())))
                .filter(list_accounts::list_id.eq_any(exclusive()))
                .select(RemoteActor::as_select())
                .load::<RemoteActor>(c)
                .await?;
            Ok::<_, diesel::result::Error>((local, remote))
        })?;
        // An account on two exclusive lists comes twice.
        let (mut local, mut remote): (Vec<LocalActor>, Vec<RemoteActor>) = (local, remote);
        local.sort_by_key(|a| a.id);
        local.dedup_by_key(|a| a.id);
        remote.sort_by_key(|a| a.id);
        remote.dedup_by_key(|a| a.id);
        Ok(ListMembers { local, remote })
    }

    /// A member's lists that hold `member`.
    pub async fn lists_holding(&self, actor_id: i64, member: ListMember) -> Result<Vec<List>, DbError> {
        let mut conn = self.conn().await?;
        let rows = with_conn!(&mut conn, |c| {
            let mut holding = list_accounts::table.select(list_accounts::list_id).into_boxed();
            holding = match member {
                ListMember::Local(id) => holding.filter(list_accounts::local_actor_id.eq(id)),
                ListMember::Remote(id) => holding.filter(list_accounts::remote_actor_id.eq(id)),
            };
            lists::table
                .filter(lists::actor_id.eq(actor_id))
                .filter(lists::id.eq_any(holding))
                .order(lists::id.asc())
                .select(List::as_select())
                .load(c)
                .await
        })?;
        Ok(rows)
    }

    /// The accounts on a list, in the order they were added.
    pub async fn list_members(&self, list_id: i64) -> Result<ListMembers, DbError> {
        let mut conn = self.conn().await?;
        let members = with_conn!(&mut conn, |c| {
            let local = list_accounts::table
                .inner_join(local_actors::table.on(list_accounts::local_actor_id.eq(local_actors::id.nullable())))
                .filter(list_accounts::list_id.eq(list_id))
                .order(list_accounts::id.asc())
                .select(LocalActor::as_select())
                .load(c)
                .await?;
            let remote = list_accounts::table
                .inner_join(remote_actors::table.on(list_accounts::remote_actor_id.eq(remote_actors::id.nullable())))
                .filter(list_accounts::list_id.eq(list_id))
                .order(list_accounts::id.asc())
                .select(RemoteActor::as_select())
                .load(c)
                .await?;
            Ok::<_, diesel::result::Error>(ListMembers { local, remote })
        })?;
        Ok(members)
    }

    /// Puts accounts on a list (those already on it stay as they are).
    pub async fn add_list_members(&self, list_id: i64, members: &[ListMember]) -> Result<(), DbError> {
        let mut conn = self.conn().await?;
        let now = UtcTime::now();
        with_write_tx!(self, &mut conn, |c| {
            for member in members {
                let (local, remote) = match *member {
                    ListMember::Local(id) => (Some(id), None),
                    ListMember::Remote(id) => (None, Some(id)),
                };
                diesel::insert_into(list_accounts::table)
                    .values((
                        list_accounts::list_id.eq(list_id),
                        list_accounts::local_actor_id.eq(local),
                        list_accounts::remote_actor_id.eq(remote),
                        list_accounts::created_at.eq(now),
                    ))
                    .on_conflict_do_nothing()
                    .execute(c)
                    .await?;
            }
            Ok(())
        })
    }

    /// Takes accounts off a list.
    pub async fn remove_list_members(&self, list_id: i64, members: &[ListMember]) -> Result<(), DbError> {
        let mut conn = self.conn().await?;
        with_write_tx!(self, &mut conn, |c| {
            for member in members {
                let on_list = list_accounts::table.filter(list_accounts::list_id.eq(list_id)).into_boxed();
                let on_list = match *member {
                    ListMember::Local(id) => on_list.filter(list_accounts::local_actor_id.eq(id)),
                    ListMember::Remote(id) => on_list.filter(list_accounts::remote_actor_id.eq(id)),
                };
                diesel::delete(
                    list_accounts::table.filter(list_accounts::id.eq_any(on_list.select(list_accounts::id))),
                )
                .execute(c)
                .await?;
            }
            Ok(())
        })
    }
}
