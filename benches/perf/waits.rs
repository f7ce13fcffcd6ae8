//! Waits that end when the thing happens (teardown.md §3.2 Phase D).
//!
//! First `wait_until` itself, as Phase D calls it (`calls::poll_for(120)`: at most 1 s
//! between polls), on a condition that turns true a known time after the wait starts: the
//! wait may overshoot by at most 10% of that time (it polls sooner at first and backs off).
//! Then the demo (`runbook run teardown --site demo --yes`, simulator speed 1.0) against
//! the simulated cloud's own waits, read from the demo site (`sim.model_removal_s`, then
//! `sim.release_s` for its nodes to be Ready): nothing can end it sooner than their sum
//! after the destroy.

use std::process::{Command, Stdio};
use std::time::Duration;

use runbook::site::Site;

use crate::fixture::{self, RUNBOOK_BIN};
use crate::measure::{self, Table};

/// When the condition turns true, seconds after the wait starts.
const AFTER: [f64; 4] = [0.2, 0.7, 1.5, 4.0];

/// Phase D's poll interval for its 120 s timeouts (`calls::poll_for`).
const POLL_S: f64 = 1.0;

pub fn run() {
    wait_until_overshoot();
    demo();
}

fn wait_until_overshoot() {
    let table = Table::new(
        "`wait_until` (polls at most every 1 s, as Phase D): time past the moment the condition turned true",
        &["true after", "wait ended", "overshoot", "of the wait"],
    );
    let sim = fixture::sim("clean", &[]);
    let maas = fixture::maas_of(&sim);
    let state = tempfile::tempdir().expect("a temp dir");
    let h = fixture::harness(&maas, Site::defaults("bench"), state.path());
    for after in AFTER {
        let ast = h.compile(&format!(
            "let t0 = timestamp(); wait_until(\"the bench's condition\", 120, {POLL_S:?}, || t0.elapsed >= {after:?})"
        ));
        let (took, ended) = measure::once(|| h.engine.eval_ast::<bool>(&ast));
        assert!(
            ended.unwrap_or_else(|e| panic!("the wait failed: {e}")),
            "the wait ends true"
        );
        let over = took.saturating_sub(Duration::from_secs_f64(after));
        table.row(vec![
            format!("{after} s"),
            measure::ms(took),
            measure::ms(over),
            format!("{:.1}%", 100.0 * over.as_secs_f64() / after),
        ]);
    }
}

fn demo() {
    let table = Table::new(
        "The demo, `runbook run teardown --site demo --yes` (simulator speed 1.0), median of 3",
        &[
            "whole run",
            "the cloud's own waits",
            "the rest (detection, Phase A, reads, polls, §4)",
        ],
    );
    let mut runs: Vec<Duration> = (0..3).map(|_| demo_once()).collect();
    runs.sort();
    let took = runs[1];
    let floor = Duration::from_secs_f64(demo_cloud_waits());
    table.row(vec![
        measure::ms(took),
        measure::ms(floor),
        measure::ms(took.saturating_sub(floor)),
    ]);
}

/// The demo site's simulated model removal plus release, in seconds.
fn demo_cloud_waits() -> f64 {
    let home = tempfile::tempdir().expect("a temp dir");
    let out = Command::new(RUNBOOK_BIN)
        .args([
            "eval",
            "--site",
            "demo",
            "site.sim.model_removal_s + site.sim.release_s",
        ])
        .current_dir(home.path())
        .env("HOME", home.path())
        .env_remove("RUNBOOK_ROOT")
        .env_remove("RUNBOOK_SITE")
        .stdin(Stdio::null())
        .output()
        .expect("runbook runs");
    let text = String::from_utf8_lossy(&out.stdout);
    text.trim()
        .parse()
        .unwrap_or_else(|_| panic!("the demo site's delays: {text}"))
}

fn demo_once() -> Duration {
    let home = tempfile::tempdir().expect("a temp dir");
    let (took, out) = measure::once(|| {
        Command::new(RUNBOOK_BIN)
            .args(["run", "teardown", "--site", "demo", "--yes"])
            .current_dir(home.path())
            .env("HOME", home.path())
            .env_remove("RUNBOOK_ROOT")
            .env_remove("RUNBOOK_SITE")
            .env_remove("XDG_STATE_HOME")
            .stdin(Stdio::null())
            .output()
            .expect("runbook runs")
    });
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).contains("verdict: GO"),
        "the demo is not GO ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    took
}
