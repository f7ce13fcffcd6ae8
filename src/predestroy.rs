//! The pre-destroy backup, by identity: which model (uuid) a sealed backup captured and
//! whether that model was alive then (teardown.md §3.2 Phase A). `seal_backup` writes
//! `seal.json` next to the manifest, from a fresh read of the model.
//!
//! Two rules rest on it, enforced in the host (teardown.md §2, a teardown in progress):
//! - the pointer is never moved away from the verified pre-destroy backup of a model uuid X
//!   to a capture of X taken while X was being destroyed (or to a dir with no seal) — a
//!   re-run's capture of a dying model is never "the pre-destroy backup";
//! - a model that is already dying may be destroyed again (remediation) on the strength of
//!   the verified pre-destroy backup of that same uuid, sealed by an earlier run.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::effects::Refusal;

/// The seal record's file name inside a backup dir.
pub const SEAL: &str = "seal.json";

/// What a seal says about the model a backup captured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seal {
    pub model: String,
    pub model_uuid: String,
    pub controller_uuid: String,
    /// The model's life when the backup was sealed: `alive`, `dying`, `dead`, or `absent`
    /// (not listed).
    pub life: String,
    pub run_id: String,
    /// RFC 3339.
    pub sealed_at: String,
}

impl Seal {
    /// A backup of a live model: the one taken before its destroy.
    pub fn is_pre_destroy(&self) -> bool {
        self.life == "alive"
    }
}

/// The seal for a backup of `model`, from a fresh read of it (on the frozen controller, by
/// the frozen uuid when there is one). A model Juju does not list is `absent`; a read that
/// fails leaves the uuid empty and the life `unknown` (such a seal never counts as a
/// pre-destroy backup).
pub fn seal_for(run: &crate::context::RunContext, model: &str) -> Seal {
    let read = run
        .juju()
        .and_then(|juju| crate::primitives::juju::model_facts(run, juju, model));
    let (model_uuid, controller_uuid, life) = match read {
        Ok(Some(m)) => (m.uuid, m.controller_uuid, m.life),
        Ok(None) => (String::new(), String::new(), "absent".to_string()),
        Err(_) => (String::new(), String::new(), "unknown".to_string()),
    };
    Seal {
        model: model.to_string(),
        model_uuid,
        controller_uuid,
        life,
        run_id: run.run_id().to_string(),
        sealed_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    }
}

/// Write `seal.json` into a backup dir (atomically).
pub fn write_seal(dir: &Path, seal: &Seal) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(seal)?;
    crate::primitives::files::write_atomic(&dir.join(SEAL), text.as_bytes())
}

/// The seal of `dir`, if it has a readable one.
pub fn read_seal(dir: &Path) -> Option<Seal> {
    let text = std::fs::read_to_string(dir.join(SEAL)).ok()?;
    serde_json::from_str(&text).ok()
}

/// The backup the pointer file names, when it verifies and its seal says it captured a live
/// model: `(dir, seal)`.
pub fn pointed_pre_destroy(pointer_file: &Path) -> Option<(PathBuf, Seal)> {
    let text = std::fs::read_to_string(pointer_file).ok()?;
    let dir = PathBuf::from(text.trim());
    let seal = read_seal(&dir).filter(Seal::is_pre_destroy)?;
    crate::primitives::files::verify_backup(&dir, false).ok()?;
    Some((dir, seal))
}

/// `set_pointer`: never away from the verified pre-destroy backup of model uuid X (`current`)
/// to a dir without a seal, or to a capture of X taken while X was not alive.
pub fn guard_pointer_move(
    current: Option<&(PathBuf, Seal)>,
    target: &Path,
    new: Option<&Seal>,
) -> Result<(), Refusal> {
    let Some((dir, held)) = current else {
        return Ok(());
    };
    if dir == target {
        return Ok(());
    }
    let keeps = |why: String| {
        Refusal {
        guard: "set_pointer.pre_destroy",
        reason: format!(
            "the pointer names `{}`, the backup of model `{}` (uuid {}) taken before its destroy (sealed {} by run {}); {why}",
            dir.display(),
            held.model,
            held.model_uuid,
            held.sealed_at,
            held.run_id
        ),
    }
    };
    match new {
        None => Err(keeps(format!(
            "`{}` has no seal: it is not a backup of any model",
            target.display()
        ))),
        Some(s) if s.model_uuid.is_empty() => Err(keeps(format!(
            "the seal of `{}` does not say which model it captured (Juju could not be read when it was sealed)",
            target.display()
        ))),
        Some(s) if s.model_uuid == held.model_uuid && !s.is_pre_destroy() => Err(keeps(format!(
            "`{}` was captured while that model was {}, so it is not the pre-destroy backup",
            target.display(),
            s.life
        ))),
        Some(_) => Ok(()),
    }
}

/// Whether `prior` (the pointer's verified pre-destroy backup) covers a re-destroy of the
/// model with `uuid` whose fresh life is `life`: the same uuid, and the model already dying.
pub fn covers_redestroy(prior: Option<&Seal>, uuid: &str, life: &str) -> bool {
    prior.is_some_and(|p| p.model_uuid == uuid && !uuid.is_empty()) && life != "alive"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seal(uuid: &str, life: &str) -> Seal {
        Seal {
            model: "openstack".into(),
            model_uuid: uuid.into(),
            controller_uuid: "c".into(),
            life: life.into(),
            run_id: "r1".into(),
            sealed_at: "2026-12-03T10:00:00Z".into(),
        }
    }

    #[test]
    fn the_pointer_keeps_the_pre_destroy_backup_of_a_model() {
        let held = (PathBuf::from("/b/pre-1"), seal("X", "alive"));
        let to = Path::new("/b/pre-2");
        let dying = seal("X", "dying");
        let r = guard_pointer_move(Some(&held), to, Some(&dying)).unwrap_err();
        assert_eq!(r.guard, "set_pointer.pre_destroy");
        assert!(
            r.reason.contains("/b/pre-1") && r.reason.contains("dying"),
            "{r}"
        );
        assert!(
            guard_pointer_move(Some(&held), to, None).is_err(),
            "no seal"
        );
        assert!(
            guard_pointer_move(Some(&held), to, Some(&seal("", "unknown"))).is_err(),
            "a seal that does not know its model"
        );
        // A newer backup of the live model, another model's, or the same dir: allowed.
        assert!(guard_pointer_move(Some(&held), to, Some(&seal("X", "alive"))).is_ok());
        assert!(guard_pointer_move(Some(&held), to, Some(&seal("Y", "dying"))).is_ok());
        assert!(guard_pointer_move(Some(&held), Path::new("/b/pre-1"), None).is_ok());
        // Nothing held: anything goes.
        assert!(guard_pointer_move(None, to, Some(&dying)).is_ok());
    }

    #[test]
    fn a_prior_backup_covers_only_a_redestroy_of_the_same_dying_model() {
        let prior = seal("X", "alive");
        assert!(covers_redestroy(Some(&prior), "X", "dying"));
        assert!(
            !covers_redestroy(Some(&prior), "X", "alive"),
            "a live model gets a fresh capture"
        );
        assert!(!covers_redestroy(Some(&prior), "Y", "dying"));
        assert!(!covers_redestroy(None, "X", "dying"));
    }

    #[test]
    fn only_a_verified_sealed_backup_of_a_live_model_is_pointed_pre_destroy() {
        let dir = tempfile::tempdir().unwrap();
        let pointer = dir.path().join("pointer");
        assert!(pointed_pre_destroy(&pointer).is_none(), "no pointer");
        let backup = dir.path().join("b");
        std::fs::create_dir(&backup).unwrap();
        std::fs::write(&pointer, format!("{}\n", backup.display())).unwrap();
        let write = |s: &Seal| {
            std::fs::write(backup.join(SEAL), serde_json::to_string(s).unwrap()).unwrap()
        };
        write(&seal("X", "alive"));
        assert!(
            pointed_pre_destroy(&pointer).is_none(),
            "a backup that does not verify (no manifest) is not one"
        );
        write(&seal("X", "dying"));
        assert!(pointed_pre_destroy(&pointer).is_none());
    }
}
