//! An enterprise's logo and banner as files on its profile form (multipart,
//! under the media body limit): shown on its page with its name as alt
//! text, removed, refused in the reader's language with what was typed
//! kept, and refused to a member who does not edit the enterprise.

use axum::http::{StatusCode, header};

use super::media::{GIF, PHOTO, Part, site};

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
