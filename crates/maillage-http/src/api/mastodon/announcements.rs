//! `GET /api/v1/announcements` and `POST /api/v1/announcements/:id/dismiss`:
//! what the hub's staff announce, as Mastodon apps show it above the home
//! timeline. Staff write them with `maillage admin announcement` or on the
//! web staff page; reactions to them do not exist here (404).

use maillage_app::announcements;
use maillage_db::Announcement;

use super::*;
use crate::api::entities::iso;

fn announcement_entity(announcement: &Announcement, read: bool) -> Value {
    json!({
        "id": announcement.id.to_string(),
        "content": announcement.content,
        "starts_at": announcement.starts_at.map(iso),
        "ends_at": announcement.ends_at.map(iso),
        "all_day": announcement.all_day,
        "published_at": iso(announcement.published_at),
        "updated_at": iso(announcement.updated_at),
        "read": read,
        "mentions": [], "statuses": [], "tags": [], "emojis": [], "reactions": [],
    })
}

/// The current announcements, newest first; `with_dismissed=false` leaves
/// out those the caller has read.
pub async fn announcements(
    State(state): State<AppState>,
    user: User,
    params: Params,
) -> Result<Json<Value>, HttpError> {
    user.require("read")?;
    let with_dismissed = params.flag("with_dismissed")?.unwrap_or(true);
    let current = announcements::current(&state.app, &user.acting()).await?;
    let shown: Vec<Value> = current
        .iter()
        .filter(|(_, read)| with_dismissed || !read)
        .map(|(a, read)| announcement_entity(a, *read))
        .collect();
    Ok(Json(json!(shown)))
}

/// Marks an announcement read for the caller; one that is not shown now is
/// not found.
pub async fn dismiss_announcement(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
) -> Result<Json<Value>, HttpError> {
    user.require("write:accounts")?;
    let id: i64 = id.parse().map_err(|_| HttpError::NotFound("Record not found".into()))?;
    announcements::dismiss(&state.app, &user.acting(), id).await?;
    Ok(Json(json!({})))
}
