//! The actors a member's text mentions (`@user` here, `@user@server`
//! elsewhere), resolved before the post is written: a remote one through
//! WebFinger, with its inbox on its own server.

use maillage_domain::ActorKind;
use maillage_domain::post_text::handles_in;

use super::protocol::Mention;
use crate::activities::resolve_actor;
use crate::context::Federation;
use crate::error::FederationError;

/// The mentions of `text`; an unknown `@user@our.domain` is a 404, an
/// unknown bare `@user` is only text (as on Mastodon), an unreachable remote
/// handle the lookup's error.
pub async fn mentions_of(federation: &Federation, text: &str) -> Result<Vec<Mention>, FederationError> {
    let ctx = federation.context();
    let mut mentions = Vec::new();
    for handle in handles_in(text) {
        let Some((user, domain)) = handle.trim_start_matches('@').split_once('@') else {
            let user = handle.trim_start_matches('@');
            let local = ctx.db.local_actor_by_username(user).await?.filter(|a| a.kind() != ActorKind::Instance);
            if let Some(local) = local {
                mentions.push(Mention { href: local.ap_id, name: handle.clone(), inbox: String::new() });
            }
            continue;
        };
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
