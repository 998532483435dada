//! Enterprises join and leave the hub: the hub's followers hear `Add` and
//! `Remove` of its `members`, the enterprise's followers its `Delete`; a
//! deleted enterprise is gone everywhere (its posts' deletions streamed, its
//! files deleted) and its handle stays reserved.

use std::sync::Arc;

use maillage_tests::stub::{StubKeys, StubPeer};
use maillage_tests::{TestInstance, eventually};
use serde_json::{Value, json};

const PASSWORD: &str = "un mot de passe sûr";

/// The path of a file of `tests/fixtures/media`.
fn media_fixture(name: &str) -> String {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/media").join(name).display().to_string()
}

/// The first activity the stub accepted of `kind` whose `object` is `object`.
fn received(peer: &StubPeer, kind: &str, object: &str) -> Option<Value> {
    peer.received().into_iter().find(|a| a["type"] == kind && a["object"] == object)
}

async fn wait_for(peer: &StubPeer, kind: &str, object: &str) -> anyhow::Result<Value> {
    eventually(20, &format!("the peer receives {kind} of {object}"), || async {
        Ok(received(peer, kind, object).is_some())
    })
    .await?;
    Ok(received(peer, kind, object).unwrap())
}

/// The stub actor `name` follows our actor `handle`, and the follow is accepted.
async fn follows(peer: &StubPeer, name: &str, a: &TestInstance, handle: &str) -> anyhow::Result<()> {
    let followed = a.actor_id(handle);
    assert_eq!(peer.follow(name, &followed, &a.url("/inbox")).await?, 202);
    eventually(20, &format!("{name}'s follow of {handle} is accepted"), || async {
        Ok(peer.received().iter().any(|r| r["type"] == "Accept" && r["actor"] == followed.as_str()))
    })
    .await
}

/// The names the API and the directory page list for this hub.
async fn listed_locally(a: &TestInstance) -> anyhow::Result<(Vec<String>, String)> {
    let api: Vec<Value> = a.get("/api/maillage/v1/enterprises?scope=local").await?.json().await?;
    let handles = api.iter().map(|e| e["handle"].as_str().unwrap_or_default().to_string()).collect();
    let page = a.get("/directory?lang=fr").await?.text().await?;
    Ok((handles, page))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hubs_followers_hear_who_joins_and_leaves_and_a_deleted_enterprise_is_gone() -> anyhow::Result<()> {
    let a = TestInstance::spawn().await?;
    let keys = StubKeys::generate()?;
    let peer = StubPeer::spawn(&keys, Arc::default()).await?;
    let db = a.database().await?;
    let hub = db.local_actor_by_username("hub").await?.expect("the hub");
    let members = format!("{}/members", hub.ap_id);
    follows(&peer, "watcher", &a, "hub").await?;

    // Created at the command line: the hub's followers get a signed `Add`.
    a.cli(&["admin", "enterprise", "create", "coop", "--name", "Coop Vélo"]).await?;
    let coop_id = a.actor_id("coop");
    let add = wait_for(&peer, "Add", &coop_id).await?;
    assert_eq!((&add["actor"], &add["target"]), (&json!(hub.ap_id), &json!(members)), "{add}");
    assert_eq!(add["to"], json!(["https://www.w3.org/ns/activitystreams#Public"]), "{add}");
    assert_eq!(add["cc"], json!([format!("{}/followers", hub.ap_id)]), "{add}");
    let add_id = add["id"].as_str().unwrap();
    assert!(peer.signed_by(add_id, &format!("{}#main-key", hub.ap_id), &hub.public_key_pem), "{add}");
    println!("Add as sent: {}", serde_json::to_string_pretty(&add)?);
    assert!(a.collection_items(&members).await?.contains(&coop_id));

    // coop has a follower on the peer, a post, and an editor.
    follows(&peer, "fan", &a, "coop").await?;
    a.cli_with_input(&["admin", "user", "create", "marie"], &format!("{PASSWORD}\n")).await?;
    a.cli(&["admin", "enterprise", "add-editor", "coop", "marie"]).await?;
    // A streaming client listens to the public timeline; the post carries a
    // photo and coop has a logo: files of its own in the media store.
    let base = a.url("");
    let mut public = crate::streaming::connect(base.trim_end_matches('/'), "?stream=public", None).await?;
    // (Through the API: on SQLite, what a `maillage admin` process writes
    // is not streamed, SQLite's bus being the server process's own.)
    let marie = crate::api::login(&a, "marie").await?;
    let photo = crate::media::photo(&a, &marie, "Un vélo").await?;
    let (_, status) = crate::api::post_status(
        &a,
        &marie,
        json!({ "status": "Bonjour", "maillage_as": "coop", "media_ids": [photo["id"]] }),
    )
    .await?;
    let note = status["uri"].as_str().unwrap().to_string();
    a.cli(&["admin", "enterprise", "update", "coop", "--logo", &media_fixture("phone-photo-gps.jpg")]).await?;
    let coop = db.local_actor_by_username("coop").await?.expect("coop");
    let update = crate::streaming::messages_until(&mut public, |m| crate::streaming::is_event(m, "update", "Bonjour"))
        .await?
        .pop()
        .unwrap();
    let status_id = crate::streaming::payload(&update)["id"].clone();
    assert!(!crate::media::stored_files(&a).is_empty(), "the photo and the logo are stored");

    // Without --yes, nothing is deleted.
    let refused = a.cli(&["admin", "enterprise", "delete", "coop"]).await.unwrap_err().to_string();
    assert!(refused.contains("cannot be undone") && refused.contains("--yes"), "{refused}");
    assert_eq!(a.get_activity(&coop_id).await?.status(), 200);

    a.cli_with_input(&["admin", "user", "create", "ada", "--admin"], &format!("{PASSWORD}\n")).await?;
    let ada = a.cli(&["admin", "token", "create", "ada", "--scopes", "read write admin:write"]).await?;
    assert_eq!(delete(&a, ada.trim(), "coop").await?.0, 204);

    // coop's followers get its `Delete`, signed with the key the tombstone keeps.
    let delete = wait_for(&peer, "Delete", &coop_id).await?;
    assert_eq!(delete["actor"], json!(coop_id), "{delete}");
    let delete_id = delete["id"].as_str().unwrap();
    assert!(peer.signed_by(delete_id, &format!("{coop_id}#main-key"), &coop.public_key_pem), "{delete}");
    assert_eq!(peer.count_of(delete_id), 1, "one Delete per server");
    println!("Delete as sent: {}", serde_json::to_string_pretty(&delete)?);
    // The hub's followers get `Remove`; no `Delete` per post.
    let remove = wait_for(&peer, "Remove", &coop_id).await?;
    assert_eq!((&remove["actor"], &remove["target"]), (&json!(hub.ap_id), &json!(members)), "{remove}");
    assert!(peer.signed_by(remove["id"].as_str().unwrap(), &format!("{}#main-key", hub.ap_id), &hub.public_key_pem));
    println!("Remove as sent: {}", serde_json::to_string_pretty(&remove)?);
    let deletes: Vec<Value> = peer.received().into_iter().filter(|r| r["type"] == "Delete").collect();
    assert_eq!(deletes.len(), 1, "the actor's Delete only: {deletes:?}");
    // Streaming clients hear of each of its posts' deletion; its files are gone.
    let deleted = crate::streaming::messages_until(&mut public, |m| m["event"] == "delete").await?;
    assert_eq!(deleted.last().unwrap()["payload"], status_id, "{deleted:?}");
    assert_eq!(crate::media::stored_files(&a), Vec::<std::path::PathBuf>::new(), "the photo and the logo are deleted");

    // Gone: the actor and its collections are 410, WebFinger too; its post is a tombstone.
    let gone = a.get_activity(&coop_id).await?;
    assert_eq!(gone.status(), 410);
    let tombstone: Value = gone.json().await?;
    assert_eq!((&tombstone["type"], &tombstone["formerType"]), (&json!("Tombstone"), &json!("Organization")));
    for collection in ["outbox", "followers", "following"] {
        assert_eq!(a.get_activity(&format!("{coop_id}/{collection}")).await?.status(), 410, "{collection}");
    }
    let webfinger = a.get(&format!("/.well-known/webfinger?resource=acct:coop@{}", a.domain)).await?;
    assert_eq!(webfinger.status(), 410);
    assert_eq!(a.get_activity(&note).await?.status(), 410);
    assert_eq!(a.get("/actors/coop").await?.status(), 410, "its page too");
    // Off the hub's members, the lists, the directory; marie keeps her account.
    assert!(!a.collection_items(&members).await?.contains(&coop_id));
    assert_eq!(a.cli(&["admin", "enterprise", "list"]).await?, "0 enterprise(s)\n");
    eventually(10, "the directory forgets coop", || async {
        let (handles, page) = listed_locally(&a).await?;
        Ok(handles.is_empty() && !page.contains("Coop Vélo"))
    })
    .await?;
    assert_eq!(a.get_activity(&a.actor_id("marie")).await?.status(), 200);

    // The handle stays reserved; deleting twice is refused.
    let again = a.cli(&["admin", "enterprise", "create", "coop", "--name", "Autre"]).await.unwrap_err().to_string();
    assert!(again.contains("stay reserved"), "{again}");
    let twice = a.cli(&["admin", "enterprise", "delete", "coop", "--yes"]).await.unwrap_err().to_string();
    assert!(twice.contains("already deleted"), "{twice}");
    Ok(())
}

/// DELETE with `token`: the status and the body.
async fn delete(a: &TestInstance, token: &str, handle: &str) -> anyhow::Result<(u16, String)> {
    let response =
        a.http.delete(a.url(&format!("/api/maillage/v1/enterprises/{handle}"))).bearer_auth(token).send().await?;
    Ok((response.status().as_u16(), response.text().await?))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_lets_admins_only_delete_an_enterprise() -> anyhow::Result<()> {
    let a = TestInstance::spawn().await?;
    let keys = StubKeys::generate()?;
    let peer = StubPeer::spawn(&keys, Arc::default()).await?;
    follows(&peer, "watcher", &a, "hub").await?;
    a.cli_with_input(&["admin", "user", "create", "ada", "--admin"], &format!("{PASSWORD}\n")).await?;
    a.cli_with_input(&["admin", "user", "create", "marie"], &format!("{PASSWORD}\n")).await?;
    let token = |user: &str, scopes: &str| {
        let (a, user, scopes) = (&a, user.to_string(), scopes.to_string());
        async move {
            Ok::<_, anyhow::Error>(
                a.cli(&["admin", "token", "create", &user, "--scopes", &scopes]).await?.trim().to_string(),
            )
        }
    };
    let ada = token("ada", "read write admin:write").await?;
    let ada_writes = token("ada", "read write").await?;
    let marie = token("marie", "read write admin:write").await?;

    // Created through the API: the hub's followers get `Add`.
    let created = a
        .http
        .post(a.url("/api/maillage/v1/enterprises"))
        .bearer_auth(&ada)
        .json(&json!({ "handle": "coop", "name": "Coop Vélo" }))
        .send()
        .await?;
    assert_eq!(created.status(), 201);
    wait_for(&peer, "Add", &a.actor_id("coop")).await?;
    a.cli(&["admin", "enterprise", "add-editor", "coop", "marie", "--owner"]).await?;

    // Refused: a member (even its owner), an admin's token without the admin scope.
    assert_eq!(delete(&a, &marie, "coop").await?.0, 403);
    assert_eq!(delete(&a, &ada_writes, "coop").await?.0, 403);
    assert_eq!(a.get("/api/maillage/v1/enterprises/coop").await?.status(), 200, "nothing changed");
    // Not an enterprise: unknown, a member, the hub.
    for handle in ["nobody", "marie", "hub"] {
        assert_eq!(delete(&a, &ada, handle).await?.0, 404, "{handle}");
    }

    assert_eq!(delete(&a, &ada, "coop").await?.0, 204);
    wait_for(&peer, "Remove", &a.actor_id("coop")).await?;
    let (status, body) = delete(&a, &ada, "coop").await?;
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("already deleted"), "{body}");
    assert_eq!(a.get("/api/maillage/v1/enterprises/coop").await?.status(), 404);
    let list: Vec<Value> = a.get("/api/maillage/v1/enterprises").await?.json().await?;
    assert!(list.is_empty(), "{list:?}");
    let again = a
        .http
        .post(a.url("/api/maillage/v1/enterprises"))
        .bearer_auth(&ada)
        .json(&json!({ "handle": "coop", "name": "Autre" }))
        .send()
        .await?;
    assert_eq!(again.status(), 409);
    assert!(again.text().await?.contains("stay reserved"));
    let openapi: Value = a.get("/api/maillage/v1/openapi.json").await?.json().await?;
    assert!(openapi["paths"]["/api/maillage/v1/enterprises/{handle}"]["delete"].is_object(), "documented");
    Ok(())
}
