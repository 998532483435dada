//! `Create`, `Update` and `Delete` of objects: remote posts are stored
//! sanitised, edits followed, deletions kept (a Delete wins even before its
//! Create), and local actors told when a new post mentions them.

use maillage_db::{NewRemoteObject, StoreOutcome};
use maillage_domain::NotificationKind;
use serde_json::Value;
use url::Url;

use super::activity::{Edit, ObjectChange, Received, id_of};
use crate::context::{Context, Federation};
use crate::error::FederationError;
use crate::objects::{RemoteActorObject, authority, check_remote_object, parse_remote_object};

/// Whether `object_id` is on the server of the sender.
fn on_senders_server(object_id: &str, actor: &RemoteActorObject) -> Result<bool, FederationError> {
    let actor_url = Url::parse(&actor.row.ap_id).map_err(|_| FederationError::invalid("bad actor id"))?;
    Ok(Url::parse(object_id).is_ok_and(|a| authority(&a) == authority(&actor_url)))
}

fn check_change_origin(change: &ObjectChange, actor: &RemoteActorObject) -> Result<(), FederationError> {
    if !on_senders_server(&change.object_id, actor)? {
        return Err(FederationError::invalid("an actor can only create or update objects of its own server"));
    }
    Ok(())
}

fn check_delete_origin(object_id: &str, actor: &RemoteActorObject) -> Result<(), FederationError> {
    if !on_senders_server(object_id, actor)? {
        return Err(FederationError::invalid("an actor can only delete objects of its own server"));
    }
    Ok(())
}

/// The wire check of a `Create` or `Update`: the object is on the sender's
/// server, and well formed when embedded.
pub(super) fn verify_change(change: &ObjectChange, actor: &RemoteActorObject) -> Result<(), FederationError> {
    check_change_origin(change, actor)?;
    if let Some(embedded) = &change.embedded {
        check_remote_object(embedded)?;
    }
    Ok(())
}

/// The object its own author sends embedded (the common case), ready to
/// store; `None` when the object does not parse (then [`apply_change`]
/// says why) or is someone else's.
pub(crate) fn own_embedded_object(change: &ObjectChange, actor: &RemoteActorObject) -> Option<NewRemoteObject> {
    let object = change.embedded.as_ref()?;
    if !on_senders_server(&change.object_id, actor).ok()? {
        return None;
    }
    let parsed = parse_remote_object(object).ok()?;
    parsed.attributed_to.as_deref().is_none_or(|a| a == actor.row.ap_id).then_some(parsed)
}

/// Stores the object (or, when not embedded by its author, fetches it from
/// its origin, never trusting the sender with another's words).
pub(super) async fn apply_change(
    federation: &Federation,
    ctx: &Context,
    change: &ObjectChange,
    actor: &RemoteActorObject,
) -> Result<Received, FederationError> {
    check_change_origin(change, actor)?;
    if let Some(embedded) = &change.embedded {
        let parsed = parse_remote_object(embedded)?;
        if parsed.attributed_to.as_deref().is_none_or(|a| a == actor.row.ap_id) {
            let outcome = ctx.db.store_remote_object(&parsed).await?;
            return after_store(ctx, &parsed, change.edit, outcome).await;
        }
        // Written by someone else of that server: believe the origin only.
    }
    let fetched = crate::objects::fetch_remote_object(federation, &change.object_id).await?;
    notify_mentions(ctx, &fetched.raw_json, &change.object_id, change.edit).await?;
    Ok(Received::Processed)
}

/// What follows the storing of an object [`own_embedded_object`] gave.
pub(crate) async fn after_store(
    ctx: &Context,
    object: &NewRemoteObject,
    edit: Edit,
    outcome: StoreOutcome,
) -> Result<Received, FederationError> {
    if matches!(outcome, StoreOutcome::Tombstoned | StoreOutcome::NotTheAuthor) {
        return Ok(Received::Ignored);
    }
    notify_mentions(ctx, &object.raw_json, &object.ap_id, edit).await?;
    Ok(Received::Processed)
}

/// Tells the local actors a new object mentions (`Mention` tags naming them).
async fn notify_mentions(ctx: &Context, raw_json: &str, object_id: &str, edit: Edit) -> Result<(), FederationError> {
    if edit != Edit::Create {
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
            ctx.db.notify(local.id, NotificationKind::Mention, &author, Some(object_id)).await?;
        }
    }
    Ok(())
}

/// The wire check of a `Delete` of an object: on the sender's server.
pub(super) fn verify_delete(object_id: &str, actor: &RemoteActorObject) -> Result<(), FederationError> {
    check_delete_origin(object_id, actor)
}

/// Keeps a tombstone; only its author deletes a post we hold (not another
/// actor of its server).
pub(super) async fn apply_delete(
    ctx: &Context,
    object_id: &str,
    object_type: &str,
    actor: &RemoteActorObject,
) -> Result<Received, FederationError> {
    check_delete_origin(object_id, actor)?;
    if let Some(stored) = ctx.db.remote_object(object_id).await?
        && stored.attributed_to.as_deref().is_some_and(|author| author != actor.row.ap_id)
    {
        return Err(FederationError::Forbidden(format!("only the author of {object_id} can delete it")));
    }
    ctx.db.tombstone_remote_object(object_id, object_type).await?;
    Ok(Received::Processed)
}
