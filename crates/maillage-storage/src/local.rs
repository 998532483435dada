//! The local backend: files under `media.directory`, owner-only.
//!
//! Plain files rather than object_store's `LocalFileSystem`: directories are
//! created 0700 and files 0600 whatever the umask, a file is synced to disk
//! before it is renamed into place (durable before we say it is stored),
//! and the directory need not exist until it is first checked or written.

use std::fs::{DirBuilder, File, OpenOptions};
use std::io::{ErrorKind, Write as _};
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};

use crate::{Listed, StoreError, StoreKey};

const SETTING: &str = "media.directory";
/// Where files are written before they are renamed into place: inside the
/// directory, so the rename stays on one filesystem. No key can name it.
const STAGING: &str = ".staging";

#[derive(Clone, Debug)]
pub(crate) struct LocalDirectory {
    root: PathBuf,
}

impl LocalDirectory {
    pub(crate) fn new(directory: &str) -> Result<LocalDirectory, StoreError> {
        if directory.trim().is_empty() {
            return Err(StoreError::Misconfigured {
                setting: SETTING,
                reason: "is empty; give a directory (data/media is the default)".into(),
            });
        }
        Ok(LocalDirectory { root: PathBuf::from(directory) })
    }

    /// Creates the directory (owner-only) when missing, and writes and
    /// removes a file in it.
    pub(crate) async fn check(&self) -> Result<(), StoreError> {
        let root = self.root.clone();
        blocking(move || {
            let refused = |what: &str, error: std::io::Error| StoreError::Misconfigured {
                setting: SETTING,
                reason: format!("{what} {}: {error}", root.display()),
            };
            match std::fs::metadata(&root) {
                Ok(meta) if !meta.is_dir() => {
                    return Err(refused("is not a directory:", std::io::Error::other("a file has this name")));
                }
                Ok(_) => {}
                Err(e) if e.kind() == ErrorKind::NotFound => {
                    private_dirs(&root).map_err(|e| refused("cannot create", e))?;
                }
                Err(e) => return Err(refused("cannot read", e)),
            }
            let probe = staged_file(&root, b"probe").map_err(|e| refused("cannot write in", e))?;
            std::fs::remove_file(&probe).map_err(|e| refused("cannot remove files in", e))
        })
        .await
    }

    pub(crate) async fn put(&self, key: &StoreKey, bytes: Vec<u8>) -> Result<(), StoreError> {
        let root = self.root.clone();
        let target = self.path(key);
        blocking(move || {
            let parent = target.parent().unwrap_or(&root);
            private_dirs(parent).map_err(outage)?;
            let staged = staged_file(&root, &bytes).map_err(outage)?;
            if let Err(error) = std::fs::rename(&staged, &target) {
                let _ = std::fs::remove_file(&staged);
                return Err(outage(error));
            }
            // The new name is durable once its directory is synced.
            File::open(parent).and_then(|dir| dir.sync_all()).map_err(outage)
        })
        .await
    }

    pub(crate) async fn get(&self, key: &StoreKey) -> Result<Vec<u8>, StoreError> {
        let path = self.path(key);
        blocking(move || {
            std::fs::read(&path).map_err(|e| match e.kind() {
                ErrorKind::NotFound | ErrorKind::IsADirectory | ErrorKind::NotADirectory => StoreError::NotFound,
                _ => outage(e),
            })
        })
        .await
    }

    pub(crate) async fn delete(&self, key: &StoreKey) -> Result<(), StoreError> {
        let path = self.path(key);
        blocking(move || match std::fs::remove_file(&path) {
            Err(e) if e.kind() != ErrorKind::NotFound => Err(outage(e)),
            _ => Ok(()),
        })
        .await
    }

    /// Every file under `directory` (`None`: all), the store's own aside.
    pub(crate) async fn list(&self, directory: Option<&str>) -> Result<Vec<Listed>, StoreError> {
        let start = match directory {
            Some(directory) => self.root.join(directory),
            None => self.root.clone(),
        };
        let root = self.root.clone();
        blocking(move || {
            let mut found = Vec::new();
            walk(&root, &start, &mut found).map_err(outage)?;
            Ok(found)
        })
        .await
    }

    fn path(&self, key: &StoreKey) -> PathBuf {
        self.root.join(key.as_str())
    }
}

/// Creates `path` and its missing parents, owner-only.
fn private_dirs(path: &Path) -> std::io::Result<()> {
    DirBuilder::new().recursive(true).mode(0o700).create(path)
}

/// Writes `bytes` to a new owner-only file in the staging directory, synced
/// to disk, and returns its path.
fn staged_file(root: &Path, bytes: &[u8]) -> std::io::Result<PathBuf> {
    let staging = root.join(STAGING);
    private_dirs(&staging)?;
    let path = staging.join(uuid::Uuid::new_v4().simple().to_string());
    let written = OpenOptions::new().write(true).create_new(true).mode(0o600).open(&path).and_then(|mut file| {
        file.write_all(bytes)?;
        file.sync_all()
    });
    match written {
        Ok(()) => Ok(path),
        Err(error) => {
            let _ = std::fs::remove_file(&path);
            Err(error)
        }
    }
}

fn walk(root: &Path, directory: &Path, found: &mut Vec<Listed>) -> std::io::Result<()> {
    let entries = match std::fs::read_dir(directory) {
        Ok(entries) => entries,
        Err(e) if e.kind() == ErrorKind::NotFound || e.kind() == ErrorKind::NotADirectory => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let kind = entry.file_type()?;
        if kind.is_dir() {
            walk(root, &entry.path(), found)?;
        } else if kind.is_file() {
            let path = entry.path();
            let Some(key) = path.strip_prefix(root).ok().and_then(|p| p.to_str()) else { continue };
            // A file someone else put there under a name we would not make.
            let Ok(key) = StoreKey::new(key) else { continue };
            found.push(Listed { key, size: entry.metadata()?.len() });
        }
    }
    Ok(())
}

/// A failure of the disk while serving: full, read-only, permissions
/// changed. The server keeps running; the file can be stored later.
fn outage(error: std::io::Error) -> StoreError {
    StoreError::Unavailable(format!("the media directory: {error}"))
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(work).await.map_err(|e| StoreError::Other(format!("the file task failed: {e}")))?
}
