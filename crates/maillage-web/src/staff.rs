//! The hub staff's page: admitting enterprises, featured items, domain
//! blocks and delivery status (admins), the reports queue (moderators and
//! admins). The same operations as the `maillage admin` commands.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::Form;
use maillage_db::{Account, DomainPolicy};
use maillage_domain::ActorKind;
use maillage_federation::FederationError;
use serde::Deserialize;

use crate::WebState;
use crate::error::PageError;
use crate::views::{Chrome, Ctx, date};

struct ReportView {
    id: i64,
    line: String,
    comment: String,
    objects: Vec<String>,
}

#[derive(Template)]
#[template(path = "staff.html")]
struct StaffPage {
    c: Chrome,
    notice: Option<String>,
    error: Option<String>,
    is_admin: bool,
    featured: Vec<String>,
    /// (handle, name) of this hub's enterprises, to edit.
    enterprises: Vec<(String, String)>,
    reports: Vec<ReportView>,
    blocked: Vec<(String, String)>,
    deliveries: Vec<String>,
}

/// Staff only: admins, or moderators where `moderators_too`.
fn staff(ctx: &Ctx, moderators_too: bool) -> Result<&Account, PageError> {
    match ctx.account.as_ref() {
        None => Err(PageError::login(ctx.lang, "/workspace/staff")),
        Some(a) if a.is_admin || (moderators_too && a.is_moderator) => Ok(a),
        Some(_) => Err(PageError::forbidden(ctx.lang)),
    }
}

#[derive(Deserialize, Default)]
pub struct StaffQuery {
    done: Option<String>,
    subject: Option<String>,
}

async fn staff_page(
    state: &WebState,
    ctx: &Ctx,
    account: &Account,
    notice: Option<String>,
    error: Option<String>,
) -> Result<StaffPage, PageError> {
    let db = &state.app.db;
    let internal = |e: maillage_db::DbError| PageError::internal(ctx.lang, e);
    let reports = db
        .reports(false, 100)
        .await
        .map_err(internal)?
        .into_iter()
        .map(|r| ReportView {
            id: r.id,
            line: ctx.t.t2(
                "staff-report-line",
                ("reporter", &r.reporter),
                ("target", r.target_actor.as_deref().unwrap_or("?")),
            ),
            comment: r.comment.clone(),
            objects: r.objects().into_iter().chain(r.target_actor.clone()).collect(),
        })
        .collect();
    let (mut featured, mut blocked, mut deliveries) = (Vec::new(), Vec::new(), Vec::new());
    let mut enterprises = Vec::new();
    if account.is_admin {
        let mut after: Option<String> = None;
        loop {
            let page = db.list_local_actors(ActorKind::Enterprise, after.as_deref(), 500).await.map_err(internal)?;
            enterprises.extend(page.iter().map(|a| (a.username.clone(), a.display_name.clone())));
            match page.last() {
                Some(last) if page.len() == 500 => after = Some(last.username.clone()),
                _ => break,
            }
        }
        if let Some(hub) = db.local_actor_of_kind(ActorKind::Hub).await.map_err(internal)? {
            featured = db.featured_of(hub.id).await.map_err(internal)?;
        }
        blocked = db
            .domain_policies()
            .await
            .map_err(internal)?
            .into_iter()
            .filter(|p| p.policy == DomainPolicy::Block)
            .map(|p| (p.domain, p.public_comment.unwrap_or_default()))
            .collect();
        let health = db.domain_health().await.map_err(internal)?;
        for domain in db.delivery_counts_by_domain().await.map_err(internal)? {
            let unreachable = health
                .iter()
                .find(|h| h.domain == domain.domain)
                .and_then(|h| h.unreachable_since.as_ref())
                .map(|since| format!(" · {}", ctx.t.t1("staff-unreachable", "since", &date(ctx.lang, since))))
                .unwrap_or_default();
            let c = domain.counts;
            deliveries.push(format!("{} · {} · {} · {}{unreachable}", domain.domain, c.pending, c.done, c.failed));
        }
    }
    Ok(StaffPage {
        c: ctx.chrome(ctx.t.t("staff-title")),
        notice,
        error,
        is_admin: account.is_admin,
        featured,
        enterprises,
        reports,
        blocked,
        deliveries,
    })
}

pub async fn staff_home(
    State(state): State<WebState>,
    ctx: Ctx,
    axum::extract::Query(query): axum::extract::Query<StaffQuery>,
) -> Result<Response, PageError> {
    let account = staff(&ctx, true)?;
    let subject = query.subject.unwrap_or_default();
    let notice = match query.done.as_deref() {
        Some("admitted") => Some(ctx.t.t1("staff-admitted", "handle", &subject)),
        Some("featured") => Some(ctx.t.t("staff-featured")),
        Some("resolved") => Some(ctx.t.t("staff-report-resolved")),
        Some("blocked") => Some(ctx.t.t1("staff-domain-blocked", "domain", &subject)),
        Some("removed") => Some(ctx.t.t1("staff-domain-removed", "domain", &subject)),
        _ => None,
    };
    let page = staff_page(&state, &ctx, account, notice, None).await?;
    ctx.render(&page)
}

fn done(what: &str, subject: &str) -> Response {
    let subject = url::form_urlencoded::byte_serialize(subject.as_bytes()).collect::<String>();
    Redirect::to(&format!("/workspace/staff?done={what}&subject={subject}")).into_response()
}

async fn refused(state: &WebState, ctx: &Ctx, account: &Account, message: String) -> Result<Response, PageError> {
    let page = staff_page(state, ctx, account, None, Some(ctx.t.t1("error-bad-request", "reason", &message))).await?;
    let mut response = ctx.render(&page)?;
    *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(response)
}

#[derive(Deserialize, Default)]
pub struct AdmitForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    handle: String,
    #[serde(default)]
    name: String,
}

pub async fn admit_enterprise(
    State(state): State<WebState>,
    ctx: Ctx,
    Form(form): Form<AdmitForm>,
) -> Result<Response, PageError> {
    let account = staff(&ctx, false)?;
    ctx.check_csrf(&form.csrf)?;
    let (handle, name) = (form.handle.trim(), form.name.trim());
    if name.is_empty() {
        return refused(&state, &ctx, account, "the name is empty".into()).await;
    }
    match maillage_federation::create_enterprise(&state.app.db, &state.app.config, handle, name, "").await {
        Ok(actor) => Ok(done("admitted", &actor.username)),
        Err(e) => refused(&state, &ctx, account, e.to_string()).await,
    }
}

#[derive(Deserialize, Default)]
pub struct FeatureForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    featured: String,
}

pub async fn feature(
    State(state): State<WebState>,
    ctx: Ctx,
    Form(form): Form<FeatureForm>,
) -> Result<Response, PageError> {
    let account = staff(&ctx, false)?;
    ctx.check_csrf(&form.csrf)?;
    let featured = form.featured != "false";
    match maillage_federation::content::feature(&state.app.federation, form.url.trim(), featured).await {
        Ok(_) => Ok(done("featured", "")),
        Err(FederationError::Invalid(message) | FederationError::NotFound(message)) => {
            refused(&state, &ctx, account, message).await
        }
        Err(e) => Err(PageError::internal(ctx.lang, e)),
    }
}

#[derive(Deserialize, Default)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

pub async fn resolve_report(
    State(state): State<WebState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, PageError> {
    staff(&ctx, true)?;
    ctx.check_csrf(&form.csrf)?;
    if state.app.db.resolve_report(id).await.map_err(|e| PageError::internal(ctx.lang, e))? {
        Ok(done("resolved", ""))
    } else {
        Err(PageError::not_found(ctx.lang))
    }
}

#[derive(Deserialize, Default)]
pub struct DomainForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    domain: String,
    #[serde(default)]
    comment: String,
    #[serde(default)]
    action: String,
}

pub async fn domain_rule(
    State(state): State<WebState>,
    ctx: Ctx,
    Form(form): Form<DomainForm>,
) -> Result<Response, PageError> {
    let account = staff(&ctx, false)?;
    ctx.check_csrf(&form.csrf)?;
    let domain = match maillage_domain::server_name::normalize_domain(&form.domain) {
        Ok(domain) => domain,
        Err(message) => return refused(&state, &ctx, account, message).await,
    };
    if domain == state.domain().to_ascii_lowercase() {
        return refused(&state, &ctx, account, "this is our own domain".into()).await;
    }
    let db = &state.app.db;
    let internal = |e: maillage_db::DbError| PageError::internal(ctx.lang, e);
    match form.action.as_str() {
        "block" => {
            let comment = Some(form.comment.trim()).filter(|c| !c.is_empty());
            db.set_domain_policy(&domain, DomainPolicy::Block, comment).await.map_err(internal)?;
            Ok(done("blocked", &domain))
        }
        "remove" => {
            db.remove_domain_policy(&domain).await.map_err(internal)?;
            Ok(done("removed", &domain))
        }
        other => Err(PageError::bad_request(ctx.lang, &format!("action {other:?}"))),
    }
}
