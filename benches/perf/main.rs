//! runbook's benchmarks (README "Performance"): each section prints a
//! Markdown table whose ratios are against a baseline measured in the same run.
//!
//! `cargo bench --bench perf` runs them all (about two minutes); a word after `--` picks
//! sections by name: `cargo bench --bench perf -- list release overhead detection targets teardown waits record`.
//! Figures and how to read them: `benches/README.md`.

mod detection;
mod fixture;
mod maas_list;
mod measure;
mod overhead;
mod record;
mod release;
mod targets;
mod teardown;
mod waits;

/// Set when this benchmark re-runs itself as a child that measures one thing.
pub const CHILD_ENV: &str = "RUNBOOK_BENCH_CHILD";

const SECTIONS: [(&str, fn()); 8] = [
    ("list", maas_list::run),
    ("overhead", overhead::run),
    ("detection", detection::run),
    ("targets", targets::run),
    ("release", release::run),
    ("teardown", teardown::run),
    ("waits", waits::run),
    ("record", record::run),
];

fn main() {
    match std::env::var(CHILD_ENV).as_deref() {
        Ok("spawn") => return detection::spawner(),
        Ok(mode) => return maas_list::child(mode),
        Err(_) => {}
    }
    // cargo passes `--bench`; any other word names sections to run.
    let picked: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let unknown: Vec<&String> = picked
        .iter()
        .filter(|p| !SECTIONS.iter().any(|(name, _)| name == p))
        .collect();
    if !unknown.is_empty() {
        let names: Vec<&str> = SECTIONS.iter().map(|(name, _)| *name).collect();
        eprintln!(
            "error: unknown section(s) {unknown:?}; expected some of: {}",
            names.join(", ")
        );
        std::process::exit(2);
    }
    let started = std::time::Instant::now();
    for (name, run) in SECTIONS {
        if picked.is_empty() || picked.iter().any(|p| p == name) {
            run();
        }
    }
    println!("\n(total {:.0} s)", started.elapsed().as_secs_f64());
}
