//! Bookmarks: a member's saved statuses, private to them.

use super::timelines::{id_page, saved_statuses};
use super::*;

/// `POST /api/v1/statuses/:id/bookmark`, `/unbookmark`: the Status as its
/// reader sees it, `bookmarked` true or false. A status the member may not
/// see is not found.
async fn set_bookmark(state: &AppState, user: &User, id: &str, bookmarked: bool) -> Result<Json<Value>, HttpError> {
    user.require("write:bookmarks")?;
    let reader = user.reader(state).await?;
    let uri = status_uri(state, &reader, id).await?;
    if bookmarked {
        maillage_app::bookmarks::bookmark(&state.app, &user.acting(), &uri).await?;
    } else {
        maillage_app::bookmarks::unbookmark(&state.app, &user.acting(), &uri).await?;
    }
    Ok(Json(status_json(state, Ref::parse(id)?, &reader, Some(user.member())).await?))
}

/// `POST /api/v1/statuses/:id/bookmark`
pub async fn bookmark(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
) -> Result<Json<Value>, HttpError> {
    set_bookmark(&state, &user, &id, true).await
}

/// `POST /api/v1/statuses/:id/unbookmark`
pub async fn unbookmark(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
) -> Result<Json<Value>, HttpError> {
    set_bookmark(&state, &user, &id, false).await
}

/// `GET /api/v1/bookmarks`: newest bookmark first, paged by bookmark.
pub async fn bookmarks(State(state): State<AppState>, user: User, params: Params) -> Result<Response, HttpError> {
    user.require("read:bookmarks")?;
    let page = id_page(&params)?;
    let rows = maillage_app::bookmarks::bookmarks(&state.app, &user.acting(), &page).await?;
    saved_statuses(&state, &user, &rows, "/api/v1/bookmarks", page.limit).await
}
