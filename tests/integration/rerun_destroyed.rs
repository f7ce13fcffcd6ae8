//! A teardown killed right after its destroy went through, before Phase C released anything:
//! Juju no longer lists the model, and its nodes are still Deployed (Juju left them to us).
//! That is the table's "no model, machines not Ready" ANOMALY — unless the journal of the
//! run that destroyed the model says it did, by uuid, and every target still names that
//! model in its MAAS `owner_data` and is still ours: then it is a teardown in progress, and
//! the first re-run finishes it (GO, each target released once, one destroy in all).
//! Without that evidence the ANOMALY stands and nothing is released (the request log says so).

use crate::common::session::testcloud;
use crate::common::Test;
use crate::sim_server::SimServer;

/// The simulator: the model goes at once when destroyed, but its nodes stay Deployed; the
/// first read of MAAS's erase setting (the first request of Phase C) is never answered.
/// `extra`: more faults.
fn cloud(extra: &[&str]) -> SimServer {
    let mut cloud = SimServer::scenario("dirty")
        .fault("juju-keeps-nodes")
        .fault("maas-hang-first:name=enable_disk_erasing_on_release");
    for f in extra {
        cloud = cloud.fault(f);
    }
    cloud.start()
}

/// Runs the teardown until Phase C's first request is held, and kills it there.
fn killed_as_phase_c_starts(sim: &SimServer) -> Test {
    let t = testcloud(sim, "teardown")
        .args(&["--yes"])
        .set("timeouts.destroy_cli", "60");
    let mut run = t.start();
    run.wait_for_request(sim, "Phase C's first request, held", |e| {
        e["request"]
            .as_str()
            .unwrap_or("")
            .contains("name=enable_disk_erasing_on_release")
            && e["status"] == 0
    });
    run.stop(libc::SIGKILL).status(128 + libc::SIGKILL);
    assert_eq!(sim.juju_commands("destroy-model").len(), 1, "the destroy");
    assert!(sim.released_ids().is_empty(), "nothing released yet");
    t
}

#[test]
fn sigkill_after_the_destroy_before_any_release_then_the_first_rerun_is_go() {
    let sim = cloud(&[]);
    let t = killed_as_phase_c_starts(&sim);
    let again = t.run();
    again
        .status(0)
        .says("verdict: GO")
        .stdout_has("[IN PROGRESS] state=absent:all_deployed_or_other")
        .stdout_has("issued the destroy of model `openstack` (uuid ")
        .stdout_has("skipping Phase A and Phase B")
        .stdout_has("taken before the destroy of model `openstack`");
    assert_eq!(
        sim.juju_commands("destroy-model").len(),
        1,
        "no second destroy"
    );
    assert_eq!(
        sim.juju_commands("export-bundle").len(),
        1,
        "no new capture"
    );
    let mut released = sim.released_ids();
    released.sort();
    let mut targets: Vec<String> = [
        "openstack0",
        "openstack1",
        "openstack2",
        "openstack3",
        "capi-mgmt",
    ]
    .iter()
    .map(|h| sim.system_id(h))
    .collect();
    targets.sort();
    assert_eq!(released, targets, "each target released once");
    sim.assert_torn_down();
}

/// The ANOMALY stands, exit 3, and the re-run released nothing.
fn rerun_halts(sim: &SimServer, t: &Test, says: &str) {
    let again = t.run();
    again
        .status(3)
        .stdout_has("[ANOMALY] state=absent:all_deployed_or_other")
        .stdout_lacks("[IN PROGRESS]")
        .stdout_has(says);
    assert!(sim.released_ids().is_empty(), "{:?}", sim.released_ids());
    assert_eq!(sim.juju_commands("destroy-model").len(), 1);
}

#[test]
fn without_the_destroying_runs_journal_the_anomaly_stands() {
    let sim = cloud(&[]);
    let t = killed_as_phase_c_starts(&sim);
    std::fs::remove_dir_all(t.state().join("runbook").join("runs")).expect("rm the journals");
    rerun_halts(&sim, &t, "Investigate before continuing");
}

#[test]
fn a_target_naming_another_model_keeps_the_anomaly() {
    // After the first run's detection, openstack2's owner_data names another model.
    let other = "11111111-2222-4333-8444-555555555555";
    let sim = cloud(&[&format!("mutate:mshcdb:juju-model-uuid={other}")]);
    let t = killed_as_phase_c_starts(&sim);
    rerun_halts(
        &sim,
        &t,
        &format!("names Juju model `{other}` in its MAAS owner_data"),
    );
}
