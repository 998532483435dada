//! Blocks: a member blocks and unblocks accounts (another server's hear a
//! `Block`, then its `Undo`), and lists those they block.

use super::*;

/// `POST /api/v1/accounts/:id/block`: the Relationship.
pub async fn block(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
) -> Result<Json<Value>, HttpError> {
    user.require("write:blocks")?;
    let account = followed(&state, &id).await?;
    maillage_app::relations::block(&state.app, &user.account.actor, &account).await?;
    Ok(Json(relationship(&state, &user.account.actor, Ref::parse(&id)?).await?))
}

/// `POST /api/v1/accounts/:id/unblock`: the Relationship.
pub async fn unblock(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
) -> Result<Json<Value>, HttpError> {
    user.require("write:blocks")?;
    let account = followed(&state, &id).await?;
    maillage_app::relations::unblock(&state.app, &user.account.actor, &account).await?;
    Ok(Json(relationship(&state, &user.account.actor, Ref::parse(&id)?).await?))
}

/// `GET /api/v1/blocks` (`max_id`, `limit`): the Accounts the caller blocks, newest first.
pub async fn blocks(State(state): State<AppState>, user: User, params: Params) -> Result<Response, HttpError> {
    user.require("read:blocks")?;
    let limit = limit(&params)?;
    let rows = state.db().blocks_page(user.account.actor.id, params.number("max_id")?, limit).await?;
    let mut accounts = Vec::new();
    for block in &rows {
        if let Some(account) = account_of_ap_id(&state, &block.target_ap_id).await? {
            accounts.push(account);
        }
    }
    let next = rows.last().map(|b| b.id.to_string());
    Ok(accounts_page(&state, "/api/v1/blocks", &[], accounts, next, limit))
}
