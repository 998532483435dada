//! A member's bookmarks and the list of what they liked: statuses they may
//! see only (the audience check of `maillage-db`), private to them.

use maillage_db::{IdPage, LocalActor, SavedStatus};

use crate::{Acting, App, AppError};

/// Fails with NotFound unless the member may see the status `ap_id`
/// (ours or another server's), as when it is read.
async fn require_visible(app: &App, member: &LocalActor, ap_id: &str) -> Result<(), AppError> {
    let reader = app.db().reader_for_member(member).await?;
    let visible = app.db().visible_post_by_ap_id(&reader, ap_id).await?.is_some()
        || app.db().visible_remote_object_by_ap_id(&reader, ap_id).await?.is_some();
    if visible { Ok(()) } else { Err(AppError::NotFound("Record not found".into())) }
}

/// Bookmarks a status the member may see (again: nothing changes).
pub async fn bookmark(app: &App, acting: &Acting, ap_id: &str) -> Result<(), AppError> {
    let member = acting.require_member()?.1;
    require_visible(app, member, ap_id).await?;
    Ok(app.db().add_bookmark(member.id, ap_id).await?)
}

/// Removes the member's bookmark of a status they may see.
pub async fn unbookmark(app: &App, acting: &Acting, ap_id: &str) -> Result<(), AppError> {
    let member = acting.require_member()?.1;
    require_visible(app, member, ap_id).await?;
    app.db().remove_bookmark(member.id, ap_id).await?;
    Ok(())
}

/// A page of the member's bookmarks, newest first (the statuses are read
/// through the audience check by whoever shows them).
pub async fn bookmarks(app: &App, acting: &Acting, page: &IdPage) -> Result<Vec<SavedStatus>, AppError> {
    Ok(app.db().bookmarks_page(acting.require_member()?.1.id, page).await?)
}

/// A page of the statuses the member liked, newest like first.
pub async fn favourites(app: &App, acting: &Acting, page: &IdPage) -> Result<Vec<SavedStatus>, AppError> {
    Ok(app.db().liked_page(&acting.require_member()?.1.ap_id, page).await?)
}
