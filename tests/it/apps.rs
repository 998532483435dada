//! What Mastodon apps need beyond the API's calls themselves: CORS for web
//! apps (on the API, never on pages, the OAuth form or the inbox), 404 for
//! what we lack, empty answers for the features that do not exist here,
//! `accounts/search`, and accounts whose image URLs always answer.

use maillage_tests::TestInstance;
use reqwest::Method;
use reqwest::header::{HeaderMap, HeaderName};
use serde_json::{Value, json};

use crate::api::{PASSWORD, call, instance, login};

const ORIGIN: &str = "https://elk.example";

/// `method path` from the foreign [`ORIGIN`], with `extra` headers.
async fn from_origin(
    instance: &TestInstance,
    method: Method,
    path: &str,
    extra: &[(&str, &str)],
) -> anyhow::Result<reqwest::Response> {
    let mut request = instance.http.request(method, instance.url(path)).header("origin", ORIGIN);
    for (name, value) in extra {
        request = request.header(*name, *value);
    }
    Ok(request.send().await?)
}

/// A preflight asking to send `method` with `headers`.
async fn preflight(
    instance: &TestInstance,
    path: &str,
    method: &str,
    headers: &str,
) -> anyhow::Result<reqwest::Response> {
    from_origin(
        instance,
        Method::OPTIONS,
        path,
        &[("access-control-request-method", method), ("access-control-request-headers", headers)],
    )
    .await
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get(HeaderName::from_bytes(name.as_bytes()).unwrap()).map(|v| v.to_str().unwrap().to_ascii_lowercase())
}

fn lists(headers: &HeaderMap, name: &str, item: &str) -> bool {
    header(headers, name).is_some_and(|list| list.split(',').any(|i| i.trim() == item))
}

fn has_no_cors(response: &reqwest::Response) -> bool {
    response.headers().keys().all(|name| !name.as_str().starts_with("access-control-"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_apps_get_cors_on_the_api_and_nowhere_else() -> anyhow::Result<()> {
    let a = instance().await?;
    let marie = login(&a, "marie").await?;

    // Preflights: any origin, the methods asked for, the headers a client sends, no credentials.
    let response = preflight(&a, "/api/v1/timelines/home", "GET", "authorization,idempotency-key").await?;
    assert!(response.status().is_success(), "{}", response.status());
    let headers = response.headers();
    assert_eq!(header(headers, "access-control-allow-origin").as_deref(), Some("*"));
    assert!(lists(headers, "access-control-allow-methods", "get"), "{headers:?}");
    assert!(lists(headers, "access-control-allow-methods", "delete"), "{headers:?}");
    assert!(lists(headers, "access-control-allow-headers", "authorization"), "{headers:?}");
    assert!(lists(headers, "access-control-allow-headers", "idempotency-key"), "{headers:?}");
    assert!(header(headers, "access-control-allow-credentials").is_none());
    for token_endpoint in ["/oauth/token", "/oauth/revoke"] {
        let response = preflight(&a, token_endpoint, "POST", "content-type").await?;
        assert!(response.status().is_success(), "{token_endpoint}: {}", response.status());
        assert_eq!(header(response.headers(), "access-control-allow-origin").as_deref(), Some("*"));
        assert!(lists(response.headers(), "access-control-allow-methods", "post"));
        assert!(lists(response.headers(), "access-control-allow-headers", "content-type"));
    }

    // Answers: readable by the page, with the pagination and rate-limit headers exposed.
    let response =
        from_origin(&a, Method::GET, "/api/v1/timelines/home", &[("authorization", &format!("Bearer {marie}"))])
            .await?;
    assert_eq!(response.status(), 200);
    let headers = response.headers();
    assert_eq!(header(headers, "access-control-allow-origin").as_deref(), Some("*"));
    assert!(lists(headers, "access-control-expose-headers", "link"), "{headers:?}");
    assert!(lists(headers, "access-control-expose-headers", "x-ratelimit-remaining"), "{headers:?}");
    assert!(header(headers, "access-control-allow-credentials").is_none());
    // Refusals too, so that the page can read why.
    let response = from_origin(&a, Method::GET, "/api/v1/timelines/home", &[]).await?;
    assert_eq!(response.status(), 401);
    assert_eq!(header(response.headers(), "access-control-allow-origin").as_deref(), Some("*"));
    for discovery in ["/.well-known/nodeinfo", "/nodeinfo/2.1", "/api/v1/instance"] {
        let response = from_origin(&a, Method::GET, discovery, &[]).await?;
        assert_eq!(response.status(), 200, "{discovery}");
        assert_eq!(header(response.headers(), "access-control-allow-origin").as_deref(), Some("*"), "{discovery}");
    }

    // The OAuth form (a page with a session), web pages and the inbox stay closed to other origins.
    let authorize = "/oauth/authorize?response_type=code&client_id=x&redirect_uri=urn:ietf:wg:oauth:2.0:oob";
    for (method, path) in
        [(Method::GET, authorize), (Method::POST, "/oauth/authorize"), (Method::GET, "/"), (Method::POST, "/inbox")]
    {
        let response = from_origin(&a, method.clone(), path, &[]).await?;
        assert!(has_no_cors(&response), "{method} {path}: {:?}", response.headers());
    }
    for path in ["/oauth/authorize", "/", "/inbox"] {
        let response = preflight(&a, path, "POST", "content-type").await?;
        assert!(!response.status().is_success(), "{path}: {}", response.status());
        assert!(has_no_cors(&response), "OPTIONS {path}: {:?}", response.headers());
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn absent_endpoints_are_json_404_and_missing_features_empty() -> anyhow::Result<()> {
    let a = instance().await?;
    let marie = login(&a, "marie").await?;

    for (method, path) in [
        (Method::GET, "/api/v1/whatever"),
        (Method::GET, "/api/v1/followed_tags"),
        (Method::DELETE, "/api/v1/whatever/1"),
        (Method::GET, "/api/v3/instance"),
        (Method::GET, "/api/v1/trends/people"),
    ] {
        let (status, body) = call(&a, method.clone(), path, Some(&marie), None).await?;
        assert_eq!((status, &body), (404, &json!({ "error": "Record not found" })), "{method} {path}");
    }

    let (_, coop) = call(&a, Method::GET, "/api/v1/accounts/lookup?acct=coop", None, None).await?;
    let coop_id = coop["id"].as_str().unwrap();
    for path in [
        "/api/v1/custom_emojis",
        "/api/v1/announcements",
        "/api/v1/trends",
        "/api/v1/trends/tags",
        "/api/v1/trends/statuses",
        "/api/v1/trends/links",
        &format!("/api/v1/accounts/{coop_id}/featured_tags"),
        // Real lists, empty for a new member (tests/it/relations.rs fills them).
        "/api/v1/follow_requests",
        "/api/v1/mutes",
        "/api/v1/blocks",
        "/api/v1/conversations",
    ] {
        let (status, body) = call(&a, Method::GET, path, Some(&marie), None).await?;
        assert_eq!((status, body), (200, json!([])), "{path}");
    }
    // An account that does not exist has no featured tags either: 404.
    assert_eq!(call(&a, Method::GET, "/api/v1/accounts/987654/featured_tags", None, None).await?.0, 404);

    // Preferences: the defaults a post gets, for the member only.
    let (status, preferences) = call(&a, Method::GET, "/api/v1/preferences", Some(&marie), None).await?;
    assert_eq!(status, 200, "{preferences}");
    assert_eq!(preferences["posting:default:visibility"], "public");
    assert_eq!(preferences["posting:default:language"], "fr");
    assert_eq!(preferences["posting:default:sensitive"], false);
    assert_eq!(preferences["reading:expand:spoilers"], false);
    assert_eq!(preferences["reading:expand:media"], "default");
    assert_eq!(call(&a, Method::GET, "/api/v1/preferences", None, None).await?.0, 401);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_search_finds_handles_and_resolves_for_members() -> anyhow::Result<()> {
    let a = instance().await?;
    for (q, expected) in [
        ("coop", vec!["coop"]),
        ("@marie", vec!["marie"]),
        (&format!("paul@{}", a.domain) as &str, vec!["paul"]),
        (&a.actor_id("coop"), vec!["coop"]),
        ("nobody", vec![]),
    ] {
        let path = format!("/api/v1/accounts/search?q={}", url_encoded(q));
        let (status, found) = call(&a, Method::GET, &path, None, None).await?;
        assert_eq!(status, 200, "{q}: {found}");
        let accts: Vec<&str> = found.as_array().unwrap().iter().map(|a| a["acct"].as_str().unwrap()).collect();
        assert_eq!(accts, expected, "{q}");
    }
    let (status, body) = call(&a, Method::GET, "/api/v1/accounts/search", None, None).await?;
    assert_eq!(status, 422, "{body}");

    // Another server's account: resolved for a signed-in member, never for an anonymous caller.
    let b = TestInstance::spawn().await?;
    b.cli_with_input(&["admin", "user", "create", "luc"], &format!("{PASSWORD}\n")).await?;
    let luc = login(&b, "luc").await?;
    let path = format!("/api/v1/accounts/search?q=coop@{}&resolve=true&limit=5", a.domain);
    let (status, anonymous) = call(&b, Method::GET, &path, None, None).await?;
    assert_eq!((status, anonymous), (200, json!([])));
    let (status, found) = call(&b, Method::GET, &path, Some(&luc), None).await?;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found[0]["acct"], format!("coop@{}", a.domain));
    assert_complete_account(&b, &found[0]).await?;
    // Known now: found without resolving, by anyone.
    let (_, known) = call(&b, Method::GET, &format!("/api/v1/accounts/search?q=coop@{}", a.domain), None, None).await?;
    assert_eq!(known[0]["acct"], format!("coop@{}", a.domain));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_without_images_name_ours_and_urls_are_never_empty() -> anyhow::Result<()> {
    let a = instance().await?;
    let marie = login(&a, "marie").await?;
    let (_, coop) = call(&a, Method::GET, "/api/v1/accounts/lookup?acct=coop", None, None).await?;
    assert_complete_account(&a, &coop).await?;
    let (_, me) = call(&a, Method::GET, "/api/v1/accounts/verify_credentials", Some(&marie), None).await?;
    assert_complete_account(&a, &me).await?;
    let (status, posted) =
        call(&a, Method::POST, "/api/v1/statuses", Some(&marie), Some(json!({ "status": "Bonjour" }))).await?;
    assert_eq!(status, 200, "{posted}");
    assert_complete_account(&a, &posted["account"]).await?;

    let (_, v1) = call(&a, Method::GET, "/api/v1/instance", None, None).await?;
    let streaming = v1["urls"]["streaming_api"].as_str().unwrap();
    assert_eq!(streaming, a.base_url.replacen("http://", "ws://", 1));
    let (_, v2) = call(&a, Method::GET, "/api/v2/instance", None, None).await?;
    assert_eq!(v2["configuration"]["urls"]["streaming"], streaming);
    assert_answers_an_image(&a, v2["thumbnail"]["url"].as_str().unwrap()).await?;
    Ok(())
}

/// Every field Mastodon's Account entity requires, typed as apps decode
/// it; the image URLs absolute and answering with an image.
pub(crate) async fn assert_complete_account(instance: &TestInstance, account: &Value) -> anyhow::Result<()> {
    for field in ["id", "username", "acct", "display_name", "created_at", "note", "url"] {
        assert!(account[field].is_string(), "{field} in {account}");
    }
    for field in ["locked", "bot", "group"] {
        assert!(account[field].is_boolean(), "{field} in {account}");
    }
    for field in ["followers_count", "following_count", "statuses_count"] {
        assert!(account[field].is_i64(), "{field} in {account}");
    }
    for field in ["emojis", "fields"] {
        assert!(account[field].is_array(), "{field} in {account}");
    }
    assert!(account["last_status_at"].is_null() || account["last_status_at"].is_string(), "{account}");
    assert!(url::Url::parse(account["url"].as_str().unwrap()).is_ok(), "{account}");
    for field in ["avatar", "avatar_static", "header", "header_static"] {
        assert_answers_an_image(instance, account[field].as_str().unwrap_or_default()).await?;
    }
    Ok(())
}

async fn assert_answers_an_image(instance: &TestInstance, url: &str) -> anyhow::Result<()> {
    assert!(url.starts_with("http://") || url.starts_with("https://"), "not an absolute URL: {url:?}");
    let response = instance.http.get(url).send().await?;
    assert_eq!(response.status(), 200, "{url}");
    let content_type = header(response.headers(), "content-type").unwrap_or_default();
    assert!(content_type.starts_with("image/"), "{url}: {content_type}");
    assert!(!response.bytes().await?.is_empty());
    Ok(())
}

fn url_encoded(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_reads_the_source_of_what_its_user_may_edit_only() -> anyhow::Result<()> {
    let a = instance().await?;
    let (marie, paul) = (login(&a, "marie").await?, login(&a, "paul").await?);
    let text = "Bonjour **tout le monde** #coop";
    let body = json!({ "status": text, "spoiler_text": "Annonce", "maillage_as": "coop" });
    let (status, posted) = call(&a, Method::POST, "/api/v1/statuses", Some(&marie), Some(body)).await?;
    assert_eq!(status, 200, "{posted}");
    let path = format!("/api/v1/statuses/{}/source", posted["id"].as_str().unwrap());
    let (status, source) = call(&a, Method::GET, &path, Some(&marie), None).await?;
    assert_eq!(status, 200, "{source}");
    assert_eq!(source, json!({ "id": posted["id"], "text": text, "spoiler_text": "Annonce" }));
    // Paul sees the public post but may not edit it: no source for him,
    // nor for an anonymous caller.
    let (status, _) =
        call(&a, Method::GET, &format!("/api/v1/statuses/{}", posted["id"].as_str().unwrap()), Some(&paul), None)
            .await?;
    assert_eq!(status, 200);
    let (status, refused) = call(&a, Method::GET, &path, Some(&paul), None).await?;
    assert_eq!((status, refused["error"].as_str()), (404, Some("Record not found")));
    let (status, _) = call(&a, Method::GET, &path, None, None).await?;
    assert_eq!(status, 401);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_profile_edit_sent_as_multipart_is_applied_and_a_broken_avatar_refused() -> anyhow::Result<()> {
    let a = instance().await?;
    let marie = login(&a, "marie").await?;
    let patch = |form: reqwest::multipart::Form, token: Option<&str>| {
        let mut request = a.http.patch(a.url("/api/v1/accounts/update_credentials")).multipart(form);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    let form = reqwest::multipart::Form::new().text("display_name", "Marie C.").text("note", "Coopérante à Laval");
    let response = patch(form, Some(&marie)).await?;
    assert_eq!(response.status(), 200);
    let account: Value = response.json().await?;
    assert_eq!(account["display_name"], "Marie C.");
    assert_eq!(account["source"]["note"], "Coopérante à Laval", "{account}");
    // An avatar that is no picture is refused by name, and nothing of the
    // request applied (tests/it/profile_images.rs has avatars that are).
    let image = reqwest::multipart::Part::bytes(vec![0x89, b'P', b'N', b'G']).file_name("moi.png");
    let form = reqwest::multipart::Form::new().text("display_name", "Autre nom").part("avatar", image);
    let response = patch(form, Some(&marie)).await?;
    assert_eq!(response.status(), 422);
    let refused: Value = response.json().await?;
    assert!(refused["error"].as_str().unwrap().contains("avatar"), "{refused}");
    // Without a token nobody's profile changes.
    let form = reqwest::multipart::Form::new().text("display_name", "Anonyme");
    assert_eq!(patch(form, None).await?.status(), 401);
    let (_, me) = call(&a, Method::GET, "/api/v1/accounts/verify_credentials", Some(&marie), None).await?;
    assert_eq!(me["display_name"], "Marie C.");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn announcements_written_at_the_command_line_reach_apps_and_each_member_dismisses_their_own() -> anyhow::Result<()>
{
    let a = instance().await?;
    let (marie, paul) = (login(&a, "marie").await?, login(&a, "paul").await?);
    let published = a.cli(&["admin", "announcement", "create", "Assemblée *jeudi*", "--ends-at", "2099-12-31"]).await?;
    assert!(published.starts_with("published announcement #"), "{published}");
    a.cli(&["admin", "announcement", "create", "Passée", "--ends-at", "2020-01-01"]).await?;
    a.cli(&["admin", "announcement", "create", "À venir", "--starts-at", "2099-01-01T09:00:00-05:00"]).await?;
    let refused = a.cli(&["admin", "announcement", "create", "Fête", "--ends-at", "demain"]).await;
    assert!(format!("{refused:?}").contains("ends_at"), "{refused:?}");

    let (status, shown) = call(&a, Method::GET, "/api/v1/announcements", Some(&marie), None).await?;
    assert_eq!(status, 200, "{shown}");
    let shown = shown.as_array().unwrap();
    assert_eq!(shown.len(), 1, "only the current one: {shown:?}");
    let announcement = &shown[0];
    assert_eq!(announcement["content"], "<p>Assemblée <em>jeudi</em></p>");
    assert_eq!(announcement["ends_at"], "2100-01-01T00:00:00.000Z", "the whole day included");
    assert_eq!(announcement["read"], false);
    for list in ["mentions", "statuses", "tags", "emojis", "reactions"] {
        assert_eq!(announcement[list], json!([]), "{list}");
    }
    let id = announcement["id"].as_str().unwrap();
    let dismiss = format!("/api/v1/announcements/{id}/dismiss");
    assert_eq!(call(&a, Method::POST, &dismiss, Some(&marie), None).await?.0, 200);
    let (_, shown) = call(&a, Method::GET, "/api/v1/announcements", Some(&marie), None).await?;
    assert_eq!(shown[0]["read"], true);
    let (_, unread) = call(&a, Method::GET, "/api/v1/announcements?with_dismissed=false", Some(&marie), None).await?;
    assert_eq!(unread, json!([]));
    // Marie's dismissal is hers: Paul still has it unread; nobody anonymous reads them.
    let (_, shown) = call(&a, Method::GET, "/api/v1/announcements", Some(&paul), None).await?;
    assert_eq!(shown[0]["read"], false);
    assert_eq!(call(&a, Method::GET, "/api/v1/announcements", None, None).await?.0, 401);
    assert_eq!(call(&a, Method::POST, &dismiss, None, None).await?.0, 401);
    assert_eq!(call(&a, Method::POST, "/api/v1/announcements/999999/dismiss", Some(&paul), None).await?.0, 404);

    let listed = a.cli(&["admin", "announcement", "list"]).await?;
    assert_eq!(listed.lines().count(), 3, "{listed}");
    a.cli(&["admin", "announcement", "delete", id]).await?;
    let (_, shown) = call(&a, Method::GET, "/api/v1/announcements", Some(&paul), None).await?;
    assert_eq!(shown, json!([]));
    Ok(())
}

/// Apps complete a local account as `@marie`: that is a mention of her; a
/// bare handle nobody here has is only text, as on Mastodon.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bare_handle_mentions_the_local_account_and_an_unknown_one_is_text() -> anyhow::Result<()> {
    let a = instance().await?;
    let (marie, paul) = (login(&a, "marie").await?, login(&a, "paul").await?);
    let body = json!({ "status": "Merci @marie et @personne !" });
    let (status, posted) = call(&a, Method::POST, "/api/v1/statuses", Some(&paul), Some(body)).await?;
    assert_eq!(status, 200, "{posted}");
    let content = posted["content"].as_str().unwrap();
    assert!(content.contains("/actors/marie\" class=\"u-url mention\">@<span>marie</span></a>"), "{posted}");
    assert!(content.contains(" et @personne !"), "{posted}");
    let (_, notifications) = call(&a, Method::GET, "/api/v1/notifications", Some(&marie), None).await?;
    let mention = &notifications.as_array().unwrap()[0];
    assert_eq!((mention["type"].as_str(), mention["status"]["id"].as_str()), (Some("mention"), posted["id"].as_str()));
    // Nobody else was told.
    let (_, others) = call(&a, Method::GET, "/api/v1/notifications", Some(&paul), None).await?;
    assert_eq!(others, json!([]));
    Ok(())
}
