//! Reports: `POST /api/v1/reports` for members (Mastodon's shape), and for
//! the instance's moderators and admins `GET /api/v1/admin/reports` and
//! `POST /api/v1/admin/reports/:id/resolve` (a subset of Mastodon's admin
//! API: reports carry the reporter's and target's ids as URIs).

use axum::Json;
use axum::extract::{Path, State};
use maillage_db::Report;
use serde_json::{Value, json};

use super::auth::User;
use super::entities::{Ref, iso};
use super::mastodon::status_uri;
use super::params::Params;
use crate::{AppState, HttpError};

/// The ActivityPub id of an account, by its API id.
async fn account_uri(state: &AppState, id: &str) -> Result<String, HttpError> {
    let missing = || HttpError::NotFound("Record not found".into());
    Ok(match Ref::parse(id)? {
        Ref::Local(id) => state.db().local_actor_by_id(id).await?.ok_or_else(missing)?.ap_id,
        Ref::Remote(id) => state.db().remote_actor_by_id(id).await?.ok_or_else(missing)?.ap_id,
    })
}

fn report_json(report: &Report) -> Value {
    json!({
        "id": report.id.to_string(),
        "action_taken": report.resolved_at.is_some(),
        "action_taken_at": report.resolved_at.map(iso),
        "category": "other",
        "comment": report.comment,
        "forwarded": report.direction() == maillage_db::ReportDirection::Incoming,
        "created_at": iso(report.created_at),
        "status_ids": null,
        "rule_ids": null,
        "target_account": { "uri": report.target_actor },
        "account": { "uri": report.reporter },
        "object_uris": report.objects(),
    })
}

/// `POST /api/v1/reports` (`account_id`, `status_ids[]`, `comment`, `forward`).
pub async fn create_report(
    State(state): State<AppState>,
    user: User,
    params: Params,
) -> Result<Json<Value>, HttpError> {
    user.require("write:reports")?;
    let target = account_uri(&state, &params.required("account_id")?).await?;
    // One reports only what one may read.
    let reader = state.db().reader_for_member(&user.account.actor).await?;
    let mut objects = Vec::new();
    for id in params.list("status_ids") {
        objects.push(status_uri(&state, &reader, &id).await?);
    }
    let comment = params.text("comment").unwrap_or_default();
    let forward = params.flag("forward")?.unwrap_or(false);
    let id =
        maillage_app::moderation::report(&state.app, &user.account.actor, &target, &objects, &comment, forward).await?;
    let report = state.db().report(id).await?.ok_or_else(|| HttpError::NotFound("Record not found".into()))?;
    let mut body = report_json(&report);
    body["forwarded"] = json!(forward);
    Ok(Json(body))
}

fn require_moderator(user: &User, scope: &str) -> Result<(), HttpError> {
    if !(user.account.is_admin || user.account.is_moderator) {
        return Err(HttpError::Forbidden("This action is for the instance's moderators".into()));
    }
    user.require(scope)
}

/// `GET /api/v1/admin/reports` (`resolved=true` for handled ones).
pub async fn admin_reports(
    State(state): State<AppState>,
    user: User,
    params: Params,
) -> Result<Json<Value>, HttpError> {
    require_moderator(&user, "admin:read:reports")?;
    let resolved = params.flag("resolved")?.unwrap_or(false);
    let reports = state.db().reports(resolved, 100).await?;
    let wanted = reports.iter().filter(|r| r.resolved_at.is_some() == resolved);
    Ok(Json(Value::Array(wanted.map(report_json).collect())))
}

/// `POST /api/v1/admin/reports/:id/resolve`
pub async fn resolve_report(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
) -> Result<Json<Value>, HttpError> {
    user.require("admin:write:reports")?;
    let id: i64 = id.parse().map_err(|_| HttpError::NotFound("Record not found".into()))?;
    // Resolving one already resolved answers it as it is, as Mastodon does.
    maillage_app::moderation::resolve_report(&state.app, &user.acting(), id).await?;
    let report = state.db().report(id).await?.ok_or_else(|| HttpError::NotFound("Record not found".into()))?;
    Ok(Json(report_json(&report)))
}
