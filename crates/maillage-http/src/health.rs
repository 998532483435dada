//! `GET /healthz`: whether this process can serve, for load balancers and
//! supervisors. 200 only when the database answers.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::AppState;

pub(crate) async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let database = state.db().kind().as_str();
    match state.db().ping().await {
        Ok(()) => (StatusCode::OK, Json(json!({ "status": "ok", "database": database }))),
        Err(error) => {
            tracing::warn!(%error, "health check: database unavailable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "unavailable", "database": database, "error": "database unavailable" })),
            )
        }
    }
}
