//! Embedded migrations for both backends, run at start or by `maillage migrate`
//! (`--dry-run` lists the pending ones without writing anything).
//!
//! The two folders must hold the same migration names (a test checks it).
//! On PostgreSQL the run holds an advisory lock, so that several processes
//! starting together apply each migration once.

use diesel::migration::MigrationSource;
use diesel::pg::Pg;
use diesel::sqlite::{Sqlite, SqliteConnection};
use diesel::{Connection, RunQueryDsl, connection::SimpleConnection};
use diesel_async::AsyncPgConnection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::pool::SQLITE_SETUP;
use crate::{Database, DatabaseKind, DbError};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");

/// Arbitrary, fixed: the key of the advisory lock all Maillage processes share.
const MIGRATION_LOCK_KEY: i64 = 0x4d61_696c_6c61_6765; // "Maillage"

/// What a migration run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationReport {
    /// Names of the migrations applied by this run, oldest first.
    pub applied: Vec<String>,
}

/// The names of the embedded migrations of one backend, oldest first.
pub fn migration_names(kind: DatabaseKind) -> Result<Vec<String>, DbError> {
    let names = match kind {
        DatabaseKind::Sqlite => MigrationSource::<Sqlite>::migrations(&SQLITE_MIGRATIONS)
            .map(|list| list.iter().map(|m| m.name().to_string()).collect()),
        DatabaseKind::Postgres => MigrationSource::<Pg>::migrations(&POSTGRES_MIGRATIONS)
            .map(|list| list.iter().map(|m| m.name().to_string()).collect()),
    };
    let mut names: Vec<String> = names.map_err(|e| DbError::Migration(e.to_string()))?;
    names.sort();
    Ok(names)
}

impl Database {
    /// The names of the migrations [`Database::migrate`] would apply, oldest
    /// first. Reads only: unlike diesel's harness, it does not create the
    /// table of applied migrations on a new database.
    pub async fn pending_migrations(&self) -> Result<Vec<String>, DbError> {
        let target = self.target().to_string();
        let kind = self.kind();
        let applied = tokio::task::spawn_blocking(move || match kind {
            DatabaseKind::Sqlite => {
                let mut conn = SqliteConnection::establish(&target).map_err(|e| DbError::Connect {
                    backend: "sqlite",
                    target: target.clone(),
                    reason: e.to_string(),
                })?;
                conn.batch_execute("PRAGMA busy_timeout = 5000;")?;
                applied_versions(&mut conn, SQLITE_HAS_MIGRATIONS_TABLE)
            }
            DatabaseKind::Postgres => {
                let mut conn =
                    AsyncConnectionWrapper::<AsyncPgConnection>::establish(&target).map_err(|e| DbError::Connect {
                        backend: "postgres",
                        target: maillage_config::mask_url_password(&target),
                        reason: e.to_string(),
                    })?;
                applied_versions(&mut conn, POSTGRES_HAS_MIGRATIONS_TABLE)
            }
        })
        .await
        .map_err(|e| DbError::Migration(format!("migration task failed: {e}")))??;
        let mut pending = Vec::new();
        for name in migration_names(kind)? {
            if !applied.contains(&diesel_version(&name)) {
                pending.push(name);
            }
        }
        Ok(pending)
    }

    /// Applies every pending migration. Safe to call from several processes
    /// at once on PostgreSQL; SQLite is single-process by design.
    pub async fn migrate(&self) -> Result<MigrationReport, DbError> {
        let conn = self.migration_connection().await?;
        // diesel's migration harness is synchronous: run it on a blocking thread.
        tokio::task::spawn_blocking(move || match conn {
            MigrationConn::Sqlite(path) => migrate_sqlite(&path),
            MigrationConn::Postgres(conn) => migrate_postgres(conn),
        })
        .await
        .map_err(|e| DbError::Migration(format!("migration task failed: {e}")))?
    }

    /// What a migration run connects with: PostgreSQL's connection is opened
    /// here, by the connector every connection goes through (TLS included),
    /// before the run moves to its blocking thread.
    async fn migration_connection(&self) -> Result<MigrationConn, DbError> {
        match self.kind() {
            DatabaseKind::Sqlite => Ok(MigrationConn::Sqlite(self.target().to_string())),
            DatabaseKind::Postgres => self.dedicated_postgres_connection().await.map(MigrationConn::Postgres),
        }
    }
}

// One per migration run: not worth a Box.
#[allow(clippy::large_enum_variant)]
enum MigrationConn {
    /// The file's path: SQLite connections are opened on the blocking thread.
    Sqlite(String),
    Postgres(AsyncPgConnection),
}

/// Whether diesel's table of applied migrations exists (`present` is 1 or 0).
const SQLITE_HAS_MIGRATIONS_TABLE: &str = "SELECT count(*) AS present FROM sqlite_master \
     WHERE type = 'table' AND name = '__diesel_schema_migrations'";
const POSTGRES_HAS_MIGRATIONS_TABLE: &str = "SELECT count(*) AS present FROM pg_catalog.pg_tables \
     WHERE tablename = '__diesel_schema_migrations' AND schemaname = ANY (current_schemas(false))";

#[derive(diesel::QueryableByName)]
struct TablePresent {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    present: i64,
}

#[derive(diesel::QueryableByName)]
struct AppliedVersion {
    #[diesel(sql_type = diesel::sql_types::Text)]
    version: String,
}

/// The versions diesel recorded as applied; none when its table does not exist.
fn applied_versions<C>(conn: &mut C, has_table: &str) -> Result<Vec<String>, DbError>
where
    C: Connection,
    diesel::query_builder::SqlQuery: diesel::query_dsl::LoadQuery<'static, C, TablePresent>
        + diesel::query_dsl::LoadQuery<'static, C, AppliedVersion>,
{
    let present: Vec<TablePresent> = diesel::sql_query(has_table).load(conn)?;
    if present.first().is_none_or(|row| row.present == 0) {
        return Ok(Vec::new());
    }
    let versions: Vec<AppliedVersion> =
        diesel::sql_query("SELECT version FROM __diesel_schema_migrations").load(conn)?;
    Ok(versions.into_iter().map(|row| row.version).collect())
}

/// As diesel names a migration's version: its name up to the first `_`, without dashes.
fn diesel_version(name: &str) -> String {
    name.split('_').next().unwrap_or_default().replace('-', "")
}

fn report(applied: Vec<diesel::migration::MigrationVersion<'_>>) -> MigrationReport {
    MigrationReport { applied: applied.iter().map(|v| v.to_string()).collect() }
}

fn migrate_sqlite(path: &str) -> Result<MigrationReport, DbError> {
    let mut conn = SqliteConnection::establish(path).map_err(|e| DbError::Connect {
        backend: "sqlite",
        target: path.to_string(),
        reason: e.to_string(),
    })?;
    conn.batch_execute(SQLITE_SETUP)?;
    let applied = conn.run_pending_migrations(SQLITE_MIGRATIONS).map_err(|e| DbError::Migration(e.to_string()))?;
    Ok(report(applied))
}

fn migrate_postgres(conn: AsyncPgConnection) -> Result<MigrationReport, DbError> {
    let mut conn = AsyncConnectionWrapper::<AsyncPgConnection>::from(conn);
    // The lock belongs to this session: lock, migrate and unlock on one connection.
    diesel::sql_query("SELECT pg_advisory_lock($1)")
        .bind::<diesel::sql_types::BigInt, _>(MIGRATION_LOCK_KEY)
        .execute(&mut conn)?;
    let outcome =
        conn.run_pending_migrations(POSTGRES_MIGRATIONS).map(report).map_err(|e| DbError::Migration(e.to_string()));
    let unlocked = diesel::sql_query("SELECT pg_advisory_unlock($1)")
        .bind::<diesel::sql_types::BigInt, _>(MIGRATION_LOCK_KEY)
        .execute(&mut conn);
    let report = outcome?;
    unlocked?;
    Ok(report)
}

#[cfg(any(test, feature = "testing"))]
impl Database {
    /// Applies the migrations whose names sort before `stop`, leaving the
    /// database as an older release left it (tests of later migrations).
    pub async fn migrate_before(&self, stop: &str) -> Result<(), DbError> {
        let (conn, stop) = (self.migration_connection().await?, stop.to_string());
        tokio::task::spawn_blocking(move || migrate_before(conn, &stop))
            .await
            .map_err(|e| DbError::Migration(format!("migration task failed: {e}")))?
    }
}

#[cfg(any(test, feature = "testing"))]
fn migrate_before(conn: MigrationConn, stop: &str) -> Result<(), DbError> {
    fn run<DB: diesel::backend::Backend, C: MigrationHarness<DB>>(
        conn: &mut C,
        source: EmbeddedMigrations,
        stop: &str,
    ) -> Result<(), DbError>
    where
        EmbeddedMigrations: MigrationSource<DB>,
    {
        // Listing what is pending also creates diesel's table of applied migrations.
        let mut migrations = conn.pending_migrations(source).map_err(|e| DbError::Migration(e.to_string()))?;
        migrations.sort_by_key(|m| m.name().to_string());
        for migration in migrations.iter().filter(|m| m.name().to_string().as_str() < stop) {
            conn.run_migration(migration.as_ref()).map_err(|e| DbError::Migration(e.to_string()))?;
        }
        Ok(())
    }
    match conn {
        MigrationConn::Sqlite(target) => {
            let mut conn = SqliteConnection::establish(&target)
                .map_err(|e| DbError::Migration(format!("cannot open {target}: {e}")))?;
            conn.batch_execute(SQLITE_SETUP)?;
            run(&mut conn, SQLITE_MIGRATIONS, stop)
        }
        MigrationConn::Postgres(conn) => {
            run(&mut AsyncConnectionWrapper::<AsyncPgConnection>::from(conn), POSTGRES_MIGRATIONS, stop)
        }
    }
}

#[cfg(test)]
impl Database {
    /// Reverts the applied migrations from `stop` on, newest first, so that
    /// a test can write rows as they were before `stop` and check what
    /// applying it again does to them.
    pub(crate) async fn revert_migrations_from(&self, stop: &str) -> Result<(), DbError> {
        fn newest_from<DB: diesel::backend::Backend>(
            conn: &mut impl MigrationHarness<DB>,
            stop: &str,
        ) -> Result<bool, DbError> {
            let applied = conn.applied_migrations().map_err(|e| DbError::Migration(e.to_string()))?;
            Ok(applied.iter().map(ToString::to_string).max().is_some_and(|newest| newest >= diesel_version(stop)))
        }
        let (conn, stop) = (self.migration_connection().await?, stop.to_string());
        let migration = |e: Box<dyn std::error::Error + Send + Sync>| DbError::Migration(e.to_string());
        tokio::task::spawn_blocking(move || match conn {
            MigrationConn::Sqlite(target) => {
                let mut conn = SqliteConnection::establish(&target)
                    .map_err(|e| DbError::Migration(format!("cannot connect: {e}")))?;
                conn.batch_execute(SQLITE_SETUP)?;
                while newest_from(&mut conn, &stop)? {
                    conn.revert_last_migration(SQLITE_MIGRATIONS).map_err(migration)?;
                }
                Ok(())
            }
            MigrationConn::Postgres(conn) => {
                let mut conn = AsyncConnectionWrapper::<AsyncPgConnection>::from(conn);
                while newest_from(&mut conn, &stop)? {
                    conn.revert_last_migration(POSTGRES_MIGRATIONS).map_err(migration)?;
                }
                Ok(())
            }
        })
        .await
        .map_err(|e| DbError::Migration(format!("migration task failed: {e}")))?
    }
}
