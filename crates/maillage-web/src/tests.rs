//! Page tests without a socket, on the backend under test: status codes,
//! language negotiation, content negotiation, escaping of hostile remote
//! data, CSRF and sessions, feeds.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::response::Response;
use maillage_config::Config;
use maillage_db::testing::TestDatabase;
use maillage_db::{Database, NewRemoteActor};
use maillage_domain::{EnterpriseProfile, PostKind};
use maillage_federation::content::{NoteDraft, PracticeDraft};
use maillage_http::AppState;
use tower::ServiceExt;

struct TestSite {
    _db: TestDatabase,
    state: AppState,
}

impl TestSite {
    async fn new() -> Self {
        Self::with_config(|_| {}).await
    }

    async fn with_config(tweak: impl FnOnce(&mut Config)) -> Self {
        let (test_db, app) = maillage_app::testing::test_app(tweak).await;
        let limits = Arc::new(maillage_http::limits::RateLimits::new(&app.config().limits));
        TestSite { _db: test_db, state: AppState::new(app, limits) }
    }

    fn db(&self) -> &Database {
        self.state.db()
    }

    async fn send(&self, request: Request<Body>) -> Response {
        let router = maillage_http::router_with_pages(self.state.clone(), crate::pages(self.state.clone()));
        router.oneshot(request).await.unwrap()
    }

    async fn get(&self, uri: &str, headers: &[(&str, &str)]) -> (StatusCode, axum::http::HeaderMap, String) {
        let mut request = Request::get(uri);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = self.send(request.body(Body::empty()).unwrap()).await;
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 22).await.unwrap();
        (status, headers, String::from_utf8(bytes.to_vec()).unwrap())
    }

    async fn post_form(
        &self,
        uri: &str,
        cookie: &str,
        form: &[(&str, &str)],
    ) -> (StatusCode, axum::http::HeaderMap, String) {
        self.post_form_from("192.0.2.1", uri, cookie, form).await
    }

    /// A form posted over a connection from `peer`.
    async fn post_form_from(
        &self,
        peer: &str,
        uri: &str,
        cookie: &str,
        form: &[(&str, &str)],
    ) -> (StatusCode, axum::http::HeaderMap, String) {
        let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
        let mut request = Request::post(uri)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, cookie)
            .body(Body::from(body))
            .unwrap();
        let peer = std::net::SocketAddr::new(peer.parse().unwrap(), 40_000);
        request.extensions_mut().insert(axum::extract::ConnectInfo(peer));
        let response = self.send(request).await;
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 22).await.unwrap();
        (status, headers, String::from_utf8(bytes.to_vec()).unwrap())
    }

    async fn enterprise(&self, handle: &str, profile: EnterpriseProfile) {
        let operator = maillage_app::Acting::Operator;
        let actor = maillage_app::enterprises::create(&self.state.app, &operator, handle, handle, "").await.unwrap();
        let name = profile.name().unwrap_or(handle).to_string();
        let json = serde_json::to_string(&profile).unwrap();
        self.db().update_local_profile(actor.id, &name, "", &json, None, &[]).await.unwrap();
    }

    async fn member(&self, username: &str, password: &str, editor_of: Option<&str>) {
        self.user(username, password, false, editor_of).await;
    }

    async fn user(&self, username: &str, password: &str, is_admin: bool, editor_of: Option<&str>) {
        let account = maillage_app::users::NewAccount {
            username: username.into(),
            email: None,
            password: password.into(),
            admin: is_admin,
        };
        let operator = maillage_app::Acting::Operator;
        let member = maillage_app::users::create_user(&self.state.app, &operator, account).await.unwrap();
        if let Some(handle) = editor_of {
            let enterprise = self.db().local_actor_by_username(handle).await.unwrap().unwrap();
            self.db().add_editor(enterprise.id, member.id, "editor").await.unwrap();
        }
    }
}

impl TestSite {
    /// Cookies of a logged-in session of `username` (and its CSRF token).
    async fn session(&self, username: &str) -> (String, String) {
        let account = self.db().account_for_login(username).await.unwrap().unwrap();
        let token = format!("session-of-{username}-0123456789");
        let hash = maillage_http::api::auth::hash_secret(&token);
        self.db().create_token(&hash, None, Some(account.user_id), "read write follow").await.unwrap();
        let csrf = "c".repeat(43);
        (format!("maillage_session={token}; maillage_csrf={csrf}"), csrf)
    }
}

/// A practice of `ferme` by its editor `alice`, titled `title`.
async fn alice_practice(site: &TestSite, title: &str) -> maillage_db::Post {
    let draft = PracticeDraft {
        enterprise: "ferme".into(),
        author: "alice".into(),
        title: title.into(),
        summary: "Résumé".into(),
        body_markdown: "Texte".into(),
        tags: vec![],
        licence: None,
        adapted_from: None,
        language: "fr".into(),
    };
    maillage_app::posts::publish_practice(&site.state.app, &maillage_app::Acting::Operator, &draft).await.unwrap()
}

/// A remote actor as cached from another server (an enterprise when it has a profile).
async fn remote_actor(site: &TestSite, id: &str, actor_type: &str, profile: Option<&EnterpriseProfile>) -> i64 {
    site.db()
        .upsert_remote_actor(&NewRemoteActor {
            display_name: profile.and_then(|p| p.name().map(str::to_string)),
            profile_json: profile.map(|p| serde_json::to_string(p).unwrap()),
            ..maillage_db::testing::remote_actor(id, actor_type)
        })
        .await
        .unwrap()
        .id
}

/// Our hub follows the remote hub `hub_id` (accepted).
async fn follow_hub(site: &TestSite, hub_id: i64) {
    let hub = site.db().local_actor_of_kind(maillage_domain::ActorKind::Hub).await.unwrap().unwrap();
    let follow_id = format!("https://hub.test/activities/follow-{hub_id}");
    let record = maillage_db::FollowRecord {
        local_actor_id: hub.id,
        remote_actor_id: hub_id,
        direction: maillage_db::Direction::Outgoing,
        state: maillage_db::FollowState::Accepted,
        follow_ap_id: &follow_id,
        follow_json: "{}",
    };
    site.db().save_follow(&record, None).await.unwrap();
}

/// Remote enterprises (`(id, name)`), all listed by the remote hub `hub`
/// (on their server), which our hub follows.
async fn listed_enterprises(site: &TestSite, hub: &str, enterprises: &[(&str, &str)]) -> i64 {
    let hub_id = remote_actor(site, hub, "Group", None).await;
    follow_hub(site, hub_id).await;
    for (id, name) in enterprises {
        let profile = EnterpriseProfile { name_fr: Some((*name).into()), ..EnterpriseProfile::default() };
        let enterprise = remote_actor(site, id, "Organization", Some(&profile)).await;
        site.db().add_directory_listing(enterprise, hub_id, maillage_db::ListingSource::Announce).await.unwrap();
    }
    hub_id
}

/// The names in `/api/maillage/v1/enterprises?scope=network`.
async fn network_api_names(site: &TestSite) -> Vec<String> {
    let (status, _, body) = site.get("/api/maillage/v1/enterprises?scope=network", &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let list: Vec<serde_json::Value> = serde_json::from_str(&body).unwrap();
    list.iter().map(|e| e["name"].as_str().unwrap_or_default().to_string()).collect()
}

fn profile(name_fr: &str, region: &str, legal_form: &str) -> EnterpriseProfile {
    EnterpriseProfile {
        name_fr: Some(name_fr.into()),
        summary_fr: Some(format!("{name_fr} en région")),
        region: Some(region.into()),
        legal_form: Some(legal_form.into()),
        ..EnterpriseProfile::default()
    }
}

/// A remote Note as stored from another server (`to` decides who may see it).
fn remote_note(id: &str, raw: &serde_json::Value, html: &str, url: Option<&str>) -> maillage_db::NewRemoteObject {
    maillage_db::NewRemoteObject {
        ap_id: id.into(),
        kind: "Note".into(),
        attributed_to: Some("https://other.test/actors/coop".into()),
        name: None,
        summary: None,
        content_html: Some(html.into()),
        url: url.map(str::to_string),
        in_reply_to: None,
        language: Some("fr".into()),
        published: None,
        updated: None,
        raw_json: raw.to_string(),
        addressing: maillage_federation::objects::addressing_of(raw),
        hashtags: Vec::new(),
        attachments: Vec::new(),
    }
}

fn set_cookies(headers: &axum::http::HeaderMap) -> Vec<String> {
    headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string())
        .collect()
}

fn csrf_field(html: &str) -> String {
    let start = html.find("name=\"csrf\" value=\"").expect("a form with a CSRF field") + 19;
    html[start..].split('"').next().unwrap().to_string()
}

#[tokio::test]
async fn every_public_page_answers_in_both_languages_with_security_headers() {
    let site = TestSite::new().await;
    site.enterprise("ferme", profile("Ferme du Lac", "estrie", "cooperative")).await;
    for uri in ["/", "/directory", "/practices", "/tags/compost", "/login", "/actors/ferme", "/actors/hub"] {
        let (status, headers, html) = site.get(uri, &[("accept-language", "en-CA,en;q=0.9")]).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
        assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"), "{uri}");
        assert_eq!(headers[header::CONTENT_LANGUAGE], "en", "{uri}");
        let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{uri}: {csp}");
        assert_eq!(headers[header::X_FRAME_OPTIONS], "DENY");
        assert!(!html.contains("<script>"), "{uri} has an inline script");
        let (_, _, french) = site.get(uri, &[]).await;
        assert!(french.contains("<html lang=\"fr\">"), "{uri}");
        assert!(french.contains("Aller au contenu"), "{uri}");
    }
}

#[tokio::test]
async fn the_language_switch_is_remembered() {
    let site = TestSite::new().await;
    let (_, headers, html) = site.get("/directory?region=estrie&lang=en", &[]).await;
    assert!(html.contains("Network directory"));
    assert!(set_cookies(&headers).contains(&"lang=en".to_string()));
    // The switcher keeps the query and flips the language.
    assert!(html.contains("href=\"/directory?region=estrie&#38;lang=fr\""), "{html}");
    let (_, _, html) = site.get("/directory", &[("cookie", "lang=en"), ("accept-language", "fr")]).await;
    assert!(html.contains("Network directory"));
}

#[tokio::test]
async fn the_directory_searches_filters_and_counts() {
    let site = TestSite::new().await;
    site.enterprise("ferme", profile("Ferme coopérative du Lac", "estrie", "cooperative")).await;
    site.enterprise("cafe", profile("Café solidaire", "estrie", "nonprofit")).await;
    site.enterprise("atelier", profile("Atelier vélo", "montreal", "cooperative")).await;
    // Words match names, summaries and labels, without case or accents.
    let (status, _, html) = site.get("/directory?q=COOPERATIVE+lac", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Ferme coopérative du Lac") && !html.contains("Atelier vélo"), "{html}");
    let (_, _, html) = site.get("/directory?q=cooperative", &[]).await;
    assert!(html.contains("Atelier vélo") && !html.contains("Café solidaire"), "{html}");
    let (_, _, html) = site.get("/directory?region=estrie&legal_form=cooperative&lang=en", &[]).await;
    assert!(html.contains("1 enterprise"), "{html}");
    assert!(html.contains("Ferme coopérative du Lac") && !html.contains("Café solidaire"));
    // The region facet counts what the legal form leaves: Estrie 1, Montréal 1.
    assert!(html.contains("href=\"/directory?legal_form=cooperative\" aria-current=\"true\""), "{html}");
    assert!(
        html.contains(
            "href=\"/directory?region=montreal&#38;legal_form=cooperative\">Montreal <span class=\"count\">(1)</span>"
        ),
        "{html}"
    );
    let (status, _, html) = site.get("/directory?region=atlantis", &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("region"));
    let (status, _, _) = site.get("/directory?page=abc", &[]).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn the_map_gets_every_position_the_query_finds_and_frames_the_region() {
    let site = TestSite::new().await;
    // More Estrie enterprises than a page holds, one in Montréal, one without a position.
    let count = crate::directory::PAGE_SIZE + 2;
    for i in 0..count {
        let mut p = profile(&format!("Coop estrienne {i:02}"), "estrie", "cooperative");
        p.latitude = Some(45.40 + i as f64 * 0.001);
        p.longitude = Some(-71.89);
        site.enterprise(&format!("estrie{i:02}"), p).await;
    }
    let mut montreal = profile("Atelier vélo", "montreal", "cooperative");
    (montreal.latitude, montreal.longitude) = (Some(45.50), Some(-73.57));
    site.enterprise("atelier", montreal).await;
    site.enterprise("nowhere", profile("Coop sans adresse", "estrie", "cooperative")).await;

    let (status, headers, html) = site.get("/directory?region=Estrie", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("data-points=\"/directory/map.json?region=estrie\""), "{html}");
    assert!(html.contains("data-bounds=\"45,-72.6,46,-70.4\""), "the region is framed: {html}");
    assert!(html.contains("/static/leaflet.markercluster.js"), "markers are grouped: {html}");
    assert!(headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap().contains("connect-src 'self'"));
    let (_, _, html) = site.get("/directory", &[]).await;
    assert!(!html.contains("data-bounds"), "no region, no frame");

    let (status, headers, body) = site.get("/directory/map.json?region=estrie&lang=en", &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("application/json"));
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    let points = json["points"].as_array().unwrap();
    assert_eq!(points.len(), count, "every page's positions, not the first page's: {body}");
    assert_eq!(json["truncated"], false);
    assert!(points.iter().all(|p| p["name"].as_str().unwrap().starts_with("Coop estrienne")), "{body}");
    assert!(points.iter().all(|p| p["href"].as_str().unwrap().contains("/actors/estrie")), "{body}");
    assert!(points[0]["hub"].as_str().unwrap().starts_with("Hub: "), "{body}");
    let (_, _, body) = site.get("/directory/map.json?q=velo", &[]).await;
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["points"].as_array().unwrap().len(), 1, "{body}");
    assert_eq!(json["points"][0]["lat"], 45.5);
    // A query the directory refuses is refused here too, as JSON.
    let (status, headers, body) =
        site.get("/directory/map.json?region=atlantis", &[("accept", "application/json")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("application/json"));
    assert!(body.contains("region"), "{body}");
}

#[tokio::test]
async fn hostile_remote_enterprises_are_escaped() {
    let site = TestSite::new().await;
    let hostile = EnterpriseProfile {
        name_fr: Some("<script>alert(1)</script>Évil".into()),
        summary_fr: Some("\"><img src=x onerror=alert(1)>".into()),
        region: Some("estrie".into()),
        website: Some("javascript:alert(1)".into()),
        ..EnterpriseProfile::default()
    };
    let hub_id = remote_actor(&site, "https://evil.test/actors/hub", "Group", None).await;
    follow_hub(&site, hub_id).await;
    let hostile_id = site
        .db()
        .upsert_remote_actor(&NewRemoteActor {
            display_name: Some("<b>x</b>".into()),
            url: Some("javascript:alert(2)".into()),
            profile_json: Some(serde_json::to_string(&hostile).unwrap()),
            ..maillage_db::testing::remote_actor("https://evil.test/actors/x", "Organization")
        })
        .await
        .unwrap()
        .id;
    site.db().add_directory_listing(hostile_id, hub_id, maillage_db::ListingSource::Announce).await.unwrap();
    let (status, _, html) = site.get("/directory?scope=network", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("&#60;script&#62;alert(1)&#60;/script&#62;Évil"), "{html}");
    assert!(!html.contains("<script>alert") && !html.contains("<img src=x"));
    assert!(!html.contains("javascript:"), "a javascript: link survived");
}

#[tokio::test]
async fn actor_and_object_urls_serve_html_to_browsers_and_json_to_servers() {
    let site = TestSite::new().await;
    site.enterprise("ferme", profile("Ferme du Lac", "estrie", "cooperative")).await;
    site.member("alice", "a-long-password-1", Some("ferme")).await;
    let practice = maillage_app::posts::publish_practice(
        &site.state.app,
        &maillage_app::Acting::Operator,
        &PracticeDraft {
            enterprise: "ferme".into(),
            author: "alice".into(),
            title: "Composter <ensemble>".into(),
            summary: "Un résumé".into(),
            body_markdown: "# Étapes\n\n<script>x</script>".into(),
            tags: vec!["Compost".into()],
            licence: None,
            adapted_from: None,
            language: "fr".into(),
        },
    )
    .await
    .unwrap();
    let path = practice.ap_id.trim_start_matches("https://hub.test");
    let (status, headers, html) = site.get(path, &[("accept", "text/html")]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
    assert!(html.contains("<h1>Composter &#60;ensemble&#62;</h1>"), "{html}");
    assert!(html.contains("href=\"/tags/compost\" rel=\"tag\""));
    assert!(html.contains("<link rel=\"alternate\" type=\"application/activity+json\""));
    assert!(html.contains("property=\"og:title\""));
    assert!(!html.contains("<script>x"));
    let (status, headers, json) = site.get(path, &[("accept", "application/activity+json")]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers[header::CONTENT_TYPE].to_str().unwrap().contains("activity+json"));
    assert_eq!(serde_json::from_str::<serde_json::Value>(&json).unwrap()["type"], "Article");
    let (_, _, html) = site.get("/actors/ferme", &[]).await;
    assert!(html.contains("Composter &#60;ensemble&#62;"));
    assert!(html.contains("Pôle : <a href=\"https://hub.test/actors/hub\">"), "its hub: {html}");
    let (_, _, html) = site.get("/tags/compost", &[]).await;
    assert!(html.contains("Composter &#60;ensemble&#62;"));
    let (status, _, _) = site.get("/objects/nope", &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = site.get("/actors/nobody", &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let operator = maillage_app::Acting::Operator;
    maillage_app::posts::delete(&site.state.app, &operator, &practice.ap_id).await.unwrap();
    let (status, _, _) = site.get(path, &[]).await;
    assert_eq!(status, StatusCode::GONE);
}

#[tokio::test]
async fn feeds_are_atom_with_the_public_posts_only() {
    let site = TestSite::new().await;
    site.enterprise("ferme", profile("Ferme du Lac", "estrie", "cooperative")).await;
    site.member("alice", "a-long-password-1", Some("ferme")).await;
    for (text, followers_only) in [("public news", false), ("members only", true)] {
        let draft = NoteDraft {
            enterprise: "ferme".into(),
            author: "alice".into(),
            text: text.into(),
            language: "fr".into(),
            visibility: if followers_only {
                maillage_domain::Visibility::Followers
            } else {
                maillage_domain::Visibility::Public
            },
            in_reply_to: None,
            content_warning: None,
            translation: None,
        };
        maillage_app::posts::publish_note(&site.state.app, &maillage_app::Acting::Operator, &draft).await.unwrap();
    }
    for uri in ["/feed.atom", "/feeds/actors/ferme"] {
        let (status, headers, xml) = site.get(uri, &[]).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
        assert!(headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("application/atom+xml"));
        let feed = atom_syndication::Feed::read_from(xml.as_bytes()).unwrap();
        assert_eq!(feed.entries().len(), 1, "{uri}");
        assert_eq!(feed.entries()[0].title().as_str(), "public news");
    }
    let (status, _, _) = site.get("/feeds/actors/nobody", &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = site.get("/feeds/tags/no%20spaces", &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn login_needs_the_csrf_token_and_the_right_password_and_logout_revokes() {
    let site = TestSite::new().await;
    site.enterprise("ferme", profile("Ferme du Lac", "estrie", "cooperative")).await;
    site.enterprise("cafe", profile("Café", "estrie", "nonprofit")).await;
    site.member("alice", "a-long-password-1", Some("ferme")).await;
    let (status, headers, _) = site.get("/workspace", &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], "/login?next=/workspace");

    let (_, headers, html) = site.get("/login", &[]).await;
    let csrf_cookie = set_cookies(&headers).into_iter().find(|c| c.starts_with("maillage_csrf=")).unwrap();
    let csrf = csrf_field(&html);
    assert_eq!(csrf_cookie, format!("maillage_csrf={csrf}"));

    let form = |password: &'static str, token: String| {
        vec![
            ("username", "alice".to_string()),
            ("password", password.to_string()),
            ("csrf", token),
            ("next", "/workspace".into()),
        ]
    };
    let send = |pairs: Vec<(&'static str, String)>, cookie: String| {
        let site = &site;
        async move {
            let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
            site.post_form("/login", &cookie, &pairs).await
        }
    };
    let (status, _, _) = send(form("a-long-password-1", "forged".into()), csrf_cookie.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = send(form("a-long-password-1", csrf.clone()), String::new()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no CSRF cookie");
    let (status, _, html) = send(form("wrong-password!", csrf.clone()), csrf_cookie.clone()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(html.contains("Nom d’utilisateur ou mot de passe invalide."));
    let (status, headers, _) = send(form("a-long-password-1", csrf.clone()), csrf_cookie.clone()).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], "/workspace");
    let session = set_cookies(&headers).into_iter().find(|c| c.starts_with("maillage_session=")).unwrap();
    let cookies = format!("{csrf_cookie}; {session}");
    let (status, headers, html) = site.get("/workspace", &[("cookie", &cookies)]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CACHE_CONTROL], "private, no-store");
    assert!(html.contains("<option value=\"ferme\""));

    // Posting: a forged token is refused, an empty text is 422, a real post appears.
    let (status, _, _) =
        site.post_form("/workspace/updates", &cookies, &[("csrf", "x"), ("enterprise", "ferme"), ("text", "hi")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, html) = site
        .post_form("/workspace/updates", &cookies, &[("csrf", &csrf), ("enterprise", "ferme"), ("text", "  ")])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("class=\"error\""));
    let (status, _, _) = site
        .post_form("/workspace/updates", &cookies, &[("csrf", &csrf), ("enterprise", "cafe"), ("text", "not mine")])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, headers, _) = site
        .post_form(
            "/workspace/updates",
            &cookies,
            &[
                ("csrf", &csrf),
                ("enterprise", "ferme"),
                ("text", "Récolte du jour #legumes"),
                ("language", "fr"),
                ("content_warning", "Légumes <crus>"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{headers:?}");
    let (_, _, html) = site.get("/actors/ferme", &[]).await;
    assert!(html.contains("<details><summary>Légumes &#60;crus&#62;</summary>"), "{html}");
    assert!(html.contains("Récolte du jour"));

    let (status, _, _) = site.post_form("/logout", &cookies, &[("csrf", &csrf)]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _, _) = site.get("/workspace", &[("cookie", &cookies)]).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "the session token was revoked");
}

#[tokio::test]
async fn remote_follow_refuses_bad_handles_without_fetching() {
    let site = TestSite::new().await;
    let (status, _, html) = site.get("/follow?target=ferme@hub.test&handle=not-a-handle", &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("nom@serveur.exemple"));
    let (status, _, _) = site.get("/follow?handle=a@b.test", &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // A public instance never lets a reader make it call private addresses,
    // however they are written: a listener on loopback sees no connection.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let connections = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = connections.clone();
    tokio::spawn(async move {
        while let Ok(_socket) = listener.accept().await {
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    });
    for handle in [
        "me@127.0.0.1:9".to_string(),
        "me@[::1]:9".to_string(),
        "me@10.0.0.1".to_string(),
        "me@localhost:9".to_string(),
        format!("me@127.1:{port}"),
        format!("me@0x7f.1:{port}"),
        format!("me@2130706433:{port}"),
        format!("me@0177.0.0.1:{port}"),
        format!("me@127.0.0.1.:{port}"),
        format!("me@[::ffff:127.0.0.1]:{port}"),
        format!("me@localhost.:{port}"),
        format!("me@ssrf.localhost:{port}"),
    ] {
        let encoded: String = url::form_urlencoded::byte_serialize(handle.as_bytes()).collect();
        let (status, _, html) = site.get(&format!("/follow?target=ferme@hub.test&handle={encoded}"), &[]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{handle}");
        assert!(html.contains("@ferme@hub.test") || html.contains("nom@serveur.exemple"), "{html}");
    }
    assert_eq!(connections.load(std::sync::atomic::Ordering::SeqCst), 0, "a private address was reached");
}

#[tokio::test]
async fn remote_follow_refuses_servers_we_do_not_federate_with() {
    let site = TestSite::new().await;
    site.db().set_domain_policy("blocked.example", maillage_db::DomainPolicy::Block, None).await.unwrap();
    site.state.federation().context().policies.invalidate().await;
    let (status, _, html) =
        site.get("/follow?target=ferme@hub.test&handle=me@social.blocked.example&lang=en", &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("does not federate with"), "{html}");
    assert!(html.contains("social.blocked.example"), "{html}");
    // A server we federate with is looked up (and, offline, not found).
    let (status, _, html) = site.get("/follow?target=ferme@hub.test&handle=me@social.other.example&lang=en", &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(!html.contains("does not federate with") && html.contains("could not be reached"), "{html}");
}

#[tokio::test]
async fn editors_edit_their_enterprise_profile_and_practices_and_nobody_else_does() {
    let site = TestSite::new().await;
    site.enterprise("ferme", profile("Ferme du Lac", "estrie", "cooperative")).await;
    site.enterprise("cafe", profile("Café", "estrie", "nonprofit")).await;
    site.member("alice", "a-long-password-1", Some("ferme")).await;
    let (cookies, csrf) = site.session("alice").await;
    let (status, _, html) = site.get("/workspace/enterprises/ferme", &[("cookie", &cookies)]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("value=\"Ferme du Lac\""), "{html}");
    let (status, _, _) = site.get("/workspace/enterprises/cafe", &[("cookie", &cookies)]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, headers, _) = site.get("/workspace/enterprises/ferme", &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{headers:?}");

    let form = |founded: &'static str, website: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("name_fr", "Ferme du Lac (coop)".to_string()),
            ("name_en", "Lake Farm".to_string()),
            ("region", "montreal".to_string()),
            ("legal_form", "cooperative".to_string()),
            ("sectors", "agriculture".to_string()),
            ("sectors", "food".to_string()),
            ("founded", founded.to_string()),
            ("website", website.to_string()),
        ]
    };
    let post = |pairs: Vec<(&'static str, String)>| {
        let site = &site;
        let cookies = cookies.clone();
        async move {
            let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
            site.post_form("/workspace/enterprises/ferme", &cookies, &pairs).await
        }
    };
    let (status, _, html) = post(form("soon", "")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("founded") && html.contains("value=\"Ferme du Lac (coop)\""), "typed values kept: {html}");
    let (status, _, html) = post(form("1999", "javascript:alert(1)")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("website"), "{html}");
    let (status, headers, _) = post(form("1999", "https://ferme.example")).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{headers:?}");
    let (_, _, html) = site.get("/actors/ferme?lang=en", &[]).await;
    assert!(html.contains("<h1>Lake Farm</h1>") && html.contains("Montreal") && html.contains("1999"), "{html}");
    let stored = site.db().local_actor_by_username("ferme").await.unwrap().unwrap();
    let stored: EnterpriseProfile = serde_json::from_str(stored.profile_json.as_deref().unwrap()).unwrap();
    assert_eq!(stored.sectors.len(), 2);
    assert_eq!(stored.region.as_deref(), Some("montreal"));

    let practice = alice_practice(&site, "Avant").await;
    let id = practice.ap_id.rsplit('/').next().unwrap().to_string();
    let edit = format!("/workspace/practices/{id}");
    let (status, _, html) = site.get(&edit, &[("cookie", &cookies)]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("value=\"Avant\""));
    let fields =
        [("csrf", csrf.as_str()), ("title", "Après"), ("summary", "Résumé"), ("body", "**Nouveau**"), ("tags", "eau")];
    let preview: Vec<(&str, &str)> = fields.iter().copied().chain([("action", "preview")]).collect();
    let (status, _, html) = site.post_form(&edit, &cookies, &preview).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<strong>Nouveau</strong>"));
    assert_eq!(site.db().post_by_ap_id(&practice.ap_id).await.unwrap().unwrap().title.as_deref(), Some("Avant"));
    let publish: Vec<(&str, &str)> = fields.iter().copied().chain([("action", "publish")]).collect();
    let (status, _, _) = site.post_form(&edit, &cookies, &publish).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(site.db().post_by_ap_id(&practice.ap_id).await.unwrap().unwrap().title.as_deref(), Some("Après"));
    site.member("bob", "a-long-password-2", Some("cafe")).await;
    let (bob, _) = site.session("bob").await;
    let (status, _, _) = site.get(&edit, &[("cookie", &bob)]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

/// The saves of the workspace leave who may save to the use cases: the
/// wrong member is refused there, and nothing changes.
#[tokio::test]
async fn others_cannot_save_an_enterprise_profile_or_practice() {
    let site = TestSite::new().await;
    site.enterprise("ferme", profile("Ferme du Lac", "estrie", "cooperative")).await;
    site.enterprise("cafe", profile("Café", "estrie", "nonprofit")).await;
    site.member("alice", "a-long-password-1", Some("ferme")).await;
    site.member("bob", "a-long-password-2", Some("cafe")).await;
    let (bob, csrf) = site.session("bob").await;
    let profile_of = |site: &TestSite| {
        let db = site.db().clone();
        async move { db.local_actor_by_username("ferme").await.unwrap().unwrap().profile_json }
    };
    let before = profile_of(&site).await;
    for founded in ["1999", "soon"] {
        let fields = [("csrf", csrf.as_str()), ("name_fr", "Pris"), ("founded", founded)];
        let (status, _, _) = site.post_form("/workspace/enterprises/ferme", &bob, &fields).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "founded {founded}");
    }
    assert_eq!(profile_of(&site).await, before, "unchanged");
    let (status, _, _) = site.post_form("/workspace/enterprises/nowhere", &bob, &[("csrf", csrf.as_str())]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let practice = alice_practice(&site, "Avant").await;
    let edit = format!("/workspace/practices/{}", practice.ap_id.rsplit('/').next().unwrap());
    for action in ["preview", "publish"] {
        let fields = [("csrf", csrf.as_str()), ("title", "Pris"), ("body", "x"), ("action", action)];
        let (status, _, _) = site.post_form(&edit, &bob, &fields).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{action}");
    }
    assert_eq!(site.db().post_by_ap_id(&practice.ap_id).await.unwrap().unwrap().title.as_deref(), Some("Avant"));
    let (status, headers, _) = site.post_form(&edit, "", &[("csrf", csrf.as_str()), ("title", "Pris")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{headers:?}");
}

#[tokio::test]
async fn staff_admit_feature_block_and_handle_reports() {
    let site = TestSite::new().await;
    site.user("chloe", "a-long-password-1", true, None).await;
    site.member("marc", "a-long-password-2", None).await;
    site.member("alice", "a-long-password-3", None).await;
    let moderator = site.db().account_for_login("marc").await.unwrap().unwrap();
    site.db().set_user_role(moderator.user_id, false, true).await.unwrap();
    let (admin, csrf) = site.session("chloe").await;
    let (moderator, _) = site.session("marc").await;
    let (member, _) = site.session("alice").await;

    let (status, _, _) = site.get("/workspace/staff", &[("cookie", &member)]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, html) = site.get("/workspace/staff", &[("cookie", &moderator)]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("reports-heading") && !html.contains("admit-heading"), "moderators see reports only");
    let (status, _, _) = site
        .post_form(
            "/workspace/staff/domains",
            &moderator,
            &[("csrf", &csrf), ("domain", "x.test"), ("action", "block")],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Admit an enterprise: it is in the directory.
    let (status, _, _) = site
        .post_form(
            "/workspace/staff/enterprises",
            &admin,
            &[("csrf", &csrf), ("handle", "nouvelle"), ("name", "Nouvelle coop")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _, html) = site
        .post_form("/workspace/staff/enterprises", &admin, &[("csrf", &csrf), ("handle", "Bad Handle!"), ("name", "X")])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    tokio::time::sleep(crate::directory::SNAPSHOT_MAX_AGE).await;
    let (_, _, html) = site.get("/directory", &[]).await;
    assert!(html.contains("Nouvelle coop"));

    // Feature it: first on the home page.
    let url = "https://hub.test/actors/nouvelle";
    let (status, _, _) = site
        .post_form("/workspace/staff/feature", &admin, &[("csrf", &csrf), ("url", url), ("featured", "true")])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, html) = site.get("/workspace/staff", &[("cookie", &admin)]).await;
    assert!(html.contains(&format!("<a href=\"{url}\">")));
    assert!(html.contains("<a href=\"/workspace/enterprises/nouvelle\">Nouvelle coop</a>"), "admins edit any profile");
    let (status, _, _) = site.get("/workspace/enterprises/nouvelle", &[("cookie", &admin)]).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = site
        .post_form("/workspace/staff/feature", &admin, &[("csrf", &csrf), ("url", "not a url"), ("featured", "true")])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // Block a server, refuse nonsense, unblock.
    let (status, _, _) = site
        .post_form(
            "/workspace/staff/domains",
            &admin,
            &[("csrf", &csrf), ("domain", "https://Spam.Example/"), ("comment", "spam"), ("action", "block")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let policies = site.db().domain_policies().await.unwrap();
    assert_eq!(policies.iter().map(|p| p.domain.as_str()).collect::<Vec<_>>(), vec!["spam.example"]);
    let (status, _, _) = site
        .post_form("/workspace/staff/domains", &admin, &[("csrf", &csrf), ("domain", "a b"), ("action", "block")])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _, _) = site
        .post_form(
            "/workspace/staff/domains",
            &admin,
            &[("csrf", &csrf), ("domain", "spam.example"), ("action", "remove")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(site.db().domain_policies().await.unwrap().is_empty());

    // A report from another server, resolved by the moderator.
    let report = maillage_db::NewReport {
        direction: maillage_db::ReportDirection::Incoming,
        reporter: "https://other.test/actor",
        target_actor: Some("https://hub.test/actors/nouvelle"),
        object_ids: &[],
        comment: "<script>spam</script>",
        activity_ap_id: "https://other.test/flags/1",
    };
    site.db().record_report(&report, None).await.unwrap();
    let (_, _, html) = site.get("/workspace/staff", &[("cookie", &moderator)]).await;
    assert!(html.contains("&#60;script&#62;spam") && !html.contains("<script>spam"));
    let id = site.db().reports(false, 10).await.unwrap()[0].id;
    let resolve = format!("/workspace/staff/reports/{id}/resolve");
    let (status, _, _) = site.post_form(&resolve, &moderator, &[("csrf", "forged")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = site.post_form(&resolve, &moderator, &[("csrf", &csrf)]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(site.db().reports(false, 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn staff_delete_an_enterprise_once_they_confirm() {
    let site = TestSite::new().await;
    site.enterprise("ferme", EnterpriseProfile { name_fr: Some("Ferme du Coteau".into()), ..Default::default() }).await;
    site.user("chloe", "a-long-password-1", true, None).await;
    site.member("marc", "a-long-password-2", None).await;
    site.member("alice", "a-long-password-3", Some("ferme")).await;
    let moderator = site.db().account_for_login("marc").await.unwrap().unwrap();
    site.db().set_user_role(moderator.user_id, false, true).await.unwrap();
    let (admin, csrf) = site.session("chloe").await;
    let (moderator, _) = site.session("marc").await;
    let (editor, _) = site.session("alice").await;
    let (_, _, html) = site.get("/workspace/staff", &[("cookie", &admin)]).await;
    assert!(html.contains("action=\"/workspace/staff/enterprises/delete\""), "admins see the form");
    let (_, _, html) = site.get("/workspace/staff", &[("cookie", &moderator)]).await;
    assert!(!html.contains("delete-heading"), "moderators do not");

    let form = [("csrf", csrf.as_str()), ("handle", "ferme"), ("confirm", "yes")];
    for refused in [&moderator, &editor] {
        let (status, _, _) = site.post_form("/workspace/staff/enterprises/delete", refused, &form).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    let forged = [("csrf", "forged"), ("handle", "ferme"), ("confirm", "yes")];
    let (status, _, _) = site.post_form("/workspace/staff/enterprises/delete", &admin, &forged).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let unconfirmed = [("csrf", csrf.as_str()), ("handle", "ferme")];
    let (status, _, html) = site.post_form("/workspace/staff/enterprises/delete", &admin, &unconfirmed).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("cochez la case") || html.contains("tick the box"), "{html}");
    assert!(site.db().local_actor_by_username("ferme").await.unwrap().is_some(), "nothing deleted yet");

    let (status, headers, _) = site.post_form("/workspace/staff/enterprises/delete", &admin, &form).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], "/workspace/staff?done=deleted&subject=ferme");
    let (status, _, _) = site.get("/actors/ferme", &[("accept", "text/html")]).await;
    assert_eq!(status, StatusCode::GONE);
    let (status, _, _) = site.get("/actors/ferme", &[("accept", "application/activity+json")]).await;
    assert_eq!(status, StatusCode::GONE);
    tokio::time::sleep(crate::directory::SNAPSHOT_MAX_AGE).await;
    let (_, _, html) = site.get("/directory", &[]).await;
    assert!(!html.contains("Ferme du Coteau"), "off the directory");
    let (_, _, html) = site.get("/workspace/staff", &[("cookie", &admin)]).await;
    assert!(!html.contains("/workspace/enterprises/ferme"), "off the staff's list");
    // alice keeps her account, without the team she was on.
    let (status, _, html) = site.get("/workspace", &[("cookie", &editor)]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("/workspace/enterprises/ferme"), "{html}");
    let (status, _, html) = site.post_form("/workspace/staff/enterprises/delete", &admin, &form).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("already deleted"), "{html}");
}

#[tokio::test]
async fn moderators_announce_on_the_staff_page_and_members_read_it_on_their_workspace() {
    let site = TestSite::new().await;
    site.member("marc", "a-long-password-2", None).await;
    site.member("alice", "a-long-password-3", None).await;
    let moderator = site.db().account_for_login("marc").await.unwrap().unwrap();
    site.db().set_user_role(moderator.user_id, false, true).await.unwrap();
    let (moderator, csrf) = site.session("marc").await;
    let (member, _) = site.session("alice").await;
    let form = [("csrf", csrf.as_str()), ("text", "Assemblée **jeudi** <script>x()</script>"), ("ends_at", "")];
    let (status, _, _) = site.post_form("/workspace/staff/announcements", &member, &form).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "members do not announce");
    let backwards = [("csrf", csrf.as_str()), ("text", "Fête"), ("starts_at", "2030-01-10"), ("ends_at", "2030-01-09")];
    let (status, _, html) = site.post_form("/workspace/staff/announcements", &moderator, &backwards).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("ends_at"), "{html}");
    let (status, headers, _) = site.post_form("/workspace/staff/announcements", &moderator, &form).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], "/workspace/staff?done=announced&subject=");
    let (_, _, html) = site.get("/workspace", &[("cookie", &member)]).await;
    assert!(html.contains("Assemblée <strong>jeudi</strong>"), "{html}");
    assert!(!html.contains("<script>"), "sanitised: {html}");
    let (_, _, html) = site.get("/workspace/staff", &[("cookie", &moderator)]).await;
    assert!(html.contains("Assemblée <strong>jeudi</strong>"), "listed for the staff: {html}");
    let id = site.db().announcements().await.unwrap()[0].id;
    let withdraw = format!("/workspace/staff/announcements/{id}/delete");
    let (status, _, _) = site.post_form(&withdraw, &member, &[("csrf", csrf.as_str())]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = site.post_form(&withdraw, &moderator, &[("csrf", "forged")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = site.post_form(&withdraw, &moderator, &[("csrf", csrf.as_str())]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, html) = site.get("/workspace", &[("cookie", &member)]).await;
    assert!(!html.contains("jeudi"), "withdrawn: {html}");
}

#[tokio::test]
async fn network_posts_show_in_the_readers_language_sanitised() {
    let site = TestSite::new().await;
    let raw = serde_json::json!({
        "type": "Note",
        "id": "https://other.test/notes/1",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "content": "<p>Bonjour</p>",
        "contentMap": { "fr": "<p>Bonjour</p>", "en": "<p>Hello</p><script>alert(1)</script><img src=x onerror=alert(2)>" },
    });
    let note = remote_note("https://other.test/notes/1", &raw, "<p>Bonjour</p>", Some("javascript:alert(3)"));
    site.db().store_remote_object(&note).await.unwrap();
    // A followers-only post one of our actors received stays off the page.
    let private = serde_json::json!({
        "type": "Note",
        "id": "https://other.test/notes/2",
        "to": ["https://other.test/actors/coop/followers"],
        "content": "<p>Entre nous</p>",
    });
    let note = remote_note("https://other.test/notes/2", &private, "<p>Entre nous</p>", None);
    site.db().store_remote_object(&note).await.unwrap();
    let (_, _, english) = site.get("/?lang=en", &[]).await;
    assert!(english.contains("<p>Hello</p>"), "{english}");
    assert!(!english.contains("Entre nous"), "a followers-only post is not public");
    assert!(!english.contains("<script>alert") && !english.contains("onerror") && !english.contains("javascript:"));
    let (_, _, french) = site.get("/", &[]).await;
    assert!(french.contains("<p>Bonjour</p>") && !french.contains("Hello"));
}

#[tokio::test]
async fn a_practice_adapted_from_another_links_both_ways() {
    let site = TestSite::new().await;
    site.enterprise("ferme", profile("Ferme du Lac", "estrie", "cooperative")).await;
    site.member("alice", "a-long-password-1", Some("ferme")).await;
    let (cookies, csrf) = site.session("alice").await;
    let publish = |title: &'static str, adapted_from: String| {
        let site = &site;
        let (cookies, csrf) = (cookies.clone(), csrf.clone());
        async move {
            let form = [
                ("csrf", csrf.as_str()),
                ("enterprise", "ferme"),
                ("title", title),
                ("summary", "Résumé"),
                ("body", "Texte"),
                ("tags", "#Eau, compost"),
                ("adapted_from", adapted_from.as_str()),
                ("action", "publish"),
            ];
            site.post_form("/workspace/practices", &cookies, &form).await
        }
    };
    let (status, _, _) = publish("Original", String::new()).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let original = site.db().practices_page(None, None, 1).await.unwrap().remove(0);
    let (status, _, html) = publish("Adaptation", "javascript:alert(1)".into()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    let (status, _, _) = publish("Adaptation", original.ap_id.clone()).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let adaptation = site.db().practices_page(None, None, 1).await.unwrap().remove(0);
    assert_eq!(adaptation.adapted_from.as_deref(), Some(original.ap_id.as_str()));
    let path = |p: &maillage_db::Post| p.ap_id.trim_start_matches("https://hub.test").to_string();
    let (_, _, html) = site.get(&path(&adaptation), &[]).await;
    assert!(html.contains(&format!("<a href=\"{}\">Original</a>", original.ap_id)), "{html}");
    assert!(html.contains("href=\"/tags/eau\""));
    let (_, _, html) = site.get(&path(&original), &[]).await;
    assert!(html.contains(&format!("<a href=\"{}\">Adaptation</a>", adaptation.ap_id)), "adapted by: {html}");
}

#[tokio::test]
async fn an_update_in_two_languages_is_read_in_the_readers_one() {
    let site = TestSite::new().await;
    site.enterprise("ferme", profile("Ferme du Lac", "estrie", "cooperative")).await;
    site.member("alice", "a-long-password-1", Some("ferme")).await;
    let (cookies, csrf) = site.session("alice").await;
    let form = [
        ("csrf", csrf.as_str()),
        ("enterprise", "ferme"),
        ("language", "fr"),
        ("text", "Marché samedi #legumes"),
        ("second_text", "Market on Saturday #vegetables"),
    ];
    let (status, _, _) = site.post_form("/workspace/updates", &cookies, &form).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let ferme = site.db().local_actor_by_username("ferme").await.unwrap().unwrap();
    let post = site.db().public_posts_of(ferme.id, PostKind::Note, None, 1).await.unwrap().remove(0);
    let path = post.ap_id.trim_start_matches("https://hub.test").to_string();
    let (_, _, json) = site.get(&path, &[("accept", "application/activity+json")]).await;
    let document: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(document["contentMap"]["fr"].as_str().unwrap().contains("Marché samedi"));
    assert!(document["contentMap"]["en"].as_str().unwrap().contains("Market on Saturday"));
    assert!(document["content"].as_str().unwrap().contains("Marché samedi"), "content is the update's own language");
    let tags: Vec<&str> = document["tag"].as_array().unwrap().iter().filter_map(|t| t["name"].as_str()).collect();
    assert!(tags.contains(&"#legumes") && tags.contains(&"#vegetables"), "{tags:?}");
    let (_, _, english) = site.get(&path, &[("accept-language", "en")]).await;
    assert!(english.contains("Market on Saturday") && !english.contains("Marché samedi"), "{english}");
    assert!(english.contains("href=\"?lang=fr\" lang=\"fr\">Read in French</a>"), "{english}");
    let (_, _, french) = site.get("/actors/ferme", &[]).await;
    assert!(french.contains("Marché samedi") && !french.contains("Market on Saturday"));
}

#[tokio::test]
async fn a_theme_page_gathers_practices_and_updates_with_its_hashtag() {
    let site = TestSite::new().await;
    site.enterprise("ferme", profile("Ferme du Lac", "estrie", "cooperative")).await;
    site.member("alice", "a-long-password-1", Some("ferme")).await;
    let note = NoteDraft {
        enterprise: "ferme".into(),
        author: "alice".into(),
        text: "Tas de #Vélo et de #compost".into(),
        language: "fr".into(),
        visibility: maillage_domain::Visibility::Public,
        in_reply_to: None,
        content_warning: None,
        translation: None,
    };
    maillage_app::posts::publish_note(&site.state.app, &maillage_app::Acting::Operator, &note).await.unwrap();
    let private = NoteDraft {
        text: "Réservé #compost".into(),
        visibility: maillage_domain::Visibility::Followers,
        ..note.clone()
    };
    maillage_app::posts::publish_note(&site.state.app, &maillage_app::Acting::Operator, &private).await.unwrap();
    let (status, _, html) = site.get("/tags/Compost", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Tas de"), "{html}");
    assert!(!html.contains("Réservé"), "followers-only updates stay off");
    let (status, _, html) = site.get("/tags/v%C3%A9lo", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Tas de"), "{html}");
    // Practices are matched like updates: accents and case do not matter.
    let practice = PracticeDraft {
        enterprise: "ferme".into(),
        author: "alice".into(),
        title: "Réparer son vélo".into(),
        summary: "Résumé".into(),
        body_markdown: "Texte".into(),
        tags: vec!["Vélo".into()],
        licence: None,
        adapted_from: None,
        language: "fr".into(),
    };
    maillage_app::posts::publish_practice(&site.state.app, &maillage_app::Acting::Operator, &practice).await.unwrap();
    let (_, _, html) = site.get("/tags/velo", &[]).await;
    assert!(html.contains("Réparer son vélo") && html.contains("Tas de"), "{html}");
    let (_, _, xml) = site.get("/feeds/tags/VELO", &[]).await;
    let feed = atom_syndication::Feed::read_from(xml.as_bytes()).unwrap();
    assert_eq!(feed.entries().len(), 1, "the theme feed carries practices");
    let (status, _, _) = site.get("/tags/%3Cscript%3E", &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn suspended_remote_enterprises_leave_the_directory_and_the_api() {
    let site = TestSite::new().await;
    listed_enterprises(
        &site,
        "https://other.test/actors/hub",
        &[("https://other.test/actors/keep", "Coop gardée"), ("https://other.test/actors/gone", "Coop suspendue")],
    )
    .await;
    site.db().suspend_remote_actor("https://other.test/actors/gone").await.unwrap();
    let (_, _, html) = site.get("/directory?scope=network", &[]).await;
    assert!(html.contains("Coop gardée") && html.contains("href=\"https://other.test/actors/keep\""), "{html}");
    assert!(!html.contains("Coop suspendue"), "a suspended actor is not listed");
    assert_eq!(network_api_names(&site).await, vec!["Coop gardée"], "nor given by the API");
}

#[tokio::test]
async fn only_enterprises_listed_by_a_followed_hub_are_in_the_directory() {
    let site = TestSite::new().await;
    let listed = "https://listed.test/actors/coop";
    let hub_id = listed_enterprises(&site, "https://listed.test/actors/hub", &[(listed, "Coop listée")]).await;
    // Known here (fetched because some server named it), but listed by no hub we follow.
    let stranger = EnterpriseProfile { name_fr: Some("Coop inconnue".into()), ..EnterpriseProfile::default() };
    remote_actor(&site, "https://stranger.test/actors/coop", "Organization", Some(&stranger)).await;
    // Listed by a hub we do not follow.
    let unfollowed_hub = remote_actor(&site, "https://other.test/actors/hub", "Group", None).await;
    let other = EnterpriseProfile { name_fr: Some("Coop d'ailleurs".into()), ..EnterpriseProfile::default() };
    let other_id = remote_actor(&site, "https://other.test/actors/coop", "Organization", Some(&other)).await;
    site.db().add_directory_listing(other_id, unfollowed_hub, maillage_db::ListingSource::Announce).await.unwrap();

    let (_, _, html) = site.get("/directory?scope=network", &[]).await;
    assert!(html.contains("Coop listée"), "{html}");
    assert!(!html.contains("Coop inconnue") && !html.contains("Coop d&#39;ailleurs"), "{html}");
    assert_eq!(network_api_names(&site).await, vec!["Coop listée"]);

    // Our hub no longer follows the listing hub: its enterprises leave.
    let hub = site.db().local_actor_of_kind(maillage_domain::ActorKind::Hub).await.unwrap().unwrap();
    site.db().remove_follow(hub.id, hub_id, maillage_db::Direction::Outgoing, None).await.unwrap();
    assert!(network_api_names(&site).await.is_empty());
    // ... unless another hub we follow lists them too.
    let second_hub = remote_actor(&site, "https://listed.test/actors/second", "Group", None).await;
    follow_hub(&site, second_hub).await;
    let listed_id = site.db().remote_actor_by_ap_id(listed).await.unwrap().unwrap().id;
    site.db().add_directory_listing(listed_id, second_hub, maillage_db::ListingSource::Announce).await.unwrap();
    assert_eq!(network_api_names(&site).await, vec!["Coop listée"]);
}

#[tokio::test]
async fn the_directory_lists_at_most_max_per_server_of_one_server() {
    let site = TestSite::with_config(|c| c.directory.max_per_server = 2).await;
    let many: Vec<(String, String)> =
        (1..=3).map(|n| (format!("https://many.test/actors/coop{n}"), format!("Coop nombreuse {n}"))).collect();
    let many: Vec<(&str, &str)> = many.iter().map(|(id, name)| (id.as_str(), name.as_str())).collect();
    listed_enterprises(&site, "https://many.test/actors/hub", &many).await;
    listed_enterprises(&site, "https://few.test/actors/hub", &[("https://few.test/actors/coop", "Coop seule")]).await;
    let names = network_api_names(&site).await;
    assert_eq!(names.iter().filter(|n| n.starts_with("Coop nombreuse")).count(), 2, "{names:?}");
    assert!(names.contains(&"Coop seule".to_string()), "the cap is per server: {names:?}");
    let (_, _, html) = site.get("/directory?scope=network", &[]).await;
    assert!(html.contains("Coop nombreuse 1") && html.contains("Coop nombreuse 2"), "{html}");
    assert!(!html.contains("Coop nombreuse 3"), "the first ones known are kept: {html}");
    assert!(html.contains("Coop seule"));
}

/// A remote hub named `name`, and one enterprise it lists: on its server;
/// our hub follows it when `followed`.
async fn hub_listing(site: &TestSite, server: &str, name: &str, enterprise: EnterpriseProfile, followed: bool) {
    let hub_id = site
        .db()
        .upsert_remote_actor(&NewRemoteActor {
            display_name: Some(name.into()),
            url: Some(format!("https://{server}/@hub")),
            ..maillage_db::testing::remote_actor(&format!("https://{server}/actors/hub"), "Group")
        })
        .await
        .unwrap()
        .id;
    if followed {
        follow_hub(site, hub_id).await;
    }
    let coop = remote_actor(site, &format!("https://{server}/actors/coop"), "Organization", Some(&enterprise)).await;
    site.db().add_directory_listing(coop, hub_id, maillage_db::ListingSource::Members).await.unwrap();
}

#[tokio::test]
async fn the_directory_shows_each_entrys_hub_counts_them_and_filters_by_hub() {
    let site = TestSite::new().await;
    site.enterprise("ferme", profile("Ferme du Lac", "estrie", "cooperative")).await;
    hub_listing(&site, "nord.test", "Pôle du Nord", profile("Coop boréale", "estrie", "cooperative"), true).await;
    hub_listing(&site, "sud.test", "Pôle du Sud", profile("Coop australe", "montreal", "nonprofit"), true).await;
    hub_listing(&site, "ouest.test", "Pôle de l'Ouest", profile("Coop cachée", "estrie", "cooperative"), false).await;

    let (_, _, html) = site.get("/directory?lang=en", &[]).await;
    assert!(html.contains("<a href=\"https://nord.test/@hub\">Hub: Pôle du Nord</a>"), "{html}");
    assert!(html.contains("<a href=\"https://hub.test/actors/hub\">Hub: Pôle d&#39;économie sociale</a>"), "{html}");
    assert!(html.contains("data-hub=\"Hub: Pôle du Sud\""), "the map's markers carry it: {html}");
    assert!(!html.contains("Coop cachée") && !html.contains("Ouest"), "its hub is not followed: {html}");
    // The hub facet: ours first, then by name, with counts.
    assert!(html.contains("<h3 id=\"facet-hub\">Hub</h3>"), "{html}");
    let facet = |handle: &str, name: &str, count: usize| {
        format!(
            "<a href=\"/directory?hub={}\">{name} <span class=\"count\">({count})</span></a>",
            handle.replace('@', "%40")
        )
    };
    let ours = facet("hub@hub.test", "Pôle d&#39;économie sociale", 1);
    let (north, south) = (facet("hub@nord.test", "Pôle du Nord", 1), facet("hub@sud.test", "Pôle du Sud", 1));
    let at = |needle: &str| html.find(needle).unwrap_or_else(|| panic!("{needle} in {html}"));
    assert!(at(&ours) < at(&north) && at(&north) < at(&south));
    let (_, _, french) = site.get("/directory?lang=fr", &[]).await;
    assert!(
        french.contains(">Pôle : Pôle du Nord</a>") && french.contains("<h3 id=\"facet-hub\">Pôle</h3>"),
        "{french}"
    );

    // The filter: one hub's entries, the other facets counted within them.
    let (status, _, html) = site.get("/directory?hub=hub%40nord.test&lang=en", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Coop boréale") && !html.contains("Coop australe") && !html.contains("Ferme du Lac"),
        "{html}"
    );
    assert!(html.contains("href=\"/directory\" aria-current=\"true\" class=\"selected\">Pôle du Nord"), "{html}");
    assert!(
        html.contains("href=\"/directory?hub=hub%40nord.test&#38;region=estrie\">Estrie <span class=\"count\">(1)"),
        "{html}"
    );
    assert!(
        html.contains("<input type=\"hidden\" name=\"hub\" value=\"hub@nord.test\">"),
        "the search keeps it: {html}"
    );
    let (_, _, html) = site.get("/directory?hub=hub%40hub.test&region=estrie", &[]).await;
    assert!(html.contains("Ferme du Lac") && !html.contains("Coop boréale"), "our hub's own: {html}");
    // A facet link keeps the hub filter; a hub nobody follows lists nothing.
    let (_, _, html) = site.get("/directory?region=estrie&hub=hub%40ouest.test", &[]).await;
    assert!(!html.contains("Coop cachée") && !html.contains("Coop boréale"), "{html}");
    let (status, _, html) = site.get("/directory?hub=nord.test", &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("hub"), "{html}");
}

#[tokio::test]
async fn the_enterprises_api_gives_each_ones_hub_and_filters_by_hub() {
    let site = TestSite::new().await;
    site.enterprise("ferme", profile("Ferme du Lac", "estrie", "cooperative")).await;
    hub_listing(&site, "nord.test", "Pôle du Nord", profile("Coop boréale", "estrie", "cooperative"), true).await;
    hub_listing(&site, "sud.test", "Pôle du Sud", profile("Coop australe", "estrie", "nonprofit"), true).await;
    hub_listing(&site, "ouest.test", "Pôle de l'Ouest", profile("Coop cachée", "estrie", "cooperative"), false).await;
    let list = |query: &'static str| {
        let site = &site;
        async move {
            let (status, _, body) = site.get(&format!("/api/maillage/v1/enterprises{query}"), &[]).await;
            assert_eq!(status, StatusCode::OK, "{query}: {body}");
            serde_json::from_str::<Vec<serde_json::Value>>(&body).unwrap()
        }
    };
    let all = list("").await;
    let hubs: Vec<(&str, &serde_json::Value)> = all.iter().map(|e| (e["name"].as_str().unwrap(), &e["hub"])).collect();
    assert_eq!(
        hubs,
        vec![
            (
                "Ferme du Lac",
                &serde_json::json!({"id": "https://hub.test/actors/hub", "handle": "hub@hub.test",
                    "name": "Pôle d'économie sociale", "url": "https://hub.test/actors/hub"})
            ),
            (
                "Coop boréale",
                &serde_json::json!({"id": "https://nord.test/actors/hub", "handle": "hub@nord.test",
                    "name": "Pôle du Nord", "url": "https://nord.test/@hub"})
            ),
            (
                "Coop australe",
                &serde_json::json!({"id": "https://sud.test/actors/hub", "handle": "hub@sud.test",
                    "name": "Pôle du Sud", "url": "https://sud.test/@hub"})
            ),
        ]
    );
    let names = |list: Vec<serde_json::Value>| -> Vec<String> {
        list.iter().map(|e| e["name"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(names(list("?hub=hub@nord.test").await), vec!["Coop boréale"]);
    assert_eq!(names(list("?hub=HUB@sud.test&legal_form=nonprofit").await), vec!["Coop australe"]);
    assert_eq!(names(list("?hub=hub@sud.test&legal_form=cooperative").await), Vec::<String>::new());
    assert_eq!(names(list("?hub=hub@hub.test").await), vec!["Ferme du Lac"]);
    assert_eq!(names(list("?hub=hub@hub.test&scope=network").await), Vec::<String>::new());
    assert!(list("?hub=hub@ouest.test").await.is_empty(), "a hub we do not follow lists nothing here");
    let (status, _, body) = site.get("/api/maillage/v1/enterprises?hub=nord.test", &[]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("hub"), "{body}");
    // One enterprise of ours carries our hub too.
    let (_, _, body) = site.get("/api/maillage/v1/enterprises/ferme", &[]).await;
    let ferme: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(ferme["hub"]["handle"], "hub@hub.test", "{ferme}");
    // The OpenAPI document describes both.
    let (_, _, body) = site.get("/api/maillage/v1/openapi.json", &[]).await;
    let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
    let params = &doc["paths"]["/api/maillage/v1/enterprises"]["get"]["parameters"];
    assert!(params.as_array().unwrap().iter().any(|p| p["name"] == "hub"), "{params}");
    assert!(doc["components"]["schemas"]["Hub"]["properties"]["handle"].is_object(), "{doc}");
}

#[tokio::test]
async fn a_member_follows_an_enterprise_from_its_page_and_reads_its_followers_only_posts() {
    let site = TestSite::new().await;
    site.enterprise("ferme", profile("Ferme du Lac", "estrie", "cooperative")).await;
    site.member("alice", "a-long-password-1", Some("ferme")).await;
    site.member("bob", "a-long-password-1", None).await;
    site.member("carl", "a-long-password-1", None).await;
    let draft = NoteDraft {
        enterprise: "ferme".into(),
        author: "alice".into(),
        text: "Réservé aux abonnés".into(),
        language: "fr".into(),
        visibility: maillage_domain::Visibility::Followers,
        in_reply_to: None,
        content_warning: None,
        translation: None,
    };
    let post =
        maillage_app::posts::publish_note(&site.state.app, &maillage_app::Acting::Operator, &draft).await.unwrap();
    let path = post.ap_id.trim_start_matches("https://hub.test").to_string();
    let (bob, csrf) = site.session("bob").await;
    let (carl, _) = site.session("carl").await;
    let page_for = |cookie: String| {
        let site = &site;
        let path = path.clone();
        async move { site.get(&path, &[("accept", "text/html"), ("cookie", &cookie)]).await.0 }
    };
    assert_eq!(page_for(bob.clone()).await, StatusCode::NOT_FOUND, "not a follower yet");
    let (_, _, profile_page) = site.get("/actors/ferme", &[("cookie", &bob)]).await;
    assert!(profile_page.contains("action=\"/workspace/follows\""), "a follow button for members");
    let (_, _, anonymous_page) = site.get("/actors/ferme", &[]).await;
    assert!(!anonymous_page.contains("action=\"/workspace/follows\""), "none for visitors");
    let (status, _, _) = site
        .post_form("/workspace/follows", &bob, &[("csrf", "forged"), ("username", "ferme"), ("action", "follow")])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the CSRF token is checked");
    let (status, _, _) =
        site.post_form("/workspace/follows", &bob, &[("csrf", &csrf), ("username", "ferme"), ("action", "x")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "an unknown action");
    let (status, _, _) = site
        .post_form("/workspace/follows", &bob, &[("csrf", &csrf), ("username", "nobody"), ("action", "follow")])
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "an unknown account");
    let (status, headers, _) = site
        .post_form(
            "/workspace/follows",
            "maillage_csrf=c",
            &[("csrf", "c"), ("username", "ferme"), ("action", "follow")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "a visitor is sent to log in");
    assert!(headers[header::LOCATION].to_str().unwrap().starts_with("/login"));
    assert_eq!(page_for(bob.clone()).await, StatusCode::NOT_FOUND, "none of these followed");
    let (status, headers, _) = site
        .post_form("/workspace/follows", &bob, &[("csrf", &csrf), ("username", "ferme"), ("action", "follow")])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], "/actors/ferme");
    assert_eq!(page_for(bob.clone()).await, StatusCode::OK, "a follower reads it");
    assert_eq!(page_for(carl).await, StatusCode::NOT_FOUND, "another member does not");
    assert_eq!(page_for(String::new()).await, StatusCode::NOT_FOUND, "nor does a visitor");
    let (_, _, profile_page) = site.get("/actors/ferme", &[("cookie", &bob)]).await;
    assert!(profile_page.contains("name=\"action\" value=\"unfollow\""), "{profile_page}");
    site.post_form("/workspace/follows", &bob, &[("csrf", &csrf), ("username", "ferme"), ("action", "unfollow")]).await;
    assert_eq!(page_for(bob).await, StatusCode::NOT_FOUND, "unfollowing closes it again");
}

/// A CSRF cookie and the matching form field, as the login page hands them out.
async fn login_csrf(site: &TestSite) -> (String, String) {
    let (_, headers, html) = site.get("/login", &[]).await;
    let cookie = set_cookies(&headers).into_iter().find(|c| c.starts_with("maillage_csrf=")).unwrap();
    (cookie, csrf_field(&html))
}

#[tokio::test]
async fn failed_web_logins_from_one_address_do_not_lock_out_another() {
    let site = TestSite::new().await;
    site.member("alice", "a-long-password-1", None).await;
    site.member("bob", "a-long-password-2", None).await;
    let (cookie, csrf) = login_csrf(&site).await;
    let login = |peer: &'static str, username: &'static str, password: &'static str| {
        let (site, cookie, csrf) = (&site, cookie.clone(), csrf.clone());
        async move {
            let form = [("csrf", csrf.as_str()), ("username", username), ("password", password)];
            site.post_form_from(peer, "/login", &cookie, &form).await.0
        }
    };
    // Ten wrong passwords from one address, each for another name.
    for name in ["alice", "ghost1", "ghost2", "ghost3", "ghost4", "ghost5", "ghost6", "ghost7", "ghost8", "ghost9"] {
        assert_eq!(login("198.51.100.7", name, "wrong-password").await, StatusCode::UNAUTHORIZED, "{name}");
    }
    assert_eq!(login("198.51.100.7", "bob", "a-long-password-2").await, StatusCode::TOO_MANY_REQUESTS);
    // Another address is not locked out, and alice (one failure) is not either.
    assert_eq!(login("203.0.113.5", "bob", "a-long-password-2").await, StatusCode::SEE_OTHER);
    assert_eq!(login("203.0.113.5", "alice", "a-long-password-1").await, StatusCode::SEE_OTHER);
    // IPv6: the same /64 is one address.
    for n in 0..10 {
        let peer = ["2001:db8:7:7::1", "2001:db8:7:7::2"][n % 2];
        assert_eq!(login(peer, "ghost", "wrong-password").await, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(login("2001:db8:7:7::3", "bob", "a-long-password-2").await, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(login("2001:db8:7:8::1", "bob", "a-long-password-2").await, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn after_logging_in_only_paths_of_this_site_are_followed() {
    let site = TestSite::new().await;
    site.member("alice", "a-long-password-1", None).await;
    let (cookie, csrf) = login_csrf(&site).await;
    let followed = |next: &'static str| {
        let (site, cookie, csrf) = (&site, cookie.clone(), csrf.clone());
        async move {
            let form =
                [("csrf", csrf.as_str()), ("username", "alice"), ("password", "a-long-password-1"), ("next", next)];
            let (status, headers, _) = site.post_form("/login", &cookie, &form).await;
            assert_eq!(status, StatusCode::SEE_OTHER, "{next:?}");
            headers[header::LOCATION].to_str().unwrap().to_string()
        }
    };
    for next in [
        "/\t/evil.example",
        "//evil.example",
        "/\\evil.example",
        "/%2F%2Fevil.example",
        "/.//evil.example",
        "javascript:alert(1)",
        "https://evil.example/",
        "/\u{1b}/evil.example",
    ] {
        assert_eq!(followed(next).await, "/workspace", "{next:?}");
    }
    assert_eq!(followed("/directory?x=1").await, "/directory?x=1");

    // The form carries `next` from its query, checked the same way.
    let (_, _, html) = site.get("/login?next=/%09/evil.example", &[]).await;
    assert!(html.contains("name=\"next\" value=\"/workspace\""), "{html}");
    let (_, _, html) = site.get("/login?next=/directory%3Fx%3D1", &[]).await;
    assert!(html.contains("name=\"next\" value=\"/directory?x=1\""), "{html}");
}

/// What a browser sends when it follows a link.
const BROWSER_ACCEPT: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

/// An error page: its status, its reader's language first, the other one
/// after (marked as such), no script, the pages' security headers.
fn assert_error_page(status: StatusCode, headers: &axum::http::HeaderMap, html: &str, first: &str, other: &str) {
    assert!(headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/html"), "{status}: {headers:?}");
    assert!(html.starts_with(&format!("<!DOCTYPE html>\n<html lang=\"{first}\">")), "{status}: {html}");
    assert!(html.contains(&format!("<section lang=\"{other}\"")), "{status}: the other language: {html}");
    assert!(html.contains("<h1>") && html.contains("role=\"alert\""), "{status}: {html}");
    assert!(!html.contains("<script"), "{status}");
    assert!(headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap().contains("script-src 'self'"), "{status}");
}

#[tokio::test]
async fn every_error_a_browser_meets_is_a_page_in_both_languages() {
    let site = TestSite::new().await;
    site.enterprise("ferme", profile("Ferme du Lac", "estrie", "cooperative")).await;
    site.member("alice", "a-long-password-1", Some("ferme")).await;
    let browser = [("accept", BROWSER_ACCEPT)];

    // An address nothing answers.
    let (status, headers, html) = site.get("/nulle-part", &browser).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_error_page(status, &headers, &html, "fr", "en");
    assert!(html.contains("Page introuvable") && html.contains("Page not found"), "{html}");
    let english = [("accept", BROWSER_ACCEPT), ("accept-language", "en-CA,en;q=0.9")];
    let (_, headers, html) = site.get("/nulle-part", &english).await;
    assert_error_page(StatusCode::NOT_FOUND, &headers, &html, "en", "fr");
    assert!(html.find("Page not found") < html.find("Page introuvable"), "English first: {html}");
    let (_, headers, html) = site.get("/nulle-part?x=1&lang=en", &browser).await;
    assert_error_page(StatusCode::NOT_FOUND, &headers, &html, "en", "fr");
    // Below an actor: the federation's routes, met from a browser.
    let (status, headers, html) = site.get("/actors/ferme/nulle-part", &browser).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_error_page(status, &headers, &html, "fr", "en");

    // A method the address does not take (a form replayed to a page).
    let request = Request::post("/directory").header("accept", BROWSER_ACCEPT).body(Body::empty()).unwrap();
    let response = site.send(request).await;
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    let headers = response.headers().clone();
    assert!(headers.contains_key(header::ALLOW), "{headers:?}");
    let html = String::from_utf8(axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap().to_vec()).unwrap();
    assert_error_page(StatusCode::METHOD_NOT_ALLOWED, &headers, &html, "fr", "en");

    // A page this member may not see.
    let (member, _) = site.session("alice").await;
    let (status, headers, html) =
        site.get("/workspace/staff", &[("cookie", &member), ("accept", BROWSER_ACCEPT)]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_error_page(status, &headers, &html, "fr", "en");
    assert!(html.contains("Accès refusé") && html.contains("Access denied"), "{html}");

    // Something deleted for good.
    let operator = maillage_app::Acting::Operator;
    maillage_app::enterprises::delete(&site.state.app, &operator, "ferme").await.unwrap();
    let (status, headers, html) = site.get("/actors/ferme", &browser).await;
    assert_eq!(status, StatusCode::GONE);
    assert_error_page(status, &headers, &html, "fr", "en");
    assert!(html.contains("supprimé") && html.contains("deleted"), "{html}");

    // Programs keep their JSON: an API address even from a browser, and
    // any address asked for as JSON or as anything.
    for (uri, accept) in [
        ("/api/v1/nulle-part", BROWSER_ACCEPT),
        ("/nulle-part", "application/json"),
        ("/nulle-part", "*/*"),
        ("/actors/ferme", "application/activity+json"),
    ] {
        let (status, headers, body) = site.get(uri, &[("accept", accept)]).await;
        assert!(status.is_client_error(), "{uri} {accept}: {status}");
        let kind = headers[header::CONTENT_TYPE].to_str().unwrap();
        assert!(kind.contains("json"), "{uri} {accept}: {kind} {body}");
    }
}

/// The workspace's forms with files and the pages that show them.
mod media;
mod pictures;
