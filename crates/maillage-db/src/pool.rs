//! Connection pools for both backends, chosen by the URL scheme.
//!
//! SQLite connections get WAL, a busy timeout, `synchronous = NORMAL` and
//! foreign keys on every pooled connection. PostgreSQL connections are pure
//! Rust (tokio-postgres, no libpq; TLS with rustls, see
//! [`crate::postgres_connect`]) and run their session in UTC.

use std::time::Duration;

use deadpool::Runtime;
use diesel::sqlite::SqliteConnection;
use diesel_async::pooled_connection::deadpool::{Object, Pool, PoolError};
use diesel_async::pooled_connection::{AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod};
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use maillage_config::{DatabaseConfig, DatabaseKind};

use crate::DbError;
use crate::postgres_connect::PgConnector;

pub(crate) type SqliteConn = SyncConnectionWrapper<SqliteConnection>;

/// The PRAGMAs every SQLite connection runs once, when it is opened.
/// The busy timeout comes first: switching to WAL waits for locks too. The
/// write-ahead log is copied back into the database by
/// [`Database::checkpoint_wal`], called in the background; the automatic
/// checkpoint, run by whichever commit crosses its threshold (so by the
/// writer, holding everyone's writes meanwhile), is only a safety net.
pub(crate) const SQLITE_SETUP: &str = "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; \
     PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA wal_autocheckpoint = 10000;";

#[derive(Clone)]
enum DbPool {
    Pg(Pool<AsyncPgConnection>),
    Sqlite(Pool<SqliteConn>),
}

/// One pooled connection, on whichever backend is configured.
// One connection per task at a time, held briefly: not worth a Box per checkout.
#[allow(clippy::large_enum_variant)]
pub(crate) enum DbConn {
    Pg(Object<AsyncPgConnection>),
    Sqlite(Object<SqliteConn>),
}

/// A handle on the instance's database: cheap to clone, shared by the HTTP
/// server, the workers and the CLI.
#[derive(Clone)]
pub struct Database {
    pool: DbPool,
    kind: DatabaseKind,
    /// The URL (SQLite: the file path) connections are opened with.
    target: std::sync::Arc<str>,
    /// The same, safe to print.
    shown: std::sync::Arc<str>,
    /// How PostgreSQL connections are opened (`None` on SQLite).
    pub(crate) postgres: Option<PgConnector>,
    /// The one connection this process writes SQLite with (see [`Self::sqlite_writer`]).
    sqlite_writer: Option<Pool<SqliteConn>>,
    /// Signalled when a transaction that enqueued deliveries commits.
    enqueued: std::sync::Arc<tokio::sync::Notify>,
    /// Signalled when a transaction that queued e-mail commits.
    mail_queued: std::sync::Arc<tokio::sync::Notify>,
    /// Signalled when a transaction that queued Web Push messages commits.
    push_queued: std::sync::Arc<tokio::sync::Notify>,
    /// The live-event bus of this process (see [`crate::live`]).
    pub(crate) live: crate::live::SharedBus,
}

impl Database {
    /// Builds the pool and proves the database answers, so that a bad URL,
    /// an unreachable server or an unwritable directory stops the start.
    pub async fn connect(config: &DatabaseConfig) -> Result<Self, DbError> {
        let kind = DatabaseKind::from_url(&config.url).map_err(|e| DbError::Refused(e.to_string()))?;
        let timeout = Duration::from_secs(config.connect_timeout_seconds);
        let database = match kind {
            DatabaseKind::Sqlite => {
                let path = sqlite_path(&config.url);
                prepare_sqlite_directory(&path)?;
                let pool = build_pool(Pool::builder(sqlite_manager(&path)), config, timeout)?;
                // One writer at a time: SQLite's rule, kept by the pool's size.
                let writer_config = DatabaseConfig { max_connections: 1, ..config.clone() };
                let writer_wait = timeout.max(SQLITE_WRITER_WAIT);
                let writer = build_pool(Pool::builder(sqlite_manager(&path)), &writer_config, writer_wait)?;
                Database {
                    pool: DbPool::Sqlite(pool),
                    kind,
                    shown: path.as_str().into(),
                    target: path.into(),
                    postgres: None,
                    sqlite_writer: Some(writer),
                    enqueued: Default::default(),
                    mail_queued: Default::default(),
                    push_queued: Default::default(),
                    live: Default::default(),
                }
            }
            DatabaseKind::Postgres => {
                let connector = PgConnector::from_url(&config.url)?;
                // One connection first, to tell a TLS refusal (to fix) from
                // an unreachable server (to wait for) before serving.
                let opened =
                    tokio::time::timeout(timeout, connector.connect()).await.map_err(|_| DbError::Connect {
                        backend: "postgres",
                        target: connector.shown().to_string(),
                        reason: format!("no answer within {} s", timeout.as_secs()),
                    })?;
                opened.map_err(|e| e.into_db_error(connector.shown()))?;
                let mut manager_config = ManagerConfig::<AsyncPgConnection>::default();
                // No `SELECT 1` round trip per checkout: a connection whose
                // socket closed (a server restart) is seen as broken and
                // replaced without it; one that fails later fails one query.
                manager_config.recycling_method = RecyclingMethod::Fast;
                let pooled = connector.clone();
                manager_config.custom_setup = Box::new(move |_url: &str| {
                    let connector = pooled.clone();
                    Box::pin(async move {
                        let mut conn = tokio::time::timeout(timeout, connector.establish()).await.map_err(|_| {
                            diesel::ConnectionError::BadConnection(format!("no answer within {} s", timeout.as_secs()))
                        })??;
                        conn.batch_execute("SET TIME ZONE 'UTC'")
                            .await
                            .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                        Ok(conn)
                    })
                });
                let manager = AsyncDieselConnectionManager::new_with_config(&config.url, manager_config);
                let pool = build_pool(Pool::builder(manager), config, timeout)?;
                Database {
                    pool: DbPool::Pg(pool),
                    kind,
                    shown: connector.shown().into(),
                    target: config.url.as_str().into(),
                    postgres: Some(connector),
                    sqlite_writer: None,
                    enqueued: Default::default(),
                    mail_queued: Default::default(),
                    push_queued: Default::default(),
                    live: Default::default(),
                }
            }
        };
        database.ping().await?;
        Ok(database)
    }

    pub fn kind(&self) -> DatabaseKind {
        self.kind
    }

    /// The database location, with any password masked.
    pub fn display_target(&self) -> &str {
        &self.shown
    }

    pub(crate) fn target(&self) -> &str {
        &self.target
    }

    /// A connection of its own, outside the pool (migrations, locks held
    /// for a session). An error on SQLite.
    pub(crate) async fn dedicated_postgres_connection(&self) -> Result<AsyncPgConnection, DbError> {
        let Some(connector) = &self.postgres else {
            return Err(DbError::Pool("a PostgreSQL connection was asked for on SQLite".to_string()));
        };
        connector.connect().await.map_err(|e| e.into_db_error(connector.shown()))
    }

    pub(crate) async fn conn(&self) -> Result<DbConn, DbError> {
        match &self.pool {
            DbPool::Pg(pool) => pool.get().await.map(DbConn::Pg).map_err(|e| self.pool_error(e)),
            DbPool::Sqlite(pool) => pool.get().await.map(DbConn::Sqlite).map_err(|e| self.pool_error(e)),
        }
    }

    /// The connection every write of this process goes through on SQLite.
    /// SQLite lets one connection write at a time, and a connection that
    /// finds the database locked sleeps (1 ms, then longer) before trying
    /// again: writers of one process wait for this connection instead, woken
    /// the moment the previous one is done (the busy timeout still covers
    /// other processes, such as the CLI). One connection also keeps its page
    /// cache: SQLite empties a connection's cache when another connection
    /// has written since its last transaction, so writes spread over the
    /// pool read their pages again from the file every time. Never hold it
    /// while waiting for another connection. An error on PostgreSQL, where
    /// every pooled connection writes.
    pub(crate) async fn sqlite_writer(&self) -> Result<Object<SqliteConn>, DbError> {
        match &self.sqlite_writer {
            Some(writer) => writer.get().await.map_err(|e| self.pool_error(e)),
            None => Err(DbError::Pool("the SQLite writer was asked for on PostgreSQL".to_string())),
        }
    }

    /// A connection for one write statement outside a transaction: the
    /// writer on SQLite (see [`Self::sqlite_writer`]), a pooled one on
    /// PostgreSQL. Never give it to `with_write_tx!`, which takes the writer
    /// itself (that would wait for itself).
    pub(crate) async fn write_conn(&self) -> Result<DbConn, DbError> {
        match &self.pool {
            DbPool::Pg(_) => self.conn().await,
            DbPool::Sqlite(_) => self.sqlite_writer().await.map(DbConn::Sqlite),
        }
    }

    /// Wakes [`Self::deliveries_enqueued`] (this process only; other
    /// processes' workers find new deliveries when they poll).
    pub(crate) fn outbox_changed(&self) {
        self.enqueued.notify_one();
    }

    /// Wakes [`Self::mail_queued`] (this process only; other processes'
    /// mail workers find the rows at their next poll).
    pub(crate) fn mail_changed(&self) {
        self.mail_queued.notify_one();
    }

    /// Wakes [`Self::push_queued`] (this process only; other processes'
    /// push workers find the rows at their next poll).
    pub(crate) fn push_changed(&self) {
        self.push_queued.notify_one();
    }

    /// Resolves once Web Push messages were queued by this process since
    /// the last call.
    pub async fn push_queued(&self) {
        self.push_queued.notified().await;
    }

    /// Resolves once e-mail was queued by this process since the last call.
    pub async fn mail_queued(&self) {
        self.mail_queued.notified().await;
    }

    /// Resolves once deliveries were enqueued by this process since the last call.
    pub async fn deliveries_enqueued(&self) {
        self.enqueued.notified().await;
    }

    /// On SQLite, copies what the write-ahead log holds back into the
    /// database without waiting for readers or writers (a passive
    /// checkpoint, on a reading connection: the writer goes on meanwhile).
    /// Returns how many frames of the current log are now in the database
    /// (0 on PostgreSQL, which has nothing to do).
    pub async fn checkpoint_wal(&self) -> Result<i64, DbError> {
        #[derive(diesel::QueryableByName)]
        struct Checkpoint {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            checkpointed: i64,
        }
        let mut conn = self.conn().await?;
        match &mut conn {
            DbConn::Pg(_) => Ok(0),
            DbConn::Sqlite(c) => {
                let done: Checkpoint = diesel::sql_query("PRAGMA wal_checkpoint(PASSIVE)").get_result(&mut **c).await?;
                Ok(done.checkpointed)
            }
        }
    }

    /// Succeeds when the database answers a trivial query.
    pub async fn ping(&self) -> Result<(), DbError> {
        let mut conn = self.conn().await?;
        with_conn!(&mut conn, |c| diesel::sql_query("SELECT 1").execute(c).await)?;
        Ok(())
    }

    /// The space left to unprivileged writers on the filesystem of the
    /// SQLite file; `None` on PostgreSQL (its server watches its own disk)
    /// or when the system does not say.
    pub fn free_disk_bytes(&self) -> Option<u64> {
        if self.kind != DatabaseKind::Sqlite {
            return None;
        }
        let path = std::path::Path::new(self.target());
        let directory = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
        let stats = rustix::fs::statvfs(directory).ok()?;
        Some(stats.f_bavail.saturating_mul(stats.f_frsize))
    }

    /// SQLite's `PRAGMA integrity_check`: the problems found, none when the
    /// file is sound (after a full disk, a crash, a restore). PostgreSQL
    /// checks its own pages as it reads them: nothing to report here.
    pub async fn integrity_problems(&self) -> Result<Vec<String>, DbError> {
        #[derive(diesel::QueryableByName)]
        struct Line {
            #[diesel(sql_type = diesel::sql_types::Text)]
            integrity_check: String,
        }
        let mut conn = self.conn().await?;
        match &mut conn {
            DbConn::Pg(_) => Ok(Vec::new()),
            DbConn::Sqlite(c) => {
                let lines: Vec<Line> = diesel::sql_query("PRAGMA integrity_check").load(&mut **c).await?;
                Ok(lines.into_iter().map(|l| l.integrity_check).filter(|line| line != "ok").collect())
            }
        }
    }

    /// Closes the pools (the SQLite writer too); connections in use are
    /// closed when returned.
    pub fn close(&self) {
        match &self.pool {
            DbPool::Pg(pool) => pool.close(),
            DbPool::Sqlite(pool) => pool.close(),
        }
        if let Some(writer) = &self.sqlite_writer {
            writer.close();
        }
    }

    fn pool_error(&self, error: PoolError) -> DbError {
        use deadpool::managed::PoolError as P;
        use diesel_async::pooled_connection::PoolError as Backend;
        let reason = match error {
            P::Backend(Backend::ConnectionError(e)) => e.to_string(),
            P::Backend(Backend::QueryError(e)) => e.to_string(),
            P::Timeout(_) => "timed out waiting for a connection".to_string(),
            P::Closed => "the connection pool is closed".to_string(),
            P::NoRuntimeSpecified => "no async runtime for the pool".to_string(),
            P::PostCreateHook(e) => e.to_string(),
        };
        DbError::Connect { backend: self.kind.as_str(), target: self.shown.to_string(), reason }
    }
}

fn build_pool<C>(
    builder: diesel_async::pooled_connection::deadpool::PoolBuilder<C>,
    config: &DatabaseConfig,
    timeout: Duration,
) -> Result<Pool<C>, DbError>
where
    C: diesel_async::pooled_connection::PoolableConnection + Send + 'static,
    AsyncDieselConnectionManager<C>: deadpool::managed::Manager,
{
    builder
        .max_size(config.max_connections)
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(timeout))
        .create_timeout(Some(timeout))
        .recycle_timeout(Some(timeout))
        .build()
        .map_err(|e| DbError::Pool(e.to_string()))
}

/// How long a write may wait for the SQLite writer before failing (at
/// least the connection timeout): under a burst, writes queue for it.
const SQLITE_WRITER_WAIT: Duration = Duration::from_secs(30);

/// Connections to the SQLite file at `path`, set up with [`SQLITE_SETUP`].
/// A connection taken from the pool is not pinged first (diesel-async's
/// default runs `SELECT 1`, a round trip to a blocking thread): a local file
/// cannot go away under an open connection.
fn sqlite_manager(path: &str) -> AsyncDieselConnectionManager<SqliteConn> {
    let mut manager_config = ManagerConfig::<SqliteConn>::default();
    manager_config.recycling_method = RecyclingMethod::Fast;
    manager_config.custom_setup = Box::new(|path: &str| {
        let path = path.to_string();
        Box::pin(async move {
            let mut conn = SqliteConn::establish(&path).await?;
            conn.batch_execute(SQLITE_SETUP).await.map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
            Ok(conn)
        })
    });
    AsyncDieselConnectionManager::new_with_config(path, manager_config)
}

/// The file path of a `sqlite://PATH[?options]` URL.
pub(crate) fn sqlite_path(url: &str) -> String {
    let rest = url.strip_prefix("sqlite://").unwrap_or(url);
    rest.split('?').next().unwrap_or_default().to_string()
}

/// Creates the directory of the database file when missing, and checks that
/// it can be written (SQLite needs to create its `-wal` and `-shm` files).
fn prepare_sqlite_directory(path: &str) -> Result<(), DbError> {
    let dir = std::path::Path::new(path).parent().filter(|p| !p.as_os_str().is_empty());
    let dir = dir.unwrap_or(std::path::Path::new("."));
    let fail = |reason: String| DbError::DataDirectory { path: dir.display().to_string(), reason };
    std::fs::create_dir_all(dir).map_err(|e| fail(e.to_string()))?;
    let probe = dir.join(format!(".maillage-write-check-{}", std::process::id()));
    std::fs::write(&probe, b"").map_err(|e| fail(format!("{e} (the directory must be writable)")))?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}
