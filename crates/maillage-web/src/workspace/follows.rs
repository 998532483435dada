//! Following accounts of this hub from its pages: a logged-in member
//! follows (or stops following) an enterprise, the hub or another member
//! from their profile page, as from an app. No activity leaves the hub.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::Form;
use maillage_domain::ActorKind;
use serde::Deserialize;

use crate::WebState;
use crate::error::PageError;
use crate::views::Ctx;
use maillage_app::follows::{self, Followed};

#[derive(Deserialize, Default)]
pub struct FollowForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    /// `follow` or `unfollow`.
    #[serde(default)]
    action: String,
}

/// How a profile page offers to follow its account to the member reading it.
pub struct FollowButton {
    pub username: String,
    pub following: bool,
    /// Asked, not yet accepted (the account approves followers by hand).
    pub requested: bool,
}

/// The button for `followed` as `ctx`'s member sees it; none for visitors
/// and on one's own page.
pub async fn button(
    state: &WebState,
    ctx: &Ctx,
    followed: &maillage_db::LocalActor,
) -> Result<Option<FollowButton>, PageError> {
    let Some(account) = ctx.account.as_ref().filter(|a| a.actor.id != followed.id) else { return Ok(None) };
    let follow = state
        .shared
        .db()
        .local_follow(account.actor.id, followed.id)
        .await
        .map_err(|e| PageError::internal(ctx.lang, e))?;
    Ok(Some(FollowButton {
        username: followed.username.clone(),
        following: follow.as_ref().is_some_and(|f| f.accepted),
        requested: follow.as_ref().is_some_and(|f| !f.accepted),
    }))
}

/// `POST /workspace/follows`: follow or unfollow, then back to the profile.
pub async fn follow(
    State(state): State<WebState>,
    ctx: Ctx,
    Form(form): Form<FollowForm>,
) -> Result<Response, PageError> {
    let account = ctx.account.as_ref().ok_or_else(|| PageError::login(ctx.lang, "/workspace"))?;
    ctx.check_csrf(&form.csrf)?;
    let db = state.shared.db();
    let internal = |e: maillage_db::DbError| PageError::internal(ctx.lang, e);
    let followed = db
        .local_actor_by_username(form.username.trim())
        .await
        .map_err(internal)?
        .filter(|a| a.kind() != ActorKind::Instance)
        .ok_or_else(|| PageError::not_found(ctx.lang))?;
    let app = &state.shared.app;
    let outcome = match form.action.as_str() {
        "follow" => follows::follow(app, &account.actor, &Followed::Here(Box::new(followed.clone()))).await,
        "unfollow" => {
            follows::unfollow(app, &account.actor, &Followed::Here(Box::new(followed.clone()))).await.map(|_| ())
        }
        _ => return Err(PageError::bad_request(ctx.lang, "action: follow or unfollow")),
    };
    match outcome {
        Ok(_) => Ok(Redirect::to(&format!("/actors/{}", followed.username)).into_response()),
        Err(maillage_app::AppError::Invalid { message, .. }) => Err(PageError::bad_request(ctx.lang, &message)),
        Err(e) => Err(PageError::app(ctx.lang, e)),
    }
}
