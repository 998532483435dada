//! What the hub does as a `Group` (admins decide): reshare posts to its
//! followers, feature this hub's enterprises and practices, and tell its
//! followers which enterprises join and leave it (`Add`/`Remove` of its
//! `members`).

use maillage_db::{LocalActor, Outgoing};
use maillage_domain::{ActorKind, PostKind};
use maillage_federation::activities::membership_document;
use maillage_federation::content::audience::{activity, follower_inboxes, hub, inbox_of_object_author};
use maillage_federation::content::{PUBLIC, outgoing};
use maillage_federation::objects::fetch_remote_object;
use maillage_federation::urls::Urls;
use serde_json::{Value, json};

use crate::{Acting, App, AppError};

pub use maillage_federation::activities::Membership;

/// The hub's `Add` (joined) or `Remove` (left) of the enterprise
/// `enterprise_id` to its followers, for the use case that makes the change
/// to store in the same transaction; `None` while this instance has no hub
/// yet (nobody follows it then: an enterprise created first is not refused).
pub async fn membership_activity(
    app: &App,
    enterprise_id: &str,
    change: Membership,
) -> Result<Option<Outgoing>, AppError> {
    Ok(MembershipAudience::read(app).await?.map(|audience| audience.activity(app, enterprise_id, change)))
}

/// The hub and its followers' inboxes, read once for the many memberships
/// of an import.
pub(crate) struct MembershipAudience {
    hub: LocalActor,
    inboxes: Vec<String>,
}

impl MembershipAudience {
    /// `None` while this instance has no hub.
    pub(crate) async fn read(app: &App) -> Result<Option<Self>, AppError> {
        let Some(hub) = app.db().local_actor_of_kind(ActorKind::Hub).await? else { return Ok(None) };
        let inboxes = follower_inboxes(app.federation().context(), &hub).await?.into_iter().map(|(i, _)| i).collect();
        Ok(Some(MembershipAudience { hub, inboxes }))
    }

    /// The hub's `Add` or `Remove` of `enterprise_id` to its followers.
    pub(crate) fn activity(&self, app: &App, enterprise_id: &str, change: Membership) -> Outgoing {
        let document = membership_document(app.federation().context(), &self.hub, enterprise_id, change);
        // Not listed in the hub's outbox, as its `featured` changes are not.
        outgoing(&self.hub, &document, false, self.inboxes.clone())
    }
}

/// Tells the hub's followers that `enterprise` joined or left, for a
/// change stored without it (an import); creation and deletion store
/// [`membership_activity`] with their change instead.
pub async fn announce_membership(app: &App, enterprise: &LocalActor, change: Membership) -> Result<(), AppError> {
    if enterprise.kind() != ActorKind::Enterprise {
        return Err(AppError::refused(format!("@{} is not an enterprise", enterprise.username)));
    }
    if let Some(notify) = membership_activity(app, &enterprise.ap_id, change).await? {
        app.db().enqueue(&notify).await?;
    }
    Ok(())
}

/// The hub reshares a post (local or remote); false when it already did.
pub async fn reshare(app: &App, acting: &Acting, object_url: &str) -> Result<bool, AppError> {
    acting.require_admin()?;
    let object_url = object_url.trim();
    let ctx = app.federation().context();
    let hub = hub(ctx).await?;
    let ours = app.db().post_by_ap_id(object_url).await?.is_some_and(|p| p.deleted_at.is_none() && p.is_public());
    let object_id = if ours {
        object_url.to_string()
    } else {
        let object = fetch_remote_object(app.federation(), object_url).await?;
        // The hub reshares only what anyone may read (as on Mastodon).
        if !object.visibility().is_open() {
            return Err(AppError::refused("only posts that anyone may read can be reshared"));
        }
        object.ap_id
    };
    let inboxes = reshare_audience(app, &hub, &object_id).await?;
    let to = json!([PUBLIC]);
    let cc = json!([Urls::of_actor(&hub.ap_id, "followers")]);
    let announce = activity(ctx, "Announce", &hub.ap_id, json!(object_id), &to, &cc);
    let notify = outgoing(&hub, &announce, true, inboxes);
    Ok(app.db().record_reshare(hub.id, &object_id, &notify.ap_id, &notify.json, std::slice::from_ref(&notify)).await?)
}

/// The hub undoes its reshare; false when it had none.
pub async fn unreshare(app: &App, acting: &Acting, object_url: &str) -> Result<bool, AppError> {
    acting.require_admin()?;
    let hub = hub(app.federation().context()).await?;
    unreshare_with(app, &hub, object_url.trim()).await
}

/// Undoes the hub's reshare of an object (also when the post is deleted).
pub(crate) async fn unreshare_with(app: &App, hub: &LocalActor, object_url: &str) -> Result<bool, AppError> {
    let Some(announce_json) = app.db().reshare_of(hub.id, object_url).await? else { return Ok(false) };
    let announce: Value = serde_json::from_str(&announce_json).unwrap_or(json!(null));
    let inboxes = reshare_audience(app, hub, object_url).await?;
    let to = json!([PUBLIC]);
    let cc = json!([Urls::of_actor(&hub.ap_id, "followers")]);
    let undo = activity(app.federation().context(), "Undo", &hub.ap_id, announce, &to, &cc);
    let notify = outgoing(hub, &undo, false, inboxes);
    Ok(app.db().remove_reshare(hub.id, object_url, std::slice::from_ref(&notify)).await?)
}

/// The hub's followers, and the author of a remote object (who, as on
/// Mastodon, hears about reshares of their post).
async fn reshare_audience(app: &App, hub: &LocalActor, object_url: &str) -> Result<Vec<String>, AppError> {
    let ctx = app.federation().context();
    let mut inboxes: Vec<String> = follower_inboxes(ctx, hub).await?.into_iter().map(|(i, _)| i).collect();
    inboxes.extend(inbox_of_object_author(ctx, object_url).await?);
    Ok(inboxes)
}

/// Features (or stops featuring) an enterprise or a practice of this hub:
/// the hub's `featured` collection, with `Add`/`Remove` to its followers.
pub async fn feature(app: &App, acting: &Acting, object_url: &str, featured: bool) -> Result<bool, AppError> {
    acting.require_admin()?;
    let object_url = object_url.trim();
    let ctx = app.federation().context();
    let hub = hub(ctx).await?;
    let url = url::Url::parse(object_url).map_err(|_| AppError::refused(format!("not a URL: {object_url}")))?;
    let known = match ctx.urls.local_username(&url) {
        Some(Some(name)) => {
            app.db().local_actor_by_username(&name).await?.is_some_and(|a| a.kind() == ActorKind::Enterprise)
        }
        Some(None) => false,
        None => app
            .db()
            .post_by_ap_id(object_url)
            .await?
            .is_some_and(|p| p.kind == PostKind::Article && p.deleted_at.is_none()),
    };
    if featured && !known {
        return Err(AppError::refused("only this hub's enterprises and practices can be featured"));
    }
    let followers = follower_inboxes(ctx, &hub).await?;
    let kind = if featured { "Add" } else { "Remove" };
    let mut change = activity(
        ctx,
        kind,
        &hub.ap_id,
        json!(object_url),
        &json!([PUBLIC]),
        &json!([Urls::of_actor(&hub.ap_id, "followers")]),
    );
    change["target"] = json!(Urls::of_actor(&hub.ap_id, "featured"));
    let notify = outgoing(&hub, &change, false, followers.into_iter().map(|(i, _)| i).collect());
    Ok(app.db().set_featured(hub.id, object_url, featured, std::slice::from_ref(&notify)).await?)
}
