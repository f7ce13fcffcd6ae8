//! `runbook sim`: start the simulated cloud (`serve`) or act as its `juju` CLI (`juju`).

use anyhow::Context;
use std::io::Write;

use crate::cli::{ServeArgs, SimArgs, SimCommand};
use crate::sim::{self, juju_formats::JujuMajor, scenario, SimOptions};

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
    let juju = JujuMajor::parse(&args.juju).map_err(|e| anyhow::anyhow!("`--juju`: {e}"))?;
    let handle = sim::start(SimOptions {
        scenario: args.scenario.clone(),
        faults: args.faults.clone(),
        speed: args.speed,
        port: args.port,
        exe: None,
        from: args.from.clone(),
        juju,
        delays: Default::default(),
    })
    .with_context(|| match &args.from {
        Some(from) => format!("cannot start the simulator from `{}`", from.display()),
        None => format!(
            "cannot start the simulator (scenarios: {})",
            scenario::names()
        ),
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
        juju.version(),
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
