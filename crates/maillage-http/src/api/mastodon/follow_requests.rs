//! Follow requests waiting for an answer: the caller's own, or with
//! `maillage_as=<enterprise>` those of an enterprise they edit (as when
//! posting); authorizing sends the `Accept`, rejecting the `Reject`.

use super::*;

/// The local actor whose requests the caller reads and answers (refused,
/// 403, for an enterprise they do not edit).
async fn answering(state: &AppState, user: &User, params: &Params) -> Result<LocalActor, HttpError> {
    let enterprise = params.text("maillage_as").filter(|s| !s.is_empty());
    Ok(maillage_app::follows::requests_answered_by(&state.app, &user.acting(), enterprise.as_deref()).await?)
}

/// `GET /api/v1/follow_requests` (`max_id`, `limit`, `maillage_as`): the
/// Accounts asking to follow, those of other servers first, then ours,
/// each newest first; `max_id` is the last Account's id (the Link header's
/// `next`).
pub async fn follow_requests(State(state): State<AppState>, user: User, params: Params) -> Result<Response, HttpError> {
    user.require("read:follows")?;
    let local = answering(&state, &user, &params).await?;
    let limit = limit(&params)?;
    let cursor = params.text("max_id").filter(|s| !s.is_empty()).and_then(|id| Ref::parse(&id).ok());
    // Where each half of the list starts again (None: skip that half).
    let (remote_from, local_from) = match cursor {
        None => (Some(None), None),
        Some(Ref::Remote(id)) => match state.db().find_follow(local.id, id, Direction::Incoming).await? {
            Some(follow) => (Some(Some(follow.id)), None),
            None => (None, Some(i64::MIN)),
        },
        Some(Ref::Local(id)) => (None, Some(state.db().local_follow(id, local.id).await?.map_or(i64::MIN, |f| f.id))),
    };
    let mut accounts = Vec::new();
    if let Some(before) = remote_from {
        for follow in
            state.db().follows_page(local.id, Direction::Incoming, FollowState::Pending, before, limit).await?
        {
            if let Some(remote) = state.db().remote_actor_by_id(follow.remote_actor_id).await? {
                accounts.push(remote_account(&state, &remote));
            }
        }
    }
    let room = limit - i64::try_from(accounts.len()).unwrap_or(limit);
    if room > 0 && local_from != Some(i64::MIN) {
        for (_, follower) in state.db().local_follow_requests(local.id, local_from, room).await? {
            accounts.push(local_account(&state, &follower).await?);
        }
    }
    let kept: Vec<(&str, String)> = params.text("maillage_as").map(|e| ("maillage_as", e)).into_iter().collect();
    let next = accounts.last().and_then(|a| a["id"].as_str()).map(str::to_string);
    Ok(accounts_page(&state, "/api/v1/follow_requests", &kept, accounts, next, limit))
}

async fn answer(
    state: &AppState,
    user: &User,
    id: &str,
    params: &Params,
    accept: bool,
) -> Result<Json<Value>, HttpError> {
    user.require("write:follows")?;
    let local = answering(state, user, params).await?;
    let requester = followed(state, id).await?;
    maillage_app::follows::answer_follow_request(&state.app, &user.acting(), &local, &requester, accept).await?;
    Ok(Json(relationship(state, &local, Ref::parse(id)?).await?))
}

/// `POST /api/v1/follow_requests/:account_id/authorize` (`maillage_as`): the Relationship.
pub async fn authorize_follow_request(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
    params: Params,
) -> Result<Json<Value>, HttpError> {
    answer(&state, &user, &id, &params, true).await
}

/// `POST /api/v1/follow_requests/:account_id/reject` (`maillage_as`): the Relationship.
pub async fn reject_follow_request(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
    params: Params,
) -> Result<Json<Value>, HttpError> {
    answer(&state, &user, &id, &params, false).await
}
