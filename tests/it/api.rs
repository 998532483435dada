//! The client API over HTTP: OAuth, accounts, statuses (as a member and as
//! an enterprise), timelines, search and follows across instances.

use maillage_tests::{TestInstance, eventually};
use serde_json::{Value, json};

pub(crate) const PASSWORD: &str = "un mot de passe sûr";

/// An instance with member `marie` (editor of `coop`) and member `paul`.
pub(crate) async fn instance() -> anyhow::Result<TestInstance> {
    let instance = TestInstance::spawn().await?;
    populate(&instance).await?;
    Ok(instance)
}

/// The enterprise coop, its editor marie and the member paul.
pub(crate) async fn populate(instance: &TestInstance) -> anyhow::Result<()> {
    instance.cli(&["admin", "enterprise", "create", "coop", "--name", "La Coop"]).await?;
    instance
        .cli_with_input(&["admin", "user", "create", "marie", "--email", "Marie@Example.org"], &format!("{PASSWORD}\n"))
        .await?;
    instance.cli_with_input(&["admin", "user", "create", "paul"], &format!("{PASSWORD}\n")).await?;
    instance.cli(&["admin", "enterprise", "add-editor", "coop", "marie"]).await?;
    Ok(())
}

pub(crate) async fn app(instance: &TestInstance) -> anyhow::Result<(String, String)> {
    let app: Value = instance
        .http
        .post(instance.url("/api/v1/apps"))
        .form(&[
            ("client_name", "test"),
            ("redirect_uris", "urn:ietf:wg:oauth:2.0:oob"),
            ("scopes", "read write follow"),
        ])
        .send()
        .await?
        .json()
        .await?;
    Ok((app["client_id"].as_str().unwrap().to_string(), app["client_secret"].as_str().unwrap().to_string()))
}

pub(crate) async fn login(instance: &TestInstance, username: &str) -> anyhow::Result<String> {
    let (id, secret) = app(instance).await?;
    let token: Value = instance
        .http
        .post(instance.url("/oauth/token"))
        .form(&[
            ("grant_type", "password"),
            ("client_id", &id),
            ("client_secret", &secret),
            ("username", username),
            ("password", PASSWORD),
            ("scope", "read write follow"),
        ])
        .send()
        .await?
        .json()
        .await?;
    Ok(token["access_token"].as_str().unwrap_or_else(|| panic!("no token: {token}")).to_string())
}

/// Spawns a second instance B with the member luc, who follows the
/// enterprise coop of `a` through B's API: B, luc's token and coop's id on B.
pub(crate) async fn luc_on_b_follows_coop(a: &TestInstance) -> anyhow::Result<(TestInstance, String, String)> {
    let b = TestInstance::spawn().await?;
    b.cli_with_input(&["admin", "user", "create", "luc"], &format!("{PASSWORD}\n")).await?;
    let luc = login(&b, "luc").await?;
    let search = format!("/api/v2/search?q=@coop@{}&resolve=true", a.domain);
    let (_, found) = call(&b, reqwest::Method::GET, &search, Some(&luc), None).await?;
    let coop_on_b = found["accounts"][0]["id"].as_str().unwrap_or_else(|| panic!("{found}")).to_string();
    call(&b, reqwest::Method::POST, &format!("/api/v1/accounts/{coop_on_b}/follow"), Some(&luc), None).await?;
    Ok((b, luc, coop_on_b))
}

/// Posts a status with `token` (`POST /api/v1/statuses`): the HTTP status and the answer.
pub(crate) async fn post_status(instance: &TestInstance, token: &str, body: Value) -> anyhow::Result<(u16, Value)> {
    call(instance, reqwest::Method::POST, "/api/v1/statuses", Some(token), Some(body)).await
}

pub(crate) async fn call(
    instance: &TestInstance,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> anyhow::Result<(u16, Value)> {
    let mut request = instance.http.request(method.clone(), instance.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await?;
    let status = response.status().as_u16();
    let text = response.text().await?;
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    crate::entities::assert_conforms(&method, path, status, &body);
    Ok((status, body))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth_password_grant_and_credentials() -> anyhow::Result<()> {
    let a = instance().await?;
    let token = login(&a, "marie").await?;
    let (status, me) =
        call(&a, reqwest::Method::GET, "/api/v1/accounts/verify_credentials", Some(&token), None).await?;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["username"], "marie");
    assert_eq!(me["acct"], "marie");
    assert_eq!(me["maillage_enterprises"], json!(["coop"]));
    // The email works as the username, as Mastodon client libraries send it.
    let by_email = login(&a, "marie@example.org").await?;
    assert_ne!(by_email, token);

    let (id, secret) = app(&a).await?;
    for (form, expected) in [
        (
            vec![
                ("grant_type", "password"),
                ("client_id", id.as_str()),
                ("client_secret", secret.as_str()),
                ("username", "marie"),
                ("password", "wrong password!"),
            ],
            400,
        ),
        (
            vec![
                ("grant_type", "password"),
                ("client_id", id.as_str()),
                ("client_secret", "nope"),
                ("username", "marie"),
                ("password", PASSWORD),
            ],
            401,
        ),
        (
            vec![
                ("grant_type", "password"),
                ("client_id", id.as_str()),
                ("client_secret", secret.as_str()),
                ("username", "marie"),
                ("password", PASSWORD),
                ("scope", "admin:write"),
            ],
            400,
        ),
        (vec![("grant_type", "magic"), ("client_id", id.as_str())], 400),
    ] {
        let response = a.http.post(a.url("/oauth/token")).form(&form).send().await?;
        assert_eq!(response.status().as_u16(), expected, "{form:?}");
        assert!(response.json::<Value>().await?["error"].is_string());
    }
    assert_eq!(call(&a, reqwest::Method::GET, "/api/v1/accounts/verify_credentials", None, None).await?.0, 401);
    assert_eq!(
        call(&a, reqwest::Method::GET, "/api/v1/accounts/verify_credentials", Some("forged"), None).await?.0,
        401
    );

    // Revocation ends the token.
    let response = a
        .http
        .post(a.url("/oauth/revoke"))
        .form(&[("client_id", id.as_str()), ("client_secret", secret.as_str()), ("token", by_email.as_str())])
        .send()
        .await?;
    assert_eq!(response.status(), 200);
    // (that token belongs to another app: unaffected)
    assert_eq!(
        call(&a, reqwest::Method::GET, "/api/v1/accounts/verify_credentials", Some(&by_email), None).await?.0,
        200
    );
    // A password reset ends every session.
    a.cli_with_input(&["admin", "user", "reset-password", "marie"], "un autre mot de passe\n").await?;
    assert_eq!(call(&a, reqwest::Method::GET, "/api/v1/accounts/verify_credentials", Some(&token), None).await?.0, 401);

    // A CLI token for scripts.
    let printed = a.cli(&["admin", "token", "create", "paul", "--scopes", "read"]).await?;
    let paul = printed.trim();
    assert_eq!(
        call(&a, reqwest::Method::GET, "/api/v1/accounts/verify_credentials", Some(paul), None).await?.1["username"],
        "paul"
    );
    let (status, body) = post_status(&a, paul, json!({ "status": "x" })).await?;
    assert_eq!(status, 403, "a read-only token cannot post: {body}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorization_code_with_pkce() -> anyhow::Result<()> {
    use base64::Engine;
    use sha2::Digest;
    let a = instance().await?;
    let app: Value = a
        .http
        .post(a.url("/api/v1/apps"))
        .json(&json!({ "client_name": "Phanpy", "redirect_uris": "https://client.example/callback", "scopes": "read write" }))
        .send()
        .await?
        .json()
        .await?;
    let client_id = app["client_id"].as_str().unwrap();
    let verifier = "a-very-long-random-verifier-string-of-at-least-43-characters";
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()));
    let query = [
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", "https://client.example/callback"),
        ("scope", "read write"),
        ("state", "xyz"),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
    ];
    let form = a.http.get(a.url("/oauth/authorize")).query(&query).send().await?;
    assert_eq!(form.status(), 200);
    let html = form.text().await?;
    assert!(html.contains("<label for=\"password\">") && html.contains("Phanpy"), "{html}");

    let mut fields: Vec<(&str, &str)> = query.to_vec();
    fields.extend([("username", "marie"), ("password", "wrong password!")]);
    let refused = a.http.post(a.url("/oauth/authorize")).form(&fields).send().await?;
    assert_eq!(refused.status(), 401);
    fields.truncate(query.len());
    fields.extend([("username", "marie"), ("password", PASSWORD)]);
    let redirect = a.http.post(a.url("/oauth/authorize")).form(&fields).send().await?;
    assert_eq!(redirect.status(), 303);
    let location = url::Url::parse(redirect.headers()["location"].to_str()?)?;
    assert_eq!(location.host_str(), Some("client.example"));
    let params: std::collections::HashMap<_, _> = location.query_pairs().into_owned().collect();
    assert_eq!(params["state"], "xyz");
    let code = &params["code"];

    let exchange = |verifier: &'static str| {
        a.http.post(a.url("/oauth/token")).form(&[
            ("grant_type", "authorization_code"),
            ("client_id", client_id),
            ("code", code.as_str()),
            ("redirect_uri", "https://client.example/callback"),
            ("code_verifier", verifier),
        ])
    };
    assert_eq!(exchange("the wrong verifier, also long enough to be one....").send().await?.status(), 400);
    // A failed exchange used the code up; start again would be needed. Ask for a new one.
    let redirect = a.http.post(a.url("/oauth/authorize")).form(&fields).send().await?;
    let location = url::Url::parse(redirect.headers()["location"].to_str()?)?;
    let code: String = location.query_pairs().find(|(k, _)| k == "code").unwrap().1.into_owned();
    let token: Value = a
        .http
        .post(a.url("/oauth/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("client_id", client_id),
            ("code", code.as_str()),
            ("redirect_uri", "https://client.example/callback"),
            ("code_verifier", verifier),
        ])
        .send()
        .await?
        .json()
        .await?;
    let access = token["access_token"].as_str().unwrap_or_else(|| panic!("{token}"));
    assert_eq!(
        call(&a, reqwest::Method::GET, "/api/v1/accounts/verify_credentials", Some(access), None).await?.1["username"],
        "marie"
    );
    // Codes work once.
    let again = a
        .http
        .post(a.url("/oauth/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("client_id", client_id),
            ("code", code.as_str()),
            ("code_verifier", verifier),
        ])
        .send()
        .await?;
    assert_eq!(again.status(), 400);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statuses_timelines_search_and_follows() -> anyhow::Result<()> {
    let a = instance().await?;
    let b = TestInstance::spawn().await?;
    b.cli(&["admin", "enterprise", "create", "ferme", "--name", "La Ferme"]).await?;
    b.cli_with_input(&["admin", "user", "create", "luc"], &format!("{PASSWORD}\n")).await?;
    b.cli(&["admin", "enterprise", "add-editor", "ferme", "luc"]).await?;
    let marie = login(&a, "marie").await?;
    let paul = login(&a, "paul").await?;

    let (status, mine) = post_status(&a, &marie, json!({ "status": "Bonjour #fediverse", "language": "fr" })).await?;
    assert_eq!(status, 200, "{mine}");
    assert_eq!(mine["account"]["username"], "marie");
    assert_eq!(mine["visibility"], "public");
    assert_eq!(mine["tags"][0]["name"], "fediverse");
    let (status, as_coop) =
        post_status(&a, &marie, json!({ "status": "Nouvelles de la coop", "maillage_as": "coop" })).await?;
    assert_eq!(status, 200, "{as_coop}");
    assert_eq!(as_coop["account"]["username"], "coop");
    let (status, refused) = post_status(&a, &paul, json!({ "status": "x", "maillage_as": "coop" })).await?;
    assert_eq!(status, 403, "{refused}");
    for (body, expected) in [
        (json!({}), 422),
        (json!({ "status": "x", "visibility": "limited" }), 422),
        (json!({ "status": "x", "language": "klingon" }), 422),
        (json!({ "status": "x".repeat(5001) }), 422),
        (json!({ "status": "x", "in_reply_to_id": "999999" }), 404),
    ] {
        let (status, answer) = post_status(&a, &marie, body.clone()).await?;
        assert_eq!(status, expected, "{body}: {answer}");
        assert!(answer["error"].is_string(), "{answer}");
    }
    let (_, fetched) =
        call(&a, reqwest::Method::GET, &format!("/api/v1/statuses/{}", mine["id"].as_str().unwrap()), None, None)
            .await?;
    assert_eq!(fetched["uri"], mine["uri"]);

    let (_, home) = call(&a, reqwest::Method::GET, "/api/v1/timelines/home", Some(&marie), None).await?;
    let texts: Vec<&str> = home.as_array().unwrap().iter().map(|s| s["content"].as_str().unwrap()).collect();
    assert!(texts.len() == 2 && texts[0].contains("Nouvelles") && texts[1].contains("Bonjour"), "{texts:?}");
    let response = a.http.get(a.url("/api/v1/timelines/public?limit=1")).send().await?;
    let link = response.headers()["link"].to_str()?.to_string();
    assert!(link.contains("max_id=") && link.contains("rel=\"next\""), "{link}");
    let page: Value = response.json().await?;
    assert_eq!(page.as_array().unwrap().len(), 1);
    let next = link.split('<').nth(1).unwrap().split('>').next().unwrap().to_string();
    let second: Value = a.http.get(next).send().await?.json().await?;
    assert_eq!(second.as_array().unwrap().len(), 1);
    assert_ne!(second[0]["id"], page[0]["id"]);

    // Find luc's farm on B by handle, follow it, see its next post arrive.
    let (status, found) = call(
        &a,
        reqwest::Method::GET,
        &format!("/api/v2/search?q=@ferme@{}&resolve=true", b.domain),
        Some(&marie),
        None,
    )
    .await?;
    assert_eq!(status, 200, "{found}");
    let ferme = found["accounts"][0].clone();
    assert_eq!(ferme["acct"], format!("ferme@{}", b.domain));
    let ferme_id = ferme["id"].as_str().unwrap();
    let (status, relationship) =
        call(&a, reqwest::Method::POST, &format!("/api/v1/accounts/{ferme_id}/follow"), Some(&marie), None).await?;
    assert_eq!(status, 200, "{relationship}");
    assert_eq!(relationship["requested"], true);
    eventually(15, "the follow is accepted", || async {
        let (_, rel) = call(
            &a,
            reqwest::Method::GET,
            &format!("/api/v1/accounts/relationships?id[]={ferme_id}"),
            Some(&marie),
            None,
        )
        .await?;
        Ok(rel[0]["following"] == true)
    })
    .await?;
    b.cli(&["admin", "post", "note", "--enterprise", "ferme", "--author", "luc", "--text", "Paniers prêts"]).await?;
    eventually(15, "the farm's post reaches marie's home timeline", || async {
        let (_, home) = call(&a, reqwest::Method::GET, "/api/v1/timelines/home", Some(&marie), None).await?;
        Ok(home.as_array().unwrap().iter().any(|s| {
            s["content"].as_str().unwrap_or_default().contains("Paniers prêts") && s["account"]["acct"] == ferme["acct"]
        }))
    })
    .await?;

    // Deleting: only the author or an editor.
    let id = as_coop["id"].as_str().unwrap();
    assert_eq!(call(&a, reqwest::Method::DELETE, &format!("/api/v1/statuses/{id}"), Some(&paul), None).await?.0, 403);
    assert_eq!(call(&a, reqwest::Method::DELETE, &format!("/api/v1/statuses/{id}"), Some(&marie), None).await?.0, 200);
    assert_eq!(call(&a, reqwest::Method::GET, &format!("/api/v1/statuses/{id}"), None, None).await?.0, 404);

    // Unknown Mastodon endpoints answer clearly, as Mastodon does.
    let (status, body) = call(&a, reqwest::Method::GET, "/api/v1/followed_tags", Some(&marie), None).await?;
    assert_eq!(status, 404);
    assert!(body["error"].is_string());
    // Clients ask with a trailing slash too.
    let (_, instance_info) = call(&a, reqwest::Method::GET, "/api/v1/instance/", None, None).await?;
    assert_eq!(instance_info["uri"], a.domain);
    assert!(instance_info["version"].as_str().unwrap().contains("Maillage"));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn maillage_api_for_enterprises_and_practices() -> anyhow::Result<()> {
    let a = instance().await?;
    a.cli_with_input(&["admin", "user", "create", "chantal", "--admin"], &format!("{PASSWORD}\n")).await?;
    let marie = login(&a, "marie").await?;
    let paul = login(&a, "paul").await?;
    let chantal = login(&a, "chantal").await?;
    use reqwest::Method;

    // Enterprises: admins admit them; editors change their profile.
    let body = json!({ "handle": "epicerie", "name": "Épicerie solidaire" });
    assert_eq!(call(&a, Method::POST, "/api/maillage/v1/enterprises", Some(&paul), Some(body.clone())).await?.0, 403);
    let (status, created) =
        call(&a, Method::POST, "/api/maillage/v1/enterprises", Some(&chantal), Some(body.clone())).await?;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["acct"], format!("epicerie@{}", a.domain));
    assert_eq!(call(&a, Method::POST, "/api/maillage/v1/enterprises", Some(&chantal), Some(body)).await?.0, 409);
    let (status, bad) = call(
        &a,
        Method::POST,
        "/api/maillage/v1/enterprises",
        Some(&chantal),
        Some(json!({ "handle": "in box", "name": "x" })),
    )
    .await?;
    assert_eq!(status, 422, "{bad}");

    let (status, updated) = call(
        &a,
        Method::PATCH,
        "/api/maillage/v1/enterprises/coop",
        Some(&marie),
        Some(json!({ "legal_form": "cooperative", "sectors": ["food"], "region": "estrie" })),
    )
    .await?;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["profile"]["legalForm"], "cooperative");
    let (status, refused) = call(
        &a,
        Method::PATCH,
        "/api/maillage/v1/enterprises/coop",
        Some(&marie),
        Some(json!({ "legal_form": "corporation" })),
    )
    .await?;
    assert_eq!(status, 422);
    assert!(refused["error"].as_str().unwrap().contains("legal_form"), "{refused}");
    assert_eq!(
        call(&a, Method::PATCH, "/api/maillage/v1/enterprises/coop", Some(&paul), Some(json!({ "region": "estrie" })))
            .await?
            .0,
        403
    );
    let (_, listed) =
        call(&a, Method::GET, "/api/maillage/v1/enterprises?region=estrie&scope=local", None, None).await?;
    let handles: Vec<&str> = listed.as_array().unwrap().iter().map(|e| e["handle"].as_str().unwrap()).collect();
    assert_eq!(handles, vec!["coop"]);
    let (_, members) = call(&a, Method::GET, "/api/maillage/v1/enterprises/coop/members", None, None).await?;
    assert_eq!(members, json!([{ "username": "marie", "role": "editor" }]));
    // Owners (and admins) manage the team; editors do not.
    let join = json!({ "username": "paul", "role": "editor" });
    assert_eq!(
        call(&a, Method::POST, "/api/maillage/v1/enterprises/coop/members", Some(&marie), Some(join.clone())).await?.0,
        403
    );
    a.cli(&["admin", "enterprise", "add-editor", "coop", "marie", "--owner"]).await?;
    let (status, team) =
        call(&a, Method::POST, "/api/maillage/v1/enterprises/coop/members", Some(&marie), Some(join)).await?;
    assert_eq!(status, 200, "{team}");
    assert_eq!(team, json!([{ "username": "marie", "role": "owner" }, { "username": "paul", "role": "editor" }]));
    assert_eq!(
        call(
            &a,
            Method::POST,
            "/api/maillage/v1/enterprises/coop/members",
            Some(&marie),
            Some(json!({ "username": "paul", "role": "king" }))
        )
        .await?
        .0,
        422
    );
    assert_eq!(
        call(&a, Method::DELETE, "/api/maillage/v1/enterprises/coop/members/paul", Some(&paul), None).await?.0,
        403
    );
    assert_eq!(
        call(&a, Method::DELETE, "/api/maillage/v1/enterprises/coop/members/paul", Some(&marie), None).await?.0,
        204
    );
    assert_eq!(
        call(&a, Method::DELETE, "/api/maillage/v1/enterprises/coop/members/paul", Some(&marie), None).await?.0,
        404
    );
    assert_eq!(call(&a, Method::GET, "/api/maillage/v1/enterprises?scope=galaxy", None, None).await?.0, 422);

    // Practices: created by editors, with their ActivityPub id and page.
    let practice = json!({
        "enterprise": "coop", "title": "Cuisine collective", "summary": "Comment démarrer une cuisine collective.",
        "body": "## Étapes\n\nTrouver une cuisine.", "tags": ["alimentation"], "language": "fr",
    });
    let (status, created) =
        call(&a, Method::POST, "/api/maillage/v1/practices", Some(&marie), Some(practice.clone())).await?;
    assert_eq!(status, 201, "{created}");
    let uri = created["uri"].as_str().unwrap().to_string();
    assert!(uri.starts_with(&a.base_url));
    assert_eq!(created["url"], uri);
    assert!(created["content"].as_str().unwrap().contains("<h2>"));
    let served: Value = a.get_activity(&uri).await?.json().await?;
    assert_eq!(served["type"], "Article");
    assert_eq!(call(&a, Method::POST, "/api/maillage/v1/practices", Some(&paul), Some(practice.clone())).await?.0, 403);
    let (status, invalid) = call(
        &a,
        Method::POST,
        "/api/maillage/v1/practices",
        Some(&marie),
        Some(json!({ "enterprise": "coop", "title": "", "summary": "s", "body": "b" })),
    )
    .await?;
    assert_eq!(status, 422, "{invalid}");
    assert_eq!(
        call(&a, Method::POST, "/api/maillage/v1/practices", Some(&marie), Some(json!({ "title": 3 }))).await?.0,
        422
    );

    let id = created["id"].as_str().unwrap();
    let (_, listed) = call(&a, Method::GET, "/api/maillage/v1/practices?tag=alimentation", None, None).await?;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let mut changed = practice.clone();
    changed["title"] = json!("Cuisine collective, version 2");
    let (status, edited) =
        call(&a, Method::PUT, &format!("/api/maillage/v1/practices/{id}"), Some(&marie), Some(changed)).await?;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(edited["title"], "Cuisine collective, version 2");
    assert!(edited["updated"].is_string());
    assert_eq!(call(&a, Method::DELETE, &format!("/api/maillage/v1/practices/{id}"), Some(&paul), None).await?.0, 403);
    assert_eq!(call(&a, Method::DELETE, &format!("/api/maillage/v1/practices/{id}"), Some(&marie), None).await?.0, 204);
    assert_eq!(call(&a, Method::GET, &format!("/api/maillage/v1/practices/{id}"), None, None).await?.0, 404);
    assert_eq!(a.get_activity(&uri).await?.status(), 410);

    // The OpenAPI document describes all of it.
    let (status, openapi) = call(&a, Method::GET, "/api/maillage/v1/openapi.json", None, None).await?;
    assert_eq!(status, 200);
    assert!(openapi["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/maillage/v1/enterprises",
        "/api/maillage/v1/practices/{id}",
        "/api/maillage/v1/enterprises/{handle}/members",
    ] {
        assert!(openapi["paths"][path].is_object(), "{path} missing");
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn favourites_reblogs_and_notifications_across_instances() -> anyhow::Result<()> {
    use reqwest::Method;
    let a = instance().await?;
    let marie = login(&a, "marie").await?;

    // Luc (on B) follows the enterprise coop (on A): marie, its editor, is told.
    let (b, luc, _) = luc_on_b_follows_coop(&a).await?;
    eventually(15, "marie is told of the follow", || async {
        let (_, list) = call(&a, Method::GET, "/api/v1/notifications", Some(&marie), None).await?;
        Ok(list
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["type"] == "follow" && n["account"]["acct"] == format!("luc@{}", b.domain)))
    })
    .await?;

    // Marie posts for coop; luc finds the post by URL, likes and reshares it.
    let (_, post) =
        post_status(&a, &marie, json!({ "status": "Portes ouvertes samedi", "maillage_as": "coop" })).await?;
    let uri = post["uri"].as_str().unwrap().to_string();
    let (_, found) = call(&b, Method::GET, &format!("/api/v2/search?q={uri}&resolve=true"), Some(&luc), None).await?;
    let on_b = found["statuses"][0]["id"].as_str().unwrap_or_else(|| panic!("{found}")).to_string();
    let (status, liked) =
        call(&b, Method::POST, &format!("/api/v1/statuses/{on_b}/favourite"), Some(&luc), None).await?;
    assert_eq!(status, 200, "{liked}");
    assert_eq!(liked["favourited"], true);
    let (_, reblogged) = call(&b, Method::POST, &format!("/api/v1/statuses/{on_b}/reblog"), Some(&luc), None).await?;
    assert_eq!(reblogged["reblogged"], true);
    eventually(15, "A counts the like and the reshare, and notifies", || async {
        let printed = a.cli(&["admin", "post", "reactions", &uri]).await?;
        let (_, list) =
            call(&a, Method::GET, "/api/v1/notifications?types[]=favourite&types[]=reblog", Some(&marie), None).await?;
        Ok(printed.contains("1 like(s), 1 reshare(s)") && list.as_array().unwrap().len() == 2)
    })
    .await?;
    let (_, unliked) =
        call(&b, Method::POST, &format!("/api/v1/statuses/{on_b}/unfavourite"), Some(&luc), None).await?;
    assert_eq!(unliked["favourited"], false);
    eventually(15, "the like is taken back", || async {
        Ok(a.cli(&["admin", "post", "reactions", &uri]).await?.contains("0 like(s), 1 reshare(s)"))
    })
    .await?;

    // A mention reaches marie as a notification.
    post_status(&b, &luc, json!({ "status": format!("Merci @marie@{} !", a.domain) })).await?;
    eventually(15, "marie is mentioned", || async {
        let (_, list) = call(&a, Method::GET, "/api/v1/notifications?types[]=mention", Some(&marie), None).await?;
        Ok(list
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["status"]["content"].as_str().unwrap_or_default().contains("Merci")))
    })
    .await?;
    let (_, list) = call(&a, Method::GET, "/api/v1/notifications", Some(&marie), None).await?;
    let first = list[0]["id"].as_str().unwrap().to_string();
    assert_eq!(call(&a, Method::GET, &format!("/api/v1/notifications/{first}"), Some(&marie), None).await?.0, 200);
    assert_eq!(
        call(&a, Method::POST, &format!("/api/v1/notifications/{first}/dismiss"), Some(&marie), None).await?.0,
        200
    );
    assert_eq!(call(&a, Method::GET, &format!("/api/v1/notifications/{first}"), Some(&marie), None).await?.0, 404);
    let paul = login(&a, "paul").await?;
    let (_, none) = call(&a, Method::GET, "/api/v1/notifications", Some(&paul), None).await?;
    assert_eq!(none, json!([]), "paul edits nothing: no notifications");
    call(&a, Method::POST, "/api/v1/notifications/clear", Some(&marie), None).await?;
    let (_, cleared) = call(&a, Method::GET, "/api/v1/notifications", Some(&marie), None).await?;
    assert_eq!(cleared, json!([]));

    // The context of a reply shows its parent.
    let (_, reply) =
        post_status(&a, &marie, json!({ "status": "Et dimanche aussi", "in_reply_to_id": post["id"] })).await?;
    let (_, context) =
        call(&a, Method::GET, &format!("/api/v1/statuses/{}/context", reply["id"].as_str().unwrap()), None, None)
            .await?;
    assert_eq!(context["ancestors"][0]["id"], post["id"]);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_and_login_throttling() -> anyhow::Result<()> {
    let a = TestInstance::spawn_with(Box::new(|config| {
        config.limits.api_per_5_minutes = 6;
        config.limits.login_failures_per_5_minutes = 2;
    }))
    .await?;
    a.cli_with_input(&["admin", "user", "create", "marie"], &format!("{PASSWORD}\n")).await?;
    let (id, secret) = app(&a).await?; // request 1 from this address
    let attempt = |password: &'static str| {
        a.http.post(a.url("/oauth/token")).form(&[
            ("grant_type", "password"),
            ("client_id", id.as_str()),
            ("client_secret", secret.as_str()),
            ("username", "marie"),
            ("password", password),
            ("scope", "read"),
        ])
    };
    assert_eq!(attempt("wrong password 1").send().await?.status(), 400);
    assert_eq!(attempt("wrong password 2").send().await?.status(), 400);
    let blocked = attempt(PASSWORD).send().await?;
    assert_eq!(blocked.status(), 429, "even the right password waits after too many failures");
    assert!(blocked.json::<Value>().await?["error"].as_str().unwrap().contains("Too many"));

    // Requests without a token count per address: this is the 5th and 6th.
    let response = a.get("/api/v1/instance").await?;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-ratelimit-limit"], "6");
    assert_eq!(response.headers()["x-ratelimit-remaining"], "1");
    assert!(response.headers()["x-ratelimit-reset"].to_str()?.ends_with('Z'));
    assert_eq!(a.get("/api/v1/instance").await?.status(), 200);
    let limited = a.get("/api/v1/instance").await?;
    assert_eq!(limited.status(), 429);
    assert_eq!(limited.headers()["x-ratelimit-remaining"], "0");
    // A token has its own budget.
    let token = a.cli(&["admin", "token", "create", "marie"]).await?;
    let response = a.http.get(a.url("/api/v1/accounts/verify_credentials")).bearer_auth(token.trim()).send().await?;
    assert_eq!(response.status(), 200);
    // ActivityPub endpoints are not the client API's business.
    assert_eq!(a.get("/.well-known/nodeinfo").await?.status(), 200);
    Ok(())
}

async fn app_token(instance: &TestInstance) -> anyhow::Result<String> {
    let (id, secret) = app(instance).await?;
    let token: Value = instance
        .http
        .post(instance.url("/oauth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", &id),
            ("client_secret", &secret),
            ("scope", "read write"),
        ])
        .send()
        .await?
        .json()
        .await?;
    Ok(token["access_token"].as_str().unwrap_or_else(|| panic!("{token}")).to_string())
}

fn registration(username: &str, code: Option<&str>) -> Value {
    let mut body = json!({ "username": username, "email": format!("{username}@example.org"), "password": PASSWORD, "agreement": true, "locale": "fr" });
    if let Some(code) = code {
        body["invite_code"] = json!(code);
    }
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registrations_follow_the_configured_policy() -> anyhow::Result<()> {
    use reqwest::Method;
    // Closed (the default).
    let closed = instance().await?;
    let token = app_token(&closed).await?;
    assert_eq!(
        call(&closed, Method::POST, "/api/v1/accounts", Some(&token), Some(registration("lea", None))).await?.0,
        403
    );
    assert_eq!(call(&closed, Method::POST, "/api/v1/accounts", None, Some(registration("lea", None))).await?.0, 401);

    // Invite: one code, one account.
    let invite =
        TestInstance::spawn_with(Box::new(|c| c.registrations.mode = maillage_config::RegistrationMode::Invite))
            .await?;
    let token = app_token(&invite).await?;
    assert_eq!(
        call(&invite, Method::POST, "/api/v1/accounts", Some(&token), Some(registration("lea", None))).await?.0,
        403
    );
    let code = invite.cli(&["admin", "invite", "create"]).await?;
    let code = code.trim();
    let (status, created) =
        call(&invite, Method::POST, "/api/v1/accounts", Some(&token), Some(registration("lea", Some(code)))).await?;
    assert_eq!(status, 200, "{created}");
    let lea = created["access_token"].as_str().unwrap().to_string();
    assert_eq!(
        call(&invite, Method::GET, "/api/v1/accounts/verify_credentials", Some(&lea), None).await?.1["username"],
        "lea"
    );
    assert_eq!(
        call(&invite, Method::POST, "/api/v1/accounts", Some(&token), Some(registration("max", Some(code)))).await?.0,
        403,
        "a code works once"
    );
    let nodeinfo: Value = invite.get("/nodeinfo/2.1").await?.json().await?;
    assert_eq!(nodeinfo["openRegistrations"], true);

    // Approval: the account exists but works once approved.
    let approval =
        TestInstance::spawn_with(Box::new(|c| c.registrations.mode = maillage_config::RegistrationMode::Approval))
            .await?;
    let token = app_token(&approval).await?;
    for (body, field) in [
        (
            json!({ "username": "in box", "email": "x@example.org", "password": PASSWORD, "agreement": true }),
            "username",
        ),
        (json!({ "username": "zoe", "email": "not-an-email", "password": PASSWORD, "agreement": true }), "email"),
        (json!({ "username": "zoe", "email": "zoe@example.org", "password": "short", "agreement": true }), "password"),
        (json!({ "username": "zoe", "email": "zoe@example.org", "password": PASSWORD }), "agreement"),
    ] {
        let (status, answer) = call(&approval, Method::POST, "/api/v1/accounts", Some(&token), Some(body)).await?;
        assert_eq!(status, 422, "{answer}");
        assert!(answer["error"].as_str().unwrap().contains(field), "{answer}");
    }
    let (status, created) =
        call(&approval, Method::POST, "/api/v1/accounts", Some(&token), Some(registration("zoe", None))).await?;
    assert_eq!(status, 200, "{created}");
    let zoe = created["access_token"].as_str().unwrap().to_string();
    let (status, waiting) =
        call(&approval, Method::GET, "/api/v1/accounts/verify_credentials", Some(&zoe), None).await?;
    assert_eq!(status, 403, "{waiting}");
    approval.cli(&["admin", "user", "approve", "zoe"]).await?;
    assert_eq!(call(&approval, Method::GET, "/api/v1/accounts/verify_credentials", Some(&zoe), None).await?.0, 200);
    let (status, _) =
        call(&approval, Method::POST, "/api/v1/accounts", Some(&token), Some(registration("zoe", None))).await?;
    assert_eq!(status, 422, "the username is taken");
    // A refused registration writes nothing: the username stays free.
    let mut same_email = registration("yann", None);
    same_email["email"] = json!("zoe@example.org");
    let (status, answer) = call(&approval, Method::POST, "/api/v1/accounts", Some(&token), Some(same_email)).await?;
    assert_eq!(status, 422, "{answer}");
    assert!(answer["error"].as_str().unwrap().contains("email"), "{answer}");
    let (status, _) =
        call(&approval, Method::POST, "/api/v1/accounts", Some(&token), Some(registration("yann", None))).await?;
    assert_eq!(status, 200);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profile_edits_idempotency_and_follow_lists() -> anyhow::Result<()> {
    use reqwest::Method;
    let a = instance().await?;
    let marie = login(&a, "marie").await?;
    let (status, me) = call(
        &a,
        Method::PATCH,
        "/api/v1/accounts/update_credentials",
        Some(&marie),
        Some(json!({ "display_name": "Marie T.", "note": "Coopérante" })),
    )
    .await?;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["display_name"], "Marie T.");
    let person: Value = a.get_activity(&a.actor_id("marie")).await?.json().await?;
    assert_eq!(person["name"], "Marie T.");
    assert_eq!(
        call(
            &a,
            Method::PATCH,
            "/api/v1/accounts/update_credentials",
            Some(&marie),
            Some(json!({ "display_name": " " }))
        )
        .await?
        .0,
        422
    );

    // The same Idempotency-Key twice: one status.
    let post = |key: &'static str| {
        a.http
            .post(a.url("/api/v1/statuses"))
            .bearer_auth(&marie)
            .header("Idempotency-Key", key)
            .json(&json!({ "status": "Une seule fois" }))
    };
    let first: Value = post("k-1").send().await?.json().await?;
    let second: Value = post("k-1").send().await?.json().await?;
    assert_eq!(first["id"], second["id"]);
    let third: Value = post("k-2").send().await?.json().await?;
    assert_ne!(first["id"], third["id"]);

    // Editing one's status.
    let (status, edited) = call(
        &a,
        Method::PUT,
        &format!("/api/v1/statuses/{}", first["id"].as_str().unwrap()),
        Some(&marie),
        Some(json!({ "status": "Modifié" })),
    )
    .await?;
    assert_eq!(status, 200, "{edited}");
    assert!(edited["content"].as_str().unwrap().contains("Modifié"));
    assert!(edited["edited_at"].is_string());
    let paul = login(&a, "paul").await?;
    assert_eq!(
        call(
            &a,
            Method::PUT,
            &format!("/api/v1/statuses/{}", first["id"].as_str().unwrap()),
            Some(&paul),
            Some(json!({ "status": "x" }))
        )
        .await?
        .0,
        403
    );

    // Follow lists and peers.
    let b = TestInstance::spawn().await?;
    b.cli(&["admin", "follow", "--as", "hub", &format!("@marie@{}", a.domain)]).await?;
    let marie_id = me["id"].as_str().unwrap().to_string();
    eventually(15, "marie's followers list shows B's hub", || async {
        let (_, list) = call(&a, Method::GET, &format!("/api/v1/accounts/{marie_id}/followers"), None, None).await?;
        Ok(list.as_array().unwrap().iter().any(|acct| acct["acct"] == format!("hub@{}", b.domain)))
    })
    .await?;
    let (_, peers) = call(&a, Method::GET, "/api/v1/instance/peers", None, None).await?;
    assert!(peers.as_array().unwrap().contains(&json!(b.domain)), "{peers}");
    Ok(())
}

/// Our actors also receive followers-only posts of the accounts they follow:
/// the public timeline (no token needed) shows only what was addressed to
/// the public.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_public_timeline_keeps_followers_only_posts_out() -> anyhow::Result<()> {
    let instance = TestInstance::spawn().await?;
    let db = instance.database().await?;
    for (n, to) in [(1, "https://www.w3.org/ns/activitystreams#Public"), (2, "https://other.test/users/a/followers")] {
        let raw = json!({ "type": "Note", "id": format!("https://other.test/notes/{n}"), "to": [to], "content": format!("<p>note {n}</p>") });
        db.store_remote_object(&maillage_db::NewRemoteObject {
            ap_id: format!("https://other.test/notes/{n}"),
            kind: "Note".into(),
            attributed_to: Some("https://other.test/users/a".into()),
            name: None,
            summary: None,
            content_html: Some(format!("<p>note {n}</p>")),
            url: None,
            in_reply_to: None,
            language: Some("fr".into()),
            published: None,
            updated: None,
            addressing: maillage_federation::objects::addressing_of(&raw),
            raw_json: raw.to_string(),
            hashtags: Vec::new(),
            attachments: Vec::new(),
        })
        .await?;
    }
    let timeline: Value = instance.get("/api/v1/timelines/public?remote=true").await?.json().await?;
    let contents: Vec<&str> = timeline.as_array().unwrap().iter().filter_map(|s| s["content"].as_str()).collect();
    assert!(contents.iter().any(|c| c.contains("note 1")), "{contents:?}");
    assert!(!contents.iter().any(|c| c.contains("note 2")), "a followers-only post leaked: {contents:?}");
    let home: Value = instance.get("/").await?.text().await.map(|t| json!(t))?;
    assert!(!home.as_str().unwrap().contains("note 2"));
    Ok(())
}

/// Regions, legal forms and co-op types by their names in French or
/// English, accents or not; licences by SPDX identifier or common name:
/// on the CLI and the API alike, stored as codes and addresses.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn values_are_taken_as_people_write_them() -> anyhow::Result<()> {
    use reqwest::Method;
    let a = instance().await?;
    let marie = login(&a, "marie").await?;
    a.cli(&["admin", "enterprise", "update", "coop", "--region", "Montréal", "--legal-form", "Coopérative"]).await?;
    let shown: Value = serde_json::from_str(&a.cli(&["admin", "enterprise", "show", "coop"]).await?)?;
    assert_eq!(
        (shown["profile"]["region"].as_str(), shown["profile"]["legalForm"].as_str()),
        (Some("montreal"), Some("cooperative")),
        "{shown}"
    );
    let refused = a.cli(&["admin", "enterprise", "update", "coop", "--region", "Atlantide"]).await.unwrap_err();
    assert!(format!("{refused:#}").contains("valid: bas_saint_laurent"), "{refused:#}");

    let change = json!({ "region": "abitibi temiscamingue", "coop_type": "Worker co-operative" });
    let (status, updated) =
        call(&a, Method::PATCH, "/api/maillage/v1/enterprises/coop", Some(&marie), Some(change)).await?;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["profile"]["region"], "abitibi_temiscamingue", "{updated}");
    assert_eq!(updated["profile"]["coopType"], "workers", "{updated}");

    let practice = |licence: &str| json!({ "enterprise": "coop", "title": "Compost", "summary": "s", "body": "b", "licence": licence });
    let (status, created) =
        call(&a, Method::POST, "/api/maillage/v1/practices", Some(&marie), Some(practice("CC-BY-SA-4.0"))).await?;
    assert_eq!(status, 201, "{created}");
    let served: Value = a.get_activity(created["uri"].as_str().unwrap()).await?.json().await?;
    assert_eq!(served["license"], "https://creativecommons.org/licenses/by-sa/4.0/");
    let (status, refused) =
        call(&a, Method::POST, "/api/maillage/v1/practices", Some(&marie), Some(practice("GPL-9"))).await?;
    assert_eq!(status, 422, "{refused}");
    assert!(refused["error"].as_str().unwrap().contains("CC-BY-SA-4.0"), "{refused}");
    Ok(())
}
