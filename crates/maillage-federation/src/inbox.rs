//! Receiving activities: `POST /inbox` (shared) and `POST /actors/{name}/inbox`.
//!
//! Order of checks, cheapest first: content type, JSON shape, the HTTP
//! signature's structure (signed headers, Digest against the body, date
//! window), the activity's actor (from our cache, fetched when unknown), the
//! key belonging to that actor, the RSA signature itself. Only then is the
//! activity processed; a duplicate id is acknowledged and ignored. Every
//! refusal is a 4xx with a reason; nothing is written before the checks pass.

use std::time::SystemTime;

use activitypub_federation::fetch::object_id::ObjectId;
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, header};
use maillage_db::Direction;
use serde_json::Value;
use url::Url;

use crate::activities::{id_of, receive_follow};
use crate::context::{Context, Federation};
use crate::error::FederationError;
use crate::objects::{RemoteActorObject, authority};
use crate::signature::{self, RequestParts};

/// Content types an inbox accepts (JSON in any of its ActivityPub dresses).
fn acceptable_content_type(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else { return false };
    let essence = value.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    matches!(essence.as_str(), "application/activity+json" | "application/ld+json" | "application/json")
}

/// What the inbox concluded, for the response.
#[derive(Debug, PartialEq, Eq)]
pub enum Received {
    Processed,
    Duplicate,
    Ignored,
}

/// Checks and processes one inbox POST. `path_and_query` is the request
/// target as the client sent it; `for_actor` is the username of a personal inbox.
pub async fn receive(
    federation: &Federation,
    method: &Method,
    path_and_query: &str,
    headers: &HeaderMap,
    body: &Bytes,
    for_actor: Option<&str>,
) -> Result<Received, FederationError> {
    let data = federation.data();
    if let Some(username) = for_actor
        && data.db.local_actor_by_username(username).await?.is_none()
    {
        return Err(FederationError::NotFound(format!("no actor {username} on this instance")));
    }
    if !acceptable_content_type(headers) {
        return Err(FederationError::UnsupportedMediaType("send activities as application/activity+json".to_string()));
    }
    let activity: Value =
        serde_json::from_slice(body).map_err(|e| FederationError::invalid(format!("the body is not JSON: {e}")))?;
    if !activity.is_object() {
        return Err(FederationError::invalid("an activity is a JSON object"));
    }
    let parts = RequestParts { method, path_and_query, headers, body: Some(body) };
    let params = signature::parse_and_check(&parts, SystemTime::now())?;

    let kind = activity
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| FederationError::invalid("the activity has no `type`"))?;
    let activity_id = parse_url(activity.get("id"), "id")?;
    let actor_id = parse_url(activity.get("actor"), "actor")?;
    if authority(&activity_id) != authority(&actor_id) {
        return Err(FederationError::invalid("the activity's id and its actor are on different servers"));
    }
    if data.urls.local_username(&actor_id).is_some() || authority(&actor_id) == data.config.instance.domain {
        return Err(FederationError::invalid("activities of this instance's own actors are not received from outside"));
    }
    let key_id =
        Url::parse(&params.key_id).map_err(|_| FederationError::Unauthorized("the keyId is not a URL".into()))?;
    if authority(&key_id) != authority(&actor_id) {
        return Err(FederationError::Unauthorized(format!(
            "the key {} is not on the server of the actor {actor_id}",
            params.key_id
        )));
    }
    // An account deleted at its origin cannot be fetched any more: its
    // Delete is acknowledged without a lookup (we hold nothing to delete yet).
    if kind == "Delete"
        && id_of(activity.get("object")) == Some(actor_id.as_str())
        && data.db.remote_actor_by_ap_id(actor_id.as_str()).await?.is_none()
    {
        return Ok(Received::Ignored);
    }

    let object_id = ObjectId::<RemoteActorObject>::from(actor_id.clone());
    let mut actor = object_id.dereference(&data).await?;
    if actor.row.public_key_id != params.key_id {
        // Perhaps the key was rotated since we cached the actor.
        actor = object_id.dereference_forced(&data).await?;
    }
    if actor.row.public_key_id != params.key_id {
        return Err(FederationError::Unauthorized(format!(
            "the key {} does not belong to the activity's actor {actor_id}",
            params.key_id
        )));
    }
    signature::verify(&params, &parts, &actor.row.public_key_pem)?;

    if data.db.is_received(activity_id.as_str()).await? {
        return Ok(Received::Duplicate);
    }
    let outcome = process(federation, &data, kind, &activity, &actor).await?;
    data.db.record_received(activity_id.as_str(), actor_id.as_str(), kind, &activity.to_string()).await?;
    Ok(outcome)
}

fn parse_url(value: Option<&Value>, field: &str) -> Result<Url, FederationError> {
    let text = id_of(value).ok_or_else(|| FederationError::invalid(format!("the activity has no `{field}`")))?;
    Url::parse(text).map_err(|_| FederationError::invalid(format!("the activity's `{field}` is not a URL")))
}

/// The local actor a URL names, or a 404.
async fn local_actor(ctx: &Context, value: Option<&Value>) -> Result<maillage_db::LocalActor, FederationError> {
    let url = parse_url(value, "object")?;
    let found = match ctx.urls.local_username(&url) {
        Some(None) => ctx.db.local_actor_of_kind(maillage_domain::ActorKind::Instance).await?,
        Some(Some(name)) => ctx.db.local_actor_by_username(&name).await?,
        None => None,
    };
    found.ok_or_else(|| FederationError::NotFound(format!("{url} is not an actor of this instance")))
}

async fn process(
    federation: &Federation,
    ctx: &Context,
    kind: &str,
    activity: &Value,
    actor: &RemoteActorObject,
) -> Result<Received, FederationError> {
    let object = activity.get("object");
    match kind {
        "Create" | "Update" | "Delete" | "Announce" | "Like" => {
            return crate::receive_content::process(federation, ctx, kind, activity, actor).await;
        }
        "Undo" if matches!(object.and_then(|o| o.get("type")).and_then(Value::as_str), Some("Like" | "Announce")) => {
            return crate::receive_content::undo_reaction(ctx, object, actor).await;
        }
        _ => {}
    }
    match kind {
        "Follow" => {
            let local = local_actor(ctx, object).await?;
            receive_follow(ctx, &local, actor, activity).await?;
            Ok(Received::Processed)
        }
        "Undo" => {
            let inner_kind = object.and_then(|o| o.get("type")).and_then(Value::as_str);
            let inner_id = id_of(object).unwrap_or_default();
            let follow = ctx.db.find_follow_by_activity(inner_id, Direction::Incoming).await?;
            match (inner_kind, follow) {
                (_, Some(follow)) if follow.remote_actor_id == actor.row.id => {
                    ctx.db.remove_follow(follow.local_actor_id, actor.row.id, Direction::Incoming, None).await?;
                    Ok(Received::Processed)
                }
                // A Follow whose id we never saw (or stored another one for).
                (Some("Follow"), _) => {
                    if id_of(object.and_then(|o| o.get("actor"))) != Some(actor.row.ap_id.as_str()) {
                        return Err(FederationError::Unauthorized("an actor can only undo its own Follow".into()));
                    }
                    let local = local_actor(ctx, object.and_then(|o| o.get("object"))).await?;
                    ctx.db.remove_follow(local.id, actor.row.id, Direction::Incoming, None).await?;
                    Ok(Received::Processed)
                }
                _ => Ok(Received::Ignored),
            }
        }
        "Accept" | "Reject" => {
            let follow_id = id_of(object).unwrap_or_default();
            let follow = match ctx.db.find_follow_by_activity(follow_id, Direction::Outgoing).await? {
                Some(follow) => Some(follow),
                // Some servers answer with a Follow of their own making: match
                // the pair (our actor, this actor) instead of the id.
                None => match object.and_then(|o| o.get("actor")) {
                    Some(follower) => {
                        let local = local_actor(ctx, Some(follower)).await?;
                        ctx.db.find_follow(local.id, actor.row.id, Direction::Outgoing).await?
                    }
                    None => None,
                },
            };
            let Some(follow) = follow else { return Ok(Received::Ignored) };
            if follow.remote_actor_id != actor.row.id {
                return Err(FederationError::Unauthorized("only the followed actor can answer a Follow".into()));
            }
            if kind == "Accept" {
                ctx.db.accept_follow(follow.local_actor_id, actor.row.id, Direction::Outgoing, None).await?;
            } else {
                ctx.db.remove_follow(follow.local_actor_id, actor.row.id, Direction::Outgoing, None).await?;
            }
            Ok(Received::Processed)
        }
        // Kept raw (received_activities) for the content features to come.
        _ => Ok(Received::Ignored),
    }
}

/// The HTTP answer to an inbox POST: 202 when stored, else the error's status.
pub fn status_of(result: &Result<Received, FederationError>) -> StatusCode {
    match result {
        Ok(_) => StatusCode::ACCEPTED,
        Err(e) => e.status(),
    }
}
