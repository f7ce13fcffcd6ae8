//! runbook: a Rust host that embeds Rhai and runs operational runbooks against Juju on MAAS.
//!
//! Map of the tree, by layer, top to bottom (a module imports only its own layer or those
//! below; `layers.rs` holds the table and the test that enforces it):
//! - `main.rs` — parse, dispatch, exit;
//! - `commands/` — one file per subcommand (`run`, `eval`, `check`, `doc`, `sites`, `plan`,
//!   `apply`, `rehearse`, `record`, `sim`), `repl/` (the interactive session, read-only until
//!   `:arm`), and what only they use: `services` (starts the demo's simulator), `recorder`
//!   (`sim record`'s read-only capture of a real cloud), `plan_facts` (the facts a plan rests on),
//!   `reach` (whether a script can reach a confirmation: a run that cannot confirm changes nothing),
//!   `site_lock` (one run at a time may change a site);
//! - `sim/` — the built-in simulated cloud, reached only from `commands`;
//! - `engine` — the Rhai engine (strict variables, resolver, every primitive);
//! - `primitives/` — one Rhai plugin module per family;
//! - `context` — `RunContext`, the one handle primitives reach;
//! - `report` — steps, checks, verdict, transcript; `outcome` — how a run ended, the exit
//!   codes; `history` — the earlier runs' journals read back (a re-run continues them);
//! - `effects/` — the gate every change goes through: `effect` (the types), `gate` (the
//!   state machine), `confirm` (the operator's terminal), `guards` (what is allowed, on fresh
//!   facts; single rules in `rules`, a backup seal's in `predestroy`), `frozen` (what
//!   detection froze: controller, model, targets), `journal` (the JSONL record), `plan` (a
//!   saved plan and `apply`'s allowlist), `rhai_error` (the gate's answer as a script error);
//! - `backup/` — the backup format on disk: the manifest, `captures` (what a pre-destroy
//!   backup must hold), `seal` (which model it captured, alive or dying);
//! - settings: `cli` (clap flags, no I/O), `config` (precedence `--set` > env > site >
//!   defaults, secrets), `site/` (typed site settings; `keys`: every setting declared once
//!   with its type, default, range and meaning; `bounds`, `hostrange`), `resolve` /
//!   `embedded` (where runbooks and modules are found; the built-in copies), `maas_profiles`;
//! - `clients/` — the systems in plain Rust: `juju/` (the client, the argv it builds, the
//!   process runner and its command errors, Juju's wire formats 3.x and 4.x), `maas/` (the
//!   client, one request and its retries, OAuth, URLs, machine JSON, status codes, release
//!   outcomes), `json_skim` (a JSON array walked without building what is skipped), `qcow2`;
//! - leaves: `diagnostic` (script errors), `stop` (why a script stopped — refused, halted,
//!   interrupted — carried in its error), `limits` (the engine's), `term` (control
//!   characters escaped before printing), `color`, `signals` (SIGINT/SIGTERM/SIGHUP stop a
//!   run between steps), `in_flight` (what a stop does to a MAAS request in flight).

pub mod backup;
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
pub mod history;
pub mod in_flight;
#[cfg(test)]
mod layers;
pub mod limits;
pub mod maas_profiles;
pub mod outcome;
pub mod primitives;
pub mod report;
pub mod resolve;
pub mod signals;
pub mod sim;
pub mod site;
pub mod stop;
pub mod term;
