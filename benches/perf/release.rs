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

/// What the journal alone costs for a batch: one line per machine, each appended and
/// synced to disk (`Gate::finish` → `Journal::record`), in a temp dir like a run's state.
fn journal_only() -> Duration {
    use runbook::effects::{Effect, EffectClass};
    use runbook::journal::{Journal, Outcome};
    let state = tempfile::tempdir().expect("a temp dir");
    let journal = Journal::new(state.path(), "bench", false);
    let effects: Vec<Effect> = (0..MACHINES)
        .map(|i| Effect {
            name: "release".into(),
            class: EffectClass::Destroy,
            target: format!("machine m{i:05} (node{i:05})"),
            args: serde_json::json!({ "system_id": format!("m{i:05}"), "opts": {"comment": "runbook run bench"} }),
            command: format!("POST machines/m{i:05}/?op=release"),
            confirm: None,
        })
        .collect();
    measure::once(|| {
        for e in &effects {
            journal.record(e, Outcome::Executed, None, 40);
        }
    })
    .0
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
        ("journal alone: 1000 synced lines", 0, journal_only()),
    ] {
        table.row(vec![
            how.to_string(),
            if concurrency == 0 {
                "-".to_string()
            } else {
                concurrency.to_string()
            },
            measure::ms(took),
            measure::ms(took / MACHINES as u32),
            if concurrency == 0 {
                "-".to_string()
            } else {
                measure::ratio(serial.as_secs_f64(), took.as_secs_f64())
            },
        ]);
    }
}
