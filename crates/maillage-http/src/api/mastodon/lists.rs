//! Lists: a member's lists of accounts they follow, and their timelines.
//! Someone else's list is not found.

use maillage_db::{List, ListFields, ListMember};
use maillage_domain::reading::{FilterContext, RepliesPolicy};

use std::collections::HashSet;

use super::timelines::{ListReplies, LocalPosts, Reading, RemotePosts, timeline};
use super::*;

pub(super) fn list_id(id: &str) -> Result<i64, HttpError> {
    id.trim().parse().map_err(|_| HttpError::NotFound("Record not found".into()))
}

/// Mastodon's List.
fn list_json(list: &List) -> Value {
    json!({
        "id": list.id.to_string(),
        "title": list.title,
        "replies_policy": list.replies_policy.as_str(),
        "exclusive": list.exclusive,
    })
}

/// A list's fields from a request, over `current` (a PUT changes what it names).
fn fields(params: &Params, current: Option<&List>) -> Result<ListFields, HttpError> {
    let title = match (params.text("title"), current) {
        (Some(title), _) => title,
        (None, Some(list)) => list.title.clone(),
        (None, None) => return Err(HttpError::Unprocessable("the parameter `title` is required".into())),
    };
    let replies_policy = match params.text("replies_policy").filter(|p| !p.is_empty()) {
        Some(name) => RepliesPolicy::parse(&name).map_err(|e| HttpError::Unprocessable(e.to_string()))?,
        None => current.map_or(RepliesPolicy::List, |l| l.replies_policy),
    };
    let exclusive = params.flag("exclusive")?.or(current.map(|l| l.exclusive)).unwrap_or(false);
    Ok(ListFields { title, replies_policy, exclusive })
}

/// The accounts `account_ids[]` names (an unknown one: 404).
async fn accounts(state: &AppState, params: &Params) -> Result<Vec<ListMember>, HttpError> {
    let ids = params.list("account_ids");
    if ids.is_empty() {
        return Err(HttpError::Unprocessable("the parameter `account_ids[]` is required".into()));
    }
    let missing = || HttpError::NotFound("Record not found".into());
    let mut members = Vec::new();
    for id in ids {
        members.push(match Ref::parse(&id)? {
            Ref::Local(id) => ListMember::Local(state.db().local_actor_by_id(id).await?.ok_or_else(missing)?.id),
            Ref::Remote(id) => ListMember::Remote(state.db().remote_actor_by_id(id).await?.ok_or_else(missing)?.id),
        });
    }
    Ok(members)
}

/// `GET /api/v1/lists`
pub async fn lists(State(state): State<AppState>, user: User) -> Result<Json<Value>, HttpError> {
    user.require("read:lists")?;
    let lists = maillage_app::lists::lists(&state.app, &user.acting()).await?;
    Ok(Json(json!(lists.iter().map(list_json).collect::<Vec<_>>())))
}

/// `POST /api/v1/lists`: `title`, `replies_policy`, `exclusive`.
pub async fn create_list(State(state): State<AppState>, user: User, params: Params) -> Result<Json<Value>, HttpError> {
    user.require("write:lists")?;
    let list = maillage_app::lists::create(&state.app, &user.acting(), &fields(&params, None)?).await?;
    Ok(Json(list_json(&list)))
}

/// `GET /api/v1/lists/:id`
pub async fn list(State(state): State<AppState>, user: User, Path(id): Path<String>) -> Result<Json<Value>, HttpError> {
    user.require("read:lists")?;
    Ok(Json(list_json(&maillage_app::lists::list(&state.app, &user.acting(), list_id(&id)?).await?)))
}

/// `PUT /api/v1/lists/:id`
pub async fn update_list(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
    params: Params,
) -> Result<Json<Value>, HttpError> {
    user.require("write:lists")?;
    let current = maillage_app::lists::list(&state.app, &user.acting(), list_id(&id)?).await?;
    let fields = fields(&params, Some(&current))?;
    Ok(Json(list_json(&maillage_app::lists::update(&state.app, &user.acting(), current.id, &fields).await?)))
}

/// `DELETE /api/v1/lists/:id`
pub async fn delete_list(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
) -> Result<Json<Value>, HttpError> {
    user.require("write:lists")?;
    maillage_app::lists::delete(&state.app, &user.acting(), list_id(&id)?).await?;
    Ok(Json(json!({})))
}

/// `GET /api/v1/lists/:id/accounts`
pub async fn list_accounts(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
) -> Result<Json<Value>, HttpError> {
    user.require("read:lists")?;
    let members = maillage_app::lists::members(&state.app, &user.acting(), list_id(&id)?).await?;
    let mut shown = Vec::new();
    for actor in &members.local {
        shown.push(local_account(&state, actor).await?);
    }
    shown.extend(members.remote.iter().map(|actor| remote_account(&state, actor)));
    Ok(Json(json!(shown)))
}

/// `POST /api/v1/lists/:id/accounts`: `account_ids[]`, accounts the member
/// follows (any other: 422, and none is added).
pub async fn add_list_accounts(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
    params: Params,
) -> Result<Json<Value>, HttpError> {
    user.require("write:lists")?;
    let list = maillage_app::lists::list(&state.app, &user.acting(), list_id(&id)?).await?;
    let accounts = accounts(&state, &params).await?;
    maillage_app::lists::add_members(&state.app, &user.acting(), list.id, &accounts).await?;
    Ok(Json(json!({})))
}

/// `DELETE /api/v1/lists/:id/accounts`: `account_ids[]`.
pub async fn remove_list_accounts(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
    params: Params,
) -> Result<Json<Value>, HttpError> {
    user.require("write:lists")?;
    let list = maillage_app::lists::list(&state.app, &user.acting(), list_id(&id)?).await?;
    let accounts = accounts(&state, &params).await?;
    maillage_app::lists::remove_members(&state.app, &user.acting(), list.id, &accounts).await?;
    Ok(Json(json!({})))
}

/// `GET /api/v1/accounts/:id/lists`: the member's lists holding that account.
pub async fn account_lists(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
) -> Result<Json<Value>, HttpError> {
    user.require("read:lists")?;
    let missing = || HttpError::NotFound("Record not found".into());
    let account = match Ref::parse(&id)? {
        Ref::Local(id) => ListMember::Local(state.db().local_actor_by_id(id).await?.ok_or_else(missing)?.id),
        Ref::Remote(id) => ListMember::Remote(state.db().remote_actor_by_id(id).await?.ok_or_else(missing)?.id),
    };
    let lists = maillage_app::lists::lists_holding(&state.app, &user.acting(), account).await?;
    Ok(Json(json!(lists.iter().map(list_json).collect::<Vec<_>>())))
}

/// `GET /api/v1/timelines/list/:id`: posts of the list's accounts that the
/// member may see, paged as the home timeline (whose filters apply).
pub async fn list_timeline(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
    params: Params,
) -> Result<Response, HttpError> {
    user.require("read:lists")?;
    let list = maillage_app::lists::list(&state.app, &user.acting(), list_id(&id)?).await?;
    let reader = user.reader(&state).await?;
    // As on the home timeline, without the accounts the member mutes or blocks.
    let hidden = hidden_from(&state, &user, false).await?;
    let (local, remote, replies) = list_sources(&state, &user, &list).await?;
    let reading = Reading {
        reader: &reader,
        viewer: Some(&user),
        context: FilterContext::Home,
        hidden: &hidden,
        replies: Some(&replies),
    };
    let path = format!("/api/v1/timelines/list/{}", list.id);
    timeline(&state, &reading, &params, &path, &[], Some(local), Some(remote)).await
}

/// What a list's timeline is made of: its accounts' posts, and the replies
/// its policy shows.
pub(super) async fn list_sources(
    state: &AppState,
    user: &User,
    list: &maillage_db::List,
) -> Result<(LocalPosts, RemotePosts, ListReplies), HttpError> {
    let members = maillage_app::lists::members(&state.app, &user.acting(), list.id).await?;
    let local = LocalPosts::Of(members.local.iter().map(|a| a.id).collect());
    let remote = RemotePosts::By(members.remote.iter().map(|a| a.ap_id.clone()).collect());
    let me = user.member();
    let mut followed: HashSet<String> = state
        .db()
        .locally_followed(me.id, super::timelines::HOME_FOLLOWED_MAX)
        .await?
        .iter()
        .map(|a| Ref::Local(a.id).id())
        .collect();
    followed.extend(state.db().followed_remote_row_ids(me.id).await?.into_iter().map(|id| Ref::Remote(id).id()));
    let replies = ListReplies {
        policy: list.replies_policy,
        owner: Ref::Local(me.id).id(),
        on_list: members
            .local
            .iter()
            .map(|a| Ref::Local(a.id).id())
            .chain(members.remote.iter().map(|a| Ref::Remote(a.id).id()))
            .collect(),
        followed,
    };
    Ok((local, remote, replies))
}
