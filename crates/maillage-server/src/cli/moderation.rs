//! `maillage admin domain`, `report` and `moderation`: which servers we
//! federate with, reports, and remote actors and posts.

use std::path::PathBuf;

use clap::Subcommand;
use maillage_app::{domains, moderation};
use maillage_db::DomainPolicy;

use super::Run;
use crate::ServerError;
use crate::domain_list::{self, ListedDomain};

#[derive(Debug, Clone, Subcommand)]
pub enum DomainCommand {
    /// Block a server (and its subdomains): nothing is received from it or
    /// sent to it; its follows are severed and its content removed here.
    Block {
        domain: String,
        /// Why (kept with the block, exported with it).
        #[arg(long)]
        comment: Option<String>,
    },
    /// Allow a server (and its subdomains) in allow-list mode (`federation.mode = "allowlist"`).
    Allow {
        domain: String,
        #[arg(long)]
        comment: Option<String>,
    },
    /// Remove the block or allowance of a server.
    Remove { domain: String },
    /// Every block and allowance.
    List,
    /// Block the servers of a domain-block list in Mastodon's CSV format
    /// (`-` reads standard input).
    Import { file: PathBuf },
    /// Print the blocks in Mastodon's CSV format.
    Export,
}

#[derive(Debug, Clone, Subcommand)]
pub enum ReportCommand {
    /// Open reports (all with --all), newest first.
    List {
        #[arg(long)]
        all: bool,
    },
    /// Mark a report handled.
    Resolve { id: i64 },
}

#[derive(Debug, Clone, Subcommand)]
pub enum ModerationCommand {
    /// Suspend a remote actor (its URL): its activities are refused, its
    /// follows severed, its posts and reactions removed here.
    Suspend { actor: String },
    /// Lift a suspension (severed follows do not come back by themselves).
    Unsuspend { actor: String },
    /// Remove a remote post kept here (its URL).
    Remove { object: String },
}

pub(super) async fn run_domain(run: Run<'_>, command: DomainCommand) -> Result<(), ServerError> {
    let Run { app, acting, input, out } = run;
    match command {
        DomainCommand::Block { domain, comment } => {
            let (domain, report) = domains::block(app, acting, &domain, comment.as_deref()).await?;
            writeln!(
                out,
                "blocked {domain}: {} follow(s) severed, {} object(s) removed, {} delivery(ies) cancelled",
                report.follows_removed, report.objects_removed, report.deliveries_cancelled
            )?;
        }
        DomainCommand::Allow { domain, comment } => {
            let domain = domains::allow(app, acting, &domain, comment.as_deref()).await?;
            writeln!(out, "allowed {domain} (used when federation.mode = \"allowlist\")")?;
        }
        DomainCommand::Remove { domain } => {
            let domain = domains::remove(app, acting, &domain).await?;
            writeln!(out, "{domain} is neither blocked nor allowed any more")?;
        }
        DomainCommand::List => {
            for entry in app.db().domain_policies().await? {
                let comment = entry.public_comment.unwrap_or_default();
                writeln!(out, "{}\t{}\t{comment}", entry.policy.as_str(), entry.domain)?;
            }
        }
        DomainCommand::Import { file } => {
            let parsed = if file.as_os_str() == "-" {
                domain_list::parse(input)
            } else {
                let opened = std::fs::File::open(&file)
                    .map_err(|e| ServerError::Input(format!("cannot read {}: {e}", file.display())))?;
                domain_list::parse(opened)
            }
            .map_err(|e| ServerError::Input(format!("{}: {e}", file.display())))?;
            let listed: Vec<domains::ListedBlock> = parsed
                .blocks
                .into_iter()
                .map(|b| domains::ListedBlock { domain: b.domain, public_comment: b.public_comment })
                .collect();
            let (blocked, refused) = domains::import_blocks(app, acting, &listed).await?;
            let skipped: Vec<_> = parsed.skipped.into_iter().chain(refused).collect();
            for (domain, reason) in &skipped {
                writeln!(out, "skipped {domain}: {reason}")?;
            }
            writeln!(out, "blocked {blocked} server(s), skipped {}", skipped.len())?;
        }
        DomainCommand::Export => {
            let blocks: Vec<ListedDomain> = app
                .db()
                .domain_policies()
                .await?
                .into_iter()
                .filter(|e| e.policy == DomainPolicy::Block)
                .map(|e| ListedDomain { domain: e.domain, public_comment: e.public_comment })
                .collect();
            domain_list::write(&blocks, out).map_err(|e| ServerError::Input(format!("cannot write the list: {e}")))?;
        }
    }
    Ok(())
}

pub(super) async fn run_report(run: Run<'_>, command: ReportCommand) -> Result<(), ServerError> {
    let Run { app, acting, out, .. } = run;
    match command {
        ReportCommand::List { all } => {
            for report in app.db().reports(all, 200).await? {
                let state = if report.resolved_at.is_some() { "resolved" } else { "open" };
                writeln!(
                    out,
                    "#{}\t{state}\t{}\tby {}\tabout {}\t{}\t{}",
                    report.id,
                    report.direction,
                    report.reporter,
                    report.target_actor.as_deref().unwrap_or("-"),
                    report.objects().join(" "),
                    report.comment.replace(['\n', '\t'], " ")
                )?;
            }
        }
        ReportCommand::Resolve { id } => {
            if !moderation::resolve_report(app, acting, id).await? {
                return Err(ServerError::Input(format!("no open report #{id}")));
            }
            writeln!(out, "report #{id} resolved")?;
        }
    }
    Ok(())
}

pub(super) async fn run(run: Run<'_>, command: ModerationCommand) -> Result<(), ServerError> {
    let Run { app, acting, out, .. } = run;
    match command {
        ModerationCommand::Suspend { actor } => {
            moderation::suspend(app, acting, &actor).await?;
            writeln!(out, "{actor} suspended: its follows were severed and its content removed")?;
        }
        ModerationCommand::Unsuspend { actor } => {
            moderation::unsuspend(app, acting, &actor).await?;
            writeln!(out, "{actor} is no longer suspended")?;
        }
        ModerationCommand::Remove { object } => {
            moderation::remove_remote_post(app, acting, &object).await?;
            writeln!(out, "{object} removed")?;
        }
    }
    Ok(())
}
