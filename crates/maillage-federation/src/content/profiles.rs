//! An enterprise's profile (the sector's data) as stored, or as made from
//! the names it was created with. Changing it is a use case
//! (`maillage_app`); its `Update` is the actor document (`documents`).

use maillage_db::LocalActor;
use maillage_domain::EnterpriseProfile;

use crate::context::Context;

/// The stored profile, or one made from the names given at creation.
pub fn current_profile(ctx: &Context, enterprise: &LocalActor) -> EnterpriseProfile {
    if let Some(profile) =
        enterprise.profile_json.as_deref().and_then(|j| serde_json::from_str::<EnterpriseProfile>(j).ok())
    {
        return profile;
    }
    let mut profile = EnterpriseProfile {
        name_fr: Some(enterprise.display_name.clone()),
        summary_fr: (!enterprise.summary.is_empty()).then(|| enterprise.summary.clone()),
        ..EnterpriseProfile::default()
    };
    // Enterprises belong to the hub's territory unless they say otherwise.
    profile.region = maillage_domain::vocabulary::REGIONS.find(&ctx.config.hub.region).map(|t| t.code.to_string());
    profile
}
