//! The inbox under bad input: every refusal is a 4xx with a reason, and
//! nothing is stored. Requests are signed with the real keys of another
//! Maillage instance's actors, as a peer would sign them.

use std::time::{Duration, SystemTime};

use maillage_federation::signature;
use maillage_tests::TestInstance;
use serde_json::{Value, json};

struct Signer {
    actor_id: String,
    key_id: String,
    private_key_pem: String,
}

async fn signer(instance: &TestInstance, handle: &str) -> anyhow::Result<Signer> {
    let db = instance.database().await?;
    let actor = db.local_actor_by_username(handle).await?.expect("actor exists");
    Ok(Signer {
        key_id: format!("{}#main-key", actor.ap_id),
        actor_id: actor.ap_id,
        private_key_pem: actor.private_key_pem,
    })
}

fn follow_of(from: &Signer, to: &str, n: u32) -> Value {
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/follows/{n}", from.actor_id),
        "type": "Follow",
        "actor": from.actor_id,
        "object": to,
    })
}

/// Posts `body` signed by `key`, after letting `tamper` change the request.
async fn post(
    target: &TestInstance,
    path: &str,
    key: &Signer,
    body: &[u8],
    when: SystemTime,
    tamper: impl FnOnce(&mut http::HeaderMap, &mut Vec<u8>),
) -> anyhow::Result<(u16, Value)> {
    let url = url::Url::parse(&target.url(path))?;
    let mut headers = signature::sign(&http::Method::POST, &url, Some(body), &key.key_id, &key.private_key_pem, when)?;
    headers.insert("content-type", "application/activity+json".parse()?);
    let mut body = body.to_vec();
    tamper(&mut headers, &mut body);
    let response = target.http.post(url).headers(headers).body(body).send().await?;
    let status = response.status().as_u16();
    let text = response.text().await?;
    Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
}

async fn stored(target: &TestInstance) -> anyhow::Result<(i64, i64)> {
    let db = target.database().await?;
    Ok((db.count_received().await?, db.delivery_counts().await?.pending))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_are_refused_and_change_nothing() -> anyhow::Result<()> {
    let target = TestInstance::spawn().await?;
    let peer = TestInstance::spawn().await?;
    peer.cli(&["admin", "enterprise", "create", "coop", "--name", "Coop"]).await?;
    let coop = signer(&peer, "coop").await?;
    let hub = signer(&peer, "hub").await?;
    let target_hub = target.actor_id("hub");
    let body = follow_of(&coop, &target_hub, 1).to_string().into_bytes();
    let now = SystemTime::now();
    let before = stored(&target).await?;

    let cases: Vec<(&str, u16, &str, (u16, Value))> = vec![
        ("unsigned", 401, "Signature", {
            let response = target
                .http
                .post(target.url("/inbox"))
                .header("content-type", "application/activity+json")
                .body(body.clone())
                .send()
                .await?;
            (response.status().as_u16(), response.json().await.unwrap_or(Value::Null))
        }),
        ("tampered body", 401, "Digest", post(&target, "/inbox", &coop, &body, now, |_, b| b.push(b' ')).await?),
        (
            "stale date",
            401,
            "past",
            post(&target, "/inbox", &coop, &body, now - Duration::from_secs(3 * 3600), |_, _| {}).await?,
        ),
        (
            "future date",
            401,
            "future",
            post(&target, "/inbox", &coop, &body, now + Duration::from_secs(3 * 3600), |_, _| {}).await?,
        ),
        (
            "missing digest",
            401,
            "igest",
            post(&target, "/inbox", &coop, &body, now, |h, _| {
                h.remove("digest");
            })
            .await?,
        ),
        ("another actor's key", 401, "does not belong", post(&target, "/inbox", &hub, &body, now, |_, _| {}).await?),
        (
            "wrong content type",
            415,
            "activity+json",
            post(&target, "/inbox", &coop, &body, now, |h, _| {
                h.insert("content-type", "text/plain".parse().unwrap());
            })
            .await?,
        ),
        ("not JSON", 400, "JSON", post(&target, "/inbox", &coop, b"{not json", now, |_, _| {}).await?),
        (
            "no such personal inbox",
            404,
            "no actor",
            post(&target, "/actors/nobody/inbox", &coop, &body, now, |_, _| {}).await?,
        ),
    ];
    for (name, status, reason, (got_status, got_body)) in cases {
        assert_eq!(got_status, status, "{name}: {got_body}");
        let message = got_body["error"].as_str().unwrap_or_default();
        assert!(message.contains(reason), "{name}: {message:?} should mention {reason:?}");
    }

    // Signed for /inbox, sent to the hub's personal inbox.
    let url = url::Url::parse(&target.url("/inbox"))?;
    let mut headers =
        signature::sign(&http::Method::POST, &url, Some(&body), &coop.key_id, &coop.private_key_pem, now)?;
    headers.insert("content-type", "application/activity+json".parse()?);
    let response = target.http.post(target.url("/actors/hub/inbox")).headers(headers).body(body.clone()).send().await?;
    assert_eq!(response.status(), 401);

    // An activity whose id is on another server than its actor.
    let spoofed = json!({
        "id": "http://elsewhere.example/follows/1", "type": "Follow", "actor": coop.actor_id, "object": target_hub,
    });
    let (status, answer) = post(&target, "/inbox", &coop, spoofed.to_string().as_bytes(), now, |_, _| {}).await?;
    assert_eq!(status, 400, "{answer}");

    // Too big: refused before anything is read.
    let huge = vec![b' '; 2 * 1024 * 1024];
    let (status, _) = post(&target, "/inbox", &coop, &huge, now, |_, _| {}).await?;
    assert_eq!(status, 413);

    assert_eq!(stored(&target).await?, before, "refused requests store nothing");
    assert!(target.collection_items(&format!("{target_hub}/followers")).await?.is_empty());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_valid_follow_is_accepted_once() -> anyhow::Result<()> {
    let target = TestInstance::spawn().await?;
    let peer = TestInstance::spawn().await?;
    let hub = signer(&peer, "hub").await?;
    let target_hub = target.actor_id("hub");
    let body = follow_of(&hub, &target_hub, 7).to_string().into_bytes();
    let now = SystemTime::now();
    let (status, answer) = post(&target, "/actors/hub/inbox", &hub, &body, now, |_, _| {}).await?;
    assert_eq!(status, 202, "{answer}");
    let (status, _) = post(&target, "/inbox", &hub, &body, now, |_, _| {}).await?;
    assert_eq!(status, 202, "a duplicate is acknowledged");
    let db = target.database().await?;
    assert_eq!(db.count_received().await?, 1, "and ignored");
    assert_eq!(target.collection_items(&format!("{target_hub}/followers")).await?, vec![hub.actor_id.clone()]);
    // One Accept was queued (and is delivered to the peer's hub).
    let counts = db.delivery_counts().await?;
    assert_eq!(counts.pending + counts.done, 1);
    Ok(())
}
