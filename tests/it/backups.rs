//! Backups, restores and the move of a SQLite hub to PostgreSQL: the
//! restored or moved hub answers at the same URL with the same keys, so
//! that a follower on another instance still verifies what it publishes.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use maillage_db::testing::TestDatabase;
use maillage_tests::process::ProcessInstance;
use maillage_tests::{DatabaseKind, TestInstance, eventually, run_cli, skipped};
use reqwest::Method;
use serde_json::Value;

use crate::api::{PASSWORD, call, login, luc_on_b_follows_coop};

/// Members `marie` (editor of the enterprise `coop`) and `paul` on `a`.
async fn populate(a: &TestInstance) -> anyhow::Result<()> {
    a.cli(&["admin", "enterprise", "create", "coop", "--name", "La Coop"]).await?;
    a.cli_with_input(&["admin", "user", "create", "marie"], &format!("{PASSWORD}\n")).await?;
    a.cli_with_input(&["admin", "user", "create", "paul"], &format!("{PASSWORD}\n")).await?;
    a.cli(&["admin", "enterprise", "add-editor", "coop", "marie"]).await?;
    Ok(())
}

/// `coop` publishes `text` (written by marie); its URL.
async fn coop_note(a: &TestInstance, text: &str) -> anyhow::Result<String> {
    let printed =
        a.cli(&["admin", "post", "note", "--enterprise", "coop", "--author", "marie", "--text", text]).await?;
    Ok(printed.trim().trim_start_matches("published ").to_string())
}

/// Waits until luc's home timeline on `b` shows a status with `text`:
/// received, its signature verified, stored and shown.
async fn luc_sees(b: &TestInstance, luc: &str, text: &str) -> anyhow::Result<()> {
    eventually(20, &format!("luc's home shows {text:?}"), || async {
        let (status, home) = call(b, Method::GET, "/api/v1/timelines/home", Some(luc), None).await?;
        anyhow::ensure!(status == 200, "{home}");
        Ok(home.as_array().is_some_and(|h| h.iter().any(|s| s["content"].as_str().is_some_and(|c| c.contains(text)))))
    })
    .await
}

/// luc on `b` follows coop on `a`, and sees what coop published before.
async fn followed_by_luc(a: &TestInstance) -> anyhow::Result<(TestInstance, String)> {
    let (b, luc, _) = luc_on_b_follows_coop(a).await?;
    eventually(20, "coop accepts luc", || async {
        Ok(a.collection_items(&format!("{}/followers", a.actor_id("coop"))).await?.contains(&b.actor_id("luc")))
    })
    .await?;
    coop_note(a, "Avant la sauvegarde").await?;
    luc_sees(&b, &luc, "Avant la sauvegarde").await?;
    Ok((b, luc))
}

fn mode_of(path: &Path) -> anyhow::Result<u32> {
    Ok(std::fs::metadata(path)?.permissions().mode() & 0o777)
}

/// A fresh, empty database on the backend under test.
async fn empty_database() -> anyhow::Result<TestDatabase> {
    TestDatabase::create().await.map_err(anyhow::Error::msg)
}

async fn actor_document(instance: &TestInstance, handle: &str) -> anyhow::Result<Value> {
    Ok(instance.get_activity(&instance.actor_id(handle)).await?.json().await?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restored_backup_federates_with_the_same_keys() -> anyhow::Result<()> {
    let mut a = TestInstance::spawn().await?;
    populate(&a).await?;
    let (b, luc) = followed_by_luc(&a).await?;
    let marie = login(&a, "marie").await?;
    let coop_before = actor_document(&a, "coop").await?;

    // Taken while A serves, owner-only from the start.
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("hub.backup");
    let printed = a.cli(&["admin", "backup", &file.display().to_string()]).await?;
    assert!(printed.contains("backup written"), "{printed}");
    assert_eq!(mode_of(&file)?, 0o600, "the backup holds private keys");
    let names: Vec<_> = std::fs::read_dir(dir.path())?.map(|e| e.map(|e| e.file_name())).collect::<Result<_, _>>()?;
    assert_eq!(names, vec![std::ffi::OsString::from("hub.backup")], "no partial file is left");

    // The server's machine is lost: a new, empty database, the same URL.
    a.stop().await?;
    a.use_database(empty_database().await?);
    let restored = a.cli(&["admin", "restore", &file.display().to_string()]).await?;
    assert!(restored.contains("restored"), "{restored}");
    a.resume().await?;

    assert_eq!(actor_document(&a, "coop").await?["publicKey"], coop_before["publicKey"], "the same key");
    let (status, me) = call(&a, Method::GET, "/api/v1/accounts/verify_credentials", Some(&marie), None).await?;
    assert_eq!((status, me["username"].as_str()), (200, Some("marie")), "the token issued before works: {me}");
    coop_note(&a, "Après la restauration").await?;
    luc_sees(&b, &luc, "Après la restauration").await?;

    // Restoring again, over the restored hub, is refused and changes nothing.
    let refused = a.cli(&["admin", "restore", &file.display().to_string()]).await.expect_err("not empty");
    assert!(refused.to_string().contains("is not empty"), "{refused}");
    let (status, _) = call(&a, Method::GET, "/api/v1/accounts/verify_credentials", Some(&marie), None).await?;
    assert_eq!(status, 200);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backups_refuse_what_would_lose_or_mix_data() -> anyhow::Result<()> {
    let a = TestInstance::spawn().await?;
    populate(&a).await?;
    let dir = tempfile::tempdir()?;
    let shown = |path: &PathBuf| path.display().to_string();

    // An existing file is not overwritten.
    let existing = dir.path().join("existing");
    std::fs::write(&existing, "keep me")?;
    let refused = a.cli(&["admin", "backup", &shown(&existing)]).await.expect_err("the file exists");
    assert!(refused.to_string().contains("already exists"), "{refused}");
    assert_eq!(std::fs::read_to_string(&existing)?, "keep me");
    let nowhere = dir.path().join("missing").join("b");
    let refused = a.cli(&["admin", "backup", &shown(&nowhere)]).await.expect_err("no such directory");
    assert!(refused.to_string().contains("does not exist"), "{refused}");

    // Something that is not a backup is not restored.
    let mut target = a.config.clone();
    let empty = empty_database().await?;
    target.database.url = empty.url().to_string();
    let refused = run_cli(&target, &["admin", "restore", &shown(&existing)], "").await.expect_err("not a backup");
    assert!(refused.to_string().contains("is not a Maillage backup"), "{refused}");

    // A backup restores into an empty database only: not over a hub.
    let file = dir.path().join("hub.backup");
    a.cli(&["admin", "backup", &shown(&file)]).await?;
    let refused = a.cli(&["admin", "restore", &shown(&file)]).await.expect_err("the hub's own database");
    assert!(
        refused.to_string().contains("is not empty") && refused.to_string().contains("empty database"),
        "{refused}"
    );

    // Nor into the other backend.
    if a.kind() == DatabaseKind::Postgres {
        let sqlite = TestDatabase::create_sqlite().map_err(anyhow::Error::msg)?;
        let mut other = a.config.clone();
        other.database.url = sqlite.url().to_string();
        let refused = run_cli(&other, &["admin", "restore", &shown(&file)], "").await.expect_err("a pg_dump archive");
        assert!(refused.to_string().contains("is a PostgreSQL backup"), "{refused}");
    }
    // The empty database was left as it was: the right restore still works there.
    run_cli(&target, &["admin", "restore", &shown(&file)], "").await?;
    Ok(())
}

/// The API's view of what a member and an enterprise have, compared before
/// and after a move: every value the app reads back (timestamps, booleans,
/// JSON kept as text) must come out the same.
async fn views(a: &TestInstance, token: &str, status_id: &str) -> anyhow::Result<Vec<Value>> {
    let mut seen = Vec::new();
    for path in [
        "/api/v1/accounts/verify_credentials".to_string(),
        format!("/api/v1/statuses/{status_id}"),
        "/api/v1/timelines/home".to_string(),
        "/api/v1/bookmarks".to_string(),
    ] {
        let (status, body) = call(a, Method::GET, &path, Some(token), None).await?;
        anyhow::ensure!(status == 200, "GET {path}: {status} {body}");
        seen.push(body);
    }
    seen.push(actor_document(a, "coop").await?);
    seen.push(serde_json::json!(a.collection_items(&format!("{}/followers", a.actor_id("coop"))).await?));
    seen.push(serde_json::json!(a.collection_items(&format!("{}/outbox", a.actor_id("coop"))).await?));
    Ok(seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_hub_moves_to_postgres_keys_and_all() -> anyhow::Result<()> {
    if std::env::var_os("MAILLAGE_TEST_DATABASE_URL").is_none_or(|url| !url.to_string_lossy().starts_with("postgres")) {
        skipped(
            "moving to PostgreSQL needs one: run with MAILLAGE_TEST_DATABASE_URL=postgres://... (scripts/test does)",
        );
        return Ok(());
    }
    let mut a = TestInstance::spawn_sqlite().await?;
    populate(&a).await?;
    let (b, luc) = followed_by_luc(&a).await?;
    let marie = login(&a, "marie").await?;
    let (status, posted) = crate::api::post_status(
        &a,
        &marie,
        serde_json::json!({"status": "Un mot de Marie #coop", "spoiler_text": "à lire", "visibility": "unlisted"}),
    )
    .await?;
    assert_eq!(status, 200, "{posted}");
    let status_id = posted["id"].as_str().unwrap().to_string();
    let (status, _) =
        call(&a, Method::POST, &format!("/api/v1/statuses/{status_id}/bookmark"), Some(&marie), None).await?;
    assert_eq!(status, 200);
    let before = views(&a, &marie, &status_id).await?;

    a.stop().await?;
    let target = empty_database().await?;
    let printed = a.cli(&["admin", "migrate-database", "--to", target.url()]).await?;
    assert!(printed.contains("local_actors") && printed.contains("database.url"), "{printed}");
    assert!(!printed.contains(PASSWORD), "{printed}");
    // Moving again into the same database is refused: it is not empty now.
    let refused = a.cli(&["admin", "migrate-database", "--to", target.url()]).await.expect_err("not empty");
    assert!(refused.to_string().contains("already holds data"), "{refused}");
    a.use_database(target);
    a.resume().await?;
    assert_eq!(a.kind(), DatabaseKind::Postgres);

    assert_eq!(views(&a, &marie, &status_id).await?, before, "the app reads the same values back");
    // Passwords still sign in, wrong ones still do not.
    login(&a, "paul").await?;
    let (client_id, client_secret) = crate::api::app(&a).await?;
    let wrong = a
        .http
        .post(a.url("/oauth/token"))
        .form(&[
            ("grant_type", "password"),
            ("client_id", &client_id),
            ("client_secret", &client_secret),
            ("username", "paul"),
            ("password", "pas le bon mot de passe"),
        ])
        .send()
        .await?;
    assert!(wrong.status().is_client_error(), "{}", wrong.status());
    // New rows get new ids (the sequences were moved past the copied ones).
    let (status, posted) =
        crate::api::post_status(&a, &marie, serde_json::json!({"status": "Depuis PostgreSQL"})).await?;
    assert_eq!(status, 200, "{posted}");
    assert!(posted["id"].as_str().unwrap().parse::<i64>()? > status_id.parse::<i64>()?);
    // And luc on B still verifies what coop signs.
    coop_note(&a, "Après le déménagement").await?;
    luc_sees(&b, &luc, "Après le déménagement").await?;
    Ok(())
}

/// Our scheduled backups in `dir`, oldest first (not their partial files).
fn scheduled_in(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("maillage-backup-")))
        .collect();
    files.sort();
    Ok(files)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduled_backups_keep_the_newest_and_leave_other_files() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    std::fs::write(dir.path().join("notes.txt"), "mine")?;
    let shown = dir.path().display().to_string();
    let a = TestInstance::spawn_with(Box::new(move |config| {
        config.backup.interval_hours = 1.0 / 3600.0;
        config.backup.directory = shown;
        config.backup.keep = 2;
    }))
    .await?;
    let db = a.database().await?;
    let seen = std::sync::Mutex::new(std::collections::BTreeSet::new());
    eventually(30, "four scheduled backups, two kept", || async {
        if let Some(file) = db.backup_schedule("scheduled").await?.and_then(|s| s.last_file) {
            seen.lock().unwrap().insert(file);
        }
        // The newest is complete before the oldest goes: keep + 1 for a moment.
        let kept = scheduled_in(dir.path())?;
        anyhow::ensure!(kept.len() <= 3, "more than `keep` files: {kept:?}");
        for file in &kept {
            match mode_of(file) {
                Ok(mode) => anyhow::ensure!(mode == 0o600, "{} is {mode:o}", file.display()),
                // Removed meanwhile.
                Err(_) if !file.exists() => {}
                Err(error) => return Err(error),
            }
        }
        Ok(seen.lock().unwrap().len() >= 4 && kept.len() == 2)
    })
    .await?;
    assert_eq!(std::fs::read_to_string(dir.path().join("notes.txt"))?, "mine", "not ours: left alone");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_one_database_take_one_backup_per_interval() -> anyhow::Result<()> {
    let database = empty_database().await?;
    if database.kind() != DatabaseKind::Postgres {
        skipped("several processes need PostgreSQL (scripts/test runs this there)");
        return Ok(());
    }
    let dir = tempfile::tempdir()?;
    let shown = dir.path().display().to_string();
    let settings = [
        ("MAILLAGE__BACKUP__INTERVAL_HOURS", "0.000834"), // 3 seconds
        ("MAILLAGE__BACKUP__DIRECTORY", shown.as_str()),
        ("MAILLAGE__BACKUP__KEEP", "100"),
    ];
    let port = |_: ()| -> anyhow::Result<u16> { Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port()) };
    let (one, two) = (port(())?, port(())?);
    let first = ProcessInstance::spawn(database.url(), one, one, &settings).await?;
    let second = ProcessInstance::spawn(database.url(), two, one, &settings).await?;
    let started = std::time::Instant::now();
    tokio::time::sleep(std::time::Duration::from_secs(10)).await;
    let elapsed = started.elapsed().as_secs_f64();
    drop((first, second));
    let files = scheduled_in(dir.path())?;
    // One per 3-second interval, whichever process takes it: at most one
    // more than the intervals that passed (the first is taken at once).
    let most = (elapsed / 3.0).ceil() as usize + 1;
    assert!(!files.is_empty() && files.len() <= most, "{} backups in {elapsed:.1} s: {files:?}", files.len());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_without_pg_dump_says_what_to_install() -> anyhow::Result<()> {
    let a = TestInstance::spawn().await?;
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("hub.backup");
    let output = tokio::process::Command::new(maillage_tests::process::binary()?)
        .args(["admin", "backup", &file.display().to_string()])
        .env("MAILLAGE__DATABASE__URL", &a.config.database.url)
        .env("MAILLAGE__INSTANCE__DOMAIN", &a.config.instance.domain)
        .env("PATH", dir.path())
        .output()
        .await?;
    let said = String::from_utf8_lossy(&output.stderr);
    match a.kind() {
        DatabaseKind::Postgres => {
            assert_eq!(output.status.code(), Some(69), "{said}");
            assert!(said.contains("pg_dump was not found") && said.contains("postgresql-client"), "{said}");
            assert!(!file.exists(), "no file that looks complete");
        }
        // SQLite needs no program: the same command succeeds.
        DatabaseKind::Sqlite => assert_eq!(output.status.code(), Some(0), "{said}"),
    }
    assert_eq!(
        std::fs::read_dir(dir.path())?.count(),
        usize::from(a.kind() == DatabaseKind::Sqlite),
        "no partial file"
    );
    Ok(())
}
