//! `juju_destroy_model` is only for the site's models (teardown.md §2), whether or not Juju
//! lists the name: a typo, or another controller's model by its uuid, is refused (exit 4),
//! journaled as refused, and the simulator's request log shows no destroy.

use crate::common::Test;
use crate::primitives_fixture::*;
use crate::sim_server::{SimServer, TEST_SPEED};

/// The `admin/openstack` of the simulator's second controller (`other-controller`).
const LAB_MODEL_UUID: &str = "b71f3c9e-6a2d-4e58-9c04-8d1e5f7a3b26";

fn destroys(sim: &SimServer) -> Vec<String> {
    sim.requests_of("juju")
        .into_iter()
        .filter(|r| r.starts_with("destroy-model"))
        .collect()
}

#[test]
fn a_model_not_in_the_site_is_refused_whether_or_not_it_exists() {
    let sim = SimServer::with("dirty", &["other-controller"], TEST_SPEED);
    for name in ["nosuchmodel", LAB_MODEL_UUID, "controller"] {
        // testcloud pins `maas-controller`; the shell's current one is `lab-controller`.
        let out = Test::new()
            .sim(&sim)
            .repo()
            .site("testcloud")
            .args(&["eval", "--yes", "--set", "require_backup=false"])
            .args(&[&format!("detect_cloud(); juju_destroy_model({name:?})")])
            .run();
        out.status(4)
            .stderr_has("refused by guard `destroy_model.")
            .stderr_has(&format!("model `{name}`"));
        assert!(
            out.journal_lines()
                .iter()
                .any(|l| l["effect"] == "juju_destroy_model" && l["outcome"] == "refused"),
            "{name}: no refusal journaled"
        );
        assert!(destroys(&sim).is_empty(), "{name}: {:#?}", destroys(&sim));
    }
    assert!(!sim.changed());
}

/// The site's own model, already gone, is still reported `absent` (a no-op, exit 0).
#[test]
fn the_sites_own_model_already_gone_is_absent() {
    let sim = SimServer::start("clean");
    let r = applied(&sim, r#"juju_destroy_model("openstack")"#);
    assert_eq!(r["result"], "absent", "{r:#}");
    assert_unchanged(&sim);
}
