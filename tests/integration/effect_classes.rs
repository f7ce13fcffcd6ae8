//! The effect class is declared once: what the gate is given for each effect it plans is
//! what `runbook doc` shows for that primitive.

use std::collections::BTreeMap;

use crate::common::Test;
use crate::primitives_fixture::assert_unchanged;
use crate::sim_server::SimServer;

const REPO: &str = env!("CARGO_MANIFEST_DIR");

/// `runbook doc --json`'s class for each primitive.
fn doc_classes() -> BTreeMap<String, String> {
    let out = Test::new().args(&["doc", "--json"]).run();
    out.status(0);
    out.json()["primitives"]
        .as_array()
        .expect("primitives")
        .iter()
        .map(|p| {
            (
                p["name"].as_str().expect("name").to_string(),
                p["effect"].as_str().expect("effect").to_string(),
            )
        })
        .collect()
}

#[test]
fn a_dry_run_plans_each_effect_with_the_class_doc_shows() {
    let sim = SimServer::start("dirty");
    let out = Test::new()
        .args(&[
            "run",
            "teardown",
            "--dry-run",
            "--json",
            "--root",
            REPO,
            "--site",
            "testcloud",
            "--set",
            "osd_disks=",
        ])
        .envs(sim.env())
        .run();
    let plan = out.json()["plan"].as_array().expect("plan").clone();
    let doc = doc_classes();
    let mut seen: Vec<(String, String)> = plan
        .iter()
        .map(|p| {
            let effect = p["effect"].as_str().expect("effect").to_string();
            let class = p["class"].as_str().expect("class").to_string();
            assert_eq!(
                doc.get(&effect),
                Some(&class),
                "`{effect}` was planned as `{class}`"
            );
            (effect, class)
        })
        .collect();
    seen.sort();
    seen.dedup();
    assert_eq!(
        seen,
        [
            ("backup_dir", "change"),
            ("juju_destroy_model", "destroy"),
            ("release", "destroy"),
            ("seal_backup", "change"),
            ("set_pointer", "change"),
            ("write_backup", "change"),
        ]
        .map(|(e, c)| (e.to_string(), c.to_string()))
    );
    assert_unchanged(&sim);
}
