//! The release guard holds a target to the Juju owner data the detection saw (teardown.md
//! §2): a machine frozen with the site model's uuids in its MAAS `owner_data` that loses them
//! before the release, while still allocated, changed hands; it is refused and named, and
//! the simulator's request log shows no release for it.

use crate::identity_controllers::teardown;
use crate::sim_server::{SimServer, TEST_SPEED};

const MODEL_UUID: &str = "3d9f6c1a-5b2e-4f80-a7c4-92e1b8d05f63";

fn release_posts(sim: &SimServer) -> Vec<String> {
    sim.requests_of("maas")
        .into_iter()
        .filter(|r| r.starts_with("POST") && r.contains("op=release"))
        .collect()
}

/// Juju keeps the nodes (so Phase C releases them itself) and `openstack1`'s owner_data is
/// emptied after the detection's read: no POST for it, the four others released, exit 4.
#[test]
fn a_target_whose_juju_owner_data_vanished_is_not_released() {
    let id = SimServer::start("dirty").system_id("openstack1");
    let model = format!("mutate:{id}:juju-model-uuid=");
    let controller = format!("mutate:{id}:juju-controller-uuid=");
    let sim = SimServer::with(
        "dirty",
        &["juju-keeps-nodes", &model, &controller],
        TEST_SPEED,
    );
    let out = teardown(&sim, &[]);
    out.status(4)
        .stderr_has("refused by guard `release.juju_model`")
        .stderr_has(&format!(
            "machine `{id}` (openstack1) had `juju-model-uuid` `{MODEL_UUID}` in its MAAS owner_data at the detection, but the fresh read shows none while it is Deployed"
        ));
    let posts = release_posts(&sim);
    assert!(
        !posts.iter().any(|p| p.contains(&format!("machines/{id}/"))),
        "released anyway: {posts:#?}"
    );
    assert_eq!(posts.len(), 4, "the other targets go on: {posts:#?}");
    assert_eq!(sim.machine("openstack1")["status_name"], "Deployed");
}

/// Only the controller uuid vanishes: refused just the same, naming that key.
#[test]
fn a_target_that_lost_only_its_controller_uuid_is_not_released() {
    let id = SimServer::start("dirty").system_id("openstack1");
    let controller = format!("mutate:{id}:juju-controller-uuid=");
    let sim = SimServer::with("dirty", &["juju-keeps-nodes", &controller], TEST_SPEED);
    let out = teardown(&sim, &[]);
    out.status(4)
        .stderr_has("refused by guard `release.juju_controller`")
        .stderr_has(&format!(
            "machine `{id}` (openstack1) had `juju-controller-uuid`"
        ));
    let posts = release_posts(&sim);
    assert!(
        !posts.iter().any(|p| p.contains(&format!("machines/{id}/"))),
        "released anyway: {posts:#?}"
    );
    assert_eq!(posts.len(), 4, "{posts:#?}");
}
