//! Opens every PostgreSQL connection (pool, migrations, test helpers), over
//! TLS when `database.url` asks for it with libpq's `sslmode` and
//! `sslrootcert` (read by `maillage_config::PostgresTls`). Pure Rust:
//! tokio-postgres with rustls, no libpq, no OpenSSL.

use std::sync::Arc;

use diesel_async::AsyncPgConnection;
use maillage_config::{PostgresTls, SslMode, mask_url_password};
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::DbError;

/// How to reach one PostgreSQL database: built once from its URL (the
/// certificates read then), used for every connection.
#[derive(Clone)]
pub(crate) struct PgConnector {
    config: tokio_postgres::Config,
    /// `None` with `sslmode=disable`.
    tls: Option<MakeRustlsConnect>,
    shown: String,
}

/// Why a connection could not be opened.
#[derive(Debug)]
pub(crate) enum PgConnectError {
    /// TLS was refused or failed: a configuration to fix, not an outage.
    Tls(String),
    Other(String),
}

impl PgConnector {
    pub(crate) fn from_url(url: &str) -> Result<Self, DbError> {
        let shown = mask_url_password(url);
        let tls = PostgresTls::from_url(url).map_err(|e| DbError::Refused(e.to_string()))?;
        let mut config: tokio_postgres::Config = tls.connection_url.parse().map_err(|e| {
            DbError::Refused(format!("invalid setting `database.url` = {shown:?}: {}", error_chain(&e)))
        })?;
        config.ssl_mode(match tls.mode {
            SslMode::Disable => tokio_postgres::config::SslMode::Disable,
            SslMode::Prefer => tokio_postgres::config::SslMode::Prefer,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => tokio_postgres::config::SslMode::Require,
        });
        let tls = match tls.mode {
            SslMode::Disable => None,
            _ => Some(MakeRustlsConnect::new(
                client_config(&tls).map_err(|reason| DbError::Tls { target: shown.clone(), reason })?,
            )),
        };
        Ok(PgConnector { config, tls, shown })
    }

    /// The URL, with any password masked.
    pub(crate) fn shown(&self) -> &str {
        &self.shown
    }

    /// Opens one connection, keeping the cause of a failure (diesel's own
    /// `establish` reduces it to "error connecting to server").
    pub(crate) async fn connect(&self) -> Result<AsyncPgConnection, PgConnectError> {
        let opened = match &self.tls {
            Some(tls) => match self.config.connect(tls.clone()).await {
                Ok((client, connection)) => AsyncPgConnection::try_from_client_and_connection(client, connection).await,
                Err(error) => return Err(PgConnectError::from(error)),
            },
            None => match self.config.connect(tokio_postgres::NoTls).await {
                Ok((client, connection)) => AsyncPgConnection::try_from_client_and_connection(client, connection).await,
                Err(error) => return Err(PgConnectError::from(error)),
            },
        };
        opened.map_err(|e| PgConnectError::Other(e.to_string()))
    }

    /// [`Self::connect`] for callers that speak diesel's error.
    pub(crate) async fn establish(&self) -> diesel::ConnectionResult<AsyncPgConnection> {
        self.connect().await.map_err(|e| diesel::ConnectionError::BadConnection(e.reason().to_string()))
    }
}

impl PgConnector {
    /// Opens a connection of its own that `LISTEN`s to `channel`: the
    /// payloads heard come out of the receiver, which closes when the
    /// connection is lost.
    pub(crate) async fn listen(&self, channel: &str) -> Result<tokio::sync::mpsc::Receiver<String>, PgConnectError> {
        let (sender, receiver) = tokio::sync::mpsc::channel(256);
        let client = match &self.tls {
            Some(tls) => {
                let (client, connection) = self.config.connect(tls.clone()).await?;
                tokio::spawn(forward_notifications(connection, sender));
                client
            }
            None => {
                let (client, connection) = self.config.connect(tokio_postgres::NoTls).await?;
                tokio::spawn(forward_notifications(connection, sender));
                client
            }
        };
        client.batch_execute(&format!("LISTEN {channel}")).await?;
        // The client must outlive the connection's task: it is kept by a
        // task that ends when the connection does.
        let closed = receiver_closed_guard(client);
        tokio::spawn(closed);
        Ok(receiver)
    }
}

/// Keeps the client of a listening connection alive until its connection ends.
async fn receiver_closed_guard(client: tokio_postgres::Client) {
    while !client.is_closed() {
        tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    }
}

/// Drives a listening connection, sending each notification's payload on.
async fn forward_notifications<S, T>(
    mut connection: tokio_postgres::Connection<S, T>,
    sender: tokio::sync::mpsc::Sender<String>,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    loop {
        match std::future::poll_fn(|cx| connection.poll_message(cx)).await {
            Some(Ok(tokio_postgres::AsyncMessage::Notification(notification))) => {
                if sender.send(notification.payload().to_string()).await.is_err() {
                    return;
                }
            }
            Some(Ok(_)) => {}
            Some(Err(error)) => {
                tracing::warn!(error = %error_chain(&error), "live events: the listening connection failed");
                return;
            }
            None => return,
        }
    }
}

impl PgConnectError {
    pub(crate) fn reason(&self) -> &str {
        match self {
            PgConnectError::Tls(reason) | PgConnectError::Other(reason) => reason,
        }
    }

    pub(crate) fn into_db_error(self, target: &str) -> DbError {
        match self {
            PgConnectError::Tls(reason) => DbError::Tls { target: target.to_string(), reason },
            PgConnectError::Other(reason) => {
                DbError::Connect { backend: "postgres", target: target.to_string(), reason }
            }
        }
    }
}

impl From<tokio_postgres::Error> for PgConnectError {
    fn from(error: tokio_postgres::Error) -> Self {
        // tokio-postgres has no public error kind: "error performing TLS
        // handshake" is how it names its TLS errors (the handshake, or a
        // server that does not offer TLS when it is required).
        if error.to_string() != "error performing TLS handshake" {
            return PgConnectError::Other(error_chain(&error));
        }
        let rustls_error = std::error::Error::source(&error)
            .and_then(|source| source.downcast_ref::<std::io::Error>())
            .and_then(|io| io.get_ref())
            .and_then(|inner| inner.downcast_ref::<rustls::Error>());
        let reason = match rustls_error {
            Some(rustls::Error::InvalidCertificate(problem)) => explain_certificate(problem),
            _ => error_chain(&error),
        };
        PgConnectError::Tls(reason)
    }
}

fn explain_certificate(problem: &CertificateError) -> String {
    let why = match problem {
        CertificateError::UnknownIssuer => "it is not signed by an authority of sslrootcert",
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            "it does not name the host of database.url (sslmode=verify-full)"
        }
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => "it has expired",
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => "it is not valid yet",
        _ => "",
    };
    if why.is_empty() {
        format!("the server's certificate was refused: {problem:?}")
    } else {
        format!("the server's certificate was refused: {why} ({problem:?})")
    }
}

/// The error and its causes on one line.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut reason = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        reason.push_str(": ");
        reason.push_str(&cause.to_string());
        source = cause.source();
    }
    reason
}

/// rustls' settings for `sslmode`: libpq checks the certificate's chain
/// whenever a root certificate is given (`require` then acts as
/// `verify-ca`), and its host name only with `verify-full`.
fn client_config(tls: &PostgresTls) -> Result<ClientConfig, String> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?;
    let roots = tls.root_certificates()?;
    let config = if roots.is_empty() {
        builder.dangerous().with_custom_certificate_verifier(Arc::new(EncryptionOnly(provider)))
    } else {
        let mut store = RootCertStore::empty();
        for certificate in roots {
            store.add(certificate).map_err(|e| format!("sslrootcert holds a certificate rustls refuses: {e}"))?;
        }
        let chain_and_name = WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider)
            .build()
            .map_err(|e| e.to_string())?;
        if tls.mode == SslMode::VerifyFull {
            builder.with_webpki_verifier(chain_and_name)
        } else {
            builder.dangerous().with_custom_certificate_verifier(Arc::new(ChainOnly(chain_and_name)))
        }
    };
    Ok(config.with_no_client_auth())
}

/// `verify-ca`: the chain is checked, the host name is not.
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self.0.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// `prefer` and `require` without a root certificate: encrypted, with any
/// certificate (libpq's meaning; the handshake's signatures are still
/// checked, so the server holds the key of the certificate it shows).
#[derive(Debug)]
struct EncryptionOnly(Arc<CryptoProvider>);

impl ServerCertVerifier for EncryptionOnly {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
