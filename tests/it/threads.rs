//! Threads: a post's context and replies count hold the replies from every
//! server, in thread order, each for the audience it was written to; its
//! web page shows them.

use maillage_tests::eventually;
use reqwest::Method;
use serde_json::{Value, json};

use crate::api::{call, instance, login, luc_on_b_follows_coop, post_status};

fn ids(list: &Value) -> Vec<String> {
    list.as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap().to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_context_holds_every_servers_replies_in_thread_order_for_their_audience() -> anyhow::Result<()> {
    let a = instance().await?;
    let marie = login(&a, "marie").await?;
    let paul = login(&a, "paul").await?;
    let (b, luc, _) = luc_on_b_follows_coop(&a).await?;

    let (_, post) =
        post_status(&a, &marie, json!({ "status": "Atelier réparation jeudi", "maillage_as": "coop" })).await?;
    let post_id = post["id"].as_str().unwrap().to_string();
    let post_uri = post["uri"].as_str().unwrap().to_string();
    let coop_id = post["account"]["id"].clone();

    // Luc answers from B; A stores his reply.
    let (_, found) =
        call(&b, Method::GET, &format!("/api/v2/search?q={post_uri}&resolve=true"), Some(&luc), None).await?;
    let on_b = found["statuses"][0]["id"].as_str().unwrap_or_else(|| panic!("{found}")).to_string();
    let (status, from_luc) =
        post_status(&b, &luc, json!({ "status": "Je viendrai avec mon vélo", "in_reply_to_id": on_b })).await?;
    assert_eq!(status, 200, "{from_luc}");
    let luc_uri = from_luc["uri"].as_str().unwrap().to_string();
    let context_path = format!("/api/v1/statuses/{post_id}/context");
    eventually(20, "A holds luc's reply in the post's context", || async {
        let (_, context) = call(&a, Method::GET, &context_path, None, None).await?;
        Ok(context["descendants"].as_array().unwrap().iter().any(|s| s["uri"] == luc_uri.as_str()))
    })
    .await?;
    let (_, context) = call(&a, Method::GET, &context_path, None, None).await?;
    let luc_reply = context["descendants"][0].clone();
    assert_eq!(luc_reply["in_reply_to_id"], post_id.as_str());
    assert_eq!(luc_reply["in_reply_to_account_id"], coop_id);
    assert_eq!(luc_reply["account"]["acct"], format!("luc@{}", b.domain));
    let luc_reply_id = luc_reply["id"].as_str().unwrap().to_string();
    let luc_id = luc_reply["account"]["id"].clone();

    // Marie answers the post, then luc's reply (naming him); paul answers for his followers only.
    let (_, from_marie) =
        post_status(&a, &marie, json!({ "status": "Merci pour l'annonce", "in_reply_to_id": post_id })).await?;
    let (_, to_luc) = post_status(
        &a,
        &marie,
        json!({ "status": format!("@luc@{} super, à jeudi", b.domain), "in_reply_to_id": luc_reply_id }),
    )
    .await?;
    assert_eq!(from_marie["application"]["name"], "test", "the app marie posted with: {from_marie}");
    assert_eq!(luc_reply["application"], Value::Null);
    assert_eq!(to_luc["in_reply_to_id"], luc_reply_id.as_str());
    assert_eq!(to_luc["in_reply_to_account_id"], luc_id);
    assert_eq!(to_luc["mentions"][0]["id"], luc_id, "{to_luc}");
    assert_eq!(to_luc["mentions"][0]["acct"], format!("luc@{}", b.domain));
    let (_, private) = post_status(
        &a,
        &paul,
        json!({ "status": "Seulement pour mes abonnés", "in_reply_to_id": post_id, "visibility": "private" }),
    )
    .await?;

    // Depth first, each reply after its parent, siblings oldest first.
    let in_order =
        vec![luc_reply_id.clone(), to_luc["id"].as_str().unwrap().into(), from_marie["id"].as_str().unwrap().into()];
    let (_, context) = call(&a, Method::GET, &format!("/api/v1/statuses/{post_id}/context"), None, None).await?;
    assert_eq!(ids(&context["descendants"]), in_order, "anonymous: {context}");
    assert_eq!(context["ancestors"], json!([]));
    // Paul sees his own followers-only reply; nobody else does.
    let (_, context) = call(&a, Method::GET, &format!("/api/v1/statuses/{post_id}/context"), Some(&paul), None).await?;
    let mut with_private = in_order.clone();
    with_private.push(private["id"].as_str().unwrap().into());
    assert_eq!(ids(&context["descendants"]), with_private, "paul: {context}");
    let (_, context) =
        call(&a, Method::GET, &format!("/api/v1/statuses/{post_id}/context"), Some(&marie), None).await?;
    assert_eq!(ids(&context["descendants"]), in_order, "marie: {context}");

    // The context of marie's answer to luc: the post, then luc's reply.
    let (_, context) =
        call(&a, Method::GET, &format!("/api/v1/statuses/{}/context", to_luc["id"].as_str().unwrap()), None, None)
            .await?;
    assert_eq!(ids(&context["ancestors"]), vec![post_id.clone(), luc_reply_id.clone()]);

    // Direct replies anyone may read.
    let (_, shown) = call(&a, Method::GET, &format!("/api/v1/statuses/{post_id}"), None, None).await?;
    assert_eq!(shown["replies_count"], 2, "{shown}");
    let (_, shown) = call(&a, Method::GET, &format!("/api/v1/statuses/{luc_reply_id}"), None, None).await?;
    assert_eq!(shown["replies_count"], 1, "{shown}");

    // The post's page shows the replies its reader may see.
    let page = a.http.get(&post_uri).header("accept", "text/html").send().await?.text().await?;
    assert!(page.contains("Je viendrai avec mon vélo") && page.contains("Merci pour l"), "{page}");
    assert!(page.contains("super, à jeudi"), "{page}");
    assert!(!page.contains("Seulement pour mes abonnés"), "{page}");

    // Deleting answers the source, for apps that delete and redraft.
    let (status, deleted) = call(
        &a,
        Method::DELETE,
        &format!("/api/v1/statuses/{}", from_marie["id"].as_str().unwrap()),
        Some(&marie),
        None,
    )
    .await?;
    assert_eq!(status, 200, "{deleted}");
    assert_eq!(deleted["text"], "Merci pour l'annonce");
    Ok(())
}
