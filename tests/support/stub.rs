//! Cheap receiving servers for reliability tests: each `StubPeer` is an
//! HTTP server on loopback serving ActivityPub actors (`/actors/{name}`,
//! with a real RSA key) and an inbox that records what it is sent. Its
//! answer status and delay can be changed while it runs, and it can be
//! stopped and started again on the same port (a server that goes away
//! and comes back). Stubs of one `StubStats` count requests in flight
//! together, to observe concurrency across senders. A test may also have it
//! serve any document at any path (an `Organization`, a post), and send
//! signed activities from its actors.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU16, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde_json::{Value, json};

/// One key pair shared by every stub actor (generating keys is slow).
#[derive(Clone)]
pub struct StubKeys {
    pub public_pem: String,
    pub private_pem: String,
}

impl StubKeys {
    pub fn generate() -> anyhow::Result<Self> {
        let (public_pem, private_pem) = maillage_federation::actors::generate_key_pair()?;
        Ok(StubKeys { public_pem, private_pem })
    }
}

/// Requests in flight across a group of stubs, and the most seen at once.
#[derive(Default)]
pub struct StubStats {
    in_flight: AtomicUsize,
    pub max_in_flight: AtomicUsize,
}

#[derive(Clone)]
struct Shared {
    base_url: String,
    keys: StubKeys,
    received: Arc<std::sync::Mutex<Vec<Value>>>,
    /// Each accepted POST as it came, to check its signature.
    delivered: Arc<std::sync::Mutex<Vec<Delivered>>>,
    requests: Arc<AtomicU64>,
    status: Arc<AtomicU16>,
    delay_ms: Arc<AtomicU64>,
    stats: Arc<StubStats>,
    /// Documents served at their path, and how often each was fetched.
    documents: Arc<std::sync::Mutex<HashMap<String, Value>>>,
    fetches: Arc<std::sync::Mutex<HashMap<String, usize>>>,
}

/// An inbox POST the stub accepted, as it came.
#[derive(Clone)]
struct Delivered {
    activity: Value,
    path_and_query: String,
    headers: axum::http::HeaderMap,
    body: Bytes,
}

pub struct StubPeer {
    pub base_url: String,
    pub domain: String,
    pub port: u16,
    shared: Shared,
    server: Option<tokio::task::JoinHandle<()>>,
}

impl StubPeer {
    pub async fn spawn(keys: &StubKeys, stats: Arc<StubStats>) -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let base_url = format!("http://localhost:{port}");
        let shared = Shared {
            base_url: base_url.clone(),
            keys: keys.clone(),
            received: Arc::default(),
            delivered: Arc::default(),
            requests: Arc::default(),
            status: Arc::new(AtomicU16::new(202)),
            delay_ms: Arc::default(),
            stats,
            documents: Arc::default(),
            fetches: Arc::default(),
        };
        let mut stub = StubPeer { domain: format!("localhost:{port}"), base_url, port, shared, server: None };
        stub.serve(listener);
        Ok(stub)
    }

    fn serve(&mut self, listener: tokio::net::TcpListener) {
        let app = Router::new()
            .route("/actors/{name}", get(actor))
            .route("/actors/{name}/inbox", post(inbox))
            .route("/inbox", post(inbox))
            .fallback(get(document))
            .with_state(self.shared.clone());
        self.server = Some(tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        }));
    }

    /// The server goes away: connections are refused.
    pub fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }

    /// The server comes back on the same port.
    pub async fn start(&mut self) -> anyhow::Result<()> {
        let mut last = None;
        for _ in 0..50 {
            match tokio::net::TcpListener::bind(("127.0.0.1", self.port)).await {
                Ok(listener) => {
                    self.serve(listener);
                    return Ok(());
                }
                Err(e) => last = Some(e),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        anyhow::bail!("port {} stayed busy: {last:?}", self.port)
    }

    /// The status inbox POSTs get from now on.
    pub fn answer_with(&self, status: u16) {
        self.shared.status.store(status, Ordering::SeqCst);
    }

    /// How long the inbox takes to answer from now on.
    pub fn delay(&self, delay: Duration) {
        self.shared.delay_ms.store(u64::try_from(delay.as_millis()).unwrap_or(u64::MAX), Ordering::SeqCst);
    }

    /// Inbox requests seen, whatever the answer.
    pub fn requests(&self) -> u64 {
        self.shared.requests.load(Ordering::SeqCst)
    }

    /// Activities the inbox accepted (answered 2xx), in order.
    pub fn received(&self) -> Vec<Value> {
        self.shared.received.lock().map(|r| r.clone()).unwrap_or_default()
    }

    /// Whether the accepted activity `activity_id` came with a valid HTTP
    /// signature by `key_id` that `public_pem` verifies (digest and date
    /// checked as our inbox checks them).
    pub fn signed_by(&self, activity_id: &str, key_id: &str, public_pem: &str) -> bool {
        use maillage_federation::signature::{RequestParts, parse_and_check, verify};
        let delivered = self.shared.delivered.lock().map(|d| d.clone()).unwrap_or_default();
        delivered.iter().filter(|d| d.activity["id"] == activity_id).any(|d| {
            let parts = RequestParts {
                method: &http::Method::POST,
                path_and_query: &d.path_and_query,
                headers: &d.headers,
                body: Some(&d.body),
            };
            parse_and_check(&parts, SystemTime::now())
                .is_ok_and(|params| params.key_id == key_id && verify(&params, &parts, public_pem).is_ok())
        })
    }

    /// How many accepted activities have this id.
    pub fn count_of(&self, activity_id: &str) -> usize {
        self.received().iter().filter(|a| a["id"] == activity_id).count()
    }

    pub fn actor_id(&self, name: &str) -> String {
        format!("{}/actors/{name}", self.base_url)
    }

    /// Serves `document` at `path` (instead of the default actor there).
    pub fn serve_document(&self, path: &str, document: Value) {
        if let Ok(mut documents) = self.shared.documents.lock() {
            documents.insert(path.to_string(), document);
        }
    }

    /// How many GETs `path` had.
    pub fn fetches(&self, path: &str) -> usize {
        self.shared.fetches.lock().map(|f| f.get(path).copied().unwrap_or(0)).unwrap_or(0)
    }

    /// POSTs `activity` to `inbox`, signed for the stub actor `name` with
    /// `private_pem` (the stub's own key, or another to forge a signature);
    /// returns the HTTP status.
    pub async fn send_signed(
        &self,
        name: &str,
        inbox: &str,
        activity: &Value,
        private_pem: &str,
    ) -> anyhow::Result<u16> {
        Ok(self.post_signed(name, inbox, activity, private_pem).await?.status().as_u16())
    }

    /// [`Self::send_signed`], returning the whole answer (its headers, its body).
    pub async fn post_signed(
        &self,
        name: &str,
        inbox: &str,
        activity: &Value,
        private_pem: &str,
    ) -> anyhow::Result<reqwest::Response> {
        let body = activity.to_string().into_bytes();
        let url = url::Url::parse(inbox)?;
        let key_id = format!("{}#main-key", self.actor_id(name));
        let mut headers = maillage_federation::signature::sign(
            &http::Method::POST,
            &url,
            Some(&body),
            &key_id,
            private_pem,
            SystemTime::now(),
        )?;
        headers.insert("content-type", "application/activity+json".parse()?);
        Ok(reqwest::Client::new().post(url).headers(headers).body(body).send().await?)
    }

    /// The stub's private key, to sign with [`Self::post_signed`].
    pub fn private_pem(&self) -> &str {
        &self.shared.keys.private_pem
    }

    /// [`Self::send_signed`] with the stub's own key.
    pub async fn send(&self, name: &str, inbox: &str, activity: &Value) -> anyhow::Result<u16> {
        let key = self.shared.keys.private_pem.clone();
        self.send_signed(name, inbox, activity, &key).await
    }

    /// Sends a signed `Follow` from the stub actor `name` to `target` (an
    /// actor id) through `inbox`; returns the HTTP status.
    pub async fn follow(&self, name: &str, target: &str, inbox: &str) -> anyhow::Result<u16> {
        let follow = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{}/follows/{name}", self.base_url),
            "type": "Follow",
            "actor": self.actor_id(name),
            "object": target,
        });
        self.send(name, inbox, &follow).await
    }
}

impl Drop for StubPeer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn count_fetch(shared: &Shared, path: &str) -> Option<Value> {
    if let Ok(mut fetches) = shared.fetches.lock() {
        *fetches.entry(path.to_string()).or_default() += 1;
    }
    shared.documents.lock().ok().and_then(|d| d.get(path).cloned())
}

fn activity_json(document: &Value) -> axum::response::Response {
    use axum::response::IntoResponse;
    ([(axum::http::header::CONTENT_TYPE, "application/activity+json")], document.to_string()).into_response()
}

/// A document a test asked the stub to serve, or 404.
async fn document(State(shared): State<Shared>, uri: axum::http::Uri) -> axum::response::Response {
    use axum::response::IntoResponse;
    match count_fetch(&shared, uri.path()) {
        Some(document) => activity_json(&document),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn actor(State(shared): State<Shared>, Path(name): Path<String>) -> axum::response::Response {
    let path = format!("/actors/{name}");
    if let Some(document) = count_fetch(&shared, &path) {
        return activity_json(&document);
    }
    let id = format!("{}/actors/{name}", shared.base_url);
    let document = json!({
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": id,
        "type": "Person",
        "preferredUsername": name,
        "inbox": format!("{id}/inbox"),
        "endpoints": { "sharedInbox": format!("{}/inbox", shared.base_url) },
        "publicKey": { "id": format!("{id}#main-key"), "owner": id, "publicKeyPem": shared.keys.public_pem },
    });
    activity_json(&document)
}

async fn inbox(
    State(shared): State<Shared>,
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> StatusCode {
    shared.requests.fetch_add(1, Ordering::SeqCst);
    let now = shared.stats.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    shared.stats.max_in_flight.fetch_max(now, Ordering::SeqCst);
    let delay = shared.delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    let status = StatusCode::from_u16(shared.status.load(Ordering::SeqCst)).unwrap_or(StatusCode::ACCEPTED);
    if status.is_success()
        && let Ok(activity) = serde_json::from_slice::<Value>(&body)
        && let Ok(mut received) = shared.received.lock()
    {
        received.push(activity.clone());
        if let Ok(mut delivered) = shared.delivered.lock() {
            let path_and_query = uri.path_and_query().map_or("/", |p| p.as_str()).to_string();
            delivered.push(Delivered { activity, path_and_query, headers, body });
        }
    }
    shared.stats.in_flight.fetch_sub(1, Ordering::SeqCst);
    status
}
