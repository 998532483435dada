//! Markers: where a member stopped reading their home timeline and their
//! notifications, shared by their apps.

use maillage_db::Marker;
use maillage_domain::reading::MarkerTimeline;

use super::*;

fn markers_json(markers: &[Marker]) -> Value {
    let mut shown = serde_json::Map::new();
    for marker in markers {
        shown.insert(
            marker.timeline.as_str().to_string(),
            json!({
                "last_read_id": marker.last_read_id,
                "version": marker.version,
                "updated_at": entities::iso(marker.updated_at),
            }),
        );
    }
    Value::Object(shown)
}

/// `GET /api/v1/markers?timeline[]=home&timeline[]=notifications`
/// (unknown timelines are left out, as Mastodon does).
pub async fn markers(State(state): State<AppState>, user: User, params: Params) -> Result<Json<Value>, HttpError> {
    user.require("read:statuses")?;
    let timelines: Vec<MarkerTimeline> =
        params.list("timeline").iter().filter_map(|name| MarkerTimeline::parse(name).ok()).collect();
    let markers = maillage_app::markers::markers(&state.app, &user.acting(), &timelines).await?;
    Ok(Json(markers_json(&markers)))
}

/// The `last_read_id` a request gives for a timeline: `home[last_read_id]`
/// in a form, `{"home": {"last_read_id": …}}` in JSON.
fn last_read_id(params: &Params, timeline: MarkerTimeline) -> Option<String> {
    let name = timeline.as_str();
    let nested = params.0.get(name).and_then(|v| v.get("last_read_id")).and_then(|v| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    });
    nested.or_else(|| params.text(&format!("{name}[last_read_id]")))
}

/// `POST /api/v1/markers`: saves the timelines given; the markers saved.
pub async fn save_markers(State(state): State<AppState>, user: User, params: Params) -> Result<Json<Value>, HttpError> {
    user.require("write:statuses")?;
    let read: Vec<(MarkerTimeline, String)> = MarkerTimeline::ALL
        .iter()
        .filter_map(|&timeline| last_read_id(&params, timeline).map(|id| (timeline, id.trim().to_string())))
        .collect();
    if read.is_empty() {
        return Err(HttpError::Unprocessable("give home[last_read_id] or notifications[last_read_id]".into()));
    }
    let saved = maillage_app::markers::save(&state.app, &user.acting(), &read).await?;
    Ok(Json(markers_json(&saved)))
}
