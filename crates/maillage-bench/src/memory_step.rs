//! Step 5, memory: the server's resident memory idle, with 100,000 local
//! actors stored, and with 100,000 deliveries pending (a tenth with --quick).

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use maillage_db::Database;
use maillage_db::testing::TestDatabase;

use crate::report::Report;
use crate::server::{Server, free_port, instance_env};

/// The server's RSS once settled; an error when it does not answer or has
/// exited (its memory would read as nothing).
async fn settled_rss(server: &mut Server) -> anyhow::Result<f64> {
    tokio::time::sleep(Duration::from_secs(2)).await;
    // Touch the server as a client would, then let it settle.
    for path in ["/healthz", "/api/v1/instance"] {
        let url = format!("http://127.0.0.1:{}{path}", server.port);
        let response = reqwest::get(&url).await.with_context(|| format!("GET {url}"))?;
        anyhow::ensure!(response.status().is_success(), "GET {url} answered {}", response.status());
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    server.rss_mib()
}

pub async fn run(report: &mut Report, binary: &Path, scale: f64) -> anyhow::Result<()> {
    eprintln!("step 5: memory");
    let count = ((100_000.0 * scale) as i64).max(1000);
    let database = TestDatabase::create_sqlite().map_err(anyhow::Error::msg)?;
    let port = free_port()?;
    let env = instance_env(port, database.url(), &[]);

    let mut server = Server::start(binary, &env, port).await?;
    let idle = settled_rss(&mut server).await?;
    report.at_most("memory: idle RSS", idle, 40.0, "MiB", "VmRSS of `maillage serve` on an empty SQLite database");
    server.stop();

    let db = Database::connect(&maillage_config::DatabaseConfig {
        url: database.url().to_string(),
        max_connections: 2,
        connect_timeout_seconds: 5,
    })
    .await?;
    // Half the actors, then all of them: what grows with their number is
    // told apart from what any non-empty database costs once (SQLite's page
    // cache, bounded at 2 MiB per connection, filled by the start's reads).
    let half = count / 2;
    db.bench_seed_local_actors(half, "m").await?;
    let mut server = Server::start(binary, &env, port).await?;
    let with_half = settled_rss(&mut server).await?;
    server.stop();
    db.bench_seed_local_actors(count - half, "n").await?;
    let mut server = Server::start(binary, &env, port).await?;
    let with_actors = settled_rss(&mut server).await?;
    report.figure("memory", &format!("RSS with {half} local actors"), with_half, "MiB");
    report.figure("memory", &format!("RSS with {count} local actors"), with_actors, "MiB");
    report.figure(
        "memory",
        "RSS with the actors − idle RSS, per actor (bounded caches included)",
        (with_actors - idle) * 1024.0 * 1024.0 / count as f64,
        "B",
    );
    report.at_most_growth(
        "memory: idle local actors",
        (with_actors - with_half) * 1024.0 * 1024.0 / (count - half) as f64,
        1.0,
        "B per actor",
        "(RSS with all the actors − RSS with half of them) ÷ the other half: keys and profiles stay in the database",
    );
    report.why_missed(
        "Maillage keeps no actor in memory; the growth is SQLite's page cache (bounded at 2 MiB per \
         connection), filled by the statistics the server reads at start, so it stops at a few MiB",
    );
    server.stop();

    // Deliveries to a server that accepts connections and never answers:
    // the worker holds what it is sending, the rest waits in the database.
    let silent = std::net::TcpListener::bind("127.0.0.1:0")?;
    let silent_port = silent.local_addr()?.port();
    let hub = db.local_actor_by_username("hub").await?.ok_or_else(|| anyhow::anyhow!("the hub actor is missing"))?;
    db.bench_seed_deliveries(hub.id, count, &format!("http://127.0.0.1:{silent_port}/inbox")).await?;
    let mut server = Server::start(binary, &env, port).await?;
    let with_deliveries = settled_rss(&mut server).await?;
    report.figure("memory", &format!("RSS with {count} pending deliveries"), with_deliveries, "MiB");
    report.at_most_growth(
        "memory: per pending delivery",
        (with_deliveries - with_actors) * 1024.0 * 1024.0 / count as f64,
        1024.0,
        "B",
        "(RSS with the deliveries pending − RSS before) ÷ deliveries",
    );
    server.stop();
    drop(silent);
    Ok(())
}
