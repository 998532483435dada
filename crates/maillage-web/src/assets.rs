//! Static files compiled into the binary: our stylesheet and map script,
//! and Leaflet with its clustering plugin when the build could vendor them
//! (see `build.rs`).

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

mod leaflet {
    include!(concat!(env!("OUT_DIR"), "/leaflet.rs"));
}

const STYLE_CSS: &[u8] = include_bytes!("../static/style.css");
const MAP_JS: &[u8] = include_bytes!("../static/map.js");

/// Whether this build carries the map library.
pub fn map_available() -> bool {
    leaflet::LEAFLET.is_some()
}

/// Whether this build carries the plugin that groups nearby markers.
pub fn clustering_available() -> bool {
    leaflet::MARKERCLUSTER.is_some()
}

pub async fn asset(Path(file): Path<String>) -> Response {
    let found: Option<(&'static [u8], &'static str)> = match file.as_str() {
        "style.css" => Some((STYLE_CSS, "text/css; charset=utf-8")),
        "map.js" => Some((MAP_JS, "text/javascript; charset=utf-8")),
        "leaflet.js" => leaflet::LEAFLET.map(|(js, _)| (js, "text/javascript; charset=utf-8")),
        "leaflet.css" => leaflet::LEAFLET.map(|(_, css)| (css, "text/css; charset=utf-8")),
        "leaflet.markercluster.js" => leaflet::MARKERCLUSTER.map(|(js, _, _)| (js, "text/javascript; charset=utf-8")),
        "MarkerCluster.css" => leaflet::MARKERCLUSTER.map(|(_, css, _)| (css, "text/css; charset=utf-8")),
        "MarkerCluster.Default.css" => leaflet::MARKERCLUSTER.map(|(_, _, css)| (css, "text/css; charset=utf-8")),
        _ => None,
    };
    match found {
        Some((body, content_type)) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
                (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600")),
            ],
            body,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}
