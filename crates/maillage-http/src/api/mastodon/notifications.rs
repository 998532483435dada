//! A member's notifications.

use maillage_domain::reading::FilterContext;

use super::filters::{filtered, in_force};
use super::*;

/// The local actors whose notifications a member sees: themself and the
/// enterprises they edit.
pub(super) async fn notified_actors(state: &AppState, user: &User) -> Result<Vec<i64>, HttpError> {
    Ok(maillage_app::notifications::notified_actors(&state.app, &user.account.actor).await?)
}

pub(super) async fn notification_json(
    state: &AppState,
    reader: &Reader,
    notification: &maillage_db::Notification,
    viewer: Viewer<'_>,
) -> Result<Value, HttpError> {
    let account = match state.db().remote_actor_by_ap_id(&notification.from_ap_id).await? {
        Some(remote) => remote_account(state, &remote),
        None => match state.db().local_actor_by_ap_id(&notification.from_ap_id).await? {
            Some(local) => local_account(state, &local).await?,
            None => unknown_account(state, Some(&notification.from_ap_id), notification.created_at),
        },
    };
    // The status as its reader may see it: the notified member.
    let status = match &notification.object_ap_id {
        Some(uri) => {
            match (
                state.db().visible_post_by_ap_id(reader, uri).await?,
                state.db().visible_remote_object_by_ap_id(reader, uri).await?,
            ) {
                (Some(post), _) => local_status(state, &post, viewer).await?,
                (_, Some(object)) => remote_status(state, &object, viewer).await?,
                _ => Value::Null,
            }
        }
        None => Value::Null,
    };
    Ok(json!({
        "id": notification.id.to_string(),
        "type": notification.kind.as_str(),
        // Mastodon's key of a notification it does not group with others.
        "group_key": format!("ungrouped-{}", notification.id),
        "created_at": notification.created_at.as_datetime().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "account": account,
        "status": status,
    }))
}

/// The kinds `types[]` and `exclude_types[]` leave, or `None` for all of
/// them. Names we do not know match no notification of ours.
fn wanted_kinds(types: &[String], excluded: &[String]) -> Option<Vec<NotificationKind>> {
    if types.is_empty() && excluded.is_empty() {
        return None;
    }
    let named = |names: &[String], kind: NotificationKind| names.iter().any(|n| n == kind.as_str());
    Some(
        NotificationKind::ALL
            .iter()
            .copied()
            .filter(|&kind| types.is_empty() || named(types, kind))
            .filter(|&kind| !named(excluded, kind))
            .collect(),
    )
}

/// `GET /api/v1/notifications` (`types[]`, `exclude_types[]`, `max_id`, `limit`)
pub async fn notifications(State(state): State<AppState>, user: User, params: Params) -> Result<Response, HttpError> {
    user.require("read:notifications")?;
    let actors = notified_actors(&state, &user).await?;
    let kinds = wanted_kinds(&params.list("types"), &params.list("exclude_types"));
    let before = params.number("max_id")?;
    let limit = limit(&params)?;
    // Not those of the accounts muted with their notifications, blocked, or blocking.
    let hidden = hidden_from(&state, &user, true).await?;
    let rows = state.db().notifications_page_hiding(&actors, kinds.as_deref(), before, limit, &hidden.ap_ids).await?;
    let reader = state.db().reader_for_member(&user.account.actor).await?;
    let mut out = Vec::new();
    for row in &rows {
        out.push(notification_json(&state, &reader, row, Some(user.member())).await?);
    }
    let filters = in_force(&state, Some(&user), FilterContext::Notifications).await?;
    let out: Vec<Value> = out
        .into_iter()
        .filter_map(|mut notification| {
            if notification["status"].is_null() {
                return Some(notification);
            }
            let status = filtered(&filters, notification["status"].take())?;
            notification["status"] = status;
            Some(notification)
        })
        .collect();
    let mut response = Json(json!(out)).into_response();
    if let Some(last) = rows.last() {
        let link = format!(
            "<{}/api/v1/notifications?max_id={}&limit={limit}>; rel=\"next\"",
            state.config().public_base_url(),
            last.id
        );
        if let Ok(value) = HeaderValue::from_str(&link) {
            response.headers_mut().insert(header::LINK, value);
        }
    }
    Ok(response)
}

/// `GET /api/v1/notifications/:id`
pub async fn notification(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
) -> Result<Json<Value>, HttpError> {
    user.require("read:notifications")?;
    let id: i64 = id.parse().map_err(|_| HttpError::NotFound("Record not found".into()))?;
    let actors = notified_actors(&state, &user).await?;
    let row = state
        .db()
        .notifications_page(&actors, None, Some(id + 1), 1)
        .await?
        .into_iter()
        .find(|n| n.id == id)
        .ok_or_else(|| HttpError::NotFound("Record not found".into()))?;
    let reader = state.db().reader_for_member(&user.account.actor).await?;
    Ok(Json(notification_json(&state, &reader, &row, Some(user.member())).await?))
}

/// `POST /api/v1/notifications/clear`
pub async fn clear_notifications(State(state): State<AppState>, user: User) -> Result<Json<Value>, HttpError> {
    user.require("write:notifications")?;
    maillage_app::notifications::dismiss(&state.app, &user.account.actor, None).await?;
    Ok(Json(json!({})))
}

/// `POST /api/v1/notifications/:id/dismiss`
pub async fn dismiss_notification(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
) -> Result<Json<Value>, HttpError> {
    user.require("write:notifications")?;
    let id: i64 = id.parse().map_err(|_| HttpError::NotFound("Record not found".into()))?;
    maillage_app::notifications::dismiss(&state.app, &user.account.actor, Some(id)).await?;
    Ok(Json(json!({})))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn types_and_exclusions_choose_the_kinds() {
        use NotificationKind::*;
        assert_eq!(wanted_kinds(&[], &[]), None);
        assert_eq!(wanted_kinds(&names(&["reblog", "favourite"]), &[]), Some(vec![Reblog, Favourite]));
        assert_eq!(wanted_kinds(&[], &names(&["mention", "follow"])), Some(vec![FollowRequest, Reblog, Favourite]));
        assert_eq!(wanted_kinds(&names(&["mention", "follow"]), &names(&["follow"])), Some(vec![Mention]));
        assert_eq!(wanted_kinds(&names(&["poll"]), &[]), Some(vec![]), "an unknown type matches nothing");
        let all: Vec<&str> = NotificationKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(wanted_kinds(&[], &names(&all)), Some(vec![]), "excluding every type leaves none");
    }
}
