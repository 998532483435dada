//! Endpoints of features Maillage does not have, answered as Mastodon
//! answers on a server where they are empty: apps call them at start-up and
//! must not fail. Only features that cannot hold anything here are answered
//! so; the others are absent (404), which apps handle.

use super::*;

/// `GET /api/v1/custom_emojis`: no custom emojis here.
pub async fn custom_emojis() -> Json<Value> {
    Json(json!([]))
}

/// `GET /api/v1/trends` (tags, as Mastodon's alias) and
/// `/api/v1/trends/{tags,statuses,links}`: nothing is computed as trending.
pub async fn trends() -> Json<Value> {
    Json(json!([]))
}

/// `GET /api/v1/trends/:kind`, for the kinds Mastodon has.
pub async fn trends_of(Path(kind): Path<String>) -> Result<Json<Value>, HttpError> {
    match kind.as_str() {
        "tags" | "statuses" | "links" => Ok(Json(json!([]))),
        _ => Err(not_found()),
    }
}

/// `GET /api/v1/accounts/:id/featured_tags`: accounts feature no tags here;
/// an unknown account is still a 404.
pub async fn featured_tags(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<Value>, HttpError> {
    account_json(&state, Ref::parse(&id)?).await?;
    Ok(Json(json!([])))
}

/// What an API path we do not serve answers, whatever the method: Mastodon's
/// 404, on which apps fall back (Tusky tries v1 after a v2 404, never after
/// a 501).
pub async fn absent() -> HttpError {
    not_found()
}

fn not_found() -> HttpError {
    HttpError::NotFound("Record not found".into())
}
