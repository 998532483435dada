//! `GET /metrics`: this process's counters and the shared queues, in
//! Prometheus text format, for admins only (a token of an admin account
//! with the `admin:read` scope, e.g. from `maillage admin token create NAME
//! --scopes admin:read`); and the middleware that times every request.

use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use maillage_federation::metrics::{METRICS, QueueFigures};

use crate::AppState;
use crate::api::auth::User;
use crate::error::HttpError;

pub async fn metrics(State(state): State<AppState>, user: User) -> Result<Response, HttpError> {
    if !user.account.is_admin {
        return Err(HttpError::Forbidden("metrics are for the instance's admins".into()));
    }
    user.require("admin:read")?;
    let deliveries = state.db().delivery_counts().await?;
    let received = state.db().received_counts().await?;
    let unreachable = state.db().domain_health().await?.iter().filter(|h| h.unreachable_since.is_some()).count();
    let queue = QueueFigures {
        deliveries_pending: deliveries.pending,
        deliveries_failed: deliveries.failed,
        inbox_pending: received.pending,
        inbox_failed: received.failed,
        unreachable_servers: i64::try_from(unreachable).unwrap_or(i64::MAX),
    };
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], METRICS.render(&queue)).into_response())
}

/// Times each request for the latency histogram.
pub async fn time_requests(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let response = next.run(request).await;
    METRICS.observe_request(started.elapsed());
    response
}
