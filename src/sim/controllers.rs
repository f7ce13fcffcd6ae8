//! More than one controller and more than one user, as an operator's shell meets them:
//! - fault `other-controller[:registered]`: a second controller, `lab-controller` (its own
//!   uuid, its own `controller` and `admin/openstack` models with their own uuids and MAAS
//!   machines `lab-*`), which is the *current* one (`juju switch lab-controller`) unless
//!   `:registered` (then the site's controller stays current);
//! - fault `other-user-model[:USER]` (default `bob`, repeatable): USER's `openstack` model on
//!   the site's controller, on MAAS machines `USER-openstack0..1` owned by USER;
//! - fault `controller-gone-after:COMMAND`: once `juju COMMAND` has succeeded, the site's
//!   controller is no longer registered (`juju controllers` stops listing it, commands
//!   naming it fail with `ERROR controller NAME not found`).
//!
//! Every MAAS machine of these models carries `owner_data` with its model's and controller's
//! uuids, as Juju sets them. Commands address a controller like real Juju: `-c CONTROLLER`,
//! `-m CONTROLLER:MODEL`, or the current controller when none is named.

use super::faults::Faults;
use super::scenario::{juju_tags, Builder, USER};
use super::state::{Application, Cloud, JujuMachine, Model, Unit};

pub const OTHER_CONTROLLER: &str = "lab-controller";
pub const OTHER_CONTROLLER_UUID: &str = "5e8a0f1c-2b7d-4c93-8f16-a0d2b4c6e871";
pub const OTHER_CONTROLLER_MODEL_UUID: &str = "9c4d2e7a-1f3b-4a85-b6c9-0e7d3f5a2b14";
/// The uuid of `admin/openstack` on `lab-controller`.
pub const OTHER_OPENSTACK_UUID: &str = "b71f3c9e-6a2d-4e58-9c04-8d1e5f7a3b26";

/// A registered controller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimController {
    pub name: String,
    pub uuid: String,
}

/// The uuid of USER's `openstack` model on the site's controller (`other-user-model:USER`),
/// derived from the name so it is the same on every run.
pub fn user_model_uuid(user: &str) -> String {
    // FNV-1a, 64 bits, twice (the second over the reversed name) for 128 bits.
    let fnv = |bytes: &mut dyn Iterator<Item = u8>| {
        bytes.fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        })
    };
    let a = fnv(&mut user.bytes());
    let b = fnv(&mut user.bytes().rev().chain(*b"model"));
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        (b >> 48) & 0xfff,
        b & 0xffff_ffff_ffff
    )
}

/// What the faults add to a scenario: controllers, models, and whether the other
/// controller is current.
pub(super) struct Extra {
    pub controllers: Vec<SimController>,
    pub models: Vec<Model>,
    pub other_is_current: bool,
}

/// A model on `controller_uuid` whose machines are the MAAS machines `hosts` (added to `b`,
/// owned by `owner`, tagged like Juju), with one application over all of them.
fn model_on(
    b: &mut Builder,
    (name, uuid, owner, controller_uuid): (&str, &str, &str, &str),
    is_controller: bool,
    hosts: &[String],
    app: (&str, &str),
) -> Model {
    let machines: Vec<JujuMachine> = hosts
        .iter()
        .enumerate()
        .map(|(id, host)| {
            let index = b.add(host, Some(owner), Some(uuid));
            b.machines[index].owner_data = juju_tags(controller_uuid, uuid, is_controller);
            JujuMachine {
                id: id.to_string(),
                system_id: b.machines[index].system_id.clone(),
                hostname: host.clone(),
                index,
                dying: false,
                stuck: false,
                keep_instance: false,
                removal_due: None,
            }
        })
        .collect();
    let units = machines
        .iter()
        .enumerate()
        .map(|(n, m)| Unit {
            number: n as u32,
            machine: m.id.clone(),
            leader: n == 0,
        })
        .collect();
    Model {
        name: name.to_string(),
        uuid: uuid.to_string(),
        owner: owner.to_string(),
        controller_uuid: controller_uuid.to_string(),
        is_controller,
        dying: false,
        awaiting_force: false,
        removal_due: None,
        machines,
        applications: vec![Application {
            name: app.0.to_string(),
            charm: app.1.to_string(),
            channel: "latest/stable".to_string(),
            revision: 24,
            units,
        }],
    }
}

/// Adds what `faults` ask for to the scenario being built on the site's controller
/// `site_controller_uuid`.
pub(super) fn populate(b: &mut Builder, faults: &Faults, site_controller_uuid: &str) -> Extra {
    let mut extra = Extra {
        controllers: Vec::new(),
        models: Vec::new(),
        other_is_current: false,
    };
    if let Some(current) = faults.other_controller() {
        extra.other_is_current = current;
        extra.controllers.push(SimController {
            name: OTHER_CONTROLLER.to_string(),
            uuid: OTHER_CONTROLLER_UUID.to_string(),
        });
        extra.models.push(model_on(
            b,
            (
                "controller",
                OTHER_CONTROLLER_MODEL_UUID,
                USER,
                OTHER_CONTROLLER_UUID,
            ),
            true,
            &["lab-controller-0".to_string()],
            ("controller", "juju-controller"),
        ));
        let hosts: Vec<String> = (0..3).map(|i| format!("lab-openstack{i}")).collect();
        extra.models.push(model_on(
            b,
            (
                "openstack",
                OTHER_OPENSTACK_UUID,
                USER,
                OTHER_CONTROLLER_UUID,
            ),
            false,
            &hosts,
            ("nova-compute", "nova-compute"),
        ));
    }
    for user in faults.other_users() {
        let uuid = user_model_uuid(user);
        let hosts: Vec<String> = (0..2).map(|i| format!("{user}-openstack{i}")).collect();
        extra.models.push(model_on(
            b,
            ("openstack", &uuid, user, site_controller_uuid),
            false,
            &hosts,
            ("ubuntu", "ubuntu"),
        ));
    }
    extra
}

impl Cloud {
    /// The controllers `juju controllers` lists now: the site's (unless fault
    /// `controller-gone-after` has fired) and the others.
    pub fn registered_controllers(&self) -> Vec<SimController> {
        let site = SimController {
            name: self.controller_name.clone(),
            uuid: self.controller_uuid.clone(),
        };
        let gone = self.faults.controller_gone();
        (!gone)
            .then_some(site)
            .into_iter()
            .chain(self.other_controllers.iter().cloned())
            .collect()
    }

    /// The controller a command talks to: `named` (`-c C`, `-m C:MODEL`) or the current one,
    /// with Juju's errors when it is not registered.
    pub fn addressed_controller(&self, named: Option<&str>) -> Result<SimController, String> {
        let registered = self.registered_controllers();
        let name = named.unwrap_or(&self.current_controller);
        match registered.into_iter().find(|c| c.name == name) {
            Some(c) => Ok(c),
            None if named.is_some() => Err(format!("controller {name} not found")),
            None => Err(format!(
                "current controller {name} not found; run `juju controllers` and `juju switch` to pick one"
            )),
        }
    }

    /// The name of the controller with this uuid (the site's if unknown).
    pub fn controller_name_of(&self, uuid: &str) -> &str {
        self.other_controllers
            .iter()
            .find(|c| c.uuid == uuid)
            .map(|c| c.name.as_str())
            .unwrap_or(&self.controller_name)
    }

    /// The models on the controller with this uuid.
    pub fn models_on<'a>(&'a self, controller_uuid: &'a str) -> impl Iterator<Item = &'a Model> {
        self.models
            .iter()
            .filter(move |m| m.controller_uuid == controller_uuid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_uuid(s: &str) -> bool {
        let lens: Vec<usize> = s.split('-').map(str::len).collect();
        lens == [8, 4, 4, 4, 12] && s.chars().all(|c| c == '-' || c.is_ascii_hexdigit())
    }

    #[test]
    fn user_model_uuids_are_uuids_and_differ_per_user() {
        let (bob, carol) = (user_model_uuid("bob"), user_model_uuid("carol"));
        assert!(is_uuid(&bob) && is_uuid(&carol), "{bob} {carol}");
        assert_ne!(bob, carol);
        assert_eq!(bob, user_model_uuid("bob"));
    }
}
