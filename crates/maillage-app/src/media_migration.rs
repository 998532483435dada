//! Moving media from one backend to the other (`maillage admin media
//! migrate --to s3|local`): every file of the backend not chosen is copied
//! to the chosen one, both as `[media]` describes them. Run again, it copies
//! only what is missing or differs in size (resumable, idempotent); the
//! source is never changed. Switching `media.backend` is left to the admin.

use std::collections::HashMap;

use maillage_config::{MediaBackend, MediaConfig};
use maillage_storage::{MediaStore, StoreError, StoreKey};

/// What a migration did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MigrationReport {
    /// Files found in the source.
    pub files: u64,
    /// Files copied now.
    pub copied: u64,
    /// Bytes copied now.
    pub bytes_copied: u64,
    /// Files the target already held, of the same size.
    pub already_there: u64,
}

/// The other backend than `backend`.
pub fn other_backend(backend: MediaBackend) -> MediaBackend {
    match backend {
        MediaBackend::Local => MediaBackend::S3,
        MediaBackend::S3 => MediaBackend::Local,
    }
}

/// Copies every file from the other backend to `to`, then checks that the
/// target holds each with its size.
pub async fn migrate(media: &MediaConfig, to: MediaBackend) -> Result<MigrationReport, StoreError> {
    let source = MediaStore::open(&MediaConfig { backend: other_backend(to), ..media.clone() }).await?;
    let target = MediaStore::open(&MediaConfig { backend: to, ..media.clone() }).await?;
    let sizes = |listed: Vec<maillage_storage::Listed>| -> HashMap<StoreKey, u64> {
        listed.into_iter().map(|file| (file.key, file.size)).collect()
    };
    let wanted = source.list("").await?;
    let present = sizes(target.list("").await?);
    let mut report = MigrationReport::default();
    // The size each file must have in the target.
    let mut expected = HashMap::new();
    for file in wanted {
        if present.get(&file.key) == Some(&file.size) {
            report.already_there += 1;
            expected.insert(file.key, file.size);
            continue;
        }
        let bytes = match source.get(&file.key).await {
            Ok(bytes) => bytes,
            // Deleted since it was listed (a server is running): nothing to copy.
            Err(StoreError::NotFound) => continue,
            Err(error) => return Err(error),
        };
        let size = bytes.len() as u64;
        target.put(&file.key, bytes, media_type_of(&file.key)).await?;
        report.copied += 1;
        report.bytes_copied += size;
        expected.insert(file.key, size);
    }
    report.files = expected.len() as u64;
    let copied = sizes(target.list("").await?);
    for (key, size) in &expected {
        if copied.get(key) != Some(size) {
            return Err(StoreError::Other(format!(
                "{} is not in the target with its size ({size} bytes; found {:?}): run the command again",
                key.as_str(),
                copied.get(key)
            )));
        }
    }
    Ok(report)
}

/// The type an S3 store serves a file with (a public bucket answers with
/// it), from the name the file was given when it was stored.
fn media_type_of(key: &StoreKey) -> &'static str {
    let extension = key.as_str().rsplit_once('.').map(|(_, ext)| ext.to_ascii_lowercase()).unwrap_or_default();
    match extension.as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "webp" => "image/webp",
        "gif" => "image/gif",
        "pdf" => "application/pdf",
        "odt" => "application/vnd.oasis.opendocument.text",
        "ods" => "application/vnd.oasis.opendocument.spreadsheet",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "csv" => "text/csv",
        "txt" => "text/plain",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_keep_a_type_from_their_name() {
        let key = |name: &str| StoreKey::new(name).unwrap();
        assert_eq!(media_type_of(&key("a/b.JPG")), "image/jpeg");
        assert_eq!(media_type_of(&key("a/guide.pdf")), "application/pdf");
        assert_eq!(media_type_of(&key("a/noextension")), "application/octet-stream");
    }

    #[tokio::test]
    async fn a_store_that_does_not_answer_stops_the_migration_as_an_outage() {
        let dir = tempfile::tempdir().unwrap();
        let mut media = maillage_config::Config::load_with_env(None, Vec::new()).unwrap().media;
        media.directory = dir.path().join("media").to_string_lossy().into_owned();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        media.s3.endpoint = format!("http://127.0.0.1:{port}");
        media.s3.bucket = "media".into();
        media.s3.access_key_id = "GK0".into();
        media.s3.secret_access_key = "secret".into();
        let refused = migrate(&media, MediaBackend::S3).await;
        assert!(matches!(refused, Err(StoreError::Unavailable(_))), "{refused:?}");
        let nothing = migrate(&media, MediaBackend::Local).await;
        assert!(matches!(nothing, Err(StoreError::Unavailable(_))), "the source does not answer: {nothing:?}");
    }
}
