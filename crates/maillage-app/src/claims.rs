//! Claiming an enterprise's profile: staff e-mail its contact a single-use,
//! expiring link (distinct from registration codes); whoever follows it
//! opens an account, or signs in to theirs, and becomes the enterprise's
//! owner on its team. The address invited is kept as the enterprise's
//! private contact (`Database::enterprise_contact`), which only its team
//! and the staff see.

use maillage_db::{Account, EmailLink, LinkPurpose, LocalActor, NewEmailLink, NewUser, UtcTime};
use maillage_domain::ActorKind;

use crate::mail::{self, Message};
use crate::secrets::{hash_secret, new_secret};
use crate::users::{email_unused, hash_password, normalize_email};
use crate::{Acting, App, AppError};

/// Staff invite `email` to claim the enterprise `handle` (admins): the
/// message is queued with the link, and the address becomes the
/// enterprise's private contact, in one transaction.
pub async fn invite(app: &App, acting: &Acting, handle: &str, email: &str) -> Result<(), AppError> {
    acting.require_admin()?;
    mail::require_enabled(app.config())?;
    let enterprise = app.local_actor_of(ActorKind::Enterprise, handle).await?;
    let email = normalize_email(email)?;
    let token = new_secret()?;
    let hours = app.config().mail.claim_link_hours;
    let link = NewEmailLink {
        token_hash: hash_secret(&token),
        purpose: LinkPurpose::Claim,
        email: email.clone(),
        user_id: None,
        enterprise_id: Some(enterprise.id),
        expires_at: UtcTime::from(chrono::Utc::now() + chrono::Duration::hours(i64::from(hours))),
    };
    let url = mail::link(app.config(), &format!("/claim/{token}"));
    let message = Message::Claim { enterprise: &enterprise.display_name, hours }.render(app.config(), &email, &url)?;
    app.db().create_claim_invitation(&link, &message).await?;
    Ok(())
}

/// What a usable claim link offers.
#[derive(Debug, Clone)]
pub struct ClaimOffer {
    pub enterprise: LocalActor,
    /// The address the link was sent to (the new account's).
    pub email: String,
}

/// Where a link sent by e-mail stands, for the page that follows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    Usable,
    /// Never issued (or mistyped), or for another purpose.
    Unknown,
    Used,
    Expired,
}

/// The state of the link `token` for `purpose`.
pub async fn link_state(app: &App, token: &str, purpose: LinkPurpose) -> Result<LinkState, AppError> {
    let stored = app.db().email_link(&hash_secret(token)).await?.filter(|l| l.purpose == purpose);
    Ok(match stored {
        None => LinkState::Unknown,
        Some(link) if link.used_at.is_some() => LinkState::Used,
        Some(link) if link.expires_at <= UtcTime::now() => LinkState::Expired,
        Some(_) => LinkState::Usable,
    })
}

/// Why a link sent by e-mail cannot be used, for the person who followed it.
pub(crate) fn unusable(link: Option<&EmailLink>) -> AppError {
    match link {
        None => AppError::NotFound("this link is unknown: check that it was copied whole".into()),
        Some(link) if link.used_at.is_some() => {
            AppError::Forbidden("this link was already used: each link works once".into())
        }
        Some(link) => AppError::Forbidden(format!(
            "this link expired on {}: ask for a new one",
            link.expires_at.as_datetime().format("%Y-%m-%d %H:%M UTC")
        )),
    }
}

/// The enterprise a claim link offers, while it is usable.
pub async fn offer(app: &App, token: &str) -> Result<ClaimOffer, AppError> {
    let stored = app.db().email_link(&hash_secret(token)).await?;
    let usable = stored
        .as_ref()
        .filter(|l| l.purpose == LinkPurpose::Claim && l.used_at.is_none() && l.expires_at > UtcTime::now());
    let Some(link) = usable else {
        return Err(unusable(stored.as_ref().filter(|l| l.purpose == LinkPurpose::Claim)));
    };
    let enterprise = match link.enterprise_id {
        Some(id) => app.db().local_actor_by_id(id).await?,
        None => None,
    }
    .filter(|e| !e.is_deleted())
    .ok_or_else(|| AppError::NotFound("the enterprise of this link no longer exists".into()))?;
    Ok(ClaimOffer { enterprise, email: link.email.clone() })
}

/// Someone opens an account with a claim link: the account (with the
/// invited address, hence confirmed), its membership of the team as owner
/// and the link's use are written together.
pub async fn claim_with_new_account(
    app: &App,
    token: &str,
    username: &str,
    password: String,
) -> Result<(Account, LocalActor), AppError> {
    let offer = offer(app, token).await?;
    let email = Some(offer.email.clone());
    email_unused(app, &email).await.map_err(|_| {
        AppError::Conflict(format!(
            "an account already uses {}: sign in to it to claim {}",
            offer.email, offer.enterprise.display_name
        ))
    })?;
    let password_hash = hash_password(password).await?;
    let user = NewUser {
        password_hash,
        is_admin: false,
        email,
        approved: true,
        invite_hash: None,
        claim_hash: Some(hash_secret(token)),
    };
    let actor =
        crate::actors::create_member(app.db(), app.config(), username, &user).await.map_err(
            |e| match AppError::from(e) {
                AppError::Conflict(message) => AppError::invalid("username", message),
                other => other,
            },
        )?;
    let account = app
        .db()
        .account_for_login(&actor.username)
        .await?
        .ok_or_else(|| AppError::Internal("new account vanished".into()))?;
    Ok((account, offer.enterprise))
}

/// A signed-in member claims with a link: they become the owner.
pub async fn claim_as(app: &App, acting: &Acting, token: &str) -> Result<LocalActor, AppError> {
    let (user_id, member) = acting.require_member()?;
    let offer = offer(app, token).await?;
    let hash = hash_secret(token);
    match app.db().accept_claim(&hash, user_id, member.id).await? {
        Some(_) => Ok(offer.enterprise),
        None => Err(unusable(app.db().email_link(&hash).await?.as_ref())),
    }
}

/// An enterprise's private contact address, for its team and the staff.
pub async fn contact(app: &App, acting: &Acting, enterprise: &LocalActor) -> Result<Option<String>, AppError> {
    acting.require_editor(app.db(), enterprise).await?;
    Ok(app.db().enterprise_contact(enterprise.id).await?)
}
