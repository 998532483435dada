//! Moving a SQLite hub into an empty PostgreSQL database, keys and all
//! (`maillage admin migrate-database`).
//!
//! The target gets our migrations, then every table of [`TABLES`] is copied
//! in that order (parents before the rows that refer to them) in one
//! transaction on the target, all or nothing, from one read snapshot of the
//! source. Rows travel as JSON: SQLite's `json_object` writes each row with
//! its column names, PostgreSQL's `json_populate_recordset` reads it back
//! with each column's own type, so integers stored for booleans, text for
//! timestamps and JSON kept as text arrive as the values the app wrote. The
//! sequences behind `BIGSERIAL` ids are then set past the copied ids.

use diesel::sql_types::{BigInt, Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use maillage_config::{DatabaseConfig, DatabaseKind, mask_url_password};

use super::BackupError;
use crate::Database;
use crate::pool::{DbConn, SqliteConn};

/// Every table of the schema, parents before the tables whose foreign keys
/// refer to them. A table added to `schema.rs` must be added here (a test
/// compares them, and the copy refuses a database with a table it does
/// not know).
pub const TABLES: &[&str] = &[
    "instance_settings",
    "local_actors",
    "remote_actors",
    "users",
    "invites",
    "oauth_apps",
    "oauth_tokens",
    "oauth_codes",
    "posts",
    "idempotency_keys",
    "post_applications",
    "post_tags",
    "post_addressees",
    "activities",
    "deliveries",
    "received_activities",
    "follows",
    "local_follows",
    "enterprise_editors",
    "remote_objects",
    "remote_object_addressees",
    "remote_object_tags",
    "reactions",
    "reshares",
    "featured",
    "notifications",
    "directory_listings",
    "hub_syncs",
    "bookmarks",
    "markers",
    "lists",
    "list_accounts",
    "filters",
    "filter_keywords",
    "mutes",
    "blocks",
    "conversation_marks",
    "announcements",
    "announcement_dismissals",
    "reports",
    "domain_policies",
    "domain_health",
    "backup_schedule",
    "mail_queue",
    "email_links",
    "vapid_keys",
    "push_subscriptions",
    "push_queue",
    "enterprise_contacts",
    "media",
    "remote_media",
];

/// diesel's own table of applied migrations: created by the migrations on
/// the target, compared, not copied.
const MIGRATIONS_TABLE: &str = "__diesel_schema_migrations";

/// Rows read and written at a time.
const BATCH: i64 = 500;

/// What a move copied: rows per table, in copy order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyReport {
    pub tables: Vec<(&'static str, u64)>,
    /// The target, with its password masked.
    pub target: String,
}

#[derive(diesel::QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(diesel::QueryableByName)]
struct JsonRow {
    #[diesel(sql_type = BigInt)]
    key: i64,
    #[diesel(sql_type = Text)]
    row: String,
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    count: i64,
}

fn quoted(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}

impl Database {
    /// Copies this SQLite database, migrated to the current schema, into
    /// the empty PostgreSQL database at `target_url`. The server must be
    /// stopped: what it writes after the copy's snapshot would be lost.
    pub async fn copy_to_postgres(&self, target_url: &str, timeout_seconds: u64) -> Result<CopyReport, BackupError> {
        if self.kind() != DatabaseKind::Sqlite {
            return Err(BackupError::Refused(
                "database.url already names PostgreSQL: migrate-database moves a SQLite hub; to copy a PostgreSQL \
                 database, use `maillage admin backup` and `maillage admin restore`"
                    .into(),
            ));
        }
        if DatabaseKind::from_url(target_url).ok() != Some(DatabaseKind::Postgres) {
            return Err(BackupError::Refused(format!(
                "--to {} is not a PostgreSQL URL: give postgres://USER:PASSWORD@HOST:PORT/DBNAME",
                mask_url_password(target_url)
            )));
        }
        let config = DatabaseConfig {
            url: target_url.to_string(),
            max_connections: 2,
            connect_timeout_seconds: timeout_seconds,
        };
        let target = Database::connect(&config).await?;
        let outcome = copy_into(self, &target).await;
        target.close();
        outcome
    }
}

async fn copy_into(source: &Database, target: &Database) -> Result<CopyReport, BackupError> {
    let unknown: Vec<String> = source
        .table_names()
        .await?
        .into_iter()
        .filter(|t| t != MIGRATIONS_TABLE && !TABLES.contains(&t.as_str()))
        .collect();
    if !unknown.is_empty() {
        return Err(BackupError::Failed(format!(
            "the SQLite database has tables this release does not know how to copy ({}): use the release that \
             made them",
            unknown.join(", ")
        )));
    }
    refuse_unless_empty(target).await?;
    target.migrate().await?;
    let mut source_conn = SqliteConn::establish(source.target())
        .await
        .map_err(|e| BackupError::Failed(format!("cannot open {}: {e}", source.display_target())))?;
    let DbConn::Pg(mut target_conn) = target.conn().await? else {
        return Err(BackupError::Failed("the target is not PostgreSQL".into()));
    };
    let pg: &mut AsyncPgConnection = &mut target_conn;
    // One snapshot of the source for the whole copy.
    source_conn.batch_execute("BEGIN").await?;
    let copied = pg.transaction::<_, BackupError, _>(async |pg| copy_tables(&mut source_conn, pg).await).await;
    let _ = source_conn.batch_execute("ROLLBACK").await;
    Ok(CopyReport { tables: copied?, target: target.display_target().to_string() })
}

/// Refuses a target that holds anything but our empty tables (those of an
/// earlier attempt that failed, all or nothing, after migrating).
async fn refuse_unless_empty(target: &Database) -> Result<(), BackupError> {
    let hint = "give an empty database: `createdb -O USER NEWNAME` makes one";
    let tables = target.table_names().await?;
    let foreign: Vec<&String> =
        tables.iter().filter(|t| *t != MIGRATIONS_TABLE && !TABLES.contains(&t.as_str())).collect();
    if !foreign.is_empty() {
        return Err(BackupError::Refused(format!(
            "the database {} is not empty (it has the tables {}): {hint}",
            target.display_target(),
            foreign.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(", ")
        )));
    }
    let mut conn = target.conn().await?;
    for table in tables.iter().filter(|t| *t != MIGRATIONS_TABLE) {
        let query = format!("SELECT count(*) AS count FROM (SELECT 1 FROM {} LIMIT 1) AS one", quoted(table));
        let rows: Count = with_conn!(&mut conn, |c| diesel::sql_query(&query).get_result(c).await)?;
        if rows.count > 0 {
            return Err(BackupError::Refused(format!(
                "the database {} already holds data (in {table}): {hint}",
                target.display_target()
            )));
        }
    }
    Ok(())
}

async fn copy_tables(
    source: &mut SqliteConn,
    pg: &mut AsyncPgConnection,
) -> Result<Vec<(&'static str, u64)>, BackupError> {
    let applied = |rows: Vec<Name>| rows.into_iter().map(|r| r.name).collect::<Vec<_>>();
    let versions = format!("SELECT version AS name FROM {MIGRATIONS_TABLE} ORDER BY version");
    let (ours, theirs) = (
        applied(diesel::sql_query(&versions).load(source).await?),
        applied(diesel::sql_query(&versions).load(pg).await?),
    );
    if ours != theirs {
        return Err(BackupError::Failed(format!(
            "the two databases are at different migrations ({} and {}): run `maillage migrate` first",
            ours.len(),
            theirs.len()
        )));
    }
    let mut report = Vec::with_capacity(TABLES.len());
    for &table in TABLES {
        report.push((table, copy_table(source, pg, table).await?));
    }
    set_sequences(pg).await?;
    Ok(report)
}

async fn copy_table(source: &mut SqliteConn, pg: &mut AsyncPgConnection, table: &str) -> Result<u64, BackupError> {
    let names = |rows: Vec<Name>| {
        let mut names: Vec<String> = rows.into_iter().map(|r| r.name).collect();
        names.sort();
        names
    };
    let columns =
        names(diesel::sql_query("SELECT name FROM pragma_table_info(?)").bind::<Text, _>(table).load(source).await?);
    let target_columns = names(
        diesel::sql_query(
            "SELECT column_name::text AS name FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1",
        )
        .bind::<Text, _>(table)
        .load(pg)
        .await?,
    );
    if columns.is_empty() || columns != target_columns {
        return Err(BackupError::Failed(format!(
            "the table {table} has other columns in SQLite ({}) than in PostgreSQL ({})",
            columns.join(", "),
            target_columns.join(", ")
        )));
    }
    let pairs: Vec<String> = columns.iter().map(|c| format!("'{}', {}", c.replace('\'', "''"), quoted(c))).collect();
    let read = format!(
        "SELECT rowid AS key, json_object({}) AS row FROM {} WHERE rowid > ? ORDER BY rowid LIMIT {BATCH}",
        pairs.join(", "),
        quoted(table)
    );
    let list = columns.iter().map(|c| quoted(c)).collect::<Vec<_>>().join(", ");
    let write = format!(
        "INSERT INTO {table} ({list}) SELECT {list} FROM json_populate_recordset(NULL::{table}, $1::json)",
        table = quoted(table)
    );
    let (mut after, mut copied) = (i64::MIN, 0u64);
    loop {
        let rows: Vec<JsonRow> = diesel::sql_query(&read).bind::<BigInt, _>(after).load(source).await?;
        let Some(last) = rows.last() else { break };
        after = last.key;
        let batch = format!("[{}]", rows.iter().map(|r| r.row.as_str()).collect::<Vec<_>>().join(","));
        let written = diesel::sql_query(&write)
            .bind::<Text, _>(batch)
            .execute(pg)
            .await
            .map_err(|error| BackupError::Failed(format!("cannot copy the rows of {table}: {error}")))?;
        copied += written as u64;
    }
    let count = format!("SELECT count(*) AS count FROM {}", quoted(table));
    let in_source: Count = diesel::sql_query(&count).get_result(source).await?;
    if in_source.count as u64 != copied {
        return Err(BackupError::Failed(format!("{table}: {copied} rows copied of {}", in_source.count)));
    }
    Ok(copied)
}

/// Sets each `BIGSERIAL` sequence past the largest id copied.
async fn set_sequences(pg: &mut AsyncPgConnection) -> Result<(), BackupError> {
    #[derive(diesel::QueryableByName)]
    struct Serial {
        #[diesel(sql_type = Text)]
        table_name: String,
        #[diesel(sql_type = Text)]
        column_name: String,
        #[diesel(sql_type = Text)]
        sequence: String,
    }
    let serials: Vec<Serial> = diesel::sql_query(
        "SELECT table_name::text AS table_name, column_name::text AS column_name, \
         pg_get_serial_sequence(quote_ident(table_name::text), column_name::text)::text AS sequence \
         FROM information_schema.columns WHERE table_schema = current_schema() \
         AND pg_get_serial_sequence(quote_ident(table_name::text), column_name::text) IS NOT NULL",
    )
    .load(pg)
    .await?;
    for serial in serials {
        let set = format!(
            "SELECT setval($1::regclass, COALESCE((SELECT max({}) FROM {}), 0) + 1, false) AS count",
            quoted(&serial.column_name),
            quoted(&serial.table_name)
        );
        let _: Count = diesel::sql_query(&set).bind::<Text, _>(&serial.sequence).get_result(pg).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::collections::BTreeSet;

    use super::*;
    use crate::testing::TestDatabase;

    /// The tables `schema.rs` declares, read from its text.
    fn schema_tables() -> BTreeSet<String> {
        let schema = include_str!("../schema.rs");
        schema
            .split("diesel::table! {")
            .skip(1)
            .map(|block| block.split_whitespace().next().unwrap().to_string())
            .collect()
    }

    #[test]
    fn every_table_of_the_schema_is_copied_once() {
        let copied: BTreeSet<String> = TABLES.iter().map(|t| t.to_string()).collect();
        assert_eq!(copied.len(), TABLES.len(), "a table is listed twice");
        assert_eq!(copied, schema_tables(), "TABLES must list every table of schema.rs");
    }

    /// The foreign keys of the migrated database: (table, the table it refers to).
    async fn foreign_keys(db: &Database) -> Vec<(String, String)> {
        #[derive(diesel::QueryableByName)]
        struct Reference {
            #[diesel(sql_type = Text)]
            child: String,
            #[diesel(sql_type = Text)]
            parent: String,
        }
        let mut conn = db.conn().await.unwrap();
        let rows: Vec<Reference> = match &mut conn {
            DbConn::Sqlite(c) => diesel::sql_query(
                "SELECT m.name AS child, f.\"table\" AS parent FROM sqlite_master m, pragma_foreign_key_list(m.name) f \
                 WHERE m.type = 'table'",
            )
            .load(&mut **c)
            .await
            .unwrap(),
            DbConn::Pg(c) => diesel::sql_query(
                "SELECT conrelid::regclass::text AS child, confrelid::regclass::text AS parent FROM pg_constraint \
                 WHERE contype = 'f' AND connamespace = current_schema()::regnamespace",
            )
            .load(&mut **c)
            .await
            .unwrap(),
        };
        rows.into_iter().map(|r| (r.child, r.parent)).collect()
    }

    #[tokio::test]
    async fn the_copy_order_is_the_databases_tables_parents_first() {
        let test = TestDatabase::create().await.unwrap();
        let config = DatabaseConfig { url: test.url().to_string(), max_connections: 2, connect_timeout_seconds: 5 };
        let db = Database::connect(&config).await.unwrap();
        db.migrate().await.unwrap();
        let mut in_database: BTreeSet<String> = db.table_names().await.unwrap().into_iter().collect();
        assert!(in_database.remove(MIGRATIONS_TABLE));
        assert_eq!(in_database, TABLES.iter().map(|t| t.to_string()).collect(), "the catalogue's tables");
        let position = |table: &str| TABLES.iter().position(|t| *t == table).unwrap();
        let references = foreign_keys(&db).await;
        assert!(references.len() > 20, "the foreign keys were read: {references:?}");
        for (child, parent) in references {
            assert!(position(&parent) < position(&child), "{parent} must be copied before {child}");
        }
    }
}
