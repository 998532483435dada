//! The `maillage` command line.
//!
//! `serve` (the default) runs the instance; the other commands act on its
//! database and configuration and may run while a server is up. Commands
//! other than `serve` write their output to the writer they are given, so
//! that tests run them exactly as the binary does.

use std::io::Write;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use maillage_config::Config;

use maillage_db::Database;

use crate::app::shutdown_signal;
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
    }
}

fn init_tracing(config: &Config) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&config.log.filter))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_target(false).try_init();
}
