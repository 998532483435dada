//! Enterprises: admitted by the hub's admins, their profile changed by
//! their editors.

use maillage_db::LocalActor;
use maillage_domain::{ActorKind, EnterpriseProfile, ProfileChanges};

use crate::{Acting, App, AppError};

/// Admits an enterprise to the hub (admins).
pub async fn create(
    app: &App,
    acting: &Acting,
    handle: &str,
    name: &str,
    summary: &str,
) -> Result<LocalActor, AppError> {
    acting.require_admin()?;
    Ok(crate::actors::create_enterprise(app.db(), app.config(), handle, name, summary).await?)
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
    crate::profiles::update_enterprise(app, &enterprise, changes).await
}
