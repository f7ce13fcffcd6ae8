//! The README's main command: the teardown against the demo site's in-process simulator.

use crate::common::Test;

#[test]
fn demo_teardown_is_go_with_a_sealed_backup() {
    let out = Test::new()
        .args(&["run", "teardown", "--site", "demo", "--yes", "--json"])
        .run();
    let doc = out.status(0).json();
    assert_eq!(doc["route"], "dirty");
    assert_eq!(doc["verdict"], "go");
    out.stderr_has("[DIRTY]")
        .stderr_has("juju destroy-model openstack --force --no-wait --destroy-storage --no-prompt")
        .stderr_has("verdict: GO");
    let backups = out.home().join(".local/state/runbook/demo/backups");
    let dirs = out.files_under(&backups);
    assert!(
        dirs.iter().any(|f| f.ends_with("manifest.json")),
        "a sealed backup with its manifest under {}: {dirs:?}",
        backups.display()
    );
}

#[test]
fn demo_speed_is_set_with_set_as_a_number() {
    let out = Test::new()
        .args(&[
            "run",
            "teardown",
            "--site",
            "demo",
            "--json",
            "--yes",
            "--set",
            "sim.speed=40",
        ])
        .run();
    let doc = out.status(0).json();
    assert_eq!(doc["route"], "dirty", "{}", out.stderr);
    assert_eq!(doc["verdict"], "go", "{}", out.stderr);
    out.stderr_lacks("wrong type");
}

#[test]
fn demo_scenario_is_chosen_with_set() {
    let out = Test::new()
        .args(&[
            "run",
            "teardown",
            "--site",
            "demo",
            "--json",
            "--set",
            "sim.scenario=clean",
        ])
        .run();
    let doc = out.status(0).json();
    assert_eq!(doc["route"], "clean");
    assert_eq!(doc["verdict"], "go");
    assert!(out
        .journal_lines()
        .iter()
        .all(|l| l["outcome"] != "executed"));
}
