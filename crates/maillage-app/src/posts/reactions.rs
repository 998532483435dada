//! A member's likes and reshares of any post, and taking them back.

use maillage_db::{LocalActor, ReactionKind};
use maillage_domain::NotificationKind;
use maillage_federation::content::audience::{activity, follower_inboxes, inbox_of_author};
use maillage_federation::content::{PUBLIC, outgoing};
use maillage_federation::urls::Urls;
use serde_json::json;

use crate::{App, AppError};

/// A member likes (`Like`) or reshares (`Announce`) a post, or takes it
/// back (`Undo`). Remote posts' authors are told; a reshare also goes to the
/// member's followers. False when there was nothing to change.
pub async fn react(
    app: &App,
    member: &LocalActor,
    object_url: &str,
    kind: ReactionKind,
    undo: bool,
) -> Result<bool, AppError> {
    let ctx = app.federation().context();
    let existing = app.db().has_reacted(kind, object_url, &member.ap_id).await?;
    if existing.is_some() != undo {
        return Ok(false);
    }
    // What the member reacts to must be theirs to read; only what anyone
    // may read can be reshared (as on Mastodon).
    let reader = app.db().reader_for_member(member).await?;
    let remote_object = app.db().visible_remote_object_by_ap_id(&reader, object_url).await?;
    let local_post = match &remote_object {
        Some(_) => None,
        None => match app.db().visible_post_by_ap_id(&reader, object_url).await? {
            Some(post) => Some(post),
            None => return Err(AppError::NotFound(format!("no post {object_url} known here"))),
        },
    };
    let visibility = match (&remote_object, &local_post) {
        (Some(object), _) => object.visibility(),
        (None, Some(post)) => post.visibility(),
        (None, None) => unreachable!("one of them was found above"),
    };
    if kind == ReactionKind::Announce && !undo && !visibility.is_open() {
        return Err(AppError::refused("only posts that anyone may read can be reshared"));
    }
    let author = remote_object.and_then(|object| object.attributed_to);
    let mut inboxes: Vec<String> = inbox_of_author(ctx, author.as_deref()).await?.into_iter().collect();
    let type_name = if kind == ReactionKind::Like { "Like" } else { "Announce" };
    let (to, cc) = if kind == ReactionKind::Announce {
        inboxes.extend(follower_inboxes(ctx, member).await?.into_iter().map(|(i, _)| i));
        (json!([PUBLIC]), json!([Urls::of_actor(&member.ap_id, "followers")]))
    } else {
        (json!([]), json!([]))
    };
    let reaction = match &existing {
        // Undo the activity as it was sent.
        Some(id) => app.db().activity_json(id).await?.and_then(|j| serde_json::from_str(&j).ok()).unwrap_or(json!(id)),
        None => activity(ctx, type_name, &member.ap_id, json!(object_url), &to, &cc),
    };
    let sent = if undo { activity(ctx, "Undo", &member.ap_id, reaction.clone(), &to, &cc) } else { reaction.clone() };
    let notify = outgoing(member, &sent, !undo && kind == ReactionKind::Announce, inboxes);
    app.db().save_own_reaction(kind, object_url, &member.ap_id, undo, &notify).await?;
    // The author of a post of this instance hears of it here, as of a
    // reaction from another server.
    if let Some(post) = local_post.filter(|post| !undo && post.actor_id != member.id) {
        let told = match kind {
            ReactionKind::Like => NotificationKind::Favourite,
            ReactionKind::Announce => NotificationKind::Reblog,
        };
        app.db().notify(post.actor_id, told, &member.ap_id, Some(object_url)).await?;
    }
    Ok(true)
}
