//! Vendors the map libraries (npm packages `leaflet` and
//! `leaflet.markercluster`, pinned) into the binary: installed with npm into
//! this build's OUT_DIR on first build, or taken from `MAILLAGE_LEAFLET_DIR`
//! (a `leaflet/dist` directory) and `MAILLAGE_MARKERCLUSTER_DIR` (a
//! `leaflet.markercluster/dist` directory) for offline builds. Without
//! Leaflet the server builds without the map: the directory stays a
//! complete list (a warning says why); without the clustering plugin the
//! map draws one marker per enterprise.

use std::path::{Path, PathBuf};
use std::process::Command;

const LEAFLET_VERSION: &str = "1.9.4";
const MARKERCLUSTER_VERSION: &str = "1.5.3";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=MAILLAGE_LEAFLET_DIR");
    println!("cargo:rerun-if-env-changed=MAILLAGE_MARKERCLUSTER_DIR");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default());
    let given = |var: &str| std::env::var(var).ok().filter(|d| !d.is_empty()).map(PathBuf::from);
    let (leaflet, cluster) = match (given("MAILLAGE_LEAFLET_DIR"), given("MAILLAGE_MARKERCLUSTER_DIR")) {
        (Some(leaflet), cluster) => (Some(leaflet), cluster),
        (None, _) => match install_with_npm(&out) {
            Some(modules) => {
                (Some(modules.join("leaflet").join("dist")), Some(modules.join("leaflet.markercluster").join("dist")))
            }
            None => (None, None),
        },
    };
    let leaflet = leaflet.filter(|d| d.join("leaflet.js").is_file() && d.join("leaflet.css").is_file());
    let cluster = cluster.filter(|d| {
        ["leaflet.markercluster.js", "MarkerCluster.css", "MarkerCluster.Default.css"]
            .iter()
            .all(|f| d.join(f).is_file())
    });
    let mut generated = match &leaflet {
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
    generated.push_str(&match (&leaflet, &cluster) {
        (Some(_), Some(dist)) => format!(
            "pub const MARKERCLUSTER: Option<(&[u8], &[u8], &[u8])> = Some((include_bytes!({:?}), \
             include_bytes!({:?}), include_bytes!({:?})));\n",
            dist.join("leaflet.markercluster.js"),
            dist.join("MarkerCluster.css"),
            dist.join("MarkerCluster.Default.css")
        ),
        (leaflet, _) => {
            if leaflet.is_some() {
                println!(
                    "cargo:warning=leaflet.markercluster {MARKERCLUSTER_VERSION} is missing: the directory's map draws \
                     one marker per enterprise (set MAILLAGE_MARKERCLUSTER_DIR to its dist directory)"
                );
            }
            "pub const MARKERCLUSTER: Option<(&[u8], &[u8], &[u8])> = None;\n".to_string()
        }
    });
    if let Err(e) = std::fs::write(out.join("leaflet.rs"), generated) {
        println!("cargo:warning=cannot write leaflet.rs: {e}");
    }
}

/// Installs both packages; returns the `node_modules` directory.
fn install_with_npm(out: &Path) -> Option<PathBuf> {
    let prefix = out.join("npm");
    let modules = prefix.join("node_modules");
    let has = |package: &str, version: &str| {
        std::fs::read_to_string(modules.join(package).join("package.json")).is_ok_and(|p| {
            p.contains(&format!("\"version\": \"{version}\"")) || p.contains(&format!("\"version\":\"{version}\""))
        })
    };
    if has("leaflet", LEAFLET_VERSION) && has("leaflet.markercluster", MARKERCLUSTER_VERSION) {
        return Some(modules);
    }
    std::fs::create_dir_all(&prefix).ok()?;
    let status = Command::new("npm")
        .args(["install", "--no-save", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error", "--prefix"])
        .arg(&prefix)
        .arg(format!("leaflet@{LEAFLET_VERSION}"))
        .arg(format!("leaflet.markercluster@{MARKERCLUSTER_VERSION}"))
        .status()
        .ok()?;
    status.success().then_some(modules)
}
