//! The hub staff's page: admitting and deleting enterprises, featured
//! items, domain blocks and delivery status (admins), the reports queue and
//! the announcements (moderators and admins; see `announcements`). The same
//! operations as the `maillage admin` commands.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::Form;
use maillage_app::{Acting, AppError, domains, enterprises, hub, moderation};
use maillage_db::{Account, DomainPolicy};
use maillage_domain::ActorKind;
use serde::Deserialize;

use crate::WebState;
use crate::error::PageError;
use crate::views::{Chrome, Ctx, date};

pub(super) struct AnnouncementView {
    pub(super) id: i64,
    /// Sanitised HTML.
    pub(super) content: String,
    /// "from … until …", or when it was published.
    pub(super) when: String,
}

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
    announcements: Vec<AnnouncementView>,
    blocked: Vec<(String, String)>,
    deliveries: Vec<String>,
}

/// Staff only: admins, or moderators where `moderators_too`.
pub(super) fn staff(ctx: &Ctx, moderators_too: bool) -> Result<&Account, PageError> {
    let Some(account) = ctx.account.as_ref() else { return Err(PageError::login(ctx.lang, "/workspace/staff")) };
    let acting = Acting::member(account);
    let allowed = if moderators_too { acting.require_moderator() } else { acting.require_admin() };
    allowed.map(|()| account).map_err(|e| PageError::app(ctx.lang, e))
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
    let db = state.shared.db();
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
    let announcements = super::announcements::views(state, ctx, account).await?;
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
        announcements,
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
        Some("deleted") => Some(ctx.t.t1("staff-deleted", "handle", &subject)),
        Some("featured") => Some(ctx.t.t("staff-featured")),
        Some("resolved") => Some(ctx.t.t("staff-report-resolved")),
        Some("blocked") => Some(ctx.t.t1("staff-domain-blocked", "domain", &subject)),
        Some("removed") => Some(ctx.t.t1("staff-domain-removed", "domain", &subject)),
        Some("invited") => Some(ctx.t.t1("staff-claim-sent", "handle", &subject)),
        Some("announced") => Some(ctx.t.t("staff-announced")),
        Some("withdrawn") => Some(ctx.t.t("staff-announce-withdrawn")),
        _ => None,
    };
    let page = staff_page(&state, &ctx, account, notice, None).await?;
    ctx.render(&page)
}

pub(super) fn done(what: &str, subject: &str) -> Response {
    let subject = url::form_urlencoded::byte_serialize(subject.as_bytes()).collect::<String>();
    Redirect::to(&format!("/workspace/staff?done={what}&subject={subject}")).into_response()
}

/// A refusal the staff can mend, shown on their page; anything else is a page of its own.
pub(super) async fn refused_or_page(
    state: &WebState,
    ctx: &Ctx,
    account: &Account,
    error: AppError,
) -> Result<Response, PageError> {
    match error {
        AppError::Invalid { .. } | AppError::Conflict(_) | AppError::NotFound(_) | AppError::Remote(_) => {
            refused(state, ctx, account, error.to_string()).await
        }
        other => Err(PageError::app(ctx.lang, other)),
    }
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
    match enterprises::create(&state.shared.app, &Acting::member(account), handle, name, "").await {
        Ok(actor) => Ok(done("admitted", &actor.username)),
        Err(e) => refused_or_page(&state, &ctx, account, e).await,
    }
}

#[derive(Deserialize, Default)]
pub struct ClaimInviteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    handle: String,
    #[serde(default)]
    email: String,
}

/// E-mails an invitation to claim an enterprise's profile (admins).
pub async fn invite_to_claim(
    State(state): State<WebState>,
    ctx: Ctx,
    Form(form): Form<ClaimInviteForm>,
) -> Result<Response, PageError> {
    let account = staff(&ctx, false)?;
    ctx.check_csrf(&form.csrf)?;
    let handle = form.handle.trim();
    match maillage_app::claims::invite(&state.shared.app, &Acting::member(account), handle, &form.email).await {
        Ok(()) => Ok(done("invited", handle)),
        Err(e) => refused_or_page(&state, &ctx, account, e).await,
    }
}

#[derive(Deserialize, Default)]
pub struct DeleteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    handle: String,
    /// `yes` when the admin ticked the confirmation box.
    #[serde(default)]
    confirm: String,
}

/// Deletes an enterprise (admins), once the confirmation box is ticked.
pub async fn delete_enterprise(
    State(state): State<WebState>,
    ctx: Ctx,
    Form(form): Form<DeleteForm>,
) -> Result<Response, PageError> {
    let account = staff(&ctx, false)?;
    ctx.check_csrf(&form.csrf)?;
    if form.confirm != "yes" {
        return refused(&state, &ctx, account, ctx.t.t("staff-delete-unconfirmed")).await;
    }
    match enterprises::delete(&state.shared.app, &Acting::member(account), form.handle.trim()).await {
        Ok(deleted) => Ok(done("deleted", &deleted.actor.username)),
        Err(e) => refused_or_page(&state, &ctx, account, e).await,
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
    match hub::feature(&state.shared.app, &Acting::member(account), &form.url, featured).await {
        Ok(_) => Ok(done("featured", "")),
        Err(e) => refused_or_page(&state, &ctx, account, e).await,
    }
}

#[derive(Deserialize, Default)]
pub struct CsrfOnly {
    #[serde(default)]
    pub(super) csrf: String,
}

pub async fn resolve_report(
    State(state): State<WebState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, PageError> {
    let account = staff(&ctx, true)?;
    ctx.check_csrf(&form.csrf)?;
    let resolved = moderation::resolve_report(&state.shared.app, &Acting::member(account), id)
        .await
        .map_err(|e| PageError::app(ctx.lang, e))?;
    if resolved { Ok(done("resolved", "")) } else { Err(PageError::not_found(ctx.lang)) }
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
    let acting = Acting::member(account);
    let app = &state.shared.app;
    let outcome = match form.action.as_str() {
        "block" => {
            domains::block(app, &acting, &form.domain, Some(&form.comment)).await.map(|(domain, _)| ("blocked", domain))
        }
        "remove" => domains::remove(app, &acting, &form.domain).await.map(|domain| ("removed", domain)),
        other => return Err(PageError::bad_request(ctx.lang, &format!("action {other:?}"))),
    };
    match outcome {
        Ok((what, domain)) => Ok(done(what, &domain)),
        Err(e) => refused_or_page(&state, &ctx, account, e).await,
    }
}
