//! A browser that meets an error no page answered (an address that does not
//! exist, a method a route does not take, a refusal) gets an HTML page in
//! its language, not the JSON that API clients and servers read.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::Response;

/// Renders the page for a status, given the request's address and headers.
pub type ErrorPage = Arc<dyn Fn(&Uri, &HeaderMap, StatusCode) -> Response + Send + Sync>;

/// The statuses a browser may meet on its own while following links.
const PAGED: [StatusCode; 4] =
    [StatusCode::FORBIDDEN, StatusCode::NOT_FOUND, StatusCode::METHOD_NOT_ALLOWED, StatusCode::GONE];

/// Paths whose answers are for programs whatever they accept: the APIs, the
/// token endpoint, discovery documents, probes.
const FOR_PROGRAMS: [&str; 7] =
    ["/api/", "/oauth/token", "/oauth/revoke", "/.well-known/", "/nodeinfo/", "/healthz", "/metrics"];

/// Whether the request comes from a browser reading pages: it prefers HTML
/// to any JSON (servers that accept a page as a last resort, such as
/// `application/activity+json, text/html;q=0.1`, get JSON).
pub fn wants_page(path: &str, headers: &HeaderMap) -> bool {
    let (mut html, mut json) = (0.0_f32, 0.0_f32);
    let items =
        headers.get_all(header::ACCEPT).iter().filter_map(|value| value.to_str().ok()).flat_map(|v| v.split(','));
    for item in items {
        let mut parts = item.split(';');
        let media = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
        let quality =
            parts.filter_map(|p| p.trim().strip_prefix("q=")).find_map(|q| q.trim().parse::<f32>().ok()).unwrap_or(1.0);
        if media == "text/html" || media == "application/xhtml+xml" {
            html = html.max(quality);
        } else if media.contains("json") {
            json = json.max(quality);
        }
    }
    html > 0.0 && html > json && !FOR_PROGRAMS.iter().any(|prefix| path.starts_with(prefix))
}

pub async fn pages_for_browsers(State(page): State<Option<ErrorPage>>, request: Request, next: Next) -> Response {
    let Some(page) = page.filter(|_| wants_page(request.uri().path(), request.headers())) else {
        return next.run(request).await;
    };
    let (uri, headers) = (request.uri().clone(), request.headers().clone());
    let response = next.run(request).await;
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if !PAGED.contains(&response.status()) || is_html {
        return response;
    }
    let mut replaced = page(&uri, &headers, response.status());
    if let Some(allow) = response.headers().get(header::ALLOW) {
        replaced.headers_mut().insert(header::ALLOW, allow.clone());
    }
    replaced
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, value.parse().unwrap());
        headers
    }

    #[test]
    fn browsers_reading_pages_get_pages() {
        let browser = accept("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8");
        assert!(wants_page("/nope", &browser));
        assert!(wants_page("/actors/gone/outbox", &browser));
        assert!(!wants_page("/api/v1/nope", &browser), "an API address stays JSON even in a browser");
        assert!(!wants_page("/.well-known/webfinger", &browser));
        assert!(!wants_page("/nope", &accept("application/json")));
        assert!(!wants_page("/nope", &accept("*/*")));
        assert!(!wants_page("/nope", &accept("application/activity+json")));
        let server = accept("application/activity+json, application/ld+json, text/html;q=0.1");
        assert!(!wants_page("/actors/gone", &server), "a server that takes a page as a last resort");
        assert!(wants_page("/nope", &accept("application/json;q=0.5, text/html")));
        assert!(!wants_page("/nope", &accept("text/html;q=0")));
        assert!(!wants_page("/nope", &HeaderMap::new()));
    }
}
