//! Step 8, streaming: 1,000 idle WebSockets on the public stream of one
//! process (a tenth with --quick): the memory each costs (RSS before and
//! after), and the time from one public post to its `update` reaching all
//! of them.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context;
use futures_util::StreamExt;
use maillage_db::testing::TestDatabase;
use tokio_tungstenite::tungstenite::Message;

use crate::report::Report;
use crate::server::{Server, cli, free_port, instance_env};

pub async fn run(report: &mut Report, binary: &Path, scale: f64) -> anyhow::Result<()> {
    eprintln!("step 8: streaming");
    let count = ((1000.0 * scale) as usize).max(50);
    let database = TestDatabase::create_sqlite().map_err(anyhow::Error::msg)?;
    let port = free_port()?;
    let extra = [
        ("MAILLAGE__LIMITS__API_PER_5_MINUTES", "1000000000".to_string()),
        ("MAILLAGE__STREAMING__MAX_CONNECTIONS", (count + 10).to_string()),
    ];
    let env = instance_env(port, database.url(), &extra);
    let mut server = Server::start(binary, &env, port).await?;
    cli(binary, &env, &["admin", "user", "create", "bench"], "un mot de passe de banc\n")?;
    let token = cli(binary, &env, &["admin", "token", "create", "bench", "--scopes", "write"], "")?.trim().to_string();

    // Streams and the task that reads the bus exist from the first connection on.
    let url = format!("ws://127.0.0.1:{port}/api/v1/streaming?stream=public");
    let (mut first, _) = tokio_tungstenite::connect_async(&url).await.context("the first stream")?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = server.rss_mib()?;
    let mut sockets = Vec::with_capacity(count);
    for _ in 0..count {
        let (socket, _) = tokio_tungstenite::connect_async(&url).await.context("opening a stream")?;
        sockets.push(socket);
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = server.rss_mib()?;
    report.figure("streaming", &format!("RSS with {count} idle streams"), after, "MiB");
    report.at_most(
        "streaming: memory per idle stream",
        (after - before) * 1024.0 / count as f64,
        64.0,
        "KiB",
        "(RSS with the streams − RSS with one) ÷ streams: a task, its socket and buffers",
    );

    // One public post: the time until every stream has its `update`.
    let started = Instant::now();
    let response = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/api/v1/statuses"))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "status": "Une nouvelle pour tout le monde" }))
        .send()
        .await?;
    anyhow::ensure!(response.status().is_success(), "posting answered {}", response.status());
    let waits = sockets.into_iter().map(|mut socket| async move {
        loop {
            match tokio::time::timeout(Duration::from_secs(60), socket.next()).await {
                Ok(Some(Ok(Message::Text(text)))) if text.as_str().contains("\"update\"") => return Ok(()),
                Ok(Some(Ok(_))) => continue,
                other => anyhow::bail!("no update: {other:?}"),
            }
        }
    });
    let reached = futures_util::future::join_all(waits).await;
    let elapsed = started.elapsed().as_secs_f64() * 1000.0;
    anyhow::ensure!(reached.iter().all(Result::is_ok), "some streams got no update");
    report.at_most(
        "streaming: one public post to every stream",
        elapsed,
        2000.0,
        "ms",
        &format!("POST /api/v1/statuses until its `update` reached all {count} streams (rendered once)"),
    );
    let _ = first.close(None).await;
    server.stop();
    Ok(())
}
