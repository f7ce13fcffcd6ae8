//! `seal.json`: which model (uuid) a sealed backup captured and whether that model was alive
//! then (teardown.md §3.2 Phase A). `seal_backup` writes it next to the manifest, from a fresh
//! read of the model; the pre-destroy rules (`effects::predestroy`) read it back.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

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

/// Write `seal.json` into a backup dir (atomically).
pub fn write_seal(dir: &Path, seal: &Seal) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(seal)?;
    super::write_atomic(&dir.join(SEAL), text.as_bytes())
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
    super::verify_backup(&dir, false).ok()?;
    Some((dir, seal))
}

/// A seal of model `openstack` with `uuid` and `life`, for the tests of the pointer rules.
#[cfg(test)]
impl Seal {
    pub(crate) fn example(uuid: &str, life: &str) -> Seal {
        Seal {
            model: "openstack".into(),
            model_uuid: uuid.into(),
            controller_uuid: "c".into(),
            life: life.into(),
            run_id: "r1".into(),
            sealed_at: "2026-12-03T10:00:00Z".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        write(&Seal::example("X", "alive"));
        assert!(
            pointed_pre_destroy(&pointer).is_none(),
            "a backup that does not verify (no manifest) is not one"
        );
        write(&Seal::example("X", "dying"));
        assert!(pointed_pre_destroy(&pointer).is_none());
    }
}
