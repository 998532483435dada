//! Reading for the web pages: an enterprise's public posts, the adaptations
//! of a practice (keyset pages by id), and the rows the network directory
//! is built from.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::schema::{local_actors, posts};
use crate::{Database, DbError, ListingHub, Post};

/// An enterprise as the network directory lists it: ours or another hub's.
#[derive(Debug, Clone, PartialEq)]
pub struct DirectoryRow {
    pub username: String,
    /// Its ActivityPub id.
    pub ap_id: String,
    /// The other hub's domain; `None` for our own enterprises.
    pub domain: Option<String>,
    pub display_name: Option<String>,
    /// The page to link to: a remote actor's `url` when it has one, else its id.
    pub page: String,
    /// `maillage_domain::EnterpriseProfile` as JSON.
    pub profile_json: Option<String>,
    /// The hub that lists it: ours for our enterprises (`None` only before
    /// our hub's actor exists), else the followed hub chosen by
    /// [`Database::listed_remote_enterprises_with_hubs`].
    pub hub: Option<ListingHub>,
}

impl Database {
    /// Every enterprise of this instance, and up to `remote_limit` of other
    /// hubs (see [`Database::listed_remote_enterprises`]: listed by a hub we
    /// follow, with a profile, not suspended, at most `max_per_server` per
    /// server): only the columns the directory shows, each with its hub.
    pub async fn directory_rows(&self, max_per_server: i64, remote_limit: i64) -> Result<Vec<DirectoryRow>, DbError> {
        let mut conn = self.conn().await?;
        let local: Vec<(String, String, String, Option<String>)> = with_conn!(&mut conn, |c| local_actors::table
            .filter(local_actors::kind.eq(maillage_domain::ActorKind::Enterprise.as_str()))
            .filter(local_actors::deleted_at.is_null())
            .order(local_actors::username)
            .select((
                local_actors::username,
                local_actors::display_name,
                local_actors::ap_id,
                local_actors::profile_json
            ))
            .load(c)
            .await)?;
        let our_hub: Option<(String, String, String)> = with_conn!(&mut conn, |c| local_actors::table
            .filter(local_actors::kind.eq(maillage_domain::ActorKind::Hub.as_str()))
            .order(local_actors::id)
            .select((local_actors::ap_id, local_actors::username, local_actors::display_name))
            .first(c)
            .await
            .optional())?;
        drop(conn);
        let our_hub = our_hub.map(|(ap_id, username, display_name)| ListingHub {
            page: ap_id.clone(),
            ap_id,
            username,
            domain: None,
            display_name: Some(display_name),
        });
        let remote = self.listed_remote_enterprises_with_hubs(max_per_server, remote_limit).await?;
        let local = local.into_iter().map(|(username, display_name, ap_id, profile_json)| DirectoryRow {
            username,
            ap_id: ap_id.clone(),
            domain: None,
            display_name: Some(display_name),
            page: ap_id,
            profile_json,
            hub: our_hub.clone(),
        });
        let remote = remote.into_iter().map(|listed| DirectoryRow {
            username: listed.enterprise.username,
            ap_id: listed.enterprise.ap_id.clone(),
            domain: Some(listed.enterprise.domain),
            display_name: listed.enterprise.display_name,
            page: listed.enterprise.url.unwrap_or(listed.enterprise.ap_id),
            profile_json: listed.enterprise.profile_json,
            hub: Some(listed.hub),
        });
        Ok(local.chain(remote).collect())
    }

    /// Public, live posts of an actor of one kind (`note` or `article`),
    /// newest first, before the post `before`.
    pub async fn public_posts_of(
        &self,
        actor_id: i64,
        kind: maillage_domain::PostKind,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<Post>, DbError> {
        let mut conn = self.conn().await?;
        let rows = with_conn!(&mut conn, |c| posts::table
            .filter(posts::actor_id.eq(actor_id))
            .filter(posts::kind.eq(kind.as_str()))
            .filter(posts::visibility.eq(maillage_domain::Visibility::Public.as_str()))
            .filter(posts::deleted_at.is_null())
            .filter(posts::id.lt(before.unwrap_or(i64::MAX)))
            .order(posts::id.desc())
            .limit(limit)
            .select(Post::as_select())
            .load(c)
            .await)?;
        Ok(rows)
    }

    /// Live local practices adapted from the practice `ap_id`.
    pub async fn adaptations_of(&self, ap_id: &str, limit: i64) -> Result<Vec<Post>, DbError> {
        let mut conn = self.conn().await?;
        let rows = with_conn!(&mut conn, |c| posts::table
            .filter(posts::adapted_from.eq(ap_id))
            .filter(posts::deleted_at.is_null())
            .filter(posts::visibility.eq(maillage_domain::Visibility::Public.as_str()))
            .order(posts::id.desc())
            .limit(limit)
            .select(Post::as_select())
            .load(c)
            .await)?;
        Ok(rows)
    }
}
