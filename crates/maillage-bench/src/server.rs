//! A `maillage serve` process (the release binary) for a benchmark step,
//! with its resident memory read from /proc.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;

pub fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// The environment of an instance on `port` with `database_url`.
pub fn instance_env(port: u16, database_url: &str, extra: &[(&str, String)]) -> Vec<(String, String)> {
    let mut env = vec![
        ("MAILLAGE__SERVER__LISTEN".to_string(), format!("127.0.0.1:{port}")),
        ("MAILLAGE__INSTANCE__DOMAIN".to_string(), format!("localhost:{port}")),
        ("MAILLAGE__DATABASE__URL".to_string(), database_url.to_string()),
        ("MAILLAGE__LOG__FILTER".to_string(), "warn".to_string()),
        // The load comes from one address and, per step, a few servers.
        ("MAILLAGE__LIMITS__INBOX_PER_5_MINUTES_PER_ADDRESS".to_string(), "1000000000".to_string()),
        ("MAILLAGE__LIMITS__INBOX_PER_5_MINUTES_PER_SERVER".to_string(), "1000000000".to_string()),
        ("MAILLAGE__DELIVERY__POLL_INTERVAL_MS".to_string(), "50".to_string()),
    ];
    env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.clone())));
    env
}

pub struct Server {
    child: std::process::Child,
    pub port: u16,
}

impl Server {
    pub async fn start(binary: &Path, env: &[(String, String)], port: u16) -> anyhow::Result<Self> {
        let child = std::process::Command::new(binary)
            .arg("serve")
            .env_remove("RUST_LOG")
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdout(std::process::Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let server = Server { child, port };
        let health = format!("http://127.0.0.1:{port}/healthz");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if reqwest::get(&health).await.is_ok_and(|r| r.status().is_success()) {
                return Ok(server);
            }
            anyhow::ensure!(Instant::now() < deadline, "the server did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident memory now, in MiB; an error when the server has exited
    /// (a crashed server uses no memory, which is no measurement).
    pub fn rss_mib(&mut self) -> anyhow::Result<f64> {
        if let Some(status) = self.child.try_wait()? {
            anyhow::bail!("the server on port {} exited ({status})", self.port);
        }
        let kib = rss_kib(self.pid()).with_context(|| format!("no VmRSS for the server (pid {})", self.pid()))?;
        Ok(kib as f64 / 1024.0)
    }

    pub fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The resident memory of process `pid` in KiB, `None` when it is gone.
pub fn rss_kib(pid: u32) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:").and_then(|v| v.split_whitespace().next()?.parse().ok()))
}

/// Runs a `maillage` command (e.g. `admin post note ...`) with `env`.
pub fn cli(binary: &Path, env: &[(String, String)], args: &[&str], input: &str) -> anyhow::Result<String> {
    use std::io::Write;
    let mut child = std::process::Command::new(binary)
        .args(args)
        .env_remove("RUST_LOG")
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(input.as_bytes())?;
    }
    let output = child.wait_with_output()?;
    anyhow::ensure!(output.status.success(), "maillage {args:?} failed: {}", String::from_utf8_lossy(&output.stderr));
    Ok(String::from_utf8(output.stdout)?)
}

/// The release `maillage` binary beside this one.
pub fn default_binary() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    Ok(exe.parent().context("no directory")?.join("maillage"))
}
