//! `runbook sites`: list sites; `show NAME` prints the effective settings (API key
//! redacted); `diff A B` prints the keys whose values differ.

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
    }
    Ok(0)
}
