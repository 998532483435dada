//! The outgoing HTTP client: every request we make to another server.
//!
//! Timeouts on connect and on the whole request, no automatic redirects (a
//! redirect cannot be validated before it is followed), a `User-Agent` that
//! names Maillage and our domain, and a DNS resolver that refuses private
//! and loopback addresses unless the instance runs on `localhost` (tests and
//! local trials, where every peer is on loopback).

use std::time::Duration;

use activitypub_federation::resolver::ValidatingDnsResolver;
use maillage_config::Config;

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
    allows_private_addresses: bool,
}

/// `Maillage/<version> (+<base url>)`, the way peers expect to see who calls.
pub fn user_agent(config: &Config) -> String {
    format!("Maillage/{} (+{}/)", env!("CARGO_PKG_VERSION"), config.public_base_url())
}

impl OutgoingClient {
    pub fn new(config: &Config) -> Result<Self, ClientError> {
        // Only a localhost instance may reach loopback or private peers.
        let allows_private_addresses = config.is_local_domain();
        let client = reqwest::Client::builder()
            .user_agent(user_agent(config))
            .redirect(reqwest::redirect::Policy::none())
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .dns_resolver(ValidatingDnsResolver::new(vec![], !allows_private_addresses))
            .build()
            .map_err(|e| ClientError(e.to_string()))?;
        Ok(OutgoingClient { client, allows_private_addresses })
    }

    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    pub fn allows_private_addresses(&self) -> bool {
        self.allows_private_addresses
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

    #[tokio::test]
    async fn a_public_instance_refuses_loopback_targets() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let mut buf = [0u8; 1024];
                let _ = socket.read(&mut buf).await;
                let _ = socket.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").await;
            }
        });
        let url = format!("http://localhost:{port}/");
        let local = OutgoingClient::new(&config("localhost:9000")).unwrap();
        let answer = local.client().get(&url).send().await.expect("a localhost instance reaches loopback");
        assert_eq!(answer.status(), 200);
        let public = OutgoingClient::new(&config("hub.example.org")).unwrap();
        assert!(public.client().get(&url).send().await.is_err(), "a public instance must not reach loopback");
    }
}
