//! Upload requests (the API's media routes, the web's upload forms) wait
//! for admission before their bodies are read
//! ([`maillage_app::media::MediaService::admit_upload`]), so that twenty
//! phones uploading at once queue instead of each holding its file in
//! memory. An admitted request has [`UPLOAD_DEADLINE`] to finish: a client
//! trickling its body cannot hold an admission for ever.

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::AppState;

/// How long an admitted upload may take, its body and processing included
/// (16 MiB at 1 Mbit/s takes about 2 minutes).
const UPLOAD_DEADLINE: Duration = Duration::from_secs(300);

pub(crate) async fn admit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let _admitted = state.app.media().admit_upload().await;
    match tokio::time::timeout(UPLOAD_DEADLINE, next.run(request)).await {
        Ok(response) => response,
        Err(_) => (
            StatusCode::REQUEST_TIMEOUT,
            axum::Json(json!({ "error": "the upload took longer than 5 minutes; send it again" })),
        )
            .into_response(),
    }
}
