//! A PostgreSQL cluster of a test's own, for what the suite's shared server
//! cannot do (TLS switched on, for one): Debian's server binaries
//! (`/usr/lib/postgresql/*/bin`) run `initdb` and `pg_ctl` in a temporary
//! directory, on a free loopback port, as the `postgres` user when the test
//! runs as root (PostgreSQL refuses root), as `scripts/lib/postgres.sh` does.
//! The cluster is stopped and removed when the value is dropped.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context;

/// The account the server runs as when the tests run as root.
const SERVER_USER: &str = "postgres";

pub struct OwnPostgres {
    dir: tempfile::TempDir,
    bindir: PathBuf,
    pub port: u16,
    as_root: bool,
}

impl OwnPostgres {
    /// The directory of the newest installed server binaries, if any.
    pub fn bindir() -> Option<PathBuf> {
        let mut dirs: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(Result::ok)
            .filter_map(|entry| Some((entry.file_name().to_str()?.parse().ok()?, entry.path().join("bin"))))
            .filter(|(_, bin)| bin.join("initdb").exists() && bin.join("pg_ctl").exists())
            .collect();
        dirs.sort();
        dirs.pop().map(|(_, bin)| bin)
    }

    /// Creates and starts a cluster (`postgresql.conf` lines in `settings`,
    /// which may turn `fsync` back on: it is off by default, as in the
    /// suite's cluster) whose `postgres` superuser is trusted on 127.0.0.1.
    pub fn start(bindir: PathBuf, settings: &str) -> anyhow::Result<Self> {
        let as_root = Command::new("id").arg("-u").output()?.stdout.starts_with(b"0\n");
        let dir = tempfile::Builder::new().prefix("maillage-own-pg-").tempdir()?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let cluster = OwnPostgres { dir, bindir, port, as_root };
        cluster.give_to_server(cluster.dir.path())?;
        let data = cluster.data_dir();
        cluster
            .run("initdb", &["-D", path_str(&data)?, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"])?;
        let conf = data.join("postgresql.conf");
        let mut text = std::fs::read_to_string(&conf)?;
        text.push_str(&format!(
            "\nport = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{}'\nfsync = off\n{settings}\n",
            cluster.dir.path().display()
        ));
        std::fs::write(&conf, text)?;
        let log = cluster.log_path();
        cluster.run("pg_ctl", &["-D", path_str(&data)?, "-l", path_str(&log)?, "-w", "-t", "30", "start"])?;
        Ok(cluster)
    }

    /// `postgres://postgres@HOST:PORT/postgres` with `params` as its query.
    pub fn url(&self, host: &str, params: &str) -> String {
        let query = if params.is_empty() { String::new() } else { format!("?{params}") };
        format!("postgres://postgres@{host}:{}/postgres{query}", self.port)
    }

    /// A directory the server can read, for files it is given.
    pub fn files_dir(&self) -> &Path {
        self.dir.path()
    }

    /// Makes `path` the server's (its key file must be its own, mode 0600).
    pub fn give_to_server(&self, path: &Path) -> anyhow::Result<()> {
        if self.as_root {
            let status = Command::new("chown").arg(SERVER_USER).arg(path).status()?;
            anyhow::ensure!(status.success(), "chown {SERVER_USER} {} failed", path.display());
        }
        Ok(())
    }

    /// Appends `settings` to `postgresql.conf` and has the server read it again.
    pub fn reconfigure(&self, settings: &str) -> anyhow::Result<()> {
        let conf = self.data_dir().join("postgresql.conf");
        let mut text = std::fs::read_to_string(&conf)?;
        text.push_str(&format!("\n{settings}\n"));
        std::fs::write(&conf, text)?;
        self.run("pg_ctl", &["-D", path_str(&self.data_dir())?, "reload"])
    }

    /// Stops the server as an operator would (`pg_ctl stop -m fast`: open
    /// connections are cut, committed work is on disk).
    pub fn stop(&self) -> anyhow::Result<()> {
        self.run("pg_ctl", &["-D", path_str(&self.data_dir())?, "-m", "fast", "-w", "stop"])
    }

    /// Starts it again after [`Self::stop`], on the same port.
    pub fn resume(&self) -> anyhow::Result<()> {
        let (data, log) = (self.data_dir(), self.log_path());
        self.run("pg_ctl", &["-D", path_str(&data)?, "-l", path_str(&log)?, "-w", "-t", "30", "start"])
    }

    /// What the server logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("server.log")
    }

    fn run(&self, tool: &str, args: &[&str]) -> anyhow::Result<()> {
        let program = self.bindir.join(tool);
        let output = if self.as_root {
            Command::new("runuser").args(["-u", SERVER_USER, "--"]).arg(&program).args(args).output()
        } else {
            Command::new(&program).args(args).output()
        }
        .with_context(|| format!("running {}", program.display()))?;
        anyhow::ensure!(
            output.status.success(),
            "{tool} failed: {}{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
            self.log()
        );
        Ok(())
    }
}

fn path_str(path: &Path) -> anyhow::Result<&str> {
    path.to_str().context("a temporary path that is not UTF-8")
}

impl Drop for OwnPostgres {
    fn drop(&mut self) {
        let Ok(data) = path_str(&self.data_dir()).map(str::to_string) else { return };
        let _ = self.run("pg_ctl", &["-D", &data, "-m", "immediate", "stop"]);
    }
}
