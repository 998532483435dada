//! Maillage's web: server-rendered, bilingual HTML pages for people.
//!
//! Owns the public pages (home, network directory, enterprise and practice
//! pages, practice library, themes), their Atom feeds, the login session and
//! the member workspace. Pages are plain HTML that works without JavaScript;
//! the only script (`/static/map.js`) draws the directory's map when it can.
//! The HTML views of ActivityPub documents (`/actors/NAME`, `/objects/ID`)
//! are reached through content negotiation: [`pages`] hands them to
//! `maillage-http`, which sends browsers here and ActivityPub clients to the
//! federation endpoints.

mod assets;
mod attachments;
pub mod directory;
mod error;
mod feeds;
pub mod i18n;
mod mail_links;
mod pages;
mod replies;
mod session;
mod statistics;
mod views;
mod workspace;

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::routing::{get, post};
use maillage_http::AppState;

pub use error::PageError;

/// What the pages need: the application's state and the directory snapshot.
#[derive(Clone)]
pub struct WebState {
    pub shared: AppState,
    pub directory: Arc<directory::DirectoryCache>,
    /// Import files previewed by the staff, waiting for confirmation.
    pub(crate) uploads: Arc<workspace::import::Uploads>,
}

impl WebState {
    pub fn new(app: AppState) -> Self {
        WebState { shared: app, directory: Arc::default(), uploads: Arc::default() }
    }

    pub fn base_url(&self) -> String {
        self.shared.config().public_base_url()
    }

    pub fn domain(&self) -> &str {
        &self.shared.config().instance.domain
    }

    /// The network directory's current snapshot.
    pub async fn directory_entries(&self) -> Result<Arc<Vec<directory::Entry>>, maillage_db::DbError> {
        let max_per_server = self.shared.config().directory.max_per_server;
        self.directory.entries(self.shared.db(), self.domain(), max_per_server).await
    }
}

/// The pages, ready for [`maillage_http::router_with_pages`].
pub fn pages(app: AppState) -> maillage_http::Pages {
    let state = WebState::new(app);
    let secure = state.shared.config().public_base_url().starts_with("https://");
    let routes = Router::new()
        .route("/", get(pages::home))
        .route("/directory", get(pages::directory))
        .route("/directory/map.json", get(pages::directory_map))
        .route("/practices", get(pages::practices))
        .route("/statistics", get(statistics::page))
        .route("/statistics/{file}", get(statistics::chart_csv))
        .route("/tags/{tag}", get(pages::theme))
        // Each use makes us look the visitor's server up: counted like the API.
        .route(
            "/follow",
            get(pages::remote_follow).route_layer(axum::middleware::from_fn_with_state(
                state.shared.clone(),
                maillage_http::limits::limit_api,
            )),
        )
        .route("/feed.atom", get(feeds::hub_feed))
        .route("/feeds/actors/{username}", get(feeds::actor_feed))
        .route("/feeds/tags/{tag}", get(feeds::theme_feed))
        .route("/login", get(session::login_form).post(session::login))
        .route("/logout", post(session::logout))
        .route("/claim/{token}", get(mail_links::claim_form).post(mail_links::claim))
        .route("/email/verify/{token}", get(mail_links::verify_form).post(mail_links::verify))
        .route("/workspace/email/verify", post(mail_links::send_verification))
        .route("/password/forgot", get(mail_links::forgot_form).post(mail_links::forgot))
        .route("/password/reset/{token}", get(mail_links::reset_form).post(mail_links::reset))
        .route("/workspace", get(workspace::workspace))
        .route("/workspace/follows", post(workspace::follows::follow))
        .route("/workspace/enterprises/{handle}", get(workspace::edit::profile_form))
        .route("/workspace/practices/{id}", get(workspace::edit::practice_form))
        .route("/workspace/staff", get(workspace::staff::staff_home))
        .route("/workspace/staff/enterprises", post(workspace::staff::admit_enterprise))
        .route("/workspace/staff/import", get(workspace::import::import_form).post(workspace::import::preview))
        .route("/workspace/staff/import/confirm", post(workspace::import::confirm))
        .route("/workspace/staff/enterprises/invite", post(workspace::staff::invite_to_claim))
        .route("/workspace/staff/enterprises/delete", post(workspace::staff::delete_enterprise))
        .route("/workspace/staff/feature", post(workspace::staff::feature))
        .route("/workspace/staff/reports/{id}/resolve", post(workspace::staff::resolve_report))
        .route("/workspace/staff/domains", post(workspace::staff::domain_rule))
        .route("/workspace/staff/announcements", post(workspace::announcements::publish))
        .route("/workspace/staff/announcements/{id}/delete", post(workspace::announcements::withdraw))
        .route("/static/{file}", get(assets::asset))
        .with_state(state.clone());
    // Forms with files: under the media body limit, not the pages' own.
    let uploads = Router::new()
        .route("/workspace/updates", post(workspace::publish::post_update))
        .route("/workspace/practices", post(workspace::publish::publish_practice))
        .route("/workspace/enterprises/{handle}", post(workspace::edit::save_profile))
        .route("/workspace/practices/{id}", post(workspace::edit::save_practice))
        .with_state(state.clone());
    let documents = Router::new()
        .route("/actors/{username}", get(pages::actor))
        .route("/objects/{id}", get(pages::object))
        .with_state(state);
    let headers = axum::middleware::from_fn(move |request, next| security_headers(secure, request, next));
    let error_page = std::sync::Arc::new(move |uri: &axum::http::Uri, request: &axum::http::HeaderMap, status| {
        let query_lang = uri.query().and_then(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .find(|(name, _)| name == "lang")
                .map(|(_, value)| value.into_owned())
        });
        let lang = i18n::Lang::negotiate(query_lang.as_deref(), request);
        let mut response = axum::response::IntoResponse::into_response(error::PageError::for_status(lang, status));
        add_security_headers(secure, response.headers_mut());
        response
    });
    maillage_http::Pages {
        routes: routes.layer(headers.clone()),
        uploads: uploads.layer(headers.clone()),
        documents: documents.layer(headers),
        error_page: Some(error_page),
    }
}

/// Headers every page carries: no inline script, no framing, no sniffing.
async fn security_headers(
    secure: bool,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let mut response = next.run(request).await;
    add_security_headers(secure, response.headers_mut());
    response
}

fn add_security_headers(secure: bool, headers: &mut axum::http::HeaderMap) {
    // Map tiles come from a configurable server: images may come from any
    // https origin. Forms post here, and the remote-follow redirect leaves
    // for the reader's own server.
    let form_action = if secure { "'self' https:" } else { "'self' http: https:" };
    let csp = format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; \
         connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action {form_action}"
    );
    if let Ok(value) = HeaderValue::from_str(&csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if secure {
        headers.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"));
    }
}

#[cfg(test)]
mod tests;
