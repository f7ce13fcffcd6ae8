//! The command line, as clap definitions: flags and their help, no I/O. One `Command`
//! variant per subcommand; `config.rs` turns these into a typed `Config`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "runbook",
    version,
    about = "Runs operational runbooks (Rhai scripts) against clouds built with Juju on MAAS",
    after_help = EXIT_CODES
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Shown at the end of `--help`.
pub const EXIT_CODES: &str = "\
Exit codes:
  0    done, and every acceptance check GO (or the run made no checks)
  1    NO-GO: an acceptance check failed, or the runbook called fail()
  2    usage, configuration or script error
  3    routing stopped for a human (halt): nothing further was changed
  4    refused by a guard, or a confirmation was declined
  130  interrupted (Ctrl-C); 143 SIGTERM; 129 SIGHUP";

/// Flags every subcommand accepts.
#[derive(Debug, Clone, Default, Args)]
pub struct GlobalArgs {
    /// Folder holding `runbooks/`, `stdlib/` and `sites/` (default: the current directory;
    /// the built-in copies are used for anything not found there).
    #[arg(long, global = true, env = "RUNBOOK_ROOT", value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// The site to run against (`sites/<NAME>/site.rhai`).
    #[arg(long, global = true, env = "RUNBOOK_SITE", value_name = "NAME")]
    pub site: Option<String>,
    /// Use the `maas login` profile NAME (from `~/.maascli.db`) for the MAAS URL, API key
    /// and CA certificates; same as `--set maas.profile=NAME` (also `MAAS_PROFILE`).
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// Override a site setting, e.g. `--set timeouts.model_gone=30` (repeatable).
    #[arg(long = "set", global = true, value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Print one JSON document on stdout (the transcript goes to stderr).
    #[arg(long, global = true)]
    pub json: bool,
    /// Colour the output: `auto` (on a terminal, unless `NO_COLOR` is set), `always`, `never`.
    #[arg(long, global = true, value_name = "WHEN", default_value = "auto")]
    pub color: crate::color::ColorChoice,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a runbook.
    Run(RunArgs),
    /// Evaluate one expression and print its value.
    Eval(EvalArgs),
    /// Compile every runbook and module a site can reach, and lint them.
    Check(CheckArgs),
    /// The primitives and the stdlib modules' functions, documented from their source.
    Doc(DocArgs),
    /// List sites, show one's effective settings, or diff two.
    Sites(SitesArgs),
    /// The built-in simulated cloud: a MAAS API server and a juju CLI shim.
    Sim(crate::commands::sim::SimArgs),
    /// Investigate a live cloud interactively; read-only until `:arm`.
    Repl(ReplArgs),
    /// List the runbooks and modules a site can reach: purpose and the file used.
    List,
    /// Print the source of a runbook or module as the site would load it (to copy it).
    Show(ShowArgs),
    /// Print a shell completion script: `runbook completions bash > /etc/bash_completion.d/runbook`.
    Completions(CompletionsArgs),
    /// Dry-run a runbook and save the plan with the facts it rests on, to apply later.
    Plan(PlanArgs),
    /// Apply a saved plan: re-check its facts and sources, then run only what it planned.
    Apply(ApplyArgs),
    /// Record the site's cloud and run a runbook against a replica of it; nothing real changes.
    Rehearse(RehearseArgs),
}

#[derive(Debug, Clone, Args)]
pub struct PlanArgs {
    /// Runbook name (`teardown`), or a path to a `.rhai` file.
    pub runbook: String,
    /// Where to write the plan (JSON).
    #[arg(short = 'o', long = "output", value_name = "PLAN")]
    pub output: PathBuf,
}

#[derive(Debug, Clone, Args)]
pub struct ApplyArgs {
    /// A plan file written by `runbook plan`.
    #[arg(value_name = "PLAN")]
    pub plan: PathBuf,
    /// Pre-approve the plan (instead of typing its id); guards still apply.
    #[arg(long)]
    pub yes: bool,
}

#[derive(Debug, Clone, Args)]
pub struct RehearseArgs {
    /// Runbook name (`teardown`), or a path to a `.rhai` file.
    pub runbook: String,
    /// Time speed-up of the replica: releases and dying models move on this many times faster.
    #[arg(long, default_value_t = 10.0, value_name = "X")]
    pub speed: f64,
}

#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Runbook name (`teardown`), or a path to a `.rhai` file.
    pub runbook: String,
    /// Plan state-changing calls instead of making them; nothing is written.
    #[arg(long)]
    pub dry_run: bool,
    /// Pre-approve every confirmation (guards still apply).
    #[arg(short = 'y', long)]
    pub yes: bool,
}

#[derive(Debug, Clone, Args)]
pub struct EvalArgs {
    /// A Rhai expression or script, e.g. `1 + 2`.
    pub expr: String,
    /// Plan state-changing calls instead of making them.
    #[arg(long)]
    pub dry_run: bool,
    /// Pre-approve every confirmation (guards still apply).
    #[arg(short = 'y', long)]
    pub yes: bool,
}

#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// Runbook files to check as well, wherever they are (e.g. a draft saved by the REPL).
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct DocArgs {
    /// One primitive (`release`), stdlib module (`state`) or module function
    /// (`state::detect`, or just `detect`); default: all of them.
    #[arg(value_name = "NAME", conflicts_with = "definitions")]
    pub name: Option<String>,
    /// Write Rhai definition files (`.d.rhai`) for editors into DIR.
    #[arg(long, value_name = "DIR", conflicts_with = "json")]
    pub definitions: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct SitesArgs {
    #[command(subcommand)]
    pub action: Option<SitesAction>,
}

#[derive(Debug, Clone, Subcommand)]
pub enum SitesAction {
    /// Print a site's effective settings (API key redacted).
    Show { name: String },
    /// Print the keys whose values differ between two sites.
    Diff { a: String, b: String },
}

#[derive(Debug, Clone, Args)]
pub struct ReplArgs {}

#[derive(Debug, Clone, Args)]
pub struct ShowArgs {
    /// A runbook (`teardown`) or module (`state`) name.
    pub name: String,
}

#[derive(Debug, Clone, Args)]
pub struct CompletionsArgs {
    /// The shell.
    pub shell: clap_complete::Shell,
}
