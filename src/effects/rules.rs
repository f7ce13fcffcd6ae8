//! The single rules the guards (`guards.rs`) compose: pure functions of one object's facts
//! and the site's scope, each a [`Refusal`] naming itself when it says no. Always enforced,
//! even with `--yes`.

use std::path::{Component, Path, PathBuf};

use crate::backup::MANIFEST;
use crate::clients::maas::status;
use crate::effects::effect::{MachineFacts, ModelFacts, Refusal};

/// A machine record whose `status_name` is not the name of its status code contradicts
/// itself (a proxy or a MAAS bug rewrote one of them): no change is decided on it.
pub fn status_is_consistent(guard: &'static str, m: &MachineFacts) -> Result<(), Refusal> {
    let named = status::status_name(m.status);
    if named == m.status_name {
        return Ok(());
    }
    Err(Refusal {
        guard,
        reason: format!(
            "machine `{}` ({}) has status code {} ({named}) but status_name `{}`: MAAS's record contradicts itself; nothing is decided on it",
            m.system_id,
            m.hostname,
            m.status,
            m.status_name.escape_debug()
        ),
    })
}

/// Ready or Releasing by MAAS's status code: a release would change nothing.
pub fn is_released(m: &MachineFacts) -> bool {
    matches!(m.status, status::READY | status::RELEASING)
}

/// `release`: the machine's hostname is in `site.targets`, it is not locked, its record is
/// consistent, and (unless it is already Ready/Releasing by its status code, which is a
/// no-op) its owner is `whoami`.
pub fn guard_release(targets: &[String], whoami: &str, m: &MachineFacts) -> Result<(), Refusal> {
    let refuse = |reason: String| {
        Err(Refusal {
            guard: "release.target",
            reason,
        })
    };
    if !targets.iter().any(|t| t == &m.hostname) {
        return refuse(format!(
            "machine `{}` ({}) is not in `site.targets` ({})",
            m.system_id,
            m.hostname,
            targets.join(", ")
        ));
    }
    if m.locked {
        return Err(Refusal {
            guard: "release.locked",
            reason: format!(
                "machine `{}` ({}) is locked in MAAS; unlock it first if it really must go",
                m.system_id, m.hostname
            ),
        });
    }
    status_is_consistent("release.status", m)?;
    if is_released(m) {
        return Ok(());
    }
    match &m.owner {
        Some(owner) if owner == whoami => Ok(()),
        owner => Err(Refusal {
            guard: "release.owner",
            reason: format!(
                "machine `{}` ({}) is owned by `{}`, not `{whoami}`",
                m.system_id,
                m.hostname,
                owner.as_deref().unwrap_or("(none)")
            ),
        }),
    }
}

/// `juju_destroy_model`: in `site.models`, not a controller model, and sealed by this run's
/// `seal_backup` unless `require_backup` is false.
pub fn guard_destroy_model(
    models: &[String],
    require_backup: bool,
    sealed: &[String],
    model: &ModelFacts,
) -> Result<(), Refusal> {
    guard_model("destroy_model", models, model)?;
    if require_backup && !sealed.iter().any(|s| s == &model.name) {
        return Err(Refusal {
            guard: "destroy_model.backup",
            reason: format!(
                "no backup of model `{}` sealed in this run verifies now (none was sealed, or a capture changed after the seal); run Phase A (`seal_backup(dir, \"{}\")`) first",
                model.name, model.name
            ),
        });
    }
    Ok(())
}

fn guard_model(prefix: &'static str, models: &[String], model: &ModelFacts) -> Result<(), Refusal> {
    let (scope, controller) = match prefix {
        "destroy_model" => ("destroy_model.scope", "destroy_model.controller"),
        _ => ("remove_machine.scope", "remove_machine.controller"),
    };
    if model.is_controller {
        return Err(Refusal {
            guard: controller,
            reason: format!("model `{}` is a controller model", model.name),
        });
    }
    // A bare entry names the short name, a qualified one `owner/name`; which model of that
    // name it is, the frozen uuid decides (`*.identity`).
    if !models
        .iter()
        .any(|m| m == &model.name || m == &model.qualified)
    {
        return Err(Refusal {
            guard: scope,
            reason: format!(
                "model `{}` is not in `site.models` ({})",
                model.name,
                models.join(", ")
            ),
        });
    }
    Ok(())
}

/// `juju_remove_machine`: the model is in `site.models` and is not a controller model.
pub fn guard_remove_machine(models: &[String], model: &ModelFacts) -> Result<(), Refusal> {
    guard_model("remove_machine", models, model)
}

/// `wipe_qcow2`: the path, as given, is one of the site's OSD disks (`osd_disks`, a glob;
/// empty: the site has none), with no `.`/`..` step and not itself a symlink, so a name
/// the glob admits cannot stand for another image under `disk_root`.
pub fn guard_osd_disks(osd_disks: &str, path: &Path) -> Result<(), Refusal> {
    let refuse = |reason: String| {
        Err(Refusal {
            guard: "wipe.osd_disks",
            reason,
        })
    };
    let shown = path.display().to_string();
    let shown = shown.escape_debug();
    if osd_disks.trim().is_empty() {
        return refuse(format!(
            "`{shown}` is not one of the site's OSD disks: `osd_disks` is empty (the site has none)"
        ));
    }
    let pattern = match glob::Pattern::new(osd_disks) {
        Ok(p) => p,
        Err(e) => {
            return refuse(format!(
                "`osd_disks` `{osd_disks}` is not a valid glob: {e}"
            ))
        }
    };
    let literal = glob::MatchOptions {
        case_sensitive: true,
        require_literal_separator: true,
        require_literal_leading_dot: true,
    };
    let plain = path
        .components()
        .all(|c| !matches!(c, Component::CurDir | Component::ParentDir));
    if !plain || !pattern.matches_path_with(path, literal) {
        return refuse(format!(
            "`{shown}` does not match the site's OSD disks `osd_disks` = `{osd_disks}`"
        ));
    }
    if path
        .symlink_metadata()
        .is_ok_and(|m| m.file_type().is_symlink())
    {
        return refuse(format!(
            "`{shown}` matches `osd_disks` = `{osd_disks}` but is a symlink; only the image itself is wiped"
        ));
    }
    Ok(())
}

/// `wipe_qcow2`: the path resolves (symlinks followed) to a file under `disk_root`.
pub fn guard_wipe(disk_root: &Path, path: &Path) -> Result<(), Refusal> {
    let refuse = |reason: String| {
        Err(Refusal {
            guard: "wipe.disk_root",
            reason,
        })
    };
    let root = match disk_root.canonicalize() {
        Ok(r) => r,
        Err(e) => {
            return refuse(format!(
                "`site.disk_root` `{}` cannot be resolved: {e}",
                disk_root.display()
            ))
        }
    };
    let real = match path.canonicalize() {
        Ok(r) => r,
        Err(e) => return refuse(format!("`{}` cannot be resolved: {e}", path.display())),
    };
    if !real.starts_with(&root) || real == root {
        return refuse(format!(
            "`{}` resolves to `{}`, outside `{}`",
            path.display(),
            real.display(),
            root.display()
        ));
    }
    if !real.is_file() {
        return refuse(format!("`{}` is not a regular file", real.display()));
    }
    Ok(())
}

/// `write_backup`: `dir` is one of this run's backup dirs, `file` is a relative name without
/// `..`, and nothing on the way (an existing file or folder) is a symlink.
pub fn guard_write_backup(run_dirs: &[PathBuf], dir: &Path, file: &str) -> Result<(), Refusal> {
    let refuse = |reason: String| {
        Err(Refusal {
            guard: "write_backup.scope",
            reason,
        })
    };
    if !run_dirs.iter().any(|d| d == dir) {
        return refuse(format!(
            "`{}` is not a backup dir made by this run (`backup_dir`)",
            dir.display()
        ));
    }
    let rel = Path::new(file);
    if file.is_empty() || rel.is_absolute() {
        return refuse(format!(
            "file name `{file}` must be relative to the backup dir"
        ));
    }
    if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
        return refuse(format!("file name `{file}` may not contain `..` or `.`"));
    }
    if file == MANIFEST {
        return refuse(format!("`{MANIFEST}` is kept by the host"));
    }
    let mut at = dir.to_path_buf();
    if is_symlink(&at) {
        return refuse(format!("backup dir `{}` is a symlink", dir.display()));
    }
    for part in rel.components() {
        at.push(part);
        if is_symlink(&at) {
            return refuse(format!(
                "`{}` is a symlink; backups never follow symlinks",
                at.display()
            ));
        }
    }
    Ok(())
}

fn is_symlink(p: &Path) -> bool {
    std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn machine(host: &str, owner: Option<&str>, locked: bool, status: &str) -> MachineFacts {
        MachineFacts {
            system_id: "4y3h7n".into(),
            hostname: host.into(),
            owner: owner.map(str::to_string),
            locked,
            status: status::status_code(status).unwrap_or(-1),
            status_name: status.into(),
            power_state: "on".into(),
            juju_model_uuid: None,
            juju_controller_uuid: None,
        }
    }

    fn targets() -> Vec<String> {
        vec!["openstack0".into(), "capi-mgmt".into()]
    }

    #[test]
    fn release_decides_on_the_status_code_and_refuses_a_record_that_contradicts_itself() {
        // Deployed by its code, "Releasing" by its name, another user's: not a no-op.
        let mut m = machine("openstack0", Some("bob"), false, "Deployed");
        m.status_name = "Releasing".into();
        let refused = guard_release(&targets(), "admin", &m).unwrap_err();
        assert_eq!(refused.guard, "release.status");
        assert!(refused
            .reason
            .contains("status code 6 (Deployed) but status_name `Releasing`"));
        // Releasing by its code, named so: nothing to do, whoever owns it.
        let m = machine("openstack0", Some("bob"), false, "Releasing");
        assert_eq!(guard_release(&targets(), "admin", &m), Ok(()));
    }

    #[test]
    fn release_refuses_what_is_not_an_owned_deployed_target() {
        // (hostname, owner, locked, status, the guard that refuses it), `admin` acting.
        for (host, owner, locked, status, refused_by) in [
            ("openstack0", Some("admin"), false, "Deployed", None),
            (
                "db1",
                Some("admin"),
                false,
                "Deployed",
                Some("release.target"),
            ),
            (
                "openstack0",
                Some("admin"),
                true,
                "Deployed",
                Some("release.locked"),
            ),
            (
                "openstack0",
                Some("bob"),
                false,
                "Deployed",
                Some("release.owner"),
            ),
            ("openstack0", None, false, "Deployed", Some("release.owner")),
            // Ready or Releasing: nothing to do, whoever owns it.
            ("openstack0", None, false, "Ready", None),
            ("openstack0", Some("bob"), false, "Releasing", None),
        ] {
            let m = machine(host, owner, locked, status);
            let got = guard_release(&targets(), "admin", &m).map_err(|r| r.guard);
            assert_eq!(got, refused_by.map_or(Ok(()), Err), "{m:?}");
        }
        let bobs = machine("openstack0", Some("bob"), false, "Deployed");
        let r = guard_release(&targets(), "admin", &bobs).unwrap_err();
        assert_eq!(r.to_string(), "refused by guard `release.owner`: machine `4y3h7n` (openstack0) is owned by `bob`, not `admin`");
    }

    fn model(name: &str, ctl: bool) -> ModelFacts {
        ModelFacts {
            name: name.into(),
            qualified: format!("admin/{name}"),
            is_controller: ctl,
            uuid: String::new(),
            controller_uuid: String::new(),
            life: "alive".into(),
        }
    }

    #[test]
    fn destroy_model_branches() {
        let models = vec!["openstack".to_string()];
        let sealed = vec!["openstack".to_string()];
        assert_eq!(
            guard_destroy_model(&models, true, &sealed, &model("openstack", false)),
            Ok(())
        );
        assert_eq!(
            guard_destroy_model(&models, false, &[], &model("openstack", false)),
            Ok(())
        );
        assert_eq!(
            guard_destroy_model(&models, true, &[], &model("openstack", false))
                .unwrap_err()
                .guard,
            "destroy_model.backup"
        );
        assert_eq!(
            guard_destroy_model(&models, true, &sealed, &model("other", false))
                .unwrap_err()
                .guard,
            "destroy_model.scope"
        );
        assert_eq!(
            guard_destroy_model(&models, false, &sealed, &model("openstack", true))
                .unwrap_err()
                .guard,
            "destroy_model.controller"
        );
    }

    #[test]
    fn remove_machine_branches() {
        let models = vec!["openstack".to_string()];
        assert_eq!(
            guard_remove_machine(&models, &model("openstack", false)),
            Ok(())
        );
        assert_eq!(
            guard_remove_machine(&models, &model("controller", true))
                .unwrap_err()
                .guard,
            "remove_machine.controller"
        );
        assert_eq!(
            guard_remove_machine(&models, &model("x", false))
                .unwrap_err()
                .guard,
            "remove_machine.scope"
        );
    }

    #[test]
    fn wipe_branches() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("images");
        std::fs::create_dir(&root).unwrap();
        let disk = root.join("a.qcow2");
        std::fs::write(&disk, b"x").unwrap();
        let outside = tmp.path().join("b.qcow2");
        std::fs::write(&outside, b"x").unwrap();
        assert_eq!(guard_wipe(&root, &disk), Ok(()));
        assert!(guard_wipe(&root, &outside).is_err());
        assert!(guard_wipe(&root, &root.join("../b.qcow2")).is_err());
        assert!(guard_wipe(&root, &root.join("missing.qcow2")).is_err());
        assert!(guard_wipe(&root, &root).is_err());
        std::os::unix::fs::symlink(&outside, root.join("link.qcow2")).unwrap();
        assert!(guard_wipe(&root, &root.join("link.qcow2")).is_err());
        assert!(guard_wipe(&tmp.path().join("nope"), &disk).is_err());
    }

    #[test]
    fn osd_disks_branches() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let glob = format!("{}/openstack[0-3]-1.qcow2", root.display());
        let disk = root.join("openstack0-1.qcow2");
        std::fs::write(&disk, b"x").unwrap();
        assert_eq!(guard_osd_disks(&glob, &disk), Ok(()));
        // Not yet created: the glob still decides (the wipe guard then says it is missing).
        assert_eq!(
            guard_osd_disks(&glob, &root.join("openstack3-1.qcow2")),
            Ok(())
        );
        let other = root.join("db-prod.qcow2");
        std::fs::write(&other, b"x").unwrap();
        let e = guard_osd_disks(&glob, &other).unwrap_err();
        assert_eq!(e.guard, "wipe.osd_disks");
        assert!(
            e.reason.contains("db-prod.qcow2") && e.reason.contains(&glob),
            "{}",
            e.reason
        );
        assert!(guard_osd_disks(&glob, &root.join("openstack4-1.qcow2")).is_err());
        assert!(guard_osd_disks(&glob, &root.join("x/../openstack0-1.qcow2")).is_err());
        assert!(guard_osd_disks(&glob, &root.join("./openstack0-1.qcow2")).is_err());
        let star = format!("{}/*.qcow2", root.display());
        assert!(guard_osd_disks(&star, &root.join("sub/openstack0-1.qcow2")).is_err());
        assert!(guard_osd_disks("", &disk)
            .unwrap_err()
            .reason
            .contains("empty"));
        assert!(guard_osd_disks("[", &disk).is_err());
        let link = root.join("openstack1-1.qcow2");
        std::os::unix::fs::symlink(&other, &link).unwrap();
        assert!(guard_osd_disks(&glob, &link)
            .unwrap_err()
            .reason
            .contains("symlink"));
    }

    #[test]
    fn write_backup_branches() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("b-1");
        std::fs::create_dir(&dir).unwrap();
        let dirs = vec![dir.clone()];
        assert_eq!(guard_write_backup(&dirs, &dir, "status.json"), Ok(()));
        assert_eq!(guard_write_backup(&dirs, &dir, "sub/status.json"), Ok(()));
        assert!(guard_write_backup(&dirs, &tmp.path().join("other"), "a").is_err());
        assert!(guard_write_backup(&dirs, &dir, "../escape").is_err());
        assert!(guard_write_backup(&dirs, &dir, "/etc/passwd").is_err());
        assert!(guard_write_backup(&dirs, &dir, "").is_err());
        assert!(guard_write_backup(&dirs, &dir, MANIFEST).is_err());
        std::os::unix::fs::symlink(tmp.path(), dir.join("link")).unwrap();
        assert!(guard_write_backup(&dirs, &dir, "link/x").is_err());
    }
}
