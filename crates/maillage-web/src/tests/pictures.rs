//! An enterprise's logo and banner as files on its profile form (multipart,
//! under the media body limit): shown on its page with its name as alt
//! text, removed, refused in the reader's language with what was typed
//! kept, and refused to a member who does not edit the enterprise.

use axum::http::{StatusCode, header};

use super::media::{GIF, PDF, PHOTO, Part, practice_fields, site};

const SVG: &[u8] = include_bytes!("../../../../tests/fixtures/media/logo-with-script.svg");

async fn ferme(site: &super::TestSite) -> maillage_db::LocalActor {
    site.db().local_actor_by_username("ferme").await.unwrap().unwrap()
}

#[tokio::test]
async fn an_editor_uploads_a_logo_and_a_banner_and_removes_them() {
    let media = tempfile::tempdir().unwrap();
    let site = site(&media, |_| {}).await;
    let (cookies, csrf) = site.session("alice").await;
    // The photo (80 KB) is over the pages' 20 KB limit: the form has the media one.
    let (status, headers, body) = site
        .post_multipart(
            "/workspace/enterprises/ferme",
            &cookies,
            "fr",
            &[
                Part::Text("csrf", &csrf),
                Part::Text("name_fr", "Ferme du Lac"),
                Part::Text("region", "estrie"),
                Part::File("logo_file", "logo.gif", GIF),
                Part::File("banner_file", "banniere.jpg", PHOTO),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert_eq!(headers[header::LOCATION], "/workspace/enterprises/ferme?saved=1");
    let stored = ferme(&site).await;
    let logo = format!("/media/{}", stored.icon_key.as_deref().unwrap());
    let banner = format!("/media/{}", stored.image_key.as_deref().unwrap());
    let (_, _, page) = site.get("/actors/ferme", &[("accept", "text/html")]).await;
    assert!(page.contains(&format!("<img class=\"profile-logo\" src=\"{logo}\" alt=\"Ferme du Lac\"")), "{page}");
    assert!(page.contains(&format!("<img class=\"profile-banner\" src=\"{banner}\" alt=\"Ferme du Lac\"")), "{page}");
    assert_eq!(site.get_with_cookie(&logo, None).await, StatusCode::OK);

    // The form shows them, each with a box to remove it.
    let (_, _, form) = site.get("/workspace/enterprises/ferme", &[("cookie", &cookies)]).await;
    assert!(form.contains("enctype=\"multipart/form-data\""), "{form}");
    assert!(form.contains(&format!("src=\"{logo}\" alt=\"Ferme du Lac\"")), "{form}");
    assert!(form.contains("name=\"logo_remove\"") && form.contains("name=\"banner_file\""), "{form}");

    // Removed: the logo is the default picture again, the banner stays.
    let (status, _, body) = site
        .post_multipart(
            "/workspace/enterprises/ferme",
            &cookies,
            "fr",
            &[
                Part::Text("csrf", &csrf),
                Part::Text("name_fr", "Ferme du Lac"),
                Part::Text("logo_remove", "1"),
                Part::File("logo_file", "", b""),
                Part::File("banner_file", "", b""),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let stored = ferme(&site).await;
    assert_eq!(stored.icon_key, None);
    assert_eq!(stored.image_key.map(|k| format!("/media/{k}")), Some(banner));
    assert_eq!(site.get_with_cookie(&logo, None).await, StatusCode::NOT_FOUND, "the replaced file is deleted");
}

#[tokio::test]
async fn a_refused_picture_is_named_in_the_readers_language_and_the_form_keeps_what_was_typed() {
    let media = tempfile::tempdir().unwrap();
    let site = site(&media, |config| config.media.max_image_bytes = 60_000).await;
    let (cookies, csrf) = site.session("alice").await;
    let cases: [(&str, &str, &[u8], StatusCode, &str); 4] = [
        ("fr", "logo_file", SVG, StatusCode::UNPROCESSABLE_ENTITY, "Le logo n’a pas été accepté"),
        ("en", "logo_file", SVG, StatusCode::UNPROCESSABLE_ENTITY, "The logo was not accepted"),
        (
            "fr",
            "banner_file",
            b"<html>pas une image</html>",
            StatusCode::UNPROCESSABLE_ENTITY,
            "La bannière n’a pas été acceptée",
        ),
        (
            "en",
            "banner_file",
            PHOTO,
            StatusCode::PAYLOAD_TOO_LARGE,
            "The banner was not accepted: it is too large (at most 0.1 MB for a photo",
        ),
    ];
    for (lang, field, bytes, expected, says) in cases {
        let (status, _, body) = site
            .post_multipart(
                "/workspace/enterprises/ferme",
                &cookies,
                lang,
                &[
                    Part::Text("csrf", &csrf),
                    Part::Text("name_fr", "Ferme du Lac (tapé)"),
                    Part::File(field, "image.jpg", bytes),
                ],
            )
            .await;
        assert_eq!(status, expected, "{lang} {field}: {body}");
        assert!(body.contains(says), "{lang} {field}: {body}");
        assert!(body.contains("value=\"Ferme du Lac (tapé)\""), "what was typed is kept: {body}");
        let stored = ferme(&site).await;
        assert_eq!((stored.icon_key, stored.image_key), (None, None), "no picture stored");
    }
    assert_eq!(site.stored_uploads().await, 0);
}

#[tokio::test]
async fn a_member_who_does_not_edit_the_enterprise_cannot_change_its_pictures() {
    let media = tempfile::tempdir().unwrap();
    let site = site(&media, |_| {}).await;
    site.enterprise("cafe", super::profile("Café", "estrie", "nonprofit")).await;
    site.member("bob", "un mot de passe sûr", Some("cafe")).await;
    let (bob, csrf) = site.session("bob").await;
    for parts in [
        vec![Part::Text("csrf", &csrf), Part::Text("name_fr", "Pris"), Part::File("logo_file", "l.gif", GIF)],
        vec![Part::Text("csrf", &csrf), Part::Text("name_fr", "Pris"), Part::Text("logo_remove", "1")],
    ] {
        let (status, _, _) = site.post_multipart("/workspace/enterprises/ferme", &bob, "fr", &parts).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    let stored = ferme(&site).await;
    assert_eq!(stored.icon_key, None);
    assert!(!stored.profile_json.unwrap_or_default().contains("Pris"));
    assert!(std::fs::read_dir(media.path().join("media")).map(|d| d.count() == 0).unwrap_or(true), "nothing stored");
    // A forged token: refused before anything is read into the use case.
    let (alice, _) = site.session("alice").await;
    let parts = [Part::Text("csrf", "forged"), Part::File("logo_file", "l.gif", GIF)];
    let (status, _, _) = site.post_multipart("/workspace/enterprises/ferme", &alice, "fr", &parts).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(ferme(&site).await.icon_key, None);
}

/// Posts an update for `ferme` with one picture, as alice.
async fn update_with_picture(
    site: &super::TestSite,
    (cookies, csrf): &(String, String),
    text: &str,
    alt: &str,
    followers_only: bool,
) -> maillage_db::Media {
    let mut parts = vec![
        Part::Text("csrf", csrf),
        Part::Text("enterprise", "ferme"),
        Part::Text("text", text),
        Part::File("file_1", "photo.jpg", PHOTO),
        Part::Text("alt_1", alt),
    ];
    if followers_only {
        parts.push(Part::Text("followers_only", "true"));
    }
    let (status, _, body) = site.post_multipart("/workspace/updates", cookies, "fr", &parts).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let ferme = ferme(site).await;
    let post = site.db().posts_of(ferme.id, None, 1).await.unwrap().remove(0);
    site.db().media_of_posts(&[post.id]).await.unwrap().remove(0)
}

#[tokio::test]
async fn list_cards_show_a_small_first_picture_and_never_a_followers_only_one() {
    let media = tempfile::tempdir().unwrap();
    let site = site(&media, |_| {}).await;
    site.member("carol", "un mot de passe sûr", None).await;
    let alice = site.session("alice").await;
    let public = update_with_picture(&site, &alice, "Les pommes sont là", "Des pommes dans un panier", false).await;
    let private = update_with_picture(&site, &alice, "Pour nos abonnés", "Réservé aux abonnés", true).await;
    let preview = format!("/media/{}", public.preview_key.as_deref().unwrap());
    let card_image = format!(
        "<img class=\"card-image\" src=\"{preview}\" alt=\"Des pommes dans un panier\" width=\"{}\" height=\"{}\" loading=\"lazy\"",
        public.preview_width.unwrap(),
        public.preview_height.unwrap()
    );
    let (carol, _) = site.session("carol").await;
    for (path, cookie) in [("/", ""), ("/actors/ferme", ""), ("/actors/ferme", carol.as_str())] {
        let (status, _, page) = site.get(path, &[("accept", "text/html"), ("cookie", cookie)]).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains(&card_image), "{path}: {page}");
        assert!(!page.contains(&private.original_key) && !page.contains("Réservé aux abonnés"), "{path}: {page}");
        assert!(!page.contains(private.preview_key.as_deref().unwrap()), "{path}");
    }
}

/// Another server's Note, public or for its followers, with one picture.
fn remote_note_with_picture(
    id: &str,
    in_reply_to: Option<&str>,
    public: bool,
    alt: &str,
    folder: &str,
) -> maillage_db::NewRemoteObject {
    let to = if public {
        "https://www.w3.org/ns/activitystreams#Public"
    } else {
        "https://other.test/actors/coop/followers"
    };
    let raw = serde_json::json!({ "type": "Note", "id": id, "to": [to], "content": "<p>Avec photo</p>", "inReplyTo": in_reply_to });
    let mut note = super::remote_note(id, &raw, "<p>Avec photo</p>", None);
    note.in_reply_to = in_reply_to.map(str::to_string);
    note.attachments = vec![maillage_db::NewRemoteMedia {
        role: maillage_domain::RemoteMediaRole::Attachment,
        kind: Some(maillage_domain::MediaKind::Image),
        remote_url: format!("https://other.test/files/{folder}.jpg"),
        claimed_type: Some("image/jpeg".into()),
        description: Some(alt.into()),
        blurhash: None,
        width: Some(640),
        height: Some(480),
        focus_x: 0,
        focus_y: 0,
        folder: format!("r/{folder}"),
    }];
    note
}

#[tokio::test]
async fn remote_posts_show_their_pictures_from_our_cache_to_readers_who_may_see_them() {
    let site = super::TestSite::new().await;
    site.enterprise("ferme", super::profile("Ferme du Lac", "estrie", "cooperative")).await;
    site.member("alice", "un mot de passe sûr", Some("ferme")).await;
    let folder = "0123456789abcdef0123456789abcdef";
    let note = remote_note_with_picture("https://other.test/notes/1", None, true, "Un vélo cargo", folder);
    site.db().store_remote_object(&note).await.unwrap();
    let (_, _, home) = site.get("/", &[]).await;
    assert!(home.contains(&format!("class=\"card-image\" src=\"/media/r/{folder}/")), "{home}");
    assert!(home.contains("alt=\"Un vélo cargo\""), "{home}");
    assert!(!home.contains("other.test/files"), "never the other server's URL");

    // Replies from another server under our practice: the public one's
    // picture is shown from our cache; the followers-only one is not shown.
    let practice = super::alice_practice(&site, "Un guide").await;
    let reply = remote_note_with_picture(
        "https://other.test/notes/2",
        Some(&practice.ap_id),
        true,
        "Notre bac",
        "11111111111111111111111111111111",
    );
    site.db().store_remote_object(&reply).await.unwrap();
    let hidden = remote_note_with_picture(
        "https://other.test/notes/3",
        Some(&practice.ap_id),
        false,
        "Entre nous",
        "22222222222222222222222222222222",
    );
    site.db().store_remote_object(&hidden).await.unwrap();
    let id = practice.ap_id.rsplit('/').next().unwrap();
    let (status, _, page) = site.get(&format!("/objects/{id}"), &[("accept", "text/html")]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("src=\"/media/r/11111111111111111111111111111111/"), "{page}");
    assert!(page.contains("alt=\"Notre bac\""), "{page}");
    assert!(!page.contains("22222222222222222222222222222222") && !page.contains("Entre nous"), "{page}");
    assert!(!page.contains("other.test/files"), "never the other server's URL");
}

#[tokio::test]
async fn the_practice_edit_form_adds_and_removes_attachments_and_the_article_follows() {
    let media = tempfile::tempdir().unwrap();
    let site = site(&media, |_| {}).await;
    let (alice, csrf) = site.session("alice").await;
    let pdf = PDF;
    let fields = |action: &'static str| practice_fields(&csrf, "Le compost", action);
    let mut parts = fields("publish");
    parts.push(Part::File("file_1", "guide.pdf", pdf));
    parts.push(Part::File("file_2", "bac.jpg", PHOTO));
    parts.push(Part::Text("alt_2", "Un bac en bois"));
    let (status, _, body) = site.post_multipart("/workspace/practices", &alice, "fr", &parts).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let ferme = ferme(&site).await;
    let post = site.db().posts_of(ferme.id, None, 1).await.unwrap().remove(0);
    let before = site.db().media_of_posts(&[post.id]).await.unwrap();
    let id = post.ap_id.rsplit('/').next().unwrap().to_string();
    let edit = format!("/workspace/practices/{id}");
    let (_, _, form) = site.get(&edit, &[("cookie", &alice)]).await;
    assert!(form.contains("enctype=\"multipart/form-data\""), "{form}");
    assert!(form.contains(&format!("name=\"media_2\" value=\"{}\"", before[1].id)), "{form}");

    // A member of another enterprise is refused, and nothing changes.
    site.enterprise("cafe", super::profile("Café", "estrie", "nonprofit")).await;
    site.member("bob", "un mot de passe sûr", Some("cafe")).await;
    let (bob, bob_csrf) = site.session("bob").await;
    let (doc_id, photo_id) = (before[0].id.to_string(), before[1].id.to_string());
    let forged = [
        Part::Text("csrf", &bob_csrf),
        Part::Text("enterprise", "ferme"),
        Part::Text("title", "Pris"),
        Part::Text("summary", "x"),
        Part::Text("body", "x"),
        Part::Text("action", "publish"),
        Part::Text("media_1", &doc_id),
    ];
    let (status, _, _) = site.post_multipart(&edit, &bob, "fr", &forged).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(site.db().media_of_posts(&[post.id]).await.unwrap().len(), 2);

    // Keep the document, leave the photo out, add another photo.
    let mut parts = fields("publish");
    parts.push(Part::Text("media_1", &doc_id));
    parts.push(Part::Text("media_2", &photo_id));
    parts.push(Part::Text("remove_2", "1"));
    parts.push(Part::File("file_3", "tas.jpg", PHOTO));
    parts.push(Part::Text("alt_3", "Un tas de compost mûr"));
    let (status, _, body) = site.post_multipart(&edit, &alice, "fr", &parts).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let after = site.db().media_of_posts(&[post.id]).await.unwrap();
    assert_eq!(after.len(), 2);
    assert_eq!(after[0].id, before[0].id);
    assert_eq!(after[1].description.as_deref(), Some("Un tas de compost mûr"));
    let (_, _, page) = site.get(&format!("/objects/{id}"), &[("accept", "text/html")]).await;
    assert!(page.contains("alt=\"Un tas de compost mûr\"") && !page.contains("Un bac en bois"), "{page}");
    let (_, _, article) = site.get(&format!("/objects/{id}"), &[("accept", "application/activity+json")]).await;
    let article: serde_json::Value = serde_json::from_str(&article).unwrap();
    let names: Vec<&str> =
        article["attachment"].as_array().unwrap().iter().filter_map(|a| a["name"].as_str()).collect();
    assert!(names.contains(&"Un tas de compost mûr") && !names.contains(&"Un bac en bois"), "{article}");
}
