//! Bearer tokens and scopes.
//!
//! Tokens are 32 random bytes (base64url); only their SHA-256 is stored.
//! Scopes follow Mastodon: `read` covers every `read:*`, `write` every
//! `write:*`, and the legacy `follow` covers `read:follows`/`write:follows`.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use maillage_db::{Account, Reader, TokenGrant};

use crate::{AppState, HttpError};

pub use maillage_app::secrets::{TOP_SCOPES, has_scope};

/// A new random secret (token, client secret, authorization code).
pub fn new_secret() -> Result<String, HttpError> {
    Ok(maillage_app::secrets::new_secret()?)
}

/// What is stored in place of a secret.
pub fn hash_secret(secret: &str) -> String {
    maillage_app::secrets::hash_secret(secret)
}

/// A request with a valid bearer token (of a user or of an application).
pub struct Token(pub TokenGrant);

/// A request with a valid bearer token of a logged-in member.
pub struct User {
    pub grant: TokenGrant,
    pub account: Account,
}

impl User {
    /// Who this member reads as: themself and the enterprises they edit,
    /// when the token may read statuses; else nobody in particular.
    pub async fn reader(&self, state: &AppState) -> Result<Reader, HttpError> {
        if !has_scope(&self.grant.scopes, "read:statuses") {
            return Ok(Reader::anonymous());
        }
        Ok(state.db().reader_for_member(&self.account.actor).await?)
    }

    /// The member's own actor: who sees their likes, reshares and bookmarks.
    pub fn member(&self) -> &maillage_db::LocalActor {
        &self.account.actor
    }

    /// This member, as the use cases that check rights see them.
    pub fn acting(&self) -> maillage_app::Acting {
        maillage_app::Acting::member(&self.account)
    }

    pub fn require(&self, scope: &str) -> Result<(), HttpError> {
        if has_scope(&self.grant.scopes, scope) {
            Ok(())
        } else {
            Err(HttpError::Forbidden(format!("this action needs the scope {scope}")))
        }
    }
}

pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|t| !t.is_empty())
}

/// A request's bearer token, looked up: `None` inside when no token has
/// that secret (or it was revoked). The client API's rate limiter looks it
/// up first, to know whom to count, and leaves it in the request's
/// extensions for [`Token`] and [`User`].
#[derive(Clone)]
pub(crate) struct CheckedBearer(Option<TokenGrant>);

impl CheckedBearer {
    /// `None` without a bearer token.
    pub(crate) async fn check(state: &AppState, headers: &HeaderMap) -> Result<Option<Self>, HttpError> {
        let Some(token) = bearer(headers) else { return Ok(None) };
        Ok(Some(CheckedBearer(state.db().token_grant(&hash_secret(token)).await?)))
    }

    /// The member a valid token belongs to (`None` for an application's own token).
    pub(crate) fn account_id(&self) -> Option<i64> {
        self.0.as_ref()?.account.as_ref().map(|account| account.user_id)
    }
}

impl FromRequestParts<AppState> for Token {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let checked = match parts.extensions.get::<CheckedBearer>() {
            Some(checked) => Some(checked.clone()),
            None => CheckedBearer::check(state, &parts.headers).await?,
        };
        match checked {
            Some(CheckedBearer(Some(grant))) => Ok(Token(grant)),
            _ => Err(HttpError::Unauthorized("The access token is invalid".into())),
        }
    }
}

impl FromRequestParts<AppState> for User {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Token(grant) = Token::from_request_parts(parts, state).await?;
        let account = grant
            .account
            .clone()
            .ok_or_else(|| HttpError::Unauthorized("This method requires an authenticated user".into()))?;
        if !account.approved {
            return Err(HttpError::Forbidden("Your account is awaiting approval by the hub's staff".into()));
        }
        Ok(User { grant, account })
    }
}

/// The cookie of a web session: an access token of a member (scopes `read
/// write follow`) that the web's login opened (`maillage-web`'s `session`).
pub const SESSION_COOKIE: &str = "maillage_session";

/// The session token a request's cookies carry, if any.
pub fn session_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.trim_matches('"').to_string())
        .filter(|token| !token.is_empty() && token.len() < 200)
}

impl User {
    /// The approved member of a web session's token, if it is one.
    pub async fn of_session(state: &AppState, token: &str) -> Result<Option<User>, HttpError> {
        let Some(grant) = state.db().token_grant(&hash_secret(token)).await? else { return Ok(None) };
        Ok(grant.account.clone().filter(|account| account.approved).map(|account| User { grant, account }))
    }
}

/// The member behind a token, when the request carries one.
pub struct MaybeUser(pub Option<User>);

impl MaybeUser {
    /// The member's own actor, when signed in.
    pub fn member(&self) -> Option<&maillage_db::LocalActor> {
        self.0.as_ref().map(User::member)
    }

    /// The reader of [`User::reader`], or nobody in particular.
    pub async fn reader(&self, state: &AppState) -> Result<Reader, HttpError> {
        match &self.0 {
            Some(user) => user.reader(state).await,
            None => Ok(Reader::anonymous()),
        }
    }
}

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if bearer(&parts.headers).is_none() {
            return Ok(MaybeUser(None));
        }
        User::from_request_parts(parts, state).await.map(|u| MaybeUser(Some(u)))
    }
}

/// The member behind a bearer token or, without one, behind the web
/// session's cookie: who reads the files of `/media` that pages show.
/// The cookie is `SameSite=Lax`, so another site's page cannot make a
/// browser fetch a member's restricted files with it.
pub struct BearerOrSession(pub MaybeUser);

impl FromRequestParts<AppState> for BearerOrSession {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if bearer(&parts.headers).is_some() {
            return MaybeUser::from_request_parts(parts, state).await.map(BearerOrSession);
        }
        let user = match session_token(&parts.headers) {
            Some(token) => User::of_session(state, &token).await?,
            None => None,
        };
        Ok(BearerOrSession(MaybeUser(user)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_follow_mastodon() {
        use maillage_app::secrets::valid_scopes;
        assert!(has_scope("read write", "write:statuses"));
        assert!(has_scope("write:statuses", "write:statuses"));
        assert!(!has_scope("read", "write:statuses"));
        assert!(has_scope("follow", "write:follows"));
        assert!(!has_scope("write", "admin:write:accounts"));
        assert!(has_scope("admin:write", "admin:write:accounts"));
        assert_eq!(valid_scopes("read write follow").unwrap(), "read write follow");
        assert_eq!(valid_scopes("read+write:statuses").unwrap(), "read write:statuses");
        assert_eq!(valid_scopes("").unwrap(), "read");
        assert!(valid_scopes("read delete-everything").is_err());
    }

    #[test]
    fn the_session_token_is_read_from_its_cookie_only() {
        let headers = |cookie: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::COOKIE, cookie.parse().unwrap());
            headers
        };
        assert_eq!(
            session_token(&headers("lang=fr; maillage_session=abc-123; maillage_csrf=x")).as_deref(),
            Some("abc-123")
        );
        assert_eq!(session_token(&headers("maillage_session_old=abc; other=maillage_session")), None);
        assert_eq!(session_token(&headers("maillage_session=")), None);
        assert_eq!(session_token(&HeaderMap::new()), None);
    }

    #[test]
    fn secrets_are_random_and_hashed() {
        let a = new_secret().unwrap();
        let b = new_secret().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(hash_secret(&a).len(), 64);
        assert_ne!(hash_secret(&a), a);
    }
}
