//! End-to-end: `runbook run teardown` (and its parts) against `runbook sim serve`, one
//! scenario per test, as an operator would run it. Each test asserts the exit code, the
//! `route` and `verdict` of `--json`, the simulator's request log (what was and was not
//! released or destroyed), the backup directory, the pointer file and the journal.
//!
//! Time: the simulator runs at `TEST_SPEED` and the site's waits are cut with
//! `--set timeouts.*`, so the whole file runs in seconds.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::{Output, Test};
use crate::sim_server::{SimServer, JUJU_MAJORS};

const REPO: &str = env!("CARGO_MANIFEST_DIR");
const TARGETS: [&str; 5] = [
    "openstack0",
    "openstack1",
    "openstack2",
    "openstack3",
    "capi-mgmt",
];

/// `runbook run RUNBOOK --site testcloud --json` against `sim`, with short waits and no OSD
/// disks (the wipe has its own test); `extra` adds flags.
fn run(sim: &SimServer, runbook: &str, model_gone: u64, extra: &[&str]) -> Output {
    let model_gone = format!("timeouts.model_gone={model_gone}");
    let mut args = vec![
        "run",
        runbook,
        "--root",
        REPO,
        "--site",
        "testcloud",
        "--json",
        "--set",
        &model_gone,
        "--set",
        "timeouts.machines_ready=10",
        // Juju's destroy blocks while the model lingers (scenario `stuck`): Phase B's own
        // deadline, short here.
        "--set",
        "timeouts.destroy_cli=3",
        "--set",
        "osd_disks=",
    ];
    args.extend_from_slice(extra);
    let test = Test::new().args(&args).envs(sim.env());
    test.run()
}

fn teardown(sim: &SimServer, extra: &[&str]) -> Output {
    run(sim, "teardown", 10, extra)
}

/// The system ids of the site's targets, as the simulator holds them now.
fn target_ids(sim: &SimServer) -> Vec<String> {
    TARGETS
        .iter()
        .filter_map(|h| sim.machine(h)["system_id"].as_str().map(str::to_string))
        .collect()
}

/// Every logged request that changed the cloud, as text.
fn changes(sim: &SimServer) -> Vec<String> {
    sim.log()
        .into_iter()
        .filter(|e| e["changed"] == true)
        .map(|e| {
            format!(
                "{} {}",
                e["kind"].as_str().unwrap_or(""),
                e["request"].as_str().unwrap_or("")
            )
        })
        .collect()
}

/// The juju commands in the log containing `needle`.
fn juju_commands(sim: &SimServer, needle: &str) -> Vec<String> {
    sim.requests_of("juju")
        .into_iter()
        .filter(|r| r.contains(needle))
        .collect()
}

/// The system ids of every release request in the log.
fn released_ids(sim: &SimServer) -> Vec<String> {
    sim.requests_of("maas")
        .into_iter()
        .filter(|r| r.starts_with("POST") && r.contains("op=release"))
        .filter_map(|r| {
            r.split("/machines/")
                .nth(1)
                .map(|s| s.split('/').next().unwrap_or("").to_string())
        })
        .collect()
}

fn assert_doc(out: &Output, code: i32, route: &str, verdict: Option<&str>) -> Value {
    out.status(code);
    let doc = out.json();
    assert_eq!(doc["route"], route, "route\n{}", out.stderr);
    match verdict {
        Some(v) => assert_eq!(doc["verdict"], v, "verdict\n{}", out.stderr),
        None => assert!(doc["verdict"].is_null(), "verdict\n{}", out.stderr),
    }
    doc
}

/// The model is gone and every target is Ready with no owner.
fn assert_torn_down(sim: &SimServer) {
    let state = sim.state();
    let listed = state.to_string();
    for h in TARGETS {
        let m = sim.machine(h);
        assert_eq!(m["status_name"], "Ready", "{h}: {m}");
        assert!(m["owner"].is_null(), "{h} still owned: {m}");
    }
    let models = juju_models(sim);
    assert!(
        !models.contains(&"openstack".to_string()),
        "model still listed: {models:?}\n{listed:.300}"
    );
}

fn juju_models(sim: &SimServer) -> Vec<String> {
    let out = sim.juju(&["models", "--format", "json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    v["models"]
        .as_array()
        .map(|ms| {
            ms.iter()
                .filter_map(|m| m["short-name"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn backups(home: &Path) -> Vec<PathBuf> {
    let pattern = format!("{}/backups/pre-caracal-destroy-*", home.display());
    glob::glob(&pattern).expect("glob").flatten().collect()
}

fn pointer(home: &Path) -> Option<String> {
    std::fs::read_to_string(home.join(".last-pre-caracal-destroy-backup"))
        .ok()
        .map(|s| s.trim().to_string())
}

fn journal_effects(out: &Output, outcome: &str) -> Vec<String> {
    out.journal_lines()
        .into_iter()
        .filter(|l| l["outcome"] == outcome)
        .filter_map(|l| l["effect"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn dirty_with_yes_destroys_releases_and_is_go_with_a_sealed_backup() {
    for juju in JUJU_MAJORS {
        dirty_with_yes_on(juju);
    }
}

fn dirty_with_yes_on(juju: &str) {
    let sim = SimServer::with_juju("dirty", &[], crate::sim_server::TEST_SPEED, juju);
    let ids = target_ids(&sim);
    let out = teardown(&sim, &["--yes"]);
    assert_doc(&out, 0, "dirty", Some("go"));

    // Phase B: exactly the procedure's flags.
    let destroys = juju_commands(&sim, "destroy-model");
    assert_eq!(destroys.len(), 1, "{destroys:?}");
    for flag in [
        "openstack",
        "--force",
        "--no-wait",
        "--destroy-storage",
        "--no-prompt",
    ] {
        assert!(
            destroys[0].contains(flag),
            "`{flag}` missing from {destroys:?}"
        );
    }
    // Phase C: only the frozen targets, never anyone else's machines. (Juju releases the
    // model's machines too, so Phase C may find some already Releasing.)
    let released = released_ids(&sim);
    for id in &released {
        assert!(
            ids.contains(id),
            "released {id}, which is not a target ({ids:?})"
        );
    }
    assert_torn_down(&sim);

    // Phase A: a sealed backup with the five captures, and the pointer at it.
    let dirs = backups(&out.home());
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    let files = out.files_under(&dirs[0]);
    for f in [
        "export-bundle.yaml",
        "status.json",
        "models.json",
        "controllers.json",
        "maas-targets.json",
    ] {
        assert!(files.iter().any(|x| x == f), "{f} not in {files:?}");
    }
    assert_eq!(
        pointer(&out.home()).as_deref(),
        Some(dirs[0].to_str().unwrap())
    );
    let manifest =
        std::fs::read_to_string(dirs[0].join("manifest.json")).expect("sealed: manifest.json");
    for f in [
        "export-bundle.yaml",
        "status.json",
        "models.json",
        "controllers.json",
        "maas-targets.json",
    ] {
        assert!(manifest.contains(f), "{f} not in the manifest: {manifest}");
    }
    let bundle = std::fs::read_to_string(dirs[0].join("export-bundle.yaml")).unwrap();
    assert!(
        bundle.contains("applications"),
        "the bundle is Juju's export: {bundle:.200}"
    );

    // The journal has every effect, executed.
    let executed = journal_effects(&out, "executed");
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
    // Juju's destroy blocked until the model was gone, and Juju releases a destroyed
    // model's nodes itself: Phase C finds them already on their way and says so.
    out.stderr_has("Phase C");

    // The transcript says the route and why, and each phase before doing it.
    // Juju blocked until the model was gone, and said so.
    out.stderr_has("Waiting for model to be removed")
        .stderr_has("Model destroyed.")
        .stderr_has("destroyed (Juju returned once it was gone)");
    assert!(
        juju_commands(&sim, "version").len() == 1,
        "one `juju version` per run ({juju})"
    );
    out.stderr_has("[DIRTY]")
        .stderr_has("Phase A")
        .stderr_has("will run: juju destroy-model openstack --force --no-wait --destroy-storage --no-prompt")
        .stderr_has("Phase C")
        .stderr_has("Phase D");
}

#[test]
fn clean_verifies_and_changes_nothing() {
    for juju in JUJU_MAJORS {
        clean_verifies_and_changes_nothing_on(juju);
    }
}

fn clean_verifies_and_changes_nothing_on(juju: &str) {
    let sim = SimServer::with_juju("clean", &[], crate::sim_server::TEST_SPEED, juju);
    let out = teardown(&sim, &[]);
    let doc = assert_doc(&out, 0, "clean", Some("go"));
    assert!(!sim.changed(), "changed: {:?}", changes(&sim));
    assert!(backups(&out.home()).is_empty());
    assert!(pointer(&out.home()).is_none());
    assert!(
        doc["checks"].as_array().unwrap().len() >= 6,
        "model row + 5 target rows"
    );
    out.stderr_has("[CLEAN]").stderr_has("§3.1");
}

#[test]
fn partial_releases_only_the_owned_targets_and_is_go() {
    for juju in JUJU_MAJORS {
        partial_releases_only_the_owned_targets_and_is_go_on(juju);
    }
}

fn partial_releases_only_the_owned_targets_and_is_go_on(juju: &str) {
    let sim = SimServer::with_juju("partial", &[], crate::sim_server::TEST_SPEED, juju);
    let ids = target_ids(&sim);
    let out = teardown(&sim, &["--yes"]);
    assert_doc(&out, 0, "partial", Some("go"));
    let released = released_ids(&sim);
    assert!(!released.is_empty());
    for id in &released {
        assert!(ids.contains(id), "released {id}, not a target");
    }
    assert!(
        juju_commands(&sim, "destroy-model").is_empty(),
        "no model to destroy"
    );
    assert_torn_down(&sim);
    out.stderr_has("[PARTIAL]").stderr_has("Phase C");
}

#[test]
fn destroying_is_remediated_and_is_go() {
    for juju in JUJU_MAJORS {
        destroying_is_remediated_and_is_go_on(juju);
    }
}

fn destroying_is_remediated_and_is_go_on(juju: &str) {
    let sim = SimServer::with_juju("destroying", &[], crate::sim_server::TEST_SPEED, juju);
    let out = teardown(&sim, &["--yes"]);
    assert_doc(&out, 0, "anomaly", Some("go"));
    let destroys = juju_commands(&sim, "destroy-model");
    assert_eq!(
        destroys.len(),
        1,
        "the model removal is re-attempted once: {destroys:?}"
    );
    assert!(destroys[0].contains("--force") && destroys[0].contains("--no-prompt"));
    assert!(released_ids(&sim).is_empty(), "targets were already Ready");
    assert_torn_down(&sim);
    out.stderr_has("[ANOMALY]")
        .stderr_has("the model is being destroyed")
        .stderr_has("remediation");
}

#[test]
fn stuck_removes_the_lingering_machine_with_force_and_is_go() {
    for juju in JUJU_MAJORS {
        stuck_removes_the_lingering_machine_with_force_and_is_go_on(juju);
    }
}

fn stuck_removes_the_lingering_machine_with_force_and_is_go_on(juju: &str) {
    let sim = SimServer::with_juju("stuck", &[], crate::sim_server::TEST_SPEED, juju);
    let out = run(&sim, "teardown", 2, &["--yes"]);
    assert_doc(&out, 0, "dirty", Some("go"));
    let removes = juju_commands(&sim, "remove-machine");
    assert!(!removes.is_empty(), "no remove-machine in the log");
    for r in &removes {
        assert!(r.contains("--force") && r.contains("--no-prompt"), "{r}");
    }
    // Phase B, then the remediation's re-attempt unless the removal was all the model needed.
    assert!((1..=2).contains(&juju_commands(&sim, "destroy-model").len()));
    assert_torn_down(&sim);
    out.stderr_has("remediation");
}

#[test]
fn foreign_stops_with_3_and_touches_nothing() {
    let sim = SimServer::start("foreign");
    let out = teardown(&sim, &["--yes"]);
    assert_doc(&out, 3, "anomaly", None);
    assert!(!sim.changed(), "changed: {:?}", changes(&sim));
    assert!(
        released_ids(&sim).is_empty(),
        "machines owned by someone else are never touched"
    );
    assert!(backups(&out.home()).is_empty());
    assert!(journal_effects(&out, "executed").is_empty());
    out.stderr_has("[ANOMALY]")
        .stderr_has("Nothing was changed")
        .stderr_has("alice");
}

#[test]
fn missing_stops_with_3_and_touches_nothing() {
    let sim = SimServer::start("missing");
    let out = teardown(&sim, &["--yes"]);
    assert_doc(&out, 3, "unknown", None);
    assert!(!sim.changed(), "changed: {:?}", changes(&sim));
    assert!(backups(&out.home()).is_empty());
    out.stderr_has("[UNKNOWN]")
        .stderr_has("`capi-mgmt` is missing from MAAS");
}

#[test]
fn dirty_dry_run_plans_every_effect_and_changes_nothing() {
    let sim = SimServer::start("dirty");
    let out = teardown(&sim, &["--dry-run"]);
    let doc = assert_doc(&out, 0, "dirty", None);
    assert!(!sim.changed(), "changed: {:?}", changes(&sim));
    let plan = doc["plan"].to_string();
    assert!(
        // The site pins its controller: the model is named on it (`CONTROLLER:MODEL`).
        plan.contains("destroy-model maas-controller:openstack --force --no-wait --destroy-storage --no-prompt"),
        "{plan}"
    );
    assert!(
        plan.contains("backup") || plan.contains("export-bundle"),
        "the plan shows the backup: {plan}"
    );
    for id in target_ids(&sim) {
        assert!(
            plan.contains(&id),
            "the plan shows the release of {id}: {plan}"
        );
    }
    assert!(
        out.files_under(&out.home()).is_empty(),
        "nothing written: {:?}",
        out.files_under(&out.home())
    );
    assert!(
        out.files_under(&out.state()).is_empty(),
        "nothing written: {:?}",
        out.files_under(&out.state())
    );
}

#[test]
fn dirty_without_a_terminal_and_without_yes_is_refused_with_4() {
    let sim = SimServer::start("dirty");
    let out = teardown(&sim, &[]);
    out.status(4);
    assert!(!sim.changed(), "changed: {:?}", changes(&sim));
    assert!(juju_commands(&sim, "destroy-model").is_empty());
    assert!(released_ids(&sim).is_empty());
    // Refused before Phase A: no backup written, the pointer not moved.
    assert!(backups(&out.home()).is_empty());
    assert!(pointer(&out.home()).is_none());
    assert!(journal_effects(&out, "executed").is_empty());
    out.stderr_has("stdin is not a terminal; rerun with `--yes`");
}

#[test]
fn destroying_without_a_terminal_and_without_yes_is_refused_before_any_write() {
    let sim = SimServer::start("destroying");
    let out = teardown(&sim, &[]);
    out.status(4)
        .stderr_has("stdin is not a terminal; rerun with `--yes`");
    assert!(!sim.changed(), "changed: {:?}", changes(&sim));
    assert!(backups(&out.home()).is_empty());
    assert!(pointer(&out.home()).is_none());
    assert!(journal_effects(&out, "executed").is_empty());
}

#[test]
fn a_model_that_never_goes_escalates_with_1() {
    for juju in JUJU_MAJORS {
        a_model_that_never_goes_on(juju);
    }
}

/// Juju's destroy never returns (the model is stuck): Phase B stops waiting at its deadline
/// and goes on; Phases C and D run; remediation re-attempts and escalates: NO-GO, not exit 2.
fn a_model_that_never_goes_on(juju: &str) {
    let sim = SimServer::with_juju(
        "dirty",
        &["model-stuck"],
        crate::sim_server::TEST_SPEED,
        juju,
    );
    let started = std::time::Instant::now();
    let out = run(
        &sim,
        "teardown",
        1,
        &["--yes", "--set", "timeouts.destroy_cli=1"],
    );
    assert_doc(&out, 1, "dirty", Some("no-go"));
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    out.stderr_has("destroy issued, still in progress")
        .stderr_has("timeouts.destroy_cli")
        .stderr_has("Phase C")
        .stderr_has("Phase D")
        .stderr_has("controller-side state may be corrupted");
    assert_eq!(
        juju_commands(&sim, "destroy-model").len(),
        2,
        "Phase B, then the re-attempt"
    );
}

#[test]
fn a_blocked_destroy_is_refused_before_phase_a() {
    for juju in JUJU_MAJORS {
        let sim = SimServer::with_juju(
            "dirty",
            &["disabled-command:destroy-model"],
            crate::sim_server::TEST_SPEED,
            juju,
        );
        let out = teardown(&sim, &["--yes"]);
        out.status(4)
            .stderr_has("juju disable-command destroy-model")
            .stderr_has("juju enable-command destroy-model -m openstack");
        assert!(!sim.changed(), "changed: {:?}", changes(&sim));
        assert!(juju_commands(&sim, "destroy-model").is_empty());
        assert!(backups(&out.home()).is_empty(), "refused before Phase A");
        assert!(pointer(&out.home()).is_none());
    }
}

#[test]
fn maas_faults_and_latency_still_reach_go() {
    let sim = SimServer::with(
        "dirty",
        // A GET gives up after 4 failed attempts: at 10% that is p = 0.0001 per read, so a run
        // of ~40 reads is expected to reach GO (at 30% it is ~0.8% per read, ~28% per run —
        // a GO there is the seed's luck, not the client's doing).
        &["maas-5xx:0.1", "maas-latency:50"],
        crate::sim_server::TEST_SPEED,
    );
    let ids = target_ids(&sim);
    let out = teardown(&sim, &["--yes"]);
    assert_doc(&out, 0, "dirty", Some("go"));
    for id in released_ids(&sim) {
        assert!(ids.contains(&id));
    }
    assert_torn_down(&sim);
    let failed = sim
        .log()
        .iter()
        .filter(|e| e["kind"] == "maas" && (e["status"] == 500 || e["status"] == 503))
        .count();
    assert!(failed > 0, "the fault made MAAS fail some requests");
}

#[test]
fn partial_with_maas_5xx_asks_again_for_the_failed_releases_and_is_go() {
    // Seeded: at this rate some release POSTs of the partial scenario fail with 5xx, and
    // no model is left whose destruction would release the machines instead. One release
    // in flight keeps the request order, so the seeded failures, the same every run.
    let sim = SimServer::with("partial", &["maas-5xx:0.3"], crate::sim_server::TEST_SPEED);
    let ids = target_ids(&sim);
    let out = teardown(
        &sim,
        &[
            "--yes",
            "--set",
            "timeouts.machines_ready=20",
            "--set",
            "maas.concurrency=1",
        ],
    );
    assert_doc(&out, 0, "partial", Some("go"));
    out.stderr_has("asking MAAS again for");
    let posts: Vec<String> = sim
        .log()
        .iter()
        .filter_map(|e| e["request"].as_str().map(str::to_string))
        .filter(|r| r.starts_with("POST"))
        .collect();
    assert!(posts.len() > 3, "a release was asked again: {posts:#?}");
    for p in &posts {
        assert!(ids.iter().any(|id| p.contains(id.as_str())), "{p}");
    }
    assert_torn_down(&sim);
}

#[test]
fn a_hung_release_settled_by_a_re_read_says_so() {
    // Slow time (the model goes after 3 s) and a 1 s Phase B deadline: Phase C asks MAAS
    // while the nodes are still Deployed; Juju releases them (at 3 s) while those requests
    // hang (3 s each).
    let sim = SimServer::with("dirty", &["maas-hang:op=release"], 0.5);
    let out = teardown(
        &sim,
        &[
            "--yes",
            "--set",
            "maas.timeout=3",
            "--set",
            "timeouts.destroy_cli=1",
        ],
    );
    assert_doc(&out, 0, "dirty", Some("go"));
    // Juju released the nodes while our requests hung: the transcript says what happened.
    out.stderr_has("openstack0 (")
        .stderr_has("after: `POST ")
        .stderr_has("op=release` failed");
    assert!(
        !out.stderr.contains("released openstack0"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_release_that_fails_in_maas_is_no_go_naming_the_machine() {
    let sim = SimServer::with(
        "dirty",
        &["release-fails:openstack1"],
        crate::sim_server::TEST_SPEED,
    );
    let out = teardown(&sim, &["--yes"]);
    let doc = assert_doc(&out, 1, "dirty", Some("no-go"));
    let failed: Vec<String> = doc["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["pass"] == false)
        .map(|c| c["name"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(failed, ["openstack1 Ready, owner (none)"], "{}", out.stderr);
    out.stderr_has("Releasing failed: MAAS will not finish this release by itself")
        .stderr_has("look at the machines that are not Ready in MAAS");
}

#[test]
fn juju_failing_at_detection_is_an_error_that_changes_nothing() {
    let sim = SimServer::with(
        "dirty",
        &["juju-fail:models"],
        crate::sim_server::TEST_SPEED,
    );
    let out = teardown(&sim, &["--yes"]);
    out.status(2)
        .stderr_has("juju models -c maas-controller --format json")
        .stderr_has("ERROR");
    assert!(!sim.changed(), "changed: {:?}", changes(&sim));
}

#[test]
fn a_failing_phase_a_capture_stops_before_the_destroy() {
    let sim = SimServer::with(
        "dirty",
        &["juju-fail:export-bundle"],
        crate::sim_server::TEST_SPEED,
    );
    let out = teardown(&sim, &["--yes"]);
    out.status(2).stderr_has("export-bundle");
    assert!(
        juju_commands(&sim, "destroy-model").is_empty(),
        "no backup, no destroy"
    );
    assert!(!sim.changed(), "changed: {:?}", changes(&sim));
    assert!(
        pointer(&out.home()).is_none(),
        "the pointer is not moved to a failed capture"
    );
}

/// `teardown` on a terminal (a pty) against `sim`: answers each confirmation the gate asks
/// with the next of `answers`, and returns the exit code.
fn teardown_on_a_terminal(sim: &SimServer, answers: &[(&str, &str)]) -> i32 {
    let test = Test::new()
        .args(&[
            "run",
            "teardown",
            "--root",
            REPO,
            "--site",
            "testcloud",
            "--set",
            "osd_disks=",
            "--set",
            "timeouts.model_gone=10",
            "--set",
            "timeouts.machines_ready=10",
            // Phase B stops waiting after 1 s, so Phase C meets nodes that are still ours.
            "--set",
            "timeouts.destroy_cli=1",
        ])
        .envs(sim.env());
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
    let sim = SimServer::with("dirty", &[], 0.5);
    let code = teardown_on_a_terminal(
        &sim,
        &[
            ("type the model name `openstack` to destroy it", "openstack"),
            ("type `release 5`", "release 5"),
        ],
    );
    assert_eq!(code, 0);
    assert_eq!(juju_commands(&sim, "destroy-model").len(), 1);
    assert_torn_down(&sim);
}

#[test]
fn on_a_terminal_a_wrong_model_name_destroys_nothing() {
    let sim = SimServer::start("dirty");
    let code = teardown_on_a_terminal(
        &sim,
        &[("type the model name `openstack` to destroy it", "openstac")],
    );
    assert_eq!(code, 4);
    assert!(!sim.changed(), "changed: {:?}", changes(&sim));
}

#[test]
fn roosevelt_tears_down_bare_metal_without_a_qcow2_wipe() {
    let sim = SimServer::start("dirty");
    let targets = format!("targets={}", serde_json::to_string(&TARGETS).unwrap());
    let test = Test::new()
        .args(&[
            "run",
            "teardown",
            "--root",
            REPO,
            "--site",
            "roosevelt",
            "--json",
            "--yes",
            // The simulator's controller, instead of the one the site names.
            "--set",
            "juju.controller=maas-controller",
            "--set",
            &targets,
            "--set",
            "timeouts.model_gone=10",
            "--set",
            "timeouts.machines_ready=10",
        ])
        .envs(sim.env());
    let out = test.run();
    let doc = assert_doc(&out, 0, "dirty", Some("go"));
    assert!(journal_effects(&out, "executed")
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
    let test = Test::new()
        .args(&[
            "run",
            "teardown",
            "--root",
            REPO,
            "--site",
            "roosevelt",
            "--json",
            "--yes",
            // The simulator's controller, instead of the one the site names.
            "--set",
            "juju.controller=maas-controller",
        ])
        .envs(sim.env());
    let out = test.run();
    assert_doc(&out, 3, "unknown", None);
    out.stderr_has("lists no targets");
    assert!(!sim.changed());
}

#[test]
fn destroy_model_on_a_clean_cloud_stops_with_3() {
    let sim = SimServer::start("clean");
    let out = run(&sim, "destroy-model", 10, &["--yes"]);
    out.status(3).stderr_has("nothing to destroy");
    assert!(!sim.changed());
}

#[test]
fn destroy_model_alone_runs_phases_a_to_d_and_is_go() {
    let sim = SimServer::start("dirty");
    let out = run(&sim, "destroy-model", 10, &["--yes"]);
    assert_doc(&out, 0, "dirty", Some("go"));
    assert_eq!(juju_commands(&sim, "destroy-model").len(), 1);
    assert_eq!(backups(&out.home()).len(), 1);
    assert_torn_down(&sim);
}

#[test]
fn remediate_refuses_a_live_cloud_with_3() {
    let sim = SimServer::start("dirty");
    let out = run(&sim, "remediate", 10, &["--yes"]);
    out.status(3).stderr_has("that is a live cloud");
    assert!(!sim.changed(), "changed: {:?}", changes(&sim));
}

#[test]
fn remediate_alone_clears_a_dying_model() {
    let sim = SimServer::start("destroying");
    let out = run(&sim, "remediate", 10, &["--yes"]);
    assert_doc(&out, 0, "anomaly", Some("go"));
    assert_torn_down(&sim);
}

#[test]
fn verify_and_accept_are_read_only() {
    let sim = SimServer::start("dirty");
    let out = run(&sim, "verify", 10, &[]);
    assert_eq!(out.json()["verdict"], "no-go", "{}", out.stderr);
    out.status(1);
    let out = run(&sim, "accept", 10, &[]);
    out.status(1).stderr_has("model `openstack` absent");
    assert!(!sim.changed(), "changed: {:?}", changes(&sim));
}

#[test]
fn wipe_osd_recreates_written_disks_once_targets_are_ready() {
    let images = qcow2_images(true);
    let sim = SimServer::start("clean");
    let glob = format!("{}/openstack[0-3]-1.qcow2", images.path().display());
    let disk_root = format!("disk_root={}", images.path().display());
    let osd = format!("osd_disks={glob}");
    let test = Test::new()
        .args(&[
            "run",
            "wipe-osd",
            "--root",
            REPO,
            "--site",
            "testcloud",
            "--json",
            "--yes",
            "--set",
            &osd,
            "--set",
            &disk_root,
            "--set",
            "timeouts.machines_ready=10",
        ])
        .envs(sim.env());
    let out = test.run();
    out.status(0);
    assert_eq!(out.json()["verdict"], "go", "{}", out.stderr);
    assert_eq!(
        journal_effects(&out, "executed")
            .iter()
            .filter(|e| *e == "wipe_qcow2")
            .count(),
        4
    );
    assert!(!sim.changed());
}

#[test]
fn wipe_osd_dry_run_plans_the_wipes_and_leaves_the_disks_alone() {
    let images = qcow2_images(true);
    let sizes = || -> Vec<u64> {
        let mut v: Vec<u64> = std::fs::read_dir(images.path())
            .unwrap()
            .flatten()
            .map(|e| std::fs::read(e.path()).unwrap().len() as u64)
            .collect();
        v.sort();
        v
    };
    let before = sizes();
    let sim = SimServer::start("clean");
    let osd = format!(
        "osd_disks={}/openstack[0-3]-1.qcow2",
        images.path().display()
    );
    let disk_root = format!("disk_root={}", images.path().display());
    let test = Test::new()
        .args(&[
            "run",
            "wipe-osd",
            "--root",
            REPO,
            "--site",
            "testcloud",
            "--json",
            "--dry-run",
            "--set",
            &osd,
            "--set",
            &disk_root,
        ])
        .envs(sim.env());
    let out = test.run();
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

#[test]
fn written_osd_disks_without_wipe_make_acceptance_no_go() {
    let images = qcow2_images(true);
    let sim = SimServer::start("clean");
    let osd = format!(
        "osd_disks={}/openstack[0-3]-1.qcow2",
        images.path().display()
    );
    let test = Test::new()
        .args(&[
            "run",
            "teardown",
            "--root",
            REPO,
            "--site",
            "testcloud",
            "--json",
            "--set",
            &osd,
            "--set",
            "wipe_osd=false",
        ])
        .envs(sim.env());
    let out = test.run();
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
