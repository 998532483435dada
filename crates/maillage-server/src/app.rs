//! Start-up and shutdown of a serving instance.
//!
//! Order matters: the media store is checked (`MediaStore::open`), the
//! database opened and migrated and the instance's domain checked before
//! the port is bound, so a bad configuration never serves a single request.
//! A media store that only does not answer is an outage: the server starts.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use maillage_app::instance::DatabaseOwner;
use maillage_config::{Config, ConfigError};
use maillage_db::{Database, DbError};
use maillage_federation::Federation;
use maillage_http::AppState;
use maillage_storage::MediaStore;

/// Why the server could not start or stopped abnormally. One line, for admins.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Database(#[from] DbError),
    /// A backup, restore or move of the database failed or was refused.
    #[error(transparent)]
    Backup(#[from] maillage_db::BackupError),
    #[error(transparent)]
    Actor(#[from] maillage_federation::ActorError),
    #[error(transparent)]
    Federation(#[from] maillage_federation::FederationError),
    /// A use case refused or failed.
    #[error(transparent)]
    App(#[from] maillage_app::AppError),
    #[error(
        "this database belongs to the instance {stored}, but instance.domain is {configured}: \
         ActivityPub ids cannot change domain. Use another database.url for a new instance, \
         or set instance.domain back to {stored}"
    )]
    DomainChanged { stored: String, configured: String },
    /// The media store is misconfigured (`media.directory`, `media.s3.*`).
    #[error(transparent)]
    Media(#[from] maillage_storage::StoreError),
    #[error("cannot listen on {addr}: {reason} (change server.listen)")]
    Bind { addr: String, reason: String },
    #[error("the HTTP server failed: {0}")]
    Serve(std::io::Error),
    #[error("{0}")]
    Input(String),
    /// A file named on the command line cannot be read.
    #[error("{0}")]
    NoInput(String),
    #[error("cannot write output: {0}")]
    Output(#[from] std::io::Error),
}

impl ServerError {
    /// The exit code of the command that failed, as `sysexits.h` names
    /// them: input refused (65), not allowed (77), another server
    /// unreachable (69), configuration (78), our own failure (70), the
    /// output (74), a file that cannot be read (66). Scripts tell a typo from an outage by it.
    pub fn exit_code(&self) -> u8 {
        use maillage_app::AppError as A;
        match self {
            ServerError::App(A::Invalid { .. } | A::NotFound(_) | A::Conflict(_)) | ServerError::Input(_) => 65,
            ServerError::App(A::Unauthenticated(_) | A::Forbidden(_)) => 77,
            ServerError::App(A::Remote(_) | A::RateLimited(_)) => 69,
            // EX_TEMPFAIL: try again later.
            ServerError::App(A::Unavailable(_)) => 75,
            ServerError::Database(error) if error.outage().is_some() => 75,
            ServerError::Backup(error) if error.is_outage() => 75,
            ServerError::Backup(maillage_db::BackupError::Refused(_)) => 65,
            // EX_UNAVAILABLE: "a support program does not exist" (pg_dump).
            ServerError::Backup(maillage_db::BackupError::Tool(_)) => 69,
            // TLS to PostgreSQL refused: sslmode, sslrootcert or the server's certificate to fix.
            ServerError::Config(_)
            | ServerError::DomainChanged { .. }
            | ServerError::Bind { .. }
            | ServerError::Database(DbError::Tls { .. })
            | ServerError::Media(maillage_storage::StoreError::Misconfigured { .. }) => 78,
            ServerError::Media(maillage_storage::StoreError::Unavailable(_)) => 75,
            ServerError::Output(_) => 74,
            // EX_NOINPUT.
            ServerError::NoInput(_) => 66,
            _ => 70,
        }
    }
}

/// An instance that has opened its database and bound its port, ready to serve.
pub struct Application {
    config: Arc<Config>,
    db: Database,
    federation: Federation,
    media_store: MediaStore,
    listener: tokio::net::TcpListener,
    local_addr: SocketAddr,
}

impl Application {
    /// Prepares an instance listening on `server.listen`.
    pub async fn build(config: Config) -> Result<Self, ServerError> {
        let addr = config.listen_addr()?;
        // Before the database: a refused start leaves it untouched.
        let media_store = MediaStore::open(&config.media).await?;
        let db = open_database(&config).await?;
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| ServerError::Bind { addr: addr.to_string(), reason: e.to_string() })?;
        Self::assemble(config, db, media_store, listener).await
    }

    /// Prepares an instance on a listener bound by the caller (tests bind
    /// port 0 first, to know the port before choosing the domain).
    pub async fn build_with_listener(config: Config, listener: std::net::TcpListener) -> Result<Self, ServerError> {
        let media_store = MediaStore::open(&config.media).await?;
        let db = open_database(&config).await?;
        let bind_error =
            |e: std::io::Error| ServerError::Bind { addr: config.server.listen.clone(), reason: e.to_string() };
        listener.set_nonblocking(true).map_err(bind_error)?;
        let listener = tokio::net::TcpListener::from_std(listener).map_err(bind_error)?;
        Self::assemble(config, db, media_store, listener).await
    }

    async fn assemble(
        config: Config,
        db: Database,
        media_store: MediaStore,
        listener: tokio::net::TcpListener,
    ) -> Result<Self, ServerError> {
        let local_addr = listener
            .local_addr()
            .map_err(|e| ServerError::Bind { addr: config.server.listen.clone(), reason: e.to_string() })?;
        for warning in config.warnings() {
            tracing::warn!("{warning}");
        }
        let config = Arc::new(config);
        let federation = Federation::new(db.clone(), config.clone(), maillage_app::received::effects()).await?;
        Ok(Application { config, db, federation, media_store, listener, local_addr })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    pub fn database(&self) -> &Database {
        &self.db
    }

    /// The use cases over this instance's database, wire and media store.
    fn app(&self) -> maillage_app::App {
        maillage_app::App::new(self.federation.clone(), self.media_store.clone())
    }

    /// Serves until `stop` completes, then lets in-flight requests finish
    /// for at most `server.shutdown_grace_seconds`.
    pub async fn run_until(self, stop: impl Future<Output = ()> + Send + 'static) -> Result<(), ServerError> {
        let grace = Duration::from_secs(self.config.server.shutdown_grace_seconds);
        let limits = std::sync::Arc::new(maillage_http::limits::RateLimits::new(&self.config.limits));
        let state = AppState::new(self.app(), limits);
        let app = maillage_http::app(state.clone(), maillage_web::pages(state));
        let (stopping_tx, mut stopping_rx) = tokio::sync::watch::channel(false);
        let worker =
            tokio::spawn(maillage_federation::delivery::run(self.federation.context().clone(), stopping_rx.clone()));
        let inbox_worker =
            tokio::spawn(maillage_federation::inbox::run_worker(self.federation.clone(), stopping_rx.clone()));
        let checkpoints = tokio::spawn(checkpoint_wal_regularly(self.db.clone(), stopping_rx.clone()));
        let backups =
            tokio::spawn(maillage_app::backups::run(self.db.clone(), self.config.clone(), stopping_rx.clone()));
        let mail =
            tokio::spawn(maillage_app::mail::sender::run(self.db.clone(), self.config.clone(), stopping_rx.clone()));
        let pushes = tokio::spawn(maillage_app::push::sender::run(
            self.app(),
            maillage_http::default_images::avatar_url(&self.config.public_base_url()),
            stopping_rx.clone(),
        ));
        let hub_readings = tokio::spawn(maillage_app::directory::schedule::run(self.app(), stopping_rx.clone()));
        let media_pruning = tokio::spawn(maillage_app::media::cleanup::run(self.app(), stopping_rx.clone()));
        let remote_media = tokio::spawn(maillage_app::media::remote::run(self.app(), stopping_rx.clone()));
        let keys = tokio::spawn(maillage_app::actors::make_missing_keys(self.db.clone(), stopping_rx.clone()));
        let serve = axum::serve(self.listener, app).with_graceful_shutdown(async move {
            stop.await;
            tracing::info!("shutting down: finishing in-flight requests");
            let _ = stopping_tx.send(true);
        });
        tracing::info!(
            address = %self.local_addr,
            url = %self.config.public_base_url(),
            database = self.db.kind().as_str(),
            "Maillage is serving"
        );
        let outcome = tokio::select! {
            served = serve.into_future() => served.map_err(ServerError::Serve),
            _ = async {
                let _ = stopping_rx.wait_for(|stopping| *stopping).await;
                tokio::time::sleep(grace).await;
            } => {
                tracing::warn!(seconds = grace.as_secs(), "requests still running after the grace period; stopping anyway");
                Ok(())
            }
        };
        // The worker stops between deliveries; an interrupted one is retried
        // by the next process once its lease ends.
        if tokio::time::timeout(grace, worker).await.is_err() {
            tracing::warn!("the delivery worker did not stop in time");
        }
        if tokio::time::timeout(grace, inbox_worker).await.is_err() {
            tracing::warn!("the inbox worker did not stop in time");
        }
        let _ = tokio::time::timeout(grace, checkpoints).await;
        let _ = tokio::time::timeout(grace, hub_readings).await;
        let _ = tokio::time::timeout(grace, media_pruning).await;
        let _ = tokio::time::timeout(grace, remote_media).await;
        let _ = tokio::time::timeout(grace, keys).await;
        // A message being sent when the grace ends stays leased, and is sent
        // again by a process once its lease ends.
        let _ = tokio::time::timeout(grace, mail).await;
        // Likewise a push being sent.
        let _ = tokio::time::timeout(grace, pushes).await;
        // A backup still being written after the grace period is abandoned:
        // its partial file is removed, and the schedule's lease runs out.
        let mut backups = backups;
        if tokio::time::timeout(grace, &mut backups).await.is_err() {
            tracing::warn!("the scheduled backup did not finish in time; abandoned");
            backups.abort();
        }
        self.db.close();
        tracing::info!("stopped");
        outcome
    }
}

/// How often SQLite's write-ahead log is copied back into the database.
const WAL_CHECKPOINT_INTERVAL: Duration = Duration::from_millis(100);

/// Checkpoints SQLite's write-ahead log every [`WAL_CHECKPOINT_INTERVAL`]
/// until `stop`, off the writer's path: its copies and its fsync no longer
/// hold up the commit that crosses the automatic threshold (and every
/// inbox answer waiting for it). Nothing to do on PostgreSQL.
/// Logged once, then once a minute at most while it lasts (a full disk).
static CHECKPOINT_FAILED: maillage_app::repeated::RepeatedWarning =
    maillage_app::repeated::RepeatedWarning::new("cannot checkpoint the SQLite write-ahead log");

async fn checkpoint_wal_regularly(db: Database, mut stop: tokio::sync::watch::Receiver<bool>) {
    if db.kind() != maillage_config::DatabaseKind::Sqlite {
        return;
    }
    let mut ticks = tokio::time::interval(WAL_CHECKPOINT_INTERVAL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = stop.wait_for(|stopping| *stopping) => return,
        }
        if let Err(error) = db.checkpoint_wal().await {
            CHECKPOINT_FAILED.warn(&error);
        }
    }
}

/// Opens and migrates the database, then makes sure it belongs to this domain.
pub(crate) async fn open_database(config: &Config) -> Result<Database, ServerError> {
    let db = Database::connect(&config.database).await?;
    let report = db.migrate().await?;
    if !report.applied.is_empty() {
        tracing::info!(applied = ?report.applied, "database migrated");
    }
    if let DatabaseOwner::Other(stored) = maillage_app::instance::claim_database(&db, &config.instance.domain).await? {
        return Err(ServerError::DomainChanged { stored, configured: config.instance.domain.clone() });
    }
    maillage_app::actors::ensure_builtin_actors(&db, config).await?;
    if maillage_federation::tag_index::build_if_needed(&db).await? {
        tracing::info!("tag index built from the stored posts");
    }
    let read = maillage_federation::audience_backfill::fill_if_needed(&db).await?;
    if read > 0 {
        tracing::info!(objects = read, "audiences read from the stored objects");
    }
    Ok(db)
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {},
        _ = terminate => {},
    }
}

#[cfg(test)]
mod tests {
    use maillage_app::AppError;

    use super::ServerError;

    #[test]
    fn each_failure_exits_with_its_sysexits_code() {
        let config = maillage_config::ConfigError::Shape { key: "federation.mode".into(), reason: "no".into() };
        let cases: Vec<(ServerError, u8)> = vec![
            (AppError::invalid("domain", "this is our own domain").into(), 65),
            (AppError::NotFound("no member".into()).into(), 65),
            (AppError::Conflict("taken".into()).into(), 65),
            (ServerError::Input("no password given".into()), 65),
            (AppError::Forbidden("only the hub's admins may do this".into()).into(), 77),
            (AppError::Remote("unreachable".into()).into(), 69),
            (AppError::RateLimited("later".into()).into(), 69),
            (config.into(), 78),
            (ServerError::DomainChanged { stored: "a".into(), configured: "b".into() }, 78),
            (ServerError::Bind { addr: "127.0.0.1:1".into(), reason: "in use".into() }, 78),
            (ServerError::Output(std::io::Error::other("broken pipe")), 74),
            (maillage_db::DbError::Refused("the database went away".into()).into(), 70),
            (maillage_db::DbError::Tls { target: "db".into(), reason: "unknown issuer".into() }.into(), 78),
            (AppError::Unavailable(maillage_db::Outage::NotWritable).into(), 75),
            (maillage_db::DbError::Pool("timed out".into()).into(), 75),
            (AppError::Internal("a bug".into()).into(), 70),
            (maillage_db::BackupError::Refused("not empty".into()).into(), 65),
            (maillage_db::BackupError::Tool("pg_dump is too old".into()).into(), 69),
            (maillage_db::BackupError::Unavailable("connection refused".into()).into(), 75),
            (maillage_db::BackupError::Database(maillage_db::DbError::Pool("timed out".into())).into(), 75),
            (maillage_db::BackupError::Failed("disk full".into()).into(), 70),
            (ServerError::Serve(std::io::Error::other("accept failed")), 70),
        ];
        for (error, code) in cases {
            assert_eq!(error.exit_code(), code, "{error:?}");
        }
    }
}
