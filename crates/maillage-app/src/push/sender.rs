//! The push worker of a `maillage serve` process: claims due rows of the
//! push queue (a lease, so that processes sharing a database never send
//! one twice at once, and a crashed worker's rows come back), encrypts and
//! sends each ([`maillage_federation::web_push`]), and records what
//! happened: done once the push service took it (2xx); a subscription the
//! service no longer knows (404, 410) is removed with its queued pushes;
//! 429, 5xx and timeouts are retried with doubling delays up to
//! `push.give_up_after_hours`; any other refusal is given up at once.

use std::sync::Arc;
use std::time::Duration;

use maillage_config::Config;
use maillage_db::{Database, DbError, QueuedPush};
use maillage_federation::OutgoingClient;
use maillage_federation::web_push::{PushMessage, PushOutcome, Urgency, VapidSigner, send};
use tokio::sync::watch;

use crate::App;
use crate::queue_worker::{Backoff, Pace};
use crate::repeated::RepeatedWarning;

/// Pushes one worker claims at once (sent one after the other).
const BATCH: i64 = 20;
/// How long a claimed push stays reserved to one worker: longer than the
/// client's whole-request timeout for each of a batch.
const LEASE_SECONDS: i64 = 300;

static SERVICE_UNREACHABLE: RepeatedWarning =
    RepeatedWarning::new("a push service cannot be reached for now; its messages stay queued");
static QUEUE_FAILED: RepeatedWarning = RepeatedWarning::new("cannot read the push queue");

/// Sends queued pushes until `stop`. `default_icon` is the image of a
/// message whose sender has none.
pub async fn run(app: App, default_icon: String, stop: watch::Receiver<bool>) {
    let config = Arc::new(app.config().clone());
    let client = app.federation().context().client.clone();
    let mut pace = Pace::new(BATCH, Duration::from_millis(config.delivery.poll_interval_ms.max(1)), stop);
    loop {
        let claimed = send_batch(&app, &client, &config, &default_icon, &pace).await;
        if !pace.after(claimed, app.db().push_queued()).await {
            return;
        }
    }
}

/// Claims and sends one batch; how many rows it claimed.
async fn send_batch(app: &App, client: &OutgoingClient, config: &Config, default_icon: &str, pace: &Pace) -> usize {
    let batch = match app.db().claim_pushes(BATCH, LEASE_SECONDS).await {
        Ok(batch) => batch,
        Err(error) => {
            QUEUE_FAILED.warn(&error);
            return 0;
        }
    };
    let claimed = batch.len();
    if claimed == 0 {
        return 0;
    }
    // Without a signer, the rows' leases end and they are claimed again.
    let signer = match signer(app).await {
        Ok(signer) => signer,
        Err(error) => {
            QUEUE_FAILED.warn(&error);
            return claimed;
        }
    };
    for push in batch {
        if !pace.running() {
            break;
        }
        if let Err(error) = deliver(app, client, &signer, config, default_icon, &push).await {
            QUEUE_FAILED.warn(&error);
        }
    }
    claimed
}

async fn signer(app: &App) -> Result<VapidSigner, crate::AppError> {
    let keys = super::vapid_keys(app).await?;
    VapidSigner::new(&keys, app.config().push_contact()).map_err(|e| crate::AppError::Internal(e.to_string()))
}

async fn deliver(
    app: &App,
    client: &OutgoingClient,
    signer: &VapidSigner,
    config: &Config,
    default_icon: &str,
    push: &QueuedPush,
) -> Result<(), crate::AppError> {
    let db = app.db();
    let Some(payload) = super::payload::payload(db, &app.federation().context().urls, push, default_icon).await? else {
        // Nobody to tell, or they no longer hear from the sender.
        db.push_sent(push.id).await?;
        return Ok(());
    };
    let body = serde_json::to_vec(&payload).map_err(|e| crate::AppError::Internal(e.to_string()))?;
    let message = PushMessage {
        endpoint: &push.endpoint,
        p256dh: &push.p256dh,
        auth: &push.auth,
        payload: &body,
        ttl_seconds: config.push.ttl_seconds,
        urgency: Urgency::Normal,
    };
    let outcome = send(client, signer, &message).await;
    Ok(record(db, config, push, outcome).await?)
}

async fn record(db: &Database, config: &Config, push: &QueuedPush, outcome: PushOutcome) -> Result<(), DbError> {
    let endpoint = push.endpoint.split('/').take(3).collect::<Vec<_>>().join("/");
    match outcome {
        PushOutcome::Delivered => {
            tracing::debug!(id = push.id, %endpoint, "push sent");
            db.push_sent(push.id).await
        }
        PushOutcome::Gone(error) => {
            tracing::info!(subscription = push.subscription_id, %endpoint, %error, "push subscription gone; removed");
            db.remove_push_subscription(push.subscription_id).await
        }
        PushOutcome::Refused(error) => {
            tracing::warn!(id = push.id, %endpoint, %error, "push refused for good; given up");
            db.push_failed(push.id, &error).await
        }
        PushOutcome::Retry(error) => {
            let Some(next) = backoff(config).next_attempt(push.attempts, push.created_at) else {
                tracing::warn!(id = push.id, %endpoint, %error, "push still not sent; given up");
                return db.push_failed(push.id, &error).await;
            };
            SERVICE_UNREACHABLE.warn(&error);
            db.push_retry(push.id, &error, next).await
        }
    }
}

fn backoff(config: &Config) -> Backoff {
    let push = &config.push;
    Backoff {
        initial_seconds: push.retry_initial_seconds,
        max_seconds: push.retry_max_seconds,
        give_up_after_hours: push.give_up_after_hours,
    }
}
