//! A `juju` that misbehaves mid-teardown: it prints YAML where JSON was asked for, prints
//! nothing, or dies in the middle of `destroy-model`. Each is a clear error naming the exact
//! command, the run stops there (exit 2), and nothing changes after it. The `juju` here is a
//! wrapper around the simulator's that misbehaves on one command and passes the rest on.

use std::os::unix::fs::PermissionsExt;

use crate::common::session::testcloud;
use crate::common::Test;
use crate::sim_server::SimServer;

/// The operator's teardown (`--json --yes`, short waits, no OSD disks) against `sim` with a
/// `juju` in the test's root: `case "$1" in {cases} esac`, then the simulator's juju with
/// the same arguments. Returns the test and the wrapper's path.
fn wrapper(sim: &SimServer, cases: &str) -> (Test, String) {
    let t = testcloud(sim, "teardown")
        .args(&["--json", "--yes"])
        .set("timeouts.destroy_cli", "20");
    let path = t.root().join("juju");
    let script = format!(
        "#!/bin/sh\nSIM='{}'\ncase \"$1\" in\n{cases}\nesac\nexec \"$SIM\" \"$@\"\n",
        sim.juju_bin
    );
    std::fs::write(&path, script).expect("write the wrapper");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let bin = path.display().to_string();
    (t.env("JUJU_BIN", &bin), bin)
}

#[test]
fn yaml_where_json_was_asked_for_stops_the_detection_naming_the_command() {
    let sim = SimServer::start("dirty");
    let (t, bin) = wrapper(
        &sim,
        "models) printf 'models:\\n- name: admin/openstack\\n  short-name: openstack\\n'; exit 0;;",
    );
    let out = t.run();
    out.status(2)
        .stderr_has(&format!(
            "cannot read the output of `{bin} models -c maas-controller --format json`: `juju models` output is not the JSON Juju prints"
        ))
        .stderr_has("it begins `models:` (YAML or text: is this `juju` ignoring `--format json`?)")
        .stderr_lacks("panicked");
    sim.assert_unchanged();
    assert!(sim.juju_commands("destroy-model").is_empty());
}

#[test]
fn a_status_that_prints_nothing_stops_phase_a_before_the_destroy() {
    let sim = SimServer::start("dirty");
    let (t, bin) = wrapper(&sim, "status) exit 0;;");
    let out = t.run();
    out.status(2)
        .stderr_has(&format!(
            "cannot read the output of `{bin} status -m maas-controller:openstack --format json`: `juju status` printed nothing (and exited 0)"
        ))
        .stderr_lacks("panicked");
    sim.assert_unchanged();
    assert!(sim.juju_commands("destroy-model").is_empty());
    assert!(sim.released_ids().is_empty());
}

#[test]
fn a_destroy_cli_that_dies_midway_stops_the_run_and_nothing_follows_it() {
    let sim = SimServer::start("dirty");
    // The destroy reaches the controller (the model starts dying), then the CLI is killed
    // as soon as it has said so.
    let (t, bin) = wrapper(
        &sim,
        "destroy-model) \"$SIM\" \"$@\" 2>&1 | { IFS= read -r line; printf '%s\\n' \"$line\" >&2; kill -KILL $$; }; exit 0;;",
    );
    let out = t.run();
    out.status(2)
        .stderr_has(&format!(
            "`{bin} destroy-model maas-controller:openstack --force --no-wait --destroy-storage --no-prompt` failed (killed by signal 9 (SIGKILL))"
        ))
        .stderr_has("Destroying model")
        .stderr_lacks("panicked");
    // Sent once, and nothing after it: no release, no remove-machine, no second destroy.
    assert_eq!(sim.juju_commands("destroy-model").len(), 1);
    assert!(sim.juju_commands("remove-machine").is_empty());
    assert_eq!(sim.released_ids(), Vec::<String>::new());
    let journal = out.journal_lines();
    let destroy: Vec<&serde_json::Value> = journal
        .iter()
        .filter(|l| l["effect"] == "juju_destroy_model")
        .collect();
    assert_eq!(
        destroy
            .iter()
            .map(|l| l["outcome"].as_str().unwrap_or(""))
            .collect::<Vec<_>>(),
        ["intent", "failed"],
        "{journal:#?}"
    );
    assert!(
        !journal
            .iter()
            .any(|l| l["effect"] == "release" && l["outcome"] == "intent"),
        "{journal:#?}"
    );
}
