//! The S3 backend: one bucket of any S3-compatible store, through
//! object_store (request signing, retries, listing by pages).
//!
//! Timeouts and retries are short: a store that does not answer makes a
//! request fail in seconds with [`StoreError::Unavailable`], never hang.

use std::sync::Arc;
use std::time::Duration;

use futures_util::TryStreamExt as _;
use maillage_config::S3Config;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path;
use object_store::{
    Attribute, Attributes, BackoffConfig, ClientOptions, ObjectStore as _, ObjectStoreExt as _, PutOptions, PutPayload,
    RetryConfig,
};

use crate::{Listed, StoreError, StoreKey};

/// Where [`Bucket::check`] writes its probe; no [`StoreKey`] can name it.
const PROBE_PREFIX: &str = ".maillage-probe";

#[derive(Clone)]
pub(crate) struct Bucket {
    store: Arc<AmazonS3>,
}

/// Not derived: object_store's own Debug shows the credentials.
impl std::fmt::Debug for Bucket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Bucket({})", self.store)
    }
}

impl Bucket {
    pub(crate) fn new(config: &S3Config) -> Result<Bucket, StoreError> {
        for (setting, value) in [
            ("media.s3.endpoint", &config.endpoint),
            ("media.s3.bucket", &config.bucket),
            ("media.s3.region", &config.region),
            ("media.s3.access_key_id", &config.access_key_id),
            ("media.s3.secret_access_key", &config.secret_access_key),
        ] {
            if value.trim().is_empty() {
                return Err(StoreError::Misconfigured {
                    setting,
                    reason: "is empty, and media.backend is \"s3\"".into(),
                });
            }
        }
        let endpoint = config.endpoint.trim();
        let endpoint_misconfigured =
            |reason: String| StoreError::Misconfigured { setting: "media.s3.endpoint", reason };
        let parsed = url::Url::parse(endpoint).map_err(|e| endpoint_misconfigured(format!("{endpoint:?}: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(endpoint_misconfigured(format!("{endpoint:?} is not an http(s) URL")));
        }
        let retry = RetryConfig {
            backoff: BackoffConfig {
                init_backoff: Duration::from_millis(100),
                max_backoff: Duration::from_secs(1),
                base: 2.0,
            },
            max_retries: 2,
            retry_timeout: Duration::from_secs(10),
        };
        let client = ClientOptions::new()
            .with_connect_timeout(Duration::from_secs(3))
            // A 20 MiB document on a slow uplink fits; a silent store does not hold a request longer.
            .with_timeout(Duration::from_secs(60))
            .with_allow_http(parsed.scheme() == "http");
        let store = AmazonS3Builder::new()
            .with_endpoint(endpoint.trim_end_matches('/'))
            .with_bucket_name(config.bucket.trim())
            .with_region(config.region.trim())
            .with_access_key_id(config.access_key_id.trim())
            .with_secret_access_key(config.secret_access_key.trim())
            .with_virtual_hosted_style_request(!config.path_style)
            .with_retry(retry)
            .with_client_options(client)
            .build()
            .map_err(|e| endpoint_misconfigured(e.to_string()))?;
        Ok(Bucket { store: Arc::new(store) })
    }

    /// Writes and deletes a small object: the bucket exists and the keys
    /// may write in it. [`StoreError::Unavailable`] when the store does not
    /// answer.
    pub(crate) async fn check(&self) -> Result<(), StoreError> {
        let probe = Path::from(format!("{PROBE_PREFIX}/{}", uuid::Uuid::new_v4().simple()));
        let written = self.store.put(&probe, PutPayload::from_static(b"probe")).await;
        let deleted = match written {
            Ok(_) => self.store.delete(&probe).await,
            Err(e) => Err(e),
        };
        match deleted {
            Ok(()) => Ok(()),
            Err(error) if is_outage(&error) => Err(StoreError::Unavailable(error.to_string())),
            Err(error @ object_store::Error::NotFound { .. }) => Err(StoreError::Misconfigured {
                setting: "media.s3.bucket",
                reason: format!("the bucket does not exist, or not at media.s3.endpoint: {error}"),
            }),
            Err(
                error @ (object_store::Error::PermissionDenied { .. } | object_store::Error::Unauthenticated { .. }),
            ) => Err(StoreError::Misconfigured {
                setting: "media.s3.access_key_id",
                reason: format!(
                    "the store refused these credentials (media.s3.access_key_id and \
                     media.s3.secret_access_key), or they may not write in the bucket: {error}"
                ),
            }),
            Err(error) => Err(StoreError::Misconfigured {
                setting: "media.s3.endpoint",
                reason: format!("the store refused a test write: {error}"),
            }),
        }
    }

    pub(crate) async fn put(&self, key: &StoreKey, bytes: Vec<u8>, media_type: &str) -> Result<(), StoreError> {
        let mut attributes = Attributes::new();
        attributes.insert(Attribute::ContentType, media_type.to_string().into());
        let options = PutOptions { attributes, ..PutOptions::default() };
        self.store.put_opts(&path(key), PutPayload::from(bytes), options).await.map_err(store_error)?;
        Ok(())
    }

    pub(crate) async fn get(&self, key: &StoreKey) -> Result<Vec<u8>, StoreError> {
        let found = self.store.get(&path(key)).await.map_err(store_error)?;
        Ok(found.bytes().await.map_err(store_error)?.to_vec())
    }

    pub(crate) async fn delete(&self, key: &StoreKey) -> Result<(), StoreError> {
        match self.store.delete(&path(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(error) => Err(store_error(error)),
        }
    }

    /// Every object under `directory` (`None`: all) named as a key would be.
    pub(crate) async fn list(&self, directory: Option<&str>) -> Result<Vec<Listed>, StoreError> {
        let prefix = directory.map(Path::from);
        let objects: Vec<_> = self.store.list(prefix.as_ref()).try_collect().await.map_err(store_error)?;
        Ok(objects
            .into_iter()
            .filter_map(|object| {
                // Probes and objects others put in the bucket under other names.
                let key = StoreKey::new(object.location.as_ref()).ok()?;
                Some(Listed { key, size: object.size })
            })
            .collect())
    }
}

fn path(key: &StoreKey) -> Path {
    // Keys are already what object_store accepts: no escaping happens.
    Path::from(key.as_str())
}

fn store_error(error: object_store::Error) -> StoreError {
    match error {
        object_store::Error::NotFound { .. } => StoreError::NotFound,
        error if is_outage(&error) => StoreError::Unavailable(error.to_string()),
        error => StoreError::Other(error.to_string()),
    }
}

/// Whether the store could not be reached or failed on its side (refused
/// connection, timeout, a 5xx answer): an outage, not a mistake of ours.
fn is_outage(error: &object_store::Error) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = cause {
        if current.downcast_ref::<object_store::client::HttpError>().is_some() {
            return true;
        }
        cause = current.source();
    }
    // object_store keeps its status-carrying error private; its message says
    // "non-2xx status code: 503 Service Unavailable" and the like.
    error.to_string().contains("status code: 5")
}
