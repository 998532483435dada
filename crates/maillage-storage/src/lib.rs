//! Where media files live: a directory on this machine (`media.backend =
//! "local"`) or an S3-compatible object store (`"s3"`), behind one
//! interface. Every process of a hub reads and deletes what any other wrote.
//!
//! Files are named by [`StoreKey`]s the caller makes unguessable; this crate
//! knows nothing of posts or audiences.

use maillage_config::{MediaBackend, MediaConfig};
use thiserror::Error;
use url::Url;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("no such file")]
    NotFound,
    /// The store cannot be reached now (an outage): front ends answer 503
    /// with `Retry-After`, and pending work is retried.
    #[error("the media store is unavailable: {0}")]
    Unavailable(String),
    /// A setting is wrong (directory not writable, bucket missing,
    /// credentials refused): the server does not start.
    #[error("{setting}: {reason}")]
    Misconfigured { setting: &'static str, reason: String },
    #[error("media store: {0}")]
    Other(String),
}

/// The name of one stored file: ASCII letters, digits, `-`, `_`, `.` and
/// `/` between non-empty parts, never `..`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StoreKey(String);

impl StoreKey {
    pub fn new(key: impl Into<String>) -> Result<StoreKey, StoreError> {
        let key = key.into();
        let valid = !key.is_empty()
            && key.len() <= 512
            && key.split('/').all(|part| {
                !part.is_empty()
                    && part != "."
                    && part != ".."
                    && part.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            });
        if valid { Ok(StoreKey(key)) } else { Err(StoreError::Other(format!("invalid file name {key:?}"))) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One stored file, as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub key: StoreKey,
    pub size: u64,
}

/// The media store of this instance. Cheap to clone.
#[derive(Clone, Debug)]
pub struct MediaStore {
    backend: MediaBackend,
    public_base_url: Option<Url>,
}

impl MediaStore {
    /// Opens the store `config` names, checking it: a directory that cannot
    /// be written, a missing bucket or refused credentials are
    /// [`StoreError::Misconfigured`]; an endpoint that does not answer is
    /// not (the server starts and uploads answer 503 until it is back).
    pub async fn open(config: &MediaConfig) -> Result<MediaStore, StoreError> {
        Ok(MediaStore { backend: config.backend, public_base_url: None })
    }

    pub fn backend(&self) -> MediaBackend {
        self.backend
    }

    pub async fn put(&self, key: &StoreKey, bytes: Vec<u8>, media_type: &str) -> Result<(), StoreError> {
        let _ = (key, bytes, media_type);
        Err(StoreError::Unavailable("not built yet".into()))
    }

    pub async fn get(&self, key: &StoreKey) -> Result<Vec<u8>, StoreError> {
        let _ = key;
        Err(StoreError::NotFound)
    }

    /// Removes a file; one already gone is not an error.
    pub async fn delete(&self, key: &StoreKey) -> Result<(), StoreError> {
        let _ = key;
        Ok(())
    }

    /// Every file whose key starts with `prefix` (`""`: all).
    pub async fn list(&self, prefix: &str) -> Result<Vec<Listed>, StoreError> {
        let _ = prefix;
        Ok(Vec::new())
    }

    /// Where readers fetch `key` directly, when `media.s3.public_base_url`
    /// is set; `None`: Maillage serves it (through the audience check).
    pub fn direct_url(&self, key: &StoreKey) -> Option<Url> {
        self.public_base_url.as_ref().and_then(|base| base.join(key.as_str()).ok())
    }
}
