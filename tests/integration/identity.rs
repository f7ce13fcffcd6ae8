//! Identity, not names (teardown.md §2): the gate decides on a fresh read of each machine
//! and on the identities the detection froze, whatever the script passes. Every refusal is
//! proved from the simulator's request log.

use crate::primitives_fixture::*;
use crate::sim_server::SimServer;

/// The system id the simulator gives `hostname` (ids are derived from the scenario, so a
/// second simulator of the same scenario has the same ones).
fn id_of(hostname: &str) -> String {
    let probe = SimServer::start("dirty");
    probe.system_id(hostname)
}

/// Point 4: a target whose owner, lock or hostname changes between the detection's read
/// and the release is refused on the release's own fresh read: zero release requests for
/// it, the others released, the run refused (exit 4).
#[test]
fn a_machine_that_changed_after_the_detection_is_not_released() {
    let moved = id_of("openstack2");
    for (field, guard) in [
        ("owner=alice", "release.owner"),
        ("locked=true", "release.locked"),
        ("hostname=db-prod", "release.hostname"),
        (
            "juju-model-uuid=11111111-2222-4333-8444-555555555555",
            "release.juju_model",
        ),
    ] {
        let fault = format!("mutate:{moved}:{field}");
        let sim = SimServer::with("dirty", &[&fault], 1.0);
        let out = eval(
            &sim,
            &["--yes", "--json"],
            "release_all(frozen().targets.map(|t| t.system_id))",
        );
        out.status(4)
            .stderr_has(&format!("refused by guard `{guard}`"))
            .stderr_has(&moved);
        let posts = sim.release_posts();
        assert!(
            !posts.iter().any(|p| p.contains(&moved)),
            "{field}: released anyway: {posts:#?}"
        );
        assert_eq!(posts.len(), 4, "{field}: the others go on: {posts:#?}");
        let refused: Vec<_> = out
            .json()
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["result"] == "refused")
            .map(|r| r["system_id"].clone())
            .collect();
        assert_eq!(refused, [serde_json::json!(moved)], "{field}");
    }
}

/// Exactly two requests per release: one fresh GET of the machine, one POST.
#[test]
fn a_release_is_one_fresh_read_and_one_request() {
    let sim = SimServer::start("dirty");
    let before = sim.log().len();
    let out = eval(
        &sim,
        &["--yes"],
        "release_all(frozen().targets.map(|t| t.system_id))",
    );
    out.status(0);
    let log: Vec<String> = sim.log()[before..]
        .iter()
        .map(|e| e["request"].as_str().unwrap_or_default().to_string())
        .collect();
    for id in frozen_ids(&sim) {
        let touching: Vec<&String> = log
            .iter()
            .filter(|r| r.contains(&format!("machines/{id}/")))
            .collect();
        assert_eq!(touching.len(), 2, "{id}: {touching:#?}");
        assert!(touching[0].starts_with("GET") && touching[1].starts_with("POST"));
    }
}

pub fn frozen_ids(sim: &SimServer) -> Vec<String> {
    [
        "openstack0",
        "openstack1",
        "openstack2",
        "openstack3",
        "capi-mgmt",
    ]
    .iter()
    .map(|h| sim.system_id(h))
    .collect()
}

/// Point 5: with nothing frozen, every release, removal and destroy is refused, naming the
/// detection; nothing reaches MAAS or Juju.
#[test]
fn before_any_detection_every_destroy_class_call_is_refused() {
    let sim = SimServer::start("dirty");
    let id = sim.system_id("openstack0");
    for (expr, guard) in [
        (format!(r#"release("{id}")"#), "release.frozen"),
        (format!(r#"release_all(["{id}"])"#), "release.frozen"),
        (
            r#"juju_remove_machine("openstack", "0")"#.to_string(),
            "remove_machine.identity",
        ),
        (
            r#"juju_destroy_model("openstack")"#.to_string(),
            "destroy_model.identity",
        ),
    ] {
        let out = eval_in(
            with_sim(site(), &sim),
            &["--yes", "--set", "require_backup=false"],
            &expr,
        );
        out.status(4)
            .stderr_has(&format!("refused by guard `{guard}`"))
            .stderr_has("run the detection first");
    }
    assert_unchanged(&sim);
    assert!(sim.release_posts().is_empty());
}
