//! A real SMTP server on loopback for the mail tests: `aiosmtpd` (PyPI),
//! installed by `scripts/test` into the test virtualenv
//! (`MAILLAGE_PYTHON`), running our handler `smtp_sink.py`, which writes
//! every message it accepts to a directory that the test reads and parses.

use std::time::Duration;

use anyhow::Context;

const SINK: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/support/smtp_sink.py");

/// A message the server accepted, parsed.
#[derive(Debug, Clone)]
pub struct Delivered {
    /// The envelope's recipients.
    pub to: String,
    pub from: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl Delivered {
    /// The first link of the plain-text body that starts with `prefix`.
    pub fn link(&self, prefix: &str) -> Option<String> {
        self.text.split_whitespace().find(|word| word.starts_with(prefix)).map(str::to_string)
    }
}

/// The Python with aiosmtpd, or `None` (the test is then skipped,
/// except under `MAILLAGE_REQUIRE_PEERS`).
pub fn python() -> Option<String> {
    crate::python::with_modules(&["aiosmtpd"])
}

/// The SMTP server of a test, on a port chosen before it starts (so that
/// an instance may be configured for it while it is still down).
pub struct SmtpServer {
    python: String,
    pub port: u16,
    refuse: Vec<String>,
    dir: tempfile::TempDir,
    child: Option<tokio::process::Child>,
}

impl SmtpServer {
    /// A server on a free port, not started; `None` when aiosmtpd is missing.
    pub fn prepare(refuse: &[&str]) -> anyhow::Result<Option<Self>> {
        let Some(python) = python() else { return Ok(None) };
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        Ok(Some(SmtpServer {
            python,
            port,
            refuse: refuse.iter().map(|r| r.to_string()).collect(),
            dir: tempfile::tempdir()?,
            child: None,
        }))
    }

    /// A running server; `None` when aiosmtpd is missing.
    pub async fn start_new(refuse: &[&str]) -> anyhow::Result<Option<Self>> {
        let Some(mut server) = Self::prepare(refuse)? else { return Ok(None) };
        server.start().await?;
        Ok(Some(server))
    }

    /// `smtp://127.0.0.1:PORT`, for `mail.smtp_url`.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Starts the server and waits until it accepts connections.
    pub async fn start(&mut self) -> anyhow::Result<()> {
        let mut command = tokio::process::Command::new(&self.python);
        command.arg(SINK).args(["--port", &self.port.to_string(), "--dir"]).arg(self.dir.path());
        for address in &self.refuse {
            command.args(["--refuse", address]);
        }
        let child =
            command.kill_on_drop(true).stdout(std::process::Stdio::null()).spawn().context("starting aiosmtpd")?;
        self.child = Some(child);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while tokio::net::TcpStream::connect(("127.0.0.1", self.port)).await.is_err() {
            anyhow::ensure!(tokio::time::Instant::now() < deadline, "aiosmtpd did not listen on {}", self.port);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(())
    }

    /// Stops the server (the messages it took stay readable).
    pub async fn stop(&mut self) -> anyhow::Result<()> {
        if let Some(mut child) = self.child.take() {
            child.kill().await?;
        }
        Ok(())
    }

    /// Every message accepted so far, in order.
    pub fn messages(&self) -> anyhow::Result<Vec<Delivered>> {
        let mut files: Vec<_> = std::fs::read_dir(self.dir.path())?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
            .collect();
        files.sort();
        files.iter().map(|path| parse(&std::fs::read(path)?)).collect()
    }

    /// Waits (at most `seconds`) for a message to `to`, the first one
    /// after the `skip` earlier messages to that address.
    pub async fn wait_for(&self, to: &str, skip: usize, seconds: u64) -> anyhow::Result<Delivered> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(seconds);
        loop {
            let mut to_them = self.messages()?.into_iter().filter(|m| m.to.contains(to));
            if let Some(message) = to_them.nth(skip) {
                return Ok(message);
            }
            anyhow::ensure!(tokio::time::Instant::now() < deadline, "no message to {to} after {seconds} s");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

fn parse(raw: &[u8]) -> anyhow::Result<Delivered> {
    use mailparse::MailHeaderMap;
    let parsed = mailparse::parse_mail(raw)?;
    let header = |name: &str| parsed.headers.get_first_value(name).unwrap_or_default();
    let (mut text, mut html) = (String::new(), String::new());
    for part in parsed.parts() {
        match part.ctype.mimetype.as_str() {
            "text/plain" => text = part.get_body()?,
            "text/html" => html = part.get_body()?,
            _ => {}
        }
    }
    Ok(Delivered { to: header("X-Envelope-To"), from: header("From"), subject: header("Subject"), text, html })
}
