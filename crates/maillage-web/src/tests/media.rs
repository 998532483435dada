//! The workspace's forms with files (multipart): photos with their alt
//! text on updates, documents on practices, refusals shown on the form
//! with what was typed and uploaded kept, CSRF before any file is stored,
//! the body limit; the post page's pictures and documents; `/media` read
//! with the web session's cookie, and refused to the wrong viewer.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};

use super::TestSite;

pub(super) const PHOTO: &[u8] = include_bytes!("../../../../tests/fixtures/media/phone-photo-gps.jpg");
pub(super) const GIF: &[u8] = include_bytes!("../../../../tests/fixtures/media/animated.gif");
/// A small PDF document.
pub(super) const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

/// The text fields of the practice form of ferme's guide to compost.
pub(super) fn practice_fields<'a>(csrf: &'a str, body: &'a str, action: &'a str) -> Vec<Part<'a>> {
    vec![
        Part::Text("csrf", csrf),
        Part::Text("enterprise", "ferme"),
        Part::Text("title", "Un guide du compost"),
        Part::Text("summary", "Comment composter"),
        Part::Text("body", body),
        Part::Text("action", action),
    ]
}
const NOT_A_PHOTO: &[u8] = include_bytes!("../../../../tests/fixtures/media/not-a-photo.jpg");
const BOUNDARY: &str = "maillage-test-boundary";

/// A site whose media live in `media` (kept by the caller), with a small
/// global body limit that the forms with files must not be held to.
pub(super) async fn site(media: &tempfile::TempDir, tweak: impl FnOnce(&mut maillage_config::Config)) -> TestSite {
    let directory = media.path().join("media").to_string_lossy().into_owned();
    let site = TestSite::with_config(move |config| {
        config.media.directory = directory;
        config.server.max_body_bytes = 20_000;
        tweak(config);
    })
    .await;
    site.enterprise("ferme", super::profile("Ferme du Lac", "estrie", "cooperative")).await;
    site.member("alice", "un mot de passe sûr", Some("ferme")).await;
    site
}

pub(super) enum Part<'a> {
    Text(&'a str, &'a str),
    File(&'a str, &'a str, &'a [u8]),
}

fn multipart(parts: &[Part<'_>]) -> Vec<u8> {
    let mut body = Vec::new();
    for part in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match part {
            Part::Text(name, value) => {
                body.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes());
                body.extend_from_slice(value.as_bytes());
            }
            Part::File(name, file_name, bytes) => {
                body.extend_from_slice(
                    format!(
                        "Content-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\n\
                         Content-Type: application/octet-stream\r\n\r\n"
                    )
                    .as_bytes(),
                );
                body.extend_from_slice(bytes);
            }
        }
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

impl TestSite {
    pub(super) async fn post_multipart(
        &self,
        uri: &str,
        cookie: &str,
        lang: &str,
        parts: &[Part<'_>],
    ) -> (StatusCode, axum::http::HeaderMap, String) {
        let request = Request::post(uri)
            .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={BOUNDARY}"))
            .header(header::COOKIE, cookie)
            .header(header::ACCEPT_LANGUAGE, lang)
            .body(Body::from(multipart(parts)))
            .unwrap();
        let response = self.send(request).await;
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 22).await.unwrap();
        (status, headers, String::from_utf8(bytes.to_vec()).unwrap())
    }

    pub(super) async fn stored_uploads(&self) -> i64 {
        self.db().media_usage().await.unwrap().iter().map(|u| u.files).sum()
    }

    /// The latest post of `ferme` and its files.
    async fn latest_of_ferme(&self) -> Option<(maillage_db::Post, Vec<maillage_db::Media>)> {
        let ferme = self.db().local_actor_by_username("ferme").await.unwrap().unwrap();
        let post = self.db().posts_of(ferme.id, None, 1).await.unwrap().into_iter().next()?;
        let media = self.db().media_of_posts(&[post.id]).await.unwrap();
        Some((post, media))
    }

    pub(super) async fn get_with_cookie(&self, uri: &str, cookie: Option<&str>) -> StatusCode {
        let mut request = Request::get(uri);
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        self.send(request.body(Body::empty()).unwrap()).await.status()
    }
}

/// The id of the kept upload in slot `n` of a form shown again.
fn kept_id(html: &str, n: usize) -> Option<String> {
    let marker = format!("name=\"media_{n}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    Some(html[start..].split('"').next()?.to_string())
}

#[tokio::test]
async fn an_update_with_a_photo_and_its_alt_text_is_posted_and_its_page_shows_it() {
    let media = tempfile::tempdir().unwrap();
    let site = site(&media, |_| {}).await;
    let (cookies, csrf) = site.session("alice").await;
    // 80 KB: over the global limit of 20 KB, within the forms' media limit.
    let (status, headers, body) = site
        .post_multipart(
            "/workspace/updates",
            &cookies,
            "fr",
            &[
                Part::Text("csrf", &csrf),
                Part::Text("enterprise", "ferme"),
                Part::Text("text", "Les pommes sont là"),
                Part::File("file_1", "IMG_0001.jpg", PHOTO),
                Part::Text("alt_1", "Des pommes dans un panier"),
                Part::File("file_2", "", b""),
                Part::Text("alt_2", ""),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert_eq!(headers[header::LOCATION], "/workspace?done=update");
    let (post, files) = site.latest_of_ferme().await.unwrap();
    assert_eq!(files.len(), 1, "the empty file input is no file");
    assert_eq!(files[0].description.as_deref(), Some("Des pommes dans un panier"));

    let id = post.ap_id.rsplit('/').next().unwrap();
    let (status, _, page) = site.get(&format!("/objects/{id}"), &[("accept", "text/html")]).await;
    assert_eq!(status, StatusCode::OK);
    let preview = files[0].preview_key.as_deref().unwrap();
    assert!(
        page.contains(&format!(
            "<a href=\"/media/{}\"><img src=\"/media/{preview}\" alt=\"Des pommes dans un panier\" width=\"480\" height=\"640\" loading=\"lazy\"",
            files[0].original_key
        )),
        "{page}"
    );
    assert_eq!(site.get_with_cookie(&format!("/media/{preview}"), None).await, StatusCode::OK, "a public post's file");
}

#[tokio::test]
async fn a_photo_without_alt_text_is_kept_and_the_form_shown_again_in_the_readers_language() {
    let media = tempfile::tempdir().unwrap();
    let site = site(&media, |_| {}).await;
    let (cookies, csrf) = site.session("alice").await;
    for (lang, says) in [("fr", "Décrivez la photo 1"), ("en", "Describe photo 1")] {
        let (status, _, body) = site
            .post_multipart(
                "/workspace/updates",
                &cookies,
                lang,
                &[
                    Part::Text("csrf", &csrf),
                    Part::Text("enterprise", "ferme"),
                    Part::Text("text", "Sans description"),
                    Part::File("file_1", "IMG_0002.jpg", PHOTO),
                    Part::Text("alt_1", "  "),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(body.contains(says), "{lang}: {body}");
        assert!(body.contains(">Sans description</textarea>"), "the text is kept");
        assert!(body.contains("class=\"thumbnail\" src=\"/media/m/"), "the photo is kept: {body}");
        assert!(site.latest_of_ferme().await.is_none(), "nothing posted");
    }
    // Sent again with its description: the kept photo is posted, not a new upload.
    let (_, _, body) = site
        .post_multipart(
            "/workspace/updates",
            &cookies,
            "fr",
            &[
                Part::Text("csrf", &csrf),
                Part::Text("enterprise", "ferme"),
                Part::Text("text", "Sans description"),
                Part::File("file_1", "IMG_0002.jpg", PHOTO),
            ],
        )
        .await;
    let kept = kept_id(&body, 1).unwrap();
    let before = site.stored_uploads().await;
    let (status, _, body) = site
        .post_multipart(
            "/workspace/updates",
            &cookies,
            "fr",
            &[
                Part::Text("csrf", &csrf),
                Part::Text("enterprise", "ferme"),
                Part::Text("text", "Avec description"),
                Part::Text("media_1", &kept),
                Part::Text("alt_1", "Un verger en automne"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert_eq!(site.stored_uploads().await, before, "no new upload");
    let (_, files) = site.latest_of_ferme().await.unwrap();
    assert_eq!(
        files.iter().map(|f| (f.id.to_string(), f.description.clone())).collect::<Vec<_>>(),
        vec![(kept, Some("Un verger en automne".to_string()))]
    );
}

#[tokio::test]
async fn refused_files_are_named_on_the_form_and_nothing_is_posted() {
    let media = tempfile::tempdir().unwrap();
    let site = site(&media, |config| config.media.max_image_bytes = 60_000).await;
    let (cookies, csrf) = site.session("alice").await;
    let post = |lang: &'static str, file: &'static str, bytes: &'static [u8]| {
        let site = &site;
        let (cookies, csrf) = (cookies.clone(), csrf.clone());
        async move {
            site.post_multipart(
                "/workspace/updates",
                &cookies,
                lang,
                &[
                    Part::Text("csrf", &csrf),
                    Part::Text("enterprise", "ferme"),
                    Part::Text("text", "Gardé"),
                    Part::File("file_1", file, bytes),
                    Part::Text("alt_1", "Une description"),
                ],
            )
            .await
        }
    };
    let (status, _, body) = post("fr", "page.jpg", NOT_A_PHOTO).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("Le fichier « page.jpg » n’a pas été accepté"), "{body}");
    assert!(body.contains(">Gardé</textarea>"));
    // 80 KB against 60 KB: the limit is named in the reader's language.
    let (status, _, body) = post("en", "big.jpg", PHOTO).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        body.contains("The file “big.jpg” was not accepted: it is too large (at most 0.1 MB for a photo"),
        "{body}"
    );
    assert_eq!(site.stored_uploads().await, 0, "nothing stored");
    assert!(site.latest_of_ferme().await.is_none());

    // A fifth file where four are allowed: the post is refused, the five kept.
    let mut parts = vec![Part::Text("csrf", &csrf), Part::Text("enterprise", "ferme"), Part::Text("text", "Cinq")];
    let names: Vec<(String, String)> = (1..=5).map(|n| (format!("file_{n}"), format!("alt_{n}"))).collect();
    for (file, alt) in &names {
        parts.push(Part::File(file, "logo.gif", GIF));
        parts.push(Part::Text(alt, "Le logo"));
    }
    let (status, _, body) = site.post_multipart("/workspace/updates", &cookies, "fr", &parts).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("at most 4"), "{body}");
    assert!(kept_id(&body, 5).is_some(), "the five are kept to choose from");
    assert!(site.latest_of_ferme().await.is_none());
}

#[tokio::test]
async fn a_form_with_files_checks_its_csrf_token_before_storing_any() {
    let media = tempfile::tempdir().unwrap();
    let site = site(&media, |_| {}).await;
    let (cookies, csrf) = site.session("alice").await;
    let forged = [
        Part::Text("csrf", "forged"),
        Part::Text("enterprise", "ferme"),
        Part::Text("text", "Forgé"),
        Part::File("file_1", "a.jpg", PHOTO),
        Part::Text("alt_1", "x"),
    ];
    let (status, _, _) = site.post_multipart("/workspace/updates", &cookies, "fr", &forged).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The file before the token: refused too, before it is stored.
    let early = [
        Part::File("file_1", "a.jpg", PHOTO),
        Part::Text("alt_1", "x"),
        Part::Text("csrf", &csrf),
        Part::Text("enterprise", "ferme"),
        Part::Text("text", "Tôt"),
    ];
    let (status, _, _) = site.post_multipart("/workspace/updates", &cookies, "fr", &early).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = site.post_multipart("/workspace/practices", &cookies, "fr", &forged).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(site.stored_uploads().await, 0);
    assert!(site.latest_of_ferme().await.is_none());
    // Signed out: the login page, nothing stored.
    let (status, _, _) = site.post_multipart("/workspace/updates", "", "fr", &forged).await;
    assert!(
        status.is_redirection() || status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN,
        "{status}"
    );
    assert_eq!(site.stored_uploads().await, 0);
}

#[tokio::test]
async fn a_practice_carries_a_document_offered_for_download_and_a_photo() {
    let media = tempfile::tempdir().unwrap();
    let site = site(&media, |_| {}).await;
    let (cookies, csrf) = site.session("alice").await;
    let pdf = PDF;
    let fields = |action: &'static str| practice_fields(&csrf, "Le **compost** en trois étapes", action);
    // A preview keeps the files for the publication that follows.
    let mut parts = fields("preview");
    parts.push(Part::File("file_1", "guide-compost.pdf", pdf));
    parts.push(Part::Text("alt_1", ""));
    let (status, _, body) = site.post_multipart("/workspace/practices", &cookies, "fr", &parts).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("<strong>compost</strong>"), "the preview");
    let document = kept_id(&body, 1).unwrap();
    assert!(body.contains("guide-compost.pdf"), "{body}");

    let mut parts = fields("publish");
    parts.push(Part::Text("media_1", &document));
    parts.push(Part::File("file_2", "bac.jpg", PHOTO));
    parts.push(Part::Text("alt_2", "Un bac à compost en bois"));
    let (status, headers, body) = site.post_multipart("/workspace/practices", &cookies, "fr", &parts).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert_eq!(headers[header::LOCATION], "/workspace?done=practice");
    let (post, files) = site.latest_of_ferme().await.unwrap();
    assert_eq!(files.len(), 2);
    let id = post.ap_id.rsplit('/').next().unwrap();
    let (_, _, page) = site.get(&format!("/objects/{id}"), &[("accept", "text/html"), ("accept-language", "fr")]).await;
    assert!(
        page.contains(&format!(
            "<a href=\"/media/{}\" download>guide-compost.pdf (1 Ko, téléchargement)</a>",
            files[0].original_key
        )),
        "{page}"
    );
    assert!(page.contains("alt=\"Un bac à compost en bois\""), "{page}");
    let request = Request::get(format!("/media/{}", files[0].original_key)).body(Body::empty()).unwrap();
    let response = site.send(request).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()[header::CONTENT_DISPOSITION].to_str().unwrap().starts_with("attachment"));
}

#[tokio::test]
async fn followers_only_photos_are_served_to_signed_in_followers_and_to_nobody_else() {
    let media = tempfile::tempdir().unwrap();
    let site = site(&media, |_| {}).await;
    site.member("bob", "un mot de passe sûr", None).await;
    site.member("carol", "un mot de passe sûr", None).await;
    let ferme = site.db().local_actor_by_username("ferme").await.unwrap().unwrap();
    let bob = site.db().local_actor_by_username("bob").await.unwrap().unwrap();
    let followed = maillage_app::follows::Followed::Here(Box::new(ferme));
    maillage_app::follows::follow(&site.state.app, &bob, &followed).await.unwrap();

    let (alice, csrf) = site.session("alice").await;
    let (status, _, body) = site
        .post_multipart(
            "/workspace/updates",
            &alice,
            "fr",
            &[
                Part::Text("csrf", &csrf),
                Part::Text("enterprise", "ferme"),
                Part::Text("text", "Pour nos abonnés"),
                Part::Text("followers_only", "true"),
                Part::File("file_1", "IMG.jpg", PHOTO),
                Part::Text("alt_1", "Réservé aux abonnés"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let (post, files) = site.latest_of_ferme().await.unwrap();
    let file = format!("/media/{}", files[0].preview_key.as_deref().unwrap());
    let (bob_cookie, _) = site.session("bob").await;
    let (carol_cookie, _) = site.session("carol").await;
    assert_eq!(site.get_with_cookie(&file, Some(&bob_cookie)).await, StatusCode::OK, "a follower's session");
    assert_eq!(site.get_with_cookie(&file, Some(&alice)).await, StatusCode::OK, "its author's");
    assert_eq!(site.get_with_cookie(&file, Some(&carol_cookie)).await, StatusCode::NOT_FOUND, "a stranger's");
    assert_eq!(site.get_with_cookie(&file, None).await, StatusCode::NOT_FOUND, "signed out");
    assert_eq!(
        site.get_with_cookie(&file, Some("maillage_session=not-a-session-token")).await,
        StatusCode::NOT_FOUND,
        "a stale cookie"
    );
    // The page shows the photo to the follower only.
    let id = post.ap_id.rsplit('/').next().unwrap();
    let (_, _, page) = site.get(&format!("/objects/{id}"), &[("accept", "text/html"), ("cookie", &bob_cookie)]).await;
    assert!(page.contains(&format!("src=\"{file}\"")), "{page}");
    let (status, _, _) =
        site.get(&format!("/objects/{id}"), &[("accept", "text/html"), ("cookie", &carol_cookie)]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
