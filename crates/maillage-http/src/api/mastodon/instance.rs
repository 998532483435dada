//! `/api/v1/instance`, `/api/v2/instance` and the instance's peers.

use super::*;
use maillage_config::RegistrationMode;

pub(super) fn version() -> String {
    format!("4.2.0 (compatible; Maillage {})", env!("CARGO_PKG_VERSION"))
}

/// The WebSocket base URL of the streaming API (`wss://` beside `https://`),
/// which apps decode as a URL and to which they add `/api/v1/streaming`.
pub(super) fn streaming_url(state: &AppState) -> String {
    let base = state.federation().context().urls.base();
    match base.split_once("://") {
        Some(("http", rest)) => format!("ws://{rest}"),
        Some((_, rest)) => format!("wss://{rest}"),
        None => base.to_string(),
    }
}

pub(super) async fn hub_account(state: &AppState) -> Result<Value, HttpError> {
    match state.db().local_actor_of_kind(ActorKind::Hub).await? {
        Some(hub) => local_account(state, &hub).await,
        None => Ok(Value::Null),
    }
}

/// `GET /api/v1/instance`
pub async fn instance_v1(State(state): State<AppState>) -> Result<Json<Value>, HttpError> {
    let counts = state.db().count_local_actors().await?;
    Ok(Json(json!({
        "uri": state.config().instance.domain,
        "title": state.config().hub.name,
        "short_description": state.config().hub.summary,
        "description": state.config().hub.summary,
        "email": "",
        "version": version(),
        "urls": { "streaming_api": streaming_url(&state) },
        "stats": { "user_count": counts.members, "status_count": 0, "domain_count": 0 },
        "thumbnail": null,
        "languages": ["fr", "en"],
        "registrations": state.config().registrations.mode.is_open(),
        "approval_required": state.config().registrations.mode == RegistrationMode::Approval,
        "invites_enabled": state.config().registrations.mode == RegistrationMode::Invite,
        "configuration": {
            "statuses": {
                "max_characters": MAX_CHARACTERS,
                "max_media_attachments": state.config().media.max_attachments,
                "characters_reserved_per_url": 23,
            },
            "media_attachments": super::media::instance_configuration(&state),
            "polls": { "max_options": 0, "max_characters_per_option": 0, "min_expiration": 0, "max_expiration": 0 },
        },
        "contact_account": hub_account(&state).await?,
        "rules": [],
    })))
}

/// `GET /api/v2/instance`
pub async fn instance_v2(State(state): State<AppState>) -> Result<Json<Value>, HttpError> {
    let counts = state.db().count_local_actors().await?;
    let vapid_key = maillage_app::push::vapid_public_key(&state.app).await?;
    Ok(Json(json!({
        "domain": state.config().instance.domain,
        "title": state.config().hub.name,
        "version": version(),
        "source_url": "https://www.gnu.org/licenses/agpl-3.0.html",
        "description": state.config().hub.summary,
        "usage": { "users": { "active_month": counts.members } },
        "thumbnail": { "url": crate::default_images::header_url(state.federation().context().urls.base()) },
        "languages": ["fr", "en"],
        "configuration": {
            "urls": { "streaming": streaming_url(&state) },
            "accounts": { "max_featured_tags": 0 },
            "statuses": {
                "max_characters": MAX_CHARACTERS,
                "max_media_attachments": state.config().media.max_attachments,
                "characters_reserved_per_url": 23,
            },
            "media_attachments": super::media::instance_configuration(&state),
            "polls": { "max_options": 0, "max_characters_per_option": 0, "min_expiration": 0, "max_expiration": 0 },
            "translation": { "enabled": false },
            "vapid": { "public_key": vapid_key },
        },
        "registrations": {
            "enabled": state.config().registrations.mode.is_open(),
            "approval_required": state.config().registrations.mode == RegistrationMode::Approval,
            "message": null,
        },
        // The client API of Mastodon 4.2, as `version` says; 4.3's is 2,
        // which apps require for grouped notifications.
        "api_versions": { "mastodon": 1 },
        "contact": { "email": "", "account": hub_account(&state).await? },
        "rules": [],
    })))
}

/// `GET /api/v1/instance/peers`
pub async fn peers(State(state): State<AppState>) -> Result<Json<Value>, HttpError> {
    Ok(Json(json!(state.db().known_domains(10_000).await?)))
}
