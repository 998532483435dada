//! A member's likes and reshares of any post, and taking them back.

use maillage_db::LocalActor;
use serde_json::json;

use super::audience::{activity, follower_inboxes, inbox_of_author};
use super::protocol::{PUBLIC, outgoing};
use crate::context::Federation;
use crate::error::FederationError;
use crate::urls::Urls;

/// A local actor likes (`Like`) or reshares (`Announce`) a post, or takes it
/// back (`Undo`). Remote posts' authors are told; a reshare also goes to the
/// actor's followers. Returns false when there was nothing to change.
pub async fn react(
    federation: &Federation,
    actor: &LocalActor,
    object_url: &str,
    kind: maillage_db::ReactionKind,
    undo: bool,
) -> Result<bool, FederationError> {
    use maillage_db::ReactionKind;
    let ctx = federation.context();
    let existing = ctx.db.has_reacted(kind, object_url, &actor.ap_id).await?;
    if existing.is_some() != undo {
        return Ok(false);
    }
    // What the actor reacts to must be theirs to read; only what anyone
    // may read can be reshared (as on Mastodon).
    let reader = ctx.db.reader_for_member(actor).await?;
    let remote_object = ctx.db.visible_remote_object_by_ap_id(&reader, object_url).await?;
    let visibility = match &remote_object {
        Some(object) => object.visibility(),
        None => match ctx.db.visible_post_by_ap_id(&reader, object_url).await? {
            Some(post) => post.visibility(),
            None => return Err(FederationError::NotFound(format!("no post {object_url} known here"))),
        },
    };
    if kind == ReactionKind::Announce && !undo && !visibility.is_open() {
        return Err(FederationError::invalid("only posts that anyone may read can be reshared"));
    }
    let author = remote_object.and_then(|object| object.attributed_to);
    let mut inboxes: Vec<String> = inbox_of_author(ctx, author.as_deref()).await?.into_iter().collect();
    let type_name = if kind == ReactionKind::Like { "Like" } else { "Announce" };
    let (to, cc) = if kind == ReactionKind::Announce {
        inboxes.extend(follower_inboxes(ctx, actor).await?.into_iter().map(|(i, _)| i));
        (json!([PUBLIC]), json!([Urls::of_actor(&actor.ap_id, "followers")]))
    } else {
        (json!([]), json!([]))
    };
    let reaction = match &existing {
        // Undo the activity as it was sent.
        Some(id) => ctx.db.activity_json(id).await?.and_then(|j| serde_json::from_str(&j).ok()).unwrap_or(json!(id)),
        None => activity(ctx, type_name, &actor.ap_id, json!(object_url), &to, &cc),
    };
    let sent = if undo { activity(ctx, "Undo", &actor.ap_id, reaction.clone(), &to, &cc) } else { reaction.clone() };
    let notify = outgoing(actor, &sent, !undo && kind == ReactionKind::Announce, inboxes);
    ctx.db.save_own_reaction(kind, object_url, &actor.ap_id, undo, &notify).await?;
    Ok(true)
}
