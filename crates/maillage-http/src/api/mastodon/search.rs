//! `/api/v2/search` (accounts by handle or URL, statuses by URL) and
//! `/api/v1/accounts/search` (accounts by handle).

use super::*;

/// The accounts a handle names: `name` or `@name` here, `name@domain` here
/// or elsewhere. `resolve` asks the other server about a handle we do not
/// know yet (only for a signed-in member).
async fn accounts_by_handle(state: &AppState, q: &str, resolve: bool) -> Result<Vec<Value>, HttpError> {
    let handle = q.trim_start_matches('@');
    let domain = &state.config().instance.domain;
    let (name, host) = handle.split_once('@').unwrap_or((handle, domain));
    if host.eq_ignore_ascii_case(domain) {
        let actor = state.db().local_actor_by_username(name).await?.filter(|a| a.kind() != ActorKind::Instance);
        return Ok(match actor {
            Some(actor) => vec![local_account(state, &actor).await?],
            None => Vec::new(),
        });
    }
    if let Some(actor) = state.db().remote_actor_by_handle(name, host).await?.filter(|a| !a.suspended) {
        Ok(vec![remote_account(state, &actor)])
    } else if resolve {
        let remote = maillage_app::follows::resolve(&state.app, handle).await?;
        Ok(vec![remote_account(state, &remote.row)])
    } else {
        Ok(Vec::new())
    }
}

fn is_url(q: &str) -> bool {
    q.starts_with("https://") || q.starts_with("http://")
}

/// `GET /api/v2/search?q=&resolve=true`: accounts by handle or URL, statuses by URL.
pub async fn search(
    State(state): State<AppState>,
    viewer: MaybeUser,
    params: Params,
) -> Result<Json<Value>, HttpError> {
    let reader = viewer.reader(&state).await?;
    let MaybeUser(user) = &viewer;
    let member = viewer.member();
    let q = params.required("q")?;
    let q = q.trim();
    let resolve = params.flag("resolve")?.unwrap_or(false) && user.is_some();
    let wants = params.text("type");
    let mut accounts = Vec::new();
    let mut statuses = Vec::new();
    let domain = state.config().instance.domain.clone();
    if is_url(q) {
        if let Some(post) = state.db().visible_post_by_ap_id(&reader, q).await? {
            statuses.push(local_status(&state, &post, member).await?);
        } else if let Some(actor) = state.db().remote_actor_by_ap_id(q).await?.filter(|a| !a.suspended) {
            accounts.push(remote_account(&state, &actor));
        } else if let Some(object) = state.db().visible_remote_object_by_ap_id(&reader, q).await? {
            statuses.push(remote_status(&state, &object, member).await?);
        } else if resolve && !q.contains(&domain) {
            match maillage_app::follows::resolve(&state.app, q).await {
                Ok(remote) => accounts.push(remote_account(&state, &remote.row)),
                Err(_) => {
                    let object = maillage_federation::objects::fetch_remote_object(state.federation(), q).await?;
                    // Fetched or not, it is shown only to its audience.
                    if let Some(object) = state.db().visible_remote_object(&reader, object.id).await? {
                        statuses.push(remote_status(&state, &object, member).await?);
                    }
                }
            }
        }
    } else {
        accounts = accounts_by_handle(&state, q, resolve).await?;
    }
    if wants.as_deref() == Some("statuses") {
        accounts.clear();
    }
    if wants.as_deref() == Some("accounts") {
        statuses.clear();
    }
    Ok(Json(json!({ "accounts": accounts, "statuses": statuses, "hashtags": [] })))
}

/// `GET /api/v1/accounts/search?q=&limit=&resolve=`: the account a handle
/// or a known actor's URL names. Only whole handles match: there is no
/// search by the start of a name or by display name yet.
pub async fn account_search(
    State(state): State<AppState>,
    viewer: MaybeUser,
    params: Params,
) -> Result<Json<Value>, HttpError> {
    let q = params.required("q")?;
    let q = q.trim();
    let resolve = params.flag("resolve")?.unwrap_or(false) && viewer.0.is_some();
    let limit = usize::try_from(limit(&params)?).unwrap_or(1);
    let mut accounts = if q.is_empty() {
        Vec::new()
    } else if is_url(q) {
        match state.db().remote_actor_by_ap_id(q).await?.filter(|a| !a.suspended) {
            Some(actor) => vec![remote_account(&state, &actor)],
            None => match state.db().local_actor_by_ap_id(q).await?.filter(|a| a.kind() != ActorKind::Instance) {
                Some(actor) => vec![local_account(&state, &actor).await?],
                None => Vec::new(),
            },
        }
    } else {
        accounts_by_handle(&state, q, resolve).await?
    };
    accounts.truncate(limit);
    Ok(Json(json!(accounts)))
}
