//! The client APIs: OAuth 2 and the Mastodon-compatible API, so that
//! members post from any Mastodon app or client library.

pub mod auth;
pub mod entities;
pub mod maillage;
pub mod maillage_media;
pub mod mastodon;
pub mod oauth;
pub mod params;
mod reports;

use axum::Router;
use axum::routing::{any, get, post};

use crate::AppState;

/// The upload routes, whose body limit is the media limit (the caller
/// layers it), not the API's.
pub fn upload_routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/media", post(mastodon::upload_v1))
        .route("/api/v2/media", post(mastodon::upload_v2))
        .route("/api/v1/accounts/update_credentials", axum::routing::patch(mastodon::update_credentials))
        .route(
            "/api/maillage/v1/enterprises/{handle}/logo",
            axum::routing::put(maillage_media::put_logo).delete(maillage_media::delete_logo),
        )
        .route(
            "/api/maillage/v1/enterprises/{handle}/banner",
            axum::routing::put(maillage_media::put_banner).delete(maillage_media::delete_banner),
        )
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/apps", post(oauth::create_app))
        .route("/oauth/token", post(oauth::token))
        .route("/oauth/revoke", post(oauth::revoke))
        .route("/oauth/authorize", get(oauth::authorize_form).post(oauth::authorize))
        .route("/api/v1/instance", get(mastodon::instance_v1))
        .route("/api/v2/instance", get(mastodon::instance_v2))
        .route("/api/v1/accounts", post(mastodon::register))
        .route("/api/v1/accounts/verify_credentials", get(mastodon::verify_credentials))
        .route("/api/v1/accounts/{id}/followers", get(mastodon::followers))
        .route("/api/v1/accounts/{id}/following", get(mastodon::following))
        .route("/api/v1/instance/peers", get(mastodon::peers))
        .route(
            "/api/v1/push/subscription",
            post(mastodon::create_push_subscription)
                .get(mastodon::push_subscription)
                .put(mastodon::update_push_subscription)
                .delete(mastodon::delete_push_subscription),
        )
        .route("/api/v1/accounts/lookup", get(mastodon::lookup))
        .route("/api/v1/accounts/search", get(mastodon::account_search))
        .route("/api/v1/accounts/{id}/featured_tags", get(mastodon::featured_tags))
        .route("/api/v1/preferences", get(mastodon::preferences))
        .route("/api/v1/custom_emojis", get(mastodon::custom_emojis))
        .route("/api/v1/announcements", get(mastodon::announcements))
        .route("/api/v1/announcements/{id}/dismiss", post(mastodon::dismiss_announcement))
        .route("/api/v1/trends", get(mastodon::trends))
        .route("/api/v1/trends/{kind}", get(mastodon::trends_of))
        .route("/api/v1/accounts/relationships", get(mastodon::relationships))
        .route("/api/v1/accounts/{id}", get(mastodon::account))
        .route("/api/v1/accounts/{id}/statuses", get(mastodon::account_statuses))
        .route("/api/v1/accounts/{id}/follow", post(mastodon::follow))
        .route("/api/v1/accounts/{id}/unfollow", post(mastodon::unfollow))
        .route("/api/v1/accounts/{id}/mute", post(mastodon::mute))
        .route("/api/v1/accounts/{id}/unmute", post(mastodon::unmute))
        .route("/api/v1/accounts/{id}/block", post(mastodon::block))
        .route("/api/v1/accounts/{id}/unblock", post(mastodon::unblock))
        .route("/api/v1/mutes", get(mastodon::mutes))
        .route("/api/v1/blocks", get(mastodon::blocks))
        .route("/api/v1/conversations", get(mastodon::conversations))
        .route("/api/v1/conversations/{id}", axum::routing::delete(mastodon::remove_conversation))
        .route("/api/v1/conversations/{id}/read", post(mastodon::read_conversation))
        .route("/api/v1/follow_requests", get(mastodon::follow_requests))
        .route("/api/v1/follow_requests/{id}/authorize", post(mastodon::authorize_follow_request))
        .route("/api/v1/follow_requests/{id}/reject", post(mastodon::reject_follow_request))
        .route("/api/v1/statuses", post(mastodon::create_status))
        .route(
            "/api/v1/statuses/{id}",
            get(mastodon::status).delete(mastodon::delete_status).put(mastodon::edit_status),
        )
        .route("/api/v1/statuses/{id}/source", get(mastodon::status_source))
        .route("/api/v1/statuses/{id}/favourite", post(mastodon::favourite))
        .route("/api/v1/statuses/{id}/unfavourite", post(mastodon::unfavourite))
        .route("/api/v1/statuses/{id}/reblog", post(mastodon::reblog))
        .route("/api/v1/statuses/{id}/unreblog", post(mastodon::unreblog))
        .route("/api/v1/statuses/{id}/context", get(mastodon::context))
        .route("/api/v1/statuses/{id}/bookmark", post(mastodon::bookmark))
        .route("/api/v1/statuses/{id}/unbookmark", post(mastodon::unbookmark))
        .route("/api/v1/bookmarks", get(mastodon::bookmarks))
        .route("/api/v1/favourites", get(mastodon::favourites))
        .route("/api/v1/markers", get(mastodon::markers).post(mastodon::save_markers))
        .route("/api/v1/lists", get(mastodon::lists).post(mastodon::create_list))
        .route("/api/v1/lists/{id}", get(mastodon::list).put(mastodon::update_list).delete(mastodon::delete_list))
        .route(
            "/api/v1/lists/{id}/accounts",
            get(mastodon::list_accounts).post(mastodon::add_list_accounts).delete(mastodon::remove_list_accounts),
        )
        .route("/api/v1/accounts/{id}/lists", get(mastodon::account_lists))
        .route("/api/v1/timelines/list/{id}", get(mastodon::list_timeline))
        .route("/api/v1/filters", get(mastodon::filters_v1))
        .route("/api/v2/filters", get(mastodon::filters_v2).post(mastodon::create_filter))
        .route(
            "/api/v2/filters/{id}",
            get(mastodon::filter).put(mastodon::update_filter).delete(mastodon::delete_filter),
        )
        .route("/api/v2/filters/{id}/keywords", get(mastodon::filter_keywords).post(mastodon::add_filter_keyword))
        .route(
            "/api/v2/filters/keywords/{id}",
            get(mastodon::filter_keyword).put(mastodon::update_filter_keyword).delete(mastodon::delete_filter_keyword),
        )
        .route("/api/v1/notifications", get(mastodon::notifications))
        .route("/api/v1/notifications/clear", post(mastodon::clear_notifications))
        .route("/api/v1/notifications/{id}", get(mastodon::notification))
        .route("/api/v1/notifications/{id}/dismiss", post(mastodon::dismiss_notification))
        .route("/api/v1/streaming", get(mastodon::streaming_socket))
        .route("/api/v1/streaming/health", get(mastodon::streaming_health))
        .route("/api/v1/streaming/{*path}", get(mastodon::streaming_events))
        .route("/api/v1/timelines/public", get(mastodon::public_timeline))
        .route("/api/v1/timelines/home", get(mastodon::home_timeline))
        .route("/api/v1/timelines/tag/{hashtag}", get(mastodon::tag_timeline))
        .route("/api/v1/tags/{name}", get(mastodon::tag))
        .route("/api/v2/search", get(mastodon::search))
        .route("/api/v1/media/{id}", get(mastodon::get_media).put(mastodon::update_media))
        .route("/api/v1/reports", post(reports::create_report))
        .route("/api/v1/admin/reports", get(reports::admin_reports))
        .route("/api/v1/admin/reports/{id}/resolve", post(reports::resolve_report))
        .route("/api/maillage/v1/openapi.json", get(maillage::openapi))
        .route("/api/maillage/v1/enterprises", get(maillage::list_enterprises).post(maillage::create_enterprise))
        .route(
            "/api/maillage/v1/enterprises/{handle}",
            get(maillage::get_enterprise).patch(maillage::update_enterprise).delete(maillage::delete_enterprise),
        )
        .route(
            "/api/maillage/v1/enterprises/{handle}/members",
            get(maillage::enterprise_members).post(maillage::add_member),
        )
        .route(
            "/api/maillage/v1/enterprises/{handle}/members/{username}",
            axum::routing::delete(maillage::remove_member),
        )
        .route("/api/maillage/v1/statistics", get(maillage::statistics))
        .route("/api/maillage/v1/practices", get(maillage::list_practices).post(maillage::create_practice))
        .route(
            "/api/maillage/v1/practices/{id}",
            get(maillage::get_practice).put(maillage::update_practice).delete(maillage::delete_practice),
        )
        // Any other API path, with any method: Mastodon's JSON 404.
        .route("/api/{*rest}", any(mastodon::absent))
}
