//! `maillage admin follow`, `unfollow`, `followers`, `approval`, `hub`,
//! `directory` and `delivery`: how this hub's actors are tied to other
//! servers.

use clap::Subcommand;
use maillage_app::{deliveries, directory, follows, hub};
use maillage_db::{Direction, FollowState};

use super::Run;
use crate::ServerError;

#[derive(Debug, Clone, Subcommand)]
pub enum FollowersCommand {
    /// List followers (accepted, then pending requests).
    List { handle: String },
    /// Accept a pending follow request.
    Accept { handle: String, follower: String },
    /// Reject a pending follow request (or remove a follower).
    Reject { handle: String, follower: String },
}

#[derive(Debug, Clone, Subcommand)]
pub enum HubCommand {
    /// The hub reshares a post (local or remote) to its followers.
    Reshare { url: String },
    /// Undo a reshare.
    Unreshare { url: String },
    /// Add an enterprise or practice to the hub's featured collection.
    Feature { url: String },
    /// Remove it from the featured collection.
    Unfeature { url: String },
}

#[derive(Debug, Clone, Subcommand)]
pub enum DirectoryCommand {
    /// Read the members of a hub our hub follows (or of every one) and list
    /// them in the network directory, dropping those it no longer lists.
    Sync {
        /// The hub: @handle@domain or its actor URL (all followed hubs when absent).
        hub: Option<String>,
    },
    /// When each followed hub's members were last read and are next read.
    Status,
}

#[derive(Debug, Clone, Subcommand)]
pub enum DeliveryCommand {
    /// Pending, done and failed deliveries, in all and per receiving server.
    Status,
    /// Queue a server's failed deliveries again (e.g. after it was down for days).
    Retry { domain: String },
}

pub(super) async fn follow(run: Run<'_>, as_actor: &str, target: &str) -> Result<(), ServerError> {
    let local = run.app.local_actor(as_actor).await?;
    let remote = follows::follow_remote(run.app, run.acting, &local, target).await?;
    writeln!(run.out, "{} asked to follow {} (pending until accepted)", local.ap_id, remote.row.ap_id)?;
    Ok(())
}

pub(super) async fn unfollow(run: Run<'_>, as_actor: &str, target: &str) -> Result<(), ServerError> {
    let local = run.app.local_actor(as_actor).await?;
    let remote = follows::unfollow_remote(run.app, run.acting, &local, target).await?;
    writeln!(run.out, "{} no longer follows {}", local.ap_id, remote.row.ap_id)?;
    Ok(())
}

pub(super) async fn approval(run: Run<'_>, handle: &str, manual: bool) -> Result<(), ServerError> {
    let local = run.app.local_actor(handle).await?;
    follows::set_manual_approval(run.app, run.acting, &local, manual).await?;
    writeln!(run.out, "{}: followers approved {}", local.ap_id, if manual { "by hand" } else { "at once" })?;
    Ok(())
}

pub(super) async fn run_followers(run: Run<'_>, command: FollowersCommand) -> Result<(), ServerError> {
    let Run { app, acting, out, .. } = run;
    let (handle, follower, accept) = match command {
        FollowersCommand::List { handle } => {
            let local = app.local_actor(&handle).await?;
            for state in [FollowState::Accepted, FollowState::Pending] {
                let mut before = None;
                loop {
                    let page = app.db().follows_page(local.id, Direction::Incoming, state, before, 200).await?;
                    for follow in &page {
                        let label = if state == FollowState::Accepted { "follower" } else { "pending" };
                        writeln!(out, "{label}\t{}", follow.remote_ap_id)?;
                    }
                    match page.last() {
                        Some(last) if page.len() == 200 => before = Some(last.id),
                        _ => break,
                    }
                }
            }
            return Ok(());
        }
        FollowersCommand::Accept { handle, follower } => (handle, follower, true),
        FollowersCommand::Reject { handle, follower } => (handle, follower, false),
    };
    let local = app.local_actor(&handle).await?;
    let remote = follows::answer_request(app, acting, &local, &follower, accept).await?;
    let verb = if accept { "accepted" } else { "rejected" };
    writeln!(out, "{} {verb} {}", local.ap_id, remote.row.ap_id)?;
    Ok(())
}

pub(super) async fn run_hub(run: Run<'_>, command: HubCommand) -> Result<(), ServerError> {
    let Run { app, acting, out, .. } = run;
    let (done, verb, url) = match &command {
        HubCommand::Reshare { url } => (hub::reshare(app, acting, url).await?, "reshared", url),
        HubCommand::Unreshare { url } => (hub::unreshare(app, acting, url).await?, "no longer reshares", url),
        HubCommand::Feature { url } => (hub::feature(app, acting, url, true).await?, "features", url),
        HubCommand::Unfeature { url } => (hub::feature(app, acting, url, false).await?, "no longer features", url),
    };
    if done {
        writeln!(out, "the hub {verb} {url}")?;
    } else {
        writeln!(out, "nothing to change for {url}")?;
    }
    Ok(())
}

pub(super) async fn run_delivery(run: Run<'_>, command: DeliveryCommand) -> Result<(), ServerError> {
    let Run { app, acting, out, .. } = run;
    let db = app.db();
    match command {
        DeliveryCommand::Status => {
            let total = db.delivery_counts().await?;
            writeln!(out, "all\tpending {}\tdone {}\tfailed {}", total.pending, total.done, total.failed)?;
            let health = db.domain_health().await?;
            for server in db.delivery_counts_by_domain().await? {
                let c = server.counts;
                let state = match health.iter().find(|h| h.domain == server.domain) {
                    Some(h) if h.unreachable_since.is_some() => format!(
                        "\tunreachable since {} (next try {})",
                        h.unreachable_since.map(|t| t.as_datetime().to_rfc3339()).unwrap_or_default(),
                        h.next_probe_at.map(|t| t.as_datetime().to_rfc3339()).unwrap_or_default()
                    ),
                    Some(h) => format!("\tfailing ({} in a row)", h.consecutive_failures),
                    None => String::new(),
                };
                writeln!(out, "{}\tpending {}\tdone {}\tfailed {}{state}", server.domain, c.pending, c.done, c.failed)?;
            }
        }
        DeliveryCommand::Retry { domain } => {
            let n = deliveries::retry_failed(app, acting, &domain).await?;
            writeln!(out, "{n} deliveries to {domain} due now")?;
        }
    }
    Ok(())
}

pub(super) async fn run_directory(run: Run<'_>, command: DirectoryCommand) -> Result<(), ServerError> {
    let hub = match command {
        DirectoryCommand::Sync { hub } => hub,
        DirectoryCommand::Status => return directory_status(run).await,
    };
    let hubs = match hub {
        Some(hub) => vec![hub],
        None => directory::followed_hubs(run.app).await?,
    };
    if hubs.is_empty() {
        writeln!(run.out, "our hub follows no hub")?;
    }
    for hub in hubs {
        let synced = directory::sync_hub(run.app, run.acting, &hub).await?;
        if !synced.published {
            writeln!(run.out, "{hub}: publishes no members collection on its server ({} dropped)", synced.dropped)?;
            continue;
        }
        writeln!(
            run.out,
            "{hub}: {} listed ({} new, {} dropped, {} ignored)",
            synced.listed, synced.added, synced.dropped, synced.ignored
        )?;
    }
    Ok(())
}

async fn directory_status(run: Run<'_>) -> Result<(), ServerError> {
    let schedule = directory::schedule::planned(run.app, run.acting).await?;
    if schedule.is_empty() {
        writeln!(run.out, "no followed hub is scheduled")?;
    }
    let time = |t: Option<maillage_db::UtcTime>| t.map_or("never".to_string(), |t| t.as_datetime().to_rfc3339());
    for (hub, sync) in schedule {
        let mut line = format!("{hub}: last read {}, next {}", time(sync.last_synced_at), time(Some(sync.due_at)));
        if sync.leased_until.is_some_and(|until| until > maillage_db::UtcTime::now()) {
            line.push_str(", being read");
        }
        if let Some(error) = sync.last_error {
            line.push_str(&format!(", {} failed reading(s): {error}", sync.failures));
        }
        writeln!(run.out, "{line}")?;
    }
    Ok(())
}
