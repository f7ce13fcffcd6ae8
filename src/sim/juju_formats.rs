//! Juju 3.x output shapes (FORMATS.md): `models`, `show-model`, `status`, `machines`,
//! `controllers` as JSON, and `export-bundle` as YAML. Pure renderers over the cloud state.

use serde_json::{json, Map, Value};

use super::state::{Cloud, JujuMachine, Model};

pub const JUJU_VERSION: &str = "3.4.2";
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

/// One model as `juju models` and `juju show-model` print it.
pub fn model_info(cloud: &Cloud, model: &Model) -> Value {
    json!({
        "name": format!("{}/{}", model.owner, model.name), "short-name": model.name,
        "model-uuid": model.uuid, "model-type": "iaas", "controller-uuid": cloud.controller_uuid,
        "controller-name": cloud.controller_name, "is-controller": model.is_controller,
        "owner": model.owner, "cloud": CLOUD, "region": "default", "type": "maas",
        "credential": {"name": "maas-creds", "owner": model.owner, "cloud": CLOUD, "validity-check": "valid"},
        "life": life(model.dying), "status": model_status(model), "access": "admin",
        "last-connection": "just now", "sla": "unsupported", "agent-version": JUJU_VERSION,
        "users": {model.owner.clone(): {"display-name": model.owner, "access": "admin", "last-connection": "just now"}},
    })
}

pub fn models(cloud: &Cloud, current: Option<&str>) -> Value {
    let list: Vec<Value> = cloud.models.iter().map(|m| model_info(cloud, m)).collect();
    let mut out = json!({"models": list});
    if let Some(current) = current {
        out["current-model"] = json!(current);
    }
    out
}

pub fn show_model(cloud: &Cloud, model: &Model) -> Value {
    json!({ model.name.clone(): model_info(cloud, model) })
}

fn machine(cloud: &Cloud, m: &JujuMachine) -> Value {
    let ip = format!(
        "10.{}.{}.{}",
        20 + (m.index / 65_000),
        (m.index / 250) % 250 + 1,
        m.index % 250 + 2
    );
    let mut juju_status = json!({"current": "started", "since": SINCE, "version": JUJU_VERSION});
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
        "containers": {},
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

fn applications(model: &Model) -> Value {
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
            let mut unit = json!({
                "workload-status": {"current": "active", "message": "Unit is ready", "since": SINCE},
                "juju-status": {"current": "idle", "since": SINCE, "version": JUJU_VERSION},
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
                "relations": {}, "units": units, "endpoint-bindings": {"": "alpha"},
            }),
        );
    }
    Value::Object(apps)
}

pub fn status(cloud: &Cloud, model: &Model) -> Value {
    let ms = model_status(model);
    json!({
        "model": {"name": model.name, "type": "iaas", "controller": cloud.controller_name, "cloud": CLOUD,
            "region": "default", "version": JUJU_VERSION,
            "model-status": {"current": ms["current"], "since": SINCE}, "sla": "unsupported"},
        "machines": machines_map(cloud, model),
        "applications": applications(model),
        "storage": {},
        "controller": {"timestamp": "09:14:02Z"},
    })
}

pub fn machines(cloud: &Cloud, model: &Model) -> Value {
    json!({"model": model.name, "machines": machines_map(cloud, model)})
}

pub fn controllers(cloud: &Cloud, current_model: Option<&str>) -> Value {
    let machine_count: usize = cloud.models.iter().map(|m| m.machines.len()).sum();
    let mut item = json!({
        "user": cloud.user, "access": "superuser", "recent-server": "10.20.0.2:17070",
        "uuid": cloud.controller_uuid, "api-endpoints": ["10.20.0.2:17070"], "ca-cert": CA_CERT,
        "cloud": CLOUD, "region": "default", "agent-version": JUJU_VERSION,
        "model-count": cloud.models.len(), "machine-count": machine_count,
        "controller-machines": {"Active": 1, "Total": 1},
    });
    if let Some(current) = current_model {
        item["current-model"] = json!(format!("{}/{current}", cloud.user));
    }
    json!({"controllers": {cloud.controller_name.clone(): item}, "current-controller": cloud.controller_name})
}

/// `juju export-bundle` YAML (Juju 3.x: `default-base`, `to` placements, `machines`).
pub fn bundle(model: &Model) -> String {
    let mut y = String::from("default-base: ubuntu@22.04/stable\napplications:\n");
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
