//! `maillage serve` and its media store: started against the real S3 server
//! `scripts/test` runs (Garage, `MAILLAGE_TEST_S3_*`), refused at start
//! with the setting named when the store is misconfigured (exit 78), and
//! started anyway when the store only does not answer (an outage).

use std::time::Duration;

use maillage_db::testing::TestDatabase;
use maillage_storage::{MediaStore, StoreKey};
use maillage_tests::process::{ProcessInstance, binary};
use maillage_tests::skipped;

/// The `MAILLAGE__MEDIA__*` settings of the test S3 store, or `None`
/// (noted as skipped) without one; CI requires it.
pub(crate) fn s3_settings() -> Option<Vec<(String, String)>> {
    let Some(endpoint) = std::env::var("MAILLAGE_TEST_S3_ENDPOINT").ok().filter(|e| !e.is_empty()) else {
        assert!(
            std::env::var_os("MAILLAGE_REQUIRE_PEERS").is_none(),
            "MAILLAGE_REQUIRE_PEERS is set but MAILLAGE_TEST_S3_ENDPOINT is not (scripts/test starts Garage)"
        );
        skipped("no S3 server (MAILLAGE_TEST_S3_ENDPOINT unset; scripts/test starts Garage)");
        return None;
    };
    let var = |name: &str| std::env::var(format!("MAILLAGE_TEST_S3_{name}")).unwrap_or_default();
    Some(
        [
            ("MAILLAGE__MEDIA__BACKEND", "s3".to_string()),
            ("MAILLAGE__MEDIA__S3__ENDPOINT", endpoint),
            ("MAILLAGE__MEDIA__S3__BUCKET", var("BUCKET")),
            ("MAILLAGE__MEDIA__S3__REGION", var("REGION")),
            ("MAILLAGE__MEDIA__S3__ACCESS_KEY_ID", var("ACCESS_KEY_ID")),
            ("MAILLAGE__MEDIA__S3__SECRET_ACCESS_KEY", var("SECRET_ACCESS_KEY")),
        ]
        .map(|(k, v)| (k.to_string(), v))
        .to_vec(),
    )
}

/// `settings` with `key` set to `value`.
fn with(settings: &[(String, String)], key: &str, value: &str) -> Vec<(String, String)> {
    settings.iter().map(|(k, v)| (k.clone(), if k == key { value.to_string() } else { v.clone() })).collect()
}

pub(crate) fn borrowed(settings: &[(String, String)]) -> Vec<(&str, &str)> {
    settings.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Runs `maillage serve` with `settings`, expecting it to stop at start:
/// its exit code and standard error.
async fn serve_refused(database: &TestDatabase, settings: &[(String, String)]) -> anyhow::Result<(i32, String)> {
    let port = free_port()?;
    let media = tempfile::tempdir()?;
    let run = tokio::process::Command::new(binary()?)
        .arg("serve")
        .env_remove("RUST_LOG")
        .env("MAILLAGE__SERVER__LISTEN", format!("127.0.0.1:{port}"))
        .env("MAILLAGE__INSTANCE__DOMAIN", format!("localhost:{port}"))
        .env("MAILLAGE__DATABASE__URL", database.url())
        .env("MAILLAGE__LOG__FILTER", "warn")
        .env("MAILLAGE__MEDIA__DIRECTORY", media.path().join("media"))
        .envs(settings.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(40), run).await??;
    let code = output.status.code().unwrap_or(-1);
    let port_free = std::net::TcpListener::bind(("127.0.0.1", port)).is_ok();
    assert!(port_free, "the port was never bound");
    Ok((code, String::from_utf8_lossy(&output.stderr).into_owned()))
}

fn assert_refused_naming(code: i32, stderr: &str, setting: &str) {
    assert_eq!(code, 78, "a configuration to fix: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(stderr.starts_with("maillage: error: ") && stderr.contains(setting), "{setting}: {stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_keeps_its_media_in_the_s3_bucket() -> anyhow::Result<()> {
    let Some(settings) = s3_settings() else { return Ok(()) };
    let database = TestDatabase::create().await.map_err(anyhow::Error::msg)?;
    let port = free_port()?;
    let server = ProcessInstance::spawn(database.url(), port, port, &borrowed(&settings)).await?;
    assert!(!server.log()?.contains("does not answer"), "the store answered: {}", server.log()?);

    // What one process of the hub stores, another (its own store value,
    // from the same settings) reads and deletes.
    let first = MediaStore::open(&server.config.media).await?;
    let second = MediaStore::open(&server.config.media).await?;
    let key = StoreKey::new(format!("it-{}/photo.jpg", uuid::Uuid::new_v4().simple()))?;
    first.put(&key, b"jpeg bytes".to_vec(), "image/jpeg").await?;
    assert_eq!(second.get(&key).await?, b"jpeg bytes");
    assert!(second.list(key.as_str()).await?.iter().any(|l| l.key == key && l.size == 10));
    second.delete(&key).await?;
    assert!(matches!(first.get(&key).await, Err(maillage_storage::StoreError::NotFound)));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_refuses_a_missing_bucket_or_refused_credentials_naming_the_setting() -> anyhow::Result<()> {
    let Some(settings) = s3_settings() else { return Ok(()) };
    let database = TestDatabase::create().await.map_err(anyhow::Error::msg)?;
    let missing = format!("missing-{}", uuid::Uuid::new_v4().simple());
    let (code, stderr) = serve_refused(&database, &with(&settings, "MAILLAGE__MEDIA__S3__BUCKET", &missing)).await?;
    assert_refused_naming(code, &stderr, "media.s3.bucket");

    let wrong_secret = "0".repeat(64);
    let wrong = with(&settings, "MAILLAGE__MEDIA__S3__SECRET_ACCESS_KEY", &wrong_secret);
    let (code, stderr) = serve_refused(&database, &wrong).await?;
    assert_refused_naming(code, &stderr, "media.s3.access_key_id");
    assert!(!stderr.contains(&wrong_secret), "the secret is not shown: {stderr}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_starts_when_the_s3_store_does_not_answer() -> anyhow::Result<()> {
    // Needs no S3 server: a loopback port nothing listens on.
    let database = TestDatabase::create().await.map_err(anyhow::Error::msg)?;
    let settings = [
        ("MAILLAGE__MEDIA__BACKEND", "s3".to_string()),
        ("MAILLAGE__MEDIA__S3__ENDPOINT", format!("http://127.0.0.1:{}", free_port()?)),
        ("MAILLAGE__MEDIA__S3__BUCKET", "media".into()),
        ("MAILLAGE__MEDIA__S3__ACCESS_KEY_ID", "GK0".into()),
        ("MAILLAGE__MEDIA__S3__SECRET_ACCESS_KEY", "secret".into()),
    ]
    .map(|(k, v)| (k.to_string(), v));
    let port = free_port()?;
    let server = ProcessInstance::spawn(database.url(), port, port, &borrowed(&settings)).await?;
    let log = server.log()?;
    assert!(log.contains("the media store does not answer"), "a warning says so: {log}");
    let store = MediaStore::open(&server.config.media).await?;
    let key = StoreKey::new("a/b.jpg")?;
    let outage = store.put(&key, b"x".to_vec(), "image/jpeg").await;
    assert!(matches!(outage, Err(maillage_storage::StoreError::Unavailable(_))), "{outage:?}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_refuses_a_media_directory_it_cannot_create() -> anyhow::Result<()> {
    let database = TestDatabase::create().await.map_err(anyhow::Error::msg)?;
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"")?;
    let under_a_file = file.join("media").to_string_lossy().into_owned();
    let (code, stderr) =
        serve_refused(&database, &[("MAILLAGE__MEDIA__DIRECTORY".to_string(), under_a_file.clone())]).await?;
    assert_refused_naming(code, &stderr, "media.directory");
    assert!(stderr.contains(&under_a_file), "{stderr}");

    // The same database with a directory it can create: it starts (the
    // refused start left the database as it was, its domain unclaimed).
    let media = dir.path().join("media");
    let port = free_port()?;
    let media_setting = media.to_string_lossy().into_owned();
    ProcessInstance::spawn(database.url(), port, port, &[("MAILLAGE__MEDIA__DIRECTORY", media_setting.as_str())])
        .await?;
    assert!(media.is_dir(), "created at start");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn media_move_between_backends_and_a_second_run_copies_nothing() -> anyhow::Result<()> {
    let Some(settings) = s3_settings() else { return Ok(()) };
    let dir = tempfile::tempdir()?;
    let mut env = settings.clone();
    env.push(("MAILLAGE__MEDIA__DIRECTORY".into(), dir.path().join("media").to_string_lossy().into_owned()));
    let env = with(&env, "MAILLAGE__MEDIA__BACKEND", "local");
    let config = maillage_config::Config::load_with_env(None, env)?;
    let local = MediaStore::open(&config.media).await?;
    let run = uuid::Uuid::new_v4().simple().to_string();
    let files = [(format!("{run}/a.jpg"), vec![1u8; 1000]), (format!("{run}/docs/b.pdf"), b"%PDF".to_vec())];
    for (name, bytes) in &files {
        local.put(&StoreKey::new(name.as_str())?, bytes.clone(), "application/octet-stream").await?;
    }

    let printed = maillage_tests::run_cli(&config, &["admin", "media", "migrate", "--to", "s3"], "").await?;
    assert!(printed.contains("2 file(s) in local: 2 copied to s3 (1004 bytes), 0 already there"), "{printed}");
    assert!(printed.contains("set media.backend = \"s3\""), "{printed}");
    let s3 = MediaStore::open(&maillage_config::MediaConfig {
        backend: maillage_config::MediaBackend::S3,
        ..config.media.clone()
    })
    .await?;
    for (name, bytes) in &files {
        assert_eq!(&s3.get(&StoreKey::new(name.as_str())?).await?, bytes, "{name} copied");
        assert_eq!(&local.get(&StoreKey::new(name.as_str())?).await?, bytes, "{name} kept in the source");
    }
    let again = maillage_tests::run_cli(&config, &["admin", "media", "migrate", "--to", "s3"], "").await?;
    assert!(again.contains(": 0 copied to s3 (0 bytes), 2 already there"), "{again}");

    // Back to a new, empty directory: the bucket's files (this run's and any other) come down.
    let back_dir = dir.path().join("back");
    let mut back = config.clone();
    back.media.directory = back_dir.to_string_lossy().into_owned();
    let printed = maillage_tests::run_cli(&back, &["admin", "media", "migrate", "--to", "local"], "").await?;
    assert!(printed.contains("copied to local"), "{printed}");
    for (name, bytes) in &files {
        assert_eq!(&std::fs::read(back_dir.join(name))?, bytes, "{name} back on disk");
    }
    for (name, _) in &files {
        s3.delete(&StoreKey::new(name.as_str())?).await?;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_check_masks_the_s3_secret() -> anyhow::Result<()> {
    let env = [
        ("MAILLAGE__MEDIA__BACKEND", "s3"),
        ("MAILLAGE__MEDIA__S3__ENDPOINT", "https://s3.example.org"),
        ("MAILLAGE__MEDIA__S3__BUCKET", "hub-media"),
        ("MAILLAGE__MEDIA__S3__ACCESS_KEY_ID", "GKvisible"),
        ("MAILLAGE__MEDIA__S3__SECRET_ACCESS_KEY", "the-s3-secret"),
    ]
    .map(|(k, v)| (k.to_string(), v.to_string()));
    let config = maillage_config::Config::load_with_env(None, env)?;
    let shown = maillage_tests::run_cli(&config, &["config", "check"], "").await?;
    assert!(shown.contains("secret_access_key = \"********\""), "{shown}");
    assert!(shown.contains("GKvisible") && !shown.contains("the-s3-secret"), "{shown}");
    Ok(())
}
