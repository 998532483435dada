//! The rules that keep the crates apart, checked on the sources rather
//! than only written in `docs/ARCHITECTURE.md`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// The names under `[dependencies]` of a crate's manifest (not dev ones).
fn dependencies(krate: &str) -> BTreeSet<String> {
    let text = std::fs::read_to_string(workspace().join("crates").join(krate).join("Cargo.toml")).unwrap();
    let mut names = BTreeSet::new();
    let mut inside = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            inside = line == "[dependencies]";
        } else if inside && let Some(name) = line.split(['=', '.', ' ']).next().filter(|n| !n.is_empty()) {
            names.insert(name.to_string());
        }
    }
    names
}

fn ours(deps: &BTreeSet<String>) -> BTreeSet<&str> {
    deps.iter().filter(|d| d.starts_with("maillage-")).map(String::as_str).collect()
}

#[test]
fn each_crate_depends_only_on_the_layers_below_it() {
    let allowed: &[(&str, &[&str])] = &[
        ("maillage-domain", &[]),
        ("maillage-media", &[]),
        ("maillage-config", &["maillage-domain"]),
        ("maillage-storage", &["maillage-config"]),
        ("maillage-db", &["maillage-config", "maillage-domain"]),
        ("maillage-federation", &["maillage-config", "maillage-db", "maillage-domain", "maillage-media"]),
        (
            "maillage-app",
            &[
                "maillage-config",
                "maillage-db",
                "maillage-domain",
                "maillage-federation",
                "maillage-media",
                "maillage-storage",
            ],
        ),
        (
            "maillage-http",
            &[
                "maillage-app",
                "maillage-config",
                "maillage-db",
                "maillage-domain",
                "maillage-federation",
                "maillage-media",
                "maillage-storage",
            ],
        ),
        (
            "maillage-web",
            &[
                "maillage-app",
                "maillage-config",
                "maillage-db",
                "maillage-domain",
                "maillage-federation",
                "maillage-http",
                "maillage-media",
                "maillage-storage",
            ],
        ),
    ];
    for (krate, may_use) in allowed {
        let deps = dependencies(krate);
        let used = ours(&deps);
        let extra: Vec<_> = used.iter().filter(|d| !may_use.contains(d)).collect();
        assert!(extra.is_empty(), "{krate} must not depend on {extra:?}: see docs/ARCHITECTURE.md");
    }
    let crates: Vec<String> = std::fs::read_dir(workspace().join("crates"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    for krate in &crates {
        let deps = dependencies(krate);
        if krate != "maillage-db" {
            let storage: Vec<_> = deps.iter().filter(|d| d.starts_with("diesel") || *d == "libsqlite3-sys").collect();
            assert!(storage.is_empty(), "only maillage-db uses diesel; {krate} uses {storage:?}");
        }
        // The bench crate measures the library beside our own code.
        if krate != "maillage-federation" && krate != "maillage-bench" {
            assert!(
                !deps.contains("activitypub_federation"),
                "only maillage-federation uses activitypub_federation, not {krate}"
            );
        }
    }
    let io = ["tokio", "reqwest", "diesel", "axum", "activitypub_federation"];
    for pure in ["maillage-domain", "maillage-media"] {
        let deps = dependencies(pure);
        assert!(io.iter().all(|c| !deps.contains(*c)), "{pure} does no I/O: {deps:?}");
    }
}

/// The `Database` methods that write, read off their bodies.
fn writing_methods() -> BTreeSet<String> {
    let markers = [
        "write_conn()",
        "with_write_tx!",
        "with_enqueuing_tx!",
        "diesel::insert_into",
        "diesel::update",
        "diesel::delete",
    ];
    let mut found = BTreeSet::new();
    for file in rust_files(&workspace().join("crates/maillage-db/src")) {
        let text = std::fs::read_to_string(&file).unwrap();
        for body in text.split("\n    pub async fn ").skip(1) {
            let name: String = body.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            let body = body.split("\n    pub ").next().unwrap_or(body);
            if markers.iter().any(|m| body.contains(m)) {
                found.insert(name);
            }
        }
    }
    found
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

/// The writing `Database` methods each file below `crates/<krate>/src`
/// calls, outside unit tests (which set up what they need).
fn writes_called_in(krates: &[&str], writes: &BTreeSet<String>) -> Vec<(PathBuf, String)> {
    let mut calls = Vec::new();
    for krate in krates {
        for file in rust_files(&workspace().join("crates").join(krate).join("src")) {
            if file.file_name().is_some_and(|n| n == "tests.rs") {
                continue;
            }
            let text = std::fs::read_to_string(&file).unwrap();
            let text = text.split("#[cfg(test)]").next().unwrap_or_default();
            for method in writes.iter().filter(|m| text.contains(&format!(".{m}("))) {
                calls.push((file.clone(), method.clone()));
            }
        }
    }
    calls
}

#[test]
fn front_ends_write_only_through_the_use_cases() {
    let writes = writing_methods();
    let known = ["add_editor", "set_domain_policy", "create_token", "setting_or_insert"];
    assert!(known.iter().all(|w| writes.contains(*w)), "writes found: {writes:?}");
    let offenders: Vec<String> = writes_called_in(&["maillage-http", "maillage-web", "maillage-server"], &writes)
        .into_iter()
        .map(|(file, method)| format!("{} calls Database::{method}", file.display()))
        .collect();
    assert!(offenders.is_empty(), "front ends change state only through maillage-app:\n{}", offenders.join("\n"));
}

/// What the wire crate writes itself, each with the reason: its copies of
/// other servers' actors and objects, its queues, and indexes derived from
/// what is stored. Every other change (a post, a follow, a report, a
/// notification…) is a use case's, in `maillage-app`, received activities'
/// effects included.
const WIRE_WRITES: &[(&str, &str)] = &[
    ("upsert_remote_actor", "the copy of a remote actor, as fetched"),
    ("set_remote_actor_counts", "the copy of a remote actor: the sizes its collections gave"),
    ("set_remote_actor_images", "the copy of a remote actor: its avatar and header, as fetched"),
    ("tombstone_remote_object", "the copy of a remote object, gone at its origin"),
    ("store_received_batch", "the inbox queue"),
    ("claim_received", "the inbox queue"),
    ("received_postpone", "the inbox queue"),
    ("purge_received", "the inbox queue"),
    ("claim_deliveries", "the delivery queue"),
    ("deliveries_done", "the delivery queue"),
    ("release_deliveries", "the delivery queue"),
    ("record_domain_failure", "the delivery queue's view of other servers"),
    ("record_domain_success", "the delivery queue's view of other servers"),
    ("reindex_posts", "the tag index, derived from stored posts"),
    ("reindex_remote_objects", "the tag index, derived from stored objects"),
    ("set_post_addressees", "the audience index, derived from stored posts"),
    ("set_remote_audiences", "the audience index, derived from stored objects"),
    ("set_setting", "which derived index is built"),
    ("set_missing_keys", "the key pair of an imported actor, made when first served or signing"),
];

#[test]
fn the_wire_crate_writes_only_its_copies_queues_and_indexes() {
    let writes = writing_methods();
    let calls = writes_called_in(&["maillage-federation"], &writes);
    let offenders: Vec<String> = calls
        .iter()
        .filter(|(_, method)| !WIRE_WRITES.iter().any(|(name, _)| name == method))
        .map(|(file, method)| format!("{} calls Database::{method}", file.display()))
        .collect();
    assert!(offenders.is_empty(), "changes are the use cases' (maillage-app):\n{}", offenders.join("\n"));
    for (name, _) in WIRE_WRITES {
        assert!(writes.contains(*name), "{name} is not a write of Database: strike it from the list");
        assert!(calls.iter().any(|(_, m)| m == name), "the wire crate no longer calls {name}: strike it from the list");
    }
}
