//! Content negotiation for URLs that serve both ActivityPub JSON and HTML.
//!
//! An `Accept` that lists `application/activity+json` or
//! `application/ld+json` anywhere (Mastodon sends several types, sometimes
//! with `text/html;q=0.1`) gets JSON; everything else is a browser, which
//! `maillage-http` sends to the web pages of the same URL. Responses always
//! carry `Vary: Accept`, so caches keep the two apart.

use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};

pub const ACTIVITY_JSON: &str = "application/activity+json";
pub const LD_JSON_AS: &str = "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"";

/// The JSON content type to answer with, or `None` when HTML is wanted.
pub fn activity_type_for(headers: &HeaderMap) -> Option<&'static str> {
    let accept = headers.get_all(header::ACCEPT).iter().filter_map(|v| v.to_str().ok()).collect::<Vec<_>>().join(",");
    let accept = accept.to_ascii_lowercase();
    if accept.contains("application/activity+json") {
        Some(ACTIVITY_JSON)
    } else if accept.contains("application/ld+json") {
        Some(LD_JSON_AS)
    } else {
        None
    }
}

/// A JSON document with the given ActivityPub content type.
pub fn activity_response(content_type: &'static str, body: &serde_json::Value) -> Response {
    let mut response = (
        [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
        serde_json::to_string(body).unwrap_or_default(),
    )
        .into_response();
    vary_accept(&mut response);
    response
}

pub fn vary_accept(response: &mut Response) {
    response.headers_mut().insert(header::VARY, HeaderValue::from_static("Accept"));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn activity_types_win_wherever_they_appear() {
        assert_eq!(activity_type_for(&accept("application/activity+json")), Some(ACTIVITY_JSON));
        assert_eq!(
            activity_type_for(&accept("application/activity+json, application/ld+json, text/html;q=0.1")),
            Some(ACTIVITY_JSON)
        );
        assert_eq!(
            activity_type_for(&accept("application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"")),
            Some(LD_JSON_AS)
        );
        assert_eq!(activity_type_for(&accept("text/html,application/xhtml+xml,*/*;q=0.8")), None);
        assert_eq!(activity_type_for(&HeaderMap::new()), None);
    }
}
