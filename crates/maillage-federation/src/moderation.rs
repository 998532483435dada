//! Reports (`Flag`) our members make.
//!
//! When a member reports a remote actor or post and asks to forward it, the
//! report goes to that actor's server as a `Flag` from our instance actor
//! (so the member stays anonymous there, as in Mastodon). Received reports
//! are in `crate::inbound`.

use maillage_db::{LocalActor, NewReport};
use maillage_domain::ActorKind;
use serde_json::json;
use url::Url;

use crate::context::Context;
use crate::error::FederationError;
use crate::objects::authority;

use crate::content::protocol::AS_CONTEXT;

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
            Some(crate::content::protocol::outgoing(
                &instance,
                &flag,
                false,
                remote.delivery_inbox().map(str::to_string).into_iter().collect(),
            ))
        }
        _ => None,
    };
    let report = NewReport {
        direction: maillage_db::ReportDirection::Outgoing,
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
