//! The `history` family: what earlier runs on this site's cloud did and how they ended,
//! from their journals (see `crate::history`), and the backup one of them took before the
//! destroy (see `crate::backup::seal`).

use rhai::plugin::*;
use rhai::Dynamic;

use crate::context::RunContext;
use crate::effects::EffectClass;
use crate::history::{latest, sealed_before_destroy, SiteMarks};
use crate::primitives::support::RhaiResult;

/// Each primitive's effect class, declared once: `runbook doc` shows it and the gate is
/// given it (see `primitives::effect_class`).
pub const EFFECTS: &[(&str, EffectClass)] = &[
    ("previous_run", EffectClass::Read),
    ("pre_destroy_backup", EffectClass::Read),
    ("journaled_pre_destroy_backup", EffectClass::Read),
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

    /// The backup taken before the destroy: the one the site's pointer file names, when it
    /// verifies and its seal says it captured one of the site's models while that model was
    /// alive — and, once detection froze the model, that very model (same uuid). As
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
        let mut value = serde_json::to_value(&seal)
            .map_err(|e| format!("cannot hand the backup's seal to the script: {e}"))?;
        value["dir"] = serde_json::Value::String(dir.display().to_string());
        rhai::serde::to_dynamic(&value)
    }
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
