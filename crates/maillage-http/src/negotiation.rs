//! Browsers and ActivityPub clients share URLs: an actor's or a post's id is
//! also its web page. GETs on those URLs that do not ask for ActivityPub
//! JSON go to the HTML pages; everything else to the federation endpoints.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use tower::ServiceExt;

/// Paths whose HTML view the pages provide: `/actors/NAME` and `/objects/ID`.
fn has_html_view(path: &str) -> bool {
    let mut segments = path.trim_end_matches('/').split('/').skip(1);
    matches!(
        (segments.next(), segments.next(), segments.next()),
        (Some("actors" | "objects"), Some(id), None) if !id.is_empty()
    )
}

pub async fn html_for_browsers(State(documents): State<axum::Router>, request: Request, next: Next) -> Response {
    let wants_html = matches!(*request.method(), Method::GET | Method::HEAD)
        && has_html_view(request.uri().path())
        && maillage_federation::negotiation::activity_type_for(request.headers()).is_none();
    if !wants_html || !documents.has_routes() {
        return next.run(request).await;
    }
    // A fresh request: the outer router's path parameters must not reach
    // the pages' router, which matches the path again.
    let (parts, body) = request.into_parts();
    let mut fresh = Request::new(body);
    *fresh.method_mut() = parts.method;
    *fresh.uri_mut() = parts.uri;
    *fresh.headers_mut() = parts.headers;
    if let Some(connect_info) = parts.extensions.get::<ConnectInfo<SocketAddr>>() {
        fresh.extensions_mut().insert(*connect_info);
    }
    match documents.oneshot(fresh).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

#[cfg(test)]
mod tests {
    use super::has_html_view;

    #[test]
    fn only_actor_and_object_pages() {
        assert!(has_html_view("/actors/ferme"));
        assert!(has_html_view("/objects/0193-abc"));
        assert!(!has_html_view("/actors/ferme/outbox"));
        assert!(!has_html_view("/actors/"));
        assert!(!has_html_view("/activities/1"));
        assert!(!has_html_view("/inbox"));
    }
}
