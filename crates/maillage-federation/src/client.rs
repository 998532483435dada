//! The outgoing HTTP client: every request we make to another server.
//!
//! Timeouts on connect and on the whole request, no automatic redirects (a
//! redirect cannot be validated before it is followed), a `User-Agent` that
//! names Maillage and our domain, and the SSRF rules of [`remote_url`]: the
//! URL is checked before each request ([`OutgoingClient::get`],
//! [`OutgoingClient::post`]; the library's fetches are checked by its
//! `UrlVerifier`), and the DNS resolver refuses names of non-public
//! addresses when connecting. Both are relaxed on a `localhost` instance.

use std::sync::Arc;
use std::time::Duration;

use maillage_config::Config;
use url::Url;

use crate::remote_url::{self, Addresses, GlobalAddressResolver, UrlRefusal};

/// Whole-request timeout; HTTP signatures are only valid for a short window.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
#[error("cannot build the outgoing HTTP client: {0}")]
pub struct ClientError(String);

/// The client shared by fetches and deliveries.
#[derive(Clone, Debug)]
pub struct OutgoingClient {
    client: reqwest::Client,
    addresses: Addresses,
}

/// `Maillage/<version> (+<base url>)`, the way peers expect to see who calls.
pub fn user_agent(config: &Config) -> String {
    format!("Maillage/{} (+{}/)", env!("CARGO_PKG_VERSION"), config.public_base_url())
}

impl OutgoingClient {
    pub fn new(config: &Config) -> Result<Self, ClientError> {
        // Only a localhost instance may reach loopback or private peers.
        let addresses = Addresses::for_config(config);
        let client = reqwest::Client::builder()
            .user_agent(user_agent(config))
            .redirect(reqwest::redirect::Policy::none())
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .dns_resolver(Arc::new(GlobalAddressResolver(addresses)))
            // A proxy from the environment would resolve names itself, past
            // the resolver's check: every connection is made from here.
            .no_proxy()
            .build()
            .map_err(|e| ClientError(e.to_string()))?;
        Ok(OutgoingClient { client, addresses })
    }

    /// The bare client, for the library (whose fetches pass our
    /// `UrlVerifier`); our own requests use [`Self::get`] and [`Self::post`].
    pub(crate) fn library_client(&self) -> &reqwest::Client {
        &self.client
    }

    pub fn addresses(&self) -> Addresses {
        self.addresses
    }

    pub fn allows_private_addresses(&self) -> bool {
        self.addresses == Addresses::Any
    }

    /// [`remote_url::check`] with this instance's rule.
    pub fn check(&self, url: &Url) -> Result<(), UrlRefusal> {
        remote_url::check(url, self.addresses)
    }

    /// A GET of a URL that passed [`Self::check`].
    pub(crate) fn get(&self, url: Url) -> Result<reqwest::RequestBuilder, UrlRefusal> {
        self.check(&url)?;
        Ok(self.client.get(url))
    }

    /// A POST to a URL that passed [`Self::check`].
    pub(crate) fn post(&self, url: Url) -> Result<reqwest::RequestBuilder, UrlRefusal> {
        self.check(&url)?;
        Ok(self.client.post(url))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(domain: &str) -> Config {
        Config::load_with_env(None, [("MAILLAGE__INSTANCE__DOMAIN".to_string(), domain.to_string())]).unwrap()
    }

    #[test]
    fn user_agent_names_maillage_and_the_instance() {
        let ua = user_agent(&config("hub.example.org"));
        assert!(ua.starts_with("Maillage/"), "{ua}");
        assert!(ua.ends_with("(+https://hub.example.org/)"), "{ua}");
    }

    #[test]
    fn only_localhost_instances_reach_private_addresses() {
        assert!(OutgoingClient::new(&config("localhost:9000")).unwrap().allows_private_addresses());
        assert!(!OutgoingClient::new(&config("hub.example.org")).unwrap().allows_private_addresses());
    }

    /// A server on loopback counting connections, answering `answer` to each.
    async fn listener(answer: &'static [u8]) -> (u16, Arc<std::sync::atomic::AtomicUsize>) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let connections = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = connections.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let mut buf = [0u8; 1024];
                let _ = socket.read(&mut buf).await;
                let _ = socket.write_all(answer).await;
            }
        });
        (port, connections)
    }

    #[tokio::test]
    async fn a_public_instance_refuses_loopback_targets() {
        let (port, connections) = listener(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").await;
        let url = Url::parse(&format!("http://localhost:{port}/")).unwrap();
        let local = OutgoingClient::new(&config("localhost:9000")).unwrap();
        let answer = local.get(url.clone()).unwrap().send().await.expect("a localhost instance reaches loopback");
        assert_eq!(answer.status(), 200);
        let public = OutgoingClient::new(&config("hub.example.org")).unwrap();
        assert!(public.get(url).is_err(), "a public instance must not reach loopback");
        // Even past the URL check (the library's fetches), the resolver refuses.
        let url = format!("https://localhost:{port}/");
        let error = public.library_client().get(&url).send().await.expect_err("refused when connecting");
        let refusal = remote_url::address_refusal(&error).unwrap_or_else(|| panic!("{error:?}"));
        assert_eq!(refusal.host, "localhost");
        assert_eq!(connections.load(std::sync::atomic::Ordering::SeqCst), 1, "only the localhost instance connected");
    }

    #[tokio::test]
    async fn redirects_are_not_followed() {
        let (target, reached) = listener(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").await;
        let answer: &'static [u8] = Box::leak(
            format!(
                "HTTP/1.1 307 Temporary Redirect\r\nlocation: http://127.0.0.1:{target}/\r\ncontent-length: 0\r\n\r\n"
            )
            .into_bytes()
            .into_boxed_slice(),
        );
        let (port, _) = listener(answer).await;
        let local = OutgoingClient::new(&config("localhost:9000")).unwrap();
        let url = Url::parse(&format!("http://localhost:{port}/inbox")).unwrap();
        let answer = local.post(url).unwrap().send().await.unwrap();
        assert_eq!(answer.status(), 307);
        assert_eq!(reached.load(std::sync::atomic::Ordering::SeqCst), 0, "the redirect was followed");
    }
}
