//! `Flag`: a report from another server (Mastodon sends it from its
//! instance actor, `object` listing the reported actor and posts, `content`
//! the comment), stored for our moderators.

use maillage_db::NewReport;
use url::Url;

use super::activity::{Flag, Received};
use crate::context::Context;
use crate::error::FederationError;
use crate::objects::RemoteActorObject;

/// The wire check: a `Flag` must name something.
pub(super) fn verify(flag: &Flag) -> Result<(), FederationError> {
    if flag.flagged.is_empty() {
        return Err(FederationError::invalid("the Flag names nothing (no `object`)"));
    }
    Ok(())
}

pub(super) async fn apply(ctx: &Context, flag: &Flag, actor: &RemoteActorObject) -> Result<Received, FederationError> {
    let target = flag.flagged.iter().find(|id| Url::parse(id).is_ok_and(|u| ctx.urls.local_username(&u).is_some()));
    let comment = flag.content.as_deref().map(maillage_domain::html::html_to_text).unwrap_or_default();
    let report = NewReport {
        direction: "incoming",
        reporter: &actor.row.ap_id,
        target_actor: target.map(String::as_str),
        object_ids: &flag.flagged,
        comment: &comment,
        activity_ap_id: &flag.activity_id,
    };
    ctx.db.record_report(&report, None).await?;
    Ok(Received::Processed)
}
