//! `juju status -m MODEL --format json` summarised (what is left in a model: applications,
//! units with their subordinates, machines with their containers) and `juju machines`,
//! machines sorted numerically. Any entity may be a `status-error`; in 4.x any nested field
//! may be missing or null.

use std::collections::BTreeMap;

use anyhow::Result;
use serde::Deserialize;

use super::json::{from_json, map_or_null, non_empty, RawStatusInfo};
use super::types::{Application, Machine, Status, Unit};

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "kebab-case")]
struct RawMachine {
    juju_status: Option<RawStatusInfo>,
    hostname: Option<String>,
    display_name: Option<String>,
    dns_name: Option<String>,
    instance_id: Option<String>,
    #[serde(deserialize_with = "map_or_null")]
    containers: BTreeMap<String, serde::de::IgnoredAny>,
    status_error: Option<String>,
}

fn machine_from_raw(id: String, m: RawMachine) -> Machine {
    let js = m.juju_status.unwrap_or_default();
    let error = m.status_error.or(js.status_error);
    let mut containers: Vec<String> = m.containers.into_keys().collect();
    sort_ids(&mut containers);
    Machine {
        id,
        instance_id: m.instance_id.unwrap_or_default(),
        dns_name: m.dns_name.unwrap_or_default(),
        hostname: non_empty(m.display_name).or(m.hostname).unwrap_or_default(),
        status: if error.is_some() {
            "error".into()
        } else {
            js.current.unwrap_or_default()
        },
        life: non_empty(js.life).unwrap_or_else(|| "alive".into()),
        containers,
        error,
    }
}

/// The key Juju ids sort by the way humans count ("2" before "10", "0/lxd/1" after "0").
fn id_key(id: &str) -> Vec<(u8, u64, String)> {
    id.split('/')
        .map(|part| match part.parse::<u64>() {
            Ok(n) => (0u8, n, String::new()),
            Err(_) => (1u8, 0, part.to_string()),
        })
        .collect()
}

/// Juju ids sort as strings ("10" before "2"); sort them the way humans count.
fn sort_ids(ids: &mut [String]) {
    ids.sort_by_cached_key(|id| id_key(id));
}

fn machines_from_map(map: BTreeMap<String, RawMachine>) -> Vec<Machine> {
    let mut machines: Vec<Machine> = map
        .into_iter()
        .map(|(id, m)| machine_from_raw(id, m))
        .collect();
    // Keyed once per machine: looking each id up in a sorted list was quadratic (seconds
    // for a 10,000-machine model).
    machines.sort_by_cached_key(|m| id_key(&m.id));
    machines
}

#[derive(Deserialize)]
struct RawMachines {
    #[serde(default, deserialize_with = "map_or_null")]
    machines: BTreeMap<String, RawMachine>,
}

pub(crate) fn parse_machines(json: &str) -> Result<Vec<Machine>> {
    let raw: RawMachines = from_json(
        json,
        "machines",
        " (expected `{\"model\": ..., \"machines\": {...}}`)",
    )?;
    Ok(machines_from_map(raw.machines))
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "kebab-case")]
struct RawStatus {
    model: Option<RawStatusModel>,
    #[serde(deserialize_with = "map_or_null")]
    machines: BTreeMap<String, RawMachine>,
    #[serde(deserialize_with = "map_or_null")]
    applications: BTreeMap<String, RawApplication>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "kebab-case")]
struct RawStatusModel {
    name: Option<String>,
    controller: Option<String>,
    model_status: Option<RawStatusInfo>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "kebab-case")]
struct RawApplication {
    application_status: Option<RawStatusInfo>,
    #[serde(deserialize_with = "map_or_null")]
    units: BTreeMap<String, RawUnit>,
    status_error: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "kebab-case")]
struct RawUnit {
    machine: Option<String>,
    workload_status: Option<RawStatusInfo>,
    juju_status: Option<RawStatusInfo>,
    status_error: Option<String>,
    /// Units of subordinate applications (e.g. `ntp/0`), on the principal's machine.
    #[serde(deserialize_with = "map_or_null")]
    subordinates: BTreeMap<String, RawUnit>,
}

/// One unit; a subordinate's application is the part of its name before `/`.
fn unit_from_raw(name: String, u: RawUnit, machine: String) -> Unit {
    let workload = u.workload_status.unwrap_or_default();
    let agent = u.juju_status.unwrap_or_default();
    let error = u
        .status_error
        .or(workload.status_error)
        .or(agent.status_error);
    Unit {
        application: name.split('/').next().unwrap_or_default().to_string(),
        name,
        machine,
        workload_status: workload.current.unwrap_or_default(),
        agent_status: agent.current.unwrap_or_default(),
        principal: None,
        error,
    }
}

pub(crate) fn parse_status(json: &str) -> Result<Status> {
    let raw: RawStatus = from_json(json, "status", "")?;
    let model = raw.model.unwrap_or_default();
    let mut applications = Vec::new();
    let mut units = Vec::new();
    for (app_name, app) in raw.applications {
        let app_status = app.application_status.unwrap_or_default();
        let error = app.status_error.or(app_status.status_error);
        applications.push(Application {
            name: app_name.clone(),
            status: if error.is_some() {
                "error".into()
            } else {
                app_status.current.unwrap_or_default()
            },
            unit_count: app.units.len(),
            error,
        });
        for (unit_name, mut u) in app.units {
            let machine = u.machine.clone().unwrap_or_default();
            for (sub_name, sub) in std::mem::take(&mut u.subordinates) {
                let mut sub = unit_from_raw(sub_name, sub, machine.clone());
                sub.principal = Some(unit_name.clone());
                units.push(sub);
            }
            units.push(unit_from_raw(unit_name, u, machine));
        }
    }
    // A subordinate application lists no units of its own: count the ones under principals.
    for app in applications.iter_mut().filter(|a| a.unit_count == 0) {
        app.unit_count = units.iter().filter(|u| u.application == app.name).count();
    }
    let machines = machines_from_map(raw.machines);
    let model_status = model.model_status.unwrap_or_default();
    Ok(Status {
        model: model.name.unwrap_or_default(),
        controller: model.controller.unwrap_or_default(),
        model_status: model_status
            .current
            .or(model_status.status_error.map(|_| "error".to_string()))
            .unwrap_or_default(),
        application_count: applications.len(),
        unit_count: units.len(),
        subordinate_count: units.iter().filter(|u| u.principal.is_some()).count(),
        machine_count: machines.len(),
        applications,
        units,
        machines,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clients::juju::test_support::fixture;

    const STATUS: &str = r#"{"model":{"name":"openstack","type":"iaas","controller":"maas-ctl","cloud":"maas","version":"3.6.4","model-status":{"current":"available","since":"1 hour ago"}},"machines":{"0":{"juju-status":{"current":"started","since":"x","version":"3.6.4"},"hostname":"node0","dns-name":"10.0.0.10","ip-addresses":["10.0.0.10"],"instance-id":"abc123","display-name":"openstack0","machine-status":{"current":"running"},"base":{"name":"ubuntu","channel":"22.04"},"containers":{"0/lxd/10":{"juju-status":{"current":"started"}},"0/lxd/2":{"juju-status":{"current":"started"}}},"hardware":"arch=amd64"},"10":{"juju-status":{"current":"down","life":"dying"},"dns-name":"10.0.0.20","instance-id":"def456"},"2":{"status-error":"machine status error!"}},"applications":{"keystone":{"charm":"keystone","application-status":{"current":"active"},"units":{"keystone/0":{"machine":"0/lxd/2","workload-status":{"current":"active"},"juju-status":{"current":"idle"},"leader":true},"keystone/1":{"status-error":"unit status error!"}}},"broken":{"status-error":"app status error!"}},"storage":{},"controller":{"timestamp":"10:00:00Z"}}"#;

    #[test]
    fn status_summarises_applications_units_and_machines() {
        let s = parse_status(STATUS).unwrap();
        assert_eq!(s.model, "openstack");
        assert_eq!(s.controller, "maas-ctl");
        assert_eq!(s.model_status, "available");
        assert_eq!(
            (s.application_count, s.unit_count, s.machine_count),
            (2, 2, 3)
        );
        let ids: Vec<&str> = s.machines.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["0", "2", "10"]);
        assert_eq!(s.machines[0].instance_id, "abc123");
        assert_eq!(s.machines[0].hostname, "openstack0");
        assert_eq!(s.machines[0].containers, ["0/lxd/2", "0/lxd/10"]);
        assert_eq!(s.machines[1].status, "error");
        assert_eq!(
            s.machines[1].error.as_deref(),
            Some("machine status error!")
        );
        assert_eq!(s.machines[2].life, "dying");
        let broken = s.applications.iter().find(|a| a.name == "broken").unwrap();
        assert_eq!(broken.error.as_deref(), Some("app status error!"));
        let k0 = s.units.iter().find(|u| u.name == "keystone/0").unwrap();
        assert_eq!(
            (
                k0.machine.as_str(),
                k0.workload_status.as_str(),
                k0.agent_status.as_str()
            ),
            ("0/lxd/2", "active", "idle")
        );
        let k1 = s.units.iter().find(|u| u.name == "keystone/1").unwrap();
        assert_eq!(k1.error.as_deref(), Some("unit status error!"));
    }

    // Juju 4.0 status: nested fields missing or null, no `since`, a subordinate application
    // with no units of its own.
    const STATUS_4: &str = r#"{"model":{"name":"openstack","type":"iaas","controller":"maas-ctl","version":"4.0.16","model-status":{"current":"available"}},"machines":{"0":{"juju-status":{"current":"started","version":null},"instance-id":"abc123","display-name":null,"hostname":"node0","containers":null,"base":null},"1":{"instance-id":"def456"}},"applications":{"ntp":{"application-status":{"current":"active"},"subordinate-to":["keystone"],"units":null},"keystone":{"application-status":null,"units":{"keystone/0":{"machine":"0","workload-status":{"current":"active"},"juju-status":{"current":"idle"},"subordinates":{"ntp/0":{"workload-status":{"current":"active"}}}},"keystone/1":{"machine":"1","subordinates":null}}}},"storage":null}"#;

    #[test]
    fn status_of_juju_4_with_missing_nested_fields_and_subordinates() {
        let s = parse_status(STATUS_4).unwrap();
        assert_eq!(
            (
                s.application_count,
                s.unit_count,
                s.subordinate_count,
                s.machine_count
            ),
            (2, 3, 1, 2)
        );
        let ntp = s.applications.iter().find(|a| a.name == "ntp").unwrap();
        assert_eq!(ntp.unit_count, 1);
        let sub = s.units.iter().find(|u| u.name == "ntp/0").unwrap();
        assert_eq!(
            (sub.machine.as_str(), sub.principal.as_deref()),
            ("0", Some("keystone/0"))
        );
        assert_eq!(s.machines[0].hostname, "node0");
        assert!(s.machines[0].containers.is_empty());
        assert_eq!(s.machines[1].status, "");
        assert!(parse_status(r#"{"model":null,"machines":null,"applications":null}"#).is_ok());
    }

    #[test]
    fn status_of_an_empty_model() {
        let s = parse_status(r#"{"model":{"name":"openstack","model-status":{"status-error":"boom"}},"machines":{},"applications":{}}"#).unwrap();
        assert_eq!(
            (s.machine_count, s.unit_count, s.application_count),
            (0, 0, 0)
        );
        assert_eq!(s.model_status, "error");
    }

    #[test]
    fn machines_are_sorted_numerically() {
        let json = r#"{"model":"openstack","machines":{"0":{"juju-status":{"current":"started"},"instance-id":"a"},"1":{"instance-id":"b","dns-name":""},"10":{"instance-id":"c"},"2":{"instance-id":"d","juju-status":{"current":"pending","life":""}}}}"#;
        let m = parse_machines(json).unwrap();
        let ids: Vec<&str> = m.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["0", "1", "2", "10"]);
        assert_eq!(m[3].instance_id, "c");
        assert_eq!(m[2].life, "alive");
        assert_eq!(m[1].status, "");
        assert!(parse_machines(r#"{"model":"x","machines":{}}"#)
            .unwrap()
            .is_empty());
        assert!(parse_machines("[").is_err());
    }

    #[test]
    fn fixture_status_and_machines_agree() {
        let s = parse_status(&fixture("juju-status-openstack-3.6.json")).unwrap();
        // The subordinate keystone-mysql-router/0 counts as a unit, on its principal's machine.
        assert_eq!(
            (
                s.application_count,
                s.unit_count,
                s.subordinate_count,
                s.machine_count
            ),
            (3, 5, 1, 3)
        );
        let sub = s
            .units
            .iter()
            .find(|u| u.name == "keystone-mysql-router/0")
            .unwrap();
        let principal = s
            .units
            .iter()
            .find(|u| Some(&u.name) == sub.principal.as_ref())
            .unwrap();
        assert_eq!(sub.machine, principal.machine);
        assert_eq!(sub.application, "keystone-mysql-router");
        let ids: Vec<&str> = s.machines.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["0", "1", "10"]);
        assert_eq!(s.machines[0].containers, ["0/lxd/0"]);
        assert_eq!(
            (s.machines[2].status.as_str(), s.machines[2].life.as_str()),
            ("down", "dying")
        );
        let lost = s.units.iter().find(|u| u.name == "ceph-osd/2").unwrap();
        assert_eq!(
            (lost.machine.as_str(), lost.agent_status.as_str()),
            ("10", "lost")
        );
        let m = parse_machines(&fixture("juju-machines-openstack-3.6.json")).unwrap();
        assert_eq!(m, s.machines);
        let instance_ids: Vec<&str> = m.iter().map(|m| m.instance_id.as_str()).collect();
        assert_eq!(instance_ids, ["4y3h7n", "4y3h7p", "4y3h7q"]);
    }
}
