//! The streaming API: WebSocket clients (tokio-tungstenite) and
//! server-sent events receive updates, notifications and deletions, each
//! only where its viewer may read it; the caps answer 429; Mastodon.py's
//! `stream_user` hears a mention sent from another instance; two processes
//! on one PostgreSQL deliver an event once to a client of the other.

use std::time::Duration;

use anyhow::Context;
use futures_util::{SinkExt, StreamExt};
use maillage_db::testing::TestDatabase;
use maillage_tests::process::ProcessInstance;
use maillage_tests::{DatabaseKind, TestInstance};
use reqwest::Method;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message as Frame;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::api::{PASSWORD, call, instance, login, post_status};

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// How long a test waits for one message before it fails.
const PATIENCE: Duration = Duration::from_secs(20);

/// The streaming URL the instance advertises (v1 `urls.streaming_api`,
/// the same in v2), to which clients add `/api/v1/streaming`.
pub(crate) async fn streaming_base(base_url: &str) -> anyhow::Result<String> {
    let v1: Value = reqwest::get(format!("{base_url}/api/v1/instance")).await?.json().await?;
    let v2: Value = reqwest::get(format!("{base_url}/api/v2/instance")).await?.json().await?;
    let url = v1["urls"]["streaming_api"].as_str().context("no urls.streaming_api")?.to_string();
    assert_eq!(v2["configuration"]["urls"]["streaming"], json!(url));
    Ok(url)
}

/// A WebSocket on the streaming API, with `query` (`?stream=...`) and
/// `protocol_token` sent as `Sec-WebSocket-Protocol` when given.
pub(crate) async fn connect(base_url: &str, query: &str, protocol_token: Option<&str>) -> anyhow::Result<Socket> {
    let url = format!("{}/api/v1/streaming{query}", streaming_base(base_url).await?);
    let mut request = url.into_client_request()?;
    if let Some(token) = protocol_token {
        request.headers_mut().insert("Sec-WebSocket-Protocol", token.parse()?);
    }
    let (socket, _) = tokio_tungstenite::connect_async(request).await?;
    Ok(socket)
}

/// The HTTP status a refused WebSocket opening answers.
async fn refused(base_url: &str, query: &str) -> anyhow::Result<u16> {
    let url = format!("{}/api/v1/streaming{query}", streaming_base(base_url).await?);
    match tokio_tungstenite::connect_async(url).await {
        Ok(_) => Ok(101),
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => Ok(response.status().as_u16()),
        Err(other) => Err(other.into()),
    }
}

/// The next JSON text message (pings skipped).
pub(crate) async fn next_message(socket: &mut Socket) -> anyhow::Result<Value> {
    loop {
        let frame = tokio::time::timeout(PATIENCE, socket.next())
            .await
            .context("no message in time")?
            .context("the stream ended")??;
        match frame {
            Frame::Text(text) => return Ok(serde_json::from_str(text.as_str())?),
            Frame::Close(reason) => anyhow::bail!("closed by the server: {reason:?}"),
            _ => {}
        }
    }
}

/// The messages up to and including the first that `last` accepts.
pub(crate) async fn messages_until(socket: &mut Socket, last: impl Fn(&Value) -> bool) -> anyhow::Result<Vec<Value>> {
    let mut seen = Vec::new();
    loop {
        let message = next_message(socket).await.with_context(|| format!("after {seen:?}"))?;
        let done = last(&message);
        seen.push(message);
        if done {
            return Ok(seen);
        }
    }
}

/// The payload of a message, parsed (a status, a notification) or as it is (a deleted id).
pub(crate) fn payload(message: &Value) -> Value {
    let text = message["payload"].as_str().unwrap_or_default();
    serde_json::from_str(text).unwrap_or_else(|_| json!(text))
}

/// Whether a message is an `event` whose status (or notification's status) contains `text`.
pub(crate) fn is_event(message: &Value, event: &str, text: &str) -> bool {
    let payload = payload(message);
    let content = payload["content"].as_str().or(payload["status"]["content"].as_str()).unwrap_or_default();
    message["event"] == event && content.contains(text)
}

/// A `conversation` event whose last status says `text`.
fn is_conversation(message: &Value, text: &str) -> bool {
    let content = payload(message)["last_status"]["content"].as_str().unwrap_or_default().to_string();
    message["event"] == "conversation" && content.contains(text)
}

async fn account_id(instance: &TestInstance, acct: &str) -> anyhow::Result<String> {
    let (_, account) = call(instance, Method::GET, &format!("/api/v1/accounts/lookup?acct={acct}"), None, None).await?;
    Ok(account["id"].as_str().context("no account")?.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websockets_stream_updates_notifications_and_deletes_to_their_readers() -> anyhow::Result<()> {
    let a = instance().await?;
    let (marie, paul) = (login(&a, "marie").await?, login(&a, "paul").await?);
    let base = a.url("");
    let base = base.trim_end_matches('/');
    // Three ways to give the token: the query, the WebSocket protocol, none.
    let mut paul_user = connect(base, &format!("?stream=user&access_token={paul}"), None).await?;
    let mut marie_user = connect(base, "?stream=user", Some(&marie)).await?;
    let mut public = connect(base, "?stream=public", None).await?;

    // Paul follows marie: she is notified on her stream.
    let marie_id = account_id(&a, "marie").await?;
    let (status, _) = call(&a, Method::POST, &format!("/api/v1/accounts/{marie_id}/follow"), Some(&paul), None).await?;
    assert_eq!(status, 200);
    let message = next_message(&mut marie_user).await?;
    assert_eq!((&message["event"], &message["stream"]), (&json!("notification"), &json!(["user"])), "{message}");
    let notification = payload(&message);
    assert_eq!((&notification["type"], &notification["account"]["username"]), (&json!("follow"), &json!("paul")));

    // A followers-only post reaches her follower's home stream, never the public one.
    post_status(&a, &marie, json!({ "status": "Entre nous", "visibility": "private" })).await?;
    let message = next_message(&mut paul_user).await?;
    assert!(is_event(&message, "update", "Entre nous"), "{message}");
    assert_eq!(payload(&message)["visibility"], "private");
    let (_, public_post) = post_status(&a, &marie, json!({ "status": "Bonjour à tous" })).await?;
    let seen = messages_until(&mut public, |m| is_event(m, "update", "Bonjour à tous")).await?;
    assert_eq!(seen.len(), 1, "the followers-only post came before on the public stream: {seen:?}");
    assert_eq!(seen[0]["stream"], json!(["public"]));
    assert_eq!(payload(&seen[0])["id"], public_post["id"], "the Status entity, as the REST API renders it");
    assert!(is_event(&next_message(&mut paul_user).await?, "update", "Bonjour à tous"));

    // Paul mentions marie: her notification goes to her, never to paul.
    post_status(&a, &paul, json!({ "status": "Merci @marie !" })).await?;
    let seen = messages_until(&mut marie_user, |m| m["event"] == "notification").await?;
    let mention = payload(seen.last().unwrap());
    assert_eq!((&mention["type"], &mention["account"]["username"]), (&json!("mention"), &json!("paul")));
    post_status(&a, &marie, json!({ "status": "Marqueur" })).await?;
    let seen = messages_until(&mut paul_user, |m| is_event(m, "update", "Marqueur")).await?;
    assert!(seen.iter().all(|m| m["event"] != "notification"), "paul got someone else's notification: {seen:?}");

    // An edit and a deletion reach the public stream and the follower's.
    let id = public_post["id"].as_str().unwrap();
    let (status, _) = call(
        &a,
        Method::PUT,
        &format!("/api/v1/statuses/{id}"),
        Some(&marie),
        Some(json!({ "status": "Bonjour, modifié" })),
    )
    .await?;
    assert_eq!(status, 200);
    let seen = messages_until(&mut public, |m| m["event"] == "status.update").await?;
    assert!(is_event(seen.last().unwrap(), "status.update", "modifié"), "{seen:?}");
    assert_eq!(call(&a, Method::DELETE, &format!("/api/v1/statuses/{id}"), Some(&marie), None).await?.0, 200);
    let deleted = messages_until(&mut public, |m| m["event"] == "delete").await?;
    assert_eq!(deleted.last().unwrap()["payload"], json!(id), "a deletion carries the id as a string");
    let deleted = messages_until(&mut paul_user, |m| m["event"] == "delete").await?;
    assert_eq!(deleted.last().unwrap()["payload"], json!(id));

    // Subscribing on an open socket: a tag stream; a personal stream needs a token.
    let mut tags = connect(base, "", None).await?;
    tags.send(Frame::Text(json!({ "type": "subscribe", "stream": "hashtag", "tag": "Coop" }).to_string().into()))
        .await?;
    tags.send(Frame::Text(json!({ "type": "subscribe", "stream": "user" }).to_string().into())).await?;
    let refusal = next_message(&mut tags).await?;
    assert!(refusal["error"].is_string(), "{refusal}");
    post_status(&a, &marie, json!({ "status": "Sans étiquette" })).await?;
    post_status(&a, &marie, json!({ "status": "Des nouvelles de la #coop" })).await?;
    let message = next_message(&mut tags).await?;
    assert!(is_event(&message, "update", "nouvelles"), "only the tagged post: {message}");
    assert_eq!(message["stream"], json!(["hashtag", "Coop"]));

    // A password reset ends paul's token: his stream ends at the next event.
    messages_until(&mut paul_user, |m| is_event(m, "update", "nouvelles")).await?;
    a.cli_with_input(&["admin", "user", "reset-password", "paul"], "un autre mot de passe\n").await?;
    post_status(&a, &marie, json!({ "status": "Après la réinitialisation" })).await?;
    let ended = next_message(&mut paul_user).await;
    assert!(ended.is_err(), "a revoked token still streams: {ended:?}");
    assert_eq!(refused(base, &format!("?stream=user&access_token={paul}")).await?, 401);

    // A direct status: its conversation reaches the `direct` streams of who
    // it addresses and of its author, never another member's.
    a.cli_with_input(&["admin", "user", "create", "luc"], &format!("{PASSWORD}\n")).await?;
    let (marie, luc) = (login(&a, "marie").await?, login(&a, "luc").await?);
    let mut marie_direct = connect(base, "?stream=direct", Some(&marie)).await?;
    let mut luc_direct = connect(base, "?stream=direct", Some(&luc)).await?;
    post_status(&a, &luc, json!({ "status": "@marie rien que pour toi", "visibility": "direct" })).await?;
    let message = next_message(&mut marie_direct).await?;
    assert_eq!((&message["event"], &message["stream"]), (&json!("conversation"), &json!(["direct"])), "{message}");
    let conversation = payload(&message);
    assert!(conversation["last_status"]["content"].as_str().unwrap_or_default().contains("rien que pour toi"));
    assert_eq!(conversation["accounts"][0]["username"], "luc", "{conversation}");
    assert_eq!(conversation["unread"], true);
    let own = next_message(&mut luc_direct).await?;
    assert!(is_conversation(&own, "rien que pour toi"), "the author's conversation: {own}");
    post_status(&a, &marie, json!({ "status": "@paul entre nous deux", "visibility": "direct" })).await?;
    post_status(&a, &marie, json!({ "status": "@luc à toi seulement", "visibility": "direct" })).await?;
    let next = next_message(&mut luc_direct).await?;
    assert!(is_conversation(&next, "toi seulement"), "luc got someone else's conversation: {next}");
    Ok(())
}

/// Reads a server-sent-events response until `text` has come in an `event:` block.
async fn sse_until(response: &mut reqwest::Response, text: &str) -> anyhow::Result<String> {
    let mut received = String::new();
    while !received.contains(text) {
        let chunk = tokio::time::timeout(PATIENCE, response.chunk())
            .await
            .with_context(|| format!("nothing more in time after {received:?}"))??
            .context("the stream ended")?;
        received.push_str(&String::from_utf8_lossy(&chunk));
    }
    Ok(received)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_sent_events_health_and_the_connection_caps() -> anyhow::Result<()> {
    let a = TestInstance::spawn_with(Box::new(|config| config.streaming.max_connections_per_account = 2)).await?;
    crate::api::populate(&a).await?;
    let (marie, paul) = (login(&a, "marie").await?, login(&a, "paul").await?);
    let base = a.url("");
    let base = base.trim_end_matches('/');

    let health = a.get("/api/v1/streaming/health").await?;
    assert_eq!(health.status(), 200);
    assert_eq!(health.text().await?, "OK");

    // Server-sent events, anonymous on a public stream and with a token on the user stream.
    let mut local = a.get("/api/v1/streaming/public/local").await?;
    assert_eq!(local.status(), 200);
    assert!(local.headers()["content-type"].to_str()?.starts_with("text/event-stream"));
    let mut notifications = a.http.get(a.url("/api/v1/streaming/user/notification")).bearer_auth(&marie).send().await?;
    assert_eq!(notifications.status(), 200);
    assert_eq!(a.get("/api/v1/streaming/user").await?.status(), 401, "the user stream needs a token");
    assert_eq!(a.get("/api/v1/streaming/nothing").await?.status(), 404);

    post_status(&a, &marie, json!({ "status": "En direct, #local", "visibility": "public" })).await?;
    let received = sse_until(&mut local, "En direct").await?;
    assert!(received.contains("event: update\ndata: {"), "{received}");
    post_status(&a, &paul, json!({ "status": "Bonjour @marie" })).await?;
    let received = sse_until(&mut notifications, "mention").await?;
    assert!(received.contains("event: notification\n"), "{received}");
    assert!(!received.contains("event: update"), "user:notification carries notifications only: {received}");

    // Marie has one stream open (SSE): one more WebSocket, then 429; paul is not counted with her.
    let _second = connect(base, &format!("?stream=user&access_token={marie}"), None).await?;
    assert_eq!(refused(base, &format!("?stream=user&access_token={marie}")).await?, 429);
    let _paul = connect(base, &format!("?stream=user&access_token={paul}"), None).await?;
    drop(notifications);
    assert_eq!(refused(base, "?stream=user&access_token=forged").await?, 401);
    Ok(())
}

/// Mastodon.py's `stream_user` on A hears a mention sent by luc from B.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mastodon_py_streams_a_mention_from_another_instance() -> anyhow::Result<()> {
    use tokio::io::AsyncBufReadExt;
    let Some(python) = maillage_tests::python::with_modules(&["mastodon"]) else {
        return Ok(());
    };
    let a = instance().await?;
    let marie = login(&a, "marie").await?;
    let b = TestInstance::spawn().await?;
    b.cli_with_input(&["admin", "user", "create", "luc"], &format!("{PASSWORD}\n")).await?;
    let luc = login(&b, "luc").await?;

    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/clients/mastodon_py_stream.py");
    let mut child = tokio::process::Command::new(python)
        .args([script, a.url("").trim_end_matches('/'), &marie, "60"])
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let mut lines = tokio::io::BufReader::new(child.stdout.take().context("no stdout")?).lines();
    let ready = tokio::time::timeout(Duration::from_secs(60), lines.next_line()).await??;
    assert_eq!(ready.as_deref(), Some("ready"));

    let (status, _) = post_status(&b, &luc, json!({ "status": format!("Salut @marie@{} !", a.domain) })).await?;
    assert_eq!(status, 200);
    let line = tokio::time::timeout(Duration::from_secs(60), lines.next_line()).await??.context("no notification")?;
    let notification: Value = serde_json::from_str(&line)?;
    assert_eq!(notification["type"], "mention");
    assert_eq!(notification["account"], json!(format!("luc@{}", b.domain)));
    assert!(notification["content"].as_str().unwrap_or_default().contains("Salut"), "{notification}");
    assert!(child.wait().await?.success());
    Ok(())
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A client of process A hears, once, a post written through process B.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_one_postgresql_stream_each_event_once() -> anyhow::Result<()> {
    let database = TestDatabase::create().await.map_err(anyhow::Error::msg)?;
    if database.kind() != DatabaseKind::Postgres {
        maillage_tests::skipped("several processes need PostgreSQL (scripts/test runs this there)");
        return Ok(());
    }
    let (port_a, port_b) = (free_port()?, free_port()?);
    let first = ProcessInstance::spawn(database.url(), port_a, port_a, &[]).await?;
    let _second = ProcessInstance::spawn(database.url(), port_b, port_a, &[]).await?;
    first.cli_with_input(&["admin", "user", "create", "marie"], &format!("{PASSWORD}\n")).await?;
    let http = reqwest::Client::new();
    let on_b = format!("http://127.0.0.1:{port_b}");
    let token = crate::media_cluster::token(&http, &on_b, "marie").await?;

    let mut on_a = connect(&first.base_url, &format!("?stream=public:local&access_token={token}"), None).await?;
    for text in ["Écrit sur B", "Marqueur sur B"] {
        let response = http
            .post(format!("{on_b}/api/v1/statuses"))
            .bearer_auth(&token)
            .json(&json!({ "status": text }))
            .send()
            .await?;
        assert_eq!(response.status(), 200);
    }
    let seen = messages_until(&mut on_a, |m| is_event(m, "update", "Marqueur sur B")).await?;
    let written = seen.iter().filter(|m| is_event(m, "update", "Écrit sur B")).count();
    assert_eq!(written, 1, "heard on A exactly once: {seen:?}");
    assert_eq!(seen.len(), 2, "{seen:?}");
    Ok(())
}
