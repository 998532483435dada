//! The pictures of our actors: a member's avatar and header, an
//! enterprise's logo and banner, the hub's. A file is processed like a
//! photo (sniffed, decoded with limits, turned upright, metadata stripped,
//! re-encoded and scaled to the slot's size) on the media pool and stored
//! under an unguessable public key; a URL is fetched once through the
//! federation crate's client (address rules, domain policies, size cap)
//! and stored the same way. The actor's followers get its `Update`; the
//! file it replaced is deleted. Clearing one falls back to the default
//! picture. [`fetch_logos`] stores the logos and banners our enterprises
//! still name by URL.

use maillage_db::LocalActor;
use maillage_domain::ActorKind;
use maillage_domain::profile_image::ImageSlot;
use maillage_federation::content::current_profile;
use maillage_federation::content::protocol::media_url;
use maillage_federation::picture_fetch::{PictureFetchError, fetch_picture};
use maillage_media::{ImageLimits, Sniffed};
use maillage_storage::StoreKey;

use crate::{Acting, App, AppError};

/// Where a new picture comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PictureSource {
    /// The bytes of an uploaded file.
    File(Vec<u8>),
    /// An address to fetch it from, once.
    Url(String),
    /// None: the default picture again.
    Clear,
}

impl PictureSource {
    /// What a person typed where a URL or nothing is expected: empty
    /// clears, anything else is an address.
    pub fn from_text(text: &str) -> Self {
        match text.trim() {
            "" => PictureSource::Clear,
            url => PictureSource::Url(url.to_string()),
        }
    }
}

/// Who may change the pictures of `actor`: the member themself, the
/// editors of an enterprise, and the hub's admins (for every actor).
async fn require_right(app: &App, acting: &Acting, actor: &LocalActor) -> Result<(), AppError> {
    match actor.kind() {
        ActorKind::Enterprise => acting.require_editor(app.db(), actor).await,
        ActorKind::Member => match acting {
            Acting::Member { actor: me, .. } if me.id == actor.id => Ok(()),
            _ if acting.is_admin() => Ok(()),
            _ => Err(AppError::Forbidden(format!("only {} may change their own pictures", actor.username))),
        },
        ActorKind::Hub | ActorKind::Instance => acting.require_admin(),
    }
}

/// Sets (or clears) one picture of the local actor `handle`.
pub async fn set_picture(
    app: &App,
    acting: &Acting,
    handle: &str,
    slot: ImageSlot,
    source: PictureSource,
) -> Result<LocalActor, AppError> {
    let name = handle.trim().trim_start_matches('@');
    let actor = app
        .db()
        .local_actor_by_username(name)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no account {name:?} on this instance")))?;
    require_right(app, acting, &actor).await?;
    store_picture(app, &actor, slot, source).await
}

/// [`set_picture`] once the right is checked.
pub(crate) async fn store_picture(
    app: &App,
    actor: &LocalActor,
    slot: ImageSlot,
    source: PictureSource,
) -> Result<LocalActor, AppError> {
    let field = slot.field(actor.kind());
    let ctx = app.federation().context();
    let current = match slot {
        ImageSlot::Icon => actor.icon_key.as_deref(),
        ImageSlot::Image => actor.image_key.as_deref(),
    };
    let bytes = match source {
        PictureSource::Clear => None,
        PictureSource::Url(url) => {
            // Our own URL of the picture it has: nothing to fetch.
            if current.is_some_and(|key| media_url(&ctx.urls, key) == url.trim()) {
                return Ok(actor.clone());
            }
            let limit = app.config().media.max_image_bytes as usize;
            Some(fetch_picture(ctx, &url, limit).await.map_err(|e| fetch_error(field, e))?)
        }
        PictureSource::File(bytes) => Some(bytes),
    };
    let key = match bytes {
        Some(bytes) => Some(process_and_store(app, field, slot, bytes).await?),
        None => None,
    };
    let mut next = actor.clone();
    let url = key.as_ref().map(|k| media_url(&ctx.urls, k.as_str()));
    let mut profile_json = None;
    match slot {
        ImageSlot::Icon => next.icon_key = key.as_ref().map(|k| k.as_str().to_string()),
        ImageSlot::Image => next.image_key = key.as_ref().map(|k| k.as_str().to_string()),
    }
    let notify = if actor.kind() == ActorKind::Enterprise {
        // The profile names the stored picture, so that what reads the
        // profile (its pages, open data, other hubs) needs no other server.
        let mut profile = current_profile(ctx, actor);
        match slot {
            ImageSlot::Icon => profile.logo_url = url,
            ImageSlot::Image => profile.banner_url = url,
        }
        let json = serde_json::to_string(&profile).map_err(|e| AppError::Internal(e.to_string()))?;
        next.profile_json = Some(json.clone());
        profile_json = Some(json);
        crate::profiles::enterprise_update(app, &next).await?
    } else {
        vec![crate::profiles::member_update(app, &next).await?]
    };
    let new_key = key.as_ref().map(|k| k.as_str().to_string());
    match app.db().set_actor_image(actor.id, slot, new_key.as_deref(), profile_json.as_deref(), &notify).await {
        Ok(old) => {
            crate::media::delete_files(app, &old.into_iter().collect::<Vec<_>>()).await;
            Ok(next)
        }
        Err(error) => {
            crate::media::delete_files(app, &new_key.into_iter().collect::<Vec<_>>()).await;
            Err(error.into())
        }
    }
}

fn fetch_error(field: &'static str, error: PictureFetchError) -> AppError {
    match error {
        PictureFetchError::Refused(reason) => AppError::invalid(field, format!("this address is refused: {reason}")),
        error if error.is_too_large() => AppError::TooLarge(format!("{field}: {error}")),
        error => AppError::Remote(format!("{field}: {error}")),
    }
}

/// A refused picture, naming the field it was for.
fn media_error(field: &'static str, error: maillage_media::MediaError) -> AppError {
    if error.is_too_large() {
        AppError::TooLarge(format!("{field}: {error}"))
    } else {
        AppError::invalid(field, error.to_string())
    }
}

/// Processes a picture on the media pool and stores it; its key.
async fn process_and_store(
    app: &App,
    field: &'static str,
    slot: ImageSlot,
    bytes: Vec<u8>,
) -> Result<StoreKey, AppError> {
    let config = app.config().media.clone();
    let image = crate::media::on_pool(app, move || {
        if bytes.len() as u64 > config.max_image_bytes {
            return Err(AppError::TooLarge(format!(
                "{field}: {} bytes, over the limit of {} bytes (media.max_image_bytes)",
                bytes.len(),
                config.max_image_bytes
            )));
        }
        match maillage_media::sniff(&bytes).map_err(|e| media_error(field, e))? {
            Sniffed::Image(_) => {}
            Sniffed::Document(_) => {
                return Err(AppError::invalid(field, "a picture is expected (JPEG, PNG, WebP, GIF)"));
            }
        }
        let side = slot.max_side();
        let limits = ImageLimits {
            max_bytes: config.max_image_bytes,
            max_pixels: config.max_image_pixels,
            original_side: side,
            preview_side: side.min(config.preview_side),
        };
        maillage_media::process_image(&bytes, &limits).map_err(|e| media_error(field, e))
    })
    .await?;
    let key = crate::media::new_store_key("p", &format!("{}.{}", slot.as_str(), image.original.extension))?;
    app.media().store().put(&key, image.original.bytes, image.original.media_type).await?;
    Ok(key)
}

/// What [`fetch_logos`] did with one picture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogoOutcome {
    /// Stored; the profile names our copy.
    Fetched,
    /// Left as it was, with the reason.
    Refused(String),
}

/// One logo or banner [`fetch_logos`] looked at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoFetch {
    pub enterprise: String,
    /// `logo` or `banner`.
    pub field: &'static str,
    pub url: String,
    pub outcome: LogoOutcome,
}

/// Fetches into our store the logos and banners that our enterprises'
/// profiles still name by another server's URL (the hub's admins); those
/// already stored are skipped, so it can be run again.
pub async fn fetch_logos(app: &App, acting: &Acting) -> Result<Vec<LogoFetch>, AppError> {
    acting.require_admin()?;
    let ctx = app.federation().context();
    let mut report = Vec::new();
    for enterprise in app.db().live_local_enterprises().await? {
        let profile = current_profile(ctx, &enterprise);
        for (slot, url) in [(ImageSlot::Icon, profile.logo_url.clone()), (ImageSlot::Image, profile.banner_url.clone())]
        {
            let Some(url) = url else { continue };
            let stored = match slot {
                ImageSlot::Icon => enterprise.icon_key.as_deref(),
                ImageSlot::Image => enterprise.image_key.as_deref(),
            };
            if stored.is_some_and(|key| media_url(&ctx.urls, key) == url) {
                continue;
            }
            // Each picture is read again: the previous one changed the row.
            let current = app.db().local_actor_by_id(enterprise.id).await?.unwrap_or_else(|| enterprise.clone());
            let outcome = match store_picture(app, &current, slot, PictureSource::Url(url.clone())).await {
                Ok(_) => LogoOutcome::Fetched,
                Err(error @ (AppError::Internal(_) | AppError::Unavailable(_) | AppError::StoreUnavailable(_))) => {
                    return Err(error);
                }
                Err(error) => LogoOutcome::Refused(error.to_string()),
            };
            report.push(LogoFetch {
                enterprise: enterprise.username.clone(),
                field: slot.field(ActorKind::Enterprise),
                url,
                outcome,
            });
        }
    }
    Ok(report)
}
