//! The site's model by identity in every juju command (teardown.md §2). A site that names a
//! qualified model (`ops/openstack`) beside the logged-in user's own `admin/openstack` has
//! every command about its model — the block check, the capture, the pre-flight, the
//! destroy, remediation — name `CONTROLLER:ops/openstack` (Juju resolves a bare name to the
//! logged-in user's model, another one), on Juju 3.6 and 4.0. A destroy that never started
//! by its deadline stops the run before anything is released. Identity problems are named
//! for what they are, once. Each proved from the simulator's request log.

use std::path::PathBuf;

use serde_json::{json, Value};

use crate::common::session::testcloud;
use crate::common::{Output, Test};
use crate::sim_server::{SimServer, JUJU_MAJORS, TEST_SPEED};

/// The site's model in the capture: `dirty`'s `openstack`, owned by `ops`.
const SITE_MODEL: &str = "ops/openstack";
const SITE_UUID: &str = "3d9f6c1a-5b2e-4f80-a7c4-92e1b8d05f63";
/// The logged-in user's own, empty `openstack` beside it.
const ADMIN_UUID: &str = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee";

/// A capture of `dirty` (made now, by `runbook sim record`) whose `openstack` belongs to
/// `ops`, with an empty `admin/openstack` of the logged-in user beside it.
fn qualified_capture() -> (tempfile::TempDir, PathBuf) {
    let sim = SimServer::start("dirty");
    let out = Test::new()
        .sim(&sim)
        .repo()
        .site("testcloud")
        .args(&["sim", "record", "-o", "cloud.json"])
        .run();
    out.status(0);
    let text = std::fs::read_to_string(out.root().join("cloud.json")).expect("the capture");
    let mut doc: Value = serde_json::from_str(&text).expect("JSON");

    let models = doc["juju"]["models"]["models"]
        .as_array_mut()
        .expect("juju models");
    let at = models
        .iter()
        .position(|m| m["name"] == "admin/openstack")
        .expect("admin/openstack recorded");
    assert_eq!(models[at]["model-uuid"], SITE_UUID);
    let mut ops = models[at].clone();
    ops["name"] = json!(SITE_MODEL);
    ops["owner"] = json!("ops");
    models[at]["model-uuid"] = json!(ADMIN_UUID);
    models.push(ops);

    let details = doc["juju"]["model_details"]
        .as_object_mut()
        .expect("model details");
    let recorded = details.remove("admin/openstack").expect("its details");
    let mut empty = recorded.clone();
    empty["machines"] = json!({ "machines": {} });
    empty["status"]["applications"] = json!({});
    empty["status"]["machines"] = json!({});
    details.insert(SITE_MODEL.into(), recorded);
    details.insert("admin/openstack".into(), empty);

    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("qualified.json");
    std::fs::write(&path, doc.to_string()).expect("write the capture");
    (dir, path)
}

/// The capture served, playing Juju `major`, with `faults`.
fn serve(capture: &std::path::Path, major: &str, faults: &[&str]) -> SimServer {
    let path = capture.display().to_string();
    SimServer::spawn(&["--from", &path, "--juju", major], faults, TEST_SPEED)
}

/// `teardown --yes --json` on testcloud with `models=ops/openstack`.
fn teardown(sim: &SimServer, sets: &[(&str, &str)]) -> Output {
    let mut t = testcloud(sim, "teardown")
        .args(&["--yes", "--json"])
        .set("models", SITE_MODEL)
        .set("timeouts.destroy_cli", "5");
    for (k, v) in sets {
        t = t.set(k, v);
    }
    t.run()
}

/// The juju commands (after the detection's `juju models`) that name a model (`-m M` or
/// `destroy-model M`), and the model each names.
fn named_models(sim: &SimServer) -> Vec<(String, String)> {
    sim.requests_of("juju")
        .into_iter()
        .filter_map(|r| {
            let words: Vec<&str> = r.split_whitespace().collect();
            let model = match words.first() {
                Some(&"destroy-model") | Some(&"show-model") => words.get(1).copied(),
                _ => words
                    .iter()
                    .position(|w| *w == "-m")
                    .and_then(|i| words.get(i + 1).copied()),
            }?;
            Some((words[0].to_string(), model.to_string()))
        })
        .collect()
}

/// Every command about a model named the site's by its qualified name; `expected` commands
/// were among them.
fn assert_all_name_the_site_model(sim: &SimServer, expected: &[&str], major: &str) {
    let named = named_models(sim);
    let want = format!("maas-controller:{SITE_MODEL}");
    let wrong: Vec<&(String, String)> = named.iter().filter(|(_, m)| *m != want).collect();
    assert!(wrong.is_empty(), "{major}: named another model: {wrong:#?}");
    for command in expected {
        assert!(
            named.iter().any(|(c, _)| c == command),
            "{major}: no `{command}` about the site's model: {named:#?}"
        );
    }
}

/// S2: the capture, the pre-flight and the destroy are all of `ops/openstack`, never of the
/// logged-in user's `admin/openstack`, which is left alone.
#[test]
fn a_qualified_site_model_is_named_so_in_every_command() {
    let (_dir, capture) = qualified_capture();
    for major in JUJU_MAJORS {
        let sim = serve(&capture, major, &[]);
        let out = teardown(&sim, &[]);
        out.outcome(0, "dirty", Some("go"));
        assert_all_name_the_site_model(
            &sim,
            &[
                "machines",
                "disabled-commands",
                "export-bundle",
                "status",
                "destroy-model",
            ],
            major,
        );
        // The pre-flight shows the model the destroy acts on, with its contents.
        out.stderr_has(&format!(
            "    model       {SITE_MODEL} (uuid {SITE_UUID}), life alive"
        ))
        .stderr_has("    contents    8 applications, 13 units (0 subordinate), 5 machines")
        .stderr_has(&format!(
            "model `admin/openstack` ({ADMIN_UUID}) on controller `maas-controller` has the site's model name but is not the site's (the site names `{SITE_MODEL}`)"
        ));
        // The backup holds that model's status, sealed for its uuid.
        let backups = out.backups();
        assert_eq!(backups.len(), 1, "{major}");
        let status: Value = serde_json::from_str(
            &std::fs::read_to_string(backups[0].join("status.json")).expect("status.json"),
        )
        .expect("status JSON");
        assert_eq!(status["application_count"], 8, "{major}: {status}");
        let seal = std::fs::read_to_string(backups[0].join("seal.json")).expect("seal.json");
        assert!(seal.contains(SITE_UUID), "{major}: {seal}");
        // The logged-in user's model is still there, untouched.
        let listed = sim.juju(&["models", "--format", "json"]);
        let listed = String::from_utf8_lossy(&listed.stdout);
        assert!(listed.contains(ADMIN_UUID), "{major}: {listed}");
        assert!(!listed.contains(SITE_UUID), "{major}: {listed}");
    }
}

/// S2: remediation of the lingering site model lists, re-destroys and reports on
/// `ops/openstack`, and says a removal was re-attempted only because one was sent.
#[test]
fn remediation_acts_on_the_qualified_site_model() {
    let (_dir, capture) = qualified_capture();
    let sim = serve(&capture, "3.6", &["model-stuck"]);
    let out = teardown(
        &sim,
        &[("timeouts.destroy_cli", "1"), ("timeouts.model_gone", "1")],
    );
    out.outcome(1, "dirty", Some("no-go"));
    assert_all_name_the_site_model(&sim, &["machines", "destroy-model"], "3.6");
    let destroys = sim
        .requests_of("juju")
        .into_iter()
        .filter(|r| r.starts_with("destroy-model"))
        .count();
    assert_eq!(destroys, 2, "Phase B and the re-attempt");
    out.stderr_has("model `openstack`: removal re-attempted; destroy issued, still in progress")
        .stderr_has(&format!(
            "(`juju show-model {SITE_MODEL}`, controller logs)"
        ))
        .stderr_has(&format!("[NO-GO] model `{SITE_MODEL}` absent"));
}

/// S2: once the site's model is gone, a model of the same short name of another user is not
/// it: `juju_model` says gone, and a second destroy sends nothing and says so (`absent`).
#[test]
fn the_site_model_gone_is_gone_whatever_else_has_its_name() {
    let (_dir, capture) = qualified_capture();
    let sim = serve(&capture, "3.6", &[]);
    let out = Test::new()
        .sim(&sim)
        .repo()
        .site("testcloud")
        .set("models", SITE_MODEL)
        .set("require_backup", "false")
        .args(&[
            "eval",
            "--yes",
            "--json",
            r#"detect_cloud(); let first = juju_destroy_model("openstack"); #{ first: first.result, after: juju_model("openstack"), again: juju_destroy_model("openstack").result }"#,
        ])
        .run();
    out.status(0);
    let doc = out.json();
    assert_eq!(doc["first"], "destroyed", "{doc}");
    assert!(
        doc["after"].is_null(),
        "admin/openstack is not the site's: {doc}"
    );
    assert_eq!(doc["again"], "absent", "{doc}");
    let destroys: Vec<String> = sim
        .requests_of("juju")
        .into_iter()
        .filter(|r| r.starts_with("destroy-model"))
        .collect();
    assert_eq!(destroys.len(), 1, "{destroys:#?}");
    assert!(
        destroys[0].starts_with(&format!("destroy-model maas-controller:{SITE_MODEL} ")),
        "{destroys:#?}"
    );
    let listed = sim.juju(&["models", "--format", "json"]);
    assert!(String::from_utf8_lossy(&listed.stdout).contains(ADMIN_UUID));
}

/// M1: Phase B's deadline passes while `juju models` still shows the model alive (the
/// destroy CLI hung before the controller took it): the run stops (exit 3), saying the
/// destroy did not start and what to do; nothing is released.
#[test]
fn a_destroy_that_never_started_stops_before_any_release() {
    for major in JUJU_MAJORS {
        let sim = SimServer::with_juju(
            "dirty",
            &["juju-hang-first:destroy-model", "juju-keeps-nodes"],
            TEST_SPEED,
            major,
        );
        let out = testcloud(&sim, "teardown")
            .args(&["--yes"])
            .set("timeouts.destroy_cli", "2")
            .run();
        out.status(3)
            .stderr_has("stopped: model `openstack`: the destroy did not start: `juju destroy-model` was still waiting after 2s (site `timeouts.destroy_cli`) and was stopped, and `juju models` still shows model `admin/openstack` (3d9f6c1a-5b2e-4f80-a7c4-92e1b8d05f63) alive")
            .stderr_has("nothing was released. Look at the controller (`juju show-model maas-controller:admin/openstack`")
            .stdout_lacks("destroy issued, still in progress")
            .stdout_lacks("==> Phase C");
        let posts: Vec<String> = sim
            .requests_of("maas")
            .into_iter()
            .filter(|r| r.starts_with("POST"))
            .collect();
        assert!(posts.is_empty(), "{major}: {posts:#?}");
        let failed = out.journal_lines();
        assert!(
            failed
                .iter()
                .any(|l| l["effect"] == "juju_destroy_model" && l["outcome"] == "failed"),
            "{major}: the destroy is journaled as failed"
        );
    }
}

/// M9: a target MAAS hides from a user who is not a superuser is reported missing (hidden),
/// not as "not one of the site's targets".
#[test]
fn a_hidden_target_is_not_called_outside_the_site() {
    let id = SimServer::start("dirty").system_id("openstack0");
    let owner = format!("preset:{id}:owner=bob");
    let sim = SimServer::with("dirty", &["maas-non-superuser", &owner], TEST_SPEED);
    let out = testcloud(&sim, "teardown").args(&["--yes"]).run();
    out.status(3)
        .stdout_has("target `openstack0` is missing from MAAS (no machine with that hostname is visible to `admin`")
        .stdout_lacks("which is not one of the site's targets")
        .stderr_lacks("which is not one of the site's targets");
    assert!(!sim.changed());
}

/// M9: a target deployed by another user's model is one problem, listed once.
#[test]
fn a_target_of_another_model_is_listed_once() {
    let id = SimServer::start("dirty").system_id("openstack2");
    let probe = SimServer::with("dirty", &["other-user-model"], TEST_SPEED);
    let listed = probe.juju(&["models", "--format", "json"]);
    let listed: Value = serde_json::from_slice(&listed.stdout).expect("models JSON");
    let bob = listed["models"]
        .as_array()
        .and_then(|ms| ms.iter().find(|m| m["name"] == "bob/openstack"))
        .and_then(|m| m["model-uuid"].as_str())
        .expect("bob/openstack")
        .to_string();
    let preset = format!("preset:{id}:juju-model-uuid={bob}");
    let sim = SimServer::with("dirty", &["other-user-model", &preset], TEST_SPEED);
    let out = testcloud(&sim, "teardown").args(&["--yes"]).run();
    out.status(3);
    // The transcript lists the problems at the decision and again at the stop: one
    // distinct problem names bob's model.
    let mut mentions: Vec<&str> = out
        .stdout
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("- ") && l.contains(&bob))
        .collect();
    mentions.sort();
    mentions.dedup();
    assert_eq!(mentions.len(), 1, "{}", out.stdout);
    assert!(!sim.changed());
}
