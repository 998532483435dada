//! Logging in and out of the web pages.
//!
//! A web session is an access token of the client API (scopes `read write
//! follow`, stored hashed, revocable, revoked by a password reset) kept in
//! an HttpOnly cookie. Forms carry the double-submit CSRF token of
//! [`crate::views::Ctx`]; logins go through [`maillage_http::login`], like
//! the OAuth forms: the same limits per account and per client address, and
//! the same answer for an unknown name as for a wrong password. After
//! logging in, `next` is followed only when it is a path of this site.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::Form;
use maillage_app::{AppError, sign_in};
use maillage_http::client_address::ClientAddress;
use maillage_http::login::{LoginError, check_password};
use serde::Deserialize;

use crate::WebState;
use crate::error::PageError;
use crate::views::{Chrome, Ctx, SESSION_COOKIE, same_origin_path};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    c: Chrome,
    error: Option<String>,
    next: String,
    username: String,
}

#[derive(Deserialize, Default)]
pub struct LoginQuery {
    next: Option<String>,
}

/// Where to go after logging in: a path of this site, else the workspace.
fn local_path(next: Option<&str>) -> String {
    next.and_then(same_origin_path).unwrap_or_else(|| "/workspace".to_string())
}

pub async fn login_form(
    ctx: Ctx,
    axum::extract::Query(query): axum::extract::Query<LoginQuery>,
) -> Result<Response, PageError> {
    if ctx.account.is_some() {
        return Ok(Redirect::to("/workspace").into_response());
    }
    let page = LoginPage {
        c: ctx.chrome(ctx.t.t("login-title")),
        error: None,
        next: local_path(query.next.as_deref()),
        username: String::new(),
    };
    ctx.render(&page)
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

pub async fn login(
    State(state): State<WebState>,
    ctx: Ctx,
    ClientAddress(address): ClientAddress,
    Form(form): Form<LoginForm>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    let next = local_path(form.next.as_deref());
    let refused = |status: StatusCode, key: &str| -> Result<Response, PageError> {
        let page = LoginPage {
            c: ctx.chrome(ctx.t.t("login-title")),
            error: Some(ctx.t.t(key)),
            next: next.clone(),
            username: form.username.clone(),
        };
        let mut response = ctx.render(&page)?;
        *response.status_mut() = status;
        Ok(response)
    };
    let account = match check_password(&state.shared, &form.username, &form.password, address).await {
        Ok(account) => account,
        Err(LoginError::Throttled) => return refused(StatusCode::TOO_MANY_REQUESTS, "login-throttled"),
        Err(LoginError::Refused) => return refused(StatusCode::UNAUTHORIZED, "login-failed"),
        Err(LoginError::Failed(e)) => return Err(PageError::internal(ctx.lang, e)),
    };
    let token = match sign_in::open_session(&state.shared.app, &account).await {
        Ok(token) => token,
        Err(AppError::Forbidden(_)) => return refused(StatusCode::FORBIDDEN, "login-pending"),
        Err(e) => return Err(PageError::app(ctx.lang, e)),
    };
    let mut response = Redirect::to(&next).into_response();
    ctx.finish(response.headers_mut());
    response.headers_mut().append(header::SET_COOKIE, ctx.cookie(SESSION_COOKIE, token, true));
    Ok(response)
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// Revokes the session's token and forgets the cookie.
pub async fn logout(
    State(state): State<WebState>,
    ctx: Ctx,
    Form(form): Form<CsrfForm>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    if let Some(token) = &ctx.session_token {
        sign_in::close_session(&state.shared.app, token).await.map_err(|e| PageError::app(ctx.lang, e))?;
    }
    let mut response = Redirect::to("/").into_response();
    ctx.finish(response.headers_mut());
    let expired = format!("{SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax");
    if let Ok(value) = HeaderValue::from_str(&expired) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    Ok(response)
}
