//! docs/writing-runbooks.md stays true: its example runbook, taken from the guide itself,
//! plans in `--dry-run` without changing anything, and does what it says with `--yes`.

use crate::common::Test;
use crate::sim_server::SimServer;

const GUIDE: &str = include_str!("../../docs/writing-runbooks.md");

/// The code block after `<!-- example: PATH -->`.
fn example(path: &str) -> String {
    let marker = format!("<!-- example: {path} -->");
    let after = GUIDE
        .split_once(&marker)
        .unwrap_or_else(|| panic!("no {marker} in the guide"))
        .1;
    let body = after
        .split_once("```rhai\n")
        .expect("a rhai block after the marker")
        .1;
    body.split_once("```")
        .expect("the block's end")
        .0
        .to_string()
}

fn run(sim: &SimServer, args: &[&str]) -> crate::common::Output {
    Test::new()
        .file(
            "runbooks/release-idle.rhai",
            &example("runbooks/release-idle.rhai"),
        )
        .envs(sim.env())
        .args(&["run", "release-idle", "--site", "testcloud"])
        .args(args)
        .run()
}

#[test]
fn the_guide_s_runbook_plans_in_dry_run_and_releases_with_yes() {
    let sim = SimServer::with("dirty", &[], 20.0);
    let planned = run(&sim, &["--dry-run"]);
    planned
        .status(0)
        .stdout_has("openstack0 (")
        .stdout_has("  capi-mgmt: planned")
        .stdout_has("dry-run plan (5 effects; nothing was changed)")
        .stdout_has("op=release");
    assert!(!sim.changed(), "a dry run changed the simulated cloud");

    let done = run(&sim, &["--yes"]);
    done.status(0).stdout_has("verdict: GO");
    assert_eq!(sim.changes().len(), 5, "one release per target");
}
