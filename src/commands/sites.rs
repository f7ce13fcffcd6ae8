//! `runbook sites`: list sites; `show NAME` prints the effective settings (API key
//! redacted); `diff A B` prints the keys whose values differ; `keys` lists every setting.

use anyhow::Result;
use serde_json::Value;

use crate::cli::{SitesAction, SitesArgs};
use crate::config::{self, Config};

pub fn run(config: &Config, args: &SitesArgs) -> Result<i32> {
    match &args.action {
        None => {
            let sites = config.resolver().sites();
            if config.json {
                println!("{}", serde_json::to_string_pretty(&sites)?);
            } else {
                sites.iter().for_each(|s| println!("{s}"));
            }
        }
        Some(SitesAction::Show { name }) => {
            let site = config.load_named_site(name)?;
            let key = match config::maas_api_key(&config.env, &site) {
                Ok(Some(_)) => "<redacted>",
                Ok(None) => "<not set>",
                Err(_) => "<unreadable>",
            };
            let mut value = serde_json::to_value(&site)?;
            if let Some(maas) = value.get_mut("maas").and_then(Value::as_object_mut) {
                maas.insert("api_key".into(), Value::String(key.into()));
            }
            println!("{}", serde_json::to_string_pretty(&value)?);
        }
        Some(SitesAction::Diff { a, b }) => {
            let (sa, sb) = (config.load_named_site(a)?, config.load_named_site(b)?);
            let (fa, fb) = (sa.flatten(), sb.flatten());
            let mut keys: Vec<&String> = fa
                .iter()
                .map(|(k, _)| k)
                .chain(fb.iter().map(|(k, _)| k))
                .collect();
            keys.sort();
            keys.dedup();
            let get = |f: &[(String, Value)], k: &str| {
                f.iter()
                    .find(|(x, _)| x == k)
                    .map(|(_, v)| v.clone())
                    .unwrap_or(Value::Null)
            };
            let mut diffs = Vec::new();
            for k in keys {
                let (va, vb) = (get(&fa, k), get(&fb, k));
                if va != vb {
                    diffs.push(serde_json::json!({ "key": k, a.as_str(): va, b.as_str(): vb }));
                    if !config.json {
                        println!("{k}: {va} → {vb}");
                    }
                }
            }
            if config.json {
                println!("{}", serde_json::to_string_pretty(&diffs)?);
            } else if diffs.is_empty() {
                // Say so: an empty output reads like a failure to compare.
                println!("no differences: sites `{a}` and `{b}` have the same effective settings");
            }
        }
        Some(SitesAction::Keys) => print_keys(config.json)?,
    }
    Ok(0)
}

/// Every setting from the key table: a block per key in text, an array with `--json`.
fn print_keys(json: bool) -> Result<()> {
    use crate::site::keys::{KEYS, SIM_PREFIX};
    if json {
        let rows: Vec<Value> = KEYS
            .iter()
            .map(|k| {
                serde_json::json!({
                    "key": k.name,
                    "type": k.kind.describe(),
                    "default": k.kind.default_value(),
                    "doc": k.doc,
                    "real_cloud": k.real_cloud,
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    println!("Site settings (`sites/NAME/site.rhai`, `--set KEY=VALUE`); a key left out takes its default;");
    println!("`--set KEY=null` unsets an optional one.\n");
    for k in KEYS {
        let default = match k.kind.default_value() {
            Value::Null => "not set".to_string(),
            Value::String(s) if s.is_empty() => "\"\"".to_string(),
            Value::String(s) => s,
            other => other.to_string(),
        };
        let default = if k.name == "name" {
            "the folder's name".into()
        } else {
            default
        };
        println!("{}  ({}; default: {default})", k.name, k.kind.describe());
        let mut doc = k.doc.to_string();
        if k.name.starts_with(SIM_PREFIX) {
            doc += " Only on a site with the built-in simulator (`demo`).";
        }
        if k.real_cloud {
            doc += " Points at a real cloud: refused on a site with the built-in simulator.";
        }
        wrapped(&doc, 4, 88).for_each(|line| println!("{line}"));
    }
    Ok(())
}

/// `text` in lines of at most `width` columns (a longer word gets a line of its own), each
/// indented by `indent` spaces.
fn wrapped(text: &str, indent: usize, width: usize) -> impl Iterator<Item = String> {
    let pad = " ".repeat(indent);
    let mut lines = vec![pad.clone()];
    for word in text.split_whitespace() {
        let line = lines.last_mut().expect("starts with one line");
        if line.len() > indent && line.len() + 1 + word.len() > width {
            lines.push(format!("{pad}{word}"));
        } else {
            if line.len() > indent {
                line.push(' ');
            }
            line.push_str(word);
        }
    }
    lines.into_iter()
}
