//! What `maillage serve` writes to its log when it is not on a terminal (a
//! file, the journal, a log collector): plain text without colour codes, or
//! one JSON object per line with `log.format = "json"`.

use std::process::Stdio;

use maillage_db::testing::TestDatabase;
use maillage_tests::{eventually, process};

/// Starts `maillage serve` with `format`, waits until it serves, stops it,
/// and returns what it logged on its standard output (a pipe, not a
/// terminal).
async fn log_of(format: &str) -> anyhow::Result<String> {
    let database = TestDatabase::create().await.map_err(anyhow::Error::msg)?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let child = tokio::process::Command::new(process::binary()?)
        .arg("serve")
        .env_remove("RUST_LOG")
        .env("MAILLAGE__SERVER__LISTEN", format!("127.0.0.1:{port}"))
        .env("MAILLAGE__INSTANCE__DOMAIN", format!("localhost:{port}"))
        .env("MAILLAGE__DATABASE__URL", database.url())
        .env("MAILLAGE__LOG__FILTER", "info")
        .env("MAILLAGE__LOG__FORMAT", format)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    let health = format!("http://127.0.0.1:{port}/healthz");
    eventually(30, "the process serves /healthz", || async {
        Ok(reqwest::get(&health).await.is_ok_and(|r| r.status().is_success()))
    })
    .await?;
    let pid = child.id().expect("running");
    std::process::Command::new("kill").args(["-TERM", &pid.to_string()]).status()?;
    let output = child.wait_with_output().await?;
    Ok(String::from_utf8(output.stdout)?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_have_no_colour_codes_off_a_terminal_and_are_json_lines_when_asked() -> anyhow::Result<()> {
    let text = log_of("text").await?;
    assert!(text.contains("database migrated") && text.contains("stopped"), "{text}");
    assert!(!text.contains('\u{1b}'), "no ANSI escape in a log written to a pipe: {text:?}");

    let json = log_of("json").await?;
    let lines: Vec<serde_json::Value> =
        json.lines().map(serde_json::from_str).collect::<Result<_, _>>().map_err(|e| anyhow::anyhow!("{e}: {json}"))?;
    assert!(lines.len() >= 2, "{json}");
    assert!(lines.iter().all(|l| l["level"].is_string() && l["timestamp"].is_string()), "{json}");
    assert!(lines.iter().any(|l| l["fields"]["message"] == "stopped"), "{json}");
    Ok(())
}
