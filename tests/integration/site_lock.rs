//! One run at a time may change a site: a second `run` (or an `apply`) started while one
//! is running is refused (exit 4) before it changes anything, naming the run in progress
//! (its id, pid, start time) and what to do; dry runs and plans are not held up; the lock
//! goes with the process that held it, SIGKILL included. Proved from the simulator's
//! request log: one capture, one destroy, nothing changed by the refused run.

use crate::common::session::{backups, pointer, testcloud};
use crate::common::{Output, Test};
use crate::sim_server::SimServer;

/// The operator's teardown, the same command for every run of a test.
fn teardown(sim: &SimServer) -> Test {
    testcloud(sim, "teardown")
        .args(&["--yes"])
        .set("timeouts.model_gone", "60")
        .set("timeouts.machines_ready", "30")
        .set("timeouts.destroy_cli", "300")
}

/// Another command as the same operator (same home and state dir) against `sim`.
fn same_operator(t: &Test, sim: &SimServer, args: &[&str]) -> Test {
    Test::new()
        .sim(sim)
        .repo()
        .site("testcloud")
        .args(args)
        .env("HOME", &t.home().display().to_string())
        .env("XDG_STATE_HOME", &t.state().display().to_string())
}

/// The run id a transcript announces (`..., run <id>`).
fn run_id(stdout: &str) -> String {
    let line = stdout
        .lines()
        .find(|l| l.starts_with("runbook run"))
        .unwrap_or_else(|| panic!("no announce line:\n{stdout}"));
    let (_, id) = line
        .rsplit_once(", run ")
        .unwrap_or_else(|| panic!("no run id in `{line}`"));
    id.trim().to_string()
}

/// Refused (exit 4) because run `holder` (pid `pid`) holds the site, nothing done: the
/// only journal under the operator's state dir (`t`'s) is the holder's.
fn assert_refused_naming(out: &Output, t: &Test, holder: &str, pid: u32) {
    out.status(4)
        .stderr_has(&format!(
            "error: refused: run {holder} (pid {pid}, `runbook "
        ))
        .stderr_has("is already changing site `testcloud`; one run at a time may change a site")
        .stderr_has("nothing was changed")
        .stderr_has("hint: wait for that run to end; its journal: ");
    let runs: Vec<String> = std::fs::read_dir(t.state().join("runbook/runs"))
        .expect("the runs dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(runs, [holder], "the refused run journaled nothing");
}

/// How many requests in the simulator's log changed the cloud.
fn changes(sim: &SimServer) -> usize {
    sim.log().iter().filter(|e| e["changed"] == true).count()
}

#[test]
fn a_second_teardown_during_the_first_is_refused_and_the_first_is_go() {
    // The tester's case: the destroyed model stays dying for a while, so the first run is
    // in Phase B, waiting, when the second starts.
    let sim = SimServer::scenario("dirty").fault("model-slow:100").start();
    let t = teardown(&sim);
    let mut first = t.start();
    first.wait_for_destroy(&sim);
    let holder = run_id(&first.stdout());
    let pid = first.pid();

    let second = t.run();
    assert_refused_naming(&second, &t, &holder, pid);
    second.stdout_lacks("==> Phase A");

    let done = first.finish(std::time::Duration::from_secs(90));
    done.status(0).says("verdict: GO");
    let destroys = sim.juju_commands("destroy-model");
    assert_eq!(destroys.len(), 1, "one destroy: {destroys:?}");
    let captures = sim.juju_commands("export-bundle");
    assert_eq!(captures.len(), 1, "one capture: {captures:?}");
    let dirs = backups(&t.home());
    assert_eq!(dirs.len(), 1, "one backup: {dirs:?}");
    assert_eq!(
        pointer(&t.home()).as_deref(),
        dirs[0].to_str(),
        "the pointer names the first run's backup"
    );
    sim.assert_torn_down();
}

#[test]
fn the_lock_holds_run_and_apply_not_dry_runs_and_goes_with_a_killed_run() {
    // The first run's `juju export-bundle` never returns: it holds the site in Phase A.
    let sim = SimServer::scenario("dirty")
        .fault("juju-hang-first:export-bundle")
        .start();
    let t = teardown(&sim);
    let mut first = t.start();
    first.wait_for_request(&sim, "the held export-bundle", |e| {
        e["request"]
            .as_str()
            .unwrap_or("")
            .starts_with("export-bundle")
            && e["status"] == 0
    });
    let holder = run_id(&first.stdout());
    let pid = first.pid();
    let changed = changes(&sim);

    assert_refused_naming(&t.run(), &t, &holder, pid);

    // A dry run and a plan change nothing: they take no lock.
    let dry = same_operator(&t, &sim, &["run", "teardown", "--dry-run"])
        .set("osd_disks", "")
        .run();
    dry.stderr_lacks("already changing");
    dry.stdout_has("dry-run plan (");
    let plan = t.path().join("plan.json").display().to_string();
    let planned = same_operator(&t, &sim, &["plan", "teardown", "-o", &plan])
        .set("osd_disks", "")
        .run();
    planned.status(0).stdout_has("saved to");

    // Applying the plan changes the site: refused, and the plan is not spent.
    let apply = same_operator(&t, &sim, &["apply", &plan, "--yes"]).run();
    assert_refused_naming(&apply, &t, &holder, pid);
    assert!(
        !t.state().join("runbook/applied-plans.jsonl").exists(),
        "the refused apply did not spend the plan"
    );

    assert_eq!(changes(&sim), changed, "nothing changed while refused");
    assert!(sim.juju_commands("destroy-model").is_empty());
    assert!(sim.released_ids().is_empty());

    // SIGKILL runs no code of ours: the kernel lets the lock go with the process.
    first.stop(libc::SIGKILL).status(128 + libc::SIGKILL);
    let again = t.run();
    again.status(0).says("verdict: GO");
    assert_eq!(sim.juju_commands("destroy-model").len(), 1);
    sim.assert_torn_down();
}
