//! The skeleton: instances start, answer, restart and stop cleanly, and the
//! CLI acts on the same database.

use maillage_tests::TestInstance;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_serve_side_by_side() -> anyhow::Result<()> {
    let first = TestInstance::spawn().await?;
    let second = TestInstance::spawn().await?;
    assert_ne!(first.base_url, second.base_url);
    for instance in [&first, &second] {
        let response = instance.get("/healthz").await?;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await?;
        assert_eq!(body["status"], "ok");
        assert_eq!(body["database"], instance.kind().as_str());
    }
    first.shutdown().await?;
    // The other instance is unaffected.
    assert_eq!(second.get("/healthz").await?.status(), 200);
    second.shutdown().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_routes_and_big_bodies_get_json_errors() -> anyhow::Result<()> {
    let instance = TestInstance::spawn().await?;
    let response = instance.get("/no/such/thing").await?;
    assert_eq!(response.status(), 404);
    assert!(response.json::<Value>().await?["error"].is_string());

    let big = vec![b'{'; instance.config.server.max_body_bytes + 1];
    let response = instance.http.post(instance.url("/healthz")).body(big).send().await?;
    assert_eq!(response.status(), 413);
    assert_eq!(response.json::<Value>().await?["error"], "request body too large");
    instance.shutdown().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_keeps_serving_the_same_database() -> anyhow::Result<()> {
    let instance = TestInstance::spawn().await?;
    let base = instance.base_url.clone();
    let instance = instance.restart().await?;
    assert_eq!(instance.base_url, base);
    assert_eq!(instance.get("/healthz").await?.status(), 200);
    let printed = instance.cli(&["migrate"]).await?;
    assert!(printed.contains("(0 migration(s) applied now)"), "{printed}");
    instance.shutdown().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_check_masks_secrets() -> anyhow::Result<()> {
    let instance = TestInstance::spawn().await?;
    let printed = instance.cli(&["config", "check"]).await?;
    assert!(printed.contains(&format!("domain = \"{}\"", instance.domain)), "{printed}");
    if let Some(password) = url_password(&instance.config.database.url) {
        assert!(!printed.contains(&password), "password printed: {printed}");
        assert!(printed.contains("********"), "{printed}");
    }
    // Whatever the backend under test: a database URL with a password, set
    // through the environment as an operator would (`config check` does
    // not connect).
    let secret = "Mot-de-passe-9f3c";
    let url = format!("postgres://maillage:{secret}@db.internal:5432/maillage");
    let config = maillage_tests::test_config(1, &url, Box::new(|_| {}))?;
    assert_eq!(config.database.url, url, "the password reaches the configuration");
    let printed = maillage_tests::run_cli(&config, &["config", "check"], "").await?;
    assert!(!printed.contains(secret), "password printed: {printed}");
    assert!(printed.contains("postgres://maillage:********@db.internal:5432/maillage"), "{printed}");
    instance.shutdown().await
}

fn url_password(url: &str) -> Option<String> {
    let after_scheme = url.split("://").nth(1)?;
    let credentials = after_scheme.split('@').next().filter(|_| after_scheme.contains('@'))?;
    credentials.split(':').nth(1).map(str::to_string)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_keeps_its_domain() -> anyhow::Result<()> {
    let instance = TestInstance::spawn().await?;
    let mut moved = instance.config.clone();
    moved.instance.domain = "localhost:1".to_string();
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let error = maillage_server::Application::build_with_listener(moved, listener)
        .await
        .err()
        .expect("a database created for another domain is refused");
    let message = error.to_string();
    assert!(message.contains(&instance.domain) && message.contains("instance.domain"), "{message}");
    // Nothing was harmed: the original instance still serves.
    assert_eq!(instance.get("/healthz").await?.status(), 200);
    instance.shutdown().await
}
