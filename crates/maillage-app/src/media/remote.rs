//! Our copies of other servers' files (attachments of remote posts, avatars
//! and headers of remote actors), so that a reader's browser never contacts
//! a third-party server.
//!
//! A file is fetched through the federation's one client (address rules,
//! redirects checked, at most `media.remote_max_bytes`), sniffed and
//! processed on the bounded pool exactly as an upload (metadata stripped, a
//! preview made), and stored under the keys its row was given. The worker
//! [`run`] fetches new files in the background; [`cached`] fetches one
//! when it is asked for and not held (yet, or any more); [`prune`] removes
//! copies older than `media.remote_cache_days`, and the files of posts and
//! actors that are gone.

use std::time::Duration;

use maillage_db::{CachedRemoteMedia, RemoteMedia, UtcTime};
use maillage_domain::{MediaKind, RemoteMediaRole, RemoteMediaState};
use maillage_federation::remote_media::{MediaFetchError, fetch_file};
use tokio::sync::watch;

use super::{Prepared, prepare, store_key};
use crate::queue_worker::Periodic;
use crate::repeated::RepeatedWarning;
use crate::{App, AppError};

/// How often the worker looks for new files.
const POLL: Duration = Duration::from_secs(2);
/// Files fetched per round.
const BATCH: i64 = 20;
/// Fetches that fail for a passing reason before the file is given up.
const MAX_ATTEMPTS: i32 = 5;
/// The worker's wait before fetching again after a passing failure, times
/// the attempts made.
const RETRY_AFTER: Duration = Duration::from_secs(5 * 60);
/// How long a reader waits for a copy another worker is making.
const WAIT_FOR_OTHER: Duration = Duration::from_secs(20);

static FAILED: RepeatedWarning = RepeatedWarning::new("fetching other servers' files failed");

/// Fetches, processes and stores the copy of file `id` if it is to fetch
/// and no one else holds it; the row afterwards (`None`: held elsewhere).
pub async fn fetch_one(app: &App, id: i64, on_demand: bool) -> Result<Option<RemoteMedia>, AppError> {
    let Some(row) = app.db().lease_remote_media(id, on_demand).await? else { return Ok(None) };
    match copy(app, &row).await {
        Ok(cached) => app.db().set_remote_media_cached(row.id, &cached).await?,
        Err(Refusal { reason, for_good }) => {
            let for_good = for_good || row.attempts + 1 >= MAX_ATTEMPTS;
            tracing::info!(url = %row.remote_url, %reason, for_good, "a file of another server was not copied");
            let retry_in = RETRY_AFTER * (row.attempts.max(0) as u32 + 1);
            app.db().set_remote_media_failed(row.id, &reason, for_good, retry_in).await?;
        }
    }
    Ok(app.db().remote_media_by_key(&row.original_key).await?)
}

struct Refusal {
    reason: String,
    for_good: bool,
}

impl Refusal {
    fn for_good(reason: impl ToString) -> Self {
        Refusal { reason: reason.to_string(), for_good: true }
    }
}

/// The fetch, the processing on the pool, and the files in the store.
async fn copy(app: &App, row: &RemoteMedia) -> Result<CachedRemoteMedia, Refusal> {
    if row.kind == "unknown" {
        return Err(Refusal::for_good("a kind of file we do not show (video, audio)"));
    }
    let config = app.config().media.clone();
    let ctx = app.federation().context();
    let signer = signer_for(app, row).await.map_err(|error| Refusal { reason: error.to_string(), for_good: false })?;
    let bytes =
        fetch_file(ctx, &row.remote_url, config.remote_max_bytes, signer).await.map_err(|error| match error {
            MediaFetchError::Refused(reason) => Refusal::for_good(reason),
            MediaFetchError::Unreachable(reason) => Refusal { reason, for_good: false },
        })?;
    let prepared = {
        let _permit = app.media().processing.clone().acquire_owned().await.map_err(Refusal::for_good)?;
        tokio::task::spawn_blocking(move || prepare(bytes, &config))
            .await
            .map_err(Refusal::for_good)?
            .map_err(Refusal::for_good)?
    };
    if row.role != RemoteMediaRole::Attachment && prepared.kind != MediaKind::Image {
        return Err(Refusal::for_good("an avatar or a header must be a picture"));
    }
    let Prepared { kind, media_type, original, preview, sizes, blurhash } = prepared;
    let size = original.0.len() + preview.as_ref().map_or(0, |p| p.0.len());
    let store = app.media().store();
    let passing = |error: AppError| Refusal { reason: error.to_string(), for_good: false };
    let original_key = store_key(row.original_key.clone()).map_err(Refusal::for_good)?;
    store.put(&original_key, original.0, &media_type).await.map_err(|e| passing(e.into()))?;
    let has_preview = preview.is_some();
    if let Some((bytes, _)) = preview {
        let key = store_key(row.preview_key.clone()).map_err(Refusal::for_good)?;
        store.put(&key, bytes, &media_type).await.map_err(|e| passing(e.into()))?;
    }
    let (width, height, preview_width, preview_height) = match sizes {
        Some((w, h, pw, ph)) => (Some(w as i32), Some(h as i32), Some(pw as i32), Some(ph as i32)),
        None => (None, None, None, None),
    };
    Ok(CachedRemoteMedia {
        kind,
        media_type,
        has_preview,
        width,
        height,
        preview_width,
        preview_height,
        blurhash,
        byte_size: size as i64,
    })
}

/// Who signs the fetch of `row`: no one for what anyone may read (avatars,
/// headers, files of public and unlisted posts); for a followers-only or
/// direct post, a local actor who may read it (one it was addressed to,
/// else a follower of its author), since its server serves the file only
/// to its audience. `None` when no one here may read it (the fetch goes
/// unsigned and is refused).
async fn signer_for(app: &App, row: &RemoteMedia) -> Result<Option<maillage_db::LocalActor>, AppError> {
    let Some(object_id) = row.remote_object_id else { return Ok(None) };
    let open = app.db().remote_object_by_id(object_id).await?.is_none_or(|object| object.visibility().is_open());
    if open {
        return Ok(None);
    }
    Ok(app.db().local_reader_of_remote_object(object_id).await?)
}

/// The file stored under `key`, copied now if we do not hold it (never
/// fetched, or pruned); `NotFound` when it cannot be had.
pub async fn cached(app: &App, row: RemoteMedia) -> Result<RemoteMedia, AppError> {
    let missing = || AppError::NotFound("no such file".into());
    let started = tokio::time::Instant::now();
    let mut row = row;
    loop {
        match row.state {
            RemoteMediaState::Cached => return Ok(row),
            RemoteMediaState::Failed => return Err(missing()),
            RemoteMediaState::Pending | RemoteMediaState::Pruned => {}
        }
        if let Some(after) = fetch_one(app, row.id, true).await? {
            if after.state != RemoteMediaState::Cached && after.state != RemoteMediaState::Failed {
                // A passing failure: the worker tries again later.
                return Err(missing());
            }
            row = after;
            continue;
        }
        // Another worker holds it: its copy is soon there.
        if started.elapsed() > WAIT_FOR_OTHER {
            return Err(missing());
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
        row = app.db().remote_media_by_key(&row.original_key).await?.ok_or_else(missing)?;
    }
}

/// Fetches the files that arrived since the last round, every [`POLL`],
/// until `stop`.
pub async fn run(app: App, stop: watch::Receiver<bool>) {
    let mut every = Periodic::new(POLL, stop);
    while every.next().await {
        let pending = match app.db().pending_remote_media(BATCH).await {
            Ok(pending) => pending,
            Err(error) => {
                FAILED.warn(&error);
                continue;
            }
        };
        for id in pending {
            if !every.running() {
                return;
            }
            if let Err(error) = fetch_one(&app, id, false).await {
                FAILED.warn(&error);
            }
        }
    }
}

/// What a pruning of the remote cache removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    pub files: usize,
    pub bytes: u64,
}

/// Removes the copies fetched before `older_than` ago (their rows stay, to
/// fetch again when asked for) and the files of posts and actors that are
/// gone (rows too).
pub async fn prune(app: &App, older_than: Duration) -> Result<Pruned, AppError> {
    let age = chrono::Duration::from_std(older_than).unwrap_or(chrono::Duration::MAX);
    let before = UtcTime::from(chrono::Utc::now() - age);
    let mut pruned = Pruned::default();
    let mut last_seen = 0;
    loop {
        let rows = app.db().remote_media_to_prune(before, BATCH).await?;
        let fresh: Vec<&RemoteMedia> = rows.iter().filter(|r| r.id > last_seen).collect();
        if fresh.is_empty() {
            return Ok(pruned);
        }
        for row in fresh {
            last_seen = last_seen.max(row.id);
            if row.state == RemoteMediaState::Cached {
                super::delete_files(app, &row.keys()).await;
                pruned.files += 1;
                pruned.bytes += row.byte_size.max(0) as u64;
            }
            app.db().forget_remote_media(row).await?;
        }
    }
}

/// [`prune`] after `media.remote_cache_days`.
pub fn cache_age(app: &App) -> Duration {
    Duration::from_secs(u64::from(app.config().media.remote_cache_days) * 24 * 3600)
}
