//! Start-up and a read-only detection, as an operator runs them: the release `runbook`
//! binary doing `runbook eval` of `juju_models()` + `maas_machines()` against the
//! simulator, at 9, 1,000 and 10,000 machines, against `runbook eval '1'` (start-up alone).
//! Wall time and peak RSS of the `runbook` process (from `wait4`).

use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use runbook::sim::SimHandle;

use crate::fixture::{self, RUNBOOK_BIN};
use crate::measure::{self, Table};

const DETECT: &str = "let models = juju_models(); let machines = maas_machines(); \
                      `${models.len()} ${machines.len()}`";

/// One `runbook eval --site testcloud [flags] expr` run: wall time, peak RSS in bytes, stdout.
///
/// Linux carries a process's peak RSS across `exec` from the image that spawned it, so
/// the benchmark (which holds simulators) cannot spawn `runbook` itself and read
/// `ru_maxrss`: it re-runs itself as a small spawner (`RUNBOOK_BENCH_CHILD=spawn`) that
/// starts `runbook`, times it and reads its `wait4` usage.
pub fn eval(
    sim: &SimHandle,
    flags: &[&str],
    expr: &str,
    dir: &std::path::Path,
) -> (Duration, u64, String) {
    let out_path = dir.join("stdout");
    let err_path = dir.join("stderr");
    let measure_path = dir.join("measure");
    let status = Command::new(std::env::current_exe().expect("the benchmark's own path"))
        .env(crate::CHILD_ENV, "spawn")
        .env("BENCH_MEASURE_OUT", &measure_path)
        .args([RUNBOOK_BIN, "eval", "--site", "testcloud"])
        .args(flags)
        .arg(expr)
        .current_dir(dir)
        .env_remove("RUNBOOK_ROOT")
        .env_remove("RUNBOOK_SITE")
        .env("MAAS_URL", &sim.maas_url)
        .env("MAAS_API_KEY", &sim.api_key)
        .env("JUJU_BIN", &sim.juju_bin)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).expect("a stdout file"))
        .stderr(std::fs::File::create(&err_path).expect("a stderr file"))
        .status()
        .expect("the spawner runs");
    let stdout = std::fs::read_to_string(&out_path).unwrap_or_default();
    let measured = std::fs::read_to_string(&measure_path).unwrap_or_default();
    let fields: Vec<u64> = measured
        .split_whitespace()
        .filter_map(|f| f.parse().ok())
        .collect();
    match (status.success(), fields.as_slice()) {
        (true, [nanos, peak]) => (
            Duration::from_nanos(*nanos),
            *peak,
            stdout.trim().to_string(),
        ),
        _ => panic!(
            "`runbook eval {expr}` failed: {status}\n{stdout}{}",
            std::fs::read_to_string(&err_path).unwrap_or_default()
        ),
    }
}

/// The spawner side: runs its arguments as a command (inheriting stdio, environment and
/// directory), writes `nanoseconds peak_rss_bytes` to `BENCH_MEASURE_OUT`, exits with the
/// command's status.
pub fn spawner() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let out = std::env::var("BENCH_MEASURE_OUT").expect("BENCH_MEASURE_OUT");
    let started = Instant::now();
    let child = Command::new(&args[0])
        .args(&args[1..])
        .spawn()
        .expect("the command runs");
    let (status, peak) = wait4(child.id() as libc::pid_t);
    let took = started.elapsed();
    std::fs::write(out, format!("{} {peak}", took.as_nanos())).expect("the measure file");
    std::process::exit(status.code().unwrap_or(1));
}

/// Waits for `pid` and returns its exit status and peak RSS (`ru_maxrss`, bytes).
fn wait4(pid: libc::pid_t) -> (std::process::ExitStatus, u64) {
    let mut status = 0;
    // SAFETY: an all-zero `rusage` is valid, and `wait4` only writes to the two pointers.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(rc, pid, "wait4 failed: {}", std::io::Error::last_os_error());
    (
        std::process::ExitStatus::from_raw(status),
        usage.ru_maxrss as u64 * 1024,
    )
}

pub fn run() {
    let table = Table::new(
        "Start-up + read-only detection: `runbook eval` of `juju_models()` + `maas_machines()` (median of 5)",
        &[
            "scenario",
            "result (models machines)",
            "eval '1'",
            "detection",
            "detection / start-up",
            "peak RSS '1'",
            "peak RSS detection",
        ],
    );
    let dir = tempfile::tempdir().expect("a temp dir");
    for (scenario, _) in crate::maas_list::SIZES {
        let sim = fixture::sim(scenario, &[]);
        let runs = 5;
        let mut base = Vec::new();
        let mut detect = Vec::new();
        let mut result = String::new();
        eval(&sim, &[], DETECT, dir.path());
        for _ in 0..runs {
            base.push(eval(&sim, &[], "1", dir.path()));
            let d = eval(&sim, &[], DETECT, dir.path());
            result = d.2.clone();
            detect.push(d);
        }
        let (base_time, base_peak) = medians(&base);
        let (detect_time, detect_peak) = medians(&detect);
        table.row(vec![
            scenario.to_string(),
            result,
            measure::ms(base_time),
            measure::ms(detect_time),
            measure::ratio(detect_time.as_secs_f64(), base_time.as_secs_f64()),
            measure::mib(base_peak),
            measure::mib(detect_peak),
        ]);
    }
}

pub fn medians(runs: &[(Duration, u64, String)]) -> (Duration, u64) {
    let mut times: Vec<Duration> = runs.iter().map(|r| r.0).collect();
    let mut peaks: Vec<u64> = runs.iter().map(|r| r.1).collect();
    times.sort();
    peaks.sort();
    (times[times.len() / 2], peaks[peaks.len() / 2])
}
