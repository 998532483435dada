//! Scheduled backups: `maillage serve` takes one every
//! `backup.interval_hours` into `backup.directory`, then removes the oldest
//! of the files it wrote there beyond `backup.keep` (files it did not write,
//! told by their names, are never touched). Several processes over one
//! database take turns through the schedule's lease in the database
//! (`maillage_db::BackupSchedule`): one backup per interval, whichever
//! process is first. A failure is logged (once, then summarised while it
//! repeats) and tried again at the next tick.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};
use maillage_config::Config;
use maillage_db::{BackupError, BackupFormat, Database, UtcTime};
use tokio::sync::watch;

use crate::repeated::RepeatedWarning;

/// The schedule's name in the database.
const SCHEDULE: &str = "scheduled";
/// How long a process holds the schedule while it takes a backup; one that
/// stops meanwhile leaves it to another after this.
const LEASE_SECONDS: i64 = 3600;
/// How often a process looks at the schedule, at most (less with a short interval).
const POLL: Duration = Duration::from_secs(60);
/// What the names of scheduled backups start with.
const PREFIX: &str = "maillage-backup-";
/// The time in their names, UTC.
const STAMP: &str = "%Y%m%dT%H%M%SZ";

static FAILED: RepeatedWarning =
    RepeatedWarning::new("the scheduled backup failed; it is tried again at the next tick");

/// The file name of a scheduled backup taken at `at`.
pub fn file_name(at: DateTime<Utc>, format: BackupFormat) -> String {
    format!("{PREFIX}{}.{}", at.format(STAMP), format.extension())
}

/// When the scheduled backup named `name` was taken; `None` for a file
/// this feature did not write.
fn taken_at(name: &str) -> Option<NaiveDateTime> {
    let rest = name.strip_prefix(PREFIX)?;
    let (stamp, extension) = rest.split_once('.')?;
    [BackupFormat::Sqlite, BackupFormat::PostgresArchive].iter().find(|f| f.extension() == extension)?;
    NaiveDateTime::parse_from_str(stamp, STAMP).ok()
}

/// Removes the oldest scheduled backups of `dir` beyond the `keep` newest;
/// the files removed.
pub fn prune(dir: &Path, keep: usize) -> std::io::Result<Vec<PathBuf>> {
    let mut ours: Vec<(NaiveDateTime, PathBuf)> = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if let Some(at) = entry.file_name().to_str().and_then(taken_at)
            && entry.file_type()?.is_file()
        {
            ours.push((at, entry.path()));
        }
    }
    ours.sort();
    let excess = ours.len().saturating_sub(keep);
    let mut removed = Vec::with_capacity(excess);
    for (_, path) in ours.into_iter().take(excess) {
        std::fs::remove_file(&path)?;
        removed.push(path);
    }
    Ok(removed)
}

/// What one look at the schedule did.
#[derive(Debug)]
pub enum Tick {
    /// Not due, or another process holds it.
    NotDue,
    /// A backup was written, and older ones removed.
    Taken { path: PathBuf, bytes: u64, removed: Vec<PathBuf> },
}

/// Takes the scheduled backup if it is due and no other process has it.
pub async fn tick(db: &Database, config: &Config, interval: Duration) -> Result<Tick, BackupError> {
    let now = UtcTime::now();
    if !db.claim_backup(SCHEDULE, now, LEASE_SECONDS).await? {
        return Ok(Tick::NotDue);
    }
    let taken = take(db, config, now).await;
    let finished_at = UtcTime::now();
    let next = UtcTime::from(
        now.as_datetime() + chrono::Duration::from_std(interval).unwrap_or_else(|_| chrono::Duration::days(366)),
    );
    // Never due in the past again: an interval shorter than the backup.
    let next = next.max(finished_at);
    match &taken {
        Ok((path, _)) => {
            let shown = path.display().to_string();
            db.finish_backup(SCHEDULE, finished_at, Ok((&shown, next))).await?;
        }
        Err(error) => {
            db.finish_backup(SCHEDULE, finished_at, Err(&error.to_string())).await?;
        }
    }
    let (path, bytes) = taken?;
    let keep = usize::try_from(config.backup.keep).unwrap_or(usize::MAX);
    let removed = prune(Path::new(&config.backup.directory), keep).map_err(|e| {
        BackupError::Failed(format!("the backup {} was written, but older ones cannot be removed: {e}", path.display()))
    })?;
    Ok(Tick::Taken { path, bytes, removed })
}

async fn take(db: &Database, config: &Config, now: UtcTime) -> Result<(PathBuf, u64), BackupError> {
    let dir = Path::new(&config.backup.directory);
    create_private_dir(dir)
        .map_err(|e| BackupError::Failed(format!("cannot create backup.directory {}: {e}", dir.display())))?;
    let path = dir.join(file_name(now.as_datetime(), BackupFormat::of(db.kind())));
    let report = db.backup_to(&path).await?;
    Ok((report.path, report.bytes))
}

/// Creates `dir` and its parents when missing, the last one owner-only.
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Takes the scheduled backups until `stop` says true; nothing when
/// `backup.interval_hours` is 0.
pub async fn run(db: Database, config: Arc<Config>, mut stop: watch::Receiver<bool>) {
    let Some(interval) = config.backup_interval() else { return };
    let mut ticks = tokio::time::interval(interval.min(POLL));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            // Stopping wins over a tick due at the same moment.
            biased;
            _ = stop.wait_for(|stopping| *stopping) => return,
            _ = ticks.tick() => {}
        }
        match tick(&db, &config, interval).await {
            Ok(Tick::NotDue) => {}
            Ok(Tick::Taken { path, bytes, removed }) => {
                tracing::info!(file = %path.display(), bytes, removed = removed.len(), "scheduled backup written");
            }
            Err(error) => {
                FAILED.warn(&error);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use chrono::TimeZone;

    use super::*;

    #[test]
    fn names_carry_the_time_and_only_ours_are_pruned() {
        let dir = tempfile_dir();
        let at = |hour| Utc.with_ymd_and_hms(2026, 12, 5, hour, 0, 0).unwrap();
        assert_eq!(file_name(at(13), BackupFormat::Sqlite), "maillage-backup-20261205T130000Z.sqlite3");
        for hour in [9, 13, 11, 10, 12] {
            std::fs::write(dir.join(file_name(at(hour), BackupFormat::PostgresArchive)), "x").unwrap();
        }
        let others = ["maillage-backup-notes.txt", "maillage-backup-20261205T080000Z.tar", "mine.pgdump"];
        for other in others {
            std::fs::write(dir.join(other), "x").unwrap();
        }
        std::fs::write(dir.join(".maillage-backup-20261205T140000Z.pgdump.partial"), "x").unwrap();
        let removed = prune(&dir, 2).unwrap();
        let names = |paths: Vec<PathBuf>| {
            let mut names: Vec<String> =
                paths.iter().map(|p| p.file_name().unwrap().to_string_lossy().to_string()).collect();
            names.sort();
            names
        };
        assert_eq!(
            names(removed),
            [
                "maillage-backup-20261205T090000Z.pgdump",
                "maillage-backup-20261205T100000Z.pgdump",
                "maillage-backup-20261205T110000Z.pgdump"
            ]
        );
        let left = names(std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect());
        assert_eq!(left.len(), 2 + others.len() + 1, "the newest two and every file not ours: {left:?}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn tempfile_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("maillage-prune-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
