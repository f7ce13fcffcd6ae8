//! The juju#22691 guard (Juju 3.6.24 deleted MAAS machines during `destroy-model --force
//! --no-wait`): Phase A snapshots the targets' MAAS records into the backup before the
//! destroy, Phase D checks every target system id still exists, and a target that vanished
//! is a NO-GO row naming the snapshot. The simulator's `delete-on-destroy:HOSTNAME` fault
//! makes the destroy delete that machine.

use serde_json::Value;

use crate::common::session::testcloud;
use crate::common::Output;
use crate::sim_server::{SimServer, JUJU_MAJORS, TEST_SPEED};

fn teardown(sim: &SimServer) -> Output {
    testcloud(sim, "teardown")
        .args(&["--json", "--yes"])
        .set("timeouts.destroy_cli", "5")
        .run()
}

#[test]
fn a_target_deleted_by_the_destroy_is_no_go_naming_its_snapshot() {
    for juju in JUJU_MAJORS {
        deleted_on(juju);
    }
}

fn deleted_on(juju: &str) {
    let sim = SimServer::with_juju("dirty", &["delete-on-destroy:openstack2"], TEST_SPEED, juju);
    let deleted = sim.system_id("openstack2");
    let out = teardown(&sim);
    out.status(1);
    let doc = out.json();
    assert_eq!(doc["verdict"], "no-go", "{}", out.stderr);

    // The snapshot is in the sealed backup, listed in its manifest, with what re-adds it.
    let dirs = out.backups();
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    let snapshot_path = dirs[0].join("maas-targets.json");
    let manifest = std::fs::read_to_string(dirs[0].join("manifest.json")).expect("manifest");
    assert!(manifest.contains("maas-targets.json"), "{manifest}");
    let snapshot: Value =
        serde_json::from_str(&std::fs::read_to_string(&snapshot_path).expect("snapshot"))
            .expect("the snapshot is JSON");
    let machines = snapshot["machines"].as_array().expect("machines");
    assert_eq!(machines.len(), 5, "every target: {snapshot}");
    let record = machines
        .iter()
        .find(|m| m["system_id"] == deleted.as_str())
        .expect("the deleted target's record");
    assert_eq!(record["hostname"], "openstack2");
    assert_eq!(record["architecture"], "amd64/generic");
    assert_eq!(record["power_type"], "virsh");
    assert!(
        record["interfaces"][0]["mac_address"].is_string(),
        "{record}"
    );
    assert!(
        !snapshot.to_string().contains("simulated-secret"),
        "no power password"
    );
    let readd = record["readd"][0].as_str().unwrap_or("");
    assert!(
        readd.starts_with("maas $PROFILE machines create hostname=openstack2 "),
        "{readd}"
    );

    // The snapshot was read from MAAS before the destroy was sent.
    let log = sim.log();
    let position = |what: &dyn Fn(&Value) -> bool| log.iter().position(what);
    let destroy = position(&|e| {
        e["kind"] == "juju"
            && e["request"]
                .as_str()
                .is_some_and(|r| r.contains("destroy-model"))
    })
    .expect("a destroy");
    let power = position(&|e| {
        e["request"]
            .as_str()
            .is_some_and(|r| r.contains(&format!("machines/{deleted}/?op=power_parameters")))
    })
    .expect("the power parameters were read");
    assert!(power < destroy, "snapshot at {power}, destroy at {destroy}");
    // MAAS no longer has it, and nothing tried to release it after it went.
    assert!(sim.machine("openstack2").is_null());

    // Phase D says so; the scorecard's row names the snapshot; the others are GO.
    let snapshot_text = snapshot_path.display().to_string();
    out.stderr_has("deleted during the destroy (juju#22691)")
        .stderr_has(&format!("system id {deleted} is no longer visible"))
        .stderr_has(&snapshot_text);
    let failed: Vec<&Value> = doc["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .filter(|c| c["pass"] == false)
        .collect();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0]["name"], "openstack2 Ready, owner (none)");
    let detail = failed[0]["detail"].as_str().unwrap_or("");
    assert!(
        detail.contains("deleted during the destroy") && detail.contains(&snapshot_text),
        "{detail}"
    );
    for h in ["openstack0", "openstack1", "openstack3", "capi-mgmt"] {
        assert_eq!(sim.machine(h)["status_name"], "Ready", "{h}");
    }
}
