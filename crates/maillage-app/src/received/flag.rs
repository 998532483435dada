//! A report from another server, stored for our moderators.

use maillage_db::{NewReport, RemoteActor, ReportDirection};
use maillage_federation::inbound::Received;
use maillage_federation::inbound::activity::Flag;
use maillage_federation::{Context, FederationError};
use url::Url;

pub(super) async fn report(ctx: &Context, flag: &Flag, actor: &RemoteActor) -> Result<Received, FederationError> {
    let target = flag.flagged.iter().find(|id| Url::parse(id).is_ok_and(|u| ctx.urls.local_username(&u).is_some()));
    let comment = flag.content.as_deref().map(maillage_domain::html::html_to_text).unwrap_or_default();
    let report = NewReport {
        direction: ReportDirection::Incoming,
        reporter: &actor.ap_id,
        target_actor: target.map(String::as_str),
        object_ids: &flag.flagged,
        comment: &comment,
        activity_ap_id: &flag.activity_id,
    };
    ctx.db.record_report(&report, None).await?;
    Ok(Received::Processed)
}
