//! Accounts as apps see them: an enterprise's profile fields, and the
//! sizes a remote actor's collections give.

use maillage_tests::eventually;
use reqwest::Method;
use serde_json::{Value, json};

use crate::api::{call, instance, login, luc_on_b_follows_coop, post_status};

fn field_names(account: &Value) -> Vec<String> {
    account["fields"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap().to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_show_profile_fields_and_remote_counts() -> anyhow::Result<()> {
    let a = instance().await?;
    a.cli(&[
        "admin",
        "enterprise",
        "update",
        "coop",
        "--legal-form",
        "cooperative",
        "--website",
        "https://coop.example",
    ])
    .await?;
    let marie = login(&a, "marie").await?;
    for text in ["Ouvert lundi", "Fermé mardi"] {
        post_status(&a, &marie, json!({ "status": text, "maillage_as": "coop" })).await?;
    }
    let (_, post) = post_status(&a, &marie, json!({ "status": "Ouvert mercredi" })).await?;
    // Marie is a member: no profile fields.
    assert_eq!(post["account"]["fields"], json!([]));
    let (_, coop_post) = post_status(&a, &marie, json!({ "status": "Ouvert jeudi", "maillage_as": "coop" })).await?;
    let coop = &coop_post["account"];
    assert_eq!(field_names(coop), vec!["Forme juridique", "Site web"], "{coop}");
    assert_eq!(coop["fields"][0]["value"], "Coopérative");
    assert_eq!(coop["fields"][0]["verified_at"], Value::Null);
    assert!(coop["fields"][1]["value"].as_str().unwrap().contains("https://coop.example"));

    // On B, coop shows the fields it federates and the sizes of its collections.
    let (b, luc, coop_on_b) = luc_on_b_follows_coop(&a).await?;
    let path = format!("/api/v1/accounts/{coop_on_b}");
    eventually(20, "B knows the size of coop's outbox", || async {
        let (_, account) = call(&b, Method::GET, &path, Some(&luc), None).await?;
        Ok(account["statuses_count"] == 3)
    })
    .await?;
    let (_, account) = call(&b, Method::GET, &path, Some(&luc), None).await?;
    assert_eq!(field_names(&account), vec!["Forme juridique", "Site web"], "{account}");
    assert!(account["fields"][1]["value"].as_str().unwrap().contains("https://coop.example"));
    assert_eq!(account["following_count"], 0);
    assert!(account["created_at"].as_str().is_some_and(|t| !t.is_empty()), "{account}");
    Ok(())
}
