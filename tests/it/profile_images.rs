//! The pictures of our actors: a member's avatar and header set by a real
//! client (Mastodon.py's multipart `update_credentials`), an enterprise's
//! logo and banner from a file or a URL (CLI and API), the address rules on
//! that URL, the rights, replaced files deleted, the defaults, `icon` and
//! `image` on actor documents, and `admin media fetch-logos`.

use maillage_tests::TestInstance;
use reqwest::Method;
use serde_json::Value;

use crate::api::{call, instance, login};
use crate::media::fixture;

fn fixture_path(name: &str) -> String {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/media").join(name).display().to_string()
}

/// Every profile picture file under the instance's media directory.
fn picture_files(instance: &TestInstance) -> Vec<std::path::PathBuf> {
    let root = std::path::Path::new(&instance.config.media.directory).join("p");
    let mut found = Vec::new();
    for folder in std::fs::read_dir(&root).into_iter().flatten().flatten() {
        found.extend(std::fs::read_dir(folder.path()).into_iter().flatten().flatten().map(|e| e.path()));
    }
    found
}

/// The width and height a JPEG's frame header declares.
fn jpeg_size(bytes: &[u8]) -> Option<(u16, u16)> {
    let mut at = 2;
    while at + 9 < bytes.len() {
        if bytes[at] != 0xFF {
            return None;
        }
        let marker = bytes[at + 1];
        let length = usize::from(u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]));
        if matches!(marker, 0xC0..=0xC2) {
            return Some((
                u16::from_be_bytes([bytes[at + 7], bytes[at + 8]]),
                u16::from_be_bytes([bytes[at + 5], bytes[at + 6]]),
            ));
        }
        at += 2 + length;
    }
    None
}

/// Fetches one of our pictures: it must be public, a JPEG without
/// metadata; its width and height.
async fn served_picture(instance: &TestInstance, url: &str) -> anyhow::Result<(u16, u16)> {
    assert!(url.starts_with(&format!("{}/media/p/", instance.base_url)), "{url}");
    let response = instance.http.get(url).send().await?;
    assert_eq!(response.status(), 200, "{url}");
    assert_eq!(response.headers()["content-type"], "image/jpeg");
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    let bytes = response.bytes().await?;
    assert!(!bytes.windows(4).any(|w| w == b"Exif"), "no EXIF left");
    assert!(!bytes.windows(4).any(|w| w == b"GPS\0"), "no GPS left");
    Ok(jpeg_size(&bytes).expect("a JPEG frame"))
}

async fn actor_document(instance: &TestInstance, name: &str) -> anyhow::Result<Value> {
    let response = instance.get_activity(&instance.url(&format!("/actors/{name}"))).await?;
    anyhow::ensure!(response.status() == 200, "/actors/{name}: {}", response.status());
    Ok(response.json().await?)
}

/// `update_credentials` with `avatar` and `header` files, as reqwest sends a multipart form.
async fn update_pictures(
    instance: &TestInstance,
    token: &str,
    parts: Vec<(&str, Vec<u8>)>,
    texts: &[(&str, &str)],
) -> anyhow::Result<(u16, Value)> {
    let mut form = reqwest::multipart::Form::new();
    for (name, bytes) in parts {
        let part = reqwest::multipart::Part::bytes(bytes).file_name(format!("{name}.jpg")).mime_str("image/jpeg")?;
        form = form.part(name.to_string(), part);
    }
    for (name, value) in texts {
        form = form.text(name.to_string(), value.to_string());
    }
    let response = instance
        .http
        .patch(instance.url("/api/v1/accounts/update_credentials"))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await?;
    let status = response.status().as_u16();
    Ok((status, serde_json::from_str(&response.text().await?).unwrap_or(Value::Null)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_sets_avatar_and_header_with_a_real_client() -> anyhow::Result<()> {
    let a = instance().await?;
    let marie = login(&a, "marie").await?;
    // No picture yet: the defaults, never an empty URL.
    let (_, before) = call(&a, Method::GET, "/api/v1/accounts/verify_credentials", Some(&marie), None).await?;
    for field in ["avatar", "avatar_static", "header", "header_static"] {
        assert!(before[field].as_str().is_some_and(|u| u.starts_with("http")), "{field}: {before}");
    }
    assert!(before["avatar"].as_str().unwrap().ends_with("/avatars/original/missing.png"));
    let document = actor_document(&a, "marie").await?;
    assert!(document.get("icon").is_none(), "{document}");

    // Multipart with text fields, as Tusky sends it.
    let (status, account) = update_pictures(
        &a,
        &marie,
        vec![("avatar", fixture("phone-photo-gps.jpg")), ("header", fixture("phone-photo-gps.jpg"))],
        &[("display_name", "Marie T.")],
    )
    .await?;
    assert_eq!(status, 200, "{account}");
    assert_eq!(account["display_name"], "Marie T.");
    let avatar = account["avatar"].as_str().unwrap().to_string();
    let header = account["header"].as_str().unwrap().to_string();
    assert_eq!(account["avatar_static"], avatar.as_str());
    // The phone's 1200×900 photo with its orientation tag comes out upright,
    // scaled to the slot: an avatar at most 800 px, a header 1500 px.
    assert_eq!(served_picture(&a, &avatar).await?, (600, 800));
    assert_eq!(served_picture(&a, &header).await?, (900, 1200));
    assert_eq!(picture_files(&a).len(), 2);

    // The actor document names them, with their type.
    let document = actor_document(&a, "marie").await?;
    assert_eq!(document["icon"]["type"], "Image");
    assert_eq!(document["icon"]["mediaType"], "image/jpeg");
    assert_eq!(document["icon"]["url"], avatar.as_str());
    assert_eq!(document["image"]["url"], header.as_str());

    // A form or JSON body still changes the other fields.
    let (status, json_body) = call(
        &a,
        Method::PATCH,
        "/api/v1/accounts/update_credentials",
        Some(&marie),
        Some(serde_json::json!({ "note": "Coop de paniers" })),
    )
    .await?;
    assert_eq!(status, 200, "{json_body}");
    assert_eq!(json_body["avatar"], avatar.as_str(), "other fields leave the pictures alone");

    // Mastodon.py replaces both: the old files are deleted.
    if let Some(python) = python() {
        let path = fixture_path("animated.gif");
        let output = tokio::process::Command::new(python)
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/clients/mastodon_py_profile.py"))
            .args([&a.base_url, &marie, &path, &path])
            .kill_on_drop(true)
            .output()
            .await?;
        let printed = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{printed}\n{}", String::from_utf8_lossy(&output.stderr));
        let seen: Value = serde_json::from_str(printed.trim().lines().last().unwrap_or_default())?;
        let new_avatar = seen["avatar"].as_str().unwrap();
        assert_ne!(new_avatar, avatar);
        assert!(new_avatar.starts_with(&format!("{}/media/p/", a.base_url)), "{seen}");
        assert_eq!(a.http.get(&avatar).send().await?.status(), 404, "the replaced avatar is gone");
        assert_eq!(a.http.get(new_avatar).send().await?.status(), 200);
        assert_eq!(picture_files(&a).len(), 2, "one file per picture");
    }

    // An empty value goes back to the default, and deletes the file.
    let (status, cleared) = update_pictures(&a, &marie, vec![], &[("avatar", "")]).await?;
    assert_eq!(status, 200, "{cleared}");
    assert!(cleared["avatar"].as_str().unwrap().ends_with("/avatars/original/missing.png"), "{cleared}");
    assert_eq!(picture_files(&a).len(), 1);
    assert!(actor_document(&a, "marie").await?.get("icon").is_none());

    // What is not a picture is refused, and nothing is stored.
    let (status, refused) = update_pictures(&a, &marie, vec![("avatar", fixture("logo-with-script.svg"))], &[]).await?;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(picture_files(&a).len(), 1);
    Ok(())
}

/// The Python that has Mastodon.py, or `None` (skipped, except where
/// `MAILLAGE_REQUIRE_PEERS` says the clients must run).
fn python() -> Option<String> {
    let python = std::env::var("MAILLAGE_PYTHON").ok().filter(|p| !p.is_empty());
    if python.is_none() {
        assert!(
            std::env::var_os("MAILLAGE_REQUIRE_PEERS").is_none(),
            "MAILLAGE_PYTHON must name a Python with Mastodon.py"
        );
        maillage_tests::skipped("MAILLAGE_PYTHON is not set: Mastodon.py's update_credentials is not run");
    }
    python
}

/// A web server on loopback answering every GET with `body`.
async fn picture_server(body: Vec<u8>) -> anyhow::Result<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let body = body.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = socket.read(&mut buf).await;
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: image/jpeg\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = socket.write_all(head.as_bytes()).await;
                let _ = socket.write_all(&body).await;
            });
        }
    });
    Ok(format!("http://127.0.0.1:{port}/logo.jpg"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_enterprise_logo_from_a_file_or_a_url_and_only_by_its_editors() -> anyhow::Result<()> {
    let a = instance().await?;
    // --logo FILE: uploaded.
    a.cli(&["admin", "enterprise", "update", "coop", "--logo", &fixture_path("phone-photo-gps.jpg")]).await?;
    let document = actor_document(&a, "coop").await?;
    let logo = document["icon"]["url"].as_str().expect("an icon").to_string();
    assert_eq!(served_picture(&a, &logo).await?, (600, 800));
    assert_eq!(document["enterpriseProfile"]["logoUrl"], logo.as_str(), "the profile names our copy");
    // The enterprise page shows it from our URL.
    let page = a.http.get(a.url("/actors/coop")).header("accept", "text/html").send().await?.text().await?;
    let path = logo.trim_start_matches(&a.base_url);
    let shown = format!(r#"<img class="profile-logo" src="{path}" alt="La Coop" loading="lazy""#);
    assert!(page.contains(&shown), "the page shows the stored logo with its alt text: {page}");

    // --banner URL: fetched once into the store (a localhost instance may
    // reach loopback).
    let url = picture_server(fixture("animated.gif")).await?;
    a.cli(&["admin", "enterprise", "update", "coop", "--banner", &url]).await?;
    let document = actor_document(&a, "coop").await?;
    let banner = document["image"]["url"].as_str().expect("an image").to_string();
    assert!(banner.starts_with(&format!("{}/media/p/", a.base_url)), "{banner}");
    assert_eq!(a.http.get(&banner).send().await?.status(), 200);

    // Replacing the logo deletes the old file.
    a.cli(&["admin", "enterprise", "update", "coop", "--logo", &url]).await?;
    assert_eq!(a.http.get(&logo).send().await?.status(), 404);
    assert_eq!(picture_files(&a).len(), 2);

    // Through our API: its editor may, another member may not (nothing changes).
    let marie = login(&a, "marie").await?;
    let paul = login(&a, "paul").await?;
    let path = "/api/maillage/v1/enterprises/coop";
    let (status, refused) =
        call(&a, Method::PATCH, path, Some(&paul), Some(serde_json::json!({ "logo_url": url }))).await?;
    assert_eq!(status, 403, "{refused}");
    let (status, cleared) =
        call(&a, Method::PATCH, path, Some(&marie), Some(serde_json::json!({ "logo_url": "" }))).await?;
    assert_eq!(status, 200, "{cleared}");
    assert!(actor_document(&a, "coop").await?.get("icon").is_none());
    assert_eq!(picture_files(&a).len(), 1);
    // A member's own update_credentials never reaches the enterprise.
    let (status, _) = update_pictures(&a, &paul, vec![("avatar", fixture("animated.gif"))], &[]).await?;
    assert_eq!(status, 200);
    assert!(actor_document(&a, "coop").await?.get("icon").is_none());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_public_instance_refuses_a_logo_at_a_private_address() -> anyhow::Result<()> {
    let a =
        TestInstance::spawn_with(Box::new(|c: &mut maillage_config::Config| c.instance.domain = "hub.example".into()))
            .await?;
    a.cli(&["admin", "enterprise", "create", "coop", "--name", "La Coop"]).await?;
    let url = picture_server(fixture("animated.gif")).await?;
    let error = a.cli(&["admin", "enterprise", "update", "coop", "--logo", &url]).await.unwrap_err().to_string();
    assert!(error.contains("logo") && error.contains("refused"), "{error}");
    assert!(picture_files(&a).is_empty());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetch_logos_stores_the_logos_profiles_name_by_url() -> anyhow::Result<()> {
    let a = instance().await?;
    // A repertoire imported with logo URLs: they stay URLs until fetched.
    let url = picture_server(fixture("phone-photo-gps.jpg")).await?;
    let dead = "http://127.0.0.1:9/gone.png";
    let csv = format!("handle,name,logo_url,banner_url\nboulangerie,La Boulangerie,{url},{dead}\n");
    let file = std::env::temp_dir().join(format!("profile-images-{}.csv", std::process::id()));
    std::fs::write(&file, csv)?;
    a.cli(&["admin", "enterprise", "import", file.to_str().unwrap()]).await?;
    let document = actor_document(&a, "boulangerie").await?;
    assert_eq!(document["icon"]["url"], url.as_str(), "not fetched yet");

    let report = a.cli(&["admin", "media", "fetch-logos"]).await?;
    assert!(report.contains(&format!("@boulangerie\tlogo\tfetched\t{url}")), "{report}");
    assert!(report.contains(&format!("@boulangerie\tbanner\trefused\t{dead}")), "{report}");
    let document = actor_document(&a, "boulangerie").await?;
    let logo = document["icon"]["url"].as_str().unwrap().to_string();
    assert_eq!(served_picture(&a, &logo).await?, (600, 800));
    assert_eq!(document["icon"]["mediaType"], "image/jpeg");

    // Again: what is stored is skipped, the refused one tried again.
    let again = a.cli(&["admin", "media", "fetch-logos"]).await?;
    assert!(!again.contains("\tlogo\t"), "{again}");
    assert!(again.contains("0 picture(s) fetched, 1 refused"), "{again}");
    let _ = std::fs::remove_file(file);
    Ok(())
}
