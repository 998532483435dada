//! Uploaded files (pictures and documents): what each is, who uploaded it
//! and for whom, and the post it is attached to. The bytes live in the media
//! store under the keys kept here; deleting rows returns those keys so the
//! caller removes the files.
//!
//! Attaching is done inside the post's own write transaction
//! ([`attach_media!`]), so that a post never lists an upload that another
//! post took at the same moment.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use maillage_domain::{MediaKind, MediaRole};

use crate::schema::{local_actors, media};
use crate::{Database, DbError, UtcTime};

/// One upload, as stored.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = media)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct Media {
    pub id: i64,
    /// The member (user) who uploaded it.
    pub user_id: i64,
    /// The actor (enterprise or the member themself) it was uploaded for.
    pub actor_id: i64,
    #[diesel(deserialize_as = String)]
    pub kind: MediaKind,
    pub original_key: String,
    /// Pictures only.
    pub preview_key: Option<String>,
    pub media_type: String,
    /// Bytes stored, original and preview together (what the quota counts).
    pub byte_size: i64,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub preview_width: Option<i32>,
    pub preview_height: Option<i32>,
    pub blurhash: Option<String>,
    /// The alt text.
    pub description: Option<String>,
    /// Thousandths, -1000 to 1000 (Mastodon's -1 to 1).
    pub focus_x: i32,
    pub focus_y: i32,
    /// A document's name as uploaded.
    pub file_name: Option<String>,
    pub post_id: Option<i64>,
    pub position: Option<i32>,
    pub created_at: UtcTime,
    /// An attachment of its post, or a practice's cover.
    #[diesel(deserialize_as = String)]
    pub role: MediaRole,
}

impl Media {
    /// The keys of its files in the media store.
    pub fn keys(&self) -> Vec<String> {
        std::iter::once(self.original_key.clone()).chain(self.preview_key.clone()).collect()
    }
}

/// An upload to record, once its files are stored.
#[derive(Debug, Clone, PartialEq)]
pub struct NewMedia {
    pub user_id: i64,
    pub actor_id: i64,
    pub kind: MediaKind,
    pub original_key: String,
    pub preview_key: Option<String>,
    pub media_type: String,
    pub byte_size: i64,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub preview_width: Option<i32>,
    pub preview_height: Option<i32>,
    pub blurhash: Option<String>,
    pub description: Option<String>,
    pub focus_x: i32,
    pub focus_y: i32,
    pub file_name: Option<String>,
    pub created_at: UtcTime,
}

/// The uploads a post is to carry, in order, and who may attach them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaAttachment {
    /// The uploader every one of them must have.
    pub user_id: i64,
    pub media_ids: Vec<i64>,
    /// How many a post may carry.
    pub max: usize,
}

/// A practice's cover to set (`Some`) or take off (`None`), and who may
/// use the upload: its uploader. Replacing or removing a cover deletes the
/// old one's row; its keys are returned for the caller to delete the files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CoverChange {
    pub user_id: i64,
    pub media_id: Option<i64>,
}

/// What one enterprise (or member) holds in the media store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaUsage {
    /// The actor's handle (username).
    pub actor: String,
    pub files: i64,
    pub bytes: i64,
}

/// Sets the uploads of post `$post_id` to `$attach` (an
/// `Option<&MediaAttachment>`; `None` leaves them as they are), inside the
/// post's write transaction. Refused (and the transaction rolled back) when
/// one is not the uploader's, is attached to another post, or there are too
/// many. Uploads taken off the post become unattached (pruned later).
macro_rules! attach_media {
    ($c:expr, $post_id:expr, $attach:expr) => {{
        use $crate::schema::media;
        let post_id: i64 = $post_id;
        let attach: Option<&$crate::MediaAttachment> = $attach;
        if let Some(attach) = attach {
            if attach.media_ids.len() > attach.max {
                return Err($crate::DbError::Refused(format!(
                    "a post carries at most {} attachments (media.max_attachments)",
                    attach.max
                )));
            }
            let mut unique = attach.media_ids.clone();
            unique.sort_unstable();
            unique.dedup();
            if unique.len() != attach.media_ids.len() {
                return Err($crate::DbError::Refused("the same upload is listed twice".into()));
            }
            let attachment = maillage_domain::MediaRole::Attachment.as_str();
            let usable: i64 = media::table
                .filter(media::id.eq_any(attach.media_ids.clone()))
                .filter(media::user_id.eq(attach.user_id))
                .filter(media::post_id.is_null().or(media::post_id.eq(post_id).and(media::role.eq(attachment))))
                .count()
                .get_result(&mut *$c)
                .await?;
            if usable != attach.media_ids.len() as i64 {
                return Err($crate::DbError::Refused(
                    "an attachment is not one of your uploads, or is already attached to another post".into(),
                ));
            }
            diesel::update(media::table.filter(media::post_id.eq(post_id)).filter(media::role.eq(attachment)))
                .set((media::post_id.eq(None::<i64>), media::position.eq(None::<i32>)))
                .execute(&mut *$c)
                .await?;
            for (position, id) in attach.media_ids.iter().enumerate() {
                diesel::update(media::table.find(*id))
                    .set((media::post_id.eq(Some(post_id)), media::position.eq(Some(position as i32))))
                    .execute(&mut *$c)
                    .await?;
            }
        }
    }};
}
pub(crate) use attach_media;

/// Sets the cover of post `$post_id` to `$cover` (an
/// `Option<&CoverChange>`; `None` leaves it as it is) inside the post's
/// write transaction; evaluates to the store keys of the cover it replaced
/// or took off (its row is deleted). Refused (and the transaction rolled
/// back) when the upload is not the uploader's picture, or is attached to a
/// post already (this one's attachments included).
macro_rules! set_cover {
    ($c:expr, $post_id:expr, $cover:expr) => {{
        use $crate::schema::media;
        let post_id: i64 = $post_id;
        let cover: Option<&$crate::CoverChange> = $cover;
        let cover_role = maillage_domain::MediaRole::Cover.as_str();
        let mut replaced: Vec<String> = Vec::new();
        if let Some(cover) = cover {
            if let Some(id) = cover.media_id {
                let usable: i64 = media::table
                    .filter(media::id.eq(id))
                    .filter(media::user_id.eq(cover.user_id))
                    .filter(media::kind.eq(maillage_domain::MediaKind::Image.as_str()))
                    .filter(media::post_id.is_null().or(media::post_id.eq(post_id).and(media::role.eq(cover_role))))
                    .count()
                    .get_result(&mut *$c)
                    .await?;
                if usable != 1 {
                    return Err($crate::DbError::Refused(
                        "the cover is not one of your pictures, or is already attached to a post".into(),
                    ));
                }
            }
            let old: Vec<$crate::Media> = diesel::delete(
                media::table
                    .filter(media::post_id.eq(post_id))
                    .filter(media::role.eq(cover_role))
                    .filter(media::id.ne(cover.media_id.unwrap_or(0))),
            )
            .returning($crate::Media::as_returning())
            .get_results(&mut *$c)
            .await?;
            replaced = old.iter().flat_map($crate::Media::keys).collect();
            if let Some(id) = cover.media_id {
                diesel::update(media::table.find(id))
                    .set((
                        media::post_id.eq(Some(post_id)),
                        media::position.eq(None::<i32>),
                        media::role.eq(cover_role),
                    ))
                    .execute(&mut *$c)
                    .await?;
            }
        }
        replaced
    }};
}
pub(crate) use set_cover;

/// Deletes the rows of the uploads of post `$post_id` inside its delete
/// transaction; evaluates to the store keys of their files.
macro_rules! delete_post_media {
    ($c:expr, $post_id:expr) => {{
        use $crate::schema::media;
        let post_id: i64 = $post_id;
        let gone: Vec<$crate::Media> = diesel::delete(media::table.filter(media::post_id.eq(post_id)))
            .returning($crate::Media::as_returning())
            .get_results(&mut *$c)
            .await?;
        gone.iter().flat_map($crate::Media::keys).collect::<Vec<String>>()
    }};
}
pub(crate) use delete_post_media;

impl Database {
    pub async fn insert_media(&self, new: &NewMedia) -> Result<Media, DbError> {
        let mut conn = self.conn().await?;
        with_write_tx!(self, &mut conn, |c| {
            Ok(diesel::insert_into(media::table)
                .values((
                    (
                        media::user_id.eq(new.user_id),
                        media::actor_id.eq(new.actor_id),
                        media::kind.eq(new.kind.as_str()),
                        media::original_key.eq(&new.original_key),
                        media::preview_key.eq(&new.preview_key),
                        media::media_type.eq(&new.media_type),
                        media::byte_size.eq(new.byte_size),
                        media::width.eq(new.width),
                        media::height.eq(new.height),
                    ),
                    (
                        media::preview_width.eq(new.preview_width),
                        media::preview_height.eq(new.preview_height),
                        media::blurhash.eq(&new.blurhash),
                        media::description.eq(&new.description),
                        media::focus_x.eq(new.focus_x),
                        media::focus_y.eq(new.focus_y),
                        media::file_name.eq(&new.file_name),
                        media::created_at.eq(new.created_at),
                    ),
                ))
                .returning(Media::as_returning())
                .get_result(c)
                .await?)
        })
    }

    pub async fn media_by_id(&self, id: i64) -> Result<Option<Media>, DbError> {
        let mut conn = self.conn().await?;
        Ok(with_conn!(&mut conn, |c| media::table.find(id).select(Media::as_select()).first(c).await.optional())?)
    }

    /// An upload, for its uploader only (`None` for anyone else).
    pub async fn media_of_uploader(&self, id: i64, user_id: i64) -> Result<Option<Media>, DbError> {
        Ok(self.media_by_id(id).await?.filter(|m| m.user_id == user_id))
    }

    /// The upload whose original or preview is stored under `key`.
    pub async fn media_by_key(&self, key: &str) -> Result<Option<Media>, DbError> {
        let mut conn = self.conn().await?;
        Ok(with_conn!(&mut conn, |c| media::table
            .filter(media::original_key.eq(key).or(media::preview_key.eq(key)))
            .select(Media::as_select())
            .first(c)
            .await
            .optional())?)
    }

    /// Changes an upload's alt text and focus (in thousandths).
    pub async fn describe_media(
        &self,
        id: i64,
        description: Option<&str>,
        focus: Option<(i32, i32)>,
    ) -> Result<Media, DbError> {
        let mut conn = self.conn().await?;
        with_write_tx!(self, &mut conn, |c| {
            if let Some(description) = description {
                diesel::update(media::table.find(id)).set(media::description.eq(description)).execute(c).await?;
            }
            if let Some((x, y)) = focus {
                diesel::update(media::table.find(id))
                    .set((media::focus_x.eq(x), media::focus_y.eq(y)))
                    .execute(c)
                    .await?;
            }
            Ok(media::table.find(id).select(Media::as_select()).first(c).await?)
        })
    }

    /// The uploads of these posts, by post, each post's cover first then its
    /// attachments in order: one query for a page of a timeline.
    pub async fn media_of_posts(&self, post_ids: &[i64]) -> Result<Vec<Media>, DbError> {
        if post_ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = self.conn().await?;
        let ids = post_ids.to_vec();
        let mut rows: Vec<Media> = with_conn!(&mut conn, |c| media::table
            .filter(media::post_id.eq_any(ids))
            .select(Media::as_select())
            .load(c)
            .await)?;
        // Sorted here: the databases place a NULL position differently.
        rows.sort_by_key(|m| (m.post_id, m.role != MediaRole::Cover, m.position, m.id));
        Ok(rows)
    }

    /// Uploads never attached to a post, created before `before`.
    pub async fn unattached_media_before(&self, before: UtcTime, limit: i64) -> Result<Vec<Media>, DbError> {
        let mut conn = self.conn().await?;
        Ok(with_conn!(&mut conn, |c| media::table
            .filter(media::post_id.is_null())
            .filter(media::created_at.lt(before))
            .order(media::id)
            .limit(limit)
            .select(Media::as_select())
            .load(c)
            .await)?)
    }

    /// Deletes an upload's row if it is still unattached; its keys when it was.
    pub async fn delete_unattached_media(&self, id: i64) -> Result<Option<Vec<String>>, DbError> {
        let mut conn = self.conn().await?;
        with_write_tx!(self, &mut conn, |c| {
            let gone: Option<Media> = diesel::delete(media::table.find(id).filter(media::post_id.is_null()))
                .returning(Media::as_returning())
                .get_result(c)
                .await
                .optional()?;
            Ok(gone.map(|m| m.keys()))
        })
    }

    /// The bytes stored for a member's uploads.
    pub async fn media_bytes_of_user(&self, user_id: i64) -> Result<i64, DbError> {
        let mut conn = self.conn().await?;
        let sizes: Vec<i64> = with_conn!(&mut conn, |c| media::table
            .filter(media::user_id.eq(user_id))
            .select(media::byte_size)
            .load(c)
            .await)?;
        Ok(sizes.iter().sum())
    }

    /// Files and bytes per actor they were uploaded for, largest first.
    pub async fn media_usage(&self) -> Result<Vec<MediaUsage>, DbError> {
        let mut conn = self.conn().await?;
        let rows: Vec<(String, i64, i64)> = with_conn!(&mut conn, |c| media::table
            .inner_join(local_actors::table.on(local_actors::id.eq(media::actor_id)))
            .group_by(local_actors::username)
            .select((
                local_actors::username,
                diesel::dsl::count_star(),
                diesel::dsl::sql::<diesel::sql_types::BigInt>("CAST(SUM(media.byte_size) AS BIGINT)"),
            ))
            .load(c)
            .await)?;
        let mut usage: Vec<MediaUsage> =
            rows.into_iter().map(|(actor, files, bytes)| MediaUsage { actor, files, bytes }).collect();
        usage.sort_by(|a, b| b.bytes.cmp(&a.bytes).then_with(|| a.actor.cmp(&b.actor)));
        Ok(usage)
    }
}
