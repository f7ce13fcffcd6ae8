//! The README's main command: the teardown against the demo site's in-process simulator.

use crate::common::Test;

/// `runbook run teardown --site demo --json` with `flags`: the README's command.
fn demo(flags: &[&str]) -> Test {
    Test::new()
        .site("demo")
        .args(&["run", "teardown", "--json"])
        .args(flags)
}

#[test]
fn demo_teardown_is_go_with_a_sealed_backup() {
    let out = demo(&["--yes"]).run();
    out.outcome(0, "dirty", Some("go"));
    out.stderr_has("[DIRTY]")
        .stderr_has("/juju destroy-model maas-controller:admin/openstack --force --no-wait --destroy-storage --no-prompt")
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
    let out = demo(&["--yes"]).set("sim.speed", "40").run();
    out.outcome(0, "dirty", Some("go"));
    out.stderr_lacks("wrong type");
}

#[test]
fn demo_scenario_is_chosen_with_set() {
    let out = demo(&[]).set("sim.scenario", "clean").run();
    out.outcome(0, "clean", Some("go"));
    assert!(out
        .journal_lines()
        .iter()
        .all(|l| l["outcome"] != "executed"));
}
