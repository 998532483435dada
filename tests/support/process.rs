//! Maillage as a real operating-system process (`maillage serve`), for the
//! tests that kill a server outright (SIGKILL) or run several servers on
//! one database. The binary is the one `scripts/test` builds
//! (`target/debug/maillage`, beside the test executable's directory).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use maillage_config::Config;

/// The `maillage` binary of this build.
pub fn binary() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let dir = exe.parent().and_then(|deps| deps.parent()).context("no target directory")?;
    let binary = dir.join("maillage");
    anyhow::ensure!(
        binary.exists(),
        "{} is missing: build it first with `cargo build -p maillage-server` (scripts/test does)",
        binary.display()
    );
    Ok(binary)
}

/// A `maillage serve` process.
pub struct ProcessInstance {
    pub base_url: String,
    pub domain: String,
    /// What the process reads, for running CLI commands beside it.
    pub config: Config,
    env: Vec<(String, String)>,
    listen_port: u16,
    child: Option<tokio::process::Child>,
    /// Where the process writes its log (its standard output), appended
    /// across restarts.
    log: tempfile::NamedTempFile,
    /// The local media directory, unless the settings name one.
    _media: tempfile::TempDir,
}

impl ProcessInstance {
    /// Starts a server listening on `listen_port` for the instance
    /// `localhost:<domain_port>` (the same for every process of one
    /// instance), on `database_url`, with `settings` as extra
    /// `MAILLAGE__SECTION__KEY` variables.
    pub async fn spawn(
        database_url: &str,
        listen_port: u16,
        domain_port: u16,
        settings: &[(&str, &str)],
    ) -> anyhow::Result<Self> {
        let mut env: Vec<(String, String)> = vec![
            ("MAILLAGE__SERVER__LISTEN".into(), format!("127.0.0.1:{listen_port}")),
            ("MAILLAGE__INSTANCE__DOMAIN".into(), format!("localhost:{domain_port}")),
            ("MAILLAGE__DATABASE__URL".into(), database_url.to_string()),
            ("MAILLAGE__DATABASE__MAX_CONNECTIONS".into(), "4".into()),
            ("MAILLAGE__DELIVERY__POLL_INTERVAL_MS".into(), "100".into()),
            ("MAILLAGE__DELIVERY__RETRY_INITIAL_SECONDS".into(), "1".into()),
            ("MAILLAGE__LOG__FILTER".into(), "warn".into()),
        ];
        let media = tempfile::tempdir()?;
        if !settings.iter().any(|(k, _)| *k == "MAILLAGE__MEDIA__DIRECTORY") {
            env.push(("MAILLAGE__MEDIA__DIRECTORY".into(), media.path().join("media").to_string_lossy().into_owned()));
        }
        env.extend(settings.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let config = Config::load_with_env(None, env.clone())?;
        config.validate()?;
        let mut instance = ProcessInstance {
            base_url: format!("http://localhost:{domain_port}"),
            domain: format!("localhost:{domain_port}"),
            config,
            env,
            listen_port,
            child: None,
            log: tempfile::NamedTempFile::new()?,
            _media: media,
        };
        instance.start().await?;
        Ok(instance)
    }

    async fn start(&mut self) -> anyhow::Result<()> {
        let child = tokio::process::Command::new(binary()?)
            .arg("serve")
            .env_remove("RUST_LOG")
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdout(std::fs::OpenOptions::new().append(true).open(self.log.path())?)
            .kill_on_drop(true)
            .spawn()
            .context("starting maillage serve")?;
        self.child = Some(child);
        let health = format!("http://127.0.0.1:{}/healthz", self.listen_port);
        crate::eventually(30, "the process serves /healthz", || async {
            Ok(reqwest::get(&health).await.is_ok_and(|r| r.status().is_success()))
        })
        .await
    }

    /// What the process has logged so far (its filter is `warn` unless the
    /// settings say otherwise).
    pub fn log(&self) -> anyhow::Result<String> {
        Ok(std::fs::read_to_string(self.log.path())?)
    }

    /// SIGKILL: no shutdown, no cleanup, as in a crash or an OOM kill.
    pub async fn kill(&mut self) -> anyhow::Result<()> {
        if let Some(mut child) = self.child.take() {
            child.start_kill()?;
            child.wait().await?;
        }
        Ok(())
    }

    /// Starts the process again after [`Self::kill`].
    pub async fn restart(&mut self) -> anyhow::Result<()> {
        let mut last = None;
        for _ in 0..50 {
            match std::net::TcpListener::bind(("127.0.0.1", self.listen_port)) {
                Ok(probe) => {
                    drop(probe);
                    return self.start().await;
                }
                Err(e) => last = Some(e),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        anyhow::bail!("port {} stayed busy: {last:?}", self.listen_port)
    }

    /// Runs a `maillage` command against this instance's configuration.
    pub async fn cli(&self, args: &[&str]) -> anyhow::Result<String> {
        crate::run_cli(&self.config, args, "").await
    }

    pub async fn cli_with_input(&self, args: &[&str], input: &str) -> anyhow::Result<String> {
        crate::run_cli(&self.config, args, input).await
    }

    pub fn actor_id(&self, handle: &str) -> String {
        format!("{}/actors/{handle}", self.base_url)
    }
}
