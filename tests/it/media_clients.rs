//! Real Mastodon client libraries posting an update with two photos and
//! their alt text, as an app does: Mastodon.py (`media_post` twice, then
//! `status_post(media_ids=...)`) and megalodon (`uploadMedia`, then
//! `postStatus` with `media_ids`). The statuses carry both attachments with
//! their descriptions, types and sizes, and the files served have no EXIF.
//! Run as in `clients.rs` (`MAILLAGE_PYTHON`, `MAILLAGE_NODE_MODULES`).

use maillage_tests::TestInstance;
use serde_json::Value;

use crate::api::{call, instance};
use crate::clients::{megalodon_modules, python};

const MASTODON_PY_MEDIA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/clients/mastodon_py_media.py");
const MEGALODON_MEDIA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/clients/megalodon_media.cjs");
const PHOTO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/media/phone-photo-gps.jpg");
const GIF: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/media/animated.gif");
const ALT_PHOTO: &str = "Des pommes dans un panier d'osier";
const ALT_GIF: &str = "Le logo de la coop";

/// A token of marie (editor of coop), as an app holds one.
async fn token(instance: &TestInstance) -> anyhow::Result<String> {
    Ok(instance.cli(&["admin", "token", "create", "marie", "--scopes", "read write"]).await?.trim().to_string())
}

fn args<'a>(instance: &'a TestInstance, token: &'a str) -> [&'a str; 6] {
    [&instance.base_url, token, PHOTO, ALT_PHOTO, GIF, ALT_GIF]
}

/// What the client printed agrees with the server's own reading of the
/// status, and the files served are upright photos without metadata.
async fn check(instance: &TestInstance, token: &str, printed: &str) -> anyhow::Result<()> {
    let result: Value = serde_json::from_str(printed.trim().lines().last().unwrap_or_default())?;
    let seen = result["media_attachments"].as_array().unwrap();
    assert_eq!(seen.len(), 2, "{result}");
    assert_eq!(seen[0]["description"], ALT_PHOTO);
    assert_eq!(seen[1]["description"], ALT_GIF);
    assert!(seen.iter().all(|m| m["type"] == "image"), "{result}");
    // The phone's orientation applied: 1200×900 stored as 900×1200.
    assert_eq!(
        (seen[0]["meta"]["original"]["width"].as_u64(), seen[0]["meta"]["original"]["height"].as_u64()),
        (Some(900), Some(1200))
    );
    assert!(seen[0]["meta"]["small"]["width"].as_u64().is_some_and(|w| w <= 640), "{result}");

    // The server's timeline says the same.
    let (_, timeline) = call(instance, reqwest::Method::GET, "/api/v1/timelines/home", Some(token), None).await?;
    let status = timeline.as_array().unwrap().iter().find(|s| s["uri"] == result["uri"]).expect("the status");
    let descriptions: Vec<&str> =
        status["media_attachments"].as_array().unwrap().iter().filter_map(|m| m["description"].as_str()).collect();
    assert_eq!(descriptions, vec![ALT_PHOTO, ALT_GIF]);

    for attachment in seen {
        for url in [&attachment["url"], &attachment["preview_url"]] {
            let served = reqwest::get(url.as_str().unwrap()).await?;
            assert_eq!(served.status(), 200, "{url}");
            let bytes = served.bytes().await?;
            assert!(!bytes.windows(4).any(|w| w == b"Exif"), "{url}: no EXIF left");
            assert!(!bytes.windows(2).any(|w| w == [0xFF, 0xE1]), "{url}: no APP1 segment");
            assert!(!bytes.windows(4).any(|w| w == b"GPS\0"), "{url}: no GPS");
        }
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mastodon_py_posts_an_update_with_two_photos_and_their_alt_text() -> anyhow::Result<()> {
    let Some(python) = python() else { return Ok(()) };
    let a = instance().await?;
    let token = token(&a).await?;
    let mut command = tokio::process::Command::new(&python);
    command.arg(MASTODON_PY_MEDIA);
    let printed = crate::clients::run_client(command, "Mastodon.py", &args(&a, &token)).await?;
    check(&a, &token, &printed).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn megalodon_posts_an_update_with_two_photos_and_their_alt_text() -> anyhow::Result<()> {
    let Some(modules) = megalodon_modules() else { return Ok(()) };
    let a = instance().await?;
    let token = token(&a).await?;
    let mut command = tokio::process::Command::new("node");
    command.env("NODE_PATH", &modules).arg(MEGALODON_MEDIA);
    let printed = crate::clients::run_client(command, "megalodon", &args(&a, &token)).await?;
    check(&a, &token, &printed).await
}
