//! Whom the network directory trusts: enterprises listed by a hub this hub
//! follows, on that hub's server; never an `Organization` some server made
//! us fetch.

use std::sync::Arc;

use maillage_tests::stub::{StubKeys, StubPeer};
use maillage_tests::{TestInstance, eventually, processed};
use serde_json::{Value, json};

/// The names of the network's enterprises in the API, and whether the
/// directory page shows `name`.
async fn listed(instance: &TestInstance, name: &str) -> anyhow::Result<(Vec<String>, bool)> {
    let api: Vec<Value> = instance.get("/api/maillage/v1/enterprises?scope=network").await?.json().await?;
    let names = api.iter().map(|e| e["name"].as_str().unwrap_or_default().to_string()).collect();
    let page = instance.get("/directory?lang=fr").await?.text().await?;
    Ok((names, page.contains(name)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_badly_signed_post_from_an_unknown_server_lists_nothing() -> anyhow::Result<()> {
    let target = TestInstance::spawn().await?;
    let keys = StubKeys::generate()?;
    let stranger = StubPeer::spawn(&keys, Arc::default()).await?;
    // An enterprise document with a valid profile, on a server nobody follows.
    let id = stranger.actor_id("fake");
    stranger.serve_document(
        "/actors/fake",
        json!({
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": id,
            "type": "Organization",
            "preferredUsername": "fake",
            "name": "Fausse coop",
            "inbox": format!("{id}/inbox"),
            "publicKey": { "id": format!("{id}#main-key"), "owner": id, "publicKeyPem": keys.public_pem },
            "enterpriseProfile": { "nameFr": "Fausse coop", "region": "estrie" },
        }),
    );
    let create = json!({
        "id": format!("{}/activities/1", stranger.base_url), "type": "Create", "actor": id,
        "object": { "id": format!("{}/notes/1", stranger.base_url), "type": "Note", "attributedTo": id, "content": "x" },
    });
    // Signed with another key than the one its document publishes.
    let forger = StubKeys::generate()?;
    let status = stranger.send_signed("fake", &target.url("/inbox"), &create, &forger.private_pem).await?;
    assert_eq!(status, 401);
    assert!(stranger.fetches("/actors/fake") >= 1, "the actor was fetched to check the signature");
    let (names, on_page) = listed(&target, "Fausse coop").await?;
    assert!(names.is_empty() && !on_page, "the directory lists nothing from it: {names:?}");

    // The same actor, properly signed: still nobody we follow lists it.
    let status = stranger.send("fake", &target.url("/inbox"), &create).await?;
    assert_eq!(status, 202);
    let (names, on_page) = listed(&target, "Fausse coop").await?;
    assert!(names.is_empty() && !on_page, "{names:?}");
    Ok(())
}

/// Hub A with an enterprise `coop` (with a profile) and its editor `marie`.
async fn hub_with_enterprise() -> anyhow::Result<TestInstance> {
    let a = TestInstance::spawn().await?;
    a.cli(&["admin", "enterprise", "create", "coop", "--name", "Coop Vélo"]).await?;
    a.cli(&["admin", "enterprise", "update", "coop", "--name-fr", "Coop Vélo", "--region", "estrie"]).await?;
    a.cli_with_input(&["admin", "user", "create", "marie"], "un mot de passe sûr\n").await?;
    a.cli(&["admin", "enterprise", "add-editor", "coop", "marie"]).await?;
    Ok(a)
}

async fn note(a: &TestInstance, text: &str) -> anyhow::Result<String> {
    let printed =
        a.cli(&["admin", "post", "note", "--enterprise", "coop", "--author", "marie", "--text", text]).await?;
    Ok(printed.trim().trim_start_matches("published ").to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_enterprises_a_followed_hub_announces_are_listed() -> anyhow::Result<()> {
    let a = hub_with_enterprise().await?;
    let b = TestInstance::spawn().await?;
    let b_db = b.database().await?;
    // A's hub reshares a post of its enterprise to B, which does not follow it.
    let first = note(&a, "Bonjour").await?;
    let a_hub = a.database().await?.local_actor_by_username("hub").await?.expect("hub");
    let announce = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": a.url("/activities/announce-unsolicited"), "type": "Announce", "actor": a_hub.ap_id,
        "object": first, "to": ["https://www.w3.org/ns/activitystreams#Public"],
    });
    let body = announce.to_string();
    let inbox = url::Url::parse(&b.url("/inbox"))?;
    let mut headers = maillage_federation::signature::sign(
        &http::Method::POST,
        &inbox,
        Some(body.as_bytes()),
        &format!("{}#main-key", a_hub.ap_id),
        &a_hub.private_key_pem,
        std::time::SystemTime::now(),
    )?;
    headers.insert("content-type", "application/activity+json".parse()?);
    assert_eq!(b.http.post(inbox).headers(headers).body(body).send().await?.status(), 202);
    eventually(15, "B fetched the post and its author", || async {
        Ok(b_db.remote_object(&first).await?.is_some()
            && b_db.remote_actor_by_ap_id(&a.actor_id("coop")).await?.is_some_and(|c| c.profile_json.is_some()))
    })
    .await?;
    let (names, on_page) = listed(&b, "Coop Vélo").await?;
    assert!(names.is_empty() && !on_page, "announced by a hub B does not follow: not listed ({names:?})");

    // B follows A's hub: what A's hub announces from now on is listed.
    b.cli(&["admin", "follow", "--as", "hub", &format!("@hub@{}", a.domain)]).await?;
    eventually(15, "B follows A", || async {
        Ok(b.collection_items(&format!("{}/following", b.actor_id("hub"))).await? == vec![a.actor_id("hub")])
    })
    .await?;
    note(&a, "Encore").await?;
    eventually(20, "A's enterprise in B's directory (API and page)", || async {
        let (names, on_page) = listed(&b, "Coop Vélo").await?;
        Ok(names == vec!["Coop Vélo"] && on_page)
    })
    .await?;

    // B stops following A's hub: its enterprises leave the directory.
    b.cli(&["admin", "unfollow", "--as", "hub", &format!("@hub@{}", a.domain)]).await?;
    let (names, _) = listed(&b, "Coop Vélo").await?;
    assert!(names.is_empty(), "{names:?}");
    eventually(10, "the page follows within its snapshot's age", || async { Ok(!listed(&b, "Coop Vélo").await?.1) })
        .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hub_publishes_its_enterprises_as_its_members_collection() -> anyhow::Result<()> {
    let a = hub_with_enterprise().await?;
    // More than one page of 40.
    let mut expected = vec![a.actor_id("coop")];
    for n in 0..44 {
        let handle = format!("coop{n}");
        a.cli(&["admin", "enterprise", "create", &handle, "--name", &format!("Coop {n}")]).await?;
        expected.push(a.actor_id(&handle));
    }
    let hub: Value = a.get_activity(&a.actor_id("hub")).await?.json().await?;
    let members_url = format!("{}/members", a.actor_id("hub"));
    assert_eq!(hub["members"], json!(members_url), "{hub}");
    let collection: Value = a.get_activity(&members_url).await?.json().await?;
    assert_eq!(collection["type"], "OrderedCollection");
    assert_eq!(collection["totalItems"], 45);
    let mut listed = a.collection_items(&members_url).await?;
    assert_eq!(listed.len(), 45, "each enterprise once, across the pages: {listed:?}");
    listed.sort();
    expected.sort();
    assert_eq!(listed, expected, "the enterprises only: not the hub, not members, not the instance actor");
    // Only the hub has members; an enterprise or a member has none.
    for other in ["coop", "marie"] {
        let response = a.get_activity(&format!("{}/members", a.actor_id(other))).await?;
        assert_eq!(response.status(), 404, "{other}");
    }
    let coop: Value = a.get_activity(&a.actor_id("coop")).await?.json().await?;
    assert!(coop.get("members").is_none(), "{coop}");
    Ok(())
}

async fn estrie_enterprise(a: &TestInstance, n: usize) -> anyhow::Result<()> {
    let (handle, name) = (format!("coop{n}"), format!("Coop {n}"));
    a.cli(&["admin", "enterprise", "create", &handle, "--name", &name]).await?;
    a.cli(&["admin", "enterprise", "update", &handle, "--name-fr", &name, "--region", "estrie"]).await?;
    Ok(())
}

/// How many of the network's enterprises B's API lists, in all and in `region`.
async fn network_count(b: &TestInstance, region: &str) -> anyhow::Result<(usize, usize)> {
    let all: Vec<Value> = b.get("/api/maillage/v1/enterprises?scope=network").await?.json().await?;
    let path = format!("/api/maillage/v1/enterprises?scope=network&region={region}");
    let in_region: Vec<Value> = b.get(&path).await?.json().await?;
    Ok((all.len(), in_region.len()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_followed_hubs_members_are_listed_without_any_post() -> anyhow::Result<()> {
    let a = TestInstance::spawn().await?;
    for n in 0..30 {
        estrie_enterprise(&a, n).await?;
    }
    let b = TestInstance::spawn().await?;
    let a_hub = format!("@hub@{}", a.domain);
    let refused = b.cli(&["admin", "directory", "sync", &a_hub]).await.expect_err("a hub B does not follow");
    assert!(refused.to_string().contains("not a hub our hub follows"), "{refused}");

    // Once A accepts B's follow, B reads A's members by itself.
    b.cli(&["admin", "follow", "--as", "hub", &a_hub]).await?;
    eventually(30, "A's 30 enterprises listed on B", || async { Ok(network_count(&b, "estrie").await? == (30, 30)) })
        .await?;
    let (names, on_page) = listed(&b, "Coop 17").await?;
    assert_eq!(names.len(), 30, "every enterprise of A, none of which posted: {names:?}");
    assert!(on_page, "and on the directory page");
    let status = b.cli(&["admin", "directory", "status"]).await?;
    assert!(status.starts_with(&a.actor_id("hub")) && !status.contains("last read never"), "{status}");
    let again = b.cli(&["admin", "directory", "sync", &a_hub]).await?;
    assert!(again.contains("30 listed (0 new, 0 dropped, 0 ignored)"), "{again}");

    // A new enterprise on A reaches B by its hub's Add.
    estrie_enterprise(&a, 30).await?;
    eventually(15, "the new enterprise listed on B", || async { Ok(network_count(&b, "estrie").await? == (31, 31)) })
        .await?;
    // One is deleted on A: its hub's Remove takes it out of B's directory.
    a.cli(&["admin", "enterprise", "delete", "coop30", "--yes"]).await?;
    eventually(15, "the deleted enterprise gone from B", || async {
        Ok(network_count(&b, "estrie").await? == (30, 30))
    })
    .await?;
    // One moves to Montréal: B's counts by region follow (the relayed Update).
    a.cli(&["admin", "enterprise", "update", "coop3", "--region", "montreal"]).await?;
    eventually(15, "the move seen on B", || async { Ok(network_count(&b, "estrie").await? == (30, 29)) }).await?;
    let montreal = network_count(&b, "montreal").await?;
    assert_eq!(montreal, (30, 1));
    // The page's facet too, once its snapshot (at most 5 s old) is rebuilt.
    eventually(15, "the move on B's page", || async {
        let page = b.get("/directory?lang=fr&region=montreal").await?.text().await?;
        Ok(page.contains("Coop 3") && !page.contains("Coop 17"))
    })
    .await?;

    // B stops following A's hub: its enterprises leave the directory, and
    // A's hub is no longer read.
    b.cli(&["admin", "unfollow", "--as", "hub", &a_hub]).await?;
    assert_eq!(network_count(&b, "estrie").await?, (0, 0));
    // Its next reading (made due now) takes it out of the schedule.
    let db = b.database().await?;
    let hub = db.remote_actor_by_ap_id(&a.actor_id("hub")).await?.expect("A's hub is known");
    db.schedule_hub_sync(hub.id, maillage_db::UtcTime::now()).await?;
    eventually(15, "A's hub unscheduled", || async {
        Ok(b.cli(&["admin", "directory", "status"]).await?.contains("no followed hub is scheduled"))
    })
    .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconciliation_brings_back_what_the_follower_missed() -> anyhow::Result<()> {
    // A retries a failed delivery only after an hour: what B misses while
    // it is down stays missed for this test.
    let a = TestInstance::spawn_with(Box::new(|config| config.delivery.retry_initial_seconds = 3600)).await?;
    for n in 0..3 {
        estrie_enterprise(&a, n).await?;
    }
    // On a PostgreSQL run, A is on PostgreSQL and B on SQLite.
    let mut b = TestInstance::spawn_sqlite().await?;
    let a_hub = format!("@hub@{}", a.domain);
    // The follow is made while B is stopped (the CLI works on its database).
    b.stop().await?;
    b.cli(&["admin", "follow", "--as", "hub", &a_hub]).await?;
    b.resume().await?;
    eventually(30, "A's enterprises listed once B runs", || async { Ok(network_count(&b, "estrie").await?.0 == 3) })
        .await?;

    // B is down when A's enterprises join and leave: the Adds are lost.
    b.stop().await?;
    estrie_enterprise(&a, 3).await?;
    estrie_enterprise(&a, 4).await?;
    a.cli(&["admin", "enterprise", "delete", "coop0", "--yes"]).await?;
    // A's worker (polling every 100 ms) tries them, and fails, before B is back.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    b.resume().await?;
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(network_count(&b, "estrie").await?.0, 3, "B missed them");
    // A day later (made due now), the scheduled reading reconciles.
    let db = b.database().await?;
    let hub = db.remote_actor_by_ap_id(&a.actor_id("hub")).await?.expect("A's hub is known");
    db.schedule_hub_sync(hub.id, maillage_db::UtcTime::now()).await?;
    eventually(30, "B back to A's list", || async {
        let mut names = listed(&b, "Coop 4").await?.0;
        names.sort();
        Ok(names == ["Coop 1", "Coop 2", "Coop 3", "Coop 4"])
    })
    .await?;
    let status = b.cli(&["admin", "directory", "status"]).await?;
    assert!(!status.contains("failed"), "{status}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hub_lists_and_changes_only_enterprises_of_its_own_server() -> anyhow::Result<()> {
    let a = TestInstance::spawn().await?;
    estrie_enterprise(&a, 0).await?;
    let b = TestInstance::spawn().await?;
    let keys = StubKeys::generate()?;
    let evil = StubPeer::spawn(&keys, Arc::default()).await?;
    let (hub, own) = (evil.actor_id("hub"), evil.actor_id("coop"));
    let actor = |id: &str, kind: &str, extra: Value| {
        let mut document = json!({
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": id, "type": kind, "preferredUsername": id.rsplit('/').next(),
            "inbox": format!("{id}/inbox"),
            "publicKey": { "id": format!("{id}#main-key"), "owner": id, "publicKeyPem": keys.public_pem },
        });
        document.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        document
    };
    evil.serve_document("/actors/hub", actor(&hub, "Group", json!({"members": format!("{hub}/members")})));
    evil.serve_document(
        "/actors/coop",
        actor(&own, "Organization", json!({"enterpriseProfile": {"nameFr": "Coop du serveur", "region": "estrie"}})),
    );
    // Its members: one enterprise of its own server, one of A's.
    evil.serve_document(
        "/actors/hub/members",
        json!({"@context": "https://www.w3.org/ns/activitystreams", "id": format!("{hub}/members"),
            "type": "OrderedCollection", "totalItems": 2, "orderedItems": [own, a.actor_id("coop0")]}),
    );
    b.cli(&["admin", "follow", "--as", "hub", &hub]).await?;
    let accept = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/accepts/1", evil.base_url), "type": "Accept", "actor": hub,
        "object": {"id": format!("{}/follows/made-up", evil.base_url), "type": "Follow", "actor": b.actor_id("hub"), "object": hub},
    });
    assert_eq!(evil.send("hub", &b.url("/inbox"), &accept).await?, 202);
    eventually(15, "B follows the stub's hub", || async {
        Ok(b.collection_items(&format!("{}/following", b.actor_id("hub"))).await? == vec![hub.clone()])
    })
    .await?;

    // B reads its members once the follow is accepted.
    eventually(15, "the hub's members read", || async { Ok(listed(&b, "Coop du serveur").await?.0.len() == 1) })
        .await?;
    let (names, _) = listed(&b, "Coop du serveur").await?;
    assert_eq!(names, vec!["Coop du serveur"], "A's enterprise is A's hub to list, not this one's");
    assert_eq!(evil.fetches("/actors/hub/members"), 1);

    // Its Adds: one of its own enterprises to its members is listed; one of
    // A's, or one of its own added to another collection (as Mastodon pins
    // posts to `featured`), is not.
    let other = evil.actor_id("other");
    evil.serve_document(
        "/actors/other",
        actor(&other, "Organization", json!({"enterpriseProfile": {"nameFr": "Autre coop", "region": "estrie"}})),
    );
    let db = b.database().await?;
    let mut n = 0;
    let mut change = |kind: &str, object: &str, target: String| {
        n += 1;
        let id = format!("{}/changes/{n}", evil.base_url);
        (
            id.clone(),
            json!({"@context": "https://www.w3.org/ns/activitystreams", "id": id, "type": kind,
            "actor": hub, "object": object, "target": target}),
        )
    };
    let members = format!("{hub}/members");
    for (kind, object, target) in
        [("Add", a.actor_id("coop0"), members.clone()), ("Add", other.clone(), format!("{hub}/featured"))]
    {
        let (id, activity) = change(kind, &object, target);
        assert_eq!(evil.send("hub", &b.url("/inbox"), &activity).await?, 202);
        assert_eq!(processed(&db, &id).await?.0, "done");
    }
    assert_eq!(listed(&b, "Coop du serveur").await?.0, vec!["Coop du serveur"], "neither listed");
    let (id, add) = change("Add", &other, members.clone());
    assert_eq!(evil.send("hub", &b.url("/inbox"), &add).await?, 202);
    assert_eq!(processed(&db, &id).await?.0, "done");
    let mut names = listed(&b, "Autre coop").await?.0;
    names.sort();
    assert_eq!(names, vec!["Autre coop", "Coop du serveur"]);
    // Its Remove: the enterprise leaves the directory.
    let (id, remove) = change("Remove", &own, members.clone());
    assert_eq!(evil.send("hub", &b.url("/inbox"), &remove).await?, 202);
    assert_eq!(processed(&db, &id).await?.0, "done");
    assert_eq!(listed(&b, "Autre coop").await?.0, vec!["Autre coop"]);
    // The same Add from a Group B does not follow lists nothing.
    let stranger = evil.actor_id("stranger");
    evil.serve_document(
        "/actors/stranger",
        actor(&stranger, "Group", json!({"members": format!("{stranger}/members")})),
    );
    let id = format!("{}/changes/stranger", evil.base_url);
    let add = json!({"@context": "https://www.w3.org/ns/activitystreams", "id": id, "type": "Add",
        "actor": stranger, "object": own, "target": format!("{stranger}/members")});
    assert_eq!(evil.send("stranger", &b.url("/inbox"), &add).await?, 202);
    assert_eq!(processed(&db, &id).await?.0, "done");
    assert_eq!(listed(&b, "Autre coop").await?.0, vec!["Autre coop"]);

    // A followed Group with no `members` (a forum, say) is read without
    // failing: nothing to list from it, nothing to retry.
    let forum = evil.actor_id("forum");
    evil.serve_document("/actors/forum", actor(&forum, "Group", json!({})));
    b.cli(&["admin", "follow", "--as", "hub", &forum]).await?;
    let accept = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/accepts/2", evil.base_url), "type": "Accept", "actor": forum,
        "object": {"id": format!("{}/follows/made-up-2", evil.base_url), "type": "Follow", "actor": b.actor_id("hub"), "object": forum},
    });
    assert_eq!(evil.send("forum", &b.url("/inbox"), &accept).await?, 202);
    eventually(15, "the forum read once", || async {
        let status = b.cli(&["admin", "directory", "status"]).await?;
        let line = status.lines().find(|l| l.starts_with(&forum)).unwrap_or("last read never").to_string();
        anyhow::ensure!(!line.contains("failed"), "{line}");
        Ok(!line.contains("last read never"))
    })
    .await?;
    let synced = b.cli(&["admin", "directory", "sync", &forum]).await?;
    assert!(synced.contains("publishes no members collection"), "{synced}");
    assert_eq!(listed(&b, "Autre coop").await?.0, vec!["Autre coop"]);
    Ok(())
}
