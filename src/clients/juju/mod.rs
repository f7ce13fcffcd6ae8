//! The Juju client: runs the `juju` binary (3.x or 4.x) and reads its `--format json` output.
//! It knows nothing about Rhai. Its rooms:
//! - `client` — [`JujuClient`], one method per juju command a teardown needs; `version` —
//!   `juju version`, which decides the output family (3.x or 4.x) before anything else runs;
//! - `argv` — the argv and flags of the commands that change a model (`destroy-model`,
//!   `remove-machine`);
//! - `runner` — one command to completion: own process group, killed with runbook, a timeout
//!   that kills the whole group, Ctrl-C, the `ETXTBSY` retry; `stream` — a command whose
//!   output is shown line by line as it comes, under a deadline, cancellable;
//!   `command_error` — how a failed command reads (argv as a shell line, exit status or
//!   signal, stderr tail);
//! - the wire formats: `types` (what callers get), `json` (decoding helpers every parser
//!   shares), `models`, `status` (and `juju machines`), `controllers` (and
//!   `disabled-commands`). Parsers ignore unknown fields and tolerate missing or null
//!   optional ones; 3.x and 4.x model entries give the same [`Model`].

mod argv;
mod client;
mod command_error;
mod controllers;
mod json;
mod models;
mod runner;
mod status;
mod stream;
#[cfg(test)]
mod test_support;
mod types;
mod version;

pub use argv::{destroy_model_argv, remove_machine_argv, DestroyOptions, RemoveOptions};
pub use client::{DestroyOutcome, JujuClient, READ_ONLY_COMMANDS};
pub use command_error::shell_line;
pub use models::{ambiguity, ambiguous, find_model};
pub use types::{Application, Block, Controller, Machine, Model, Status, Unit};
pub use version::{parse_version, Family, JujuVersion};
