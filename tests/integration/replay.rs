//! `runbook sim record` (a read-only capture of a cloud) and `runbook sim serve --from`
//! (the capture served as a live simulated cloud), driven as an operator would: record the
//! simulator's own scenarios, serve the recording, and compare what a teardown sees.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::session::testcloud;
use crate::common::{Output, Test};
use crate::sim_evidence::{targets_ready, DESTROY};
use crate::sim_server::SimServer;

/// `runbook sim record --site testcloud -o cloud.json [extra]` against `sim`.
pub fn record(sim: &SimServer, extra: &[&str]) -> Output {
    Test::new()
        .sim(sim)
        .repo()
        .site("testcloud")
        .args(&["sim", "record", "-o", "cloud.json"])
        .args(extra)
        .run()
}

/// A file of `out`'s temp dir, kept beyond it.
fn keep(out: &Output, name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(name);
    std::fs::copy(out.root().join(name), &path).expect("copy the capture");
    (dir, path)
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("JSON")
}

/// `teardown --dry-run --json` against `sim`: the route and the planned effects (name and
/// target, which hold the model names and system ids).
fn detect(sim: &SimServer) -> (Value, Vec<String>) {
    let out = testcloud(sim, "teardown")
        .args(&["--dry-run", "--json"])
        .run();
    let doc = out.json();
    let plan = doc["plan"]
        .as_array()
        .expect("plan")
        .iter()
        // Backups and the pointer are local files under each test's own home.
        .filter(|p| p["class"] == "destroy")
        .map(|p| {
            format!(
                "{} {}",
                p["effect"].as_str().unwrap_or(""),
                p["target"].as_str().unwrap_or("")
            )
        })
        .collect();
    (doc["route"].clone(), plan)
}

#[test]
fn record_reads_only_and_writes_no_secret() {
    let sim = SimServer::start("dirty");
    let out = record(&sim, &[]);
    out.status(0).stderr_has("recorded site `testcloud`");
    let log = sim.log();
    assert!(!log.is_empty());
    sim.assert_only_read();
    let text = std::fs::read_to_string(out.root().join("cloud.json")).expect("capture");
    for part in sim.api_key.split(':') {
        assert!(
            !text.contains(part),
            "the capture holds a part of the API key"
        );
    }
    let doc: Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(
        (doc["format"].as_str(), doc["version"].as_u64()),
        (Some("runbook-cloud-capture"), Some(1))
    );
    assert_eq!(doc["maas"]["whoami"]["username"], "admin");
    assert!(doc["maas"]["version"]["version"].is_string());
    let hosts: Vec<&str> = doc["maas"]["machines"]
        .as_array()
        .expect("machines")
        .iter()
        .filter_map(|m| m["hostname"].as_str())
        .collect();
    // The targets, and the controller's node (a node of a recorded model); nobody else's.
    assert_eq!(
        hosts,
        [
            "openstack0",
            "openstack1",
            "openstack2",
            "openstack3",
            "capi-mgmt",
            "juju-controller-0"
        ]
    );
    let details = doc["juju"]["model_details"].as_object().expect("details");
    let mut names: Vec<&String> = details.keys().collect();
    names.sort();
    assert_eq!(names, ["admin/controller", "admin/openstack"]);
    let openstack = &details["admin/openstack"];
    for part in ["show_model", "status", "machines", "bundle"] {
        assert!(!openstack[part].is_null(), "no {part}");
    }
    // The full machine objects, not a summary.
    assert!(doc["maas"]["machines"][0]["interface_set"].is_array());
}

#[test]
fn record_all_captures_every_machine() {
    let sim = SimServer::start("large:40");
    let out = record(&sim, &["--all"]);
    out.status(0).stderr_has("40 machine(s) (--all)");
    let doc = read_json(&out.root().join("cloud.json"));
    assert_eq!(doc["maas"]["machines"].as_array().map(Vec::len), Some(40));
    assert_eq!(doc["all_machines"], true);
    let reads = sim.requests_of("maas");
    let list_reads = reads
        .iter()
        .filter(|r| r.starts_with("GET /MAAS/api/2.0/machines/"));
    assert_eq!(list_reads.count(), 1, "one machine list read");
}

#[test]
fn serving_a_recording_of_dirty_gives_the_same_detection_and_route() {
    let sim = SimServer::start("dirty");
    let out = record(&sim, &[]);
    out.status(0);
    let (_dir, capture) = keep(&out, "cloud.json");
    let replica = SimServer::from_capture(&capture, &[]);
    let (route, plan) = detect(&sim);
    let (replica_route, replica_plan) = detect(&replica);
    assert_eq!(route, "dirty");
    assert_eq!((replica_route, replica_plan), (route, plan));
    // The replica serves the recorded machine objects and bundle.
    let recorded = read_json(&capture);
    let served: Value = replica
        .maas(reqwest::Method::GET, "machines/?hostname=openstack0")
        .send()
        .and_then(|r| r.json())
        .expect("machines");
    assert_eq!(
        served[0]["interface_set"],
        recorded["maas"]["machines"][0]["interface_set"]
    );
    let bundle = replica.juju(&["export-bundle", "-m", "openstack"]);
    assert_eq!(
        String::from_utf8_lossy(&bundle.stdout),
        recorded["juju"]["model_details"]["admin/openstack"]["bundle"]
            .as_str()
            .unwrap_or("")
    );
    assert!(!sim.changed() && !replica.changed());
}

#[test]
fn a_served_recording_moves_on_like_a_live_cloud() {
    let sim = SimServer::start("dirty");
    let out = record(&sim, &[]);
    let (_dir, capture) = keep(&out, "cloud.json");
    let replica = SimServer::from_capture(&capture, &[]);
    let destroy = replica.juju(&DESTROY);
    assert!(
        destroy.status.success(),
        "{}",
        String::from_utf8_lossy(&destroy.stderr)
    );
    replica.wait_for(
        "the model's nodes Ready",
        std::time::Duration::from_secs(20),
        targets_ready,
    );
    assert!(!sim.changed(), "the recorded cloud itself is untouched");
}

#[test]
fn a_bad_capture_is_a_clear_error() {
    let sim = SimServer::start("clean");
    let out = record(&sim, &[]);
    let good = std::fs::read_to_string(out.root().join("cloud.json")).expect("capture");
    let mut missing: Value = serde_json::from_str(&good).expect("JSON");
    missing["maas"]
        .as_object_mut()
        .expect("maas")
        .remove("whoami");
    let mut newer: Value = serde_json::from_str(&good).expect("JSON");
    newer["version"] = 2.into();
    let cases = [
        (
            "truncated",
            good[..good.len() / 2].to_string(),
            "is not JSON (truncated?)",
        ),
        (
            "missing",
            missing.to_string(),
            "the capture has no `maas.whoami`",
        ),
        (
            "newer",
            newer.to_string(),
            "format version 2, newer than this runbook reads (1)",
        ),
        ("other", "{\"models\": []}".to_string(), "not a capture"),
    ];
    for (name, text, message) in cases {
        let file = format!("{name}.json");
        let out = Test::new()
            .file(&file, &text)
            .args(&["sim", "serve", "--port", "0", "--from", &file])
            .run();
        out.status(2)
            .stderr_has(message)
            .stderr_has(&format!("`{file}`"));
        assert!(
            out.stdout.is_empty(),
            "no environment printed: {}",
            out.stdout
        );
    }
}
