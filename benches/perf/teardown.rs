//! The whole teardown of a thousand-node region, end to end as an operator runs it:
//! `runbook run teardown --yes` (detect → Phase A backup → Phase B destroy → Phase C
//! release → Phase D verify → §4 GO) against `region:1000` with 20 ms added to every MAAS
//! request, at the default concurrency (16) and at 1 (the procedure's serial loop), each with a
//! fresh simulator at its default speed.
//!
//! With fault `juju-keeps-nodes`, Juju removes the model but leaves its 1,000 nodes Deployed
//! (as `--force --no-wait` can), so Phase C releases every one: that is the run where the
//! procedure's serial loop costs most. Without it the simulated Juju releases the nodes
//! itself as the model goes, Phase C finds them Releasing, and concurrency changes nothing.

use std::path::Path;
use std::time::{Duration, Instant};

use runbook::sim::region;

use crate::fixture;
use crate::measure::{self, Table};

const N: usize = 1000;
const LATENCY: &str = "maas-latency:20";
const KEEPS_NODES: &str = "juju-keeps-nodes";

struct Run {
    took: Duration,
    /// The Phase C batch (`release_all`), from the journal.
    batch: Duration,
    /// Release POSTs runbook executed.
    executed: usize,
    verdict: String,
}

fn journal_lines(home: &Path) -> Vec<serde_json::Value> {
    let pattern = format!("{}/**/journal.jsonl", home.display());
    glob::glob(&pattern)
        .expect("a glob")
        .flatten()
        .flat_map(|p| {
            std::fs::read_to_string(p)
                .unwrap_or_default()
                .lines()
                .filter_map(|l| serde_json::from_str(l).ok())
                .collect::<Vec<_>>()
        })
        .collect()
}

fn teardown(concurrency: usize) -> Run {
    let sim = fixture::sim(&format!("region:{N}"), &[LATENCY, KEEPS_NODES]);
    let home = tempfile::tempdir().expect("a temp dir");
    let targets = format!("targets={}", region::targets_range(N));
    let concurrency_set = format!("maas.concurrency={concurrency}");
    let started = Instant::now();
    let out = fixture::runbook_command(&sim, home.path())
        .args(["run", "teardown", "--site", "testcloud", "--yes", "--json"])
        .args(["--set", &targets, "--set", &concurrency_set])
        .args(["--set", "osd_disks=", "--set", "timeouts.model_gone=300"])
        .args(["--set", "timeouts.machines_ready=300"])
        .env("HOME", home.path())
        .env_remove("XDG_STATE_HOME")
        .output()
        .expect("runbook runs");
    let took = started.elapsed();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    let verdict = doc["verdict"].as_str().unwrap_or("?").to_string();
    assert!(
        out.status.success() && verdict == "go",
        "the teardown of region:{N} at concurrency {concurrency} is not GO ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let releases: Vec<serde_json::Value> = journal_lines(home.path())
        .into_iter()
        .filter(|l| l["effect"] == "release" && l["outcome"] == "executed")
        .collect();
    let batch = releases
        .iter()
        .filter_map(|l| l["duration_ms"].as_u64())
        .max()
        .unwrap_or(0);
    Run {
        took,
        batch: Duration::from_millis(batch),
        executed: releases.len(),
        verdict,
    }
}

pub fn run() {
    let table = Table::new(
        &format!("The whole teardown of `region:{N}` (20 ms per MAAS request; Juju leaves the nodes to Phase C), `runbook run teardown --yes`"),
        &[
            "concurrency",
            "verdict",
            "whole teardown",
            "Phase C batch",
            "POSTs by runbook",
            "speed-up vs 1",
        ],
    );
    let concurrent = teardown(16);
    let serial = teardown(1);
    for (concurrency, r) in [(16, &concurrent), (1, &serial)] {
        table.row(vec![
            concurrency.to_string(),
            r.verdict.clone(),
            measure::ms(r.took),
            measure::ms(r.batch),
            r.executed.to_string(),
            measure::ratio(serial.took.as_secs_f64(), r.took.as_secs_f64()),
        ]);
    }
}
