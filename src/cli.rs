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
    Sim(SimArgs),
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
    /// List every site setting: its type, range, default and meaning.
    Keys,
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

#[derive(Debug, Args)]
#[command(
    about = "The built-in simulated cloud (MAAS 2.0 API + juju CLI) for tests, demos and trying runbook changes"
)]
pub struct SimArgs {
    #[command(subcommand)]
    pub command: SimCommand,
}

#[derive(Debug, Subcommand)]
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

#[derive(Debug, Args)]
pub struct RecordArgs {
    /// Where to write the capture (JSON).
    #[arg(short = 'o', long = "output", value_name = "CLOUD.json")]
    pub output: std::path::PathBuf,
    /// Record every MAAS machine, not only the site's targets and its models' nodes.
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Starting cloud: a scenario (the help lists them from the simulator's table).
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
    #[arg(long, default_value = "3.6", value_name = "3.6|4.0")]
    pub juju: String,
}

#[derive(Debug, Args)]
pub struct JujuArgs {
    /// The juju command line, e.g. `status -m openstack --format json`.
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "ARGS"
    )]
    pub args: Vec<String>,
}

/// The `--fault` spec syntax, shown in `runbook sim serve --help`.
pub const FAULT_HELP: &str = "\
Fault specs (repeatable --fault):
  maas-5xx:RATE           fail RATE (0.0-1.0) of MAAS API requests with 500 or 503
                          (503 carries `Retry-After: 1`); seeded, reproducible
  maas-latency:MS         add MS milliseconds to every MAAS API request
  maas-hang:SUBSTRING     never answer MAAS requests whose path+query contains SUBSTRING
  maas-hang-first:SUBSTRING
                          never answer the first such request (nor apply it); later ones
                          are answered (a run stopped there, then run again)
  maas-status:CODE:SUBSTRING
                          answer MAAS requests whose `METHOD path?query` contains
                          SUBSTRING with HTTP CODE (e.g. `maas-status:403:op=release`)
  juju-fail:COMMAND       `juju COMMAND` exits 1 with an `ERROR ...` line
  juju-hang-first:COMMAND the first `juju COMMAND` never returns and does nothing (the
                          CLI stuck on the controller); later ones run normally
  juju-malformed:COMMAND  `juju COMMAND` prints the first half of its output, cut
                          mid-token (JSON; YAML ends in an unterminated quote), exits 0
  release-fails:HOSTNAME  releasing HOSTNAME ends in `Releasing failed`
  model-stuck             the `openstack` model never goes away, even with --force
  maas-non-superuser      the API key's MAAS user is not a superuser: it sees only its own
                          and unowned machines and may release only those (by default it is
                          a superuser, as MAAS's `admin`: it sees and may release everyone's)
  erase-on-release        MAAS's setting `enable_disk_erasing_on_release` is on: every
                          release erases the disks first (Disk erasing, then Releasing)
  delete-on-destroy:HOSTNAME
                          when a destroyed model's machines go, Juju DELETES the MAAS
                          machine HOSTNAME instead of releasing it (juju#22691, 3.6.24)
  juju-keeps-nodes        Juju removes the model's machines but leaves their MAAS nodes
                          Deployed (as `--force --no-wait` can): the teardown's Phase C
                          releases every one
  model-slow:SECS         a destroyed model takes SECS simulated seconds to go (instead of
                          1.5): it stays listed, dying, while a run is stopped and re-run
  maas-down-after:COMMAND once `juju COMMAND` has succeeded (e.g. destroy-model), every
                          MAAS API request answers 500 (MAAS fails mid-teardown)
  disabled-command:SET    as after `juju disable-command SET` (destroy-model, remove-object
                          or all): `juju disabled-commands` lists it and the blocked
                          commands fail with \"operation blocked\"
  other-controller[:registered]
                          a second controller `lab-controller` (own uuid, own
                          `admin/openstack` model and MAAS machines `lab-*`) that is the
                          current controller (`:registered`: registered, not current)
  other-user-model[:USER] USER's (default bob) `openstack` model on the site's controller,
                          on MAAS machines `USER-openstack0..1` owned by USER; repeatable
  controller-gone-after:COMMAND
                          once `juju COMMAND` has succeeded, the site's controller is no
                          longer registered (`ERROR controller NAME not found`)
  preset:SYSTEM_ID:FIELD=VALUE
                          as `mutate`, but in the starting state: what the first read
                          already sees (e.g. a malformed `juju-model-uuid`, or a
                          hostname another machine has)
  mutate:SYSTEM_ID:FIELD=VALUE
                          once the first MAAS machine read (`GET machines...`) has been
                          answered, change that machine: FIELD is owner (empty: none),
                          locked, hostname, status (code), status_name (a name
                          that contradicts the code), power_state, power_type
                          (virsh or ipmi: a BMC with a `k_g` key), juju-model-uuid or
                          juju-controller-uuid — a cloud that moves between reads
  juju-machine-joins:HOSTNAME
                          after the first `juju machines`, model `openstack` gains a
                          machine on MAAS node HOSTNAME (a node that is not a target):
                          the model moved after the detection read it
  mutate-at-read:SYSTEM_ID:FIELD=VALUE
                          as `mutate`, but right before that machine's own first read
                          (`GET machines/SYSTEM_ID/`, a release's fresh read): a cloud
                          that moves after the run's last look, just before a release";
