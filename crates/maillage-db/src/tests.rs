//! Storage tests; each runs on the backend `MAILLAGE_TEST_DATABASE_URL` selects.

use maillage_config::DatabaseConfig;

use crate::testing::TestDatabase;
use crate::*;

async fn fresh() -> (TestDatabase, Database) {
    let test_db = TestDatabase::create().await.expect("test database");
    let config = DatabaseConfig { url: test_db.url().to_string(), max_connections: 4, connect_timeout_seconds: 5 };
    let db = Database::connect(&config).await.expect("connect");
    (test_db, db)
}

#[test]
fn both_backends_have_the_same_migrations() {
    let sqlite = migration_names(DatabaseKind::Sqlite).unwrap();
    let postgres = migration_names(DatabaseKind::Postgres).unwrap();
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, postgres, "migrations/sqlite and migrations/postgres must hold the same names");
}

#[test]
fn migration_folders_on_disk_match() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations");
    let list = |backend: &str| {
        let mut names: Vec<String> = std::fs::read_dir(root.join(backend))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| !n.starts_with('.'))
            .collect();
        names.sort();
        names
    };
    assert_eq!(list("sqlite"), list("postgres"));
}

#[tokio::test]
async fn migrations_apply_once_then_nothing() {
    let (_guard, db) = fresh().await;
    let first = db.migrate().await.unwrap();
    assert_eq!(first.applied.len(), migration_names(db.kind()).unwrap().len());
    let second = db.migrate().await.unwrap();
    assert!(second.applied.is_empty());
}

#[tokio::test]
async fn concurrent_migrations_do_not_collide() {
    let (_guard, db) = fresh().await;
    if db.kind() == DatabaseKind::Sqlite {
        // SQLite is single-process; concurrency is a PostgreSQL promise.
        return;
    }
    let runs = futures_join_all((0..4).map(|_| {
        let db = db.clone();
        tokio::spawn(async move { db.migrate().await })
    }))
    .await;
    let applied: usize = runs.into_iter().map(|r| r.unwrap().unwrap().applied.len()).sum();
    assert_eq!(applied, migration_names(db.kind()).unwrap().len(), "each migration applied exactly once");
}

async fn futures_join_all<T>(
    handles: impl Iterator<Item = tokio::task::JoinHandle<T>>,
) -> Vec<Result<T, tokio::task::JoinError>> {
    let mut out = Vec::new();
    for handle in handles.collect::<Vec<_>>() {
        out.push(handle.await);
    }
    out
}

#[tokio::test]
async fn settings_round_trip_and_first_writer_wins() {
    let (_guard, db) = fresh().await;
    db.migrate().await.unwrap();
    assert_eq!(db.setting(InstanceSetting::Domain).await.unwrap(), None);
    assert_eq!(db.setting_or_insert(InstanceSetting::Domain, "a.example").await.unwrap(), "a.example");
    assert_eq!(db.setting_or_insert(InstanceSetting::Domain, "b.example").await.unwrap(), "a.example");
    db.set_setting(InstanceSetting::Domain, "c.example").await.unwrap();
    assert_eq!(db.setting(InstanceSetting::Domain).await.unwrap().as_deref(), Some("c.example"));
}

#[tokio::test]
async fn timestamps_round_trip_at_microseconds() {
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    let (_guard, db) = fresh().await;
    db.migrate().await.unwrap();
    let at = UtcTime::from(chrono::DateTime::parse_from_rfc3339("2026-11-25T10:11:12.123456789Z").unwrap().to_utc());
    let mut conn = db.conn().await.unwrap();
    let read: UtcTime = with_conn!(&mut conn, |c| {
        diesel::insert_into(schema::instance_settings::table)
            .values((
                schema::instance_settings::key.eq("t"),
                schema::instance_settings::value.eq(""),
                schema::instance_settings::updated_at.eq(at),
            ))
            .execute(c)
            .await
            .unwrap();
        schema::instance_settings::table.find("t").select(schema::instance_settings::updated_at).first(c).await
    })
    .unwrap();
    assert_eq!(read, at);
    assert_eq!(read.as_datetime().timestamp_subsec_nanos(), 123_456_000);
}

#[tokio::test]
async fn sqlite_connections_are_configured() {
    use diesel::sql_types::BigInt;
    use diesel_async::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Pragma {
        #[diesel(sql_type = BigInt)]
        foreign_keys: i64,
    }
    let (_guard, db) = fresh().await;
    if db.kind() != DatabaseKind::Sqlite {
        return;
    }
    let mut conn = db.conn().await.unwrap();
    let crate::pool::DbConn::Sqlite(c) = &mut conn else { unreachable!() };
    let row: Pragma = diesel::sql_query("PRAGMA foreign_keys").get_result(&mut **c).await.unwrap();
    assert_eq!(row.foreign_keys, 1);
    #[derive(diesel::QueryableByName)]
    struct Mode {
        #[diesel(sql_type = diesel::sql_types::Text)]
        journal_mode: String,
    }
    let mode: Mode = diesel::sql_query("PRAGMA journal_mode").get_result(&mut **c).await.unwrap();
    assert_eq!(mode.journal_mode, "wal");
}

#[tokio::test]
async fn bad_locations_fail_with_a_clear_error() {
    let config = |url: &str| DatabaseConfig { url: url.to_string(), max_connections: 2, connect_timeout_seconds: 2 };
    let err = Database::connect(&config("mysql://x")).await.err().unwrap().to_string();
    assert!(err.contains("database.url"), "{err}");

    // A PostgreSQL port nobody listens on.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let err = Database::connect(&config(&format!("postgres://u:secret@127.0.0.1:{port}/db")))
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("cannot open the postgres database"), "{err}");
    assert!(!err.contains("secret"), "password leaked: {err}");

    // A data directory under a file cannot be created.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plain-file");
    std::fs::write(&file, b"x").unwrap();
    let err = Database::connect(&config(&format!("sqlite://{}/sub/db.sqlite3", file.display())))
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("data directory"), "{err}");
}
