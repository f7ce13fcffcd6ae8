//! A recorded real cloud as the simulator's starting state (`runbook sim serve --from
//! CLOUD.json`): the capture `runbook sim record` writes, read back into the same cloud
//! state the scenarios build, so releases, dying models and faults behave as usual.
//!
//! This file is the reading side of the capture format; the writing side is the host's
//! recorder (`src/commands/recorder.rs`). Neither imports the other: the format below is the contract.
//!
//! # The capture format, version 1
//!
//! One JSON object:
//!
//! ```text
//! format       "runbook-cloud-capture"
//! version      1 (a reader refuses a newer version)
//! recorded_at  RFC 3339 time of the recording
//! site         the site it was recorded for
//! all_machines true when every MAAS machine was recorded (`--all`), else the site's
//!              targets plus the nodes of the recorded models
//! maas.url     the MAAS API base it was recorded from (for people; never contacted)
//! maas.version `GET version/` as MAAS answered
//! maas.whoami  `GET users/?op=whoami` as MAAS answered
//! maas.machines  array of machine objects exactly as `GET machines/` returns them
//! juju.controller    the controller's name
//! juju.controllers   `juju controllers --format json`
//! juju.models        `juju models --format json`
//! juju.model_details map: model name as printed (`admin/openstack`) → object with
//!                    `show_model`, `status`, `machines` (`--format json` outputs) and
//!                    `bundle` (`export-bundle` YAML) or `bundle_error` (its failure)
//! ```
//!
//! Nothing secret is in a capture: the recorder drops keys that name secrets (passwords,
//! tokens, keys) and any text equal to the MAAS API key or a part of it. The replica gets
//! an API key of its own.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use axum::body::Bytes;
use serde_json::{Map, Value};

use super::clock::Clock;
use super::faults::Faults;
use super::scenario::API_KEY;
use super::state::{Application, Cloud, JujuMachine, MaasMachine, Model, Unit};

pub const FORMAT: &str = "runbook-cloud-capture";
pub const VERSION: u64 = 1;

/// What a capture holds that the cloud state has no field for.
#[derive(Debug, Clone, Default)]
pub struct Replay {
    /// The capture file, and when and for which site it was recorded.
    pub source: String,
    pub recorded_at: String,
    pub site: String,
    /// Each recorded machine object by system id: served with the moving fields updated.
    pub machine_json: HashMap<String, Map<String, Value>>,
    /// `export-bundle` per model uuid: the YAML, or the error Juju gave.
    pub bundles: HashMap<String, std::result::Result<String, String>>,
    /// `GET version/` as recorded.
    pub maas_version: Option<Value>,
}

/// Reads `path` and builds the cloud it describes.
pub fn load(path: &Path, faults: Faults, clock: Clock) -> Result<Cloud> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the capture `{}`", path.display()))?;
    let doc: Value = serde_json::from_str(&text).with_context(|| {
        format!(
            "`{}` is not a capture: it is not JSON (truncated?)",
            path.display()
        )
    })?;
    build(&doc, &path.display().to_string(), faults, clock)
        .with_context(|| format!("cannot serve the capture `{}`", path.display()))
}

/// The part of `doc` at `pointer` (`/maas/whoami`), or an error naming it.
fn part<'a>(doc: &'a Value, pointer: &str) -> Result<&'a Value> {
    doc.pointer(pointer)
        .filter(|v| !v.is_null())
        .ok_or_else(|| {
            anyhow!(
                "the capture has no `{}`; record it again with `runbook sim record`",
                pointer.trim_start_matches('/').replace('/', ".")
            )
        })
}

fn string<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// Builds the cloud of a parsed capture (`source` names it in messages).
pub fn build(doc: &Value, source: &str, faults: Faults, clock: Clock) -> Result<Cloud> {
    match doc.get("format").and_then(Value::as_str) {
        Some(FORMAT) => {}
        _ => {
            bail!("not a capture: `format` is not `{FORMAT}` (make one with `runbook sim record`)")
        }
    }
    let version = part(doc, "/version")?
        .as_u64()
        .ok_or_else(|| anyhow!("the capture's `version` is not a number"))?;
    if version > VERSION {
        bail!("the capture is format version {version}, newer than this runbook reads ({VERSION}); use a newer runbook");
    }
    let user = string(part(doc, "/maas/whoami")?, "username")
        .ok_or_else(|| anyhow!("the capture's `maas.whoami` has no `username`"))?
        .to_string();
    let recorded = part(doc, "/maas/machines")?
        .as_array()
        .ok_or_else(|| anyhow!("the capture's `maas.machines` is not an array"))?;
    let mut machines = Vec::with_capacity(recorded.len());
    let mut machine_json = HashMap::with_capacity(recorded.len());
    for (index, raw) in recorded.iter().enumerate() {
        let object = raw.as_object().ok_or_else(|| {
            anyhow!("the capture's `maas.machines[{index}]` is not a machine object")
        })?;
        let m = maas_machine(index, raw)?;
        machine_json.insert(m.system_id.clone(), object.clone());
        machines.push(m);
    }
    let by_system_id: HashMap<String, usize> = machines
        .iter()
        .map(|m| (m.system_id.clone(), m.index))
        .collect();
    if by_system_id.len() != machines.len() {
        bail!("the capture's `maas.machines` lists a system id twice");
    }
    let controllers = part(doc, "/juju/controllers")?;
    let controller_name = match doc.pointer("/juju/controller").and_then(Value::as_str) {
        Some(c) => c.to_string(),
        None => string(controllers, "current-controller")
            .ok_or_else(|| anyhow!("the capture names no Juju controller (`juju.controller`)"))?
            .to_string(),
    };
    let controller_uuid = controllers
        .pointer(&format!(
            "/controllers/{}/uuid",
            controller_name.replace('~', "~0").replace('/', "~1")
        ))
        .and_then(Value::as_str)
        .ok_or_else(|| {
            anyhow!(
                "the capture's `juju.controllers` has no uuid for controller `{controller_name}`"
            )
        })?
        .to_string();
    let listed = part(doc, "/juju/models/models")?
        .as_array()
        .ok_or_else(|| anyhow!("the capture's `juju.models.models` is not an array"))?;
    let details = doc
        .pointer("/juju/model_details")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut models = Vec::new();
    let mut bundles = HashMap::new();
    for (i, info) in listed.iter().enumerate() {
        let name = string(info, "name")
            .ok_or_else(|| anyhow!("the capture's `juju.models.models[{i}]` has no `name`"))?;
        let model = model(info, details.get(name), &by_system_id, &machines)
            .with_context(|| format!("model `{name}` in the capture"))?;
        if let Some(d) = details.get(name) {
            if let Some(yaml) = string(d, "bundle") {
                bundles.insert(model.uuid.clone(), Ok(yaml.to_string()));
            } else if let Some(e) = string(d, "bundle_error") {
                bundles.insert(model.uuid.clone(), Err(e.to_string()));
            }
        }
        models.push(model);
    }
    for m in &mut models {
        m.controller_uuid = controller_uuid.clone();
    }
    let mut cloud = Cloud {
        scenario: format!("from {source}"),
        user,
        api_key: API_KEY.to_string(),
        current_controller: controller_name.clone(),
        controller_name,
        controller_uuid,
        other_controllers: Vec::new(),
        models,
        machines,
        by_system_id,
        by_hostname: Default::default(),
        releasing: Default::default(),
        deleted: Default::default(),
        clock,
        faults,
        log: Vec::new(),
        juju: super::juju_formats::JujuMajor::default(),
        replay: Some(Replay {
            source: source.to_string(),
            recorded_at: string(doc, "recorded_at").unwrap_or("").to_string(),
            site: string(doc, "site").unwrap_or("").to_string(),
            machine_json,
            bundles,
            maas_version: doc.pointer("/maas/version").cloned(),
        }),
    };
    cloud.index_hostnames();
    for i in 0..cloud.machines.len() {
        cloud.rerender(i);
    }
    Ok(cloud)
}

fn maas_machine(index: usize, raw: &Value) -> Result<MaasMachine> {
    let field = |key: &str| {
        raw.get(key)
            .ok_or_else(|| anyhow!("the capture's `maas.machines[{index}]` has no `{key}`"))
    };
    let text = |key: &str| -> Result<String> {
        field(key)?
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| anyhow!("the capture's `maas.machines[{index}].{key}` is not text"))
    };
    let status = field("status")?
        .as_u64()
        .and_then(|s| u8::try_from(s).ok())
        .ok_or_else(|| {
            anyhow!("the capture's `maas.machines[{index}].status` is not a status number")
        })?;
    let owner = raw.get("owner").and_then(Value::as_str).map(str::to_string);
    let owner_data: BTreeMap<String, String> = raw
        .get("owner_data")
        .and_then(Value::as_object)
        .map(|o| {
            o.iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.as_str().map_or_else(|| v.to_string(), str::to_string),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    // `agent_name` is not displayed; Juju sets it to the model uuid it also puts in owner_data.
    let agent_name = if owner.is_some() {
        owner_data
            .get("juju-model-uuid")
            .cloned()
            .unwrap_or_default()
    } else {
        String::new()
    };
    let name_of = |key: &str| {
        raw.get(key)
            .and_then(|v| v.get("name"))
            .and_then(Value::as_str)
            .unwrap_or("default")
            .to_string()
    };
    Ok(MaasMachine {
        fixed_json: None,
        index,
        system_id: text("system_id")?,
        hostname: text("hostname")?,
        status,
        status_name_shown: None,
        status_message: raw
            .get("status_message")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        owner,
        owner_data,
        agent_name,
        locked: raw.get("locked").and_then(Value::as_bool).unwrap_or(false),
        power_state: match raw.get("power_state").and_then(Value::as_str) {
            Some("on") => "on",
            Some("off") => "off",
            Some("error") => "error",
            _ => "unknown",
        },
        power_type: match raw.get("power_type").and_then(Value::as_str) {
            Some("ipmi") => "ipmi",
            _ => "virsh",
        },
        zone: name_of("zone"),
        pool: name_of("pool"),
        tags: raw
            .get("tag_names")
            .and_then(Value::as_array)
            .map(|t| {
                t.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default(),
        release_due: None,
        json: Bytes::new(),
    })
}

/// One model from its `juju models` entry and, when recorded, its status.
fn model(
    info: &Value,
    details: Option<&Value>,
    by_system_id: &HashMap<String, usize>,
    machines: &[MaasMachine],
) -> Result<Model> {
    let printed = string(info, "name").unwrap_or_default();
    let name = string(info, "short-name")
        .map(str::to_string)
        .unwrap_or_else(|| printed.rsplit('/').next().unwrap_or(printed).to_string());
    let uuid = string(info, "model-uuid")
        .ok_or_else(|| anyhow!("no `model-uuid`"))?
        .to_string();
    // Juju 4.0 prints no `owner`: the qualifier is the printed name's prefix.
    let owner = string(info, "owner")
        .map(str::to_string)
        .or_else(|| printed.split_once('/').map(|(q, _)| q.to_string()))
        .unwrap_or_else(|| "admin".to_string());
    let mut model = Model {
        name,
        uuid,
        owner,
        // Set to the capture's controller by the caller.
        controller_uuid: String::new(),
        is_controller: info.get("is-controller").and_then(Value::as_bool) == Some(true),
        dying: string(info, "life") == Some("dying"),
        awaiting_force: false,
        removal_due: None,
        machines: Vec::new(),
        applications: Vec::new(),
    };
    // A dying model stays dying until a forced destroy moves it on, as in scenario `destroying`.
    model.awaiting_force = model.dying;
    let Some(status) = details
        .and_then(|d| d.get("status"))
        .filter(|s| !s.is_null())
    else {
        return Ok(model);
    };
    let mut flat = Vec::new();
    if let Some(map) = status.get("machines").and_then(Value::as_object) {
        flatten_machines(map, &mut flat);
    }
    for (id, m) in flat {
        let system_id = string(m, "instance-id").unwrap_or_default().to_string();
        let index = by_system_id.get(&system_id).copied();
        let hostname = string(m, "display-name")
            .or_else(|| string(m, "hostname"))
            .map(str::to_string)
            .or_else(|| index.map(|i| machines[i].hostname.clone()))
            .unwrap_or_default();
        let dying = m.pointer("/juju-status/life").and_then(Value::as_str) == Some("dying");
        model.machines.push(JujuMachine {
            id,
            system_id,
            hostname,
            // Not recorded in MAAS: an index past every machine (only addresses use it).
            index: index.unwrap_or(machines.len()),
            dying,
            stuck: false,
            keep_instance: false,
            removal_due: None,
        });
    }
    if let Some(apps) = status.get("applications").and_then(Value::as_object) {
        for (app_name, app) in apps {
            let mut units = Vec::new();
            if let Some(map) = app.get("units").and_then(Value::as_object) {
                for (unit_name, unit) in map {
                    let number = unit_name
                        .rsplit('/')
                        .next()
                        .and_then(|n| n.parse().ok())
                        .unwrap_or(0);
                    units.push(Unit {
                        number,
                        machine: string(unit, "machine").unwrap_or_default().to_string(),
                        leader: unit.get("leader").and_then(Value::as_bool) == Some(true),
                    });
                }
            }
            units.sort_by_key(|u| u.number);
            model.applications.push(Application {
                name: app_name.clone(),
                charm: string(app, "charm-name")
                    .or_else(|| string(app, "charm"))
                    .unwrap_or(app_name)
                    .to_string(),
                channel: string(app, "charm-channel").unwrap_or("").to_string(),
                revision: app
                    .get("charm-rev")
                    .and_then(Value::as_u64)
                    .and_then(|r| u32::try_from(r).ok())
                    .unwrap_or(0),
                units,
            });
        }
    }
    Ok(model)
}

/// Machines and their containers (`2/lxd/0`), in Juju's order.
fn flatten_machines<'a>(map: &'a Map<String, Value>, out: &mut Vec<(String, &'a Value)>) {
    for (id, m) in map {
        out.push((id.clone(), m));
        if let Some(containers) = m.get("containers").and_then(Value::as_object) {
            flatten_machines(containers, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn capture() -> Value {
        json!({
            "format": FORMAT, "version": 1, "recorded_at": "2026-12-03T10:00:00Z", "site": "x",
            "maas": {
                "version": {"version": "3.6.1"},
                "whoami": {"username": "ops"},
                "machines": [
                    {"system_id": "abc123", "hostname": "n0", "status": 6, "status_name": "Deployed",
                     "owner": "ops", "owner_data": {"juju-model-uuid": "u-1"}, "locked": false,
                     "power_state": "on", "zone": {"name": "z1"}, "pool": {"name": "p1"},
                     "tag_names": ["t"], "cpu_count": 64},
                ],
            },
            "juju": {
                "controller": "c1",
                "controllers": {"controllers": {"c1": {"uuid": "c-uuid"}}, "current-controller": "c1"},
                "models": {"models": [
                    {"name": "ops/m1", "short-name": "m1", "model-uuid": "u-1", "life": "alive"},
                ]},
                "model_details": {"ops/m1": {
                    "status": {"machines": {"0": {"instance-id": "abc123", "display-name": "n0",
                        "containers": {"0/lxd/0": {"instance-id": "juju-x-0-lxd-0"}}}},
                        "applications": {"app": {"charm-name": "app", "charm-rev": 7,
                            "units": {"app/0": {"machine": "0/lxd/0", "leader": true}}}}},
                    "bundle": "applications: {}\n",
                }},
            },
        })
    }

    fn load(doc: &Value) -> Result<Cloud> {
        build(doc, "test.json", Faults::default(), Clock::new(1000.0))
    }

    fn error(doc: &Value) -> String {
        match load(doc) {
            Ok(_) => panic!("the capture was accepted"),
            Err(e) => format!("{e:#}"),
        }
    }

    #[test]
    fn a_capture_becomes_a_cloud_with_its_recorded_machine_objects() {
        let cloud = load(&capture()).unwrap();
        assert_eq!(
            (cloud.user.as_str(), cloud.controller_uuid.as_str()),
            ("ops", "c-uuid")
        );
        let m = &cloud.machines[0];
        assert_eq!(
            (m.status, m.agent_name.as_str(), m.zone.as_str()),
            (6, "u-1", "z1")
        );
        let served: Value = serde_json::from_slice(&m.json).unwrap();
        assert_eq!(
            served["cpu_count"], 64,
            "recorded fields are served as recorded"
        );
        let model = cloud.model("m1").unwrap();
        assert_eq!(model.owner, "ops");
        let ids: Vec<&str> = model.machines.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["0", "0/lxd/0"]);
        assert_eq!(model.applications[0].units[0].machine, "0/lxd/0");
    }

    #[test]
    fn missing_parts_newer_versions_and_other_files_are_named() {
        let mut doc = capture();
        doc["maas"].as_object_mut().unwrap().remove("whoami");
        let err = error(&doc);
        assert!(err.contains("no `maas.whoami`"), "{err}");
        let mut doc = capture();
        doc["version"] = json!(2);
        let err = error(&doc);
        assert!(err.contains("format version 2, newer"), "{err}");
        let err = error(&json!({"models": []}));
        assert!(err.contains("not a capture"), "{err}");
        let mut doc = capture();
        doc["juju"]["models"] = json!({});
        let err = error(&doc);
        assert!(err.contains("no `juju.models.models`"), "{err}");
    }
}
