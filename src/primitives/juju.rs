//! The `juju` family of primitives: thin adapters over [`crate::clients::juju`].
//!
//! Reads call the client and turn its structs into maps. The two state-changing calls
//! (`juju_destroy_model`, `juju_remove_machine`) read fresh facts (`juju models`, `juju
//! status`), evaluate their guard (`effects/rules.rs`), and hand the call to the gate, which
//! refuses, plans, confirms, runs and journals it.
//!
//! Identity, not names: once `detect_cloud()` froze the site's model, every command about it
//! names it qualified (`CONTROLLER:OWNER/MODEL`, as Juju printed it), and `juju_model` finds
//! it by uuid; a script passing the short name can never reach another user's model of the
//! same name, which a bare `-m CONTROLLER:MODEL` would (Juju resolves it to the logged-in
//! user's).

use std::rc::Rc;

use rhai::plugin::*;
use rhai::{Dynamic, Map};
use serde_json::json;

use crate::clients::juju::{self, DestroyOptions, DestroyOutcome, JujuClient, RemoveOptions};
use crate::context::RunContext;
use crate::effects::frozen::FrozenModel;
use crate::effects::guards::Facts;
use crate::effects::{Applied, Confirmation, Effect, EffectClass, JujuNodeFacts, ModelFacts};
use crate::primitives::detect;
use crate::primitives::support::{class_of, options, script_error, to_map, with_keys, RhaiResult};
use crate::stop::Stop;

fn with_juju<T>(
    ctx: &NativeCallContext,
    f: impl FnOnce(&RunContext, &JujuClient) -> anyhow::Result<T>,
) -> RhaiResult<T> {
    let rc: Rc<RunContext> = RunContext::from_call(ctx)?;
    let juju = rc.juju().map_err(script_error)?;
    f(&rc, juju).map_err(script_error)
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

/// `model` as a fresh `juju models` (on the pinned controller) shows it now: the frozen
/// model by its uuid if it is still there, else a model of that short name of the frozen
/// owner (the gate then refuses it, naming both uuids), else `None` (gone).
pub(crate) fn model_facts(
    rc: &RunContext,
    juju: &JujuClient,
    model: &str,
) -> anyhow::Result<Option<juju::Model>> {
    let models = juju.models()?;
    let frozen = rc.frozen().and_then(|f| f.model);
    if let Some(f) = frozen
        .as_ref()
        .filter(|f| f.name == model || f.uuid == model)
    {
        if let Some(m) = models.iter().find(|m| m.uuid == f.uuid) {
            return Ok(Some(m.clone()));
        }
        return Ok(models
            .into_iter()
            .find(|m| m.name == model && m.owner == f.owner));
    }
    Ok(models
        .into_iter()
        .find(|m| m.name == model || m.uuid == model))
}

/// The Juju user a bare model name belongs to: the frozen controller's, else the one of the
/// controller the run talks to (`juju controllers`), else unknown (`""`: a bare name then
/// matches any owner, and two owners are ambiguous). Detection needs the controller; a read
/// before it does not.
fn logged_in_user(rc: &RunContext, juju: &JujuClient) -> anyhow::Result<String> {
    if let Some(c) = rc.frozen().and_then(|f| f.controller) {
        return Ok(c.user);
    }
    let controllers = juju.controllers()?;
    Ok(detect::pick_controller(&controllers, juju.controller())
        .map(|c| c.user)
        .unwrap_or_default())
}

/// How a changing command names `model` (found by identity): its qualified name as Juju
/// printed it (`owner/name`, `qualifier/name` on 4.x), so Juju can never resolve the command
/// to another user's model of the same short name, whoever is logged in.
fn addressed(model: &juju::Model) -> String {
    if model.qualified.is_empty() {
        model.name.clone()
    } else {
        model.qualified.clone()
    }
}

/// Does `name` (a short name, `owner/name` or uuid, as a script passes it) name the frozen
/// model?
fn names_frozen(f: &FrozenModel, name: &str) -> bool {
    name == f.name || name == f.uuid || (!f.qualified.is_empty() && name == f.qualified)
}

/// How a read names `model`: the site's frozen model by its qualified name (a bare name is
/// resolved by Juju to the logged-in user's model, which may be another one: the backup,
/// the pre-flight and remediation must read the model the destroy acts on); any other model
/// as given.
fn read_address(rc: &RunContext, model: &str) -> String {
    match rc.frozen().and_then(|f| f.model) {
        Some(f) if names_frozen(&f, model) && !f.qualified.is_empty() => f.qualified,
        _ => model.to_string(),
    }
}

/// `juju_model(name)`: the site's frozen model by its uuid when `name` names it (gone when
/// that uuid is no longer listed, whatever else has its short name); any other name as
/// Juju resolves it (a bare name: the logged-in user's model).
fn site_model_or_named(
    rc: &RunContext,
    juju: &JujuClient,
    name: &str,
) -> anyhow::Result<Option<juju::Model>> {
    match rc.frozen().and_then(|f| f.model) {
        Some(f) if names_frozen(&f, name) => {
            Ok(juju.models()?.into_iter().find(|m| m.uuid == f.uuid))
        }
        _ => juju.model(name, &logged_in_user(rc, juju)?),
    }
}

/// The facts the gate decides a destroy or removal on, from a fresh `juju models`.
fn model_facts_of(m: &juju::Model) -> ModelFacts {
    ModelFacts {
        name: m.name.clone(),
        qualified: m.qualified.clone(),
        is_controller: m.is_controller,
        uuid: m.uuid.clone(),
        controller_uuid: m.controller_uuid.clone(),
        life: m.life.clone(),
    }
}

/// The changing calls take the short name (as in `site.models`) or the uuid. A qualified
/// name (`admin/openstack`, `ctl:admin/openstack`) matches no model by short name, so it
/// would read as "already gone" and the call would silently do nothing: refuse it instead.
fn short_name(function: &str, model: &str) -> RhaiResult<()> {
    if model.contains('/') || model.contains(':') {
        let short = model.rsplit(['/', ':']).next().unwrap_or(model);
        return Err(format!(
            "`{function}` takes the model's short name (as in `site.models`), not `{model}`; write `{short}`"
        )
        .into());
    }
    Ok(())
}

/// Every key of `juju_destroy_model`'s result; those that do not apply are `()`.
const DESTROY_KEYS: [&str; 6] = [
    "model",
    "result",
    "planned",
    "command",
    "message",
    "last_line",
];
/// Every key of `juju_remove_machine`'s result; those that do not apply are `()`.
const REMOVE_KEYS: [&str; 6] = ["model", "id", "result", "output", "planned", "command"];

/// The result of a gated call as a script value, with every key of `keys`.
fn gated(applied: Applied<serde_json::Value>, command: &str, keys: &[&str]) -> RhaiResult {
    let value = match applied {
        Applied::Executed(v) => v,
        Applied::Planned => json!({ "planned": true, "command": command }),
    };
    to_map(with_keys(value, keys))
}

/// The script's view of a destroy that ran: gone, still going on in the controller, or —
/// the deadline passed and a fresh `juju models` still shows the model alive (`alive`) —
/// never started.
fn destroy_result(
    name: &str,
    command: &str,
    outcome: DestroyOutcome,
    alive: Option<&juju::Model>,
) -> serde_json::Value {
    match (outcome, alive) {
        (DestroyOutcome::Destroyed, _) => {
            json!({ "model": name, "result": "destroyed", "planned": false, "command": command })
        }
        (DestroyOutcome::StillInProgress { waited, last_line }, Some(m)) => json!({
            "model": name, "result": "not-started", "planned": false, "command": command,
            "message": format!(
                "the destroy did not start: `juju destroy-model` was still waiting after {}s (site `timeouts.destroy_cli`) and was stopped, and `juju models` still shows model `{}` ({}) alive (status `{}`); nothing was released. Look at the controller (`juju show-model {}:{}`, `juju debug-log -m {}:controller`), then run the teardown again",
                waited.as_secs(), addressed(m), m.uuid, m.status, m.controller, addressed(m), m.controller
            ),
            "last_line": last_line,
        }),
        (DestroyOutcome::StillInProgress { waited, last_line }, None) => json!({
            "model": name, "result": "in-progress", "planned": false, "command": command,
            "message": format!(
                "destroy issued, still in progress: `juju destroy-model` was still waiting after {}s (site `timeouts.destroy_cli`) and was stopped; `juju models` shows the model dying (or gone), the controller carries on",
                waited.as_secs()
            ),
            "last_line": last_line,
        }),
    }
}

/// After the destroy CLI's deadline: the model with `uuid` if a fresh `juju models` still
/// lists it alive (neither dying nor dead nor `destroying`: the destroy never started).
fn still_alive(juju: &JujuClient, uuid: &str) -> anyhow::Result<Option<juju::Model>> {
    Ok(juju.models()?.into_iter().find(|m| {
        m.uuid == uuid && m.life == "alive" && m.status != "destroying"
    }))
}

/// The exact command `juju_destroy_model(name, opts)` runs now: the model found by identity,
/// addressed as the call addresses it, on the pinned controller (what "will run" shows).
fn destroy_command(rc: &RunContext, juju: &JujuClient, name: &str, opts: &DestroyOptions) -> anyhow::Result<String> {
    let target = match model_facts(rc, juju, name)? {
        Some(model) => addressed(&model),
        None => name.to_string(),
    };
    Ok(juju::shell_line(&juju::destroy_model_argv(
        juju.bin(),
        &juju.target(&target),
        opts,
    )?))
}

/// The exact command `juju_remove_machine(model, id, opts)` runs now.
fn remove_command(rc: &RunContext, juju: &JujuClient, model: &str, id: &str, opts: &RemoveOptions) -> anyhow::Result<String> {
    let target = match model_facts(rc, juju, model)? {
        Some(found) => addressed(&found),
        None => model.to_string(),
    };
    Ok(juju::shell_line(&juju::remove_machine_argv(
        juju.bin(),
        &juju.target(&target),
        id,
        opts,
    )))
}

pub(crate) fn destroy_model(
    ctx: &NativeCallContext,
    name: &str,
    opts: DestroyOptions,
) -> RhaiResult {
    short_name("juju_destroy_model", name)?;
    let rc = RunContext::from_call(ctx)?;
    let juju = rc.juju().map_err(script_error)?;
    let command_for = |model: &str| -> RhaiResult<String> {
        let argv = juju::destroy_model_argv(juju.bin(), &juju.target(model), &opts)
            .map_err(script_error)?;
        Ok(juju::shell_line(&argv))
    };
    let Some(model) = model_facts(&rc, juju, name).map_err(script_error)? else {
        // Nothing to destroy: the model is already gone (or was never there). Only the site's
        // own model may be reported so; the gate refuses any other name or uuid.
        let command = command_for(name)?;
        let effect = Effect {
            name: "juju_destroy_model".into(),
            class: class_of("juju_destroy_model"),
            target: format!("model {name}"),
            args: json!({ "name": name, "opts": opts }),
            command: command.clone(),
            confirm: None,
        };
        let facts = Facts::DestroyAbsent {
            name: name.to_string(),
        };
        rc.gate()
            .check(&effect, &facts)
            .map_err(|e| e.into_rhai())?;
        return to_map(with_keys(
            json!({ "model": name, "result": "absent", "planned": false, "command": command }),
            &DESTROY_KEYS,
        ));
    };
    let target = addressed(&model);
    let command = command_for(&target)?;
    let facts = Facts::DestroyModel {
        model: model_facts_of(&model),
        sealed: rc.verified_sealed_models(),
        prior: crate::backup::seal::pointed_pre_destroy(&rc.site().pointer_file).map(|(_, s)| s),
        machines: juju
            .machines(&target)
            .map(|machines| machines.iter().map(node_facts).collect())
            .map_err(|e| first_line(&format!("{e:#}")).to_string()),
    };
    let guard = rc.gate().guard(&facts);
    // The summary is only worth a `juju status` when the guard lets the call through.
    let summary = if guard.is_ok() {
        // A model Juju cannot report on may still need destroying (teardown.md §3.3): say so
        // instead of failing.
        let counts = match juju.status(&target) {
            Ok(s) => format!(
                "{} application(s), {} unit(s) ({} subordinate), {} machine(s)",
                s.application_count, s.unit_count, s.subordinate_count, s.machine_count
            ),
            Err(e) => format!(
                "counts unknown (`juju status` failed: {})",
                first_line(&format!("{e:#}"))
            ),
        };
        let storage = if opts.destroy_storage {
            "destroyed"
        } else {
            "released"
        };
        format!(
            "model `{}` ({}) on controller `{}`: {counts}; storage is {storage}",
            model.name, model.life, model.controller
        )
    } else {
        format!(
            "model `{}` on controller `{}`",
            model.name, model.controller
        )
    };
    let effect = Effect {
        name: "juju_destroy_model".into(),
        class: class_of("juju_destroy_model"),
        target: format!("model {}", model.name),
        // The uuid: a re-run reads from the journal which model this destroy was of.
        args: json!({ "name": name, "uuid": model.uuid, "opts": opts }),
        command: command.clone(),
        confirm: Some(Confirmation {
            summary,
            question: format!("type the model name `{}` to destroy it", model.name),
            expected: model.name.clone(),
        }),
    };
    // Set when the destroy never started (see below).
    let not_started: std::cell::RefCell<Option<String>> = Default::default();
    let applied = rc
        .gate()
        .apply_on(effect, &facts, || {
            let deadline = std::time::Duration::from_secs(rc.site().timeouts.destroy_cli.max(1));
            let outcome = juju.destroy_model_until(
                &target,
                &opts,
                deadline,
                // Progress comes straight from the juju process: escaped before the terminal.
                &mut |line| rc.note(&crate::term::escape_line(line)),
                &|| rc.interrupted(),
            )?;
            let alive = match outcome {
                DestroyOutcome::StillInProgress { .. } => still_alive(juju, &model.uuid)?,
                DestroyOutcome::Destroyed => None,
            };
            let result = destroy_result(name, &command, outcome, alive.as_ref());
            if result["result"] == "not-started" {
                let why = result["message"].as_str().unwrap_or("the destroy did not start");
                *not_started.borrow_mut() = Some(why.to_string());
                // Journaled as failed: the destroy Juju was asked for did not happen.
                anyhow::bail!("{why}");
            }
            Ok(result)
        });
    // A destroy that never started: going on to Phase C would release the targets under a
    // live model. Stop here (exit 3), whatever the script would do next; a script cannot
    // catch it.
    if let Some(why) = not_started.borrow_mut().take() {
        return Err(Stop::Halted(format!("model `{name}`: {why}")).into_rhai());
    }
    let applied = applied.map_err(|e| e.into_rhai())?;
    gated(applied, &command, &DESTROY_KEYS)
}

pub(crate) fn remove_machine(
    ctx: &NativeCallContext,
    model: &str,
    id: &str,
    opts: RemoveOptions,
) -> RhaiResult {
    short_name("juju_remove_machine", model)?;
    let rc = RunContext::from_call(ctx)?;
    let juju = rc.juju().map_err(script_error)?;
    let found = model_facts(&rc, juju, model)
        .map_err(script_error)?
        .ok_or_else(|| {
            format!("model `{model}` is not in `juju models`; cannot remove machine `{id}` from it")
        })?;
    let target = addressed(&found);
    let command = juju::shell_line(&juju::remove_machine_argv(
        juju.bin(),
        &juju.target(&target),
        id,
        &opts,
    ));
    let machines = juju.machines(&target);
    // A container runs on its host machine's node: that node is what the guard checks.
    let host = id.split('/').next().unwrap_or(id);
    let facts = Facts::RemoveMachine {
        model: model_facts_of(&found),
        machine: machines
            .as_ref()
            .map(|ms| {
                ms.iter().find(|m| m.id == host).map(|m| JujuNodeFacts {
                    id: id.to_string(),
                    ..node_facts(m)
                })
            })
            .map_err(|e| first_line(&format!("{e:#}")).to_string()),
    };
    let guard = rc.gate().guard(&facts);
    let summary = if guard.is_ok() {
        let machines = machines.map_err(script_error)?;
        match machines.iter().find(|m| m.id == id) {
            Some(m) => format!(
                "machine `{}` of model `{model}`: instance `{}`, host `{}`, status `{}`, life `{}`",
                m.id, m.instance_id, m.hostname, m.status, m.life
            ),
            None => format!("machine `{id}` is not listed in model `{model}` (Juju will say so)"),
        }
    } else {
        format!("machine `{id}` of model `{model}`")
    };
    let expected = format!("{model}/{id}");
    let effect = Effect {
        name: "juju_remove_machine".into(),
        class: class_of("juju_remove_machine"),
        target: format!("machine {id} of model {model}"),
        args: json!({ "model": model, "id": id, "opts": opts }),
        command: command.clone(),
        confirm: Some(Confirmation {
            summary,
            question: format!("type `{expected}` to remove the machine"),
            expected,
        }),
    };
    let applied = rc
        .gate()
        .apply_on(effect, &facts, || {
            let out = juju.remove_machine(&target, id, &opts)?;
            Ok(json!({ "model": model, "id": id, "result": "removed", "output": out.trim(), "planned": false, "command": command }))
        })
        .map_err(|e| e.into_rhai())?;
    gated(applied, &command, &REMOVE_KEYS)
}

/// Which MAAS node a Juju machine runs on, for the gate.
fn node_facts(m: &juju::Machine) -> JujuNodeFacts {
    JujuNodeFacts {
        id: m.id.clone(),
        instance_id: m.instance_id.clone(),
        hostname: m.hostname.clone(),
    }
}

/// Each primitive's effect class, declared once: `runbook doc` shows it and the gate is
/// given it (see `primitives::effect_class`).
pub const EFFECTS: &[(&str, EffectClass)] = &[
    ("juju_models", EffectClass::Read),
    ("juju_model", EffectClass::Read),
    ("juju_status", EffectClass::Read),
    ("juju_machines", EffectClass::Read),
    ("juju_controllers", EffectClass::Read),
    ("juju_disabled_commands", EffectClass::Read),
    ("juju_require_destroy_allowed", EffectClass::Read),
    ("juju_export_bundle", EffectClass::Read),
    ("juju_show_model", EffectClass::Read),
    ("juju_model_config", EffectClass::Read),
    ("juju_destroy_command", EffectClass::Read),
    ("juju_remove_command", EffectClass::Read),
    ("juju_destroy_model", EffectClass::Destroy),
    ("juju_remove_machine", EffectClass::Destroy),
];

#[export_module]
pub mod juju_functions {
    use super::*;

    /// Every model this Juju user can see (on the site's `juju.controller`, else the current
    /// controller), as maps `#{name, qualified, owner, uuid, life, status, controller,
    /// controller_uuid, is_controller, model_type, site_model}` (`name` is the short name;
    /// `owner` is the qualifier, from `name` on Juju 4.x; `site_model` whether it is one of
    /// `site.models`: `owner/name` exactly, a bare name only the logged-in user's model).
    /// Errors if `juju` is missing, fails, times out, is not Juju 3.x or 4.x (`juju
    /// version`), prints something that is not its JSON, or a bare name of `site.models`
    /// cannot pick one model (listed under two qualifiers, none the logged-in user's: all
    /// are named).
    ///
    /// ```rhai
    /// for m in juju_models() { print(`${m.name}: ${m.life} ${m.status}`); }
    /// ```
    #[rhai_fn(volatile, return_raw)]
    pub fn juju_models(ctx: NativeCallContext) -> RhaiResult {
        to_map(with_juju(&ctx, |rc, j| {
            let models = j.models()?;
            // A bare name of this site's models that cannot pick one model (listed under
            // two qualifiers, and not exactly one the logged-in user's): never guess.
            let user = logged_in_user(rc, j)?;
            let site = &rc.site().models;
            if let Some((name, same)) = juju::ambiguous(&models, site, &user) {
                anyhow::bail!("{}", juju::ambiguity(&name, &same));
            }
            // Each model says whether it is one of the site's: `owner/name` exactly, a bare
            // name only the logged-in user's model of that name.
            models
                .iter()
                .map(|m| {
                    let mine =
                        !m.is_controller && site.iter().any(|e| detect::is_site_model(e, m, &user));
                    let mut v = serde_json::to_value(m)?;
                    v["site_model"] = serde_json::Value::Bool(mine);
                    Ok(v)
                })
                .collect::<anyhow::Result<Vec<_>>>()
        })?)
    }

    /// The model with this uuid, `owner/name`, or bare short name (the logged-in user's model
    /// of that name; another user's is not it) as a map like `juju_models()`'s without
    /// `site_model`, or `()` if no such model exists. Errors as `juju_models()`, and when a
    /// bare name cannot pick one (under two qualifiers, none the logged-in user's): the error
    /// lists them with their uuids.
    ///
    /// ```rhai
    /// let m = juju_model("openstack");
    /// if m == () { print("model gone"); } else if m.life == "dying" { print("destroying"); }
    /// ```
    #[rhai_fn(volatile, return_raw)]
    pub fn juju_model(ctx: NativeCallContext, name: &str) -> RhaiResult {
        match with_juju(&ctx, |rc, j| site_model_or_named(rc, j, name))? {
            Some(m) => to_map(m),
            None => Ok(Dynamic::UNIT),
        }
    }

    /// A summary of `juju status -m MODEL`: `#{model, controller, model_status,
    /// application_count, unit_count, subordinate_count, machine_count, applications, units,
    /// machines}`; `unit_count` includes subordinate units (each unit map has `principal`).
    /// Errors if the model does not exist (Juju's `ERROR model ... not found`) or Juju fails.
    ///
    /// ```rhai
    /// let s = juju_status("openstack");
    /// print(`${s.unit_count} units on ${s.machine_count} machines`);
    /// ```
    #[rhai_fn(volatile, return_raw)]
    pub fn juju_status(ctx: NativeCallContext, model: &str) -> RhaiResult {
        to_map(with_juju(&ctx, |rc, j| j.status(&read_address(rc, model)))?)
    }

    /// The model's machines, sorted by id (`2` before `10`), as maps `#{id, instance_id,
    /// dns_name, hostname, status, life, containers, error}`; on MAAS `instance_id` is the
    /// MAAS `system_id`. Errors if the model does not exist or Juju fails.
    ///
    /// ```rhai
    /// for m in juju_machines("openstack") { print(`${m.id} ${m.instance_id} ${m.status}`); }
    /// ```
    #[rhai_fn(volatile, return_raw)]
    pub fn juju_machines(ctx: NativeCallContext, model: &str) -> RhaiResult {
        to_map(with_juju(&ctx, |rc, j| j.machines(&read_address(rc, model)))?)
    }

    /// The registered controllers as maps `#{name, uuid, cloud, region, agent_version,
    /// current_model, user, model_count, machine_count, controller_machines_active,
    /// controller_machines_total, current}`; empty when none is registered. Errors if Juju
    /// fails otherwise.
    ///
    /// ```rhai
    /// let c = juju_controllers();
    /// print(`${c.len()} controller(s)`);
    /// ```
    #[rhai_fn(volatile, return_raw)]
    pub fn juju_controllers(ctx: NativeCallContext) -> RhaiResult {
        to_map(with_juju(&ctx, |_, j| j.controllers())?)
    }

    /// The `juju disable-command` blocks in force on the model (`juju disabled-commands`), as
    /// maps `#{command_set, message}`; empty when nothing is blocked. Errors if the model
    /// does not exist or Juju fails.
    ///
    /// ```rhai
    /// for b in juju_disabled_commands("openstack") { print(`blocked: ${b.command_set}`); }
    /// ```
    #[rhai_fn(volatile, return_raw)]
    pub fn juju_disabled_commands(ctx: NativeCallContext, model: &str) -> RhaiResult {
        to_map(with_juju(&ctx, |rc, j| j.disabled_commands(&read_address(rc, model)))?)
    }

    /// Refuse the run now (exit 4) when `juju disable-command` blocks destroying `model`
    /// (`destroy-model` or `all`), naming the block and how to lift it; so a teardown stops
    /// before its Phase A writes anything (teardown.md §3.2). Returns `true` when nothing
    /// blocks the destroy. Errors if Juju fails.
    ///
    /// ```rhai
    /// juju_require_destroy_allowed("openstack");
    /// ```
    #[rhai_fn(volatile, return_raw)]
    pub fn juju_require_destroy_allowed(ctx: NativeCallContext, model: &str) -> RhaiResult {
        let rc = RunContext::from_call(&ctx)?;
        let juju = rc.juju().map_err(script_error)?;
        let target = read_address(&rc, model);
        let blocks = juju.disabled_commands(&target).map_err(script_error)?;
        let Some(block) = blocks.iter().find(|b| b.blocks("destroy-model")) else {
            return Ok(Dynamic::TRUE);
        };
        let message = if block.message.is_empty() {
            String::new()
        } else {
            format!(" (\"{}\")", block.message.escape_debug())
        };
        let reason = format!(
            "refused: Juju blocks destroying model `{model}`: `juju disable-command {}` is in force{message}; nothing was changed. Lift it with `juju enable-command {} -m {}` once the destroy is intended, then run again",
            block.command_set,
            block.command_set,
            juju.target(&target)
        );
        Err(Stop::Refused(reason).into_rhai())
    }

    /// The model's bundle as YAML text (`juju export-bundle -m MODEL`), for the Phase A
    /// backup (teardown.md §3.2). Errors if the model does not exist or Juju fails; the run
    /// remembers that failure, so a backup sealed for the model may then hold
    /// `export-bundle.yaml.failed` (why) in place of the bundle.
    ///
    /// ```rhai
    /// let dir = backup_dir("openstack");
    /// write_backup(dir, "export-bundle.yaml", juju_export_bundle("openstack"));
    /// ```
    #[rhai_fn(volatile, return_raw)]
    pub fn juju_export_bundle(ctx: NativeCallContext, model: &str) -> RhaiResult {
        let bundle = with_juju(&ctx, |rc, j| j.export_bundle(&read_address(rc, model)));
        if bundle.is_err() {
            RunContext::from_call(&ctx)?.record_export_failed(model);
        }
        Ok(bundle?.into())
    }

    /// The model as `juju show-model MODEL --format json` prints it (JSON text, unchanged):
    /// with [`juju_model_config`], what a backup holds when Juju cannot export the bundle.
    /// Errors if the model does not exist or Juju fails.
    ///
    /// ```rhai
    /// write_backup(dir, "show-model.json", juju_show_model("openstack"));
    /// ```
    #[rhai_fn(volatile, return_raw)]
    pub fn juju_show_model(ctx: NativeCallContext, model: &str) -> RhaiResult {
        Ok(with_juju(&ctx, |rc, j| j.show_model_json(&read_address(rc, model)))?.into())
    }

    /// The model's configuration as `juju model-config -m MODEL --format json` prints it
    /// (JSON text, unchanged; it only reads). Errors if the model does not exist or Juju
    /// fails.
    ///
    /// ```rhai
    /// write_backup(dir, "model-config.json", juju_model_config("openstack"));
    /// ```
    #[rhai_fn(volatile, return_raw)]
    pub fn juju_model_config(ctx: NativeCallContext, model: &str) -> RhaiResult {
        Ok(with_juju(&ctx, |rc, j| j.model_config_json(&read_address(rc, model)))?.into())
    }

    /// Destroy a model: `juju destroy-model NAME --force --no-wait --destroy-storage
    /// --no-prompt`, blocking until Juju returns while its progress lines go to the
    /// transcript. Refused unless the model is in `site.models`, is not a controller model,
    /// and this run sealed its backup (`seal_backup`), which still verifies right before the
    /// destroy — unless `require_backup: false`. Asks
    /// the operator to type the model name (or `--yes`). Returns `#{model, result, command,
    /// planned, message, last_line}`: `result` is `destroyed`, `absent` when the site's model
    /// is already gone (any other name or uuid is refused, listed or not), or `in-progress` (with `message` and `last_line`) when Juju still
    /// waited at `timeouts.destroy_cli`; in a dry run `planned: true` and the `command`. The
    /// keys that do not apply are `()`. Errors if Juju fails or times out, or if `NAME`
    /// is qualified (`admin/openstack`): give the short name or the uuid.
    ///
    /// ```rhai
    /// seal_backup(dir, "openstack");
    /// juju_destroy_model("openstack");
    /// ```
    #[rhai_fn(volatile, return_raw)]
    pub fn juju_destroy_model(ctx: NativeCallContext, name: &str) -> RhaiResult {
        destroy_model(&ctx, name, DestroyOptions::default())
    }

    /// As `juju_destroy_model(name)`, with options `#{force, no_wait, destroy_storage,
    /// timeout}` (defaults `true, true, true, ()`; `no_wait` and `timeout` need `force`;
    /// `destroy_storage: false` releases storage instead). Unknown keys are an error.
    ///
    /// ```rhai
    /// juju_destroy_model("openstack", #{ no_wait: false, timeout: 600 });
    /// ```
    #[rhai_fn(name = "juju_destroy_model", volatile, return_raw)]
    pub fn juju_destroy_model_with(ctx: NativeCallContext, name: &str, opts: Map) -> RhaiResult {
        let opts: DestroyOptions = options("juju_destroy_model", opts)?;
        destroy_model(&ctx, name, opts)
    }

    /// Remove one machine from a model: `juju remove-machine -m MODEL --force ID --no-prompt`
    /// (teardown.md §3.3 remediation). Refused unless the model is in `site.models` and is not a
    /// controller model; asks the operator to type `MODEL/ID` (or `--yes`). Juju accepts the
    /// removal and returns; it does not wait. Returns `#{model, id, result, output, command,
    /// planned}` (in a dry run only `planned` and `command` are not `()`). Errors if the
    /// model does not exist, is qualified (give the short name) or
    /// Juju fails.
    ///
    /// ```rhai
    /// for m in juju_machines("openstack") { juju_remove_machine("openstack", m.id); }
    /// ```
    #[rhai_fn(volatile, return_raw)]
    pub fn juju_remove_machine(ctx: NativeCallContext, model: &str, id: &str) -> RhaiResult {
        remove_machine(&ctx, model, id, RemoveOptions::default())
    }

    /// As `juju_remove_machine(model, id)`, with options `#{force, no_wait, keep_instance}`
    /// (defaults `true, false, false`). Unknown keys are an error.
    ///
    /// ```rhai
    /// juju_remove_machine("openstack", "3", #{ no_wait: true });
    /// ```
    #[rhai_fn(name = "juju_remove_machine", volatile, return_raw)]
    pub fn juju_remove_machine_with(
        ctx: NativeCallContext,
        model: &str,
        id: &str,
        opts: Map,
    ) -> RhaiResult {
        let opts: RemoveOptions = options("juju_remove_machine", opts)?;
        remove_machine(&ctx, model, id, opts)
    }

    /// The exact command line `juju_destroy_model(name, opts)` would run now (the juju
    /// binary, the model as the call addresses it on the site's controller, every flag), to
    /// show the operator before the call; it only reads (`juju models`). Errors as
    /// `juju_models()`, or on options `juju_destroy_model` refuses.
    ///
    /// ```rhai
    /// print(`will run: ${juju_destroy_command("openstack", #{ force: true, no_wait: true })}`);
    /// ```
    #[rhai_fn(volatile, return_raw)]
    pub fn juju_destroy_command(ctx: NativeCallContext, name: &str, opts: Map) -> RhaiResult {
        short_name("juju_destroy_command", name)?;
        let opts: DestroyOptions = options("juju_destroy_command", opts)?;
        Ok(with_juju(&ctx, |rc, j| destroy_command(rc, j, name, &opts))?.into())
    }

    /// The exact command line `juju_remove_machine(model, id, opts)` would run now; it only
    /// reads (`juju models`). Errors as `juju_models()`.
    ///
    /// ```rhai
    /// print(`will run: ${juju_remove_command("openstack", "3", #{ force: true })}`);
    /// ```
    #[rhai_fn(volatile, return_raw)]
    pub fn juju_remove_command(
        ctx: NativeCallContext,
        model: &str,
        id: &str,
        opts: Map,
    ) -> RhaiResult {
        short_name("juju_remove_command", model)?;
        let opts: RemoveOptions = options("juju_remove_command", opts)?;
        Ok(with_juju(&ctx, |rc, j| remove_command(rc, j, model, id, &opts))?.into())
    }
}
