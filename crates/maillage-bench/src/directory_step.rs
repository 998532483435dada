//! Step 6, the network directory: hub B follows hub A, whose 5,000
//! enterprises never posted (a tenth with --quick), and reads A's
//! `members` by itself once A accepts. Measures the time until B lists
//! them all, the rate of B's requests to A, B's memory, and how B answers
//! its own users meanwhile (reading runs beside everything else).

use std::path::Path;
use std::time::{Duration, Instant};

use maillage_db::Database;
use maillage_db::testing::TestDatabase;

use crate::report::Report;
use crate::server::{Server, cli, free_port, instance_env};

async fn connect(url: &str) -> anyhow::Result<Database> {
    Ok(Database::connect(&maillage_config::DatabaseConfig {
        url: url.to_string(),
        max_connections: 2,
        connect_timeout_seconds: 5,
    })
    .await?)
}

/// Latencies of `GET url`, one request every 50 ms, until `done` completes.
async fn probe_while<F: std::future::Future<Output = anyhow::Result<()>>>(
    url: &str,
    done: F,
) -> anyhow::Result<Vec<Duration>> {
    let http = reqwest::Client::new();
    let mut samples = Vec::new();
    tokio::pin!(done);
    loop {
        tokio::select! {
            finished = &mut done => { finished?; return Ok(samples) }
            () = tokio::time::sleep(Duration::from_millis(50)) => {
                let started = Instant::now();
                let response = http.get(url).send().await?;
                anyhow::ensure!(response.status().is_success(), "GET {url} answered {}", response.status());
                response.bytes().await?;
                samples.push(started.elapsed());
            }
        }
    }
}

fn percentile_ms(samples: &mut [Duration], p: f64) -> f64 {
    samples.sort();
    samples.get(((samples.len().max(1) - 1) as f64 * p) as usize).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

pub async fn run(report: &mut Report, binary: &Path, scale: f64) -> anyhow::Result<()> {
    eprintln!("step 6: the network directory");
    let count = ((5000.0 * scale) as usize).max(100);
    // A: a hub with `count` enterprises, none of which ever posted.
    let a_database = TestDatabase::create_sqlite().map_err(anyhow::Error::msg)?;
    let a_port = free_port()?;
    let a = Server::start(binary, &instance_env(a_port, a_database.url(), &[]), a_port).await?;
    let a_db = connect(a_database.url()).await?;
    let keys = maillage_federation::crypto::generate_key_pair()?;
    let profile = maillage_domain::EnterpriseProfile {
        name_fr: Some("Coopérative du banc d'essai".into()),
        region: Some("estrie".into()),
        ..Default::default()
    };
    a_db.bench_seed_enterprises(
        count as i64,
        "e",
        &format!("http://localhost:{a_port}"),
        (&keys.0, &keys.1),
        &serde_json::to_string(&profile)?,
    )
    .await?;

    // B: unpaced here (at most 1,000 requests a second) to measure what it
    // can do; a hub's default pace is 20 a second.
    let b_database = TestDatabase::create_sqlite().map_err(anyhow::Error::msg)?;
    let b_port = free_port()?;
    let b_env = instance_env(
        b_port,
        b_database.url(),
        &[
            ("MAILLAGE__DIRECTORY__SYNC_REQUESTS_PER_SECOND", "1000".to_string()),
            // The probe asks 20 times a second, from one address.
            ("MAILLAGE__LIMITS__API_PER_5_MINUTES", "1000000".to_string()),
        ],
    );
    let mut b = Server::start(binary, &b_env, b_port).await?;
    let b_db = connect(b_database.url()).await?;
    let probe_url = format!("http://127.0.0.1:{b_port}/api/v1/timelines/public?local=true");
    let mut idle = probe_while(&probe_url, async {
        tokio::time::sleep(Duration::from_secs(3)).await;
        Ok(())
    })
    .await?;
    let rss_before = b.rss_mib()?;

    let started = Instant::now();
    cli(binary, &b_env, &["admin", "follow", "--as", "hub", &format!("http://localhost:{a_port}/actors/hub")], "")?;
    let mut peak_rss = rss_before;
    let pid = b.pid();
    let read = async {
        let deadline = Instant::now() + Duration::from_secs(1800);
        loop {
            if let Some(kib) = crate::server::rss_kib(pid) {
                peak_rss = peak_rss.max(kib as f64 / 1024.0);
            }
            let schedule = b_db.hub_syncs().await?;
            if let Some((_, sync)) = schedule.first()
                && sync.last_synced_at.is_some()
            {
                return Ok(());
            }
            anyhow::ensure!(Instant::now() < deadline, "B did not finish reading A's members in 30 minutes");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    };
    let mut during = probe_while(&probe_url, read).await?;
    let elapsed = started.elapsed().as_secs_f64();
    let listed = b_db.listed_remote_enterprises(50_000, 50_000).await?.len();
    anyhow::ensure!(listed == count, "B lists {listed} of A's {count} enterprises");
    let page_size = usize::try_from(maillage_federation::PAGE_SIZE)?;
    let requests = (2 + count.div_ceil(page_size) + count) as f64;

    report.figure("directory", &format!("time until B lists A's {count} enterprises (unpaced)"), elapsed, "s");
    report.figure("directory", "B's requests to A per second (unpaced)", requests / elapsed, "req/s");
    report.figure(
        "directory",
        &format!("time for {count} enterprises at the default pace (20 req/s), computed"),
        requests / 20.0,
        "s",
    );
    report.figure("directory", "B's RSS before following A", rss_before, "MiB");
    report.figure("directory", "B's peak RSS while reading A's members", peak_rss, "MiB");
    report.at_most_growth(
        "directory: B's memory while reading a hub",
        peak_rss - rss_before,
        32.0,
        "MiB",
        "peak RSS while reading − RSS before: only ids are held, each enterprise is written as it is read",
    );
    let (idle_p99, during_p99) = (percentile_ms(&mut idle, 0.99), percentile_ms(&mut during, 0.99));
    report.figure("directory", "B's public timeline p99, idle", idle_p99, "ms");
    report.figure("directory", "B's public timeline p99, while reading A", during_p99, "ms");
    report.at_most(
        "directory: B's public timeline p99 while reading a hub",
        during_p99,
        50.0,
        "ms",
        "GET /api/v1/timelines/public?local=true every 50 ms on B while it reads A's members",
    );
    b.stop();
    a.stop();
    Ok(())
}
