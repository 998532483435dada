//! The activities our actors send about follows, reports and accounts:
//! `Follow`, `Block`, `Undo`, `Accept`/`Reject` of a received `Follow`, `Flag`, the
//! hub's `Add`/`Remove` of its members, an actor's own `Delete`; and finding a
//! remote actor by handle or URL. Deciding to send them, and writing each
//! with the state change it reports, are the use cases' (`maillage_app`).

use activitypub_federation::fetch::object_id::ObjectId;
use maillage_db::{LocalActor, Outgoing};
use serde_json::{Value, json};
use url::Url;

use crate::context::{Context, Federation};
use crate::error::FederationError;
use crate::objects::RemoteActorObject;
use crate::remote_body::excerpt;
use crate::webfinger;

use crate::content::protocol::{AS_CONTEXT, PUBLIC};
use crate::urls::Urls;

pub use crate::inbound::activity::id_of;

/// `activity` to one inbox (none when the other side has no inbox on its server).
pub fn outgoing(actor: &LocalActor, activity: &Value, inbox: Option<&str>) -> Outgoing {
    crate::content::protocol::outgoing(actor, activity, false, inbox.map(str::to_string).into_iter().collect())
}

/// `Accept` or `Reject` of a received `Follow` (embedded, as Mastodon expects).
pub fn answer(ctx: &Context, kind: &str, local: &LocalActor, follow: &Value, follower: &str) -> Value {
    json!({
        "@context": AS_CONTEXT,
        "id": ctx.urls.new_activity_id(kind),
        "type": kind,
        "actor": local.ap_id,
        "object": follow,
        "to": [follower],
    })
}

/// Finds a remote actor by `@user@domain`, `user@domain` or actor URL,
/// through WebFinger and the actor document (cached, refreshed when stale);
/// an actor suspended by our moderators is refused (403).
pub async fn resolve_actor(federation: &Federation, target: &str) -> Result<RemoteActorObject, FederationError> {
    let actor = find_remote_actor(federation, target).await?;
    if actor.row.suspended {
        return Err(FederationError::Forbidden(format!(
            "{} is suspended by this instance's moderators",
            actor.row.ap_id
        )));
    }
    Ok(actor)
}

async fn find_remote_actor(federation: &Federation, target: &str) -> Result<RemoteActorObject, FederationError> {
    let data = federation.data();
    let target = target.trim();
    if target.starts_with("http://") || target.starts_with("https://") {
        let url = Url::parse(target).map_err(|_| FederationError::Invalid(format!("not a URL: {target}")))?;
        if data.urls.local_username(&url).is_some() {
            return Err(FederationError::Invalid(format!("{target} is an actor of this instance")));
        }
        return ObjectId::<RemoteActorObject>::from(url).dereference(&data).await;
    }
    let handle = target.trim_start_matches('@');
    if !handle.contains('@') {
        return Err(FederationError::Invalid(format!("expected @user@domain or an actor URL, not {target:?}")));
    }
    let (user, server) = webfinger::split_handle(handle)?;
    if server.eq_ignore_ascii_case(&data.config.instance.domain) {
        return Err(FederationError::Invalid(format!("{target} is on this instance")));
    }
    let jrd = webfinger::lookup(&data, user, server).await?;
    let mut last_error = None;
    for id in jrd.actor_ids() {
        match ObjectId::<RemoteActorObject>::from(id).dereference(&data).await {
            Ok(actor) => return Ok(actor),
            Err(error) => last_error = Some(error),
        }
    }
    Err(last_error.unwrap_or_else(|| {
        webfinger::LookupError::NoLink { server: excerpt(server), handle: excerpt(handle), what: "ActivityPub actor" }
            .into()
    }))
}

/// A `Follow` of `followed` by our actor `local`, with a new id.
pub fn follow_document(ctx: &Context, local: &LocalActor, followed: &str) -> Value {
    json!({
        "@context": AS_CONTEXT,
        "id": ctx.urls.new_activity_id("Follow"),
        "type": "Follow",
        "actor": local.ap_id,
        "object": followed,
        "to": [followed],
    })
}

/// `Block` of the remote actor `blocked` by our actor `local`, to it alone
/// (as Mastodon sends it: the blocked server drops the follows between them).
pub fn block_document(ctx: &Context, local: &LocalActor, blocked: &str) -> Value {
    json!({
        "@context": AS_CONTEXT,
        "id": ctx.urls.new_activity_id("Block"),
        "type": "Block",
        "actor": local.ap_id,
        "object": blocked,
        "to": [blocked],
    })
}

/// `Undo` of `activity` (as it was sent) by our actor `local`, to `to`.
pub fn undo_document(ctx: &Context, local: &LocalActor, activity: Value, to: &str) -> Value {
    json!({
        "@context": AS_CONTEXT,
        "id": ctx.urls.new_activity_id("Undo"),
        "type": "Undo",
        "actor": local.ap_id,
        "object": activity,
        "to": [to],
    })
}

/// A report (`Flag`) sent by our instance actor to the server of `to`:
/// the reported actor and posts (`ids`), and the comment.
pub fn flag_document(id: &str, instance: &LocalActor, comment: &str, ids: &[String], to: &str) -> Value {
    json!({
        "@context": AS_CONTEXT,
        "id": id,
        "type": "Flag",
        "actor": instance.ap_id,
        "content": comment,
        "object": ids,
        "to": [to],
    })
}

/// A change of the hub's membership: an enterprise joins (created,
/// imported) or leaves (deleted). Followers of the hub hear of it as `Add`
/// or `Remove` with the hub's `members` collection as `target`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Membership {
    Joined,
    Left,
}

impl Membership {
    /// The activity that reports it.
    pub fn activity_type(self) -> &'static str {
        match self {
            Membership::Joined => "Add",
            Membership::Left => "Remove",
        }
    }
}

/// `Add` or `Remove` of the enterprise `enterprise_id` to or from the
/// hub's `members`, public and to the hub's followers, as its other
/// activities are; with a new id, served at it once stored.
pub fn membership_document(ctx: &Context, hub: &LocalActor, enterprise_id: &str, change: Membership) -> Value {
    let kind = change.activity_type();
    json!({
        "@context": AS_CONTEXT,
        "id": ctx.urls.new_activity_id(kind),
        "type": kind,
        "actor": hub.ap_id,
        "object": enterprise_id,
        "target": Urls::of_actor(&hub.ap_id, "members"),
        "to": [PUBLIC],
        "cc": [Urls::of_actor(&hub.ap_id, "followers")],
    })
}

/// `Delete` of our actor `actor` by itself: the account is gone with all
/// it published (Mastodon and GoToSocial delete everything of it).
pub fn actor_delete_document(ctx: &Context, actor: &LocalActor) -> Value {
    json!({
        "@context": AS_CONTEXT,
        "id": ctx.urls.new_activity_id("Delete"),
        "type": "Delete",
        "actor": actor.ap_id,
        "object": actor.ap_id,
        "to": [PUBLIC],
        "cc": [Urls::of_actor(&actor.ap_id, "followers")],
    })
}
