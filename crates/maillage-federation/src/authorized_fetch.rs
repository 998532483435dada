//! "Authorized fetch" (`federation.authorized_fetch = true`): everything
//! the federation document routes answer (actors, collections, objects,
//! activities: JSON whatever the `Accept`) is served only to GETs signed by
//! a non-suspended actor of a server we federate with, as Mastodon's secure
//! mode does. Browsers asking for `/actors/NAME` or `/objects/ID` are sent
//! to the HTML pages before reaching these routes (`maillage-http`'s
//! negotiation), so they never need a signature; WebFinger, NodeInfo and
//! the instance actor (whose key other servers need to check our own
//! signed fetches) stay public. The library's axum side verifies only
//! inbox POSTs, so signed GETs are checked here with our signature module.

use std::time::SystemTime;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use url::Url;

use crate::context::Federation;
use crate::error::FederationError;
use crate::objects::authority;
use crate::signature::{self, RequestParts};

/// The middleware: lets the request through, or answers 401/403.
pub async fn require_signed_fetch(State(federation): State<Federation>, request: Request, next: Next) -> Response {
    // Whatever the `Accept`: these routes answer JSON to everyone who reaches them.
    if !federation.context().config.federation.authorized_fetch {
        return next.run(request).await;
    }
    // Owned copies: a request (its body) cannot be held across awaits.
    let method = request.method().clone();
    let target = request.uri().path_and_query().map_or("/", |p| p.as_str()).to_string();
    let headers = request.headers().clone();
    match verified_fetcher(&federation, &method, &target, &headers).await {
        Ok(signer) => {
            let mut request = request;
            request.extensions_mut().insert(SignedBy(signer));
            next.run(request).await
        }
        Err(error) => refusal(&error),
    }
}

/// The remote actor whose signature on this GET [`require_signed_fetch`]
/// verified, for the handlers that serve what only some may read.
#[derive(Debug, Clone)]
pub struct SignedBy(pub maillage_db::RemoteActor);

/// Who reads one of our documents: the signer [`require_signed_fetch`]
/// already verified, else, when the GET is signed, its signer once
/// verified here (authorized fetch off: only what not everyone may read
/// asks for it), else anyone. A bad signature is refused (401/403).
pub async fn reader_of(
    federation: &Federation,
    method: &Method,
    path_and_query: &str,
    headers: &HeaderMap,
    signed_by: Option<&SignedBy>,
) -> Result<maillage_db::Reader, Response> {
    if let Some(SignedBy(actor)) = signed_by {
        return Ok(maillage_db::Reader::remote(actor.id, &actor.ap_id));
    }
    if !headers.contains_key("signature") {
        return Ok(maillage_db::Reader::anonymous());
    }
    match verified_fetcher(federation, method, path_and_query, headers).await {
        Ok(actor) => Ok(maillage_db::Reader::remote(actor.id, &actor.ap_id)),
        Err(error) => Err(refusal(&error)),
    }
}

/// The remote actor that signed this GET, once everything vouches for it:
/// the signature is well formed and in its time window, the key's server
/// is federated with (not blocked; allowed in allow-list mode) and is not
/// this instance, the key is the actor's (fetched when unknown, refetched
/// once for rotated keys), the signature verifies, and the actor is not
/// suspended by our moderators. `path_and_query` is the request target as
/// the client sent it. Errors: `Signature`/`Unauthorized`/`Library` (401),
/// `Forbidden` (403: blocked server or suspended actor), `Database` (500).
pub async fn verified_fetcher(
    federation: &Federation,
    method: &Method,
    path_and_query: &str,
    headers: &HeaderMap,
) -> Result<maillage_db::RemoteActor, FederationError> {
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
    let actor = crate::inbox::verified_signer(&data, actor_url, &params, &parts).await?;
    if actor.row.suspended {
        return Err(FederationError::Forbidden(format!(
            "{} is suspended by this instance's moderators",
            actor.row.ap_id
        )));
    }
    Ok(actor.row)
}

/// The answer to a GET [`verified_fetcher`] refused: 401 or 403 with the
/// reason, 500 (reason logged, not shown) when we could not check.
pub fn refusal(error: &FederationError) -> Response {
    let status = match error {
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
    let mut response = (status, axum::Json(json!({ "error": message }))).into_response();
    crate::negotiation::vary_accept(&mut response);
    response
}
