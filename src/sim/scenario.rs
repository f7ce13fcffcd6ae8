//! Scenarios: the starting cloud for each `--scenario` name. Every scenario has the five
//! targets of the procedure (openstack0-3, capi-mgmt), a Juju controller with its `controller`
//! model on a MAAS node of its own, and machines owned by another user (`alice`) that no
//! Juju action ever touches.

use std::collections::{BTreeMap, HashMap};

use anyhow::bail;
use axum::body::Bytes;

use super::clock::Clock;
use super::controllers;
use super::faults::Faults;
use super::machine_json;
use super::region;
use super::state::{Application, Cloud, JujuMachine, MaasMachine, Model, Unit, DEPLOYED, READY};

pub const TARGETS: [&str; 5] = [
    "openstack0",
    "openstack1",
    "openstack2",
    "openstack3",
    "capi-mgmt",
];
pub const USER: &str = "admin";
pub const OTHER_USER: &str = "alice";
pub const CONTROLLER: &str = "maas-controller";
pub const CONTROLLER_UUID: &str = "0c3f9a52-7d1e-4b8e-9a43-5e2f6d8b1c07";
pub const CONTROLLER_MODEL_UUID: &str = "7b1e04d2-93f5-4c6a-8e21-d4a5c3f90b18";
pub const OPENSTACK_MODEL_UUID: &str = "3d9f6c1a-5b2e-4f80-a7c4-92e1b8d05f63";
pub const API_KEY: &str = "SkTvsyHhzkREvvdtNk:Ywn5FvXVupVPvNUhrN:cm3Q2f5naXYPYsrPDPfQy9Q9cUFaEgbM";
pub const MAX_LARGE: usize = 10_000;

/// A MAAS-looking system id (6 chars of [a-z0-9]) derived from the machine's index.
fn system_id(index: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstwxy0123456789";
    let mut x = (index as u64)
        .wrapping_mul(2_654_435_761)
        .wrapping_add(0x5bd1_e995)
        % 729_000_000;
    (0..6)
        .map(|_| {
            let c = ALPHABET[(x % 30) as usize] as char;
            x /= 30;
            c
        })
        .collect()
}

/// The `owner_data` Juju sets on a machine it deploys.
pub(super) fn juju_tags(
    controller_uuid: &str,
    model_uuid: &str,
    is_controller: bool,
) -> BTreeMap<String, String> {
    BTreeMap::from([
        (
            "juju-controller-uuid".to_string(),
            controller_uuid.to_string(),
        ),
        ("juju-is-controller".to_string(), is_controller.to_string()),
        ("juju-model-uuid".to_string(), model_uuid.to_string()),
    ])
}

pub(super) struct Builder {
    pub(super) machines: Vec<MaasMachine>,
}

impl Builder {
    pub(super) fn add(
        &mut self,
        hostname: &str,
        owner: Option<&str>,
        model_uuid: Option<&str>,
    ) -> usize {
        let index = self.machines.len();
        let deployed = owner.is_some();
        self.machines.push(MaasMachine {
            index,
            system_id: system_id(index),
            hostname: hostname.to_string(),
            status: if deployed { DEPLOYED } else { READY },
            status_name_shown: None,
            status_message: if deployed { "Deployed" } else { "Ready" }.to_string(),
            owner: owner.map(str::to_string),
            owner_data: model_uuid
                .map(|u| juju_tags(CONTROLLER_UUID, u, u == CONTROLLER_MODEL_UUID))
                .unwrap_or_default(),
            agent_name: model_uuid.unwrap_or_default().to_string(),
            locked: false,
            power_state: if deployed { "on" } else { "off" },
            power_type: "virsh",
            zone: "default".to_string(),
            pool: "default".to_string(),
            fixed_json: None,
            tags: if hostname.starts_with("openstack") {
                vec!["openstack".to_string(), "virtual".to_string()]
            } else {
                vec!["virtual".to_string()]
            },
            release_due: None,
            json: Bytes::new(),
        });
        index
    }
}

fn openstack_model(machines: &[MaasMachine], stuck_machine: Option<&str>) -> Model {
    let juju_machines = TARGETS
        .iter()
        .enumerate()
        .filter_map(|(id, host)| {
            let m = machines.iter().find(|m| m.hostname == *host)?;
            Some(JujuMachine {
                id: id.to_string(),
                system_id: m.system_id.clone(),
                hostname: m.hostname.clone(),
                index: m.index,
                dying: false,
                stuck: stuck_machine == Some(&id.to_string()),
                keep_instance: false,
                removal_due: None,
            })
        })
        .collect();
    // (application, charm channel, revision, machines it runs on)
    let apps: [(&str, &str, u32, &[&str]); 8] = [
        ("ceph-osd", "quincy/stable", 564, &["0", "1", "2", "3"]),
        ("nova-compute", "2023.2/stable", 732, &["0", "1", "2"]),
        ("ceph-mon", "quincy/stable", 201, &["3"]),
        ("rabbitmq-server", "3.9/stable", 188, &["3"]),
        ("keystone", "2023.2/stable", 661, &["4"]),
        ("mysql-innodb-cluster", "8.0/stable", 113, &["4"]),
        ("glance", "2023.2/stable", 598, &["4"]),
        ("nova-cloud-controller", "2023.2/stable", 745, &["4"]),
    ];
    let applications = apps
        .iter()
        .map(|(name, channel, revision, on)| Application {
            name: name.to_string(),
            charm: name.to_string(),
            channel: channel.to_string(),
            revision: *revision,
            units: on
                .iter()
                .enumerate()
                .map(|(n, m)| Unit {
                    number: n as u32,
                    machine: m.to_string(),
                    leader: n == 0,
                })
                .collect(),
        })
        .collect();
    alive_openstack(juju_machines, applications)
}

/// The site's `openstack` model, alive, of `USER` on the site's controller.
pub(super) fn alive_openstack(machines: Vec<JujuMachine>, applications: Vec<Application>) -> Model {
    Model {
        name: "openstack".to_string(),
        uuid: OPENSTACK_MODEL_UUID.to_string(),
        owner: USER.to_string(),
        controller_uuid: CONTROLLER_UUID.to_string(),
        is_controller: false,
        dying: false,
        awaiting_force: false,
        removal_due: None,
        machines,
        applications,
    }
}

/// One scenario, one entry: its name, the sizes it takes (`NAME:N`), what it starts from,
/// and how it fills the cloud. `sim serve --help`, its errors and the tests read this table.
pub struct Scenario {
    pub name: &'static str,
    /// For a sized scenario (`large:N`): what N is and its smallest and largest value.
    pub size: Option<(&'static str, usize, usize)>,
    /// What the cloud starts as, for `sim serve --help`.
    pub about: &'static str,
    /// Adds the scenario's machines after the controller's node; returns its model.
    populate: fn(&mut Builder, usize) -> Option<Model>,
    /// Spare nodes up to N machines, after the other user's (`large:N`).
    fill: bool,
}

/// Every scenario.
pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "clean",
        size: None,
        about: "no model; every target Ready",
        populate: |b, _| targets(b, None, &[]),
        fill: false,
    },
    Scenario {
        name: "dirty",
        size: None,
        about: "the `openstack` model deployed on every target",
        populate: |b, _| deployed(b, None),
        fill: false,
    },
    Scenario {
        name: "partial",
        size: None,
        about: "no model; two targets Ready, three still deployed",
        populate: |b, _| {
            for (i, t) in TARGETS.iter().enumerate() {
                if i < 2 {
                    b.add(t, None, None)
                } else {
                    b.add(t, Some(USER), Some(OPENSTACK_MODEL_UUID))
                };
            }
            None
        },
        fill: false,
    },
    Scenario {
        name: "destroying",
        size: None,
        about: "the model dying, its machines gone; every target Ready",
        populate: |b, _| {
            targets(b, None, &[]);
            let mut m = openstack_model(&b.machines, None);
            m.machines.clear();
            m.applications.clear();
            m.dying = true;
            m.awaiting_force = true;
            Some(m)
        },
        fill: false,
    },
    Scenario {
        name: "foreign",
        size: None,
        about: "no model; every target owned by another user",
        populate: |b, _| targets(b, Some(OTHER_USER), &[]),
        fill: false,
    },
    Scenario {
        name: "stuck",
        size: None,
        about: "as `dirty`, with a machine that needs `remove-machine --force`",
        populate: |b, _| deployed(b, Some("3")),
        fill: false,
    },
    Scenario {
        name: "missing",
        size: None,
        about: "as `clean`, with the target `capi-mgmt` gone from MAAS",
        populate: |b, _| targets(b, None, &["capi-mgmt"]),
        fill: false,
    },
    Scenario {
        name: "large",
        size: Some(("N", TARGETS.len() + 4, MAX_LARGE)),
        about: "as `clean`, in a MAAS of N machines",
        populate: |b, _| targets(b, None, &[]),
        fill: true,
    },
    Scenario {
        name: "region",
        size: Some(("N (the number of targets)", 1, region::MAX_TARGETS)),
        about: "a bare-metal region: N targets `node00000`... deployed by `openstack`",
        populate: |b, n| Some(region::populate(b, n)),
        fill: false,
    },
];

/// The scenario names as `--scenario` takes them: `clean, dirty, ..., large:N, region:N`.
pub fn names() -> String {
    SCENARIOS
        .iter()
        .map(|s| match s.size {
            Some(_) => format!("{}:N", s.name),
            None => s.name.to_string(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The scenarios, one line each, for `sim serve --help`.
pub fn help() -> String {
    let mut out = String::from("One of:\n");
    for s in SCENARIOS {
        let (name, sizes) = match s.size {
            Some((_, min, max)) => (format!("{}:N", s.name), format!(" (N from {min} to {max})")),
            None => (s.name.to_string(), String::new()),
        };
        out.push_str(&format!("  {name:<24}{}{sizes}\n", s.about));
    }
    out
}

/// The five targets, but those in `gone`, owned by `owner` (or unowned), in no model.
fn targets(b: &mut Builder, owner: Option<&str>, gone: &[&str]) -> Option<Model> {
    for t in TARGETS {
        if !gone.contains(&t) {
            b.add(t, owner, None);
        }
    }
    None
}

/// Every target deployed by the `openstack` model; `stuck`: a machine that needs
/// `remove-machine --force`.
fn deployed(b: &mut Builder, stuck: Option<&str>) -> Option<Model> {
    for t in TARGETS {
        b.add(t, Some(USER), Some(OPENSTACK_MODEL_UUID));
    }
    Some(openstack_model(&b.machines, stuck))
}

/// Builds the cloud for `scenario` (see `SCENARIOS`).
pub fn build(scenario: &str, faults: Faults, clock: Clock) -> anyhow::Result<Cloud> {
    let (name, n) = scenario.split_once(':').unwrap_or((scenario, ""));
    let Some(chosen) = SCENARIOS
        .iter()
        .find(|s| s.name == name && (s.size.is_some() || !scenario.contains(':')))
    else {
        bail!(
            "unknown scenario `{scenario}`; expected one of: {}",
            names()
        );
    };
    let size = match chosen.size {
        Some((what, min, max)) if scenario.contains(':') => match n.parse::<usize>() {
            Ok(n) if (min..=max).contains(&n) => n,
            _ => bail!("scenario `{scenario}`: {what} must be a whole number from {min} to {max}"),
        },
        _ => 0,
    };
    let mut b = Builder {
        machines: Vec::new(),
    };
    b.add("juju-controller-0", Some(USER), Some(CONTROLLER_MODEL_UUID));
    let model = (chosen.populate)(&mut b, size);
    for h in ["alice-build0", "alice-build1", "alice-db0"] {
        b.add(h, Some(OTHER_USER), None);
    }
    let mut n = b.machines.len();
    while chosen.fill && n < size {
        let host = format!("node{n:05}");
        // One in three spare nodes is deployed by someone else, like a shared MAAS.
        if n % 3 == 0 {
            b.add(&host, Some(OTHER_USER), None)
        } else {
            b.add(&host, None, None)
        };
        n += 1;
    }
    // Other controllers and other users' models (faults), after every scenario machine so
    // the scenario's system ids stay the same.
    let extra = controllers::populate(&mut b, &faults, CONTROLLER_UUID);
    let controller_model = Model {
        name: "controller".to_string(),
        uuid: CONTROLLER_MODEL_UUID.to_string(),
        owner: USER.to_string(),
        controller_uuid: CONTROLLER_UUID.to_string(),
        is_controller: true,
        dying: false,
        awaiting_force: false,
        removal_due: None,
        machines: vec![JujuMachine {
            id: "0".to_string(),
            system_id: b.machines[0].system_id.clone(),
            hostname: b.machines[0].hostname.clone(),
            index: 0,
            dying: false,
            stuck: false,
            keep_instance: false,
            removal_due: None,
        }],
        applications: vec![Application {
            name: "controller".to_string(),
            charm: "juju-controller".to_string(),
            channel: "3.4/stable".to_string(),
            revision: 79,
            units: vec![Unit {
                number: 0,
                machine: "0".to_string(),
                leader: true,
            }],
        }],
    };
    let by_system_id: HashMap<String, usize> = b
        .machines
        .iter()
        .map(|m| (m.system_id.clone(), m.index))
        .collect();
    if by_system_id.len() != b.machines.len() {
        bail!("internal error: duplicate system ids in scenario `{scenario}`");
    }
    let mut cloud = Cloud {
        scenario: scenario.to_string(),
        user: USER.to_string(),
        api_key: API_KEY.to_string(),
        controller_name: CONTROLLER.to_string(),
        controller_uuid: CONTROLLER_UUID.to_string(),
        other_controllers: extra.controllers,
        current_controller: if extra.other_is_current {
            controllers::OTHER_CONTROLLER
        } else {
            CONTROLLER
        }
        .to_string(),
        models: std::iter::once(controller_model)
            .chain(model)
            .chain(extra.models)
            .collect(),
        machines: b.machines,
        by_system_id,
        by_hostname: HashMap::new(),
        releasing: Default::default(),
        deleted: Default::default(),
        clock,
        faults,
        log: Vec::new(),
        juju: super::juju_formats::JujuMajor::default(),
        replay: None,
    };
    // A fault naming a machine the scenario does not have would silently do nothing.
    for (kind, id) in cloud.faults.machine_ids() {
        if !cloud.by_system_id.contains_key(id) {
            let mut known: Vec<String> = cloud
                .machines
                .iter()
                .take(8)
                .map(|m| format!("{} ({})", m.system_id, m.hostname))
                .collect();
            if cloud.machines.len() > 8 {
                known.push("...".into());
            }
            bail!(
                "fault `{kind}` names system id `{id}`, which scenario `{scenario}` does not have (its machines: {})",
                known.join(", ")
            );
        }
    }
    cloud.index_hostnames();
    render_all(&mut cloud.machines);
    // Fault `preset`: the starting state the first read already sees.
    for (id, field, value) in cloud.faults.presets() {
        cloud.mutate(&id, &field, &value);
    }
    Ok(cloud)
}

/// Renders every machine's JSON up front, on all cores: `large:10000` is ~100 MB of JSON.
fn render_all(machines: &mut [MaasMachine]) {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = machines.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        for part in machines.chunks_mut(chunk) {
            scope.spawn(move || {
                for m in part {
                    machine_json::render(m);
                }
            });
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cloud(s: &str) -> Cloud {
        build(s, Faults::default(), Clock::new(1000.0)).unwrap()
    }

    #[test]
    fn a_fault_naming_a_machine_the_scenario_lacks_is_an_error() {
        for spec in [
            "preset:nope:owner=bob",
            "mutate:nope:locked=true",
            "mutate-at-read:nope:owner=bob",
        ] {
            let faults = Faults::parse(&[spec.to_string()]).unwrap();
            let e = build("dirty", faults, Clock::new(1.0))
                .err()
                .unwrap()
                .to_string();
            assert!(
                e.contains("names system id `nope`, which scenario `dirty` does not have"),
                "{e}"
            );
        }
        let faults = Faults::parse(&["preset:jnn7x2:owner=bob".to_string()]).unwrap();
        assert!(build("dirty", faults, Clock::new(1.0)).is_ok());
    }

    #[test]
    fn every_scenario_builds_with_its_targets() {
        for s in SCENARIOS
            .iter()
            .filter(|s| s.name != "region")
            .map(|s| match s.size {
                Some(_) => format!("{}:100", s.name),
                None => s.name.to_string(),
            })
        {
            let s = s.as_str();
            let c = cloud(s);
            let targets = c
                .machines
                .iter()
                .filter(|m| TARGETS.contains(&m.hostname.as_str()))
                .count();
            assert_eq!(targets, if s == "missing" { 4 } else { 5 }, "{s}");
            assert!(c
                .machines
                .iter()
                .any(|m| m.owner.as_deref() == Some(OTHER_USER)));
        }
        assert_eq!(cloud("large:10000").machines.len(), 10_000);
    }

    #[test]
    fn dirty_targets_belong_to_the_model() {
        let c = cloud("dirty");
        let model = c.model("openstack").unwrap();
        assert_eq!(model.machines.len(), 5);
        for jm in &model.machines {
            let m = c.machine_by_system_id(&jm.system_id).unwrap();
            assert_eq!(m.agent_name, OPENSTACK_MODEL_UUID);
            assert_eq!(m.owner.as_deref(), Some(USER));
            assert!(m.json.len() > 4000, "{}", m.json.len());
        }
    }

    #[test]
    fn a_region_has_its_targets_in_the_model_and_untouchable_nodes_around_them() {
        let c = cloud("region:300");
        let model = c.model("openstack").unwrap();
        assert_eq!(model.machines.len(), 300);
        for (i, jm) in model.machines.iter().enumerate() {
            let m = c.machine_by_system_id(&jm.system_id).unwrap();
            assert_eq!(m.hostname, region::target(i));
            assert_eq!((m.status, m.owner.as_deref()), (DEPLOYED, Some(USER)));
            assert_eq!(m.agent_name, OPENSTACK_MODEL_UUID);
            assert_eq!(c.indexes_by_hostname(&m.hostname), [m.index]);
        }
        let foreign = c
            .machines
            .iter()
            .filter(|m| m.owner.as_deref() == Some(OTHER_USER));
        assert_eq!(foreign.count(), 30 + 3);
        let locked: Vec<_> = c.machines.iter().filter(|m| m.locked).collect();
        assert_eq!(locked.len(), 3);
        assert!(locked
            .iter()
            .all(|m| m.owner.as_deref() == Some(USER) && m.agent_name.is_empty()));
        assert_eq!(region::targets_range(300), "node[00000-00299]");
        assert_eq!(cloud("region:1").machines.len(), 1 + 1 + 1 + 3);
    }

    #[test]
    fn bad_scenarios_are_refused() {
        for s in [
            "nope",
            "large:x",
            "large:3",
            "large:10001",
            "region:0",
            "region:10001",
            "region:x",
        ] {
            let err = build(s, Faults::default(), Clock::new(1.0))
                .err()
                .unwrap()
                .to_string();
            assert!(err.contains(&format!("`{s}`")), "{err}");
        }
    }
}
