//! Whom the network directory trusts: enterprises listed by a hub this hub
//! follows, on that hub's server; never an `Organization` some server made
//! us fetch.

use std::sync::Arc;

use maillage_tests::stub::{StubKeys, StubPeer};
use maillage_tests::{TestInstance, eventually};
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

    b.cli(&["admin", "follow", "--as", "hub", &a_hub]).await?;
    eventually(15, "B follows A", || async {
        Ok(b.collection_items(&format!("{}/following", b.actor_id("hub"))).await? == vec![a.actor_id("hub")])
    })
    .await?;
    let synced = b.cli(&["admin", "directory", "sync"]).await?;
    assert!(synced.contains("30 listed (30 new, 0 dropped, 0 ignored)"), "{synced}");
    let (names, on_page) = listed(&b, "Coop 17").await?;
    assert_eq!(names.len(), 30, "every enterprise of A, none of which posted: {names:?}");
    assert!(on_page, "and on the directory page");
    let estrie: Vec<Value> = b.get("/api/maillage/v1/enterprises?scope=network&region=estrie").await?.json().await?;
    assert_eq!(estrie.len(), 30, "with their profile");

    // A new enterprise on A is listed at the next reading; what was listed stays.
    estrie_enterprise(&a, 30).await?;
    let synced = b.cli(&["admin", "directory", "sync", &a_hub]).await?;
    assert!(synced.contains("31 listed (1 new, 0 dropped, 0 ignored)"), "{synced}");

    // B stops following A's hub: its enterprises leave the directory.
    b.cli(&["admin", "unfollow", "--as", "hub", &a_hub]).await?;
    assert!(listed(&b, "Coop 17").await?.0.is_empty());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hubs_members_on_other_servers_are_not_listed() -> anyhow::Result<()> {
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

    let synced = b.cli(&["admin", "directory", "sync", &hub]).await?;
    assert!(synced.contains("1 listed (1 new, 0 dropped, 1 ignored)"), "{synced}");
    let (names, _) = listed(&b, "Coop du serveur").await?;
    assert_eq!(names, vec!["Coop du serveur"], "A's enterprise is A's hub to list, not this one's");
    assert_eq!(evil.fetches("/actors/hub/members"), 1);
    Ok(())
}
