//! A fresh, empty database per test on the backend under test.
//!
//! `MAILLAGE_TEST_DATABASE_URL` picks the backend: unset (or `sqlite://...`)
//! gives a new SQLite file in a temporary directory; a `postgres://` URL
//! names a server on which each test gets its own `CREATE DATABASE`, dropped
//! when the test's handle is dropped. `scripts/test` runs the suite both ways.

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

use crate::postgres_connect::PgConnector;
use maillage_config::DatabaseKind;

/// The variable that points the test suite at a PostgreSQL server.
pub const TEST_DATABASE_URL_VAR: &str = "MAILLAGE_TEST_DATABASE_URL";

/// A database that exists for the lifetime of this value.
pub struct TestDatabase {
    url: String,
    kind: DatabaseKind,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

impl TestDatabase {
    /// Creates an empty database on the backend `MAILLAGE_TEST_DATABASE_URL` selects.
    pub async fn create() -> Result<Self, String> {
        match std::env::var(TEST_DATABASE_URL_VAR) {
            Ok(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Self::create_postgres(&url).await
            }
            Ok(url) if !url.is_empty() && !url.starts_with("sqlite://") => {
                Err(format!("{TEST_DATABASE_URL_VAR}={url} is neither postgres:// nor sqlite://"))
            }
            _ => Self::create_sqlite(),
        }
    }

    pub fn create_sqlite() -> Result<Self, String> {
        let dir = tempfile::Builder::new().prefix("maillage-test-").tempdir().map_err(|e| e.to_string())?;
        let url = format!("sqlite://{}", dir.path().join("maillage.sqlite3").display());
        Ok(TestDatabase { url, kind: DatabaseKind::Sqlite, cleanup: Cleanup::Sqlite(dir) })
    }

    pub async fn create_postgres(admin_url: &str) -> Result<Self, String> {
        let name = format!("maillage_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = connect_admin(admin_url).await?;
        diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut admin).await.map_err(|e| e.to_string())?;
        let mut url = url::Url::parse(admin_url).map_err(|e| e.to_string())?;
        url.set_path(&format!("/{name}"));
        Ok(TestDatabase {
            url: url.to_string(),
            kind: DatabaseKind::Postgres,
            cleanup: Cleanup::Postgres { admin_url: admin_url.to_string(), name },
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn kind(&self) -> DatabaseKind {
        self.kind
    }

    /// Runs an SQL script (several statements, e.g. a dump) on this
    /// database, on a connection of its own that no setting outlives.
    pub async fn load_sql(&self, sql: &str) -> Result<(), String> {
        use diesel_async::SimpleAsyncConnection;
        match self.kind {
            DatabaseKind::Postgres => {
                let mut conn = AsyncPgConnection::establish(&self.url).await.map_err(|e| e.to_string())?;
                conn.batch_execute(sql).await.map_err(|e| e.to_string())
            }
            DatabaseKind::Sqlite => {
                let path = self.url.trim_start_matches("sqlite://");
                let mut conn = crate::pool::SqliteConn::establish(path).await.map_err(|e| e.to_string())?;
                conn.batch_execute(sql).await.map_err(|e| e.to_string())
            }
        }
    }

    /// Makes the database fail as in an outage until the returned value's
    /// [`Interruption::end`]: on PostgreSQL nobody can connect (as when the
    /// server is stopped), on SQLite another program holds the write lock
    /// (writes fail after the busy timeout, reads go on).
    pub async fn interrupt(&self) -> Result<Interruption, String> {
        match &self.cleanup {
            Cleanup::Postgres { admin_url, name } => {
                let mut admin = connect_admin(admin_url).await?;
                for statement in [
                    format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"),
                    format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"),
                ] {
                    diesel::sql_query(statement).execute(&mut admin).await.map_err(|e| e.to_string())?;
                }
                Ok(Interruption(Held::Postgres { admin: Box::new(admin), name: name.clone() }))
            }
            Cleanup::Sqlite(_) => {
                let path = self.url.trim_start_matches("sqlite://");
                let mut holder = crate::pool::SqliteConn::establish(path).await.map_err(|e| e.to_string())?;
                diesel::sql_query("BEGIN EXCLUSIVE").execute(&mut holder).await.map_err(|e| e.to_string())?;
                Ok(Interruption(Held::Sqlite(holder)))
            }
        }
    }
}

/// A connection to the server's maintenance database, opened as the
/// instance opens its own (TLS parameters included).
async fn connect_admin(admin_url: &str) -> Result<AsyncPgConnection, String> {
    let connector = PgConnector::from_url(admin_url).map_err(|e| e.to_string())?;
    connector.connect().await.map_err(|e| e.reason().to_string())
}

/// An outage made by [`TestDatabase::interrupt`].
pub struct Interruption(Held);

enum Held {
    Postgres { admin: Box<AsyncPgConnection>, name: String },
    Sqlite(crate::pool::SqliteConn),
}

impl Interruption {
    /// Ends the outage.
    pub async fn end(self) -> Result<(), String> {
        match self.0 {
            Held::Postgres { mut admin, name } => {
                diesel::sql_query(format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"))
                    .execute(&mut *admin)
                    .await
                    .map_err(|e| e.to_string())?;
            }
            Held::Sqlite(mut holder) => {
                diesel::sql_query("ROLLBACK").execute(&mut holder).await.map_err(|e| e.to_string())?;
            }
        }
        Ok(())
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Cleanup::Postgres { admin_url, name } = &self.cleanup else { return };
        let (admin_url, name) = (admin_url.clone(), name.clone());
        // Drop may run inside a runtime: use a thread with its own runtime.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            runtime.block_on(async {
                let mut admin = connect_admin(&admin_url).await.ok()?;
                diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut admin).await.ok()
            })
        });
        let _ = dropped.join();
    }
}

/// A remote actor as its server would describe it, for tests: its username
/// is the last segment of `id`, its domain the host (and port) of `id`, its
/// inbox `{id}/inbox`, its key `{id}#main-key`; no profile. Tests change
/// what they need with `..remote_actor(id, kind)`.
pub fn remote_actor(id: &str, actor_type: &str) -> crate::NewRemoteActor {
    let url = url::Url::parse(id).expect("a remote actor's id is a URL");
    let host = url.host_str().expect("a remote actor's id has a host");
    crate::NewRemoteActor {
        ap_id: id.into(),
        actor_type: actor_type.into(),
        username: id.rsplit('/').next().unwrap_or_default().into(),
        domain: url.port().map_or_else(|| host.to_string(), |port| format!("{host}:{port}")),
        display_name: None,
        summary: None,
        url: None,
        icon_url: None,
        inbox_url: format!("{id}/inbox"),
        shared_inbox_url: None,
        outbox_url: None,
        followers_url: None,
        public_key_id: format!("{id}#main-key"),
        public_key_pem: "PEM".into(),
        manually_approves_followers: false,
        raw_json: "{}".into(),
        profile_json: None,
    }
}
