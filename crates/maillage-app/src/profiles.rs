//! Profile changes: an enterprise's (the sector's data) and a member's.
//! Their followers, and other hubs' directories, get `Update`, stored with
//! the change.

use maillage_db::{LocalActor, Outgoing};
use maillage_domain::enterprise::{NAME_MAX, SUMMARY_MAX};
use maillage_domain::{ActorKind, EnterpriseProfile, ProfileChanges};
use maillage_federation::content::audience::{activity, follower_inboxes};
use maillage_federation::content::{PUBLIC, current_profile, outgoing};
use maillage_federation::documents::actor_document;
use maillage_federation::urls::Urls;
use serde_json::json;

use crate::{App, AppError};

/// Changes an enterprise's profile and tells its followers
/// (`Update{Organization}`), and the hubs that follow ours (relayed).
pub(crate) async fn update_enterprise(
    app: &App,
    enterprise: &LocalActor,
    changes: &ProfileChanges,
) -> Result<EnterpriseProfile, AppError> {
    let ctx = app.federation().context();
    let mut profile = current_profile(ctx, enterprise);
    profile.apply(changes).map_err(|e| AppError::refused(e.to_string()))?;
    let name = profile.name().unwrap_or(&enterprise.display_name).to_string();
    let summary = profile.summary().unwrap_or_default().to_string();
    let profile_json = serde_json::to_string(&profile).map_err(|e| AppError::Internal(e.to_string()))?;
    let mut next = enterprise.clone();
    next.display_name = name.clone();
    next.summary = summary.clone();
    next.profile_json = Some(profile_json.clone());
    let notify = enterprise_update(app, &next).await?;
    match app
        .db()
        .update_local_profile(enterprise.id, &name, &summary, &profile_json, profile.neq.as_deref(), &notify)
        .await
    {
        Ok(()) => Ok(profile),
        Err(e) if e.is_unique_violation() => Err(neq_taken(app, profile.neq.as_deref().unwrap_or_default()).await),
        Err(e) => Err(e.into()),
    }
}

/// The `Update` of an enterprise's actor document as `next` holds it, for
/// its followers, and relayed by our hub to the hubs that follow it.
pub(crate) async fn enterprise_update(app: &App, next: &LocalActor) -> Result<Vec<Outgoing>, AppError> {
    let ctx = app.federation().context();
    let document = actor_document(next, &ctx.urls);
    let to = json!([PUBLIC]);
    let cc = json!([Urls::of_actor(&next.ap_id, "followers")]);
    let update = activity(ctx, "Update", &next.ap_id, document, &to, &cc);
    let followers = follower_inboxes(ctx, next).await?.into_iter().map(|(i, _)| i).collect();
    let mut notify = vec![outgoing(next, &update, false, followers)];
    // Other Maillage hubs following our hub keep their directory up to date.
    if let Some(hub) = app.db().local_actor_of_kind(ActorKind::Hub).await? {
        let groups: Vec<String> =
            follower_inboxes(ctx, &hub).await?.into_iter().filter(|(_, g)| *g).map(|(i, _)| i).collect();
        if !groups.is_empty() {
            let hub_followers = json!([Urls::of_actor(&hub.ap_id, "followers")]);
            let relay = activity(ctx, "Announce", &hub.ap_id, update.clone(), &to, &hub_followers);
            notify.push(outgoing(&hub, &relay, false, groups));
        }
    }
    Ok(notify)
}

/// The `Update{Person}` of a member's actor document as `next` holds it.
pub(crate) async fn member_update(app: &App, next: &LocalActor) -> Result<Outgoing, AppError> {
    let ctx = app.federation().context();
    let document = actor_document(next, &ctx.urls);
    let update = activity(
        ctx,
        "Update",
        &next.ap_id,
        document,
        &json!([PUBLIC]),
        &json!([Urls::of_actor(&next.ap_id, "followers")]),
    );
    let inboxes = follower_inboxes(ctx, next).await?.into_iter().map(|(i, _)| i).collect();
    Ok(outgoing(next, &update, false, inboxes))
}

/// The refusal of a NEQ that another live enterprise of this hub has.
pub(crate) async fn neq_taken(app: &App, neq: &str) -> AppError {
    let holder = match app.db().local_enterprise_by_neq(neq).await {
        Ok(Some(holder)) => format!(" (@{})", holder.username),
        _ => String::new(),
    };
    AppError::invalid("neq", format!("the NEQ {neq} is already that of another enterprise of this hub{holder}"))
}

/// Changes a member's display name and bio; followers get `Update{Person}`.
pub(crate) async fn update_member(
    app: &App,
    member: &LocalActor,
    display_name: Option<&str>,
    note: Option<&str>,
) -> Result<LocalActor, AppError> {
    let mut next = member.clone();
    if let Some(name) = display_name {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > NAME_MAX {
            return Err(AppError::invalid("display_name", format!("1 to {NAME_MAX} characters")));
        }
        next.display_name = name.to_string();
    }
    if let Some(note) = note {
        if note.chars().count() > SUMMARY_MAX {
            return Err(AppError::invalid("note", format!("at most {SUMMARY_MAX} characters")));
        }
        next.summary = note.trim().to_string();
    }
    let notify = member_update(app, &next).await?;
    app.db().update_member_profile(member.id, &next.display_name, &next.summary, &notify).await?;
    Ok(next)
}
