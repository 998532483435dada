//! A database outage answered as one: PostgreSQL that nobody can reach, or
//! SQLite whose write lock another program holds. The API answers 503 with
//! `Retry-After` and the reason, the CLI exits 75, `/healthz` says which,
//! pages say to try again; nothing is lost and the instance recovers by
//! itself when the database is back.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use maillage_db::testing::{TEST_DATABASE_URL_VAR, TestDatabase};
use maillage_tests::own_postgres::OwnPostgres;
use maillage_tests::process::ProcessInstance;
use maillage_tests::stub::{StubKeys, StubPeer};
use maillage_tests::{DatabaseKind, TestInstance, eventually, skipped};
use reqwest::Method;
use serde_json::{Value, json};

use crate::api::{instance, login, populate};

/// The PostgreSQL run of the suite (`MAILLAGE_TEST_DATABASE_URL` set).
fn postgres_run() -> bool {
    std::env::var(TEST_DATABASE_URL_VAR).is_ok_and(|url| url.starts_with("postgres"))
}

/// Checks an answer that says the database is out: 503, `Retry-After`, the reason.
async fn assert_outage(response: reqwest::Response, reason: &str, what: &str) -> anyhow::Result<()> {
    assert_eq!(response.status(), 503, "{what}");
    assert_eq!(response.headers().get("retry-after").map(|v| v.to_str().unwrap()), Some("10"), "{what}");
    let body: Value = response.json().await?;
    assert_eq!(body["reason"], reason, "{what}: {body}");
    Ok(())
}

/// A member posting without pause in the background: the ids of the posts
/// answered 200, and how many were answered 503.
struct Traffic {
    accepted: Arc<Mutex<Vec<String>>>,
    refused: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    /// Why the traffic stopped by itself, if it did.
    failure: Arc<Mutex<Option<String>>>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Traffic {
    fn start(statuses_url: String, token: String, text: &'static str) -> Self {
        let accepted: Arc<Mutex<Vec<String>>> = Arc::default();
        let refused: Arc<AtomicUsize> = Arc::default();
        let stop: Arc<AtomicBool> = Arc::default();
        let failure: Arc<Mutex<Option<String>>> = Arc::default();
        let (ids, refusals, stopping, failed) = (accepted.clone(), refused.clone(), stop.clone(), failure.clone());
        let task = tokio::spawn(async move {
            let outcome = Self::post_until_stopped(&statuses_url, &token, text, &ids, &refusals, &stopping).await;
            if let Err(error) = &outcome {
                *failed.lock().unwrap() = Some(format!("{error:#}"));
            }
            outcome
        });
        Traffic { accepted, refused, stop, failure, task }
    }

    async fn post_until_stopped(
        statuses_url: &str,
        token: &str,
        text: &str,
        ids: &Mutex<Vec<String>>,
        refusals: &AtomicUsize,
        stopping: &AtomicBool,
    ) -> anyhow::Result<()> {
        let http = reqwest::Client::new();
        let mut n = 0;
        while !stopping.load(Ordering::Relaxed) {
            n += 1;
            let sent = http.post(statuses_url).bearer_auth(token).json(&json!({ "status": format!("{text} {n}") }));
            let response = sent.send().await.map_err(|e| anyhow::anyhow!("post {n}: {e:#}"))?;
            match response.status().as_u16() {
                200 => {
                    let id = response.json::<Value>().await?["id"].as_str().unwrap().to_string();
                    ids.lock().unwrap().push(id);
                }
                503 => _ = refusals.fetch_add(1, Ordering::Relaxed),
                other => anyhow::bail!("post {n} answered {other}: {}", response.text().await?),
            }
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
        Ok(())
    }

    fn accepted(&self) -> usize {
        self.accepted.lock().unwrap().len()
    }

    /// Fails once the traffic has stopped by itself, with its reason.
    fn still_running(&self) -> anyhow::Result<()> {
        match self.failure.lock().unwrap().as_deref() {
            Some(failure) => anyhow::bail!("the traffic stopped: {failure}"),
            None => Ok(()),
        }
    }

    /// Stops posting; the ids of the accepted posts.
    async fn finish(self) -> anyhow::Result<(Vec<String>, usize)> {
        self.stop.store(true, Ordering::Relaxed);
        self.task.await??;
        let accepted = self.accepted.lock().unwrap().clone();
        Ok((accepted, self.refused.load(Ordering::Relaxed)))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_outage_is_answered_try_again_and_passes_by_itself() -> anyhow::Result<()> {
    let a = instance().await?;
    let marie = login(&a, "marie").await?;
    let post = |text: &str| {
        a.http
            .request(Method::POST, a.url("/api/v1/statuses"))
            .bearer_auth(&marie)
            .json(&json!({ "status": text }))
            .send()
    };
    assert_eq!(post("Avant la panne").await?.status(), 200);
    let (expected_reason, reads_fail) = match a.kind() {
        DatabaseKind::Postgres => ("database_unreachable", true),
        DatabaseKind::Sqlite => ("database_not_writable", false),
    };

    let outage = a.interrupt_database().await?;
    let refused = post("Pendant la panne").await?;
    assert_eq!(refused.status(), 503);
    assert_eq!(refused.headers()["retry-after"], "10");
    let body: Value = refused.json().await?;
    assert_eq!(body["reason"], expected_reason, "{body}");
    assert!(body["error"].as_str().unwrap().contains("try again"), "{body}");
    let health = a.http.get(a.url("/healthz")).send().await?;
    assert_eq!(health.status(), 503);
    assert_eq!(health.json::<Value>().await?["reason"], expected_reason);
    let cli = a.cli(&["admin", "announcement", "create", "Pendant la panne"]).await.unwrap_err();
    let exit = cli.downcast_ref::<maillage_server::ServerError>().map(|e| e.exit_code());
    assert_eq!(exit, Some(75), "EX_TEMPFAIL: {cli:#}");
    if reads_fail {
        let page = a.http.get(a.url("/directory")).header("accept", "text/html").send().await?;
        assert_eq!(page.status(), 503);
        assert_eq!(page.headers()["retry-after"], "10");
        let html = page.text().await?;
        assert!(html.contains("<html") && html.contains("indisponible"), "{html}");
    }

    outage.end().await.map_err(anyhow::Error::msg)?;
    eventually(30, "the instance writes again", || async { Ok(post("Après la panne").await?.status() == 200) }).await?;
    assert_eq!(a.http.get(a.url("/healthz")).send().await?.status(), 200);
    // What was said before the outage is still there; what was refused is not.
    let (_, statuses) = crate::api::call(&a, Method::GET, "/api/v1/timelines/home", Some(&marie), None).await?;
    let texts: Vec<&str> = statuses.as_array().unwrap().iter().filter_map(|s| s["content"].as_str()).collect();
    assert!(texts.iter().any(|t| t.contains("Avant la panne")), "{texts:?}");
    assert!(!texts.iter().any(|t| t.contains("Pendant la panne")), "{texts:?}");
    Ok(())
}

/// A PostgreSQL server of the test's own, with durable commits, stopped by
/// its operator (`pg_ctl stop -m fast`) while a member posts, then started
/// again: the API, the inbox and the pages answer 503 with their reason
/// during the outage and succeed after it, without a restart of Maillage;
/// every post answered 200 is still there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_stopped_mid_traffic_is_answered_503_and_loses_nothing() -> anyhow::Result<()> {
    if !postgres_run() {
        return Ok(()); // SQLite's counterpart: the full disk below.
    }
    let Some(bindir) = OwnPostgres::bindir() else {
        skipped("no PostgreSQL server binaries to run a server of the test's own");
        return Ok(());
    };
    let cluster = OwnPostgres::start(bindir, "fsync = on")?;
    let database = TestDatabase::create_postgres(&cluster.url("127.0.0.1", "")).await.map_err(anyhow::Error::msg)?;
    let a = TestInstance::spawn_on(database, Box::new(|c| c.database.connect_timeout_seconds = 2)).await?;
    populate(&a).await?;
    let marie = login(&a, "marie").await?;
    let keys = StubKeys::generate()?;
    let peer = StubPeer::spawn(&keys, Arc::default()).await?;
    let coop = a.actor_id("coop");
    assert_eq!(peer.follow("fan", &coop, &a.url("/inbox")).await?, 202);
    let late_follow = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/follows/late", peer.base_url),
        "type": "Follow",
        "actor": peer.actor_id("late"),
        "object": coop,
    });
    let inbox = a.url("/inbox");
    let deliver_late_follow = || peer.post_signed("late", &inbox, &late_follow, peer.private_pem());
    let page = || a.http.get(a.url("/directory")).header("accept", "text/html").send();

    let traffic = Traffic::start(a.url("/api/v1/statuses"), marie.clone(), "Pendant le trafic");
    eventually(30, "some posts before the stop", || async { Ok(traffic.accepted() >= 5) }).await?;
    tokio::task::block_in_place(|| cluster.stop())?;

    let post = a.http.post(a.url("/api/v1/statuses")).bearer_auth(&marie).json(&json!({ "status": "Refusé" }));
    assert_outage(post.send().await?, "database_unreachable", "a post").await?;
    assert_outage(deliver_late_follow().await?, "database_unreachable", "the inbox").await?;
    let refused_page = page().await?;
    assert_eq!(refused_page.status(), 503);
    assert_eq!(refused_page.headers()["retry-after"], "10");
    let html = refused_page.text().await?;
    assert!(html.contains("indisponible") && html.contains("unavailable"), "{html}");
    assert_outage(a.http.get(a.url("/healthz")).send().await?, "database_unreachable", "/healthz").await?;
    let refused_before = traffic.refused.load(Ordering::Relaxed);
    eventually(30, "the traffic meets the outage", || async {
        traffic.still_running()?;
        Ok(traffic.refused.load(Ordering::Relaxed) > refused_before)
    })
    .await?;

    tokio::task::block_in_place(|| cluster.resume())?;
    let accepted_before = traffic.accepted();
    eventually(30, "posts are accepted again", || async {
        traffic.still_running()?;
        Ok(traffic.accepted() > accepted_before + 3)
    })
    .await?;
    assert_eq!(deliver_late_follow().await?.status(), 202, "the sender's retry is accepted");
    assert_eq!(page().await?.status(), 200);
    assert_eq!(a.http.get(a.url("/healthz")).send().await?.status(), 200);
    let (accepted, refused) = traffic.finish().await?;
    assert!(refused > 0, "the traffic met the outage");
    for id in &accepted {
        let (status, _) =
            crate::api::call(&a, Method::GET, &format!("/api/v1/statuses/{id}"), Some(&marie), None).await?;
        assert_eq!(status, 200, "post {id}, answered 200 before or after the outage, is kept");
    }
    let followers = a.collection_items(&format!("{coop}/followers")).await?;
    assert!(followers.contains(&peer.actor_id("late")), "{followers:?}");
    Ok(())
}

/// A small filesystem of the test's own (tmpfs), unmounted on drop.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    /// `None` when this process may not mount one (not root).
    fn mount(megabytes: u32) -> anyhow::Result<Option<Self>> {
        let dir = tempfile::Builder::new().prefix("maillage-small-disk-").tempdir()?;
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m"), "tmpfs"])
            .arg(dir.path())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        Ok(mounted.then_some(SmallDisk { dir }))
    }

    fn path(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// Writes a file until the filesystem is full.
    fn fill(&self) -> anyhow::Result<std::path::PathBuf> {
        use std::io::Write as _;
        let path = self.path().join("filler");
        let mut file = std::fs::File::create(&path)?;
        for chunk in [1 << 20, 4096, 512] {
            let block = vec![0u8; chunk];
            while file.write_all(&block).and_then(|()| file.flush()).is_ok() {}
        }
        Ok(path)
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg("-l").arg(self.dir.path()).status();
    }
}

/// SQLite on a disk that fills up (a tmpfs this test mounts: as root only,
/// skipped otherwise except under `MAILLAGE_REQUIRE_PEERS`, as in CI): posts and `/healthz` answer 503 with
/// the reason, the warning is logged once then summarised, and once space
/// is freed everything works again and the file is sound.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_on_a_full_disk_is_answered_503_and_recovers_intact() -> anyhow::Result<()> {
    if postgres_run() {
        return Ok(()); // PostgreSQL's counterpart: the stopped server above.
    }
    let Some(disk) = SmallDisk::mount(24)? else {
        anyhow::ensure!(
            std::env::var_os("MAILLAGE_REQUIRE_PEERS").is_none(),
            "MAILLAGE_REQUIRE_PEERS (CI, as root) requires the full-disk test: mounting a tmpfs failed"
        );
        skipped("mounting a small tmpfs needs root: the full-disk test");
        return Ok(());
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let database_url = format!("sqlite://{}", disk.path().join("maillage.sqlite3").display());
    let summary_seconds = 2;
    let settings = [
        ("MAILLAGE__LOG__FORMAT", "json"),
        ("MAILLAGE__LOG__REPEAT_SUMMARY_SECONDS", "2"),
        ("MAILLAGE__DATABASE__CONNECT_TIMEOUT_SECONDS", "2"),
    ];
    let mut a = ProcessInstance::spawn(&database_url, port, port, &settings).await?;
    a.cli(&["admin", "enterprise", "create", "coop", "--name", "La Coop"]).await?;
    a.cli_with_input(&["admin", "user", "create", "marie"], &format!("{}\n", crate::api::PASSWORD)).await?;
    a.cli(&["admin", "enterprise", "add-editor", "coop", "marie"]).await?;
    let marie = a.cli(&["admin", "token", "create", "marie"]).await?.trim().to_string();
    let http = reqwest::Client::new();
    let statuses = format!("{}/api/v1/statuses", a.base_url);
    let post = |text: String| http.post(&statuses).bearer_auth(&marie).json(&json!({ "status": text })).send();
    let before: Value = post("Avant le disque plein".into()).await?.json().await?;

    let filler = disk.fill()?;
    // Space already held by the write-ahead log lets a few writes through.
    let mut refused = None;
    let padding = "plein ".repeat(60);
    for n in 0..2000 {
        let response = post(format!("{n} {padding}")).await?;
        if response.status() != 200 {
            refused = Some(response);
            break;
        }
    }
    let refused = refused.expect("a full disk refuses posts");
    let outage_began = Instant::now();
    assert_outage(refused, "database_not_writable", "a post on a full disk").await?;
    assert_outage(http.get(format!("{}/healthz", a.base_url)).send().await?, "database_not_writable", "/healthz")
        .await?;
    // A few seconds of refused posts: the warning is repeated many times.
    // (A post may still fit now and then, in space SQLite frees itself.)
    let (mut refusals, mut tries) = (0, 0);
    while outage_began.elapsed() < Duration::from_secs(3 * summary_seconds + 1) {
        let response = post(format!("Refusé {tries} {padding}")).await?;
        match response.status().as_u16() {
            503 => refusals += 1,
            200 => {}
            other => anyhow::bail!("a post on a full disk answered {other}: {}", response.text().await?),
        }
        tries += 1;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(refusals * 2 > tries, "{refusals} of {tries} posts refused");
    let outage_seconds = outage_began.elapsed().as_secs();

    std::fs::remove_file(filler)?;
    eventually(30, "posts are accepted again", || async { Ok(post("Après".into()).await?.status() == 200) }).await?;
    assert_eq!(http.get(format!("{}/healthz", a.base_url)).send().await?.status(), 200);
    let kept = http.get(format!("{}/{}", statuses, before["id"].as_str().unwrap())).bearer_auth(&marie).send().await?;
    assert_eq!(kept.status(), 200, "what was accepted before the disk filled is kept");

    let log = a.log()?;
    let messages: Vec<String> = log
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter_map(|line| line["fields"]["message"].as_str().map(str::to_string))
        .collect();
    let outage_lines: Vec<&String> = messages.iter().filter(|m| m.starts_with("the database cannot serve")).collect();
    assert!(!outage_lines.is_empty(), "the outage is logged: {log}");
    assert!(!outage_lines[0].contains("repeated"), "first written as it is: {outage_lines:?}");
    assert!(outage_lines.iter().any(|m| m.contains("repeated")), "then summarised: {outage_lines:?}");
    // No warning, of any kind, is written for each refused request.
    let most = (outage_seconds / summary_seconds + 3) as usize;
    let mut counts = std::collections::BTreeMap::<String, usize>::new();
    for message in &messages {
        let shape: String = message.chars().filter(|c| !c.is_ascii_digit()).collect();
        *counts.entry(shape).or_default() += 1;
    }
    let noisy: Vec<_> = counts.iter().filter(|(_, n)| **n > most).collect();
    assert!(noisy.is_empty(), "{refusals} refusals in {outage_seconds} s; written too often: {noisy:?}");

    a.kill().await?;
    let database = maillage_db::Database::connect(&a.config.database).await?;
    assert_eq!(database.integrity_problems().await?, Vec::<String>::new());
    Ok(())
}
