//! Upgrades: a hub's database written by an earlier release migrates to
//! today's schema with the real `maillage migrate`, and the instance then
//! serves what it held.
//!
//! EVERY FUTURE MIGRATION MUST KEEP THESE TESTS GREEN. The fixtures in
//! `tests/fixtures/upgrade` (how they were made: its README) are what
//! release 000014 wrote, with rows in every table of its schema. Never
//! regenerate or edit them to suit a new migration: hubs running that
//! release hold exactly such data, and a migration must take it forward.

use std::process::{Output, Stdio};

use maillage_db::testing::TestDatabase;
use maillage_tests::process::binary;
use maillage_tests::{DatabaseKind, TestInstance};
use serde_json::Value;

/// The newest migration of the release that wrote the fixtures.
const FIXTURE_MIGRATION: &str = "2026-11-26-000014_inbox_claim_order";
/// The passwords the fixture's members chose (scripts/make-upgrade-fixtures).
const BOB_PASSWORD: &str = "bob-password-000014";
const MARIE_PASSWORD: &str = "marie-password-000014";

/// A fresh database of the backend under test holding the fixture, and
/// what release 000014 served from it (its `.json` beside the dump).
async fn fixture_database() -> anyhow::Result<(TestDatabase, Value)> {
    let database = TestDatabase::create().await.map_err(anyhow::Error::msg)?;
    let name = match database.kind() {
        DatabaseKind::Sqlite => "sqlite",
        DatabaseKind::Postgres => "postgres",
    };
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/upgrade");
    let dump = std::fs::read_to_string(dir.join(format!("{name}-000014.sql")))?;
    database.load_sql(&dump).await.map_err(anyhow::Error::msg)?;
    let expected = serde_json::from_str(&std::fs::read_to_string(dir.join(format!("{name}-000014.json")))?)?;
    Ok((database, expected))
}

/// Runs the `maillage` binary on `database` for the fixture's domain.
async fn maillage(database: &TestDatabase, expected: &Value, args: &[&str]) -> anyhow::Result<Output> {
    let output = tokio::process::Command::new(binary()?)
        .args(args)
        .env_remove("RUST_LOG")
        .env("MAILLAGE__INSTANCE__DOMAIN", expected["domain"].as_str().unwrap())
        .env("MAILLAGE__DATABASE__URL", database.url())
        .env("MAILLAGE__DATABASE__MAX_CONNECTIONS", "2")
        .stdin(Stdio::null())
        .output()
        .await?;
    anyhow::ensure!(output.status.success(), "maillage {args:?} failed: {}", String::from_utf8_lossy(&output.stderr));
    Ok(output)
}

async fn printed(database: &TestDatabase, expected: &Value, args: &[&str]) -> anyhow::Result<String> {
    Ok(String::from_utf8(maillage(database, expected, args).await?.stdout)?)
}

/// The migrations newer than the fixture's, oldest first.
fn newer_migrations(kind: DatabaseKind) -> Vec<String> {
    maillage_db::migration_names(kind).unwrap().into_iter().filter(|name| name.as_str() > FIXTURE_MIGRATION).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_lists_the_migrations_an_old_database_lacks_and_applies_none() -> anyhow::Result<()> {
    let (database, expected) = fixture_database().await?;
    let pending: String = newer_migrations(database.kind()).iter().map(|name| format!("pending {name}\n")).collect();
    assert!(!pending.is_empty(), "the current schema is newer than the fixtures");
    assert_eq!(printed(&database, &expected, &["migrate", "--dry-run"]).await?, pending);
    // Nothing was applied: the same list again.
    assert_eq!(printed(&database, &expected, &["migrate", "--dry-run"]).await?, pending);

    let migrated = printed(&database, &expected, &["migrate"]).await?;
    let count = newer_migrations(database.kind()).len();
    assert!(migrated.contains(&format!("({count} migration(s) applied now)")), "{migrated}");
    let after = printed(&database, &expected, &["migrate", "--dry-run"]).await?;
    assert!(after.starts_with("nothing to apply"), "{after}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hub_written_by_release_000014_serves_its_data_after_the_upgrade() -> anyhow::Result<()> {
    let (database, expected) = fixture_database().await?;
    maillage(&database, &expected, &["migrate"]).await?;

    // Before any server runs: the queued deliveries and the followers.
    let deliveries = printed(&database, &expected, &["admin", "delivery", "status"]).await?;
    let queued = expected["deliveries"].as_str().unwrap();
    assert!(queued.starts_with("pending ") && queued != "pending 0", "the fixture queues deliveries: {queued}");
    assert!(deliveries.starts_with(&format!("all\t{queued}\t")), "{queued} expected: {deliveries}");
    let followers = printed(&database, &expected, &["admin", "followers", "list", "coop"]).await?;
    let follower = expected["coop_follower"].as_str().unwrap();
    assert!(followers.contains(&format!("follower\t{follower}")), "{followers}");
    let requests = printed(&database, &expected, &["admin", "followers", "list", "atelier"]).await?;
    let pending_follower = expected["atelier_pending_follower"].as_str().unwrap();
    assert!(requests.contains(&format!("pending\t{pending_follower}")), "{requests}");

    let domain = expected["domain"].as_str().unwrap().to_string();
    let hub = TestInstance::spawn_on(database, Box::new(move |config| config.instance.domain = domain)).await?;

    // The actors keep their keys: their followers still verify them.
    for (handle, key) in expected["public_keys"].as_object().unwrap() {
        let actor: Value = hub.get_activity(&hub.url(&format!("/actors/{handle}"))).await?.json().await?;
        assert_eq!(&actor["publicKey"]["publicKeyPem"], key, "{handle}");
    }

    // Members sign in with the passwords they chose before; a wrong one is refused.
    assert_eq!(sign_in(&hub, "bob", "not bob's password").await?.0, 400);
    let (status, marie) = sign_in(&hub, "marie", MARIE_PASSWORD).await?;
    assert_eq!(status, 200, "marie signs in");
    let (status, _) = sign_in(&hub, "bob", BOB_PASSWORD).await?;
    assert_eq!(status, 200, "bob signs in");
    // And the token an app was given before the upgrade still works.
    let bob = expected["bob_token"].as_str().unwrap();
    let (status, me) = api_get(&hub, "/api/v1/accounts/verify_credentials", Some(bob)).await?;
    assert_eq!((status, me["username"].as_str()), (200, Some("bob")), "{me}");

    // A public post is anyone's; a followers-only one stays hidden from
    // those who do not follow (as a document and through the API) and is
    // read by its enterprise's editor.
    let public_post = expected["coop_public_post"].as_str().unwrap();
    let followers_post = expected["coop_followers_post"].as_str().unwrap();
    assert_eq!(hub.get_activity(&local(&hub, public_post)).await?.status(), 200);
    assert_eq!(hub.get_activity(&local(&hub, followers_post)).await?.status(), 404);
    let (_, coop) = api_get(&hub, "/api/v1/accounts/lookup?acct=coop", None).await?;
    let coop_statuses = format!("/api/v1/accounts/{}/statuses", coop["id"].as_str().unwrap());
    let anonymous = status_uris(&hub, &coop_statuses, None).await?;
    assert!(anonymous.iter().any(|uri| uri == public_post), "{anonymous:?}");
    assert!(!anonymous.iter().any(|uri| uri == followers_post), "anonymous reads {followers_post}");
    let editor = status_uris(&hub, &coop_statuses, Some(&marie)).await?;
    assert!(editor.iter().any(|uri| uri == followers_post), "{editor:?}");

    // bob's post for his followers: his, and nobody else's here.
    let private_post = expected["bob_private_post"].as_str().unwrap();
    let bob_statuses = format!("/api/v1/accounts/{}/statuses", me["id"].as_str().unwrap());
    assert!(status_uris(&hub, &bob_statuses, Some(bob)).await?.iter().any(|uri| uri == private_post));
    assert!(!status_uris(&hub, &bob_statuses, None).await?.iter().any(|uri| uri == private_post));
    assert!(!status_uris(&hub, &bob_statuses, Some(&marie)).await?.iter().any(|uri| uri == private_post));
    Ok(())
}

/// The URL of one of the fixture's documents on the running instance.
fn local(hub: &TestInstance, url: &str) -> String {
    let url = url::Url::parse(url).unwrap();
    hub.url(url.path())
}

/// OAuth's password grant for a new app: the HTTP status and the access token.
async fn sign_in(hub: &TestInstance, username: &str, password: &str) -> anyhow::Result<(u16, String)> {
    let app: Value = hub
        .http
        .post(hub.url("/api/v1/apps"))
        .form(&[("client_name", "upgrade"), ("redirect_uris", "urn:ietf:wg:oauth:2.0:oob"), ("scopes", "read")])
        .send()
        .await?
        .json()
        .await?;
    let response = hub
        .http
        .post(hub.url("/oauth/token"))
        .form(&[
            ("grant_type", "password"),
            ("client_id", app["client_id"].as_str().unwrap()),
            ("client_secret", app["client_secret"].as_str().unwrap()),
            ("username", username),
            ("password", password),
            ("scope", "read"),
        ])
        .send()
        .await?;
    let status = response.status().as_u16();
    let token: Value = response.json().await?;
    Ok((status, token["access_token"].as_str().unwrap_or_default().to_string()))
}

async fn api_get(hub: &TestInstance, path: &str, token: Option<&str>) -> anyhow::Result<(u16, Value)> {
    let mut request = hub.http.get(hub.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await?;
    Ok((response.status().as_u16(), response.json().await?))
}

/// The `uri`s of the statuses a listing shows to `token` (anonymous: `None`).
async fn status_uris(hub: &TestInstance, path: &str, token: Option<&str>) -> anyhow::Result<Vec<String>> {
    let (status, list) = api_get(hub, path, token).await?;
    anyhow::ensure!(status == 200, "GET {path}: {status} {list}");
    Ok(list.as_array().unwrap().iter().filter_map(|s| s["uri"].as_str().map(str::to_string)).collect())
}
