//! Real Mastodon client libraries against Maillage: Mastodon.py (PyPI),
//! in the virtualenv `scripts/test` prepares (`MAILLAGE_PYTHON`).

use std::process::Stdio;

use maillage_tests::{TestInstance, eventually};

const MASTODON_PY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/clients/mastodon_py_client.py");

/// The Python that has Mastodon.py, or `None` (then the test is skipped,
/// except where `MAILLAGE_REQUIRE_PEERS` says the clients must run).
fn python() -> Option<String> {
    let python = std::env::var("MAILLAGE_PYTHON").ok().filter(|p| !p.is_empty());
    if python.is_none() {
        assert!(
            std::env::var_os("MAILLAGE_REQUIRE_PEERS").is_none(),
            "MAILLAGE_PYTHON must name a Python with Mastodon.py (scripts/test prepares one)"
        );
        eprintln!("SKIPPED: MAILLAGE_PYTHON is not set; run scripts/test to use the real client libraries");
    }
    python
}

async fn run(python: &str, args: &[&str]) -> anyhow::Result<String> {
    let output = tokio::process::Command::new(python)
        .arg(MASTODON_PY)
        .args(args)
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output()
        .await?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    anyhow::ensure!(
        output.status.success(),
        "Mastodon.py {args:?} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(stdout)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mastodon_py_logs_in_posts_and_follows_across_instances() -> anyhow::Result<()> {
    let Some(python) = python() else { return Ok(()) };
    let a = TestInstance::spawn().await?;
    let b = TestInstance::spawn().await?;
    a.cli(&["admin", "enterprise", "create", "coop", "--name", "La Coop"]).await?;
    a.cli_with_input(&["admin", "user", "create", "marie"], "un mot de passe sûr\n").await?;
    a.cli(&["admin", "enterprise", "add-editor", "coop", "marie"]).await?;
    b.cli(&["admin", "enterprise", "create", "ferme", "--name", "La Ferme"]).await?;
    b.cli_with_input(&["admin", "user", "create", "luc"], "un mot de passe sûr\n").await?;
    b.cli(&["admin", "enterprise", "add-editor", "ferme", "luc"]).await?;

    let remote = format!("@ferme@{}", b.domain);
    let printed = run(&python, &["setup", &a.base_url, "marie", "un mot de passe sûr", "coop", &remote]).await?;
    let result: serde_json::Value = serde_json::from_str(printed.trim().lines().last().unwrap_or_default())?;
    assert_eq!(result["followed"], format!("ferme@{}", b.domain));
    let enterprise_status = result["enterprise_status"].as_str().unwrap();
    let served: serde_json::Value = a.get_activity(enterprise_status).await?.json().await?;
    assert_eq!(served["attributedTo"], a.actor_id("coop"), "posted as the enterprise");

    eventually(15, "B accepts marie's follow", || async {
        Ok(b.collection_items(&format!("{}/followers", b.actor_id("ferme"))).await?.contains(&a.actor_id("marie")))
    })
    .await?;
    b.cli(&["admin", "post", "note", "--enterprise", "ferme", "--author", "luc", "--text", "Les paniers sont prêts"])
        .await?;
    let token = result["token"].as_str().unwrap();
    let arrived = run(&python, &["wait-home", &a.base_url, token, "paniers sont prêts", "20"]).await?;
    assert!(arrived.contains(&format!("ferme@{}", b.domain)), "{arrived}");
    Ok(())
}
