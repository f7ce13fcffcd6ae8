//! Minimal dispatcher for the `sim` branch; the integrator replaces it with the full CLI.

use clap::Parser;

#[derive(clap::Parser)]
#[command(name = "runbook", version)]
enum Cli {
    Sim(runbook::commands::sim::SimArgs),
}

fn main() {
    let code = match Cli::parse() {
        Cli::Sim(args) => runbook::commands::sim::run(args).unwrap_or_else(|e| {
            eprintln!("error: {e:#}");
            2
        }),
    };
    std::process::exit(code);
}
