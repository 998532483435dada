//! `maillage admin backup`, `restore` and `migrate-database`: the whole
//! database at once. They open the database themselves, before (and
//! instead of) the migrations and start-up checks of the other `admin`
//! commands: a restore needs its target empty, and a backup changes nothing.

use std::io::Write;
use std::path::Path;

use maillage_config::{Config, DatabaseKind, mask_url_password};
use maillage_db::{BackupFormat, Database};

use crate::ServerError;

/// `maillage admin backup FILE`.
pub(super) async fn backup(config: &Config, file: &Path, out: &mut dyn Write) -> Result<(), ServerError> {
    if config.database_kind() == DatabaseKind::Sqlite && !Path::new(config.sqlite_path()).exists() {
        return Err(ServerError::Input(format!(
            "there is no database at {} to back up (see database.url)",
            config.sqlite_path()
        )));
    }
    let db = Database::connect(&config.database).await?;
    let report = db.backup_to(file).await;
    db.close();
    let report = report?;
    let what = match report.format {
        BackupFormat::Sqlite => "a SQLite database file",
        BackupFormat::PostgresArchive => "a pg_dump archive, custom format",
    };
    writeln!(
        out,
        "backup written: {} ({} bytes, {what}, readable by its owner only)",
        report.path.display(),
        report.bytes
    )?;
    writeln!(
        out,
        "it holds every actor's private key: keep it as secret as the database, and copy it off this machine"
    )?;
    Ok(())
}

/// `maillage admin restore FILE`.
pub(super) async fn restore(config: &Config, file: &Path, out: &mut dyn Write) -> Result<(), ServerError> {
    let report = maillage_db::restore_backup(&config.database, file).await?;
    writeln!(out, "restored {} into {}", file.display(), mask_url_password(&config.database.url))?;
    for name in &report.migrated {
        writeln!(out, "applied {name}")?;
    }
    writeln!(
        out,
        "{} migration(s) applied after the restore; start `maillage serve` with the same instance.domain",
        report.migrated.len()
    )?;
    Ok(())
}

/// `maillage admin migrate-database --to URL`.
pub(super) async fn migrate_database(config: &Config, to: &str, out: &mut dyn Write) -> Result<(), ServerError> {
    if config.database_kind() == DatabaseKind::Sqlite && !Path::new(config.sqlite_path()).exists() {
        return Err(ServerError::Input(format!(
            "there is no database at {} to move (see database.url)",
            config.sqlite_path()
        )));
    }
    let source = Database::connect(&config.database).await?;
    let copied = async {
        // The source at the current schema, as `maillage serve` would leave it.
        source.migrate().await?;
        Ok::<_, ServerError>(source.copy_to_postgres(to, config.database.connect_timeout_seconds).await?)
    }
    .await;
    source.close();
    let report = copied?;
    writeln!(out, "copied {} into {}:", source.display_target(), report.target)?;
    for (table, rows) in &report.tables {
        writeln!(out, "  {table:<26} {rows:>9} rows")?;
    }
    let total: u64 = report.tables.iter().map(|(_, rows)| rows).sum();
    writeln!(out, "{total} rows in {} tables, in one transaction", report.tables.len())?;
    writeln!(out, "next: set database.url = \"{}\" in the configuration", report.target)?;
    writeln!(out, "  (or MAILLAGE__DATABASE__URL), with the real password, then start `maillage serve`;")?;
    writeln!(out, "  keep {} until you have checked the hub, and do not start it again", source.display_target())?;
    Ok(())
}
