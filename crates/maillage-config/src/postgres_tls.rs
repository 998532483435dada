//! The TLS parameters of a `postgres://` URL, named and meant as libpq
//! names them: `sslmode` and `sslrootcert`. Read and checked here at start;
//! `maillage-db` opens every PostgreSQL connection with them.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

use crate::{ConfigError, mask_url_password};

/// How a connection uses TLS (`sslmode`), as libpq defines the values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    /// Plain TCP.
    Disable,
    /// TLS when the server offers it, plain otherwise; the certificate is
    /// only checked against `sslrootcert` when one is given.
    Prefer,
    /// TLS or no connection; the certificate is only checked against
    /// `sslrootcert` when one is given (then as `verify-ca`).
    Require,
    /// TLS, with a certificate signed by the `sslrootcert` authority.
    VerifyCa,
    /// As `verify-ca`, and the certificate names the host connected to.
    VerifyFull,
}

impl SslMode {
    pub const ALL: [SslMode; 5] =
        [SslMode::Disable, SslMode::Prefer, SslMode::Require, SslMode::VerifyCa, SslMode::VerifyFull];

    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }

    /// Whether the server's certificate must be checked whatever else is set.
    pub fn verifies(self) -> bool {
        matches!(self, SslMode::VerifyCa | SslMode::VerifyFull)
    }
}

/// libpq parameters we do not implement: refused by name rather than
/// ignored, as each of them would weaken or change what the admin asked.
const UNSUPPORTED: [&str; 6] = ["sslcert", "sslkey", "sslpassword", "sslcrl", "sslcrldir", "sslsni"];

/// The TLS settings of one PostgreSQL URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostgresTls {
    pub mode: SslMode,
    /// The PEM file of the authorities the server's certificate must chain to.
    pub root_cert: Option<PathBuf>,
    /// The URL without `sslmode` and `sslrootcert`, for tokio-postgres.
    pub connection_url: String,
}

impl PostgresTls {
    /// Reads `sslmode` and `sslrootcert` from a `postgres://` URL. Without
    /// `sslmode`, a server on this machine (a loopback address, `localhost`
    /// or a Unix socket) is reached in plain TCP as before, and any other
    /// server as libpq does by default (`prefer`).
    pub fn from_url(url: &str) -> Result<Self, ConfigError> {
        let refuse = |problem: String| ConfigError::invalid("database.url", mask_url_password(url), problem);
        let mut parsed = url::Url::parse(url)
            .map_err(|e| refuse(format!("not a URL ({e}): use postgres://USER:PASSWORD@HOST:PORT/DBNAME")))?;
        let mut mode = None;
        let mut root_cert = None;
        let mut socket_host = None;
        let mut kept = Vec::new();
        for (key, value) in parsed.query_pairs() {
            match key.as_ref() {
                "sslmode" => {
                    let found = SslMode::ALL.into_iter().find(|m| m.as_str() == value);
                    mode = Some(found.ok_or_else(|| {
                        refuse(format!(
                            "unknown sslmode value {value:?}: choose disable, prefer, require, verify-ca or verify-full"
                        ))
                    })?);
                }
                "sslrootcert" if value.is_empty() => {
                    return Err(refuse("sslrootcert is empty: give a PEM file".into()));
                }
                "sslrootcert" => root_cert = Some(PathBuf::from(value.as_ref())),
                key if UNSUPPORTED.contains(&key) => {
                    return Err(refuse(format!(
                        "{key} is not supported (no client certificates, revocation lists or SNI settings): \
                         remove it; sslmode and sslrootcert are"
                    )));
                }
                "host" => {
                    socket_host = Some(value.to_string());
                    kept.push((key.into_owned(), value.into_owned()));
                }
                _ => kept.push((key.into_owned(), value.into_owned())),
            }
        }
        let host = socket_host.or_else(|| parsed.host_str().map(percent_decoded));
        let mode = mode.unwrap_or(if host.as_deref().is_none_or(is_on_this_machine) {
            SslMode::Disable
        } else {
            SslMode::Prefer
        });
        if mode.verifies() && root_cert.is_none() {
            return Err(refuse(format!(
                "sslmode={} needs sslrootcert=PATH, the PEM file of the authority that signed the server's certificate",
                mode.as_str()
            )));
        }
        if kept.is_empty() {
            parsed.set_query(None);
        } else {
            parsed.query_pairs_mut().clear().extend_pairs(kept);
        }
        let tls = PostgresTls { mode, root_cert, connection_url: parsed.to_string() };
        if let Some(path) = &tls.root_cert {
            read_root_certificates(path).map_err(refuse)?;
        }
        Ok(tls)
    }

    /// The certificates of `sslrootcert`, read again (checked at start).
    pub fn root_certificates(&self) -> Result<Vec<CertificateDer<'static>>, String> {
        match &self.root_cert {
            Some(path) => read_root_certificates(path),
            None => Ok(Vec::new()),
        }
    }
}

fn read_root_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let shown = path.display();
    let pem = std::fs::read(path).map_err(|e| format!("cannot read sslrootcert {shown}: {e}"))?;
    let certificates = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("sslrootcert {shown} is not a PEM file: {e}"))?;
    if certificates.is_empty() {
        return Err(format!("sslrootcert {shown} holds no PEM certificate (-----BEGIN CERTIFICATE-----)"));
    }
    Ok(certificates)
}

/// A Unix socket directory, `localhost` or a loopback address: TLS would
/// protect nothing there.
fn is_on_this_machine(host: &str) -> bool {
    host.split(',').all(|host| {
        let host = host.trim().trim_start_matches('[').trim_end_matches(']');
        host.is_empty()
            || host.starts_with('/')
            || host.eq_ignore_ascii_case("localhost")
            || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
    })
}

/// `%2Fvar%2Frun%2Fpostgresql` (a socket directory given as the host) read
/// back as a path.
fn percent_decoded(host: &str) -> String {
    percent_encoding::percent_decode_str(host).decode_utf8_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(url: &str) -> SslMode {
        PostgresTls::from_url(url).unwrap().mode
    }

    #[test]
    fn sslmode_defaults_to_plain_on_this_machine_and_prefer_elsewhere() {
        assert_eq!(mode("postgres://u:p@127.0.0.1:5432/db"), SslMode::Disable);
        assert_eq!(mode("postgres://u:p@localhost/db"), SslMode::Disable);
        assert_eq!(mode("postgres://u:p@[::1]:5432/db"), SslMode::Disable);
        assert_eq!(mode("postgres://u@%2Fvar%2Frun%2Fpostgresql/db"), SslMode::Disable);
        assert_eq!(mode("postgres:///db?host=/var/run/postgresql&user=u"), SslMode::Disable);
        assert_eq!(mode("postgres://u:p@db.internal:5432/db"), SslMode::Prefer);
        assert_eq!(mode("postgres://u:p@10.0.0.5/db"), SslMode::Prefer);
        assert_eq!(mode("postgres://u:p@db.internal/db?sslmode=disable"), SslMode::Disable);
        assert_eq!(mode("postgres://u:p@127.0.0.1/db?sslmode=require"), SslMode::Require);
    }

    #[test]
    fn our_parameters_are_taken_out_and_the_others_kept() {
        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("ca.pem");
        std::fs::write(&ca, TEST_PEM).unwrap();
        let url = format!(
            "postgres://u:p@db.example.org:5433/hub?sslmode=verify-full&sslrootcert={}&application_name=m",
            ca.display()
        );
        let tls = PostgresTls::from_url(&url).unwrap();
        assert_eq!(tls.mode, SslMode::VerifyFull);
        assert_eq!(tls.root_cert.as_deref(), Some(ca.as_path()));
        assert_eq!(tls.connection_url, "postgres://u:p@db.example.org:5433/hub?application_name=m");
        assert_eq!(tls.root_certificates().unwrap().len(), 1);
        let plain = PostgresTls::from_url("postgres://u:p@db.example.org/hub?sslmode=require").unwrap();
        assert_eq!(plain.connection_url, "postgres://u:p@db.example.org/hub");
    }

    #[test]
    fn bad_tls_parameters_are_named_and_the_password_masked() {
        let error = |url: &str| PostgresTls::from_url(url).unwrap_err().to_string();
        let unknown = error("postgres://u:secret@db/hub?sslmode=verify");
        assert!(unknown.contains("database.url") && unknown.contains("unknown sslmode value \"verify\""), "{unknown}");
        assert!(!unknown.contains("secret"), "{unknown}");
        let needs_ca = error("postgres://u:p@db/hub?sslmode=verify-full");
        assert!(needs_ca.contains("needs sslrootcert"), "{needs_ca}");
        let missing = error("postgres://u:p@db/hub?sslmode=verify-ca&sslrootcert=/nonexistent/ca.pem");
        assert!(missing.contains("cannot read sslrootcert /nonexistent/ca.pem"), "{missing}");
        let dir = tempfile::tempdir().unwrap();
        let not_pem = dir.path().join("ca.pem");
        std::fs::write(&not_pem, "hello").unwrap();
        let empty = error(&format!("postgres://u:p@db/hub?sslmode=require&sslrootcert={}", not_pem.display()));
        assert!(empty.contains("holds no PEM certificate"), "{empty}");
        let client = error("postgres://u:p@db/hub?sslcert=client.pem");
        assert!(client.contains("sslcert is not supported"), "{client}");
    }

    /// A self-signed certificate (its content does not matter here).
    const TEST_PEM: &str = "-----BEGIN CERTIFICATE-----\n\
        MIIBXTCCAQOgAwIBAgIUQ2m5N0Q2Uq3ZnY8m2l9n0l3yYQ0wCgYIKoZIzj0EAwIw\n\
        -----END CERTIFICATE-----\n";
}
