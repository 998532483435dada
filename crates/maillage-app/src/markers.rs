//! Where a member stopped reading their home timeline and notifications
//! (Mastodon's markers), so that their apps resume there.

use maillage_db::Marker;
use maillage_domain::reading::MarkerTimeline;

use crate::{Acting, App, AppError};

/// The longest status or notification id a marker keeps.
const ID_MAX: usize = 30;

/// The member's markers of these timelines.
pub async fn markers(app: &App, acting: &Acting, timelines: &[MarkerTimeline]) -> Result<Vec<Marker>, AppError> {
    Ok(app.db().markers(acting.require_member()?.1.id, timelines).await?)
}

/// Saves where the member stopped reading each timeline given; ids are
/// Mastodon's (decimal digits).
pub async fn save(app: &App, acting: &Acting, read: &[(MarkerTimeline, String)]) -> Result<Vec<Marker>, AppError> {
    let member = acting.require_member()?.1;
    for (_, id) in read {
        if id.is_empty() || id.len() > ID_MAX || !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AppError::invalid("last_read_id", format!("{id:?} is not a status or notification id")));
        }
    }
    let mut saved = Vec::new();
    for (timeline, id) in read {
        saved.push(app.db().save_marker(member.id, *timeline, id).await?);
    }
    Ok(saved)
}
