//! OAuth 2 for client apps, as Mastodon offers it: app registration, the
//! authorization-code flow (with PKCE) through a plain HTML login form, the
//! password grant for scripts, client credentials, and revocation.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use maillage_app::AppError;
use maillage_app::sign_in::{
    self, Authorization, AuthorizationRequest, Client, IssuedToken, NewClient, OOB, Redemption,
};
use serde_json::{Value, json};

use super::params::Params;
use crate::client_address::ClientAddress;
use crate::login::{LoginError, check_password};
use crate::{AppState, HttpError};

/// OAuth answers a request it cannot use with 400 (RFC 6749, section 5.2),
/// an unknown scope included; a bad redirect URI at registration stays 422.
fn refusal(error: AppError) -> HttpError {
    match error {
        e @ AppError::Invalid { field: None | Some("scope"), .. } => HttpError::BadRequest(e.to_string()),
        other => other.into(),
    }
}

/// `POST /api/v1/apps`
pub async fn create_app(State(state): State<AppState>, params: Params) -> Result<Json<Value>, HttpError> {
    let new = NewClient {
        name: params.required("client_name")?,
        redirect_uris: params.text("redirect_uris"),
        scopes: params.text("scopes"),
        website: params.text("website"),
    };
    let registered = sign_in::register_client(&state.app, new).await.map_err(refusal)?;
    let app = &registered.client;
    let vapid_key = maillage_app::push::vapid_public_key(&state.app).await?;
    Ok(Json(json!({
        "id": app.id.to_string(),
        "name": app.name,
        "website": app.website,
        "scopes": app.scopes.split_whitespace().collect::<Vec<_>>(),
        "redirect_uri": app.redirect_uris,
        "redirect_uris": app.redirect_uris.split_whitespace().collect::<Vec<_>>(),
        "client_id": registered.client_id,
        "client_secret": registered.client_secret,
        "vapid_key": vapid_key,
    })))
}

async fn authenticated_client(state: &AppState, params: &Params) -> Result<Client, HttpError> {
    let (id, secret) = (params.text("client_id"), params.text("client_secret"));
    Ok(sign_in::authenticated_client(&state.app, id.as_deref(), secret.as_deref()).await?)
}

fn token_answer(issued: IssuedToken) -> Json<Value> {
    Json(json!({
        "access_token": issued.token,
        "token_type": "Bearer",
        "scope": issued.scopes,
        "created_at": chrono::Utc::now().timestamp(),
    }))
}

/// `POST /oauth/token`
pub async fn token(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    params: Params,
) -> Result<Json<Value>, HttpError> {
    let grant = params.required("grant_type")?;
    let scope = params.text("scope");
    let issued = match grant.as_str() {
        "password" => {
            let client = authenticated_client(&state, &params).await?;
            let scopes = sign_in::scopes_for(&client, scope.as_deref()).map_err(refusal)?;
            let account =
                check_password(&state, &params.required("username")?, &params.required("password")?, address).await?;
            sign_in::issue_token(&state.app, &client, Some(&account), &scopes).await
        }
        "client_credentials" => {
            let client = authenticated_client(&state, &params).await?;
            let scopes = sign_in::scopes_for(&client, scope.as_deref()).map_err(refusal)?;
            sign_in::issue_token(&state.app, &client, None, &scopes).await
        }
        "authorization_code" => {
            let client = sign_in::client(&state.app, params.text("client_id").as_deref()).await?;
            let code = params.required("code")?;
            let client_secret = params.text("client_secret");
            let (redirect_uri, code_verifier) = (params.text("redirect_uri"), params.text("code_verifier"));
            let redemption = Redemption {
                client_secret: client_secret.as_deref(),
                code: &code,
                redirect_uri: redirect_uri.as_deref(),
                code_verifier: code_verifier.as_deref(),
            };
            sign_in::redeem_code(&state.app, &client, &redemption).await
        }
        other => return Err(HttpError::BadRequest(format!("unsupported grant_type {other:?}"))),
    };
    Ok(token_answer(issued.map_err(refusal)?))
}

/// `POST /oauth/revoke`
pub async fn revoke(State(state): State<AppState>, params: Params) -> Result<Json<Value>, HttpError> {
    let client = authenticated_client(&state, &params).await?;
    let token = params.required("token")?;
    sign_in::revoke_token(&state.app, &client, &token).await?;
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

/// The authorization request in `params`, checked for `client`.
fn authorization(client: &Client, params: &Params) -> Result<Authorization, HttpError> {
    let [redirect_uri, response_type, scope, code_challenge, code_challenge_method] =
        ["redirect_uri", "response_type", "scope", "code_challenge", "code_challenge_method"].map(|k| params.text(k));
    let request = AuthorizationRequest {
        redirect_uri: redirect_uri.as_deref(),
        response_type: response_type.as_deref(),
        scope: scope.as_deref(),
        code_challenge: code_challenge.as_deref(),
        code_challenge_method: code_challenge_method.as_deref(),
    };
    sign_in::authorization(client, &request).map_err(refusal)
}

/// `GET /oauth/authorize`: the login and consent form.
pub async fn authorize_form(State(state): State<AppState>, params: Params) -> Result<Response, HttpError> {
    let client = sign_in::client(&state.app, params.text("client_id").as_deref()).await?;
    authorization(&client, &params)?;
    Ok(form_page(client.name(), &params, None))
}

/// `POST /oauth/authorize`: checks the password, then redirects with a code.
pub async fn authorize(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    params: Params,
) -> Result<Response, HttpError> {
    let client = sign_in::client(&state.app, params.text("client_id").as_deref()).await?;
    let authorization = authorization(&client, &params)?;
    let username = params.text("username").unwrap_or_default();
    let password = params.text("password").unwrap_or_default();
    let account = match check_password(&state, &username, &password, address).await {
        Ok(account) => account,
        Err(refused @ LoginError::Refused) => {
            let mut page = form_page(client.name(), &params, Some(&refused.to_string()));
            *page.status_mut() = StatusCode::UNAUTHORIZED;
            return Ok(page);
        }
        Err(other) => return Err(other.into()),
    };
    let redirect = authorization.redirect_uri.clone();
    let code = sign_in::issue_code(&state.app, &client, &account, authorization).await?;
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
