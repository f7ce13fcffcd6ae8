//! The frozen identities of a run: what detection saw, by identity, not by name.
//!
//! The host freezes them from its own reads (`detect_cloud()`, called by the detection in
//! `stdlib/state.rhai`), so a script can never inject an id: the controller by uuid, the
//! model by controller uuid + model uuid (+ owner), the targets by MAAS system id. The
//! effects gate refuses every release, removal, destroy and wipe outside them, and with
//! nothing frozen it refuses them all (teardown.md §2: detect first, then act).
//!
//! Serializable, so later commands (plans) can read them out of `RunContext`.

use serde::Serialize;

/// The Juju controller the run talks to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FrozenController {
    pub name: String,
    pub uuid: String,
    /// The user logged in to it: a bare `site.models` name means this user's model.
    pub user: String,
}

/// The site's model as detection found it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FrozenModel {
    pub controller_uuid: String,
    pub uuid: String,
    /// The short name, e.g. `openstack`.
    pub name: String,
    /// The owner-qualified name, e.g. `admin/openstack`.
    pub qualified: String,
    pub owner: String,
}

/// One of the site's targets as detection found it in MAAS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FrozenTarget {
    pub system_id: String,
    pub hostname: String,
    /// `owner_data["juju-model-uuid"]` as the detection read it: when it named the model,
    /// the release needs it still there (else the machine changed hands in between).
    pub juju_model_uuid: Option<String>,
    /// `owner_data["juju-controller-uuid"]` as the detection read it.
    pub juju_controller_uuid: Option<String>,
}

/// Everything detection froze. `model` is `None` when the site's model is absent (a clean
/// or foreign cloud): then no destroy or removal is allowed at all.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Frozen {
    pub controller: Option<FrozenController>,
    pub model: Option<FrozenModel>,
    pub targets: Vec<FrozenTarget>,
    /// Uuids of the other models the controller listed (not the site's): a machine one of
    /// them deployed is never released.
    pub foreign_models: Vec<String>,
    /// The MAAS user of this run (`maas_whoami()` when frozen).
    pub whoami: String,
    /// Identity problems the detection found (a target deployed by another model or
    /// controller, a malformed uuid, an ambiguous model name): while there are any, the gate
    /// refuses every release, removal, destroy and wipe of the run.
    pub problems: Vec<String>,
}

impl Frozen {
    /// The frozen target with this system id, if any.
    pub fn target(&self, system_id: &str) -> Option<&FrozenTarget> {
        self.targets.iter().find(|t| t.system_id == system_id)
    }
}

/// True for the canonical 8-4-4-4-12 hex form Juju uses for model and controller uuids.
pub fn is_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    let lens = [8, 4, 4, 4, 12];
    parts.len() == 5
        && parts
            .iter()
            .zip(lens)
            .all(|(p, n)| p.len() == n && p.chars().all(|c| c.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_checked_by_shape() {
        assert!(is_uuid("3d9f6c1a-5b2e-4f80-a7c4-92e1b8d05f63"));
        assert!(!is_uuid("3d9f6c1a-5b2e-4f80-a7c4-92e1b8d05f6"));
        assert!(!is_uuid("not-a-uuid"));
        assert!(!is_uuid(""));
        assert!(!is_uuid("3d9f6c1a-5b2e-4f80-a7c4-92e1b8d05fzz"));
    }

    #[test]
    fn targets_are_found_by_system_id_only() {
        let f = Frozen {
            targets: vec![FrozenTarget {
                system_id: "abc123".into(),
                hostname: "openstack0".into(),
                juju_model_uuid: None,
                juju_controller_uuid: None,
            }],
            ..Frozen::default()
        };
        assert!(f.target("abc123").is_some());
        assert!(f.target("openstack0").is_none());
    }
}
