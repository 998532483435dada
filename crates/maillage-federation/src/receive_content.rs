//! What received content activities do: store remote posts (sanitised),
//! follow edits and deletions (a Delete wins even before its Create), take
//! a hub's reshares (fetching the object from its origin), keep remote
//! enterprises' profiles and note which hub we follow lists them (the
//! network directory, see `directory`), and count likes and reshares of our
//! own posts.

use activitypub_federation::fetch::object_id::ObjectId;
use maillage_db::{NewRemoteObject, ReactionKind, StoreOutcome};
use serde_json::Value;
use url::Url;

use crate::activities::id_of;
use crate::context::{Context, Federation};
use crate::error::FederationError;
use crate::inbox::Received;
use crate::objects::{RemoteActorObject, authority, check_remote_object, parse_actor_document, parse_remote_object};

fn same_server(a: &str, b: &Url) -> bool {
    Url::parse(a).is_ok_and(|a| authority(&a) == authority(b))
}

/// The checks of a content activity that need no I/O: the object is named,
/// on the sender's server when it is created, updated or deleted, and an
/// embedded object or profile is well formed. Refused here, the activity
/// is never stored.
pub(crate) fn precheck(kind: &str, activity: &Value, actor: &RemoteActorObject) -> Result<(), FederationError> {
    let actor_url = Url::parse(&actor.row.ap_id).map_err(|_| FederationError::invalid("bad actor id"))?;
    let object = activity.get("object");
    let object_id = id_of(object).ok_or_else(|| FederationError::invalid(format!("the {kind} has no `object`")))?;
    let embedded = object.filter(|o| o.is_object());
    match kind {
        "Create" | "Update" if object_id == actor.row.ap_id => {
            if let Some(document) = embedded {
                let parsed = parse_actor_document(document)?;
                if parsed.ap_id != actor.row.ap_id || parsed.public_key_id != actor.row.public_key_id {
                    return Err(FederationError::Unauthorized(
                        "an Update of an actor must come from that actor, with its key".into(),
                    ));
                }
            }
        }
        "Create" | "Update" => {
            if !same_server(object_id, &actor_url) {
                return Err(FederationError::invalid("an actor can only create or update objects of its own server"));
            }
            if let Some(embedded) = embedded {
                check_remote_object(embedded)?;
            }
        }
        "Delete" if object_id != actor.row.ap_id && !same_server(object_id, &actor_url) => {
            return Err(FederationError::invalid("an actor can only delete objects of its own server"));
        }
        "Announce" => {
            let inner_kind = embedded.and_then(|o| o.get("type")).and_then(Value::as_str).unwrap_or_default();
            if matches!(inner_kind, "Create" | "Update" | "Delete")
                && id_of(embedded.and_then(|o| o.get("object"))).is_none()
            {
                return Err(FederationError::invalid("the relayed activity has no object"));
            }
        }
        _ => {}
    }
    Ok(())
}

/// The object of a Create or Update that its own author sends embedded
/// (the common case), ready to store; `None` for every other activity, or
/// when the object does not parse (then [`process`] says why).
pub(crate) fn own_embedded_object(kind: &str, activity: &Value, actor: &RemoteActorObject) -> Option<NewRemoteObject> {
    if !matches!(kind, "Create" | "Update") {
        return None;
    }
    let object = activity.get("object").filter(|o| o.is_object())?;
    let object_id = id_of(Some(object))?;
    let actor_url = Url::parse(&actor.row.ap_id).ok()?;
    if object_id == actor.row.ap_id || !same_server(object_id, &actor_url) {
        return None;
    }
    let parsed = parse_remote_object(object).ok()?;
    parsed.attributed_to.as_deref().is_none_or(|a| a == actor.row.ap_id).then_some(parsed)
}

/// What follows the storing of an object [`own_embedded_object`] gave.
pub(crate) async fn after_store(
    ctx: &Context,
    object: &NewRemoteObject,
    kind: &str,
    outcome: StoreOutcome,
) -> Result<Received, FederationError> {
    if matches!(outcome, StoreOutcome::Tombstoned | StoreOutcome::NotTheAuthor) {
        return Ok(Received::Ignored);
    }
    notify_mentions(ctx, &object.raw_json, &object.ap_id, kind).await?;
    Ok(Received::Processed)
}

pub async fn process(
    federation: &Federation,
    ctx: &Context,
    kind: &str,
    activity: &Value,
    actor: &RemoteActorObject,
) -> Result<Received, FederationError> {
    let actor_url = Url::parse(&actor.row.ap_id).map_err(|_| FederationError::invalid("bad actor id"))?;
    let object = activity.get("object");
    let object_id =
        id_of(object).ok_or_else(|| FederationError::invalid(format!("the {kind} has no `object`")))?.to_string();
    match kind {
        "Create" | "Update" if object_id == actor.row.ap_id => refresh_actor(ctx, object, actor).await,
        "Create" | "Update" => {
            if !same_server(&object_id, &actor_url) {
                return Err(FederationError::invalid("an actor can only create or update objects of its own server"));
            }
            match object.filter(|o| o.is_object()) {
                Some(embedded) => {
                    let parsed = parse_remote_object(embedded)?;
                    if parsed.attributed_to.as_deref().is_some_and(|a| a != actor.row.ap_id) {
                        // Written by someone else of that server: believe the origin only.
                        let fetched = crate::objects::fetch_remote_object(federation, &object_id).await?;
                        notify_mentions(ctx, &fetched.raw_json, &object_id, kind).await?;
                    } else {
                        let outcome = ctx.db.store_remote_object(&parsed).await?;
                        return after_store(ctx, &parsed, kind, outcome).await;
                    }
                }
                None => {
                    let fetched = crate::objects::fetch_remote_object(federation, &object_id).await?;
                    notify_mentions(ctx, &fetched.raw_json, &object_id, kind).await?;
                }
            }
            Ok(Received::Processed)
        }
        "Delete" if object_id == actor.row.ap_id => {
            ctx.db.remove_remote_actor(&actor.row.ap_id).await?;
            ctx.remote_actors.invalidate(&actor.row.ap_id);
            Ok(Received::Processed)
        }
        "Delete" => {
            if !same_server(&object_id, &actor_url) {
                return Err(FederationError::invalid("an actor can only delete objects of its own server"));
            }
            // Only its author deletes a post we hold (not another actor of its server).
            if let Some(stored) = ctx.db.remote_object(&object_id).await?
                && stored.attributed_to.as_deref().is_some_and(|author| author != actor.row.ap_id)
            {
                return Err(FederationError::Forbidden(format!("only the author of {object_id} can delete it")));
            }
            let kind = object.and_then(|o| o.get("type")).and_then(Value::as_str).unwrap_or("Object");
            ctx.db.tombstone_remote_object(&object_id, kind).await?;
            Ok(Received::Processed)
        }
        "Announce" => receive_announce(federation, ctx, object, &object_id, actor, activity).await,
        "Like" => {
            // Liked by someone who may read it, or not counted.
            let reader = maillage_db::Reader::remote(actor.row.id, &actor.row.ap_id);
            if let Some(post) = ctx.db.visible_post_by_ap_id(&reader, &object_id).await? {
                let activity_id = id_of(activity.get("id")).unwrap_or_default();
                if ctx.db.add_reaction(ReactionKind::Like, &object_id, &actor.row.ap_id, activity_id).await? {
                    ctx.db.notify(post.actor_id, "favourite", &actor.row.ap_id, Some(&object_id)).await?;
                }
                return Ok(Received::Processed);
            }
            Ok(Received::Ignored)
        }
        _ => Ok(Received::Ignored),
    }
}

/// `Update{actor}`: the actor's new profile, embedded; believed only when it
/// is the sender's own document (same id), else refetched.
async fn refresh_actor(
    ctx: &Context,
    object: Option<&Value>,
    actor: &RemoteActorObject,
) -> Result<Received, FederationError> {
    match object.filter(|o| o.is_object()) {
        Some(document) => {
            let parsed = parse_actor_document(document)?;
            if parsed.ap_id != actor.row.ap_id || parsed.public_key_id != actor.row.public_key_id {
                return Err(FederationError::Unauthorized(
                    "an Update of an actor must come from that actor, with its key".into(),
                ));
            }
            ctx.db.upsert_remote_actor(&parsed).await?;
            ctx.remote_actors.invalidate(&parsed.ap_id);
            ctx.db.set_remote_profile(&parsed.ap_id, parsed.profile_json.as_deref()).await?;
        }
        None => return Ok(Received::Ignored),
    }
    Ok(Received::Processed)
}

/// A reshare. Of one of our posts: counted. Of anything else: the object is
/// fetched from its origin, never trusted from the resharer. A hub relaying
/// an activity (FEP-1b12 `Announce{Create|Update|Delete}`) gets the same
/// treatment for the activity's object.
async fn receive_announce(
    federation: &Federation,
    ctx: &Context,
    object: Option<&Value>,
    object_id: &str,
    actor: &RemoteActorObject,
    activity: &Value,
) -> Result<Received, FederationError> {
    let inner_kind = object.and_then(|o| o.get("type")).and_then(Value::as_str).unwrap_or_default();
    if matches!(inner_kind, "Create" | "Update" | "Delete") {
        let inner = object.and_then(|o| o.get("object"));
        let target =
            id_of(inner).ok_or_else(|| FederationError::invalid("the relayed activity has no object"))?.to_string();
        let inner_actor = id_of(object.and_then(|o| o.get("actor"))).unwrap_or_default().to_string();
        if Url::parse(&target)
            .is_ok_and(|u| ctx.urls.local_username(&u).is_some() || authority(&u) == ctx.config.instance.domain)
        {
            return Ok(Received::Ignored);
        }
        if target == inner_actor {
            // A relayed profile change: refresh the actor from its origin.
            let url = Url::parse(&target).map_err(|_| FederationError::invalid("bad actor id"))?;
            let data = federation.data();
            let refreshed = ObjectId::<RemoteActorObject>::from(url).dereference_forced(&data).await?;
            let parsed = parse_actor_document(&serde_json::from_str(&refreshed.row.raw_json).unwrap_or(Value::Null))?;
            ctx.db.set_remote_profile(&parsed.ap_id, parsed.profile_json.as_deref()).await?;
            crate::directory::note_announced_actor(ctx, actor, &parsed.ap_id).await?;
            return Ok(Received::Processed);
        }
        return match inner_kind {
            "Delete" => {
                // Believe a relayed Delete only if the origin says it is gone.
                match crate::objects::fetch_remote_object(federation, &target).await {
                    Ok(_) => Ok(Received::Ignored),
                    Err(FederationError::Library(activitypub_federation::error::Error::ObjectDeleted(_)))
                    | Err(FederationError::Library(activitypub_federation::error::Error::NotFound))
                    | Err(FederationError::NotFound(_)) => {
                        let kind = inner.and_then(|o| o.get("type")).and_then(Value::as_str).unwrap_or("Object");
                        ctx.db.tombstone_remote_object(&target, kind).await?;
                        Ok(Received::Processed)
                    }
                    Err(other) => Err(other),
                }
            }
            _ => {
                fetch_or_ignore_deleted(federation, &target).await?;
                crate::directory::note_announced_object(ctx, actor, &target).await?;
                Ok(Received::Processed)
            }
        };
    }
    // A reshare of one of our posts counts when anyone may read that post.
    let reader = maillage_db::Reader::remote(actor.row.id, &actor.row.ap_id);
    if let Some(post) = ctx.db.visible_post_by_ap_id(&reader, object_id).await?.filter(|p| p.visibility().is_open()) {
        let activity_id = id_of(activity.get("id")).unwrap_or_default();
        if ctx.db.add_reaction(ReactionKind::Announce, object_id, &actor.row.ap_id, activity_id).await? {
            ctx.db.notify(post.actor_id, "reblog", &actor.row.ap_id, Some(object_id)).await?;
        }
        return Ok(Received::Processed);
    }
    if Url::parse(object_id).is_ok_and(|u| authority(&u) == ctx.config.instance.domain) {
        return Ok(Received::Ignored);
    }
    fetch_or_ignore_deleted(federation, object_id).await?;
    crate::directory::note_announced_object(ctx, actor, object_id).await?;
    Ok(Received::Processed)
}

/// Tells the local actors a new object mentions (`Mention` tags naming them).
async fn notify_mentions(ctx: &Context, raw_json: &str, object_id: &str, kind: &str) -> Result<(), FederationError> {
    if kind != "Create" {
        return Ok(());
    }
    let json: Value = serde_json::from_str(raw_json).unwrap_or(Value::Null);
    let author = id_of(json.get("attributedTo")).unwrap_or_default().to_string();
    let tags = match json.get("tag") {
        Some(Value::Array(tags)) => tags.iter().collect::<Vec<_>>(),
        Some(tag @ Value::Object(_)) => vec![tag],
        _ => Vec::new(),
    };
    for tag in tags {
        if tag.get("type").and_then(Value::as_str) != Some("Mention") {
            continue;
        }
        let Some(href) = tag.get("href").and_then(Value::as_str).and_then(|h| Url::parse(h).ok()) else { continue };
        let local = match ctx.urls.local_username(&href) {
            Some(Some(name)) => ctx.db.local_actor_by_username(&name).await?,
            _ => None,
        };
        if let Some(local) = local {
            ctx.db.notify(local.id, "mention", &author, Some(object_id)).await?;
        }
    }
    Ok(())
}

/// Fetches an object; one deleted at its origin is simply not stored.
async fn fetch_or_ignore_deleted(federation: &Federation, url: &str) -> Result<(), FederationError> {
    match crate::objects::fetch_remote_object(federation, url).await {
        Ok(_) => Ok(()),
        Err(FederationError::Library(activitypub_federation::error::Error::ObjectDeleted(_)))
        | Err(FederationError::NotFound(_)) => Ok(()),
        Err(other) => Err(other),
    }
}

/// `Undo{Like}` / `Undo{Announce}` of one of our posts.
pub async fn undo_reaction(
    ctx: &Context,
    object: Option<&Value>,
    actor: &RemoteActorObject,
) -> Result<Received, FederationError> {
    let inner_id = id_of(object).unwrap_or_default();
    let kind = match object.and_then(|o| o.get("type")).and_then(Value::as_str) {
        Some("Like") => ReactionKind::Like,
        _ => ReactionKind::Announce,
    };
    let target = id_of(object.and_then(|o| o.get("object")));
    let removed = ctx.db.remove_reaction(inner_id, target.map(|t| (kind, t)), &actor.row.ap_id).await?;
    Ok(if removed { Received::Processed } else { Received::Ignored })
}
