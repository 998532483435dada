//! Third-party peers: the Fedify library (npm), driven by
//! `shared/peers/peer-fedify.sh`, finds our actors, follows one and
//! verifies the signed `Accept` it gets back. Runs wherever Node.js is
//! installed; `.ci/run` makes sure it is in CI.

use std::process::Stdio;

use maillage_tests::TestInstance;

const PEER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/peers/peer-fedify.sh");

fn node_available() -> bool {
    std::process::Command::new("node").arg("--version").stdout(Stdio::null()).status().is_ok_and(|s| s.success())
}

async fn run_peer(args: &[&str]) -> anyhow::Result<(bool, String)> {
    let output = tokio::process::Command::new("bash")
        .arg(PEER)
        .args(args)
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output()
        .await?;
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    Ok((output.status.success(), text))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fedify_resolves_follows_and_gets_accepted() -> anyhow::Result<()> {
    if !node_available() {
        // CI sets MAILLAGE_REQUIRE_PEERS and installs Node.js: there, a
        // missing peer is a failure, not a skip.
        assert!(std::env::var_os("MAILLAGE_REQUIRE_PEERS").is_none(), "Node.js is required for the Fedify peer");
        eprintln!("SKIPPED: Node.js is not installed, so the Fedify peer cannot run (CI installs it)");
        return Ok(());
    }
    assert!(std::path::Path::new(PEER).exists(), "the peer script must be at {PEER}");
    let instance = TestInstance::spawn().await?;
    instance.cli(&["admin", "enterprise", "create", "coop_velo", "--name", "Coop Vélo"]).await?;

    for handle in ["hub", "coop_velo"] {
        let (ok, output) = run_peer(&[&format!("@{handle}@{}", instance.domain)]).await?;
        assert!(ok, "Fedify could not resolve @{handle}: {output}");
        assert!(output.contains("\"problems\":[]"), "Fedify found problems with @{handle}: {output}");
    }

    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port().to_string();
    let target = format!("@coop_velo@{}", instance.domain);
    let (ok, output) =
        run_peer(&["inbox", "--port", &port, "--follow", &target, "--expect", "Accept", "--duration", "60"]).await?;
    assert!(ok, "Fedify did not get a verified Accept: {output}");
    assert!(output.contains("\"verified\":true"), "{output}");
    let followers = instance.collection_items(&format!("{}/followers", instance.actor_id("coop_velo"))).await?;
    assert_eq!(followers, vec![format!("http://localhost:{port}/i")]);
    Ok(())
}
