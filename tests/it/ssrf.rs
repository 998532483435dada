//! Requests we make on behalf of other servers (SSRF): a public instance
//! never connects to private addresses whatever the URL's spelling, an
//! actor's inboxes must be on its own server, what other servers answer is
//! read within limits, and their bodies are never quoted whole.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use maillage_config::Config;
use maillage_db::Outgoing;
use maillage_tests::stub::StubKeys;
use maillage_tests::{TestInstance, eventually};
use serde_json::json;

/// A port on loopback (IPv4 and, where the machine has it, IPv6) that
/// counts the connections made to it: any is a failure.
struct Sentinel {
    port: u16,
    connections: Arc<AtomicUsize>,
}

impl Sentinel {
    async fn start() -> anyhow::Result<Self> {
        let v4 = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let port = v4.local_addr()?.port();
        let connections = Arc::new(AtomicUsize::new(0));
        let mut listeners = vec![v4];
        if let Ok(v6) = tokio::net::TcpListener::bind(("::1", port)).await {
            listeners.push(v6);
        }
        for listener in listeners {
            let counted = connections.clone();
            tokio::spawn(async move {
                while let Ok((socket, _)) = listener.accept().await {
                    counted.fetch_add(1, Ordering::SeqCst);
                    drop(socket);
                }
            });
        }
        Ok(Sentinel { port, connections })
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

/// One canned answer: status, headers, body.
#[derive(Clone)]
struct Answer {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Bytes,
}

impl Answer {
    fn new(status: u16, content_type: &str, body: impl Into<Bytes>) -> Self {
        Answer { status, headers: vec![("content-type", content_type.to_string())], body: body.into() }
    }

    fn activity(document: &serde_json::Value) -> Self {
        Answer::new(200, "application/activity+json", document.to_string())
    }

    fn redirect(location: &str) -> Self {
        Answer { status: 302, headers: vec![("location", location.to_string())], body: Bytes::new() }
    }
}

/// Another server on `localhost:<port>` answering each path (the query
/// left out) with what the test set.
struct Canned {
    base_url: String,
    answers: Arc<Mutex<HashMap<String, Answer>>>,
}

impl Canned {
    async fn start() -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let answers: Arc<Mutex<HashMap<String, Answer>>> = Arc::default();
        let app = axum::Router::new().fallback(answer).with_state(answers.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ok(Canned { base_url: format!("http://localhost:{port}"), answers })
    }

    fn set(&self, path: &str, answer: Answer) {
        self.answers.lock().unwrap().insert(path.to_string(), answer);
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// An actor document of this server with a real key.
    fn actor(&self, name: &str, keys: &StubKeys) -> serde_json::Value {
        let id = self.url(&format!("/actors/{name}"));
        json!({
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": id,
            "type": "Person",
            "preferredUsername": name,
            "inbox": format!("{id}/inbox"),
            "endpoints": { "sharedInbox": self.url("/inbox") },
            "publicKey": { "id": format!("{id}#main-key"), "owner": id, "publicKeyPem": keys.public_pem },
        })
    }
}

async fn answer(State(answers): State<Arc<Mutex<HashMap<String, Answer>>>>, request: Request) -> Response {
    let found = answers.lock().unwrap().get(request.uri().path()).cloned();
    let Some(answer) = found else { return (axum::http::StatusCode::NOT_FOUND, "no such thing").into_response() };
    let mut response = Response::new(axum::body::Body::from(answer.body));
    *response.status_mut() = axum::http::StatusCode::from_u16(answer.status).unwrap();
    for (name, value) in answer.headers {
        response.headers_mut().insert(name, value.parse().unwrap());
    }
    response
}

/// Queues an activity of `instance`'s hub to these inboxes, as rows stored
/// before the SSRF rules existed would be.
async fn enqueue(instance: &TestInstance, inboxes: &[String]) -> anyhow::Result<()> {
    let db = instance.database().await?;
    let hub = db.local_actor_by_username("hub").await?.expect("the hub exists");
    let id = format!("{}#ssrf-{}", hub.ap_id, inboxes.len());
    let activity = json!({ "id": id, "type": "Follow", "actor": hub.ap_id, "object": "https://peer.example/users/a" });
    let outgoing = Outgoing {
        ap_id: id,
        actor_id: hub.id,
        kind: "Follow".into(),
        public: false,
        json: activity.to_string(),
        inboxes: inboxes.to_vec(),
    };
    db.enqueue(&outgoing).await?;
    Ok(())
}

/// `host[:port]` of a URL, as deliveries are grouped.
fn domain_of(url: &str) -> String {
    let url = url::Url::parse(url).unwrap();
    match url.port() {
        Some(port) => format!("{}:{port}", url.host_str().unwrap()),
        None => url.host_str().unwrap().to_string(),
    }
}

async fn public_instance() -> anyhow::Result<TestInstance> {
    TestInstance::spawn_with(Box::new(|c: &mut Config| c.instance.domain = "hub.example".into())).await
}

/// The SSRF corpus against a public instance: deliveries (rows stored
/// before the rules), fetches by URL and by handle, and "follow from your
/// server". A sentinel on loopback sees whether anything connected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_public_instance_never_connects_to_private_addresses() -> anyhow::Result<()> {
    let sentinel = Sentinel::start().await?;
    let port = sentinel.port.to_string();
    let instance = public_instance().await?;
    let corpus: Vec<String> = [
        "http://127.0.0.1:{port}/",
        "https://127.0.0.1:{port}/inbox",
        "https://127.1:{port}/inbox",
        "https://0x7f.1:{port}/inbox",
        "https://2130706433:{port}/inbox",
        "https://0177.0.0.1:{port}/inbox",
        "https://%31%32%37.0.0.1:{port}/inbox",
        "https://127.0.0.1.:{port}/inbox",
        "https://[::1]:{port}/inbox",
        "https://[::ffff:127.0.0.1]:{port}/inbox",
        "https://localhost:{port}/inbox",
        "https://localhost.:{port}/inbox",
        "https://ssrf.localhost:{port}/inbox",
        "http://localhost:{port}/inbox",
    ]
    .iter()
    .map(|form| form.replace("{port}", &port))
    .collect();
    enqueue(&instance, &corpus).await?;

    // A remote actor stored before the rules, whose inboxes are a service
    // beside us (not on its own server): the hub follows it, and nothing is
    // even queued for it.
    let db = instance.database().await?;
    let keys = StubKeys::generate()?;
    let stale = format!("http://127.0.0.1:{port}/v1.43/containers/create");
    db.upsert_remote_actor(&maillage_db::NewRemoteActor {
        ap_id: "https://stale.example/users/mallory".into(),
        actor_type: "Person".into(),
        username: "mallory".into(),
        domain: "stale.example".into(),
        display_name: None,
        summary: None,
        url: None,
        icon_url: None,
        inbox_url: format!("http://127.0.0.1:{port}/inbox"),
        shared_inbox_url: Some(stale.clone()),
        outbox_url: None,
        followers_url: None,
        public_key_id: "https://stale.example/users/mallory#main-key".into(),
        public_key_pem: keys.public_pem.clone(),
        manually_approves_followers: false,
        raw_json: "{}".into(),
        profile_json: None,
    })
    .await?;
    instance.cli(&["admin", "follow", "--as", "hub", "https://stale.example/users/mallory"]).await?;

    eventually(20, "every delivery settled", || async { Ok(db.delivery_counts().await?.pending == 0) }).await?;
    let mut domains: Vec<String> = corpus.iter().map(|u| domain_of(u)).collect();
    domains.push(domain_of(&stale));
    domains.sort();
    domains.dedup();
    let mut outcomes = Vec::new();
    for domain in &domains {
        outcomes.extend(db.deliveries_to(domain).await?);
    }
    assert_eq!(outcomes.len(), corpus.len(), "only the corpus, nothing for the stale actor: {outcomes:#?}");
    for outcome in &outcomes {
        assert!(outcome.is_failed(), "failed for good, not retried: {outcome:?}");
        assert_eq!((outcome.attempts, outcome.last_status), (1, None), "never sent: {outcome:?}");
        let reason = outcome.last_error.as_deref().unwrap_or_default();
        assert!(
            ["IP address", "not the name of a public server", "over https only"].iter().any(|r| reason.contains(r)),
            "{}: {reason}",
            outcome.inbox_url
        );
    }
    // The circuit breaker heard nothing: no server was tried.
    assert!(db.domain_health().await?.is_empty());

    // Fetches, by URL and by handle (WebFinger).
    for target in [
        "https://127.1:{port}/actors/a",
        "https://0x7f.1:{port}/actors/a",
        "https://2130706433:{port}/actors/a",
        "https://[::ffff:127.0.0.1]:{port}/actors/a",
        "https://localhost:{port}/actors/a",
        "https://localhost.:{port}/actors/a",
        "http://localhost:{port}/actors/a",
        "a@localhost:{port}",
        "a@localhost.:{port}",
        "a@127.1:{port}",
        "a@0x7f.1:{port}",
        "a@[::1]:{port}",
    ] {
        let target = target.replace("{port}", &port);
        let error = instance.cli(&["admin", "follow", "--as", "hub", &target]).await.expect_err(&target);
        assert!(!error.to_string().is_empty(), "{target}");
    }

    // "Follow from your server", with the reader's server on loopback.
    instance.cli(&["admin", "enterprise", "create", "ferme", "--name", "Ferme"]).await?;
    for handle in [
        "me@127.1:{port}",
        "me@0x7f.1:{port}",
        "me@2130706433:{port}",
        "me@0177.0.0.1:{port}",
        "me@127.0.0.1.:{port}",
        "me@[::1]:{port}",
        "me@[::ffff:127.0.0.1]:{port}",
        "me@localhost:{port}",
        "me@localhost.:{port}",
    ] {
        let handle = handle.replace("{port}", &port);
        let query = [("target", "ferme@hub.example"), ("handle", handle.as_str())];
        let response = instance.http.get(instance.url("/follow")).query(&query).send().await?;
        assert_eq!(response.status(), 400, "{handle}");
    }
    assert_eq!(sentinel.connections(), 0, "something reached a private address");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_actor_whose_inboxes_are_on_another_server_is_refused() -> anyhow::Result<()> {
    let sentinel = Sentinel::start().await?;
    let peer = Canned::start().await?;
    let keys = StubKeys::generate()?;
    let elsewhere = format!("http://127.0.0.1:{}/", sentinel.port);
    let mut inbox_elsewhere = peer.actor("inbox-elsewhere", &keys);
    inbox_elsewhere["inbox"] = elsewhere.clone().into();
    peer.set("/actors/inbox-elsewhere", Answer::activity(&inbox_elsewhere));
    let mut shared_elsewhere = peer.actor("shared-elsewhere", &keys);
    shared_elsewhere["endpoints"]["sharedInbox"] = elsewhere.clone().into();
    peer.set("/actors/shared-elsewhere", Answer::activity(&shared_elsewhere));
    let instance = TestInstance::spawn().await?;

    for name in ["inbox-elsewhere", "shared-elsewhere"] {
        let actor = peer.url(&format!("/actors/{name}"));
        let error = instance.cli(&["admin", "follow", "--as", "hub", &actor]).await.expect_err(name).to_string();
        assert!(error.contains("is not on the actor's server") && error.contains(&elsewhere), "{name}: {error}");
    }
    // The same actor follows us: its document is refused, so no Accept
    // is ever sent to the address it names.
    let follow = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": peer.url("/follows/1"),
        "type": "Follow",
        "actor": peer.url("/actors/shared-elsewhere"),
        "object": instance.actor_id("hub"),
    });
    let body = follow.to_string().into_bytes();
    let inbox = url::Url::parse(&instance.url("/inbox"))?;
    let mut headers = maillage_federation::signature::sign(
        &http::Method::POST,
        &inbox,
        Some(&body),
        &format!("{}#main-key", peer.url("/actors/shared-elsewhere")),
        &keys.private_pem,
        SystemTime::now(),
    )?;
    headers.insert("content-type", "application/activity+json".parse()?);
    let response = instance.http.post(inbox).headers(headers).body(body).send().await?;
    assert!(response.status().is_client_error(), "{}", response.status());
    assert!(response.text().await?.contains("is not on the actor's server"));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let db = instance.database().await?;
    assert_eq!(db.delivery_counts().await?, maillage_db::DeliveryCounts::default(), "nothing to send");
    assert_eq!(sentinel.connections(), 0);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_answers_are_refused_with_a_clear_error() -> anyhow::Result<()> {
    let peer = Canned::start().await?;
    let keys = StubKeys::generate()?;
    let five_mb = 5 * 1024 * 1024;
    let mut huge = peer.actor("huge", &keys);
    huge["summary"] = "x".repeat(five_mb).into();
    peer.set("/actors/huge", Answer::activity(&huge));
    let instance = TestInstance::spawn().await?;
    let error = instance
        .cli(&["admin", "follow", "--as", "hub", &peer.url("/actors/huge")])
        .await
        .expect_err("too large")
        .to_string();
    assert!(error.contains("larger than 1024 KiB"), "{error}");

    // A reader's server answering "follow from your server" with 5 MB.
    instance.cli(&["admin", "enterprise", "create", "ferme", "--name", "Ferme"]).await?;
    let server = peer.base_url.trim_start_matches("http://").to_string();
    let jrd = json!({
        "subject": format!("acct:me@{server}"),
        "padding": "x".repeat(five_mb),
        "links": [{ "rel": "http://ostatus.org/schema/1.0/subscribe", "template": peer.url("/authorize?uri={uri}") }],
    });
    peer.set("/.well-known/webfinger", Answer::new(200, "application/jrd+json", jrd.to_string()));
    let target = format!("ferme@{}", instance.domain);
    let follow_page = |handle: String| {
        let instance = &instance;
        let target = target.clone();
        async move {
            let query = [("target", target.as_str()), ("handle", handle.as_str())];
            instance.http.get(instance.url("/follow")).query(&query).send().await
        }
    };
    let response = follow_page(format!("me@{server}")).await?;
    assert_eq!(response.status(), 400, "{:?}", response.headers());
    // The same answer, small: the reader is sent to their server.
    let jrd = json!({
        "links": [{ "rel": "http://ostatus.org/schema/1.0/subscribe", "template": peer.url("/authorize?uri={uri}") }],
    });
    peer.set("/.well-known/webfinger", Answer::new(200, "application/jrd+json", jrd.to_string()));
    let response = follow_page(format!("me@{server}")).await?;
    assert_eq!(response.status(), 303);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_bodies_are_quoted_short_and_escaped() -> anyhow::Result<()> {
    let peer = Canned::start().await?;
    let hostile = format!("\u{1b}[2J\u{1b}]0;owned\u{7}<html>{}\r\nX-Injected: 1\n", "A".repeat(200_000));
    peer.set("/actors/broken", Answer::new(500, "text/html", hostile.clone()));
    peer.set("/refusing/inbox", Answer::new(400, "text/html", hostile.clone()));
    let instance = TestInstance::spawn().await?;
    let clean = |text: &str| !text.contains('\u{1b}') && !text.contains('\u{7}') && !text.contains('\n');

    // A fetch answered with an error page.
    let error = instance
        .cli(&["admin", "follow", "--as", "hub", &peer.url("/actors/broken")])
        .await
        .expect_err("not a document")
        .to_string();
    assert!(error.len() < 1500 && clean(&error), "{} bytes: {error:?}", error.len());

    // Deliveries refused (400, for good) and failing (503, retried; two
    // servers, as a refusal would clear the other's failure on record).
    let failing = Canned::start().await?;
    failing.set("/failing/inbox", Answer::new(503, "text/html", hostile.clone()));
    enqueue(&instance, &[peer.url("/refusing/inbox"), failing.url("/failing/inbox")]).await?;
    let db = instance.database().await?;
    let domains = [domain_of(&peer.base_url), domain_of(&failing.base_url)];
    eventually(15, "both deliveries tried", || async {
        let mut tried = true;
        for domain in &domains {
            tried &= db.deliveries_to(domain).await?.iter().all(|d| d.attempts >= 1);
        }
        Ok(tried)
    })
    .await?;
    for (domain, status) in domains.iter().zip(["400", "503"]) {
        let outcomes = db.deliveries_to(domain).await?;
        assert_eq!(outcomes.len(), 1);
        let error = outcomes[0].last_error.clone().unwrap_or_default();
        assert!(error.starts_with(&format!("HTTP {status}: \\u{{1b}}[2J")), "{error:?}");
        assert!(error.chars().count() <= 220 && clean(&error), "{error:?}");
    }
    let health = db.domain_health().await?;
    let last = health.iter().find(|h| h.domain == domains[1]).and_then(|h| h.last_error.clone()).unwrap_or_default();
    assert!(last.starts_with("HTTP 503") && last.chars().count() <= 220 && clean(&last), "{last:?}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_to_private_addresses_are_not_followed() -> anyhow::Result<()> {
    let sentinel = Sentinel::start().await?;
    let private = format!("http://127.0.0.1:{}/", sentinel.port);
    let peer = Canned::start().await?;
    peer.set("/moved/inbox", Answer::redirect(&private));
    peer.set("/.well-known/webfinger", Answer::redirect(&format!("{private}.well-known/webfinger")));
    peer.set("/actors/moved", Answer::redirect(&format!("{private}actors/moved")));
    let instance = TestInstance::spawn().await?;
    instance.cli(&["admin", "enterprise", "create", "ferme", "--name", "Ferme"]).await?;

    // A delivery: the 302 is the answer (retried later), not followed.
    enqueue(&instance, &[peer.url("/moved/inbox")]).await?;
    let db = instance.database().await?;
    let domain = domain_of(&peer.base_url);
    eventually(15, "the delivery tried", || async {
        Ok(db.deliveries_to(&domain).await?.iter().all(|d| d.last_status == Some(302)))
    })
    .await?;
    // WebFinger, for following by handle and for "follow from your server".
    let server = peer.base_url.trim_start_matches("http://").to_string();
    let error = instance.cli(&["admin", "follow", "--as", "hub", &format!("a@{server}")]).await.expect_err("302");
    assert!(error.to_string().contains("HTTP 302"), "{error}");
    let query = [("target", format!("ferme@{}", instance.domain)), ("handle", format!("me@{server}"))];
    let response = instance.http.get(instance.url("/follow")).query(&query).send().await?;
    assert_eq!(response.status(), 400);
    // The library follows one redirect of a fetch, through the same checks
    // (an IP literal is refused even on a localhost instance).
    let error = instance.cli(&["admin", "follow", "--as", "hub", &peer.url("/actors/moved")]).await.expect_err("moved");
    assert!(!error.to_string().is_empty());
    assert_eq!(sentinel.connections(), 0, "a redirect was followed to a private address");
    Ok(())
}
