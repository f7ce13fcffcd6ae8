//! A big region end to end: `runbook sim serve --scenario region:N` (N targets deployed
//! under the model and owned by the API user, plus foreign and locked nodes) and the
//! targets named with the range form `--set targets=node[00000-…]`. The teardown tears
//! down exactly the targets; the request log proves the others were never asked for.

use serde_json::Value;

use crate::common::session::testcloud;
use crate::common::Output;
use crate::sim_server::SimServer;

fn teardown(sim: &SimServer, targets: &str) -> Output {
    testcloud(sim, "teardown")
        .args(&["--json", "--yes"])
        .set("targets", targets)
        .set("timeouts.model_gone", "30")
        .set("timeouts.machines_ready", "30")
        .run()
}

fn machines(sim: &SimServer) -> Vec<Value> {
    sim.state()["machines"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[test]
fn a_region_is_torn_down_target_by_target_and_nothing_else_is_touched() {
    let n = 200;
    let sim = SimServer::start(&format!("region:{n}"));
    let before = machines(&sim);
    let out = teardown(&sim, "node[00000-00199]");
    out.status(0);
    let doc = out.json();
    assert_eq!(doc["route"], "dirty", "{}", out.stderr);
    assert_eq!(doc["verdict"], "go", "{}", out.stderr);
    out.stderr_has(&format!(
        "MAAS_STATE=all_deployed_or_other — cloud-target machines Ready: 0 / {n}"
    ));

    let after = machines(&sim);
    let mut targets = 0;
    for (was, now) in before.iter().zip(&after) {
        let host = now["hostname"].as_str().unwrap_or("");
        if host.starts_with("node") {
            targets += 1;
            assert_eq!(now["status_name"], "Ready", "{now}");
            assert!(now["owner"].is_null(), "{now}");
        } else if host != "juju-controller-0" {
            // Foreign and locked nodes: exactly as they were.
            assert_eq!(was, now, "{host} changed");
        }
    }
    assert_eq!(targets, n);
    // No release request named a machine that is not a target.
    let target_ids: Vec<String> = before
        .iter()
        .filter(|m| {
            m["hostname"]
                .as_str()
                .is_some_and(|h| h.starts_with("node"))
        })
        .filter_map(|m| m["system_id"].as_str().map(str::to_string))
        .collect();
    for r in sim.release_posts() {
        let id = r
            .split("/machines/")
            .nth(1)
            .and_then(|s| s.split('/').next());
        assert!(
            id.is_some_and(|id| target_ids.iter().any(|t| t == id)),
            "released a non-target: {r}"
        );
    }
}

#[test]
fn a_range_naming_one_node_too_many_stops_before_anything_changes() {
    let sim = SimServer::start("region:50");
    // node00050 does not exist: the region has node00000 … node00049.
    let out = teardown(&sim, "node[00000-00050]");
    out.status(3);
    assert_eq!(out.json()["route"], "unknown");
    out.stderr_has("target `node00050` is missing from MAAS");
    assert!(!sim.changed(), "nothing may change: {:?}", sim.log());
    assert!(sim.release_posts().is_empty());
}
