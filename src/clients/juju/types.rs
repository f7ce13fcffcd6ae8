//! What the Juju client returns: one plain struct per thing Juju lists (a model, a machine,
//! a status summary, a controller, a command block), the same for Juju 3.x and 4.x. Decoding
//! Juju's JSON into these lives in `models`, `status` and `controllers`.

use serde::{Deserialize, Serialize};

/// One model of `juju models`, as scripts see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Model {
    /// The short name, e.g. `openstack`.
    pub name: String,
    /// The owner-qualified name, e.g. `admin/openstack`.
    pub qualified: String,
    pub owner: String,
    pub uuid: String,
    /// `alive`, `dying` or `dead` (`alive` when Juju leaves it empty).
    pub life: String,
    /// `status.current`, e.g. `available` or `destroying` (empty when absent).
    pub status: String,
    pub controller: String,
    /// The uuid of the controller that lists the model (`controller-uuid`).
    pub controller_uuid: String,
    pub is_controller: bool,
    pub model_type: String,
}

/// One machine of `juju machines` or `juju status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Machine {
    pub id: String,
    /// On MAAS, the MAAS `system_id`.
    pub instance_id: String,
    pub dns_name: String,
    /// The MAAS hostname (`display-name`), or Juju's `hostname`, when known.
    pub hostname: String,
    /// `juju-status.current`, e.g. `started`, `down`, `pending`; `error` for a status-error.
    pub status: String,
    /// `alive` unless Juju says otherwise (`dying`, `dead`).
    pub life: String,
    /// Ids of the containers on this machine, e.g. `0/lxd/0`.
    pub containers: Vec<String>,
    /// The text of a `status-error` entry Juju gave instead of the machine.
    pub error: Option<String>,
}

/// A summary of `juju status -m MODEL`: what is left in the model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Status {
    pub model: String,
    pub controller: String,
    /// `model-status.current`, e.g. `available` or `destroying`.
    pub model_status: String,
    pub application_count: usize,
    /// Every unit, subordinates included (they go with their principal's machine).
    pub unit_count: usize,
    /// How many of `unit_count` are subordinate units.
    pub subordinate_count: usize,
    pub machine_count: usize,
    pub applications: Vec<Application>,
    pub units: Vec<Unit>,
    pub machines: Vec<Machine>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Application {
    pub name: String,
    pub status: String,
    pub unit_count: usize,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unit {
    pub name: String,
    pub application: String,
    pub machine: String,
    pub workload_status: String,
    pub agent_status: String,
    /// For a subordinate unit, the principal unit it runs with.
    pub principal: Option<String>,
    pub error: Option<String>,
}

/// One controller of `juju controllers`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Controller {
    pub name: String,
    pub uuid: String,
    pub cloud: String,
    pub region: String,
    pub agent_version: String,
    pub current_model: String,
    pub user: String,
    pub model_count: Option<u64>,
    pub machine_count: Option<u64>,
    pub controller_machines_active: Option<u64>,
    pub controller_machines_total: Option<u64>,
    /// True for `current-controller`.
    pub current: bool,
}

/// One `juju disable-command` block: its command set (`destroy-model`, `remove-object` or
/// `all`) and the message given when it was set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    #[serde(rename(deserialize = "command-set"))]
    pub command_set: String,
    #[serde(default)]
    pub message: String,
}

impl Block {
    /// Whether this block stops `command` (`destroy-model` or `remove-machine`).
    pub fn blocks(&self, command: &str) -> bool {
        match self.command_set.as_str() {
            "all" => true,
            "destroy-model" => command == "destroy-model",
            "remove-object" => command != "destroy-model",
            _ => false,
        }
    }
}
