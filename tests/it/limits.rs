//! Rate limits keyed on who the caller is: made-up tokens count against the
//! address, `X-Forwarded-For` only from trusted proxies, failed logins per
//! account whatever name was typed, and logins that do not tell which
//! accounts exist. Requests reach the instances from 127.0.0.1, which plays
//! the reverse proxy when trusted.

use maillage_tests::TestInstance;
use serde_json::Value;

use crate::api::PASSWORD;

/// Requests come from 127.0.0.1: with `trusted` true that is a trusted
/// proxy, and `X-Forwarded-For` names the client.
async fn instance(api_limit: u32, login_limit: u32, trusted: bool) -> anyhow::Result<TestInstance> {
    let instance = TestInstance::spawn_with(Box::new(move |config| {
        config.limits.api_per_5_minutes = api_limit;
        config.limits.login_failures_per_5_minutes = login_limit;
        if trusted {
            config.limits.trusted_proxies = vec!["127.0.0.1".into()];
        }
    }))
    .await?;
    instance
        .cli_with_input(&["admin", "user", "create", "alice", "--email", "Alice@Example.org"], &format!("{PASSWORD}\n"))
        .await?;
    instance.cli_with_input(&["admin", "user", "create", "bob"], &format!("{PASSWORD}\n")).await?;
    Ok(instance)
}

/// `GET /api/v1/accounts/verify_credentials` from `client` (through the
/// proxy), with `token` when given: the status and the remaining budget.
async fn verify(instance: &TestInstance, client: &str, token: Option<&str>) -> anyhow::Result<(u16, String)> {
    let mut request =
        instance.http.get(instance.url("/api/v1/accounts/verify_credentials")).header("x-forwarded-for", client);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await?;
    let remaining = response.headers().get("x-ratelimit-remaining").map(|v| v.to_str().unwrap_or("?").to_string());
    Ok((response.status().as_u16(), remaining.unwrap_or_default()))
}

async fn token_of(instance: &TestInstance, username: &str) -> anyhow::Result<String> {
    Ok(instance.cli(&["admin", "token", "create", username]).await?.trim().to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn made_up_tokens_count_against_the_address_and_valid_ones_against_the_account() -> anyhow::Result<()> {
    let a = instance(4, 10, true).await?;
    let attacker = "203.0.113.66";
    for n in 0..4 {
        let (status, _) = verify(&a, attacker, Some(&format!("made-up-token-{n}"))).await?;
        assert_eq!(status, 401, "request {n}");
    }
    let (status, remaining) = verify(&a, attacker, Some("made-up-token-4")).await?;
    assert_eq!((status, remaining.as_str()), (429, "0"), "a fifth made-up token is one request too many");
    assert_eq!(verify(&a, attacker, None).await?.0, 429, "the same budget as requests without a token");
    assert_eq!(verify(&a, attacker, Some("Basic-looking-junk")).await?.0, 429);

    // Someone else at another address is not affected.
    assert_eq!(verify(&a, "203.0.113.67", Some("made-up-token-5")).await?.0, 401);
    // A valid token, even from the throttled address, counts for its account:
    // alice's two tokens share one budget, bob has his own.
    let alice = token_of(&a, "alice").await?;
    let alice_again = token_of(&a, "alice").await?;
    assert_eq!(verify(&a, attacker, Some(&alice)).await?, (200, "3".to_string()));
    assert_eq!(verify(&a, "203.0.113.67", Some(&alice_again)).await?, (200, "2".to_string()));
    assert_eq!(verify(&a, attacker, Some(&alice)).await?.0, 200);
    assert_eq!(verify(&a, attacker, Some(&alice_again)).await?.0, 200);
    assert_eq!(verify(&a, attacker, Some(&alice)).await?.0, 429);
    let bob = token_of(&a, "bob").await?;
    assert_eq!(verify(&a, attacker, Some(&bob)).await?, (200, "3".to_string()));
    // A revoked token is no longer anyone's (a new password ends every session).
    a.cli_with_input(&["admin", "user", "reset-password", "bob"], "another long password\n").await?;
    assert_eq!(verify(&a, attacker, Some(&bob)).await?.0, 429, "counted for the address again");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_for_is_believed_only_from_trusted_proxies() -> anyhow::Result<()> {
    // No trusted proxy: whatever the header says, every request is 127.0.0.1's.
    let direct = instance(2, 10, false).await?;
    assert_eq!(verify(&direct, "203.0.113.1", None).await?.0, 401);
    assert_eq!(verify(&direct, "203.0.113.2", None).await?.0, 401);
    assert_eq!(verify(&direct, "203.0.113.3", None).await?.0, 429, "X-Forwarded-For from an untrusted peer");

    // Behind a trusted proxy, the right-most address it did not add itself:
    // what the client wrote on the left changes nothing.
    let proxied = instance(2, 10, true).await?;
    assert_eq!(verify(&proxied, "6.6.6.1, 203.0.113.1", None).await?.0, 401);
    assert_eq!(verify(&proxied, "6.6.6.2, 203.0.113.1", None).await?.0, 401);
    assert_eq!(verify(&proxied, "203.0.113.1", None).await?.0, 429);
    assert_eq!(verify(&proxied, "203.0.113.1, 127.0.0.1", None).await?.0, 429, "a second trusted hop is skipped");
    assert_eq!(verify(&proxied, "203.0.113.2", None).await?.0, 401, "another client has its own budget");
    // A header the proxies cannot have written: the proxy's own address.
    assert_eq!(verify(&proxied, "203.0.113.3, not-an-address", None).await?.0, 401);
    assert_eq!(verify(&proxied, "203.0.113.4:1234", None).await?.0, 401);
    assert_eq!(verify(&proxied, "garbage", None).await?.0, 429, "127.0.0.1 made its two requests");

    // The deprecated `trust_forwarded_for = true` is the loopback proxy.
    let old = TestInstance::spawn_with(Box::new(|config| {
        config.limits.api_per_5_minutes = 1;
        config.limits.trust_forwarded_for = Some(true);
    }))
    .await?;
    assert_eq!(verify(&old, "6.6.6.1, 203.0.113.1", None).await?.0, 401);
    assert_eq!(verify(&old, "6.6.6.2, 203.0.113.1", None).await?.0, 429);
    assert_eq!(verify(&old, "203.0.113.2", None).await?.0, 401);
    let printed = old.cli(&["config", "check"]).await?;
    assert!(printed.contains("# warning: limits.trust_forwarded_for is deprecated"), "{printed}");
    assert!(!direct.cli(&["config", "check"]).await?.contains("# warning"));
    Ok(())
}

async fn oauth_app(instance: &TestInstance) -> anyhow::Result<(String, String)> {
    let app: Value = instance
        .http
        .post(instance.url("/api/v1/apps"))
        .header("x-forwarded-for", "198.51.100.200")
        .form(&[("client_name", "limits"), ("redirect_uris", "https://app.example/cb"), ("scopes", "read")])
        .send()
        .await?
        .json()
        .await?;
    Ok((app["client_id"].as_str().unwrap().to_string(), app["client_secret"].as_str().unwrap().to_string()))
}

/// A password grant from `client`: the status and the body.
async fn password_grant(
    instance: &TestInstance,
    app: &(String, String),
    client: &str,
    username: &str,
    password: &str,
) -> anyhow::Result<(u16, Value)> {
    let response = instance
        .http
        .post(instance.url("/oauth/token"))
        .header("x-forwarded-for", client)
        .form(&[
            ("grant_type", "password"),
            ("client_id", app.0.as_str()),
            ("client_secret", app.1.as_str()),
            ("username", username),
            ("password", password),
            ("scope", "read"),
        ])
        .send()
        .await?;
    Ok((response.status().as_u16(), response.json().await?))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_logins_count_per_account_whatever_name_was_typed() -> anyhow::Result<()> {
    let a = instance(300, 4, true).await?;
    let app = oauth_app(&a).await?;
    // One failure from each of four addresses, under four spellings of alice.
    for (n, typed) in ["@alice", "alice", "ALICE", "alice@example.ORG"].iter().enumerate() {
        let (status, body) = password_grant(&a, &app, &format!("203.0.113.{n}"), typed, "wrong password").await?;
        assert_eq!((status, body["error"].as_str()), (400, Some("Invalid username or password")), "{typed}");
    }
    let (status, locked) = password_grant(&a, &app, "203.0.113.10", "alice", PASSWORD).await?;
    assert_eq!(status, 429, "alice's account has had its four failures: {locked}");
    // Bob, from the same fresh address, is not affected.
    assert_eq!(password_grant(&a, &app, "203.0.113.10", "bob", PASSWORD).await?.0, 200);

    // A name that is no account answers exactly as a wrong password does,
    // and is throttled the same way.
    for (n, typed) in ["ghost", "@ghost", "GHOST", " ghost "].iter().enumerate() {
        let (status, body) = password_grant(&a, &app, &format!("203.0.113.{}", 20 + n), typed, PASSWORD).await?;
        assert_eq!((status, body["error"].as_str()), (400, Some("Invalid username or password")), "{typed}");
    }
    let (status, ghost_locked) = password_grant(&a, &app, "203.0.113.30", "ghost", PASSWORD).await?;
    assert_eq!((status, &ghost_locked), (429, &locked));

    // The authorization form too: the same page for both.
    let attempt = |username: &'static str| {
        a.http.post(a.url("/oauth/authorize")).header("x-forwarded-for", "203.0.113.40").form(&[
            ("client_id", app.0.as_str()),
            ("redirect_uri", "https://app.example/cb"),
            ("response_type", "code"),
            ("username", username),
            ("password", "wrong password"),
        ])
    };
    let wrong_password = attempt("bob").send().await?;
    let unknown = attempt("nobody-here").send().await?;
    assert_eq!((wrong_password.status(), unknown.status()), (401.try_into()?, 401.try_into()?));
    assert_eq!(wrong_password.text().await?, unknown.text().await?, "the same page");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apps_cannot_register_script_redirects() -> anyhow::Result<()> {
    let a = TestInstance::spawn().await?;
    for uri in ["javascript:alert(1)", "data:text/html,hi", "https://app.example/cb#frag"] {
        let response =
            a.http.post(a.url("/api/v1/apps")).form(&[("client_name", "bad"), ("redirect_uris", uri)]).send().await?;
        assert_eq!(response.status(), 422, "{uri}");
    }
    let response = a
        .http
        .post(a.url("/api/v1/apps"))
        .form(&[("client_name", "native"), ("redirect_uris", "com.example.app:/oauth https://app.example/cb")])
        .send()
        .await?;
    assert_eq!(response.status(), 200);
    Ok(())
}
