//! `GET /healthz`: whether this process can serve, for load balancers and
//! supervisors. 200 only when the database answers and can write; 503 with
//! the reason (`database_unreachable`, `database_not_writable`) otherwise.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use maillage_db::{DbError, Outage};
use serde_json::{Value, json};

use crate::AppState;

pub(crate) async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let database = state.db().kind().as_str();
    let checked = match state.db().ping().await {
        Ok(()) => state.db().probe_write().await.map_err(|e| (e, Outage::NotWritable)),
        Err(error) => Err((error, Outage::Unreachable)),
    };
    match checked {
        Ok(()) => (StatusCode::OK, Json(json!({ "status": "ok", "database": database }))),
        Err((error, fallback)) => {
            let outage = DbError::outage(&error).unwrap_or(fallback);
            maillage_app::error::DATABASE_OUTAGE.warn(&error);
            let body = json!({ "status": "unavailable", "database": database, "error": outage.message(), "reason": outage.as_str() });
            (StatusCode::SERVICE_UNAVAILABLE, Json(body))
        }
    }
}
