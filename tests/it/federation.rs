//! Two and three Maillage instances federating over HTTP: follows, accepts,
//! undo, manual approval, and deliveries that survive a restart.

use maillage_tests::{TestInstance, eventually};

async fn follower_ids(instance: &TestInstance, handle: &str) -> anyhow::Result<Vec<String>> {
    instance.collection_items(&format!("{}/followers", instance.actor_id(handle))).await
}

async fn following_ids(instance: &TestInstance, handle: &str) -> anyhow::Result<Vec<String>> {
    instance.collection_items(&format!("{}/following", instance.actor_id(handle))).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hub_follows_another_hub_and_unfollows() -> anyhow::Result<()> {
    let estrie = TestInstance::spawn().await?;
    let monteregie = TestInstance::spawn().await?;
    let printed = estrie.cli(&["admin", "follow", "--as", "hub", &format!("@hub@{}", monteregie.domain)]).await?;
    assert!(printed.contains("pending"), "{printed}");

    let follower = estrie.actor_id("hub");
    let followed = monteregie.actor_id("hub");
    eventually(15, "the Follow is accepted", || async {
        Ok(follower_ids(&monteregie, "hub").await? == vec![follower.clone()]
            && following_ids(&estrie, "hub").await? == vec![followed.clone()])
    })
    .await?;
    let collection: serde_json::Value = monteregie.get_activity(&format!("{followed}/followers")).await?.json().await?;
    assert_eq!(collection["type"], "OrderedCollection");
    assert_eq!(collection["totalItems"], 1);

    // Following again is idempotent: still one follower.
    estrie.cli(&["admin", "follow", "--as", "hub", &followed]).await?;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    eventually(10, "deliveries drained", || async {
        Ok(estrie.database().await?.delivery_counts().await?.pending == 0)
    })
    .await?;
    assert_eq!(follower_ids(&monteregie, "hub").await?, vec![follower.clone()]);

    let printed = estrie.cli(&["admin", "unfollow", "--as", "hub", &format!("@hub@{}", monteregie.domain)]).await?;
    assert!(printed.contains("no longer follows"), "{printed}");
    eventually(15, "the Undo removes the follower", || async {
        Ok(follower_ids(&monteregie, "hub").await?.is_empty() && following_ids(&estrie, "hub").await?.is_empty())
    })
    .await?;
    let error = estrie.cli(&["admin", "unfollow", "--as", "hub", &followed]).await.expect_err("not following");
    assert!(error.to_string().contains("does not follow"), "{error}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manual_approval_keeps_followers_pending_until_accepted() -> anyhow::Result<()> {
    let hub = TestInstance::spawn().await?;
    let other = TestInstance::spawn().await?;
    hub.cli(&["admin", "enterprise", "create", "coop", "--name", "La Coop"]).await?;
    hub.cli(&["admin", "approval", "coop", "on"]).await?;
    let actor: serde_json::Value = hub.get_activity(&hub.actor_id("coop")).await?.json().await?;
    assert_eq!(actor["manuallyApprovesFollowers"], true);

    other.cli(&["admin", "follow", "--as", "hub", &format!("@coop@{}", hub.domain)]).await?;
    let requester = other.actor_id("hub");
    eventually(15, "the request arrives", || async {
        Ok(hub.cli(&["admin", "followers", "list", "coop"]).await?.contains(&format!("pending\t{requester}")))
    })
    .await?;
    assert!(follower_ids(&hub, "coop").await?.is_empty(), "pending followers are not listed");
    assert!(following_ids(&other, "hub").await?.is_empty(), "not accepted yet");

    hub.cli(&["admin", "followers", "accept", "coop", &requester]).await?;
    eventually(15, "the Accept arrives", || async {
        Ok(following_ids(&other, "hub").await? == vec![hub.actor_id("coop")])
    })
    .await?;
    assert_eq!(follower_ids(&hub, "coop").await?, vec![requester.clone()]);

    let error = hub.cli(&["admin", "followers", "accept", "coop", &requester]).await;
    assert!(error.is_ok(), "accepting twice is harmless");
    hub.cli(&["admin", "followers", "reject", "coop", &requester]).await?;
    eventually(15, "the Reject removes the follow on both sides", || async {
        Ok(following_ids(&other, "hub").await?.is_empty() && follower_ids(&hub, "coop").await?.is_empty())
    })
    .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follow_written_while_stopped_is_delivered_after_restart() -> anyhow::Result<()> {
    let mut sender = TestInstance::spawn().await?;
    let receiver = TestInstance::spawn().await?;
    sender.stop().await?;
    // Written to the database while no server runs: only the outbox has it.
    sender.cli(&["admin", "follow", "--as", "hub", &format!("@hub@{}", receiver.domain)]).await?;
    assert_eq!(sender.database().await?.delivery_counts().await?.pending, 1);
    assert!(follower_ids(&receiver, "hub").await?.is_empty());

    sender.resume().await?;
    eventually(15, "the stored Follow is delivered and accepted", || async {
        Ok(following_ids(&sender, "hub").await? == vec![receiver.actor_id("hub")])
    })
    .await?;
    assert_eq!(follower_ids(&receiver, "hub").await?, vec![sender.actor_id("hub")]);
    let counts = sender.database().await?.delivery_counts().await?;
    assert_eq!((counts.pending, counts.done, counts.failed), (0, 1, 0));
    let status = sender.cli(&["admin", "delivery", "status"]).await?;
    assert!(status.contains("all\tpending 0\tdone 1\tfailed 0"), "{status}");
    assert!(status.contains(&format!("{}\tpending 0\tdone 1\tfailed 0", receiver.domain)), "{status}");
    let retried = sender.cli(&["admin", "delivery", "retry", &receiver.domain]).await?;
    assert!(retried.starts_with("0 deliveries"), "{retried}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_and_the_instance_actor() -> anyhow::Result<()> {
    let a = TestInstance::spawn().await?;
    let b = TestInstance::spawn().await?;
    let c = TestInstance::spawn().await?;
    b.cli(&["admin", "enterprise", "create", "coop", "--name", "Coop B"]).await?;
    // The instance actor follows a hub (hub-to-hub instance follows); a hub
    // follows an enterprise by URL; C's hub follows both.
    a.cli(&["admin", "follow", "--as", "actor", &format!("@hub@{}", b.domain)]).await?;
    a.cli(&["admin", "follow", "--as", "hub", &b.actor_id("coop")]).await?;
    c.cli(&["admin", "follow", "--as", "hub", &format!("@coop@{}", b.domain)]).await?;
    c.cli(&["admin", "follow", "--as", "hub", &format!("@hub@{}", a.domain)]).await?;
    eventually(20, "all follows accepted", || async {
        let mut coop = follower_ids(&b, "coop").await?;
        coop.sort();
        let mut expected = vec![a.actor_id("hub"), c.actor_id("hub")];
        expected.sort();
        Ok(coop == expected
            && follower_ids(&b, "hub").await? == vec![a.actor_id("actor")]
            && follower_ids(&a, "hub").await? == vec![c.actor_id("hub")]
            && following_ids(&c, "hub").await?.len() == 2)
    })
    .await?;
    // A handle on this very instance, or nonsense, is refused clearly.
    for target in [format!("@coop@{}", b.domain), "nobody".to_string()] {
        let error = b.cli(&["admin", "follow", "--as", "hub", &target]).await.expect_err("refused");
        assert!(error.to_string().contains("this instance") || error.to_string().contains("expected"), "{error}");
    }
    Ok(())
}
