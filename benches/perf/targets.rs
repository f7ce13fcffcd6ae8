//! Detection and classification (teardown.md §2) of a site with 10, 1,000 and 10,000
//! targets, as `runbook run teardown` starts: `state::detect` in the release binary against
//! the `region:N` scenario (N targets deployed under the model, plus foreign and locked
//! nodes), named with `--set targets=node[00000-…]`. The baseline, in the same run, is the
//! reads alone (`juju_models()`, `maas_machines(site.targets)`, `maas_whoami()`), so the
//! difference is what matching and classifying cost. Linear means the 10,000 / 1,000 time
//! ratio stays near 10 (the target: below 12, and 10,000 in under 1 s).

use std::time::Duration;

use runbook::sim::region;

use crate::detection::{eval, medians};
use crate::fixture;
use crate::measure::{self, Table};

pub const SIZES: [(usize, usize); 3] = [(10, 5), (1_000, 5), (10_000, 3)];

const READS: &str = "let m = juju_models(); let x = maas_machines(site.targets); \
                     let w = maas_whoami(); `${x.len()}`";

const DETECT: &str = "import \"state\" as state; \
                      let d = state::detect(#{ site: site, dry_run: true }); \
                      `${d.label} ${d.targets.len()}`";

pub fn run() {
    let table = Table::new(
        "Detection + classification with N targets (`region:N`, `runbook eval` of `state::detect`, median)",
        &[
            "targets",
            "route, frozen",
            "reads alone",
            "detect + classify",
            "classify alone",
            "per target",
            "time / previous row",
            "peak RSS",
        ],
    );
    let dir = tempfile::tempdir().expect("a temp dir");
    let mut previous: Option<(usize, Duration)> = None;
    for (n, runs) in SIZES {
        let sim = fixture::sim(&format!("region:{n}"), &[]);
        let set = format!("targets={}", region::targets_range(n));
        let flags = ["--set", set.as_str()];
        let mut reads = Vec::new();
        let mut detect = Vec::new();
        eval(&sim, &flags, DETECT, dir.path());
        for _ in 0..runs {
            reads.push(eval(&sim, &flags, READS, dir.path()));
            detect.push(eval(&sim, &flags, DETECT, dir.path()));
        }
        let result = detect[0].2.clone();
        assert_eq!(
            result,
            format!("DIRTY {n}"),
            "region:{n} is DIRTY with every target frozen"
        );
        let (read_time, _) = medians(&reads);
        let (detect_time, peak) = medians(&detect);
        let classify = detect_time.saturating_sub(read_time);
        table.row(vec![
            n.to_string(),
            result,
            measure::ms(read_time),
            measure::ms(detect_time),
            measure::ms(classify),
            measure::ms(classify / n as u32),
            match previous {
                Some((m, t)) => format!(
                    "{} for {}x the targets",
                    measure::ratio(detect_time.as_secs_f64(), t.as_secs_f64()),
                    n / m
                ),
                None => "-".to_string(),
            },
            measure::mib(peak),
        ]);
        previous = Some((n, detect_time));
    }
}
