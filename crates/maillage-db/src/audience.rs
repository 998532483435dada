//! Who may read what, as queries: the one audience check of every read path
//! (docs/FEDERATION.md, "Who sees what").
//!
//! A [`Reader`] is whoever reads: nobody in particular, a member (with the
//! enterprises they currently edit, whose mail they read), or a remote actor
//! that signed its GET. A post or a remote object is visible to a reader
//! when it is public or unlisted, when the reader acts as its author, when
//! it names the reader, or when it is for followers and the reader's follow
//! of its author is accepted. Lists and single objects go through the same
//! filters ([`visible_posts!`], [`visible_remote_objects!`]), so a status
//! is shown by id exactly when it would be shown in a timeline.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use maillage_domain::Visibility;
use maillage_domain::audience::Addressing;

use crate::lists::off_lists_of;
use crate::schema::{local_actors, local_follows, post_addressees, posts, remote_actors, remote_objects};
use crate::{Database, DbError, FollowState, LocalActor, NewRemoteObject, Post, RemoteObject, UtcTime};

/// Who reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reader {
    /// The local actors the reader acts as: a member and the enterprises
    /// they edit now (a former editor reads as themself only).
    pub local_ids: Vec<i64>,
    /// The ActivityPub ids of those actors, or of the remote signer.
    pub ap_ids: Vec<String>,
    /// A remote actor reading with a signed GET: its row in `remote_actors`.
    pub remote_id: Option<i64>,
}

impl Reader {
    /// Someone we know nothing about: public and unlisted posts only.
    pub fn anonymous() -> Reader {
        Reader::default()
    }

    /// A remote actor whose signature on the request was verified.
    pub fn remote(id: i64, ap_id: &str) -> Reader {
        Reader { local_ids: Vec::new(), ap_ids: vec![ap_id.to_string()], remote_id: Some(id) }
    }

    pub fn is_anonymous(&self) -> bool {
        self.local_ids.is_empty() && self.ap_ids.is_empty() && self.remote_id.is_none()
    }

    /// Whether the reader acts as this local actor.
    pub fn acts_as(&self, local_actor_id: i64) -> bool {
        self.local_ids.contains(&local_actor_id)
    }
}

/// The visibilities anyone may read.
pub(crate) const OPEN: [&str; 2] = ["public", "unlisted"];

/// Restricts a boxed query on `posts` to live posts `$reader` may see.
macro_rules! visible_posts {
    ($query:expr, $reader:expr) => {{
        use $crate::schema::{follows, local_follows, post_addressees, posts};
        let reader: &$crate::Reader = $reader;
        let query = $query.filter(posts::deleted_at.is_null());
        if reader.is_anonymous() {
            query.filter(posts::visibility.eq_any($crate::audience::OPEN))
        } else {
            let addressed = post_addressees::table
                .filter(post_addressees::actor_ap_id.eq_any(reader.ap_ids.clone()))
                .select(post_addressees::post_id);
            let followed_here = local_follows::table
                .filter(local_follows::follower_id.eq_any(reader.local_ids.clone()))
                .filter(local_follows::state.eq($crate::FollowState::Accepted.as_str()))
                .select(local_follows::followed_id);
            let followed_from_afar = follows::table
                .filter(follows::remote_actor_id.eq(reader.remote_id.unwrap_or(-1)))
                .filter(follows::direction.eq($crate::Direction::Incoming.as_str()))
                .filter(follows::state.eq($crate::FollowState::Accepted.as_str()))
                .select(follows::local_actor_id);
            query.filter(
                posts::visibility
                    .eq_any($crate::audience::OPEN)
                    .or(posts::actor_id.eq_any(reader.local_ids.clone()))
                    .or(posts::id.eq_any(addressed))
                    .or(posts::visibility
                        .eq("followers")
                        .and(posts::actor_id.eq_any(followed_here).or(posts::actor_id.eq_any(followed_from_afar)))),
            )
        }
    }};
}
pub(crate) use visible_posts;

/// Restricts a boxed query on `remote_objects` to live objects `$reader`
/// may see (remote readers never read remote objects through us).
macro_rules! visible_remote_objects {
    ($query:expr, $reader:expr) => {{
        use $crate::schema::{follows, remote_actors, remote_object_addressees, remote_objects};
        let reader: &$crate::Reader = $reader;
        let query = $query.filter(remote_objects::deleted.eq(false));
        if reader.local_ids.is_empty() {
            query.filter(remote_objects::visibility.eq_any($crate::audience::OPEN))
        } else {
            let addressed = remote_object_addressees::table
                .filter(remote_object_addressees::local_actor_id.eq_any(reader.local_ids.clone()))
                .select(remote_object_addressees::remote_object_id);
            let followed = follows::table
                .inner_join(remote_actors::table)
                .filter(follows::local_actor_id.eq_any(reader.local_ids.clone()))
                .filter(follows::direction.eq($crate::Direction::Outgoing.as_str()))
                .filter(follows::state.eq($crate::FollowState::Accepted.as_str()))
                .select(remote_actors::ap_id.nullable());
            query.filter(
                remote_objects::visibility
                    .eq_any($crate::audience::OPEN)
                    .or(remote_objects::id.eq_any(addressed))
                    .or(remote_objects::visibility.eq("followers").and(remote_objects::attributed_to.eq_any(followed))),
            )
        }
    }};
}
pub(crate) use visible_remote_objects;

/// The visibility of a remote object from its addressing: its author's
/// followers collection is the one its actor document names (when we hold
/// it) or, as every server we know names it, `{author}/followers`.
pub(crate) fn remote_visibility(
    author: Option<&str>,
    addressing: &Addressing,
    stored_followers: Option<&str>,
) -> Visibility {
    let conventional = author.map(|author| format!("{author}/followers"));
    let followers: Vec<&str> = stored_followers.into_iter().chain(conventional.as_deref()).collect();
    addressing.visibility(&followers)
}

/// Whether the author's followers collection can decide the visibility:
/// not when the public collection is addressed (the common case, which then
/// reads nothing more).
pub(crate) fn needs_followers(addressing: &Addressing) -> bool {
    !addressing.visibility(&[]).is_open()
}

/// Reads what [`remote_visibility`] needs and the local addressees of an
/// object (its author, its addressing), inside a transaction (async connection).
macro_rules! audience_of_remote {
    ($c:expr, $author:expr, $addressing:expr) => {{
        use $crate::schema::{local_actors, remote_actors};
        let author: Option<&str> = $author;
        let addressing: &maillage_domain::audience::Addressing = $addressing;
        let followers: Option<Option<String>> = match author.filter(|_| $crate::audience::needs_followers(addressing)) {
            Some(author) => remote_actors::table
                .filter(remote_actors::ap_id.eq(author))
                .select(remote_actors::followers_url)
                .first(&mut *$c)
                .await
                .optional()?,
            None => None,
        };
        let visibility = $crate::audience::remote_visibility(author, addressing, followers.flatten().as_deref());
        let addressees: Vec<i64> = local_actors::table
            .filter(local_actors::ap_id.eq_any(addressing.all().collect::<Vec<_>>()))
            .select(local_actors::id)
            .load(&mut *$c)
            .await?;
        (visibility, addressees)
    }};
}
pub(crate) use audience_of_remote;

/// Replaces the local addressees of a remote object, inside a transaction.
macro_rules! set_remote_addressees {
    ($c:expr, $id:expr, $addressees:expr) => {{
        use $crate::schema::remote_object_addressees as roa;
        let id: i64 = $id;
        diesel::delete(roa::table.filter(roa::remote_object_id.eq(id))).execute(&mut *$c).await?;
        for actor in $addressees {
            diesel::insert_into(roa::table)
                .values((roa::remote_object_id.eq(id), roa::local_actor_id.eq(actor)))
                .on_conflict_do_nothing()
                .execute(&mut *$c)
                .await?;
        }
    }};
}
pub(crate) use set_remote_addressees;

/// [`audience_of_remote!`] on SQLite's synchronous connection.
pub(crate) fn audience_of_remote_sqlite(
    c: &mut diesel::SqliteConnection,
    object: &NewRemoteObject,
) -> QueryResult<(Visibility, Vec<i64>)> {
    let followers: Option<Option<String>> =
        match object.attributed_to.as_ref().filter(|_| needs_followers(&object.addressing)) {
            Some(author) => diesel::RunQueryDsl::first(
                remote_actors::table.filter(remote_actors::ap_id.eq(author)).select(remote_actors::followers_url),
                c,
            )
            .optional()?,
            None => None,
        };
    let visibility =
        remote_visibility(object.attributed_to.as_deref(), &object.addressing, followers.flatten().as_deref());
    let addressees = diesel::RunQueryDsl::load(
        local_actors::table
            .filter(local_actors::ap_id.eq_any(object.addressing.all().collect::<Vec<_>>()))
            .select(local_actors::id),
        c,
    )?;
    Ok((visibility, addressees))
}

/// [`set_remote_addressees!`] on SQLite's synchronous connection.
pub(crate) fn set_remote_addressees_sqlite(
    c: &mut diesel::SqliteConnection,
    id: i64,
    addressees: &[i64],
) -> QueryResult<()> {
    use crate::schema::remote_object_addressees as roa;
    diesel::RunQueryDsl::execute(diesel::delete(roa::table.filter(roa::remote_object_id.eq(id))), c)?;
    for actor in addressees {
        diesel::RunQueryDsl::execute(
            diesel::insert_into(roa::table)
                .values((roa::remote_object_id.eq(id), roa::local_actor_id.eq(actor)))
                .on_conflict_do_nothing(),
            c,
        )?;
    }
    Ok(())
}

/// Replaces the addressees of one of our posts, inside a transaction.
macro_rules! set_post_addressees {
    ($c:expr, $post_id:expr, $addressees:expr) => {{
        use $crate::schema::post_addressees;
        let post_id: i64 = $post_id;
        diesel::delete(post_addressees::table.filter(post_addressees::post_id.eq(post_id))).execute(&mut *$c).await?;
        for actor in $addressees {
            diesel::insert_into(post_addressees::table)
                .values((post_addressees::post_id.eq(post_id), post_addressees::actor_ap_id.eq(actor)))
                .on_conflict_do_nothing()
                .execute(&mut *$c)
                .await?;
        }
    }};
}
pub(crate) use set_post_addressees;

/// A local follow, as lists show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalFollow {
    pub id: i64,
    pub follower_id: i64,
    pub followed_id: i64,
    pub accepted: bool,
}

/// The accepted local follows whose `$side` (`follower_id` or
/// `followed_id`) is `$actor_id`.
macro_rules! accepted_local_follows {
    ($side:ident, $actor_id:expr) => {
        local_follows::table
            .filter(local_follows::$side.eq($actor_id))
            .filter(local_follows::state.eq(FollowState::Accepted.as_str()))
    };
}

impl Database {
    /// The reader a member is: themself and the enterprises they edit now.
    pub async fn reader_for_member(&self, member: &LocalActor) -> Result<Reader, DbError> {
        let mut reader = Reader { local_ids: vec![member.id], ap_ids: vec![member.ap_id.clone()], remote_id: None };
        for enterprise in self.enterprises_of_member(member.id).await? {
            reader.local_ids.push(enterprise.id);
            reader.ap_ids.push(enterprise.ap_id);
        }
        Ok(reader)
    }

    /// One of our posts, if `reader` may see it (live, in its audience).
    pub async fn visible_post(&self, reader: &Reader, id: i64) -> Result<Option<Post>, DbError> {
        let mut conn = self.conn().await?;
        let row =
            with_conn!(&mut conn, |c| visible_posts!(posts::table.filter(posts::id.eq(id)).into_boxed(), reader)
                .select(Post::as_select())
                .first(c)
                .await
                .optional())?;
        Ok(row)
    }

    /// [`Database::visible_post`] by ActivityPub id.
    pub async fn visible_post_by_ap_id(&self, reader: &Reader, ap_id: &str) -> Result<Option<Post>, DbError> {
        let mut conn = self.conn().await?;
        let row = with_conn!(&mut conn, |c| visible_posts!(
            posts::table.filter(posts::ap_id.eq(ap_id)).into_boxed(),
            reader
        )
        .select(Post::as_select())
        .first(c)
        .await
        .optional())?;
        Ok(row)
    }

    /// A remote object, if `reader` may see it.
    pub async fn visible_remote_object(&self, reader: &Reader, id: i64) -> Result<Option<RemoteObject>, DbError> {
        let mut conn = self.conn().await?;
        let row = with_conn!(&mut conn, |c| visible_remote_objects!(
            remote_objects::table.filter(remote_objects::id.eq(id)).into_boxed(),
            reader
        )
        .select(RemoteObject::as_select())
        .first(c)
        .await
        .optional())?;
        Ok(row)
    }

    /// [`Database::visible_remote_object`] by ActivityPub id.
    pub async fn visible_remote_object_by_ap_id(
        &self,
        reader: &Reader,
        ap_id: &str,
    ) -> Result<Option<RemoteObject>, DbError> {
        let mut conn = self.conn().await?;
        let row = with_conn!(&mut conn, |c| visible_remote_objects!(
            remote_objects::table.filter(remote_objects::ap_id.eq(ap_id)).into_boxed(),
            reader
        )
        .select(RemoteObject::as_select())
        .first(c)
        .await
        .optional())?;
        Ok(row)
    }

    /// Of these ActivityPub ids, our posts and the remote objects `reader`
    /// may see (a page of bookmarks or likes, say): the rest are left out.
    pub async fn visible_statuses_by_ap_ids(
        &self,
        reader: &Reader,
        ap_ids: &[String],
    ) -> Result<(Vec<Post>, Vec<RemoteObject>), DbError> {
        if ap_ids.is_empty() {
            return Ok((Vec::new(), Vec::new()));
        }
        let mut conn = self.conn().await?;
        let found = with_conn!(&mut conn, |c| {
            let posts = visible_posts!(posts::table.filter(posts::ap_id.eq_any(ap_ids)).into_boxed(), reader)
                .select(Post::as_select())
                .load(c)
                .await?;
            let objects = visible_remote_objects!(
                remote_objects::table.filter(remote_objects::ap_id.eq_any(ap_ids)).into_boxed(),
                reader
            )
            .select(RemoteObject::as_select())
            .load(c)
            .await?;
            Ok::<_, diesel::result::Error>((posts, objects))
        })?;
        Ok(found)
    }

    /// The actors one of our posts names, by ActivityPub id.
    pub async fn post_addressees(&self, post_id: i64) -> Result<Vec<String>, DbError> {
        let mut conn = self.conn().await?;
        let rows = with_conn!(&mut conn, |c| post_addressees::table
            .filter(post_addressees::post_id.eq(post_id))
            .order(post_addressees::actor_ap_id)
            .select(post_addressees::actor_ap_id)
            .load(c)
            .await)?;
        Ok(rows)
    }

    /// Up to `limit` remote objects with ids above `after` whose audience
    /// was never read (stored before it was), by id, with their raw JSON.
    pub async fn remote_objects_without_audience(&self, after: i64, limit: i64) -> Result<Vec<(i64, String)>, DbError> {
        let mut conn = self.conn().await?;
        let rows = with_conn!(&mut conn, |c| remote_objects::table
            .filter(remote_objects::visibility.is_null())
            .filter(remote_objects::id.gt(after))
            .order(remote_objects::id)
            .limit(limit)
            .select((remote_objects::id, remote_objects::raw_json))
            .load(c)
            .await)?;
        Ok(rows)
    }

    /// Records the audience read from stored objects: for each, its id, its
    /// author and its addressing (the same rule as when it is received).
    pub async fn set_remote_audiences(&self, objects: &[(i64, Option<String>, Addressing)]) -> Result<(), DbError> {
        let mut conn = self.conn().await?;
        with_write_tx!(self, &mut conn, |c| {
            for (id, author, addressing) in objects {
                let (visibility, addressees) = audience_of_remote!(c, author.as_deref(), addressing);
                diesel::update(remote_objects::table.find(*id))
                    .set(remote_objects::visibility.eq(Some(visibility.as_str())))
                    .execute(c)
                    .await?;
                set_remote_addressees!(c, *id, addressees);
            }
            Ok(())
        })
    }

    /// Up to `limit` posts with ids above `after`, by id: (id, mentions JSON).
    pub async fn post_mentions_after(&self, after: i64, limit: i64) -> Result<Vec<(i64, String)>, DbError> {
        let mut conn = self.conn().await?;
        let rows = with_conn!(&mut conn, |c| posts::table
            .filter(posts::id.gt(after))
            .order(posts::id)
            .limit(limit)
            .select((posts::id, posts::mentions_json))
            .load(c)
            .await)?;
        Ok(rows)
    }

    /// Records the addressees of posts stored before they were kept apart.
    pub async fn set_post_addressees(&self, posts: &[(i64, Vec<String>)]) -> Result<(), DbError> {
        let mut conn = self.conn().await?;
        with_write_tx!(self, &mut conn, |c| {
            for (post_id, addressees) in posts {
                set_post_addressees!(c, *post_id, addressees);
            }
            Ok(())
        })
    }

    /// A local actor follows another one: accepted at once unless the
    /// followed actor approves followers by hand. Returns the follow as stored
    /// (an accepted follow stays accepted).
    pub async fn follow_locally(&self, follower_id: i64, followed: &LocalActor) -> Result<LocalFollow, DbError> {
        let mut conn = self.conn().await?;
        let now = UtcTime::now();
        let state = if followed.manually_approves_followers { FollowState::Pending } else { FollowState::Accepted };
        with_write_tx!(self, &mut conn, |c| {
            diesel::insert_into(local_follows::table)
                .values((
                    local_follows::follower_id.eq(follower_id),
                    local_follows::followed_id.eq(followed.id),
                    local_follows::state.eq(state.as_str()),
                    local_follows::created_at.eq(now),
                    local_follows::updated_at.eq(now),
                ))
                .on_conflict((local_follows::follower_id, local_follows::followed_id))
                .do_nothing()
                .execute(c)
                .await?;
            let (id, state): (i64, String) = local_follows::table
                .filter(local_follows::follower_id.eq(follower_id))
                .filter(local_follows::followed_id.eq(followed.id))
                .select((local_follows::id, local_follows::state))
                .first(c)
                .await?;
            Ok(LocalFollow {
                id,
                follower_id,
                followed_id: followed.id,
                accepted: FollowState::from_stored(&state) == FollowState::Accepted,
            })
        })
    }

    /// Ends a local follow (or a pending request); returns whether there was one.
    pub async fn unfollow_locally(&self, follower_id: i64, followed_id: i64) -> Result<bool, DbError> {
        let mut conn = self.conn().await?;
        let n = with_write_tx!(self, &mut conn, |c| {
            let n = diesel::delete(
                local_follows::table
                    .filter(local_follows::follower_id.eq(follower_id))
                    .filter(local_follows::followed_id.eq(followed_id)),
            )
            .execute(c)
            .await?;
            off_lists_of!(c, follower_id, crate::ListMember::Local(followed_id))?;
            Ok(n)
        })?;
        Ok(n > 0)
    }

    /// Accepts a pending local follow request; returns whether one was pending.
    pub async fn accept_local_follow(&self, follower_id: i64, followed_id: i64) -> Result<bool, DbError> {
        let mut conn = self.write_conn().await?;
        let now = UtcTime::now();
        let n = with_conn!(&mut conn, |c| diesel::update(
            local_follows::table
                .filter(local_follows::follower_id.eq(follower_id))
                .filter(local_follows::followed_id.eq(followed_id))
                .filter(local_follows::state.eq(FollowState::Pending.as_str()))
        )
        .set((local_follows::state.eq(FollowState::Accepted.as_str()), local_follows::updated_at.eq(now)))
        .execute(c)
        .await)?;
        Ok(n > 0)
    }

    /// The local follow from `follower_id` to `followed_id`, if any.
    pub async fn local_follow(&self, follower_id: i64, followed_id: i64) -> Result<Option<LocalFollow>, DbError> {
        let mut conn = self.conn().await?;
        let row: Option<(i64, String)> = with_conn!(&mut conn, |c| local_follows::table
            .filter(local_follows::follower_id.eq(follower_id))
            .filter(local_follows::followed_id.eq(followed_id))
            .select((local_follows::id, local_follows::state))
            .first(c)
            .await
            .optional())?;
        Ok(row.map(|(id, state)| LocalFollow {
            id,
            follower_id,
            followed_id,
            accepted: FollowState::from_stored(&state) == FollowState::Accepted,
        }))
    }

    /// Local actors a local actor follows (accepted), by follow id, newest first.
    pub async fn locally_followed(&self, follower_id: i64, limit: i64) -> Result<Vec<LocalActor>, DbError> {
        let mut conn = self.conn().await?;
        let rows = with_conn!(&mut conn, |c| accepted_local_follows!(follower_id, follower_id)
            .inner_join(local_actors::table.on(local_actors::id.eq(local_follows::followed_id)))
            .order(local_follows::id.desc())
            .limit(limit)
            .select(LocalActor::as_select())
            .load(c)
            .await)?;
        Ok(rows)
    }

    /// Local actors that follow a local actor (accepted), newest first.
    pub async fn local_followers(&self, followed_id: i64, limit: i64) -> Result<Vec<LocalActor>, DbError> {
        let mut conn = self.conn().await?;
        let rows = with_conn!(&mut conn, |c| accepted_local_follows!(followed_id, followed_id)
            .inner_join(local_actors::table.on(local_actors::id.eq(local_follows::follower_id)))
            .order(local_follows::id.desc())
            .limit(limit)
            .select(LocalActor::as_select())
            .load(c)
            .await)?;
        Ok(rows)
    }

    /// How many local actors follow `followed_id` and how many it follows (accepted).
    pub async fn count_local_follows(&self, actor_id: i64) -> Result<(i64, i64), DbError> {
        let mut conn = self.conn().await?;
        let followers: i64 =
            with_conn!(&mut conn, |c| accepted_local_follows!(followed_id, actor_id).count().get_result(c).await)?;
        let following: i64 =
            with_conn!(&mut conn, |c| accepted_local_follows!(follower_id, actor_id).count().get_result(c).await)?;
        Ok((followers, following))
    }

    /// Pending follow requests to a local actor from local ones, newest
    /// first, before the request `before`: each with its id.
    pub async fn local_follow_requests(
        &self,
        followed_id: i64,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<(i64, LocalActor)>, DbError> {
        let mut conn = self.conn().await?;
        let rows = with_conn!(&mut conn, |c| local_follows::table
            .filter(local_follows::followed_id.eq(followed_id))
            .filter(local_follows::state.eq(FollowState::Pending.as_str()))
            .filter(local_follows::id.lt(before.unwrap_or(i64::MAX)))
            .inner_join(local_actors::table.on(local_actors::id.eq(local_follows::follower_id)))
            .order(local_follows::id.desc())
            .limit(limit)
            .select((local_follows::id, LocalActor::as_select()))
            .load(c)
            .await)?;
        Ok(rows)
    }

    /// How many local actors ask to follow `followed_id` (pending).
    pub async fn count_local_follow_requests(&self, followed_id: i64) -> Result<i64, DbError> {
        let mut conn = self.conn().await?;
        let n = with_conn!(&mut conn, |c| local_follows::table
            .filter(local_follows::followed_id.eq(followed_id))
            .filter(local_follows::state.eq(FollowState::Pending.as_str()))
            .count()
            .get_result(c)
            .await)?;
        Ok(n)
    }
}
