//! Uploads: a member's pictures and documents, for the enterprise they act
//! for (or themself). The bytes are sniffed and processed on a bounded pool
//! (concurrent uploads queue rather than multiply memory), stored through
//! the [`MediaStore`] under unguessable names, then recorded; only the
//! uploader may describe an upload or attach it to a post ([`attachment`]).
//! [`cleanup`] removes what no post uses.

pub mod cleanup;
pub mod remote;

use std::sync::Arc;

use maillage_config::MediaConfig;
use maillage_db::{CoverChange, Media, MediaAttachment, NewMedia, UtcTime};
use maillage_domain::{ActorKind, MediaKind, MediaRole, PostKind};
use maillage_media::{Focus, ImageLimits, Sniffed};
use maillage_storage::{MediaStore, StoreKey};
use tokio::sync::Semaphore;

use crate::{Acting, App, AppError};

/// The media store, the pool pictures are processed on, and the admission
/// of upload requests. Cheap to clone.
#[derive(Clone, Debug)]
pub struct MediaService {
    store: MediaStore,
    processing: Arc<Semaphore>,
    admission: Arc<Semaphore>,
}

/// Upload requests admitted per processing slot: one processed while the
/// next one's body is read.
const ADMITTED_PER_SLOT: usize = 2;

impl MediaService {
    pub fn new(store: MediaStore, config: &MediaConfig) -> Self {
        let permits = config.processing_concurrency.max(1) as usize;
        MediaService {
            store,
            processing: Arc::new(Semaphore::new(permits)),
            admission: Arc::new(Semaphore::new(permits * ADMITTED_PER_SLOT)),
        }
    }

    /// Waits until an upload request may read its body: the requests
    /// beyond `media.processing_concurrency × 2` wait here, their bodies
    /// unread (in the sockets, not in our memory), so that concurrent
    /// uploads queue rather than each hold a file in memory. The front
    /// ends hold the permit for the whole request.
    pub async fn admit_upload(&self) -> tokio::sync::OwnedSemaphorePermit {
        // The semaphore is never closed.
        self.admission.clone().acquire_owned().await.expect("the upload admission is never closed")
    }

    pub fn store(&self) -> &MediaStore {
        &self.store
    }
}

/// A file as a member sends it.
#[derive(Debug, Clone, Default)]
pub struct Upload {
    pub bytes: Vec<u8>,
    /// The name on the member's device (kept for documents).
    pub file_name: Option<String>,
    /// Alt text.
    pub description: Option<String>,
    /// Mastodon's `"x,y"`.
    pub focus: Option<String>,
    /// The enterprise it is for (its editors); `None`: the member themself.
    pub for_actor: Option<String>,
}

/// Thousandths, as stored, of a focus `"x,y"`.
fn parse_focus(text: &str) -> Result<(i32, i32), AppError> {
    let focus = Focus::parse(text)?;
    Ok(((focus.x * 1000.0).round() as i32, (focus.y * 1000.0).round() as i32))
}

/// `m/<32 random hex>/`: a folder nobody can guess.
fn new_folder() -> Result<String, AppError> {
    random_folder("m")
}

/// `<prefix>/<32 random hex>`.
fn random_folder(prefix: &str) -> Result<String, AppError> {
    let mut bytes = [0u8; 16];
    getrandom::getrandom(&mut bytes).map_err(|e| AppError::Internal(format!("no randomness: {e}")))?;
    Ok(format!("{prefix}/{}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()))
}

/// `<prefix>/<32 random hex>/<name>`: the key of a new file nobody can guess.
pub(crate) fn new_store_key(prefix: &str, name: &str) -> Result<StoreKey, AppError> {
    store_key(format!("{}/{name}", random_folder(prefix)?))
}

/// Runs `work` (decoding, processing) on a blocking thread once the
/// bounded processing pool has room.
pub(crate) async fn on_pool<T: Send + 'static>(
    app: &App,
    work: impl FnOnce() -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    let _permit = app
        .media()
        .processing
        .clone()
        .acquire_owned()
        .await
        .map_err(|_| AppError::Internal("the processing pool is closed".into()))?;
    tokio::task::spawn_blocking(work).await.map_err(|e| AppError::Internal(format!("processing failed: {e}")))?
}

fn store_key(key: String) -> Result<StoreKey, AppError> {
    StoreKey::new(key).map_err(|e| AppError::Internal(e.to_string()))
}

/// The files of an upload, ready to store.
struct Prepared {
    kind: MediaKind,
    media_type: String,
    original: (Vec<u8>, String),
    preview: Option<(Vec<u8>, String)>,
    sizes: Option<(u32, u32, u32, u32)>,
    blurhash: Option<String>,
}

/// Sniffs and processes `bytes` on a blocking thread; the caller holds a
/// permit of the pool.
fn prepare(bytes: Vec<u8>, config: &MediaConfig) -> Result<Prepared, AppError> {
    let limit = config.max_image_bytes.max(config.max_document_bytes);
    if bytes.len() as u64 > limit {
        return Err(maillage_media::MediaError::TooLarge { size: bytes.len() as u64, limit }.into());
    }
    match maillage_media::sniff(&bytes)? {
        Sniffed::Image(_) => {
            let limits = ImageLimits {
                max_bytes: config.max_image_bytes,
                max_pixels: config.max_image_pixels,
                original_side: config.original_side,
                preview_side: config.preview_side,
            };
            let image = maillage_media::process_image(&bytes, &limits)?;
            Ok(Prepared {
                kind: MediaKind::Image,
                media_type: image.original.media_type.to_string(),
                sizes: Some((image.original.width, image.original.height, image.preview.width, image.preview.height)),
                original: (image.original.bytes, format!("original.{}", image.original.extension)),
                preview: Some((image.preview.bytes, format!("preview.{}", image.preview.extension))),
                blurhash: Some(image.blurhash),
            })
        }
        Sniffed::Document(_) => {
            let format = maillage_media::check_document(&bytes, config.max_document_bytes)?;
            Ok(Prepared {
                kind: MediaKind::Document,
                media_type: format.media_type().to_string(),
                original: (bytes, format!("document.{}", format.extension())),
                preview: None,
                sizes: None,
                blurhash: None,
            })
        }
    }
}

/// The actor an upload is for: the member, or an enterprise they edit.
async fn uploading_for(
    app: &App,
    acting: &Acting,
    for_actor: Option<&str>,
) -> Result<(i64, maillage_db::LocalActor), AppError> {
    let Acting::Member { user_id, actor, .. } = acting else {
        return Err(AppError::Forbidden("uploads are made by a signed-in member".into()));
    };
    let member = (**actor).clone();
    let Some(handle) = for_actor.map(|h| h.trim_start_matches('@')).filter(|h| !h.is_empty()) else {
        return Ok((*user_id, member));
    };
    if handle.eq_ignore_ascii_case(&member.username) {
        return Ok((*user_id, member));
    }
    let enterprise = app.local_actor_of(ActorKind::Enterprise, handle).await?;
    if !app.db().is_editor(enterprise.id, member.id).await? {
        return Err(AppError::Forbidden(format!(
            "{} cannot upload for {}: only its editors can",
            member.username, enterprise.username
        )));
    }
    Ok((*user_id, enterprise))
}

/// Stores an upload: rights, quota, processing on the bounded pool, the
/// files, then the row (the files are removed again if the row is not
/// written). Nothing is stored when the file is refused.
pub async fn upload(app: &App, acting: &Acting, upload: Upload) -> Result<Media, AppError> {
    let (user_id, for_actor) = uploading_for(app, acting, upload.for_actor.as_deref()).await?;
    let config = app.config().media.clone();
    let focus = upload.focus.as_deref().filter(|f| !f.trim().is_empty()).map(parse_focus).transpose()?;
    check_description(upload.description.as_deref())?;
    let used = app.db().media_bytes_of_user(user_id).await?.max(0) as u64;
    let quota = config.quota_per_member_bytes;
    if quota > 0 && used + upload.bytes.len() as u64 > quota {
        return Err(AppError::TooLarge(format!(
            "your uploads would take more than your quota of {quota} bytes (media.quota_per_member_bytes); \
             {used} bytes are used"
        )));
    }
    let (bytes, pool_config) = (upload.bytes, config.clone());
    let prepared = on_pool(app, move || prepare(bytes, &pool_config)).await?;
    let size = prepared.original.0.len() + prepared.preview.as_ref().map_or(0, |p| p.0.len());
    if quota > 0 && used + size as u64 > quota {
        return Err(AppError::TooLarge(format!(
            "your uploads would take more than your quota of {quota} bytes (media.quota_per_member_bytes)"
        )));
    }
    let folder = new_folder()?;
    let original_key = store_key(format!("{folder}/{}", prepared.original.1))?;
    let preview_key = prepared.preview.as_ref().map(|p| store_key(format!("{folder}/{}", p.1))).transpose()?;
    let store = app.media().store();
    store.put(&original_key, prepared.original.0, &prepared.media_type).await?;
    if let (Some(key), Some((bytes, _))) = (&preview_key, prepared.preview)
        && let Err(error) = store.put(key, bytes, &prepared.media_type).await
    {
        let _ = store.delete(&original_key).await;
        return Err(error.into());
    }
    let (width, height, preview_width, preview_height) = match prepared.sizes {
        Some((w, h, pw, ph)) => (Some(w as i32), Some(h as i32), Some(pw as i32), Some(ph as i32)),
        None => (None, None, None, None),
    };
    let new = NewMedia {
        user_id,
        actor_id: for_actor.id,
        kind: prepared.kind,
        original_key: original_key.as_str().to_string(),
        preview_key: preview_key.as_ref().map(|k| k.as_str().to_string()),
        media_type: prepared.media_type,
        byte_size: size as i64,
        width,
        height,
        preview_width,
        preview_height,
        blurhash: prepared.blurhash,
        description: upload.description.filter(|d| !d.trim().is_empty()),
        focus_x: focus.map_or(0, |f| f.0),
        focus_y: focus.map_or(0, |f| f.1),
        file_name: match prepared.kind {
            MediaKind::Document => upload.file_name.map(|n| clean_file_name(&n)).filter(|n| !n.is_empty()),
            MediaKind::Image => None,
        },
        created_at: UtcTime::now(),
    };
    match app.db().insert_media(&new).await {
        Ok(media) => Ok(media),
        Err(error) => {
            let _ = store.delete(&original_key).await;
            if let Some(key) = &preview_key {
                let _ = store.delete(key).await;
            }
            Err(error.into())
        }
    }
}

/// Mastodon's limit on alt text.
pub const DESCRIPTION_LIMIT: usize = 1500;

fn check_description(description: Option<&str>) -> Result<(), AppError> {
    match description {
        Some(text) if text.chars().count() > DESCRIPTION_LIMIT => {
            Err(AppError::invalid("description", format!("at most {DESCRIPTION_LIMIT} characters")))
        }
        _ => Ok(()),
    }
}

/// A document's name without folders or control characters.
fn clean_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    base.chars().filter(|c| !c.is_control() && !matches!(c, '"' | ';')).take(200).collect::<String>().trim().to_string()
}

/// The hub's operator (or an admin) acting as the member `author`, to
/// upload and attach files for them (`maillage admin post ... --image`):
/// what the member may do, and nothing more.
pub async fn acting_as_author(app: &App, acting: &Acting, author: &str) -> Result<Acting, AppError> {
    if let Acting::Member { actor, .. } = acting
        && actor.username.eq_ignore_ascii_case(author.trim_start_matches('@'))
    {
        return Ok(acting.clone());
    }
    acting.require_admin()?;
    let account = app
        .db()
        .account_for_login(author.trim_start_matches('@'))
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no member {author} on this hub")))?;
    Ok(Acting::member(&account))
}

/// One's own upload (not found for anyone else, as on Mastodon).
pub async fn own(app: &App, acting: &Acting, id: i64) -> Result<Media, AppError> {
    let Acting::Member { user_id, .. } = acting else {
        return Err(AppError::NotFound("Record not found".into()));
    };
    app.db().media_of_uploader(id, *user_id).await?.ok_or_else(|| AppError::NotFound("Record not found".into()))
}

/// Changes the alt text and focus of one's own upload.
pub async fn describe(
    app: &App,
    acting: &Acting,
    id: i64,
    description: Option<&str>,
    focus: Option<&str>,
) -> Result<Media, AppError> {
    let media = own(app, acting, id).await?;
    check_description(description)?;
    let focus = focus.filter(|f| !f.trim().is_empty()).map(parse_focus).transpose()?;
    Ok(app.db().describe_media(media.id, description, focus).await?)
}

/// The uploads a post of `kind` is to carry, checked before its
/// transaction (which checks the owner and that none is taken again):
/// at most `media.max_attachments`, the author's own, pictures on updates,
/// pictures and documents on practices.
pub async fn attachment(
    app: &App,
    acting: &Acting,
    kind: PostKind,
    media_ids: &[i64],
) -> Result<Option<MediaAttachment>, AppError> {
    let max = app.config().media.max_attachments as usize;
    if media_ids.len() > max {
        return Err(AppError::invalid(
            "media_ids",
            format!("a post carries at most {max} attachments (media.max_attachments); {} were given", media_ids.len()),
        ));
    }
    let Acting::Member { user_id, .. } = acting else {
        if media_ids.is_empty() {
            return Ok(None);
        }
        return Err(AppError::Forbidden("attachments are added by the member who uploaded them".into()));
    };
    for id in media_ids {
        let media = app
            .db()
            .media_of_uploader(*id, *user_id)
            .await?
            .ok_or_else(|| AppError::invalid("media_ids", format!("{id} is not one of your uploads")))?;
        if media.kind == MediaKind::Document && kind == PostKind::Note {
            return Err(AppError::invalid("media_ids", "documents are attached to practices; updates carry pictures"));
        }
    }
    Ok(Some(MediaAttachment { user_id: *user_id, media_ids: media_ids.to_vec(), max }))
}

/// What a practice's create or edit does with its cover picture.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Cover {
    /// Leaves it as it is (none, for a new practice).
    #[default]
    Keep,
    /// Sets it to this upload of the member's (a picture): the old one is deleted.
    Set(i64),
    /// Takes it off: its files are deleted.
    Remove,
}

/// The cover change practice `post` (`None`: a new one) is to carry,
/// checked before its transaction (which checks again that the upload is
/// free): one of the member's own pictures, attached to no other post.
pub async fn cover(
    app: &App,
    acting: &Acting,
    cover: Cover,
    post: Option<i64>,
) -> Result<Option<CoverChange>, AppError> {
    let user_id = match acting {
        Acting::Member { user_id, .. } => Some(*user_id),
        _ => None,
    };
    match cover {
        Cover::Keep => Ok(None),
        Cover::Remove => Ok(Some(CoverChange { user_id: user_id.unwrap_or(0), media_id: None })),
        Cover::Set(id) => {
            let Some(user_id) = user_id else {
                return Err(AppError::Forbidden("a cover is set by the member who uploaded it".into()));
            };
            let media = app
                .db()
                .media_of_uploader(id, user_id)
                .await?
                .ok_or_else(|| AppError::invalid("cover", format!("{id} is not one of your uploads")))?;
            if media.kind != MediaKind::Image {
                return Err(AppError::invalid("cover", "a cover is a picture (JPEG, PNG, WebP or GIF)"));
            }
            let its_cover = media.role == MediaRole::Cover && media.post_id.is_some() && media.post_id == post;
            if media.post_id.is_some() && !its_cover {
                return Err(AppError::invalid("cover", format!("{id} is attached to a post already")));
            }
            Ok(Some(CoverChange { user_id, media_id: Some(id) }))
        }
    }
}

/// Deletes stored files whose rows are gone; a failure is logged (the
/// orphan is found again by `maillage admin media prune`).
pub async fn delete_files(app: &App, keys: &[String]) {
    for key in keys {
        let deleted = match StoreKey::new(key.clone()) {
            Ok(key) => app.media().store().delete(&key).await,
            Err(error) => Err(error),
        };
        if let Err(error) = deleted {
            tracing::warn!(%key, %error, "a media file could not be deleted");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn uploads_beyond_twice_the_processing_slots_wait_for_admission() {
        let dir = tempfile::tempdir().unwrap();
        let env = [
            ("MAILLAGE__MEDIA__PROCESSING_CONCURRENCY".to_string(), "1".to_string()),
            ("MAILLAGE__MEDIA__DIRECTORY".to_string(), dir.path().display().to_string()),
        ];
        let config = maillage_config::Config::load_with_env(None, env).unwrap();
        let store = MediaStore::open(&config.media).await.unwrap();
        let media = MediaService::new(store, &config.media);
        let first = media.admit_upload().await;
        let _second = media.admit_upload().await;
        let third = tokio::time::timeout(std::time::Duration::from_millis(200), media.admit_upload()).await;
        assert!(third.is_err(), "a third upload was admitted with one processing slot");
        drop(first);
        let third = tokio::time::timeout(std::time::Duration::from_secs(5), media.admit_upload()).await;
        assert!(third.is_ok(), "an admission freed is given to the next upload");
    }

    #[test]
    fn focus_is_kept_in_thousandths() {
        assert_eq!(parse_focus("0.5,-0.25").unwrap(), (500, -250));
        assert!(parse_focus("2,0").is_err());
    }

    #[test]
    fn file_names_lose_folders_and_quotes() {
        assert_eq!(clean_file_name("C:\\Users\\x\\guide \"v2\".pdf"), "guide v2.pdf");
        assert_eq!(clean_file_name("../../etc/passwd"), "passwd");
    }

    #[test]
    fn folders_are_unguessable_and_valid_keys() {
        let a = new_folder().unwrap();
        assert_eq!(a.len(), 2 + 32);
        assert_ne!(a, new_folder().unwrap());
        assert!(StoreKey::new(format!("{a}/original.jpg")).is_ok());
    }
}
