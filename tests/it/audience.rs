//! Who sees what: every read path walked with an anonymous reader, a
//! follower, a stranger and an addressee, for our own posts and for what
//! another server addressed to a few people (docs/FEDERATION.md, "Who sees what").

use maillage_tests::{TestInstance, eventually};
use reqwest::Method;
use serde_json::{Value, json};

use crate::api::{PASSWORD, call, instance, login, post_status};

const ACTIVITY: &str = "application/activity+json";

/// A reader of the table: a token, or nobody.
struct Reader<'a> {
    name: &'a str,
    token: Option<String>,
}

/// The contents of the statuses of a JSON list (or of `statuses` in a search).
fn contents(list: &Value) -> Vec<String> {
    let list = list.get("statuses").unwrap_or(list);
    list.as_array().into_iter().flatten().filter_map(|s| s["content"].as_str().map(str::to_string)).collect()
}

fn shows(list: &[String], word: &str) -> bool {
    list.iter().any(|c| c.contains(word))
}

async fn post_as_coop(a: &TestInstance, token: &str, text: &str, visibility: &str) -> anyhow::Result<Value> {
    let body = json!({ "status": text, "maillage_as": "coop", "visibility": visibility });
    let (status, post) = post_status(a, token, body).await?;
    assert_eq!(status, 200, "{post}");
    assert_eq!(post["visibility"], visibility, "the visibility asked for is the one shown");
    Ok(post)
}

/// Our enterprise's posts of each visibility, read through every path of
/// the API, the pages, the feeds and ActivityPub by each kind of reader.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_posts_reach_their_audience_on_every_read_path() -> anyhow::Result<()> {
    let a = instance().await?;
    for name in ["nina", "lea"] {
        a.cli_with_input(&["admin", "user", "create", name], &format!("{PASSWORD}\n")).await?;
    }
    let marie = login(&a, "marie").await?;
    let paul = login(&a, "paul").await?;
    let nina = login(&a, "nina").await?;
    let lea = login(&a, "lea").await?;

    // Paul follows coop from his app: a local follow, accepted at once.
    let (_, coop) = call(&a, Method::GET, "/api/v1/accounts/lookup?acct=coop", None, None).await?;
    let coop_id = coop["id"].as_str().unwrap().to_string();
    let (status, relationship) =
        call(&a, Method::POST, &format!("/api/v1/accounts/{coop_id}/follow"), Some(&paul), None).await?;
    assert_eq!(status, 200, "{relationship}");
    assert_eq!(relationship["following"], true, "{relationship}");
    // Bad follows get a clear answer and change nothing.
    let (_, me) = call(&a, Method::GET, "/api/v1/accounts/verify_credentials", Some(&paul), None).await?;
    let paul_id = me["id"].as_str().unwrap();
    let (status, body) =
        call(&a, Method::POST, &format!("/api/v1/accounts/{paul_id}/follow"), Some(&paul), None).await?;
    assert_eq!(status, 422, "following oneself: {body}");
    assert!(body["error"].is_string());
    assert_eq!(call(&a, Method::POST, "/api/v1/accounts/999999/follow", Some(&paul), None).await?.0, 404);
    assert_eq!(call(&a, Method::POST, &format!("/api/v1/accounts/{coop_id}/follow"), None, None).await?.0, 401);
    let (_, coop) = call(&a, Method::GET, &format!("/api/v1/accounts/{coop_id}"), None, None).await?;
    assert_eq!(coop["followers_count"], 1, "a follower here counts: {coop}");
    let (_, followers) = call(&a, Method::GET, &format!("/api/v1/accounts/{coop_id}/followers"), None, None).await?;
    assert_eq!(followers[0]["username"], "paul", "{followers}");

    let public = post_as_coop(&a, &marie, "word-public #audit", "public").await?;
    let unlisted = post_as_coop(&a, &marie, "word-unlisted #audit", "unlisted").await?;
    let private = post_as_coop(&a, &marie, "word-private #audit", "private").await?;
    let direct = post_as_coop(&a, &marie, &format!("word-direct #audit @nina@{}", a.domain), "direct").await?;
    let posts = [("public", &public), ("unlisted", &unlisted), ("private", &private), ("direct", &direct)];

    // (reader, what it sees among public, unlisted, private, direct)
    let table = [
        (Reader { name: "anonymous", token: None }, [true, true, false, false]),
        (Reader { name: "the editor", token: Some(marie.clone()) }, [true, true, true, true]),
        (Reader { name: "a follower", token: Some(paul.clone()) }, [true, true, true, false]),
        (Reader { name: "the addressee", token: Some(nina.clone()) }, [true, true, false, true]),
        (Reader { name: "a stranger", token: Some(lea.clone()) }, [true, true, false, false]),
    ];
    for (reader, expected) in &table {
        let token = reader.token.as_deref();
        let (_, account_statuses) =
            call(&a, Method::GET, &format!("/api/v1/accounts/{coop_id}/statuses"), token, None).await?;
        let account_statuses = contents(&account_statuses);
        for ((visibility, post), sees) in posts.iter().zip(expected) {
            let word = format!("word-{visibility}");
            let who = format!("{} reading the {visibility} post", reader.name);
            let id = post["id"].as_str().unwrap();
            let (status, shown) = call(&a, Method::GET, &format!("/api/v1/statuses/{id}"), token, None).await?;
            assert_eq!(status == 200, *sees, "{who} by id: {status} {shown}");
            if *sees {
                assert_eq!(shown["visibility"], *visibility, "{who}");
            }
            let (status, _) = call(&a, Method::GET, &format!("/api/v1/statuses/{id}/context"), token, None).await?;
            assert_eq!(status == 200, *sees, "{who}: its context");
            assert_eq!(shows(&account_statuses, &word), *sees, "{who} in the account's statuses");
            let uri = post["uri"].as_str().unwrap();
            let q: String = url::form_urlencoded::byte_serialize(uri.as_bytes()).collect();
            let (_, found) = call(&a, Method::GET, &format!("/api/v2/search?q={q}"), token, None).await?;
            assert_eq!(shows(&contents(&found), &word), *sees, "{who} through search");
        }
    }
    // The home timeline: the follower gets the followers-only post, the
    // addressee the direct one; neither gets what is not theirs.
    for (token, sees) in [(&paul, [true, true, true, false]), (&nina, [false, false, false, true])] {
        let (_, home) = call(&a, Method::GET, "/api/v1/timelines/home", Some(token), None).await?;
        let home = contents(&home);
        for ((visibility, _), sees) in posts.iter().zip(sees) {
            assert_eq!(shows(&home, &format!("word-{visibility}")), sees, "home timeline, {visibility}: {home:?}");
        }
    }
    // Public timelines, tag-free: listed posts only, whoever asks.
    for token in [None, Some(paul.as_str())] {
        let (_, timeline) = call(&a, Method::GET, "/api/v1/timelines/public", token, None).await?;
        let timeline = contents(&timeline);
        assert!(shows(&timeline, "word-public"));
        for hidden in ["word-unlisted", "word-private", "word-direct"] {
            assert!(!shows(&timeline, hidden), "{hidden} on the public timeline");
        }
    }
    // Tag timelines and the tag's page: listed posts only.
    for token in [None, Some(paul.as_str()), Some(nina.as_str())] {
        let (_, tagged) = call(&a, Method::GET, "/api/v1/timelines/tag/audit", token, None).await?;
        let tagged = contents(&tagged);
        assert!(shows(&tagged, "word-public"), "{tagged:?}");
        for hidden in ["word-unlisted", "word-private", "word-direct"] {
            assert!(!shows(&tagged, hidden), "{hidden} on the tag timeline");
        }
    }
    let theme = a.get("/tags/audit").await?.text().await?;
    assert!(theme.contains("word-public"), "the tag page lists the public post");
    for hidden in ["word-unlisted", "word-private", "word-direct"] {
        assert!(!theme.contains(hidden), "{hidden} on the tag page");
    }
    // The addressee was told, with the status.
    let (_, notifications) = call(&a, Method::GET, "/api/v1/notifications", Some(&nina), None).await?;
    assert!(
        notifications
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["type"] == "mention"
                && n["status"]["content"].as_str().is_some_and(|c| c.contains("word-direct"))),
        "{notifications}"
    );
    // Reshares: only of what anyone may read.
    let private_id = private["id"].as_str().unwrap();
    let (status, _) =
        call(&a, Method::POST, &format!("/api/v1/statuses/{private_id}/reblog"), Some(&paul), None).await?;
    assert_eq!(status, 422, "a followers-only post cannot be reshared");

    // Pages and feeds are anonymous here (no session): public and unlisted
    // posts have a page, the others do not exist for them.
    for (visibility, post) in &posts {
        let page = a.http.get(post["uri"].as_str().unwrap()).header("accept", "text/html").send().await?;
        let expected = if matches!(*visibility, "public" | "unlisted") { 200 } else { 404 };
        assert_eq!(page.status().as_u16(), expected, "the page of the {visibility} post");
        // ActivityPub, unsigned: what anyone may read.
        let document = a.get_activity(post["uri"].as_str().unwrap()).await?;
        assert_eq!(document.status().as_u16(), expected, "the ActivityPub document of the {visibility} post");
    }
    let feed = a.get("/feeds/actors/coop").await?.text().await?;
    assert!(feed.contains("word-public"));
    for hidden in ["word-unlisted", "word-private", "word-direct"] {
        assert!(!feed.contains(hidden), "{hidden} in the Atom feed");
    }
    // The outbox lists what anyone may read (public and unlisted), as Mastodon's does.
    let outbox: Value = a.get_activity(&format!("{}/outbox?page=true", a.actor_id("coop"))).await?.json().await?;
    let outbox = outbox.to_string();
    assert!(outbox.contains("word-public") && outbox.contains("word-unlisted"), "{outbox}");
    assert!(!outbox.contains("word-private") && !outbox.contains("word-direct"), "{outbox}");

    // A deleted post that was not for everyone does not say it existed
    // (410 Gone is for what anyone could read).
    let direct_id = direct["id"].as_str().unwrap();
    assert_eq!(call(&a, Method::DELETE, &format!("/api/v1/statuses/{direct_id}"), Some(&marie), None).await?.0, 200);
    let uri = direct["uri"].as_str().unwrap();
    assert_eq!(a.http.get(uri).header("accept", "text/html").send().await?.status().as_u16(), 404);
    assert_eq!(a.get_activity(uri).await?.status().as_u16(), 404);
    let public_id = public["id"].as_str().unwrap();
    assert_eq!(call(&a, Method::DELETE, &format!("/api/v1/statuses/{public_id}"), Some(&marie), None).await?.0, 200);
    assert_eq!(a.get_activity(public["uri"].as_str().unwrap()).await?.status().as_u16(), 410);

    // After unfollowing, the followers-only post is gone for paul.
    call(&a, Method::POST, &format!("/api/v1/accounts/{coop_id}/unfollow"), Some(&paul), None).await?;
    let (status, _) = call(&a, Method::GET, &format!("/api/v1/statuses/{private_id}"), Some(&paul), None).await?;
    assert_eq!(status, 404);
    Ok(())
}

/// What another server addresses to a few of our members is shown to them
/// only: a followers-only post to the local followers of its author, a
/// direct one to its addressees.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_other_servers_address_to_a_few_stays_with_them() -> anyhow::Result<()> {
    let a = instance().await?;
    a.cli_with_input(&["admin", "user", "create", "nina"], &format!("{PASSWORD}\n")).await?;
    let b = TestInstance::spawn().await?;
    b.cli(&["admin", "enterprise", "create", "ferme", "--name", "La Ferme"]).await?;
    b.cli_with_input(&["admin", "user", "create", "luc"], &format!("{PASSWORD}\n")).await?;
    b.cli(&["admin", "enterprise", "add-editor", "ferme", "luc"]).await?;
    let paul = login(&a, "paul").await?;
    let nina = login(&a, "nina").await?;
    let marie = login(&a, "marie").await?;

    // Paul follows the farm on B.
    let (_, found) =
        call(&a, Method::GET, &format!("/api/v2/search?q=@ferme@{}&resolve=true", b.domain), Some(&paul), None).await?;
    let ferme_id = found["accounts"][0]["id"].as_str().unwrap().to_string();
    call(&a, Method::POST, &format!("/api/v1/accounts/{ferme_id}/follow"), Some(&paul), None).await?;
    eventually(15, "the follow is accepted", || async {
        let path = format!("/api/v1/accounts/relationships?id[]={ferme_id}");
        let (_, rel) = call(&a, Method::GET, &path, Some(&paul), None).await?;
        Ok(rel[0]["following"] == true)
    })
    .await?;
    let note = |text: String, visibility: &'static str| {
        let b = &b;
        async move {
            let args = ["admin", "post", "note", "--enterprise", "ferme", "--author", "luc", "--text", &text];
            b.cli(&[&args[..], &["--visibility", visibility]].concat()).await
        }
    };
    note("far-public".into(), "public").await?;
    note("far-private".into(), "private").await?;
    note(format!("far-direct @nina@{}", a.domain), "direct").await?;
    eventually(20, "the three posts reach A", || async {
        let (_, home) = call(&a, Method::GET, "/api/v1/timelines/home", Some(&paul), None).await?;
        let (_, nina_home) = call(&a, Method::GET, "/api/v1/timelines/home", Some(&nina), None).await?;
        let home = contents(&home);
        Ok(shows(&home, "far-public") && shows(&home, "far-private") && shows(&contents(&nina_home), "far-direct"))
    })
    .await?;
    let (_, paul_home) = call(&a, Method::GET, "/api/v1/timelines/home", Some(&paul), None).await?;
    assert!(!shows(&contents(&paul_home), "far-direct"), "a direct message to nina in paul's home");
    let mut ids = Vec::new();
    for item in
        paul_home.as_array().unwrap().iter().chain(
            call(&a, Method::GET, "/api/v1/timelines/home", Some(&nina), None).await?.1.as_array().unwrap().iter(),
        )
    {
        let content = item["content"].as_str().unwrap_or_default();
        for (word, visibility) in [("far-public", "public"), ("far-private", "private"), ("far-direct", "direct")] {
            if content.contains(word) && !ids.iter().any(|(w, _, _)| *w == word) {
                assert_eq!(item["visibility"], visibility, "{word} shows its real visibility");
                ids.push((word, item["id"].as_str().unwrap().to_string(), item["uri"].as_str().unwrap().to_string()));
            }
        }
    }
    assert_eq!(ids.len(), 3, "{ids:?}");
    let order = ["far-public", "far-private", "far-direct"];
    ids.sort_by_key(|(word, _, _)| order.iter().position(|w| w == word));

    // (reader, sees public, private, direct)
    let readers = [
        ("anonymous", None, [true, false, false]),
        ("the follower", Some(paul.as_str()), [true, true, false]),
        ("the addressee", Some(nina.as_str()), [true, false, true]),
        ("a stranger", Some(marie.as_str()), [true, false, false]),
    ];
    for (name, token, sees) in readers {
        let (_, statuses) =
            call(&a, Method::GET, &format!("/api/v1/accounts/{ferme_id}/statuses"), token, None).await?;
        let statuses = contents(&statuses);
        for ((word, id, uri), sees) in ids.iter().zip(sees) {
            let (status, _) = call(&a, Method::GET, &format!("/api/v1/statuses/{id}"), token, None).await?;
            assert_eq!(status == 200, sees, "{name} reading {word} by id");
            assert_eq!(shows(&statuses, word), sees, "{name}: {word} in the account's statuses");
            let q: String = url::form_urlencoded::byte_serialize(uri.as_bytes()).collect();
            let (_, found) = call(&a, Method::GET, &format!("/api/v2/search?q={q}"), token, None).await?;
            assert_eq!(shows(&contents(&found), word), sees, "{name}: {word} through search");
            let (status, _) = call(&a, Method::GET, &format!("/api/v1/statuses/{id}/context"), token, None).await?;
            assert_eq!(status == 200, sees, "{name}: the context of {word}");
        }
    }
    let (_, timeline) = call(&a, Method::GET, "/api/v1/timelines/public", Some(&paul), None).await?;
    let timeline = contents(&timeline);
    assert!(shows(&timeline, "far-public") && !shows(&timeline, "far-private") && !shows(&timeline, "far-direct"));
    let home_page = a.get("/").await?.text().await?;
    assert!(!home_page.contains("far-private") && !home_page.contains("far-direct"));
    // Ids are sequential: walking them finds nothing that is not one's own.
    let first: i64 = ids.iter().map(|(_, id, _)| id.parse::<i64>().unwrap()).min().unwrap();
    for id in first - 2..first + 5 {
        let (status, body) = call(&a, Method::GET, &format!("/api/v1/statuses/{id}"), None, None).await?;
        if status == 200 {
            assert_eq!(body["visibility"], "public", "{body}");
        }
    }
    Ok(())
}

/// Editing and deleting an enterprise's post needs current editorship on
/// every path: a former editor may no longer change what they wrote for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_former_editor_no_longer_changes_the_enterprise_posts() -> anyhow::Result<()> {
    let a = instance().await?;
    a.cli_with_input(&["admin", "user", "create", "nina"], &format!("{PASSWORD}\n")).await?;
    a.cli(&["admin", "enterprise", "add-editor", "coop", "nina"]).await?;
    let marie = login(&a, "marie").await?;
    let nina = login(&a, "nina").await?;
    let paul = login(&a, "paul").await?;
    let first = post_as_coop(&a, &marie, "written by marie", "public").await?;
    let second = post_as_coop(&a, &marie, "also by marie", "public").await?;
    a.cli(&["admin", "enterprise", "remove-editor", "coop", "marie"]).await?;
    let edit = |id: &str| format!("/api/v1/statuses/{}", id);
    let id = first["id"].as_str().unwrap();
    for token in [&marie, &paul] {
        let (status, body) =
            call(&a, Method::PUT, &edit(id), Some(token), Some(json!({ "status": "changed" }))).await?;
        assert_eq!(status, 403, "{body}");
        let (status, body) = call(&a, Method::DELETE, &edit(id), Some(token), None).await?;
        assert_eq!(status, 403, "{body}");
    }
    let (_, unchanged) = call(&a, Method::GET, &edit(id), None, None).await?;
    assert!(unchanged["content"].as_str().unwrap().contains("written by marie"), "{unchanged}");
    // A current editor may.
    let (status, edited) = call(&a, Method::PUT, &edit(id), Some(&nina), Some(json!({ "status": "changed" }))).await?;
    assert_eq!(status, 200, "{edited}");
    let second = second["id"].as_str().unwrap();
    assert_eq!(call(&a, Method::DELETE, &edit(second), Some(&nina), None).await?.0, 200);
    Ok(())
}

/// Another server's GET of our followers-only post is answered only when
/// its signer follows the enterprise, and a direct post only to the actor
/// it names, whether or not authorized fetch is on; so are the activities
/// that carry them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_gets_of_posts_not_for_everyone_answer_their_audience_only() -> anyhow::Result<()> {
    for authorized_fetch in [false, true] {
        let a = TestInstance::spawn_with(Box::new(move |c: &mut maillage_config::Config| {
            c.federation.authorized_fetch = authorized_fetch;
        }))
        .await?;
        a.cli(&["admin", "enterprise", "create", "coop", "--name", "La Coop"]).await?;
        a.cli_with_input(&["admin", "user", "create", "marie"], &format!("{PASSWORD}\n")).await?;
        a.cli(&["admin", "enterprise", "add-editor", "coop", "marie"]).await?;
        let b = TestInstance::spawn().await?;
        b.cli_with_input(&["admin", "user", "create", "luc"], &format!("{PASSWORD}\n")).await?;
        // B's hub follows coop; B's member luc does not.
        b.cli(&["admin", "follow", "--as", "hub", &format!("@coop@{}", a.domain)]).await?;
        let db = a.database().await?;
        eventually(15, "the follow is recorded", || async {
            let coop = db.local_actor_by_username("coop").await?.unwrap();
            Ok(db.count_follows(coop.id, maillage_db::Direction::Incoming, maillage_db::FollowState::Accepted).await?
                == 1)
        })
        .await?;
        let marie = login(&a, "marie").await?;
        let private = post_as_coop(&a, &marie, "pour les abonnés", "private").await?;
        let direct = post_as_coop(&a, &marie, &format!("pour luc @luc@{}", b.domain), "direct").await?;
        let private_uri = private["uri"].as_str().unwrap().to_string();
        let direct_uri = direct["uri"].as_str().unwrap().to_string();
        let when = if authorized_fetch { "with authorized fetch" } else { "without authorized fetch" };

        assert_eq!(b.signed_get("hub", &private_uri, ACTIVITY).await?, 200, "a follower, {when}");
        assert_eq!(b.signed_get("luc", &private_uri, ACTIVITY).await?, 404, "not a follower, {when}");
        assert_eq!(b.signed_get("luc", &direct_uri, ACTIVITY).await?, 200, "the addressee, {when}");
        assert_eq!(b.signed_get("hub", &direct_uri, ACTIVITY).await?, 404, "a follower, not addressed, {when}");
        let unsigned = a.get_activity(&private_uri).await?.status().as_u16();
        assert_eq!(unsigned, if authorized_fetch { 401 } else { 404 }, "unsigned, {when}");
        // A forged signature (hub's key id, luc's key) is refused, not treated as anyone.
        let luc = b.database().await?.local_actor_by_username("luc").await?.expect("luc");
        let headers = maillage_federation::signature::sign(
            &http::Method::GET,
            &url::Url::parse(&private_uri)?,
            None,
            &format!("{}#main-key", b.actor_id("hub")),
            &luc.private_key_pem,
            std::time::SystemTime::now(),
        )?;
        let forged =
            a.http.get(&private_uri).headers(headers).header("accept", "application/activity+json").send().await?;
        assert_eq!(forged.status().as_u16(), 401, "a bad signature, {when}");

        // The Create that carried the followers-only post: the same audience.
        let creates = a.database().await?.activities_about(&private_uri).await?;
        let (create, _) = creates.iter().find(|(_, kind)| kind == "Create").expect("the Create is stored");
        assert_eq!(b.signed_get("hub", create, ACTIVITY).await?, 200, "its Create to a follower, {when}");
        assert_eq!(b.signed_get("luc", create, ACTIVITY).await?, 404, "its Create to another, {when}");
        let unsigned = a.get_activity(create).await?.status().as_u16();
        assert_eq!(unsigned, if authorized_fetch { 401 } else { 404 }, "its Create unsigned, {when}");
    }
    Ok(())
}
