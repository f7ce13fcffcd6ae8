//! The facts a plan rests on, read fresh from the cloud: the MAAS user, the Juju controller
//! (name and uuid), each site model (uuid, owner, life) and each target machine (system id,
//! owner, status, lock). `plan` saves them; `apply` reads them again and refuses on any
//! difference, naming each (old → new).
//!
//! Facts are a flat `key → value` map so a drift is a plain comparison. A plan's facts are
//! its detection's read (what the route and the effects were decided on); `apply` and the
//! plan's own check that the cloud did not move meanwhile read them fresh.

use std::collections::BTreeMap;

use anyhow::{Context, Result};

use crate::context::{DetectionRead, RunContext};
use crate::site::Site;

pub type Facts = BTreeMap<String, String>;

/// What stands for "not there" (a model not listed, a target MAAS does not know).
pub const ABSENT: &str = "(absent)";

/// Reads the facts of `ctx`'s site fresh from the cloud.
pub fn read(ctx: &RunContext) -> Result<Facts> {
    let site = ctx.site();
    let juju = ctx.juju()?;
    let models = juju
        .models()
        .context("cannot read the Juju models for the plan's facts")?;
    let controllers = juju
        .controllers()
        .context("cannot read the Juju controllers for the plan's facts")?;
    let maas = ctx.maas()?;
    let (whoami, machines) =
        ctx.read(async { futures::try_join!(maas.whoami(), maas.machines(&site.targets)) })?;
    Ok(facts_of(
        site,
        &DetectionRead {
            controllers,
            models,
            whoami,
            machines,
        },
    ))
}

/// The facts as the run's detection read them (what its route and effects were decided
/// on), if a detection ran.
pub fn detected(ctx: &RunContext) -> Option<Facts> {
    ctx.detection().map(|read| facts_of(ctx.site(), read))
}

/// The facts of `site` in one read of the cloud.
fn facts_of(site: &Site, read: &DetectionRead) -> Facts {
    let mut facts = Facts::new();
    let models = &read.models;
    // The controller the site's models live on (else the one listed first).
    let controller_uuid = models
        .iter()
        .find(|m| site.models.contains(&m.name))
        .map(|m| m.controller_uuid.clone())
        .filter(|u| !u.is_empty());
    let controller = read
        .controllers
        .iter()
        .find(|c| Some(&c.uuid) == controller_uuid.as_ref())
        .or_else(|| read.controllers.first());
    facts.insert(
        "juju.controller".into(),
        controller.map_or(ABSENT.to_string(), |c| format!("{} ({})", c.name, c.uuid)),
    );
    for name in &site.models {
        let model = models.iter().find(|m| &m.name == name);
        let key = |k: &str| format!("model.{name}.{k}");
        match model {
            Some(m) => {
                facts.insert(key("uuid"), m.uuid.clone());
                facts.insert(key("owner"), m.owner.clone());
                facts.insert(key("life"), m.life.clone());
            }
            None => {
                facts.insert(key("uuid"), ABSENT.to_string());
            }
        }
    }
    facts.insert("maas.user".into(), read.whoami.clone());
    for host in &site.targets {
        let key = |k: &str| format!("machine.{host}.{k}");
        match read.machines.iter().find(|m| &m.hostname == host) {
            Some(m) => {
                facts.insert(key("system_id"), m.system_id.clone());
                facts.insert(
                    key("owner"),
                    m.owner.clone().unwrap_or_else(|| "(none)".to_string()),
                );
                facts.insert(key("status"), m.status_name.clone());
                facts.insert(key("locked"), m.locked.to_string());
            }
            None => {
                facts.insert(key("system_id"), ABSENT.to_string());
            }
        }
    }
    facts
}

/// Every fact that differs, as `key: old → new` (a fact only one side has counts too).
pub fn drift(planned: &Facts, now: &Facts) -> Vec<String> {
    let mut keys: Vec<&String> = planned.keys().chain(now.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter_map(|k| {
            let old = planned.get(k).map_or(ABSENT, String::as_str);
            let new = now.get(k).map_or(ABSENT, String::as_str);
            (old != new).then(|| format!("{k}: {old} → {new}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drift_names_each_changed_fact() {
        let planned: Facts = [("machine.a.owner", "admin"), ("model.m.uuid", "u1")]
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .into();
        let now: Facts = [
            ("machine.a.owner", "alice"),
            ("model.m.uuid", "u1"),
            ("x", "1"),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .into();
        assert_eq!(
            drift(&planned, &now),
            ["machine.a.owner: admin → alice", "x: (absent) → 1"]
        );
        assert!(drift(&planned, &planned).is_empty());
    }
}
