//! The federation endpoints: discovery (WebFinger, host-meta, NodeInfo) and
//! the documents of local actors and their collections.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use maillage_config::Config;
use maillage_db::{Database, LocalActor};
use maillage_domain::ActorKind;
use serde::Deserialize;
use serde_json::json;

use crate::documents::{actor_document, actor_page};
use crate::negotiation::{activity_response, activity_type_for, html_response};
use crate::urls::Urls;

/// What the federation endpoints need.
#[derive(Clone)]
pub struct FederationState {
    pub db: Database,
    pub config: Arc<Config>,
}

impl FederationState {
    fn urls(&self) -> Urls {
        Urls::new(&self.config)
    }
}

pub const JRD_JSON: &str = "application/jrd+json";
pub const NODEINFO_21_SCHEMA: &str = "http://nodeinfo.diaspora.software/ns/schema/2.1";
pub const NODEINFO_21_TYPE: &str = "application/json; profile=\"http://nodeinfo.diaspora.software/ns/schema/2.1#\"";

/// The federation routes, ready to merge into the application router.
pub fn router(state: FederationState) -> Router {
    Router::new()
        .route("/.well-known/webfinger", get(webfinger))
        .route("/.well-known/host-meta", get(host_meta))
        .route("/.well-known/nodeinfo", get(nodeinfo_links))
        .route("/nodeinfo/2.1", get(nodeinfo))
        .route("/actor", get(instance_actor))
        .route("/actors/{username}", get(actor))
        .route("/actors/{username}/{collection}", get(actor_collection))
        .with_state(state)
}

/// A JSON error in the shape the rest of the API uses.
fn error(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({ "error": message }))).into_response()
}

fn internal(error_value: impl std::fmt::Display) -> Response {
    tracing::error!(cause = %error_value, "federation endpoint failed");
    error(StatusCode::INTERNAL_SERVER_ERROR, "internal server error")
}

#[derive(Deserialize)]
struct WebfingerQuery {
    resource: Option<String>,
}

/// `GET /.well-known/webfinger?resource=acct:name@domain` (or an actor URL,
/// or the instance's base URL for the instance actor, FEP-d556).
async fn webfinger(State(state): State<FederationState>, Query(query): Query<WebfingerQuery>) -> Response {
    let Some(resource) = query.resource.filter(|r| !r.trim().is_empty()) else {
        return error(StatusCode::BAD_REQUEST, "the resource parameter is required, e.g. acct:hub@example.org");
    };
    let urls = state.urls();
    let domain = state.config.instance.domain.to_ascii_lowercase();
    let resource = resource.trim();
    let lookup = if let Some(acct) =
        resource.strip_prefix("acct:").or_else(|| (!resource.contains("://")).then_some(resource))
    {
        let Some((name, host)) = acct.trim_start_matches('@').rsplit_once('@') else {
            return error(StatusCode::BAD_REQUEST, "an acct: resource looks like acct:name@domain");
        };
        if host.to_ascii_lowercase() != domain {
            return error(StatusCode::NOT_FOUND, "that account is not on this instance");
        }
        // The instance actor answers to its username and, Mastodon-style, to the domain.
        let host_only = domain.split(':').next().unwrap_or_default();
        if name.eq_ignore_ascii_case(host_only) || name.eq_ignore_ascii_case(&domain) {
            state.db.local_actor_of_kind(ActorKind::Instance).await
        } else {
            state.db.local_actor_by_username(name).await
        }
    } else if resource.trim_end_matches('/') == urls.base() || resource == urls.instance_actor() {
        state.db.local_actor_of_kind(ActorKind::Instance).await
    } else if let Some(name) = resource.strip_prefix(&format!("{}/actors/", urls.base())) {
        state.db.local_actor_by_username(name).await
    } else {
        return error(StatusCode::NOT_FOUND, "that resource is not on this instance");
    };
    let actor = match lookup {
        Ok(Some(actor)) => actor,
        Ok(None) => return error(StatusCode::NOT_FOUND, "no such account on this instance"),
        Err(e) => return internal(e),
    };
    let subject = format!("acct:{}@{}", actor.username, state.config.instance.domain);
    let profile = if actor.kind() == ActorKind::Instance { format!("{}/", urls.base()) } else { actor.ap_id.clone() };
    let body = json!({
        "subject": subject,
        "aliases": [actor.ap_id],
        "links": [
            { "rel": "self", "type": "application/activity+json", "href": actor.ap_id },
            { "rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": profile },
        ],
    });
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(JRD_JSON)),
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*")),
        ],
        body.to_string(),
    )
        .into_response()
}

/// `GET /.well-known/host-meta`: where WebFinger lives (XRD, for older peers).
async fn host_meta(State(state): State<FederationState>) -> Response {
    let template = html_escape::encode_double_quoted_attribute(&format!(
        "{}/.well-known/webfinger?resource={{uri}}",
        state.urls().base()
    ))
    .into_owned();
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <XRD xmlns=\"http://docs.oasis-open.org/ns/xri/xrd-1.0\">\n  \
         <Link rel=\"lrdd\" template=\"{template}\"/>\n</XRD>\n"
    );
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("application/xrd+xml; charset=utf-8")),
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*")),
        ],
        xml,
    )
        .into_response()
}

/// `GET /.well-known/nodeinfo`: NodeInfo 2.1, and the instance actor (FEP-2677).
async fn nodeinfo_links(State(state): State<FederationState>) -> Response {
    let urls = state.urls();
    let body = json!({
        "links": [
            { "rel": NODEINFO_21_SCHEMA, "href": format!("{}/nodeinfo/2.1", urls.base()) },
            { "rel": "https://www.w3.org/ns/activitystreams#Application", "href": urls.instance_actor() },
        ]
    });
    ([(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"))], axum::Json(body)).into_response()
}

/// `GET /nodeinfo/2.1`
async fn nodeinfo(State(state): State<FederationState>) -> Response {
    let counts = match state.db.count_local_actors().await {
        Ok(counts) => counts,
        Err(e) => return internal(e),
    };
    let body = json!({
        "version": "2.1",
        "software": {
            "name": "maillage",
            "version": env!("CARGO_PKG_VERSION"),
            "homepage": state.urls().base().to_string() + "/",
        },
        "protocols": ["activitypub"],
        "services": { "inbound": [], "outbound": [] },
        // Accounts are created by the hub's staff; there is no sign-up page.
        "openRegistrations": false,
        "usage": {
            "users": { "total": counts.members },
        },
        "metadata": {
            "nodeName": state.config.hub.name,
            "nodeDescription": state.config.hub.summary,
            "enterprises": counts.enterprises,
        },
    });
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(NODEINFO_21_TYPE)),
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*")),
        ],
        body.to_string(),
    )
        .into_response()
}

async fn instance_actor(State(state): State<FederationState>, headers: HeaderMap) -> Response {
    match state.db.local_actor_of_kind(ActorKind::Instance).await {
        Ok(Some(actor)) => serve_actor(&state, &actor, &headers),
        Ok(None) => error(StatusCode::NOT_FOUND, "the instance actor does not exist yet"),
        Err(e) => internal(e),
    }
}

async fn find_actor(state: &FederationState, username: &str) -> Result<LocalActor, Response> {
    match state.db.local_actor_by_username(username).await {
        // The instance actor lives at /actor only: one id per actor.
        Ok(Some(actor)) if actor.kind() != ActorKind::Instance => Ok(actor),
        Ok(_) => Err(error(StatusCode::NOT_FOUND, "no such actor on this instance")),
        Err(e) => Err(internal(e)),
    }
}

async fn actor(State(state): State<FederationState>, Path(username): Path<String>, headers: HeaderMap) -> Response {
    match find_actor(&state, &username).await {
        Ok(actor) => serve_actor(&state, &actor, &headers),
        Err(response) => response,
    }
}

fn serve_actor(state: &FederationState, actor: &LocalActor, headers: &HeaderMap) -> Response {
    match activity_type_for(headers) {
        Some(content_type) => activity_response(content_type, &actor_document(actor, &state.urls())),
        None => html_response(actor_page(actor, &state.config.instance.domain)),
    }
}

/// The collections of an actor. No activity is stored yet, so each is an
/// empty `OrderedCollection` until follows and posts land.
async fn actor_collection(
    State(state): State<FederationState>,
    Path((username, collection)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if !matches!(collection.as_str(), "outbox" | "followers" | "following" | "featured") {
        return error(StatusCode::NOT_FOUND, "no such collection");
    }
    let actor = match find_actor(&state, &username).await {
        Ok(actor) => actor,
        Err(response) => return response,
    };
    let body = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": Urls::of_actor(&actor.ap_id, &collection),
        "type": "OrderedCollection",
        "totalItems": 0,
        "orderedItems": [],
    });
    activity_response(activity_type_for(&headers).unwrap_or(crate::negotiation::ACTIVITY_JSON), &body)
}
