//! A database outage answered as one: PostgreSQL that nobody can reach, or
//! SQLite whose write lock another program holds. The API answers 503 with
//! `Retry-After` and the reason, the CLI exits 75, `/healthz` says which,
//! pages say to try again; nothing is lost and the instance recovers by
//! itself when the database is back.

use maillage_tests::{DatabaseKind, eventually};
use reqwest::Method;
use serde_json::{Value, json};

use crate::api::{instance, login};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_outage_is_answered_try_again_and_passes_by_itself() -> anyhow::Result<()> {
    let a = instance().await?;
    let marie = login(&a, "marie").await?;
    let post = |text: &str| {
        a.http
            .request(Method::POST, a.url("/api/v1/statuses"))
            .bearer_auth(&marie)
            .json(&json!({ "status": text }))
            .send()
    };
    assert_eq!(post("Avant la panne").await?.status(), 200);
    let (expected_reason, reads_fail) = match a.kind() {
        DatabaseKind::Postgres => ("database_unreachable", true),
        DatabaseKind::Sqlite => ("database_not_writable", false),
    };

    let outage = a.interrupt_database().await?;
    let refused = post("Pendant la panne").await?;
    assert_eq!(refused.status(), 503);
    assert_eq!(refused.headers()["retry-after"], "10");
    let body: Value = refused.json().await?;
    assert_eq!(body["reason"], expected_reason, "{body}");
    assert!(body["error"].as_str().unwrap().contains("try again"), "{body}");
    let health = a.http.get(a.url("/healthz")).send().await?;
    assert_eq!(health.status(), 503);
    assert_eq!(health.json::<Value>().await?["reason"], expected_reason);
    let cli = a.cli(&["admin", "announcement", "create", "Pendant la panne"]).await.unwrap_err();
    let exit = cli.downcast_ref::<maillage_server::ServerError>().map(|e| e.exit_code());
    assert_eq!(exit, Some(75), "EX_TEMPFAIL: {cli:#}");
    if reads_fail {
        let page = a.http.get(a.url("/directory")).header("accept", "text/html").send().await?;
        assert_eq!(page.status(), 503);
        assert_eq!(page.headers()["retry-after"], "10");
        let html = page.text().await?;
        assert!(html.contains("<html") && html.contains("indisponible"), "{html}");
    }

    outage.end().await.map_err(anyhow::Error::msg)?;
    eventually(30, "the instance writes again", || async { Ok(post("Après la panne").await?.status() == 200) }).await?;
    assert_eq!(a.http.get(a.url("/healthz")).send().await?.status(), 200);
    // What was said before the outage is still there; what was refused is not.
    let (_, statuses) = crate::api::call(&a, Method::GET, "/api/v1/timelines/home", Some(&marie), None).await?;
    let texts: Vec<&str> = statuses.as_array().unwrap().iter().filter_map(|s| s["content"].as_str()).collect();
    assert!(texts.iter().any(|t| t.contains("Avant la panne")), "{texts:?}");
    assert!(!texts.iter().any(|t| t.contains("Pendant la panne")), "{texts:?}");
    Ok(())
}
