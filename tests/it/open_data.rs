//! The directory as open data and the network at a glance, through real
//! servers: `/directory.csv` and `/directory.jsonld` (ours, and with
//! `?scope=network` the network's, each with the hub it came from), the
//! Murmurations profile of each enterprise, the schema.org block of its
//! page, `maillage admin enterprise export` giving the same bytes, only
//! public fields whoever asks; `/statistics`, its CSVs and the API counting
//! a known population; a browser reading the charts. JSON-LD is expanded by
//! jsonld.js (the reference processor) with schema.org's context shipped in
//! `tests/fixtures/jsonld`, since nothing is fetched from the internet here.

use std::process::Stdio;

use maillage_tests::{TestInstance, eventually};
use serde_json::Value;

use crate::api::PASSWORD;

const JSONLD_SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/browser/jsonld.mjs");
const STATISTICS_SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/browser/statistics.mjs");

/// The CSV header of `/directory.csv`: the import reads these columns.
const HEADER: &str = "id,network_origin,handle,name_fr,name_en,summary_fr,summary_en,primary_language,neq,legal_form,coop_type,sectors,qualifiers,region,address,latitude,longitude,scope,website,contact,founded,status,languages,logo_url,banner_url";

/// A summary with what CSV must quote and what JSON in HTML must escape.
const SUMMARY: &str = "Fruits; légumes \"bio\", et pain </script><!-- à Montréal";

async fn enterprise(instance: &TestInstance, handle: &str, name: &str, args: &[&str]) -> anyhow::Result<()> {
    instance.cli(&["admin", "enterprise", "create", handle, "--name", name]).await?;
    let mut update = vec!["admin", "enterprise", "update", handle, "--name-fr", name];
    update.extend_from_slice(args);
    instance.cli(&update).await?;
    Ok(())
}

/// B, whose hub follows A's: B has `locale` and `epicerie`, with the owner
/// marie (whose e-mail is private), A has `velo`, listed in B's network
/// directory. Returns (A, B).
async fn network() -> anyhow::Result<(TestInstance, TestInstance)> {
    let a = TestInstance::spawn().await?;
    let b = TestInstance::spawn().await?;
    enterprise(
        &a,
        "velo",
        "Coop Vélo",
        &["--region", "estrie", "--legal-form", "cooperative", "--coop-type", "workers", "--sector", "transport"],
    )
    .await?;
    enterprise(
        &b,
        "locale",
        "Épicerie « locale »",
        &[
            "--summary-fr",
            SUMMARY,
            "--region",
            "Montréal",
            "--legal-form",
            "nonprofit",
            "--sector",
            "food",
            "--sector",
            "retail",
            "--lat",
            "45.5",
            "--lon",
            "-73.6",
            "--website",
            "https://locale.example",
            "--founded",
            "2004",
            "--language",
            "fr",
            "--neq",
            "1143 567 890",
        ],
    )
    .await?;
    enterprise(
        &b,
        "epicerie",
        "Coop d'alimentation",
        &["--region", "montreal", "--legal-form", "cooperative", "--coop-type", "consumers", "--sector", "food"],
    )
    .await?;
    b.cli_with_input(
        &["admin", "user", "create", "marie", "--email", "Marie.Secret@Example.org"],
        &format!("{PASSWORD}\n"),
    )
    .await?;
    b.cli(&["admin", "enterprise", "add-editor", "locale", "marie", "--owner"]).await?;
    b.cli(&["admin", "follow", "--as", "hub", &format!("@hub@{}", a.domain)]).await?;
    eventually(15, "B follows A's hub", || async {
        Ok(b.collection_items(&format!("{}/following", b.actor_id("hub"))).await? == vec![a.actor_id("hub")])
    })
    .await?;
    b.cli(&["admin", "directory", "sync"]).await?;
    Ok((a, b))
}

/// The rows of a CSV body, each as (column → value).
fn csv_rows(body: &str) -> anyhow::Result<(Vec<String>, Vec<Vec<String>>)> {
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let header = reader.headers()?.iter().map(str::to_string).collect();
    let rows = reader.records().map(|r| Ok(r?.iter().map(str::to_string).collect())).collect::<anyhow::Result<_>>()?;
    Ok((header, rows))
}

fn cell<'a>(header: &[String], row: &'a [String], name: &str) -> &'a str {
    let at = header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name}"));
    &row[at]
}

/// What no export may hold: account e-mails and private keys.
fn assert_public_only(body: &str) {
    assert!(!body.to_lowercase().contains("marie.secret"), "an account's e-mail: {body}");
    assert!(!body.contains("PRIVATE KEY"), "a private key: {body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_directory_exports_as_csv_jsonld_and_murmurations_with_public_fields_only() -> anyhow::Result<()> {
    let (a, b) = network().await?;

    // Ours, as anyone reads them.
    let response = b.get("/directory.csv").await?;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/csv; charset=utf-8");
    assert_eq!(response.headers()["content-disposition"], "attachment; filename=\"directory.csv\"");
    assert_eq!(response.headers()["cache-control"], "public, max-age=300");
    assert_eq!(response.headers()["access-control-allow-origin"], "*");
    let ours = response.text().await?;
    assert_eq!(ours.lines().next(), Some(HEADER));
    assert_public_only(&ours);
    let (header, rows) = csv_rows(&ours)?;
    assert_eq!(rows.len(), 2, "{ours}");
    let locale = rows.iter().find(|r| cell(&header, r, "handle") == "locale").expect("locale");
    assert_eq!(cell(&header, locale, "id"), b.actor_id("locale"));
    assert_eq!(cell(&header, locale, "network_origin"), "");
    assert_eq!(cell(&header, locale, "name_fr"), "Épicerie « locale »");
    assert_eq!(cell(&header, locale, "summary_fr"), SUMMARY);
    assert_eq!(cell(&header, locale, "region"), "montreal", "codes, not labels");
    assert_eq!(cell(&header, locale, "sectors"), "food; retail");
    assert_eq!(cell(&header, locale, "latitude"), "45.5");
    assert_eq!(cell(&header, locale, "founded"), "2004");
    assert_eq!(cell(&header, locale, "neq"), "1143567890", "the ten digits");

    // With the network: A's enterprise, and the hub it came from.
    let network = b.get("/directory.csv?scope=network").await?;
    assert_eq!(network.headers()["content-disposition"], "attachment; filename=\"directory-network.csv\"");
    let network = network.text().await?;
    let (header, rows) = csv_rows(&network)?;
    assert_eq!(rows.len(), 3, "{network}");
    let velo = rows.iter().find(|r| cell(&header, r, "id") == a.actor_id("velo")).expect("A's velo");
    assert_eq!(cell(&header, velo, "network_origin"), a.actor_id("hub"));
    assert_eq!(cell(&header, velo, "handle"), format!("velo@{}", a.domain));
    assert_eq!(cell(&header, velo, "coop_type"), "workers");
    let refused = b.get("/directory.csv?scope=galaxy").await?;
    assert_eq!(refused.status(), 422);
    assert!(refused.text().await?.contains("local or network"));

    // JSON-LD: the licence, ESSGlobal's terms, the origin of network entries.
    let response = b.get("/directory.jsonld?scope=network").await?;
    assert_eq!(response.headers()["content-type"], "application/ld+json");
    let text = response.text().await?;
    assert_public_only(&text);
    let document: Value = serde_json::from_str(&text)?;
    assert_eq!(document["@context"][0], "https://schema.org");
    assert_eq!(document["@context"][1]["essglobal"], "http://purl.org/essglobal/vocab/");
    assert_eq!(document["license"], "https://creativecommons.org/licenses/by/4.0/");
    let entities = document["mainEntity"].as_array().expect("entries");
    let velo = entities.iter().find(|e| e["@id"] == a.actor_id("velo")).expect("velo");
    assert_eq!(velo["networkOrigin"], a.actor_id("hub"));
    assert_eq!(velo["legalForm"], "http://purl.org/essglobal/standard/organisational-structure/OS115");
    let expanded = expand(&[&text]).await?;
    if let Some(expanded) = expanded.first() {
        let text = expanded.to_string();
        for term in [
            "http://schema.org/Dataset",
            "http://schema.org/license",
            "http://schema.org/Organization",
            "http://purl.org/essglobal/vocab/SSEInitiative",
            "http://purl.org/essglobal/vocab/legalForm",
            "http://purl.org/essglobal/vocab/economicSector",
            "https://w3id.org/maillage#networkOrigin",
            "http://purl.org/essglobal/standard/activities-ica/ICA220",
        ] {
            assert!(text.contains(term), "{term} in {text}");
        }
        let licence = &expanded[0]["http://schema.org/license"][0]["@id"];
        assert_eq!(licence, "https://creativecommons.org/licenses/by/4.0/", "an IRI, not a string: {expanded}");
    }

    // Each enterprise as a Murmurations profile.
    let murmurations = b.get("/enterprises/locale/murmurations.json").await?;
    assert_eq!(murmurations.headers()["content-type"], "application/json");
    let profile: Value = murmurations.json().await?;
    assert_eq!(profile["linked_schemas"][0], "organizations_schema-v1.0.0");
    assert_eq!(profile["name"], "Épicerie « locale »");
    assert_eq!(profile["primary_url"], "locale.example");
    assert_eq!(profile["geolocation"]["lat"], 45.5);
    assert_eq!(profile["license"], "https://creativecommons.org/licenses/by/4.0/");
    assert_public_only(&profile.to_string());
    for (path, status) in
        [("/enterprises/nobody/murmurations.json", 404), ("/enterprises/marie/murmurations.json", 404)]
    {
        assert_eq!(b.get(path).await?.status(), status, "{path}: only enterprises");
    }

    // The command line writes the same bytes.
    assert_eq!(b.cli(&["admin", "enterprise", "export", "--format", "csv", "--network"]).await?, network);
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("directory.jsonld");
    let printed =
        b.cli(&["admin", "enterprise", "export", "--format", "jsonld", "--output", file.to_str().unwrap()]).await?;
    assert!(printed.contains("wrote 2 enterprise(s)"), "{printed}");
    let offline: Value = serde_json::from_str(&std::fs::read_to_string(&file)?)?;
    assert_eq!(offline, serde_json::from_str::<Value>(&b.get("/directory.jsonld").await?.text().await?)?);
    Ok(())
}

/// B's network export imported into a new hub C: B's own enterprises come
/// back field for field (only their ActivityPub ids differ), A's entry is
/// left to A's hub, and a second import changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_imports_into_another_instance_without_loss() -> anyhow::Result<()> {
    let (a, b) = network().await?;
    let c = TestInstance::spawn().await?;
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("network.csv");
    b.cli(&["admin", "enterprise", "export", "--format", "csv", "--network", "--output", file.to_str().unwrap()])
        .await?;
    let path = file.to_str().unwrap();
    let (printed, code) = crate::import::run(&c, &["admin", "enterprise", "import", path]).await?;
    assert!(printed.ends_with("2 created, 0 updated, 0 unchanged, 1 refused\n"), "{printed}");
    assert_eq!(code, Some(65), "a refused line is a data error: {printed}");
    assert!(printed.contains(&a.actor_id("hub")) && printed.contains("another hub"), "{printed}");

    let without_ids = |body: &str| -> anyhow::Result<Vec<Vec<String>>> {
        let (header, mut rows) = csv_rows(body)?;
        let id = header.iter().position(|h| h == "id").unwrap();
        for row in &mut rows {
            row.remove(id);
        }
        rows.sort();
        Ok(rows)
    };
    let from_b = b.get("/directory.csv").await?.text().await?;
    let in_c = c.get("/directory.csv").await?.text().await?;
    assert_eq!(without_ids(&in_c)?, without_ids(&from_b)?, "B's enterprises, field for field:\n{in_c}");
    assert!(in_c.contains(&c.actor_id("locale")), "C's own ids: {in_c}");
    assert!(!in_c.contains("velo"), "A's enterprise stays A's: {in_c}");
    let actor: Value = c.get_activity(&c.actor_id("locale")).await?.json().await?;
    assert!(actor["publicKey"]["publicKeyPem"].as_str().is_some_and(|k| k.contains("PUBLIC KEY")), "{actor}");

    let (again, _) = crate::import::run(&c, &["admin", "enterprise", "import", path]).await?;
    assert!(again.ends_with("0 created, 0 updated, 2 unchanged, 1 refused\n"), "{again}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_enterprise_page_embeds_its_schema_org_organization() -> anyhow::Result<()> {
    let b = TestInstance::spawn().await?;
    enterprise(&b, "locale", "Épicerie « locale »", &["--summary-fr", SUMMARY, "--lat", "45.5", "--lon", "-73.6"])
        .await?;
    b.cli_with_input(
        &["admin", "user", "create", "marie", "--email", "Marie.Secret@Example.org"],
        &format!("{PASSWORD}\n"),
    )
    .await?;
    let page = b.http.get(b.actor_id("locale")).header("accept", "text/html").send().await?;
    let csp = page.headers()["content-security-policy"].to_str()?.to_string();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{csp}");
    let html = page.text().await?;
    let start = "<script type=\"application/ld+json\">";
    let block = html.split(start).nth(1).and_then(|rest| rest.split("</script>").next()).expect("a JSON-LD block");
    assert!(!block.contains('<'), "escaped: {block}");
    assert_public_only(block);
    let organization: Value = serde_json::from_str(block)?;
    assert_eq!(organization["@context"], "https://schema.org");
    assert_eq!(organization["@type"], "Organization");
    assert_eq!(organization["@id"], b.actor_id("locale"));
    assert_eq!(organization["description"], SUMMARY, "the same text once parsed");
    assert_eq!(organization["geo"]["latitude"], 45.5);
    if let Some(expanded) = expand(&[block]).await?.first() {
        let node = &expanded[0];
        assert_eq!(node["@type"][0], "http://schema.org/Organization");
        assert_eq!(node["http://schema.org/name"][0]["@value"], "Épicerie « locale »");
        assert_eq!(node["http://schema.org/url"][0]["@id"], b.actor_id("locale"));
        assert_eq!(node["http://schema.org/geo"][0]["@type"][0], "http://schema.org/GeoCoordinates");
    }
    // A member's page is not an organisation's.
    let member = b.http.get(b.actor_id("marie")).header("accept", "text/html").send().await?.text().await?;
    assert!(!member.contains("application/ld+json"), "{member}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statistics_count_ours_and_the_networks_in_the_api_the_page_and_its_csvs() -> anyhow::Result<()> {
    let (_a, b) = network().await?;
    for (title, tags) in [
        ("Le compost", ["--tag", "compost"]),
        ("Le vrac", ["--tag", "vrac"]),
        ("Plus de compost", ["--tag", "compost"]),
    ] {
        let mut args = vec!["admin", "post", "practice", "--enterprise", "locale", "--author", "marie"];
        args.extend(["--title", title, "--summary", "Résumé", "--body", "Le texte"]);
        args.extend(tags);
        b.cli(&args).await?;
    }

    let api: Value = b.get("/api/maillage/v1/statistics").await?.json().await?;
    assert_eq!(api["enterprises"], serde_json::json!({ "own": 2, "network": 1 }), "{api}");
    let chart = |id: &str| -> Vec<(Value, Value, Value, Value)> {
        let chart = api["charts"].as_array().unwrap().iter().find(|c| c["id"] == id).unwrap_or_else(|| panic!("{id}"));
        let [first, second] = [chart["series"][0].as_str().unwrap(), chart["series"][1].as_str().unwrap()];
        chart["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["code"].clone(), r["label"]["en"].clone(), r[first].clone(), r[second].clone()))
            .collect()
    };
    let row = |code: Option<&str>, label: &str, own: i64, network: i64| {
        (code.map_or(Value::Null, |c| c.into()), Value::from(label), Value::from(own), Value::from(network))
    };
    assert_eq!(chart("regions"), vec![row(Some("montreal"), "Montreal", 2, 0), row(Some("estrie"), "Estrie", 0, 1)]);
    assert_eq!(
        chart("sectors"),
        vec![
            row(Some("food"), "Food", 2, 0),
            row(Some("retail"), "Retail", 1, 0),
            row(Some("transport"), "Transportation", 0, 1)
        ]
    );
    assert_eq!(
        chart("legal_forms"),
        vec![
            row(Some("cooperative"), "Co-operative", 1, 1),
            row(Some("nonprofit"), "Non-profit organization (NPO)", 1, 0)
        ]
    );
    assert_eq!(
        chart("coop_types"),
        vec![row(Some("consumers"), "Consumer co-operative", 1, 0), row(Some("workers"), "Worker co-operative", 0, 1)],
        "only co-operatives have a type"
    );
    let practices = chart("practices");
    assert_eq!(practices[0].0, "compost");
    assert_eq!(practices[0].2, 2);
    assert_eq!(practices[1].0, "vrac");
    assert_eq!(practices[1].2, 1);
    let growth = chart("growth");
    let month = chrono::Utc::now().format("%Y-%m").to_string();
    assert_eq!(growth, vec![(Value::from(month.clone()), Value::from(month), Value::from(2), Value::from(2))]);

    // The page: every chart drawn, described and downloadable, in both languages.
    let html = b.get("/statistics?lang=fr").await?.text().await?;
    for slug in ["regions", "sectors", "legal_forms", "coop_types", "practices", "growth"] {
        assert!(html.contains(&format!("aria-labelledby=\"title-{slug} desc-{slug}\"")), "{slug}: {html}");
        assert!(html.contains(&format!("<desc id=\"desc-{slug}\">")), "{slug}");
        assert!(html.contains(&format!("href=\"/statistics/{slug}.csv\"")), "{slug}");
    }
    assert!(
        html.contains("Entreprises par région") && html.contains("Montréal : 2 (De ce pôle), 0 (Du réseau)"),
        "{html}"
    );
    let english = b.get("/statistics?lang=en").await?.text().await?;
    assert!(
        english.contains("Enterprises by region") && english.contains("Estrie: 0 (This hub), 1 (The network)"),
        "{english}"
    );

    let response = b.get("/statistics/regions.csv").await?;
    assert_eq!(response.headers()["content-type"], "text/csv; charset=utf-8");
    let body = response.text().await?;
    assert_eq!(body, "code,label_fr,label_en,own,network\nmontreal,Montréal,Montreal,2,0\nestrie,Estrie,Estrie,0,1\n");
    let growth = b.get("/statistics/growth.csv").await?.text().await?;
    assert!(growth.starts_with("code,label_fr,label_en,added,total\n"), "{growth}");
    assert_eq!(b.get("/statistics/nothing.csv").await?.status(), 404);

    if let Some((playwright, chromium)) = crate::web::browser_tools() {
        let artifacts = concat!(env!("CARGO_MANIFEST_DIR"), "/../target/browser-artifacts");
        crate::web::run_browser_script(
            STATISTICS_SCRIPT,
            &[&b.base_url, artifacts],
            (&playwright, &chromium),
            "all statistics checks passed",
        )
        .await?;
    }
    Ok(())
}

/// Each document expanded by jsonld.js; empty (and said) when it is not
/// installed, unless `MAILLAGE_REQUIRE_PEERS` requires it.
async fn expand(documents: &[&str]) -> anyhow::Result<Vec<Value>> {
    let dir = std::env::var("MAILLAGE_PLAYWRIGHT_DIR").ok().filter(|d| !d.is_empty());
    let Some(dir) = dir.filter(|d| std::path::Path::new(d).join("node_modules/jsonld").is_dir()) else {
        assert!(
            std::env::var_os("MAILLAGE_REQUIRE_PEERS").is_none(),
            "jsonld (npm) must be in MAILLAGE_PLAYWRIGHT_DIR (scripts/test installs it)"
        );
        maillage_tests::skipped("jsonld (npm) is not installed; run scripts/test to install it");
        return Ok(Vec::new());
    };
    let files = tempfile::tempdir()?;
    let mut paths = Vec::new();
    for (i, document) in documents.iter().enumerate() {
        let path = files.path().join(format!("{i}.jsonld"));
        std::fs::write(&path, document)?;
        paths.push(path);
    }
    let output = tokio::process::Command::new("node")
        .arg(JSONLD_SCRIPT)
        .args(&paths)
        .env("MAILLAGE_PLAYWRIGHT_DIR", dir)
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output()
        .await?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "jsonld.js refused: {stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    stdout.lines().map(|line| Ok(serde_json::from_str(line)?)).collect()
}
