//! `maillage`: see `maillage --help`.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = maillage_server::cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("maillage: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(maillage_server::cli::main(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("maillage: error: {error}");
            ExitCode::FAILURE
        }
    }
}
