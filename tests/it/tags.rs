//! Tag timelines and content warnings through the client API, with posts
//! from this instance and from another one.

use maillage_tests::{TestInstance, eventually};
use reqwest::Method;
use serde_json::{Value, json};

use crate::api::{PASSWORD, call, instance, login, luc_on_b_follows_coop, post_status};

/// The statuses of a page and its Link header (`rel` → URL).
async fn page(
    instance: &TestInstance,
    url: &str,
) -> anyhow::Result<(Vec<Value>, std::collections::HashMap<String, String>)> {
    let url = if url.starts_with("http") { url.to_string() } else { instance.url(url) };
    let response = instance.http.get(&url).send().await?;
    anyhow::ensure!(response.status() == 200, "{url}: {}", response.status());
    let mut links = std::collections::HashMap::new();
    if let Some(header) = response.headers().get("link") {
        for part in header.to_str()?.split(", ") {
            let (target, rel) = part.split_once("; rel=").unwrap();
            links.insert(rel.trim_matches('"').to_string(), target.trim_matches(['<', '>']).to_string());
        }
    }
    let statuses = response.json::<Value>().await?.as_array().unwrap().clone();
    Ok((statuses, links))
}

fn ids(statuses: &[Value]) -> Vec<&str> {
    statuses.iter().map(|s| s["id"].as_str().unwrap()).collect()
}

/// Posts as marie on A and returns the status.
async fn post(a: &TestInstance, token: &str, body: Value) -> anyhow::Result<Value> {
    let (status, posted) = post_status(a, token, body.clone()).await?;
    anyhow::ensure!(status == 200, "{body}: {status} {posted}");
    Ok(posted)
}

/// The status containing `text` in a timeline of A, once it is there.
async fn status_in(a: &TestInstance, path: &str, text: &str) -> anyhow::Result<Value> {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let (statuses, _) = page(a, path).await?;
        if let Some(found) = statuses.into_iter().find(|s| s["content"].as_str().unwrap_or_default().contains(text)) {
            return Ok(found);
        }
        anyhow::ensure!(tokio::time::Instant::now() < deadline, "{text:?} never showed in {path}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tag_timelines_show_local_and_remote_posts() -> anyhow::Result<()> {
    let a = instance().await?;
    let b = TestInstance::spawn().await?;
    b.cli(&["admin", "enterprise", "create", "ferme", "--name", "La Ferme"]).await?;
    b.cli_with_input(&["admin", "user", "create", "luc"], &format!("{PASSWORD}\n")).await?;
    b.cli(&["admin", "enterprise", "add-editor", "ferme", "luc"]).await?;
    let marie = login(&a, "marie").await?;

    // Marie follows the farm on B, so that its posts reach A.
    let (_, found) =
        call(&a, Method::GET, &format!("/api/v2/search?q=@ferme@{}&resolve=true", b.domain), Some(&marie), None)
            .await?;
    let ferme_id = found["accounts"][0]["id"].as_str().unwrap_or_else(|| panic!("{found}")).to_string();
    call(&a, Method::POST, &format!("/api/v1/accounts/{ferme_id}/follow"), Some(&marie), None).await?;
    eventually(15, "the follow is accepted", || async {
        let path = format!("/api/v1/accounts/relationships?id[]={ferme_id}");
        Ok(call(&a, Method::GET, &path, Some(&marie), None).await?.1[0]["following"] == true)
    })
    .await?;

    let first = post(&a, &marie, json!({ "status": "Atelier ouvert #velo" })).await?;
    let printed = b
        .cli(&["admin", "post", "note", "--enterprise", "ferme", "--author", "luc", "--text", "Paniers à vélo #Vélo"])
        .await?;
    let remote_uri = printed.trim().trim_start_matches("published ").to_string();
    let remote = status_in(&a, "/api/v1/timelines/tag/velo", "Paniers").await?;
    assert_eq!(remote["account"]["acct"], format!("ferme@{}", b.domain));
    assert_eq!(remote["tags"], json!([{ "name": "vélo", "url": a.url("/tags/v%C3%A9lo") }]));
    post(&a, &marie, json!({ "status": "Entre nous #velo", "visibility": "private" })).await?;
    post(&a, &marie, json!({ "status": "Rien à voir #jardin" })).await?;
    let last = post(&a, &marie, json!({ "status": "Réparations #VÉLO", "maillage_as": "coop" })).await?;
    assert_eq!(last["tags"], json!([{ "name": "vélo", "url": a.url("/tags/v%C3%A9lo") }]));

    // Newest first, local and remote merged; followers-only posts stay out;
    // case, accents and a leading # do not matter.
    let expected = vec![last["id"].as_str().unwrap(), remote["id"].as_str().unwrap(), first["id"].as_str().unwrap()];
    for path in ["/api/v1/timelines/tag/velo", "/api/v1/timelines/tag/V%C3%A9LO", "/api/v1/timelines/tag/%23Velo"] {
        let (statuses, _) = page(&a, path).await?;
        assert_eq!(ids(&statuses), expected, "{path}");
    }
    let (local, _) = page(&a, "/api/v1/timelines/tag/velo?local=true").await?;
    assert_eq!(ids(&local), vec![expected[0], expected[2]]);
    let (remote_only, _) = page(&a, "/api/v1/timelines/tag/velo?remote=true").await?;
    assert_eq!(ids(&remote_only), vec![expected[1]]);

    // Pages of one, through the Link headers, both ways.
    let (one, links) = page(&a, "/api/v1/timelines/tag/velo?limit=1").await?;
    assert_eq!(ids(&one), vec![expected[0]]);
    assert!(links["next"].starts_with(&a.url("/api/v1/timelines/tag/velo?max_id=")), "{links:?}");
    let (two, links) = page(&a, &links["next"]).await?;
    assert_eq!(ids(&two), vec![expected[1]]);
    let (three, links) = page(&a, &links["next"]).await?;
    assert_eq!(ids(&three), vec![expected[2]]);
    let (back, _) = page(&a, &links["prev"]).await?;
    assert_eq!(ids(&back), vec![expected[1]], "min_id gives the status right after");
    let (end, links) = page(&a, &links["next"]).await?;
    assert!(end.is_empty() && links.is_empty());
    let (newer, _) = page(&a, &format!("/api/v1/timelines/tag/velo?since_id={}", expected[2])).await?;
    assert_eq!(ids(&newer), vec![expected[0], expected[1]]);
    let (_, links) = page(&a, "/api/v1/timelines/tag/velo?local=true&limit=1").await?;
    let (local_two, _) = page(&a, &links["next"]).await?;
    assert_eq!(ids(&local_two), vec![expected[2]], "the filter is kept in the links: {links:?}");

    // Edits move posts between tags, here and from B; deletes take them out.
    let path = format!("/api/v1/statuses/{}", expected[2]);
    let (status, _) = call(&a, Method::PUT, &path, Some(&marie), Some(json!({ "status": "Plutôt #jardin" }))).await?;
    assert_eq!(status, 200);
    let (statuses, _) = page(&a, "/api/v1/timelines/tag/velo").await?;
    assert_eq!(ids(&statuses), vec![expected[0], expected[1]]);
    let (statuses, _) = page(&a, "/api/v1/timelines/tag/jardin").await?;
    assert_eq!(statuses.len(), 2);
    let (status, _) =
        call(&a, Method::DELETE, &format!("/api/v1/statuses/{}", expected[0]), Some(&marie), None).await?;
    assert_eq!(status, 200);
    let (statuses, _) = page(&a, "/api/v1/timelines/tag/velo").await?;
    assert_eq!(ids(&statuses), vec![expected[1]]);

    b.cli(&["admin", "post", "edit-note", &remote_uri, "--text", "Paniers du #potager"]).await?;
    status_in(&a, "/api/v1/timelines/tag/potager", "Paniers").await?;
    let (statuses, _) = page(&a, "/api/v1/timelines/tag/velo").await?;
    assert!(statuses.is_empty(), "{statuses:?}");
    b.cli(&["admin", "post", "delete", &remote_uri]).await?;
    eventually(20, "B's deleted post leaves A's tag timeline", || async {
        Ok(page(&a, "/api/v1/timelines/tag/potager").await?.0.is_empty())
    })
    .await?;

    // The Tag entity; names that are no tag are 404, unknown tags are empty.
    let (status, tag) = call(&a, Method::GET, "/api/v1/tags/V%C3%A9lo", None, None).await?;
    assert_eq!(status, 200);
    assert_eq!(tag, json!({ "name": "vélo", "url": a.url("/tags/v%C3%A9lo"), "history": [], "following": false }));
    for path in ["/api/v1/tags/a-b", "/api/v1/timelines/tag/a-b", "/api/v1/timelines/tag/%3Cscript%3E"] {
        let (status, body) = call(&a, Method::GET, path, None, None).await?;
        assert_eq!(status, 404, "{path}: {body}");
        assert!(body["error"].is_string(), "{body}");
    }
    let long = format!("/api/v1/timelines/tag/{}", "a".repeat(101));
    assert_eq!(call(&a, Method::GET, &long, None, None).await?.0, 404);
    assert_eq!(call(&a, Method::GET, "/api/v1/timelines/tag/inconnu", None, None).await?.1, json!([]));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn content_warnings_travel_as_summary_and_sensitive() -> anyhow::Result<()> {
    let a = instance().await?;
    let marie = login(&a, "marie").await?;

    // Luc, on B, follows the enterprise coop on A.
    let (b, luc, coop_on_b) = luc_on_b_follows_coop(&a).await?;
    eventually(15, "A accepts luc's follow", || async {
        let path = format!("/api/v1/accounts/relationships?id[]={coop_on_b}");
        Ok(call(&b, Method::GET, &path, Some(&luc), None).await?.1[0]["following"] == true)
    })
    .await?;

    let posted = post(
        &a,
        &marie,
        json!({ "status": "Le héros gagne à la fin.", "spoiler_text": " Fin du film ", "maillage_as": "coop" }),
    )
    .await?;
    assert_eq!((posted["spoiler_text"].clone(), posted["sensitive"].clone()), (json!("Fin du film"), json!(true)));
    let uri = posted["uri"].as_str().unwrap().to_string();
    let note: Value = a.get_activity(&uri).await?.json().await?;
    assert_eq!((note["summary"].clone(), note["sensitive"].clone()), (json!("Fin du film"), json!(true)));

    // B shows it behind the same warning.
    let home_status = || async {
        let (_, home) = call(&b, Method::GET, "/api/v1/timelines/home", Some(&luc), None).await?;
        anyhow::Ok(home.as_array().unwrap().iter().find(|s| s["uri"] == json!(uri)).cloned().unwrap_or(Value::Null))
    };
    eventually(20, "the post reaches B", || async { Ok(!home_status().await?.is_null()) }).await?;
    let on_b = home_status().await?;
    assert_eq!((on_b["spoiler_text"].clone(), on_b["sensitive"].clone()), (json!("Fin du film"), json!(true)));
    assert!(on_b["content"].as_str().unwrap().contains("héros"));

    // An edit without spoiler_text keeps the warning; an empty one takes it
    // off. (B is waited for in between: two Updates may arrive in any order.)
    let path = format!("/api/v1/statuses/{}", posted["id"].as_str().unwrap());
    let (_, kept) = call(&a, Method::PUT, &path, Some(&marie), Some(json!({ "status": "Le héros perd." }))).await?;
    assert_eq!(kept["spoiler_text"], "Fin du film");
    eventually(20, "B sees the edit, still behind its warning", || async {
        let on_b = home_status().await?;
        Ok(on_b["content"].as_str().unwrap_or_default().contains("perd") && on_b["spoiler_text"] == "Fin du film")
    })
    .await?;
    let lift = json!({ "status": "Le héros revient.", "spoiler_text": "" });
    let (_, lifted) = call(&a, Method::PUT, &path, Some(&marie), Some(lift)).await?;
    assert_eq!((lifted["spoiler_text"].clone(), lifted["sensitive"].clone()), (json!(""), json!(false)));
    let note: Value = a.get_activity(&uri).await?.json().await?;
    assert!(note.get("summary").is_none() && note["sensitive"] == false, "{note}");
    eventually(20, "B sees the warning lifted", || async {
        let on_b = home_status().await?;
        Ok(on_b["content"].as_str().unwrap_or_default().contains("revient") && on_b["spoiler_text"] == "")
    })
    .await?;
    assert_eq!(home_status().await?["sensitive"], false);

    // A practice's summary stays its abstract, not a warning.
    let (status, practice) = call(
        &a,
        Method::POST,
        "/api/maillage/v1/practices",
        Some(&marie),
        Some(json!({ "enterprise": "coop", "title": "Cuisine collective", "summary": "Comment démarrer.",
                     "body": "Trouver une cuisine.", "language": "fr" })),
    )
    .await?;
    assert_eq!(status, 201, "{practice}");
    let (_, timeline) = call(&a, Method::GET, "/api/v1/accounts/lookup?acct=coop", None, None).await?;
    let (_, statuses) =
        call(&a, Method::GET, &format!("/api/v1/accounts/{}/statuses", timeline["id"].as_str().unwrap()), None, None)
            .await?;
    let shown = statuses.as_array().unwrap().iter().find(|s| s["uri"] == practice["uri"]).unwrap();
    assert_eq!((shown["spoiler_text"].clone(), shown["sensitive"].clone()), (json!(""), json!(false)));
    assert!(shown["content"].as_str().unwrap().contains("Comment démarrer."));

    // Bad input.
    for (body, expected) in [
        (json!({ "status": "x", "spoiler_text": "w".repeat(10_000) }), 422),
        (json!({ "status": "x".repeat(4_600), "spoiler_text": "w".repeat(401) }), 422),
        (json!({ "status": "x", "spoiler_text": "w", "media_ids": ["1"] }), 422),
    ] {
        let (status, answer) = post_status(&a, &marie, body).await?;
        assert_eq!(status, expected, "{answer}");
        assert!(answer["error"].is_string(), "{answer}");
    }
    let (status, answer) =
        call(&a, Method::PUT, &path, Some(&marie), Some(json!({ "status": "x", "spoiler_text": "w".repeat(10_000) })))
            .await?;
    assert_eq!(status, 422, "{answer}");
    Ok(())
}
