//! runbook: a Rust host that embeds Rhai and runs operational runbooks against Juju on MAAS.
//!
//! Map of the tree (the data path reads top to bottom):
//! - `cli` — clap flags; `config` — precedence `--set` > env > site > defaults, secrets;
//! - `commands/` — one file per subcommand (`run`, `eval`, `check`, `doc`, `sites`, `plan`,
//!   `apply`, `rehearse`, `record`); `plan_file` / `plan_facts` — a saved plan and its facts;
//! - `repl/` — `runbook repl`: the interactive session, read-only until `:arm`;
//! - `engine` — the Rhai engine (limits, strict variables, resolver, primitives);
//! - `context` — `RunContext`, the one handle primitives reach;
//! - `resolve` / `embedded` — where runbooks and modules are found; the built-in copies;
//! - `site` — typed site settings (`bounds` — their ranges); `hostrange` —
//!   `node[00000-00999]` in its targets;
//! - `captures` — what a pre-destroy backup must hold, and what makes each capture valid;
//! - `effects` — the gate; `guards` — its rules, on fresh facts; `frozen` — what detection
//!   froze (controller, model, targets); `journal` — the JSONL record; `term` — control characters
//!   escaped before printing;
//! - `report` — steps, checks, verdict; `outcome` — how a run ended, its exit code;
//! - `signals` — SIGINT/SIGTERM/SIGHUP stop a run between steps; `diagnostic` — script errors;
//!   `history` — the earlier runs' journals read back (a re-run continues what they started);
//!   `predestroy` — which model a sealed backup captured, alive or dying (the pointer rules);
//! - `primitives/` — one Rhai plugin module per family; `clients/` — the systems in plain Rust;
//! - `recorder` — `sim record`'s read-only capture of a real cloud (`sim/recording` replays it).

pub mod bounds;
pub mod captures;
pub mod cli;
pub mod clients;
pub mod color;
pub mod commands;
pub mod config;
pub mod context;
pub mod diagnostic;
pub mod effects;
pub mod embedded;
pub mod engine;
pub mod frozen;
pub mod guards;
pub mod history;
pub mod hostrange;
pub mod journal;
pub mod maas_profiles;
pub mod outcome;
pub mod plan_facts;
pub mod plan_file;
pub mod predestroy;
pub mod primitives;
pub mod recorder;
pub mod repl;
pub mod report;
pub mod resolve;
pub mod signals;
pub mod sim;
pub mod site;
pub mod term;
