//! Two `maillage serve` processes of one hub, on one PostgreSQL and one S3
//! bucket (the Garage `scripts/test` starts): what a member uploads through
//! one process, the other serves, byte for byte, and deletes from the
//! bucket.

use anyhow::Context;
use maillage_db::DatabaseKind;
use maillage_db::testing::TestDatabase;
use maillage_storage::MediaStore;
use maillage_tests::process::ProcessInstance;
use serde_json::{Value, json};

use crate::api::PASSWORD;
use crate::media::fixture;
use crate::media_storage::{borrowed, s3_settings};

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A password-grant token of `username`, asked of the process at `base`.
pub(crate) async fn token(http: &reqwest::Client, base: &str, username: &str) -> anyhow::Result<String> {
    let app: Value = http
        .post(format!("{base}/api/v1/apps"))
        .form(&[("client_name", "t"), ("redirect_uris", "urn:ietf:wg:oauth:2.0:oob"), ("scopes", "read write")])
        .send()
        .await?
        .json()
        .await?;
    let token: Value = http
        .post(format!("{base}/oauth/token"))
        .form(&[
            ("grant_type", "password"),
            ("client_id", app["client_id"].as_str().context("client_id")?),
            ("client_secret", app["client_secret"].as_str().context("client_secret")?),
            ("username", username),
            ("password", PASSWORD),
            ("scope", "read write"),
        ])
        .send()
        .await?
        .json()
        .await?;
    Ok(token["access_token"].as_str().context("no token")?.to_string())
}

/// `url` (of the instance's domain) asked of the process listening at `base`.
fn on(base: &str, url: &str) -> anyhow::Result<String> {
    let path = url::Url::parse(url)?;
    Ok(format!("{base}{}", path.path()))
}

/// The store key of a `/media/{key}` URL.
fn key_of(url: &str) -> anyhow::Result<String> {
    let path = url::Url::parse(url)?.path().to_string();
    Ok(path.strip_prefix("/media/").context("a /media/ URL")?.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_one_bucket_serve_and_delete_each_others_files() -> anyhow::Result<()> {
    let database = TestDatabase::create().await.map_err(anyhow::Error::msg)?;
    if database.kind() != DatabaseKind::Postgres {
        maillage_tests::skipped("several processes need PostgreSQL (scripts/test runs this there)");
        return Ok(());
    }
    let Some(settings) = s3_settings() else { return Ok(()) };
    let (port_a, port_b) = (free_port()?, free_port()?);
    let first = ProcessInstance::spawn(database.url(), port_a, port_a, &borrowed(&settings)).await?;
    let _second = ProcessInstance::spawn(database.url(), port_b, port_a, &borrowed(&settings)).await?;
    first.cli_with_input(&["admin", "user", "create", "marie"], &format!("{PASSWORD}\n")).await?;
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    let (on_a, on_b) = (format!("http://127.0.0.1:{port_a}"), format!("http://127.0.0.1:{port_b}"));
    let marie = token(&http, &on_a, "marie").await?;

    // Uploaded and posted through A.
    let part = reqwest::multipart::Part::bytes(fixture("phone-photo-gps.jpg"))
        .file_name("IMG_0001.jpg")
        .mime_str("image/jpeg")?;
    let form = reqwest::multipart::Form::new().part("file", part).text("description", "Des pommes");
    let response = http.post(format!("{on_a}/api/v2/media")).bearer_auth(&marie).multipart(form).send().await?;
    assert!([200, 202].contains(&response.status().as_u16()), "{}", response.status());
    let media: Value = response.json().await?;
    let media_id = media["id"].as_str().context("a media id")?.to_string();
    maillage_tests::eventually(20, "the photo is processed", || async {
        let response = http.get(format!("{on_a}/api/v1/media/{media_id}")).bearer_auth(&marie).send().await?;
        Ok(response.status() == 200)
    })
    .await?;
    let body = json!({ "status": "Des pommes du verger", "media_ids": [media_id] });
    let response = http.post(format!("{on_a}/api/v1/statuses")).bearer_auth(&marie).json(&body).send().await?;
    assert_eq!(response.status(), 200);
    let post: Value = response.json().await?;
    let status_id = post["id"].as_str().context("a status id")?.to_string();
    let attachment = &post["media_attachments"][0];
    let (url, preview_url) = (
        attachment["url"].as_str().context("url")?.to_string(),
        attachment["preview_url"].as_str().context("preview_url")?.to_string(),
    );
    let from_a = http.get(on(&on_a, &url)?).send().await?;
    assert_eq!(from_a.status(), 200);
    let a_bytes = from_a.bytes().await?;

    // B serves the same file and the status with its attachment.
    let from_b = http.get(on(&on_b, &url)?).send().await?;
    assert_eq!(from_b.status(), 200);
    assert_eq!(from_b.bytes().await?, a_bytes, "the same bytes");
    assert_eq!(http.get(on(&on_b, &preview_url)?).send().await?.status(), 200);
    let shown: Value = http.get(format!("{on_b}/api/v1/statuses/{status_id}")).send().await?.json().await?;
    assert_eq!(shown["media_attachments"][0]["url"], url.as_str(), "{shown}");
    assert_eq!(shown["media_attachments"][0]["description"], "Des pommes");

    // Both files are in the bucket; deleted through B, they are gone from it
    // and A answers 404.
    let bucket = MediaStore::open(&first.config.media).await?;
    let keys = [key_of(&url)?, key_of(&preview_url)?];
    let folder = keys[0].rsplit_once('/').map_or(keys[0].as_str(), |(folder, _)| folder).to_string();
    let listed = bucket.list(&folder).await?;
    for key in &keys {
        assert!(listed.iter().any(|l| l.key.as_str() == key), "{key} in the bucket: {listed:?}");
    }
    let response = http.delete(format!("{on_b}/api/v1/statuses/{status_id}")).bearer_auth(&marie).send().await?;
    assert_eq!(response.status(), 200);
    let listed = bucket.list(&folder).await?;
    for key in &keys {
        assert!(!listed.iter().any(|l| l.key.as_str() == key), "{key} deleted from the bucket: {listed:?}");
    }
    assert_eq!(http.get(on(&on_a, &url)?).send().await?.status(), 404);
    assert_eq!(http.get(on(&on_a, &preview_url)?).send().await?.status(), 404);
    assert_eq!(http.get(on(&on_b, &url)?).send().await?.status(), 404);
    Ok(())
}
