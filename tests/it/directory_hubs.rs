//! The network directory names the hub that lists each entry: the CLI's
//! network list, the API and the page, across real instances.

use maillage_tests::{TestInstance, eventually};
use serde_json::Value;

/// An instance whose hub lists one enterprise, `name`.
async fn hub_listing(name: &str) -> anyhow::Result<TestInstance> {
    let hub = TestInstance::spawn().await?;
    hub.cli(&["admin", "enterprise", "create", "coop", "--name", name]).await?;
    hub.cli(&["admin", "enterprise", "update", "coop", "--name-fr", name, "--region", "estrie"]).await?;
    Ok(hub)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_network_list_names_each_enterprises_hub_and_filters_by_it() -> anyhow::Result<()> {
    let north = hub_listing("Coop du Nord").await?;
    let south = hub_listing("Coop du Sud").await?;
    let b = TestInstance::spawn().await?;
    for hub in [&north, &south] {
        b.cli(&["admin", "follow", "--as", "hub", &format!("@hub@{}", hub.domain)]).await?;
    }
    eventually(15, "B follows both hubs", || async {
        Ok(b.collection_items(&format!("{}/following", b.actor_id("hub"))).await?.len() == 2)
    })
    .await?;
    b.cli(&["admin", "directory", "sync"]).await?;

    let listed = b.cli(&["admin", "enterprise", "list", "--network"]).await?;
    for (hub, name) in [(&north, "Coop du Nord"), (&south, "Coop du Sud")] {
        let line = format!("@coop@{}\t{name}\testrie\t{}\t@hub@{}\n", hub.domain, hub.actor_id("coop"), hub.domain);
        assert!(listed.contains(&line), "{line:?} in {listed}");
    }
    assert!(listed.contains("2 enterprise(s) in the network directory"), "{listed}");
    let only_north =
        b.cli(&["admin", "enterprise", "list", "--network", "--hub", &format!("hub@{}", north.domain)]).await?;
    assert!(only_north.contains("Coop du Nord") && !only_north.contains("Coop du Sud"), "{only_north}");
    assert!(only_north.contains(&format!("1 enterprise(s) listed by @hub@{}", north.domain)), "{only_north}");
    let refused =
        b.cli(&["admin", "enterprise", "list", "--network", "--hub", "nord"]).await.expect_err("not a handle");
    assert!(refused.to_string().contains("NAME@DOMAIN"), "{refused}");
    b.cli(&["admin", "enterprise", "list", "--hub", &format!("hub@{}", north.domain)])
        .await
        .expect_err("--hub filters the network list only");

    // The API and the page say the same.
    let api: Vec<Value> =
        b.get(&format!("/api/maillage/v1/enterprises?hub=hub@{}", south.domain)).await?.json().await?;
    let names: Vec<&str> = api.iter().map(|e| e["name"].as_str().unwrap_or_default()).collect();
    assert_eq!(names, vec!["Coop du Sud"]);
    assert_eq!(api[0]["hub"]["id"], south.actor_id("hub"));
    let page = b.get("/directory?lang=fr").await?.text().await?;
    assert!(page.contains(&format!("?hub=hub%40{}", north.domain.replace(':', "%3A"))), "{page}");
    Ok(())
}
