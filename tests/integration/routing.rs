//! Golden tests of the procedure's §2 routing table (`stdlib/state.rhai`): every row, and each
//! way the classifier fails closed. `state::classify` is pure, so these feed it synthetic
//! Juju models and MAAS machines through `runbook eval` — no cloud, no simulator.

use serde_json::{json, Value};

use crate::common::Test;

const TARGETS: [&str; 3] = ["a", "b", "c"];

/// The owner of the machines this run may release.
const ADMIN: Option<&str> = Some("admin");

/// A JSON value as a Rhai literal (`null` → `()`, objects → `#{...}`).
fn rhai(v: &Value) -> String {
    match v {
        Value::Null => "()".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => serde_json::to_string(s).expect("string"),
        Value::Array(a) => format!("[{}]", a.iter().map(rhai).collect::<Vec<_>>().join(", ")),
        Value::Object(o) => format!(
            "#{{{}}}",
            o.iter()
                .map(|(k, v)| format!("{}: {}", serde_json::to_string(k).expect("key"), rhai(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn machine(hostname: &str, status: i64, owner: Option<&str>) -> Value {
    let name = match status {
        1 => "Commissioning",
        4 => "Ready",
        6 => "Deployed",
        8 => "Broken",
        11 => "Failed deployment",
        12 => "Releasing",
        13 => "Releasing failed",
        _ => "Other",
    };
    json!({
        "system_id": format!("id-{hostname}"), "hostname": hostname, "status": status,
        "status_name": name, "owner": owner, "locked": false, "power_state": "off",
        "pool": "default", "zone": "default", "tags": [],
    })
}

fn model(name: &str, life: &str) -> Value {
    json!({
        "name": name, "qualified": format!("admin/{name}"), "owner": "admin", "uuid": format!("uuid-{name}"),
        "life": life, "status": if life == "alive" { "available" } else { "destroying" },
        "controller": "maas-controller", "is_controller": name == "controller",
    })
}

fn ready() -> Vec<Value> {
    TARGETS.iter().map(|h| machine(h, 4, None)).collect()
}

fn deployed(owner: &str) -> Vec<Value> {
    TARGETS.iter().map(|h| machine(h, 6, Some(owner))).collect()
}

/// Targets `a`, `b` and `c` with these statuses and owners.
fn targets(states: [(i64, Option<&str>); 3]) -> Vec<Value> {
    TARGETS
        .iter()
        .zip(states)
        .map(|(h, (status, owner))| machine(h, status, owner))
        .collect()
}

fn ctl() -> Value {
    model("controller", "alive")
}

/// `state::classify(models, machines, "admin", site)` evaluated by the binary.
fn classify(models: Vec<Value>, machines: Vec<Value>) -> Value {
    classify_site(
        models,
        machines,
        json!({"models": ["openstack"], "targets": TARGETS}),
    )
}

fn classify_site(models: Vec<Value>, machines: Vec<Value>, site: Value) -> Value {
    let expr = format!(
        r#"import "state" as state; state::classify({}, {}, "admin", {})"#,
        rhai(&Value::Array(models)),
        rhai(&Value::Array(machines)),
        rhai(&site)
    );
    eval_on("testcloud", &expr)
}

/// `runbook eval --site SITE --json EXPR` with the repository's sites and stdlib: the value.
fn eval_on(site: &str, expr: &str) -> Value {
    let out = Test::new()
        .repo()
        .site(site)
        .args(&["eval", "--json", expr])
        .run();
    out.status(0);
    out.json()
}

fn assert_route(d: &Value, route: &str, key: &str) {
    assert_eq!(d["route"], route, "{d:#}");
    assert_eq!(d["key"], key, "{d:#}");
}

fn reason(d: &Value) -> String {
    d["reason"].as_str().unwrap_or_default().to_string()
}

// --- the rows of teardown.md §2's `case`, top to bottom ---

#[test]
fn absent_all_ready_is_clean() {
    let d = classify(vec![ctl()], ready());
    assert_route(&d, "clean", "absent:all_ready");
    assert_eq!(d["next"], "verify");
    assert_eq!(
        reason(&d),
        "Cloud is already torn down. Skip to §3 verification.",
        "{d:#}"
    );
    assert_eq!(d["targets"].as_array().unwrap().len(), 3);
}

#[test]
fn present_all_ready_is_the_destroying_anomaly_routed_to_remediation() {
    let d = classify(vec![ctl(), model("openstack", "dying")], ready());
    assert_route(&d, "anomaly", "present:all_ready");
    assert_eq!(d["next"], "remediate");
    assert_eq!(d["dying"], true, "a dying model is reported as such");
    assert!(d["evidence"].to_string().contains("life dying"), "{d:#}");
}

#[test]
fn absent_all_deployed_is_the_anomaly_that_stops() {
    let d = classify(vec![ctl()], deployed("admin"));
    assert_route(&d, "anomaly", "absent:all_deployed_or_other");
    assert_eq!(d["next"], "stop");
    assert_eq!(reason(&d), "No Juju model, but machines are not Ready. Likely: someone else owns the machines, OR commissioning is mid-flight. Investigate before continuing.", "{d:#}");
}

#[test]
fn foreign_owner_without_model_is_the_anomaly_that_stops() {
    let d = classify(vec![ctl()], deployed("alice"));
    assert_route(&d, "anomaly", "absent:all_deployed_or_other");
    assert_eq!(d["next"], "stop");
}

#[test]
fn present_all_deployed_is_dirty() {
    let d = classify(vec![ctl(), model("openstack", "alive")], deployed("admin"));
    assert_route(&d, "dirty", "present:all_deployed_or_other");
    assert_eq!(d["next"], "destroy");
    assert_eq!(d["model"], "openstack");
    assert_eq!(d["dying"], false);
}

#[test]
fn mixed_without_model_is_partial() {
    let d = classify(vec![ctl()], targets([(4, None), (6, ADMIN), (12, ADMIN)]));
    assert_route(&d, "partial", "absent:partial");
    assert_eq!(d["next"], "release");
    assert_eq!(d["ready"], 1);
}

#[test]
fn mixed_with_model_is_partial() {
    let d = classify(
        vec![model("openstack", "alive")],
        targets([(4, None), (6, ADMIN), (6, ADMIN)]),
    );
    assert_route(&d, "partial", "present:partial");
}

// --- a teardown in progress (an earlier run stopped part-way) is continued ---

#[test]
fn a_dying_model_with_deployed_targets_is_a_teardown_in_progress_not_dirty() {
    let d = classify(vec![ctl(), model("openstack", "dying")], deployed("admin"));
    assert_route(&d, "in-progress", "present:all_deployed_or_other");
    assert_eq!(d["next"], "continue", "no new capture, no second destroy");
    assert_eq!(d["label"], "IN PROGRESS");
}

#[test]
fn a_juju4_model_with_empty_life_and_status_destroying_is_dying() {
    let mut m = model("openstack", "dying");
    m["life"] = json!("");
    let d = classify(vec![ctl(), m], deployed("admin"));
    assert_eq!(d["dying"], true, "{d:#}");
    assert_route(&d, "in-progress", "present:all_deployed_or_other");
    assert!(d["evidence"].to_string().contains("life dying"), "{d:#}");
}

#[test]
fn releasing_targets_without_a_model_are_a_teardown_in_progress_not_an_anomaly() {
    let d = classify(vec![ctl()], targets([(12, ADMIN), (12, ADMIN), (6, ADMIN)]));
    assert_route(&d, "in-progress", "absent:all_deployed_or_other");
    assert_eq!(d["settling"], 2);
}

#[test]
fn disk_erasing_by_status_name_alone_is_on_its_way_to_ready() {
    let mut erasing = machine("a", 14, Some("admin"));
    erasing["status"] = Value::Null;
    erasing["status_name"] = json!("Disk erasing");
    let machines = vec![
        erasing,
        machine("b", 12, Some("admin")),
        machine("c", 12, Some("admin")),
    ];
    let d = classify(vec![ctl()], machines);
    assert_route(&d, "in-progress", "absent:all_deployed_or_other");
    assert_eq!(d["settling"], 3);
}

#[test]
fn a_dying_model_with_every_target_back_is_still_the_anomaly_row() {
    let d = classify(vec![ctl(), model("openstack", "dying")], ready());
    assert_route(&d, "anomaly", "present:all_ready");
    assert_eq!(d["in_progress"], false);
}

#[test]
fn a_teardown_in_progress_still_never_releases_someone_elses_machine() {
    let d = classify(
        vec![ctl()],
        targets([(12, ADMIN), (6, Some("alice")), (12, ADMIN)]),
    );
    assert_route(&d, "unknown", "absent:all_deployed_or_other");
    assert_eq!(reason(&d), "target `b` (id-b) is Deployed and owned by `alice`, not by `admin`: this run may not release it", "{d:#}");
}

// --- fail closed: UNKNOWN ---

#[test]
fn a_target_missing_from_maas_is_unknown() {
    let d = classify(
        vec![ctl()],
        vec![machine("a", 4, None), machine("b", 4, None)],
    );
    assert_eq!(d["route"], "unknown", "{d:#}");
    assert_eq!(d["next"], "stop");
    assert_eq!(reason(&d), "target `c` is missing from MAAS (no machine with that hostname is visible to `admin` — gone, or owned by another user: MAAS hides those from a user who is not a superuser)", "{d:#}");
}

#[test]
fn a_target_listed_twice_is_unknown() {
    let mut machines = ready();
    machines.push(json!({"system_id": "id-c2", "hostname": "c", "status": 4, "status_name": "Ready", "owner": null}));
    let d = classify(vec![ctl()], machines);
    assert_eq!(d["route"], "unknown", "{d:#}");
    assert_eq!(
        reason(&d),
        "target `c` matches 2 MAAS machines (id-c, id-c2)",
        "{d:#}"
    );
}

#[test]
fn a_target_in_a_failed_state_is_unknown() {
    for (status, name) in [
        (11, "Failed deployment"),
        (13, "Releasing failed"),
        (8, "Broken"),
    ] {
        let d = classify(
            vec![model("openstack", "alive")],
            targets([(6, ADMIN), (status, ADMIN), (6, ADMIN)]),
        );
        assert_eq!(d["route"], "unknown", "{name}: {d:#}");
        assert!(
            reason(&d) == format!("target `b` (id-b) is in a failed state: {name}"),
            "{d:#}"
        );
    }
}

#[test]
fn a_target_owned_by_someone_else_on_a_route_that_acts_is_unknown() {
    let d = classify(
        vec![model("openstack", "alive")],
        targets([(6, ADMIN), (6, Some("bob")), (6, ADMIN)]),
    );
    assert_eq!(d["route"], "unknown", "{d:#}");
    assert_eq!(reason(&d), "target `b` (id-b) is Deployed and owned by `bob`, not by `admin`: this run may not release it", "{d:#}");

    let d = classify(
        vec![ctl()],
        targets([(4, None), (6, Some("bob")), (6, ADMIN)]),
    );
    assert_eq!(
        d["route"], "unknown",
        "partial with a foreign target: {d:#}"
    );
}

#[test]
fn a_not_ready_target_with_no_owner_on_a_route_that_acts_is_unknown() {
    let d = classify(vec![ctl()], targets([(4, None), (1, None), (6, ADMIN)]));
    assert_eq!(d["route"], "unknown", "{d:#}");
    assert_eq!(reason(&d), "target `b` (id-b) is Commissioning with no owner: there is nothing this run may release, and it will not become Ready by itself", "{d:#}");
}

#[test]
fn two_of_the_sites_models_present_is_unknown() {
    let site = json!({"models": ["openstack", "ceph"], "targets": TARGETS});
    let d = classify_site(
        vec![model("openstack", "alive"), model("ceph", "alive")],
        deployed("admin"),
        site,
    );
    assert_eq!(d["route"], "unknown", "{d:#}");
    assert_eq!(reason(&d), "2 of the site's models are present (openstack, ceph); this runbook tears down one model at a time", "{d:#}");
}

#[test]
fn a_site_without_targets_is_unknown() {
    let site = json!({"models": ["openstack"], "targets": []});
    let d = classify_site(vec![ctl()], vec![], site);
    assert_eq!(d["route"], "unknown", "{d:#}");
    assert_eq!(
        reason(&d),
        "the site lists no targets (`site.targets` is empty)",
        "{d:#}"
    );
}

// --- what the classifier ignores ---

#[test]
fn machines_and_models_outside_the_site_are_ignored() {
    let mut machines = ready();
    machines.push(machine("someone-elses", 6, Some("alice")));
    let d = classify(vec![ctl(), model("other", "alive")], machines);
    assert_route(&d, "clean", "absent:all_ready");
    assert_eq!(
        d["targets"].as_array().unwrap().len(),
        3,
        "only the site's targets are frozen"
    );
}

#[test]
fn the_frozen_target_set_carries_system_id_owner_and_status() {
    let d = classify(vec![ctl(), model("openstack", "alive")], deployed("admin"));
    let t = &d["targets"][1];
    assert_eq!(t["system_id"], "id-b");
    assert_eq!(t["hostname"], "b");
    assert_eq!(t["owner"], "admin");
    assert_eq!(t["status_name"], "Deployed");
}

#[test]
fn the_routing_table_reads_like_the_seed() {
    let rows: Vec<String> = eval_on("testcloud", r#"import "state" as state; state::routes()"#)
        .as_array()
        .unwrap()
        .iter()
        .map(|r| format!("{} {}", r["when"], r["label"]))
        .collect();
    assert_eq!(
        rows,
        [
            r#""absent:all_ready" "CLEAN""#,
            r#""present:all_ready" "ANOMALY""#,
            r#""absent:all_deployed_or_other" "ANOMALY""#,
            r#""present:all_deployed_or_other" "DIRTY""#,
            r#""*:partial" "PARTIAL""#,
        ]
    );
}

// --- site variants ---

#[test]
fn roosevelt_overrides_the_osd_module() {
    assert_eq!(
        eval_on("roosevelt", r#"import "osd" as osd; osd::disks(site)"#),
        json!([]),
        "bare metal has no qcow2 disks"
    );
    let out = Test::new().repo().site("roosevelt").args(&["check"]).run();
    out.status(0);
    assert!(
        format!("{}{}", out.stdout, out.stderr).contains("sites/roosevelt/osd.rhai"),
        "`check` uses the site's variant\n{}{}",
        out.stdout,
        out.stderr
    );
}
