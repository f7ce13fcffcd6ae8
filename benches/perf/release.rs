//! `release_all` of 1,000 Deployed machines with 20 ms added to every MAAS request
//! (`--fault maas-latency:20`), at the default concurrency (16) against one at a time.
//! The primitive as a script calls it: guards, `--yes`, journal, one GET and one POST per
//! machine; and the client alone at 16, to show what the primitive adds. Every run gets a
//! fresh simulator so every machine is really released. Concurrent runs: median of 3;
//! the serial run (about 45 s) once.

use std::time::Duration;

use runbook::site::Site;

use crate::fixture;
use crate::measure::{self, Table};

const MACHINES: usize = 1000;
const LATENCY: &str = "maas-latency:20";

/// One `release_all` of every machine through the primitive; returns its wall time.
fn primitive(concurrency: usize) -> Duration {
    let sim = fixture::deployed_sim(MACHINES, &[LATENCY]);
    let mut site = Site::defaults("bench");
    site.targets = sim.hostnames.clone();
    site.maas.concurrency = concurrency;
    let state = tempfile::tempdir().expect("a temp dir");
    let h = fixture::harness(&sim.maas, site, state.path());
    let ids: Vec<String> = sim.system_ids.iter().map(|id| format!("{id:?}")).collect();
    let script = format!(
        "release_all([{}]).filter(|r| r.result == \"released\").len()",
        ids.join(", ")
    );
    let ast = h.compile(&script);
    h.eval::<String>("maas_whoami()");
    let (took, released) = measure::once(|| h.engine.eval_ast::<i64>(&ast));
    let released = released.unwrap_or_else(|e| panic!("release_all failed: {e}"));
    assert_eq!(released as usize, MACHINES, "every machine is released");
    took
}

/// The same through `MaasClient::release_all` alone (no guards, gate or journal).
fn client_only() -> Duration {
    let sim = fixture::deployed_sim(MACHINES, &[LATENCY]);
    let client = fixture::client(&sim.maas);
    let rt = fixture::runtime();
    rt.block_on(client.whoami()).expect("whoami");
    let (took, results) =
        measure::once(|| rt.block_on(client.release_all(&sim.system_ids, &Default::default())));
    assert!(
        results.iter().all(|(_, r)| r.is_ok()),
        "every machine is released"
    );
    took
}

fn median3(f: impl Fn() -> Duration) -> Duration {
    let mut runs = [f(), f(), f()];
    runs.sort();
    runs[1]
}

pub fn run() {
    let table = Table::new(
        &format!("`release_all` of {MACHINES} machines, 20 ms added to every MAAS request"),
        &["how", "concurrency", "time", "per machine", "speed-up vs 1"],
    );
    let concurrent = median3(|| primitive(16));
    let client = median3(client_only);
    let serial = primitive(1);
    for (how, concurrency, took) in [
        ("`release_all` primitive", 16, concurrent),
        ("`release_all` primitive", 1, serial),
        ("client only, no gate/journal", 16, client),
    ] {
        table.row(vec![
            how.to_string(),
            concurrency.to_string(),
            measure::ms(took),
            measure::ms(took / MACHINES as u32),
            measure::ratio(serial.as_secs_f64(), took.as_secs_f64()),
        ]);
    }
}
