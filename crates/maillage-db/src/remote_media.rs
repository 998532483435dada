//! Files of other servers: the attachments of remote posts and the avatars
//! and headers of remote actors, as their authors describe them, and where
//! our cached copy stands ([`RemoteMediaState`]).
//!
//! The keys of our copy are chosen when the row is written, so the URL we
//! show never changes; the copy is made later (`maillage_app::media::remote`).
//! A post's list is replaced inside the write of the post itself: a file
//! kept (same remote URL) keeps its copy; one taken off is detached (both
//! links NULL), and its files are removed by the pruning.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use maillage_domain::{MediaKind, RemoteMediaRole, RemoteMediaState};

use crate::schema::{remote_actors, remote_media};
use crate::{Database, DbError, LocalActor, UtcTime};

/// One file of another server, as stored.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = remote_media)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct RemoteMedia {
    pub id: i64,
    pub remote_object_id: Option<i64>,
    pub remote_actor_id: Option<i64>,
    #[diesel(deserialize_as = String)]
    pub role: RemoteMediaRole,
    pub position: i32,
    /// `image`, `document` or `unknown` (what its author claimed).
    pub kind: String,
    pub remote_url: String,
    pub claimed_type: Option<String>,
    /// The alt text (`name`).
    pub description: Option<String>,
    pub blurhash: Option<String>,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub focus_x: i32,
    pub focus_y: i32,
    pub original_key: String,
    pub preview_key: String,
    #[diesel(deserialize_as = String)]
    pub state: RemoteMediaState,
    /// What we stored (sniffed, re-encoded), once cached.
    pub media_type: Option<String>,
    pub has_preview: bool,
    pub preview_width: Option<i32>,
    pub preview_height: Option<i32>,
    pub byte_size: i64,
    pub fetched_at: Option<UtcTime>,
    pub failure: Option<String>,
    pub attempts: i32,
    pub leased_until: Option<UtcTime>,
    pub created_at: UtcTime,
}

impl RemoteMedia {
    /// The kind our copy was sniffed as, or the one its author claimed.
    pub fn media_kind(&self) -> Option<MediaKind> {
        MediaKind::parse(&self.kind).ok()
    }

    /// Whether readers are shown its preview: a picture we have not
    /// refused, whose copy has a preview or is not fetched yet (the
    /// Mastodon API's `preview_url` and the pages follow this one rule).
    pub fn shows_preview(&self) -> bool {
        self.state != RemoteMediaState::Failed
            && self.media_kind() == Some(MediaKind::Image)
            && (self.has_preview || self.state != RemoteMediaState::Cached)
    }

    /// The keys of the files our copy has.
    pub fn keys(&self) -> Vec<String> {
        std::iter::once(self.original_key.clone()).chain(self.has_preview.then(|| self.preview_key.clone())).collect()
    }
}

/// A file as another server describes it, with the keys our copy will have.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRemoteMedia {
    pub role: RemoteMediaRole,
    /// `None`: a type we do not show (video, audio, a link).
    pub kind: Option<MediaKind>,
    pub remote_url: String,
    pub claimed_type: Option<String>,
    pub description: Option<String>,
    pub blurhash: Option<String>,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub focus_x: i32,
    pub focus_y: i32,
    /// `r/<32 random hex>`: where our copy's files go.
    pub folder: String,
}

impl NewRemoteMedia {
    fn kind_name(&self) -> &'static str {
        self.kind.map_or("unknown", MediaKind::as_str)
    }
}

/// What our copy is, once fetched and processed.
#[derive(Debug, Clone, PartialEq)]
pub struct CachedRemoteMedia {
    pub kind: MediaKind,
    pub media_type: String,
    pub has_preview: bool,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub preview_width: Option<i32>,
    pub preview_height: Option<i32>,
    pub blurhash: Option<String>,
    pub byte_size: i64,
}

/// What the remote cache holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RemoteCacheUsage {
    pub files: i64,
    pub bytes: i64,
}

/// What a file's row is matched by when its post or actor is written again:
/// its id and its remote URL (a file listed again keeps its row and copy).
pub(crate) const ROW_AND_URL: (remote_media::id, remote_media::remote_url) =
    (remote_media::id, remote_media::remote_url);

/// Replaces the attachments of remote object `$id` with `$list` (a
/// `&[NewRemoteMedia]`) inside the object's write transaction; `$now` the
/// write's time. A file whose remote URL was listed before keeps its row
/// (and copy); one no longer listed is detached.
macro_rules! replace_remote_attachments {
    ($c:expr, $id:expr, $list:expr, $now:expr) => {{
        use $crate::schema::remote_media;
        let object_id: i64 = $id;
        let list: &[$crate::NewRemoteMedia] = $list;
        let before: Vec<(i64, String)> = remote_media::table
            .filter(remote_media::remote_object_id.eq(object_id))
            .select($crate::remote_media::ROW_AND_URL)
            .load(&mut *$c)
            .await?;
        let plan = $crate::remote_media::attachment_plan(&before, list);
        if !plan.detach.is_empty() {
            diesel::update(remote_media::table.filter(remote_media::id.eq_any(plan.detach.clone())))
                .set(remote_media::remote_object_id.eq(None::<i64>))
                .execute(&mut *$c)
                .await?;
        }
        for (position, new, kept) in plan.rows(list) {
            match kept {
                Some(row) => {
                    diesel::update(remote_media::table.find(row))
                        .set($crate::remote_media::described(new, position))
                        .execute(&mut *$c)
                        .await?;
                }
                None => {
                    diesel::insert_into(remote_media::table)
                        .values($crate::remote_media::inserted(new, position, Some(object_id), None, $now))
                        .execute(&mut *$c)
                        .await?;
                }
            }
        }
    }};
}
pub(crate) use replace_remote_attachments;

pub(crate) use sqlite::replace_remote_attachments_sqlite;

mod sqlite {
    use diesel::prelude::*;

    use super::{NewRemoteMedia, attachment_plan, described, inserted};
    use crate::UtcTime;
    use crate::schema::remote_media;

    /// [`replace_remote_attachments!`] with SQLite's synchronous connection.
    pub(crate) fn replace_remote_attachments_sqlite(
        c: &mut diesel::SqliteConnection,
        object_id: i64,
        list: &[NewRemoteMedia],
        now: UtcTime,
    ) -> QueryResult<()> {
        let before: Vec<(i64, String)> = remote_media::table
            .filter(remote_media::remote_object_id.eq(object_id))
            .select(super::ROW_AND_URL)
            .load(c)?;
        let plan = attachment_plan(&before, list);
        if !plan.detach.is_empty() {
            diesel::update(remote_media::table.filter(remote_media::id.eq_any(plan.detach.clone())))
                .set(remote_media::remote_object_id.eq(None::<i64>))
                .execute(c)?;
        }
        for (position, new, kept) in plan.rows(list) {
            match kept {
                Some(row) => {
                    diesel::update(remote_media::table.find(row)).set(described(new, position)).execute(c)?;
                }
                None => {
                    diesel::insert_into(remote_media::table)
                        .values(inserted(new, position, Some(object_id), None, now))
                        .execute(c)?;
                }
            }
        }
        Ok(())
    }
}

/// Which stored rows a new list keeps (by remote URL) and which it detaches.
pub(crate) struct AttachmentPlan {
    pub(crate) detach: Vec<i64>,
    kept: Vec<Option<i64>>,
}

impl AttachmentPlan {
    /// Each new file with its position and the row it keeps, if any.
    pub(crate) fn rows<'a>(
        &'a self,
        list: &'a [NewRemoteMedia],
    ) -> impl Iterator<Item = (i32, &'a NewRemoteMedia, Option<i64>)> + 'a {
        list.iter().zip(&self.kept).enumerate().map(|(position, (new, kept))| (position as i32, new, *kept))
    }
}

pub(crate) fn attachment_plan(before: &[(i64, String)], list: &[NewRemoteMedia]) -> AttachmentPlan {
    let mut unused: Vec<(i64, String)> = before.to_vec();
    let kept = list
        .iter()
        .map(|new| {
            let found = unused.iter().position(|(_, url)| *url == new.remote_url)?;
            Some(unused.remove(found).0)
        })
        .collect();
    AttachmentPlan { detach: unused.into_iter().map(|(id, _)| id).collect(), kept }
}

type Described<'a> = (
    diesel::dsl::Eq<remote_media::position, i32>,
    diesel::dsl::Eq<remote_media::description, Option<&'a str>>,
    diesel::dsl::Eq<remote_media::focus_x, i32>,
    diesel::dsl::Eq<remote_media::focus_y, i32>,
);

/// The changes of a kept file: its place and its description.
pub(crate) fn described(new: &NewRemoteMedia, position: i32) -> Described<'_> {
    (
        remote_media::position.eq(position),
        remote_media::description.eq(new.description.as_deref()),
        remote_media::focus_x.eq(new.focus_x),
        remote_media::focus_y.eq(new.focus_y),
    )
}

#[derive(Insertable)]
#[diesel(table_name = remote_media)]
pub(crate) struct InsertedRemoteMedia<'a> {
    remote_object_id: Option<i64>,
    remote_actor_id: Option<i64>,
    role: &'static str,
    position: i32,
    kind: &'static str,
    remote_url: &'a str,
    claimed_type: Option<&'a str>,
    description: Option<&'a str>,
    blurhash: Option<&'a str>,
    width: Option<i32>,
    height: Option<i32>,
    focus_x: i32,
    focus_y: i32,
    original_key: String,
    preview_key: String,
    state: &'static str,
    created_at: UtcTime,
}

pub(crate) fn inserted(
    new: &NewRemoteMedia,
    position: i32,
    remote_object_id: Option<i64>,
    remote_actor_id: Option<i64>,
    now: UtcTime,
) -> InsertedRemoteMedia<'_> {
    InsertedRemoteMedia {
        remote_object_id,
        remote_actor_id,
        role: new.role.as_str(),
        position,
        kind: new.kind_name(),
        remote_url: &new.remote_url,
        claimed_type: new.claimed_type.as_deref(),
        description: new.description.as_deref(),
        blurhash: new.blurhash.as_deref(),
        width: new.width,
        height: new.height,
        focus_x: new.focus_x,
        focus_y: new.focus_y,
        original_key: format!("{}/original", new.folder),
        preview_key: format!("{}/preview", new.folder),
        state: RemoteMediaState::Pending.as_str(),
        created_at: now,
    }
}

/// How long a worker holds a file it is fetching.
const LEASE_SECONDS: i64 = 120;

impl Database {
    /// A local actor that may read remote object `object_id` though not
    /// everyone may: one it was addressed to, else one whose follow of its
    /// author was accepted (the first by id, for a stable choice). We sign
    /// the fetch of its files as this actor, so that its server's own
    /// audience check lets the fetch through. `None`: no one here may.
    pub async fn local_reader_of_remote_object(&self, object_id: i64) -> Result<Option<LocalActor>, DbError> {
        use crate::schema::{follows, local_actors, remote_object_addressees, remote_objects};
        let mut conn = self.conn().await?;
        let addressee = with_conn!(&mut conn, |c| remote_object_addressees::table
            .inner_join(local_actors::table.on(local_actors::id.eq(remote_object_addressees::local_actor_id)))
            .filter(remote_object_addressees::remote_object_id.eq(object_id))
            .filter(local_actors::deleted_at.is_null())
            .order(local_actors::id.asc())
            .select(LocalActor::as_select())
            .first(c)
            .await
            .optional())?;
        if addressee.is_some() {
            return Ok(addressee);
        }
        let authors = remote_objects::table.find(object_id).select(remote_objects::attributed_to.assume_not_null());
        let actor = with_conn!(&mut conn, |c| follows::table
            .inner_join(remote_actors::table)
            .inner_join(local_actors::table)
            .filter(remote_actors::ap_id.eq_any(authors))
            .filter(follows::direction.eq(crate::Direction::Outgoing.as_str()))
            .filter(follows::state.eq(crate::FollowState::Accepted.as_str()))
            .filter(local_actors::deleted_at.is_null())
            .order(local_actors::id.asc())
            .select(LocalActor::as_select())
            .first(c)
            .await
            .optional())?;
        Ok(actor)
    }

    /// Sets the avatar and header of remote actor `actor_id` (`None`: it has
    /// none): a file whose URL changed is detached and a new row written.
    pub async fn set_remote_actor_images(
        &self,
        actor_id: i64,
        images: &[(RemoteMediaRole, Option<NewRemoteMedia>)],
    ) -> Result<(), DbError> {
        let mut conn = self.conn().await?;
        let now = UtcTime::now();
        with_write_tx!(self, &mut conn, |c| {
            for (role, new) in images {
                let stored: Option<(i64, String)> = remote_media::table
                    .filter(remote_media::remote_actor_id.eq(actor_id))
                    .filter(remote_media::role.eq(role.as_str()))
                    .select(ROW_AND_URL)
                    .first(c)
                    .await
                    .optional()?;
                if stored.as_ref().map(|s| &s.1) == new.as_ref().map(|n| &n.remote_url) {
                    continue;
                }
                if let Some((id, _)) = stored {
                    diesel::update(remote_media::table.find(id))
                        .set(remote_media::remote_actor_id.eq(None::<i64>))
                        .execute(c)
                        .await?;
                }
                if let Some(new) = new {
                    diesel::insert_into(remote_media::table)
                        .values(inserted(new, 0, None, Some(actor_id), now))
                        .execute(c)
                        .await?;
                }
            }
            Ok(())
        })
    }

    /// The attachments of these remote objects, by object then position.
    pub async fn attachments_of_remote_objects(&self, ids: &[i64]) -> Result<Vec<RemoteMedia>, DbError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = self.conn().await?;
        let ids = ids.to_vec();
        Ok(with_conn!(&mut conn, |c| remote_media::table
            .filter(remote_media::remote_object_id.eq_any(ids))
            .filter(remote_media::role.eq(RemoteMediaRole::Attachment.as_str()))
            .order((remote_media::remote_object_id, remote_media::position))
            .select(RemoteMedia::as_select())
            .load(c)
            .await)?)
    }

    /// The avatars and headers of these remote actors.
    pub async fn images_of_remote_actors(&self, ids: &[i64]) -> Result<Vec<RemoteMedia>, DbError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = self.conn().await?;
        let ids = ids.to_vec();
        Ok(with_conn!(&mut conn, |c| remote_media::table
            .filter(remote_media::remote_actor_id.eq_any(ids))
            .select(RemoteMedia::as_select())
            .load(c)
            .await)?)
    }

    /// The file whose original or preview has `key`.
    pub async fn remote_media_by_key(&self, key: &str) -> Result<Option<RemoteMedia>, DbError> {
        let mut conn = self.conn().await?;
        Ok(with_conn!(&mut conn, |c| remote_media::table
            .filter(remote_media::original_key.eq(key).or(remote_media::preview_key.eq(key)))
            .select(RemoteMedia::as_select())
            .first(c)
            .await
            .optional())?)
    }

    /// Takes the lease of a file to fetch (pending, or pruned and asked for),
    /// unless another worker holds it; the row as leased. A file waiting to
    /// be retried after a passing failure is taken `on_demand` (a reader
    /// asks for it) but not by the background worker.
    pub async fn lease_remote_media(&self, id: i64, on_demand: bool) -> Result<Option<RemoteMedia>, DbError> {
        let mut conn = self.conn().await?;
        let now = UtcTime::now();
        let until = UtcTime::from(now.as_datetime() + chrono::Duration::seconds(LEASE_SECONDS));
        with_write_tx!(self, &mut conn, |c| {
            let leased =
                diesel::update(
                    remote_media::table
                        .find(id)
                        .filter(
                            remote_media::state
                                .eq_any([RemoteMediaState::Pending.as_str(), RemoteMediaState::Pruned.as_str()]),
                        )
                        .filter(remote_media::leased_until.is_null().or(remote_media::leased_until.lt(now)).or(
                            remote_media::failure.is_not_null().and(on_demand.into_sql::<diesel::sql_types::Bool>()),
                        )),
                )
                .set(remote_media::leased_until.eq(Some(until)))
                .execute(c)
                .await?;
            if leased == 0 {
                return Ok(None);
            }
            Ok(Some(remote_media::table.find(id).select(RemoteMedia::as_select()).first(c).await?))
        })
    }

    /// Files waiting for their first fetch (still linked to a post or an
    /// actor, not leased), oldest first.
    pub async fn pending_remote_media(&self, limit: i64) -> Result<Vec<i64>, DbError> {
        let mut conn = self.conn().await?;
        let now = UtcTime::now();
        Ok(with_conn!(&mut conn, |c| remote_media::table
            .filter(remote_media::state.eq(RemoteMediaState::Pending.as_str()))
            .filter(remote_media::remote_object_id.is_not_null().or(remote_media::remote_actor_id.is_not_null()))
            .filter(remote_media::leased_until.is_null().or(remote_media::leased_until.lt(now)))
            .order(remote_media::id)
            .limit(limit)
            .select(remote_media::id)
            .load(c)
            .await)?)
    }

    /// Records our copy of a leased file.
    pub async fn set_remote_media_cached(&self, id: i64, cached: &CachedRemoteMedia) -> Result<(), DbError> {
        let mut conn = self.write_conn().await?;
        let now = UtcTime::now();
        with_conn!(&mut conn, |c| diesel::update(remote_media::table.find(id))
            .set((
                (
                    remote_media::state.eq(RemoteMediaState::Cached.as_str()),
                    remote_media::kind.eq(cached.kind.as_str()),
                    remote_media::media_type.eq(Some(&cached.media_type)),
                    remote_media::has_preview.eq(cached.has_preview),
                    remote_media::width.eq(cached.width),
                    remote_media::height.eq(cached.height),
                    remote_media::preview_width.eq(cached.preview_width),
                ),
                (
                    remote_media::preview_height.eq(cached.preview_height),
                    remote_media::blurhash.eq(cached.blurhash.as_deref()),
                    remote_media::byte_size.eq(cached.byte_size),
                    remote_media::fetched_at.eq(Some(now)),
                    remote_media::failure.eq(None::<String>),
                    remote_media::leased_until.eq(None::<UtcTime>),
                ),
            ))
            .execute(c)
            .await)?;
        Ok(())
    }

    /// Records a failed fetch: `for_good` (refused: address, type, size)
    /// marks it failed; otherwise the worker tries again after `retry_in`
    /// (a reader asking for it may try before).
    pub async fn set_remote_media_failed(
        &self,
        id: i64,
        failure: &str,
        for_good: bool,
        retry_in: std::time::Duration,
    ) -> Result<(), DbError> {
        let mut conn = self.write_conn().await?;
        let retry = chrono::Duration::from_std(retry_in).unwrap_or(chrono::Duration::days(1));
        let retry_at = UtcTime::from(UtcTime::now().as_datetime() + retry);
        with_conn!(&mut conn, |c| {
            let row = remote_media::table.find(id);
            if for_good {
                diesel::update(row)
                    .set((
                        remote_media::failure.eq(Some(failure)),
                        remote_media::attempts.eq(remote_media::attempts + 1),
                        remote_media::state.eq(RemoteMediaState::Failed.as_str()),
                        remote_media::leased_until.eq(None::<UtcTime>),
                    ))
                    .execute(c)
                    .await
            } else {
                diesel::update(row)
                    .set((
                        remote_media::failure.eq(Some(failure)),
                        remote_media::attempts.eq(remote_media::attempts + 1),
                        remote_media::leased_until.eq(Some(retry_at)),
                    ))
                    .execute(c)
                    .await
            }
        })?;
        Ok(())
    }

    /// Cached files fetched before `before`, and detached files: what the
    /// pruning removes next.
    pub async fn remote_media_to_prune(&self, before: UtcTime, limit: i64) -> Result<Vec<RemoteMedia>, DbError> {
        let mut conn = self.conn().await?;
        Ok(with_conn!(&mut conn, |c| remote_media::table
            .filter(
                remote_media::state
                    .eq(RemoteMediaState::Cached.as_str())
                    .and(remote_media::fetched_at.lt(before))
                    .or(remote_media::remote_object_id.is_null().and(remote_media::remote_actor_id.is_null())),
            )
            .order(remote_media::id)
            .limit(limit)
            .select(RemoteMedia::as_select())
            .load(c)
            .await)?)
    }

    /// After its files are removed: a detached row is deleted, another one
    /// marked pruned (fetched again when asked for).
    pub async fn forget_remote_media(&self, row: &RemoteMedia) -> Result<(), DbError> {
        let mut conn = self.write_conn().await?;
        let detached = row.remote_object_id.is_none() && row.remote_actor_id.is_none();
        with_conn!(&mut conn, |c| if detached {
            diesel::delete(remote_media::table.find(row.id)).execute(c).await
        } else {
            diesel::update(remote_media::table.find(row.id))
                .set((
                    remote_media::state.eq(RemoteMediaState::Pruned.as_str()),
                    remote_media::byte_size.eq(0),
                    remote_media::fetched_at.eq(None::<UtcTime>),
                ))
                .execute(c)
                .await
        })?;
        Ok(())
    }

    /// Files and bytes the remote cache holds.
    pub async fn remote_cache_usage(&self) -> Result<RemoteCacheUsage, DbError> {
        let mut conn = self.conn().await?;
        let sizes: Vec<i64> = with_conn!(&mut conn, |c| remote_media::table
            .filter(remote_media::state.eq(RemoteMediaState::Cached.as_str()))
            .select(remote_media::byte_size)
            .load(c)
            .await)?;
        Ok(RemoteCacheUsage { files: sizes.len() as i64, bytes: sizes.iter().sum() })
    }

    /// The remote actor's row id, for its images.
    pub async fn remote_actor_id(&self, ap_id: &str) -> Result<Option<i64>, DbError> {
        let mut conn = self.conn().await?;
        Ok(with_conn!(&mut conn, |c| remote_actors::table
            .filter(remote_actors::ap_id.eq(ap_id))
            .select(remote_actors::id)
            .first(c)
            .await
            .optional())?)
    }
}
