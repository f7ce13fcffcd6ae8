//! The `disk` family of primitives: thin adapters over [`crate::clients::qcow2`].
//!
//! `stat_qcow2` reads an image's header; `wipe_qcow2` goes through the gate with the wipe
//! guard (only `site.osd_disks`, under `site.disk_root`) and a confirmation naming the file.

use std::path::Path;

use rhai::plugin::*;
use serde_json::json;

use crate::clients::qcow2;
use crate::context::RunContext;
use crate::effects::guards::Facts;
use crate::effects::{Applied, Confirmation, Effect, EffectClass, MachineFacts};
use crate::primitives::support::{class_of, script_error, with_keys, RhaiResult};

/// Every key of `wipe_qcow2`'s result (a `stat_qcow2` map, `planned`, `command`); those that
/// do not apply (a dry run's image fields) are `()`.
const WIPE_KEYS: [&str; 11] = [
    "path",
    "exists",
    "format",
    "version",
    "virtual_size",
    "actual_size",
    "apparent_size",
    "cluster_bits",
    "backing_file",
    "planned",
    "command",
];

/// An empty path is a script bug (e.g. an unset site key), not a file that does not exist.
fn need_path(function: &str, path: &str) -> RhaiResult<()> {
    if path.trim().is_empty() {
        return Err(format!("`{function}` needs a file path, got an empty string").into());
    }
    Ok(())
}

/// Every frozen target as one fresh MAAS read shows it (none when nothing is frozen: the
/// gate then refuses the wipe).
fn fresh_targets(rc: &RunContext) -> anyhow::Result<Vec<MachineFacts>> {
    let ids: Vec<String> = match rc.frozen() {
        Some(f) if !f.targets.is_empty() => f.targets.into_iter().map(|t| t.system_id).collect(),
        _ => return Ok(Vec::new()),
    };
    let client = rc.maas()?;
    let machines = rc.read(client.machines_by_id(&ids))?;
    Ok(machines
        .into_iter()
        .map(|m| MachineFacts {
            system_id: m.system_id,
            hostname: m.hostname,
            owner: m.owner,
            locked: m.locked,
            status: m.status,
            status_name: m.status_name,
            power_state: m.power_state,
            juju_model_uuid: m.juju_model_uuid,
            juju_controller_uuid: m.juju_controller_uuid,
        })
        .collect())
}

pub(crate) fn wipe(ctx: &NativeCallContext, path: &str) -> RhaiResult {
    need_path("wipe_qcow2", path)?;
    let rc = RunContext::from_call(ctx)?;
    let file = Path::new(path);
    let facts = Facts::Wipe {
        path: file.to_path_buf(),
        targets: fresh_targets(&rc).map_err(script_error)?,
    };
    let guard = rc.gate().guard(&facts);
    // Read the image only when the guard allows touching it (or only waits for the targets
    // to be released, in a dry run); a refusal says why first.
    let later = matches!(&guard, Err(r) if crate::effects::guards::checked_again_when_run(r));
    let info = if guard.is_ok() || later {
        Some(qcow2::stat(file).map_err(script_error)?)
    } else {
        None
    };
    if let Some(i) = &info {
        if !i.exists {
            return Err(format!("cannot wipe `{path}`: no such file").into());
        }
    }
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.to_string());
    let command = match &info {
        Some(i) => format!(
            "{}; chown/chmod as before; rename over {path}",
            qcow2::create_argv(i, Path::new(&format!("{path}.wipe-tmp"))).join(" ")
        ),
        None => format!("qemu-img create -f qcow2 ... {path}"),
    };
    let summary = match &info {
        Some(i) => format!(
            "qcow2 image `{path}`: virtual size {} bytes, {} bytes allocated; all its data is lost",
            i.virtual_size, i.actual_size
        ),
        None => format!("qcow2 image `{path}`"),
    };
    let effect = Effect {
        name: "wipe_qcow2".into(),
        class: class_of("wipe_qcow2"),
        target: path.to_string(),
        args: json!({ "path": path }),
        command: command.clone(),
        confirm: Some(Confirmation {
            summary,
            question: format!("type the file name `{name}` to wipe it"),
            expected: name,
        }),
    };
    let applied = rc
        .gate()
        .apply_on(effect, &facts, || {
            qcow2::wipe(file)?;
            let after = qcow2::stat(file)?;
            let mut v = serde_json::to_value(after)?;
            v["planned"] = json!(false);
            Ok(v)
        })
        .map_err(|e| e.into_rhai())?;
    let value = match applied {
        Applied::Executed(mut v) => {
            v["command"] = json!(command);
            v
        }
        Applied::Planned => json!({ "path": path, "planned": true, "command": command }),
    };
    rhai::serde::to_dynamic(with_keys(value, &WIPE_KEYS))
}

/// Each primitive's effect class, declared once: `runbook doc` shows it and the gate is
/// given it (see `primitives::effect_class`).
pub const EFFECTS: &[(&str, EffectClass)] = &[
    ("stat_qcow2", EffectClass::Read),
    ("wipe_qcow2", EffectClass::Destroy),
];

#[export_module]
pub mod disk_functions {
    use super::*;

    /// Read a qcow2 image's header natively: `#{path, exists, format, version, virtual_size,
    /// actual_size, apparent_size, cluster_bits, backing_file}`. `actual_size` is the bytes
    /// allocated on disk (as `qemu-img info` "disk size"); a missing file gives `exists:
    /// false`. Errors if the path is empty, the file is not a qcow2 image (v2 or v3), or it
    /// cannot be read.
    ///
    /// ```rhai
    /// for p in glob(site.osd_disks) {
    ///     let d = stat_qcow2(p);
    ///     check(`${p} wiped`, d.actual_size <= site.wipe_threshold, `${d.actual_size} bytes`);
    /// }
    /// ```
    #[rhai_fn(volatile, return_raw)]
    pub fn stat_qcow2(path: &str) -> RhaiResult {
        need_path("stat_qcow2", path)?;
        rhai::serde::to_dynamic(qcow2::stat(Path::new(path)).map_err(script_error)?)
    }

    /// Recreate a qcow2 image empty with the same virtual size (`qemu-img create -f qcow2`),
    /// keeping its owner and mode, replacing it atomically (KVM test cloud only: libvirt
    /// secondary disks survive a MAAS release). Refused unless the site enables the wipe
    /// (`wipe_osd`) and has a `disk_root`, the path as given matches the site's `osd_disks`
    /// glob (and is not a symlink), it resolves to a file under `disk_root`, and a fresh
    /// MAAS read shows every target frozen by the detection Ready, unowned and powered off;
    /// asks the operator to type the file name (or `--yes`). Returns
    /// the image's new `stat_qcow2` map with `planned: false` and the `command`; in a dry
    /// run the same keys with `planned: true`, `path` and `command` (the others `()`). Errors if the file is missing, not qcow2, an overlay, or qemu-img fails.
    ///
    /// ```rhai
    /// for p in glob(site.osd_disks) { wipe_qcow2(p); }
    /// ```
    #[rhai_fn(volatile, return_raw)]
    pub fn wipe_qcow2(ctx: NativeCallContext, path: &str) -> RhaiResult {
        wipe(&ctx, path)
    }
}
