//! The gate's rules, in one place: [`decide`] is a function of the facts the host itself
//! read (fresh, right before the call), the site's scope and the frozen identities.
//! Primitives gather [`Facts`]; they never hand the gate a verdict of their own. The single
//! rules it composes are `rules.rs` (one object each) and `predestroy.rs` (a backup's seal).
//! (About 410 lines of rules; the rest of the file is their tests, kept next to `decide`.)
//!
//! Identity, not names (teardown.md §2): a release needs the machine's system id in the
//! frozen set, a destroy or removal needs the frozen model uuid on the frozen controller,
//! and with nothing frozen every one of them is refused.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::backup::pointer::{judge, Existing};
use crate::backup::seal::Seal;
use crate::effects::effect::{JujuNodeFacts, MachineFacts, ModelFacts, Refusal};
use crate::effects::frozen::{is_uuid, Frozen, FrozenTarget};
use crate::effects::predestroy;
use crate::effects::rules;
use crate::site::Site;

/// What a site allows, copied from it when the gate is built.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Scope {
    pub targets: Vec<String>,
    pub models: Vec<String>,
    pub require_backup: bool,
    pub backup_root: PathBuf,
    pub pointer_file: PathBuf,
    /// `None`: the site has no disk images (bare metal); every wipe is refused.
    pub disk_root: Option<PathBuf>,
    /// The glob of the OSD disk images; only paths it matches are wiped.
    pub osd_disks: String,
    pub wipe_osd: bool,
}

impl Scope {
    pub fn of(site: &Site) -> Scope {
        let disk_root = Some(site.disk_root.clone()).filter(|p| !p.as_os_str().is_empty());
        Scope {
            targets: site.targets.clone(),
            models: site.models.clone(),
            require_backup: site.require_backup,
            backup_root: site.backup_root.clone(),
            pointer_file: site.pointer_file.clone(),
            disk_root,
            osd_disks: site.osd_disks.clone(),
            wipe_osd: site.wipe_osd,
        }
    }
}

/// The facts one effect is decided on, read by the host right before the call.
#[derive(Debug, Clone)]
pub enum Facts {
    /// A MAAS release: the machine as one fresh GET shows it, and the run's MAAS user.
    Release {
        machine: MachineFacts,
        whoami: String,
    },
    /// `juju destroy-model`: the model as a fresh `juju models` shows it, the models this
    /// run sealed a backup of, and the verified pre-destroy backup the pointer names (an
    /// earlier run's, for a re-destroy of the same model once it is dying).
    DestroyModel {
        model: ModelFacts,
        sealed: Vec<String>,
        prior: Option<Seal>,
        /// The model's machines as a fresh `juju machines` shows them (or why it failed).
        machines: Result<Vec<JujuNodeFacts>, String>,
    },
    /// `juju destroy-model` of a model a fresh `juju models` does not list (a no-op): the
    /// name (or uuid) the script passed.
    DestroyAbsent { name: String },
    /// `juju remove-machine`: the model as a fresh `juju models` shows it, and the machine
    /// as a fresh `juju machines` shows it (`None`: not listed; for a container, its host's
    /// node) or why that read failed.
    RemoveMachine {
        model: ModelFacts,
        machine: Result<Option<JujuNodeFacts>, String>,
    },
    /// `wipe_qcow2`: the path, and every frozen target as a fresh MAAS read shows it.
    Wipe {
        path: PathBuf,
        targets: Vec<MachineFacts>,
    },
    WriteBackup {
        run_dirs: Vec<PathBuf>,
        dir: PathBuf,
        file: String,
    },
    SealBackup {
        run_dirs: Vec<PathBuf>,
        dir: PathBuf,
    },
    /// `backup_dir`: the dir, and what the site's pointer file holds now (the backup will
    /// move it: a file that is not a pointer stops the backup before anything is written).
    BackupDir { dir: PathBuf, pointer: Existing },
    /// `set_pointer`: the file and what it holds now, the verified pre-destroy backup it
    /// names now (if any), the new target and its seal.
    SetPointer {
        path: PathBuf,
        existing: Existing,
        current: Option<(PathBuf, Seal)>,
        target: PathBuf,
        new: Option<Seal>,
    },
}

/// Guards on a state the run's own earlier effects bring about: a wipe needs every target
/// Ready and off, which Phase C's releases make so. A dry run (or `runbook plan`) has
/// released nothing, so it plans through these and says the check comes again when the
/// effect runs; a real run (and `apply`) refuses on them like on any guard.
const CHECKED_AGAIN_WHEN_RUN: &[&str] = &["wipe.targets_ready"];

/// Whether a dry run plans through `refusal` (see [`CHECKED_AGAIN_WHEN_RUN`]).
pub fn checked_again_when_run(refusal: &Refusal) -> bool {
    CHECKED_AGAIN_WHEN_RUN.contains(&refusal.guard)
}

fn refuse(guard: &'static str, reason: String) -> Result<(), Refusal> {
    Err(Refusal { guard, reason })
}

const DETECT_FIRST: &str = "nothing was frozen by a state detection in this run; run the detection first (`state::detect(run)`, which calls `detect_cloud()`)";

/// Identity problems found by the detection route UNKNOWN (teardown.md §2); the gate holds
/// to that whatever a script does next: no release, removal, destroy or wipe in this run.
fn identity_problems(frozen: Option<&Frozen>) -> Result<(), Refusal> {
    match frozen {
        Some(f) if !f.problems.is_empty() => refuse(
            "detection.identity",
            format!(
                "the detection found identity problems, so this run releases, removes, destroys and wipes nothing: {}",
                f.problems.join("; ")
            ),
        ),
        _ => Ok(()),
    }
}

/// The gate's decision for one effect.
pub fn decide(scope: &Scope, frozen: Option<&Frozen>, facts: &Facts) -> Result<(), Refusal> {
    decide_one(scope, frozen, facts)?;
    // After the effect's own guards (the more specific refusal wins).
    if matches!(
        facts,
        Facts::Release { .. }
            | Facts::DestroyModel { .. }
            | Facts::RemoveMachine { .. }
            | Facts::Wipe { .. }
    ) {
        identity_problems(frozen)?;
    }
    Ok(())
}

fn decide_one(scope: &Scope, frozen: Option<&Frozen>, facts: &Facts) -> Result<(), Refusal> {
    match facts {
        Facts::Release { machine, whoami } => release(scope, frozen, machine, whoami),
        Facts::DestroyModel {
            model,
            sealed,
            prior,
            machines,
        } => {
            let mut sealed = sealed.clone();
            if predestroy::covers_redestroy(prior.as_ref(), &model.uuid, &model.life) {
                sealed.push(model.name.clone());
            }
            rules::guard_destroy_model(&scope.models, scope.require_backup, &sealed, model)?;
            model_identity("destroy_model.identity", frozen, model)?;
            match machines {
                Ok(machines) => machines
                    .iter()
                    .try_for_each(|m| on_frozen_target("destroy_model.machines", frozen, &model.name, m)),
                // A dying model Juju cannot report on may still need destroying again
                // (teardown.md §3.3); a live one is not destroyed unseen.
                Err(_) if model.life != "alive" => Ok(()),
                Err(e) => refuse(
                    "destroy_model.machines",
                    format!(
                        "could not read the machines of model `{}` right before its destroy ({e}); a live model is not destroyed without knowing which MAAS nodes it would release",
                        model.name
                    ),
                ),
            }
        }
        Facts::DestroyAbsent { name } => destroy_absent(scope, frozen, name),
        Facts::RemoveMachine { model, machine } => {
            rules::guard_remove_machine(&scope.models, model)?;
            model_identity("remove_machine.identity", frozen, model)?;
            match machine {
                Ok(Some(m)) => on_frozen_target("remove_machine.target", frozen, &model.name, m),
                // Not listed: Juju will say so; nothing of anyone's is released.
                Ok(None) => Ok(()),
                Err(e) => refuse(
                    "remove_machine.target",
                    format!(
                        "could not read the machines of model `{}` right before the removal ({e}); a machine is not removed without knowing which MAAS node it would release",
                        model.name
                    ),
                ),
            }
        }
        Facts::Wipe { path, targets } => wipe(scope, frozen, path, targets),
        Facts::WriteBackup {
            run_dirs,
            dir,
            file,
        } => rules::guard_write_backup(run_dirs, dir, file),
        Facts::SealBackup { run_dirs, dir } => {
            if run_dirs.iter().any(|d| d == dir) {
                Ok(())
            } else {
                refuse(
                    "seal_backup.scope",
                    format!("`{}` is not a backup dir made by this run", dir.display()),
                )
            }
        }
        Facts::BackupDir { dir, pointer } => {
            backup_dir(scope, dir)?;
            pointer_file("backup_dir.pointer_file", scope, pointer)
        }
        Facts::SetPointer {
            path,
            existing,
            current,
            target,
            new,
        } => {
            set_pointer(scope, path)?;
            pointer_file("set_pointer.pointer_file", scope, existing)?;
            predestroy::guard_pointer_move(current.as_ref(), target, new.as_ref())
        }
    }
}

/// The release guard on the fresh read: frozen system id with its frozen hostname, hostname
/// in `site.targets`, not locked, owned by the run's MAAS user (a Ready/Releasing machine is
/// a no-op and passes), and deployed by the frozen model where MAAS says which.
fn release(
    scope: &Scope,
    frozen: Option<&Frozen>,
    m: &MachineFacts,
    whoami: &str,
) -> Result<(), Refusal> {
    let Some(frozen) = frozen else {
        return refuse("release.frozen", DETECT_FIRST.to_string());
    };
    let Some(t) = frozen.target(&m.system_id) else {
        return refuse(
            "release.frozen",
            format!(
                "machine `{}` ({}) is not one of the targets frozen by the detection ({})",
                m.system_id,
                m.hostname,
                frozen
                    .targets
                    .iter()
                    .map(|t| format!("{} {}", t.system_id, t.hostname))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
    };
    if t.hostname != m.hostname {
        return refuse(
            "release.hostname",
            format!(
                "machine `{}` is now called `{}`; the detection froze it as `{}`",
                m.system_id, m.hostname, t.hostname
            ),
        );
    }
    rules::guard_release(&scope.targets, whoami, m)?;
    deployed_by_frozen_model(frozen, m)?;
    still_carries_frozen_owner_data(t, m)
}

/// A target the detection saw deployed by a Juju model (`owner_data` naming its uuids)
/// must still name them on the fresh read: owner_data that vanished while the machine is
/// still allocated means it changed hands in between (Juju releasing it would have left it
/// Ready or Releasing, which pass).
fn still_carries_frozen_owner_data(t: &FrozenTarget, m: &MachineFacts) -> Result<(), Refusal> {
    if rules::is_released(m) {
        return Ok(());
    }
    for (key, guard, was, now) in [
        (
            "juju-model-uuid",
            "release.juju_model",
            &t.juju_model_uuid,
            &m.juju_model_uuid,
        ),
        (
            "juju-controller-uuid",
            "release.juju_controller",
            &t.juju_controller_uuid,
            &m.juju_controller_uuid,
        ),
    ] {
        let Some(was) = was.as_deref() else { continue };
        if now.as_deref() != Some(was) {
            return refuse(
                guard,
                format!(
                    "machine `{}` ({}) had `{key}` `{}` in its MAAS owner_data at the detection, but the fresh read shows {} while it is {}: it changed hands since",
                    m.system_id,
                    m.hostname,
                    was.escape_debug(),
                    now.as_deref()
                        .map_or("none".to_string(), |v| format!("`{}`", v.escape_debug())),
                    m.status_name
                ),
            );
        }
    }
    Ok(())
}

/// Where MAAS records which Juju model and controller deployed a machine (`owner_data`),
/// they must be the frozen ones.
pub fn deployed_by_frozen_model(frozen: &Frozen, m: &MachineFacts) -> Result<(), Refusal> {
    // A uuid that is not one says nothing about who deployed the machine: never released.
    for (key, guard, value) in [
        ("juju-model-uuid", "release.juju_model", &m.juju_model_uuid),
        (
            "juju-controller-uuid",
            "release.juju_controller",
            &m.juju_controller_uuid,
        ),
    ] {
        if let Some(v) = value.as_deref().filter(|v| !is_uuid(v)) {
            return refuse(
                guard,
                format!(
                    "machine `{}` ({}) has a malformed `{key}` in its MAAS owner_data: `{}`",
                    m.system_id,
                    m.hostname,
                    v.escape_debug()
                ),
            );
        }
    }
    let controller = frozen
        .model
        .as_ref()
        .map(|model| model.controller_uuid.as_str())
        .or(frozen.controller.as_ref().map(|c| c.uuid.as_str()));
    if let (Some(uuid), Some(want)) = (m.juju_controller_uuid.as_deref(), controller) {
        if uuid != want {
            return refuse(
                "release.juju_controller",
                format!(
                    "machine `{}` ({}) was deployed by Juju controller `{uuid}`, not the frozen controller `{want}`",
                    m.system_id, m.hostname
                ),
            );
        }
    }
    if let Some(uuid) = m.juju_model_uuid.as_deref() {
        if frozen.foreign_models.iter().any(|f| f == uuid) {
            return refuse(
                "release.juju_model",
                format!(
                    "machine `{}` ({}) was deployed by Juju model `{uuid}`, another model than the site's",
                    m.system_id, m.hostname
                ),
            );
        }
    }
    let Some(model) = &frozen.model else {
        return Ok(());
    };
    if let Some(uuid) = m.juju_model_uuid.as_deref() {
        if uuid != model.uuid {
            return refuse(
                "release.juju_model",
                format!(
                    "machine `{}` ({}) was deployed by Juju model `{uuid}`, not the frozen model `{}` ({})",
                    m.system_id, m.hostname, model.uuid, model.qualified
                ),
            );
        }
    }
    Ok(())
}

/// A destroy of a model Juju does not list changes nothing, but it is still only for one of
/// the site's models (by short name, or the frozen model's uuid): a typo or another
/// controller's model is refused, not reported as already gone.
fn destroy_absent(scope: &Scope, frozen: Option<&Frozen>, name: &str) -> Result<(), Refusal> {
    let named = scope
        .models
        .iter()
        .any(|e| e.rsplit('/').next() == Some(name));
    let frozen_uuid = frozen
        .and_then(|f| f.model.as_ref())
        .is_some_and(|m| m.uuid == name);
    if named || frozen_uuid {
        return Ok(());
    }
    refuse(
        "destroy_model.scope",
        format!(
            "model `{}` is not in `site.models` ({}) nor the uuid of the model the detection froze (Juju does not list it on this controller either)",
            name.escape_debug(),
            scope.models.join(", ")
        ),
    )
}

/// The model a fresh read shows must be the frozen one: same uuid, same controller uuid.
/// A machine of the site's model, on a fresh read, runs on a target the detection froze (or
/// on no node yet): removing it, or destroying its model, releases only frozen targets. A
/// model that gained a machine on another node since the detection is not the one frozen.
fn on_frozen_target(
    guard: &'static str,
    frozen: Option<&Frozen>,
    model: &str,
    m: &JujuNodeFacts,
) -> Result<(), Refusal> {
    let Some(frozen) = frozen else {
        return refuse(guard, DETECT_FIRST.to_string());
    };
    let instance = m.instance_id.as_str();
    if instance.is_empty() || instance == "pending" || frozen.target(instance).is_some() {
        return Ok(());
    }
    refuse(
        guard,
        format!(
            "machine {} of model `{model}` runs on MAAS node `{}` ({}), which is not one of the targets frozen by the detection ({}): the model is not only the site's machines any more",
            m.id,
            instance.escape_debug(),
            if m.hostname.is_empty() { "no hostname" } else { m.hostname.as_str() },
            frozen
                .targets
                .iter()
                .map(|t| format!("{} {}", t.system_id, t.hostname))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    )
}

fn model_identity(
    guard: &'static str,
    frozen: Option<&Frozen>,
    model: &ModelFacts,
) -> Result<(), Refusal> {
    let Some(frozen) = frozen else {
        return refuse(guard, DETECT_FIRST.to_string());
    };
    let Some(want) = &frozen.model else {
        return refuse(
            guard,
            format!(
                "the detection froze no model of this site, so model `{}` ({}) may not be touched",
                model.name, model.uuid
            ),
        );
    };
    if model.uuid != want.uuid || model.controller_uuid != want.controller_uuid {
        return refuse(
            guard,
            format!(
                "model `{}` now reads as uuid `{}` on controller `{}`, but the detection froze `{}` uuid `{}` on controller `{}`",
                model.name,
                model.uuid,
                model.controller_uuid,
                want.qualified,
                want.uuid,
                want.controller_uuid
            ),
        );
    }
    Ok(())
}

/// `wipe_qcow2`: the site wipes, has a disk root, the file is one of its `osd_disks` and
/// under the root, and every frozen target is Ready, unowned and powered off on a fresh read.
fn wipe(
    scope: &Scope,
    frozen: Option<&Frozen>,
    path: &Path,
    targets: &[MachineFacts],
) -> Result<(), Refusal> {
    let Some(root) = &scope.disk_root else {
        return refuse(
            "wipe.disk_root",
            "the site has no `disk_root` (bare metal): it has no disk images to wipe".into(),
        );
    };
    if !scope.wipe_osd {
        return refuse(
            "wipe.enabled",
            "the site does not enable the OSD wipe (`wipe_osd: false`)".into(),
        );
    }
    rules::guard_wipe(root, path)?;
    rules::guard_osd_disks(&scope.osd_disks, path)?;
    let Some(frozen) = frozen else {
        return refuse("wipe.targets", DETECT_FIRST.to_string());
    };
    if frozen.targets.is_empty() {
        return refuse(
            "wipe.targets",
            "the detection froze no targets; a wipe needs every target Ready and off".into(),
        );
    }
    for t in &frozen.targets {
        let Some(m) = targets.iter().find(|m| m.system_id == t.system_id) else {
            return refuse(
                "wipe.targets",
                format!(
                    "target `{}` ({}) was not in the fresh MAAS read",
                    t.hostname, t.system_id
                ),
            );
        };
        rules::status_is_consistent("wipe.status", m)?;
        let ready = m.status == crate::clients::maas::status::READY;
        if !ready || m.owner.is_some() || m.power_state != "off" {
            return refuse(
                "wipe.targets_ready",
                format!(
                    "target `{}` ({}) is {}, owner `{}`, power {}: every target must be Ready, unowned and powered off",
                    m.hostname,
                    m.system_id,
                    m.status_name,
                    m.owner.as_deref().unwrap_or("(none)"),
                    m.power_state
                ),
            );
        }
    }
    Ok(())
}

fn backup_dir(scope: &Scope, dir: &Path) -> Result<(), Refusal> {
    let inside = dir.parent() == Some(scope.backup_root.as_path())
        && dir
            .file_name()
            .is_some_and(|n| !n.to_string_lossy().contains(".."));
    if !inside {
        return refuse(
            "backup_dir.scope",
            format!(
                "`{}` is not directly under `site.backup_root` (`{}`)",
                dir.display(),
                scope.backup_root.display()
            ),
        );
    }
    Ok(())
}

/// The site's pointer file is never overwritten unless it is one (see `backup::pointer`).
fn pointer_file(guard: &'static str, scope: &Scope, existing: &Existing) -> Result<(), Refusal> {
    judge(&scope.pointer_file, &scope.backup_root, existing).map_err(|why| Refusal {
        guard,
        reason: format!(
            "{why}\nhint: if it is a stale pointer, move it away; else fix `pointer_file` in the site (or `--set pointer_file=PATH`)"
        ),
    })
}

fn set_pointer(scope: &Scope, path: &Path) -> Result<(), Refusal> {
    if path != scope.pointer_file {
        return refuse(
            "set_pointer.scope",
            format!(
                "`set_pointer` writes only the site's `pointer_file` (`{}`), not `{}`",
                scope.pointer_file.display(),
                path.display()
            ),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::effects::frozen::FrozenModel;

    const MODEL: &str = "3d9f6c1a-5b2e-4f80-a7c4-92e1b8d05f63";
    const CTL: &str = "0c3f9a52-7d1e-4b8e-9a43-5e2f6d8b1c07";
    const OTHER: &str = "11111111-2222-4333-8444-555555555555";

    fn scope() -> Scope {
        Scope {
            targets: vec!["openstack0".into()],
            models: vec!["openstack".into()],
            require_backup: false,
            backup_root: "/b".into(),
            pointer_file: "/p".into(),
            disk_root: Some("/nonexistent-disks".into()),
            osd_disks: "/nonexistent-disks/*.qcow2".into(),
            wipe_osd: true,
        }
    }

    fn frozen() -> Frozen {
        Frozen {
            controller: None,
            model: Some(FrozenModel {
                controller_uuid: CTL.into(),
                uuid: MODEL.into(),
                name: "openstack".into(),
                qualified: "admin/openstack".into(),
                owner: "admin".into(),
            }),
            targets: vec![FrozenTarget {
                system_id: "abc123".into(),
                hostname: "openstack0".into(),
                juju_model_uuid: Some(MODEL.into()),
                juju_controller_uuid: Some(CTL.into()),
            }],
            foreign_models: vec![],
            whoami: "admin".into(),
            problems: vec![],
        }
    }

    #[test]
    fn identity_problems_at_detection_stop_every_destroy_class_effect() {
        let mut f = frozen();
        f.problems = vec!["target `openstack0` (abc123) was deployed by Juju model `x`".into()];
        let e = release(machine(), Some(&f)).unwrap_err();
        assert_eq!(e.guard, "detection.identity");
        assert!(e.reason.contains("abc123"), "{}", e.reason);
        let destroy = Facts::RemoveMachine {
            model: model(MODEL, CTL),
            machine: Ok(None),
        };
        assert_eq!(
            decide(&scope(), Some(&f), &destroy).unwrap_err().guard,
            "detection.identity"
        );
        assert!(release(machine(), Some(&frozen())).is_ok());
    }

    fn machine() -> MachineFacts {
        MachineFacts {
            system_id: "abc123".into(),
            hostname: "openstack0".into(),
            owner: Some("admin".into()),
            locked: false,
            status: crate::clients::maas::status::DEPLOYED,
            status_name: "Deployed".into(),
            power_state: "on".into(),
            juju_model_uuid: Some(MODEL.into()),
            juju_controller_uuid: Some(CTL.into()),
        }
    }

    fn release(m: MachineFacts, f: Option<&Frozen>) -> Result<(), Refusal> {
        decide(
            &scope(),
            f,
            &Facts::Release {
                machine: m,
                whoami: "admin".into(),
            },
        )
    }

    #[test]
    fn a_malformed_uuid_in_owner_data_is_never_released() {
        // Even with no model frozen (nothing to compare the uuid with).
        let mut f = frozen();
        f.model = None;
        for (model, controller, guard) in [
            (Some("garbage"), Some(CTL), "release.juju_model"),
            (Some(MODEL), Some("0c3f9a52"), "release.juju_controller"),
        ] {
            let mut m = machine();
            m.juju_model_uuid = model.map(str::to_string);
            m.juju_controller_uuid = controller.map(str::to_string);
            let e = release(m, Some(&f)).unwrap_err();
            assert_eq!(e.guard, guard);
            assert!(e.reason.contains("malformed"), "{}", e.reason);
        }
        assert!(release(machine(), Some(&f)).is_ok());
    }

    #[test]
    fn release_needs_the_frozen_identity() {
        let f = frozen();
        assert_eq!(release(machine(), Some(&f)), Ok(()));
        assert_eq!(
            release(machine(), None).unwrap_err().guard,
            "release.frozen"
        );
        let mut other = machine();
        other.system_id = "zzz999".into();
        assert_eq!(
            release(other, Some(&f)).unwrap_err().guard,
            "release.frozen"
        );
        let mut renamed = machine();
        renamed.hostname = "openstack1".into();
        assert_eq!(
            release(renamed, Some(&f)).unwrap_err().guard,
            "release.hostname"
        );
        let mut stolen = machine();
        stolen.owner = Some("alice".into());
        assert_eq!(
            release(stolen, Some(&f)).unwrap_err().guard,
            "release.owner"
        );
        let mut locked = machine();
        locked.locked = true;
        assert_eq!(
            release(locked, Some(&f)).unwrap_err().guard,
            "release.locked"
        );
        let mut foreign = machine();
        foreign.juju_model_uuid = Some(OTHER.into());
        assert_eq!(
            release(foreign, Some(&f)).unwrap_err().guard,
            "release.juju_model"
        );
        let mut foreign = machine();
        foreign.juju_controller_uuid = Some(OTHER.into());
        assert_eq!(
            release(foreign, Some(&f)).unwrap_err().guard,
            "release.juju_controller"
        );
    }

    #[test]
    fn owner_data_frozen_at_detection_must_still_be_there_unless_juju_let_go() {
        let f = frozen();
        for (model, controller, guard) in [
            (None, Some(CTL), "release.juju_model"),
            (Some(MODEL), None, "release.juju_controller"),
            (None, None, "release.juju_model"),
        ] {
            let mut m = machine();
            m.juju_model_uuid = model.map(str::to_string);
            m.juju_controller_uuid = controller.map(str::to_string);
            let e = release(m.clone(), Some(&f)).unwrap_err();
            assert_eq!(e.guard, guard);
            assert!(
                e.reason.contains("abc123")
                    && e.reason.contains("at the detection")
                    && e.reason
                        .contains("fresh read shows none while it is Deployed"),
                "{}",
                e.reason
            );
            // Juju released it meanwhile: MAAS clears owner_data; nothing to protect.
            for status in ["Ready", "Releasing"] {
                let gone = MachineFacts {
                    status: crate::clients::maas::status::status_code(status).unwrap(),
                    status_name: status.into(),
                    ..m.clone()
                };
                assert_eq!(release(gone, Some(&f)), Ok(()), "{status}");
            }
        }
        // A target the detection saw without owner_data is not held to it.
        let mut bare = frozen();
        bare.targets[0].juju_model_uuid = None;
        bare.targets[0].juju_controller_uuid = None;
        let mut m = machine();
        m.juju_model_uuid = None;
        m.juju_controller_uuid = None;
        assert_eq!(release(m, Some(&bare)), Ok(()));
    }

    fn model(uuid: &str, ctl: &str) -> ModelFacts {
        ModelFacts {
            name: "openstack".into(),
            qualified: "admin/openstack".into(),
            is_controller: false,
            uuid: uuid.into(),
            controller_uuid: ctl.into(),
            life: "alive".into(),
        }
    }

    #[test]
    fn destroy_and_remove_need_the_frozen_model_uuid() {
        let f = frozen();
        let destroy = |m: ModelFacts, f: Option<&Frozen>| {
            decide(
                &scope(),
                f,
                &Facts::DestroyModel {
                    model: m,
                    sealed: vec![],
                    prior: None,
                    machines: Ok(vec![]),
                },
            )
        };
        assert_eq!(destroy(model(MODEL, CTL), Some(&f)), Ok(()));
        let r = destroy(model(OTHER, CTL), Some(&f)).unwrap_err();
        assert_eq!(r.guard, "destroy_model.identity");
        assert!(r.reason.contains(OTHER) && r.reason.contains(MODEL), "{r}");
        assert!(destroy(model(MODEL, OTHER), Some(&f)).is_err());
        assert!(destroy(model(MODEL, CTL), None).is_err());
        let none = Frozen {
            model: None,
            ..frozen()
        };
        assert!(destroy(model(MODEL, CTL), Some(&none)).is_err());
        let remove = decide(
            &scope(),
            Some(&f),
            &Facts::RemoveMachine {
                model: model(OTHER, CTL),
                machine: Ok(None),
            },
        );
        assert_eq!(remove.unwrap_err().guard, "remove_machine.identity");
    }

    #[test]
    fn a_machine_of_the_model_on_a_node_not_frozen_stops_its_removal_and_the_destroy() {
        let f = frozen();
        let node = |id: &str, instance: &str| JujuNodeFacts {
            id: id.into(),
            instance_id: instance.into(),
            hostname: "h".into(),
        };
        let remove = |m: Result<Option<JujuNodeFacts>, String>| {
            decide(
                &scope(),
                Some(&f),
                &Facts::RemoveMachine {
                    model: model(MODEL, CTL),
                    machine: m,
                },
            )
        };
        assert_eq!(remove(Ok(Some(node("0", "abc123")))), Ok(()));
        assert_eq!(remove(Ok(Some(node("7", "pending")))), Ok(()));
        assert_eq!(remove(Ok(None)), Ok(()));
        let r = remove(Ok(Some(node("5", "hk84nd")))).unwrap_err();
        assert_eq!(r.guard, "remove_machine.target");
        assert!(
            r.reason.contains("machine 5 of model") && r.reason.contains("`hk84nd`"),
            "{r}"
        );
        assert_eq!(
            remove(Err("juju failed".into())).unwrap_err().guard,
            "remove_machine.target"
        );
        let destroy = |life: &str, machines: Result<Vec<JujuNodeFacts>, String>| {
            decide(
                &Scope {
                    require_backup: false,
                    ..scope()
                },
                Some(&f),
                &Facts::DestroyModel {
                    model: ModelFacts {
                        life: life.into(),
                        ..model(MODEL, CTL)
                    },
                    sealed: vec![],
                    prior: None,
                    machines,
                },
            )
        };
        assert_eq!(destroy("alive", Ok(vec![node("0", "abc123")])), Ok(()));
        let r = destroy("alive", Ok(vec![node("0", "abc123"), node("5", "hk84nd")])).unwrap_err();
        assert_eq!(r.guard, "destroy_model.machines");
        assert_eq!(
            destroy("alive", Err("x".into())).unwrap_err().guard,
            "destroy_model.machines"
        );
        assert_eq!(destroy("dying", Err("x".into())), Ok(()));
    }

    #[test]
    fn an_absent_model_is_only_passed_for_the_sites_own() {
        let absent = |name: &str, s: &Scope, f: Option<&Frozen>| {
            decide(s, f, &Facts::DestroyAbsent { name: name.into() })
        };
        let f = frozen();
        assert_eq!(absent("openstack", &scope(), None), Ok(()));
        assert_eq!(absent(MODEL, &scope(), Some(&f)), Ok(()));
        let qualified = Scope {
            models: vec!["admin/openstack".into()],
            ..scope()
        };
        assert_eq!(absent("openstack", &qualified, None), Ok(()));
        for name in ["nosuchmodel", OTHER, "admin", ""] {
            let e = absent(name, &scope(), Some(&f)).unwrap_err();
            assert_eq!(e.guard, "destroy_model.scope", "{name}");
            assert!(e.reason.contains(&format!("model `{name}`")), "{e}");
        }
        // Without a detection a uuid names nothing of the site's.
        assert!(absent(MODEL, &scope(), None).is_err());
    }

    #[test]
    fn a_dying_model_may_be_destroyed_again_on_an_earlier_runs_pre_destroy_backup() {
        let f = frozen();
        let strict = Scope {
            require_backup: true,
            ..scope()
        };
        let prior = crate::backup::seal::Seal {
            model: "openstack".into(),
            model_uuid: MODEL.into(),
            controller_uuid: CTL.into(),
            life: "alive".into(),
            run_id: "r1".into(),
            sealed_at: "2026-12-03T10:00:00Z".into(),
        };
        let destroy = |life: &str, prior: Option<crate::backup::seal::Seal>| {
            decide(
                &strict,
                Some(&f),
                &Facts::DestroyModel {
                    model: ModelFacts {
                        life: life.into(),
                        ..model(MODEL, CTL)
                    },
                    sealed: vec![],
                    prior,
                    machines: Ok(vec![]),
                },
            )
        };
        assert_eq!(destroy("dying", Some(prior.clone())), Ok(()));
        assert_eq!(
            destroy("alive", Some(prior.clone())).unwrap_err().guard,
            "destroy_model.backup",
            "a live model gets a capture of its own first"
        );
        assert_eq!(
            destroy("dying", None).unwrap_err().guard,
            "destroy_model.backup"
        );
        let other = crate::backup::seal::Seal {
            model_uuid: OTHER.into(),
            ..prior
        };
        assert_eq!(
            destroy("dying", Some(other)).unwrap_err().guard,
            "destroy_model.backup"
        );
    }

    #[test]
    fn pointer_and_backup_dir_stay_in_scope() {
        let s = scope();
        let ok = |f: Facts| decide(&s, None, &f);
        let pointer = |path: &str| Facts::SetPointer {
            path: path.into(),
            existing: Existing::Missing,
            current: None,
            target: "/b/x-1".into(),
            new: None,
        };
        assert_eq!(ok(pointer("/p")), Ok(()));
        assert!(ok(pointer("/etc/passwd")).is_err());
        assert_eq!(
            ok(Facts::BackupDir {
                dir: "/b/x-1".into(),
                pointer: Existing::Missing,
            }),
            Ok(())
        );
        assert!(ok(Facts::BackupDir {
            dir: "/tmp/x-1".into(),
            pointer: Existing::Missing,
        })
        .is_err());
        assert!(ok(Facts::BackupDir {
            dir: "/b/x/y".into(),
            pointer: Existing::Missing,
        })
        .is_err());
    }

    #[test]
    fn wipe_needs_disk_root_enabled_site_and_ready_off_targets() {
        let tmp = tempfile::tempdir().unwrap();
        let disk = tmp.path().join("a.qcow2");
        std::fs::write(&disk, b"x").unwrap();
        let mut s = scope();
        s.disk_root = Some(tmp.path().to_path_buf());
        s.osd_disks = format!("{}/*.qcow2", tmp.path().display());
        let f = frozen();
        let ready = MachineFacts {
            owner: None,
            status: crate::clients::maas::status::READY,
            status_name: "Ready".into(),
            power_state: "off".into(),
            ..machine()
        };
        let wipe = |s: &Scope, m: Vec<MachineFacts>| {
            decide(
                s,
                Some(&f),
                &Facts::Wipe {
                    path: disk.clone(),
                    targets: m,
                },
            )
        };
        assert_eq!(wipe(&s, vec![ready.clone()]), Ok(()));
        let on = MachineFacts {
            power_state: "on".into(),
            ..ready.clone()
        };
        assert_eq!(wipe(&s, vec![on]).unwrap_err().guard, "wipe.targets_ready");
        assert_eq!(wipe(&s, vec![]).unwrap_err().guard, "wipe.targets");
        let owned = MachineFacts {
            owner: Some("admin".into()),
            ..ready.clone()
        };
        assert_eq!(
            wipe(&s, vec![owned]).unwrap_err().guard,
            "wipe.targets_ready"
        );
        let mut off = s.clone();
        off.wipe_osd = false;
        assert_eq!(
            wipe(&off, vec![ready.clone()]).unwrap_err().guard,
            "wipe.enabled"
        );
        let mut narrow = s.clone();
        narrow.osd_disks = format!("{}/openstack[0-3]-1.qcow2", tmp.path().display());
        assert_eq!(
            wipe(&narrow, vec![ready.clone()]).unwrap_err().guard,
            "wipe.osd_disks"
        );
        let mut bare = s.clone();
        bare.disk_root = None;
        assert_eq!(
            wipe(&bare, vec![ready]).unwrap_err().guard,
            "wipe.disk_root"
        );
    }
}
