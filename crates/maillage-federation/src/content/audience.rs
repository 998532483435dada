//! Who hears of a change: followers' inboxes (deduplicated by shared
//! inbox), those of the accounts an actor follows, the authors of what we answer or reshare, the hub's relays, and
//! the outgoing rows the use cases store with the change.

use std::collections::BTreeSet;

use maillage_db::{Direction, FollowState, LocalActor, Outgoing, Post};
use maillage_domain::{ActorKind, Visibility};
use serde_json::{Value, json};

use super::protocol::{Mention, PUBLIC, activity_document, outgoing};
use crate::context::Context;
use crate::error::FederationError;
use crate::urls::Urls;

/// Inboxes of a local actor's accepted followers, with the followers' types
/// (deduplicated by shared inbox), read page by page.
pub async fn follower_inboxes(ctx: &Context, actor: &LocalActor) -> Result<Vec<(String, bool)>, FederationError> {
    let mut inboxes: Vec<(String, bool)> = Vec::new();
    let mut seen = BTreeSet::new();
    let mut before = None;
    loop {
        let page = ctx.db.follows_page(actor.id, Direction::Incoming, FollowState::Accepted, before, 500).await?;
        for follow in &page {
            let Some(inbox) = follow.remote_delivery_inbox().map(str::to_string) else { continue };
            if seen.insert(inbox.clone()) {
                inboxes.push((inbox, follow.remote_type == "Group"));
            }
        }
        match page.last() {
            Some(last) if page.len() == 500 => before = Some(last.id),
            _ => break,
        }
    }
    Ok(inboxes)
}

/// Inboxes of the remote accounts a local actor follows (accepted),
/// deduplicated by shared inbox: with its followers, whom an actor's own
/// `Delete` goes to.
pub async fn followed_inboxes(ctx: &Context, actor: &LocalActor) -> Result<Vec<String>, FederationError> {
    let mut inboxes = BTreeSet::new();
    let mut before = None;
    loop {
        let page = ctx.db.follows_page(actor.id, Direction::Outgoing, FollowState::Accepted, before, 500).await?;
        inboxes.extend(page.iter().filter_map(|follow| follow.remote_delivery_inbox().map(str::to_string)));
        match page.last() {
            Some(last) if page.len() == 500 => before = Some(last.id),
            _ => break,
        }
    }
    Ok(inboxes.into_iter().collect())
}

/// An activity with a new id of ours.
pub fn activity(ctx: &Context, kind: &str, actor: &str, object: Value, to: &Value, cc: &Value) -> Value {
    activity_document(&ctx.urls.new_activity_id(kind), kind, actor, object, to, cc)
}

/// The inbox, on its own server, of the remote actor `author`.
pub async fn inbox_of_author(ctx: &Context, author: Option<&str>) -> Result<Option<String>, FederationError> {
    let Some(author) = author else { return Ok(None) };
    Ok(ctx.db.remote_actor_by_ap_id(author).await?.and_then(|remote| remote.delivery_inbox().map(str::to_string)))
}

/// The inbox of the author of a remote object we keep (none for ours).
pub async fn inbox_of_object_author(ctx: &Context, object_id: &str) -> Result<Option<String>, FederationError> {
    let author = ctx.db.remote_object(object_id).await?.and_then(|object| object.attributed_to);
    inbox_of_author(ctx, author.as_deref()).await
}

/// The hub of this instance.
pub async fn hub(ctx: &Context) -> Result<LocalActor, FederationError> {
    ctx.db
        .local_actor_of_kind(ActorKind::Hub)
        .await?
        .ok_or_else(|| FederationError::NotFound("this instance has no hub yet".into()))
}

/// Everything a change of a post is delivered as: the enterprise's activity to
/// its audience, and, for public posts, the hub's reshare of it.
pub async fn deliveries_for(
    ctx: &Context,
    kind: &str,
    post: &Post,
    enterprise: &LocalActor,
    document: &Value,
) -> Result<(Value, Vec<Outgoing>), FederationError> {
    let object = if kind == "Delete" { json!({ "id": post.ap_id, "type": "Tombstone" }) } else { document.clone() };
    let main = activity(ctx, kind, &enterprise.ap_id, object, &document["to"], &document["cc"]);
    let visibility = post.visibility();
    let mut inboxes: Vec<String> = if visibility == Visibility::Direct {
        Vec::new()
    } else {
        follower_inboxes(ctx, enterprise).await?.into_iter().map(|(i, _)| i).collect()
    };
    let mentions: Vec<Mention> = serde_json::from_str(&post.mentions_json).unwrap_or_default();
    inboxes.extend(mentions.into_iter().map(|m| m.inbox).filter(|inbox| !inbox.is_empty()));
    // The author of the post replied to hears of it when they may read it.
    if visibility.is_open()
        && let Some(reply) = &post.in_reply_to
    {
        inboxes.extend(inbox_of_object_author(ctx, reply).await?);
    }
    // Listed in the outbox: what anyone may read (Mastodon lists unlisted posts too).
    let mut all = vec![outgoing(enterprise, &main, kind == "Create" && visibility.is_open(), inboxes)];
    if visibility.is_listed()
        && enterprise.kind() == ActorKind::Enterprise
        && let Some(hub) = ctx.db.local_actor_of_kind(ActorKind::Hub).await?
    {
        let followers = follower_inboxes(ctx, &hub).await?;
        let groups: Vec<String> = followers.iter().filter(|(_, g)| *g).map(|(i, _)| i.clone()).collect();
        let others: Vec<String> = followers.iter().filter(|(_, g)| !*g).map(|(i, _)| i.clone()).collect();
        let to = json!([PUBLIC]);
        let cc = json!([Urls::of_actor(&hub.ap_id, "followers"), enterprise.ap_id]);
        if !groups.is_empty() {
            let relay = activity(ctx, "Announce", &hub.ap_id, main.clone(), &to, &cc);
            all.push(outgoing(&hub, &relay, false, groups));
        }
        if kind == "Create" && !others.is_empty() {
            let boost = activity(ctx, "Announce", &hub.ap_id, json!(post.ap_id), &to, &cc);
            all.push(outgoing(&hub, &boost, true, others));
        }
    }
    Ok((main, all))
}
