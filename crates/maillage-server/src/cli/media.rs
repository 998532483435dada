//! `maillage admin media`: what uploads take, and removing those never attached.

use std::time::Duration;

use clap::Subcommand;
use maillage_app::media::cleanup;

use super::Run;
use crate::ServerError;

#[derive(Debug, Clone, Subcommand)]
pub enum MediaCommand {
    /// Files and bytes per enterprise (or member), largest first.
    Usage,
    /// Remove the uploads never attached to a post (older than
    /// media.unattached_hours, or --older-than-hours).
    Prune {
        #[arg(long, value_name = "HOURS")]
        older_than_hours: Option<u64>,
    },
}

pub(super) async fn run(run: Run<'_>, command: MediaCommand) -> Result<(), ServerError> {
    let Run { app, acting, out, .. } = run;
    match command {
        MediaCommand::Usage => {
            writeln!(out, "actor\tfiles\tbytes")?;
            for row in cleanup::usage(app, acting).await? {
                writeln!(out, "{}\t{}\t{}", row.actor, row.files, row.bytes)?;
            }
        }
        MediaCommand::Prune { older_than_hours } => {
            let older_than = older_than_hours.map(|h| Duration::from_secs(h.saturating_mul(3600)));
            let removed = cleanup::prune(app, acting, older_than).await?;
            writeln!(out, "removed {removed} unattached upload(s)")?;
        }
    }
    Ok(())
}
