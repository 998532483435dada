//! Web Push (Mastodon's `/api/v1/push/subscription`): the instance's VAPID
//! key, made once and shared through the database, and the subscription of
//! each access token (one per token: a new one replaces it), with the
//! alerts and the policy that decide which notifications are pushed.
//! `payload` is what a message says; `sender` the worker that sends the
//! queue.

pub mod payload;
pub mod sender;

use maillage_db::{NewPushSubscription, PushSubscription, QueueCounts, VapidKeys};
use maillage_domain::push::{PushAlerts, PushPolicy};
use maillage_federation::web_push::{PushKeyError, VapidSigner, check_subscription};

use crate::{Acting, App, AppError};

/// The instance's VAPID key pair, made and stored the first time it is
/// needed (every process then reads the same one).
pub async fn vapid_keys(app: &App) -> Result<VapidKeys, AppError> {
    if let Some(keys) = app.db().vapid_keys().await? {
        return Ok(keys);
    }
    Ok(app.db().vapid_keys_or(&VapidSigner::generate()).await?)
}

/// The public half, as clients are given it (`vapid_key`, `server_key`).
pub async fn vapid_public_key(app: &App) -> Result<String, AppError> {
    Ok(vapid_keys(app).await?.public_key)
}

/// Makes a new VAPID key pair (admins); every subscription, made for the
/// old key, is removed (clients subscribe again). How many were removed.
pub async fn rotate_vapid_keys(app: &App, acting: &Acting) -> Result<usize, AppError> {
    acting.require_admin()?;
    Ok(app.db().replace_vapid_keys(&VapidSigner::generate()).await?)
}

/// The push queue's rows by state (admins).
pub async fn queue_counts(app: &App, acting: &Acting) -> Result<QueueCounts, AppError> {
    acting.require_admin()?;
    Ok(app.db().push_counts().await?)
}

/// Whom a subscription belongs to: the token it was made with.
#[derive(Debug, Clone, Copy)]
pub struct Subscriber<'a> {
    pub token_id: i64,
    pub user_id: i64,
    /// The token itself, which Mastodon's payload carries back to the client.
    pub access_token: &'a str,
}

/// What a client asks for when it subscribes.
#[derive(Debug, Clone)]
pub struct SubscriptionRequest {
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
    pub alerts: PushAlerts,
    pub policy: PushPolicy,
}

fn key_error(error: PushKeyError) -> AppError {
    let field = match error {
        PushKeyError::Endpoint(_) => "subscription[endpoint]",
        PushKeyError::PublicKey => "subscription[keys][p256dh]",
        PushKeyError::Auth => "subscription[keys][auth]",
        PushKeyError::Vapid(_) => return AppError::Internal(error.to_string()),
    };
    AppError::invalid(field, error.to_string())
}

/// Subscribes a token, replacing the subscription it had. The endpoint
/// must be one this instance may send to, under the address rules of
/// every outgoing request.
pub async fn subscribe(
    app: &App,
    subscriber: Subscriber<'_>,
    request: SubscriptionRequest,
) -> Result<PushSubscription, AppError> {
    let client = &app.federation().context().client;
    check_subscription(client, &request.endpoint, &request.p256dh, &request.auth).map_err(key_error)?;
    // Made now, so that the key the client is shown is the one we sign with.
    vapid_keys(app).await?;
    let new = NewPushSubscription {
        endpoint: request.endpoint.trim().to_string(),
        p256dh: request.p256dh.trim().to_string(),
        auth: request.auth.trim().to_string(),
        alerts: request.alerts,
        policy: request.policy,
    };
    Ok(app.db().put_push_subscription(subscriber.token_id, subscriber.user_id, subscriber.access_token, &new).await?)
}

fn none() -> AppError {
    AppError::NotFound("Record not found".into())
}

/// The subscription of a token.
pub async fn subscription(app: &App, token_id: i64) -> Result<PushSubscription, AppError> {
    app.db().push_subscription(token_id).await?.ok_or_else(none)
}

/// Replaces the alerts and policy of a token's subscription.
pub async fn update(
    app: &App,
    token_id: i64,
    alerts: &PushAlerts,
    policy: PushPolicy,
) -> Result<PushSubscription, AppError> {
    app.db().update_push_subscription(token_id, alerts, policy).await?.ok_or_else(none)
}

/// Removes a token's subscription, if it has one (as Mastodon, not an error
/// when it has none).
pub async fn unsubscribe(app: &App, token_id: i64) -> Result<(), AppError> {
    app.db().delete_push_subscription(token_id).await?;
    Ok(())
}
