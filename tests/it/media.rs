//! Media through the client API: uploads (`/api/v1/media`, `/api/v2/media`),
//! alt text and focus, statuses with photos, the files served through the
//! audience check, bad files refused with nothing stored, the limits, and
//! files removed with their post or when never attached.

use maillage_tests::TestInstance;
use reqwest::Method;
use serde_json::{Value, json};

use crate::api::{PASSWORD, call, instance, login, populate, post_status};

/// The bytes of a file of `tests/fixtures/media`.
pub(crate) fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/media").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Uploads `bytes` as `file` (with the client's own idea of its type), as
/// apps do: the HTTP status and the answer.
pub(crate) async fn upload(
    instance: &TestInstance,
    version: &str,
    token: &str,
    bytes: Vec<u8>,
    name: &str,
    content_type: &str,
    fields: &[(&str, &str)],
) -> anyhow::Result<(u16, Value)> {
    let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()).mime_str(content_type)?;
    let mut form = reqwest::multipart::Form::new().part("file", part);
    for (name, value) in fields {
        form = form.text(name.to_string(), value.to_string());
    }
    let response = instance
        .http
        .post(instance.url(&format!("/api/{version}/media")))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await?;
    let status = response.status().as_u16();
    let body = serde_json::from_str(&response.text().await?).unwrap_or(Value::Null);
    crate::entities::assert_conforms(&Method::POST, &format!("/api/{version}/media"), status, &body);
    Ok((status, body))
}

pub(crate) async fn photo(instance: &TestInstance, token: &str, alt: &str) -> anyhow::Result<Value> {
    let (status, media) = upload(
        instance,
        "v2",
        token,
        fixture("phone-photo-gps.jpg"),
        "IMG_0001.jpg",
        "image/jpeg",
        &[("description", alt)],
    )
    .await?;
    assert_eq!(status, 200, "{media}");
    Ok(media)
}

/// Every file under the instance's media directory.
pub(crate) fn stored_files(instance: &TestInstance) -> Vec<std::path::PathBuf> {
    fn walk(dir: &std::path::Path, found: &mut Vec<std::path::PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, found);
            } else {
                found.push(path);
            }
        }
    }
    let mut found = Vec::new();
    walk(std::path::Path::new(&instance.config.media.directory), &mut found);
    found.retain(|p| !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')));
    found
}

/// The width and height a JPEG's frame header declares.
pub(crate) fn jpeg_size(bytes: &[u8]) -> Option<(u16, u16)> {
    let mut at = 2;
    while at + 9 < bytes.len() {
        if bytes[at] != 0xFF {
            return None;
        }
        let marker = bytes[at + 1];
        let length = usize::from(u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]));
        if matches!(marker, 0xC0..=0xC2) {
            let height = u16::from_be_bytes([bytes[at + 5], bytes[at + 6]]);
            let width = u16::from_be_bytes([bytes[at + 7], bytes[at + 8]]);
            return Some((width, height));
        }
        at += 2 + length;
    }
    None
}

pub(crate) async fn get_file(
    instance: &TestInstance,
    url: &str,
    token: Option<&str>,
) -> anyhow::Result<reqwest::Response> {
    let mut request = instance.http.get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    Ok(request.send().await?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_posts_two_photos_with_alt_text_served_upright_and_without_metadata() -> anyhow::Result<()> {
    let a = instance().await?;
    let marie = login(&a, "marie").await?;
    let (_, instance_v2) = call(&a, Method::GET, "/api/v2/instance", None, None).await?;
    assert_eq!(instance_v2["configuration"]["statuses"]["max_media_attachments"], 4);
    let types = &instance_v2["configuration"]["media_attachments"]["supported_mime_types"];
    assert!(types.as_array().unwrap().contains(&json!("image/jpeg")), "{types}");

    let first = photo(&a, &marie, "Des pommes dans un panier").await?;
    assert_eq!(first["type"], "image");
    assert_eq!(first["description"], "Des pommes dans un panier");
    assert!(first["blurhash"].as_str().is_some_and(|b| !b.is_empty()), "{first}");
    assert_eq!(first["remote_url"], Value::Null);
    // The phone's orientation tag is applied: 1200×900 becomes 900×1200.
    assert_eq!(first["meta"]["original"]["width"], 900, "{first}");
    assert_eq!(first["meta"]["original"]["height"], 1200, "{first}");
    assert!(first["meta"]["small"]["width"].as_u64().unwrap() <= 640);
    // The v1 upload, with a focus.
    let (status, second) = upload(
        &a,
        "v1",
        &marie,
        fixture("animated.gif"),
        "anim.gif",
        "image/gif",
        &[("description", "Le logo"), ("focus", "0.5,-0.25")],
    )
    .await?;
    assert_eq!(status, 200, "{second}");
    assert_eq!(second["meta"]["focus"], json!({ "x": 0.5, "y": -0.25 }));

    // Describing after the upload, as apps do once the alt text is typed.
    let id = second["id"].as_str().unwrap();
    let (status, described) = call(
        &a,
        Method::PUT,
        &format!("/api/v1/media/{id}"),
        Some(&marie),
        Some(json!({ "description": "Le logo de la coop", "focus": "0,0" })),
    )
    .await?;
    assert_eq!(status, 200, "{described}");
    assert_eq!(described["description"], "Le logo de la coop");
    let (status, got) = call(&a, Method::GET, &format!("/api/v1/media/{id}"), Some(&marie), None).await?;
    assert_eq!((status, &got["description"]), (200, &json!("Le logo de la coop")));

    // The status carries both, in the order given, as a form like apps send.
    let response = a
        .http
        .post(a.url("/api/v1/statuses"))
        .bearer_auth(&marie)
        .form(&[
            ("status", "Nos pommes"),
            ("media_ids[]", second["id"].as_str().unwrap()),
            ("media_ids[]", first["id"].as_str().unwrap()),
        ])
        .send()
        .await?;
    assert_eq!(response.status().as_u16(), 200);
    let status: Value = response.json().await?;
    let attached = status["media_attachments"].as_array().unwrap();
    assert_eq!(attached.len(), 2, "{status}");
    assert_eq!(attached[0]["description"], "Le logo de la coop");
    assert_eq!(attached[1]["description"], "Des pommes dans un panier");
    // Timelines show them too.
    let (_, timeline) = call(&a, Method::GET, "/api/v1/timelines/home", Some(&marie), None).await?;
    assert_eq!(timeline[0]["media_attachments"].as_array().map(Vec::len), Some(2), "{timeline}");

    // The served photo: upright, without any metadata, not sniffable, cached.
    let url = attached[1]["url"].as_str().unwrap();
    let served = get_file(&a, url, None).await?;
    assert_eq!(served.status().as_u16(), 200);
    assert_eq!(served.headers()["content-type"], "image/jpeg");
    assert_eq!(served.headers()["x-content-type-options"], "nosniff");
    assert!(served.headers()["cache-control"].to_str()?.contains("public"));
    let bytes = served.bytes().await?;
    assert_eq!(jpeg_size(&bytes), Some((900, 1200)), "upright");
    assert!(!bytes.windows(4).any(|w| w == b"Exif"), "no EXIF left");
    assert!(!bytes.windows(2).any(|w| w == [0xFF, 0xE1]), "no APP1 segment");
    let preview = get_file(&a, attached[1]["preview_url"].as_str().unwrap(), None).await?;
    assert_eq!(preview.status().as_u16(), 200);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_files_are_refused_clearly_and_nothing_is_stored() -> anyhow::Result<()> {
    let a = TestInstance::spawn_with(Box::new(|config| {
        config.media.max_image_bytes = 60_000;
        config.media.max_document_bytes = 60_000;
    }))
    .await?;
    populate(&a).await?;
    let marie = login(&a, "marie").await?;
    let cases: Vec<(&str, Vec<u8>, &str, u16, &str)> = vec![
        ("truncated.jpg", fixture("truncated.jpg"), "image/jpeg", 422, "cannot be read"),
        ("bomb-20000.png", fixture("bomb-20000.png"), "image/png", 422, "pixels"),
        ("not-a-photo.jpg", fixture("not-a-photo.jpg"), "image/jpeg", 422, "not a picture"),
        ("logo-with-script.svg", fixture("logo-with-script.svg"), "image/svg+xml", 422, "SVG"),
        ("empty.jpg", Vec::new(), "image/jpeg", 422, "empty"),
        // Over media.max_image_bytes (80 KB against 60 KB): refused by the use case.
        ("phone-photo-gps.jpg", fixture("phone-photo-gps.jpg"), "image/jpeg", 413, "60000"),
        // Over the body limit of the upload routes: refused before it is read.
        ("huge.jpg", vec![0xFF; 400_000], "image/jpeg", 413, "too large"),
    ];
    for (name, bytes, content_type, expected, says) in cases {
        let (status, body) = upload(&a, "v2", &marie, bytes, name, content_type, &[]).await?;
        assert_eq!(status, expected, "{name}: {body}");
        let message = body["error"].as_str().unwrap_or_default();
        assert!(message.contains(says), "{name}: {message:?} should say {says:?}");
    }
    assert!(stored_files(&a).is_empty(), "nothing stored: {:?}", stored_files(&a));
    let usage = a.cli(&["admin", "media", "usage"]).await?;
    assert_eq!(usage.lines().count(), 1, "no row: {usage}");
    // Video is refused by its content too.
    let mut mp4 = vec![0, 0, 0, 0x18];
    mp4.extend_from_slice(b"ftypmp42\0\0\0\0mp42isom");
    mp4.resize(200, 0);
    let (status, body) = upload(&a, "v1", &marie, mp4, "clip.mp4", "video/mp4", &[]).await?;
    assert_eq!(status, 422, "{body}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fifth_picture_another_members_upload_and_an_exceeded_quota_are_refused() -> anyhow::Result<()> {
    let a = instance().await?;
    let (marie, paul) = (login(&a, "marie").await?, login(&a, "paul").await?);
    let mut ids = Vec::new();
    for n in 0..5 {
        let (status, media) =
            upload(&a, "v2", &marie, fixture("animated.gif"), &format!("{n}.gif"), "image/gif", &[]).await?;
        assert_eq!(status, 200, "{media}");
        ids.push(media["id"].as_str().unwrap().to_string());
    }
    let (status, body) = post_status(&a, &marie, json!({ "status": "Cinq", "media_ids": ids })).await?;
    assert_eq!(status, 422, "{body}");
    assert!(body["error"].as_str().unwrap().contains("at most 4"), "{body}");
    let (status, _) = post_status(&a, &marie, json!({ "status": "Quatre", "media_ids": ids[..4] })).await?;
    assert_eq!(status, 200);
    // A picture already on a post cannot go on another.
    let (status, body) = post_status(&a, &marie, json!({ "status": "Encore", "media_ids": [ids[0]] })).await?;
    assert!((400..500).contains(&status), "{status} {body}");

    // Paul cannot see, describe or attach Marie's upload (the fifth, unattached).
    let theirs = &ids[4];
    let (status, _) = call(&a, Method::GET, &format!("/api/v1/media/{theirs}"), Some(&paul), None).await?;
    assert_eq!(status, 404);
    let (status, _) =
        call(&a, Method::PUT, &format!("/api/v1/media/{theirs}"), Some(&paul), Some(json!({ "description": "Volé" })))
            .await?;
    assert_eq!(status, 404);
    let (status, body) = post_status(&a, &paul, json!({ "status": "À moi", "media_ids": [theirs] })).await?;
    assert_eq!(status, 422, "{body}");
    let (_, own) = call(&a, Method::GET, &format!("/api/v1/media/{theirs}"), Some(&marie), None).await?;
    assert_eq!(own["description"], Value::Null, "unchanged");

    // A quota of one byte: nothing more goes in, and the answer names the setting.
    let b = TestInstance::spawn_with(Box::new(|config| config.media.quota_per_member_bytes = 1)).await?;
    populate(&b).await?;
    let marie_b = login(&b, "marie").await?;
    let (status, body) = upload(&b, "v2", &marie_b, fixture("animated.gif"), "a.gif", "image/gif", &[]).await?;
    assert_eq!(status, 413, "{body}");
    assert!(body["error"].as_str().unwrap().contains("media.quota_per_member_bytes"), "{body}");
    assert!(stored_files(&b).is_empty());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_followers_only_photo_is_served_to_followers_and_refused_to_strangers() -> anyhow::Result<()> {
    let a = instance().await?;
    a.cli_with_input(&["admin", "user", "create", "nina"], &format!("{PASSWORD}\n")).await?;
    let (marie, paul, nina) = (login(&a, "marie").await?, login(&a, "paul").await?, login(&a, "nina").await?);
    let (_, coop) = call(&a, Method::GET, "/api/v1/accounts/lookup?acct=coop", None, None).await?;
    let coop_id = coop["id"].as_str().unwrap();
    let (status, _) = call(&a, Method::POST, &format!("/api/v1/accounts/{coop_id}/follow"), Some(&paul), None).await?;
    assert_eq!(status, 200);

    let media = photo(&a, &marie, "Réservé").await?;
    let url = media["url"].as_str().unwrap().to_string();
    // Not attached yet: only its uploader.
    assert_eq!(get_file(&a, &url, Some(&marie)).await?.status().as_u16(), 200);
    assert_eq!(get_file(&a, &url, Some(&paul)).await?.status().as_u16(), 404);
    assert_eq!(get_file(&a, &url, None).await?.status().as_u16(), 404);

    let body = json!({ "status": "Pour nos abonnés", "maillage_as": "coop", "visibility": "private", "media_ids": [media["id"]] });
    let (status, post) = post_status(&a, &marie, body).await?;
    assert_eq!(status, 200, "{post}");
    let url = post["media_attachments"][0]["url"].as_str().unwrap().to_string();
    let follower = get_file(&a, &url, Some(&paul)).await?;
    assert_eq!(follower.status().as_u16(), 200, "a follower sees it");
    assert!(follower.headers()["cache-control"].to_str()?.contains("private"));
    assert_eq!(get_file(&a, &url, Some(&nina)).await?.status().as_u16(), 404, "a stranger does not");
    assert_eq!(get_file(&a, &url, None).await?.status().as_u16(), 404, "nor does anyone signed out");
    assert_eq!(get_file(&a, &url, Some(&marie)).await?.status().as_u16(), 200);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_go_with_their_post_and_uploads_never_attached_are_pruned() -> anyhow::Result<()> {
    let a = instance().await?;
    let marie = login(&a, "marie").await?;
    let media = photo(&a, &marie, "Bientôt supprimée").await?;
    let (status, post) = post_status(&a, &marie, json!({ "status": "Éphémère", "media_ids": [media["id"]] })).await?;
    assert_eq!(status, 200, "{post}");
    assert_eq!(stored_files(&a).len(), 2, "the original and its preview");
    let url = post["media_attachments"][0]["url"].as_str().unwrap().to_string();
    let usage = a.cli(&["admin", "media", "usage"]).await?;
    assert!(usage.lines().any(|l| l.starts_with("marie\t1\t")), "{usage}");

    let id = post["id"].as_str().unwrap();
    let (status, _) = call(&a, Method::DELETE, &format!("/api/v1/statuses/{id}"), Some(&marie), None).await?;
    assert_eq!(status, 200);
    assert!(stored_files(&a).is_empty(), "{:?}", stored_files(&a));
    assert_eq!(get_file(&a, &url, Some(&marie)).await?.status().as_u16(), 404);

    // An upload never attached: kept within media.unattached_hours, then pruned.
    let stale = photo(&a, &marie, "Oubliée").await?;
    assert_eq!(a.cli(&["admin", "media", "prune"]).await?.trim(), "removed 0 unattached upload(s)");
    assert_eq!(stored_files(&a).len(), 2);
    let pruned = a.cli(&["admin", "media", "prune", "--older-than-hours", "0"]).await?;
    assert_eq!(pruned.trim(), "removed 1 unattached upload(s)");
    assert!(stored_files(&a).is_empty());
    let (status, _) =
        call(&a, Method::GET, &format!("/api/v1/media/{}", stale["id"].as_str().unwrap()), Some(&marie), None).await?;
    assert_eq!(status, 404);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_notes_carry_their_attachments_as_mastodon_sends_them_and_edits_the_new_list() -> anyhow::Result<()> {
    let a = instance().await?;
    let marie = login(&a, "marie").await?;
    let (status, logo) = upload(
        &a,
        "v2",
        &marie,
        fixture("animated.gif"),
        "logo.gif",
        "image/gif",
        &[("description", "Le logo"), ("focus", "0.5,-0.25")],
    )
    .await?;
    assert_eq!(status, 200, "{logo}");
    let body = json!({ "status": "Notre logo", "maillage_as": "coop", "media_ids": [logo["id"]] });
    let (status, post) = post_status(&a, &marie, body).await?;
    assert_eq!(status, 200, "{post}");
    let note: Value = a.get_activity(post["uri"].as_str().unwrap()).await?.json().await?;
    let attachment = &note["attachment"][0];
    assert_eq!(attachment["type"], "Image", "{note}");
    assert_eq!(attachment["name"], "Le logo");
    assert_eq!(attachment["width"], 64);
    assert_eq!(attachment["height"], 64);
    assert_eq!(attachment["focalPoint"], json!([0.5, -0.25]));
    assert!(attachment["blurhash"].as_str().is_some_and(|b| !b.is_empty()));
    let media_type = attachment["mediaType"].as_str().unwrap();
    assert!(media_type.starts_with("image/"), "{attachment}");
    // The URL in the Note serves the file, of the type it says.
    let served = get_file(&a, attachment["url"].as_str().unwrap(), None).await?;
    assert_eq!(served.status().as_u16(), 200);
    assert_eq!(served.headers()["content-type"], media_type);
    eprintln!("FEDERATION EXAMPLE {}", serde_json::to_string_pretty(&note["attachment"])?);

    // An edit that adds a photo carries the new list, in order.
    let photo = photo(&a, &marie, "Des pommes").await?;
    let id = post["id"].as_str().unwrap();
    let edit = json!({ "status": "Notre logo et nos pommes", "media_ids": [logo["id"], photo["id"]] });
    let (status, edited) = call(&a, Method::PUT, &format!("/api/v1/statuses/{id}"), Some(&marie), Some(edit)).await?;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(edited["media_attachments"].as_array().map(Vec::len), Some(2));
    let note: Value = a.get_activity(post["uri"].as_str().unwrap()).await?.json().await?;
    let names: Vec<&str> = note["attachment"].as_array().unwrap().iter().map(|a| a["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Le logo", "Des pommes"], "{note}");
    // An edit without media_ids keeps them.
    let edit = json!({ "status": "Texte seulement" });
    let (status, edited) = call(&a, Method::PUT, &format!("/api/v1/statuses/{id}"), Some(&marie), Some(edit)).await?;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(edited["media_attachments"].as_array().map(Vec::len), Some(2));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_posts_an_update_with_photos_and_a_practice_with_a_document() -> anyhow::Result<()> {
    let a = instance().await?;
    let dir = tempfile::tempdir()?;
    let photo = dir.path().join("pommes.jpg");
    std::fs::write(&photo, fixture("phone-photo-gps.jpg"))?;
    let guide = dir.path().join("guide.csv");
    std::fs::write(&guide, "étape,durée\nTrouver un local,2 semaines\n")?;
    let photo = photo.to_string_lossy().into_owned();
    let printed = a
        .cli(&[
            "admin",
            "post",
            "note",
            "--enterprise",
            "coop",
            "--author",
            "marie",
            "--text",
            "Nos pommes",
            "--image",
            &photo,
            "--alt",
            "Des pommes",
            "--image",
            &photo,
        ])
        .await?;
    let url = printed.trim().strip_prefix("published ").unwrap().to_string();
    let note: Value = a.get_activity(&url).await?.json().await?;
    let attachments = note["attachment"].as_array().unwrap();
    assert_eq!(attachments.len(), 2, "{note}");
    assert_eq!(attachments[0]["name"], "Des pommes");
    assert_eq!(attachments[1]["name"], Value::Null);

    let guide = guide.to_string_lossy().into_owned();
    let printed = a
        .cli(&[
            "admin",
            "post",
            "practice",
            "--enterprise",
            "coop",
            "--author",
            "marie",
            "--title",
            "Ouvrir un atelier",
            "--summary",
            "Les étapes",
            "--body",
            "Voir le guide",
            "--attach",
            &guide,
        ])
        .await?;
    let url = printed.trim().strip_prefix("published ").unwrap().to_string();
    let article: Value = a.get_activity(&url).await?.json().await?;
    let document = &article["attachment"][0];
    assert_eq!(document["type"], "Document", "{article}");
    assert_eq!(document["mediaType"], "text/csv");
    assert_eq!(document["name"], "guide.csv");
    let served = get_file(&a, document["url"].as_str().unwrap(), None).await?;
    assert_eq!(served.status().as_u16(), 200);
    assert_eq!(served.headers()["content-disposition"], "attachment; filename=\"guide.csv\"");
    assert_eq!(served.headers()["content-security-policy"], "default-src 'none'; sandbox");
    assert_eq!(served.headers()["x-content-type-options"], "nosniff");

    // A member who does not edit coop cannot attach for it, even through the operator.
    let refused = a
        .cli(&[
            "admin",
            "post",
            "note",
            "--enterprise",
            "coop",
            "--author",
            "paul",
            "--text",
            "Intrus",
            "--image",
            &photo,
        ])
        .await;
    assert!(refused.is_err());
    Ok(())
}
