//! A practice's files through our own API (`/api/maillage/v1`): its cover
//! picture (the Article's `image`) and its attachments, federated out and
//! shown by a second instance from its own copy, replaced and deleted with
//! their files; an enterprise's logo and banner as files; and the wrong
//! people refused with nothing stored.

use maillage_tests::{TestInstance, eventually};
use reqwest::Method;
use serde_json::{Value, json};

use crate::api::{call, instance, login, luc_on_b_follows_coop};
use crate::media::fixture;
use crate::media::{get_file, jpeg_size, stored_files, upload};

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

/// Uploads a photo for coop described `alt`: its id.
async fn photo(a: &TestInstance, token: &str, alt: &str) -> anyhow::Result<String> {
    let fields = [("description", alt), ("maillage_as", "coop")];
    let (status, media) =
        upload(a, "v2", token, fixture("phone-photo-gps.jpg"), "IMG_0001.jpg", "image/jpeg", &fields).await?;
    assert_eq!(status, 200, "{media}");
    Ok(media["id"].as_str().unwrap().to_string())
}

async fn document(a: &TestInstance, token: &str) -> anyhow::Result<String> {
    let (status, media) =
        upload(a, "v2", token, PDF.to_vec(), "guide.pdf", "application/pdf", &[("maillage_as", "coop")]).await?;
    assert_eq!(status, 200, "{media}");
    Ok(media["id"].as_str().unwrap().to_string())
}

fn practice(extra: Value) -> Value {
    let mut practice = json!({
        "enterprise": "coop", "title": "Jardin partagé", "summary": "Démarrer un jardin partagé.",
        "body": "## Étapes\n\nTrouver un terrain.", "tags": ["jardin"], "language": "fr",
    });
    practice.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    practice
}

/// Whether a file stored under `url`'s key is still on disk.
fn on_disk(a: &TestInstance, url: &str) -> bool {
    let key = url.split("/media/").nth(1).unwrap_or_else(|| panic!("not a media URL: {url}"));
    stored_files(a).iter().any(|path| path.to_string_lossy().ends_with(key))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_practice_carries_a_cover_and_attachments_replaced_and_deleted_with_their_files() -> anyhow::Result<()> {
    let a = instance().await?;
    let (marie, paul) = (login(&a, "marie").await?, login(&a, "paul").await?);
    let (garden, guide, cover) = (photo(&a, &marie, "Les bacs").await?, document(&a, &marie).await?, {
        photo(&a, &marie, "Le jardin au printemps").await?
    });
    let body = practice(json!({ "media_ids": [garden, guide], "cover_media_id": cover }));
    let (status, created) = call(&a, Method::POST, "/api/maillage/v1/practices", Some(&marie), Some(body)).await?;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_string();
    let uri = created["uri"].as_str().unwrap().to_string();
    assert_eq!(created["cover"]["id"], cover.as_str(), "{created}");
    assert_eq!(created["cover"]["type"], "image");
    assert_eq!(created["cover"]["description"], "Le jardin au printemps");
    assert!(created["cover"]["preview_url"].as_str().unwrap().starts_with(&a.url("/media/m/")));
    let attachments = created["attachments"].as_array().unwrap();
    assert_eq!(attachments.len(), 2, "{created}");
    assert_eq!((attachments[0]["type"].as_str(), attachments[1]["type"].as_str()), (Some("image"), Some("document")));
    assert_eq!(attachments[1]["media_type"], "application/pdf");
    assert!(attachments[1]["size"].as_i64().unwrap() > 0);
    assert_eq!(attachments[0]["description"], "Les bacs");

    // The Article carries the cover as its `image` and the two attachments.
    let article: Value = a.get_activity(&uri).await?.json().await?;
    let image = &article["image"];
    assert_eq!(image["type"], "Image", "{article}");
    assert_eq!(image["mediaType"], "image/jpeg");
    assert_eq!(image["name"], "Le jardin au printemps");
    assert_eq!(image["url"], created["cover"]["url"]);
    assert_eq!((image["width"].as_i64(), image["height"].as_i64()), (Some(900), Some(1200)));
    println!("image as sent: {}", serde_json::to_string_pretty(image)?);
    let attached = article["attachment"].as_array().unwrap();
    assert_eq!(attached.len(), 2, "the cover is not an attachment: {article}");
    assert_eq!(attached[1]["type"], "Document");
    let cover_url = image["url"].as_str().unwrap().to_string();
    let (cover_response, cover_preview) =
        (get_file(&a, &cover_url, None).await?, created["cover"]["preview_url"].as_str().unwrap().to_string());
    assert_eq!(cover_response.status().as_u16(), 200);
    assert_eq!(jpeg_size(&cover_response.bytes().await?), Some((900, 1200)));

    // The practice's page shows the cover at preview size with its alt text.
    let page = a.http.get(&uri).header("accept", "text/html").send().await?.text().await?;
    let preview_path = cover_preview.trim_start_matches(a.url("").trim_end_matches('/'));
    assert!(page.contains("<figure class=\"cover\">"), "{page}");
    assert!(page.contains(&format!("src=\"{preview_path}\" alt=\"Le jardin au printemps\"")), "{page}");
    assert!(page.contains("loading=\"lazy\""));

    // The wrong people: paul (not an editor) cannot change it, even with his
    // own picture, and marie cannot use paul's upload.
    let (status, paul_photo) =
        upload(&a, "v2", &paul, fixture("phone-photo-gps.jpg"), "p.jpg", "image/jpeg", &[]).await?;
    assert_eq!(status, 200, "{paul_photo}");
    let paul_id = paul_photo["id"].as_str().unwrap();
    let path = format!("/api/maillage/v1/practices/{id}");
    let theirs = practice(json!({ "cover_media_id": paul_id }));
    let (status, refused) = call(&a, Method::PUT, &path, Some(&paul), Some(theirs.clone())).await?;
    assert_eq!(status, 403, "{refused}");
    let (status, refused) = call(&a, Method::PUT, &path, Some(&marie), Some(theirs)).await?;
    assert_eq!(status, 422, "{refused}");
    assert!(refused["error"].as_str().unwrap().contains("not one of your uploads"), "{refused}");
    let (status, refused) =
        call(&a, Method::PUT, &path, Some(&marie), Some(practice(json!({ "media_ids": [paul_id] })))).await?;
    assert_eq!(status, 422, "{refused}");
    // A document is no cover, nor is an attachment of the practice itself.
    let (status, refused) =
        call(&a, Method::PUT, &path, Some(&marie), Some(practice(json!({ "cover_media_id": guide })))).await?;
    assert_eq!(status, 422, "{refused}");
    let (status, refused) =
        call(&a, Method::PUT, &path, Some(&marie), Some(practice(json!({ "cover_media_id": garden })))).await?;
    assert_eq!(status, 422, "{refused}");
    let (_, unchanged) = call(&a, Method::GET, &path, None, None).await?;
    assert_eq!(unchanged["cover"]["id"], cover.as_str(), "{unchanged}");
    assert_eq!(unchanged["attachments"].as_array().unwrap().len(), 2);

    // Replacing the cover deletes the old one's files; the attachments stay.
    assert!(on_disk(&a, &cover_url) && on_disk(&a, &cover_preview));
    let new_cover = photo(&a, &marie, "Les récoltes").await?;
    let (status, edited) =
        call(&a, Method::PUT, &path, Some(&marie), Some(practice(json!({ "cover_media_id": new_cover })))).await?;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(edited["cover"]["description"], "Les récoltes");
    assert_eq!(edited["attachments"].as_array().unwrap().len(), 2, "kept: {edited}");
    assert!(!on_disk(&a, &cover_url) && !on_disk(&a, &cover_preview), "the old cover's files are gone");
    assert_eq!(get_file(&a, &cover_url, None).await?.status().as_u16(), 404);
    let article: Value = a.get_activity(&uri).await?.json().await?;
    assert_eq!(article["image"]["name"], "Les récoltes", "{article}");

    // Taking it off deletes it too.
    let second_url = edited["cover"]["url"].as_str().unwrap().to_string();
    let (status, edited) =
        call(&a, Method::PUT, &path, Some(&marie), Some(practice(json!({ "cover_media_id": "" })))).await?;
    assert_eq!(status, 200, "{edited}");
    assert!(edited["cover"].is_null(), "{edited}");
    assert!(!on_disk(&a, &second_url));
    let article: Value = a.get_activity(&uri).await?.json().await?;
    assert!(article.get("image").is_none(), "{article}");

    // Deleting the practice deletes the files of its attachments and cover.
    let third = photo(&a, &marie, "Le compost").await?;
    let (_, edited) =
        call(&a, Method::PUT, &path, Some(&marie), Some(practice(json!({ "cover_media_id": third })))).await?;
    let urls: Vec<String> = std::iter::once(&edited["cover"])
        .chain(edited["attachments"].as_array().unwrap())
        .map(|f| f["url"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(urls.len(), 3);
    assert!(urls.iter().all(|u| on_disk(&a, u)));
    assert_eq!(call(&a, Method::DELETE, &path, Some(&paul), None).await?.0, 403);
    assert!(urls.iter().all(|u| on_disk(&a, u)), "a refused delete keeps them");
    assert_eq!(call(&a, Method::DELETE, &path, Some(&marie), None).await?.0, 204);
    for url in &urls {
        assert!(!on_disk(&a, url), "{url} deleted with the practice");
    }
    // Only paul's own unattached upload is left.
    let left = stored_files(&a);
    assert_eq!(left.len(), 2, "paul's photo and its preview: {left:?}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_maillage_shows_the_cover_from_its_own_copy() -> anyhow::Result<()> {
    let a = instance().await?;
    let marie = login(&a, "marie").await?;
    let (b, luc, _) = luc_on_b_follows_coop(&a).await?;
    let coop_followers = format!("{}/followers", a.actor_id("coop"));
    eventually(20, "luc follows coop", || async { Ok(!a.collection_items(&coop_followers).await?.is_empty()) }).await?;

    let cover = photo(&a, &marie, "Le jardin au printemps").await?;
    let guide = document(&a, &marie).await?;
    let body = practice(json!({ "media_ids": [guide], "cover_media_id": cover }));
    let (status, created) = call(&a, Method::POST, "/api/maillage/v1/practices", Some(&marie), Some(body)).await?;
    assert_eq!(status, 201, "{created}");
    let uri = created["uri"].as_str().unwrap().to_string();
    let a_cover = created["cover"]["url"].as_str().unwrap().to_string();

    // On B (which fetches it by its id) the practice shows its cover first,
    // as Mastodon shows a post's first picture, from B's own copy.
    let search = format!("/api/v2/search?q={uri}&resolve=true");
    let shown = || async {
        let (_, found) = call(&b, Method::GET, &search, Some(&luc), None).await?;
        Ok::<_, anyhow::Error>(
            found["statuses"].as_array().into_iter().flatten().find(|s| s["uri"] == uri.as_str()).cloned(),
        )
    };
    let waited = eventually(20, "B shows the practice with its files", || async {
        Ok(shown().await?.is_some_and(|s| s["media_attachments"].as_array().is_some_and(|m| m.len() == 2)))
    })
    .await;
    if waited.is_err() {
        panic!("{:#}", call(&b, Method::GET, &search, Some(&luc), None).await?.1);
    }
    let status = shown().await?.unwrap();
    let first = &status["media_attachments"][0];
    assert_eq!(first["type"], "image", "{status}");
    assert_eq!(first["description"], "Le jardin au printemps");
    assert_eq!(first["remote_url"], a_cover.as_str());
    let url = first["url"].as_str().unwrap();
    assert!(url.starts_with(&b.url("/media/r/")), "B's own copy: {first}");
    let response = get_file(&b, url, Some(&luc)).await?;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(jpeg_size(&response.bytes().await?), Some((900, 1200)));
    assert_eq!(status["media_attachments"][1]["remote_url"], created["attachments"][0]["url"]);
    Ok(())
}

async fn put_picture(
    a: &TestInstance,
    token: &str,
    slot: &str,
    bytes: Vec<u8>,
    name: &str,
    content_type: &str,
) -> anyhow::Result<(u16, Value)> {
    let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()).mime_str(content_type)?;
    let response = a
        .http
        .put(a.url(&format!("/api/maillage/v1/enterprises/coop/{slot}")))
        .bearer_auth(token)
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await?;
    let status = response.status().as_u16();
    Ok((status, serde_json::from_str(&response.text().await?).unwrap_or(Value::Null)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_enterprises_logo_and_banner_are_set_and_cleared_through_our_api() -> anyhow::Result<()> {
    let a = TestInstance::spawn_with(Box::new(|config| config.media.max_image_bytes = 60_000)).await?;
    crate::api::populate(&a).await?;
    let (marie, paul) = (login(&a, "marie").await?, login(&a, "paul").await?);
    // A picture under the 60 KB limit (its first frame is kept).
    let small = fixture("animated.gif");

    // The wrong member, the wrong file: refused, nothing stored.
    let (status, refused) = put_picture(&a, &paul, "logo", small.clone(), "logo.gif", "image/gif").await?;
    assert_eq!(status, 403, "{refused}");
    let (status, refused) =
        put_picture(&a, &marie, "logo", fixture("logo-with-script.svg"), "logo.svg", "image/svg+xml").await?;
    assert_eq!(status, 422, "{refused}");
    assert!(refused["error"].as_str().unwrap().contains("SVG"), "{refused}");
    let (status, refused) =
        put_picture(&a, &marie, "logo", fixture("not-a-photo.jpg"), "logo.jpg", "image/jpeg").await?;
    assert_eq!(status, 422, "{refused}");
    let (status, refused) =
        put_picture(&a, &marie, "banner", fixture("phone-photo-gps.jpg"), "big.jpg", "image/jpeg").await?;
    assert_eq!(status, 413, "{refused}");
    assert!(refused["error"].as_str().unwrap().contains("60000"), "names the limit: {refused}");
    assert!(stored_files(&a).is_empty(), "{:?}", stored_files(&a));

    // Marie sets the logo: served under /media/p/, the actor's icon.
    let (status, enterprise) = put_picture(&a, &marie, "logo", small.clone(), "logo.gif", "image/gif").await?;
    assert_eq!(status, 200, "{enterprise}");
    let actor: Value = a.get_activity(&a.actor_id("coop")).await?.json().await?;
    let icon = actor["icon"]["url"].as_str().unwrap_or_else(|| panic!("{actor}")).to_string();
    assert!(icon.starts_with(&a.url("/media/p/")), "{actor}");
    assert_eq!(enterprise["profile"]["logoUrl"], icon.as_str(), "{enterprise}");
    assert_eq!(get_file(&a, &icon, None).await?.status().as_u16(), 200);
    let (status, _) = put_picture(&a, &marie, "banner", small.clone(), "banner.gif", "image/gif").await?;
    assert_eq!(status, 200);
    let actor: Value = a.get_activity(&a.actor_id("coop")).await?.json().await?;
    let banner = actor["image"]["url"].as_str().unwrap().to_string();
    assert!(banner.starts_with(&a.url("/media/p/")), "{actor}");

    // Paul cannot clear it; marie can: the file is deleted, the default is back.
    assert_eq!(call(&a, Method::DELETE, "/api/maillage/v1/enterprises/coop/logo", Some(&paul), None).await?.0, 403);
    assert!(on_disk(&a, &icon));
    let (status, cleared) =
        call(&a, Method::DELETE, "/api/maillage/v1/enterprises/coop/logo", Some(&marie), None).await?;
    assert_eq!(status, 200, "{cleared}");
    assert!(!on_disk(&a, &icon), "the old logo is deleted");
    let actor: Value = a.get_activity(&a.actor_id("coop")).await?.json().await?;
    let default = actor["icon"]["url"].as_str().unwrap_or_default();
    assert!(!default.starts_with(&a.url("/media/p/")), "the default picture: {actor}");
    assert!(on_disk(&a, &banner), "the banner stays");
    assert_eq!(call(&a, Method::DELETE, "/api/maillage/v1/enterprises/coop/banner", Some(&marie), None).await?.0, 200);
    assert!(stored_files(&a).is_empty(), "{:?}", stored_files(&a));

    // Documented in the OpenAPI document.
    let (_, openapi) = call(&a, Method::GET, "/api/maillage/v1/openapi.json", None, None).await?;
    for path in ["/api/maillage/v1/enterprises/{handle}/logo", "/api/maillage/v1/enterprises/{handle}/banner"] {
        assert!(openapi["paths"][path]["put"].is_object() && openapi["paths"][path]["delete"].is_object(), "{path}");
    }
    assert!(openapi["components"]["schemas"]["Practice"]["properties"]["cover"].is_object());
    assert!(openapi["components"]["schemas"]["PracticeInput"]["properties"]["cover_media_id"].is_object());
    Ok(())
}
