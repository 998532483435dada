//! Logging in with a password, for every login form: the OAuth password
//! grant, the OAuth authorization form and the web's login page.
//!
//! A login reveals nothing about which accounts exist: an unknown name costs
//! the same Argon2 work (against a dummy hash), gets the same answer, and is
//! throttled the same way (by the name, folded as accounts are looked up)
//! as a wrong password. Failures count per account, whatever spelling of
//! its name or e-mail was typed, and per client address; past
//! `limits.login_failures_per_5_minutes` of either, logins are refused
//! until the window ends, even with the right password.

use std::net::IpAddr;

use maillage_db::Account;

use crate::HttpError;
use crate::limits::LoginKey;

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error("Too many failed logins; try again in a few minutes")]
    Throttled,
    /// The same for an unknown account and for a wrong password.
    #[error("Invalid username or password")]
    Refused,
    #[error(transparent)]
    Failed(#[from] HttpError),
}

impl From<LoginError> for HttpError {
    fn from(error: LoginError) -> Self {
        match error {
            LoginError::Throttled => HttpError::TooManyRequests(error.to_string()),
            LoginError::Refused => HttpError::BadRequest(error.to_string()),
            LoginError::Failed(error) => error,
        }
    }
}

/// The account that `username` (a username, `@username` or an e-mail) and
/// `password` open, for a client at `address`.
pub async fn check_password(
    state: &crate::AppState,
    username: &str,
    password: &str,
    address: IpAddr,
) -> Result<Account, LoginError> {
    let limits = &state.limits;
    let from = LoginKey::address(address);
    if limits.login_blocked(&from) {
        return Err(LoginError::Throttled);
    }
    let account = state.db().account_for_login(username).await.map_err(HttpError::from)?;
    let key = account.as_ref().map_or_else(|| LoginKey::unknown_name(username), |a| LoginKey::Account(a.user_id));
    if limits.login_blocked(&key) {
        return Err(LoginError::Throttled);
    }
    // Argon2 is slow on purpose: keep it off the async workers.
    let stored = account.as_ref().map(|a| a.password_hash.clone());
    let password = password.to_string();
    let opens =
        tokio::task::spawn_blocking(move || maillage_domain::password::verify_login(&password, stored.as_deref()))
            .await
            .map_err(|e| HttpError::Internal(e.to_string()))?;
    match account {
        Some(account) if opens => Ok(account),
        _ => {
            limits.login_failed([key, from]);
            Err(LoginError::Refused)
        }
    }
}
