//! The `history` family: what earlier runs on this site's cloud did and how they ended,
//! from their journals (see `crate::history`), and the backup one of them took before the
//! destroy (see `crate::backup::seal`).

use rhai::plugin::*;
use rhai::{Dynamic, Map};

use crate::context::RunContext;
use crate::effects::EffectClass;
use crate::history::{issued_destroy, latest, sealed_before_destroy, SiteMarks};
use crate::primitives::support::RhaiResult;

/// Each primitive's effect class, declared once: `runbook doc` shows it and the gate is
/// given it (see `primitives::effect_class`).
pub const EFFECTS: &[(&str, EffectClass)] = &[
    ("previous_run", EffectClass::Read),
    ("pre_destroy_backup", EffectClass::Read),
    ("journaled_pre_destroy_backup", EffectClass::Read),
    ("journaled_destroy", EffectClass::Read),
];

#[export_module]
pub mod history_functions {
    /// The last earlier run whose journal changed this site's cloud (wrote its backups or
    /// pointer, destroyed or removed machines of its models, released its targets), as
    /// `#{run_id, started, ended, how, changes, destroy_issued, journal}`, or `()` when
    /// there is none. `ended`: `interrupted` (a signal stopped it), `killed` (an effect was
    /// in flight and nothing recorded its end) or `unknown`; `how` says it in a sentence,
    /// `changes` lists what it had changed.
    ///
    /// ```rhai
    /// let last = previous_run();
    /// if last != () && last.ended != "unknown" { print(`continuing run ${last.run_id}: ${last.how}`); }
    /// ```
    #[rhai_fn(return_raw, volatile)]
    pub fn previous_run(ctx: NativeCallContext) -> RhaiResult {
        let run = RunContext::from_call(&ctx)?;
        let site = run.site();
        let state_dir = site
            .state_dir
            .clone()
            .unwrap_or_else(crate::effects::journal::default_state_dir);
        match latest(&state_dir, run.run_id(), &marks(site)) {
            None => Ok(Dynamic::UNIT),
            Some(previous) => rhai::serde::to_dynamic(&previous)
                .map_err(|e| format!("cannot hand the previous run to the script: {e}").into()),
        }
    }

    /// The backup the journals say was taken before the destroy: the last one sealed by the
    /// newest earlier run that issued the destroy of one of the site's models (or by a run
    /// before it), whatever the pointer file says now. As `#{dir, run_id, verified,
    /// pre_destroy, model}` (`verified`: its manifest verifies; `pre_destroy`: its seal says
    /// the model was alive; `model`: `()` without a seal), or `()` when no journal has one.
    ///
    /// ```rhai
    /// let b = journaled_pre_destroy_backup();
    /// if b != () && b.verified { print(`run ${b.run_id} sealed ${b.dir} before its destroy`); }
    /// ```
    #[rhai_fn(return_raw, volatile)]
    pub fn journaled_pre_destroy_backup(ctx: NativeCallContext) -> RhaiResult {
        let run = RunContext::from_call(&ctx)?;
        let site = run.site();
        let state_dir = site
            .state_dir
            .clone()
            .unwrap_or_else(crate::effects::journal::default_state_dir);
        let Some((dir, run_id)) = sealed_before_destroy(&state_dir, run.run_id(), &marks(site))
        else {
            return Ok(Dynamic::UNIT);
        };
        let seal = crate::backup::seal::read_seal(&dir);
        let value = serde_json::json!({
            "dir": dir.display().to_string(),
            "run_id": run_id,
            "verified": crate::backup::verify_backup(&dir, false).is_ok(),
            "pre_destroy": seal.as_ref().is_some_and(|s| s.is_pre_destroy()),
            "model": seal.map(|s| s.model),
        });
        rhai::serde::to_dynamic(&value)
    }

    /// teardown.md §2, a teardown in progress that Juju no longer shows: the site's model is
    /// not listed, and an earlier run's journal says that run issued the destroy of it (by
    /// uuid). `machines`: the detection's read (`detect_cloud().machines`). As `#{run_id,
    /// model, uuid, at, journal, continues, why}`: `continues` when every target the detection
    /// froze is Ready or on its way there, or still ours (the run's MAAS user), not locked,
    /// and still names that model's uuid and the frozen controller's in its MAAS `owner_data`
    /// (the nodes the destroy left: Phase C releases them); else `why` says which is not. `()`
    /// when Juju lists the site's model, nothing was detected, or no journal has such a destroy.
    ///
    /// ```rhai
    /// let cloud = detect_cloud();
    /// let gone = journaled_destroy(cloud.machines);
    /// if gone != () && gone.continues { print(`run ${gone.run_id} destroyed ${gone.uuid}`); }
    /// ```
    #[rhai_fn(return_raw, volatile)]
    pub fn journaled_destroy(ctx: NativeCallContext, machines: rhai::Array) -> RhaiResult {
        let run = RunContext::from_call(&ctx)?;
        let Some(frozen) = run.frozen() else {
            return Ok(Dynamic::UNIT);
        };
        let (Some(controller), None) = (&frozen.controller, &frozen.model) else {
            return Ok(Dynamic::UNIT);
        };
        let site = run.site();
        let state_dir = site
            .state_dir
            .clone()
            .unwrap_or_else(crate::effects::journal::default_state_dir);
        let Some(issued) = issued_destroy(&state_dir, run.run_id(), &marks(site)) else {
            return Ok(Dynamic::UNIT);
        };
        let read: Vec<Map> = machines
            .into_iter()
            .filter_map(|m| m.try_cast::<Map>())
            .collect();
        let by_id = |id: &str| {
            read.iter().find(|m| {
                m.get("system_id")
                    .and_then(|v| v.clone().into_immutable_string().ok())
                    .is_some_and(|s| s == id)
            })
        };
        let why: Vec<String> = frozen
            .targets
            .iter()
            .filter_map(|t| {
                not_left_by(t, by_id(&t.system_id), &issued.uuid, &controller.uuid, &frozen.whoami)
            })
            .collect();
        let mut value = serde_json::to_value(&issued)
            .map_err(|e| format!("cannot hand the journaled destroy to the script: {e}"))?;
        value["continues"] = serde_json::Value::Bool(why.is_empty() && !frozen.targets.is_empty());
        value["why"] = serde_json::json!(why);
        rhai::serde::to_dynamic(&value)
    }

    /// The backup taken before the destroy: the one the site's pointer file names, when it
    /// verifies and its seal says it captured one of the site's models while that model was
    /// alive — and, once detection froze the model, that very model (same uuid); and, when
    /// the journals say which backup the run that issued the destroy sealed before it, that
    /// very backup (an older one of the same model is not it). As
    /// `#{dir, model, model_uuid, controller_uuid, life, run_id, sealed_at}`, or `()`.
    ///
    /// ```rhai
    /// let b = pre_destroy_backup();
    /// if b != () { print(`taken before the destroy: ${b.dir} (run ${b.run_id})`); }
    /// ```
    #[rhai_fn(return_raw, volatile)]
    pub fn pre_destroy_backup(ctx: NativeCallContext) -> RhaiResult {
        let run = RunContext::from_call(&ctx)?;
        let site = run.site();
        let Some((dir, seal)) = crate::backup::seal::pointed_pre_destroy(&site.pointer_file) else {
            return Ok(Dynamic::UNIT);
        };
        let frozen_uuid = run.frozen().and_then(|f| f.model).map(|m| m.uuid);
        let ours = site.models.iter().any(|m| m == &seal.model)
            && frozen_uuid.is_none_or(|uuid| uuid == seal.model_uuid);
        if !ours {
            return Ok(Dynamic::UNIT);
        }
        // The journals (this run's too: its own Phase A before its destroy) name the backup
        // the destroying run sealed; an older backup of the same model is not that one.
        let state_dir = site
            .state_dir
            .clone()
            .unwrap_or_else(crate::effects::journal::default_state_dir);
        if let Some((journaled, _)) = sealed_before_destroy(&state_dir, "", &marks(site)) {
            if journaled != dir {
                return Ok(Dynamic::UNIT);
            }
        }
        let mut value = serde_json::to_value(&seal)
            .map_err(|e| format!("cannot hand the backup's seal to the script: {e}"))?;
        value["dir"] = serde_json::Value::String(dir.display().to_string());
        rhai::serde::to_dynamic(&value)
    }
}

/// Why frozen target `t`, as the detection's read `m` shows it, is not a node an earlier
/// destroy of model `uuid` left behind for this run to release: `None` when it is (or is
/// Ready or on its way there, with nothing left to do).
fn not_left_by(
    t: &crate::effects::frozen::FrozenTarget,
    m: Option<&Map>,
    uuid: &str,
    controller: &str,
    whoami: &str,
) -> Option<String> {
    let name = format!("`{}` ({})", t.hostname, t.system_id);
    let Some(m) = m else {
        return Some(format!("target {name} is not in the detection's read"));
    };
    let text = |k: &str| {
        m.get(k)
            .and_then(|v| v.clone().into_immutable_string().ok())
            .map(|s| s.to_string())
    };
    let status = m.get("status").and_then(|v| v.as_int().ok());
    let ready_or_settling = status.is_some_and(|c| {
        matches!(
            crate::clients::maas::status::status_name(c),
            "Ready" | "Releasing" | "Disk erasing"
        )
    });
    if ready_or_settling {
        return None;
    }
    let owner = text("owner").unwrap_or_default();
    if owner != whoami {
        return Some(format!(
            "target {name} is owned by `{}`, not by `{whoami}`",
            crate::term::escape(if owner.is_empty() { "(none)" } else { &owner })
        ));
    }
    if m.get("locked").and_then(|v| v.as_bool().ok()) == Some(true) {
        return Some(format!("target {name} is locked in MAAS"));
    }
    // The frozen owner_data is what the gate holds a release to.
    let said = |v: &Option<String>| v.as_deref().map_or("none".to_string(), |v| format!("`{}`", v.escape_debug()));
    if t.juju_model_uuid.as_deref() != Some(uuid) {
        return Some(format!(
            "target {name} names Juju model {} in its MAAS owner_data, not `{uuid}`",
            said(&t.juju_model_uuid)
        ));
    }
    if t.juju_controller_uuid.as_deref() != Some(controller) {
        return Some(format!(
            "target {name} names Juju controller {} in its MAAS owner_data, not `{controller}`",
            said(&t.juju_controller_uuid)
        ));
    }
    None
}

/// What makes an earlier run's journal one of `site`'s.
fn marks(site: &crate::site::Site) -> SiteMarks {
    SiteMarks {
        backup_root: site.backup_root.clone(),
        pointer_file: site.pointer_file.clone(),
        models: site.models.clone(),
        targets: site.targets.clone(),
    }
}
