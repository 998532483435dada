//! Sign-in state: the OAuth client apps, their authorization codes, the
//! access tokens they and the web's sessions hold, and revoking them.
//!
//! A client proves itself by its secret, except when it redeems a code it
//! asked for with PKCE (S256): the verifier is then its proof. A code is
//! taken (deleted) before it is checked, so a failed redemption uses it up.
//! Errors of the OAuth protocol are `AppError::refused` (or `scope` for an
//! unknown scope); an unknown client or a wrong secret is `Unauthenticated`.
//! Who the member is (the password check and its throttling) is the front
//! end's, which hands the [`Account`] it opened.

use base64::Engine;
use maillage_db::{Account, AuthorizationCode, NewOAuthApp, OAuthApp, UtcTime};
use sha2::{Digest, Sha256};

use crate::secrets::{has_scope, hash_secret, new_secret, valid_scopes};
use crate::{App, AppError};

/// Where a client that cannot receive a redirect shows the code instead.
pub const OOB: &str = "urn:ietf:wg:oauth:2.0:oob";
/// The scopes of a web session's token.
pub const SESSION_SCOPES: &str = "read write follow";
const CODE_LIFETIME_MINUTES: i64 = 10;

/// A client app that asks to be registered.
pub struct NewClient {
    pub name: String,
    /// Space-separated; none is [`OOB`].
    pub redirect_uris: Option<String>,
    /// Space-separated (or `+`); none is `read`.
    pub scopes: Option<String>,
    pub website: Option<String>,
}

/// A registered client and its credentials, shown once.
pub struct RegisteredClient {
    pub client: OAuthApp,
    pub client_id: String,
    pub client_secret: String,
}

/// Shows which client, never its secret.
impl std::fmt::Debug for RegisteredClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegisteredClient").field("name", &self.client.name).finish_non_exhaustive()
    }
}

/// Anyone registers a client app; its redirect URIs must be URLs a
/// browser may be sent to after a login, its scopes ones we know.
pub async fn register_client(app: &App, new: NewClient) -> Result<RegisteredClient, AppError> {
    let redirect_uris = new.redirect_uris.unwrap_or_else(|| OOB.to_string());
    for uri in redirect_uris.split_whitespace() {
        check_redirect_uri(uri)?;
    }
    let scopes = valid_scopes(&new.scopes.unwrap_or_default())?;
    let website = new.website.filter(|w| !w.is_empty());
    let client_id = new_secret()?;
    let client_secret = new_secret()?;
    let client = app
        .db()
        .create_oauth_app(&NewOAuthApp {
            client_id: &client_id,
            client_secret_hash: &hash_secret(&client_secret),
            name: new.name.trim(),
            redirect_uris: &redirect_uris,
            scopes: &scopes,
            website: website.as_deref(),
        })
        .await?;
    Ok(RegisteredClient { client, client_id, client_secret })
}

fn check_redirect_uri(uri: &str) -> Result<(), AppError> {
    if uri == OOB {
        return Ok(());
    }
    let Ok(parsed) = url::Url::parse(uri) else {
        return Err(AppError::invalid("redirect_uris", format!("{uri:?} is not a URL")));
    };
    // After a login the browser is sent there: never to script or inline content.
    if matches!(parsed.scheme(), "javascript" | "data" | "vbscript" | "file") || parsed.fragment().is_some() {
        return Err(AppError::invalid(
            "redirect_uris",
            format!("{uri:?} cannot be a redirect target (no javascript:, data:, vbscript:, file: or #fragment)"),
        ));
    }
    Ok(())
}

/// A client app, as it named itself: by its id alone, or proved by its secret.
#[derive(Debug, Clone)]
pub struct Client {
    app: OAuthApp,
    proved: bool,
}

impl Client {
    pub fn name(&self) -> &str {
        &self.app.name
    }

    fn proved_by(mut self, secret: Option<&str>) -> Result<Self, AppError> {
        if secret.map(hash_secret).as_deref() != Some(self.app.client_secret_hash.as_str()) {
            return Err(unknown_client());
        }
        self.proved = true;
        Ok(self)
    }

    fn require_proof(&self) -> Result<(), AppError> {
        if self.proved { Ok(()) } else { Err(unknown_client()) }
    }
}

fn unknown_client() -> AppError {
    AppError::Unauthenticated("Client authentication failed due to unknown client".into())
}

/// The client app `client_id` names, not proved (enough to show the
/// authorization form, or to redeem a code asked for with PKCE).
pub async fn client(app: &App, client_id: Option<&str>) -> Result<Client, AppError> {
    let client_id = client_id.ok_or_else(unknown_client)?;
    let found = app.db().oauth_app(client_id).await?.ok_or_else(unknown_client)?;
    Ok(Client { app: found, proved: false })
}

/// The client app `client_id` names, proved by its secret.
pub async fn authenticated_client(
    app: &App,
    client_id: Option<&str>,
    secret: Option<&str>,
) -> Result<Client, AppError> {
    client(app, client_id).await?.proved_by(secret)
}

/// Scopes a client may be granted: checked, and within what it registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantedScopes(String);

impl GrantedScopes {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The scopes `client` asks for (`asked`, or what it registered when none).
pub fn scopes_for(client: &Client, asked: Option<&str>) -> Result<GrantedScopes, AppError> {
    let registered = &client.app.scopes;
    let asked = match asked.filter(|s| !s.trim().is_empty()) {
        Some(asked) => valid_scopes(asked)?,
        None => registered.clone(),
    };
    for scope in asked.split_whitespace() {
        if !has_scope(registered, scope) {
            return Err(AppError::refused(format!("the app was not registered for the scope {scope}")));
        }
    }
    Ok(GrantedScopes(asked))
}

/// An access token just issued, and what it may do.
pub struct IssuedToken {
    pub token: String,
    pub scopes: String,
}

/// Shows the scopes, never the token.
impl std::fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedToken").field("scopes", &self.scopes).finish_non_exhaustive()
    }
}

async fn issue(app: &App, client: &Client, user_id: Option<i64>, scopes: &str) -> Result<IssuedToken, AppError> {
    let token = new_secret()?;
    app.db().create_token(&hash_secret(&token), Some(client.app.id), user_id, scopes).await?;
    Ok(IssuedToken { token, scopes: scopes.to_string() })
}

/// A proved client gets a token for the member whose password the front
/// end checked (`Some`), or for itself (client credentials, `None`).
pub async fn issue_token(
    app: &App,
    client: &Client,
    member: Option<&Account>,
    scopes: &GrantedScopes,
) -> Result<IssuedToken, AppError> {
    client.require_proof()?;
    issue(app, client, member.map(|m| m.user_id), scopes.as_str()).await
}

/// What a client sends to be sent back to, with a code, after the login.
pub struct AuthorizationRequest<'a> {
    pub redirect_uri: Option<&'a str>,
    pub response_type: Option<&'a str>,
    pub scope: Option<&'a str>,
    pub code_challenge: Option<&'a str>,
    pub code_challenge_method: Option<&'a str>,
}

/// An authorization request that may be granted.
#[derive(Debug, Clone)]
pub struct Authorization {
    /// Where the browser goes with the code ([`OOB`]: the code is shown).
    pub redirect_uri: String,
    scopes: GrantedScopes,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
}

/// Checks an authorization request of `client`: a redirect it registered,
/// `response_type=code`, PKCE in S256 only, scopes it registered.
pub fn authorization(client: &Client, request: &AuthorizationRequest) -> Result<Authorization, AppError> {
    let registered = &client.app.redirect_uris;
    let redirect = request.redirect_uri.unwrap_or_else(|| registered.split_whitespace().next().unwrap_or(OOB));
    if !registered.split_whitespace().any(|uri| uri == redirect) {
        return Err(AppError::refused("redirect_uri is not one the app registered"));
    }
    if request.response_type.is_some_and(|t| t != "code") {
        return Err(AppError::refused("only response_type=code is supported"));
    }
    if request.code_challenge.is_some() && request.code_challenge_method.is_some_and(|m| m != "S256") {
        return Err(AppError::refused("code_challenge_method must be S256"));
    }
    let scopes = scopes_for(client, request.scope)?;
    Ok(Authorization {
        redirect_uri: redirect.to_string(),
        scopes,
        code_challenge: request.code_challenge.map(str::to_string),
        code_challenge_method: request.code_challenge_method.map(str::to_string),
    })
}

/// The member whose password the front end checked grants `authorization`
/// to `client`: a code, usable once within ten minutes.
pub async fn issue_code(
    app: &App,
    client: &Client,
    member: &Account,
    authorization: Authorization,
) -> Result<String, AppError> {
    let code = new_secret()?;
    app.db()
        .create_authorization_code(&AuthorizationCode {
            code_hash: hash_secret(&code),
            app_id: client.app.id,
            user_id: member.user_id,
            redirect_uri: authorization.redirect_uri,
            scopes: authorization.scopes.0,
            code_challenge: authorization.code_challenge,
            code_challenge_method: authorization.code_challenge_method,
            expires_at: UtcTime::from(chrono::Utc::now() + chrono::Duration::minutes(CODE_LIFETIME_MINUTES)),
        })
        .await?;
    Ok(code)
}

/// What a client sends to exchange a code for a token.
pub struct Redemption<'a> {
    /// Needed when the code was asked for without PKCE.
    pub client_secret: Option<&'a str>,
    pub code: &'a str,
    /// When given, the one the code was issued for.
    pub redirect_uri: Option<&'a str>,
    pub code_verifier: Option<&'a str>,
}

/// A client exchanges a code for a token of the member who granted it.
pub async fn redeem_code(app: &App, client: &Client, redemption: &Redemption<'_>) -> Result<IssuedToken, AppError> {
    let invalid = || AppError::refused("The authorization code is invalid, expired or used");
    let stored = app.db().take_authorization_code(&hash_secret(redemption.code)).await?.ok_or_else(invalid)?;
    if stored.app_id != client.app.id || stored.expires_at < UtcTime::now() {
        return Err(invalid());
    }
    if redemption.redirect_uri.is_some_and(|uri| uri != stored.redirect_uri) {
        return Err(invalid());
    }
    match (&stored.code_challenge, redemption.code_verifier) {
        // PKCE: S256 only (plain adds nothing over no PKCE).
        (Some(challenge), Some(verifier)) => {
            let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
            if &computed != challenge {
                return Err(AppError::refused("The code verifier does not match"));
            }
        }
        (Some(_), None) => return Err(AppError::refused("code_verifier is required")),
        // Without PKCE the client must prove who it is.
        (None, _) if client.proved => {}
        (None, _) => {
            client.clone().proved_by(redemption.client_secret)?;
        }
    }
    issue(app, client, Some(stored.user_id), &stored.scopes).await
}

/// A proved client revokes one of its own tokens; another app's token, or
/// an unknown one, is left as it is (and the answer is the same).
pub async fn revoke_token(app: &App, client: &Client, token: &str) -> Result<(), AppError> {
    client.require_proof()?;
    app.db().revoke_token(&hash_secret(token), Some(client.app.id)).await?;
    Ok(())
}

/// A member whose password the front end checked opens a web session: a
/// token with [`SESSION_SCOPES`], once an admin approved the account.
pub async fn open_session(app: &App, member: &Account) -> Result<String, AppError> {
    if !member.approved {
        return Err(AppError::Forbidden("this account waits for an admin's approval".into()));
    }
    let token = new_secret()?;
    app.db().create_token(&hash_secret(&token), None, Some(member.user_id), SESSION_SCOPES).await?;
    Ok(token)
}

/// Ends the web session that holds `token`.
pub async fn close_session(app: &App, token: &str) -> Result<(), AppError> {
    app.db().revoke_token(&hash_secret(token), None).await?;
    Ok(())
}
