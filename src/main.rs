//! Parse the command line, run it, exit with its code. Nothing else.

use clap::Parser;

fn main() {
    let cli = runbook::cli::Cli::parse();
    std::process::exit(runbook::commands::dispatch(cli));
}
