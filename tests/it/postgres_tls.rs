//! PostgreSQL over TLS (rustls), against a real server of the test's own
//! with `ssl = on` and a certificate authority made by the test: libpq's
//! `sslmode` and `sslrootcert` in `database.url` mean what libpq says, and a
//! refused certificate stops the start with the reason, at once.
//!
//! PostgreSQL only: it runs in the suite's PostgreSQL run (skipped with a
//! notice when the server binaries are missing there).

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use maillage_config::DatabaseConfig;
use maillage_db::testing::TEST_DATABASE_URL_VAR;
use maillage_db::{Database, DbError};
use maillage_tests::own_postgres::OwnPostgres;
use maillage_tests::{TestInstance, eventually, process, skipped};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose};
use serde_json::json;

use crate::api::{PASSWORD, login};

/// A certificate authority of the test's own.
fn authority(name: &str) -> anyhow::Result<CertifiedIssuer<'static, KeyPair>> {
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    Ok(CertifiedIssuer::self_signed(params, KeyPair::generate()?)?)
}

fn write(path: &Path, text: &str) -> anyhow::Result<String> {
    std::fs::write(path, text)?;
    Ok(path.to_str().unwrap().to_string())
}

async fn connect(url: &str) -> Result<Database, DbError> {
    let config = DatabaseConfig { url: url.to_string(), max_connections: 2, connect_timeout_seconds: 5 };
    let db = Database::connect(&config).await?;
    db.close();
    Ok(db)
}

/// Runs `maillage ARGS` on `database_url` and returns its exit code and
/// standard error; fails if it has not ended within 20 s (a hang).
async fn maillage(args: &[&str], database_url: &str) -> anyhow::Result<(i32, String)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let run = tokio::process::Command::new(process::binary()?)
        .args(args)
        .env("MAILLAGE__SERVER__LISTEN", format!("127.0.0.1:{port}"))
        .env("MAILLAGE__INSTANCE__DOMAIN", format!("localhost:{port}"))
        .env("MAILLAGE__DATABASE__URL", database_url)
        .env("MAILLAGE__LOG__FILTER", "warn")
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(20), run).await??;
    Ok((output.status.code().unwrap_or(-1), String::from_utf8_lossy(&output.stderr).into_owned()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_over_tls_checks_the_server_as_sslmode_says() -> anyhow::Result<()> {
    if !std::env::var(TEST_DATABASE_URL_VAR).is_ok_and(|url| url.starts_with("postgres")) {
        // Nothing of SQLite's here: run once, in the PostgreSQL run.
        return Ok(());
    }
    let Some(bindir) = OwnPostgres::bindir() else {
        skipped("no PostgreSQL server binaries in /usr/lib/postgresql/*/bin (Debian's postgresql package)");
        return Ok(());
    };
    let pg = OwnPostgres::start(bindir, "log_connections = on")?;
    let files = pg.files_dir();
    let ca = authority("Maillage test authority")?;
    let server_key = KeyPair::generate()?;
    let server_cert = CertificateParams::new(vec!["localhost".to_string()])?.signed_by(&server_key, &ca)?;
    let ca_pem = write(&files.join("ca.pem"), &ca.pem())?;
    let other_ca_pem = write(&files.join("other-ca.pem"), &authority("Another authority")?.pem())?;
    let cert_file = write(&files.join("server.crt"), &server_cert.pem())?;
    let key_file = write(&files.join("server.key"), &server_key.serialize_pem())?;
    std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o600))?;
    for file in [&cert_file, &key_file] {
        pg.give_to_server(Path::new(file))?;
    }

    // A server without TLS: `require` is refused at start, `disable` works.
    let (code, stderr) = maillage(&["migrate"], &pg.url("127.0.0.1", "sslmode=require")).await?;
    assert_eq!(code, 78, "{stderr}");
    assert!(stderr.contains("server does not support TLS") && stderr.contains("sslmode"), "{stderr}");
    connect(&pg.url("127.0.0.1", "sslmode=disable")).await?;

    pg.reconfigure(&format!("ssl = on\nssl_cert_file = '{cert_file}'\nssl_key_file = '{key_file}'"))?;
    eventually(10, "the server offers TLS", || async {
        Ok(connect(&pg.url("127.0.0.1", "sslmode=require")).await.is_ok())
    })
    .await?;

    // verify-full with the authority that signed the server's certificate:
    // migrations, serving, a member's post written.
    let verified = pg.url("localhost", &format!("sslmode=verify-full&sslrootcert={ca_pem}"));
    let hub = TestInstance::spawn_on_url(&verified).await?;
    hub.cli_with_input(&["admin", "user", "create", "marie"], &format!("{PASSWORD}\n")).await?;
    let marie = login(&hub, "marie").await?;
    let posted = hub
        .http
        .post(hub.url("/api/v1/statuses"))
        .bearer_auth(&marie)
        .json(&json!({ "status": "Publié par TLS" }))
        .send()
        .await?;
    assert_eq!(posted.status(), 200);
    assert!(pg.log().contains("SSL enabled"), "the connections are encrypted: {}", pg.log());
    hub.shutdown().await?;

    // Another authority: refused at start, saying why, without waiting.
    let wrong = pg.url("localhost", &format!("sslmode=verify-full&sslrootcert={other_ca_pem}"));
    let (code, stderr) = maillage(&["serve"], &wrong).await?;
    assert_eq!(code, 78, "{stderr}");
    assert!(stderr.contains("not signed by an authority of sslrootcert"), "{stderr}");
    assert!(stderr.contains("TLS connection to the postgres database"), "{stderr}");

    // The certificate names localhost, not 127.0.0.1: verify-full refuses
    // that host, verify-ca (the chain only) accepts it.
    let by_address = |mode: &str| pg.url("127.0.0.1", &format!("sslmode={mode}&sslrootcert={ca_pem}"));
    let refused = connect(&by_address("verify-full")).await.err().expect("the host name is checked");
    assert!(matches!(refused, DbError::Tls { .. }), "{refused}");
    assert!(refused.to_string().contains("does not name the host"), "{refused}");
    connect(&by_address("verify-ca")).await?;
    // `require` with a root certificate checks the chain as verify-ca does.
    let other = connect(&pg.url("127.0.0.1", &format!("sslmode=require&sslrootcert={other_ca_pem}"))).await;
    assert!(matches!(other, Err(DbError::Tls { .. })), "require with sslrootcert checks the chain");
    // And plain TCP still works where the server allows it.
    connect(&pg.url("127.0.0.1", "sslmode=disable")).await?;
    Ok(())
}
