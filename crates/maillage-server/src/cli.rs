//! The `maillage` command line.
//!
//! `serve` (the default) runs the instance; the other commands act on its
//! database and configuration and may run while a server is up. Commands
//! other than `serve` write their output to the writer they are given, so
//! that tests run them exactly as the binary does.

use std::io::{BufRead, Write};
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use maillage_config::Config;

use maillage_db::Database;
use std::sync::Arc;

use maillage_db::{Direction, FollowState};
use maillage_domain::ActorKind;
use maillage_federation::Federation;

use crate::app::{open_database, shutdown_signal};
use crate::{Application, ServerError};

#[derive(Debug, Parser)]
#[command(name = "maillage", version, about = "A federated directory and network for social-economy hubs")]
pub struct Cli {
    /// Configuration file, applied over the compiled-in defaults
    /// (environment variables MAILLAGE__SECTION__KEY apply over both).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Run the instance (the default when no command is given).
    Serve,
    /// Apply pending database migrations, then exit.
    Migrate,
    /// Inspect the configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Administer the hub: enterprises, members.
    #[command(subcommand)]
    Admin(AdminCommand),
}

#[derive(Debug, Clone, Subcommand)]
pub enum AdminCommand {
    /// Manage enterprises (Organization actors).
    #[command(subcommand)]
    Enterprise(EnterpriseCommand),
    /// Manage member accounts (Person actors).
    #[command(subcommand)]
    User(UserCommand),
    /// Make a local actor follow a remote one (e.g. this hub follows another hub).
    Follow {
        /// The local actor that follows (`actor` for the instance actor).
        #[arg(long = "as", value_name = "HANDLE")]
        as_actor: String,
        /// @user@domain or the actor's URL.
        target: String,
    },
    /// Stop following a remote actor (sends Undo{Follow}).
    Unfollow {
        #[arg(long = "as", value_name = "HANDLE")]
        as_actor: String,
        target: String,
    },
    /// See and answer the followers of a local actor.
    #[command(subcommand)]
    Followers(FollowersCommand),
    /// Whether a local actor approves new followers by hand (on) or accepts them at once (off).
    Approval {
        handle: String,
        #[arg(value_parser = ["on", "off"])]
        mode: String,
    },
}

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
pub enum EnterpriseCommand {
    /// Create an enterprise: @HANDLE@DOMAIN on the fediverse.
    Create {
        /// Letters a-z, digits and underscores, at most 30.
        handle: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// A short presentation (plain text).
        #[arg(long, default_value = "")]
        summary: String,
    },
    /// List the enterprises of this instance.
    List,
}

#[derive(Debug, Clone, Subcommand)]
pub enum UserCommand {
    /// Create a member account; the password is read from standard input.
    Create {
        username: String,
        /// Give this member the hub's administration rights.
        #[arg(long)]
        admin: bool,
    },
}

#[derive(Debug, Clone, Subcommand)]
pub enum ConfigCommand {
    /// Validate the configuration and print it, with secrets masked.
    Check,
}

/// Runs the binary's command line to completion.
pub async fn main(cli: Cli) -> Result<(), ServerError> {
    let config = Config::load(cli.config.as_deref())?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            init_tracing(&config);
            let app = Application::build(config).await?;
            app.run_until(shutdown_signal()).await
        }
        command => {
            let stdout = std::io::stdout();
            execute(command, &config, &mut stdout.lock()).await
        }
    }
}

/// Runs one command other than `serve`, writing what it reports to `out`.
pub async fn execute(command: Command, config: &Config, out: &mut dyn Write) -> Result<(), ServerError> {
    execute_with_input(command, config, &mut std::io::stdin().lock(), out).await
}

/// Like [`execute`], reading what a command asks for (a password) from `input`.
pub async fn execute_with_input(
    command: Command,
    config: &Config,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> Result<(), ServerError> {
    match command {
        Command::Serve => Err(ServerError::Output(std::io::Error::other("`serve` is started with Application"))),
        Command::Config(ConfigCommand::Check) => {
            writeln!(out, "# configuration is valid")?;
            write!(out, "{}", config.to_masked_toml())?;
            Ok(())
        }
        Command::Migrate => {
            let db = Database::connect(&config.database).await?;
            let report = db.migrate().await;
            db.close();
            let report = report?;
            for name in &report.applied {
                writeln!(out, "applied {name}")?;
            }
            writeln!(
                out,
                "database {} ({}) is up to date ({} migration(s) applied now)",
                db.display_target(),
                db.kind().as_str(),
                report.applied.len()
            )?;
            Ok(())
        }
        Command::Admin(admin) => {
            let db = open_database(config).await?;
            let outcome = run_admin(admin, &db, config, input, out).await;
            db.close();
            outcome
        }
    }
}

fn init_tracing(config: &Config) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&config.log.filter))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_target(false).try_init();
}

async fn run_admin(
    command: AdminCommand,
    db: &Database,
    config: &Config,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> Result<(), ServerError> {
    let domain = &config.instance.domain;
    match command {
        AdminCommand::Enterprise(EnterpriseCommand::Create { handle, name, summary }) => {
            let actor = maillage_federation::create_enterprise(db, config, &handle, &name, &summary).await?;
            writeln!(out, "created enterprise @{}@{domain} ({})", actor.username, actor.ap_id)?;
        }
        AdminCommand::Enterprise(EnterpriseCommand::List) => {
            let mut after: Option<String> = None;
            let mut total = 0;
            loop {
                let page = db.list_local_actors(ActorKind::Enterprise, after.as_deref(), 200).await?;
                for actor in &page {
                    writeln!(out, "@{}@{domain}\t{}\t{}", actor.username, actor.display_name, actor.ap_id)?;
                }
                total += page.len();
                match page.last() {
                    Some(last) if page.len() == 200 => after = Some(last.username.clone()),
                    _ => break,
                }
            }
            writeln!(out, "{total} enterprise(s)")?;
        }
        AdminCommand::User(UserCommand::Create { username, admin }) => {
            let mut password = String::new();
            input.read_line(&mut password)?;
            let password = password.trim_end_matches(['\r', '\n']);
            let salt = *uuid::Uuid::new_v4().as_bytes();
            let hash = maillage_domain::password::hash_password(password, &salt)
                .map_err(|e| ServerError::Input(e.to_string()))?;
            let actor = maillage_federation::create_member(db, config, &username, hash, admin).await?;
            let role = if admin { "admin" } else { "member" };
            writeln!(out, "created {role} @{}@{domain} ({})", actor.username, actor.ap_id)?;
        }
        AdminCommand::Follow { as_actor, target } => {
            let (federation, local) = federation_and_actor(db, config, &as_actor).await?;
            let remote = maillage_federation::activities::resolve_actor(&federation, &target).await?;
            maillage_federation::activities::follow(federation.context(), &local, &remote).await?;
            writeln!(out, "{} asked to follow {} (pending until accepted)", local.ap_id, remote.row.ap_id)?;
        }
        AdminCommand::Unfollow { as_actor, target } => {
            let (federation, local) = federation_and_actor(db, config, &as_actor).await?;
            let remote = maillage_federation::activities::resolve_actor(&federation, &target).await?;
            if maillage_federation::activities::unfollow(federation.context(), &local, &remote).await? {
                writeln!(out, "{} no longer follows {}", local.ap_id, remote.row.ap_id)?;
            } else {
                return Err(ServerError::Input(format!("{} does not follow {}", local.ap_id, remote.row.ap_id)));
            }
        }
        AdminCommand::Followers(FollowersCommand::List { handle }) => {
            let local = local_actor(db, &handle).await?;
            for state in [FollowState::Accepted, FollowState::Pending] {
                let mut before = None;
                loop {
                    let page = db.follows_page(local.id, Direction::Incoming, state, before, 200).await?;
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
        }
        AdminCommand::Followers(FollowersCommand::Accept { handle, follower }) => {
            answer_follower(db, config, &handle, &follower, true, out).await?;
        }
        AdminCommand::Followers(FollowersCommand::Reject { handle, follower }) => {
            answer_follower(db, config, &handle, &follower, false, out).await?;
        }
        AdminCommand::Approval { handle, mode } => {
            let local = local_actor(db, &handle).await?;
            db.set_manual_approval(local.id, mode == "on").await?;
            writeln!(out, "{}: followers approved {}", local.ap_id, if mode == "on" { "by hand" } else { "at once" })?;
        }
    }
    Ok(())
}

async fn answer_follower(
    db: &Database,
    config: &Config,
    handle: &str,
    follower: &str,
    accept: bool,
    out: &mut dyn Write,
) -> Result<(), ServerError> {
    let (federation, local) = federation_and_actor(db, config, handle).await?;
    let remote = maillage_federation::activities::resolve_actor(&federation, follower).await?;
    if !maillage_federation::activities::answer_follow_request(federation.context(), &local, &remote, accept).await? {
        return Err(ServerError::Input(format!("{} has no follow request from {}", local.ap_id, remote.row.ap_id)));
    }
    let verb = if accept { "accepted" } else { "rejected" };
    writeln!(out, "{} {verb} {}", local.ap_id, remote.row.ap_id)?;
    Ok(())
}

/// A local actor by handle; `actor` names the instance actor.
async fn local_actor(db: &Database, handle: &str) -> Result<maillage_db::LocalActor, ServerError> {
    let found = if handle == "actor" {
        db.local_actor_of_kind(ActorKind::Instance).await?
    } else {
        db.local_actor_by_username(handle.trim_start_matches('@')).await?
    };
    found.ok_or_else(|| ServerError::Input(format!("no local actor {handle:?} (see `maillage admin enterprise list`)")))
}

async fn federation_and_actor(
    db: &Database,
    config: &Config,
    handle: &str,
) -> Result<(Federation, maillage_db::LocalActor), ServerError> {
    let local = local_actor(db, handle).await?;
    let federation = Federation::new(db.clone(), Arc::new(config.clone())).await?;
    Ok((federation, local))
}
