//! The `maillage` binary as a script runs it: a command that fails prints
//! one line on standard error and exits with its `sysexits.h` code (see
//! `docs/operations.md`), and a refused command changes nothing.

use std::process::{Output, Stdio};

use maillage_tests::TestInstance;
use maillage_tests::process::binary;

/// Runs the `maillage` binary on `instance`'s database and domain, with
/// `settings` as extra `MAILLAGE__SECTION__KEY` variables.
async fn maillage(instance: &TestInstance, settings: &[(&str, &str)], args: &[&str]) -> anyhow::Result<Output> {
    Ok(tokio::process::Command::new(binary()?)
        .args(args)
        .env_remove("RUST_LOG")
        .env("MAILLAGE__INSTANCE__DOMAIN", &instance.domain)
        .env("MAILLAGE__DATABASE__URL", &instance.config.database.url)
        .env("MAILLAGE__DATABASE__MAX_CONNECTIONS", "2")
        .envs(settings.iter().copied())
        .stdin(Stdio::null())
        .output()
        .await?)
}

/// Checks that `args` failed with `code` and one error line holding `message`.
async fn assert_fails(
    instance: &TestInstance,
    settings: &[(&str, &str)],
    args: &[&str],
    code: i32,
    message: &str,
) -> anyhow::Result<()> {
    let output = maillage(instance, settings, args).await?;
    let stderr = String::from_utf8(output.stderr)?;
    assert_eq!(output.status.code(), Some(code), "{args:?}: {stderr}");
    assert!(stderr.starts_with("maillage: error: ") && stderr.contains(message), "{args:?}: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "{args:?}: one line: {stderr}");
    assert!(output.stdout.is_empty(), "{args:?} printed {:?}", String::from_utf8_lossy(&output.stdout));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_input_exits_65_and_changes_nothing() -> anyhow::Result<()> {
    let instance = TestInstance::spawn().await?;
    let domain = instance.domain.as_str();
    assert_fails(&instance, &[], &["admin", "domain", "block", domain], 65, "this is our own domain").await?;
    assert_fails(&instance, &[], &["admin", "domain", "block", "not a domain"], 65, "domain: ").await?;
    assert_fails(
        &instance,
        &[],
        &["admin", "domain", "remove", "nowhere.example"],
        65,
        "nowhere.example is neither blocked nor allowed",
    )
    .await?;
    assert_eq!(instance.cli(&["admin", "domain", "list"]).await?, "", "nothing was written");

    // The same command with a domain it may block succeeds.
    let output = maillage(&instance, &[], &["admin", "domain", "block", "elsewhere.example"]).await?;
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(instance.cli(&["admin", "domain", "list"]).await?.contains("elsewhere.example"));
    instance.shutdown().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_setting_exits_78_naming_the_choices() -> anyhow::Result<()> {
    let instance = TestInstance::spawn().await?;
    let bad_mode = [("MAILLAGE__FEDERATION__MODE", "sometimes")];
    assert_fails(&instance, &bad_mode, &["config", "check"], 78, "\"sometimes\" is not a mode: choose open").await?;
    assert_fails(&instance, &bad_mode, &["admin", "domain", "block", "elsewhere.example"], 78, "is not a mode").await?;
    assert_eq!(instance.cli(&["admin", "domain", "list"]).await?, "", "nothing was written");

    let output = maillage(&instance, &[], &["config", "check"]).await?;
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    instance.shutdown().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_an_enterprise_asks_for_yes_and_names_what_is_missing() -> anyhow::Result<()> {
    let instance = TestInstance::spawn().await?;
    instance.cli(&["admin", "enterprise", "create", "coop", "--name", "Coop"]).await?;
    let delete = ["admin", "enterprise", "delete", "coop"];
    assert_fails(&instance, &[], &delete, 65, "cannot be undone: run again with --yes").await?;
    assert!(instance.cli(&["admin", "enterprise", "list"]).await?.contains("@coop@"), "nothing was deleted");
    let unknown = ["admin", "enterprise", "delete", "nobody", "--yes"];
    assert_fails(&instance, &[], &unknown, 65, "no enterprise \"nobody\"").await?;

    let output = maillage(&instance, &[], &["admin", "enterprise", "delete", "coop", "--yes"]).await?;
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let twice = ["admin", "enterprise", "delete", "coop", "--yes"];
    assert_fails(&instance, &[], &twice, 65, "already deleted").await?;
    instance.shutdown().await
}
