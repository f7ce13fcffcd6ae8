//! The `files` family: `glob`, backups (`backup_dir`, `write_backup`, `backup_ok`,
//! `seal_backup`) and pointer files (`set_pointer`, `read_pointer`). Every write goes
//! through the effects gate; `write_backup` only writes inside this run's backup dirs.
//! The backup format they write (manifest, captures, seal) is [`crate::backup`].

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context;
use rhai::plugin::*;
use rhai::{Array, Dynamic, NativeCallContext};
use sha2::{Digest, Sha256};

use crate::backup::seal::Seal;
use crate::backup::{read_manifest, verify_backup, write_atomic, FileEntry, MANIFEST};
use crate::context::RunContext;
use crate::effects::guards::Facts;
use crate::effects::{Applied, Effect, EffectClass};
use crate::primitives::support::{class_of, RhaiResult};
use crate::site::expand_tilde;

/// The seal for a backup of `model`, from a fresh read of it (on the frozen controller, by
/// the frozen uuid when there is one). A model Juju does not list is `absent`; a read that
/// fails leaves the uuid empty and the life `unknown` (such a seal never counts as a
/// pre-destroy backup).
fn seal_for(run: &RunContext, model: &str) -> Seal {
    let read = run
        .juju()
        .and_then(|juju| super::juju::model_facts(run, juju, model));
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

fn effect(name: &str, target: String, args: serde_json::Value, command: String) -> Effect {
    Effect {
        name: name.into(),
        class: class_of(name),
        target,
        args,
        command,
        confirm: None,
    }
}

fn path_string(p: &Path) -> String {
    p.display().to_string()
}

/// Each primitive's effect class, declared once: `runbook doc` shows it and the gate is
/// given it (see `primitives::effect_class`).
pub const EFFECTS: &[(&str, EffectClass)] = &[
    ("glob", EffectClass::Read),
    ("backup_dir", EffectClass::Change),
    ("write_backup", EffectClass::Change),
    ("backup_ok", EffectClass::Read),
    ("seal_backup", EffectClass::Change),
    ("set_pointer", EffectClass::Change),
    ("read_pointer", EffectClass::Read),
];

#[export_module]
pub mod files_functions {
    /// Sorted paths matching a glob pattern (`~/` expands to the home dir). An invalid
    /// pattern is an error; no match is an empty array.
    ///
    /// ```rhai
    /// let disks = glob(site.osd_disks);
    /// ```
    #[rhai_fn(return_raw, volatile)]
    pub fn glob(pattern: &str) -> RhaiResult<Array> {
        let pattern = expand_tilde(Path::new(pattern)).display().to_string();
        let paths =
            glob::glob(&pattern).map_err(|e| format!("invalid glob pattern `{pattern}`: {e}"))?;
        let mut out: Vec<String> = paths
            .filter_map(Result::ok)
            .map(|p| path_string(&p))
            .collect();
        out.sort();
        Ok(out.into_iter().map(Dynamic::from).collect())
    }

    /// Create `<site.backup_root>/<prefix>-<YYYYmmdd-HHMMSS>/` and return its path. Only
    /// dirs made this way accept `write_backup`. In dry-run nothing is created (the path is
    /// returned and planned).
    ///
    /// ```rhai
    /// let dir = backup_dir(site.backup_prefix);
    /// ```
    #[rhai_fn(return_raw, volatile)]
    pub fn backup_dir(ctx: NativeCallContext, prefix: &str) -> RhaiResult<String> {
        let run = RunContext::from_call(&ctx)?;
        if prefix.is_empty() || prefix.contains('/') || prefix.contains("..") {
            return Err(
                format!("backup prefix `{prefix}` must be a plain name (no `/`, no `..`)").into(),
            );
        }
        let root = run.site().backup_root.clone();
        let stamp = chrono::Utc::now().format("%Y%m%d-%H%M%S");
        let mut dir = root.join(format!("{prefix}-{stamp}"));
        let mut n = 2;
        while dir.exists() || run.backup_dirs().contains(&dir) {
            dir = root.join(format!("{prefix}-{stamp}-{n}"));
            n += 1;
        }
        let e = effect(
            "backup_dir",
            path_string(&dir),
            serde_json::json!({ "prefix": prefix }),
            format!("mkdir -p {}", dir.display()),
        );
        let target = dir.clone();
        let facts = Facts::BackupDir {
            dir: dir.clone(),
            pointer: crate::backup::pointer::read_existing(&run.site().pointer_file),
        };
        run.gate()
            .apply_on(e, &facts, || {
                fs::create_dir_all(&target)
                    .with_context(|| format!("cannot create backup dir `{}`", target.display()))?;
                write_atomic(&target.join(MANIFEST), b"{\"files\":{}}\n")
            })
            .map_err(|e| e.into_rhai())?;
        run.record_backup_dir(dir.clone());
        Ok(path_string(&dir))
    }

    /// Write `text` to `file` (relative) inside a backup dir this run made, and record its
    /// size and sha256 in the dir's manifest. Anything else (`..`, absolute names, symlinks,
    /// another dir) is refused (exit 4) and nothing is written.
    ///
    /// ```rhai
    /// write_backup(dir, "bundle.yaml", juju_export_bundle("openstack"));
    /// ```
    #[rhai_fn(return_raw, volatile)]
    pub fn write_backup(
        ctx: NativeCallContext,
        dir: &str,
        file: &str,
        text: &str,
    ) -> RhaiResult<()> {
        let run = RunContext::from_call(&ctx)?;
        let dir = PathBuf::from(dir);
        let facts = Facts::WriteBackup {
            run_dirs: run.backup_dirs(),
            dir: dir.clone(),
            file: file.to_string(),
        };
        let path = dir.join(file);
        let e = effect(
            "write_backup",
            path_string(&path),
            serde_json::json!({ "dir": path_string(&dir), "file": file, "bytes": text.len() }),
            format!("write {} ({} bytes)", path.display(), text.len()),
        );
        run.gate()
            .apply_on(e, &facts, || {
                if let Some(parent) = path.parent() {
                    fs::create_dir_all(parent)
                        .with_context(|| format!("cannot create `{}`", parent.display()))?;
                }
                write_atomic(&path, text.as_bytes())?;
                let mut manifest = read_manifest(&dir).unwrap_or_default();
                let entry = FileEntry {
                    size: text.len() as u64,
                    sha256: hex::encode(Sha256::digest(text.as_bytes())),
                };
                manifest.files.insert(file.to_string(), entry);
                write_atomic(
                    &dir.join(MANIFEST),
                    serde_json::to_string_pretty(&manifest)?.as_bytes(),
                )
            })
            .map_err(|e| e.into_rhai())?;
        Ok(())
    }

    /// Whether a backup dir verifies: its manifest lists every required capture
    /// (export-bundle.yaml, status.json, models.json, controllers.json), each parses (the
    /// bundle as a YAML mapping with `applications`, or `export-bundle.yaml.failed` saying
    /// why Juju could not export it; the others as JSON), and every listed file exists, is
    /// not empty and has the size and sha256 the manifest records.
    ///
    /// ```rhai
    /// if !backup_ok(read_pointer(site.pointer_file)) { fail("last backup does not verify"); }
    /// ```
    #[rhai_fn(volatile)]
    pub fn backup_ok(dir: Dynamic) -> bool {
        match dir.into_string() {
            Ok(d) => verify_backup(Path::new(&d), true).is_ok(),
            Err(_) => false,
        }
    }

    /// Verify the backup dir (as `backup_ok`, and made by this run) and record that `model`
    /// is backed up in this run — the guard of `juju_destroy_model` requires it. Errors name
    /// the file that fails: a missing, truncated or unparsable capture is never sealed. The
    /// bundle may be `export-bundle.yaml.failed` only if `juju_export_bundle(model)` failed
    /// in this run. In dry-run the record is planned and made.
    ///
    /// ```rhai
    /// seal_backup(dir, "openstack");
    /// ```
    #[rhai_fn(return_raw, volatile)]
    pub fn seal_backup(ctx: NativeCallContext, dir: &str, model: &str) -> RhaiResult<()> {
        let run = RunContext::from_call(&ctx)?;
        let path = PathBuf::from(dir);
        let facts = Facts::SealBackup {
            run_dirs: run.backup_dirs(),
            dir: path.clone(),
        };
        // Which model this captured, and whether it was alive: a fresh read (the pointer
        // rules of `crate::effects::predestroy` rest on it).
        let seal = seal_for(&run, model);
        let e = effect(
            "seal_backup",
            format!("model {model}"),
            serde_json::json!({ "dir": dir, "model": model, "model_uuid": seal.model_uuid, "life": seal.life }),
            format!("seal backup {dir} for model {model}"),
        );
        let applied = run
            .gate()
            .apply_on(e, &facts, || {
                verify_backup(&path, run.export_failed(model))?;
                crate::backup::seal::write_seal(&path, &seal)
            })
            .map_err(|e| e.into_rhai())?;
        if matches!(applied, Applied::Executed(()) | Applied::Planned) {
            run.record_sealed(model);
            run.record_seal(path, seal);
        }
        Ok(())
    }

    /// Point the pointer file at `target`, atomically (write, fsync, rename). Only the
    /// site's `pointer_file` may be written; any other path is refused (exit 4).
    ///
    /// ```rhai
    /// set_pointer(site.pointer_file, dir);
    /// ```
    #[rhai_fn(return_raw, volatile)]
    pub fn set_pointer(ctx: NativeCallContext, path: &str, target: &str) -> RhaiResult<()> {
        let run = RunContext::from_call(&ctx)?;
        let file = expand_tilde(Path::new(path));
        let e = effect(
            "set_pointer",
            path_string(&file),
            serde_json::json!({ "path": path_string(&file), "target": target }),
            format!("echo {target} > {}", file.display()),
        );
        // The pointer keeps naming the pre-destroy backup of a model rather than a capture
        // of that model taken while it was being destroyed (`crate::effects::predestroy`).
        let facts = Facts::SetPointer {
            path: file.clone(),
            existing: crate::backup::pointer::read_existing(&file),
            current: crate::backup::seal::pointed_pre_destroy(&file),
            target: PathBuf::from(target),
            new: run.seal_of(Path::new(target)),
        };
        run.gate()
            .apply_on(e, &facts, || {
                write_atomic(&file, format!("{target}\n").as_bytes())
            })
            .map_err(|e| e.into_rhai())?;
        Ok(())
    }

    /// The path a pointer file holds (trimmed), or `()` if the file does not exist.
    ///
    /// ```rhai
    /// let last = read_pointer(site.pointer_file);
    /// ```
    #[rhai_fn(return_raw, volatile)]
    pub fn read_pointer(path: &str) -> RhaiResult<Dynamic> {
        let file = expand_tilde(Path::new(path));
        match fs::read_to_string(&file) {
            Ok(text) => Ok(Dynamic::from(text.trim().to_string())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Dynamic::UNIT),
            Err(e) => Err(format!("cannot read pointer file `{}`: {e}", file.display()).into()),
        }
    }
}
