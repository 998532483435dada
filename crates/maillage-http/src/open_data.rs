//! The directory's open data, for anyone: `/directory.csv` and
//! `/directory.jsonld` (`?scope=network` adds the network directory's
//! enterprises to ours) and each enterprise's Murmurations profile at
//! `/enterprises/HANDLE/murmurations.json`. The serialisers are
//! `maillage_app::open_data`'s, shared with `maillage admin enterprise
//! export`. Answers may be cached five minutes, by anyone.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use maillage_app::open_data::{self, Publisher, Scope};
use serde::Deserialize;

use crate::{AppState, HttpError};

/// `Cache-Control` of the exports: the directory changes slowly.
pub const CACHE_CONTROL: &str = "public, max-age=300";

/// The paths of the open data (open to every origin, as `cors` decides).
pub fn is_open_data(path: &str) -> bool {
    path == "/directory.csv"
        || path == "/directory.jsonld"
        || path.strip_prefix("/enterprises/").is_some_and(|rest| rest.ends_with("/murmurations.json"))
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/directory.csv", get(directory_csv))
        .route("/directory.jsonld", get(directory_jsonld))
        .route("/enterprises/{handle}/murmurations.json", get(murmurations))
}

#[derive(Debug, Deserialize)]
pub struct ExportQuery {
    scope: Option<String>,
}

fn answer(content_type: &'static str, body: Vec<u8>) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(CACHE_CONTROL));
    response
}

async fn directory_csv(State(state): State<AppState>, Query(query): Query<ExportQuery>) -> Result<Response, HttpError> {
    let scope = Scope::parse(query.scope.as_deref())?;
    let entries = open_data::entries(&state.app, scope).await?;
    let mut response = answer("text/csv; charset=utf-8", open_data::table::write(&entries)?);
    let file = match scope {
        Scope::Own => "attachment; filename=\"directory.csv\"",
        Scope::Network => "attachment; filename=\"directory-network.csv\"",
    };
    response.headers_mut().insert(header::CONTENT_DISPOSITION, HeaderValue::from_static(file));
    Ok(response)
}

async fn directory_jsonld(
    State(state): State<AppState>,
    Query(query): Query<ExportQuery>,
) -> Result<Response, HttpError> {
    let scope = Scope::parse(query.scope.as_deref())?;
    let entries = open_data::entries(&state.app, scope).await?;
    let document = open_data::linked_data::directory(&Publisher::of(&state.app), &entries);
    Ok(answer("application/ld+json", document.to_string().into_bytes()))
}

async fn murmurations(State(state): State<AppState>, Path(handle): Path<String>) -> Result<Response, HttpError> {
    let entry = open_data::entry(&state.app, &handle).await?;
    let profile = open_data::murmurations::profile(&Publisher::of(&state.app), &entry);
    Ok(answer("application/json", profile.to_string().into_bytes()))
}
