//! Receiving activities: `POST /inbox` (shared) and `POST /actors/{name}/inbox`.
//!
//! Order of checks, cheapest first: content type, JSON shape, the HTTP
//! signature's structure (signed headers, Digest against the body, date
//! window), the sender's server against the domain policies, the
//! activity's actor (from our cache, fetched when unknown), the key
//! belonging to that actor, the RSA signature itself, then the activity's
//! own shape ([`precheck`]: everything that can be judged without I/O).
//! Every refusal is a 4xx with a reason; nothing is written before the
//! checks pass.
//!
//! Then the activity is stored (raw JSON, verified actor; in a group commit,
//! see `inbox_queue`) and only then processed. When one of the process's
//! processing slots is free, the request processes it in a task of its own
//! and the answer (202) waits at most [`PROCESSING_BUDGET`], so a slow
//! origin never holds the sender's connection; otherwise (a burst) the
//! answer comes at once and the inbox worker ([`run_worker`]) processes it
//! in a batch. However it is processed, an activity waits on other servers
//! at most `inbox.processing_timeout_seconds`, then goes back to the queue
//! to be retried later: a slow or hostile origin cannot hold a processing
//! slot, nor the worker. A crash between storing and processing loses nothing: the
//! worker also takes over stored activities whose processing did not
//! finish. Processing is idempotent. A duplicate id is acknowledged and
//! ignored.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use activitypub_federation::fetch::object_id::ObjectId;
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, header};
use maillage_db::Direction;
use serde_json::Value;
use tokio::sync::Semaphore;
use url::Url;

use crate::activities::{id_of, receive_follow};
use crate::context::{Context, Federation};
use crate::error::FederationError;
use crate::objects::{RemoteActorObject, authority};
use crate::signature::{self, RequestParts};

/// How long an inbox answer waits for the processing of what it stored.
pub const PROCESSING_BUDGET: Duration = Duration::from_secs(2);

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
    /// Stored; its processing goes on after the answer.
    Stored,
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
    if let Some(reason) = data.policies.url_refusal(&actor_id).await {
        return Err(FederationError::Forbidden(reason));
    }
    // An account deleted at its origin cannot be fetched any more: its
    // Delete is acknowledged without a lookup (we hold nothing to delete yet).
    if kind == "Delete"
        && id_of(activity.get("object")) == Some(actor_id.as_str())
        && data.db.remote_actor_by_ap_id(actor_id.as_str()).await?.is_none()
    {
        return Ok(Received::Ignored);
    }

    let actor = verified_signer(&data, actor_id.clone(), &params, &parts).await?;
    if actor.row.suspended {
        return Err(FederationError::Forbidden(format!("{actor_id} is suspended by this instance's moderators")));
    }
    precheck(&data, kind, &activity, &actor).await?;

    // Processed here if a slot is free, else by the inbox worker.
    let slot = data.inbox.inline_slot();
    let lease = i64::try_from(data.config.inbox.lease_seconds).unwrap_or(i64::MAX);
    let stored = data
        .inbox
        .store(maillage_db::NewReceived {
            ap_id: activity_id.to_string(),
            actor_ap_id: actor_id.to_string(),
            kind: kind.to_string(),
            json: String::from_utf8_lossy(body).into_owned(),
            lease_seconds: slot.is_some().then_some(lease),
        })
        .await?;
    let Some(row_id) = stored else {
        return Ok(Received::Duplicate);
    };
    let Some(slot) = slot else {
        data.inbox.wake_worker();
        return Ok(Received::Stored);
    };
    // Stored and leased to us: from here on the activity is ours to
    // process, whatever happens to this request.
    let federation = federation.clone();
    let task = tokio::spawn(async move {
        let _slot = slot;
        let data = federation.data();
        let kind = activity.get("type").and_then(Value::as_str).unwrap_or_default().to_string();
        let outcome = within_deadline(&data, process(&federation, &data, &kind, &activity, &actor)).await;
        record_outcome(&data, row_id, 1, activity_id.as_str(), outcome).await
    });
    match tokio::time::timeout(PROCESSING_BUDGET, task).await {
        Ok(Ok(outcome)) => Ok(outcome),
        _ => Ok(Received::Stored),
    }
}

/// The actor `actor_id` (from our cache, fetched when unknown, refetched
/// once when the key is not the one we know: keys rotate), after checking
/// that `params` is signed with its key. Shared by the inboxes and by
/// authorized fetch.
pub(crate) async fn verified_signer(
    data: &activitypub_federation::config::Data<Context>,
    actor_id: Url,
    params: &signature::SignatureParams,
    parts: &RequestParts<'_>,
) -> Result<RemoteActorObject, FederationError> {
    let object_id = ObjectId::<RemoteActorObject>::from(actor_id.clone());
    let mut actor = object_id.dereference(data).await?;
    if actor.row.public_key_id != params.key_id {
        actor = object_id.dereference_forced(data).await?;
    }
    if actor.row.public_key_id != params.key_id {
        return Err(FederationError::Unauthorized(format!(
            "the key {} does not belong to the actor {actor_id}",
            params.key_id
        )));
    }
    signature::verify_on_pool(params, parts, &actor.row.public_key_pem).await?;
    Ok(actor)
}

/// Everything about an activity that can be judged without I/O beyond our
/// own database: refused here, it is never stored.
async fn precheck(
    ctx: &Context,
    kind: &str,
    activity: &Value,
    actor: &RemoteActorObject,
) -> Result<(), FederationError> {
    let object = activity.get("object");
    match kind {
        "Create" | "Update" | "Delete" | "Announce" | "Like" => crate::receive_content::precheck(kind, activity, actor),
        "Follow" => local_actor(ctx, object).await.map(|_| ()),
        "Flag" => crate::moderation::precheck_flag(activity),
        "Undo" if object.and_then(|o| o.get("type")).and_then(Value::as_str) == Some("Follow") => {
            if id_of(object.and_then(|o| o.get("actor"))).is_some_and(|a| a != actor.row.ap_id) {
                return Err(FederationError::Unauthorized("an actor can only undo its own Follow".into()));
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Records how processing ended: done, refused for good, or to be retried
/// (a passing failure, while attempts remain).
async fn record_outcome(
    ctx: &Context,
    row_id: i64,
    attempts: i32,
    activity_id: &str,
    outcome: Result<Received, FederationError>,
) -> Received {
    let recorded = match &outcome {
        Ok(_) => ctx.db.received_done(row_id).await,
        Err(error) if is_passing(error) && attempts < i32::try_from(ctx.config.inbox.max_attempts).unwrap_or(5) => {
            let delay = 60_i64.saturating_mul(1 << attempts.clamp(0, 20));
            tracing::info!(%error, activity = activity_id, attempts, "processing failed; will retry");
            ctx.db.received_retry(row_id, &error.to_string(), delay).await
        }
        Err(error) => {
            tracing::info!(%error, activity = activity_id, "activity not processed");
            ctx.db.received_failed(row_id, &error.to_string()).await
        }
    };
    if let Err(error) = recorded {
        // The lease ends and a worker processes it again (idempotently).
        tracing::warn!(%error, activity = activity_id, "cannot record the processing of an activity");
    }
    outcome.unwrap_or(Received::Ignored)
}

/// Processing of one activity, for at most `inbox.processing_timeout_seconds`:
/// an origin that does not answer (or trickles its answer) cannot hold a
/// processing slot longer. Past it, the processing is dropped (it is
/// idempotent) and ends in [`FederationError::TimedOut`], to be retried.
async fn within_deadline(
    ctx: &Context,
    processing: impl std::future::Future<Output = Result<Received, FederationError>>,
) -> Result<Received, FederationError> {
    let seconds = ctx.config.inbox.processing_timeout_seconds;
    tokio::time::timeout(Duration::from_secs(seconds), processing).await.unwrap_or_else(|_| {
        Err(FederationError::TimedOut(format!(
            "processing waited for other servers longer than inbox.processing_timeout_seconds ({seconds} s)"
        )))
    })
}

/// Failures that may pass: our database, a server we had to fetch from, or
/// a processing that had to stop waiting for one.
fn is_passing(error: &FederationError) -> bool {
    use activitypub_federation::error::Error as Lib;
    matches!(
        error,
        FederationError::Database(_)
            | FederationError::TimedOut(_)
            | FederationError::Library(
                Lib::Reqwest(_) | Lib::ReqwestMiddleware(_) | Lib::DomainResolveError(_) | Lib::RequestLimit
            )
    )
}

/// The inbox worker of one process: processes stored activities whose
/// processing did not finish (crash, restart) or waits for a retry, and
/// forgets processed ones after `inbox.retention_days`. Runs until `stop`.
pub async fn run_worker(federation: Federation, mut stop: tokio::sync::watch::Receiver<bool>) {
    let ctx = federation.context().clone();
    let poll = Duration::from_millis(ctx.config.delivery.poll_interval_ms);
    let lease = i64::try_from(ctx.config.inbox.lease_seconds).unwrap_or(i64::MAX);
    let retention = chrono::Duration::days(i64::try_from(ctx.config.inbox.retention_days).unwrap_or(7));
    let mut last_purge: Option<std::time::Instant> = None;
    let fetching = Arc::new(Semaphore::new(FETCHING_AT_ONCE));
    loop {
        if *stop.borrow() {
            break;
        }
        if last_purge.is_none_or(|at| at.elapsed() > Duration::from_secs(3600)) {
            last_purge = Some(std::time::Instant::now());
            match ctx.db.purge_received(maillage_db::UtcTime::from(chrono::Utc::now() - retention)).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(n, "forgot processed activities past their retention"),
                Err(error) => tracing::warn!(%error, "cannot purge processed activities"),
            }
        }
        let claimed = match ctx.db.claim_received(CLAIM_BATCH, lease).await {
            Ok(claimed) => claimed,
            Err(error) => {
                tracing::warn!(%error, "cannot claim stored activities");
                Vec::new()
            }
        };
        if claimed.is_empty() {
            tokio::select! {
                _ = tokio::time::sleep(poll) => {}
                _ = ctx.inbox.woken() => {}
                changed = stop.changed() => if changed.is_err() { break },
            }
            continue;
        }
        process_batch(&federation, claimed, &fetching).await;
    }
}

/// Processes claimed activities in the order received. Consecutive objects
/// created or updated by their own authors are stored in one transaction;
/// the rows that end well are recorded together. An activity that may
/// fetch from another server (a reshare, an object not embedded by its
/// author) is handed to a task of its own with the actor's later activities
/// of the batch, in order, so a slow origin holds back only that actor, and
/// each of them for at most `inbox.processing_timeout_seconds` (then it is
/// retried later). When [`FETCHING_AT_ONCE`] such tasks already run, the
/// actor's activities go back to the queue for a few seconds: the worker
/// never waits for slow origins.
async fn process_batch(federation: &Federation, claimed: Vec<maillage_db::QueuedActivity>, fetching: &Arc<Semaphore>) {
    let data = federation.data();
    let mut actors: HashMap<String, RemoteActorObject> = HashMap::new();
    let mut done = Vec::with_capacity(claimed.len());
    let mut run: Vec<(&maillage_db::QueuedActivity, maillage_db::NewRemoteObject)> = Vec::new();
    let mut deferred: Vec<(String, Vec<Parsed>)> = Vec::new();
    for row in &claimed {
        let (activity, actor) = match parse_stored(&data, row, &mut actors).await {
            Ok(parsed) => parsed,
            Err(error) => {
                record_outcome(&data, row.id, row.attempts, &row.ap_id, Err(error)).await;
                continue;
            }
        };
        if let Some((_, later)) = deferred.iter_mut().find(|(a, _)| *a == row.actor_ap_id) {
            later.push(Parsed { row: row.clone(), activity, actor });
            continue;
        }
        let own_object = crate::receive_content::own_embedded_object(&row.kind, &activity, &actor);
        if let Some(object) = own_object {
            run.push((row, object));
            continue;
        }
        if may_fetch(&row.kind, &activity, &actor) {
            deferred.push((row.actor_ap_id.clone(), vec![Parsed { row: row.clone(), activity, actor }]));
            continue;
        }
        store_run(&data, std::mem::take(&mut run), &mut done).await;
        match process(federation, &data, &row.kind, &activity, &actor).await {
            Ok(_) => done.push(row.id),
            failed => {
                record_outcome(&data, row.id, row.attempts, &row.ap_id, failed).await;
            }
        }
    }
    store_run(&data, run, &mut done).await;
    if let Err(error) = data.db.received_done_many(&done).await {
        // Their leases end and they are processed again (idempotently).
        tracing::warn!(%error, n = done.len(), "cannot record processed activities");
    }
    for (_, activities) in deferred {
        // Never wait for a slot here: the worker goes on with other actors.
        let Ok(slot) = fetching.clone().try_acquire_owned() else {
            let ids: Vec<i64> = activities.iter().map(|p| p.row.id).collect();
            let reason = "every slot for activities that fetch was busy";
            if let Err(error) = data.db.received_postpone(&ids, reason, BUSY_DELAY_SECONDS).await {
                // Their leases end and they are claimed again.
                tracing::warn!(%error, n = ids.len(), "cannot postpone activities");
            }
            continue;
        };
        let federation = federation.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let data = federation.data();
            for Parsed { row, activity, actor } in activities {
                let outcome = within_deadline(&data, process(&federation, &data, &row.kind, &activity, &actor)).await;
                record_outcome(&data, row.id, row.attempts, &row.ap_id, outcome).await;
            }
        });
    }
}

/// When every fetching slot is busy, how long an actor's activities wait
/// before a worker claims them again (not counted as an attempt).
const BUSY_DELAY_SECONDS: i64 = 5;

/// A claimed activity, parsed, with its actor.
struct Parsed {
    row: maillage_db::QueuedActivity,
    activity: Value,
    actor: RemoteActorObject,
}

/// Whether processing may fetch from another server: a reshare, or an
/// object that is not embedded by its own author (refetched from its origin).
fn may_fetch(kind: &str, activity: &Value, actor: &RemoteActorObject) -> bool {
    match kind {
        "Announce" => true,
        "Create" | "Update" => id_of(activity.get("object")) != Some(actor.row.ap_id.as_str()),
        _ => false,
    }
}

/// How many actors' fetching activities the inbox worker processes at once.
const FETCHING_AT_ONCE: usize = 16;

/// Stores a run of objects in one transaction, then does what follows each.
async fn store_run(
    ctx: &Context,
    run: Vec<(&maillage_db::QueuedActivity, maillage_db::NewRemoteObject)>,
    done: &mut Vec<i64>,
) {
    if run.is_empty() {
        return;
    }
    let objects: Vec<_> = run.iter().map(|(_, object)| object.clone()).collect();
    let outcomes = match ctx.db.store_remote_objects(&objects).await {
        Ok(outcomes) => outcomes.into_iter().map(Ok).collect(),
        // One bad object must not hold back the others: one by one, each
        // with its own outcome.
        Err(error) => {
            tracing::warn!(%error, n = run.len(), "storing a batch of objects failed; storing them one by one");
            let mut outcomes = Vec::with_capacity(run.len());
            for (_, object) in &run {
                outcomes.push(ctx.db.store_remote_object(object).await);
            }
            outcomes
        }
    };
    for ((row, object), outcome) in run.iter().zip(outcomes) {
        let outcome = match outcome {
            Ok(outcome) => crate::receive_content::after_store(ctx, object, &row.kind, outcome).await,
            Err(error) => Err(error.into()),
        };
        match outcome {
            Ok(_) => done.push(row.id),
            failed => {
                record_outcome(ctx, row.id, row.attempts, &row.ap_id, failed).await;
            }
        }
    }
}

/// A stored activity and its actor (each actor read once per batch).
async fn parse_stored(
    ctx: &Context,
    row: &maillage_db::QueuedActivity,
    actors: &mut HashMap<String, RemoteActorObject>,
) -> Result<(Value, RemoteActorObject), FederationError> {
    let activity: Value = serde_json::from_str(&row.json)
        .map_err(|e| FederationError::invalid(format!("the stored activity is not JSON: {e}")))?;
    if let Some(actor) = actors.get(&row.actor_ap_id) {
        return Ok((activity, actor.clone()));
    }
    let actor = ctx
        .db
        .remote_actor_by_ap_id(&row.actor_ap_id)
        .await?
        .ok_or_else(|| FederationError::NotFound(format!("the actor {} is gone", row.actor_ap_id)))?;
    if actor.suspended {
        return Err(FederationError::Forbidden(format!("{} is suspended by this instance's moderators", actor.ap_id)));
    }
    let actor = RemoteActorObject::try_from(actor)?;
    actors.insert(row.actor_ap_id.clone(), actor.clone());
    Ok((activity, actor))
}

/// How many stored activities the inbox worker takes at a time.
const CLAIM_BATCH: i64 = 64;

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
        "Flag" => crate::moderation::receive_flag(ctx, activity, actor).await,
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
