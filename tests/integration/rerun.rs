//! The first re-run finishes the job: a teardown stopped in any phase (a signal between
//! steps, or SIGKILL) is run again with the same command and reaches GO, without a second
//! re-run. The re-run continues what was started — it never captures the dying model as a
//! "pre-destroy" backup, never destroys it a second time, never moves the pointer away from
//! the backup taken before the destroy — and its transcript says so.
//!
//! Each test stops the first run at a chosen phase deterministically: a simulator fault
//! holds one request (`maas-hang-first`) or keeps the destroyed model listed, dying, for
//! a while (`model-slow`), and the test signals the run once the simulator's request log
//! (or the run's transcript) shows it got there.

use serde_json::Value;

use crate::common::session::{backups, pointer, testcloud};
use crate::common::{Output, Test};
use crate::sim_server::{SimServer, JUJU_MAJORS};

/// The operator's command, the same for the stopped run and the re-run. `destroy_cli`:
/// how long Phase B waits for Juju before going on while the controller carries on.
fn teardown_command(sim: &SimServer, destroy_cli: u32) -> Test {
    testcloud(sim, "teardown")
        .args(&["--yes"])
        .set("timeouts.model_gone", "60")
        .set("timeouts.machines_ready", "30")
        .set("timeouts.destroy_cli", &destroy_cli.to_string())
}

fn is_juju(e: &Value, command: &str) -> bool {
    e["kind"] == "juju" && e["request"].as_str().unwrap_or("").starts_with(command)
}

/// The first re-run: exit 0 with the verdict GO, no second re-run needed; its transcript
/// (stdout) says it continues, names the backup taken before the destroy, and says each of
/// `says`.
fn assert_go_saying(again: &Output, says: &[&str]) {
    again
        .status(0)
        .says("verdict: GO")
        .stdout_has("continuing an interrupted teardown")
        .stdout_has("taken before the destroy of model `openstack`");
    for text in says {
        again.stdout_has(text);
    }
}

/// Runs `t` again after a stop once the destroy was issued: the re-run is GO (saying
/// `says`) on the backup the stopped run sealed and pointed at, and the cloud is torn down.
fn rerun_continues(sim: &SimServer, t: &Test, says: &[&str]) {
    let before = pointer(&t.home());
    let again = t.run();
    assert_go_saying(&again, says);
    assert_one_pre_destroy_backup(t, &before);
    sim.assert_torn_down();
}

/// The backup Phase A of the stopped run sealed is the only one, and the pointer still
/// names it after the re-run.
fn assert_one_pre_destroy_backup(t: &Test, before: &Option<String>) {
    let dirs = backups(&t.home());
    assert_eq!(
        dirs.len(),
        1,
        "the re-run made no capture of its own: {dirs:?}"
    );
    let sealed = dirs[0].display().to_string();
    assert_eq!(
        before.as_deref(),
        Some(sealed.as_str()),
        "the stopped run's pointer"
    );
    assert_eq!(
        pointer(&t.home()).as_deref(),
        Some(sealed.as_str()),
        "the pointer still names the backup taken before the destroy"
    );
}

/// Exactly one destroy reached Juju.
fn assert_one_destroy(sim: &SimServer) {
    let destroys = sim.juju_commands("destroy-model");
    assert_eq!(destroys.len(), 1, "no second destroy: {destroys:?}");
}

#[test]
fn sigterm_in_phase_b_then_the_first_rerun_is_go() {
    for juju in JUJU_MAJORS {
        sigterm_in_phase_b_on(juju);
    }
}

fn sigterm_in_phase_b_on(juju: &str) {
    // The destroyed model stays listed, dying, for 100 simulated seconds (5 s here): Juju's
    // destroy-model blocks meanwhile, so the run is in Phase B when it is stopped.
    let sim = SimServer::scenario("dirty")
        .fault("model-slow:100")
        .juju(juju)
        .start();
    let t = teardown_command(&sim, 300);
    let mut run = t.start();
    run.wait_for_request(&sim, "the destroy", |e| {
        is_juju(e, "destroy-model") && e["changed"] == true
    });
    run.wait_until("Phase B", |s| s.contains("==> Phase B"));
    run.stop(libc::SIGTERM).status(143);
    rerun_continues(
        &sim,
        &t,
        &[
            "[IN PROGRESS]",
            "was interrupted at",
            "SIGTERM",
            "juju_destroy_model of model openstack was in flight",
            "skipping Phase A and Phase B",
        ],
    );
    assert_one_destroy(&sim);
}

#[test]
fn sigkill_in_phase_c_then_the_first_rerun_is_go() {
    // Phase B stops waiting after 1 s (the model is still dying); Phase C's first release
    // request is never answered: the run is killed there, one target still Deployed.
    let sim = SimServer::scenario("dirty")
        .fault("model-slow:100")
        .fault("maas-hang-first:op=release")
        .start();
    let t = teardown_command(&sim, 1);
    let mut run = t.start();
    run.wait_for_request(&sim, "the held release", |e| {
        e["kind"] == "maas"
            && e["request"].as_str().unwrap_or("").contains("op=release")
            && e["status"] == 0
    });
    run.stop(libc::SIGKILL).status(128 + libc::SIGKILL);
    rerun_continues(
        &sim,
        &t,
        &[
            "[IN PROGRESS]",
            "stopped without recording its end (killed?) while release of machine",
            "destroy of model openstack was issued",
            "in flight when the run stopped: release of machine",
            "skipping Phase A and Phase B",
        ],
    );
    assert_one_destroy(&sim);
}

#[test]
fn sigkill_in_phase_a_then_the_first_rerun_is_go() {
    // Phase A's `juju export-bundle` never returns: the run is killed mid-capture, its
    // backup dir made but never sealed, the pointer not moved, nothing destroyed.
    let sim = SimServer::scenario("dirty")
        .fault("juju-hang-first:export-bundle")
        .start();
    let t = teardown_command(&sim, 60);
    let mut run = t.start();
    run.wait_for_request(&sim, "the held export-bundle", |e| {
        is_juju(e, "export-bundle") && e["status"] == 0
    });
    run.stop(libc::SIGKILL).status(128 + libc::SIGKILL);
    assert!(
        pointer(&t.home()).is_none(),
        "Phase A never got to the pointer"
    );
    assert!(sim.juju_commands("destroy-model").is_empty());

    // The model is alive: the re-run starts again from Phase A, with a capture of its own.
    let again = t.run();
    assert_go_saying(
        &again,
        &[
            "[DIRTY]",
            "stopped in Phase A",
            "starting again from Phase A",
        ],
    );
    assert_one_destroy(&sim);
    let dirs = again.backups();
    assert_eq!(
        dirs.len(),
        2,
        "the stopped run's unsealed dir and the re-run's: {dirs:?}"
    );
    assert!(
        !dirs[0].join("seal.json").exists(),
        "the stopped run sealed nothing"
    );
    assert_eq!(
        again.pointer().as_deref(),
        dirs[1].to_str(),
        "the pointer names the re-run's sealed capture of the live model"
    );
    sim.assert_torn_down();
}

#[test]
fn sigint_in_phase_d_then_the_first_rerun_is_go() {
    // Phase B stops waiting after 1 s, Phase C releases the targets, and Phase D waits for
    // the model, which stays listed (dying) for 5 s: the run is stopped in that wait.
    let sim = SimServer::scenario("dirty").fault("model-slow:100").start();
    let t = teardown_command(&sim, 1);
    let mut run = t.start();
    run.wait_until("Phase D", |s| s.contains("==> Phase D"));
    run.stop(libc::SIGINT)
        .status(130)
        .stdout_has("to continue: run the same command again");
    // The model is still dying; the targets are back (or on their way): the re-run
    // remediates with the backup taken before the destroy, or waits — never a new capture.
    rerun_continues(
        &sim,
        &t,
        &[
            "was interrupted at",
            "destroy of model openstack was issued",
        ],
    );
}

/// The pointer rule lives in the host: a script that captures the model once it is dying
/// and points the pointer at that capture is refused (exit 4), and the pointer keeps naming
/// the backup taken before the destroy.
#[test]
fn the_pointer_never_moves_from_the_pre_destroy_backup_to_a_capture_of_the_dying_model() {
    let sim = SimServer::scenario("dirty").fault("model-slow:100").start();
    let script = r#"
detect_cloud();
fn capture(cfg, model) {
    let dir = backup_dir(cfg.backup_prefix);
    write_backup(dir, "export-bundle.yaml", juju_export_bundle(model));
    write_backup(dir, "status.json", to_json(juju_status(model)));
    write_backup(dir, "models.json", to_json(juju_models()));
    write_backup(dir, "controllers.json", to_json(juju_controllers()));
    write_backup(dir, "maas-targets.json", maas_snapshot([]));
    seal_backup(dir, model);
    dir
}
let before = capture(site, "openstack");
set_pointer(site.pointer_file, before);
print(`pre-destroy: ${before}`);
juju_destroy_model("openstack", #{ force: true, no_wait: true, destroy_storage: true });
let after = capture(site, "openstack");
print(`dying capture: ${after}`);
set_pointer(site.pointer_file, after);
print("moved");
"#;
    // This test's runbook (under its own root) on the site `testcloud`.
    let out = Test::new()
        .file("runbooks/move.rhai", script)
        .sim(&sim)
        .site("testcloud")
        .args(&["run", "move", "--yes"])
        .set("timeouts.destroy_cli", "1")
        .run();
    out.status(4)
        .stderr_has("refused by guard `set_pointer.pre_destroy`")
        .stderr_has("taken before its destroy")
        .stdout_lacks("moved");
    let dirs = out.backups();
    assert_eq!(dirs.len(), 2, "{dirs:?}");
    assert_eq!(
        out.pointer().as_deref(),
        dirs[0].to_str(),
        "the pointer still names the backup taken before the destroy"
    );
    assert_eq!(
        out.journal_effects("refused"),
        ["set_pointer"],
        "one refused set_pointer in the journal"
    );
    // The destroy reached the simulator once; nothing else changed after the refusal.
    assert_one_destroy(&sim);
}

#[test]
fn sigterm_in_remediation_then_the_first_rerun_is_go() {
    // Scenario `stuck`: one machine keeps the model from going until it is force-removed.
    // Phase B gives up after 1 s, Phase D after 2 s; the remediation's first `juju
    // remove-machine` never returns: the run is stopped there.
    let sim = SimServer::scenario("stuck")
        .fault("juju-hang-first:remove-machine")
        .start();
    let t = teardown_command(&sim, 1).set("timeouts.model_gone", "2");
    let mut run = t.start();
    run.wait_for_request(&sim, "the held remove-machine", |e| {
        is_juju(e, "remove-machine") && e["status"] == 0
    });
    assert!(
        run.stdout().contains("Phase D remediation"),
        "stopped in the remediation"
    );
    run.stop(libc::SIGTERM).status(143);
    // The model lingers, dying, with its stuck machine: the re-run remediates again on the
    // backup taken before the destroy (no new capture) and reaches GO.
    rerun_continues(
        &sim,
        &t,
        &[
            "juju_remove_machine",
            "no new capture of a model being destroyed",
        ],
    );
    let removes = sim.juju_commands("remove-machine");
    assert!(
        removes.len() >= 2,
        "the re-run removed the machine again: {removes:?}"
    );
}
