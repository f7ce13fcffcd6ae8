//! The simulated `juju` CLI (the generated JUJU_BIN wrapper), in Juju 3.x's formats and rules.

use std::process::Output;
use std::time::Duration;

use serde_json::Value;

use crate::sim_server::SimServer;

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn parsed(o: &Output) -> Value {
    assert!(o.status.success(), "{}", stderr(o));
    serde_json::from_slice(&o.stdout).expect("juju printed JSON")
}

fn model_names(sim: &SimServer) -> Vec<String> {
    let models = parsed(&sim.juju(&["models", "--format", "json"]));
    models["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["short-name"].as_str().unwrap().to_string())
        .collect()
}

fn targets_ready(state: &Value) -> bool {
    state["machines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| {
            let h = m["hostname"].as_str().unwrap();
            h.starts_with("openstack") || h == "capi-mgmt"
        })
        .all(|m| m["status_name"] == "Ready" && m["owner"].is_null())
}

const DESTROY: [&str; 6] = [
    "destroy-model",
    "openstack",
    "--force",
    "--no-wait",
    "--destroy-storage",
    "--no-prompt",
];

#[test]
fn read_commands_answer_in_juju_formats() {
    let sim = SimServer::start("dirty");
    let models = parsed(&sim.juju(&["models", "--format", "json"]));
    let controller = &models["models"][0];
    assert_eq!(
        (
            controller["name"].as_str(),
            controller["is-controller"].as_bool()
        ),
        (Some("admin/controller"), Some(true))
    );
    let status = parsed(&sim.juju(&["status", "-m", "openstack", "--format", "json"]));
    let m0 = &status["machines"]["0"];
    assert_eq!(m0["display-name"], "openstack0");
    assert_eq!(m0["instance-id"], sim.machine("openstack0")["system_id"]);
    assert!(status["applications"]["ceph-osd"]["units"]["ceph-osd/0"]["machine"] == "0");
    let machines = parsed(&sim.juju(&["machines", "-m", "openstack", "--format", "json"]));
    assert_eq!(machines["model"], "openstack");
    let controllers = parsed(&sim.juju(&["controllers", "--format", "json"]));
    assert_eq!(
        controllers["controllers"]["maas-controller"]["controller-machines"]["Total"],
        1
    );
    let show = parsed(&sim.juju(&["show-model", "openstack", "--format", "json"]));
    assert_eq!(show["openstack"]["life"], "alive");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bundle.yaml");
    let out = sim.juju(&[
        "export-bundle",
        "-m",
        "openstack",
        "--filename",
        file.to_str().unwrap(),
    ]);
    assert_eq!(
        stdout(&out),
        format!("Bundle successfully exported to {}\n", file.display())
    );
    assert!(std::fs::read_to_string(&file)
        .unwrap()
        .contains("ceph-osd:"));
    let missing = sim.juju(&["status", "-m", "nope", "--format", "json"]);
    assert_eq!(
        stderr(&missing),
        "ERROR model maas-controller:admin/nope not found\n"
    );
    assert!(!sim.changed());
}

#[test]
fn dirty_teardown_releases_the_targets_and_nothing_else() {
    let sim = SimServer::start("dirty");
    let out = sim.juju(&DESTROY);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).starts_with("Destroying model"));
    sim.wait_for(
        "the model gone and the targets Ready",
        Duration::from_secs(5),
        |s| s["models"].as_array().unwrap().len() == 1 && targets_ready(s),
    );
    for h in [
        "alice-build0",
        "alice-build1",
        "alice-db0",
        "juju-controller-0",
    ] {
        assert_eq!(sim.machine(h)["status_name"], "Deployed", "{h}");
    }
    let juju: Vec<Value> = sim
        .log()
        .into_iter()
        .filter(|e| e["kind"] == "juju")
        .collect();
    assert_eq!(juju[0]["request"], DESTROY.join(" "));
    assert_eq!(juju[0]["changed"], true);
}

#[test]
fn blocking_destroy_prints_progress_until_model_destroyed() {
    let sim = SimServer::start("dirty");
    let out = sim.juju(&[
        "destroy-model",
        "openstack",
        "--destroy-storage",
        "--no-prompt",
    ]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        err.starts_with(
            "Destroying model\nWaiting for model to be removed, 5 machine(s), 8 application(s)..."
        ),
        "{err}"
    );
    assert!(err.ends_with("Model destroyed.\n"), "{err}");
    assert_eq!(model_names(&sim), ["controller"]);
}

#[test]
fn refusals_change_nothing() {
    let sim = SimServer::start("dirty");
    for (args, want) in [
        (
            vec![
                "destroy-model",
                "openstack",
                "--force",
                "--no-wait",
                "--destroy-storage",
            ],
            "ERROR model destruction: aborted\n",
        ),
        (
            vec!["destroy-model", "-m", "openstack", "--no-prompt"],
            "ERROR option provided but not defined: m\n",
        ),
        (
            vec!["destroy-model", "controller", "--no-prompt", "--force"],
            "is a controller; use 'juju destroy-controller' to destroy it",
        ),
        (
            vec!["destroy-model", "openstack", "--no-wait", "--no-prompt"],
            "ERROR --no-wait without --force not valid\n",
        ),
        (
            vec!["remove-machine", "-m", "openstack", "0", "--force"],
            "ERROR machine removal: aborted\n",
        ),
        (
            vec!["remove-machine", "-m", "openstack", "0", "--no-prompt"],
            "ERROR removing machine failed: machine 0 has unit",
        ),
    ] {
        let out = sim.juju(&args);
        assert!(!out.status.success(), "{args:?}");
        assert!(stderr(&out).contains(want), "{args:?}: {}", stderr(&out));
    }
    assert!(
        !sim.changed(),
        "a refused command changed the cloud: {:?}",
        sim.log()
    );
}

#[test]
fn stuck_machine_needs_remove_machine_force() {
    let sim = SimServer::start("stuck");
    assert!(sim.juju(&DESTROY).status.success());
    sim.wait_for("only the stuck machine left", Duration::from_secs(5), |s| {
        s["models"][1]["machines"]
            .as_array()
            .is_some_and(|m| m.len() == 1 && m[0]["life"] == "dying")
    });
    let show = parsed(&sim.juju(&["show-model", "openstack", "--format", "json"]));
    assert_eq!(show["openstack"]["life"], "dying");
    let plain = sim.juju(&["remove-machine", "-m", "openstack", "3", "--no-prompt"]);
    assert!(!plain.status.success());
    assert!(stderr(&plain).starts_with("ERROR removing machine failed: "));
    let forced = sim.juju(&[
        "remove-machine",
        "-m",
        "openstack",
        "3",
        "--force",
        "--no-prompt",
    ]);
    assert!(forced.status.success(), "{}", stderr(&forced));
    assert!(stdout(&forced).starts_with("will remove machine 3\n"));
    sim.wait_for(
        "the model gone and the targets Ready",
        Duration::from_secs(5),
        |s| s["models"].as_array().unwrap().len() == 1 && targets_ready(s),
    );
}

#[test]
fn destroying_model_goes_only_after_a_forced_destroy() {
    let sim = SimServer::start("destroying");
    let show = parsed(&sim.juju(&["show-model", "openstack", "--format", "json"]));
    assert_eq!(
        (
            show["openstack"]["life"].as_str(),
            show["openstack"]["status"]["current"].as_str()
        ),
        (Some("dying"), Some("destroying"))
    );
    std::thread::sleep(Duration::from_millis(300)); // longer than any simulated delay at this speed
    assert_eq!(model_names(&sim), ["controller", "openstack"]);
    assert!(sim.juju(&DESTROY).status.success());
    sim.wait_for("the dying model gone", Duration::from_secs(5), |s| {
        s["models"].as_array().unwrap().len() == 1
    });
}

#[test]
fn model_stuck_fault_keeps_the_model_even_with_force() {
    let sim = SimServer::with("dirty", &["model-stuck"], 20.0);
    assert!(sim.juju(&DESTROY).status.success());
    sim.wait_for("the targets Ready", Duration::from_secs(5), targets_ready);
    assert_eq!(model_names(&sim), ["controller", "openstack"]);
    assert!(sim.juju(&DESTROY).status.success());
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(model_names(&sim), ["controller", "openstack"]);
}

#[test]
fn juju_faults_fail_or_garble_one_command() {
    let sim = SimServer::with(
        "dirty",
        &["juju-fail:status", "juju-malformed:models"],
        20.0,
    );
    let failed = sim.juju(&["status", "-m", "openstack", "--format", "json"]);
    assert_eq!(failed.status.code(), Some(1));
    assert!(stderr(&failed).starts_with("ERROR "));
    let garbled = sim.juju(&["models", "--format", "json"]);
    assert!(garbled.status.success());
    assert!(serde_json::from_slice::<Value>(&garbled.stdout).is_err());
    assert!(sim
        .juju(&["machines", "-m", "openstack", "--format", "json"])
        .status
        .success());
}

#[test]
fn the_shim_without_a_server_says_what_to_run() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_runbook"))
        .args(["sim", "juju", "status"])
        .env_remove("RUNBOOK_SIM_URL")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains(
        "`RUNBOOK_SIM_URL` is not set; run the `juju` wrapper printed by `runbook sim serve`"
    ));
}
