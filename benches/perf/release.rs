//! Releasing 1,000 Deployed machines with 20 ms added to every MAAS request
//! (`--fault maas-latency:20`): a script loop of `release(id)` (the procedure's loop, one
//! machine after another) against `release_all` at concurrency 1 — the same two requests
//! per machine, so within 1.2x — and `release_all` at the default concurrency (16) against
//! the ideal (2,000 requests of 20 ms, 16 at a time: 2.5 s). The primitives as a script
//! calls them: guards, `--yes`, journal, one GET and one POST per machine; and the client
//! alone at 16, to show what the primitive adds, and one request alone, to show what a
//! 20 ms request costs end to end. Every run gets a fresh simulator so every
//! machine is really released, with its targets frozen as a detection would freeze them.
//! Concurrent runs: median of 3; the serial runs (about 45 s each) once.

use std::time::Duration;

use runbook::site::Site;

use crate::fixture;
use crate::measure::{self, Table};

const MACHINES: usize = 1000;
const LATENCY: &str = "maas-latency:20";

/// How a script releases every machine.
#[derive(Clone, Copy)]
enum How {
    /// `release_all(ids)`, one batch.
    Batch,
    /// `for id in ids { release(id) }`, one machine after another.
    Loop,
}

/// Every machine released through the primitive a script calls; returns its wall time.
fn primitive(how: How, concurrency: usize) -> Duration {
    let sim = fixture::deployed_sim(MACHINES, &[LATENCY]);
    let mut site = Site::defaults("bench");
    site.targets = sim.hostnames.clone();
    site.maas.concurrency = concurrency;
    let state = tempfile::tempdir().expect("a temp dir");
    let h = fixture::harness(&sim.maas, site, state.path());
    let whoami = h.eval::<String>("maas_whoami()");
    fixture::freeze(&h, &sim, &whoami);
    let ids: Vec<String> = sim.system_ids.iter().map(|id| format!("{id:?}")).collect();
    let ids = ids.join(", ");
    let script = match how {
        How::Batch => {
            format!("release_all([{ids}]).filter(|r| r.result == \"released\").len()")
        }
        How::Loop => format!(
            "let n = 0; for id in [{ids}] {{ if release(id).result == \"released\" {{ n += 1; }} }} n"
        ),
    };
    let ast = h.compile(&script);
    let (took, released) = measure::once(|| h.engine.eval_ast::<i64>(&ast));
    let released = released.unwrap_or_else(|e| panic!("the release failed: {e}"));
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

/// One request alone through the client (`GET users/?op=whoami`, median of 50): what a
/// 20 ms request costs end to end, the simulator's timer and the client's own work
/// included, against which the batches' share of the ideal reads.
fn one_request() -> Duration {
    let sim = fixture::sim("clean", &[LATENCY]);
    let client = fixture::client(&fixture::maas_of(&sim));
    let rt = fixture::runtime();
    measure::median(50, || rt.block_on(client.whoami()).expect("whoami"))
}

/// What the journal alone costs for a batch: one line per machine, each appended and
/// synced to disk (`Gate::finish` → `Journal::record`), in a temp dir like a run's state.
fn journal_only() -> Duration {
    use runbook::effects::journal::{Journal, Outcome};
    use runbook::effects::{Effect, EffectClass};
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
        &format!("Releasing {MACHINES} machines, 20 ms added to every MAAS request"),
        &[
            "how",
            "concurrency",
            "time",
            "per machine",
            "vs `release_all` at 1",
            "of the ideal",
        ],
    );
    // 2 requests per machine, `concurrency` at a time, 20 ms each.
    let ideal = |concurrency: u32| Duration::from_millis(20) * 2 * MACHINES as u32 / concurrency;
    let concurrent = median3(|| primitive(How::Batch, 16));
    let client = median3(client_only);
    let request = one_request();
    let serial = primitive(How::Batch, 1);
    let script_loop = primitive(How::Loop, 1);
    for (how, concurrency, took) in [
        ("`release_all` primitive", 16, concurrent),
        ("`release_all` primitive", 1, serial),
        ("`release(id)` in a script loop", 1, script_loop),
        ("client only, no gate/journal", 16, client),
        ("journal alone: 1000 synced lines", 0, journal_only()),
    ] {
        let timed = concurrency != 0;
        table.row(vec![
            how.to_string(),
            if timed {
                concurrency.to_string()
            } else {
                "-".to_string()
            },
            measure::ms(took),
            measure::ms(took / MACHINES as u32),
            if timed {
                measure::ratio(took.as_secs_f64(), serial.as_secs_f64())
            } else {
                "-".to_string()
            },
            if timed {
                format!(
                    "{:.0}% (ideal {})",
                    100.0 * ideal(concurrency).as_secs_f64() / took.as_secs_f64(),
                    measure::ms(ideal(concurrency))
                )
            } else {
                "-".to_string()
            },
        ]);
    }
    table.row(vec![
        "one request alone (a GET), median of 50".to_string(),
        "1".to_string(),
        measure::ms(request),
        "-".to_string(),
        "-".to_string(),
        format!(
            "{:.0}% (ideal 20 ms)",
            100.0 * 0.020 / request.as_secs_f64()
        ),
    ]);
}
