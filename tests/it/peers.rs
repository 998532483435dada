//! Third-party peers: the Fedify library (npm), driven by
//! `shared/peers/peer-fedify.sh`, finds our actors, follows one and
//! verifies the signed `Accept` it gets back. Runs wherever Node.js is
//! installed; `.ci/run` makes sure it is in CI.

use std::process::Stdio;

use maillage_tests::{TestInstance, eventually};

/// The Fedify peer script, from the project's shared material beside the
/// repository (`MAILLAGE_SHARED_DIR` names another place).
fn peer_script() -> String {
    let root = std::env::var("MAILLAGE_SHARED_DIR")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared").to_string());
    format!("{root}/peers/peer-fedify.sh")
}

/// Node.js and the peer script are there; else the test is skipped, except
/// where `MAILLAGE_REQUIRE_PEERS` says they must run (CI).
fn peer_available() -> bool {
    let node =
        std::process::Command::new("node").arg("--version").stdout(Stdio::null()).status().is_ok_and(|s| s.success());
    let script = std::path::Path::new(&peer_script()).exists();
    if !(node && script) {
        assert!(std::env::var_os("MAILLAGE_REQUIRE_PEERS").is_none(), "Node.js and {} are required", peer_script());
        maillage_tests::skipped(&format!("the Fedify peer needs Node.js and {}", peer_script()));
    }
    node && script
}

/// The peer script rewrites its program in a shared cache at every start:
/// two runs starting together race on it. Tests using the peer take turns.
static PEER_TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn run_peer(args: &[&str]) -> anyhow::Result<(bool, String)> {
    let output = tokio::process::Command::new("bash")
        .arg(peer_script())
        .args(args)
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output()
        .await?;
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    Ok((output.status.success(), text))
}

/// The JSON lines the peer printed.
fn events(output: &str) -> Vec<serde_json::Value> {
    output.lines().filter_map(|line| serde_json::from_str(line).ok()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fedify_resolves_follows_and_gets_accepted() -> anyhow::Result<()> {
    if !peer_available() {
        return Ok(());
    }
    let _turn = PEER_TURN.lock().await;
    let instance = TestInstance::spawn().await?;
    instance.cli(&["admin", "enterprise", "create", "coop_velo", "--name", "Coop Vélo"]).await?;

    // An unsigned lookup on its own (the script's default form retries
    // with signed GETs when it fails, and would hide that failure).
    for handle in ["hub", "coop_velo"] {
        let (ok, output) = run_peer(&["lookup", &format!("@{handle}@{}", instance.domain)]).await?;
        assert!(ok, "Fedify could not resolve @{handle} unsigned: {output}");
        let events = events(&output);
        assert!(!events.iter().any(|e| e["event"] == "signer"), "the lookup was signed: {output}");
        let object = events.iter().find(|e| e["event"] == "object").unwrap_or_else(|| panic!("no object: {output}"));
        assert_eq!(object["id"], instance.actor_id(handle), "{output}");
        assert_eq!(object["problems"], serde_json::json!([]), "Fedify found problems with @{handle}: {output}");
    }

    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port().to_string();
    let target = format!("@coop_velo@{}", instance.domain);
    let (ok, output) =
        run_peer(&["inbox", "--port", &port, "--follow", &target, "--expect", "Accept", "--duration", "60"]).await?;
    assert!(ok, "Fedify did not get an Accept: {output}");
    // The script prints `"verified": true` for whatever it receives; what
    // shows the signature was checked is Fedify's answer to the POST that
    // carried it (it refuses, 401, what it cannot verify) and the key named.
    let events = events(&output);
    let coop = instance.actor_id("coop_velo");
    assert!(!events.iter().any(|e| e["event"] == "unverified"), "Fedify could not verify: {output}");
    let accept = events.iter().find(|e| e["event"] == "received" && e["type"] == "Accept");
    assert_eq!(accept.map(|e| &e["actor"]), Some(&serde_json::json!(coop)), "{output}");
    let signed_posts: Vec<&serde_json::Value> = events
        .iter()
        .filter(|e| e["event"] == "http" && e["method"] == "POST")
        .filter(|e| e["keyId"].as_str().is_some_and(|key| key.starts_with(&format!("{coop}#"))))
        .collect();
    assert!(
        signed_posts
            .iter()
            .any(|e| e["status"].as_u64().is_some_and(|s| (200..300).contains(&s)) && e["signature"] != "none"),
        "no POST signed with {coop}'s key accepted by Fedify: {output}"
    );
    let followers = instance.collection_items(&format!("{}/followers", instance.actor_id("coop_velo"))).await?;
    assert_eq!(followers, vec![format!("http://localhost:{port}/i")]);
    Ok(())
}

/// A Mastodon-shaped follower (Fedify) of the hub and of an enterprise gets
/// `Announce{Note}` from the hub and `Create{Article}` with `summary` and
/// `url` from the enterprise, all with signatures it verifies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fedify_follower_receives_announces_and_articles() -> anyhow::Result<()> {
    use tokio::io::AsyncBufReadExt;
    if !peer_available() {
        return Ok(());
    }
    let _turn = PEER_TURN.lock().await;
    let instance = TestInstance::spawn().await?;
    instance.cli(&["admin", "enterprise", "create", "coop", "--name", "Coop"]).await?;
    instance.cli_with_input(&["admin", "user", "create", "marie"], "un mot de passe sûr\n").await?;
    instance.cli(&["admin", "enterprise", "add-editor", "coop", "marie"]).await?;

    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port().to_string();
    let fedify_actor = format!("http://localhost:{port}/i");
    let mut child = tokio::process::Command::new("bash")
        .arg(peer_script())
        .args(["inbox", "--port", &port, "--duration", "120"])
        .args(["--follow", &format!("@hub@{}", instance.domain), "--follow", &format!("@coop@{}", instance.domain)])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let stdout = child.stdout.take().expect("piped stdout");
    let reader = tokio::spawn(async move {
        let mut lines = tokio::io::BufReader::new(stdout).lines();
        let mut all = Vec::new();
        while let Ok(Some(line)) = lines.next_line().await {
            all.push(line);
        }
        all
    });
    maillage_tests::eventually(60, "Fedify follows the hub and the enterprise", || async {
        let hub = instance.collection_items(&format!("{}/followers", instance.actor_id("hub"))).await?;
        let coop = instance.collection_items(&format!("{}/followers", instance.actor_id("coop"))).await?;
        Ok(hub.contains(&fedify_actor) && coop.contains(&fedify_actor))
    })
    .await?;

    // With a photo: it reaches the Fedify follower as an attachment.
    let photo = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/media/phone-photo-gps.jpg");
    let note = instance
        .cli(&[
            "admin",
            "post",
            "note",
            "--enterprise",
            "coop",
            "--author",
            "marie",
            "--text",
            "Bonjour le fédivers",
            "--image",
            photo,
            "--alt",
            "Des pommes",
        ])
        .await?;
    let note = note.trim().trim_start_matches("published ").to_string();
    let practice =
        maillage_tests::publish_practice(&instance.config, ["Une pratique", "Le résumé", "Le *corps*"], &[]).await?;
    let db = instance.database().await?;
    maillage_tests::eventually(30, "every delivery is made", || async {
        let counts = db.delivery_counts().await?;
        Ok(counts.pending == 0 && counts.failed == 0)
    })
    .await?;
    let pid = child.id().expect("running").to_string();
    std::process::Command::new("kill").args(["-TERM", &pid]).status()?;
    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), child.wait()).await;
    let events: Vec<serde_json::Value> =
        reader.await?.iter().filter_map(|line| serde_json::from_str(line).ok()).collect();
    let received: Vec<&serde_json::Value> = events.iter().filter(|e| e["event"] == "received").collect();
    assert!(!events.iter().any(|e| e["event"] == "unverified"), "Fedify could not verify: {events:?}");
    let announce = received
        .iter()
        .find(|e| e["type"] == "Announce" && e["activity"]["object"] == note.as_str())
        .unwrap_or_else(|| panic!("no Announce of {note}: {received:?}"));
    assert_eq!(announce["actor"], instance.actor_id("hub"));
    let created = received
        .iter()
        .find(|e| e["type"] == "Create" && e["activity"]["object"]["id"] == note.as_str())
        .unwrap_or_else(|| panic!("no Create of {note}: {received:?}"));
    let photo = &created["activity"]["object"]["attachment"];
    let photo = if photo.is_array() { &photo[0] } else { photo };
    assert_eq!(photo["type"], "Image", "{created}");
    assert_eq!(photo["mediaType"], "image/jpeg");
    assert_eq!(photo["name"], "Des pommes");
    let url = photo["url"].as_str().unwrap_or_default();
    assert!(url.starts_with(&instance.url("/media/")), "{photo}");
    assert_eq!(instance.http.get(url).send().await?.status(), 200, "the follower can fetch it");
    let create = received
        .iter()
        .find(|e| e["type"] == "Create" && e["activity"]["object"]["type"] == "Article")
        .unwrap_or_else(|| panic!("no Create{{Article}}: {received:?}"));
    let article = &create["activity"]["object"];
    assert_eq!(article["id"], practice.as_str());
    // The long-form shape of docs/FEDERATION.md: the excerpt by language
    // only (no content warning anywhere), the title atop the content, a preview.
    assert_eq!(article["summaryMap"]["fr"], "Le résumé", "{article}");
    assert!(article.get("summary").is_none(), "{article}");
    assert!(article["content"].as_str().unwrap_or_default().starts_with("<h2>Une pratique</h2><p>Le résumé</p>"));
    assert_eq!(article["preview"]["type"], "Note");
    assert_eq!(article["url"], practice.as_str());
    assert_eq!(article["name"], "Une pratique");
    Ok(())
}

/// The test suite's own Fedify script (the shared one cannot reply), in a
/// directory of its own beside the npm packages the shared script installed
/// (`FEDIFY_PEER_HOME`, by default `~/.cache/fedify-peer`), so that Node
/// resolves its imports there. Removed when dropped.
struct ReplyScript(std::path::PathBuf);

impl ReplyScript {
    fn prepare(port: &str) -> anyhow::Result<ReplyScript> {
        let home = std::env::var("FEDIFY_PEER_HOME")
            .unwrap_or_else(|_| format!("{}/.cache/fedify-peer", std::env::var("HOME").unwrap_or_else(|_| ".".into())));
        let modules = std::path::Path::new(&home).join("node_modules");
        anyhow::ensure!(modules.join("@fedify/fedify").exists(), "the Fedify packages are not in {home}");
        let dir = std::env::temp_dir().join(format!("maillage-fedify-reply-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let link = dir.join("node_modules");
        if !link.exists() {
            std::os::unix::fs::symlink(&modules, &link)?;
        }
        std::fs::copy(concat!(env!("CARGO_MANIFEST_DIR"), "/peers/fedify-reply.mjs"), dir.join("fedify-reply.mjs"))?;
        Ok(ReplyScript(dir))
    }
}

impl Drop for ReplyScript {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A Fedify actor answers an enterprise's post with a signed `Create` of a
/// Note `inReplyTo` it: the reply is in the post's context, counted in its
/// `replies_count`, and shown on its web page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fedify_reply_joins_the_thread() -> anyhow::Result<()> {
    use tokio::io::AsyncBufReadExt;
    if !peer_available() {
        return Ok(());
    }
    let _turn = PEER_TURN.lock().await;
    let instance = TestInstance::spawn().await?;
    instance.cli(&["admin", "enterprise", "create", "coop", "--name", "Coop"]).await?;
    instance.cli_with_input(&["admin", "user", "create", "marie"], "un mot de passe sûr\n").await?;
    instance.cli(&["admin", "enterprise", "add-editor", "coop", "marie"]).await?;
    let post = instance
        .cli(&["admin", "post", "note", "--enterprise", "coop", "--author", "marie", "--text", "Qui vient jeudi ?"])
        .await?;
    let post = post.trim().trim_start_matches("published ").to_string();
    // The shared script installs the Fedify packages when they are missing.
    let (ok, output) = run_peer(&["lookup", &format!("@coop@{}", instance.domain)]).await?;
    assert!(ok, "Fedify could not resolve @coop: {output}");

    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port().to_string();
    let script = ReplyScript::prepare(&port)?;
    // Its photo, served beside it: we copy it and serve it from our URL.
    let photo = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/media/phone-photo-gps.jpg"))?;
    let (files, _) = crate::remote_media::file_server(photo, "image/jpeg").await?;
    let photo_url = format!("{files}/photo.jpg");
    let mut child = tokio::process::Command::new("node")
        .arg(script.0.join("fedify-reply.mjs"))
        .args(["--port", &port, "--reply-to", &post, "--text", "Moi, avec deux amis", "--duration", "90"])
        .args(["--image", &photo_url])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let mut lines = tokio::io::BufReader::new(child.stdout.take().expect("piped stdout")).lines();
    let mut seen = Vec::new();
    let sent = tokio::time::timeout(std::time::Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await? {
            seen.push(line.clone());
            if let Ok(event) = serde_json::from_str::<serde_json::Value>(&line) {
                match event["event"].as_str() {
                    Some("sent") => return Ok::<_, anyhow::Error>(Some(event)),
                    Some("send_failed" | "done") => return Ok(None),
                    _ => {}
                }
            }
        }
        Ok(None)
    })
    .await;
    let sent = match sent {
        Ok(Ok(Some(sent))) => sent,
        _ => panic!("Fedify did not send its reply: {seen:?}"),
    };
    // Keep reading, so the peer never blocks on a full pipe while it serves its key.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let note = sent["note"].as_str().unwrap().to_string();

    let db = instance.database().await?;
    let stored = db.post_by_ap_id(&post).await?.expect("the post");
    let context_url = instance.url(&format!("/api/v1/statuses/{}/context", stored.id));
    eventually(30, "the reply is in the post's context", || async {
        let context: serde_json::Value = instance.http.get(&context_url).send().await?.json().await?;
        Ok(context["descendants"].as_array().is_some_and(|d| d.iter().any(|s| s["uri"] == note.as_str())))
    })
    .await?;
    let context: serde_json::Value = instance.http.get(&context_url).send().await?.json().await?;
    let reply = &context["descendants"][0];
    assert_eq!(reply["uri"], note.as_str(), "{context}");
    assert_eq!(reply["in_reply_to_id"], stored.id.to_string());
    assert_eq!(reply["account"]["acct"], format!("i@localhost:{port}"));
    assert!(reply["content"].as_str().unwrap_or_default().contains("Moi, avec deux amis"), "{reply}");
    let attachment = &reply["media_attachments"][0];
    assert_eq!(attachment["remote_url"], photo_url.as_str(), "{reply}");
    assert_eq!(attachment["description"], "Une photo de Fedify");
    let ours = attachment["url"].as_str().unwrap_or_default();
    assert!(ours.starts_with(&instance.url("/media/r/")), "{attachment}");
    let copy = instance.http.get(ours).send().await?;
    assert_eq!(copy.status(), 200);
    assert_eq!(crate::media::jpeg_size(&copy.bytes().await?), Some((900, 1200)), "our re-processed copy");
    let status: serde_json::Value =
        instance.http.get(instance.url(&format!("/api/v1/statuses/{}", stored.id))).send().await?.json().await?;
    assert_eq!(status["replies_count"], 1, "{status}");
    let page = instance.http.get(&post).header("accept", "text/html").send().await?.text().await?;
    assert!(page.contains("Moi, avec deux amis"), "the post's page does not show the reply: {page}");

    let pid = child.id().expect("running").to_string();
    std::process::Command::new("kill").args(["-TERM", &pid]).status()?;
    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), child.wait()).await;
    Ok(())
}
