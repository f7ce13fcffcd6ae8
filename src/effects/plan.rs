//! Plan files: what `runbook plan` saves and `runbook apply` executes — the ordered effects,
//! the facts they rest on, the effective site settings and a hash of every source used.
//!
//! # Format, version 1
//!
//! One JSON object: `format` (`runbook-plan`), `version`, `id` (a uuid; its first 8
//! characters are the short form the operator types), `created_at`, `expires_at` (from site
//! `plan_max_age`), `site`, `runbook`, `root`, `sets` (the `--set` overrides given),
//! `settings` (the site's effective settings, flat; the MAAS key is never among them),
//! `sources` (each runbook/module used: `name`, `kind`, `display`, `sha256`), `facts`
//! (flat `key → value`, see `commands/plan_facts.rs`), `effects` (each: `effect`, `class`,
//! `target`, `command`, `key`) and `sha256`, the hash of the canonical JSON of all the
//! rest. A hand edit changes the hash; `apply` refuses it.
//!
//! An effect's `key` is what `apply` matches a call against: the primitive and the
//! arguments that say what it acts on (model, machine, file), without what differs between
//! two runs of the same plan (the run id in a release comment, a backup's timestamp).

use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::effects::PlanEntry;

pub const FORMAT: &str = "runbook-plan";
pub const VERSION: u64 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceHash {
    pub name: String,
    /// `runbook` or `module`.
    pub kind: String,
    pub display: String,
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedEffect {
    pub effect: String,
    pub class: crate::effects::EffectClass,
    pub target: String,
    pub command: String,
    pub key: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub format: String,
    pub version: u64,
    pub id: String,
    pub created_at: String,
    pub expires_at: String,
    pub site: String,
    pub runbook: String,
    pub root: String,
    pub sets: Vec<(String, Value)>,
    pub settings: std::collections::BTreeMap<String, Value>,
    pub sources: Vec<SourceHash>,
    pub facts: std::collections::BTreeMap<String, String>,
    pub effects: Vec<PlannedEffect>,
}

/// Why a plan file cannot be used at all (exit 2).
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl Plan {
    /// The short form of the id, typed to approve the plan.
    pub fn short_id(&self) -> &str {
        &self.id[..self.id.len().min(8)]
    }

    /// The hash of the plan's canonical JSON (serde_json's maps are sorted).
    fn digest(&self) -> Result<String> {
        let value = serde_json::to_value(self).context("cannot serialise the plan")?;
        Ok(sha256_hex(value.to_string().as_bytes()))
    }

    /// Writes the plan with its hash, atomically.
    pub fn save(&self, path: &Path) -> Result<()> {
        let mut value = serde_json::to_value(self).context("cannot serialise the plan")?;
        if let Some(map) = value.as_object_mut() {
            map.insert("sha256".into(), Value::String(self.digest()?));
        }
        let text = serde_json::to_vec_pretty(&value).context("cannot serialise the plan")?;
        // Temp file, fsync, rename; a failed write removes its temp file.
        crate::backup::write_atomic(path, &text)
    }

    /// Reads and checks a plan file: JSON, format, version, hash.
    pub fn load(path: &Path) -> Result<Plan> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the plan `{}`", path.display()))?;
        Plan::parse(&text).with_context(|| format!("cannot use the plan `{}`", path.display()))
    }

    pub fn parse(text: &str) -> Result<Plan> {
        let mut value: Value = serde_json::from_str(text).map_err(|e| {
            anyhow!("it is not JSON ({e}); was it truncated? make it again with `runbook plan`")
        })?;
        if value.get("format").and_then(Value::as_str) != Some(FORMAT) {
            bail!("it is not a plan file (no `\"format\": \"{FORMAT}\"`)");
        }
        let version = value.get("version").and_then(Value::as_u64).unwrap_or(0);
        if version > VERSION {
            bail!("it is plan format version {version}, newer than this runbook reads ({VERSION}); apply it with a newer runbook");
        }
        let recorded = value
            .as_object_mut()
            .and_then(|m| m.remove("sha256"))
            .and_then(|v| v.as_str().map(str::to_string))
            .ok_or_else(|| anyhow!("it has no `sha256`; make it again with `runbook plan`"))?;
        let plan: Plan = serde_json::from_value(value).map_err(|e| {
            anyhow!("it is not a complete plan ({e}); make it again with `runbook plan`")
        })?;
        let actual = plan.digest()?;
        if actual != recorded {
            bail!("its hash does not match its contents (edited by hand?): recorded sha256 {recorded}, contents hash to {actual}\nhint: a plan cannot be changed after review; make a new one with `runbook plan`");
        }
        Ok(plan)
    }
}

/// What `apply` matches a call against (see the module doc).
pub fn effect_key(name: &str, args: &Value) -> String {
    let arg = |k: &str| match args.get(k) {
        Some(Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
        None => String::new(),
    };
    let opts = |drop: &[&str]| {
        let mut o = args.get("opts").cloned().unwrap_or(Value::Null);
        if let Some(map) = o.as_object_mut() {
            map.retain(|k, _| !drop.contains(&k.as_str()));
        }
        o.to_string()
    };
    match name {
        "release" => format!("release {} {}", arg("system_id"), opts(&["comment"])),
        "juju_destroy_model" => format!("juju_destroy_model {} {}", arg("name"), opts(&[])),
        "juju_remove_machine" => format!(
            "juju_remove_machine {} {} {}",
            arg("model"),
            arg("id"),
            opts(&[])
        ),
        "backup_dir" => format!("backup_dir {}", arg("prefix")),
        "write_backup" => format!("write_backup {}", arg("file")),
        "seal_backup" => format!("seal_backup {}", arg("model")),
        "set_pointer" => format!("set_pointer {}", arg("path")),
        "wipe_qcow2" => format!("wipe_qcow2 {}", arg("path")),
        other => format!("{other} {args}"),
    }
}

impl From<&PlanEntry> for PlannedEffect {
    fn from(p: &PlanEntry) -> PlannedEffect {
        PlannedEffect {
            effect: p.effect.clone(),
            class: p.class,
            target: p.target.clone(),
            command: p.command.clone(),
            key: effect_key(&p.effect, &p.args),
        }
    }
}

/// The gate's list of admitted effects during `apply`: each call must be the next planned
/// effect or a later one (a planned effect that turns out unneeded may be skipped; nothing
/// unplanned and nothing out of order runs).
#[derive(Debug, Clone)]
pub struct Allowlist {
    pub plan_id: String,
    effects: Vec<PlannedEffect>,
    next: usize,
    ran: Vec<bool>,
}

impl Allowlist {
    pub fn new(plan: &Plan) -> Allowlist {
        Allowlist {
            plan_id: plan.short_id().to_string(),
            effects: plan.effects.clone(),
            next: 0,
            ran: vec![false; plan.effects.len()],
        }
    }

    /// Admit the call `name(args)` (its command shown in a refusal), or say why not.
    pub fn admit(&mut self, name: &str, args: &Value, command: &str) -> Result<(), String> {
        let key = effect_key(name, args);
        match (self.next..self.effects.len()).find(|&i| self.effects[i].key == key) {
            Some(i) => {
                self.next = i + 1;
                self.ran[i] = true;
                Ok(())
            }
            None => {
                let earlier = self.effects[..self.next].iter().any(|e| e.key == key);
                let expected = self
                    .effects
                    .get(self.next)
                    .map(|e| format!("; next planned: {}", e.command))
                    .unwrap_or_else(|| "; every planned effect has run".to_string());
                Err(format!(
                    "`{command}` is {} plan {}{expected}",
                    if earlier { "out of order in" } else { "not in" },
                    self.plan_id
                ))
            }
        }
    }

    /// Planned effects that did not run (e.g. a release Juju had already done).
    pub fn not_run(&self) -> Vec<&PlannedEffect> {
        self.effects
            .iter()
            .zip(&self.ran)
            .filter(|(_, ran)| !**ran)
            .map(|(e, _)| e)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn plan() -> Plan {
        let effect = |name: &str, args: Value| PlannedEffect {
            effect: name.into(),
            class: crate::effects::EffectClass::Destroy,
            target: String::new(),
            command: format!("{name} {args}"),
            key: effect_key(name, &args),
        };
        Plan {
            format: FORMAT.into(),
            version: VERSION,
            id: "0123456789abcdef".into(),
            created_at: "2026-12-03T10:00:00Z".into(),
            expires_at: "2026-12-04T10:00:00Z".into(),
            site: "s".into(),
            runbook: "teardown".into(),
            root: "/r".into(),
            sets: vec![],
            settings: Default::default(),
            sources: vec![],
            facts: [("maas.user".to_string(), "admin".to_string())].into(),
            effects: vec![
                effect(
                    "juju_destroy_model",
                    json!({"name": "m", "opts": {"force": true}}),
                ),
                effect(
                    "release",
                    json!({"system_id": "a", "opts": {"comment": "run 1"}}),
                ),
                effect(
                    "release",
                    json!({"system_id": "b", "opts": {"comment": "run 1"}}),
                ),
            ],
        }
    }

    #[test]
    fn a_saved_plan_loads_and_a_hand_edit_is_refused() {
        let dir = std::env::temp_dir().join(format!("plan-test-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("p.json");
        plan().save(&path).unwrap();
        assert_eq!(Plan::load(&path).unwrap(), plan());
        let text = std::fs::read_to_string(&path).unwrap();
        let edited = text.replace("\"admin\"", "\"alice\"");
        let err = format!("{:#}", Plan::parse(&edited).unwrap_err());
        assert!(err.contains("edited by hand"), "{err}");
        let err = format!("{:#}", Plan::parse(&text[..text.len() / 2]).unwrap_err());
        assert!(err.contains("truncated"), "{err}");
        let newer = text.replace("\"version\": 1", "\"version\": 9");
        let err = format!("{:#}", Plan::parse(&newer).unwrap_err());
        assert!(err.contains("version 9, newer"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_allowlist_admits_planned_effects_in_order_only() {
        let mut allow = Allowlist::new(&plan());
        let run2 = json!({"comment": "run 2"});
        // A different run id in the comment is the same effect.
        let destroy = json!({"name": "m", "opts": {"force": true}});
        allow.admit("juju_destroy_model", &destroy, "d").unwrap();
        let release = |allow: &mut Allowlist, id: &str| {
            let args = json!({"system_id": id, "opts": run2});
            allow.admit("release", &args, &format!("release {id}"))
        };
        let err = release(&mut allow, "z").unwrap_err();
        assert!(err.contains("`release z` is not in plan 01234567"), "{err}");
        release(&mut allow, "b").unwrap();
        let err = release(&mut allow, "a").unwrap_err();
        assert!(err.contains("out of order"), "{err}");
        let not_run: Vec<&str> = allow.not_run().iter().map(|e| e.command.as_str()).collect();
        assert_eq!(not_run.len(), 1);
        assert!(not_run[0].contains("\"a\""));
    }
}
