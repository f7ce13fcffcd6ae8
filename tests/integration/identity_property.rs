//! Proof at scale (issue: identity, not names): many seeded random cloud states, each torn
//! at by an adversarial script that hands the gate EVERY machine id MAAS has and asks to
//! destroy the model; the simulator's request log must show that every release went to a
//! frozen, owned, unlocked target that did not change after the detection, and every destroy
//! to the frozen model. The simulator and the library run in this process (one session per
//! state); only `juju` is a subprocess (the simulator's shim), as in production.
//!
//! `RUNBOOK_PROPERTY_STATES` sets the number of states (default 1,000); the seed is fixed
//! (`RUNBOOK_PROPERTY_SEED` overrides it), so a failure names a state that reproduces.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Instant;

use serde_json::Value;

use runbook::cli::GlobalArgs;
use runbook::commands::Session;
use runbook::config::{Config, Env};

use crate::sim_server::TARGETS;
const SCENARIOS: [&str; 6] = [
    "dirty",
    "dirty",
    "partial",
    "foreign",
    "clean",
    "destroying",
];
const MODELS: [&str; 3] = [
    "[\"openstack\"]",
    "[\"admin/openstack\"]",
    "[\"bob/openstack\"]",
];
const OPENSTACK_UUID: &str = "3d9f6c1a-5b2e-4f80-a7c4-92e1b8d05f63";

/// xorshift64*: the same states on every run for a given seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

fn get_json(url: &str) -> Value {
    reqwest::blocking::get(url)
        .and_then(|r| r.json())
        .unwrap_or_else(|e| panic!("GET {url}: {e}"))
}

fn start(scenario: &str, faults: Vec<String>) -> runbook::sim::SimHandle {
    runbook::sim::start(runbook::sim::SimOptions {
        scenario: scenario.to_string(),
        faults,
        speed: 1000.0,
        exe: Some(crate::common::BIN.into()),
        ..Default::default()
    })
    .expect("start the simulator")
}

/// One machine as the simulator starts it: (hostname, system id, owner, locked).
type Seen = (String, String, Option<String>, bool);

/// The machines of a scenario as it starts: hostname → (system id, owner, locked).
fn machines(state: &Value) -> Vec<Seen> {
    state["machines"]
        .as_array()
        .expect("machines")
        .iter()
        .map(|m| {
            (
                m["hostname"].as_str().unwrap_or_default().to_string(),
                m["system_id"].as_str().unwrap_or_default().to_string(),
                m["owner"].as_str().map(str::to_string),
                m["locked"].as_bool().unwrap_or(false),
            )
        })
        .collect()
}

/// One random state: a scenario, the site's `models` entry, whether the site pins its
/// controller, the world around it (another controller — current or not — with its own
/// `openstack`, other users' `openstack` models, a controller that disappears mid-run), what
/// the detection already sees (a duplicate hostname, a malformed uuid in `owner_data`), and
/// 0–3 changes that happen right after the detection's read (owner, lock, hostname —
/// including taking another target's hostname, i.e. a duplicate — status, and the Juju uuids
/// in `owner_data`).
struct State {
    scenario: &'static str,
    models: &'static str,
    pinned: bool,
    faults: Vec<String>,
    /// Machines whose mutation must stop their release.
    tainted: BTreeSet<String>,
    /// Machines given a random `juju-model-uuid`: refused when a model is frozen (another
    /// model deployed it); with no site model frozen, no live model deployed it.
    remodelled: BTreeSet<String>,
    destroy: bool,
}

fn random_state(rng: &mut Rng, ids: &BTreeMap<&'static str, Vec<Seen>>) -> State {
    let scenario = *rng.pick(&SCENARIOS);
    let all = &ids[scenario];
    let mut faults = Vec::new();
    let mut tainted = BTreeSet::new();
    let mut remodelled = BTreeSet::new();
    match rng.below(4) {
        0 => faults.push("other-controller".to_string()),
        1 => faults.push("other-controller:registered".to_string()),
        _ => {}
    }
    for user in ["bob", "carol"] {
        if rng.below(3) == 0 {
            faults.push(format!("other-user-model:{user}"));
        }
    }
    if rng.below(8) == 0 {
        let after = rng.pick(&["controllers", "models", "machines", "status"]);
        faults.push(format!("controller-gone-after:{after}"));
    }
    if rng.below(4) == 0 {
        // A duplicate hostname the detection already sees.
        let (_, id, _, _) = rng.pick(all).clone();
        faults.push(format!("preset:{id}:hostname={}", rng.pick(&TARGETS)));
    }
    if rng.below(8) == 0 {
        // A malformed uuid the detection already sees: never released.
        let (_, id, _, _) = rng.pick(all).clone();
        let key = rng.pick(&["juju-model-uuid", "juju-controller-uuid"]);
        faults.push(format!("preset:{id}:{key}=3d9f6c1a-5b2e"));
        tainted.insert(id);
    }
    for _ in 0..rng.below(4) {
        let (host, id, _, _) = rng.pick(all).clone();
        let other = rng.pick(&TARGETS).to_string();
        let uuid = format!(
            "{:08x}-1111-4222-8333-{:012x}",
            rng.next() as u32,
            rng.next() & 0xffff_ffff_ffff
        );
        let (change, taints) = match rng.below(8) {
            0 => ("owner=alice".to_string(), true),
            1 => ("owner=".to_string(), true),
            2 => ("locked=true".to_string(), true),
            // Taking a target's name; its own name is no change.
            3 => (format!("hostname={other}"), other != host),
            4 => ("hostname=db-prod".to_string(), true),
            5 => {
                remodelled.insert(id.clone());
                (format!("juju-model-uuid={uuid}"), false)
            }
            6 => (format!("juju-controller-uuid={uuid}"), true),
            _ => ("status=4".to_string(), false),
        };
        // A renamed machine that keeps a target's name is still a changed machine.
        if taints {
            tainted.insert(id.clone());
        }
        faults.push(format!("mutate:{id}:{change}"));
    }
    State {
        scenario,
        models: MODELS[rng.below(MODELS.len())],
        pinned: rng.below(2) == 0,
        faults,
        tainted,
        remodelled,
        destroy: rng.below(4) == 0,
    }
}

const SCRIPT: &str = r#"
detect_cloud();
// Adversarial: every machine MAAS has, whatever the detection froze.
let all = maas_machines().map(|m| m.system_id);
release_all(all);
"#;

const DESTROY: &str = r#"
detect_cloud();
juju_destroy_model("openstack", #{ no_wait: false });
"#;

fn site_root(dir: &Path, models: &str, pinned: bool) {
    let targets: Vec<String> = TARGETS.iter().map(|t| format!("{t:?}")).collect();
    std::fs::create_dir_all(dir.join("sites/t")).expect("mkdir");
    std::fs::write(
        dir.join("sites/t/site.rhai"),
        format!(
            "#{{ name: \"t\", models: {models}, targets: [{}], require_backup: false, state_dir: {:?}, juju: #{{ timeout: 20{} }}, maas: #{{ timeout: 5 }}, timeouts: #{{ destroy_cli: 20 }} }}",
            targets.join(", "),
            dir.join("state").display().to_string(),
            if pinned {
                ", controller: \"maas-controller\""
            } else {
                ""
            }
        ),
    )
    .expect("write site");
}

/// Run `script` in a fresh session against `sim`; returns what the detection froze.
fn run(
    dir: &Path,
    sim: &runbook::sim::SimHandle,
    script: &str,
) -> Option<runbook::effects::frozen::Frozen> {
    let global = GlobalArgs {
        root: Some(dir.to_path_buf()),
        site: Some("t".into()),
        json: true,
        ..GlobalArgs::default()
    };
    let env = Env {
        maas_url: Some(sim.maas_url.clone()),
        maas_api_key: Some(sim.api_key.clone()),
        juju_bin: Some(sim.juju_bin.display().to_string()),
        ..Env::default()
    };
    let config = Config::from_args(&global, env).expect("config");
    let session = Session::start(&config, false, true).expect("session");
    let ast = session.compile("<property>", script).expect("compile");
    let mut scope = session.constants.clone();
    // Refusals end the script; that is an outcome like any other here.
    let _ = session
        .engine
        .eval_ast_with_scope::<rhai::Dynamic>(&mut scope, &ast);
    session.ctx.frozen()
}

/// Every model but the site's (`admin/openstack` on `maas-controller`) is alive with all its
/// machines, and their MAAS nodes are still deployed: another controller's `openstack` and
/// other users' are never destroyed, removed or released.
fn others_untouched(what: &str, state: &Value) {
    let machines = state["machines"].as_array().expect("machines");
    for m in state["models"].as_array().expect("models") {
        if m["uuid"] == OPENSTACK_UUID || m["is_controller"] == true {
            continue;
        }
        let name = format!("{}/{} ({})", m["owner"], m["name"], m["uuid"]);
        assert_eq!(m["life"], "alive", "{what}: {name} is dying");
        for jm in m["machines"].as_array().expect("model machines") {
            assert_eq!(
                jm["life"], "alive",
                "{what}: a machine of {name} was removed"
            );
            let node = machines
                .iter()
                .find(|x| x["system_id"] == jm["instance_id"])
                .unwrap_or_else(|| panic!("{what}: no MAAS node for {jm}"));
            assert_eq!(node["status_name"], "Deployed", "{what}: {node} of {name}");
        }
    }
}

#[test]
fn no_state_makes_the_gate_touch_a_wrong_machine_or_model() {
    let states: usize = std::env::var("RUNBOOK_PROPERTY_STATES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let seed: u64 = std::env::var("RUNBOOK_PROPERTY_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5EED_1D3A_71F1_ED00);
    let mut rng = Rng(seed);
    let mut ids = BTreeMap::new();
    for s in SCENARIOS {
        if !ids.contains_key(s) {
            let sim = start(s, vec![]);
            ids.insert(
                s,
                machines(&get_json(&format!("{}/_sim/state", sim.base_url()))),
            );
        }
    }
    let started = Instant::now();
    let (mut released, mut refused_states, mut destroyed) = (0usize, 0usize, 0usize);
    for n in 0..states {
        let state = random_state(&mut rng, &ids);
        let sim = start(state.scenario, state.faults.clone());
        let before = machines(&get_json(&format!("{}/_sim/state", sim.base_url())));
        let dir = tempfile::tempdir().expect("tempdir");
        site_root(dir.path(), state.models, state.pinned);
        let script = if state.destroy { DESTROY } else { SCRIPT };
        let frozen = run(dir.path(), &sim, script);
        let log = get_json(&format!("{}/_sim/log", sim.base_url()));
        let what = format!(
            "state {n} (seed {seed}): scenario {}, models {}, pinned {}, faults {:?}",
            state.scenario, state.models, state.pinned, state.faults
        );
        let frozen_ids: BTreeSet<String> = frozen
            .iter()
            .flat_map(|f| f.targets.iter().map(|t| t.system_id.clone()))
            .collect();
        for entry in log.as_array().expect("log") {
            let request = entry["request"].as_str().unwrap_or_default();
            if entry["kind"] == "maas"
                && request.starts_with("POST")
                && request.contains("op=release")
            {
                let id = request
                    .split("machines/")
                    .nth(1)
                    .and_then(|r| r.split('/').next())
                    .unwrap_or_default()
                    .to_string();
                let (host, _, owner, locked) = before
                    .iter()
                    .find(|(_, i, _, _)| *i == id)
                    .cloned()
                    .unwrap_or_else(|| panic!("{what}: released unknown `{id}`"));
                assert!(
                    frozen_ids.contains(&id),
                    "{what}: released `{id}` ({host}), not frozen"
                );
                assert!(
                    TARGETS.contains(&host.as_str()),
                    "{what}: released non-target {host}"
                );
                assert_eq!(
                    owner.as_deref(),
                    Some("admin"),
                    "{what}: released {host} owned by {owner:?}"
                );
                assert!(!locked, "{what}: released locked {host}");
                let named = before.iter().filter(|(h, _, _, _)| *h == host).count();
                assert_eq!(
                    named, 1,
                    "{what}: released {host}, a hostname {named} machines had"
                );
                assert!(
                    !state.tainted.contains(&id),
                    "{what}: released {host} after it changed"
                );
                let model_frozen = frozen.as_ref().is_some_and(|f| f.model.is_some());
                assert!(
                    !(model_frozen && state.remodelled.contains(&id)),
                    "{what}: released {host} deployed by another model"
                );
                released += 1;
            }
            if entry["kind"] == "juju" && request.starts_with("destroy-model") {
                let frozen_model = frozen.as_ref().and_then(|f| f.model.clone());
                let uuid = frozen_model.map(|m| m.uuid).unwrap_or_default();
                assert_eq!(
                    uuid, OPENSTACK_UUID,
                    "{what}: destroyed without the frozen model: {request}"
                );
                assert!(
                    state.models != "[\"bob/openstack\"]",
                    "{what}: destroyed admin's model for a site of bob's: {request}"
                );
                destroyed += 1;
            }
        }
        others_untouched(&what, &get_json(&format!("{}/_sim/state", sim.base_url())));
        if !state.tainted.is_empty() {
            refused_states += 1;
        }
    }
    let took = started.elapsed();
    eprintln!(
        "identity property: {states} states in {:.1}s ({:.0} ms/state); {released} releases, {destroyed} destroys, {refused_states} states with a machine changed between reads",
        took.as_secs_f64(),
        took.as_millis() as f64 / states.max(1) as f64
    );
    assert!(
        states == 0 || released > 0,
        "no state released anything: the test proves nothing"
    );
}
