//! Mutes: a member mutes and unmutes accounts, and lists those they mute.

use super::*;

/// `POST /api/v1/accounts/:id/mute` (`notifications`, default true;
/// `duration` in seconds, 0 for no end): the Relationship.
pub async fn mute(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
    params: Params,
) -> Result<Json<Value>, HttpError> {
    user.require("write:mutes")?;
    let account = followed(&state, &id).await?;
    let notifications = params.flag("notifications")?.unwrap_or(true);
    let duration = params.number("duration")?;
    maillage_app::relations::mute(&state.app, &user.account.actor, &account, notifications, duration).await?;
    Ok(Json(relationship(&state, &user.account.actor, Ref::parse(&id)?).await?))
}

/// `POST /api/v1/accounts/:id/unmute`: the Relationship.
pub async fn unmute(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
) -> Result<Json<Value>, HttpError> {
    user.require("write:mutes")?;
    let account = followed(&state, &id).await?;
    maillage_app::relations::unmute(&state.app, &user.account.actor, &account).await?;
    Ok(Json(relationship(&state, &user.account.actor, Ref::parse(&id)?).await?))
}

/// `GET /api/v1/mutes` (`max_id`, `limit`): the Accounts the caller mutes,
/// newest first, each with `mute_expires_at`.
pub async fn mutes(State(state): State<AppState>, user: User, params: Params) -> Result<Response, HttpError> {
    user.require("read:mutes")?;
    let limit = limit(&params)?;
    let rows = state.db().mutes_page(user.account.actor.id, params.number("max_id")?, limit).await?;
    let mut accounts = Vec::new();
    for mute in &rows {
        if let Some(mut account) = account_of_ap_id(&state, &mute.target_ap_id).await? {
            account["mute_expires_at"] = json!(mute.expires_at.map(entities::iso));
            accounts.push(account);
        }
    }
    let next = rows.last().map(|m| m.id.to_string());
    Ok(accounts_page(&state, "/api/v1/mutes", &[], accounts, next, limit))
}
