//! Receiving activities: `POST /inbox` (shared) and `POST /actors/{name}/inbox`.
//!
//! Order of checks, cheapest first: content type, JSON shape, the HTTP
//! signature's structure (signed headers, Digest against the body, date
//! window), the sender's server against the domain policies, the
//! activity's actor (from our cache, fetched when unknown), the key
//! belonging to that actor, the RSA signature itself, then the activity's
//! own shape (`inbound::verify`: everything that can be judged without I/O).
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
//! ignored. What each activity is and its check are in `crate::inbound`;
//! its effect is the use-case layer's (`inbound::Effects`).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use activitypub_federation::fetch::object_id::ObjectId;
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, header};
use serde_json::Value;
use tokio::sync::Semaphore;
use url::Url;

use crate::context::{Context, Federation};
use crate::error::FederationError;
use crate::inbound::activity::{activity_type, parse_url};
use crate::inbound::{self, EmbeddedObject, Inbound, Received};
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

    let kind = activity_type(&activity)?;
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
    if Inbound::parse(kind, &activity, actor_id.as_str()) == Inbound::ActorDelete
        && data.db.remote_actor_by_ap_id(actor_id.as_str()).await?.is_none()
    {
        return Ok(Received::Ignored);
    }

    let actor = verified_signer(&data, actor_id.clone(), &params, &parts).await?;
    if actor.row.suspended {
        return Err(FederationError::Forbidden(format!("{actor_id} is suspended by this instance's moderators")));
    }
    // What it is, now that we know who sent it (the actor's document may
    // give its id otherwise than the activity did).
    let inbound = Inbound::parse(kind, &activity, &actor.row.ap_id);
    inbound::verify(&data, &inbound, &actor).await?;

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
        let outcome = within_deadline(&data, data.effects.apply(&federation, &inbound, &actor.row)).await;
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
    let mut run: Vec<(&maillage_db::QueuedActivity, EmbeddedObject)> = Vec::new();
    let mut deferred: Vec<(String, Vec<Parsed>)> = Vec::new();
    for row in &claimed {
        let (inbound, actor) = match parse_stored(&data, row, &mut actors).await {
            Ok(parsed) => parsed,
            Err(error) => {
                record_outcome(&data, row.id, row.attempts, &row.ap_id, Err(error)).await;
                continue;
            }
        };
        if let Some((_, later)) = deferred.iter_mut().find(|(a, _)| *a == row.actor_ap_id) {
            later.push(Parsed { row: row.clone(), inbound, actor });
            continue;
        }
        if let Inbound::ObjectChange(change) = &inbound
            && let Some(object) = inbound::own_embedded_object(change, &actor.row)
        {
            run.push((row, EmbeddedObject { object, edit: change.edit }));
            continue;
        }
        if inbound.may_fetch() {
            deferred.push((row.actor_ap_id.clone(), vec![Parsed { row: row.clone(), inbound, actor }]));
            continue;
        }
        store_run(federation, std::mem::take(&mut run), &mut done).await;
        match data.effects.apply(federation, &inbound, &actor.row).await {
            Ok(_) => done.push(row.id),
            failed => {
                record_outcome(&data, row.id, row.attempts, &row.ap_id, failed).await;
            }
        }
    }
    store_run(federation, run, &mut done).await;
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
            for Parsed { row, inbound, actor } in activities {
                let outcome = within_deadline(&data, data.effects.apply(&federation, &inbound, &actor.row)).await;
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
    inbound: Inbound,
    actor: RemoteActorObject,
}

/// How many actors' fetching activities the inbox worker processes at once.
const FETCHING_AT_ONCE: usize = 16;

/// Stores a run of objects their authors sent embedded (together, by the
/// effects), and records how each ended.
async fn store_run(
    federation: &Federation,
    run: Vec<(&maillage_db::QueuedActivity, EmbeddedObject)>,
    done: &mut Vec<i64>,
) {
    if run.is_empty() {
        return;
    }
    let ctx = federation.context();
    let (rows, objects): (Vec<_>, Vec<_>) = run.into_iter().unzip();
    let outcomes = ctx.effects.store_objects(federation, &objects).await;
    for (row, outcome) in rows.into_iter().zip(outcomes) {
        match outcome {
            Ok(_) => done.push(row.id),
            failed => {
                record_outcome(ctx, row.id, row.attempts, &row.ap_id, failed).await;
            }
        }
    }
}

/// A stored activity, parsed, and its actor (each actor read once per batch).
async fn parse_stored(
    ctx: &Context,
    row: &maillage_db::QueuedActivity,
    actors: &mut HashMap<String, RemoteActorObject>,
) -> Result<(Inbound, RemoteActorObject), FederationError> {
    let activity: Value = serde_json::from_str(&row.json)
        .map_err(|e| FederationError::invalid(format!("the stored activity is not JSON: {e}")))?;
    if let Some(actor) = actors.get(&row.actor_ap_id) {
        return Ok((Inbound::parse(&row.kind, &activity, &actor.row.ap_id), actor.clone()));
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
    Ok((Inbound::parse(&row.kind, &activity, &actor.row.ap_id), actor))
}

/// How many stored activities the inbox worker takes at a time.
const CLAIM_BATCH: i64 = 64;

/// The HTTP answer to an inbox POST: 202 when stored, else the error's status.
pub fn status_of(result: &Result<Received, FederationError>) -> StatusCode {
    match result {
        Ok(_) => StatusCode::ACCEPTED,
        Err(e) => e.status(),
    }
}
