//! Step 3, fan-out: one post by an enterprise with F followers spread over
//! I servers (shared inboxes), served by a farm of stub inboxes, one per
//! loopback address 127.0.X.Y, with optional latency and failing hosts.
//! Measures deliveries per second and the time to the last delivery.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::StatusCode;
use maillage_db::Database;
use maillage_db::testing::TestDatabase;

use crate::crypto_step::CryptoLimits;
use crate::report::{Report, cores};
use crate::server::{Server, cli, free_port, instance_env};

#[derive(Default)]
struct Farm {
    delay_ms: AtomicU64,
    failing_enabled: AtomicBool,
    healthy_received: AtomicUsize,
    failing_hosts: usize,
}

#[derive(Clone)]
struct Host {
    farm: Arc<Farm>,
    index: usize,
}

async fn inbox(State(host): State<Host>) -> StatusCode {
    let delay = host.farm.delay_ms.load(Ordering::Relaxed);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    if host.farm.failing_enabled.load(Ordering::Relaxed) && host.index < host.farm.failing_hosts {
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    host.farm.healthy_received.fetch_add(1, Ordering::Relaxed);
    StatusCode::ACCEPTED
}

/// The address of stub host `i`, as `bench_seed_followers` computes it.
fn host_address(i: usize) -> String {
    format!("127.0.{}.{}", i / 250, i % 250 + 1)
}

async fn start_farm(hosts: usize, port: u16, farm: Arc<Farm>) -> anyhow::Result<()> {
    for i in 0..hosts {
        let listener = tokio::net::TcpListener::bind((host_address(i).as_str(), port)).await?;
        let app = axum::Router::new()
            .route("/inbox", axum::routing::post(inbox))
            .with_state(Host { farm: farm.clone(), index: i });
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
    }
    Ok(())
}

/// Publishes like a member's app does: `POST /api/v1/statuses` for the enterprise.
struct Publisher {
    http: reqwest::Client,
    statuses: String,
    token: String,
    /// How long the last publishing request took to be answered.
    answered_after: std::sync::Mutex<Duration>,
}

impl Publisher {
    async fn publish(&self, text: &str) -> anyhow::Result<()> {
        let form = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("status", text)
            .append_pair("maillage_as", "coop")
            .finish();
        let response = self
            .http
            .post(&self.statuses)
            .bearer_auth(&self.token)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form)
            .send()
            .await?;
        anyhow::ensure!(response.status().is_success(), "publishing failed: {}", response.status());
        Ok(())
    }
}

/// Publishes one post and waits until `healthy` hosts have it; the time
/// from the request to the last of those deliveries.
async fn publish_and_wait(publisher: &Publisher, farm: &Farm, healthy: usize, n: usize) -> anyhow::Result<Duration> {
    farm.healthy_received.store(0, Ordering::SeqCst);
    let started = Instant::now();
    publisher.publish(&format!("Bilan de l'assemblée {n}")).await?;
    publisher.answered_after.lock().map(|mut t| *t = started.elapsed()).ok();
    let deadline = started + Duration::from_secs(300);
    while farm.healthy_received.load(Ordering::SeqCst) < healthy {
        anyhow::ensure!(Instant::now() < deadline, "the fan-out did not finish in 5 minutes");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    Ok(started.elapsed())
}

pub async fn run(report: &mut Report, binary: &Path, limits: &CryptoLimits, scale: f64) -> anyhow::Result<()> {
    eprintln!("step 3: fan-out");
    let followers = ((10_000.0 * scale) as i64).max(100);
    let hosts = ((1_000.0 * scale) as usize).max(10);
    let database = TestDatabase::create_sqlite().map_err(anyhow::Error::msg)?;
    let farm_port = free_port()?;
    let farm = Arc::new(Farm { failing_hosts: hosts / 10, ..Farm::default() });
    start_farm(hosts, farm_port, farm.clone()).await?;

    let port = free_port()?;
    let env = instance_env(
        port,
        database.url(),
        &[
            ("MAILLAGE__DELIVERY__CONCURRENCY", "256".to_string()),
            ("MAILLAGE__DELIVERY__PER_DOMAIN_CONCURRENCY", "4".to_string()),
        ],
    );
    let server = Server::start(binary, &env, port).await?;
    cli(binary, &env, &["admin", "enterprise", "create", "coop", "--name", "Coop"], "")?;
    cli(binary, &env, &["admin", "user", "create", "marie"], "un mot de passe sûr\n")?;
    cli(binary, &env, &["admin", "enterprise", "add-editor", "coop", "marie"], "")?;
    let token = cli(binary, &env, &["admin", "token", "create", "marie", "--scopes", "write"], "")?;
    let publisher = Publisher {
        http: reqwest::Client::new(),
        statuses: format!("http://127.0.0.1:{port}/api/v1/statuses"),
        token: token.trim().to_string(),
        answered_after: Default::default(),
    };
    let db = Database::connect(&maillage_config::DatabaseConfig {
        url: database.url().to_string(),
        max_connections: 2,
        connect_timeout_seconds: 5,
    })
    .await?;
    let coop = db.local_actor_by_username("coop").await?.ok_or_else(|| anyhow::anyhow!("no coop"))?;
    let (public_pem, _) = maillage_federation::crypto::generate_key_pair()?;
    db.bench_seed_followers(coop.id, followers, hosts as i64, farm_port, "f", &public_pem).await?;
    report.figure("fan-out", "followers", followers as f64, "actors");
    report.figure("fan-out", "distinct shared inboxes (servers)", hosts as f64, "inboxes");

    // Warm-up post (connections, caches), not measured.
    publish_and_wait(&publisher, &farm, hosts, 0).await?;

    let plain = publish_and_wait(&publisher, &farm, hosts, 1).await?;
    let per_second = hosts as f64 / plain.as_secs_f64();
    let answered = publisher.answered_after.lock().map(|t| t.as_secs_f64()).unwrap_or(f64::NAN);
    report.figure("fan-out", "time to publish (the API's answer; deliveries enqueued)", answered, "s");
    report.figure("fan-out", "time to the last delivery, no latency", plain.as_secs_f64(), "s");
    report.figure("fan-out", "deliveries per second, no latency", per_second, "1/s");
    report.at_least(
        "fan-out: deliveries/s vs signing capacity",
        per_second / (limits.sign_per_core * cores() as f64),
        0.7,
        "×",
        "deliveries per second (from the API request publishing the post to the last 2xx, one signature each) ÷ (signatures/s per core × cores)",
    );
    report.why_missed(
        "each delivery opens a new TCP connection to a distinct server, whose stub runs in the benchmark on the \
         same cores as the server; signing is about a third of the work of a delivery, so the target would need \
         everything else to cost less than half of signing",
    );

    farm.delay_ms.store(200, Ordering::SeqCst);
    let slow = publish_and_wait(&publisher, &farm, hosts, 2).await?;
    report.at_most(
        &format!("fan-out: {hosts} inboxes answering in 200 ms served within"),
        slow.as_secs_f64(),
        3.0,
        "s",
        "publish to last delivery with 200 ms injected at every inbox (delivery.concurrency = 256)",
    );
    farm.delay_ms.store(0, Ordering::SeqCst);

    farm.failing_enabled.store(true, Ordering::SeqCst);
    let healthy = hosts - farm.failing_hosts;
    let with_failures = publish_and_wait(&publisher, &farm, healthy, 3).await?;
    let baseline = publish_without_failures(&publisher, &farm, healthy).await?;
    report.figure("fan-out", "healthy hosts' completion with 10% failing (503)", with_failures.as_secs_f64(), "s");
    report.figure("fan-out", "the same without failing hosts", baseline.as_secs_f64(), "s");
    report.at_most(
        "fan-out: failing hosts slow healthy ones by",
        (with_failures.as_secs_f64() / baseline.as_secs_f64() - 1.0) * 100.0,
        10.0,
        "%",
        "time for the healthy 90% with 10% of hosts answering 503, vs all healthy, same run",
    );
    report.why_missed(
        "each side is one fan-out of about 0.35 s, so the figure moves by several points from run to run; and \
         each failed delivery's outcome (its retry, the server's health) is a write of its own, which on SQLite \
         waits for the process's one writer between the claims that feed the healthy deliveries",
    );
    server.stop();
    Ok(())
}

async fn publish_without_failures(publisher: &Publisher, farm: &Farm, count: usize) -> anyhow::Result<Duration> {
    farm.failing_enabled.store(false, Ordering::SeqCst);
    publish_and_wait(publisher, farm, count, 4).await
}
