//! Where media files live: a directory on this machine (`media.backend =
//! "local"`) or an S3-compatible object store (`"s3"`), behind one
//! interface. Every process of a hub reads and deletes what any other wrote.
//!
//! Files are named by [`StoreKey`]s the caller makes unguessable; this crate
//! knows nothing of posts or audiences.

mod local;
mod s3;
#[cfg(test)]
mod tests;

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
/// `/` between non-empty parts, never `..`, and no part starting with a dot
/// (those names are the store's own: files being written, probes).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StoreKey(String);

impl StoreKey {
    pub fn new(key: impl Into<String>) -> Result<StoreKey, StoreError> {
        let key = key.into();
        let valid = !key.is_empty()
            && key.len() <= 512
            && key.split('/').all(|part| {
                !part.is_empty()
                    && !part.starts_with('.')
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
    files: Files,
}

/// The backend that holds the bytes.
#[derive(Clone, Debug)]
enum Files {
    Local(local::LocalDirectory),
    S3(s3::Bucket),
}

impl MediaStore {
    /// Opens the store `config` names, checking it: a directory that cannot
    /// be written, a missing bucket or refused credentials are
    /// [`StoreError::Misconfigured`]; an endpoint that does not answer is
    /// not (the server starts and uploads answer 503 until it is back).
    pub async fn open(config: &MediaConfig) -> Result<MediaStore, StoreError> {
        let store = MediaStore::connect(config)?;
        match &store.files {
            Files::Local(directory) => directory.check().await?,
            Files::S3(bucket) => match bucket.check().await {
                Err(StoreError::Unavailable(reason)) => tracing::warn!(
                    endpoint = %config.s3.endpoint,
                    "the media store does not answer; starting anyway, uploads wait until it is back: {reason}"
                ),
                checked => checked?,
            },
        }
        Ok(store)
    }

    /// The store `config` names, without touching it: nothing is created,
    /// written or asked until the first call. For commands that may never
    /// need a file; `maillage serve` uses [`MediaStore::open`].
    pub fn connect(config: &MediaConfig) -> Result<MediaStore, StoreError> {
        let files = match config.backend {
            MediaBackend::Local => Files::Local(local::LocalDirectory::new(&config.directory)?),
            MediaBackend::S3 => Files::S3(s3::Bucket::new(&config.s3)?),
        };
        let public_base_url = match config.backend {
            MediaBackend::S3 => public_base_url(&config.s3.public_base_url)?,
            MediaBackend::Local => None,
        };
        Ok(MediaStore { backend: config.backend, public_base_url, files })
    }

    pub fn backend(&self) -> MediaBackend {
        self.backend
    }

    /// Stores `bytes` under `key`, replacing any file of that name. Readers
    /// see the old file or the whole new one, never a part.
    pub async fn put(&self, key: &StoreKey, bytes: Vec<u8>, media_type: &str) -> Result<(), StoreError> {
        match &self.files {
            Files::Local(directory) => directory.put(key, bytes).await,
            Files::S3(bucket) => bucket.put(key, bytes, media_type).await,
        }
    }

    pub async fn get(&self, key: &StoreKey) -> Result<Vec<u8>, StoreError> {
        match &self.files {
            Files::Local(directory) => directory.get(key).await,
            Files::S3(bucket) => bucket.get(key).await,
        }
    }

    /// Removes a file; one already gone is not an error.
    pub async fn delete(&self, key: &StoreKey) -> Result<(), StoreError> {
        match &self.files {
            Files::Local(directory) => directory.delete(key).await,
            Files::S3(bucket) => bucket.delete(key).await,
        }
    }

    /// Every file whose key starts with `prefix` (`""`: all), in no
    /// particular order.
    pub async fn list(&self, prefix: &str) -> Result<Vec<Listed>, StoreError> {
        // Listing is by whole directories; the rest of the prefix filters.
        let directory = prefix.rfind('/').map(|end| &prefix[..end]).filter(|d| !d.is_empty());
        let listed = match &self.files {
            Files::Local(local) => local.list(directory).await?,
            Files::S3(bucket) => bucket.list(directory).await?,
        };
        Ok(listed.into_iter().filter(|file| file.key.as_str().starts_with(prefix)).collect())
    }

    /// Where readers fetch `key` directly, when `media.s3.public_base_url`
    /// is set; `None`: Maillage serves it (through the audience check).
    pub fn direct_url(&self, key: &StoreKey) -> Option<Url> {
        self.public_base_url.as_ref().and_then(|base| base.join(key.as_str()).ok())
    }
}

/// `media.s3.public_base_url` as a base that keys are joined to (its path
/// ends with `/`, so that a CDN path prefix is kept).
fn public_base_url(value: &str) -> Result<Option<Url>, StoreError> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    let misconfigured = |reason: String| StoreError::Misconfigured { setting: "media.s3.public_base_url", reason };
    let mut url = Url::parse(value).map_err(|e| misconfigured(format!("{value:?} is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(misconfigured(format!("{value:?} is not an http(s) URL")));
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(Some(url))
}
