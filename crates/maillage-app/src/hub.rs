//! What the hub does as a `Group`: reshare posts to its followers, and
//! feature enterprises and practices (admins).

use maillage_federation::content;

use crate::{Acting, App, AppError};

/// The hub reshares a post (local or remote); false when it already did.
pub async fn reshare(app: &App, acting: &Acting, object_url: &str) -> Result<bool, AppError> {
    acting.require_admin()?;
    Ok(content::reshare(app.federation(), object_url.trim()).await?)
}

/// The hub undoes its reshare; false when it had none.
pub async fn unreshare(app: &App, acting: &Acting, object_url: &str) -> Result<bool, AppError> {
    acting.require_admin()?;
    Ok(content::unreshare(app.federation(), object_url.trim()).await?)
}

/// Features (or stops featuring) an enterprise or a practice of this hub.
pub async fn feature(app: &App, acting: &Acting, object_url: &str, featured: bool) -> Result<bool, AppError> {
    acting.require_admin()?;
    Ok(content::feature(app.federation(), object_url.trim(), featured).await?)
}
