//! The test virtualenv's Python (`MAILLAGE_PYTHON`, which `scripts/test`
//! prepares), for the real libraries the tests run: Mastodon.py, aiosmtpd,
//! http_ece.

/// The Python that can import every one of `modules`, or `None`: the test
/// is then skipped, except under `MAILLAGE_REQUIRE_PEERS` (CI), where a
/// missing one fails it.
pub fn with_modules(modules: &[&str]) -> Option<String> {
    let wanted = modules.join(", ");
    let python = std::env::var("MAILLAGE_PYTHON").ok().filter(|p| !p.is_empty());
    let usable = python.as_deref().is_some_and(|python| {
        std::process::Command::new(python)
            .args(["-c", &format!("import {wanted}")])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    });
    if !usable {
        assert!(
            std::env::var_os("MAILLAGE_REQUIRE_PEERS").is_none(),
            "MAILLAGE_PYTHON must name a Python with {wanted} (scripts/test prepares one)"
        );
        crate::skipped(&format!("no Python with {wanted} in MAILLAGE_PYTHON; run scripts/test to install it"));
        return None;
    }
    python
}
