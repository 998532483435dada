//! The delivery worker: drains the durable outbox.
//!
//! Every `maillage serve` process runs one. It claims due deliveries with a
//! lease, signs each POST the way Mastodon expects (`(request-target) host
//! date digest`, rsa-sha256) and records the outcome: done after a 2xx;
//! failed for good after a 4xx other than 401, 408 and 429 (Mastodon's rule)
//! or once a delivery is older than `delivery.give_up_after_hours`; retried
//! otherwise, after a delay that doubles from `retry_initial_seconds` up to
//! `retry_max_seconds`. Nothing is lost on a crash: a claimed delivery whose
//! worker died comes back when its lease ends.
//!
//! Per server: at most `per_domain_concurrency` deliveries in flight in one
//! process (a slow server never takes every slot), and a circuit breaker: a
//! server failing for `unreachable_after_seconds` is marked unreachable and
//! its deliveries are parked (left in the queue, not attempted) except for
//! a probe every `probe_interval_seconds`; the first answer closes the
//! breaker. Blocked servers (and, in allow-list mode, servers not allowed)
//! get nothing: their deliveries are recorded as failed. So do inboxes that
//! break the SSRF rules (`remote_url`), checked again before each POST: a
//! row stored before a rule existed is never sent, and never retried.
//!
//! The worker is a pipeline: it claims new deliveries as soon as slots
//! free up, so one slow delivery never holds back the others.
//!
//! We sign and send ourselves rather than through the library's
//! `SendActivityTask::sign_and_send`, because that call reports a refused
//! delivery (any 4xx, 401 included) as a success and so hides the status we
//! must record and retry on.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use axum::http::Method;
use maillage_config::DeliveryConfig;
use maillage_db::{BreakerState, ClaimedDelivery, UtcTime};
use tokio::sync::{mpsc, oneshot, watch};
use url::Url;

use crate::context::Context;
use crate::remote_body::{MAX_ERROR_BODY_BYTES, excerpt, excerpt_bytes, read_prefix};
use crate::remote_url::address_refusal;
use crate::signature;
use crate::urls::Urls;

/// How one attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    Delivered(u16),
    Refused(u16, String),
    Failed(Option<u16>, String),
    /// Never sent: the inbox's address breaks the SSRF rules (for good).
    AddressRefused(String),
}

/// Whether a status means "try again later".
pub fn is_retryable(status: u16) -> bool {
    !(400..500).contains(&status) || matches!(status, 401 | 408 | 429)
}

/// The delay before attempt number `attempts + 1`.
pub fn backoff(settings: &DeliveryConfig, attempts: i32) -> Duration {
    let exponent = u32::try_from(attempts.clamp(0, 30)).unwrap_or(30);
    let delay = settings.retry_initial_seconds.saturating_mul(2u64.saturating_pow(exponent));
    Duration::from_secs(delay.min(settings.retry_max_seconds))
}

/// Deliveries in flight per server, in this process.
#[derive(Clone, Default)]
struct InFlight(Arc<Mutex<HashMap<String, usize>>>);

impl InFlight {
    fn count(&self, domain: &str) -> usize {
        self.0.lock().map(|m| m.get(domain).copied().unwrap_or(0)).unwrap_or(0)
    }

    fn saturated(&self, limit: usize) -> Vec<String> {
        self.0
            .lock()
            .map(|m| m.iter().filter(|(_, n)| **n >= limit).map(|(d, _)| d.clone()).collect())
            .unwrap_or_default()
    }

    fn add(&self, domain: &str) {
        if let Ok(mut map) = self.0.lock() {
            *map.entry(domain.to_string()).or_default() += 1;
        }
    }

    fn remove(&self, domain: &str) {
        if let Ok(mut map) = self.0.lock()
            && let Some(n) = map.get_mut(domain)
        {
            *n = n.saturating_sub(1);
            if *n == 0 {
                map.remove(domain);
            }
        }
    }
}

/// Servers with failures on record (as last read, plus this process's own
/// failures since): only their successes need writing down.
/// Servers this process has just found unreachable are parked at once,
/// before the next read of the health table.
#[derive(Clone, Default)]
struct Unhealthy(Arc<Mutex<(std::collections::HashSet<String>, Vec<String>)>>);

impl Unhealthy {
    fn contains(&self, domain: &str) -> bool {
        self.0.lock().map(|sets| sets.0.contains(domain)).unwrap_or(true)
    }

    fn add(&self, domain: &str) {
        if let Ok(mut sets) = self.0.lock() {
            sets.0.insert(domain.to_string());
        }
    }

    fn park(&self, domain: &str) {
        if let Ok(mut sets) = self.0.lock()
            && !sets.1.iter().any(|d| d == domain)
        {
            sets.1.push(domain.to_string());
        }
    }

    fn parked_since_refresh(&self) -> Vec<String> {
        self.0.lock().map(|sets| sets.1.clone()).unwrap_or_default()
    }

    fn replace(&self, domains: impl Iterator<Item = String>) {
        if let Ok(mut sets) = self.0.lock() {
            *sets = (domains.collect(), Vec::new());
        }
    }
}

/// Records deliveries done in group commits: each delivery waits for the
/// commit that holds its outcome (so a crash resends at most the deliveries
/// in flight), and deliveries finishing together share one.
#[derive(Clone)]
struct DoneRecorder(mpsc::UnboundedSender<((i64, i32), DoneAck)>);

/// Answers a delivery once the commit holding its outcome is done (or failed).
type DoneAck = oneshot::Sender<Result<(), String>>;

impl DoneRecorder {
    fn start(db: maillage_db::Database) -> (Self, tokio::task::JoinHandle<()>) {
        let (sender, mut done) = mpsc::unbounded_channel::<((i64, i32), DoneAck)>();
        let task = tokio::spawn(async move {
            let mut batch = Vec::new();
            while done.recv_many(&mut batch, 512).await > 0 {
                let (rows, acks): (Vec<_>, Vec<_>) = std::mem::take(&mut batch).into_iter().unzip();
                let outcome = db.deliveries_done(&rows).await.map_err(|e| e.to_string());
                for ack in acks {
                    let _ = ack.send(outcome.clone());
                }
            }
        });
        (DoneRecorder(sender), task)
    }

    async fn record(&self, id: i64, status: u16) -> Result<(), String> {
        let (ack, acked) = oneshot::channel();
        self.0.send(((id, i32::from(status)), ack)).map_err(|_| "the recorder has stopped".to_string())?;
        acked.await.map_err(|_| "the recorder has stopped".to_string())?
    }
}

/// Runs until `stop` turns true, then lets the deliveries in flight finish.
pub async fn run(ctx: Context, mut stop: watch::Receiver<bool>) {
    let settings = ctx.config.delivery.clone();
    let poll = Duration::from_millis(settings.poll_interval_ms);
    let lease = i64::try_from(settings.lease_seconds).unwrap_or(i64::MAX);
    let slots = Arc::new(tokio::sync::Semaphore::new(settings.concurrency));
    let in_flight = InFlight::default();
    let mut tasks = tokio::task::JoinSet::new();
    let mut parked: (Option<Instant>, Vec<String>) = (None, Vec::new());
    let unhealthy = Unhealthy::default();
    let (recorder, recording) = DoneRecorder::start(ctx.db.clone());
    tracing::info!(concurrency = settings.concurrency, "delivery worker started");
    loop {
        if *stop.borrow() {
            break;
        }
        while tasks.try_join_next().is_some() {}
        let free = slots.available_permits();
        if free == 0 {
            tokio::select! {
                _ = tasks.join_next() => {}
                changed = stop.changed() => if changed.is_err() { break },
            }
            continue;
        }
        if parked.0.is_none_or(|at| at.elapsed() >= poll) {
            match ctx.db.domain_health().await {
                Ok(health) => {
                    let now = UtcTime::now();
                    let domains = health
                        .iter()
                        .filter(|h| h.unreachable_since.is_some() && h.next_probe_at.is_some_and(|at| at > now))
                        .map(|h| h.domain.clone())
                        .collect();
                    unhealthy.replace(health.into_iter().map(|h| h.domain));
                    parked = (Some(Instant::now()), domains);
                }
                Err(error) => tracing::warn!(%error, "cannot read the servers' health"),
            }
        }
        let mut skip = parked.1.clone();
        skip.extend(unhealthy.parked_since_refresh());
        skip.extend(in_flight.saturated(settings.per_domain_concurrency));
        let claimed = match ctx.db.claim_deliveries(i64::try_from(free).unwrap_or(1), lease, &skip).await {
            Ok(claimed) => claimed,
            Err(error) => {
                tracing::warn!(%error, "cannot claim deliveries");
                Vec::new()
            }
        };
        if claimed.is_empty() {
            tokio::select! {
                _ = tokio::time::sleep(poll) => {}
                _ = ctx.db.deliveries_enqueued() => {}
                Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
                changed = stop.changed() => if changed.is_err() { break },
            }
            continue;
        }
        let mut over_limit = Vec::new();
        for delivery in claimed {
            if in_flight.count(&delivery.domain) >= settings.per_domain_concurrency {
                over_limit.push(delivery.id);
                continue;
            }
            let Ok(permit) = slots.clone().try_acquire_owned() else {
                over_limit.push(delivery.id);
                continue;
            };
            in_flight.add(&delivery.domain);
            let (ctx, in_flight, unhealthy, recorder) =
                (ctx.clone(), in_flight.clone(), unhealthy.clone(), recorder.clone());
            tasks.spawn(async move {
                let domain = delivery.domain.clone();
                deliver_and_record(&ctx, delivery, &unhealthy, &recorder).await;
                in_flight.remove(&domain);
                drop(permit);
            });
        }
        if !over_limit.is_empty()
            && let Err(error) = ctx.db.release_deliveries(&over_limit).await
        {
            tracing::warn!(%error, "cannot give back deliveries (their lease will end)");
        }
    }
    while tasks.join_next().await.is_some() {}
    drop(recorder);
    let _ = recording.await;
    tracing::info!("delivery worker stopped");
}

async fn deliver_and_record(ctx: &Context, delivery: ClaimedDelivery, unhealthy: &Unhealthy, recorder: &DoneRecorder) {
    let settings = &ctx.config.delivery;
    let id = delivery.id;
    if let Some(reason) = ctx.policies.refusal(&delivery.domain).await {
        if let Err(error) = ctx.db.delivery_failed(id, None, &reason).await {
            tracing::warn!(%error, delivery = id, "cannot record a delivery outcome");
        }
        return;
    }
    let attempt = deliver(ctx, &delivery).await;
    record_health(ctx, &delivery.domain, &attempt, unhealthy).await;
    let recorded = match &attempt {
        Attempt::Delivered(status) => recorder.record(id, *status).await.map_err(maillage_db::DbError::Refused),
        Attempt::Refused(status, error) => ctx.db.delivery_failed(id, Some(i32::from(*status)), error).await,
        Attempt::AddressRefused(reason) => ctx.db.delivery_failed(id, None, reason).await,
        Attempt::Failed(status, error) => {
            let age = chrono::Utc::now() - delivery.created_at.as_datetime();
            let status = status.map(i32::from);
            if age > chrono::Duration::hours(i64::try_from(settings.give_up_after_hours).unwrap_or(i64::MAX)) {
                ctx.db.delivery_failed(id, status, &format!("gave up: {error}")).await
            } else {
                let delay = chrono::Duration::from_std(backoff(settings, delivery.attempts))
                    .unwrap_or(chrono::Duration::days(1));
                ctx.db.delivery_retry(id, status, error, UtcTime::from(chrono::Utc::now() + delay)).await
            }
        }
    };
    use crate::metrics::{METRICS, count};
    count(match &attempt {
        Attempt::Delivered(_) => &METRICS.deliveries_sent,
        Attempt::Refused(..) | Attempt::AddressRefused(_) => &METRICS.deliveries_failed,
        Attempt::Failed(..) => &METRICS.deliveries_retried,
    });
    match (&attempt, recorded) {
        (_, Err(error)) => tracing::warn!(%error, delivery = id, "cannot record a delivery outcome"),
        (Attempt::Delivered(_), Ok(())) => tracing::debug!(inbox = %delivery.inbox_url, "delivered"),
        (other, Ok(())) => tracing::info!(inbox = %delivery.inbox_url, outcome = ?other, "delivery not done"),
    }
}

/// Tells the circuit breaker how the server answered.
async fn record_health(ctx: &Context, domain: &str, attempt: &Attempt, unhealthy: &Unhealthy) {
    let settings = &ctx.config.delivery;
    let recorded = match attempt {
        // A server with no failures on record stays so: nothing to write.
        Attempt::Delivered(_) | Attempt::Refused(..) if !unhealthy.contains(domain) => Ok(()),
        // Never sent: says nothing of the server.
        Attempt::AddressRefused(_) => Ok(()),
        // Any answer but a retryable failure means the server is there.
        Attempt::Delivered(_) | Attempt::Refused(..) => match ctx.db.record_domain_success(domain).await {
            Ok(true) => {
                tracing::info!(domain, "server answers again: its deliveries resume");
                Ok(())
            }
            Ok(false) => Ok(()),
            Err(error) => Err(error),
        },
        Attempt::Failed(_, error) => {
            unhealthy.add(domain);
            let after = i64::try_from(settings.unreachable_after_seconds).unwrap_or(i64::MAX);
            let probe = i64::try_from(settings.probe_interval_seconds).unwrap_or(i64::MAX);
            match ctx.db.record_domain_failure(domain, error, after, probe).await {
                Ok(BreakerState::Unreachable) => {
                    unhealthy.park(domain);
                    tracing::info!(domain, "server unreachable: its deliveries are parked until it answers");
                    Ok(())
                }
                Ok(BreakerState::Failing) => Ok(()),
                Err(error) => Err(error),
            }
        }
    };
    if let Err(error) = recorded {
        tracing::warn!(%error, domain, "cannot record a server's health");
    }
}

/// The sender's private key; made now for an imported enterprise whose
/// key pair the background worker has not generated yet.
async fn signing_key(ctx: &Context, delivery: &ClaimedDelivery) -> Result<String, crate::ActorError> {
    if !delivery.actor_private_key_pem.is_empty() {
        return Ok(delivery.actor_private_key_pem.clone());
    }
    let missing = || crate::ActorError::Keys(format!("no local actor {}", delivery.actor_ap_id));
    let url = Url::parse(&delivery.actor_ap_id).map_err(|_| missing())?;
    let Some(Some(name)) = ctx.urls.local_username(&url) else { return Err(missing()) };
    let actor = ctx.db.local_actor_or_tombstone(&name).await?.ok_or_else(missing)?;
    Ok(crate::actors::ensure_keys(&ctx.db, actor).await?.private_key_pem)
}

/// One signed POST of the activity to the inbox.
pub async fn deliver(ctx: &Context, delivery: &ClaimedDelivery) -> Attempt {
    let url = match Url::parse(&delivery.inbox_url) {
        Ok(url) => url,
        Err(_) => return Attempt::Refused(0, format!("not a URL: {}", excerpt(&delivery.inbox_url))),
    };
    let request = match ctx.client.post(url.clone()) {
        Ok(request) => request,
        Err(refusal) => return Attempt::AddressRefused(refusal.to_string()),
    };
    let private_key_pem = match signing_key(ctx, delivery).await {
        Ok(key) => key,
        Err(error) => return Attempt::Failed(None, format!("cannot sign: {error}")),
    };
    let headers = match signature::sign_on_pool(
        Method::POST,
        url,
        Some(delivery.activity_json.clone().into_bytes()),
        Urls::key_id(&delivery.actor_ap_id),
        private_key_pem,
        SystemTime::now(),
    )
    .await
    {
        Ok(headers) => headers,
        Err(error) => return Attempt::Failed(None, format!("cannot sign: {error}")),
    };
    let request = request
        .headers(headers)
        .header("content-type", "application/activity+json")
        .header("accept", "application/activity+json")
        .body(delivery.activity_json.clone());
    match request.send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            if response.status().is_success() {
                Attempt::Delivered(status)
            } else {
                let body = read_prefix(response, MAX_ERROR_BODY_BYTES).await.unwrap_or_default();
                let error = format!("HTTP {status}: {}", excerpt_bytes(&body));
                if is_retryable(status) {
                    Attempt::Failed(Some(status), error)
                } else {
                    Attempt::Refused(status, error)
                }
            }
        }
        Err(error) => match address_refusal(&error) {
            Some(refused) => Attempt::AddressRefused(refused.to_string()),
            None => Attempt::Failed(None, error.to_string()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mastodon_rules_for_retrying() {
        for status in [401, 408, 429, 500, 502, 503] {
            assert!(is_retryable(status), "{status}");
        }
        for status in [400, 403, 404, 410, 422] {
            assert!(!is_retryable(status), "{status}");
        }
    }

    #[test]
    fn backoff_doubles_up_to_the_maximum() {
        let settings = DeliveryConfig {
            concurrency: 1,
            poll_interval_ms: 1,
            lease_seconds: 1,
            retry_initial_seconds: 60,
            retry_max_seconds: 86_400,
            give_up_after_hours: 168,
            per_domain_concurrency: 1,
            unreachable_after_seconds: 1,
            probe_interval_seconds: 1,
        };
        assert_eq!(backoff(&settings, 0), Duration::from_secs(60));
        assert_eq!(backoff(&settings, 1), Duration::from_secs(120));
        assert_eq!(backoff(&settings, 5), Duration::from_secs(1920));
        assert_eq!(backoff(&settings, 11), Duration::from_secs(86_400));
        assert_eq!(backoff(&settings, 1000), Duration::from_secs(86_400));
    }
}
