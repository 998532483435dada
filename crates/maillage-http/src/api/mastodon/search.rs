//! `/api/v2/search`: accounts by handle or URL, statuses by URL.

use super::*;

/// `GET /api/v2/search?q=&resolve=true`: accounts by handle or URL, statuses by URL.
pub async fn search(
    State(state): State<AppState>,
    viewer: MaybeUser,
    params: Params,
) -> Result<Json<Value>, HttpError> {
    let reader = viewer.reader(&state).await?;
    let MaybeUser(user) = viewer;
    let q = params.required("q")?;
    let q = q.trim();
    let resolve = params.flag("resolve")?.unwrap_or(false) && user.is_some();
    let wants = params.text("type");
    let mut accounts = Vec::new();
    let mut statuses = Vec::new();
    let domain = state.config().instance.domain.clone();
    let is_url = q.starts_with("https://") || q.starts_with("http://");
    if !is_url && q.trim_start_matches('@').contains('@') {
        let handle = q.trim_start_matches('@');
        let (name, host) = handle.split_once('@').unwrap_or((handle, ""));
        if host.eq_ignore_ascii_case(&domain) {
            if let Some(actor) =
                state.db().local_actor_by_username(name).await?.filter(|a| a.kind() != ActorKind::Instance)
            {
                accounts.push(local_account(&state, &actor).await?);
            }
        } else if let Some(actor) = state.db().remote_actor_by_handle(name, host).await?.filter(|a| !a.suspended) {
            accounts.push(remote_account(&actor));
        } else if resolve {
            let remote = maillage_federation::activities::resolve_actor(state.federation(), handle).await?;
            accounts.push(remote_account(&remote.row));
        }
    } else if is_url {
        if let Some(post) = state.db().visible_post_by_ap_id(&reader, q).await? {
            statuses.push(local_status(&state, &post).await?);
        } else if let Some(actor) = state.db().remote_actor_by_ap_id(q).await?.filter(|a| !a.suspended) {
            accounts.push(remote_account(&actor));
        } else if let Some(object) = state.db().visible_remote_object_by_ap_id(&reader, q).await? {
            statuses.push(remote_status(&state, &object).await?);
        } else if resolve && !q.contains(&domain) {
            match maillage_federation::activities::resolve_actor(state.federation(), q).await {
                Ok(remote) => accounts.push(remote_account(&remote.row)),
                Err(_) => {
                    let object = maillage_federation::objects::fetch_remote_object(state.federation(), q).await?;
                    // Fetched or not, it is shown only to its audience.
                    if let Some(object) = state.db().visible_remote_object(&reader, object.id).await? {
                        statuses.push(remote_status(&state, &object).await?);
                    }
                }
            }
        }
    } else {
        // A bare name: local accounts of that name.
        if let Some(actor) = state
            .db()
            .local_actor_by_username(q.trim_start_matches('@'))
            .await?
            .filter(|a| a.kind() != ActorKind::Instance)
        {
            accounts.push(local_account(&state, &actor).await?);
        }
    }
    if wants.as_deref() == Some("statuses") {
        accounts.clear();
    }
    if wants.as_deref() == Some("accounts") {
        statuses.clear();
    }
    Ok(Json(json!({ "accounts": accounts, "statuses": statuses, "hashtags": [] })))
}
