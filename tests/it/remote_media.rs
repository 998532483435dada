//! Other servers' files: the photos of remote posts and the images of
//! remote actors, copied into our store and served from our own URL (through
//! the audience check of the post they belong to), so that a reader's
//! browser never contacts the other server; files we must not fetch
//! (private addresses, not pictures) never stored; the copies pruned after
//! `media.remote_cache_days` and fetched again when asked for.

use maillage_tests::{TestInstance, eventually};
use reqwest::Method;
use serde_json::{Value, json};

use crate::api::{PASSWORD, call, instance, login, post_status};
use crate::media::fixture;
use crate::media::{get_file, jpeg_size, upload};

/// Marie posts as coop, with one photo described `alt`: the status on A.
async fn coop_posts_a_photo(
    a: &TestInstance,
    marie: &str,
    text: &str,
    alt: &str,
    visibility: &str,
) -> anyhow::Result<Value> {
    let fields = [("description", alt), ("maillage_as", "coop")];
    let (status, media) =
        upload(a, "v2", marie, fixture("phone-photo-gps.jpg"), "IMG_0001.jpg", "image/jpeg", &fields).await?;
    assert_eq!(status, 200, "{media}");
    let body = json!({ "status": text, "maillage_as": "coop", "visibility": visibility, "media_ids": [media["id"]] });
    let (status, post) = post_status(a, marie, body).await?;
    assert_eq!(status, 200, "{post}");
    Ok(post)
}

/// The status of luc's home timeline on B whose content has `word`.
async fn on_b(b: &TestInstance, luc: &str, word: &str) -> anyhow::Result<Option<Value>> {
    let (_, home) = call(b, Method::GET, "/api/v1/timelines/home", Some(luc), None).await?;
    Ok(home.as_array().into_iter().flatten().find(|s| s["content"].as_str().is_some_and(|c| c.contains(word))).cloned())
}

/// [`on_b`], once it shows a photo.
async fn with_photo_on_b(b: &TestInstance, luc: &str, word: &str) -> anyhow::Result<Value> {
    let has_photo = |s: &Value| s["media_attachments"].as_array().is_some_and(|m| !m.is_empty());
    eventually(20, &format!("B shows the photo of {word}"), || async {
        Ok(on_b(b, luc, word).await?.is_some_and(|s| has_photo(&s)))
    })
    .await?;
    Ok(on_b(b, luc, word).await?.unwrap_or(Value::Null))
}

async fn bytes_of(response: reqwest::Response) -> anyhow::Result<(u16, Option<String>, Vec<u8>)> {
    let status = response.status().as_u16();
    let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).map(str::to_string);
    Ok((status, content_type, response.bytes().await?.to_vec()))
}

/// B, with luc following coop on A: B keeps its media in the test S3
/// bucket when there is one (`MAILLAGE_TEST_S3_*`; required in CI), so the
/// remote cache is tested on both backends, else on its local disk.
async fn b_follows_coop_on_a(a: &TestInstance) -> anyhow::Result<(TestInstance, String)> {
    let s3 = crate::media_storage::s3_settings();
    let b = TestInstance::spawn_with(Box::new(move |config| {
        for (name, value) in s3.into_iter().flatten() {
            let media = &mut config.media;
            match name.trim_start_matches("MAILLAGE__MEDIA__") {
                "BACKEND" => media.backend = maillage_config::MediaBackend::S3,
                "S3__ENDPOINT" => media.s3.endpoint = value,
                "S3__BUCKET" => media.s3.bucket = value,
                "S3__REGION" => media.s3.region = value,
                "S3__ACCESS_KEY_ID" => media.s3.access_key_id = value,
                "S3__SECRET_ACCESS_KEY" => media.s3.secret_access_key = value,
                other => panic!("an S3 setting this helper does not know: {other}"),
            }
        }
    }))
    .await?;
    b.cli_with_input(&["admin", "user", "create", "luc"], &format!("{PASSWORD}\n")).await?;
    let luc = login(&b, "luc").await?;
    let search = format!("/api/v2/search?q=@coop@{}&resolve=true", a.domain);
    let (_, found) = call(&b, Method::GET, &search, Some(&luc), None).await?;
    let coop_on_b = found["accounts"][0]["id"].as_str().unwrap_or_else(|| panic!("{found}")).to_string();
    call(&b, Method::POST, &format!("/api/v1/accounts/{coop_on_b}/follow"), Some(&luc), None).await?;
    let coop_followers = format!("{}/followers", a.actor_id("coop"));
    eventually(20, "luc follows coop", || async { Ok(!a.collection_items(&coop_followers).await?.is_empty()) }).await?;
    Ok((b, luc))
}

/// The store key of one of our `/media/{key}` URLs.
fn key_of(url: &str) -> anyhow::Result<maillage_storage::StoreKey> {
    let path = url::Url::parse(url)?.path().to_string();
    Ok(maillage_storage::StoreKey::new(path.trim_start_matches("/media/"))?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_maillage_shows_the_photo_from_its_own_copy() -> anyhow::Result<()> {
    let mut a = instance().await?;
    let marie = login(&a, "marie").await?;
    let (b, luc) = b_follows_coop_on_a(&a).await?;

    let public = coop_posts_a_photo(&a, &marie, "word-public des pommes", "Des pommes", "public").await?;
    let a_url = public["media_attachments"][0]["url"].as_str().unwrap().to_string();
    let (status, _, a_bytes) = bytes_of(get_file(&a, &a_url, None).await?).await?;
    assert_eq!(status, 200);

    let shown = with_photo_on_b(&b, &luc, "word-public").await?;
    let attachment = &shown["media_attachments"][0];
    let b_base = b.url("/media/");
    let url = attachment["url"].as_str().unwrap();
    let preview_url = attachment["preview_url"].as_str().unwrap();
    assert!(url.starts_with(&b_base), "our own URL: {attachment}");
    assert!(preview_url.starts_with(&b_base), "{attachment}");
    assert_eq!(attachment["remote_url"], a_url.as_str(), "the original stays known: {attachment}");
    assert_eq!(attachment["description"], "Des pommes");
    assert_eq!(attachment["type"], "image");
    // The account shows B's images, never an empty string or A's address.
    for field in ["avatar", "header"] {
        let image = shown["account"][field].as_str().unwrap();
        assert!(image.starts_with(b.url("/").trim_end_matches('/')), "{field}: {image}");
    }

    // B serves its own copy, re-processed as an upload: the same picture,
    // in B's store (the S3 bucket or its directory).
    let (status, content_type, b_bytes) = bytes_of(get_file(&b, url, None).await?).await?;
    assert_eq!(status, 200);
    assert_eq!(content_type.as_deref(), Some("image/jpeg"));
    assert_eq!(jpeg_size(&b_bytes), jpeg_size(&a_bytes), "the same dimensions");
    assert_eq!(jpeg_size(&b_bytes), Some((900, 1200)));
    let (status, _, preview) = bytes_of(get_file(&b, preview_url, None).await?).await?;
    assert_eq!(status, 200);
    assert!(jpeg_size(&preview).is_some_and(|(w, h)| w <= 640 && h <= 640), "{:?}", jpeg_size(&preview));
    let store = maillage_storage::MediaStore::open(&b.config.media).await?;
    assert_eq!(store.backend(), b.config.media.backend);
    assert_eq!(store.get(&key_of(url)?).await?, b_bytes, "served from the store");

    // A is gone: B still serves its copy (no reader's request goes to A).
    let usage = b.cli(&["admin", "media", "usage"]).await?;
    assert!(usage.lines().any(|l| l.starts_with("(other servers)\t1\t")), "{usage}");
    a.stop().await?;
    assert_eq!(get_file(&b, url, None).await?.status().as_u16(), 200);

    // Pruned (as after media.remote_cache_days): the row stays, the files go;
    // without A they cannot be had again, and come back once A is there.
    assert_eq!(b.cli(&["admin", "media", "prune"]).await?.lines().count(), 1, "nothing is old enough yet");
    let pruned = b.cli(&["admin", "media", "prune", "--remote-older-than-days", "0"]).await?;
    assert!(pruned.contains("removed 1 cached file(s) of other servers"), "{pruned}");
    let usage = b.cli(&["admin", "media", "usage"]).await?;
    assert!(!usage.contains("(other servers)"), "{usage}");
    for gone in [url, preview_url] {
        let read = store.get(&key_of(gone)?).await;
        assert!(matches!(read, Err(maillage_storage::StoreError::NotFound)), "{gone} removed from the store: {read:?}");
    }
    assert_eq!(get_file(&b, url, None).await?.status().as_u16(), 404);
    let still = on_b(&b, &luc, "word-public").await?.unwrap();
    assert_eq!(still["media_attachments"][0]["url"], url, "still listed, at the same URL");
    a.resume().await?;
    let (status, _, again) = bytes_of(get_file(&b, url, None).await?).await?;
    assert_eq!(status, 200, "fetched again when asked for");
    assert_eq!(jpeg_size(&again), Some((900, 1200)));
    assert_eq!(store.get(&key_of(url)?).await?, again, "in the store again");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_followers_only_photo_is_fetched_signed_as_a_follower_and_served_to_followers_only() -> anyhow::Result<()> {
    let a = instance().await?;
    let marie = login(&a, "marie").await?;
    let (b, luc) = b_follows_coop_on_a(&a).await?;
    b.cli_with_input(&["admin", "user", "create", "zoe"], &format!("{PASSWORD}\n")).await?;
    let zoe = login(&b, "zoe").await?;

    let private = coop_posts_a_photo(&a, &marie, "word-private des poires", "Des poires", "private").await?;
    let a_url = private["media_attachments"][0]["url"].as_str().unwrap().to_string();

    // B copied it (its fetch signed as luc, whom A's audience check lets
    // read it) and serves its copy to luc only.
    let shown = with_photo_on_b(&b, &luc, "word-private").await?;
    assert_eq!(shown["visibility"], "private");
    let url = shown["media_attachments"][0]["url"].as_str().unwrap().to_string();
    assert!(url.starts_with(&b.url("/media/")), "{shown}");
    let (status, content_type, b_bytes) = bytes_of(get_file(&b, &url, Some(&luc)).await?).await?;
    assert_eq!(status, 200, "the follower");
    assert_eq!(content_type.as_deref(), Some("image/jpeg"));
    assert_eq!(jpeg_size(&b_bytes), Some((900, 1200)), "B holds the picture itself");
    assert_eq!(get_file(&b, &url, Some(&zoe)).await?.status().as_u16(), 404, "another member of B");
    assert_eq!(get_file(&b, &url, None).await?.status().as_u16(), 404, "no one");

    // On A: the file to a GET signed by luc (a follower), not unsigned nor
    // signed by zoe (who does not follow coop).
    assert_eq!(b.signed_get("luc", &a_url, "image/*").await?, 200, "signed by a follower");
    assert_eq!(b.signed_get("zoe", &a_url, "image/*").await?, 404, "signed by someone else");
    assert_eq!(get_file(&a, &a_url, None).await?.status().as_u16(), 404, "unsigned");
    Ok(())
}

/// A file server on loopback answering `body` as `content_type` to every
/// request: its base URL and how many requests reached it.
pub(crate) async fn file_server(
    body: Vec<u8>,
    content_type: &'static str,
) -> anyhow::Result<(String, std::sync::Arc<std::sync::atomic::AtomicUsize>)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://127.0.0.1:{}", listener.local_addr()?.port());
    let reached = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = reached.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let mut buf = [0u8; 4096];
            let _ = socket.read(&mut buf).await;
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            let _ = socket.write_all(head.as_bytes()).await;
            let _ = socket.write_all(&body).await;
        }
    });
    Ok((base, reached))
}

/// A public Note of another server with one attachment at `url`, stored as
/// the inbox stores it: the path of our URL for its file.
async fn remote_note_with(instance: &TestInstance, n: u32, url: &str) -> anyhow::Result<String> {
    let note = json!({
        "id": format!("https://other.example/notes/{n}"),
        "type": "Note",
        "attributedTo": "https://other.example/users/ana",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "content": format!("<p>note-{n}</p>"),
        "attachment": [{ "type": "Document", "mediaType": "image/jpeg", "url": url, "name": "Une photo" }],
    });
    let object = maillage_federation::objects::parse_remote_object(&note)?;
    let key = format!("{}/original", object.attachments[0].folder);
    instance.database().await?.store_remote_object(&object).await?;
    Ok(format!("/media/{key}"))
}

fn files_under(instance: &TestInstance) -> usize {
    crate::media::stored_files(instance).len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_we_must_not_fetch_are_never_fetched_nor_stored() -> anyhow::Result<()> {
    // A public instance never contacts private addresses, whatever a post says.
    let (loopback, reached) = file_server(fixture("phone-photo-gps.jpg"), "image/jpeg").await?;
    let public = TestInstance::spawn_with(Box::new(|c| c.instance.domain = "hub.example".into())).await?;
    for (n, url) in [(1, format!("{loopback}/photo.jpg")), (2, "http://10.0.0.1/photo.jpg".to_string())] {
        let path = remote_note_with(&public, n, &url).await?;
        assert_eq!(public.get(&path).await?.status().as_u16(), 404, "{url}");
    }
    let timeline: Value = public.get("/api/v1/timelines/public?remote=true").await?.json().await?;
    let listed = timeline.as_array().unwrap();
    assert_eq!(listed.len(), 2);
    for status in listed {
        let attachment = &status["media_attachments"][0];
        assert_eq!(attachment["type"], "unknown", "refused, listed as such: {attachment}");
        assert!(attachment["url"].as_str().unwrap().starts_with("https://hub.example/media/r/"), "{attachment}");
        assert!(attachment["remote_url"].as_str().is_some());
    }
    assert_eq!(reached.load(std::sync::atomic::Ordering::SeqCst), 0, "no request reached the private address");
    assert_eq!(files_under(&public), 0);

    // A web page sent as image/jpeg, and a file over media.remote_max_bytes: not kept.
    let local = TestInstance::spawn_with(Box::new(|c| c.media.remote_max_bytes = 20_000)).await?;
    let (html, _) = file_server(fixture("not-a-photo.jpg"), "image/jpeg").await?;
    let (big, big_reached) = file_server(fixture("phone-photo-gps.jpg"), "image/jpeg").await?;
    assert!(fixture("phone-photo-gps.jpg").len() > 20_000);
    for (n, url) in [(3, format!("{html}/page.jpg")), (4, format!("{big}/big.jpg"))] {
        let path = remote_note_with(&local, n, &url).await?;
        assert_eq!(local.get(&path).await?.status().as_u16(), 404, "{url}");
        // Refused for good: asking again fetches nothing more.
        assert_eq!(local.get(&path).await?.status().as_u16(), 404, "{url}");
    }
    assert_eq!(big_reached.load(std::sync::atomic::Ordering::SeqCst), 1, "a refused file is not fetched again");
    assert_eq!(files_under(&local), 0, "{:?}", crate::media::stored_files(&local));
    assert!(!local.cli(&["admin", "media", "usage"]).await?.contains("(other servers)"));
    Ok(())
}
