//! Step 7, importing a repertoire: `maillage admin enterprise import` of a
//! CSV file of 10,000 enterprises (a tenth with --quick) into a running
//! instance, on SQLite and on PostgreSQL. The import itself must take less
//! than a minute, keys aside: their pairs are made afterwards by the
//! server's worker, one at a time; the step reports how long until every
//! key exists (measured when it finishes within the window, else computed
//! from the rate the worker kept in it).

use std::path::Path;
use std::time::{Duration, Instant};

use maillage_db::Database;
use maillage_db::testing::TestDatabase;

use crate::report::Report;
use crate::server::{Server, cli, free_port, instance_env};

/// A repertoire as a hub keeps it: French headers, semicolons, labels.
fn repertoire(count: usize) -> String {
    let regions = ["Montréal", "Estrie", "Capitale-Nationale", "Outaouais", "Mauricie"];
    let sectors = ["Agriculture; Alimentation", "Habitation", "Arts et culture", "Santé", "Transport"];
    let mut text =
        String::from("Nom de l'entreprise;NEQ;Forme juridique;Secteur(s);Région;Site web;Année de fondation\n");
    for i in 0..count {
        text.push_str(&format!(
            "Coopérative {i} du banc d'essai;{};Coopérative;\"{}\";{};https://coop{i}.example;{}\n",
            1_100_000_000 + i,
            sectors[i % sectors.len()],
            regions[i % regions.len()],
            1950 + i % 70
        ));
    }
    text
}

async fn connect(url: &str) -> anyhow::Result<Database> {
    Ok(Database::connect(&maillage_config::DatabaseConfig {
        url: url.to_string(),
        max_connections: 2,
        connect_timeout_seconds: 5,
    })
    .await?)
}

pub async fn run(report: &mut Report, binary: &Path, database: &TestDatabase, scale: f64) -> anyhow::Result<()> {
    let backend = if database.url().starts_with("postgres") { "PostgreSQL" } else { "SQLite" };
    eprintln!("step 7: importing a repertoire on {backend}");
    let count = ((10_000.0 * scale) as usize).max(100);
    let file = tempfile::NamedTempFile::with_suffix(".csv")?;
    std::fs::write(file.path(), repertoire(count))?;
    let port = free_port()?;
    let env = instance_env(port, database.url(), &[]);
    let server = Server::start(binary, &env, port).await?;
    let db = connect(database.url()).await?;

    let started = Instant::now();
    let printed = cli(binary, &env, &["admin", "enterprise", "import", file.path().to_str().unwrap_or_default()], "")?;
    let import_seconds = started.elapsed().as_secs_f64();
    let summary = format!("{count} created, 0 updated, 0 unchanged, 0 refused");
    anyhow::ensure!(
        printed.trim_end().ends_with(&summary),
        "the import said: {}",
        printed.lines().last().unwrap_or("")
    );

    // The worker makes the missing key pairs, one at a time.
    let window = Duration::from_secs_f64(if scale < 1.0 { 30.0 } else { 120.0 });
    let deadline = Instant::now() + window;
    let mut missing = db.count_local_actors_without_keys().await?;
    while missing > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(500)).await;
        missing = db.count_local_actors_without_keys().await?;
    }
    let keys_elapsed = started.elapsed().as_secs_f64();
    let made = count as f64 - missing as f64;
    let (keys_seconds, how) = if missing == 0 {
        (keys_elapsed, "measured")
    } else {
        let rate = made / (keys_elapsed - import_seconds).max(0.001);
        (keys_elapsed + missing as f64 / rate.max(0.001), "computed from the worker's rate")
    };
    report.figure("import", &format!("time to import {count} enterprises on {backend}"), import_seconds, "s");
    report.figure(
        "import",
        &format!("enterprises imported per second on {backend}"),
        count as f64 / import_seconds,
        "1/s",
    );
    report.figure(
        "import",
        &format!("time until every key of {count} imported enterprises exists on {backend} ({how})"),
        keys_seconds,
        "s",
    );
    report.at_most(
        &format!("import: {count} enterprises on {backend}, keys aside"),
        import_seconds,
        60.0 * scale.max(0.1),
        "s",
        "maillage admin enterprise import of a CSV file into a running instance; key pairs made afterwards",
    );
    server.stop();
    Ok(())
}
