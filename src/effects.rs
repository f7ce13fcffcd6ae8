//! The effects gate: the one place that decides whether a state-changing call happens.
//!
//! Every state-changing primitive describes its call as an [`Effect`], evaluates the
//! matching guard (pure functions below, always enforced, even with `--yes`), and hands
//! both to [`Gate::apply`] (or [`Gate::admit_all`] for a batch). The gate then:
//! refuses (guard failed) → plans (dry-run / unarmed REPL) → confirms (class `destroy`)
//! → runs the action → journals the outcome. Primitives never prompt, plan or journal
//! themselves.
//!
//! API CONTRACT (shared between issues — keep these signatures; add freely).

use std::path::Path;
use std::time::Duration;

use serde::Serialize;

/// What kind of change an effect is; also printed by `runbook doc`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EffectClass {
    Read,
    Change,
    Destroy,
}

/// A state-changing call, described before it is made.
#[derive(Debug, Clone, Serialize)]
pub struct Effect {
    /// The primitive's name: `release`, `juju_destroy_model`, `write_backup`, ...
    pub name: String,
    pub class: EffectClass,
    /// What it acts on, for humans: `machine 4y3h7n (openstack0)`, `model openstack`, a path.
    pub target: String,
    /// Arguments as given (secrets never included), for the journal and the plan.
    pub args: serde_json::Value,
    /// The exact command or request it makes, e.g.
    /// `juju destroy-model openstack --force --no-wait --destroy-storage --no-prompt`.
    pub command: String,
    /// For class `destroy`: what the operator is shown and must type. `None` for `change`.
    pub confirm: Option<Confirmation>,
}

/// The fact an operator types to approve a destructive effect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Confirmation {
    /// Shown before the question: what will be lost (unit and machine counts, controller, ...).
    pub summary: String,
    /// The question, e.g. `type the model name to destroy it`.
    pub question: String,
    /// The answer that approves, e.g. `openstack`.
    pub expected: String,
}

/// A guard's "no": which guard, and why, in words an operator can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refusal {
    pub guard: &'static str,
    pub reason: String,
}

/// What the gate decided for one effect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admission {
    /// Run it now (then call [`Gate::finish`]).
    Go,
    /// Dry-run: recorded in the plan, nothing executed.
    Planned,
}

/// The outcome of [`Gate::apply`].
#[derive(Debug)]
pub enum Applied<T> {
    Executed(T),
    Planned,
}

/// Why the gate stopped a call. `Refused` and `Declined` end the run with exit 4.
#[derive(Debug)]
pub enum GateError {
    Refused(Refusal),
    /// Confirmation declined, or needed without a terminal and without `--yes`.
    Declined(String),
    /// The action ran and failed (journaled as `failed`).
    Failed(anyhow::Error),
}

/// Facts about a MAAS machine the release guard needs (read fresh by the primitive).
#[derive(Debug, Clone)]
pub struct MachineFacts {
    pub system_id: String,
    pub hostname: String,
    pub owner: Option<String>,
    pub locked: bool,
    pub status_name: String,
}

/// Facts about a Juju model the destroy guard needs.
#[derive(Debug, Clone)]
pub struct ModelFacts {
    pub name: String,
    pub is_controller: bool,
}

/// The gate of one run. Built by `context.rs`; reached by primitives via `RunContext::gate`.
pub struct Gate {
    // Implementation detail (issue 2): mode (dry-run/armed), --yes, terminal, journal, plan.
}

impl Gate {
    /// Guards → dry-run plan → confirmation → run `act` → journal. On `Refused`/`Declined`
    /// nothing runs and the run will exit 4.
    pub fn apply<T: Serialize>(
        &self,
        effect: Effect,
        guard: Result<(), Refusal>,
        act: impl FnOnce() -> anyhow::Result<T>,
    ) -> Result<Applied<T>, GateError> {
        let _ = (effect, guard, act);
        todo!("issue 2")
    }

    /// A batch (e.g. `release_all`): every guard is checked first and one refusal refuses the
    /// whole batch before anything runs; one confirmation (if given) covers all of them.
    /// Returns one admission per effect; for each `Go` the caller runs it and calls `finish`.
    pub fn admit_all(
        &self,
        effects: &[Effect],
        guards: Vec<Result<(), Refusal>>,
        confirm: Option<Confirmation>,
    ) -> Result<Vec<Admission>, GateError> {
        let _ = (effects, guards, confirm);
        todo!("issue 2")
    }

    /// Journal the outcome of an admitted effect (`executed` or `failed`) with its duration.
    pub fn finish(
        &self,
        effect: &Effect,
        outcome: Result<&serde_json::Value, &anyhow::Error>,
        took: Duration,
    ) {
        let _ = (effect, outcome, took);
        todo!("issue 2")
    }

    /// True when state-changing calls are planned, not executed.
    pub fn is_dry_run(&self) -> bool {
        todo!("issue 2")
    }
}

impl GateError {
    /// The Rhai error a primitive returns; the engine adds the script position.
    pub fn into_rhai(self) -> Box<rhai::EvalAltResult> {
        todo!("issue 2")
    }
}

/// `release`: the machine's hostname is in `site.targets`, it is not locked, and (unless it
/// is already Ready/Releasing, which is a no-op) its owner is `whoami`.
pub fn guard_release(targets: &[String], whoami: &str, m: &MachineFacts) -> Result<(), Refusal> {
    let _ = (targets, whoami, m);
    todo!("issue 2")
}

/// `juju_destroy_model`: in `site.models`, not a controller model, and sealed by this run's
/// `seal_backup` unless `require_backup` is false.
pub fn guard_destroy_model(
    models: &[String],
    require_backup: bool,
    sealed: &[String],
    model: &ModelFacts,
) -> Result<(), Refusal> {
    let _ = (models, require_backup, sealed, model);
    todo!("issue 2")
}

/// `juju_remove_machine`: the model is in `site.models` and is not a controller model.
pub fn guard_remove_machine(models: &[String], model: &ModelFacts) -> Result<(), Refusal> {
    let _ = (models, model);
    todo!("issue 2")
}

/// `wipe_qcow2`: the path resolves (symlinks followed) to a file under `disk_root`.
pub fn guard_wipe(disk_root: &Path, path: &Path) -> Result<(), Refusal> {
    let _ = (disk_root, path);
    todo!("issue 2")
}
