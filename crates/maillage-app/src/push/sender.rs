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
use maillage_db::{Database, DbError, QueuedPush, UtcTime};
use maillage_federation::OutgoingClient;
use maillage_federation::web_push::{PushMessage, PushOutcome, Urgency, VapidSigner, send};
use tokio::sync::watch;

use crate::App;
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
pub async fn run(app: App, default_icon: String, mut stop: watch::Receiver<bool>) {
    let db = app.db().clone();
    let config = Arc::new(app.config().clone());
    let client = app.federation().context().client.clone();
    let poll = Duration::from_millis(config.delivery.poll_interval_ms.max(1));
    loop {
        let claimed = match db.claim_pushes(BATCH, LEASE_SECONDS).await {
            Ok(batch) => {
                let n = batch.len();
                if n > 0 {
                    match signer(&app).await {
                        Ok(signer) => {
                            for push in batch {
                                if *stop.borrow() {
                                    break;
                                }
                                if let Err(error) = deliver(&app, &client, &signer, &config, &default_icon, &push).await
                                {
                                    QUEUE_FAILED.warn(&error);
                                }
                            }
                        }
                        // The rows' leases end and they are claimed again.
                        Err(error) => {
                            QUEUE_FAILED.warn(&error);
                        }
                    }
                }
                n
            }
            Err(error) => {
                QUEUE_FAILED.warn(&error);
                0
            }
        };
        if claimed as i64 == BATCH {
            continue;
        }
        tokio::select! {
            biased;
            _ = stop.wait_for(|stopping| *stopping) => return,
            _ = db.push_queued() => {}
            _ = tokio::time::sleep(poll) => {}
        }
    }
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
    let Some(payload) = super::payload::payload(db, push, default_icon).await? else {
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
            let age = UtcTime::now().as_datetime() - push.created_at.as_datetime();
            let give_up = chrono::Duration::hours(config.push.give_up_after_hours as i64);
            if age > give_up {
                tracing::warn!(id = push.id, %endpoint, %error, "push still not sent; given up");
                return db.push_failed(push.id, &error).await;
            }
            SERVICE_UNREACHABLE.warn(&error);
            let next = UtcTime::from(UtcTime::now().as_datetime() + retry_delay(config, push.attempts));
            db.push_retry(push.id, &error, next).await
        }
    }
}

/// Doubling delays from `retry_initial_seconds`, at most `retry_max_seconds`.
fn retry_delay(config: &Config, attempts: i32) -> chrono::Duration {
    let initial = config.push.retry_initial_seconds;
    let seconds = initial.saturating_mul(1u64 << attempts.clamp(0, 30)).min(config.push.retry_max_seconds);
    chrono::Duration::seconds(seconds as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_double_up_to_the_largest_delay() {
        let config = Config::load_with_env(None, Vec::new()).unwrap();
        let delays: Vec<i64> = (0..9).map(|a| retry_delay(&config, a).num_seconds()).collect();
        assert_eq!(delays, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
    }
}
