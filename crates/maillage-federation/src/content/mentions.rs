//! The actors a member's text mentions (`@user` here, `@user@server`
//! elsewhere), resolved before the post is written: a remote one through
//! WebFinger, with its inbox on its own server.

use maillage_domain::ActorKind;
use maillage_domain::post_text::handles_in;

use super::protocol::Mention;
use crate::activities::resolve_actor;
use crate::context::Federation;
use crate::error::FederationError;

/// The mentions of `text`; an unknown local handle is a 404, an
/// unreachable remote one the lookup's error.
pub async fn mentions_of(federation: &Federation, text: &str) -> Result<Vec<Mention>, FederationError> {
    let ctx = federation.context();
    let mut mentions = Vec::new();
    for handle in handles_in(text) {
        let (user, domain) = handle.trim_start_matches('@').split_once('@').unwrap_or_default();
        if domain.eq_ignore_ascii_case(&ctx.config.instance.domain) {
            let local = ctx
                .db
                .local_actor_by_username(user)
                .await?
                .filter(|a| a.kind() != ActorKind::Instance)
                .ok_or_else(|| FederationError::NotFound(format!("no account {handle} on this instance")))?;
            mentions.push(Mention { href: local.ap_id, name: handle.clone(), inbox: String::new() });
            continue;
        }
        let remote = resolve_actor(federation, &handle).await?;
        mentions.push(Mention {
            href: remote.row.ap_id.clone(),
            name: handle.clone(),
            inbox: remote
                .row
                .delivery_inbox()
                .map(str::to_string)
                .ok_or_else(|| FederationError::invalid(format!("{handle} has no inbox on its own server")))?,
        });
    }
    Ok(mentions)
}
