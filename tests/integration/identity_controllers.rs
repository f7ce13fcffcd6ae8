//! Identity, not names, with more than one controller and more than one user (teardown.md
//! §2): the simulator's `other-controller` (a second controller, current in the shell, with
//! its own `admin/openstack`) and `other-user-model` (`bob/openstack` beside
//! `admin/openstack`). The full teardown runs against each, and the request log proves what
//! was not touched.

use serde_json::Value;

use crate::common::session::testcloud;
use crate::common::Output;
use crate::sim_server::{SimServer, JUJU_MAJORS, TEST_SPEED};

const SITE_CONTROLLER_UUID: &str = "0c3f9a52-7d1e-4b8e-9a43-5e2f6d8b1c07";
const SITE_MODEL_UUID: &str = "3d9f6c1a-5b2e-4f80-a7c4-92e1b8d05f63";
const LAB_CONTROLLER_UUID: &str = "5e8a0f1c-2b7d-4c93-8f16-a0d2b4c6e871";
const LAB_MODEL_UUID: &str = "b71f3c9e-6a2d-4e58-9c04-8d1e5f7a3b26";

/// `runbook run teardown --site testcloud --yes --json` (the site pins `maas-controller`)
/// against `sim`, short waits, no OSD disks; `extra` adds flags.
pub fn teardown(sim: &SimServer, extra: &[&str]) -> Output {
    testcloud(sim, "teardown")
        .args(&["--json", "--yes"])
        .args(extra)
        .set("timeouts.destroy_cli", "5")
        .run()
}

/// The juju requests that change something (`destroy-model`, `remove-machine`).
fn juju_changes(sim: &SimServer) -> Vec<String> {
    sim.requests_of("juju")
        .into_iter()
        .filter(|r| r.starts_with("destroy-model") || r.starts_with("remove-machine"))
        .collect()
}

/// Every MAAS machine whose hostname starts with `prefix` is still Deployed, owned by
/// `owner`, and no request ever named its system id.
fn untouched(sim: &SimServer, prefix: &str, owner: &str) {
    let state = sim.state();
    let machines: Vec<&Value> = state["machines"]
        .as_array()
        .expect("machines")
        .iter()
        .filter(|m| m["hostname"].as_str().unwrap_or("").starts_with(prefix))
        .collect();
    assert!(!machines.is_empty(), "no `{prefix}*` machines");
    let log = sim.log();
    for m in machines {
        assert_eq!(
            (m["status_name"].as_str(), m["owner"].as_str()),
            (Some("Deployed"), Some(owner)),
            "{m}"
        );
        let id = m["system_id"].as_str().unwrap_or("?");
        let named: Vec<&Value> = log
            .iter()
            .filter(|e| e["request"].as_str().unwrap_or("").contains(id))
            .collect();
        assert!(named.is_empty(), "{id} was named: {named:#?}");
    }
}

/// The current controller is another one with its own `openstack`; the site pins
/// `juju.controller`: only the pinned controller's model (by uuid) goes, on both majors.
#[test]
fn the_pinned_controller_wins_over_the_current_one() {
    for juju in JUJU_MAJORS {
        let sim = SimServer::with_juju("dirty", &["other-controller"], TEST_SPEED, juju);
        let out = teardown(&sim, &[]);
        out.status(0);
        assert_eq!(out.json()["verdict"], "go", "{juju}\n{}", out.stderr);
        let changes = juju_changes(&sim);
        assert!(!changes.is_empty(), "{juju}: nothing destroyed");
        for c in &changes {
            assert!(
                c.contains("maas-controller:admin/openstack") && !c.contains(LAB_MODEL_UUID),
                "{juju}: {c}"
            );
        }
        let all = sim.requests_of("juju").join("\n");
        assert!(!all.contains("lab-controller"), "{juju}: {all}");
        assert!(sim.model(SITE_MODEL_UUID).is_none(), "{juju}");
        let lab = sim
            .model(LAB_MODEL_UUID)
            .expect("the other controller's model");
        assert_eq!(
            (
                lab["life"].as_str(),
                lab["machines"].as_array().map(Vec::len)
            ),
            (Some("alive"), Some(3)),
            "{juju}: {lab}"
        );
        untouched(&sim, "lab-", "admin");
        // The header names the controller the run talks to, and it is the pinned one.
        out.says(&format!("Juju: controller `maas-controller` (uuid {SITE_CONTROLLER_UUID}) as `admin` (from the site's `juju.controller`)"));
    }
}

/// The current controller is another one; the site names no controller: detection freezes
/// the current controller's `openstack`, and the targets' `owner_data` (deployed by the
/// site's controller and model) routes UNKNOWN — exit 3, nothing changed, each machine named
/// with both uuids.
#[test]
fn an_unpinned_site_on_the_wrong_current_controller_is_unknown() {
    let sim = SimServer::with("dirty", &["other-controller"], TEST_SPEED);
    let out = teardown(&sim, &["--set", "juju.controller=null"]);
    out.status(3);
    assert_eq!(out.json()["route"], "unknown");
    let openstack0 = sim.system_id("openstack0");
    out.stderr_has(&format!(
        "target `openstack0` ({openstack0}) was deployed by Juju controller `{SITE_CONTROLLER_UUID}`, not by `lab-controller` (`{LAB_CONTROLLER_UUID}`)"
    ))
    .stderr_has(&format!(
        "was deployed by Juju model `{SITE_MODEL_UUID}`, not by the site's model `admin/openstack` (`{LAB_MODEL_UUID}`)"
    ));
    assert!(!sim.changed(), "changed: {:#?}", juju_changes(&sim));
}

/// `bob/openstack` beside `admin/openstack`: a bare `openstack` and a qualified
/// `admin/openstack` both mean admin's model; bob's is never destroyed, and the detection
/// says why it is not the site's.
#[test]
fn another_users_model_of_the_same_name_is_not_the_sites() {
    for (models, why) in [
        (
            r#"models=["openstack"]"#,
            "owner `bob`, the controller's user is `admin`",
        ),
        (
            r#"models=["admin/openstack"]"#,
            "the site names `admin/openstack`",
        ),
    ] {
        let sim = SimServer::with("dirty", &["other-user-model"], TEST_SPEED);
        let bob = sim
            .model("004d4419-134a-4a54-87a8-2b9a480fa941")
            .expect("bob's model");
        assert_eq!(bob["owner"], "bob");
        let out = teardown(&sim, &["--set", models]);
        out.status(0);
        assert_eq!(out.json()["verdict"], "go", "{models}\n{}", out.stderr);
        out.says(&format!(
            "    model `bob/openstack` (004d4419-134a-4a54-87a8-2b9a480fa941) on controller `maas-controller` has the site's model name but is not the site's ({why})"
        ));
        assert_eq!(
            juju_changes(&sim),
            [
                "destroy-model maas-controller:admin/openstack --force --no-wait --destroy-storage --no-prompt"
            ],
            "{models}"
        );
        assert!(sim.model(SITE_MODEL_UUID).is_none(), "{models}");
        let bob = sim
            .model("004d4419-134a-4a54-87a8-2b9a480fa941")
            .expect("bob's model");
        assert_eq!(bob["life"], "alive", "{models}");
        untouched(&sim, "bob-", "bob");
    }
}

/// A site that names another user's model (`bob/openstack`) gets that model by identity, and
/// every change would name it qualified; here the targets were deployed by admin's model, so
/// the cross-check routes UNKNOWN and nothing changes.
#[test]
fn a_site_naming_another_users_model_is_checked_against_its_targets() {
    let sim = SimServer::with("dirty", &["other-user-model"], TEST_SPEED);
    let out = teardown(&sim, &["--set", r#"models=["bob/openstack"]"#]);
    out.status(3).stderr_has(
        "not by the site's model `bob/openstack` (`004d4419-134a-4a54-87a8-2b9a480fa941`)",
    );
    assert!(!sim.changed());
}

/// Only when a bare name cannot pick one model (listed under two qualifiers, none the
/// logged-in user's) is it the ambiguity that lists both: UNKNOWN, nothing changed.
#[test]
fn a_bare_name_that_cannot_pick_one_model_is_ambiguous() {
    let sim = SimServer::with(
        "clean",
        &["other-user-model:bob", "other-user-model:carol"],
        TEST_SPEED,
    );
    let out = teardown(&sim, &[]);
    out.status(3)
        .stderr_has("model name `openstack` is ambiguous")
        .stderr_has("`bob/openstack` (uuid 004d4419-134a-4a54-87a8-2b9a480fa941")
        .stderr_has("`carol/openstack` (uuid ");
    assert!(!sim.changed());
}

/// A changing command names the frozen model so Juju cannot resolve it to another user's
/// model: a bare name only for the logged-in user's model, else `owner/name`. (The site here
/// is bob's model on bob's nodes.)
#[test]
fn a_destroy_of_another_users_model_names_it_qualified() {
    use crate::primitives_fixture::{eval_in, without_backup};
    let sim = SimServer::with("dirty", &["other-user-model"], TEST_SPEED);
    let t = without_backup(&sim)
        .set("models", r#"["bob/openstack"]"#)
        .set("targets", r#"["bob-openstack0", "bob-openstack1"]"#);
    let out = eval_in(
        t,
        &["--yes"],
        r#"detect_cloud(); juju_destroy_model("openstack", #{ no_wait: false })"#,
    );
    out.status(0);
    assert_eq!(
        juju_changes(&sim),
        ["destroy-model maas-controller:bob/openstack --force --destroy-storage --no-prompt"]
    );
    assert_eq!(
        sim.model(SITE_MODEL_UUID).expect("admin's model")["life"],
        "alive"
    );
}

/// The current controller is another one whose `openstack` runs on other MAAS nodes, the
/// site names no controller, and the site's targets carry no `owner_data` (all Ready): the
/// model's machines are none of the site's targets, so it is not the site's model — UNKNOWN,
/// nothing changed (before, this state destroyed the other controller's model).
#[test]
fn a_model_on_other_nodes_is_not_the_sites_model() {
    let sim = SimServer::with("clean", &["other-controller"], TEST_SPEED);
    let out = teardown(&sim, &["--set", "juju.controller=null"]);
    out.status(3);
    let lab0 = sim.system_id("lab-openstack0");
    out.stderr_has(&format!(
        "model `admin/openstack` ({LAB_MODEL_UUID}) on controller `lab-controller` has machine 0 on MAAS node `{lab0}` (lab-openstack0), which is not one of the site's targets"
    ));
    assert!(!sim.changed(), "changed: {:#?}", juju_changes(&sim));
    untouched(&sim, "lab-", "admin");
}

/// A site that names no controller trusts the shell's current one only while a target ties
/// the model found there to the site. Here the site's `openstack` model is listed but no
/// target carries its uuids in MAAS `owner_data` (as a freshly added model of the same name
/// on another controller would look): UNKNOWN, exit 3, nothing changed, and the way out named.
#[test]
fn an_unpinned_site_with_nothing_tying_the_model_to_it_changes_nothing() {
    // The site's targets' system ids, as the `dirty` scenario makes them.
    let ids = crate::identity::frozen_ids(&SimServer::start("dirty"));
    let faults: Vec<String> = ids
        .iter()
        .flat_map(|id| {
            [
                format!("preset:{id}:juju-model-uuid="),
                format!("preset:{id}:juju-controller-uuid="),
            ]
        })
        .collect();
    let faults: Vec<&str> = faults.iter().map(String::as_str).collect();
    let sim = SimServer::with("dirty", &faults, TEST_SPEED);
    let out = teardown(&sim, &["--set", "juju.controller=null"]);
    out.status(3);
    assert_eq!(out.json()["route"], "unknown");
    out.stderr_has(&format!(
        "the site names no Juju controller and none of its targets was deployed by model `admin/openstack` ({SITE_MODEL_UUID}) on `maas-controller`, the shell's current controller: nothing ties that model to this site, so nothing is changed; if it is the site's model, name its controller in the site (`juju.controller: \"maas-controller\"`) and run again"
    ));
    assert!(juju_changes(&sim).is_empty(), "{:?}", juju_changes(&sim));
    sim.assert_unchanged();
    // Named, the same controller is the site's: the teardown goes ahead.
    let sim = SimServer::with("dirty", &faults, TEST_SPEED);
    teardown(&sim, &[]).outcome(0, "dirty", Some("go"));
}

/// An unpinned site's run names the controller its detection read in every later juju
/// command, so a `juju switch` in another shell mid-run changes nothing: from the request
/// log, only reads before the detection froze it go to "the current controller".
#[test]
fn an_unpinned_site_names_the_detected_controller_in_every_later_command() {
    let sim = SimServer::start("dirty");
    teardown(&sim, &["--set", "juju.controller=null"]).outcome(0, "dirty", Some("go"));
    let juju = sim.requests_of("juju");
    let first_models = juju
        .iter()
        .position(|r| r.starts_with("models"))
        .expect("detection read the models");
    let unnamed: Vec<&String> = juju[first_models..]
        .iter()
        .filter(|r| !(r.starts_with("version") || r.starts_with("controllers")))
        .filter(|r| {
            !(r.contains("maas-controller:admin/openstack") || r.contains("-c maas-controller"))
        })
        .collect();
    assert!(
        unnamed.is_empty(),
        "commands without the controller: {unnamed:#?}"
    );
    assert!(
        juju.iter()
            .any(|r| r.starts_with("destroy-model maas-controller:admin/openstack")),
        "{juju:#?}"
    );
}
