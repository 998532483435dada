//! Favourites: the statuses a member liked, newest like first.

use super::timelines::{id_page, saved_statuses};
use super::*;

/// `GET /api/v1/favourites`: those the member may still see, paged by like.
pub async fn favourites(State(state): State<AppState>, user: User, params: Params) -> Result<Response, HttpError> {
    user.require("read:favourites")?;
    let page = id_page(&params)?;
    let rows = maillage_app::bookmarks::favourites(&state.app, &user.acting(), &page).await?;
    saved_statuses(&state, &user, &rows, "/api/v1/favourites", page.limit).await
}
