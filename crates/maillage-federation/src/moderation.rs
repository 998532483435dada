//! Reports (`Flag`) and moderation.
//!
//! Received: a `Flag` from another server (Mastodon sends it from its
//! instance actor, `object` listing the reported actor and posts, `content`
//! the comment) is stored as a report for our moderators. Sent: when a
//! member reports a remote actor or post and asks to forward it, the report
//! goes to that actor's server as a `Flag` from our instance actor (so the
//! member stays anonymous there, as in Mastodon).

use maillage_db::{LocalActor, NewReport};
use maillage_domain::ActorKind;
use serde_json::{Value, json};
use url::Url;

use crate::context::Context;
use crate::error::FederationError;
use crate::inbox::Received;
use crate::objects::{RemoteActorObject, authority};

use crate::content::AS_CONTEXT;

/// The ids a `Flag` names (`object` may be one id, an object, or a list).
fn flagged_ids(activity: &Value) -> Vec<String> {
    let items = match activity.get("object") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(one) => vec![one],
        None => Vec::new(),
    };
    items.into_iter().filter_map(|item| crate::activities::id_of(Some(item)).map(str::to_string)).collect()
}

/// A `Flag` must name something.
pub(crate) fn precheck_flag(activity: &Value) -> Result<(), FederationError> {
    if flagged_ids(activity).is_empty() {
        return Err(FederationError::invalid("the Flag names nothing (no `object`)"));
    }
    Ok(())
}

/// Stores a received `Flag` for the moderators.
pub(crate) async fn receive_flag(
    ctx: &Context,
    activity: &Value,
    actor: &RemoteActorObject,
) -> Result<Received, FederationError> {
    let ids = flagged_ids(activity);
    let target = ids.iter().find(|id| Url::parse(id).is_ok_and(|u| ctx.urls.local_username(&u).is_some()));
    let comment =
        activity.get("content").and_then(Value::as_str).map(maillage_domain::html::html_to_text).unwrap_or_default();
    let activity_id = crate::activities::id_of(activity.get("id")).unwrap_or_default();
    let report = NewReport {
        direction: "incoming",
        reporter: &actor.row.ap_id,
        target_actor: target.map(String::as_str),
        object_ids: &ids,
        comment: &comment,
        activity_ap_id: activity_id,
    };
    ctx.db.record_report(&report, None).await?;
    Ok(Received::Processed)
}

/// A member reports an actor (and some of its posts). Stored for our
/// moderators; when the actor is remote and `forward` is set, also sent to
/// its server as a `Flag` from the instance actor. Returns the report's id.
pub async fn report(
    ctx: &Context,
    reporter: &LocalActor,
    target_actor: &str,
    object_ids: &[String],
    comment: &str,
    forward: bool,
) -> Result<i64, FederationError> {
    let comment: String = comment.trim().chars().take(1000).collect();
    let mut ids = vec![target_actor.to_string()];
    ids.extend(object_ids.iter().filter(|id| *id != target_actor).cloned());
    let remote = match Url::parse(target_actor) {
        Ok(url) if authority(&url) != ctx.config.instance.domain => ctx.db.remote_actor_by_ap_id(target_actor).await?,
        _ => None,
    };
    let flag_id = ctx.urls.new_activity_id("Flag");
    let forward = match (remote, forward) {
        (Some(remote), true) => {
            let instance = ctx
                .db
                .local_actor_of_kind(ActorKind::Instance)
                .await?
                .ok_or_else(|| FederationError::NotFound("the instance actor is missing".into()))?;
            let flag = json!({
                "@context": AS_CONTEXT,
                "id": flag_id,
                "type": "Flag",
                "actor": instance.ap_id,
                "content": comment,
                "object": ids,
                "to": [remote.ap_id],
            });
            Some(crate::content::outgoing(
                &instance,
                &flag,
                false,
                remote.delivery_inbox().map(str::to_string).into_iter().collect(),
            ))
        }
        _ => None,
    };
    let report = NewReport {
        direction: "outgoing",
        reporter: &reporter.ap_id,
        target_actor: Some(target_actor),
        object_ids: &ids,
        comment: &comment,
        activity_ap_id: &flag_id,
    };
    ctx.db
        .record_report(&report, forward.as_ref())
        .await?
        .ok_or_else(|| FederationError::Conflict("this report exists already".into()))
}
