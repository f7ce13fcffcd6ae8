//! What calling a read primitive from Rhai costs over calling the Rust behind it:
//! `stat_qcow2` on a local image (no network: the overhead is most visible) and
//! `maas_whoami()` against the simulator.

use std::path::Path;
use std::process::Command;

use runbook::clients::qcow2;
use runbook::site::Site;

use crate::fixture;
use crate::measure::{self, Table};

/// Alternating batches of Rust and Rhai calls; the medians are compared.
const RUNS: usize = 11;

pub fn run() {
    let table = Table::new(
        "A read primitive from Rhai vs the direct Rust call (per call, medians of 11 alternating batches)",
        &["call", "calls", "Rust", "Rhai", "overhead", "Rhai / Rust"],
    );
    let sim = fixture::sim("clean", &[]);
    let maas = fixture::maas_of(&sim);
    let state = tempfile::tempdir().expect("a temp dir");
    let h = fixture::harness(&maas, Site::defaults("bench"), state.path());

    let image = state.path().join("disk.qcow2");
    let made = Command::new("qemu-img")
        .args(["create", "-q", "-f", "qcow2"])
        .arg(&image)
        .arg("1G")
        .status()
        .is_ok_and(|s| s.success());
    if made {
        let calls = 5000;
        let path = image.display().to_string();
        let ast = h.compile(&format!(
            "let n = 0; for i in 0..{calls} {{ n += stat_qcow2({path:?}).virtual_size; }} n"
        ));
        let (rust, rhai) = measure::paired(
            RUNS,
            || {
                for _ in 0..calls {
                    std::hint::black_box(qcow2::stat(Path::new(&path)).expect("a qcow2 image"));
                }
            },
            || h.engine.eval_ast::<i64>(&ast).expect("stat_qcow2"),
        );
        row(&table, "stat_qcow2(path)", calls, rust, rhai);
    } else {
        table.row(vec![
            "stat_qcow2(path)".into(),
            "skipped: no qemu-img".into(),
        ]);
    }

    // The same client and runtime the primitive uses, called directly.
    let calls = 200;
    let client = h.ctx.maas().expect("a MAAS client");
    let ast = h.compile(&format!(
        "let n = 0; for i in 0..{calls} {{ n += maas_whoami().len(); }} n"
    ));
    let (rust, rhai) = measure::paired(
        RUNS,
        || {
            for _ in 0..calls {
                std::hint::black_box(h.ctx.block_on(client.whoami()).expect("whoami"));
            }
        },
        || h.engine.eval_ast::<i64>(&ast).expect("maas_whoami"),
    );
    row(&table, "maas_whoami()", calls, rust, rhai);
}

fn row(
    table: &Table,
    name: &str,
    calls: u32,
    rust: std::time::Duration,
    rhai: std::time::Duration,
) {
    let (rust, rhai) = (rust / calls, rhai / calls);
    table.row(vec![
        name.to_string(),
        calls.to_string(),
        measure::ms(rust),
        measure::ms(rhai),
        if rhai >= rust {
            format!("+{}", measure::ms(rhai - rust))
        } else {
            format!("-{} (noise)", measure::ms(rust - rhai))
        },
        measure::ratio(rhai.as_secs_f64(), rust.as_secs_f64()),
    ]);
}
