//! runbook: a Rust host that embeds Rhai and runs operational runbooks against Juju on MAAS.
//!
//! Map of the tree (the data path reads top to bottom):
//! - `cli` — clap flags; `config` — precedence `--set` > env > site > defaults, secrets;
//! - `commands/` — one file per subcommand (`run`, `eval`, `check`, `doc`, `sites`);
//! - `repl/` — `runbook repl`: the interactive session, read-only until `:arm`;
//! - `engine` — the Rhai engine (limits, strict variables, resolver, primitives);
//! - `context` — `RunContext`, the one handle primitives reach;
//! - `resolve` / `embedded` — where runbooks and modules are found; the built-in copies;
//! - `site` — typed site settings; `effects` — the gate; `guards` — its rules, on fresh facts;
//! - `frozen` — the identities detection froze (controller, model, targets); `journal` — the JSONL record;
//! - `report` — steps, checks, verdict, exit codes; `diagnostic` — script error rendering;
//! - `primitives/` — one Rhai plugin module per family; `clients/` — the systems in plain Rust.

pub mod cli;
pub mod clients;
pub mod commands;
pub mod config;
pub mod context;
pub mod diagnostic;
pub mod effects;
pub mod embedded;
pub mod engine;
pub mod frozen;
pub mod guards;
pub mod journal;
pub mod primitives;
pub mod repl;
pub mod report;
pub mod resolve;
pub mod sim;
pub mod site;
