//! Web Push subscriptions (`/api/v1/push/subscription`): one per access
//! token, read, replaced and removed only with that token. Parameters come
//! as a form (`subscription[keys][p256dh]=…`, `data[alerts][mention]=true`)
//! or as nested JSON; what is sent and when is `maillage_app::push`'s.

use maillage_app::push::{self, Subscriber, SubscriptionRequest};
use maillage_db::PushSubscription;
use maillage_domain::push::{PushAlert, PushAlerts, PushPolicy};

use super::*;

/// A nested parameter: the form's `a[b][c]` key, or JSON's `{"a":{"b":{"c":…}}}`.
fn nested<'a>(params: &'a Params, path: &[&str]) -> Option<&'a Value> {
    let (first, rest) = path.split_first()?;
    let flat = format!("{first}{}", rest.iter().map(|part| format!("[{part}]")).collect::<String>());
    if let Some(value) = params.0.get(&flat) {
        return Some(value);
    }
    let mut value = params.0.get(*first)?;
    for part in rest {
        value = value.get(part)?;
    }
    Some(value)
}

fn nested_text(params: &Params, path: &[&str]) -> Option<String> {
    match nested(params, path)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn required(params: &Params, path: &[&str]) -> Result<String, HttpError> {
    let name = format!("{}{}", path[0], path[1..].iter().map(|p| format!("[{p}]")).collect::<String>());
    nested_text(params, path)
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| HttpError::Unprocessable(format!("the parameter `{name}` is required")))
}

/// `data[alerts][…]`: each alert given as true is on, any other is off (as
/// Mastodon, a request gives the whole set).
fn alerts(params: &Params) -> Result<PushAlerts, HttpError> {
    let mut alerts = PushAlerts::default();
    for &alert in PushAlert::ALL {
        let on = match nested(params, &["data", "alerts", alert.as_str()]) {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => match s.as_str() {
                "true" | "1" | "on" => true,
                "false" | "0" | "off" | "" => false,
                _ => {
                    return Err(HttpError::Unprocessable(format!(
                        "`data[alerts][{}]` must be true or false",
                        alert.as_str()
                    )));
                }
            },
            Some(_) => {
                return Err(HttpError::Unprocessable(format!(
                    "`data[alerts][{}]` must be true or false",
                    alert.as_str()
                )));
            }
        };
        alerts.set(alert, on);
    }
    Ok(alerts)
}

/// `data[policy]`: all (the default), followed, follower or none.
fn policy(params: &Params) -> Result<PushPolicy, HttpError> {
    match nested_text(params, &["data", "policy"]) {
        None => Ok(PushPolicy::All),
        Some(name) if name.trim().is_empty() => Ok(PushPolicy::All),
        Some(name) => {
            PushPolicy::parse(name.trim()).map_err(|e| HttpError::Unprocessable(format!("data[policy]: {e}")))
        }
    }
}

/// Mastodon's `WebPushSubscription`.
fn subscription_json(subscription: &PushSubscription, server_key: &str) -> Value {
    let alerts: serde_json::Map<String, Value> = PushAlert::ALL
        .iter()
        .map(|&alert| (alert.as_str().to_string(), Value::Bool(subscription.alerts.contains(alert))))
        .collect();
    json!({
        "id": subscription.id.to_string(),
        "endpoint": subscription.endpoint,
        "standard": false,
        "alerts": alerts,
        "policy": subscription.policy.as_str(),
        "server_key": server_key,
    })
}

async fn answer(state: &AppState, subscription: &PushSubscription) -> Result<Json<Value>, HttpError> {
    let server_key = push::vapid_public_key(&state.app).await?;
    Ok(Json(subscription_json(subscription, &server_key)))
}

/// `POST /api/v1/push/subscription`: subscribes this token, replacing the
/// subscription it had.
pub async fn create_push_subscription(
    State(state): State<AppState>,
    user: User,
    headers: HeaderMap,
    params: Params,
) -> Result<Json<Value>, HttpError> {
    user.require("push")?;
    let access_token = crate::api::auth::bearer(&headers)
        .ok_or_else(|| HttpError::Unauthorized("The access token is invalid".into()))?;
    let request = SubscriptionRequest {
        endpoint: required(&params, &["subscription", "endpoint"])?,
        p256dh: required(&params, &["subscription", "keys", "p256dh"])?,
        auth: required(&params, &["subscription", "keys", "auth"])?,
        alerts: alerts(&params)?,
        policy: policy(&params)?,
    };
    let subscriber = Subscriber { token_id: user.grant.token_id, user_id: user.account.user_id, access_token };
    let subscription = push::subscribe(&state.app, subscriber, request).await?;
    answer(&state, &subscription).await
}

/// `GET /api/v1/push/subscription`
pub async fn push_subscription(State(state): State<AppState>, user: User) -> Result<Json<Value>, HttpError> {
    user.require("push")?;
    let subscription = push::subscription(&state.app, user.grant.token_id).await?;
    answer(&state, &subscription).await
}

/// `PUT /api/v1/push/subscription`: new alerts and policy.
pub async fn update_push_subscription(
    State(state): State<AppState>,
    user: User,
    params: Params,
) -> Result<Json<Value>, HttpError> {
    user.require("push")?;
    let subscription = push::update(&state.app, user.grant.token_id, &alerts(&params)?, policy(&params)?).await?;
    answer(&state, &subscription).await
}

/// `DELETE /api/v1/push/subscription`
pub async fn delete_push_subscription(State(state): State<AppState>, user: User) -> Result<Json<Value>, HttpError> {
    user.require("push")?;
    push::unsubscribe(&state.app, user.grant.token_id).await?;
    Ok(Json(json!({})))
}
