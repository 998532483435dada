//! Router tests without a socket, on the backend under test.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use maillage_db::testing::TestDatabase;
use tower::ServiceExt;

use super::*;

async fn app() -> (TestDatabase, AppState) {
    let (test_db, app) = maillage_app::testing::test_app(|config| config.server.max_body_bytes = 4096).await;
    let limits = Arc::new(limits::RateLimits::new(&app.config().limits));
    (test_db, AppState::new(app, limits))
}

async fn json_of(response: axum::response::Response) -> serde_json::Value {
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[tokio::test]
async fn healthz_reports_the_backend() {
    let (_guard, state) = app().await;
    let kind = state.db().kind().as_str();
    let response = router(state).oneshot(Request::get("/healthz").body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(json_of(response).await, serde_json::json!({ "status": "ok", "database": kind }));
}

#[tokio::test]
async fn healthz_is_503_when_the_database_is_gone() {
    let (_guard, state) = app().await;
    state.db().close();
    let response = router(state).oneshot(Request::get("/healthz").body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(json_of(response).await["status"], "unavailable");
}

#[tokio::test]
async fn unknown_routes_get_json_404() {
    let (_guard, state) = app().await;
    let response = router(state).oneshot(Request::get("/nope").body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(response.headers()[header::CONTENT_TYPE].to_str().unwrap().starts_with("application/json"));
    assert!(json_of(response).await["error"].is_string());
}

#[tokio::test]
async fn wrong_method_gets_json_405() {
    let (_guard, state) = app().await;
    let response = router(state).oneshot(Request::delete("/healthz").body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(json_of(response).await["error"].is_string());
}

#[tokio::test]
async fn oversized_bodies_get_413() {
    let (_guard, state) = app().await;
    let request =
        Request::post("/healthz").header(header::CONTENT_LENGTH, "5000").body(Body::from(vec![b'x'; 5000])).unwrap();
    let response = router(state).oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(json_of(response).await["error"], "request body too large");
}

#[tokio::test]
async fn an_unknown_author_is_a_complete_account() {
    let (_guard, state) = app().await;
    let seen = maillage_db::UtcTime::now();
    for uri in [Some("https://elsewhere.example/users/ann"), Some("not a url"), None] {
        let account = api::entities::unknown_account(&state, uri, seen);
        for field in ["id", "username", "acct", "display_name", "created_at", "note", "url"] {
            assert!(account[field].is_string(), "{field} in {account}");
        }
        for field in ["locked", "bot", "group"] {
            assert!(account[field].is_boolean(), "{field} in {account}");
        }
        for field in ["followers_count", "following_count", "statuses_count"] {
            assert!(account[field].is_i64(), "{field} in {account}");
        }
        assert!(account["emojis"].is_array() && account["fields"].is_array(), "{account}");
        assert!(account["last_status_at"].is_null());
        for field in ["url", "avatar", "avatar_static", "header", "header_static"] {
            let url = account[field].as_str().unwrap();
            assert!(url.starts_with("http://") || url.starts_with("https://"), "{field}: {url:?}");
        }
    }
    let account = api::entities::unknown_account(&state, Some("https://elsewhere.example/users/ann"), seen);
    assert_eq!(account["acct"], "unknown@elsewhere.example");
    assert_eq!(account["url"], "https://elsewhere.example/users/ann");
}

#[tokio::test]
async fn default_images_are_png() {
    let (_guard, state) = app().await;
    let router = router(state);
    for path in [default_images::AVATAR_PATH, default_images::HEADER_PATH] {
        let response = router.clone().oneshot(Request::get(path).body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(response.headers()[header::CONTENT_TYPE], "image/png");
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
        assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "{path}");
    }
}
