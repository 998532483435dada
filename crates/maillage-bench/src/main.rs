//! The benchmark suite, run by `scripts/bench [--quick]` (which builds the
//! release binaries first). Steps: raw crypto limits, the inbox (SQLite,
//! and PostgreSQL when `--postgres` gives a server), fan-out, growth of
//! paged queries, memory, the network directory, importing a repertoire, processing
//! an uploaded phone photo. Every target is judged against figures measured
//! in the same run; the report goes to `target/bench-report/`.

mod crypto_step;
mod directory_step;
mod fanout_step;
mod growth_step;
mod import_step;
mod inbox_step;
mod load;
mod media_step;
mod memory_step;
mod report;
mod server;
mod streaming_step;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(about = "Maillage's benchmark suite")]
struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    /// Every step at a tenth of its size.
    #[arg(long)]
    quick: bool,
    /// Where report.json and report.md go.
    #[arg(long, default_value = "target/bench-report")]
    out: PathBuf,
    /// The `maillage` binary to measure (default: beside this one).
    #[arg(long)]
    maillage: Option<PathBuf>,
    /// A PostgreSQL URL with the right to create databases, for the
    /// PostgreSQL steps (skipped without it).
    #[arg(long, env = "MAILLAGE_BENCH_POSTGRES")]
    postgres: Option<String>,
    /// Only these steps (comma-separated: crypto, inbox, fanout, growth,
    /// memory, directory, import, media, streaming), for working on one of them; the report then holds only
    /// their targets. Crypto always runs: the others are judged against it.
    #[arg(long, value_delimiter = ',')]
    steps: Vec<String>,
    /// Exit non-zero when a target is missed (the report is written first).
    #[arg(long, env = "MAILLAGE_BENCH_STRICT")]
    strict: bool,
}

#[derive(Subcommand)]
enum Command {
    /// The ceiling inbox (no verification, no database), for step 2.
    CeilingServer {
        #[arg(long)]
        port: u16,
    },
    /// Processes a picture as an upload is, `runs` times, and prints the
    /// times and the process's peak memory as JSON, for the media step.
    MediaPhoto {
        file: PathBuf,
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    match args.command {
        Some(Command::CeilingServer { port }) => return load::serve_ceiling(port).await,
        Some(Command::MediaPhoto { file, runs }) => return media_step::measure_here(&file, runs),
        None => {}
    }
    let started = Instant::now();
    let binary = match args.maillage {
        Some(path) => path,
        None => server::default_binary()?,
    };
    anyhow::ensure!(binary.exists(), "{} is missing: run scripts/bench (it builds it)", binary.display());
    let scale = if args.quick { 0.1 } else { 1.0 };
    let mut report = report::Report::start(args.quick);
    if let Some(reason) = &report.invalid_reason {
        eprintln!("warning: {reason}; the report will say the run is invalid");
    }

    let limits = crypto_step::run(&mut report, Duration::from_secs_f64(if args.quick { 0.5 } else { 2.0 }))?;

    let wanted = |step: &str| args.steps.is_empty() || args.steps.iter().any(|s| s == step);
    if let Some(unknown) = args.steps.iter().find(|s| {
        !["crypto", "inbox", "fanout", "growth", "memory", "directory", "import", "media", "streaming"]
            .contains(&s.as_str())
    }) {
        anyhow::bail!(
            "unknown step {unknown:?}: the steps are crypto, inbox, fanout, growth, memory, directory, import, media, streaming"
        );
    }

    if wanted("inbox") {
        let sqlite = maillage_db::testing::TestDatabase::create_sqlite().map_err(anyhow::Error::msg)?;
        inbox_step::run(&mut report, &binary, &sqlite, &limits, scale).await?;
        drop(sqlite);
        match &args.postgres {
            Some(url) => {
                let pg = maillage_db::testing::TestDatabase::create_postgres(url).await.map_err(anyhow::Error::msg)?;
                inbox_step::run(&mut report, &binary, &pg, &limits, scale).await?;
            }
            None => eprintln!("step 2 on PostgreSQL: skipped (no --postgres)"),
        }
    }

    if wanted("fanout") {
        fanout_step::run(&mut report, &binary, &limits, scale).await?;
    }
    if wanted("growth") {
        growth_step::run(&mut report, args.postgres.as_deref(), scale).await?;
        let root = std::env::current_dir()?;
        let offsets = growth_step::offset_uses(&root)?;
        report.at_most(
            "growth: OFFSET pagination in the code",
            offsets as f64,
            0.0,
            "uses",
            "`.offset(` or ` OFFSET ` in crates/",
        );
    }
    if wanted("memory") {
        memory_step::run(&mut report, &binary, scale).await?;
    }
    if wanted("directory") {
        directory_step::run(&mut report, &binary, scale).await?;
    }
    if wanted("import") {
        let sqlite = maillage_db::testing::TestDatabase::create_sqlite().map_err(anyhow::Error::msg)?;
        import_step::run(&mut report, &binary, &sqlite, scale).await?;
        drop(sqlite);
        match &args.postgres {
            Some(url) => {
                let pg = maillage_db::testing::TestDatabase::create_postgres(url).await.map_err(anyhow::Error::msg)?;
                import_step::run(&mut report, &binary, &pg, scale).await?;
            }
            None => eprintln!("step 7 on PostgreSQL: skipped (no --postgres)"),
        }
    }

    if wanted("media") {
        media_step::run(&mut report, &binary, scale).await?;
    }

    if wanted("streaming") {
        streaming_step::run(&mut report, &binary, scale).await?;
    }

    report.finish(&args.out, started.elapsed().as_secs_f64(), args.strict)
}
