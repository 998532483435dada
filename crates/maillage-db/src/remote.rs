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
    /// The `totalItems` its collections gave when last read (`None`: not said).
    pub followers_count: Option<i64>,
    pub following_count: Option<i64>,
    pub statuses_count: Option<i64>,
}

/// The sizes a remote actor's collections give (`totalItems`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CollectionCounts {
    pub followers: Option<i64>,
    pub following: Option<i64>,
    pub statuses: Option<i64>,
}

impl RemoteActor {
    /// Where to deliver to this actor: its shared inbox when it has one.
    /// Only an inbox on the actor's own server counts: `None` for an actor
    /// stored before that rule whose inboxes are elsewhere (nothing is sent
    /// until its document is fetched again).
    pub fn delivery_inbox(&self) -> Option<&str> {
        delivery_inbox(&self.ap_id, self.shared_inbox_url.as_deref(), &self.inbox_url)
    }
}

/// The shared inbox, else the inbox, of the actor `actor`, if on its server.
pub(crate) fn delivery_inbox<'a>(actor: &str, shared: Option<&'a str>, inbox: &'a str) -> Option<&'a str> {
    let server =
        |url: &str| url::Url::parse(url).ok().map(|u| (u.host_str().map(str::to_string), u.port_or_known_default()));
    let home = server(actor)?;
    shared.into_iter().chain(std::iter::once(inbox)).find(|candidate| server(candidate).as_ref() == Some(&home))
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
    /// Records the sizes a remote actor's collections gave.
    pub async fn set_remote_actor_counts(&self, ap_id: &str, counts: CollectionCounts) -> Result<(), DbError> {
        let mut conn = self.write_conn().await?;
        with_conn!(&mut conn, |c| diesel::update(remote_actors::table.filter(remote_actors::ap_id.eq(ap_id)))
            .set((
                remote_actors::followers_count.eq(counts.followers),
                remote_actors::following_count.eq(counts.following),
                remote_actors::statuses_count.eq(counts.statuses),
            ))
            .execute(c)
            .await)?;
        Ok(())
    }

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

#[cfg(test)]
mod tests {
    use super::delivery_inbox;

    #[test]
    fn only_inboxes_on_the_actors_own_server_are_delivered_to() {
        let actor = "https://a.example/users/ana";
        let cases = [
            (Some("https://a.example/inbox"), "https://a.example/users/ana/inbox", Some("https://a.example/inbox")),
            (None, "https://a.example/users/ana/inbox", Some("https://a.example/users/ana/inbox")),
            // A shared inbox elsewhere: the actor's own inbox instead.
            (
                Some("https://b.example/inbox"),
                "https://a.example/users/ana/inbox",
                Some("https://a.example/users/ana/inbox"),
            ),
            (Some("http://127.0.0.1:2375/x"), "https://b.example/inbox", None),
            (None, "https://a.example:8443/inbox", None),
        ];
        for (shared, inbox, expected) in cases {
            assert_eq!(delivery_inbox(actor, shared, inbox), expected, "{shared:?} {inbox}");
        }
    }
}
