//! One suite, run on both backends: a temporary directory, and the real S3
//! server `scripts/test` starts (Garage; `MAILLAGE_TEST_S3_*`, see
//! scripts/lib/garage.sh). Without it the S3 tests note SKIPPED.

use std::os::unix::fs::PermissionsExt as _;

use maillage_config::{Config, MediaBackend, MediaConfig};

use crate::{MediaStore, StoreError, StoreKey};

fn default_media() -> MediaConfig {
    Config::load_with_env(None, Vec::new()).expect("the default configuration").media
}

fn local_config(directory: &std::path::Path) -> MediaConfig {
    let mut media = default_media();
    media.backend = MediaBackend::Local;
    media.directory = directory.to_str().expect("a UTF-8 path").to_string();
    media
}

/// The test server's settings, or `None` (noted as skipped) when no S3
/// server was started; a failure when CI requires one.
fn s3_config() -> Option<MediaConfig> {
    let var = |name: &str| std::env::var(format!("MAILLAGE_TEST_S3_{name}")).ok().filter(|v| !v.is_empty());
    let Some(endpoint) = var("ENDPOINT") else {
        assert!(
            std::env::var_os("MAILLAGE_REQUIRE_PEERS").is_none(),
            "MAILLAGE_REQUIRE_PEERS is set but MAILLAGE_TEST_S3_ENDPOINT is not (scripts/test starts Garage)"
        );
        skipped("no S3 server (MAILLAGE_TEST_S3_ENDPOINT unset; scripts/test starts Garage)");
        return None;
    };
    let mut media = default_media();
    media.backend = MediaBackend::S3;
    media.s3.endpoint = endpoint;
    media.s3.bucket = var("BUCKET").expect("MAILLAGE_TEST_S3_BUCKET");
    media.s3.region = var("REGION").unwrap_or_else(|| "garage".into());
    media.s3.access_key_id = var("ACCESS_KEY_ID").expect("MAILLAGE_TEST_S3_ACCESS_KEY_ID");
    media.s3.secret_access_key = var("SECRET_ACCESS_KEY").expect("MAILLAGE_TEST_S3_SECRET_ACCESS_KEY");
    media.s3.path_style = true;
    Some(media)
}

/// As tests/it's `skipped`: on stderr and in `MAILLAGE_SKIP_LOG`.
fn skipped(reason: &str) {
    use std::io::Write as _;
    eprintln!("SKIPPED: {reason}");
    if let Some(log) = std::env::var_os("MAILLAGE_SKIP_LOG").filter(|l| !l.is_empty()) {
        let test = std::thread::current().name().unwrap_or("a test").to_string();
        let line = format!("maillage-storage {test}: {reason}\n");
        let _ = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .and_then(|mut f| f.write_all(line.as_bytes()));
    }
}

fn key(name: &str) -> StoreKey {
    StoreKey::new(name).expect("a valid key")
}

/// What both backends must do, under a prefix of its own (the S3 bucket
/// outlives one run).
async fn store_suite(config: &MediaConfig) {
    let store = MediaStore::open(config).await.expect("the store opens");
    assert_eq!(store.backend(), config.backend);
    let run = uuid::Uuid::new_v4().simple().to_string();
    let photo = key(&format!("{run}/photos/ab12.jpg"));
    let preview = key(&format!("{run}/photos/ab12-preview.jpg"));
    let document = key(&format!("{run}/documents/guide.pdf"));

    assert!(matches!(store.get(&photo).await, Err(StoreError::NotFound)), "nothing before it is stored");
    store.put(&photo, b"first photo".to_vec(), "image/jpeg").await.unwrap();
    assert_eq!(store.get(&photo).await.unwrap(), b"first photo");
    store.put(&photo, b"the photo, replaced".to_vec(), "image/jpeg").await.unwrap();
    assert_eq!(store.get(&photo).await.unwrap(), b"the photo, replaced", "a put replaces");
    store.put(&preview, vec![7; 3000], "image/jpeg").await.unwrap();
    store.put(&document, Vec::new(), "application/pdf").await.unwrap();
    assert_eq!(store.get(&document).await.unwrap(), b"", "an empty file is a file");

    // Another value opened from the same settings (another process of the
    // hub) sees, reads and deletes the same files.
    let other = MediaStore::open(config).await.unwrap();
    assert_eq!(other.get(&preview).await.unwrap(), vec![7; 3000]);

    let mut all = store.list(&format!("{run}/")).await.unwrap();
    all.sort_by(|a, b| a.key.as_str().cmp(b.key.as_str()));
    let listed: Vec<(&str, u64)> = all.iter().map(|l| (l.key.as_str(), l.size)).collect();
    assert_eq!(
        listed,
        vec![(document.as_str(), 0), (preview.as_str(), 3000), (photo.as_str(), 19)],
        "every file with its size"
    );
    let everything = store.list("").await.unwrap();
    assert!(everything.iter().any(|l| l.key == photo), "an empty prefix lists all");
    assert!(everything.iter().all(|l| !l.key.as_str().starts_with('.')), "the store's own files are not listed");
    let previews = store.list(&format!("{run}/photos/ab12-")).await.unwrap();
    assert_eq!(previews.iter().map(|l| l.key.clone()).collect::<Vec<_>>(), vec![preview.clone()], "a partial name");
    assert_eq!(store.list(&format!("{run}/photo")).await.unwrap().len(), 2, "a partial directory name");
    assert!(store.list(&format!("{run}/nothing/")).await.unwrap().is_empty());

    other.delete(&photo).await.unwrap();
    assert!(matches!(store.get(&photo).await, Err(StoreError::NotFound)), "deleted by the other process");
    store.delete(&photo).await.expect("deleting an absent file is fine");
    store.delete(&preview).await.unwrap();
    store.delete(&document).await.unwrap();
    assert!(store.list(&format!("{run}/")).await.unwrap().is_empty(), "nothing left");
}

#[tokio::test]
async fn the_local_backend_stores_lists_and_deletes() {
    let dir = tempfile::tempdir().unwrap();
    store_suite(&local_config(&dir.path().join("media"))).await;
}

#[tokio::test]
async fn the_s3_backend_stores_lists_and_deletes() {
    let Some(config) = s3_config() else { return };
    store_suite(&config).await;
}

#[tokio::test]
async fn keys_are_plain_relative_names() {
    for good in ["a", "ab/cd.jpg", "2026/12/x_y-z.webp", "a.b.c"] {
        assert!(StoreKey::new(good).is_ok(), "{good}");
    }
    for bad in ["", "/a", "a/", "a//b", "../a", "a/../b", "./a", ".staging/x", "a/.hidden", "a b", "a\\b", "é", "a?b"]
    {
        assert!(matches!(StoreKey::new(bad), Err(StoreError::Other(_))), "{bad:?} is refused");
    }
    assert!(StoreKey::new("a".repeat(513)).is_err());
}

#[tokio::test]
async fn the_local_directory_is_created_owner_only_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let media = dir.path().join("data/media");
    let config = local_config(&media);
    let store = MediaStore::connect(&config).unwrap();
    assert!(!media.exists(), "connect touches nothing");
    drop(store);
    let store = MediaStore::open(&config).await.unwrap();
    let mode = std::fs::metadata(&media).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700, "the directory is owner-only");
    store.put(&key("x/y.png"), b"png".to_vec(), "image/png").await.unwrap();
    let file_mode = std::fs::metadata(media.join("x/y.png")).unwrap().permissions().mode() & 0o777;
    assert_eq!(file_mode, 0o600, "files are owner-only");
    let sub_mode = std::fs::metadata(media.join("x")).unwrap().permissions().mode() & 0o777;
    assert_eq!(sub_mode, 0o700);
    let staging: Vec<_> = std::fs::read_dir(media.join(".staging")).unwrap().collect();
    assert!(staging.is_empty(), "nothing half-written is left behind");
}

#[tokio::test]
async fn a_directory_that_cannot_be_written_is_refused_naming_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"not a directory").unwrap();
    for unusable in [file.clone(), file.join("media")] {
        let refused = MediaStore::open(&local_config(&unusable)).await;
        assert!(
            matches!(&refused, Err(StoreError::Misconfigured { setting: "media.directory", .. })),
            "{unusable:?}: {refused:?}"
        );
    }
    let mut empty = local_config(dir.path());
    empty.directory = String::new();
    assert!(matches!(
        MediaStore::open(&empty).await,
        Err(StoreError::Misconfigured { setting: "media.directory", .. })
    ));

    // A read-only directory; root writes anyway, so this part needs a user.
    let read_only = dir.path().join("read-only");
    std::fs::create_dir(&read_only).unwrap();
    std::fs::set_permissions(&read_only, std::fs::Permissions::from_mode(0o500)).unwrap();
    if std::fs::write(read_only.join("try"), b"").is_ok() {
        eprintln!("running as root: the read-only directory case is not checked");
        return;
    }
    let refused = MediaStore::open(&local_config(&read_only)).await;
    assert!(matches!(&refused, Err(StoreError::Misconfigured { setting: "media.directory", .. })), "{refused:?}");
    let refused = MediaStore::open(&local_config(&read_only.join("media"))).await;
    assert!(matches!(&refused, Err(StoreError::Misconfigured { setting: "media.directory", .. })), "{refused:?}");
}

#[tokio::test]
async fn direct_urls_only_with_a_public_base_url_on_s3() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = local_config(dir.path());
    config.s3.public_base_url = "https://media.hub.example".into();
    let local = MediaStore::connect(&config).unwrap();
    assert_eq!(local.direct_url(&key("a/b.jpg")), None, "local files are served by Maillage");

    config.backend = MediaBackend::S3;
    config.s3.endpoint = "http://127.0.0.1:3900".into();
    config.s3.bucket = "media".into();
    config.s3.access_key_id = "GK1".into();
    config.s3.secret_access_key = "secret".into();
    for (base, expected) in [
        ("https://media.hub.example", "https://media.hub.example/a/b.jpg"),
        ("https://cdn.example/hub", "https://cdn.example/hub/a/b.jpg"),
        ("https://cdn.example/hub/", "https://cdn.example/hub/a/b.jpg"),
    ] {
        config.s3.public_base_url = base.into();
        let store = MediaStore::connect(&config).unwrap();
        assert_eq!(store.direct_url(&key("a/b.jpg")).unwrap().as_str(), expected);
    }
    config.s3.public_base_url = String::new();
    assert_eq!(MediaStore::connect(&config).unwrap().direct_url(&key("a/b.jpg")), None);
    config.s3.public_base_url = "ftp://x".into();
    assert!(matches!(
        MediaStore::connect(&config),
        Err(StoreError::Misconfigured { setting: "media.s3.public_base_url", .. })
    ));
}

#[tokio::test]
async fn s3_settings_left_empty_are_named() {
    let mut config = default_media();
    config.backend = MediaBackend::S3;
    config.s3.endpoint = "http://127.0.0.1:3900".into();
    config.s3.bucket = "media".into();
    config.s3.access_key_id = "GK1".into();
    config.s3.secret_access_key = "secret".into();
    let store = MediaStore::connect(&config).unwrap();
    assert!(!format!("{store:?}").contains("secret"), "{store:?}");
    for setting in ["media.s3.endpoint", "media.s3.bucket", "media.s3.access_key_id", "media.s3.secret_access_key"] {
        let mut missing = config.clone();
        match setting {
            "media.s3.endpoint" => missing.s3.endpoint.clear(),
            "media.s3.bucket" => missing.s3.bucket.clear(),
            "media.s3.access_key_id" => missing.s3.access_key_id.clear(),
            _ => missing.s3.secret_access_key.clear(),
        }
        let refused = MediaStore::open(&missing).await;
        assert!(matches!(&refused, Err(StoreError::Misconfigured { setting: s, .. }) if *s == setting), "{refused:?}");
    }
    config.s3.endpoint = "127.0.0.1:3900".into();
    assert!(matches!(
        MediaStore::connect(&config),
        Err(StoreError::Misconfigured { setting: "media.s3.endpoint", .. })
    ));
}

/// A loopback port nothing listens on: connections are refused.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[tokio::test]
async fn an_unreachable_endpoint_is_an_outage_not_a_misconfiguration() {
    let mut config = default_media();
    config.backend = MediaBackend::S3;
    config.s3.endpoint = format!("http://127.0.0.1:{}", closed_port());
    config.s3.bucket = "media".into();
    config.s3.access_key_id = "GK1".into();
    config.s3.secret_access_key = "secret".into();
    let store = MediaStore::open(&config).await.expect("opens: the store may come back");
    let photo = key("a/b.jpg");
    assert!(matches!(store.put(&photo, b"x".to_vec(), "image/jpeg").await, Err(StoreError::Unavailable(_))));
    assert!(matches!(store.get(&photo).await, Err(StoreError::Unavailable(_))));
    assert!(matches!(store.delete(&photo).await, Err(StoreError::Unavailable(_))));
    assert!(matches!(store.list("").await, Err(StoreError::Unavailable(_))));
}

#[tokio::test]
async fn the_store_is_used_again_once_its_endpoint_is_back() {
    let Some(real) = s3_config() else { return };
    let target = url::Url::parse(&real.s3.endpoint).unwrap();
    let target = format!("{}:{}", target.host_str().unwrap(), target.port_or_known_default().unwrap());
    let port = closed_port();
    let mut config = real.clone();
    config.s3.endpoint = format!("http://127.0.0.1:{port}");
    let store = MediaStore::open(&config).await.expect("opens while the endpoint is down");
    let photo = key(&format!("{}/back.jpg", uuid::Uuid::new_v4().simple()));
    assert!(matches!(store.put(&photo, b"x".to_vec(), "image/jpeg").await, Err(StoreError::Unavailable(_))));

    // The endpoint comes back: a plain TCP relay to the real server, on the same port.
    let relay = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap();
    let relaying = tokio::spawn(async move {
        while let Ok((mut inbound, _)) = relay.accept().await {
            let target = target.clone();
            tokio::spawn(async move {
                if let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    });
    store.put(&photo, b"back".to_vec(), "image/jpeg").await.expect("the same store value works again");
    assert_eq!(store.get(&photo).await.unwrap(), b"back");
    store.delete(&photo).await.unwrap();
    relaying.abort();
}

#[tokio::test]
async fn wrong_credentials_and_a_missing_bucket_are_misconfigurations() {
    let Some(config) = s3_config() else { return };
    let mut wrong_secret = config.clone();
    wrong_secret.s3.secret_access_key = "0".repeat(64);
    let refused = MediaStore::open(&wrong_secret).await;
    assert!(
        matches!(&refused, Err(StoreError::Misconfigured { setting: "media.s3.access_key_id", .. })),
        "{refused:?}"
    );
    let mut unknown_key = config.clone();
    unknown_key.s3.access_key_id = "GK000000000000000000000000".into();
    let refused = MediaStore::open(&unknown_key).await;
    assert!(
        matches!(&refused, Err(StoreError::Misconfigured { setting: "media.s3.access_key_id", .. })),
        "{refused:?}"
    );
    let mut no_bucket = config.clone();
    no_bucket.s3.bucket = format!("missing-{}", uuid::Uuid::new_v4().simple());
    let refused = MediaStore::open(&no_bucket).await;
    assert!(matches!(&refused, Err(StoreError::Misconfigured { setting: "media.s3.bucket", .. })), "{refused:?}");
    MediaStore::open(&config).await.expect("the right settings still open");
}
