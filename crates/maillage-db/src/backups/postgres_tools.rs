//! PostgreSQL's own `pg_dump` and `pg_restore`, found on `PATH`, driven for
//! backups and restores. A tool older than the server's major version is
//! refused before it runs (`pg_dump` refuses a newer server, or misses what
//! it does not know). The password never appears on a command line, where
//! every user of the machine could read it: the tool gets it through
//! `PGPASSWORD` in its own environment.

use std::fs::File;
use std::path::Path;
use std::process::{Command, Stdio};

use super::BackupError;

/// A PostgreSQL major version (15 for 15.4; 9 for the 9.x series).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Major(u32);

impl Major {
    /// From the server's `server_version_num` (150004 for 15.4).
    pub(crate) fn of_server(version_num: u32) -> Self {
        Major(version_num / 10_000)
    }

    /// From what `pg_dump --version` prints: `pg_dump (PostgreSQL) 15.4 (Debian 15.4-1)`.
    pub(crate) fn of_tool(printed: &str) -> Option<Self> {
        let version = printed.split_whitespace().find(|word| word.starts_with(|c: char| c.is_ascii_digit()))?;
        let digits: String = version.chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok().map(Major)
    }
}

impl std::fmt::Display for Major {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// The tools this module runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tool {
    Dump,
    Restore,
}

impl Tool {
    fn program(self) -> &'static str {
        match self {
            Tool::Dump => "pg_dump",
            Tool::Restore => "pg_restore",
        }
    }
}

/// The URL a tool is given (without the password) and the password.
struct Target {
    url: String,
    password: Option<String>,
}

fn split_password(database_url: &str) -> Result<Target, BackupError> {
    let mut url = url::Url::parse(database_url)
        .map_err(|e| BackupError::Refused(format!("database.url is not a valid URL: {e}")))?;
    let mut password = url.password().map(|p| percent_encoding::percent_decode_str(p).decode_utf8_lossy().into_owned());
    // `?password=` is libpq's other spelling: moved to the environment too.
    let pairs: Vec<(String, String)> = url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    if let Some((_, given)) = pairs.iter().find(|(key, _)| key == "password") {
        password = Some(given.clone());
        let kept: Vec<&(String, String)> = pairs.iter().filter(|(key, _)| key != "password").collect();
        if kept.is_empty() {
            url.set_query(None);
        } else {
            url.query_pairs_mut().clear().extend_pairs(kept.iter().map(|(k, v)| (k, v)));
        }
    }
    let _ = url.set_password(None);
    Ok(Target { url: url.to_string(), password })
}

/// Checks that `tool` exists and is at least the server's major version.
fn check_tool(tool: Tool, server: Major) -> Result<(), BackupError> {
    let program = tool.program();
    let install = format!(
        "install PostgreSQL's client programs of version {server} or later and put them first on PATH \
         (Debian: package postgresql-client-{server}, programs in /usr/lib/postgresql/{server}/bin)"
    );
    let printed = match Command::new(program).arg("--version").stdin(Stdio::null()).output() {
        Ok(output) if output.status.success() => String::from_utf8_lossy(&output.stdout).to_string(),
        Ok(output) => {
            return Err(BackupError::Tool(format!(
                "{program} --version failed ({}): {install}",
                String::from_utf8_lossy(&output.stderr).trim()
            )));
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Err(BackupError::Tool(format!("{program} was not found on PATH: {install}")));
        }
        Err(error) => return Err(BackupError::Tool(format!("cannot run {program}: {error}"))),
    };
    let found = Major::of_tool(&printed)
        .ok_or_else(|| BackupError::Tool(format!("cannot read the version {program} prints: {:?}", printed.trim())))?;
    if found < server {
        return Err(BackupError::Tool(format!(
            "{program} is version {found}, older than the PostgreSQL server ({server}): {install}"
        )));
    }
    Ok(())
}

/// What the tool's standard error says, as one line, and whether it is an
/// outage of the database rather than a fault.
fn failure(tool: Tool, stderr: &[u8]) -> BackupError {
    let text = String::from_utf8_lossy(stderr);
    let line = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" / ");
    let lower = line.to_ascii_lowercase();
    // A refused password also says "connection to server ... failed": not an outage.
    let unreachable = [
        "connection refused",
        "the database system is",
        "timeout expired",
        "no route to host",
        "network is unreachable",
        "server closed the connection",
        "could not translate host name",
    ]
    .iter()
    .any(|said| lower.contains(said));
    if unreachable {
        BackupError::Unavailable(format!("the database is unavailable ({}: {line}); try again later", tool.program()))
    } else {
        BackupError::Failed(format!("{} failed: {line}", tool.program()))
    }
}

fn run(tool: Tool, target: &Target, args: &[&str], stdout: Stdio) -> Result<(), BackupError> {
    let mut command = Command::new(tool.program());
    command
        .args(args)
        .arg("--no-password")
        .arg(format!("--dbname={}", target.url))
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(Stdio::piped());
    if let Some(password) = &target.password {
        command.env("PGPASSWORD", password);
    }
    let output = command.output().map_err(|e| BackupError::Tool(format!("cannot run {}: {e}", tool.program())))?;
    if output.status.success() { Ok(()) } else { Err(failure(tool, &output.stderr)) }
}

/// Dumps the database at `database_url` into `file` (custom format).
pub(crate) async fn dump(database_url: &str, server_version_num: u32, file: File) -> Result<(), BackupError> {
    let target = split_password(database_url)?;
    let server = Major::of_server(server_version_num);
    blocking(move || {
        check_tool(Tool::Dump, server)?;
        run(Tool::Dump, &target, &["--format=custom"], Stdio::from(file))
    })
    .await
}

/// Restores the archive `file` into the (empty) database at `database_url`,
/// all or nothing, owned by the connecting user.
pub(crate) async fn restore(database_url: &str, server_version_num: u32, file: &Path) -> Result<(), BackupError> {
    let target = split_password(database_url)?;
    let server = Major::of_server(server_version_num);
    let file = file.to_string_lossy().to_string();
    blocking(move || {
        check_tool(Tool::Restore, server)?;
        let args = ["--no-owner", "--no-acl", "--exit-on-error", "--single-transaction", file.as_str()];
        run(Tool::Restore, &target, &args, Stdio::null())
    })
    .await
}

async fn blocking(work: impl FnOnce() -> Result<(), BackupError> + Send + 'static) -> Result<(), BackupError> {
    tokio::task::spawn_blocking(work).await.map_err(|e| BackupError::Failed(format!("the backup task failed: {e}")))?
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn major_versions_are_read_and_compared() {
        assert_eq!(Major::of_tool("pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)\n"), Some(Major(15)));
        assert_eq!(Major::of_tool("pg_restore (PostgreSQL) 9.6.24"), Some(Major(9)));
        assert_eq!(Major::of_tool("pg_dump (PostgreSQL) 17devel"), Some(Major(17)));
        assert_eq!(Major::of_tool("pg_dump: nothing"), None);
        assert_eq!(Major::of_server(150_004), Major(15));
        assert_eq!(Major::of_server(90_624), Major(9));
        assert_eq!(Major::of_server(170_000), Major(17));
        assert!(Major::of_tool("pg_dump (PostgreSQL) 16.2").unwrap() >= Major::of_server(150_004));
        assert!(Major::of_tool("pg_dump (PostgreSQL) 14.2").unwrap() < Major::of_server(150_004));
        // 10 and later compare as numbers, not as text.
        assert!(Major::of_tool("pg_dump (PostgreSQL) 9.6.1").unwrap() < Major::of_server(100_001));
    }

    #[test]
    fn the_password_leaves_the_url_for_the_environment() {
        let target = split_password("postgres://maillage:s%C3%A9cret%2B1@db.example:5433/hub?sslmode=require").unwrap();
        assert_eq!(target.url, "postgres://maillage@db.example:5433/hub?sslmode=require");
        assert_eq!(target.password.as_deref(), Some("sécret+1"));
        let target = split_password("postgres://maillage@db/hub?password=x&sslmode=verify-full").unwrap();
        assert_eq!(target.url, "postgres://maillage@db/hub?sslmode=verify-full");
        assert_eq!(target.password.as_deref(), Some("x"));
        let target = split_password("postgres://db/hub").unwrap();
        assert_eq!((target.url.as_str(), target.password), ("postgres://db/hub", None));
    }

    #[test]
    fn an_unreachable_server_is_an_outage_and_other_failures_are_not() {
        let down = failure(
            Tool::Dump,
            b"pg_dump: error: connection to server at \"127.0.0.1\", port 1 failed: Connection refused\n",
        );
        assert!(down.is_outage(), "{down}");
        let denied = failure(Tool::Dump, b"pg_dump: error: query failed: ERROR:  permission denied for table users\n");
        assert!(!denied.is_outage(), "{denied}");
        let wrong = failure(Tool::Dump, b"pg_dump: error: connection to server at \"db\" failed: FATAL:  password authentication failed for user \"m\"\n");
        assert!(!wrong.is_outage(), "{wrong}");
        assert!(denied.to_string().contains("permission denied"), "{denied}");
    }
}
