//! Router tests without a socket, on the backend under test.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use maillage_db::testing::TestDatabase;
use tower::ServiceExt;

use super::*;

async fn app() -> (TestDatabase, AppState) {
    let (test_db, app) = maillage_app::testing::test_app(|config| config.server.max_body_bytes = 4096).await;
    let limits = Arc::new(limits::RateLimits::new(&app.config().limits));
    (test_db, AppState::new(app.federation().clone(), limits))
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
