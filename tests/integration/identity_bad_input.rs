//! Identity, not names — bad input (teardown.md §2): a site naming a controller that does not
//! exist, a malformed uuid in a target's MAAS `owner_data`, a controller that disappears
//! mid-run. Each is a clear error (exit 2) or UNKNOWN (exit 3), and the simulator's request
//! log shows nothing changed.

use crate::identity_controllers::teardown;
use crate::primitives_fixture::{eval_in, site, with_sim, without_backup};
use crate::sim_server::{SimServer, TEST_SPEED};

#[test]
fn a_site_naming_a_controller_that_does_not_exist_is_exit_2() {
    let sim = SimServer::start("dirty");
    let out = teardown(&sim, &["--set", "juju.controller=nope"]);
    out.status(2)
        .stderr_has("the site's Juju controller `nope` (site key `juju.controller`) is not registered with this juju client (registered: maas-controller)")
        .stderr_has("hint: fix `juju.controller`");
    assert!(!sim.changed());
    // Nothing but reads reached Juju: no model was even listed on a guessed controller.
    let juju = sim.requests_of("juju");
    assert!(
        juju.iter()
            .all(|r| r.starts_with("version") || r.starts_with("controllers")),
        "{juju:#?}"
    );
}

#[test]
fn a_malformed_uuid_in_owner_data_routes_unknown() {
    let id = SimServer::start("dirty").system_id("openstack2");
    let fault = format!("preset:{id}:juju-model-uuid=3d9f6c1a-not-a-uuid");
    let sim = SimServer::with("dirty", &[&fault], TEST_SPEED);
    let out = teardown(&sim, &[]);
    out.status(3).stderr_has(&format!(
        "target `openstack2` ({id}) has a malformed `juju-model-uuid` in its MAAS owner_data: `3d9f6c1a-not-a-uuid`"
    ));
    assert_eq!(out.json()["route"], "unknown");
    assert!(!sim.changed());
}

/// The uuid turns malformed between the detection and the release: the release guard on the
/// fresh read refuses that machine (no POST for it), even with no model frozen to compare with
/// (scenario `partial`: the model is gone, three targets still deployed).
#[test]
fn a_uuid_that_turns_malformed_after_the_detection_is_not_released() {
    let probe = SimServer::start("partial");
    let id = probe.system_id("openstack3");
    let fault = format!("mutate:{id}:juju-controller-uuid=0c3f9a52");
    let sim = SimServer::with("partial", &[&fault], TEST_SPEED);
    let out = eval_in(
        with_sim(site(), &sim),
        &["--yes"],
        "detect_cloud(); release_all(frozen().targets.map(|t| t.system_id))",
    );
    out.status(4)
        .stderr_has("refused by guard `release.juju_controller`")
        .stderr_has("malformed `juju-controller-uuid`");
    let posts: Vec<String> = sim
        .requests_of("maas")
        .into_iter()
        .filter(|r| r.starts_with("POST") && r.contains("op=release"))
        .collect();
    assert!(!posts.iter().any(|p| p.contains(&id)), "{posts:#?}");
    assert_eq!(
        posts.len(),
        2,
        "the other deployed targets go on: {posts:#?}"
    );
}

/// The site's controller is unregistered right after the detection's last juju read (the
/// model's machines): the next juju command (the pre-destroy checks) fails naming it, exit 2,
/// nothing changed.
#[test]
fn a_controller_that_disappears_after_the_detection_stops_the_run() {
    let sim = SimServer::with("dirty", &["controller-gone-after:machines"], TEST_SPEED);
    let out = teardown(&sim, &[]);
    out.status(2)
        .stderr_has("ERROR controller maas-controller not found");
    assert!(!sim.changed());
}

/// The same at the gate: the destroy's own fresh read of the models fails, so the destroy is
/// never sent.
#[test]
fn a_controller_that_disappears_before_the_destroy_is_never_sent_a_destroy() {
    let sim = SimServer::with("dirty", &["controller-gone-after:machines"], TEST_SPEED);
    let t = without_backup(&sim).set("juju.controller", "maas-controller");
    let out = eval_in(
        t,
        &["--yes"],
        r#"detect_cloud(); juju_destroy_model("openstack")"#,
    );
    out.status(2)
        .stderr_has("juju models -c maas-controller --format json")
        .stderr_has("ERROR controller maas-controller not found");
    sim.assert_unchanged();
    assert!(sim.juju_commands("destroy-model").is_empty());
}
