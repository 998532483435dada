//! Relations between accounts through the client API: follow requests
//! answered by the account or by an enterprise's editors, mutes and blocks
//! (what they hide, whom they list), a block sent to another server as a
//! `Block` and one received from it.

use std::sync::Arc;

use maillage_tests::stub::{StubKeys, StubPeer};
use maillage_tests::{TestInstance, eventually};
use reqwest::Method;
use serde_json::{Value, json};

use crate::api::{call, instance, login, post_status};

/// The API id of a local account.
async fn id_of(a: &TestInstance, handle: &str) -> anyhow::Result<String> {
    let (status, account) = call(a, Method::GET, &format!("/api/v1/accounts/lookup?acct={handle}"), None, None).await?;
    assert_eq!(status, 200, "{account}");
    Ok(account["id"].as_str().unwrap().to_string())
}

async fn get(a: &TestInstance, path: &str, token: &str) -> anyhow::Result<(u16, Value)> {
    call(a, Method::GET, path, Some(token), None).await
}

async fn post(a: &TestInstance, path: &str, token: &str, body: Option<Value>) -> anyhow::Result<(u16, Value)> {
    call(a, Method::POST, path, Some(token), body).await
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect()
}

async fn relationship(a: &TestInstance, token: &str, id: &str) -> anyhow::Result<Value> {
    let (status, list) = get(a, &format!("/api/v1/accounts/relationships?id[]={id}"), token).await?;
    assert_eq!(status, 200, "{list}");
    Ok(list[0].clone())
}

/// The statuses' texts of a timeline.
async fn timeline(a: &TestInstance, path: &str, token: Option<&str>) -> anyhow::Result<Vec<String>> {
    let (status, list) = call(a, Method::GET, path, token, None).await?;
    assert_eq!(status, 200, "{list}");
    Ok(list.as_array().unwrap().iter().map(|s| s["content"].as_str().unwrap_or_default().to_string()).collect())
}

fn shows(texts: &[String], text: &str) -> bool {
    texts.iter().any(|t| t.contains(text))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_enterprises_editors_answer_its_follow_requests_and_nobody_else() -> anyhow::Result<()> {
    let a = instance().await?;
    a.cli(&["admin", "approval", "coop", "on"]).await?;
    let (marie, paul) = (login(&a, "marie").await?, login(&a, "paul").await?);
    let (coop_id, paul_id) = (id_of(&a, "coop").await?, id_of(&a, "paul").await?);
    let (_, coop) = call(&a, Method::GET, &format!("/api/v1/accounts/{coop_id}"), None, None).await?;
    assert_eq!(coop["locked"], true, "{coop}");

    let (status, asked) = post(&a, &format!("/api/v1/accounts/{coop_id}/follow"), &paul, None).await?;
    assert_eq!((status, &asked["requested"], &asked["following"]), (200, &json!(true), &json!(false)), "{asked}");

    // paul does not edit coop: its requests are not his to read or answer.
    let (status, refused) = get(&a, "/api/v1/follow_requests?maillage_as=coop", &paul).await?;
    assert_eq!(status, 403, "{refused}");
    let authorize = format!("/api/v1/follow_requests/{paul_id}/authorize");
    let (status, refused) = post(&a, &authorize, &paul, Some(json!({"maillage_as": "coop"}))).await?;
    assert_eq!(status, 403, "{refused}");
    assert_eq!(relationship(&a, &paul, &coop_id).await?["requested"], true, "still pending");
    // Without maillage_as, marie reads her own requests: none.
    assert_eq!(get(&a, "/api/v1/follow_requests", &marie).await?, (200, json!([])));

    // marie edits coop: she sees paul's request and authorizes it.
    let (status, list) = get(&a, "/api/v1/follow_requests?maillage_as=coop", &marie).await?;
    assert_eq!((status, ids(&list)), (200, vec![paul_id.clone()]), "{list}");
    let (status, answered) = post(&a, &authorize, &marie, Some(json!({"maillage_as": "coop"}))).await?;
    assert_eq!(status, 200, "{answered}");
    assert_eq!(
        (&answered["id"], &answered["followed_by"], &answered["requested_by"]),
        (&json!(paul_id), &json!(true), &json!(false))
    );
    let now = relationship(&a, &paul, &coop_id).await?;
    assert_eq!((&now["following"], &now["requested"]), (&json!(true), &json!(false)), "{now}");
    assert_eq!(get(&a, "/api/v1/follow_requests?maillage_as=coop", &marie).await?, (200, json!([])));
    // Nothing left to answer: not found.
    let (status, _) =
        post(&a, &format!("/api/v1/follow_requests/{coop_id}/reject"), &marie, Some(json!({"maillage_as": "coop"})))
            .await?;
    assert_eq!(status, 404);

    // A member who approves by hand: the count, requested_by, and a rejection.
    a.cli(&["admin", "approval", "paul", "on"]).await?;
    let marie_id = id_of(&a, "marie").await?;
    post(&a, &format!("/api/v1/accounts/{paul_id}/follow"), &marie, None).await?;
    let (_, me) = get(&a, "/api/v1/accounts/verify_credentials", &paul).await?;
    assert_eq!((&me["locked"], &me["source"]["follow_requests_count"]), (&json!(true), &json!(1)), "{me}");
    let (_, others) = get(&a, "/api/v1/accounts/verify_credentials", &marie).await?;
    assert_eq!(others["source"]["follow_requests_count"], 0, "{others}");
    assert_eq!(relationship(&a, &paul, &marie_id).await?["requested_by"], true);
    let (status, list) = get(&a, "/api/v1/follow_requests", &paul).await?;
    assert_eq!((status, ids(&list)), (200, vec![marie_id.clone()]), "{list}");
    // marie cannot answer the request she made.
    let (status, _) = post(&a, &format!("/api/v1/follow_requests/{marie_id}/authorize"), &marie, None).await?;
    assert_eq!(status, 404);
    let (status, answered) = post(&a, &format!("/api/v1/follow_requests/{marie_id}/reject"), &paul, None).await?;
    assert_eq!((status, &answered["requested_by"]), (200, &json!(false)), "{answered}");
    let after = relationship(&a, &marie, &paul_id).await?;
    assert_eq!((&after["requested"], &after["following"]), (&json!(false), &json!(false)), "{after}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remote_follow_request_is_answered_through_the_api_with_an_accept() -> anyhow::Result<()> {
    let a = instance().await?;
    a.cli(&["admin", "approval", "coop", "on"]).await?;
    let marie = login(&a, "marie").await?;
    let keys = StubKeys::generate()?;
    let peer = StubPeer::spawn(&keys, Arc::default()).await?;
    assert_eq!(peer.follow("fan", &a.actor_id("coop"), &a.url("/inbox")).await?, 202);
    eventually(20, "the request is listed", || async {
        let listed = get(&a, "/api/v1/follow_requests?maillage_as=coop", &marie).await?.1;
        Ok(listed.as_array().is_some_and(|l| l.len() == 1))
    })
    .await?;
    let (status, listed) = get(&a, "/api/v1/follow_requests?maillage_as=coop", &marie).await?;
    assert_eq!(status, 200);
    assert_eq!(listed[0]["acct"], format!("fan@{}", peer.domain), "{listed}");
    let fan_id = listed[0]["id"].as_str().unwrap().to_string();
    let authorize = format!("/api/v1/follow_requests/{fan_id}/authorize");
    let (status, answered) = post(&a, &authorize, &marie, Some(json!({"maillage_as": "coop"}))).await?;
    assert_eq!((status, &answered["followed_by"]), (200, &json!(true)), "{answered}");
    let coop = a.actor_id("coop");
    eventually(20, "the Accept reaches the peer", || async {
        Ok(peer.received().iter().any(|r| r["type"] == "Accept" && r["actor"] == coop.as_str()))
    })
    .await?;
    assert_eq!(a.collection_items(&format!("{coop}/followers")).await?, vec![peer.actor_id("fan")]);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutes_hide_an_account_from_its_muter_only() -> anyhow::Result<()> {
    let a = instance().await?;
    let (marie, paul) = (login(&a, "marie").await?, login(&a, "paul").await?);
    let (marie_id, paul_id) = (id_of(&a, "marie").await?, id_of(&a, "paul").await?);
    post(&a, &format!("/api/v1/accounts/{marie_id}/follow"), &paul, None).await?;
    // marie's follow notifies paul.
    post(&a, &format!("/api/v1/accounts/{paul_id}/follow"), &marie, None).await?;
    let (status, _) = post_status(&a, &marie, json!({"status": "Le marché ouvre samedi"})).await?;
    assert_eq!(status, 200);
    let home = "/api/v1/timelines/home";
    let public = "/api/v1/timelines/public";
    assert!(shows(&timeline(&a, home, Some(&paul)).await?, "marché"));
    assert!(shows(&timeline(&a, public, Some(&paul)).await?, "marché"));
    let notified = |list: &Value| list.as_array().unwrap().iter().any(|n| n["account"]["id"] == marie_id.as_str());
    assert!(notified(&get(&a, "/api/v1/notifications", &paul).await?.1));

    let (status, muted) = post(&a, &format!("/api/v1/accounts/{marie_id}/mute"), &paul, None).await?;
    assert_eq!(status, 200, "{muted}");
    assert_eq!(
        (&muted["muting"], &muted["muting_notifications"], &muted["following"]),
        (&json!(true), &json!(true), &json!(true))
    );
    assert!(!shows(&timeline(&a, home, Some(&paul)).await?, "marché"), "hidden from paul's home");
    assert!(!shows(&timeline(&a, public, Some(&paul)).await?, "marché"), "hidden from paul's public timeline");
    assert!(!notified(&get(&a, "/api/v1/notifications", &paul).await?.1), "and from his notifications");
    // Nobody else's view changes, and only paul's mutes list marie.
    assert!(shows(&timeline(&a, public, None).await?, "marché"));
    assert!(shows(&timeline(&a, home, Some(&marie)).await?, "marché"));
    assert_eq!(ids(&get(&a, "/api/v1/mutes", &paul).await?.1), vec![marie_id.clone()]);
    assert_eq!(get(&a, "/api/v1/mutes", &marie).await?, (200, json!([])));
    assert_eq!(relationship(&a, &marie, &paul_id).await?["muting"], false);

    // Muted for an hour, notifications still shown.
    let (_, again) = post(
        &a,
        &format!("/api/v1/accounts/{marie_id}/mute"),
        &paul,
        Some(json!({"notifications": false, "duration": 3600})),
    )
    .await?;
    assert_eq!((&again["muting"], &again["muting_notifications"]), (&json!(true), &json!(false)), "{again}");
    assert!(notified(&get(&a, "/api/v1/notifications", &paul).await?.1));
    let (_, listed) = get(&a, "/api/v1/mutes", &paul).await?;
    assert!(listed[0]["mute_expires_at"].is_string(), "{listed}");
    let (status, _) =
        post(&a, &format!("/api/v1/accounts/{marie_id}/mute"), &paul, Some(json!({"duration": -5}))).await?;
    assert_eq!(status, 422);
    let (status, _) = post(&a, &format!("/api/v1/accounts/{paul_id}/mute"), &paul, None).await?;
    assert_eq!(status, 422, "nobody mutes themself");

    let (_, unmuted) = post(&a, &format!("/api/v1/accounts/{marie_id}/unmute"), &paul, None).await?;
    assert_eq!(unmuted["muting"], false);
    assert!(shows(&timeline(&a, home, Some(&paul)).await?, "marché"));
    assert_eq!(get(&a, "/api/v1/mutes", &paul).await?, (200, json!([])));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_block_ends_follows_and_hides_both_ways() -> anyhow::Result<()> {
    let a = instance().await?;
    let (marie, paul) = (login(&a, "marie").await?, login(&a, "paul").await?);
    let (marie_id, paul_id) = (id_of(&a, "marie").await?, id_of(&a, "paul").await?);
    post(&a, &format!("/api/v1/accounts/{marie_id}/follow"), &paul, None).await?;
    post(&a, &format!("/api/v1/accounts/{paul_id}/follow"), &marie, None).await?;
    post_status(&a, &marie, json!({"status": "Texte de marie"})).await?;
    post_status(&a, &paul, json!({"status": "Texte de paul"})).await?;
    let public = "/api/v1/timelines/public";

    let (status, blocked) = post(&a, &format!("/api/v1/accounts/{marie_id}/block"), &paul, None).await?;
    assert_eq!(status, 200, "{blocked}");
    assert_eq!(
        (&blocked["blocking"], &blocked["following"], &blocked["followed_by"]),
        (&json!(true), &json!(false), &json!(false)),
        "{blocked}"
    );
    let seen_by_marie = relationship(&a, &marie, &paul_id).await?;
    assert_eq!(
        (&seen_by_marie["blocked_by"], &seen_by_marie["blocking"], &seen_by_marie["following"]),
        (&json!(true), &json!(false), &json!(false)),
        "{seen_by_marie}"
    );
    assert!(!shows(&timeline(&a, public, Some(&paul)).await?, "Texte de marie"));
    assert!(
        !shows(&timeline(&a, public, Some(&marie)).await?, "Texte de paul"),
        "the blocked one does not see the blocker"
    );
    assert!(!shows(&timeline(&a, "/api/v1/timelines/home", Some(&marie)).await?, "Texte de paul"));
    let everyone = timeline(&a, public, None).await?;
    assert!(shows(&everyone, "Texte de paul") && shows(&everyone, "Texte de marie"));
    assert_eq!(ids(&get(&a, "/api/v1/blocks", &paul).await?.1), vec![marie_id.clone()]);
    assert_eq!(get(&a, "/api/v1/blocks", &marie).await?, (200, json!([])));

    let (_, unblocked) = post(&a, &format!("/api/v1/accounts/{marie_id}/unblock"), &paul, None).await?;
    assert_eq!((&unblocked["blocking"], &unblocked["following"]), (&json!(false), &json!(false)), "follows stay ended");
    assert!(shows(&timeline(&a, public, Some(&marie)).await?, "Texte de paul"));
    assert_eq!(get(&a, "/api/v1/blocks", &paul).await?, (200, json!([])));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_block_of_a_remote_account_is_sent_and_one_received_ends_the_follow() -> anyhow::Result<()> {
    let a = instance().await?;
    let paul = login(&a, "paul").await?;
    let paul_ap_id = a.actor_id("paul");
    let keys = StubKeys::generate()?;
    let peer = StubPeer::spawn(&keys, Arc::default()).await?;
    let followers = format!("{paul_ap_id}/followers");
    // Each Follow with its own id (a repeated id is a duplicate to the inbox).
    let follows_paul = |n: u32| {
        let follow = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{}/follows/bob-{n}", peer.base_url),
            "type": "Follow",
            "actor": peer.actor_id("bob"),
            "object": paul_ap_id,
        });
        let (peer, a, followers) = (&peer, &a, &followers);
        async move {
            assert_eq!(peer.send("bob", &a.url("/inbox"), &follow).await?, 202);
            eventually(20, "bob follows paul", || async {
                Ok(a.collection_items(followers).await? == vec![peer.actor_id("bob")])
            })
            .await
        }
    };
    follows_paul(1).await?;
    let paul_id = id_of(&a, "paul").await?;
    let (_, list) = get(&a, &format!("/api/v1/accounts/{paul_id}/followers"), &paul).await?;
    let bob_id = list[0]["id"].as_str().unwrap_or_else(|| panic!("{list}")).to_string();

    let (status, blocked) = post(&a, &format!("/api/v1/accounts/{bob_id}/block"), &paul, None).await?;
    assert_eq!(
        (status, &blocked["blocking"], &blocked["followed_by"]),
        (200, &json!(true), &json!(false)),
        "{blocked}"
    );
    assert!(a.collection_items(&followers).await?.is_empty());
    let bob = peer.actor_id("bob");
    let block = || peer.received().into_iter().find(|r| r["type"] == "Block" && r["object"] == bob.as_str());
    eventually(20, "the Block reaches bob's inbox", || async { Ok(block().is_some()) }).await?;
    let block = block().unwrap();
    assert_eq!(block["actor"], paul_ap_id.as_str(), "{block}");
    let paul_row = a.database().await?.local_actor_by_username("paul").await?.expect("paul");
    assert!(peer.signed_by(block["id"].as_str().unwrap(), &format!("{paul_ap_id}#main-key"), &paul_row.public_key_pem));
    // Blocking again sends nothing more.
    post(&a, &format!("/api/v1/accounts/{bob_id}/block"), &paul, None).await?;

    post(&a, &format!("/api/v1/accounts/{bob_id}/unblock"), &paul, None).await?;
    eventually(20, "the Undo of the Block reaches bob", || async {
        Ok(peer.received().iter().any(|r| r["type"] == "Undo" && r["object"]["id"] == block["id"]))
    })
    .await?;
    assert_eq!(peer.received().iter().filter(|r| r["type"] == "Block").count(), 1);

    // bob follows again, then blocks paul: the follow ends, paul is told nothing.
    follows_paul(2).await?;
    let received_block = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/blocks/1", peer.base_url),
        "type": "Block",
        "actor": bob,
        "object": paul_ap_id,
    });
    assert_eq!(peer.send("bob", &a.url("/inbox"), &received_block).await?, 202);
    eventually(20, "the received Block ends bob's follow", || async {
        Ok(a.collection_items(&followers).await?.is_empty())
    })
    .await?;
    let seen = relationship(&a, &paul, &bob_id).await?;
    assert_eq!(
        (&seen["blocked_by"], &seen["blocking"], &seen["followed_by"]),
        (&json!(false), &json!(false), &json!(false)),
        "{seen}"
    );
    Ok(())
}

/// The caller's conversations: `(id, unread, accounts' acct, last status text)`.
async fn conversations(
    a: &TestInstance,
    token: &str,
    query: &str,
) -> anyhow::Result<Vec<(String, bool, Vec<String>, String)>> {
    let (status, list) = get(a, &format!("/api/v1/conversations{query}"), token).await?;
    assert_eq!(status, 200, "{list}");
    Ok(list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let accounts =
                c["accounts"].as_array().unwrap().iter().map(|a| a["acct"].as_str().unwrap().to_string()).collect();
            let text = c["last_status"]["content"].as_str().unwrap_or_default().to_string();
            (c["id"].as_str().unwrap().to_string(), c["unread"].as_bool().unwrap(), accounts, text)
        })
        .collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conversations_are_the_direct_threads_of_their_participants_only() -> anyhow::Result<()> {
    let a = instance().await?;
    a.cli_with_input(&["admin", "user", "create", "lea"], &format!("{}\n", crate::api::PASSWORD)).await?;
    let (marie, paul, lea) = (login(&a, "marie").await?, login(&a, "paul").await?, login(&a, "lea").await?);
    let domain = &a.domain;
    let (_, first) = post_status(
        &a,
        &marie,
        json!({"status": format!("@paul@{domain} Rendez-vous secret"), "visibility": "direct"}),
    )
    .await?;
    let first_id = first["id"].as_str().unwrap().to_string();
    post_status(&a, &marie, json!({"status": "Tout le monde le voit"})).await?;

    let for_paul = conversations(&a, &paul, "").await?;
    assert_eq!(for_paul.len(), 1, "{for_paul:?}");
    let (id, unread, accounts, text) = &for_paul[0];
    assert_eq!((id, *unread, accounts), (&first_id, true, &vec!["marie".to_string()]));
    assert!(text.contains("Rendez-vous secret"), "{text}");
    let for_marie = conversations(&a, &marie, "").await?;
    assert_eq!(for_marie.len(), 1);
    assert_eq!(
        (&for_marie[0].0, for_marie[0].1, &for_marie[0].2),
        (&first_id, false, &vec!["paul".to_string()]),
        "she wrote it"
    );

    // Someone else's direct messages: never listed, never marked.
    assert!(conversations(&a, &lea, "").await?.is_empty());
    let read = format!("/api/v1/conversations/{first_id}/read");
    assert_eq!(post(&a, &read, &lea, None).await?.0, 404);
    assert_eq!(call(&a, Method::DELETE, &format!("/api/v1/conversations/{first_id}"), Some(&lea), None).await?.0, 404);

    // paul answers in the thread: one conversation still, unread for marie until she reads it.
    let (status, _) = post_status(
        &a,
        &paul,
        json!({"status": format!("@marie@{domain} Oui, samedi"), "visibility": "direct", "in_reply_to_id": first_id}),
    )
    .await?;
    assert_eq!(status, 200);
    let for_marie = conversations(&a, &marie, "").await?;
    assert_eq!(for_marie.len(), 1, "{for_marie:?}");
    assert!(for_marie[0].1 && for_marie[0].3.contains("samedi"), "{for_marie:?}");
    let (status, marked) = post(&a, &read, &marie, None).await?;
    assert_eq!((status, &marked["unread"], &marked["id"]), (200, &json!(false), &json!(first_id)), "{marked}");
    assert!(!conversations(&a, &marie, "").await?[0].1);

    // A second thread: newest first, paged.
    post_status(&a, &marie, json!({"status": format!("@paul@{domain} Autre sujet"), "visibility": "direct"})).await?;
    let both = conversations(&a, &paul, "").await?;
    assert_eq!(both.len(), 2);
    assert!(both[0].3.contains("Autre sujet") && both[1].0 == first_id, "{both:?}");
    let response = a.http.get(a.url("/api/v1/conversations?limit=1")).bearer_auth(&paul).send().await?;
    let link = response.headers()["link"].to_str()?.to_string();
    let next = link.split(['<', '>']).nth(1).unwrap().to_string();
    let older: Value = a.http.get(&next).bearer_auth(&paul).send().await?.json().await?;
    assert_eq!(ids(&older), vec![first_id.clone()], "{link}");

    // paul removes the first one, for himself only, until it goes on.
    let (status, removed) =
        call(&a, Method::DELETE, &format!("/api/v1/conversations/{first_id}"), Some(&paul), None).await?;
    assert_eq!((status, removed), (200, json!({})));
    assert_eq!(conversations(&a, &paul, "").await?.len(), 1);
    assert_eq!(conversations(&a, &marie, "").await?.len(), 2);
    post_status(
        &a,
        &marie,
        json!({"status": format!("@paul@{domain} Tu viens ?"), "visibility": "direct", "in_reply_to_id": first_id}),
    )
    .await?;
    let back = conversations(&a, &paul, "").await?;
    assert!(
        back.iter().any(|(id, unread, _, text)| id == &first_id && *unread && text.contains("Tu viens")),
        "{back:?}"
    );
    Ok(())
}
