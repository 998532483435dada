//! `GET /healthz`: whether this process can serve, for load balancers and
//! supervisors. 200 only when the database answers and can write; 503 with
//! the reason (`database_unreachable`, `database_not_writable`: also a
//! SQLite disk all but full) and `Retry-After` otherwise.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use maillage_db::{DbError, Outage};
use serde_json::json;

use crate::AppState;

pub(crate) async fn healthz(State(state): State<AppState>) -> Response {
    let database = state.db().kind().as_str();
    let checked = match state.db().ping().await {
        Ok(()) => state.db().probe_write().await.map_err(|e| (e, Outage::NotWritable)),
        Err(error) => Err((error, Outage::Unreachable)),
    };
    match checked {
        Ok(()) => (StatusCode::OK, Json(json!({ "status": "ok", "database": database }))).into_response(),
        Err((error, fallback)) => {
            let outage = DbError::outage(&error).unwrap_or(fallback);
            maillage_app::error::DATABASE_OUTAGE.warn(&error);
            let body = json!({ "status": "unavailable", "database": database, "error": outage.message(), "reason": outage.as_str() });
            let wait = [(header::RETRY_AFTER, Outage::RETRY_AFTER_SECONDS.to_string())];
            (StatusCode::SERVICE_UNAVAILABLE, wait, Json(body)).into_response()
        }
    }
}
