//! OAuth 2 for client apps, as Mastodon offers it: app registration, the
//! authorization-code flow (with PKCE) through a plain HTML login form, the
//! password grant for scripts, client credentials, and revocation.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use base64::Engine;
use maillage_db::{AuthorizationCode, NewOAuthApp, OAuthApp, UtcTime};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::auth::{hash_secret, new_secret, valid_scopes};
use super::params::Params;
use crate::client_address::ClientAddress;
use crate::login::{LoginError, check_password};
use crate::{AppState, HttpError};

/// Where a client that cannot receive a redirect shows the code instead.
pub const OOB: &str = "urn:ietf:wg:oauth:2.0:oob";
const CODE_LIFETIME_MINUTES: i64 = 10;

/// `POST /api/v1/apps`
pub async fn create_app(State(state): State<AppState>, params: Params) -> Result<Json<Value>, HttpError> {
    let name = params.required("client_name")?;
    let redirect_uris = params.text("redirect_uris").unwrap_or_else(|| OOB.to_string());
    for uri in redirect_uris.split_whitespace() {
        if uri != OOB && url::Url::parse(uri).is_err() {
            return Err(HttpError::Unprocessable(format!("redirect_uris: {uri:?} is not a URL")));
        }
        // After a login the browser is sent there: never to script or inline content.
        if let Ok(parsed) = url::Url::parse(uri)
            && (matches!(parsed.scheme(), "javascript" | "data" | "vbscript" | "file") || parsed.fragment().is_some())
        {
            return Err(HttpError::Unprocessable(format!(
                "redirect_uris: {uri:?} cannot be a redirect target (no javascript:, data:, vbscript:, file: or #fragment)"
            )));
        }
    }
    let scopes = valid_scopes(&params.text("scopes").unwrap_or_default())?;
    let website = params.text("website").filter(|w| !w.is_empty());
    let client_id = new_secret()?;
    let client_secret = new_secret()?;
    let app = state
        .db
        .create_oauth_app(&NewOAuthApp {
            client_id: &client_id,
            client_secret_hash: &hash_secret(&client_secret),
            name: name.trim(),
            redirect_uris: &redirect_uris,
            scopes: &scopes,
            website: website.as_deref(),
        })
        .await?;
    Ok(Json(json!({
        "id": app.id.to_string(),
        "name": app.name,
        "website": app.website,
        "scopes": app.scopes.split_whitespace().collect::<Vec<_>>(),
        "redirect_uri": app.redirect_uris,
        "redirect_uris": app.redirect_uris.split_whitespace().collect::<Vec<_>>(),
        "client_id": client_id,
        "client_secret": client_secret,
        "vapid_key": "",
    })))
}

async fn app_for(state: &AppState, params: &Params, with_secret: bool) -> Result<OAuthApp, HttpError> {
    let unknown = || HttpError::Unauthorized("Client authentication failed due to unknown client".into());
    let client_id = params.text("client_id").ok_or_else(unknown)?;
    let app = state.db.oauth_app(&client_id).await?.ok_or_else(unknown)?;
    if with_secret && params.text("client_secret").map(|s| hash_secret(&s)) != Some(app.client_secret_hash.clone()) {
        return Err(unknown());
    }
    Ok(app)
}

/// Scopes asked for, limited to what the app registered.
fn requested_scopes(app: &OAuthApp, asked: Option<String>) -> Result<String, HttpError> {
    let asked = match asked.filter(|s| !s.trim().is_empty()) {
        Some(asked) => valid_scopes(&asked)?,
        None => app.scopes.clone(),
    };
    for scope in asked.split_whitespace() {
        if !super::auth::has_scope(&app.scopes, scope) {
            return Err(HttpError::BadRequest(format!("the app was not registered for the scope {scope}")));
        }
    }
    Ok(asked)
}

async fn issue_token(
    state: &AppState,
    app: &OAuthApp,
    user_id: Option<i64>,
    scopes: &str,
) -> Result<Json<Value>, HttpError> {
    let token = new_secret()?;
    state.db.create_token(&hash_secret(&token), Some(app.id), user_id, scopes).await?;
    Ok(Json(json!({
        "access_token": token,
        "token_type": "Bearer",
        "scope": scopes,
        "created_at": chrono::Utc::now().timestamp(),
    })))
}

/// `POST /oauth/token`
pub async fn token(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    params: Params,
) -> Result<Json<Value>, HttpError> {
    let grant = params.required("grant_type")?;
    match grant.as_str() {
        "password" => {
            let app = app_for(&state, &params, true).await?;
            let scopes = requested_scopes(&app, params.text("scope"))?;
            let account =
                check_password(&state, &params.required("username")?, &params.required("password")?, address).await?;
            issue_token(&state, &app, Some(account.user_id), &scopes).await
        }
        "client_credentials" => {
            let app = app_for(&state, &params, true).await?;
            let scopes = requested_scopes(&app, params.text("scope"))?;
            issue_token(&state, &app, None, &scopes).await
        }
        "authorization_code" => {
            let app = app_for(&state, &params, false).await?;
            let code = params.required("code")?;
            let invalid = || HttpError::BadRequest("The authorization code is invalid, expired or used".into());
            let stored = state.db.take_authorization_code(&hash_secret(&code)).await?.ok_or_else(invalid)?;
            if stored.app_id != app.id || stored.expires_at < UtcTime::now() {
                return Err(invalid());
            }
            if params.text("redirect_uri").unwrap_or_else(|| stored.redirect_uri.clone()) != stored.redirect_uri {
                return Err(invalid());
            }
            match (&stored.code_challenge, params.text("code_verifier")) {
                // PKCE: S256 only (plain adds nothing over no PKCE).
                (Some(challenge), Some(verifier)) => {
                    let computed =
                        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
                    if &computed != challenge {
                        return Err(HttpError::BadRequest("The code verifier does not match".into()));
                    }
                }
                (Some(_), None) => return Err(HttpError::BadRequest("code_verifier is required".into())),
                (None, _) => {
                    // Without PKCE the client must prove who it is.
                    app_for(&state, &params, true).await?;
                }
            }
            issue_token(&state, &app, Some(stored.user_id), &stored.scopes).await
        }
        other => Err(HttpError::BadRequest(format!("unsupported grant_type {other:?}"))),
    }
}

/// `POST /oauth/revoke`
pub async fn revoke(State(state): State<AppState>, params: Params) -> Result<Json<Value>, HttpError> {
    let app = app_for(&state, &params, true).await?;
    let token = params.required("token")?;
    state.db.revoke_token(&hash_secret(&token), Some(app.id)).await?;
    Ok(Json(json!({})))
}

fn form_page(app_name: &str, params: &Params, error: Option<&str>) -> Response {
    let hidden: String =
        ["client_id", "redirect_uri", "scope", "state", "code_challenge", "code_challenge_method", "response_type"]
            .iter()
            .filter_map(|key| params.text(key).map(|v| (key, v)))
            .map(|(key, value)| {
                format!(
                    "<input type=\"hidden\" name=\"{key}\" value=\"{}\">",
                    html_escape::encode_double_quoted_attribute(&value)
                )
            })
            .collect();
    let scopes = html_escape::encode_text(&params.text("scope").unwrap_or_else(|| "read".into())).into_owned();
    let error = error
        .map(|e| format!("<p role=\"alert\"><strong>{}</strong></p>", html_escape::encode_text(e)))
        .unwrap_or_default();
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Autoriser {app}</title></head><body><main>\
         <h1>Autoriser « {app} »</h1>\
         <p>Cette application demande l'accès à votre compte ({scopes}).</p>{error}\
         <form method=\"post\" action=\"/oauth/authorize\">{hidden}\
         <p><label for=\"username\">Nom d'utilisateur ou courriel</label><br>\
         <input id=\"username\" name=\"username\" autocomplete=\"username\" required></p>\
         <p><label for=\"password\">Mot de passe</label><br>\
         <input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required></p>\
         <p><button type=\"submit\">Autoriser</button></p></form></main></body></html>\n",
        app = html_escape::encode_text(app_name),
    );
    let mut response = Html(html).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response.headers_mut().insert("x-frame-options", HeaderValue::from_static("DENY"));
    response
}

fn check_redirect(app: &OAuthApp, params: &Params) -> Result<String, HttpError> {
    let redirect = params
        .text("redirect_uri")
        .unwrap_or_else(|| app.redirect_uris.split_whitespace().next().unwrap_or(OOB).to_string());
    if !app.redirect_uris.split_whitespace().any(|uri| uri == redirect) {
        return Err(HttpError::BadRequest("redirect_uri is not one the app registered".into()));
    }
    if params.text("response_type").is_some_and(|t| t != "code") {
        return Err(HttpError::BadRequest("only response_type=code is supported".into()));
    }
    if params.text("code_challenge").is_some() && params.text("code_challenge_method").is_some_and(|m| m != "S256") {
        return Err(HttpError::BadRequest("code_challenge_method must be S256".into()));
    }
    Ok(redirect)
}

/// `GET /oauth/authorize`: the login and consent form.
pub async fn authorize_form(State(state): State<AppState>, params: Params) -> Result<Response, HttpError> {
    let app = app_for(&state, &params, false).await?;
    check_redirect(&app, &params)?;
    requested_scopes(&app, params.text("scope"))?;
    Ok(form_page(&app.name, &params, None))
}

/// `POST /oauth/authorize`: checks the password, then redirects with a code.
pub async fn authorize(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    params: Params,
) -> Result<Response, HttpError> {
    let app = app_for(&state, &params, false).await?;
    let redirect = check_redirect(&app, &params)?;
    let scopes = requested_scopes(&app, params.text("scope"))?;
    let username = params.text("username").unwrap_or_default();
    let password = params.text("password").unwrap_or_default();
    let account = match check_password(&state, &username, &password, address).await {
        Ok(account) => account,
        Err(refused @ LoginError::Refused) => {
            let mut page = form_page(&app.name, &params, Some(&refused.to_string()));
            *page.status_mut() = StatusCode::UNAUTHORIZED;
            return Ok(page);
        }
        Err(other) => return Err(other.into()),
    };
    let code = new_secret()?;
    state
        .db
        .create_authorization_code(&AuthorizationCode {
            code_hash: hash_secret(&code),
            app_id: app.id,
            user_id: account.user_id,
            redirect_uri: redirect.clone(),
            scopes,
            code_challenge: params.text("code_challenge"),
            code_challenge_method: params.text("code_challenge_method"),
            expires_at: UtcTime::from(chrono::Utc::now() + chrono::Duration::minutes(CODE_LIFETIME_MINUTES)),
        })
        .await?;
    if redirect == OOB {
        let html = format!(
            "<!DOCTYPE html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\"><title>Code</title></head>\
             <body><main><h1>Code d'autorisation</h1><p>Copiez ce code dans l'application :</p>\
             <p><code id=\"code\">{}</code></p></main></body></html>\n",
            html_escape::encode_text(&code)
        );
        return Ok(Html(html).into_response());
    }
    let mut target = url::Url::parse(&redirect).map_err(|_| HttpError::BadRequest("bad redirect_uri".into()))?;
    target.query_pairs_mut().append_pair("code", &code);
    if let Some(client_state) = params.text("state") {
        target.query_pairs_mut().append_pair("state", &client_state);
    }
    Ok(Redirect::to(target.as_str()).into_response())
}
