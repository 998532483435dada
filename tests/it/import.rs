//! `maillage admin enterprise import` and the staff's import page: a
//! realistic repertoire (Windows-1252, semicolons, French headers, labels
//! in French and English, blank cells, a duplicated NEQ, an unknown
//! sector, a bad website, an entry of another hub), line-by-line outcomes,
//! idempotent re-runs, spreadsheets, the hub's followers told, and keys
//! made off the import's path.

use std::sync::Arc;

use clap::Parser;
use maillage_server::cli::{Cli, Command};
use maillage_tests::stub::{StubKeys, StubPeer};
use maillage_tests::{TestInstance, eventually};
use serde_json::Value;

const PASSWORD: &str = "un mot de passe sûr";

/// Runs `maillage ARGS`: what it printed, and its exit code when it failed.
pub(crate) async fn run(a: &TestInstance, args: &[&str]) -> anyhow::Result<(String, Option<u8>)> {
    let cli = Cli::try_parse_from(std::iter::once("maillage").chain(args.iter().copied()))?;
    let mut out = Vec::new();
    let outcome = maillage_server::cli::execute_with_input(
        cli.command.unwrap_or(Command::Serve),
        &a.config,
        &mut &b""[..],
        &mut out,
    )
    .await;
    Ok((String::from_utf8(out)?, outcome.err().map(|e| e.exit_code())))
}

/// The repertoire's lines, as (line number in the file, what it is).
struct Repertoire {
    csv: Vec<u8>,
    lines: usize,
    /// (line, field) of the lines to refuse.
    refused: Vec<(usize, &'static str)>,
    /// The line of the enterprise that exists before the import.
    existing_line: usize,
    /// The first line of the NEQ that a later line repeats.
    first_of_neq: usize,
}

const ROWS: usize = 240;

/// A hub's spreadsheet saved as "CSV (séparateur : point-virgule)" by a
/// French Excel: Windows-1252, `;`, CRLF.
fn repertoire() -> Repertoire {
    let regions = ["Montréal", "estrie", "CAPITALE-NATIONALE", "Bas Saint Laurent", "Montreal"];
    let sectors = ["Agriculture; Alimentation", "Food, Housing", "arts_culture", "Santé\nServices sociaux", "Énergie"];
    let forms = [
        ("Coopérative", "Coopérative de travail"),
        ("cooperative", "Solidarity co-operative (multi-stakeholder)"),
        ("Organisme à but non lucratif (OBNL)", ""),
        ("Mutual", ""),
        ("", ""),
    ];
    let mut text = String::from(
        "Nom de l'entreprise;NEQ;Forme juridique;Type de coopérative;Secteur(s);Région;Site web;Année de fondation;Adresse;Couleur préférée;network_origin\r\n",
    );
    let mut refused = Vec::new();
    let mut line = 1;
    let mut first_of_neq = 0;
    for i in 0..ROWS {
        line += 1;
        let name = format!("Coopérative n°{i} de l'Érable");
        // Some lines without NEQ: their handle comes from the name.
        let neq = match i {
            _ if i % 40 == 7 => String::new(),
            13 => "1100 0000 12".to_string(),
            _ if i % 3 == 0 => format!("11{i:08}"),
            _ => format!("11-{:04}-{:04}", i / 10_000, i % 10_000),
        };
        let (form, coop_type) = forms[i % forms.len()];
        let sector = if i == 21 { "Astrologie" } else { sectors[i % sectors.len()] };
        let website = if i == 33 { "www.sans-adresse".to_string() } else { format!("https://coop{i}.example") };
        let founded = if i % 2 == 0 { format!("{}", 1950 + i % 70) } else { String::new() };
        let address = if i % 2 == 1 { format!("{i} rue Saint-Édouard") } else { String::new() };
        let origin = if i == 50 { "https://autre-pole.example/actors/hub" } else { "" };
        text.push_str(&format!(
            "{name};{neq};{form};{coop_type};\"{sector}\";{};{website};{founded};{address};bleu;{origin}\r\n",
            regions[i % regions.len()]
        ));
        match i {
            12 => first_of_neq = line,
            13 => refused.push((line, "neq")),
            21 => refused.push((line, "sector")),
            33 => refused.push((line, "website")),
            50 => refused.push((line, "network_origin")),
            _ => {}
        }
        // A line break inside a quoted cell: the next line starts one further.
        if sector.contains('\n') {
            line += 1;
        }
    }
    // The enterprise that exists already, matched by its NEQ (typed otherwise).
    line += 1;
    text.push_str("Coop existante;1199 999 999;;;Transport;Estrie;https://existante.example;;;vert;\r\n");
    let (csv, _, unmappable) = encoding_rs::WINDOWS_1252.encode(&text);
    assert!(!unmappable, "the test file is Windows-1252");
    Repertoire { csv: csv.into_owned(), lines: ROWS + 1, refused, existing_line: line, first_of_neq }
}

/// The line reports of an import's output, without the other lines.
fn outcomes(printed: &str) -> Vec<&str> {
    printed.lines().filter(|l| l.starts_with("line ")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hubs_repertoire_is_imported_line_by_line_and_a_second_run_changes_nothing() -> anyhow::Result<()> {
    let a = TestInstance::spawn().await?;
    let keys = StubKeys::generate()?;
    let peer = StubPeer::spawn(&keys, Arc::default()).await?;
    assert_eq!(peer.follow("watcher", &a.actor_id("hub"), &a.url("/inbox")).await?, 202);
    eventually(20, "the peer follows the hub", || async { Ok(peer.received().iter().any(|r| r["type"] == "Accept")) })
        .await?;
    a.cli(&["admin", "enterprise", "create", "existante", "--name", "Coop existante"]).await?;
    a.cli(&["admin", "enterprise", "update", "existante", "--neq", "1199-999-999"]).await?;

    let file = tempfile::NamedTempFile::with_suffix(".csv")?;
    let repertoire = repertoire();
    std::fs::write(file.path(), &repertoire.csv)?;
    let path = file.path().to_str().unwrap();

    // The dry run says everything and writes nothing.
    let (dry, code) = run(&a, &["admin", "enterprise", "import", path, "--dry-run"]).await?;
    assert_eq!(code, Some(65), "some lines are refused: {dry}");
    let created = repertoire.lines - 1 - repertoire.refused.len();
    let summary = format!("{created} created, 1 updated, 0 unchanged, {} refused", repertoire.refused.len());
    assert_eq!(dry.lines().last(), Some(summary.as_str()), "{dry}");
    assert!(dry.contains("ignored columns (no profile field; name them with --mapping): Couleur préférée"), "{dry}");
    assert_eq!(outcomes(&dry).len(), repertoire.lines);
    for (line, field) in &repertoire.refused {
        let report = outcomes(&dry).into_iter().find(|l| l.starts_with(&format!("line {line}: ")));
        let report = report.unwrap_or_else(|| panic!("line {line} ({field}) in {dry}"));
        assert!(report.contains("refused") && report.contains(&format!(": {field}: ")), "{report}");
    }
    let duplicate = format!("the NEQ 1100000012 is already on line {}", repertoire.first_of_neq);
    assert!(dry.contains(&duplicate), "the duplicate names the first line: {dry}");
    assert!(dry.contains("unknown sector \"Astrologie\"; valid: agriculture"), "{dry}");
    assert!(dry.contains("entry of another hub (https://autre-pole.example/actors/hub): follow that hub instead"));
    let existing = format!("line {}: updated @existante (", repertoire.existing_line);
    assert!(dry.contains(&existing), "matched by NEQ, it keeps its handle: {dry}");
    assert!(dry.contains("line 2: created @cooperative_n_0_de_l_erab"), "a handle made from the name: {dry}");
    let listed = a.cli(&["admin", "enterprise", "list"]).await?;
    assert!(listed.ends_with("1 enterprise(s)\n"), "a dry run writes nothing: {listed}");

    // The real run does what the dry run said.
    let (imported, code) = run(&a, &["admin", "enterprise", "import", path]).await?;
    assert_eq!(code, Some(65));
    assert_eq!(outcomes(&imported), outcomes(&dry));
    assert_eq!(imported.lines().last(), Some(summary.as_str()));
    let listed = a.cli(&["admin", "enterprise", "list"]).await?;
    assert!(listed.ends_with(&format!("{} enterprise(s)\n", created + 1)), "{listed}");
    let shown: Value =
        serde_json::from_str(&a.cli(&["admin", "enterprise", "show", "cooperative_n_1_de_l_erab"]).await?)?;
    let profile = &shown["profile"];
    assert_eq!(profile["neq"], "1100000001");
    assert_eq!(profile["region"], "estrie");
    assert_eq!(profile["legalForm"], "cooperative");
    assert_eq!(profile["coopType"], "solidarity");
    assert_eq!(profile["sectors"], serde_json::json!(["food", "housing"]));
    assert_eq!(profile["nameFr"], "Coopérative n°1 de l'Érable");
    assert_eq!(profile["address"], "1 rue Saint-Édouard");
    let shown: Value = serde_json::from_str(&a.cli(&["admin", "enterprise", "show", "existante"]).await?)?;
    assert_eq!(shown["profile"]["website"], "https://existante.example");

    // The hub's followers hear of the imported enterprises (`Add`).
    let imported_id = a.actor_id("cooperative_n_1_de_l_erab");
    eventually(30, "the peer receives the hub's Add of an imported enterprise", || async {
        Ok(peer.received().iter().any(|r| r["type"] == "Add" && r["object"] == imported_id.as_str()))
    })
    .await?;
    eventually(60, "the peer receives an Add for each imported enterprise", || async {
        Ok(peer.received().iter().filter(|r| r["type"] == "Add").count() >= created)
    })
    .await?;

    // A second run finds everything as it is.
    let (again, _) = run(&a, &["admin", "enterprise", "import", path]).await?;
    let unchanged = format!("0 created, 0 updated, {} unchanged, {} refused", created + 1, repertoire.refused.len());
    assert_eq!(again.lines().last(), Some(unchanged.as_str()), "{again}");

    // Served actors always have their key: made on demand, or by the worker.
    let document: Value = a.get_activity(&imported_id).await?.json().await?;
    assert!(document["publicKey"]["publicKeyPem"].as_str().unwrap_or_default().contains("PUBLIC KEY"), "{document}");
    assert_eq!(document["identifier"]["value"], "1100000001", "the NEQ is federated: {document}");
    let db = a.database().await?;
    eventually(240, "every imported enterprise has its key pair", || async {
        Ok(db.count_local_actors_without_keys().await? == 0)
    })
    .await?;
    let page = a.get("/actors/cooperative_n_1_de_l_erab?lang=fr").await?.text().await?;
    assert!(page.contains("1100000001"), "the NEQ is on the enterprise's page");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spreadsheets_mapping_files_and_files_that_cannot_be_read() -> anyhow::Result<()> {
    let a = TestInstance::spawn().await?;
    let dir = tempfile::tempdir()?;
    let xlsx = dir.path().join("repertoire.xlsx");
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (column, header) in
        ["Dénomination", "NEQ", "Legal form", "Sectors", "Region", "Website", "Year founded"].iter().enumerate()
    {
        sheet.write_string(0, u16::try_from(column)?, *header)?;
    }
    let rows = [
        ("Bike Co-op", 1_143_456_789.0, "Co-operative", "Transport, Food", "Montreal", "https://bike.example", 1998.0),
        ("Épicerie solidaire", 1_143_456_790.0, "Non-profit organization (NPO)", "Alimentation", "Estrie", "", 2004.0),
    ];
    for (i, (name, neq, form, sectors, region, website, founded)) in rows.iter().enumerate() {
        let row = u32::try_from(i)? + 1;
        sheet.write_string(row, 0, *name)?;
        sheet.write_number(row, 1, *neq)?;
        sheet.write_string(row, 2, *form)?;
        sheet.write_string(row, 3, *sectors)?;
        sheet.write_string(row, 4, *region)?;
        if !website.is_empty() {
            sheet.write_string(row, 5, *website)?;
        }
        sheet.write_number(row, 6, *founded)?;
    }
    workbook.save(&xlsx)?;
    let mapping = dir.path().join("mapping.toml");
    std::fs::write(&mapping, "[columns]\n\"Dénomination\" = \"name\"\n")?;
    let path = xlsx.to_str().unwrap();

    let (printed, code) =
        run(&a, &["admin", "enterprise", "import", path, "--mapping", mapping.to_str().unwrap()]).await?;
    assert_eq!(code, None, "{printed}");
    assert_eq!(printed.lines().last(), Some("2 created, 0 updated, 0 unchanged, 0 refused"), "{printed}");
    let shown: Value = serde_json::from_str(&a.cli(&["admin", "enterprise", "show", "bike_co_op"]).await?)?;
    assert_eq!(shown["profile"]["neq"], "1143456789", "a NEQ typed as a number");
    assert_eq!(shown["profile"]["sectors"], serde_json::json!(["transport", "food"]));
    assert_eq!(shown["profile"]["founded"], 1998);
    assert_eq!(shown["profile"]["region"], "montreal");

    // Without the mapping, the name column is unknown: nothing is importable.
    let (printed, code) = run(&a, &["admin", "enterprise", "import", path, "--dry-run"]).await?;
    assert_eq!(code, None, "matched by NEQ: {printed}");
    assert!(
        printed.contains("ignored columns (no profile field; name them with --mapping): Dénomination"),
        "{printed}"
    );
    assert!(printed.ends_with("0 created, 0 updated, 2 unchanged, 0 refused\n"), "{printed}");

    // Names alike in their first words: numbered handles, found again by a re-run.
    let alike = dir.path().join("alike.csv");
    let name = "Coopérative de solidarité en alimentation";
    std::fs::write(&alike, format!("Nom\n{name} de Sherbrooke\n{name} de Magog\n{name} d'Orford\n"))?;
    let (printed, _) = run(&a, &["admin", "enterprise", "import", alike.to_str().unwrap()]).await?;
    for (line, handle) in
        [(2, "cooperative_de_solidarite"), (3, "cooperative_de_solidarite_2"), (4, "cooperative_de_solidarite_3")]
    {
        assert!(printed.contains(&format!("line {line}: created @{handle}\n")), "{printed}");
    }
    let (printed, _) = run(&a, &["admin", "enterprise", "import", alike.to_str().unwrap()]).await?;
    assert!(printed.ends_with("0 created, 0 updated, 3 unchanged, 0 refused\n"), "{printed}");

    let (printed, code) = run(&a, &["admin", "enterprise", "import", "/nowhere/repertoire.csv"]).await?;
    assert_eq!(code, Some(66), "{printed}");
    let binary = dir.path().join("photo.bin");
    std::fs::write(&binary, [0u8, 1, 2, 3])?;
    let (_, code) = run(&a, &["admin", "enterprise", "import", binary.to_str().unwrap()]).await?;
    assert_eq!(code, Some(65), "an unknown format is refused");
    // The NEQ is unique among the hub's enterprises, whatever sets it.
    let taken = a.cli(&["admin", "enterprise", "update", "epicerie_solidaire", "--neq", "1143 456 789"]).await;
    assert!(taken.unwrap_err().to_string().contains("already that of another enterprise of this hub (@bike_co_op)"));
    let bad = a.cli(&["admin", "enterprise", "update", "epicerie_solidaire", "--neq", "12345"]).await;
    assert!(bad.unwrap_err().to_string().contains("10 digits"));
    Ok(())
}

/// Logs `username` in through the login form: the session's cookies and its CSRF token.
async fn web_session(a: &TestInstance, username: &str) -> anyhow::Result<(String, String)> {
    let page = a.get("/login").await?;
    let csrf_cookie = page
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("maillage_csrf="))
        .map(|c| c.split(';').next().unwrap_or_default().to_string())
        .expect("a CSRF cookie");
    let csrf = csrf_cookie.trim_start_matches("maillage_csrf=").to_string();
    let response = a
        .http
        .post(a.url("/login"))
        .header("cookie", &csrf_cookie)
        .form(&[("csrf", csrf.as_str()), ("username", username), ("password", PASSWORD)])
        .send()
        .await?;
    let session = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("maillage_session="))
        .map(|c| c.split(';').next().unwrap_or_default().to_string())
        .expect("a session cookie");
    Ok((format!("{csrf_cookie}; {session}"), csrf))
}

/// The staff's import page, as a browser posts it.
async fn upload(
    a: &TestInstance,
    cookies: &str,
    csrf: &str,
    name: &str,
    content: &[u8],
) -> anyhow::Result<(u16, String)> {
    let part = reqwest::multipart::Part::bytes(content.to_vec()).file_name(name.to_string());
    let form = reqwest::multipart::Form::new().text("csrf", csrf.to_string()).part("file", part);
    let response =
        a.http.post(a.url("/workspace/staff/import")).header("cookie", cookies).multipart(form).send().await?;
    Ok((response.status().as_u16(), response.text().await?))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_preview_an_import_on_the_web_and_confirm_it_and_members_cannot() -> anyhow::Result<()> {
    let a = TestInstance::spawn().await?;
    a.cli_with_input(&["admin", "user", "create", "gerante", "--admin"], &format!("{PASSWORD}\n")).await?;
    a.cli_with_input(&["admin", "user", "create", "marie"], &format!("{PASSWORD}\n")).await?;
    let content = "name;neq;sectors;website\nCoop Vélo;1143456789;Transport;https://velo.example\n\
                   Coop Pain;1143456789;Alimentation;\nCoop Ciel;;Astrologie;\nCoop Toit;;Habitation;ftp://toit.example\n";
    let file = tempfile::NamedTempFile::with_suffix(".csv")?;
    std::fs::write(file.path(), content)?;
    let (cli, _) = run(&a, &["admin", "enterprise", "import", file.path().to_str().unwrap(), "--dry-run"]).await?;

    // A member is refused, before and after uploading.
    let (marie, marie_csrf) = web_session(&a, "marie").await?;
    let page = a.http.get(a.url("/workspace/staff/import")).header("cookie", &marie).send().await?;
    assert_eq!(page.status().as_u16(), 403);
    let (status, _) = upload(&a, &marie, &marie_csrf, "repertoire.csv", content.as_bytes()).await?;
    assert_eq!(status, 403);

    let (staff, csrf) = web_session(&a, "gerante").await?;
    let page = a.http.get(a.url("/workspace/staff/import")).header("cookie", &staff).send().await?;
    assert_eq!(page.status().as_u16(), 200);
    let (status, forged) = upload(&a, &staff, "forged", "repertoire.csv", content.as_bytes()).await?;
    assert_ne!(status, 200, "a forged CSRF token is refused: {forged}");
    let (status, preview) = upload(&a, &staff, &csrf, "repertoire.csv", content.as_bytes()).await?;
    assert_eq!(status, 200, "{preview}");
    // The preview shows each line's outcome as the CLI's dry run does.
    for line in outcomes(&cli) {
        let (number, rest) = line.split_once(": ").unwrap();
        let outcome = rest.split([' ', ':']).next().unwrap();
        let row = format!("<td>{}</td>", number.trim_start_matches("line "));
        let at = preview.find(&row).unwrap_or_else(|| panic!("{row} in {preview}"));
        let cells = &preview[at..preview[at..].find("</tr>").map_or(preview.len(), |end| at + end)];
        assert!(cells.contains(&format!("class=\"outcome-{outcome}\"")), "{line} vs {cells}");
        if let Some((_, reason)) = rest.split_once(": ") {
            let reason = html_escape(reason);
            assert!(cells.contains(&reason), "{reason} in {cells}");
        }
    }
    assert!(preview.contains(cli.lines().last().unwrap()), "{preview}");
    let listed = a.cli(&["admin", "enterprise", "list"]).await?;
    assert!(listed.ends_with("0 enterprise(s)\n"), "a preview writes nothing");

    // Confirming imports the uploaded content, once, for its uploader only.
    let token = between(&preview, "name=\"upload\" value=\"", "\"").expect("a confirm form");
    let confirm = |cookies: &str, csrf: &str| {
        a.http
            .post(a.url("/workspace/staff/import/confirm"))
            .header("cookie", cookies.to_string())
            .form(&[("csrf", csrf.to_string()), ("upload", token.clone())])
            .send()
    };
    assert_eq!(confirm(&marie, &marie_csrf).await?.status().as_u16(), 403);
    let done = confirm(&staff, &csrf).await?;
    assert_eq!(done.status().as_u16(), 200);
    let done = done.text().await?;
    assert!(done.contains("1 created, 0 updated, 0 unchanged, 3 refused"), "{done}");
    let listed = a.cli(&["admin", "enterprise", "list"]).await?;
    assert!(listed.ends_with("1 enterprise(s)\n"), "{listed}");
    let again = confirm(&staff, &csrf).await?;
    assert_eq!(again.status().as_u16(), 400, "an upload is imported once");
    Ok(())
}

fn between(text: &str, start: &str, end: &str) -> Option<String> {
    let from = text.find(start)? + start.len();
    let to = text[from..].find(end)? + from;
    Some(text[from..to].to_string())
}

/// As askama escapes text.
fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&#34;").replace('\'', "&#39;")
}
