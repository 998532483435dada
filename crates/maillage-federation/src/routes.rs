//! The federation endpoints: discovery (WebFinger, host-meta, NodeInfo) and
//! the documents of local actors and their collections.

use std::sync::Arc;

use axum::Extension;
use axum::Router;
use axum::body::Bytes;
use axum::extract::OriginalUri;
use axum::extract::{Path, Query, State};
use axum::http::Method;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use maillage_config::Config;
use maillage_db::{Database, LocalActor};
use maillage_domain::ActorKind;
use serde::Deserialize;
use serde_json::json;

use crate::authorized_fetch::SignedBy;
use crate::context::Federation;
use crate::documents::actor_document;
use crate::inbound::Received;
use crate::inbox;
use crate::negotiation::{ACTIVITY_JSON, activity_response, activity_type_for};
use crate::urls::Urls;

/// What the federation endpoints need.
#[derive(Clone)]
pub struct FederationState {
    pub db: Database,
    pub config: Arc<Config>,
    pub federation: Federation,
}

impl FederationState {
    pub fn new(federation: Federation) -> Self {
        let context = federation.context();
        FederationState { db: context.db.clone(), config: context.config.clone(), federation }
    }

    fn urls(&self) -> Urls {
        Urls::new(&self.config)
    }
}

pub const JRD_JSON: &str = "application/jrd+json";
pub const NODEINFO_21_SCHEMA: &str = "http://nodeinfo.diaspora.software/ns/schema/2.1";
pub const NODEINFO_21_TYPE: &str = "application/json; profile=\"http://nodeinfo.diaspora.software/ns/schema/2.1#\"";

/// The federation routes, ready to merge into the application router.
pub fn router(state: FederationState) -> Router {
    // Documents that "authorized fetch" keeps for signed requests.
    let documents = Router::new()
        .route("/actors/{username}", get(actor))
        .route("/actors/{username}/{collection}", get(actor_collection))
        .route("/actor/{collection}", get(instance_actor_collection))
        .route("/activities/{id}", get(activity))
        .route("/objects/{id}", get(object))
        .route_layer(axum::middleware::from_fn_with_state(
            state.federation.clone(),
            crate::authorized_fetch::require_signed_fetch,
        ));
    Router::new()
        .route("/.well-known/webfinger", get(webfinger))
        .route("/.well-known/host-meta", get(host_meta))
        .route("/.well-known/nodeinfo", get(nodeinfo_links))
        .route("/nodeinfo/2.1", get(nodeinfo))
        .route("/actor", get(instance_actor))
        .route("/actors/{username}/inbox", post(actor_inbox))
        // The instance actor's own inbox is the shared one.
        .route("/actor/inbox", post(shared_inbox))
        .route("/inbox", post(shared_inbox))
        .merge(documents)
        .with_state(state)
}

/// A JSON error in the shape the rest of the API uses.
fn error(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({ "error": message }))).into_response()
}

/// Our own failure: 503 with `Retry-After` and the reason when the database
/// cannot serve for now (the sender retries), 500 otherwise.
fn internal(error_value: impl Into<crate::FederationError>) -> Response {
    let error_value = error_value.into();
    if let Some(outage) = error_value.outage() {
        let body = axum::Json(json!({ "error": outage.message(), "reason": outage.as_str() }));
        let wait = [(axum::http::header::RETRY_AFTER, maillage_db::Outage::RETRY_AFTER_SECONDS.to_string())];
        return (StatusCode::SERVICE_UNAVAILABLE, wait, body).into_response();
    }
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
            state.db.local_actor_or_tombstone(name).await
        }
    } else if resource.trim_end_matches('/') == urls.base() || resource == urls.instance_actor() {
        state.db.local_actor_of_kind(ActorKind::Instance).await
    } else if let Some(name) = resource.strip_prefix(&format!("{}/actors/", urls.base())) {
        state.db.local_actor_or_tombstone(name).await
    } else {
        return error(StatusCode::NOT_FOUND, "that resource is not on this instance");
    };
    let actor = match lookup {
        Ok(Some(actor)) if actor.is_deleted() => return error(StatusCode::GONE, "that account was deleted"),
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
        // Closed: accounts are created by the hub's staff.
        "openRegistrations": state.config.registrations.mode.is_open(),
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

/// A live local actor by username; a deleted one is a `Tombstone` with 410
/// (as Mastodon answers for a deleted account), its collections too.
async fn find_actor(state: &FederationState, username: &str, headers: &HeaderMap) -> Result<LocalActor, Response> {
    match state.db.local_actor_or_tombstone(username).await {
        Ok(Some(actor)) if actor.is_deleted() => Err(gone_actor(&actor, headers)),
        // The instance actor lives at /actor only: one id per actor.
        Ok(Some(actor)) if actor.kind() != ActorKind::Instance => Ok(actor),
        Ok(_) => Err(error(StatusCode::NOT_FOUND, "no such actor on this instance")),
        Err(e) => Err(internal(e)),
    }
}

fn gone_actor(actor: &LocalActor, headers: &HeaderMap) -> Response {
    let deleted = actor.deleted_at.unwrap_or(actor.updated_at);
    let tombstone = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": actor.ap_id,
        "type": "Tombstone",
        "formerType": actor.kind().activity_type(),
        "deleted": deleted.as_datetime().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    });
    let mut response = activity_response(activity_type_for(headers).unwrap_or(ACTIVITY_JSON), &tombstone);
    *response.status_mut() = StatusCode::GONE;
    response
}

async fn actor(State(state): State<FederationState>, Path(username): Path<String>, headers: HeaderMap) -> Response {
    match find_actor(&state, &username, &headers).await {
        Ok(actor) => match crate::actors::ensure_keys(&state.db, actor).await {
            Ok(actor) => serve_actor(&state, &actor, &headers),
            Err(e) => key_pending(&e),
        },
        Err(response) => response,
    }
}

/// An actor created by an import is never served without its public key:
/// the key is made on the first request; should that fail, the requester
/// is told to come back (503 with `Retry-After`).
fn key_pending(cause: &crate::ActorError) -> Response {
    tracing::warn!(error = %cause, "cannot make an actor's key pair");
    let mut response = error(StatusCode::SERVICE_UNAVAILABLE, "this actor's key is being made: try again shortly");
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("10"));
    response
}

/// Browsers get the actor's web page before reaching here (see
/// `maillage-http`'s negotiation); whoever arrives gets the JSON document.
fn serve_actor(state: &FederationState, actor: &LocalActor, headers: &HeaderMap) -> Response {
    activity_response(activity_type_for(headers).unwrap_or(ACTIVITY_JSON), &actor_document(actor, &state.urls()))
}

/// `?page=true[&max_id=N|&min_id=N]`: a page of a collection.
#[derive(Deserialize)]
struct PageQuery {
    page: Option<String>,
    max_id: Option<i64>,
    min_id: Option<i64>,
}

/// Items per page of the collections we serve.
pub const PAGE_SIZE: i64 = 40;

/// An actor's outbox, followers or following, or the hub's members (its
/// enterprises), as an `OrderedCollection` whose items are in
/// `OrderedCollectionPage`s (newest first, keyset pages).
async fn actor_collection(
    State(state): State<FederationState>,
    Path((username, collection)): Path<(String, String)>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
) -> Response {
    match find_actor(&state, &username, &headers).await {
        Ok(actor) => serve_collection(&state, &actor, &collection, &query, &headers).await,
        Err(response) => response,
    }
}

/// The instance actor's outbox, followers, following or featured (each
/// URL its document names answers, even when it lists nothing).
async fn instance_actor_collection(
    State(state): State<FederationState>,
    Path(collection): Path<String>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
) -> Response {
    match state.db.local_actor_of_kind(ActorKind::Instance).await {
        Ok(Some(actor)) => serve_collection(&state, &actor, &collection, &query, &headers).await,
        Ok(None) => error(StatusCode::NOT_FOUND, "the instance actor does not exist yet"),
        Err(e) => internal(e),
    }
}

async fn serve_collection(
    state: &FederationState,
    actor: &LocalActor,
    collection: &str,
    query: &PageQuery,
    headers: &HeaderMap,
) -> Response {
    if !matches!(collection, "outbox" | "followers" | "following" | "featured" | "members") {
        return error(StatusCode::NOT_FOUND, "no such collection");
    }
    if collection == "members" && actor.kind() != ActorKind::Hub {
        return error(StatusCode::NOT_FOUND, "only the hub has members");
    }
    let content_type = activity_type_for(headers).unwrap_or(crate::negotiation::ACTIVITY_JSON);
    let id = Urls::of_actor(&actor.ap_id, collection);
    let body = match collection_document(state, actor, collection, &id, query).await {
        Ok(body) => body,
        Err(e) => return internal(e),
    };
    activity_response(content_type, &body)
}

async fn collection_document(
    state: &FederationState,
    actor: &LocalActor,
    collection: &str,
    id: &str,
    query: &PageQuery,
) -> Result<serde_json::Value, maillage_db::DbError> {
    use maillage_db::{Direction, FollowState};
    let direction = match collection {
        "followers" => Some(Direction::Incoming),
        "following" => Some(Direction::Outgoing),
        _ => None,
    };
    if collection == "featured" {
        let items = state.db.featured_of(actor.id).await?;
        return Ok(json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": id,
            "type": "OrderedCollection",
            "totalItems": items.len(),
            "orderedItems": items,
        }));
    }
    let total = match (collection, direction) {
        (_, Some(direction)) => state.db.count_follows(actor.id, direction, FollowState::Accepted).await?,
        ("outbox", None) => state.db.outbox_count(actor.id).await?,
        ("members", None) => state.db.count_local_actors().await?.enterprises,
        _ => 0,
    };
    if query.page.is_none() && query.max_id.is_none() && query.min_id.is_none() {
        return Ok(json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": id,
            "type": "OrderedCollection",
            "totalItems": total,
            "first": format!("{id}?page=true"),
        }));
    }
    // (key, item) pairs, newest first.
    let mut items: Vec<(i64, serde_json::Value)> = match (collection, direction) {
        (_, Some(direction)) => {
            let rows = match query.min_id {
                Some(min) => {
                    state.db.follows_page_after(actor.id, direction, FollowState::Accepted, min, PAGE_SIZE).await?
                }
                None => {
                    state.db.follows_page(actor.id, direction, FollowState::Accepted, query.max_id, PAGE_SIZE).await?
                }
            };
            rows.into_iter().map(|f| (f.id, json!(f.remote_ap_id))).collect()
        }
        ("outbox", None) => {
            let rows = match query.min_id {
                Some(min) => state.db.outbox_page_after(actor.id, min, PAGE_SIZE).await?,
                None => state.db.outbox_page(actor.id, query.max_id, PAGE_SIZE).await?,
            };
            let mut items = Vec::with_capacity(rows.len());
            for row in rows {
                items.push((row.id, outbox_entry(state, actor, &row).await?));
            }
            items
        }
        ("members", None) => {
            let rows =
                state.db.local_actor_ids_page(ActorKind::Enterprise, query.max_id, query.min_id, PAGE_SIZE).await?;
            rows.into_iter().map(|(id, ap_id)| (id, json!(ap_id))).collect()
        }
        _ => Vec::new(),
    };
    items.sort_by_key(|(key, _)| std::cmp::Reverse(*key));
    let page_id = match (query.max_id, query.min_id) {
        (Some(max), _) => format!("{id}?page=true&max_id={max}"),
        (None, Some(min)) => format!("{id}?page=true&min_id={min}"),
        (None, None) => format!("{id}?page=true"),
    };
    let mut page = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": page_id,
        "type": "OrderedCollectionPage",
        "partOf": id,
        "totalItems": total,
        "orderedItems": items.iter().map(|(_, item)| item.clone()).collect::<Vec<_>>(),
    });
    if let (Some((newest, _)), Some((oldest, _))) = (items.first(), items.last()) {
        // `next` goes to older items, `prev` to newer ones; each only when
        // this page may not be the end (a full page, or we came from there).
        if items.len() as i64 == PAGE_SIZE || query.min_id.is_some() {
            page["next"] = json!(format!("{id}?page=true&max_id={oldest}"));
        }
        if query.max_id.is_some() || (query.min_id.is_some() && items.len() as i64 == PAGE_SIZE) {
            page["prev"] = json!(format!("{id}?page=true&min_id={newest}"));
        }
    }
    Ok(page)
}

/// One entry of an outbox: the activity as sent, except that a `Create`
/// of a post edited since carries the post as it is now (the outbox lists
/// no `Update`s; deleted posts are left out by the query).
async fn outbox_entry(
    state: &FederationState,
    actor: &LocalActor,
    row: &maillage_db::OutboxItem,
) -> Result<serde_json::Value, maillage_db::DbError> {
    let mut activity: serde_json::Value = serde_json::from_str(&row.json).unwrap_or(json!(null));
    if activity["type"] == "Create"
        && row.post_updated.is_some()
        && let Some(post_id) = row.post_id
        && let Some(post) = state.db.post_by_id(post_id).await?
        && post.actor_id == actor.id
    {
        let author = match post.author_id {
            Some(id) => state.db.local_actor_by_id(id).await?,
            None => None,
        };
        let media = state.db.media_of_posts(&[post.id]).await?;
        let document = crate::content::protocol::post_document(&post, actor, author.as_ref(), &state.urls());
        activity["object"] = crate::content::protocol::with_attachments(document, &media, &state.urls());
    }
    Ok(activity)
}

/// `GET /activities/{id}`: an activity we sent, at its id. One that
/// carries (or names) a post deleted since is a `Tombstone` with 410, as
/// the post itself is.
async fn activity(
    State(state): State<FederationState>,
    OriginalUri(uri): OriginalUri,
    method: Method,
    headers: HeaderMap,
    signed_by: Option<Extension<SignedBy>>,
) -> Response {
    let ap_id = format!("{}{}", state.urls().base(), uri.path());
    let content_type = activity_type_for(&headers).unwrap_or(crate::negotiation::ACTIVITY_JSON);
    let served = match state.db.served_activity(&ap_id).await {
        Ok(Some(served)) if !served.public => {
            // Not for everyone: for those it names, or who may read its post.
            let target = uri.path_and_query().map_or("/", |p| p.as_str());
            let signed_by = signed_by.as_ref().map(|Extension(s)| s);
            let reader =
                match crate::authorized_fetch::reader_of(&state.federation, &method, target, &headers, signed_by).await
                {
                    Ok(reader) => reader,
                    Err(refusal) => return refusal,
                };
            match may_read_activity(&state, &reader, &served).await {
                Ok(true) => Ok(Some(served)),
                Ok(false) => Ok(None),
                Err(e) => return internal(e),
            }
        }
        other => other,
    };
    match served {
        Ok(Some(served)) if served.object_deleted => {
            let tombstone = json!({
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": ap_id,
                "type": "Tombstone",
                "formerType": served.kind,
                "published": served.created_at.as_datetime().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            });
            let mut response = activity_response(content_type, &tombstone);
            *response.status_mut() = StatusCode::GONE;
            response
        }
        Ok(Some(served)) => {
            let value: serde_json::Value = serde_json::from_str(&served.json).unwrap_or(json!(null));
            activity_response(content_type, &value)
        }
        Ok(None) => error(StatusCode::NOT_FOUND, "no such activity"),
        Err(e) => internal(e),
    }
}

/// Whether `reader` may read one of our activities that is not for
/// everyone: it names them (`to`, `cc`, `bto`, `bcc`), or it carries or
/// names one of our posts they may read.
async fn may_read_activity(
    state: &FederationState,
    reader: &maillage_db::Reader,
    served: &maillage_db::ServedActivity,
) -> Result<bool, maillage_db::DbError> {
    if reader.is_anonymous() {
        return Ok(false);
    }
    let json: serde_json::Value = serde_json::from_str(&served.json).unwrap_or(json!(null));
    let addressing = crate::objects::addressing_of(&json);
    if addressing.all().any(|addressee| reader.ap_ids.iter().any(|me| me == addressee)) {
        return Ok(true);
    }
    Ok(match &served.object_ap_id {
        Some(object) => state.db.visible_post_by_ap_id(reader, object).await?.is_some(),
        None => false,
    })
}

/// `GET /objects/{id}`: a post we published, to its audience (a remote
/// reader is the verified signer of the GET); a deleted one is a
/// `Tombstone` with 410.
async fn object(
    State(state): State<FederationState>,
    OriginalUri(uri): OriginalUri,
    method: Method,
    headers: HeaderMap,
    signed_by: Option<Extension<SignedBy>>,
) -> Response {
    let ap_id = format!("{}{}", state.urls().base(), uri.path());
    let post = match state.db.post_by_ap_id(&ap_id).await {
        Ok(Some(post)) => post,
        Ok(None) => return error(StatusCode::NOT_FOUND, "no such object"),
        Err(e) => return internal(e),
    };
    let content_type = activity_type_for(&headers);
    // A deleted post that was not for everyone does not say it existed.
    if let Some(deleted) = post.deleted_at.filter(|_| post.visibility().is_open()) {
        let tombstone = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": ap_id,
            "type": "Tombstone",
            "formerType": post.kind.activity_type(),
            "deleted": deleted.as_datetime().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        });
        let mut response = activity_response(content_type.unwrap_or(ACTIVITY_JSON), &tombstone);
        *response.status_mut() = StatusCode::GONE;
        return response;
    }
    // Its audience only (docs/FEDERATION.md, "Who sees what"): anyone for
    // what anyone may read, else the signer of the GET, once verified.
    let reader = if post.visibility().is_open() {
        maillage_db::Reader::anonymous()
    } else {
        let target = uri.path_and_query().map_or("/", |p| p.as_str());
        let signed_by = signed_by.as_ref().map(|Extension(s)| s);
        match crate::authorized_fetch::reader_of(&state.federation, &method, target, &headers, signed_by).await {
            Ok(reader) => reader,
            Err(refusal) => return refusal,
        }
    };
    let post = match state.db.visible_post(&reader, post.id).await {
        Ok(Some(post)) => post,
        Ok(None) => return error(StatusCode::NOT_FOUND, "no such object"),
        Err(e) => return internal(e),
    };
    let (enterprise, author) = match (
        state.db.local_actor_by_id(post.actor_id).await,
        match post.author_id {
            Some(id) => state.db.local_actor_by_id(id).await,
            None => Ok(None),
        },
    ) {
        (Ok(Some(enterprise)), Ok(author)) => (enterprise, author),
        (Ok(None), _) => return error(StatusCode::NOT_FOUND, "no such object"),
        (Err(e), _) | (_, Err(e)) => return internal(e),
    };
    let media = match state.db.media_of_posts(&[post.id]).await {
        Ok(media) => media,
        Err(e) => return internal(e),
    };
    let document = crate::content::protocol::post_document(&post, &enterprise, author.as_ref(), &state.urls());
    let document = crate::content::protocol::with_attachments(document, &media, &state.urls());
    activity_response(content_type.unwrap_or(ACTIVITY_JSON), &document)
}

async fn shared_inbox(
    State(state): State<FederationState>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    inbox_response(&state, &method, &uri, &headers, &body, None).await
}

async fn actor_inbox(
    State(state): State<FederationState>,
    Path(username): Path<String>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    inbox_response(&state, &method, &uri, &headers, &body, Some(&username)).await
}

async fn inbox_response(
    state: &FederationState,
    method: &Method,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
    body: &Bytes,
    for_actor: Option<&str>,
) -> Response {
    let target = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let result = inbox::receive(&state.federation, method, target, headers, body, for_actor).await;
    let status = inbox::status_of(&result);
    use crate::metrics::{METRICS, count};
    match result {
        Ok(Received::Duplicate) => {
            count(&METRICS.inbox_duplicates);
            tracing::debug!("duplicate activity ignored");
            StatusCode::ACCEPTED.into_response()
        }
        Ok(_) => {
            count(&METRICS.inbox_accepted);
            StatusCode::ACCEPTED.into_response()
        }
        Err(e) if e.is_internal() => internal(e),
        Err(e) => {
            count(&METRICS.inbox_rejected);
            tracing::info!(%status, reason = %e, "inbox refused an activity");
            error(status, &e.to_string())
        }
    }
}
