//! The `maas` primitives against `runbook sim serve`: reads return DESIGN's map shapes;
//! `release` and `release_all`, approved with `--yes`, really release in the simulator.

use std::time::Duration;

use crate::common::each_str;
use crate::primitives_fixture::*;
use crate::sim_server::SimServer;

const MACHINE_KEYS: [&str; 12] = [
    "hostname",
    "juju_controller_uuid",
    "juju_model_uuid",
    "locked",
    "owner",
    "pool",
    "power_state",
    "status",
    "status_name",
    "system_id",
    "tags",
    "zone",
];

#[test]
fn whoami_is_the_api_keys_user() {
    let sim = SimServer::start("dirty");
    assert_eq!(eval_json(&sim, "maas_whoami()"), "admin");
    assert!(requests(&sim)
        .iter()
        .any(|r| r == "GET /MAAS/api/2.0/users/?op=whoami"));
}

/// Every machine of the scenarios, in MAAS's order.
const ALL_HOSTS: [&str; 9] = [
    "juju-controller-0",
    "openstack0",
    "openstack1",
    "openstack2",
    "openstack3",
    "capi-mgmt",
    "alice-build0",
    "alice-build1",
    "alice-db0",
];

#[test]
fn machines_lists_every_machine_as_designs_map() {
    let sim = SimServer::start("clean");
    let all = eval_json(&sim, "maas_machines()");
    // The controller node, the five targets and alice's three machines.
    assert_eq!(each_str(&all, "hostname"), ALL_HOSTS);
    let all = all.as_array().expect("an array");
    for m in all {
        assert_eq!(keys(m), MACHINE_KEYS, "{m:#}");
    }
    let target = all
        .iter()
        .find(|m| m["hostname"] == "openstack0")
        .expect("openstack0");
    assert_eq!(target["status_name"], "Ready");
    assert_eq!(target["status"], 4);
    assert!(target["owner"].is_null(), "unowned is (): {target}");
    assert_eq!(target["locked"], false);
    assert_eq!(target["pool"], "default");
    assert_eq!(target["zone"], "default");
    assert_eq!(target["tags"], serde_json::json!(["openstack", "virtual"]));
    assert_eq!(target["system_id"], sim.system_id("openstack0").as_str());
    let alice = all
        .iter()
        .find(|m| m["hostname"] == "alice-db0")
        .expect("alice-db0");
    assert_eq!(alice["owner"], "alice");
    assert_eq!(alice["status_name"], "Deployed");
    assert_unchanged(&sim);
}

#[test]
fn machines_by_hostname_skips_unknown_names() {
    let sim = SimServer::start("dirty");
    let got = eval_json(
        &sim,
        r#"maas_machines(["openstack1", "no-such-host", "capi-mgmt"]).map(|m| m.hostname)"#,
    );
    let mut got: Vec<String> = serde_json::from_value(got).unwrap();
    got.sort();
    assert_eq!(got, ["capi-mgmt", "openstack1"]);
}

#[test]
fn machines_of_no_hostnames_is_empty_and_asks_maas_nothing() {
    let sim = SimServer::start("dirty");
    let before = requests(&sim).len();
    assert_eq!(eval_json(&sim, "maas_machines([])"), serde_json::json!([]));
    let machine_reads: Vec<String> = requests(&sim)[before..]
        .iter()
        .filter(|r| r.contains("/machines/"))
        .cloned()
        .collect();
    assert!(machine_reads.is_empty(), "{machine_reads:?}");
}

#[test]
fn release_with_yes_releases_the_machine() {
    let sim = SimServer::start("dirty");
    let id = sim.system_id("openstack1");
    let release = format!(r#"release("{id}", #{{ comment: "teardown" }})"#);
    let out = eval(&sim, &["--yes", "--json"], &release);
    let r = out.status(0).json();
    assert_eq!(r["result"], "released", "{r:#}");
    assert_eq!(r["hostname"], "openstack1");
    assert_eq!(r["system_id"], id.as_str());
    assert_eq!(r["planned"], false);
    // The journal has the release, and never the API key's secret.
    let journal = out.journal_lines();
    assert!(
        journal
            .iter()
            .any(|l| l["effect"] == "release" && l["outcome"] == "executed"),
        "{journal:#?}"
    );
    let secret = sim.api_key.rsplit(':').next().unwrap();
    assert!(journal.iter().all(|l| !l.to_string().contains(secret)));
    out.stderr_lacks(secret);
    let release = format!("POST /MAAS/api/2.0/machines/{id}/?op=release");
    let log = sim.log();
    let entry = log
        .iter()
        .find(|e| e["request"] == release.as_str())
        .unwrap_or_else(|| panic!("no `{release}` in {log:#?}"));
    assert_eq!(entry["changed"], true);
    sim.wait_status("openstack1", "Ready", Duration::from_secs(20));
    // Only the one machine was touched.
    assert_eq!(sim.machine("openstack2")["status_name"], "Deployed");
    assert_eq!(changes_since(&sim, 0).len(), 1);
}

#[test]
fn release_of_a_ready_machine_sends_nothing() {
    let sim = SimServer::start("clean");
    let id = sim.system_id("openstack0");
    let out = eval(&sim, &["--yes", "--json"], &format!(r#"release("{id}")"#));
    out.status(0);
    assert_eq!(out.json()["result"], "already_released");
    assert!(
        !requests(&sim).iter().any(|r| r.contains("op=release")),
        "{:#?}",
        sim.log()
    );
    assert_unchanged(&sim);
}

#[test]
fn release_of_an_unknown_machine_is_reported_gone() {
    let sim = SimServer::start("dirty");
    let r = applied(&sim, r#"release("zzzzzz")"#);
    assert_eq!(r["result"], "gone", "{r:#}");
    assert_eq!(r["system_id"], "zzzzzz");
    assert_unchanged(&sim);
}

#[test]
fn release_all_releases_every_target_and_returns_one_result_each() {
    let sim = SimServer::start("partial");
    let results = applied(&sim, RELEASE_TARGETS);
    assert_eq!(each_str(&results, "hostname"), TARGETS);
    // partial: openstack0/1 are already Ready, the other three are released.
    let already = "already_released";
    assert_eq!(
        each_str(&results, "result"),
        [already, already, "released", "released", "released"]
    );
    let released = changes_since(&sim, 0);
    assert_eq!(released.len(), 3, "{released:#?}");
    for target in TARGETS {
        sim.wait_status(target, "Ready", Duration::from_secs(20));
    }
    assert_eq!(sim.machine("alice-db0")["status_name"], "Deployed");
}

#[test]
fn a_failed_release_in_a_batch_is_that_machines_result() {
    // System ids are derived from the scenario, so a first simulator names the one to fail.
    let id = SimServer::start("dirty").system_id("openstack2");
    let fault = format!("maas-status:409:machines/{id}/?op=release");
    let sim = SimServer::with("dirty", &[&fault], 20.0);
    let out = release_all(&sim, &["openstack1", "openstack2", "openstack3"]);
    out.status(0);
    let results = out.json();
    let by_host = |h: &str| result_for(&results, h);
    assert_eq!(by_host("openstack1")["result"], "released");
    assert_eq!(by_host("openstack3")["result"], "released");
    let failed = by_host("openstack2");
    assert_eq!(failed["result"], "failed", "{failed:#}");
    let error = failed["error"].as_str().unwrap();
    assert!(
        error.contains("was not released; it is `Deployed`") && error.contains("409"),
        "{error}"
    );
    assert_eq!(changes_since(&sim, 0).len(), 2, "{:#?}", sim.log());
    // The journal records the failure against that machine.
    assert!(out
        .journal_lines()
        .iter()
        .any(|l| l["outcome"] == "failed" && l["target"].as_str().unwrap_or("").contains(&id)));
}

/// Bad arguments are errors naming the call and what it takes, and change nothing: stderr's
/// error block exactly (a destroy-class call runs the detection first).
#[test]
fn bad_arguments_are_errors_that_say_what_to_do() {
    let sim = SimServer::start("dirty");
    let id = sim.system_id("openstack1");
    for (expr, error) in [
        (
            r#"maas_machines(["openstack1", 7])"#.to_string(),
            "`maas_machines` takes an array of hostnames (strings), not `i64`",
        ),
        (
            "release_all([1, 2])".to_string(),
            "`release_all` takes an array of system ids (strings), not `i64`",
        ),
        (
            format!(r#"release("{id}", #{{ commnt: "x" }})"#),
            "invalid options for `release`: Syntax error: unknown field `commnt`, expected `comment` or `erase`",
        ),
    ] {
        eval(&sim, &["--yes"], &expr)
            .status(2)
            .says(&eval_error(&expr, &format!("error: {error}")));
    }
    assert_unchanged(&sim);
}
