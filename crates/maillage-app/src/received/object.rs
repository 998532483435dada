//! Remote posts: stored sanitised, edits followed, deletions kept (a Delete
//! wins even before its Create), and local actors told when a new post
//! mentions them.

use maillage_db::{NewRemoteObject, RemoteActor, StoreOutcome};
use maillage_domain::NotificationKind;
use maillage_federation::inbound::activity::{Edit, ObjectChange, id_of};
use maillage_federation::inbound::object::{check_change_origin, check_delete_origin};
use maillage_federation::inbound::{EmbeddedObject, Received};
use maillage_federation::objects::{fetch_remote_object, parse_remote_object};
use maillage_federation::{Context, Federation, FederationError};
use serde_json::Value;
use url::Url;

/// Stores the object (or, when not embedded by its author, fetches it from
/// its origin, never trusting the sender with another's words).
pub(super) async fn change(
    federation: &Federation,
    change: &ObjectChange,
    actor: &RemoteActor,
) -> Result<Received, FederationError> {
    let ctx = federation.context();
    check_change_origin(change, actor)?;
    if let Some(embedded) = &change.embedded {
        let parsed = parse_remote_object(embedded)?;
        if parsed.attributed_to.as_deref().is_none_or(|a| a == actor.ap_id) {
            let outcome = ctx.db.store_remote_object(&parsed).await?;
            return after_store(ctx, &parsed, change.edit, outcome).await;
        }
        // Written by someone else of that server: believe the origin only.
    }
    let fetched = fetch_remote_object(federation, &change.object_id).await?;
    notify_mentions(ctx, &fetched.raw_json, &change.object_id, change.edit).await?;
    Ok(Received::Processed)
}

/// Stores a run of objects in one transaction, then does what follows
/// each; when the run fails as a whole, one by one, so one bad object does
/// not hold back the others.
pub(super) async fn store_embedded(ctx: &Context, run: &[EmbeddedObject]) -> Vec<Result<Received, FederationError>> {
    let objects: Vec<NewRemoteObject> = run.iter().map(|embedded| embedded.object.clone()).collect();
    let stored = match ctx.db.store_remote_objects(&objects).await {
        Ok(outcomes) => outcomes.into_iter().map(Ok).collect(),
        Err(error) => {
            tracing::warn!(%error, n = run.len(), "storing a batch of objects failed; storing them one by one");
            let mut outcomes = Vec::with_capacity(run.len());
            for object in &objects {
                outcomes.push(ctx.db.store_remote_object(object).await);
            }
            outcomes
        }
    };
    let mut results = Vec::with_capacity(run.len());
    for (EmbeddedObject { object, edit }, outcome) in run.iter().zip(stored) {
        results.push(match outcome {
            Ok(outcome) => after_store(ctx, object, *edit, outcome).await,
            Err(error) => Err(error.into()),
        });
    }
    results
}

/// What follows the storing of an object its author sent.
async fn after_store(
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

/// Keeps a tombstone; only its author deletes a post we hold (not another
/// actor of its server).
pub(super) async fn delete(
    ctx: &Context,
    object_id: &str,
    object_type: &str,
    actor: &RemoteActor,
) -> Result<Received, FederationError> {
    check_delete_origin(object_id, actor)?;
    if let Some(stored) = ctx.db.remote_object(object_id).await?
        && stored.attributed_to.as_deref().is_some_and(|author| author != actor.ap_id)
    {
        return Err(FederationError::Forbidden(format!("only the author of {object_id} can delete it")));
    }
    ctx.db.tombstone_remote_object(object_id, object_type).await?;
    Ok(Received::Processed)
}
