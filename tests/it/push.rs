//! Web Push (`/api/v1/push/subscription`) to a push service on loopback
//! written with another implementation (Python's `http_ece` and
//! `cryptography`, see `maillage_tests::push`): it decrypts each message
//! and checks its VAPID token; the tests read what it received. One
//! subscription per token, never readable with another; alerts, policy,
//! a service that no longer knows the subscription (410) and one that
//! fails once (500, then 201).

use maillage_tests::push::PushReceiver;
use maillage_tests::{TestInstance, eventually};
use reqwest::Method;
use serde_json::{Value, json};

use crate::api::{PASSWORD, call, populate, post_status};

/// An instance (marie, paul, coop) whose push retries come after a second.
async fn instance() -> anyhow::Result<TestInstance> {
    let instance = TestInstance::spawn_with(Box::new(|config| {
        config.push.contact = "mailto:ops@hub.example".into();
        config.push.retry_initial_seconds = 1;
        config.push.retry_max_seconds = 1;
    }))
    .await?;
    populate(&instance).await?;
    Ok(instance)
}

/// A token of `username` with the `push` scope.
async fn login(instance: &TestInstance, username: &str) -> anyhow::Result<String> {
    Ok(login_app(instance, username).await?.0)
}

/// A token of `username` with the `push` scope, and its app's id and secret.
async fn login_app(instance: &TestInstance, username: &str) -> anyhow::Result<(String, String, String)> {
    let scopes = "read write follow push";
    let app: Value = instance
        .http
        .post(instance.url("/api/v1/apps"))
        .form(&[("client_name", "push test"), ("redirect_uris", "urn:ietf:wg:oauth:2.0:oob"), ("scopes", scopes)])
        .send()
        .await?
        .json()
        .await?;
    let token: Value = instance
        .http
        .post(instance.url("/oauth/token"))
        .form(&[
            ("grant_type", "password"),
            ("client_id", app["client_id"].as_str().unwrap_or_default()),
            ("client_secret", app["client_secret"].as_str().unwrap_or_default()),
            ("username", username),
            ("password", PASSWORD),
            ("scope", scopes),
        ])
        .send()
        .await?
        .json()
        .await?;
    let token = token["access_token"].as_str().unwrap_or_else(|| panic!("no token: {token}")).to_string();
    let id = app["client_id"].as_str().unwrap_or_default().to_string();
    let secret = app["client_secret"].as_str().unwrap_or_default().to_string();
    Ok((token, id, secret))
}

/// Subscribes `token` to `receiver` with a form, as most apps do: every
/// alert in `on` turned on, the others off.
async fn subscribe_form(
    instance: &TestInstance,
    token: &str,
    receiver: &PushReceiver,
    name: &str,
    on: &[&str],
    policy: &str,
) -> anyhow::Result<(u16, Value)> {
    let endpoint = receiver.endpoint(name);
    let mut form = vec![
        ("subscription[endpoint]".to_string(), endpoint),
        ("subscription[keys][p256dh]".to_string(), receiver.p256dh.clone()),
        ("subscription[keys][auth]".to_string(), receiver.auth.clone()),
        ("data[policy]".to_string(), policy.to_string()),
    ];
    for alert in ["mention", "status", "reblog", "follow", "follow_request", "favourite", "poll", "update"] {
        form.push((format!("data[alerts][{alert}]"), on.contains(&alert).to_string()));
    }
    let response =
        instance.http.post(instance.url("/api/v1/push/subscription")).bearer_auth(token).form(&form).send().await?;
    let status = response.status().as_u16();
    Ok((status, response.json().await.unwrap_or(Value::Null)))
}

async fn account_id(instance: &TestInstance, token: &str, username: &str) -> anyhow::Result<String> {
    let (_, account) =
        call(instance, Method::GET, &format!("/api/v1/accounts/lookup?acct={username}"), Some(token), None).await?;
    Ok(account["id"].as_str().unwrap_or_else(|| panic!("{account}")).to_string())
}

/// Waits until the receiver has `n` messages, and returns them.
async fn received(receiver: &PushReceiver, n: usize) -> anyhow::Result<Vec<Value>> {
    eventually(30, &format!("{n} push messages"), || async { Ok(receiver.received()?.len() >= n) }).await?;
    receiver.received()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mention_a_follow_and_a_like_are_pushed_encrypted_and_signed() -> anyhow::Result<()> {
    let Some(receiver) = PushReceiver::start(&[201]).await? else { return Ok(()) };
    let site = instance().await?;
    let (marie, marie_app, marie_secret) = login_app(&site, "marie").await?;
    let paul = login(&site, "paul").await?;

    // The server key is the same wherever a client reads it.
    let (_, v2) = call(&site, Method::GET, "/api/v2/instance", None, None).await?;
    let server_key = v2["configuration"]["vapid"]["public_key"].as_str().unwrap_or_default().to_string();
    assert_eq!(server_key.len(), 87, "an uncompressed P-256 point in base64url: {v2}");
    let app: Value = site
        .http
        .post(site.url("/api/v1/apps"))
        .form(&[("client_name", "x"), ("redirect_uris", "urn:ietf:wg:oauth:2.0:oob")])
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(app["vapid_key"], server_key.as_str());

    let (status, subscription) =
        subscribe_form(&site, &marie, &receiver, "marie", &["mention", "follow", "favourite"], "all").await?;
    assert_eq!(status, 200, "{subscription}");
    assert_eq!(subscription["endpoint"], receiver.endpoint("marie").as_str());
    assert_eq!(subscription["server_key"], server_key.as_str());
    assert_eq!(subscription["policy"], "all");
    assert_eq!(subscription["alerts"]["mention"], true);
    assert_eq!(subscription["alerts"]["reblog"], false);
    let (status, read) = call(&site, Method::GET, "/api/v1/push/subscription", Some(&marie), None).await?;
    assert_eq!((status, &read["id"]), (200, &subscription["id"]));

    // Another token reads none, and deleting its own leaves marie's.
    let (status, _) = call(&site, Method::GET, "/api/v1/push/subscription", Some(&paul), None).await?;
    assert_eq!(status, 404);
    let (status, _) = call(&site, Method::DELETE, "/api/v1/push/subscription", Some(&paul), None).await?;
    assert_eq!(status, 200);
    let (status, _) = call(&site, Method::GET, "/api/v1/push/subscription", Some("not-a-token"), None).await?;
    assert_eq!(status, 401);
    let (status, _) = call(&site, Method::GET, "/api/v1/push/subscription", Some(&marie), None).await?;
    assert_eq!(status, 200, "paul's DELETE removed marie's subscription");

    // Paul mentions marie, follows her and likes her post.
    let (status, _) = post_status(&site, &paul, json!({ "status": "@marie la réunion est à 10 h" })).await?;
    assert_eq!(status, 200);
    let marie_id = account_id(&site, &paul, "marie").await?;
    let (status, _) =
        call(&site, Method::POST, &format!("/api/v1/accounts/{marie_id}/follow"), Some(&paul), None).await?;
    assert_eq!(status, 200);
    let (_, post) = post_status(&site, &marie, json!({ "status": "Nouvelle saison au marché" })).await?;
    let post_id = post["id"].as_str().unwrap_or_default();
    let (status, _) =
        call(&site, Method::POST, &format!("/api/v1/statuses/{post_id}/favourite"), Some(&paul), None).await?;
    assert_eq!(status, 200);

    let messages = received(&receiver, 3).await?;
    let (_, notifications) = call(&site, Method::GET, "/api/v1/notifications", Some(&marie), None).await?;
    let (_, paul_account) = call(&site, Method::GET, "/api/v1/accounts/lookup?acct=paul", None, None).await?;
    let mut types = Vec::new();
    for message in &messages {
        assert_eq!(message["path"], "/push/marie");
        assert_eq!(message["status"], 201);
        assert_eq!(message["content_encoding"], "aes128gcm");
        assert_eq!(message["ttl"], "172800");
        assert_eq!(message["urgency"], "normal");
        let vapid = &message["vapid"];
        assert_eq!(vapid["signature_valid"], true, "{vapid}");
        assert_eq!(vapid["aud_matches"], true, "{vapid}");
        assert_eq!(vapid["exp_within_24h"], true, "{vapid}");
        assert_eq!(vapid["claims"]["sub"], "mailto:ops@hub.example");
        assert_eq!(vapid["k"], server_key.as_str(), "signed with the key the API gives");
        let payload = &message["payload"];
        assert!(payload.is_object(), "not decrypted: {message}");
        assert_eq!(payload["access_token"], marie.as_str());
        assert_eq!(payload["preferred_locale"], "fr");
        assert_eq!(payload["icon"], paul_account["avatar"], "the sender's avatar, as the API shows it: {payload}");
        let id = payload["notification_id"].as_i64().unwrap_or_else(|| panic!("a number: {payload}")).to_string();
        let kind = payload["notification_type"].as_str().unwrap_or_default().to_string();
        let listed = notifications.as_array().into_iter().flatten().find(|n| n["id"] == id.as_str());
        let listed = listed.unwrap_or_else(|| panic!("notification {id} is not marie's: {notifications}"));
        assert_eq!(listed["type"], kind.as_str());
        let title = payload["title"].as_str().unwrap_or_default();
        assert!(title.contains("paul"), "{title}");
        let body = payload["body"].as_str().unwrap_or_default();
        match kind.as_str() {
            "mention" => {
                assert!(title.contains("mentioned you"), "{title}");
                assert!(body.contains("la réunion est à 10 h"), "{body}");
            }
            "favourite" => assert!(body.contains("Nouvelle saison au marché"), "{body}"),
            "follow" => assert!(body.contains("@paul@"), "{body}"),
            other => panic!("unexpected {other}"),
        }
        types.push(kind);
    }
    types.sort();
    assert_eq!(types, ["favourite", "follow", "mention"]);

    // Revoking the token removes its subscription: nothing is pushed to
    // it; the next message is the one to the subscription of a new token.
    let revoked = site
        .http
        .post(site.url("/oauth/revoke"))
        .form(&[("client_id", marie_app.as_str()), ("client_secret", marie_secret.as_str()), ("token", marie.as_str())])
        .send()
        .await?;
    assert_eq!(revoked.status(), 200);
    let (status, _) = call(&site, Method::GET, "/api/v1/push/subscription", Some(&marie), None).await?;
    assert_eq!(status, 401);
    post_status(&site, &paul, json!({ "status": "@marie après la révocation" })).await?;
    let marie_again = login(&site, "marie").await?;
    let (status, _) = subscribe_form(&site, &marie_again, &receiver, "marie-again", &["mention"], "all").await?;
    assert_eq!(status, 200);
    post_status(&site, &paul, json!({ "status": "@marie nouveau jeton" })).await?;
    let messages = received(&receiver, 4).await?;
    assert_eq!(messages.len(), 4, "{messages:?}");
    assert_eq!(messages[3]["path"], "/push/marie-again");
    assert_eq!(messages[3]["payload"]["access_token"], marie_again.as_str());
    assert!(messages[3]["payload"]["body"].as_str().unwrap_or_default().contains("nouveau jeton"));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_off_and_the_policies_push_only_what_they_let_through() -> anyhow::Result<()> {
    let Some(receiver) = PushReceiver::start(&[201]).await? else { return Ok(()) };
    let site = instance().await?;
    let marie = login(&site, "marie").await?;
    let paul = login(&site, "paul").await?;
    // JSON, as web clients send it: mentions off.
    let body = json!({
        "subscription": {
            "endpoint": receiver.endpoint("marie"),
            "keys": { "p256dh": receiver.p256dh, "auth": receiver.auth },
        },
        "data": { "alerts": { "mention": false, "favourite": true }, "policy": "all" },
    });
    let (status, subscription) =
        call(&site, Method::POST, "/api/v1/push/subscription", Some(&marie), Some(body)).await?;
    assert_eq!(status, 200, "{subscription}");
    assert_eq!(subscription["alerts"]["mention"], false);
    post_status(&site, &paul, json!({ "status": "@marie premier message, sans alerte" })).await?;
    // Policy none: nothing, even of an alert that is on.
    let (status, changed) = call(
        &site,
        Method::PUT,
        "/api/v1/push/subscription",
        Some(&marie),
        Some(json!({ "data": { "alerts": { "mention": true, "favourite": true }, "policy": "none" } })),
    )
    .await?;
    assert_eq!((status, &changed["policy"]), (200, &json!("none")), "{changed}");
    post_status(&site, &paul, json!({ "status": "@marie deuxième message, politique none" })).await?;
    // Policy followed: paul is not followed by marie, so nothing either.
    let (status, _) = call(
        &site,
        Method::PUT,
        "/api/v1/push/subscription",
        Some(&marie),
        Some(json!({ "data": { "alerts": { "mention": true }, "policy": "followed" } })),
    )
    .await?;
    assert_eq!(status, 200);
    post_status(&site, &paul, json!({ "status": "@marie troisième message, pas suivi" })).await?;
    // Policy follower: paul does not follow marie, so nothing.
    let (status, _) = call(
        &site,
        Method::PUT,
        "/api/v1/push/subscription",
        Some(&marie),
        Some(json!({ "data": { "alerts": { "mention": true }, "policy": "follower" } })),
    )
    .await?;
    assert_eq!(status, 200);
    post_status(&site, &paul, json!({ "status": "@marie troisième message bis, pas abonné" })).await?;
    // Policy followed once marie follows paul: the next mention is the
    // first and only message sent.
    let (status, paul_account) =
        call(&site, Method::GET, "/api/v1/accounts/lookup?acct=paul", Some(&marie), None).await?;
    assert_eq!(status, 200, "{paul_account}");
    let follow = format!("/api/v1/accounts/{}/follow", paul_account["id"].as_str().unwrap());
    let (status, relationship) = call(&site, Method::POST, &follow, Some(&marie), None).await?;
    assert_eq!((status, &relationship["following"]), (200, &json!(true)), "{relationship}");
    call(
        &site,
        Method::PUT,
        "/api/v1/push/subscription",
        Some(&marie),
        Some(json!({ "data": { "alerts": { "mention": true }, "policy": "followed" } })),
    )
    .await?;
    post_status(&site, &paul, json!({ "status": "@marie quatrième message, reçu" })).await?;
    let messages = received(&receiver, 1).await?;
    // Give a wrongly queued earlier message every chance to arrive too:
    // wait for a later one of a second subscription's token first.
    let paul_again = login(&site, "paul").await?;
    let (status, _) = subscribe_form(&site, &paul_again, &receiver, "paul", &["mention"], "all").await?;
    assert_eq!(status, 200);
    post_status(&site, &marie, json!({ "status": "@paul merci" })).await?;
    let messages_after = received(&receiver, 2).await?;
    let bodies: Vec<&str> = messages_after.iter().filter_map(|m| m["payload"]["body"].as_str()).collect();
    assert_eq!(messages_after.len(), 2, "{bodies:?}");
    assert!(messages[0]["payload"]["body"].as_str().unwrap_or_default().contains("quatrième"), "{bodies:?}");
    assert_eq!(messages_after[1]["path"], "/push/paul");

    // Unusable subscriptions are refused with the field named.
    for (endpoint, p256dh, named) in [
        ("ftp://127.0.0.1/push", receiver.p256dh.as_str(), "endpoint"),
        ("not a url", receiver.p256dh.as_str(), "endpoint"),
        (&*receiver.endpoint("x"), "AAAA", "p256dh"),
    ] {
        let body = json!({
            "subscription": { "endpoint": endpoint, "keys": { "p256dh": p256dh, "auth": receiver.auth } },
        });
        let (status, error) = call(&site, Method::POST, "/api/v1/push/subscription", Some(&marie), Some(body)).await?;
        assert_eq!(status, 422, "{endpoint}: {error}");
        assert!(error["error"].as_str().unwrap_or_default().contains(named), "{error}");
    }
    let (status, error) = call(
        &site,
        Method::PUT,
        "/api/v1/push/subscription",
        Some(&marie),
        Some(json!({ "data": { "policy": "friends" } })),
    )
    .await?;
    assert_eq!(status, 422, "{error}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_service_is_retried_and_a_gone_subscription_removed() -> anyhow::Result<()> {
    let Some(flaky) = PushReceiver::start(&[500, 201]).await? else { return Ok(()) };
    let Some(gone) = PushReceiver::start(&[410]).await? else { return Ok(()) };
    let site = instance().await?;
    let marie = login(&site, "marie").await?;
    let paul = login(&site, "paul").await?;
    subscribe_form(&site, &marie, &flaky, "marie", &["mention"], "all").await?;
    post_status(&site, &paul, json!({ "status": "@marie une fois" })).await?;
    let messages = received(&flaky, 2).await?;
    assert_eq!(messages[0]["status"], 500);
    assert_eq!(messages[1]["status"], 201);
    assert_eq!(messages[0]["payload"]["notification_id"], messages[1]["payload"]["notification_id"]);
    // Once taken, it is not sent again: the next message is the next mention.
    post_status(&site, &paul, json!({ "status": "@marie deux fois" })).await?;
    let messages = received(&flaky, 3).await?;
    assert_eq!(messages.len(), 3);
    assert!(messages[2]["payload"]["body"].as_str().unwrap_or_default().contains("deux fois"), "{}", messages[2]);

    // A service that answers 410 no longer knows the subscription: removed.
    let (status, _) = subscribe_form(&site, &paul, &gone, "paul", &["mention"], "all").await?;
    assert_eq!(status, 200);
    post_status(&site, &marie, json!({ "status": "@paul es-tu là ?" })).await?;
    received(&gone, 1).await?;
    eventually(30, "the gone subscription removed", || async {
        let (status, _) = call(&site, Method::GET, "/api/v1/push/subscription", Some(&paul), None).await?;
        Ok(status == 404)
    })
    .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_public_instance_refuses_endpoints_on_private_addresses() -> anyhow::Result<()> {
    // Not on `localhost`: the address rules of every outgoing request apply.
    let site = TestInstance::spawn_with(Box::new(|config| config.instance.domain = "hub.example".into())).await?;
    populate(&site).await?;
    let marie = login(&site, "marie").await?;
    // A well-formed device key, so that only the endpoint can be refused.
    let p256dh = "BLT52cX_nEfFnwa3mKRxXEcRq2-SOOJHXXFSFnlWwemt50KXnqqw0JONmzfsb2LucciSRfCNrlGSePkbzwyvEAM";
    for endpoint in [
        "http://127.0.0.1:9/push",
        "https://127.0.0.1/push",
        "https://localhost/push",
        "https://10.1.2.3/push",
        "https://[::1]/push",
        "https://169.254.169.254/latest",
    ] {
        let body = json!({
            "subscription": { "endpoint": endpoint, "keys": { "p256dh": p256dh, "auth": "pZa3eXgY65r0OErhna8xfg" } },
            "data": { "alerts": { "mention": true } },
        });
        let (status, error) = call(&site, Method::POST, "/api/v1/push/subscription", Some(&marie), Some(body)).await?;
        assert_eq!(status, 422, "{endpoint}: {error}");
        assert!(error["error"].as_str().unwrap_or_default().contains("subscription[endpoint]"), "{error}");
    }
    let (status, _) = call(&site, Method::GET, "/api/v1/push/subscription", Some(&marie), None).await?;
    assert_eq!(status, 404, "nothing was stored");
    // A public push service's address is accepted.
    let body = json!({
        "subscription": {
            "endpoint": "https://updates.push.services.mozilla.com/wpush/v2/abc",
            "keys": { "p256dh": p256dh, "auth": "pZa3eXgY65r0OErhna8xfg" },
        },
    });
    let (status, created) = call(&site, Method::POST, "/api/v1/push/subscription", Some(&marie), Some(body)).await?;
    assert_eq!(status, 200, "{created}");
    assert_eq!(created["alerts"]["mention"], false, "alerts not given are off");
    assert_eq!(created["policy"], "all");
    Ok(())
}
