//! The `maillage` command line.
//!
//! `serve` (the default) runs the instance; the other commands act on its
//! database and configuration and may run while a server is up. Commands
//! other than `serve` write their output to the writer they are given, so
//! that tests run them exactly as the binary does.
//!
//! `admin` commands are split by what they manage (one file each); they
//! parse their arguments, call the use cases of `maillage-app` as the
//! operator, and print the outcome.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use maillage_app::{Acting, App};
use maillage_config::{Config, LogFormat};
use maillage_db::Database;

use crate::app::{open_database, shutdown_signal};
use crate::{Application, ServerError};

mod announcement;
mod enterprise;
mod media;
mod moderation;
mod network;
mod post;
mod push;
mod storage;
mod user;

pub use announcement::AnnouncementCommand;
pub use enterprise::{EnterpriseCommand, ProfileArgs};
pub use media::{BackendArg, MediaCommand};
pub use moderation::{DomainCommand, ModerationCommand, ReportCommand};
pub use network::{DeliveryCommand, DirectoryCommand, FollowersCommand, HubCommand};
pub use post::{PostCommand, PracticeArgs};
pub use push::PushCommand;
pub use user::{InviteCommand, TokenCommand, UserCommand};

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
    Migrate {
        /// List the pending migrations (oldest first) without applying any.
        #[arg(long)]
        dry_run: bool,
    },
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
    /// Access tokens for the client API.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Invitations to register.
    #[command(subcommand)]
    Invite(InviteCommand),
    /// The outgoing delivery queue.
    #[command(subcommand)]
    Delivery(DeliveryCommand),
    /// Block other servers, or list the only ones to federate with.
    #[command(subcommand)]
    Domain(DomainCommand),
    /// Reports received from other servers or made by members.
    #[command(subcommand)]
    Report(ReportCommand),
    /// Suspend remote actors and remove remote content.
    #[command(subcommand)]
    Moderation(ModerationCommand),
    /// Announcements to every member, shown by apps and on the workspace.
    #[command(subcommand)]
    Announcement(AnnouncementCommand),
    /// Publish, edit and delete updates and practices.
    #[command(subcommand)]
    Post(PostCommand),
    /// Uploaded pictures and documents: usage, pruning, moving the files
    /// from one backend to the other.
    #[command(subcommand)]
    Media(MediaCommand),
    /// What the hub reshares and features.
    #[command(subcommand)]
    Hub(HubCommand),
    /// Web Push: the queue and the instance's VAPID key.
    #[command(subcommand)]
    Push(PushCommand),
    /// The network directory: the enterprises of the hubs our hub follows.
    #[command(subcommand)]
    Directory(DirectoryCommand),
    /// Write a consistent copy of the whole database to FILE (owner-only; it
    /// holds every private key), while the server runs.
    Backup {
        /// A file that does not exist yet.
        file: PathBuf,
    },
    /// Restore a backup into the configured database, which must be empty;
    /// then apply pending migrations. Run it with the server stopped.
    Restore { file: PathBuf },
    /// Copy this SQLite hub into an empty PostgreSQL database, keys and all.
    /// Stop the server first.
    MigrateDatabase {
        /// postgres://USER:PASSWORD@HOST:PORT/DBNAME (or set MAILLAGE_MIGRATE_TO,
        /// to keep the password off the command line).
        #[arg(long, env = "MAILLAGE_MIGRATE_TO", value_name = "URL", hide_env_values = true)]
        to: String,
    },
    /// Whether a local actor approves new followers by hand (on) or accepts them at once (off).
    Approval {
        handle: String,
        #[arg(value_parser = ["on", "off"])]
        mode: String,
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
            for warning in config.warnings() {
                writeln!(out, "# warning: {warning}")?;
            }
            write!(out, "{}", config.to_masked_toml())?;
            Ok(())
        }
        Command::Migrate { dry_run: true } => {
            let db = Database::connect(&config.database).await?;
            let pending = db.pending_migrations().await;
            db.close();
            let pending = pending?;
            if pending.is_empty() {
                writeln!(
                    out,
                    "nothing to apply: database {} ({}) is up to date",
                    db.display_target(),
                    db.kind().as_str()
                )?;
            }
            for name in &pending {
                writeln!(out, "pending {name}")?;
            }
            Ok(())
        }
        Command::Migrate { dry_run: false } => {
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
        Command::Admin(AdminCommand::Backup { file }) => storage::backup(config, &file, out).await,
        Command::Admin(AdminCommand::Restore { file }) => storage::restore(config, &file, out).await,
        Command::Admin(AdminCommand::MigrateDatabase { to }) => storage::migrate_database(config, &to, out).await,
        Command::Admin(AdminCommand::Media(MediaCommand::Migrate { to })) => media::migrate(config, to, out).await,
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
    maillage_app::repeated::summarise_every(std::time::Duration::from_secs(config.log.repeat_summary_seconds));
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&config.log.filter))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let subscriber = tracing_subscriber::fmt().with_env_filter(filter).with_target(false);
    let _ = match config.log.format {
        LogFormat::Json => subscriber.json().try_init(),
        // Colour codes belong on a terminal, not in a file or the journal.
        LogFormat::Text => subscriber.with_ansi(std::io::stdout().is_terminal()).try_init(),
    };
}

/// Runs an `admin` command as the hub's operator.
async fn run_admin(
    command: AdminCommand,
    db: &Database,
    config: &Config,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> Result<(), ServerError> {
    let app = App::open(db.clone(), std::sync::Arc::new(config.clone())).await?;
    let operator = Acting::Operator;
    let run = Run { app: &app, acting: &operator, input, out };
    match command {
        AdminCommand::Enterprise(command) => enterprise::run(run, command).await,
        AdminCommand::User(command) => user::run(run, command).await,
        AdminCommand::Invite(command) => user::run_invite(run, command).await,
        AdminCommand::Token(command) => user::run_token(run, command).await,
        AdminCommand::Post(command) => post::run(run, command).await,
        AdminCommand::Announcement(command) => announcement::run(run, command).await,
        AdminCommand::Media(command) => media::run(run, command).await,
        AdminCommand::Domain(command) => moderation::run_domain(run, command).await,
        AdminCommand::Report(command) => moderation::run_report(run, command).await,
        AdminCommand::Moderation(command) => moderation::run(run, command).await,
        AdminCommand::Follow { as_actor, target } => network::follow(run, &as_actor, &target).await,
        AdminCommand::Unfollow { as_actor, target } => network::unfollow(run, &as_actor, &target).await,
        AdminCommand::Followers(command) => network::run_followers(run, command).await,
        AdminCommand::Approval { handle, mode } => network::approval(run, &handle, mode == "on").await,
        AdminCommand::Hub(command) => network::run_hub(run, command).await,
        AdminCommand::Push(command) => push::run(run, command).await,
        AdminCommand::Directory(command) => network::run_directory(run, command).await,
        AdminCommand::Delivery(command) => network::run_delivery(run, command).await,
        AdminCommand::Backup { .. } | AdminCommand::Restore { .. } | AdminCommand::MigrateDatabase { .. } => {
            Err(ServerError::Input("this command opens the database itself".into()))
        }
    }
}

/// What an `admin` command works with.
pub(crate) struct Run<'a> {
    pub app: &'a App,
    pub acting: &'a Acting,
    pub input: &'a mut dyn BufRead,
    pub out: &'a mut dyn Write,
}

impl Run<'_> {
    /// Reads one line (a password) from the input, without its line end.
    fn read_line(&mut self) -> Result<String, ServerError> {
        let mut line = String::new();
        self.input.read_line(&mut line)?;
        Ok(line.trim_end_matches(['\r', '\n']).to_string())
    }
}
