//! A site: the typed settings of one cloud (`sites/<name>/site.rhai`).
//!
//! The script evaluates to a map; this module reads it into [`Site`] and hands it to
//! scripts as the constant `site`. Loading, overrides (`--set`, environment) and
//! validation live here; secrets do not (see `config.rs`).
//!
//! Missing keys fall back to [`Site::defaults`], so a site file can be short. An unknown or
//! mistyped key is an error naming the dotted key and the file.

pub mod bounds;
pub mod hostrange;
pub mod keys;

use std::path::PathBuf;

use anyhow::{anyhow, bail, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Everything a runbook may know about the cloud it runs against. Each field's meaning,
/// default and range are declared once, in [`keys::KEYS`]; here it only gets its Rust type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Site {
    pub name: String,
    pub models: Vec<String>,
    pub targets: Vec<String>,
    pub maas: MaasSettings,
    pub juju: JujuSettings,
    pub backup_root: PathBuf,
    pub backup_prefix: String,
    pub pointer_file: PathBuf,
    pub state_dir: Option<PathBuf>,
    pub osd_disks: String,
    pub wipe_threshold: u64,
    pub wipe_osd: bool,
    pub disk_root: PathBuf,
    pub require_backup: bool,
    pub timeouts: Timeouts,
    pub plan_max_age: u64,
    pub limits: Limits,
    /// Only a site with the built-in simulator (`demo`) has it.
    pub sim: Option<SimSettings>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    pub max_seconds: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaasSettings {
    pub url: Option<String>,
    pub profile: Option<String>,
    pub api_key_file: Option<PathBuf>,
    pub ca_file: Option<PathBuf>,
    pub concurrency: usize,
    /// Which layer chose `profile` and `api_key_file`: decides which MAAS key wins. Not a
    /// setting (never serialised); filled in by [`Site::from_layers`].
    #[serde(skip)]
    pub key_ranks: KeyRanks,
    pub timeout: u64,
    pub erase: crate::clients::maas::EraseMode,
}

/// The layer (1-based, in [`Site::from_layers`] order; 0: not set) that set each key source.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KeyRanks {
    pub profile: usize,
    pub api_key_file: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JujuSettings {
    pub bin: Option<String>,
    pub controller: Option<String>,
    pub timeout: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Timeouts {
    pub model_gone: u64,
    pub machines_ready: u64,
    pub destroy_cli: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimSettings {
    pub scenario: String,
    pub speed: f64,
    pub juju: String,
    pub model_removal_s: f64,
    pub release_s: f64,
}

impl Default for SimSettings {
    /// The `sim.` keys' defaults (the simulator's own base delays; a test in `sim::clock`
    /// keeps them equal).
    fn default() -> Self {
        serde_json::from_value(keys::sim_defaults())
            .expect("the `sim.` keys' defaults fit `SimSettings` (keys.rs tests it)")
    }
}

impl Site {
    /// The values every key falls back to (declared in [`keys::KEYS`]).
    pub fn defaults(name: &str) -> Site {
        let mut tree = keys::defaults_tree(false);
        tree["name"] = Value::String(name.to_string());
        serde_json::from_value(tree)
            .expect("the key table's defaults fit `Site` (keys.rs tests it)")
    }

    /// Build a site from layers of dotted-key overrides applied over the defaults, in order
    /// (site file, environment, `--set`). `origin` names where each layer came from.
    pub fn from_layers(name: &str, layers: &[(String, Vec<(String, Value)>)]) -> Result<Site> {
        let mut doc = serde_json::to_value(Site::defaults(name))?;
        let mut origins = std::collections::HashMap::new();
        let mut ranks = KeyRanks::default();
        for (layer, (origin, leaves)) in layers.iter().enumerate() {
            for (key, value) in leaves {
                origins.insert(key.clone(), origin.clone());
                // A null clears the key: the rank stays with whoever set it last, if anyone.
                match (key.as_str(), value.is_null()) {
                    ("maas.profile", false) => ranks.profile = layer + 1,
                    ("maas.api_key_file", false) => ranks.api_key_file = layer + 1,
                    _ => {}
                }
                set_leaf(&mut doc, key, value.clone())
                    .map_err(|e| anyhow!("{e} (key `{key}` in {origin})"))?;
                // Type-check this key on its own so the error names it.
                if let Err(e) = serde_json::from_value::<Site>(doc.clone()) {
                    return Err(wrong_type(key, origin, value, e));
                }
            }
        }
        bounds::check(&doc, |key| origins.get(key).cloned())?;
        expand_home(&mut doc);
        let mut site: Site = serde_json::from_value(doc)?;
        site.maas.key_ranks = ranks;
        site.targets = hostrange::expand_all(&site.targets)?;
        Ok(site)
    }

    /// The site as a flat list of dotted keys and JSON values (for `sites diff`).
    pub fn flatten(&self) -> Vec<(String, Value)> {
        let mut out = Vec::new();
        let value = serde_json::to_value(self).unwrap_or(Value::Null);
        flatten_into("", &value, &mut out);
        out
    }
}

/// A value of the wrong type for `key`, said in the key table's words where it has them.
fn wrong_type(key: &str, origin: &str, value: &Value, e: serde_json::Error) -> anyhow::Error {
    let shown = keys::shown(value);
    if let Some(k) = keys::find(key) {
        return anyhow!(
            "key `{key}` in {origin} has the wrong type: it must be {} (got {shown})",
            k.kind.expects()
        );
    }
    let group: Vec<&str> = keys::KEYS
        .iter()
        .map(|k| k.name)
        .filter(|name| {
            name.strip_prefix(key)
                .is_some_and(|rest| rest.starts_with('.'))
        })
        .collect();
    if !group.is_empty() {
        return anyhow!(
            "key `{key}` in {origin} has the wrong type: it is a group of settings ({}), set one by one (got {shown})",
            group.join(", ")
        );
    }
    anyhow!("key `{key}` in {origin} has the wrong type: {e}")
}

/// Replace a leading `~/` with `$HOME/` in every path setting of a site's JSON tree.
fn expand_home(doc: &mut Value) {
    for key in keys::KEYS.iter().filter(|k| k.kind.is_path()) {
        let node = key
            .name
            .split('.')
            .try_fold(&mut *doc, |node, part| node.get_mut(part));
        if let Some(Value::String(path)) = node {
            *path = expand_tilde(std::path::Path::new(path.as_str()))
                .display()
                .to_string();
        }
    }
}

/// `~/x` → `$HOME/x`; anything else unchanged.
pub fn expand_tilde(path: &std::path::Path) -> PathBuf {
    match (path.strip_prefix("~"), dirs::home_dir()) {
        (Ok(rest), Some(home)) => home.join(rest),
        _ => path.to_path_buf(),
    }
}

fn flatten_into(prefix: &str, value: &Value, out: &mut Vec<(String, Value)>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten_into(&key, v, out);
            }
        }
        _ => out.push((prefix.to_string(), value.clone())),
    }
}

/// The leaves of a site map (`#{maas: #{url: ..}}` → `maas.url`). Nested maps of keys that
/// hold a whole object (`sim`) are split too, so a partial `sim` keeps its defaults.
pub fn leaves_of(value: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    flatten_into("", value, &mut out);
    out.retain(|(k, _)| !k.is_empty());
    out
}

fn set_leaf(doc: &mut Value, key: &str, value: Value) -> Result<()> {
    let parts: Vec<&str> = key.split('.').collect();
    let mut node = doc;
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        let path = parts[..=i].join(".");
        let map = node.as_object_mut().ok_or_else(|| {
            anyhow!(
                "unknown key `{key}`: `{}` is not a map",
                parts[..i].join(".")
            )
        })?;
        if !map.contains_key(*part) {
            bail!("unknown key `{path}`");
        }
        if last {
            map.insert(part.to_string(), value);
            return Ok(());
        }
        let child = map
            .get_mut(*part)
            .ok_or_else(|| anyhow!("unknown key `{path}`"))?;
        if child.is_null() && path == "sim" {
            *child = keys::sim_defaults();
        }
        node = child;
    }
    Ok(())
}

/// Parse a `--set` value, typed by the key it sets ([`keys::KEYS`]): text keys take the
/// text as is; others take JSON (`30`, `true`, `["a","b"]`), falling back to the text. A list
/// (`targets`, `models`) also takes plain comma-separated names, ranges included:
/// `targets=node[00000-00999],infra0`. `KEY=null` unsets an optional key.
pub fn parse_override(key: &str, text: &str) -> Value {
    let kind = keys::find(key).map(|k| &k.kind);
    match kind {
        Some(keys::Kind::List(_)) if !text.trim_start().starts_with('[') => {
            let names = text.split(',').map(str::trim).filter(|t| !t.is_empty());
            Value::Array(names.map(|t| Value::String(t.to_string())).collect())
        }
        // `null` unsets an optional key explicitly (an empty value is an error: it is what an
        // unset shell variable gives).
        Some(keys::Kind::OptionalText | keys::Kind::OptionalPath) if text.trim() == "null" => {
            Value::Null
        }
        Some(kind) if kind.is_text() => Value::String(text.to_string()),
        // Not a key: kept as text, so the error names the key rather than the JSON.
        None if key != "sim" => Value::String(text.to_string()),
        _ => serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_string())),
    }
}

/// Leaves of the overrides map `--set` would build, for `KEY=VALUE` strings.
pub fn parse_set(arg: &str) -> Result<(String, Value)> {
    let (key, value) = arg
        .split_once('=')
        .ok_or_else(|| anyhow!("`--set {arg}` has no `=`\nhint: write `--set key=value`, e.g. `--set timeouts.model_gone=30`"))?;
    let key = key.trim();
    if key.is_empty() {
        bail!("`--set {arg}` has an empty key");
    }
    Ok((key.to_string(), parse_override(key, value)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn layer(origin: &str, leaves: Vec<(&str, Value)>) -> (String, Vec<(String, Value)>) {
        (
            origin.into(),
            leaves
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        )
    }

    #[test]
    fn target_ranges_expand_when_the_site_loads() {
        let site = Site::from_layers(
            "t",
            &[layer(
                "`--set`",
                vec![("targets", json!(["node[08-10]", "capi-mgmt"]))],
            )],
        )
        .unwrap();
        assert_eq!(site.targets, ["node08", "node09", "node10", "capi-mgmt"]);
        let e = Site::from_layers(
            "t",
            &[layer("`--set`", vec![("targets", json!(["n[2-1]"]))])],
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("`n[2-1]`"), "{e}");
    }

    #[test]
    fn later_layers_win_and_missing_keys_default() {
        let site = Site::from_layers(
            "t",
            &[
                layer(
                    "`site.rhai`",
                    vec![
                        ("timeouts.model_gone", json!(10)),
                        ("targets", json!(["a"])),
                    ],
                ),
                layer("`--set`", vec![("timeouts.model_gone", json!(30))]),
            ],
        )
        .unwrap();
        let mut want = Site::from_layers("t", &[]).unwrap();
        want.timeouts.model_gone = 30;
        want.targets = vec!["a".into()];
        assert_eq!(site, want);
    }

    #[test]
    fn unknown_key_is_named() {
        let err = Site::from_layers(
            "t",
            &[layer("`f.rhai`", vec![("timeout.model_gone", json!(1))])],
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown key `timeout` (key `timeout.model_gone` in `f.rhai`)"
        );
    }

    #[test]
    fn mistyped_key_is_named() {
        let err = |key: &str, value: Value| {
            Site::from_layers("t", &[layer("`f.rhai`", vec![(key, value)])])
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            err("wipe_osd", json!("yes")),
            "key `wipe_osd` in `f.rhai` has the wrong type: it must be true or false (got \"yes\")"
        );
        assert_eq!(
            err("maas.concurrency", json!(-1)),
            "key `maas.concurrency` in `f.rhai` has the wrong type: it must be a whole number, 1 to 256 requests (got -1)"
        );
        assert_eq!(
            err("timeouts", json!(5)),
            "key `timeouts` in `f.rhai` has the wrong type: it is a group of settings (timeouts.model_gone, timeouts.machines_ready, timeouts.destroy_cli), set one by one (got 5)"
        );
    }

    #[test]
    fn partial_sim_keeps_defaults() {
        let site = Site::from_layers(
            "demo",
            &[layer("x", vec![("sim.scenario", json!("clean"))])],
        )
        .unwrap();
        assert_eq!(
            site.sim,
            Some(SimSettings {
                scenario: "clean".into(),
                ..SimSettings::default()
            })
        );
    }

    #[test]
    fn set_values_are_typed_by_field() {
        assert_eq!(
            parse_set("maas.url=http://x:5240/MAAS").unwrap().1,
            json!("http://x:5240/MAAS")
        );
        assert_eq!(parse_set("timeouts.model_gone=30").unwrap().1, json!(30));
        assert_eq!(parse_set("models=[\"a\"]").unwrap().1, json!(["a"]));
        assert_eq!(
            parse_set("targets=node[0-1], capi-mgmt").unwrap().1,
            json!(["node[0-1]", "capi-mgmt"])
        );
        assert_eq!(parse_set("targets=[\"a\"]").unwrap().1, json!(["a"]));
        assert_eq!(parse_set("name=123").unwrap().1, json!("123"));
        assert_eq!(parse_set("sim.speed=50").unwrap().1, json!(50));
        assert_eq!(parse_set("sim.juju=4.0").unwrap().1, json!("4.0"));
        assert_eq!(parse_set("sim.scenario=clean").unwrap().1, json!("clean"));
        assert_eq!(parse_set("maas.erase=quick").unwrap().1, json!("quick"));
        assert_eq!(parse_set("juju.controller=").unwrap().1, json!(""));
        assert_eq!(parse_set("juju.controller=null").unwrap().1, Value::Null);
        assert!(parse_set("novalue")
            .unwrap_err()
            .to_string()
            .contains("has no `=`"));
    }
}
