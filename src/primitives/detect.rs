//! `detect_cloud()`: the one read of the cloud that state detection rests on, and the
//! freeze of what it found (teardown.md §2). The host reads Juju (controllers, models on the
//! pinned or current controller) and MAAS (whoami, the site's targets) itself and hands the
//! identities to the gate, so a script can never inject an id the gate would then trust.
//!
//! Which model is the site's: a `site.models` entry `owner/name` names it exactly; a bare
//! `name` matches only a model of the controller's logged-in user. Another user's model of
//! the same short name is reported, never the site's.

use std::collections::{HashMap, HashSet};

use rhai::plugin::*;
use rhai::Dynamic;
use serde::Serialize;

use crate::clients::juju::{ambiguity, ambiguous, Controller, Model};
use crate::clients::maas::Machine;
use crate::context::RunContext;
use crate::effects::EffectClass;
use crate::effects::frozen::{is_uuid, Frozen, FrozenController, FrozenModel, FrozenTarget};
use crate::primitives::support::{script_error, RhaiResult};

/// What `detect_cloud()` returns to the script.
#[derive(Debug, Serialize)]
struct Detected {
    /// Every model on the controller, each with `site_model`: whether it is the site's.
    models: Vec<serde_json::Value>,
    machines: Vec<Machine>,
    whoami: String,
    controller: serde_json::Value,
    /// Identity problems found by the host (each routes to UNKNOWN).
    problems: Vec<String>,
    /// Facts worth showing (e.g. another user's model of the same name).
    evidence: Vec<String>,
    frozen: Frozen,
}

/// The controller the run talks to: the pinned one (must be registered), else the current.
pub fn pick_controller(
    controllers: &[Controller],
    pinned: Option<&str>,
) -> anyhow::Result<Controller> {
    let known = || {
        let names: Vec<&str> = controllers.iter().map(|c| c.name.as_str()).collect();
        if names.is_empty() {
            "none".to_string()
        } else {
            names.join(", ")
        }
    };
    match pinned {
        Some(name) => controllers
            .iter()
            .find(|c| c.name == name)
            .cloned()
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "the site's Juju controller `{name}` (site key `juju.controller`) is not registered with this juju client (registered: {})\nhint: fix `juju.controller` in the site, or register it (`juju register` / `juju login`)",
                    known()
                )
            }),
        None => controllers.iter().find(|c| c.current).cloned().ok_or_else(|| {
            anyhow::anyhow!(
                "no current Juju controller (registered: {}); name one with site key `juju.controller`",
                known()
            )
        }),
    }
}

/// Does `entry` of `site.models` name `m`? `owner/name` exactly; a bare name only for a
/// model of `user` (the controller's logged-in user).
pub fn is_site_model(entry: &str, m: &Model, user: &str) -> bool {
    match entry.split_once('/') {
        Some((owner, name)) => m.owner == owner && m.name == name,
        // No known user (a `juju controllers` without one): a bare name matches nothing.
        None => m.name == entry && !user.is_empty() && m.owner == user,
    }
}

/// Why `m`, which has the short name of the site's `entry`, is not the site's model.
fn not_the_site_model(m: &Model, entry: &str, user: &str) -> String {
    let why = if entry.contains('/') {
        format!("the site names `{entry}`")
    } else {
        format!(
            "owner `{}`, the controller's user is `{user}`",
            m.owner
        )
    };
    format!(
        "juju: model `{}` ({}) on controller `{}` has the site's model name but is not the site's ({why})",
        m.qualified, m.uuid, m.controller
    )
}

fn short(entry: &str) -> &str {
    entry.rsplit('/').next().unwrap_or(entry)
}

/// Read the cloud and freeze what the detection found. Pure of Rhai for tests.
fn detect(rc: &RunContext) -> anyhow::Result<Detected> {
    let juju = rc.juju()?;
    let controllers = juju.controllers()?;
    let controller = pick_controller(&controllers, juju.controller())?;
    // The site may name no controller: from here on every command names the one read now.
    juju.pin(&controller.name)?;
    let models = juju.models()?;
    let site = rc.site();
    let whoami = rc.whoami()?;
    let client = rc.maas()?;
    let machines = rc.read(client.machines(&site.targets))?;

    let mut problems = Vec::new();
    if controller.user.is_empty() {
        for bare in site.models.iter().filter(|e| !e.contains('/')) {
            problems.push(format!(
                "`juju controllers` names no logged-in user for controller `{}`, so the site's bare model name `{bare}` cannot be told from another user's; write it qualified in the site (`models: [\"OWNER/{bare}\"]`)",
                controller.name
            ));
        }
    }
    let mut evidence = Vec::new();
    let mut out_models = Vec::new();
    let mut candidates: Vec<&Model> = Vec::new();
    for m in &models {
        let mine = !m.is_controller
            && site
                .models
                .iter()
                .any(|e| is_site_model(e, m, &controller.user));
        if mine && m.controller_uuid != controller.uuid {
            problems.push(format!(
                "model `{}` ({}) is listed with controller uuid `{}`, but controller `{}` is `{}`",
                m.qualified, m.uuid, m.controller_uuid, controller.name, controller.uuid
            ));
        }
        if mine {
            candidates.push(m);
        } else if !m.is_controller {
            if let Some(entry) = site.models.iter().find(|e| short(e) == m.name) {
                evidence.push(not_the_site_model(m, entry, &controller.user));
            }
        }
        let mut v = serde_json::to_value(m)?;
        v["site_model"] = serde_json::Value::Bool(mine);
        out_models.push(v);
    }
    // A bare site name that cannot pick one model (two qualifiers, not exactly one the
    // logged-in user's) is not guessed at: UNKNOWN, listing them all.
    let listed: Vec<Model> = models
        .iter()
        .filter(|m| !m.is_controller)
        .cloned()
        .collect();
    if let Some((name, same)) = ambiguous(&listed, &site.models, &controller.user) {
        problems.push(ambiguity(&name, &same));
    }
    let model = match candidates.as_slice() {
        [m] => Some(FrozenModel {
            controller_uuid: m.controller_uuid.clone(),
            uuid: m.uuid.clone(),
            name: m.name.clone(),
            qualified: m.qualified.clone(),
            owner: m.owner.clone(),
        }),
        _ => None,
    };

    if let Some(m) = candidates.first().filter(|_| candidates.len() == 1) {
        problems.extend(machines_outside_targets(
            juju,
            m,
            &controller,
            &machines,
            &site.targets,
        )?);
    }
    let foreign_models: Vec<String> = models
        .iter()
        .filter(|m| !candidates.iter().any(|c| c.uuid == m.uuid))
        .map(|m| m.uuid.clone())
        .collect();
    // Index the machines by hostname once: a lookup per target, not a scan of every machine
    // (quadratic at a thousand-node region).
    let mut by_hostname: HashMap<&str, Vec<&Machine>> = HashMap::with_capacity(machines.len());
    for m in &machines {
        by_hostname.entry(m.hostname.as_str()).or_default().push(m);
    }
    let mut targets = Vec::new();
    for hostname in &site.targets {
        let found = by_hostname.get(hostname.as_str()).map(Vec::as_slice);
        // Missing or duplicate hostnames freeze nothing; the classifier routes them UNKNOWN.
        let Some([m]) = found else { continue };
        targets.push(FrozenTarget {
            system_id: m.system_id.clone(),
            hostname: m.hostname.clone(),
            juju_model_uuid: m.juju_model_uuid.clone(),
            juju_controller_uuid: m.juju_controller_uuid.clone(),
        });
        problems.extend(cross_check(m, model.as_ref(), &controller));
        // With a frozen model, `cross_check` already named this mismatch (both uuids).
        if let Some(uuid) = m.juju_model_uuid.as_deref().filter(|_| model.is_none()) {
            if foreign_models.iter().any(|f| f == uuid) {
                problems.push(format!(
                    "target `{}` ({}) was deployed by Juju model `{uuid}`, which is not the site's model",
                    m.hostname, m.system_id
                ));
            }
        }
    }

    if let Some(m) = &model {
        problems.extend(untied(site, m, &controller, &machines, &targets));
    }

    let frozen = Frozen {
        controller: Some(FrozenController {
            name: controller.name.clone(),
            uuid: controller.uuid.clone(),
            user: controller.user.clone(),
        }),
        model,
        targets,
        foreign_models,
        whoami: whoami.clone(),
        problems: problems.clone(),
    };
    rc.gate().freeze(frozen.clone());
    rc.keep_detection(crate::context::DetectionRead {
        controllers: controllers.clone(),
        models: models.clone(),
        whoami: whoami.clone(),
        machines: machines.clone(),
    });
    Ok(Detected {
        models: out_models,
        machines,
        whoami,
        controller: serde_json::json!({
            "name": controller.name, "uuid": controller.uuid, "user": controller.user,
        }),
        problems,
        evidence,
        frozen,
    })
}

/// teardown.md §2: know which cloud. A site that names no controller (`juju.controller`)
/// trusts the shell's current one; that is only safe when something ties the model found
/// there to the site: at least one target that Juju deployed for it (its MAAS `owner_data`
/// names the model's and the controller's uuids). Otherwise another controller's model of
/// the same name would be destroyed. The built-in simulator's controller is the site's own.
fn untied(
    site: &crate::site::Site,
    model: &FrozenModel,
    controller: &Controller,
    machines: &[Machine],
    targets: &[FrozenTarget],
) -> Option<String> {
    if site.juju.controller.is_some() || site.sim.is_some() {
        return None;
    }
    let deployed_it: std::collections::HashSet<&str> = machines
        .iter()
        .filter(|m| {
            m.juju_model_uuid.as_deref() == Some(model.uuid.as_str())
                && m.juju_controller_uuid.as_deref() == Some(controller.uuid.as_str())
        })
        .map(|m| m.system_id.as_str())
        .collect();
    if targets
        .iter()
        .any(|t| deployed_it.contains(t.system_id.as_str()))
    {
        return None;
    }
    Some(format!(
        "the site names no Juju controller and none of its targets was deployed by model `{}` ({}) on `{}`, the shell's current controller: nothing ties that model to this site, so nothing is changed; if it is the site's model, name its controller in the site (`juju.controller: \"{}\"`) and run again",
        model.qualified, model.uuid, controller.name, controller.name
    ))
}

/// teardown.md §2: the site's model runs on the site's targets. A machine of the model on
/// a MAAS node that is none of them (e.g. the current controller is another one, with its
/// own `openstack` on its own nodes) means it is not the site's model: a problem, naming the
/// machine. `site_machines`: MAAS's machines with the site's target hostnames. A dying model
/// that is gone before its machines could be listed has none.
fn machines_outside_targets(
    juju: &crate::clients::juju::JujuClient,
    m: &Model,
    controller: &Controller,
    site_machines: &[Machine],
    targets: &[String],
) -> anyhow::Result<Vec<String>> {
    // By its qualified name: a bare one is Juju's logged-in user's model, maybe another.
    let addressed = if m.qualified.is_empty() {
        &m.name
    } else {
        &m.qualified
    };
    let listed = match juju.machines(addressed) {
        Ok(listed) => listed,
        Err(_) if m.life == "dying" || m.life == "dead" => Vec::new(),
        Err(e) => return Err(e),
    };
    // A set, not a scan per machine: a thousand-node model against a thousand targets.
    let site_ids: HashSet<&str> = site_machines.iter().map(|t| t.system_id.as_str()).collect();
    // A target MAAS does not show (hidden from a user who is not a superuser, or gone) is
    // reported missing by the classifier, which routes UNKNOWN: a machine of the model on a
    // node of that host name is not also called "not one of the site's targets".
    let seen: HashSet<&str> = site_machines.iter().map(|t| t.hostname.as_str()).collect();
    let unseen_target =
        |hostname: &str| targets.iter().any(|t| t == hostname) && !seen.contains(hostname);
    Ok(listed
        .iter()
        // Containers and machines not provisioned yet are on no MAAS node of their own.
        .filter(|j| !j.id.contains('/') && !j.instance_id.is_empty())
        .filter(|j| !site_ids.contains(j.instance_id.as_str()))
        .filter(|j| !unseen_target(&j.hostname))
        .map(|j| {
            format!(
                "model `{}` ({}) on controller `{}` has machine {} on MAAS node `{}` ({}), which is not one of the site's targets: it is not the site's model",
                m.qualified, m.uuid, controller.name, j.id, j.instance_id, j.hostname
            )
        })
        .collect())
}

/// teardown.md §2: where MAAS says which Juju model and controller deployed a target
/// (`owner_data`), they must be the site's; a malformed uuid is a problem too.
pub fn cross_check(
    m: &Machine,
    model: Option<&FrozenModel>,
    controller: &Controller,
) -> Vec<String> {
    let mut problems = Vec::new();
    let name = format!("`{}` ({})", m.hostname, m.system_id);
    for (key, value) in [
        ("juju-model-uuid", &m.juju_model_uuid),
        ("juju-controller-uuid", &m.juju_controller_uuid),
    ] {
        if let Some(v) = value {
            if !is_uuid(v) {
                problems.push(format!(
                    "target {name} has a malformed `{key}` in its MAAS owner_data: `{}`",
                    v.escape_debug()
                ));
            }
        }
    }
    if let Some(uuid) = m.juju_controller_uuid.as_deref().filter(|u| is_uuid(u)) {
        if uuid != controller.uuid {
            problems.push(format!(
                "target {name} was deployed by Juju controller `{uuid}`, not by `{}` (`{}`)",
                controller.name, controller.uuid
            ));
        }
    }
    if let (Some(uuid), Some(model)) = (m.juju_model_uuid.as_deref().filter(|u| is_uuid(u)), model)
    {
        if uuid != model.uuid {
            problems.push(format!(
                "target {name} was deployed by Juju model `{uuid}`, not by the site's model `{}` (`{}`)",
                model.qualified, model.uuid
            ));
        }
    }
    problems
}

/// Each primitive's effect class, declared once: `runbook doc` shows it and the gate is
/// given it (see `primitives::effect_class`).
pub const EFFECTS: &[(&str, EffectClass)] = &[
    ("detect_cloud", EffectClass::Read),
    ("frozen", EffectClass::Read),
];

#[export_module]
pub mod detect_functions {
    use super::*;

    /// Read the cloud once for state detection and freeze what it found: the Juju
    /// controller (the site's `juju.controller`, else the current one) by uuid, the site's
    /// model by controller uuid + model uuid (a bare `site.models` name matches only a model
    /// of the controller's logged-in user), and each target found exactly once in MAAS by
    /// system id. Later releases, removals, destroys and wipes are refused outside these.
    /// Returns `#{models, machines, whoami, controller, problems, evidence, frozen}`:
    /// `models` as `juju_models()` with `site_model`, `machines` as
    /// `maas_machines(site.targets)`, `problems` the identity mismatches (each one routes to
    /// UNKNOWN). Errors if Juju or MAAS cannot be read, or the site's controller is not
    /// registered.
    ///
    /// ```rhai
    /// let c = detect_cloud();
    /// print(`${c.frozen.targets.len()} targets frozen on ${c.controller.name}`);
    /// ```
    #[rhai_fn(volatile, return_raw)]
    pub fn detect_cloud(ctx: NativeCallContext) -> RhaiResult {
        let rc = RunContext::from_call(&ctx)?;
        let d = detect(&rc).map_err(script_error)?;
        rhai::serde::to_dynamic(d)
    }

    /// What the detection froze as a map `#{controller, model, targets, whoami}`, or `()`
    /// before any detection ran in this run.
    ///
    /// ```rhai
    /// let f = frozen();
    /// if f != () { print(f.model.uuid); }
    /// ```
    #[rhai_fn(volatile, return_raw)]
    pub fn frozen(ctx: NativeCallContext) -> RhaiResult {
        let rc = RunContext::from_call(&ctx)?;
        match rc.frozen() {
            Some(f) => rhai::serde::to_dynamic(f),
            None => Ok(Dynamic::UNIT),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(owner: &str, name: &str) -> Model {
        Model {
            name: name.into(),
            qualified: format!("{owner}/{name}"),
            owner: owner.into(),
            uuid: "3d9f6c1a-5b2e-4f80-a7c4-92e1b8d05f63".into(),
            life: "alive".into(),
            status: "available".into(),
            controller: "c".into(),
            controller_uuid: "0c3f9a52-7d1e-4b8e-9a43-5e2f6d8b1c07".into(),
            is_controller: false,
            model_type: "iaas".into(),
        }
    }

    #[test]
    fn bare_names_match_only_the_controller_user() {
        // (a name of `site.models`, the model's owner and name, whether it is the site's),
        // `admin` logged in.
        for (site_model, (owner, name), is) in [
            ("openstack", ("admin", "openstack"), true),
            ("openstack", ("bob", "openstack"), false),
            ("bob/openstack", ("bob", "openstack"), true),
            ("admin/openstack", ("bob", "openstack"), false),
            ("openstack", ("admin", "other"), false),
        ] {
            let m = model(owner, name);
            assert_eq!(is_site_model(site_model, &m, "admin"), is, "{site_model} {m:?}");
        }
        // With no logged-in user known, a bare name is nobody's model; a qualified one still is.
        assert!(!is_site_model("openstack", &model("admin", "openstack"), ""));
        assert!(is_site_model("admin/openstack", &model("admin", "openstack"), ""));
    }

    fn controller(name: &str, current: bool) -> Controller {
        Controller {
            name: name.into(),
            uuid: "0c3f9a52-7d1e-4b8e-9a43-5e2f6d8b1c07".into(),
            cloud: String::new(),
            region: String::new(),
            agent_version: String::new(),
            current_model: String::new(),
            user: "admin".into(),
            model_count: None,
            machine_count: None,
            controller_machines_active: None,
            controller_machines_total: None,
            current,
        }
    }

    #[test]
    fn pinned_controller_must_exist() {
        let cs = [controller("a", false), controller("b", true)];
        assert_eq!(pick_controller(&cs, Some("a")).unwrap().name, "a");
        assert_eq!(pick_controller(&cs, None).unwrap().name, "b");
        let e = pick_controller(&cs, Some("nope")).unwrap_err().to_string();
        assert!(e.contains("`nope`") && e.contains("a, b"), "{e}");
        assert!(pick_controller(&[], None).is_err());
    }

    #[test]
    fn owner_data_is_cross_checked() {
        let mut m = Machine {
            system_id: "abc123".into(),
            hostname: "openstack0".into(),
            status_name: "Deployed".into(),
            status: 6,
            owner: Some("admin".into()),
            locked: false,
            power_state: "on".into(),
            pool: String::new(),
            zone: String::new(),
            tags: vec![],
            juju_model_uuid: Some("3d9f6c1a-5b2e-4f80-a7c4-92e1b8d05f63".into()),
            juju_controller_uuid: Some("0c3f9a52-7d1e-4b8e-9a43-5e2f6d8b1c07".into()),
        };
        let c = controller("a", true);
        let fm = FrozenModel {
            controller_uuid: c.uuid.clone(),
            uuid: "3d9f6c1a-5b2e-4f80-a7c4-92e1b8d05f63".into(),
            name: "openstack".into(),
            qualified: "admin/openstack".into(),
            owner: "admin".into(),
        };
        assert!(cross_check(&m, Some(&fm), &c).is_empty());
        m.juju_model_uuid = Some("11111111-2222-4333-8444-555555555555".into());
        let p = cross_check(&m, Some(&fm), &c);
        assert!(
            p[0].contains("11111111-2222-4333-8444-555555555555") && p[0].contains(&fm.uuid),
            "{p:?}"
        );
        m.juju_model_uuid = Some("garbage".into());
        assert!(cross_check(&m, Some(&fm), &c)[0].contains("malformed"));
    }
}
