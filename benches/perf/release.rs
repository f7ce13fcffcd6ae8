//! `release_all` of 1,000 Deployed machines with 20 ms added to every MAAS request
//! (`--fault maas-latency:20`), at the default concurrency (16) against one at a time.
//! The primitive as a script calls it: guards, `--yes`, journal, one GET and one POST per
//! machine. Each run gets a fresh simulator so every machine is really released.

use runbook::site::Site;

use crate::fixture;
use crate::measure::{self, Table};

const MACHINES: usize = 1000;
const LATENCY: &str = "maas-latency:20";

pub fn run() {
    let table = Table::new(
        &format!("`release_all` of {MACHINES} machines, 20 ms per MAAS request"),
        &["concurrency", "time", "per machine", "speed-up vs 1"],
    );
    let mut serial = None;
    let mut rows = Vec::new();
    for concurrency in [16, 1] {
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
        if concurrency == 1 {
            serial = Some(took);
        }
        rows.push((concurrency, took));
    }
    let serial = serial.expect("a serial run").as_secs_f64();
    for (concurrency, took) in rows {
        table.row(vec![
            concurrency.to_string(),
            measure::ms(took),
            measure::ms(took / MACHINES as u32),
            measure::ratio(serial, took.as_secs_f64()),
        ]);
    }
}
