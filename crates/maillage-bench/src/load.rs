//! Our own load generator (replaying pre-signed requests, closed loop or
//! at a fixed rate) and the "ceiling" inbox: HTTP + body limit + Digest +
//! Date + Signature header checks + JSON parsing, but no signature
//! verification and no database. The ceiling runs only inside this
//! benchmark binary (`maillage-bench ceiling-server`); the server has no
//! such mode.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode};

/// One request ready to send.
#[derive(Clone)]
pub struct Prepared {
    pub headers: HeaderMap,
    pub body: Bytes,
}

#[derive(Debug, Default)]
pub struct Outcome {
    pub elapsed: Duration,
    pub statuses: BTreeMap<u16, usize>,
    pub errors: usize,
    /// How long each answered request took, with its status.
    pub latencies: Vec<(Duration, u16)>,
}

impl Outcome {
    pub fn rate(&self) -> f64 {
        let sent: usize = self.statuses.values().sum::<usize>() + self.errors;
        sent as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The `p` quantile of the latency of every request sent, in ms, where
    /// a request not answered `expected` (another status, or no answer at
    /// all) counts as infinitely slow: failing fast is not being fast.
    pub fn percentile_ms(&self, p: f64, expected: u16) -> f64 {
        let mut sorted: Vec<f64> = self
            .latencies
            .iter()
            .map(|(latency, status)| if *status == expected { latency.as_secs_f64() * 1000.0 } else { f64::INFINITY })
            .chain(std::iter::repeat_n(f64::INFINITY, self.errors))
            .collect();
        if sorted.is_empty() {
            return f64::INFINITY;
        }
        sorted.sort_by(f64::total_cmp);
        let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
        sorted[index.min(sorted.len() - 1)]
    }

    pub fn count(&self, status: u16) -> usize {
        self.statuses.get(&status).copied().unwrap_or(0)
    }
}

fn client(concurrency: usize) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder().pool_max_idle_per_host(concurrency).http1_only().build()?)
}

/// Sends every request once, `concurrency` at a time, as fast as answered.
pub async fn closed_loop(url: &str, requests: Arc<Vec<Prepared>>, concurrency: usize) -> anyhow::Result<Outcome> {
    let client = client(concurrency)?;
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (client, next, requests, url) = (client.clone(), next.clone(), requests.clone(), url.to_string());
        workers.spawn(async move {
            let mut outcome = Outcome::default();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(request) = requests.get(i) else { break };
                send(&client, &url, request, &mut outcome).await;
            }
            outcome
        });
    }
    let mut total = Outcome::default();
    while let Some(part) = workers.join_next().await {
        merge(&mut total, part?);
    }
    total.elapsed = started.elapsed();
    Ok(total)
}

/// Sends the requests at `rate` per second (open loop: a slow answer does
/// not slow the sending), to measure latency under a given load.
pub async fn paced(url: &str, requests: Arc<Vec<Prepared>>, rate: f64) -> anyhow::Result<Outcome> {
    let client = client(256)?;
    let in_flight = Arc::new(tokio::sync::Semaphore::new(1024));
    let interval = Duration::from_secs_f64(1.0 / rate.max(1.0));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..requests.len() {
        let due = started + interval.mul_f64(i as f64);
        tokio::time::sleep_until(due.into()).await;
        let permit = in_flight.clone().acquire_owned().await?;
        let (client, requests, url) = (client.clone(), requests.clone(), url.to_string());
        tasks.spawn(async move {
            let mut outcome = Outcome::default();
            send(&client, &url, &requests[i], &mut outcome).await;
            drop(permit);
            outcome
        });
    }
    let mut total = Outcome::default();
    while let Some(part) = tasks.join_next().await {
        merge(&mut total, part?);
    }
    total.elapsed = started.elapsed();
    Ok(total)
}

async fn send(client: &reqwest::Client, url: &str, request: &Prepared, outcome: &mut Outcome) {
    let started = Instant::now();
    let post = || client.post(url).headers(request.headers.clone()).body(request.body.clone()).send();
    // A server that refused a body too big closes that connection; a pooled
    // request racing with the close fails to send and is sent again, as a
    // real peer's retry would.
    let mut sent = post().await;
    for _ in 0..2 {
        if sent.is_ok() {
            break;
        }
        sent = post().await;
    }
    match sent {
        Ok(response) => {
            let status = response.status().as_u16();
            let _ = response.bytes().await;
            outcome.latencies.push((started.elapsed(), status));
            *outcome.statuses.entry(status).or_default() += 1;
        }
        Err(_) => outcome.errors += 1,
    }
}

fn merge(total: &mut Outcome, part: Outcome) {
    for (status, n) in part.statuses {
        *total.statuses.entry(status).or_default() += n;
    }
    total.errors += part.errors;
    total.latencies.extend(part.latencies);
}

/// The ceiling inbox: everything an inbox does before the RSA verification
/// and the database.
async fn ceiling_inbox(headers: HeaderMap, body: Bytes) -> StatusCode {
    let parts = maillage_federation::signature::RequestParts {
        method: &Method::POST,
        path_and_query: "/inbox",
        headers: &headers,
        body: Some(&body),
    };
    if maillage_federation::signature::parse_and_check(&parts, SystemTime::now()).is_err() {
        return StatusCode::UNAUTHORIZED;
    }
    match serde_json::from_slice::<serde_json::Value>(&body) {
        Ok(value) if value.get("id").is_some() => StatusCode::ACCEPTED,
        _ => StatusCode::BAD_REQUEST,
    }
}

/// `maillage-bench ceiling-server --port P`: serves the ceiling inbox.
pub async fn serve_ceiling(port: u16) -> anyhow::Result<()> {
    let app = axum::Router::new()
        .route("/inbox", axum::routing::post(ceiling_inbox))
        .layer(axum::extract::DefaultBodyLimit::max(1024 * 1024));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    axum::serve(listener, app).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(answers: &[(u64, u16)], errors: usize) -> Outcome {
        Outcome {
            latencies: answers.iter().map(|(ms, status)| (Duration::from_millis(*ms), *status)).collect(),
            errors,
            ..Outcome::default()
        }
    }

    #[test]
    fn percentiles_count_wrong_answers_and_no_answer_as_infinitely_slow() {
        let mut answers: Vec<(u64, u16)> = (1..=100).map(|ms| (ms, 202)).collect();
        assert_eq!(outcome(&answers, 0).percentile_ms(0.99, 202), 99.0);
        // The two fastest were refused: 2% of answers are not what was asked.
        answers[0].1 = 500;
        answers[1].1 = 429;
        assert!(outcome(&answers, 0).percentile_ms(0.99, 202).is_infinite(), "a fast refusal is not fast");
        assert_eq!(outcome(&answers, 0).percentile_ms(0.5, 202), 53.0);
        answers[1].1 = 202;
        assert!(outcome(&answers, 1).percentile_ms(0.99, 202).is_infinite(), "no answer is not fast");
        assert!(outcome(&[], 0).percentile_ms(0.5, 202).is_infinite(), "nothing measured");
    }
}
