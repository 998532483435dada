//! Web Push on the wire (RFC 8030): a message encrypted for one
//! subscription with `aes128gcm` (RFC 8291, by `web-push-native`), signed
//! with the instance's VAPID key (RFC 8292, an ES256 JWT by `jwt-simple`),
//! and POSTed to the push service through [`OutgoingClient`], so under the
//! same address rules, timeouts and answer-size limit as federation.
//!
//! This crate holds it because every outgoing request goes through its one
//! client; what is sent, to whom and when is `maillage_app::push`'s.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jwt_simple::prelude::{
    Claims, Duration as JwtDuration, ECDSAP256KeyPairLike, ECDSAP256PublicKeyLike, ES256KeyPair,
};
use maillage_db::VapidKeys;
use url::Url;
use web_push_native::p256;

use crate::client::OutgoingClient;
use crate::remote_body::{MAX_ERROR_BODY_BYTES, excerpt_bytes, read_prefix};
use crate::remote_url::UrlRefusal;

/// How long a VAPID token is valid (RFC 8292 allows at most 24 hours).
pub const VAPID_VALIDITY_HOURS: u64 = 12;

/// Why a subscription cannot be pushed to.
#[derive(Debug, thiserror::Error)]
pub enum PushKeyError {
    #[error("subscription[endpoint] is not a URL we may send to: {0}")]
    Endpoint(String),
    #[error("subscription[keys][p256dh] is not a P-256 public key in base64url")]
    PublicKey,
    #[error("subscription[keys][auth] is not a 16-byte secret in base64url")]
    Auth,
    #[error("the instance's VAPID key is unreadable: {0}")]
    Vapid(String),
}

/// The instance's VAPID key, ready to sign.
pub struct VapidSigner {
    key: ES256KeyPair,
    public_key: String,
    contact: String,
}

impl VapidSigner {
    /// A new random key pair, as stored.
    pub fn generate() -> VapidKeys {
        let key = ES256KeyPair::generate();
        VapidKeys {
            private_key: URL_SAFE_NO_PAD.encode(key.to_bytes()),
            public_key: URL_SAFE_NO_PAD.encode(key.public_key().public_key().to_bytes_uncompressed()),
        }
    }

    /// The stored pair, signing with `contact` as its `sub`.
    pub fn new(keys: &VapidKeys, contact: String) -> Result<Self, PushKeyError> {
        let bytes = URL_SAFE_NO_PAD.decode(&keys.private_key).map_err(|e| PushKeyError::Vapid(e.to_string()))?;
        let key = ES256KeyPair::from_bytes(&bytes).map_err(|e| PushKeyError::Vapid(e.to_string()))?;
        let public_key = URL_SAFE_NO_PAD.encode(key.public_key().public_key().to_bytes_uncompressed());
        if public_key != keys.public_key {
            return Err(PushKeyError::Vapid("the stored public key is not the private key's".into()));
        }
        Ok(VapidSigner { key, public_key, contact })
    }

    /// The `Authorization` header for a request to `endpoint`: a JWT whose
    /// audience is the endpoint's origin.
    fn authorization(&self, endpoint: &Url) -> Result<String, String> {
        let claims = Claims::create(JwtDuration::from_hours(VAPID_VALIDITY_HOURS))
            .with_audience(endpoint.origin().ascii_serialization())
            .with_subject(&self.contact);
        let token = self.key.sign(claims).map_err(|e| e.to_string())?;
        Ok(format!("vapid t={token}, k={}", self.public_key))
    }
}

/// Base64url as clients write it: with or without padding, and some in
/// the standard alphabet.
fn decode_lenient(text: &str) -> Option<Vec<u8>> {
    let normalised: String = text
        .trim()
        .trim_end_matches('=')
        .chars()
        .map(|c| {
            if c == '+' {
                '-'
            } else if c == '/' {
                '_'
            } else {
                c
            }
        })
        .collect();
    URL_SAFE_NO_PAD.decode(normalised).ok()
}

/// The client's keys, read.
fn client_keys(p256dh: &str, auth: &str) -> Result<(p256::PublicKey, web_push_native::Auth), PushKeyError> {
    let public = decode_lenient(p256dh)
        .and_then(|bytes| p256::PublicKey::from_sec1_bytes(&bytes).ok())
        .ok_or(PushKeyError::PublicKey)?;
    let auth = decode_lenient(auth).filter(|bytes| bytes.len() == 16).ok_or(PushKeyError::Auth)?;
    Ok((public, web_push_native::Auth::clone_from_slice(&auth)))
}

/// Checks what a client subscribes with: an endpoint this instance may
/// send to (the address rules of every outgoing request) and usable keys.
pub fn check_subscription(
    client: &OutgoingClient,
    endpoint: &str,
    p256dh: &str,
    auth: &str,
) -> Result<(), PushKeyError> {
    let url = Url::parse(endpoint.trim()).map_err(|e| PushKeyError::Endpoint(e.to_string()))?;
    client.check(&url).map_err(|e: UrlRefusal| PushKeyError::Endpoint(e.to_string()))?;
    client_keys(p256dh, auth).map(|_| ())
}

/// How urgently a push service should wake the device (RFC 8030 §5.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Urgency {
    Low,
    Normal,
    High,
}

impl Urgency {
    fn as_str(self) -> &'static str {
        match self {
            Urgency::Low => "low",
            Urgency::Normal => "normal",
            Urgency::High => "high",
        }
    }
}

/// One message for one subscription.
pub struct PushMessage<'a> {
    pub endpoint: &'a str,
    pub p256dh: &'a str,
    pub auth: &'a str,
    /// The plaintext (Mastodon's JSON).
    pub payload: &'a [u8],
    pub ttl_seconds: u64,
    pub urgency: Urgency,
}

/// What became of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushOutcome {
    /// The push service took it (2xx).
    Delivered,
    /// The push service no longer knows the subscription (404, 410).
    Gone(String),
    /// Try again later: 429, 5xx, a timeout or the service unreachable.
    Retry(String),
    /// Refused for good (another 4xx, an endpoint we may not reach, keys
    /// we cannot encrypt for).
    Refused(String),
}

/// Encrypts and sends one message.
pub async fn send(client: &OutgoingClient, signer: &VapidSigner, message: &PushMessage<'_>) -> PushOutcome {
    let url = match Url::parse(message.endpoint) {
        Ok(url) => url,
        Err(e) => return PushOutcome::Refused(format!("the endpoint is not a URL: {e}")),
    };
    let (public, auth) = match client_keys(message.p256dh, message.auth) {
        Ok(keys) => keys,
        Err(e) => return PushOutcome::Refused(e.to_string()),
    };
    let body = match web_push_native::encrypt(message.payload.to_vec(), &public, &auth) {
        Ok(body) => body,
        Err(e) => return PushOutcome::Refused(format!("cannot encrypt the message: {e}")),
    };
    let authorization = match signer.authorization(&url) {
        Ok(header) => header,
        Err(e) => return PushOutcome::Refused(format!("cannot sign the VAPID token: {e}")),
    };
    let request = match client.post(url) {
        Ok(request) => request,
        Err(refusal) => return PushOutcome::Refused(refusal.to_string()),
    };
    let sent = request
        .header("TTL", message.ttl_seconds.to_string())
        .header("Urgency", message.urgency.as_str())
        .header(http::header::CONTENT_ENCODING, "aes128gcm")
        .header(http::header::CONTENT_TYPE, "application/octet-stream")
        .header(http::header::AUTHORIZATION, authorization)
        .body(body)
        .send()
        .await;
    let response = match sent {
        Ok(response) => response,
        Err(e) if crate::remote_url::address_refusal(&e).is_some() => return PushOutcome::Refused(e.to_string()),
        Err(e) => return PushOutcome::Retry(e.to_string()),
    };
    let status = response.status();
    if status.is_success() {
        return PushOutcome::Delivered;
    }
    let said = read_prefix(response, MAX_ERROR_BODY_BYTES).await.map(|b| excerpt_bytes(&b)).unwrap_or_default();
    let error = format!("the push service answered {status}: {said}");
    match status.as_u16() {
        404 | 410 => PushOutcome::Gone(error),
        429 | 500..=599 => PushOutcome::Retry(error),
        _ => PushOutcome::Refused(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_pair_signs_tokens_for_the_endpoints_origin() {
        let keys = VapidSigner::generate();
        let signer = VapidSigner::new(&keys, "mailto:ops@hub.example.org".into()).unwrap();
        let header = signer.authorization(&Url::parse("https://push.example.net:8443/send/abc").unwrap()).unwrap();
        let (token, k) = header.strip_prefix("vapid t=").unwrap().split_once(", k=").unwrap();
        assert_eq!(k, keys.public_key);
        let public =
            ES256KeyPair::from_bytes(&URL_SAFE_NO_PAD.decode(&keys.private_key).unwrap()).unwrap().public_key();
        let claims = public.verify_token::<jwt_simple::prelude::NoCustomClaims>(token, None).unwrap();
        assert_eq!(claims.audiences.unwrap().into_string().unwrap(), "https://push.example.net:8443");
        assert_eq!(claims.subject.as_deref(), Some("mailto:ops@hub.example.org"));
    }

    #[test]
    fn a_pair_whose_halves_differ_is_refused() {
        let mut keys = VapidSigner::generate();
        keys.public_key = VapidSigner::generate().public_key;
        assert!(VapidSigner::new(&keys, "mailto:a@b.c".into()).is_err());
    }

    #[test]
    fn client_keys_are_read_in_either_alphabet_and_checked() {
        let ours = VapidSigner::generate();
        let padded = format!("{}=", ours.public_key.replace('-', "+").replace('_', "/"));
        assert!(client_keys(&padded, "AAAAAAAAAAAAAAAAAAAAAA").is_ok());
        assert!(matches!(client_keys("AAAA", "AAAAAAAAAAAAAAAAAAAAAA"), Err(PushKeyError::PublicKey)));
        assert!(matches!(client_keys(&ours.public_key, "AAAA"), Err(PushKeyError::Auth)));
    }
}
