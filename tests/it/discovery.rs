//! Local actors and discovery: what a Mastodon server does to find and read
//! `@hub@domain` or `@coop@domain` (WebFinger, then the actor document).

use maillage_tests::TestInstance;
use serde_json::Value;

async fn webfinger(instance: &TestInstance, resource: &str) -> anyhow::Result<reqwest::Response> {
    Ok(instance.http.get(instance.url("/.well-known/webfinger")).query(&[("resource", resource)]).send().await?)
}

/// WebFinger → `self` link → actor document, with Mastodon's round-trip check.
async fn resolve(instance: &TestInstance, handle: &str) -> anyhow::Result<Value> {
    let response = webfinger(instance, &format!("acct:{handle}@{}", instance.domain)).await?;
    assert_eq!(response.status(), 200, "webfinger {handle}");
    assert_eq!(response.headers()["content-type"], "application/jrd+json");
    assert_eq!(response.headers()["access-control-allow-origin"], "*");
    let jrd: Value = response.json().await?;
    assert_eq!(jrd["subject"], format!("acct:{handle}@{}", instance.domain));
    let links = jrd["links"].as_array().expect("links");
    let self_link = links.iter().find(|l| l["rel"] == "self").expect("self link");
    assert_eq!(self_link["type"], "application/activity+json");
    let id = self_link["href"].as_str().expect("href").to_string();
    assert_eq!(jrd["aliases"][0], id);
    assert!(links.iter().any(|l| l["rel"] == "http://webfinger.net/rel/profile-page"));

    let response = instance.get_activity(&id).await?;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/activity+json");
    assert_eq!(response.headers()["vary"], "Accept");
    let actor: Value = response.json().await?;
    assert_eq!(actor["id"], id, "id equals the URL served");
    // Mastodon's round trip: preferredUsername + host of id resolves back to id.
    let back =
        webfinger(instance, &format!("acct:{}@{}", actor["preferredUsername"].as_str().unwrap(), instance.domain))
            .await?
            .json::<Value>()
            .await?;
    assert_eq!(back["links"][0]["href"], id);
    Ok(actor)
}

fn assert_mastodon_fields(actor: &Value) {
    for field in [
        "preferredUsername",
        "name",
        "summary",
        "url",
        "inbox",
        "outbox",
        "followers",
        "following",
        "publicKey",
        "published",
    ] {
        assert!(!actor[field].is_null(), "actor lacks {field}: {actor}");
    }
    assert_eq!(actor["@context"][0], "https://www.w3.org/ns/activitystreams");
    assert_eq!(actor["@context"][1], "https://w3id.org/security/v1");
    assert_eq!(actor["publicKey"]["owner"], actor["id"]);
    assert_eq!(actor["publicKey"]["id"], format!("{}#main-key", actor["id"].as_str().unwrap()));
    assert!(actor["publicKey"]["publicKeyPem"].as_str().unwrap().starts_with("-----BEGIN PUBLIC KEY-----"));
    assert!(actor["endpoints"]["sharedInbox"].as_str().unwrap().ends_with("/inbox"));
    assert!(actor["attachment"].is_array());
    assert!(actor["manuallyApprovesFollowers"].is_boolean());
    let text = actor.to_string();
    assert!(!text.contains("PRIVATE KEY"), "a private key leaked: {text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hub_and_instance_actor_exist_from_the_first_start() -> anyhow::Result<()> {
    let instance = TestInstance::spawn().await?;
    let hub = resolve(&instance, "hub").await?;
    assert_eq!(hub["type"], "Group");
    assert_eq!(hub["name"], instance.config.hub.name);
    assert_mastodon_fields(&hub);
    assert!(hub["featured"].is_string());

    let response = instance.get_activity(&instance.url("/actor")).await?;
    assert_eq!(response.status(), 200);
    let app: Value = response.json().await?;
    assert_eq!(app["type"], "Application");
    assert_eq!(app["id"], instance.url("/actor"));
    assert_eq!(app["discoverable"], false);
    assert_mastodon_fields(&app);

    // FEP-d556: the instance's own URL resolves to the instance actor.
    let jrd: Value = webfinger(&instance, &format!("{}/", instance.base_url)).await?.json().await?;
    assert_eq!(jrd["links"][0]["href"], instance.url("/actor"));

    // A restart keeps the same actors and keys.
    let key = hub["publicKey"]["publicKeyPem"].clone();
    let instance = instance.restart().await?;
    let again = resolve(&instance, "hub").await?;
    assert_eq!(again["publicKey"]["publicKeyPem"], key);
    instance.shutdown().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enterprises_and_members_are_created_from_the_cli() -> anyhow::Result<()> {
    let instance = TestInstance::spawn().await?;
    let printed = instance
        .cli(&[
            "admin",
            "enterprise",
            "create",
            "Coop_Velo",
            "--name",
            "Coop Vélo <Estrie>",
            "--summary",
            "Réparation & location",
        ])
        .await?;
    assert!(printed.contains(&format!("@coop_velo@{}", instance.domain)), "{printed}");
    let coop = resolve(&instance, "coop_velo").await?;
    assert_eq!(coop["type"], "Organization");
    assert_eq!(coop["name"], "Coop Vélo <Estrie>");
    assert_eq!(coop["summary"], "<p>Réparation &amp; location</p>");
    assert_mastodon_fields(&coop);

    let printed =
        instance.cli_with_input(&["admin", "user", "create", "marie", "--admin"], "un mot de passe sûr\n").await?;
    assert!(printed.contains("created admin @marie@"), "{printed}");
    let marie = resolve(&instance, "marie").await?;
    assert_eq!(marie["type"], "Person");

    let listed = instance.cli(&["admin", "enterprise", "list"]).await?;
    assert!(listed.contains("@coop_velo@") && listed.contains("1 enterprise(s)"), "{listed}");

    // One namespace: a member cannot take an enterprise's handle, nor the hub's.
    for (args, input) in [
        (vec!["admin", "user", "create", "coop_velo"], "un mot de passe sûr\n"),
        (vec!["admin", "enterprise", "create", "hub", "--name", "X"], ""),
        (vec!["admin", "enterprise", "create", "marie", "--name", "X"], ""),
    ] {
        let error = instance.cli_with_input(&args, input).await.expect_err("taken handle").to_string();
        assert!(error.contains("already taken"), "{args:?}: {error}");
    }
    // Reserved and malformed handles, short passwords, empty names.
    let refusals: [(&[&str], &str, &str); 4] = [
        (&["admin", "enterprise", "create", "inbox", "--name", "X"], "", "reserved"),
        (&["admin", "enterprise", "create", "la-coop", "--name", "X"], "", "may only contain"),
        (&["admin", "enterprise", "create", "lacoop", "--name", "  "], "", "display name"),
        (&["admin", "user", "create", "paul"], "court\n", "at least"),
    ];
    for (args, input, expected) in refusals {
        let error = instance.cli_with_input(args, input).await.expect_err("refused").to_string();
        assert!(error.contains(expected), "{args:?}: {error}");
    }
    let listed = instance.cli(&["admin", "enterprise", "list"]).await?;
    assert!(listed.contains("1 enterprise(s)"), "nothing else was created: {listed}");

    let nodeinfo: Value = instance.get("/nodeinfo/2.1").await?.json().await?;
    assert_eq!(nodeinfo["usage"]["users"]["total"], 1);
    assert_eq!(nodeinfo["metadata"]["enterprises"], 1);
    instance.shutdown().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browsers_get_html_and_unknown_things_get_404() -> anyhow::Result<()> {
    let instance = TestInstance::spawn().await?;
    instance.cli(&["admin", "enterprise", "create", "evil", "--name", "<script>alert(1)</script>"]).await?;
    let response = instance.http.get(instance.url("/actors/evil")).header("accept", "text/html").send().await?;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"].to_str()?.starts_with("text/html"));
    assert!(response.headers()["vary"].to_str()?.contains("Accept"));
    let html = response.text().await?;
    assert!(html.contains("&#60;script&#62;") && !html.contains("<script>"), "{html}");

    let ld = instance
        .http
        .get(instance.url("/actors/evil"))
        .header("accept", "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"")
        .send()
        .await?;
    assert_eq!(ld.headers()["content-type"], "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"");

    assert_eq!(instance.get_activity(&instance.url("/actors/nobody")).await?.status(), 404);
    // The instance actor has one id, /actor.
    assert_eq!(instance.get_activity(&instance.url("/actors/instance")).await?.status(), 404);
    assert_eq!(webfinger(&instance, "acct:nobody@example.org").await?.status(), 404);
    assert_eq!(webfinger(&instance, &format!("acct:nobody@{}", instance.domain)).await?.status(), 404);
    assert_eq!(webfinger(&instance, "acct:broken").await?.status(), 400);
    assert_eq!(instance.get("/.well-known/webfinger").await?.status(), 400);

    let collection: Value = instance.get_activity(&instance.url("/actors/evil/followers")).await?.json().await?;
    assert_eq!(collection["type"], "OrderedCollection");
    assert_eq!(collection["id"], instance.url("/actors/evil/followers"));
    assert_eq!(instance.get_activity(&instance.url("/actors/evil/nothing")).await?.status(), 404);
    instance.shutdown().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodeinfo_and_host_meta_describe_the_instance() -> anyhow::Result<()> {
    let instance = TestInstance::spawn().await?;
    let links: Value = instance.get("/.well-known/nodeinfo").await?.json().await?;
    let href = links["links"][0]["href"].as_str().unwrap();
    assert_eq!(links["links"][0]["rel"], "http://nodeinfo.diaspora.software/ns/schema/2.1");
    assert_eq!(links["links"][1]["rel"], "https://www.w3.org/ns/activitystreams#Application");
    let response = instance.http.get(href).send().await?;
    assert!(response.headers()["content-type"].to_str()?.contains("nodeinfo.diaspora.software/ns/schema/2.1"));
    let nodeinfo: Value = response.json().await?;
    assert_eq!(nodeinfo["version"], "2.1");
    assert_eq!(nodeinfo["software"]["name"], "maillage");
    assert_eq!(nodeinfo["protocols"][0], "activitypub");
    assert_eq!(nodeinfo["openRegistrations"], false);
    assert_eq!(nodeinfo["usage"]["users"]["total"], 0);
    assert_eq!(nodeinfo["metadata"]["nodeName"], instance.config.hub.name);

    let response = instance.get("/.well-known/host-meta").await?;
    assert!(response.headers()["content-type"].to_str()?.starts_with("application/xrd+xml"));
    let xml = response.text().await?;
    assert!(xml.contains(&format!("{}/.well-known/webfinger?resource={{uri}}", instance.base_url)), "{xml}");
    instance.shutdown().await
}

/// Every URL of ours that an actor document names, with its key.
fn our_urls<'a>(value: &'a Value, key: &'a str, base: &str, found: &mut Vec<(String, String)>) {
    match value {
        Value::String(text) if text.starts_with(base) && key != "id" => found.push((key.to_string(), text.clone())),
        Value::Array(items) => items.iter().for_each(|item| our_urls(item, key, base, found)),
        Value::Object(map) => {
            for (inner, value) in map {
                if inner != "@context" {
                    our_urls(value, inner, base, found);
                }
            }
        }
        _ => {}
    }
}

/// Each URL the instance actor, the hub, an enterprise and a member advertise
/// answers: the collections as JSON-LD documents (200), the web pages and
/// images as pages, the inboxes as inboxes (a POST is read, not a 404).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_url_an_actor_advertises_answers() -> anyhow::Result<()> {
    let instance = TestInstance::spawn().await?;
    instance.cli(&["admin", "enterprise", "create", "coop", "--name", "Coop"]).await?;
    instance.cli(&["admin", "enterprise", "update", "coop", "--legal-form", "cooperative", "--sector", "food"]).await?;
    instance.cli_with_input(&["admin", "user", "create", "marie"], "un mot de passe sûr\n").await?;
    let base = instance.url("");
    let actors =
        [instance.url("/actor"), instance.actor_id("hub"), instance.actor_id("coop"), instance.actor_id("marie")];
    for actor in actors {
        let document: Value = instance.get_activity(&actor).await?.json().await?;
        assert_eq!(document["id"], actor.as_str());
        for key in ["inbox", "outbox", "followers", "following", "featured"] {
            assert!(document[key].as_str().is_some_and(|u| u.starts_with(&base)), "{actor} names no {key}: {document}");
        }
        let mut urls = Vec::new();
        our_urls(&document, "", &base, &mut urls);
        for (key, url) in urls {
            let url = url.split('#').next().unwrap_or_default().to_string();
            if url == actor {
                continue;
            }
            if matches!(key.as_str(), "inbox" | "sharedInbox") {
                let status = instance
                    .http
                    .post(&url)
                    .header("content-type", "application/activity+json")
                    .body("{}")
                    .send()
                    .await?
                    .status()
                    .as_u16();
                assert!(![404, 405].contains(&status), "{actor}: POST {key} {url} answered {status}");
                continue;
            }
            let response = instance.get_activity(&url).await?;
            let status = response.status().as_u16();
            let content_type = response.headers()["content-type"].to_str()?.to_string();
            assert_eq!(status, 200, "{actor}: {key} {url}");
            if matches!(key.as_str(), "outbox" | "followers" | "following" | "featured" | "members" | "owner") {
                assert!(
                    content_type.contains("activity+json") || content_type.contains("ld+json"),
                    "{key} {url}: {content_type}"
                );
                let collection: Value = response.json().await?;
                assert_eq!(collection["id"], url.as_str(), "{key} of {actor}");
                assert!(collection["totalItems"].is_u64(), "{key} of {actor}: {collection}");
            }
        }
    }
    Ok(())
}
