//! A Web Push service on loopback for the push tests: `push_receiver.py`,
//! run with the test virtualenv's Python (`MAILLAGE_PYTHON`, with
//! `http_ece` and `cryptography`, which `scripts/test` installs). It makes
//! the device's keys, answers each POST with the statuses it is given, and
//! records what it received, decrypted and checked, for the test to read.

use std::time::Duration;

use anyhow::Context;
use serde_json::Value;
use tokio::io::AsyncBufReadExt;

const RECEIVER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/support/push_receiver.py");

/// The Python with http_ece, cryptography, or `None` (the test is then skipped,
/// except under `MAILLAGE_REQUIRE_PEERS`).
pub fn python() -> Option<String> {
    crate::python::with_modules(&["http_ece", "cryptography"])
}

/// A running push service and device.
pub struct PushReceiver {
    pub port: u16,
    /// The device's public key and secret, base64url, to subscribe with.
    pub p256dh: String,
    pub auth: String,
    dir: tempfile::TempDir,
    _child: tokio::process::Child,
}

impl PushReceiver {
    /// A receiver answering its POSTs with `answers` in turn (the last
    /// repeats); `None` when its Python modules are missing.
    pub async fn start(answers: &[u16]) -> anyhow::Result<Option<Self>> {
        let Some(python) = python() else { return Ok(None) };
        let dir = tempfile::tempdir()?;
        let answers = answers.iter().map(u16::to_string).collect::<Vec<_>>().join(",");
        let mut child = tokio::process::Command::new(python)
            .arg(RECEIVER)
            .arg("--dir")
            .arg(dir.path())
            .args(["--answers", &answers])
            .kill_on_drop(true)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .context("starting push_receiver.py")?;
        let stdout = child.stdout.take().context("no stdout")?;
        let mut lines = tokio::io::BufReader::new(stdout).lines();
        let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .context("push_receiver.py did not start")??
            .context("push_receiver.py ended")?;
        let ready: Value = serde_json::from_str(&line)?;
        Ok(Some(PushReceiver {
            port: ready["port"].as_u64().context("port")? as u16,
            p256dh: ready["p256dh"].as_str().context("p256dh")?.to_string(),
            auth: ready["auth"].as_str().context("auth")?.to_string(),
            dir,
            _child: child,
        }))
    }

    /// The endpoint URL of a subscription on this service.
    pub fn endpoint(&self, name: &str) -> String {
        format!("http://127.0.0.1:{}/push/{name}", self.port)
    }

    /// Every POST received so far, in order, as recorded.
    pub fn received(&self) -> anyhow::Result<Vec<Value>> {
        let mut files: Vec<_> = std::fs::read_dir(self.dir.path())?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        files.iter().map(|f| Ok(serde_json::from_str(&std::fs::read_to_string(f)?)?)).collect()
    }
}
