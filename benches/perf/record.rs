//! `runbook sim record --all` of a 1,000- and a 10,000-machine MAAS against the same
//! process reading the full machine list twice (`runbook eval` of two `maas_machines()`):
//! the capture should cost no more than two full list reads. Both are whole `runbook`
//! processes (start-up, whoami and all), timed in alternating runs.

use runbook::sim::SimHandle;

use crate::fixture;
use crate::measure::{self, Table};

const TWO_LISTS: &str = "maas_machines().len() + maas_machines().len()";

/// Runs the release `runbook` with `args` against `sim`, in `dir`; panics on failure.
fn runbook(sim: &SimHandle, dir: &std::path::Path, args: &[&str]) {
    let out = fixture::runbook_command(sim, dir)
        .args(args)
        .output()
        .expect("runbook runs");
    assert!(
        out.status.success(),
        "`runbook {}` failed: {}\n{}",
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

pub fn run() {
    let table = Table::new(
        "`runbook sim record --all` vs two full machine-list reads (median of 5, alternating)",
        &[
            "machines",
            "capture size",
            "two `maas_machines()` (eval)",
            "`sim record --all`",
            "record / two lists",
        ],
    );
    let dir = tempfile::tempdir().expect("a temp dir");
    let capture = dir.path().join("cloud.json");
    let capture_arg = capture.to_string_lossy().into_owned();
    for (scenario, machines) in [("large:1000", "1,000"), ("large:10000", "10,000")] {
        let sim = fixture::sim(scenario, &[]);
        let record = [
            "sim",
            "record",
            "--site",
            "testcloud",
            "--all",
            "-o",
            &capture_arg,
        ];
        let eval = ["eval", "--site", "testcloud", TWO_LISTS];
        let (lists, recorded) = measure::paired(
            5,
            || runbook(&sim, dir.path(), &eval),
            || runbook(&sim, dir.path(), &record),
        );
        let size = std::fs::metadata(&capture).map(|m| m.len()).unwrap_or(0);
        table.row(vec![
            machines.to_string(),
            measure::mib(size),
            measure::ms(lists),
            measure::ms(recorded),
            measure::ratio(recorded.as_secs_f64(), lists.as_secs_f64()),
        ]);
    }
}
