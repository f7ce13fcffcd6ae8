//! A `juju` that misbehaves mid-teardown: it prints YAML where JSON was asked for, prints
//! nothing, or dies in the middle of `destroy-model`. Each is a clear error naming the exact
//! command, the run stops there (exit 2), and nothing changes after it. The `juju` here is a
//! wrapper around the simulator's that misbehaves on one command and passes the rest on.

use std::os::unix::fs::PermissionsExt;

use crate::common::session::testcloud;
use crate::common::Output;
use crate::sim_server::SimServer;

/// The operator's teardown (`--json --yes`, short waits, no OSD disks) against `sim` with a
/// `juju` in the test's root: `case "$1" in {cases} esac`, then the simulator's juju with
/// the same arguments; the transcript shows the wrapper as `<tmp>/root/juju`.
pub fn teardown_with_juju(sim: &SimServer, cases: &str) -> Output {
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
    t.env("JUJU_BIN", &path.display().to_string()).run()
}

/// How a run that stopped at an error ends, before it changed anything.
const ENDED_UNCHANGED: &str =
    "run ended: error — no verdict\nalready changed: nothing (per the journal)";

/// YAML where JSON was asked for stops the detection; a `juju status` that prints nothing
/// stops Phase A: each names the exact command, and nothing is destroyed or released. The
/// account lists what was written (`None`: nothing; Phase A's dir with its first capture).
#[test]
fn bad_output_before_the_destroy_stops_the_run_naming_the_command() {
    for (case, error, written) in [
        (
            "models) printf 'models:\\n- name: admin/openstack\\n  short-name: openstack\\n'; exit 0;;",
            "error: cannot read the output of `<tmp>/root/juju models -c maas-controller --format json`: `juju models` output is not the JSON Juju prints (expected `{\"models\": [...]}`): it begins `models:` (YAML or text: is this `juju` ignoring `--format json`?)",
            None,
        ),
        (
            "status) exit 0;;",
            "error: cannot read the output of `<tmp>/root/juju status -m maas-controller:admin/openstack --format json`: `juju status` printed nothing (and exited 0); expected the JSON Juju prints",
            Some(" created, 1 file(s) written; incomplete, no seal"),
        ),
    ] {
        let sim = SimServer::start("dirty");
        let out = teardown_with_juju(&sim, case);
        out.status(2).says(error);
        match written {
            None => out.says(ENDED_UNCHANGED),
            Some(dir) => {
                let said = out.transcript();
                assert!(said.contains(dir), "`{dir}` not in\n{said}");
                out.says("run ended: error — no verdict\nalready changed (per the journal):")
            }
        };
        sim.assert_unchanged();
        assert!(sim.juju_commands("destroy-model").is_empty());
        assert!(sim.released_ids().is_empty());
    }
}

#[test]
fn a_destroy_cli_that_dies_midway_stops_the_run_and_nothing_follows_it() {
    let sim = SimServer::start("dirty");
    // The destroy reaches the controller (the model starts dying), then the CLI is killed
    // as soon as it has said so.
    let out = teardown_with_juju(
        &sim,
        "destroy-model) \"$SIM\" \"$@\" 2>&1 | { IFS= read -r line; printf '%s\\n' \"$line\" >&2; kill -KILL $$; }; exit 0;;",
    );
    out.status(2).says(
        "  ... Destroying model
error: `<tmp>/root/juju destroy-model maas-controller:admin/openstack --force --no-wait --destroy-storage --no-prompt` failed (killed by signal 9 (SIGKILL))
stderr:
Destroying model",
    );
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
