//! Accounts: created by staff, registered from an app, their passwords,
//! approval and role; invites and tokens handed out by staff.

use maillage_config::RegistrationMode;
use maillage_db::{Account, LocalActor, NewUser};

use crate::secrets::{hash_secret, new_secret, valid_scopes};
use crate::{Acting, App, AppError, Staff};

/// The scopes of the token a registration gets, as Mastodon grants them.
pub const REGISTRATION_SCOPES: &str = "read write follow";

/// An e-mail address as we store and compare it: trimmed, lower case.
pub fn normalize_email(email: &str) -> Result<String, AppError> {
    let email = email.trim().to_ascii_lowercase();
    if !email.contains('@') || email.contains(char::is_whitespace) {
        return Err(AppError::invalid("email", "not an email address"));
    }
    Ok(email)
}

/// Hashes a password (Argon2id, a random salt) off the async threads.
pub(crate) async fn hash_password(password: String) -> Result<String, AppError> {
    let mut salt = [0u8; 16];
    getrandom::getrandom(&mut salt).map_err(|e| AppError::Internal(format!("no randomness: {e}")))?;
    tokio::task::spawn_blocking(move || maillage_domain::password::hash_password(&password, &salt))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|e| AppError::invalid("password", e.to_string()))
}

pub(crate) async fn email_unused(app: &App, email: &Option<String>) -> Result<(), AppError> {
    if let Some(email) = email
        && app.db().account_for_login(email).await?.is_some()
    {
        return Err(AppError::Conflict(format!("the email {email} is already used")));
    }
    Ok(())
}

/// An account that staff open for someone.
pub struct NewAccount {
    pub username: String,
    pub email: Option<String>,
    pub password: String,
    pub admin: bool,
}

/// Staff open an account: approved at once (admins).
pub async fn create_user(app: &App, acting: &Acting, new: NewAccount) -> Result<LocalActor, AppError> {
    acting.require_admin()?;
    let email = new.email.as_deref().map(normalize_email).transpose()?;
    email_unused(app, &email).await?;
    let password_hash = hash_password(new.password).await?;
    let user =
        NewUser { password_hash, is_admin: new.admin, email, approved: true, invite_hash: None, claim_hash: None };
    Ok(crate::actors::create_member(app.db(), app.config(), &new.username, &user).await?)
}

/// What someone gives to register from an app.
pub struct Registration {
    pub username: String,
    pub email: String,
    pub password: String,
    pub agreement: bool,
    pub invite_code: Option<String>,
    /// The application that asks (its token is tied to it).
    pub app_id: Option<i64>,
}

/// A new account and its first access token.
pub struct Registered {
    pub account: Account,
    pub token: String,
}

/// Shows who registered, never the token.
impl std::fmt::Debug for Registered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registered").field("username", &self.account.actor.username).finish_non_exhaustive()
    }
}

/// Someone registers, as `registrations.mode` allows: never when
/// `closed`, with an unused invite when `invite`, and to wait for an
/// admin's approval when `approval`.
pub async fn register(app: &App, registration: Registration) -> Result<Registered, AppError> {
    let mode = app.config().registrations.mode;
    if mode == RegistrationMode::Closed {
        return Err(AppError::Forbidden("registrations are closed on this hub; ask its staff for an account".into()));
    }
    let invite_hash = match mode {
        RegistrationMode::Invite => {
            let code = registration
                .invite_code
                .filter(|c| !c.is_empty())
                .ok_or_else(|| AppError::Forbidden("an invite code is required".into()))?;
            let hash = hash_secret(&code);
            if !app.db().invite_is_usable(&hash).await? {
                return Err(AppError::Forbidden("that invite code is unknown or already used".into()));
            }
            Some(hash)
        }
        RegistrationMode::Closed | RegistrationMode::Approval => None,
    };
    if !registration.agreement {
        return Err(AppError::invalid("agreement", "must be true"));
    }
    let email = Some(normalize_email(&registration.email)?);
    let password_hash = hash_password(registration.password).await?;
    // Mastodon answers a taken name or address as a field to correct.
    email_unused(app, &email).await.map_err(|e| as_field("email", e))?;
    // Account, email, approval state and invite are written together, or not at all.
    let user = NewUser {
        password_hash,
        is_admin: false,
        email,
        approved: mode != RegistrationMode::Approval,
        invite_hash,
        claim_hash: None,
    };
    let actor = crate::actors::create_member(app.db(), app.config(), &registration.username, &user)
        .await
        .map_err(|e| as_field("username", e.into()))?;
    let account = app
        .db()
        .account_for_login(&actor.username)
        .await?
        .ok_or_else(|| AppError::Internal("new account vanished".into()))?;
    let token = new_secret()?;
    app.db()
        .create_token(&hash_secret(&token), registration.app_id, Some(account.user_id), REGISTRATION_SCOPES)
        .await?;
    Ok(Registered { account, token })
}

fn as_field(field: &'static str, error: AppError) -> AppError {
    match error {
        AppError::Conflict(message) => AppError::invalid(field, message),
        other => other,
    }
}

async fn account(app: &App, username: &str) -> Result<Account, AppError> {
    app.db().account_for_login(username).await?.ok_or_else(|| AppError::NotFound(format!("no member {username:?}")))
}

/// Staff set a new password; every session of the account ends (admins).
pub async fn reset_password(app: &App, acting: &Acting, username: &str, password: String) -> Result<Account, AppError> {
    acting.require_admin()?;
    let account = account(app, username).await?;
    let hash = hash_password(password).await?;
    app.db().set_password_hash(account.user_id, &hash).await?;
    Ok(account)
}

/// Staff let a registration in (admins).
pub async fn approve(app: &App, acting: &Acting, username: &str) -> Result<Account, AppError> {
    acting.require_admin()?;
    let account = account(app, username).await?;
    app.db().set_user_approved(account.user_id, true).await?;
    Ok(account)
}

/// Staff give a member a hub-wide role (admins).
pub async fn set_role(app: &App, acting: &Acting, username: &str, role: Staff) -> Result<Account, AppError> {
    acting.require_admin()?;
    let account = account(app, username).await?;
    app.db().set_user_role(account.user_id, role == Staff::Admin, role == Staff::Moderator).await?;
    Ok(account)
}

/// A new invite code, usable once (admins).
pub async fn create_invite(app: &App, acting: &Acting) -> Result<String, AppError> {
    acting.require_admin()?;
    let code = new_secret()?;
    app.db().create_invite(&hash_secret(&code)).await?;
    Ok(code)
}

/// A new invite code e-mailed to `email` (admins): the code and the
/// message are stored together, and the message is sent by the mail worker.
pub async fn email_invite(app: &App, acting: &Acting, email: &str) -> Result<(), AppError> {
    acting.require_admin()?;
    crate::mail::require_enabled(app.config())?;
    let email = normalize_email(email)?;
    let code = new_secret()?;
    let home = crate::mail::link(app.config(), "/");
    let message = crate::mail::Message::Registration { code: &code }.render(app.config(), &email, &home)?;
    app.db().create_invite_mailed(&hash_secret(&code), &message).await?;
    Ok(())
}

/// An access token for a member, with the scopes asked for (admins).
pub async fn create_token(app: &App, acting: &Acting, username: &str, scopes: &str) -> Result<String, AppError> {
    acting.require_admin()?;
    let account = account(app, username).await?;
    let scopes = valid_scopes(scopes)?;
    let token = new_secret()?;
    app.db().create_token(&hash_secret(&token), None, Some(account.user_id), &scopes).await?;
    Ok(token)
}
