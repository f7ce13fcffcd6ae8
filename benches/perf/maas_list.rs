//! `maas_machines()` against the simulator at 9 (scenario `clean`: the procedure's 5 targets,
//! the controller and 3 foreign machines), 1,000 and 10,000 machines: time and peak memory,
//! against the simulator's own list speed (a raw authorised GET that only reads the bytes).
//!
//! Peak memory is the client side alone: a child process (this benchmark re-run with
//! `RUNBOOK_BENCH_CHILD`) warms up, reads its `VmHWM`, lists once, and reads `VmHWM` again.

use std::process::Command;

use runbook::clients::maas::ApiKey;

use crate::fixture::{self, Maas};
use crate::measure::{self, Table};

pub const SIZES: [(&str, usize); 3] = [("clean", 50), ("large:1000", 10), ("large:10000", 5)];

/// `GET machines/` with a fresh OAuth header, read chunk by chunk and discarded: what the
/// simulator and the transfer cost, the baseline. Returns the body's length.
pub async fn raw_list(http: &reqwest::Client, maas: &Maas) -> u64 {
    let mut response = http
        .get(format!("{}/api/2.0/machines/", maas.url))
        .header("authorization", auth(maas))
        .send()
        .await
        .expect("the simulator answers");
    assert_eq!(response.status(), 200);
    let mut length = 0;
    while let Some(chunk) = response.chunk().await.expect("a body") {
        length += chunk.len() as u64;
    }
    length
}

/// A fresh OAuth PLAINTEXT header for the simulator's key.
fn auth(maas: &Maas) -> String {
    let key = ApiKey::parse(&maas.api_key).expect("the simulator's key");
    let nonce = uuid::Uuid::new_v4().simple().to_string();
    let timestamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    key.header(&nonce, timestamp)
}

/// The whole `GET machines/` body.
async fn full_body(http: &reqwest::Client, maas: &Maas) -> axum::body::Bytes {
    http.get(format!("{}/api/2.0/machines/", maas.url))
        .header("authorization", auth(maas))
        .send()
        .await
        .expect("the simulator answers")
        .bytes()
        .await
        .expect("a body")
}

pub fn run() {
    let table = Table::new(
        "`maas_machines()`: time vs the raw GET, peak memory vs the response",
        &[
            "scenario",
            "machines",
            "raw GET",
            "parse only",
            "client list+parse",
            "maas_machines() (Rhai)",
            "Rhai / raw",
            "peak Δ client",
            "peak Δ maas_machines()",
            "peak / response",
        ],
    );
    let mut sim_rows = Vec::new();
    let rt = fixture::runtime();
    for (scenario, runs) in SIZES {
        let sim = fixture::sim(scenario, &[]);
        let maas = fixture::maas_of(&sim);
        let http = reqwest::Client::new();
        let size = rt.block_on(raw_list(&http, &maas));
        let raw = measure::median(runs, || rt.block_on(raw_list(&http, &maas)));
        let body = rt.block_on(full_body(&http, &maas));
        let parse = measure::median(runs, || {
            runbook::clients::maas::parse_machines(&body).map(|m| m.len())
        });
        drop(body);
        let client = fixture::client(&maas);
        let count = rt
            .block_on(client.machines(&[]))
            .expect("a machine list")
            .len();
        let parsed = measure::median(runs, || rt.block_on(client.machines(&[])).map(|m| m.len()));
        let state = tempfile::tempdir().expect("a temp dir");
        let h = fixture::harness(&maas, runbook::site::Site::defaults("bench"), state.path());
        let ast = h.compile("maas_machines().len()");
        let rhai = measure::median(runs, || h.engine.eval_ast::<i64>(&ast).expect("a list"));
        let client_peak = child_peak(&maas, "list-client", count);
        let rhai_peak = child_peak(&maas, "list-rhai", count);
        table.row(vec![
            scenario.to_string(),
            count.to_string(),
            measure::ms(raw),
            measure::ms(parse),
            measure::ms(parsed),
            measure::ms(rhai),
            measure::ratio(rhai.as_secs_f64(), raw.as_secs_f64()),
            measure::mib(client_peak),
            measure::mib(rhai_peak),
            format!(
                "{} of {}",
                measure::ratio(rhai_peak as f64, size as f64),
                measure::mib(size)
            ),
        ]);
        sim_rows.push((scenario, count, size, raw));
    }
    let sim_table = Table::new(
        "Simulator: `GET machines/` served and read (bytes discarded, no parsing)",
        &["scenario", "machines", "response", "time", "throughput"],
    );
    for (scenario, count, size, raw) in sim_rows {
        sim_table.row(vec![
            scenario.to_string(),
            count.to_string(),
            measure::mib(size),
            measure::ms(raw),
            format!("{:.0} MiB/s", size as f64 / 1048576.0 / raw.as_secs_f64()),
        ]);
    }
}

/// Runs this benchmark as a child that lists once; returns its peak RSS growth in bytes.
fn child_peak(maas: &Maas, mode: &str, expect: usize) -> u64 {
    let exe = std::env::current_exe().expect("the benchmark's own path");
    let out = Command::new(exe)
        .env(crate::CHILD_ENV, mode)
        .env("BENCH_MAAS_URL", &maas.url)
        .env("BENCH_MAAS_KEY", &maas.api_key)
        .output()
        .expect("the child runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let fields: Vec<u64> = stdout
        .split_whitespace()
        .filter_map(|f| f.parse().ok())
        .collect();
    match fields.as_slice() {
        [before, after, count] if *count as usize == expect => after.saturating_sub(*before),
        _ => panic!(
            "child `{mode}` failed: {}\n{stdout}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

/// The child side: warm up (runtime, client, one request), then list once between two
/// `VmHWM` readings. Prints `before after count`.
pub fn child(mode: &str) {
    let maas = Maas {
        url: std::env::var("BENCH_MAAS_URL").expect("BENCH_MAAS_URL"),
        api_key: std::env::var("BENCH_MAAS_KEY").expect("BENCH_MAAS_KEY"),
    };
    let (before, after, count) = match mode {
        "list-client" => {
            let rt = fixture::runtime();
            let client = fixture::client(&maas);
            rt.block_on(client.whoami()).expect("whoami");
            let before = measure::peak_rss();
            let machines = rt.block_on(client.machines(&[])).expect("a list");
            (before, measure::peak_rss(), machines.len())
        }
        "list-rhai" => {
            let state = tempfile::tempdir().expect("a temp dir");
            let h = fixture::harness(&maas, runbook::site::Site::defaults("bench"), state.path());
            let ast = h.compile("maas_machines()");
            h.eval::<String>("maas_whoami()");
            let before = measure::peak_rss();
            let list = h.engine.eval_ast::<rhai::Array>(&ast).expect("a list");
            (before, measure::peak_rss(), list.len())
        }
        _ => panic!("unknown child mode `{mode}`"),
    };
    println!("{before} {after} {count}");
}
