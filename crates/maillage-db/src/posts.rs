//! Objects we publish: enterprises' updates (`Note`) and shared practices
//! (`Article`). Creating, editing and deleting one is written together with
//! the activities that announce it.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use maillage_domain::{PostKind, Visibility};

use crate::audience::{set_post_addressees, visible_posts};
use crate::live::{LiveEvent, LiveTx, StatusKey};
use crate::media::{attach_media, delete_post_media, set_cover};
use crate::outbox::insert_outgoing;
use crate::schema::{enterprise_editors, posts};
use crate::tags::index_post;
use crate::{CoverChange, Database, DbError, MediaAttachment, Outgoing, UtcTime};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = posts)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct Post {
    pub id: i64,
    pub ap_id: String,
    #[diesel(deserialize_as = String)]
    pub kind: PostKind,
    pub actor_id: i64,
    pub author_id: Option<i64>,
    pub visibility: String,
    pub language: String,
    pub title: Option<String>,
    pub summary: Option<String>,
    pub source: String,
    pub content_html: String,
    pub tags_json: String,
    pub mentions_json: String,
    pub licence: Option<String>,
    pub adapted_from: Option<String>,
    pub in_reply_to: Option<String>,
    pub published: UtcTime,
    pub updated: Option<UtcTime>,
    pub deleted_at: Option<UtcTime>,
    /// An update's content warning (plain text); practices have none.
    pub content_warning: Option<String>,
    /// An update's text in other languages: `{"en": "<p>…</p>"}`.
    pub translations_json: String,
}

impl Post {
    pub fn visibility(&self) -> Visibility {
        Visibility::from_stored(&self.visibility)
    }

    /// Listed on public and tag timelines (and reshared by the hub).
    pub fn is_public(&self) -> bool {
        self.visibility().is_listed()
    }

    /// The HTML of this post in `language`: its own, or a translation.
    pub fn content_in(&self, language: &str) -> Option<String> {
        if self.language == language {
            return Some(self.content_html.clone());
        }
        let translations: std::collections::BTreeMap<String, String> =
            serde_json::from_str(&self.translations_json).unwrap_or_default();
        translations.get(language).cloned()
    }

    /// The languages of its translations.
    pub fn translated_languages(&self) -> Vec<String> {
        let translations: std::collections::BTreeMap<String, String> =
            serde_json::from_str(&self.translations_json).unwrap_or_default();
        translations.into_keys().collect()
    }
}

/// The fields of a post that its author writes (and may edit).
#[derive(Debug, Clone, PartialEq, Insertable, AsChangeset)]
#[diesel(table_name = posts)]
#[diesel(treat_none_as_null = true)]
pub struct PostContent {
    pub language: String,
    pub title: Option<String>,
    pub summary: Option<String>,
    pub source: String,
    pub content_html: String,
    pub tags_json: String,
    pub mentions_json: String,
    pub licence: Option<String>,
    pub adapted_from: Option<String>,
    pub content_warning: Option<String>,
    pub translations_json: String,
    /// The actors it names (ActivityPub ids): they may read it whatever its visibility.
    #[diesel(skip_insertion, skip_update)]
    pub addressees: Vec<String>,
}

/// What a new post is, besides its content.
#[derive(Debug, Clone)]
pub struct NewPost {
    pub ap_id: String,
    pub kind: PostKind,
    pub actor_id: i64,
    pub author_id: Option<i64>,
    pub visibility: Visibility,
    pub in_reply_to: Option<String>,
    pub published: UtcTime,
    pub content: PostContent,
}

impl Database {
    /// Stores a post, its tags and the activities announcing it, atomically.
    pub async fn create_post(&self, post: &NewPost, notify: &[Outgoing]) -> Result<Post, DbError> {
        self.create_post_with_media(post, None, notify).await
    }

    /// [`Database::create_post`], attaching uploads in the same
    /// transaction (refused if one is not the uploader's or already taken).
    pub async fn create_post_with_media(
        &self,
        post: &NewPost,
        media: Option<&MediaAttachment>,
        notify: &[Outgoing],
    ) -> Result<Post, DbError> {
        self.create_post_with_files(post, media, None, notify).await
    }

    /// [`Database::create_post_with_media`], setting a practice's cover too.
    pub async fn create_post_with_files(
        &self,
        post: &NewPost,
        media: Option<&MediaAttachment>,
        cover: Option<&CoverChange>,
        notify: &[Outgoing],
    ) -> Result<Post, DbError> {
        let mut conn = self.conn().await?;
        let now = UtcTime::now();
        with_enqueuing_tx!(self, &mut conn, |c| {
            let row = diesel::insert_into(posts::table)
                .values((
                    posts::ap_id.eq(&post.ap_id),
                    posts::kind.eq(post.kind.as_str()),
                    posts::actor_id.eq(post.actor_id),
                    posts::author_id.eq(post.author_id),
                    posts::visibility.eq(post.visibility.as_str()),
                    posts::in_reply_to.eq(&post.in_reply_to),
                    posts::published.eq(post.published),
                    &post.content,
                ))
                .returning(Post::as_returning())
                .get_result(c)
                .await?;
            index_post!(c, &row);
            set_post_addressees!(c, row.id, &post.content.addressees);
            attach_media!(c, row.id, media);
            set_cover!(c, row.id, cover);
            for outgoing in notify {
                insert_outgoing!(c, outgoing, now);
            }
            c.publish_live(&LiveEvent::StatusCreated { status: StatusKey::Local(row.id) }).await?;
            Ok(row)
        })
        .inspect(|row| self.live_committed(&[LiveEvent::StatusCreated { status: StatusKey::Local(row.id) }]))
    }

    /// Replaces a post's content (an edit) and its tags, and stores the `Update`s.
    pub async fn update_post(
        &self,
        id: i64,
        content: &PostContent,
        updated: UtcTime,
        notify: &[Outgoing],
    ) -> Result<Post, DbError> {
        self.update_post_with_media(id, content, updated, None, notify).await
    }

    /// [`Database::update_post`], replacing its uploads when `media` is given.
    pub async fn update_post_with_media(
        &self,
        id: i64,
        content: &PostContent,
        updated: UtcTime,
        media: Option<&MediaAttachment>,
        notify: &[Outgoing],
    ) -> Result<Post, DbError> {
        Ok(self.update_post_with_files(id, content, updated, media, None, notify).await?.0)
    }

    /// [`Database::update_post_with_media`], setting or taking off a
    /// practice's cover when `cover` is given; with the store keys of the
    /// cover replaced, for the caller to delete once this is committed.
    pub async fn update_post_with_files(
        &self,
        id: i64,
        content: &PostContent,
        updated: UtcTime,
        media: Option<&MediaAttachment>,
        cover: Option<&CoverChange>,
        notify: &[Outgoing],
    ) -> Result<(Post, Vec<String>), DbError> {
        let mut conn = self.conn().await?;
        let now = UtcTime::now();
        with_enqueuing_tx!(self, &mut conn, |c| {
            let row = diesel::update(posts::table.find(id).filter(posts::deleted_at.is_null()))
                .set((content, posts::updated.eq(Some(updated))))
                .returning(Post::as_returning())
                .get_result(c)
                .await?;
            index_post!(c, &row);
            set_post_addressees!(c, row.id, &content.addressees);
            attach_media!(c, row.id, media);
            let replaced = set_cover!(c, row.id, cover);
            for outgoing in notify {
                insert_outgoing!(c, outgoing, now);
            }
            c.publish_live(&LiveEvent::StatusEdited { status: StatusKey::Local(row.id) }).await?;
            Ok((row, replaced))
        })
        .inspect(|(row, _)| self.live_committed(&[LiveEvent::StatusEdited { status: StatusKey::Local(row.id) }]))
    }

    /// Marks a post deleted (it is then served as a Tombstone), takes it out
    /// of the tag index, deletes the rows of its uploads and stores the
    /// `Delete`s. Returns the media store keys of the uploads' files, for
    /// the caller to delete once this is committed.
    pub async fn delete_post(&self, id: i64, notify: &[Outgoing]) -> Result<Vec<String>, DbError> {
        let mut conn = self.conn().await?;
        let now = UtcTime::now();
        with_enqueuing_tx!(self, &mut conn, |c| {
            let deleted = diesel::update(posts::table.find(id).filter(posts::deleted_at.is_null()))
                .set(posts::deleted_at.eq(Some(now)))
                .returning(Post::as_returning())
                .get_result(c)
                .await?;
            index_post!(c, &deleted);
            let keys = delete_post_media!(c, deleted.id);
            for outgoing in notify {
                insert_outgoing!(c, outgoing, now);
            }
            c.publish_live(&LiveEvent::StatusDeleted { status: StatusKey::Local(id) }).await?;
            Ok(keys)
        })
        .inspect(|_| self.live_committed(&[LiveEvent::StatusDeleted { status: StatusKey::Local(id) }]))
    }

    pub async fn post_by_ap_id(&self, ap_id: &str) -> Result<Option<Post>, DbError> {
        let mut conn = self.conn().await?;
        let row = with_conn!(&mut conn, |c| posts::table
            .filter(posts::ap_id.eq(ap_id))
            .select(Post::as_select())
            .first(c)
            .await
            .optional())?;
        Ok(row)
    }

    /// Live posts of an actor, newest first, before the post `before`.
    pub async fn posts_of(&self, actor_id: i64, before: Option<i64>, limit: i64) -> Result<Vec<Post>, DbError> {
        let mut conn = self.conn().await?;
        let before = before.unwrap_or(i64::MAX);
        let rows = with_conn!(&mut conn, |c| posts::table
            .filter(posts::actor_id.eq(actor_id))
            .filter(posts::deleted_at.is_null())
            .filter(posts::id.lt(before))
            .order(posts::id.desc())
            .limit(limit)
            .select(Post::as_select())
            .load(c)
            .await)?;
        Ok(rows)
    }

    /// Live practices (articles) that anyone may read, newest first, before
    /// the post `before`; of one enterprise when given.
    pub async fn practices_page(
        &self,
        enterprise_id: Option<i64>,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<Post>, DbError> {
        let mut conn = self.conn().await?;
        let before = before.unwrap_or(i64::MAX);
        let anyone = crate::Reader::anonymous();
        let rows = with_conn!(&mut conn, |c| {
            let mut query = posts::table
                .filter(posts::kind.eq(PostKind::Article.as_str()))
                .filter(posts::id.lt(before))
                .into_boxed();
            if let Some(enterprise) = enterprise_id {
                query = query.filter(posts::actor_id.eq(enterprise));
            }
            visible_posts!(query, &anyone).order(posts::id.desc()).limit(limit).select(Post::as_select()).load(c).await
        })?;
        Ok(rows)
    }

    /// Adds a member to an enterprise's team (`owner` or `editor`), or changes their role.
    pub async fn add_editor(&self, enterprise_id: i64, member_id: i64, role: &str) -> Result<(), DbError> {
        let mut conn = self.write_conn().await?;
        let now = UtcTime::now();
        with_conn!(&mut conn, |c| diesel::insert_into(enterprise_editors::table)
            .values((
                enterprise_editors::enterprise_id.eq(enterprise_id),
                enterprise_editors::member_id.eq(member_id),
                enterprise_editors::created_at.eq(now),
                enterprise_editors::role.eq(role),
            ))
            .on_conflict((enterprise_editors::enterprise_id, enterprise_editors::member_id))
            .do_update()
            .set(enterprise_editors::role.eq(role))
            .execute(c)
            .await)?;
        Ok(())
    }

    pub async fn remove_editor(&self, enterprise_id: i64, member_id: i64) -> Result<bool, DbError> {
        let mut conn = self.write_conn().await?;
        let n = with_conn!(&mut conn, |c| diesel::delete(
            enterprise_editors::table
                .filter(enterprise_editors::enterprise_id.eq(enterprise_id))
                .filter(enterprise_editors::member_id.eq(member_id))
        )
        .execute(c)
        .await)?;
        Ok(n > 0)
    }

    /// The member's role in the enterprise's team, if any.
    pub async fn team_role(&self, enterprise_id: i64, member_id: i64) -> Result<Option<String>, DbError> {
        let mut conn = self.conn().await?;
        let role = with_conn!(&mut conn, |c| enterprise_editors::table
            .filter(enterprise_editors::enterprise_id.eq(enterprise_id))
            .filter(enterprise_editors::member_id.eq(member_id))
            .select(enterprise_editors::role)
            .first(c)
            .await
            .optional())?;
        Ok(role)
    }

    pub async fn is_editor(&self, enterprise_id: i64, member_id: i64) -> Result<bool, DbError> {
        let mut conn = self.conn().await?;
        let n: i64 = with_conn!(&mut conn, |c| enterprise_editors::table
            .filter(enterprise_editors::enterprise_id.eq(enterprise_id))
            .filter(enterprise_editors::member_id.eq(member_id))
            .count()
            .get_result(c)
            .await)?;
        Ok(n > 0)
    }

    /// An enterprise's team: (username, role), by username.
    pub async fn editors_of(&self, enterprise_id: i64) -> Result<Vec<(String, String)>, DbError> {
        use crate::schema::local_actors;
        let mut conn = self.conn().await?;
        let names = with_conn!(&mut conn, |c| enterprise_editors::table
            .inner_join(local_actors::table.on(local_actors::id.eq(enterprise_editors::member_id)))
            .filter(enterprise_editors::enterprise_id.eq(enterprise_id))
            .order(local_actors::username)
            .select((local_actors::username, enterprise_editors::role))
            .load(c)
            .await)?;
        Ok(names)
    }
}
