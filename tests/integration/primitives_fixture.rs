//! Shared set-up for the `primitives_*` tests: a site `t` written into the test's root
//! (the procedure's five targets, model `openstack`, `disk_root` = `root/images`, short timeouts)
//! and `runbook --site t eval` against a [`SimServer`].
//!
//! ```ignore
//! let sim = SimServer::start("dirty");
//! let out = eval(&sim, &["--yes"], "release_all(maas_machines(site.targets).map(|m| m.system_id))");
//! out.status(0);
//! ```

#![allow(dead_code)]

use std::path::PathBuf;

use serde_json::Value;

use crate::common::{Output, Test};
use crate::sim_server::SimServer;

pub use crate::sim_server::TARGETS;

/// A test whose root holds `sites/t/site.rhai` and an empty `images/` (the site's
/// `disk_root`; its `osd_disks` is every file in it). Juju commands time out after 20 s, MAAS requests after 5 s.
pub fn site() -> Test {
    let t = Test::new();
    let images = t.root().join("images");
    std::fs::create_dir_all(&images).expect("mkdir images");
    let targets: Vec<String> = TARGETS.iter().map(|t| format!("{t:?}")).collect();
    let text = format!(
        r#"#{{
    name: "t",
    models: ["openstack"],
    targets: [{}],
    disk_root: {:?},
    osd_disks: {:?},
    wipe_osd: true,
    juju: #{{ timeout: 20 }},
    maas: #{{ timeout: 5 }},
}}
"#,
        targets.join(", "),
        images.display().to_string(),
        format!("{}/*", images.display()),
    );
    t.file("sites/t/site.rhai", &text)
}

/// The test's `root/images` (the site's `disk_root`), before it runs.
pub fn images(t: &Test) -> PathBuf {
    t.root().join("images")
}

/// `t` with the simulator's MAAS_URL, MAAS_API_KEY and JUJU_BIN.
pub fn with_sim(mut t: Test, sim: &SimServer) -> Test {
    t = t.envs(sim.env());
    t
}

/// `runbook --site t eval FLAGS... EXPR` against `sim`. An EXPR that calls a destroy-class
/// primitive runs the state detection first (`detect_cloud()`), as every runbook does: the
/// gate refuses releases, removals, destroys and wipes until identities are frozen.
pub fn eval(sim: &SimServer, flags: &[&str], expr: &str) -> Output {
    eval_in(with_sim(site(), sim), flags, &detected(expr))
}

/// `wipe_qcow2(PATH)` in `t` against a `clean` simulator (every target Ready, unowned and
/// powered off, as the gate requires), after the detection froze the targets.
pub fn wipe_in(t: Test, flags: &[&str], path: &std::path::Path) -> Output {
    let sim = SimServer::start("clean");
    let expr = format!("wipe_qcow2({:?})", path.display().to_string());
    eval_in(with_sim(t, &sim), flags, &detected(&expr))
}

/// `detect_cloud(); EXPR` when EXPR calls a destroy-class primitive, else EXPR.
pub fn detected(expr: &str) -> String {
    let destroys = [
        "release",
        "juju_destroy_model",
        "juju_remove_machine",
        "wipe_qcow2",
    ];
    if destroys.iter().any(|d| expr.contains(d)) {
        format!("detect_cloud(); {expr}")
    } else {
        expr.to_string()
    }
}

/// What stderr says when `eval` of EXPR fails with `error` (its first lines): the error,
/// then the position of EXPR's call, the line run (with the detection, if any) and a caret.
pub fn eval_error(expr: &str, error: &str) -> String {
    let call = detected(expr);
    let column = call.len() - expr.len() + 1;
    let caret = " ".repeat(column - 1);
    format!("{error}\n  --> <eval>:1:{column}\n  |\n1 | {call}\n  | {caret}^")
}

/// Site `t` against `sim` with `require_backup` off, for destroys that need no Phase A.
pub fn without_backup(sim: &SimServer) -> Test {
    site().sim(sim).set("require_backup", "false")
}

/// `runbook --site t eval FLAGS... EXPR` with the test as it is.
pub fn eval_in(t: Test, flags: &[&str], expr: &str) -> Output {
    t.args(&["--site", "t", "eval"])
        .args(flags)
        .args(&[expr])
        .run()
}

/// `release_all` of every target of the site.
pub const RELEASE_TARGETS: &str = "release_all(maas_machines(site.targets).map(|m| m.system_id))";

/// `release_all` of the machines named `hosts` with `--yes --json` against `sim`.
pub fn release_all(sim: &SimServer, hosts: &[&str]) -> Output {
    let hosts = serde_json::to_string(hosts).expect("JSON");
    let expr = format!("release_all(maas_machines({hosts}).map(|m| m.system_id))");
    eval(sim, &["--yes", "--json"], &expr)
}

/// The entry of `release_all`'s results for `hostname`.
pub fn result_for(results: &Value, hostname: &str) -> Value {
    results
        .as_array()
        .and_then(|rs| rs.iter().find(|r| r["hostname"] == hostname).cloned())
        .unwrap_or_else(|| panic!("no result for {hostname}: {results:#}"))
}

/// `runbook --site t --json eval EXPR` against `sim`, succeeded, stdout parsed.
pub fn eval_json(sim: &SimServer, expr: &str) -> Value {
    let out = eval(sim, &["--json"], expr);
    out.status(0);
    out.json()
}

/// How many request lines the simulator logged that contain `part`.
pub fn requests_with(sim: &SimServer, part: &str) -> usize {
    requests(sim).iter().filter(|r| r.contains(part)).count()
}

/// The request lines the simulator logged (`POST /MAAS/api/2.0/...`, `status -m ...`).
pub fn requests(sim: &SimServer) -> Vec<String> {
    sim.log()
        .iter()
        .map(|e| e["request"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// The log entries from index `from` on that changed the cloud.
pub fn changes_since(sim: &SimServer, from: usize) -> Vec<Value> {
    sim.log()
        .into_iter()
        .skip(from)
        .filter(|e| e["changed"] == true)
        .collect()
}

/// Asserts the simulator saw no change at all, showing the log if it did.
pub fn assert_unchanged(sim: &SimServer) {
    let changes = changes_since(sim, 0);
    assert!(changes.is_empty(), "the simulator changed: {changes:#?}");
}

/// The keys of a JSON object, sorted.
pub fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .cloned()
        .collect();
    k.sort();
    k
}

/// Asserts `v` (an object) has every key of `want`.
pub fn assert_has_keys(v: &Value, want: &[&str]) {
    let have = keys(v);
    for k in want {
        assert!(have.iter().any(|h| h == k), "no key `{k}` in {v:#}");
    }
}

/// Runs `qemu-img ARGS...`, panicking with its stderr if it fails.
pub fn qemu_img(args: &[&str]) -> String {
    let out = std::process::Command::new("qemu-img")
        .args(args)
        .output()
        .expect("qemu-img is installed");
    assert!(
        out.status.success(),
        "qemu-img {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A qcow2 image at `path` (`compat` 0.10 is v2, 1.1 is v3) of `size` (`64M`), empty.
pub fn make_qcow2(path: &std::path::Path, compat: &str, size: &str) {
    let p = path.display().to_string();
    qemu_img(&[
        "create",
        "-q",
        "-f",
        "qcow2",
        "-o",
        &format!("compat={compat}"),
        &p,
        size,
    ]);
}

/// `qemu-img info --output json PATH`.
pub fn qemu_info(path: &std::path::Path) -> Value {
    let text = qemu_img(&["info", "--output", "json", &path.display().to_string()]);
    serde_json::from_str(&text).expect("qemu-img info prints JSON")
}

/// The bytes of a file, to prove it was not touched.
pub fn bytes(path: &std::path::Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// `eval` of EXPR approved (`--yes --json`) against `sim`, succeeded, stdout parsed.
pub fn applied(sim: &SimServer, expr: &str) -> Value {
    let out = eval(sim, &["--yes", "--json"], expr);
    out.status(0);
    out.json()
}
