//! The error every handler returns, and the JSON shape clients get.
//!
//! Bodies are `{"error": "..."}`, the shape Mastodon clients understand.
//! Internal failures are logged with their cause and answered with a generic
//! message: database or library details never reach the client.

use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Unprocessable(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    TooManyRequests(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    /// The media store cannot serve for now (503 with `Retry-After`).
    #[error("{0}")]
    StoreUnavailable(String),
    /// The database (or another service we use) cannot serve for now.
    #[error("{}", .0.message())]
    Unavailable(maillage_db::Outage),
    #[error("internal error: {0}")]
    Internal(String),
}

impl HttpError {
    pub fn status(&self) -> StatusCode {
        match self {
            HttpError::BadRequest(_) => StatusCode::BAD_REQUEST,
            HttpError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            HttpError::Forbidden(_) => StatusCode::FORBIDDEN,
            HttpError::NotFound(_) => StatusCode::NOT_FOUND,
            HttpError::Conflict(_) => StatusCode::CONFLICT,
            HttpError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            HttpError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            HttpError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            HttpError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            HttpError::StoreUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            HttpError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            HttpError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// How long clients are asked to wait before trying again after an outage.
pub const RETRY_AFTER_SECONDS: u64 = maillage_db::Outage::RETRY_AFTER_SECONDS;

impl From<maillage_db::DbError> for HttpError {
    fn from(error: maillage_db::DbError) -> Self {
        maillage_app::AppError::from(error).into()
    }
}

/// The one conversion of the use cases' error into an API answer.
impl From<maillage_app::AppError> for HttpError {
    fn from(error: maillage_app::AppError) -> Self {
        use maillage_app::AppError as A;
        match error {
            e @ A::Invalid { .. } => HttpError::Unprocessable(e.to_string()),
            A::Unauthenticated(m) => HttpError::Unauthorized(m),
            A::Forbidden(m) => HttpError::Forbidden(m),
            A::NotFound(m) => HttpError::NotFound(m),
            A::Conflict(m) => HttpError::Conflict(m),
            A::RateLimited(m) => HttpError::TooManyRequests(m),
            A::TooLarge(m) => HttpError::PayloadTooLarge(m),
            A::StoreUnavailable(m) => HttpError::StoreUnavailable(m),
            A::Unavailable(outage) => HttpError::Unavailable(outage),
            A::Remote(m) => HttpError::Unprocessable(m),
            A::Internal(m) => HttpError::Internal(m),
        }
    }
}

/// What the wire crate refuses, answered as the use cases' errors are.
impl From<maillage_federation::FederationError> for HttpError {
    fn from(error: maillage_federation::FederationError) -> Self {
        maillage_app::AppError::from(error).into()
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = match &self {
            HttpError::Internal(cause) => {
                tracing::error!(%cause, "request failed");
                "internal server error".to_string()
            }
            HttpError::Unavailable(outage) => {
                let body = Json(json!({ "error": outage.message(), "reason": outage.as_str() }));
                return (status, [(header::RETRY_AFTER, RETRY_AFTER_SECONDS.to_string())], body).into_response();
            }
            HttpError::StoreUnavailable(message) => {
                let body = Json(json!({ "error": message, "reason": "media_store_unavailable" }));
                return (status, [(header::RETRY_AFTER, RETRY_AFTER_SECONDS.to_string())], body).into_response();
            }
            other => other.to_string(),
        };
        (status, Json(json!({ "error": message }))).into_response()
    }
}

pub(crate) async fn not_found() -> HttpError {
    HttpError::NotFound("no such page or endpoint".to_string())
}

pub(crate) async fn method_not_allowed() -> Response {
    (StatusCode::METHOD_NOT_ALLOWED, Json(json!({ "error": "method not allowed here" }))).into_response()
}

/// Turns the plain-text error responses produced by middleware and axum's
/// extractors (body limit, malformed JSON...) into `{"error": "..."}`,
/// keeping their message.
pub(crate) async fn explain_bare_errors(response: Response) -> Response {
    let status = response.status();
    let plain = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v.starts_with("text/plain"));
    if !(status.is_client_error() || status.is_server_error()) || !plain {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 4096).await.unwrap_or_default();
    let text = String::from_utf8_lossy(&text).trim().to_string();
    let message = match status {
        StatusCode::PAYLOAD_TOO_LARGE => "request body too large".to_string(),
        _ if !text.is_empty() => text,
        other => other.canonical_reason().unwrap_or("error").to_lowercase(),
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.remove(header::CONTENT_TYPE);
    let mut rebuilt = (status, Json(json!({ "error": message }))).into_response();
    for (name, value) in parts.headers.iter() {
        rebuilt.headers_mut().entry(name).or_insert(value.clone());
    }
    rebuilt
}
