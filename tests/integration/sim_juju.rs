//! The simulated `juju` CLI (the generated JUJU_BIN wrapper), in Juju 3.6's and 4.0's formats
//! and rules, including the destroy that blocks until the model is gone.

use std::io::Read;
use std::process::Output;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::each_str;
use crate::sim_evidence::{targets_ready, DESTROY};
use crate::sim_server::SimServer;

/// Runs the simulated juju with `args` (a blocking destroy-model that would otherwise
/// never return), sends it SIGINT once its stderr shows `shown`, and returns what it printed.
fn juju_interrupted(sim: &SimServer, args: &[&str], shown: &str) -> Output {
    let mut child = std::process::Command::new(&sim.juju_bin)
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run the juju wrapper");
    let mut pipe = child.stderr.take().expect("stderr is piped");
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut seen = Vec::new();
        let mut buf = [0u8; 256];
        while let Ok(n) = pipe.read(&mut buf) {
            if n == 0 {
                break;
            }
            seen.extend_from_slice(&buf[..n]);
            let _ = tx.send(String::from_utf8_lossy(&seen).into_owned());
        }
        seen
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(text) if text.contains(shown) => break,
            Ok(_) => {}
            Err(e) => panic!("juju never printed {shown:?} ({e})"),
        }
    }
    // SAFETY: kill(2) on our own child's pid; no memory involved.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let mut out = child.wait_with_output().expect("wait for juju");
    out.stderr = reader.join().expect("the stderr reader");
    out
}

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

/// Waits until only the controller's model is left and every target is Ready.
fn wait_torn_down(sim: &SimServer) {
    sim.wait_for(
        "the model gone and the targets Ready",
        Duration::from_secs(5),
        |s| s["models"].as_array().is_some_and(|m| m.len() == 1) && targets_ready(s),
    );
}

fn model_names(sim: &SimServer) -> Vec<String> {
    let models = parsed(&sim.juju(&["models", "--format", "json"]));
    each_str(&models["models"], "short-name")
}

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
    wait_torn_down(&sim);
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
    // The model takes half a second to go (10 simulated s at test speed): Juju's first
    // check, 10 ms in, always sees it still there, however loaded the machine is.
    let sim = SimServer::with("dirty", &["model-slow:10"], crate::sim_server::TEST_SPEED);
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
            "Destroying model\n\nWaiting for model to be removed, 5 machine(s), 8 application(s), 4 volume(s)..."
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
    // The destroy blocks while the stuck machine lingers; Ctrl-C leaves it running.
    let out = juju_interrupted(
        &sim,
        &DESTROY,
        "Waiting for model to be removed, 1 machine(s)",
    );
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("destroy model is still running in the background...")
            && err.contains("The following resources have not yet been removed:\n - 1 machine(s)"),
        "{err}"
    );
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
    wait_torn_down(&sim);
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
    // A plain destroy changes nothing: Juju's wait polls the dying model and still finds it
    // — five polls, 0.3 s, longer than any simulated delay at this speed.
    let plain = juju_interrupted(
        &sim,
        &[
            "destroy-model",
            "openstack",
            "--destroy-storage",
            "--no-prompt",
        ],
        "Waiting for model to be removed.......",
    );
    assert!(!plain.status.success(), "{}", stderr(&plain));
    assert!(!sim.changed(), "{:?}", sim.changes());
    assert_eq!(model_names(&sim), ["controller", "openstack"]);
    assert!(sim.juju(&DESTROY).status.success());
    sim.wait_for("the dying model gone", Duration::from_secs(5), |s| {
        s["models"].as_array().unwrap().len() == 1
    });
}

#[test]
fn model_stuck_fault_keeps_the_model_even_with_force() {
    let sim = SimServer::with("dirty", &["model-stuck"], 20.0);
    // Juju's destroy never returns for a stuck model; interrupted, it says the destroy
    // goes on, and the model (dying) stays.
    let out = juju_interrupted(&sim, &DESTROY, "Waiting for model to be removed...");
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("still running in the background"),
        "{}",
        stderr(&out)
    );
    sim.wait_for("the targets Ready", Duration::from_secs(5), targets_ready);
    assert_eq!(model_names(&sim), ["controller", "openstack"]);
}

#[test]
fn destroy_blocks_whatever_no_wait_says_and_sigint_leaves_it_running() {
    for juju in crate::sim_server::JUJU_MAJORS {
        // Slow time: the model takes 3 s to go.
        let sim = SimServer::with_juju("dirty", &[], 0.5, juju);
        let out = juju_interrupted(
            &sim,
            &DESTROY,
            "Waiting for model to be removed, 5 machine(s), 8 application(s), 4 volume(s)...",
        );
        let err = stderr(&out);
        assert!(!out.status.success(), "{juju}: {err}");
        assert!(
            err.starts_with("Destroying model\n\nWaiting for model to be removed, 5 machine(s), 8 application(s), 4 volume(s)..."),
            "{juju}: {err}"
        );
        assert!(
            err.contains("destroy model is still running in the background...")
                && err.contains(" - 4 volume(s)")
                && !err.contains("filesystem"),
            "{juju}: {err}"
        );
        // The model keeps dying in the controller and goes.
        assert_eq!(model_names(&sim), ["controller", "openstack"]);
        sim.wait_for("the model gone", Duration::from_secs(10), |s| {
            s["models"].as_array().unwrap().len() == 1
        });
    }
}

#[test]
fn both_majors_print_their_own_shapes() {
    for (juju, version) in [
        ("3.6", "3.6.24-genericlinux-amd64\n"),
        ("4.0", "4.0.16-ubuntu-amd64\n"),
    ] {
        let sim = SimServer::with_juju("dirty", &[], 20.0, juju);
        assert_eq!(stdout(&sim.juju(&["version"])), version);
        let four = juju == "4.0";
        let models = parsed(&sim.juju(&["models", "--format", "json"]));
        let os = &models["models"][1];
        assert_eq!(
            (os["name"].as_str(), os["short-name"].as_str()),
            (Some("admin/openstack"), Some("openstack"))
        );
        assert_eq!(os["owner"].is_null(), four, "{juju}: {os}");
        for gone in ["qualifier", "sla", "users"] {
            assert!(os[gone].is_null(), "{juju}: `{gone}` in {os}");
        }
        assert!(os["credential"]["validity-check"].is_null(), "{os}");
        assert_eq!(os["credential"]["owner"], "admin");
        assert_eq!(os["agent-version"], &version[..6]);

        let show = parsed(&sim.juju(&["show-model", "openstack", "--format", "json"]));
        let key = if four { "admin/openstack" } else { "openstack" };
        let m = &show[key];
        assert_eq!(m["model-uuid"], os["model-uuid"], "{juju}: {show}");
        assert!(m["supported-features"].is_array(), "{show}");
        assert!(
            m["access"].is_null() && m["last-connection"].is_null(),
            "{show}"
        );
        assert_eq!(m["owner"].is_null(), four);
        assert_eq!(m["machines"].is_object(), four, "{show}");
        assert_eq!(m["users"].is_object(), !four, "{show}");

        let status = parsed(&sim.juju(&["status", "-m", "openstack", "--format", "json"]));
        assert_eq!(status["model"]["sla"].is_null(), four);
        assert_eq!(
            status["machines"]["0"]["juju-status"]["version"].is_null(),
            four
        );
        let unit = &status["applications"]["ceph-osd"]["units"]["ceph-osd/0"]["juju-status"];
        assert_eq!(unit["since"].is_null(), four, "{unit}");
        assert_eq!(
            status["storage"]["volumes"].as_object().map(|v| v.len()),
            Some(4)
        );
        let controllers = parsed(&sim.juju(&["controllers", "--format", "json"]));
        let c = controllers["controllers"]
            .as_object()
            .unwrap()
            .values()
            .next()
            .unwrap()
            .clone();
        assert_eq!(c["agent-version"], &version[..6]);
    }
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
