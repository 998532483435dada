//! Maillage's HTTP surface.
//!
//! Owns the axum [`router`], the middleware every request passes through
//! (tracing with a request id, body size limit, CORS on the paths web apps
//! call) and
//! [`HttpError`], the one error type that maps failures to status codes and
//! JSON bodies without leaking internals.

pub mod api;
pub mod browser_errors;
pub mod client_address;
pub mod cors;
pub mod default_images;
mod error;
mod health;
pub mod limits;
pub mod login;
mod media_files;
mod metrics;
mod negotiation;
pub mod open_data;
pub mod request_id;
mod upload_admission;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use maillage_config::Config;
use maillage_db::Database;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

pub use error::{HttpError, RETRY_AFTER_SECONDS};

/// What every handler can reach: the use cases, whose storage, settings
/// and wire the accessors lend (one source), and the rate limits.
#[derive(Clone)]
pub struct AppState {
    pub limits: Arc<limits::RateLimits>,
    /// The use cases: every change of state goes through them.
    pub app: maillage_app::App,
    /// The streaming API's side of this process (caps, event fan-out).
    pub streaming: Arc<api::mastodon::Hub>,
}

impl AppState {
    pub fn new(app: maillage_app::App, limits: Arc<limits::RateLimits>) -> Self {
        AppState { app, limits, streaming: Default::default() }
    }

    /// For reads; changes go through [`Self::app`].
    pub fn db(&self) -> &Database {
        self.app.db()
    }

    pub fn config(&self) -> &Config {
        self.app.config()
    }

    pub fn federation(&self) -> &maillage_federation::Federation {
        self.app.federation()
    }
}

/// HTML pages served beside the API (the `maillage-web` crate provides them).
pub struct Pages {
    /// Routes of their own (`/`, `/directory`...).
    pub routes: Router,
    /// The HTML views of ActivityPub documents (`/actors/NAME`,
    /// `/objects/ID`): browsers are sent here, ActivityPub clients to the
    /// federation endpoints.
    pub documents: Router,
    /// The page a browser gets for an error that no page answered (no
    /// such route, a refusal by the HTTP layer), instead of the API's JSON.
    pub error_page: Option<browser_errors::ErrorPage>,
    /// Forms that carry files (the workspace's updates and practices):
    /// under [`form_upload_body_limit`] instead of `server.max_body_bytes`.
    pub uploads: Router,
}

impl Pages {
    pub fn none() -> Self {
        Pages { routes: Router::new(), documents: Router::new(), error_page: None, uploads: Router::new() }
    }
}

/// The body limit of the upload routes: the largest file accepted, and
/// room for the multipart framing and the text fields beside it.
pub fn upload_body_limit(media: &maillage_config::MediaConfig) -> usize {
    const MULTIPART_ROOM: u64 = 64 * 1024;
    usize::try_from(media.max_image_bytes.max(media.max_document_bytes).saturating_add(MULTIPART_ROOM))
        .unwrap_or(usize::MAX)
}

/// The body limit of a web form with files: up to `media.max_attachments`
/// files of the largest size accepted, with the same room for the rest.
pub fn form_upload_body_limit(media: &maillage_config::MediaConfig) -> usize {
    upload_body_limit(media).saturating_mul(media.max_attachments.max(1) as usize)
}

/// The service to serve: the [`router`] behind a layer that ignores a
/// trailing slash (`/api/v1/instance/` is what some clients ask for).
pub fn app(
    state: AppState,
    pages: Pages,
) -> axum::extract::connect_info::IntoMakeServiceWithConnectInfo<
    tower_http::normalize_path::NormalizePath<Router>,
    std::net::SocketAddr,
> {
    use tower::Layer;
    let service =
        tower_http::normalize_path::NormalizePathLayer::trim_trailing_slash().layer(router_with_pages(state, pages));
    axum::ServiceExt::<axum::extract::Request>::into_make_service_with_connect_info::<std::net::SocketAddr>(service)
}

/// The whole HTTP application of one instance, without web pages.
pub fn router(state: AppState) -> Router {
    router_with_pages(state, Pages::none())
}

/// The whole HTTP application of one instance.
pub fn router_with_pages(state: AppState, pages: Pages) -> Router {
    let max_body = state.config().server.max_body_bytes;
    let max_upload = upload_body_limit(&state.config().media);
    // Uploads get the media limit, outside the API's own (a router merged
    // after a layer is not under it).
    let admit_upload = axum::middleware::from_fn_with_state(state.clone(), upload_admission::admit);
    let uploads = api::upload_routes()
        .route_layer(admit_upload.clone())
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), limits::limit_api))
        .with_state(state.clone())
        .layer(DefaultBodyLimit::max(max_upload))
        .layer(RequestBodyLimitLayer::new(max_upload));
    let max_form = form_upload_body_limit(&state.config().media);
    let form_uploads = pages
        .uploads
        .layer(admit_upload)
        .layer(DefaultBodyLimit::max(max_form))
        .layer(RequestBodyLimitLayer::new(max_form));
    // Around everything: the rate limits and the login forms read the address.
    let identify_client = axum::middleware::from_fn_with_state(state.clone(), client_address::identify_client);
    let state_for_ids = state.clone();
    let federation = maillage_federation::router(maillage_federation::FederationState::new(state.federation().clone()))
        .layer(axum::middleware::from_fn_with_state(state.clone(), limits::limit_inbox))
        .layer(axum::middleware::from_fn_with_state(pages.documents, negotiation::html_for_browsers));
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/metrics", get(metrics::metrics))
        .route("/media/{*key}", get(media_files::serve))
        .merge(default_images::routes())
        .merge(api::routes().route_layer(axum::middleware::from_fn_with_state(state.clone(), limits::limit_api)))
        .merge(open_data::routes().route_layer(axum::middleware::from_fn_with_state(state.clone(), limits::limit_api)))
        .with_state(state)
        .merge(federation)
        .merge(pages.routes)
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(DefaultBodyLimit::max(max_body))
        .layer(RequestBodyLimitLayer::new(max_body))
        .merge(uploads)
        .merge(form_uploads)
        .layer(identify_client)
        // Outside the limit layer, so that its bare 413 gets a JSON body too.
        .layer(axum::middleware::map_response(error::explain_bare_errors))
        .layer(axum::middleware::from_fn_with_state(pages.error_page, browser_errors::pages_for_browsers))
        // Outside the error bodies too, so that a page can read a refusal.
        .layer(axum::middleware::from_fn(cors::allow_cross_origin))
        // Everything above runs in the request's span, with its id.
        // Failures are logged where they happen, once (`request failed`);
        // an outage's 503s are summarised, not written per request.
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &axum::extract::Request| request_id::span(request))
                .on_failure(()),
        )
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(request_id::RandomRequestId))
        .layer(axum::middleware::from_fn_with_state(state_for_ids, request_id::believe_trusted_proxies))
        .layer(axum::middleware::from_fn(metrics::time_requests))
}

#[cfg(test)]
mod tests;
