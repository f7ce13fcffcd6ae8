//! The effects gate: the one place that decides whether a state-changing call happens.
//!
//! Every state-changing primitive describes its call as an [`Effect`], gathers the facts
//! its guard needs, and hands them to [`Gate::apply_on`] (or [`Gate::admit_each`] for a
//! batch), which decides the guard itself (`guards::decide`, from the rules in `rules.rs`,
//! always enforced, even with `--yes`). The gate then:
//! refuses (guard failed) → plans (dry-run / unarmed REPL) → refuses a change ahead of a
//! confirmation that cannot be given → confirms (class `destroy`) → runs the action →
//! journals the outcome. Primitives never prompt, plan or journal
//! themselves.
//!
//! The rooms: `effect` (the types), `gate` (the state machine), `confirm` (the terminal),
//! `guards` + `rules` + `predestroy` (what is allowed), `frozen` (the identities detection
//! froze), `journal` (the record), `plan` (a saved plan, `apply`'s allowlist), `rhai_error`
//! (the gate's answer as a script error).
//!
//! API CONTRACT (shared between issues — keep these signatures; add freely): the names below
//! are re-exported here so callers keep writing `effects::Gate`, `effects::Effect`, ...

pub mod confirm;
pub mod effect;
pub mod frozen;
pub mod gate;
pub mod guards;
pub mod journal;
pub mod plan;
pub mod predestroy;
pub mod rhai_error;
pub mod rules;

/// Re-exported: a refusal or a declined confirmation is a [`Stop`] carried in the error.
pub use crate::stop::Stop;
pub use confirm::confirm_with;
pub use effect::{
    Admission, Applied, Confirmation, Effect, EffectClass, GateError, JujuNodeFacts, MachineFacts,
    ModelFacts, PlanEntry, Refusal, Transcript,
};
pub use gate::Gate;
pub use rules::{
    guard_destroy_model, guard_release, guard_remove_machine, guard_wipe, guard_write_backup,
};
