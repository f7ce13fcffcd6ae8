//! The `juju` primitives against `runbook sim serve` through the real subprocess path
//! (`JUJU_BIN` is the simulator's wrapper): reads return DESIGN's map shapes;
//! `juju_destroy_model` and `juju_remove_machine`, approved with `--yes`, really change
//! the simulated cloud.

use std::time::Duration;

use crate::common::each_str;
use crate::primitives_fixture::*;
use crate::sim_server::SimServer;

/// Phase A in one line: back the model up and seal it, so its destroy is allowed.
pub const SEAL: &str = r#"let dir = backup_dir("pre"); write_backup(dir, "export-bundle.yaml", juju_export_bundle("openstack")); write_backup(dir, "status.json", to_json(juju_status("openstack"))); write_backup(dir, "models.json", to_json(juju_models())); write_backup(dir, "controllers.json", to_json(juju_controllers())); write_backup(dir, "maas-targets.json", maas_snapshot([])); seal_backup(dir, "openstack");"#;

/// The names of the models in the simulator's `state`.
fn model_names(state: &serde_json::Value) -> Vec<String> {
    each_str(&state["models"], "name")
}

#[test]
fn models_lists_the_controller_and_openstack() {
    let sim = SimServer::start("dirty");
    let models = eval_json(&sim, "juju_models()");
    assert_eq!(each_str(&models, "name"), ["controller", "openstack"]);
    let models = models.as_array().expect("an array");
    for m in models {
        assert_has_keys(
            m,
            &[
                "name",
                "qualified",
                "owner",
                "uuid",
                "life",
                "status",
                "controller",
            ],
        );
    }
    let openstack = models.iter().find(|m| m["name"] == "openstack").unwrap();
    assert_eq!(openstack["qualified"], "admin/openstack");
    assert_eq!(openstack["owner"], "admin");
    assert_eq!(openstack["life"], "alive");
    assert_eq!(openstack["controller"], "maas-controller");
    assert_eq!(openstack["is_controller"], false);
    let controller = models.iter().find(|m| m["name"] == "controller").unwrap();
    assert_eq!(controller["is_controller"], true);
    assert!(requests(&sim).iter().any(|r| r.starts_with("models")));
    assert_unchanged(&sim);
}

#[test]
fn model_is_the_map_or_unit() {
    let sim = SimServer::start("dirty");
    let m = eval_json(&sim, r#"juju_model("openstack")"#);
    assert_eq!(m["name"], "openstack");
    assert_eq!(m["uuid"], sim.state()["models"][1]["uuid"]);
    eval(&sim, &[], r#"juju_model("nope") == ()"#)
        .status(0)
        .stdout_is("true\n");
}

#[test]
fn status_counts_applications_units_and_machines() {
    let sim = SimServer::start("dirty");
    let s = eval_json(&sim, r#"juju_status("openstack")"#);
    assert_has_keys(
        &s,
        &[
            "model",
            "controller",
            "model_status",
            "application_count",
            "unit_count",
            "machine_count",
            "applications",
            "units",
            "machines",
        ],
    );
    assert_eq!(s["model"], "openstack");
    // The scenario: 8 applications, 13 units on 5 machines.
    assert_eq!(s["application_count"], 8, "{s:#}");
    assert_eq!(s["unit_count"], 13, "{s:#}");
    assert_eq!(s["machine_count"], 5, "{s:#}");
}

#[test]
fn machines_are_sorted_and_carry_the_maas_system_id() {
    let sim = SimServer::start("dirty");
    let ms = eval_json(&sim, r#"juju_machines("openstack")"#);
    assert_eq!(each_str(&ms, "id"), ["0", "1", "2", "3", "4"]);
    for m in ms.as_array().expect("an array") {
        assert_has_keys(m, &["id", "instance_id", "dns_name", "status", "life"]);
        let host = m["hostname"].as_str().unwrap();
        assert_eq!(m["instance_id"], sim.system_id(host).as_str(), "{m:#}");
    }
}

#[test]
fn controllers_lists_the_controller() {
    let sim = SimServer::start("dirty");
    let cs = eval_json(&sim, "juju_controllers()");
    assert_eq!(each_str(&cs, "name"), ["maas-controller"]);
    assert_has_keys(&cs[0], &["uuid", "cloud", "agent_version", "model_count"]);
}

#[test]
fn export_bundle_is_yaml_naming_the_applications() {
    let sim = SimServer::start("dirty");
    let out = eval(&sim, &[], r#"juju_export_bundle("openstack")"#);
    out.status(0)
        .stdout_has("applications:")
        .stdout_has("ceph-osd")
        .stdout_has("nova-compute");
}

#[test]
fn destroy_model_after_a_sealed_backup_destroys_it() {
    let sim = SimServer::start("dirty");
    let r = applied(&sim, &format!(r#"{SEAL} juju_destroy_model("openstack")"#));
    assert_eq!(r["result"], "destroyed", "{r:#}");
    assert_eq!(r["planned"], false);
    let command = r["command"].as_str().unwrap();
    assert!(
        command
            .ends_with("destroy-model maas-controller:admin/openstack --force --no-wait --destroy-storage --no-prompt"),
        "{command}"
    );
    assert!(
        requests(&sim)
            .iter()
            .any(|r| r.starts_with("destroy-model")),
        "{:#?}",
        sim.log()
    );
    sim.wait_for("model openstack gone", Duration::from_secs(30), |s| {
        !model_names(s).contains(&"openstack".to_string())
    });
    assert_eq!(model_names(&sim.state()), ["controller"]);
}

#[test]
fn destroy_model_without_backup_when_the_site_allows_it() {
    let sim = SimServer::start("dirty");
    let out = eval(
        &sim,
        &["--yes", "--set", "require_backup=false", "--json"],
        r#"juju_destroy_model("openstack", #{ no_wait: false, timeout: 60 })"#,
    );
    out.status(0);
    assert_eq!(out.json()["result"], "destroyed");
    // Juju's progress, streamed while the call blocks.
    out.stderr_has("... Destroying model")
        .stderr_has("... Waiting for model to be removed")
        .stderr_has("... Model destroyed.");
    assert_eq!(model_names(&sim.state()), ["controller"]);
}

#[test]
fn destroy_of_an_absent_model_changes_nothing() {
    let sim = SimServer::start("clean");
    let r = applied(&sim, r#"juju_destroy_model("openstack")"#);
    assert_eq!(r["result"], "absent", "{r:#}");
    assert_unchanged(&sim);
}

#[test]
fn a_qualified_model_name_is_refused_not_reported_absent() {
    let sim = SimServer::start("dirty");
    for call in [
        r#"juju_destroy_model("admin/openstack")"#,
        r#"juju_destroy_model("maas-controller:admin/openstack")"#,
        r#"juju_remove_machine("admin/openstack", "0")"#,
    ] {
        let function = call.split('(').next().unwrap();
        eval(&sim, &["--yes"], &format!("{SEAL} {call}"))
            .status(2)
            .stderr_has(&format!(
                "`{function}` takes the model's short name (as in `site.models`)"
            ))
            .stderr_has("write `openstack`");
    }
    assert!(
        sim.log().iter().all(|e| !e["request"]
            .as_str()
            .unwrap_or("")
            .contains("destroy-model")
            && !e["request"]
                .as_str()
                .unwrap_or("")
                .contains("remove-machine")),
        "nothing was attempted"
    );
}

#[test]
fn remove_machine_with_yes_removes_it() {
    let sim = SimServer::start("dirty");
    let r = applied(&sim, r#"juju_remove_machine("openstack", "3")"#);
    assert_eq!(r["result"], "removed", "{r:#}");
    assert_eq!(
        (r["model"].as_str(), r["id"].as_str()),
        (Some("openstack"), Some("3"))
    );
    let command = r["command"].as_str().unwrap();
    assert!(
        command.ends_with(
            "remove-machine -m maas-controller:admin/openstack --force --no-prompt --no-wait 3"
        ),
        "{command}"
    );
    let changes = changes_since(&sim, 0);
    assert_eq!(changes.len(), 1, "{changes:#?}");
    assert!(changes[0]["request"]
        .as_str()
        .unwrap()
        .starts_with("remove-machine"));
    sim.wait_for("machine 3 dying or gone", Duration::from_secs(20), |s| {
        let model = s["models"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == "openstack")
            .cloned()
            .unwrap_or_default();
        model["machines"]
            .as_array()
            .map(|ms| {
                ms.iter()
                    .filter(|m| m["id"] == "3")
                    .all(|m| m["life"] == "dying")
            })
            .unwrap_or(true)
    });
}

#[test]
fn remove_machine_from_a_missing_model_says_so() {
    let sim = SimServer::start("clean");
    eval(&sim, &["--yes"], r#"juju_remove_machine("openstack", "3")"#)
        .status(2)
        .stderr_has("model `openstack` is not in `juju models`");
    assert_unchanged(&sim);
}

/// `runbook run FILE.rhai`: Phase A backup, the destroy and the release, end to end.
#[test]
fn a_runbook_file_backs_up_destroys_and_releases() {
    let sim = SimServer::start("dirty");
    let flow = r#"
detect_cloud();
let dir = backup_dir(site.backup_prefix);
write_backup(dir, "export-bundle.yaml", juju_export_bundle("openstack"));
write_backup(dir, "status.json", to_json(juju_status("openstack")));
write_backup(dir, "models.json", to_json(juju_models()));
write_backup(dir, "controllers.json", to_json(juju_controllers()));
write_backup(dir, "maas-targets.json", maas_snapshot(juju_machines("openstack").map(|m| m.instance_id)));
seal_backup(dir, "openstack");
let ids = juju_machines("openstack").map(|m| m.instance_id);
juju_destroy_model("openstack", #{ no_wait: false });
let results = release_all(ids);
check("one result per machine", results.len() == 5, `${results.len()} results`);
check("no release failed", results.all(|r| r.result != "failed"), `${results}`);
"#;
    let out = with_sim(site(), &sim)
        .file("flow.rhai", flow)
        .args(&["--site", "t", "run", "--yes", "flow.rhai"])
        .run();
    out.status(0)
        .stderr_has("... Model destroyed.")
        .stdout_has("verdict: GO");
    let backups = out.files_under(&out.home());
    assert!(
        backups.iter().any(|f| f.ends_with("export-bundle.yaml")),
        "{backups:#?}"
    );
    sim.wait_for(
        "every target Ready and the model gone",
        Duration::from_secs(30),
        |s| {
            !model_names(s).contains(&"openstack".to_string())
                && s["machines"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|m| TARGETS.contains(&m["hostname"].as_str().unwrap()))
                    .all(|m| m["status_name"] == "Ready")
        },
    );
    let state = sim.state();
    assert_eq!(model_names(&state), ["controller"]);
    for m in state["machines"].as_array().unwrap() {
        if m["owner"] == "alice" || m["hostname"] == "juju-controller-0" {
            assert_eq!(m["status_name"], "Deployed", "{m}");
        }
    }
}

/// Bad calls are errors naming the call and saying what to do, and change nothing: stderr's
/// error block exactly (a destroy-class call runs the detection first).
#[test]
fn bad_calls_are_errors_that_say_what_to_do() {
    let sim = SimServer::start("dirty");
    let juju = "/tmp/runbook-sim-<uuid>/juju";
    for (expr, error) in [
        (
            r#"juju_status("nope")"#,
            format!("error: `{juju} status -m nope --format json` failed (exit status 1)\nstderr:\nERROR model maas-controller:admin/nope not found"),
        ),
        (
            r#"juju_destroy_model("openstack", #{ forse: true })"#,
            "error: invalid options for `juju_destroy_model`: Syntax error: unknown field `forse`, expected one of `force`, `no_wait`, `destroy_storage`, `timeout`".to_string(),
        ),
        (
            r#"juju_destroy_model("openstack", #{ force: false, no_wait: true })"#,
            "error: `no_wait` and `timeout` need `force: true` for `juju destroy-model maas-controller:admin/openstack`".to_string(),
        ),
        (
            r#"juju_remove_machine("openstack", "1", #{ bogus: 1 })"#,
            "error: invalid options for `juju_remove_machine`: Syntax error: unknown field `bogus`, expected one of `force`, `no_wait`, `keep_instance`".to_string(),
        ),
        (
            r#"juju_remove_machine("openstack", "99")"#,
            format!("error: `{juju} remove-machine -m maas-controller:admin/openstack --force --no-prompt --no-wait 99` failed (exit status 1)\nstderr:\nERROR removing machine failed: machine 99 not found"),
        ),
    ] {
        eval(&sim, &["--yes"], expr)
            .status(2)
            .says(&eval_error(expr, &error));
    }
    assert_unchanged(&sim);
}
