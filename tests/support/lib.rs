//! Test harness: real Maillage instances, in-process, on `localhost:<port>`.
//!
//! [`TestInstance::spawn`] gives an instance its own fresh database on the
//! backend under test (`MAILLAGE_TEST_DATABASE_URL`, see
//! `maillage_db::testing`), binds a free loopback port, names the instance
//! `localhost:<port>` and serves it until [`TestInstance::shutdown`] (or drop).
//! Several instances side by side federate with each other over real HTTP.

use std::net::TcpListener;

use anyhow::Context;
use clap::Parser;
use maillage_config::Config;
use maillage_db::testing::TestDatabase;
use maillage_server::cli::{Cli, Command};
use maillage_server::{Application, ServerError};

pub use maillage_config::DatabaseKind;

pub mod own_postgres;
pub mod process;
pub mod push;
pub mod python;
pub mod smtp;
pub mod stub;

/// Runs a `maillage` command (anything but `serve`) with `config`, as the
/// binary would, and returns what it printed.
pub async fn run_cli(config: &Config, args: &[&str], input: &str) -> anyhow::Result<String> {
    let cli = Cli::try_parse_from(std::iter::once("maillage").chain(args.iter().copied()))?;
    let command = cli.command.unwrap_or(Command::Serve);
    let mut out = Vec::new();
    let mut input = input.as_bytes();
    maillage_server::cli::execute_with_input(command, config, &mut input, &mut out).await?;
    Ok(String::from_utf8(out)?)
}

/// Publishes a practice of the enterprise `coop` by its editor `marie`
/// (`admin post practice`) with `[title, summary, body]` and `extra`
/// arguments (`--tag`, ...); returns its URL.
pub async fn publish_practice(
    config: &Config,
    [title, summary, body]: [&str; 3],
    extra: &[&str],
) -> anyhow::Result<String> {
    let mut args = vec!["admin", "post", "practice", "--enterprise", "coop", "--author", "marie"];
    args.extend(["--title", title, "--summary", summary, "--body", body]);
    args.extend(extra);
    let printed = run_cli(config, &args, "").await?;
    Ok(printed.trim().strip_prefix("published ").context("a published URL")?.to_string())
}

/// A running instance. Dropping it stops the server and removes its database.
pub struct TestInstance {
    /// `http://localhost:<port>`
    pub base_url: String,
    /// `localhost:<port>`, the instance's domain.
    pub domain: String,
    pub config: Config,
    pub http: reqwest::Client,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<Result<(), ServerError>>>,
    /// The local media directory, unless the test named its own.
    _media: tempfile::TempDir,
    // Dropped last: the database outlives the server using it.
    database: Option<TestDatabase>,
}

/// Adjusts an instance's configuration before it starts.
pub type Tweak = Box<dyn FnOnce(&mut Config) + Send>;

impl TestInstance {
    pub async fn spawn() -> anyhow::Result<Self> {
        Self::spawn_with(Box::new(|_| {})).await
    }

    pub async fn spawn_with(tweak: Tweak) -> anyhow::Result<Self> {
        let database = TestDatabase::create().await.map_err(anyhow::Error::msg).context("creating test database")?;
        let listener = TcpListener::bind("127.0.0.1:0").context("binding a loopback port")?;
        let port = listener.local_addr()?.port();
        let config = test_config(port, database.url(), tweak)?;
        Self::start(config, listener, Some(database)).await
    }

    /// An instance on the database at `database_url`, which the test owns.
    pub async fn spawn_on_url(database_url: &str) -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").context("binding a loopback port")?;
        let port = listener.local_addr()?.port();
        let config = test_config(port, database_url, Box::new(|_| {}))?;
        Self::start(config, listener, None).await
    }

    /// An instance on SQLite whatever `MAILLAGE_TEST_DATABASE_URL` says: the
    /// other side of a test whose first instance is on PostgreSQL.
    pub async fn spawn_sqlite() -> anyhow::Result<Self> {
        let database = TestDatabase::create_sqlite().map_err(anyhow::Error::msg).context("creating test database")?;
        let listener = TcpListener::bind("127.0.0.1:0").context("binding a loopback port")?;
        let port = listener.local_addr()?.port();
        let config = test_config(port, database.url(), Box::new(|_| {}))?;
        Self::start(config, listener, Some(database)).await
    }

    /// An instance on `database` as it is (e.g. a fixture loaded into it),
    /// with `tweak` (which may name another `instance.domain`).
    pub async fn spawn_on(database: TestDatabase, tweak: Tweak) -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").context("binding a loopback port")?;
        let port = listener.local_addr()?.port();
        let config = test_config(port, database.url(), tweak)?;
        Self::start(config, listener, Some(database)).await
    }

    async fn start(mut config: Config, listener: TcpListener, database: Option<TestDatabase>) -> anyhow::Result<Self> {
        // Media of their own, not in the default data/media of the working directory.
        let media = tempfile::tempdir()?;
        if std::path::Path::new(&config.media.directory).is_relative() {
            config.media.directory = media.path().join("media").to_string_lossy().into_owned();
        }
        let app = Application::build_with_listener(config.clone(), listener).await?;
        let port = app.local_addr().port();
        let domain = config.instance.domain.clone();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until(async move {
            let _ = stop_rx.await;
        }));
        Ok(TestInstance {
            base_url: format!("http://localhost:{port}"),
            domain,
            config,
            http: reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?,
            stop: Some(stop_tx),
            server: Some(server),
            _media: media,
            database,
        })
    }

    pub fn kind(&self) -> DatabaseKind {
        self.config.database_kind()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    pub async fn get(&self, path: &str) -> anyhow::Result<reqwest::Response> {
        Ok(self.http.get(self.url(path)).send().await?)
    }

    /// Runs a `maillage` command (anything but `serve`) against this
    /// instance's configuration and database, as the binary would, and
    /// returns what it printed.
    pub async fn cli(&self, args: &[&str]) -> anyhow::Result<String> {
        self.cli_with_input(args, "").await
    }

    /// Like [`TestInstance::cli`], with `input` as the command's standard input.
    pub async fn cli_with_input(&self, args: &[&str], input: &str) -> anyhow::Result<String> {
        run_cli(&self.config, args, input).await
    }

    /// GET with an ActivityPub `Accept`, as Mastodon sends it.
    pub async fn get_activity(&self, url: &str) -> anyhow::Result<reqwest::Response> {
        Ok(self
            .http
            .get(url)
            .header("accept", "application/activity+json, application/ld+json, text/html;q=0.1")
            .send()
            .await?)
    }

    /// Stops the server as SIGTERM would, waiting for it to finish.
    pub async fn shutdown(mut self) -> anyhow::Result<()> {
        self.stop_server().await
    }

    /// Stops the server and starts a new one on the same port and database,
    /// like a process restart.
    pub async fn restart(mut self) -> anyhow::Result<Self> {
        self.stop_server().await?;
        let port: u16 = self.domain.rsplit(':').next().unwrap_or_default().parse()?;
        let listener = bind_retrying(port).await?;
        let database = self.database.take().context("instance has no database")?;
        let config = self.config.clone();
        Self::start(config, listener, Some(database)).await
    }

    /// Stops the server but keeps its database: CLI commands still work.
    pub async fn stop(&mut self) -> anyhow::Result<()> {
        self.stop_server().await
    }

    /// Points a stopped instance at another database (`resume` then serves
    /// it at the same URL), which it owns from now on: the database moved
    /// or restored there.
    pub fn use_database(&mut self, database: TestDatabase) {
        self.config.database.url = database.url().to_string();
        self.database = Some(database);
    }

    /// Starts a stopped instance again, on the same port and database.
    pub async fn resume(&mut self) -> anyhow::Result<()> {
        let port: u16 = self.domain.rsplit(':').next().unwrap_or_default().parse()?;
        let listener = bind_retrying(port).await?;
        let app = Application::build_with_listener(self.config.clone(), listener).await?;
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        self.server = Some(tokio::spawn(app.run_until(async move {
            let _ = stop_rx.await;
        })));
        self.stop = Some(stop_tx);
        Ok(())
    }

    /// A handle on this instance's database, as a second process would have.
    /// Makes this instance's database fail as in an outage until the
    /// returned value's `end()` (see `TestDatabase::interrupt`).
    pub async fn interrupt_database(&self) -> anyhow::Result<maillage_db::testing::Interruption> {
        let database = self.database.as_ref().context("the instance has no database of its own")?;
        database.interrupt().await.map_err(anyhow::Error::msg)
    }

    pub async fn database(&self) -> anyhow::Result<maillage_db::Database> {
        Ok(maillage_db::Database::connect(&self.config.database).await?)
    }

    /// The ActivityPub id of a local actor (`actor` is the instance actor).
    /// GETs `url` signed by this instance's local actor `handle` (`actor`:
    /// the instance actor), with `accept`, as a server fetches; returns the
    /// status.
    pub async fn signed_get(&self, handle: &str, url: &str, accept: &str) -> anyhow::Result<u16> {
        let db = self.database().await?;
        let actor = match handle {
            "actor" => db.local_actor_of_kind(maillage_domain::ActorKind::Instance).await?,
            _ => db.local_actor_by_username(handle).await?,
        }
        .context("no such local actor")?;
        let target = url::Url::parse(url)?;
        let headers = maillage_federation::signature::sign(
            &http::Method::GET,
            &target,
            None,
            &format!("{}#main-key", actor.ap_id),
            &actor.private_key_pem,
            std::time::SystemTime::now(),
        )?;
        let response = self.http.get(target).headers(headers).header("accept", accept).send().await?;
        Ok(response.status().as_u16())
    }

    pub fn actor_id(&self, handle: &str) -> String {
        if handle == "actor" { self.url("/actor") } else { self.url(&format!("/actors/{handle}")) }
    }

    /// The ids a collection lists (each item a URL, or an object with an
    /// `id`), across all its pages. Fails unless the collection and each of
    /// its pages answer 200 with an `orderedItems` or `items` array: an
    /// "empty" collection is one that really lists nothing.
    pub async fn collection_items(&self, collection_url: &str) -> anyhow::Result<Vec<String>> {
        self.collection_entries(collection_url)
            .await?
            .iter()
            .map(|item| match item {
                serde_json::Value::String(id) => Ok(id.clone()),
                item => item["id"]
                    .as_str()
                    .map(str::to_string)
                    .with_context(|| format!("{collection_url} lists an item without an id: {item}")),
            })
            .collect()
    }

    /// The items a collection lists, as served (URLs or embedded objects):
    /// those of the collection itself, or of its pages from `first` on,
    /// following `next`. Each document must answer 200 and carry an
    /// `orderedItems` or `items` array.
    pub async fn collection_entries(&self, collection_url: &str) -> anyhow::Result<Vec<serde_json::Value>> {
        let collection = self.activity_document(collection_url).await?;
        if let Some(items) = listed_items(&collection) {
            return Ok(items);
        }
        let mut next = match &collection["first"] {
            serde_json::Value::String(first) => Some(first.clone()),
            serde_json::Value::Object(_) => {
                anyhow::bail!("{collection_url}: an embedded first page is not followed here: {collection}")
            }
            _ => anyhow::bail!("{collection_url} has neither orderedItems, items nor a first page: {collection}"),
        };
        let mut seen = std::collections::HashSet::new();
        let mut entries = Vec::new();
        while let Some(page_url) = next {
            anyhow::ensure!(seen.len() < 100, "{collection_url}: more than 100 pages");
            anyhow::ensure!(seen.insert(page_url.clone()), "{collection_url}: page {page_url} comes back");
            let page = self.activity_document(&page_url).await?;
            entries.extend(
                listed_items(&page)
                    .with_context(|| format!("page {page_url} has neither orderedItems nor items: {page}"))?,
            );
            next = page["next"].as_str().map(str::to_string);
        }
        Ok(entries)
    }

    /// GETs an ActivityPub document, requiring a 200 and JSON.
    async fn activity_document(&self, url: &str) -> anyhow::Result<serde_json::Value> {
        let response = self.get_activity(url).await?;
        let status = response.status();
        let text = response.text().await?;
        anyhow::ensure!(status == reqwest::StatusCode::OK, "GET {url} answered {status}: {text}");
        serde_json::from_str(&text).with_context(|| format!("GET {url} is not JSON: {text}"))
    }

    async fn stop_server(&mut self) -> anyhow::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.await??;
        }
        Ok(())
    }
}

impl Drop for TestInstance {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}

/// The configuration of a test instance: defaults, then the test's tweak.
pub fn test_config(port: u16, database_url: &str, tweak: Tweak) -> anyhow::Result<Config> {
    let env = [
        ("MAILLAGE__SERVER__LISTEN", format!("127.0.0.1:{port}")),
        ("MAILLAGE__INSTANCE__DOMAIN", format!("localhost:{port}")),
        ("MAILLAGE__DATABASE__URL", database_url.to_string()),
        ("MAILLAGE__DATABASE__MAX_CONNECTIONS", "4".to_string()),
        ("MAILLAGE__SERVER__SHUTDOWN_GRACE_SECONDS", "2".to_string()),
        ("MAILLAGE__DELIVERY__POLL_INTERVAL_MS", "100".to_string()),
        ("MAILLAGE__DELIVERY__RETRY_INITIAL_SECONDS", "1".to_string()),
    ];
    let mut config = Config::load_with_env(None, env.map(|(k, v)| (k.to_string(), v)))?;
    tweak(&mut config);
    config.validate()?;
    Ok(config)
}

async fn bind_retrying(port: u16) -> anyhow::Result<TcpListener> {
    let mut last = None;
    for _ in 0..50 {
        match TcpListener::bind(("127.0.0.1", port)) {
            Ok(listener) => return Ok(listener),
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    Err(anyhow::anyhow!("port {port} stayed busy: {last:?}"))
}

/// The `orderedItems` (or `items`) array of a collection or page.
fn listed_items(document: &serde_json::Value) -> Option<Vec<serde_json::Value>> {
    document.get("orderedItems").or_else(|| document.get("items")).and_then(|items| items.as_array()).cloned()
}

/// Waits until the processing of the received activity `activity_id` has
/// ended once, and returns its state and last error: `done`, `failed`, or
/// `pending` with an error (put back for a later retry). A 202 from an
/// inbox only says the activity was stored; what it changes comes after.
pub async fn processed(db: &maillage_db::Database, activity_id: &str) -> anyhow::Result<(String, Option<String>)> {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        match db.received_state(activity_id).await? {
            Some((state, error)) if state != "pending" || error.is_some() => return Ok((state, error)),
            seen if tokio::time::Instant::now() > deadline => {
                anyhow::bail!("{activity_id} not processed after 15 s (state: {seen:?})")
            }
            _ => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
        }
    }
}

/// Reports that the running test is skipped (a tool it needs is missing):
/// on stderr, and as a line appended to the file `MAILLAGE_SKIP_LOG` names
/// (`scripts/test` sets it and prints what was skipped at the end, as a
/// skipped test still reads "ok").
pub fn skipped(reason: &str) {
    use std::io::Write as _;
    eprintln!("SKIPPED: {reason}");
    let Some(log) = std::env::var_os("MAILLAGE_SKIP_LOG").filter(|l| !l.is_empty()) else {
        return;
    };
    let test = std::thread::current().name().unwrap_or("a test").to_string();
    let backend = if std::env::var_os("MAILLAGE_TEST_DATABASE_URL").is_some() { "PostgreSQL" } else { "SQLite" };
    let line = format!("{test} ({backend}): {reason}\n");
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log)
        .and_then(|mut file| file.write_all(line.as_bytes()));
    if let Err(error) = written {
        eprintln!("cannot note the skip in {}: {error}", std::path::Path::new(&log).display());
    }
}

/// Polls `check` until it returns true, for at most `seconds`.
pub async fn eventually<F, Fut>(seconds: u64, what: &str, mut check: F) -> anyhow::Result<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<bool>>,
{
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(seconds);
    loop {
        if check().await? {
            return Ok(());
        }
        if tokio::time::Instant::now() > deadline {
            anyhow::bail!("timed out after {seconds} s waiting for: {what}");
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
