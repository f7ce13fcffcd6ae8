//! Juju 3.6 and 4.0 output shapes (docs/formats.md): `models`, `show-model`, `status`, `machines`,
//! `controllers` as JSON, and `export-bundle` as YAML. Pure renderers over the cloud state.
//! Over 600 lines (about 670 of code): one short renderer per command and Juju major, side
//! by side so the two majors' shapes can be compared.

use serde_json::{json, Map, Value};

use super::state::{Cloud, JujuMachine, Model, Unit};

/// The Juju the simulator plays (`sim serve --juju`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum JujuMajor {
    /// 3.6 LTS: model entries carry `owner`.
    #[default]
    #[serde(rename = "3.6")]
    V36,
    /// 4.0: no `owner`; the qualifier only in `name`; fewer nested status fields.
    #[serde(rename = "4.0")]
    V40,
}

impl JujuMajor {
    pub fn parse(s: &str) -> Result<JujuMajor, String> {
        match s {
            "3.6" | "3" => Ok(JujuMajor::V36),
            "4.0" | "4" => Ok(JujuMajor::V40),
            other => Err(format!(
                "unknown Juju `{other}`: the simulator plays 3.6 or 4.0"
            )),
        }
    }

    /// The agent and client version.
    pub fn version(self) -> &'static str {
        match self {
            JujuMajor::V36 => "3.6.24",
            JujuMajor::V40 => "4.0.16",
        }
    }

    /// What `juju version` prints.
    pub fn version_line(self) -> String {
        match self {
            JujuMajor::V36 => format!("{}-genericlinux-amd64\n", self.version()),
            JujuMajor::V40 => format!("{}-ubuntu-amd64\n", self.version()),
        }
    }

    pub fn is_4(self) -> bool {
        self == JujuMajor::V40
    }
}
const CLOUD: &str = "maas-cloud";
const SINCE: &str = "23 Nov 2026 09:12:44Z";
const CA_CERT: &str = "-----BEGIN CERTIFICATE-----\nMIIEEzCCAnugAwIBAgIVAK9sim0000000000000000000000000000MA0GCSqGSIb3\n-----END CERTIFICATE-----\n";

fn life(dying: bool) -> &'static str {
    if dying {
        "dying"
    } else {
        "alive"
    }
}

fn model_status(model: &Model) -> Value {
    if model.dying {
        json!({"current": "destroying", "message": "the model is being destroyed", "since": "2 minutes ago"})
    } else {
        json!({"current": "available", "since": "18 hours ago"})
    }
}

/// One model as `juju models` prints it: 3.6 has `owner`; 4.0 has neither `owner` nor
/// `qualifier` (the qualifier is the part of `name` before `/`). Neither prints `sla`,
/// `users` or `credential.validity-check` here.
pub fn model_info(cloud: &Cloud, model: &Model) -> Value {
    let version = cloud.juju.version();
    let mut info = json!({
        "name": format!("{}/{}", model.owner, model.name), "short-name": model.name,
        "model-uuid": model.uuid, "model-type": "iaas", "controller-uuid": model.controller_uuid,
        "controller-name": cloud.controller_name_of(&model.controller_uuid), "is-controller": model.is_controller,
        "cloud": CLOUD, "region": "default", "type": "maas",
        "credential": {"name": "maas-creds", "owner": model.owner, "cloud": CLOUD},
        "life": life(model.dying), "status": model_status(model), "access": "admin",
        "last-connection": "just now", "agent-version": version,
    });
    if !cloud.juju.is_4() {
        info["owner"] = json!(model.owner);
    }
    info
}

/// `juju models` on the controller with uuid `controller_uuid`.
pub fn models(cloud: &Cloud, controller_uuid: &str, current: Option<&str>) -> Value {
    let list: Vec<Value> = cloud
        .models_on(controller_uuid)
        .map(|m| model_info(cloud, m))
        .collect();
    let mut out = json!({"models": list});
    if let Some(current) = current {
        out["current-model"] = json!(current);
    }
    out
}

/// `juju show-model`: one object keyed by the model's name, with `supported-features` and without
/// the top-level `access`/`last-connection` of `juju models`. 3.6 adds `owner`, `users`,
/// `sla` and the credential's `validity-check`; 4.0 lists `machines {id: {cores}}`.
pub fn show_model(cloud: &Cloud, model: &Model) -> Value {
    let version = cloud.juju.version();
    let qualified = format!("{}/{}", model.owner, model.name);
    let mut info = json!({
        "name": qualified, "short-name": model.name, "model-uuid": model.uuid, "model-type": "iaas",
        "controller-uuid": model.controller_uuid, "controller-name": cloud.controller_name_of(&model.controller_uuid),
        "is-controller": model.is_controller, "cloud": CLOUD, "region": "default", "type": "maas",
        "life": life(model.dying), "status": model_status(model), "agent-version": version,
        "credential": {"name": "maas-creds", "owner": model.owner, "cloud": CLOUD},
        "supported-features": [{"name": "juju", "description": "the version of Juju used by the model", "version": version}],
    });
    if cloud.juju.is_4() {
        let machines: Map<String, Value> = model
            .machines
            .iter()
            .map(|m| (m.id.clone(), json!({"cores": 8})))
            .collect();
        info["machines"] = Value::Object(machines);
    } else {
        info["owner"] = json!(model.owner);
        info["users"] = json!({model.owner.clone(): {"display-name": model.owner, "access": "admin", "last-connection": "just now"}});
        info["sla"] = json!("unsupported");
        info["credential"]["validity-check"] = json!("valid");
    }
    // 3.6 keys the object by the short name, 4.0 by the qualified name.
    let key = if cloud.juju.is_4() {
        qualified
    } else {
        model.name.clone()
    };
    json!({ key: info })
}

fn machine(cloud: &Cloud, m: &JujuMachine) -> Value {
    let version = cloud.juju.version();
    let ip = format!(
        "10.{}.{}.{}",
        20 + (m.index / 65_000),
        (m.index / 250) % 250 + 1,
        m.index % 250 + 2
    );
    // 4.0 leaves the machine agent's `version` null.
    let agent_version = if cloud.juju.is_4() {
        Value::Null
    } else {
        json!(version)
    };
    let mut juju_status = json!({"current": "started", "since": SINCE, "version": agent_version});
    if m.dying {
        juju_status["life"] = json!("dying");
    }
    let zone = cloud
        .machines
        .get(m.index)
        .map(|x| x.zone.as_str())
        .unwrap_or("default");
    json!({
        "juju-status": juju_status, "hostname": m.hostname, "dns-name": ip, "ip-addresses": [ip],
        "instance-id": m.system_id, "display-name": m.hostname,
        "machine-status": {"current": "running", "message": "Deployed", "since": SINCE},
        "modification-status": {"current": "idle", "since": SINCE},
        "base": {"name": "ubuntu", "channel": "22.04"},
        "network-interfaces": {"enp1s0": {"ip-addresses": [ip], "mac-address": format!("52:54:00:00:{:02x}:{:02x}", (m.index >> 8) & 0xff, m.index & 0xff),
            "gateway": "10.20.0.1", "space": "alpha", "is-up": true}},
        "constraints": "arch=amd64 tags=virtual",
        "hardware": format!("arch=amd64 cores=8 mem=32768M tags=virtual availability-zone={zone}"),
    })
}

fn machines_map(cloud: &Cloud, model: &Model) -> Value {
    let map: Map<String, Value> = model
        .machines
        .iter()
        .map(|m| (m.id.clone(), machine(cloud, m)))
        .collect();
    Value::Object(map)
}

fn applications(cloud: &Cloud, model: &Model) -> Value {
    let version = cloud.juju.version();
    let mut apps = Map::new();
    for app in &model.applications {
        let mut units = Map::new();
        for u in &app.units {
            let address = model.machines.iter().find(|m| m.id == u.machine).map(|m| {
                format!(
                    "10.{}.{}.{}",
                    20 + (m.index / 65_000),
                    (m.index / 250) % 250 + 1,
                    m.index % 250 + 2
                )
            });
            // 4.0 drops the unit agent's `since`.
            let mut agent = json!({"current": "idle", "version": version});
            if !cloud.juju.is_4() {
                agent["since"] = json!(SINCE);
            }
            let mut unit = json!({
                "workload-status": {"current": "active", "message": "Unit is ready", "since": SINCE},
                "juju-status": agent,
                "machine": u.machine, "public-address": address,
            });
            if u.leader {
                unit["leader"] = json!(true);
            }
            units.insert(format!("{}/{}", app.name, u.number), unit);
        }
        apps.insert(
            app.name.clone(),
            json!({
                "charm": app.charm, "base": {"name": "ubuntu", "channel": "22.04"}, "charm-origin": "charmhub",
                "charm-name": app.charm, "charm-rev": app.revision, "charm-channel": app.channel, "exposed": false,
                "application-status": {"current": "active", "message": "Unit is ready", "since": SINCE},
                "units": units, "endpoint-bindings": {"": "alpha"},
            }),
        );
    }
    Value::Object(apps)
}

pub fn status(cloud: &Cloud, model: &Model) -> Value {
    let ms = model_status(model);
    let mut out = json!({
        "model": {"name": model.name, "type": "iaas", "controller": cloud.controller_name_of(&model.controller_uuid), "cloud": CLOUD,
            "region": "default", "version": cloud.juju.version(),
            "model-status": {"current": ms["current"], "since": SINCE}},
        "machines": machines_map(cloud, model),
        "applications": applications(cloud, model),
        "controller": {"timestamp": "09:14:02Z"},
    });
    if !cloud.juju.is_4() {
        out["model"]["sla"] = json!("unsupported");
    }
    // `storage` is always there (`{}` when the model has none); with storage, Juju lists the
    // storage instances (`storage`) and the volumes behind them.
    let volumes = storage(model);
    out["storage"] = if volumes.is_empty() {
        json!({})
    } else {
        json!({"storage": Value::Object(storage_instances(model)), "volumes": Value::Object(volumes)})
    };
    out
}

/// The storage instances (`osd-devices/N`, one per ceph-osd unit), keyed as Juju keys them.
fn storage_instances(model: &Model) -> Map<String, Value> {
    osd_units(model)
        .enumerate()
        .map(|(i, u)| {
            let unit = format!("ceph-osd/{}", u.number);
            let attachment = json!({"machine": u.machine, "location": "/dev/vdb", "life": "alive"});
            (
                format!("osd-devices/{i}"),
                json!({"kind": "block", "life": "alive", "status": {"current": "attached", "since": SINCE},
                    "persistent": true, "attachments": {"units": {unit: attachment}}}),
            )
        })
        .collect()
}

fn osd_units(model: &Model) -> impl Iterator<Item = &Unit> {
    model
        .applications
        .iter()
        .filter(|a| a.name == "ceph-osd")
        .flat_map(|a| a.units.iter())
}

/// The model's persistent volumes (one `osd-devices` volume per ceph-osd unit).
pub fn volume_count(model: &Model) -> usize {
    osd_units(model).count()
}

fn storage(model: &Model) -> Map<String, Value> {
    let mut volumes = Map::new();
    for (i, u) in osd_units(model).enumerate() {
        volumes.insert(
            format!("{i}"),
            json!({"provider-id": format!("volume-{i}"), "storage": format!("osd-devices/{i}"),
                "attachments": {"machines": {u.machine.clone(): {"device": "vdb", "read-only": false, "life": "alive"}},
                    "units": {format!("ceph-osd/{}", u.number): {"machine": u.machine, "location": "/dev/vdb", "life": "alive"}}},
                "pool": "maas", "size": 1024, "persistent": true, "life": "alive",
                "status": {"current": "attached", "since": SINCE}}),
        );
    }
    volumes
}

pub fn machines(cloud: &Cloud, model: &Model) -> Value {
    json!({"model": model.name, "machines": machines_map(cloud, model)})
}

/// `juju controllers`: every registered controller, each with its counts and, where the
/// user has an `openstack` model on it, that model as its current model.
pub fn controllers(cloud: &Cloud) -> Value {
    let mut list = Map::new();
    for c in cloud.registered_controllers() {
        let models: Vec<&Model> = cloud.models_on(&c.uuid).collect();
        let machine_count: usize = models.iter().map(|m| m.machines.len()).sum();
        let mut item = json!({
            "user": cloud.user, "access": "superuser", "recent-server": "10.20.0.2:17070",
            "uuid": c.uuid, "api-endpoints": ["10.20.0.2:17070"], "ca-cert": CA_CERT,
            "cloud": CLOUD, "region": "default", "agent-version": cloud.juju.version(),
            "model-count": models.len(), "machine-count": machine_count,
            "controller-machines": {"Active": 1, "Total": 1},
        });
        if let Some(m) = models
            .iter()
            .find(|m| m.name == "openstack" && m.owner == cloud.user)
        {
            item["current-model"] = json!(format!("{}/{}", m.owner, m.name));
        }
        list.insert(c.name, item);
    }
    let mut out = json!({ "controllers": list });
    if list_has(&out, &cloud.current_controller) {
        out["current-controller"] = json!(cloud.current_controller);
    }
    out
}

fn list_has(out: &Value, name: &str) -> bool {
    out["controllers"].get(name).is_some()
}

/// `juju export-bundle` YAML (Juju 3.x: `default-base`, `to` placements, `machines`).
pub fn bundle(model: &Model) -> String {
    let mut y = String::from("default-base: ubuntu@22.04/stable\n");
    // An empty model's bundle still says it has no applications: `{}`, never a bare key.
    y.push_str(if model.applications.is_empty() {
        "applications: {}\n"
    } else {
        "applications:\n"
    });
    for app in &model.applications {
        y.push_str(&format!(
            "  {}:\n    charm: {}\n    channel: {}\n    revision: {}\n    num_units: {}\n    to:\n",
            app.name,
            app.charm,
            app.channel,
            app.revision,
            app.units.len()
        ));
        for u in &app.units {
            y.push_str(&format!("    - \"{}\"\n", u.machine));
        }
        if app.name == "ceph-osd" {
            y.push_str("    options:\n      osd-devices: /dev/vdb /dev/vdc\n    storage:\n      osd-devices: loop,1024M\n");
        }
    }
    y.push_str("machines:\n");
    for m in &model.machines {
        y.push_str(&format!(
            "  \"{}\":\n    constraints: arch=amd64 tags=virtual\n",
            m.id
        ));
    }
    let names: Vec<&str> = model.applications.iter().map(|a| a.name.as_str()).collect();
    let relations = [
        ("ceph-osd:mon", "ceph-mon:osd"),
        ("nova-compute:amqp", "rabbitmq-server:amqp"),
        ("keystone:shared-db", "mysql-innodb-cluster:db-router"),
        ("glance:identity-service", "keystone:identity-service"),
        (
            "nova-cloud-controller:cloud-compute",
            "nova-compute:cloud-compute",
        ),
    ];
    let present = |ep: &str| names.contains(&ep.split(':').next().unwrap_or_default());
    let kept: Vec<_> = relations
        .iter()
        .filter(|(a, b)| present(a) && present(b))
        .collect();
    if !kept.is_empty() {
        y.push_str("relations:\n");
        for (a, b) in kept {
            y.push_str(&format!("- - {a}\n  - {b}\n"));
        }
    }
    y
}

/// Lays out rows in columns separated by two spaces, like Juju's tabwriter output.
fn table(rows: &[Vec<String>]) -> String {
    let widths: Vec<usize> = (0..rows.iter().map(Vec::len).max().unwrap_or(0))
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(c, s)| format!("{s:<w$}", w = widths[c]))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

fn s(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn machine_rows(machines: &Value) -> Vec<Vec<String>> {
    let mut rows = vec![[
        "Machine", "State", "Address", "Inst id", "Base", "AZ", "Message",
    ]
    .map(String::from)
    .to_vec()];
    let mut ids: Vec<&String> = machines
        .as_object()
        .map(|m| m.keys().collect())
        .unwrap_or_default();
    ids.sort_by_key(|id| id.parse::<u64>().unwrap_or(u64::MAX));
    for id in ids {
        let m = &machines[id.as_str()];
        let state = if m["juju-status"]["life"] == "dying" {
            "stopped".to_string()
        } else {
            s(&m["juju-status"]["current"])
        };
        let az = s(&m["hardware"])
            .split("availability-zone=")
            .nth(1)
            .unwrap_or_default()
            .to_string();
        rows.push(vec![
            id.clone(),
            state,
            s(&m["dns-name"]),
            s(&m["instance-id"]),
            "ubuntu@22.04".to_string(),
            az,
            s(&m["machine-status"]["message"]),
        ]);
    }
    rows
}

/// Juju's default (tabular) output for `models`, `status`, `machines` and `controllers`.
/// `juju model-config --format json`: each key with its value and where the value comes
/// from (`default`, `controller`, `model`), as Juju's `ConfigValue` prints them.
pub fn model_config(cloud: &Cloud, model: &Model) -> Value {
    let entry = |value: Value, source: &str| json!({"Value": value, "Source": source});
    json!({
        "name": entry(json!(model.name), "model"),
        "type": entry(json!("maas"), "model"),
        "uuid": entry(json!(model.uuid), "model"),
        "agent-version": entry(json!(cloud.juju.version()), "model"),
        "default-series": entry(json!(""), "default"),
        "default-base": entry(json!("ubuntu@24.04"), "controller"),
        "automatically-retry-hooks": entry(json!(true), "default"),
        "logging-config": entry(json!("<root>=INFO"), "model"),
        "provisioner-harvest-mode": entry(json!("destroyed"), "default"),
        "update-status-hook-interval": entry(json!("5m"), "default"),
    })
}

pub fn tabular(command: &str, value: &Value) -> String {
    match command {
        "models" | "list-models" => {
            let current = s(&value["current-model"]);
            let mut rows = vec![[
                "Model",
                "Cloud/Region",
                "Type",
                "Status",
                "Access",
                "Last connection",
            ]
            .map(String::from)
            .to_vec()];
            for m in value["models"].as_array().into_iter().flatten() {
                let mut name = s(&m["short-name"]);
                if name == current {
                    name.push('*');
                }
                rows.push(vec![
                    name,
                    format!("{}/{}", s(&m["cloud"]), s(&m["region"])),
                    s(&m["type"]),
                    s(&m["status"]["current"]),
                    s(&m["access"]),
                    s(&m["last-connection"]),
                ]);
            }
            let controller = value["models"][0]["controller-name"].clone();
            format!("Controller: {}\n\n{}", s(&controller), table(&rows))
        }
        "status" => {
            let model = &value["model"];
            let mut out = table(&[
                [
                    "Model",
                    "Controller",
                    "Cloud/Region",
                    "Version",
                    "SLA",
                    "Timestamp",
                ]
                .map(String::from)
                .to_vec(),
                vec![
                    s(&model["name"]),
                    s(&model["controller"]),
                    format!("{}/{}", s(&model["cloud"]), s(&model["region"])),
                    s(&model["version"]),
                    s(&model["sla"]),
                    s(&value["controller"]["timestamp"]),
                ],
            ]);
            let apps = value["applications"]
                .as_object()
                .cloned()
                .unwrap_or_default();
            if !apps.is_empty() {
                let mut rows = vec![[
                    "App", "Status", "Scale", "Charm", "Channel", "Rev", "Exposed", "Message",
                ]
                .map(String::from)
                .to_vec()];
                let mut units = vec![[
                    "Unit",
                    "Workload",
                    "Agent",
                    "Machine",
                    "Public address",
                    "Message",
                ]
                .map(String::from)
                .to_vec()];
                for (name, app) in &apps {
                    let app_units = app["units"].as_object().cloned().unwrap_or_default();
                    rows.push(vec![
                        name.clone(),
                        s(&app["application-status"]["current"]),
                        app_units.len().to_string(),
                        s(&app["charm"]),
                        s(&app["charm-channel"]),
                        s(&app["charm-rev"]),
                        "no".to_string(),
                        s(&app["application-status"]["message"]),
                    ]);
                    for (unit, u) in &app_units {
                        let star = if u["leader"] == true { "*" } else { "" };
                        units.push(vec![
                            format!("{unit}{star}"),
                            s(&u["workload-status"]["current"]),
                            s(&u["juju-status"]["current"]),
                            s(&u["machine"]),
                            s(&u["public-address"]),
                            s(&u["workload-status"]["message"]),
                        ]);
                    }
                }
                out.push('\n');
                out.push_str(&table(&rows));
                out.push('\n');
                out.push_str(&table(&units));
            }
            if value["machines"].as_object().is_some_and(|m| !m.is_empty()) {
                out.push('\n');
                out.push_str(&table(&machine_rows(&value["machines"])));
            }
            out
        }
        "machines" | "list-machines" => table(&machine_rows(&value["machines"])),
        "controllers" | "list-controllers" => {
            let current = s(&value["current-controller"]);
            let mut rows = vec![[
                "Controller",
                "Model",
                "User",
                "Access",
                "Cloud/Region",
                "Models",
                "Machines",
                "HA",
                "Version",
            ]
            .map(String::from)
            .to_vec()];
            for (name, c) in value["controllers"].as_object().into_iter().flatten() {
                let star = if *name == current { "*" } else { "" };
                let model = s(&c["current-model"])
                    .split('/')
                    .nth(1)
                    .unwrap_or("-")
                    .to_string();
                rows.push(vec![
                    format!("{name}{star}"),
                    model,
                    s(&c["user"]),
                    s(&c["access"]),
                    format!("{}/{}", s(&c["cloud"]), s(&c["region"])),
                    s(&c["model-count"]),
                    s(&c["machine-count"]),
                    "none".to_string(),
                    s(&c["agent-version"]),
                ]);
            }
            format!(
                "Use --refresh option with this command to see the latest information.\n\n{}",
                table(&rows)
            )
        }
        _ => yaml(value),
    }
}

/// A small YAML emitter for `--format yaml` (maps, lists and scalars, as Juju's YAML).
pub fn yaml(value: &Value) -> String {
    let mut out = String::new();
    emit_yaml(value, 0, &mut out);
    out
}

fn yaml_scalar(v: &Value) -> String {
    match v {
        Value::String(s)
            if s.is_empty()
                || s.parse::<f64>().is_ok()
                || s.contains([':', '#', '\n', '"', '\''])
                || matches!(s.as_str(), "true" | "false" | "null" | "yes" | "no")
                || s.starts_with(['*', '&', '-', '[', '{', '!', '@', ' ']) =>
        {
            serde_json::to_string(s).unwrap_or_default()
        }
        Value::String(s) => s.clone(),
        Value::Null => "null".to_string(),
        other => other.to_string(),
    }
}

fn emit_yaml(value: &Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match value {
        Value::Object(map) if map.is_empty() => out.push_str(&format!("{pad}{{}}\n")),
        Value::Array(list) if list.is_empty() => out.push_str(&format!("{pad}[]\n")),
        Value::Object(map) => {
            for (k, v) in map {
                let key = yaml_scalar(&Value::String(k.clone()));
                match v {
                    Value::Object(m) if !m.is_empty() => {
                        out.push_str(&format!("{pad}{key}:\n"));
                        emit_yaml(v, indent + 2, out);
                    }
                    Value::Array(l) if !l.is_empty() => {
                        out.push_str(&format!("{pad}{key}:\n"));
                        emit_yaml(v, indent, out);
                    }
                    Value::Object(_) => out.push_str(&format!("{pad}{key}: {{}}\n")),
                    Value::Array(_) => out.push_str(&format!("{pad}{key}: []\n")),
                    scalar => out.push_str(&format!("{pad}{key}: {}\n", yaml_scalar(scalar))),
                }
            }
        }
        Value::Array(list) => {
            for item in list {
                match item {
                    Value::Object(m) if !m.is_empty() => {
                        let mut inner = String::new();
                        emit_yaml(item, indent + 2, &mut inner);
                        out.push_str(&format!("{pad}- {}", &inner[indent + 2..]));
                    }
                    scalar => out.push_str(&format!("{pad}- {}\n", yaml_scalar(scalar))),
                }
            }
        }
        scalar => out.push_str(&format!("{pad}{}\n", yaml_scalar(scalar))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_quotes_what_would_change_meaning() {
        let v =
            json!({"a": {"b": ["x", "1", ""]}, "c": "x: y", "d": 3, "e": [{"f": true, "g": "h"}]});
        assert_eq!(
            yaml(&v),
            "a:\n  b:\n  - x\n  - \"1\"\n  - \"\"\nc: \"x: y\"\nd: 3\ne:\n- f: true\n  g: h\n"
        );
    }

    #[test]
    fn status_lists_each_storage_instance_and_its_volume() {
        let cloud = super::super::scenario::build(
            "dirty",
            super::super::faults::Faults::default(),
            super::super::clock::Clock::new(1.0),
        )
        .unwrap();
        let model = cloud.models.iter().find(|m| m.name == "openstack").unwrap();
        let s = &status(&cloud, model)["storage"];
        let instances = s["storage"].as_object().unwrap();
        let volumes = s["volumes"].as_object().unwrap();
        assert_eq!((instances.len(), volumes.len()), (4, 4));
        for (i, v) in volumes.values().enumerate() {
            let id = v["storage"].as_str().unwrap();
            assert_eq!(id, format!("osd-devices/{i}"));
            let instance = &instances[id];
            assert_eq!(
                (instance["kind"].as_str(), instance["persistent"].as_bool()),
                (Some("block"), Some(true))
            );
            let (unit, at) = instance["attachments"]["units"]
                .as_object()
                .unwrap()
                .iter()
                .next()
                .unwrap();
            assert_eq!(
                v["attachments"]["units"][unit]["machine"], at["machine"],
                "{v}"
            );
        }
    }

    #[test]
    fn tables_align_columns() {
        assert_eq!(
            table(&[
                vec!["a".into(), "bb".into()],
                vec!["ccc".into(), "d".into()]
            ]),
            "a    bb\nccc  d\n"
        );
    }
}
