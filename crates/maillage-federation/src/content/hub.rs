//! What the hub does as a `Group`: reshare posts to its followers, and
//! feature this hub's enterprises and practices.

use maillage_db::LocalActor;
use maillage_domain::{ActorKind, PostKind};
use serde_json::{Value, json};

use super::audience::{activity, follower_inboxes, hub, inbox_of_object_author};
use super::protocol::{PUBLIC, outgoing};
use crate::context::{Context, Federation};
use crate::error::FederationError;
use crate::urls::Urls;

/// The hub reshares any object (local or remote) to its followers.
pub async fn reshare(federation: &Federation, object_url: &str) -> Result<bool, FederationError> {
    let ctx = federation.context();
    let hub = hub(ctx).await?;
    let object_id = if ctx.db.post_by_ap_id(object_url).await?.is_some_and(|p| p.deleted_at.is_none() && p.is_public())
    {
        object_url.to_string()
    } else {
        let object = crate::objects::fetch_remote_object(federation, object_url).await?;
        // The hub reshares only what anyone may read (as on Mastodon).
        if !object.visibility().is_open() {
            return Err(FederationError::invalid("only posts that anyone may read can be reshared"));
        }
        object.ap_id
    };
    let inboxes = reshare_audience(ctx, &hub, &object_id).await?;
    let to = json!([PUBLIC]);
    let cc = json!([Urls::of_actor(&hub.ap_id, "followers")]);
    let announce = activity(ctx, "Announce", &hub.ap_id, json!(object_id), &to, &cc);
    let notify = outgoing(&hub, &announce, true, inboxes);
    Ok(ctx.db.record_reshare(hub.id, &object_id, &notify.ap_id, &notify.json, std::slice::from_ref(&notify)).await?)
}

/// Undoes the hub's reshare of an object.
pub async fn unreshare(federation: &Federation, object_url: &str) -> Result<bool, FederationError> {
    let ctx = federation.context();
    let hub = hub(ctx).await?;
    unreshare_with(ctx, &hub, object_url).await
}

pub(super) async fn unreshare_with(ctx: &Context, hub: &LocalActor, object_url: &str) -> Result<bool, FederationError> {
    let Some(announce_json) = ctx.db.reshare_of(hub.id, object_url).await? else { return Ok(false) };
    let announce: Value = serde_json::from_str(&announce_json).unwrap_or(json!(null));
    let inboxes = reshare_audience(ctx, hub, object_url).await?;
    let to = json!([PUBLIC]);
    let cc = json!([Urls::of_actor(&hub.ap_id, "followers")]);
    let undo = activity(ctx, "Undo", &hub.ap_id, announce, &to, &cc);
    let notify = outgoing(hub, &undo, false, inboxes);
    Ok(ctx.db.remove_reshare(hub.id, object_url, std::slice::from_ref(&notify)).await?)
}

/// The hub's followers, and the author of a remote object (who, as on
/// Mastodon, hears about reshares of their post).
async fn reshare_audience(ctx: &Context, hub: &LocalActor, object_url: &str) -> Result<Vec<String>, FederationError> {
    let mut inboxes: Vec<String> = follower_inboxes(ctx, hub).await?.into_iter().map(|(i, _)| i).collect();
    inboxes.extend(inbox_of_object_author(ctx, object_url).await?);
    Ok(inboxes)
}

/// Adds an enterprise or a practice to (or removes it from) the hub's
/// `featured` collection, with `Add`/`Remove` to the hub's followers.
pub async fn feature(federation: &Federation, object_url: &str, featured: bool) -> Result<bool, FederationError> {
    let ctx = federation.context();
    let hub = hub(ctx).await?;
    let url = url::Url::parse(object_url).map_err(|_| FederationError::invalid(format!("not a URL: {object_url}")))?;
    let known = match ctx.urls.local_username(&url) {
        Some(Some(name)) => {
            ctx.db.local_actor_by_username(&name).await?.is_some_and(|a| a.kind() == ActorKind::Enterprise)
        }
        Some(None) => false,
        None => ctx
            .db
            .post_by_ap_id(object_url)
            .await?
            .is_some_and(|p| p.kind == PostKind::Article && p.deleted_at.is_none()),
    };
    if featured && !known {
        return Err(FederationError::invalid("only this hub's enterprises and practices can be featured"));
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
    Ok(ctx.db.set_featured(hub.id, object_url, featured, std::slice::from_ref(&notify)).await?)
}
