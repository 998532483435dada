//! `maillage admin media ...`: what uploads take, removing those never
//! attached, and moving the files from one backend to the other (`migrate`
//! works on the files alone and opens no database).

use std::io::Write;
use std::time::Duration;

use clap::{Subcommand, ValueEnum};
use maillage_app::media::cleanup;
use maillage_app::media_migration;
use maillage_config::{Config, MediaBackend};

use super::Run;
use crate::ServerError;

#[derive(Debug, Clone, Subcommand)]
pub enum MediaCommand {
    /// Files and bytes per enterprise (or member), largest first; then the
    /// cache of other servers' files, when it holds any.
    Usage,
    /// Remove the uploads never attached to a post (older than
    /// media.unattached_hours, or --older-than-hours), and the cached copies
    /// of other servers' files fetched before media.remote_cache_days (or
    /// --remote-older-than-days; fetched again when asked for).
    Prune {
        #[arg(long, value_name = "HOURS")]
        older_than_hours: Option<u64>,
        #[arg(long, value_name = "DAYS")]
        remote_older_than_days: Option<u64>,
    },
    /// Copy every media file from the other backend to this one, both as
    /// [media] describes them (media.directory, [media.s3]). Safe to run
    /// again: it copies only what is missing, and never deletes the source.
    /// Then set media.backend and restart.
    Migrate {
        #[arg(long, value_enum)]
        to: BackendArg,
    },
    /// Fetch into the media store the logos and banners that local
    /// enterprises' profiles still name by another server's URL (through
    /// the address rules of every fetch), so pages need no third-party
    /// image. Reports each one; safe to run again.
    FetchLogos,
}

/// `--to`: a backend, as `media.backend` names it.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum BackendArg {
    Local,
    S3,
}

impl From<BackendArg> for MediaBackend {
    fn from(arg: BackendArg) -> Self {
        match arg {
            BackendArg::Local => MediaBackend::Local,
            BackendArg::S3 => MediaBackend::S3,
        }
    }
}

fn name(backend: MediaBackend) -> &'static str {
    match backend {
        MediaBackend::Local => "local",
        MediaBackend::S3 => "s3",
    }
}

/// `admin media migrate`, which opens no database.
pub(super) async fn migrate(config: &Config, to: BackendArg, out: &mut dyn Write) -> Result<(), ServerError> {
    let to = MediaBackend::from(to);
    let from = media_migration::other_backend(to);
    let report = media_migration::migrate(&config.media, to).await?;
    writeln!(
        out,
        "{} file(s) in {}: {} copied to {} ({} bytes), {} already there; the {} files are kept",
        report.files,
        name(from),
        report.copied,
        name(to),
        report.bytes_copied,
        report.already_there,
        name(from),
    )?;
    if config.media.backend != to {
        writeln!(out, "set media.backend = \"{}\" and restart the servers to use them", name(to))?;
    }
    Ok(())
}

pub(super) async fn run(run: Run<'_>, command: MediaCommand) -> Result<(), ServerError> {
    let Run { app, acting, out, .. } = run;
    match command {
        MediaCommand::Usage => {
            writeln!(out, "actor\tfiles\tbytes")?;
            for row in cleanup::usage(app, acting).await? {
                writeln!(out, "{}\t{}\t{}", row.actor, row.files, row.bytes)?;
            }
            let remote = cleanup::remote_usage(app, acting).await?;
            if remote.files > 0 {
                writeln!(out, "(other servers)\t{}\t{}", remote.files, remote.bytes)?;
            }
        }
        MediaCommand::Prune { older_than_hours, remote_older_than_days } => {
            let older_than = older_than_hours.map(|h| Duration::from_secs(h.saturating_mul(3600)));
            let removed = cleanup::prune(app, acting, older_than).await?;
            writeln!(out, "removed {removed} unattached upload(s)")?;
            let remote_age = remote_older_than_days.map(|d| Duration::from_secs(d.saturating_mul(24 * 3600)));
            let pruned = cleanup::prune_remote(app, acting, remote_age).await?;
            if pruned.files > 0 || remote_older_than_days.is_some() {
                writeln!(
                    out,
                    "removed {} cached file(s) of other servers, {} bytes freed",
                    pruned.files, pruned.bytes
                )?;
            }
        }
        MediaCommand::FetchLogos => {
            use maillage_app::profile_images::{LogoOutcome, fetch_logos};
            let report = fetch_logos(app, acting).await?;
            let fetched = report.iter().filter(|r| r.outcome == LogoOutcome::Fetched).count();
            for row in &report {
                match &row.outcome {
                    LogoOutcome::Fetched => writeln!(out, "@{}\t{}\tfetched\t{}", row.enterprise, row.field, row.url)?,
                    LogoOutcome::Refused(reason) => {
                        writeln!(out, "@{}\t{}\trefused\t{}\t{reason}", row.enterprise, row.field, row.url)?
                    }
                }
            }
            writeln!(out, "{fetched} picture(s) fetched, {} refused", report.len() - fetched)?;
        }
        MediaCommand::Migrate { .. } => {
            return Err(ServerError::Input("media migrate opens no database".into()));
        }
    }
    Ok(())
}
