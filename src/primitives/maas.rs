//! The `maas` family of primitives: thin adapters over [`crate::clients::maas`].
//!
//! Reads block on the host's runtime and turn the client's structs into maps. `release` and
//! `release_all` read fresh facts first (`maas_whoami()` and the machines themselves),
//! evaluate the release guard from `effects.rs` for each machine, and hand the calls to the
//! gate; a batch is admitted as a whole under one confirmation naming every hostname.

use std::time::Instant;

use rhai::plugin::*;
use rhai::{Array, Dynamic, EvalAltResult, Map};
use serde_json::json;

use crate::clients::maas::{self, MaasClient, Machine, ReleaseOptions, ReleaseResult};
use crate::context::RunContext;
use crate::effects::{self, Admission, Applied, Confirmation, Effect, EffectClass, MachineFacts};

type RhaiResult = Result<Dynamic, Box<EvalAltResult>>;

/// An error message for the script (the engine adds the position).
fn script_error(e: anyhow::Error) -> Box<EvalAltResult> {
    format!("{e:#}").into()
}

fn to_map<T: serde::Serialize>(value: T) -> RhaiResult {
    rhai::serde::to_dynamic(value)
}

fn facts(m: &Machine) -> MachineFacts {
    MachineFacts {
        system_id: m.system_id.clone(),
        hostname: m.hostname.clone(),
        owner: m.owner.clone(),
        locked: m.locked,
        status_name: m.status_name.clone(),
    }
}

/// Ready or Releasing: a release would change nothing (FORMATS.md).
fn already_released(m: &Machine) -> bool {
    matches!(m.status, maas::status::READY | maas::status::RELEASING)
}

/// The release options a script gave, with this run's id added to the comment.
fn release_options(
    rc: &RunContext,
    opts: Option<Map>,
) -> Result<ReleaseOptions, Box<EvalAltResult>> {
    let mut o: ReleaseOptions = match opts {
        Some(map) => rhai::serde::from_dynamic(&Dynamic::from_map(map))
            .map_err(|e| format!("invalid options for `release`: {e}"))?,
        None => ReleaseOptions::default(),
    };
    let tag = format!("runbook run {}", rc.run_id());
    o.comment = Some(match o.comment {
        Some(c) if !c.is_empty() => format!("{c} ({tag})"),
        _ => tag,
    });
    Ok(o)
}

fn release_effect(
    client: &MaasClient,
    m: &Machine,
    opts: &ReleaseOptions,
    confirm: bool,
) -> Effect {
    Effect {
        name: "release".into(),
        class: EffectClass::Destroy,
        target: format!("machine {} ({})", m.system_id, m.hostname),
        args: json!({ "system_id": m.system_id, "opts": opts }),
        command: format!(
            "{} (MAAS {})",
            maas::release_request(&m.system_id, opts),
            client.base()
        ),
        confirm: confirm.then(|| Confirmation {
            summary: format!(
                "machine `{}` ({}): {}, owner `{}`, power {}; its disks are released to the pool",
                m.hostname,
                m.system_id,
                m.status_name,
                m.owner.as_deref().unwrap_or("-"),
                m.power_state
            ),
            question: format!("type the hostname `{}` to release it", m.hostname),
            expected: m.hostname.clone(),
        }),
    }
}

fn noop(m: &Machine) -> serde_json::Value {
    json!({
        "system_id": m.system_id, "hostname": m.hostname,
        "result": ReleaseResult::AlreadyReleased, "status_name": m.status_name,
        "message": format!("already {}; nothing to do", m.status_name), "planned": false,
    })
}

fn planned(m: &Machine, command: &str) -> serde_json::Value {
    json!({ "system_id": m.system_id, "hostname": m.hostname, "planned": true, "command": command })
}

pub(crate) fn release_one(
    ctx: &NativeCallContext,
    system_id: &str,
    opts: Option<Map>,
) -> RhaiResult {
    let rc = RunContext::from_call(ctx)?;
    let client = rc.maas().map_err(script_error)?;
    let opts = release_options(&rc, opts)?;
    let (whoami, machine) = rc
        .block_on(async {
            Ok::<_, anyhow::Error>((client.whoami().await?, client.machine(system_id).await?))
        })
        .map_err(script_error)?;
    let m = machine.ok_or_else(|| {
        format!("MAAS has no machine `{system_id}`; check the id with `maas_machines()`")
    })?;
    let guard = effects::guard_release(&rc.site().targets, &whoami, &facts(&m));
    if guard.is_ok() && already_released(&m) {
        return to_map(noop(&m));
    }
    let effect = release_effect(client, &m, &opts, true);
    let command = effect.command.clone();
    let applied = rc
        .gate()
        .apply(effect, guard, || {
            let outcome = rc.block_on(client.release(system_id, &opts))?;
            let mut v = serde_json::to_value(outcome)?;
            v["planned"] = json!(false);
            Ok(v)
        })
        .map_err(|e| e.into_rhai())?;
    match applied {
        Applied::Executed(v) => to_map(v),
        Applied::Planned => to_map(planned(&m, &command)),
    }
}

pub(crate) fn release_many(ctx: &NativeCallContext, system_ids: Array) -> RhaiResult {
    let ids: Vec<String> = system_ids
        .into_iter()
        .map(|d| {
            d.into_string().map_err(|t| {
                format!("`release_all` takes an array of system ids (strings), not `{t}`")
            })
        })
        .collect::<Result<_, _>>()?;
    let rc = RunContext::from_call(ctx)?;
    let client = rc.maas().map_err(script_error)?;
    let opts = release_options(&rc, None)?;
    let (whoami, all) = rc
        .block_on(async {
            Ok::<_, anyhow::Error>((client.whoami().await?, client.machines_by_id(&ids).await?))
        })
        .map_err(script_error)?;
    let mut machines = Vec::with_capacity(ids.len());
    let mut missing = Vec::new();
    for id in &ids {
        match all.iter().find(|m| &m.system_id == id) {
            Some(m) => machines.push(m.clone()),
            None => missing.push(format!("`{id}`")),
        }
    }
    drop(all);
    if !missing.is_empty() {
        return Err(format!(
            "MAAS has no machine {}; nothing was released",
            missing.join(", ")
        )
        .into());
    }
    let targets = &rc.site().targets;
    let guards: Vec<_> = machines
        .iter()
        .map(|m| effects::guard_release(targets, &whoami, &facts(m)))
        .collect();
    // Machines already Ready/Releasing (and allowed) need no call; the rest form the batch.
    let batch: Vec<usize> = (0..machines.len())
        .filter(|&i| !(guards[i].is_ok() && already_released(&machines[i])))
        .collect();
    let mut results: Vec<serde_json::Value> = machines.iter().map(noop).collect();
    if !batch.is_empty() {
        let effects: Vec<Effect> = batch
            .iter()
            .map(|&i| release_effect(client, &machines[i], &opts, false))
            .collect();
        let batch_guards: Vec<_> = batch.iter().map(|&i| guards[i].clone()).collect();
        let hostnames: Vec<&str> = batch
            .iter()
            .map(|&i| machines[i].hostname.as_str())
            .collect();
        let confirm = Confirmation {
            summary: format!(
                "{} machine(s) will be released: {}",
                batch.len(),
                hostnames.join(", ")
            ),
            question: format!(
                "type `release {}` to release these {} machine(s)",
                batch.len(),
                batch.len()
            ),
            expected: format!("release {}", batch.len()),
        };
        let admissions = rc
            .gate()
            .admit_all(&effects, batch_guards, Some(confirm))
            .map_err(|e| e.into_rhai())?;
        let go: Vec<usize> = (0..batch.len())
            .filter(|&k| admissions.get(k) == Some(&Admission::Go))
            .collect();
        for (k, &i) in batch.iter().enumerate() {
            if admissions.get(k) != Some(&Admission::Go) {
                results[i] = planned(&machines[i], &effects[k].command);
            }
        }
        let go_ids: Vec<String> = go
            .iter()
            .map(|&k| machines[batch[k]].system_id.clone())
            .collect();
        let started = Instant::now();
        let outcomes = rc.block_on(client.release_all(&go_ids, &opts));
        let took = started.elapsed();
        for (&k, (_, outcome)) in go.iter().zip(outcomes) {
            let i = batch[k];
            match outcome {
                Ok(o) => {
                    let mut v = serde_json::to_value(o).unwrap_or_else(|_| json!({}));
                    v["planned"] = json!(false);
                    rc.gate().finish(&effects[k], Ok(&v), took);
                    results[i] = v;
                }
                Err(e) => {
                    rc.gate().finish(&effects[k], Err(&e), took);
                    results[i] = json!({
                        "system_id": machines[i].system_id, "hostname": machines[i].hostname,
                        "result": "failed", "error": format!("{e:#}"), "planned": false,
                    });
                }
            }
        }
    }
    to_map(results)
}

#[export_module]
pub mod maas_functions {
    use super::*;

    /// The MAAS user name the API key belongs to (`GET users/?op=whoami`). Errors if MAAS
    /// is not configured (`MAAS_URL`, `MAAS_API_KEY`), unreachable, or refuses the key (401).
    ///
    /// ```rhai
    /// print(`acting as ${maas_whoami()}`);
    /// ```
    ///
    /// Effect: read
    #[rhai_fn(volatile, return_raw)]
    pub fn maas_whoami(ctx: NativeCallContext) -> RhaiResult {
        let rc = RunContext::from_call(&ctx)?;
        let client = rc.maas().map_err(script_error)?;
        Ok(rc.block_on(client.whoami()).map_err(script_error)?.into())
    }

    /// Every MAAS machine as maps `#{system_id, hostname, status_name, status, owner,
    /// locked, power_state, pool, zone, tags}` (`owner` is `()` when unowned; `pool` and
    /// `zone` are names). Errors if MAAS is not configured, unreachable, or answers an error.
    ///
    /// ```rhai
    /// let ready = maas_machines().filter(|m| m.status_name == "Ready");
    /// ```
    ///
    /// Effect: read
    #[rhai_fn(volatile, return_raw)]
    pub fn maas_machines(ctx: NativeCallContext) -> RhaiResult {
        let rc = RunContext::from_call(&ctx)?;
        let client = rc.maas().map_err(script_error)?;
        to_map(rc.block_on(client.machines(&[])).map_err(script_error)?)
    }

    /// The machines with these hostnames (those MAAS knows; a missing one is simply not in
    /// the result), as `maas_machines()` maps. Errors as `maas_machines()`, or if an element
    /// is not a string.
    ///
    /// ```rhai
    /// let targets = maas_machines(site.targets);
    /// if targets.len() != site.targets.len() { fail("a target is missing from MAAS"); }
    /// ```
    ///
    /// Effect: read
    #[rhai_fn(name = "maas_machines", volatile, return_raw)]
    pub fn maas_machines_named(ctx: NativeCallContext, hostnames: Array) -> RhaiResult {
        let names: Vec<String> = hostnames
            .into_iter()
            .map(|d| {
                d.into_string().map_err(|t| {
                    format!("`maas_machines` takes an array of hostnames (strings), not `{t}`")
                })
            })
            .collect::<Result<_, _>>()?;
        let rc = RunContext::from_call(&ctx)?;
        let client = rc.maas().map_err(script_error)?;
        to_map(rc.block_on(client.machines(&names)).map_err(script_error)?)
    }

    /// Release one MAAS machine (`POST machines/ID/?op=release`, the comment carrying this
    /// run's id). Refused unless its hostname is in `site.targets`, it is not locked, and it
    /// is owned by `maas_whoami()`; an already Ready/Releasing machine is a success that
    /// sends nothing. Asks the operator to type the hostname (or `--yes`). Returns
    /// `#{system_id, hostname, result, status_name, message, planned}` where `result` is
    /// `released`, `already_released`, `done` (MAAS refused with 409 but the machine is
    /// already being released, e.g. by Juju) or `gone` (a composed VM deleted). Errors if
    /// MAAS has no such machine or the release fails.
    ///
    /// ```rhai
    /// for m in maas_machines(site.targets) { release(m.system_id); }
    /// ```
    ///
    /// Effect: destroy
    #[rhai_fn(volatile, return_raw)]
    pub fn release(ctx: NativeCallContext, system_id: &str) -> RhaiResult {
        release_one(&ctx, system_id, None)
    }

    /// As `release(system_id)`, with options `#{comment}` (the run id is appended).
    ///
    /// ```rhai
    /// release("4y3h7n", #{ comment: "teardown of openstack" });
    /// ```
    ///
    /// Effect: destroy
    #[rhai_fn(name = "release", volatile, return_raw)]
    pub fn release_with(ctx: NativeCallContext, system_id: &str, opts: Map) -> RhaiResult {
        release_one(&ctx, system_id, Some(opts))
    }

    /// Release many machines concurrently (at most site `maas.concurrency`, default 16, at
    /// once). Every machine's guard is checked first and one refusal refuses the whole
    /// batch before anything is released; one confirmation names every hostname. Returns one
    /// map per id, in order, as `release` returns, or `#{result: "failed", error}` for a
    /// machine whose release failed. Errors if an id is unknown to MAAS (nothing released).
    ///
    /// ```rhai
    /// let ids = maas_machines(site.targets).map(|m| m.system_id);
    /// for r in release_all(ids) { print(`${r.hostname}: ${r.result}`); }
    /// ```
    ///
    /// Effect: destroy
    #[rhai_fn(volatile, return_raw)]
    pub fn release_all(ctx: NativeCallContext, system_ids: Array) -> RhaiResult {
        release_many(&ctx, system_ids)
    }
}

#[cfg(test)]
mod tests {
    /// `runbook doc` reads these: each function says what it does, gives a `rhai` example,
    /// and ends with its effect class.
    #[test]
    fn every_function_is_documented_with_an_example_and_its_effect() {
        let mut engine = rhai::Engine::new_raw();
        engine.register_global_module(rhai::exported_module!(super::maas_functions).into());
        let meta: serde_json::Value =
            serde_json::from_str(&engine.gen_fn_metadata_to_json(false).unwrap()).unwrap();
        let functions = meta["functions"].as_array().unwrap();
        let mut names: Vec<&str> = functions
            .iter()
            .map(|f| f["name"].as_str().unwrap())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                "maas_machines",
                "maas_machines",
                "maas_whoami",
                "release",
                "release",
                "release_all"
            ],
            "DESIGN's table for this family"
        );
        for f in functions {
            let name = f["name"].as_str().unwrap();
            let doc: Vec<&str> = f["docComments"]
                .as_array()
                .map(|d| d.iter().map(|l| l.as_str().unwrap()).collect())
                .unwrap_or_default();
            let text = doc.join("\n");
            assert!(text.contains("```rhai"), "{name}: no rhai example");
            let last = text.lines().last().unwrap_or("");
            assert!(
                [
                    "/// Effect: read",
                    "/// Effect: change",
                    "/// Effect: destroy"
                ]
                .contains(&last),
                "{name}: last doc line is {last:?}"
            );
        }
    }
}
