//! Removing what no post uses: uploads never attached after
//! `media.unattached_hours` (a worker of every `maillage serve`, and
//! `maillage admin media prune`), and what each enterprise holds.

use std::time::Duration;

use maillage_db::{MediaUsage, UtcTime};
use tokio::sync::watch;

use crate::queue_worker::Periodic;
use crate::repeated::RepeatedWarning;
use crate::{Acting, App, AppError};

/// How often the worker looks.
const POLL: Duration = Duration::from_secs(15 * 60);
/// Rows looked at per round.
const BATCH: i64 = 200;

static FAILED: RepeatedWarning = RepeatedWarning::new("pruning unattached uploads failed");

/// Deletes the uploads never attached to a post and older than
/// `older_than`, rows then files; how many were removed.
pub async fn prune_unattached(app: &App, older_than: Duration) -> Result<usize, AppError> {
    let age = chrono::Duration::from_std(older_than).unwrap_or(chrono::Duration::MAX);
    let before = UtcTime::from(chrono::Utc::now() - age);
    let mut removed = 0;
    loop {
        let stale = app.db().unattached_media_before(before, BATCH).await?;
        if stale.is_empty() {
            return Ok(removed);
        }
        for media in &stale {
            // Attached meanwhile: it stays.
            if let Some(keys) = app.db().delete_unattached_media(media.id).await? {
                super::delete_files(app, &keys).await;
                removed += 1;
            }
        }
        if (stale.len() as i64) < BATCH {
            return Ok(removed);
        }
    }
}

/// The pruning after `media.unattached_hours`, every [`POLL`], until `stop`.
pub async fn run(app: App, stop: watch::Receiver<bool>) {
    let after = Duration::from_secs(u64::from(app.config().media.unattached_hours) * 3600);
    let mut every = Periodic::new(POLL, stop);
    while every.next().await {
        match prune_unattached(&app, after).await {
            Ok(0) => {}
            Ok(removed) => tracing::info!(removed, "unattached uploads removed"),
            Err(error) => {
                FAILED.warn(&error);
            }
        }
        match super::remote::prune(&app, super::remote::cache_age(&app)).await {
            Ok(pruned) if pruned.files == 0 => {}
            Ok(pruned) => tracing::info!(files = pruned.files, bytes = pruned.bytes, "remote cache pruned"),
            Err(error) => {
                FAILED.warn(&error);
            }
        }
    }
}

/// Files and bytes per enterprise (or member), largest first: the hub's admins.
pub async fn usage(app: &App, acting: &Acting) -> Result<Vec<MediaUsage>, AppError> {
    acting.require_admin()?;
    Ok(app.db().media_usage().await?)
}

/// [`prune_unattached`] now, for the hub's admins; `older_than` defaults to
/// `media.unattached_hours`.
pub async fn prune(app: &App, acting: &Acting, older_than: Option<Duration>) -> Result<usize, AppError> {
    acting.require_admin()?;
    let hours = u64::from(app.config().media.unattached_hours);
    prune_unattached(app, older_than.unwrap_or(Duration::from_secs(hours * 3600))).await
}

/// The remote cache's pruning now, for the hub's admins; `older_than`
/// defaults to `media.remote_cache_days`.
pub async fn prune_remote(
    app: &App,
    acting: &Acting,
    older_than: Option<Duration>,
) -> Result<super::remote::Pruned, AppError> {
    acting.require_admin()?;
    super::remote::prune(app, older_than.unwrap_or_else(|| super::remote::cache_age(app))).await
}

/// Files and bytes of the remote cache, for the hub's admins.
pub async fn remote_usage(app: &App, acting: &Acting) -> Result<maillage_db::RemoteCacheUsage, AppError> {
    acting.require_admin()?;
    Ok(app.db().remote_cache_usage().await?)
}
