//! `runbook plan RUNBOOK -o PLAN` and `runbook apply PLAN`, driven as an operator would
//! against `runbook sim serve`: a plan applied to an unchanged cloud does what a direct run
//! does; any drift (a machine's owner, the model's uuid, a runbook edit), an unplanned
//! effect, a second use, an expired or damaged plan file is refused and, as the
//! simulator's request log proves, nothing is changed.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::{two_fields, Output, Test, BIN};
use crate::sim_server::SimServer;

const REPO: &str = env!("CARGO_MANIFEST_DIR");

/// The site and settings of both the plan and a direct run: short waits, no OSD disks, and
/// Phase B stops waiting for Juju's blocking destroy after 1 s.
const SETTINGS: [&str; 10] = [
    "--site",
    "testcloud",
    "--set",
    "osd_disks=",
    "--set",
    "timeouts.model_gone=3",
    "--set",
    "timeouts.machines_ready=10",
    "--set",
    "timeouts.destroy_cli=1",
];

/// One operator's machine: a home, a state dir (journals, applied plan ids) and a `juju`
/// wrapper of its own, so runs made one after another (plan, then apply) share them and a
/// simulator replaced at the same port looks like the same endpoints.
struct Operator {
    dir: tempfile::TempDir,
}

impl Operator {
    fn new() -> Operator {
        let dir = tempfile::tempdir().expect("temp dir");
        for sub in ["home", "state", "bin", "root"] {
            std::fs::create_dir(dir.path().join(sub)).expect("mkdir");
        }
        let juju = dir.path().join("bin/juju");
        std::fs::write(&juju, format!("#!/bin/sh\nexec '{BIN}' sim juju \"$@\"\n"))
            .expect("wrapper");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&juju, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        }
        Operator { dir }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// `runbook ARGS` against `sim`, as this operator.
    fn runbook(&self, sim: &SimServer, args: &[&str]) -> Output {
        self.command(sim, args).run()
    }

    /// The command `runbook ARGS` against `sim`, as this operator, not yet run.
    fn command(&self, sim: &SimServer, args: &[&str]) -> Test {
        Test::new()
            .args(args)
            .env("MAAS_URL", &sim.maas_url)
            .env("MAAS_API_KEY", &sim.api_key)
            .env("JUJU_BIN", &self.path("bin/juju").display().to_string())
            .env("RUNBOOK_SIM_URL", &sim.base_url)
            .env("HOME", &self.path("home").display().to_string())
            .env("XDG_STATE_HOME", &self.path("state").display().to_string())
    }

    /// `runbook plan teardown -o plan.json` with short waits and no OSD disks.
    fn plan(&self, sim: &SimServer, root: &str, extra: &[&str]) -> Output {
        let plan = self.path("plan.json").display().to_string();
        let mut args = vec!["plan", "teardown", "-o", &plan, "--root", root];
        args.extend_from_slice(&SETTINGS);
        args.extend_from_slice(extra);
        self.runbook(sim, &args)
    }

    fn apply(&self, sim: &SimServer, extra: &[&str]) -> Output {
        let plan = self.path("plan.json").display().to_string();
        let mut args = vec!["apply", plan.as_str()];
        args.extend_from_slice(extra);
        self.runbook(sim, &args)
    }

    fn plan_file(&self) -> Value {
        let text = std::fs::read_to_string(self.path("plan.json")).expect("plan file");
        serde_json::from_str(&text).expect("plan JSON")
    }
}

/// The journal of the run that printed `out` (its `journal: PATH` line); empty if none.
fn journal(out: &Output) -> Vec<Value> {
    let Some(path) = out.stdout.lines().find_map(|l| l.strip_prefix("journal: ")) else {
        return Vec::new();
    };
    match std::fs::read_to_string(path) {
        Ok(text) => text
            .lines()
            .map(|l| serde_json::from_str(l).expect("journal line is JSON"))
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// The requests that changed the cloud, in order.
fn changes(sim: &SimServer) -> Vec<String> {
    sim.log()
        .into_iter()
        .filter(|e| e["changed"] == true)
        .map(|e| e["request"].as_str().unwrap_or("").to_string())
        .collect()
}

/// The destroy-class effects a run executed, in order (`effect target`).
fn executed(out: &Output) -> Vec<String> {
    journal(out)
        .into_iter()
        .filter(|l| l["outcome"] == "executed" && l["class"] == "destroy")
        .map(|l| two_fields(&l, "effect", "target"))
        .collect()
}

#[test]
fn apply_after_no_change_does_what_a_direct_run_does_once() {
    // The direct run, on a cloud of its own. Slow time (the model takes 3 s to go) and
    // Phase B's 1 s deadline: Phase C releases the targets before Juju does.
    let direct_sim = SimServer::with("dirty", &[], 0.5);
    let direct_op = Operator::new();
    let direct = direct_op.runbook(
        &direct_sim,
        &[&["run", "teardown", "--yes", "--root", REPO][..], &SETTINGS].concat(),
    );
    direct.status(0).stdout_has("verdict: GO");

    let sim = SimServer::with("dirty", &[], 0.5);
    let op = Operator::new();
    let planned = op.plan(&sim, REPO, &[]);
    planned
        .status(0)
        .stdout_has("dry-run plan (14 effects; nothing was changed)")
        .stdout_has("destroy-model maas-controller:admin/openstack --force")
        .stdout_has("saved to");
    assert!(
        !sim.changed(),
        "planning changed the cloud: {:?}",
        changes(&sim)
    );
    let plan = op.plan_file();
    let id = plan["id"].as_str().expect("id");
    planned.stdout_has(&format!("plan {} saved", &id[..8]));
    // What the plan rests on: identities, owners, the user, settings, source hashes.
    let facts = &plan["facts"];
    assert_eq!(facts["maas.user"], "admin");
    assert_eq!(
        facts["model.openstack.uuid"],
        "3d9f6c1a-5b2e-4f80-a7c4-92e1b8d05f63"
    );
    assert!(facts["juju.controller"]
        .as_str()
        .unwrap_or("")
        .contains("0c3f9a52-7d1e-4b8e-9a43-5e2f6d8b1c07"));
    for host in ["openstack0", "capi-mgmt"] {
        assert_eq!(facts[format!("machine.{host}.owner")], "admin");
        assert_eq!(facts[format!("machine.{host}.status")], "Deployed");
        assert_eq!(facts[format!("machine.{host}.locked")], "false");
        assert_eq!(
            facts[format!("machine.{host}.system_id")],
            sim.machine(host)["system_id"]
        );
    }
    assert_eq!(plan["settings"]["targets"][0], "openstack0");
    let sources = plan["sources"].as_array().expect("sources");
    assert!(sources
        .iter()
        .any(|s| s["name"] == "teardown" && s["sha256"].as_str().map(str::len) == Some(64)));
    assert!(sources.iter().any(|s| s["name"] == "state"));
    assert!(!std::fs::read_to_string(op.path("plan.json"))
        .expect("plan")
        .contains(&sim.api_key));

    let applied = op.apply(&sim, &["--yes"]);
    applied
        .status(0)
        .stdout_has("facts, settings and")
        .stderr_has(&format!("plan {} will make 14 change(s)", &id[..8]))
        .stdout_has("verdict: GO");
    let effects = executed(&applied);
    assert_eq!(
        effects.len(),
        6,
        "destroy-model and 5 releases: {effects:?}"
    );
    assert_eq!(effects, executed(&direct));
    assert!(changes(&sim)
        .iter()
        .any(|c| c.starts_with("destroy-model maas-controller:admin/openstack")));

    // Single-use: a second apply is refused and changes nothing.
    let before = sim.log().len();
    let again = op.apply(&sim, &["--yes"]);
    again
        .status(4)
        .stderr_has("was already applied")
        .stderr_has("single-use");
    assert!(sim.log()[before..].iter().all(|e| e["changed"] == false));
}

/// Refused with exit 4 naming `drift`, and nothing changed after the plan was made.
fn assert_refused(op: &Operator, sim: &SimServer, drift: &str) {
    let before = sim.log().len();
    let out = op.apply(sim, &["--yes"]);
    out.status(4)
        .stderr_has("error: refused: plan")
        .stderr_has(drift)
        .stderr_has("nothing was changed")
        .stderr_has("make a new plan with `runbook plan teardown --site testcloud -o PLAN`");
    let after: Vec<Value> = sim.log()[before..]
        .iter()
        .filter(|e| e["changed"] == true)
        .cloned()
        .collect();
    assert!(after.is_empty(), "apply changed the cloud: {after:?}");
    let lines = journal(&out);
    assert!(
        lines.iter().any(|l| l["outcome"] == "refused"),
        "the refusal is journaled"
    );
    assert!(lines.iter().all(|l| l["outcome"] != "executed"));
}

#[test]
fn apply_refuses_a_machine_that_changed_owner() {
    let sim = SimServer::start("dirty");
    let op = Operator::new();
    op.plan(&sim, REPO, &[]).status(0);
    // Someone releases openstack0 by hand: it ends Ready with no owner.
    let id = sim.system_id("openstack0");
    assert_eq!(sim.machine_op(&id, "release").status(), 200);
    sim.wait_for(
        "openstack0 Ready",
        std::time::Duration::from_secs(10),
        |_| sim.machine("openstack0")["owner"].is_null(),
    );
    assert_refused(&op, &sim, "machine.openstack0.owner: admin → (none)");
}

#[test]
fn apply_refuses_when_the_model_uuid_changed() {
    let sim = SimServer::start("dirty");
    let op = Operator::new();
    let port = sim.port();
    // A capture of the same cloud whose model was re-created under a new uuid.
    let record = op.runbook(
        &sim,
        &[
            "sim",
            "record",
            "--root",
            REPO,
            "--site",
            "testcloud",
            "-o",
            &op.path("cloud.json").display().to_string(),
        ],
    );
    record.status(0);
    let text = std::fs::read_to_string(op.path("cloud.json")).expect("capture");
    let old = "3d9f6c1a-5b2e-4f80-a7c4-92e1b8d05f63";
    let new = "aaaaaaaa-5b2e-4f80-a7c4-92e1b8d05f63";
    std::fs::write(op.path("recreated.json"), text.replace(old, new)).expect("write");
    op.plan(&sim, REPO, &[]).status(0);
    drop(sim);
    let path = op.path("recreated.json").display().to_string();
    let port = port.to_string();
    let recreated = SimServer::spawn(&["--from", &path, "--port", &port], &[], 20.0);
    assert_refused(
        &op,
        &recreated,
        &format!("model.openstack.uuid: {old} → {new}"),
    );
}

#[test]
fn apply_refuses_after_a_runbook_edit() {
    let sim = SimServer::start("dirty");
    let op = Operator::new();
    let root = op.path("root");
    let teardown = root.join("runbooks/teardown.rhai");
    std::fs::create_dir_all(teardown.parent().expect("dir")).expect("mkdir");
    let text =
        std::fs::read_to_string(Path::new(REPO).join("runbooks/teardown.rhai")).expect("runbook");
    std::fs::write(&teardown, &text).expect("write");
    let root = root.display().to_string();
    op.plan(&sim, &root, &[]).status(0);
    std::fs::write(&teardown, format!("{text}\n// an edit after review\n")).expect("edit");
    assert_refused(
        &op,
        &sim,
        &format!("source `{}` changed", teardown.display()),
    );
}

#[test]
fn an_unplanned_effect_is_refused_and_nothing_after_it_runs() {
    // Planned on `dirty`; applied to the same cloud at the same address, except that one
    // machine now lingers after the model is destroyed (`stuck`): the remediation's
    // `remove-machine` was never planned.
    let sim = SimServer::start("dirty");
    let op = Operator::new();
    op.plan(&sim, REPO, &[]).status(0);
    let port = sim.port();
    drop(sim);
    let stuck = SimServer::on_port("stuck", port);
    let out = op.apply(&stuck, &["--yes"]);
    out.status(4)
        .stderr_has("refused by guard `plan.effects`")
        .stderr_has("remove-machine");
    let juju: Vec<String> = stuck.requests_of("juju");
    assert!(
        juju.iter().any(|r| r.starts_with("destroy-model")),
        "{juju:?}"
    );
    let refused_at = juju.iter().position(|r| r.starts_with("remove-machine"));
    assert!(refused_at.is_none(), "remove-machine ran: {juju:?}");
    let refused = journal(&out)
        .into_iter()
        .filter(|l| l["outcome"] == "refused")
        .map(|l| l["effect"].as_str().unwrap_or("").to_string())
        .collect::<Vec<_>>();
    assert_eq!(refused, ["juju_remove_machine"]);
}

#[test]
fn an_unconfirmed_plan_is_refused_and_stays_usable() {
    let sim = SimServer::start("dirty");
    let op = Operator::new();
    op.plan(&sim, REPO, &[]).status(0);
    let out = op.apply(&sim, &[]);
    out.status(4)
        .stderr_has("type the plan id")
        .stderr_has("stdin is not a terminal; rerun with `--yes`");
    assert!(!sim.changed());
    op.apply(&sim, &["--yes"]).status(0);
}

#[test]
fn set_with_apply_is_an_error_and_the_plan_stays_usable() {
    let sim = SimServer::start("dirty");
    let op = Operator::new();
    op.plan(&sim, REPO, &[]).status(0);
    let out = op.apply(&sim, &["--yes", "--set", "timeouts.model_gone=5"]);
    out.status(2).stderr_has(
        "error: `--set timeouts.model_gone=5` does not apply to `runbook apply`: the plan carries the settings it was made with",
    );
    assert!(!sim.changed());
    op.apply(&sim, &["--yes"]).status(0);
}

#[test]
fn an_interrupted_apply_says_how_to_continue_without_the_spent_plan() {
    // The destroyed model stays dying and Phase B waits for Juju: SIGTERM lands there.
    let sim = SimServer::scenario("dirty").fault("model-slow:100").start();
    let op = Operator::new();
    op.plan(&sim, REPO, &["--set", "timeouts.destroy_cli=300"])
        .status(0);
    let plan = op.path("plan.json").display().to_string();
    let mut run = op.command(&sim, &["apply", &plan, "--yes"]).start();
    run.wait_for_destroy(&sim);
    let out = run.stop(libc::SIGTERM);
    out.status(143)
        .stdout_has("to continue: this plan is spent (single-use); run `runbook run teardown --site testcloud`")
        .stdout_has("or make a new plan with `runbook plan teardown --site testcloud -o PLAN` and apply that")
        .stdout_lacks("run the same command again");
    // As it says: the same apply again is refused.
    op.apply(&sim, &["--yes"])
        .status(4)
        .stderr_has("single-use");
}

#[test]
fn an_expired_plan_is_refused() {
    let sim = SimServer::start("dirty");
    let op = Operator::new();
    op.plan(&sim, REPO, &["--set", "plan_max_age=0"]).status(0);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    assert_refused(&op, &sim, "it expired at");
}

#[test]
fn a_damaged_foreign_or_newer_plan_file_is_a_clear_error() {
    let sim = SimServer::start("dirty");
    let op = Operator::new();
    op.plan(&sim, REPO, &[]).status(0);
    let good = std::fs::read_to_string(op.path("plan.json")).expect("plan");
    let mut newer: Value = serde_json::from_str(&good).expect("JSON");
    newer["version"] = 2.into();
    let cases = [
        (
            good[..good.len() / 2].to_string(),
            vec![],
            "was it truncated?",
        ),
        (
            good.replacen("\"admin\"", "\"alice\"", 1),
            vec![],
            "edited by hand?",
        ),
        (
            newer.to_string(),
            vec![],
            "plan format version 2, newer than this runbook reads (1)",
        ),
        (
            good.clone(),
            vec!["--site", "roosevelt"],
            "is for site `testcloud`, not `roosevelt`",
        ),
    ];
    for (text, extra, message) in cases {
        std::fs::write(op.path("plan.json"), &text).expect("write");
        let mut args = vec!["--yes"];
        args.extend(extra);
        let out = op.apply(&sim, &args);
        out.status(2).stderr_has(message);
        assert!(!sim.changed(), "{message}: the cloud changed");
        assert!(
            !out.stdout.contains("journal: ") && !out.stderr.contains("journal: "),
            "{message}: a run was started"
        );
    }
}

/// The plan's facts are those its route was decided on. A target locked in MAAS right after
/// the detection read it unlocked (the simulator's `mutate` fault): the dry run routed DIRTY
/// on the unlocked read, so a plan saved with the later read (`locked: true`) would look
/// current to `apply` while resting on a state nobody reviewed. `plan` refuses (exit 4),
/// naming the change, and saves nothing; the cloud is unchanged.
#[test]
fn a_cloud_that_moves_during_the_plan_is_refused_and_no_plan_is_saved() {
    let sim = SimServer::with("dirty", &["mutate:jnn7x2:locked=true"], 0.5);
    let op = Operator::new();
    let planned = op.plan(&sim, REPO, &[]);
    planned
        .status(4)
        .stdout_has("[DIRTY]")
        .stderr_has("the cloud changed while the plan was made")
        .stderr_has("machine.openstack0.locked: false → true")
        .stderr_has("no plan saved");
    assert!(!op.path("plan.json").exists(), "a plan file was saved");
    assert!(
        !sim.changed(),
        "planning changed the cloud: {:?}",
        changes(&sim)
    );
}
