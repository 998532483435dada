//! RSA for HTTP signatures, behind one small interface: key generation,
//! PEM import and export (PKCS#8 or PKCS#1 private keys, SPKI or PKCS#1
//! public keys, as stored and as other servers publish them),
//! RSASSA-PKCS1-v1_5 with SHA-256 signing and verification.
//!
//! The implementation is aws-lc-rs (constant-time, about 3× faster signing
//! and 10× faster verification than the `rsa` crate on our machines; see
//! docs/performance.md). Parsed keys are kept in bounded LRU caches, so a
//! key is parsed once, not per request. [`on_pool`] runs the RSA work on a
//! bounded pool (as many at once as the machine has cores) off the async
//! workers.

use std::sync::{Arc, LazyLock};

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::{KeyPair as _, ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256};

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    #[error("malformed public key")]
    MalformedPublicKey,
    #[error("malformed private key")]
    MalformedPrivateKey,
    #[error("cannot generate a key pair")]
    KeyGeneration,
    #[error("signing failed")]
    SigningFailed,
}

/// A private key ready to sign.
pub struct PrivateKey(KeyPair);

/// A public key ready to verify.
pub struct PublicKey(ParsedPublicKey);

/// Parsed keys kept, by PEM text. Actor keys are few and long-lived.
const CACHED_KEYS: u64 = 10_000;

static PUBLIC_KEYS: LazyLock<moka::sync::Cache<String, Arc<PublicKey>>> =
    LazyLock::new(|| moka::sync::Cache::new(CACHED_KEYS));
static PRIVATE_KEYS: LazyLock<moka::sync::Cache<String, Arc<PrivateKey>>> =
    LazyLock::new(|| moka::sync::Cache::new(CACHED_KEYS));

fn pem_der(pem: &str) -> Option<(String, Vec<u8>)> {
    pem_rfc7468::decode_vec(pem.trim().as_bytes()).ok().map(|(label, der)| (label.to_string(), der))
}

impl PrivateKey {
    pub fn from_pem(pem: &str) -> Result<Self, CryptoError> {
        let (label, der) = pem_der(pem).ok_or(CryptoError::MalformedPrivateKey)?;
        let key = match label.as_str() {
            "PRIVATE KEY" => KeyPair::from_pkcs8(&der),
            "RSA PRIVATE KEY" => KeyPair::from_der(&der),
            _ => return Err(CryptoError::MalformedPrivateKey),
        };
        key.map(PrivateKey).map_err(|_| CryptoError::MalformedPrivateKey)
    }

    /// The key of a PEM text, parsed once and then taken from the cache.
    pub fn cached(pem: &str) -> Result<Arc<Self>, CryptoError> {
        if let Some(key) = PRIVATE_KEYS.get(pem) {
            return Ok(key);
        }
        let key = Arc::new(Self::from_pem(pem)?);
        PRIVATE_KEYS.insert(pem.to_string(), key.clone());
        Ok(key)
    }

    /// RSASSA-PKCS1-v1_5 with SHA-256 of `message`.
    pub fn sign_sha256(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let mut signature = vec![0; self.0.public_modulus_len()];
        self.0
            .sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), message, &mut signature)
            .map_err(|_| CryptoError::SigningFailed)?;
        Ok(signature)
    }
}

impl PublicKey {
    pub fn from_pem(pem: &str) -> Result<Self, CryptoError> {
        let (label, der) = pem_der(pem).ok_or(CryptoError::MalformedPublicKey)?;
        if !matches!(label.as_str(), "PUBLIC KEY" | "RSA PUBLIC KEY") {
            return Err(CryptoError::MalformedPublicKey);
        }
        ParsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, der)
            .map(PublicKey)
            .map_err(|_| CryptoError::MalformedPublicKey)
    }

    /// The key of a PEM text, parsed once and then taken from the cache.
    pub fn cached(pem: &str) -> Result<Arc<Self>, CryptoError> {
        if let Some(key) = PUBLIC_KEYS.get(pem) {
            return Ok(key);
        }
        let key = Arc::new(Self::from_pem(pem)?);
        PUBLIC_KEYS.insert(pem.to_string(), key.clone());
        Ok(key)
    }

    /// Whether `signature` is an RSASSA-PKCS1-v1_5 SHA-256 signature of `message`.
    pub fn verify_sha256(&self, message: &[u8], signature: &[u8]) -> bool {
        self.0.verify_sig(message, signature).is_ok()
    }
}

/// A new RSA-2048 key pair, as PEM: (public SPKI, private PKCS#8).
pub fn generate_key_pair() -> Result<(String, String), CryptoError> {
    let pair = KeyPair::generate(KeySize::Rsa2048).map_err(|_| CryptoError::KeyGeneration)?;
    let private = pair.as_der().map_err(|_| CryptoError::KeyGeneration)?;
    let public = pair.public_key().as_der().map_err(|_| CryptoError::KeyGeneration)?;
    let line = pem_rfc7468::LineEnding::LF;
    let private =
        pem_rfc7468::encode_string("PRIVATE KEY", line, private.as_ref()).map_err(|_| CryptoError::KeyGeneration)?;
    let public =
        pem_rfc7468::encode_string("PUBLIC KEY", line, public.as_ref()).map_err(|_| CryptoError::KeyGeneration)?;
    Ok((public, private))
}

/// At most this many RSA operations at once: one per core.
static POOL: LazyLock<tokio::sync::Semaphore> = LazyLock::new(|| {
    tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, std::num::NonZero::get))
});

/// Runs CPU-bound crypto off the async workers, at most one job per core
/// at a time (callers wait their turn; no thread is made per request).
pub async fn on_pool<T: Send + 'static>(job: impl FnOnce() -> T + Send + 'static) -> T {
    // The semaphore is never closed, so acquiring only waits.
    let _permit = POOL.acquire().await.ok();
    match tokio::task::spawn_blocking(job).await {
        Ok(value) => value,
        Err(error) => std::panic::resume_unwind(error.into_panic()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_sign_and_verify_and_read_back() {
        let (public_pem, private_pem) = generate_key_pair().unwrap();
        assert!(public_pem.starts_with("-----BEGIN PUBLIC KEY-----"));
        assert!(private_pem.starts_with("-----BEGIN PRIVATE KEY-----"));
        let private = PrivateKey::cached(&private_pem).unwrap();
        let public = PublicKey::cached(&public_pem).unwrap();
        let signature = private.sign_sha256(b"message").unwrap();
        assert_eq!(signature.len(), 256);
        assert!(public.verify_sha256(b"message", &signature));
        assert!(!public.verify_sha256(b"massage", &signature));
        assert!(Arc::ptr_eq(&public, &PublicKey::cached(&public_pem).unwrap()), "parsed once");
    }

    #[test]
    fn garbage_is_refused() {
        assert_eq!(PublicKey::from_pem("not a key").err(), Some(CryptoError::MalformedPublicKey));
        assert_eq!(
            PrivateKey::from_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----").err(),
            Some(CryptoError::MalformedPrivateKey)
        );
        let (public_pem, _) = generate_key_pair().unwrap();
        assert!(PrivateKey::from_pem(&public_pem).is_err(), "a public key is not a private key");
    }

    #[tokio::test]
    async fn the_pool_runs_jobs() {
        let results = futures_join(16).await;
        assert_eq!(results, (0..16).map(|n| n * 2).collect::<Vec<_>>());
    }

    async fn futures_join(n: usize) -> Vec<usize> {
        let mut handles = Vec::new();
        for i in 0..n {
            handles.push(tokio::spawn(on_pool(move || i * 2)));
        }
        let mut out = Vec::new();
        for handle in handles {
            out.push(handle.await.unwrap());
        }
        out
    }
}
