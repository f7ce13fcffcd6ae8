//! What a simulator's request log and state prove after a run: what changed, which juju
//! commands and MAAS releases arrived, and whether the site's cloud is torn down.

use serde_json::Value;

use crate::common::two_fields;
use crate::sim_server::{SimServer, TARGETS};

/// Juju's force-destroy of the model `openstack`, as the procedure runs it.
pub const DESTROY: [&str; 6] = [
    "destroy-model",
    "openstack",
    "--force",
    "--no-wait",
    "--destroy-storage",
    "--no-prompt",
];

/// Every target in `state` (`/_sim/state`) is Ready with no owner.
pub fn targets_ready(state: &Value) -> bool {
    state["machines"].as_array().is_some_and(|ms| {
        ms.iter()
            .filter(|m| TARGETS.iter().any(|t| m["hostname"] == *t))
            .all(|m| m["status_name"] == "Ready" && m["owner"].is_null())
    })
}

impl SimServer {
    /// Every logged request that changed the cloud, as `KIND REQUEST`.
    pub fn changes(&self) -> Vec<String> {
        self.log()
            .into_iter()
            .filter(|e| e["changed"] == true)
            .map(|e| two_fields(&e, "kind", "request"))
            .collect()
    }

    /// Every release POST MAAS received.
    pub fn release_posts(&self) -> Vec<String> {
        let mut posts = self.requests_of("maas");
        posts.retain(|r| r.starts_with("POST") && r.contains("op=release"));
        posts
    }

    /// Nothing was released, destroyed or removed; the changes otherwise.
    pub fn assert_unchanged(&self) {
        assert!(!self.changed(), "changed: {:?}", self.changes());
    }

    /// Every request only read the cloud: MAAS GETs and juju's read commands (a capture's
    /// `export-bundle` among them), none of them changing anything.
    pub fn assert_only_read(&self) {
        const READS: [&str; 7] = [
            "models",
            "show-model",
            "version",
            "status",
            "machines",
            "controllers",
            "export-bundle",
        ];
        for e in self.log() {
            let request = e["request"].as_str().unwrap_or("");
            let read = match e["kind"].as_str() {
                Some("maas") => request.starts_with("GET "),
                _ => READS.contains(&request.split(' ').next().unwrap_or("")),
            };
            assert!(read && e["changed"] == false, "the cloud saw {e}");
        }
    }

    /// The juju commands in the log containing `needle`.
    pub fn juju_commands(&self, needle: &str) -> Vec<String> {
        self.requests_of("juju")
            .into_iter()
            .filter(|r| r.contains(needle))
            .collect()
    }

    /// The system ids of every release request in the log.
    pub fn released_ids(&self) -> Vec<String> {
        self.requests_of("maas")
            .into_iter()
            .filter(|r| r.starts_with("POST") && r.contains("op=release"))
            .filter_map(|r| {
                r.split("/machines/")
                    .nth(1)
                    .map(|s| s.split('/').next().unwrap_or("").to_string())
            })
            .collect()
    }

    /// The system ids of the site's targets, as the simulator holds them now.
    pub fn target_ids(&self) -> Vec<String> {
        TARGETS
            .iter()
            .filter_map(|h| self.machine(h)["system_id"].as_str().map(str::to_string))
            .collect()
    }

    /// The names of the models the simulator holds now.
    pub fn model_names(&self) -> Vec<String> {
        self.state()["models"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|m| m["name"].as_str().map(str::to_string))
            .collect()
    }

    /// The model with this uuid, if it is still there.
    pub fn model(&self, uuid: &str) -> Option<Value> {
        self.state()["models"]
            .as_array()?
            .iter()
            .find(|m| m["uuid"] == uuid)
            .cloned()
    }

    /// The model `openstack` is gone and every target is Ready with no owner.
    pub fn assert_torn_down(&self) {
        for h in TARGETS {
            let m = self.machine(h);
            assert_eq!(m["status_name"], "Ready", "{h}: {m}");
            assert!(m["owner"].is_null(), "{h} still owned: {m}");
        }
        let models = self.model_names();
        assert!(
            !models.iter().any(|m| m == "openstack"),
            "model still listed: {models:?}"
        );
    }
}
