//! The pages behind the links we e-mail: claiming an enterprise's profile
//! (`/claim/TOKEN`: open an account, or claim as the member signed in),
//! confirming an address (`/email/verify/TOKEN`), and choosing a new
//! password (`/password/forgot`, `/password/reset/TOKEN`). A GET only
//! shows a form (mail scanners follow links); the POST acts. An unknown,
//! used or expired link gets a page that says which.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::Form;
use maillage_app::claims::{self, LinkState};
use maillage_app::{Acting, AppError, recovery, sign_in};
use maillage_db::LinkPurpose;
use maillage_http::client_address::ClientAddress;
use maillage_http::limits::LoginKey;
use serde::Deserialize;

use crate::WebState;
use crate::error::PageError;
use crate::views::{Chrome, Ctx, SESSION_COOKIE};

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage {
    c: Chrome,
    message: String,
}

#[derive(Template)]
#[template(path = "claim.html")]
struct ClaimPage {
    c: Chrome,
    token: String,
    enterprise: String,
    email: String,
    /// The member signed in, who may claim as themself.
    member: Option<String>,
    error: Option<String>,
    username: String,
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    c: Chrome,
    /// `None`: the "forgot" form (an address); else the reset form of this link.
    token: Option<String>,
    notice: Option<String>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "verify.html")]
struct VerifyPage {
    c: Chrome,
    token: String,
}

fn message(ctx: &Ctx, status: StatusCode, title: &str, text: String) -> Result<Response, PageError> {
    let mut response = ctx.render(&MessagePage { c: ctx.chrome(ctx.t.t(title)), message: text })?;
    *response.status_mut() = status;
    Ok(response)
}

/// The page of a link that cannot be used: unknown (404), used or expired (410).
async fn unusable_link(state: &WebState, ctx: &Ctx, token: &str, purpose: LinkPurpose) -> Result<Response, PageError> {
    let found = claims::link_state(&state.shared.app, token, purpose).await.map_err(|e| PageError::app(ctx.lang, e))?;
    let (status, key) = match found {
        LinkState::Used => (StatusCode::GONE, "link-used"),
        LinkState::Expired => (StatusCode::GONE, "link-expired"),
        LinkState::Unknown | LinkState::Usable => (StatusCode::NOT_FOUND, "link-unknown"),
    };
    message(ctx, status, "link-title", ctx.t.t(key))
}

/// Shows a refusal the person can mend on the form, or the link's page.
async fn refused(
    state: &WebState,
    ctx: &Ctx,
    token: &str,
    purpose: LinkPurpose,
    error: AppError,
) -> Result<Result<String, Response>, PageError> {
    match error {
        AppError::Invalid { .. } | AppError::Conflict(_) => Ok(Ok(error.to_string())),
        AppError::NotFound(_) | AppError::Forbidden(_) => Ok(Err(unusable_link(state, ctx, token, purpose).await?)),
        other => Err(PageError::app(ctx.lang, other)),
    }
}

async fn claim_page(
    state: &WebState,
    ctx: &Ctx,
    token: &str,
    error: Option<String>,
    username: String,
) -> Result<Response, PageError> {
    let offer = match claims::offer(&state.shared.app, token).await {
        Ok(offer) => offer,
        Err(AppError::NotFound(_) | AppError::Forbidden(_)) => {
            return unusable_link(state, ctx, token, LinkPurpose::Claim).await;
        }
        Err(e) => return Err(PageError::app(ctx.lang, e)),
    };
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page = ClaimPage {
        c: ctx.chrome(ctx.t.t1("claim-title", "name", &offer.enterprise.display_name)),
        token: token.to_string(),
        enterprise: offer.enterprise.display_name.clone(),
        email: offer.email,
        member: ctx.account.as_ref().map(|a| a.actor.username.clone()),
        error,
        username,
    };
    let mut response = ctx.render(&page)?;
    *response.status_mut() = status;
    Ok(response)
}

pub async fn claim_form(
    State(state): State<WebState>,
    ctx: Ctx,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    claim_page(&state, &ctx, &token, None, String::new()).await
}

#[derive(Deserialize, Default)]
pub struct ClaimForm {
    #[serde(default)]
    csrf: String,
    /// `join` (as the member signed in) or `create` (a new account).
    #[serde(default)]
    action: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

pub async fn claim(
    State(state): State<WebState>,
    ctx: Ctx,
    Path(token): Path<String>,
    Form(form): Form<ClaimForm>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    let app = &state.shared.app;
    if form.action == "join" {
        let Some(account) = ctx.account.as_ref() else {
            return Err(PageError::login(ctx.lang, &format!("/claim/{token}")));
        };
        return match claims::claim_as(app, &Acting::member(account), &token).await {
            Ok(enterprise) => {
                Ok(Redirect::to(&format!("/workspace/enterprises/{}", enterprise.username)).into_response())
            }
            Err(e) => match refused(&state, &ctx, &token, LinkPurpose::Claim, e).await? {
                Ok(reason) => claim_page(&state, &ctx, &token, Some(reason), String::new()).await,
                Err(page) => Ok(page),
            },
        };
    }
    let username = form.username.trim().to_string();
    match claims::claim_with_new_account(app, &token, &username, form.password).await {
        Ok((account, enterprise)) => {
            let session = sign_in::open_session(app, &account).await.map_err(|e| PageError::app(ctx.lang, e))?;
            let mut response = Redirect::to(&format!("/workspace/enterprises/{}", enterprise.username)).into_response();
            ctx.finish(response.headers_mut());
            response.headers_mut().append(header::SET_COOKIE, ctx.cookie(SESSION_COOKIE, session, true));
            Ok(response)
        }
        Err(e) => match refused(&state, &ctx, &token, LinkPurpose::Claim, e).await? {
            Ok(reason) => claim_page(&state, &ctx, &token, Some(reason), username).await,
            Err(page) => Ok(page),
        },
    }
}

pub async fn verify_form(
    State(state): State<WebState>,
    ctx: Ctx,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    match claims::link_state(&state.shared.app, &token, LinkPurpose::Verify).await {
        Ok(LinkState::Usable) => ctx.render(&VerifyPage { c: ctx.chrome(ctx.t.t("verify-title")), token }),
        Ok(_) => unusable_link(&state, &ctx, &token, LinkPurpose::Verify).await,
        Err(e) => Err(PageError::app(ctx.lang, e)),
    }
}

#[derive(Deserialize, Default)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub async fn verify(
    State(state): State<WebState>,
    ctx: Ctx,
    Path(token): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    match recovery::verify(&state.shared.app, &token).await {
        Ok(()) => message(&ctx, StatusCode::OK, "verify-title", ctx.t.t("verify-done")),
        Err(e) => match refused(&state, &ctx, &token, LinkPurpose::Verify, e).await? {
            Ok(reason) => message(&ctx, StatusCode::UNPROCESSABLE_ENTITY, "verify-title", reason),
            Err(page) => Ok(page),
        },
    }
}

/// A member asks for a confirmation link (from their workspace).
pub async fn send_verification(
    State(state): State<WebState>,
    ctx: Ctx,
    Form(form): Form<CsrfForm>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    let Some(account) = ctx.account.as_ref() else { return Err(PageError::login(ctx.lang, "/workspace")) };
    match recovery::send_verification(&state.shared.app, &Acting::member(account)).await {
        Ok(email) => message(&ctx, StatusCode::OK, "verify-title", ctx.t.t1("verify-sent", "email", &email)),
        Err(e @ (AppError::Conflict(_) | AppError::Invalid { .. })) => {
            message(&ctx, StatusCode::CONFLICT, "verify-title", e.to_string())
        }
        Err(e) => Err(PageError::app(ctx.lang, e)),
    }
}

pub async fn forgot_form(ctx: Ctx) -> Result<Response, PageError> {
    ctx.render(&PasswordPage { c: ctx.chrome(ctx.t.t("forgot-title")), token: None, notice: None, error: None })
}

#[derive(Deserialize, Default)]
pub struct ForgotForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
}

/// Always the same answer, whether or not the address is an account's; the
/// failed-login limit of the client address counts each request, so that
/// nobody sends a flood of messages from here.
pub async fn forgot(
    State(state): State<WebState>,
    ctx: Ctx,
    ClientAddress(address): ClientAddress,
    Form(form): Form<ForgotForm>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    let limits = &state.shared.limits;
    let keys = [LoginKey::address(address), LoginKey::unknown_name(&form.email)];
    if keys.iter().any(|key| limits.login_blocked(key)) {
        return message(&ctx, StatusCode::TOO_MANY_REQUESTS, "forgot-title", ctx.t.t("login-throttled"));
    }
    limits.login_failed(keys);
    match recovery::request_reset(&state.shared.app, &form.email).await {
        Ok(()) => {}
        Err(e @ (AppError::Invalid { .. } | AppError::Conflict(_))) => {
            let page = PasswordPage {
                c: ctx.chrome(ctx.t.t("forgot-title")),
                token: None,
                notice: None,
                error: Some(e.to_string()),
            };
            let mut response = ctx.render(&page)?;
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            return Ok(response);
        }
        Err(e) => return Err(PageError::app(ctx.lang, e)),
    }
    message(&ctx, StatusCode::OK, "forgot-title", ctx.t.t("forgot-sent"))
}

pub async fn reset_form(
    State(state): State<WebState>,
    ctx: Ctx,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    match claims::link_state(&state.shared.app, &token, LinkPurpose::Reset).await {
        Ok(LinkState::Usable) => ctx.render(&PasswordPage {
            c: ctx.chrome(ctx.t.t("reset-title")),
            token: Some(token),
            notice: None,
            error: None,
        }),
        Ok(_) => unusable_link(&state, &ctx, &token, LinkPurpose::Reset).await,
        Err(e) => Err(PageError::app(ctx.lang, e)),
    }
}

#[derive(Deserialize, Default)]
pub struct ResetForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    password: String,
}

pub async fn reset(
    State(state): State<WebState>,
    ctx: Ctx,
    Path(token): Path<String>,
    Form(form): Form<ResetForm>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    match recovery::reset(&state.shared.app, &token, form.password).await {
        Ok(()) => message(&ctx, StatusCode::OK, "reset-title", ctx.t.t("reset-done")),
        Err(e) => match refused(&state, &ctx, &token, LinkPurpose::Reset, e).await? {
            Ok(reason) => {
                let page = PasswordPage {
                    c: ctx.chrome(ctx.t.t("reset-title")),
                    token: Some(token),
                    notice: None,
                    error: Some(reason),
                };
                let mut response = ctx.render(&page)?;
                *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
                Ok(response)
            }
            Err(page) => Ok(page),
        },
    }
}
