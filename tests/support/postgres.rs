//! A PostgreSQL server of the test's own, for the tests that stop and start
//! the server itself (the suite's shared cluster must stay up for the
//! others). Debian's binaries (`/usr/lib/postgresql/*/bin`), run as the
//! `postgres` user when the tests run as root; commits are durable (fsync
//! on, as in production), unlike the suite's throwaway cluster.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context;

/// A running (or stopped) cluster in a temporary directory, removed on drop.
pub struct OwnPostgres {
    bindir: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
    run_as: Option<&'static str>,
}

/// The directory of the newest installed PostgreSQL server binaries.
pub fn server_binaries() -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| entry.ok().map(|e| e.path().join("bin")))
        .filter(|bin| bin.join("initdb").exists() && bin.join("pg_ctl").exists())
        .collect();
    dirs.sort_by_key(|dir| {
        dir.parent().and_then(|v| v.file_name()).and_then(|v| v.to_str()).and_then(|v| v.parse::<u32>().ok())
    });
    dirs.pop()
}

impl OwnPostgres {
    /// Creates and starts a cluster on a free loopback port with `options`
    /// (`-c name=value ...`). `None` when no server binaries are installed.
    pub fn start(options: &str) -> anyhow::Result<Option<Self>> {
        let Some(bindir) = server_binaries() else { return Ok(None) };
        // PostgreSQL refuses to run as root.
        let root = Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"));
        let dir = tempfile::Builder::new().prefix("maillage-own-pg-").tempdir()?;
        let run_as = root.then_some("postgres");
        if run_as.is_some() {
            Command::new("chown").args(["postgres", &dir.path().display().to_string()]).status()?;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let cluster = OwnPostgres { bindir, dir, port, run_as };
        cluster.run("initdb", &["-D", &cluster.data(), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"])?;
        std::fs::write(cluster.dir.path().join("options"), options)?;
        cluster.resume()?;
        Ok(Some(cluster))
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    /// The directory the cluster lives in (its certificates, logs...).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// A superuser URL of the `postgres` database.
    pub fn admin_url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Stops the server as an operator would (`pg_ctl stop -m fast`: open
    /// connections are cut, committed work is on disk).
    pub fn stop(&self) -> anyhow::Result<()> {
        self.run("pg_ctl", &["-D", &self.data(), "-m", "fast", "-w", "stop"])
    }

    /// Starts it again on the same port.
    pub fn resume(&self) -> anyhow::Result<()> {
        let options = std::fs::read_to_string(self.dir.path().join("options"))?;
        let socket_dir = self.dir.path().display().to_string();
        let server_options =
            format!("-p {} -k {socket_dir} -c listen_addresses=127.0.0.1 -c max_connections=100 {options}", self.port);
        let log = self.dir.path().join("server.log").display().to_string();
        self.run("pg_ctl", &["-D", &self.data(), "-l", &log, "-w", "-t", "60", "-o", &server_options, "start"])
            .with_context(|| std::fs::read_to_string(&log).unwrap_or_default())
    }

    fn run(&self, tool: &str, args: &[&str]) -> anyhow::Result<()> {
        let program = self.bindir.join(tool);
        let output = match self.run_as {
            Some(user) => Command::new("runuser").args(["-u", user, "--"]).arg(&program).args(args).output(),
            None => Command::new(&program).args(args).output(),
        }
        .with_context(|| format!("running {}", program.display()))?;
        anyhow::ensure!(
            output.status.success(),
            "{tool} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        Ok(())
    }
}

impl Drop for OwnPostgres {
    fn drop(&mut self) {
        let _ = self.run("pg_ctl", &["-D", &self.data(), "-m", "immediate", "stop"]);
    }
}
