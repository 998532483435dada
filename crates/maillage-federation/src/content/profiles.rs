//! Profile changes: an enterprise's (the sector's data) and a member's;
//! their followers, and other hubs' directories, get `Update`.

use maillage_db::LocalActor;
use maillage_domain::{ActorKind, EnterpriseProfile, ProfileChanges};
use serde_json::json;

use super::audience::{activity, follower_inboxes};
use super::protocol::{PUBLIC, outgoing};
use crate::context::{Context, Federation};
use crate::documents::actor_document;
use crate::error::FederationError;
use crate::urls::Urls;

/// Changes an enterprise's profile and tells its followers (`Update{Organization}`).
pub async fn update_profile(
    federation: &Federation,
    handle: &str,
    changes: &ProfileChanges,
) -> Result<EnterpriseProfile, FederationError> {
    let ctx = federation.context();
    let enterprise = ctx
        .db
        .local_actor_by_username(handle.trim_start_matches('@'))
        .await?
        .filter(|a| a.kind() == ActorKind::Enterprise)
        .ok_or_else(|| FederationError::NotFound(format!("no enterprise {handle:?} on this instance")))?;
    let mut profile = current_profile(ctx, &enterprise);
    profile.apply(changes).map_err(|e| FederationError::invalid(e.to_string()))?;
    let name = profile.name().unwrap_or(&enterprise.display_name).to_string();
    let summary = profile.summary().unwrap_or_default().to_string();
    let profile_json = serde_json::to_string(&profile).map_err(|e| FederationError::invalid(e.to_string()))?;
    let mut next = enterprise.clone();
    next.display_name = name.clone();
    next.summary = summary.clone();
    next.profile_json = Some(profile_json.clone());
    let document = actor_document(&next, &ctx.urls);
    let to = json!([PUBLIC]);
    let cc = json!([Urls::of_actor(&enterprise.ap_id, "followers")]);
    let update = activity(ctx, "Update", &enterprise.ap_id, document, &to, &cc);
    let mut notify = vec![outgoing(
        &enterprise,
        &update,
        false,
        follower_inboxes(ctx, &enterprise).await?.into_iter().map(|(i, _)| i).collect(),
    )];
    // Other Maillage hubs following our hub keep their directory up to date.
    if let Some(hub) = ctx.db.local_actor_of_kind(ActorKind::Hub).await? {
        let groups: Vec<String> =
            follower_inboxes(ctx, &hub).await?.into_iter().filter(|(_, g)| *g).map(|(i, _)| i).collect();
        if !groups.is_empty() {
            let relay = activity(
                ctx,
                "Announce",
                &hub.ap_id,
                update.clone(),
                &to,
                &json!([Urls::of_actor(&hub.ap_id, "followers")]),
            );
            notify.push(outgoing(&hub, &relay, false, groups));
        }
    }
    ctx.db.update_local_profile(enterprise.id, &name, &summary, &profile_json, &notify).await?;
    Ok(profile)
}

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
    profile.region = maillage_domain::vocabulary::REGIONS.get(&ctx.config.hub.region).map(|t| t.code.to_string());
    profile
}

/// Changes a member's display name and bio; followers get `Update{Person}`.
pub async fn update_member(
    federation: &Federation,
    member: &LocalActor,
    display_name: Option<&str>,
    note: Option<&str>,
) -> Result<LocalActor, FederationError> {
    let ctx = federation.context();
    let mut next = member.clone();
    if let Some(name) = display_name {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > maillage_domain::enterprise::NAME_MAX {
            return Err(FederationError::invalid(format!(
                "display_name: 1 to {} characters",
                maillage_domain::enterprise::NAME_MAX
            )));
        }
        next.display_name = name.to_string();
    }
    if let Some(note) = note {
        if note.chars().count() > maillage_domain::enterprise::SUMMARY_MAX {
            return Err(FederationError::invalid(format!(
                "note: at most {} characters",
                maillage_domain::enterprise::SUMMARY_MAX
            )));
        }
        next.summary = note.trim().to_string();
    }
    let document = actor_document(&next, &ctx.urls);
    let update = activity(
        ctx,
        "Update",
        &member.ap_id,
        document,
        &json!([PUBLIC]),
        &json!([Urls::of_actor(&member.ap_id, "followers")]),
    );
    let inboxes = follower_inboxes(ctx, member).await?.into_iter().map(|(i, _)| i).collect();
    let notify = outgoing(member, &update, false, inboxes);
    ctx.db.update_member_profile(member.id, &next.display_name, &next.summary, &notify).await?;
    Ok(next)
}
