//! Step 5, memory: the server's resident memory idle, with 100,000 local
//! actors stored, and with 100,000 deliveries pending (a tenth with --quick).

use std::path::Path;
use std::time::Duration;

use maillage_db::Database;
use maillage_db::testing::TestDatabase;

use crate::report::Report;
use crate::server::{Server, free_port, instance_env};

async fn settled_rss(server: &Server) -> f64 {
    tokio::time::sleep(Duration::from_secs(2)).await;
    // Touch the server as a client would, then let it settle.
    let _ = reqwest::get(format!("http://127.0.0.1:{}/healthz", server.port)).await;
    let _ = reqwest::get(format!("http://127.0.0.1:{}/api/v1/instance", server.port)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    server.rss_mib()
}

pub async fn run(report: &mut Report, binary: &Path, scale: f64) -> anyhow::Result<()> {
    eprintln!("step 5: memory");
    let count = ((100_000.0 * scale) as i64).max(1000);
    let database = TestDatabase::create_sqlite().map_err(anyhow::Error::msg)?;
    let port = free_port()?;
    let env = instance_env(port, database.url(), &[]);

    let server = Server::start(binary, &env, port).await?;
    let idle = settled_rss(&server).await;
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
    let server = Server::start(binary, &env, port).await?;
    let with_half = settled_rss(&server).await;
    server.stop();
    db.bench_seed_local_actors(count - half, "n").await?;
    let server = Server::start(binary, &env, port).await?;
    let with_actors = settled_rss(&server).await;
    report.figure("memory", &format!("RSS with {half} local actors"), with_half, "MiB");
    report.figure("memory", &format!("RSS with {count} local actors"), with_actors, "MiB");
    report.figure(
        "memory",
        "RSS with the actors − idle RSS, per actor (bounded caches included)",
        (with_actors - idle).max(0.0) * 1024.0 * 1024.0 / count as f64,
        "B",
    );
    report.at_most(
        "memory: idle local actors",
        (with_actors - with_half).max(0.0) * 1024.0 * 1024.0 / (count - half) as f64,
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
    let server = Server::start(binary, &env, port).await?;
    let with_deliveries = settled_rss(&server).await;
    report.figure("memory", &format!("RSS with {count} pending deliveries"), with_deliveries, "MiB");
    report.at_most(
        "memory: per pending delivery",
        (with_deliveries - with_actors).max(0.0) * 1024.0 * 1024.0 / count as f64,
        1024.0,
        "B",
        "(RSS with the deliveries pending − RSS before) ÷ deliveries",
    );
    server.stop();
    drop(silent);
    Ok(())
}
