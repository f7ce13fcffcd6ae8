//! End-to-end: `runbook run teardown` (and its parts) against `runbook sim serve`, one
//! scenario per test, as an operator would run it. Each test asserts the exit code, the
//! `route` and `verdict` of `--json`, the simulator's request log (what was and was not
//! released or destroyed), the backup directory, the pointer file and the journal.
//!
//! Time: the simulator runs at `TEST_SPEED` and the site's waits are cut with
//! `--set timeouts.*`, so the whole file runs in seconds.

use crate::common::session::testcloud;
use crate::common::{Output, Test};
use crate::sim_server::{SimServer, TARGETS, TEST_SPEED};

/// The operator's `runbook run RUNBOOK --site testcloud --json` against `sim`: Phase B's own
/// deadline is short here (Juju's destroy blocks while the model lingers, as in scenario
/// `stuck`).
fn run(sim: &SimServer, runbook: &str) -> Test {
    testcloud(sim, runbook)
        .args(&["--json"])
        .set("timeouts.destroy_cli", "3")
}

fn teardown(sim: &SimServer, extra: &[&str]) -> Output {
    run(sim, "teardown").args(extra).run()
}

/// `teardown --yes` against `sim`: routed `route`, GO, and the cloud torn down (the model
/// gone, every target Ready and unowned).
fn torn_down(sim: &SimServer, route: &str) -> Output {
    let out = teardown(sim, &["--yes"]);
    out.outcome(0, route, Some("go"));
    sim.assert_torn_down();
    out
}

/// `teardown --yes` with these settings (`--set KEY=VALUE`).
fn teardown_yes_with(sim: &SimServer, settings: &[(&str, &str)]) -> Output {
    let mut t = run(sim, "teardown").args(&["--yes"]);
    for (key, value) in settings {
        t = t.set(key, value);
    }
    t.run()
}

/// The scorecard's rows for a cloud torn down: the model gone, the five targets Ready.
const TORN_DOWN: &str = "  [GO]    model `openstack` absent — not listed by `juju models`
  [GO]    openstack0 Ready, owner (none) — Ready, owner=(none) (jnn7x2)
  [GO]    openstack1 Ready, owner (none) — Ready, owner=(none) (kq495n)
  [GO]    openstack2 Ready, owner (none) — Ready, owner=(none) (mshcdb)
  [GO]    openstack3 Ready, owner (none) — Ready, owner=(none) (nw0em0)
  [GO]    capi-mgmt Ready, owner (none) — Ready, owner=(none) (pydhwk)";

const DIRTY: &str = "  [DIRTY] state=present:all_deployed_or_other
  Cloud is up. Execute the destroy-model runbook in full.";

/// Phase A, from its heading to the pointer.
const PHASE_A: &str = "==> Phase A — pre-destroy capture of model `openstack` (teardown.md §3.2 step 1)
  will save export-bundle, status, models, controllers and the 5 targets' MAAS records (maas-targets.json)
  to <tmp>/home/backups/pre-caracal-destroy-<timestamp>/,
  seal it for model `openstack`, and point <tmp>/home/.last-pre-caracal-destroy-backup at it
  ok   backup sealed: <tmp>/home/backups/pre-caracal-destroy-<stamp>
  ok   pointer updated: <tmp>/home/.last-pre-caracal-destroy-backup → <tmp>/home/backups/pre-caracal-destroy-<stamp>";

/// What a run that changed nothing says last.
const NOTHING_CHANGED: &str = "already changed: nothing (per the journal)";

/// What a sealed backup holds.
const CAPTURES: [&str; 5] = [
    "export-bundle.yaml",
    "status.json",
    "models.json",
    "controllers.json",
    "maas-targets.json",
];

#[test]
fn dirty_with_yes_destroys_releases_and_is_go_with_a_sealed_backup() {
    SimServer::scenario("dirty").each_juju(dirty_with_yes_on);
}

fn dirty_with_yes_on(sim: &SimServer) {
    let ids = sim.target_ids();
    let out = torn_down(sim, "dirty");

    // Phase B: exactly the procedure's command, once.
    assert_eq!(
        sim.juju_commands("destroy-model"),
        ["destroy-model maas-controller:admin/openstack --force --no-wait --destroy-storage --no-prompt"]
    );
    // Phase C: only the frozen targets, never anyone else's machines. (Juju releases the
    // model's machines too, so Phase C may find some already Releasing.)
    for id in &sim.released_ids() {
        assert!(
            ids.contains(id),
            "released {id}, which is not a target ({ids:?})"
        );
    }

    // Phase A: a sealed backup with the five captures, and the pointer at it.
    let dirs = out.backups();
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    let files = out.files_under(&dirs[0]);
    let manifest =
        std::fs::read_to_string(dirs[0].join("manifest.json")).expect("sealed: manifest.json");
    for f in CAPTURES {
        assert!(files.iter().any(|x| x == f), "{f} not in {files:?}");
        assert!(manifest.contains(f), "{f} not in the manifest: {manifest}");
    }
    assert_eq!(out.pointer().as_deref(), dirs[0].to_str());
    let bundle = std::fs::read_to_string(dirs[0].join("export-bundle.yaml")).expect("bundle");
    assert!(
        bundle.contains("applications"),
        "the bundle is Juju's export: {bundle:.200}"
    );

    // The journal has every effect, executed.
    let executed = out.journal_effects("executed");
    for e in [
        "write_backup",
        "seal_backup",
        "set_pointer",
        "juju_destroy_model",
    ] {
        assert!(
            executed.iter().any(|x| x == e),
            "{e} not executed: {executed:?}"
        );
    }
    assert_eq!(
        sim.juju_commands("version").len(),
        1,
        "one `juju version` per run"
    );

    // The transcript says the route and why, and each phase before doing it; Juju blocked
    // until the model was gone (its progress dots vary), and Phase C and D follow.
    out.says(DIRTY)
        .says(PHASE_A)
        .says("  will run: /tmp/runbook-sim-<uuid>/juju destroy-model maas-controller:admin/openstack --force --no-wait --destroy-storage --no-prompt
  Juju waits until the model is gone; after 3s (site `timeouts.destroy_cli`) runbook stops waiting and reads `juju models`: dying, it goes on with Phases C and D while the controller carries on; still alive, the destroy did not start and the run stops, nothing released
  ... Destroying model")
        .stderr_has("  ... Waiting for model to be removed, 5 machine(s), 8 application(s), 4 volume(s)...")
        .says("  ... Model destroyed.
  ok   model `openstack` destroyed (Juju returned once it was gone)
==> Phase C — release target machines in MAAS (teardown.md §3.2 step 3)
  disks: not erased (site `maas.erase` is none; MAAS's setting enable_disk_erasing_on_release is off)")
        .says("==> Phase D — verification: model gone, targets Ready (teardown.md §3.2 step 4)
  will wait up to 10s for model `openstack` to disappear, then up to 10s for 5 targets to be Ready with owner (none)")
        .says(TORN_DOWN)
        .says("verdict: GO");
}

#[test]
fn clean_verifies_and_changes_nothing() {
    SimServer::scenario("clean").each_juju(clean_verifies_and_changes_nothing_on);
}

fn clean_verifies_and_changes_nothing_on(sim: &SimServer) {
    let out = teardown(sim, &[]);
    let doc = out.outcome(0, "clean", Some("go"));
    sim.assert_unchanged();
    out.assert_nothing_written();
    assert_eq!(
        doc["checks"].as_array().map(Vec::len),
        Some(6),
        "model row + 5 target rows"
    );
    out.says(
        "  [CLEAN] state=absent:all_ready
  Cloud is already torn down. Skip to §3 verification.
  next: §3.1 read-only verification, then §4 acceptance
  route: clean
==> §3.1 CLEAN — read-only verification (teardown.md §3.1)
  ok   model `openstack` absent: not listed by `juju models`",
    )
    .says(&format!("{TORN_DOWN}\n  ok   GO: proceed to the deploy"));
}

#[test]
fn partial_releases_only_the_owned_targets_and_is_go() {
    SimServer::scenario("partial").each_juju(partial_releases_only_the_owned_targets_and_is_go_on);
}

fn partial_releases_only_the_owned_targets_and_is_go_on(sim: &SimServer) {
    let out = torn_down(sim, "partial");
    // Exactly the three targets still ours, in whatever order they were released.
    let mut owned = ["openstack2", "openstack3", "capi-mgmt"].map(|h| sim.system_id(h));
    owned.sort();
    let mut released = sim.released_ids();
    released.sort();
    assert_eq!(released, owned);
    assert!(
        sim.juju_commands("destroy-model").is_empty(),
        "no model to destroy"
    );
    out.says("  [PARTIAL] state=absent:partial")
        .says(
            "==> Phase C — release target machines in MAAS (teardown.md §3.2 step 3)
  disks: not erased (site `maas.erase` is none; MAAS's setting enable_disk_erasing_on_release is off)
  will release 3 machine(s) owned by `admin`, concurrently:
    openstack2 (mshcdb): Deployed, owner=admin, power on
    openstack3 (nw0em0): Deployed, owner=admin, power on
    capi-mgmt (pydhwk): Deployed, owner=admin, power on
  leaving openstack0 (jnn7x2): already Ready
  leaving openstack1 (kq495n): already Ready",
        )
        // Released concurrently: each says so, in any order.
        .says("  ok   released openstack2 (mshcdb): Releasing")
        .says("  ok   released openstack3 (nw0em0): Releasing")
        .says("  ok   released capi-mgmt (pydhwk): Releasing")
        .says(TORN_DOWN);
}

#[test]
fn destroying_is_remediated_and_is_go() {
    SimServer::scenario("destroying").each_juju(destroying_is_remediated_and_is_go_on);
}

fn destroying_is_remediated_and_is_go_on(sim: &SimServer) {
    let out = torn_down(sim, "anomaly");
    assert_eq!(
        sim.juju_commands("destroy-model"),
        ["destroy-model maas-controller:admin/openstack --force --no-wait --destroy-storage --no-prompt"],
        "the model removal is re-attempted once"
    );
    assert!(sim.released_ids().is_empty(), "targets were already Ready");
    out.says("    model `admin/openstack` is listed on controller `maas-controller` (life dying, status destroying, uuid 3d9f6c1a-5b2e-4f80-a7c4-92e1b8d05f63) — the model is being destroyed")
        .says("  [ANOMALY] state=present:all_ready
  Juju has the model but MAAS shows machines Ready. Likely: model is in 'destroying' state. Run the destroy-model runbook Phase D remediation.")
        .says("==> Phase D remediation of model `openstack` (teardown.md §3.3)
  will list the model's lingering machines, remove each with `--force`, re-attempt the model removal
  (/tmp/runbook-sim-<uuid>/juju destroy-model maas-controller:admin/openstack --force --no-wait --destroy-storage --no-prompt), and wait again up to 10s;
  then release any target still not Ready (ours only) and wait up to 10s
  model `openstack` has no machines left")
        .says(TORN_DOWN);
}

#[test]
fn stuck_removes_the_lingering_machine_with_force_and_is_go() {
    SimServer::scenario("stuck")
        .each_juju(stuck_removes_the_lingering_machine_with_force_and_is_go_on);
}

fn stuck_removes_the_lingering_machine_with_force_and_is_go_on(sim: &SimServer) {
    let out = teardown_yes_with(sim, &[("timeouts.model_gone", "2")]);
    out.outcome(0, "dirty", Some("go"));
    let removes = sim.juju_commands("remove-machine");
    assert!(!removes.is_empty(), "no remove-machine in the log");
    for r in &removes {
        assert!(r.contains("--force") && r.contains("--no-prompt"), "{r}");
    }
    // Phase B, then the remediation's re-attempt unless the removal was all the model needed.
    assert!((1..=2).contains(&sim.juju_commands("destroy-model").len()));
    sim.assert_torn_down();
    out.says("==> Phase D remediation of model `openstack` (teardown.md §3.3)")
        .says(TORN_DOWN);
}

/// A cloud the table cannot act on safely stops with 3 before any change: nothing
/// released, destroyed or written, and the transcript says why.
#[test]
fn foreign_and_missing_stop_with_3_and_touch_nothing() {
    for (scenario, route, why) in [
        ("foreign", "anomaly", &[
                "  [ANOMALY] state=absent:all_deployed_or_other",
                "==> Stopped for a human (teardown.md §2)
  Nothing was changed. Investigate before running the teardown again:
    - No Juju model, but machines are not Ready. Likely: someone else owns the machines, OR commissioning is mid-flight. Investigate before continuing.
    - targets owned by someone else (this tool never releases them): openstack0 → alice, openstack1 → alice, openstack2 → alice, openstack3 → alice, capi-mgmt → alice"][..]),
        ("missing", "unknown", &["  [UNKNOWN] state=absent:partial
  fails closed — the state is not one the table can act on safely:
    - target `capi-mgmt` is missing from MAAS (no machine with that hostname is visible to `admin` — gone, or owned by another user: MAAS hides those from a user who is not a superuser)
  next: stop — nothing will be changed"]),
    ] {
        let sim = SimServer::start(scenario);
        let out = teardown(&sim, &["--yes"]);
        out.outcome(3, route, None);
        sim.assert_unchanged();
        assert!(sim.released_ids().is_empty(), "never a release");
        out.assert_nothing_written();
        for block in why {
            out.says(block);
        }
        out.says(NOTHING_CHANGED);
    }
}

#[test]
fn dirty_dry_run_plans_every_effect_and_changes_nothing() {
    let sim = SimServer::start("dirty");
    let out = teardown(&sim, &["--dry-run"]);
    let doc = out.outcome(0, "dirty", None);
    sim.assert_unchanged();
    let plan = doc["plan"].to_string();
    assert!(
        // The site pins its controller: the model is named on it (`CONTROLLER:MODEL`).
        plan.contains("destroy-model maas-controller:admin/openstack --force --no-wait --destroy-storage --no-prompt"),
        "{plan}"
    );
    assert!(
        plan.contains("backup") || plan.contains("export-bundle"),
        "the plan shows the backup: {plan}"
    );
    for id in sim.target_ids() {
        assert!(
            plan.contains(&id),
            "the plan shows the release of {id}: {plan}"
        );
    }
    for dir in [out.home(), out.state()] {
        let written = out.files_under(&dir);
        assert!(written.is_empty(), "nothing written: {written:?}");
    }
}

/// What a dirty run refused before Phase A says and leaves.
fn assert_refused_before_phase_a(sim: &SimServer, out: &Output) {
    out.status(4).says(DIRTY).says(&format!(
        "run ended: refused — no verdict\n{NOTHING_CHANGED}"
    ));
    sim.assert_unchanged();
    assert!(sim.juju_commands("destroy-model").is_empty());
    assert!(sim.released_ids().is_empty());
    // Refused before Phase A: no backup written, the pointer not moved.
    out.assert_nothing_written();
}

#[test]
fn dirty_without_a_terminal_and_without_yes_is_refused_with_4() {
    let sim = SimServer::start("dirty");
    let out = teardown(&sim, &[]);
    assert_refused_before_phase_a(&sim, &out);
    out.says("error: confirmation needed (type the model name `openstack` to destroy it) but stdin is not a terminal; rerun with `--yes` to pre-approve");
}

#[test]
fn destroying_without_a_terminal_and_without_yes_is_refused_before_any_write() {
    let sim = SimServer::start("destroying");
    let out = teardown(&sim, &[]);
    out.status(4)
        .says("error: confirmation needed (type the model name `openstack` to remediate it) but stdin is not a terminal; rerun with `--yes` to pre-approve")
        .says(NOTHING_CHANGED);
    sim.assert_unchanged();
    out.assert_nothing_written();
}

#[test]
fn a_model_that_never_goes_escalates_with_1() {
    SimServer::scenario("dirty")
        .fault("model-stuck")
        .each_juju(a_model_that_never_goes_on);
}

/// Juju's destroy never returns (the model is stuck): Phase B stops waiting at its deadline
/// and goes on; Phases C and D run; remediation re-attempts and escalates: NO-GO, not exit 2.
fn a_model_that_never_goes_on(sim: &SimServer) {
    let started = std::time::Instant::now();
    let out = teardown_yes_with(
        sim,
        &[("timeouts.model_gone", "1"), ("timeouts.destroy_cli", "1")],
    );
    out.outcome(1, "dirty", Some("no-go"));
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    out.says("  warn model `openstack`: destroy issued, still in progress: `juju destroy-model` was still waiting after 1s (site `timeouts.destroy_cli`) and was stopped; `juju models` shows the model dying (or gone), the controller carries on; Phase D decides from `juju models` whether it went
==> Phase C — release target machines in MAAS (teardown.md §3.2 step 3)")
        .says("==> Phase D — verification: model gone, targets Ready (teardown.md §3.2 step 4)")
        .says("  FAIL model `openstack` is still listed after remediation — controller-side state may be corrupted (teardown.md §3.3). Escalate to the Juju controller's owner: do not deploy
  still there:
    model `openstack` still listed (life dying, status destroying)")
        .says("  [NO-GO] model `openstack` absent — listed (life dying, status destroying)");
    assert_eq!(
        sim.juju_commands("destroy-model").len(),
        2,
        "Phase B, then the re-attempt"
    );
}

#[test]
fn a_blocked_destroy_is_refused_before_phase_a() {
    let cloud = SimServer::scenario("dirty").fault("disabled-command:destroy-model");
    cloud.each_juju(|sim| {
        let out = teardown(sim, &["--yes"]);
        assert_refused_before_phase_a(sim, &out);
        out.says("error: refused: Juju blocks destroying model `openstack`: `juju disable-command destroy-model` is in force (\"protect the cloud (simulated `juju disable-command destroy-model`)\"); nothing was changed. Lift it with `juju enable-command destroy-model -m maas-controller:admin/openstack` once the destroy is intended, then run again");
    });
}

#[test]
fn maas_faults_and_latency_still_reach_go() {
    // A GET gives up after 4 failed attempts: at 10% that is p = 0.0001 per read, so a run
    // of ~40 reads is expected to reach GO (at 30% it is ~0.8% per read, ~28% per run — a
    // GO there is the seed's luck, not the client's doing).
    let sim = SimServer::scenario("dirty")
        .fault("maas-5xx:0.1")
        .fault("maas-latency:50")
        .start();
    let ids = sim.target_ids();
    let out = torn_down(&sim, "dirty");
    for id in sim.released_ids() {
        assert!(ids.contains(&id));
    }
    let failed = sim
        .log()
        .iter()
        .filter(|e| e["kind"] == "maas" && (e["status"] == 500 || e["status"] == 503))
        .count();
    assert!(failed > 0, "the fault made MAAS fail some requests");
    out.says(TORN_DOWN);
}

#[test]
fn partial_with_maas_5xx_asks_again_for_the_failed_releases_and_is_go() {
    // Seeded: at this rate some release POSTs of the partial scenario fail with 5xx, and
    // no model is left whose destruction would release the machines instead. One release
    // in flight keeps the request order, so the seeded failures, the same every run.
    let sim = SimServer::scenario("partial").fault("maas-5xx:0.3").start();
    let ids = sim.target_ids();
    let out = teardown_yes_with(
        &sim,
        &[("timeouts.machines_ready", "20"), ("maas.concurrency", "1")],
    );
    out.outcome(0, "partial", Some("go"));
    out.stderr_has("asking MAAS again for");
    let mut posts = sim.requests_of("maas");
    posts.retain(|r| r.starts_with("POST"));
    assert!(posts.len() > 3, "a release was asked again: {posts:#?}");
    for p in &posts {
        assert!(ids.iter().any(|id| p.contains(id.as_str())), "{p}");
    }
    sim.assert_torn_down();
}

#[test]
fn a_hung_release_settled_by_a_re_read_says_so() {
    // Slow time (the model goes after 3 s) and a 1 s Phase B deadline: Phase C asks MAAS
    // while the nodes are still Deployed; Juju releases them (at 3 s) while those requests
    // hang (3 s each).
    let sim = SimServer::scenario("dirty")
        .fault("maas-hang:op=release")
        .speed(0.5)
        .start();
    let out = teardown_yes_with(
        &sim,
        &[("maas.timeout", "3"), ("timeouts.destroy_cli", "1")],
    );
    out.outcome(0, "dirty", Some("go"));
    // Juju released the nodes while our requests hung: the transcript says what happened
    // (which request failed, and how, varies with the timing).
    out.stderr_has("openstack0 (")
        .stderr_has("after: `POST ")
        .stderr_has("op=release` failed")
        .stderr_lacks("released openstack0");
}

#[test]
fn a_release_that_fails_in_maas_is_no_go_naming_the_machine() {
    let sim = SimServer::with("dirty", &["release-fails:openstack1"], TEST_SPEED);
    let out = teardown(&sim, &["--yes"]);
    out.outcome(1, "dirty", Some("no-go"));
    assert_eq!(
        out.failed_checks(),
        ["openstack1 Ready, owner (none)"],
        "{}",
        out.stderr
    );
    out.says("  warn openstack1 (kq495n) is Releasing failed: MAAS will not finish this release by itself")
        .says("  [NO-GO] openstack1 Ready, owner (none) — Releasing failed, owner=admin (kq495n)")
        .says("  warn NO-GO: do not deploy; the failed rows above say what is still there. Next:
    - look at the machines that are not Ready in MAAS (events, power); once they are released, run `runbook run accept`");
}

/// A target locked after the detection is left alone in Phase C, and Phase D does not wait
/// its whole timeout for a machine nothing will move: it stops once the others are Ready,
/// says why that one will not become Ready and what to do; NO-GO, never released.
#[test]
fn a_target_locked_after_the_detection_is_left_and_not_waited_for() {
    let sim = SimServer::with("dirty", &["mutate:mshcdb:locked=true"], TEST_SPEED);
    let out = teardown_yes_with(&sim, &[("timeouts.machines_ready", "30")]);
    out.outcome(1, "dirty", Some("no-go"));
    assert_eq!(out.failed_checks(), ["openstack2 Ready, owner (none)"]);
    out.says("  leaving openstack2 (mshcdb): locked in MAAS")
        .says("  warn openstack2 (mshcdb) is Deployed: locked in MAAS — nothing will move it to Ready by itself; find out why (its MAAS events), release it in MAAS once it is safe, then run `runbook run accept`")
        .stderr_has("5 targets Ready, owner (none): done")
        .stderr_lacks("timed out");
    let posts = sim.release_posts();
    assert!(!posts.iter().any(|p| p.contains("mshcdb")), "{posts:#?}");
}

/// A target renamed after the detection is the same machine under another name: Phase C
/// leaves it (it is never released under a name it was not frozen with), Phase D and the
/// scorecard say what it is called now rather than "missing"; NO-GO, never released.
#[test]
fn a_target_renamed_after_the_detection_is_named_and_left() {
    let sim = SimServer::with("partial", &["mutate:kq495n:hostname=db-prod"], TEST_SPEED);
    let out = teardown(&sim, &["--yes"]);
    out.outcome(1, "partial", Some("no-go"));
    assert_eq!(out.failed_checks(), ["openstack1 Ready, owner (none)"]);
    out.says("  leaving openstack1 (kq495n): renamed to `db-prod` after the detection: not released under a name it was not frozen with")
        .stderr_has("  warn openstack1: system id kq495n, frozen at detection as openstack1, is now called `db-prod` in MAAS (")
        .stderr_has("[NO-GO] openstack1 Ready, owner (none) — system id kq495n, frozen at detection as openstack1, is now called `db-prod`");
    let posts = sim.release_posts();
    assert!(!posts.iter().any(|p| p.contains("kq495n")), "{posts:#?}");
}

/// A target that changes owner after Phase C's last look, right before its release: the
/// release guard's fresh read refuses it (no POST), the others are released, the refusal
/// is said once and not asked again, Phase D does not wait for it, and the run ends
/// refused (exit 4, no verdict).
#[test]
fn a_target_taken_by_another_user_right_before_its_release_is_refused_once() {
    let sim = SimServer::with(
        "partial",
        &["mutate-at-read:mshcdb:owner=alice"],
        TEST_SPEED,
    );
    let out = teardown_yes_with(&sim, &[("timeouts.machines_ready", "30")]);
    out.outcome(4, "partial", None);
    let refusal = "FAIL machine mshcdb (openstack2): refused by guard `release.owner`: machine `mshcdb` (openstack2) is owned by `alice`, not `admin`";
    assert_eq!(
        out.stderr.matches("refused by guard").count(),
        1,
        "{}",
        out.stderr
    );
    out.stderr_has(refusal)
        .stderr_lacks("asking MAAS again")
        .stderr_has("warn openstack2 (mshcdb) is Deployed: owned by `alice`, not `admin` — nothing will move it to Ready by itself")
        .stderr_has("5 targets Ready, owner (none): done");
    let posts = sim.release_posts();
    assert!(!posts.iter().any(|p| p.contains("mshcdb")), "{posts:#?}");
    assert_eq!(posts.len(), 2, "the other two owned targets: {posts:#?}");
}

/// The release guard decides on MAAS's status code, never on its name: a fresh read whose
/// `status_name` says Releasing while its code says Deployed (and its owner is another user)
/// contradicts itself and is refused — no POST — rather than taken for "already released".
#[test]
fn a_fresh_read_that_contradicts_itself_is_refused_not_released() {
    let sim = SimServer::with(
        "partial",
        &[
            "mutate-at-read:mshcdb:owner=alice",
            "mutate-at-read:mshcdb:status_name=Releasing",
        ],
        TEST_SPEED,
    );
    let out = teardown_yes_with(&sim, &[("timeouts.machines_ready", "30")]);
    out.outcome(4, "partial", None);
    out.stderr_has("refused by guard `release.status`: machine `mshcdb` (openstack2) has status code 6 (Deployed) but status_name `Releasing`: MAAS's record contradicts itself");
    let posts = sim.release_posts();
    assert!(!posts.iter().any(|p| p.contains("mshcdb")), "{posts:#?}");
    assert_eq!(posts.len(), 2, "the other two owned targets: {posts:#?}");
}

/// The site's model gains a machine on a node that is not a target after the detection
/// read it: the destroy would release that node too, so the gate refuses the destroy on its
/// fresh read of the model's machines — no destroy, no release.
#[test]
fn a_model_that_gained_a_machine_on_another_node_is_not_destroyed() {
    let sim = SimServer::with(
        "dirty",
        &["juju-machine-joins:juju-controller-0"],
        TEST_SPEED,
    );
    let out = teardown(&sim, &["--yes"]);
    out.outcome(4, "dirty", None);
    out.stderr_has("refused by guard `destroy_model.machines`: machine 5 of model `openstack` runs on MAAS node")
        .stderr_has("(juju-controller-0), which is not one of the targets frozen by the detection");
    assert!(
        sim.requests_of("juju")
            .iter()
            .all(|r| !r.starts_with("destroy-model")),
        "{:#?}",
        sim.requests_of("juju")
    );
    assert!(sim.release_posts().is_empty(), "{:#?}", sim.release_posts());

    // Nor is that machine removed on its own: removing it would release a node not frozen.
    let sim = SimServer::with(
        "dirty",
        &["juju-machine-joins:juju-controller-0"],
        TEST_SPEED,
    );
    let out = crate::primitives_fixture::eval(
        &sim,
        &["--yes"],
        "juju_remove_machine(\"openstack\", \"5\")",
    );
    out.status(4)
        .stderr_has("refused by guard `remove_machine.target`: machine 5 of model `openstack` runs on MAAS node");
    assert!(
        sim.requests_of("juju")
            .iter()
            .all(|r| !r.starts_with("remove-machine")),
        "{:#?}",
        sim.requests_of("juju")
    );
}

/// Juju failing at the detection, or at Phase A's capture, is an error that stops the run
/// before the destroy: the failed command and its stderr, nothing changed on the cloud, the
/// pointer not moved; the account lists Phase A's incomplete backup dir (`written`).
#[test]
fn juju_failing_before_the_destroy_is_an_error_that_changes_nothing() {
    let juju = "/tmp/runbook-sim-<uuid>/juju";
    // Phase A's capture fails only when Juju can give neither the bundle nor its stand-in
    // (`show-model` and `model-config`).
    for (faults, command, argv, written) in [
        (
            &["juju-fail:models"][..],
            "models",
            "models -c maas-controller --format json",
            false,
        ),
        (
            &["juju-fail:export-bundle", "juju-fail:model-config"][..],
            "model-config",
            "model-config -m maas-controller:admin/openstack --format json",
            true,
        ),
    ] {
        let sim = SimServer::with("dirty", faults, TEST_SPEED);
        let out = teardown(&sim, &["--yes"]);
        out.status(2).says(&format!(
            "error: `{juju} {argv}` failed (exit status 1)
stderr:
ERROR cannot connect to API: simulated failure of `juju {command}` (fault juju-fail:{command})"
        ));
        if written {
            out.says("run ended: error — no verdict\nalready changed (per the journal):");
            let said = out.transcript();
            assert!(said.contains("; incomplete, no seal"), "{said}");
        } else {
            out.says(&format!("run ended: error — no verdict\n{NOTHING_CHANGED}"));
        }
        assert!(sim.juju_commands("destroy-model").is_empty(), "no destroy");
        sim.assert_unchanged();
        assert!(out.pointer().is_none(), "the pointer is not moved");
    }
}

/// `teardown` on a terminal (a pty) against `sim`: answers each confirmation the gate asks
/// with the next of `answers`, and returns the exit code. Phase B stops waiting after 1 s,
/// so Phase C meets nodes that are still ours.
fn teardown_on_a_terminal(sim: &SimServer, answers: &[(&str, &str)]) -> i32 {
    let test = testcloud(sim, "teardown").set("timeouts.destroy_cli", "1");
    let mut session = expectrl::Session::spawn(test.command()).expect("spawn in a pty");
    session.set_expect_timeout(Some(std::time::Duration::from_secs(30)));
    for (question, answer) in answers {
        session
            .expect(*question)
            .unwrap_or_else(|e| panic!("no question {question:?}: {e}"));
        session.send_line(answer).expect("answer");
    }
    session.expect(expectrl::Eof).expect("end of output");
    match session.get_process().wait().expect("wait") {
        expectrl::WaitStatus::Exited(_, code) => code,
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn on_a_terminal_the_operator_types_the_model_name_and_the_release_count() {
    // The model takes 3 s to go; Phase B's deadline is 1 s: the release is asked for.
    let sim = SimServer::scenario("dirty").speed(0.5).start();
    let code = teardown_on_a_terminal(
        &sim,
        &[
            ("type the model name `openstack` to destroy it", "openstack"),
            ("type `release 5`", "release 5"),
        ],
    );
    assert_eq!(code, 0);
    assert_eq!(sim.juju_commands("destroy-model").len(), 1);
    sim.assert_torn_down();
}

#[test]
fn on_a_terminal_a_wrong_model_name_destroys_nothing() {
    let sim = SimServer::start("dirty");
    let code = teardown_on_a_terminal(
        &sim,
        &[("type the model name `openstack` to destroy it", "openstac")],
    );
    assert_eq!(code, 4);
    sim.assert_unchanged();
}

/// `runbook run teardown --site roosevelt --json --yes` against `sim`, on the simulator's
/// controller instead of the one the site names.
fn roosevelt(sim: &SimServer) -> Test {
    Test::new()
        .sim(sim)
        .repo()
        .site("roosevelt")
        .args(&["run", "teardown", "--json", "--yes"])
        .set("juju.controller", "maas-controller")
}

#[test]
fn roosevelt_tears_down_bare_metal_without_a_qcow2_wipe() {
    let sim = SimServer::start("dirty");
    let targets = serde_json::to_string(&TARGETS).expect("JSON");
    let out = roosevelt(&sim)
        .set("targets", &targets)
        .set("timeouts.model_gone", "10")
        .set("timeouts.machines_ready", "10")
        .run();
    let doc = out.outcome(0, "dirty", Some("go"));
    assert!(out
        .journal_effects("executed")
        .iter()
        .all(|e| e != "wipe_qcow2"));
    let checks = doc["checks"].to_string();
    assert!(
        checks.contains("powered off"),
        "roosevelt's OSD rows (sites/roosevelt/osd.rhai): {checks}"
    );
    out.stderr_has("bare metal");
}

#[test]
fn roosevelt_without_targets_stops_with_3() {
    let sim = SimServer::start("dirty");
    let out = roosevelt(&sim).run();
    out.outcome(3, "unknown", None);
    out.says(
        "  [UNKNOWN] state=present:all_deployed_or_other
  fails closed — the state is not one the table can act on safely:
    - the site lists no targets (`site.targets` is empty)
  next: stop — nothing will be changed",
    )
    .says(NOTHING_CHANGED);
    sim.assert_unchanged();
}

/// The parts of the teardown run alone: each refuses a state it is not for with 3, and
/// nothing changed; on its own state it is GO, the cloud torn down.
#[test]
fn destroy_model_and_remediate_alone_act_only_on_their_own_state() {
    for (scenario, runbook, why) in [
        ("clean", "destroy-model", "    - no openstack model is listed: the destroy-model runbook has nothing to destroy (use `runbook run teardown`, which routes by state)"),
        ("dirty", "remediate", "    - model `openstack` is alive and its machines are deployed: that is a live cloud, not lingering state — use `runbook run teardown` (the destroy-model runbook in full)"),
    ] {
        let sim = SimServer::start(scenario);
        let out = run(&sim, runbook).args(&["--yes"]).run();
        out.status(3).says(why).says(NOTHING_CHANGED);
        sim.assert_unchanged();
    }
    // (scenario, runbook, route, what it says besides the scorecard)
    for (scenario, runbook, route, says) in [
        ("dirty", "destroy-model", "dirty", PHASE_A),
        (
            "destroying",
            "remediate",
            "anomaly",
            "==> Phase D remediation of model `openstack` (teardown.md §3.3)",
        ),
    ] {
        let sim = SimServer::start(scenario);
        let out = run(&sim, runbook).args(&["--yes"]).run();
        out.outcome(0, route, Some("go"));
        assert_eq!(sim.juju_commands("destroy-model").len(), 1);
        // One destroy, after the one sealed backup the gate asks for.
        assert_eq!(out.backups().len(), 1);
        sim.assert_torn_down();
        out.says(says).says(TORN_DOWN);
    }
}

#[test]
fn verify_and_accept_are_read_only() {
    let sim = SimServer::start("dirty");
    let out = run(&sim, "verify").run();
    assert_eq!(out.json()["verdict"], "no-go", "{}", out.stderr);
    out.status(1);
    let out = run(&sim, "accept").run();
    out.status(1)
        .says("  [NO-GO] model `openstack` absent — listed (life alive, status available)");
    sim.assert_unchanged();
}

/// `runbook run wipe-osd --json` on the OSD disks `openstack[0-3]-1.qcow2` in `images`.
fn wipe_osd(sim: &SimServer, images: &tempfile::TempDir) -> Test {
    let dir = images.path().display().to_string();
    testcloud(sim, "wipe-osd")
        .args(&["--json"])
        .set("osd_disks", &format!("{dir}/openstack[0-3]-1.qcow2"))
        .set("disk_root", &dir)
}

#[test]
fn wipe_osd_recreates_written_disks_once_targets_are_ready() {
    let images = qcow2_images(true);
    let sim = SimServer::start("clean");
    let out = wipe_osd(&sim, &images).args(&["--yes"]).run();
    out.status(0);
    assert_eq!(out.json()["verdict"], "go", "{}", out.stderr);
    assert_eq!(
        out.journal_effects("executed")
            .iter()
            .filter(|e| *e == "wipe_qcow2")
            .count(),
        4
    );
    sim.assert_unchanged();
}

#[test]
fn wipe_osd_dry_run_plans_the_wipes_and_leaves_the_disks_alone() {
    let images = qcow2_images(true);
    let sizes = || -> Vec<u64> {
        let mut v: Vec<u64> = std::fs::read_dir(images.path())
            .expect("images")
            .flatten()
            .map(|e| std::fs::read(e.path()).expect("image").len() as u64)
            .collect();
        v.sort();
        v
    };
    let before = sizes();
    let sim = SimServer::start("clean");
    let out = wipe_osd(&sim, &images).args(&["--dry-run"]).run();
    out.status(0);
    let plan = out.json()["plan"].to_string();
    for i in 0..4 {
        assert!(
            plan.contains(&format!("openstack{i}-1.qcow2")),
            "the plan shows each wipe: {plan}"
        );
    }
    assert_eq!(sizes(), before, "the disks are unchanged");
}

/// The whole teardown's dry run (and so `runbook plan`) on a KVM site whose OSD disks hold
/// data, while the targets are still Deployed: the wipes are planned after the releases
/// that will make them possible — the dry run says the targets' state is checked again when
/// each wipe runs — instead of the run being refused; nothing is touched.
#[test]
fn teardown_dry_run_plans_the_wipes_behind_the_releases() {
    let images = qcow2_images(true);
    let before: Vec<Vec<u8>> = (0..4)
        .map(|i| std::fs::read(images.path().join(format!("openstack{i}-1.qcow2"))).expect("image"))
        .collect();
    let sim = SimServer::start("dirty");
    let dir = images.path().display().to_string();
    let out = run(&sim, "teardown")
        .set("osd_disks", &format!("{dir}/openstack[0-3]-1.qcow2"))
        .set("disk_root", &dir)
        .args(&["--dry-run"])
        .run();
    out.status(0);
    let plan = out.json()["plan"].as_array().expect("the plan").clone();
    let effects: Vec<&str> = plan.iter().filter_map(|e| e["effect"].as_str()).collect();
    let first_wipe = effects
        .iter()
        .position(|e| *e == "wipe_qcow2")
        .expect("wipes planned");
    let last_release = effects
        .iter()
        .rposition(|e| e.starts_with("release"))
        .expect("releases planned");
    assert!(last_release < first_wipe, "{effects:?}");
    assert_eq!(
        effects.iter().filter(|e| **e == "wipe_qcow2").count(),
        4,
        "{effects:?}"
    );
    out.stderr_has(&format!(
        "note {dir}/openstack0-1.qcow2: guard `wipe.targets_ready` is checked again when it runs; now: target `openstack0` ("
    ));
    for (i, bytes) in before.iter().enumerate() {
        let now =
            std::fs::read(images.path().join(format!("openstack{i}-1.qcow2"))).expect("image");
        assert!(&now == bytes, "openstack{i}-1.qcow2 was touched");
    }
    sim.assert_unchanged();
}

#[test]
fn written_osd_disks_without_wipe_make_acceptance_no_go() {
    let images = qcow2_images(true);
    let sim = SimServer::start("clean");
    let osd = format!("{}/openstack[0-3]-1.qcow2", images.path().display());
    let out = run(&sim, "teardown")
        .set("osd_disks", &osd)
        .set("wipe_osd", "false")
        .run();
    out.status(1).stderr_has("OSD disk");
    assert_eq!(out.json()["verdict"], "no-go");
}

/// Four qcow2 OSD disks (`openstack[0-3]-1.qcow2`), each with 4 MiB written when `written`;
/// `None` (test skipped, with a note) when `qemu-img`/`qemu-io` are not installed.
/// Four OSD images made by `qemu-img` (qemu-utils, on every machine this project
/// builds on), written with `qemu-io` when `written`.
fn qcow2_images(written: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for i in 0..4 {
        let path = dir.path().join(format!("openstack{i}-1.qcow2"));
        let st = std::process::Command::new("qemu-img")
            .args(["create", "-q", "-f", "qcow2", path.to_str().unwrap(), "64M"])
            .status()
            .expect("qemu-img");
        assert!(st.success());
        if written {
            let st = std::process::Command::new("qemu-io")
                .args([
                    "-f",
                    "qcow2",
                    "-c",
                    "write -P 0x5a 0 4M",
                    path.to_str().unwrap(),
                ])
                .output()
                .expect("qemu-io");
            assert!(st.status.success());
        }
    }
    dir
}
