//! What members keep for their own reading, through Mastodon apps:
//! bookmarks, the list of their favourites, per-viewer `favourited`,
//! `reblogged` and `bookmarked`, markers, lists and filters. Each is the
//! member's alone: another member gets nothing of it (404 for a list or a
//! filter), and a status one may not see cannot be saved.

use maillage_tests::TestInstance;
use reqwest::Method;
use serde_json::{Value, json};

use crate::api::{call, instance, login, post_status};

/// Posts `text` with `token`: the status's id.
async fn post(instance: &TestInstance, token: &str, body: Value) -> anyhow::Result<String> {
    let (status, posted) = post_status(instance, token, body).await?;
    assert_eq!(status, 200, "{posted}");
    Ok(posted["id"].as_str().unwrap().to_string())
}

/// The account id of a local handle.
async fn account_id(instance: &TestInstance, handle: &str) -> anyhow::Result<String> {
    let (_, account) =
        call(instance, Method::GET, &format!("/api/v1/accounts/lookup?acct={handle}"), None, None).await?;
    Ok(account["id"].as_str().unwrap_or_else(|| panic!("{account}")).to_string())
}

/// GET `path`: the answer's status, JSON and Link header.
async fn get(instance: &TestInstance, path: &str, token: Option<&str>) -> anyhow::Result<(u16, Value, String)> {
    let mut request = instance.http.get(instance.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await?;
    let status = response.status().as_u16();
    let link = response.headers().get("link").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    let text = response.text().await?;
    Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null), link))
}

/// A form POST or PUT (as Tusky and Ice Cubes send them).
async fn form(
    instance: &TestInstance,
    method: Method,
    path: &str,
    token: &str,
    fields: &[(&str, &str)],
) -> anyhow::Result<(u16, Value)> {
    let response = instance.http.request(method, instance.url(path)).bearer_auth(token).form(fields).send().await?;
    let status = response.status().as_u16();
    let text = response.text().await?;
    Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect()
}

/// The status of `id` in a list of statuses.
fn find<'a>(list: &'a Value, id: &str) -> &'a Value {
    list.as_array().unwrap().iter().find(|s| s["id"] == id).unwrap_or_else(|| panic!("{id} not in {list}"))
}

/// The `max_id` of a Link header's `next` page.
fn next_max_id(link: &str) -> String {
    let next = link.split(", ").find(|l| l.ends_with("rel=\"next\"")).unwrap_or_else(|| panic!("no next: {link}"));
    let query = next.split('?').nth(1).unwrap().split('>').next().unwrap();
    url::form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == "max_id").unwrap().1.into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bookmarks_are_the_members_own_and_only_of_what_they_may_see() -> anyhow::Result<()> {
    let a = instance().await?;
    let marie = login(&a, "marie").await?;
    let paul = login(&a, "paul").await?;
    let first = post(&a, &marie, json!({ "status": "Premier signet" })).await?;
    let second = post(&a, &marie, json!({ "status": "Deuxième signet" })).await?;
    let third = post(&a, &marie, json!({ "status": "Troisième signet" })).await?;
    let reserved =
        post(&a, &marie, json!({ "status": "Pour les abonnés", "maillage_as": "coop", "visibility": "private" }))
            .await?;

    for id in [&first, &second, &third] {
        let (status, shown) =
            call(&a, Method::POST, &format!("/api/v1/statuses/{id}/bookmark"), Some(&paul), None).await?;
        assert_eq!((status, &shown["id"], &shown["bookmarked"]), (200, &json!(id), &json!(true)), "{shown}");
    }
    // Bookmarking again changes nothing.
    assert_eq!(call(&a, Method::POST, &format!("/api/v1/statuses/{first}/bookmark"), Some(&paul), None).await?.0, 200);

    // A followers-only post paul may not see cannot be bookmarked: 404, as if it did not exist.
    let (status, refused) =
        call(&a, Method::POST, &format!("/api/v1/statuses/{reserved}/bookmark"), Some(&paul), None).await?;
    assert_eq!((status, refused["error"].as_str()), (404, Some("Record not found")));

    // Newest bookmark first, paged with Link headers.
    let (status, page, link) = get(&a, "/api/v1/bookmarks?limit=2", Some(&paul)).await?;
    assert_eq!(status, 200, "{page}");
    assert_eq!(ids(&page), [third.clone(), second.clone()]);
    assert!(page.as_array().unwrap().iter().all(|s| s["bookmarked"] == true), "{page}");
    let (_, older, _) =
        get(&a, &format!("/api/v1/bookmarks?limit=2&max_id={}", next_max_id(&link)), Some(&paul)).await?;
    assert_eq!(ids(&older), [first.as_str()]);

    // Bookmarks are paul's: marie's list is empty and she sees `bookmarked: false`.
    let (_, hers, _) = get(&a, "/api/v1/bookmarks", Some(&marie)).await?;
    assert_eq!(hers, json!([]));
    let (_, seen_by_marie) = call(&a, Method::GET, &format!("/api/v1/statuses/{first}"), Some(&marie), None).await?;
    assert_eq!(seen_by_marie["bookmarked"], false);
    let (_, seen_by_paul) = call(&a, Method::GET, &format!("/api/v1/statuses/{first}"), Some(&paul), None).await?;
    assert_eq!(seen_by_paul["bookmarked"], true);
    let (_, seen_by_anyone) = call(&a, Method::GET, &format!("/api/v1/statuses/{first}"), None, None).await?;
    assert_eq!(seen_by_anyone["bookmarked"], false);

    let (status, shown) =
        call(&a, Method::POST, &format!("/api/v1/statuses/{second}/unbookmark"), Some(&paul), None).await?;
    assert_eq!((status, &shown["bookmarked"]), (200, &json!(false)), "{shown}");
    let (_, page, _) = get(&a, "/api/v1/bookmarks", Some(&paul)).await?;
    assert_eq!(ids(&page), [third, first]);

    // The scopes are Mastodon's.
    let reader = a.cli(&["admin", "token", "create", "paul", "--scopes", "read:statuses"]).await?.trim().to_string();
    assert_eq!(get(&a, "/api/v1/bookmarks", Some(&reader)).await?.0, 403);
    let path = format!("/api/v1/statuses/{second}/bookmark");
    assert_eq!(call(&a, Method::POST, &path, Some(&reader), None).await?.0, 403);
    assert_eq!(get(&a, "/api/v1/bookmarks", None).await?.0, 401);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn favourites_list_the_liked_statuses_and_statuses_show_what_their_viewer_did() -> anyhow::Result<()> {
    let a = instance().await?;
    let marie = login(&a, "marie").await?;
    let paul = login(&a, "paul").await?;
    let older = post(&a, &marie, json!({ "status": "Un ancien message" })).await?;
    let newer = post(&a, &marie, json!({ "status": "Un nouveau message" })).await?;
    // paul likes the newer one first: the older one is his newest like.
    for id in [&newer, &older] {
        assert_eq!(
            call(&a, Method::POST, &format!("/api/v1/statuses/{id}/favourite"), Some(&paul), None).await?.0,
            200
        );
    }
    assert_eq!(call(&a, Method::POST, &format!("/api/v1/statuses/{newer}/reblog"), Some(&paul), None).await?.0, 200);
    assert_eq!(call(&a, Method::POST, &format!("/api/v1/statuses/{older}/bookmark"), Some(&paul), None).await?.0, 200);

    let (status, liked, link) = get(&a, "/api/v1/favourites?limit=1", Some(&paul)).await?;
    assert_eq!(status, 200, "{liked}");
    assert_eq!(ids(&liked), [older.as_str()]);
    assert_eq!(liked[0]["favourited"], true);
    let (_, rest, _) =
        get(&a, &format!("/api/v1/favourites?limit=1&max_id={}", next_max_id(&link)), Some(&paul)).await?;
    assert_eq!(ids(&rest), [newer.as_str()]);
    // marie liked nothing.
    assert_eq!(get(&a, "/api/v1/favourites", Some(&marie)).await?.1, json!([]));

    // Every timeline shows paul what he did, and nobody else.
    let (_, public, _) = get(&a, "/api/v1/timelines/public", Some(&paul)).await?;
    let (o, n) = (find(&public, &older), find(&public, &newer));
    assert_eq!((&o["favourited"], &o["reblogged"], &o["bookmarked"]), (&json!(true), &json!(false), &json!(true)));
    assert_eq!((&n["favourited"], &n["reblogged"], &n["bookmarked"]), (&json!(true), &json!(true), &json!(false)));
    let marie_id = account_id(&a, "marie").await?;
    let (_, hers, _) = get(&a, &format!("/api/v1/accounts/{marie_id}/statuses"), Some(&paul)).await?;
    assert_eq!(find(&hers, &newer)["reblogged"], true);
    for (token, who) in [(Some(marie.as_str()), "marie"), (None, "anyone")] {
        let (_, public, _) = get(&a, "/api/v1/timelines/public", token).await?;
        for status in public.as_array().unwrap() {
            assert_eq!(
                (&status["favourited"], &status["reblogged"], &status["bookmarked"]),
                (&json!(false), &json!(false), &json!(false)),
                "{who} sees paul's reactions: {status}"
            );
        }
    }

    let reader = a.cli(&["admin", "token", "create", "paul", "--scopes", "read:statuses"]).await?.trim().to_string();
    assert_eq!(get(&a, "/api/v1/favourites", Some(&reader)).await?.0, 403);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn markers_are_saved_per_member_with_their_version() -> anyhow::Result<()> {
    let a = instance().await?;
    let marie = login(&a, "marie").await?;
    let paul = login(&a, "paul").await?;
    let both = "/api/v1/markers?timeline[]=home&timeline[]=notifications";
    assert_eq!(get(&a, both, Some(&paul)).await?.1, json!({}));

    // As a form, as Tusky sends it.
    let (status, saved) = form(&a, Method::POST, "/api/v1/markers", &paul, &[("home[last_read_id]", "105")]).await?;
    assert_eq!(status, 200, "{saved}");
    assert_eq!((&saved["home"]["last_read_id"], &saved["home"]["version"]), (&json!("105"), &json!(1)));
    assert!(saved["home"]["updated_at"].as_str().is_some_and(|t| t.ends_with('Z')), "{saved}");
    // As JSON, as Elk and Phanpy send it.
    let body = json!({ "home": { "last_read_id": "110" }, "notifications": { "last_read_id": "7" } });
    let (status, saved) = call(&a, Method::POST, "/api/v1/markers", Some(&paul), Some(body)).await?;
    assert_eq!(status, 200, "{saved}");
    assert_eq!((&saved["home"]["last_read_id"], &saved["home"]["version"]), (&json!("110"), &json!(2)));
    assert_eq!(saved["notifications"]["version"], 1);

    let (_, read, _) = get(&a, both, Some(&paul)).await?;
    assert_eq!((&read["home"]["last_read_id"], &read["notifications"]["last_read_id"]), (&json!("110"), &json!("7")));
    let (_, home_only, _) = get(&a, "/api/v1/markers?timeline[]=home", Some(&paul)).await?;
    assert!(home_only.get("notifications").is_none(), "{home_only}");

    // marie's markers are hers: paul's are not shown or changed.
    assert_eq!(get(&a, both, Some(&marie)).await?.1, json!({}));
    let (_, hers) = form(&a, Method::POST, "/api/v1/markers", &marie, &[("home[last_read_id]", "3")]).await?;
    assert_eq!(hers["home"]["version"], 1);
    assert_eq!(get(&a, both, Some(&paul)).await?.1["home"]["last_read_id"], "110");

    // Bad input is refused and changes nothing.
    for fields in [&[("home[last_read_id]", "abc")][..], &[][..]] {
        assert_eq!(form(&a, Method::POST, "/api/v1/markers", &paul, fields).await?.0, 422, "{fields:?}");
    }
    assert_eq!(get(&a, both, Some(&paul)).await?.1["home"]["version"], 2);

    let reader = a.cli(&["admin", "token", "create", "paul", "--scopes", "read:statuses"]).await?.trim().to_string();
    assert_eq!(form(&a, Method::POST, "/api/v1/markers", &reader, &[("home[last_read_id]", "1")]).await?.0, 403);
    assert_eq!(get(&a, both, None).await?.0, 401);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_hold_followed_accounts_and_belong_to_their_member() -> anyhow::Result<()> {
    let a = instance().await?;
    let marie = login(&a, "marie").await?;
    let paul = login(&a, "paul").await?;
    let coop_id = account_id(&a, "coop").await?;
    let marie_id = account_id(&a, "marie").await?;
    assert_eq!(call(&a, Method::POST, &format!("/api/v1/accounts/{coop_id}/follow"), Some(&paul), None).await?.0, 200);

    let (status, list) =
        call(&a, Method::POST, "/api/v1/lists", Some(&paul), Some(json!({ "title": "Coopératives" }))).await?;
    assert_eq!(status, 200, "{list}");
    assert_eq!(
        (&list["title"], &list["replies_policy"], &list["exclusive"]),
        (&json!("Coopératives"), &json!("list"), &json!(false))
    );
    let id = list["id"].as_str().unwrap().to_string();
    let accounts = format!("/api/v1/lists/{id}/accounts");

    // Only accounts paul follows go on his list, as on Mastodon.
    let (status, refused) = form(&a, Method::POST, &accounts, &paul, &[("account_ids[]", &marie_id)]).await?;
    assert_eq!(status, 422, "{refused}");
    let (status, added) = form(&a, Method::POST, &accounts, &paul, &[("account_ids[]", &coop_id)]).await?;
    assert_eq!(status, 200, "{added}");
    let (_, on_list, _) = get(&a, &accounts, Some(&paul)).await?;
    assert_eq!(ids(&on_list), [coop_id.as_str()]);
    let (_, holding, _) = get(&a, &format!("/api/v1/accounts/{coop_id}/lists"), Some(&paul)).await?;
    assert_eq!(ids(&holding), [id.as_str()]);
    assert_eq!(get(&a, &format!("/api/v1/accounts/{marie_id}/lists"), Some(&paul)).await?.1, json!([]));

    // The list's timeline: its accounts' posts that paul may see, the
    // followers-only ones included since he follows coop; nobody else's.
    let news = post(&a, &marie, json!({ "status": "Nouvelles de la coop", "maillage_as": "coop" })).await?;
    let for_followers =
        post(&a, &marie, json!({ "status": "Pour nos abonnés", "maillage_as": "coop", "visibility": "private" }))
            .await?;
    post(&a, &marie, json!({ "status": "Marie seule" })).await?;
    let timeline = format!("/api/v1/timelines/list/{id}");
    let (status, shown, _) = get(&a, &timeline, Some(&paul)).await?;
    assert_eq!(status, 200, "{shown}");
    assert_eq!(ids(&shown), [for_followers.clone(), news.clone()]);
    let (_, first, link) = get(&a, &format!("{timeline}?limit=1"), Some(&paul)).await?;
    assert_eq!(ids(&first), [for_followers]);
    assert_eq!(
        ids(&get(&a, &format!("{timeline}?limit=1&max_id={}", next_max_id(&link)), Some(&paul)).await?.1),
        [news]
    );

    // The list is paul's: for marie it does not exist, whatever she tries.
    assert_eq!(get(&a, "/api/v1/lists", Some(&marie)).await?.1, json!([]));
    for path in [format!("/api/v1/lists/{id}"), accounts.clone(), timeline.clone()] {
        assert_eq!(get(&a, &path, Some(&marie)).await?.0, 404, "{path}");
    }
    assert_eq!(form(&a, Method::PUT, &format!("/api/v1/lists/{id}"), &marie, &[("title", "Volée")]).await?.0, 404);
    assert_eq!(form(&a, Method::DELETE, &accounts, &marie, &[("account_ids[]", &coop_id)]).await?.0, 404);
    assert_eq!(call(&a, Method::DELETE, &format!("/api/v1/lists/{id}"), Some(&marie), None).await?.0, 404);
    assert_eq!(get(&a, &format!("/api/v1/lists/{id}"), Some(&paul)).await?.1["title"], "Coopératives");

    let change = json!({ "title": "Mes coops", "replies_policy": "followed", "exclusive": true });
    let (status, changed) = call(&a, Method::PUT, &format!("/api/v1/lists/{id}"), Some(&paul), Some(change)).await?;
    assert_eq!(
        (status, &changed["title"], &changed["replies_policy"], &changed["exclusive"]),
        (200, &json!("Mes coops"), &json!("followed"), &json!(true))
    );
    let bad = json!({ "replies_policy": "everyone" });
    assert_eq!(call(&a, Method::PUT, &format!("/api/v1/lists/{id}"), Some(&paul), Some(bad)).await?.0, 422);
    assert_eq!(call(&a, Method::POST, "/api/v1/lists", Some(&paul), Some(json!({ "title": " " }))).await?.0, 422);

    assert_eq!(form(&a, Method::DELETE, &accounts, &paul, &[("account_ids[]", &coop_id)]).await?.0, 200);
    assert_eq!(get(&a, &accounts, Some(&paul)).await?.1, json!([]));
    assert_eq!(call(&a, Method::DELETE, &format!("/api/v1/lists/{id}"), Some(&paul), None).await?.0, 200);
    assert_eq!(get(&a, &format!("/api/v1/lists/{id}"), Some(&paul)).await?.0, 404);
    assert_eq!(get(&a, "/api/v1/lists", Some(&paul)).await?.1, json!([]));

    let reader = a.cli(&["admin", "token", "create", "paul", "--scopes", "read:statuses"]).await?.trim().to_string();
    assert_eq!(get(&a, "/api/v1/lists", Some(&reader)).await?.0, 403);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_weigh_replies_keep_exclusive_accounts_off_home_and_lose_the_unfollowed() -> anyhow::Result<()> {
    let a = instance().await?;
    let marie = login(&a, "marie").await?;
    let paul = login(&a, "paul").await?;
    let coop_id = account_id(&a, "coop").await?;
    let marie_id = account_id(&a, "marie").await?;
    for followed in [&coop_id, &marie_id] {
        let path = format!("/api/v1/accounts/{followed}/follow");
        assert_eq!(call(&a, Method::POST, &path, Some(&paul), None).await?.0, 200);
    }
    let (_, list) = call(&a, Method::POST, "/api/v1/lists", Some(&paul), Some(json!({ "title": "Coops" }))).await?;
    let id = list["id"].as_str().unwrap().to_string();
    let accounts = format!("/api/v1/lists/{id}/accounts");
    assert_eq!(form(&a, Method::POST, &accounts, &paul, &[("account_ids[]", &coop_id)]).await?.0, 200);

    let by_marie = post(&a, &marie, json!({ "status": "Marie parle" })).await?;
    let by_paul = post(&a, &paul, json!({ "status": "Paul demande" })).await?;
    let news = post(&a, &marie, json!({ "status": "Nouvelles", "maillage_as": "coop" })).await?;
    let reply = |to: &str, text: &str| json!({ "status": text, "maillage_as": "coop", "in_reply_to_id": to });
    let to_itself = post(&a, &marie, reply(&news, "Suite du fil")).await?;
    let to_paul = post(&a, &marie, reply(&by_paul, "Réponse à Paul")).await?;
    let to_marie = post(&a, &marie, reply(&by_marie, "Réponse à Marie")).await?;

    // What each policy shows: replies to itself and to paul always; to
    // marie (followed by paul, not on the list) only with `followed`.
    let timeline = format!("/api/v1/timelines/list/{id}");
    let always = [to_paul.clone(), to_itself.clone(), news.clone()];
    let mut with_followed = vec![to_marie.clone()];
    with_followed.extend(always.iter().cloned());
    for (policy, expected) in [("list", always.to_vec()), ("followed", with_followed), ("none", always.to_vec())] {
        let change = json!({ "title": "Coops", "replies_policy": policy });
        assert_eq!(call(&a, Method::PUT, &format!("/api/v1/lists/{id}"), Some(&paul), Some(change)).await?.0, 200);
        assert_eq!(ids(&get(&a, &timeline, Some(&paul)).await?.1), expected, "{policy}");
    }

    // An exclusive list keeps its accounts off paul's home, not off marie's.
    let home = "/api/v1/timelines/home";
    assert!(ids(&get(&a, home, Some(&paul)).await?.1).contains(&news));
    let change = json!({ "title": "Coops", "exclusive": true });
    assert_eq!(call(&a, Method::PUT, &format!("/api/v1/lists/{id}"), Some(&paul), Some(change)).await?.0, 200);
    let paul_home = ids(&get(&a, home, Some(&paul)).await?.1);
    assert!(!paul_home.contains(&news) && !paul_home.contains(&to_marie), "{paul_home:?}");
    assert!(paul_home.contains(&by_marie) && paul_home.contains(&by_paul), "{paul_home:?}");
    assert!(ids(&get(&a, home, Some(&marie)).await?.1).contains(&news), "marie's home is hers");

    // Unfollowing takes the account off paul's lists; so does blocking it.
    let unfollow = format!("/api/v1/accounts/{coop_id}/unfollow");
    assert_eq!(call(&a, Method::POST, &unfollow, Some(&paul), None).await?.0, 200);
    assert_eq!(get(&a, &accounts, Some(&paul)).await?.1, json!([]));
    assert!(ids(&get(&a, home, Some(&paul)).await?.1).iter().all(|s| *s != news), "unfollowed: not on home");
    let follow = format!("/api/v1/accounts/{coop_id}/follow");
    assert_eq!(call(&a, Method::POST, &follow, Some(&paul), None).await?.0, 200);
    assert!(ids(&get(&a, home, Some(&paul)).await?.1).contains(&news), "followed again, off the list: on home");
    assert_eq!(form(&a, Method::POST, &accounts, &paul, &[("account_ids[]", &coop_id)]).await?.0, 200);
    let block = format!("/api/v1/accounts/{coop_id}/block");
    assert_eq!(call(&a, Method::POST, &block, Some(&paul), None).await?.0, 200);
    assert_eq!(get(&a, &accounts, Some(&paul)).await?.1, json!([]));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_warn_or_hide_in_their_contexts_for_their_member_only() -> anyhow::Result<()> {
    let a = instance().await?;
    let marie = login(&a, "marie").await?;
    let paul = login(&a, "paul").await?;
    let about = post(&a, &marie, json!({ "status": "Parlons de Vélo en ville" })).await?;
    let plural = post(&a, &marie, json!({ "status": "Les vélos électriques" })).await?;
    let other = post(&a, &marie, json!({ "status": "Autre chose" })).await?;

    let create = json!({
        "title": "Cyclisme",
        "context": ["public", "thread"],
        "filter_action": "warn",
        "keywords_attributes": [{ "keyword": "vélo", "whole_word": true }],
    });
    let (status, filter) = call(&a, Method::POST, "/api/v2/filters", Some(&paul), Some(create)).await?;
    assert_eq!(status, 200, "{filter}");
    assert_eq!(
        (&filter["title"], &filter["filter_action"], &filter["context"]),
        (&json!("Cyclisme"), &json!("warn"), &json!(["public", "thread"]))
    );
    assert_eq!(filter["expires_at"], Value::Null);
    assert_eq!(filter["keywords"][0]["keyword"], "vélo");
    let id = filter["id"].as_str().unwrap().to_string();

    // warn: shown with Mastodon's FilterResult; whole words only.
    let (_, public, _) = get(&a, "/api/v1/timelines/public", Some(&paul)).await?;
    let warned = find(&public, &about);
    assert_eq!(warned["filtered"][0]["filter"]["id"], json!(id), "{warned}");
    assert_eq!(warned["filtered"][0]["keyword_matches"], json!(["vélo"]));
    assert!(find(&public, &plural).get("filtered").is_none_or(|f| f == &json!([])), "{public}");
    assert!(find(&public, &other).get("filtered").is_none_or(|f| f == &json!([])));
    // Not in a context the filter does not name, nor for anyone else.
    let marie_id = account_id(&a, "marie").await?;
    let (_, hers, _) = get(&a, &format!("/api/v1/accounts/{marie_id}/statuses"), Some(&paul)).await?;
    assert!(find(&hers, &about).get("filtered").is_none(), "{hers}");
    for token in [Some(marie.as_str()), None] {
        let (_, public, _) = get(&a, "/api/v1/timelines/public", token).await?;
        assert!(find(&public, &about).get("filtered").is_none(), "{public}");
    }

    // hide, and a keyword added (part of words too): both are left out.
    let (status, changed) =
        call(&a, Method::PUT, &format!("/api/v2/filters/{id}"), Some(&paul), Some(json!({ "filter_action": "hide" })))
            .await?;
    assert_eq!(
        (status, &changed["filter_action"], &changed["title"]),
        (200, &json!("hide"), &json!("Cyclisme")),
        "{changed}"
    );
    let (status, keyword) = form(
        &a,
        Method::POST,
        &format!("/api/v2/filters/{id}/keywords"),
        &paul,
        &[("keyword", "électrique"), ("whole_word", "false")],
    )
    .await?;
    assert_eq!((status, &keyword["whole_word"]), (200, &json!(false)), "{keyword}");
    let keyword_id = keyword["id"].as_str().unwrap().to_string();
    let (_, public, _) = get(&a, "/api/v1/timelines/public", Some(&paul)).await?;
    assert_eq!(ids(&public), [other.as_str()]);
    assert_eq!(get(&a, "/api/v1/timelines/public", Some(&marie)).await?.1.as_array().unwrap().len(), 3);
    let (_, keywords, _) = get(&a, &format!("/api/v2/filters/{id}/keywords"), Some(&paul)).await?;
    assert_eq!(keywords.as_array().unwrap().len(), 2, "{keywords}");

    // The v1 view of the same filter, as Tusky reads it: one per keyword.
    let (status, v1, _) = get(&a, "/api/v1/filters", Some(&paul)).await?;
    assert_eq!(status, 200, "{v1}");
    assert_eq!(v1[0]["phrase"], "vélo");
    assert_eq!(
        (&v1[0]["irreversible"], &v1[0]["whole_word"], &v1[0]["context"]),
        (&json!(true), &json!(true), &json!(["public", "thread"]))
    );
    assert_eq!(v1[1]["id"], json!(keyword_id));

    // The filter is paul's: for marie it does not exist, whatever she tries.
    assert_eq!(get(&a, "/api/v2/filters", Some(&marie)).await?.1, json!([]));
    assert_eq!(get(&a, "/api/v1/filters", Some(&marie)).await?.1, json!([]));
    for path in [
        format!("/api/v2/filters/{id}"),
        format!("/api/v2/filters/{id}/keywords"),
        format!("/api/v2/filters/keywords/{keyword_id}"),
    ] {
        assert_eq!(get(&a, &path, Some(&marie)).await?.0, 404, "{path}");
    }
    assert_eq!(form(&a, Method::PUT, &format!("/api/v2/filters/{id}"), &marie, &[("title", "Volé")]).await?.0, 404);
    assert_eq!(
        form(&a, Method::POST, &format!("/api/v2/filters/{id}/keywords"), &marie, &[("keyword", "x")]).await?.0,
        404
    );
    assert_eq!(
        form(&a, Method::PUT, &format!("/api/v2/filters/keywords/{keyword_id}"), &marie, &[("keyword", "x")]).await?.0,
        404
    );
    assert_eq!(
        call(&a, Method::DELETE, &format!("/api/v2/filters/keywords/{keyword_id}"), Some(&marie), None).await?.0,
        404
    );
    assert_eq!(call(&a, Method::DELETE, &format!("/api/v2/filters/{id}"), Some(&marie), None).await?.0, 404);
    assert_eq!(
        get(&a, &format!("/api/v2/filters/{id}"), Some(&paul)).await?.1["keywords"].as_array().unwrap().len(),
        2
    );

    // Keywords changed and removed one by one.
    let (status, changed) =
        form(&a, Method::PUT, &format!("/api/v2/filters/keywords/{keyword_id}"), &paul, &[("keyword", "électriques")])
            .await?;
    assert_eq!((status, &changed["keyword"], &changed["whole_word"]), (200, &json!("électriques"), &json!(false)));
    assert_eq!(
        call(&a, Method::DELETE, &format!("/api/v2/filters/keywords/{keyword_id}"), Some(&paul), None).await?.0,
        200
    );
    assert_eq!(get(&a, &format!("/api/v2/filters/keywords/{keyword_id}"), Some(&paul)).await?.0, 404);

    // A filter sent as a form, keywords as Tusky sends them, with an expiry.
    let (status, home) = form(
        &a,
        Method::POST,
        "/api/v2/filters",
        &paul,
        &[
            ("title", "Maison"),
            ("context[]", "home"),
            ("context[]", "notifications"),
            ("filter_action", "warn"),
            ("expires_in", "3600"),
            ("keywords_attributes[][keyword]", "chose"),
            ("keywords_attributes[][whole_word]", "true"),
            ("keywords_attributes[][keyword]", "ville"),
            ("keywords_attributes[][whole_word]", "false"),
        ],
    )
    .await?;
    assert_eq!(status, 200, "{home}");
    assert!(home["expires_at"].as_str().is_some(), "{home}");
    let words: Vec<(&Value, &Value)> =
        home["keywords"].as_array().unwrap().iter().map(|k| (&k["keyword"], &k["whole_word"])).collect();
    assert_eq!(words, [(&json!("chose"), &json!(true)), (&json!("ville"), &json!(false))]);

    // Bad input: 422, nothing saved.
    for body in [
        json!({ "title": "Sans contexte", "context": [] }),
        json!({ "title": "Contexte inconnu", "context": ["everywhere"] }),
        json!({ "title": "Action inconnue", "context": ["home"], "filter_action": "burn" }),
        json!({ "context": ["home"] }),
    ] {
        assert_eq!(call(&a, Method::POST, "/api/v2/filters", Some(&paul), Some(body.clone())).await?.0, 422, "{body}");
    }
    assert_eq!(get(&a, "/api/v2/filters", Some(&paul)).await?.1.as_array().unwrap().len(), 2);

    assert_eq!(call(&a, Method::DELETE, &format!("/api/v2/filters/{id}"), Some(&paul), None).await?.0, 200);
    assert_eq!(get(&a, &format!("/api/v2/filters/{id}"), Some(&paul)).await?.0, 404);
    assert_eq!(get(&a, "/api/v1/timelines/public", Some(&paul)).await?.1.as_array().unwrap().len(), 3);

    let reader = a.cli(&["admin", "token", "create", "paul", "--scopes", "read:statuses"]).await?.trim().to_string();
    assert_eq!(get(&a, "/api/v2/filters", Some(&reader)).await?.0, 403);
    assert_eq!(get(&a, "/api/v1/filters", Some(&reader)).await?.0, 403);
    Ok(())
}
