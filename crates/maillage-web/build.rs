//! Vendors the Leaflet map library (npm package `leaflet`, pinned) into the
//! binary: installed with npm into this build's OUT_DIR on first build, or
//! taken from `MAILLAGE_LEAFLET_DIR` (a `leaflet/dist` directory) for
//! offline builds. Without either, the server builds without the map: the
//! directory stays a complete list (a warning says why).

use std::path::{Path, PathBuf};
use std::process::Command;

const LEAFLET_VERSION: &str = "1.9.4";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=MAILLAGE_LEAFLET_DIR");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default());
    let dist = match std::env::var("MAILLAGE_LEAFLET_DIR") {
        Ok(dir) if !dir.is_empty() => Some(PathBuf::from(dir)),
        _ => install_with_npm(&out),
    };
    let found = dist.filter(|d| d.join("leaflet.js").is_file() && d.join("leaflet.css").is_file());
    let generated = match &found {
        Some(dist) => format!(
            "pub const LEAFLET: Option<(&[u8], &[u8])> = Some((include_bytes!({:?}), include_bytes!({:?})));\n",
            dist.join("leaflet.js"),
            dist.join("leaflet.css")
        ),
        None => {
            println!(
                "cargo:warning=Leaflet {LEAFLET_VERSION} could not be installed with npm: the directory's map is \
                 disabled in this build (set MAILLAGE_LEAFLET_DIR to a leaflet/dist directory to include it)"
            );
            "pub const LEAFLET: Option<(&[u8], &[u8])> = None;\n".to_string()
        }
    };
    if let Err(e) = std::fs::write(out.join("leaflet.rs"), generated) {
        println!("cargo:warning=cannot write leaflet.rs: {e}");
    }
}

fn install_with_npm(out: &Path) -> Option<PathBuf> {
    let prefix = out.join("npm");
    let dist = prefix.join("node_modules").join("leaflet").join("dist");
    let installed = std::fs::read_to_string(prefix.join("node_modules/leaflet/package.json"))
        .is_ok_and(|p| p.contains(&format!("\"version\": \"{LEAFLET_VERSION}\"")));
    if installed {
        return Some(dist);
    }
    std::fs::create_dir_all(&prefix).ok()?;
    let status = Command::new("npm")
        .args(["install", "--no-save", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error", "--prefix"])
        .arg(&prefix)
        .arg(format!("leaflet@{LEAFLET_VERSION}"))
        .status()
        .ok()?;
    status.success().then_some(dist)
}
