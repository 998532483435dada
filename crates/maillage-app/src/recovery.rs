//! A member's address and the password reset it allows: an address is
//! confirmed by a link sent to it, and only a confirmed address receives a
//! reset link. Asking for a reset answers the same whether or not an
//! account has that address, so that nobody learns who has an account.

use maillage_db::{LinkPurpose, NewEmailLink, UtcTime};

use crate::claims::unusable;
use crate::mail::{self, Message};
use crate::secrets::{hash_secret, new_secret};
use crate::users::{hash_password, normalize_email};
use crate::{Acting, App, AppError};

/// How long a confirmation link works.
const VERIFY_LINK_HOURS: i64 = 48;
/// How long a reset link works.
const RESET_LINK_MINUTES: i64 = 60;

/// A member asks for a link confirming their address; the address it goes to.
pub async fn send_verification(app: &App, acting: &Acting) -> Result<String, AppError> {
    let (user_id, _) = acting.require_member()?;
    mail::require_enabled(app.config())?;
    let account =
        app.db().account_by_user_id(user_id).await?.ok_or_else(|| AppError::NotFound("no such account".into()))?;
    let email = account.email.ok_or_else(|| AppError::invalid("email", "this account has no e-mail address"))?;
    if account.email_verified {
        return Err(AppError::Conflict(format!("{email} is already confirmed")));
    }
    let token = new_secret()?;
    let link = NewEmailLink {
        token_hash: hash_secret(&token),
        purpose: LinkPurpose::Verify,
        email: email.clone(),
        user_id: Some(user_id),
        enterprise_id: None,
        expires_at: UtcTime::from(chrono::Utc::now() + chrono::Duration::hours(VERIFY_LINK_HOURS)),
    };
    let url = mail::link(app.config(), &format!("/email/verify/{token}"));
    app.db().create_email_link(&link, &Message::Verify.render(app.config(), &email, &url)?).await?;
    Ok(email)
}

/// Someone follows a confirmation link.
pub async fn verify(app: &App, token: &str) -> Result<(), AppError> {
    let hash = hash_secret(token);
    match app.db().verify_email_with_link(&hash).await? {
        Some(_) => Ok(()),
        None => Err(unusable(app.db().email_link(&hash).await?.as_ref().filter(|l| l.purpose == LinkPurpose::Verify))),
    }
}

/// Someone asks for a new password for `email`: a reset link goes to it
/// when it is an account's confirmed address; otherwise nothing is sent.
/// The answer is the same either way (only a malformed address is refused).
pub async fn request_reset(app: &App, email: &str) -> Result<(), AppError> {
    mail::require_enabled(app.config())?;
    let email = normalize_email(email)?;
    let Some(account) = app.db().account_for_login(&email).await? else { return Ok(()) };
    if account.email.as_deref() != Some(email.as_str()) || !account.email_verified {
        tracing::info!(user = account.user_id, "password reset asked for an unconfirmed address: nothing sent");
        return Ok(());
    }
    let token = new_secret()?;
    let link = NewEmailLink {
        token_hash: hash_secret(&token),
        purpose: LinkPurpose::Reset,
        email: email.clone(),
        user_id: Some(account.user_id),
        enterprise_id: None,
        expires_at: UtcTime::from(chrono::Utc::now() + chrono::Duration::minutes(RESET_LINK_MINUTES)),
    };
    let url = mail::link(app.config(), &format!("/password/reset/{token}"));
    app.db().create_email_link(&link, &Message::Reset.render(app.config(), &email, &url)?).await?;
    Ok(())
}

/// Whether a reset link can still be used (to show its form).
pub async fn reset_link_usable(app: &App, token: &str) -> Result<(), AppError> {
    let stored = app.db().email_link(&hash_secret(token)).await?.filter(|l| l.purpose == LinkPurpose::Reset);
    match &stored {
        Some(link) if link.used_at.is_none() && link.expires_at > UtcTime::now() => Ok(()),
        other => Err(unusable(other.as_ref())),
    }
}

/// Someone sets a new password with a reset link: every session and token
/// of the account ends.
pub async fn reset(app: &App, token: &str, password: String) -> Result<(), AppError> {
    reset_link_usable(app, token).await?;
    let password_hash = hash_password(password).await?;
    let hash = hash_secret(token);
    match app.db().reset_password_with_link(&hash, &password_hash).await? {
        Some(_) => Ok(()),
        None => Err(unusable(app.db().email_link(&hash).await?.as_ref())),
    }
}
