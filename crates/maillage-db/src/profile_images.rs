//! The pictures of local actors (`icon_key`, `image_key` on
//! `local_actors`): set or cleared with the `Update` that tells followers,
//! and found by key when `/media/<key>` serves one (always public).

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use maillage_domain::ActorKind;
use maillage_domain::profile_image::ImageSlot;

use crate::outbox::insert_outgoing;
use crate::schema::local_actors;
use crate::{Database, DbError, LocalActor, Outgoing, UtcTime};

impl Database {
    /// Sets (or clears, `None`) one picture of an actor, and its profile
    /// JSON when given (an enterprise's `logo_url`/`banner_url` follow),
    /// with the `Update` deliveries; evaluates to the key it replaced,
    /// whose file the caller deletes once this committed.
    pub async fn set_actor_image(
        &self,
        actor_id: i64,
        slot: ImageSlot,
        key: Option<&str>,
        profile_json: Option<&str>,
        notify: &[Outgoing],
    ) -> Result<Option<String>, DbError> {
        let mut conn = self.conn().await?;
        let now = UtcTime::now();
        with_enqueuing_tx!(self, &mut conn, |c| {
            let (old_icon, old_image): (Option<String>, Option<String>) = local_actors::table
                .find(actor_id)
                .filter(local_actors::deleted_at.is_null())
                .select((local_actors::icon_key, local_actors::image_key))
                .first(c)
                .await?;
            let target = local_actors::table.find(actor_id);
            let old = match slot {
                ImageSlot::Icon => {
                    diesel::update(target).set(local_actors::icon_key.eq(key)).execute(c).await?;
                    old_icon
                }
                ImageSlot::Image => {
                    diesel::update(target).set(local_actors::image_key.eq(key)).execute(c).await?;
                    old_image
                }
            };
            diesel::update(target).set(local_actors::updated_at.eq(now)).execute(c).await?;
            if let Some(profile_json) = profile_json {
                diesel::update(target).set(local_actors::profile_json.eq(Some(profile_json))).execute(c).await?;
            }
            for outgoing in notify {
                insert_outgoing!(c, outgoing, now);
            }
            Ok(old.filter(|old| Some(old.as_str()) != key))
        })
    }

    /// The live local actor one of whose pictures is stored under `key`.
    pub async fn local_actor_by_image_key(&self, key: &str) -> Result<Option<LocalActor>, DbError> {
        let mut conn = self.conn().await?;
        Ok(with_conn!(&mut conn, |c| local_actors::table
            .filter(local_actors::icon_key.eq(key).or(local_actors::image_key.eq(key)))
            .filter(local_actors::deleted_at.is_null())
            .select(LocalActor::as_select())
            .first(c)
            .await
            .optional())?)
    }

    /// Every live enterprise of this instance, by handle.
    pub async fn live_local_enterprises(&self) -> Result<Vec<LocalActor>, DbError> {
        let mut conn = self.conn().await?;
        Ok(with_conn!(&mut conn, |c| local_actors::table
            .filter(local_actors::kind.eq(ActorKind::Enterprise.as_str()))
            .filter(local_actors::deleted_at.is_null())
            .order(local_actors::username)
            .select(LocalActor::as_select())
            .load(c)
            .await)?)
    }
}
