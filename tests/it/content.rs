//! Content across hubs: hub B follows hub A; A's enterprise publishes a
//! practice and an update, edits and deletes; B's directory holds the
//! enterprise's full profile; remote HTML is sanitised; deletes win.

use maillage_tests::{TestInstance, eventually, publish_practice};
use serde_json::Value;

/// Hub A with an enterprise `coop` (full profile) and its editor `marie`;
/// hub B follows hub A.
async fn two_hubs() -> anyhow::Result<(TestInstance, TestInstance)> {
    let a = TestInstance::spawn().await?;
    let b = TestInstance::spawn().await?;
    a.cli(&["admin", "enterprise", "create", "coop", "--name", "Coop Vélo"]).await?;
    a.cli_with_input(&["admin", "user", "create", "marie"], "un mot de passe sûr\n").await?;
    a.cli(&["admin", "enterprise", "add-editor", "coop", "marie"]).await?;
    a.cli(&[
        "admin",
        "enterprise",
        "update",
        "coop",
        "--name-en",
        "Bike Co-op",
        "--summary",
        "Réparation & location de vélos",
        "--legal-form",
        "cooperative",
        "--coop-type",
        "workers",
        "--sector",
        "transport",
        "--sector",
        "recycling",
        "--region",
        "estrie",
        "--address",
        "12 rue King, Sherbrooke",
        "--lat",
        "45.4",
        "--lon",
        "-71.89",
        "--website",
        "https://velo.example",
        "--founded",
        "1998",
        "--language",
        "fr",
        "--language",
        "en",
    ])
    .await?;
    b.cli(&["admin", "follow", "--as", "hub", &format!("@hub@{}", a.domain)]).await?;
    eventually(15, "B follows A", || async {
        Ok(b.collection_items(&format!("{}/following", b.actor_id("hub"))).await? == vec![a.actor_id("hub")])
    })
    .await?;
    Ok((a, b))
}

fn published_url(printed: &str) -> String {
    printed.trim().strip_prefix("published ").expect("published URL").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_enterprise_profile_goes_on_the_wire() -> anyhow::Result<()> {
    let (a, _b) = two_hubs().await?;
    let coop: Value = a.get_activity(&a.actor_id("coop")).await?.json().await?;
    assert_eq!(coop["type"], "Organization");
    assert_eq!(coop["name"], "Coop Vélo");
    assert_eq!(coop["nameMap"]["fr"], "Coop Vélo");
    assert_eq!(coop["nameMap"]["en"], "Bike Co-op");
    assert_eq!(coop["summary"], "<p>Réparation &amp; location de vélos</p>");
    let fields = coop["attachment"].as_array().unwrap();
    let names: Vec<&str> = fields.iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["Forme juridique", "Secteur", "Région", "Site web"]);
    assert_eq!(fields[0]["value"], "Coopérative");
    assert!(fields[3]["value"].as_str().unwrap().contains("rel=\"me"), "{}", fields[3]);
    let tags: Vec<&str> = coop["tag"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(tags, vec!["#cooperative", "#transport", "#recycling"]);
    assert_eq!(coop["location"]["type"], "Place");
    assert_eq!(coop["location"]["latitude"], 45.4);
    assert_eq!(coop["location"]["address"]["addressRegion"], "Estrie");
    assert_eq!(coop["enterpriseProfile"]["legalForm"], "cooperative");
    assert_eq!(coop["enterpriseProfile"]["coopType"], "workers");
    assert_eq!(coop["foundingDate"], "1998");
    assert!(coop["legalForm"].as_str().unwrap().starts_with("http://purl.org/essglobal/"));

    // Bad values are refused with the field named, and nothing changes.
    for (flag, value, field) in [
        ("--legal-form", "corporation", "legal_form"),
        ("--sector", "nope", "sector"),
        ("--website", "javascript:alert(1)", "website"),
        ("--region", "atlantis", "region"),
    ] {
        let error = a.cli(&["admin", "enterprise", "update", "coop", flag, value]).await.expect_err(flag).to_string();
        assert!(error.contains(field), "{flag}: {error}");
    }
    let again: Value = a.get_activity(&a.actor_id("coop")).await?.json().await?;
    assert_eq!(again["enterpriseProfile"], coop["enterpriseProfile"]);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn practices_and_updates_reach_a_following_hub() -> anyhow::Result<()> {
    let (a, b) = two_hubs().await?;
    let practice = publish_practice(
        &a.config,
        [
            "Atelier d'autoréparation",
            "Comment ouvrir un atelier de réparation de vélos en coopérative.",
            "## Étapes\n\n1. Trouver un local\n2. **Former** les bénévoles\n\n<script>alert(1)</script>",
        ],
        &["--tag", "Vélo", "--tag", "economie_circulaire"],
    )
    .await?;
    let note = published_url(
        &a.cli(&[
            "admin",
            "post",
            "note",
            "--enterprise",
            "coop",
            "--author",
            "marie",
            "--text",
            "Ouvert samedi! #velo",
        ])
        .await?,
    );

    // A serves both, with the fields Mastodon and others read.
    let article: Value = a.get_activity(&practice).await?.json().await?;
    assert_eq!(article["type"], "Article");
    assert_eq!(article["name"], "Atelier d'autoréparation");
    // The excerpt by language only: never a content warning (docs/FEDERATION.md).
    assert!(article["summaryMap"]["fr"].as_str().unwrap().starts_with("Comment ouvrir"), "{article}");
    assert_eq!(article["summary"], Value::Null);
    assert_eq!(article["sensitive"], false);
    assert!(article["content"].as_str().unwrap().starts_with("<h2>Atelier d'autoréparation</h2><p>Comment ouvrir"));
    assert_eq!(article["preview"]["type"], "Note");
    assert!(article["preview"]["content"].as_str().unwrap().contains("Comment ouvrir"));
    assert_eq!(article["url"], practice);
    assert_eq!(article["attributedTo"], a.actor_id("coop"));
    assert_eq!(article["author"], a.actor_id("marie"));
    assert!(article["content"].as_str().unwrap().contains("<strong>Former</strong>"));
    assert!(!article["content"].as_str().unwrap().contains("<script"));
    assert_eq!(article["license"], "https://creativecommons.org/licenses/by-sa/4.0/");
    assert_eq!(article["to"][0], "https://www.w3.org/ns/activitystreams#Public");
    let hashtags: Vec<&str> = article["tag"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(hashtags, vec!["#vélo", "#economie_circulaire"]);
    let update: Value = a.get_activity(&note).await?.json().await?;
    assert_eq!(update["type"], "Note");
    assert!(update["content"].as_str().unwrap().contains("class=\"mention hashtag\""), "{}", update["content"]);
    assert!(update["content"].as_str().unwrap().contains("@marie"), "the author is credited");
    assert_eq!(update["contentMap"]["fr"], update["content"]);

    // B got both through A's hub, and knows the enterprise with its profile.
    let b_db = b.database().await?;
    eventually(20, "B stores the practice and the update", || async {
        Ok(b_db.remote_object(&practice).await?.is_some() && b_db.remote_object(&note).await?.is_some())
    })
    .await?;
    let stored = b_db.remote_object(&practice).await?.unwrap();
    assert_eq!(stored.kind, "Article");
    assert_eq!(stored.name.as_deref(), Some("Atelier d'autoréparation"));
    assert!(stored.content_html.unwrap().contains("Former"));
    let coop = b_db.remote_actor_by_ap_id(&a.actor_id("coop")).await?.expect("the enterprise is in B's directory");
    let profile: Value = serde_json::from_str(coop.profile_json.as_deref().expect("with its profile"))?;
    assert_eq!(profile["legalForm"], "cooperative");
    assert_eq!(profile["sectors"], serde_json::json!(["transport", "recycling"]));
    // Announced by A's hub, which B follows: listed in B's directory.
    eventually(10, "the enterprise is listed", || async {
        Ok(b_db.listed_remote_enterprises(5000, 10).await?.len() == 1)
    })
    .await?;
    let listed = b.cli(&["admin", "enterprise", "list", "--network"]).await?;
    assert!(listed.contains(&format!("@coop@{}\tCoop Vélo\testrie", a.domain)), "{listed}");

    // An edit reaches B; so does a profile change.
    a.cli(&["admin", "post", "edit-note", &note, "--text", "Ouvert samedi et dimanche! #velo"]).await?;
    a.cli(&["admin", "enterprise", "update", "coop", "--status", "active"]).await?;
    eventually(20, "B sees the edit and the new profile", || async {
        let edited = b_db.remote_object(&note).await?.and_then(|o| o.content_html).unwrap_or_default();
        let profile =
            b_db.remote_actor_by_ap_id(&a.actor_id("coop")).await?.and_then(|r| r.profile_json).unwrap_or_default();
        Ok(edited.contains("dimanche") && profile.contains("\"status\":\"active\""))
    })
    .await?;
    let edited: Value = a.get_activity(&note).await?.json().await?;
    assert!(edited["updated"].is_string());

    // A delete: A serves a Tombstone with 410, B drops the update.
    a.cli(&["admin", "post", "delete", &note]).await?;
    let response = a.get_activity(&note).await?;
    assert_eq!(response.status(), 410);
    let tombstone: Value = response.json().await?;
    assert_eq!(tombstone["type"], "Tombstone");
    eventually(20, "B drops the deleted update", || async {
        Ok(b_db.remote_object(&note).await?.is_some_and(|o| o.deleted && o.content_html.is_none()))
    })
    .await?;
    // The outbox lists what is public; the hub features the practice.
    let outbox = a.collection_entries(&format!("{}/outbox", a.actor_id("coop"))).await?;
    let listed: Vec<(&str, &str, &str)> = outbox
        .iter()
        .map(|activity| {
            let object = &activity["object"];
            let id = object["id"].as_str().or(object.as_str()).unwrap_or_default();
            (activity["type"].as_str().unwrap_or_default(), activity["actor"].as_str().unwrap_or_default(), id)
        })
        .collect();
    let coop = a.actor_id("coop");
    assert_eq!(listed, vec![("Create", coop.as_str(), practice.as_str())], "the deleted note is left out: {outbox:?}");
    assert_eq!(outbox[0]["object"]["type"], "Article", "the practice itself is listed: {outbox:?}");
    a.cli(&["admin", "hub", "feature", &practice]).await?;
    let featured: Value = a.get_activity(&format!("{}/featured", a.actor_id("hub"))).await?.json().await?;
    assert_eq!(featured["orderedItems"], serde_json::json!([practice]));
    let error = a.cli(&["admin", "hub", "feature", &note]).await.expect_err("a deleted post cannot be featured");
    assert!(error.to_string().contains("featured"), "{error}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_editors_publish_and_bad_posts_are_refused() -> anyhow::Result<()> {
    let a = TestInstance::spawn().await?;
    a.cli(&["admin", "enterprise", "create", "coop", "--name", "Coop"]).await?;
    a.cli_with_input(&["admin", "user", "create", "paul"], "un mot de passe sûr\n").await?;
    let error = a.cli(&["admin", "post", "note", "--enterprise", "coop", "--author", "paul", "--text", "x"]).await;
    assert!(error.expect_err("not an editor").to_string().contains("add-editor"));
    a.cli(&["admin", "enterprise", "add-editor", "coop", "paul"]).await?;
    let cases: [(&[&str], &str); 4] = [
        (&["admin", "post", "note", "--enterprise", "coop", "--author", "paul", "--text", "  "], "some text"),
        (
            &["admin", "post", "note", "--enterprise", "coop", "--author", "paul", "--text", "x", "--language", "de"],
            "language",
        ),
        (
            &[
                "admin",
                "post",
                "practice",
                "--enterprise",
                "coop",
                "--author",
                "paul",
                "--title",
                "T",
                "--summary",
                &"s".repeat(501),
                "--body",
                "b",
            ],
            "500",
        ),
        (
            &[
                "admin",
                "post",
                "practice",
                "--enterprise",
                "coop",
                "--author",
                "paul",
                "--title",
                "T",
                "--summary",
                "s",
                "--body",
                "b",
                "--adapted-from",
                "not a url",
            ],
            "adapted_from",
        ),
    ];
    for (args, expected) in cases {
        let error = a.cli(args).await.expect_err(expected).to_string();
        assert!(error.contains(expected), "{args:?}: {error}");
    }
    assert!(
        a.database()
            .await?
            .posts_of(a.database().await?.local_actor_by_username("coop").await?.unwrap().id, None, 10)
            .await?
            .is_empty()
    );
    Ok(())
}

async fn enterprise_with_editor(instance: &TestInstance, enterprise: &str, member: &str) -> anyhow::Result<()> {
    instance.cli(&["admin", "enterprise", "create", enterprise, "--name", enterprise]).await?;
    instance.cli_with_input(&["admin", "user", "create", member], "un mot de passe sûr\n").await?;
    instance.cli(&["admin", "enterprise", "add-editor", enterprise, member]).await?;
    Ok(())
}

async fn drained(instance: &TestInstance) -> anyhow::Result<()> {
    let db = instance.database().await?;
    eventually(20, "deliveries drained", || async {
        let counts = db.delivery_counts().await?;
        Ok(counts.pending == 0)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_mentions_followers_only_and_reshares() -> anyhow::Result<()> {
    let (a, b) = two_hubs().await?;
    let c = TestInstance::spawn().await?;
    enterprise_with_editor(&c, "ferme", "luc").await?;
    let c_note = published_url(
        &c.cli(&["admin", "post", "note", "--enterprise", "ferme", "--author", "luc", "--text", "Récolte ouverte"])
            .await?,
    );

    // A reply from A reaches C, who follows nobody: delivered to the parent's author.
    let reply = published_url(
        &a.cli(&[
            "admin",
            "post",
            "note",
            "--enterprise",
            "coop",
            "--author",
            "marie",
            "--text",
            "Bravo! On passe samedi.",
            "--reply-to",
            &c_note,
        ])
        .await?,
    );
    let document: Value = a.get_activity(&reply).await?.json().await?;
    assert_eq!(document["inReplyTo"], c_note.as_str());
    let c_db = c.database().await?;
    eventually(20, "C stores the reply", || async {
        Ok(c_db.remote_object(&reply).await?.is_some_and(|o| o.in_reply_to.as_deref() == Some(c_note.as_str())))
    })
    .await?;

    // A mention: the mentioned actor's server receives it, with a Mention tag.
    let mention = published_url(
        &a.cli(&[
            "admin",
            "post",
            "note",
            "--enterprise",
            "coop",
            "--author",
            "marie",
            "--text",
            &format!("Merci @ferme@{} pour les légumes", c.domain),
        ])
        .await?,
    );
    let document: Value = a.get_activity(&mention).await?.json().await?;
    let tags = document["tag"].as_array().unwrap();
    assert!(tags.iter().any(|t| t["type"] == "Mention" && t["href"] == c.actor_id("ferme")), "{tags:?}");
    assert!(document["cc"].as_array().unwrap().contains(&Value::from(c.actor_id("ferme"))));
    assert!(document["content"].as_str().unwrap().contains("class=\"u-url mention\""));
    eventually(20, "C stores the mention", || async { Ok(c_db.remote_object(&mention).await?.is_some()) }).await?;

    // Followers-only: not served to the public, not reshared by the hub.
    let private = published_url(
        &a.cli(&[
            "admin",
            "post",
            "note",
            "--enterprise",
            "coop",
            "--author",
            "marie",
            "--text",
            "Réunion des membres",
            "--followers-only",
        ])
        .await?,
    );
    assert_eq!(a.get_activity(&private).await?.status(), 404);
    drained(&a).await?;
    assert!(b.database().await?.remote_object(&private).await?.is_none(), "the hub does not reshare it");

    // The hub reshares remote content, and takes it back.
    a.cli(&["admin", "hub", "reshare", &c_note]).await?;
    let hub_followers = a.collection_items(&format!("{}/followers", a.actor_id("hub"))).await?;
    assert_eq!(hub_followers, vec![b.actor_id("hub")]);
    let b_db = b.database().await?;
    eventually(20, "B gets the reshared note, fetched from C", || async {
        Ok(b_db.remote_object(&c_note).await?.is_some())
    })
    .await?;
    let outbox: Value = a.get_activity(&format!("{}/outbox?page=true", a.actor_id("hub"))).await?.json().await?;
    assert!(
        outbox["orderedItems"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["type"] == "Announce" && i["object"] == c_note.as_str())
    );
    eventually(20, "C counts the reshare of its post", || async {
        Ok(c.cli(&["admin", "post", "reactions", &c_note]).await?.contains("0 like(s), 1 reshare(s)"))
    })
    .await?;
    let printed = a.cli(&["admin", "hub", "unreshare", &c_note]).await?;
    assert!(printed.contains("no longer reshares"), "{printed}");
    eventually(20, "C sees the reshare undone", || async {
        Ok(c.cli(&["admin", "post", "reactions", &c_note]).await?.contains("0 like(s), 0 reshare(s)"))
    })
    .await?;
    let printed = a.cli(&["admin", "hub", "unreshare", &c_note]).await?;
    assert!(printed.contains("nothing to change"), "{printed}");
    drained(&a).await?;
    Ok(())
}

/// The Create in an outbox page whose object is `post`.
fn create_of<'a>(page: &'a Value, post: &str) -> Option<&'a Value> {
    page["orderedItems"].as_array()?.iter().find(|i| i["type"] == "Create" && i["object"]["id"] == post)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collections_show_posts_as_they_are_now() -> anyhow::Result<()> {
    let a = TestInstance::spawn().await?;
    enterprise_with_editor(&a, "coop", "marie").await?;
    let note = |text: &'static str| {
        let a = &a;
        async move {
            let printed =
                a.cli(&["admin", "post", "note", "--enterprise", "coop", "--author", "marie", "--text", text]).await?;
            anyhow::Ok(published_url(&printed))
        }
    };
    let edited = note("Première version").await?;
    let kept = note("Ouvert samedi").await?;
    let practice =
        publish_practice(&a.config, ["Composter", "Comment composter", "Texte de la pratique à effacer"], &[]).await?;
    a.cli(&["admin", "hub", "feature", &practice]).await?;
    let outbox = format!("{}/outbox", a.actor_id("coop"));
    let page: Value = a.get_activity(&format!("{outbox}?page=true")).await?.json().await?;
    let practice_create =
        create_of(&page, &practice).expect("the practice's Create is listed")["id"].as_str().unwrap().to_string();
    let kept_create = create_of(&page, &kept).expect("listed")["id"].as_str().unwrap().to_string();

    a.cli(&["admin", "post", "edit-note", &edited, "--text", "Version corrigée"]).await?;
    a.cli(&["admin", "post", "delete", &practice]).await?;

    let page: Value = a.get_activity(&format!("{outbox}?page=true")).await?.json().await?;
    let items = page["orderedItems"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{page}");
    assert!(create_of(&page, &practice).is_none(), "the deleted practice left the outbox: {page}");
    assert!(!page.to_string().contains("effacer"), "{page}");
    let current = create_of(&page, &edited).expect("the edited note is listed")["object"].clone();
    let content = current["content"].as_str().unwrap_or_default();
    assert!(content.contains("Version corrigée") && !content.contains("Première"), "{current}");
    assert!(current["updated"].is_string(), "{current}");
    assert!(create_of(&page, &kept).is_some_and(|c| c["object"]["content"].as_str().unwrap().contains("samedi")));
    let collection: Value = a.get_activity(&outbox).await?.json().await?;
    assert_eq!(collection["totalItems"], 2);

    // The deleted post's activity is gone too; the others are served.
    let response = a.get_activity(&practice_create).await?;
    assert_eq!(response.status(), 410);
    let tombstone: Value = response.json().await?;
    assert_eq!(
        (tombstone["type"].as_str(), tombstone["id"].as_str()),
        (Some("Tombstone"), Some(practice_create.as_str()))
    );
    assert!(!tombstone.to_string().contains("effacer") && tombstone.get("object").is_none(), "{tombstone}");
    let response = a.get_activity(&kept_create).await?;
    assert_eq!(response.status(), 200);
    assert!(response.text().await?.contains("samedi"));

    // Nor is it featured any more.
    let featured: Value = a.get_activity(&format!("{}/featured", a.actor_id("hub"))).await?.json().await?;
    assert_eq!(featured["orderedItems"], serde_json::json!([]), "{featured}");
    assert_eq!(featured["totalItems"], 0);
    Ok(())
}
