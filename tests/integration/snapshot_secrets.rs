//! The targets' MAAS snapshot in the pre-destroy backup keeps what re-adds a machine and no
//! secret: an IPMI target's BMC password and its `k_g` BMC key are left out of the saved
//! power parameters and of the `readd` command (a `$POWER_*` variable stands in for each).

use serde_json::Value;

use crate::identity_controllers::teardown;
use crate::sim_server::{SimServer, TEST_SPEED};

#[test]
fn an_ipmi_targets_bmc_key_is_not_saved() {
    let id = SimServer::start("dirty").system_id("openstack0");
    let ipmi = format!("preset:{id}:power_type=ipmi");
    let sim = SimServer::with("dirty", &[&ipmi], TEST_SPEED);
    let out = teardown(&sim, &[]);
    out.status(0);
    let dirs = out.backups();
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    let text = std::fs::read_to_string(dirs[0].join("maas-targets.json")).expect("snapshot");
    assert!(!text.contains("simulated-bmc-key"), "the k_g key was saved");
    assert!(
        !text.contains("simulated-secret"),
        "the BMC password was saved"
    );
    let snapshot: Value = serde_json::from_str(&text).expect("JSON");
    let record = snapshot["machines"]
        .as_array()
        .expect("machines")
        .iter()
        .find(|m| m["system_id"] == id.as_str())
        .expect("openstack0's record")
        .clone();
    assert_eq!(record["power_type"], "ipmi");
    assert_eq!(record["power_parameters"]["power_user"], "maas");
    assert!(record["power_parameters"].get("k_g").is_none(), "{record}");
    assert_eq!(
        record["power_parameters_note"],
        "secret power parameters not saved: k_g, power_pass"
    );
    let readd = record["readd"][0].as_str().unwrap_or_default();
    assert!(
        readd.contains("power_type=ipmi")
            && readd.contains("power_parameters_k_g=\"$POWER_K_G\"")
            && readd.contains("power_parameters_power_pass=\"$POWER_POWER_PASS\""),
        "{readd}"
    );
}
