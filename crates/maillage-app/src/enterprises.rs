//! Enterprises: admitted by the hub's admins (the hub's followers hear of
//! it), their profile changed by their editors, deleted by the admins.

use maillage_db::LocalActor;
use maillage_domain::{ActorKind, EnterpriseProfile, ProfileChanges};
use maillage_federation::activities::actor_delete_document;
use maillage_federation::content::audience::{followed_inboxes, follower_inboxes};
use maillage_federation::content::outgoing;

use maillage_domain::profile_image::ImageSlot;

use crate::hub::Membership;
use crate::profile_images::PictureSource;
use crate::{Acting, App, AppError};

/// Admits an enterprise to the hub (admins); the hub's followers get `Add`.
pub async fn create(
    app: &App,
    acting: &Acting,
    handle: &str,
    name: &str,
    summary: &str,
) -> Result<LocalActor, AppError> {
    acting.require_admin()?;
    crate::actors::create_enterprise(app, handle, name, summary).await
}

/// Changes an enterprise's profile (its editors, admins); its followers
/// get `Update`.
pub async fn update_profile(
    app: &App,
    acting: &Acting,
    handle: &str,
    changes: &ProfileChanges,
) -> Result<EnterpriseProfile, AppError> {
    let enterprise = app.local_actor_of(ActorKind::Enterprise, handle).await?;
    acting.require_editor(app.db(), &enterprise).await?;
    // A logo or banner given by URL is fetched into our store (or cleared);
    // the rest is checked first, so a refused change stores no picture.
    let mut rest = changes.clone();
    let pictures = [(ImageSlot::Icon, rest.logo_url.take()), (ImageSlot::Image, rest.banner_url.take())];
    let ctx = app.federation().context();
    maillage_federation::content::current_profile(ctx, &enterprise)
        .apply(&rest)
        .map_err(|e| AppError::refused(e.to_string()))?;
    for (slot, value) in &pictures {
        if let Some(value) = value {
            maillage_domain::enterprise::web_url(slot.field(ActorKind::Enterprise), value)
                .map_err(|e| AppError::refused(e.to_string()))?;
        }
    }
    let mut current = enterprise;
    for (slot, value) in pictures {
        if let Some(value) = value {
            current =
                crate::profile_images::store_picture(app, &current, slot, PictureSource::from_text(&value)).await?;
        }
    }
    if rest == ProfileChanges::default() {
        return Ok(maillage_federation::content::current_profile(ctx, &current));
    }
    crate::profiles::update_enterprise(app, &current, &rest).await
}

/// What deleting an enterprise did.
#[derive(Debug, Clone)]
pub struct DeletedEnterprise {
    /// Its tombstone.
    pub actor: LocalActor,
    /// How many of its posts were deleted with it.
    pub posts: usize,
}

/// Deletes an enterprise for good (the hub's admins, as only Mastodon's
/// admins delete accounts; its owners may not). As Mastodon does for a
/// deleted account, its row stays as a tombstone (its handle reserved, its
/// keys signing what is queued) and its posts, team and follows end; its
/// followers, the accounts it follows and the hub's followers (who got its
/// posts through the hub) get the actor's `Delete`, and the hub's
/// followers the hub's `Remove`. Its files (pictures, its posts' media,
/// its unattached uploads) are deleted once that is committed. It cannot
/// be undone.
pub async fn delete(app: &App, acting: &Acting, handle: &str) -> Result<DeletedEnterprise, AppError> {
    acting.require_admin()?;
    let name = handle.trim().trim_start_matches('@');
    let no_such = || AppError::NotFound(format!("no enterprise {name:?} on this instance"));
    let enterprise = app.db().local_actor_or_tombstone(name).await?.ok_or_else(no_such)?;
    if enterprise.kind() != ActorKind::Enterprise {
        return Err(no_such());
    }
    if enterprise.is_deleted() {
        return Err(already_deleted(&enterprise));
    }
    let ctx = app.federation().context();
    let mut inboxes: Vec<String> = follower_inboxes(ctx, &enterprise).await?.into_iter().map(|(i, _)| i).collect();
    inboxes.extend(followed_inboxes(ctx, &enterprise).await?);
    let removal = crate::hub::membership_activity(app, &enterprise.ap_id, Membership::Left).await?;
    if let Some(removal) = &removal {
        inboxes.extend(removal.inboxes.iter().cloned());
    }
    let delete = actor_delete_document(ctx, &enterprise);
    let mut notify = vec![outgoing(&enterprise, &delete, false, inboxes)];
    notify.extend(removal);
    match app.db().delete_local_actor(enterprise.id, &notify).await? {
        Some(deleted) => {
            crate::media::delete_files(app, &deleted.file_keys).await;
            let actor = app.db().local_actor_or_tombstone(name).await?.ok_or_else(no_such)?;
            Ok(DeletedEnterprise { actor, posts: deleted.posts })
        }
        // Another admin was quicker.
        None => Err(already_deleted(&enterprise)),
    }
}

fn already_deleted(enterprise: &LocalActor) -> AppError {
    let when = enterprise.deleted_at.map(|d| format!(" on {}", d.as_datetime().format("%Y-%m-%d"))).unwrap_or_default();
    AppError::Conflict(format!("the enterprise {} was already deleted{when}", enterprise.username))
}
