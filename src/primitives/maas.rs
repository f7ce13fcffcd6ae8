//! The `maas` family of primitives: thin adapters over [`crate::clients::maas`].
//!
//! Reads block on the host's runtime and turn the client's structs into maps. `release` and
//! `release_all` read fresh facts first (`maas_whoami()` and the machines themselves),
//! evaluate the release guard (`effects/rules.rs`) for each machine, and hand the calls to the
//! gate; a batch is admitted as a whole under one confirmation naming every hostname.

use std::time::Instant;

use futures::StreamExt;

use rhai::plugin::*;
use rhai::{Array, Dynamic, Map};
use serde_json::json;

use crate::clients::maas::{self, MaasClient, Machine, ReleaseOptions, ReleaseResult};
use crate::clients::maas_snapshot;
use crate::context::RunContext;
use crate::effects::guards::Facts;
use crate::effects::journal::Outcome;
use crate::effects::{
    Admission, Applied, Confirmation, Effect, EffectClass, GateError, MachineFacts, Refusal,
};
use crate::in_flight::{self, NotSent, OutcomeUnknown};
use crate::stop::Stop;
use crate::primitives::support::{
    class_of, options, script_error, strings, to_map, with_keys, RhaiResult,
};

/// Every key of a release result, whichever way it ended (executed, planned, refused,
/// failed): the ones that do not apply are `()`.
const RELEASE_KEYS: [&str; 9] = [
    "system_id",
    "hostname",
    "result",
    "status_name",
    "message",
    "planned",
    "command",
    "guard",
    "error",
];

/// A release result (or an array of them) with every key of [`RELEASE_KEYS`].
fn release_map(value: serde_json::Value) -> RhaiResult {
    to_map(with_keys(value, &RELEASE_KEYS))
}

/// Machines as scripts see them (the keys of [`Machine`]'s `Serialize`), built directly:
/// through serde (`to_map`) 10,000 machines took about as long as parsing them. Each map
/// is built at once from its sorted members (not inserted one by one) and handed to Rhai
/// as it is (`from_map`, `from_array`: `into()` would copy it member by member).
fn machine_maps(machines: Vec<Machine>) -> Dynamic {
    let text = |v: Option<String>| v.map(Dynamic::from).unwrap_or(Dynamic::UNIT);
    let maps: Array = machines
        .into_iter()
        .map(|m| {
            let tags: Array = m.tags.into_iter().map(Dynamic::from).collect();
            let members: [(&str, Dynamic); 12] = [
                ("hostname", m.hostname.into()),
                ("juju_controller_uuid", text(m.juju_controller_uuid)),
                ("juju_model_uuid", text(m.juju_model_uuid)),
                ("locked", m.locked.into()),
                ("owner", text(m.owner)),
                ("pool", m.pool.into()),
                ("power_state", m.power_state.into()),
                ("status", m.status.into()),
                ("status_name", m.status_name.into()),
                ("system_id", m.system_id.into()),
                ("tags", Dynamic::from_array(tags)),
                ("zone", m.zone.into()),
            ];
            Dynamic::from_map(members.into_iter().map(|(k, v)| (k.into(), v)).collect())
        })
        .collect();
    Dynamic::from_array(maps)
}

fn facts(m: &Machine) -> MachineFacts {
    MachineFacts {
        system_id: m.system_id.clone(),
        hostname: m.hostname.clone(),
        owner: m.owner.clone(),
        locked: m.locked,
        status: m.status,
        status_name: m.status_name.clone(),
        power_state: m.power_state.clone(),
        juju_model_uuid: m.juju_model_uuid.clone(),
        juju_controller_uuid: m.juju_controller_uuid.clone(),
    }
}

/// Ready or Releasing: a release would change nothing (docs/formats.md).
fn already_released(m: &Machine) -> bool {
    matches!(m.status, maas::status::READY | maas::status::RELEASING)
}

/// The release options a script gave, with this run's id added to the comment.
fn release_options(
    rc: &RunContext,
    opts: Option<Map>,
) -> RhaiResult<ReleaseOptions> {
    let mut o: ReleaseOptions = match opts {
        Some(map) => options("release", map)?,
        None => ReleaseOptions::default(),
    };
    // Site `maas.erase` unless the script asked for an erase mode itself.
    if o.erase.is_none() {
        o.erase = Some(rc.site().maas.erase);
    }
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
        class: class_of("release"),
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

/// A client outcome as the script sees it: `#{system_id, hostname, result, status_name,
/// message, planned: false}`.
fn outcome_value(o: maas::ReleaseOutcome) -> serde_json::Value {
    json!({
        "system_id": o.system_id, "hostname": o.hostname, "result": o.result,
        "status_name": o.status_name, "message": o.message, "planned": false,
    })
}

fn planned(m: &Machine, command: &str) -> serde_json::Value {
    json!({ "system_id": m.system_id, "hostname": m.hostname, "planned": true, "command": command })
}

/// A machine the gate refused on its fresh read: named, with the guard and why.
fn refused(m: &Machine, r: &Refusal) -> serde_json::Value {
    json!({
        "system_id": m.system_id, "hostname": m.hostname, "result": "refused",
        "guard": r.guard, "error": r.to_string(), "planned": false,
    })
}

pub(crate) fn release_one(
    ctx: &NativeCallContext,
    system_id: &str,
    opts: Option<Map>,
) -> RhaiResult {
    let rc = RunContext::from_call(ctx)?;
    let client = rc.maas().map_err(script_error)?;
    let opts = release_options(&rc, opts)?;
    let whoami = rc.whoami().map_err(script_error)?;
    // The ONE fresh read the guard runs on; the POST follows it directly.
    let machine = rc
        .read(client.machine(system_id))
        .map_err(script_error)?;
    let Some(m) = machine else {
        // Gone from MAAS (e.g. a composed VM Juju already released): reported, not fatal.
        return release_map(outcome_value(maas::gone_unseen(system_id)));
    };
    let facts = Facts::Release {
        machine: facts(&m),
        whoami,
    };
    if already_released(&m) && rc.gate().guard(&facts).is_ok() {
        return release_map(noop(&m));
    }
    let effect = release_effect(client, &m, &opts, true);
    let command = effect.command.clone();
    let applied = rc
        .gate()
        .apply_on(effect, &facts, || {
            Ok(outcome_value(rc.block_on(release_in_flight(
                &rc, client, &m, &opts,
            ))?))
        })
        .map_err(stopped_or_rhai)?;
    match applied {
        Applied::Executed(v) => release_map(v),
        Applied::Planned => release_map(planned(&m, &command)),
    }
}

pub(crate) fn release_many(ctx: &NativeCallContext, system_ids: Array) -> RhaiResult {
    let ids = strings("release_all", "system ids", system_ids)?;
    let rc = RunContext::from_call(ctx)?;
    let client = rc.maas().map_err(script_error)?;
    let opts = release_options(&rc, None)?;
    let whoami = rc.whoami().map_err(script_error)?;
    // Exactly two requests per machine: one fresh GET here (the guard runs on it), one POST
    // below. A machine that changed since the detection is refused and named; the others go on.
    let reads = rc
        .read(async { Ok(client.machine_each(&ids).await) })
        .map_err(script_error)?;
    let mut results: Vec<serde_json::Value> = Vec::with_capacity(ids.len());
    let mut batch: Vec<(usize, Machine, Facts)> = Vec::new();
    for (i, (id, read)) in ids.iter().zip(reads).enumerate() {
        match read {
            Err(e) => results.push(json!({
                "system_id": id, "hostname": "", "result": "failed",
                "error": format!("{e:#}"), "planned": false,
            })),
            // Gone from MAAS (a composed VM Juju already released): nothing to release.
            Ok(None) => results.push(outcome_value(maas::gone_unseen(id))),
            Ok(Some(m)) => {
                let f = Facts::Release {
                    machine: facts(&m),
                    whoami: whoami.clone(),
                };
                if already_released(&m) && rc.gate().guard(&f).is_ok() {
                    results.push(noop(&m));
                } else {
                    results.push(serde_json::Value::Null);
                    batch.push((i, m, f));
                }
            }
        }
    }
    if batch.is_empty() {
        return release_map(serde_json::Value::Array(results));
    }
    let effects: Vec<Effect> = batch
        .iter()
        .map(|(_, m, _)| release_effect(client, m, &opts, false))
        .collect();
    let all_facts: Vec<Facts> = batch.iter().map(|(_, _, f)| f.clone()).collect();
    let admissible: Vec<&str> = batch
        .iter()
        .filter(|(_, _, f)| rc.gate().guard(f).is_ok())
        .map(|(_, m, _)| m.hostname.as_str())
        .collect();
    let n = admissible.len();
    let confirm = Confirmation {
        summary: format!("{n} machine(s) will be released: {}", admissible.join(", ")),
        question: format!("type `release {n}` to release these {n} machine(s)"),
        expected: format!("release {n}"),
    };
    let admissions = rc
        .gate()
        .admit_each(&effects, &all_facts, Some(confirm))
        .map_err(|e| e.into_rhai())?;
    let mut go = Vec::new();
    for (k, ((i, m, _), admission)) in batch.iter().zip(&admissions).enumerate() {
        match admission {
            Ok(Admission::Go) => go.push(k),
            Ok(Admission::Planned) => results[*i] = planned(m, &effects[k].command),
            Err(r) => results[*i] = refused(m, r),
        }
    }
    let started = Instant::now();
    let admitted: Vec<&Machine> = go.iter().map(|&k| &batch[k].1).collect();
    let outcomes: Vec<anyhow::Result<maas::ReleaseOutcome>> = rc.block_on(async {
        // As the client's own batch: bounded, unordered while in flight, results in order.
        let mut done: Vec<(usize, anyhow::Result<maas::ReleaseOutcome>)> =
            futures::stream::iter(admitted.iter().enumerate())
                .map(|(i, m)| {
                    let (rc, opts) = (&*rc, &opts);
                    async move { (i, release_in_flight(rc, client, m, opts).await) }
                })
                .buffer_unordered(client.concurrency())
                .collect()
                .await;
        done.sort_by_key(|(i, _)| *i);
        done.into_iter().map(|(_, r)| r).collect()
    });
    let took = started.elapsed();
    let outcomes: Vec<(usize, anyhow::Result<serde_json::Value>)> = go
        .iter()
        .zip(outcomes)
        .map(|(&k, outcome)| (k, outcome.map(outcome_value)))
        .collect();
    let journaled: Vec<_> = outcomes
        .iter()
        .map(|(k, o)| (&effects[*k], o.as_ref()))
        .collect();
    rc.gate().finish_all(&journaled, took);
    let stop = stop_in_batch(&outcomes);
    for (k, outcome) in outcomes {
        let (i, m, _) = &batch[k];
        results[*i] = match outcome {
            Ok(v) => v,
            Err(e) => json!({
                "system_id": m.system_id, "hostname": m.hostname,
                "result": "failed", "error": format!("{e:#}"), "planned": false,
            }),
        };
    }
    if let Some(stop) = stop {
        return Err(stop.into_rhai());
    }
    release_map(serde_json::Value::Array(results))
}

/// One release, as a stop finds it (`in_flight`): never sent once the run is stopping;
/// once sent, waited for (saying so) up to the grace after a stop, then abandoned with its
/// outcome unknown and what to check.
async fn release_in_flight(
    rc: &RunContext,
    client: &MaasClient,
    m: &Machine,
    opts: &ReleaseOptions,
) -> anyhow::Result<maas::ReleaseOutcome> {
    let which = format!("{} ({})", m.system_id, crate::term::escape(&m.hostname));
    let flag = rc.interrupt_flag();
    if flag.load(std::sync::atomic::Ordering::SeqCst) {
        return Err(NotSent {
            detail: format!(
                "interrupted before its request was sent: machine {which} was not asked to release"
            ),
        }
        .into());
    }
    let grace = rc.release_grace();
    let waiting = || {
        rc.report().diag(&format!(
            "waiting for the release of {which} in flight (up to {}s)…",
            grace.as_secs()
        ))
    };
    match in_flight::change(flag, grace, waiting, client.release_read(m, opts)).await {
        Some(outcome) => outcome,
        None => {
            let profile = rc.site().maas.profile.as_deref().unwrap_or("$PROFILE");
            Err(OutcomeUnknown {
                detail: format!(
                    "interrupted ({}) with its request in flight and no answer within {}s: MAAS may or may not have released it; check `maas {profile} machine read {}` (Releasing, Disk erasing or Ready: released), or run the same command again (it reads the machine afresh)",
                    crate::signals::describe(crate::signals::received()),
                    grace.as_secs(),
                    m.system_id
                ),
            }
            .into())
        }
    }
}

/// The stop a batch of releases ends in when a signal cut some short (not sent, or their
/// outcome unknown): the run ends interrupted, and the script cannot catch it.
fn stop_in_batch(outcomes: &[(usize, anyhow::Result<serde_json::Value>)]) -> Option<Stop> {
    let cut: Vec<Outcome> = outcomes
        .iter()
        .filter_map(|(_, o)| o.as_ref().err().map(Outcome::of_error))
        .collect();
    let unknown = cut.iter().filter(|o| **o == Outcome::Unknown).count();
    let not_sent = cut.iter().filter(|o| **o == Outcome::Cancelled).count();
    (unknown + not_sent > 0).then(|| {
        Stop::Interrupted(format!(
            "interrupted during the releases: {unknown} with an unknown outcome, {not_sent} not sent"
        ))
    })
}

/// The gate's error as a script error; an action a signal cut short (see `in_flight`) ends
/// the run interrupted instead of being an error a script could catch.
fn stopped_or_rhai(e: GateError) -> Box<EvalAltResult> {
    match e {
        GateError::Failed(e) if Outcome::of_error(&e) != Outcome::Failed => {
            Stop::Interrupted(format!("{e:#}")).into_rhai()
        }
        e => e.into_rhai(),
    }
}

/// `maas_snapshot(ids)`: the machine objects, then each one's power parameters
/// (concurrently, bounded), as the `maas-targets.json` document.
fn snapshot(ctx: &NativeCallContext, system_ids: Array) -> RhaiResult {
    let ids = strings("maas_snapshot", "system ids", system_ids)?;
    let rc = RunContext::from_call(ctx)?;
    let client = rc.maas().map_err(script_error)?;
    let raw = rc
        .read(client.machine_objects(&ids))
        .map_err(script_error)?;
    let powers: Vec<anyhow::Result<Result<serde_json::Value, String>>> = rc
        .read(async {
            Ok(futures::stream::iter(raw.iter())
                .map(|m| client.power_parameters(m["system_id"].as_str().unwrap_or("")))
                .buffered(client.concurrency())
                .collect()
                .await)
        })
        .map_err(script_error)?;
    let mut records = Vec::with_capacity(raw.len());
    for (m, power) in raw.iter().zip(powers) {
        records.push(maas_snapshot::record(m, &power.map_err(script_error)?));
    }
    let seen: std::collections::HashSet<&str> =
        raw.iter().filter_map(|m| m["system_id"].as_str()).collect();
    let missing: Vec<String> = ids
        .iter()
        .filter(|id| !seen.contains(id.as_str()))
        .cloned()
        .collect();
    let taken_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let doc = maas_snapshot::document(client.base(), &taken_at, records, missing);
    let text = serde_json::to_string_pretty(&doc).map_err(|e| script_error(e.into()))?;
    Ok(format!("{text}\n").into())
}

/// Each primitive's effect class, declared once: `runbook doc` shows it and the gate is
/// given it (see `primitives::effect_class`).
pub const EFFECTS: &[(&str, EffectClass)] = &[
    ("maas_whoami", EffectClass::Read),
    ("maas_machines", EffectClass::Read),
    ("maas_config", EffectClass::Read),
    ("maas_machines_by_id", EffectClass::Read),
    ("maas_snapshot", EffectClass::Read),
    ("release", EffectClass::Destroy),
    ("release_all", EffectClass::Destroy),
];

#[export_module]
pub mod maas_functions {
    use super::*;

    /// The MAAS user name the API key belongs to (`GET users/?op=whoami`). Errors if MAAS
    /// is not configured (`MAAS_URL`, `MAAS_API_KEY`), unreachable, or refuses the key (401).
    ///
    /// ```rhai
    /// print(`acting as ${maas_whoami()}`);
    /// ```
    #[rhai_fn(volatile, return_raw)]
    pub fn maas_whoami(ctx: NativeCallContext) -> RhaiResult {
        let rc = RunContext::from_call(&ctx)?;
        Ok(rc.whoami().map_err(script_error)?.into())
    }

    /// Every MAAS machine as maps `#{system_id, hostname, status_name, status, owner,
    /// locked, power_state, pool, zone, tags}` (`owner` is `()` when unowned; `pool` and
    /// `zone` are names). Errors if MAAS is not configured, unreachable, or answers an error.
    ///
    /// ```rhai
    /// let ready = maas_machines().filter(|m| m.status_name == "Ready");
    /// ```
    #[rhai_fn(volatile, return_raw)]
    pub fn maas_machines(ctx: NativeCallContext) -> RhaiResult {
        let rc = RunContext::from_call(&ctx)?;
        let client = rc.maas().map_err(script_error)?;
        Ok(machine_maps(
            rc.read(client.machines(&[])).map_err(script_error)?,
        ))
    }

    /// The machines with these hostnames (those MAAS knows; a missing one is simply not in
    /// the result), as `maas_machines()` maps. Errors as `maas_machines()`, or if an element
    /// is not a string.
    ///
    /// ```rhai
    /// let targets = maas_machines(site.targets);
    /// if targets.len() != site.targets.len() { fail("a target is missing from MAAS"); }
    /// ```
    #[rhai_fn(name = "maas_machines", volatile, return_raw)]
    pub fn maas_machines_named(ctx: NativeCallContext, hostnames: Array) -> RhaiResult {
        let names = strings("maas_machines", "hostnames", hostnames)?;
        // No hostnames asked for, none returned: the client reads an empty filter as
        // "every machine", which is `maas_machines()`, not this.
        if names.is_empty() {
            return Ok(Dynamic::from_array(Array::new()));
        }
        let rc = RunContext::from_call(&ctx)?;
        let client = rc.maas().map_err(script_error)?;
        Ok(machine_maps(
            rc.read(client.machines(&names)).map_err(script_error)?,
        ))
    }

    /// A MAAS setting by name (`GET maas/?op=get_config&name=NAME`), e.g.
    /// `enable_disk_erasing_on_release`: MAAS's value (bool, string, number or `()`).
    /// Errors if MAAS is unreachable, refuses, or does not know the name.
    ///
    /// ```rhai
    /// if maas_config("enable_disk_erasing_on_release") == true { print("MAAS erases every release"); }
    /// ```
    #[rhai_fn(volatile, return_raw)]
    pub fn maas_config(ctx: NativeCallContext, name: &str) -> RhaiResult {
        let rc = RunContext::from_call(&ctx)?;
        let client = rc.maas().map_err(script_error)?;
        to_map(rc.read(client.config(name)).map_err(script_error)?)
    }

    /// The machines with these system ids (those MAAS still has; a deleted one is simply
    /// not in the result), as `maas_machines()` maps, whatever their hostnames are now.
    /// Errors as `maas_machines()`, or if an element is not a string.
    ///
    /// ```rhai
    /// let still = maas_machines_by_id(d.targets.map(|t| t.system_id));
    /// ```
    #[rhai_fn(volatile, return_raw)]
    pub fn maas_machines_by_id(ctx: NativeCallContext, system_ids: Array) -> RhaiResult {
        let ids = strings("maas_machines_by_id", "system ids", system_ids)?;
        if ids.is_empty() {
            return Ok(Dynamic::from_array(Array::new()));
        }
        let rc = RunContext::from_call(&ctx)?;
        let client = rc.maas().map_err(script_error)?;
        to_map(
            rc.read(client.machines_by_id(&ids))
                .map_err(script_error)?,
        )
    }

    /// A snapshot of these machines' MAAS records, as pretty JSON for a backup file
    /// (`maas-targets.json`): per machine what is needed to add it to MAAS again — hostname,
    /// architecture, interfaces and MACs, power type and parameters (secrets left out;
    /// `null` with the reason when MAAS shows them only to an administrator), zone, pool,
    /// tags — and the `maas` commands that re-add it; `missing` lists the ids MAAS no longer
    /// has. Errors if MAAS is unreachable or answers an error.
    ///
    /// ```rhai
    /// write_backup(dir, "maas-targets.json", maas_snapshot(d.targets.map(|t| t.system_id)));
    /// ```
    #[rhai_fn(volatile, return_raw)]
    pub fn maas_snapshot(ctx: NativeCallContext, system_ids: Array) -> RhaiResult {
        snapshot(&ctx, system_ids)
    }

    /// Release one MAAS machine (`POST machines/ID/?op=release`, the comment carrying this
    /// run's id) after one fresh read of it. Refused unless the detection froze its system
    /// id (and hostname), its hostname is in `site.targets`, it is not locked, and it is
    /// owned by `maas_whoami()`; an already Ready/Releasing machine is a success that
    /// sends nothing. Asks the operator to type the hostname (or `--yes`). Returns
    /// `#{system_id, hostname, result, status_name, message, planned, command, guard,
    /// error}` (the keys that do not apply are `()`; a dry run has `planned: true` and the
    /// `command`) where `result` is `released`, `already_released`, `done` (MAAS refused
    /// with 409 but the machine is already being released, e.g. by Juju) or `gone` (MAAS no
    /// longer has it: a composed VM is deleted once released). Errors if the release fails.
    ///
    /// ```rhai
    /// for m in maas_machines(site.targets) { release(m.system_id); }
    /// ```
    #[rhai_fn(volatile, return_raw)]
    pub fn release(ctx: NativeCallContext, system_id: &str) -> RhaiResult {
        release_one(&ctx, system_id, None)
    }

    /// As `release(system_id)`, with options `#{comment}` (the run id is appended).
    ///
    /// ```rhai
    /// release("4y3h7n", #{ comment: "teardown of openstack" });
    /// ```
    #[rhai_fn(name = "release", volatile, return_raw)]
    pub fn release_with(ctx: NativeCallContext, system_id: &str, opts: Map) -> RhaiResult {
        release_one(&ctx, system_id, Some(opts))
    }

    /// Release many machines concurrently (at most site `maas.concurrency`, default 16, at
    /// once): one fresh read of each, the release guard on that read (a frozen target,
    /// hostname in `site.targets`, owned by `maas_whoami()`, not locked), then one release
    /// request. A machine the guard refuses is not released and is named in its result
    /// (`result: "refused"`, `guard`, `error`); the others go on under one confirmation, and
    /// the run ends refused (exit 4). Returns one map per id, in order, with the keys
    /// `release` returns; a machine whose release failed has `result: "failed"` and its
    /// `error`; an id MAAS no longer has is `gone`.
    ///
    /// ```rhai
    /// let ids = maas_machines(site.targets).map(|m| m.system_id);
    /// for r in release_all(ids) { print(`${r.hostname}: ${r.result}`); }
    /// ```
    #[rhai_fn(volatile, return_raw)]
    pub fn release_all(ctx: NativeCallContext, system_ids: Array) -> RhaiResult {
        release_many(&ctx, system_ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn machine(status: i64) -> Machine {
        Machine {
            system_id: "4y3h7n".into(),
            hostname: "openstack0".into(),
            status_name: maas::status_name(status).into(),
            status,
            owner: Some("admin".into()),
            locked: false,
            power_state: "on".into(),
            pool: "default".into(),
            zone: "default".into(),
            tags: vec![],
            juju_model_uuid: None,
            juju_controller_uuid: None,
        }
    }

    #[test]
    fn release_effect_names_the_request_and_asks_for_the_hostname() {
        let client = MaasClient::new(maas::MaasConfig {
            url: "http://maas:5240/MAAS".into(),
            api_key: "a:b:c".into(),
            ca_file: None,
            ca_pem: None,
            concurrency: 16,
            connect_timeout: std::time::Duration::from_secs(1),
            request_timeout: std::time::Duration::from_secs(1),
        })
        .unwrap();
        let opts = ReleaseOptions {
            comment: Some("runbook run r-7".into()),
            erase: Some(maas::EraseMode::None),
        };
        let e = release_effect(&client, &machine(maas::status::DEPLOYED), &opts, true);
        assert_eq!(e.class, EffectClass::Destroy);
        assert_eq!(e.target, "machine 4y3h7n (openstack0)");
        assert_eq!(
            e.command,
            "POST machines/4y3h7n/?op=release comment=\"runbook run r-7\" erase=false (MAAS http://maas:5240/MAAS/api/2.0/)"
        );
        let c = e.confirm.unwrap();
        assert_eq!(c.expected, "openstack0");
        assert!(
            c.summary.contains("Deployed") && c.summary.contains("owner `admin`"),
            "{}",
            c.summary
        );
        assert!(release_effect(&client, &machine(6), &opts, false)
            .confirm
            .is_none());
        assert!(!serde_json::to_string(&e.args).unwrap().contains(":b:c"));
    }

    #[test]
    fn machine_maps_are_what_serde_makes_of_a_machine() {
        let mut m = machine(maas::status::DEPLOYED);
        m.tags = vec!["osd".into()];
        m.juju_model_uuid = Some("u-1".into());
        let unowned = Machine {
            owner: None,
            ..machine(maas::status::READY)
        };
        let direct = machine_maps(vec![m.clone(), unowned.clone()]);
        let serde = to_map(vec![m, unowned]).unwrap();
        assert_eq!(format!("{direct:?}"), format!("{serde:?}"));
    }

    #[test]
    fn only_ready_and_releasing_are_already_released() {
        assert!(already_released(&machine(maas::status::READY)));
        assert!(already_released(&machine(maas::status::RELEASING)));
        assert!(!already_released(&machine(maas::status::DISK_ERASING)));
        assert!(!already_released(&machine(maas::status::DEPLOYED)));
        assert_eq!(noop(&machine(4))["result"], "already_released");
        assert_eq!(outcome_value(maas::gone_unseen("x"))["result"], "gone");
    }
}
