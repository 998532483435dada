//! Real Mastodon client libraries against Maillage: Mastodon.py (PyPI), in
//! the virtualenv `scripts/test` prepares (`MAILLAGE_PYTHON`), and megalodon
//! (npm), which it installs into `target/test-node` (`MAILLAGE_NODE_MODULES`).

use std::process::Stdio;

use maillage_tests::{TestInstance, eventually};

const MASTODON_PY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/clients/mastodon_py_client.py");
const MEGALODON: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/clients/megalodon_client.cjs");

/// The Python that has Mastodon.py, or `None` (then the test is skipped,
/// except where `MAILLAGE_REQUIRE_PEERS` says the clients must run).
pub(crate) fn python() -> Option<String> {
    maillage_tests::python::with_modules(&["mastodon"])
}

/// The `node_modules` that holds megalodon, with Node.js to run it, or
/// `None` (then the test is skipped, except under `MAILLAGE_REQUIRE_PEERS`).
pub(crate) fn megalodon_modules() -> Option<String> {
    let modules = std::env::var("MAILLAGE_NODE_MODULES")
        .ok()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/../target/test-node/node_modules").to_string());
    let installed = std::path::Path::new(&modules).join("megalodon/package.json").exists();
    let node =
        std::process::Command::new("node").arg("--version").stdout(Stdio::null()).status().is_ok_and(|s| s.success());
    if !(installed && node) {
        assert!(
            std::env::var_os("MAILLAGE_REQUIRE_PEERS").is_none(),
            "megalodon must be installed in {modules} and Node.js present (scripts/test installs it with npm)"
        );
        maillage_tests::skipped("megalodon or Node.js is missing; run scripts/test to install megalodon with npm");
        return None;
    }
    Some(modules)
}

pub(crate) async fn run_client(
    mut command: tokio::process::Command,
    name: &str,
    args: &[&str],
) -> anyhow::Result<String> {
    let output = command.args(args).stdin(Stdio::null()).kill_on_drop(true).output().await?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    anyhow::ensure!(
        output.status.success(),
        "{name} {args:?} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(stdout)
}

async fn run(python: &str, args: &[&str]) -> anyhow::Result<String> {
    let mut command = tokio::process::Command::new(python);
    command.arg(MASTODON_PY);
    run_client(command, "Mastodon.py", args).await
}

async fn run_megalodon(modules: &str, args: &[&str]) -> anyhow::Result<String> {
    let mut command = tokio::process::Command::new("node");
    command.env("NODE_PATH", modules).arg(MEGALODON);
    run_client(command, "megalodon", args).await
}

/// The JSON object a client script prints last.
fn last_json(printed: &str) -> anyhow::Result<serde_json::Value> {
    Ok(serde_json::from_str(printed.trim().lines().last().unwrap_or_default())?)
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
    let result = last_json(&printed)?;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn megalodon_logs_in_posts_with_a_warning_and_reads_tag_timelines() -> anyhow::Result<()> {
    let Some(modules) = megalodon_modules() else { return Ok(()) };
    let a = TestInstance::spawn().await?;
    let b = TestInstance::spawn().await?;
    a.cli_with_input(&["admin", "user", "create", "marie"], "un mot de passe sûr\n").await?;
    b.cli(&["admin", "enterprise", "create", "ferme", "--name", "La Ferme"]).await?;
    b.cli_with_input(&["admin", "user", "create", "luc"], "un mot de passe sûr\n").await?;
    b.cli(&["admin", "enterprise", "add-editor", "ferme", "luc"]).await?;

    let remote = format!("@ferme@{}", b.domain);
    let printed = run_megalodon(&modules, &["setup", &a.base_url, "marie", "un mot de passe sûr", &remote]).await?;
    let result = last_json(&printed)?;
    assert_eq!(result["followed"], format!("ferme@{}", b.domain));
    let served: serde_json::Value = a.get_activity(result["status"].as_str().unwrap()).await?.json().await?;
    assert_eq!((served["summary"].as_str(), served["sensitive"].as_bool()), (Some("Changement"), Some(true)));

    eventually(15, "B accepts marie's follow", || async {
        Ok(b.collection_items(&format!("{}/followers", b.actor_id("ferme"))).await?.contains(&a.actor_id("marie")))
    })
    .await?;
    b.cli(&[
        "admin",
        "post",
        "note",
        "--enterprise",
        "ferme",
        "--author",
        "luc",
        "--text",
        "Semis de printemps #Potager",
    ])
    .await?;
    let token = result["token"].as_str().unwrap();
    let arrived = run_megalodon(&modules, &["wait-tag", &a.base_url, token, "potager", "Semis", "20"]).await?;
    assert!(arrived.contains(&format!("ferme@{}", b.domain)), "{arrived}");
    Ok(())
}
