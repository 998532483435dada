//! A member's notifications: theirs, and those of the enterprises they
//! edit now.

use maillage_db::LocalActor;

use crate::{App, AppError};

/// The actors whose notifications `member` reads: themself and the
/// enterprises they edit now.
pub async fn notified_actors(app: &App, member: &LocalActor) -> Result<Vec<i64>, AppError> {
    let mut ids = vec![member.id];
    ids.extend(app.db().enterprises_of_member(member.id).await?.iter().map(|e| e.id));
    Ok(ids)
}

/// Dismisses one notification (`Some(id)`) or all of them; how many.
pub async fn dismiss(app: &App, member: &LocalActor, id: Option<i64>) -> Result<usize, AppError> {
    let actors = notified_actors(app, member).await?;
    let dismissed = app.db().dismiss_notifications(&actors, id).await?;
    if id.is_some() && dismissed == 0 {
        return Err(AppError::NotFound("Record not found".into()));
    }
    Ok(dismissed)
}
