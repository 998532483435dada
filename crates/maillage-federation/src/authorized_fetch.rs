//! "Authorized fetch" (`federation.authorized_fetch = true`): our
//! ActivityPub documents (actors, collections, objects, activities) are
//! served only to GETs signed by an actor of a server we federate with,
//! as Mastodon's secure mode does. HTML pages, WebFinger, NodeInfo and the
//! instance actor (whose key other servers need to check our own signed
//! fetches) stay public. The library's axum side verifies only inbox
//! POSTs, so signed GETs are checked here with our signature module.

use std::time::SystemTime;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use url::Url;

use crate::context::Federation;
use crate::error::FederationError;
use crate::negotiation::activity_type_for;
use crate::objects::authority;
use crate::signature::{self, RequestParts};

/// The middleware: lets the request through, or answers 401/403.
pub async fn require_signed_fetch(State(federation): State<Federation>, request: Request, next: Next) -> Response {
    let config = &federation.context().config;
    if !config.federation.authorized_fetch || activity_type_for(request.headers()).is_none() {
        return next.run(request).await;
    }
    // Owned copies: a request (its body) cannot be held across awaits.
    let method = request.method().clone();
    let target = request.uri().path_and_query().map_or("/", |p| p.as_str()).to_string();
    let headers = request.headers().clone();
    match check(&federation, &method, &target, &headers).await {
        Ok(()) => next.run(request).await,
        Err(error) => {
            let status = match &error {
                FederationError::Forbidden(_) => StatusCode::FORBIDDEN,
                FederationError::Database(_) => StatusCode::INTERNAL_SERVER_ERROR,
                _ => StatusCode::UNAUTHORIZED,
            };
            let message = if status.is_server_error() {
                tracing::error!(%error, "cannot check a signed fetch");
                "internal server error".to_string()
            } else {
                format!("this instance serves ActivityPub documents to signed requests only: {error}")
            };
            (status, axum::Json(json!({ "error": message }))).into_response()
        }
    }
}

async fn check(
    federation: &Federation,
    method: &axum::http::Method,
    path_and_query: &str,
    headers: &axum::http::HeaderMap,
) -> Result<(), FederationError> {
    let data = federation.data();
    let parts = RequestParts { method, path_and_query, headers, body: None };
    let params = signature::parse_and_check(&parts, SystemTime::now())?;
    let mut actor_url =
        Url::parse(&params.key_id).map_err(|_| FederationError::Unauthorized("the keyId is not a URL".into()))?;
    actor_url.set_fragment(None);
    if let Some(reason) = data.policies.url_refusal(&actor_url).await {
        return Err(FederationError::Forbidden(reason));
    }
    if authority(&actor_url) == data.config.instance.domain {
        return Err(FederationError::Unauthorized("the key is this instance's own".into()));
    }
    crate::inbox::verified_signer(&data, actor_url, &params, &parts).await?;
    Ok(())
}
