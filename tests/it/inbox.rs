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

    // 10,000 levels of nesting: refused cheaply, nothing parsed deeply.
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let (status, answer) = post(&target, "/inbox", &coop, deep.as_bytes(), now, |_, _| {}).await?;
    assert_eq!(status, 400, "{answer}");

    // Too big: refused before anything is read.
    let huge = vec![b' '; 2 * 1024 * 1024];
    let (status, _) = post(&target, "/inbox", &coop, &huge, now, |_, _| {}).await?;
    assert_eq!(status, 413);
    // 10 MB: the 413 may come back before the client has sent it all, and
    // the server then closes the connection; either way nothing is stored.
    let enormous = vec![b' '; 10 * 1024 * 1024];
    match post(&target, "/inbox", &coop, &enormous, now, |_, _| {}).await {
        Ok((status, _)) => assert_eq!(status, 413),
        Err(error) => assert!(format!("{error:?}").contains("send"), "{error:?}"),
    }

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
    let follow_id = format!("{}/follows/7", hub.actor_id);
    assert_eq!(maillage_tests::processed(&db, &follow_id).await?.0, "done");
    assert_eq!(target.collection_items(&format!("{target_hub}/followers")).await?, vec![hub.actor_id.clone()]);
    // One Accept was queued (and is delivered to the peer's hub).
    let counts = db.delivery_counts().await?;
    assert_eq!(counts.pending + counts.done, 1);
    Ok(())
}

/// Posts a signed activity from `from` to the target's shared inbox.
async fn send(target: &TestInstance, from: &Signer, activity: &Value) -> anyhow::Result<(u16, Value)> {
    post(target, "/inbox", from, activity.to_string().as_bytes(), SystemTime::now(), |_, _| {}).await
}

/// [`send`], requiring a 202, then waits until the activity is processed
/// (the 202 comes once it is stored); its state (`done`, `failed`...).
async fn deliver(target: &TestInstance, from: &Signer, activity: &Value) -> anyhow::Result<String> {
    let (status, answer) = send(target, from, activity).await?;
    anyhow::ensure!(status == 202, "{} answered {status}: {answer}", activity["id"]);
    let id = activity["id"].as_str().expect("an activity id");
    Ok(maillage_tests::processed(&target.database().await?, id).await?.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_content_is_sanitised_and_deletes_win() -> anyhow::Result<()> {
    let target = TestInstance::spawn().await?;
    let peer = TestInstance::spawn().await?;
    let hub = signer(&peer, "hub").await?;
    let db = target.database().await?;
    let note_id = format!("{}/objects/hostile", peer.base_url);
    let hostile = json!({
        "id": format!("{}/activities/create-1", peer.base_url),
        "type": "Create",
        "actor": hub.actor_id,
        "object": {
            "id": note_id,
            "type": "Note",
            "attributedTo": hub.actor_id,
            "content": "<p onclick=\"x()\" style=\"color:red\">Salut <script>alert(1)</script><a href=\"javascript:alert(2)\">lien</a><img src=x onerror=alert(3)><iframe src=\"http://evil.example\"></iframe></p>",
            "contentMap": { "fr": "ignored when content is present" },
        },
    });
    assert_eq!(deliver(&target, &hub, &hostile).await?, "done");
    let stored = db.remote_object(&note_id).await?.expect("stored");
    let html = stored.content_html.unwrap();
    for bad in ["<script", "alert(1)", "javascript:", "onclick", "style=", "<img", "onerror", "<iframe"] {
        assert!(!html.contains(bad), "{bad} survived: {html}");
    }
    assert!(html.contains("Salut"), "{html}");
    assert_eq!(stored.language.as_deref(), Some("fr"));

    // An object claiming another server than its sender is refused.
    let spoofed = json!({
        "id": format!("{}/activities/create-2", peer.base_url),
        "type": "Create",
        "actor": hub.actor_id,
        "object": { "id": "http://elsewhere.example/notes/1", "type": "Note", "content": "x" },
    });
    let (status, _) = send(&target, &hub, &spoofed).await?;
    assert_eq!(status, 400);
    assert!(db.remote_object("http://elsewhere.example/notes/1").await?.is_none());

    // A Delete that arrives before its Create wins.
    let late_id = format!("{}/objects/late", peer.base_url);
    let delete = json!({
        "id": format!("{}/activities/delete-1", peer.base_url),
        "type": "Delete",
        "actor": hub.actor_id,
        "object": { "id": late_id, "type": "Tombstone" },
    });
    assert_eq!(deliver(&target, &hub, &delete).await?, "done");
    let create = json!({
        "id": format!("{}/activities/create-3", peer.base_url),
        "type": "Create",
        "actor": hub.actor_id,
        "object": { "id": late_id, "type": "Note", "attributedTo": hub.actor_id, "content": "<p>trop tard</p>" },
    });
    deliver(&target, &hub, &create).await?;
    let late = db.remote_object(&late_id).await?.expect("a tombstone");
    assert!(late.deleted && late.content_html.is_none());

    // Deleting the hostile note removes its content.
    let delete = json!({
        "id": format!("{}/activities/delete-2", peer.base_url),
        "type": "Delete",
        "actor": hub.actor_id,
        "object": note_id,
    });
    assert_eq!(deliver(&target, &hub, &delete).await?, "done");
    assert!(db.remote_object(&note_id).await?.unwrap().deleted);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn likes_and_reshares_of_our_posts_are_counted() -> anyhow::Result<()> {
    let target = TestInstance::spawn().await?;
    let peer = TestInstance::spawn().await?;
    target.cli(&["admin", "enterprise", "create", "coop", "--name", "Coop"]).await?;
    target.cli_with_input(&["admin", "user", "create", "marie"], "un mot de passe sûr\n").await?;
    target.cli(&["admin", "enterprise", "add-editor", "coop", "marie"]).await?;
    let printed =
        target.cli(&["admin", "post", "note", "--enterprise", "coop", "--author", "marie", "--text", "Allo"]).await?;
    let note = printed.trim().trim_start_matches("published ").to_string();
    let fan = signer(&peer, "hub").await?;
    let like = json!({
        "id": format!("{}/activities/like-1", peer.base_url), "type": "Like", "actor": fan.actor_id, "object": note,
    });
    let boost = json!({
        "id": format!("{}/activities/announce-1", peer.base_url), "type": "Announce", "actor": fan.actor_id,
        "object": note, "to": ["https://www.w3.org/ns/activitystreams#Public"],
    });
    assert_eq!(deliver(&target, &fan, &like).await?, "done");
    assert_eq!(deliver(&target, &fan, &boost).await?, "done");
    let printed = target.cli(&["admin", "post", "reactions", &note]).await?;
    assert!(printed.contains("1 like(s), 1 reshare(s)"), "{printed}");
    assert!(printed.contains(&format!("like\t{}", fan.actor_id)), "{printed}");
    let undo = json!({
        "id": format!("{}/activities/undo-1", peer.base_url), "type": "Undo", "actor": fan.actor_id, "object": like,
    });
    assert_eq!(deliver(&target, &fan, &undo).await?, "done");
    let printed = target.cli(&["admin", "post", "reactions", &note]).await?;
    assert!(printed.contains("0 like(s), 1 reshare(s)"), "{printed}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_activity_whose_processing_died_is_processed_by_the_worker() -> anyhow::Result<()> {
    let target = TestInstance::spawn().await?;
    let peer = TestInstance::spawn().await?;
    let hub = signer(&peer, "hub").await?;
    let target_hub = target.actor_id("hub");
    // Make the peer's hub known to the target, as the inbox does before storing.
    assert_eq!(deliver(&target, &hub, &follow_of(&hub, &target_hub, 1)).await?, "done");
    let undo = json!({
        "id": format!("{}/undo/1", hub.actor_id), "type": "Undo", "actor": hub.actor_id,
        "object": follow_of(&hub, &target_hub, 1),
    });
    // Stored, then the process "crashed" before processing (a lease of 0 s).
    let db = target.database().await?;
    let undo_id = undo["id"].as_str().unwrap().to_string();
    db.store_received(&undo_id, &hub.actor_id, "Undo", &undo.to_string(), 0).await?.expect("stored");
    maillage_tests::eventually(15, "the worker processes it", || async {
        Ok(db.received_state(&undo_id).await?.is_some_and(|(state, _)| state == "done"))
    })
    .await?;
    assert!(target.collection_items(&format!("{target_hub}/followers")).await?.is_empty());
    // Sent again by the peer: a duplicate, acknowledged and ignored.
    assert_eq!(send(&target, &hub, &undo).await?.0, 202);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_is_stored_before_each_answer_then_all_processed() -> anyhow::Result<()> {
    let target = TestInstance::spawn().await?;
    let peer = TestInstance::spawn().await?;
    let hub = signer(&peer, "hub").await?;
    let (status, _) = send(&target, &hub, &follow_of(&hub, &target.actor_id("hub"), 1)).await?;
    assert_eq!(status, 202);
    let db = target.database().await?;
    let before = db.count_received().await?;
    // Far more at once than the target processes while answering (one per
    // core): the rest is stored in group commits and left to its worker.
    const BURST: usize = 64;
    let mut sending = tokio::task::JoinSet::new();
    let target = std::sync::Arc::new(target);
    let hub = std::sync::Arc::new(hub);
    for n in 0..BURST {
        let (target, hub) = (target.clone(), hub.clone());
        sending.spawn(async move {
            let note = json!({
                "id": format!("{}/activities/burst-{n}", peer_base(&hub.actor_id)),
                "type": "Create",
                "actor": hub.actor_id,
                "to": ["https://www.w3.org/ns/activitystreams#Public"],
                "object": {
                    "id": format!("{}/objects/burst-{n}", peer_base(&hub.actor_id)),
                    "type": "Note",
                    "attributedTo": hub.actor_id,
                    "content": format!("<p>Nouvelle n° {n}</p>"),
                    "to": ["https://www.w3.org/ns/activitystreams#Public"],
                },
            });
            send(&target, &hub, &note).await.map(|(status, _)| status)
        });
    }
    while let Some(status) = sending.join_next().await {
        assert_eq!(status??, 202);
    }
    // Every 202 was given after its activity was committed.
    assert_eq!(db.count_received().await? - before, BURST as i64);
    maillage_tests::eventually(30, "every stored activity is processed", || async {
        Ok(db.received_counts().await?.pending == 0)
    })
    .await?;
    let counts = db.received_counts().await?;
    assert_eq!((counts.failed, counts.done), (0, before + BURST as i64));
    for n in 0..BURST {
        let id = format!("{}/objects/burst-{n}", peer_base(&hub.actor_id));
        let stored = db.remote_object(&id).await?.unwrap_or_else(|| panic!("{id} stored"));
        assert_eq!(stored.content_html.as_deref(), Some(format!("<p>Nouvelle n° {n}</p>").as_str()));
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_origin_holds_back_only_the_actor_whose_reshare_needs_it() -> anyhow::Result<()> {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    // An origin that takes 6 s to serve the reshared post.
    let asked = std::sync::Arc::new(AtomicUsize::new(0));
    let answered = std::sync::Arc::new(AtomicBool::new(false));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let origin = format!("http://localhost:{}", listener.local_addr()?.port());
    let slow = {
        let (asked, answered, origin) = (asked.clone(), answered.clone(), origin.clone());
        axum::Router::new().route(
            "/objects/slow",
            axum::routing::get(move || async move {
                asked.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_secs(6)).await;
                answered.store(true, Ordering::SeqCst);
                let note = json!({"id": format!("{origin}/objects/slow"), "type": "Note", "content": "<p>lent</p>"});
                ([(http::header::CONTENT_TYPE, "application/activity+json")], note.to_string())
            }),
        )
    };
    tokio::spawn(async move { axum::serve(listener, slow).await });

    let target = TestInstance::spawn().await?;
    let peer = TestInstance::spawn().await?;
    peer.cli(&["admin", "enterprise", "create", "coop", "--name", "Coop"]).await?;
    let (hub, coop) = (signer(&peer, "hub").await?, signer(&peer, "coop").await?);
    for (n, actor) in [&hub, &coop].into_iter().enumerate() {
        let follow = follow_of(actor, &target.actor_id("hub"), 10 + n as u32);
        assert_eq!(send(&target, actor, &follow).await?.0, 202, "each actor is known to the target");
    }
    // Left for the inbox worker, as a burst leaves them: the hub reshares the
    // slow post, then the cooperative publishes five updates.
    let db = target.database().await?;
    let base = peer_base(&hub.actor_id);
    let announce = json!({
        "id": format!("{base}/activities/announce-slow"), "type": "Announce", "actor": hub.actor_id,
        "object": format!("{origin}/objects/slow"), "to": ["https://www.w3.org/ns/activitystreams#Public"],
    });
    db.store_received(announce["id"].as_str().unwrap(), &hub.actor_id, "Announce", &announce.to_string(), 0)
        .await?
        .expect("stored");
    for n in 0..5 {
        let create = json!({
            "id": format!("{base}/activities/quick-{n}"), "type": "Create", "actor": coop.actor_id,
            "object": {
                "id": format!("{base}/objects/quick-{n}"), "type": "Note", "attributedTo": coop.actor_id,
                "content": format!("<p>vite {n}</p>"), "to": ["https://www.w3.org/ns/activitystreams#Public"],
            },
        });
        db.store_received(create["id"].as_str().unwrap(), &coop.actor_id, "Create", &create.to_string(), 0)
            .await?
            .expect("stored");
    }
    maillage_tests::eventually(5, "the cooperative's updates are processed", || async {
        let mut all = true;
        for n in 0..5 {
            all &= db.remote_object(&format!("{base}/objects/quick-{n}")).await?.is_some();
        }
        Ok(all)
    })
    .await?;
    assert!(!answered.load(Ordering::SeqCst), "the updates did not wait for the slow origin");
    // The reshare is processed meanwhile, in a task of its own.
    maillage_tests::eventually(5, "the reshare's origin is asked", || async { Ok(asked.load(Ordering::SeqCst) == 1) })
        .await?;
    Ok(())
}

/// The server part of an actor id (`http://localhost:1234`).
fn peer_base(actor_id: &str) -> String {
    let url = url::Url::parse(actor_id).expect("an actor id is a URL");
    url.origin().ascii_serialization()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_announce_never_stores_what_it_embeds_from_a_third_server() -> anyhow::Result<()> {
    let target = TestInstance::spawn().await?;
    let peer = TestInstance::spawn().await?;
    let hub = signer(&peer, "hub").await?;
    // The object claims a third server (which does not answer): its
    // embedded copy is not believed, and fetching it from there fails.
    let claimed = "http://localhost:1/objects/forged";
    let announce = json!({
        "id": format!("{}/activities/announce-forged", peer.base_url), "type": "Announce", "actor": hub.actor_id,
        "object": { "id": claimed, "type": "Note", "attributedTo": "http://localhost:1/actors/x", "content": "faux" },
    });
    assert_eq!(send(&target, &hub, &announce).await?.0, 202);
    let db = target.database().await?;
    let (state, error) = maillage_tests::processed(&db, announce["id"].as_str().unwrap()).await?;
    assert!(db.remote_object(claimed).await?.is_none(), "the forged copy is not stored ({state}, {error:?})");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_sending_too_much_is_told_to_wait() -> anyhow::Result<()> {
    let target = TestInstance::spawn_with(Box::new(|c: &mut maillage_config::Config| {
        c.limits.inbox_per_5_minutes_per_server = 2;
    }))
    .await?;
    let peer = TestInstance::spawn().await?;
    let hub = signer(&peer, "hub").await?;
    let target_hub = target.actor_id("hub");
    for n in 1..=2 {
        assert_eq!(send(&target, &hub, &follow_of(&hub, &target_hub, n)).await?.0, 202);
    }
    let url = url::Url::parse(&target.url("/inbox"))?;
    let body = follow_of(&hub, &target_hub, 3).to_string();
    let mut headers = signature::sign(
        &http::Method::POST,
        &url,
        Some(body.as_bytes()),
        &hub.key_id,
        &hub.private_key_pem,
        SystemTime::now(),
    )?;
    headers.insert("content-type", "application/activity+json".parse()?);
    let response = target.http.post(url).headers(headers).body(body).send().await?;
    assert_eq!(response.status(), 429);
    assert!(response.headers().contains_key("retry-after"));
    assert_eq!(target.database().await?.count_received().await?, 2, "the third is not stored");
    Ok(())
}

/// A link another server chooses reaches clients only when it is http(s):
/// a `javascript:` url of an Article is not what the API shows or links.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_links_of_remote_objects_never_reach_clients() -> anyhow::Result<()> {
    let target = TestInstance::spawn().await?;
    let peer = TestInstance::spawn().await?;
    let hub = signer(&peer, "hub").await?;
    let article_id = format!("{}/objects/hostile-article", peer.base_url);
    let create = json!({
        "id": format!("{}/activities/create-article", peer.base_url),
        "type": "Create",
        "actor": hub.actor_id,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "object": {
            "id": article_id,
            "type": "Article",
            "attributedTo": hub.actor_id,
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "name": "Un guide",
            "summary": "Résumé",
            "content": "<p>Texte</p>",
            "url": "javascript:alert(document.cookie)",
        },
    });
    assert_eq!(deliver(&target, &hub, &create).await?, "done");
    let q: String = url::form_urlencoded::byte_serialize(article_id.as_bytes()).collect();
    let found: Value = target.get(&format!("/api/v2/search?q={q}")).await?.json().await?;
    let status = &found["statuses"][0];
    assert_eq!(status["uri"], article_id.as_str(), "{found}");
    let shown = status.to_string().to_ascii_lowercase();
    assert!(!shown.contains("javascript:"), "a javascript: link reached the client: {shown}");
    assert_eq!(status["url"], article_id.as_str(), "the object's own id stands in for a bad url");
    assert!(status["content"].as_str().unwrap().contains(&format!("href=\"{article_id}\"")), "{status}");
    let page = target.get("/").await?.text().await?.to_ascii_lowercase();
    assert!(!page.contains("javascript:"));
    Ok(())
}

/// Publishes an update of `enterprise` written by `marie`; its URL.
async fn post_note(instance: &TestInstance, enterprise: &str, text: &str) -> anyhow::Result<String> {
    let printed = instance
        .cli(&["admin", "post", "note", "--enterprise", enterprise, "--author", "marie", "--text", text])
        .await?;
    Ok(printed.trim().trim_start_matches("published ").to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posts_of_suspended_actors_and_blocked_servers_are_refused_however_they_come() -> anyhow::Result<()> {
    let target = TestInstance::spawn().await?;
    let peer = TestInstance::spawn().await?;
    let blocked = TestInstance::spawn().await?;
    for instance in [&peer, &blocked] {
        instance.cli(&["admin", "enterprise", "create", "coop", "--name", "Coop"]).await?;
        instance.cli_with_input(&["admin", "user", "create", "marie"], "un mot de passe sûr\n").await?;
        instance.cli(&["admin", "enterprise", "add-editor", "coop", "marie"]).await?;
    }
    let (coop, hub) = (signer(&peer, "coop").await?, signer(&peer, "hub").await?);
    // The target knows the cooperative (it follows the target's hub), then suspends it.
    assert_eq!(send(&target, &coop, &follow_of(&coop, &target.actor_id("hub"), 1)).await?.0, 202);
    target.cli(&["admin", "moderation", "suspend", &coop.actor_id]).await?;
    target.cli(&["admin", "domain", "block", &blocked.domain]).await?;
    tokio::time::sleep(maillage_federation::policy::REFRESH).await;
    let db = target.database().await?;

    // Another actor (not suspended) reshares the suspended actor's post, and
    // a post of the blocked server.
    let suspended_post = post_note(&peer, "coop", "Du suspendu").await?;
    let blocked_post = post_note(&blocked, "coop", "Du bloqué").await?;
    peer.cli(&["admin", "enterprise", "create", "autre", "--name", "Autre"]).await?;
    peer.cli(&["admin", "enterprise", "add-editor", "autre", "marie"]).await?;
    let fine_post = post_note(&peer, "autre", "Du permis").await?;
    for (n, object) in [&suspended_post, &blocked_post, &fine_post].into_iter().enumerate() {
        let announce = json!({
            "id": format!("{}/activities/announce-{n}", peer.base_url), "type": "Announce", "actor": hub.actor_id,
            "object": object, "to": ["https://www.w3.org/ns/activitystreams#Public"],
        });
        assert_eq!(send(&target, &hub, &announce).await?.0, 202);
    }
    maillage_tests::eventually(15, "the reshares are processed", || async {
        let mut all = true;
        for n in 0..3 {
            let id = format!("{}/activities/announce-{n}", peer.base_url);
            all &= db.received_state(&id).await?.is_some_and(|(state, _)| state != "pending");
        }
        Ok(all)
    })
    .await?;
    assert!(db.remote_object(&fine_post).await?.is_some(), "a post of an actor in good standing is stored");
    assert!(db.remote_object(&suspended_post).await?.is_none(), "the suspended actor's post is not stored");
    assert!(db.remote_object(&blocked_post).await?.is_none(), "the blocked server's post is not stored");
    let (state, reason) = db.received_state(&format!("{}/activities/announce-0", peer.base_url)).await?.unwrap();
    assert_eq!(state, "failed", "refused for good, not retried");
    assert!(reason.unwrap_or_default().contains("suspended"));

    // Fetched by URL (a search, a reshare by our hub): refused as well.
    let another = post_note(&peer, "coop", "Encore du suspendu").await?;
    let error = target.cli(&["admin", "hub", "reshare", &another]).await.expect_err("refused");
    assert!(error.to_string().contains("suspended"), "{error}");
    assert!(db.remote_object(&another).await?.is_none());
    let error = target.cli(&["admin", "follow", "--as", "hub", &coop.actor_id]).await.expect_err("refused");
    assert!(error.to_string().contains("suspended"), "{error}");
    Ok(())
}

/// An origin that never finishes an answer: for `/silent/...` it reads the
/// request and says nothing; for anything else it sends the headers of a
/// big JSON document, then one byte every 300 ms. Counts connections.
async fn stalling_origin() -> anyhow::Result<(String, std::sync::Arc<std::sync::atomic::AtomicUsize>)> {
    use std::sync::atomic::Ordering;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let origin = format!("http://localhost:{}", listener.local_addr()?.port());
    let connections = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = connections.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut request = [0u8; 4096];
                let Ok(n) = socket.read(&mut request).await else { return };
                if String::from_utf8_lossy(&request[..n]).contains(" /silent/") {
                    tokio::time::sleep(Duration::from_secs(120)).await;
                    return;
                }
                let head =
                    "HTTP/1.1 200 OK\r\ncontent-type: application/activity+json\r\ncontent-length: 100000\r\n\r\n{";
                if socket.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                loop {
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    if socket.write_all(b" ").await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    Ok((origin, connections))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalling_origin_holds_back_no_other_actor_and_its_activity_is_retried() -> anyhow::Result<()> {
    use maillage_tests::stub::{StubKeys, StubPeer};
    use std::sync::atomic::Ordering;
    let (origin, connections) = stalling_origin().await?;
    let target = TestInstance::spawn_with(Box::new(|c: &mut maillage_config::Config| {
        c.inbox.processing_timeout_seconds = 2;
    }))
    .await?;
    let keys = StubKeys::generate()?;
    let peer = StubPeer::spawn(&keys, std::sync::Arc::default()).await?;
    // More stalling actors than the worker processes fetching activities of at once.
    const STALLING: usize = 20;
    let mut names: Vec<String> = (0..STALLING).map(|n| format!("s{n}")).collect();
    names.push("good".into());
    names.push("inline".into());
    for name in &names {
        assert_eq!(peer.follow(name, &target.actor_id("hub"), &target.url("/inbox")).await?, 202, "{name} is known");
    }
    let db = target.database().await?;
    let announce_of = |name: &str, n: usize| {
        let path = if n.is_multiple_of(2) { "objects" } else { "silent" };
        json!({
            "id": format!("{}/activities/announce-{name}", peer.base_url), "type": "Announce",
            "actor": peer.actor_id(name), "object": format!("{origin}/{path}/{n}"),
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
        })
    };

    // Processed as the request is answered: the answer comes, and the
    // processing gives up waiting after the deadline, to be retried.
    let inline = announce_of("inline", 100);
    let sent = tokio::time::Instant::now();
    assert_eq!(peer.send("inline", &target.url("/inbox"), &inline).await?, 202);
    let inline_id = inline["id"].as_str().unwrap().to_string();
    maillage_tests::eventually(6, "the inline processing gives up and puts it back", || async {
        Ok(db.received_state(&inline_id).await?.is_some_and(|(state, error)| {
            state == "pending" && error.is_some_and(|e| e.contains("processing_timeout_seconds"))
        }))
    })
    .await?;
    assert!(sent.elapsed() < Duration::from_secs(8));

    // Left to the inbox worker: twenty actors' reshares of posts on the stalling origin...
    let before = connections.load(Ordering::SeqCst);
    for (n, name) in names.iter().take(STALLING).enumerate() {
        let announce = announce_of(name, n);
        db.store_received(announce["id"].as_str().unwrap(), &peer.actor_id(name), "Announce", &announce.to_string(), 0)
            .await?
            .expect("stored");
    }
    maillage_tests::eventually(10, "the worker is busy fetching from the origin", || async {
        Ok(connections.load(Ordering::SeqCst) >= before + 16)
    })
    .await?;
    // ... then another actor posts: processed at once, whatever the origin does.
    let create = json!({
        "id": format!("{}/activities/create-good", peer.base_url), "type": "Create", "actor": peer.actor_id("good"),
        "object": {
            "id": format!("{}/notes/good", peer.base_url), "type": "Note", "attributedTo": peer.actor_id("good"),
            "content": "<p>vite</p>", "to": ["https://www.w3.org/ns/activitystreams#Public"],
        },
    });
    db.store_received(create["id"].as_str().unwrap(), &peer.actor_id("good"), "Create", &create.to_string(), 0)
        .await?
        .expect("stored");
    let note = format!("{}/notes/good", peer.base_url);
    maillage_tests::eventually(5, "the other actor's post is processed", || async {
        Ok(db.remote_object(&note).await?.is_some())
    })
    .await?;
    // Every stalled reshare goes back to the queue, to be retried later
    // (after the deadline, or at once when every fetching slot was busy).
    maillage_tests::eventually(10, "the stalled reshares wait for a retry", || async {
        let mut all = true;
        for name in names.iter().take(STALLING) {
            let id = format!("{}/activities/announce-{name}", peer.base_url);
            all &= db.received_state(&id).await?.is_some_and(|(state, error)| state == "pending" && error.is_some());
        }
        Ok(all)
    })
    .await?;
    let (state, error) = db.received_state(&format!("{}/activities/announce-s0", peer.base_url)).await?.unwrap();
    assert_eq!(state, "pending", "not failed for good");
    assert!(error.unwrap_or_default().contains("processing_timeout_seconds"));
    assert_eq!(db.received_counts().await?.failed, 0);
    Ok(())
}

/// Only its author changes a post we hold: another actor of the same
/// server can neither rewrite nor delete it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_actor_of_the_same_server_cannot_rewrite_or_delete_a_post() -> anyhow::Result<()> {
    let target = TestInstance::spawn().await?;
    let peer = TestInstance::spawn().await?;
    peer.cli(&["admin", "enterprise", "create", "coop", "--name", "Coop"]).await?;
    let (hub, coop) = (signer(&peer, "hub").await?, signer(&peer, "coop").await?);
    let db = target.database().await?;
    let note_id = format!("{}/objects/by-coop", peer.base_url);
    let public = ["https://www.w3.org/ns/activitystreams#Public"];
    let create = json!({
        "id": format!("{}/activities/create-by-coop", peer.base_url), "type": "Create", "actor": coop.actor_id,
        "object": { "id": note_id, "type": "Note", "attributedTo": coop.actor_id, "to": public, "content": "<p>original</p>" },
    });
    assert_eq!(deliver(&target, &coop, &create).await?, "done");
    let original = db.remote_object(&note_id).await?.expect("stored");
    // The hub of the same server claims it, or leaves the author out.
    for (n, author) in [Some(hub.actor_id.as_str()), None].into_iter().enumerate() {
        let mut object = json!({ "id": note_id, "type": "Note", "to": public, "content": "<p>rewritten</p>",
            "updated": "2030-01-01T00:00:00Z" });
        if let Some(author) = author {
            object["attributedTo"] = json!(author);
        }
        let update = json!({ "id": format!("{}/activities/update-{n}", peer.base_url), "type": "Update",
            "actor": hub.actor_id, "object": object });
        assert_eq!(send(&target, &hub, &update).await?.0, 202);
    }
    let delete = json!({ "id": format!("{}/activities/delete-not-mine", peer.base_url), "type": "Delete",
        "actor": hub.actor_id, "object": note_id });
    assert_eq!(send(&target, &hub, &delete).await?.0, 202);
    maillage_tests::eventually(10, "the three activities are processed", || async {
        let mut all = true;
        for id in ["update-0", "update-1", "delete-not-mine"] {
            let id = format!("{}/activities/{id}", peer.base_url);
            all &= db.received_state(&id).await?.is_some_and(|(state, _)| state != "pending");
        }
        Ok(all)
    })
    .await?;
    let kept = db.remote_object(&note_id).await?.expect("still there");
    assert!(!kept.deleted, "deleted by another actor");
    assert_eq!(kept.content_html, original.content_html, "rewritten by another actor");
    assert_eq!(kept.attributed_to, original.attributed_to);
    // Its author still may.
    let delete = json!({ "id": format!("{}/activities/delete-mine", peer.base_url), "type": "Delete",
        "actor": coop.actor_id, "object": note_id });
    assert_eq!(send(&target, &coop, &delete).await?.0, 202);
    maillage_tests::eventually(10, "the author's delete is processed", || async {
        Ok(db.remote_object(&note_id).await?.is_some_and(|o| o.deleted))
    })
    .await?;
    Ok(())
}
