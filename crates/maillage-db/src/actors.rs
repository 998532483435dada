//! Local actors (instance actor, hub, enterprises, members) and member accounts.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use maillage_domain::{ActorKind, Handle};

use crate::live::{LiveEvent, LiveTx, StatusKey};
use crate::outbox::insert_outgoing;
use crate::schema::{local_actors, users};
use crate::{Database, DbError, Outgoing, UtcTime};

/// An actor published by this instance, as stored.
#[derive(Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = local_actors)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct LocalActor {
    pub id: i64,
    kind: String,
    pub username: String,
    pub ap_id: String,
    pub display_name: String,
    pub summary: String,
    pub public_key_pem: String,
    /// Never logged, never served: used only to sign our requests.
    pub private_key_pem: String,
    pub manually_approves_followers: bool,
    pub discoverable: bool,
    pub created_at: UtcTime,
    pub updated_at: UtcTime,
    /// The enterprise profile (JSON of `maillage_domain::EnterpriseProfile`).
    pub profile_json: Option<String>,
    /// When a deleted enterprise was deleted: its row stays as a tombstone
    /// (the handle reserved, the keys signing its queued `Delete`).
    pub deleted_at: Option<UtcTime>,
    /// The media-store key of its icon (avatar or logo); `None`: the default.
    pub icon_key: Option<String>,
    /// The media-store key of its image (header or banner).
    pub image_key: Option<String>,
}

/// Everything but the private key, which must never reach a log.
impl std::fmt::Debug for LocalActor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalActor")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("username", &self.username)
            .field("ap_id", &self.ap_id)
            .field("private_key_pem", &"<redacted>")
            .finish_non_exhaustive()
    }
}

impl LocalActor {
    pub fn kind(&self) -> ActorKind {
        // The CHECK constraint only admits known kinds.
        self.kind.parse().unwrap_or(ActorKind::Member)
    }

    pub fn is_deleted(&self) -> bool {
        self.deleted_at.is_some()
    }

    /// False for an enterprise created by an import whose key pair is still
    /// to be generated (its key columns are empty until then).
    pub fn has_keys(&self) -> bool {
        !self.public_key_pem.is_empty() && !self.private_key_pem.is_empty()
    }
}

/// What it takes to create a local actor.
/// What deleting a local actor ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletedActor {
    /// How many live posts it had.
    pub posts: usize,
    /// The media store keys of its uploads and pictures, for the caller to
    /// delete once the deletion is committed.
    pub file_keys: Vec<String>,
}

#[derive(Clone)]
pub struct NewLocalActor {
    pub kind: ActorKind,
    pub username: Handle,
    pub ap_id: String,
    pub display_name: String,
    pub summary: String,
    pub public_key_pem: String,
    pub private_key_pem: String,
}

impl std::fmt::Debug for NewLocalActor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewLocalActor")
            .field("kind", &self.kind)
            .field("username", &self.username)
            .field("ap_id", &self.ap_id)
            .field("private_key_pem", &"<redacted>")
            .finish_non_exhaustive()
    }
}

/// A member's log-in account.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub password_hash: String,
    pub is_admin: bool,
    /// Lower-cased; members may log in with it.
    pub email: Option<String>,
    /// False for a registration that awaits an admin's approval.
    pub approved: bool,
    /// The hash of the invite code this registration uses up.
    pub invite_hash: Option<String>,
    /// The hash of the claim link this account is opened with: the account
    /// becomes the owner of the link's enterprise, in the same transaction.
    pub claim_hash: Option<String>,
}

/// Counts of local actors by kind, for NodeInfo and the admin.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ActorCounts {
    pub enterprises: i64,
    pub members: i64,
}

#[derive(Insertable)]
#[diesel(table_name = local_actors)]
struct LocalActorRow<'a> {
    kind: &'a str,
    username: &'a str,
    ap_id: &'a str,
    display_name: &'a str,
    summary: &'a str,
    public_key_pem: &'a str,
    private_key_pem: &'a str,
    created_at: UtcTime,
    updated_at: UtcTime,
}

fn insert_values(new: &NewLocalActor, now: UtcTime) -> LocalActorRow<'_> {
    LocalActorRow {
        kind: new.kind.as_str(),
        username: new.username.as_str(),
        ap_id: &new.ap_id,
        display_name: &new.display_name,
        summary: &new.summary,
        public_key_pem: &new.public_key_pem,
        private_key_pem: &new.private_key_pem,
        created_at: now,
        updated_at: now,
    }
}

/// The columns a new row is read back with: all but `deleted_at`, which a
/// new actor has not (and which the rows the migration tests write, as an
/// older release did, lack).
type CreatedRow =
    (i64, String, String, String, String, String, String, String, bool, bool, UtcTime, UtcTime, Option<String>);

macro_rules! created_columns {
    () => {
        (
            local_actors::id,
            local_actors::kind,
            local_actors::username,
            local_actors::ap_id,
            local_actors::display_name,
            local_actors::summary,
            local_actors::public_key_pem,
            local_actors::private_key_pem,
            local_actors::manually_approves_followers,
            local_actors::discoverable,
            local_actors::created_at,
            local_actors::updated_at,
            local_actors::profile_json,
        )
    };
}

fn created(row: CreatedRow) -> LocalActor {
    let (
        id,
        kind,
        username,
        ap_id,
        display_name,
        summary,
        public_key_pem,
        private_key_pem,
        manual,
        discoverable,
        created_at,
        updated_at,
        profile_json,
    ) = row;
    LocalActor {
        id,
        kind,
        username,
        ap_id,
        display_name,
        summary,
        public_key_pem,
        private_key_pem,
        manually_approves_followers: manual,
        discoverable,
        created_at,
        updated_at,
        profile_json,
        deleted_at: None,
        icon_key: None,
        image_key: None,
    }
}

impl Database {
    /// Creates a local actor; a taken username gives [`DbError::is_unique_violation`].
    pub async fn create_local_actor(&self, new: &NewLocalActor) -> Result<LocalActor, DbError> {
        let mut conn = self.write_conn().await?;
        let now = UtcTime::now();
        let row: CreatedRow = with_conn!(&mut conn, |c| diesel::insert_into(local_actors::table)
            .values(insert_values(new, now))
            .returning(created_columns!())
            .get_result(c)
            .await)?;
        Ok(created(row))
    }

    /// Creates a local actor with the activities that announce it (the
    /// hub's `Add`), together or not at all; a taken username gives
    /// [`DbError::is_unique_violation`].
    pub async fn create_local_actor_announced(
        &self,
        new: &NewLocalActor,
        notify: &[Outgoing],
    ) -> Result<LocalActor, DbError> {
        let mut conn = self.conn().await?;
        let now = UtcTime::now();
        with_enqueuing_tx!(self, &mut conn, |c| {
            let actor = diesel::insert_into(local_actors::table)
                .values(insert_values(new, now))
                .returning(LocalActor::as_returning())
                .get_result(c)
                .await?;
            for outgoing in notify {
                insert_outgoing!(c, outgoing, now);
            }
            Ok(actor)
        })
    }

    /// Creates an enterprise with its profile (`neq` copied from it, unique
    /// among live enterprises) and the activities that announce it, together
    /// or not at all; a taken username or NEQ gives
    /// [`DbError::is_unique_violation`].
    pub async fn create_enterprise_with_profile(
        &self,
        new: &NewLocalActor,
        profile_json: &str,
        neq: Option<&str>,
        notify: &[Outgoing],
    ) -> Result<LocalActor, DbError> {
        let mut conn = self.conn().await?;
        let now = UtcTime::now();
        with_enqueuing_tx!(self, &mut conn, |c| {
            let actor = diesel::insert_into(local_actors::table)
                .values((
                    insert_values(new, now),
                    local_actors::profile_json.eq(Some(profile_json)),
                    local_actors::neq.eq(neq),
                ))
                .returning(LocalActor::as_returning())
                .get_result(c)
                .await?;
            for outgoing in notify {
                insert_outgoing!(c, outgoing, now);
            }
            Ok(actor)
        })
    }

    /// The live local enterprise whose NEQ this is.
    pub async fn local_enterprise_by_neq(&self, neq: &str) -> Result<Option<LocalActor>, DbError> {
        let mut conn = self.conn().await?;
        let actor = with_conn!(&mut conn, |c| local_actors::table
            .filter(local_actors::neq.eq(neq))
            .filter(local_actors::deleted_at.is_null())
            .select(LocalActor::as_select())
            .first(c)
            .await
            .optional())?;
        Ok(actor)
    }

    /// Up to `limit` local actors whose key pair is still to be generated.
    pub async fn local_actors_without_keys(&self, limit: i64) -> Result<Vec<i64>, DbError> {
        let mut conn = self.conn().await?;
        let ids = with_conn!(&mut conn, |c| local_actors::table
            .filter(local_actors::public_key_pem.eq(""))
            .order(local_actors::id)
            .limit(limit)
            .select(local_actors::id)
            .load(c)
            .await)?;
        Ok(ids)
    }

    /// How many local actors still wait for their key pair.
    pub async fn count_local_actors_without_keys(&self) -> Result<i64, DbError> {
        let mut conn = self.conn().await?;
        let n = with_conn!(&mut conn, |c| local_actors::table
            .filter(local_actors::public_key_pem.eq(""))
            .count()
            .get_result(c)
            .await)?;
        Ok(n)
    }

    /// Stores a key pair generated for an actor that had none; false when
    /// it already had one (another process was quicker: keep its keys).
    pub async fn set_missing_keys(&self, actor_id: i64, public_pem: &str, private_pem: &str) -> Result<bool, DbError> {
        let mut conn = self.write_conn().await?;
        let updated = with_conn!(&mut conn, |c| diesel::update(
            local_actors::table.find(actor_id).filter(local_actors::public_key_pem.eq(""))
        )
        .set((local_actors::public_key_pem.eq(public_pem), local_actors::private_key_pem.eq(private_pem)))
        .execute(c)
        .await)?;
        Ok(updated == 1)
    }

    /// Creates a member actor and its account (and uses up its invite)
    /// together, or nothing at all.
    pub async fn create_member(&self, new: &NewLocalActor, user: &NewUser) -> Result<LocalActor, DbError> {
        use crate::schema::invites;
        let mut conn = self.conn().await?;
        let now = UtcTime::now();
        with_write_tx!(self, &mut conn, |c| {
            let actor = diesel::insert_into(local_actors::table)
                .values(insert_values(new, now))
                .returning(LocalActor::as_returning())
                .get_result(c)
                .await?;
            let user_id: i64 = diesel::insert_into(users::table)
                .values((
                    users::actor_id.eq(actor.id),
                    users::password_hash.eq(&user.password_hash),
                    users::is_admin.eq(user.is_admin),
                    users::email.eq(&user.email),
                    users::approved.eq(user.approved),
                    users::created_at.eq(now),
                    users::updated_at.eq(now),
                ))
                .returning(users::id)
                .get_result(c)
                .await?;
            if let Some(code_hash) = &user.invite_hash {
                let used = diesel::update(
                    invites::table.filter(invites::code_hash.eq(code_hash)).filter(invites::used_at.is_null()),
                )
                .set((invites::used_at.eq(Some(now)), invites::used_by.eq(Some(user_id))))
                .execute(c)
                .await?;
                if used == 0 {
                    return Err(DbError::Refused("that invite code is unknown or already used".into()));
                }
            }
            if let Some(claim_hash) = &user.claim_hash {
                use crate::mail::{EmailLink, LinkPurpose, attach_claimant, link_columns, take_link};
                use crate::schema::{email_links, enterprise_editors};
                let Some(link) = take_link!(c, claim_hash, LinkPurpose::Claim, Some(user_id), now) else {
                    return Err(DbError::Refused("this link is unknown, expired or already used".into()));
                };
                let _: i64 = attach_claimant!(c, &link, user_id, actor.id, now);
            }
            Ok(actor)
        })
    }

    /// A live local actor by username (a deleted enterprise is gone).
    /// Deletes a local actor (an enterprise), keeping its row as a
    /// tombstone, with the activities that report it, all in one
    /// transaction: its posts are marked deleted and leave the tag index,
    /// its team, its follows both ways and its place in the hub's
    /// `featured` end; its uploads (attached or not) and its pictures leave
    /// the `media` table and the actor's row, and streaming clients hear of
    /// each post's deletion. `None` when it was already deleted.
    pub async fn delete_local_actor(
        &self,
        actor_id: i64,
        notify: &[Outgoing],
    ) -> Result<Option<DeletedActor>, DbError> {
        use crate::schema::{enterprise_editors, featured, follows, local_follows, media, post_tags, posts};
        let mut conn = self.conn().await?;
        let now = UtcTime::now();
        with_enqueuing_tx!(self, &mut conn, |c| {
            let ap_id: Option<String> =
                diesel::update(local_actors::table.find(actor_id).filter(local_actors::deleted_at.is_null()))
                    .set((local_actors::deleted_at.eq(Some(now)), local_actors::updated_at.eq(now)))
                    .returning(local_actors::ap_id)
                    .get_result(c)
                    .await
                    .optional()?;
            let Some(ap_id) = ap_id else { return Ok(None) };
            diesel::delete(post_tags::table.filter(
                post_tags::post_id.eq_any(posts::table.filter(posts::actor_id.eq(actor_id)).select(posts::id)),
            ))
            .execute(c)
            .await?;
            let posts: Vec<i64> =
                diesel::update(posts::table.filter(posts::actor_id.eq(actor_id)).filter(posts::deleted_at.is_null()))
                    .set(posts::deleted_at.eq(Some(now)))
                    .returning(posts::id)
                    .get_results(c)
                    .await?;
            // Its posts' files (whoever uploaded them) and its own unattached uploads.
            let its_posts = posts::table.filter(posts::actor_id.eq(actor_id)).select(posts::id.nullable());
            let uploads: Vec<crate::Media> =
                diesel::delete(media::table.filter(media::actor_id.eq(actor_id).or(media::post_id.eq_any(its_posts))))
                    .returning(crate::Media::as_returning())
                    .get_results(c)
                    .await?;
            let pictures: (Option<String>, Option<String>) = local_actors::table
                .find(actor_id)
                .select((local_actors::icon_key, local_actors::image_key))
                .first(c)
                .await?;
            diesel::update(local_actors::table.find(actor_id))
                .set((local_actors::icon_key.eq(None::<String>), local_actors::image_key.eq(None::<String>)))
                .execute(c)
                .await?;
            diesel::delete(enterprise_editors::table.filter(enterprise_editors::enterprise_id.eq(actor_id)))
                .execute(c)
                .await?;
            // Its private contact and pending claim links go with it.
            diesel::delete(crate::schema::enterprise_contacts::table.find(actor_id)).execute(c).await?;
            diesel::delete(
                crate::schema::email_links::table.filter(crate::schema::email_links::enterprise_id.eq(actor_id)),
            )
            .execute(c)
            .await?;
            diesel::delete(
                local_follows::table
                    .filter(local_follows::followed_id.eq(actor_id).or(local_follows::follower_id.eq(actor_id))),
            )
            .execute(c)
            .await?;
            diesel::delete(follows::table.filter(follows::local_actor_id.eq(actor_id))).execute(c).await?;
            diesel::delete(featured::table.filter(featured::object_ap_id.eq(&ap_id))).execute(c).await?;
            for outgoing in notify {
                insert_outgoing!(c, outgoing, now);
            }
            let events: Vec<LiveEvent> =
                posts.iter().map(|&id| LiveEvent::StatusDeleted { status: StatusKey::Local(id) }).collect();
            for event in &events {
                c.publish_live(event).await?;
            }
            let mut file_keys: Vec<String> = uploads.iter().flat_map(crate::Media::keys).collect();
            file_keys.extend(pictures.0);
            file_keys.extend(pictures.1);
            Ok(Some((DeletedActor { posts: posts.len(), file_keys }, events)))
        })
        .map(|deleted| {
            deleted.map(|(deleted, events)| {
                self.live_committed(&events);
                deleted
            })
        })
    }

    pub async fn local_actor_by_username(&self, username: &str) -> Result<Option<LocalActor>, DbError> {
        Ok(self.local_actor_or_tombstone(username).await?.filter(|a| !a.is_deleted()))
    }

    /// A local actor by username, a deleted enterprise's tombstone included:
    /// for what must tell "gone" from "never existed" (410, a reserved handle).
    pub async fn local_actor_or_tombstone(&self, username: &str) -> Result<Option<LocalActor>, DbError> {
        let mut conn = self.conn().await?;
        let name = username.to_ascii_lowercase();
        let actor = with_conn!(&mut conn, |c| local_actors::table
            .filter(local_actors::username.eq(&name))
            .select(LocalActor::as_select())
            .first(c)
            .await
            .optional())?;
        Ok(actor)
    }

    pub async fn local_actor_by_ap_id(&self, ap_id: &str) -> Result<Option<LocalActor>, DbError> {
        let mut conn = self.conn().await?;
        let actor = with_conn!(&mut conn, |c| local_actors::table
            .filter(local_actors::ap_id.eq(ap_id))
            .filter(local_actors::deleted_at.is_null())
            .select(LocalActor::as_select())
            .first(c)
            .await
            .optional())?;
        Ok(actor)
    }

    pub async fn local_actor_by_id(&self, id: i64) -> Result<Option<LocalActor>, DbError> {
        let mut conn = self.conn().await?;
        let actor = with_conn!(&mut conn, |c| local_actors::table
            .find(id)
            .filter(local_actors::deleted_at.is_null())
            .select(LocalActor::as_select())
            .first(c)
            .await
            .optional())?;
        Ok(actor)
    }

    /// The first actor of a kind (the instance actor and the hub are unique).
    pub async fn local_actor_of_kind(&self, kind: ActorKind) -> Result<Option<LocalActor>, DbError> {
        let mut conn = self.conn().await?;
        let actor = with_conn!(&mut conn, |c| local_actors::table
            .filter(local_actors::kind.eq(kind.as_str()))
            .filter(local_actors::deleted_at.is_null())
            .order(local_actors::id)
            .select(LocalActor::as_select())
            .first(c)
            .await
            .optional())?;
        Ok(actor)
    }

    /// Actors of one kind, by username, `limit` at a time after `after`.
    pub async fn list_local_actors(
        &self,
        kind: ActorKind,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<LocalActor>, DbError> {
        let mut conn = self.conn().await?;
        let after = after.unwrap_or("").to_string();
        let actors = with_conn!(&mut conn, |c| local_actors::table
            .filter(local_actors::kind.eq(kind.as_str()))
            .filter(local_actors::deleted_at.is_null())
            .filter(local_actors::username.gt(&after))
            .order(local_actors::username)
            .limit(limit)
            .select(LocalActor::as_select())
            .load(c)
            .await)?;
        Ok(actors)
    }

    /// A page of the ids (row id, ActivityPub id) of local actors of one
    /// kind, keyset-paged on the row id: newest first before `before`, or
    /// oldest first after `after` (for `prev` links).
    pub async fn local_actor_ids_page(
        &self,
        kind: ActorKind,
        before: Option<i64>,
        after: Option<i64>,
        limit: i64,
    ) -> Result<Vec<(i64, String)>, DbError> {
        let mut conn = self.conn().await?;
        let rows = with_conn!(&mut conn, |c| {
            let query = local_actors::table
                .filter(local_actors::kind.eq(kind.as_str()))
                .filter(local_actors::deleted_at.is_null())
                .select((local_actors::id, local_actors::ap_id))
                .into_boxed();
            let query = match after {
                Some(after) => query.filter(local_actors::id.gt(after)).order(local_actors::id.asc()),
                None => query.filter(local_actors::id.lt(before.unwrap_or(i64::MAX))).order(local_actors::id.desc()),
            };
            query.limit(limit).load::<(i64, String)>(c).await
        })?;
        Ok(rows)
    }

    pub async fn count_local_actors(&self) -> Result<ActorCounts, DbError> {
        let mut conn = self.conn().await?;
        let rows: Vec<(String, i64)> = with_conn!(&mut conn, |c| local_actors::table
            .filter(local_actors::deleted_at.is_null())
            .group_by(local_actors::kind)
            .select((local_actors::kind, diesel::dsl::count_star()))
            .load(c)
            .await)?;
        let mut counts = ActorCounts::default();
        for (kind, n) in rows {
            match kind.parse() {
                Ok(ActorKind::Enterprise) => counts.enterprises = n,
                Ok(ActorKind::Member) => counts.members = n,
                _ => {}
            }
        }
        Ok(counts)
    }

    /// Whether `actor_id` approves its followers by hand.
    pub async fn set_manual_approval(&self, actor_id: i64, manual: bool) -> Result<(), DbError> {
        let mut conn = self.write_conn().await?;
        let now = UtcTime::now();
        with_conn!(&mut conn, |c| diesel::update(local_actors::table.find(actor_id))
            .set((local_actors::manually_approves_followers.eq(manual), local_actors::updated_at.eq(now)))
            .execute(c)
            .await)?;
        Ok(())
    }

    /// Whether the member account behind `actor_id` is an admin.
    pub async fn user_is_admin(&self, actor_id: i64) -> Result<Option<bool>, DbError> {
        let mut conn = self.conn().await?;
        let admin = with_conn!(&mut conn, |c| users::table
            .filter(users::actor_id.eq(actor_id))
            .select(users::is_admin)
            .first(c)
            .await
            .optional())?;
        Ok(admin)
    }
}
