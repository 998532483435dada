//! `maillage admin push`: the Web Push queue and the instance's VAPID key.

use clap::Subcommand;
use maillage_app::push;

use super::Run;
use crate::ServerError;

#[derive(Debug, Clone, Subcommand)]
pub enum PushCommand {
    /// The push queue's rows by state, and the VAPID public key.
    Status,
    /// Make a new VAPID key pair (after a leak): every subscription, made
    /// for the old key, is removed, and apps subscribe again.
    RotateKey,
}

pub(super) async fn run(run: Run<'_>, command: PushCommand) -> Result<(), ServerError> {
    let Run { app, acting, out, .. } = run;
    match command {
        PushCommand::Status => {
            let counts = push::queue_counts(app, acting).await?;
            writeln!(out, "pending {}\tdone {}\tfailed {}", counts.pending, counts.done, counts.failed)?;
            writeln!(out, "vapid key {}", push::vapid_public_key(app).await?)?;
        }
        PushCommand::RotateKey => {
            let removed = push::rotate_vapid_keys(app, acting).await?;
            writeln!(out, "new VAPID key {}; {removed} subscriptions removed", push::vapid_public_key(app).await?)?;
        }
    }
    Ok(())
}
