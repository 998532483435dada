//! `maillage admin media ...`: the media store as a whole. `migrate` works
//! on the files alone and opens no database.

use std::io::Write;

use clap::{Subcommand, ValueEnum};
use maillage_app::media_migration;
use maillage_config::{Config, MediaBackend};

use crate::ServerError;

#[derive(Debug, Clone, Subcommand)]
pub enum MediaCommand {
    /// Copy every media file from the other backend to this one, both as
    /// [media] describes them (media.directory, [media.s3]). Safe to run
    /// again: it copies only what is missing, and never deletes the source.
    /// Then set media.backend and restart.
    Migrate {
        #[arg(long, value_enum)]
        to: BackendArg,
    },
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

pub(super) async fn run(config: &Config, command: MediaCommand, out: &mut dyn Write) -> Result<(), ServerError> {
    match command {
        MediaCommand::Migrate { to } => {
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
    }
}
