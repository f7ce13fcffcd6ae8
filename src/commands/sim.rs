//! `runbook sim`: start the simulated cloud (`serve`) or act as its `juju` CLI (`juju`).

use anyhow::Context;
use std::io::Write;

use crate::sim::{self, faults::FAULT_HELP, scenario::SCENARIOS, SimOptions};

#[derive(Debug, clap::Args)]
#[command(
    about = "The built-in simulated cloud (MAAS 2.0 API + juju CLI) for tests, demos and trying runbook changes"
)]
pub struct SimArgs {
    #[command(subcommand)]
    pub command: SimCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum SimCommand {
    /// Start the simulator on 127.0.0.1 and print the environment to use it.
    ///
    /// Prints exactly three lines to stdout (`export MAAS_URL=...`, `export MAAS_API_KEY=...`,
    /// `export JUJU_BIN=...`), then serves until SIGINT/SIGTERM. Everything else goes to
    /// stderr. `GET /_sim/log` lists every MAAS request and juju command handled as
    /// `{"kind": "maas"|"juju", "request": "POST /MAAS/api/2.0/...", "status": HTTP status
    /// or exit code (0 for a request held by `maas-hang`), "changed": bool}`;
    /// `GET /_sim/state` shows the cloud (models, machines, owners, statuses).
    #[command(after_help = FAULT_HELP)]
    Serve(ServeArgs),
    /// The juju CLI shim: what the generated `JUJU_BIN` wrapper runs (needs `RUNBOOK_SIM_URL`).
    Juju(JujuArgs),
    /// Capture a site's real cloud, read-only, as a file `sim serve --from` can replay.
    ///
    /// Reads the Juju controller and its models (`models`, `show-model`, `status`,
    /// `machines`, `export-bundle` of the site's models and the controller model), the MAAS
    /// user, version and the targets' machine objects (with `--all`, every machine). Only
    /// GETs and read-only juju commands; no secret is written.
    Record(RecordArgs),
}

#[derive(Debug, clap::Args)]
pub struct RecordArgs {
    /// Where to write the capture (JSON).
    #[arg(short = 'o', long = "output", value_name = "CLOUD.json")]
    pub output: std::path::PathBuf,
    /// Record every MAAS machine, not only the site's targets and its models' nodes.
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Starting cloud: clean, dirty, partial, destroying, foreign, stuck, missing, large:N (N up to 10000).
    #[arg(long, default_value = "dirty", value_name = "NAME")]
    pub scenario: String,
    /// Start from a capture of a real cloud made by `runbook sim record` (instead of a scenario).
    #[arg(long, value_name = "CLOUD.json", conflicts_with = "scenario")]
    pub from: Option<std::path::PathBuf>,
    /// Inject a fault (repeatable); the spec syntax is listed below.
    #[arg(long = "fault", value_name = "SPEC")]
    pub faults: Vec<String>,
    /// TCP port on 127.0.0.1; 0 picks a free port.
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Time speed-up: releases and dying models move on this many times faster.
    #[arg(long, default_value_t = 1.0, value_name = "X")]
    pub speed: f64,
    /// Which Juju the `juju` shim is: its version, output shapes and rules (3.6 or 4.0).
    #[arg(long, default_value = "3.6", value_name = "3.6|4.0", value_parser = parse_juju)]
    pub juju: sim::juju_formats::JujuMajor,
}

fn parse_juju(s: &str) -> Result<sim::juju_formats::JujuMajor, String> {
    sim::juju_formats::JujuMajor::parse(s)
}

#[derive(Debug, clap::Args)]
pub struct JujuArgs {
    /// The juju command line, e.g. `status -m openstack --format json`.
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "ARGS"
    )]
    pub args: Vec<String>,
}

/// Runs `runbook sim ...`; returns the exit code. Only `record` reads a site (`global`).
pub fn run(args: SimArgs, global: &crate::cli::GlobalArgs) -> anyhow::Result<i32> {
    match args.command {
        SimCommand::Serve(serve) => run_serve(serve),
        SimCommand::Juju(juju) => sim::juju_shim::run(juju.args),
        SimCommand::Record(record) => {
            let config =
                crate::config::Config::from_args(global, crate::config::Env::from_process())?;
            super::record::run(&config, &record)
        }
    }
}

fn run_serve(args: ServeArgs) -> anyhow::Result<i32> {
    if !(args.speed.is_finite() && args.speed > 0.0) {
        anyhow::bail!("`--speed {}` must be a positive number", args.speed);
    }
    let handle = sim::start(SimOptions {
        scenario: args.scenario.clone(),
        faults: args.faults.clone(),
        speed: args.speed,
        port: args.port,
        exe: None,
        from: args.from.clone(),
        juju: args.juju,
        delays: Default::default(),
    })
    .with_context(|| match &args.from {
        Some(from) => format!("cannot start the simulator from `{}`", from.display()),
        None => format!("cannot start the simulator (scenarios: {SCENARIOS})"),
    })?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "export MAAS_URL={}", handle.maas_url)?;
    writeln!(out, "export MAAS_API_KEY={}", handle.api_key)?;
    writeln!(out, "export JUJU_BIN={}", handle.juju_bin.display())?;
    out.flush()
        .context("cannot write the environment to stdout")?;
    drop(out);
    let start = match &args.from {
        Some(from) => format!("the capture `{}`", from.display()),
        None => format!("scenario `{}`", args.scenario),
    };
    eprintln!(
        "runbook sim: {start}, Juju {}, speed {}, {} fault(s); serving {} (log: {}/_sim/log); Ctrl-C stops",
        args.juju.version(),
        args.speed,
        args.faults.len(),
        handle.maas_url,
        handle.base_url()
    );
    wait_for_signal()?;
    eprintln!("runbook sim: stopped");
    drop(handle);
    Ok(0)
}

/// Blocks until SIGINT or SIGTERM, so `Drop` stops the server and removes the wrapper.
fn wait_for_signal() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the signal runtime")?;
    runtime.block_on(async {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let mut term =
                signal(SignalKind::terminate()).context("cannot install the SIGTERM handler")?;
            tokio::select! {
                r = tokio::signal::ctrl_c() => r.context("cannot install the SIGINT handler"),
                _ = term.recv() => Ok(()),
            }
        }
        #[cfg(not(unix))]
        {
            tokio::signal::ctrl_c()
                .await
                .context("cannot install the Ctrl-C handler")
        }
    })
}
