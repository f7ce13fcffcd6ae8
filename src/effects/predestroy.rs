//! The pre-destroy backup, by identity: the two rules that rest on a backup's seal
//! ([`crate::backup::seal`]), enforced in the host (teardown.md §2, a teardown in progress):
//! - the pointer is never moved away from the verified pre-destroy backup of a model uuid X
//!   to a capture of X taken while X was being destroyed (or to a dir with no seal) — a
//!   re-run's capture of a dying model is never "the pre-destroy backup";
//! - a model that is already dying may be destroyed again (remediation) on the strength of
//!   the verified pre-destroy backup of that same uuid, sealed by an earlier run.

use std::path::{Path, PathBuf};

use crate::backup::seal::Seal;
use crate::effects::Refusal;

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
    use crate::backup::seal::Seal;

    #[test]
    fn the_pointer_keeps_the_pre_destroy_backup_of_a_model() {
        let held = (PathBuf::from("/b/pre-1"), Seal::example("X", "alive"));
        let to = Path::new("/b/pre-2");
        let dying = Seal::example("X", "dying");
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
            guard_pointer_move(Some(&held), to, Some(&Seal::example("", "unknown"))).is_err(),
            "a seal that does not know its model"
        );
        // A newer backup of the live model, another model's, or the same dir: allowed.
        assert!(guard_pointer_move(Some(&held), to, Some(&Seal::example("X", "alive"))).is_ok());
        assert!(guard_pointer_move(Some(&held), to, Some(&Seal::example("Y", "dying"))).is_ok());
        assert!(guard_pointer_move(Some(&held), Path::new("/b/pre-1"), None).is_ok());
        // Nothing held: anything goes.
        assert!(guard_pointer_move(None, to, Some(&dying)).is_ok());
    }

    #[test]
    fn a_prior_backup_covers_only_a_redestroy_of_the_same_dying_model() {
        let prior = Seal::example("X", "alive");
        assert!(covers_redestroy(Some(&prior), "X", "dying"));
        assert!(
            !covers_redestroy(Some(&prior), "X", "alive"),
            "a live model gets a fresh capture"
        );
        assert!(!covers_redestroy(Some(&prior), "Y", "dying"));
        assert!(!covers_redestroy(None, "X", "dying"));
    }
}
