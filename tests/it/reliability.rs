//! Nothing lost, nobody let in: domain blocks and allow-list mode,
//! authorized fetch, a dead server and the circuit breaker, a sender killed
//! with SIGKILL in the middle of a fan-out, and two processes sharing one
//! PostgreSQL database.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use maillage_config::Config;
use maillage_db::testing::TestDatabase;
use maillage_db::{Direction, FollowState};
use maillage_tests::process::ProcessInstance;
use maillage_tests::stub::{StubKeys, StubPeer, StubStats};
use maillage_tests::{DatabaseKind, TestInstance, eventually};
use serde_json::json;

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

async fn follower_count(instance: &TestInstance, handle: &str) -> anyhow::Result<usize> {
    Ok(instance.collection_items(&format!("{}/followers", instance.actor_id(handle))).await?.len())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocked_server_gets_nothing_and_gives_nothing() -> anyhow::Result<()> {
    let a = TestInstance::spawn().await?;
    let b = TestInstance::spawn().await?;
    b.cli(&["admin", "follow", "--as", "hub", &format!("@hub@{}", a.domain)]).await?;
    eventually(15, "B's hub follows A's hub", || async { Ok(follower_count(&a, "hub").await? == 1) }).await?;

    let printed = a.cli(&["admin", "domain", "block", &b.domain, "--comment", "spam, lots"]).await?;
    assert!(printed.contains(&format!("blocked {}: 1 follow(s) severed", b.domain)), "{printed}");
    assert_eq!(follower_count(&a, "hub").await?, 0);
    let list = a.cli(&["admin", "domain", "list"]).await?;
    assert_eq!(list.trim(), format!("block\t{}\tspam, lots", b.domain));

    // B follows again: A's inbox refuses it (403, a permanent refusal for B).
    // Running servers see a block made from the command line within REFRESH.
    tokio::time::sleep(maillage_federation::policy::REFRESH).await;
    // Counted before the Undo is enqueued: B may deliver it (and have it
    // refused) before the command line returns.
    let db_b = b.database().await?;
    let failed_before = db_b.delivery_counts().await?.failed;
    b.cli(&["admin", "unfollow", "--as", "hub", &format!("@hub@{}", a.domain)]).await?;
    b.cli(&["admin", "follow", "--as", "hub", &a.actor_id("hub")]).await?;
    eventually(15, "B's new Follow is refused by A", || async {
        Ok(db_b.delivery_counts().await?.failed >= failed_before + 2)
    })
    .await?;
    assert_eq!(follower_count(&a, "hub").await?, 0);
    // A fetches nothing from B either.
    let error = a.cli(&["admin", "follow", "--as", "hub", &format!("@hub@{}", b.domain)]).await.expect_err("blocked");
    assert!(error.to_string().contains("blocked"), "{error}");

    // Export in Mastodon's format, remove, import back.
    let exported = a.cli(&["admin", "domain", "export"]).await?;
    assert!(exported.starts_with("#domain,#severity,"), "{exported}");
    assert!(exported.contains(&format!("{},suspend,false,false,\"spam, lots\",false", b.domain)), "{exported}");
    a.cli(&["admin", "domain", "remove", &b.domain]).await?;
    assert!(a.cli(&["admin", "domain", "list"]).await?.trim().is_empty());
    let printed = a.cli_with_input(&["admin", "domain", "import", "-"], &exported).await?;
    assert!(printed.contains("blocked 1 server(s), skipped 0"), "{printed}");
    // Bad input: a clear error, nothing written.
    let error = a.cli(&["admin", "domain", "block", "not a domain"]).await.expect_err("refused");
    assert!(error.to_string().contains("is not a domain"), "{error}");
    Ok(())
}

/// POSTs a Follow from `actor` (an actor id on another server) to the
/// target's inbox, signed with `keys` (the signature is never reached when
/// the server is blocked); returns the status and the reason.
async fn follow_from(target: &TestInstance, actor: &str, keys: &StubKeys) -> anyhow::Result<(u16, String)> {
    let follow = serde_json::json!({
        "id": format!("{actor}/follows/1"), "type": "Follow", "actor": actor, "object": target.actor_id("hub"),
    });
    let body = follow.to_string();
    let url = url::Url::parse(&target.url("/inbox"))?;
    let mut headers = maillage_federation::signature::sign(
        &http::Method::POST,
        &url,
        Some(body.as_bytes()),
        // A header is ASCII: the key's URL in its ASCII form.
        &format!("{}#main-key", url::Url::parse(actor)?),
        &keys.private_pem,
        std::time::SystemTime::now(),
    )?;
    headers.insert("content-type", "application/activity+json".parse()?);
    let response = target.http.post(url).headers(headers).body(body).send().await?;
    let status = response.status().as_u16();
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    Ok((status, body["error"].as_str().unwrap_or_default().to_string()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_domain_rule_holds_whether_written_in_unicode_or_punycode() -> anyhow::Result<()> {
    let target = TestInstance::spawn().await?;
    let keys = StubKeys::generate()?;
    let db = target.database().await?;
    // Known before the block: an actor of a subdomain, which our hub follows.
    let actor = db
        .upsert_remote_actor(&maillage_db::NewRemoteActor {
            ap_id: "https://social.xn--exmple-cua.org/users/ana".into(),
            actor_type: "Person".into(),
            username: "ana".into(),
            domain: "social.xn--exmple-cua.org".into(),
            display_name: None,
            summary: None,
            url: None,
            icon_url: None,
            inbox_url: "https://social.xn--exmple-cua.org/users/ana/inbox".into(),
            shared_inbox_url: None,
            outbox_url: None,
            followers_url: None,
            public_key_id: "https://social.xn--exmple-cua.org/users/ana#main-key".into(),
            public_key_pem: keys.public_pem.clone(),
            manually_approves_followers: false,
            raw_json: "{}".into(),
            profile_json: None,
        })
        .await?;
    let hub = db.local_actor_by_username("hub").await?.expect("hub");
    let record = maillage_db::FollowRecord {
        local_actor_id: hub.id,
        remote_actor_id: actor.id,
        direction: Direction::Outgoing,
        state: FollowState::Accepted,
        follow_ap_id: "https://social.xn--exmple-cua.org/follows/1",
        follow_json: "{}",
    };
    db.save_follow(&record, None).await?;

    // Written in Unicode: stored and listed in the ASCII form URLs carry.
    let printed = target.cli(&["admin", "domain", "block", "Exämple.org"]).await?;
    assert!(printed.contains("blocked xn--exmple-cua.org: 1 follow(s) severed"), "{printed}");
    assert_eq!(target.cli(&["admin", "domain", "list"]).await?.trim(), "block\txn--exmple-cua.org");
    // Written in punycode.
    target.cli(&["admin", "domain", "block", "xn--mnchen-3ya.de"]).await?;
    // A rule an older version stored as written, in Unicode.
    db.set_domain_policy("bücher.example", maillage_db::DomainPolicy::Block, None).await?;
    tokio::time::sleep(maillage_federation::policy::REFRESH).await;

    for actor in [
        "https://xn--exmple-cua.org/users/spam",
        "https://exämple.org/users/spam",
        "https://a.exämple.org/users/spam",
        "https://münchen.de/users/spam",
        "https://xn--mnchen-3ya.de/users/spam",
        "https://xn--bcher-kva.example/users/spam",
    ] {
        let (status, reason) = follow_from(&target, actor, &keys).await?;
        assert_eq!(status, 403, "{actor}: {reason}");
        assert!(reason.contains("blocked"), "{actor}: {reason}");
    }
    // Another server is not caught by the rules (it is merely unreachable).
    let (status, reason) = follow_from(&target, "https://example.org/users/ana", &keys).await?;
    assert_ne!(status, 403, "{reason}");
    // Removing works with either spelling.
    target.cli(&["admin", "domain", "remove", "münchen.de"]).await?;
    target.cli(&["admin", "domain", "remove", "xn--bcher-kva.example"]).await?;
    assert_eq!(target.cli(&["admin", "domain", "list"]).await?.trim(), "block\txn--exmple-cua.org");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allow_list_mode_federates_only_with_listed_servers() -> anyhow::Result<()> {
    let a = TestInstance::spawn_with(Box::new(|c: &mut Config| {
        c.federation.mode = maillage_config::FederationMode::Allowlist
    }))
    .await?;
    let b = TestInstance::spawn().await?;
    let db_b = b.database().await?;
    b.cli(&["admin", "follow", "--as", "hub", &a.actor_id("hub")]).await?;
    eventually(15, "A refuses B, not on its list", || async { Ok(db_b.delivery_counts().await?.failed == 1) }).await?;
    assert_eq!(follower_count(&a, "hub").await?, 0);

    a.cli(&["admin", "domain", "allow", &b.domain]).await?;
    // After the policy copy's refresh, B's retried Follow goes through.
    tokio::time::sleep(maillage_federation::policy::REFRESH).await;
    b.cli(&["admin", "delivery", "retry", &a.domain]).await?;
    eventually(15, "B's Follow is accepted once B is allowed", || async { Ok(follower_count(&a, "hub").await? == 1) })
        .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorized_fetch_serves_documents_to_signed_requests_only() -> anyhow::Result<()> {
    let a = TestInstance::spawn_with(Box::new(|c: &mut Config| c.federation.authorized_fetch = true)).await?;
    let b = TestInstance::spawn().await?;
    let hub = a.actor_id("hub");
    let response = a.get_activity(&hub).await?;
    assert_eq!(response.status(), 401);
    let body: serde_json::Value = response.json().await?;
    assert!(body["error"].as_str().unwrap_or_default().contains("signed"), "{body}");
    for open in [a.url("/actor"), a.url(&format!("/.well-known/webfinger?resource=acct:hub@{}", a.domain))] {
        assert_eq!(a.get_activity(&open).await?.status(), 200, "{open}");
    }
    // The web page stays public.
    assert_eq!(a.http.get(&hub).header("accept", "text/html").send().await?.status(), 200);
    // Another server fetches with signatures (by its instance actor): it follows.
    b.cli(&["admin", "follow", "--as", "hub", &format!("@hub@{}", a.domain)]).await?;
    let db_a = a.database().await?;
    let hub_a = db_a.local_actor_by_username("hub").await?.expect("hub");
    eventually(15, "A has B's hub as follower", || async {
        Ok(db_a.count_follows(hub_a.id, Direction::Incoming, FollowState::Accepted).await? == 1)
    })
    .await?;
    // A GET signed by B's instance actor is served, until B is blocked.
    assert_eq!(b.signed_get("actor", &hub, "application/activity+json").await?, 200);
    a.cli(&["admin", "domain", "block", &b.domain]).await?;
    tokio::time::sleep(maillage_federation::policy::REFRESH).await;
    assert_eq!(b.signed_get("actor", &hub, "application/activity+json").await?, 403);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorized_fetch_covers_every_json_answer_and_refuses_suspended_actors() -> anyhow::Result<()> {
    let a = TestInstance::spawn_with(Box::new(|c: &mut Config| c.federation.authorized_fetch = true)).await?;
    let b = TestInstance::spawn().await?;
    a.cli(&["admin", "enterprise", "create", "coop", "--name", "Coop"]).await?;
    a.cli_with_input(&["admin", "user", "create", "marie"], "un mot de passe sûr\n").await?;
    a.cli(&["admin", "enterprise", "add-editor", "coop", "marie"]).await?;
    let printed =
        a.cli(&["admin", "post", "note", "--enterprise", "coop", "--author", "marie", "--text", "Bonjour"]).await?;
    let note = printed.trim().trim_start_matches("published ").to_string();
    let db_a = a.database().await?;
    let coop = db_a.local_actor_by_username("coop").await?.expect("coop");
    let create = db_a.outbox_page(coop.id, None, 1).await?.pop().expect("the Create is in the outbox");
    let create_id = serde_json::from_str::<serde_json::Value>(&create.json)?["id"].as_str().unwrap().to_string();
    let coop_id = a.actor_id("coop");
    let documents = [
        format!("{coop_id}/outbox"),
        format!("{coop_id}/outbox?page=true"),
        format!("{coop_id}/followers"),
        format!("{coop_id}/featured"),
        format!("{}/members", a.actor_id("hub")),
        create_id.clone(),
    ];
    for url in &documents {
        for accept in [None, Some("application/json"), Some("*/*"), Some("text/html")] {
            let mut request = a.http.get(url);
            if let Some(accept) = accept {
                request = request.header("accept", accept);
            }
            let response = request.send().await?;
            assert_eq!(response.status(), 401, "{url} with Accept {accept:?} and no signature");
            let body: serde_json::Value = response.json().await?;
            assert!(body["error"].as_str().unwrap_or_default().contains("signed"), "{url}: {body}");
        }
        assert_eq!(b.signed_get("actor", url, "application/json").await?, 200, "{url}, signed");
    }
    // Browsers still reach the pages of actors and posts.
    for page in [&coop_id, &note] {
        for accept in [None, Some("text/html")] {
            let mut request = a.http.get(page.as_str());
            if let Some(accept) = accept {
                request = request.header("accept", accept);
            }
            let response = request.send().await?;
            assert_eq!(response.status(), 200, "{page} with Accept {accept:?}");
            assert!(response.headers()["content-type"].to_str()?.starts_with("text/html"), "{page}");
        }
    }

    // A suspended actor's signed GETs are refused; another actor of its server is served.
    let suspended = b.actor_id("actor");
    a.cli(&["admin", "moderation", "suspend", &suspended]).await?;
    // Running servers reread a remote actor from the database within a second.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let outbox = format!("{coop_id}/outbox");
    assert_eq!(b.signed_get("actor", &outbox, "application/activity+json").await?, 403);
    assert_eq!(b.signed_get("hub", &outbox, "application/activity+json").await?, 200);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_server_is_parked_then_resumed_when_it_answers() -> anyhow::Result<()> {
    let keys = StubKeys::generate()?;
    let mut peer = StubPeer::spawn(&keys, Arc::default()).await?;
    peer.answer_with(500);
    let sender = TestInstance::spawn_with(Box::new(|c: &mut Config| {
        c.delivery.retry_initial_seconds = 1;
        c.delivery.retry_max_seconds = 1;
        c.delivery.unreachable_after_seconds = 2;
        c.delivery.probe_interval_seconds = 3;
        c.delivery.per_domain_concurrency = 1;
    }))
    .await?;
    // Three deliveries to the peer: Follows of three of its actors.
    for name in ["a", "b", "c"] {
        sender.cli(&["admin", "follow", "--as", "hub", &peer.actor_id(name)]).await?;
    }
    eventually(20, "the breaker opens", || async {
        Ok(sender.cli(&["admin", "delivery", "status"]).await?.contains("unreachable since"))
    })
    .await?;
    // Parked: a probe per interval at most, where retries every second of
    // three deliveries would make about twelve requests in four seconds.
    let before = peer.requests();
    tokio::time::sleep(Duration::from_secs(4)).await;
    let during = peer.requests() - before;
    assert!(during <= 3, "{during} requests to a parked server in 4 s");
    let db = sender.database().await?;
    assert_eq!(db.delivery_counts().await?.pending, 3, "parked, not dropped");

    // The server goes away entirely, then comes back healthy.
    peer.stop();
    tokio::time::sleep(Duration::from_secs(1)).await;
    peer.answer_with(202);
    peer.start().await?;
    eventually(20, "every parked delivery is made once the server answers", || async {
        Ok(db.delivery_counts().await?.done == 3)
    })
    .await?;
    let follows = peer.received().iter().filter(|a| a["type"] == "Follow").count();
    assert_eq!(follows, 3);
    let status = sender.cli(&["admin", "delivery", "status"]).await?;
    assert!(!status.contains("unreachable") && !status.contains("failing"), "{status}");
    Ok(())
}

/// An enterprise with followers on 20 servers and one Maillage instance
/// publishes; its process is killed with SIGKILL in the middle of the
/// fan-out and started again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fan_out_survives_sigkill_of_the_sender() -> anyhow::Result<()> {
    let database = TestDatabase::create().await.map_err(anyhow::Error::msg)?;
    let port = free_port()?;
    let mut sender = ProcessInstance::spawn(
        database.url(),
        port,
        port,
        &[("MAILLAGE__DELIVERY__CONCURRENCY", "4"), ("MAILLAGE__DELIVERY__LEASE_SECONDS", "2")],
    )
    .await?;
    sender.cli(&["admin", "enterprise", "create", "coop", "--name", "Coop"]).await?;
    sender.cli_with_input(&["admin", "user", "create", "marie"], "un mot de passe sûr\n").await?;
    sender.cli(&["admin", "enterprise", "add-editor", "coop", "marie"]).await?;
    let coop = sender.actor_id("coop");
    let inbox = format!("{}/inbox", sender.base_url);

    let keys = StubKeys::generate()?;
    let stats = Arc::new(StubStats::default());
    let mut stubs = Vec::new();
    for _ in 0..20 {
        let stub = StubPeer::spawn(&keys, stats.clone()).await?;
        assert_eq!(stub.follow("fan", &coop, &inbox).await?, 202);
        stubs.push(stub);
    }
    let receiver = TestInstance::spawn().await?;
    receiver.cli(&["admin", "follow", "--as", "hub", &coop]).await?;
    let db = maillage_db::Database::connect(&sender.config.database).await?;
    eventually(30, "21 followers, every Accept delivered", || async {
        let counts = db.delivery_counts().await?;
        Ok(counts.done == 21 && counts.pending == 0)
    })
    .await?;

    for stub in &stubs {
        stub.delay(Duration::from_millis(300));
    }
    let printed = sender
        .cli(&["admin", "post", "note", "--enterprise", "coop", "--author", "marie", "--text", "Assemblée jeudi"])
        .await?;
    let note = printed.trim().trim_start_matches("published ").to_string();
    let create_id = maillage_db::Database::connect(&sender.config.database)
        .await?
        .outbox_page(db.local_actor_by_username("coop").await?.expect("coop").id, None, 1)
        .await?
        .first()
        .and_then(|item| serde_json::from_str::<serde_json::Value>(&item.json).ok())
        .and_then(|activity| activity["id"].as_str().map(str::to_string))
        .expect("the Create is in the outbox");
    eventually(20, "the fan-out has begun", || async {
        Ok(stubs.iter().filter(|s| s.count_of(&create_id) > 0).count() >= 2)
    })
    .await?;
    sender.kill().await?;
    let pending = db.delivery_counts().await?.pending;
    assert!(pending > 0, "killed mid fan-out (pending deliveries left: {pending})");

    sender.restart().await?;
    eventually(60, "every inbox has the activity", || async {
        let stubs_done = stubs.iter().all(|s| s.count_of(&create_id) >= 1);
        let stored = receiver.database().await?.remote_object(&note).await?.is_some();
        Ok(stubs_done && stored)
    })
    .await?;
    // At most the deliveries in flight at the kill are repeated, and the
    // Maillage receiver recognised the repeat by its id.
    let repeats: usize = stubs.iter().map(|s| s.count_of(&create_id).saturating_sub(1)).sum();
    assert!(repeats <= 4, "{repeats} repeated deliveries; at most the 4 in flight may be");
    assert_eq!(receiver.database().await?.received_state(&create_id).await?.map(|s| s.0).as_deref(), Some("done"));
    // The sender records each outcome just after the receiver's answer:
    // the last ones may still be on their way.
    eventually(10, "every delivery recorded done", || async {
        let counts = db.delivery_counts().await?;
        anyhow::ensure!(counts.failed == 0, "{} deliveries failed", counts.failed);
        Ok(counts.pending == 0)
    })
    .await?;
    sender.kill().await?;
    assert!(stats.max_in_flight.load(Ordering::SeqCst) >= 1);
    Ok(())
}

/// Two `maillage serve` processes of one instance share a PostgreSQL
/// database: both deliver, no delivery is made twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_share_the_deliveries_of_one_database() -> anyhow::Result<()> {
    let database = TestDatabase::create().await.map_err(anyhow::Error::msg)?;
    if database.kind() != DatabaseKind::Postgres {
        eprintln!("SKIPPED on SQLite: several processes need PostgreSQL (scripts/test runs it there)");
        return Ok(());
    }
    let (port_one, port_two) = (free_port()?, free_port()?);
    let one_at_a_time = [("MAILLAGE__DELIVERY__CONCURRENCY", "1")];
    let mut first = ProcessInstance::spawn(database.url(), port_one, port_one, &one_at_a_time).await?;
    let mut second = ProcessInstance::spawn(database.url(), port_two, port_one, &one_at_a_time).await?;
    first.cli(&["admin", "enterprise", "create", "coop", "--name", "Coop"]).await?;
    first.cli_with_input(&["admin", "user", "create", "marie"], "un mot de passe sûr\n").await?;
    first.cli(&["admin", "enterprise", "add-editor", "coop", "marie"]).await?;
    let coop = first.actor_id("coop");

    let keys = StubKeys::generate()?;
    let stats = Arc::new(StubStats::default());
    let mut stubs = Vec::new();
    for n in 0..16 {
        let stub = StubPeer::spawn(&keys, stats.clone()).await?;
        // Half the Follows reach each process.
        let port = if n % 2 == 0 { port_one } else { port_two };
        assert_eq!(stub.follow("fan", &coop, &format!("http://127.0.0.1:{port}/inbox")).await?, 202);
        stubs.push(stub);
    }
    let db = maillage_db::Database::connect(&first.config.database).await?;
    eventually(30, "every Accept delivered", || async { Ok(db.delivery_counts().await?.done == 16) }).await?;
    for stub in &stubs {
        stub.delay(Duration::from_millis(200));
    }
    stats.max_in_flight.store(0, Ordering::SeqCst);
    first.cli(&["admin", "post", "note", "--enterprise", "coop", "--author", "marie", "--text", "Bonjour"]).await?;
    eventually(30, "every follower has the note", || async {
        Ok(stubs.iter().all(|s| s.received().iter().any(|a| a["type"] == "Create")))
    })
    .await?;
    for stub in &stubs {
        let creates = stub.received().iter().filter(|a| a["type"] == "Create").count();
        assert_eq!(creates, 1, "{} got the note {creates} times", stub.domain);
    }
    // Each process sends one delivery at a time: two at once means both worked.
    assert_eq!(stats.max_in_flight.load(Ordering::SeqCst), 2, "both processes delivered");
    first.kill().await?;
    second.kill().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_for_admins_and_count_the_queues() -> anyhow::Result<()> {
    let keys = StubKeys::generate()?;
    // A server that fails for now (deliveries wait for a retry) and one
    // that refuses for good (the delivery fails).
    let down = StubPeer::spawn(&keys, Arc::default()).await?;
    down.answer_with(503);
    let gone = StubPeer::spawn(&keys, Arc::default()).await?;
    gone.answer_with(410);
    let instance = TestInstance::spawn_with(Box::new(|c: &mut Config| {
        c.delivery.retry_initial_seconds = 3600;
        c.delivery.retry_max_seconds = 3600;
    }))
    .await?;
    instance.cli_with_input(&["admin", "user", "create", "sophie", "--admin"], "un mot de passe sûr\n").await?;
    instance.cli_with_input(&["admin", "user", "create", "marie"], "un mot de passe sûr\n").await?;
    let admin = instance.cli(&["admin", "token", "create", "sophie", "--scopes", "admin:read"]).await?;
    let member = instance.cli(&["admin", "token", "create", "marie", "--scopes", "read"]).await?;
    // In the queues: two Follows waiting for a retry, one failed...
    for actor in [down.actor_id("a"), down.actor_id("b"), gone.actor_id("x")] {
        instance.cli(&["admin", "follow", "--as", "hub", &actor]).await?;
    }
    let db = instance.database().await?;
    eventually(15, "each Follow is tried once", || async {
        Ok(down.requests() == 2 && db.delivery_counts().await?.failed == 1)
    })
    .await?;
    // ... and an activity received but not processed (its processing
    // holds a lease for an hour).
    let waiting = json!({"id": format!("{}/activities/1", down.base_url), "type": "Like",
        "actor": down.actor_id("a"), "object": instance.actor_id("hub")});
    db.store_received(
        &format!("{}/activities/1", down.base_url),
        &down.actor_id("a"),
        "Like",
        &waiting.to_string(),
        3600,
    )
    .await?
    .expect("stored");

    assert_eq!(instance.get("/metrics").await?.status(), 401);
    let refused = instance.http.get(instance.url("/metrics")).bearer_auth(member.trim()).send().await?;
    assert_eq!(refused.status(), 403);
    let _ = instance.get("/healthz").await?;
    let response = instance.http.get(instance.url("/metrics")).bearer_auth(admin.trim()).send().await?;
    assert_eq!(response.status(), 200);
    let page = response.text().await?;
    // The queues are this instance's database: exact figures.
    for (sample, expected) in [
        ("maillage_delivery_queue{state=\"pending\"}", 2.0),
        ("maillage_delivery_queue{state=\"failed\"}", 1.0),
        ("maillage_inbox_queue{state=\"pending\"}", 1.0),
        ("maillage_inbox_queue{state=\"failed\"}", 0.0),
        ("maillage_unreachable_servers", 0.0),
    ] {
        assert_eq!(sample_value(&page, sample), Some(expected), "{sample} in\n{page}");
    }
    // The counters are the whole test process's: at least what this test did.
    for (sample, at_least) in [
        ("maillage_deliveries_total{outcome=\"retry\"}", 2.0),
        ("maillage_deliveries_total{outcome=\"failed\"}", 1.0),
        ("maillage_http_request_duration_seconds_count", 3.0),
    ] {
        let value = sample_value(&page, sample).unwrap_or_else(|| panic!("{sample} missing from\n{page}"));
        assert!(value >= at_least, "{sample} is {value}, expected at least {at_least}");
    }
    for expected in ["# TYPE maillage_delivery_queue gauge", "maillage_inbox_requests_total{outcome=\"accepted\"}"] {
        assert!(page.contains(expected), "{expected} missing from\n{page}");
    }
    Ok(())
}

/// The value of the sample named `name` (with its labels) in a Prometheus page.
fn sample_value(page: &str, name: &str) -> Option<f64> {
    page.lines().find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_reach_the_reported_server_and_its_moderators() -> anyhow::Result<()> {
    let a = TestInstance::spawn().await?;
    let b = TestInstance::spawn().await?;
    b.cli(&["admin", "enterprise", "create", "coop", "--name", "Coop"]).await?;
    a.cli(&["admin", "follow", "--as", "hub", &format!("@coop@{}", b.domain)]).await?;
    eventually(15, "A's hub follows B's coop", || async { Ok(follower_count(&b, "coop").await? == 1) }).await?;
    a.cli_with_input(&["admin", "user", "create", "marie"], "un mot de passe sûr\n").await?;
    let marie = a.cli(&["admin", "token", "create", "marie", "--scopes", "read write"]).await?;
    let marie = marie.trim();

    // Marie reports B's coop and forwards the report.
    let lookup: serde_json::Value = a
        .http
        .get(a.url(&format!("/api/v1/accounts/lookup?acct=coop@{}", b.domain)))
        .bearer_auth(marie)
        .send()
        .await?
        .json()
        .await?;
    let account_id = lookup["id"].as_str().expect("an id").to_string();
    let response = a
        .http
        .post(a.url("/api/v1/reports"))
        .bearer_auth(marie)
        .json(&serde_json::json!({ "account_id": account_id, "comment": "Pourriel", "forward": true }))
        .send()
        .await?;
    assert_eq!(response.status(), 200);
    let report: serde_json::Value = response.json().await?;
    assert_eq!((report["comment"].as_str(), report["forwarded"].as_bool()), (Some("Pourriel"), Some(true)));

    // Bad input: clear errors, no report stored.
    let reports = a.url("/api/v1/reports");
    assert_eq!(
        a.http.post(&reports).json(&serde_json::json!({ "account_id": account_id })).send().await?.status(),
        401
    );
    for (body, status) in [
        (serde_json::json!({ "comment": "no account" }), 422),
        (serde_json::json!({ "account_id": "999999999" }), 404),
        (serde_json::json!({ "account_id": account_id, "status_ids": ["nonsense"] }), 404),
    ] {
        let answer = a.http.post(&reports).bearer_auth(marie).json(&body).send().await?;
        assert_eq!(answer.status(), status, "{body}");
        let error: serde_json::Value = answer.json().await?;
        assert!(error["error"].is_string(), "{error}");
    }
    assert_eq!(a.database().await?.reports(true, 10).await?.len(), 1, "only the good report");

    // B stores the Flag, sent by A's instance actor (Marie stays anonymous).
    let db_b = b.database().await?;
    eventually(15, "B has the report", || async { Ok(db_b.reports(false, 10).await?.len() == 1) }).await?;
    let received = db_b.reports(false, 10).await?.remove(0);
    assert_eq!(received.direction, "incoming");
    assert_eq!(received.reporter, a.actor_id("actor"));
    assert_eq!(received.target_actor.as_deref(), Some(b.actor_id("coop").as_str()));
    assert_eq!(received.comment, "Pourriel");

    // B's moderators see it through the admin API; members may not.
    b.cli_with_input(&["admin", "user", "create", "sophie"], "un mot de passe sûr\n").await?;
    let before_role = b.cli(&["admin", "token", "create", "sophie", "--scopes", "admin:read admin:write"]).await?;
    let listed = b.http.get(b.url("/api/v1/admin/reports")).bearer_auth(before_role.trim()).send().await?;
    assert_eq!(listed.status(), 403, "not a moderator yet");
    b.cli(&["admin", "user", "role", "sophie", "moderator"]).await?;
    let listed: serde_json::Value =
        b.http.get(b.url("/api/v1/admin/reports")).bearer_auth(before_role.trim()).send().await?.json().await?;
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
    let id = listed[0]["id"].as_str().expect("id");
    let resolved: serde_json::Value = b
        .http
        .post(b.url(&format!("/api/v1/admin/reports/{id}/resolve")))
        .bearer_auth(before_role.trim())
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(resolved["action_taken"], true);
    assert!(b.cli(&["admin", "report", "list"]).await?.trim().is_empty(), "nothing open");
    assert!(b.cli(&["admin", "report", "list", "--all"]).await?.contains("Pourriel"));

    // B's moderators suspend A's hub: its follow is severed, its activities refused.
    let printed = b.cli(&["admin", "moderation", "suspend", &a.actor_id("hub")]).await?;
    assert!(printed.contains("suspended"), "{printed}");
    assert_eq!(follower_count(&b, "coop").await?, 0);
    let db_a = a.database().await?;
    let failed = db_a.delivery_counts().await?.failed;
    a.cli(&["admin", "unfollow", "--as", "hub", &b.actor_id("coop")]).await?;
    eventually(15, "A's Undo is refused by B", || async { Ok(db_a.delivery_counts().await?.failed > failed) }).await?;
    Ok(())
}
