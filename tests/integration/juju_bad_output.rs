//! A `juju` that misbehaves mid-teardown: it prints YAML where JSON was asked for, prints
//! nothing, or dies in the middle of `destroy-model`. Each is a clear error naming the exact
//! command, the run stops there (exit 2), and nothing changes after it. The `juju` here is a
//! wrapper around the simulator's that misbehaves on one command and passes the rest on.

use std::os::unix::fs::PermissionsExt;

use crate::common::{Output, Test};
use crate::sim_server::{SimServer, TEST_SPEED};

const REPO: &str = env!("CARGO_MANIFEST_DIR");

/// Writes `juju` into the test's root: `case "$1" in {cases} esac`, then the simulator's
/// juju with the same arguments. Returns the test (with `JUJU_BIN` set) and the path.
fn wrapper(sim: &SimServer, cases: &str) -> (Test, String) {
    let t = Test::new();
    let path = t.root().join("juju");
    let script = format!(
        "#!/bin/sh\nSIM='{}'\ncase \"$1\" in\n{cases}\nesac\nexec \"$SIM\" \"$@\"\n",
        sim.juju_bin
    );
    std::fs::write(&path, script).expect("write the wrapper");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let bin = path.display().to_string();
    let t = t.envs(sim.env()).env("JUJU_BIN", &bin);
    (t, bin)
}

fn teardown(t: Test) -> Output {
    t.args(&[
        "run",
        "teardown",
        "--root",
        REPO,
        "--site",
        "testcloud",
        "--json",
        "--yes",
        "--set",
        "timeouts.model_gone=10",
        "--set",
        "timeouts.machines_ready=10",
        "--set",
        "timeouts.destroy_cli=20",
        "--set",
        "osd_disks=",
    ])
    .run()
}

/// The juju commands the simulator ran whose line contains `needle`.
fn juju_commands(sim: &SimServer, needle: &str) -> Vec<String> {
    sim.requests_of("juju")
        .into_iter()
        .filter(|r| r.contains(needle))
        .collect()
}

fn release_posts(sim: &SimServer) -> Vec<String> {
    sim.requests_of("maas")
        .into_iter()
        .filter(|r| r.starts_with("POST") && r.contains("op=release"))
        .collect()
}

#[test]
fn yaml_where_json_was_asked_for_stops_the_detection_naming_the_command() {
    let sim = SimServer::with("dirty", &[], TEST_SPEED);
    let (t, bin) = wrapper(
        &sim,
        "models) printf 'models:\\n- name: admin/openstack\\n  short-name: openstack\\n'; exit 0;;",
    );
    let out = teardown(t);
    out.status(2)
        .stderr_has(&format!(
            "cannot read the output of `{bin} models -c maas-controller --format json`: `juju models` output is not the JSON Juju prints"
        ))
        .stderr_has("it begins `models:` (YAML or text: is this `juju` ignoring `--format json`?)")
        .stderr_lacks("panicked");
    assert!(!sim.changed(), "{:#?}", sim.log());
    assert!(juju_commands(&sim, "destroy-model").is_empty());
}

#[test]
fn a_status_that_prints_nothing_stops_phase_a_before_the_destroy() {
    let sim = SimServer::with("dirty", &[], TEST_SPEED);
    let (t, bin) = wrapper(&sim, "status) exit 0;;");
    let out = teardown(t);
    out.status(2)
        .stderr_has(&format!(
            "cannot read the output of `{bin} status -m maas-controller:openstack --format json`: `juju status` printed nothing (and exited 0)"
        ))
        .stderr_lacks("panicked");
    assert!(!sim.changed(), "{:#?}", sim.log());
    assert!(juju_commands(&sim, "destroy-model").is_empty());
    assert!(release_posts(&sim).is_empty());
}

#[test]
fn a_destroy_cli_that_dies_midway_stops_the_run_and_nothing_follows_it() {
    let sim = SimServer::with("dirty", &[], TEST_SPEED);
    // The destroy reaches the controller (the model starts dying), then the CLI is killed
    // as soon as it has said so.
    let (t, bin) = wrapper(
        &sim,
        "destroy-model) \"$SIM\" \"$@\" 2>&1 | { IFS= read -r line; printf '%s\\n' \"$line\" >&2; kill -KILL $$; }; exit 0;;",
    );
    let out = teardown(t);
    out.status(2)
        .stderr_has(&format!(
            "`{bin} destroy-model maas-controller:openstack --force --no-wait --destroy-storage --no-prompt` failed (killed by signal 9 (SIGKILL))"
        ))
        .stderr_has("Destroying model")
        .stderr_lacks("panicked");
    // Sent once, and nothing after it: no release, no remove-machine, no second destroy.
    assert_eq!(juju_commands(&sim, "destroy-model").len(), 1);
    assert!(juju_commands(&sim, "remove-machine").is_empty());
    assert_eq!(release_posts(&sim), Vec::<String>::new());
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
