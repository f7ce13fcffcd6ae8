//! The simulated cloud: MAAS machines, the Juju controller and its models, the request log.
//! Transitions that take time (releases, dying models and machines) carry a due instant
//! and are applied by `tick`, which every request calls first.
//! Over 600 lines with its tests (about 590 of code): the state and its transitions are one
//! concept, and splitting the transitions from the data they change would only add seams.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Instant;

use axum::body::Bytes;
use serde::Serialize;

use super::clock::Clock;
use super::faults::Faults;
use super::machine_json;

pub const READY: u8 = 4;
pub const DEPLOYED: u8 = 6;
pub const RELEASING: u8 = 12;
pub const RELEASING_FAILED: u8 = 13;
pub const DISK_ERASING: u8 = 14;

/// MAAS's status names, indexed by the status integer (docs/formats.md table).
pub const STATUS_NAMES: [&str; 23] = [
    "New",
    "Commissioning",
    "Failed commissioning",
    "Missing",
    "Ready",
    "Reserved",
    "Deployed",
    "Retired",
    "Broken",
    "Deploying",
    "Allocated",
    "Failed deployment",
    "Releasing",
    "Releasing failed",
    "Disk erasing",
    "Failed disk erasing",
    "Rescue mode",
    "Entering rescue mode",
    "Failed to enter rescue mode",
    "Exiting rescue mode",
    "Failed to exit rescue mode",
    "Testing",
    "Failed testing",
];

/// States MAAS accepts a release from (machines.py `RELEASABLE_STATUSES`), besides the
/// Ready/Releasing no-op.
const RELEASABLE: [u8; 8] = [10, 5, 8, 9, DEPLOYED, 11, 15, RELEASING_FAILED];

pub fn status_name(status: u8) -> &'static str {
    STATUS_NAMES
        .get(status as usize)
        .copied()
        .unwrap_or("Unknown")
}

#[derive(Debug, Clone)]
pub struct MaasMachine {
    pub index: usize,
    pub system_id: String,
    pub hostname: String,
    pub status: u8,
    /// Fault `preset`/`mutate` `status_name`: a name that contradicts the code, as a broken
    /// proxy or MAAS could serve (`None`: the code's own name).
    pub status_name_shown: Option<String>,
    pub status_message: String,
    pub owner: Option<String>,
    pub owner_data: BTreeMap<String, String>,
    pub agent_name: String,
    pub locked: bool,
    pub power_state: &'static str,
    /// `virsh` (the simulator's VMs) or `ipmi` (a bare-metal BMC, with a `k_g` key).
    pub power_type: &'static str,
    pub zone: String,
    pub pool: String,
    pub tags: Vec<String>,
    pub release_due: Option<Instant>,
    /// The rendered JSON object, kept current by `Cloud::rerender`. Shared bytes, so a
    /// 10,000-machine list is streamed from these without copying ~100 MB per request.
    pub json: Bytes,
    /// The part of `json` that never changes (hardware, interfaces, disks), rendered once.
    pub fixed_json: Option<std::sync::Arc<str>>,
}

impl MaasMachine {
    /// The `status_name` MAAS's JSON shows for this machine.
    pub fn shown_status_name(&self) -> &str {
        self.status_name_shown
            .as_deref()
            .unwrap_or_else(|| status_name(self.status))
    }

    /// A new status, with the message MAAS shows beside it.
    fn set_status(&mut self, status: u8, message: &str) {
        self.status = status;
        self.status_message = message.to_string();
    }
}

#[derive(Debug, Clone)]
pub struct JujuMachine {
    pub id: String,
    pub system_id: String,
    pub hostname: String,
    pub index: usize,
    pub dying: bool,
    /// Scenario `stuck`: survives model destruction until `remove-machine --force`.
    pub stuck: bool,
    /// `remove-machine --keep-instance`: Juju forgets the machine but leaves the MAAS node.
    pub keep_instance: bool,
    pub removal_due: Option<Instant>,
}

#[derive(Debug, Clone)]
pub struct Unit {
    pub number: u32,
    pub machine: String,
    pub leader: bool,
}

#[derive(Debug, Clone)]
pub struct Application {
    pub name: String,
    pub charm: String,
    pub channel: String,
    pub revision: u32,
    pub units: Vec<Unit>,
}

#[derive(Debug, Clone)]
pub struct Model {
    pub name: String,
    pub uuid: String,
    pub owner: String,
    /// The uuid of the controller the model lives on.
    pub controller_uuid: String,
    pub is_controller: bool,
    pub dying: bool,
    /// Scenario `destroying`: left dying by an earlier destroy; only a new forced destroy
    /// moves it on.
    pub awaiting_force: bool,
    pub removal_due: Option<Instant>,
    pub machines: Vec<JujuMachine>,
    pub applications: Vec<Application>,
}

impl Model {
    pub fn unit_names_on(&self, machine: &str) -> Vec<String> {
        self.applications
            .iter()
            .flat_map(|a| {
                a.units
                    .iter()
                    .filter(|u| u.machine == machine)
                    .map(move |u| format!("{}/{}", a.name, u.number))
            })
            .collect()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct LogEntry {
    pub kind: &'static str,
    pub request: String,
    pub status: i64,
    pub changed: bool,
    /// A MAAS POST's form parameters (`erase`, `comment`, ...), in the order sent.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub form: Vec<(String, String)>,
}

pub struct Cloud {
    pub scenario: String,
    pub user: String,
    pub api_key: String,
    /// The site's controller (the one the scenario's `openstack` model lives on).
    pub controller_name: String,
    pub controller_uuid: String,
    /// Other registered controllers (fault `other-controller`), and which one is current
    /// (`juju switch`): commands without `-c`/`-m CONTROLLER:` go there.
    pub other_controllers: Vec<super::controllers::SimController>,
    pub current_controller: String,
    pub models: Vec<Model>,
    pub machines: Vec<MaasMachine>,
    /// Indexes into `machines`, so a lookup by id or hostname does not scan every machine
    /// (a region has thousands). Hostnames may repeat (MAAS allows it in the data we model):
    /// each maps to every index that has it, in order. Rebuild with `index_hostnames` after
    /// adding machines or changing a hostname.
    pub by_system_id: HashMap<String, usize>,
    pub by_hostname: HashMap<String, Vec<usize>>,
    /// The machines with a release in flight (`release_due` set): all `tick` has to look at.
    pub releasing: BTreeSet<usize>,
    /// Machines deleted from MAAS (fault `delete-on-destroy`): kept in `machines` so indexes
    /// stay valid, but out of the lookups and lists.
    pub deleted: BTreeSet<usize>,
    pub clock: Clock,
    pub faults: Faults,
    pub log: Vec<LogEntry>,
    /// Which Juju the `juju` shim is (`sim serve --juju 3.6|4.0`): its output shapes.
    pub juju: super::juju_formats::JujuMajor,
    /// Set when the cloud was loaded from a capture (`--from CLOUD.json`): what the
    /// capture says that the state model above does not hold.
    pub replay: Option<super::recording::Replay>,
}

/// Why a MAAS release was refused: the HTTP status and MAAS's text.
#[derive(Debug, Clone, PartialEq)]
pub struct ReleaseError {
    pub status: u16,
    pub body: String,
}

impl Cloud {
    pub fn record(&mut self, kind: &'static str, request: String, status: i64, changed: bool) {
        self.log.push(LogEntry {
            kind,
            request,
            status,
            changed,
            form: Vec::new(),
        });
    }

    pub fn rerender(&mut self, index: usize) {
        let m = &mut self.machines[index];
        match self
            .replay
            .as_ref()
            .and_then(|r| r.machine_json.get(&m.system_id))
        {
            Some(recorded) => m.json = Bytes::from(machine_json::render_over(recorded, m)),
            None => machine_json::render(m),
        }
    }

    /// MAAS's view permission: a superuser sees every machine, anyone else only unowned
    /// machines and their own (docs/formats.md).
    pub fn visible(&self, m: &MaasMachine, user: &str) -> bool {
        self.faults.superuser() || m.owner.is_none() || m.owner.as_deref() == Some(user)
    }

    /// MAAS's edit permission (release): the same rule — so a superuser may release
    /// someone else's machine, and only this tool's owner guard stops it.
    pub fn may_edit(&self, m: &MaasMachine, user: &str) -> bool {
        self.visible(m, user)
    }

    pub fn machine_by_system_id(&self, system_id: &str) -> Option<&MaasMachine> {
        self.by_system_id.get(system_id).map(|&i| &self.machines[i])
    }

    /// The indexes of the machines with this hostname, in order.
    pub fn indexes_by_hostname(&self, hostname: &str) -> &[usize] {
        self.by_hostname
            .get(hostname)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// (Re)builds `by_hostname` from `machines`.
    pub fn index_hostnames(&mut self) {
        self.by_hostname.clear();
        for m in self
            .machines
            .iter()
            .filter(|m| !self.deleted.contains(&m.index))
        {
            self.by_hostname
                .entry(m.hostname.clone())
                .or_default()
                .push(m.index);
        }
    }

    pub fn model(&self, name: &str) -> Option<&Model> {
        self.models
            .iter()
            .find(|m| m.name == name || m.uuid == name)
    }

    /// Fault `juju-machine-joins`: model `model` gains a machine on the MAAS node `hostname`
    /// (a no-op when either is missing).
    pub fn join_machine(&mut self, model: &str, hostname: &str) {
        let Some(&index) = self.indexes_by_hostname(hostname).first() else {
            return;
        };
        let (system_id, hostname) = {
            let m = &self.machines[index];
            (m.system_id.clone(), m.hostname.clone())
        };
        let Some(model) = self.model_mut(model) else {
            return;
        };
        let next = model
            .machines
            .iter()
            .filter_map(|m| m.id.parse::<usize>().ok())
            .max()
            .map_or(0, |n| n + 1);
        model.machines.push(JujuMachine {
            id: next.to_string(),
            system_id,
            hostname,
            index,
            dying: false,
            stuck: false,
            keep_instance: false,
            removal_due: None,
        });
    }

    pub fn model_mut(&mut self, name: &str) -> Option<&mut Model> {
        self.models
            .iter_mut()
            .find(|m| m.name == name || m.uuid == name)
    }

    /// Applies every transition that is due.
    pub fn tick(&mut self) {
        let now = Instant::now();
        let model_stuck = self.faults.model_stuck();
        // (system id, when Juju released it): the instant the removal was due, not this
        // tick's, so how often a client polls never delays the release.
        let mut releases: Vec<(String, Instant)> = Vec::new();
        let mut deletions = Vec::new();
        for model in &mut self.models {
            if let Some(removed_at) = model.removal_due.filter(|due| *due <= now) {
                model.removal_due = None;
                // The model's applications and machines go; a stuck machine lingers, dying,
                // with its units (scenario `stuck`).
                let (stuck, gone): (Vec<_>, Vec<_>) =
                    model.machines.drain(..).partition(|m| m.stuck);
                for m in &gone {
                    // juju#22691 (3.6.24): a forced destroy deleted MAAS machines instead
                    // of releasing them.
                    if self.faults.deletes_on_destroy(&m.hostname) {
                        deletions.push(m.system_id.clone());
                    } else {
                        releases.push((m.system_id.clone(), removed_at));
                    }
                }
                model.machines = stuck
                    .into_iter()
                    .map(|m| JujuMachine { dying: true, ..m })
                    .collect();
                let remaining: Vec<String> = model.machines.iter().map(|m| m.id.clone()).collect();
                for app in &mut model.applications {
                    app.units.retain(|u| remaining.contains(&u.machine));
                }
                model.applications.retain(|a| !a.units.is_empty());
            }
            let mut removed = Vec::new();
            model.machines.retain(|m| {
                let Some(removed_at) = m.removal_due.filter(|due| *due <= now) else {
                    return true;
                };
                removed.push(m.id.clone());
                if !m.keep_instance {
                    releases.push((m.system_id.clone(), removed_at));
                }
                false
            });
            for app in &mut model.applications {
                app.units.retain(|u| !removed.contains(&u.machine));
            }
            model.applications.retain(|a| !a.units.is_empty());
        }
        self.models.retain(|m| {
            let stuck = model_stuck && !m.is_controller;
            !(m.dying
                && m.removal_due.is_none()
                && m.machines.is_empty()
                && !m.awaiting_force
                && !stuck)
        });
        if self.faults.juju_keeps_nodes() {
            releases.clear();
        }
        for (system_id, released_at) in releases {
            // Juju releases the nodes of removed machines itself and ignores refusals.
            let _ = self.release_since(&system_id, None, released_at, false);
        }
        // Last, so a release Juju started in the past that is already due ends now too.
        let due: Vec<usize> = self
            .releasing
            .iter()
            .copied()
            .filter(|&i| self.machines[i].release_due.is_some_and(|due| due <= now))
            .collect();
        for i in due {
            self.finish_release(i, now);
        }
        for system_id in deletions {
            self.delete_machine(&system_id);
        }
    }

    /// Delete a machine from MAAS: every later read of it is a 404, lists leave it out.
    pub fn delete_machine(&mut self, system_id: &str) {
        let Some(i) = self.by_system_id.remove(system_id) else {
            return;
        };
        self.releasing.remove(&i);
        self.machines[i].release_due = None;
        self.deleted.insert(i);
        if let Some(list) = self.by_hostname.get_mut(&self.machines[i].hostname) {
            list.retain(|&x| x != i);
        }
    }

    fn finish_release(&mut self, i: usize, now: Instant) {
        // The erase is done: MAAS releases the machine proper (`release_or_erase`), from
        // the instant the erase ended (a late poll does not delay it).
        if self.machines[i].status == DISK_ERASING {
            let erased = self.machines[i].release_due.unwrap_or(now);
            let due = erased + self.clock.scaled(self.clock.delays.release);
            let m = &mut self.machines[i];
            m.set_status(RELEASING, "Releasing");
            m.release_due = Some(due);
            if due > now {
                self.rerender(i);
                return;
            }
        }
        let fails = self.faults.release_fails(&self.machines[i].hostname);
        self.releasing.remove(&i);
        let m = &mut self.machines[i];
        m.release_due = None;
        if fails {
            m.set_status(
                RELEASING_FAILED,
                "Failed to release node: power driver error",
            );
        } else {
            m.set_status(READY, "Released");
            m.owner = None;
            m.owner_data.clear();
            m.power_state = "off";
        }
        self.rerender(i);
    }

    /// MAAS release semantics (docs/formats.md). `user` None is Juju releasing on its own
    /// behalf (allowed for anything the model's owner holds). Ok(true) when it changed.
    pub fn release(&mut self, system_id: &str, user: Option<&str>) -> Result<bool, ReleaseError> {
        self.release_since(system_id, user, Instant::now(), false)
    }

    /// As `release`; `erase` (the request's `erase` parameter, or MAAS's setting
    /// `enable_disk_erasing_on_release`) erases the disks first: Disk erasing, then
    /// Releasing, then Ready (MAAS `release_or_erase`).
    pub fn release_erasing(
        &mut self,
        system_id: &str,
        user: Option<&str>,
        erase: bool,
    ) -> Result<bool, ReleaseError> {
        self.release_since(system_id, user, Instant::now(), erase)
    }

    /// [`Cloud::release_erasing`] as if asked at `asked` (Juju's release when the removal
    /// was due).
    fn release_since(
        &mut self,
        system_id: &str,
        user: Option<&str>,
        asked: Instant,
        erase: bool,
    ) -> Result<bool, ReleaseError> {
        let Some(&i) = self.by_system_id.get(system_id) else {
            return Err(ReleaseError {
                status: 404,
                body: "No Machine matches the given query.".to_string(),
            });
        };
        let m = &self.machines[i];
        let permitted = match user {
            Some(user) => self.may_edit(m, user),
            None => m.owner.as_deref() == Some(self.user.as_str()),
        };
        if m.locked || !permitted {
            return Err(ReleaseError {
                status: 403,
                body: String::new(),
            });
        }
        if m.status == READY || m.status == RELEASING {
            return Ok(false);
        }
        if !RELEASABLE.contains(&m.status) {
            return Err(ReleaseError {
                status: 409,
                body: format!(
                    "Machine cannot be released in its current state ('{}').",
                    status_name(m.status)
                ),
            });
        }
        let erase = erase || self.faults.erase_on_release();
        let due = asked
            + self.clock.scaled(if erase {
                self.clock.delays.erase
            } else {
                self.clock.delays.release
            });
        let m = &mut self.machines[i];
        if erase {
            m.set_status(DISK_ERASING, "Erasing disks");
        } else {
            m.set_status(RELEASING, "Releasing");
        }
        m.agent_name.clear();
        m.release_due = Some(due);
        self.releasing.insert(i);
        self.rerender(i);
        Ok(true)
    }

    /// Fault `mutate`: change one field of a machine behind the client's back.
    pub fn mutate(&mut self, system_id: &str, field: &str, value: &str) {
        let Some(&i) = self.by_system_id.get(system_id) else {
            return;
        };
        let m = &mut self.machines[i];
        let text = || (!value.is_empty()).then(|| value.to_string());
        match field {
            "owner" => m.owner = text(),
            "locked" => m.locked = value == "true",
            "hostname" => {
                m.hostname = value.to_string();
                // The hostname index answers `?hostname=`: keep it true.
                self.rerender(i);
                self.index_hostnames();
                return;
            }
            "status" => {
                if let Ok(code) = value.parse::<u8>() {
                    m.set_status(code, status_name(code));
                }
            }
            "status_name" => m.status_name_shown = text(),
            "power_type" => {
                m.power_type = if value == "ipmi" { "ipmi" } else { "virsh" };
                // The power type is among the members rendered once: render them again.
                m.fixed_json = None;
            }
            "power_state" => {
                m.power_state = match value {
                    "on" => "on",
                    "off" => "off",
                    _ => "unknown",
                }
            }
            key => match text() {
                Some(v) => {
                    m.owner_data.insert(key.to_string(), v);
                }
                None => {
                    m.owner_data.remove(key);
                }
            },
        }
        self.rerender(i);
    }

    /// `destroy-model`: marks the model dying and schedules its removal. False when nothing
    /// changed (a model left dying by scenario `destroying` needs `--force` to move on).
    pub fn destroy_model(&mut self, name: &str, force: bool) -> bool {
        let secs = self
            .faults
            .model_removal_secs()
            .unwrap_or(self.clock.delays.model_removal);
        let due = self.clock.after(secs);
        let Some(model) = self.model_mut(name) else {
            return false;
        };
        if model.awaiting_force && !force {
            return false;
        }
        model.awaiting_force = false;
        model.dying = true;
        model.removal_due.get_or_insert(due);
        true
    }

    /// `remove-machine --force` or an accepted plain removal.
    pub fn remove_machine(&mut self, model: &str, id: &str, keep_instance: bool) {
        let due = self.clock.after(self.clock.delays.machine_removal);
        if let Some(model) = self.model_mut(model) {
            if let Some(m) = model.machines.iter_mut().find(|m| m.id == id) {
                m.dying = true;
                m.keep_instance = keep_instance;
                m.removal_due.get_or_insert(due);
            }
        }
    }

    /// The whole cloud as JSON, for `GET /_sim/state`.
    pub fn snapshot(&self) -> serde_json::Value {
        let machines: Vec<serde_json::Value> = self
            .machines
            .iter()
            .filter(|m| !self.deleted.contains(&m.index))
            .map(|m| {
                serde_json::json!({
                    "system_id": m.system_id, "hostname": m.hostname, "status": m.status,
                    "status_name": status_name(m.status), "owner": m.owner, "owner_data": m.owner_data,
                    "agent_name": m.agent_name, "locked": m.locked, "power_state": m.power_state,
                })
            })
            .collect();
        let models: Vec<serde_json::Value> = self
            .models
            .iter()
            .map(|m| {
                serde_json::json!({
                    "name": m.name, "uuid": m.uuid, "owner": m.owner, "is_controller": m.is_controller,
                    "controller_uuid": m.controller_uuid,
                    "life": if m.dying { "dying" } else { "alive" },
                    "machines": m.machines.iter().map(|j| serde_json::json!({
                        "id": j.id, "instance_id": j.system_id, "hostname": j.hostname,
                        "life": if j.dying { "dying" } else { "alive" }, "stuck": j.stuck,
                    })).collect::<Vec<_>>(),
                    "applications": m.applications.iter().map(|a| serde_json::json!({
                        "name": a.name, "units": a.units.len(),
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        serde_json::json!({
            "scenario": self.scenario, "user": self.user, "controller": self.controller_name,
            "current_controller": self.current_controller,
            "models": models, "machines": machines,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::scenario;

    fn cloud(s: &str, faults: &[&str]) -> Cloud {
        let faults =
            Faults::parse(&faults.iter().map(|f| f.to_string()).collect::<Vec<_>>()).unwrap();
        scenario::build(s, faults, Clock::new(1000.0)).unwrap()
    }

    fn id(c: &Cloud, hostname: &str) -> String {
        c.machines
            .iter()
            .find(|m| m.hostname == hostname)
            .unwrap()
            .system_id
            .clone()
    }

    fn settle(c: &mut Cloud) {
        for _ in 0..4 {
            std::thread::sleep(std::time::Duration::from_millis(5));
            c.tick();
        }
    }

    #[test]
    fn release_follows_maas_status_rules() {
        let mut c = cloud("dirty", &[]);
        let target = id(&c, "openstack0");
        let i = c.by_system_id[&target];
        c.machines[i].status = 14;
        let err = c.release(&target, Some("admin")).unwrap_err();
        assert_eq!(
            (err.status, err.body.as_str()),
            (
                409,
                "Machine cannot be released in its current state ('Disk erasing')."
            )
        );
        c.machines[i].status = DEPLOYED;
        c.machines[i].locked = true;
        assert_eq!(c.release(&target, Some("admin")).unwrap_err().status, 403);
        c.machines[i].locked = false;
        assert_eq!(c.release(&target, Some("admin")), Ok(true));
        assert!(
            c.machines[i].agent_name.is_empty(),
            "release clears agent_name at once"
        );
        assert_eq!(
            c.machines[i].owner.as_deref(),
            Some("admin"),
            "the owner goes when the release finishes"
        );
        assert_eq!(c.release(&target, Some("admin")), Ok(false));
        settle(&mut c);
        assert_eq!(
            (c.machines[i].status, c.machines[i].owner.clone()),
            (READY, None)
        );
        assert!(c.machines[i].owner_data.is_empty());
        // A superuser (the default) may release alice's machine; anyone else may not.
        assert_eq!(c.release(&id(&c, "alice-db0"), Some("admin")), Ok(true));
        let mut c = cloud("dirty", &["maas-non-superuser"]);
        assert_eq!(
            c.release(&id(&c, "alice-db0"), Some("admin"))
                .unwrap_err()
                .status,
            403
        );
    }

    #[test]
    fn an_erasing_release_goes_through_disk_erasing_then_releasing_to_ready() {
        // Slow enough (erase 50 ms, release 100 ms) for polls every 5 ms to see each state.
        let mut c = scenario::build("dirty", Faults::default(), Clock::new(20.0)).unwrap();
        let target = id(&c, "openstack0");
        let i = c.by_system_id[&target];
        assert_eq!(c.release_erasing(&target, Some("admin"), true), Ok(true));
        assert_eq!(c.machines[i].status, DISK_ERASING);
        let mut seen = vec![DISK_ERASING];
        for _ in 0..400 {
            std::thread::sleep(std::time::Duration::from_millis(5));
            c.tick();
            if seen.last() != Some(&c.machines[i].status) {
                seen.push(c.machines[i].status);
            }
            if c.machines[i].status == READY {
                break;
            }
        }
        assert_eq!(seen, [DISK_ERASING, RELEASING, READY]);
        // MAAS's own setting erases whatever the request says.
        let mut c = cloud("dirty", &["erase-on-release"]);
        let target = id(&c, "openstack1");
        assert_eq!(c.release(&target, Some("admin")), Ok(true));
        assert_eq!(
            c.machine_by_system_id(&target).unwrap().status,
            DISK_ERASING
        );
    }

    #[test]
    fn foreign_and_partial_targets() {
        let mut c = cloud("foreign", &["maas-non-superuser"]);
        assert!(c.model("openstack").is_none());
        assert_eq!(
            c.release(&id(&c, "openstack0"), Some("admin"))
                .unwrap_err()
                .status,
            403
        );
        let c = cloud("partial", &[]);
        let owned: Vec<_> = c
            .machines
            .iter()
            .filter(|m| m.owner.as_deref() == Some("admin"))
            .map(|m| m.hostname.as_str())
            .collect();
        assert_eq!(
            owned,
            ["juju-controller-0", "openstack2", "openstack3", "capi-mgmt"]
        );
    }

    #[test]
    fn juju_releases_when_the_removal_was_due_however_late_the_next_request_comes() {
        let mut c = cloud("dirty", &[]);
        assert!(c.destroy_model("openstack", true));
        // Removal (1.5 ms) and release (2 ms) are both long past at this one tick.
        std::thread::sleep(std::time::Duration::from_millis(20));
        c.tick();
        assert!(c.model("openstack").is_none());
        assert!(c
            .machines
            .iter()
            .filter(|m| m.hostname.starts_with("openstack"))
            .all(|m| m.status == READY));
    }

    #[test]
    fn delete_on_destroy_deletes_that_node_and_releases_the_others() {
        let mut c = cloud("dirty", &["delete-on-destroy:openstack2"]);
        let gone = id(&c, "openstack2");
        assert!(c.destroy_model("openstack", true));
        settle(&mut c);
        assert!(c.model("openstack").is_none());
        assert!(c.machine_by_system_id(&gone).is_none());
        assert!(c.indexes_by_hostname("openstack2").is_empty());
        assert_eq!(c.release(&gone, Some("admin")).unwrap_err().status, 404);
        assert!(!c.snapshot().to_string().contains(&gone));
        assert_eq!(
            c.machine_by_system_id(&id(&c, "openstack1"))
                .unwrap()
                .status,
            READY
        );
    }

    #[test]
    fn juju_keeps_nodes_removes_the_model_and_leaves_its_nodes_deployed() {
        let mut c = cloud("dirty", &["juju-keeps-nodes"]);
        assert!(c.destroy_model("openstack", true));
        settle(&mut c);
        assert!(c.model("openstack").is_none());
        let nodes: Vec<_> = c
            .machines
            .iter()
            .filter(|m| m.hostname.starts_with("openstack"))
            .collect();
        assert_eq!(nodes.len(), 4);
        assert!(nodes.iter().all(|m| m.status == DEPLOYED));
    }

    #[test]
    fn model_stuck_keeps_the_model_but_releases_its_nodes() {
        let mut c = cloud("dirty", &["model-stuck"]);
        assert!(c.destroy_model("openstack", true));
        settle(&mut c);
        assert!(c
            .model("openstack")
            .is_some_and(|m| m.dying && m.machines.is_empty()));
        assert!(c
            .machines
            .iter()
            .filter(|m| m.hostname.starts_with("openstack"))
            .all(|m| m.status == READY));
    }
}
