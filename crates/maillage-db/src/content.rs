//! What we hold of other servers' content: remote objects (with tombstones
//! so that a Delete wins over a late Create), reactions to objects, the
//! hub's reshares and featured items, and enterprise profiles.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use maillage_domain::Visibility;
use maillage_domain::audience::Addressing;

use crate::audience::{
    audience_of_remote, audience_of_remote_sqlite, set_remote_addressees, set_remote_addressees_sqlite,
};
use crate::live::{LiveEvent, LiveTx, StatusKey};
use crate::outbox::insert_outgoing;
use crate::schema::{featured, local_actors, reactions, remote_actors, remote_objects, reshares};
use crate::tags::{index_remote_object, remote_keys, tombstone_remote_objects, unindex_remote_objects};
use crate::{Database, DbError, Outgoing, UtcTime};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = remote_objects)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct RemoteObject {
    pub id: i64,
    pub ap_id: String,
    pub kind: String,
    pub attributed_to: Option<String>,
    pub name: Option<String>,
    pub summary: Option<String>,
    pub content_html: Option<String>,
    pub url: Option<String>,
    pub in_reply_to: Option<String>,
    pub language: Option<String>,
    pub published: Option<UtcTime>,
    pub updated: Option<UtcTime>,
    pub raw_json: String,
    pub deleted: bool,
    pub created_at: UtcTime,
    pub updated_at: UtcTime,
    /// Read from its addressing when stored (`None`: not read yet, shown to nobody).
    pub visibility: Option<String>,
}

impl RemoteObject {
    pub fn visibility(&self) -> Visibility {
        self.visibility.as_deref().map_or(Visibility::Direct, Visibility::from_stored)
    }
}

/// A remote object as parsed (HTML already sanitised).
#[derive(Debug, Clone, PartialEq, Insertable, AsChangeset)]
#[diesel(table_name = remote_objects)]
#[diesel(treat_none_as_null = true)]
pub struct NewRemoteObject {
    pub ap_id: String,
    pub kind: String,
    pub attributed_to: Option<String>,
    pub name: Option<String>,
    pub summary: Option<String>,
    pub content_html: Option<String>,
    pub url: Option<String>,
    pub in_reply_to: Option<String>,
    pub language: Option<String>,
    pub published: Option<UtcTime>,
    pub updated: Option<UtcTime>,
    pub raw_json: String,
    /// Its `to`, `cc`, `bto` and `bcc`: its visibility and its local
    /// addressees are read from them when it is stored.
    #[diesel(skip_insertion, skip_update)]
    pub addressing: Addressing,
    /// The names of its `Hashtag` tags.
    #[diesel(skip_insertion, skip_update)]
    pub hashtags: Vec<String>,
    /// Its `attachment`s, in order: they replace the stored list.
    #[diesel(skip_insertion, skip_update)]
    pub attachments: Vec<crate::NewRemoteMedia>,
}

/// How a remote object write went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreOutcome {
    Stored,
    /// A newer version is already stored: the write is ignored.
    Outdated,
    /// The object was deleted before: the write is ignored.
    Tombstoned,
    /// The stored object has another author: only its author changes it,
    /// the write is ignored.
    NotTheAuthor,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReactionKind {
    Like,
    Announce,
}

impl ReactionKind {
    fn as_str(self) -> &'static str {
        match self {
            ReactionKind::Like => "like",
            ReactionKind::Announce => "announce",
        }
    }
}

/// Likes and reshares of one object.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReactionSummary {
    pub likes: Vec<String>,
    pub announces: Vec<String>,
}

/// What is known of a stored object before writing a new version of it:
/// its row id, whether it is a tombstone, when we stored it first, its
/// `updated`, its author.
type StoredVersion = (i64, bool, UtcTime, Option<UtcTime>, Option<String>);
const STORED_VERSION: (
    remote_objects::id,
    remote_objects::deleted,
    remote_objects::created_at,
    remote_objects::updated,
    remote_objects::attributed_to,
) = (
    remote_objects::id,
    remote_objects::deleted,
    remote_objects::created_at,
    remote_objects::updated,
    remote_objects::attributed_to,
);

enum ObjectWrite {
    Skip(StoreOutcome),
    Update { id: i64, created_at: UtcTime },
    Insert,
}

/// Whether and how a received version of an object is written.
fn write_for(object: &NewRemoteObject, stored: Option<StoredVersion>) -> ObjectWrite {
    match stored {
        Some((_, true, _, _, _)) => ObjectWrite::Skip(StoreOutcome::Tombstoned),
        // Another actor of the same server cannot rewrite (or disown) a post.
        Some((_, false, _, _, Some(author))) if object.attributed_to.as_deref() != Some(author.as_str()) => {
            ObjectWrite::Skip(StoreOutcome::NotTheAuthor)
        }
        // Deliveries may arrive out of order: an older version never
        // replaces a newer one (the original has no `updated`).
        Some((_, false, _, Some(stored_updated), _))
            if object.updated.as_ref().is_none_or(|incoming| *incoming < stored_updated) =>
        {
            ObjectWrite::Skip(StoreOutcome::Outdated)
        }
        Some((id, false, created_at, _, _)) => ObjectWrite::Update { id, created_at },
        None => ObjectWrite::Insert,
    }
}

/// [`Database::store_remote_objects`] on SQLite, with the synchronous
/// connection, inside the caller's transaction: the same statements.
fn store_remote_objects_sqlite(
    c: &mut diesel::SqliteConnection,
    objects: &[NewRemoteObject],
    now: UtcTime,
) -> QueryResult<(Vec<StoreOutcome>, Vec<LiveEvent>)> {
    use crate::schema::remote_object_tags;
    let mut outcomes = Vec::with_capacity(objects.len());
    let mut events = Vec::new();
    for object in objects {
        let stored = diesel::RunQueryDsl::first(
            remote_objects::table.filter(remote_objects::ap_id.eq(&object.ap_id)).select(STORED_VERSION),
            c,
        )
        .optional()?;
        let write = write_for(object, stored);
        if let ObjectWrite::Skip(outcome) = write {
            outcomes.push(outcome);
            continue;
        }
        let (visibility, addressees) = audience_of_remote_sqlite(c, object)?;
        let shown_as = remote_objects::visibility.eq(Some(visibility.as_str()));
        let (id, created_at) = match write {
            ObjectWrite::Skip(_) => continue,
            ObjectWrite::Update { id, created_at } => {
                diesel::RunQueryDsl::execute(
                    diesel::update(remote_objects::table.find(id)).set((
                        object,
                        remote_objects::updated_at.eq(now),
                        shown_as,
                    )),
                    c,
                )?;
                diesel::RunQueryDsl::execute(
                    diesel::delete(remote_object_tags::table.filter(remote_object_tags::remote_object_id.eq(id))),
                    c,
                )?;
                events.extend(live_event(object, StatusKey::Remote(id), false));
                (id, created_at)
            }
            ObjectWrite::Insert => {
                let id = diesel::RunQueryDsl::get_result(
                    diesel::insert_into(remote_objects::table)
                        .values((
                            object,
                            remote_objects::created_at.eq(now),
                            remote_objects::updated_at.eq(now),
                            shown_as,
                        ))
                        .returning(remote_objects::id),
                    c,
                )?;
                events.extend(live_event(object, StatusKey::Remote(id), true));
                (id, now)
            }
        };
        set_remote_addressees_sqlite(c, id, &addressees)?;
        crate::remote_media::replace_remote_attachments_sqlite(c, id, &object.attachments, now)?;
        for tag in remote_keys(&object.kind, visibility.is_listed(), &object.hashtags) {
            diesel::RunQueryDsl::execute(
                diesel::insert_into(remote_object_tags::table)
                    .values((
                        remote_object_tags::remote_object_id.eq(id),
                        remote_object_tags::tag.eq(tag),
                        remote_object_tags::created_at.eq(created_at),
                    ))
                    .on_conflict_do_nothing(),
                c,
            )?;
        }
        outcomes.push(StoreOutcome::Stored);
    }
    Ok((outcomes, events))
}

/// The event a write of a remote object publishes: statuses only (the
/// kinds timelines show), not the other objects we store.
fn live_event(object: &NewRemoteObject, status: StatusKey, inserted: bool) -> Option<LiveEvent> {
    if !crate::timeline::TIMELINE_KINDS.contains(&object.kind.as_str()) {
        return None;
    }
    Some(match inserted {
        true => LiveEvent::StatusCreated { status },
        false => LiveEvent::StatusEdited { status },
    })
}

impl Database {
    /// Inserts or refreshes a remote object and its tags, unless it was deleted.
    pub async fn store_remote_object(&self, object: &NewRemoteObject) -> Result<StoreOutcome, DbError> {
        let mut outcomes = self.store_remote_objects(std::slice::from_ref(object)).await?;
        Ok(outcomes.pop().unwrap_or(StoreOutcome::Outdated))
    }

    /// [`Self::store_remote_object`] for several objects, in order, in one
    /// transaction (the inbox worker's batches). On SQLite the whole
    /// transaction runs in one blocking call: every async statement on
    /// SQLite is a round trip to a blocking thread.
    pub async fn store_remote_objects(&self, objects: &[NewRemoteObject]) -> Result<Vec<StoreOutcome>, DbError> {
        let now = UtcTime::now();
        if self.kind() == maillage_config::DatabaseKind::Sqlite {
            let objects = objects.to_vec();
            let (outcomes, events) = self
                .sqlite_writer()
                .await?
                .spawn_blocking(move |c| c.immediate_transaction(|c| store_remote_objects_sqlite(c, &objects, now)))
                .await?;
            self.live_committed(&events);
            return Ok(outcomes);
        }
        let mut conn = self.conn().await?;
        with_write_tx!(self, &mut conn, |c| {
            let mut outcomes = Vec::with_capacity(objects.len());
            for object in objects {
                let stored = remote_objects::table
                    .filter(remote_objects::ap_id.eq(&object.ap_id))
                    .select(STORED_VERSION)
                    .first(c)
                    .await
                    .optional()?;
                let write = write_for(object, stored);
                if let ObjectWrite::Skip(outcome) = write {
                    outcomes.push(outcome);
                    continue;
                }
                let (visibility, addressees) =
                    audience_of_remote!(c, object.attributed_to.as_deref(), &object.addressing);
                let shown_as = remote_objects::visibility.eq(Some(visibility.as_str()));
                let keys = remote_keys(&object.kind, visibility.is_listed(), &object.hashtags);
                let outcome = match write {
                    ObjectWrite::Skip(outcome) => outcome,
                    ObjectWrite::Update { id, created_at } => {
                        diesel::update(remote_objects::table.find(id))
                            .set((object, remote_objects::updated_at.eq(now), shown_as))
                            .execute(c)
                            .await?;
                        set_remote_addressees!(c, id, addressees);
                        crate::remote_media::replace_remote_attachments!(c, id, &object.attachments, now);
                        index_remote_object!(c, id, created_at, keys);
                        if let Some(event) = live_event(object, StatusKey::Remote(id), false) {
                            c.publish_live(&event).await?;
                        }
                        StoreOutcome::Stored
                    }
                    ObjectWrite::Insert => {
                        let id = diesel::insert_into(remote_objects::table)
                            .values((
                                object,
                                remote_objects::created_at.eq(now),
                                remote_objects::updated_at.eq(now),
                                shown_as,
                            ))
                            .returning(remote_objects::id)
                            .get_result(c)
                            .await?;
                        set_remote_addressees!(c, id, addressees);
                        crate::remote_media::replace_remote_attachments!(c, id, &object.attachments, now);
                        index_remote_object!(c, id, now, keys);
                        if let Some(event) = live_event(object, StatusKey::Remote(id), true) {
                            c.publish_live(&event).await?;
                        }
                        StoreOutcome::Stored
                    }
                };
                outcomes.push(outcome);
            }
            Ok(outcomes)
        })
    }

    /// Marks a remote object deleted, keeping a tombstone even when we never
    /// saw it (a Delete may arrive before its Create).
    pub async fn tombstone_remote_object(&self, ap_id: &str, kind: &str) -> Result<(), DbError> {
        let mut conn = self.conn().await?;
        let now = UtcTime::now();
        with_write_tx!(self, &mut conn, |c| {
            unindex_remote_objects!(c, remote_objects::ap_id.eq(ap_id));
            let id = diesel::insert_into(remote_objects::table)
                .values((
                    remote_objects::ap_id.eq(ap_id),
                    remote_objects::kind.eq(kind),
                    remote_objects::raw_json.eq("{}"),
                    remote_objects::deleted.eq(true),
                    remote_objects::created_at.eq(now),
                    remote_objects::updated_at.eq(now),
                ))
                .on_conflict(remote_objects::ap_id)
                .do_update()
                .set((
                    remote_objects::deleted.eq(true),
                    remote_objects::name.eq(None::<String>),
                    remote_objects::summary.eq(None::<String>),
                    remote_objects::content_html.eq(None::<String>),
                    remote_objects::raw_json.eq("{}"),
                    remote_objects::updated_at.eq(now),
                ))
                .returning(remote_objects::id)
                .get_result::<i64>(c)
                .await?;
            diesel::update(
                crate::schema::remote_media::table.filter(crate::schema::remote_media::remote_object_id.eq(id)),
            )
            .set(crate::schema::remote_media::remote_object_id.eq(None::<i64>))
            .execute(c)
            .await?;
            let event = LiveEvent::StatusDeleted { status: StatusKey::Remote(id) };
            c.publish_live(&event).await?;
            Ok(event)
        })
        .map(|event| self.live_committed(&[event]))
    }

    pub async fn remote_object(&self, ap_id: &str) -> Result<Option<RemoteObject>, DbError> {
        let mut conn = self.conn().await?;
        let row = with_conn!(&mut conn, |c| remote_objects::table
            .filter(remote_objects::ap_id.eq(ap_id))
            .select(RemoteObject::as_select())
            .first(c)
            .await
            .optional())?;
        Ok(row)
    }

    /// Live remote objects attributed to an actor, newest first.
    pub async fn remote_objects_by(&self, attributed_to: &str, limit: i64) -> Result<Vec<RemoteObject>, DbError> {
        let mut conn = self.conn().await?;
        let rows = with_conn!(&mut conn, |c| remote_objects::table
            .filter(remote_objects::attributed_to.eq(attributed_to))
            .filter(remote_objects::deleted.eq(false))
            .order(remote_objects::id.desc())
            .limit(limit)
            .select(RemoteObject::as_select())
            .load(c)
            .await)?;
        Ok(rows)
    }

    /// Removes a remote actor (deleted at its origin), its objects becoming tombstones.
    pub async fn remove_remote_actor(&self, ap_id: &str) -> Result<bool, DbError> {
        let mut conn = self.conn().await?;
        let now = UtcTime::now();
        with_write_tx!(self, &mut conn, |c| {
            let events = tombstone_remote_objects!(c, remote_objects::attributed_to.eq(ap_id), now);
            let removed =
                diesel::delete(remote_actors::table.filter(remote_actors::ap_id.eq(ap_id))).execute(c).await?;
            Ok((removed > 0, events))
        })
        .map(|(removed, events)| {
            self.live_committed(&events);
            removed
        })
    }

    pub async fn set_remote_profile(&self, ap_id: &str, profile_json: Option<&str>) -> Result<(), DbError> {
        let mut conn = self.write_conn().await?;
        with_conn!(&mut conn, |c| diesel::update(remote_actors::table.filter(remote_actors::ap_id.eq(ap_id)))
            .set(remote_actors::profile_json.eq(profile_json))
            .execute(c)
            .await)?;
        Ok(())
    }

    /// Records a Like or a reshare; returns false when it was already there.
    pub async fn add_reaction(
        &self,
        kind: ReactionKind,
        object_ap_id: &str,
        actor_ap_id: &str,
        activity_ap_id: &str,
    ) -> Result<bool, DbError> {
        let mut conn = self.write_conn().await?;
        let now = UtcTime::now();
        let n = with_conn!(&mut conn, |c| diesel::insert_into(reactions::table)
            .values((
                reactions::kind.eq(kind.as_str()),
                reactions::object_ap_id.eq(object_ap_id),
                reactions::actor_ap_id.eq(actor_ap_id),
                reactions::activity_ap_id.eq(activity_ap_id),
                reactions::created_at.eq(now),
            ))
            .on_conflict_do_nothing()
            .execute(c)
            .await)?;
        Ok(n > 0)
    }

    /// Undoes a Like or reshare, by its activity id or by (kind, object, actor).
    pub async fn remove_reaction(
        &self,
        activity_ap_id: &str,
        fallback: Option<(ReactionKind, &str)>,
        actor_ap_id: &str,
    ) -> Result<bool, DbError> {
        let mut conn = self.write_conn().await?;
        let mut removed = with_conn!(&mut conn, |c| diesel::delete(
            reactions::table
                .filter(reactions::activity_ap_id.eq(activity_ap_id))
                .filter(reactions::actor_ap_id.eq(actor_ap_id))
        )
        .execute(c)
        .await)?;
        if removed == 0
            && let Some((kind, object)) = fallback
        {
            removed = with_conn!(&mut conn, |c| diesel::delete(
                reactions::table
                    .filter(reactions::kind.eq(kind.as_str()))
                    .filter(reactions::object_ap_id.eq(object))
                    .filter(reactions::actor_ap_id.eq(actor_ap_id))
            )
            .execute(c)
            .await)?;
        }
        Ok(removed > 0)
    }

    /// A local actor's Like or reshare (or its undoing), with the activity
    /// that tells the other side, in one transaction.
    pub async fn save_own_reaction(
        &self,
        kind: ReactionKind,
        object_ap_id: &str,
        actor_ap_id: &str,
        undo: bool,
        notify: &Outgoing,
    ) -> Result<(), DbError> {
        let mut conn = self.conn().await?;
        let now = UtcTime::now();
        let reaction_id = if undo { String::new() } else { notify.ap_id.clone() };
        with_enqueuing_tx!(self, &mut conn, |c| {
            insert_outgoing!(c, notify, now);
            let mine = reactions::table
                .filter(reactions::kind.eq(kind.as_str()))
                .filter(reactions::object_ap_id.eq(object_ap_id))
                .filter(reactions::actor_ap_id.eq(actor_ap_id));
            if undo {
                diesel::delete(mine).execute(c).await?;
            } else {
                diesel::insert_into(reactions::table)
                    .values((
                        reactions::kind.eq(kind.as_str()),
                        reactions::object_ap_id.eq(object_ap_id),
                        reactions::actor_ap_id.eq(actor_ap_id),
                        reactions::activity_ap_id.eq(&reaction_id),
                        reactions::created_at.eq(now),
                    ))
                    .on_conflict_do_nothing()
                    .execute(c)
                    .await?;
            }
            Ok(())
        })
    }

    pub async fn reactions_to(&self, object_ap_id: &str) -> Result<ReactionSummary, DbError> {
        let mut conn = self.conn().await?;
        let rows: Vec<(String, String)> = with_conn!(&mut conn, |c| reactions::table
            .filter(reactions::object_ap_id.eq(object_ap_id))
            .order(reactions::id)
            .select((reactions::kind, reactions::actor_ap_id))
            .load(c)
            .await)?;
        let mut summary = ReactionSummary::default();
        for (kind, actor) in rows {
            if kind == "like" { summary.likes.push(actor) } else { summary.announces.push(actor) }
        }
        Ok(summary)
    }

    /// Records the hub's reshare with its Announce deliveries.
    pub async fn record_reshare(
        &self,
        hub_id: i64,
        object_ap_id: &str,
        announce_ap_id: &str,
        announce_json: &str,
        notify: &[Outgoing],
    ) -> Result<bool, DbError> {
        let mut conn = self.conn().await?;
        let now = UtcTime::now();
        with_enqueuing_tx!(self, &mut conn, |c| {
            let inserted = diesel::insert_into(reshares::table)
                .values((
                    reshares::hub_id.eq(hub_id),
                    reshares::object_ap_id.eq(object_ap_id),
                    reshares::announce_ap_id.eq(announce_ap_id),
                    reshares::announce_json.eq(announce_json),
                    reshares::created_at.eq(now),
                ))
                .on_conflict_do_nothing()
                .execute(c)
                .await?;
            if inserted > 0 {
                for outgoing in notify {
                    insert_outgoing!(c, outgoing, now);
                }
            }
            Ok(inserted > 0)
        })
    }

    /// The Announce JSON of a reshare, if the hub reshared the object.
    pub async fn reshare_of(&self, hub_id: i64, object_ap_id: &str) -> Result<Option<String>, DbError> {
        let mut conn = self.conn().await?;
        let json = with_conn!(&mut conn, |c| reshares::table
            .filter(reshares::hub_id.eq(hub_id))
            .filter(reshares::object_ap_id.eq(object_ap_id))
            .select(reshares::announce_json)
            .first(c)
            .await
            .optional())?;
        Ok(json)
    }

    /// Removes a reshare with its `Undo{Announce}` deliveries.
    pub async fn remove_reshare(&self, hub_id: i64, object_ap_id: &str, notify: &[Outgoing]) -> Result<bool, DbError> {
        let mut conn = self.conn().await?;
        let now = UtcTime::now();
        with_enqueuing_tx!(self, &mut conn, |c| {
            let removed = diesel::delete(
                reshares::table.filter(reshares::hub_id.eq(hub_id)).filter(reshares::object_ap_id.eq(object_ap_id)),
            )
            .execute(c)
            .await?;
            if removed > 0 {
                for outgoing in notify {
                    insert_outgoing!(c, outgoing, now);
                }
            }
            Ok(removed > 0)
        })
    }

    /// Adds or removes a featured item, with its `Add`/`Remove` deliveries.
    pub async fn set_featured(
        &self,
        hub_id: i64,
        object_ap_id: &str,
        featured_now: bool,
        notify: &[Outgoing],
    ) -> Result<bool, DbError> {
        let mut conn = self.conn().await?;
        let now = UtcTime::now();
        with_enqueuing_tx!(self, &mut conn, |c| {
            let changed = if featured_now {
                diesel::insert_into(featured::table)
                    .values((
                        featured::hub_id.eq(hub_id),
                        featured::object_ap_id.eq(object_ap_id),
                        featured::created_at.eq(now),
                    ))
                    .on_conflict_do_nothing()
                    .execute(c)
                    .await?
            } else {
                diesel::delete(
                    featured::table.filter(featured::hub_id.eq(hub_id)).filter(featured::object_ap_id.eq(object_ap_id)),
                )
                .execute(c)
                .await?
            };
            if changed > 0 {
                for outgoing in notify {
                    insert_outgoing!(c, outgoing, now);
                }
            }
            Ok(changed > 0)
        })
    }

    /// The hub's featured items, newest first.
    pub async fn featured_of(&self, hub_id: i64) -> Result<Vec<String>, DbError> {
        use crate::schema::posts;
        let mut conn = self.conn().await?;
        // Deleted posts (ours, or remote ones deleted at their origin) are no longer featured.
        let rows = with_conn!(&mut conn, |c| featured::table
            .left_join(posts::table.on(posts::ap_id.eq(featured::object_ap_id)))
            .left_join(remote_objects::table.on(remote_objects::ap_id.eq(featured::object_ap_id)))
            .filter(featured::hub_id.eq(hub_id))
            .filter(posts::deleted_at.is_null())
            .filter(remote_objects::deleted.nullable().is_null().or(remote_objects::deleted.eq(false)))
            .order(featured::id.desc())
            .select(featured::object_ap_id)
            .load(c)
            .await)?;
        Ok(rows)
    }

    /// Changes an enterprise's names, profile and NEQ (free among live
    /// enterprises, else [`DbError::is_unique_violation`]), with its `Update`
    /// deliveries.
    pub async fn update_local_profile(
        &self,
        actor_id: i64,
        display_name: &str,
        summary: &str,
        profile_json: &str,
        neq: Option<&str>,
        notify: &[Outgoing],
    ) -> Result<(), DbError> {
        let mut conn = self.conn().await?;
        let now = UtcTime::now();
        with_enqueuing_tx!(self, &mut conn, |c| {
            diesel::update(local_actors::table.find(actor_id))
                .set((
                    local_actors::display_name.eq(display_name),
                    local_actors::summary.eq(summary),
                    local_actors::profile_json.eq(Some(profile_json)),
                    local_actors::neq.eq(neq),
                    local_actors::updated_at.eq(now),
                ))
                .execute(c)
                .await?;
            for outgoing in notify {
                insert_outgoing!(c, outgoing, now);
            }
            Ok(())
        })
    }
}
