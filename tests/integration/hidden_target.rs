//! A target that another user takes after the detection is hidden from a MAAS key that is
//! not a superuser (teardown.md §2): Phase C/D and the scorecard say it is gone *or hidden*,
//! as the detection words a missing target, and advise re-adding it only if it is really
//! gone. The simulator shows it still there, owned by `bob`, never released.

use crate::identity_controllers::teardown;
use crate::sim_server::{SimServer, TEST_SPEED};

#[test]
fn a_target_hidden_by_another_owner_is_not_called_deleted() {
    let id = SimServer::start("dirty").system_id("openstack1");
    let owner = format!("mutate:{id}:owner=bob");
    let sim = SimServer::with(
        "dirty",
        &["juju-keeps-nodes", "maas-non-superuser", &owner],
        TEST_SPEED,
    );
    let out = teardown(&sim, &[]);
    out.status(1)
        .stderr_has(&format!(
            "leaving openstack1 ({id}): gone from MAAS, or hidden (owned by another user)"
        ))
        .stderr_has(&format!(
            "[NO-GO] openstack1 Ready, owner (none) — gone, or hidden (owned by another user): system id {id} is no longer visible to this MAAS key; if it is really gone, it was deleted during the destroy (juju#22691)"
        ))
        .stderr_has("check with a MAAS admin key whether openstack1 still exists (another user may own it); only if it is really gone, add it to MAAS again");
    assert!(!out.stderr.contains("deleted from MAAS"), "{}", out.stderr);
    assert_eq!(out.json()["verdict"], "no-go");
    // It exists, owned by bob, and nothing asked MAAS to release it.
    let m = sim.machine("openstack1");
    assert_eq!(m["owner"], "bob");
    assert_eq!(m["status_name"], "Deployed");
    let posts: Vec<String> = sim
        .requests_of("maas")
        .into_iter()
        .filter(|r| r.starts_with("POST") && r.contains(&format!("machines/{id}/")))
        .collect();
    assert!(posts.is_empty(), "{posts:#?}");
}
