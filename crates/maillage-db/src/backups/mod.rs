//! Whole-database backups, their restore into an empty database, and the
//! move of a SQLite hub to PostgreSQL ([`to_postgres`]).
//!
//! A backup is one file: on SQLite a copy of the database made by
//! `VACUUM INTO` (a consistent snapshot while the server writes), on
//! PostgreSQL a `pg_dump` archive in custom format ([`postgres_tools`]).
//! It holds every local actor's private key, so it is created owner-only
//! (0600) before anything is written to it, under a `.NAME.partial` name
//! beside its final one, and renamed only once complete: a failed backup
//! never leaves a file that looks whole.
//!
//! Media files (issue #18) are not in the database. When they exist, a
//! backup of them belongs beside the database file, as a directory named
//! after it (`NAME.media/`), written and renamed the same way.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use diesel_async::{AsyncConnection as _, RunQueryDsl};
use maillage_config::{DatabaseConfig, DatabaseKind};

use crate::{Database, DbError};

pub(crate) mod postgres_tools;
pub mod to_postgres;

/// Why a backup, a restore or a move failed. One line for the operator.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(transparent)]
    Database(#[from] DbError),
    /// The request cannot be done as asked (the file exists, the target
    /// database is not empty, the backup is of the other backend).
    #[error("{0}")]
    Refused(String),
    /// `pg_dump` or `pg_restore` is missing or too old for the server.
    #[error("{0}")]
    Tool(String),
    /// The database could not be reached while the tool ran.
    #[error("{0}")]
    Unavailable(String),
    /// Writing or reading a file failed, or the tool failed otherwise.
    #[error("{0}")]
    Failed(String),
}

impl From<diesel::result::Error> for BackupError {
    fn from(error: diesel::result::Error) -> Self {
        BackupError::Database(DbError::Query(error))
    }
}

impl BackupError {
    /// True when the failure is an outage that passes by itself (try again later).
    pub fn is_outage(&self) -> bool {
        match self {
            BackupError::Database(error) => error.outage().is_some(),
            BackupError::Unavailable(_) => true,
            _ => false,
        }
    }
}

/// What a backup file holds, told by its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackupFormat {
    /// A SQLite database file.
    Sqlite,
    /// A `pg_dump` archive in custom format.
    PostgresArchive,
}

impl BackupFormat {
    /// The format of the backup a database of `kind` makes.
    pub fn of(kind: DatabaseKind) -> Self {
        match kind {
            DatabaseKind::Sqlite => BackupFormat::Sqlite,
            DatabaseKind::Postgres => BackupFormat::PostgresArchive,
        }
    }

    /// The file name extension scheduled backups get.
    pub fn extension(self) -> &'static str {
        match self {
            BackupFormat::Sqlite => "sqlite3",
            BackupFormat::PostgresArchive => "pgdump",
        }
    }

    /// Reads the format of the file at `path`; `None` when it is neither.
    pub fn detect(path: &Path) -> Result<Option<Self>, BackupError> {
        let mut start = [0u8; 16];
        let mut file =
            File::open(path).map_err(|e| BackupError::Failed(format!("cannot read {}: {e}", path.display())))?;
        let mut read = 0;
        while read < start.len() {
            match file.read(&mut start[read..]) {
                Ok(0) => break,
                Ok(n) => read += n,
                Err(e) => return Err(BackupError::Failed(format!("cannot read {}: {e}", path.display()))),
            }
        }
        let start = &start[..read];
        Ok(if start.starts_with(b"SQLite format 3\0") {
            Some(BackupFormat::Sqlite)
        } else if start.starts_with(b"PGDMP") {
            Some(BackupFormat::PostgresArchive)
        } else {
            None
        })
    }
}

/// A backup written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupReport {
    pub path: PathBuf,
    pub bytes: u64,
    pub format: BackupFormat,
}

/// A restore done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreReport {
    pub format: BackupFormat,
    /// The migrations applied after the restore (a backup of an older release).
    pub migrated: Vec<String>,
}

/// A file being written under a temporary name beside `target`: owner-only
/// from its creation, renamed onto `target` by [`PartialFile::complete`],
/// removed if dropped before.
pub(crate) struct PartialFile {
    partial: PathBuf,
    target: PathBuf,
    completed: bool,
}

impl PartialFile {
    /// Creates the empty temporary file, refusing when `target` exists.
    pub(crate) fn create(target: &Path) -> Result<(Self, File), BackupError> {
        let name = target
            .file_name()
            .ok_or_else(|| BackupError::Refused(format!("{} does not name a file", target.display())))?;
        if target.exists() {
            return Err(BackupError::Refused(format!(
                "{} already exists: choose another file name, or remove it first",
                target.display()
            )));
        }
        let dir = target.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        if !dir.is_dir() {
            return Err(BackupError::Refused(format!("the directory {} does not exist", dir.display())));
        }
        let partial = dir.join(format!(".{}.partial", name.to_string_lossy()));
        // A partial file left by a backup that died: ours by its name.
        let _ = std::fs::remove_file(&partial);
        let file = create_owner_only(&partial)?;
        Ok((PartialFile { partial, target: target.to_path_buf(), completed: false }, file))
    }

    pub(crate) fn path(&self) -> &Path {
        &self.partial
    }

    /// Flushes the file to disk and gives it its final name; its size.
    pub(crate) fn complete(mut self) -> Result<u64, BackupError> {
        let failed = |e: std::io::Error| BackupError::Failed(format!("cannot complete {}: {e}", self.target.display()));
        let file = File::open(&self.partial).map_err(failed)?;
        file.sync_all().map_err(failed)?;
        let bytes = file.metadata().map_err(failed)?.len();
        drop(file);
        std::fs::rename(&self.partial, &self.target).map_err(failed)?;
        self.completed = true;
        if let Some(dir) = self.target.parent().filter(|p| !p.as_os_str().is_empty())
            && let Ok(dir) = File::open(dir)
        {
            let _ = dir.sync_all();
        }
        Ok(bytes)
    }
}

impl Drop for PartialFile {
    fn drop(&mut self) {
        if !self.completed {
            let _ = std::fs::remove_file(&self.partial);
        }
    }
}

/// Creates `path`, which must not exist, readable and writable by its owner only.
fn create_owner_only(path: &Path) -> Result<File, BackupError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map_err(|e| BackupError::Failed(format!("cannot create {}: {e}", path.display())))
}

impl Database {
    /// Writes a consistent copy of the whole database to `path` (which must
    /// not exist), owner-only, while the server may go on writing.
    pub async fn backup_to(&self, path: &Path) -> Result<BackupReport, BackupError> {
        let format = BackupFormat::of(self.kind());
        let (partial, file) = PartialFile::create(path)?;
        match self.kind() {
            DatabaseKind::Sqlite => {
                // SQLite writes the file through its own handle; an empty file is accepted.
                drop(file);
                let into = partial.path().to_string_lossy().to_string();
                let mut conn = self.conn().await?;
                with_conn!(&mut conn, |c| diesel::sql_query("VACUUM INTO ?")
                    .bind::<diesel::sql_types::Text, _>(into)
                    .execute(c)
                    .await)?;
            }
            DatabaseKind::Postgres => {
                let server = self.postgres_server_version().await?;
                postgres_tools::dump(self.target(), server, file).await?;
            }
        }
        let bytes = partial.complete()?;
        Ok(BackupReport { path: path.to_path_buf(), bytes, format })
    }

    /// `server_version_num` of the PostgreSQL server (150004 for 15.4).
    async fn postgres_server_version(&self) -> Result<u32, BackupError> {
        #[derive(diesel::QueryableByName)]
        struct Version {
            #[diesel(sql_type = diesel::sql_types::Text)]
            server_version_num: String,
        }
        let mut conn = self.conn().await?;
        let version: Version =
            with_conn!(&mut conn, |c| diesel::sql_query("SHOW server_version_num").get_result(c).await)?;
        version
            .server_version_num
            .trim()
            .parse()
            .map_err(|_| BackupError::Failed(format!("unexpected server_version_num {:?}", version.server_version_num)))
    }

    /// The tables of the database's current schema (SQLite: its tables,
    /// not SQLite's own), sorted.
    pub(crate) async fn table_names(&self) -> Result<Vec<String>, DbError> {
        #[derive(diesel::QueryableByName)]
        struct Table {
            #[diesel(sql_type = diesel::sql_types::Text)]
            name: String,
        }
        let mut conn = self.conn().await?;
        let tables: Vec<Table> =
            match &mut conn {
                crate::pool::DbConn::Sqlite(c) => diesel::sql_query(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
                     ORDER BY name",
                )
                .load(&mut **c)
                .await?,
                crate::pool::DbConn::Pg(c) => {
                    diesel::sql_query(
                        "SELECT table_name::text AS name FROM information_schema.tables \
                     WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1",
                    )
                    .load(&mut **c)
                    .await?
                }
            };
        Ok(tables.into_iter().map(|t| t.name).collect())
    }
}

/// Restores the backup `file` into the database `config` names, which must
/// be empty, then applies the migrations a backup of an older release
/// lacks. The server must not be running on that database.
pub async fn restore_backup(config: &DatabaseConfig, file: &Path) -> Result<RestoreReport, BackupError> {
    let kind = DatabaseKind::from_url(&config.url).map_err(|e| BackupError::Refused(e.to_string()))?;
    let format = BackupFormat::detect(file)?.ok_or_else(|| {
        BackupError::Refused(format!(
            "{} is not a Maillage backup (neither a SQLite database nor a pg_dump archive in custom format)",
            file.display()
        ))
    })?;
    match (format, kind) {
        (BackupFormat::Sqlite, DatabaseKind::Sqlite) => restore_sqlite(config, file).await?,
        (BackupFormat::PostgresArchive, DatabaseKind::Postgres) => {
            let db = Database::connect(config).await?;
            let outcome = restore_postgres(&db, file).await;
            db.close();
            outcome?;
        }
        (BackupFormat::Sqlite, DatabaseKind::Postgres) => {
            return Err(BackupError::Refused(format!(
                "{} is a SQLite backup and database.url names PostgreSQL: restore it into a SQLite database \
                 (database.url = \"sqlite://PATH\"), then move that with `maillage admin migrate-database --to postgres://...`",
                file.display()
            )));
        }
        (BackupFormat::PostgresArchive, DatabaseKind::Sqlite) => {
            return Err(BackupError::Refused(format!(
                "{} is a PostgreSQL backup and database.url names SQLite: restore it into a PostgreSQL \
                 database (database.url = \"postgres://USER:PASSWORD@HOST/DBNAME\")",
                file.display()
            )));
        }
    }
    let db = Database::connect(config).await?;
    let migrated = db.migrate().await;
    db.close();
    Ok(RestoreReport { format, migrated: migrated?.applied })
}

/// How to get an empty database, for refusals.
const EMPTY_DATABASE_HINT: &str = "restore into an empty database: on PostgreSQL create a new one \
     (`createdb -O USER NEWNAME`) and point database.url at it; on SQLite give database.url a file \
     that does not exist yet";

async fn restore_sqlite(config: &DatabaseConfig, file: &Path) -> Result<(), BackupError> {
    let target = PathBuf::from(crate::pool::sqlite_path(&config.url));
    if target.exists() {
        let db = Database::connect(config).await?;
        let tables = db.table_names().await;
        db.close();
        let tables = tables?;
        if !tables.is_empty() {
            return Err(BackupError::Refused(format!(
                "the database {} is not empty (it has {} tables): {EMPTY_DATABASE_HINT}",
                target.display(),
                tables.len()
            )));
        }
        // An empty database file (and its log) stands for nothing: replaced.
        for suffix in ["", "-wal", "-shm"] {
            let path = PathBuf::from(format!("{}{suffix}", target.display()));
            if let Err(error) = std::fs::remove_file(&path)
                && error.kind() != std::io::ErrorKind::NotFound
            {
                return Err(BackupError::Failed(format!("cannot replace {}: {error}", path.display())));
            }
        }
    } else if let Some(dir) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| BackupError::Failed(format!("cannot create the directory {}: {e}", dir.display())))?;
    }
    let (partial, mut copy) = PartialFile::create(&target)?;
    let mut source =
        File::open(file).map_err(|e| BackupError::Failed(format!("cannot read {}: {e}", file.display())))?;
    std::io::copy(&mut source, &mut copy)
        .map_err(|e| BackupError::Failed(format!("cannot copy {} into place: {e}", file.display())))?;
    drop(copy);
    check_sqlite_backup(partial.path(), file).await?;
    partial.complete()?;
    Ok(())
}

/// Refuses a SQLite file that is damaged or not a Maillage database.
async fn check_sqlite_backup(copy: &Path, shown: &Path) -> Result<(), BackupError> {
    #[derive(diesel::QueryableByName)]
    struct Answer {
        #[diesel(sql_type = diesel::sql_types::Text)]
        answer: String,
    }
    let mut conn = crate::pool::SqliteConn::establish(&copy.to_string_lossy())
        .await
        .map_err(|e| BackupError::Failed(format!("cannot open {}: {e}", shown.display())))?;
    let check: Answer =
        diesel::sql_query("SELECT quick_check AS answer FROM pragma_quick_check").get_result(&mut conn).await?;
    if check.answer != "ok" {
        return Err(BackupError::Refused(format!("{} is damaged: {}", shown.display(), check.answer)));
    }
    let ours: Answer = diesel::sql_query(
        "SELECT CAST(count(*) AS TEXT) AS answer FROM sqlite_master WHERE name IN ('__diesel_schema_migrations', 'local_actors')",
    )
    .get_result(&mut conn)
    .await?;
    if ours.answer != "2" {
        return Err(BackupError::Refused(format!("{} is a SQLite database, but not one of Maillage", shown.display())));
    }
    Ok(())
}

async fn restore_postgres(db: &Database, file: &Path) -> Result<(), BackupError> {
    let tables = db.table_names().await?;
    if !tables.is_empty() {
        return Err(BackupError::Refused(format!(
            "the database {} is not empty (it has {} tables, e.g. {}): {EMPTY_DATABASE_HINT}",
            db.display_target(),
            tables.len(),
            tables[0]
        )));
    }
    let server = db.postgres_server_version().await?;
    postgres_tools::restore(db.target(), server, file).await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::os::unix::fs::PermissionsExt;

    use super::*;
    use crate::testing::TestDatabase;

    fn config(test: &TestDatabase) -> DatabaseConfig {
        DatabaseConfig { url: test.url().to_string(), max_connections: 2, connect_timeout_seconds: 5 }
    }

    #[test]
    fn a_partial_file_is_owner_only_and_named_only_once_complete() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("hub.backup");
        let (partial, mut file) = PartialFile::create(&target).unwrap();
        assert_eq!(std::fs::metadata(partial.path()).unwrap().permissions().mode() & 0o777, 0o600);
        std::io::Write::write_all(&mut file, b"half").unwrap();
        drop((partial, file));
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "a backup that failed leaves nothing");

        let (partial, mut file) = PartialFile::create(&target).unwrap();
        std::io::Write::write_all(&mut file, b"whole").unwrap();
        drop(file);
        assert_eq!(partial.complete().unwrap(), 5);
        assert_eq!(std::fs::metadata(&target).unwrap().permissions().mode() & 0o777, 0o600);
        assert!(matches!(PartialFile::create(&target), Err(BackupError::Refused(_))), "never overwritten");
        assert_eq!(std::fs::read(&target).unwrap(), b"whole");
    }

    #[tokio::test]
    async fn a_backup_of_an_older_release_restores_and_migrates_forward() {
        let older = TestDatabase::create().await.unwrap();
        let db = Database::connect(&config(&older)).await.unwrap();
        db.migrate_before("2026-12-07-000501_backup_schedule").await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("older.backup");
        let report = db.backup_to(&file).await.unwrap();
        assert_eq!(report.format, BackupFormat::of(db.kind()));
        assert_eq!(BackupFormat::detect(&file).unwrap(), Some(report.format));
        db.close();

        let fresh = TestDatabase::create().await.unwrap();
        let restored = restore_backup(&config(&fresh), &file).await.unwrap();
        // The migrations the backup lacked: that one and any written since.
        assert_eq!(
            restored.migrated.iter().map(String::as_str).next(),
            Some("20261207000501"),
            "{:?}",
            restored.migrated
        );
        let db = Database::connect(&config(&fresh)).await.unwrap();
        assert!(db.table_names().await.unwrap().contains(&"backup_schedule".to_string()));
        // Restoring again: refused, the database holds data now.
        let again = restore_backup(&config(&fresh), &file).await.unwrap_err();
        assert!(matches!(again, BackupError::Refused(ref m) if m.contains("not empty")), "{again}");
    }
}
