//! The cache of actors fetched from other servers.

use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::RunQueryDsl;

use crate::schema::remote_actors;
use crate::{Database, DbError, UtcTime};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = remote_actors)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct RemoteActor {
    pub id: i64,
    pub ap_id: String,
    pub actor_type: String,
    pub username: String,
    pub domain: String,
    pub display_name: Option<String>,
    pub summary: Option<String>,
    pub url: Option<String>,
    pub icon_url: Option<String>,
    pub inbox_url: String,
    pub shared_inbox_url: Option<String>,
    pub outbox_url: Option<String>,
    pub followers_url: Option<String>,
    pub public_key_id: String,
    pub public_key_pem: String,
    pub manually_approves_followers: bool,
    pub raw_json: String,
    pub fetched_at: UtcTime,
    pub created_at: UtcTime,
    pub updated_at: UtcTime,
    /// A remote enterprise's profile, when it publishes one (Maillage peers).
    pub profile_json: Option<String>,
    /// Suspended by a moderator: nothing of it is accepted.
    pub suspended: bool,
}

impl RemoteActor {
    /// Where to deliver to this actor: its shared inbox when it has one.
    pub fn delivery_inbox(&self) -> &str {
        self.shared_inbox_url.as_deref().unwrap_or(&self.inbox_url)
    }
}

/// A freshly fetched actor document, reduced to what we keep.
#[derive(Debug, Clone, PartialEq, Insertable, AsChangeset)]
#[diesel(table_name = remote_actors)]
pub struct NewRemoteActor {
    pub ap_id: String,
    pub actor_type: String,
    pub username: String,
    pub domain: String,
    pub display_name: Option<String>,
    pub summary: Option<String>,
    pub url: Option<String>,
    pub icon_url: Option<String>,
    pub inbox_url: String,
    pub shared_inbox_url: Option<String>,
    pub outbox_url: Option<String>,
    pub followers_url: Option<String>,
    pub public_key_id: String,
    pub public_key_pem: String,
    pub manually_approves_followers: bool,
    pub raw_json: String,
    pub profile_json: Option<String>,
}

impl Database {
    /// Inserts or refreshes a remote actor, keyed by its id.
    pub async fn upsert_remote_actor(&self, actor: &NewRemoteActor) -> Result<RemoteActor, DbError> {
        let mut conn = self.write_conn().await?;
        let now = UtcTime::now();
        let row = with_conn!(&mut conn, |c| diesel::insert_into(remote_actors::table)
            .values((
                actor,
                remote_actors::fetched_at.eq(now),
                remote_actors::created_at.eq(now),
                remote_actors::updated_at.eq(now),
            ))
            .on_conflict(remote_actors::ap_id)
            .do_update()
            .set((
                actor,
                remote_actors::fetched_at.eq(excluded(remote_actors::fetched_at)),
                remote_actors::updated_at.eq(excluded(remote_actors::updated_at)),
            ))
            .returning(RemoteActor::as_returning())
            .get_result(c)
            .await)?;
        Ok(row)
    }

    pub async fn remote_actor_by_ap_id(&self, ap_id: &str) -> Result<Option<RemoteActor>, DbError> {
        let mut conn = self.conn().await?;
        let row = with_conn!(&mut conn, |c| remote_actors::table
            .filter(remote_actors::ap_id.eq(ap_id))
            .select(RemoteActor::as_select())
            .first(c)
            .await
            .optional())?;
        Ok(row)
    }

    pub async fn remote_actor_by_handle(&self, username: &str, domain: &str) -> Result<Option<RemoteActor>, DbError> {
        let mut conn = self.conn().await?;
        let row = with_conn!(&mut conn, |c| remote_actors::table
            .filter(remote_actors::username.eq(username))
            .filter(remote_actors::domain.eq(domain))
            .order(remote_actors::fetched_at.desc())
            .select(RemoteActor::as_select())
            .first(c)
            .await
            .optional())?;
        Ok(row)
    }
}
