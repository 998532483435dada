//! The web pages through a real server: the network directory across two
//! instances, and a real browser (headless Chromium driven by
//! playwright-core, prepared by `scripts/test`) searching, filtering,
//! logging in, posting and switching language; and a web client on another
//! origin (masto, Elk's and Phanpy's library) signing in with PKCE and
//! using the API. Screenshots go to `target/browser-artifacts/`.

use std::process::Stdio;

use maillage_tests::{TestInstance, eventually};

const BROWSER_SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/browser/web.mjs");
const MASTO_SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/browser/masto.mjs");

/// Where playwright-core, masto and esbuild are installed (`scripts/test`
/// sets MAILLAGE_PLAYWRIGHT_DIR) and the Chromium to drive; `None` skips
/// the browser test, except where `MAILLAGE_REQUIRE_PEERS` says it must run.
pub(crate) fn browser_tools() -> Option<(String, String)> {
    let playwright = std::env::var("MAILLAGE_PLAYWRIGHT_DIR").ok().filter(|d| !d.is_empty());
    let chromium = std::env::var("MAILLAGE_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_string());
    let installed = playwright.as_deref().is_some_and(|dir| {
        ["playwright-core", "masto", "esbuild"]
            .iter()
            .all(|package| std::path::Path::new(dir).join("node_modules").join(package).is_dir())
    }) && std::path::Path::new(&chromium).exists();
    if !installed {
        assert!(
            std::env::var_os("MAILLAGE_REQUIRE_PEERS").is_none(),
            "the browser tests need Chromium ({chromium}) and playwright-core, masto and esbuild in MAILLAGE_PLAYWRIGHT_DIR (scripts/test installs them)"
        );
        maillage_tests::skipped("no Chromium or browser packages; run scripts/test to install them");
        return None;
    }
    playwright.map(|p| (p, chromium))
}

/// Runs a script of `tests/browser` with Node.js as the member marie, and
/// checks it passed: a zero exit and its `passed` line.
pub(crate) async fn run_browser_script(
    script: &str,
    args: &[&str],
    (playwright, chromium): (&str, &str),
    passed: &str,
) -> anyhow::Result<()> {
    let output = tokio::process::Command::new("node")
        .arg(script)
        .args(args)
        .env("MAILLAGE_PLAYWRIGHT_DIR", playwright)
        .env("MAILLAGE_CHROMIUM", chromium)
        .env("MAILLAGE_BROWSER_USER", "marie")
        .env("MAILLAGE_BROWSER_PASSWORD", "un mot de passe sûr")
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output()
        .await?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{script} failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains(passed), "{stdout}");
    Ok(())
}

async fn enterprise(instance: &TestInstance, handle: &str, name: &str, args: &[&str]) -> anyhow::Result<()> {
    instance.cli(&["admin", "enterprise", "create", handle, "--name", name]).await?;
    let mut update = vec!["admin", "enterprise", "update", handle, "--name-fr", name];
    update.extend_from_slice(args);
    instance.cli(&update).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_network_directory_lists_the_enterprises_of_followed_hubs() -> anyhow::Result<()> {
    let a = TestInstance::spawn().await?;
    let b = TestInstance::spawn().await?;
    enterprise(&b, "locale", "Épicerie locale", &["--region", "montreal", "--legal-form", "nonprofit"]).await?;
    b.cli(&["admin", "follow", "--as", "hub", &format!("@hub@{}", a.domain)]).await?;
    eventually(15, "B follows A", || async {
        Ok(b.collection_items(&format!("{}/following", b.actor_id("hub"))).await? == vec![a.actor_id("hub")])
    })
    .await?;
    // A's enterprise changes its profile: the Update reaches B through A's hub.
    enterprise(&a, "velo", "Coop Vélo <Estrie>", &["--region", "estrie", "--legal-form", "cooperative"]).await?;
    let network = b.url("/directory?scope=network&lang=en");
    eventually(30, "A's enterprise in B's network directory", || async {
        Ok(reqwest::get(&network).await?.text().await?.contains("Coop Vélo &#60;Estrie&#62;"))
    })
    .await?;
    let html = reqwest::get(&network).await?.text().await?;
    assert!(html.contains(&format!("href=\"{}\"", a.actor_id("velo"))), "links to its own hub's page: {html}");
    assert!(html.contains(&format!("@velo@{} · From the network", a.domain)), "{html}");
    assert!(!html.contains("Épicerie locale"), "scope=network leaves local ones out");
    let all = reqwest::get(b.url("/directory?legal_form=cooperative")).await?.text().await?;
    assert!(all.contains("Coop Vélo") && !all.contains("Épicerie locale"));
    let local = reqwest::get(b.url("/directory?scope=local")).await?.text().await?;
    assert!(local.contains("Épicerie locale") && !local.contains("Coop Vélo"));
    // Content negotiation on the same URL: a browser gets B's page, a server JSON.
    let page = reqwest::Client::new().get(b.actor_id("locale")).header("accept", "text/html").send().await?;
    assert!(page.headers()["content-type"].to_str()?.starts_with("text/html"));
    assert!(page.text().await?.contains("<h1>Épicerie locale</h1>"));
    let json: serde_json::Value = b.get_activity(&b.actor_id("locale")).await?.json().await?;
    assert_eq!(json["type"], "Organization");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_searches_filters_logs_in_posts_and_switches_language() -> anyhow::Result<()> {
    let Some((playwright, chromium)) = browser_tools() else { return Ok(()) };
    let site = TestInstance::spawn().await?;
    enterprise(
        &site,
        "ferme",
        "Ferme coopérative du Lac",
        &[
            "--name-en",
            "Lake Co-op Farm",
            "--summary-fr",
            "Maraîchage biologique",
            "--summary-en",
            "Organic market gardening",
            "--region",
            "estrie",
            "--legal-form",
            "cooperative",
            "--coop-type",
            "workers",
            "--lat",
            "45.40",
            "--lon",
            "-71.89",
        ],
    )
    .await?;
    enterprise(&site, "atelier", "Atelier vélo de Montréal", &["--region", "montreal", "--legal-form", "cooperative"])
        .await?;
    enterprise(
        &site,
        "cafe",
        "Café solidaire de Sherbrooke",
        &[
            "--summary-fr",
            "Un café en coop de solidarité",
            "--region",
            "estrie",
            "--legal-form",
            "nonprofit",
            "--lat",
            "45.402",
            "--lon",
            "-71.893",
        ],
    )
    .await?;
    site.cli_with_input(&["admin", "user", "create", "marie"], "un mot de passe sûr\n").await?;
    site.cli(&["admin", "enterprise", "add-editor", "ferme", "marie"]).await?;

    let artifacts = concat!(env!("CARGO_MANIFEST_DIR"), "/../target/browser-artifacts");
    run_browser_script(
        BROWSER_SCRIPT,
        &[&site.base_url, artifacts],
        (&playwright, &chromium),
        "all browser checks passed",
    )
    .await?;
    for shot in ["directory-facets", "directory-map-cluster", "enterprise", "workspace", "home-en", "post-photo"] {
        assert!(std::path::Path::new(&format!("{artifacts}/{shot}.png")).is_file(), "screenshot {shot}");
    }
    Ok(())
}

/// A web client served from another origin signs a member in through the
/// OAuth form with PKCE and uses the API with masto in Chromium.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_web_client_on_another_origin_signs_in_with_pkce_and_uses_the_api() -> anyhow::Result<()> {
    let Some((playwright, chromium)) = browser_tools() else { return Ok(()) };
    let site = TestInstance::spawn().await?;
    for name in ["marie", "paul"] {
        site.cli_with_input(&["admin", "user", "create", name], "un mot de passe sûr\n").await?;
    }
    let paul = site.cli(&["admin", "token", "create", "paul", "--scopes", "read write"]).await?;
    let mention = reqwest::Client::new()
        .post(site.url("/api/v1/statuses"))
        .bearer_auth(paul.trim())
        .form(&[("status", "Bonjour @marie, bienvenue !")])
        .send()
        .await?;
    assert_eq!(mention.status(), 200, "{}", mention.text().await?);
    run_browser_script(MASTO_SCRIPT, &[&site.base_url], (&playwright, &chromium), "all masto checks passed").await?;
    Ok(())
}

/// "Follow from your server": the reader's server (here a small WebFinger
/// server on loopback) gives its subscribe template; the reader is sent there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follow_from_your_server_redirects_to_the_readers_server() -> anyhow::Result<()> {
    use axum::routing::get;
    let site = TestInstance::spawn().await?;
    site.cli(&["admin", "enterprise", "create", "ferme", "--name", "Ferme"]).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let template = format!("http://localhost:{port}/authorize_interaction?uri={{uri}}");
    let webfinger = axum::Router::new().route(
        "/.well-known/webfinger",
        get(move || {
            let template = template.clone();
            async move {
                axum::Json(serde_json::json!({
                    "subject": format!("acct:me@localhost:{port}"),
                    "links": [{ "rel": "http://ostatus.org/schema/1.0/subscribe", "template": template }],
                }))
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, webfinger).await });

    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    let target = format!("ferme@{}", site.domain);
    let response = client
        .get(site.url("/follow"))
        .query(&[("target", target.as_str()), ("handle", &format!("@me@localhost:{port}"))])
        .send()
        .await?;
    assert_eq!(response.status(), 303);
    let expected = format!(
        "http://localhost:{port}/authorize_interaction?uri={}",
        url::form_urlencoded::byte_serialize(format!("acct:{target}").as_bytes()).collect::<String>()
    );
    assert_eq!(response.headers()["location"], expected.as_str());

    // A server that does not answer: an explanation, not an error page.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let response = client
        .get(site.url("/follow"))
        .query(&[("target", target.as_str()), ("handle", &format!("me@localhost:{closed}"))])
        .send()
        .await?;
    assert_eq!(response.status(), 400);
    assert!(response.text().await?.contains(&format!("@{target}")));
    Ok(())
}
