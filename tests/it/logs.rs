//! What `maillage serve` writes to its log when it is not on a terminal (a
//! file, the journal, a log collector): plain text without colour codes, or
//! one JSON object per line with `log.format = "json"`; every line logged
//! while serving a request carries the request's id.

use std::future::Future;
use std::process::Stdio;

use maillage_db::testing::TestDatabase;
use maillage_tests::{eventually, process};
use serde_json::Value;

/// Starts `maillage serve` with `format`, waits until it serves, stops it,
/// and returns what it logged on its standard output (a pipe, not a
/// terminal).
async fn log_of(format: &str) -> anyhow::Result<String> {
    log_while(format, &[], |_| async { Ok(()) }).await
}

/// As [`log_of`], with extra `settings`, after `requests` were made to
/// the server (given its base URL).
async fn log_while<F, Fut>(format: &str, settings: &[(&str, &str)], requests: F) -> anyhow::Result<String>
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
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
        .envs(settings.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    let health = format!("http://127.0.0.1:{port}/healthz");
    eventually(30, "the process serves /healthz", || async {
        Ok(reqwest::get(&health).await.is_ok_and(|r| r.status().is_success()))
    })
    .await?;
    requests(format!("http://127.0.0.1:{port}")).await?;
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

/// POSTs an unsigned activity to the shared inbox, which refuses it and
/// logs so, with `forwarded_id` as `X-Request-Id`; returns the response's
/// `X-Request-Id`.
async fn refused_inbox_post(base: &str, forwarded_id: Option<&str>) -> anyhow::Result<String> {
    let mut post = reqwest::Client::new()
        .post(format!("{base}/inbox"))
        .header("content-type", "application/activity+json")
        .body(r#"{"type":"Follow","id":"https://elsewhere.example/follows/1"}"#);
    if let Some(id) = forwarded_id {
        post = post.header("x-request-id", id);
    }
    let response = post.send().await?;
    assert!(response.status().is_client_error(), "refused: {}", response.status());
    let id = response.headers().get("x-request-id").map(|id| id.to_str().unwrap().to_string());
    id.ok_or_else(|| anyhow::anyhow!("no X-Request-Id on the response"))
}

/// The request ids of the JSON log lines saying the inbox refused an activity.
fn refusal_ids(log: &str) -> anyhow::Result<Vec<String>> {
    let lines: Vec<Value> =
        log.lines().map(serde_json::from_str).collect::<Result<_, _>>().map_err(|e| anyhow::anyhow!("{e}: {log}"))?;
    Ok(lines
        .iter()
        .filter(|line| line["fields"]["message"] == "inbox refused an activity")
        .map(|line| line["span"]["request_id"].as_str().unwrap_or("none").to_string())
        .collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_line_of_a_request_carries_its_id_which_the_response_returns() -> anyhow::Result<()> {
    let ids = std::sync::Mutex::new(Vec::new());
    let seen = &ids;
    let log = log_while("json", &[], |base| async move {
        // Two at once, one claiming an id of its own: not a trusted proxy, not believed.
        let (first, second) =
            tokio::try_join!(refused_inbox_post(&base, None), refused_inbox_post(&base, Some("chosen-by-the-client")))?;
        seen.lock().unwrap().extend([first, second]);
        Ok(())
    })
    .await?;
    let ids = ids.into_inner().unwrap();
    assert!(ids.iter().all(|id| id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit())), "{ids:?}");
    assert_ne!(ids[0], ids[1], "each request has its own id");
    let mut logged = refusal_ids(&log)?;
    logged.sort();
    let mut expected = ids.clone();
    expected.sort();
    assert_eq!(logged, expected, "each refusal is logged with its request's id: {log}");

    // Behind a trusted proxy, the proxy's id is kept, in the log and the response.
    let log = log_while("json", &[("MAILLAGE__LIMITS__TRUSTED_PROXIES", "127.0.0.1")], |base| async move {
        assert_eq!(refused_inbox_post(&base, Some("proxy-4f2a")).await?, "proxy-4f2a");
        let insane = refused_inbox_post(&base, Some("two words")).await?;
        assert_eq!(insane.len(), 16, "an id that is not one short token is replaced: {insane}");
        Ok(())
    })
    .await?;
    let logged = refusal_ids(&log)?;
    assert_eq!(logged.len(), 2, "{log}");
    assert_eq!(logged[0], "proxy-4f2a", "{log}");

    // In text too; and every kind of request gets an id (pages, ActivityPub GETs).
    let id = std::sync::Mutex::new(String::new());
    let seen = &id;
    let log = log_while("text", &[], |base| async move {
        *seen.lock().unwrap() = refused_inbox_post(&base, None).await?;
        let http = reqwest::Client::new();
        for (path, accept) in [("/", "text/html"), ("/actors/hub", "application/activity+json"), ("/healthz", "*/*")] {
            let response = http.get(format!("{base}{path}")).header("accept", accept).send().await?;
            assert!(response.headers().contains_key("x-request-id"), "{path}: {:?}", response.headers());
        }
        Ok(())
    })
    .await?;
    let id = id.into_inner().unwrap();
    let refusal = log.lines().find(|line| line.contains("inbox refused an activity")).unwrap_or_default();
    assert!(refusal.contains(&format!("request_id={id}")), "{log}");
    Ok(())
}
