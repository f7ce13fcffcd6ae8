//! What the gate works with: an [`Effect`] (a state-changing call, described before it is
//! made) and its class, the confirmation that approves it, the facts its guard reads, and
//! what the gate answers ([`Admission`], [`Applied`], [`Refusal`], [`GateError`]);
//! the [`PlanEntry`] a dry run reports, and the [`Transcript`] it reports to.

use serde::Serialize;

use crate::stop::Stop;

/// What kind of change an effect is; also printed by `runbook doc`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EffectClass {
    Read,
    Change,
    Destroy,
}

impl EffectClass {
    /// The class as `runbook doc`, plans and journals spell it.
    pub fn word(self) -> &'static str {
        match self {
            EffectClass::Read => "read",
            EffectClass::Change => "change",
            EffectClass::Destroy => "destroy",
        }
    }
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
    /// Confirmation declined, or needed without a terminal and without `--yes` (refused),
    /// or Ctrl-C at the prompt (interrupted).
    Declined(Stop),
    /// The action ran and failed (journaled as `failed`).
    Failed(anyhow::Error),
}

/// A Juju machine as a fresh `juju machines` shows it: which MAAS node it runs on.
#[derive(Debug, Clone, PartialEq)]
pub struct JujuNodeFacts {
    /// The Juju machine id (`3`, or `3/lxd/0` for a container, which runs on machine 3's node).
    pub id: String,
    /// The MAAS system id of the node (`instance-id`); empty or `pending` when none yet.
    pub instance_id: String,
    pub hostname: String,
}

/// Facts about a MAAS machine the release guard needs (read fresh by the primitive).
#[derive(Debug, Clone)]
pub struct MachineFacts {
    pub system_id: String,
    pub hostname: String,
    pub owner: Option<String>,
    pub locked: bool,
    /// MAAS's status code: what the guards decide on.
    pub status: i64,
    /// The name MAAS gives it, for people; a name that is not the code's is refused.
    pub status_name: String,
    pub power_state: String,
    /// `owner_data["juju-model-uuid"]`: the Juju model that deployed it, when MAAS says.
    pub juju_model_uuid: Option<String>,
    /// `owner_data["juju-controller-uuid"]`.
    pub juju_controller_uuid: Option<String>,
}

/// Facts about a Juju model the destroy guard needs.
#[derive(Debug, Clone)]
pub struct ModelFacts {
    pub name: String,
    /// `owner/name`, for a site that names its model qualified.
    pub qualified: String,
    pub is_controller: bool,
    pub uuid: String,
    /// The uuid of the controller the fresh read came from.
    pub controller_uuid: String,
    /// `alive`, `dying` or `dead`, as the fresh read shows it.
    pub life: String,
}

/// A planned effect as the run's report shows it (dry run) and `plan` saves it.
#[derive(Debug, Clone, Serialize)]
pub struct PlanEntry {
    pub effect: String,
    pub class: EffectClass,
    pub target: String,
    pub command: String,
    pub args: serde_json::Value,
}

/// Where the gate tells the run what it planned and what it refused: the run's report
/// (`report.rs` implements it). A trait, so the gate knows nothing of the layers above it.
pub trait Transcript {
    /// A dry run's planned effect: one transcript line, and an entry of the plan.
    fn plan(&self, entry: PlanEntry);
    /// A message under the current step (`fail` for a refused effect).
    fn message(&self, level: &'static str, text: &str);
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "refused by guard `{}`: {}", self.guard, self.reason)
    }
}
